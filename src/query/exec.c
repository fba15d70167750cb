/*
 * exec.c — the query executor (see exec.h for the design).
 *
 * The search part is compiled into a small plan (xnode) whose comparisons
 * know their field's slot; per segment each slot is resolved to a column.
 * Rows are reached through a cursor (xrow) over either a decoded block or
 * a memtable event, and read as typed values (fval) without copying.
 * Matching events then go to one sink: the events heap (newest `limit`),
 * or the aggregation of the first transforming command (xagg), whose
 * output table the remaining commands reshape (table.c-like helpers at the
 * end of this file). Segment blocks are scanned a block at a time by
 * exec_vec.c, which calls back into the row-at-a-time functions here for
 * what it does not specialize; memtable events take the row path only.
 */
#include "query/exec_int.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <pthread.h>
#include <unistd.h>
#include <xxhash.h>
#include <stdlib.h>
#include <string.h>

#include "event/value.h"
#include "query/cw.h"
#include "query/geo.h"
#include "query/lookup.h"
#include "query/qparse.h"
#include "store/bloom.h"
#include "store/reader.h"
#include "util/ip.h"
#include "util/timeutil.h"

/* iplocation's fields: City, Country, Region, lat, lon, ASN. */
#define IPLOC_NF 6
/* By values of one aggregation: top's by fields and counted fields. */
#define MAX_BY (2 * VG_Q_MAX_ITEMS)



static char *lower_dup(vg_arena *a, const char *s, size_t n)
{
	char *p = vg_arena_alloc(a, n + 1);
	for (size_t k = 0; k < n; k++)
		p[k] = (s[k] >= 'A' && s[k] <= 'Z') ? (char)(s[k] + 32) : s[k];
	p[n] = 0;
	return p;
}

static int slot_of(exec *x, const char *name)
{
	for (uint32_t k = 0; k < x->nslots; k++)
		if (strcmp(x->names[k], name) == 0)
			return (int)k;
	if (x->nslots == MAX_SLOTS)
		return -1;
	x->names[x->nslots] = name;
	return (int)x->nslots++;
}

/* A term that is an IPv4 address in its canonical text: its 32 bits, else
 * -1. Such a term (three dots, four numbers) can stand on token
 * boundaries in an IPv4 address's text only as the whole of it. */
static int64_t term_ip4(const char *pat, uint32_t len)
{
	uint8_t ip[16];
	return vg_ip_parse4(pat, len, ip) == 0 ? ex_ip4_of(ip) : -1;
}

static xnode *compile(exec *x, const vg_snode *sn)
{
	xnode *n = vg_arena_alloc(x->a, sizeof *n);
	memset(n, 0, sizeof *n);
	n->kind = sn->kind;
	n->op = sn->op;
	n->pos = sn->pos;
	n->slot = -1;
	n->tip4 = -1;
	switch (sn->kind) {
	case VG_SN_AND:
	case VG_SN_OR:
		n->n = sn->list.n;
		n->kids = vg_arena_alloc(x->a, n->n * sizeof *n->kids);
		for (uint32_t k = 0; k < n->n; k++)
			if ((n->kids[k] = compile(x, sn->list.kids[k])) == NULL)
				return NULL;
		break;
	case VG_SN_NOT:
		n->n = 1;
		n->kids = vg_arena_alloc(x->a, sizeof *n->kids);
		if ((n->kids[0] = compile(x, sn->kid)) == NULL)
			return NULL;
		break;
	case VG_SN_TERM:
		n->val = &sn->term;
		n->pat = lower_dup(x->a, sn->term.s, sn->term.len);
		n->patlen = sn->term.len;
		n->wild = (sn->term.flags & VG_QV_WILD) != 0;
		n->can_int = n->can_ip = 1;
		for (uint32_t k = 0; k < n->patlen; k++) {
			char ch = n->pat[k];
			int dig = ch >= '0' && ch <= '9';
			n->can_int &= dig || ch == '-';
			n->can_ip &= dig || (ch >= 'a' && ch <= 'f') || ch == ':' || ch == '.';
		}
		x->need_raw = 1;
		n->tip4 = term_ip4(n->pat, n->patlen);
		/* Field by field needs no space and no `*`, and an ordinary
		 * byte: a term of breakers alone ("-") can stand for an absent
		 * field, which the template renders as "-" but no column
		 * holds (found by fuzz_exec: memtable and segments differed). */
		n->simple = 0;
		if (!n->wild && memchr(n->pat, ' ', n->patlen) == NULL)
			for (uint32_t k = 0; k < n->patlen && !n->simple; k++)
				n->simple = !vg_token_breaker((unsigned char)n->pat[k]);
		break;
	default:
		n->val = &sn->cmp.val;
		n->fname = &sn->cmp.field;
		n->fkind = sn->cmp.field.kind;
		n->pat = lower_dup(x->a, sn->cmp.val.s, sn->cmp.val.len);
		n->patlen = sn->cmp.val.len;
		n->wild = (sn->cmp.val.flags & VG_QV_WILD) != 0;
		if (n->fkind == VG_QF_RAW)
			x->need_raw = 1;
		if (n->fkind == VG_QF_PLAIN) {
			n->slot = slot_of(x, sn->cmp.field.s);
			if (n->slot < 0) {
				vg_seterr(x->err, VG_ELIMIT, sn->pos, "too many fields in the query at %u",
					  (unsigned)sn->pos);
				return NULL;
			}
		}
		break;
	}
	return n;
}

/* ------------------------------------------------------ reading values */

static void field_fval(const vg_field *f, fval *v)
{
	v->type = f->type;
	v->i = f->v.i;
	v->d = f->type == VG_T_INT ? (double)f->v.i : f->v.d;
	v->s = f->type == VG_T_STR ? f->v.s : NULL;
	v->len = f->len;
	v->ip = f->type == VG_T_IP ? f->v.ip : NULL;
}

/* The stored value of slot in the row (type 0 when absent). */
static void row_fval(const xrow *rw, int slot, fval *v)
{
	memset(v, 0, sizeof *v);
	if (slot < 0)
		return;
	if (rw->bk) {
		int c = rw->colof[slot];
		if (c >= 0 && rw->bk->loaded[c])
			ex_col_fval(&rw->bk->cols[c], rw->r, v);
		return;
	}
	uint32_t fid = rw->memfid[slot];
	if (fid == UINT32_MAX)
		return;
	const vg_event *e = &rw->mem->ev[rw->i];
	const vg_field *f = vg_event_fields(rw->mem, e);
	for (uint32_t k = 0; k < e->nfields; k++)
		if (f[k].fid == fid) {
			field_fval(&f[k], v);
			return;
		}
}

static const vg_buf *row_raw(xrow *rw)
{
	if (!rw->raw_ready) {
		vg_buf_clear(&rw->raw);
		if (rw->bk)
			vg_blk_raw(rw->bk, rw->r, &rw->raw);
		else
			vg_event_raw(rw->mem, &rw->mem->ev[rw->i], &rw->raw);
		rw->raw_ready = 1;
	}
	return &rw->raw;
}

static const vg_buf *row_lraw(xrow *rw)
{
	if (!rw->lraw_ready) {
		const vg_buf *r = row_raw(rw);
		vg_buf_clear(&rw->lraw);
		vg_buf_reserve(&rw->lraw, r->len + 1);
		for (size_t k = 0; k < r->len; k++) {
			uint8_t ch = r->p[k];
			rw->lraw.p[k] = (ch >= 'A' && ch <= 'Z') ? (uint8_t)(ch + 32) : ch;
		}
		rw->lraw.len = r->len;
		rw->lraw_ready = 1;
	}
	return &rw->lraw;
}

/* The text of a stored value into out (cleared first). */
static void fval_text(const fval *v, vg_buf *out)
{
	vg_buf_clear(out);
	if (v->type)
		vg_value_text(out, v->type, v->i, v->d, v->s, v->len, v->ip);
}

/* ------------------------------------------------------------ matching */

/* May a match start (end) at byte `at` of t: the text's edge or a
 * breaker before (after) it. */
static int starts_token(const char *t, size_t at)
{
	return at == 0 || vg_token_breaker((unsigned char)t[at - 1]);
}

static int ends_token(const char *t, size_t n, size_t at)
{
	return at == n || vg_token_breaker((unsigned char)t[at]);
}

/* Does glob pattern p (`*` any run) match all of s? Iterative, with one
 * backtrack point: linear in practice. */
static int glob_full(const char *p, size_t pn, const char *s, size_t sn)
{
	size_t i = 0, j = 0, star = SIZE_MAX, mark = 0;
	while (j < sn) {
		if (i < pn && p[i] != '*' && p[i] == s[j]) {
			i++;
			j++;
		} else if (i < pn && p[i] == '*') {
			star = i++;
			mark = j;
		} else if (star != SIZE_MAX) {
			i = star + 1;
			j = ++mark;
		} else {
			return 0;
		}
	}
	while (i < pn && p[i] == '*')
		i++;
	return i == pn;
}

/* A wildcard term in text: its `*`-separated pieces in order, the first
 * starting a token (unless the term starts with `*`), the last ending one
 * (unless it ends with `*`). Leftmost matching of each piece is enough,
 * which keeps this linear in the text for each start. */
static int wild_in(const char *p, size_t pn, const char *t, size_t tn)
{
	int open_left = p[0] == '*', open_right = p[pn - 1] == '*';
	const char *pc[64];
	size_t pl[64], np = 0;
	for (size_t k = 0; k < pn;) {
		size_t e = k;
		while (e < pn && p[e] != '*')
			e++;
		if (e > k) {
			if (np == 64)
				return 0;
			pc[np] = p + k;
			pl[np++] = e - k;
		}
		k = e + 1;
	}
	if (np == 0)
		return 1; /* only stars */
	const char *end = t + tn;
	for (const char *s0 = t;; s0++) {
		const char *h = (size_t)(end - s0) >= pl[0] ? memmem(s0, (size_t)(end - s0), pc[0], pl[0])
							   : NULL;
		if (h == NULL)
			return 0;
		s0 = h;
		if (!open_left && !starts_token(t, (size_t)(h - t)))
			continue;
		const char *pos = h + pl[0];
		int ok = 1;
		for (size_t k = 1; k < np && ok; k++) {
			const char *m = (size_t)(end - pos) >= pl[k] ? memmem(pos, (size_t)(end - pos), pc[k], pl[k])
								   : NULL;
			if (m == NULL)
				return 0; /* later starts cannot find it either */
			if (k + 1 == np && !open_right) {
				/* The last piece must end a token: try its later places. */
				while (m && !ends_token(t, tn, (size_t)(m + pl[k] - t))) {
					const char *from = m + 1;
					m = (size_t)(end - from) >= pl[k] ? memmem(from, (size_t)(end - from), pc[k], pl[k])
									  : NULL;
				}
				if (m == NULL)
					return 0;
			}
			pos = m + pl[k];
		}
		if (np == 1 && !open_right && !ends_token(t, tn, (size_t)(pos - t)))
			continue;
		if (ok)
			return 1;
	}
}

/* A term (lowercased, maybe with `*`) in lowercased text t on token
 * boundaries: the match starts where a token starts (unless the term
 * starts with `*`) and ends where one ends (unless it ends with `*`). */
static int term_in(const char *p, size_t pn, int wild, const char *t, size_t tn)
{
	if (pn == 0)
		return 1;
	if (!wild) {
		const char *s = t, *end = t + tn;
		while ((size_t)(end - s) >= pn) {
			const char *hit = memmem(s, (size_t)(end - s), p, pn);
			if (hit == NULL)
				return 0;
			if (vg_token_aligned(t, tn, (size_t)(hit - t), pn))
				return 1;
			s = hit + 1;
		}
		return 0;
	}
	return wild_in(p, pn, t, tn);
}

static int num_of(const fval *v, double *d)
{
	if (v->type == VG_T_INT || v->type == VG_T_DBL) {
		*d = v->d;
		return 1;
	}
	if (v->type == VG_T_STR && v->len > 0 && v->len < 64) {
		char buf[64], *end;
		memcpy(buf, v->s, v->len);
		buf[v->len] = 0;
		*d = strtod(buf, &end);
		return end == buf + v->len && !isnan(*d);
	}
	return 0;
}

static int ip_in(const uint8_t *ip, const uint8_t *net, unsigned bits)
{
	for (unsigned k = 0; k < 16 && bits > 0; k++) {
		unsigned b = bits >= 8 ? 8 : bits;
		uint8_t mask = (uint8_t)(0xff00u >> b);
		if ((ip[k] & mask) != (net[k] & mask))
			return 0;
		bits -= b;
	}
	return 1;
}

/* field = value (and the = half of !=), on a present value. */
static int eq_match(exec *x, const xnode *n, const fval *v)
{
	const vg_qval *q = n->val;
	if (q->flags & VG_QV_ANY)
		return 1;
	if (v->type == VG_T_IP && (q->flags & (VG_QV_CIDR | VG_QV_IP)))
		return ip_in(v->ip, q->ip, q->bits);
	if ((v->type == VG_T_INT || v->type == VG_T_DBL) && (q->flags & VG_QV_NUM))
		return v->d == q->d;
	if (v->type == VG_T_STR && (q->flags & (VG_QV_CIDR | VG_QV_IP))) {
		uint8_t ip[16];
		if (vg_ip_parse(v->s, v->len, ip) == 0)
			return ip_in(ip, q->ip, q->bits);
	}
	fval_text(v, &x->scratch);
	vg_buf *lw = &x->lower;
	vg_buf_clear(lw);
	vg_buf_reserve(lw, x->scratch.len + 1);
	for (size_t k = 0; k < x->scratch.len; k++) {
		uint8_t ch = x->scratch.p[k];
		lw->p[k] = (ch >= 'A' && ch <= 'Z') ? (uint8_t)(ch + 32) : ch;
	}
	lw->len = x->scratch.len;
	if (n->wild)
		return glob_full(n->pat, n->patlen, (const char *)lw->p, lw->len);
	return lw->len == n->patlen && memcmp(lw->p, n->pat, n->patlen) == 0;
}

static int re_match(exec *x, const vg_qregex *re, const char *s, size_t len)
{
	int rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, 0, 0, x->md, x->mctx);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	vg_seterr(x->err, VG_ELIMIT, re->pos,
		  "the regular expression at %u gave up on an event (match limit)", (unsigned)re->pos);
	return -1;
}

static int ord_match(uint8_t op, double a, double b)
{
	switch (op) {
	case VG_SOP_LT: return a < b;
	case VG_SOP_LE: return a <= b;
	case VG_SOP_GT: return a > b;
	case VG_SOP_GE: return a >= b;
	default: return 0;
	}
}

/* The value of a computed field as a stored value. */
static void special_fval(xrow *rw, uint8_t fkind, fval *v, char *buf)
{
	memset(v, 0, sizeof *v);
	int64_t days = vg_day_of(rw->t);
	switch (fkind) {
	case VG_QF_TIME: v->type = VG_T_INT; v->i = rw->t; v->d = (double)rw->t; break;
	case VG_QF_GROUP:
		v->type = VG_T_STR;
		v->s = rw->group;
		v->len = (uint32_t)strlen(rw->group);
		break;
	case VG_QF_HOUR:
		v->type = VG_T_INT;
		v->i = (rw->t - days * VG_NS_PER_DAY) / (3600 * VG_NS_PER_SEC);
		v->d = (double)v->i;
		break;
	case VG_QF_MDAY: {
		int64_t y;
		unsigned m, d;
		vg_civil_from_days(days, &y, &m, &d);
		v->type = VG_T_INT;
		v->i = d;
		v->d = d;
		break;
	}
	case VG_QF_WDAY: {
		static const char *names[] = {"sunday", "monday", "tuesday", "wednesday",
					      "thursday", "friday", "saturday"};
		int64_t w = ((days % 7) + 7 + 4) % 7; /* 1970-01-01 was a Thursday */
		strcpy(buf, names[w]);
		v->type = VG_T_STR;
		v->s = buf;
		v->len = (uint32_t)strlen(buf);
		break;
	}
	default: break;
	}
}

/* = and != on a dictionary-encoded string column, through the per-block
 * verdict of each distinct value. -1 when the fast path does not apply. */
static int dict_match(exec *x, xnode *n, xrow *rw)
{
	if (rw->bk == NULL || n->fkind != VG_QF_PLAIN || n->op > VG_SOP_NE)
		return -1;
	int c = rw->colof[n->slot];
	if (c < 0 || !rw->bk->loaded[c])
		return -1;
	const vg_col *col = &rw->bk->cols[c];
	if (col->types[rw->r] != VG_T_STR || !col->str_dict)
		return -1;
	if (n->dserial != x->serial) {
		if (n->ndmatch < col->nstrs) {
			n->dmatch = vg_arena_alloc(x->a, col->nstrs * 2);
			n->ndmatch = col->nstrs * 2;
		}
		memset(n->dmatch, 0, col->nstrs);
		n->dserial = x->serial;
	}
	uint32_t sid = col->sid[rw->r];
	if (n->dmatch[sid] == 0) {
		fval v = {0};
		v.type = VG_T_STR;
		v.s = col->strs[sid];
		v.len = col->slens[sid];
		n->dmatch[sid] = (uint8_t)(1 + eq_match(x, n, &v));
	}
	int eq = n->dmatch[sid] == 2;
	return n->op == VG_SOP_EQ ? eq : !eq;
}

static int cmp_match_row(exec *x, xnode *n, xrow *rw);

static int cmp_computed(exec *x, xnode *n, xrow *rw);

static int cmp_match(exec *x, xnode *n, xrow *rw)
{
	if (n->computed)
		return cmp_computed(x, n, rw);
	if (n->fkind == VG_QF_GROUP && rw->bk) {
		if (n->gserial != x->segserial) {
			n->gverdict = cmp_match_row(x, n, rw);
			n->gserial = x->segserial;
		}
		return n->gverdict;
	}
	int fast = dict_match(x, n, rw);
	if (fast >= 0)
		return fast;
	return cmp_match_row(x, n, rw);
}

static int cmp_match_row(exec *x, xnode *n, xrow *rw)
{
	fval v;
	char buf[16];
	const vg_qval *q = n->val;
	if (n->fkind == VG_QF_RAW) {
		const vg_buf *r = n->op == VG_SOP_RE ? row_raw(rw) : row_lraw(rw);
		memset(&v, 0, sizeof v);
		v.type = VG_T_STR;
		v.s = (const char *)r->p;
		v.len = (uint32_t)r->len;
	} else if (n->fkind != VG_QF_PLAIN) {
		special_fval(rw, n->fkind, &v, buf);
	} else {
		row_fval(rw, n->slot, &v);
	}
	if (v.type == 0)
		return 0;
	if (n->fkind == VG_QF_TIME && (q->flags & VG_QV_TIME) && n->op != VG_SOP_RE) {
		double t = (double)rw->t, b = (double)q->i;
		return n->op == VG_SOP_EQ ? t == b : n->op == VG_SOP_NE ? t != b : ord_match(n->op, t, b);
	}
	if (n->fkind == VG_QF_WDAY && (q->flags & VG_QV_WDAY) && n->op <= VG_SOP_NE) {
		int same = strcmp(buf, (const char *[]){"sunday", "monday", "tuesday", "wednesday",
						      "thursday", "friday", "saturday"}[q->i]) == 0;
		return n->op == VG_SOP_EQ ? same : !same;
	}
	return ex_cmp_value(x, n, &v);
}

/* A field an earlier command of the pipeline may have set: the value it
 * set (the last, as row_get reads it), else the stored one. A multivalue
 * matches when one of its values does, as Splunk's search. */
static int cmp_val(exec *x, const xnode *n, const vg_val *v)
{
	fval f;
	memset(&f, 0, sizeof f);
	switch (v->kind) {
	case VG_V_MV:
		for (uint32_t k = 0; k < v->nmv; k++) {
			int m = cmp_val(x, n, &v->mv[k]);
			if (m != 0)
				return m;
		}
		return 0;
	case VG_V_NUM:
		f.type = v->isint ? VG_T_INT : VG_T_DBL;
		f.i = v->i;
		f.d = v->d;
		break;
	case VG_V_STR:
		f.type = VG_T_STR;
		f.s = v->s;
		f.len = v->len;
		break;
	case VG_V_BOOL:
		f.type = VG_T_STR;
		f.s = v->i ? "true" : "false";
		f.len = v->i ? 4 : 5;
		break;
	default:
		return 0; /* null: the field is absent */
	}
	return ex_cmp_value(x, n, &f);
}

/* The value a command of the pipeline set last on the row for the field
 * s (len bytes), or NULL when none did. */
static const vg_val *ov_find(const xrow *rw, const char *s, uint32_t len)
{
	for (uint32_t k = rw->nov; k-- > 0;)
		if (rw->ov[k].len == len && memcmp(rw->ov[k].name, s, len) == 0)
			return &rw->ov[k].v;
	return NULL;
}

static int cmp_computed(exec *x, xnode *n, xrow *rw)
{
	const vg_val *v = ov_find(rw, n->fname->s, n->fname->len);
	return v ? cmp_val(x, n, v) : cmp_match_row(x, n, rw);
}

int ex_cmp_value(exec *x, const xnode *n, const fval *v)
{
	const vg_qval *q = n->val;
	switch (n->op) {
	case VG_SOP_EQ: return eq_match(x, n, v);
	case VG_SOP_NE: return !eq_match(x, n, v);
	case VG_SOP_RE:
		fval_text(v, &x->scratch);
		return re_match(x, q->re, (const char *)x->scratch.p, x->scratch.len);
	default: {
		double d;
		if (!(q->flags & VG_QV_NUM) || !num_of(v, &d))
			return 0;
		return ord_match(n->op, d, q->d);
	}
	}
}

/* Does the term stand in one field's text? s (n bytes) is compared
 * lowercased. */
static int term_in_text(exec *x, const xnode *n, const char *s, size_t len)
{
	vg_buf *lw = &x->lower;
	vg_buf_clear(lw);
	vg_buf_reserve(lw, len + 1);
	for (size_t k = 0; k < len; k++) {
		uint8_t ch = (uint8_t)s[k];
		lw->p[k] = (ch >= 'A' && ch <= 'Z') ? (uint8_t)(ch + 32) : ch;
	}
	lw->len = len;
	return term_in(n->pat, n->patlen, n->wild, (const char *)lw->p, len);
}

/* A term on a row whose raw text is rendered from its template: the text
 * is the template's fields joined by single spaces, so a term without a
 * space stands in it exactly when it stands in one field's text. Each
 * field is checked as it is stored (a string once per distinct value of
 * the block, a number or an address once while it recurs) instead of
 * printing and lowercasing the whole line. */
int ex_term_simple(const xnode *n)
{
	return n->simple;
}

unsigned ex_term_types(const xnode *n)
{
	return (1u << VG_T_STR) | (1u << VG_T_DBL) | (n->can_int ? 1u << VG_T_INT : 0) |
	       (n->can_ip ? 1u << VG_T_IP : 0);
}

void ex_term_block(exec *x, xnode *n, const vg_blk *bk)
{
	uint32_t ncols = bk->seg->ncols;
	if (n->tserial == x->serial)
		return;
	if (n->ntcache < ncols) {
		n->tcache = vg_arena_alloc(x->a, ncols * sizeof *n->tcache);
		n->ntcache = ncols;
	}
	memset(n->tcache, 0, ncols * sizeof *n->tcache);
	if (n->tmemo == NULL)
		n->tmemo = vg_xcalloc(2, sizeof *n->tmemo);
	n->tserial = x->serial;
}

/* May the text of IPv6 address ip hold a dot? inet_ntop writes the last
 * 32 bits as a dotted quad only under ::/96 and ::ffff:0:0/96. */
static int ip6_dotted(const uint8_t *ip)
{
	static const uint8_t zero[10] = {0};
	return memcmp(ip, zero, 10) == 0 && ip[10] == ip[11] && (ip[10] == 0 || ip[10] == 0xff);
}

int ex_term_field(exec *x, xnode *n, const vg_blk *bk, uint32_t c, uint32_t r)
{
	const vg_col *col = &bk->cols[c];
	char buf[64];
	switch (col->types[r]) {
	case VG_T_STR: {
		if (!col->str_dict)
			return term_in_text(x, n, col->strs[col->sid[r]], col->slens[col->sid[r]]);
		if (n->tcache[c] == NULL) {
			n->tcache[c] = vg_arena_alloc(x->a, col->nstrs ? col->nstrs : 1);
			memset(n->tcache[c], 0, col->nstrs ? col->nstrs : 1);
		}
		uint8_t *v = &n->tcache[c][col->sid[r]];
		if (*v == 0)
			*v = (uint8_t)(1 + term_in_text(x, n, col->strs[col->sid[r]],
							 col->slens[col->sid[r]]));
		return *v == 2;
	}
	case VG_T_INT: {
		if (!n->can_int)
			return 0;
		/* The verdict on a number depends on it alone. */
		uint8_t v = ex_memo_get(&n->tmemo[0], (uint64_t)col->i[r]);
		if (v == 0) {
			vg_buf_clear(&x->scratch);
			vg_put_i64(&x->scratch, col->i[r]);
			v = (uint8_t)(1 + term_in(n->pat, n->patlen, 0, (const char *)x->scratch.p,
						  x->scratch.len));
			ex_memo_put(&n->tmemo[0], (uint64_t)col->i[r], v);
		}
		return v == 2;
	}
	case VG_T_IP: {
		if (!n->can_ip)
			return 0;
		int64_t v4 = ex_ip4_of(col->ip[r]);
		if (v4 >= 0 && n->tip4 >= 0)
			return v4 == n->tip4;
		if (v4 < 0 && !ip6_dotted(col->ip[r]) && memchr(n->pat, '.', n->patlen))
			return 0; /* hex and colons only: no dot to match */
		uint8_t v = v4 >= 0 ? ex_memo_get(&n->tmemo[1], (uint64_t)v4) : 0;
		if (v == 0) {
			size_t l = vg_ip_format(col->ip[r], buf);
			v = (uint8_t)(1 + term_in(n->pat, n->patlen, 0, buf, l));
			if (v4 >= 0)
				ex_memo_put(&n->tmemo[1], (uint64_t)v4, v);
		}
		return v == 2;
	}
	case VG_T_DBL:
		vg_buf_clear(&x->scratch);
		vg_value_text(&x->scratch, VG_T_DBL, 0, col->d[r], NULL, 0, NULL);
		return term_in(n->pat, n->patlen, 0, (const char *)x->scratch.p, x->scratch.len);
	default:
		return 0;
	}
}

/* The term on a row rendered from its template, field by field; -1 when
 * this does not apply (the row's raw text is stored, or the term has a
 * space or a wildcard). */
static int term_fields(exec *x, xnode *n, xrow *rw)
{
	if (rw->bk == NULL || !ex_term_simple(n))
		return -1;
	vg_blk *bk = rw->bk;
	const vg_col *tc = &bk->cols[2]; /* _tmpl */
	if (!bk->loaded[2] || tc->types[rw->r] != VG_T_STR || bk->tmpl_cols == NULL)
		return -1;
	ex_term_block(x, n, bk);
	uint32_t k = tc->sid[rw->r];
	/* The value types that could hold the term: a column of others only
	 * (the numbers of a flow log, for an address) is not looked at. */
	unsigned can = ex_term_types(n);
	for (uint32_t j = 0; j < bk->tmpl_n[k]; j++) {
		int32_t c = bk->tmpl_cols[k][j];
		if (c < 0 || !bk->loaded[c] || !(bk->seg->coltypes[c] & can))
			continue;
		if (ex_term_field(x, n, bk, (uint32_t)c, rw->r))
			return 1;
	}
	return 0;
}

/* 1 match, 0 not, -1 error (x->err set). */
int ex_node_match(exec *x, xnode *n, xrow *rw)
{
	switch (n->kind) {
	case VG_SN_AND:
		for (uint32_t k = 0; k < n->n; k++) {
			int m = ex_node_match(x, n->kids[k], rw);
			if (m <= 0)
				return m;
		}
		return 1;
	case VG_SN_OR:
		for (uint32_t k = 0; k < n->n; k++) {
			int m = ex_node_match(x, n->kids[k], rw);
			if (m != 0)
				return m;
		}
		return 0;
	case VG_SN_NOT: {
		int m = ex_node_match(x, n->kids[0], rw);
		return m < 0 ? m : !m;
	}
	case VG_SN_TERM: {
		int fast = term_fields(x, n, rw);
		if (fast >= 0)
			return fast;
		const vg_buf *l = row_lraw(rw);
		return term_in(n->pat, n->patlen, n->wild, (const char *)l->p, l->len);
	}
	default:
		return cmp_match(x, n, rw);
	}
}

/* ------------------------------------------------------------- pruning */

static void add_hash(uint64_t h, void *ctx)
{
	term *t = ctx;
	t->h = realloc(t->h, (t->n + 1) * sizeof *t->h);
	t->digits = realloc(t->digits, t->n + 1);
	if (t->h == NULL || t->digits == NULL)
		abort();
	t->h[t->n] = h;
	t->digits[t->n] = 0;
	t->n++;
}

/* Subtoken hashes of the query's required terms; a subtoken touched by a
 * wildcard is left out (it may be part of a longer token). */
static void prepare_terms(exec *x)
{
	const vg_query *q = x->q;
	x->nterms = q->search ? q->nterms : 0;
	x->terms = vg_arena_alloc(x->a, (x->nterms ? x->nterms : 1) * sizeof *x->terms);
	memset(x->terms, 0, (x->nterms ? x->nterms : 1) * sizeof *x->terms);
	for (uint32_t k = 0; k < x->nterms; k++) {
		const vg_qterm *qt = &q->terms[k];
		term *t = &x->terms[k];
		/* Split on `*`: each piece's inner tokens are whole tokens. */
		const char *s = qt->s, *end = qt->s + qt->len;
		while (s < end) {
			const char *star = memchr(s, '*', (size_t)(end - s));
			const char *pe = star ? star : end;
			int left_open = s == qt->s ? qt->open_left : 1;
			int right_open = star ? 1 : qt->open_right;
			uint32_t before = t->n;
			vg_tokens(s, (size_t)(pe - s), add_hash, t);
			/* Drop the tokens touching an open end: a piece's last
			 * (first) token does when its last (first) byte is no
			 * breaker. (Asking whether that byte alone was token-
			 * aligned kept a one-byte piece, so `A*` required the
			 * token "a" in the block's filter and found nothing.) */
			if (t->n > before && right_open && pe > s && !vg_token_breaker((unsigned char)pe[-1]))
				t->n--;
			if (t->n > before && left_open && !vg_token_breaker((unsigned char)s[0])) {
				memmove(t->h + before, t->h + before + 1, (t->n - before - 1) * sizeof *t->h);
				t->n--;
			}
			for (uint32_t j = before; j < t->n; j++)
				t->digits[j] = 0;
			s = star ? star + 1 : end;
		}
	}
	/* Mark the all-digit subtokens: template rows keep their numbers out of
	 * the filter, so those cannot rule out a block that has some. */
	for (uint32_t k = 0; k < x->nterms; k++) {
		term *t = &x->terms[k];
		const vg_qterm *qt = &q->terms[k];
		uint32_t idx = 0;
		const char *p = qt->s, *end = qt->s + qt->len;
		while (p < end && idx < t->n) {
			while (p < end && !((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
					    (*p >= 'A' && *p <= 'Z') || (unsigned char)*p >= 0x80))
				p++;
			const char *st = p;
			int digits = 1;
			while (p < end && ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
					   (*p >= 'A' && *p <= 'Z') || (unsigned char)*p >= 0x80)) {
				digits &= *p >= '0' && *p <= '9';
				p++;
			}
			if (p > st && vg_token_hash(st, (size_t)(p - st)) == t->h[idx]) {
				t->digits[idx] = (uint8_t)digits;
				idx++;
			}
		}
		/* Hashes not matched to text (cannot happen for plain ASCII)
		 * are treated as numbers: never used to skip. */
		for (; idx < t->n; idx++)
			t->digits[idx] = 1;
	}
}

static int block_filter_ok(exec *x, const vg_seg *s, uint32_t b)
{
	const vg_block *bl = &s->blocks[b];
	for (uint32_t k = 0; k < x->nterms; k++)
		for (uint32_t j = 0; j < x->terms[k].n; j++) {
			if (bl->ntmpl && x->terms[k].digits[j])
				continue;
			if (!vg_seg_block_maybe(s, b, x->terms[k].h[j]))
				return 0;
		}
	return 1;
}

/* Can a top-level comparison match anything in the block, by its column's
 * statistics? */
static int block_range_ok(const xnode *n, const vg_seg *s, uint32_t b, const int *colof)
{
	if (n->kind != VG_SN_CMP || n->fkind != VG_QF_PLAIN)
		return 1;
	int c = colof[n->slot];
	if (c < 0 || s->blocks[b].chunks[c].len == 0)
		return 0; /* the field is absent: no comparison holds */
	const vg_colstat *st = &s->blocks[b].chunks[c].st;
	const vg_qval *q = n->val;
	if (st->types == (1u << VG_T_INT) && (q->flags & VG_QV_NUM)) {
		double lo = (double)st->imin, hi = (double)st->imax, v = q->d;
		switch (n->op) {
		case VG_SOP_EQ: return v >= lo && v <= hi;
		case VG_SOP_LT: return lo < v;
		case VG_SOP_LE: return lo <= v;
		case VG_SOP_GT: return hi > v;
		case VG_SOP_GE: return hi >= v;
		default: return 1;
		}
	}
	if (st->types == (1u << VG_T_IP) && n->op == VG_SOP_EQ &&
	    (q->flags & (VG_QV_CIDR | VG_QV_IP)) && !(q->flags & VG_QV_WILD)) {
		uint8_t lo[16], hi[16];
		unsigned bits = q->bits;
		for (unsigned k = 0; k < 16; k++) {
			unsigned keep = bits >= 8 ? 8 : bits;
			uint8_t mask = (uint8_t)(0xff00u >> keep);
			lo[k] = q->ip[k] & mask;
			hi[k] = (uint8_t)(lo[k] | (uint8_t)~mask);
			bits -= keep;
		}
		return memcmp(hi, st->ipmin, 16) >= 0 && memcmp(lo, st->ipmax, 16) <= 0;
	}
	return 1;
}

static int block_ranges_ok(exec *x, const vg_seg *s, uint32_t b, const int *colof)
{
	const xnode *r = x->root;
	if (r == NULL)
		return 1;
	if (r->kind != VG_SN_AND)
		return block_range_ok(r, s, b, colof);
	for (uint32_t k = 0; k < r->n; k++)
		if (!block_range_ok(r->kids[k], s, b, colof))
			return 0;
	return 1;
}

/* Does the search name a group of vigil's own (a top-level group= whose
 * pattern starts with '_')? */
static int names_hidden(const xnode *n)
{
	if (n == NULL)
		return 0;
	if (n->kind == VG_SN_AND) {
		for (uint32_t k = 0; k < n->n; k++)
			if (names_hidden(n->kids[k]))
				return 1;
		return 0;
	}
	return n->kind == VG_SN_CMP && n->fkind == VG_QF_GROUP && n->op == VG_SOP_EQ &&
	       n->patlen > 0 && n->pat[0] == '_';
}

/* Groups starting with '_' hold vigil's own records (the tailer's offsets
 * in `_tail`): searched only when the search names them. */
static int group_hidden(const xnode *root, const char *group)
{
	return group[0] == '_' && !names_hidden(root);
}

/* Can the group of a segment match the search (a top-level _group=)? */
static int group_ok(const xnode *n, const char *group)
{
	if (n == NULL)
		return 1;
	if (n->kind == VG_SN_AND) {
		for (uint32_t k = 0; k < n->n; k++)
			if (!group_ok(n->kids[k], group))
				return 0;
		return 1;
	}
	if (n->kind != VG_SN_CMP || n->fkind != VG_QF_GROUP || n->op != VG_SOP_EQ)
		return 1;
	size_t gl = strlen(group);
	char low[256];
	if (gl >= sizeof low)
		return 1;
	for (size_t k = 0; k <= gl; k++)
		low[k] = (group[k] >= 'A' && group[k] <= 'Z') ? (char)(group[k] + 32) : group[k];
	return glob_full(n->pat, n->patlen, low, gl);
}

/* Does the search look at events of group g at all? */
static int group_searched(const exec *x, const char *g)
{
	return group_ok(x->root, g) && !group_hidden(x->root, g);
}

/* ------------------------------------------------------------- the sinks */

void ex_hist_add(exec *x, int64_t t)
{
	if (x->nhist == 0 || t < x->hstart)
		return;
	uint64_t k = (uint64_t)(t - x->hstart) / (uint64_t)x->hspan;
	if (k < x->nhist)
		x->hist[k]++;
}

/* A "nice" span giving at most about 100 buckets over n ns. */
static int64_t nice_span(int64_t n, uint32_t most)
{
	static const int64_t spans[] = {1, 5, 10, 30, 60, 300, 600, 1800, 3600, 3 * 3600,
					12 * 3600, 86400, 7 * 86400, 30 * 86400, 365 * 86400};
	for (size_t k = 0; k < sizeof spans / sizeof *spans; k++)
		if (n / (spans[k] * VG_NS_PER_SEC) < most)
			return spans[k] * VG_NS_PER_SEC;
	return 365 * 86400 * VG_NS_PER_SEC * (n / (365 * 86400 * VG_NS_PER_SEC * most) + 1);
}

/* Row r of the block as a JSON event. Matching decoded only the columns
 * the search reads; every column is decoded now, once per block, and only
 * for blocks that have a match. Returns 0, or -1 with x->err set. */
static int block_json(xrow *rw, vg_buf *j)
{
	if (!rw->full_ready) {
		if (vg_blk_load(rw->full, rw->bk->seg, rw->bk->block, NULL, rw->x->err))
			return -1;
		rw->full_ready = 1;
	}
	vg_blk_json(rw->full, rw->r, j);
	return 0;
}

/* Event order: newer first; of equal times, the smaller JSON text first,
 * so that results do not depend on where an event is stored. */
static int ev_older(const vg_result_event *a, const vg_result_event *b)
{
	if (a->t != b->t)
		return a->t < b->t;
	return strcmp(a->json, b->json) > 0;
}

/* The heap keeps the newest events, the oldest of them at the root. */
static void heap_down(vg_result_event *h, uint32_t n, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, m = i;
		if (l < n && ev_older(&h[l], &h[m]))
			m = l;
		if (l + 1 < n && ev_older(&h[l + 1], &h[m]))
			m = l + 1;
		if (m == i)
			return;
		vg_result_event tmp = h[i];
		h[i] = h[m];
		h[m] = tmp;
		i = m;
	}
}

/* Keep ev (its JSON owned) if it is among the newest `limit` events; an
 * event pushed out or not taken is freed and marks the result truncated. */
static void heap_offer(exec *x, vg_result_event ev)
{
	if (x->nheap < x->limit) {
		uint32_t i = x->nheap++;
		x->heap[i] = ev;
		while (i > 0 && ev_older(&x->heap[i], &x->heap[(i - 1) / 2])) {
			vg_result_event tmp = x->heap[i];
			x->heap[i] = x->heap[(i - 1) / 2];
			x->heap[(i - 1) / 2] = tmp;
			i = (i - 1) / 2;
		}
		return;
	}
	x->res->truncated = 1;
	if (x->nheap == 0 || !ev_older(&x->heap[0], &ev)) { /* none kept: `head 0` */
		free((char *)ev.json);
		free((vg_val *)ev.fields);
		return;
	}
	free((char *)x->heap[0].json);
	free((vg_val *)x->heap[0].fields);
	x->heap[0] = ev;
	heap_down(x->heap, x->nheap, 0);
}

/* What iplocation and lookup need besides the plan, per exec: a cache of
 * addresses' locations (one per scanning thread, over the vg_geo both
 * share), iplocation's output names, and lookup's bound tables (bound
 * once per query by the first exec, read-only afterwards, so the helper
 * borrows them). */
typedef struct xext {
	vg_geo_cache *geo;
	const char *(*ipnames)[IPLOC_NF]; /* per command index: P+City ... */
	int *ipslot;                      /* per command index: the slot of
					   * iplocation's field, -1 none */
	vg_lookup_bind *binds;            /* per command index; t NULL if not lookup */
	int own_binds;
	vg_buf keys;                      /* one row's lookup key texts */
	/* A pipeline that after its per-event commands only picks, renames
	 * or cuts fields (fields, table, rename, head): the columns its rows
	 * will have (set up as rows mode's, exec.h), while the scan keeps
	 * the newest `limit` events as events mode does, each with its
	 * columns' values packed, rather than every match as rows: memory
	 * stays bounded by the limit. NULL: not such a pipeline. */
	table *proj;
} xext;

/* --------------------------------------------- computed fields on events
 *
 * eval, rex, iplocation and lookup leave their results on an event as
 * overlays (name, value; the last of a name wins, null removes the field).
 * An event returned shows them: merged into its JSON (json_merge) and, for
 * CSV and the table, as values of the result's computed fields. While the
 * scan runs, a kept event holds its own fields packed in one allocation
 * (pairs_pack) in its `fields`; finish turns them into the result's
 * columns (fields_finish). */

static void val_json(const vg_val *v, vg_buf *out);

/* Whether p[k] is the last of p[0..n) to set its field: the value the
 * field ends with (`eval x=1 | eval x=x+1` leaves two). */
static int pair_final(const overlay *p, uint32_t n, uint32_t k)
{
	for (uint32_t j = k + 1; j < n; j++)
		if (p[j].len == p[k].len && memcmp(p[j].name, p[k].name, p[k].len) == 0)
			return 0;
	return 1;
}

/* _time, _group and _raw: an event's own columns, which a command may
 * replace but which are no computed field of their own. */
static int base_name(const char *name, uint32_t len)
{
	return (len == 5 && memcmp(name, "_time", 5) == 0) ||
	       (len == 6 && memcmp(name, "_group", 6) == 0) ||
	       (len == 4 && memcmp(name, "_raw", 4) == 0);
}

/* A field's value as JSON; _time as an event writes it (ISO-8601), when
 * a command set it to epoch seconds. */
static void pair_json(const overlay *p, vg_buf *out)
{
	if (p->len == 5 && memcmp(p->name, "_time", 5) == 0 && p->v.kind == VG_V_NUM) {
		char ts[48];
		double secs = p->v.isint ? (double)p->v.i : p->v.d;
		vg_buf_putc(out, '"');
		vg_buf_put(out, ts, vg_format_iso8601((int64_t)(secs * 1e9), ts, 0));
		vg_buf_putc(out, '"');
		return;
	}
	val_json(&p->v, out);
}

/* The end of the JSON value (or key) starting at s[i]: past a string or
 * a bracketed array or object, at the ',' or '}' after a number, true,
 * false or null. */
static size_t json_skip(const char *s, size_t n, size_t i)
{
	int depth = 0;
	for (; i < n; i++) {
		char c = s[i];
		if (c == '"') {
			for (i++; i < n && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
			if (depth == 0)
				return i + 1;
		} else if (c == '[' || c == '{') {
			depth++;
		} else if (c == ']' || c == '}') {
			if (depth == 0)
				return i;
			if (--depth == 0)
				return i + 1;
		} else if (c == ',' && depth == 0) {
			return i;
		}
	}
	return n;
}

/* The event's JSON object j[0..n) with the fields p[0..np) set, into out:
 * a field the event has keeps its place and takes its new value (or is
 * left out, set to null); a new field is appended in the order it was
 * first set. */
static void json_merge(const char *j, size_t n, const overlay *p, uint32_t np, vg_buf *out)
{
	vg_buf keys = {0};
	size_t *off = vg_xmalloc((np + 1) * sizeof *off);
	uint8_t *used = vg_xcalloc(np ? np : 1, 1);
	for (uint32_t k = 0; k < np; k++) {
		off[k] = keys.len;
		vg_json_str(&keys, p[k].name, p[k].len);
	}
	off[np] = keys.len;
	int first = 1;
	vg_buf_putc(out, '{');
	for (size_t i = n ? 1 : 0; i < n && j[i] != '}';) {
		if (j[i] == ',' || j[i] == ' ') {
			i++;
			continue;
		}
		size_t ke = json_skip(j, n, i), ve = json_skip(j, n, ke + 1);
		uint32_t hit = np;
		for (uint32_t k = 0; k < np && hit == np; k++)
			if (off[k + 1] - off[k] == ke - i && memcmp(keys.p + off[k], j + i, ke - i) == 0 &&
			    pair_final(p, np, k))
				hit = k;
		if (hit < np)
			used[hit] = 1;
		if (hit == np || p[hit].v.kind != VG_V_NULL) {
			if (!first)
				vg_buf_putc(out, ',');
			first = 0;
			vg_buf_put(out, j + i, ke - i + 1);
			if (hit == np)
				vg_buf_put(out, j + ke + 1, ve - ke - 1);
			else
				pair_json(&p[hit], out);
		}
		i = ve;
	}
	for (uint32_t k = 0; k < np; k++) {
		if (used[k] || p[k].v.kind == VG_V_NULL || !pair_final(p, np, k))
			continue;
		if (!first)
			vg_buf_putc(out, ',');
		first = 0;
		vg_buf_put(out, keys.p + off[k], off[k + 1] - off[k]);
		vg_buf_putc(out, ':');
		pair_json(&p[k], out);
	}
	vg_buf_putc(out, '}');
	vg_buf_free(&keys);
	free(used);
	free(off);
}

/* The fields p[0..n) end with (the final, non-null ones; not _time,
 * _group, _raw when skip_base), names and strings included, in one
 * allocation that free() releases: [0] the count m as an integer, then m
 * pairs of a name (a string) and a value. NULL when there are none. */
static vg_val *pairs_pack(const overlay *p, uint32_t n, int skip_base)
{
	uint32_t m = 0;
	size_t nv = 1, bytes = 0;
	for (uint32_t k = 0; k < n; k++) {
		if (p[k].v.kind == VG_V_NULL || !pair_final(p, n, k) ||
		    (skip_base && base_name(p[k].name, p[k].len)))
			continue;
		m++;
		nv += 2;
		bytes += p[k].len + 1;
		if (p[k].v.kind == VG_V_STR)
			bytes += p[k].v.len;
		for (uint32_t e = 0; p[k].v.kind == VG_V_MV && e < p[k].v.nmv; e++) {
			nv++;
			if (p[k].v.mv[e].kind == VG_V_STR)
				bytes += p[k].v.mv[e].len;
		}
	}
	if (m == 0)
		return NULL;
	vg_val *b = vg_xmalloc(nv * sizeof *b + bytes);
	vg_val *mv = b + 1 + 2 * (size_t)m;
	char *str = (char *)(b + nv);
	uint32_t o = 1;
	b[0] = vg_v_int(m);
	for (uint32_t k = 0; k < n; k++) {
		if (p[k].v.kind == VG_V_NULL || !pair_final(p, n, k) ||
		    (skip_base && base_name(p[k].name, p[k].len)))
			continue;
		memcpy(str, p[k].name, p[k].len);
		str[p[k].len] = 0;
		b[o++] = vg_v_str(str, p[k].len);
		str += p[k].len + 1;
		vg_val v = p[k].v;
		if (v.kind == VG_V_STR) {
			memcpy(str, v.s, v.len);
			v.s = str;
			str += v.len;
		} else if (v.kind == VG_V_MV) {
			for (uint32_t e = 0; e < v.nmv; e++) {
				mv[e] = v.mv[e];
				if (mv[e].kind == VG_V_STR) {
					memcpy(str, mv[e].s, mv[e].len);
					mv[e].s = str;
					str += mv[e].len;
				}
			}
			v.mv = mv;
			mv += v.nmv;
		}
		b[o++] = v;
	}
	return b;
}

/* v with its strings and a multivalue's values copied into a. Every
 * value that outlives the arena it was computed in (an eval's, reset per
 * command; a row's, reset per event) goes through here, multivalues
 * included: a copy of the multivalue's array pointer alone would dangle. */
static vg_val val_copy(vg_arena *a, const vg_val *v)
{
	vg_val c = *v;
	if (v->kind == VG_V_STR) {
		c.s = vg_arena_dup(a, v->s, v->len);
	} else if (v->kind == VG_V_MV) {
		vg_val *mv = vg_arena_alloc(a, (v->nmv ? v->nmv : 1) * sizeof *mv);
		for (uint32_t e = 0; e < v->nmv; e++)
			mv[e] = val_copy(a, &v->mv[e]);
		c.mv = mv;
	}
	return c;
}

/* The value packed pairs b hold for the field name, or NULL. */
static const vg_val *pairs_get(const vg_val *b, const char *name, uint32_t len)
{
	for (int64_t k = 0; b && k < b[0].i; k++)
		if (b[1 + 2 * k].len == len && memcmp(b[1 + 2 * k].s, name, len) == 0)
			return &b[2 + 2 * k];
	return NULL;
}

/* The result's computed fields from its n events' packed pairs (in each
 * event's `fields`, freed here): their names, in the order they first
 * appear from the newest event on, and each event's values. */
static void fields_finish(exec *x, vg_result_event *ev, uint32_t n)
{
	vg_result *res = x->res;
	uint32_t cap = 0;
	for (uint32_t k = 0; k < n; k++)
		for (int64_t f = 0; ev[k].fields && f < ev[k].fields[0].i; f++) {
			const vg_val *nm = &ev[k].fields[1 + 2 * f];
			uint32_t c = 0;
			while (c < res->nfields &&
			       (strlen(res->fields[c]) != nm->len || memcmp(res->fields[c], nm->s, nm->len)))
				c++;
			if (c < res->nfields)
				continue;
			if (res->nfields == cap) {
				cap = cap ? 2 * cap : 8;
				const char **grown = vg_arena_alloc(x->a, cap * sizeof *grown);
				if (res->nfields)
					memcpy(grown, res->fields, res->nfields * sizeof *grown);
				res->fields = grown;
			}
			res->fields[res->nfields++] = vg_arena_dup(x->a, nm->s, nm->len);
		}
	for (uint32_t k = 0; k < n; k++) {
		vg_val *packed = (vg_val *)ev[k].fields, *vals = NULL;
		if (res->nfields) {
			vals = vg_arena_alloc(x->a, res->nfields * sizeof *vals);
			for (uint32_t c = 0; c < res->nfields; c++) {
				const vg_val *v = pairs_get(packed, res->fields[c],
							    (uint32_t)strlen(res->fields[c]));
				vals[c] = v ? val_copy(x->a, v) : vg_v_null();
			}
		}
		free(packed);
		ev[k].fields = vals;
	}
}

static int row_get(xrow *rw, const vg_qname *name, vg_val *out, vg_buf *buf);

/* The values of the projection's columns (xext.proj) on the row, packed;
 * its JSON stays the stored one: finish merges what is left of the
 * computed columns once fields and rename have run. */
static vg_val *proj_pack(exec *x, xrow *rw)
{
	const table *p = x->ext->proj;
	uint32_t c0 = x->rows_event ? 2 : 1, n = 0;
	overlay *cells = vg_xmalloc((p->ncols ? p->ncols : 1) * sizeof *cells);
	for (uint32_t c = c0; c < p->ncols; c++) {
		vg_val v;
		row_get(rw, &x->rnames[c], &v, &x->scratch);
		cells[n++] = (overlay){p->cols[c], (uint32_t)strlen(p->cols[c]), v};
		if (v.kind == VG_V_STR) /* scratch is the next call's */
			cells[n - 1].v.s = vg_arena_dup(&x->rowarena, v.s, v.len);
	}
	vg_val *b = pairs_pack(cells, n, 0);
	free(cells);
	return b;
}

/* Keep the row if it is among the newest `limit` events: its JSON with
 * the fields the commands computed merged in, and those fields packed. */
static int keep_event(exec *x, xrow *rw)
{
	if (x->nheap == x->limit) {
		x->res->truncated = 1;
		if (rw->t < x->heap[0].t)
			return 0;
	}
	vg_buf j = {0};
	if (rw->bk) {
		if (block_json(rw, &j))
			return -1;
	} else {
		vg_event_json(rw->mem, rw->i, &j);
	}
	vg_val *fields = NULL;
	if (x->ext->proj) {
		fields = proj_pack(x, rw);
	} else if (rw->nov) {
		vg_buf m = {0};
		json_merge((const char *)j.p, j.len, rw->ov, rw->nov, &m);
		vg_buf_free(&j);
		j = m;
		fields = pairs_pack(rw->ov, rw->nov, 1);
	}
	vg_result_event ev = {rw->t, vg_xstrndup((const char *)j.p, j.len), (uint32_t)j.len, fields};
	vg_buf_free(&j);
	heap_offer(x, ev);
	return 0;
}

/* ------------------------------------------------------- aggregation */


/* The value of a field of the row as a vg_val; strings may point into
 * x->scratch-like per-call storage (buf), valid until the next call. */
static int row_get(xrow *rw, const vg_qname *name, vg_val *out, vg_buf *buf)
{
	const vg_val *set = ov_find(rw, name->s, name->len);
	if (set) {
		*out = *set;
		return 0;
	}
	fval v;
	char wb[16];
	if (name->kind == VG_QF_TIME) {
		*out = vg_v_dbl((double)rw->t / 1e9);
		if (rw->t % VG_NS_PER_SEC == 0)
			*out = vg_v_int(rw->t / VG_NS_PER_SEC);
		return 0;
	}
	if (name->kind == VG_QF_RAW) {
		const vg_buf *r = row_raw(rw);
		*out = vg_v_str((const char *)r->p, r->len);
		return 0;
	}
	if (name->kind != VG_QF_PLAIN) {
		special_fval(rw, name->kind, &v, wb);
	} else {
		int slot = -1;
		for (uint32_t k = 0; k < rw->x->nslots; k++)
			if (strcmp(rw->x->names[k], name->s) == 0)
				slot = (int)k;
		row_fval(rw, slot, &v);
	}
	switch (v.type) {
	case 0: *out = vg_v_null(); break;
	case VG_T_INT: *out = vg_v_int(v.i); break;
	case VG_T_DBL: *out = vg_v_dbl(v.d); break;
	case VG_T_STR:
		if (v.s == wb) {
			vg_buf_clear(buf);
			vg_buf_put(buf, v.s, v.len);
			*out = vg_v_str((const char *)buf->p, buf->len);
		} else {
			*out = vg_v_str(v.s, v.len);
		}
		break;
	default:
		fval_text(&v, buf);
		*out = vg_v_str((const char *)buf->p, buf->len);
		break;
	}
	return 0;
}

/* The value of a by or aggregated field of an event row: by slot when it
 * is a stored field (no lookup by name), else by name. */
void ex_agg_get(xrow *rw, const vg_qname *name, int slot, vg_val *out, vg_buf *buf)
{
	if (slot < 0 || rw->nov > 0) { /* eval's fields come first */
		row_get(rw, name, out, buf);
		return;
	}
	fval v;
	row_fval(rw, slot, &v);
	switch (v.type) {
	case 0: *out = vg_v_null(); break;
	case VG_T_INT: *out = vg_v_int(v.i); break;
	case VG_T_DBL: *out = vg_v_dbl(v.d); break;
	case VG_T_STR: *out = vg_v_str(v.s, v.len); break;
	default:
		fval_text(&v, buf);
		*out = vg_v_str((const char *)buf->p, buf->len);
		break;
	}
}

static int rowget_cb(void *ctx, const vg_qname *name, vg_val *out)
{
	xrow *rw = ctx;
	return row_get(rw, name, out, &rw->x->scratch);
}

static uint32_t group_of(xagg *g, const char *key, uint32_t klen, int64_t bucket, int *isnew)
{
	uint64_t h = ex_hash(key, klen) ^ (uint64_t)bucket * 0x9e3779b97f4a7c15ull;
	if (g->htcap == 0 || (g->ngroups + 1) * 2 > g->htcap) {
		uint32_t cap = g->htcap ? g->htcap * 2 : 1024;
		uint64_t *ht = vg_xcalloc(cap, sizeof *ht);
		uint32_t *idx = vg_xcalloc(cap, sizeof *idx);
		for (uint32_t k = 0; k < g->htcap; k++)
			if (g->htidx[k]) {
				uint32_t j = (uint32_t)(g->ht[k] & (cap - 1));
				while (idx[j])
					j = (j + 1) & (cap - 1);
				ht[j] = g->ht[k];
				idx[j] = g->htidx[k];
			}
		free(g->ht);
		free(g->htidx);
		g->ht = ht;
		g->htidx = idx;
		g->htcap = cap;
	}
	uint32_t j = (uint32_t)(h & (g->htcap - 1));
	while (g->htidx[j]) {
		uint32_t i = g->htidx[j] - 1;
		if (g->ht[j] == h && g->keylens[i] == klen && (klen == 0 || memcmp(g->keys[i], key, klen) == 0) &&
		    (!g->timechart || g->bucket[i] == bucket)) {
			*isnew = 0;
			return i;
		}
		j = (j + 1) & (g->htcap - 1);
	}
	uint32_t i = g->ngroups++;
	g->ht[j] = h;
	g->htidx[j] = i + 1;
	*isnew = 1;
	return i;
}

void ex_set_add(aggst *s, uint64_t h, int *added)
{
	*added = 0;
	if (h == 0)
		h = 1;
	if ((s->nset + 1) * 2 > s->capset) {
		uint32_t cap = s->capset ? s->capset * 2 : 16;
		uint64_t *ns = vg_xcalloc(cap, sizeof *ns);
		for (uint32_t k = 0; k < s->capset; k++)
			if (s->set[k]) {
				uint32_t j = (uint32_t)(s->set[k] & (cap - 1));
				while (ns[j])
					j = (j + 1) & (cap - 1);
				ns[j] = s->set[k];
			}
		free(s->set);
		s->set = ns;
		s->capset = cap;
	}
	uint32_t j = (uint32_t)(h & (s->capset - 1));
	while (s->set[j]) {
		if (s->set[j] == h)
			return;
		j = (j + 1) & (s->capset - 1);
	}
	s->set[j] = h;
	s->nset++;
	*added = 1;
}

int ex_agg_numeric(const vg_val *v, double *d, int *isint, int64_t *i)
{
	if (v->kind == VG_V_NUM) {
		*d = v->d;
		*isint = v->isint;
		*i = v->i;
		return 1;
	}
	if (v->kind == VG_V_STR) {
		vg_val n;
		if (vg_val_parse_num(v->s, v->len, &n)) {
			*d = n.d;
			*isint = n.isint;
			*i = n.i;
			return 1;
		}
	}
	return 0;
}

void ex_agg_update(xagg *g, aggst *s, const vg_qagg *ag, const vg_val *v, int64_t t)
{
	if (!ag->has_field) {
		s->n++;
		return;
	}
	if (v->kind == VG_V_NULL)
		return;
	/* A multivalue (split(), rex max_match, values()) is aggregated value
	 * by value, as Splunk does: count(f) counts its values, dc() and
	 * values() see each one, sum() adds them all. earliest() and latest()
	 * keep the event's whole value. */
	if (v->kind == VG_V_MV && ag->fn != VG_AGG_EARLIEST && ag->fn != VG_AGG_LATEST) {
		for (uint32_t k = 0; k < v->nmv; k++)
			ex_agg_update(g, s, ag, &v->mv[k], t);
		return;
	}
	double d;
	int isint;
	int64_t i;
	int added;
	switch (ag->fn) {
	case VG_AGG_COUNT: s->n++; break;
	case VG_AGG_DC: {
		vg_buf_clear(&g->key);
		vg_val_text(v, &g->key);
		ex_set_add(s, ex_hash(g->key.p, g->key.len), &added);
		break;
	}
	case VG_AGG_SUM:
	case VG_AGG_AVG:
		if (ex_agg_numeric(v, &d, &isint, &i))
			ex_sum_add(s, d, isint, i);
		break;
	case VG_AGG_MIN:
	case VG_AGG_MAX: {
		int lower = ag->fn == VG_AGG_MIN;
		vg_val *cur = lower ? &s->min : &s->max;
		vg_val nv = *v;
		if (v->kind == VG_V_STR && ex_agg_numeric(v, &d, &isint, &i))
			nv = isint ? vg_v_int(i) : vg_v_dbl(d);
		if (s->n == 0 || (lower ? vg_val_cmp(&nv, cur) < 0 : vg_val_cmp(&nv, cur) > 0))
			*cur = val_copy(&g->arena, &nv);
		s->n++;
		break;
	}
	case VG_AGG_PERC:
		if (!ex_agg_numeric(v, &d, &isint, &i))
			break;
		if (s->nvals == s->capvals) {
			s->capvals = s->capvals ? s->capvals * 2 : 16;
			s->vals = vg_xrealloc(s->vals, s->capvals * sizeof *s->vals);
		}
		s->vals[s->nvals++] = d;
		break;
	case VG_AGG_VALUES:
		vg_buf_clear(&g->key);
		vg_val_text(v, &g->key);
		ex_set_add(s, ex_hash(g->key.p, g->key.len), &added);
		if (added) {
			s->strs = vg_xrealloc(s->strs, s->nset * sizeof *s->strs);
			s->lens = vg_xrealloc(s->lens, s->nset * sizeof *s->lens);
			s->strs[s->nset - 1] = vg_arena_dup(&g->arena, g->key.p, g->key.len);
			s->lens[s->nset - 1] = (uint32_t)g->key.len;
		}
		break;
	case VG_AGG_EARLIEST:
	case VG_AGG_LATEST:
		if (s->n == 0 || (ag->fn == VG_AGG_EARLIEST ? t < s->tbest : t >= s->tbest)) {
			s->tbest = t;
			s->best = val_copy(&g->arena, v);
		}
		s->n++;
		break;
	default: break;
	}
}

/* geostats: the name of the grid cell holding (lat, lon) into out, or 0
 * when lon is not a number or the point is off the map (the row is left
 * out, as Splunk leaves out rows without coordinates). */
static int geo_cell(const vg_qcmd *c, double lat, const vg_val *lon, char *out, size_t cap)
{
	double lo;
	int isint;
	int64_t i;
	vg_geobin b;
	if (!ex_agg_numeric(lon, &lo, &isint, &i) ||
	    vg_geo_bin(lat, lo, c->geostats.spanlat, c->geostats.spanlong, &b) != 0)
		return 0;
	vg_geo_bin_name(&b, out, cap);
	return 1;
}

/* geostats aggregates as `stats aggs, sum(lat), sum(lon) by cell [, g]`:
 * the cell (first by value) is computed from the coordinates, and the two
 * hidden sums, last, place each cell's dot at the mean of its rows'
 * coordinates (table_geostats). */
static void geostats_agg(exec *x, xagg *g, const vg_qcmd *c)
{
	uint32_t n = c->geostats.aggs.n;
	vg_qagg *aggs = vg_arena_alloc(x->a, (n + 2) * sizeof *aggs);
	memcpy(aggs, c->geostats.aggs.v, n * sizeof *aggs);
	aggs[n] = (vg_qagg){.fn = VG_AGG_SUM, .has_field = 1, .field = c->geostats.lat,
			    .as = "latitude", .as_len = 8, .pos = c->pos};
	aggs[n + 1] = (vg_qagg){.fn = VG_AGG_SUM, .has_field = 1, .field = c->geostats.lon,
				.as = "longitude", .as_len = 9, .pos = c->pos};
	vg_qname *by = vg_arena_alloc(x->a, 2 * sizeof *by);
	by[0] = (vg_qname){"geobin", 6, c->pos, VG_QF_PLAIN, 0};
	by[1] = c->geostats.by;
	g->aggs = aggs;
	g->naggs = n + 2;
	g->by = by;
	g->nby = c->geostats.by.s ? 2 : 1;
}

/* Make room for group gi, just added by group_of: its key, bucket and
 * empty states (the caller fills its by values). 0, or VG_ELIMIT past
 * MAX_GROUPS with x->err set. */
static int group_new(exec *x, xagg *g, uint32_t gi, const char *key, uint32_t klen, int64_t bucket)
{
	if (g->ngroups > MAX_GROUPS)
		return vg_seterr(x->err, VG_ELIMIT, g->cmd->pos,
				 "more than %u groups for the command at %u", MAX_GROUPS,
				 (unsigned)g->cmd->pos);
	/* Grown by half again, not by one: a realloc per new group made
	 * `stats count by msg` over many distinct values quadratic. */
	if (g->ngroups > g->gcap) {
		size_t cap = g->gcap < 64 ? 64 : (size_t)g->gcap + g->gcap / 2;
		if (cap < g->ngroups)
			cap = g->ngroups;
		g->keys = vg_xrealloc(g->keys, cap * sizeof *g->keys);
		g->keylens = vg_xrealloc(g->keylens, cap * sizeof *g->keylens);
		g->byvals = vg_xrealloc(g->byvals, cap * (g->nby ? g->nby : 1) * sizeof *g->byvals);
		g->bucket = vg_xrealloc(g->bucket, cap * sizeof *g->bucket);
		g->st = vg_xrealloc(g->st, cap * g->naggs * sizeof *g->st);
		g->gcap = (uint32_t)cap;
	}
	g->keys[gi] = vg_arena_dup(&g->arena, key, klen);
	g->keylens[gi] = klen;
	g->bucket[gi] = bucket;
	memset(&g->st[(size_t)gi * g->naggs], 0, g->naggs * sizeof *g->st);
	return 0;
}

/* Append by value j (v) to a group key: the values' text, \x1f apart;
 * timechart puts 'n' or 'v' before its series' value, so that a null is
 * not the empty string. */
static void key_put(const xagg *g, vg_buf *key, uint32_t j, const vg_val *v)
{
	if (j)
		vg_buf_putc(key, 0x1f);
	if (g->timechart)
		vg_buf_putc(key, v->kind == VG_V_NULL ? 'n' : 'v');
	if (v->kind == VG_V_NUM && v->isint)
		vg_put_i64(key, v->i);
	else
		vg_val_text(v, key);
}

/* The group of by values byv[0..nby) (none of them a multivalue) at time
 * t, made when new: its key is key_put's, as ex_group_x makes it.
 * UINT32_MAX leaves the row out (a null by value,
 * except for timechart's series), or is an error (x->err set, *err_rc). */
static uint32_t group_vals(exec *x, xagg *g, const vg_val *byv, int64_t t, int *err_rc)
{
	vg_buf *keytext = &g->key;
	vg_buf_clear(keytext);
	for (uint32_t j = 0; j < g->nby; j++) {
		if (byv[j].kind == VG_V_NULL && !g->timechart)
			return UINT32_MAX; /* Splunk: events without a by field are left out */
		key_put(g, keytext, j, &byv[j]);
	}
	int64_t bucket = g->timechart ? t - ((t % g->span) + g->span) % g->span : 0;
	int isnew;
	uint32_t gi = group_of(g, (const char *)keytext->p, (uint32_t)keytext->len, bucket, &isnew);
	if (isnew) {
		if (group_new(x, g, gi, (const char *)keytext->p, (uint32_t)keytext->len, bucket)) {
			*err_rc = x->err->code;
			return UINT32_MAX;
		}
		for (uint32_t j = 0; j < g->nby; j++)
			g->byvals[(size_t)gi * g->nby + j] = val_copy(&g->arena, &byv[j]);
	}
	return gi;
}

/* Feed the row's aggregated fields to group gi's states. */
static void agg_update_row(xagg *g, uint32_t gi, const vg_rowget *get, int64_t t)
{
	for (uint32_t a = 0; a < g->naggs; a++) {
		vg_val v = vg_v_null();
		if (g->aggs[a].has_field)
			get->get(get->ctx, &g->aggs[a].field, &v);
		ex_agg_update(g, &g->st[(size_t)gi * g->naggs + a], &g->aggs[a], &v, t);
	}
}

/* Next combination of the multivalues' indexes idx (an odometer, the last
 * by field turning fastest); 0 once every combination was visited. */
static int next_combo(const vg_val *byv, uint32_t *idx, uint32_t nby)
{
	for (uint32_t j = nby; j-- > 0;) {
		if (byv[j].kind == VG_V_MV && ++idx[j] < byv[j].nmv)
			return 1;
		idx[j] = 0;
	}
	return 0;
}

/* A row whose by values byv hold multivalues: as Splunk, it counts once in
 * the group of each value (f=a,b adds to a and to b), and with several by
 * fields in the group of each combination of their values (the cross
 * product). A value a multivalue holds twice counts twice, as it would
 * after mvexpand. An empty multivalue is an absent field. */
static int agg_combos(exec *x, xagg *g, const vg_val *byv, const vg_rowget *get, int64_t t)
{
	uint32_t idx[MAX_BY] = {0};
	vg_val one[MAX_BY];
	uint64_t n = 1;
	for (uint32_t j = 0; j < g->nby && n <= MAX_GROUPS; j++)
		if (byv[j].kind == VG_V_MV)
			n *= byv[j].nmv; /* stops past MAX_GROUPS: cannot wrap */
	if (n == 0 && !g->timechart)
		return 0;
	if (n > MAX_GROUPS)
		return vg_seterr(x->err, VG_ELIMIT, g->cmd->pos,
				 "the multivalue by fields of the command at %u make more than %u "
				 "groups for one event", (unsigned)g->cmd->pos, MAX_GROUPS);
	uint64_t done = 0;
	do {
		for (uint32_t j = 0; j < g->nby; j++)
			one[j] = byv[j].kind != VG_V_MV ? byv[j]
				 : byv[j].nmv ? byv[j].mv[idx[j]] : vg_v_null();
		int rc = 0;
		uint32_t gi = group_vals(x, g, one, t, &rc);
		if (rc)
			return rc;
		if (gi != UINT32_MAX)
			agg_update_row(g, gi, get, t);
		/* One event may make up to a million groups: seconds, so the
		 * time limit is looked at here too. */
		if ((++done & 4095) == 0 && (rc = ex_timed_out(x)) != 0)
			return rc;
	} while (next_combo(byv, idx, g->nby));
	return 0;
}

/* Aggregate a row read through get (a table row, or an event row whose by
 * fields hold a multivalue) at time t. The by values are read first, and
 * copied into arena `copy` when a later read may overwrite them (an event
 * row's text in x->scratch); NULL when they stay put (a table's cells). */
static int agg_row(exec *x, const vg_rowget *get, int64_t t, vg_arena *copy)
{
	xagg *g = x->agg;
	vg_val byv[MAX_BY];
	char cell[64];
	int mv = 0;
	assert(g->nby <= MAX_BY);
	if (g->cmd->kind == VG_CMD_GEOSTATS) {
		vg_val lat, lon;
		double la = NAN;
		int isint;
		int64_t i;
		get->get(get->ctx, &g->aggs[g->naggs - 2].field, &lat);
		if (!ex_agg_numeric(&lat, &la, &isint, &i))
			return 0;
		get->get(get->ctx, &g->aggs[g->naggs - 1].field, &lon);
		if (!geo_cell(g->cmd, la, &lon, cell, sizeof cell))
			return 0;
	}
	for (uint32_t j = 0; j < g->nby; j++) {
		if (j == 0 && g->cmd->kind == VG_CMD_GEOSTATS) {
			byv[j] = vg_v_str(cell, strlen(cell));
			continue;
		}
		get->get(get->ctx, &g->by[j], &byv[j]);
		if (copy)
			byv[j] = val_copy(copy, &byv[j]);
		mv |= byv[j].kind == VG_V_MV;
	}
	if (mv)
		return agg_combos(x, g, byv, get, t);
	int rc = 0;
	uint32_t gi = group_vals(x, g, byv, t, &rc);
	if (gi != UINT32_MAX)
		agg_update_row(g, gi, get, t);
	return rc;
}

/* The group of an event row: the text of its by values, as agg_row makes
 * it, but read by slot; with one by field on a dictionary column, each
 * distinct value of the block is looked up once. Returns the group, or
 * UINT32_MAX to leave the row out, or sets *err_rc. */
uint32_t ex_group_x(exec *x, xagg *g, xrow *rw, int64_t t, int *err_rc)
{
	int dict = 0;
	const vg_col *col = NULL;
	uint32_t sid = 0;
	if (g->nby == 1 && !g->timechart && rw->bk && g->byslot[0] >= 0 && rw->nov == 0) {
		int c = rw->colof[g->byslot[0]];
		col = c >= 0 && rw->bk->loaded[c] ? &rw->bk->cols[c] : NULL;
		if (col && col->str_dict && col->types[rw->r] == VG_T_STR) {
			dict = 1;
			sid = col->sid[rw->r];
			if (g->dserial != x->serial) {
				if (g->ndgroup < col->nstrs) {
					free(g->dgroup);
					g->ndgroup = col->nstrs * 2;
					g->dgroup = vg_xmalloc(g->ndgroup * sizeof *g->dgroup);
				}
				memset(g->dgroup, 0, col->nstrs * sizeof *g->dgroup);
				g->dserial = x->serial;
			}
			if (g->dgroup[sid])
				return g->dgroup[sid] - 1;
		}
	}
	vg_buf *keytext = &g->key;
	vg_buf_clear(keytext);
	char cell[64];
	if (g->cmd->kind == VG_CMD_GEOSTATS) {
		vg_val lat, lon;
		ex_agg_get(rw, &g->aggs[g->naggs - 2].field, g->aggslot[g->naggs - 2], &lat,
			   &x->scratch);
		double la = NAN;
		int isint;
		int64_t i;
		if (!ex_agg_numeric(&lat, &la, &isint, &i))
			return UINT32_MAX;
		ex_agg_get(rw, &g->aggs[g->naggs - 1].field, g->aggslot[g->naggs - 1], &lon,
			   &x->scratch);
		if (!geo_cell(g->cmd, la, &lon, cell, sizeof cell))
			return UINT32_MAX;
	}
	for (uint32_t j = 0; j < g->nby; j++) {
		vg_val v;
		if (j == 0 && g->cmd->kind == VG_CMD_GEOSTATS)
			v = vg_v_str(cell, strlen(cell));
		else
			ex_agg_get(rw, &g->by[j], g->byslot[j], &v, &x->scratch);
		if (v.kind == VG_V_NULL && !g->timechart)
			return UINT32_MAX;
		key_put(g, keytext, j, &v);
	}
	int64_t bucket = g->timechart ? t - ((t % g->span) + g->span) % g->span : 0;
	int isnew;
	uint32_t gi = group_of(g, (const char *)keytext->p, (uint32_t)keytext->len, bucket, &isnew);
	if (isnew) {
		if (group_new(x, g, gi, (const char *)keytext->p, (uint32_t)keytext->len, bucket)) {
			*err_rc = x->err->code;
			return UINT32_MAX;
		}
		for (uint32_t j = 0; j < g->nby; j++) {
			vg_val v;
			if (j == 0 && g->cmd->kind == VG_CMD_GEOSTATS)
				v = vg_v_str(cell, strlen(cell));
			else
				ex_agg_get(rw, &g->by[j], g->byslot[j], &v, &x->scratch);
			g->byvals[(size_t)gi * g->nby + j] = val_copy(&g->arena, &v);
		}
	}
	if (dict)
		g->dgroup[sid] = gi + 1;
	return gi;
}

/* Whether a by field of the row holds a multivalue: only a field a
 * command computed can (stored columns never do: FORMAT.md), so a row
 * without a computed multivalue is told at a glance. */
static int by_multivalue(const xagg *g, const xrow *rw)
{
	int any = 0;
	for (uint32_t k = 0; k < rw->nov; k++)
		any |= rw->ov[k].v.kind == VG_V_MV;
	for (uint32_t j = g->cmd->kind == VG_CMD_GEOSTATS; any && j < g->nby; j++) {
		const vg_val *v = ov_find(rw, g->by[j].s, g->by[j].len);
		if (v && v->kind == VG_V_MV)
			return 1;
	}
	return 0;
}

/* agg_row for an event row of the scan. */
static int agg_row_x(exec *x, xrow *rw)
{
	xagg *g = x->agg;
	if (by_multivalue(g, rw)) {
		vg_rowget get = {rowget_cb, rw};
		return agg_row(x, &get, rw->t, &x->rowarena);
	}
	int rc = 0;
	uint32_t gi = ex_group_x(x, g, rw, rw->t, &rc);
	if (gi == UINT32_MAX)
		return rc;
	for (uint32_t a = 0; a < g->naggs; a++) {
		vg_val v = vg_v_null();
		if (g->aggs[a].has_field)
			ex_agg_get(rw, &g->aggs[a].field, g->aggslot[a], &v, &x->scratch);
		ex_agg_update(g, &g->st[(size_t)gi * g->naggs + a], &g->aggs[a], &v, rw->t);
	}
	return 0;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The final value of an aggregation state. */
static vg_val agg_final(vg_arena *a, aggst *s, const vg_qagg *ag)
{
	switch (ag->fn) {
	case VG_AGG_COUNT: return vg_v_int((int64_t)s->n);
	case VG_AGG_DC: return vg_v_int(s->nset);
	case VG_AGG_SUM:
		if (s->n == 0)
			return vg_v_null();
		if (s->allint && s->isum >= INT64_MIN && s->isum <= INT64_MAX)
			return vg_v_int((int64_t)s->isum);
		return vg_v_dbl((double)s->isum + s->sum);
	case VG_AGG_AVG:
		if (s->n == 0)
			return vg_v_null();
		return vg_v_dbl(((double)s->isum + s->sum) / (double)s->n);
	case VG_AGG_MIN: return s->n ? s->min : vg_v_null();
	case VG_AGG_MAX: return s->n ? s->max : vg_v_null();
	case VG_AGG_PERC: {
		if (s->nvals == 0)
			return vg_v_null();
		qsort(s->vals, s->nvals, sizeof *s->vals, cmp_dbl);
		/* Nearest rank. */
		double r = ag->perc / 100.0 * s->nvals;
		uint32_t k = (uint32_t)ceil(r);
		k = k ? k - 1 : 0;
		if (k >= s->nvals)
			k = s->nvals - 1;
		double v = s->vals[k];
		return v == floor(v) && fabs(v) < 9e15 ? vg_v_int((int64_t)v) : vg_v_dbl(v);
	}
	case VG_AGG_VALUES: {
		if (s->nset == 0)
			return vg_v_null();
		qsort(s->strs, s->nset, sizeof *s->strs, cmp_str);
		vg_val *mv = vg_arena_alloc(a, s->nset * sizeof *mv);
		for (uint32_t k = 0; k < s->nset; k++)
			mv[k] = vg_v_str(s->strs[k], strlen(s->strs[k]));
		vg_val r = {0};
		r.kind = VG_V_MV;
		r.mv = mv;
		r.nmv = s->nset;
		return r;
	}
	case VG_AGG_EARLIEST:
	case VG_AGG_LATEST: return s->n ? s->best : vg_v_null();
	default: return vg_v_null();
	}
}

static void agg_free(xagg *g)
{
	if (g == NULL)
		return;
	for (size_t k = 0; k < (size_t)g->ngroups * g->naggs; k++) {
		free(g->st[k].vals);
		free(g->st[k].set);
		free(g->st[k].strs);
		free(g->st[k].lens);
	}
	free(g->st);
	free(g->ht);
	free(g->htidx);
	free(g->keys);
	free(g->keylens);
	free(g->byvals);
	free(g->bucket);
	free(g->dgroup);
	vg_buf_free(&g->key);
	vg_arena_free(&g->arena);
	free(g);
}

/* ---------------------------------------------------------- the table */

static vg_val *trow(table *t, uint32_t r)
{
	return &t->cells[(size_t)r * t->ncols];
}

static vg_val *table_add(table *t)
{
	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->cells = vg_xrealloc(t->cells, (size_t)t->cap * t->ncols * sizeof *t->cells);
	}
	vg_val *r = trow(t, t->nrows++);
	for (uint32_t c = 0; c < t->ncols; c++)
		r[c] = vg_v_null();
	return r;
}

static const char *qname_dup(vg_arena *a, const char *s)
{
	return vg_arena_dup(a, s, strlen(s));
}

static void table_sort(table *t, const uint32_t *cols, const uint8_t *desc, uint32_t n,
		       uint32_t limit);

/* stats / geostats-like output: by columns, then one per aggregation. */
static void table_stats(exec *x, table *t)
{
	xagg *g = x->agg;
	t->ncols = g->nby + g->naggs;
	t->cols = vg_arena_alloc(x->a, t->ncols * sizeof *t->cols);
	for (uint32_t j = 0; j < g->nby; j++)
		t->cols[j] = qname_dup(x->a, g->by[j].s);
	for (uint32_t a = 0; a < g->naggs; a++)
		t->cols[g->nby + a] = vg_arena_dup(x->a, g->aggs[a].as, g->aggs[a].as_len);
	if (g->nby == 0 && g->ngroups == 0) {
		/* No event: one row all the same, as Splunk gives (count 0). */
		vg_val *r = table_add(t);
		for (uint32_t a = 0; a < g->naggs; a++) {
			aggst empty;
			memset(&empty, 0, sizeof empty);
			r[a] = agg_final(x->a, &empty, &g->aggs[a]);
		}
	}
	if (g->ngroups > t->cap) {
		/* A row per group: room for all at once, not by doubling. */
		t->cap = g->ngroups;
		t->cells = vg_xrealloc(t->cells, (size_t)t->cap * t->ncols * sizeof *t->cells);
	}
	for (uint32_t gi = 0; gi < g->ngroups; gi++) {
		vg_val *r = table_add(t);
		for (uint32_t j = 0; j < g->nby; j++)
			r[j] = val_copy(x->a, &g->byvals[(size_t)gi * g->nby + j]);
		for (uint32_t a = 0; a < g->naggs; a++) {
			vg_val v = agg_final(&g->arena, &g->st[(size_t)gi * g->naggs + a], &g->aggs[a]);
			r[g->nby + a] = val_copy(x->a, &v);
		}
	}
	/* Splunk sorts stats output by its by fields. */
	uint32_t keys[VG_Q_MAX_ITEMS];
	uint8_t desc[VG_Q_MAX_ITEMS] = {0};
	for (uint32_t j = 0; j < g->nby && j < VG_Q_MAX_ITEMS; j++)
		keys[j] = j;
	table_sort(t, keys, desc, g->nby, 0);
	x->res->table = 1;
}

/* Row order for sort, stats and top: by key columns, then by the rows'
 * order before the sort, so that the sort is stable as Splunk's is (and
 * as glibc's qsort, which this replaced, was). */
typedef struct sortspec {
	table *t;
	const uint32_t *cols;
	const uint8_t *desc;
	uint32_t n;
} sortspec;

static int rows_cmp(const sortspec *s, uint32_t a, uint32_t b)
{
	const vg_val *x = trow(s->t, a), *y = trow(s->t, b);
	for (uint32_t k = 0; k < s->n; k++) {
		int c = vg_val_cmp(&x[s->cols[k]], &y[s->cols[k]]);
		if (c)
			return s->desc[k] ? -c : c;
	}
	return (a > b) - (a < b);
}

/* A row to sort and a prefix of its order: rows whose k differ are in
 * the order of k; rows with equal k, in rows_cmp's. */
typedef struct rkey {
	uint64_t k;
	uint32_t r;
} rkey;

static inline int rkey_cmp(const sortspec *s, const rkey *a, const rkey *b)
{
	if (a->k != b->k)
		return a->k < b->k ? -1 : 1;
	return rows_cmp(s, a->r, b->r);
}

/* Sort p[0..n) by rkey_cmp: insertion sort of short runs, then bottom-up
 * merges through tmp (n entries). */
static void rows_merge_sort(const sortspec *s, rkey *p, rkey *tmp, uint32_t n)
{
	enum { RUN = 16 };
	for (uint32_t lo = 0; lo < n; lo += RUN) {
		uint32_t hi = n - lo < RUN ? n : lo + RUN;
		for (uint32_t i = lo + 1; i < hi; i++) {
			rkey v = p[i];
			uint32_t j = i;
			for (; j > lo && rkey_cmp(s, &p[j - 1], &v) > 0; j--)
				p[j] = p[j - 1];
			p[j] = v;
		}
	}
	rkey *src = p, *dst = tmp;
	for (uint32_t w = RUN; w < n; w *= 2) {
		for (uint32_t lo = 0; lo < n; lo += 2 * w) {
			uint32_t mid = n - lo < w ? n : lo + w;
			uint32_t hi = n - mid < w ? n : mid + w;
			uint32_t i = lo, j = mid, o = lo;
			while (i < mid && j < hi)
				dst[o++] = rkey_cmp(s, &src[j], &src[i]) < 0 ? src[j++] : src[i++];
			while (i < mid)
				dst[o++] = src[i++];
			while (j < hi)
				dst[o++] = src[j++];
		}
		rkey *sw = src;
		src = dst;
		dst = sw;
	}
	if (src != p)
		memcpy(p, src, (size_t)n * sizeof *p);
}

/* The first k of the n entries of p (k < n) in rkey_cmp order into
 * p[0..k): a max-heap of the best k so far, so that most entries cost one
 * comparison with its top. */
static void rows_top_k(const sortspec *s, rkey *p, rkey *tmp, uint32_t n, uint32_t k)
{
	for (uint32_t e = 0; e < n; e++) {
		rkey v = p[e];
		uint32_t i;
		if (e < k) {
			for (i = e; i > 0 && rkey_cmp(s, &p[(i - 1) / 2], &v) < 0; i = (i - 1) / 2)
				p[i] = p[(i - 1) / 2];
		} else if (rkey_cmp(s, &v, &p[0]) < 0) {
			for (i = 0;;) {
				uint32_t c = 2 * i + 1;
				if (c >= k)
					break;
				if (c + 1 < k && rkey_cmp(s, &p[c + 1], &p[c]) > 0)
					c++;
				if (rkey_cmp(s, &p[c], &v) <= 0)
					break;
				p[i] = p[c];
				i = c;
			}
		} else {
			continue;
		}
		p[i] = v;
	}
	rows_merge_sort(s, p, tmp, k);
}

/* A value as it stands in an order (vg_val_cmp): a multivalue by its first
 * value, a boolean as 0 or 1. */
static const vg_val *order_plain(const vg_val *v, vg_val *tmp)
{
	while (v->kind == VG_V_MV) {
		if (v->nmv == 0) {
			*tmp = vg_v_null();
			return tmp;
		}
		v = &v->mv[0];
	}
	if (v->kind == VG_V_BOOL) {
		*tmp = vg_v_int(v->i);
		return tmp;
	}
	return v;
}

/* One sort key column as unsigned integers in vg_val_cmp's order of its
 * numbers (ascending), into keys[r].k; nulls are 0 and flagged in isnull.
 * 0 if the column does not allow it: text, or integers a double cannot
 * hold next to doubles (vg_val_cmp compares those exactly). */
static int num_keys(table *t, uint32_t col, rkey *keys, uint8_t *isnull)
{
	int dbl = 0, big = 0;
	vg_val tmp;
	for (uint32_t r = 0; r < t->nrows; r++) {
		const vg_val *v = order_plain(&trow(t, r)[col], &tmp);
		if (v->kind == VG_V_STR)
			return 0;
		if (v->kind == VG_V_NUM && !v->isint)
			dbl = 1;
		else if (v->kind == VG_V_NUM && (v->i > (1ll << 53) || v->i < -(1ll << 53)))
			big = 1;
	}
	if (dbl && big)
		return 0;
	for (uint32_t r = 0; r < t->nrows; r++) {
		const vg_val *v = order_plain(&trow(t, r)[col], &tmp);
		uint64_t k = 0;
		isnull[r] = v->kind == VG_V_NULL;
		if (isnull[r]) {
			k = 0;
		} else if (!dbl) {
			k = (uint64_t)v->i ^ (1ull << 63);
		} else {
			double d = v->isint ? (double)v->i : v->d;
			if (isnan(d)) {
				k = 0; /* below every number, as in vg_val_cmp */
			} else {
				if (d == 0)
					d = 0; /* -0 equals 0 */
				uint64_t b;
				memcpy(&b, &d, sizeof b);
				/* Above every NaN's 0: -inf maps to 0x000F_FFFF_FFFF_FFFF. */
				k = b >> 63 ? ~b : b | (1ull << 63);
			}
		}
		keys[r] = (rkey){k, r};
	}
	return 1;
}

/* A text key column's bytes 8 * depth .. 8 * depth + 7 of each value of
 * p[0..n), big-endian, 0 past its end (nulls: none), as p[].k, and ~k when
 * descending; *more: some value goes on past them. 0 if a value is not
 * text or null. */
static int text_chunk(table *t, uint32_t col, int desc, rkey *p, uint32_t n, uint32_t depth,
		      int *more)
{
	vg_val tmp;
	size_t at = (size_t)depth * 8;
	*more = 0;
	for (uint32_t e = 0; e < n; e++) {
		const vg_val *v = order_plain(&trow(t, p[e].r)[col], &tmp);
		uint64_t k = 0;
		if (v->kind == VG_V_STR) {
			for (size_t b = at; b < at + 8; b++)
				k = k << 8 | (b < v->len ? (uint8_t)v->s[b] : 0);
			*more |= v->len > at + 8;
		} else if (v->kind != VG_V_NULL) {
			return 0;
		}
		p[e].k = desc ? ~k : k;
	}
	return 1;
}

static void radix_sort(rkey *keys, rkey *tmp, uint32_t n);
static void rows_merge_sort(const sortspec *s, rkey *p, rkey *tmp, uint32_t n);

/* Sort p[0..n) (rows whose first key, text, agrees in its first 8 * depth
 * bytes) in rkey_cmp order: by the next 8 bytes (radix), then each run
 * that agrees in them too, by the bytes after, until the texts end; the
 * rest is rows_cmp's (which also tells null from "" and "\0"). */
static void text_sort(const sortspec *s, rkey *p, rkey *tmp, uint32_t n, uint32_t depth)
{
	int more;
	if (n < 32 || !text_chunk(s->t, s->cols[0], s->desc[0], p, n, depth, &more)) {
		rows_merge_sort(s, p, tmp, n);
		return;
	}
	radix_sort(p, tmp, n);
	for (uint32_t lo = 0; lo < n;) {
		uint32_t hi = lo + 1;
		while (hi < n && p[hi].k == p[lo].k)
			hi++;
		if (hi - lo > 1) {
			if (more)
				text_sort(s, p + lo, tmp, hi - lo, depth + 1);
			else
				rows_merge_sort(s, p + lo, tmp, hi - lo);
		}
		lo = hi;
	}
}

/* Stable LSD radix sort of keys[0..n) by k, a byte at a time, skipping the
 * bytes all keys share. */
static void radix_sort(rkey *keys, rkey *tmp, uint32_t n)
{
	static __thread uint32_t cnt[8][256];
	if (n < 2)
		return;
	memset(cnt, 0, sizeof cnt);
	for (uint32_t i = 0; i < n; i++)
		for (int b = 0; b < 8; b++)
			cnt[b][(keys[i].k >> (8 * b)) & 0xff]++;
	rkey *src = keys, *dst = tmp;
	for (int b = 0; b < 8; b++) {
		if (cnt[b][(keys[0].k >> (8 * b)) & 0xff] == n)
			continue;
		uint32_t sum = 0;
		for (int d = 0; d < 256; d++) {
			uint32_t c = cnt[b][d];
			cnt[b][d] = sum;
			sum += c;
		}
		for (uint32_t i = 0; i < n; i++)
			dst[cnt[b][(src[i].k >> (8 * b)) & 0xff]++] = src[i];
		rkey *sw = src;
		src = dst;
		dst = sw;
	}
	if (src != keys)
		memcpy(keys, src, (size_t)n * sizeof *keys);
}

/* Sort t's rows by columns cols (desc: descending), stably; with limit
 * (not 0) keep only the first limit rows, found without sorting the rest.
 * A single numeric key is radix sorted; otherwise rows are compared on a
 * prefix of their first key (its number, or its text's first bytes), and
 * on the values where the prefixes are equal; a text first key is radix
 * sorted 8 bytes at a time (text_sort). */
static void table_sort(table *t, const uint32_t *cols, const uint8_t *desc, uint32_t n,
		       uint32_t limit)
{
	uint32_t nr = t->nrows, keep = limit && limit < nr ? limit : nr;
	if (t->ncols == 0 || (nr < 2 && keep == nr))
		return;
	rkey *keys = vg_xmalloc((size_t)nr * 2 * sizeof *keys), *tmp = keys + nr;
	uint8_t *isnull = vg_xmalloc(nr);
	uint32_t *p = vg_xmalloc((size_t)nr * sizeof *p);
	sortspec s = {t, cols, desc, n};
	int num = n > 0 && num_keys(t, cols[0], keys, isnull);
	if (n == 1 && num) {
		/* Nulls apart, first (last when descending, as vg_val_cmp
		 * negated puts them), in their order. */
		uint32_t m = 0, nn = 0;
		for (uint32_t r = 0; r < nr; r++)
			if (!isnull[r])
				keys[m++] = (rkey){desc[0] ? ~keys[r].k : keys[r].k, r};
		radix_sort(keys, tmp, m);
		if (!desc[0])
			for (uint32_t r = 0; r < nr; r++)
				if (isnull[r])
					p[nn++] = r;
		for (uint32_t i = 0; i < m; i++)
			p[nn++] = keys[i].r;
		if (desc[0])
			for (uint32_t r = 0; r < nr; r++)
				if (isnull[r])
					p[nn++] = r;
	} else {
		int more;
		if (!num)
			for (uint32_t r = 0; r < nr; r++)
				keys[r] = (rkey){0, r};
		int text = !num && n > 0 && text_chunk(t, cols[0], desc[0], keys, nr, 0, &more);
		if (!num && !text)
			for (uint32_t r = 0; r < nr; r++)
				keys[r].k = 0; /* mixed kinds: rows_cmp alone */
		if (num && desc[0])
			for (uint32_t r = 0; r < nr; r++)
				keys[r].k = ~keys[r].k;
		if (keep < nr / 4)
			rows_top_k(&s, keys, tmp, nr, keep);
		else if (text)
			text_sort(&s, keys, tmp, nr, 0);
		else
			rows_merge_sort(&s, keys, tmp, nr);
		for (uint32_t i = 0; i < keep; i++)
			p[i] = keys[i].r;
	}
	vg_val *cells = vg_xmalloc(((size_t)keep * t->ncols + 1) * sizeof *cells);
	for (uint32_t r = 0; r < keep; r++)
		memcpy(&cells[(size_t)r * t->ncols], trow(t, p[r]), t->ncols * sizeof *cells);
	free(keys);
	free(isnull);
	free(p);
	free(t->cells);
	t->cells = cells;
	t->nrows = t->cap = keep;
}

static int col_index(const table *t, const char *name)
{
	for (uint32_t c = 0; c < t->ncols; c++)
		if (strcmp(t->cols[c], name) == 0)
			return (int)c;
	return -1;
}

/* top / rare: count by fields (within each by group), most (least)
 * frequent first, limit per group, with count and percent columns. */
static void table_top(exec *x, table *t)
{
	xagg *g = x->agg;
	const vg_qcmd *cmd = g->cmd;
	uint32_t nf = cmd->top.fields.n, nb = cmd->top.by.n;
	int rare = cmd->kind == VG_CMD_RARE;
	t->ncols = nb + nf + cmd->top.showcount + cmd->top.showperc;
	t->cols = vg_arena_alloc(x->a, t->ncols * sizeof *t->cols);
	for (uint32_t j = 0; j < nb; j++)
		t->cols[j] = qname_dup(x->a, cmd->top.by.v[j].s);
	for (uint32_t j = 0; j < nf; j++)
		t->cols[nb + j] = qname_dup(x->a, cmd->top.fields.v[j].s);
	uint32_t cc = nb + nf;
	if (cmd->top.showcount)
		t->cols[cc++] = qname_dup(x->a, cmd->top.countfield ? cmd->top.countfield : "count");
	if (cmd->top.showperc)
		t->cols[cc] = qname_dup(x->a, cmd->top.percentfield ? cmd->top.percentfield : "percent");
	/* g->by is by fields first, then the counted fields. */
	table all = {0};
	all.ncols = nb + nf + 1;
	for (uint32_t gi = 0; gi < g->ngroups; gi++) {
		vg_val *r = table_add(&all);
		for (uint32_t j = 0; j < nb + nf; j++)
			r[j] = g->byvals[(size_t)gi * g->nby + j];
		r[nb + nf] = vg_v_int((int64_t)g->st[gi].n);
	}
	uint32_t keys[VG_Q_MAX_ITEMS + 1];
	uint8_t desc[VG_Q_MAX_ITEMS + 1];
	for (uint32_t j = 0; j < nb; j++) {
		keys[j] = j;
		desc[j] = 0;
	}
	keys[nb] = nb + nf;
	desc[nb] = (uint8_t)!rare;
	for (uint32_t j = 0; j < nf; j++) {
		keys[nb + 1 + j] = nb + j;
		desc[nb + 1 + j] = 0;
	}
	/* Without by fields, one group: its total first, then only the
	 * first `limit` rows need sorting. */
	uint32_t lim = cmd->top.limit;
	uint64_t all_total = 0;
	if (nb == 0)
		for (uint32_t r = 0; r < all.nrows; r++)
			all_total += (uint64_t)trow(&all, r)[nf].i;
	table_sort(&all, keys, desc, nb + 1 + nf, nb == 0 ? lim : 0);
	for (uint32_t r0 = 0; r0 < all.nrows;) {
		/* One by group: rows r0..r1 share the by values. */
		uint32_t r1 = r0;
		uint64_t total = 0;
		while (r1 < all.nrows) {
			int same = 1;
			for (uint32_t j = 0; j < nb && same; j++)
				same = vg_val_cmp(&trow(&all, r1)[j], &trow(&all, r0)[j]) == 0;
			if (!same)
				break;
			total += (uint64_t)trow(&all, r1)[nb + nf].i;
			r1++;
		}
		if (nb == 0)
			total = all_total;
		for (uint32_t r = r0; r < r1 && (lim == 0 || r - r0 < lim); r++) {
			vg_val *src = trow(&all, r), *dst = table_add(t);
			for (uint32_t j = 0; j < nb + nf; j++)
				dst[j] = val_copy(x->a, &src[j]);
			uint32_t c = nb + nf;
			if (cmd->top.showcount)
				dst[c++] = src[nb + nf];
			if (cmd->top.showperc)
				dst[c] = vg_v_dbl(total ? round(1e8 * (double)src[nb + nf].i / (double)total) / 1e6
							: 0);
		}
		r0 = r1;
	}
	free(all.cells);
}

static void aggst_merge(xagg *g, aggst *a, aggst *b, const vg_qagg *ag);

/* A group of timechart's `by` field: its series, its bucket, and the
 * column it draws in. */
typedef struct tcref {
	const char *name;   /* the series: the by value's text, or nullstr */
	int64_t bucket;
	uint32_t gi;
	uint32_t ser;       /* the series' index in name order */
	uint32_t col;       /* its column among an aggregation's: the series'
			     * rank, or keep for OTHER; UINT32_MAX: none */
} tcref;

/* A series and its score, by which Splunk ranks them: the sum of its
 * cells' values for a single aggregation (avg: the sum of the buckets'
 * averages), else its number of events. */
typedef struct tcser {
	const char *name;
	double score;
	uint32_t id;        /* its index in name order */
} tcser;

static int cmp_tcref_series(const void *a, const void *b)
{
	const tcref *p = a, *q = b;
	int c = strcmp(p->name, q->name);
	if (c)
		return c;
	if (p->bucket != q->bucket)
		return p->bucket < q->bucket ? -1 : 1;
	return p->gi < q->gi ? -1 : p->gi > q->gi;
}

static int cmp_tcref_cell(const void *a, const void *b)
{
	const tcref *p = a, *q = b;
	if (p->bucket != q->bucket)
		return p->bucket < q->bucket ? -1 : 1;
	if (p->col != q->col)
		return p->col < q->col ? -1 : 1;
	return p->gi < q->gi ? -1 : p->gi > q->gi;
}

/* Highest score first; ties by name, byte order, as Splunk breaks them. */
static int cmp_tcser(const void *a, const void *b)
{
	const tcser *p = a, *q = b;
	if (p->score != q->score)
		return p->score > q->score ? -1 : 1;
	return strcmp(p->name, q->name);
}

/* limit=bottomN: lowest score first, ties by name as above. */
static int cmp_tcser_bottom(const void *a, const void *b)
{
	const tcser *p = a, *q = b;
	if (p->score != q->score)
		return p->score < q->score ? -1 : 1;
	return strcmp(p->name, q->name);
}

/* The value of aggregation a over the groups refs[0..n): one group's own,
 * or, when several share a cell (the series folded into OTHER; a null
 * series and a value equal to nullstr), their states merged, as if all
 * their events had been one series'. Averages, distinct counts and
 * percentiles of OTHER are so those of its events, as Splunk computes
 * them, never a sum of the series' values. Borrows from g's arena. */
static vg_val tc_cell(xagg *g, const tcref *refs, uint32_t n, uint32_t a)
{
	const vg_qagg *ag = &g->aggs[a];
	if (n == 1)
		return agg_final(&g->arena, &g->st[(size_t)refs[0].gi * g->naggs + a], ag);
	aggst m = {0};
	for (uint32_t k = 0; k < n; k++)
		aggst_merge(g, &m, &g->st[(size_t)refs[k].gi * g->naggs + a], ag);
	/* agg_final's value lives in g's arena, never in m's arrays. */
	vg_val v = agg_final(&g->arena, &m, ag);
	free(m.vals);
	free(m.set);
	free(m.strs);
	free(m.lens);
	return v;
}

/* The groups of timechart's by field as refs, sorted by series then bucket,
 * each with its series' index (*nser series); under usenull=f those of
 * events without the field are left out. Caller frees. */
static tcref *tc_refs(xagg *g, uint32_t *nref, uint32_t *nser)
{
	const vg_qcmd *cmd = g->cmd;
	tcref *refs = vg_xmalloc((g->ngroups ? g->ngroups : 1) * sizeof *refs);
	uint32_t n = 0;
	for (uint32_t gi = 0; gi < g->ngroups; gi++) {
		int none = g->byvals[(size_t)gi * g->nby].kind == VG_V_NULL;
		if (none && !cmd->timechart.usenull)
			continue;
		/* A key starts with key_put's 'n' or 'v'. */
		refs[n++] = (tcref){none ? cmd->timechart.nullstr : g->keys[gi] + 1, g->bucket[gi], gi, 0, 0};
	}
	if (n > 1)
		qsort(refs, n, sizeof *refs, cmp_tcref_series);
	uint32_t s = 0;
	for (uint32_t k = 0; k < n; k++) {
		if (k && strcmp(refs[k].name, refs[k - 1].name) != 0)
			s++;
		refs[k].ser = s;
	}
	*nref = n;
	*nser = n ? s + 1 : 0;
	return refs;
}

/* The series of refs (sorted by tc_refs) ranked, best first (lowest first
 * under limit=bottomN), by the values of aggregation a; sets each ref's
 * column: its series' rank among the `keep` kept, keep for OTHER,
 * UINT32_MAX when dropped. Caller frees. */
static tcser *tc_rank(xagg *g, tcref *refs, uint32_t nref, uint32_t nser, uint32_t keep, uint32_t a)
{
	tcser *ser = vg_xmalloc((nser ? nser : 1) * sizeof *ser);
	for (uint32_t k = 0; k < nref;) {
		uint32_t e = k;
		while (e < nref && refs[e].ser == refs[k].ser && refs[e].bucket == refs[k].bucket)
			e++;
		tcser *s = &ser[refs[k].ser];
		if (k == 0 || refs[k - 1].ser != refs[k].ser)
			*s = (tcser){refs[k].name, 0, refs[k].ser};
		vg_val v = tc_cell(g, refs + k, e - k, a);
		double d;
		int isint;
		int64_t i;
		if (ex_agg_numeric(&v, &d, &isint, &i))
			s->score += isint ? (double)i : d;
		k = e;
	}
	if (nser > 1)
		qsort(ser, nser, sizeof *ser, g->cmd->timechart.bottom ? cmp_tcser_bottom : cmp_tcser);
	uint32_t *rank = vg_xmalloc((nser ? nser : 1) * sizeof *rank);
	for (uint32_t r = 0; r < nser; r++)
		rank[ser[r].id] = r;
	for (uint32_t k = 0; k < nref; k++) {
		uint32_t r = rank[refs[k].ser];
		refs[k].col = r < keep ? r : g->cmd->timechart.useother ? keep : UINT32_MAX;
	}
	free(rank);
	return ser;
}

/* timechart's cells by series: each (bucket, column) of each of the nu
 * aggregations shown from its groups; an aggregation's columns are w
 * wide. */
static void tc_fill(exec *x, xagg *g, table *t, tcref *refs, uint32_t nref, int64_t lo, uint32_t nb,
		    uint32_t nu, uint32_t w)
{
	if (nref > 1)
		qsort(refs, nref, sizeof *refs, cmp_tcref_cell);
	for (uint32_t k = 0; k < nref;) {
		uint32_t e = k;
		while (e < nref && refs[e].bucket == refs[k].bucket && refs[e].col == refs[k].col)
			e++;
		int64_t b = (refs[k].bucket - lo) / g->span;
		for (uint32_t a = 0; a < nu && refs[k].col != UINT32_MAX && b >= 0 && b < nb; a++) {
			vg_val v = tc_cell(g, refs + k, e - k, a);
			trow(t, (uint32_t)b)[1 + a * w + refs[k].col] = val_copy(x->a, &v);
		}
		k = e;
	}
}

/* The name of timechart's column for aggregation ag and series s: the
 * series alone under a single aggregation, else "agg: series". */
static const char *tc_colname(exec *x, const vg_qagg *ag, const char *s, int alone)
{
	if (alone)
		return qname_dup(x->a, s);
	vg_buf n = {0};
	vg_buf_printf(&n, "%.*s: %s", (int)ag->as_len, ag->as, s);
	const char *r = vg_arena_dup(x->a, (const char *)n.p, n.len);
	vg_buf_free(&n);
	return r;
}

/* timechart: a row per bucket over the whole range, and a column per
 * aggregation or, with `by f`, per aggregation and series of f: as
 * Splunk, the `limit` best (tc_rank's score; all when limit=0) in rank
 * order, then the others as one series, OTHER, unless useother=f drops
 * them. Events without f make the series NULL, unless usenull=f drops
 * them. */
static void table_timechart(exec *x, table *t)
{
	xagg *g = x->agg;
	const vg_qcmd *cmd = g->cmd;
	int64_t lo = x->from, hi = x->to;
	for (uint32_t gi = 0; gi < g->ngroups; gi++) {
		if (lo == INT64_MIN || g->bucket[gi] < lo)
			lo = lo == INT64_MIN || g->bucket[gi] < lo ? g->bucket[gi] : lo;
		if (hi == INT64_MAX || g->bucket[gi] + g->span > hi)
			hi = hi == INT64_MAX || g->bucket[gi] + g->span > hi ? g->bucket[gi] + g->span : hi;
	}
	if (g->ngroups == 0) {
		lo = hi = 0;
	}
	lo -= ((lo % g->span) + g->span) % g->span;
	uint32_t nb = lo < hi ? (uint32_t)((hi - lo + g->span - 1) / g->span) : 0;
	if (nb > 100000)
		nb = 100000;
	/* The aggregations shown: make_agg adds a count past them to rank
	 * series when there are several. */
	uint32_t nu = cmd->timechart.aggs.n, w = 1;
	int by = cmd->timechart.by.s != NULL;
	tcref *refs = NULL;
	tcser *ser = NULL;
	uint32_t nref = 0, nser = 0, keep = 0;
	if (by) {
		refs = tc_refs(g, &nref, &nser);
		keep = cmd->timechart.limit && cmd->timechart.limit < nser ? cmd->timechart.limit : nser;
		w = keep + (cmd->timechart.useother && keep < nser);
		ser = tc_rank(g, refs, nref, nser, keep, nu == 1 ? 0 : g->naggs - 1);
	}
	t->ncols = 1 + nu * w;
	t->cols = vg_arena_alloc(x->a, t->ncols * sizeof *t->cols);
	t->cols[0] = "_time";
	for (uint32_t a = 0; a < nu; a++)
		for (uint32_t k = 0; k < w; k++)
			t->cols[1 + a * w + k] =
				!by ? vg_arena_dup(x->a, g->aggs[a].as, g->aggs[a].as_len)
				    : tc_colname(x, &g->aggs[a],
						 k < keep ? ser[k].name : cmd->timechart.otherstr, nu == 1);
	for (uint32_t b = 0; b < nb; b++) {
		vg_val *r = table_add(t);
		r[0] = vg_v_int((lo + (int64_t)b * g->span) / VG_NS_PER_SEC);
		for (uint32_t c = 0; c < nu * w; c++)
			r[1 + c] = g->aggs[c / w].fn == VG_AGG_COUNT || g->aggs[c / w].fn == VG_AGG_DC
					   ? vg_v_int(0) : vg_v_null();
	}
	if (by) {
		tc_fill(x, g, t, refs, nref, lo, nb, nu, w);
		free(refs);
		free(ser);
		return;
	}
	for (uint32_t gi = 0; gi < g->ngroups; gi++) {
		int64_t b = (g->bucket[gi] - lo) / g->span;
		if (b < 0 || b >= nb)
			continue;
		vg_val *r = trow(t, (uint32_t)b);
		for (uint32_t a = 0; a < g->naggs; a++) {
			vg_val v = agg_final(&g->arena, &g->st[(size_t)gi * g->naggs + a], &g->aggs[a]);
			r[1 + a] = v.kind == VG_V_MV ? vg_v_null() : val_copy(x->a, &v);
		}
	}
}

/* geostats' groups in map order: by cell row (south to north), cell
 * column (west to east), then group. */
typedef struct gref {
	int32_t y, x;
	uint32_t gi;
	uint32_t series;
} gref;

static int cmp_gref(const void *a, const void *b)
{
	const gref *p = a, *q = b;
	if (p->y != q->y)
		return p->y < q->y ? -1 : 1;
	if (p->x != q->x)
		return p->x < q->x ? -1 : 1;
	return p->gi < q->gi ? -1 : p->gi > q->gi;
}

/* A column's value where a cell has no group for its series: 0 for
 * counts, as timechart fills its buckets, else null. */
static vg_val agg_none(const vg_qagg *ag)
{
	return ag->fn == VG_AGG_COUNT || ag->fn == VG_AGG_DC ? vg_v_int(0) : vg_v_null();
}

/* The distinct texts of geostats' by field, sorted: its series. Each
 * group's series index into refs. */
static const char **geo_series(exec *x, xagg *g, gref *refs, uint32_t *nser)
{
	const char **texts = vg_arena_alloc(x->a, (g->ngroups ? g->ngroups : 1) * sizeof *texts);
	vg_buf b = {0};
	for (uint32_t gi = 0; gi < g->ngroups; gi++) {
		vg_buf_clear(&b);
		vg_val_text(&g->byvals[(size_t)gi * g->nby + 1], &b);
		texts[gi] = vg_arena_dup(x->a, b.p ? (const char *)b.p : "", b.len);
	}
	vg_buf_free(&b);
	const char **ser = vg_arena_alloc(x->a, (g->ngroups ? g->ngroups : 1) * sizeof *ser);
	memcpy(ser, texts, g->ngroups * sizeof *ser);
	if (g->ngroups > 1)
		qsort(ser, g->ngroups, sizeof *ser, cmp_str);
	uint32_t n = 0;
	for (uint32_t k = 0; k < g->ngroups; k++)
		if (n == 0 || strcmp(ser[n - 1], ser[k]) != 0)
			ser[n++] = ser[k];
	for (uint32_t k = 0; k < g->ngroups; k++) {
		const char **hit = bsearch(&texts[refs[k].gi], ser, n, sizeof *ser, cmp_str);
		refs[k].series = (uint32_t)(hit - ser);
	}
	*nser = n;
	return ser;
}

/* geostats: a row per grid cell, south-west first: its name (geobin), the
 * mean of its rows' coordinates (latitude, longitude: where a map draws
 * it), then the aggregations; with `by g`, a column per value of g (per
 * aggregation and value, "agg: value", when there are several), as
 * Splunk's geostats pivots the by field for its pie charts. */
static void table_geostats(exec *x, table *t)
{
	xagg *g = x->agg;
	uint32_t nu = g->naggs - 2, nser = 1;
	int by = g->nby == 2;
	gref *refs = vg_xmalloc((g->ngroups ? g->ngroups : 1) * sizeof *refs);
	for (uint32_t gi = 0; gi < g->ngroups; gi++) {
		refs[gi] = (gref){0, 0, gi, 0};
		const vg_val *cell = &g->byvals[(size_t)gi * g->nby];
		if (sscanf(cell->s, "bin_id_zl_0_y_%d_x_%d", &refs[gi].y, &refs[gi].x) != 2)
			refs[gi].y = refs[gi].x = INT32_MAX; /* not reached: geo_cell wrote it */
	}
	const char **ser = by ? geo_series(x, g, refs, &nser) : NULL;
	if (g->ngroups > 1)
		qsort(refs, g->ngroups, sizeof *refs, cmp_gref);
	uint32_t nv = by ? nu * nser : nu;
	t->ncols = 3 + nv;
	t->cols = vg_arena_alloc(x->a, t->ncols * sizeof *t->cols);
	t->cols[0] = "geobin";
	t->cols[1] = "latitude";
	t->cols[2] = "longitude";
	for (uint32_t a = 0; a < nu; a++)
		for (uint32_t k = 0; k < (by ? nser : 1); k++) {
			vg_buf n = {0};
			if (!by)
				vg_buf_put(&n, g->aggs[a].as, g->aggs[a].as_len);
			else if (nu == 1)
				vg_buf_puts(&n, ser[k]);
			else
				vg_buf_printf(&n, "%.*s: %s", (int)g->aggs[a].as_len, g->aggs[a].as, ser[k]);
			t->cols[3 + a * (by ? nser : 1) + k] = vg_arena_dup(x->a, n.p ? (const char *)n.p : "",
									     n.len);
			vg_buf_free(&n);
		}
	for (uint32_t r0 = 0; r0 < g->ngroups;) {
		uint32_t r1 = r0;
		while (r1 < g->ngroups && refs[r1].y == refs[r0].y && refs[r1].x == refs[r0].x)
			r1++;
		vg_val *row = table_add(t);
		double slat = 0, slon = 0, n = 0;
		row[0] = val_copy(x->a, &g->byvals[(size_t)refs[r0].gi * g->nby]);
		for (uint32_t a = 0; a < nu; a++)
			for (uint32_t k = 0; k < (by ? nser : 1); k++)
				row[3 + a * (by ? nser : 1) + k] = agg_none(&g->aggs[a]);
		for (uint32_t r = r0; r < r1; r++) {
			aggst *st = &g->st[(size_t)refs[r].gi * g->naggs];
			slat += (double)st[nu].isum + st[nu].sum;
			slon += (double)st[nu + 1].isum + st[nu + 1].sum;
			n += (double)st[nu].n;
			for (uint32_t a = 0; a < nu; a++) {
				vg_val v = agg_final(&g->arena, &st[a], &g->aggs[a]);
				uint32_t col = 3 + a * (by ? nser : 1) + (by ? refs[r].series : 0);
				row[col] = v.kind == VG_V_MV ? vg_v_null() : val_copy(x->a, &v);
			}
		}
		/* To a millionth of a degree (11 cm): a dot on a map needs no
		 * more, and the last bits of a sum of doubles depend on the
		 * order the scanning threads added them in. */
		row[1] = vg_v_dbl(round(slat / n * 1e6) / 1e6);
		row[2] = vg_v_dbl(round(slon / n * 1e6) / 1e6);
		r0 = r1;
	}
	free(refs);
	x->res->table = 1;
}

/* The output table of the aggregation x->agg. */
static void agg_table(exec *x, table *t)
{
	switch (x->agg->cmd->kind) {
	case VG_CMD_STATS: table_stats(x, t); break;
	case VG_CMD_TIMECHART: table_timechart(x, t); break;
	case VG_CMD_GEOSTATS: table_geostats(x, t); break;
	default: table_top(x, t); break;
	}
}

/* ------------------------------------------ commands after the transform */

/* The column named name, added (null in every row) when missing. */
static uint32_t table_col(exec *x, table *t, const char *name)
{
	int ci = col_index(t, name);
	if (ci >= 0)
		return (uint32_t)ci;
	uint32_t n = t->ncols + 1;
	vg_val *cells = vg_xmalloc(((size_t)t->nrows * n + 1) * sizeof *cells);
	for (uint32_t r = 0; r < t->nrows; r++) {
		memcpy(&cells[(size_t)r * n], trow(t, r), t->ncols * sizeof *cells);
		cells[(size_t)r * n + t->ncols] = vg_v_null();
	}
	const char **cols = vg_arena_alloc(x->a, n * sizeof *cols);
	memcpy(cols, t->cols, t->ncols * sizeof *cols);
	cols[t->ncols] = qname_dup(x->a, name);
	free(t->cells);
	t->cells = cells;
	t->cols = cols;
	t->ncols = n;
	t->cap = t->nrows;
	return n - 1;
}

typedef struct trowctx {
	table *t;
	uint32_t r;
} trowctx;

static int table_get(void *ctx, const vg_qname *name, vg_val *out)
{
	trowctx *c = ctx;
	int ci = col_index(c->t, name->s);
	*out = ci < 0 ? vg_v_null() : trow(c->t, c->r)[ci];
	return 0;
}

static int64_t row_time(table *t, uint32_t r)
{
	int ci = col_index(t, "_time");
	if (ci < 0)
		return 0;
	const vg_val *v = &trow(t, r)[ci];
	if (v->kind != VG_V_NUM)
		return 0;
	return v->isint ? v->i * VG_NS_PER_SEC : (int64_t)(v->d * 1e9);
}

static int table_where(exec *x, table *t, const vg_qcmd *c)
{
	vg_evalctx ec = {&x->evarena, x->o->now_ns, x->mctx, x->md};
	uint32_t out = 0;
	for (uint32_t r = 0; r < t->nrows; r++) {
		trowctx rc = {t, r};
		vg_rowget get = {table_get, &rc};
		vg_val v;
		vg_arena_reset(&x->evarena);
		int e = vg_eval(c->where, &get, &ec, &v, x->err);
		if (e)
			return e;
		if (!vg_val_true(&v))
			continue;
		if (out != r)
			memcpy(trow(t, out), trow(t, r), t->ncols * sizeof *t->cells);
		out++;
	}
	t->nrows = out;
	return 0;
}

static int table_eval(exec *x, table *t, const vg_qcmd *c)
{
	vg_evalctx ec = {&x->evarena, x->o->now_ns, x->mctx, x->md};
	for (uint32_t j = 0; j < c->eval.n; j++) {
		uint32_t col = table_col(x, t, c->eval.v[j].target.s);
		for (uint32_t r = 0; r < t->nrows; r++) {
			trowctx rc = {t, r};
			vg_rowget get = {table_get, &rc};
			vg_val v;
			vg_arena_reset(&x->evarena);
			int e = vg_eval(c->eval.v[j].e, &get, &ec, &v, x->err);
			if (e)
				return e;
			trow(t, r)[col] = val_copy(x->a, &v);
		}
	}
	return 0;
}

/* rex's named groups in text, each to set(ctx, k, value) for name k: of
 * the first match, or with max_match=N (0: no bound, as Splunk) of up to
 * N matches, a group that matched more than once becoming a multivalue
 * of its texts in order. A group that took part in no match is not set.
 * 0 also when nothing matches; an error when PCRE2 gives up. Values live
 * in a. */
typedef void (*rex_set)(void *ctx, uint32_t k, vg_val v);

static int rex_groups(exec *x, const vg_qcmd *c, const vg_buf *text, vg_arena *a, rex_set set,
		      void *ctx)
{
	const vg_qregex *re = c->rex.re;
	const char *p = text->p ? (const char *)text->p : "";
	uint32_t nn = re->nnames < VG_Q_MAX_ITEMS ? re->nnames : VG_Q_MAX_ITEMS;
	uint32_t maxm = c->rex.max_match ? c->rex.max_match : UINT32_MAX;
	vg_val *got[VG_Q_MAX_ITEMS] = {0};
	uint32_t ngot[VG_Q_MAX_ITEMS] = {0};
	size_t off = 0;
	int rc = 0;
	for (uint32_t nm = 0; nm < maxm && off <= text->len; nm++) {
		int m = pcre2_match(re->code, (PCRE2_SPTR)p, text->len, off, 0, x->md, x->mctx);
		if (m == PCRE2_ERROR_NOMATCH)
			break;
		if (m < 0) {
			rc = vg_seterr(x->err, VG_ELIMIT, re->pos,
				       "the regular expression at %u gave up on an event (match limit)",
				       (unsigned)re->pos);
			break;
		}
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(x->md);
		for (uint32_t k = 0; k < nn; k++) {
			uint32_t gno = re->name_groups[k];
			if ((int)gno >= m || ov[2 * gno] == PCRE2_UNSET)
				continue;
			size_t n = ov[2 * gno + 1] - ov[2 * gno];
			got[k] = vg_xrealloc(got[k], (ngot[k] + 1) * sizeof *got[k]);
			got[k][ngot[k]++] = vg_v_str(vg_arena_dup(a, p + ov[2 * gno], n), n);
		}
		/* The next match starts where this one ended; after an empty
		 * match, one character further (never inside a UTF-8 one). */
		off = ov[1];
		if (ov[1] == ov[0]) {
			off++;
			while (off < text->len && ((unsigned char)p[off] & 0xc0) == 0x80)
				off++;
		}
	}
	for (uint32_t k = 0; k < nn; k++) {
		if (rc == 0 && ngot[k] == 1) {
			set(ctx, k, got[k][0]);
		} else if (rc == 0 && ngot[k] > 1) {
			vg_val mv = {0};
			mv.kind = VG_V_MV;
			mv.nmv = ngot[k];
			vg_val *vals = vg_arena_alloc(a, ngot[k] * sizeof *vals);
			memcpy(vals, got[k], ngot[k] * sizeof *vals);
			mv.mv = vals;
			set(ctx, k, mv);
		}
		free(got[k]);
	}
	return rc;
}

typedef struct rex_cells {
	vg_val *row;
	const uint32_t *cols;
} rex_cells;

static void rex_set_cell(void *ctx, uint32_t k, vg_val v)
{
	rex_cells *rc = ctx;
	rc->row[rc->cols[k]] = v;
}

/* rex on a table's rows: the named groups become fields (rex_groups). */
static int table_rex(exec *x, table *t, const vg_qcmd *c)
{
	const vg_qregex *re = c->rex.re;
	uint32_t cols[VG_Q_MAX_ITEMS];
	for (uint32_t k = 0; k < re->nnames && k < VG_Q_MAX_ITEMS; k++)
		cols[k] = table_col(x, t, re->names[k]);
	int src = col_index(t, c->rex.field.s);
	vg_buf text = {0};
	int rc = 0;
	for (uint32_t r = 0; r < t->nrows && src >= 0 && rc == 0; r++) {
		vg_buf_clear(&text);
		vg_val_text(&trow(t, r)[src], &text);
		rex_cells cells = {trow(t, r), cols};
		rc = rex_groups(x, c, &text, x->a, rex_set_cell, &cells);
	}
	vg_buf_free(&text);
	return rc;
}

/* dedup's key: a row's values of the fields, each as a tag and its bytes,
 * so that values vg_val_cmp has equal share a key: a number as its int64
 * when it is whole (5 and 5.0 are one), else as its double's bits; a
 * boolean as the number 0 or 1; a multivalue as all its values. Returns 0
 * when a value is null (an empty multivalue is one too), the key unmade. */
static int dedup_key_val(const vg_val *v, vg_buf *k)
{
	switch (v->kind) {
	case VG_V_STR:
		vg_buf_putc(k, 's');
		vg_buf_u32le(k, v->len);
		vg_buf_put(k, v->s, v->len);
		return 1;
	case VG_V_BOOL:
		vg_buf_putc(k, 'i');
		vg_buf_u64le(k, (uint64_t)v->i);
		return 1;
	case VG_V_NUM:
		if (v->isint || (v->d == floor(v->d) && v->d >= -0x1p63 && v->d < 0x1p63)) {
			vg_buf_putc(k, 'i');
			vg_buf_u64le(k, (uint64_t)(v->isint ? v->i : (int64_t)v->d));
		} else {
			uint64_t bits = 0;
			if (!isnan(v->d)) /* every NaN is one value, as for vg_val_cmp */
				memcpy(&bits, &v->d, sizeof bits);
			vg_buf_putc(k, isnan(v->d) ? 'n' : 'd');
			vg_buf_u64le(k, bits);
		}
		return 1;
	case VG_V_MV:
		vg_buf_putc(k, 'm');
		vg_buf_u32le(k, v->nmv);
		for (uint32_t e = 0; e < v->nmv; e++)
			if (!dedup_key_val(&v->mv[e], k))
				return 0;
		return v->nmv > 0;
	default:
		return 0;
	}
}

/* The keys dedup has seen, each with the rows kept under it: open
 * addressing on the key's hash, the keys' bytes back to back in text. */
typedef struct dslot {
	uint64_t h;         /* 0: an empty slot */
	uint64_t off;
	uint32_t len;
	uint32_t kept;
} dslot;

typedef struct dset {
	dslot *slot;
	uint32_t cap, n;    /* cap: a power of two, at most half full */
	vg_buf text;
} dset;

static void dset_grow(dset *d)
{
	uint32_t cap = d->cap ? d->cap * 2 : 1024;
	dslot *s = vg_xmalloc(cap * sizeof *s);
	memset(s, 0, cap * sizeof *s);
	for (uint32_t i = 0; i < d->cap; i++) {
		if (d->slot[i].h == 0)
			continue;
		uint32_t j = (uint32_t)d->slot[i].h & (cap - 1);
		while (s[j].h)
			j = (j + 1) & (cap - 1);
		s[j] = d->slot[i];
	}
	free(d->slot);
	d->slot = s;
	d->cap = cap;
}

/* The count of rows kept under key k, 0 when k is new (then added). */
static uint32_t *dset_kept(dset *d, const vg_buf *k)
{
	if (2 * ((uint64_t)d->n + 1) > d->cap)
		dset_grow(d);
	uint64_t h = ex_hash(k->p, k->len) | 1;
	for (uint32_t j = (uint32_t)h & (d->cap - 1);; j = (j + 1) & (d->cap - 1)) {
		dslot *s = &d->slot[j];
		if (s->h == h && s->len == k->len && memcmp(d->text.p + s->off, k->p, k->len) == 0)
			return &s->kept;
		if (s->h == 0) {
			*s = (dslot){h, d->text.len, (uint32_t)k->len, 0};
			vg_buf_put(&d->text, k->p, k->len);
			d->n++;
			return &s->kept;
		}
	}
}

/* dedup f1 f2 over a table, as Splunk's: the first `keep` rows of each
 * combination of the fields' values (with consecutive=t, of each run of
 * rows that share it), in the table's order; a row without one of the
 * fields goes, or stays under keepempty=t. One hash lookup a row, as
 * tables reach a million rows. */
static void table_dedup(table *t, const vg_qcmd *c)
{
	int cols[VG_Q_MAX_ITEMS];
	uint32_t nf = c->dedup.fields.n;
	for (uint32_t k = 0; k < nf; k++)
		cols[k] = col_index(t, c->dedup.fields.v[k].s);
	dset seen = {0};
	vg_buf key = {0}, prev = {0};
	uint32_t out = 0, run = 0;
	for (uint32_t r = 0; r < t->nrows; r++) {
		const vg_val *row = trow(t, r);
		int full = 1;
		vg_buf_clear(&key);
		for (uint32_t k = 0; k < nf && full; k++)
			full = cols[k] >= 0 && dedup_key_val(&row[cols[k]], &key);
		int keep;
		if (!full) {
			keep = c->dedup.keepempty;
			if (keep)
				run = 0; /* a row kept between two breaks their run */
		} else if (c->dedup.consecutive) {
			int same = run && prev.len == key.len && memcmp(prev.p, key.p, key.len) == 0;
			run = same ? run + 1 : 1;
			keep = run <= c->dedup.keep;
			vg_buf_clear(&prev);
			vg_buf_put(&prev, key.p, key.len);
		} else {
			uint32_t *kept = dset_kept(&seen, &key);
			keep = *kept < c->dedup.keep;
			*kept += keep;
		}
		if (keep) {
			if (out != r)
				memcpy(trow(t, out), row, t->ncols * sizeof *t->cells);
			out++;
		}
	}
	t->nrows = out;
	free(seen.slot);
	vg_buf_free(&seen.text);
	vg_buf_free(&key);
	vg_buf_free(&prev);
}

static xagg *make_agg(exec *x, const vg_qcmd *c);
static void agg_free(xagg *g);
static int table_enrich(exec *x, table *t, const vg_qcmd *c);
static void agg_table(exec *x, table *t);

/* A transforming command over the rows of a table: the table becomes its
 * output. */
static int table_agg(exec *x, table *t, const vg_qcmd *c)
{
	xagg *saved = x->agg;
	x->agg = make_agg(x, c);
	int rc = 0;
	for (uint32_t r = 0; r < t->nrows && rc == 0; r++) {
		trowctx tc = {t, r};
		vg_rowget get = {table_get, &tc};
		rc = agg_row(x, &get, row_time(t, r), NULL);
	}
	table out = {0};
	if (rc == 0) {
		agg_table(x, &out);
		free(t->cells);
		*t = out;
	}
	agg_free(x->agg);
	x->agg = saved;
	return rc;
}

/* next: the command after c, or NULL. */
static int after_cmd(exec *x, table *t, const vg_qcmd *c, const vg_qcmd *next)
{
	switch (c->kind) {
	case VG_CMD_WHERE:
		return table_where(x, t, c);
	case VG_CMD_EVAL:
		return table_eval(x, t, c);
	case VG_CMD_REX:
		return table_rex(x, t, c);
	case VG_CMD_IPLOCATION:
	case VG_CMD_LOOKUP:
		return table_enrich(x, t, c);
	case VG_CMD_STATS:
	case VG_CMD_TOP:
	case VG_CMD_RARE:
	case VG_CMD_TIMECHART:
	case VG_CMD_GEOSTATS:
		return table_agg(x, t, c);
	case VG_CMD_HEAD:
		if (t->nrows > c->head.n)
			t->nrows = c->head.n;
		return 0;
	case VG_CMD_TAIL: {
		/* As Splunk's tail: the last n rows in reverse order, from the
		 * end of the table backwards (of events, newest first, the
		 * oldest n, oldest first). */
		uint32_t n = t->nrows < c->head.n ? t->nrows : c->head.n;
		vg_val *cells = vg_xmalloc(((size_t)n * t->ncols + 1) * sizeof *cells);
		for (uint32_t r = 0; r < n; r++)
			memcpy(&cells[(size_t)r * t->ncols], trow(t, t->nrows - 1 - r),
			       t->ncols * sizeof *cells);
		free(t->cells);
		t->cells = cells;
		t->nrows = t->cap = n;
		return 0;
	}
	case VG_CMD_SORT: {
		uint32_t keys[VG_Q_MAX_ITEMS];
		uint8_t desc[VG_Q_MAX_ITEMS];
		uint32_t n = 0;
		for (uint32_t k = 0; k < c->sort.n && n < VG_Q_MAX_ITEMS; k++) {
			int ci = col_index(t, c->sort.keys[k].field.s);
			if (ci < 0)
				continue;
			keys[n] = (uint32_t)ci;
			desc[n++] = c->sort.keys[k].desc;
		}
		/* Only the rows a limit or a head right after keeps are
		 * wanted in order. */
		uint32_t limit = c->sort.limit;
		if (next && next->kind == VG_CMD_HEAD && (limit == 0 || next->head.n < limit))
			limit = next->head.n;
		table_sort(t, keys, desc, n, limit);
		if (c->sort.limit && t->nrows > c->sort.limit)
			t->nrows = c->sort.limit;
		return 0;
	}
	case VG_CMD_FIELDS:
	case VG_CMD_TABLE: {
		const vg_qnames *list = c->kind == VG_CMD_TABLE ? &c->table : &c->fields.list;
		int remove = c->kind == VG_CMD_FIELDS && c->fields.remove;
		uint8_t keep[4096];
		if (t->ncols > sizeof keep)
			return vg_seterr(x->err, VG_ELIMIT, c->pos, "too many columns at %u", (unsigned)c->pos);
		uint32_t order[4096], n = 0;
		memset(keep, 0, t->ncols);
		for (uint32_t k = 0; k < list->n; k++)
			for (uint32_t col = 0; col < t->ncols; col++)
				if (glob_full(list->v[k].s, list->v[k].len, t->cols[col], strlen(t->cols[col])) &&
				    !keep[col]) {
					keep[col] = 1;
					order[n++] = col;
				}
		if (remove) {
			n = 0;
			for (uint32_t col = 0; col < t->ncols; col++)
				if (!keep[col])
					order[n++] = col;
		}
		vg_val *cells = vg_xmalloc(((size_t)t->nrows * n + 1) * sizeof *cells);
		const char **cols = vg_arena_alloc(x->a, (n ? n : 1) * sizeof *cols);
		for (uint32_t k = 0; k < n; k++)
			cols[k] = t->cols[order[k]];
		for (uint32_t r = 0; r < t->nrows; r++)
			for (uint32_t k = 0; k < n; k++)
				cells[(size_t)r * n + k] = trow(t, r)[order[k]];
		free(t->cells);
		t->cells = cells;
		t->cols = cols;
		t->ncols = n;
		t->cap = t->nrows;
		return 0;
	}
	case VG_CMD_RENAME:
		for (uint32_t k = 0; k < c->rename.n; k++) {
			int ci = col_index(t, c->rename.v[k].from.s);
			if (ci >= 0)
				t->cols[ci] = qname_dup(x->a, c->rename.v[k].to.s);
		}
		return 0;
	case VG_CMD_DEDUP:
		table_dedup(t, c);
		return 0;
	default:
		return vg_seterr(x->err, VG_EINVAL, c->pos,
				 "'%s' at %u cannot follow a transforming command yet",
				 vg_cmd_name(c->kind), (unsigned)c->pos);
	}
}

/* ------------------------------------------------- iplocation and lookup */


/* A row's fields for iplocation and lookup, wherever the row lives: an
 * event of the scan (eval's overlays; rw set) or a table row. set borrows
 * v's strings for the row's lifetime. */
typedef struct xio {
	int (*get)(void *ctx, const vg_qname *name, vg_val *out);
	void (*set)(void *ctx, const char *name, uint32_t len, vg_val v);
	void *ctx;
	xrow *rw;
} xio;

static void ov_push(xrow *rw, const char *name, uint32_t len, vg_val v)
{
	if (rw->nov == rw->capov) {
		rw->capov = rw->capov ? rw->capov * 2 : 8;
		rw->ov = vg_xrealloc(rw->ov, rw->capov * sizeof *rw->ov);
	}
	overlay *o = &rw->ov[rw->nov++];
	o->name = name;
	o->len = len;
	o->v = v;
}

/* A null overlay hides a stored field of the same name: the field is
 * removed, as Splunk's commands remove what they set to nothing. */
static void row_io_set(void *ctx, const char *name, uint32_t len, vg_val v)
{
	ov_push(ctx, name, len, v);
}

/* The address a value holds (the first of a multivalue), as 16 bytes. */
static int val_ip(const vg_val *v, uint8_t ip[16])
{
	if (v->kind == VG_V_MV)
		return v->nmv > 0 && val_ip(&v->mv[0], ip);
	return v->kind == VG_V_STR && vg_ip_parse(v->s, v->len, ip) == 0;
}

static vg_val geo_val(vg_geo_str s)
{
	return s.s ? vg_v_str(s.s, s.len) : vg_v_null();
}

static vg_val geo_coord(double d)
{
	return isnan(d) ? vg_v_null() : vg_v_dbl(d);
}

/* The address in field n of event row rw: 1 (in ip), 0 when the field
 * is absent or holds no address. A stored address is read as it is, not
 * through its text. */
static int row_ip(exec *x, xrow *rw, const vg_qname *n, int slot, uint8_t ip[16])
{
	int stored = slot >= 0 && ov_find(rw, n->s, n->len) == NULL;
	fval f;
	if (stored) {
		row_fval(rw, slot, &f);
		if (f.type == VG_T_IP) {
			memcpy(ip, f.ip, 16);
			return 1;
		}
		if (f.type == 0)
			return 0;
	}
	vg_val v;
	row_get(rw, n, &v, &x->scratch);
	return val_ip(&v, ip);
}

/* iplocation (command k): the location of the row's address into its
 * fields (SPEC.md's names under the prefix, null when unknown); a row
 * without an address is left as it is, as Splunk leaves it. */
static int iplocation_row(exec *x, uint32_t k, const xio *io)
{
	const vg_qcmd *c = &x->q->cmds[k];
	uint8_t ip[16];
	vg_val v;
	if (io->rw) {
		if (!row_ip(x, io->rw, &c->iplocation.field, x->ext->ipslot[k], ip))
			return 0;
	} else {
		io->get(io->ctx, &c->iplocation.field, &v);
		if (!val_ip(&v, ip))
			return 0;
	}
	vg_geo_loc loc;
	if (vg_geo_cache_lookup(x->ext->geo, ip, &loc) < 0)
		return vg_seterr(x->err, VG_ECORRUPT, c->pos,
				 "'iplocation' at %u: the GeoIP database cannot be read",
				 (unsigned)c->pos);
	vg_val out[IPLOC_NF] = {geo_val(loc.city), geo_val(loc.country), geo_val(loc.region),
				geo_coord(loc.lat), geo_coord(loc.lon),
				loc.asn ? vg_v_int(loc.asn) : vg_v_null()};
	const char *const *names = x->ext->ipnames[k];
	for (int f = 0; f < IPLOC_NF; f++)
		io->set(io->ctx, names[f], (uint32_t)strlen(names[f]), out[f]);
	return 0;
}

/* lookup (command k): the table's row matching the row's key fields (by
 * their text; a multivalue by its first value), its output cells into the
 * row's fields (lookup.h has the rules of OUTPUT and OUTPUTNEW). */
static int lookup_row(exec *x, uint32_t k, const xio *io)
{
	const vg_lookup_bind *b = &x->ext->binds[k];
	vg_buf *kb = &x->ext->keys;
	const char *keys[64];
	uint32_t lens[64], offs[64];
	int64_t row = 0;
	vg_buf_clear(kb);
	for (uint32_t i = 0; i < b->nkeys; i++) {
		vg_val v;
		io->get(io->ctx, b->keyfields[i], &v);
		if (v.kind == VG_V_MV)
			v = v.nmv ? v.mv[0] : vg_v_null();
		if (v.kind == VG_V_NULL) {
			row = -1; /* Splunk does not match a missing field */
			break;
		}
		offs[i] = (uint32_t)kb->len;
		vg_val_text(&v, kb);
		lens[i] = (uint32_t)kb->len - offs[i];
	}
	if (row == 0) {
		for (uint32_t i = 0; i < b->nkeys; i++)
			keys[i] = kb->p ? (const char *)kb->p + offs[i] : "";
		row = vg_lookup_find(b->t, keys, lens);
	}
	for (uint32_t j = 0; j < b->nout; j++) {
		const vg_lookup_out *o = &b->out[j];
		if (b->outputnew) {
			vg_qname n = {o->field, o->len, 0, VG_QF_PLAIN, 0};
			vg_val have;
			io->get(io->ctx, &n, &have);
			if (have.kind != VG_V_NULL || row < 0)
				continue;
		}
		uint32_t len = 0;
		const char *cell = row < 0 ? "" : vg_lookup_cell(b->t, (uint32_t)row, o->col, &len);
		io->set(io->ctx, o->field, o->len, len ? vg_v_str(cell, len) : vg_v_null());
	}
	return 0;
}

/* iplocation or lookup (command k) on one row. */
static int enrich(exec *x, uint32_t k, const xio *io)
{
	if (x->q->cmds[k].kind == VG_CMD_IPLOCATION)
		return iplocation_row(x, k, io);
	return lookup_row(x, k, io);
}

typedef struct tio {
	exec *x;
	table *t;
	uint32_t r;
} tio;

static int table_io_get(void *ctx, const vg_qname *name, vg_val *out)
{
	tio *c = ctx;
	trowctx rc = {c->t, c->r};
	return table_get(&rc, name, out);
}

/* A table outlives the query's tables and databases: values are copied. */
static void table_io_set(void *ctx, const char *name, uint32_t len, vg_val v)
{
	(void)len;
	tio *c = ctx;
	uint32_t col = table_col(c->x, c->t, name);
	trow(c->t, c->r)[col] = val_copy(c->x->a, &v);
}

/* iplocation or lookup after a transform: each row of the table. */
static int table_enrich(exec *x, table *t, const vg_qcmd *c)
{
	uint32_t k = (uint32_t)(c - x->q->cmds);
	for (uint32_t r = 0; r < t->nrows; r++) {
		tio ctx = {x, t, r};
		xio io = {table_io_get, table_io_set, &ctx, NULL};
		int rc = enrich(x, k, &io);
		if (rc)
			return rc;
	}
	return 0;
}

/* Set up what the query's iplocation and lookup commands need: the
 * GeoIP databases must be there (else the query fails at the command),
 * and every lookup table is bound now, so that a bad table or column
 * fails the query before the scan. binds: the tables another exec of the
 * same query bound, borrowed; NULL binds them. */
static int ext_init(exec *x, vg_lookup_bind *binds)
{
	const vg_query *q = x->q;
	xext *e = vg_xcalloc(1, sizeof *e);
	x->ext = e;
	e->binds = binds;
	e->own_binds = binds == NULL;
	if (e->own_binds)
		e->binds = vg_xcalloc(q->ncmds ? q->ncmds : 1, sizeof *e->binds);
	e->ipnames = vg_arena_alloc(x->a, (q->ncmds ? q->ncmds : 1) * sizeof *e->ipnames);
	e->ipslot = vg_arena_alloc(x->a, (q->ncmds ? q->ncmds : 1) * sizeof *e->ipslot);
	static const char *const outs[IPLOC_NF] = {"City", "Country", "Region", "lat", "lon", "ASN"};
	for (uint32_t k = 0; k < q->ncmds; k++) {
		const vg_qcmd *c = &q->cmds[k];
		if (c->kind == VG_CMD_IPLOCATION) {
			if (x->o->geo == NULL)
				return vg_seterr(x->err, VG_EINVAL, c->pos, "'iplocation' at %u: %s",
						 (unsigned)c->pos,
						 x->o->geo_error ? x->o->geo_error
								 : "no GeoIP database is configured");
			if (e->geo == NULL)
				e->geo = vg_geo_cache_new(x->o->geo, 0);
			const vg_qname *fld = &c->iplocation.field;
			e->ipslot[k] = fld->kind == VG_QF_PLAIN ? slot_of(x, fld->s) : -1;
			for (int f = 0; f < IPLOC_NF; f++) {
				vg_buf n = {0};
				vg_buf_printf(&n, "%s%s", c->iplocation.prefix, outs[f]);
				e->ipnames[k][f] = vg_arena_dup(x->a, n.p, n.len);
				vg_buf_free(&n);
			}
		} else if (c->kind == VG_CMD_LOOKUP && e->own_binds) {
			if (x->o->lookups_dir == NULL)
				return vg_seterr(x->err, VG_EINVAL, c->pos,
						 "'lookup' at %u: no lookup tables directory is configured",
						 (unsigned)c->pos);
			int rc = vg_lookup_bind_cmd(x->o->lookups_dir, c, NULL, &e->binds[k], x->err);
			/* A table or column the query names that is not there: the
			 * query cannot run as written (exec.h's VG_EINVAL). */
			if (rc == VG_ENOTFOUND)
				x->err->code = rc = VG_EINVAL;
			if (rc)
				return rc;
		}
	}
	return 0;
}

static void ext_free(exec *x)
{
	xext *e = x->ext;
	if (e == NULL)
		return;
	if (e->own_binds && e->binds)
		for (uint32_t k = 0; k < x->q->ncmds; k++)
			vg_lookup_unbind(&e->binds[k]);
	if (e->own_binds)
		free(e->binds);
	vg_geo_cache_free(e->geo);
	vg_buf_free(&e->keys);
	free(e->proj);
	free(e);
	x->ext = NULL;
}

/* -------------------------------------------------------------- the scan */

/* rex on one event: the named groups of the first match in the field's
 * text become fields of the event (as table_rex does on a table's rows;
 * a group that took no part in the match leaves its field as it was). */
typedef struct rex_overlay {
	const vg_qregex *re;
	xrow *rw;
} rex_overlay;

static void rex_set_overlay(void *ctx, uint32_t k, vg_val v)
{
	rex_overlay *ro = ctx;
	const char *name = ro->re->names[k];
	ov_push(ro->rw, name, (uint32_t)strlen(name), v);
}

static int rex_event(exec *x, const vg_qcmd *c, xrow *rw)
{
	vg_val v;
	row_get(rw, &c->rex.field, &v, &x->scratch);
	if (v.kind == VG_V_NULL)
		return 0;
	vg_buf text = {0};
	vg_val_text(&v, &text);
	rex_overlay ro = {c->rex.re, rw};
	int rc = rex_groups(x, c, &text, &x->rowarena, rex_set_overlay, &ro);
	vg_buf_free(&text);
	return rc;
}

/* Commands between the search and the first transform, per event: 1 keep,
 * 0 drop, <0 error. */
static int per_event(exec *x, xrow *rw)
{
	for (uint32_t k = 0; k < x->first_cmd; k++) {
		const vg_qcmd *c = &x->q->cmds[k];
		if (c->kind == VG_CMD_SEARCH) {
			int m = ex_node_match(x, x->cmdnode[k], rw);
			if (m <= 0)
				return m;
		} else if (c->kind == VG_CMD_WHERE || c->kind == VG_CMD_EVAL) {
			vg_rowget get = {rowget_cb, rw};
			vg_arena_reset(&x->evarena);
			vg_evalctx ec = {&x->evarena, x->o->now_ns, x->mctx, x->md};
			if (c->kind == VG_CMD_WHERE) {
				vg_val v;
				int rc = vg_eval(c->where, &get, &ec, &v, x->err);
				if (rc)
					return rc;
				if (!vg_val_true(&v))
					return 0;
			} else {
				for (uint32_t j = 0; j < c->eval.n; j++) {
					vg_val v;
					int rc = vg_eval(c->eval.v[j].e, &get, &ec, &v, x->err);
					if (rc)
						return rc;
					ov_push(rw, c->eval.v[j].target.s, c->eval.v[j].target.len,
						val_copy(&x->rowarena, &v));
				}
			}
		} else if (c->kind == VG_CMD_IPLOCATION || c->kind == VG_CMD_LOOKUP) {
			xio io = {rowget_cb, row_io_set, rw, rw};
			int rc = enrich(x, k, &io);
			if (rc)
				return rc;
		} else if (c->kind == VG_CMD_REX) {
			int rc = rex_event(x, c, rw);
			if (rc)
				return rc;
		}
		/* fields and rename before a transform do not change what it
		 * reads by name; they are applied to events' output later. */
	}
	return 1;
}

static vg_val *table_add(table *t);

/* Rows mode: 0 while the rows may take one more event, else VG_ELIMIT
 * (x->err set): every event is held in memory until the scan ends. */
static int rows_room(exec *x)
{
	uint32_t most = x->o->max_event_rows ? x->o->max_event_rows : MAX_EVENT_ROWS;
	if (x->rows->nrows < most)
		return 0;
	return vg_seterr(x->err, VG_ELIMIT, x->q->cmds[x->first_cmd].pos,
			 "more than %u events reach '%s' at %u: narrow the search, or use stats",
			 most, vg_cmd_name(x->q->cmds[x->first_cmd].kind),
			 (unsigned)x->q->cmds[x->first_cmd].pos);
}

/* Rows mode: the event as a row of the columns the pipeline reads. */
static int keep_row(exec *x, xrow *rw)
{
	table *t = x->rows;
	if (rows_room(x))
		return x->err->code;
	vg_val *r = table_add(t);
	for (uint32_t c = 0; c < t->ncols; c++) {
		vg_val v;
		if (c == 1 && x->rows_event) {
			vg_buf j = {0};
			if (rw->bk) {
				if (block_json(rw, &j))
					return x->err->code;
			} else {
				vg_event_json(rw->mem, rw->i, &j);
			}
			r[c] = vg_v_str(vg_arena_dup(x->a, j.p, j.len), j.len);
			vg_buf_free(&j);
			continue;
		}
		row_get(rw, &x->rnames[c], &v, &x->scratch);
		r[c] = val_copy(x->a, &v);
	}
	return 0;
}

int ex_on_match(exec *x, xrow *rw)
{
	rw->nov = 0;
	vg_arena_reset(&x->rowarena);
	int keep = per_event(x, rw);
	if (keep <= 0)
		return keep;
	x->res->stats.events_matched++;
	ex_hist_add(x, rw->t);
	if (x->agg)
		return agg_row_x(x, rw);
	if (x->rows)
		return keep_row(x, rw);
	return keep_event(x, rw);
}

static int match_row(exec *x, xrow *rw)
{
	int m = 1;
	rw->raw_ready = rw->lraw_ready = 0;
	if (x->cw) {
		const vg_buf *r = row_raw(rw);
		m = vg_cw_match(x->cw, (const char *)r->p, r->len);
	}
	if (m && x->root)
		m = ex_node_match(x, x->root, rw);
	if (m < 0)
		return -1;
	return m ? ex_on_match(x, rw) : 0;
}

int ex_timed_out(exec *x)
{
	if (x->deadline && vg_mono_ns() > x->deadline)
		return vg_seterr(x->err, VG_ELIMIT, -1, "the search took longer than its time limit");
	return 0;
}

static int scan_segment(exec *x, const vg_seg *s)
{
	int colof[MAX_SLOTS];
	for (uint32_t k = 0; k < x->nslots; k++)
		colof[k] = vg_seg_field(s, x->names[k]);
	xrow rw = {0};
	rw.x = x;
	rw.colof = colof;
	rw.group = s->group;
	x->segserial++;
	int rc = 0;
	/* Events: the newest blocks first (see scan_segments). */
	int back = !x->agg && !x->rows;
	for (uint32_t i = 0; i < s->nblocks && rc == 0; i++) {
		uint32_t b = back ? s->nblocks - 1 - i : i;
		const vg_block *bl = &s->blocks[b];
		x->res->stats.blocks++;
		if (bl->tmax < x->from || bl->tmin >= x->to || !block_filter_ok(x, s, b) ||
		    !block_ranges_ok(x, s, b, colof)) {
			x->res->stats.blocks_skipped++;
			continue;
		}
		if ((rc = ex_timed_out(x)) != 0)
			break;
		rc = ex_scan_block(x, &rw, s, b);
	}
	vg_buf_free(&rw.raw);
	vg_buf_free(&rw.lraw);
	free(rw.ov);
	return rc ? (x->err->code ? x->err->code : VG_EINVAL) : 0;
}

static int scan_mem(exec *x, const vg_batch *b, uint64_t from)
{
	uint32_t memfid[MAX_SLOTS];
	for (uint32_t k = 0; k < x->nslots; k++)
		memfid[k] = vg_strtab_find(&b->fields, x->names[k], strlen(x->names[k]));
	xrow rw = {0};
	rw.x = x;
	rw.mem = b;
	rw.memfid = memfid;
	int rc = 0;
	for (size_t i = from; i < b->nev && rc == 0; i++) {
		const vg_event *e = &b->ev[i];
		if (e->t < x->from || e->t >= x->to)
			continue;
		rw.group = vg_strtab_get(&b->groups, e->group, NULL);
		if (!group_searched(x, rw.group))
			continue;
		x->res->stats.events_scanned++;
		rw.i = i;
		rw.t = e->t;
		rc = match_row(x, &rw) < 0 ? -1 : 0;
	}
	vg_buf_free(&rw.raw);
	vg_buf_free(&rw.lraw);
	free(rw.ov);
	return rc ? (x->err->code ? x->err->code : VG_EINVAL) : 0;
}

/* The time range to histogram: the query's, else that of the data it
 * could match (the groups it searches: `group=vpcflow` is not drawn over
 * the years of old AWS Config items). */
static void hist_range(exec *x, vg_store *st)
{
	int64_t lo = x->from, hi = x->to;
	if (lo == INT64_MIN || hi == INT64_MAX) {
		int64_t dlo = INT64_MAX, dhi = INT64_MIN;
		for (size_t k = 0; k < vg_store_nsegs(st); k++) {
			const vg_seginfo *si = vg_store_seginfo(st, k);
			if (si == NULL || !group_searched(x, si->group))
				continue; /* dropped by retention, or not searched */
			dlo = si->tmin < dlo ? si->tmin : dlo;
			dhi = si->tmax > dhi ? si->tmax : dhi;
		}
		const vg_batch *m = vg_store_mem(st);
		for (size_t i = 0; i < m->nev; i++) {
			const char *g = vg_strtab_get(&m->groups, m->ev[i].group, NULL);
			if (!group_searched(x, g))
				continue;
			dlo = m->ev[i].t < dlo ? m->ev[i].t : dlo;
			dhi = m->ev[i].t > dhi ? m->ev[i].t : dhi;
		}
		if (lo == INT64_MIN)
			lo = dlo;
		if (hi == INT64_MAX)
			hi = dhi == INT64_MIN ? dhi : dhi + 1;
	}
	if (lo >= hi || lo == INT64_MAX)
		return;
	x->hspan = nice_span(hi - lo, 100);
	x->hstart = lo - ((lo % x->hspan) + x->hspan) % x->hspan;
	x->nhist = (uint32_t)((hi - x->hstart + x->hspan - 1) / x->hspan);
	x->hist = vg_arena_alloc(x->a, x->nhist * sizeof *x->hist);
	memset(x->hist, 0, x->nhist * sizeof *x->hist);
}

/* ------------------------------------------------------------ rows mode */

static void rows_add(exec *x, const vg_qname *n)
{
	table *t = x->rows;
	const char *name = n->s;
	if (n->kind == VG_QF_RAW)
		name = "_raw", x->need_raw = 1;
	else if (n->kind == VG_QF_GROUP)
		name = "_group";
	else if (n->kind == VG_QF_TIME)
		return; /* column 0 */
	if (col_index(t, name) >= 0 || t->ncols >= MAX_SLOTS)
		return;
	if (n->kind == VG_QF_PLAIN && slot_of(x, name) < 0)
		return;
	t->cols = vg_xrealloc((void *)t->cols, (t->ncols + 1) * sizeof *t->cols);
	x->rnames = vg_xrealloc(x->rnames, (t->ncols + 1) * sizeof *x->rnames);
	t->cols[t->ncols] = qname_dup(x->a, name);
	x->rnames[t->ncols] = *n;
	x->rnames[t->ncols].s = t->cols[t->ncols];
	x->rnames[t->ncols].len = (uint32_t)strlen(name);
	t->ncols++;
}

/* Call fn(x, name) for every field expression e reads. */
static void walk_expr(exec *x, const vg_expr *e, void (*fn)(exec *, const vg_qname *))
{
	if (e == NULL)
		return;
	switch (e->kind) {
	case VG_EX_FIELD: fn(x, &e->field); break;
	case VG_EX_NEG:
	case VG_EX_NOT: walk_expr(x, e->kid, fn); break;
	case VG_EX_BIN:
		walk_expr(x, e->bin.l, fn);
		walk_expr(x, e->bin.r, fn);
		break;
	case VG_EX_AND:
	case VG_EX_OR:
	case VG_EX_CALL:
		for (uint32_t k = 0; k < e->list.n; k++)
			walk_expr(x, e->list.args[k], fn);
		break;
	default: break;
	}
}

/* Every stored field whose name matches pattern p becomes a column. */
static int rows_pattern(exec *x, vg_store *st, const vg_qname *p)
{
	if (!p->wild) {
		rows_add(x, p);
		return 0;
	}
	for (size_t k = 0; k < vg_store_nsegs(st); k++) {
		vg_seg *s;
		if (vg_store_seginfo(st, k) == NULL)
			continue;
		int rc = vg_store_open_seg(st, k, &s, x->err);
		if (rc)
			return rc;
		for (uint32_t c = 0; c < s->ncols; c++) {
			const char *n = s->cols[c];
			if (n[0] == '_' || !glob_full(p->s, p->len, n, strlen(n)))
				continue;
			vg_qname q = {vg_arena_dup(x->a, n, strlen(n)), (uint32_t)strlen(n), 0, VG_QF_PLAIN, 0};
			rows_add(x, &q);
		}
		vg_seg_close(s);
	}
	const vg_batch *m = vg_store_mem(st);
	for (uint32_t f = 0; f < m->fields.n; f++) {
		size_t len;
		const char *n = vg_strtab_get(&m->fields, f, &len);
		if (n[0] == '_' || !glob_full(p->s, p->len, n, len))
			continue;
		vg_qname q = {vg_arena_dup(x->a, n, len), (uint32_t)len, 0, VG_QF_PLAIN, 0};
		rows_add(x, &q);
	}
	return 0;
}

static int rows_names(exec *x, vg_store *st, const vg_qnames *l)
{
	for (uint32_t k = 0; k < l->n; k++) {
		int rc = rows_pattern(x, st, &l->v[k]);
		if (rc)
			return rc;
	}
	return 0;
}

/* The columns the commands from first_cmd on can read. */
static int rows_cmd(exec *x, vg_store *st, const vg_qcmd *c)
{
	switch (c->kind) {
	case VG_CMD_STATS:
		for (uint32_t k = 0; k < c->stats.aggs.n; k++)
			if (c->stats.aggs.v[k].has_field)
				rows_add(x, &c->stats.aggs.v[k].field);
		return rows_names(x, st, &c->stats.by);
	case VG_CMD_TOP:
	case VG_CMD_RARE:
		if (rows_names(x, st, &c->top.fields))
			return -1;
		return rows_names(x, st, &c->top.by);
	case VG_CMD_TIMECHART:
		for (uint32_t k = 0; k < c->timechart.aggs.n; k++)
			if (c->timechart.aggs.v[k].has_field)
				rows_add(x, &c->timechart.aggs.v[k].field);
		if (c->timechart.by.s)
			rows_add(x, &c->timechart.by);
		return 0;
	case VG_CMD_SORT:
		for (uint32_t k = 0; k < c->sort.n; k++)
			rows_add(x, &c->sort.keys[k].field);
		return 0;
	case VG_CMD_FIELDS: return rows_names(x, st, &c->fields.list);
	case VG_CMD_TABLE: return rows_names(x, st, &c->table);
	case VG_CMD_DEDUP: return rows_names(x, st, &c->dedup.fields);
	case VG_CMD_WHERE: walk_expr(x, c->where, rows_add); return 0;
	case VG_CMD_EVAL:
		for (uint32_t k = 0; k < c->eval.n; k++)
			walk_expr(x, c->eval.v[k].e, rows_add);
		return 0;
	case VG_CMD_REX: rows_add(x, &c->rex.field); return 0;
	case VG_CMD_IPLOCATION: rows_add(x, &c->iplocation.field); return 0;
	case VG_CMD_LOOKUP:
		for (uint32_t k = 0; k < c->lookup.nin; k++)
			rows_add(x, &c->lookup.in[k].to);
		for (uint32_t k = 0; k < c->lookup.nout; k++)
			rows_add(x, &c->lookup.out[k].to);
		return 0;
	case VG_CMD_GEOSTATS:
		rows_add(x, &c->geostats.lat);
		rows_add(x, &c->geostats.lon);
		for (uint32_t k = 0; k < c->geostats.aggs.n; k++)
			if (c->geostats.aggs.v[k].has_field)
				rows_add(x, &c->geostats.aggs.v[k].field);
		if (c->geostats.by.s)
			rows_add(x, &c->geostats.by);
		return 0;
	case VG_CMD_RENAME:
		for (uint32_t k = 0; k < c->rename.n; k++)
			rows_pattern(x, st, &c->rename.v[k].from);
		return 0;
	default: return 0;
	}
}

/* Call fn(x, name, len, ctx) for each field command k sets on a row:
 * eval's targets, rex's groups, iplocation's outputs, lookup's, rename's
 * new names. */
static void cmd_sets(exec *x, uint32_t k, void (*fn)(exec *, const char *, uint32_t, void *),
		     void *ctx)
{
	const vg_qcmd *c = &x->q->cmds[k];
	if (c->kind == VG_CMD_EVAL) {
		for (uint32_t j = 0; j < c->eval.n; j++)
			fn(x, c->eval.v[j].target.s, c->eval.v[j].target.len, ctx);
	} else if (c->kind == VG_CMD_REX) {
		for (uint32_t j = 0; j < c->rex.re->nnames && j < VG_Q_MAX_ITEMS; j++)
			fn(x, c->rex.re->names[j], (uint32_t)strlen(c->rex.re->names[j]), ctx);
	} else if (c->kind == VG_CMD_IPLOCATION) {
		for (int f = 0; f < IPLOC_NF; f++)
			fn(x, x->ext->ipnames[k][f], (uint32_t)strlen(x->ext->ipnames[k][f]), ctx);
	} else if (c->kind == VG_CMD_LOOKUP) {
		const vg_lookup_bind *b = &x->ext->binds[k];
		for (uint32_t j = 0; b->t && j < b->nout; j++)
			fn(x, b->out[j].field, b->out[j].len, ctx);
	} else if (c->kind == VG_CMD_RENAME) {
		for (uint32_t j = 0; j < c->rename.n; j++)
			fn(x, c->rename.v[j].to.s, c->rename.v[j].to.len, ctx);
	}
}

/* A field set by a per-event command becomes a column, so that the
 * pipeline's rows (and the events made of them) carry it. */
static void rows_add_set(exec *x, const char *name, uint32_t len, void *ctx)
{
	(void)ctx;
	vg_qname n = {name, len, 0, VG_QF_PLAIN, 0};
	if (len == 4 && memcmp(name, "_raw", 4) == 0)
		n.kind = VG_QF_RAW;
	else if (len == 6 && memcmp(name, "_group", 6) == 0)
		n.kind = VG_QF_GROUP;
	else if (len == 5 && memcmp(name, "_time", 5) == 0)
		n.kind = VG_QF_TIME;
	rows_add(x, &n);
}

static void name_hit(exec *x, const char *name, uint32_t len, void *ctx)
{
	(void)x;
	const char *want = *(const char **)ctx;
	if (want && strlen(want) == len && memcmp(want, name, len) == 0)
		*(const char **)ctx = NULL;
}

/* Whether some command of the pipeline sets the field name. */
static int set_by_pipeline(exec *x, const char *name)
{
	const char *want = name;
	for (uint32_t k = 0; k < x->q->ncmds && want; k++)
		cmd_sets(x, k, name_hit, &want);
	return want == NULL;
}

static int prepare_rows(exec *x, vg_store *st)
{
	const vg_query *q = x->q;
	x->rows = vg_xcalloc(1, sizeof *x->rows);
	static const vg_qname tname = {"_time", 5, 0, VG_QF_TIME, 0};
	static const vg_qname ename = {"_event", 6, 0, VG_QF_PLAIN, 0};
	table *t = x->rows;
	t->cols = vg_xmalloc(2 * sizeof *t->cols);
	x->rnames = vg_xmalloc(2 * sizeof *x->rnames);
	t->cols[0] = "_time";
	x->rnames[0] = tname;
	t->ncols = 1;
	if (q->output == VG_QOUT_EVENTS) {
		t->cols[1] = "_event";
		x->rnames[1] = ename;
		t->ncols = 2;
		x->rows_event = 1;
	}
	for (uint32_t k = x->first_cmd; k < q->ncmds; k++) {
		int rc = rows_cmd(x, st, &q->cmds[k]);
		if (rc)
			return rc < 0 ? x->err->code : rc;
	}
	for (uint32_t k = 0; k < x->first_cmd; k++)
		cmd_sets(x, k, rows_add_set, NULL);
	/* The column list moves to the arena: the table owns only cells. */
	const char **cols = vg_arena_alloc(x->a, t->ncols * sizeof *cols);
	memcpy(cols, t->cols, t->ncols * sizeof *cols);
	free((void *)t->cols);
	t->cols = cols;
	return 0;
}

/* A field a streaming where/eval reads is decoded for it. */
static void want_name(exec *x, const vg_qname *n)
{
	if (n->kind == VG_QF_PLAIN)
		slot_of(x, n->s);
	else if (n->kind == VG_QF_RAW)
		x->need_raw = 1;
}

/* Commands that run on each event as the scan finds it. rex, iplocation
 * and lookup add fields (as eval does) without holding events back. */
static int streaming(uint8_t kind)
{
	return kind == VG_CMD_SEARCH || kind == VG_CMD_WHERE || kind == VG_CMD_EVAL ||
	       kind == VG_CMD_REX || kind == VG_CMD_IPLOCATION || kind == VG_CMD_LOOKUP;
}

/* Commands that make a row of each event's row, in their order: a
 * pipeline of these alone after the per-event commands needs only the
 * newest `limit` events. */
static int projects(uint8_t kind)
{
	return kind == VG_CMD_FIELDS || kind == VG_CMD_TABLE || kind == VG_CMD_RENAME ||
	       kind == VG_CMD_HEAD;
}

static int is_agg(uint8_t kind)
{
	return kind == VG_CMD_STATS || kind == VG_CMD_TOP || kind == VG_CMD_RARE ||
	       kind == VG_CMD_TIMECHART || kind == VG_CMD_GEOSTATS;
}

/* How matching events leave the scan: commands up to first_cmd run per
 * event; then either the newest events are kept (no other command, or a
 * last `head`; or only fields, table, rename and head, which finish turns
 * into rows: xext.proj), or an aggregation takes them (stats, top, rare,
 * timechart), or they become table rows for the rest (rows mode). */
/* Mark the comparisons of the search tree n on fields that one of the
 * commands before command upto sets: they read that value (cmp_computed). */
static void mark_computed(exec *x, xnode *n, uint32_t upto)
{
	if (n->kind == VG_SN_AND || n->kind == VG_SN_OR || n->kind == VG_SN_NOT) {
		for (uint32_t i = 0; i < n->n; i++)
			mark_computed(x, n->kids[i], upto);
		return;
	}
	if (n->kind != VG_SN_CMP || n->fname == NULL)
		return;
	const char *want = vg_arena_dup(x->a, n->fname->s, n->fname->len);
	for (uint32_t k = 0; k < upto && want; k++)
		cmd_sets(x, k, name_hit, &want);
	n->computed = want == NULL;
}

static int select_mode(exec *x, vg_store *st)
{
	const vg_query *q = x->q;
	x->limit = x->o->limit ? x->o->limit : DEFAULT_LIMIT;
	uint32_t k = 0;
	x->cmdnode = vg_arena_alloc(x->a, (q->ncmds ? q->ncmds : 1) * sizeof *x->cmdnode);
	memset(x->cmdnode, 0, (q->ncmds ? q->ncmds : 1) * sizeof *x->cmdnode);
	while (k < q->ncmds && streaming(q->cmds[k].kind)) {
		const vg_qcmd *c = &q->cmds[k];
		/* A `| search` compares a field an earlier command sets (eval,
		 * rex, iplocation, lookup) by the value it set; its free terms
		 * match _raw, as Splunk's. */
		if (c->kind == VG_CMD_SEARCH) {
			if ((x->cmdnode[k] = compile(x, c->search)) == NULL)
				return x->err->code;
			mark_computed(x, x->cmdnode[k], k);
		}
		if (c->kind == VG_CMD_WHERE)
			walk_expr(x, c->where, want_name);
		for (uint32_t j = 0; c->kind == VG_CMD_EVAL && j < c->eval.n; j++)
			walk_expr(x, c->eval.v[j].e, want_name);
		if (c->kind == VG_CMD_IPLOCATION)
			want_name(x, &c->iplocation.field);
		if (c->kind == VG_CMD_REX)
			want_name(x, &c->rex.field);
		for (uint32_t j = 0; c->kind == VG_CMD_LOOKUP && j < c->lookup.nin; j++)
			want_name(x, &c->lookup.in[j].to);
		for (uint32_t j = 0; c->kind == VG_CMD_LOOKUP && j < c->lookup.nout; j++)
			want_name(x, &c->lookup.out[j].to); /* OUTPUTNEW keeps values */
		k++;
	}
	x->first_cmd = k;
	if (k == q->ncmds)
		return 0;
	const vg_qcmd *c = &q->cmds[k];
	if (c->kind == VG_CMD_HEAD && k + 1 == q->ncmds) {
		if (c->head.n < x->limit)
			x->limit = c->head.n;
		return 0;
	}
	uint32_t p = k;
	while (p < q->ncmds && projects(q->cmds[p].kind))
		p++;
	if (p == q->ncmds) {
		/* Each row is one event's, in the events' order: the newest
		 * `limit` events (fewer after a head) make the answer. */
		for (p = k; p < q->ncmds; p++)
			if (q->cmds[p].kind == VG_CMD_HEAD && q->cmds[p].head.n < x->limit)
				x->limit = q->cmds[p].head.n;
		int rc = prepare_rows(x, st);
		x->ext->proj = x->rows;
		x->rows = NULL;
		return rc;
	}
	for (uint32_t j = k; j < q->ncmds; j++) {
		uint8_t kind = q->cmds[j].kind;
		if (kind == VG_CMD_SEARCH)
			return vg_seterr(x->err, VG_EINVAL, q->cmds[j].pos,
					 "'%s' at %u is not supported at this place of a pipeline yet",
					 vg_cmd_name(kind), (unsigned)q->cmds[j].pos);
	}
	if (is_agg(c->kind)) {
		x->agg = make_agg(x, c);
		return 0;
	}
	return prepare_rows(x, st);
}

/* The aggregation state of a transforming command. */
static xagg *make_agg(exec *x, const vg_qcmd *c)
{
	xagg *g = vg_xcalloc(1, sizeof *g);
	g->cmd = c;
	static const vg_qagg count_agg = {.fn = VG_AGG_COUNT, .as = "count", .as_len = 5};
	if (c->kind == VG_CMD_STATS) {
		g->aggs = c->stats.aggs.v;
		g->naggs = c->stats.aggs.n;
		g->by = c->stats.by.v;
		g->nby = c->stats.by.n;
	} else if (c->kind == VG_CMD_TIMECHART) {
		g->aggs = c->timechart.aggs.v;
		g->naggs = c->timechart.aggs.n;
		g->timechart = 1;
		g->by = c->timechart.by.s ? &c->timechart.by : NULL;
		g->nby = c->timechart.by.s ? 1 : 0;
		g->span = c->timechart.span_ns;
		/* Several aggregations split by a field rank its series by
		 * their events, as Splunk: a count past them that no column
		 * shows (table_timechart). */
		if (g->nby && g->naggs > 1) {
			vg_qagg *aggs = vg_arena_alloc(x->a, (g->naggs + 1) * sizeof *aggs);
			memcpy(aggs, g->aggs, g->naggs * sizeof *aggs);
			aggs[g->naggs++] = count_agg;
			g->aggs = aggs;
		}
		if (g->span <= 0) {
			int64_t lo = x->nhist ? x->hstart : 0;
			int64_t hi = x->nhist ? x->hstart + (int64_t)x->nhist * x->hspan : VG_NS_PER_DAY;
			g->span = nice_span(hi - lo, 100);
		}
	} else if (c->kind == VG_CMD_GEOSTATS) {
		geostats_agg(x, g, c);
	} else {
		/* top/rare count by (by fields, counted fields). */
		uint32_t nb = c->top.by.n, nf = c->top.fields.n;
		vg_qname *names = vg_arena_alloc(x->a, (nb + nf) * sizeof *names);
		if (nb)
			memcpy(names, c->top.by.v, nb * sizeof *names);
		memcpy(names + nb, c->top.fields.v, nf * sizeof *names);
		g->by = names;
		g->nby = nb + nf;
		g->aggs = &count_agg;
		g->naggs = 1;
	}
	g->byslot = vg_arena_alloc(x->a, (g->nby ? g->nby : 1) * sizeof *g->byslot);
	g->aggslot = vg_arena_alloc(x->a, (g->naggs ? g->naggs : 1) * sizeof *g->aggslot);
	/* geostats' first by value, the cell, is computed, never stored. */
	for (uint32_t j = 0; j < g->nby; j++)
		g->byslot[j] = g->by[j].kind == VG_QF_PLAIN && !(j == 0 && c->kind == VG_CMD_GEOSTATS)
				       ? slot_of(x, g->by[j].s) : -1;
	for (uint32_t a = 0; a < g->naggs; a++)
		g->aggslot[a] = g->aggs[a].has_field && g->aggs[a].field.kind == VG_QF_PLAIN
					? slot_of(x, g->aggs[a].field.s) : -1;
	return g;
}

/* Register the plain fields the pipeline reads, so blocks decode them. */
static void register_reads(exec *x)
{
	const vg_query *q = x->q;
	if (q->reads_all && q->first_transform >= 0)
		x->need_raw = 1; /* an unbounded read set: decode everything */
	for (uint32_t k = 0; k < q->nreads; k++)
		if (q->reads[k].kind == VG_QF_PLAIN && !q->reads[k].wild)
			slot_of(x, q->reads[k].s);
		else if (q->reads[k].kind == VG_QF_RAW)
			x->need_raw = 1;
}

/* The projection's rows (xext.proj) from the events kept, newest first;
 * the heap is emptied. */
static void proj_table(exec *x, table *t)
{
	const table *p = x->ext->proj;
	*t = (table){.cols = p->cols, .ncols = p->ncols};
	uint32_t n = x->nheap, c0 = x->rows_event ? 2 : 1;
	vg_result_event *ev = vg_xmalloc((n ? n : 1) * sizeof *ev);
	while (x->nheap > 0) {
		ev[x->nheap - 1] = x->heap[0];
		x->heap[0] = x->heap[--x->nheap];
		heap_down(x->heap, x->nheap, 0);
	}
	for (uint32_t k = 0; k < n; k++) {
		vg_val *row = table_add(t);
		/* _time as row_get gives it */
		row[0] = ev[k].t % VG_NS_PER_SEC == 0 ? vg_v_int(ev[k].t / VG_NS_PER_SEC)
						     : vg_v_dbl((double)ev[k].t / 1e9);
		if (x->rows_event)
			row[1] = vg_v_str(vg_arena_dup(x->a, ev[k].json, ev[k].len), ev[k].len);
		for (uint32_t c = c0; c < t->ncols; c++) {
			const vg_val *v = pairs_get(ev[k].fields, t->cols[c], (uint32_t)strlen(t->cols[c]));
			if (v)
				row[c] = val_copy(x->a, v);
		}
		free((char *)ev[k].json);
		free((vg_val *)ev[k].fields);
	}
	free(ev);
}

/* The first `limit` rows of t as the result's events: each row's event
 * (column ev) with the columns the pipeline's commands set merged in
 * (those fields and rename left). */
static void rows_events(exec *x, table *t, uint32_t ev)
{
	vg_result *res = x->res;
	uint32_t n = t->nrows < x->limit ? t->nrows : x->limit;
	res->truncated |= t->nrows > n;
	res->events = vg_arena_alloc(x->a, (n ? n : 1) * sizeof *res->events);
	uint32_t *set = vg_xmalloc((t->ncols ? t->ncols : 1) * sizeof *set), nset = 0;
	for (uint32_t c = 0; c < t->ncols; c++)
		if (c != ev && set_by_pipeline(x, t->cols[c]))
			set[nset++] = c;
	/* A field renamed away leaves the event under its old name (nulls
	 * first: the new name may be the old one of another rename). */
	const vg_qname *gone[VG_Q_MAX_ITEMS];
	uint32_t ngone = 0;
	for (uint32_t k = x->first_cmd; k < x->q->ncmds; k++)
		for (uint32_t j = 0; x->q->cmds[k].kind == VG_CMD_RENAME && j < x->q->cmds[k].rename.n &&
				     ngone < VG_Q_MAX_ITEMS; j++)
			if (col_index(t, x->q->cmds[k].rename.v[j].from.s) < 0)
				gone[ngone++] = &x->q->cmds[k].rename.v[j].from;
	uint32_t np = ngone + nset;
	overlay *p = vg_xmalloc((np ? np : 1) * sizeof *p);
	vg_buf j = {0};
	for (uint32_t r = 0; r < n; r++) {
		const vg_val *v = &trow(t, r)[ev];
		vg_result_event *e = &res->events[r];
		*e = (vg_result_event){row_time(t, r), v->s, v->len, NULL};
		if (np == 0)
			continue;
		for (uint32_t k = 0; k < ngone; k++)
			p[k] = (overlay){gone[k]->s, gone[k]->len, vg_v_null()};
		for (uint32_t k = 0; k < nset; k++)
			p[ngone + k] = (overlay){t->cols[set[k]], (uint32_t)strlen(t->cols[set[k]]),
						 trow(t, r)[set[k]]};
		vg_buf_clear(&j);
		json_merge(v->s, v->len, p, np, &j);
		e->json = vg_arena_dup(x->a, j.p, j.len);
		e->len = (uint32_t)j.len;
		e->fields = pairs_pack(p, np, 1);
	}
	vg_buf_free(&j);
	free(p);
	free(set);
	res->nevents = n;
	fields_finish(x, res->events, n);
}

static int finish(exec *x, vg_store *st)
{
	(void)st;
	vg_result *res = x->res;
	res->hist = x->hist;
	res->nhist = x->o->no_hist ? 0 : x->nhist;
	res->hist_start = x->hstart;
	res->hist_span = x->hspan;
	if (!x->agg && !x->rows && !x->ext->proj) {
		/* Newest first. */
		res->events = vg_arena_alloc(x->a, (x->nheap ? x->nheap : 1) * sizeof *res->events);
		uint32_t n = x->nheap;
		while (x->nheap > 0) {
			vg_result_event ev = x->heap[0];
			x->heap[0] = x->heap[--x->nheap];
			heap_down(x->heap, x->nheap, 0);
			res->events[x->nheap] = ev;
		}
		for (uint32_t k = 0; k < n; k++) {
			char *j = vg_arena_dup(x->a, res->events[k].json, res->events[k].len);
			free((char *)res->events[k].json);
			res->events[k].json = j;
		}
		res->nevents = n;
		fields_finish(x, res->events, n);
		return 0;
	}
	table t = {0};
	int rc = 0;
	if (x->rows || x->ext->proj) {
		/* Events as rows, newest first, then the rest of the pipeline. */
		if (x->ext->proj) {
			proj_table(x, &t);
		} else {
			t = *x->rows;
			memset(x->rows, 0, sizeof *x->rows);
			/* Ties of _time by every other column (the event's JSON
			 * when it is one): the order must not be the one the
			 * scan met the events in, which differs between the
			 * memtable and segments and between runs on two
			 * threads. Rows equal in every column are alike. */
			uint32_t *keys = vg_xmalloc(t.ncols * sizeof *keys);
			uint8_t *desc = vg_xcalloc(t.ncols, 1);
			for (uint32_t c = 0; c < t.ncols; c++)
				keys[c] = c;
			desc[0] = 1;
			table_sort(&t, keys, desc, t.ncols, 0);
			free(keys);
			free(desc);
		}
		for (uint32_t k = x->first_cmd; k < x->q->ncmds && rc == 0; k++)
			rc = after_cmd(x, &t, &x->q->cmds[k], k + 1 < x->q->ncmds ? &x->q->cmds[k + 1] : NULL);
		/* Without an aggregation every row is an event's: --limit
		 * bounds them as it bounds events (the newest, or the first in
		 * the order a sort gave). */
		int rows_of_events = 1;
		for (uint32_t k = x->first_cmd; k < x->q->ncmds; k++) {
			uint8_t kind = x->q->cmds[k].kind;
			rows_of_events &= !is_agg(kind);
			res->reordered |= rows_of_events && (kind == VG_CMD_SORT || kind == VG_CMD_TAIL);
		}
		if (rc == 0 && rows_of_events && t.nrows > x->limit) {
			t.nrows = x->limit;
			res->truncated = 1;
		}
		int ev = col_index(&t, "_event");
		if (rc == 0 && x->q->output == VG_QOUT_EVENTS && ev >= 0) {
			rows_events(x, &t, (uint32_t)ev);
			free(t.cells);
			return 0;
		}
		if (ev >= 0 && rc == 0) {
			/* A table keeps the event only through `fields`: drop it. */
			vg_qcmd drop = {.kind = VG_CMD_FIELDS};
			vg_qname nm = {"_event", 6, 0, VG_QF_PLAIN, 0};
			drop.fields.remove = 1;
			drop.fields.list.v = &nm;
			drop.fields.list.n = 1;
			rc = after_cmd(x, &t, &drop, NULL);
		}
		goto out;
	}
	agg_table(x, &t);
	for (uint32_t k = x->first_cmd + 1; k < x->q->ncmds && rc == 0; k++)
		rc = after_cmd(x, &t, &x->q->cmds[k], k + 1 < x->q->ncmds ? &x->q->cmds[k + 1] : NULL);
out:
	res->table = 1;
	res->columns = t.cols;
	res->ncols = t.ncols;
	res->nrows = t.nrows;
	res->cells = vg_arena_alloc(x->a, ((size_t)t.nrows * t.ncols + 1) * sizeof *res->cells);
	if (t.nrows)
		memcpy(res->cells, t.cells, (size_t)t.nrows * t.ncols * sizeof *res->cells);
	free(t.cells);
	return rc;
}

/* Everything before the scan: the plan, the columns to decode, the
 * histogram's range, the sink. Returns 0 or an error code (err set). */
static int exec_init(exec *x, vg_store *st, const vg_query *q, const vg_exec_opts *o,
		     vg_result *res, vg_err *err, vg_lookup_bind *binds)
{
	memset(res, 0, sizeof *res);
	memset(x, 0, sizeof *x);
	x->q = q;
	x->o = o;
	x->res = res;
	x->err = err;
	x->a = &res->arena;
	x->cw = o->cw;
	x->from = o->from;
	x->to = o->to;
	if (q->has_earliest && q->earliest > x->from)
		x->from = q->earliest;
	if (q->has_latest && q->latest < x->to)
		x->to = q->latest;
	if (q->search && (x->root = compile(x, q->search)) == NULL)
		return err->code;
	register_reads(x);
	prepare_terms(x);
	x->mctx = vg_qregex_mctx();
	x->md = pcre2_match_data_create(64, NULL);
	if (x->mctx == NULL || x->md == NULL)
		return vg_seterr(err, VG_ENOMEM, -1, "out of memory");
	x->first_cmd = q->ncmds;
	hist_range(x, st);
	int rc = ext_init(x, binds);
	if (rc == 0)
		rc = select_mode(x, st);
	if (rc == 0)
		ex_vec_prepare(x);
	if (rc == 0 && !x->agg && !x->rows)
		x->heap = vg_xmalloc((x->limit ? x->limit : 1) * sizeof *x->heap);
	return rc;
}

/* The caches a compiled node holds outside the result's arena. */
static void free_node(xnode *n)
{
	if (n == NULL)
		return;
	for (uint32_t k = 0; k < n->n; k++)
		free_node(n->kids[k]);
	free(n->tmemo);
}

static void exec_free(exec *x)
{
	ex_vec_free(x);
	ext_free(x);
	free_node(x->root);
	for (uint32_t k = 0; x->cmdnode && k < x->q->ncmds; k++)
		free_node(x->cmdnode[k]);
	for (uint32_t k = 0; k < x->nheap; k++) {
		free((char *)x->heap[k].json);
		free((vg_val *)x->heap[k].fields);
	}
	free(x->heap);
	for (uint32_t k = 0; k < x->nterms; k++) {
		free(x->terms[k].h);
		free(x->terms[k].digits);
	}
	agg_free(x->agg);
	if (x->rows)
		free(x->rows->cells);
	free(x->rows);
	free(x->rnames);
	pcre2_match_data_free(x->md);
	pcre2_match_context_free(x->mctx);
	vg_buf_free(&x->scratch);
	vg_buf_free(&x->lower);
	vg_arena_free(&x->evarena);
	vg_arena_free(&x->rowarena);
}

/* Scan segments, taking the next index from *next until none is left:
 * several scanners share the list this way. */
static int scan_segments(exec *x, vg_store *st, size_t *next)
{
	size_t n = vg_store_nsegs(st);
	/* For events, the newest segments first: once the newest `limit`
	 * events are kept, an older matching event is turned away before it
	 * is printed (and its block never fully decoded). The answer does not
	 * depend on the order; for aggregations and rows, keep the store's. */
	int back = !x->agg && !x->rows;
	for (;;) {
		size_t i = __atomic_fetch_add(next, 1, __ATOMIC_RELAXED);
		if (i >= n) {
			ex_vec_flush(x);
			return 0;
		}
		size_t k = back ? n - 1 - i : i;
		const vg_seginfo *si = vg_store_seginfo(st, k);
		if (si == NULL)
			continue; /* dropped by retention */
		x->res->stats.segments++;
		if (si->tmax < x->from || si->tmin >= x->to ||
		    !group_searched(x, si->group)) {
			x->res->stats.segments_skipped++;
			continue;
		}
		vg_seg *s;
		int rc = vg_store_open_seg(st, k, &s, x->err);
		if (rc == 0) {
			rc = scan_segment(x, s);
			vg_seg_close(s);
		}
		if (rc)
			return rc;
	}
}

/* ------------------------------------------------------ the second core */

typedef struct helper {
	exec x;
	vg_result res;
	vg_err err;
	vg_store *st;
	size_t *next;
	int rc;
} helper;

static void *helper_run(void *arg)
{
	helper *h = arg;
	h->rc = scan_segments(&h->x, h->st, h->next);
	vg_col_thread_done();
	return NULL;
}

/* Fold aggregation state b into a (the same aggregation's states). */
static void aggst_merge(xagg *g, aggst *a, aggst *b, const vg_qagg *ag)
{
	int added;
	switch (ag->fn) {
	case VG_AGG_SUM:
	case VG_AGG_AVG:
		if (b->n == 0)
			return;
		if (a->n == 0) {
			a->allint = b->allint;
			a->isum = b->isum;
		} else {
			a->allint = a->allint && b->allint;
			a->isum += b->isum;
		}
		a->sum += b->sum;
		a->n += b->n;
		return;
	case VG_AGG_MIN:
	case VG_AGG_MAX:
		if (b->n && (a->n == 0 || (ag->fn == VG_AGG_MIN ? vg_val_cmp(&b->min, &a->min) < 0
								 : vg_val_cmp(&b->max, &a->max) > 0))) {
			if (ag->fn == VG_AGG_MIN)
				a->min = val_copy(&g->arena, &b->min);
			else
				a->max = val_copy(&g->arena, &b->max);
		}
		a->n += b->n;
		return;
	case VG_AGG_PERC:
		for (uint32_t k = 0; k < b->nvals; k++) {
			if (a->nvals == a->capvals) {
				a->capvals = a->capvals ? a->capvals * 2 : 16;
				a->vals = vg_xrealloc(a->vals, a->capvals * sizeof *a->vals);
			}
			a->vals[a->nvals++] = b->vals[k];
		}
		return;
	case VG_AGG_DC:
		for (uint32_t k = 0; k < b->capset; k++)
			if (b->set[k])
				ex_set_add(a, b->set[k], &added);
		return;
	case VG_AGG_VALUES:
		for (uint32_t k = 0; k < b->nset; k++) {
			ex_set_add(a, ex_hash(b->strs[k], b->lens[k]), &added);
			if (added) {
				a->strs = vg_xrealloc(a->strs, a->nset * sizeof *a->strs);
				a->lens = vg_xrealloc(a->lens, a->nset * sizeof *a->lens);
				a->strs[a->nset - 1] = vg_arena_dup(&g->arena, b->strs[k], b->lens[k]);
				a->lens[a->nset - 1] = b->lens[k];
			}
		}
		return;
	case VG_AGG_EARLIEST:
	case VG_AGG_LATEST:
		if (b->n && (a->n == 0 || (ag->fn == VG_AGG_EARLIEST ? b->tbest < a->tbest
									: b->tbest > a->tbest))) {
			a->tbest = b->tbest;
			a->best = val_copy(&g->arena, &b->best);
		}
		a->n += b->n;
		return;
	default:
		a->n += b->n;
		return;
	}
}

/* Fold the helper's aggregation into x's. */
static int agg_merge(exec *x, xagg *b)
{
	xagg *g = x->agg;
	for (uint32_t gb = 0; gb < b->ngroups; gb++) {
		int isnew;
		uint32_t gi = group_of(g, b->keys[gb], b->keylens[gb], b->bucket[gb], &isnew);
		if (isnew) {
			if (group_new(x, g, gi, b->keys[gb], b->keylens[gb], b->bucket[gb]))
				return x->err->code;
			for (uint32_t j = 0; j < g->nby; j++)
				g->byvals[(size_t)gi * g->nby + j] =
					val_copy(&g->arena, &b->byvals[(size_t)gb * b->nby + j]);
		}
		for (uint32_t a = 0; a < g->naggs; a++)
			aggst_merge(g, &g->st[(size_t)gi * g->naggs + a], &b->st[(size_t)gb * b->naggs + a],
				    &g->aggs[a]);
	}
	return 0;
}

/* Fold the helper's work into x: counts, histogram, and its sink. */
static int merge_helper(exec *x, helper *h)
{
	exec *y = &h->x;
	vg_exec_stats *a = &x->res->stats, *b = &h->res.stats;
	a->segments += b->segments;
	a->segments_skipped += b->segments_skipped;
	a->blocks += b->blocks;
	a->blocks_skipped += b->blocks_skipped;
	a->events_scanned += b->events_scanned;
	a->events_matched += b->events_matched;
	for (uint32_t k = 0; k < x->nhist && k < y->nhist; k++)
		x->hist[k] += y->hist[k];
	x->res->truncated |= h->res.truncated;
	if (x->agg)
		return agg_merge(x, y->agg);
	if (x->rows) {
		for (uint32_t r = 0; r < y->rows->nrows; r++) {
			if (rows_room(x))
				return x->err->code;
			vg_val *dst = table_add(x->rows), *src = trow(y->rows, r);
			for (uint32_t c = 0; c < x->rows->ncols; c++)
				dst[c] = val_copy(x->a, &src[c]);
		}
		return 0;
	}
	/* Events: offer the helper's kept events to x's heap. */
	for (uint32_t k = 0; k < y->nheap; k++) {
		heap_offer(x, y->heap[k]);
		y->heap[k].json = NULL;
		y->heap[k].fields = NULL;
	}
	y->nheap = 0;
	return 0;
}

int vg_exec(vg_store *st, const vg_query *q, const vg_exec_opts *o, vg_result *res, vg_err *err)
{
	int64_t t0 = vg_mono_ns();
	exec x;
	int rc = exec_init(&x, st, q, o, res, err, NULL);
	x.deadline = o->timeout_ns ? t0 + o->timeout_ns : 0;
	/* A second scanner on the other core when there are segments to
	 * share: each keeps its own plan, caches and sink, merged at the end. */
	size_t next = 0;
	helper *h = NULL;
	pthread_t tid;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (rc == 0 && ncpu > 1 && vg_store_nsegs(st) > 1 && !o->mem_only) {
		h = vg_xcalloc(1, sizeof *h);
		h->st = st;
		h->next = &next;
		if (exec_init(&h->x, st, q, o, &h->res, &h->err, x.ext->binds) != 0 ||
		    pthread_create(&tid, NULL, helper_run, h) != 0) {
			exec_free(&h->x);
			vg_result_free(&h->res);
			free(h);
			h = NULL;
		} else {
			h->x.deadline = x.deadline;
		}
	}
	if (rc == 0 && !o->mem_only)
		rc = scan_segments(&x, st, &next);
	if (rc == 0)
		rc = scan_mem(&x, vg_store_mem(st), o->mem_from);
	if (h) {
		pthread_join(tid, NULL);
		if (rc == 0 && h->rc) {
			*err = h->err;
			rc = h->rc;
		}
		if (rc == 0)
			rc = merge_helper(&x, h);
		exec_free(&h->x);
		vg_result_free(&h->res);
		free(h);
	}
	if (rc == 0)
		rc = finish(&x, st);
	exec_free(&x);
	res->stats.took_ns = vg_mono_ns() - t0;
	if (rc)
		vg_result_free(res);
	return rc;
}

void vg_result_free(vg_result *res)
{
	vg_arena_free(&res->arena);
	memset(res, 0, sizeof *res);
}

/* ---------------------------------------------------------------- output */

static void csv_field(vg_buf *out, const char *s, size_t n)
{
	if (n == 0)
		return; /* s may be NULL: an empty buffer */
	if (memchr(s, ',', n) == NULL && memchr(s, '"', n) == NULL && memchr(s, '\n', n) == NULL &&
	    memchr(s, '\r', n) == NULL) {
		vg_buf_put(out, s, n);
		return;
	}
	vg_buf_putc(out, '"');
	for (size_t k = 0; k < n; k++) {
		if (s[k] == '"')
			vg_buf_putc(out, '"');
		vg_buf_putc(out, (uint8_t)s[k]);
	}
	vg_buf_putc(out, '"');
}

/* The value of key in a flat JSON object text (an event), unescaped. */
static void event_field(const vg_result_event *ev, const char *key, vg_buf *out)
{
	cJSON *j = cJSON_ParseWithLength(ev->json, ev->len);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
	if (cJSON_IsString(v)) {
		vg_buf_puts(out, v->valuestring);
	} else if (cJSON_IsNumber(v) || cJSON_IsBool(v)) { /* `eval _raw=5` */
		char *t = cJSON_PrintUnformatted(v);
		vg_buf_puts(out, t ? t : "");
		cJSON_free(t);
	}
	cJSON_Delete(j);
}

void vg_result_csv(const vg_result *res, vg_buf *out)
{
	vg_buf cell = {0};
	if (!res->table) {
		static const char *keys[] = {"_time", "_group", "_raw"};
		vg_buf_puts(out, "_time,_group,_raw");
		for (uint32_t c = 0; c < res->nfields; c++) {
			vg_buf_putc(out, ',');
			csv_field(out, res->fields[c], strlen(res->fields[c]));
		}
		vg_buf_putc(out, '\n');
		for (uint32_t k = 0; k < res->nevents; k++) {
			for (int c = 0; c < 3; c++) {
				vg_buf_clear(&cell);
				event_field(&res->events[k], keys[c], &cell);
				if (c)
					vg_buf_putc(out, ',');
				csv_field(out, (const char *)cell.p, cell.len);
			}
			for (uint32_t c = 0; c < res->nfields; c++) {
				vg_buf_clear(&cell);
				vg_val_text(&res->events[k].fields[c], &cell);
				vg_buf_putc(out, ',');
				csv_field(out, (const char *)cell.p, cell.len);
			}
			vg_buf_putc(out, '\n');
		}
		vg_buf_free(&cell);
		return;
	}
	for (uint32_t c = 0; c < res->ncols; c++) {
		if (c)
			vg_buf_putc(out, ',');
		csv_field(out, res->columns[c], strlen(res->columns[c]));
	}
	vg_buf_putc(out, '\n');
	for (uint32_t r = 0; r < res->nrows; r++) {
		for (uint32_t c = 0; c < res->ncols; c++) {
			vg_buf_clear(&cell);
			vg_val_text(&res->cells[(size_t)r * res->ncols + c], &cell);
			if (c)
				vg_buf_putc(out, ',');
			csv_field(out, (const char *)cell.p, cell.len);
		}
		vg_buf_putc(out, '\n');
	}
	vg_buf_free(&cell);
}


static void val_json(const vg_val *v, vg_buf *out)
{
	switch (v->kind) {
	case VG_V_NULL: vg_buf_puts(out, "null"); break;
	case VG_V_NUM:
	case VG_V_BOOL: vg_val_text(v, out); break;
	case VG_V_MV:
		vg_buf_putc(out, '[');
		for (uint32_t k = 0; k < v->nmv; k++) {
			if (k)
				vg_buf_putc(out, ',');
			val_json(&v->mv[k], out);
		}
		vg_buf_putc(out, ']');
		break;
	default: vg_json_str(out, v->s, v->len); break;
	}
}

void vg_result_json(const vg_result *res, vg_buf *out)
{
	vg_buf_putc(out, '{');
	if (res->table) {
		vg_buf_puts(out, "\"columns\":[");
		for (uint32_t c = 0; c < res->ncols; c++) {
			if (c)
				vg_buf_putc(out, ',');
			vg_json_str(out, res->columns[c], strlen(res->columns[c]));
		}
		vg_buf_puts(out, "],\"rows\":[");
		for (uint32_t r = 0; r < res->nrows; r++) {
			vg_buf_puts(out, r ? ",[" : "[");
			for (uint32_t c = 0; c < res->ncols; c++) {
				if (c)
					vg_buf_putc(out, ',');
				val_json(&res->cells[(size_t)r * res->ncols + c], out);
			}
			vg_buf_putc(out, ']');
		}
		/* Rows made of events (no aggregation) are bounded by the limit
		 * as events are: truncated says some were left out. */
		vg_buf_puts(out, "],\"truncated\":");
		vg_buf_puts(out, res->truncated ? "true" : "false");
	} else {
		vg_buf_puts(out, "\"events\":[");
		for (uint32_t k = 0; k < res->nevents; k++) {
			if (k)
				vg_buf_putc(out, ',');
			vg_buf_put(out, res->events[k].json, res->events[k].len);
		}
		vg_buf_puts(out, "],\"truncated\":");
		vg_buf_puts(out, res->truncated ? "true" : "false");
	}
	char ts[48];
	vg_buf_puts(out, ",\"histogram\":{\"start\":\"");
	vg_buf_put(out, ts, vg_format_iso8601(res->hist_start, ts, 0));
	vg_buf_puts(out, "\",\"span_seconds\":");
	vg_put_i64(out, res->hist_span / VG_NS_PER_SEC);
	vg_buf_puts(out, ",\"counts\":[");
	for (uint32_t k = 0; k < res->nhist; k++) {
		if (k)
			vg_buf_putc(out, ',');
		vg_put_i64(out, (int64_t)res->hist[k]);
	}
	const vg_exec_stats *s = &res->stats;
	vg_buf_puts(out, "]},\"stats\":{\"segments\":");
	vg_put_i64(out, (int64_t)s->segments);
	vg_buf_puts(out, ",\"segments_skipped\":");
	vg_put_i64(out, (int64_t)s->segments_skipped);
	vg_buf_puts(out, ",\"blocks\":");
	vg_put_i64(out, (int64_t)s->blocks);
	vg_buf_puts(out, ",\"blocks_skipped\":");
	vg_put_i64(out, (int64_t)s->blocks_skipped);
	vg_buf_puts(out, ",\"events_scanned\":");
	vg_put_i64(out, (int64_t)s->events_scanned);
	vg_buf_puts(out, ",\"events_matched\":");
	vg_put_i64(out, (int64_t)s->events_matched);
	vg_buf_puts(out, ",\"took_ms\":");
	vg_put_i64(out, s->took_ns / 1000000);
	vg_buf_puts(out, "}}");
}
