/*
 * segment.c — writing and reading segment files (see segment.h and
 * docs/FORMAT.md).
 *
 * The writer transposes a time-sorted run of events into columns, block by
 * block. An event the batch rendered (its raw text verified to be its
 * fields printed through a template, see batch.h) keeps only the template;
 * any other keeps its raw text.
 *
 * Mirror rows. A group may declare column pairs (`srcaddr~dstaddr` in its
 * sort key): network flows are logged once per direction, so the record of
 * a connection's reply is its request with source and destination swapped.
 * Inside a block, rows are ordered so that the two directions of a flow sit
 * next to each other; a row whose every pair holds the previous row's
 * values swapped is a mirror row: it stores nothing in the pair columns and
 * a 1 in `_mirror`, and vg_seg_read puts the values back. The previous row
 * of a mirror row is never a mirror row itself, so one step restores it.
 * Chunk statistics are those of the restored values.
 */
#include "store/segment.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <pthread.h>
#include <unistd.h>

#include "event/value.h"
#include "store/bloom.h"
#include "util/ip.h"
#include "util/strtab.h"

static const char MAGIC[8] = {'V', 'G', 'S', 'E', 'G', 0, 0, 1};
static const char END_MAGIC[8] = {'V', 'G', 'S', 'E', 'G', 'E', 'N', 'D'};
#define TRAILER_LEN (8 + 4 + 3 * VG_HASH_LEN + 8)
#define COL_TIME 0
#define COL_RAW 1
#define COL_TMPL 2
#define MIRROR_COL "_mirror"
#define ROLE_PAIR 8

void vg_seg_chain(const uint8_t prev[VG_HASH_LEN], const uint8_t content[VG_HASH_LEN],
		  uint64_t seq, uint8_t out[VG_HASH_LEN])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, VG_HASH_LEN);
	crypto_generichash_update(&st, prev, VG_HASH_LEN);
	crypto_generichash_update(&st, content, VG_HASH_LEN);
	uint8_t le[8];
	for (int k = 0; k < 8; k++)
		le[k] = (uint8_t)(seq >> (8 * k));
	crypto_generichash_update(&st, le, 8);
	crypto_generichash_final(&st, out, VG_HASH_LEN);
}

/* ---- writer ------------------------------------------------------------ */

#define PREFETCH 8

/* Start loading an event's fields and raw text into the cache. */
static inline void prefetch_event(const vg_batch *b, uint32_t i)
{
	const vg_event *e = &b->ev[i];
	const char *f = (const char *)(b->f + e->first);
	for (uint32_t k = 0; k < e->nfields * sizeof(vg_field); k += 64)
		__builtin_prefetch(f + k);
	__builtin_prefetch(e->raw);
	__builtin_prefetch(e->raw + 64);
}

/* Per-column value lists of the block being built. */
typedef struct colacc {
	uint32_t *rows;
	vg_field *vals;             /* copies: later passes read them in order */
	uint8_t (*ips)[16];         /* IP values' bytes, copied likewise */
	size_t capips;
	size_t n, cap;
	uint8_t types;
} colacc;

typedef struct segw {
	const vg_batch *b;
	int zlevel;
	uint32_t ncols;
	uint32_t *col_of_fid;       /* fid -> column, UINT32_MAX if none */
	const char **colname;
	uint8_t *coltypes;
	colacc *acc;
	vg_field *synth;            /* _time, _raw/_tmpl values of the block */
	vg_tokset toks;
	vg_buf file;
	vg_buf footer;
	uint32_t keyfids[3];        /* sort key fields, UINT32_MAX if absent */
	uint32_t nkeys;
	uint32_t npairs;            /* mirror pairs declared (see above) */
	uint32_t pairfid[VG_MAX_PAIRS][2];
	uint32_t paircol[VG_MAX_PAIRS][2];  /* their columns */
	uint32_t col_mirror;        /* `_mirror`, or UINT32_MAX */
	uint8_t *role;              /* per fid: 0, sort key k + 1, or
				     * ROLE_PAIR + pair slot (2 k + side) */
	struct sortrow *srows;
	uint32_t *order;
	struct dense *dense;        /* per column, see dense_of */
	uint32_t block_serial;
	int worker;                 /* shares the prototype's tables, owns scratch */
	const char **rawp;          /* per block row: its stored raw text, or NULL */
	uint32_t *rawl;
	int32_t *hint_col;          /* per column: last chosen reference, -1 none,
				     * -2 not yet chosen */
	int64_t *hint_div;
	vg_err *err;
} segw;

/* A row's place in its block: the hashes of its sort key values, then
 * time, then a hash of its pairs that does not change when each pair is
 * swapped (so both directions of a flow sort together). */
typedef struct sortrow {
	uint64_t k[3];
	int64_t t;
	uint64_t fh;
	uint32_t dir;
	uint32_t row;
} sortrow;

static int cmp_sortrow(const void *a, const void *b)
{
	const sortrow *x = a, *y = b;
	for (int k = 0; k < 3; k++)
		if (x->k[k] != y->k[k])
			return x->k[k] < y->k[k] ? -1 : 1;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->fh != y->fh)
		return x->fh < y->fh ? -1 : 1;
	if (x->dir != y->dir)
		return x->dir < y->dir ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

static uint64_t key_of(const vg_field *f)
{
	switch (f->type) {
	case VG_T_STR: return vg_hash(f->v.s, f->len) | 1;
	case VG_T_IP: return vg_hash(f->v.ip, 16) | 1;
	case VG_T_INT: return (uint64_t)f->v.i;
	default: return 0;
	}
}

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	return x;
}

/* Two pair values equal for mirroring: both INT or both IP, same value.
 * Strings never mirror (their columns' dictionaries differ). */
static int mirror_same(const vg_field *x, const vg_field *y)
{
	if (x == NULL || x->type != y->type)
		return 0;
	if (x->type == VG_T_INT)
		return x->v.i == y->v.i;
	return x->type == VG_T_IP && memcmp(x->v.ip, y->v.ip, 16) == 0;
}

/* The pair values of event fields f (n of them) into pv (2 * npairs slots,
 * NULL when absent). */
static void pair_values(const segw *w, const vg_field *f, uint32_t n, const vg_field **pv)
{
	for (uint32_t k = 0; k < 2 * w->npairs; k++)
		pv[k] = NULL;
	for (uint32_t j = 0; j < n; j++) {
		uint8_t role = w->role[f[j].fid];
		if (role >= ROLE_PAIR)
			pv[role - ROLE_PAIR] = &f[j];
	}
}

/* Are pair values cur those of prev with every pair swapped? Every value
 * present (so each pair column keeps a value in the block). */
static int is_mirror(const segw *w, const vg_field *const *cur, const vg_field *prev)
{
	for (uint32_t k = 0; k < w->npairs; k++)
		if (!mirror_same(cur[2 * k], &prev[2 * k + 1]) ||
		    !mirror_same(cur[2 * k + 1], &prev[2 * k]))
			return 0;
	return 1;
}

/* Fill s's sort key hashes and pair hash from event e. */
static void sortrow_fill(const segw *w, sortrow *s, const vg_event *e, uint32_t row)
{
	const vg_field *f = vg_event_fields(w->b, e);
	const vg_field *pv[2 * VG_MAX_PAIRS] = {0};
	memset(s, 0, sizeof *s);
	for (uint32_t j = 0; j < e->nfields; j++) {
		uint8_t role = w->role[f[j].fid];
		if (role >= ROLE_PAIR)
			pv[role - ROLE_PAIR] = &f[j];
		else if (role)
			s->k[role - 1] = key_of(&f[j]);
	}
	for (uint32_t k = 0; k < w->npairs; k++) {
		uint64_t h = 0;
		for (uint32_t side = 0; side < 2; side++)
			if (pv[2 * k + side])
				h += key_of(pv[2 * k + side]);
		s->fh = mix64(s->fh ^ mix64(h + k));
	}
	/* Of the two directions of a flow, the one whose first differing
	 * integer pair is descending sorts first and is stored, the other
	 * mirrored: for ports, the request from an ephemeral port to a
	 * service port. Stored rows then keep the service port in one column
	 * (dstport), which compresses far better than a mix. */
	for (uint32_t k = 0; k < w->npairs; k++) {
		const vg_field *a = pv[2 * k], *b = pv[2 * k + 1];
		if (a && b && a->type == VG_T_INT && b->type == VG_T_INT && a->v.i != b->v.i) {
			s->dir = a->v.i < b->v.i;
			break;
		}
	}
	s->t = e->t;
	s->row = row;
}

/* Order the block's rows (indices into the batch) by sort key, then time,
 * then flow. */
static const uint32_t *order_block(segw *w, const uint32_t *rows, uint32_t nb)
{
	if (w->nkeys == 0 && w->npairs == 0)
		return rows;
	w->srows = vg_xrealloc(w->srows, (size_t)nb * sizeof *w->srows);
	w->order = vg_xrealloc(w->order, (size_t)nb * sizeof *w->order);
	for (uint32_t r = 0; r < nb; r++) {
		if (r + PREFETCH < nb)
			prefetch_event(w->b, rows[r + PREFETCH]);
		if (r + 2 * PREFETCH < nb)
			__builtin_prefetch(&w->b->ev[rows[r + 2 * PREFETCH]]);
		sortrow_fill(w, &w->srows[r], &w->b->ev[rows[r]], rows[r]);
	}
	qsort(w->srows, nb, sizeof *w->srows, cmp_sortrow);
	for (uint32_t r = 0; r < nb; r++)
		w->order[r] = w->srows[r].row;
	return w->order;
}

/* Sort key words are field names (at most 3 used) or mirror pairs
 * `a~b` (at most VG_MAX_PAIRS). */
static void resolve_sortkey(segw *w, const char *key)
{
	w->nkeys = 0;
	w->npairs = 0;
	if (key == NULL)
		return;
	const char *p = key;
	for (;;) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (n == 0)
			break;
		const char *tilde = memchr(p, '~', n);
		if (tilde && tilde > p && tilde < p + n - 1 && w->npairs < VG_MAX_PAIRS) {
			size_t n0 = (size_t)(tilde - p);
			w->pairfid[w->npairs][0] = vg_strtab_find(&w->b->fields, p, n0);
			w->pairfid[w->npairs][1] = vg_strtab_find(&w->b->fields, tilde + 1, n - n0 - 1);
			w->npairs++;
		} else if (!tilde && w->nkeys < 3) {
			w->keyfids[w->nkeys++] = vg_strtab_find(&w->b->fields, p, n);
		}
		p += n;
	}
}

static inline void acc_push(colacc *c, uint32_t row, const vg_field *f)
{
	if (c->n == c->cap) {
		size_t cap = c->cap;
		vg_grow(&c->rows, &cap, c->n + 1, sizeof *c->rows);
		cap = c->cap;
		vg_grow(&c->vals, &cap, c->n + 1, sizeof *c->vals);
		c->cap = cap;
	}
	c->rows[c->n] = row;
	c->vals[c->n] = *f;
	if (f->type == VG_T_IP) {
		if (c->n >= c->capips) {
			size_t cap = c->capips;
			vg_grow(&c->ips, &cap, c->n + 1, sizeof *c->ips);
			c->capips = cap;
		}
		memcpy(c->ips[c->n], f->v.ip, 16);
	}
	c->n++;
	c->types |= (uint8_t)(1u << f->type);
}

static uint32_t add_col(segw *w, const char *name)
{
	uint32_t c = w->ncols++;
	w->colname = vg_xrealloc(w->colname, w->ncols * sizeof *w->colname);
	w->coltypes = vg_xrealloc(w->coltypes, w->ncols);
	w->colname[c] = name;
	w->coltypes[c] = 0;
	return c;
}

/* Dense per-row views of the block's single-type INT and IP columns, so a
 * column can be compared with another row by row. Built lazily per block. */
typedef struct dense {
	uint32_t built_for;      /* block serial the view belongs to */
	uint8_t *types;          /* per row: VG_T_INT / VG_T_IP, or 0 */
	int64_t *i;
	const uint8_t **ip;
} dense;

static dense *dense_of(segw *w, uint32_t c, uint32_t nb)
{
	dense *d = &w->dense[c];
	if (d->built_for == w->block_serial)
		return d;
	d->built_for = w->block_serial;
	d->types = vg_xrealloc(d->types, nb);
	memset(d->types, 0, nb);
	colacc *a = &w->acc[c];
	if (a->types == (1u << VG_T_INT)) {
		d->i = vg_xrealloc(d->i, (size_t)nb * sizeof *d->i);
		for (size_t k = 0; k < a->n; k++) {
			d->types[a->rows[k]] = VG_T_INT;
			d->i[a->rows[k]] = a->vals[k].v.i;
		}
	} else if (a->types == (1u << VG_T_IP)) {
		d->ip = vg_xrealloc(d->ip, (size_t)nb * sizeof *d->ip);
		for (size_t k = 0; k < a->n; k++) {
			d->types[a->rows[k]] = VG_T_IP;
			d->ip[a->rows[k]] = a->vals[k].v.ip;
		}
	}
	return d;
}

static inline int ip16_same(const uint8_t *a, const uint8_t *b)
{
	uint64_t a0, a1, b0, b1;
	memcpy(&a0, a, 8);
	memcpy(&a1, a + 8, 8);
	memcpy(&b0, b, 8);
	memcpy(&b1, b + 8, 8);
	return a0 == b0 && a1 == b1;
}

/* Pick a reference for column c when storing it relative to one is clearly
 * cheaper: integers against `_time` in seconds and the few integer columns
 * before it, addresses against the address columns before it. */
static int choose_ref(segw *w, uint32_t c, uint32_t nb, vg_colref *out);

/* choose_ref with every candidate considered. */
static int choose_ref_fresh(segw *w, uint32_t c, uint32_t nb, vg_colref *out)
{
	w->hint_col[c] = -2;
	return choose_ref(w, c, nb, out);
}

/* A string column whose values stand in the raw text (a JSON event's IDs,
 * ARNs, keys) is stored as places in `_raw`. Decided on a sample: nearly
 * all found, and a dictionary would cost more (it wins for repeated
 * values). */
static int choose_raw_ref(segw *w, uint32_t c, vg_colref *out)
{
	colacc *a = &w->acc[c];
	size_t n = a->n, sample = n < 64 ? n : 64, found = 0, changes = 0, bytes = 0;
	for (size_t k = 0; k < sample; k++) {
		const vg_field *f = &a->vals[k];
		uint32_t r = a->rows[k];
		bytes += f->len;
		if (k && (f->len != a->vals[k - 1].len || memcmp(f->v.s, a->vals[k - 1].v.s, f->len)))
			changes++;
		if (w->rawp[r] && f->len && memmem(w->rawp[r], w->rawl[r], f->v.s, f->len))
			found++;
	}
	/* A place costs about 3 bytes; a dictionary about the distinct values'
	 * bytes spread over the rows (rows are sorted, so distinct values are
	 * roughly the changes between neighbours) plus an id. */
	double avg = (double)bytes / (double)sample;
	double dict = (double)(changes + 1) / (double)sample * avg + 1.0;
	if (found * 10 < sample * 9 || dict < 3.0)
		return 0;
	out->col = COL_RAW;
	out->div = 1;
	out->raw = w->rawp;
	out->rawlen = w->rawl;
	return 1;
}

static int choose_ref(segw *w, uint32_t c, uint32_t nb, vg_colref *out)
{
	colacc *a = &w->acc[c];
	if (a->n >= 16 && a->types == (1u << VG_T_STR) && c > COL_TMPL && w->acc[COL_RAW].n)
		return choose_raw_ref(w, c, out);
	if (a->n < 16 || (a->types != (1u << VG_T_INT) && a->types != (1u << VG_T_IP)))
		return 0;
	int is_int = a->types == (1u << VG_T_INT);
	size_t n = a->n;
	/* Blocks of one segment look alike: reuse the last block's verdict and
	 * search afresh only every 16th block (or when a reused reference no
	 * longer fits). */
	if (w->hint_col == NULL) {
		w->hint_col = vg_xmalloc(w->ncols * sizeof *w->hint_col);
		w->hint_div = vg_xcalloc(w->ncols, sizeof *w->hint_div);
		for (uint32_t k = 0; k < w->ncols; k++)
			w->hint_col[k] = -2;
	}
	int fresh = w->hint_col[c] == -2 || w->block_serial % 16 == 1;
	if (!fresh && w->hint_col[c] == -1)
		return 0;
	int64_t *v = NULL, *dv = NULL;
	double best = 0;
	int found = 0;
	if (is_int) {
		v = vg_xmalloc(n * sizeof *v);
		dv = vg_xmalloc(n * sizeof *dv);
		for (size_t k = 0; k < n; k++)
			v[k] = a->vals[k].v.i;
		best = vg_int_cost(v, n) * 0.7;
	} else {
		best = 0.5 * (double)n; /* at least half the addresses the same */
	}
	uint32_t tried = 0;
	for (uint32_t rc = c; rc-- > 0 && tried < 4;) {
		colacc *ra = &w->acc[rc];
		if (ra->types != a->types || ra->n < n)
			continue;
		if (!fresh && rc != (uint32_t)w->hint_col[c])
			continue;
		if (rc != COL_TIME)
			tried++;
		dense *d = dense_of(w, rc, nb);
		int ok = 1;
		for (size_t k = 0; k < n && ok; k++)
			ok = d->types[a->rows[k]] != 0;
		if (!ok)
			continue;
		static const int64_t divs[] = {1, 1000000000};
		for (int j = 0; j < (rc == COL_TIME ? 2 : 1); j++) {
			if (!fresh && divs[j] != w->hint_div[c])
				continue;
			double cost;
			if (is_int) {
				for (size_t k = 0; k < n; k++)
					dv[k] = (int64_t)((uint64_t)v[k] -
							  (uint64_t)(d->i[a->rows[k]] / divs[j]));
				cost = vg_int_cost(dv, n);
			} else {
				size_t same = 0;
				for (size_t k = 0; k < n; k++) {
					const uint8_t *x = a->vals[k].v.ip, *y = d->ip[a->rows[k]];
					same += ip16_same(x, y);
				}
				cost = (double)(n - same);
			}
			if (cost < best) {
				best = cost;
				out->col = rc;
				out->div = divs[j];
				out->types = d->types;
				out->i = d->i;
				out->ip = d->ip;
				found = 1;
			}
		}
	}
	free(v);
	free(dv);
	if (!found && !fresh)
		return choose_ref_fresh(w, c, nb, out);
	w->hint_col[c] = found ? (int32_t)out->col : -1;
	w->hint_div[c] = found ? out->div : 0;
	return found;
}

static void footer_str(vg_buf *b, const char *s)
{
	size_t n = strlen(s);
	vg_buf_uvarint(b, n);
	vg_buf_put(b, s, n);
}

/* What encoding one block produced: its bytes, and the records the footer
 * will hold once the block's place in the file is known. */
typedef struct chunkrec {
	uint64_t off, len;      /* off relative to the block's first byte */
	vg_colstat st;
	int32_t ref;
} chunkrec;

typedef struct blockrec {
	size_t lo, hi;          /* rows of the block in the sorted row list */
	vg_buf data;
	uint32_t nb, ntmpl;
	int64_t tmin, tmax;
	chunkrec *ch;           /* ncols */
	uint64_t boff, blen;
	uint8_t *coltypes;      /* ncols: types seen per column */
	int rc;
	vg_err err;
} blockrec;

static const vg_field mirror_one = {.type = VG_T_INT, .v.i = 1};

/* Widen a chunk's statistics by value f (a restored mirror value). */
static void stat_add(vg_colstat *st, const vg_field *f)
{
	uint8_t bit = (uint8_t)(1u << f->type);
	if (f->type == VG_T_INT) {
		if (!(st->types & bit) || f->v.i < st->imin)
			st->imin = f->v.i;
		if (!(st->types & bit) || f->v.i > st->imax)
			st->imax = f->v.i;
	} else if (f->type == VG_T_IP) {
		if (!(st->types & bit) || memcmp(f->v.ip, st->ipmin, 16) < 0)
			memcpy(st->ipmin, f->v.ip, 16);
		if (!(st->types & bit) || memcmp(f->v.ip, st->ipmax, 16) > 0)
			memcpy(st->ipmax, f->v.ip, 16);
	}
	st->types |= bit;
	st->npresent++;
}

/* Widen chunk statistics st by x (the restored values of mirror rows). */
static void stat_merge(vg_colstat *st, const vg_colstat *x)
{
	uint8_t ib = 1u << VG_T_INT, pb = 1u << VG_T_IP;
	if (x->types & ib) {
		if (!(st->types & ib) || x->imin < st->imin)
			st->imin = x->imin;
		if (!(st->types & ib) || x->imax > st->imax)
			st->imax = x->imax;
	}
	if (x->types & pb) {
		if (!(st->types & pb) || memcmp(x->ipmin, st->ipmin, 16) < 0)
			memcpy(st->ipmin, x->ipmin, 16);
		if (!(st->types & pb) || memcmp(x->ipmax, st->ipmax, 16) > 0)
			memcpy(st->ipmax, x->ipmax, 16);
	}
	st->types |= x->types;
	st->npresent += x->npresent;
}

/* Row r (fields f, n of them) against the previous row: push `_mirror`
 * and account the restored values when it is a mirror row. Returns 1 for
 * a mirror row. prev holds the previous row's pair values; *prev_mirror
 * whether it was a mirror row itself. */
static int mirror_row(segw *w, uint32_t r, const vg_field *f, uint32_t n, vg_field *prev,
		      int *prev_mirror, vg_colstat *extra)
{
	const vg_field *cur[2 * VG_MAX_PAIRS];
	pair_values(w, f, n, cur);
	int m = r > 0 && !*prev_mirror && is_mirror(w, cur, prev);
	if (m) {
		acc_push(&w->acc[w->col_mirror], r, &mirror_one);
		for (uint32_t k = 0; k < 2 * w->npairs; k++)
			stat_add(&extra[k], &prev[k ^ 1]);
	}
	*prev_mirror = m;
	/* Every pair slot of a row before a mirror row is present: absent
	 * ones are marked with type 0, which never matches. */
	for (uint32_t k = 0; k < 2 * w->npairs; k++) {
		if (cur[k]) {
			prev[k] = *cur[k];
		} else {
			memset(&prev[k], 0, sizeof prev[k]);
		}
	}
	return m;
}

/* Encode one block of rows [lo, hi) of the sorted row list into out. */
static int write_block(segw *w, const uint32_t *all, blockrec *out)
{
	const vg_batch *b = w->b;
	size_t lo = out->lo, hi = out->hi;
	uint32_t nb = (uint32_t)(hi - lo);
	const uint32_t *rows = order_block(w, all + lo, nb);
	for (uint32_t c = 0; c < w->ncols; c++) {
		w->acc[c].n = 0;
		w->acc[c].types = 0;
	}
	w->block_serial++;
	if (w->dense == NULL)
		w->dense = vg_xcalloc(w->ncols, sizeof *w->dense);
	vg_tokset_clear(&w->toks);
	w->synth = vg_xrealloc(w->synth, (size_t)nb * 2 * sizeof *w->synth);
	w->rawp = vg_xrealloc(w->rawp, (size_t)nb * sizeof *w->rawp);
	w->rawl = vg_xrealloc(w->rawl, (size_t)nb * sizeof *w->rawl);
	uint32_t ntmpl = 0;
	int64_t tmin = INT64_MAX, tmax = INT64_MIN;
	vg_field prev[2 * VG_MAX_PAIRS];
	vg_colstat extra[2 * VG_MAX_PAIRS];
	int prev_mirror = 0;
	memset(extra, 0, sizeof extra);
	for (uint32_t r = 0; r < nb; r++) {
		/* Rows are visited in sort-key order, i.e. scattered over the
		 * memtable: fetch a few rows ahead to hide the cache misses. */
		if (r + PREFETCH < nb)
			prefetch_event(b, rows[r + PREFETCH]);
		if (r + 2 * PREFETCH < nb)
			__builtin_prefetch(&b->ev[rows[r + 2 * PREFETCH]]);
		const vg_event *e = &b->ev[rows[r]];
		vg_field *ft = &w->synth[2 * r], *fr = &w->synth[2 * r + 1];
		ft->type = VG_T_INT;
		ft->v.i = e->t;
		acc_push(&w->acc[COL_TIME], r, ft);
		if (e->t < tmin)
			tmin = e->t;
		if (e->t > tmax)
			tmax = e->t;
		fr->type = VG_T_STR;
		if (e->raw == NULL) {
			/* Rendered: the batch verified the template (vg_ev_end). */
			size_t tl;
			fr->v.s = vg_strtab_get(&b->tmpls, e->rawtmpl - 1, &tl);
			fr->len = (uint32_t)tl;
			acc_push(&w->acc[COL_TMPL], r, fr);
			w->rawp[r] = NULL;
			w->rawl[r] = 0;
			ntmpl++;
		} else {
			fr->v.s = e->raw;
			fr->len = e->rawlen;
			acc_push(&w->acc[COL_RAW], r, fr);
			w->rawp[r] = e->raw;
			w->rawl[r] = e->rawlen;
			vg_tokset_add_text(&w->toks, e->raw, e->rawlen);
		}
		const vg_field *f = vg_event_fields(b, e);
		int mirror = w->npairs &&
			mirror_row(w, r, f, e->nfields, prev, &prev_mirror, extra);
		for (uint32_t k = 0; k < e->nfields; k++) {
			uint32_t c = w->col_of_fid[f[k].fid];
			if (mirror && w->role[f[k].fid] >= ROLE_PAIR)
				continue;
			acc_push(&w->acc[c], r, &f[k]);
			/* A value counts as standing in the raw text (its tokens
			 * already given, see vg_col_encode) only when that text
			 * is stored and the value sits on token boundaries. */
			vg_field *cp = &w->acc[c].vals[w->acc[c].n - 1];
			if (cp->raw_off && (!w->rawp[r] ||
					    !vg_token_aligned(w->rawp[r], w->rawl[r], cp->raw_off - 1, cp->len)))
				cp->raw_off = 0;
		}
	}
	/* Point address values at their contiguous copies (the copy array may
	 * have moved while it grew). */
	for (uint32_t c = 0; c < w->ncols; c++) {
		colacc *a = &w->acc[c];
		if (a->types & (1u << VG_T_IP))
			for (size_t k = 0; k < a->n; k++)
				if (a->vals[k].type == VG_T_IP)
					a->vals[k].v.ip = a->ips[k];
	}
	out->nb = nb;
	out->ntmpl = ntmpl;
	out->tmin = tmin;
	out->tmax = tmax;
	out->ch = vg_xcalloc(w->ncols, sizeof *out->ch);
	out->coltypes = vg_xcalloc(w->ncols, 1);
	for (uint32_t c = 0; c < w->ncols; c++) {
		colacc *a = &w->acc[c];
		out->coltypes[c] = a->types;
		if (a->n == 0)
			continue;
		vg_colref ref;
		vg_colin in = {nb, (uint32_t)a->n, a->rows, a->vals, NULL};
		if (c != COL_TIME && choose_ref(w, c, nb, &ref))
			in.ref = &ref;
		chunkrec *cr = &out->ch[c];
		cr->off = out->data.len;
		/* `_raw` was tokenized above (every row); `_tmpl` holds only
		 * field names, no search tokens. */
		vg_tokset *toks = c == COL_RAW || c == COL_TMPL ? NULL : &w->toks;
		int rc = vg_col_encode(&in, w->zlevel, &out->data, &cr->st, toks, &out->err);
		if (rc)
			return rc;
		cr->len = out->data.len - cr->off;
		cr->ref = in.ref ? (int32_t)in.ref->col : -1;
	}
	for (uint32_t k = 0; k < 2 * w->npairs; k++) {
		uint32_t c = w->paircol[k / 2][k % 2];
		stat_merge(&out->ch[c].st, &extra[k]);
		out->coltypes[c] |= extra[k].types;
	}
	out->boff = out->data.len;
	vg_bloom_build(&w->toks, &out->data);
	out->blen = out->data.len - out->boff;
	return 0;
}

/* Append block br's footer record to fb, its data placed at base. */
static void footer_block(vg_buf *fb, const blockrec *br, uint32_t ncols, uint64_t base)
{
	vg_buf_uvarint(fb, br->nb);
	vg_buf_uvarint(fb, br->ntmpl);
	vg_buf_svarint(fb, br->tmin);
	vg_buf_svarint(fb, br->tmax);
	for (uint32_t c = 0; c < ncols; c++) {
		const chunkrec *cr = &br->ch[c];
		if (cr->len == 0) {
			vg_buf_uvarint(fb, 0);
			vg_buf_uvarint(fb, 0);
			continue;
		}
		vg_buf_uvarint(fb, base + cr->off);
		vg_buf_uvarint(fb, cr->len);
		vg_buf_putc(fb, cr->st.types);
		vg_buf_uvarint(fb, cr->st.npresent);
		vg_buf_svarint(fb, cr->st.imin);
		vg_buf_svarint(fb, cr->st.imax);
		if (cr->st.types & (1u << VG_T_IP)) {
			vg_buf_put(fb, cr->st.ipmin, 16);
			vg_buf_put(fb, cr->st.ipmax, 16);
		}
		vg_buf_uvarint(fb, cr->st.ndistinct);
		vg_buf_uvarint(fb, (uint64_t)(cr->ref + 1));
	}
	vg_buf_uvarint(fb, base + br->boff);
	vg_buf_uvarint(fb, br->blen);
}

/* Blocks are encoded by up to VG_SEAL_THREADS workers, each with its own
 * scratch; the batch, the column map and the templates are shared and
 * read-only meanwhile. */
#define VG_SEAL_THREADS 4

typedef struct work {
	segw *proto;             /* the shared, read-only state */
	const uint32_t *rows;
	blockrec *blocks;
	size_t nblocks;
	size_t next;             /* atomic: the next block to take */
} work;

static void segw_free(segw *w);

/* A worker's segw: the prototype's shared state, its own scratch. */
static void worker_init(segw *w, const segw *proto)
{
	memset(w, 0, sizeof *w);
	w->b = proto->b;
	w->zlevel = proto->zlevel;
	w->ncols = proto->ncols;
	w->col_of_fid = proto->col_of_fid;
	memcpy(w->keyfids, proto->keyfids, sizeof w->keyfids);
	w->nkeys = proto->nkeys;
	w->npairs = proto->npairs;
	memcpy(w->pairfid, proto->pairfid, sizeof w->pairfid);
	memcpy(w->paircol, proto->paircol, sizeof w->paircol);
	w->col_mirror = proto->col_mirror;
	w->role = proto->role;
	w->acc = vg_xcalloc(w->ncols, sizeof *w->acc);
	w->worker = 1;
}

static void *worker_run(void *arg);

static void *worker_thread(void *arg)
{
	worker_run(arg);
	vg_col_thread_done();
	return NULL;
}

static void *worker_run(void *arg)
{
	work *wk = arg;
	segw w;
	worker_init(&w, wk->proto);
	for (;;) {
		size_t i = __atomic_fetch_add(&wk->next, 1, __ATOMIC_RELAXED);
		if (i >= wk->nblocks)
			break;
		blockrec *br = &wk->blocks[i];
		br->rc = write_block(&w, wk->rows, br);
	}
	segw_free(&w);
	return NULL;
}

/* Encode every block, in parallel when there are several. */
static void encode_blocks(segw *proto, const uint32_t *rows, blockrec *blocks, size_t nblocks)
{
	work wk = {proto, rows, blocks, nblocks, 0};
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nthreads = ncpu > 1 ? (size_t)ncpu : 1;
	if (nthreads > VG_SEAL_THREADS)
		nthreads = VG_SEAL_THREADS;
	if (nthreads > nblocks)
		nthreads = nblocks;
	pthread_t tid[VG_SEAL_THREADS];
	size_t started = 0;
	for (size_t k = 1; k < nthreads; k++)
		if (pthread_create(&tid[started], NULL, worker_thread, &wk) == 0)
			started++;
	worker_run(&wk); /* this thread works too */
	for (size_t k = 0; k < started; k++)
		pthread_join(tid[k], NULL);
}

static int write_file(const char *path, const vg_buf *data, vg_err *err)
{
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return vg_seterr(err, VG_EIO, -1, "cannot create %s: %s", tmp, strerror(errno));
	size_t off = 0;
	while (off < data->len) {
		ssize_t n = write(fd, data->p + off, data->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = errno;
			close(fd);
			unlink(tmp);
			return vg_seterr(err, VG_EIO, -1, "cannot write %s: %s", tmp, strerror(e));
		}
		off += (size_t)n;
	}
	if (fsync(fd) != 0) {
		int e = errno;
		close(fd);
		unlink(tmp);
		return vg_seterr(err, VG_EIO, -1, "cannot fsync %s: %s", tmp, strerror(e));
	}
	close(fd);
	if (rename(tmp, path) != 0)
		return vg_seterr(err, VG_EIO, -1, "cannot rename %s: %s", tmp, strerror(errno));
	return 0;
}

static void segw_free(segw *w)
{
	/* Only workers have accumulators; the prototype has none. */
	for (uint32_t c = 0; w->acc && c < w->ncols; c++) {
		free(w->acc[c].rows);
		free(w->acc[c].vals);
		free(w->acc[c].ips);
		if (w->dense) {
			free(w->dense[c].types);
			free(w->dense[c].i);
			free(w->dense[c].ip);
		}
	}
	free(w->dense);
	free(w->acc);
	free(w->hint_col);
	free(w->hint_div);
	free(w->rawp);
	free(w->rawl);
	if (!w->worker) {
		free(w->colname);
		free(w->coltypes);
		free(w->col_of_fid);
		free(w->role);
	}
	free(w->synth);
	free(w->srows);
	free(w->order);
	vg_buf_free(&w->file);
	vg_buf_free(&w->footer);
	vg_tokset_free(&w->toks);
}

/* Keep the declared pairs whose two columns exist, and give them the
 * `_mirror` column. */
static void resolve_pairs(segw *w)
{
	uint32_t kept = 0;
	w->col_mirror = UINT32_MAX;
	for (uint32_t k = 0; k < w->npairs; k++) {
		uint32_t f0 = w->pairfid[k][0], f1 = w->pairfid[k][1];
		if (f0 == UINT32_MAX || f1 == UINT32_MAX || f0 == f1)
			continue;
		uint32_t c0 = w->col_of_fid[f0], c1 = w->col_of_fid[f1];
		if (c0 == UINT32_MAX || c1 == UINT32_MAX)
			continue;
		w->pairfid[kept][0] = f0;
		w->pairfid[kept][1] = f1;
		w->paircol[kept][0] = c0;
		w->paircol[kept][1] = c1;
		kept++;
	}
	w->npairs = kept;
	if (kept)
		w->col_mirror = add_col(w, MIRROR_COL);
	size_t nf = w->b->fields.n ? w->b->fields.n : 1;
	w->role = vg_xcalloc(nf, 1);
	for (uint32_t k = 0; k < w->nkeys; k++)
		if (w->keyfids[k] != UINT32_MAX)
			w->role[w->keyfids[k]] = (uint8_t)(k + 1);
	for (uint32_t k = 0; k < w->npairs; k++)
		for (uint32_t side = 0; side < 2; side++)
			w->role[w->pairfid[k][side]] = (uint8_t)(ROLE_PAIR + 2 * k + side);
}

int vg_seg_write(const char *path, const vg_batch *b, const uint32_t *rows, size_t nrows,
		 uint64_t seq, const char *group, int64_t day, const uint8_t prev_chain[VG_HASH_LEN],
		 const char *sortkey, int zlevel, vg_seginfo *info, vg_err *err)
{
	segw w;
	memset(&w, 0, sizeof w);
	w.b = b;
	w.zlevel = zlevel;
	w.err = err;
	size_t nf = b->fields.n;
	w.col_of_fid = vg_xmalloc((nf ? nf : 1) * sizeof *w.col_of_fid);
	memset(w.col_of_fid, 0xff, (nf ? nf : 1) * sizeof *w.col_of_fid);
	resolve_sortkey(&w, sortkey);
	add_col(&w, "_time");
	add_col(&w, "_raw");
	add_col(&w, "_tmpl");
	int64_t tmin = INT64_MAX, tmax = INT64_MIN;
	for (size_t k = 0; k < nrows; k++) {
		if (k + PREFETCH < nrows)
			prefetch_event(b, rows[k + PREFETCH]);
		if (k + 2 * PREFETCH < nrows)
			__builtin_prefetch(&b->ev[rows[k + 2 * PREFETCH]]);
		const vg_event *e = &b->ev[rows[k]];
		const vg_field *f = vg_event_fields(b, e);
		for (uint32_t j = 0; j < e->nfields; j++)
			if (w.col_of_fid[f[j].fid] == UINT32_MAX)
				w.col_of_fid[f[j].fid] =
					add_col(&w, vg_strtab_get(&b->fields, f[j].fid, NULL));
		if (e->t < tmin)
			tmin = e->t;
		if (e->t > tmax)
			tmax = e->t;
	}
	resolve_pairs(&w);
	vg_buf_put(&w.file, MAGIC, 8);
	/* Blocks end at VG_BLOCK_ROWS rows or VG_BLOCK_BYTES of raw text. */
	blockrec *blocks = NULL;
	size_t nblocks = 0, capblocks = 0;
	for (size_t lo = 0; lo < nrows;) {
		size_t hi = lo, bytes = 0;
		while (hi < nrows && hi - lo < VG_BLOCK_ROWS && bytes < VG_BLOCK_BYTES)
			bytes += b->ev[rows[hi++]].rawlen + 64;
		vg_grow(&blocks, &capblocks, nblocks + 1, sizeof *blocks);
		memset(&blocks[nblocks], 0, sizeof *blocks);
		blocks[nblocks].lo = lo;
		blocks[nblocks].hi = hi;
		nblocks++;
		lo = hi;
	}
	encode_blocks(&w, rows, blocks, nblocks);
	int rc = 0;
	for (size_t k = 0; k < nblocks; k++) {
		blockrec *br = &blocks[k];
		if (rc == 0 && br->rc) {
			rc = br->rc;
			*err = br->err;
		}
		if (rc == 0) {
			footer_block(&w.footer, br, w.ncols, w.file.len);
			vg_buf_put(&w.file, br->data.p, br->data.len);
			for (uint32_t c = 0; c < w.ncols; c++)
				w.coltypes[c] |= br->coltypes ? br->coltypes[c] : 0;
		}
		vg_buf_free(&br->data);
		free(br->ch);
		free(br->coltypes);
	}
	free(blocks);
	if (rc) {
		segw_free(&w);
		return rc;
	}
	/* Footer: segment header fields, columns, then the block records
	 * accumulated in w.footer. */
	vg_buf head = {0};
	vg_buf_uvarint(&head, 2);
	vg_buf_uvarint(&head, seq);
	footer_str(&head, group);
	vg_buf_svarint(&head, day);
	vg_buf_uvarint(&head, nrows);
	vg_buf_svarint(&head, nrows ? tmin : 0);
	vg_buf_svarint(&head, nrows ? tmax : 0);
	vg_buf_uvarint(&head, w.ncols);
	for (uint32_t c = 0; c < w.ncols; c++) {
		footer_str(&head, w.colname[c]);
		vg_buf_putc(&head, w.coltypes[c]);
	}
	vg_buf_uvarint(&head, w.npairs);
	for (uint32_t k = 0; k < w.npairs; k++) {
		vg_buf_uvarint(&head, w.paircol[k][0]);
		vg_buf_uvarint(&head, w.paircol[k][1]);
	}
	vg_buf_uvarint(&head, (uint64_t)nblocks);
	uint64_t foff = w.file.len;
	vg_buf_put(&w.file, head.p, head.len);
	vg_buf_put(&w.file, w.footer.p, w.footer.len);
	uint32_t flen = (uint32_t)(w.file.len - foff);
	vg_buf_free(&head);
	uint8_t content[VG_HASH_LEN], chain[VG_HASH_LEN];
	crypto_generichash(content, VG_HASH_LEN, w.file.p, w.file.len, NULL, 0);
	vg_seg_chain(prev_chain, content, seq, chain);
	vg_buf_u64le(&w.file, foff);
	vg_buf_u32le(&w.file, flen);
	vg_buf_put(&w.file, content, VG_HASH_LEN);
	vg_buf_put(&w.file, prev_chain, VG_HASH_LEN);
	vg_buf_put(&w.file, chain, VG_HASH_LEN);
	vg_buf_put(&w.file, END_MAGIC, 8);
	rc = write_file(path, &w.file, err);
	if (rc == 0 && info) {
		memset(info, 0, sizeof *info);
		info->seq = seq;
		snprintf(info->group, sizeof info->group, "%s", group);
		info->day = day;
		info->nrows = nrows;
		info->tmin = tmin;
		info->tmax = tmax;
		info->bytes = w.file.len;
		memcpy(info->content_hash, content, VG_HASH_LEN);
		memcpy(info->chain, chain, VG_HASH_LEN);
	}
	segw_free(&w);
	return rc;
}

/* ---- reader ------------------------------------------------------------ */

#define CORRUPT(...) vg_seterr(err, VG_ECORRUPT, -1, __VA_ARGS__)

static int read_str(vg_cur *c, char **out)
{
	uint64_t n;
	const uint8_t *p;
	if (vg_cur_uvarint(c, &n) || n > 4096 || vg_cur_bytes(c, n, &p))
		return -1;
	*out = vg_xstrndup((const char *)p, n);
	return 0;
}

/* Mirror pairs (version 2): each column in at most one pair, and then
 * `_mirror` must exist. */
static int read_pairs(vg_seg *s, vg_cur *c, uint64_t ver, vg_err *err)
{
	s->partner = vg_xmalloc(s->ncols * sizeof *s->partner);
	for (uint32_t k = 0; k < s->ncols; k++)
		s->partner[k] = -1;
	s->mirror_col = vg_seg_col(s, MIRROR_COL);
	uint64_t np = 0;
	if (ver >= 2 && (vg_cur_uvarint(c, &np) || np > VG_MAX_PAIRS))
		return CORRUPT("bad mirror pair count");
	for (uint64_t k = 0; k < np; k++) {
		uint64_t a, b;
		if (vg_cur_uvarint(c, &a) || vg_cur_uvarint(c, &b) || a >= s->ncols ||
		    b >= s->ncols || a == b || a <= COL_TMPL || b <= COL_TMPL ||
		    s->partner[a] >= 0 || s->partner[b] >= 0 || s->mirror_col < 0 ||
		    (int64_t)a == s->mirror_col || (int64_t)b == s->mirror_col)
			return CORRUPT("bad mirror pair");
		s->partner[a] = (int32_t)b;
		s->partner[b] = (int32_t)a;
	}
	return 0;
}

static int parse_footer(vg_seg *s, vg_cur *c, uint64_t data_end, vg_err *err)
{
	uint64_t ver, v;
	if (vg_cur_uvarint(c, &ver) || ver < 1 || ver > 2)
		return CORRUPT("unknown segment version");
	if (vg_cur_uvarint(c, &s->seq) || read_str(c, &s->group) || vg_cur_svarint(c, &s->day) ||
	    vg_cur_uvarint(c, &s->nrows) || vg_cur_svarint(c, &s->tmin) ||
	    vg_cur_svarint(c, &s->tmax) || vg_cur_uvarint(c, &v) || v > 100000 || v < 3)
		return CORRUPT("bad segment header");
	s->ncols = (uint32_t)v;
	s->cols = vg_xcalloc(s->ncols, sizeof *s->cols);
	s->coltypes = vg_xcalloc(s->ncols, 1);
	for (uint32_t k = 0; k < s->ncols; k++)
		if (read_str(c, &s->cols[k]) || vg_cur_u8(c, &s->coltypes[k]))
			return CORRUPT("bad column list");
	if (read_pairs(s, c, ver, err))
		return -1;
	if (vg_cur_uvarint(c, &v) || v > s->nrows + 1 || v > (1u << 24))
		return CORRUPT("bad block count");
	s->nblocks = (uint32_t)v;
	s->blocks = vg_xcalloc(s->nblocks ? s->nblocks : 1, sizeof *s->blocks);
	uint64_t rows = 0;
	for (uint32_t bi = 0; bi < s->nblocks; bi++) {
		vg_block *bl = &s->blocks[bi];
		uint64_t nr, nt;
		if (vg_cur_uvarint(c, &nr) || vg_cur_uvarint(c, &nt) || nr == 0 ||
		    nr > VG_BLOCK_ROWS || nt > nr || vg_cur_svarint(c, &bl->tmin) ||
		    vg_cur_svarint(c, &bl->tmax))
			return CORRUPT("bad block %u header", bi);
		bl->nrows = (uint32_t)nr;
		bl->ntmpl = (uint32_t)nt;
		rows += nr;
		bl->chunks = vg_xcalloc(s->ncols, sizeof *bl->chunks);
		for (uint32_t k = 0; k < s->ncols; k++) {
			vg_chunk *ch = &bl->chunks[k];
			uint64_t off, len, np, nd;
			if (vg_cur_uvarint(c, &off) || vg_cur_uvarint(c, &len))
				return CORRUPT("bad chunk record in block %u", bi);
			if (len == 0)
				continue;
			if (off < 8 || len > UINT32_MAX || off + len > data_end ||
			    vg_cur_u8(c, &ch->st.types) || vg_cur_uvarint(c, &np) || np > nr ||
			    vg_cur_svarint(c, &ch->st.imin) || vg_cur_svarint(c, &ch->st.imax))
				return CORRUPT("bad chunk record in block %u", bi);
			const uint8_t *ipr;
			if ((ch->st.types & (1u << VG_T_IP)) && vg_cur_bytes(c, 32, &ipr) == 0) {
				memcpy(ch->st.ipmin, ipr, 16);
				memcpy(ch->st.ipmax, ipr + 16, 16);
			} else if (ch->st.types & (1u << VG_T_IP)) {
				return CORRUPT("bad address range in block %u", bi);
			}
			if (vg_cur_uvarint(c, &nd))
				return CORRUPT("bad chunk record in block %u", bi);
			uint64_t ref;
			if (vg_cur_uvarint(c, &ref) || ref > k)
				return CORRUPT("bad chunk reference in block %u", bi);
			ch->off = off;
			ch->len = (uint32_t)len;
			ch->ref = (int32_t)ref - 1;
			ch->st.npresent = (uint32_t)np;
			ch->st.ndistinct = (uint32_t)nd;
		}
		uint64_t boff, blen;
		if (vg_cur_uvarint(c, &boff) || vg_cur_uvarint(c, &blen) || boff + blen > data_end)
			return CORRUPT("bad filter record in block %u", bi);
		bl->bloom_off = boff;
		bl->bloom_len = (uint32_t)blen;
	}
	if (rows != s->nrows)
		return CORRUPT("blocks hold %llu rows, header says %llu", (unsigned long long)rows,
			       (unsigned long long)s->nrows);
	if (c->p != c->end)
		return CORRUPT("trailing bytes after footer");
	return 0;
}

int vg_seg_open(const char *path, vg_seg **out, vg_err *err)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vg_seterr(err, errno == ENOENT ? VG_ENOTFOUND : VG_EIO, -1,
				 "cannot open %s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_size < (off_t)(8 + TRAILER_LEN)) {
		close(fd);
		return CORRUPT("%s: too short to be a segment", path);
	}
	size_t size = (size_t)st.st_size;
	const uint8_t *map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		close(fd);
		return vg_seterr(err, VG_EIO, -1, "cannot map %s: %s", path, strerror(errno));
	}
	vg_seg *s = vg_xcalloc(1, sizeof *s);
	s->fd = fd;
	s->map = map;
	s->size = size;
	*out = s;
	const uint8_t *t = map + size - TRAILER_LEN;
	if (memcmp(map, MAGIC, 8) != 0 || memcmp(t + TRAILER_LEN - 8, END_MAGIC, 8) != 0)
		return CORRUPT("%s: not a vigil segment (bad magic)", path);
	uint64_t foff = vg_rd64le(t);
	uint32_t flen = vg_rd32le(t + 8);
	memcpy(s->content_hash, t + 12, VG_HASH_LEN);
	memcpy(s->prev_chain, t + 12 + VG_HASH_LEN, VG_HASH_LEN);
	memcpy(s->chain, t + 12 + 2 * VG_HASH_LEN, VG_HASH_LEN);
	if (foff < 8 || foff + flen != size - TRAILER_LEN)
		return CORRUPT("%s: bad footer position", path);
	vg_cur c = {map + foff, map + foff + flen};
	int rc = parse_footer(s, &c, foff, err);
	if (rc) {
		char m[sizeof err->msg];
		snprintf(m, sizeof m, "%s", err->msg);
		vg_seterr(err, rc, -1, "%s: %s", path, m);
	}
	return rc;
}

void vg_seg_close(vg_seg *s)
{
	if (s == NULL)
		return;
	if (s->map)
		munmap((void *)s->map, s->size);
	if (s->fd >= 0)
		close(s->fd);
	for (uint32_t k = 0; k < s->ncols && s->cols; k++)
		free(s->cols[k]);
	for (uint32_t b = 0; b < s->nblocks && s->blocks; b++)
		free(s->blocks[b].chunks);
	free(s->cols);
	free(s->coltypes);
	free(s->partner);
	free(s->blocks);
	free(s->group);
	free(s);
}

int vg_seg_col(const vg_seg *s, const char *name)
{
	for (uint32_t k = 0; k < s->ncols; k++)
		if (strcmp(s->cols[k], name) == 0)
			return (int)k;
	return -1;
}

/* Decode column c of block b as stored: mirror rows still empty. A
 * reference column already decoded in done[] (done_ok[ref] set) is used as
 * it is instead of being decoded again. */
static int read_stored(const vg_seg *s, uint32_t b, uint32_t c, vg_arena *a, vg_col *out,
		       const vg_col *done, const uint8_t *done_ok, vg_err *err)
{
	const vg_block *bl = &s->blocks[b];
	const vg_chunk *ch = &bl->chunks[c];
	if (ch->len == 0) {
		memset(out, 0, sizeof *out);
		out->n = bl->nrows;
		out->types = vg_arena_alloc(a, bl->nrows);
		memset(out->types, 0, bl->nrows);
		return 0;
	}
	vg_col refcol;
	const vg_col *ref = NULL;
	if (ch->ref >= 0 && done && done_ok[ch->ref]) {
		ref = &done[ch->ref];
	} else if (ch->ref >= 0) {
		/* References point to earlier columns only, so this ends. */
		int rc = vg_seg_read_cached(s, b, (uint32_t)ch->ref, a, done, done_ok, &refcol, err);
		if (rc)
			return rc;
		ref = &refcol;
	}
	return vg_col_decode(s->map + ch->off, ch->len, bl->nrows, ref, a, out, err);
}

/* Put back column c's values on the mirror rows of the block: each is the
 * partner column's value in the row before (see the top of this file). */
static int restore_mirrors(const vg_seg *s, uint32_t b, uint32_t c, vg_arena *a, vg_col *out,
			   vg_err *err)
{
	vg_col m, p;
	int rc = read_stored(s, b, (uint32_t)s->mirror_col, a, &m, NULL, NULL, err);
	if (rc == 0)
		rc = read_stored(s, b, (uint32_t)s->partner[c], a, &p, NULL, NULL, err);
	if (rc)
		return rc;
	for (uint32_t r = 0; r < out->n; r++) {
		if (m.types[r] == 0)
			continue;
		if (r == 0 || m.types[r - 1] != 0 || out->types[r] != 0 ||
		    (p.types[r - 1] != VG_T_INT && p.types[r - 1] != VG_T_IP))
			return CORRUPT("segment %llu block %u: bad mirror row %u",
				       (unsigned long long)s->seq, b, r);
		uint8_t t = p.types[r - 1];
		if (t == VG_T_INT && out->i == NULL)
			out->i = vg_arena_alloc(a, (size_t)out->n * sizeof *out->i);
		if (t == VG_T_IP && out->ip == NULL)
			out->ip = vg_arena_alloc(a, (size_t)out->n * sizeof *out->ip);
		out->types[r] = t;
		if (t == VG_T_INT)
			out->i[r] = p.i[r - 1];
		else
			memcpy(out->ip[r], p.ip[r - 1], 16);
	}
	return 0;
}

int vg_seg_read(const vg_seg *s, uint32_t b, uint32_t c, vg_arena *a, vg_col *out, vg_err *err)
{
	return vg_seg_read_cached(s, b, c, a, NULL, NULL, out, err);
}

int vg_seg_read_cached(const vg_seg *s, uint32_t b, uint32_t c, vg_arena *a, const vg_col *done,
		       const uint8_t *done_ok, vg_col *out, vg_err *err)
{
	int rc = read_stored(s, b, c, a, out, done, done_ok, err);
	if (rc == 0 && s->partner && s->partner[c] >= 0 &&
	    s->blocks[b].chunks[s->mirror_col].len != 0)
		rc = restore_mirrors(s, b, c, a, out, err);
	return rc;
}

int vg_seg_block_maybe(const vg_seg *s, uint32_t b, uint64_t h)
{
	const vg_block *bl = &s->blocks[b];
	return vg_bloom_maybe(s->map + bl->bloom_off, bl->bloom_len, h);
}

int vg_seg_verify(const vg_seg *s, vg_err *err)
{
	uint8_t h[VG_HASH_LEN], chain[VG_HASH_LEN];
	crypto_generichash(h, VG_HASH_LEN, s->map, s->size - TRAILER_LEN, NULL, 0);
	if (memcmp(h, s->content_hash, VG_HASH_LEN) != 0)
		return CORRUPT("segment %llu: content hash mismatch (the file was altered)",
			       (unsigned long long)s->seq);
	vg_seg_chain(s->prev_chain, s->content_hash, s->seq, chain);
	if (memcmp(chain, s->chain, VG_HASH_LEN) != 0)
		return CORRUPT("segment %llu: chain hash mismatch", (unsigned long long)s->seq);
	vg_arena a = {0};
	int rc = 0;
	vg_col *cols = vg_xcalloc(s->ncols ? s->ncols : 1, sizeof *cols);
	uint8_t *ok = vg_xcalloc(s->ncols ? s->ncols : 1, 1);
	for (uint32_t b = 0; b < s->nblocks && rc == 0; b++) {
		memset(ok, 0, s->ncols);
		for (uint32_t c = 0; c < s->ncols && rc == 0; c++) {
			vg_col col;
			rc = vg_seg_read_cached(s, b, c, &a, cols, ok, &col, err);
			cols[c] = col;
			ok[c] = rc == 0;
			if (rc == 0 && c == 0) {
				for (uint32_t r = 0; r < col.n; r++)
					if (col.types[r] != VG_T_INT)
						rc = CORRUPT("segment %llu block %u: row without time",
							     (unsigned long long)s->seq, b);
			}
		}
		vg_arena_reset(&a);
	}
	free(cols);
	free(ok);
	vg_arena_free(&a);
	return rc;
}
