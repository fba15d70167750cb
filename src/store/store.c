/*
 * store.c — open, commit, seal, retention and verification of a store
 * directory (see store.h for the design and the crash argument).
 */
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/manifest.h"
#include "store/wal.h"
#include "util/timeutil.h"

struct vg_store {
	char *dir;
	vg_store_opts o;
	int lockfd;
	vg_manifest man;
	vg_batch mem;
	size_t committed;         /* mem events already durable */
	vg_wal wal;
	int have_wal;
	uint64_t wal_torn;
	/* Seal scratch (write_partitions), kept from one seal to the next
	 * in a store that seals at every commit, a bulk load, which would
	 * otherwise have fresh pages faulted in for each. */
	struct rowkey *sealk, *sealtmp;
	uint32_t *sealrows;
	size_t capsealk, capsealtmp, capsealrows;
};

void vg_store_defaults(vg_store_opts *o)
{
	memset(o, 0, sizeof *o);
	o->seal_rows = 4u << 20;
	o->seal_bytes = 512u << 20;
	o->wal_max_rows = 1u << 18;
	o->zlevel = 3;
}

static void seg_path(char *out, size_t cap, const char *dir, uint64_t seq)
{
	snprintf(out, cap, "%s/seg/%08" PRIu64 ".vseg", dir, seq);
}

static void wal_path(char *out, size_t cap, const char *dir, uint64_t gen)
{
	snprintf(out, cap, "%s/wal/%06" PRIu64 ".wal", dir, gen);
}

static int mkdirp(const char *d, vg_err *err)
{
	if (mkdir(d, 0755) != 0 && errno != EEXIST)
		return vg_seterr(err, VG_EIO, -1, "cannot create %s: %s", d, strerror(errno));
	return 0;
}

static int take_lock(vg_store *st, vg_err *err)
{
	char p[4200];
	snprintf(p, sizeof p, "%s/LOCK", st->dir);
	st->lockfd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (st->lockfd < 0)
		return vg_seterr(err, VG_EIO, -1, "cannot open %s: %s", p, strerror(errno));
	if (flock(st->lockfd, LOCK_EX | LOCK_NB) != 0) {
		char pid[32] = "?";
		ssize_t n = pread(st->lockfd, pid, sizeof pid - 1, 0);
		if (n > 0) {
			pid[n] = 0;
			pid[strcspn(pid, "\n")] = 0;
		}
		return vg_seterr(err, VG_EBUSY, -1,
				 "the store %s is in use by another vigil process (pid %s); "
				 "only one writer at a time", st->dir, pid);
	}
	char pid[32];
	int n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
	if (ftruncate(st->lockfd, 0) != 0 || pwrite(st->lockfd, pid, (size_t)n, 0) != n)
		return vg_seterr(err, VG_EIO, -1, "cannot write %s", p);
	return 0;
}

/* Remove files a crash left behind: segments the manifest does not name
 * (a seal that did not finish), temporary files, and WAL generations other
 * than the live one. */
static void remove_leftovers(vg_store *st)
{
	char d[4096], p[4400];
	snprintf(d, sizeof d, "%s/seg", st->dir);
	DIR *dp = opendir(d);
	while (dp) {
		struct dirent *e = readdir(dp);
		if (e == NULL)
			break;
		uint64_t seq;
		char tail[16] = "";
		if (e->d_name[0] == '.')
			continue;
		int n = sscanf(e->d_name, "%" SCNu64 ".vseg%15s", &seq, tail);
		if (n >= 1 && (tail[0] != 0 || seq >= st->man.next_seq)) {
			snprintf(p, sizeof p, "%s/%s", d, e->d_name);
			unlink(p);
		}
	}
	if (dp)
		closedir(dp);
	snprintf(d, sizeof d, "%s/wal", st->dir);
	dp = opendir(d);
	while (dp) {
		struct dirent *e = readdir(dp);
		if (e == NULL)
			break;
		uint64_t gen;
		if (sscanf(e->d_name, "%" SCNu64 ".wal", &gen) == 1 && gen != st->man.wal_gen) {
			snprintf(p, sizeof p, "%s/%s", d, e->d_name);
			unlink(p);
		}
	}
	if (dp)
		closedir(dp);
}

static int replay(vg_store *st, vg_err *err)
{
	char p[4200];
	wal_path(p, sizeof p, st->dir, st->man.wal_gen);
	vg_wal_replay r;
	int rc = vg_wal_replay_file(p, &st->mem, &r, err);
	if (rc)
		return rc;
	st->wal_torn = r.torn_bytes;
	st->committed = st->mem.nev;
	if (st->o.readonly)
		return 0;
	rc = vg_wal_open(&st->wal, p, err);
	st->have_wal = rc == 0;
	return rc;
}

int vg_store_open(const char *dir, const vg_store_opts *o, vg_store **out, vg_err *err)
{
	*out = NULL;
	vg_store *st = vg_xcalloc(1, sizeof *st);
	st->dir = vg_xstrndup(dir, strlen(dir));
	st->lockfd = -1;
	st->wal.fd = -1;
	if (o)
		st->o = *o;
	else
		vg_store_defaults(&st->o);
	vg_batch_init(&st->mem);
	int rc = 0;
	char d[4200];
	if (!st->o.readonly) {
		rc = mkdirp(dir, err);
		snprintf(d, sizeof d, "%s/seg", dir);
		if (rc == 0)
			rc = mkdirp(d, err);
		snprintf(d, sizeof d, "%s/wal", dir);
		if (rc == 0)
			rc = mkdirp(d, err);
		if (rc == 0)
			rc = take_lock(st, err);
	} else {
		struct stat sb;
		if (stat(dir, &sb) != 0)
			rc = vg_seterr(err, VG_ENOTFOUND, -1, "no store at %s", dir);
	}
	int exists = 0;
	if (rc == 0)
		rc = vg_manifest_load(dir, &st->man, &exists, err);
	if (rc == 0 && !exists && !st->o.readonly) {
		st->man.wal_gen = 1;
		rc = vg_manifest_save(dir, &st->man, err);
	}
	if (rc == 0 && !st->o.readonly)
		remove_leftovers(st);
	if (rc == 0)
		rc = replay(st, err);
	/* When every commit seals, only the segment writer reads the
	 * memtable's events before they leave it: they may be compact
	 * (batch.h), which is what makes a bulk load cheap. Queries and
	 * followers of a server read rows, and its commits go to the WAL. */
	if (rc == 0 && !st->o.readonly && st->o.wal_max_rows == 0)
		vg_batch_compact(&st->mem, 1);
	if (rc) {
		vg_store_close(st, NULL);
		return rc;
	}
	*out = st;
	return 0;
}

vg_batch *vg_store_batch(vg_store *st)
{
	return &st->mem;
}

const vg_batch *vg_store_mem(const vg_store *st)
{
	return &st->mem;
}

const char *vg_store_dir(const vg_store *st)
{
	return st->dir;
}

/* Sort key of a memtable row for sealing. */
typedef struct rowkey {
	uint32_t group;
	int32_t day;
	int64_t t;
	uint32_t row;
} rowkey;

static int cmp_rowkey(const void *a, const void *b)
{
	const rowkey *x = a, *y = b;
	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

/* Radix key of time t: its offset from the smallest time tmin, in whole
 * seconds when secs (every time is one). */
static inline uint64_t time_key(int64_t t, int64_t tmin, int secs)
{
	uint64_t u = (uint64_t)t - (uint64_t)tmin;
	return secs ? u / VG_NS_PER_SEC : u;
}

/* Stable radix sort of k[0..n) by time, then by group: the order of
 * cmp_rowkey (a day is a range of times), without its comparisons.
 * tmp is scratch for n keys. */
static void sort_rowkeys(rowkey *k, rowkey *tmp, size_t n)
{
	/* One pass counts every byte of the times (offset from the
	 * smallest, so that they compare as unsigned), then a pass per byte
	 * that is not the same in every key, least significant first. Times
	 * that are all whole seconds (flow records) are sorted in seconds:
	 * the same order in a third of the passes, as an hour's span of
	 * seconds takes two bytes and of nanoseconds six. */
	int64_t tmin = k[0].t;
	int secs = 1;
	for (size_t i = 0; i < n; i++) {
		tmin = k[i].t < tmin ? k[i].t : tmin;
		secs &= k[i].t % VG_NS_PER_SEC == 0;
	}
	size_t (*cnt)[256] = vg_xcalloc(8, sizeof *cnt);
	for (size_t i = 0; i < n; i++) {
		uint64_t u = time_key(k[i].t, tmin, secs);
		for (unsigned d = 0; d < 8; d++)
			cnt[d][(u >> (8 * d)) & 255]++;
	}
	/* Each pass moves the keys from src to dst, which then trade
	 * places: the sorted keys end in one of k and tmp. */
	rowkey *src = k, *dst = tmp, *swap;
	for (unsigned d = 0; d < 8; d++) {
		if (cnt[d][(time_key(src[0].t, tmin, secs) >> (8 * d)) & 255] == n)
			continue;
		size_t sum = 0;
		for (unsigned v = 0; v < 256; v++) {
			size_t c = cnt[d][v];
			cnt[d][v] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++) {
			uint64_t u = time_key(src[i].t, tmin, secs);
			dst[cnt[d][(u >> (8 * d)) & 255]++] = src[i];
		}
		swap = src, src = dst, dst = swap;
	}
	free(cnt);
	/* Groups are few and small numbers: a counting sort. */
	uint32_t gmax = 0;
	for (size_t i = 0; i < n; i++)
		gmax = src[i].group > gmax ? src[i].group : gmax;
	if (gmax != 0) {
		size_t *gc = vg_xcalloc((size_t)gmax + 2, sizeof *gc);
		for (size_t i = 0; i < n; i++)
			gc[src[i].group + 1]++;
		for (uint32_t g = 1; g <= gmax + 1; g++)
			gc[g] += gc[g - 1];
		for (size_t i = 0; i < n; i++)
			dst[gc[src[i].group]++] = src[i];
		free(gc);
		swap = src, src = dst, dst = swap;
	}
	if (src != k)
		memcpy(k, src, n * sizeof *k);
}

static void seal_scratch_free(vg_store *st)
{
	free(st->sealk);
	free(st->sealtmp);
	free(st->sealrows);
	st->sealk = st->sealtmp = NULL;
	st->sealrows = NULL;
	st->capsealk = st->capsealtmp = st->capsealrows = 0;
}

static int write_partitions(vg_store *st, vg_err *err)
{
	vg_batch *b = &st->mem;
	size_t n = b->nev;
	vg_grow(&st->sealk, &st->capsealk, n ? n : 1, sizeof *st->sealk);
	rowkey *k = st->sealk;
	int sorted = 1;
	for (size_t i = 0; i < n; i++) {
		k[i].group = b->ev[i].group;
		k[i].day = (int32_t)vg_day_of(b->ev[i].t);
		k[i].t = b->ev[i].t;
		k[i].row = (uint32_t)i;
		if (i && cmp_rowkey(&k[i - 1], &k[i]) > 0)
			sorted = 0;
	}
	if (!sorted) {
		vg_grow(&st->sealtmp, &st->capsealtmp, n, sizeof *st->sealtmp);
		sort_rowkeys(k, st->sealtmp, n);
	}
	vg_grow(&st->sealrows, &st->capsealrows, n ? n : 1, sizeof *st->sealrows);
	uint32_t *rows = st->sealrows;
	for (size_t i = 0; i < n; i++)
		rows[i] = k[i].row;
	int rc = 0;
	for (size_t lo = 0; lo < n && rc == 0;) {
		size_t hi = lo + 1;
		while (hi < n && k[hi].group == k[lo].group && k[hi].day == k[lo].day)
			hi++;
		uint8_t prev[VG_HASH_LEN];
		vg_manifest_head(&st->man, prev);
		uint64_t seq = st->man.next_seq;
		char p[4200];
		seg_path(p, sizeof p, st->dir, seq);
		vg_seginfo info;
		const char *g = vg_strtab_get(&b->groups, k[lo].group, NULL);
		rc = vg_seg_write(p, b, rows + lo, hi - lo, seq, g, k[lo].day, prev,
				  vg_batch_group_sortkey(b, k[lo].group), st->o.zlevel, &info, err);
		if (rc == 0) {
			vg_manifest_add(&st->man, &info);
			st->man.next_seq = seq + 1;
		}
		lo = hi;
	}
	/* A server seals now and then: its scratch would sit unused in
	 * between, up to 52 bytes per row of a full memtable. */
	if (st->o.wal_max_rows != 0)
		seal_scratch_free(st);
	return rc;
}

int vg_store_seal(vg_store *st, vg_err *err)
{
	if (st->o.readonly)
		return vg_seterr(err, VG_EINVAL, -1, "the store is open read-only");
	if (st->mem.nev == 0)
		return 0;
	vg_manifest saved = st->man;
	saved.ents = vg_xmalloc((st->man.n ? st->man.n : 1) * sizeof *saved.ents);
	if (st->man.n)
		memcpy(saved.ents, st->man.ents, st->man.n * sizeof *saved.ents);
	saved.cap = st->man.n ? st->man.n : 1;
	int rc = write_partitions(st, err);
	char d[4200], newwal[4200], oldwal[4200];
	snprintf(d, sizeof d, "%s/seg", st->dir);
	if (rc == 0)
		rc = vg_fsync_dir(d, err);
	wal_path(oldwal, sizeof oldwal, st->dir, st->man.wal_gen);
	wal_path(newwal, sizeof newwal, st->dir, st->man.wal_gen + 1);
	vg_wal nw;
	if (rc == 0) {
		unlink(newwal);
		rc = vg_wal_open(&nw, newwal, err);
		snprintf(d, sizeof d, "%s/wal", st->dir);
		if (rc == 0)
			rc = vg_fsync_dir(d, err);
	}
	if (rc == 0) {
		st->man.wal_gen++;
		rc = vg_manifest_save(st->dir, &st->man, err);
		if (rc) {
			st->man.wal_gen--;
			vg_wal_close(&nw);
		}
	}
	if (rc) {
		/* Back to the state on disk; the files written are orphans
		 * that the next open removes. */
		vg_manifest_free(&st->man);
		st->man = saved;
		return rc;
	}
	free(saved.ents);
	vg_wal_close(&st->wal);
	st->wal = nw;
	unlink(oldwal);
	vg_batch_clear(&st->mem);
	st->committed = 0;
	return 0;
}

int vg_store_commit(vg_store *st, vg_err *err)
{
	if (st->o.readonly)
		return vg_seterr(err, VG_EINVAL, -1, "the store is open read-only");
	vg_batch *b = &st->mem;
	if (b->nev == st->committed)
		return 0;
	if (vg_store_commit_seals(st))
		return vg_store_seal(st, err);
	int rc = vg_wal_append(&st->wal, b, st->committed, b->nev, err);
	if (rc == 0)
		st->committed = b->nev;
	return rc;
}

int vg_store_commit_seals(const vg_store *st)
{
	uint64_t pending = st->mem.nev - st->committed;
	return pending > 0 && (vg_store_full(st) || pending > st->o.wal_max_rows);
}

int vg_store_full(const vg_store *st)
{
	return st->mem.nev >= st->o.seal_rows || vg_batch_bytes(&st->mem) >= st->o.seal_bytes;
}

int vg_store_close(vg_store *st, vg_err *err)
{
	int rc = 0;
	if (st == NULL)
		return 0;
	if (!st->o.readonly && st->have_wal)
		rc = vg_store_commit(st, err);
	vg_wal_close(&st->wal);
	if (st->lockfd >= 0)
		close(st->lockfd);
	vg_manifest_free(&st->man);
	vg_batch_free(&st->mem);
	seal_scratch_free(st);
	free(st->dir);
	free(st);
	return rc;
}

size_t vg_store_nsegs(const vg_store *st)
{
	return st->man.n;
}

const vg_seginfo *vg_store_seginfo(const vg_store *st, size_t i)
{
	return st->man.ents[i].dropped ? NULL : &st->man.ents[i].info;
}

int vg_store_open_seg(const vg_store *st, size_t i, vg_seg **out, vg_err *err)
{
	char p[4200];
	seg_path(p, sizeof p, st->dir, st->man.ents[i].info.seq);
	return vg_seg_open(p, out, err);
}

void vg_store_stats_get(const vg_store *st, vg_store_stats *s)
{
	memset(s, 0, sizeof *s);
	for (size_t i = 0; i < st->man.n; i++) {
		if (st->man.ents[i].dropped) {
			s->dropped_segments++;
			continue;
		}
		s->segments++;
		s->sealed_rows += st->man.ents[i].info.nrows;
		s->sealed_bytes += st->man.ents[i].info.bytes;
	}
	s->mem_rows = st->mem.nev;
	s->wal_bytes = st->wal.size;
	s->wal_torn_bytes = st->wal_torn;
}

int vg_store_retention(vg_store *st, int64_t now, vg_err *err)
{
	if (st->o.readonly)
		return vg_seterr(err, VG_EINVAL, -1, "the store is open read-only");
	vg_manifest *m = &st->man;
	size_t ndrop = 0;
	uint64_t total = 0;
	for (size_t i = 0; i < m->n; i++)
		if (!m->ents[i].dropped)
			total += m->ents[i].info.bytes;
	uint8_t *drop = vg_xcalloc(m->n ? m->n : 1, 1);
	if (st->o.retain_ns > 0) {
		for (size_t i = 0; i < m->n; i++) {
			if (!m->ents[i].dropped && m->ents[i].info.tmax < now - st->o.retain_ns) {
				drop[i] = 1;
				total -= m->ents[i].info.bytes;
				ndrop++;
			}
		}
	}
	while (st->o.retain_bytes > 0 && total > st->o.retain_bytes) {
		/* Oldest data first. */
		size_t best = SIZE_MAX;
		for (size_t i = 0; i < m->n; i++)
			if (!m->ents[i].dropped && !drop[i] &&
			    (best == SIZE_MAX || m->ents[i].info.tmin < m->ents[best].info.tmin))
				best = i;
		if (best == SIZE_MAX)
			break;
		drop[best] = 1;
		total -= m->ents[best].info.bytes;
		ndrop++;
	}
	int rc = 0;
	if (ndrop) {
		for (size_t i = 0; i < m->n; i++)
			if (drop[i])
				m->ents[i].dropped = 1;
		rc = vg_manifest_save(st->dir, m, err);
		for (size_t i = 0; rc == 0 && i < m->n; i++) {
			if (!drop[i])
				continue;
			char p[4200];
			seg_path(p, sizeof p, st->dir, m->ents[i].info.seq);
			unlink(p);
		}
	}
	free(drop);
	return rc;
}
