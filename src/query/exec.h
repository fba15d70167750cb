/*
 * exec.h — running a query against the store.
 *
 * The executor reads segments block by block and the memtable, in three
 * steps:
 *
 *  1. prune: a segment whose group or days cannot match is not opened; a
 *     block is skipped by its time range, by its token filter (every
 *     literal term the search requires must be in it) and by the ranges
 *     of the columns a top-level comparison names (`dstport=22` skips a
 *     block whose dstport lies in 443..443; `srcaddr=10.0.0.0/8` one whose
 *     addresses lie elsewhere), before anything is decompressed;
 *  2. match: only the columns the query touches are decoded, each when
 *     first needed; in a segment block the search expression runs column
 *     by column, narrowing a selection of rows (a dictionary column is
 *     compared once per distinct value, numbers and addresses in binary,
 *     terms field by field on rows rendered from a template), and what
 *     has no such form (regular expressions, computed fields, terms on
 *     stored raw text) runs row by row on the rows left; memtable events
 *     are matched row by row (exec_vec.c, exec.c);
 *  3. pipeline: matching events either stay events (newest first, at most
 *     `limit`; segments and blocks are read newest first, so older events
 *     are turned away unprinted) or feed the first transforming command
 *     (stats, top, rare, timechart), whose rows the rest of the pipeline
 *     reshapes. Events keep the fields eval, rex, iplocation and lookup
 *     set on them (in their JSON, and as vg_result.fields). A pipeline
 *     without aggregation makes a row of each event, so `limit` bounds
 *     its rows too: one that only picks fields after the per-event
 *     commands (fields, table, rename, head) keeps just the newest
 *     `limit` events while scanning, like events; one that must see every
 *     match first (sort, dedup, tail) is cut after it. An aggregation right after the search finds each row's
 *     group from its stored value (a dictionary id, an integer, an IPv4
 *     address) and adds column values, without building the row's text.
 *     iplocation and lookup run on each event before the transform (as
 *     eval does), or on the rows of a table after it; geostats is a
 *     transform: stats by a grid cell of the map. A by field holding a
 *     multivalue (split(), rex max_match, values()) puts the row in the
 *     group of each of its values, as Splunk does (several such fields:
 *     every combination), and aggregations read a multivalue value by
 *     value; stored columns never hold one, so this only costs rows with
 *     computed fields. Rows that a sort or tail ordered are returned in
 *     that order (vg_result.reordered).
 *
 * Alongside, the matching events are counted per time bucket (the
 * histogram) and the work is counted (segments and blocks read and
 * skipped, events scanned and matched, time taken).
 *
 * A CloudWatch filter pattern (query/cw.h) can stand in for the search
 * part: it runs on each event's raw text.
 *
 * Ownership: a vg_result owns everything it holds (one arena); free it
 * with vg_result_free. The store and query are borrowed for the call.
 * Thread safety: one call per vg_store at a time (the store's rule).
 */
#ifndef VG_EXEC_H
#define VG_EXEC_H

#include <stdint.h>

#include "query/ast.h"
#include "query/qvalue.h"
#include "store/store.h"
#include "util/err.h"
#include "util/mem.h"

struct vg_cw;
struct vg_geo;

typedef struct vg_exec_opts {
	int64_t from, to;         /* [from, to) in ns; INT64_MIN / INT64_MAX for
				   * none; intersected with earliest= / latest= */
	uint32_t limit;           /* events returned (newest first), or rows of a
				   * pipeline without aggregation (table,
				   * fields ...); 0 = 100 */
	int64_t timeout_ns;       /* stop with VG_ELIMIT after this long; 0 = none */
	int64_t now_ns;
	const struct vg_cw *cw;   /* instead of the query's search part (may be
				   * combined with a pipeline-only query) */
	uint8_t mem_only;         /* only unsealed events (the memtable) ... */
	uint64_t mem_from;        /* ... from this row on: followers (tail) */
	/* What iplocation resolves addresses with (query/geo.h), borrowed and
	 * shared by the scanning threads; NULL: a query using iplocation fails
	 * with geo_error (why it could not be opened) at the command. */
	const struct vg_geo *geo;
	const char *geo_error;
	/* The directory of lookup's tables (query/lookup.h), NULL: none. */
	const char *lookups_dir;
	/* Events that may become rows for sort, dedup, table ... before the
	 * query fails with VG_ELIMIT; 0 = 1,000,000 (MAX_EVENT_ROWS). Only
	 * tests set it, to reach the bound without a million events. */
	uint32_t max_event_rows;
	/* The caller shows no histogram (csv, table): segment blocks do not
	 * count their matching events per bucket, and res->nhist is 0. */
	uint8_t no_hist;
} vg_exec_opts;

typedef struct vg_exec_stats {
	uint64_t segments, segments_skipped;
	uint64_t blocks, blocks_skipped;  /* skipped: by time, filter or range */
	uint64_t events_scanned, events_matched;
	int64_t took_ns;
} vg_exec_stats;

/* One event returned: its time and its JSON object (the shape of `vigil
 * cat`, with the fields the pipeline computed on it: a stored field a
 * command set shows its new value in its place, a new field comes after
 * the stored ones, a field set to null is left out). fields: the values
 * of the result's computed fields (vg_result.fields, null where the event
 * has none), for the forms that list fields as columns (CSV, the table). */
typedef struct vg_result_event {
	int64_t t;
	const char *json;
	uint32_t len;
	const vg_val *fields;
} vg_result_event;

typedef struct vg_result {
	vg_arena arena;
	int table;                /* 1: columns + rows; 0: events */
	vg_result_event *events;  /* newest first, unless reordered */
	uint32_t nevents;
	/* The fields eval, rex, iplocation and lookup set on the events
	 * returned (not _time, _group, _raw: those replace the event's own),
	 * in the order they first appear. */
	const char **fields;
	uint32_t nfields;
	uint8_t truncated;        /* more events (or rows made of events) matched
				   * than were kept */
	uint8_t reordered;        /* the events (or rows made of events) are in
				   * the order a command gave them (sort, tail),
				   * not newest first: the first kept are not
				   * the newest that matched */
	const char **columns;
	uint32_t ncols;
	vg_val *cells;            /* nrows × ncols, row-major */
	uint32_t nrows;
	/* Matching events per bucket of hist_span ns from hist_start. */
	int64_t hist_start, hist_span;
	uint64_t *hist;
	uint32_t nhist;
	vg_exec_stats stats;
} vg_result;

/* Run q (or opts->cw with q's pipeline) over st. On success returns 0 and
 * fills *res (free it with vg_result_free). Errors: VG_EINVAL for a query
 * that cannot run as written (err->pos in the query), VG_ELIMIT for the
 * time limit, others from the store. */
int vg_exec(vg_store *st, const vg_query *q, const vg_exec_opts *opts, vg_result *res,
	    vg_err *err);
void vg_result_free(vg_result *res);

/* Append the result as the JSON document of the API and `--output json`:
 * {"events": [...], "truncated"} or {"columns": [...], "rows": [[...]],
 * "truncated"}, plus
 * "histogram" {"start", "span", "counts"} and "stats". */
void vg_result_json(const vg_result *res, vg_buf *out);
/* Append the result as CSV: a header naming the columns, then a line per
 * row (events: _time, _group, _raw, then the computed fields). Fields holding a comma, quote or line
 * break are quoted, quotes doubled. */
void vg_result_csv(const vg_result *res, vg_buf *out);

#endif
