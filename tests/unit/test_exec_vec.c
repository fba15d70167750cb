/*
 * test_exec_vec.c — the executor's two read paths give one answer.
 *
 * Segment blocks are scanned column by column (query/exec_vec.c), memtable
 * events row by row (query/exec.c). The golden query tests run each query
 * with all of its events on one side; here the same events are also split
 * between the two — part sealed into segments, the rest in the memtable —
 * so that an aggregation adds what the block path kept in its own form and
 * what the row path added into the same groups, and events of both compete
 * to be the newest. Every query must give the same CSV from the three
 * stores, and select something (more than a header line).
 */
#include "testutil.h"

#include <unistd.h>

#include "ingest/ingest.h"
#include "query/exec.h"
#include "query/qparse.h"
#include "store/reader.h"
#include "util/timeutil.h"

#define FLOWS "tests/golden/query/data/flows.log"
#define MIXED "tests/golden/query/data/mixed.json"

static const char *const queries[] = {
	"| stats count, sum(bytes), avg(bytes), dc(srcaddr), dc(dstport) by action",
	"| stats count by _group",
	"group=vpcflow | top 3 srcaddr",
	"action=REJECT dstport>=22 | stats count, sum(packets) by dstport",
	"dstport=22 OR dstport=3389 OR act=drop | stats count by _group, dstport",
	"NOT action=ACCEPT | stats count, max(bytes), min(bytes)",
	"srcaddr=10.0.0.0/8 | stats count by dstport",
	"| stats count, count(port), sum(bytes), dc(port) by act",
	"| stats count, sum(bytes) by port",
	"| stats count",
	"src=10.0.0.0/24 | top 5 src",
	"| timechart span=1h count by action",
	"| timechart span=6h count, sum(bytes), avg(bytes)",
	"10.0.1.5 OR 10.0.0.1 | stats count by _group",
	"198.51.100 | stats count by dstport",
	"action=REJECT | search dstport=22 | stats count by srcaddr",
	"action=REJECT | where bytes > 50 | stats count",
	"act=REJECT OR action=REJECT | head 3",
	"| head 4",
	"| rare 2 protocol",
	"| stats perc50(bytes), values(act) by _group",
	"| stats dc(date_hour), count(_raw), sum(date_mday) by _group",
	"| timechart span=1d dc(_group) by act",
	/* Mirror pair columns (the replies of flows.log are mirror rows):
	 * read where no selected row is a mirror row, where some are, and
	 * both in one query, in either order of the filters. */
	"action=REJECT | stats count, dc(dstaddr), dc(srcport) by srcaddr",
	"srcport=443 | stats count, dc(dstport) by dstaddr",
	"dstport=443 action=ACCEPT | stats count by srcaddr, dstaddr",
	"action=ACCEPT dstport=443 | stats count by srcport",
	"dstaddr=10.0.0.0/8 OR srcport=443 | stats count by srcaddr",
	"srcport=443 | head 3",
	"action=REJECT | head 2",
	/* Counts by a dictionary string column, per id of each block. */
	"| stats count by act",
	"bytes>1 | top 3 app",
	"| stats count as n, count by action",
	/* By a column of integers and other types: the integers below 65536
	 * per value, the others the general way. */
	"| stats count, count(bytes) by port",
};

/* Write lines [from, to) of text (its lines counted from 0) to path, after
 * line 0 when header is set. */
static void write_part(const char *text, const char *path, int from, int to, int header)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	int line = 0;
	for (const char *p = text; *p; line++) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
		if ((line >= from && line < to) || (header && line == 0))
			fwrite(p, 1, n, f);
		p += n;
	}
	fclose(f);
}

static void ingest(vg_store *st, char **paths, int n)
{
	vg_ingest_opts io = {0};
	io.account = "123456789012";
	FILE *devnull = fopen("/dev/null", "w");
	io.errors = devnull;
	vg_ingest_report rep = {0};
	vg_err e = {0};
	assert_int_equal(vg_ingest(st, paths, n, &io, &rep, &e), 0);
	vg_ingest_report_free(&rep);
	fclose(devnull);
	assert_int_equal(vg_store_commit(st, &e), 0);
}

/* A store in dir with first (then sealed, when seal_first) and then rest
 * (sealed too when seal_rest). */
static void make_store(const char *dir, char **first, int nfirst, char **rest, int nrest,
		       int seal_first, int seal_rest)
{
	vg_store_opts so;
	vg_store_defaults(&so);
	vg_store *st;
	vg_err e = {0};
	assert_int_equal(vg_store_open(dir, &so, &st, &e), 0);
	ingest(st, first, nfirst);
	if (seal_first)
		assert_int_equal(vg_store_seal(st, &e), 0);
	ingest(st, rest, nrest);
	if (seal_rest)
		assert_int_equal(vg_store_seal(st, &e), 0);
	assert_int_equal(vg_store_close(st, &e), 0);
}

/* The query's CSV on the store in dir (or its error), malloc'd. */
static char *run(const char *dir, const char *text)
{
	int64_t now;
	assert_int_equal(vg_parse_iso8601("2026-11-27T00:00:00Z", 20, &now), 20);
	vg_err e = {0};
	vg_query *q = NULL;
	vg_buf out = {0};
	if (vg_query_parse(text, strlen(text), now, &q, &e) == 0) {
		vg_store_opts so;
		vg_store_defaults(&so);
		so.readonly = 1;
		vg_store *st;
		assert_int_equal(vg_store_open(dir, &so, &st, &e), 0);
		vg_exec_opts eo = {.from = INT64_MIN, .to = INT64_MAX, .now_ns = now};
		vg_result res;
		if (vg_exec(st, q, &eo, &res, &e) == 0) {
			vg_result_csv(&res, &out);
			vg_result_free(&res);
		} else {
			vg_buf_puts(&out, e.msg);
		}
		vg_store_close(st, NULL);
	} else {
		vg_buf_puts(&out, e.msg);
	}
	vg_query_free(q);
	vg_buf_putc(&out, 0);
	return (char *)out.p;
}

/* Remove the test's directory. */
static void rm_tmp(const char *tmp)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
	assert_int_equal(system(cmd), 0);
}

static void test_split_stores_agree(void **state)
{
	(void)state;
	char tmp[] = "/tmp/vigil-vec.XXXXXX";
	assert_non_null(mkdtemp(tmp));
	size_t len;
	char *flows = slurp(FLOWS, &len), *mixed = slurp(MIXED, &len);
	assert_non_null(flows);
	assert_non_null(mixed);
	char f1[64], f2[64], m1[64], m2[64];
	snprintf(f1, sizeof f1, "%s/f1.log", tmp);
	snprintf(f2, sizeof f2, "%s/f2.log", tmp);
	snprintf(m1, sizeof m1, "%s/m1.json", tmp);
	snprintf(m2, sizeof m2, "%s/m2.json", tmp);
	/* Halves of each file: the same group and day on both sides. */
	write_part(flows, f1, 1, 22, 1);
	write_part(flows, f2, 22, 1000, 1);
	write_part(mixed, m1, 0, 6, 0);
	write_part(mixed, m2, 6, 1000, 0);
	char *first[] = {f1, m1}, *rest[] = {f2, m2};
	char mem[80], split[80], seg[80];
	snprintf(mem, sizeof mem, "%s/mem", tmp);
	snprintf(split, sizeof split, "%s/split", tmp);
	snprintf(seg, sizeof seg, "%s/seg", tmp);
	make_store(mem, first, 2, rest, 2, 0, 0);
	make_store(split, first, 2, rest, 2, 1, 0);
	make_store(seg, first, 2, rest, 2, 1, 1);
	for (size_t k = 0; k < sizeof queries / sizeof *queries; k++) {
		char *a = run(mem, queries[k]), *b = run(split, queries[k]), *c = run(seg, queries[k]);
		if (strcmp(a, b) != 0 || strcmp(a, c) != 0)
			fail_msg("%s\n--- memtable\n%s--- split\n%s--- segments\n%s", queries[k], a, b, c);
		const char *nl = strchr(a, '\n');
		if (nl == NULL || nl[1] == 0)
			fail_msg("%s selects nothing:\n%s", queries[k], a);
		free(a);
		free(b);
		free(c);
	}
	free(flows);
	free(mixed);
	rm_tmp(tmp);
}

/* A store of FLOWS, sealed, in a new directory from template tmp; its
 * segment, open. */
static vg_seg *flows_segment(char *tmp)
{
	assert_non_null(mkdtemp(tmp));
	char dir[64], path[96];
	snprintf(dir, sizeof dir, "%s/st", tmp);
	char *files[] = {(char *)FLOWS};
	make_store(dir, files, 1, files, 0, 1, 0);
	snprintf(path, sizeof path, "%s/seg/00000001.vseg", dir);
	vg_seg *s;
	vg_err e = {0};
	assert_int_equal(vg_seg_open(path, &s, &e), 0);
	return s;
}

/* The rows (at most 64) of the block whose column ca is "REJECT". */
static uint32_t reject_rows(vg_blk *bk, uint32_t ca, uint32_t rows[64])
{
	vg_err e = {0};
	assert_int_equal(vg_blk_load_col(bk, ca, &e), 0);
	const vg_col *act = &bk->cols[ca];
	uint32_t n = 0;
	for (uint32_t r = 0; r < bk->n && n < 64; r++)
		if (act->types[r] == VG_T_STR && act->slens[act->sid[r]] == 6 &&
		    memcmp(act->strs[act->sid[r]], "REJECT", 6) == 0)
			rows[n++] = r;
	return n;
}

/* 0 .. n-1; caller frees. */
static uint32_t *every_row(uint32_t n)
{
	uint32_t *all = malloc(n * sizeof *all);
	assert_non_null(all);
	for (uint32_t r = 0; r < n; r++)
		all[r] = r;
	return all;
}

/* Column c of block b of s as a whole-block read restores it. */
static vg_col full_col(const vg_seg *s, uint32_t c, vg_arena *a)
{
	vg_col col;
	vg_err e = {0};
	assert_int_equal(vg_seg_read(s, 0, c, a, &col, &e), 0);
	return col;
}

/* Is col the same as ref at rows[0..n) (every row when rows is NULL)?
 * col's addresses may be dictionary ids. */
static void assert_same_rows(const vg_col *col, const vg_col *ref, const uint32_t *rows,
			     uint32_t n)
{
	for (uint32_t k = 0; k < n; k++) {
		uint32_t r = rows ? rows[k] : k;
		assert_int_equal(col->types[r], ref->types[r]);
		if (ref->types[r] == VG_T_IP && col->ipid) {
			assert_true(col->ipid[r] < col->nipdict);
			assert_memory_equal(col->ipdict[col->ipid[r]], ref->ip[r], 16);
		} else if (ref->types[r] == VG_T_IP) {
			assert_memory_equal(col->ip[r], ref->ip[r], 16);
		} else if (ref->types[r] == VG_T_INT) {
			assert_int_equal(col->i[r], ref->i[r]);
		}
	}
}

/* A mirror pair column read for rows that hold no mirror row is decoded
 * alone, its partner and `_mirror` left alone; asked for every row, it is
 * restored, and both sides then match a whole-block read. */
static void test_mirror_rows_lazy(void **state)
{
	(void)state;
	char tmp[] = "/tmp/vigil-vec.XXXXXX";
	vg_seg *s = flows_segment(tmp);
	vg_err e = {0};
	int ca = vg_seg_col(s, "action"), cs = vg_seg_col(s, "srcaddr"), cd = vg_seg_col(s, "dstaddr");
	int cm = s->mirror_col;
	assert_true(ca >= 0 && cs >= 0 && cd >= 0 && cm >= 0);
	assert_int_equal(s->partner[cs], cd);
	assert_true(s->blocks[0].chunks[cm].len > 0); /* the replies are mirror rows */
	vg_arena a = {0};
	vg_col ref_s = full_col(s, (uint32_t)cs, &a), ref_d = full_col(s, (uint32_t)cd, &a);
	vg_blk bk;
	vg_blk_open(&bk, s, 0, NULL);
	uint32_t rows[64], n = reject_rows(&bk, (uint32_t)ca, rows);
	assert_int_equal(n, 14);
	assert_int_equal(vg_blk_load_col_rows(&bk, (uint32_t)cs, rows, n, &e), 0);
	assert_true(bk.loaded[cs] && bk.partial[cs]);
	assert_false(bk.loaded[cd] || bk.partial[cd] || bk.loaded[cm]);
	assert_same_rows(&bk.cols[cs], &ref_s, rows, n);
	/* Every row: restored, from dstaddr as stored, kept for its turn. */
	uint32_t *all = every_row(bk.n);
	assert_int_equal(vg_blk_load_col_rows(&bk, (uint32_t)cs, all, bk.n, &e), 0);
	assert_true(bk.loaded[cs] && !bk.partial[cs] && bk.loaded[cm]);
	assert_true(bk.partial[cd] && !bk.loaded[cd]);
	assert_same_rows(&bk.cols[cs], &ref_s, NULL, bk.n);
	assert_int_equal(vg_blk_load_col(&bk, (uint32_t)cd, &e), 0);
	assert_true(bk.loaded[cd] && !bk.partial[cd]);
	assert_same_rows(&bk.cols[cd], &ref_d, NULL, bk.n);
	free(all);
	vg_blk_release(&bk);
	vg_arena_free(&a);
	vg_seg_close(s);
	rm_tmp(tmp);
}

/* An address column read for counting comes as dictionary ids when no
 * row asked for is a mirror row, else restored as addresses; a later
 * whole read turns the ids into the same addresses. */
static void test_address_ids(void **state)
{
	(void)state;
	char tmp[] = "/tmp/vigil-vec.XXXXXX";
	vg_seg *s = flows_segment(tmp);
	vg_err e = {0};
	int ca = vg_seg_col(s, "action"), cs = vg_seg_col(s, "srcaddr"), cd = vg_seg_col(s, "dstaddr");
	assert_true(ca >= 0 && cs >= 0 && cd >= 0);
	vg_arena a = {0};
	vg_col ref_s = full_col(s, (uint32_t)cs, &a), ref_d = full_col(s, (uint32_t)cd, &a);
	vg_blk bk;
	vg_blk_open(&bk, s, 0, NULL);
	uint32_t rows[64], n = reject_rows(&bk, (uint32_t)ca, rows);
	assert_int_equal(n, 14);
	const vg_col *ids = NULL;
	assert_int_equal(vg_blk_load_col_ids(&bk, (uint32_t)cs, rows, n, &ids, &e), 0);
	assert_ptr_equal(ids, &bk.idcols[cs]);
	assert_non_null(ids->ipid);
	assert_null(ids->ip);
	assert_false(bk.loaded[cs] || bk.partial[cs] || bk.loaded[s->mirror_col]);
	assert_same_rows(ids, &ref_s, rows, n);
	/* dstaddr as ids for the rejected rows too. */
	assert_int_equal(vg_blk_load_col_ids(&bk, (uint32_t)cd, rows, n, &ids, &e), 0);
	assert_true(bk.idok[cd] && ids->ipid != NULL);
	assert_same_rows(ids, &ref_d, rows, n);
	/* Every row holds mirror rows: srcaddr restored as
	 * vg_blk_load_col_rows does, from the stored ids of both columns
	 * turned into addresses, neither decoded again. */
	uint32_t *all = every_row(bk.n);
	assert_int_equal(vg_blk_load_col_ids(&bk, (uint32_t)cs, all, bk.n, &ids, &e), 0);
	assert_ptr_equal(ids, &bk.cols[cs]);
	assert_true(bk.loaded[cs] && !bk.partial[cs] && !bk.idok[cs]);
	assert_true(bk.partial[cd] && !bk.loaded[cd] && !bk.idok[cd]);
	assert_same_rows(ids, &ref_s, NULL, bk.n);
	assert_int_equal(vg_blk_load_col(&bk, (uint32_t)cd, &e), 0);
	assert_true(bk.loaded[cd] && !bk.partial[cd]);
	assert_same_rows(&bk.cols[cd], &ref_d, NULL, bk.n);
	free(all);
	vg_blk_release(&bk);
	vg_arena_free(&a);
	vg_seg_close(s);
	rm_tmp(tmp);
}

/* Many flows of few values, in a block long enough for the block path's
 * 16-row steps: integer sums per small by value that pass 2^63 (kept
 * exact), by values past the direct table, IPv6 and IPv4 addresses
 * counted, grouped and told apart by dictionary id. The memtable (row
 * path) and the segments must agree. */
static void test_wide_values(void **state)
{
	(void)state;
	char tmp[] = "/tmp/vigil-vec.XXXXXX";
	assert_non_null(mkdtemp(tmp));
	char data[64], mem[64], seg[64];
	snprintf(data, sizeof data, "%s/wide.log", tmp);
	snprintf(mem, sizeof mem, "%s/mem", tmp);
	snprintf(seg, sizeof seg, "%s/seg", tmp);
	FILE *f = fopen(data, "w");
	assert_non_null(f);
	static const char *const srcs[] = {"10.0.0.1", "2001:db8::1", "10.0.0.2", "2001:db8::2",
					   "192.0.2.7"};
	static const int dports[] = {80, 443, 22, 8080};
	static const long long packets[] = {1, 70000, 123456789, 5};
	fputs("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets "
	      "bytes start end action log-status\n", f);
	for (int k = 0; k < 400; k++) {
		/* The sums of dstport 80 pass INT64_MAX; the others stay small. */
		long long bytes = k % 4 == 0 ? 4000000000000000000ll : k * 7 + 1;
		fprintf(f, "2 123456789012 eni-0a1 %s 10.1.%d.%d %d %d 6 %lld %lld %d %d %s OK\n",
			srcs[k % 5], k / 200, k % 200, 40000 + k, dports[k % 4], packets[k / 3 % 4], bytes,
			1795168800 + k, 1795168860 + k, k % 3 ? "ACCEPT" : "REJECT");
	}
	fclose(f);
	char *files[] = {data};
	make_store(mem, files, 1, files, 0, 0, 0);
	make_store(seg, files, 1, files, 0, 1, 0);
	/* The addresses are stored as such, in a dictionary of five. */
	char path[96];
	snprintf(path, sizeof path, "%s/seg/00000001.vseg", seg);
	vg_seg *s;
	vg_err e = {0};
	assert_int_equal(vg_seg_open(path, &s, &e), 0);
	int cs = vg_seg_col(s, "srcaddr");
	assert_true(cs >= 0 && s->nblocks == 1 && s->blocks[0].nrows == 400);
	assert_int_equal(s->coltypes[cs], 1u << VG_T_IP);
	assert_int_equal(s->blocks[0].chunks[cs].st.ndistinct, 5);
	assert_int_equal(s->blocks[0].chunks[vg_seg_col(s, "dstaddr")].st.ndistinct, 400);
	vg_seg_close(s);
	static const char *const wide[] = {
		"| stats count, sum(bytes), avg(bytes), count(bytes) by dstport",
		"action=REJECT | stats sum(bytes) by dstport",
		"| stats count, sum(bytes) by packets",
		"| top 5 srcaddr",
		"| stats dc(srcaddr), count",
		"| stats dc(srcaddr) by action",
		"action=REJECT | stats count by srcaddr",
		"action=ACCEPT | stats count, dc(srcaddr) by dstport",
		/* Distinct in every row: stored without a dictionary. */
		"| top 3 dstaddr",
		"action=REJECT | stats count, dc(dstaddr) by srcaddr",
	};
	for (size_t k = 0; k < sizeof wide / sizeof *wide; k++) {
		char *a = run(mem, wide[k]), *b = run(seg, wide[k]);
		if (strcmp(a, b) != 0)
			fail_msg("%s\n--- memtable\n%s--- segments\n%s", wide[k], a, b);
		const char *nl = strchr(a, '\n');
		if (nl == NULL || nl[1] == 0)
			fail_msg("%s selects nothing:\n%s", wide[k], a);
		free(a);
		free(b);
	}
	/* The sum past 2^63 is there: 100 flows of 4e18 (printed as a
	 * double, as every sum past 64 bits). */
	char *sums = run(seg, "dstport=80 | stats sum(bytes)");
	assert_string_equal(sums, "sum(bytes)\n4e+20\n");
	free(sums);
	rm_tmp(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_stores_agree),
		cmocka_unit_test(test_mirror_rows_lazy),
		cmocka_unit_test(test_address_ids),
		cmocka_unit_test(test_wide_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
