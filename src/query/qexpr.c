/*
 * qexpr.c — eval expressions, for `where` and `eval`.
 *
 *   or      := and { (OR | ||) and }
 *   and     := not { (AND | &&) not }
 *   not     := (NOT | !) not | cmp
 *   cmp     := add { (= | == | != | < | <= | > | >=) add
 *                  | LIKE add | IN ( expr {, expr} ) }
 *   add     := mul { (+ | - | .) mul }
 *   mul     := unary { (* | / | %) unary }
 *   unary   := (- | + | NOT | !) unary | primary
 *   primary := number | "string" | 'field' | field | true | false | null
 *            | name ( [expr {, expr}] ) | ( or )
 *
 * AND before OR, as in Splunk's eval and where (the opposite of search).
 * Function names and argument counts are checked here, and constant
 * arguments that would otherwise fail at every event are checked too: the
 * regex of match() and replace() is compiled, the network of cidrmatch()
 * and the offset of relative_time() parsed.
 *
 * Depth: parentheses, unary operators, calls and every link of a chain of
 * binary operators count toward VG_Q_MAX_DEPTH, which bounds the height of
 * the tree (the executor evaluates it recursively), not just the parser's
 * recursion. AND and OR chains are flat lists and do not count.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "query/qint.h"

static int parse_or(qp *p, vg_expr **out);
static int parse_unary(qp *p, vg_expr **out);

static vg_expr *enode(qp *p, int kind, uint32_t pos)
{
	vg_expr *e = qp_alloc(p, sizeof *e);
	e->kind = (uint8_t)kind;
	e->pos = e->oppos = pos;
	return e;
}

static int is_kw(const qp *p, const qtok *t, const char *kw)
{
	return t->kind == QT_IDENT && qp_is(p, t, kw);
}

static int expected_value(qp *p, const qtok *t)
{
	char w[QL_ECHO_MAX];
	return qp_fail(p, VG_EINVAL, t->pos, "expected a value at %u, found %s", t->pos,
		       qp_desc(p, t, w, sizeof w));
}

/* ---------------------------------------------------------------- calls */

static int check_arity(qp *p, const char *name, uint32_t pos, uint32_t n, int min, int max)
{
	if (max < 0 && (int)n >= min)
		return 0;
	if ((int)n >= min && (int)n <= max)
		return 0;
	if (max < 0)
		return qp_fail(p, VG_EINVAL, pos,
			       "'%s' takes at least %d argument%s, found %u at %u", name, min,
			       min == 1 ? "" : "s", n, pos);
	if (min == max && min == 0)
		return qp_fail(p, VG_EINVAL, pos, "'%s' takes no arguments, found %u at %u", name,
			       n, pos);
	if (min == max)
		return qp_fail(p, VG_EINVAL, pos, "'%s' takes %d argument%s, found %u at %u", name,
			       min, min == 1 ? "" : "s", n, pos);
	return qp_fail(p, VG_EINVAL, pos, "'%s' takes %d or %d arguments, found %u at %u", name,
		       min, max, n, pos);
}

/* The token of a string literal argument, re-read for positions inside
 * it (regex errors). */
static int string_arg(qp *p, const vg_expr *a, qtok *t)
{
	if (a->kind != VG_EX_STR)
		return 0;
	return ql_lex(p->s, p->n, a->pos, QL_EXPR, t, p->err) == 0 && t->kind == QT_STR;
}

/* Constant arguments that can be checked once instead of failing on every
 * event. */
static int check_constants(qp *p, vg_expr *e)
{
	vg_expr **a = e->list.args;
	qtok t;
	switch (e->fn) {
	case VG_FN_CASE:
		if (e->list.n % 2)
			return qp_fail(p, VG_EINVAL, e->pos,
				       "'case' takes pairs of condition and value, found %u "
				       "arguments at %u",
				       e->list.n, e->pos);
		return 0;
	case VG_FN_CIDRMATCH:
		return a[0]->kind == VG_EX_STR ? qv_cidr(p, &a[0]->lit) : 0;
	case VG_FN_MATCH:
	case VG_FN_REPLACE:
		if (string_arg(p, a[1], &t))
			return qv_regex(p, &t, a[1]->lit.s, a[1]->lit.len, 0, &a[1]->lit.re);
		return 0;
	case VG_FN_RELATIVE_TIME: {
		int64_t ns;
		if (a[1]->kind != VG_EX_STR)
			return 0;
		return qv_time(p, a[1]->lit.s, a[1]->lit.len, a[1]->pos, "relative_time", &ns);
	}
	default:
		return 0;
	}
}

/* Arguments from after `(` to `)`; lp is the `(`. */
static int call_args(qp *p, const qtok *lp, qvec *args)
{
	qtok t;
	int rc = qp_peek(p, QL_EXPR, &t);
	if (rc < 0)
		return rc;
	if (t.kind == QT_RP) {
		qp_take(p, &t);
		return 0;
	}
	for (;;) {
		vg_expr *a = NULL;
		if ((rc = parse_or(p, &a)) < 0)
			return rc;
		*(vg_expr **)qvec_push(p, args, sizeof a) = a;
		if ((rc = qp_peek(p, QL_EXPR, &t)) < 0)
			return rc;
		qp_take(p, &t);
		if (t.kind == QT_RP)
			return 0;
		if (t.kind != QT_COMMA)
			return qp_fail(p, VG_EINVAL, lp->pos, "missing ')' for '(' at %u", lp->pos);
	}
}

/* Names that are aggregations and not functions, for a clearer message
 * when one is written in where or eval. */
static int agg_only(const char *s, size_t n)
{
	double perc;
	int k = qn_agg(s, n, &perc);
	return k != -1 && k != VG_AGG_MIN && k != VG_AGG_MAX;
}

static int call(qp *p, const qtok *name, vg_expr **out)
{
	const char *s = p->s + name->pos;
	size_t n = name->end - name->pos;
	int min, max, fn = qn_function(s, n, &min, &max);
	char w[QL_ECHO_MAX], msg[256];
	if (fn < 0) {
		ql_echo(w, sizeof w, s, n);
		if (agg_only(s, n))
			return qp_fail(p, VG_EINVAL, name->pos,
				       "%s at %u is an aggregation: use it in stats, timechart "
				       "or geostats",
				       w, name->pos);
		snprintf(msg, sizeof msg, "unknown function %s at %u", w, name->pos);
		const char *alias = qn_function_alias(s, n);
		size_t len = strlen(msg);
		if (alias)
			snprintf(msg + len, sizeof msg - len, "; did you mean '%s'?", alias);
		else
			qn_hint(msg, sizeof msg, s, n, qn_function_names);
		return qp_fail(p, VG_EINVAL, name->pos, "%s", msg);
	}
	qtok lp;
	int rc = qp_peek_at(p, name->end, QL_EXPR, &lp);
	if (rc == 0)
		rc = qp_enter(p, name->pos);
	if (rc < 0)
		return rc;
	qp_take(p, &lp);
	qvec args = {0};
	if ((rc = call_args(p, &lp, &args)) < 0)
		return rc;
	qp_leave(p);
	vg_expr *e = enode(p, VG_EX_CALL, name->pos);
	e->fn = (uint16_t)fn;
	e->list.args = args.v;
	e->list.n = args.n;
	*out = e;
	if ((rc = check_arity(p, vg_fn_name(fn), name->pos, args.n, min, max)) < 0)
		return rc;
	return check_constants(p, e);
}

/* ------------------------------------------------------------- operands */

static int number(qp *p, const qtok *t, vg_expr **out)
{
	vg_expr *e = enode(p, VG_EX_NUM, t->pos);
	qp_text(p, t, &e->lit.s, &e->lit.len);
	e->lit.pos = t->pos;
	qv_classify(&e->lit);
	if (!(e->lit.flags & VG_QV_NUM)) {
		char w[QL_ECHO_MAX];
		return qp_fail(p, VG_EINVAL, t->pos, "number %s at %u is out of range",
			       qp_desc(p, t, w, sizeof w), t->pos);
	}
	e->lit.flags &= VG_QV_NUM | VG_QV_INT;
	*out = e;
	return 0;
}

/* true, false, null, also written as calls: true(), null(). */
static int constant(qp *p, const qtok *t, vg_expr **out)
{
	int kind;
	if (qp_is_ci(p, t, "true") || qp_is_ci(p, t, "false"))
		kind = VG_EX_BOOL;
	else if (qp_is_ci(p, t, "null"))
		kind = VG_EX_NULL;
	else
		return 0;
	qtok lp, rp;
	if (qp_peek_at(p, t->end, QL_EXPR, &lp) == 0 && lp.kind == QT_LP &&
	    qp_peek_at(p, lp.end, QL_EXPR, &rp) == 0 && rp.kind == QT_RP)
		qp_take(p, &rp);
	vg_expr *e = enode(p, kind, t->pos);
	e->lit.pos = t->pos;
	e->lit.i = qp_is_ci(p, t, "true");
	*out = e;
	return 1;
}

static int name_or_call(qp *p, const qtok *t, vg_expr **out)
{
	static const char *const ops[] = {"AND", "OR", "NOT", "IN", "LIKE", "XOR", NULL};
	qtok u;
	int rc;
	for (int i = 0; ops[i]; i++)
		if (qp_is(p, t, ops[i]))
			return expected_value(p, t);
	qp_take(p, t);
	if (constant(p, t, out))
		return 0;
	if ((rc = qp_peek(p, QL_EXPR, &u)) < 0)
		return rc;
	if (u.kind == QT_LP)
		return call(p, t, out);
	vg_expr *e = enode(p, VG_EX_FIELD, t->pos);
	*out = e;
	return qp_name(p, t, 0, &e->field);
}

static int paren(qp *p, const qtok *lp, vg_expr **out)
{
	qtok t;
	int rc = qp_enter(p, lp->pos);
	if (rc < 0)
		return rc;
	qp_take(p, lp);
	if ((rc = parse_or(p, out)) < 0)
		return rc;
	if ((rc = qp_peek(p, QL_EXPR, &t)) < 0)
		return rc;
	if (t.kind != QT_RP)
		return qp_fail(p, VG_EINVAL, lp->pos, "missing ')' for '(' at %u", lp->pos);
	qp_take(p, &t);
	qp_leave(p);
	return 0;
}

static int primary(qp *p, vg_expr **out)
{
	qtok t;
	int rc = qp_peek(p, QL_EXPR, &t);
	if (rc < 0)
		return rc;
	switch (t.kind) {
	case QT_NUM:
		qp_take(p, &t);
		return number(p, &t, out);
	case QT_STR: {
		qp_take(p, &t);
		vg_expr *e = enode(p, VG_EX_STR, t.pos);
		qp_text(p, &t, &e->lit.s, &e->lit.len);
		e->lit.pos = t.pos;
		e->lit.flags = VG_QV_QUOTED;
		*out = e;
		return 0;
	}
	case QT_QNAME: {
		qp_take(p, &t);
		vg_expr *e = enode(p, VG_EX_FIELD, t.pos);
		*out = e;
		return qp_name(p, &t, 0, &e->field);
	}
	case QT_IDENT:
		return name_or_call(p, &t, out);
	case QT_LP:
		return paren(p, &t, out);
	default:
		return expected_value(p, &t);
	}
}

/* -------------------------------------------------------------- operators */

/* -x, +x, NOT x, !x. A minus before a number literal folds into it. */
static int parse_unary(qp *p, vg_expr **out)
{
	qtok t;
	int rc = qp_peek(p, QL_EXPR, &t);
	if (rc < 0)
		return rc;
	int neg = t.kind == QT_MINUS, inv = t.kind == QT_BANG || is_kw(p, &t, "NOT");
	if (!neg && !inv && t.kind != QT_PLUS)
		return primary(p, out);
	if ((rc = qp_enter(p, t.pos)) < 0)
		return rc;
	qp_take(p, &t);
	vg_expr *kid = NULL;
	if ((rc = parse_unary(p, &kid)) < 0)
		return rc;
	qp_leave(p);
	if (neg && kid->kind == VG_EX_NUM && kid->pos == t.end) {
		kid->lit.d = -kid->lit.d;
		kid->lit.i = -kid->lit.i;
		kid->lit.pos = kid->pos = t.pos;
		*out = kid;
		return 0;
	}
	if (!neg && !inv) {
		*out = kid;
		return 0;
	}
	vg_expr *e = enode(p, neg ? VG_EX_NEG : VG_EX_NOT, t.pos);
	e->kid = kid;
	*out = e;
	return 0;
}

static vg_expr *binary(qp *p, int op, uint32_t oppos, vg_expr *l, vg_expr *r)
{
	vg_expr *e = enode(p, VG_EX_BIN, l->pos);
	e->oppos = oppos;
	e->op = (uint8_t)op;
	e->bin.l = l;
	e->bin.r = r;
	return e;
}

/* The binary operator of t at a level, or -1. */
static int mul_op(const qtok *t)
{
	switch (t->kind) {
	case QT_STAR: return VG_BOP_MUL;
	case QT_SLASH: return VG_BOP_DIV;
	case QT_PCT: return VG_BOP_MOD;
	default: return -1;
	}
}

static int add_op(const qtok *t)
{
	switch (t->kind) {
	case QT_PLUS: return VG_BOP_ADD;
	case QT_MINUS: return VG_BOP_SUB;
	case QT_DOT: return VG_BOP_CONCAT;
	default: return -1;
	}
}

static int cmp_op(const qtok *t)
{
	switch (t->kind) {
	case QT_EQ:
	case QT_EQEQ: return VG_BOP_EQ;
	case QT_NE: return VG_BOP_NE;
	case QT_LT: return VG_BOP_LT;
	case QT_LE: return VG_BOP_LE;
	case QT_GT: return VG_BOP_GT;
	case QT_GE: return VG_BOP_GE;
	default: return -1;
	}
}

/* A left-associative chain at one level: sub parses the operands, opf
 * says which tokens are this level's operators. Each link counts toward
 * the depth, which is released when the chain ends. */
static int chain(qp *p, int (*sub)(qp *, vg_expr **), int (*opf)(const qtok *), vg_expr **out)
{
	qtok t;
	int links = 0, rc = sub(p, out);
	while (rc == 0 && (rc = qp_peek(p, QL_EXPR, &t)) == 0) {
		int op = opf(&t);
		if (op < 0)
			break;
		if ((rc = qp_enter(p, t.pos)) < 0)
			return rc;
		links++;
		qp_take(p, &t);
		vg_expr *r = NULL;
		if ((rc = sub(p, &r)) < 0)
			return rc;
		*out = binary(p, op, t.pos, *out, r);
	}
	p->depth -= links;
	return rc;
}

static int parse_mul(qp *p, vg_expr **out)
{
	return chain(p, parse_unary, mul_op, out);
}

static int parse_add(qp *p, vg_expr **out)
{
	return chain(p, parse_mul, add_op, out);
}

/* x IN (a, b): the call in(x, a, b); x LIKE p: like(x, p). */
static int in_or_like(qp *p, const qtok *t, vg_expr **out)
{
	int in = qp_is(p, t, "IN"), rc;
	vg_expr *e = enode(p, VG_EX_CALL, (*out)->pos);
	e->oppos = t->pos;
	qvec args = {0};
	*(vg_expr **)qvec_push(p, &args, sizeof *out) = *out;
	if ((rc = qp_enter(p, t->pos)) < 0)
		return rc;
	qp_take(p, t);
	if (in) {
		qtok lp;
		if ((rc = qp_peek(p, QL_EXPR, &lp)) < 0)
			return rc;
		if (lp.kind != QT_LP)
			return qp_fail(p, VG_EINVAL, lp.pos, "expected '(' after IN at %u", lp.pos);
		qp_take(p, &lp);
		if ((rc = call_args(p, &lp, &args)) < 0)
			return rc;
		if (args.n < 2)
			return qp_fail(p, VG_EINVAL, lp.pos, "empty IN list at %u", lp.pos);
	} else {
		vg_expr *r = NULL;
		if ((rc = parse_add(p, &r)) < 0)
			return rc;
		*(vg_expr **)qvec_push(p, &args, sizeof r) = r;
	}
	e->fn = in ? VG_FN_IN : VG_FN_LIKE;
	e->list.args = args.v;
	e->list.n = args.n;
	*out = e;
	return 0;
}

static int parse_cmp(qp *p, vg_expr **out)
{
	qtok t;
	int links = 0, rc = parse_add(p, out);
	while (rc == 0 && (rc = qp_peek(p, QL_EXPR, &t)) == 0) {
		int op = cmp_op(&t);
		if (is_kw(p, &t, "IN") || is_kw(p, &t, "LIKE")) {
			if ((rc = in_or_like(p, &t, out)) < 0)
				return rc;
			links++;
			continue;
		}
		if (op < 0)
			break;
		if ((rc = qp_enter(p, t.pos)) < 0)
			return rc;
		links++;
		qp_take(p, &t);
		vg_expr *r = NULL;
		if ((rc = parse_add(p, &r)) < 0)
			return rc;
		*out = binary(p, op, t.pos, *out, r);
	}
	p->depth -= links;
	return rc;
}

static int parse_not(qp *p, vg_expr **out)
{
	qtok t;
	int rc = qp_peek(p, QL_EXPR, &t);
	if (rc < 0)
		return rc;
	if (t.kind != QT_BANG && !is_kw(p, &t, "NOT"))
		return parse_cmp(p, out);
	if ((rc = qp_enter(p, t.pos)) < 0)
		return rc;
	qp_take(p, &t);
	vg_expr *e = enode(p, VG_EX_NOT, t.pos);
	if ((rc = parse_not(p, &e->kid)) < 0)
		return rc;
	qp_leave(p);
	*out = e;
	return 0;
}

/* An n-ary AND or OR: sub parses the operands; a kid of the same kind
 * (from parentheses) is flattened into the list. */
static int logic(qp *p, int kind, int (*sub)(qp *, vg_expr **), vg_expr **out)
{
	qvec kids = {0};
	qtok t;
	vg_expr *e = NULL;
	uint32_t first_op = UINT32_MAX;
	int rc = sub(p, &e);
	if (rc < 0)
		return rc;
	for (;;) {
		if (e->kind == kind) {
			for (uint32_t i = 0; i < e->list.n; i++)
				*(vg_expr **)qvec_push(p, &kids, sizeof e) = e->list.args[i];
		} else {
			*(vg_expr **)qvec_push(p, &kids, sizeof e) = e;
		}
		if ((rc = qp_peek(p, QL_EXPR, &t)) < 0)
			return rc;
		int is_op = kind == VG_EX_AND ? (t.kind == QT_ANDAND || is_kw(p, &t, "AND"))
					      : (t.kind == QT_OROR || is_kw(p, &t, "OR"));
		if (!is_op)
			break;
		if (first_op == UINT32_MAX)
			first_op = t.pos;
		qp_take(p, &t);
		if ((rc = sub(p, &e)) < 0)
			return rc;
	}
	vg_expr **k = kids.v;
	if (first_op == UINT32_MAX) {
		/* No operator at this level: the operand as it is (a kid of
		 * the same kind stays whole). */
		*out = e;
		return 0;
	}
	e = enode(p, kind, k[0]->pos);
	e->oppos = first_op;
	e->list.args = k;
	e->list.n = kids.n;
	*out = e;
	return 0;
}

static int parse_and(qp *p, vg_expr **out)
{
	return logic(p, VG_EX_AND, parse_not, out);
}

static int parse_or(qp *p, vg_expr **out)
{
	return logic(p, VG_EX_OR, parse_and, out);
}

/* What may follow a whole expression; anything else is explained. */
static int trailing(qp *p, int stop_comma)
{
	qtok t;
	char w[QL_ECHO_MAX];
	int rc = qp_peek(p, QL_EXPR, &t);
	if (rc < 0)
		return rc;
	if (t.kind == QT_EOF || t.kind == QT_PIPE || (stop_comma && t.kind == QT_COMMA))
		return 0;
	if (t.kind == QT_RP)
		return qp_fail(p, VG_EINVAL, t.pos, "unexpected ')' at %u: no '(' is open", t.pos);
	static const char *const ops[][2] = {
		{"and", "AND"}, {"or", "OR"}, {"not", "NOT"}, {"in", "IN"}, {"like", "LIKE"},
	};
	for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
		if (t.kind == QT_IDENT && qp_is(p, &t, ops[i][0]))
			return qp_fail(p, VG_EINVAL, t.pos,
				       "unexpected '%s' at %u; operators are upper case: %s",
				       ops[i][0], t.pos, ops[i][1]);
	return qp_fail(p, VG_EINVAL, t.pos, "unexpected %s at %u; expected an operator%s",
		       qp_desc(p, &t, w, sizeof w), t.pos,
		       stop_comma ? ", ',' or '|'" : " or '|'");
}

int qe_parse(qp *p, int stop_comma, vg_expr **out)
{
	qtok t;
	int rc = qp_peek(p, QL_EXPR, &t);
	if (rc < 0)
		return rc;
	if (t.kind == QT_EOF || t.kind == QT_PIPE || t.kind == QT_COMMA)
		return expected_value(p, &t);
	if ((rc = parse_or(p, out)) < 0)
		return rc;
	return trailing(p, stop_comma);
}
