/*
 * cw_terms.c — unstructured filter patterns: terms that must appear in the
 * message (ERROR Exception), "quoted phrases", ?optional terms (any one
 * suffices), -excluded terms, and a %regex% standing alone.
 *
 * AWS's rules, and the choices made where its documentation is silent:
 *
 *  - A term matches anywhere in the message, case-sensitively: ERROR
 *    matches "Exiting with ERRORCODE: -1" (AWS's own example). No token
 *    boundaries are involved.
 *  - Unquoted terms hold letters, digits and '_' only ("terms that include
 *    characters other than alphanumeric or underscore must be placed inside
 *    double quotes"); AWS answers "Invalid filter pattern" otherwise, and
 *    so do we, saying which character and where.
 *  - "If you combine ? with other filter patterns, all question mark terms
 *    will be ignored": with a plain or an excluded term present, ?terms
 *    change nothing.
 *  - A quoted term that is empty or only blanks matches everything (AWS
 *    documents `""` and `" "` as "match everything"); it cannot be
 *    optional or excluded.
 *  - A %regex% must be the whole pattern ("standalone"), since a regex may
 *    itself contain spaces (`%^shutting down%`).
 */
#include "query/cw_int.h"

#include <string.h>

static int cw_term_char(char c)
{
	return cw_alnum(c) || c == '_';
}

static int cw_all_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!cw_blank(s[i]))
			return 0;
	return 1;
}

/* The error for a byte that cannot be in an unquoted term. */
static int cw_bad_term_char(cw_ps *ps, size_t at)
{
	char c = ps->s[at];
	if (c == '%')
		return vg_cw_perr(ps, at, "'%%' at %zu: a %%regex%% must be the whole pattern", at);
	if (c == '"')
		return vg_cw_perr(ps, at, "'\"' at %zu inside a term: put the whole term in double "
				  "quotes", at);
	return vg_cw_perr(ps, at, "%s at %zu: terms with characters other than letters, digits "
			  "and '_' must be in double quotes", vg_cw_show(c).s, at);
}

/* Parse the term at ps->pos (after its prefix, which starts at `start`). */
static int cw_parse_term(cw_ps *ps, size_t start, cw_term *t)
{
	size_t at = ps->pos;
	if (at >= ps->n || cw_blank(ps->s[at]))
		return vg_cw_perr(ps, start, "expected a term after '%c' at %zu", ps->s[start], start);
	if (ps->s[at] == '"') {
		int rc = vg_cw_parse_quoted(ps, &t->s, &t->len, NULL, NULL);
		if (rc)
			return rc;
		if (ps->pos < ps->n && !cw_blank(ps->s[ps->pos]))
			return vg_cw_perr(ps, ps->pos, "expected a blank after the closing '\"' at %zu, "
					  "found %s", ps->pos, vg_cw_show(ps->s[ps->pos]).s);
		return 0;
	}
	size_t end = at;
	while (end < ps->n && cw_term_char(ps->s[end]))
		end++;
	if (end < ps->n && !cw_blank(ps->s[end]))
		return cw_bad_term_char(ps, end);
	t->s = vg_arena_dup(&ps->p->arena, ps->s + at, end - at);
	t->len = end - at;
	ps->pos = end;
	return 0;
}

/* Read the ? or - before a term, if any, into t->mode. */
static int cw_parse_prefix(cw_ps *ps, cw_term *t)
{
	t->mode = CW_T_PLAIN;
	char c = ps->s[ps->pos];
	if (c != '?' && c != '-')
		return 0;
	t->mode = c == '?' ? CW_T_OPTIONAL : CW_T_EXCLUDED;
	ps->pos++;
	if (ps->pos < ps->n && (ps->s[ps->pos] == '?' || ps->s[ps->pos] == '-'))
		return vg_cw_perr(ps, ps->pos, "'%c' at %zu: a term is either optional (?) or "
				  "excluded (-), not both", ps->s[ps->pos], ps->pos);
	return 0;
}

/* A pattern that is one %regex%. */
static int cw_parse_lone_regex(cw_ps *ps)
{
	int rc = vg_cw_parse_regex(ps, &ps->p->regex);
	if (rc)
		return rc;
	cw_skip_blanks(ps);
	if (ps->pos < ps->n)
		return vg_cw_perr(ps, ps->pos, "unexpected %s at %zu after the regex: a %%regex%% must "
				  "be the whole pattern", vg_cw_show(ps->s[ps->pos]).s, ps->pos);
	return 0;
}

/* Count the term in p, or note that it is blank. */
static int cw_add_term(cw_ps *ps, size_t start, const cw_term *t, int *blank_plain)
{
	vg_cw *p = ps->p;
	if (cw_all_blank(t->s, t->len)) {
		if (t->mode != CW_T_PLAIN)
			return vg_cw_perr(ps, start, "the empty term at %zu cannot be optional or "
					  "excluded", start);
		*blank_plain = 1;
		return 0;
	}
	p->terms[p->nterms++] = *t;
	p->nplain += t->mode == CW_T_PLAIN;
	p->noptional += t->mode == CW_T_OPTIONAL;
	p->nexcluded += t->mode == CW_T_EXCLUDED;
	return 0;
}

int vg_cw_parse_terms(cw_ps *ps)
{
	vg_cw *p = ps->p;
	if (ps->pos < ps->n && ps->s[ps->pos] == '%')
		return cw_parse_lone_regex(ps);
	/* Terms are separated by blanks, so there are at most half as many
	 * as bytes left, plus one. */
	p->terms = vg_arena_alloc(&p->arena, ((ps->n - ps->pos) / 2 + 1) * sizeof *p->terms);
	int blank_plain = 0;
	while (ps->pos < ps->n) {
		size_t start = ps->pos;
		cw_term t = {0};
		int rc = cw_parse_prefix(ps, &t);
		if (rc == 0)
			rc = cw_parse_term(ps, start, &t);
		if (rc == 0)
			rc = cw_add_term(ps, start, &t, &blank_plain);
		if (rc)
			return rc;
		cw_skip_blanks(ps);
	}
	/* ?terms are ignored beside any other term, a blank one included. */
	p->all = p->nplain == 0 && p->nexcluded == 0 && (p->noptional == 0 || blank_plain);
	return 0;
}

static int cw_has(const char *msg, size_t len, const cw_term *t)
{
	return t->len <= len && memmem(msg, len, t->s, t->len) != NULL;
}

int vg_cw_match_terms(const vg_cw *p, const char *msg, size_t len)
{
	if (p->regex >= 0)
		return vg_cw_re_search(p, p->regex, msg, len);
	if (p->nplain || p->nexcluded) {
		for (size_t i = 0; i < p->nterms; i++) {
			const cw_term *t = &p->terms[i];
			if (t->mode == CW_T_OPTIONAL)
				continue;
			if (cw_has(msg, len, t) != (t->mode == CW_T_PLAIN))
				return 0;
		}
		return 1;
	}
	for (size_t i = 0; i < p->nterms; i++)
		if (cw_has(msg, len, &p->terms[i]))
			return 1;
	return 0;
}
