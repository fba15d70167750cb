/*
 * jsonflat.h — a bounded JSON reader for the ingest hot path: no DOM, no
 * per-value allocation.
 *
 * Two services share one grammar (RFC 8259, strict: no comments, no
 * trailing commas, no raw control characters inside strings, no NaN):
 *
 *  - The scanner validates JSON without building anything and reports byte
 *    extents, so a parser can slice `{"Records":[ {...}, {...} ]}` into
 *    records and keep each record's exact bytes as the event's raw message:
 *    vg_json_skip (one value), vg_json_it_* (the members of an object or the
 *    elements of an array), vg_json_find / vg_json_members (top-level keys
 *    of an object), vg_json_string (decode one string value).
 *
 *  - The flattener (vg_jflat) turns one JSON value into fields of the event
 *    currently open in a vg_batch:
 *      nested objects are joined with `.`      userIdentity.type
 *      array elements are `name[i]`            resources[0].ARN
 *      strings, unescaped to UTF-8              vg_ev_str
 *      integers that fit int64                  vg_ev_int
 *      other numbers                            vg_ev_dbl
 *      true / false                             vg_ev_str "true" / "false"
 *      null, {} and []                          no field (the raw keeps them)
 *    Names are cut at VG_MAX_NAME bytes. `\u0000` and unpaired surrogates
 *    decode to U+FFFD, so a field never hides text behind a NUL. Bytes are
 *    not checked for UTF-8 validity: they are passed through as they are.
 *
 * Nesting deeper than VG_MAX_JSON_DEPTH is an error. Every error fills a
 * vg_err with the byte offset (relative to the buffer given) and a message
 * a person understands ("unterminated string starting at byte 1234").
 *
 * Ownership: nothing here keeps a pointer into the input after a call
 * returns. A vg_jflat owns its caches; it is bound to one vg_batch at a time
 * (field ids belong to a batch) and is not thread-safe.
 */
#ifndef VG_JSONFLAT_H
#define VG_JSONFLAT_H

#include <stddef.h>
#include <stdint.h>

#include "event/batch.h"
#include "util/err.h"
#include "util/mem.h"

/* A byte range [start, end) of the input. */
typedef struct vg_jspan {
	size_t start, end;
} vg_jspan;

static inline int vg_jspan_ok(vg_jspan s) { return s.end > s.start; }

/* Offset of the first byte at or after pos that is not JSON whitespace. */
size_t vg_json_ws(const char *s, size_t n, size_t pos);

/* Validate the one JSON value that starts at s[pos] (leading whitespace is
 * skipped). On success *val gets its extent and 0 is returned; otherwise
 * VG_EINVAL (or VG_ELIMIT for nesting) with err filled. */
int vg_json_skip(const char *s, size_t n, size_t pos, vg_jspan *val, vg_err *err);

/* A cursor over the members of an object or the elements of an array. */
typedef struct vg_json_it {
	const char *s;
	size_t n, pos;
	size_t open;        /* offset of the '{' or '[' */
	char close;         /* '}' or ']' */
	uint32_t count;     /* members or elements returned so far */
} vg_json_it;

/* Start iterating the object or array at s[pos] (whitespace skipped).
 * VG_EINVAL with err set when no '{' or '[' is there. */
int vg_json_it_init(vg_json_it *it, const char *s, size_t n, size_t pos, vg_err *err);
/* The next member (objects: *key is the key's text between the quotes,
 * still escaped; arrays: *key is empty) and its validated value extent.
 * Returns 1, 0 after the closing bracket (it->pos is then just past it), or
 * < 0 with err set. */
int vg_json_it_next(vg_json_it *it, vg_jspan *key, vg_jspan *val, vg_err *err);

/* The first half of vg_json_it_next, for a caller that reads the value
 * itself (to process a large array in place rather than scan it twice):
 * returns 1 with *key set and *vpos at the value's first byte, 0 after the
 * closing bracket, < 0 on error. The caller must then read the value and
 * call vg_json_it_done with the offset just past it. */
int vg_json_it_key(vg_json_it *it, vg_jspan *key, size_t *vpos, vg_err *err);
void vg_json_it_done(vg_json_it *it, size_t end);
/* The second half of vg_json_it_next: validate the value at vpos (as
 * returned by vg_json_it_key) and move past it; 1 with *val set, or < 0. */
int vg_json_it_value(vg_json_it *it, size_t vpos, vg_jspan *val, vg_err *err);

/* Where the object or array at s[pos] ends, found from its brackets and
 * strings alone: 1 with *end just past its closing bracket, or 0 when
 * there is none, the nesting is deeper than maxdepth, or s[pos] opens
 * neither. Nothing is validated: this is for a caller that validates the
 * extent next (vg_jflat_value), so that one pass both validates and
 * flattens, and that validates from pos again (vg_json_skip,
 * vg_json_it_value) for the exact error when that fails. */
int vg_json_extent(const char *s, size_t n, size_t pos, int maxdepth, size_t *end);

/* 1 if the escaped key text s[key] equals the plain string name. */
int vg_json_key_eq(const char *s, vg_jspan key, const char *name);

/* Find top-level key `name` in the object at s[obj]: 1 with *val set, 0 if
 * absent, < 0 on a syntax error (err set). The whole object is validated. */
int vg_json_find(const char *s, size_t n, size_t obj, const char *name, vg_jspan *val,
		 vg_err *err);
/* One pass over the object at s[obj]: vals[i] gets the value extent of key
 * names[i], or {0,0} when absent (the last one wins for a repeated key).
 * Returns 0 or < 0 with err set. */
int vg_json_members(const char *s, size_t n, size_t obj, const char *const *names,
		    size_t nnames, vg_jspan *vals, vg_err *err);

/* Decode the JSON string value at s[pos] (whitespace skipped), appending
 * its UTF-8 bytes to out (no NUL added). Returns 0, or < 0 with err set
 * when there is no valid string there. */
int vg_json_string(const char *s, size_t n, size_t pos, vg_buf *out, vg_err *err);

/* Parse an integer JSON number text exactly: 1 with *v set, 0 when it has a
 * fraction or exponent or does not fit int64. */
int vg_json_int(const char *s, size_t n, int64_t *v);

/* A byte as a person reads it in a message: 'x' when printable, else 0xNN;
 * buf must hold 8 bytes. Returns buf. */
const char *vg_json_byte(char *buf, unsigned char c);

/* What the value starting with byte c is, for messages: "an object",
 * "an array", "a string", "a number", "a boolean", "null". */
const char *vg_json_kind(char c);

/* The time held by the JSON value s[v]: an ISO-8601 string (the whole
 * string), or an epoch number (or a string of one) in seconds,
 * milliseconds, microseconds or nanoseconds, told apart by magnitude.
 * Returns 1 with *ns set, or 0. */
int vg_json_time(const char *s, vg_jspan v, int64_t *ns);

#define VG_JFLAT_MAXWATCH 16

/* A path node of the name cache (see jsonflat.c). */
typedef struct vg_jnode vg_jnode;

typedef struct vg_jflat {
	vg_batch *b;          /* the batch the cached field ids belong to */
	vg_jnode *nodes;
	size_t nnodes, capnodes;
	uint32_t *slots;      /* hash table: node index + 1, or 0 */
	size_t nslots;
	vg_buf keys;          /* key bytes of the nodes */
	vg_buf paths;         /* flattened names of the nodes */
	uint32_t epoch;       /* bumped by each binding to a batch */
	vg_buf scratch;       /* unescaped strings, long numbers */
	/* Watched paths: after vg_jflat_value, watch[i] is the extent of the
	 * value at path watchname[i] (not found: an empty span). */
	const char *watchname[VG_JFLAT_MAXWATCH];
	size_t nwatch;
	vg_jspan watch[VG_JFLAT_MAXWATCH];
} vg_jflat;

/* Field ids are cached, and checked against the batch's field table once
 * per binding before they are used again: vg_jflat_value binds to a batch
 * it has not seen last, and vg_jflat_rebind binds anew to the same
 * pointer, for a caller that keeps one vg_jflat across inputs while the
 * batch may have been freed and another made at its address. The name
 * cache thus outlives batches; only its field ids are re-checked. */
void vg_jflat_init(vg_jflat *jf);
void vg_jflat_free(vg_jflat *jf);
void vg_jflat_rebind(vg_jflat *jf, vg_batch *b);
/* Ask that the extent of the value at the flattened path `name` (e.g.
 * "eventTime") be reported in jf->watch[i]; returns i, or -1 when
 * VG_JFLAT_MAXWATCH are already set. name is borrowed: it must outlive jf
 * (a string literal). Watching drops the name cache. */
int vg_jflat_watch(vg_jflat *jf, const char *name);

/* Flatten the JSON value at s[pos] (whitespace skipped) into the event open
 * in b. prefix (may be NULL or "") names the value itself: its members
 * become `prefix.key`, its elements `prefix[i]`, a scalar the field
 * `prefix`; without a prefix an object's members are named by their keys
 * and a scalar gives no field. *end (may be NULL) gets the offset just past
 * the value. Returns 0, or < 0 with err set: the event then holds the
 * fields read before the error and the caller decides (usually
 * vg_ev_abort and a raw event with _parse_error). */
int vg_jflat_value(vg_jflat *jf, vg_batch *b, const char *s, size_t n, size_t pos,
		   const char *prefix, size_t *end, vg_err *err);

/*
 * Documents: the driver of the document formats (cloudtrail, awsconfig,
 * awscli). A document is one JSON text, several concatenated, or NDJSON
 * (detected when its first line is a complete value and more follows; then
 * each line is read on its own, so one bad line spoils only itself).
 *
 * vg_jdoc_run calls fn for each top-level value; fn turns it into events,
 * advancing d->done past everything it has represented, and returns 0 with
 * *next just past the value, or < 0 with d->err set. On an error the bytes
 * from d->done to the end of the document (NDJSON: of the line) become raw
 * events with `_parse_error` = d->err's message (several events of at most
 * VG_MAX_RAW bytes each when the rest is longer), so nothing is dropped and
 * records read before the error are kept.
 */
struct vg_parse_ctx;
typedef struct vg_jdoc {
	struct vg_parse_ctx *ctx;
	uint32_t group;      /* group of the raw events made for errors */
	const char *s;
	size_t n;            /* end of the document, or of the current line */
	size_t done;
	vg_err err;
} vg_jdoc;
typedef int (*vg_jdoc_fn)(vg_jdoc *d, size_t pos, size_t *next, void *arg);

void vg_jdoc_run(struct vg_parse_ctx *ctx, uint32_t group, const char *s, size_t n,
		 vg_jdoc_fn fn, void *arg);
/* Emit the error event(s) for s[from, to) with message msg (see above). */
void vg_jdoc_rest(vg_jdoc *d, size_t from, size_t to, const char *msg);

#endif
