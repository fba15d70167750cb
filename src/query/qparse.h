/*
 * qparse.h — parse a vigil query into its syntax tree (ast.h).
 *
 * The language is a pipeline in the spirit of Splunk's SPL:
 *
 *     search part | command args | command args ...
 *
 * The search part (before the first `|`) selects events: bare words and
 * "quoted phrases", field comparisons `f=v`, `f!=v`, `f<n` `f<=n` `f>n`
 * `f>=n`, `f~"regex"`, `f IN (a, b)`, NOT, OR, AND (implicit), parentheses,
 * and the time bounds `earliest=` / `latest=`. Commands: search, stats,
 * top, rare, timechart, sort, head, tail, fields, table, where, eval, rex,
 * dedup, iplocation, geostats, lookup, rename. The golden tests
 * (tests/golden/parse/) show every form with its tree, and every error.
 *
 * Decisions a user can notice (Splunk's where Splunk is clear):
 *   - In search expressions OR binds tighter than AND, as in Splunk's
 *     search command: `action=REJECT dstport=22 OR dstport=3389` is
 *     `action=REJECT AND (dstport=22 OR dstport=3389)`. In where and eval,
 *     AND binds tighter than OR, as in Splunk's eval. NOT binds tightest
 *     in both (in eval it applies to a whole comparison: NOT a=b).
 *   - AND, OR, NOT (also IN, LIKE) are operators only in upper case; a
 *     lower-case `and` is a search term, and in an expression an error that
 *     says so.
 *   - earliest= / latest= are taken out of the tree and become the query's
 *     bounds [earliest, latest). Written more than once, they intersect.
 *     Under OR or NOT, or in a later `| search`, they are an error: the
 *     bounds apply to the whole search (Splunk also applies them globally),
 *     and an error is clearer than a silent reading.
 *   - `group`, `index` and `_group` all name the event's group.
 *   - `*` is always a wildcard in search values and terms (Splunk has no
 *     escape for it either). In a bare word of an expression, a `.` between
 *     name characters belongs to the name (userIdentity.type, flattened
 *     JSON): write `a . b` with spaces to concatenate.
 *   - A leading `search` word is the command's name, as in Splunk, and not
 *     a term.
 *   - Regexes are compiled when the query is parsed, so a bad one is a
 *     parse error with its position: PCRE2 in UTF-8 mode, matching events
 *     that are not valid UTF-8 too (PCRE2_MATCH_INVALID_UTF).
 *
 * Errors: vg_query_parse returns VG_EINVAL (or VG_ELIMIT for a bound) with
 * err->pos the byte offset of the problem and err->msg a sentence that
 * names the same offset ("unknown command 'stat' at 23; did you mean
 * 'stats'?"). Bounds: VG_Q_MAX_LEN bytes of query, nesting VG_Q_MAX_DEPTH
 * deep, VG_Q_MAX_CMDS commands, VG_Q_MAX_REGEX regexes, VG_Q_MAX_ITEMS
 * items in a command's list, VG_Q_MAX_NAME bytes of field name. Lists of
 * the search and eval languages (OR chains, IN lists, call arguments) are
 * bounded by the length alone: a pasted list of a thousand addresses is
 * a reasonable query.
 *
 * Ownership: a parsed query owns all its memory (one arena plus the PCRE2
 * codes); vg_query_free releases it. The caller's buffer is not kept.
 * Thread safety: parsing keeps no global state, so any number of threads
 * may parse at once; a parsed query is read-only and may be shared.
 */
#ifndef VG_QPARSE_H
#define VG_QPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "query/ast.h"
#include "util/err.h"
#include "util/mem.h"

#define VG_Q_MAX_LEN 65536u     /* bytes of query text */
#define VG_Q_MAX_DEPTH 64       /* nested parentheses, NOTs, calls, operators */
#define VG_Q_MAX_CMDS 100       /* commands after the search part */
#define VG_Q_MAX_REGEX 64       /* regular expressions in one query */
#define VG_Q_MAX_ITEMS 256      /* fields, aggregations, keys ... of one command */
#define VG_Q_MAX_NAME 256       /* bytes of a field name (VG_MAX_NAME) */
#define VG_Q_MAX_COUNT 1000000000u /* largest N of head, top, limit= ... */

/* Limits for matching a query's regexes against events, so that one
 * pathological pattern cannot stall a search: at most this many internal
 * match steps (pcre2_set_match_limit), backtracking depth
 * (pcre2_set_depth_limit) and backtracking heap in KiB
 * (pcre2_set_heap_limit). vg_qregex_mctx makes a context with them. */
#define VG_Q_REGEX_MATCH_LIMIT 1000000u
#define VG_Q_REGEX_DEPTH_LIMIT 10000u
#define VG_Q_REGEX_HEAP_LIMIT_KIB 65536u

/* Parse the n bytes of q (no NUL needed) with relative times resolved
 * against now_ns (ns since the epoch; within about 140 years of 1970).
 * On success returns 0 and *out owns the new query. On failure returns a
 * negative VG_E* code, fills err and sets *out to NULL. */
int vg_query_parse(const char *q, size_t n, int64_t now_ns, vg_query **out, vg_err *err);

/* Release a query and everything it owns; NULL is allowed. */
void vg_query_free(vg_query *q);

/* Append a deterministic, ASCII-only S-expression text of the whole query
 * (tree with positions, time bounds, commands, and the derived facts
 * below) to out. The golden tests compare it. */
void vg_query_dump(const vg_query *q, vg_buf *out);

/* The derived facts, also readable straight from the vg_query fields:
 *
 *  - output / first_transform: what the pipeline returns. A query whose
 *    pipeline holds stats, top, rare, timechart, geostats or table returns
 *    rows (columns), else events; timechart rows are time buckets.
 *  - reads_all / reads: the stored fields the pipeline can look at, for
 *    column projection. When reads_all is 0, only the fields in reads
 *    (sorted, distinct; may hold `*` patterns to match against stored
 *    names, and the special fields _raw, _time, _group, date_*, which
 *    derive from the event itself) matter. reads_all is 1 when events are
 *    returned (every field is shown) or the set could not be bounded.
 *  - terms: literal strings that every event matched by the search part
 *    contains, for Bloom filter skipping. Conservative: a term is taken
 *    from a top-level AND only (nothing under OR or NOT), from words,
 *    phrases and field=value where the value is not a number or address.
 */
static inline int vg_query_is_table(const vg_query *q)
{
	return q->output != VG_QOUT_EVENTS;
}

/* Name of a command, function or aggregation ("stats", "substr", "dc"). */
const char *vg_cmd_name(int kind);
const char *vg_fn_name(int fn);
const char *vg_agg_name(int fn);

/* A match context with the VG_Q_REGEX_* limits, for one thread's matches;
 * the caller frees it with pcre2_match_context_free. NULL when out of
 * memory. */
pcre2_match_context *vg_qregex_mctx(void);

#endif
