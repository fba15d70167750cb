/*
 * lookup.h — CSV lookup tables for the query command `lookup`, as Splunk's
 * file-based lookups behave.
 *
 * A table NAME is the file NAME.csv (or NAME itself when it ends in
 * ".csv") in a lookups directory the caller names (the server uses
 * <data dir>/lookups/). A name may not be empty, start with '.', or hold
 * '/', '\', "..", or a control byte: table names come from queries, and
 * must not reach outside that directory.
 *
 * The file is CSV as RFC 4180 has it, read leniently where that is safe:
 *
 *  - the first record is the header: the column names, each non-empty and
 *    distinct (a UTF-8 byte order mark before it is skipped);
 *  - fields are separated by commas; records end with CRLF, LF or a lone
 *    CR; a field in double quotes may hold commas, quotes (doubled: "")
 *    and line breaks, kept as they are;
 *  - a record with fewer fields than the header has empty cells for the
 *    missing ones (spreadsheets drop trailing empty cells); a record with
 *    more is an error, since it almost always means an unquoted comma;
 *  - an empty line is skipped (a line holding "" is a record with one
 *    empty cell);
 *  - errors, each with its line number: a quote inside an unquoted field,
 *    text after a closing quote, a quoted field that never ends, a NUL
 *    byte, too many fields; and the limits of vg_lookup_limits.
 *
 * Matching (vg_lookup_find), for the key columns chosen with
 * vg_lookup_index:
 *
 *  - exact and case-sensitive, as Splunk's default: a row matches when each
 *    key cell equals the event's value byte for byte. When several rows
 *    have the same keys, the first in the file wins. (Splunk's default
 *    max_matches of 1000 would return all of them as a multivalue; one row
 *    keeps OUTPUT's meaning simple and is what most tables intend.)
 *  - CIDR, automatically (Splunk needs match_type=CIDR in
 *    transforms.conf; here a table has no such file): a key cell that
 *    reads as a network, "10.0.0.0/8" or "2001:db8::/32" (host bits are
 *    ignored), also matches every address inside it. When no row matches
 *    exactly, the row whose network is the most specific wins: the longest
 *    prefix (on the row's first network cell), then the earlier key
 *    column, then the earlier row (rows whose cells are networks in
 *    different key columns are ordered by the set of those columns in
 *    between). An exact match always wins over a network one, which
 *    agrees with longest-prefix, an address being its own /32 or /128. A
 *    cell holding a lone address is matched exactly
 *    only (its text must equal the event's).
 *  - with several key columns a row must match on every one, each cell
 *    exactly or (a network cell) by containment.
 *
 * Cost: the file is read once per binding (vg_lookup_open), or once while
 * it is unchanged (the table cache, below), kept whole, and parsed in
 * place: a cell is an offset and a length into it, NUL-terminated. The
 * index is one hash table over the key cells of every row and, for rows
 * with a network cell, one keyed by the masked network and the row's
 * other key cells, so a lookup is one hash probe, plus one per distinct
 * prefix length (and shape of network columns) present when the exact
 * probe fails and a value is an address.
 *
 * Ownership: vg_lookup_open returns a table the caller owns
 * (vg_lookup_close). Every string it returns lives as long as the table.
 * Keys given to vg_lookup_find are borrowed for the call.
 *
 * Thread safety: building (open, index) is single-threaded; afterwards
 * every function taking a const vg_lookup * may be called from any number
 * of threads at once.
 */
#ifndef VG_LOOKUP_H
#define VG_LOOKUP_H

#include <stddef.h>
#include <stdint.h>

#include "query/ast.h"
#include "util/err.h"

#define VG_LOOKUP_MAX_BYTES (64u << 20)  /* default file size limit */
#define VG_LOOKUP_MAX_CELLS (8u << 20)   /* default rows x columns limit */
#define VG_LOOKUP_MAX_COLS 1024u         /* default column limit */
#define VG_LOOKUP_MAX_NAME 200u          /* bytes of a table name */

/* Bounds on one table. Zero fields take the defaults above; larger
 * values than the defaults are allowed (up to 1 GiB and 2^28 cells). */
typedef struct vg_lookup_limits {
	uint64_t max_bytes;
	uint32_t max_cells;  /* header included */
	uint32_t max_cols;
} vg_lookup_limits;

typedef struct vg_lookup vg_lookup;

/* Read table `name` from directory dir (see the header comment). On
 * success *out is the table, owned by the caller. Errors, with messages
 * meant for the person who wrote the query: VG_EINVAL for a bad name or
 * bad CSV (with the line), VG_ENOTFOUND for a table that does not exist
 * (the message lists those that do), VG_ELIMIT for a table over a limit,
 * VG_EIO when the file cannot be read. lim may be NULL. */
int vg_lookup_open(const char *dir, const char *name, const vg_lookup_limits *lim,
		   vg_lookup **out, vg_err *err);

/* As vg_lookup_open, from len bytes at data (copied) instead of a file;
 * name only appears in messages. For tests and the fuzzer. */
int vg_lookup_parse(const char *name, const char *data, size_t len,
		    const vg_lookup_limits *lim, vg_lookup **out, vg_err *err);

void vg_lookup_close(vg_lookup *t);

/* The table's name as given to open. */
const char *vg_lookup_name(const vg_lookup *t);
uint32_t vg_lookup_ncols(const vg_lookup *t);
uint32_t vg_lookup_nrows(const vg_lookup *t);   /* data rows, header excluded */

/* Column col's name (NUL-terminated; *len, if not NULL, gets its length). */
const char *vg_lookup_colname(const vg_lookup *t, uint32_t col, uint32_t *len);

/* The index of the column named name (len bytes, case-sensitive), or
 * VG_ENOTFOUND with a message naming the table and listing its columns;
 * pos >= 0 is put in the message ("at 23") and in err->pos. */
int vg_lookup_column(const vg_lookup *t, const char *name, size_t len, int64_t pos,
		     vg_err *err);

/* Build the index over key columns cols[0..n) (1 <= n <= 64, indexes
 * below vg_lookup_ncols; a column may be named twice). Replaces any
 * previous index. Returns 0, or VG_EINVAL for bad arguments. */
int vg_lookup_index(vg_lookup *t, const uint32_t *cols, uint32_t n, vg_err *err);

/* 1 if col is one of the index's key columns. */
int vg_lookup_is_key(const vg_lookup *t, uint32_t col);

/* The row matching keys[i] (lens[i] bytes, one per key column of the
 * index, in its order), or -1 when none does, when a key is NULL (the
 * event lacks the field) or when no index was built. */
int64_t vg_lookup_find(const vg_lookup *t, const char *const *keys, const uint32_t *lens);

/* The cell at (row, col): NUL-terminated, "" when empty or missing from a
 * short record; *len, if not NULL, gets its length. row and col must be in
 * range. */
const char *vg_lookup_cell(const vg_lookup *t, uint32_t row, uint32_t col, uint32_t *len);

/* ----------------------------------------------- binding a query command */

/* One output of a `lookup` command: a lookup column and the event field it
 * is written to. */
typedef struct vg_lookup_out {
	uint32_t col;
	const char *field;  /* the AS name, else the column's name */
	uint32_t len;
} vg_lookup_out;

/* A `lookup` command resolved against its table: what the executor needs
 * per row. Owns the arrays, and the table unless the table cache holds it
 * (then shared with other bindings, read-only, until vg_lookup_unbind). */
typedef struct vg_lookup_bind {
	vg_lookup *t;
	uint32_t nkeys;
	const vg_qname **keyfields; /* per input: the event field to read (the
				     * query's `AS` name, or the column name) */
	uint32_t *keycols;          /* per input: its lookup column */
	vg_lookup_out *out;         /* OUTPUT columns, or every non-key column */
	uint32_t nout;
	uint8_t outputnew;          /* OUTPUTNEW: fill only absent fields */
	/* The table cache's entry t belongs to (t shared, read-only), or
	 * NULL when t is the binding's own. */
	struct vg_lookup_entry *cached;
} vg_lookup_bind;

/* Open c's table (c->kind must be VG_CMD_LOOKUP) from dir, check every
 * column c names, and build the index over its input columns. Errors as
 * vg_lookup_open and vg_lookup_column, with err->pos at the command (a
 * missing table) or at the column's name in the query. On error b holds
 * nothing to free. c must outlive b (keyfields point into it).
 *
 * With lim NULL the table comes from the table cache when its file is
 * unchanged (see below), else it is read and offered to the cache; with
 * limits of its own it is always read, and b's own. */
int vg_lookup_bind_cmd(const char *dir, const vg_qcmd *c, const vg_lookup_limits *lim,
		       vg_lookup_bind *b, vg_err *err);
void vg_lookup_unbind(vg_lookup_bind *b);

/*
 * ------------------------------------------------------ the table cache
 *
 * The server runs every query afresh, and a query with `lookup` would
 * otherwise read and parse <data>/lookups/NAME.csv each time (a 50 MB
 * table: a good part of a second). Bindings made with default limits share
 * one process-wide cache of parsed, indexed tables instead:
 *
 *  - keyed by the file's path and the key columns the command names (a
 *    table is indexed on one set of key columns; the same file looked up
 *    on other columns is another entry);
 *  - valid while the file is the same: each bind opens the file and
 *    compares its device, inode, size and modification time with the
 *    entry's, so a file replaced (renamed over, rewritten, copied onto) is
 *    read again by the next query. A file modified less than two seconds
 *    before it is read is not cached at all: a second rewrite in the same
 *    timestamp tick, of the same size, would look unchanged;
 *  - bounded: at most VG_LOOKUP_CACHE_BYTES (file, cells and index, as
 *    counted by the cache) of tables, the least recently used dropped
 *    first; a table larger than the bound is not cached. A table dropped
 *    while queries still use it is freed by the last of them, so memory
 *    may pass the bound by the tables in use;
 *  - thread-safe: one mutex guards the cache's list, held only to find,
 *    add or drop an entry, never while a file is read or parsed (two
 *    queries missing at once both read the file; the spare copy ages out).
 *    A cached table is never modified, so any number of queries read it
 *    at once (lookup.h's rule for const tables).
 */
#define VG_LOOKUP_CACHE_BYTES (64u << 20)

typedef struct vg_lookup_cache_stats {
	uint64_t hits, misses;   /* binds that found their table cached, or not */
	uint64_t tables, bytes;  /* what the cache holds now */
} vg_lookup_cache_stats;

void vg_lookup_cache_stats_get(vg_lookup_cache_stats *out);
/* Set the cache's bound (0: VG_LOOKUP_CACHE_BYTES), dropping tables past
 * it; for tests. */
void vg_lookup_cache_limit(size_t bytes);
/* Empty the cache and zero its counts (tables in use stay until
 * released). */
void vg_lookup_cache_clear(void);

/*
 * ------------------------------------------- how the executor uses this
 *
 * Before the scan: vg_lookup_bind_cmd(<data dir>/lookups, c, NULL, &b,
 * err); an error fails the query as it is (message and position are
 * ready). After the scan: vg_lookup_unbind. The bound table is read-only,
 * so both scanning threads may use it at once.
 *
 * For each row reaching the command:
 *   - read each b.keyfields[i]; a null field means no match (Splunk does
 *     not match missing fields). Numbers and other non-strings are
 *     matched by their text (vg_value_text), as Splunk compares strings.
 *     A multivalue field is matched value by value; Splunk then outputs
 *     the matches as multivalues (first cut: use its first value);
 *   - row = vg_lookup_find(b.t, keys, lens);
 *   - OUTPUT (outputnew == 0): for each b.out[j], set field b.out[j].field
 *     to the cell vg_lookup_cell(b.t, row, b.out[j].col) as a string; an
 *     empty cell, or no match (row == -1), sets the field to null, which
 *     removes a value the event had (Splunk overwrites with nothing when
 *     OUTPUT finds no match; OUTPUTNEW exists to avoid that);
 *   - OUTPUTNEW: the same, but a field that already has a value is left
 *     alone, and nothing is removed.
 * Cell strings live as long as the binding: copy them into the result's
 * arena if a result outlives it.
 */

#endif
