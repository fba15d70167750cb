/*
 * test_query.c — golden query tests: every tests/golden/query/ NAME.test file
 * names input files, a query and the exact CSV it must give (or the exact
 * error). Each query runs twice: on events still in the memtable (replayed
 * from the WAL) and again after they are sealed into segments; both runs
 * must give the expected output, so the two read paths agree.
 *
 * File format (lines):
 *   # comment
 *   data: PATH            input file or directory, relative to the repo root
 *   now: ISO-8601         "now" for relative times (default 2026-11-27T00:00:00Z)
 *   limit: N              events returned (default 100)
 *   max-event-rows: N     vg_exec_opts.max_event_rows (default 1,000,000)
 *   timeout-ms: N         vg_exec_opts.timeout_ns (default none)
 *   cw: PATTERN           a CloudWatch filter pattern for the search part
 *   geoip: test | PATH    iplocation's database: `test`, the small one this
 *                         file writes (test_geo_db), `corrupt`, the same with
 *                         a search tree pointing past its data, or a City
 *                         .mmdb; none without the line
 *   lookups: DIR          lookup's tables (none without the line)
 *   output: json          expect events as their JSON, one a line (a table
 *                         as CSV), then `truncated: true|false`: what the
 *                         API returns, without the histogram and stats;
 *                         then `note: ...`, the note `vigil search` prints
 *                         with a table (vg_result_note), when it has one
 *   query: QUERY          the query (one line)
 *   error: MESSAGE        the query must fail with exactly this message
 *   expect:               the rest of the file is the expected CSV
 *
 * VIGIL_GOLDEN_UPDATE=1 rewrites each file's expected part with what the
 * executor gives, for review with `git diff` (never trust it unread).
 */
#include "testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ingest/ingest.h"
#include "query/cw.h"
#include "query/exec.h"
#include "query/geo.h"
#include "query/lookup.h"
#include "query/qparse.h"
#include "query/result_text.h"
#include "util/timeutil.h"

#include "mmdbw.h"

#define GOLDEN_DIR "tests/golden/query"

typedef struct golden {
	char *data[16];
	int ndata;
	char *query, *cw, *error, *expect, *geoip, *lookups;
	int64_t now;
	uint32_t limit, max_event_rows, timeout_ms;
	int json;                  /* output: json */
	size_t expect_off;         /* where the expected part starts in the file */
} golden;

static char *dup_line(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	assert_non_null(p);
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

static void parse_golden(const char *text, size_t len, golden *g)
{
	memset(g, 0, sizeof *g);
	assert_int_equal(vg_parse_iso8601("2026-11-27T00:00:00Z", 20, &g->now), 20);
	size_t pos = 0;
	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		pos += n + (nl != NULL);
		if (n == 0 || line[0] == '#')
			continue;
		if (n >= 6 && memcmp(line, "data: ", 6) == 0) {
			assert_true(g->ndata < 16);
			g->data[g->ndata++] = dup_line(line + 6, n - 6);
		} else if (n >= 5 && memcmp(line, "now: ", 5) == 0) {
			assert_int_equal(vg_parse_iso8601(line + 5, n - 5, &g->now), n - 5);
		} else if (n >= 7 && memcmp(line, "limit: ", 7) == 0) {
			g->limit = (uint32_t)atoi(line + 7);
		} else if (n >= 16 && memcmp(line, "max-event-rows: ", 16) == 0) {
			g->max_event_rows = (uint32_t)atoi(line + 16);
		} else if (n >= 12 && memcmp(line, "timeout-ms: ", 12) == 0) {
			g->timeout_ms = (uint32_t)atoi(line + 12);
		} else if (n >= 7 && memcmp(line, "geoip: ", 7) == 0) {
			g->geoip = dup_line(line + 7, n - 7);
		} else if (n >= 9 && memcmp(line, "lookups: ", 9) == 0) {
			g->lookups = dup_line(line + 9, n - 9);
		} else if (n == 12 && memcmp(line, "output: json", 12) == 0) {
			g->json = 1;
		} else if (n >= 4 && memcmp(line, "cw: ", 4) == 0) {
			g->cw = dup_line(line + 4, n - 4);
		} else if (n >= 7 && memcmp(line, "query: ", 7) == 0) {
			g->query = dup_line(line + 7, n - 7);
		} else if (n >= 7 && memcmp(line, "error: ", 7) == 0) {
			g->error = dup_line(line + 7, n - 7);
		} else if (n == 7 && memcmp(line, "expect:", 7) == 0) {
			g->expect_off = pos;
			g->expect = dup_line(text + pos, len - pos);
			return;
		} else {
			fail_msg("bad golden line: %.*s", (int)n, line);
		}
	}
}

static void golden_free(golden *g)
{
	for (int k = 0; k < g->ndata; k++)
		free(g->data[k]);
	free(g->query);
	free(g->cw);
	free(g->error);
	free(g->expect);
	free(g->geoip);
	free(g->lookups);
}

/* The test GeoIP databases (`geoip: test`, `geoip: corrupt`), written
 * once. */
static char geo_city[64], geo_asn[64], geo_corrupt[64];

/* City: a full record for 8.8.8.0/24 and 2001:4860::/32 (Mountain View),
 * 5.6.7.0/24 (Berlin) and 1.2.3.0/24 (Sydney); a country-only one for
 * 81.2.69.0/24 (United Kingdom: coordinates from tzdata, London's). ASN:
 * 15169 GOOGLE for Google's networks, 3320 without organisation for
 * Berlin's. */
static void test_geo_db(const char *dir)
{
	static const struct {
		const char *iso, *country, *city, *region;
		double lat, lon;
	} rec[] = {
		{"US", "United States", "Mountain View", "California", 37.386, -122.0838},
		{"DE", "Germany", "Berlin", "Land Berlin", 52.5244, 13.4105},
		{"AU", "Australia", "Sydney", "New South Wales", -33.8715, 151.2006},
	};
	vg_buf d = {0};
	mtree t = {0};
	uint32_t at[3];
	for (int k = 0; k < 3; k++) {
		at[k] = (uint32_t)d.len;
		ctrl(&d, T_MAP, 4);
		m_str(&d, "city");
		m_names(&d, rec[k].city);
		m_str(&d, "country");
		m_country(&d, rec[k].iso, rec[k].country);
		m_str(&d, "location");
		ctrl(&d, T_MAP, 2);
		m_str(&d, "latitude");
		m_dbl(&d, rec[k].lat);
		m_str(&d, "longitude");
		m_dbl(&d, rec[k].lon);
		m_str(&d, "subdivisions");
		ctrl(&d, T_ARRAY, 1);
		m_names(&d, rec[k].region);
	}
	uint32_t gb = (uint32_t)d.len;
	ctrl(&d, T_MAP, 1);
	m_str(&d, "country");
	m_country(&d, "GB", "United Kingdom");
	tree_net(&t, "8.8.8.0", 24, at[0]);
	tree_net(&t, "2001:4860::", 32, at[0]);
	tree_net(&t, "5.6.7.0", 24, at[1]);
	tree_net(&t, "1.2.3.0", 24, at[2]);
	tree_net(&t, "81.2.69.0", 24, gb);
	snprintf(geo_city, sizeof geo_city, "%s/city.mmdb", dir);
	mmdb_write(geo_city, &t, &d, "vigil-Test-City");
	/* The root's left record (every IPv4 address) past the data. */
	snprintf(geo_corrupt, sizeof geo_corrupt, "%s/corrupt.mmdb", dir);
	mmdb_write(geo_corrupt, &t, &d, "vigil-Test-City");
	FILE *f = fopen(geo_corrupt, "r+b");
	assert_non_null(f);
	assert_int_equal(fwrite("\xff\xff\xff\x00", 1, 4, f), 4);
	fclose(f);
	free(t.n);
	vg_buf_clear(&d);
	t = (mtree){0};
	ctrl(&d, T_MAP, 2);
	m_str(&d, "autonomous_system_number");
	m_uint(&d, T_U32, 15169);
	m_str(&d, "autonomous_system_organization");
	m_str(&d, "GOOGLE");
	uint32_t dt = (uint32_t)d.len;
	ctrl(&d, T_MAP, 1);
	m_str(&d, "autonomous_system_number");
	m_uint(&d, T_U32, 3320);
	tree_net(&t, "8.8.8.0", 24, 0);
	tree_net(&t, "2001:4860::", 32, 0);
	tree_net(&t, "5.6.7.0", 24, dt);
	snprintf(geo_asn, sizeof geo_asn, "%s/asn.mmdb", dir);
	mmdb_write(geo_asn, &t, &d, "GeoLite2-ASN");
	free(t.n);
	vg_buf_free(&d);
}

/* The golden's GeoIP databases into eo (*geo to close); when they cannot
 * be opened, eo says why, as vigil search does. */
static void golden_geo(const golden *g, vg_geo **geo, vg_err *why, vg_exec_opts *eo)
{
	*geo = NULL;
	if (g->geoip == NULL)
		return;
	vg_geo_opts go = {.mmdb_city = g->geoip};
	if (strcmp(g->geoip, "test") == 0)
		go = (vg_geo_opts){.mmdb_city = geo_city, .mmdb_asn = geo_asn};
	else if (strcmp(g->geoip, "corrupt") == 0)
		go = (vg_geo_opts){.mmdb_city = geo_corrupt};
	if (vg_geo_open(&go, geo, why) != 0)
		*geo = NULL;
	eo->geo = *geo;
	eo->geo_error = why->msg;
}

/* Run the golden's query on the store in dir; returns 0 and the CSV in
 * out, or the error code with the message in out. */
static int run_query(const char *dir, const golden *g, vg_buf *out)
{
	vg_buf_clear(out);
	vg_err e = {0};
	vg_query *q = NULL;
	vg_cw *cw = NULL;
	const char *qt = g->query ? g->query : "";
	int rc = vg_query_parse(qt, strlen(qt), g->now, &q, &e);
	if (rc == 0 && g->cw)
		rc = vg_cw_compile(g->cw, strlen(g->cw), &cw, &e);
	if (rc == 0) {
		vg_store_opts so;
		vg_store_defaults(&so);
		so.readonly = 1;
		vg_store *st;
		assert_int_equal(vg_store_open(dir, &so, &st, &e), 0);
		vg_exec_opts eo = {.from = INT64_MIN, .to = INT64_MAX, .now_ns = g->now,
				   .limit = g->limit, .cw = cw, .lookups_dir = g->lookups,
				   .max_event_rows = g->max_event_rows,
				   .timeout_ns = (int64_t)g->timeout_ms * 1000000};
		vg_geo *geo;
		vg_err why = {0};
		golden_geo(g, &geo, &why, &eo);
		vg_result res;
		rc = vg_exec(st, q, &eo, &res, &e);
		vg_store_close(st, NULL);
		vg_geo_close(geo);
		if (rc == 0) {
			if (g->json && !res.table) {
				for (uint32_t k = 0; k < res.nevents; k++) {
					vg_buf_put(out, res.events[k].json, res.events[k].len);
					vg_buf_putc(out, '\n');
				}
			} else {
				vg_result_csv(&res, out);
			}
			if (g->json) {
				vg_buf_printf(out, "truncated: %s\n", res.truncated ? "true" : "false");
				vg_buf note = {0};
				if (vg_result_note(&res, &note))
					vg_buf_printf(out, "note: %.*s\n", (int)note.len,
						      (const char *)note.p);
				vg_buf_free(&note);
			}
			vg_result_free(&res);
		}
	}
	vg_query_free(q);
	vg_cw_free(cw);
	if (rc)
		vg_buf_puts(out, e.msg);
	return rc;
}

static void check_output(const char *path, const golden *g, int rc, const vg_buf *out,
			 const char *when)
{
	if (g->error) {
		if (rc == 0)
			fail_msg("%s (%s): expected error '%s', got output:\n%.*s", path, when, g->error,
				 (int)out->len, (const char *)out->p);
		if (out->len != strlen(g->error) || memcmp(out->p, g->error, out->len) != 0)
			fail_msg("%s (%s): expected error '%s', got '%.*s'", path, when, g->error,
				 (int)out->len, (const char *)out->p);
		return;
	}
	if (rc)
		fail_msg("%s (%s): query failed: %.*s", path, when, (int)out->len, (const char *)out->p);
	const char *want = g->expect ? g->expect : "";
	if (out->len != strlen(want) || memcmp(out->p, want, out->len) != 0)
		fail_msg("%s (%s): output differs.\n--- expected\n%s--- got\n%.*s", path, when, want,
			 (int)out->len, (const char *)out->p);
}

static void update_file(const char *path, const char *text, const golden *g, const vg_buf *out)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	size_t head = g->expect_off ? g->expect_off : strlen(text);
	fwrite(text, 1, head, f);
	if (!g->expect_off)
		fputs("expect:\n", f);
	fwrite(out->p, 1, out->len, f);
	fclose(f);
}

/* A new store in dir (64 bytes) holding g's data, committed to its WAL. */
static void make_store(const golden *g, char *dir)
{
	snprintf(dir, 64, "/tmp/vigil-golden.XXXXXX");
	assert_non_null(mkdtemp(dir));
	vg_store_opts so;
	vg_store_defaults(&so);
	vg_store *st;
	vg_err e = {0};
	assert_int_equal(vg_store_open(dir, &so, &st, &e), 0);
	vg_ingest_opts io = {0};
	io.account = "123456789012";
	FILE *devnull = fopen("/dev/null", "w");
	io.errors = devnull;
	vg_ingest_report rep = {0};
	assert_int_equal(vg_ingest(st, g->data, g->ndata, &io, &rep, &e), 0);
	vg_ingest_report_free(&rep);
	fclose(devnull);
	assert_int_equal(vg_store_commit(st, &e), 0);
	assert_int_equal(vg_store_close(st, &e), 0);
}

static void rm_store(const char *dir)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void run_golden(const char *path)
{
	size_t len;
	char *text = slurp(path, &len);
	assert_non_null(text);
	golden g;
	parse_golden(text, len, &g);
	char dir[64];
	make_store(&g, dir);
	vg_store_opts so;
	vg_store_defaults(&so);
	vg_err e = {0};
	vg_store *st;
	/* From the WAL ... */
	vg_buf out = {0};
	int rc = run_query(dir, &g, &out);
	if (getenv("VIGIL_GOLDEN_UPDATE") && !g.error)
		update_file(path, text, &g, &out);
	else
		check_output(path, &g, rc, &out, "memtable");
	/* ... and from segments. */
	assert_int_equal(vg_store_open(dir, &so, &st, &e), 0);
	assert_int_equal(vg_store_seal(st, &e), 0);
	assert_int_equal(vg_store_close(st, &e), 0);
	rc = run_query(dir, &g, &out);
	if (!getenv("VIGIL_GOLDEN_UPDATE"))
		check_output(path, &g, rc, &out, "segments");
	vg_buf_free(&out);
	golden_free(&g);
	free(text);
	rm_store(dir);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_golden_queries(void **state)
{
	(void)state;
	DIR *d = opendir(GOLDEN_DIR);
	assert_non_null(d);
	char *names[512];
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL && n < 512) {
		size_t l = strlen(de->d_name);
		if (l > 5 && strcmp(de->d_name + l - 5, ".test") == 0)
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof *names, cmp_names);
	assert_true(n >= 10);
	char geodir[] = "/tmp/vigil-golden-geo.XXXXXX";
	assert_non_null(mkdtemp(geodir));
	test_geo_db(geodir);
	for (int k = 0; k < n; k++) {
		char path[600];
		snprintf(path, sizeof path, "%s/%s", GOLDEN_DIR, names[k]);
		run_golden(path);
		free(names[k]);
	}
	unlink(geo_city);
	unlink(geo_asn);
	unlink(geo_corrupt);
	rmdir(geodir);
}

/* Write a lookup table to dir/name through a temporary file renamed over
 * it (as an administrator replaces one), dated an hour back so the table
 * cache may keep it (query/lookup.h). */
static void put_table(const char *dir, const char *name, const char *text)
{
	char tmp[128], path[128];
	snprintf(tmp, sizeof tmp, "%s/.new", dir);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(tmp, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	struct timespec ts[2];
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= 3600;
	ts[1] = ts[0];
	assert_int_equal(utimensat(AT_FDCWD, tmp, ts, 0), 0);
	assert_int_equal(rename(tmp, path), 0);
}

/* Queries in one process share parsed lookup tables, yet a table replaced
 * between two queries gives its new values at the second. */
static void test_lookup_replaced(void **state)
{
	(void)state;
	golden g;
	static const char text[] =
		"data: tests/golden/query/data/geo-flows.log\n"
		"query: dstport=22 | lookup hosts ip AS dstaddr OUTPUT owner | stats count by owner\n";
	parse_golden(text, sizeof text - 1, &g);
	char dir[64], tables[] = "/tmp/vigil-lookups.XXXXXX";
	make_store(&g, dir);
	assert_non_null(mkdtemp(tables));
	g.lookups = strdup(tables);
	put_table(tables, "hosts.csv", "ip,owner\n10.0.1.5,alice\n10.0.2.9,alice\n");
	vg_buf out = {0};
	assert_int_equal(run_query(dir, &g, &out), 0);
	vg_buf_putc(&out, 0);
	assert_string_equal((const char *)out.p, "owner,count\nalice,4\n");
	vg_lookup_cache_stats before;
	vg_lookup_cache_stats_get(&before);
	assert_int_equal(run_query(dir, &g, &out), 0);
	vg_lookup_cache_stats after;
	vg_lookup_cache_stats_get(&after);
	assert_true(after.hits > before.hits); /* the second query reused the table */
	put_table(tables, "hosts.csv", "ip,owner\n10.0.1.5,bob\n10.0.2.9,bob\n");
	assert_int_equal(run_query(dir, &g, &out), 0);
	vg_buf_putc(&out, 0);
	assert_string_equal((const char *)out.p, "owner,count\nbob,4\n");
	vg_buf_free(&out);
	golden_free(&g);
	rm_store(dir);
	rm_store(tables);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_queries),
		cmocka_unit_test(test_lookup_replaced),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
