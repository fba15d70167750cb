/*
 * qevint.h — what the evaluator's files share (not a public interface).
 *
 * The evaluator of where and eval expressions (qvalue.h) is split by
 * subject: qvalue.c (the value helpers of qvalue.h: text, order, truth,
 * numbers read from text), qeval.c (the tree walk, operators, conditions
 * and arithmetic functions), qevstr.c (text, regex, multivalue and
 * conversion functions) and qevtime.c (now, relative_time, strftime,
 * strptime). One evaluation's state is a `qev`; nothing is global, so
 * any number of threads may evaluate at once, each with its own
 * vg_evalctx (arena, match data, match context).
 *
 * Every function returns 0 with *out set (VG_V_NULL when the operation
 * does not apply) or a negative VG_E* code after filling x->err with the
 * position of the node (qev_fail).
 */
#ifndef VG_QEVINT_H
#define VG_QEVINT_H

#include <stddef.h>
#include <stdint.h>

#include "query/qvalue.h"

typedef struct qev {
	const vg_rowget *row;
	vg_evalctx *ctx;
	vg_err *err;
	int depth;
} qev;

/* A function of eval: e is the call node (its arguments unevaluated, so
 * if, case and coalesce evaluate only what they need). */
typedef int (*qev_fn)(qev *x, const vg_expr *e, vg_val *out);

/* ----- qeval.c */
/* Evaluate a sub-expression (counts toward VG_EVAL_MAX_DEPTH). */
int qev_expr(qev *x, const vg_expr *e, vg_val *out);
/* Evaluate every argument of a call with at most max arguments into v. */
int qev_args(qev *x, const vg_expr *e, vg_val *v, uint32_t max);
/* Fill x->err: code at pos, a message that names pos ("... at <pos>"). */
int qev_fail(qev *x, int code, uint32_t pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Room for a result string of n bytes of node e in the arena (n + 1
 * bytes, NUL-terminated at n): 0 and *out set, or VG_ELIMIT (with the
 * error filled) when n exceeds VG_EVAL_MAX_STR. */
int qev_strbuf(qev *x, const vg_expr *e, size_t n, char **out);
/* The result string of node e: a copy of s[0..n) in the arena (errors as
 * qev_strbuf). */
int qev_strval(qev *x, const vg_expr *e, const void *s, size_t n, vg_val *out);
/* A comparison operator of eval (VG_BOP_EQ .. VG_BOP_GE) between two
 * values: 1 holds, 0 does not, -1 null. A multivalue against a single
 * value holds when one of its values does (!= when none is equal); two
 * multivalues compare by their first values. */
int qev_cmp_op(int op, const vg_val *a, const vg_val *b);

/* ----- qvalue.c */
/* Two single values as eval compares them (numbers numerically, a number
 * against a string that reads as one numerically, anything else by its
 * text byte-wise): <0, 0, >0, or QEV_CMP_NULL when either is null. */
#define QEV_CMP_NULL (-2)
int qev_compare(const vg_val *a, const vg_val *b);
/* The number a value reads as for arithmetic: a number, or a string that
 * is one (vg_val_parse_num); 1 and *out set, else 0 (null, booleans,
 * other strings, multivalues). */
int qev_num(const vg_val *v, vg_val *out);
/* The text of a single value for string functions: a string as it is, a
 * number or boolean written into tmp (at least QEV_TMP bytes). 1 and *s,
 * *n set, else 0 (null, multivalue). */
#define QEV_TMP 40
int qev_text(const vg_val *v, char *tmp, const char **s, size_t *n);
/* The text of a number (vg_val_text's form) into buf (>= QEV_TMP bytes);
 * returns its length. */
size_t qev_numtext(const vg_val *v, char *buf);
/* A double as a value: an integer-valued one stays a double (it prints
 * without a fraction anyway); NaN, the result of an operation outside its
 * domain, is null. */
vg_val qev_dbl(double d);
/* A double as an int64 value when it is integral and in range, else as
 * qev_dbl. */
vg_val qev_dbl_int(double d);
/* Bytes of the UTF-8 character at s[0..n) (n > 0): 1 for a byte that does
 * not start a valid sequence, so that any bytes count. */
size_t qev_utf8_len(const char *s, size_t n);
/* Characters (as qev_utf8_len steps) in s[0..n). */
size_t qev_utf8_count(const char *s, size_t n);

/* ----- the functions, by file; indexed by vg_fn in qeval.c */
int qev_fn_len(qev *x, const vg_expr *e, vg_val *out);
int qev_fn_lower(qev *x, const vg_expr *e, vg_val *out);
int qev_fn_upper(qev *x, const vg_expr *e, vg_val *out);
int qev_fn_trim(qev *x, const vg_expr *e, vg_val *out);
int qev_fn_ltrim(qev *x, const vg_expr *e, vg_val *out);
int qev_fn_rtrim(qev *x, const vg_expr *e, vg_val *out);
int qev_fn_substr(qev *x, const vg_expr *e, vg_val *out);
int qev_fn_urldecode(qev *x, const vg_expr *e, vg_val *out);
int qev_fn_like(qev *x, const vg_expr *e, vg_val *out);
int qev_fn_match(qev *x, const vg_expr *e, vg_val *out);
int qev_fn_replace(qev *x, const vg_expr *e, vg_val *out);
int qev_fn_split(qev *x, const vg_expr *e, vg_val *out);
int qev_fn_mvcount(qev *x, const vg_expr *e, vg_val *out);
int qev_fn_mvindex(qev *x, const vg_expr *e, vg_val *out);
int qev_fn_cidrmatch(qev *x, const vg_expr *e, vg_val *out);
int qev_fn_tonumber(qev *x, const vg_expr *e, vg_val *out);
int qev_fn_tostring(qev *x, const vg_expr *e, vg_val *out);

int qev_fn_now(qev *x, const vg_expr *e, vg_val *out);
int qev_fn_relative_time(qev *x, const vg_expr *e, vg_val *out);
int qev_fn_strftime(qev *x, const vg_expr *e, vg_val *out);
int qev_fn_strptime(qev *x, const vg_expr *e, vg_val *out);

#endif
