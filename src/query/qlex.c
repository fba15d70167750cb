/*
 * qlex.c — one token at a time, in the mode the parser asks for (qlex.h
 * says why the language needs modes).
 */
#include "query/qlex.h"

#include <string.h>

/* Bytes [i, i + k) are one well-formed UTF-8 character of length k > 1. */
static int utf8_char(const unsigned char *u, size_t n, size_t i, size_t *k)
{
	unsigned char c = u[i];
	size_t len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
	if (len == 0 || c > 0xf4 || i + len > n)
		return 0;
	for (size_t j = 1; j < len; j++)
		if ((u[i + j] & 0xc0) != 0x80)
			return 0;
	*k = len;
	return 1;
}

size_t ql_echo(char *buf, size_t size, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0, i = 0, k;
	buf[o++] = '\'';
	while (i < n && o + 12 < size) {
		if (u[i] >= 0x20 && u[i] < 0x7f) {
			buf[o++] = (char)u[i++];
		} else if (u[i] >= 0x80 && utf8_char(u, n, i, &k)) {
			memcpy(buf + o, s + i, k);
			o += k;
			i += k;
		} else {
			static const char hex[] = "0123456789abcdef";
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[u[i] >> 4];
			buf[o++] = hex[u[i] & 15];
			i++;
		}
	}
	if (i < n) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '\'';
	buf[o] = 0;
	return o;
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Letters, `_` and every non-ASCII byte (names in UTF-8) start a name. */
static int name_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static int name_char(unsigned char c)
{
	return name_start(c) || is_digit(c);
}

static int set(qtok *t, qt_kind k, uint32_t pos, uint32_t end)
{
	t->kind = (uint8_t)k;
	t->pos = pos;
	t->end = end;
	return 0;
}

/* A quoted string or name from s[pos] (the quote q) to its closing quote. */
static int lex_quoted(const char *s, uint32_t n, uint32_t pos, char q, qt_kind k, qtok *t,
		      vg_err *err)
{
	uint32_t i = pos + 1;
	while (i < n && s[i] != q)
		i += (s[i] == '\\' && i + 1 < n) ? 2 : 1;
	if (i >= n)
		return vg_seterr(err, VG_EINVAL, pos, "unterminated %s starting at %u",
				 q == '"' ? "string" : "quoted name", pos);
	return set(t, k, pos, i + 1);
}

/* The comparison operators shared by the search and expression modes;
 * returns 1 and fills t when s[i] starts one. */
static int lex_cmp(const char *s, uint32_t n, uint32_t i, qtok *t)
{
	char c = s[i], d = i + 1 < n ? s[i + 1] : 0;
	if (c == '=')
		return set(t, d == '=' ? QT_EQEQ : QT_EQ, i, i + (d == '=' ? 2 : 1)) == 0;
	if (c == '!' && d == '=')
		return set(t, QT_NE, i, i + 2) == 0;
	if (c == '<')
		return set(t, d == '=' ? QT_LE : QT_LT, i, i + (d == '=' ? 2 : 1)) == 0;
	if (c == '>')
		return set(t, d == '=' ? QT_GE : QT_GT, i, i + (d == '=' ? 2 : 1)) == 0;
	return 0;
}

/* Bytes that end a bare word in each mode (spaces end every word). */
static int word_stop(ql_mode m, const char *s, uint32_t n, uint32_t i)
{
	unsigned char c = (unsigned char)s[i];
	if (ql_space(c) || c == '|' || c == '(' || c == ')' || c == '"')
		return 1;
	switch (m) {
	case QL_SEARCH:
		return c == '=' || c == '<' || c == '>' || c == '~' ||
		       (c == '!' && i + 1 < n && s[i + 1] == '=');
	case QL_ARGS:
		return c == ',' || c == '=';
	default:
		return 0;
	}
}

static int lex_word(const char *s, uint32_t n, uint32_t pos, ql_mode m, qtok *t)
{
	uint32_t i = pos;
	while (i < n && !word_stop(m, s, n, i))
		i++;
	return set(t, QT_WORD, pos, i);
}

/* A number: digits, an optional fraction and exponent. Digits running into
 * letters are a name that needs quotes, which Splunk users meet with
 * fields like 5minutes. */
static int lex_number(const char *s, uint32_t n, uint32_t pos, qtok *t, vg_err *err)
{
	uint32_t i = pos;
	while (i < n && is_digit((unsigned char)s[i]))
		i++;
	if (i + 1 < n && s[i] == '.' && is_digit((unsigned char)s[i + 1])) {
		i++;
		while (i < n && is_digit((unsigned char)s[i]))
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		uint32_t j = i + 1;
		if (j < n && (s[j] == '+' || s[j] == '-'))
			j++;
		if (j < n && is_digit((unsigned char)s[j])) {
			i = j;
			while (i < n && is_digit((unsigned char)s[i]))
				i++;
		}
	}
	if (i < n && name_char((unsigned char)s[i])) {
		uint32_t j = i;
		while (j < n && name_char((unsigned char)s[j]))
			j++;
		char w[QL_ECHO_MAX];
		ql_echo(w, sizeof w, s + pos, j - pos);
		return vg_seterr(err, VG_EINVAL, pos,
				 "bad number %s at %u; a field name that starts with a digit "
				 "needs single quotes around it",
				 w, pos);
	}
	return set(t, QT_NUM, pos, i);
}

/* A name in an expression: name characters, with `.` and `[N]` inside
 * (userIdentity.type, resources[0].ARN: the flattened JSON names). */
static int lex_ident(const char *s, uint32_t n, uint32_t pos, qtok *t)
{
	uint32_t i = pos + 1;
	for (;;) {
		if (i < n && name_char((unsigned char)s[i])) {
			i++;
		} else if (i + 1 < n && s[i] == '.' && name_char((unsigned char)s[i + 1])) {
			i += 2;
		} else if (i + 2 < n && s[i] == '[' && is_digit((unsigned char)s[i + 1])) {
			uint32_t j = i + 1;
			while (j < n && is_digit((unsigned char)s[j]))
				j++;
			if (j >= n || s[j] != ']')
				break;
			i = j + 1;
		} else {
			break;
		}
	}
	return set(t, QT_IDENT, pos, i);
}

static int lex_expr(const char *s, uint32_t n, uint32_t i, qtok *t, vg_err *err)
{
	unsigned char c = (unsigned char)s[i];
	char d = i + 1 < n ? s[i + 1] : 0;
	if (lex_cmp(s, n, i, t))
		return 0;
	if (is_digit(c))
		return lex_number(s, n, i, t, err);
	if (name_start(c))
		return lex_ident(s, n, i, t);
	switch (c) {
	case ',': return set(t, QT_COMMA, i, i + 1);
	case '+': return set(t, QT_PLUS, i, i + 1);
	case '-': return set(t, QT_MINUS, i, i + 1);
	case '*': return set(t, QT_STAR, i, i + 1);
	case '/': return set(t, QT_SLASH, i, i + 1);
	case '%': return set(t, QT_PCT, i, i + 1);
	case '.': return set(t, QT_DOT, i, i + 1);
	case '!': return set(t, QT_BANG, i, i + 1);
	case '\'': return lex_quoted(s, n, i, '\'', QT_QNAME, t, err);
	case '&':
		if (d == '&')
			return set(t, QT_ANDAND, i, i + 2);
		break;
	default:
		break;
	}
	/* Bytes >= 0x80 start names, so only ASCII gets here. */
	char w[QL_ECHO_MAX];
	ql_echo(w, sizeof w, s + i, 1);
	return vg_seterr(err, VG_EINVAL, i, "unexpected character %s at %u", w, i);
}

int ql_lex(const char *s, uint32_t n, uint32_t pos, ql_mode m, qtok *t, vg_err *err)
{
	uint32_t i = pos;
	while (i < n && ql_space((unsigned char)s[i]))
		i++;
	if (i >= n)
		return set(t, QT_EOF, n, n);
	char c = s[i];
	if (c == '|') {
		if (m == QL_EXPR && i + 1 < n && s[i + 1] == '|')
			return set(t, QT_OROR, i, i + 2);
		return set(t, QT_PIPE, i, i + 1);
	}
	if (c == '(')
		return set(t, QT_LP, i, i + 1);
	if (c == ')')
		return set(t, QT_RP, i, i + 1);
	if (c == '"')
		return lex_quoted(s, n, i, '"', QT_STR, t, err);
	switch (m) {
	case QL_SEARCH:
		if (lex_cmp(s, n, i, t))
			return 0;
		if (c == '~')
			return set(t, QT_TILDE, i, i + 1);
		return lex_word(s, n, i, m, t);
	case QL_VALUE:
		return lex_word(s, n, i, m, t);
	case QL_EXPR:
		return lex_expr(s, n, i, t, err);
	case QL_ARGS:
		if (c == ',')
			return set(t, QT_COMMA, i, i + 1);
		if (c == '=')
			return set(t, QT_EQ, i, i + 1);
		if (c == '\'')
			return lex_quoted(s, n, i, '\'', QT_QNAME, t, err);
		return lex_word(s, n, i, m, t);
	}
	return lex_word(s, n, i, m, t);
}
