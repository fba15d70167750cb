/*
 * exec_int.h — what the executor's files share (internal: nothing outside
 * src/query/exec*.c includes it).
 *
 * exec.c holds the plan, the row-at-a-time evaluation of a search
 * expression (ex_node_match on an xrow cursor), the sinks (events heap,
 * aggregation, rows) and the commands after a transform. exec_vec.c scans
 * one decoded block at a time: it computes the matching rows column by
 * column as a selection vector, and feeds them to an aggregation keyed on
 * the stored values, falling back to exec.c's row-at-a-time functions for
 * anything it does not specialize. Both paths must give the same answer
 * for every query; the golden query tests run both (memtable rows take the
 * row path, segment rows the block path).
 *
 * Ownership and threads: an exec and everything it points to belong to one
 * scanning thread (vg_exec runs a second exec on the other core and merges
 * it at the end).
 */
#ifndef VG_EXEC_INT_H
#define VG_EXEC_INT_H

#include <stdint.h>
#include <string.h>
#include <xxhash.h>

#include "query/cw.h"
#include "query/exec.h"
#include "store/reader.h"

#define DEFAULT_LIMIT 100
#define MAX_SLOTS 512
#define MAX_GROUPS 1000000   /* distinct `by` combinations of one aggregation */
#define MAX_EVENT_ROWS 1000000 /* events materialized for sort, dedup, table ... */

/* An open-addressing map from a stored value's 64 bits (an integer, or an
 * IPv4 address) to a payload that is never 0 (0 marks an empty slot): the
 * caches of what a value means to the query (its group, the hash of its
 * text, a term's verdict on it), so each distinct value is worked out
 * once. Memory: ex_vmap_free. */
typedef struct ex_vmap {
	uint64_t *keys;
	uint64_t *vals;
	uint32_t cap, n;
	unsigned shift;
} ex_vmap;

/* A small direct-mapped memo of verdicts on values (an integer, or an
 * IPv4 address), 0 unknown: bounded, and hits where equal values sit close
 * together, as they do in a block sorted by its sort key. */
#define EX_MEMO 4096
typedef struct ex_memo {
	uint64_t key[EX_MEMO];
	uint8_t val[EX_MEMO];
} ex_memo;

static inline uint32_t ex_memo_slot(uint64_t k)
{
	return (uint32_t)((k * 0x9e3779b97f4a7c15ull) >> 52);
}

static inline uint8_t ex_memo_get(const ex_memo *m, uint64_t k)
{
	uint32_t j = ex_memo_slot(k);
	return m->key[j] == k ? m->val[j] : 0;
}

static inline void ex_memo_put(ex_memo *m, uint64_t k, uint8_t v)
{
	uint32_t j = ex_memo_slot(k);
	m->key[j] = k;
	m->val[j] = v;
}

/* ------------------------------------------------------------ the plan */

typedef struct xnode xnode;
struct xnode {
	uint8_t kind, op;           /* vg_snkind, vg_sop */
	uint8_t fkind;              /* CMP: vg_qfkind */
	uint8_t wild;               /* TERM / string CMP: pattern has `*` */
	uint32_t pos;
	xnode **kids;
	uint32_t n;
	int slot;                   /* CMP on a plain field: its slot */
	const vg_qname *fname;      /* CMP: the field's name */
	uint8_t computed;           /* CMP: an earlier command of the pipeline
				     * may set the field (compare its value,
				     * not the stored one: cmp_computed) */
	const vg_qval *val;
	char *pat;                  /* lowercased term or value */
	uint32_t patlen;
	/* `=` on a dictionary column: the verdict per distinct value of the
	 * current block (0 unknown, 1 no, 2 yes), so each value is compared
	 * once per block instead of once per row. */
	uint64_t dserial;           /* the block the verdicts belong to */
	uint8_t *dmatch;
	uint32_t ndmatch;
	/* A comparison on _group holds or not for a whole segment. */
	uint64_t gserial;
	int gverdict;
	/* A term on rows rendered from templates: per column of the block,
	 * the verdict per distinct string (0 unknown, 1 no, 2 yes). */
	uint64_t tserial;
	uint8_t **tcache;
	uint32_t ntcache;
	uint8_t simple;             /* TERM: may be matched field by field on a
				     * row rendered from a template (see
				     * ex_term_simple) */
	uint8_t can_int, can_ip;    /* the term could stand in a number's or an
				     * address's text (only such bytes in it) */
	/* Block-at-a-time evaluation (exec_vec.c). vec: the node's verdict
	 * depends only on stored values and it cannot fail, so it may run
	 * column by column in any order. For a comparison on a dictionary
	 * column, its verdict per distinct value of the block (0 unknown,
	 * 1 no, 2 yes) as vmatch, valid while vserial is the block's. */
	uint8_t vec;
	uint64_t vserial;
	uint8_t *vmatch;
	uint32_t nvmatch;
	/* A term on rows rendered from templates: its recent verdicts on
	 * integers ([0]) and IPv4 addresses ([1]), or NULL (exec_free). */
	struct ex_memo *tmemo;
	int64_t tip4;               /* a term that is an IPv4 address written
				     * canonically: its 32 bits (it stands in an
				     * IPv4 address's text only as all of it),
				     * else -1 */
};

/* A value as stored: no copy, no conversion. */
typedef struct fval {
	uint8_t type;               /* vg_type, 0 absent */
	int64_t i;
	double d;
	const char *s;
	uint32_t len;
	const uint8_t *ip;
} fval;

typedef struct term {
	uint64_t *h;                /* subtoken hashes that must be in a block */
	uint8_t *digits;            /* per hash: the subtoken is all digits */
	uint32_t n;
} term;

typedef struct table {
	const char **cols;
	uint32_t ncols;
	vg_val *cells;
	uint32_t nrows, cap;
} table;

typedef struct exec {
	const vg_query *q;
	const vg_exec_opts *o;
	vg_result *res;
	vg_err *err;
	vg_arena *a;                /* the result's arena */
	xnode *root;                /* NULL: every event */
	const vg_cw *cw;
	/* Plain fields the query reads, by slot. */
	const char *names[MAX_SLOTS];
	uint32_t nslots;
	term *terms;
	uint32_t nterms;
	int need_raw;
	int64_t from, to;
	pcre2_match_context *mctx;
	pcre2_match_data *md;
	vg_arena evarena;           /* eval's results for one row, reset per row */
	vg_arena rowarena;          /* a row's own eval fields, reset per row */
	vg_buf scratch, lower;
	int64_t deadline;
	/* Events mode. */
	vg_result_event *heap;
	uint32_t nheap, limit;
	/* The histogram, counted over [from, to) once known. */
	uint64_t *hist;
	uint32_t nhist;
	int64_t hstart, hspan;
	/* The first transforming command's aggregation. */
	uint64_t serial;            /* of the block being scanned, from 1 */
	uint64_t segserial;         /* of the segment being scanned, from 1 */
	struct xagg *agg;
	uint32_t first_cmd;         /* commands before it run per event */
	/* Rows mode: matching events become table rows (see prepare_rows). */
	xnode **cmdnode;            /* compiled `| search` commands, by index */
	table *rows;
	vg_qname *rnames;           /* the rows' columns as names */
	int rows_event;             /* column 1 holds the event's JSON */
	struct vscan *vs;           /* the block-at-a-time scan's state */
	struct xext *ext;           /* iplocation's cache and lookup's tables
				     * (exec.c) */
} exec;

/* A row cursor: a decoded block row or a memtable event. */
typedef struct xrow {
	exec *x;
	vg_blk *bk;
	vg_blk *full;               /* the whole block, decoded on the first
				     * event it must print (late materialization) */
	int full_ready;
	const int *colof;           /* slot -> column in bk's segment, -1 none */
	uint32_t r;
	const vg_batch *mem;
	size_t i;
	const uint32_t *memfid;     /* slot -> field id in mem, UINT32_MAX none */
	int64_t t;
	const char *group;
	int raw_ready, lraw_ready;
	vg_buf raw, lraw;
	/* eval's results on this row: name -> value */
	struct overlay *ov;
	uint32_t nov, capov;
} xrow;

typedef struct overlay {
	const char *name;
	uint32_t len;
	vg_val v;
} overlay;

typedef struct aggst {
	uint64_t n;                 /* count / count(f) / values seen */
	int allint;
	__int128 isum;            /* exact: no int64 sum overflows it */
	double sum;
	vg_val min, max;            /* copies in the arena */
	double *vals;               /* perc */
	uint32_t nvals, capvals;
	uint64_t *set;              /* dc: hashes; values: hashes */
	uint32_t nset, capset;
	const char **strs;          /* values: the distinct texts */
	uint32_t *lens;
	int64_t tbest;              /* earliest / latest */
	vg_val best;
} aggst;

typedef struct xagg {
	const vg_qcmd *cmd;
	const vg_qagg *aggs;
	uint32_t naggs;
	const vg_qname *by;
	uint32_t nby;
	int timechart;
	int64_t span;
	/* groups: key text -> index */
	uint64_t *ht;               /* hash << 0, index + 1 in low bits via idx */
	uint32_t *htidx;
	uint32_t htcap, ngroups;
	uint32_t gcap;               /* groups the per-group arrays hold */
	char **keys;                /* per group: key text (by values, \x1f joined) */
	uint32_t *keylens;
	vg_val *byvals;             /* per group: nby values */
	int64_t *bucket;            /* timechart: per group its bucket start */
	aggst *st;                  /* per group: naggs states */
	vg_arena arena;
	vg_buf key;
	/* Event rows (the scan): each by field and aggregated field by slot
	 * (-1: a computed field, read by name), and for one by field on a
	 * dictionary column the group of each distinct value of the block. */
	int *byslot, *aggslot;
	uint64_t dserial;
	uint32_t *dgroup;           /* sid -> group + 1, 0 unknown */
	uint32_t ndgroup;
} xagg;

/* ------------------------------------------------------- inline helpers */

static inline uint32_t ex_vmap_slot(const ex_vmap *m, uint64_t k)
{
	return (uint32_t)((k * 0x9e3779b97f4a7c15ull) >> m->shift);
}

/* The payload of k, or 0. */
static inline uint64_t ex_vmap_get(const ex_vmap *m, uint64_t k)
{
	if (m->n == 0)
		return 0;
	for (uint32_t j = ex_vmap_slot(m, k);; j = (j + 1) & (m->cap - 1)) {
		if (m->vals[j] == 0)
			return 0;
		if (m->keys[j] == k)
			return m->vals[j];
	}
}

/* The 32 bits of an IPv4-mapped address, or -1 for another address. */
static inline int64_t ex_ip4_of(const uint8_t *ip)
{
	static const uint8_t pre[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (memcmp(ip, pre, 12) != 0)
		return -1;
	return (int64_t)(((uint32_t)ip[12] << 24) | ((uint32_t)ip[13] << 16) |
			 ((uint32_t)ip[14] << 8) | ip[15]);
}

static inline uint64_t ex_hash(const void *p, size_t n)
{
	return XXH3_64bits(p, n);
}

/* The stored value of column c at row r (type 0 when absent). */
static inline void ex_col_fval(const vg_col *c, uint32_t r, fval *v)
{
	v->type = c->types[r];
	switch (v->type) {
	case VG_T_INT: v->i = c->i[r]; v->d = (double)v->i; break;
	case VG_T_DBL: v->d = c->d[r]; break;
	case VG_T_IP: v->ip = c->ip[r]; break;
	case VG_T_STR:
		v->s = c->strs[c->sid[r]];
		v->len = c->slens[c->sid[r]];
		break;
	default: break;
	}
}

/* sum / avg of one numeric value. Integers add up exactly (128 bits) and
 * apart from the other numbers (sum), so a result depends on the order rows
 * come in (memtable, segments, two threads) only through its non-integer
 * terms. allint: no non-integer came. The total is ex_sum_total. */
static inline void ex_sum_add(aggst *s, double d, int isint, int64_t i)
{
	if (s->n == 0)
		s->allint = 1;
	s->n++;
	if (isint) {
		s->isum += i;
	} else {
		s->sum += d;
		s->allint = 0;
	}
}

/* --------------------------------------------------- exec.c for exec_vec.c */

/* The verdict of search node n on the row: 1 match, 0 not, -1 error
 * (x->err set). */
int ex_node_match(exec *x, xnode *n, xrow *rw);
/* The verdict of comparison n (a plain field) on a present value v: 1, 0,
 * or -1 for a regular expression that gave up (x->err set). */
int ex_cmp_value(exec *x, const xnode *n, const fval *v);
/* Terms on rows rendered from templates, a field at a time: may term n be
 * decided so (no space, no wildcard)? The value types whose text could
 * hold it. Its caches set up for block bk. Its verdict on the text of
 * column c's value at row r (a field of the row's template). */
int ex_term_simple(const xnode *n);
unsigned ex_term_types(const xnode *n);
void ex_term_block(exec *x, xnode *n, const vg_blk *bk);
int ex_term_field(exec *x, xnode *n, const vg_blk *bk, uint32_t c, uint32_t r);
/* A row matched the search: the commands before the transform, then its
 * sink. 0, or <0 on error. */
int ex_on_match(exec *x, xrow *rw);
/* The aggregation group of the row (its by values' text), made when new;
 * UINT32_MAX leaves the row out, or sets *err_rc on error. */
uint32_t ex_group_x(exec *x, xagg *g, xrow *rw, int64_t t, int *err_rc);
/* A by or aggregated field of the row as a value; strings may point into
 * buf. */
void ex_agg_get(xrow *rw, const vg_qname *name, int slot, vg_val *out, vg_buf *buf);
/* Feed one value of the row at time t to aggregation state s. */
void ex_agg_update(xagg *g, aggst *s, const vg_qagg *ag, const vg_val *v, int64_t t);
/* A value as sum / avg read it: a number, or a string holding one. */
int ex_agg_numeric(const vg_val *v, double *d, int *isint, int64_t *i);
/* Add hash h to the distinct set of s; *added tells whether it was new. */
void ex_set_add(aggst *s, uint64_t h, int *added);
/* Count a matching event at time t in the histogram. */
void ex_hist_add(exec *x, int64_t t);
/* VG_ELIMIT (err set) once the query's time limit has passed, else 0. */
int ex_timed_out(exec *x);

/* ------------------------------------------------------------ exec_vec.c */

/* Record k -> v (v != 0, k not present); past a bound the map stops
 * growing and the value is simply not cached. */
void ex_vmap_put(ex_vmap *m, uint64_t k, uint64_t v);
void ex_vmap_free(ex_vmap *m);

/* Mark the plan's nodes that can run column by column, and decide whether
 * the aggregation runs on stored values; allocates x->vs. */
void ex_vec_prepare(exec *x);
void ex_vec_free(exec *x);
/* The segments are scanned: move what the scan kept in its own form into
 * the aggregation's states (before memtable rows add to them). */
void ex_vec_flush(exec *x);
/* Scan block b of segment s (not pruned): decode what is needed, select
 * the rows in [from, to) that match, and feed them to the sink. rw is the
 * segment's row cursor (group and column map set). 0 or an error code. */
int ex_scan_block(exec *x, xrow *rw, const vg_seg *s, uint32_t b);

#endif
