/*
 * qvalue.h — the values a query pipeline computes with.
 *
 * After the search part selects events, every later stage (where, eval,
 * stats, sort, table ...) sees rows of named values. A value is null, a
 * number, a string, a boolean (the result of a comparison) or a
 * multivalue (values(), split()). Numbers remember whether they are
 * integers, so that counts and ports print without a fraction and integer
 * arithmetic stays exact. Addresses are strings at this level (cidrmatch
 * takes a string, as in Splunk).
 *
 * Ownership: a value borrows its bytes. Strings point into a block's
 * decoded columns, the query text, or the arena of whoever computed them
 * (vg_evalctx.arena for eval): they live as long as that owner.
 */
#ifndef VG_QVALUE_H
#define VG_QVALUE_H

#include <stddef.h>
#include <stdint.h>

#include "query/ast.h"
#include "util/err.h"
#include "util/mem.h"

typedef enum vg_vkind {
	VG_V_NULL = 0,
	VG_V_NUM,   /* d always valid; i too when isint */
	VG_V_STR,   /* s, len (not NUL-terminated) */
	VG_V_BOOL,  /* i: 0 or 1 */
	VG_V_MV,    /* mv[0..nmv): a multivalue of non-MV values */
} vg_vkind;

typedef struct vg_val {
	uint8_t kind;      /* vg_vkind */
	uint8_t isint;     /* NUM: exact int64 in i */
	uint32_t len;      /* STR */
	int64_t i;
	double d;
	const char *s;
	const struct vg_val *mv;
	uint32_t nmv;
} vg_val;

static inline vg_val vg_v_null(void)
{
	vg_val v = {0};
	return v;
}
static inline vg_val vg_v_int(int64_t i)
{
	vg_val v = {0};
	v.kind = VG_V_NUM;
	v.isint = 1;
	v.i = i;
	v.d = (double)i;
	return v;
}
static inline vg_val vg_v_dbl(double d)
{
	vg_val v = {0};
	v.kind = VG_V_NUM;
	v.d = d;
	return v;
}
static inline vg_val vg_v_str(const char *s, size_t len)
{
	vg_val v = {0};
	v.kind = VG_V_STR;
	v.s = s;
	v.len = (uint32_t)len;
	return v;
}
static inline vg_val vg_v_bool(int b)
{
	vg_val v = {0};
	v.kind = VG_V_BOOL;
	v.i = b != 0;
	return v;
}

/* How a row's fields are read: get fills *out with the value of the named
 * field (VG_V_NULL when the row has none) and returns 0, or a negative
 * VG_E* code on a failure to read. */
typedef struct vg_rowget {
	int (*get)(void *ctx, const vg_qname *name, vg_val *out);
	void *ctx;
} vg_rowget;

/* Bounds of one evaluation. A string it builds (concatenation, replace(),
 * strftime() ...) holds at most VG_EVAL_MAX_STR bytes and a multivalue it
 * builds (split()) at most VG_EVAL_MAX_MV values; the tree is at most
 * VG_EVAL_MAX_DEPTH nodes high (the parser's bound is lower). Past any of
 * them vg_eval fails with VG_ELIMIT at the node. */
#define VG_EVAL_MAX_STR (1u << 20)
#define VG_EVAL_MAX_MV 65536u
#define VG_EVAL_MAX_DEPTH 256

/* What an evaluation needs besides the row. */
typedef struct vg_evalctx {
	vg_arena *arena;              /* results' strings and multivalues */
	int64_t now_ns;               /* now(), relative_time() */
	pcre2_match_context *mctx;    /* match(), replace(): vg_qregex_mctx() */
	pcre2_match_data *md;         /* scratch for one match at a time; may be
				       * NULL (the evaluator makes its own) */
} vg_evalctx;

/* Evaluate e over row into *out. Splunk's rules: an operation on null, or
 * one that does not apply (a string times a number, tonumber("x")), gives
 * null, not an error. Errors are only for what should stop the search: a
 * regex that hits its match limit, memory. Returns 0 or a negative VG_E*
 * code with err->pos at the node (e->pos / e->oppos). */
int vg_eval(const vg_expr *e, const vg_rowget *row, vg_evalctx *ctx, vg_val *out, vg_err *err);

/* Truth of a value as `where` sees it: a true boolean, or a non-zero
 * number; null, strings and false are not true. */
int vg_val_true(const vg_val *v);

/* Append the value as text (numbers: integers in decimal, others with up
 * to 15 significant digits, no trailing zeros; booleans true/false; a
 * multivalue as its values joined by a newline; null as nothing). */
void vg_val_text(const vg_val *v, vg_buf *out);

/* Compare two values the way sort and stats order them: null first, then
 * numbers (numerically), then strings (byte-wise); booleans as numbers.
 * Returns <0, 0, >0. */
int vg_val_cmp(const vg_val *a, const vg_val *b);

/* Read a string as a number when all of it is one (leading and trailing
 * spaces allowed): 1 and *out filled, else 0. "0x1F" is not a number;
 * "1e3" is. */
int vg_val_parse_num(const char *s, size_t len, vg_val *out);

#endif
