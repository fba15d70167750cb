/* test_tailer.c — file tailing (server/tailer.h): cutting on line
 * boundaries, finding a file's saved position, loading positions back
 * from a store (memtable and segments), and whole rounds against a real
 * store and writer: partial lines, rotation by rename, truncation, .gz
 * read once, restarts without duplicates, a pause below the disk budget. Rounds are driven here, one at
 * a time, so nothing depends on the tailer's thread or its timing. */
#include "testutil.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "query/exec.h"
#include "query/qparse.h"
#include "server/tailer.h"
#include "util/timeutil.h"

static char dir[256];

static int setup(void **st)
{
	(void)st;
	snprintf(dir, sizeof dir, "/tmp/vigil-test-tailer.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd);
}

/* ------------------------------------------------------------ cutting */

static void test_cut(void **state)
{
	(void)state;
	const char *s = "one\ntwo\nthr";
	assert_int_equal(vg_tail_cut(s, strlen(s), 100, 0), 8);    /* up to "two\n" */
	assert_int_equal(vg_tail_cut(s, strlen(s), 100, 1), 11);   /* finished: all */
	assert_int_equal(vg_tail_cut("abc", 3, 100, 0), 0);         /* nothing complete */
	assert_int_equal(vg_tail_cut("abc", 3, 3, 0), 3);           /* one line fills the job */
	assert_int_equal(vg_tail_cut("a\nbc", 4, 4, 0), 2);         /* full, but a newline */
	assert_int_equal(vg_tail_cut("a\n", 2, 100, 0), 2);
	assert_int_equal(vg_tail_cut("", 0, 100, 1), 0);
}

/* ------------------------------------------------------------ finding */

static vg_tail_mark mk(uint64_t dev, uint64_t ino, const char *head, uint32_t fplen,
		       uint64_t off, int64_t t)
{
	vg_tail_mark m = {.dev = dev, .ino = ino, .fplen = fplen, .offset = off, .t = t};
	m.fp = vg_tail_fp(head, fplen);
	return m;
}

static void test_find(void **state)
{
	(void)state;
	char a[2048], b[2048];
	memset(a, 'a', sizeof a);
	memset(b, 'b', sizeof b);
	vg_tail_marks ms = {0};
	vg_tail_mark m1 = mk(1, 10, a, 20, 500, 100);
	vg_tail_marks_put(&ms, &m1);
	/* Same file, grown: its first 20 bytes still match. */
	const vg_tail_mark *f = vg_tail_marks_find(&ms, 1, 10, a, 600);
	assert_non_null(f);
	assert_int_equal(f->offset, 500);
	/* Inode reused by another file: the fingerprint says no. */
	assert_null(vg_tail_marks_find(&ms, 1, 10, b, 600));
	/* Content shorter than the fingerprint: not the same file. */
	assert_null(vg_tail_marks_find(&ms, 1, 10, a, 10));
	/* A short fingerprint never matches another inode (too weak). */
	assert_null(vg_tail_marks_find(&ms, 1, 11, a, 600));

	/* Full fingerprints identify copies; the newest record wins. */
	vg_tail_mark m2 = mk(1, 20, b, VG_TAIL_FP_BYTES, 7000, 200);
	vg_tail_mark m3 = mk(1, 21, b, VG_TAIL_FP_BYTES, 9000, 300);
	vg_tail_marks_put(&ms, &m2);
	vg_tail_marks_put(&ms, &m3);
	f = vg_tail_marks_find(&ms, 2, 99, b, 2048);
	assert_non_null(f);
	assert_int_equal(f->offset, 9000);
	assert_null(vg_tail_marks_find(&ms, 2, 99, b, VG_TAIL_FP_BYTES - 1));
	/* Its own (dev, ino) comes first, even when older. */
	f = vg_tail_marks_find(&ms, 1, 20, b, 2048);
	assert_int_equal(f->offset, 7000);

	/* put replaces the mark of the same file. */
	vg_tail_mark m4 = mk(1, 10, b, 30, 42, 400);
	vg_tail_marks_put(&ms, &m4);
	assert_int_equal(ms.n, 3);
	assert_int_equal(ms.last_t, 400);
	assert_null(vg_tail_marks_find(&ms, 1, 10, a, 600));
	assert_int_equal(vg_tail_marks_find(&ms, 1, 10, b, 600)->offset, 42);
	vg_tail_marks_free(&ms);
}

/* ------------------------------------------------------------ loading */

static void test_load(void **state)
{
	(void)state;
	vg_store_opts o;
	vg_store_defaults(&o);
	vg_store *st;
	vg_err e = {0};
	assert_int_equal(vg_store_open(dir, &o, &st, &e), 0);
	vg_tail_marks ms;
	assert_int_equal(vg_tail_marks_load(st, &ms, &e), 0);
	assert_int_equal(ms.n, 0);
	vg_tail_marks_free(&ms);

	/* Three records of file (5, 1), one of (5, 2); the newest by time
	 * counts, whatever the order of writing. A segment, then the WAL. */
	vg_batch *b = vg_store_batch(st);
	vg_tail_mark r1 = {.dev = 5, .ino = 1, .fp = 0xfedcba9876543210ull, .fplen = 1024,
			   .offset = 100, .t = 1000};
	vg_tail_mark r2 = r1, r3 = r1, other = r1;
	r2.offset = 300;
	r2.t = 3000;
	r3.offset = 200;
	r3.t = 2000;
	other.ino = 2;
	other.offset = 77;
	other.done = 1;
	other.t = 1500;
	vg_tail_mark_event(b, &r1, "/var/log/a.log");
	vg_tail_mark_event(b, &r2, "/var/log/a.log");
	assert_int_equal(vg_store_seal(st, &e), 0);
	vg_tail_mark_event(b, &r3, "/var/log/a.log.1");
	vg_tail_mark_event(b, &other, "/var/log/b.gz");
	assert_int_equal(vg_store_commit(st, &e), 0);
	assert_int_equal(vg_store_close(st, &e), 0);

	assert_int_equal(vg_store_open(dir, &o, &st, &e), 0);
	assert_int_equal(vg_tail_marks_load(st, &ms, &e), 0);
	assert_int_equal(ms.n, 2);
	assert_int_equal(ms.last_t, 3000);
	for (size_t k = 0; k < ms.n; k++) {
		const vg_tail_mark *m = &ms.v[k];
		assert_int_equal(m->dev, 5);
		if (m->ino == 1) {
			assert_int_equal(m->offset, 300);
			assert_int_equal(m->t, 3000);
			assert_true(m->fp == 0xfedcba9876543210ull);
			assert_int_equal(m->fplen, 1024);
			assert_int_equal(m->done, 0);
		} else {
			assert_int_equal(m->ino, 2);
			assert_int_equal(m->offset, 77);
			assert_int_equal(m->done, 1);
		}
	}
	vg_tail_marks_free(&ms);
	assert_int_equal(vg_store_close(st, &e), 0);
}

/* ------------------------------------------------------------ rounds */

typedef struct rig {
	vg_store *st;
	vg_writer *w;
	vg_tailer *t;
	vg_tail_spec spec;
	vg_tailer_opts o;
	char logs[300], glob[320], log[320];
	FILE *logf;
} rig;

static void rig_tailer(rig *r)
{
	vg_err e = {0};
	assert_int_equal(vg_tailer_new(r->w, &r->o, &r->t, &e), 0);
}

static void rig_open(rig *r)
{
	vg_store_opts so;
	vg_store_defaults(&so);
	vg_err e = {0};
	assert_int_equal(vg_store_open(dir, &so, &r->st, &e), 0);
	assert_int_equal(vg_writer_start(r->st, 64u << 20, &r->w, &e), 0);
	rig_tailer(r);
}

static void rig_close(rig *r)
{
	vg_tailer_free(r->t);
	vg_writer_stop(r->w);
	vg_err e = {0};
	assert_int_equal(vg_store_close(r->st, &e), 0);
}

static void rig_init(rig *r)
{
	memset(r, 0, sizeof *r);
	snprintf(r->logs, sizeof r->logs, "%s/logs", dir);
	assert_int_equal(mkdir(r->logs, 0755), 0);
	snprintf(r->glob, sizeof r->glob, "%s/*.log*", r->logs);
	snprintf(r->log, sizeof r->log, "%s/tailer.err", dir);
	r->logf = fopen(r->log, "w+");
	assert_non_null(r->logf);
	r->spec.path = r->glob;
	r->spec.format = "text";
	r->spec.group = "tt";
	r->spec.exclude = "*.skip*";
	vg_tailer_defaults(&r->o);
	r->o.specs = &r->spec;
	r->o.nspecs = 1;
	r->o.grace_ns = 0;
	r->o.settle_ns = 0;
	r->o.log = r->logf;
	rig_open(r);
}

static void rounds(rig *r)
{
	for (int k = 0; k < 3; k++)
		vg_tailer_round(r->t);
}

/* The rows of `q` as "value count" lines, or the error. */
static uint64_t count(rig *r, const char *q)
{
	vg_query *query;
	vg_err e = {0};
	assert_int_equal(vg_query_parse(q, strlen(q), vg_now_ns(), &query, &e), 0);
	vg_exec_opts eo = {.from = INT64_MIN, .to = INT64_MAX, .now_ns = vg_now_ns()};
	vg_result res;
	vg_store *st = vg_writer_read_lock(r->w);
	int rc = vg_exec(st, query, &eo, &res, &e);
	vg_writer_read_unlock(r->w);
	assert_int_equal(rc, 0);
	assert_int_equal(res.nrows, 1);
	uint64_t n = (uint64_t)res.cells[0].i;
	vg_result_free(&res);
	vg_query_free(query);
	return n;
}

#define LINES(r) count(r, "group=tt | stats count")
#define DISTINCT(r) count(r, "group=tt | stats dc(_raw)")

static void append(const char *path, const char *s)
{
	FILE *f = fopen(path, "a");
	assert_non_null(f);
	fputs(s, f);
	fclose(f);
}

static void path_in(const rig *r, char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", r->logs, name);
}

static void test_rounds(void **state)
{
	(void)state;
	rig r;
	rig_init(&r);
	char a[400], a1[400], z[400], skip[400];
	path_in(&r, a, sizeof a, "app.log");
	path_in(&r, a1, sizeof a1, "app.log.1");
	path_in(&r, z, sizeof z, "old.log.gz");
	path_in(&r, skip, sizeof skip, "x.skip.log");

	/* Complete lines count; a partial line waits for its newline. */
	append(a, "l1\nl2\nl3 part");
	append(skip, "excluded\n");
	rounds(&r);
	assert_int_equal(LINES(&r), 2);
	append(a, "ial\n");
	rounds(&r);
	assert_int_equal(LINES(&r), 3);
	assert_int_equal(count(&r, "group=tt \"l3 partial\" | stats count"), 1);

	/* Rotation by rename: the old file is drained (its last line
	 * without a newline too, once it is finished), the new starts at 0. */
	append(a, "l4\nl5 end");
	char a2[400];
	path_in(&r, a2, sizeof a2, "app.old");
	assert_int_equal(rename(a, a2), 0);
	append(a, "n1\nn2\n");
	rounds(&r);
	assert_int_equal(LINES(&r), 7);
	assert_int_equal(count(&r, "group=tt \"l5 end\" | stats count"), 1);

	/* Rename within the glob: same file, no re-read. */
	assert_int_equal(rename(a, a1), 0);
	append(a1, "n3\n");
	rounds(&r);
	assert_int_equal(LINES(&r), 8);

	/* Truncation: read from the start again. */
	FILE *f = fopen(a1, "w");
	fputs("t1\n", f);
	fclose(f);
	rounds(&r);
	assert_int_equal(LINES(&r), 9);

	/* A .gz file is read once, whole, however many rounds pass. */
	gzFile gz = gzopen(z, "wb");
	for (int k = 0; k < 1000; k++)
		gzprintf(gz, "gz line %d\n", k);
	gzputs(gz, "gz last without newline");
	gzclose(gz);
	rounds(&r);
	rounds(&r);
	assert_int_equal(LINES(&r), 1010);

	/* Restart: nothing is read twice, and new lines still come. */
	vg_tailer_free(r.t);
	rig_tailer(&r);
	rounds(&r);
	assert_int_equal(LINES(&r), 1010);
	append(a1, "t2\n");
	rounds(&r);
	assert_int_equal(LINES(&r), 1011);

	/* Restart of the whole store (memtable from the WAL, then a seal). */
	rig_close(&r);
	rig_open(&r);
	rounds(&r);
	assert_int_equal(LINES(&r), 1011);
	assert_int_equal(DISTINCT(&r), 1011);

	/* Copytruncate with a rotated name the glob matches: the copy is
	 * recognised by its fingerprint and not read again. */
	char big[400], bigc[400], line[64];
	path_in(&r, big, sizeof big, "big.log");
	path_in(&r, bigc, sizeof bigc, "big.log.1");
	f = fopen(big, "w");
	for (int k = 0; k < 200; k++)
		fprintf(f, "big line %03d\n", k);
	fclose(f);
	rounds(&r);
	assert_int_equal(LINES(&r), 1211);
	char cmd[1400];
	snprintf(cmd, sizeof cmd, "cp %s %s && : > %s", big, bigc, big);
	assert_int_equal(system(cmd), 0);
	snprintf(line, sizeof line, "after\n");
	append(big, line);
	rounds(&r);
	assert_int_equal(LINES(&r), 1212);
	assert_int_equal(DISTINCT(&r), 1212);

	/* Compressed rotation of a file read before: not read again. */
	snprintf(cmd, sizeof cmd, "gzip %s", bigc);
	assert_int_equal(system(cmd), 0);
	rounds(&r);
	assert_int_equal(LINES(&r), 1212);

	/* Problems are reported once, and retried. */
	char locked[400];
	path_in(&r, locked, sizeof locked, "locked.log");
	append(locked, "secret\n");
	chmod(locked, 0);
	if (access(locked, R_OK) != 0) { /* not root */
		rounds(&r);
		rounds(&r);
		fflush(r.logf);
		size_t n;
		char *log = slurp(r.log, &n);
		assert_non_null(log);
		char *p = strstr(log, "locked.log: cannot open");
		assert_non_null(p);
		assert_null(strstr(p + 1, "locked.log: cannot open"));
		free(log);
		chmod(locked, 0644);
		rounds(&r);
		assert_int_equal(LINES(&r), 1213);
	}
	rig_close(&r);
	fclose(r.logf);
}

/* With a real settle time: a young file under 1 KiB waits (it may be a
 * copy still being written), a young .gz waits; a copy caught half
 * written is neither taken for a truncation nor read again. */
static void test_young(void **state)
{
	(void)state;
	rig r;
	memset(&r, 0, sizeof r);
	rig_init(&r);
	vg_tailer_free(r.t);
	r.o.settle_ns = 3600 * VG_NS_PER_SEC;
	rig_tailer(&r);
	char a[400], c[400], z[400];
	path_in(&r, a, sizeof a, "young.log");
	path_in(&r, c, sizeof c, "young.log.1");
	path_in(&r, z, sizeof z, "young.log.gz");
	append(a, "y1\ny2\n");
	gzFile gz = gzopen(z, "wb");
	gzputs(gz, "zz\n");
	gzclose(gz);
	rounds(&r);
	assert_int_equal(LINES(&r), 0);
	FILE *f = fopen(a, "a");
	for (int k = 0; k < 100; k++)
		fprintf(f, "young line %03d\n", k);
	fclose(f);
	rounds(&r);
	assert_int_equal(LINES(&r), 102);

	/* Half a copy (1500 of 1602 bytes), then the rest. */
	size_t n;
	char *all = slurp(a, &n);
	assert_non_null(all);
	assert_true(n > 1500);
	f = fopen(c, "w");
	fwrite(all, 1, 1500, f);
	fclose(f);
	rounds(&r);
	assert_int_equal(LINES(&r), 102);
	append(c, all + 1500);
	rounds(&r);
	assert_int_equal(LINES(&r), 102);
	free(all);
	fflush(r.logf);
	char *log = slurp(r.log, &n);
	assert_non_null(log);
	assert_null(strstr(log, "truncated"));
	free(log);
	rig_close(&r);
	fclose(r.logf);
}

/* Writes "1000000000000" (a terabyte free) into the file at arg after
 * 300 ms: the disk space coming back while the tailer waits. */
static void *free_later(void *arg)
{
	usleep(300000);
	FILE *f = fopen(arg, "w");
	if (f) {
		fputs("1000000000000\n", f);
		fclose(f);
	}
	return NULL;
}

/* Below the disk budget (writer.h) the tailer pauses: its round waits,
 * reading nothing, and goes on by itself once space is freed; every line
 * once. */
static void test_disk_budget(void **state)
{
	(void)state;
	rig r;
	rig_init(&r);
	char a[400], freef[400];
	path_in(&r, a, sizeof a, "disk.log");
	snprintf(freef, sizeof freef, "%s/free", dir);
	append(freef, "1000\n");
	vg_writer_set_disk_budget(r.w, dir, 1u << 20, freef);
	append(a, "d1\nd2\nd3\n");
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, free_later, freef), 0);
	int64_t t0 = vg_mono_ns();
	rounds(&r);
	int64_t took = vg_mono_ns() - t0;
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_true(took >= 250 * (int64_t)1000000);
	assert_int_equal(LINES(&r), 3);
	assert_int_equal(DISTINCT(&r), 3);
	vg_writer_stats ws;
	vg_writer_stats_get(r.w, &ws);
	assert_true(ws.refused_disk > 0);
	fflush(r.logf);
	size_t n;
	char *log = slurp(r.log, &n);
	assert_non_null(log);
	assert_non_null(strstr(log, "disk is nearly full"));
	free(log);
	rig_close(&r);
	fclose(r.logf);
}

/* A .gz larger than a round reads, interrupted after the first round
 * (the tailer freed, as at a stop) and resumed by a new tailer: every
 * line once. */
static void test_gz_resume(void **state)
{
	(void)state;
	rig r;
	rig_init(&r);
	char z[400];
	path_in(&r, z, sizeof z, "big.log.gz");
	gzFile gz = gzopen(z, "wb");
	char pad[101];
	memset(pad, 'p', 100);
	pad[100] = 0;
	const int n = 100000; /* ~11 MB: more than one round's 8 MiB */
	for (int k = 0; k < n; k++)
		gzprintf(gz, "%06d %s\n", k, pad);
	gzclose(gz);
	vg_tailer_round(r.t);
	uint64_t first = LINES(&r);
	assert_true(first > 0 && first < (uint64_t)n);
	vg_tailer_free(r.t);
	rig_tailer(&r);
	rounds(&r);
	assert_int_equal(LINES(&r), n);
	assert_int_equal(DISTINCT(&r), n);
	rig_close(&r);
	fclose(r.logf);
}

/* A .gz cut short (still being written, or damaged) is reported once
 * and read when it is whole. */
static void test_gz_cut(void **state)
{
	(void)state;
	rig r;
	rig_init(&r);
	char z[400], tmp[400];
	path_in(&r, z, sizeof z, "cut.log.gz");
	snprintf(tmp, sizeof tmp, "%s/whole.gz", dir);
	gzFile gz = gzopen(tmp, "wb");
	for (int k = 0; k < 50000; k++) /* past the 64 KiB read at attach */
		gzprintf(gz, "cut line %d %d\n", k, k * 7919);
	gzclose(gz);
	size_t n;
	char *whole = slurp(tmp, &n);
	assert_non_null(whole);
	FILE *f = fopen(z, "w");
	fwrite(whole, 1, n / 2, f);
	fclose(f);
	rounds(&r);
	rounds(&r);
	uint64_t before = LINES(&r); /* complete jobs before the cut */
	assert_true(before < 50000);
	struct timespec later[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
	f = fopen(z, "a");
	fwrite(whole + n / 2, 1, n - n / 2, f);
	fclose(f);
	utimensat(AT_FDCWD, z, later, 0);
	rounds(&r);
	assert_int_equal(LINES(&r), 50000);
	assert_int_equal(DISTINCT(&r), 50000);
	fflush(r.logf);
	char *log = slurp(r.log, &n);
	assert_non_null(log);
	char *p = strstr(log, "cut.log.gz: gzip data damaged or cut short");
	assert_non_null(p);
	assert_null(strstr(p + 1, "cut.log.gz: gzip"));
	free(log);
	free(whole);
	rig_close(&r);
	fclose(r.logf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_find),
		cmocka_unit_test_setup_teardown(test_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_young, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gz_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gz_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disk_budget, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
