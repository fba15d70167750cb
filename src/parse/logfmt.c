/*
 * logfmt.c — `key=value key2="quoted \"value\"" flag` lines, as written by
 * Heroku, Go's logfmt and slog text handlers, Grafana, Prometheus ...
 *
 * Each pair becomes a field named by its key. A bare value that is a whole
 * decimal integer (no leading zeros, within int64) is an int; anything
 * else is a string. A quoted value is always a string: the writer quoted
 * it, and `zip="01234"` must keep its zero. A key without `=` is a flag
 * and reads as the string "true".
 *
 * The event time comes from the first `time`, `ts`, `timestamp` or `t`
 * key whose value is a time: ISO-8601, or epoch seconds, milliseconds,
 * microseconds or nanoseconds told apart by magnitude (optionally with a
 * fraction); else from an ISO timestamp that starts the line (`2024-01-02
 * T03:04:05Z level=info ...`, as some loggers prefix); else the ingest
 * time.
 *
 * Malformed pairs (a value with no key, an unterminated quote) keep the
 * event and everything that did parse, with `_parse_error` saying what
 * was wrong; a line with no `=` at all is not logfmt and becomes a raw
 * event with `_parse_error`.
 */
#include "parse/parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/timeutil.h"

/* Per-input state: a scratch buffer for unescaped quoted values, kept so
 * that lines need no allocation of their own. */
typedef struct lf_state {
	vg_buf tmp;
} lf_state;

typedef struct lf_line {
	vg_parse_ctx *ctx;
	lf_state *st;
	const char *s;
	size_t n, i;
	int has_time;
	int64_t t;
	const char *err;    /* the first problem found, or NULL */
	char errbuf[160];
} lf_line;

static int is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The integer that is all of s (`-?[1-9][0-9]*` or `0`, within int64),
 * in *v; returns 0, or -1 when s is not such an integer. */
static int whole_int(const char *s, size_t n, int64_t *v)
{
	size_t i = n > 0 && s[0] == '-';
	if (i == n || n - i > 19 || (s[i] == '0' && n - i > 1) || (i == 1 && s[1] == '0'))
		return -1;
	uint64_t u = 0;
	for (; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		u = u * 10 + (uint64_t)(s[i] - '0');
	}
	if (u > (uint64_t)INT64_MAX)
		return -1;
	*v = s[0] == '-' ? -(int64_t)u : (int64_t)u;
	return 0;
}

/* An epoch number (`1700000000`, `1700000000.25`, `1700000000123`) as ns.
 * The unit comes from the magnitude: below 1e11 seconds, below 1e14
 * milliseconds, below 1e17 microseconds, else nanoseconds. Returns 0, or
 * -1 when s is not such a number or the time does not fit. */
static int epoch_ns(const char *s, size_t n, int64_t *ns)
{
	size_t i = 0;
	uint64_t v = 0;
	while (i < n && is_digit(s[i]) && i < 19)
		v = v * 10 + (uint64_t)(s[i++] - '0');
	if (i == 0 || (i < n && s[i] != '.'))
		return -1;
	int64_t unit = v < UINT64_C(100000000000)	       ? VG_NS_PER_SEC
		       : v < UINT64_C(100000000000000)	       ? 1000000
		       : v < UINT64_C(100000000000000000) ? 1000
							      : 1;
	/* Room for the fraction too, which adds less than one unit. */
	if (v >= (uint64_t)(INT64_MAX / unit))
		return -1;
	int64_t t = (int64_t)v * unit;
	if (i < n) {
		size_t f0 = ++i;
		for (int64_t scale = unit / 10; i < n && is_digit(s[i]); i++, scale /= 10)
			t += (s[i] - '0') * scale;
		if (i == f0 || i < n)
			return -1;
	}
	*ns = t;
	return 0;
}

/* The time a value denotes, or -1 if it is none. */
static int value_time(const char *s, size_t n, int64_t *ns)
{
	if (n >= 10 && vg_parse_iso8601(s, n, ns) == n)
		return 0;
	return epoch_ns(s, n, ns);
}

static int is_time_key(const char *k, size_t n)
{
	return (n == 4 && memcmp(k, "time", 4) == 0) || (n == 2 && memcmp(k, "ts", 2) == 0) ||
	       (n == 9 && memcmp(k, "timestamp", 9) == 0) || (n == 1 && k[0] == 't');
}

/* Note the first problem of the line (later ones are usually its echo). */
__attribute__((format(printf, 2, 3))) static void problem(lf_line *L, const char *fmt, ...)
{
	if (L->err != NULL)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(L->errbuf, sizeof L->errbuf, fmt, ap);
	va_end(ap);
	L->err = L->errbuf;
}

/* Read a quoted value starting at the opening quote; unescape it into the
 * scratch buffer. Returns 0, or -1 if the line ends before the closing
 * quote (the value is then the rest of the line). */
static int read_quoted(lf_line *L)
{
	vg_buf *b = &L->st->tmp;
	vg_buf_clear(b);
	L->i++;
	while (L->i < L->n) {
		char c = L->s[L->i++];
		if (c == '"')
			return 0;
		if (c == '\\' && L->i < L->n) {
			char e = L->s[L->i++];
			switch (e) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case '"':
			case '\\': c = e; break;
			default:
				/* Not an escape logfmt knows: keep it as written. */
				vg_buf_putc(b, '\\');
				c = e;
				break;
			}
		}
		vg_buf_putc(b, (uint8_t)c);
	}
	return -1;
}

/* Set field key to a value; bare values may be ints, and time keys may
 * give the event its time. */
static void put_pair(lf_line *L, const char *k, size_t kn, const char *v, size_t vn, int quoted)
{
	vg_batch *b = L->ctx->out;
	uint32_t fid = vg_batch_field(b, k, kn);
	int64_t iv;
	if (!quoted && whole_int(v, vn, &iv) == 0)
		vg_ev_int(b, fid, iv);
	else
		vg_ev_str(b, fid, v, vn);
	if (!L->has_time && is_time_key(k, kn) && value_time(v, vn, &L->t) == 0)
		L->has_time = 1;
}

/* Skip a token that cannot be a pair (a stray value or quote). */
static void skip_token(lf_line *L)
{
	if (L->s[L->i] == '"') {
		read_quoted(L);
		return;
	}
	while (L->i < L->n && !is_ws(L->s[L->i]))
		L->i++;
}

/* Parse the pair or flag starting at L->i. */
static void parse_pair(lf_line *L)
{
	const char *s = L->s;
	size_t k0 = L->i;
	while (L->i < L->n && !is_ws(s[L->i]) && s[L->i] != '=' && s[L->i] != '"')
		L->i++;
	size_t kn = L->i - k0;
	if (kn == 0 || (L->i < L->n && s[L->i] == '"')) {
		problem(L, "logfmt: \"%.*s\" at byte %zu is not key=value",
			(int)(kn > 0 ? (kn > 64 ? 64 : kn) : 1), s + k0, k0);
		skip_token(L);
		return;
	}
	if (L->i == L->n || s[L->i] != '=') {
		put_pair(L, s + k0, kn, "true", 4, 1);
		return;
	}
	L->i++;
	if (L->i < L->n && s[L->i] == '"') {
		if (read_quoted(L) != 0)
			problem(L, "logfmt: the quoted value of %.*s (byte %zu) has no closing quote",
				(int)(kn > 64 ? 64 : kn), s + k0, k0);
		put_pair(L, s + k0, kn, (const char *)L->st->tmp.p, L->st->tmp.len, 1);
		return;
	}
	size_t v0 = L->i;
	while (L->i < L->n && !is_ws(s[L->i]))
		L->i++;
	put_pair(L, s + k0, kn, s + v0, L->i - v0, 0);
}

/* Parse one non-blank line into one event. */
static void parse_line(vg_parse_ctx *ctx, lf_state *st, uint32_t group, const char *s, size_t n)
{
	vg_batch *b = ctx->out;
	vg_ev_begin(b, group, ctx->now_ns, s, n);
	if (memchr(s, '=', n) == NULL) {
		vg_ev_parse_error(b, "not logfmt: the line has no key=value pair");
		vg_ev_end(b);
		return;
	}
	lf_line L = {.ctx = ctx, .st = st, .s = s, .n = n};
	while (L.i < n && is_ws(s[L.i]))
		L.i++;
	int64_t lead;
	size_t k = vg_parse_iso8601(s + L.i, n - L.i, &lead);
	int has_lead = k >= 16 && (L.i + k == n || is_ws(s[L.i + k]));
	if (has_lead)
		L.i += k;
	for (;;) {
		while (L.i < n && is_ws(s[L.i]))
			L.i++;
		if (L.i == n)
			break;
		parse_pair(&L);
	}
	if (L.has_time)
		vg_ev_settime(b, L.t);
	else if (has_lead)
		vg_ev_settime(b, lead);
	if (L.err != NULL)
		vg_ev_parse_error(b, L.err);
	vg_ev_end(b);
}

static void free_state(void *p)
{
	lf_state *st = p;
	vg_buf_free(&st->tmp);
	free(st);
}

/* Parse a chunk of whole lines (the last may lack its newline). */
static int lf_parse(vg_parse_ctx *ctx, const char *buf, size_t len)
{
	if (ctx->state == NULL) {
		ctx->state = vg_xcalloc(1, sizeof(lf_state));
		ctx->free_state = free_state;
	}
	lf_state *st = ctx->state;
	uint32_t group = vg_parse_group(ctx, "logfmt");
	size_t pos = 0;
	while (pos < len) {
		const char *line = buf + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		pos += n + (nl != NULL);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (vg_line_blank(line, n))
			continue;
		parse_line(ctx, st, group, line, n);
	}
	return 0;
}

/* 1 if a detection token is `key=...` with an identifier-like key. */
static int is_pair_token(const char *s, size_t n)
{
	size_t i = 0;
	char c = n ? s[0] : 0;
	if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'))
		return 0;
	while (i < n && s[i] != '=') {
		c = s[i++];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' ||
		      c == '.' || c == '-' || c == '/'))
			return 0;
	}
	return i < n;
}

/* 1 if most of the line's tokens (quoted values count as part of their
 * token) are key=value pairs. */
static int looks_like_logfmt(const char *s, size_t n)
{
	int tokens = 0, pairs = 0;
	size_t i = 0;
	for (;;) {
		while (i < n && is_ws(s[i]))
			i++;
		if (i == n)
			break;
		size_t t0 = i;
		while (i < n && !is_ws(s[i])) {
			if (s[i++] != '"')
				continue;
			while (i < n && s[i] != '"')
				i += s[i] == '\\' ? 2 : 1;
			i = i < n ? i + 1 : n;
		}
		tokens++;
		pairs += is_pair_token(s + t0, i - t0);
	}
	return pairs > 0 && pairs * 2 > tokens;
}

/* Confidence that buf is logfmt: the share of its first lines in which
 * most tokens are key=value. */
static int lf_look(void *ctx, const char *line, size_t n, int index)
{
	(void)ctx;
	(void)index;
	return looks_like_logfmt(line, n);
}

static int lf_detect(const char *buf, size_t len)
{
	return vg_detect_lines(buf, len, 50, lf_look, NULL, 80, 60, 10);
}

const vg_format vg_fmt_logfmt = {
	.name = "logfmt",
	.line_oriented = 1,
	.detect = lf_detect,
	.parse = lf_parse,
};
