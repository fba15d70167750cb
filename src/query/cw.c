/*
 * cw.c — CloudWatch filter patterns: the entry points and what the three
 * kinds of pattern share.
 *
 * A pattern is parsed once into a small tree that lives in the pattern's
 * arena; matching walks that tree over the message and allocates only
 * scratch memory of its own (PCRE2 match data, a JSON document, a field
 * table), so one compiled pattern serves many threads.
 *
 * Values are the common currency: `"quoted"`, `%regex%` or an unquoted
 * word, where an unquoted number compares as a number and anything else as
 * text with optional wildcards at its ends. The rules are summed up in
 * cw.h; the reasons sit next to the code below.
 */
#include "query/cw_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/bloom.h"

/* One regex evaluation may take this many backtracking steps, this deep a
 * recursion and this much heap (KiB) before it counts as not matching:
 * enough for any sane CloudWatch regex, small enough that a hostile one
 * costs milliseconds, not minutes. */
#define CW_RE_MATCH_LIMIT 200000
#define CW_RE_DEPTH_LIMIT 2000
#define CW_RE_HEAP_LIMIT 8192

int vg_cw_perr(cw_ps *ps, size_t pos, const char *fmt, ...)
{
	if (ps->err == NULL)
		return VG_EINVAL;
	char msg[sizeof ps->err->msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return vg_seterr(ps->err, VG_EINVAL, (int64_t)pos, "%s", msg);
}

cw_chr vg_cw_show(char c)
{
	cw_chr r;
	unsigned char u = (unsigned char)c;
	if (u > 0x20 && u < 0x7f)
		snprintf(r.s, sizeof r.s, "'%c'", c);
	else if (u == ' ')
		snprintf(r.s, sizeof r.s, "a space");
	else
		snprintf(r.s, sizeof r.s, "byte 0x%02x", u);
	return r;
}

static const char *cw_optext(uint8_t op)
{
	static const char *const t[] = {"=", "!=", "<", "<=", ">", ">="};
	return op <= CW_GE ? t[op] : "?";
}

/* ---------- operators and values ---------- */

int vg_cw_parse_op(cw_ps *ps, uint8_t *op, const char *what)
{
	/* Two-byte operators first, so "<=" is not read as "<". */
	static const struct {
		const char *t;
		uint8_t op;
	} ops[] = {
		{"!=", CW_NE}, {"<=", CW_LE}, {">=", CW_GE}, {"=", CW_EQ}, {"<", CW_LT}, {">", CW_GT},
	};
	for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
		if (cw_at(ps, ops[i].t)) {
			ps->pos += strlen(ops[i].t);
			*op = ops[i].op;
			return 0;
		}
	}
	return vg_cw_perr(ps, ps->pos, "expected an operator (=, !=, <, <=, >, >=) after %s at %zu",
			  what, ps->pos);
}

/* Characters an unquoted value may hold. AWS asks for quotes around
 * anything but letters and digits, yet its own examples leave `123.123.*`,
 * `*.html*` and `kms.amazonaws.com` bare; these few are accepted too. */
static int cw_bare_value_char(char c)
{
	return cw_alnum(c) || (c != 0 && strchr("_.*+-/:", c) != NULL);
}

/* Bytes that may end an unquoted value. */
static int cw_value_end(char c)
{
	return cw_blank(c) || (c != 0 && strchr(",])}&|", c) != NULL);
}

/* Set v to text s with a leading and/or trailing wildcard removed. */
static void cw_set_text(cw_value *v, const char *s, size_t len, int lead, int trail)
{
	v->kind = CW_V_STR;
	if (len == 1 && lead) {
		v->wild = CW_W_ANY;
		v->s = s + 1;
		v->len = 0;
		return;
	}
	if (lead) {
		s++;
		len--;
	}
	if (trail)
		len--;
	v->s = s;
	v->len = len;
	v->wild = lead && trail ? CW_W_CONTAINS : lead ? CW_W_ENDS : trail ? CW_W_STARTS : CW_W_EXACT;
}

int vg_cw_parse_quoted(cw_ps *ps, const char **s, size_t *len, int *lead, int *trail)
{
	size_t open = ps->pos, end = open + 1;
	while (end < ps->n && ps->s[end] != '"')
		end += ps->s[end] == '\\' && end + 1 < ps->n ? 2 : 1;
	if (end >= ps->n)
		return vg_cw_perr(ps, open, "the string starting at %zu has no closing '\"'", open);
	/* \" and \\ are escapes everywhere; \* only in values, where a star
	 * is otherwise a wildcard. Any other backslash is kept as it is. */
	char *buf = vg_arena_alloc(&ps->p->arena, end - open);
	size_t k = 0;
	int first_esc = 0, last_esc = 0;
	for (size_t i = open + 1; i < end; i++) {
		char c = ps->s[i];
		int esc = 0;
		if (c == '\\' && i + 1 < end &&
		    (ps->s[i + 1] == '"' || ps->s[i + 1] == '\\' || (lead && ps->s[i + 1] == '*'))) {
			c = ps->s[++i];
			esc = 1;
		}
		if (k == 0)
			first_esc = esc;
		last_esc = esc;
		buf[k++] = c;
	}
	buf[k] = 0;
	ps->pos = end + 1;
	*s = buf;
	*len = k;
	if (lead)
		*lead = k > 0 && buf[0] == '*' && !first_esc;
	if (trail)
		*trail = k > 0 && buf[k - 1] == '*' && !last_esc;
	return 0;
}

/* An unquoted value: a number, or text with optional wildcards. */
static int cw_parse_bare(cw_ps *ps, uint8_t op, cw_value *v)
{
	size_t at = ps->pos, end = at;
	while (end < ps->n && cw_bare_value_char(ps->s[end]))
		end++;
	if (end == at)
		return vg_cw_perr(ps, at, "expected a value after '%s' at %zu", cw_optext(op), at);
	if (end < ps->n && !cw_value_end(ps->s[end]))
		return vg_cw_perr(ps, end,
				  "%s at %zu: a value with characters other than letters, digits "
				  "and _ . * + - / : must be in double quotes",
				  vg_cw_show(ps->s[end]).s, end);
	ps->pos = end;
	const char *s = vg_arena_dup(&ps->p->arena, ps->s + at, end - at);
	if (vg_cw_number(s, end - at, &v->num)) {
		v->kind = CW_V_NUM;
		return 0;
	}
	if (op != CW_EQ && op != CW_NE)
		return vg_cw_perr(ps, at, "'%s' compares numbers: expected a number at %zu",
				  cw_optext(op), at);
	cw_set_text(v, s, end - at, s[0] == '*', end - at > 1 && s[end - at - 1] == '*');
	return 0;
}

int vg_cw_parse_value(cw_ps *ps, uint8_t op, cw_value *v)
{
	memset(v, 0, sizeof *v);
	size_t at = ps->pos;
	if (at >= ps->n)
		return vg_cw_perr(ps, at, "expected a value after '%s' at %zu", cw_optext(op), at);
	char c = ps->s[at];
	if (c != '"' && c != '%')
		return cw_parse_bare(ps, op, v);
	if (op != CW_EQ && op != CW_NE)
		return vg_cw_perr(ps, at, "'%s' compares numbers: expected a number at %zu",
				  cw_optext(op), at);
	if (c == '%') {
		v->kind = CW_V_RE;
		return vg_cw_parse_regex(ps, &v->re);
	}
	const char *s;
	size_t len;
	int lead, trail;
	int rc = vg_cw_parse_quoted(ps, &s, &len, &lead, &trail);
	if (rc)
		return rc;
	cw_set_text(v, s, len, lead, trail);
	return 0;
}

int vg_cw_number(const char *s, size_t n, double *d)
{
	size_t i = 0, digits = 0;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		digits++;
	if (i < n && s[i] == '.')
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
	if (digits == 0)
		return 0;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t e = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == e)
			return 0;
	}
	if (i != n)
		return 0;
	/* strtod needs a terminated copy (vigil never calls setlocale, so
	 * the decimal point is '.'). */
	char small[64];
	char *buf = n < sizeof small ? small : vg_xmalloc(n + 1);
	memcpy(buf, s, n);
	buf[n] = 0;
	*d = strtod(buf, NULL);
	if (buf != small)
		free(buf);
	return 1;
}

/* ---------- regexes ---------- */

/* The characters AWS allows in a filter pattern regex: letters, digits, the
 * symbols : _ # = @ / ; , - and the operators ^ $ ? [ ] { } | \ * + .
 * The space is not listed, but AWS's own example `%^shutting down%` has
 * one. */
static int cw_re_char(char c)
{
	return cw_alnum(c) || (c != 0 && strchr(" :_#=@/;,-^$?[]{}|\\*+.", c) != NULL);
}

static int cw_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Translate the escape whose backslash is at s[*i] into out, leaving *i on
 * its last byte. A backslash before a character the dialect does not allow
 * at all is left for the caller, which names that character. 0 or
 * VG_EINVAL. */
static int cw_re_escape(cw_ps *ps, size_t *i, size_t end, vg_buf *out)
{
	size_t at = *i;
	if (at + 1 >= end)
		return vg_cw_perr(ps, at, "the regex ends with a lone '\\' at %zu", at);
	char d = ps->s[at + 1];
	if (!cw_re_char(d))
		return 0;
	if (d == 'x') {
		if (at + 3 >= end || !cw_hex(ps->s[at + 2]) || !cw_hex(ps->s[at + 3]))
			return vg_cw_perr(ps, at, "'\\x' at %zu must be followed by two hex digits",
					  at);
		vg_buf_put(out, ps->s + at, 4);
		*i = at + 3;
		return 0;
	}
	if (cw_alnum(d) && strchr("dDsSwW", d) == NULL)
		return vg_cw_perr(ps, at,
				  "unsupported escape '\\%c' at %zu: CloudWatch knows \\d \\D \\s "
				  "\\S \\w \\W \\xhh and a backslash before a symbol",
				  d, at);
	vg_buf_put(out, ps->s + at, 2);
	*i = at + 1;
	return 0;
}

/* AWS writes counted repeats as {m,n} with either bound optional and
 * blanks allowed ("{m, n}"); PCRE2 10.42 reads "{,n}" and blanks as
 * literal text. Rewrite a brace at s[*i] that forms a repeat as {m,n};
 * any other brace is a literal. */
static void cw_re_brace(const cw_ps *ps, size_t *i, size_t end, vg_buf *out)
{
	size_t j = *i + 1, m0, m1, n0, n1;
	int comma = 0;
	while (j < end && ps->s[j] == ' ')
		j++;
	for (m0 = j; j < end && ps->s[j] >= '0' && ps->s[j] <= '9'; j++)
		;
	m1 = j;
	while (j < end && ps->s[j] == ' ')
		j++;
	if (j < end && ps->s[j] == ',') {
		comma = 1;
		for (j++; j < end && ps->s[j] == ' '; j++)
			;
	}
	for (n0 = j; j < end && ps->s[j] >= '0' && ps->s[j] <= '9'; j++)
		;
	n1 = j;
	while (j < end && ps->s[j] == ' ')
		j++;
	if (j >= end || ps->s[j] != '}' || (m1 == m0 && !comma)) {
		vg_buf_puts(out, "\\{");
		return;
	}
	vg_buf_putc(out, '{');
	if (m1 > m0)
		vg_buf_put(out, ps->s + m0, m1 - m0);
	else
		vg_buf_putc(out, '0');
	if (comma)
		vg_buf_putc(out, ',');
	vg_buf_put(out, ps->s + n0, n1 - n0);
	vg_buf_putc(out, '}');
	*i = j;
}

/* Check the regex s[start, end) against AWS's dialect and write the PCRE2
 * form to out. 0 or VG_EINVAL. */
static int cw_re_translate(cw_ps *ps, size_t start, size_t end, vg_buf *out)
{
	int in_class = 0;
	for (size_t i = start; i < end; i++) {
		char c = ps->s[i];
		if ((unsigned char)c >= 0x80)
			return vg_cw_perr(ps, i, "byte 0x%02x at %zu: multi-byte characters are not "
					  "supported in a regex", (unsigned char)c, i);
		if (c == '(' || c == ')')
			return vg_cw_perr(ps, i, "'%c' at %zu: a CloudWatch regex cannot use "
					  "parentheses; match them with \\x28 and \\x29", c, i);
		if (!cw_re_char(c))
			return vg_cw_perr(ps, i, "%s at %zu is not allowed in a CloudWatch regex; "
					  "match it with \\x%02x", vg_cw_show(c).s, i, (unsigned char)c);
		if (c == '\\') {
			int rc = cw_re_escape(ps, &i, end, out);
			if (rc)
				return rc;
			continue;
		}
		if (in_class) {
			in_class = c != ']';
			vg_buf_putc(out, (uint8_t)c);
			continue;
		}
		if (c == '[') {
			/* A ']' right after '[' or '[^' is a member, not the end. */
			vg_buf_putc(out, '[');
			if (i + 1 < end && ps->s[i + 1] == '^')
				vg_buf_putc(out, (uint8_t)ps->s[++i]);
			if (i + 1 < end && ps->s[i + 1] == ']')
				vg_buf_putc(out, (uint8_t)ps->s[++i]);
			in_class = 1;
		} else if (c == '{') {
			cw_re_brace(ps, &i, end, out);
		} else if (c == '}') {
			vg_buf_puts(out, "\\}");
		} else {
			vg_buf_putc(out, (uint8_t)c);
		}
	}
	return 0;
}

/* The match context every regex of p shares: read-only once made, so
 * threads may share it (PCRE2 allows that). */
static void cw_re_context(vg_cw *p)
{
	if (p->mctx)
		return;
	p->mctx = pcre2_match_context_create(NULL);
	if (p->mctx == NULL) {
		fprintf(stderr, "vigil: out of memory creating a regex context\n");
		abort();
	}
	pcre2_set_match_limit(p->mctx, CW_RE_MATCH_LIMIT);
	pcre2_set_depth_limit(p->mctx, CW_RE_DEPTH_LIMIT);
	pcre2_set_heap_limit(p->mctx, CW_RE_HEAP_LIMIT);
}

int vg_cw_parse_regex(cw_ps *ps, int *idx)
{
	size_t open = ps->pos;
	const char *close = memchr(ps->s + open + 1, '%', ps->n - open - 1);
	if (close == NULL)
		return vg_cw_perr(ps, open, "the regex starting at %zu has no closing '%%'", open);
	size_t start = open + 1, end = (size_t)(close - ps->s);
	if (end == start)
		return vg_cw_perr(ps, open, "empty regex '%%%%' at %zu", open);
	if (ps->p->nre >= CW_MAX_REGEX)
		return vg_cw_perr(ps, open, "the regex at %zu is one too many: a pattern may hold "
				  "at most %d (AWS's quota)", open, CW_MAX_REGEX);
	vg_buf out = {0};
	int rc = cw_re_translate(ps, start, end, &out);
	if (rc) {
		vg_buf_free(&out);
		return rc;
	}
	int code;
	PCRE2_SIZE eoff;
	uint32_t opts = PCRE2_DOTALL | PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_UTF | PCRE2_NEVER_UCP |
			PCRE2_NEVER_BACKSLASH_C | PCRE2_NO_AUTO_CAPTURE;
	pcre2_code *re = pcre2_compile(out.p, out.len, opts, &code, &eoff, NULL);
	vg_buf_free(&out);
	if (re == NULL) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(code, msg, sizeof msg);
		size_t at = start + (eoff < end - start ? eoff : end - start);
		return vg_cw_perr(ps, at, "bad regex at %zu: %s", at, (const char *)msg);
	}
	/* JIT is an optimisation: without it (no JIT support, no executable
	 * memory) the interpreter runs the same regex. */
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	cw_re_context(ps->p);
	*idx = ps->p->nre;
	ps->p->re[ps->p->nre++] = re;
	ps->pos = end + 1;
	return 0;
}

int vg_cw_re_search(const vg_cw *p, int re, const char *s, size_t n)
{
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	if (md == NULL) {
		fprintf(stderr, "vigil: out of memory creating regex match data\n");
		abort();
	}
	/* A regex that hits a limit (a negative code) counts as no match. */
	int rc = pcre2_match(p->re[re], (PCRE2_SPTR)(n ? s : ""), n, 0, 0, md, p->mctx);
	pcre2_match_data_free(md);
	return rc >= 0;
}

/* ---------- comparisons ---------- */

static int cw_wild_match(const cw_value *v, const char *s, size_t n)
{
	if (v->wild == CW_W_ANY || (v->len == 0 && v->wild != CW_W_EXACT))
		return 1;
	if (n < v->len)
		return 0;
	switch (v->wild) {
	case CW_W_EXACT:
		return n == v->len && (n == 0 || memcmp(s, v->s, n) == 0);
	case CW_W_STARTS:
		return memcmp(s, v->s, v->len) == 0;
	case CW_W_ENDS:
		return memcmp(s + n - v->len, v->s, v->len) == 0;
	default:
		return memmem(s, n, v->s, v->len) != NULL;
	}
}

static int cw_cmp_num(uint8_t op, double x, double y)
{
	switch (op) {
	case CW_EQ: return x == y;
	case CW_NE: return x != y;
	case CW_LT: return x < y;
	case CW_LE: return x <= y;
	case CW_GT: return x > y;
	case CW_GE: return x >= y;
	default: return 0;
	}
}

int vg_cw_compare(const vg_cw *p, uint8_t op, const cw_value *v, const char *s, size_t n,
		  int has_num, double num)
{
	if (v->kind == CW_V_NUM) {
		/* Text that is not a number differs from every number. */
		if (!has_num && !vg_cw_number(s, n, &num))
			return op == CW_NE;
		return cw_cmp_num(op, num, v->num);
	}
	int r = v->kind == CW_V_RE ? vg_cw_re_search(p, v->re, s, n) : cw_wild_match(v, s, n);
	return op == CW_EQ ? r : op == CW_NE ? !r : 0;
}

cw_node *vg_cw_join(vg_cw *p, uint8_t type, cw_node **kids, size_t n)
{
	if (n == 1)
		return kids[0];
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += kids[i]->type == type ? kids[i]->nkids : 1;
	cw_node *nd = vg_arena_alloc(&p->arena, sizeof *nd);
	memset(nd, 0, sizeof *nd);
	nd->type = type;
	nd->kids = vg_arena_alloc(&p->arena, total * sizeof *nd->kids);
	for (size_t i = 0; i < n; i++) {
		if (kids[i]->type != type) {
			nd->kids[nd->nkids++] = kids[i];
			continue;
		}
		for (size_t k = 0; k < kids[i]->nkids; k++)
			nd->kids[nd->nkids++] = kids[i]->kids[k];
	}
	return nd;
}

/* ---------- required literals ---------- */

/* A collector of literals: counts them when lits is NULL. */
typedef struct cw_lits {
	vg_cw *p;
	vg_cw_lit *lits;
	size_t n;
} cw_lits;

/* Add a literal; its text is copied, as a value's text without its
 * wildcards is not terminated where it ends. */
static void cw_lit_add(cw_lits *c, const char *s, size_t len, int bl, int br, int json)
{
	if (c->lits)
		c->lits[c->n] = (vg_cw_lit){.s = vg_arena_dup(&c->p->arena, s, len), .len = len,
					    .bound_left = (uint8_t)bl, .bound_right = (uint8_t)br,
					    .json = (uint8_t)json};
	c->n++;
}

/* 1 if the len bytes at s occur in the word w. */
static int cw_in_word(const char *w, const char *s, size_t len)
{
	size_t wl = strlen(w);
	for (size_t i = 0; i + len <= wl; i++)
		if (memcmp(w + i, s, len) == 0)
			return 1;
	return 0;
}

/* 1 if a JSON string value of text s may be compared against JSON numbers
 * or booleans too (their text is not in the raw message as quoted), or
 * holds characters every encoder escapes: such a literal proves nothing. */
static int cw_json_lit_unsafe(const char *s, size_t len)
{
	size_t numchars = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == '"' || c == '\\' || c == 0x7f)
			return 1;
		numchars += strchr("0123456789.eE+-", c) != NULL;
	}
	return numchars == len || cw_in_word("true", s, len) || cw_in_word("false", s, len);
}

/* The literal a condition guarantees: `field = "text"` with the text at
 * the field's edge where there is no wildcard. */
static void cw_lit_of_cond(cw_lits *c, const cw_node *nd, int json)
{
	const cw_value *v = &nd->v;
	if (nd->type != CW_N_COND || nd->op != CW_EQ || v->kind != CW_V_STR || v->wild == CW_W_ANY ||
	    v->len == 0)
		return;
	if (json && cw_json_lit_unsafe(v->s, v->len))
		return;
	int bl = v->wild == CW_W_EXACT || v->wild == CW_W_STARTS;
	int br = v->wild == CW_W_EXACT || v->wild == CW_W_ENDS;
	cw_lit_add(c, v->s, v->len, bl, br, json);
}

/* A condition tree guarantees the literals of its top-level conjuncts;
 * an OR guarantees nothing certain without more analysis. */
static void cw_lits_of_tree(cw_lits *c, const cw_node *nd, int json)
{
	if (nd->type == CW_N_COND) {
		cw_lit_of_cond(c, nd, json);
		return;
	}
	if (nd->type == CW_N_AND)
		for (size_t i = 0; i < nd->nkids; i++)
			cw_lit_of_cond(c, nd->kids[i], json);
}

static void cw_lits_collect(const vg_cw *p, cw_lits *c)
{
	switch (p->kind) {
	case VG_CW_TERMS:
		/* ?terms count only alone, and then any one of them will do. */
		for (size_t i = 0; p->regex < 0 && i < p->nterms; i++)
			if (p->terms[i].mode == CW_T_PLAIN)
				cw_lit_add(c, p->terms[i].s, p->terms[i].len, 0, 0, 0);
		break;
	case VG_CW_DELIMITED:
		for (size_t i = 0; i < p->nfields; i++)
			if (p->fields[i].cond)
				cw_lits_of_tree(c, p->fields[i].cond, 0);
		break;
	default:
		cw_lits_of_tree(c, p->root, 1);
		break;
	}
}

static void cw_lits_build(vg_cw *p)
{
	cw_lits c = {.p = p};
	cw_lits_collect(p, &c);
	if (c.n == 0)
		return;
	p->lits = vg_arena_alloc(&p->arena, c.n * sizeof *p->lits);
	p->nlits = c.n;
	c.n = 0;
	c.lits = p->lits;
	cw_lits_collect(p, &c);
}

/* ---------- entry points ---------- */

/* Reject control characters other than blanks: they cannot be typed into
 * CloudWatch, and rejecting them keeps every literal printable. */
static int cw_check_bytes(const char *s, size_t n, vg_err *err)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && !cw_blank((char)c)) || c == 0x7f)
			return vg_seterr(err, VG_EINVAL, (int64_t)i,
					 "control character 0x%02x at %zu is not allowed in a pattern", c, i);
	}
	return 0;
}

int vg_cw_compile(const char *pattern, size_t n, vg_cw **out, vg_err *err)
{
	*out = NULL;
	if (n > VG_CW_MAX_PATTERN)
		return vg_seterr(err, VG_EINVAL, VG_CW_MAX_PATTERN,
				 "the pattern is %zu bytes long; CloudWatch allows at most %d", n,
				 VG_CW_MAX_PATTERN);
	if (n == 0)
		pattern = "";
	int rc = cw_check_bytes(pattern, n, err);
	if (rc)
		return rc;
	vg_cw *p = vg_xcalloc(1, sizeof *p);
	p->regex = -1;
	cw_ps ps = {.s = pattern, .n = n, .p = p, .err = err};
	cw_skip_blanks(&ps);
	if (ps.pos < n && pattern[ps.pos] == '{') {
		p->kind = VG_CW_JSON;
		rc = vg_cw_parse_json(&ps);
	} else if (ps.pos < n && pattern[ps.pos] == '[') {
		p->kind = VG_CW_DELIMITED;
		rc = vg_cw_parse_delim(&ps);
	} else {
		p->kind = VG_CW_TERMS;
		rc = vg_cw_parse_terms(&ps);
	}
	if (rc) {
		vg_cw_free(p);
		return rc;
	}
	cw_lits_build(p);
	*out = p;
	return 0;
}

int vg_cw_match(const vg_cw *p, const char *msg, size_t len)
{
	if (p->all)
		return 1;
	if (msg == NULL || len == 0) {
		msg = "";
		len = 0;
	}
	switch (p->kind) {
	case VG_CW_JSON: return vg_cw_match_json(p, msg, len);
	case VG_CW_DELIMITED: return vg_cw_match_delim(p, msg, len);
	default: return vg_cw_match_terms(p, msg, len);
	}
}

void vg_cw_free(vg_cw *p)
{
	if (p == NULL)
		return;
	for (int i = 0; i < p->nre; i++)
		pcre2_code_free(p->re[i]);
	pcre2_match_context_free(p->mctx);
	vg_arena_free(&p->arena);
	free(p);
}

int vg_cw_kind(const vg_cw *p)
{
	return p->kind;
}

int vg_cw_matches_all(const vg_cw *p)
{
	return p->all;
}

size_t vg_cw_required(const vg_cw *p, const vg_cw_lit **lits)
{
	*lits = p->lits;
	return p->nlits;
}

/* 1 if byte c splits tokens in store/bloom.h's tokenizer, asked through
 * its own definition so the two never disagree: c followed by a letter is
 * aligned at the letter only if c is a breaker. */
static int cw_breaker(char c)
{
	char two[2] = {c, 'a'};
	return vg_token_aligned(two, 2, 1, 1);
}

/* 1 if a JSON literal is made of characters no encoder escapes. */
static int cw_json_lit_plain(const vg_cw_lit *l)
{
	for (size_t i = 0; i < l->len; i++) {
		unsigned char c = (unsigned char)l->s[i];
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&')
			return 0;
	}
	return 1;
}

void vg_cw_required_tokens(const vg_cw *p, void (*fn)(uint64_t h, void *ctx), void *ctx)
{
	for (size_t k = 0; k < p->nlits; k++) {
		const vg_cw_lit *l = &p->lits[k];
		if (l->json && !cw_json_lit_plain(l))
			continue;
		/* A run of ordinary bytes is a token of the message only if both
		 * its ends are certain: a breaker inside the literal, or a bound
		 * of the literal. */
		size_t i = 0;
		while (i < l->len) {
			while (i < l->len && cw_breaker(l->s[i]))
				i++;
			size_t st = i;
			while (i < l->len && !cw_breaker(l->s[i]))
				i++;
			if (i > st && (st > 0 || l->bound_left) && (i < l->len || l->bound_right))
				fn(vg_token_hash(l->s + st, i - st), ctx);
		}
	}
}
