#include "store/scan.h"

#include <stdlib.h>
#include <string.h>

#include "util/timeutil.h"

typedef struct cursor {
	vg_seg *seg;          /* NULL for the memtable cursor */
	uint32_t block, row;
	vg_blk bk;
	int loaded, done;
	size_t *mem_rows;     /* memtable: sorted event indices of the day */
	size_t nmem, mpos;
} cursor;

typedef struct memkey {
	int64_t t;
	size_t i;
} memkey;

static int cmp_memkey(const void *a, const void *b)
{
	const memkey *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static int group_ok(const vg_scan_opts *o, const char *g)
{
	return o->group == NULL || strcmp(o->group, g) == 0;
}

/* Position a segment cursor on its next row within [from, to). */
static int seg_advance(cursor *c, const vg_scan_opts *o, vg_err *err)
{
	for (;;) {
		if (c->loaded && c->row < c->bk.n) {
			int64_t t = vg_blk_time(&c->bk, c->bk.by_time[c->row]);
			if (t >= o->to) {
				c->done = 1;
				return 0;
			}
			if (t >= o->from)
				return 0;
			c->row++;
			continue;
		}
		if (c->loaded) {
			vg_blk_release(&c->bk);
			c->loaded = 0;
			c->block++;
		}
		while (c->block < c->seg->nblocks && (c->seg->blocks[c->block].tmax < o->from))
			c->block++;
		if (c->block >= c->seg->nblocks || c->seg->blocks[c->block].tmin >= o->to) {
			c->done = 1;
			return 0;
		}
		int rc = vg_blk_load(&c->bk, c->seg, c->block, NULL, err);
		if (rc)
			return rc;
		c->loaded = 1;
		c->row = 0;
		vg_blk_time_order(&c->bk);
	}
}

static int64_t cur_time(const cursor *c, const vg_batch *mem)
{
	if (c->seg)
		return vg_blk_time(&c->bk, c->bk.by_time[c->row]);
	return mem->ev[c->mem_rows[c->mpos]].t;
}

static int scan_day(vg_store *st, const vg_scan_opts *o, cursor *cs, size_t ncs,
		    int (*fn)(void *, const vg_scan_row *), void *ctx, vg_err *err)
{
	const vg_batch *mem = vg_store_mem(st);
	int rc = 0;
	for (size_t k = 0; k < ncs && rc == 0; k++)
		if (cs[k].seg)
			rc = seg_advance(&cs[k], o, err);
	while (rc == 0) {
		size_t best = SIZE_MAX;
		int64_t bt = 0;
		for (size_t k = 0; k < ncs; k++) {
			cursor *c = &cs[k];
			if (c->done || (!c->seg && c->mpos >= c->nmem))
				continue;
			int64_t t = cur_time(c, mem);
			if (best == SIZE_MAX || t < bt) {
				best = k;
				bt = t;
			}
		}
		if (best == SIZE_MAX)
			break;
		cursor *c = &cs[best];
		vg_scan_row row = {.t = bt};
		if (c->seg) {
			row.bk = &c->bk;
			row.row = c->bk.by_time[c->row];
		} else {
			row.mem = mem;
			row.i = c->mem_rows[c->mpos];
		}
		rc = fn(ctx, &row);
		if (c->seg) {
			c->row++;
			if (rc == 0)
				rc = seg_advance(c, o, err);
		} else {
			c->mpos++;
		}
	}
	return rc;
}

int vg_scan_ordered(vg_store *st, const vg_scan_opts *o,
		    int (*fn)(void *ctx, const vg_scan_row *row), void *ctx, vg_err *err)
{
	const vg_batch *mem = vg_store_mem(st);
	size_t nseg = vg_store_nsegs(st);
	/* The days to visit. */
	int64_t *days = vg_xmalloc((nseg + mem->nev + 1) * sizeof *days);
	size_t nd = 0;
	for (size_t k = 0; k < nseg; k++) {
		const vg_seginfo *si = vg_store_seginfo(st, k);
		if (si && group_ok(o, si->group) && si->tmax >= o->from && si->tmin < o->to)
			days[nd++] = si->day;
	}
	memkey *mk = vg_xmalloc((mem->nev + 1) * sizeof *mk);
	size_t nm = 0;
	for (size_t i = 0; i < mem->nev; i++) {
		const vg_event *e = &mem->ev[i];
		if (e->t < o->from || e->t >= o->to ||
		    !group_ok(o, vg_strtab_get(&mem->groups, e->group, NULL)))
			continue;
		mk[nm].t = e->t;
		mk[nm++].i = i;
		days[nd++] = vg_day_of(e->t);
	}
	qsort(mk, nm, sizeof *mk, cmp_memkey);
	qsort(days, nd, sizeof *days, cmp_i64);
	int rc = 0;
	size_t mpos = 0;
	cursor *cs = vg_xcalloc(nseg + 1, sizeof *cs);
	size_t *mrows = vg_xmalloc((nm + 1) * sizeof *mrows);
	for (size_t d = 0; d < nd && rc == 0; d++) {
		if (d && days[d] == days[d - 1])
			continue;
		size_t ncs = 0;
		for (size_t k = 0; k < nseg && rc == 0; k++) {
			const vg_seginfo *si = vg_store_seginfo(st, k);
			if (!si || si->day != days[d] || !group_ok(o, si->group) ||
			    si->tmax < o->from || si->tmin >= o->to)
				continue;
			memset(&cs[ncs], 0, sizeof cs[ncs]);
			rc = vg_store_open_seg(st, k, &cs[ncs].seg, err);
			if (rc)
				vg_seg_close(cs[ncs].seg);
			else
				ncs++;
		}
		size_t nmd = 0;
		while (mpos < nm && vg_day_of(mk[mpos].t) == days[d])
			mrows[nmd++] = mk[mpos++].i;
		memset(&cs[ncs], 0, sizeof cs[ncs]);
		cs[ncs].mem_rows = mrows;
		cs[ncs].nmem = nmd;
		ncs++;
		if (rc == 0)
			rc = scan_day(st, o, cs, ncs, fn, ctx, err);
		for (size_t k = 0; k < ncs; k++) {
			if (cs[k].loaded)
				vg_blk_release(&cs[k].bk);
			vg_seg_close(cs[k].seg);
		}
	}
	free(mrows);
	free(cs);
	free(mk);
	free(days);
	return rc;
}

void vg_scan_row_json(const vg_scan_row *row, vg_buf *out)
{
	if (row->bk)
		vg_blk_json(row->bk, row->row, out);
	else
		vg_event_json(row->mem, row->i, out);
}
