/* test_qeval.c — the evaluator of where and eval (qvalue.h): real queries
 * parsed with vg_query_parse and evaluated over a small fixed row, for
 * every operator and function: null propagation, coercions between text
 * and numbers, integer exactness, division by zero, times (strftime /
 * strptime round trips, relative_time snapping), networks, regexes and
 * their limits, multivalues; and the value helpers (text, order, truth,
 * numbers read from text). */
#include "testutil.h"

#include <math.h>

#include "query/qparse.h"
#include "query/qvalue.h"
#include "util/timeutil.h"

/* 2023-11-14T22:13:20Z, a Tuesday. */
#define NOW (INT64_C(1700000000) * VG_NS_PER_SEC)
#define EVAL_PREFIX "| eval x="
#define WHERE_PREFIX "| where "
#define LONG_LEN 200000

/* ------------------------------------------------------------------ row */

static char long_text[LONG_LEN];
static char evil_text[41];
static vg_val mv_abc[3], mv_ips[2], mv_nums[3];

static vg_val mv_of(vg_val *v, uint32_t n)
{
	vg_val m = {0};
	m.kind = VG_V_MV;
	m.mv = v;
	m.nmv = n;
	return m;
}

static vg_val str(const char *s)
{
	return vg_v_str(s, strlen(s));
}

/* The test row: a few fields of every kind; `fail` cannot be read. */
static int row_get(void *ctx, const vg_qname *name, vg_val *out)
{
	(void)ctx;
	static const struct {
		const char *name, *text;
	} strs[] = {
		{"s", "hello"}, {"S", "Hello World"}, {"empty", ""}, {"fs", "2.5"},
		{"ip", "10.1.2.3"}, {"ip6", "2001:db8::1"}, {"u", "h\xc3\xa9llo w\xc3\xb6rld"},
		{"ts", "2023-11-14 22:13:20"}, {"bad", "\xff\xfe" "ab"}, {"csv", "a,b,,c"},
		{"url", "http%3A%2F%2Fx.com%2Fa%3Fb%3Dc+d%zz%4"}, {"pad", "  xy\t "},
		{"num7", " 7 "}, {"pat", "^h.l+o$"}, {"badpat", "(unclosed"},
		{"net", "10.0.0.0/8"}, {"status", "404"},
	};
	const char *n = name->s;
	*out = vg_v_null();
	for (size_t k = 0; k < sizeof strs / sizeof *strs; k++)
		if (strcmp(n, strs[k].name) == 0)
			*out = str(strs[k].text);
	if (strcmp(n, "n") == 0)
		*out = vg_v_int(42);
	else if (strcmp(n, "neg") == 0)
		*out = vg_v_int(-7);
	else if (strcmp(n, "f") == 0)
		*out = vg_v_dbl(1.5);
	else if (strcmp(n, "t") == 0)
		*out = vg_v_int(1700000000);
	else if (strcmp(n, "tf") == 0)
		*out = vg_v_dbl(1700000000.123);
	else if (strcmp(n, "_time") == 0)
		*out = vg_v_dbl(1700000000.5);
	else if (strcmp(n, "big") == 0)
		*out = vg_v_int(INT64_C(9007199254740993));
	else if (strcmp(n, "imax") == 0)
		*out = vg_v_int(INT64_MAX);
	else if (strcmp(n, "imin") == 0)
		*out = vg_v_int(INT64_MIN);
	else if (strcmp(n, "yes") == 0)
		*out = vg_v_bool(1);
	else if (strcmp(n, "mv") == 0)
		*out = mv_of(mv_abc, 3);
	else if (strcmp(n, "mvips") == 0)
		*out = mv_of(mv_ips, 2);
	else if (strcmp(n, "mvnums") == 0)
		*out = mv_of(mv_nums, 3);
	else if (strcmp(n, "long") == 0)
		*out = vg_v_str(long_text, LONG_LEN);
	else if (strcmp(n, "evil") == 0)
		*out = str(evil_text);
	else if (strcmp(n, "fail") == 0)
		return VG_EIO;
	return 0;
}

static const vg_rowget row = {row_get, NULL};

/* -------------------------------------------------------------- fixture */

/* Queries and results live until the end of the test. */
#define MAX_QUERIES 512
static vg_query *queries[MAX_QUERIES];
static int nqueries;
static vg_arena arena;
static vg_evalctx ctx;

static int setup(void **st)
{
	(void)st;
	memset(long_text, 'a', LONG_LEN);
	memset(evil_text, 'a', 40);
	evil_text[40] = 0;
	evil_text[39] = '!';
	mv_abc[0] = str("a");
	mv_abc[1] = str("b");
	mv_abc[2] = str("c");
	mv_ips[0] = str("192.168.0.1");
	mv_ips[1] = str("10.9.8.7");
	mv_nums[0] = str("10");
	mv_nums[1] = vg_v_int(2);
	mv_nums[2] = str("zz");
	memset(&arena, 0, sizeof arena);
	memset(&ctx, 0, sizeof ctx);
	ctx.arena = &arena;
	ctx.now_ns = NOW;
	ctx.mctx = vg_qregex_mctx();
	ctx.md = pcre2_match_data_create(1, NULL);
	nqueries = 0;
	return ctx.mctx && ctx.md ? 0 : -1;
}

static int teardown(void **st)
{
	(void)st;
	for (int i = 0; i < nqueries; i++)
		vg_query_free(queries[i]);
	vg_arena_free(&arena);
	pcre2_match_context_free(ctx.mctx);
	pcre2_match_data_free(ctx.md);
	return 0;
}

/* The expression of `| eval x=<expr>` or `| where <expr>`. */
static const vg_expr *parse_expr(const char *prefix, const char *expr, char *q, size_t qsize)
{
	snprintf(q, qsize, "%s%s", prefix, expr);
	vg_query *pq = NULL;
	vg_err err = {0};
	if (vg_query_parse(q, strlen(q), NOW, &pq, &err) != 0)
		fail_msg("%s\n  -> parse error at %lld: %s", q, (long long)err.pos, err.msg);
	assert_true(nqueries < MAX_QUERIES);
	queries[nqueries++] = pq;
	assert_int_equal(pq->ncmds, 1);
	if (pq->cmds[0].kind == VG_CMD_WHERE)
		return pq->cmds[0].where;
	assert_int_equal(pq->cmds[0].kind, VG_CMD_EVAL);
	return pq->cmds[0].eval.v[0].e;
}

static vg_val eval_ok(const char *expr)
{
	char q[4096];
	const vg_expr *e = parse_expr(EVAL_PREFIX, expr, q, sizeof q);
	vg_val v;
	vg_err err = {0};
	int rc = vg_eval(e, &row, &ctx, &v, &err);
	if (rc != 0)
		fail_msg("%s\n  -> eval error %d at %lld: %s", expr, rc, (long long)err.pos,
			 err.msg);
	return v;
}

static char *text_of(const vg_val *v)
{
	vg_buf b = {0};
	vg_val_text(v, &b);
	vg_buf_putc(&b, 0);
	char *s = vg_arena_dup(&arena, b.p, b.len - 1);
	vg_buf_free(&b);
	return s;
}

static const char *kind_name(int k)
{
	static const char *const names[] = {"null", "number", "string", "boolean", "multivalue"};
	return k >= 0 && k <= VG_V_MV ? names[k] : "?";
}

static void want_int(const char *expr, int64_t want)
{
	vg_val v = eval_ok(expr);
	if (v.kind != VG_V_NUM || !v.isint || v.i != want)
		fail_msg("%s\n  want int %lld, got %s %s (isint %d)", expr, (long long)want,
			 kind_name(v.kind), text_of(&v), v.isint);
}

static void want_dbl(const char *expr, double want)
{
	vg_val v = eval_ok(expr);
	double tol = fmax(1e-12, 1e-15 * fabs(want));
	if (v.kind != VG_V_NUM || !(fabs(v.d - want) <= tol) || (v.isint && (double)v.i != v.d))
		fail_msg("%s\n  want %.17g, got %s %s", expr, want, kind_name(v.kind), text_of(&v));
}

static void want_str(const char *expr, const char *want)
{
	vg_val v = eval_ok(expr);
	size_t n = strlen(want);
	if (v.kind != VG_V_STR || v.len != n || (n && memcmp(v.s, want, n) != 0))
		fail_msg("%s\n  want string \"%s\", got %s \"%s\"", expr, want, kind_name(v.kind),
			 text_of(&v));
}

/* The value as vg_val_text writes it, whatever its kind. */
static void want_text(const char *expr, const char *want)
{
	vg_val v = eval_ok(expr);
	const char *got = text_of(&v);
	if (strcmp(got, want) != 0)
		fail_msg("%s\n  want text \"%s\", got %s \"%s\"", expr, want, kind_name(v.kind),
			 got);
}

static void want_bool(const char *expr, int want)
{
	vg_val v = eval_ok(expr);
	if (v.kind != VG_V_BOOL || v.i != want)
		fail_msg("%s\n  want %s, got %s %s", expr, want ? "true" : "false",
			 kind_name(v.kind), text_of(&v));
}

static void want_null(const char *expr)
{
	vg_val v = eval_ok(expr);
	if (v.kind != VG_V_NULL)
		fail_msg("%s\n  want null, got %s \"%s\"", expr, kind_name(v.kind), text_of(&v));
}

static void want_mv(const char *expr, uint32_t n, const char *joined)
{
	vg_val v = eval_ok(expr);
	if (v.kind != VG_V_MV || v.nmv != n || strcmp(text_of(&v), joined) != 0)
		fail_msg("%s\n  want %u values, got %s (%u) \"%s\"", expr, n, kind_name(v.kind),
			 v.nmv, text_of(&v));
	for (uint32_t k = 0; k < v.nmv; k++)
		assert_int_not_equal(v.mv[k].kind, VG_V_MV);
}

/* Evaluation fails with code at the last occurrence of `at` in expr, and
 * the message names that position. */
static void want_err(const char *expr, int code, const char *at)
{
	char q[4096];
	const vg_expr *e = parse_expr(EVAL_PREFIX, expr, q, sizeof q);
	vg_val v = vg_v_int(1);
	vg_err err = {0};
	int rc = vg_eval(e, &row, &ctx, &v, &err);
	const char *p = NULL;
	for (const char *q2 = strstr(expr, at); q2; q2 = strstr(q2 + 1, at))
		p = q2;
	assert_non_null(p);
	int64_t pos = (int64_t)(strlen(EVAL_PREFIX) + (size_t)(p - expr));
	char atpos[32];
	snprintf(atpos, sizeof atpos, "at %lld", (long long)pos);
	if (rc != code || err.code != code || err.pos != pos || strstr(err.msg, atpos) == NULL)
		fail_msg("%s\n  want error %d at %lld, got %d at %lld: %s", expr, code,
			 (long long)pos, rc, (long long)err.pos, err.msg);
	assert_int_equal(v.kind, VG_V_NULL);
}

/* `| where expr` keeps the row or not. */
static void want_where(const char *expr, int keep)
{
	char q[4096];
	const vg_expr *e = parse_expr(WHERE_PREFIX, expr, q, sizeof q);
	vg_val v;
	vg_err err = {0};
	int rc = vg_eval(e, &row, &ctx, &v, &err);
	if (rc != 0)
		fail_msg("%s\n  -> eval error %d: %s", q, rc, err.msg);
	if (vg_val_true(&v) != keep)
		fail_msg("%s\n  want %s, got %s %s", q, keep ? "kept" : "dropped",
			 kind_name(v.kind), text_of(&v));
}

/* ---------------------------------------------------------------- tests */

static void test_literals_and_fields(void **st)
{
	(void)st;
	want_int("42", 42);
	want_int("-42", -42);
	want_dbl("1.25", 1.25);
	want_dbl("1e3", 1000);
	want_str("\"a\\\"b\"", "a\"b");
	want_bool("true", 1);
	want_bool("false()", 0);
	want_null("null");
	want_null("null()");
	want_int("n", 42);
	want_dbl("f", 1.5);
	want_str("s", "hello");
	want_str("'s'", "hello");
	want_null("nosuchfield");
	want_int("big", INT64_C(9007199254740993));
	want_mv("mv", 3, "a\nb\nc");
	want_err("1 + fail", VG_EIO, "fail");
}

static void test_arithmetic(void **st)
{
	(void)st;
	want_int("1 + 2", 3);
	want_int("2 - 5", -3);
	want_int("6 * 7", 42);
	want_int("6 / 2", 3);
	want_dbl("7 / 2", 3.5);
	want_dbl("-7 / 2", -3.5);
	want_int("7 % 3", 1);
	want_int("-7 % 3", -1);
	want_dbl("7.5 % 2", 1.5);
	want_int("2 + 3 * 4", 14);
	want_int("(2 + 3) * 4", 20);
	/* Division and modulo by zero are null. */
	want_null("1 / 0");
	want_null("1 % 0");
	want_null("1.5 / 0.0");
	want_null("n / (n - 42)");
	/* Integers stay exact past 2^53, and overflow falls back to doubles. */
	want_int("9007199254740993 + 0", INT64_C(9007199254740993));
	want_int("big + 1", INT64_C(9007199254740994));
	want_int("big * 1", INT64_C(9007199254740993));
	want_int("big - 9007199254740992", 1);
	want_int("9223372036854775806 + 1", INT64_MAX);
	want_dbl("imax + 1", 9223372036854775808.0);
	want_dbl("imin - 1", -9223372036854775808.0);
	want_dbl("3037000500 * 3037000500", 9223372037000250000.0);
	want_dbl("imin / -1", 9223372036854775808.0);
	want_int("imin % -1", 0);
	want_dbl("-imin", 9223372036854775808.0);
	want_int("-n", -42);
	want_int("--n", 42);
	/* Doubles print without noise. */
	want_text("0.1 + 0.2", "0.3");
	want_text("f * 2", "3");
	want_text("1 / 3", "0.333333333333333");
	/* Strings that read as numbers are numbers. */
	want_dbl("fs * 2", 5);
	want_int("\"1\" + \"2\"", 3);
	want_int("num7 * 1", 7);
	want_dbl("-fs", -2.5);
	want_int("status + 1", 405);
	/* + concatenates strings that are not both numbers. */
	want_str("\"a\" + \"b\"", "ab");
	want_str("\"5\" + \"a\"", "5a");
	want_str("s + \"!\"", "hello!");
	/* Operations that do not apply are null. */
	want_null("n + \"x\"");
	want_null("s * 2");
	want_null("-s");
	want_null("null + 1");
	want_null("nosuchfield * 2");
	want_null("true + 1");
	want_null("mv + 1");
}

static void test_concat(void **st)
{
	(void)st;
	want_str("\"a\" . \"b\"", "ab");
	want_str("n . \"x\"", "42x");
	want_str("1.50 . \"\"", "1.5");
	want_str("f . \"s\"", "1.5s");
	want_str("true() . \"\"", "true");
	want_str("empty . empty", "");
	want_str("\"src=\" . ip . \":\" . 443", "src=10.1.2.3:443");
	/* Null (or a multivalue) makes the result null, as in Splunk. */
	want_null("null() . \"x\"");
	want_null("\"x\" . nosuchfield");
	want_null("mv . \"x\"");
	want_str("coalesce(nosuchfield, \"-\") . \"x\"", "-x");
	/* Bounded: 6 x 200000 bytes is more than 1 MiB. */
	want_int("len(long . long . long . long . long)", 5 * LONG_LEN);
	want_err("long . long . long . long . long . long", VG_ELIMIT, ". long");
	want_err("long + long + long + long + long + long", VG_ELIMIT, "+ long");
}

static void test_comparisons(void **st)
{
	(void)st;
	want_bool("1 < 2", 1);
	want_bool("2 <= 2", 1);
	want_bool("3 > 2.5", 1);
	want_bool("2 >= 3", 0);
	want_bool("1 == 1.0", 1);
	want_bool("1 != 1", 0);
	want_bool("n = 42", 1);
	want_bool("n == 42", 1);
	/* Strings byte-wise, case-sensitive. */
	want_bool("\"a\" < \"b\"", 1);
	want_bool("\"B\" < \"a\"", 1);
	want_bool("\"abc\" = \"ABC\"", 0);
	want_bool("s = \"hello\"", 1);
	want_bool("\"10\" < \"9\"", 1);
	want_bool("empty = \"\"", 1);
	/* A number against a string that reads as one: numerically. */
	want_bool("n = \"42\"", 1);
	want_bool("n = \"42.0\"", 1);
	want_bool("fs > 2", 1);
	want_bool("2 < fs", 1);
	want_bool("status = 404", 1);
	want_bool("status >= 400 AND status < 500", 1);
	want_bool("fs = \"2.50\"", 0); /* two strings */
	want_bool("n > \"abc\"", 0);   /* "42" < "abc" as text */
	want_bool("n != \"abc\"", 1);
	/* Exact integers. */
	want_bool("big = 9007199254740992", 0);
	want_bool("big > 9007199254740992.0", 1);
	want_bool("big = 9007199254740993", 1);
	/* Booleans compare as numbers. */
	want_bool("true() = 1", 1);
	want_bool("(1 < 2) = (3 < 4)", 1);
	/* Null on either side gives null. */
	want_null("null() = null()");
	want_null("nosuchfield = 1");
	want_null("1 < nosuchfield");
	/* A multivalue: one of its values. */
	want_bool("mv = \"b\"", 1);
	want_bool("mv = \"z\"", 0);
	want_bool("mv != \"b\"", 0);
	want_bool("mv != \"z\"", 1);
	want_bool("\"b\" = mv", 1);
	want_bool("mvnums > 5", 1);
	want_bool("mvnums < 2", 0);
	want_bool("mv = mv", 1);
}

static void test_logic(void **st)
{
	(void)st;
	want_bool("true AND true", 1);
	want_bool("true AND false", 0);
	want_bool("false OR true", 1);
	want_bool("true AND 1 < 2 AND s = \"hello\"", 1);
	want_bool("1 AND 2", 1);
	want_bool("0 OR 0.0", 0);
	want_bool("NOT true", 0);
	want_bool("NOT 0", 1);
	want_bool("!(1 > 2)", 1);
	want_bool("n > 40 && n < 50", 1);
	want_bool("n < 40 || n > 50", 0);
	/* Three-valued: null AND false is false, null OR true is true. */
	want_bool("nosuchfield = 1 AND false", 0);
	want_bool("false AND nosuchfield = 1", 0);
	want_bool("nosuchfield = 1 OR true", 1);
	want_null("nosuchfield = 1 AND true");
	want_null("nosuchfield = 1 OR false");
	want_null("NOT nosuchfield = 1");
	want_null("NOT s");
	want_null("s AND true");
	/* AND stops at the first false: the costly match is not run. */
	want_bool("false AND match(evil, \"(a+)+$\")", 0);
	want_bool("true OR match(evil, \"(a+)+$\")", 1);
	/* AND before OR. */
	want_bool("true OR true AND false", 1);
	want_bool("(true OR true) AND false", 0);
}

static void test_where_truth(void **st)
{
	(void)st;
	vg_val v;
	assert_true(vg_val_true(&(vg_val){.kind = VG_V_BOOL, .i = 1}));
	assert_false(vg_val_true(&(vg_val){.kind = VG_V_BOOL, .i = 0}));
	v = vg_v_int(0);
	assert_false(vg_val_true(&v));
	v = vg_v_int(-3);
	assert_true(vg_val_true(&v));
	v = vg_v_dbl(0.0);
	assert_false(vg_val_true(&v));
	v = vg_v_dbl(-0.0);
	assert_false(vg_val_true(&v));
	v = vg_v_dbl(0.25);
	assert_true(vg_val_true(&v));
	v = vg_v_dbl(NAN);
	assert_false(vg_val_true(&v));
	v = vg_v_null();
	assert_false(vg_val_true(&v));
	v = str("true");
	assert_false(vg_val_true(&v));
	v = str("1");
	assert_false(vg_val_true(&v));
	v = mv_of(mv_abc, 3);
	assert_false(vg_val_true(&v));

	want_where("n > 10", 1);
	want_where("n > 100", 0);
	want_where("nosuchfield > 1", 0);
	want_where("NOT nosuchfield > 1", 0);
	want_where("isnull(nosuchfield)", 1);
	want_where("n", 1);
	want_where("n - 42", 0);
	want_where("s", 0);
	want_where("like(s, \"he%\")", 1);
	want_where("cidrmatch(\"10.0.0.0/8\", ip) AND status >= 400", 1);
	want_where("s LIKE \"x%\" OR n IN (1, 42)", 1);
	want_where("match(s, \"^h\") AND NOT match(s, \"z\")", 1);
}

static void test_conditionals(void **st)
{
	(void)st;
	want_str("if(n > 10, \"big\", \"small\")", "big");
	want_str("if(n > 100, \"big\", \"small\")", "small");
	want_str("if(nosuchfield > 1, \"yes\", \"no\")", "no");
	want_str("if(n, \"nonzero\", \"zero\")", "nonzero");
	want_int("if(true, 1, 1 / 0)", 1);
	want_str("case(n < 10, \"low\", n < 100, \"mid\", true(), \"high\")", "mid");
	want_str("case(n > 100, \"high\", 1 = 1, \"other\")", "other");
	want_null("case(n > 100, \"high\", n > 50, \"mid\")");
	want_str("coalesce(nosuchfield, null(), s, \"x\")", "hello");
	want_str("coalesce(empty, s)", "");
	want_null("coalesce(nosuchfield, null())");
	want_bool("in(n, 1, 42, 3)", 1);
	want_bool("n IN (1, 2, 3)", 0);
	want_bool("s IN (\"x\", \"hello\")", 1);
	want_bool("status IN (404, 500)", 1);
	want_bool("in(\"b\", mv, \"z\")", 1);
	want_null("nosuchfield IN (1, 2)");
	want_bool("in(n, nosuchfield, 42)", 1);
	want_bool("isnull(nosuchfield)", 1);
	want_bool("isnull(empty)", 0);
	want_bool("isnull(1 / 0)", 1);
	want_bool("isnotnull(s)", 1);
	want_bool("isnotnull(null())", 0);
}

static void test_like(void **st)
{
	(void)st;
	want_bool("like(s, \"he%\")", 1);
	want_bool("like(s, \"h_llo\")", 1);
	want_bool("like(s, \"H%\")", 0); /* case-sensitive */
	want_bool("like(s, \"%ll%\")", 1);
	want_bool("like(s, \"%\")", 1);
	want_bool("like(s, \"hell\")", 0);
	want_bool("like(s, \"hello_\")", 0);
	want_bool("like(empty, \"%\")", 1);
	want_bool("like(empty, \"\")", 1);
	want_bool("like(s, \"\")", 0);
	want_bool("s LIKE \"%o\"", 1);
	want_bool("NOT s LIKE \"%x%\"", 1);
	want_bool("like(\"50%\", \"50\\\\%\")", 1);
	want_bool("like(\"50x\", \"50\\\\%\")", 0);
	want_bool("like(\"a_b\", \"a\\\\_b\")", 1);
	want_bool("like(\"axb\", \"a\\\\_b\")", 0);
	want_bool("like(u, \"h_llo w_rld\")", 1); /* _ is one UTF-8 character */
	want_bool("like(u, \"h__llo%\")", 0);
	want_bool("like(u, \"%\xa9llo%\")", 0); /* % does not split a character */
	want_bool("like(n, \"4_\")", 1);
	want_null("like(nosuchfield, \"%\")");
	want_bool("like(long, \"%aab\")", 0);
	/* A pattern that would take billions of steps stops with an error. */
	char expr[1024];
	strcpy(expr, "like(long, \"%");
	for (int k = 0; k < 300; k++)
		strcat(expr, "a");
	strcat(expr, "b\")");
	want_err(expr, VG_ELIMIT, "like");
}

static void test_math(void **st)
{
	(void)st;
	want_int("abs(neg)", 7);
	want_dbl("abs(-2.5)", 2.5);
	want_dbl("abs(imin)", 9223372036854775808.0);
	want_int("ceil(1.2)", 2);
	want_int("ceil(-1.2)", -1);
	want_int("floor(1.8)", 1);
	want_int("floor(-1.2)", -2);
	want_int("floor(n)", 42);
	want_int("ceil(fs)", 3);
	want_dbl("exp(0)", 1);
	want_dbl("exp(1)", M_E);
	want_dbl("ln(exp(2))", 2);
	want_null("ln(0)");
	want_null("ln(-1)");
	want_dbl("log(1000)", 3);
	want_dbl("log(8, 2)", 3);
	want_null("log(8, 1)");
	want_null("log(-8, 2)");
	want_int("pow(2, 10)", 1024);
	want_int("pow(-3, 3)", -27);
	want_int("pow(2, 62)", INT64_C(4611686018427387904));
	want_dbl("pow(2, 64)", 18446744073709551616.0);
	want_dbl("pow(2, -1)", 0.5);
	want_dbl("pow(4, 0.5)", 2);
	want_null("pow(-8, 1/3)");
	want_dbl("sqrt(16)", 4);
	want_null("sqrt(-1)");
	want_int("round(2.5)", 3);
	want_int("round(-2.5)", -3);
	want_int("round(2.4)", 2);
	want_dbl("round(3.14159, 2)", 3.14);
	want_text("round(3.14159, 2)", "3.14");
	want_int("round(n, 2)", 42);
	want_int("round(1234, -2)", 1200);
	want_int("round(1250.0, -2)", 1300);
	want_dbl("round(fs, 0)", 3);
	want_null("round(s)");
	want_null("sqrt(s)");
	want_text("exp(1000)", "inf");
	/* max and min: numbers below strings, numeric strings as numbers. */
	want_int("max(1, 3, 2)", 3);
	want_dbl("min(1, -2.5, 3)", -2.5);
	want_str("max(1, 3, 6, 7, \"foo\", s)", "hello");
	want_int("min(1, 3, \"foo\")", 1);
	want_int("max(\"10\", 9)", 10);
	want_str("max(mvnums)", "zz");
	want_int("min(mvnums)", 2);
	want_int("max(nosuchfield, 5)", 5);
	want_null("max(nosuchfield)");
	want_int("max(big, 9007199254740992)", INT64_C(9007199254740993));
}

static void test_text(void **st)
{
	(void)st;
	want_int("len(s)", 5);
	want_int("len(empty)", 0);
	want_int("len(u)", 11); /* héllo wörld: 11 characters, 13 bytes */
	want_int("len(bad)", 4); /* two stray bytes count one each */
	want_int("len(12345)", 5);
	want_int("len(f)", 3);
	want_null("len(nosuchfield)");
	want_null("len(mv)");
	want_str("lower(S)", "hello world");
	want_str("upper(S)", "HELLO WORLD");
	want_str("upper(\"abc xyz\")", "ABC XYZ");
	want_str("lower(\"ABC XYZ\")", "abc xyz");
	want_str("upper(u)", "H\xc3\xa9LLO W\xc3\xb6RLD"); /* ASCII letters only */
	want_str("lower(n)", "42");
	want_str("trim(pad)", "xy");
	want_str("ltrim(pad)", "xy\t ");
	want_str("rtrim(pad)", "  xy");
	want_str("trim(\"xxhixx\", \"x\")", "hi");
	want_str("ltrim(\"abcba\", \"ab\")", "cba");
	want_str("rtrim(\"abcba\", \"ab\")", "abc");
	want_str("trim(\"aaa\", \"a\")", "");
	want_str("trim(12321, \"1\")", "232");
	/* substr: 1-based, negative from the end, characters. */
	want_str("substr(\"splunk\", 1, 3)", "spl");
	want_str("substr(\"splunk\", 2)", "plunk");
	want_str("substr(\"splunk\", -3)", "unk");
	want_str("substr(\"splunk\", -3, 2)", "un");
	want_str("substr(\"splunk\", 0, 2)", "sp");
	want_str("substr(\"splunk\", -10, 2)", "sp");
	want_str("substr(\"splunk\", 7)", "");
	want_str("substr(\"splunk\", 100, 2)", "");
	want_str("substr(\"splunk\", 3, 0)", "");
	want_str("substr(\"splunk\", 4, 100)", "unk");
	want_null("substr(\"splunk\", 2, -1)");
	want_null("substr(\"splunk\", \"x\")");
	want_str("substr(u, 2, 4)", "\xc3\xa9llo");
	want_str("substr(u, -5)", "w\xc3\xb6rld");
	want_str("substr(12345, 2, 2)", "23");
	want_str("substr(s, 1.9, 2.9)", "he");
	want_str("urldecode(url)", "http://x.com/a?b=c d%zz%4");
	want_str("urldecode(\"%e2%82%ac\")", "\xe2\x82\xac");
}

static void test_regex(void **st)
{
	(void)st;
	want_bool("match(s, \"^h.l+o$\")", 1);
	want_bool("match(s, \"^H\")", 0);
	want_bool("match(s, \"(?i)^H\")", 1);
	want_bool("match(S, \"\\\\bWorld\\\\b\")", 1);
	want_bool("match(n, \"^4\\\\d$\")", 1);
	want_bool("match(ip, \"^10\\\\.\")", 1);
	want_bool("match(bad, \"ab$\")", 1); /* invalid UTF-8 is matched too */
	want_bool("match(mv, \"^c$\")", 1);
	want_bool("match(mv, \"^d$\")", 0);
	want_null("match(nosuchfield, \"x\")");
	/* A pattern computed at run time is compiled then. */
	want_bool("match(s, pat)", 1);
	want_bool("match(s, \"^\" . \"hel\")", 1);
	want_null("match(s, badpat)");
	want_null("match(s, nosuchfield)");
	/* replace: every match, groups as \1. */
	want_str("replace(s, \"l\", \"L\")", "heLLo");
	want_str("replace(\"2023-11-14\", \"(\\\\d+)-(\\\\d+)-(\\\\d+)\", \"\\\\3/\\\\2/\\\\1\")",
		 "14/11/2023");
	want_str("replace(s, \"(h)(e)\", \"<\\\\2\\\\1>\")", "<eh>llo");
	want_str("replace(s, \"l+\", \"$1$\")", "he$1$o");
	want_str("replace(s, \"x\", \"y\")", "hello");
	want_str("replace(\"abc\", \"\", \"-\")", "-a-b-c-");
	want_str("replace(s, \"(z)?l\", \"[\\\\1]\")", "he[][]o");
	want_str("replace(s, \"(l)\", \"\\\\5\")", "heo");
	want_str("replace(n, \"2\", \"3\")", "43");
	want_str("replace(u, \"\\\\w+\", \"x\")", "x\xc3\xa9x x\xc3\xb6x"); /* no UCP */
	want_str("replace(s, pat, \"X\")", "X");
	want_null("replace(nosuchfield, \"a\", \"b\")");
	want_null("replace(s, \"a\", nosuchfield)");
	want_null("replace(s, badpat, \"b\")");
	want_int("len(replace(long, \"a\", \"bbbbb\"))", 5 * LONG_LEN);
	want_err("replace(long, \"a\", \"bbbbbb\")", VG_ELIMIT, "replace");
	/* A pattern that exhausts the JIT's small stack on a long value is
	 * run again by the interpreter, within the limits. */
	want_bool("match(substr(long, 1, 3000), \"^(a|b)+$\")", 1);
	want_int("len(replace(substr(long, 1, 3000), \"^(a|b)+$\", \"x\"))", 1);
	/* Catastrophic backtracking hits the match limit: an error at the
	 * call, for the literal pattern and for one built at run time. */
	want_err("match(evil, \"^(a+)+$\")", VG_ELIMIT, "match");
	want_err("1 + if(match(evil, \"^(a|aa)+$\"), 1, 2)", VG_ELIMIT, "match");
	want_err("match(evil, \"^(a+)\" . \"+$\")", VG_ELIMIT, "match");
	want_err("replace(evil, \"^(a+)+$\", \"x\")", VG_ELIMIT, "replace");
}

static void test_regex_own_context(void **st)
{
	(void)st;
	/* Without a match context or data in the context, the evaluator makes
	 * its own, with the same limits. */
	pcre2_match_context *m = ctx.mctx;
	pcre2_match_data *d = ctx.md;
	ctx.mctx = NULL;
	ctx.md = NULL;
	want_bool("match(s, \"^h\")", 1);
	want_str("replace(s, \"(h)\", \"\\\\1\\\\1\")", "hhello");
	want_err("match(evil, \"^(a+)+$\")", VG_ELIMIT, "match");
	ctx.mctx = m;
	ctx.md = d;
}

static void test_multivalue(void **st)
{
	(void)st;
	want_mv("split(csv, \",\")", 4, "a\nb\n\nc");
	want_int("mvcount(split(csv, \",\"))", 4);
	want_str("mvindex(split(csv, \",\"), 0)", "a");
	want_str("mvindex(split(csv, \",\"), -1)", "c");
	want_str("mvindex(split(csv, \",\"), 2)", "");
	want_mv("mvindex(split(csv, \",\"), 1, 2)", 2, "b\n");
	want_mv("mvindex(split(csv, \",\"), 1, 99)", 3, "b\n\nc");
	want_mv("mvindex(split(csv, \",\"), -2, -1)", 2, "\nc");
	want_str("mvindex(mv, 1, 1)", "b");
	want_null("mvindex(split(csv, \",\"), 4)");
	want_null("mvindex(split(csv, \",\"), -5)");
	want_null("mvindex(split(csv, \",\"), 2, 1)");
	want_null("mvindex(nosuchfield, 0)");
	want_str("mvindex(s, 0)", "hello");
	want_str("mvindex(s, -1)", "hello");
	want_null("mvindex(s, 1)");
	want_mv("split(\"abc\", \"\")", 3, "a\nb\nc");
	want_mv("split(u, \"\")", 11, "h\n\xc3\xa9\nl\nl\no\n \nw\n\xc3\xb6\nr\nl\nd");
	want_mv("split(\"a::b::\", \"::\")", 3, "a\nb\n");
	want_mv("split(12345, 3)", 2, "12\n45");
	want_str("split(s, \",\")", "hello");
	want_int("mvcount(split(s, \",\"))", 1);
	want_str("split(empty, \"\")", "");
	want_null("split(nosuchfield, \",\")");
	want_int("mvcount(mv)", 3);
	want_int("mvcount(n)", 1);
	want_null("mvcount(nosuchfield)");
	want_int("mvcount(split(ip, \".\"))", 4);
	want_str("mvindex(split(ip, \".\"), 3)", "3");
	want_err("split(long, \"\")", VG_ELIMIT, "split");
	want_int("mvcount(split(substr(long, 1, 65536), \"\"))", 65536);
}

static void test_cidrmatch(void **st)
{
	(void)st;
	want_bool("cidrmatch(\"10.0.0.0/8\", ip)", 1);
	want_bool("cidrmatch(\"10.1.2.0/24\", ip)", 1);
	want_bool("cidrmatch(\"10.1.3.0/24\", ip)", 0);
	want_bool("cidrmatch(\"10.1.2.3/32\", ip)", 1);
	want_bool("cidrmatch(\"10.1.2.2/31\", ip)", 1);
	want_bool("cidrmatch(\"10.1.2.4/31\", ip)", 0);
	want_bool("cidrmatch(\"0.0.0.0/0\", ip)", 1);
	want_bool("cidrmatch(\"192.168.0.0/16\", ip)", 0);
	want_bool("cidrmatch(\"10.0.0.0/8\", \"10.255.255.255\")", 1);
	want_bool("cidrmatch(\"10.0.0.0/8\", \"11.0.0.0\")", 0);
	want_bool("cidrmatch(\"2001:db8::/32\", ip6)", 1);
	want_bool("cidrmatch(\"2001:db9::/32\", ip6)", 0);
	want_bool("cidrmatch(\"2001:db8::1/128\", ip6)", 1);
	want_bool("cidrmatch(\"::/0\", ip6)", 1);
	want_bool("cidrmatch(\"10.0.0.0/8\", ip6)", 0);
	want_bool("cidrmatch(\"2001:db8::/32\", ip)", 0);
	want_bool("cidrmatch(\"10.0.0.0/8\", \"::ffff:10.0.0.1\")", 1);
	want_bool("cidrmatch(\"10.0.0.0/8\", s)", 0);
	want_bool("cidrmatch(\"10.0.0.0/8\", \"10.0.0.1 \")", 0);
	want_bool("cidrmatch(\"10.0.0.0/8\", n)", 0);
	want_null("cidrmatch(\"10.0.0.0/8\", nosuchfield)");
	want_bool("cidrmatch(\"10.0.0.0/8\", mvips)", 1);
	want_bool("cidrmatch(\"172.16.0.0/12\", mvips)", 0);
	/* A network computed at run time. */
	want_bool("cidrmatch(net, ip)", 1);
	want_bool("cidrmatch(\"10.1.\" . \"0.0/16\", ip)", 1);
	want_null("cidrmatch(s, ip)");
	want_null("cidrmatch(\"10.0.0.0/33\" . \"\", ip)");
	want_null("cidrmatch(nosuchfield, ip)");
}

static void test_time_now_and_relative(void **st)
{
	(void)st;
	want_int("now()", 1700000000);
	want_int("relative_time(t, \"-1d\")", 1700000000 - 86400);
	want_int("relative_time(t, \"+1h\")", 1700000000 + 3600);
	want_int("relative_time(t, \"@d\")", 1699920000);
	want_int("relative_time(t, \"-1d@d\")", 1699833600);
	want_int("relative_time(t, \"@w0\")", 1699747200);
	want_int("relative_time(t, \"@w1\")", 1699833600);
	want_int("relative_time(t, \"@w\")", 1699747200);
	want_int("relative_time(t, \"@h\")", 1700000000 - 800);
	want_int("relative_time(t, \"@m\")", 1700000000 - 20);
	want_int("relative_time(t, \"-1mon@mon\")", 1696118400);
	want_int("relative_time(t, \"@y\")", 1672531200);
	want_int("relative_time(now(), \"-7d@d\")", 1699920000 - 7 * 86400);
	want_int("relative_time(\"1700000000\", \"-1s\")", 1699999999);
	want_dbl("relative_time(tf, \"-1s\")", 1699999999.123);
	want_int("relative_time(tf, \"@s\")", 1700000000);
	want_int("relative_time(_time, \"@d\")", 1699920000);
	want_int("relative_time(t, \"now\")", 1700000000);
	want_null("relative_time(t, \"-1x\" . \"\")");
	want_null("relative_time(t, \"yesterday\" . \"\")");
	want_null("relative_time(t, \"-999999999y\" . \"\")");
	want_null("relative_time(t, \"-99999999999w\" . \"\")");
	want_null("relative_time(s, \"-1d\")");
	want_null("relative_time(nosuchfield, \"-1d\")");
	want_null("relative_time(1e300, \"-1d\")");
}

static void test_strftime(void **st)
{
	(void)st;
	want_str("strftime(t, \"%Y-%m-%dT%H:%M:%S%z\")", "2023-11-14T22:13:20+0000");
	want_str("strftime(t, \"%F %T %Z\")", "2023-11-14 22:13:20 UTC");
	want_str("strftime(t, \"%a %A %b %B %h\")", "Tue Tuesday Nov November Nov");
	want_str("strftime(t, \"%j %y %e %I %l %p %k %u %w\")", "318 23 14 10 10 PM 22 2 2");
	want_str("strftime(t, \"%D %R %s %%\")", "11/14/23 22:13 1700000000 %");
	want_str("strftime(t, \"%3N|%N\")", "000|000000000");
	want_str("strftime(tf, \"%S.%3N\")", "20.123");
	want_str("strftime(tf, \"%6N %9N %Q %f %1N\")", "123000 123000000 123 123000 1");
	want_str("strftime(_time, \"%T.%3N\")", "22:13:20.500");
	want_str("strftime(1700000000.9999995, \"%T.%6N\")", "22:13:21.000000");
	want_str("strftime(\"1700000000\", \"%F\")", "2023-11-14");
	want_str("strftime(0, \"%F %T %a\")", "1970-01-01 00:00:00 Thu");
	want_str("strftime(-14182940, \"%F %T\")", "1969-07-20 20:17:40");
	want_str("strftime(-0.5, \"%F %T.%3N\")", "1969-12-31 23:59:59.500");
	want_str("strftime(1709208000, \"%F %j\")", "2024-02-29 060");
	want_str("strftime(t, \"%q %5S %\")", "%q %5S %");
	want_str("strftime(t, \"\")", "");
	want_str("strftime(253402300799, \"%F %T\")", "9999-12-31 23:59:59");
	want_null("strftime(253402300800, \"%F\")");
	want_null("strftime(s, \"%F\")");
	want_null("strftime(nosuchfield, \"%F\")");
	want_null("strftime(t, nosuchfield)");
}

static void test_strptime(void **st)
{
	(void)st;
	want_int("strptime(ts, \"%Y-%m-%d %H:%M:%S\")", 1700000000);
	want_int("strptime(\"2023-11-14T22:13:20Z\", \"%Y-%m-%dT%H:%M:%S%z\")", 1700000000);
	want_int("strptime(\"2023-11-15T00:13:20+02:00\", \"%Y-%m-%dT%H:%M:%S%z\")", 1700000000);
	want_int("strptime(\"2023-11-14 17:13:20 -0500\", \"%F %T %z\")", 1700000000);
	want_int("strptime(\"14/Nov/2023:22:13:20 UTC\", \"%d/%b/%Y:%H:%M:%S %Z\")", 1700000000);
	want_int("strptime(\"Tuesday, November 14, 2023\", \"%A, %B %d, %Y\")", 1699920000);
	want_int("strptime(\"nov 14 23 10:13:20 pm\", \"%b %d %y %I:%M:%S %p\")", 1700000000);
	want_int("strptime(\"12:00 AM\", \"%I:%M %p\")", 0);
	want_int("strptime(\"2023 318\", \"%Y %j\")", 1699920000);
	want_int("strptime(\"1700000000\", \"%s\")", 1700000000);
	want_dbl("strptime(\"2023-11-14 22:13:20.123\", \"%F %T.%3N\")", 1700000000.123);
	want_dbl("strptime(\"22:13:20.5\", \"%T.%N\")", 80000.5);
	want_int("strptime(\"2024-02-29\", \"%F\")", 1709164800);
	want_int("strptime(\"2023-11-14 trailing\", \"%F\")", 1699920000);
	want_int("strptime(\"  2023-11-14\", \" %F\")", 1699920000);
	want_null("strptime(\"2023-02-29\", \"%F\")");
	want_null("strptime(\"2023-13-01\", \"%F\")");
	want_null("strptime(\"2023-11-14 25:00:00\", \"%F %T\")");
	want_null("strptime(\"2023/11/14\", \"%F\")");
	want_null("strptime(\"2023-11-14 EST\", \"%F %Z\")");
	want_null("strptime(\"x\", \"%Q\" . \"\")");
	want_null("strptime(s, \"%F\")");
	want_null("strptime(nosuchfield, \"%F\")");
}

/* strptime reads back what strftime writes, for times in many eras. */
static void test_time_round_trips(void **st)
{
	(void)st;
	static const char *const times[] = {
		"0", "1700000000", "-14182940", "951782400", "4102444800", "-2208988800",
		"1700000000.25", "1700000000.123", "253402300799", "-62135596800",
	};
	static const char *const fmts[] = {
		"%Y-%m-%d %H:%M:%S", "%FT%T%z", "%d/%b/%Y:%H:%M:%S %Z", "%A %e %B %Y %I:%M:%S %p",
		"%Y %j %T", "%s", "%F %T.%6N", "%F %T.%3N",
	};
	char expr[256];
	for (size_t i = 0; i < sizeof times / sizeof *times; i++) {
		for (size_t k = 0; k < sizeof fmts / sizeof *fmts; k++) {
			int frac = strchr(times[i], '.') != NULL;
			/* The format must keep what the time has. */
			if (frac && strstr(fmts[k], "N") == NULL)
				continue;
			snprintf(expr, sizeof expr, "strptime(strftime(%s, \"%s\"), \"%s\") - %s",
				 times[i], fmts[k], fmts[k], times[i]);
			vg_val v = eval_ok(expr);
			if (v.kind != VG_V_NUM || fabs(v.d) > 1e-6)
				fail_msg("%s\n  -> %s %s", expr, kind_name(v.kind), text_of(&v));
		}
	}
}

static void test_conversions(void **st)
{
	(void)st;
	want_int("tonumber(\"42\")", 42);
	want_int("tonumber(num7)", 7);
	want_dbl("tonumber(\"1e3\")", 1000);
	want_dbl("tonumber(fs)", 2.5);
	want_int("tonumber(n)", 42);
	want_null("tonumber(\"0x1F\")");
	want_null("tonumber(\"abc\")");
	want_null("tonumber(\"\")");
	want_null("tonumber(true())");
	want_int("tonumber(\"1F\", 16)", 31);
	want_int("tonumber(\"0x1f\", 16)", 31);
	want_int("tonumber(\"-ff\", 16)", -255);
	want_int("tonumber(\"101\", 2)", 5);
	want_int("tonumber(\"z\", 36)", 35);
	want_int("tonumber(\"7fffffffffffffff\", 16)", INT64_MAX);
	want_null("tonumber(\"8000000000000000\", 16)");
	want_null("tonumber(\"12\", 2)");
	want_null("tonumber(\"12\", 37)");
	want_null("tonumber(\"12\", 1)");
	want_int("tonumber(10, 16)", 16);
	want_str("tostring(42)", "42");
	want_str("tostring(1.5)", "1.5");
	want_str("tostring(0.1 + 0.2)", "0.3");
	want_str("tostring(s)", "hello");
	want_str("tostring(1 < 2)", "true");
	want_null("tostring(null())");
	want_null("tostring(mv)");
	want_str("tostring(15, \"hex\")", "0xF");
	want_str("tostring(255.9, \"hex\")", "0xFF");
	want_str("tostring(-1, \"hex\")", "-0x1");
	want_str("tostring(\"4096\", \"hex\")", "0x1000");
	want_str("tostring(12345.6789, \"commas\")", "12,345.68");
	want_str("tostring(1234567, \"commas\")", "1,234,567");
	want_str("tostring(-1234, \"commas\")", "-1,234");
	want_str("tostring(123, \"commas\")", "123");
	want_str("tostring(615, \"duration\")", "00:10:15");
	want_str("tostring(90061, \"duration\")", "1+01:01:01");
	want_str("tostring(1.5, \"duration\")", "00:00:01.500000");
	want_str("tostring(-61, \"duration\")", "-00:01:01");
	want_str("tostring(15, \"HEX\")", "0xF");
	want_null("tostring(1, \"bogus\")");
	want_null("tostring(s, \"hex\")");
}

/* ------------------------------------------------------- value helpers */

static void want_cmp(vg_val a, vg_val b, int sign)
{
	int c = vg_val_cmp(&a, &b), r = vg_val_cmp(&b, &a);
	if ((c > 0) - (c < 0) != sign || (r > 0) - (r < 0) != -sign)
		fail_msg("cmp(%s, %s) = %d / %d, want sign %d", text_of(&a), text_of(&b), c, r,
			 sign);
}

static void test_val_text(void **st)
{
	(void)st;
	static const struct {
		vg_val v;
		const char *text;
	} cases[] = {
		{{.kind = VG_V_NUM, .isint = 1, .i = -42, .d = -42}, "-42"},
		{{.kind = VG_V_NUM, .isint = 1, .i = INT64_MIN, .d = -9223372036854775808.0},
		 "-9223372036854775808"},
		{{.kind = VG_V_NUM, .d = 0.1 + 0.2}, "0.3"},
		{{.kind = VG_V_NUM, .d = 2.0}, "2"},
		{{.kind = VG_V_NUM, .d = -0.0}, "0"},
		{{.kind = VG_V_NUM, .d = 1e20}, "1e+20"},
		{{.kind = VG_V_NUM, .d = 123456.789}, "123456.789"},
		{{.kind = VG_V_NUM, .d = 1.0 / 3}, "0.333333333333333"},
		{{.kind = VG_V_NUM, .d = 1e-7}, "1e-07"},
		{{.kind = VG_V_BOOL, .i = 1}, "true"},
		{{.kind = VG_V_BOOL, .i = 0}, "false"},
		{{.kind = VG_V_NULL}, ""},
		{{.kind = VG_V_STR, .s = "a b", .len = 3}, "a b"},
		{{.kind = VG_V_STR, .s = "abc", .len = 2}, "ab"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		assert_string_equal(text_of(&cases[i].v), cases[i].text);
	vg_val inf = vg_v_dbl(INFINITY), ninf = vg_v_dbl(-INFINITY), nan = vg_v_dbl(NAN);
	assert_string_equal(text_of(&inf), "inf");
	assert_string_equal(text_of(&ninf), "-inf");
	assert_string_equal(text_of(&nan), "nan");
	vg_val mv = mv_of(mv_nums, 3);
	assert_string_equal(text_of(&mv), "10\n2\nzz");
	vg_val none = mv_of(mv_nums, 0);
	assert_string_equal(text_of(&none), "");
}

static void test_val_cmp(void **st)
{
	(void)st;
	vg_val null = vg_v_null();
	want_cmp(null, null, 0);
	want_cmp(null, vg_v_int(-5), -1);
	want_cmp(vg_v_int(-5), vg_v_dbl(1.5), -1);
	want_cmp(vg_v_dbl(1.5), vg_v_int(2), -1);
	want_cmp(vg_v_int(2), vg_v_dbl(2.0), 0);
	want_cmp(vg_v_int(1000), str("10"), -1); /* numbers before strings */
	want_cmp(str("10"), str("9"), -1);       /* strings byte-wise */
	want_cmp(str("a"), str("ab"), -1);
	want_cmp(str("B"), str("a"), -1);
	want_cmp(str(""), str("a"), -1);
	want_cmp(str("x"), str("x"), 0);
	want_cmp(null, str(""), -1);
	want_cmp(vg_v_bool(1), vg_v_int(1), 0); /* booleans as numbers */
	want_cmp(vg_v_bool(0), vg_v_dbl(0.5), -1);
	want_cmp(vg_v_bool(1), str("a"), -1);
	want_cmp(vg_v_int(INT64_C(9007199254740993)), vg_v_dbl(9007199254740992.0), 1);
	want_cmp(vg_v_int(INT64_MAX), vg_v_dbl(9223372036854775808.0), -1);
	want_cmp(vg_v_int(INT64_MIN), vg_v_dbl(-9223372036854775808.0), 0);
	want_cmp(vg_v_dbl(-INFINITY), vg_v_int(INT64_MIN), -1);
	want_cmp(vg_v_dbl(NAN), vg_v_dbl(-INFINITY), -1);
	want_cmp(vg_v_dbl(NAN), vg_v_dbl(NAN), 0);
	/* Multivalues by their first value; none is as null. */
	want_cmp(mv_of(mv_abc, 3), str("a"), 0);
	want_cmp(mv_of(mv_abc, 3), str("b"), -1);
	want_cmp(mv_of(mv_nums, 3), mv_of(mv_abc, 3), -1);
	want_cmp(mv_of(mv_nums, 0), null, 0);
	want_cmp(mv_of(mv_nums + 1, 2), vg_v_int(3), -1);
}

static void want_num_int(const char *s, int64_t i)
{
	vg_val v = {0};
	if (!vg_val_parse_num(s, strlen(s), &v) || v.kind != VG_V_NUM || !v.isint || v.i != i ||
	    v.d != (double)i)
		fail_msg("parse_num(\"%s\"): want int %lld, got kind %d isint %d %lld", s,
			 (long long)i, v.kind, v.isint, (long long)v.i);
}

static void want_num_dbl(const char *s, double d)
{
	vg_val v = {0};
	if (!vg_val_parse_num(s, strlen(s), &v) || v.kind != VG_V_NUM || v.isint || v.d != d)
		fail_msg("parse_num(\"%s\"): want double %.17g, got kind %d isint %d %.17g", s, d,
			 v.kind, v.isint, v.d);
}

static void want_not_num(const char *s)
{
	vg_val v = {0};
	if (vg_val_parse_num(s, strlen(s), &v))
		fail_msg("parse_num(\"%s\") should fail, got %s", s, text_of(&v));
}

static void test_parse_num(void **st)
{
	(void)st;
	want_num_int("42", 42);
	want_num_int(" 42 ", 42);
	want_num_int("\t-7\n", -7);
	want_num_int("+5", 5);
	want_num_int("007", 7);
	want_num_int("-0", 0);
	want_num_dbl("1e3", 1000);
	want_num_dbl("1.5", 1.5);
	want_num_dbl(".5", 0.5);
	want_num_dbl("5.", 5);
	want_num_dbl("-2.5E-1", -0.25);
	want_num_int("9223372036854775807", INT64_MAX);
	want_num_int("-9223372036854775808", INT64_MIN);
	want_num_dbl("9223372036854775808", 9223372036854775808.0);
	vg_val v;
	assert_true(vg_val_parse_num("9007199254740993", 16, &v));
	assert_true(v.isint && v.i == INT64_C(9007199254740993));
	assert_true(vg_val_parse_num("12 and more", 2, &v) && v.i == 12);
	want_not_num("");
	want_not_num("   ");
	want_not_num("0x1F");
	want_not_num("1e");
	want_not_num("e3");
	want_not_num(".");
	want_not_num("-");
	want_not_num("1,000");
	want_not_num("1 000");
	want_not_num("10.0.0.1");
	want_not_num("nan");
	want_not_num("inf");
	want_not_num("1e400");
	want_not_num("12abc");
}

/* The evaluator's own depth bound, past what the parser allows. */
static void test_depth_bound(void **st)
{
	(void)st;
	enum { DEPTH = VG_EVAL_MAX_DEPTH + 10 };
	static vg_expr nodes[DEPTH + 1];
	memset(nodes, 0, sizeof nodes);
	for (int k = 0; k < DEPTH; k++) {
		nodes[k].kind = VG_EX_NEG;
		nodes[k].pos = nodes[k].oppos = (uint32_t)k;
		nodes[k].kid = &nodes[k + 1];
	}
	nodes[DEPTH].kind = VG_EX_NUM;
	nodes[DEPTH].lit.flags = VG_QV_NUM | VG_QV_INT;
	nodes[DEPTH].lit.i = 5;
	nodes[DEPTH].lit.d = 5;
	vg_val v;
	vg_err err = {0};
	assert_int_equal(vg_eval(&nodes[0], &row, &ctx, &v, &err), VG_ELIMIT);
	assert_int_equal(err.pos, VG_EVAL_MAX_DEPTH);
	assert_non_null(strstr(err.msg, "nested"));
	assert_int_equal(v.kind, VG_V_NULL);
	/* Just within the bound it evaluates. */
	assert_int_equal(vg_eval(&nodes[DEPTH - VG_EVAL_MAX_DEPTH + 1], &row, &ctx, &v, &err), 0);
	assert_true(v.kind == VG_V_NUM && v.i == -5);
	/* And the parser's deepest expression is well within it. */
	char expr[2048] = "";
	for (int k = 0; k < VG_Q_MAX_DEPTH - 2; k++)
		strcat(expr, "(");
	strcat(expr, "1");
	for (int k = 0; k < VG_Q_MAX_DEPTH - 2; k++)
		strcat(expr, ")");
	want_int(expr, 1);
}

/* Several assignments of one eval, the way the executor runs them. */
static void test_eval_command(void **st)
{
	(void)st;
	const char *q = "| eval kb=round(n*1024/1000, 1), who=coalesce(user, \"-\"), "
			"day=strftime(_time, \"%F\") | where n > 40";
	vg_query *pq = NULL;
	vg_err err = {0};
	assert_int_equal(vg_query_parse(q, strlen(q), NOW, &pq, &err), 0);
	queries[nqueries++] = pq;
	assert_int_equal(pq->cmds[0].eval.n, 3);
	vg_val v;
	assert_int_equal(vg_eval(pq->cmds[0].eval.v[0].e, &row, &ctx, &v, &err), 0);
	assert_string_equal(text_of(&v), "43");
	assert_int_equal(vg_eval(pq->cmds[0].eval.v[1].e, &row, &ctx, &v, &err), 0);
	assert_string_equal(text_of(&v), "-");
	assert_int_equal(vg_eval(pq->cmds[0].eval.v[2].e, &row, &ctx, &v, &err), 0);
	assert_string_equal(text_of(&v), "2023-11-14");
	assert_int_equal(vg_eval(pq->cmds[1].where, &row, &ctx, &v, &err), 0);
	assert_true(vg_val_true(&v));
	/* No row at all: every field is null. */
	assert_int_equal(vg_eval(pq->cmds[1].where, NULL, &ctx, &v, &err), 0);
	assert_false(vg_val_true(&v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_literals_and_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arithmetic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_comparisons, setup, teardown),
		cmocka_unit_test_setup_teardown(test_logic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_where_truth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conditionals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_like, setup, teardown),
		cmocka_unit_test_setup_teardown(test_math, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_regex, setup, teardown),
		cmocka_unit_test_setup_teardown(test_regex_own_context, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multivalue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cidrmatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_time_now_and_relative, setup, teardown),
		cmocka_unit_test_setup_teardown(test_strftime, setup, teardown),
		cmocka_unit_test_setup_teardown(test_strptime, setup, teardown),
		cmocka_unit_test_setup_teardown(test_time_round_trips, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conversions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_val_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_val_cmp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_num, setup, teardown),
		cmocka_unit_test_setup_teardown(test_depth_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eval_command, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
