/*
 * qvalue.c — the values a query computes with (qvalue.h): their text,
 * their order, their truth, and numbers read from text.
 *
 * Field values often arrive as text (a float from a logfmt line, a port in
 * a JSON string), so the evaluator reads a string as a number wherever a
 * number is wanted; vg_val_parse_num is that reading, strict enough that
 * an address or a hex id ("0x1F", "10.0.0.1") stays text.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/qevint.h"
#include "util/num.h"

/* Longest text read as a number: more digits than a double holds are
 * allowed (leading zeros), but not without end. */
#define NUM_MAX_LEN 400

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int vg_val_parse_num(const char *s, size_t len, vg_val *out)
{
	while (len > 0 && is_space(s[0])) {
		s++;
		len--;
	}
	while (len > 0 && is_space(s[len - 1]))
		len--;
	int integral;
	if (len == 0 || len > NUM_MAX_LEN || !vg_num_syntax(s, len, &integral))
		return 0;
	int64_t i;
	if (integral && vg_num_int64(s, len, &i) == 0) {
		*out = vg_v_int(i);
		return 1;
	}
	/* strtod needs a terminated string; it reads "." as the decimal point
	 * because vigil never changes the C locale. */
	char buf[NUM_MAX_LEN + 1];
	memcpy(buf, s, len);
	buf[len] = 0;
	double d = strtod(buf, NULL);
	if (!isfinite(d))
		return 0;
	*out = vg_v_dbl(d);
	return 1;
}

size_t qev_numtext(const vg_val *v, char *buf)
{
	int n;
	if (v->isint)
		n = snprintf(buf, QEV_TMP, "%lld", (long long)v->i);
	else if (isnan(v->d))
		n = snprintf(buf, QEV_TMP, "nan");
	else if (isinf(v->d))
		n = snprintf(buf, QEV_TMP, "%s", v->d < 0 ? "-inf" : "inf");
	else if (v->d == 0)
		n = snprintf(buf, QEV_TMP, "0"); /* not "-0" */
	else
		n = snprintf(buf, QEV_TMP, "%.15g", v->d);
	return n > 0 ? (size_t)n : 0;
}

int qev_text(const vg_val *v, char *tmp, const char **s, size_t *n)
{
	switch (v->kind) {
	case VG_V_STR:
		*s = v->len ? v->s : "";
		*n = v->len;
		return 1;
	case VG_V_NUM:
		*n = qev_numtext(v, tmp);
		*s = tmp;
		return 1;
	case VG_V_BOOL:
		*s = v->i ? "true" : "false";
		*n = strlen(*s);
		return 1;
	default:
		return 0;
	}
}

void vg_val_text(const vg_val *v, vg_buf *out)
{
	char tmp[QEV_TMP];
	const char *s;
	size_t n;
	if (v->kind == VG_V_MV) {
		for (uint32_t k = 0; k < v->nmv; k++) {
			if (k)
				vg_buf_putc(out, '\n');
			vg_val_text(&v->mv[k], out);
		}
		return;
	}
	if (qev_text(v, tmp, &s, &n))
		vg_buf_put(out, s, n);
}

int vg_val_true(const vg_val *v)
{
	if (v->kind == VG_V_BOOL)
		return v->i != 0;
	if (v->kind == VG_V_NUM)
		return v->isint ? v->i != 0 : (v->d != 0 && !isnan(v->d));
	return 0;
}

int qev_num(const vg_val *v, vg_val *out)
{
	if (v->kind == VG_V_NUM) {
		*out = *v;
		return 1;
	}
	if (v->kind == VG_V_STR)
		return vg_val_parse_num(v->s, v->len, out);
	return 0;
}

vg_val qev_dbl(double d)
{
	return isnan(d) ? vg_v_null() : vg_v_dbl(d);
}

vg_val qev_dbl_int(double d)
{
	/* 2^63 is exact in a double; every integral double below it in
	 * magnitude converts exactly. */
	if (d == floor(d) && d >= -0x1p63 && d < 0x1p63)
		return vg_v_int((int64_t)d);
	return qev_dbl(d);
}

size_t qev_utf8_len(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t k;
	if (u[0] < 0x80)
		return 1;
	if (u[0] >= 0xC2 && u[0] <= 0xDF)
		k = 2;
	else if (u[0] >= 0xE0 && u[0] <= 0xEF)
		k = 3;
	else if (u[0] >= 0xF0 && u[0] <= 0xF4)
		k = 4;
	else
		return 1;
	if (n < k)
		return 1;
	for (size_t i = 1; i < k; i++)
		if ((u[i] & 0xC0) != 0x80)
			return 1;
	/* Overlong forms, surrogates and code points past U+10FFFF. */
	if ((u[0] == 0xE0 && u[1] < 0xA0) || (u[0] == 0xED && u[1] >= 0xA0) ||
	    (u[0] == 0xF0 && u[1] < 0x90) || (u[0] == 0xF4 && u[1] >= 0x90))
		return 1;
	return k;
}

size_t qev_utf8_count(const char *s, size_t n)
{
	size_t count = 0;
	for (size_t i = 0; i < n; i += qev_utf8_len(s + i, n - i))
		count++;
	return count;
}

/* ---------------------------------------------------------------- order */

/* An int64 against a double equal to it once converted: the double may
 * still be larger (2^63) or differ below its precision. */
static int cmp_int_dbl(int64_t i, double d)
{
	if (d >= 0x1p63)
		return -1;
	int64_t di = (int64_t)d;
	return (i > di) - (i < di);
}

/* Two numbers; NaN (which the evaluator does not produce, but a row
 * might) sorts below every other number so that the order stays total. */
static int cmp_num(const vg_val *a, const vg_val *b)
{
	if (a->isint && b->isint)
		return (a->i > b->i) - (a->i < b->i);
	double x = a->d, y = b->d;
	if (isnan(x) || isnan(y))
		return !!isnan(y) - !!isnan(x);
	if (x != y)
		return x < y ? -1 : 1;
	if (a->isint)
		return cmp_int_dbl(a->i, y);
	if (b->isint)
		return -cmp_int_dbl(b->i, x);
	return 0;
}

static int cmp_bytes(const char *a, size_t na, const char *b, size_t nb)
{
	size_t m = na < nb ? na : nb;
	int c = m ? memcmp(a, b, m) : 0;
	if (c)
		return c < 0 ? -1 : 1;
	return (na > nb) - (na < nb);
}

/* The value that stands for v in an order: a multivalue by its first
 * value (none: null), a boolean as the number 0 or 1. */
static vg_val order_key(const vg_val *v)
{
	if (v->kind == VG_V_MV)
		return v->nmv ? order_key(&v->mv[0]) : vg_v_null();
	if (v->kind == VG_V_BOOL)
		return vg_v_int(v->i);
	return *v;
}

static int rank(const vg_val *v)
{
	return v->kind == VG_V_NULL ? 0 : v->kind == VG_V_NUM ? 1 : 2;
}

int vg_val_cmp(const vg_val *a, const vg_val *b)
{
	/* The common cases first, without copying the values: sorts compare
	 * the same two kinds of plain values millions of times. */
	if (a->kind == b->kind) {
		if (a->kind == VG_V_NUM)
			return cmp_num(a, b);
		if (a->kind == VG_V_STR)
			return cmp_bytes(a->s, a->len, b->s, b->len);
	}
	vg_val x = order_key(a), y = order_key(b);
	int ra = rank(&x), rb = rank(&y);
	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (ra == 1)
		return cmp_num(&x, &y);
	if (ra == 2)
		return cmp_bytes(x.s, x.len, y.s, y.len);
	return 0;
}

/* ------------------------------------------------------- eval's equality */

/* A single value as a number for comparisons: numbers, booleans (0, 1). */
static int cmp_number(const vg_val *v, vg_val *out)
{
	if (v->kind == VG_V_NUM) {
		*out = *v;
		return 1;
	}
	if (v->kind == VG_V_BOOL) {
		*out = vg_v_int(v->i);
		return 1;
	}
	return 0;
}

int qev_compare(const vg_val *a, const vg_val *b)
{
	if (a->kind == VG_V_NULL || b->kind == VG_V_NULL)
		return QEV_CMP_NULL;
	vg_val x, y;
	int na = cmp_number(a, &x), nb = cmp_number(b, &y);
	if (na && nb)
		return cmp_num(&x, &y);
	if (na && b->kind == VG_V_STR && vg_val_parse_num(b->s, b->len, &y))
		return cmp_num(&x, &y);
	if (nb && a->kind == VG_V_STR && vg_val_parse_num(a->s, a->len, &x))
		return cmp_num(&x, &y);
	char ta[QEV_TMP], tb[QEV_TMP];
	const char *sa = "", *sb = "";
	size_t la = 0, lb = 0;
	qev_text(a, ta, &sa, &la);
	qev_text(b, tb, &sb, &lb);
	return cmp_bytes(sa, la, sb, lb);
}
