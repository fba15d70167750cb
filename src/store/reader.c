#include "store/reader.h"

#include <stdlib.h>
#include <string.h>

#include "event/value.h"
#include "util/timeutil.h"

enum { COL_TIME = 0, COL_RAW = 1, COL_TMPL = 2 };

/* Resolve each distinct template of the block to the columns it names. */
static void resolve_tmpls(vg_blk *bk)
{
	const vg_col *tc = &bk->cols[COL_TMPL];
	uint32_t nt = tc->nstrs;
	bk->tmpl_cols = vg_arena_alloc(&bk->arena, (nt ? nt : 1) * sizeof *bk->tmpl_cols);
	bk->tmpl_n = vg_arena_alloc(&bk->arena, (nt ? nt : 1) * sizeof *bk->tmpl_n);
	for (uint32_t k = 0; k < nt; k++) {
		const char *s = tc->strs[k];
		size_t len = tc->slens[k];
		int32_t *cols = vg_arena_alloc(&bk->arena, (len / 2 + 2) * sizeof *cols);
		uint32_t n = 0;
		size_t i = 0;
		while (i < len) {
			size_t st = i;
			while (i < len && s[i] != ' ')
				i++;
			if (i > st) {
				char name[VG_MAX_NAME + 1];
				size_t nl = i - st > VG_MAX_NAME ? VG_MAX_NAME : i - st;
				memcpy(name, s + st, nl);
				name[nl] = 0;
				cols[n++] = vg_seg_col(bk->seg, name);
			}
			i++;
		}
		bk->tmpl_cols[k] = cols;
		bk->tmpl_n[k] = n;
	}
}

/* The block's header fields and column tables, from its arena. */
static void blk_fill(vg_blk *bk, const vg_seg *s, uint32_t b)
{
	bk->seg = s;
	bk->block = b;
	bk->n = s->blocks[b].nrows;
	bk->cols = vg_arena_alloc(&bk->arena, s->ncols * sizeof *bk->cols);
	bk->loaded = vg_arena_alloc(&bk->arena, s->ncols);
	memset(bk->loaded, 0, s->ncols);
	bk->partial = vg_arena_alloc(&bk->arena, s->ncols);
	memset(bk->partial, 0, s->ncols);
}

static void blk_init(vg_blk *bk, const vg_seg *s, uint32_t b)
{
	memset(bk, 0, sizeof *bk);
	blk_fill(bk, s, b);
}

void vg_blk_open(vg_blk *bk, const vg_seg *s, uint32_t b, vg_arena *reuse)
{
	vg_arena a = {0};
	if (reuse) {
		a = *reuse;
		memset(reuse, 0, sizeof *reuse);
		vg_arena_reset(&a);
	}
	memset(bk, 0, sizeof *bk);
	bk->arena = a;
	blk_fill(bk, s, b);
}

void vg_blk_keep(vg_blk *bk, vg_arena *keep)
{
	*keep = bk->arena;
	vg_arena_reset(keep);
	memset(bk, 0, sizeof *bk);
}

/* Does column c of the block have mirror rows to restore? */
static int has_mirrors(const vg_blk *bk, uint32_t c)
{
	const vg_seg *s = bk->seg;
	return s->partner && s->partner[c] >= 0 && s->blocks[bk->block].chunks[s->mirror_col].len;
}

/* The column c's chunk is stored against, complete: the decoders read the
 * reference at any row (vg_seg_read_cached takes loaded ones as they are). */
static int load_ref(vg_blk *bk, uint32_t c, vg_err *err)
{
	int32_t ref = bk->seg->blocks[bk->block].chunks[c].ref;
	if (ref < 0 || (bk->loaded[ref] && !bk->partial[ref]))
		return 0;
	return vg_blk_load_col(bk, (uint32_t)ref, err);
}

/* The stored form of c kept with ids (vg_blk_load_col_ids) becomes
 * cols[c] as vg_seg_read_stored would have decoded it: the addresses
 * looked up in the dictionary, the chunk not decompressed again. Sets
 * partial[c]; the ids form is gone. */
static void ids_to_stored(vg_blk *bk, uint32_t c)
{
	vg_col col = bk->idcols[c];
	bk->idok[c] = 0;
	if (col.ipid) {
		uint8_t(*ip)[16] = vg_arena_alloc(&bk->arena, (col.n ? col.n : 1) * (size_t)16);
		for (uint32_t r = 0; r < col.n; r++)
			if (col.types[r] == VG_T_IP)
				memcpy(ip[r], col.ipdict[col.ipid[r]], 16);
		col.ip = ip;
		col.ipid = NULL;
		col.ipdict = NULL;
		col.nipdict = 0;
	}
	bk->cols[c] = col;
	bk->partial[c] = 1;
}

/* Pair column c as stored into cols[c] (partial[c] set), unless it is. */
static int load_stored(vg_blk *bk, uint32_t c, vg_err *err)
{
	if (bk->partial[c] || bk->loaded[c])
		return 0;
	if (bk->idok && bk->idok[c]) {
		ids_to_stored(bk, c);
		return 0;
	}
	int rc = load_ref(bk, c, err);
	if (rc == 0)
		rc = vg_seg_read_stored(bk->seg, bk->block, c, &bk->arena, bk->cols, bk->loaded,
					&bk->cols[c], err);
	bk->partial[c] = rc == 0;
	return rc;
}

int vg_blk_load_col(vg_blk *bk, uint32_t c, vg_err *err)
{
	if (bk->loaded[c] && !bk->partial[c])
		return 0;
	const vg_seg *s = bk->seg;
	int rc;
	if (!has_mirrors(bk, c)) {
		if (bk->idok && bk->idok[c]) {
			/* Without mirror rows the stored form is the column. */
			ids_to_stored(bk, c);
			bk->partial[c] = 0;
			bk->loaded[c] = 1;
			return 0;
		}
		if ((rc = load_ref(bk, c, err)) == 0)
			rc = vg_seg_read_cached(s, bk->block, c, &bk->arena, bk->cols, bk->loaded,
						&bk->cols[c], err);
		bk->loaded[c] = rc == 0;
		return rc;
	}
	/* `_mirror`, c and its partner each decoded once for the block: the
	 * partner's stored values are all a restore reads (the row before a
	 * mirror row is never one), and they stay for its own turn. */
	uint32_t p = (uint32_t)s->partner[c];
	rc = vg_blk_load_col(bk, (uint32_t)s->mirror_col, err);
	if (rc == 0)
		rc = load_stored(bk, c, err);
	if (rc == 0)
		rc = load_stored(bk, p, err);
	if (rc == 0)
		rc = vg_seg_restore_mirrors(s, bk->block, &bk->cols[s->mirror_col], &bk->cols[p],
					    &bk->arena, &bk->cols[c], err);
	bk->partial[c] = 0;
	bk->loaded[c] = rc == 0;
	return rc;
}

/* Does types[r] == 0 (zero set) or != 0 (zero 0) hold for one of the
 * rows? Asked 64 rows at a time, so that it stops soon when it does. */
static int rows_hold(const uint8_t *types, const uint32_t *rows, uint32_t n, int zero)
{
	for (uint32_t k = 0; k < n;) {
		uint32_t end = n - k > 64 ? k + 64 : n;
		uint8_t hit = 0;
		for (; k < end; k++)
			hit |= (types[rows[k]] == 0) == zero;
		if (hit)
			return 1;
	}
	return 0;
}

/* Is one of rows[0..n) a mirror row (*any)? stored is a pair column as
 * stored: a row with a value there is none, so `_mirror` is decoded only
 * when some row has none. 0 or an error. */
static int mirror_rows(vg_blk *bk, const vg_col *stored, const uint32_t *rows, uint32_t n,
		       int *any, vg_err *err)
{
	*any = 0;
	if (!rows_hold(stored->types, rows, n, 1))
		return 0;
	int rc = vg_blk_load_col(bk, (uint32_t)bk->seg->mirror_col, err);
	if (rc == 0)
		*any = rows_hold(bk->cols[bk->seg->mirror_col].types, rows, n, 0);
	return rc;
}

int vg_blk_load_col_rows(vg_blk *bk, uint32_t c, const uint32_t *rows, uint32_t n, vg_err *err)
{
	if ((bk->loaded[c] && !bk->partial[c]) || !has_mirrors(bk, c))
		return vg_blk_load_col(bk, c, err);
	int any = 0, rc = load_stored(bk, c, err);
	if (rc == 0)
		rc = mirror_rows(bk, &bk->cols[c], rows, n, &any, err);
	if (rc || any)
		return rc ? rc : vg_blk_load_col(bk, c, err);
	bk->loaded[c] = 1;
	return 0;
}

int vg_blk_load_col_ids(vg_blk *bk, uint32_t c, const uint32_t *rows, uint32_t n,
			const vg_col **out, vg_err *err)
{
	const vg_seg *s = bk->seg;
	const vg_chunk *ch = &s->blocks[bk->block].chunks[c];
	*out = &bk->cols[c];
	int ready = bk->idok && bk->idok[c];
	if (!ready && (bk->loaded[c] || bk->partial[c] || ch->len == 0 || ch->ref >= 0 ||
		       ch->st.types != (1u << VG_T_IP)))
		return vg_blk_load_col_rows(bk, c, rows, n, err);
	if (bk->idcols == NULL) {
		bk->idcols = vg_arena_alloc(&bk->arena, s->ncols * sizeof *bk->idcols);
		bk->idok = vg_arena_alloc(&bk->arena, s->ncols);
		memset(bk->idok, 0, s->ncols);
	}
	if (!ready) {
		int rc = vg_col_decode_ids(s->map + ch->off, ch->len, bk->n, &bk->arena,
					   &bk->idcols[c], err);
		if (rc)
			return rc;
		bk->idok[c] = 1;
	}
	if (bk->idcols[c].ipid == NULL) /* stored without a dictionary */
		return vg_blk_load_col_rows(bk, c, rows, n, err);
	int any = 0;
	if (has_mirrors(bk, c)) {
		int rc = mirror_rows(bk, &bk->idcols[c], rows, n, &any, err);
		if (rc || any)
			return rc ? rc : vg_blk_load_col(bk, c, err);
	}
	*out = &bk->idcols[c];
	return 0;
}

int vg_blk_load(vg_blk *bk, const vg_seg *s, uint32_t b, const uint8_t *want, vg_err *err)
{
	blk_init(bk, s, b);
	return vg_blk_load_text(bk, want, err);
}

int vg_blk_load_tmpls(vg_blk *bk, vg_err *err)
{
	if (bk->tmpl_cols)
		return 0;
	for (uint32_t c = 0; c <= COL_TMPL; c++) {
		int rc = vg_blk_load_col(bk, c, err);
		if (rc)
			return rc;
	}
	resolve_tmpls(bk);
	return 0;
}

int vg_blk_load_text(vg_blk *bk, const uint8_t *want, vg_err *err)
{
	const vg_seg *s = bk->seg;
	uint32_t b = bk->block;
	int rc0 = vg_blk_load_tmpls(bk, err);
	if (rc0)
		return rc0;
	uint8_t *need = vg_arena_alloc(&bk->arena, s->ncols);
	for (uint32_t c = 0; c < s->ncols; c++)
		need[c] = want == NULL || want[c];
	if (s->blocks[b].ntmpl)
		for (uint32_t k = 0; k < bk->cols[COL_TMPL].nstrs; k++)
			for (uint32_t j = 0; j < bk->tmpl_n[k]; j++)
				if (bk->tmpl_cols[k][j] >= 0)
					need[bk->tmpl_cols[k][j]] = 1;
	for (uint32_t c = COL_TMPL + 1; c < s->ncols; c++) {
		if (!need[c])
			continue;
		int rc = vg_blk_load_col(bk, c, err);
		if (rc)
			return rc;
	}
	return 0;
}

typedef struct trow {
	int64_t t;
	uint32_t r;
} trow;

static int cmp_trow(const void *a, const void *b)
{
	const trow *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->r < y->r ? -1 : x->r > y->r;
}

const uint32_t *vg_blk_time_order(vg_blk *bk)
{
	if (bk->by_time)
		return bk->by_time;
	uint32_t n = bk->n;
	bk->by_time = vg_arena_alloc(&bk->arena, (n ? n : 1) * sizeof *bk->by_time);
	int sorted = 1;
	for (uint32_t r = 0; r < n; r++) {
		bk->by_time[r] = r;
		if (r && bk->cols[0].i[r - 1] > bk->cols[0].i[r])
			sorted = 0;
	}
	if (sorted)
		return bk->by_time;
	trow *tr = vg_xmalloc((n ? n : 1) * sizeof *tr);
	for (uint32_t r = 0; r < n; r++) {
		tr[r].t = bk->cols[0].i[r];
		tr[r].r = r;
	}
	qsort(tr, n, sizeof *tr, cmp_trow);
	for (uint32_t r = 0; r < n; r++)
		bk->by_time[r] = tr[r].r;
	free(tr);
	return bk->by_time;
}

void vg_blk_release(vg_blk *bk)
{
	vg_arena_free(&bk->arena);
	memset(bk, 0, sizeof *bk);
}

static void col_text(const vg_col *c, uint32_t r, vg_buf *out)
{
	uint8_t t = c->types[r];
	vg_value_text(out, t, t == VG_T_INT ? c->i[r] : 0, t == VG_T_DBL ? c->d[r] : 0,
		      t == VG_T_STR ? c->strs[c->sid[r]] : NULL, t == VG_T_STR ? c->slens[c->sid[r]] : 0,
		      t == VG_T_IP ? c->ip[r] : NULL);
}

void vg_blk_raw(vg_blk *bk, uint32_t r, vg_buf *out)
{
	const vg_col *rc = &bk->cols[COL_RAW];
	if (rc->types[r] == VG_T_STR) {
		vg_buf_put(out, rc->strs[rc->sid[r]], rc->slens[rc->sid[r]]);
		return;
	}
	const vg_col *tc = &bk->cols[COL_TMPL];
	if (tc->types[r] != VG_T_STR)
		return;
	uint32_t k = tc->sid[r];
	for (uint32_t j = 0; j < bk->tmpl_n[k]; j++) {
		if (j)
			vg_buf_putc(out, ' ');
		int32_t c = bk->tmpl_cols[k][j];
		if (c < 0 || !bk->loaded[c] || bk->cols[c].types[r] == 0)
			vg_buf_putc(out, '-');
		else
			col_text(&bk->cols[c], r, out);
	}
}

int vg_col_json(const vg_col *c, uint32_t r, vg_buf *out)
{
	uint8_t t = c->types[r];
	if (t == 0)
		return 0;
	if (t == VG_T_INT || t == VG_T_DBL) {
		col_text(c, r, out);
	} else if (t == VG_T_STR) {
		vg_json_str(out, c->strs[c->sid[r]], c->slens[c->sid[r]]);
	} else {
		vg_buf_putc(out, '"');
		col_text(c, r, out);
		vg_buf_putc(out, '"');
	}
	return 1;
}

static void head_json(vg_buf *out, int64_t t, const char *group)
{
	char ts[48];
	size_t n = vg_format_iso8601(t, ts, 0);
	vg_buf_puts(out, "{\"_time\":\"");
	vg_buf_put(out, ts, n);
	vg_buf_puts(out, "\",\"_group\":");
	vg_json_str(out, group, strlen(group));
	vg_buf_puts(out, ",\"_raw\":");
}

void vg_blk_json(vg_blk *bk, uint32_t r, vg_buf *out)
{
	head_json(out, vg_blk_time(bk, r), bk->seg->group);
	vg_buf raw = {0};
	vg_blk_raw(bk, r, &raw);
	vg_json_str(out, (const char *)raw.p, raw.len);
	vg_buf_free(&raw);
	for (uint32_t c = COL_TMPL + 1; c < bk->seg->ncols; c++) {
		if (!bk->loaded[c] || bk->cols[c].types[r] == 0 ||
		    (int32_t)c == bk->seg->mirror_col)
			continue;
		vg_buf_putc(out, ',');
		vg_json_str(out, bk->seg->cols[c], strlen(bk->seg->cols[c]));
		vg_buf_putc(out, ':');
		vg_col_json(&bk->cols[c], r, out);
	}
	vg_buf_putc(out, '}');
}

void vg_event_json(const vg_batch *b, size_t i, vg_buf *out)
{
	const vg_event *e = &b->ev[i];
	head_json(out, e->t, vg_strtab_get(&b->groups, e->group, NULL));
	if (e->raw) {
		vg_json_str(out, e->raw, e->rawlen);
	} else {
		vg_buf raw = {0};
		vg_event_raw(b, e, &raw);
		vg_json_str(out, (const char *)raw.p, raw.len);
		vg_buf_free(&raw);
	}
	const vg_field *f = vg_event_fields(b, e);
	for (uint32_t k = 0; k < e->nfields; k++) {
		size_t nl;
		const char *name = vg_strtab_get(&b->fields, f[k].fid, &nl);
		vg_buf_putc(out, ',');
		vg_json_str(out, name, nl);
		vg_buf_putc(out, ':');
		if (f[k].type == VG_T_STR) {
			vg_json_str(out, f[k].v.s, f[k].len);
		} else if (f[k].type == VG_T_IP) {
			vg_buf_putc(out, '"');
			vg_field_text(out, &f[k]);
			vg_buf_putc(out, '"');
		} else {
			vg_field_text(out, &f[k]);
		}
	}
	vg_buf_putc(out, '}');
}
