/*
 * cw_json.c — JSON filter patterns:
 *
 *   { $.eventName = "ConsoleLogin" }
 *   { ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }
 *   { $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }
 *   { $.bandwidth > 75 }   { $.SomeObject IS NULL }   { $.ThisFlag IS TRUE }
 *   { $.arrayKey[*] = %val.{2}% }   { $.* = "x" }   { $.['cluster.name'] = "c" }
 *
 * Grammar (&& binds tighter than ||, parentheses group, AWS's "() > && >
 * ||"):
 *
 *   pattern   = '{' or '}'
 *   or        = and { '||' and }
 *   and       = unary { '&&' unary }
 *   unary     = '(' or ')' | condition
 *   condition = selector ( op value | IS (NULL|TRUE|FALSE) | NOT EXISTS )
 *   selector  = '$' step { step }
 *   step      = '.' name | '.*' | '[' digits ']' | '[*]' | '.'? "['" key "']"
 *
 * Names hold letters, digits, '-' and '_' (AWS's rule); other keys use the
 * bracket form with single quotes. An index must follow a property, as AWS
 * says. IS NOT and EXISTS alone are errors: AWS documents them as not
 * supported. Keywords are accepted in any case.
 *
 * Matching parses the message with cJSON after two cheap checks (size,
 * first byte '{', nesting depth), then evaluates the tree. How values
 * compare:
 *
 *  - a condition on a selector that selects nothing, a null (except IS
 *    NULL), an object or an array is false, for != too: AWS says a selector
 *    "must point to a value node", and `$.a != "x"` does not match an event
 *    without `a` (DataBiosphere/azul#5884 tested it in the console);
 *  - strings compare as text (wildcards, regex); a quoted or non-numeric
 *    value against a JSON number compares with the number's shortest text
 *    (400, 1.5); an unquoted number compares numerically with JSON numbers
 *    and with strings that read as numbers; booleans compare as the text
 *    true / false;
 *  - with a wildcard step the condition holds if it holds for any value
 *    selected, and NOT EXISTS holds if none is selected.
 *
 * Note: cJSON records the position of its last parse error in a static
 * variable, which concurrent failing parses race on; vigil never reads it.
 */
#include "query/cw_int.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cw_parse_or(cw_ps *ps, int depth, cw_node **out);

static int cw_name_char(char c)
{
	return cw_alnum(c) || c == '_' || c == '-';
}

/* 1 (and moves past it) if keyword kw, in any case, is at ps->pos. */
static int cw_keyword(cw_ps *ps, const char *kw)
{
	size_t k = strlen(kw);
	if (ps->n - ps->pos < k)
		return 0;
	for (size_t i = 0; i < k; i++) {
		char c = ps->s[ps->pos + i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c != kw[i])
			return 0;
	}
	if (ps->pos + k < ps->n && cw_name_char(ps->s[ps->pos + k]))
		return 0;
	ps->pos += k;
	return 1;
}

/* ---------- selectors ---------- */

/* A bracketed key ['...'] at ps->pos ('['). */
static int cw_bracket_key(cw_ps *ps, cw_step *st)
{
	size_t at = ps->pos, k0 = at + 2, k1 = k0;
	while (k1 < ps->n && ps->s[k1] != '\'')
		k1++;
	if (k1 + 1 >= ps->n || ps->s[k1 + 1] != ']')
		return vg_cw_perr(ps, at, "the bracketed key at %zu must be written ['key']", at);
	st->kind = CW_S_KEY;
	st->key = vg_arena_dup(&ps->p->arena, ps->s + k0, k1 - k0);
	st->keylen = k1 - k0;
	ps->pos = k1 + 2;
	return 0;
}

/* The step after a '.' at ps->pos. */
static int cw_dot_step(cw_ps *ps, cw_step *st, int *wild)
{
	size_t at = ++ps->pos;
	if (at < ps->n && ps->s[at] == '*') {
		st->kind = CW_S_ANY_KEY;
		ps->pos++;
		(*wild)++;
		return 0;
	}
	if (at + 1 < ps->n && ps->s[at] == '[' && ps->s[at + 1] == '\'')
		return cw_bracket_key(ps, st);
	while (ps->pos < ps->n && cw_name_char(ps->s[ps->pos]))
		ps->pos++;
	if (ps->pos == at) {
		if (at >= ps->n || cw_blank(ps->s[at]))
			return vg_cw_perr(ps, at, "expected a property name after '.' at %zu", at);
		return vg_cw_perr(ps, at, "%s at %zu: property names hold letters, digits, '-' and "
				  "'_'; write other keys as $.['key']", vg_cw_show(ps->s[at]).s, at);
	}
	st->kind = CW_S_KEY;
	st->key = vg_arena_dup(&ps->p->arena, ps->s + at, ps->pos - at);
	st->keylen = ps->pos - at;
	return 0;
}

/* The step of a '[' at ps->pos: an index, [*] or a bracketed key. */
static int cw_bracket_step(cw_ps *ps, cw_step *st, size_t nsteps, int *wild)
{
	size_t at = ps->pos;
	if (at + 1 < ps->n && ps->s[at + 1] == '\'')
		return cw_bracket_key(ps, st);
	if (nsteps == 0)
		return vg_cw_perr(ps, at, "'[' at %zu: array elements must follow a property, as in "
				  "$.list[0]", at);
	size_t i = at + 1, d0 = i;
	if (i < ps->n && ps->s[i] == '*') {
		st->kind = CW_S_ANY_INDEX;
		i++;
		(*wild)++;
	} else {
		st->kind = CW_S_INDEX;
		while (i < ps->n && ps->s[i] >= '0' && ps->s[i] <= '9' && i - d0 < 9)
			st->index = st->index * 10 + (size_t)(ps->s[i++] - '0');
	}
	if (i == d0 || i >= ps->n || ps->s[i] != ']')
		return vg_cw_perr(ps, at, "expected an index of at most 9 digits or '*' between '[' "
				  "and ']' at %zu", at);
	ps->pos = i + 1;
	return 0;
}

static int cw_parse_selector(cw_ps *ps, cw_node *nd)
{
	size_t at = ps->pos++;
	cw_step steps[CW_MAX_STEPS];
	size_t k = 0;
	int wild = 0, rc = 0;
	while (rc == 0 && ps->pos < ps->n && (ps->s[ps->pos] == '.' || ps->s[ps->pos] == '[')) {
		if (k == CW_MAX_STEPS)
			return vg_cw_perr(ps, at, "the selector at %zu has more than %d steps", at,
					  CW_MAX_STEPS);
		memset(&steps[k], 0, sizeof steps[k]);
		if (ps->s[ps->pos] == '.')
			rc = cw_dot_step(ps, &steps[k], &wild);
		else
			rc = cw_bracket_step(ps, &steps[k], k, &wild);
		k++;
	}
	if (rc)
		return rc;
	if (k == 0)
		return vg_cw_perr(ps, at, "the selector at %zu needs a property after '$', as in "
				  "$.eventName", at);
	if (wild > CW_MAX_WILD_SEL)
		return vg_cw_perr(ps, at, "the selector at %zu has %d wildcards; CloudWatch allows "
				  "one per selector", at, wild);
	ps->p->nwild += wild;
	if (ps->p->nwild > CW_MAX_WILD)
		return vg_cw_perr(ps, at, "the selector at %zu is wildcard selector number %d; "
				  "CloudWatch allows %d in a pattern", at, ps->p->nwild, CW_MAX_WILD);
	cw_step *copy = vg_arena_alloc(&ps->p->arena, k * sizeof *copy);
	memcpy(copy, steps, k * sizeof *copy);
	nd->steps = copy;
	nd->nsteps = k;
	return 0;
}

/* ---------- conditions and expressions ---------- */

/* IS NULL / IS TRUE / IS FALSE / NOT EXISTS, after the selector. */
static int cw_parse_test(cw_ps *ps, cw_node *nd, int is)
{
	size_t at = ps->pos;
	cw_skip_blanks(ps);
	if (!is) {
		if (!cw_keyword(ps, "EXISTS"))
			return vg_cw_perr(ps, at, "expected EXISTS after NOT at %zu", at);
		nd->op = CW_NOT_EXISTS;
		return 0;
	}
	if (cw_keyword(ps, "NULL"))
		nd->op = CW_IS_NULL;
	else if (cw_keyword(ps, "TRUE"))
		nd->op = CW_IS_TRUE;
	else if (cw_keyword(ps, "FALSE"))
		nd->op = CW_IS_FALSE;
	else if (cw_keyword(ps, "NOT"))
		return vg_cw_perr(ps, at, "IS NOT at %zu is not supported by CloudWatch; use IS NULL, "
				  "IS TRUE, IS FALSE or NOT EXISTS", at);
	else
		return vg_cw_perr(ps, at, "expected NULL, TRUE or FALSE after IS at %zu", at);
	return 0;
}

static int cw_parse_cond(cw_ps *ps, cw_node **out)
{
	cw_node *nd = vg_arena_alloc(&ps->p->arena, sizeof *nd);
	memset(nd, 0, sizeof *nd);
	nd->type = CW_N_COND;
	*out = nd;
	int rc = cw_parse_selector(ps, nd);
	if (rc)
		return rc;
	cw_skip_blanks(ps);
	size_t at = ps->pos;
	if (cw_keyword(ps, "IS"))
		return cw_parse_test(ps, nd, 1);
	if (cw_keyword(ps, "NOT"))
		return cw_parse_test(ps, nd, 0);
	if (cw_keyword(ps, "EXISTS"))
		return vg_cw_perr(ps, at, "EXISTS at %zu is not supported by CloudWatch; only NOT "
				  "EXISTS is", at);
	rc = vg_cw_parse_op(ps, &nd->op, "the selector");
	if (rc)
		return rc;
	cw_skip_blanks(ps);
	return vg_cw_parse_value(ps, nd->op, &nd->v);
}

/* A parenthesised expression, the '(' at ps->pos. */
static int cw_parse_group(cw_ps *ps, int depth, cw_node **out)
{
	size_t open = ps->pos++;
	if (depth >= VG_CW_MAX_DEPTH)
		return vg_cw_perr(ps, open, "parentheses nested deeper than %d at %zu",
				  VG_CW_MAX_DEPTH, open);
	int rc = cw_parse_or(ps, depth + 1, out);
	if (rc)
		return rc;
	cw_skip_blanks(ps);
	if (ps->pos < ps->n && ps->s[ps->pos] == ')') {
		ps->pos++;
		return 0;
	}
	if (ps->pos >= ps->n || ps->s[ps->pos] == '}')
		return vg_cw_perr(ps, open, "unbalanced parenthesis at %zu: this '(' is never closed",
				  open);
	return vg_cw_perr(ps, ps->pos, "expected '&&', '||' or ')' at %zu, found %s", ps->pos,
			  vg_cw_show(ps->s[ps->pos]).s);
}

static int cw_parse_unary(cw_ps *ps, int depth, cw_node **out)
{
	cw_skip_blanks(ps);
	size_t at = ps->pos;
	if (at >= ps->n)
		return vg_cw_perr(ps, at, "expected a condition at %zu: the pattern ends before its "
				  "closing '}'", at);
	char c = ps->s[at];
	if (c == '(')
		return cw_parse_group(ps, depth, out);
	if (c == '$')
		return cw_parse_cond(ps, out);
	if (c == ')')
		return vg_cw_perr(ps, at, "unbalanced parenthesis at %zu: expected a condition, found "
				  "')'", at);
	return vg_cw_perr(ps, at, "expected a condition such as $.name = \"value\" at %zu, found %s",
			  at, vg_cw_show(c).s);
}

static int cw_parse_or(cw_ps *ps, int depth, cw_node **out)
{
	cw_vec ors = {0}, ands = {0};
	cw_node *nd;
	int rc = cw_parse_unary(ps, depth, &nd);
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
		rc = cw_parse_unary(ps, depth, &nd);
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

int vg_cw_parse_json(cw_ps *ps)
{
	size_t open = ps->pos++;
	cw_skip_blanks(ps);
	if (ps->pos < ps->n && ps->s[ps->pos] == '}')
		return vg_cw_perr(ps, open, "the JSON pattern at %zu is empty: expected a condition "
				  "such as $.name = \"value\"", open);
	int rc = cw_parse_or(ps, 0, &ps->p->root);
	if (rc)
		return rc;
	cw_skip_blanks(ps);
	if (ps->pos >= ps->n)
		return vg_cw_perr(ps, open, "unbalanced '{' at %zu: a pattern that starts with '{' "
				  "must end with '}'", open);
	char c = ps->s[ps->pos];
	if (c == ')')
		return vg_cw_perr(ps, ps->pos, "unbalanced parenthesis at %zu: there is no '(' to "
				  "close", ps->pos);
	if (c != '}')
		return vg_cw_perr(ps, ps->pos, "expected '&&', '||' or '}' at %zu, found %s", ps->pos,
				  vg_cw_show(c).s);
	ps->pos++;
	cw_skip_blanks(ps);
	if (ps->pos < ps->n)
		return vg_cw_perr(ps, ps->pos, "unexpected %s at %zu after the closing '}'",
				  vg_cw_show(ps->s[ps->pos]).s, ps->pos);
	return 0;
}

/* ---------- matching ---------- */

/* The shortest text of a JSON number that reads back as the same value:
 * integers without a fraction (400), others with up to 17 digits. */
static size_t cw_num_text(double d, char *buf, size_t cap)
{
	if (d == floor(d) && fabs(d) < 9e15)
		return (size_t)snprintf(buf, cap, "%" PRId64, (int64_t)d);
	for (int prec = 15; prec <= 17; prec++) {
		int k = snprintf(buf, cap, "%.*g", prec, d);
		if (prec == 17 || strtod(buf, NULL) == d)
			return (size_t)k;
	}
	return 0;
}

/* A comparison or test on one selected JSON value. */
static int cw_test(const vg_cw *p, const cw_node *nd, const cJSON *j)
{
	switch (nd->op) {
	case CW_IS_NULL: return cJSON_IsNull(j);
	case CW_IS_TRUE: return cJSON_IsTrue(j);
	case CW_IS_FALSE: return cJSON_IsFalse(j);
	default: break;
	}
	if (cJSON_IsString(j) && j->valuestring)
		return vg_cw_compare(p, nd->op, &nd->v, j->valuestring, strlen(j->valuestring), 0, 0);
	if (cJSON_IsNumber(j)) {
		char buf[64];
		size_t n = cw_num_text(j->valuedouble, buf, sizeof buf);
		return vg_cw_compare(p, nd->op, &nd->v, buf, n, 1, j->valuedouble);
	}
	if (cJSON_IsBool(j)) {
		const char *t = cJSON_IsTrue(j) ? "true" : "false";
		return vg_cw_compare(p, nd->op, &nd->v, t, strlen(t), 0, 0);
	}
	return 0;
}

/* 1 if some value that steps[i..] select from j passes the condition (or,
 * with exists, if any value is selected at all). */
static int cw_walk(const vg_cw *p, const cw_node *nd, const cJSON *j, size_t i, int exists)
{
	if (i == nd->nsteps)
		return exists || cw_test(p, nd, j);
	const cw_step *st = &nd->steps[i];
	const cJSON *c;
	switch (st->kind) {
	case CW_S_KEY:
		c = cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j, st->key) : NULL;
		return c && cw_walk(p, nd, c, i + 1, exists);
	case CW_S_INDEX:
		c = cJSON_IsArray(j) ? cJSON_GetArrayItem(j, (int)st->index) : NULL;
		return c && cw_walk(p, nd, c, i + 1, exists);
	case CW_S_ANY_KEY:
		if (!cJSON_IsObject(j))
			return 0;
		break;
	default:
		if (!cJSON_IsArray(j))
			return 0;
		break;
	}
	for (c = j->child; c; c = c->next)
		if (cw_walk(p, nd, c, i + 1, exists))
			return 1;
	return 0;
}

static int cw_eval(const vg_cw *p, const cw_node *nd, const cJSON *doc)
{
	switch (nd->type) {
	case CW_N_AND:
		for (size_t i = 0; i < nd->nkids; i++)
			if (!cw_eval(p, nd->kids[i], doc))
				return 0;
		return 1;
	case CW_N_OR:
		for (size_t i = 0; i < nd->nkids; i++)
			if (cw_eval(p, nd->kids[i], doc))
				return 1;
		return 0;
	default:
		if (nd->op == CW_NOT_EXISTS)
			return !cw_walk(p, nd, doc, 0, 1);
		return cw_walk(p, nd, doc, 0, 0);
	}
}

static int cw_json_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* 1 if brackets nest no deeper than VG_CW_MAX_JSON_DEPTH outside strings:
 * cJSON recurses once per level, so depth is checked before it runs. */
static int cw_depth_ok(const char *m, size_t len)
{
	int depth = 0, in_str = 0;
	for (size_t i = 0; i < len; i++) {
		char c = m[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			if (++depth > VG_CW_MAX_JSON_DEPTH)
				return 0;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return 1;
}

int vg_cw_match_json(const vg_cw *p, const char *msg, size_t len)
{
	size_t i = 0;
	while (i < len && cw_json_ws(msg[i]))
		i++;
	if (len > VG_CW_MAX_JSON || i >= len || msg[i] != '{' || !cw_depth_ok(msg, len))
		return 0;
	const char *end = NULL;
	cJSON *doc = cJSON_ParseWithLengthOpts(msg, len, &end, 0);
	if (doc == NULL)
		return 0;
	size_t k = end ? (size_t)(end - msg) : len;
	while (k < len && cw_json_ws(msg[k]))
		k++;
	int r = k == len && cJSON_IsObject(doc) && cw_eval(p, p->root, doc);
	cJSON_Delete(doc);
	return r;
}
