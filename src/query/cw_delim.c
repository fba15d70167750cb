/*
 * cw_delim.c — space-delimited filter patterns:
 *
 *   [ip, user, username, timestamp, request = *html*, status_code = 4*, bytes]
 *   [..., status_code = 404 || status_code = 410, bytes > 1000]
 *   [version, account, eni, source, destination, srcport, destport="22", ...]
 *
 * The pattern names the message's fields in order; `...` stands for any
 * number of fields (none included), and without one the message must have
 * exactly as many fields as the pattern. A field may carry conditions on
 * itself joined with && and || (&& binds tighter), each naming the field:
 * AWS rejects `status_code = 4* && bytes > 1000` ("Invalid filter
 * pattern", awsdocs/amazon-cloudwatch-logs-user-guide#21), and so do we.
 * An empty entry (`[a,,b]`, or a trailing comma as in AWS's old example
 * `[..., request=*.html*, status_code=4*,]`) is an unnamed field.
 *
 * The message splits on runs of spaces and tabs. A field that starts with
 * '"' or '[' runs to the matching '"' or ']' that is followed by a blank or
 * the end, and its value is what lies between ("GET /x HTTP/1.0" gives
 * GET /x HTTP/1.0, as in AWS's extracted-fields example); with no such
 * closing byte it is an ordinary field. Once a search for a closing byte
 * has failed, later ones would fail too, so splitting stays linear.
 */
#include "query/cw_int.h"

#include <stdlib.h>
#include <string.h>

static int cw_name_char(char c)
{
	return cw_alnum(c) || c == '_' || c == '-';
}

/* Length of the field name at ps->pos (0 if none); ps->pos moves past it. */
static size_t cw_name(cw_ps *ps)
{
	size_t at = ps->pos;
	while (ps->pos < ps->n && cw_name_char(ps->s[ps->pos]))
		ps->pos++;
	return ps->pos - at;
}

/* One condition `name op value`; the name is already read when named. */
static int cw_parse_fcond(cw_ps *ps, const char *field, int named, cw_node **out)
{
	if (!named) {
		cw_skip_blanks(ps);
		size_t at = ps->pos, k = cw_name(ps);
		if (k == 0)
			return vg_cw_perr(ps, at, "expected the field name '%s' after '&&' or '||' at "
					  "%zu", field, at);
		if (k != strlen(field) || memcmp(ps->s + at, field, k) != 0)
			return vg_cw_perr(ps, at, "the condition at %zu names '%.*s' but belongs to the "
					  "field '%s': a field's conditions must all name it", at,
					  (int)k, ps->s + at, field);
	}
	cw_skip_blanks(ps);
	cw_node *nd = vg_arena_alloc(&ps->p->arena, sizeof *nd);
	memset(nd, 0, sizeof *nd);
	nd->type = CW_N_COND;
	int rc = vg_cw_parse_op(ps, &nd->op, "the field name");
	if (rc)
		return rc;
	cw_skip_blanks(ps);
	*out = nd;
	return vg_cw_parse_value(ps, nd->op, &nd->v);
}

/* The conditions of a field: an OR of ANDs. */
static int cw_parse_fconds(cw_ps *ps, const char *field, cw_node **out)
{
	cw_vec ors = {0}, ands = {0};
	cw_node *nd;
	int rc = cw_parse_fcond(ps, field, 1, &nd);
	if (rc == 0)
		cw_vec_push(&ands, nd);
	while (rc == 0) {
		cw_skip_blanks(ps);
		int is_or = cw_at(ps, "||");
		if (!is_or && !cw_at(ps, "&&"))
			break;
		ps->pos += 2;
		if (is_or) {
			cw_vec_push(&ors, vg_cw_join(ps->p, CW_N_AND, ands.v, ands.n));
			ands.n = 0;
		}
		rc = cw_parse_fcond(ps, field, 0, &nd);
		if (rc == 0)
			cw_vec_push(&ands, nd);
	}
	if (rc == 0) {
		cw_vec_push(&ors, vg_cw_join(ps->p, CW_N_AND, ands.v, ands.n));
		*out = vg_cw_join(ps->p, CW_N_OR, ors.v, ors.n);
	}
	cw_vec_free(&ors);
	cw_vec_free(&ands);
	return rc;
}

/* One entry between '[' or ',' and the next ',' or ']'. */
static int cw_parse_entry(cw_ps *ps, cw_field *f)
{
	memset(f, 0, sizeof *f);
	cw_skip_blanks(ps);
	if (cw_at(ps, "...")) {
		f->ellipsis = 1;
		ps->pos += 3;
		return 0;
	}
	if (ps->pos < ps->n && (ps->s[ps->pos] == ',' || ps->s[ps->pos] == ']'))
		return 0;
	size_t at = ps->pos, k = cw_name(ps);
	if (k == 0 && at >= ps->n)
		return 0; /* the caller reports the missing ']' */
	if (k == 0)
		return vg_cw_perr(ps, at, "expected a field name, '...', ',' or ']' at %zu, found %s",
				  at, vg_cw_show(ps->s[at]).s);
	f->name = vg_arena_dup(&ps->p->arena, ps->s + at, k);
	cw_skip_blanks(ps);
	if (ps->pos >= ps->n || ps->s[ps->pos] == ',' || ps->s[ps->pos] == ']')
		return 0;
	if (strchr("=!<>", ps->s[ps->pos]) != NULL)
		return cw_parse_fconds(ps, f->name, &f->cond);
	return vg_cw_perr(ps, ps->pos, "expected ',', ']' or an operator after the field '%s' at "
			  "%zu, found %s", f->name, ps->pos, vg_cw_show(ps->s[ps->pos]).s);
}

/* Reject a name used twice: its conditions would be ambiguous. */
static int cw_check_names(cw_ps *ps, const cw_field *f, size_t n, const size_t *at)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; f[i].name && j < i; j++)
			if (f[j].name && strcmp(f[i].name, f[j].name) == 0)
				return vg_cw_perr(ps, at[i], "the field name '%s' at %zu is used twice",
						  f[i].name, at[i]);
	return 0;
}

/* Parse the entries up to and including the closing ']' into heap arrays. */
static int cw_parse_entries(cw_ps *ps, size_t open, cw_field **fv, size_t **atv, size_t *nf)
{
	size_t cap = 0, cap2 = 0;
	for (;;) {
		vg_grow(fv, &cap, *nf + 1, sizeof **fv);
		vg_grow(atv, &cap2, *nf + 1, sizeof **atv);
		cw_skip_blanks(ps);
		(*atv)[*nf] = ps->pos;
		int rc = cw_parse_entry(ps, &(*fv)[*nf]);
		if (rc)
			return rc;
		(*nf)++;
		cw_skip_blanks(ps);
		if (ps->pos >= ps->n)
			return vg_cw_perr(ps, open, "unbalanced '[' at %zu: the space-delimited pattern "
					  "has no closing ']'", open);
		char c = ps->s[ps->pos++];
		if (c == ']')
			return 0;
		if (c != ',')
			return vg_cw_perr(ps, ps->pos - 1, "expected ',' or ']' at %zu, found %s",
					  ps->pos - 1, vg_cw_show(c).s);
	}
}

/* Copy the parsed fields into p and check what needs all of them. */
static int cw_finish_fields(cw_ps *ps, size_t open, const cw_field *f, const size_t *at, size_t n)
{
	vg_cw *p = ps->p;
	if (n == 1 && !f[0].ellipsis && f[0].name == NULL)
		return vg_cw_perr(ps, open, "the space-delimited pattern at %zu has no fields", open);
	int rc = cw_check_names(ps, f, n, at);
	if (rc)
		return rc;
	p->fields = vg_arena_alloc(&p->arena, n * sizeof *p->fields);
	memcpy(p->fields, f, n * sizeof *f);
	p->nfields = n;
	size_t nell = 0;
	for (size_t i = 0; i < n; i++)
		nell += f[i].ellipsis;
	p->ellipsis = nell > 0;
	p->all = nell == n; /* [...] matches any message */
	cw_skip_blanks(ps);
	if (ps->pos < ps->n)
		return vg_cw_perr(ps, ps->pos, "unexpected %s at %zu after the closing ']'",
				  vg_cw_show(ps->s[ps->pos]).s, ps->pos);
	return 0;
}

int vg_cw_parse_delim(cw_ps *ps)
{
	size_t open = ps->pos++;
	cw_field *f = NULL;
	size_t *at = NULL, n = 0;
	int rc = cw_parse_entries(ps, open, &f, &at, &n);
	if (rc == 0)
		rc = cw_finish_fields(ps, open, f, at, n);
	free(f);
	free(at);
	return rc;
}

/* ---------- matching ---------- */

typedef struct cw_tok {
	const char *s;
	size_t len;
} cw_tok;

/* The fields of a message: a small inline table, on the heap past it. */
typedef struct cw_toks {
	cw_tok small[64];
	cw_tok *v;
	size_t n, cap, limit;
	int over;            /* the message has more than limit fields */
} cw_toks;

static void cw_toks_push(cw_toks *t, const char *s, size_t len)
{
	if (t->n == t->limit) {
		t->over = 1;
		return;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap * 2;
		cw_tok *v = vg_xmalloc(cap * sizeof *v);
		memcpy(v, t->v, t->n * sizeof *v);
		if (t->v != t->small)
			free(t->v);
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = (cw_tok){s, len};
}

static int cw_sep(char c)
{
	return c == ' ' || c == '\t';
}

/* The closing byte of a group opened at m[i]: the first `close` after it
 * that a blank or the end follows; len if there is none. */
static size_t cw_group_end(const char *m, size_t len, size_t i, char close)
{
	for (size_t j = i + 1; j < len; j++) {
		const char *q = memchr(m + j, close, len - j);
		if (q == NULL)
			return len;
		j = (size_t)(q - m);
		if (j + 1 == len || cw_sep(m[j + 1]))
			return j;
	}
	return len;
}

static void cw_split(const char *m, size_t len, cw_toks *t)
{
	int no_quote = 0, no_bracket = 0; /* a search already failed */
	size_t i = 0;
	while (i < len && !t->over) {
		while (i < len && cw_sep(m[i]))
			i++;
		if (i >= len)
			break;
		char c = m[i];
		if ((c == '"' && !no_quote) || (c == '[' && !no_bracket)) {
			size_t j = cw_group_end(m, len, i, c == '"' ? '"' : ']');
			if (j < len) {
				cw_toks_push(t, m + i + 1, j - i - 1);
				i = j + 1;
				continue;
			}
			*(c == '"' ? &no_quote : &no_bracket) = 1;
		}
		size_t j = i;
		while (j < len && !cw_sep(m[j]))
			j++;
		cw_toks_push(t, m + i, j - i);
		i = j;
	}
}

int vg_cw_eval_text(const vg_cw *p, const cw_node *nd, const char *s, size_t n)
{
	switch (nd->type) {
	case CW_N_AND:
		for (size_t i = 0; i < nd->nkids; i++)
			if (!vg_cw_eval_text(p, nd->kids[i], s, n))
				return 0;
		return 1;
	case CW_N_OR:
		for (size_t i = 0; i < nd->nkids; i++)
			if (vg_cw_eval_text(p, nd->kids[i], s, n))
				return 1;
		return 0;
	default:
		return vg_cw_compare(p, nd->op, &nd->v, s, n, 0, 0);
	}
}

/* 1 if fields f[0..k) accept the fields t[0..k) of the message. */
static int cw_seg_at(const vg_cw *p, const cw_field *f, size_t k, const cw_tok *t)
{
	for (size_t i = 0; i < k; i++)
		if (f[i].cond && !vg_cw_eval_text(p, f[i].cond, t[i].s, t[i].len))
			return 0;
	return 1;
}

/* Place the runs of fields between ellipses: the first run at the start,
 * the last at the end, each middle run at its leftmost fit after the one
 * before. The runs have fixed lengths, so the leftmost fit never costs a
 * later run a place (as in glob matching). */
static int cw_match_fields(const vg_cw *p, const cw_tok *t, size_t nt)
{
	const cw_field *f = p->fields;
	size_t nf = p->nfields;
	if (!p->ellipsis)
		return nt == nf && cw_seg_at(p, f, nf, t);
	size_t a = 0, b = nf;
	while (!f[a].ellipsis)
		a++;
	while (!f[b - 1].ellipsis)
		b--;
	size_t last = nf - b;
	if (a + last > nt || !cw_seg_at(p, f, a, t) || !cw_seg_at(p, f + b, last, t + nt - last))
		return 0;
	size_t pos = a, lim = nt - last;
	for (size_t i = a; i < b;) {
		if (f[i].ellipsis) {
			i++;
			continue;
		}
		size_t j = i;
		while (!f[j].ellipsis)
			j++;
		size_t q = pos;
		while (q + (j - i) <= lim && !cw_seg_at(p, f + i, j - i, t + q))
			q++;
		if (q + (j - i) > lim)
			return 0;
		pos = q + (j - i);
		i = j;
	}
	return 1;
}

int vg_cw_match_delim(const vg_cw *p, const char *msg, size_t len)
{
	cw_toks t;
	t.v = t.small;
	t.n = 0;
	t.cap = sizeof t.small / sizeof *t.small;
	t.over = 0;
	/* Without an ellipsis one field too many already decides. */
	t.limit = p->ellipsis ? VG_CW_MAX_FIELDS : p->nfields + 1;
	cw_split(msg, len, &t);
	int r = !t.over && cw_match_fields(p, t.v, t.n);
	if (t.v != t.small)
		free(t.v);
	return r;
}
