/*
 * reader.h — turning stored rows back into events.
 *
 * vg_blk holds one decoded block of a segment (the columns asked for, or
 * all) and rebuilds a row's raw text, from `_raw` or by printing its fields
 * through its `_tmpl` template. Events print as one JSON object each, the
 * same shape whether they come from a segment or the memtable:
 *
 *   {"_time":"2026-11-27T10:00:00.000Z","_group":"vpcflow","_raw":"...",
 *    "srcaddr":"10.0.0.1","dstport":22, ...}
 *
 * Ownership: everything a vg_blk hands out lives in its arena until
 * vg_blk_release. The segment must outlive the vg_blk.
 */
#ifndef VG_READER_H
#define VG_READER_H

#include "event/batch.h"
#include "store/segment.h"
#include "util/mem.h"

typedef struct vg_blk {
	const vg_seg *seg;
	uint32_t block, n;
	vg_col *cols;             /* seg->ncols entries; loaded[c] says which */
	uint8_t *loaded;
	uint8_t *partial;         /* per column: cols[c] holds a mirror pair
				   * column as stored, its mirror rows not
				   * restored yet. With loaded[c] 0 nobody reads
				   * it but a restore of its partner; with
				   * loaded[c] 1 (vg_blk_load_col_rows) it is
				   * right at the rows that call named only */
	vg_col *idcols;           /* per column, where idok[c]: its stored form
				   * with addresses as dictionary ids
				   * (vg_blk_load_col_ids); NULL until then */
	uint8_t *idok;
	int32_t **tmpl_cols;      /* per _tmpl dictionary entry: column per name */
	uint32_t *tmpl_n;
	uint32_t *by_time;        /* rows in time order (NULL until vg_blk_time_order) */
	vg_arena arena;
} vg_blk;

/* Decode block b of s: every column when want is NULL, else the columns
 * with want[c] != 0 (plus `_time`, `_raw`, `_tmpl` and the columns their
 * templates name). */
int vg_blk_load(vg_blk *bk, const vg_seg *s, uint32_t b, const uint8_t *want, vg_err *err);
/* Start block b of s with no column decoded; vg_blk_load_col then
 * decodes the columns one at a time, when the caller first needs them
 * (a scan that finds no match in a column decodes no other). The block's
 * memory comes from *reuse, which it takes over (NULL: a new arena); a
 * scan hands the same arena from block to block through vg_blk_keep, so
 * its pages stay mapped and warm. */
void vg_blk_open(vg_blk *bk, const vg_seg *s, uint32_t b, vg_arena *reuse);
/* On a block from vg_blk_open: decode `_time`, `_raw` and `_tmpl`, and
 * resolve the templates to columns (tmpl_cols), decoding none of them. */
int vg_blk_load_tmpls(vg_blk *bk, vg_err *err);
/* On a block from vg_blk_open: decode what vg_blk_load decodes (every
 * column when want is NULL, else those with want[c], plus the raw text and
 * the columns its templates name). Columns decoded already are kept. */
int vg_blk_load_text(vg_blk *bk, const uint8_t *want, vg_err *err);
/* Release bk, keeping its memory in *keep (reset, emptied of the block's
 * data) for the next vg_blk_open. */
void vg_blk_keep(vg_blk *bk, vg_arena *keep);
/* Decode column c of the block unless it is loaded already. Returns 0 or
 * an error (err set). */
int vg_blk_load_col(vg_blk *bk, uint32_t c, vg_err *err);
/* Make cols[c] right at least at rows[0..n) (ascending): vg_blk_load_col,
 * except that a mirror pair column none of whose mirror rows is listed is
 * only decoded as stored (loaded[c] and partial[c] set: the caller reads
 * those rows only, and vg_blk_load_col completes the column), sparing the
 * decoding of its partner. A filter that keeps no mirror row (rejected
 * flows have no reply) then reads one address column, not two. */
int vg_blk_load_col_rows(vg_blk *bk, uint32_t c, const uint32_t *rows, uint32_t n, vg_err *err);
/* vg_blk_load_col_rows for a reader that only tells addresses apart
 * (counts, groups, distinct values): *out is column c right at
 * rows[0..n). When c is not decoded yet, stores a dictionary of addresses
 * without a reference, and none of the rows is a mirror row, that is
 * idcols[c], whose rows hold ids into its dictionary (ipid, ipdict) and
 * whose ip is NULL: nothing is copied per row. Otherwise it is cols[c] as
 * vg_blk_load_col_rows leaves it. A later vg_blk_load_col* of c turns the
 * ids into addresses instead of decoding the chunk again. */
int vg_blk_load_col_ids(vg_blk *bk, uint32_t c, const uint32_t *rows, uint32_t n,
			const vg_col **out, vg_err *err);
void vg_blk_release(vg_blk *bk);
static inline int64_t vg_blk_time(const vg_blk *bk, uint32_t r)
{
	return bk->cols[0].i[r];
}
/* The block's rows in ascending time (stable). Rows inside a block are
 * ordered by the group's sort key, so time order is computed on demand. */
const uint32_t *vg_blk_time_order(vg_blk *bk);
/* Append row r's raw text to out. */
void vg_blk_raw(vg_blk *bk, uint32_t r, vg_buf *out);
/* Append row r as a JSON object (no newline) to out. */
void vg_blk_json(vg_blk *bk, uint32_t r, vg_buf *out);
/* Append value of column c at row r as JSON (nothing if absent: returns 0). */
int vg_col_json(const vg_col *c, uint32_t r, vg_buf *out);

/* Append memtable event i of b as a JSON object. */
void vg_event_json(const vg_batch *b, size_t i, vg_buf *out);

#endif
