/*
 * fuzz_exec.c — libFuzzer harness for the query executor (also built as a
 * corpus replay binary with replay.c).
 *
 * The input is a query, or after "cw:" a CloudWatch filter pattern (run as
 * `| stats count by _group` over what it matches). When it parses, it runs on the golden tests' small
 * data set (tests/golden/query/data: flow logs, mixed JSON and points,
 * with its lookup tables) held twice: once in the memtable, read back from the WAL,
 * and once sealed into segments, which the vectorized scans read. The
 * stores are made and opened on the first input, under /tmp, and removed
 * at exit; the harness runs from the repository's top directory. Invariants, for any
 * query that parses:
 *  - executing never crashes, leaks or trips the sanitizers, and ends
 *    (a 2 s time limit, 2000 event rows at most);
 *  - a failure returns a negative code equal to err.code, with a
 *    printable, non-empty message;
 *  - a success gives a well-formed result: a table has named columns and
 *    every cell a known kind; events have their JSON; no more events than
 *    the limit; the CSV of the result can be written;
 *  - the memtable and the segments give the same answer: both fail, or
 *    both succeed with the same CSV. (The goldens check this for the
 *    queries they hold; here for any query.) A time limit hit on either
 *    side makes the comparison moot.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzzutil.h"
#include "ingest/ingest.h"
#include "query/cw.h"
#include "query/exec.h"
#include "query/qparse.h"
#include "store/store.h"

#define DATA "tests/golden/query/data"
/* 2026-11-27, the goldens' "now": relative times land near the data. */
#define NOW (INT64_C(1795737600) * VG_NS_PER_SEC)
#define MAX_QUERY 4096

static char mem_dir[64], seg_dir[64];

static void rm_dirs(void)
{
	char cmd[200];
	snprintf(cmd, sizeof cmd, "rm -rf %s %s", mem_dir, seg_dir);
	if (mem_dir[0] && system(cmd) != 0)
		fprintf(stderr, "fuzz_exec: could not remove %s and %s\n", mem_dir, seg_dir);
}

/* A store in dir holding the data set, committed to its WAL; sealed when
 * seal is set. */
static void make_store(char *dir, int seal)
{
	snprintf(dir, 64, "/tmp/vigil-fuzz-exec.XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	vg_store_opts so;
	vg_store_defaults(&so);
	vg_store *st;
	vg_err e = {0};
	CHECK(vg_store_open(dir, &so, &st, &e) == 0);
	static char p0[] = DATA "/flows.log", p1[] = DATA "/geo-flows.log",
		    p2[] = DATA "/mixed.json", p3[] = DATA "/geo-points.json";
	char *paths[] = {p0, p1, p2, p3};
	vg_ingest_opts io = {0};
	io.errors = stderr;
	vg_ingest_report rep = {0};
	CHECK(vg_ingest(st, paths, 4, &io, &rep, &e) == 0);
	CHECK(rep.events > 50 && rep.parse_errors == 0);
	vg_ingest_report_free(&rep);
	CHECK(vg_store_commit(st, &e) == 0);
	if (seal)
		CHECK(vg_store_seal(st, &e) == 0);
	CHECK(vg_store_close(st, &e) == 0);
}

static int printable(const char *s)
{
	if (s == NULL || *s == 0)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20)
			return 0;
	return 1;
}

static void check_result(const vg_result *r, uint32_t limit)
{
	if (r->table) {
		CHECK(r->columns != NULL || r->ncols == 0);
		for (uint32_t c = 0; c < r->ncols; c++)
			CHECK(r->columns[c] != NULL);
		for (size_t k = 0; k < (size_t)r->nrows * r->ncols; k++)
			CHECK(r->cells[k].kind <= VG_V_MV);
	} else {
		CHECK(r->nevents <= limit);
		for (uint32_t k = 0; k < r->nevents; k++) {
			CHECK(r->events[k].json != NULL && r->events[k].len >= 2);
			CHECK(r->events[k].json[0] == '{' && r->events[k].json[r->events[k].len - 1] == '}');
		}
	}
}

/* Run q on st: 0 and the CSV in out, or the error code. */
static int run(vg_store *st, const vg_query *q, const vg_cw *cw, vg_buf *out, vg_err *e)
{
	vg_exec_opts eo = {.from = INT64_MIN, .to = INT64_MAX, .now_ns = NOW, .limit = 20, .cw = cw,
			   .timeout_ns = 2 * VG_NS_PER_SEC, .lookups_dir = DATA "/lookups",
			   .geo_error = "no GeoIP databases in this test", .max_event_rows = 2000};
	vg_result res;
	int rc = vg_exec(st, q, &eo, &res, e);
	vg_buf_clear(out);
	if (rc == 0) {
		check_result(&res, eo.limit);
		vg_result_csv(&res, out);
		vg_result_free(&res);
	} else {
		CHECK(rc < 0 && rc == e->code);
		CHECK(printable(e->msg));
	}
	return rc;
}

/* The stores, open read-only for the whole run (as the server keeps its
 * own). */
static vg_store *mem_st, *seg_st;

static vg_store *open_ro(const char *dir)
{
	vg_store_opts so;
	vg_store_defaults(&so);
	so.readonly = 1;
	vg_store *st;
	vg_err e = {0};
	CHECK(vg_store_open(dir, &so, &st, &e) == 0);
	return st;
}

static void done(void)
{
	vg_store_close(mem_st, NULL);
	vg_store_close(seg_st, NULL);
	rm_dirs();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_QUERY)
		return 0;
	if (mem_dir[0] == 0) {
		make_store(mem_dir, 0);
		make_store(seg_dir, 1);
		mem_st = open_ro(mem_dir);
		seg_st = open_ro(seg_dir);
		atexit(done);
	}
	vg_query *q = NULL;
	vg_cw *cw = NULL;
	vg_err e = {0};
	const char *qs = (const char *)data;
	size_t qn = size;
	if (size >= 3 && memcmp(data, "cw:", 3) == 0) {
		if (vg_cw_compile((const char *)data + 3, size - 3, &cw, &e) != 0)
			return 0;
		qs = "| stats count by _group";
		qn = strlen(qs);
	}
	if (vg_query_parse(qs, qn, NOW, &q, &e) != 0) {
		vg_cw_free(cw);
		return 0;
	}
	vg_buf a = {0}, b = {0};
	vg_err ea = {0}, eb = {0};
	int ra = run(mem_st, q, cw, &a, &ea), rb = run(seg_st, q, cw, &b, &eb);
	int timed_out = (ra == VG_ELIMIT && strstr(ea.msg, "time")) ||
			(rb == VG_ELIMIT && strstr(eb.msg, "time"));
	if (!timed_out) {
		if ((ra == 0) != (rb == 0) || a.len != b.len ||
		    (a.len && memcmp(a.p, b.p, a.len) != 0)) {
			fprintf(stderr, "query: %.*s\nmemtable (%d): %s\n%.*s\nsegments (%d): %s\n%.*s\n",
				(int)size, (const char *)data, ra, ea.msg, (int)a.len,
				(const char *)a.p, rb, eb.msg, (int)b.len, (const char *)b.p);
			CHECK(!"the memtable and the segments answer alike");
		}
	}
	vg_buf_free(&a);
	vg_buf_free(&b);
	vg_query_free(q);
	vg_cw_free(cw);
	return 0;
}
