/*
 * segment.c — writing and reading segment files (see segment.h and
 * docs/FORMAT.md).
 *
 * The writer transposes a time-sorted run of events into columns, block by
 * block. For each event that names a raw template it rebuilds the raw text
 * from the fields and keeps only the template when the rebuilt text is
 * byte-identical; otherwise it keeps the raw text. The claim a parser makes
 * is therefore checked, never trusted.
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

/* A template resolved against the batch: field ids in print order. */
typedef struct tmpl {
	uint32_t *fids;
	uint32_t n;
	const char *text;
	uint32_t len;
	int ready;
} tmpl;

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
	tmpl *tmpls;
	vg_field *synth;            /* _time, _raw/_tmpl values of the block */
	uint32_t *fpos;             /* fid -> field index in the current event */
	uint32_t *fstamp;           /* fid -> event stamp for fpos */
	uint32_t stamp;
	vg_tokset toks;
	vg_buf file;
	vg_buf footer;
	uint32_t keyfids[3];        /* sort key fields, UINT32_MAX if absent */
	uint32_t nkeys;
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

/* A row's place in its block: the hashes of its sort key values, then time. */
typedef struct sortrow {
	uint64_t k[3];
	int64_t t;
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

/* Order the block's rows (indices into the batch) by sort key, then time. */
static const uint32_t *order_block(segw *w, const uint32_t *rows, uint32_t nb)
{
	if (w->nkeys == 0)
		return rows;
	w->srows = vg_xrealloc(w->srows, (size_t)nb * sizeof *w->srows);
	w->order = vg_xrealloc(w->order, (size_t)nb * sizeof *w->order);
	for (uint32_t r = 0; r < nb; r++) {
		if (r + PREFETCH < nb)
			prefetch_event(w->b, rows[r + PREFETCH]);
		if (r + 2 * PREFETCH < nb)
			__builtin_prefetch(&w->b->ev[rows[r + 2 * PREFETCH]]);
		const vg_event *e = &w->b->ev[rows[r]];
		const vg_field *f = vg_event_fields(w->b, e);
		sortrow *s = &w->srows[r];
		memset(s->k, 0, sizeof s->k);
		for (uint32_t j = 0; j < e->nfields; j++)
			for (uint32_t k = 0; k < w->nkeys; k++)
				if (f[j].fid == w->keyfids[k])
					s->k[k] = key_of(&f[j]);
		s->t = e->t;
		s->row = rows[r];
	}
	qsort(w->srows, nb, sizeof *w->srows, cmp_sortrow);
	for (uint32_t r = 0; r < nb; r++)
		w->order[r] = w->srows[r].row;
	return w->order;
}

static void resolve_sortkey(segw *w, const char *key)
{
	w->nkeys = 0;
	if (key == NULL)
		return;
	const char *p = key;
	while (*p && w->nkeys < 3) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (n == 0)
			break;
		w->keyfids[w->nkeys++] = vg_strtab_find(&w->b->fields, p, n);
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

static void resolve_tmpl(segw *w, uint32_t id)
{
	tmpl *t = &w->tmpls[id];
	if (t->ready)
		return;
	size_t len;
	const char *s = vg_strtab_get(&w->b->tmpls, id, &len);
	t->text = s;
	t->len = (uint32_t)len;
	t->fids = vg_xmalloc((len / 2 + 2) * sizeof *t->fids);
	t->n = 0;
	size_t k = 0;
	while (k < len) {
		size_t start = k;
		while (k < len && s[k] != ' ')
			k++;
		if (k > start)
			t->fids[t->n++] = vg_strtab_find(&w->b->fields, s + start, k - start);
		k++;
	}
	t->ready = 1;
}

/* Does text [p, p + n) equal the value of field f printed as text? */
static int field_text_is(const vg_field *f, const char *p, size_t n)
{
	char tmp[64];
	size_t len;
	switch (f->type) {
	case VG_T_STR:
		return f->len == n && memcmp(f->v.s, p, n) == 0;
	case VG_T_INT: {
		/* Printed backwards: no buffer object, no call. */
		uint64_t u = f->v.i < 0 ? (uint64_t)0 - (uint64_t)f->v.i : (uint64_t)f->v.i;
		char *q = tmp + sizeof tmp;
		do {
			*--q = (char)('0' + u % 10);
			u /= 10;
		} while (u);
		if (f->v.i < 0)
			*--q = '-';
		len = (size_t)(tmp + sizeof tmp - q);
		return len == n && memcmp(q, p, n) == 0;
	}
	case VG_T_IP:
		len = vg_ip_format(f->v.ip, tmp);
		return len == n && memcmp(tmp, p, n) == 0;
	default: {
		vg_buf b = {0};
		vg_field_text(&b, f);
		int same = b.len == n && memcmp(b.p, p, n) == 0;
		vg_buf_free(&b);
		return same;
	}
	}
}

/* 1 if the event's raw text equals its template rendering: the template's
 * fields printed in order, separated by single spaces, `-` for absent.
 * Compared piece by piece against the raw text, nothing is built. */
static int tmpl_matches(segw *w, const vg_event *e)
{
	tmpl *t = &w->tmpls[e->rawtmpl - 1];
	resolve_tmpl(w, e->rawtmpl - 1);
	const vg_field *f = vg_event_fields(w->b, e);
	w->stamp++;
	for (uint32_t k = 0; k < e->nfields; k++) {
		w->fstamp[f[k].fid] = w->stamp;
		w->fpos[f[k].fid] = k;
	}
	/* An event the parser flagged keeps its raw text as it came. */
	if (w->fstamp[w->b->perr_fid] == w->stamp)
		return 0;
	const char *raw = e->raw;
	size_t rl = e->rawlen, pos = 0;
	uint32_t used = 0;
	for (uint32_t k = 0; k < t->n; k++) {
		if (k) {
			if (pos >= rl || raw[pos] != ' ')
				return 0;
			pos++;
		}
		const char *sp = memchr(raw + pos, ' ', rl - pos);
		size_t end = sp ? (size_t)(sp - raw) : rl;
		uint32_t fid = t->fids[k];
		if (fid != UINT32_MAX && w->fstamp[fid] == w->stamp) {
			const vg_field *v = &f[w->fpos[fid]];
			/* A string value may hold spaces: compare its own length. */
			if (v->type == VG_T_STR)
				end = pos + v->len <= rl ? pos + v->len : rl + 1;
			if (end > rl || !field_text_is(v, raw + pos, end - pos))
				return 0;
			used++;
		} else if (end != pos + 1 || raw[pos] != '-') {
			return 0;
		}
		pos = end;
	}
	return used > 0 && pos == rl;
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
		if (e->rawtmpl && tmpl_matches(w, e)) {
			tmpl *t = &w->tmpls[e->rawtmpl - 1];
			fr->v.s = t->text;
			fr->len = t->len;
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
		for (uint32_t k = 0; k < e->nfields; k++) {
			uint32_t c = w->col_of_fid[f[k].fid];
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
	w->tmpls = proto->tmpls;
	memcpy(w->keyfids, proto->keyfids, sizeof w->keyfids);
	w->nkeys = proto->nkeys;
	w->acc = vg_xcalloc(w->ncols, sizeof *w->acc);
	size_t nf = w->b->fields.n ? w->b->fields.n : 1;
	w->fpos = vg_xcalloc(nf, sizeof *w->fpos);
	w->fstamp = vg_xcalloc(nf, sizeof *w->fstamp);
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
		for (size_t k = 0; k < w->b->tmpls.n; k++)
			free(w->tmpls[k].fids);
		free(w->tmpls);
		free(w->colname);
		free(w->coltypes);
		free(w->col_of_fid);
	}
	free(w->synth);
	free(w->fpos);
	free(w->fstamp);
	free(w->srows);
	free(w->order);
	vg_buf_free(&w->file);
	vg_buf_free(&w->footer);
	vg_tokset_free(&w->toks);
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
	w.fpos = vg_xcalloc(nf ? nf : 1, sizeof *w.fpos);
	w.fstamp = vg_xcalloc(nf ? nf : 1, sizeof *w.fstamp);
	w.tmpls = vg_xcalloc(b->tmpls.n ? b->tmpls.n : 1, sizeof *w.tmpls);
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
	vg_buf_put(&w.file, MAGIC, 8);
	/* Templates are resolved now: workers only read them. */
	for (uint32_t t = 0; t < b->tmpls.n; t++)
		resolve_tmpl(&w, t);
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
	vg_buf_uvarint(&head, 1);
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

static int parse_footer(vg_seg *s, vg_cur *c, uint64_t data_end, vg_err *err)
{
	uint64_t ver, v;
	if (vg_cur_uvarint(c, &ver) || ver != 1)
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

int vg_seg_read(const vg_seg *s, uint32_t b, uint32_t c, vg_arena *a, vg_col *out, vg_err *err)
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
	vg_col refcol, *ref = NULL;
	if (ch->ref >= 0) {
		/* References point to earlier columns only, so this ends. */
		int rc = vg_seg_read(s, b, (uint32_t)ch->ref, a, &refcol, err);
		if (rc)
			return rc;
		ref = &refcol;
	}
	return vg_col_decode(s->map + ch->off, ch->len, bl->nrows, ref, a, out, err);
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
	for (uint32_t b = 0; b < s->nblocks && rc == 0; b++) {
		for (uint32_t c = 0; c < s->ncols && rc == 0; c++) {
			vg_col col;
			rc = vg_seg_read(s, b, c, &a, &col, err);
			if (rc == 0 && c == 0) {
				for (uint32_t r = 0; r < col.n; r++)
					if (col.types[r] != VG_T_INT)
						rc = CORRUPT("segment %llu block %u: row without time",
							     (unsigned long long)s->seq, b);
			}
		}
		vg_arena_reset(&a);
	}
	vg_arena_free(&a);
	return rc;
}
