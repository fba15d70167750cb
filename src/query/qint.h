/*
 * qint.h — what the query parser's files share (not a public interface).
 *
 * The parser is split by language: qlex.c (tokens), qsearch.c (search
 * expressions), qexpr.c (eval expressions), qcmd.c (the commands), qval.c
 * (literal values, times, regexes), qnames.c (tables of names and the
 * "did you mean" suggestions), qinfo.c (facts derived for the executor),
 * qdump.c (the text form) and qparse.c (the entry point). They share one
 * parser state, qp, for one call of vg_query_parse: nothing is global.
 *
 * Every parse function returns 0 or a negative VG_E* code after filling
 * p->err through qp_fail, whose messages end their main clause with
 * "at <pos>" (pos the same offset as err->pos).
 */
#ifndef VG_QINT_H
#define VG_QINT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "query/qlex.h"
#include "query/qparse.h"

typedef struct qp {
	const char *s;          /* the query text (the arena's copy) */
	uint32_t n;
	uint32_t pos;           /* the lexer's cursor */
	int64_t now;
	vg_query *q;
	vg_arena *a;
	vg_err *err;
	int depth;              /* current nesting, <= VG_Q_MAX_DEPTH */
	int nregex;
	pcre2_compile_context *cctx;
} qp;

/* A growable array in the arena (old copies are left behind: a list
 * grows by doubling, so the waste is at most its final size). */
typedef struct qvec {
	void *v;
	uint32_t n, cap;
} qvec;

/* ----- qparse.c: state helpers */
int qp_fail(qp *p, int code, uint32_t pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void *qp_alloc(qp *p, size_t n);
char *qp_dup(qp *p, const char *s, size_t n);
void *qvec_push(qp *p, qvec *v, size_t size);
int qp_enter(qp *p, uint32_t pos);
void qp_leave(qp *p);
int qp_peek(qp *p, ql_mode m, qtok *t);
int qp_peek_at(qp *p, uint32_t pos, ql_mode m, qtok *t);
void qp_take(qp *p, const qtok *t);
/* A short quoted rendering of a token for messages: "'stat'", "'|'",
 * "end of query" (long tokens are cut with "..."). */
const char *qp_desc(const qp *p, const qtok *t, char *buf, size_t size);
int qp_is(const qp *p, const qtok *t, const char *word);      /* exact text */
int qp_is_ci(const qp *p, const qtok *t, const char *word);   /* ASCII case-insensitive */
/* The text of a WORD, IDENT, NUM (as is) or STR, QNAME (unescaped), in the
 * arena. */
void qp_text(qp *p, const qtok *t, const char **s, uint32_t *len);
/* The query offset of byte k of a token's text as qp_text returns it. */
uint32_t qp_srcpos(const qp *p, const qtok *t, uint32_t k);
/* A field name from a token: checks length and (unless allow_wild) `*`,
 * and resolves the special fields. */
int qp_name(qp *p, const qtok *t, int allow_wild, vg_qname *out);
/* The same from text already in the arena (NUL-terminated) at pos. */
int qp_name_text(qp *p, const char *s, uint32_t len, uint32_t pos, int allow_wild,
		 vg_qname *out);
void qp_name_set(vg_qname *nm, const char *s, uint32_t len, uint32_t pos);

/* ----- qval.c: literals */
/* Fill the flags and binary forms of v from its text (v->s, v->len). */
void qv_classify(vg_qval *v);
/* Parse an unsigned count (digits only) no larger than max; -1 if the
 * text is not one. */
int64_t qv_count(const char *s, uint32_t len, uint64_t max);
/* Resolve a time as users write it (timeutil.h) against p->now, refusing
 * offsets that would not fit in int64 ns. what names the place ("earliest")
 * for the message. */
int qv_time(qp *p, const char *s, uint32_t len, uint32_t pos, const char *what, int64_t *ns);
/* Parse `a.b.c.d/n` or `x::/n` into v (VG_QV_CIDR) or fail with a message. */
int qv_cidr(qp *p, vg_qval *v);
/* Fail when v looks like a network but its prefix is too long (a typo
 * that would otherwise silently compare as text). */
int qv_check_cidr(qp *p, vg_qval *v);
/* Compile a regex; t is the token it came from (for error positions);
 * want_names collects named groups (rex). The regex joins q->regexes. */
int qv_regex(qp *p, const qtok *t, const char *pat, uint32_t len, int want_names,
	     vg_qregex **out);

/* ----- qnames.c: names and suggestions */
int qn_command(const char *s, size_t n);                 /* vg_cmdkind or -1 */
int qn_unsupported_command(const char *s, size_t n);     /* 1 if Splunk has it */
int qn_function(const char *s, size_t n, int *min, int *max); /* vg_fn or -1 */
/* Our name for a function other languages name s (length: len), or NULL. */
const char *qn_function_alias(const char *s, size_t n);
/* An aggregation: vg_aggfn or -1; *perc for percentiles; -2 for a
 * percentile whose number is wrong. */
int qn_agg(const char *s, size_t n, double *perc);
/* The closest of names (NULL-terminated) to s within a small edit
 * distance, or NULL. */
const char *qn_suggest(const char *s, size_t n, const char *const *names);
extern const char *const qn_command_names[];
extern const char *const qn_function_names[];
extern const char *const qn_agg_names[];
extern const char *const qn_wday_names[];
/* Append "; did you mean 'x'?" to a message buffer when there is a close
 * name. */
void qn_hint(char *buf, size_t size, const char *s, size_t n, const char *const *names);

/* ----- qsearch.c, qexpr.c, qcmd.c */
/* A search expression up to `|` or the end. top: the search part, where
 * earliest= / latest= are allowed (they come back as VG_SN__TIME nodes for
 * qparse.c to take out). *out is NULL for an empty expression. */
int qs_parse(qp *p, int top, vg_snode **out);
/* An eval expression up to `|`, the end, or (when stop_comma) a `,` at
 * the outer level. */
int qe_parse(qp *p, int stop_comma, vg_expr **out);
/* One command, the cursor after the `|` at pipe. */
int qc_parse(qp *p, uint32_t pipe, vg_qcmd *out);

/* A time bound inside a search tree while parsing, never in a returned
 * tree: op is VG_SOP_GE (earliest) or VG_SOP_LT (latest), term.i the ns. */
#define VG_SN__TIME 100

/* ----- qinfo.c */
void qi_derive(qp *p);

#endif
