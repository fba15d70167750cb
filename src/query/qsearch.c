/*
 * qsearch.c — search expressions: the search part and `| search`.
 *
 *   and     := or { [AND] or }          (AND is implicit between terms)
 *   or      := not { OR not }
 *   not     := NOT not | primary
 *   primary := ( and ) | "phrase" | word | field op value
 *            | field IN ( value {[,] value} )
 *   op      := = | == | != | < | <= | > | >= | ~
 *
 * OR binds tighter than AND, as in Splunk's search command (Splunk's
 * "Boolean expressions" page: the search command evaluates NOT, then OR,
 * then AND), so `action=REJECT dstport=22 OR dstport=3389` keeps the
 * REJECT filter on both ports. AND and OR lists are flattened (n-ary), so
 * a long chain of ORs is one node, not a deep tree.
 *
 * Values are checked against their field here, where the position is at
 * hand: numbers for < and >, times for _time, day names for date_wday,
 * ranges for date_hour / date_mday, a compiled regex for ~.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "query/qint.h"

static int parse_and(qp *p, int top, vg_snode **out);

static int is_kw(const qp *p, const qtok *t, const char *kw)
{
	return t->kind == QT_WORD && qp_is(p, t, kw);
}

/* The end of a search expression or of a parenthesised group. */
static int at_end(const qtok *t)
{
	return t->kind == QT_EOF || t->kind == QT_PIPE || t->kind == QT_RP;
}

static int is_cmp_op(const qtok *t)
{
	return t->kind >= QT_EQ && t->kind <= QT_TILDE;
}

static const char *op_text(int op)
{
	static const char *const names[] = {"=", "!=", "<", "<=", ">", ">=", "~"};
	return names[op];
}

static vg_snode *node(qp *p, int kind, uint32_t pos)
{
	vg_snode *n = qp_alloc(p, sizeof *n);
	n->kind = (uint8_t)kind;
	n->pos = pos;
	return n;
}

/* An AND or OR node from a list, flattening kids of the same kind. */
static vg_snode *list_node(qp *p, int kind, qvec *kids)
{
	vg_snode **k = kids->v;
	if (kids->n == 1)
		return k[0];
	qvec flat = {0};
	for (uint32_t i = 0; i < kids->n; i++) {
		int same = k[i]->kind == kind;
		uint32_t n = same ? k[i]->list.n : 1;
		for (uint32_t j = 0; j < n; j++)
			*(vg_snode **)qvec_push(p, &flat, sizeof(vg_snode *)) =
				same ? k[i]->list.kids[j] : k[i];
	}
	vg_snode *n = node(p, kind, k[0]->pos);
	n->list.kids = flat.v;
	n->list.n = flat.n;
	return n;
}

/* A value token (word or "string") as a literal. */
static void value_of(qp *p, const qtok *t, vg_qval *v)
{
	memset(v, 0, sizeof *v);
	qp_text(p, t, &v->s, &v->len);
	v->pos = t->pos;
	if (t->kind == QT_STR)
		v->flags |= VG_QV_QUOTED;
	qv_classify(v);
}

/* ----------------------------------------------------- checks per field */

static int check_wday(qp *p, vg_snode *n)
{
	vg_qval *v = &n->cmp.val;
	if (n->op != VG_SOP_EQ && n->op != VG_SOP_NE)
		return qp_fail(p, VG_EINVAL, n->pos, "date_wday takes '=', '!=' or '~' at %u",
			       n->pos);
	if (v->flags & VG_QV_WILD)
		return 0;
	for (int d = 0; qn_wday_names[d]; d++) {
		const char *day = qn_wday_names[d];
		if (strlen(day) == v->len && strncasecmp(v->s, day, v->len) == 0) {
			v->s = qn_wday_names[d];
			v->flags |= VG_QV_WDAY;
			v->i = d;
			return 0;
		}
	}
	char msg[256], w[QL_ECHO_MAX];
	ql_echo(w, sizeof w, v->s, v->len);
	snprintf(msg, sizeof msg, "bad day %s for date_wday at %u: use sunday ... saturday", w,
		 v->pos);
	qn_hint(msg, sizeof msg, v->s, v->len, qn_wday_names);
	return qp_fail(p, VG_EINVAL, v->pos, "%s", msg);
}

static int check_range(qp *p, vg_snode *n, int64_t lo, int64_t hi)
{
	vg_qval *v = &n->cmp.val;
	if ((n->op == VG_SOP_EQ || n->op == VG_SOP_NE) && (v->flags & VG_QV_WILD))
		return 0;
	if ((v->flags & VG_QV_INT) && v->i >= lo && v->i <= hi)
		return 0;
	char w[QL_ECHO_MAX];
	ql_echo(w, sizeof w, v->s, v->len);
	return qp_fail(p, VG_EINVAL, v->pos, "%s takes a number from %lld to %lld, found %s at %u",
		       n->cmp.field.s, (long long)lo, (long long)hi, w, v->pos);
}

/* The value of a comparison, checked against its field and operator. */
static int check_cmp(qp *p, vg_snode *n, const qtok *vt)
{
	vg_qval *v = &n->cmp.val;
	char w[QL_ECHO_MAX];
	if (n->op == VG_SOP_RE) {
		if (n->cmp.field.kind == VG_QF_TIME)
			return qp_fail(p, VG_EINVAL, n->pos, "_time cannot take '~' at %u", n->pos);
		return qv_regex(p, vt, v->s, v->len, 0, &v->re);
	}
	switch (n->cmp.field.kind) {
	case VG_QF_GROUP:
		if (n->op != VG_SOP_EQ && n->op != VG_SOP_NE)
			return qp_fail(p, VG_EINVAL, n->pos, "_group takes '=', '!=' or '~' at %u",
				       n->pos);
		return 0;
	case VG_QF_TIME:
		v->flags = (v->flags & VG_QV_QUOTED) | VG_QV_TIME;
		return qv_time(p, v->s, v->len, v->pos, "_time", &v->i);
	case VG_QF_WDAY:
		return check_wday(p, n);
	case VG_QF_HOUR:
		return check_range(p, n, 0, 23);
	case VG_QF_MDAY:
		return check_range(p, n, 1, 31);
	default:
		break;
	}
	if (n->op == VG_SOP_EQ || n->op == VG_SOP_NE)
		return qv_check_cidr(p, v);
	if (n->op >= VG_SOP_LT && n->op <= VG_SOP_GE && !(v->flags & VG_QV_NUM)) {
		ql_echo(w, sizeof w, v->s, v->len);
		return qp_fail(p, VG_EINVAL, v->pos, "'%s' compares numbers; found %s at %u",
			       op_text(n->op), w, v->pos);
	}
	return 0;
}

/* earliest= / latest= (Splunk's time modifiers), value token vt: a bound
 * node that qparse.c takes out of the tree. */
static int time_bound(qp *p, int top, const qtok *ft, int op, const qtok *opt, const qtok *vt,
		      vg_snode **out)
{
	int early = qp_is(p, ft, "earliest");
	const char *what = early ? "earliest" : "latest", *s;
	uint32_t len;
	if (!top)
		return qp_fail(p, VG_EINVAL, ft->pos,
			       "%s= at %u is only allowed in the search before the first '|'",
			       what, ft->pos);
	if (op != VG_SOP_EQ)
		return qp_fail(p, VG_EINVAL, opt->pos, "%s takes '=' at %u", what, opt->pos);
	vg_snode *n = node(p, VG_SN__TIME, ft->pos);
	n->op = early ? VG_SOP_GE : VG_SOP_LT;
	*out = n;
	qp_text(p, vt, &s, &len);
	return qv_time(p, s, len, vt->pos, what, &n->term.i);
}

static int op_of(int kind)
{
	switch (kind) {
	case QT_NE: return VG_SOP_NE;
	case QT_LT: return VG_SOP_LT;
	case QT_LE: return VG_SOP_LE;
	case QT_GT: return VG_SOP_GT;
	case QT_GE: return VG_SOP_GE;
	case QT_TILDE: return VG_SOP_RE;
	default: return VG_SOP_EQ;
	}
}

/* field op value, the cursor after the field name ft. */
static int comparison(qp *p, int top, const qtok *ft, vg_snode **out)
{
	qtok opt, vt;
	int rc = qp_peek(p, QL_SEARCH, &opt);
	if (rc < 0)
		return rc;
	qp_take(p, &opt);
	int op = op_of(opt.kind);
	if ((rc = qp_peek(p, QL_VALUE, &vt)) < 0)
		return rc;
	if (vt.kind != QT_WORD && vt.kind != QT_STR)
		return qp_fail(p, VG_EINVAL, opt.pos, "missing value after '%s' at %u",
			       op_text(op), opt.pos);
	qp_take(p, &vt);
	if (qp_is(p, ft, "earliest") || qp_is(p, ft, "latest"))
		return time_bound(p, top, ft, op, &opt, &vt, out);
	vg_snode *n = node(p, VG_SN_CMP, ft->pos);
	n->op = (uint8_t)op;
	if ((rc = qp_name(p, ft, 0, &n->cmp.field)) < 0)
		return rc;
	value_of(p, &vt, &n->cmp.val);
	*out = n;
	return check_cmp(p, n, &vt);
}

/* field IN (a, b, "c"): the OR of field=a, field=b ... */
static int in_list(qp *p, const qtok *ft, const qtok *in, vg_snode **out)
{
	qtok lp, t;
	int rc = qp_peek_at(p, in->end, QL_ARGS, &lp);
	if (rc < 0)
		return rc;
	p->pos = lp.end;
	qvec kids = {0};
	for (;;) {
		if ((rc = qp_peek(p, QL_ARGS, &t)) < 0)
			return rc;
		if (t.kind == QT_RP)
			break;
		if (t.kind == QT_COMMA && kids.n > 0) {
			qp_take(p, &t);
			continue;
		}
		if (t.kind != QT_WORD && t.kind != QT_STR)
			return qp_fail(p, VG_EINVAL, lp.pos, "missing ')' for '(' at %u", lp.pos);
		qp_take(p, &t);
		vg_snode *n = node(p, VG_SN_CMP, ft->pos);
		if ((rc = qp_name(p, ft, 0, &n->cmp.field)) < 0)
			return rc;
		if (qp_is(p, ft, "earliest") || qp_is(p, ft, "latest"))
			return qp_fail(p, VG_EINVAL, in->pos, "%s takes '=' at %u",
				       qp_is(p, ft, "earliest") ? "earliest" : "latest", in->pos);
		value_of(p, &t, &n->cmp.val);
		if ((rc = check_cmp(p, n, &t)) < 0)
			return rc;
		*(vg_snode **)qvec_push(p, &kids, sizeof n) = n;
	}
	qp_take(p, &t);
	if (kids.n == 0)
		return qp_fail(p, VG_EINVAL, lp.pos, "empty IN list at %u", lp.pos);
	*out = list_node(p, VG_SN_OR, &kids);
	return 0;
}

static int group(qp *p, int top, const qtok *lp, vg_snode **out)
{
	qtok t;
	int rc = qp_enter(p, lp->pos);
	if (rc < 0)
		return rc;
	qp_take(p, lp);
	if ((rc = parse_and(p, top, out)) < 0)
		return rc;
	if ((rc = qp_peek(p, QL_SEARCH, &t)) < 0)
		return rc;
	if (t.kind != QT_RP)
		return qp_fail(p, VG_EINVAL, lp->pos, "missing ')' for '(' at %u", lp->pos);
	if (*out == NULL)
		return qp_fail(p, VG_EINVAL, lp->pos, "empty parentheses at %u", lp->pos);
	qp_take(p, &t);
	qp_leave(p);
	return 0;
}

static int term(qp *p, const qtok *t, vg_snode **out)
{
	vg_snode *n = node(p, VG_SN_TERM, t->pos);
	value_of(p, t, &n->term);
	qp_take(p, t);
	*out = n;
	return 0;
}

static int primary(qp *p, int top, vg_snode **out)
{
	qtok t, u, v;
	char w[QL_ECHO_MAX];
	int rc = qp_peek(p, QL_SEARCH, &t);
	if (rc < 0)
		return rc;
	if (t.kind == QT_LP)
		return group(p, top, &t, out);
	if (t.kind == QT_STR)
		return term(p, &t, out);
	if (is_cmp_op(&t))
		return qp_fail(p, VG_EINVAL, t.pos, "missing field name before %s at %u",
			       qp_desc(p, &t, w, sizeof w), t.pos);
	if (t.kind != QT_WORD)
		return qp_fail(p, VG_EINVAL, t.pos, "missing search term at %u", t.pos);
	if (is_kw(p, &t, "AND") || is_kw(p, &t, "OR"))
		return qp_fail(p, VG_EINVAL, t.pos, "missing search term before '%s' at %u",
			       qp_is(p, &t, "OR") ? "OR" : "AND", t.pos);
	if ((rc = qp_peek_at(p, t.end, QL_SEARCH, &u)) < 0)
		return rc;
	if (is_cmp_op(&u)) {
		qp_take(p, &t);
		return comparison(p, top, &t, out);
	}
	if (is_kw(p, &u, "IN")) {
		if ((rc = qp_peek_at(p, u.end, QL_ARGS, &v)) < 0)
			return rc;
		if (v.kind == QT_LP)
			return in_list(p, &t, &u, out);
	}
	return term(p, &t, out);
}

static int parse_not(qp *p, int top, vg_snode **out)
{
	qtok t, u;
	int rc = qp_peek(p, QL_SEARCH, &t);
	if (rc < 0)
		return rc;
	if (!is_kw(p, &t, "NOT"))
		return primary(p, top, out);
	qp_take(p, &t);
	if ((rc = qp_peek(p, QL_SEARCH, &u)) < 0)
		return rc;
	if (at_end(&u) || is_kw(p, &u, "AND") || is_kw(p, &u, "OR"))
		return qp_fail(p, VG_EINVAL, t.pos, "missing search term after 'NOT' at %u", t.pos);
	if ((rc = qp_enter(p, t.pos)) < 0)
		return rc;
	vg_snode *n = node(p, VG_SN_NOT, t.pos);
	if ((rc = parse_not(p, top, &n->kid)) < 0)
		return rc;
	qp_leave(p);
	*out = n;
	return 0;
}

static int parse_or(qp *p, int top, vg_snode **out)
{
	qvec kids = {0};
	qtok t, u;
	vg_snode *n = NULL;
	int rc = parse_not(p, top, &n);
	if (rc < 0)
		return rc;
	*(vg_snode **)qvec_push(p, &kids, sizeof n) = n;
	for (;;) {
		if ((rc = qp_peek(p, QL_SEARCH, &t)) < 0)
			return rc;
		if (!is_kw(p, &t, "OR"))
			break;
		qp_take(p, &t);
		if ((rc = qp_peek(p, QL_SEARCH, &u)) < 0)
			return rc;
		if (at_end(&u) || is_kw(p, &u, "AND") || is_kw(p, &u, "OR"))
			return qp_fail(p, VG_EINVAL, t.pos, "missing search term after 'OR' at %u",
				       t.pos);
		if ((rc = parse_not(p, top, &n)) < 0)
			return rc;
		*(vg_snode **)qvec_push(p, &kids, sizeof n) = n;
	}
	*out = list_node(p, VG_SN_OR, &kids);
	return 0;
}

static int parse_and(qp *p, int top, vg_snode **out)
{
	qvec kids = {0};
	qtok t, u;
	vg_snode *n = NULL;
	*out = NULL;
	for (;;) {
		int rc = qp_peek(p, QL_SEARCH, &t);
		if (rc < 0)
			return rc;
		if (at_end(&t))
			break;
		if (is_kw(p, &t, "AND")) {
			if (kids.n == 0)
				return qp_fail(p, VG_EINVAL, t.pos,
					       "missing search term before 'AND' at %u", t.pos);
			qp_take(p, &t);
			if ((rc = qp_peek(p, QL_SEARCH, &u)) < 0)
				return rc;
			if (at_end(&u) || is_kw(p, &u, "AND") || is_kw(p, &u, "OR"))
				return qp_fail(p, VG_EINVAL, t.pos,
					       "missing search term after 'AND' at %u", t.pos);
		}
		if ((rc = parse_or(p, top, &n)) < 0)
			return rc;
		*(vg_snode **)qvec_push(p, &kids, sizeof n) = n;
	}
	if (kids.n > 0)
		*out = list_node(p, VG_SN_AND, &kids);
	return 0;
}

int qs_parse(qp *p, int top, vg_snode **out)
{
	qtok t;
	int rc = parse_and(p, top, out);
	if (rc < 0)
		return rc;
	if ((rc = qp_peek(p, QL_SEARCH, &t)) < 0)
		return rc;
	if (t.kind == QT_RP)
		return qp_fail(p, VG_EINVAL, t.pos, "unexpected ')' at %u: no '(' is open", t.pos);
	return 0;
}
