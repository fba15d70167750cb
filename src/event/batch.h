/*
 * batch.h — a batch of parsed events, the unit that travels from the
 * parsers to the store.
 *
 * An event is a time (ns since the epoch, UTC), a group ("vpcflow",
 * "cloudtrail", "syslog/web-1" ...), the raw message and a list of typed
 * fields. Parsers build events with the vg_ev_* calls:
 *
 *     uint32_t g = vg_batch_group(b, "vpcflow", 7);
 *     uint32_t f = vg_batch_field(b, "dstport", 7);    // cache ids per file
 *     vg_ev_begin(b, g, t_ns, line, len);
 *     vg_ev_int(b, f, 22);
 *     vg_ev_end(b);
 *
 * Ownership: the batch copies every string and raw message it is given, so
 * callers may reuse their buffers at once. A string value equal to the
 * previous value of the same field shares its copy: equal pointers mean
 * equal strings (the converse does not hold). Pointers read back through
 * vg_batch_event stay valid until vg_batch_clear or vg_batch_free.
 *
 * Rules kept by the batch, so that parsers need not:
 *  - a field set twice in one event keeps the last value;
 *  - at most VG_MAX_FIELDS fields per event: further ones are dropped and
 *    the event gets `_parse_error` (its raw message still has everything);
 *  - a raw message longer than VG_MAX_RAW is cut there and the event gets
 *    `_parse_error`.
 *
 * A raw template (vg_ev_begin_tmpl, vg_ev_rawtmpl) claims that the raw
 * message is exactly the event's fields named in the template, printed in
 * that order (vg_field_text) and separated by single spaces, with `-` for
 * an absent field. vg_ev_end verifies the claim while the line is still in
 * the cache; when it holds, the event is *rendered*: the batch keeps no
 * copy of the raw text (e->raw is NULL, e->rawtmpl names the template) and
 * vg_event_raw prints it back from the fields — this is how a VPC flow
 * record costs a few bytes instead of a hundred, in memory, in the WAL and
 * in segments. When it does not hold, the raw text is kept and rawtmpl is
 * reset to 0. So after vg_ev_end: e->rawtmpl != 0 exactly when e->raw is
 * NULL.
 *
 * Compact events. A batch that only the segment writer will read (a store
 * whose every commit seals: `vigil ingest --seal`) may be put in compact
 * mode (vg_batch_compact). A parser that knows a line is its template's
 * rendering then writes it with vg_ev_begin_compact and vg_ev_c*: one
 * record per event in a table per template, a 64-bit word per template
 * field (an integer; an IPv4 address as the last 8 bytes of its mapped
 * form, as memcpy reads them; the id of a string in the batch's string
 * table, assigned as it is parsed; an other address as the id of its 16
 * bytes in that table, type VG_CT_IP6) and a type byte each. That is
 * about half the memory of vg_field rows, and the sealer stages it a run
 * of records at a time, column by column, without a pointer to follow
 * (segment.c). A compact event has e->crow != 0 and no vg_field at all:
 * vg_event_fields and vg_batch_get must not be used on it; vg_event_raw
 * and vg_event_compact may. vg_batch_bytes counts it at what its row form
 * would hold, so that a batch seals at the same events either way (the
 * segments do not depend on the form).
 *
 * Not thread-safe; one batch per thread.
 */
#ifndef VG_BATCH_H
#define VG_BATCH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/mem.h"
#include "util/strtab.h"

#define VG_MAX_FIELDS 1000
#define VG_MAX_RAW (1u << 20)
#define VG_MAX_NAME 256

typedef enum vg_type {
	VG_T_STR = 1,
	VG_T_INT = 2,
	VG_T_DBL = 3,
	VG_T_IP = 4,
} vg_type;

typedef struct vg_field {
	uint32_t fid;      /* id in the batch's field table */
	uint32_t len;      /* string length (VG_T_STR) */
	uint8_t type;      /* vg_type */
	uint32_t raw_off;  /* VG_T_STR: 1 + where the value's bytes stand in the
			    * event's raw text, when the parser handed a slice
			    * of it (a JSON string without escapes); else 0 */
	union {
		int64_t i;
		double d;
		const char *s;      /* NUL-terminated, len bytes */
		const uint8_t *ip;  /* 16 bytes */
	} v;
} vg_field;

typedef struct vg_event {
	int64_t t;
	uint32_t group;    /* id in the batch's group table */
	uint32_t rawtmpl;  /* id + 1 in the template table, or 0 */
	const char *raw;   /* NULL when rendered from rawtmpl */
	uint32_t rawlen;   /* the raw text's length (0 if unknown: rendered
			    * events replayed from the WAL) */
	uint32_t nfields;
	uint32_t first;    /* index of the first field in the batch */
	uint32_t crow;     /* compact events: 1 + the record's index in the
			    * table of template rawtmpl - 1; else 0 */
} vg_event;

/* The type byte of a compact value that is an address other than IPv4
 * (its word: the id of its 16 bytes in cstrs); it reads as VG_T_IP. */
#define VG_CT_IP6 (0x80 | VG_T_IP)

/* The compact records of one template (see above): record r is the
 * `stride` words at w + r * stride: a mask of the fields present (bit k:
 * template field k), nc value words, then nc type bytes (vg_type or
 * VG_CT_IP6, 0 absent). */
#define VG_CTAB_MAXCOL 64
typedef struct vg_ctab {
	uint32_t nc;        /* 0: the template cannot be compact (more than
			     * VG_CTAB_MAXCOL fields, or a name twice) */
	uint32_t stride;
	const uint32_t *fids; /* field id of each template field */
	uint64_t *w;
	size_t n, cap;      /* records */
	uint32_t (*sids)[2];  /* per field: the ids + 1 in cstrs of the two
			       * strings it last held, newest first */
} vg_ctab;

typedef struct vg_batch {
	vg_event *ev;
	size_t nev, capev;
	vg_field *f;
	size_t nf, capf;
	vg_strtab fields, groups, tmpls;
	vg_arena arena;
	uint32_t *seen;     /* fid -> event number + 1 that last set it */
	uint32_t *seenpos;  /* fid -> field index within that event */
	size_t capseen;
	int open;           /* an event is being built */
	int overflow;       /* this event hit VG_MAX_FIELDS */
	uint32_t perr_fid;  /* id of "_parse_error" */
	uint32_t *gsort;    /* group id -> sort key id + 1 (in tmpls), or 0 */
	const char *raw_in;  /* the open event's raw text as the caller passed it */
	size_t raw_in_len;
	const char **last_s; /* fid -> the last string value stored for it: an
			      * equal value reuses that copy, so repeated
			      * values share one pointer (less memory, and
			      * the store's encoders compare pointers) */
	uint32_t *last_len;
	size_t capgsort;
	uint64_t nparse_errors;
	uint32_t **tmplfids; /* template id -> its field ids (resolved once) */
	uint32_t *tmplnf;    /* template id -> how many */
	size_t captmplf;
	int rendered;        /* the open event is rendered, already verified */
	/* Compact mode (see above): */
	int compact;         /* vg_batch_compact */
	vg_ctab *ctabs;      /* template id -> its records */
	size_t capctab;
	vg_strtab cstrs;     /* the strings of compact events */
	uint32_t *last_cid;  /* fid -> 1 + the id in cstrs of last_s[fid]
			      * when last_s[fid] is that entry's copy, else
			      * 0 (reset wherever last_s is set otherwise) */
	uint64_t cbytes;     /* what compact events would hold as rows */
	/* The open compact event: */
	uint64_t *crec;      /* its record */
	const vg_ctab *ctab; /* its table */
	uint64_t cnew;       /* bit k: its string k differs from the field's
			      * last value */
} vg_batch;

void vg_batch_init(vg_batch *b);
void vg_batch_clear(vg_batch *b);   /* drop events, keep id tables */
void vg_batch_free(vg_batch *b);

uint32_t vg_batch_field(vg_batch *b, const char *name, size_t n);
uint32_t vg_batch_group(vg_batch *b, const char *name, size_t n);
uint32_t vg_batch_tmpl(vg_batch *b, const char *tmpl, size_t n);
/* Declare how rows of a group are best ordered inside a storage block:
 * space-separated field names, most significant first (at most 3 are
 * used). Like a table's ORDER BY: rows that share these values sit
 * together, which is what makes their columns compress; time still bounds
 * every block. Words `a~b` declare mirror pairs instead (at most 3): a row
 * that is the previous one with every pair swapped — the reply of a
 * network flow — is stored without those values (docs/FORMAT.md). Parsers
 * of structured formats set it once per input. */
void vg_batch_sortkey(vg_batch *b, uint32_t group, const char *key, size_t n);
/* The sort key of a group, or NULL. */
const char *vg_batch_group_sortkey(const vg_batch *b, uint32_t group);

void vg_ev_begin(vg_batch *b, uint32_t group, int64_t t, const char *raw, size_t rawlen);
/* Like vg_ev_begin + vg_ev_rawtmpl, but raw is borrowed until vg_ev_end
 * and copied only if the template does not describe it: the fast path of
 * line formats whose lines are their fields (VPC flow logs). */
void vg_ev_begin_tmpl(vg_batch *b, uint32_t group, int64_t t, const char *raw, size_t rawlen,
		      uint32_t tmpl);
/* Begin an event whose raw text is known to be its template rendering
 * (verified when it was first parsed): replaying the WAL. */
void vg_ev_begin_rendered(vg_batch *b, uint32_t group, int64_t t, uint32_t tmpl);
void vg_ev_settime(vg_batch *b, int64_t t);
void vg_ev_setgroup(vg_batch *b, uint32_t group);
void vg_ev_rawtmpl(vg_batch *b, uint32_t tmpl);
void vg_ev_str(vg_batch *b, uint32_t fid, const char *s, size_t n);
void vg_ev_int(vg_batch *b, uint32_t fid, int64_t v);
void vg_ev_dbl(vg_batch *b, uint32_t fid, double v);
void vg_ev_ip(vg_batch *b, uint32_t fid, const uint8_t ip[16]);
/* Mark the event unparsed: sets `_parse_error` to msg and counts it. */
void vg_ev_parse_error(vg_batch *b, const char *msg);
void vg_ev_end(vg_batch *b);
/* vg_ev_end for an event begun with vg_ev_begin_tmpl whose raw text the
 * caller has itself found to be exactly the template's rendering of its
 * fields, as vg_ev_end would check it: every value printed as
 * vg_field_text prints it, single spaces, `-` for each absent field, at
 * least one field present. It is kept rendered without that check, which
 * the parser makes far more cheaply while it reads the text (VPC flow
 * records: an integer without a leading zero, a dotted quad, a slice of the
 * text). The parser's fuzz harness proves the claim: every rendered event
 * prints back as its line (fz_check_lines). An event with `_parse_error`
 * or too many fields is checked all the same, and keeps its text. */
void vg_ev_end_checked(vg_batch *b);
/* Drop the event being built (a parser that changes its mind). */
void vg_ev_abort(vg_batch *b);

/* Compact mode on (1) or off (0); see above. Off by default. */
void vg_batch_compact(vg_batch *b, int on);
/* Begin a compact event of template tmpl whose raw text is its rendering.
 * Returns 0 without opening anything when the batch is not in compact mode
 * or the template cannot be compact: the caller then writes the event
 * with vg_ev_begin_tmpl. The caller vouches for the rendering as it does
 * for vg_ev_end_checked; a value that does not print as its text (an
 * integer with a leading zero, an address in another of its forms) or an
 * event with no value at all cannot be compact: it is vg_ev_abort-ed and
 * written as a row event instead. rawlen is the raw
 * text's length (e->rawlen: the store sizes blocks by it). */
int vg_ev_begin_compact(vg_batch *b, uint32_t group, int64_t t, uint32_t tmpl, size_t rawlen);
/* Set template field k (its index in the template) of the open compact
 * event; each k at most once. Inline: they are most of what a parser
 * does per value. */
static inline void vg_ev_cset(vg_batch *b, uint32_t k, uint8_t type, uint64_t v)
{
	/* The mask is made from the types at the end: setting a bit here
	 * would chain every value's store to the one before. */
	uint64_t *w = b->crec;
	w[1 + k] = v;
	((uint8_t *)(w + 1 + b->ctab->nc))[k] = type;
}
static inline void vg_ev_cint(vg_batch *b, uint32_t k, int64_t v)
{
	vg_ev_cset(b, k, VG_T_INT, (uint64_t)v);
}
/* ip must be IPv4-mapped (::ffff:a.b.c.d). */
static inline void vg_ev_cip4(vg_batch *b, uint32_t k, const uint8_t ip[16])
{
	uint64_t v;
	memcpy(&v, ip + 8, 8);
	vg_ev_cset(b, k, VG_T_IP, v);
}
/* memcmp(a, b, n) == 0 for the short strings of log fields, without a
 * call: overlapping word loads that stay inside both strings. */
static inline int vg_same_bytes(const char *a, const char *b, size_t n)
{
	if (n > 16 && n <= 32) {
		/* AWS resource ids (`eni-0d3cc5bf0e18f29a9`, `subnet-...`). */
		uint64_t a0, a1, a2, a3, b0, b1, b2, b3;
		memcpy(&a0, a, 8);
		memcpy(&b0, b, 8);
		memcpy(&a1, a + 8, 8);
		memcpy(&b1, b + 8, 8);
		memcpy(&a2, a + n - 16, 8);
		memcpy(&b2, b + n - 16, 8);
		memcpy(&a3, a + n - 8, 8);
		memcpy(&b3, b + n - 8, 8);
		return ((a0 ^ b0) | (a1 ^ b1) | (a2 ^ b2) | (a3 ^ b3)) == 0;
	}
	if (n >= 8 && n <= 16) {
		uint64_t a0, a1, b0, b1;
		memcpy(&a0, a, 8);
		memcpy(&b0, b, 8);
		memcpy(&a1, a + n - 8, 8);
		memcpy(&b1, b + n - 8, 8);
		return a0 == b0 && a1 == b1;
	}
	if (n >= 4 && n < 8) {
		uint32_t a0, a1, b0, b1;
		memcpy(&a0, a, 4);
		memcpy(&b0, b, 4);
		memcpy(&a1, a + n - 4, 4);
		memcpy(&b1, b + n - 4, 4);
		return a0 == b0 && a1 == b1;
	}
	if (n < 4) {
		for (size_t k = 0; k < n; k++)
			if (a[k] != b[k])
				return 0;
		return 1;
	}
	return memcmp(a, b, n) == 0;
}

void vg_ev_cstr_slow(vg_batch *b, uint32_t k, const char *s, size_t n);
/* A string value. Inline for its common case, ten times per flow record:
 * the value is the one the field last held (its id in cstrs first in
 * sids[k]), and the field's last value is a string of cstrs (last_cid),
 * so whether it differs from that is a comparison of ids. */
static inline __attribute__((always_inline)) void vg_ev_cstr(vg_batch *b, uint32_t k,
							 const char *s, size_t n)
{
	const vg_ctab *t = b->ctab;
	uint32_t id1 = t->sids[k][0], fid = t->fids[k], cid = b->last_cid[fid];
	if (id1 && cid && b->cstrs.lens[id1 - 1] == n &&
	    vg_same_bytes(b->cstrs.str[id1 - 1], s, n)) {
		if (cid != id1)
			b->cnew |= (uint64_t)1 << k;
		vg_ev_cset(b, k, VG_T_STR, id1 - 1);
		return;
	}
	vg_ev_cstr_slow(b, k, s, n);
}
/* Any address; an IPv4-mapped one is better given to vg_ev_cip4. */
void vg_ev_cip6(vg_batch *b, uint32_t k, const uint8_t ip[16]);
void vg_ev_end_compact(vg_batch *b);
/* The record of compact event e, and its table. */
static inline const uint64_t *vg_event_compact(const vg_batch *b, const vg_event *e,
					       const vg_ctab **tab)
{
	const vg_ctab *t = &b->ctabs[e->rawtmpl - 1];
	*tab = t;
	return t->w + (size_t)(e->crow - 1) * t->stride;
}
/* The type bytes of compact record w of table t. */
static inline const uint8_t *vg_ctab_types(const vg_ctab *t, const uint64_t *w)
{
	return (const uint8_t *)(w + 1 + t->nc);
}
/* Template field k of compact record w of table t as a vg_field (ip: room
 * for an address, which f->v.ip then points at). Present fields only. */
void vg_ctab_value(const vg_batch *b, const vg_ctab *t, const uint64_t *w, uint32_t k,
		   vg_field *f, uint8_t ip[16]);

static inline size_t vg_batch_count(const vg_batch *b) { return b->nev; }
static inline const vg_field *vg_event_fields(const vg_batch *b, const vg_event *e)
{
	return b->f + e->first;
}
/* Append event e's raw text to out: the stored copy, or the template
 * rendering of its fields. */
void vg_event_raw(const vg_batch *b, const vg_event *e, vg_buf *out);
/* The value of field `name` in event i, or NULL. */
const vg_field *vg_batch_get(const vg_batch *b, size_t i, const char *name);
/* Approximate memory held by the events, for flush decisions. */
static inline size_t vg_batch_bytes(const vg_batch *b)
{
	return b->arena.used_total + b->nf * sizeof(vg_field) + b->nev * sizeof(vg_event) +
	       b->cbytes;
}

#endif
