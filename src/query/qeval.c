/*
 * qeval.c — evaluate where and eval expressions over a row (qvalue.h).
 *
 * A recursive walk of the tree the parser built (ast.h), with Splunk's
 * rules: an operation on null, or one that does not apply to its operands
 * (a string times a number, the square root of -1, a division by zero),
 * gives null rather than an error; `where` keeps a row only when its
 * expression is true (vg_val_true), so null there means "no". Errors stop
 * the search and are kept for what the user must fix: a regular
 * expression that hits its match limit, a result past the size bounds.
 *
 * Choices a user can notice (Splunk's where Splunk is clear):
 *   - Numbers: integers stay exact int64 through + - * and through / when
 *     the division is exact (6/2 is 3, 7/2 is 3.5); an overflow falls
 *     back to a double. % keeps the sign of the dividend (C, fmod).
 *   - Strings that read as numbers (vg_val_parse_num) are numbers for
 *     arithmetic and numeric functions, because field values often arrive
 *     as text. So "1" + "2" is 3, while "a" + "b" is "ab" (+ concatenates
 *     two strings when they are not both numbers) and 1 + "a" is null.
 *   - `.` concatenates the text of its operands (1.50 . "x" is "1.5x");
 *     with a null operand the result is null, as in Splunk (use
 *     coalesce() to supply a default).
 *   - Comparisons: numbers numerically; a number against a string that
 *     reads as a number numerically (bytes > 100 with bytes = "2048");
 *     two strings byte-wise and case-sensitively; a number against other
 *     text by its text. Null on either side gives null. A multivalue
 *     compares true when one of its values does (!= : when none equals);
 *     two multivalues compare by their first values.
 *   - AND, OR and NOT follow SQL's three-valued logic: null AND false is
 *     false, null OR true is true, otherwise null taints the result.
 *     Operands count as booleans when they are booleans or numbers (0 is
 *     false); strings and multivalues count as null. AND and OR stop at
 *     the first operand that decides. A null condition of if() or case()
 *     is not true: if() takes its else branch.
 *   - Math outside its domain (sqrt(-1), ln(0), log(x, 1), a NaN such as
 *     0 * inf) is null; an infinity from an overflowing double (exp(1000))
 *     stays, printed "inf" as in Splunk.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "query/qevint.h"
#include "query/qparse.h"

/* ------------------------------------------------------------- helpers */

int qev_fail(qev *x, int code, uint32_t pos, const char *fmt, ...)
{
	char msg[sizeof x->err->msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return vg_seterr(x->err, code, pos, "%s", msg);
}

static const char *const bop_names[] = {
	"+", "-", "*", "/", "%", ".", "=", "!=", "<", "<=", ">", ">=",
};

/* What a node is called in messages: its function or operator. */
static const char *node_name(const vg_expr *e)
{
	if (e->kind == VG_EX_CALL)
		return vg_fn_name(e->fn);
	if (e->kind == VG_EX_BIN && e->op < sizeof bop_names / sizeof *bop_names)
		return bop_names[e->op];
	return "expression";
}

int qev_strbuf(qev *x, const vg_expr *e, size_t n, char **out)
{
	if (n > VG_EVAL_MAX_STR)
		return qev_fail(x, VG_ELIMIT, e->oppos,
			       "the result of '%s' at %u is longer than %u bytes", node_name(e),
			       e->oppos, VG_EVAL_MAX_STR);
	*out = vg_arena_alloc(x->ctx->arena, n + 1);
	(*out)[n] = 0;
	return 0;
}

int qev_strval(qev *x, const vg_expr *e, const void *s, size_t n, vg_val *out)
{
	char *d = NULL;
	int rc = qev_strbuf(x, e, n, &d);
	if (rc < 0)
		return rc;
	if (n)
		memcpy(d, s, n);
	*out = vg_v_str(d, n);
	return 0;
}

int qev_args(qev *x, const vg_expr *e, vg_val *v, uint32_t max)
{
	if (e->list.n > max)
		return qev_fail(x, VG_EINVAL, e->pos, "'%s' at %u takes at most %u arguments",
			       node_name(e), e->pos, max);
	for (uint32_t i = 0; i < max; i++)
		v[i] = vg_v_null();
	for (uint32_t i = 0; i < e->list.n; i++) {
		int rc = qev_expr(x, e->list.args[i], &v[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Truth for AND, OR, NOT and conditions: 1, 0, or -1 for null (also for
 * strings and multivalues, which are not booleans). */
static int truth3(const vg_val *v)
{
	if (v->kind == VG_V_BOOL || v->kind == VG_V_NUM)
		return vg_val_true(v);
	return -1;
}

/* ------------------------------------------------------------ operators */

static int concat(qev *x, const vg_expr *e, const vg_val *a, const vg_val *b, vg_val *out)
{
	char ta[QEV_TMP], tb[QEV_TMP];
	const char *sa, *sb;
	size_t la, lb;
	if (!qev_text(a, ta, &sa, &la) || !qev_text(b, tb, &sb, &lb))
		return 0;
	char *d = NULL;
	int rc = qev_strbuf(x, e, la + lb, &d);
	if (rc < 0)
		return rc;
	if (la)
		memcpy(d, sa, la);
	if (lb)
		memcpy(d + la, sb, lb);
	*out = vg_v_str(d, la + lb);
	return 0;
}

/* Exact integer arithmetic: 1 with *out set, 0 when the result is not an
 * int64 (overflow, inexact division) and doubles must do. */
static int int_arith(int op, int64_t a, int64_t b, vg_val *out)
{
	int64_t r;
	switch (op) {
	case VG_BOP_ADD:
		if (__builtin_add_overflow(a, b, &r))
			return 0;
		break;
	case VG_BOP_SUB:
		if (__builtin_sub_overflow(a, b, &r))
			return 0;
		break;
	case VG_BOP_MUL:
		if (__builtin_mul_overflow(a, b, &r))
			return 0;
		break;
	case VG_BOP_DIV:
		if (b == -1)
			return a == INT64_MIN ? 0 : (*out = vg_v_int(-a), 1);
		if (a % b != 0)
			return 0;
		r = a / b;
		break;
	default: /* VG_BOP_MOD */
		r = b == -1 ? 0 : a % b;
		break;
	}
	*out = vg_v_int(r);
	return 1;
}

static double dbl_arith(int op, double a, double b)
{
	switch (op) {
	case VG_BOP_ADD: return a + b;
	case VG_BOP_SUB: return a - b;
	case VG_BOP_MUL: return a * b;
	case VG_BOP_DIV: return a / b;
	default: return fmod(a, b);
	}
}

static int arith(qev *x, const vg_expr *e, const vg_val *a, const vg_val *b, vg_val *out)
{
	vg_val p, q;
	if (!qev_num(a, &p) || !qev_num(b, &q)) {
		if (e->op == VG_BOP_ADD && a->kind == VG_V_STR && b->kind == VG_V_STR)
			return concat(x, e, a, b, out);
		return 0;
	}
	int divides = e->op == VG_BOP_DIV || e->op == VG_BOP_MOD;
	if (divides && (q.isint ? q.i == 0 : q.d == 0))
		return 0; /* Splunk: a division by zero is null */
	if (p.isint && q.isint && int_arith(e->op, p.i, q.i, out))
		return 0;
	*out = qev_dbl(dbl_arith(e->op, p.d, q.d));
	return 0;
}

static int holds(int op, int c)
{
	switch (op) {
	case VG_BOP_EQ: return c == 0;
	case VG_BOP_NE: return c != 0;
	case VG_BOP_LT: return c < 0;
	case VG_BOP_LE: return c <= 0;
	case VG_BOP_GT: return c > 0;
	default: return c >= 0;
	}
}

int qev_cmp_op(int op, const vg_val *a, const vg_val *b)
{
	int amv = a->kind == VG_V_MV, bmv = b->kind == VG_V_MV;
	if (amv && bmv) {
		/* Every pair would be quadratic in values; the first values
		 * stand for both, as in sort. */
		if (a->nmv == 0 || b->nmv == 0)
			return -1;
		return qev_cmp_op(op, &a->mv[0], &b->mv[0]);
	}
	if (amv || bmv) {
		if (op == VG_BOP_NE) {
			int r = qev_cmp_op(VG_BOP_EQ, a, b);
			return r < 0 ? r : !r;
		}
		const vg_val *m = amv ? a : b, *s = amv ? b : a;
		int seen = 0;
		for (uint32_t k = 0; k < m->nmv; k++) {
			int c = amv ? qev_compare(&m->mv[k], s) : qev_compare(s, &m->mv[k]);
			if (c == QEV_CMP_NULL)
				continue;
			seen = 1;
			if (holds(op, c))
				return 1;
		}
		return seen ? 0 : -1;
	}
	int c = qev_compare(a, b);
	return c == QEV_CMP_NULL ? -1 : holds(op, c);
}

static int binary(qev *x, const vg_expr *e, vg_val *out)
{
	vg_val a, b;
	int rc = qev_expr(x, e->bin.l, &a);
	if (rc == 0)
		rc = qev_expr(x, e->bin.r, &b);
	if (rc < 0)
		return rc;
	if (a.kind == VG_V_NULL || b.kind == VG_V_NULL)
		return 0;
	switch (e->op) {
	case VG_BOP_ADD:
	case VG_BOP_SUB:
	case VG_BOP_MUL:
	case VG_BOP_DIV:
	case VG_BOP_MOD:
		return arith(x, e, &a, &b, out);
	case VG_BOP_CONCAT:
		return concat(x, e, &a, &b, out);
	default: {
		int r = qev_cmp_op(e->op, &a, &b);
		if (r >= 0)
			*out = vg_v_bool(r);
		return 0;
	}
	}
}

static int negate(qev *x, const vg_expr *e, vg_val *out)
{
	vg_val v, n;
	int rc = qev_expr(x, e->kid, &v);
	if (rc < 0 || !qev_num(&v, &n))
		return rc;
	if (n.isint && n.i != INT64_MIN)
		*out = vg_v_int(-n.i);
	else
		*out = qev_dbl(-n.d);
	return 0;
}

static int not(qev *x, const vg_expr *e, vg_val *out)
{
	vg_val v;
	int rc = qev_expr(x, e->kid, &v);
	if (rc < 0)
		return rc;
	int t = truth3(&v);
	if (t >= 0)
		*out = vg_v_bool(!t);
	return 0;
}

/* AND (is_and) or OR over the list, left to right, stopping at the first
 * operand that decides. */
static int logic(qev *x, const vg_expr *e, int is_and, vg_val *out)
{
	int unknown = 0;
	for (uint32_t i = 0; i < e->list.n; i++) {
		vg_val v;
		int rc = qev_expr(x, e->list.args[i], &v);
		if (rc < 0)
			return rc;
		int t = truth3(&v);
		if (t < 0) {
			unknown = 1;
		} else if (t != is_and) {
			*out = vg_v_bool(!is_and);
			return 0;
		}
	}
	if (!unknown)
		*out = vg_v_bool(is_and);
	return 0;
}

static int field(qev *x, const vg_expr *e, vg_val *out)
{
	if (x->row == NULL || x->row->get == NULL)
		return 0;
	int rc = x->row->get(x->row->ctx, &e->field, out);
	if (rc < 0) {
		*out = vg_v_null();
		return qev_fail(x, rc, e->pos, "cannot read the field at %u: %s", e->pos,
			       vg_strerror(rc));
	}
	return 0;
}

static int literal(const vg_expr *e, vg_val *out)
{
	switch (e->kind) {
	case VG_EX_NUM:
		*out = (e->lit.flags & VG_QV_INT) ? vg_v_int(e->lit.i) : vg_v_dbl(e->lit.d);
		break;
	case VG_EX_STR:
		*out = vg_v_str(e->lit.s, e->lit.len);
		break;
	case VG_EX_BOOL:
		*out = vg_v_bool((int)e->lit.i);
		break;
	default:
		*out = vg_v_null();
		break;
	}
	return 0;
}

static int call(qev *x, const vg_expr *e, vg_val *out);

static int node(qev *x, const vg_expr *e, vg_val *out)
{
	switch (e->kind) {
	case VG_EX_NUM:
	case VG_EX_STR:
	case VG_EX_BOOL:
	case VG_EX_NULL:
		return literal(e, out);
	case VG_EX_FIELD:
		return field(x, e, out);
	case VG_EX_NEG:
		return negate(x, e, out);
	case VG_EX_NOT:
		return not(x, e, out);
	case VG_EX_BIN:
		return binary(x, e, out);
	case VG_EX_AND:
	case VG_EX_OR:
		return logic(x, e, e->kind == VG_EX_AND, out);
	case VG_EX_CALL:
		return call(x, e, out);
	default:
		return 0;
	}
}

int qev_expr(qev *x, const vg_expr *e, vg_val *out)
{
	*out = vg_v_null();
	if (x->depth >= VG_EVAL_MAX_DEPTH)
		return qev_fail(x, VG_ELIMIT, e->pos,
			       "the expression at %u is nested more than %d levels deep", e->pos,
			       VG_EVAL_MAX_DEPTH);
	x->depth++;
	int rc = node(x, e, out);
	x->depth--;
	return rc;
}

/* ----------------------------------------------------------- conditions */

static int fn_if(qev *x, const vg_expr *e, vg_val *out)
{
	vg_val c;
	int rc = qev_expr(x, e->list.args[0], &c);
	if (rc < 0)
		return rc;
	return qev_expr(x, e->list.args[vg_val_true(&c) ? 1 : 2], out);
}

/* case(c1, v1, c2, v2 ...): the value of the first true condition; null
 * when none is. */
static int fn_case(qev *x, const vg_expr *e, vg_val *out)
{
	for (uint32_t i = 0; i + 1 < e->list.n; i += 2) {
		vg_val c;
		int rc = qev_expr(x, e->list.args[i], &c);
		if (rc < 0)
			return rc;
		if (vg_val_true(&c))
			return qev_expr(x, e->list.args[i + 1], out);
	}
	return 0;
}

/* The first argument that is not null (an empty string is not null). */
static int fn_coalesce(qev *x, const vg_expr *e, vg_val *out)
{
	for (uint32_t i = 0; i < e->list.n; i++) {
		int rc = qev_expr(x, e->list.args[i], out);
		if (rc < 0 || out->kind != VG_V_NULL)
			return rc;
	}
	return 0;
}

/* in(x, a, b ...): x = a OR x = b ...; null when x is. */
static int fn_in(qev *x, const vg_expr *e, vg_val *out)
{
	vg_val v;
	int rc = qev_expr(x, e->list.args[0], &v);
	if (rc < 0 || v.kind == VG_V_NULL)
		return rc;
	for (uint32_t i = 1; i < e->list.n; i++) {
		vg_val w;
		if ((rc = qev_expr(x, e->list.args[i], &w)) < 0)
			return rc;
		if (qev_cmp_op(VG_BOP_EQ, &v, &w) == 1) {
			*out = vg_v_bool(1);
			return 0;
		}
	}
	*out = vg_v_bool(0);
	return 0;
}

static int fn_isnull(qev *x, const vg_expr *e, vg_val *out)
{
	vg_val v;
	int rc = qev_expr(x, e->list.args[0], &v);
	if (rc == 0)
		*out = vg_v_bool(v.kind == VG_V_NULL);
	return rc;
}

static int fn_isnotnull(qev *x, const vg_expr *e, vg_val *out)
{
	vg_val v;
	int rc = qev_expr(x, e->list.args[0], &v);
	if (rc == 0)
		*out = vg_v_bool(v.kind != VG_V_NULL);
	return rc;
}

/* max and min: numbers are below strings (Splunk); a string that reads
 * as a number is that number; nulls and booleans are left out; the values
 * of a multivalue take part one by one. want > 0: max. */
static int better(const vg_val *cand, const vg_val *best, int want)
{
	if (best->kind == VG_V_NULL)
		return 1;
	int c = vg_val_cmp(cand, best);
	return want > 0 ? c > 0 : c < 0;
}

static void extreme_one(const vg_val *v, vg_val *best, int want)
{
	vg_val n;
	if (v->kind == VG_V_MV) {
		for (uint32_t k = 0; k < v->nmv; k++)
			extreme_one(&v->mv[k], best, want);
		return;
	}
	if (v->kind == VG_V_NULL || v->kind == VG_V_BOOL)
		return;
	const vg_val *c = qev_num(v, &n) ? &n : v;
	if (better(c, best, want))
		*best = *c;
}

static int extreme(qev *x, const vg_expr *e, int want, vg_val *out)
{
	for (uint32_t i = 0; i < e->list.n; i++) {
		vg_val v;
		int rc = qev_expr(x, e->list.args[i], &v);
		if (rc < 0)
			return rc;
		extreme_one(&v, out, want);
	}
	return 0;
}

static int fn_max(qev *x, const vg_expr *e, vg_val *out)
{
	return extreme(x, e, 1, out);
}

static int fn_min(qev *x, const vg_expr *e, vg_val *out)
{
	return extreme(x, e, -1, out);
}

/* ----------------------------------------------------------------- math */

/* The one numeric argument of a math function: 1 and *n set, or 0 (the
 * result stays null). */
static int num_arg(qev *x, const vg_expr *e, vg_val *n, int *rc)
{
	vg_val v;
	*rc = qev_expr(x, e->list.args[0], &v);
	return *rc == 0 && qev_num(&v, n);
}

static int fn_abs(qev *x, const vg_expr *e, vg_val *out)
{
	vg_val n;
	int rc;
	if (!num_arg(x, e, &n, &rc))
		return rc;
	if (n.isint && n.i != INT64_MIN)
		*out = vg_v_int(n.i < 0 ? -n.i : n.i);
	else
		*out = qev_dbl(fabs(n.d));
	return 0;
}

static int fn_ceil(qev *x, const vg_expr *e, vg_val *out)
{
	vg_val n;
	int rc;
	if (num_arg(x, e, &n, &rc))
		*out = n.isint ? n : qev_dbl_int(ceil(n.d));
	return rc;
}

static int fn_floor(qev *x, const vg_expr *e, vg_val *out)
{
	vg_val n;
	int rc;
	if (num_arg(x, e, &n, &rc))
		*out = n.isint ? n : qev_dbl_int(floor(n.d));
	return rc;
}

static int fn_exp(qev *x, const vg_expr *e, vg_val *out)
{
	vg_val n;
	int rc;
	if (num_arg(x, e, &n, &rc))
		*out = qev_dbl(exp(n.d));
	return rc;
}

static int fn_ln(qev *x, const vg_expr *e, vg_val *out)
{
	vg_val n;
	int rc;
	if (num_arg(x, e, &n, &rc) && n.d > 0)
		*out = qev_dbl(log(n.d));
	return rc;
}

static int fn_sqrt(qev *x, const vg_expr *e, vg_val *out)
{
	vg_val n;
	int rc;
	if (num_arg(x, e, &n, &rc) && n.d >= 0)
		*out = qev_dbl(sqrt(n.d));
	return rc;
}

/* log(x[, base]): base 10 unless given; null outside the domain. */
static int fn_log(qev *x, const vg_expr *e, vg_val *out)
{
	vg_val v[2], n, b;
	int rc = qev_args(x, e, v, 2);
	if (rc < 0 || !qev_num(&v[0], &n) || n.d <= 0)
		return rc;
	if (e->list.n < 2) {
		*out = qev_dbl(log10(n.d));
		return 0;
	}
	if (qev_num(&v[1], &b) && b.d > 0 && b.d != 1)
		*out = qev_dbl(log(n.d) / log(b.d));
	return 0;
}

/* b^e exactly in int64 (e >= 0): 1, or 0 on overflow. */
static int int_pow(int64_t b, int64_t e, int64_t *out)
{
	int64_t r = 1;
	while (e > 0) {
		if ((e & 1) && __builtin_mul_overflow(r, b, &r))
			return 0;
		e >>= 1;
		if (e > 0 && __builtin_mul_overflow(b, b, &b))
			return 0;
	}
	*out = r;
	return 1;
}

static int fn_pow(qev *x, const vg_expr *e, vg_val *out)
{
	vg_val v[2], b, p;
	int rc = qev_args(x, e, v, 2);
	if (rc < 0 || !qev_num(&v[0], &b) || !qev_num(&v[1], &p))
		return rc;
	int64_t r;
	if (b.isint && p.isint && p.i >= 0 && int_pow(b.i, p.i, &r))
		*out = vg_v_int(r);
	else
		*out = qev_dbl(pow(b.d, p.d));
	return 0;
}

/* round(x[, n]): to n decimals (0: an integer), halves away from zero;
 * a negative n rounds to tens, hundreds ... */
static int fn_round(qev *x, const vg_expr *e, vg_val *out)
{
	vg_val v[2], n, d;
	int rc = qev_args(x, e, v, 2);
	if (rc < 0 || !qev_num(&v[0], &n))
		return rc;
	int64_t digits = 0;
	if (e->list.n > 1) {
		if (!qev_num(&v[1], &d) || !isfinite(d.d))
			return 0;
		digits = d.d > 20 ? 20 : d.d < -20 ? -20 : (int64_t)d.d;
	}
	if (n.isint && digits >= 0) {
		*out = n;
		return 0;
	}
	if (!isfinite(n.d)) {
		*out = qev_dbl(n.d);
		return 0;
	}
	if (digits == 0) {
		*out = qev_dbl_int(round(n.d));
	} else if (digits < 0) {
		double p = pow(10, (double)-digits);
		*out = qev_dbl_int(round(n.d / p) * p);
	} else {
		double p = pow(10, (double)digits), s = n.d * p;
		*out = isfinite(s) && fabs(s) < 0x1p52 ? vg_v_dbl(round(s) / p) : n;
	}
	return 0;
}

/* ------------------------------------------------------------- dispatch */

static const qev_fn functions[VG_FN_COUNT_] = {
	[VG_FN_ABS] = fn_abs,
	[VG_FN_CASE] = fn_case,
	[VG_FN_CEIL] = fn_ceil,
	[VG_FN_CIDRMATCH] = qev_fn_cidrmatch,
	[VG_FN_COALESCE] = fn_coalesce,
	[VG_FN_EXP] = fn_exp,
	[VG_FN_FLOOR] = fn_floor,
	[VG_FN_IF] = fn_if,
	[VG_FN_IN] = fn_in,
	[VG_FN_ISNOTNULL] = fn_isnotnull,
	[VG_FN_ISNULL] = fn_isnull,
	[VG_FN_LEN] = qev_fn_len,
	[VG_FN_LIKE] = qev_fn_like,
	[VG_FN_LN] = fn_ln,
	[VG_FN_LOG] = fn_log,
	[VG_FN_LOWER] = qev_fn_lower,
	[VG_FN_LTRIM] = qev_fn_ltrim,
	[VG_FN_MATCH] = qev_fn_match,
	[VG_FN_MAX] = fn_max,
	[VG_FN_MIN] = fn_min,
	[VG_FN_MVCOUNT] = qev_fn_mvcount,
	[VG_FN_MVINDEX] = qev_fn_mvindex,
	[VG_FN_NOW] = qev_fn_now,
	[VG_FN_POW] = fn_pow,
	[VG_FN_RELATIVE_TIME] = qev_fn_relative_time,
	[VG_FN_REPLACE] = qev_fn_replace,
	[VG_FN_ROUND] = fn_round,
	[VG_FN_RTRIM] = qev_fn_rtrim,
	[VG_FN_SPLIT] = qev_fn_split,
	[VG_FN_SQRT] = fn_sqrt,
	[VG_FN_STRFTIME] = qev_fn_strftime,
	[VG_FN_STRPTIME] = qev_fn_strptime,
	[VG_FN_SUBSTR] = qev_fn_substr,
	[VG_FN_TONUMBER] = qev_fn_tonumber,
	[VG_FN_TOSTRING] = qev_fn_tostring,
	[VG_FN_TRIM] = qev_fn_trim,
	[VG_FN_UPPER] = qev_fn_upper,
	[VG_FN_URLDECODE] = qev_fn_urldecode,
};

/* The parser checked the name and the number of arguments; a call whose
 * first argument the function reads unconditionally has at least one. */
static int call(qev *x, const vg_expr *e, vg_val *out)
{
	if (e->fn >= VG_FN_COUNT_ || functions[e->fn] == NULL)
		return qev_fail(x, VG_EINVAL, e->pos, "unknown function at %u", e->pos);
	return functions[e->fn](x, e, out);
}

/* ---------------------------------------------------------------- entry */

int vg_eval(const vg_expr *e, const vg_rowget *row, vg_evalctx *ctx, vg_val *out, vg_err *err)
{
	qev x = {.row = row, .ctx = ctx, .err = err, .depth = 0};
	int rc = qev_expr(&x, e, out);
	if (rc < 0)
		*out = vg_v_null();
	return rc;
}
