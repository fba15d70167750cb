/*
 * qval.c — what a literal means beyond its text: numbers, addresses and
 * networks (pre-parsed so the executor compares in binary), times (resolved
 * once, against the query's `now`), and regexes (compiled once, so a bad
 * one is a parse error at its position rather than a runtime surprise).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/qint.h"
#include "util/ip.h"
#include "util/num.h"
#include "util/timeutil.h"

static void classify_number(vg_qval *v)
{
	int integral;
	if (!vg_num_syntax(v->s, v->len, &integral))
		return;
	double d = strtod(v->s, NULL);
	if (!isfinite(d))
		return;
	v->flags |= VG_QV_NUM;
	v->d = d;
	if (integral && vg_num_int64(v->s, v->len, &v->i) == 0)
		v->flags |= VG_QV_INT;
}

/* Keep the first `bits` bits of a 16-byte address. */
static void mask(uint8_t ip[16], unsigned bits)
{
	for (unsigned k = 0; k < 16; k++) {
		unsigned keep = bits >= 8 * (k + 1) ? 8 : bits > 8 * k ? bits - 8 * k : 0;
		ip[k] &= (uint8_t)(0xff00u >> keep);
	}
}

/* Splits `addr/bits`: 1 with the address and prefix when the text has
 * that shape (an address, a slash, 1 to 3 digits), whatever the number. */
static int cidr_shape(const char *s, uint32_t n, uint8_t ip[16], unsigned *bits)
{
	const char *slash = memchr(s, '/', n);
	if (slash == NULL)
		return 0;
	uint32_t a = (uint32_t)(slash - s), b = n - a - 1;
	if (b == 0 || b > 3 || vg_num_digits(s, n, a + 1) != b || vg_ip_parse(s, a, ip) != 0)
		return 0;
	*bits = 0;
	for (uint32_t i = a + 1; i < n; i++)
		*bits = *bits * 10 + (unsigned)(s[i] - '0');
	return 1;
}

/* The prefix of a network in the 128-bit form, or -1 when too long; s
 * is its text (IPv4 prefixes count from the IPv4 address). */
static int cidr_bits(const char *s, uint32_t n, unsigned bits)
{
	if (memchr(s, ':', n) == NULL)
		return bits <= 32 ? (int)(96 + bits) : -1;
	return bits <= 128 ? (int)bits : -1;
}

void qv_classify(vg_qval *v)
{
	if (memchr(v->s, '*', v->len) != NULL) {
		v->flags |= VG_QV_WILD;
		if (strspn(v->s, "*") == v->len)
			v->flags |= VG_QV_ANY;
		return;
	}
	classify_number(v);
	if (vg_ip_parse(v->s, v->len, v->ip) == 0) {
		v->flags |= VG_QV_IP;
		v->bits = 128;
		return;
	}
	unsigned bits;
	if (cidr_shape(v->s, v->len, v->ip, &bits)) {
		int b = cidr_bits(v->s, v->len, bits);
		if (b < 0) {
			memset(v->ip, 0, 16);
			return;
		}
		mask(v->ip, (unsigned)b);
		v->bits = (uint8_t)b;
		v->flags |= VG_QV_CIDR;
	}
}

int qv_cidr(qp *p, vg_qval *v)
{
	unsigned bits;
	char w[QL_ECHO_MAX];
	ql_echo(w, sizeof w, v->s, v->len);
	if (!cidr_shape(v->s, v->len, v->ip, &bits))
		return qp_fail(p, VG_EINVAL, v->pos,
			       "bad network %s at %u: write a.b.c.d/n or an IPv6 network "
			       "like 2001:db8::/32",
			       w, v->pos);
	int b = cidr_bits(v->s, v->len, bits);
	if (b < 0)
		return qp_fail(p, VG_EINVAL, v->pos,
			       "bad network %s at %u: the prefix length is at most %d", w, v->pos,
			       memchr(v->s, ':', v->len) ? 128 : 32);
	mask(v->ip, (unsigned)b);
	v->bits = (uint8_t)b;
	v->flags = (v->flags & ~(uint32_t)(VG_QV_NUM | VG_QV_INT | VG_QV_IP)) | VG_QV_CIDR;
	return 0;
}

int qv_check_cidr(qp *p, vg_qval *v)
{
	uint8_t ip[16];
	unsigned bits;
	if ((v->flags & (VG_QV_CIDR | VG_QV_WILD)) || !cidr_shape(v->s, v->len, ip, &bits))
		return 0;
	return qv_cidr(p, v);
}

int64_t qv_count(const char *s, uint32_t len, uint64_t max)
{
	if (len == 0 || len > 19 || vg_num_digits(s, len, 0) != len)
		return -1;
	uint64_t v = 0;
	for (uint32_t i = 0; i < len; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	return v <= max ? (int64_t)v : -1;
}

/* ------------------------------------------------------------------ times */

/* vg_parse_time computes in int64 ns without overflow checks, so offsets
 * and epoch seconds are bounded here first: relative offsets to about a
 * century, epoch seconds to what int64 ns hold. */
#define REL_MAX_SECS INT64_C(3155760000) /* 100 years of 365.25 days */

static const struct {
	const char *name;
	int64_t secs;   /* < 0: calendar months (-1 month, -3 quarter, -12 year) */
} units[] = {
	{"s", 1}, {"sec", 1}, {"secs", 1}, {"second", 1}, {"seconds", 1},
	{"m", 60}, {"min", 60}, {"mins", 60}, {"minute", 60}, {"minutes", 60},
	{"h", 3600}, {"hr", 3600}, {"hrs", 3600}, {"hour", 3600}, {"hours", 3600},
	{"d", 86400}, {"day", 86400}, {"days", 86400},
	{"w", 604800}, {"week", 604800}, {"weeks", 604800},
	{"mon", -1}, {"month", -1}, {"months", -1},
	{"q", -3}, {"qtr", -3}, {"quarter", -3}, {"quarters", -3},
	{"y", -12}, {"yr", -12}, {"year", -12}, {"years", -12},
};

static int64_t unit_of(const char *u, size_t n)
{
	for (size_t k = 0; k < sizeof units / sizeof *units; k++)
		if (strlen(units[k].name) == n && memcmp(units[k].name, u, n) == 0)
			return units[k].secs;
	return 0;
}

/* 1 if a time as written could not be held: an offset beyond a century or
 * epoch seconds beyond int64 ns. Shapes it does not know are left to
 * vg_parse_time to refuse. */
static int time_too_far(const char *s, uint32_t n)
{
	if (n > 0 && (s[0] == '+' || s[0] == '-')) {
		uint32_t d = vg_num_digits(s, n, 1);
		if (d > 12)
			return 1;
		int64_t num = d == 0 ? 1 : 0;
		for (uint32_t i = 1; i <= d; i++)
			num = num * 10 + (s[i] - '0');
		const char *at = memchr(s, '@', n);
		uint32_t ulen = (at ? (uint32_t)(at - s) : n) - 1 - d;
		int64_t u = unit_of(s + 1 + d, ulen);
		if (u > 0)
			return num > REL_MAX_SECS / u;
		if (u < 0)
			return num > 1200 / -u;
		return 0;
	}
	uint32_t d = vg_num_digits(s, n, 0);
	if (d > 0 && (d == n || s[d] == '.'))
		return d > 10 || strtoll(s, NULL, 10) > INT64_MAX / VG_NS_PER_SEC - 1;
	return 0;
}

int qv_time(qp *p, const char *s, uint32_t len, uint32_t pos, const char *what, int64_t *ns)
{
	char w[QL_ECHO_MAX];
	ql_echo(w, sizeof w, s, len);
	if (time_too_far(s, len))
		return qp_fail(p, VG_EINVAL, pos, "bad time %s for %s at %u: out of range", w,
			       what, pos);
	/* vg_parse_time's own message quotes the text raw (it may hold any
	 * byte); ours quotes it printable, with the same advice. */
	vg_err e = {0};
	if (vg_parse_time(s, p->now, ns, &e) == 0)
		return 0;
	return qp_fail(p, VG_EINVAL, pos,
		       "bad time %s for %s at %u: use ISO-8601 (2026-11-27T10:00:00Z), epoch "
		       "seconds, or a relative time like -7d, -1h@h, @w1",
		       w, what, pos);
}

/* ---------------------------------------------------------------- regexes */

/* The named groups of a compiled regex, distinct, by first group number. */
static void regex_names(qp *p, vg_qregex *r)
{
	uint32_t count = 0, esize = 0;
	PCRE2_SPTR table = NULL;
	pcre2_pattern_info(r->code, PCRE2_INFO_NAMECOUNT, &count);
	if (count == 0)
		return;
	pcre2_pattern_info(r->code, PCRE2_INFO_NAMEENTRYSIZE, &esize);
	pcre2_pattern_info(r->code, PCRE2_INFO_NAMETABLE, &table);
	r->names = qp_alloc(p, count * sizeof *r->names);
	r->name_groups = qp_alloc(p, count * sizeof *r->name_groups);
	/* The table is sorted by name, so duplicates (PCRE2_DUPNAMES) are
	 * adjacent; keep the lowest group of each. */
	for (uint32_t k = 0; k < count; k++) {
		const uint8_t *e = table + (size_t)k * esize;
		uint32_t g = (uint32_t)e[0] << 8 | e[1];
		const char *name = (const char *)e + 2;
		if (r->nnames > 0 && strcmp(r->names[r->nnames - 1], name) == 0) {
			if (g < r->name_groups[r->nnames - 1])
				r->name_groups[r->nnames - 1] = g;
			continue;
		}
		r->names[r->nnames] = qp_dup(p, name, strlen(name));
		r->name_groups[r->nnames++] = g;
	}
	/* Insertion sort by group number: a handful of names. */
	for (uint32_t i = 1; i < r->nnames; i++) {
		for (uint32_t j = i; j > 0 && r->name_groups[j - 1] > r->name_groups[j]; j--) {
			uint32_t g = r->name_groups[j];
			const char *nm = r->names[j];
			r->name_groups[j] = r->name_groups[j - 1];
			r->names[j] = r->names[j - 1];
			r->name_groups[j - 1] = g;
			r->names[j - 1] = nm;
		}
	}
}

int qv_regex(qp *p, const qtok *t, const char *pat, uint32_t len, int want_names,
	     vg_qregex **out)
{
	if (p->nregex >= VG_Q_MAX_REGEX)
		return qp_fail(p, VG_ELIMIT, t->pos, "more than %d regular expressions at %u",
			       VG_Q_MAX_REGEX, t->pos);
	int code;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, len,
				       PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DUPNAMES,
				       &code, &off, p->cctx);
	if (re == NULL) {
		char msg[256];
		if (pcre2_get_error_message(code, (PCRE2_UCHAR *)msg, sizeof msg) < 0)
			snprintf(msg, sizeof msg, "error %d", code);
		uint32_t at = qp_srcpos(p, t, off > len ? len : (uint32_t)off);
		return qp_fail(p, code == PCRE2_ERROR_NOMEMORY ? VG_ENOMEM : VG_EINVAL, at,
			       "bad regular expression at %u: %s", at, msg);
	}
	/* JIT is an optimisation: without it (no support, no executable
	 * memory) pcre2_match interprets the same code. */
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	vg_qregex *r = qp_alloc(p, sizeof *r);
	r->src = pat;
	r->src_len = len;
	r->pos = t->pos;
	r->code = re;
	r->next = p->q->regexes;
	p->q->regexes = r;
	p->nregex++;
	pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &r->ncaptures);
	if (want_names)
		regex_names(p, r);
	*out = r;
	return 0;
}
