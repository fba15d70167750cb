/*
 * cw_int.h — what the CloudWatch filter pattern modules share.
 *
 *   cw.c        compile and match entry points, the pattern's memory,
 *               values (quoted, unquoted, numbers, wildcards), regexes,
 *               comparisons and the required literals
 *   cw_terms.c  unstructured patterns: terms, "phrases", ?any, -not, %regex%
 *   cw_delim.c  space-delimited patterns [a, b=1, ..., c]
 *   cw_json.c   JSON patterns { $.a.b[0] = "x" && ... }
 *
 * Everything a compiled pattern holds lives in its arena, except the PCRE2
 * objects, which vg_cw_free releases one by one. A parser fills the pattern
 * through a cw_ps cursor and reports the first error it meets. What it
 * keeps goes to the arena (or p->re); the few heap arrays it collects
 * operands in are freed before it returns, so an error needs no cleanup
 * beyond freeing the half-built pattern.
 */
#ifndef VG_QUERY_CW_INT_H
#define VG_QUERY_CW_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "query/cw.h"
#include "util/err.h"
#include "util/mem.h"

#define CW_MAX_REGEX 2     /* per delimited or JSON pattern: AWS's quota */
#define CW_MAX_WILD_SEL 1  /* wildcards in one JSON selector: AWS's quota */
#define CW_MAX_WILD 3      /* wildcards in one JSON pattern: AWS's quota */
#define CW_MAX_STEPS 64    /* steps of one JSON selector */

/* Comparison operators, and the JSON tests that take no value. */
enum cw_op {
	CW_EQ, CW_NE, CW_LT, CW_LE, CW_GT, CW_GE,
	CW_IS_NULL, CW_IS_TRUE, CW_IS_FALSE, CW_NOT_EXISTS,
};

/* What a value in a pattern is. */
enum cw_vkind {
	CW_V_STR,   /* text, maybe with a leading and/or trailing wildcard */
	CW_V_NUM,   /* an unquoted number */
	CW_V_RE,    /* a %regex% */
};

/* Where a text value's wildcards are: `s`, `s*`, `*s`, `*s*`, `*`. */
enum cw_wild { CW_W_EXACT, CW_W_STARTS, CW_W_ENDS, CW_W_CONTAINS, CW_W_ANY };

typedef struct cw_value {
	uint8_t kind;        /* enum cw_vkind */
	uint8_t wild;        /* enum cw_wild, for CW_V_STR */
	const char *s;       /* CW_V_STR: the text without its wildcards */
	size_t len;
	double num;          /* CW_V_NUM */
	int re;              /* CW_V_RE: index in vg_cw.re */
} cw_value;

/* One step of a JSON selector. */
enum cw_step_kind { CW_S_KEY, CW_S_INDEX, CW_S_ANY_KEY, CW_S_ANY_INDEX };

typedef struct cw_step {
	uint8_t kind;        /* enum cw_step_kind */
	const char *key;     /* CW_S_KEY, NUL-terminated */
	size_t keylen;
	size_t index;        /* CW_S_INDEX */
} cw_step;

/* A condition tree: n-ary AND / OR nodes over conditions. */
enum cw_ntype { CW_N_AND, CW_N_OR, CW_N_COND };

typedef struct cw_node {
	uint8_t type;        /* enum cw_ntype */
	uint8_t op;          /* CW_N_COND: enum cw_op */
	size_t nkids;
	struct cw_node **kids;
	cw_value v;          /* CW_N_COND with a comparison operator */
	const cw_step *steps; /* CW_N_COND of a JSON pattern */
	size_t nsteps;
} cw_node;

/* A term of an unstructured pattern. */
enum cw_term_mode { CW_T_PLAIN, CW_T_OPTIONAL, CW_T_EXCLUDED };

typedef struct cw_term {
	const char *s;
	size_t len;
	uint8_t mode;        /* enum cw_term_mode */
} cw_term;

/* A field of a space-delimited pattern. */
typedef struct cw_field {
	uint8_t ellipsis;    /* `...`: any number of fields */
	const char *name;    /* NULL when unnamed */
	cw_node *cond;       /* NULL when the field has no condition */
} cw_field;

struct vg_cw {
	int kind;            /* enum vg_cw_kind */
	int all;             /* matches every message */
	vg_arena arena;

	/* VG_CW_TERMS */
	cw_term *terms;
	size_t nterms;
	size_t nplain, noptional, nexcluded;
	int regex;           /* index in re of a %regex% pattern, or -1 */

	/* VG_CW_DELIMITED */
	cw_field *fields;
	size_t nfields;
	int ellipsis;        /* at least one field is `...` */

	/* VG_CW_JSON */
	cw_node *root;
	int nwild;           /* wildcard selectors so far (parsing) */

	pcre2_code *re[CW_MAX_REGEX];
	int nre;
	pcre2_match_context *mctx;

	vg_cw_lit *lits;
	size_t nlits;
};

/* A parser's cursor over the pattern. */
typedef struct cw_ps {
	const char *s;
	size_t n, pos;
	vg_cw *p;
	vg_err *err;
} cw_ps;

/* ---------- cw.c: shared by the parsers and matchers ---------- */

/* Fill ps->err with VG_EINVAL at byte pos; returns VG_EINVAL. */
int vg_cw_perr(cw_ps *ps, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* 1 for the blanks that separate tokens of a pattern. */
static inline int cw_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Advance ps->pos past blanks. */
static inline void cw_skip_blanks(cw_ps *ps)
{
	while (ps->pos < ps->n && cw_blank(ps->s[ps->pos]))
		ps->pos++;
}

/* 1 if the pattern continues with the string lit at ps->pos. */
static inline int cw_at(const cw_ps *ps, const char *lit)
{
	size_t k = strlen(lit);
	return ps->n - ps->pos >= k && memcmp(ps->s + ps->pos, lit, k) == 0;
}

static inline int cw_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* A byte described for a message: 'c' when printable ASCII, else its code
 * ("byte 0xc3"), so messages stay readable text. Use as vg_cw_show(c).s
 * inside the call that prints it. */
typedef struct cw_chr {
	char s[16];
} cw_chr;
cw_chr vg_cw_show(char c);

/* A growable array of nodes on the heap, for parsers collecting the
 * operands of && and ||; freed by the parser once joined. */
typedef struct cw_vec {
	cw_node **v;
	size_t n, cap;
} cw_vec;

static inline void cw_vec_push(cw_vec *a, cw_node *nd)
{
	vg_grow(&a->v, &a->cap, a->n + 1, sizeof *a->v);
	a->v[a->n++] = nd;
}

static inline void cw_vec_free(cw_vec *a)
{
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}

/* Parse a comparison operator at ps->pos into *op; 0 or VG_EINVAL, whose
 * message says it was expected after `what` ("the selector"). */
int vg_cw_parse_op(cw_ps *ps, uint8_t *op, const char *what);

/* Parse the value after operator op at ps->pos: "quoted", %regex% or an
 * unquoted word (a number, or text with wildcards). Ordering operators
 * require a number. 0 or VG_EINVAL. */
int vg_cw_parse_value(cw_ps *ps, uint8_t op, cw_value *v);

/* Parse a double-quoted string at ps->pos into arena text. *lead / *trail
 * (if not NULL) tell whether it starts / ends with an unescaped '*'.
 * 0 or VG_EINVAL. */
int vg_cw_parse_quoted(cw_ps *ps, const char **s, size_t *len, int *lead, int *trail);

/* Compile the regex between the '%' at ps->pos and the next '%' into
 * p->re, leaving ps->pos after the closing '%'. *idx gets its index.
 * 0 or VG_EINVAL. */
int vg_cw_parse_regex(cw_ps *ps, int *idx);

/* 1 if the n bytes at s are a number as AWS writes them: an optional sign,
 * digits with an optional fraction, an optional exponent; *d its value. */
int vg_cw_number(const char *s, size_t n, double *d);

/* 1 if regex re of p finds a match in the n bytes at s. */
int vg_cw_re_search(const vg_cw *p, int re, const char *s, size_t n);

/* Evaluate `value op v` for a value of the message: text (s, n) and, when
 * it is a JSON number, num (has_num 1). Only comparison operators. */
int vg_cw_compare(const vg_cw *p, uint8_t op, const cw_value *v, const char *s, size_t n,
		  int has_num, double num);

/* Allocate an AND / OR node over kids[0..n) from p's arena (n >= 2 gives a
 * new node, n == 1 returns kids[0]); kids of the same type are spliced in,
 * so trees stay flat. */
cw_node *vg_cw_join(vg_cw *p, uint8_t type, cw_node **kids, size_t n);

/* ---------- the three kinds ---------- */

int vg_cw_parse_terms(cw_ps *ps);
int vg_cw_match_terms(const vg_cw *p, const char *msg, size_t len);

int vg_cw_parse_delim(cw_ps *ps);
int vg_cw_match_delim(const vg_cw *p, const char *msg, size_t len);
/* Evaluate a condition tree of a delimited field on its text. */
int vg_cw_eval_text(const vg_cw *p, const cw_node *nd, const char *s, size_t n);

int vg_cw_parse_json(cw_ps *ps);
int vg_cw_match_json(const vg_cw *p, const char *msg, size_t len);

#endif
