/*
 * qevstr.c — eval's text, regex, multivalue, address and conversion
 * functions (see qevint.h for the shared conventions).
 *
 * Text functions take the text of any single value (len(12345) is 5) and
 * give null for null and for a multivalue. Characters are UTF-8 code
 * points where Splunk counts characters (len, substr, like's `_`, split
 * on ""); a byte that is not part of valid UTF-8 counts as one character,
 * so any bytes of an event are handled. lower() and upper() change ASCII
 * letters only, and the character sets of trim() are sets of bytes.
 *
 * Results that are a part of a string argument (trim, substr, split,
 * mvindex) borrow its bytes, which live as long as the argument's owner;
 * new text goes to the evaluation's arena, at most VG_EVAL_MAX_STR bytes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "query/qevint.h"
#include "query/qparse.h"
#include "util/ip.h"

/* Steps of like() before it gives up with VG_ELIMIT, in the spirit of the
 * regex match limit: enough for any sane pattern on a 1 MiB value. */
#define LIKE_MAX_STEPS 50000000u

/* A part [off, off + n) of the text s of value v as a result: borrowed
 * when v is a string, else copied (the text of a number lives in a
 * caller's buffer). */
static int part(qev *x, const vg_expr *e, const vg_val *v, const char *s, size_t off, size_t n,
		vg_val *out)
{
	if (v->kind == VG_V_STR) {
		*out = vg_v_str(s + off, n);
		return 0;
	}
	return qev_strval(x, e, s + off, n, out);
}

/* A whole number from a value, truncated toward zero and clamped to
 * +-2^62: 1, or 0 when it is not a finite number. */
static int int_of(const vg_val *v, int64_t *out)
{
	vg_val n;
	if (!qev_num(v, &n))
		return 0;
	const int64_t lim = INT64_C(1) << 62;
	if (n.isint) {
		*out = n.i > lim ? lim : n.i < -lim ? -lim : n.i;
		return 1;
	}
	if (!isfinite(n.d))
		return 0;
	*out = n.d > 0x1p62 ? lim : n.d < -0x1p62 ? -lim : (int64_t)n.d;
	return 1;
}

/* ---------------------------------------------------------------- text */

int qev_fn_len(qev *x, const vg_expr *e, vg_val *out)
{
	vg_val v;
	char tmp[QEV_TMP];
	const char *s;
	size_t n;
	int rc = qev_expr(x, e->list.args[0], &v);
	if (rc == 0 && qev_text(&v, tmp, &s, &n))
		*out = vg_v_int((int64_t)qev_utf8_count(s, n));
	return rc;
}

static int change_case(qev *x, const vg_expr *e, int upper, vg_val *out)
{
	vg_val v;
	char tmp[QEV_TMP], *d = NULL;
	const char *s;
	size_t n;
	int rc = qev_expr(x, e->list.args[0], &v);
	if (rc < 0 || !qev_text(&v, tmp, &s, &n))
		return rc;
	if ((rc = qev_strbuf(x, e, n, &d)) < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (upper && c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (!upper && c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		d[i] = c;
	}
	*out = vg_v_str(d, n);
	return 0;
}

int qev_fn_lower(qev *x, const vg_expr *e, vg_val *out)
{
	return change_case(x, e, 0, out);
}

int qev_fn_upper(qev *x, const vg_expr *e, vg_val *out)
{
	return change_case(x, e, 1, out);
}

/* trim, ltrim, rtrim (s[, chars]): the bytes of chars (default space and
 * tab) removed from the left (sides & 1) and the right (sides & 2). */
static int trim(qev *x, const vg_expr *e, int sides, vg_val *out)
{
	vg_val v[2];
	char tmp[QEV_TMP], tmp2[QEV_TMP];
	const char *s, *cs = " \t";
	size_t n, cn = 2;
	int rc = qev_args(x, e, v, 2);
	if (rc < 0 || !qev_text(&v[0], tmp, &s, &n))
		return rc;
	if (e->list.n > 1 && !qev_text(&v[1], tmp2, &cs, &cn))
		return 0;
	unsigned char set[256] = {0};
	for (size_t i = 0; i < cn; i++)
		set[(unsigned char)cs[i]] = 1;
	size_t b = 0, end = n;
	if (sides & 1)
		while (b < end && set[(unsigned char)s[b]])
			b++;
	if (sides & 2)
		while (end > b && set[(unsigned char)s[end - 1]])
			end--;
	return part(x, e, &v[0], s, b, end - b, out);
}

int qev_fn_trim(qev *x, const vg_expr *e, vg_val *out)
{
	return trim(x, e, 3, out);
}

int qev_fn_ltrim(qev *x, const vg_expr *e, vg_val *out)
{
	return trim(x, e, 1, out);
}

int qev_fn_rtrim(qev *x, const vg_expr *e, vg_val *out)
{
	return trim(x, e, 2, out);
}

/* Byte offset of character k (<= the number of characters) of s. */
static size_t char_offset(const char *s, size_t n, int64_t k)
{
	size_t i = 0;
	for (; k > 0 && i < n; k--)
		i += qev_utf8_len(s + i, n - i);
	return i;
}

/* substr(s, start[, len]): characters from start (1 is the first; 0 is
 * read as 1; a negative start counts from the end, -1 the last) for len
 * characters or to the end. A negative len is null; a start past the end
 * gives "". */
int qev_fn_substr(qev *x, const vg_expr *e, vg_val *out)
{
	vg_val v[3];
	char tmp[QEV_TMP];
	const char *s;
	size_t n;
	int64_t start, len = -1;
	int rc = qev_args(x, e, v, 3);
	if (rc < 0 || !qev_text(&v[0], tmp, &s, &n) || !int_of(&v[1], &start))
		return rc;
	if (e->list.n > 2 && (!int_of(&v[2], &len) || len < 0))
		return 0;
	int64_t count = (int64_t)qev_utf8_count(s, n);
	int64_t b = start > 0 ? start - 1 : start == 0 ? 0 : count + start;
	if (b < 0)
		b = 0;
	if (b > count)
		b = count;
	int64_t end = e->list.n > 2 && len < count - b ? b + len : count;
	size_t ob = char_offset(s, n, b);
	size_t oe = ob + char_offset(s + ob, n - ob, end - b);
	return part(x, e, &v[0], s, ob, oe - ob, out);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* urldecode(s): %XX becomes the byte XX and + a space (query strings);
 * a % not followed by two hex digits stays as it is. */
int qev_fn_urldecode(qev *x, const vg_expr *e, vg_val *out)
{
	vg_val v;
	char tmp[QEV_TMP], *d = NULL;
	const char *s;
	size_t n, o = 0;
	int rc = qev_expr(x, e->list.args[0], &v);
	if (rc < 0 || !qev_text(&v, tmp, &s, &n))
		return rc;
	if ((rc = qev_strbuf(x, e, n, &d)) < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < n && (hi = hexval(s[i + 1])) >= 0 &&
		    (lo = hexval(s[i + 2])) >= 0) {
			d[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			d[o++] = s[i] == '+' ? ' ' : s[i];
		}
	}
	d[o] = 0;
	*out = vg_v_str(d, o);
	return 0;
}

/* ----------------------------------------------------------------- like */

/* 1 if s matches the SQL LIKE pattern p: % any run of characters, _ one
 * character, \% \_ \\ the character itself; everything else itself,
 * case-sensitively. The classic matcher that backtracks to the last %,
 * with a step bound: -1 when it is exhausted. */
static int like(const char *s, size_t sn, const char *p, size_t pn)
{
	size_t si = 0, pi = 0, star_p = SIZE_MAX, star_s = 0;
	uint64_t steps = 0;
	while (si < sn) {
		if (++steps > LIKE_MAX_STEPS)
			return -1;
		if (pi < pn && p[pi] == '%') {
			star_p = ++pi;
			star_s = si;
			continue;
		}
		if (pi < pn && p[pi] == '_') {
			si += qev_utf8_len(s + si, sn - si);
			pi++;
			continue;
		}
		if (pi < pn) {
			size_t w = 1;
			char c = p[pi];
			if (c == '\\' && pi + 1 < pn &&
			    (p[pi + 1] == '%' || p[pi + 1] == '_' || p[pi + 1] == '\\')) {
				c = p[pi + 1];
				w = 2;
			}
			if (s[si] == c) {
				si++;
				pi += w;
				continue;
			}
		}
		if (star_p == SIZE_MAX)
			return 0;
		star_s += qev_utf8_len(s + star_s, sn - star_s);
		si = star_s;
		pi = star_p;
	}
	while (pi < pn && p[pi] == '%')
		pi++;
	return pi == pn;
}

int qev_fn_like(qev *x, const vg_expr *e, vg_val *out)
{
	vg_val v[2];
	char t0[QEV_TMP], t1[QEV_TMP];
	const char *s, *p;
	size_t sn, pn;
	int rc = qev_args(x, e, v, 2);
	if (rc < 0 || !qev_text(&v[0], t0, &s, &sn) || !qev_text(&v[1], t1, &p, &pn))
		return rc;
	int m = like(s, sn, p, pn);
	if (m < 0)
		return qev_fail(x, VG_ELIMIT, e->oppos,
			       "the pattern of 'like' at %u needs more than %u steps to match",
			       e->oppos, LIKE_MAX_STEPS);
	*out = vg_v_bool(m);
	return 0;
}

/* -------------------------------------------------------------- regexes */

/* A regex as one call uses it: compiled by the parser (a literal), or
 * from a computed pattern now (freed by rx_done), with the match context
 * and data of the evaluation or made for the call. */
typedef struct rx {
	pcre2_code *code;
	pcre2_match_context *mctx;
	pcre2_match_data *md;
	uint8_t own_code, own_mctx, own_md;
} rx;

static void rx_done(rx *r)
{
	if (r->own_code)
		pcre2_code_free(r->code);
	if (r->own_mctx)
		pcre2_match_context_free(r->mctx);
	if (r->own_md)
		pcre2_match_data_free(r->md);
	memset(r, 0, sizeof *r);
}

/* Compile a pattern computed at run time as the parser compiles literals.
 * A pattern that does not compile makes the call null, as any argument
 * that does not apply: 0 with r->code NULL. */
static int rx_compile(qev *x, const vg_expr *e, const char *pat, size_t n, rx *r)
{
	if (n > VG_Q_MAX_LEN)
		return 0;
	pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
	if (cc == NULL)
		return qev_fail(x, VG_ENOMEM, e->pos, "out of memory at %u", e->pos);
	pcre2_set_parens_nest_limit(cc, VG_Q_MAX_DEPTH);
	int code;
	PCRE2_SIZE off;
	uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DUPNAMES;
	r->code = pcre2_compile((PCRE2_SPTR)pat, n, opts, &code, &off, cc);
	pcre2_compile_context_free(cc);
	if (r->code == NULL && code == PCRE2_ERROR_NOMEMORY)
		return qev_fail(x, VG_ENOMEM, e->pos, "out of memory at %u", e->pos);
	r->own_code = r->code != NULL;
	return 0;
}

/* Get the regex of argument k of call e: 0 with r->code set, 0 with
 * r->code NULL when the call is null, or an error. */
static int rx_get(qev *x, const vg_expr *e, uint32_t k, rx *r)
{
	const vg_expr *a = e->list.args[k];
	memset(r, 0, sizeof *r);
	if (a->kind == VG_EX_STR && a->lit.re != NULL) {
		r->code = a->lit.re->code;
	} else {
		vg_val v;
		char tmp[QEV_TMP];
		const char *s;
		size_t n;
		int rc = qev_expr(x, a, &v);
		if (rc < 0 || !qev_text(&v, tmp, &s, &n))
			return rc;
		if ((rc = rx_compile(x, e, s, n, r)) < 0 || r->code == NULL)
			return rc;
	}
	r->mctx = x->ctx->mctx;
	if (r->mctx == NULL) {
		r->mctx = vg_qregex_mctx();
		r->own_mctx = 1;
	}
	r->md = x->ctx->md;
	if (r->md == NULL) {
		r->md = pcre2_match_data_create(1, NULL);
		r->own_md = 1;
	}
	if (r->mctx == NULL || r->md == NULL) {
		rx_done(r);
		return qev_fail(x, VG_ENOMEM, e->pos, "out of memory at %u", e->pos);
	}
	return 0;
}

/* The error of a failed pcre2_match or pcre2_substitute (not NOMATCH). */
static int rx_fail(qev *x, const vg_expr *e, int prc)
{
	const char *what;
	switch (prc) {
	case PCRE2_ERROR_MATCHLIMIT: what = "match limit"; break;
	case PCRE2_ERROR_DEPTHLIMIT: what = "depth limit"; break;
	case PCRE2_ERROR_HEAPLIMIT: what = "memory limit"; break;
	case PCRE2_ERROR_JIT_STACKLIMIT: what = "stack limit"; break;
	case PCRE2_ERROR_NOMEMORY:
		return qev_fail(x, VG_ENOMEM, e->pos, "out of memory in '%s' at %u",
			       vg_fn_name(e->fn), e->pos);
	default: {
		char msg[160];
		if (pcre2_get_error_message(prc, (PCRE2_UCHAR *)msg, sizeof msg) < 0)
			snprintf(msg, sizeof msg, "error %d", prc);
		return qev_fail(x, VG_EINVAL, e->pos,
			       "the regular expression of '%s' at %u failed: %s", vg_fn_name(e->fn),
			       e->pos, msg);
	}
	}
	return qev_fail(x, VG_ELIMIT, e->pos,
		       "the regular expression of '%s' at %u hit its %s; simplify the pattern",
		       vg_fn_name(e->fn), e->pos, what);
}

/* JIT code runs on a small fixed stack (32 KiB) that an ordinary pattern
 * can exhaust on a long value; the interpreter, bounded by the match,
 * depth and heap limits instead, then takes over. */
static int rx_test(qev *x, const vg_expr *e, rx *r, const char *s, size_t n, int *hit)
{
	int prc = pcre2_match(r->code, (PCRE2_SPTR)s, n, 0, 0, r->md, r->mctx);
	if (prc == PCRE2_ERROR_JIT_STACKLIMIT)
		prc = pcre2_match(r->code, (PCRE2_SPTR)s, n, 0, PCRE2_NO_JIT, r->md, r->mctx);
	*hit = prc >= 0; /* 0: a match, with more groups than the ovector holds */
	if (prc >= 0 || prc == PCRE2_ERROR_NOMATCH)
		return 0;
	return rx_fail(x, e, prc);
}

/* match(s, regex): true when the regex matches somewhere in s (in one of
 * its values for a multivalue). */
int qev_fn_match(qev *x, const vg_expr *e, vg_val *out)
{
	vg_val v;
	int rc = qev_expr(x, e->list.args[0], &v);
	if (rc < 0 || v.kind == VG_V_NULL || (v.kind == VG_V_MV && v.nmv == 0))
		return rc;
	rx r;
	if ((rc = rx_get(x, e, 1, &r)) < 0 || r.code == NULL)
		return rc;
	const vg_val *vals = v.kind == VG_V_MV ? v.mv : &v;
	uint32_t nv = v.kind == VG_V_MV ? v.nmv : 1;
	int hit = 0;
	for (uint32_t k = 0; k < nv && !hit && rc == 0; k++) {
		char tmp[QEV_TMP];
		const char *s;
		size_t n;
		if (qev_text(&vals[k], tmp, &s, &n))
			rc = rx_test(x, e, &r, s, n, &hit);
	}
	rx_done(&r);
	if (rc == 0)
		*out = vg_v_bool(hit);
	return rc;
}

/* Splunk writes groups in a replacement as \1 .. \9, PCRE2 as ${1}: the
 * translation, with a literal $ doubled and \\ read as one backslash. */
static void repl_translate(const char *s, size_t n, vg_buf *b)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9') {
			vg_buf_printf(b, "${%c}", s[++i]);
		} else if (s[i] == '\\' && i + 1 < n && s[i + 1] == '\\') {
			vg_buf_putc(b, '\\');
			i++;
		} else if (s[i] == '$') {
			vg_buf_puts(b, "$$");
		} else {
			vg_buf_putc(b, (uint8_t)s[i]);
		}
	}
}

/* One pcre2_substitute into a buffer of cap bytes; the result in *out
 * when it fits. Returns PCRE2's code. */
static int substitute(qev *x, const vg_expr *e, rx *r, const char *s, size_t n, const vg_buf *rb,
		      size_t cap, vg_val *out, int *rc)
{
	char *buf = vg_xmalloc(cap);
	PCRE2_SIZE len = cap;
	uint32_t opts = PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_UNKNOWN_UNSET |
			PCRE2_SUBSTITUTE_UNSET_EMPTY;
	PCRE2_SPTR repl = rb->len ? (PCRE2_SPTR)rb->p : (PCRE2_SPTR) "";
	/* No match data: PCRE2 sizes one for the pattern's groups. As in
	 * rx_test, the interpreter takes over from JIT code out of stack. */
	int prc = pcre2_substitute(r->code, (PCRE2_SPTR)s, n, 0, opts, NULL, r->mctx, repl,
				   rb->len, (PCRE2_UCHAR *)buf, &len);
	if (prc == PCRE2_ERROR_JIT_STACKLIMIT) {
		len = cap;
		prc = pcre2_substitute(r->code, (PCRE2_SPTR)s, n, 0, opts | PCRE2_NO_JIT, NULL,
				       r->mctx, repl, rb->len, (PCRE2_UCHAR *)buf, &len);
	}
	*rc = 0;
	if (prc >= 0)
		*rc = qev_strval(x, e, buf, len, out);
	free(buf);
	return prc;
}

/* replace(s, regex, replacement): every match replaced, groups as \1. */
int qev_fn_replace(qev *x, const vg_expr *e, vg_val *out)
{
	vg_val v, w;
	char tmp[QEV_TMP], tmp2[QEV_TMP];
	const char *s, *rs;
	size_t n, rn;
	int rc = qev_expr(x, e->list.args[0], &v);
	if (rc < 0 || !qev_text(&v, tmp, &s, &n))
		return rc;
	if ((rc = qev_expr(x, e->list.args[2], &w)) < 0 || !qev_text(&w, tmp2, &rs, &rn))
		return rc;
	rx r;
	if ((rc = rx_get(x, e, 1, &r)) < 0 || r.code == NULL)
		return rc;
	vg_buf rb = {0};
	repl_translate(rs, rn, &rb);
	/* A first try sized for ordinary replacements; the largest result
	 * allowed only when that is too small. */
	size_t cap = n * 2 + rb.len + 64;
	if (cap > VG_EVAL_MAX_STR + 1)
		cap = VG_EVAL_MAX_STR + 1;
	int prc = substitute(x, e, &r, s, n, &rb, cap, out, &rc);
	if (prc == PCRE2_ERROR_NOMEMORY && cap < VG_EVAL_MAX_STR + 1)
		prc = substitute(x, e, &r, s, n, &rb, VG_EVAL_MAX_STR + 1, out, &rc);
	if (prc == PCRE2_ERROR_NOMEMORY)
		rc = qev_fail(x, VG_ELIMIT, e->pos,
			     "the result of 'replace' at %u is longer than %u bytes", e->pos,
			     VG_EVAL_MAX_STR);
	else if (prc < 0 && (prc == PCRE2_ERROR_MATCHLIMIT || prc == PCRE2_ERROR_DEPTHLIMIT ||
			     prc == PCRE2_ERROR_HEAPLIMIT || prc == PCRE2_ERROR_JIT_STACKLIMIT))
		rc = rx_fail(x, e, prc);
	/* Other failures (a replacement that is not valid UTF-8) are null. */
	vg_buf_free(&rb);
	rx_done(&r);
	return rc;
}

/* ----------------------------------------------------------- multivalues */

/* split(s, delim): the parts of s between occurrences of delim (empty
 * parts kept); an empty delim splits into characters. One part is a
 * single value. */
int qev_fn_split(qev *x, const vg_expr *e, vg_val *out)
{
	vg_val v[2];
	char t0[QEV_TMP], t1[QEV_TMP];
	const char *s, *d;
	size_t n, dn;
	int rc = qev_args(x, e, v, 2);
	if (rc < 0 || !qev_text(&v[0], t0, &s, &n) || !qev_text(&v[1], t1, &d, &dn))
		return rc;
	if (v[0].kind != VG_V_STR) { /* the parts borrow: keep the text */
		if ((rc = qev_strval(x, e, s, n, &v[0])) < 0)
			return rc;
		s = v[0].s;
	}
	size_t count = 1;
	if (dn == 0)
		count = n ? qev_utf8_count(s, n) : 1;
	else
		for (const char *p = s; count <= VG_EVAL_MAX_MV &&
					(p = memmem(p, n - (size_t)(p - s), d, dn)); p += dn)
			count++;
	if (count > VG_EVAL_MAX_MV)
		return qev_fail(x, VG_ELIMIT, e->pos, "'split' at %u gives more than %u values",
			       e->pos, VG_EVAL_MAX_MV);
	if (count == 1) {
		*out = v[0];
		return 0;
	}
	vg_val *mv = vg_arena_alloc(x->ctx->arena, count * sizeof *mv);
	size_t i = 0, k = 0;
	while (k < count) {
		size_t len;
		if (dn == 0) {
			len = qev_utf8_len(s + i, n - i);
		} else {
			const char *p = k + 1 < count ? memmem(s + i, n - i, d, dn) : NULL;
			len = p ? (size_t)(p - (s + i)) : n - i;
		}
		mv[k++] = vg_v_str(s + i, len);
		i += len + (dn ? dn : 0);
	}
	vg_val r = {0};
	r.kind = VG_V_MV;
	r.mv = mv;
	r.nmv = (uint32_t)count;
	*out = r;
	return 0;
}

/* mvcount(v): values in a multivalue, 1 for a single value, null for
 * null. */
int qev_fn_mvcount(qev *x, const vg_expr *e, vg_val *out)
{
	vg_val v;
	int rc = qev_expr(x, e->list.args[0], &v);
	if (rc < 0 || v.kind == VG_V_NULL || (v.kind == VG_V_MV && v.nmv == 0))
		return rc;
	*out = vg_v_int(v.kind == VG_V_MV ? v.nmv : 1);
	return 0;
}

/* mvindex(v, start[, end]): the value at start (0 the first, -1 the
 * last), or the values from start to end inclusive (an end past the last
 * value stops at it). A start outside the values, or an end before it,
 * is null. */
int qev_fn_mvindex(qev *x, const vg_expr *e, vg_val *out)
{
	vg_val v[3];
	int64_t start, end;
	int rc = qev_args(x, e, v, 3);
	if (rc < 0 || v[0].kind == VG_V_NULL || !int_of(&v[1], &start))
		return rc;
	const vg_val *vals = v[0].kind == VG_V_MV ? v[0].mv : &v[0];
	int64_t n = v[0].kind == VG_V_MV ? v[0].nmv : 1;
	if (start < 0)
		start += n;
	if (start < 0 || start >= n)
		return 0;
	end = start;
	if (e->list.n > 2) {
		if (!int_of(&v[2], &end))
			return 0;
		if (end < 0)
			end += n;
		if (end >= n)
			end = n - 1;
		if (end < start)
			return 0;
	}
	if (end == start) {
		*out = vals[start];
		return 0;
	}
	vg_val r = {0};
	r.kind = VG_V_MV;
	r.mv = vals + start;
	r.nmv = (uint32_t)(end - start + 1);
	*out = r;
	return 0;
}

/* -------------------------------------------------------------- networks */

/* A network `addr/bits` (IPv4 prefixes count from the IPv4 address) into
 * its 128-bit form: 1, or 0 when s is not one. */
static int parse_net(const char *s, size_t n, uint8_t ip[16], unsigned *bits)
{
	const char *slash = memchr(s, '/', n);
	if (slash == NULL)
		return 0;
	size_t a = (size_t)(slash - s), b = n - a - 1;
	unsigned v = 0;
	if (b == 0 || b > 3 || vg_ip_parse(s, a, ip) != 0)
		return 0;
	for (size_t i = a + 1; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	int v6 = memchr(s, ':', a) != NULL;
	if (v > (v6 ? 128u : 32u))
		return 0;
	*bits = v6 ? v : 96 + v;
	return 1;
}

static int in_net(const uint8_t ip[16], const uint8_t net[16], unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;
	if (memcmp(ip, net, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	uint8_t m = (uint8_t)(0xff00u >> rest);
	return (ip[full] & m) == (net[full] & m);
}

static int addr_in(const vg_val *v, const uint8_t net[16], unsigned bits)
{
	char tmp[QEV_TMP];
	const char *s;
	size_t n;
	uint8_t ip[16];
	return v->kind == VG_V_STR && qev_text(v, tmp, &s, &n) && vg_ip_parse(s, n, ip) == 0 &&
	       in_net(ip, net, bits);
}

/* cidrmatch(network, ip): true when ip (text; in one of its values for a
 * multivalue) is an address inside network, IPv4 or IPv6; false for a
 * value that is no address; null for a null ip or a bad network. */
int qev_fn_cidrmatch(qev *x, const vg_expr *e, vg_val *out)
{
	const vg_expr *a = e->list.args[0];
	uint8_t net[16];
	unsigned bits;
	vg_val v[2];
	int rc = qev_args(x, e, v, 2);
	if (rc < 0 || v[1].kind == VG_V_NULL)
		return rc;
	if (a->kind == VG_EX_STR && (a->lit.flags & VG_QV_CIDR)) {
		memcpy(net, a->lit.ip, 16);
		bits = a->lit.bits;
	} else {
		char tmp[QEV_TMP];
		const char *s;
		size_t n;
		if (!qev_text(&v[0], tmp, &s, &n) || !parse_net(s, n, net, &bits))
			return 0;
	}
	const vg_val *vals = v[1].kind == VG_V_MV ? v[1].mv : &v[1];
	uint32_t nv = v[1].kind == VG_V_MV ? v[1].nmv : 1;
	int hit = 0;
	for (uint32_t k = 0; k < nv && !hit; k++)
		hit = addr_in(&vals[k], net, bits);
	*out = vg_v_bool(hit);
	return 0;
}

/* ----------------------------------------------------------- conversions */

static int digit_in(char c, int base)
{
	int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'z' ? c - 'a' + 10
		: c >= 'A' && c <= 'Z' ? c - 'A' + 10 : 99;
	return d < base ? d : -1;
}

/* An integer written in base (2..36), with optional sign, surrounding
 * spaces and (base 16) 0x: 1, or 0 when s is not one or does not fit. */
static int parse_base(const char *s, size_t n, int base, vg_val *out)
{
	size_t i = 0;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	int neg = i < n && s[i] == '-';
	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	if (base == 16 && i + 1 < n && s[i] == '0' && (s[i + 1] | 0x20) == 'x')
		i += 2;
	if (i == n)
		return 0;
	uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		int d = digit_in(s[i], base);
		if (d < 0 || v > (lim - (uint64_t)d) / (uint64_t)base)
			return 0;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	*out = vg_v_int(neg ? (int64_t)(0 - v) : (int64_t)v);
	return 1;
}

/* tonumber(s[, base]): the number s reads as (base 10: any decimal
 * number, vg_val_parse_num; other bases 2..36: integers), else null. */
int qev_fn_tonumber(qev *x, const vg_expr *e, vg_val *out)
{
	vg_val v[2];
	int64_t base = 10;
	int rc = qev_args(x, e, v, 2);
	if (rc < 0 || (e->list.n > 1 && !int_of(&v[1], &base)) || base < 2 || base > 36)
		return rc;
	if (v[0].kind == VG_V_NUM && base == 10) {
		*out = v[0];
		return 0;
	}
	char tmp[QEV_TMP];
	const char *s;
	size_t n;
	if (v[0].kind == VG_V_BOOL || !qev_text(&v[0], tmp, &s, &n))
		return 0;
	if (base == 10)
		vg_val_parse_num(s, n, out);
	else
		parse_base(s, n, (int)base, out);
	return 0;
}

/* Digits with a comma every three from the right, after an optional '-'. */
static void put_grouped(vg_buf *b, const char *s, size_t n)
{
	if (n > 0 && s[0] == '-') {
		vg_buf_putc(b, '-');
		s++;
		n--;
	}
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			vg_buf_putc(b, ',');
		vg_buf_putc(b, (uint8_t)s[i]);
	}
}

/* tostring(x, "commas"): 12345 as 12,345; a fraction rounded to two
 * decimals (12,345.68). */
static void fmt_commas(const vg_val *n, vg_buf *b)
{
	char buf[400];
	int len = n->isint ? snprintf(buf, sizeof buf, "%lld", (long long)n->i)
			   : snprintf(buf, sizeof buf, "%.2f", n->d);
	if (len <= 0 || (size_t)len >= sizeof buf)
		return;
	const char *dot = memchr(buf, '.', (size_t)len);
	size_t ip = dot ? (size_t)(dot - buf) : (size_t)len;
	put_grouped(b, buf, ip);
	vg_buf_put(b, buf + ip, (size_t)len - ip);
}

/* tostring(x, "duration"): seconds as [D+]HH:MM:SS[.ffffff]. 1: done, 0:
 * out of range. */
static int fmt_duration(const vg_val *n, vg_buf *b)
{
	const double lim = 1e12; /* 31,000 years, in microseconds within int64 */
	if (!(n->d > -lim && n->d < lim))
		return 0;
	int64_t us = n->isint ? n->i * 1000000 : llround(n->d * 1e6);
	const char *sign = us < 0 ? "-" : "";
	if (us < 0)
		us = -us;
	int64_t secs = us / 1000000, days = secs / 86400;
	if (days)
		vg_buf_printf(b, "%s%lld+", sign, (long long)days);
	else
		vg_buf_puts(b, sign);
	vg_buf_printf(b, "%02d:%02d:%02d", (int)(secs / 3600 % 24), (int)(secs / 60 % 60),
		      (int)(secs % 60));
	if (us % 1000000)
		vg_buf_printf(b, ".%06lld", (long long)(us % 1000000));
	return 1;
}

/* tostring(x, "hex"): the integer part as 0x and upper-case digits. */
static int fmt_hex(const vg_val *n, vg_buf *b)
{
	int64_t i;
	if (n->isint)
		i = n->i;
	else if (n->d > -0x1p63 && n->d < 0x1p63)
		i = (int64_t)n->d;
	else
		return 0;
	uint64_t m = i < 0 ? 0 - (uint64_t)i : (uint64_t)i;
	vg_buf_printf(b, "%s0x%llX", i < 0 ? "-" : "", (unsigned long long)m);
	return 1;
}

static int fmt_is(const char *s, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(s, name, n) == 0;
}

/* tostring(x[, format]): the text of x (null stays null); with "hex",
 * "commas" or "duration" a number formatted so (else null). */
int qev_fn_tostring(qev *x, const vg_expr *e, vg_val *out)
{
	vg_val v[2], n;
	char tmp[QEV_TMP], tmp2[QEV_TMP];
	const char *s, *f;
	size_t sn, fn;
	int rc = qev_args(x, e, v, 2);
	if (rc < 0)
		return rc;
	if (e->list.n < 2) {
		if (!qev_text(&v[0], tmp, &s, &sn))
			return 0;
		return v[0].kind == VG_V_STR ? (*out = v[0], 0) : qev_strval(x, e, s, sn, out);
	}
	if (!qev_num(&v[0], &n) || !qev_text(&v[1], tmp2, &f, &fn))
		return 0;
	vg_buf b = {0};
	int ok = 1;
	if (fmt_is(f, fn, "hex"))
		ok = fmt_hex(&n, &b);
	else if (fmt_is(f, fn, "commas"))
		fmt_commas(&n, &b);
	else if (fmt_is(f, fn, "duration"))
		ok = fmt_duration(&n, &b);
	else
		ok = 0;
	if (ok && b.len > 0)
		rc = qev_strval(x, e, b.p, b.len, out);
	vg_buf_free(&b);
	return rc;
}
