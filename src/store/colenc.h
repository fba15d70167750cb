/*
 * colenc.h — one column of one block, encoded and decoded.
 *
 * A column chunk holds the values of one field for the rows of a block.
 * Values may be absent (sparse JSON fields) and may mix types (a JSON key
 * that is sometimes a number, sometimes a string), so a chunk records
 * presence and per-row types only when it has to. Each type's values are
 * then encoded by the cheapest of a few schemes, chosen per chunk:
 *
 *   INT  frame-of-reference or delta, both divided by the values' common
 *        divisor (times in seconds stored as ns cost nothing extra), as
 *        varints;
 *   DBL  8 bytes each;
 *   IP   dictionary or plain, 4 bytes when every address is IPv4;
 *   STR  dictionary (distinct values + fixed-width ids) or plain (lengths,
 *        then bytes).
 *
 * and the whole chunk is compressed with zstd. The exact byte layout is in
 * docs/FORMAT.md.
 *
 * Decoding yields a vg_col whose memory lives in the caller's arena; string
 * values point into it (or into the segment's mapping, which must outlive
 * the column). Dictionary-encoded strings keep their dictionary
 * (sid[] indexes strs[]), so a filter can compare each distinct value once
 * instead of once per row.
 */
#ifndef VG_COLENC_H
#define VG_COLENC_H

#include <stddef.h>
#include <stdint.h>

#include "event/batch.h"
#include "util/err.h"
#include "util/mem.h"

/* Another column of the block that this one is stored relative to: an
 * integer column as its difference from ref / div (`end` from `start`,
 * `start` from `_time` / 10^9), an address column as "same as ref" marks
 * plus the addresses that differ (`pkt-srcaddr` from `srcaddr`), a string
 * column as the place of each value inside the row's `_raw` text (a JSON
 * event's eventID is stored once, in the raw event, not twice). */
typedef struct vg_colref {
	uint32_t col;               /* the reference's column index (< this one) */
	int64_t div;                /* INT only: >= 1 */
	const uint8_t *types;       /* per block row: the reference's type, 0 absent */
	const int64_t *i;           /* per block row: its INT value */
	const uint8_t *const *ip;   /* per block row: its address */
	const char *const *raw;     /* STR against `_raw`: per row its raw text or NULL */
	const uint32_t *rawlen;
} vg_colref;

/* The values of one column for a block: rows[k] (ascending) holds vals[k];
 * rows not listed are absent. */
typedef struct vg_colin {
	uint32_t nrows;          /* rows in the block */
	uint32_t n;              /* values given */
	const uint32_t *rows;    /* NULL means rows[k] == k (all present) */
	const vg_field *vals;    /* n values (copies: scanned sequentially) */
	const vg_colref *ref;    /* NULL, or a reference (single-type INT/IP only) */
} vg_colin;

/* The values of one column for a block in compact form, as the segment
 * writer gathers them: value k is in row rows[k] (ascending; NULL: row k)
 * and has type types[k] (NULL: every value has `type`). Its 64-bit word
 * v[k] is, by type: INT the value, DBL its bits, STR an index into
 * strs/slens, IP an index into ips. The dictionaries hold distinct
 * contents (no two entries equal) and may hold entries no value uses; the
 * encoder numbers the used ones in order of first use, as the format's
 * chunk dictionaries are numbered. raw_off: per value, a STR value's
 * vg_field.raw_off (NULL: all 0). */
typedef struct vg_colvals {
	uint32_t nrows;
	uint32_t n;
	const uint32_t *rows;
	const uint8_t *types;
	uint8_t type;
	const uint64_t *v;
	const uint32_t *raw_off;
	const char *const *strs;
	const uint32_t *slens;
	uint32_t nstrs;
	const uint8_t (*ips)[16];
	uint32_t nips;
	const vg_colref *ref;    /* NULL, or a reference (single-type INT/IP/STR only) */
	uint8_t *int_hint;       /* in/out, or NULL: how wide INT values were
				  * stored last (0 unknown, 1 varints, 2 byte
				  * planes); the encoder tries both when 0 */
} vg_colvals;

/* Summary of a chunk, kept in the segment footer for skipping. */
typedef struct vg_colstat {
	uint8_t types;           /* bit (1 << type) for each type present */
	uint32_t npresent;
	int64_t imin, imax;      /* over INT values, when present */
	uint8_t ipmin[16], ipmax[16]; /* over IP values (network order), when
				       * present: CIDR filters skip blocks */
	uint32_t ndistinct;      /* distinct STR/IP values (0 if not counted) */
} vg_colstat;

struct vg_tokset;
/* Encode a column into out (appended): codec byte, sizes, payload.
 * zlevel is the zstd level. Fills *st. When toks is not NULL, the search
 * tokens of every distinct STR and IP value are added to it (bloom.h),
 * except STR values that carry a raw_off: the caller guarantees their row's
 * raw text is stored and tokenized, so their tokens are in already. */
int vg_col_encode(const vg_colin *in, int zlevel, vg_buf *out, vg_colstat *st,
		  struct vg_tokset *toks, vg_err *err);
/* vg_col_encode for the compact form; the same bytes for the same values. */
int vg_col_encode_vals(const vg_colvals *in, int zlevel, vg_buf *out, vg_colstat *st,
		       struct vg_tokset *toks, vg_err *err);

typedef struct vg_col {
	uint32_t n;              /* rows */
	uint8_t *types;          /* per row: vg_type, or 0 when absent */
	/* Per-row values, each array present only when some row has its
	 * type (NULL otherwise): read i[r] only where types[r] == VG_T_INT. */
	int64_t *i;              /* per row, valid where types[r] == VG_T_INT */
	double *d;               /* per row, where VG_T_DBL */
	uint8_t (*ip)[16];       /* per row, where VG_T_IP */
	uint32_t *sid;           /* per row, where VG_T_STR: index into strs */
	const char **strs;       /* distinct (dictionary) or per-row strings, slens[k]
				  * bytes each, NOT NUL-terminated: they point into
				  * the decoded chunk or the mapped segment */
	uint32_t *slens;
	uint32_t nstrs;
	int str_dict;            /* strs is a dictionary */
	/* Addresses left as dictionary ids (vg_col_decode_ids only): where
	 * types[r] == VG_T_IP the address of row r is ipdict[ipid[r]], and
	 * ip is NULL. */
	uint32_t *ipid;
	const uint8_t (*ipdict)[16];
	uint32_t nipdict;
} vg_col;

/* Decode a chunk of exactly len bytes holding nrows rows; ref is the decoded
 * reference column when the chunk has one (the footer says which), else
 * NULL. All memory comes from arena. Returns 0 or VG_ECORRUPT with err set. */
int vg_col_decode(const uint8_t *p, size_t len, uint32_t nrows, const vg_col *ref,
		  vg_arena *arena, vg_col *col, vg_err *err);
/* vg_col_decode, except that a single-type column of addresses stored
 * with a dictionary and no reference keeps them as ids (ipid, ipdict,
 * nipdict; ip NULL): a reader that counts or groups addresses then reads
 * 4 bytes a row, not 16, and the decoder copies none. Any other column
 * decodes as vg_col_decode does. */
int vg_col_decode_ids(const uint8_t *p, size_t len, uint32_t nrows, vg_arena *arena,
		      vg_col *col, vg_err *err);

/* Free this thread's encoder and decoder scratch (zstd contexts, the
 * dictionary table). A thread that encoded or decoded calls it before it
 * exits; the next use on the thread recreates what it needs. */
void vg_col_thread_done(void);

/* Estimated encoded bytes of INT values, for choosing a reference: zero
 * values cost an eighth (they compress to almost nothing). */
double vg_int_cost(const int64_t *v, size_t n);

#endif
