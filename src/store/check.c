/*
 * check.c — `vigil check`: verify a store without changing it.
 *
 * Every finding is one line on the report: "ok ..." for what verified,
 * "note ..." for what is expected after a crash and harmless (a torn WAL
 * tail, an orphan segment from an interrupted seal), "FAIL ..." for what is
 * wrong. The result is 0 only when nothing failed.
 */
#include <dirent.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/manifest.h"
#include "store/store.h"
#include "store/wal.h"

typedef struct checker {
	FILE *out;
	int verbose;
	int fails;
	uint64_t segs, rows, bytes, dropped, wal_records, wal_events;
} checker;

static void fail(checker *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(checker *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("FAIL ", c->out);
	vfprintf(c->out, fmt, ap);
	fputc('\n', c->out);
	va_end(ap);
	c->fails++;
}

static void check_segment(checker *c, const char *dir, const vg_seginfo *info,
			  const uint8_t prev[VG_HASH_LEN])
{
	char p[4200];
	snprintf(p, sizeof p, "%s/seg/%08" PRIu64 ".vseg", dir, info->seq);
	vg_seg *s = NULL;
	vg_err e = {0};
	if (vg_seg_open(p, &s, &e) != 0) {
		fail(c, "segment %" PRIu64 ": %s", info->seq, e.msg);
		vg_seg_close(s);
		return;
	}
	if (s->seq != info->seq || strcmp(s->group, info->group) != 0 || s->day != info->day ||
	    s->nrows != info->nrows)
		fail(c, "segment %" PRIu64 ": its footer does not match the manifest", info->seq);
	else if (memcmp(s->content_hash, info->content_hash, VG_HASH_LEN) != 0)
		fail(c, "segment %" PRIu64 ": content hash differs from the manifest's", info->seq);
	else if (memcmp(s->prev_chain, prev, VG_HASH_LEN) != 0)
		fail(c, "segment %" PRIu64 ": chain broken (the previous segment was removed or replaced)",
		     info->seq);
	else if (memcmp(s->chain, info->chain, VG_HASH_LEN) != 0)
		fail(c, "segment %" PRIu64 ": chain hash differs from the manifest's", info->seq);
	else if (vg_seg_verify(s, &e) != 0)
		fail(c, "%s", e.msg);
	else {
		c->segs++;
		c->rows += info->nrows;
		c->bytes += info->bytes;
		if (c->verbose)
			fprintf(c->out, "ok segment %" PRIu64 " %s %" PRIu64 " rows %" PRIu64 " bytes\n",
				info->seq, info->group, info->nrows, info->bytes);
	}
	vg_seg_close(s);
}

static void check_orphans(checker *c, const char *dir, const vg_manifest *m)
{
	char d[4096];
	snprintf(d, sizeof d, "%s/seg", dir);
	DIR *dp = opendir(d);
	if (dp == NULL)
		return;
	struct dirent *e;
	while ((e = readdir(dp)) != NULL) {
		uint64_t seq;
		if (e->d_name[0] == '.' || sscanf(e->d_name, "%" SCNu64, &seq) != 1)
			continue;
		int known = 0;
		for (size_t k = 0; k < m->n && !known; k++)
			known = !m->ents[k].dropped && m->ents[k].info.seq == seq &&
				strstr(e->d_name, ".tmp") == NULL;
		if (!known && seq >= m->next_seq)
			fprintf(c->out, "note %s: left by an interrupted seal; removed at the next open\n",
				e->d_name);
		else if (!known)
			fail(c, "%s: segment file not in the manifest", e->d_name);
	}
	closedir(dp);
	/* Segments the manifest names must exist: checked per segment. */
}

static void check_wal(checker *c, const char *dir, uint64_t gen)
{
	char p[4200];
	snprintf(p, sizeof p, "%s/wal/%06" PRIu64 ".wal", dir, gen);
	vg_batch b;
	vg_batch_init(&b);
	vg_wal_replay r;
	vg_err e = {0};
	if (vg_wal_replay_file(p, &b, &r, &e) != 0)
		fail(c, "WAL: %s", e.msg);
	else if (r.later_valid)
		fail(c, "WAL %s: damaged record at byte %" PRIu64 " (%s) with valid records after it",
		     p, r.valid_bytes, r.torn_reason);
	else {
		c->wal_records = r.records;
		c->wal_events = r.events;
		if (r.torn_bytes)
			fprintf(c->out,
				"note WAL: %" PRIu64 " bytes after the last complete record (%s): "
				"an interrupted write, never acknowledged; dropped at the next open\n",
				r.torn_bytes, r.torn_reason);
	}
	vg_batch_free(&b);
}

int vg_store_check(const char *dir, FILE *report, int verbose, vg_err *err)
{
	checker c = {.out = report, .verbose = verbose};
	vg_manifest m;
	int exists;
	vg_err e = {0};
	if (vg_manifest_load(dir, &m, &exists, &e) != 0) {
		fail(&c, "%s", e.msg);
		return vg_seterr(err, VG_ECORRUPT, -1, "the store does not verify: %d problem(s)",
				 c.fails);
	}
	if (!exists)
		return vg_seterr(err, VG_ENOTFOUND, -1, "no store at %s (no MANIFEST)", dir);
	uint8_t prev[VG_HASH_LEN] = {0};
	uint64_t last_seq = 0;
	for (size_t k = 0; k < m.n; k++) {
		const vg_manifest_ent *me = &m.ents[k];
		if (me->info.seq <= last_seq)
			fail(&c, "manifest: segment %" PRIu64 " out of order", me->info.seq);
		last_seq = me->info.seq;
		uint8_t want[VG_HASH_LEN];
		vg_seg_chain(prev, me->info.content_hash, me->info.seq, want);
		if (memcmp(want, me->info.chain, VG_HASH_LEN) != 0)
			fail(&c, "manifest: chain broken at segment %" PRIu64, me->info.seq);
		if (!me->dropped)
			check_segment(&c, dir, &me->info, prev);
		else
			c.dropped++;
		memcpy(prev, me->info.chain, VG_HASH_LEN);
	}
	check_orphans(&c, dir, &m);
	check_wal(&c, dir, m.wal_gen);
	fprintf(report,
		"%s %" PRIu64 " segments (%" PRIu64 " events, %" PRIu64 " bytes), a hash chain of %zu links "
		"(%" PRIu64 " removed by retention), the WAL (%" PRIu64 " records, %" PRIu64 " events)\n",
		c.fails ? "checked" : "verified", c.segs, c.rows, c.bytes, m.n, c.dropped,
		c.wal_records, c.wal_events);
	vg_manifest_free(&m);
	if (c.fails)
		return vg_seterr(err, VG_ECORRUPT, -1, "the store does not verify: %d problem(s)",
				 c.fails);
	return 0;
}
