/*
 * exec_vec.c — scanning a segment a block at a time.
 *
 * The row-at-a-time path (exec.c) asks, for every row, every node of the
 * search expression, then builds the text of the row's `by` values to find
 * its group. That costs tens of nanoseconds a row even when the answer
 * depends on two or three distinct values of a column. Here a block is
 * evaluated column by column instead:
 *
 *  1. Selection. The rows of the block in [from, to) become a selection
 *     vector (ascending row numbers). Each node of the search expression
 *     that cannot fail (a comparison on a field, _group or _time other than
 *     a regular expression; a term; AND / OR / NOT of such) narrows it with
 *     one loop over its column: a dictionary column is compared once per
 *     distinct value and then by id, integers and addresses in binary,
 *     _group once per segment, a term on rows rendered from a template
 *     field by field, decoding only the columns whose values could hold
 *     it. In an AND such nodes run first, the cheapest (fewest compressed
 *     bytes still to decode) first, terms last, since their order cannot
 *     change the answer; the other kids (regular expressions, computed
 *     fields) then run row by row, in the order written, on the rows that
 *     are left, through exec.c's ex_node_match. Columns are decoded when a
 *     node first reads them, for the rows it reads: a block where
 *     `action=REJECT` selects nothing never decodes `dstport`, and a mirror
 *     pair column (FORMAT.md) read at rows none of which is a mirror row
 *     is not restored, so its partner is not decoded. A term on rows whose
 *     raw text is stored first turns away, 32 bytes at a time, the rows
 *     whose text does not hold its bytes in any case.
 *
 *  2. Aggregation. When the matching events go straight to stats, top,
 *     rare or timechart (nothing but `| search` before them), the group of
 *     each selected row is found from its stored value: per block from the
 *     dictionary id of a string, across blocks from an integer (a table
 *     for 0..65535) or an IPv4 address (a hash map); timechart caches per
 *     time bucket of the block. Only a value seen for the first time goes
 *     through exec.c's ex_group_x, which makes the group from the value's
 *     text exactly as the row path does. count, sum and avg then add up
 *     column values into compact states (merged into the aggregation's at
 *     the end of the segments); dc caches the hash of each distinct
 *     value's text. Every other case (other functions, values of other
 *     types, several by fields) calls the row path's functions for that
 *     row, so the answers are the same by construction. Three shapes
 *     skip even that per-row lookup: counts by a dictionary column count
 *     rows per id of the block, then add each id's count to its group;
 *     an address column read only to be grouped, counted or told apart
 *     (`top srcaddr`, `dc(srcaddr)`) is decoded as dictionary ids, not
 *     16-byte addresses (vg_blk_load_col_ids), each id resolved once a
 *     block through a one-row view of its address; and count / sum / avg
 *     of integers by an integer below 65536 (`sum(bytes) by dstport`)
 *     add into a table indexed by the value itself (agg_direct).
 *
 *  3. Events: once the newest `limit` events are kept and all are newer
 *     than the block, its matches are only counted. Any other sink (rows
 *     mode, where / eval before the transform) gets the selected rows one
 *     by one through ex_on_match, with every column it may read decoded.
 *
 * A block's selection starts as v->all, every row, read only; the first
 * step that narrows it writes into a buffer, and a comparison on _group
 * (true or false for the whole segment) writes nothing.
 *
 * The histogram of matching events (unless the caller prints none:
 * no_hist) needs their times only when the block spans more than one
 * bucket; `_time` is decoded only then, or when the block crosses the
 * query's time range, or a row-wise node needs it.
 *
 * Rows are always visited in ascending order inside a block, as the row
 * path does, so order-sensitive results (sums of doubles, latest() ties)
 * are the same.
 */
#include "query/exec_int.h"

#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "util/simd.h"

#define MAX_CACHE (1u << 20)   /* entries of one value cache */

/* What one column's values map to (their group, or the hash of their
 * text): integers and IPv4 addresses for the whole scan, dictionary ids
 * for the current block. */
typedef struct vcache {
	ex_vmap ints, ip4s;
	uint64_t serial;            /* the block sids belongs to */
	uint64_t *sids;             /* sid -> payload, 0 unknown */
	uint32_t nsids;
} vcache;

/* count, sum and avg of one group, kept apart from the aggregation's
 * states (aggst, large) while the segments are scanned so that the hot
 * fields of many groups share cache lines; added to the states at the end
 * (ex_vec_flush). The same arithmetic as ex_sum_add, in the same order. */
typedef struct fstate {
	uint64_t n;
	__int128 isum;
	double sum;
	int allint;
} fstate;

#define SMALL_INTS 65536u      /* integers looked up in a table, not a map */

/* count and integer sum of the rows of one small integer by value (a
 * port) in one aggregation, indexed by the value itself: 16 bytes, next
 * to each other, where a group's fstate is 48 and wherever its group
 * number puts it. Added to the fstate of the value's group at the end
 * (ex_vec_flush). */
typedef struct dstate {
	int64_t sum;
	uint64_t n;
} dstate;
#define PREFETCH 16            /* rows ahead whose group state is fetched */
#define DPREFETCH 64           /* the same for agg_direct's states: its keys
				* are known before, the loop is short */

typedef struct vscan {
	int fastagg;                /* the aggregation reads stored values */
	int search_only;            /* only `| search` before the first transform */
	fstate **fst;               /* per aggregation: per group, or NULL when
				     * the aggregation keeps its aggst */
	uint32_t nfst;              /* groups the fst arrays hold */
	uint32_t *small;            /* by field: integer 0..SMALL_INTS-1 -> group + 1 */
	int direct;                 /* the aggregation may use dst (agg_direct) */
	uint64_t seen[SMALL_INTS / 64]; /* small[value] is set */
	dstate **dst;               /* per aggregation: per small by value, or NULL */
	uint32_t **bufs;            /* selection vectors of VG_BLOCK_ROWS, a stack */
	uint32_t nbufs, top;
	uint32_t *gi;               /* per selected row: its group, or UINT32_MAX */
	uint32_t g0;                /* the one group of a stats without by, + 1 */
	vcache by;                  /* the by field's values -> group + 1 */
	vcache *aggs;               /* per aggregation: values -> hash of text */
	uint8_t *want;              /* per column of the segment: decode it */
	uint32_t nwant;
	vg_arena blkmem;            /* decoded blocks' memory, block after block */
	uint32_t *all;              /* 0, 1, ... VG_BLOCK_ROWS - 1: every row */
	/* Timechart: per selected row its bucket within the block, and per
	 * bucket of the block the group of no by value, of each dictionary
	 * id, and of (integer or IPv4 address) << 3 | bucket. */
	uint8_t *tcb;
	uint64_t tcnone[8];
	uint64_t *tcsids;
	uint32_t ntcsids;
	ex_vmap tcints, tcips;
	/* A block of one row holding one address (one_row): exec.c reads a
	 * value from it when the scanned block holds that column as ids. */
	vg_blk one;
	vg_col *onecols;
	uint8_t *oneloaded;
	uint32_t nonecols;
	uint8_t onetype, oneip[16];
} vscan;

/* One block being scanned. */
typedef struct vblk {
	exec *x;
	vscan *v;
	xrow *rw;
	vg_blk *bk;
	const vg_seg *s;
	uint32_t b;
	int all;                    /* every column the query reads is decoded */
} vblk;

/* ------------------------------------------------------------ value maps */

void ex_vmap_put(ex_vmap *m, uint64_t k, uint64_t v)
{
	if ((m->n + 1) * 2 > m->cap) {
		if (m->cap >= 2 * MAX_CACHE)
			return;
		ex_vmap old = *m;
		m->cap = old.cap ? old.cap * 2 : 256;
		m->shift = 64 - (unsigned)__builtin_ctz(m->cap);
		m->keys = vg_xmalloc(m->cap * sizeof *m->keys);
		m->vals = vg_xcalloc(m->cap, sizeof *m->vals);
		m->n = 0;
		for (uint32_t j = 0; j < old.cap; j++)
			if (old.vals[j])
				ex_vmap_put(m, old.keys[j], old.vals[j]);
		free(old.keys);
		free(old.vals);
	}
	uint32_t j = ex_vmap_slot(m, k);
	while (m->vals[j])
		j = (j + 1) & (m->cap - 1);
	m->keys[j] = k;
	m->vals[j] = v;
	m->n++;
}

void ex_vmap_free(ex_vmap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof *m);
}

static void vcache_free(vcache *c)
{
	ex_vmap_free(&c->ints);
	ex_vmap_free(&c->ip4s);
	free(c->sids);
}

/* The cache's table for the n dictionary ids (of strings, or of
 * addresses) of a column of the current block (cleared when the block is
 * new). */
static uint64_t *vcache_sids(vcache *c, const exec *x, uint32_t n)
{
	if (c->serial != x->serial) {
		if (c->nsids < n) {
			free(c->sids);
			c->nsids = n * 2;
			c->sids = vg_xmalloc(c->nsids * sizeof *c->sids);
		}
		memset(c->sids, 0, n * sizeof *c->sids);
		c->serial = x->serial;
	}
	return c->sids;
}

/* ex_sum_add on a fast state. */
static inline void fsum_add(fstate *s, double d, int isint, int64_t i)
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

/* Room in the fast states for every group made so far. */
static void fst_reserve(vscan *v, const xagg *g)
{
	if (g->ngroups <= v->nfst)
		return;
	uint32_t cap = v->nfst ? v->nfst : 64;
	while (cap < g->ngroups)
		cap *= 2;
	for (uint32_t a = 0; a < g->naggs; a++) {
		if (v->fst[a] == NULL)
			continue;
		v->fst[a] = vg_xrealloc(v->fst[a], cap * sizeof *v->fst[a]);
		memset(v->fst[a] + v->nfst, 0, (cap - v->nfst) * sizeof *v->fst[a]);
	}
	v->nfst = cap;
}

/* ------------------------------------------------------------- buffers */

static uint32_t *buf_get(vscan *v)
{
	if (v->top == v->nbufs) {
		v->bufs = vg_xrealloc(v->bufs, (v->nbufs + 1) * sizeof *v->bufs);
		v->bufs[v->nbufs++] = vg_xmalloc(VG_BLOCK_ROWS * sizeof **v->bufs);
	}
	return v->bufs[v->top++];
}

static void buf_put(vscan *v)
{
	v->top--;
}

/* ------------------------------------------------------------- columns */

/* Column c of the block, decoded now if it was not, to be read at the
 * rows rows[0..n) only (a mirror pair column is restored only when one of
 * them is a mirror row); NULL for a field the segment does not have
 * (every row absent). *rc set on error. */
static const vg_col *col_get(vblk *vb, int c, const uint32_t *rows, uint32_t n, int *rc)
{
	if (c < 0)
		return NULL;
	*rc = vg_blk_load_col_rows(vb->bk, (uint32_t)c, rows, n, vb->x->err);
	return *rc ? NULL : &vb->bk->cols[c];
}

/* col_get for a reader that only tells addresses apart: a column of
 * addresses may come as dictionary ids (ipid set, ip NULL; see
 * vg_blk_load_col_ids). */
static const vg_col *col_get_ids(vblk *vb, int c, const uint32_t *rows, uint32_t n, int *rc)
{
	const vg_col *col = NULL;
	if (c < 0)
		return NULL;
	*rc = vg_blk_load_col_ids(vb->bk, (uint32_t)c, rows, n, &col, vb->x->err);
	return *rc ? NULL : col;
}

/* Point the row cursor at the only row of a block holding ip in column c
 * and nothing else, so that exec.c's functions read that address as the
 * row's value of c; one_row_done points it back at row r of the scanned
 * block. */
static void one_row(vblk *vb, uint32_t c, const uint8_t ip[16])
{
	vscan *v = vb->v;
	uint32_t ncols = vb->s->ncols;
	if (v->nonecols < ncols) {
		free(v->onecols);
		free(v->oneloaded);
		v->nonecols = ncols;
		v->onecols = vg_xmalloc(ncols * sizeof *v->onecols);
		v->oneloaded = vg_xmalloc(2 * (size_t)ncols);
	}
	memset(v->oneloaded, 0, 2 * (size_t)ncols);
	v->oneloaded[c] = 1;
	vg_col *col = &v->onecols[c];
	memset(col, 0, sizeof *col);
	col->n = 1;
	col->types = &v->onetype;
	v->onetype = VG_T_IP;
	memcpy(v->oneip, ip, 16);
	col->ip = (uint8_t(*)[16])v->oneip;
	memset(&v->one, 0, sizeof v->one);
	v->one.seg = vb->s;
	v->one.block = vb->b;
	v->one.n = 1;
	v->one.cols = v->onecols;
	v->one.loaded = v->oneloaded;
	v->one.partial = v->oneloaded + ncols; /* none */
	vb->rw->bk = &v->one;
	vb->rw->r = 0;
	vb->rw->nov = 0;
}

static void one_row_done(vblk *vb, uint32_t r)
{
	vb->rw->bk = vb->bk;
	vb->rw->r = r;
}

static int load_time(vblk *vb)
{
	return vg_blk_load_col(vb->bk, 0, vb->x->err);
}

/* Decode every column the row-at-a-time functions may read (with the raw
 * text, every column its templates name). */
static int load_all(vblk *vb)
{
	if (vb->all)
		return 0;
	if (vb->x->need_raw || vb->x->cw) {
		int rc = vg_blk_load_text(vb->bk, vb->v->want, vb->x->err);
		vb->all = rc == 0;
		return rc;
	}
	int rc = load_time(vb);
	for (uint32_t k = 0; k < vb->x->nslots && rc == 0; k++)
		if (vb->rw->colof[k] >= 0)
			rc = vg_blk_load_col(vb->bk, (uint32_t)vb->rw->colof[k], vb->x->err);
	vb->all = rc == 0;
	return rc;
}

/* Point the row cursor at row r, for the row-at-a-time functions (the
 * time column must be decoded). */
static inline void row_at(vblk *vb, uint32_t r)
{
	xrow *rw = vb->rw;
	rw->r = r;
	rw->t = vg_blk_time(vb->bk, r);
	rw->raw_ready = rw->lraw_ready = 0;
	rw->nov = 0;
}

/* ------------------------------------------------------------ selection */

static int sel_node(vblk *vb, xnode *n, const uint32_t *in, uint32_t nin, uint32_t *out,
		    uint32_t *nout);

/* Which nodes may run column by column (see the top of the file): 0 no,
 * 1 yes, 2 yes but costly (a term: in an AND it runs after the others). */
static uint8_t classify(xnode *n)
{
	switch (n->kind) {
	case VG_SN_AND:
	case VG_SN_OR: {
		uint8_t all = 1, most = 1;
		for (uint32_t k = 0; k < n->n; k++) {
			uint8_t v = classify(n->kids[k]);
			all &= v != 0;
			most = v > most ? v : most;
		}
		n->vec = all ? most : 0;
		break;
	}
	case VG_SN_NOT: n->vec = classify(n->kids[0]); break;
	case VG_SN_TERM: n->vec = 2; break; /* never fails: any order will do */
	default:
		n->vec = n->op != VG_SOP_RE && !n->computed &&
			 (n->fkind == VG_QF_PLAIN || n->fkind == VG_QF_GROUP ||
			  (n->fkind == VG_QF_TIME && (n->val->flags & VG_QV_TIME)));
		break;
	}
	return n->vec;
}

/* Rows of in for which every node of list (n of them) matches, asked row
 * by row in order; out may be in. 0, or -1 with x->err set. */
static int sel_rows(vblk *vb, xnode **list, uint32_t n, const uint32_t *in, uint32_t nin,
		    uint32_t *out, uint32_t *nout)
{
	int rc = load_all(vb);
	if (rc)
		return rc;
	uint32_t j = 0;
	for (uint32_t k = 0; k < nin; k++) {
		row_at(vb, in[k]);
		int m = 1;
		for (uint32_t i = 0; i < n && m > 0; i++)
			m = ex_node_match(vb->x, list[i], vb->rw);
		if (m < 0)
			return -1;
		out[j] = in[k];
		j += (uint32_t)m;
	}
	*nout = j;
	return 0;
}

/* The verdict of comparison n (on a plain field) on row r of col, the slow
 * but general way: the value as stored, through exec.c. */
static int cmp_row(vblk *vb, const xnode *n, const vg_col *col, uint32_t r)
{
	fval v;
	memset(&v, 0, sizeof v);
	ex_col_fval(col, r, &v);
	return v.type ? ex_cmp_value(vb->x, n, &v) : 0;
}

/* The verdict of n on the dictionary string sid of col, cached per block. */
static inline int cmp_sid(vblk *vb, xnode *n, const vg_col *col, uint32_t r)
{
	uint32_t sid = col->sid[r];
	if (n->vmatch[sid] == 0)
		n->vmatch[sid] = (uint8_t)(1 + cmp_row(vb, n, col, r));
	return n->vmatch[sid] == 2;
}

/* How a comparison decides each value type of its column without exec.c. */
typedef struct cmpfast {
	int any;                    /* = * / != *: every present value, or none */
	int num;                    /* numbers compared with q->d */
	int ip;                     /* addresses tested against q's network */
	uint64_t net[2], mask[2];   /* the network, as two big-endian halves */
} cmpfast;

static void cmpfast_init(const xnode *n, cmpfast *f)
{
	const vg_qval *q = n->val;
	memset(f, 0, sizeof *f);
	f->any = (q->flags & VG_QV_ANY) && n->op <= VG_SOP_NE;
	f->num = !f->any && (q->flags & VG_QV_NUM);
	f->ip = !f->any && (q->flags & (VG_QV_CIDR | VG_QV_IP)) && n->op <= VG_SOP_NE;
	if (f->ip) {
		unsigned bits = q->bits;
		for (unsigned h = 0; h < 2; h++) {
			uint64_t net = 0;
			for (unsigned k = 0; k < 8; k++)
				net = net << 8 | q->ip[8 * h + k];
			unsigned keep = bits >= 64 ? 64 : bits;
			f->mask[h] = keep == 0 ? 0 : ~0ull << (64 - keep);
			f->net[h] = net & f->mask[h];
			bits -= keep;
		}
	}
}

static inline int num_verdict(uint8_t op, double d, double b)
{
	switch (op) {
	case VG_SOP_EQ: return d == b;
	case VG_SOP_NE: return d != b;
	case VG_SOP_LT: return d < b;
	case VG_SOP_LE: return d <= b;
	case VG_SOP_GT: return d > b;
	case VG_SOP_GE: return d >= b;
	default: return 0;
	}
}

static inline uint64_t be64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return __builtin_bswap64(v);
}

/* The verdict of comparison n on row r of col, for any value type. */
static inline int cmp_any_type(vblk *vb, xnode *n, const cmpfast *f, const vg_col *col,
			       uint32_t r)
{
	switch (col->types[r]) {
	case 0: return 0;
	case VG_T_STR:
		if (f->any)
			return n->op == VG_SOP_EQ;
		return col->str_dict ? cmp_sid(vb, n, col, r) : cmp_row(vb, n, col, r);
	case VG_T_INT:
		if (f->any)
			return n->op == VG_SOP_EQ;
		if (f->num)
			return num_verdict(n->op, (double)col->i[r], n->val->d);
		if (n->op > VG_SOP_NE)
			return 0; /* an order without a number in the query */
		return cmp_row(vb, n, col, r);
	case VG_T_DBL:
		if (f->any)
			return n->op == VG_SOP_EQ;
		if (f->num)
			return num_verdict(n->op, col->d[r], n->val->d);
		if (n->op > VG_SOP_NE)
			return 0;
		return cmp_row(vb, n, col, r);
	case VG_T_IP:
		if (f->any)
			return n->op == VG_SOP_EQ;
		if (f->ip) {
			int in = (be64(col->ip[r]) & f->mask[0]) == f->net[0] &&
				 (be64(col->ip[r] + 8) & f->mask[1]) == f->net[1];
			return n->op == VG_SOP_EQ ? in : !in;
		}
		return cmp_row(vb, n, col, r);
	default: return 0;
	}
}

#if defined(__x86_64__) && defined(__GNUC__)
/* The rows r with a value whose dictionary id sid[r] (below nstrs <= 16)
 * has the verdict yes (vm[id] == 2), into out, for r in 0..n-1 rounded
 * down to a multiple of 16 (the caller does the rest), 16 rows a step:
 * the verdicts are a table of 16 lanes looked up by id, and the rows kept
 * are packed to the front of a vector stored whole (out has room for
 * every row; lanes past those kept are overwritten by the next step).
 * Returns how many rows it kept. */
__attribute__((target("avx512f,popcnt"))) static uint32_t dict_rows_avx512(
	const uint8_t *types, const uint32_t *sid, const uint8_t *vm, uint32_t nstrs, uint32_t n,
	uint32_t *out)
{
	uint32_t tab[16] = {0};
	for (uint32_t id = 0; id < nstrs; id++)
		tab[id] = vm[id] == 2;
	const __m512i vt = _mm512_loadu_si512(tab), step = _mm512_set1_epi32(16);
	__m512i rows = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
	uint32_t j = 0;
	for (uint32_t r = 0; r + 16 <= n; r += 16) {
		__m512i yes = _mm512_permutexvar_epi32(_mm512_loadu_si512(sid + r), vt);
		__m512i t = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(types + r)));
		__mmask16 m = _mm512_test_epi32_mask(yes, yes) & _mm512_test_epi32_mask(t, t);
		_mm512_storeu_si512(out + j, _mm512_maskz_compress_epi32(m, rows));
		j += (uint32_t)__builtin_popcount(m);
		rows = _mm512_add_epi32(rows, step);
	}
	return j;
}
#endif

/* A comparison on a plain field over the rows of in. */
static int sel_field(vblk *vb, xnode *n, const uint32_t *in, uint32_t nin, uint32_t *out,
		     uint32_t *nout)
{
	int rc = 0;
	const vg_col *col = col_get(vb, vb->rw->colof[n->slot], in, nin, &rc);
	*nout = 0;
	if (col == NULL)
		return rc; /* absent everywhere: no comparison holds */
	if (col->str_dict && col->nstrs) {
		if (n->vserial != vb->x->serial) {
			if (n->nvmatch < col->nstrs) {
				n->nvmatch = col->nstrs * 2;
				n->vmatch = vg_arena_alloc(vb->x->a, n->nvmatch);
			}
			memset(n->vmatch, 0, col->nstrs);
			n->vserial = vb->x->serial;
		}
	}
	cmpfast f;
	cmpfast_init(n, &f);
	const uint8_t *types = col->types;
	uint32_t j = 0;
	/* The common cases get loops of their own; a row of another type
	 * still gets its verdict. */
	if (f.num) {
		const int64_t *iv = col->i;
		double b = n->val->d;
		for (uint32_t k = 0; k < nin; k++) {
			uint32_t r = in[k];
			out[j] = r;
			j += (uint32_t)(types[r] == VG_T_INT ? num_verdict(n->op, (double)iv[r], b)
							      : cmp_any_type(vb, n, &f, col, r));
		}
	} else if (col->str_dict && !f.any && col->i == NULL && col->d == NULL && col->ip == NULL &&
		   col->nstrs <= nin) {
		/* Strings or nothing in every row: the verdict of each distinct
		 * value first, then one lookup a row. */
		uint8_t *vm = n->vmatch;
		for (uint32_t sid = 0; sid < col->nstrs; sid++) {
			if (vm[sid])
				continue;
			fval v;
			memset(&v, 0, sizeof v);
			v.type = VG_T_STR;
			v.s = col->strs[sid];
			v.len = col->slens[sid];
			vm[sid] = (uint8_t)(1 + ex_cmp_value(vb->x, n, &v));
		}
		const uint32_t *sid = col->sid;
		uint32_t k = 0;
#if defined(__x86_64__) && defined(__GNUC__)
		/* Every row of the block, few values (`action=REJECT`): 16
		 * rows a step. */
		if (col->nstrs <= 16 && nin && in[0] == 0 && in[nin - 1] == nin - 1 &&
		    vg_simd_has(VG_SIMD_AVX512F | VG_SIMD_POPCNT))
		{
			j = dict_rows_avx512(types, sid, vm, col->nstrs, nin, out);
			k = nin & ~15u;
		}
#endif
		for (; k < nin; k++) {
			uint32_t r = in[k];
			out[j] = r;
			j += types[r] != 0 && vm[sid[r]] == 2;
		}
	} else if (col->str_dict && !f.any) {
		for (uint32_t k = 0; k < nin; k++) {
			uint32_t r = in[k];
			out[j] = r;
			j += (uint32_t)(types[r] == VG_T_STR ? cmp_sid(vb, n, col, r)
							      : cmp_any_type(vb, n, &f, col, r));
		}
	} else {
		for (uint32_t k = 0; k < nin; k++) {
			uint32_t r = in[k];
			out[j] = r;
			j += (uint32_t)cmp_any_type(vb, n, &f, col, r);
		}
	}
	*nout = j;
	return 0;
}

/* A comparison of _time with a time over the rows of in. */
static int sel_time(vblk *vb, const xnode *n, const uint32_t *in, uint32_t nin, uint32_t *out,
		    uint32_t *nout)
{
	int rc = load_time(vb);
	if (rc)
		return rc;
	const int64_t *t = vb->bk->cols[0].i;
	double b = (double)n->val->i;
	uint32_t j = 0;
	for (uint32_t k = 0; k < nin; k++) {
		out[j] = in[k];
		j += (uint32_t)num_verdict(n->op, (double)t[in[k]], b);
	}
	*nout = j;
	return 0;
}

/* Term n on column c for the rows todo (all of one template that has the
 * column): marks hit[r] for those whose field holds the term, and keeps in
 * todo, in order, those still undecided; returns their count. The caches
 * are read here; a value met for the first time goes to exec.c. */
static uint32_t term_column(vblk *vb, xnode *n, uint32_t c, uint32_t *todo, uint32_t nt,
			    uint8_t *hit)
{
	exec *x = vb->x;
	const vg_col *col = &vb->bk->cols[c];
	const uint8_t *types = col->types;
	uint32_t j = 0;
	for (uint32_t k = 0; k < nt; k++) {
		uint32_t r = todo[k];
		int m;
		uint8_t v = 0;
		switch (types[r]) {
		case 0: m = 0; break;
		case VG_T_STR:
			if (col->str_dict && n->tcache[c])
				v = n->tcache[c][col->sid[r]];
			m = v ? v == 2 : ex_term_field(x, n, vb->bk, c, r);
			break;
		case VG_T_INT:
			if (!n->can_int) {
				m = 0;
				break;
			}
			v = ex_memo_get(&n->tmemo[0], (uint64_t)col->i[r]);
			m = v ? v == 2 : ex_term_field(x, n, vb->bk, c, r);
			break;
		case VG_T_IP: {
			if (!n->can_ip) {
				m = 0;
				break;
			}
			int64_t v4 = ex_ip4_of(col->ip[r]);
			if (v4 >= 0 && n->tip4 >= 0) {
				m = v4 == n->tip4;
				break;
			}
			if (v4 >= 0)
				v = ex_memo_get(&n->tmemo[1], (uint64_t)v4);
			m = v ? v == 2 : ex_term_field(x, n, vb->bk, c, r);
			break;
		}
		default: m = ex_term_field(x, n, vb->bk, c, r); break;
		}
		hit[r] = (uint8_t)m;
		todo[j] = r;
		j += !m;
	}
	return j;
}

static inline uint8_t fold(uint8_t c)
{
	return (uint8_t)((unsigned)(c - 'A') < 26u ? c + 32 : c);
}

/* Does p (pn bytes) stand at t, compared lowercased? */
static inline int holds_at(const uint8_t *t, const uint8_t *p, size_t pn)
{
	size_t k = 0;
	while (k < pn && fold(t[k]) == p[k])
		k++;
	return k == pn;
}

/* Candidate starts of p in t, W bytes at a time: those whose first and
 * last bytes agree with p's, OR 0x20 folding case (and a few other
 * bytes, which holds_at then turns away). *i is the next position left;
 * 1 when p is found. */
#define HOLDS_SIMD(W, VEC, LOADU, SET1, OR, CMPEQ, AND, MOVEMASK)               \
	do {                                                                   \
		const VEC f0 = SET1((char)(p[0] | 0x20));                      \
		const VEC f1 = SET1((char)(p[pn - 1] | 0x20));                 \
		const VEC c20 = SET1(0x20);                                    \
		for (; *i + (W) <= last + 1; *i += (W)) {                      \
			VEC a = OR(LOADU((const VEC *)(t + *i)), c20);         \
			VEC b = OR(LOADU((const VEC *)(t + *i + pn - 1)), c20); \
			unsigned m = (unsigned)MOVEMASK(AND(CMPEQ(a, f0), CMPEQ(b, f1))); \
			for (; m; m &= m - 1)                                  \
				if (holds_at(t + *i + (unsigned)__builtin_ctz(m), p, pn)) \
					return 1;                              \
		}                                                              \
	} while (0)

#ifdef __SSE2__
static int holds_sse2(const uint8_t *t, size_t last, const uint8_t *p, size_t pn, size_t *i)
{
	HOLDS_SIMD(16, __m128i, _mm_loadu_si128, _mm_set1_epi8, _mm_or_si128, _mm_cmpeq_epi8,
		   _mm_and_si128, _mm_movemask_epi8);
	return 0;
}
#endif
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) static int holds_avx2(const uint8_t *t, size_t last,
						      const uint8_t *p, size_t pn, size_t *i)
{
	HOLDS_SIMD(32, __m256i, _mm256_loadu_si256, _mm256_set1_epi8, _mm256_or_si256,
		   _mm256_cmpeq_epi8, _mm256_and_si256, _mm256_movemask_epi8);
	return 0;
}
#endif

/* Does t (tn bytes), lowercased, hold p (pn >= 1 bytes, lowercase)? A
 * term without `*` stands in a row's raw text only if its bytes do (the
 * row path compares them lowercased, then checks the token edges), so
 * this turns away the rows of a block that cannot match without copying
 * or lowercasing their text: 32 or 16 positions at a time where the CPU
 * can, then one at a time. */
static int lower_holds(const uint8_t *t, size_t tn, const uint8_t *p, size_t pn)
{
	if (tn < pn)
		return 0;
	size_t last = tn - pn, i = 0; /* positions 0..last may start a match */
#if defined(__x86_64__) && defined(__GNUC__)
	if (vg_simd_has(VG_SIMD_AVX2) && holds_avx2(t, last, p, pn, &i))
		return 1;
#endif
#ifdef __SSE2__
	if (holds_sse2(t, last, p, pn, &i))
		return 1;
#endif
	for (; i <= last; i++)
		if (holds_at(t + i, p, pn))
			return 1;
	return 0;
}

/* The rows of in whose raw text may hold term n (lower_holds), or that
 * have none stored (a template renders it), into out; out may be in. */
static int sel_raw_may_hold(vblk *vb, const xnode *n, const uint32_t *in, uint32_t nin,
			    uint32_t *out, uint32_t *nout)
{
	int rc = vg_blk_load_col(vb->bk, 1, vb->x->err);
	if (rc)
		return rc;
	const vg_col *raw = &vb->bk->cols[1];
	const uint8_t *p = (const uint8_t *)n->pat;
	uint32_t j = 0;
	for (uint32_t k = 0; k < nin; k++) {
		uint32_t r = in[k];
		out[j] = r;
		if (raw->types[r] != VG_T_STR) {
			j++;
			continue;
		}
		uint32_t sid = raw->sid[r];
		j += (uint32_t)lower_holds((const uint8_t *)raw->strs[sid], raw->slens[sid], p,
					   n->patlen);
	}
	*nout = j;
	return 0;
}

/* A term over the rows of in: rows rendered from a template field by
 * field, a column at a time; rows whose raw text is stored row by row. */
static int sel_term_rows(vblk *vb, xnode *n, const uint32_t *in, uint32_t nin, uint32_t *out,
			 uint32_t *nout)
{
	vg_blk *bk = vb->bk;
	int rc = 0;
	if (!ex_term_simple(n) || !bk->loaded[2] || bk->tmpl_cols == NULL || bk->cols[2].nstrs > 16)
		return sel_rows(vb, &n, 1, in, nin, out, nout);
	exec *x = vb->x;
	ex_term_block(x, n, bk);
	const vg_col *tc = &bk->cols[2];
	uint8_t *hit = (uint8_t *)buf_get(vb->v);
	uint32_t *todo = buf_get(vb->v);
	unsigned can = ex_term_types(n);
	for (uint32_t k = 0; k < nin; k++)
		hit[in[k]] = 0;
	for (uint32_t t = 0; t < tc->nstrs; t++) {
		uint32_t nt = 0;
		for (uint32_t k = 0; k < nin; k++) {
			todo[nt] = in[k];
			nt += tc->types[in[k]] == VG_T_STR && tc->sid[in[k]] == t;
		}
		for (uint32_t j = 0; j < bk->tmpl_n[t] && nt && rc == 0; j++) {
			int32_t c = bk->tmpl_cols[t][j];
			/* Only the columns whose values could hold the term are
			 * decoded for it. */
			if (c < 0 || !(bk->seg->coltypes[c] & can))
				continue;
			if ((rc = vg_blk_load_col(bk, (uint32_t)c, x->err)) == 0)
				nt = term_column(vb, n, (uint32_t)c, todo, nt, hit);
		}
	}
	for (uint32_t k = 0; k < nin && rc == 0; k++) {
		if (tc->types[in[k]] == VG_T_STR)
			continue;
		if ((rc = load_all(vb)) != 0)
			break;
		row_at(vb, in[k]);
		int m = ex_node_match(x, n, vb->rw);
		if (m < 0)
			rc = -1;
		hit[in[k]] = m > 0;
	}
	uint32_t j = 0;
	for (uint32_t k = 0; k < nin && rc == 0; k++) {
		out[j] = in[k];
		j += hit[in[k]];
	}
	*nout = rc ? 0 : j;
	buf_put(vb->v);
	buf_put(vb->v);
	return rc;
}

/* A term over the rows of in: a row whose raw text is stored and does not
 * hold the term's bytes is turned away at once (most rows, for a rare
 * term in a block its filter let through); the others go on. */
static int sel_term(vblk *vb, xnode *n, const uint32_t *in, uint32_t nin, uint32_t *out,
		    uint32_t *nout)
{
	vg_blk *bk = vb->bk;
	if (n->wild || n->patlen == 0 || bk->seg->blocks[bk->block].ntmpl == bk->n)
		return sel_term_rows(vb, n, in, nin, out, nout);
	uint32_t *cand = buf_get(vb->v), ncand = 0;
	int rc = sel_raw_may_hold(vb, n, in, nin, cand, &ncand);
	*nout = 0;
	if (rc == 0 && ncand)
		rc = sel_term_rows(vb, n, cand, ncand, out, nout);
	buf_put(vb->v);
	return rc;
}

/* a minus b, both ascending, b a subset of a; out may be a. */
static uint32_t sel_minus(const uint32_t *a, uint32_t na, const uint32_t *b, uint32_t nb,
			  uint32_t *out)
{
	uint32_t j = 0, i = 0;
	for (uint32_t k = 0; k < na; k++) {
		if (i < nb && b[i] == a[k]) {
			i++;
			continue;
		}
		out[j++] = a[k];
	}
	return j;
}

/* a union b, both ascending and disjoint, into out (neither). */
static uint32_t sel_union(const uint32_t *a, uint32_t na, const uint32_t *b, uint32_t nb,
			  uint32_t *out)
{
	uint32_t i = 0, k = 0, j = 0;
	while (i < na && k < nb)
		out[j++] = a[i] < b[k] ? a[i++] : b[k++];
	while (i < na)
		out[j++] = a[i++];
	while (k < nb)
		out[j++] = b[k++];
	return j;
}

/* Compressed bytes column c still costs to read in this block (with a
 * mirror pair column, those of its partner and of `_mirror` too). */
static uint64_t col_cost(const vblk *vb, int c)
{
	const vg_blk *bk = vb->bk;
	if (c < 0 || (bk->loaded[c] && !bk->partial[c]))
		return 0;
	const vg_seg *s = vb->s;
	const vg_chunk *ch = s->blocks[vb->b].chunks;
	uint64_t cost = ch[c].len;
	if (s->partner && s->partner[c] >= 0 && ch[s->mirror_col].len) {
		int p = s->partner[c];
		cost += ch[s->mirror_col].len;
		cost += bk->loaded[p] || bk->partial[p] ? 0 : ch[p].len;
	}
	return cost;
}

/* What a column-by-column node costs to run on the block: the columns it
 * has yet to decode. */
static uint64_t node_cost(const vblk *vb, const xnode *n)
{
	switch (n->kind) {
	case VG_SN_AND:
	case VG_SN_OR: {
		uint64_t sum = 0;
		for (uint32_t k = 0; k < n->n; k++)
			sum += node_cost(vb, n->kids[k]);
		return sum;
	}
	case VG_SN_NOT: return node_cost(vb, n->kids[0]);
	default: break;
	}
	if (n->fkind == VG_QF_PLAIN)
		return col_cost(vb, vb->rw->colof[n->slot]);
	return n->fkind == VG_QF_TIME ? col_cost(vb, 0) : 0;
}

/* Is n a comparison on _group? Then it holds or not for the whole
 * segment (exec.c caches it): 1, with *nsel 0 when it does not hold, so
 * that a selection it keeps is not copied; 0 for any other node. */
static int group_holds(vblk *vb, xnode *n, uint32_t *nsel)
{
	if (n->kind != VG_SN_CMP || n->fkind != VG_QF_GROUP || !n->vec)
		return 0;
	if (ex_node_match(vb->x, n, vb->rw) <= 0)
		*nsel = 0;
	return 1;
}

static int sel_and(vblk *vb, xnode *n, const uint32_t *in, uint32_t nin, uint32_t *out,
		   uint32_t *nout)
{
	const uint32_t *cur = in;
	uint32_t ncur = nin, nrow = 0, nfirst = 0;
	xnode *rowkids[16], *firstkids[16];
	uint64_t costs[16];
	xnode **rk = n->n <= 16 ? rowkids : vg_xmalloc(n->n * sizeof *rk);
	xnode **fk = n->n <= 16 ? firstkids : vg_xmalloc(n->n * sizeof *fk);
	uint64_t *fc = n->n <= 16 ? costs : vg_xmalloc(n->n * sizeof *fc);
	/* The kids of the first pass, the cheapest first (their order cannot
	 * change the answer): a column that rules most rows out before a
	 * dearer one is read saves decoding the dearer one's mirror rows
	 * (`dstport=22 action=REJECT` reads dstport of rejected flows only). */
	for (uint32_t k = 0; k < n->n; k++) {
		xnode *kid = n->kids[k];
		if (!kid->vec) {
			rk[nrow++] = kid;
		} else if (kid->vec == 1) {
			uint64_t c = node_cost(vb, kid);
			uint32_t j = nfirst++;
			for (; j > 0 && fc[j - 1] > c; j--) {
				fk[j] = fk[j - 1];
				fc[j] = fc[j - 1];
			}
			fk[j] = kid;
			fc[j] = c;
		}
	}
	int rc = 0;
	for (uint32_t k = 0; k < nfirst && rc == 0 && ncur; k++) {
		if (group_holds(vb, fk[k], &ncur))
			continue;
		rc = sel_node(vb, fk[k], cur, ncur, out, &ncur);
		cur = out;
	}
	for (uint32_t k = 0; k < n->n && rc == 0 && ncur; k++) {
		if (n->kids[k]->vec != 2)
			continue;
		rc = sel_node(vb, n->kids[k], cur, ncur, out, &ncur);
		cur = out;
	}
	if (fk != firstkids) {
		free(fk);
		free(fc);
	}
	if (rc == 0 && nrow && ncur)
		rc = sel_rows(vb, rk, nrow, cur, ncur, out, &ncur);
	else if (rc == 0 && cur != out)
		memmove(out, cur, ncur * sizeof *out);
	if (rk != rowkids)
		free(rk);
	*nout = ncur;
	return rc;
}

static int sel_or(vblk *vb, xnode *n, const uint32_t *in, uint32_t nin, uint32_t *out,
		  uint32_t *nout)
{
	vscan *v = vb->v;
	uint32_t *acc = buf_get(v), *rem = buf_get(v), *mrg = buf_get(v);
	uint32_t nacc = 0;
	int rc = sel_node(vb, n->kids[0], in, nin, acc, &nacc);
	for (uint32_t k = 1; k < n->n && rc == 0 && nacc < nin; k++) {
		uint32_t nrem = sel_minus(in, nin, acc, nacc, rem);
		rc = sel_node(vb, n->kids[k], rem, nrem, rem, &nrem);
		if (rc == 0 && nrem) {
			nacc = sel_union(acc, nacc, rem, nrem, mrg);
			uint32_t *t = acc;
			acc = mrg;
			mrg = t;
		}
	}
	if (rc == 0)
		memcpy(out, acc, nacc * sizeof *out);
	*nout = rc ? 0 : nacc;
	/* The buffers go back in stack order, whichever acc became. */
	buf_put(v);
	buf_put(v);
	buf_put(v);
	return rc;
}

static int sel_not(vblk *vb, xnode *n, const uint32_t *in, uint32_t nin, uint32_t *out,
		   uint32_t *nout)
{
	uint32_t *yes = buf_get(vb->v), ny = 0;
	int rc = sel_node(vb, n->kids[0], in, nin, yes, &ny);
	if (rc == 0)
		*nout = sel_minus(in, nin, yes, ny, out);
	buf_put(vb->v);
	return rc;
}

/* The rows of in (ascending) that match n, into out (ascending; out may
 * be in). 0, or an error code / -1 with x->err set. */
static int sel_node(vblk *vb, xnode *n, const uint32_t *in, uint32_t nin, uint32_t *out,
		    uint32_t *nout)
{
	if (n->kind == VG_SN_AND)
		return sel_and(vb, n, in, nin, out, nout); /* takes mixed kids */
	if (!n->vec)
		return sel_rows(vb, &n, 1, in, nin, out, nout);
	switch (n->kind) {
	case VG_SN_OR: return sel_or(vb, n, in, nin, out, nout);
	case VG_SN_NOT: return sel_not(vb, n, in, nin, out, nout);
	default: break;
	}
	if (n->kind == VG_SN_TERM)
		return sel_term(vb, n, in, nin, out, nout);
	if (n->fkind == VG_QF_TIME)
		return sel_time(vb, n, in, nin, out, nout);
	if (n->fkind == VG_QF_GROUP) {
		/* The same for the whole segment (exec.c caches it). */
		if (ex_node_match(vb->x, n, vb->rw) > 0) {
			if (out != in)
				memmove(out, in, nin * sizeof *out);
			*nout = nin;
		} else {
			*nout = 0;
		}
		return 0;
	}
	/* A node that holds a field the executor has no slot for cannot
	 * happen (compile gives every plain comparison one). */
	return sel_field(vb, n, in, nin, out, nout);
}

/* ---------------------------------------------------------- aggregation */

/* The group of address id of col (held as ids, column c), by field of
 * the aggregation, + 1 (0 when none: rc may be set). IPv4 addresses are
 * cached across blocks; any address seen for the first time goes to
 * exec.c, read from a one-row view. */
static uint64_t ipid_group(vblk *vb, const vg_col *col, uint32_t c, uint32_t id, uint32_t r,
			   int *rc)
{
	exec *x = vb->x;
	ex_vmap *map = &vb->v->by.ip4s;
	int64_t v4 = ex_ip4_of(col->ipdict[id]);
	uint64_t have = v4 >= 0 ? ex_vmap_get(map, (uint64_t)v4) : 0;
	if (have)
		return have;
	one_row(vb, c, col->ipdict[id]);
	uint32_t gr = ex_group_x(x, x->agg, vb->rw, 0, rc);
	one_row_done(vb, r);
	if (gr == UINT32_MAX)
		return 0;
	if (v4 >= 0)
		ex_vmap_put(map, (uint64_t)v4, (uint64_t)gr + 1);
	return (uint64_t)gr + 1;
}

/* groups_one on a by column held as address ids: the group of each id of
 * the block is looked up once. */
static int groups_ipids(vblk *vb, const vg_col *col, uint32_t c, const uint32_t *sel,
			uint32_t nsel, uint32_t *gi)
{
	uint64_t *ids = vcache_sids(&vb->v->by, vb->x, col->nipdict);
	const uint8_t *types = col->types;
	const uint32_t *ipid = col->ipid;
	int rc = 0;
	for (uint32_t k = 0; k < nsel && rc == 0; k++) {
		uint32_t r = sel[k], id = ipid[r];
		if (types[r] == 0) {
			gi[k] = UINT32_MAX;
			continue;
		}
		if (ids[id] == 0)
			ids[id] = ipid_group(vb, col, c, id, r, &rc);
		gi[k] = (uint32_t)ids[id] - 1; /* 0 - 1: left out */
	}
	return rc;
}

/* The group of each selected row, when there is one by field: from the
 * cached group of its stored value, else (first sight, or a value type
 * without a cache) from exec.c. 0 or an error code. */
static int groups_one(vblk *vb, const uint32_t *sel, uint32_t nsel, uint32_t *gi)
{
	exec *x = vb->x;
	xagg *g = x->agg;
	vcache *cache = &vb->v->by;
	int rc = 0;
	int c = vb->rw->colof[g->byslot[0]];
	const vg_col *col = col_get_ids(vb, c, sel, nsel, &rc);
	if (col == NULL) {
		for (uint32_t k = 0; k < nsel; k++)
			gi[k] = UINT32_MAX;
		return rc;
	}
	if (col->ipid)
		return groups_ipids(vb, col, (uint32_t)c, sel, nsel, gi);
	uint64_t *sids = col->str_dict && col->nstrs ? vcache_sids(cache, x, col->nstrs) : NULL;
	for (uint32_t k = 0; k < nsel && rc == 0; k++) {
		uint32_t r = sel[k];
		uint64_t have = 0, key = 0;
		if (k + PREFETCH < nsel && vb->v->small) {
			uint32_t ahead = sel[k + PREFETCH];
			if (col->types[ahead] == VG_T_INT && (uint64_t)col->i[ahead] < SMALL_INTS)
				__builtin_prefetch(&vb->v->small[col->i[ahead]]);
		}
		ex_vmap *map = NULL;
		switch (col->types[r]) {
		case 0:
			gi[k] = UINT32_MAX;
			continue;
		case VG_T_STR:
			if (sids && (have = sids[col->sid[r]]) != 0) {
				gi[k] = (uint32_t)have - 1;
				continue;
			}
			break;
		case VG_T_INT:
			key = (uint64_t)col->i[r];
			if (key < SMALL_INTS) {
				if (vb->v->small == NULL)
					vb->v->small = vg_xcalloc(SMALL_INTS, sizeof *vb->v->small);
				if ((have = vb->v->small[key]) != 0) {
					gi[k] = (uint32_t)have - 1;
					continue;
				}
			} else {
				map = &cache->ints;
			}
			break;
		case VG_T_IP: {
			int64_t v4 = ex_ip4_of(col->ip[r]);
			if (v4 >= 0) {
				map = &cache->ip4s;
				key = (uint64_t)v4;
			}
			break;
		}
		default: break;
		}
		if (map && (have = ex_vmap_get(map, key)) != 0) {
			gi[k] = (uint32_t)have - 1;
			continue;
		}
		vb->rw->r = r;
		vb->rw->nov = 0;
		uint32_t gr = ex_group_x(x, g, vb->rw, 0, &rc);
		gi[k] = gr;
		if (gr == UINT32_MAX)
			continue;
		if (map)
			ex_vmap_put(map, key, (uint64_t)gr + 1);
		else if (col->types[r] == VG_T_INT)
			vb->v->small[key] = gr + 1;
		else if (sids && col->types[r] == VG_T_STR)
			sids[col->sid[r]] = (uint64_t)gr + 1;
	}
	return rc;
}

/* Empty a map kept for one block only. */
static void vmap_clear(ex_vmap *m)
{
	if (m->n) {
		memset(m->vals, 0, m->cap * sizeof *m->vals);
		m->n = 0;
	}
}

/* Each selected row's bucket within the block (0..nb-1, buckets of span
 * from b0), into v->tcb. */
static int tc_buckets(vblk *vb, const uint32_t *sel, uint32_t nsel, int64_t b0, int64_t span,
		      uint64_t nb)
{
	uint8_t *jb = vb->v->tcb;
	if (nb == 1) {
		memset(jb, 0, nsel);
		return 0;
	}
	int rc = load_time(vb);
	if (rc)
		return rc;
	const int64_t *t = vb->bk->cols[0].i;
	for (uint32_t k = 0; k < nsel; k++) {
		int64_t tk = t[sel[k]];
		unsigned j = 0;
		for (uint64_t q = 1; q < nb; q++)
			j += tk >= b0 + (int64_t)q * span;
		jb[k] = (uint8_t)j;
	}
	return 0;
}

/* Timechart: a row's group is its by value's (none without by, or when it
 * lacks the field) in its time bucket. A block spans a few buckets at
 * most; for each, the groups of the distinct values are cached for the
 * block, and a value met for the first time goes to exec.c. */
static int groups_tc(vblk *vb, const uint32_t *sel, uint32_t nsel, uint32_t *gi)
{
	exec *x = vb->x;
	xagg *g = x->agg;
	vscan *v = vb->v;
	const vg_block *bl = &vb->s->blocks[vb->b];
	int64_t span = g->span;
	int64_t b0 = bl->tmin - ((bl->tmin % span) + span) % span;
	int64_t b1 = bl->tmax - ((bl->tmax % span) + span) % span;
	uint64_t nb = (uint64_t)(b1 - b0) / (uint64_t)span + 1;
	int rc = 0;
	if (nb > 8 || (g->nby && g->byslot[0] < 0)) {
		if ((rc = load_all(vb)) != 0)
			return rc;
		for (uint32_t k = 0; k < nsel && rc == 0; k++) {
			row_at(vb, sel[k]);
			gi[k] = ex_group_x(x, g, vb->rw, vb->rw->t, &rc);
		}
		return rc;
	}
	const vg_col *col = g->nby ? col_get(vb, vb->rw->colof[g->byslot[0]], sel, nsel, &rc) : NULL;
	if (rc || (rc = tc_buckets(vb, sel, nsel, b0, span, nb)) != 0)
		return rc;
	memset(v->tcnone, 0, sizeof v->tcnone);
	vmap_clear(&v->tcints);
	vmap_clear(&v->tcips);
	uint64_t *sids = NULL;
	if (col && col->str_dict && col->nstrs && (uint64_t)col->nstrs * nb <= VG_BLOCK_ROWS) {
		if (v->ntcsids < col->nstrs * nb) {
			free(v->tcsids);
			v->ntcsids = (uint32_t)(col->nstrs * nb);
			v->tcsids = vg_xmalloc(v->ntcsids * sizeof *v->tcsids);
		}
		sids = v->tcsids;
		memset(sids, 0, col->nstrs * nb * sizeof *sids);
	}
	for (uint32_t k = 0; k < nsel && rc == 0; k++) {
		uint32_t r = sel[k], j = v->tcb[k];
		uint8_t type = col ? col->types[r] : 0;
		uint64_t *slot = NULL, key = 0, have = 0;
		ex_vmap *map = NULL;
		if (type == 0) {
			slot = &v->tcnone[j];
		} else if (type == VG_T_STR && sids) {
			slot = &sids[(size_t)j * col->nstrs + col->sid[r]];
		} else if (type == VG_T_INT && col->i[r] >= 0 && col->i[r] < (1ll << 60)) {
			map = &v->tcints;
			key = (uint64_t)col->i[r] << 3 | j;
		} else if (type == VG_T_IP && ex_ip4_of(col->ip[r]) >= 0) {
			map = &v->tcips;
			key = (uint64_t)ex_ip4_of(col->ip[r]) << 3 | j;
		}
		if (slot && *slot) {
			gi[k] = (uint32_t)*slot - 1;
			continue;
		}
		if (map && (have = ex_vmap_get(map, key)) != 0) {
			gi[k] = (uint32_t)have - 1;
			continue;
		}
		vb->rw->r = r;
		vb->rw->nov = 0;
		uint32_t gr = ex_group_x(x, g, vb->rw, b0 + (int64_t)j * span, &rc);
		gi[k] = gr;
		if (gr == UINT32_MAX)
			continue;
		if (slot)
			*slot = (uint64_t)gr + 1;
		else if (map)
			ex_vmap_put(map, key, (uint64_t)gr + 1);
	}
	return rc;
}

/* The group of each selected row (UINT32_MAX: left out). */
static int groups_of(vblk *vb, const uint32_t *sel, uint32_t nsel, uint32_t *gi)
{
	exec *x = vb->x;
	xagg *g = x->agg;
	int rc = 0;
	if (g->timechart)
		return groups_tc(vb, sel, nsel, gi);
	if (g->nby == 0) {
		if (vb->v->g0 == 0) {
			uint32_t gr = ex_group_x(x, g, vb->rw, 0, &rc);
			if (gr == UINT32_MAX)
				return rc;
			vb->v->g0 = gr + 1;
		}
		for (uint32_t k = 0; k < nsel; k++)
			gi[k] = vb->v->g0 - 1;
		return 0;
	}
	if (g->nby == 1 && g->byslot[0] >= 0)
		return groups_one(vb, sel, nsel, gi);
	if (g->nby == 1 && g->by[0].kind == VG_QF_GROUP) {
		/* One group for the whole segment. */
		vb->rw->r = sel[0];
		vb->rw->nov = 0;
		uint32_t gr = ex_group_x(x, g, vb->rw, 0, &rc);
		for (uint32_t k = 0; k < nsel; k++)
			gi[k] = gr;
		return rc;
	}
	if ((rc = load_all(vb)) != 0)
		return rc;
	for (uint32_t k = 0; k < nsel && rc == 0; k++) {
		row_at(vb, sel[k]);
		gi[k] = ex_group_x(x, g, vb->rw, 0, &rc);
	}
	return rc;
}

/* Aggregation a of the selected rows, the row path's way. */
static int agg_rows(vblk *vb, uint32_t a, const uint32_t *sel, uint32_t nsel, const uint32_t *gi)
{
	exec *x = vb->x;
	xagg *g = x->agg;
	int rc = load_all(vb);
	for (uint32_t k = 0; k < nsel && rc == 0; k++) {
		if (gi[k] == UINT32_MAX)
			continue;
		row_at(vb, sel[k]);
		vg_val v;
		ex_agg_get(vb->rw, &g->aggs[a].field, g->aggslot[a], &v, &x->scratch);
		ex_agg_update(g, &g->st[(size_t)gi[k] * g->naggs + a], &g->aggs[a], &v, vb->rw->t);
	}
	return rc;
}

/* The hash dc keeps for row r's value of aggregation a: that of its text,
 * as ex_agg_update computes it. */
static uint64_t text_hash(vblk *vb, uint32_t a, uint32_t r)
{
	exec *x = vb->x;
	xagg *g = x->agg;
	vb->rw->r = r;
	vb->rw->nov = 0;
	vg_val v;
	ex_agg_get(vb->rw, &g->aggs[a].field, g->aggslot[a], &v, &x->scratch);
	vg_buf_clear(&g->key);
	vg_val_text(&v, &g->key);
	uint64_t h = ex_hash(g->key.p, g->key.len);
	return h ? h : 1; /* as ex_set_add takes it: 0 is stored as 1 */
}

static int agg_dc(vblk *vb, uint32_t a, const vg_col *col, const uint32_t *sel, uint32_t nsel,
		  const uint32_t *gi)
{
	exec *x = vb->x;
	xagg *g = x->agg;
	vcache *cache = &vb->v->aggs[a];
	uint64_t *sids = col->str_dict && col->nstrs ? vcache_sids(cache, x, col->nstrs) : NULL;
	int added;
	for (uint32_t k = 0; k < nsel; k++) {
		uint32_t r = sel[k];
		if (gi[k] == UINT32_MAX || col->types[r] == 0)
			continue;
		uint64_t h = 0, key = 0;
		ex_vmap *map = NULL;
		if (col->types[r] == VG_T_STR && sids) {
			if ((h = sids[col->sid[r]]) == 0)
				h = sids[col->sid[r]] = text_hash(vb, a, r);
		} else if (col->types[r] == VG_T_INT) {
			map = &cache->ints;
			key = (uint64_t)col->i[r];
		} else if (col->types[r] == VG_T_IP && ex_ip4_of(col->ip[r]) >= 0) {
			map = &cache->ip4s;
			key = (uint64_t)ex_ip4_of(col->ip[r]);
		}
		if (map && (h = ex_vmap_get(map, key)) == 0) {
			h = text_hash(vb, a, r);
			ex_vmap_put(map, key, h);
		}
		if (h == 0)
			h = text_hash(vb, a, r);
		ex_set_add(&g->st[(size_t)gi[k] * g->naggs + a], h, &added);
	}
	return 0;
}

/* The hash dc keeps for address id of col (held as ids, column c) in
 * aggregation a: IPv4 addresses cached across blocks, others worked out
 * from a one-row view; r is the row to go back to. */
static uint64_t ipid_hash(vblk *vb, uint32_t a, const vg_col *col, uint32_t c, uint32_t id,
			  uint32_t r)
{
	ex_vmap *map = &vb->v->aggs[a].ip4s;
	int64_t v4 = ex_ip4_of(col->ipdict[id]);
	uint64_t h = v4 >= 0 ? ex_vmap_get(map, (uint64_t)v4) : 0;
	if (h)
		return h;
	one_row(vb, c, col->ipdict[id]);
	h = text_hash(vb, a, 0);
	one_row_done(vb, r);
	if (v4 >= 0)
		ex_vmap_put(map, (uint64_t)v4, h);
	return h;
}

/* dc of a column held as address ids: each id's hash is worked out once
 * a block; with one group for every row (no by field), each distinct id
 * of the selected rows is added to the set once, not once a row. */
static int dc_ipids(vblk *vb, uint32_t a, const vg_col *col, uint32_t c, const uint32_t *sel,
		    uint32_t nsel, const uint32_t *gi)
{
	exec *x = vb->x;
	xagg *g = x->agg;
	uint64_t *hs = vcache_sids(&vb->v->aggs[a], x, col->nipdict);
	const uint8_t *types = col->types;
	const uint32_t *ipid = col->ipid;
	int added;
	if (g->nby == 0 && !g->timechart) {
		if (gi[0] == UINT32_MAX)
			return 0;
		uint32_t *rep = buf_get(vb->v); /* per id: a row that has it, + 1 */
		memset(rep, 0, col->nipdict * sizeof *rep);
		for (uint32_t k = 0; k < nsel; k++)
			if (types[sel[k]])
				rep[ipid[sel[k]]] = sel[k] + 1;
		aggst *st = &g->st[(size_t)gi[0] * g->naggs + a];
		for (uint32_t id = 0; id < col->nipdict; id++) {
			if (rep[id] == 0)
				continue;
			if (hs[id] == 0)
				hs[id] = ipid_hash(vb, a, col, c, id, rep[id] - 1);
			ex_set_add(st, hs[id], &added);
		}
		buf_put(vb->v);
		return 0;
	}
	for (uint32_t k = 0; k < nsel; k++) {
		uint32_t r = sel[k], id = ipid[r];
		if (gi[k] == UINT32_MAX || types[r] == 0)
			continue;
		if (hs[id] == 0)
			hs[id] = ipid_hash(vb, a, col, c, id, r);
		ex_set_add(&g->st[(size_t)gi[k] * g->naggs + a], hs[id], &added);
	}
	return 0;
}

static int agg_sum(vblk *vb, uint32_t a, const vg_col *col, const uint32_t *sel, uint32_t nsel,
		   const uint32_t *gi)
{
	fstate *fs = vb->v->fst[a];
	int rc = 0;
	for (uint32_t k = 0; k < nsel && rc == 0; k++) {
		uint32_t r = sel[k];
		/* Groups are many and states scattered: ask for one ahead. */
		if (k + PREFETCH < nsel && gi[k + PREFETCH] != UINT32_MAX)
			__builtin_prefetch(&fs[gi[k + PREFETCH]], 1);
		if (gi[k] == UINT32_MAX)
			continue;
		fstate *s = &fs[gi[k]];
		switch (col->types[r]) {
		case 0: break;
		case VG_T_INT: fsum_add(s, (double)col->i[r], 1, col->i[r]); break;
		case VG_T_DBL: fsum_add(s, col->d[r], 0, 0); break;
		default: {
			/* A string may hold a number: read it as the row path does. */
			vg_val v;
			double d;
			int isint;
			int64_t i;
			vb->rw->r = r;
			vb->rw->nov = 0;
			ex_agg_get(vb->rw, &vb->x->agg->aggs[a].field, vb->x->agg->aggslot[a], &v,
				   &vb->x->scratch);
			if (ex_agg_numeric(&v, &d, &isint, &i))
				fsum_add(s, d, isint, i);
			break;
		}
		}
	}
	return rc;
}

/* Aggregation a over the selected rows of their groups gi. */
static int agg_col(vblk *vb, uint32_t a, const uint32_t *sel, uint32_t nsel, const uint32_t *gi)
{
	xagg *g = vb->x->agg;
	const vg_qagg *ag = &g->aggs[a];
	fstate *fs = vb->v->fst[a];
	if (!ag->has_field && g->nby == 0 && !g->timechart) {
		fs[gi[0]].n += nsel; /* one group */
		return 0;
	}
	if (!ag->has_field) {
		for (uint32_t k = 0; k < nsel; k++)
			if (gi[k] != UINT32_MAX)
				fs[gi[k]].n++;
		return 0;
	}
	if (g->aggslot[a] < 0 || (fs == NULL && ag->fn != VG_AGG_DC))
		return agg_rows(vb, a, sel, nsel, gi); /* computed, or not kept here */
	int rc = 0, c = vb->rw->colof[g->aggslot[a]];
	const vg_col *col = ag->fn == VG_AGG_DC ? col_get_ids(vb, c, sel, nsel, &rc)
					       : col_get(vb, c, sel, nsel, &rc);
	if (col == NULL)
		return rc; /* the field is in no row: nothing to add */
	if (col->ipid)
		return dc_ipids(vb, a, col, (uint32_t)c, sel, nsel, gi);
	switch (ag->fn) {
	case VG_AGG_COUNT:
		for (uint32_t k = 0; k < nsel; k++)
			if (gi[k] != UINT32_MAX && col->types[sel[k]])
				fs[gi[k]].n++;
		return 0;
	case VG_AGG_DC: return agg_dc(vb, a, col, sel, nsel, gi);
	default: return agg_sum(vb, a, col, sel, nsel, gi);
	}
}

#define HIST_NEAR 64    /* buckets a block may span for hist_block's counters */

/* Count the selected rows in the histogram: at once when the whole block
 * falls in one bucket, else by their times. */
static int hist_block(vblk *vb, const uint32_t *sel, uint32_t nsel)
{
	exec *x = vb->x;
	if (x->nhist == 0 || nsel == 0 || x->o->no_hist)
		return 0;
	const vg_block *bl = &vb->s->blocks[vb->b];
	uint64_t lo = 0, hi = UINT64_MAX;
	if (bl->tmin >= x->hstart) {
		lo = (uint64_t)(bl->tmin - x->hstart) / (uint64_t)x->hspan;
		hi = (uint64_t)(bl->tmax - x->hstart) / (uint64_t)x->hspan;
		if (lo == hi) {
			if (lo < x->nhist)
				x->hist[lo] += nsel;
			return 0;
		}
	}
	int rc = load_time(vb);
	if (rc)
		return rc;
	const int64_t *t = vb->bk->cols[0].i;
	if (hi - lo >= HIST_NEAR || x->hspan > INT64_MAX / (HIST_NEAR + 1)) {
		for (uint32_t k = 0; k < nsel; k++)
			ex_hist_add(x, t[sel[k]]);
		return 0;
	}
	/* A few buckets (a block holds a day at most): a row's is its time
	 * from the first bucket's start times the span's inverse, put right
	 * where rounding missed by one, without a division. Rows count into
	 * four sets of counters in turn, since rows in time order mostly
	 * fall in the bucket of the row before. */
	uint32_t cnt[4][HIST_NEAR];
	uint64_t span = (uint64_t)x->hspan, nb = hi - lo + 1;
	int64_t b0 = x->hstart + (int64_t)lo * x->hspan;
	double inv = 1.0 / (double)span;
	memset(cnt, 0, sizeof cnt);
	for (uint32_t k = 0; k < nsel; k++) {
		uint64_t d = (uint64_t)(t[sel[k]] - b0);
		uint64_t j = (uint64_t)((double)d * inv);
		j -= j * span > d;
		j += (j + 1) * span <= d;
		cnt[k & 3][j]++;
	}
	for (uint64_t j = 0; j < nb && lo + j < x->nhist; j++)
		x->hist[lo + j] += (uint64_t)cnt[0][j] + cnt[1][j] + cnt[2][j] + cnt[3][j];
	return 0;
}

/* cnt[id]: how many selected rows have a value whose id (ids[r], below
 * nid) is id; cnt has room for VG_BLOCK_ROWS counts. With few ids, rows
 * count into four sets of counters in turn, added up at the end: the rows
 * of a run of one value (blocks are sorted) then do not each wait for the
 * increment before. */
static void count_ids(const uint32_t *sel, uint32_t nsel, const uint8_t *types,
		      const uint32_t *ids, uint32_t nid, uint32_t *cnt)
{
	/* An absent row counts 0 at id 0, whatever its ids[r]. */
#define ID_OF(r) (types[r] ? ids[r] : 0)
	if (nid == 0)
		return;
	if (nid > VG_BLOCK_ROWS / 4) {
		memset(cnt, 0, nid * sizeof *cnt);
		for (uint32_t k = 0; k < nsel; k++)
			cnt[ID_OF(sel[k])] += types[sel[k]] != 0;
		return;
	}
	uint32_t *c1 = cnt + nid, *c2 = c1 + nid, *c3 = c2 + nid, k = 0;
	memset(cnt, 0, 4 * (size_t)nid * sizeof *cnt);
	for (; k + 4 <= nsel; k += 4) {
		uint32_t r0 = sel[k], r1 = sel[k + 1], r2 = sel[k + 2], r3 = sel[k + 3];
		cnt[ID_OF(r0)] += types[r0] != 0;
		c1[ID_OF(r1)] += types[r1] != 0;
		c2[ID_OF(r2)] += types[r2] != 0;
		c3[ID_OF(r3)] += types[r3] != 0;
	}
	for (; k < nsel; k++)
		cnt[ID_OF(sel[k])] += types[sel[k]] != 0;
	for (uint32_t id = 0; id < nid; id++)
		cnt[id] += c1[id] + c2[id] + c3[id];
#undef ID_OF
}

/* agg_count_dict on a by column held as address ids (`top srcaddr`):
 * the selected rows are counted per id, then each id's count goes to its
 * group. Returns 1 (rc set on error). */
static int count_ipids(vblk *vb, const vg_col *col, uint32_t c, const uint32_t *sel,
		       uint32_t nsel, int *rc)
{
	exec *x = vb->x;
	xagg *g = x->agg;
	vscan *v = vb->v;
	uint32_t *cnt = buf_get(v); /* per id: its rows */
	count_ids(sel, nsel, col->types, col->ipid, col->nipdict, cnt);
	uint64_t *ids = vcache_sids(&v->by, x, col->nipdict);
	for (uint32_t id = 0; id < col->nipdict && *rc == 0; id++)
		if (cnt[id] && ids[id] == 0)
			ids[id] = ipid_group(vb, col, c, id, sel[0], rc);
	fst_reserve(v, g);
	for (uint32_t id = 0; id < col->nipdict && *rc == 0; id++)
		if (cnt[id] && ids[id])
			for (uint32_t a = 0; a < g->naggs; a++)
				v->fst[a][ids[id] - 1].n += cnt[id];
	buf_put(v);
	return 1;
}

/* Counts only, by one field stored as dictionary strings (`stats count by
 * action`, `top user`): the selected rows are counted per dictionary id,
 * then each id's count goes to its group at once, instead of finding and
 * bumping a group row by row. 1 when done so (rc set), 0 when the
 * aggregation or the column is of another kind. */
static int agg_count_dict(vblk *vb, const uint32_t *sel, uint32_t nsel, int *rc)
{
	exec *x = vb->x;
	xagg *g = x->agg;
	vscan *v = vb->v;
	if (g->nby != 1 || g->timechart || g->byslot[0] < 0)
		return 0;
	for (uint32_t a = 0; a < g->naggs; a++)
		if (g->aggs[a].has_field || v->fst[a] == NULL)
			return 0;
	int c = vb->rw->colof[g->byslot[0]];
	const vg_col *col = col_get_ids(vb, c, sel, nsel, rc);
	if (*rc == 0 && col && col->ipid)
		return count_ipids(vb, col, (uint32_t)c, sel, nsel, rc);
	if (*rc || col == NULL || !col->str_dict || col->nstrs == 0 || col->i || col->d || col->ip)
		return *rc != 0;
	uint32_t *cnt = buf_get(v), *rep = buf_get(v); /* per id: its rows, one of them */
	const uint8_t *types = col->types;
	const uint32_t *sid = col->sid;
	count_ids(sel, nsel, types, sid, col->nstrs, cnt);
	/* A row of each id whose group the block does not know yet, for
	 * exec.c to read its value: the first rows hold them, mostly. */
	uint64_t *sids = vcache_sids(&v->by, x, col->nstrs);
	uint32_t left = 0;
	for (uint32_t id = 0; id < col->nstrs; id++) {
		rep[id] = cnt[id] && sids[id] == 0 ? UINT32_MAX : 0;
		left += rep[id] != 0;
	}
	for (uint32_t k = 0; k < nsel && left; k++) {
		uint32_t r = sel[k];
		if (types[r] && rep[sid[r]] == UINT32_MAX) {
			rep[sid[r]] = r;
			left--;
		}
	}
	for (uint32_t id = 0; id < col->nstrs && *rc == 0; id++) {
		if (cnt[id] == 0 || sids[id])
			continue;
		vb->rw->r = rep[id];
		vb->rw->nov = 0;
		uint32_t gr = ex_group_x(x, g, vb->rw, 0, rc);
		if (gr != UINT32_MAX)
			sids[id] = (uint64_t)gr + 1;
	}
	fst_reserve(v, g);
	for (uint32_t id = 0; id < col->nstrs && *rc == 0; id++)
		if (cnt[id] && sids[id])
			for (uint32_t a = 0; a < g->naggs; a++)
				v->fst[a][sids[id] - 1].n += cnt[id];
	buf_put(v);
	buf_put(v);
	return 1;
}

/* The groups of the selected rows, then each aggregation of them. */
static int agg_rows_of(vblk *vb, const uint32_t *sel, uint32_t nsel)
{
	exec *x = vb->x;
	int rc = groups_of(vb, sel, nsel, vb->v->gi);
	fst_reserve(vb->v, x->agg);
	for (uint32_t a = 0; a < x->agg->naggs && rc == 0; a++)
		rc = agg_col(vb, a, sel, nsel, vb->v->gi);
	return rc;
}

/* By one field whose values in the block are integers, with count, sum
 * and avg of integer columns only (`stats sum(bytes) by dstport`): a row
 * whose by value is below SMALL_INTS adds to the dstate of that value
 * (v->dst), without finding its group row by row; its group is only made
 * the first time the value is seen, as groups_one does. The other rows go
 * the general way. 1 when done so (rc set), 0 when the block or the
 * aggregation is of another kind. */
static int agg_direct(vblk *vb, const uint32_t *sel, uint32_t nsel, int *rc)
{
	exec *x = vb->x;
	xagg *g = x->agg;
	vscan *v = vb->v;
	if (!v->direct)
		return 0;
	const vg_col *by = col_get(vb, vb->rw->colof[g->byslot[0]], sel, nsel, rc);
	if (*rc || by == NULL || by->i == NULL)
		return *rc != 0;
	const vg_col *cols[8];
	for (uint32_t a = 0; a < g->naggs; a++) {
		cols[a] = NULL;
		if (!g->aggs[a].has_field)
			continue;
		cols[a] = col_get(vb, vb->rw->colof[g->aggslot[a]], sel, nsel, rc);
		if (*rc)
			return 1;
		if (cols[a] && g->aggs[a].fn != VG_AGG_COUNT &&
		    (cols[a]->d || cols[a]->sid || cols[a]->ip))
			return 0; /* a value that is not an integer: row by row */
	}
	if (v->small == NULL)
		v->small = vg_xcalloc(SMALL_INTS, sizeof *v->small);
	/* Per selected row its by value, UINT32_MAX for the rows left to the
	 * general way (into rest). */
	uint32_t *key = v->gi, *rest = buf_get(v), nrest = 0;
	const uint8_t *bt = by->types;
	const int64_t *bi = by->i;
	uint64_t *seen = v->seen; /* small[value] is set: 8 KiB, not 256 */
	for (uint32_t k = 0; k < nsel && *rc == 0; k++) {
		uint32_t r = sel[k];
		if (bt[r] != VG_T_INT || (uint64_t)bi[r] >= SMALL_INTS) {
			key[k] = UINT32_MAX;
			rest[nrest++] = r;
			continue;
		}
		key[k] = (uint32_t)bi[r];
		if (seen[key[k] >> 6] >> (key[k] & 63) & 1)
			continue;
		if (v->small[key[k]] == 0) {
			vb->rw->r = r;
			vb->rw->nov = 0;
			uint32_t gr = ex_group_x(x, g, vb->rw, 0, rc);
			if (gr == UINT32_MAX) {
				key[k] = UINT32_MAX; /* in no group */
				continue;
			}
			v->small[key[k]] = gr + 1;
		}
		seen[key[k] >> 6] |= 1ull << (key[k] & 63);
	}
	fst_reserve(v, g);
	for (uint32_t a = 0; a < g->naggs && *rc == 0; a++) {
		if (v->dst[a] == NULL)
			v->dst[a] = vg_xcalloc(SMALL_INTS, sizeof *v->dst[a]);
		dstate *d = v->dst[a];
		const vg_col *col = cols[a];
		if (col == NULL && g->aggs[a].has_field)
			continue; /* the field is in no row */
		/* The states of many values do not all stay in the cache: each
		 * is asked for DPREFETCH rows ahead. */
		if (col == NULL || g->aggs[a].fn == VG_AGG_COUNT) {
			const uint8_t *t = col ? col->types : NULL;
			for (uint32_t k = 0; k < nsel; k++) {
				if (k + DPREFETCH < nsel && key[k + DPREFETCH] != UINT32_MAX)
					__builtin_prefetch(&d[key[k + DPREFETCH]], 1);
				if (key[k] != UINT32_MAX)
					d[key[k]].n += t == NULL || t[sel[k]] != 0;
			}
			continue;
		}
		const uint8_t *t = col->types;
		const int64_t *iv = col->i;
		for (uint32_t k = 0; k < nsel; k++) {
			uint32_t r = sel[k];
			if (k + DPREFETCH < nsel && key[k + DPREFETCH] != UINT32_MAX)
				__builtin_prefetch(&d[key[k + DPREFETCH]], 1);
			if (key[k] == UINT32_MAX || t[r] != VG_T_INT)
				continue;
			dstate *e = &d[key[k]];
			int64_t sum;
			e->n++;
			if (__builtin_add_overflow(e->sum, iv[r], &sum)) {
				/* The exact total goes on in the group's state. */
				v->fst[a][v->small[key[k]] - 1].isum += e->sum;
				sum = iv[r];
			}
			e->sum = sum;
		}
	}
	if (*rc == 0 && nrest)
		*rc = agg_rows_of(vb, rest, nrest);
	buf_put(v);
	return 1;
}

static int agg_block(vblk *vb, const uint32_t *sel, uint32_t nsel)
{
	exec *x = vb->x;
	int rc = hist_block(vb, sel, nsel);
	x->res->stats.events_matched += nsel;
	if (rc == 0 && agg_count_dict(vb, sel, nsel, &rc))
		return rc;
	if (rc == 0 && agg_direct(vb, sel, nsel, &rc))
		return rc;
	return rc ? rc : agg_rows_of(vb, sel, nsel);
}

/* ----------------------------------------------------------------- scan */

/* The rows of the block in [from, to): *out is v->all when they are
 * all (nothing written), else buf, which holds them. */
static int sel_time_range(vblk *vb, uint32_t *buf, const uint32_t **out, uint32_t *nsel)
{
	exec *x = vb->x;
	const vg_block *bl = &vb->s->blocks[vb->b];
	uint32_t n = vb->bk->n, j = 0;
	uint32_t *sel = buf;
	*out = buf;
	if (bl->tmin >= x->from && bl->tmax < x->to) {
		*out = vb->v->all;
		*nsel = n;
		return 0;
	}
	int rc = load_time(vb);
	if (rc)
		return rc;
	const int64_t *t = vb->bk->cols[0].i;
	for (uint32_t r = 0; r < n; r++) {
		sel[j] = r;
		j += t[r] >= x->from && t[r] < x->to;
	}
	*nsel = j;
	return 0;
}

/* Rows of sel that the CloudWatch pattern matches, into out (may be
 * sel). */
static int sel_cw(vblk *vb, const uint32_t *sel, uint32_t *out, uint32_t *nsel)
{
	int rc = load_all(vb);
	if (rc)
		return rc;
	uint32_t j = 0;
	for (uint32_t k = 0; k < *nsel; k++) {
		row_at(vb, sel[k]);
		vg_buf_clear(&vb->rw->raw);
		vg_blk_raw(vb->bk, sel[k], &vb->rw->raw);
		vb->rw->raw_ready = 1;
		out[j] = sel[k];
		j += vg_cw_match(vb->x->cw, (const char *)vb->rw->raw.p, vb->rw->raw.len) != 0;
	}
	*nsel = j;
	return 0;
}

/* Open the block, decoding nothing yet (columns come when first read), or
 * when the search reads the raw text, only its templates. */
static int open_block(vblk *vb)
{
	exec *x = vb->x;
	const vg_seg *s = vb->s;
	vg_blk_open(vb->bk, s, vb->b, &vb->v->blkmem);
	if (!x->need_raw && !x->cw)
		return 0;
	vscan *v = vb->v;
	if (v->nwant < s->ncols) {
		free(v->want);
		v->nwant = s->ncols;
		v->want = vg_xmalloc(v->nwant);
	}
	memset(v->want, 0, s->ncols);
	for (uint32_t k = 0; k < x->nslots; k++)
		if (vb->rw->colof[k] >= 0)
			v->want[vb->rw->colof[k]] = 1;
	return vg_blk_load_tmpls(vb->bk, x->err);
}

/* Events, when every event kept so far is newer than the whole block:
 * its matching events are counted and turned away without being looked
 * at one by one (keep_event would turn each away). */
static int events_older(vblk *vb, const uint32_t *sel, uint32_t nsel, uint32_t *buf)
{
	exec *x = vb->x;
	int rc = 0;
	for (uint32_t k = 0; k < x->first_cmd && rc == 0 && nsel; k++) {
		rc = sel_node(vb, x->cmdnode[k], sel, nsel, buf, &nsel);
		sel = buf;
	}
	if (rc == 0)
		rc = hist_block(vb, sel, nsel);
	x->res->stats.events_matched += nsel;
	if (nsel)
		x->res->truncated = 1;
	return rc;
}

/* Hand the selected rows to the sink; buf (may be sel) takes the rows
 * of the `| search` commands before an aggregation. */
static int sink(vblk *vb, const uint32_t *sel, uint32_t nsel, uint32_t *buf)
{
	exec *x = vb->x;
	vscan *v = vb->v;
	int rc = 0;
	if (v->fastagg) {
		for (uint32_t k = 0; k < x->first_cmd && rc == 0 && nsel; k++) {
			rc = sel_node(vb, x->cmdnode[k], sel, nsel, buf, &nsel);
			sel = buf;
		}
		return rc ? rc : nsel ? agg_block(vb, sel, nsel) : 0;
	}
	if (!x->agg && !x->rows && v->search_only && x->nheap > 0 && x->nheap == x->limit &&
	    vb->s->blocks[vb->b].tmax < x->heap[0].t)
		return events_older(vb, sel, nsel, buf);
	if ((rc = load_all(vb)) != 0)
		return rc;
	for (uint32_t k = 0; k < nsel && rc == 0; k++) {
		row_at(vb, sel[k]);
		rc = ex_on_match(x, vb->rw) < 0 ? -1 : 0;
	}
	return rc;
}

int ex_scan_block(exec *x, xrow *rw, const vg_seg *s, uint32_t b)
{
	vscan *v = x->vs;
	vg_blk bk, full;
	vblk vb = {x, v, rw, &bk, s, b, 0};
	int rc = open_block(&vb);
	rw->bk = &bk;
	rw->full = &full;
	rw->full_ready = 0;
	x->serial++;
	/* The selection is v->all (every row, read only) until a step
	 * narrows it into buf. */
	uint32_t *buf = buf_get(v), nsel = 0;
	const uint32_t *sel = v->all;
	if (rc == 0)
		rc = sel_time_range(&vb, buf, &sel, &nsel);
	x->res->stats.events_scanned += nsel;
	if (rc == 0 && x->cw && nsel) {
		rc = sel_cw(&vb, sel, buf, &nsel);
		sel = buf;
	}
	if (rc == 0 && x->root && nsel && !group_holds(&vb, x->root, &nsel)) {
		rc = sel_node(&vb, x->root, sel, nsel, buf, &nsel);
		sel = buf;
	}
	if (rc == 0 && nsel)
		rc = sink(&vb, sel, nsel, buf);
	buf_put(v);
	vg_blk_keep(&bk, &v->blkmem);
	if (rw->full_ready)
		vg_blk_release(&full);
	rw->bk = NULL;
	return rc;
}

/* --------------------------------------------------------------- set up */

/* Room for a whole decoded block in the first chunk of the block arena
 * (address space only until used): the arena fills its chunks in order
 * and adds one when an allocation fits in none left, so with small chunks
 * first, a block whose raw text is larger than any before (up to 16 MiB)
 * gets fresh pages, each a page fault to zero; in one chunk, every block
 * reuses the pages of the block before. */
#define BLOCK_ARENA (64u << 20)

void ex_vec_prepare(exec *x)
{
	vscan *v = vg_xcalloc(1, sizeof *v);
	x->vs = v;
	vg_arena_alloc(&v->blkmem, BLOCK_ARENA);
	vg_arena_reset(&v->blkmem);
	v->all = vg_xmalloc(VG_BLOCK_ROWS * sizeof *v->all);
	for (uint32_t r = 0; r < VG_BLOCK_ROWS; r++)
		v->all[r] = r;
	if (x->root)
		classify(x->root);
	int search_only = 1;
	for (uint32_t k = 0; k < x->first_cmd; k++) {
		if (x->q->cmds[k].kind == VG_CMD_SEARCH)
			classify(x->cmdnode[k]);
		else
			search_only = 0;
	}
	xagg *g = x->agg;
	v->search_only = search_only;
	v->fastagg = g && search_only;
	if (!v->fastagg)
		return;
	v->gi = vg_xmalloc(VG_BLOCK_ROWS * sizeof *v->gi);
	if (g->timechart)
		v->tcb = vg_xmalloc(VG_BLOCK_ROWS);
	v->aggs = vg_xcalloc(g->naggs ? g->naggs : 1, sizeof *v->aggs);
	v->fst = vg_xcalloc(g->naggs ? g->naggs : 1, sizeof *v->fst);
	v->direct = g->nby == 1 && !g->timechart && g->byslot[0] >= 0 && g->naggs <= 8;
	for (uint32_t a = 0; a < g->naggs; a++) {
		const vg_qagg *ag = &g->aggs[a];
		if (!ag->has_field || (g->aggslot[a] >= 0 && (ag->fn == VG_AGG_COUNT ||
							    ag->fn == VG_AGG_SUM ||
							    ag->fn == VG_AGG_AVG)))
			v->fst[a] = vg_xmalloc(sizeof *v->fst[a]); /* grown by fst_reserve */
		else
			v->direct = 0;
	}
	if (v->direct)
		v->dst = vg_xcalloc(g->naggs ? g->naggs : 1, sizeof *v->dst);
}

void ex_vec_flush(exec *x)
{
	vscan *v = x->vs;
	xagg *g = x->agg;
	if (v == NULL || v->fst == NULL)
		return;
	for (uint32_t a = 0; v->dst && a < g->naggs; a++) {
		dstate *d = v->dst[a];
		for (uint32_t key = 0; d && key < SMALL_INTS; key++) {
			if (d[key].n == 0)
				continue;
			/* As fsum_add would have left it for these integers. */
			fstate *f = &v->fst[a][v->small[key] - 1];
			if (f->n == 0)
				f->allint = 1;
			f->n += d[key].n;
			f->isum += d[key].sum;
			d[key].n = 0;
			d[key].sum = 0;
		}
	}
	for (uint32_t a = 0; a < g->naggs; a++) {
		fstate *fs = v->fst[a];
		for (uint32_t gi = 0; fs && gi < g->ngroups && gi < v->nfst; gi++) {
			aggst *s = &g->st[(size_t)gi * g->naggs + a];
			fstate *f = &fs[gi];
			if (f->n == 0)
				continue;
			/* The states are untouched while the segments are scanned:
			 * the fast state is the group's whole story so far. */
			s->n += f->n;
			s->isum = f->isum;
			s->sum = f->sum;
			s->allint = f->allint;
			memset(f, 0, sizeof *f);
		}
	}
}

void ex_vec_free(exec *x)
{
	vscan *v = x->vs;
	if (v == NULL)
		return;
	for (uint32_t k = 0; k < v->nbufs; k++)
		free(v->bufs[k]);
	free(v->bufs);
	free(v->gi);
	free(v->all);
	vcache_free(&v->by);
	if (v->aggs)
		for (uint32_t a = 0; a < x->agg->naggs; a++)
			vcache_free(&v->aggs[a]);
	free(v->aggs);
	if (v->fst)
		for (uint32_t a = 0; a < x->agg->naggs; a++)
			free(v->fst[a]);
	free(v->fst);
	if (v->dst)
		for (uint32_t a = 0; a < x->agg->naggs; a++)
			free(v->dst[a]);
	free(v->dst);
	free(v->small);
	free(v->tcb);
	free(v->tcsids);
	ex_vmap_free(&v->tcints);
	ex_vmap_free(&v->tcips);
	free(v->want);
	free(v->onecols);
	free(v->oneloaded);
	vg_arena_free(&v->blkmem);
	free(v);
	x->vs = NULL;
}
