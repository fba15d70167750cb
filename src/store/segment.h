/*
 * segment.h — immutable columnar segment files.
 *
 * A segment holds the events of one group and one UTC day, sorted by time,
 * cut into blocks of at most VG_BLOCK_ROWS rows. Each block stores one
 * compressed chunk per column (colenc.h), the min/max time and per-column
 * statistics (types, min/max integer, distinct count), and a token filter
 * (bloom.h), so a scan can skip a block by time, by value range or by
 * search term before decompressing anything.
 *
 * Reserved columns: `_time` (INT ns, every row), `_raw` (STR, rows whose
 * raw text is stored) and `_tmpl` (STR, rows whose raw text is rebuilt from
 * their fields by that template; see batch.h). A row has exactly one of
 * `_raw` and `_tmpl`.
 *
 * The file ends with a trailer that carries the BLAKE2b-256 hash of every
 * byte before it, the previous segment's chain hash and this segment's
 * chain hash = H(prev chain || content hash || seq): tampering with any byte
 * of any sealed segment, or removing one, breaks the chain. Layout:
 * docs/FORMAT.md.
 *
 * Ownership: vg_seg_open maps the file read-only; the vg_seg and the
 * mapping live until vg_seg_close. A vg_seg is immutable after open and may
 * be read from several threads, each with its own arena.
 */
#ifndef VG_SEGMENT_H
#define VG_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "event/batch.h"
#include "store/colenc.h"
#include "util/err.h"

#define VG_BLOCK_ROWS 65536
#define VG_MAX_PAIRS 3      /* mirror column pairs per segment (segment.c) */
#define VG_BLOCK_BYTES (16u << 20)   /* raw bytes that end a block early */
#define VG_HASH_LEN 32

typedef struct vg_chunk {
	uint64_t off;       /* file offset; len 0 = every row absent */
	uint32_t len;
	int32_t ref;        /* column this chunk is stored relative to, or -1 */
	vg_colstat st;
} vg_chunk;

typedef struct vg_block {
	uint32_t nrows;
	uint32_t ntmpl;     /* rows whose raw is rebuilt from a template */
	int64_t tmin, tmax;
	uint64_t bloom_off;
	uint32_t bloom_len;
	vg_chunk *chunks;   /* ncols entries */
} vg_block;

typedef struct vg_seg {
	int fd;
	const uint8_t *map;
	size_t size;
	uint64_t seq;
	char *group;
	int64_t day;        /* days since the epoch */
	uint64_t nrows;
	int64_t tmin, tmax;
	uint32_t ncols;
	char **cols;
	uint8_t *coltypes;  /* union of value types seen per column */
	int32_t *partner;   /* per column: its mirror pair's other column, or -1 */
	int32_t mirror_col; /* `_mirror`, or -1 */
	uint32_t version;   /* of the footer: 3 lets a mirror row lack a pair
			     * that its row before lacks too */
	uint32_t nblocks;
	vg_block *blocks;
	uint8_t content_hash[VG_HASH_LEN];
	uint8_t prev_chain[VG_HASH_LEN];
	uint8_t chain[VG_HASH_LEN];
} vg_seg;

/* What a sealed segment is, as the manifest records it. */
typedef struct vg_seginfo {
	uint64_t seq;
	char group[256];
	int64_t day;
	uint64_t nrows;
	int64_t tmin, tmax;
	uint64_t bytes;
	uint8_t content_hash[VG_HASH_LEN];
	uint8_t chain[VG_HASH_LEN];
} vg_seginfo;

/* Write rows (indices into b, already sorted by time, all of one group and
 * day) as segment `seq` to path. Blocks take consecutive runs of rows; inside
 * a block rows are ordered by sortkey (field names, see vg_batch_sortkey),
 * then time, when sortkey is not NULL. Written durably (written to path.tmp, fsynced,
 * renamed; the caller fsyncs the directory). prev_chain is the previous
 * segment's chain hash. Fills *info. */
int vg_seg_write(const char *path, const vg_batch *b, const uint32_t *rows, size_t nrows,
		 uint64_t seq, const char *group, int64_t day, const uint8_t prev_chain[VG_HASH_LEN],
		 const char *sortkey, int zlevel, vg_seginfo *info, vg_err *err);

/* Chain hash of a segment from its parts. */
void vg_seg_chain(const uint8_t prev[VG_HASH_LEN], const uint8_t content[VG_HASH_LEN],
		  uint64_t seq, uint8_t out[VG_HASH_LEN]);

/* Open and map a segment, reading and bounds-checking its footer (not its
 * hash: vg_seg_verify does that). */
int vg_seg_open(const char *path, vg_seg **out, vg_err *err);
void vg_seg_close(vg_seg *s);
/* Recompute the content hash and check it and the chain hash against the
 * trailer; then decode every chunk of every block. */
int vg_seg_verify(const vg_seg *s, vg_err *err);
/* Index of column name, or -1. */
int vg_seg_col(const vg_seg *s, const char *name);
/* Index of the column holding the events' field name, or -1: the
 * segment's own columns (`_tmpl`, column 2, and `_mirror`) hold no field,
 * as the memtable has none of those names. The executor reads fields
 * through this. */
int vg_seg_field(const vg_seg *s, const char *name);
/* Decode column c of block b (an absent chunk decodes as all-absent). */
int vg_seg_read(const vg_seg *s, uint32_t b, uint32_t c, vg_arena *a, vg_col *out, vg_err *err);
/* vg_seg_read, using the columns of the same block already decoded
 * (done[k] where done_ok[k]) as references instead of decoding them again:
 * a JSON block's many columns stored as places in `_raw` would each decode
 * `_raw` otherwise. done / done_ok may be NULL. */
int vg_seg_read_cached(const vg_seg *s, uint32_t b, uint32_t c, vg_arena *a, const vg_col *done,
		       const uint8_t *done_ok, vg_col *out, vg_err *err);
/* Column c of block b as stored: a pair column's mirror rows still
 * absent (vg_seg_restore_mirrors puts them back). done / done_ok as for
 * vg_seg_read_cached. */
int vg_seg_read_stored(const vg_seg *s, uint32_t b, uint32_t c, vg_arena *a, const vg_col *done,
		       const uint8_t *done_ok, vg_col *out, vg_err *err);
/* Put back the mirror rows of out, pair column c of block b as stored:
 * each takes the value of partner (the other column of the pair, stored or
 * restored) in the row before. mirror is the block's `_mirror`. */
int vg_seg_restore_mirrors(const vg_seg *s, uint32_t b, const vg_col *mirror,
			   const vg_col *partner, vg_arena *a, vg_col *out, vg_err *err);
/* 1 if block b may contain token hash h. */
int vg_seg_block_maybe(const vg_seg *s, uint32_t b, uint64_t h);

#endif
