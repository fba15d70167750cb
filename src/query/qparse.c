/*
 * qparse.c — the entry point: bounds, the search part and its time bounds,
 * the pipeline, and the helpers every part of the parser shares.
 *
 * The parser is recursive descent over tokens read on demand (qlex.h):
 * the grammar of each command is small, and a hand-written parser gives
 * the exact, positioned messages users need ("missing ')' for '(' at 5").
 * Recursion is bounded by qp_enter, so a hostile query cannot exhaust the
 * stack; everything allocated goes to the query's arena, so an error
 * anywhere just frees the query.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "event/batch.h"
#include "query/qint.h"
#include "util/timeutil.h"

_Static_assert(VG_Q_MAX_NAME == VG_MAX_NAME, "query names are event field names");

/* ------------------------------------------------------------ the state */

int qp_fail(qp *p, int code, uint32_t pos, const char *fmt, ...)
{
	va_list ap;
	p->err->code = code;
	p->err->pos = pos;
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
	va_end(ap);
	return code;
}

void *qp_alloc(qp *p, size_t n)
{
	void *v = vg_arena_alloc(p->a, n);
	memset(v, 0, n);
	return v;
}

char *qp_dup(qp *p, const char *s, size_t n)
{
	return vg_arena_dup(p->a, s, n);
}

void *qvec_push(qp *p, qvec *v, size_t size)
{
	if (v->n == v->cap) {
		uint32_t cap = v->cap ? v->cap * 2 : 4;
		void *nv = vg_arena_alloc(p->a, cap * size);
		if (v->n)
			memcpy(nv, v->v, v->n * size);
		v->v = nv;
		v->cap = cap;
	}
	void *slot = (char *)v->v + (size_t)v->n++ * size;
	memset(slot, 0, size);
	return slot;
}

int qp_enter(qp *p, uint32_t pos)
{
	if (p->depth >= VG_Q_MAX_DEPTH)
		return qp_fail(p, VG_ELIMIT, pos, "nesting deeper than %d levels at %u",
			       VG_Q_MAX_DEPTH, pos);
	p->depth++;
	return 0;
}

void qp_leave(qp *p)
{
	p->depth--;
}

int qp_peek_at(qp *p, uint32_t pos, ql_mode m, qtok *t)
{
	return ql_lex(p->s, p->n, pos, m, t, p->err);
}

int qp_peek(qp *p, ql_mode m, qtok *t)
{
	return ql_lex(p->s, p->n, p->pos, m, t, p->err);
}

void qp_take(qp *p, const qtok *t)
{
	p->pos = t->end;
}

const char *qp_desc(const qp *p, const qtok *t, char *buf, size_t size)
{
	if (t->kind == QT_EOF)
		snprintf(buf, size, "end of query");
	else
		ql_echo(buf, size, p->s + t->pos, t->end - t->pos);
	return buf;
}

int qp_is(const qp *p, const qtok *t, const char *word)
{
	size_t n = strlen(word);
	return t->end - t->pos == n && memcmp(p->s + t->pos, word, n) == 0;
}

int qp_is_ci(const qp *p, const qtok *t, const char *word)
{
	size_t n = strlen(word);
	return t->end - t->pos == n && strncasecmp(p->s + t->pos, word, n) == 0;
}

/* 1 if a backslash at s[i] escapes the next byte inside quotes q: only the
 * quote and the backslash are escapes; `\d` stays `\d` for regexes. */
static int escapes(const char *s, uint32_t i, uint32_t end, char q)
{
	return s[i] == '\\' && i + 1 < end && (s[i + 1] == q || s[i + 1] == '\\');
}

void qp_text(qp *p, const qtok *t, const char **s, uint32_t *len)
{
	if (t->kind != QT_STR && t->kind != QT_QNAME) {
		*s = qp_dup(p, p->s + t->pos, t->end - t->pos);
		*len = t->end - t->pos;
		return;
	}
	char q = p->s[t->pos];
	uint32_t end = t->end - 1, o = 0;
	char *d = vg_arena_alloc(p->a, end - t->pos);
	for (uint32_t i = t->pos + 1; i < end; i++) {
		if (escapes(p->s, i, end, q))
			i++;
		d[o++] = p->s[i];
	}
	d[o] = 0;
	*s = d;
	*len = o;
}

uint32_t qp_srcpos(const qp *p, const qtok *t, uint32_t k)
{
	if (t->kind != QT_STR && t->kind != QT_QNAME)
		return t->pos + k < t->end ? t->pos + k : t->end;
	char q = p->s[t->pos];
	uint32_t end = t->end - 1, i = t->pos + 1;
	for (uint32_t seen = 0; i < end && seen < k; seen++)
		i += escapes(p->s, i, end, q) ? 2 : 1;
	return i;
}

void qp_name_set(vg_qname *nm, const char *s, uint32_t len, uint32_t pos)
{
	static const struct {
		const char *name, *canon;
		uint8_t kind;
	} special[] = {
		{"_raw", "_raw", VG_QF_RAW},        {"_time", "_time", VG_QF_TIME},
		{"_group", "_group", VG_QF_GROUP},  {"group", "_group", VG_QF_GROUP},
		{"index", "_group", VG_QF_GROUP},   {"date_wday", "date_wday", VG_QF_WDAY},
		{"date_hour", "date_hour", VG_QF_HOUR}, {"date_mday", "date_mday", VG_QF_MDAY},
	};
	nm->s = s;
	nm->len = len;
	nm->pos = pos;
	nm->kind = VG_QF_PLAIN;
	nm->wild = memchr(s, '*', len) != NULL;
	for (size_t i = 0; i < sizeof special / sizeof *special; i++) {
		if (strlen(special[i].name) == len && memcmp(special[i].name, s, len) == 0) {
			nm->s = special[i].canon;
			nm->len = (uint32_t)strlen(special[i].canon);
			nm->kind = special[i].kind;
		}
	}
}

int qp_name_text(qp *p, const char *s, uint32_t len, uint32_t pos, int allow_wild,
		 vg_qname *out)
{
	char w[QL_ECHO_MAX];
	if (len == 0)
		return qp_fail(p, VG_EINVAL, pos, "empty field name at %u", pos);
	if (len > VG_Q_MAX_NAME)
		return qp_fail(p, VG_ELIMIT, pos, "field name longer than %d bytes at %u",
			       VG_Q_MAX_NAME, pos);
	if (!allow_wild && memchr(s, '*', len)) {
		ql_echo(w, sizeof w, s, len);
		return qp_fail(p, VG_EINVAL, pos, "field name %s at %u cannot hold '*' here", w,
			       pos);
	}
	qp_name_set(out, s, len, pos);
	return 0;
}

int qp_name(qp *p, const qtok *t, int allow_wild, vg_qname *out)
{
	const char *s;
	uint32_t len;
	qp_text(p, t, &s, &len);
	return qp_name_text(p, s, len, t->pos, allow_wild, out);
}

/* ------------------------------------------------------- the time bounds */

static void apply_bound(vg_query *q, const vg_snode *n)
{
	int64_t t = n->term.i;
	if (n->op == VG_SOP_GE) {
		if (!q->has_earliest || t > q->earliest)
			q->earliest = t;
		q->has_earliest = 1;
	} else {
		if (!q->has_latest || t < q->latest)
			q->latest = t;
		q->has_latest = 1;
	}
}

/* Take the earliest= / latest= nodes out of the tree at *np into the
 * query's bounds. under names the operator above ("OR", "NOT") when the
 * node is not on a path of ANDs from the root, where a bound is refused. */
static int take_bounds(qp *p, vg_snode **np, const char *under, uint32_t *last)
{
	vg_snode *n = *np;
	if (n->kind == VG_SN__TIME) {
		const char *what = n->op == VG_SOP_GE ? "earliest" : "latest";
		if (under)
			return qp_fail(p, VG_EINVAL, n->pos,
				       "%s= at %u cannot be used under %s: time bounds apply to "
				       "the whole search",
				       what, n->pos, under);
		apply_bound(p->q, n);
		if (n->pos > *last)
			*last = n->pos;
		*np = NULL;
		return 0;
	}
	if (n->kind == VG_SN_NOT)
		return take_bounds(p, &n->kid, "NOT", last);
	if (n->kind != VG_SN_AND && n->kind != VG_SN_OR)
		return 0;
	uint32_t k = 0;
	for (uint32_t i = 0; i < n->list.n; i++) {
		int rc = take_bounds(p, &n->list.kids[i], n->kind == VG_SN_OR ? "OR" : under, last);
		if (rc < 0)
			return rc;
		if (n->list.kids[i] != NULL)
			n->list.kids[k++] = n->list.kids[i];
	}
	n->list.n = k;
	if (k <= 1)
		*np = k ? n->list.kids[0] : NULL;
	return 0;
}

static int search_part(qp *p)
{
	vg_query *q = p->q;
	qtok t, u;
	int rc = qp_peek(p, QL_SEARCH, &t);
	/* A leading `search` is the command's name, as in Splunk, unless it
	 * is a field being compared (search=x). */
	if (rc == 0 && t.kind == QT_WORD && qp_is_ci(p, &t, "search")) {
		rc = qp_peek_at(p, t.end, QL_SEARCH, &u);
		if (rc == 0 && !(u.kind >= QT_EQ && u.kind <= QT_TILDE))
			qp_take(p, &t);
	}
	if (rc < 0)
		return rc;
	rc = qs_parse(p, 1, &q->search);
	uint32_t last = 0;
	if (rc == 0 && q->search)
		rc = take_bounds(p, &q->search, NULL, &last);
	if (rc == 0 && q->has_earliest && q->has_latest && q->earliest >= q->latest) {
		char a[40], b[40];
		vg_format_iso8601(q->earliest, a, 0);
		vg_format_iso8601(q->latest, b, 0);
		return qp_fail(p, VG_EINVAL, last,
			       "empty time range at %u: earliest %s is not before latest %s", last,
			       a, b);
	}
	return rc;
}

/* ------------------------------------------------------------ the pipeline */

static int pipeline(qp *p)
{
	qvec cmds = {0};
	qtok t;
	for (;;) {
		int rc = qp_peek(p, QL_ARGS, &t);
		if (rc < 0)
			return rc;
		if (t.kind == QT_EOF)
			break;
		/* The search part and every command stop only at `|` or the end. */
		if (t.kind != QT_PIPE)
			return qp_fail(p, VG_EINVAL, t.pos, "expected '|' at %u", t.pos);
		if (cmds.n >= VG_Q_MAX_CMDS)
			return qp_fail(p, VG_ELIMIT, t.pos, "more than %d commands at %u",
				       VG_Q_MAX_CMDS, t.pos);
		qp_take(p, &t);
		vg_qcmd *c = qvec_push(p, &cmds, sizeof *c);
		rc = qc_parse(p, t.pos, c);
		if (rc < 0)
			return rc;
	}
	p->q->cmds = cmds.v;
	p->q->ncmds = cmds.n;
	return 0;
}

/* Check the arguments and set up the query and its parser state. */
static int start(qp *p, const char *text, size_t n, int64_t now, vg_err *err)
{
	memset(p, 0, sizeof *p);
	p->err = err;
	if (n > VG_Q_MAX_LEN)
		return vg_seterr(err, VG_ELIMIT, VG_Q_MAX_LEN,
				 "query longer than %u bytes at %u", VG_Q_MAX_LEN, VG_Q_MAX_LEN);
	const char *nul = n ? memchr(text, 0, n) : NULL;
	if (nul)
		return vg_seterr(err, VG_EINVAL, nul - text, "NUL byte in the query at %u",
				 (unsigned)(nul - text));
	/* Relative times add up to a century to now in int64 ns. */
	if (now < -(INT64_C(1) << 62) || now > (INT64_C(1) << 62))
		return vg_seterr(err, VG_EINVAL, -1, "the current time is out of range");
	vg_query *q = vg_xcalloc(1, sizeof *q);
	p->q = q;
	p->a = &q->arena;
	p->now = now;
	p->n = (uint32_t)n;
	p->s = qp_dup(p, text ? text : "", n);
	q->text = p->s;
	q->len = p->n;
	q->first_transform = -1;
	p->cctx = pcre2_compile_context_create(NULL);
	if (p->cctx == NULL)
		return vg_seterr(err, VG_ENOMEM, -1, "out of memory");
	pcre2_set_parens_nest_limit(p->cctx, VG_Q_MAX_DEPTH);
	return 0;
}

int vg_query_parse(const char *text, size_t n, int64_t now_ns, vg_query **out, vg_err *err)
{
	vg_err scratch;
	qp p;
	*out = NULL;
	if (err == NULL)
		err = &scratch;
	int rc = start(&p, text, n, now_ns, err);
	if (rc == 0)
		rc = search_part(&p);
	if (rc == 0)
		rc = pipeline(&p);
	if (rc == 0)
		qi_derive(&p);
	if (p.cctx)
		pcre2_compile_context_free(p.cctx);
	if (rc < 0) {
		vg_query_free(p.q);
		return rc;
	}
	*out = p.q;
	return 0;
}

void vg_query_free(vg_query *q)
{
	if (q == NULL)
		return;
	for (vg_qregex *r = q->regexes; r; r = r->next)
		pcre2_code_free(r->code);
	vg_arena_free(&q->arena);
	free(q);
}

pcre2_match_context *vg_qregex_mctx(void)
{
	pcre2_match_context *m = pcre2_match_context_create(NULL);
	if (m == NULL)
		return NULL;
	pcre2_set_match_limit(m, VG_Q_REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(m, VG_Q_REGEX_DEPTH_LIMIT);
	pcre2_set_heap_limit(m, VG_Q_REGEX_HEAP_LIMIT_KIB);
	return m;
}
