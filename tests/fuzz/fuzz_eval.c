/*
 * fuzz_eval.c — libFuzzer harness for the evaluator of where and eval
 * (also built as a corpus replay binary with replay.c).
 *
 * The input is parsed as `| eval x=<input>` and as `| where <input>`; when
 * a query parses, every expression of its eval and where commands is
 * evaluated over a fixed row. Invariants, for any bytes:
 *  - evaluation never crashes, leaks or trips the sanitizers, and ends
 *    (regexes, like() and result sizes are bounded);
 *  - a failure returns a negative code equal to err.code, leaves a null
 *    value, and has a printable, non-empty message that names its
 *    position ("... at <pos>"), which lies inside the query;
 *  - a success gives a well-formed value: a known kind, a string within
 *    VG_EVAL_MAX_STR bytes, a multivalue of at most VG_EVAL_MAX_MV single
 *    values; a boolean is 0 or 1, an integer's double agrees with it;
 *  - evaluating again gives the same value (same text, equal in order);
 *  - vg_val_cmp is reflexive and antisymmetric against a few fixed values,
 *    and vg_val_true and vg_val_text take any value.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "query/qparse.h"
#include "query/qvalue.h"

#define NOW (INT64_C(1700000000) * VG_NS_PER_SEC)
#define LONG_LEN 4096

static char long_text[LONG_LEN];
static vg_val mv_vals[4];

static vg_val str(const char *s)
{
	return vg_v_str(s, strlen(s));
}

/* A fixed row: fields of every kind, a long one, a multivalue, and one
 * that cannot be read. */
static int row_get(void *ctx, const vg_qname *name, vg_val *out)
{
	(void)ctx;
	static const struct {
		const char *name, *text;
	} strs[] = {
		{"s", "hello"}, {"S", "Hello World"}, {"empty", ""}, {"fs", "2.5"},
		{"ip", "10.1.2.3"}, {"ip6", "2001:db8::1"}, {"u", "h\xc3\xa9llo w\xc3\xb6rld"},
		{"ts", "2023-11-14 22:13:20"}, {"bad", "\xff\xfe" "ab"}, {"csv", "a,b,,c"},
		{"url", "a%20b+c%zz"}, {"pat", "^h(.)l"}, {"net", "10.0.0.0/8"},
		{"status", "404"}, {"spec", "-1d@d"}, {"fmt", "%F %T.%3N %z"},
	};
	*out = vg_v_null();
	for (size_t k = 0; k < sizeof strs / sizeof *strs; k++)
		if (strcmp(name->s, strs[k].name) == 0)
			*out = str(strs[k].text);
	if (strcmp(name->s, "n") == 0)
		*out = vg_v_int(42);
	else if (strcmp(name->s, "imin") == 0)
		*out = vg_v_int(INT64_MIN);
	else if (strcmp(name->s, "imax") == 0)
		*out = vg_v_int(INT64_MAX);
	else if (strcmp(name->s, "f") == 0)
		*out = vg_v_dbl(-1.5);
	else if (strcmp(name->s, "_time") == 0)
		*out = vg_v_dbl(1700000000.25);
	else if (strcmp(name->s, "yes") == 0)
		*out = vg_v_bool(1);
	else if (strcmp(name->s, "long") == 0)
		*out = vg_v_str(long_text, LONG_LEN);
	else if (strcmp(name->s, "mv") == 0) {
		vg_val m = {0};
		m.kind = VG_V_MV;
		m.mv = mv_vals;
		m.nmv = 4;
		*out = m;
	} else if (strcmp(name->s, "fail") == 0) {
		return VG_EIO;
	}
	return 0;
}

static void init_row(void)
{
	static int done;
	if (done)
		return;
	for (size_t i = 0; i < LONG_LEN; i++)
		long_text[i] = (char)('a' + i % 3);
	mv_vals[0] = str("b");
	mv_vals[1] = vg_v_int(7);
	mv_vals[2] = str("10.9.8.7");
	mv_vals[3] = vg_v_dbl(0.5);
	done = 1;
}

static void check_single(const vg_val *v)
{
	CHECK(v->kind <= VG_V_BOOL);
	if (v->kind == VG_V_STR) {
		CHECK(v->len <= VG_EVAL_MAX_STR);
		CHECK(v->len == 0 || v->s != NULL);
	} else if (v->kind == VG_V_BOOL) {
		CHECK(v->i == 0 || v->i == 1);
	} else if (v->kind == VG_V_NUM && v->isint) {
		CHECK(v->d == (double)v->i);
	}
}

static void check_value(const vg_val *v)
{
	if (v->kind == VG_V_MV) {
		CHECK(v->nmv <= VG_EVAL_MAX_MV);
		CHECK(v->nmv == 0 || v->mv != NULL);
		for (uint32_t k = 0; k < v->nmv; k++)
			check_single(&v->mv[k]);
	} else {
		check_single(v);
	}
	static const vg_val fixed[] = {
		{.kind = VG_V_NULL},
		{.kind = VG_V_NUM, .isint = 1, .i = 3, .d = 3},
		{.kind = VG_V_NUM, .d = -0.5},
		{.kind = VG_V_STR, .s = "m", .len = 1},
		{.kind = VG_V_BOOL, .i = 1},
	};
	CHECK(vg_val_cmp(v, v) == 0);
	for (size_t k = 0; k < sizeof fixed / sizeof *fixed; k++) {
		int a = vg_val_cmp(v, &fixed[k]), b = vg_val_cmp(&fixed[k], v);
		CHECK((a > 0) - (a < 0) == -((b > 0) - (b < 0)));
	}
	(void)vg_val_true(v);
}

static void check_error(const vg_err *err, int rc, size_t qlen)
{
	CHECK(rc == err->code);
	CHECK(rc == VG_EINVAL || rc == VG_ELIMIT || rc == VG_ENOMEM || rc == VG_EIO);
	CHECK(err->msg[0] != 0);
	CHECK(err->pos >= 0 && err->pos < (int64_t)qlen);
	char at[32];
	snprintf(at, sizeof at, "at %lld", (long long)err->pos);
	CHECK(strstr(err->msg, at) != NULL);
	for (const char *m = err->msg; *m; m++)
		CHECK((unsigned char)*m >= 0x20);
}

static void eval_one(const vg_expr *e, vg_evalctx *ctx, size_t qlen)
{
	static const vg_rowget row = {row_get, NULL};
	vg_val v, w;
	vg_err err = {0}, err2 = {0};
	int rc = vg_eval(e, &row, ctx, &v, &err);
	int rc2 = vg_eval(e, &row, ctx, &w, &err2);
	CHECK(rc == rc2);
	if (rc < 0) {
		CHECK(v.kind == VG_V_NULL);
		check_error(&err, rc, qlen);
		CHECK(err.pos == err2.pos && strcmp(err.msg, err2.msg) == 0);
		return;
	}
	check_value(&v);
	vg_buf a = {0}, b = {0};
	vg_val_text(&v, &a);
	vg_val_text(&w, &b);
	CHECK(a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0));
	CHECK(vg_val_cmp(&v, &w) == 0 && v.kind == w.kind);
	vg_buf_free(&a);
	vg_buf_free(&b);
}

/* Parse prefix + data; evaluate every eval and where expression. */
static void run(const char *prefix, const uint8_t *data, size_t size, vg_evalctx *ctx)
{
	size_t plen = strlen(prefix), qlen = plen + size;
	char *q = malloc(qlen);
	CHECK(q != NULL);
	memcpy(q, prefix, plen);
	if (size)
		memcpy(q + plen, data, size);
	vg_query *pq = NULL;
	vg_err err = {0};
	if (vg_query_parse(q, qlen, NOW, &pq, &err) == 0) {
		for (uint32_t i = 0; i < pq->ncmds; i++) {
			const vg_qcmd *c = &pq->cmds[i];
			if (c->kind == VG_CMD_WHERE)
				eval_one(c->where, ctx, qlen);
			else if (c->kind == VG_CMD_EVAL)
				for (uint32_t k = 0; k < c->eval.n; k++)
					eval_one(c->eval.v[k].e, ctx, qlen);
		}
		vg_arena_reset(ctx->arena);
	}
	vg_query_free(pq);
	free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init_row();
	vg_arena arena = {0};
	vg_evalctx ctx = {.arena = &arena, .now_ns = NOW};
	/* Half the inputs bring their own match context and data, half let
	 * the evaluator make them. */
	if (size % 2) {
		ctx.mctx = vg_qregex_mctx();
		ctx.md = pcre2_match_data_create(1, NULL);
		CHECK(ctx.mctx != NULL && ctx.md != NULL);
	}
	run("| eval x=", data, size, &ctx);
	run("| where ", data, size, &ctx);
	if (ctx.mctx)
		pcre2_match_context_free(ctx.mctx);
	if (ctx.md)
		pcre2_match_data_free(ctx.md);
	vg_arena_free(&arena);
	return 0;
}
