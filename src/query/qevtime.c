/*
 * qevtime.c — eval's time functions: now(), relative_time(), strftime(),
 * strptime() (see qevint.h for the shared conventions).
 *
 * Times in eval are epoch seconds, as in Splunk: _time arrives as a number
 * of seconds (with a fraction when the event has one), now() is whole
 * seconds, and the functions give an integer when the time is whole and a
 * double otherwise. Everything is UTC: vigil keeps no time zones, so %z
 * prints +0000 and strptime reads offsets (%z) and UTC names (%Z) only.
 *
 * A double holds about 16 significant digits, so a fractional time near
 * the present (1.7e9 s) is exact to a few tenths of a microsecond: the
 * fraction is rounded to the microsecond before it is printed (%3N gives
 * .123 for 1700000000.123, not .122 from 1700000000.12299990654).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "query/qevint.h"
#include "util/timeutil.h"

/* Times strftime prints: years 1 to 9999. */
#define T_MIN INT64_C(-62135596800)
#define T_MAX INT64_C(253402300799)
/* Times relative_time starts from: about 1780 to 2160, so that an offset
 * of up to a century stays within int64 nanoseconds. */
#define REL_T_MAX INT64_C(6000000000)
#define REL_MAX_SECS INT64_C(3155760000) /* 100 years of 365.25 days */
#define NS INT64_C(1000000000)

static const char *const wday_names[] = {"Sunday", "Monday", "Tuesday", "Wednesday",
					 "Thursday", "Friday", "Saturday"};
static const char *const month_names[] = {"January", "February", "March", "April",
					  "May", "June", "July", "August",
					  "September", "October", "November", "December"};

/* Whole seconds and nanoseconds (0 <= ns < 1e9) as a value. */
static vg_val secs_val(int64_t s, int64_t ns)
{
	return ns == 0 ? vg_v_int(s) : vg_v_dbl((double)s + (double)ns / 1e9);
}

/* A time in seconds (a number, or a string that reads as one) as whole
 * seconds in [lo, hi] and nanoseconds rounded to the microsecond: 1, or 0
 * when it is not a number or out of range. */
static int split_time(const vg_val *v, int64_t lo, int64_t hi, int64_t *secs, int64_t *ns)
{
	vg_val n;
	if (!qev_num(v, &n))
		return 0;
	if (n.isint) {
		*secs = n.i;
		*ns = 0;
		return n.i >= lo && n.i <= hi;
	}
	double fl = floor(n.d);
	if (!(fl >= (double)lo && fl <= (double)hi))
		return 0;
	int64_t s = (int64_t)fl, us = llround((n.d - fl) * 1e6);
	if (us >= 1000000) {
		s++;
		us -= 1000000;
	}
	*secs = s;
	*ns = us * 1000;
	return s <= hi;
}

int qev_fn_now(qev *x, const vg_expr *e, vg_val *out)
{
	(void)e;
	int64_t t = x->ctx->now_ns, s = t / NS;
	if (t % NS < 0)
		s--;
	*out = vg_v_int(s);
	return 0;
}

/* ------------------------------------------------------- relative_time */

/* 1 if vg_parse_time could overflow on s (it computes in int64 ns without
 * checks): an offset beyond a century, epoch seconds beyond int64 ns. The
 * parser applies the same bound to constant offsets. */
static int time_too_far(const char *s, size_t n)
{
	size_t d = 0;
	if (n > 0 && (s[0] == '+' || s[0] == '-')) {
		while (1 + d < n && s[1 + d] >= '0' && s[1 + d] <= '9')
			d++;
		if (d > 12)
			return 1;
		int64_t num = d == 0 ? 1 : 0;
		for (size_t i = 1; i <= d; i++)
			num = num * 10 + (s[i] - '0');
		const char *at = memchr(s, '@', n);
		size_t ulen = (at ? (size_t)(at - s) : n) - 1 - d;
		int64_t u = vg_time_unit(s + 1 + d, ulen);
		if (u > 0)
			return num > REL_MAX_SECS / u;
		if (u < 0)
			return num > 1200 / -u;
		return 0;
	}
	while (d < n && s[d] >= '0' && s[d] <= '9')
		d++;
	if (d > 0 && (d == n || s[d] == '.'))
		return d > 10;
	return 0;
}

/* relative_time(t, spec): t (seconds) moved by a Splunk time modifier:
 * "-1d", "+3h@h", "@w1", "-1mon@mon" ... (vg_parse_time). A spec that is a
 * time of its own (ISO-8601, epoch seconds) gives that time. Null for a
 * spec it cannot read. */
int qev_fn_relative_time(qev *x, const vg_expr *e, vg_val *out)
{
	vg_val v[2];
	char tmp[QEV_TMP], buf[72];
	const char *s;
	size_t n;
	int64_t secs, ns, r;
	int rc = qev_args(x, e, v, 2);
	if (rc < 0 || !split_time(&v[0], -REL_T_MAX, REL_T_MAX, &secs, &ns) ||
	    !qev_text(&v[1], tmp, &s, &n) || n == 0 || n >= sizeof buf ||
	    memchr(s, 0, n) != NULL || time_too_far(s, n))
		return rc;
	memcpy(buf, s, n);
	buf[n] = 0;
	vg_err scratch;
	if (vg_parse_time(buf, secs * NS + ns, &r, &scratch) != 0)
		return 0;
	int64_t rs = r / NS, rn = r % NS;
	if (rn < 0) {
		rs--;
		rn += NS;
	}
	*out = secs_val(rs, rn);
	return 0;
}

/* ------------------------------------------------------------- strftime */

/* A time broken down, UTC. */
typedef struct tparts {
	int64_t secs, ns, year;
	unsigned mon, mday, hour, min, sec, wday, yday;
} tparts;

static void break_down(int64_t secs, int64_t ns, tparts *t)
{
	int64_t days = secs / 86400, rem = secs % 86400;
	if (rem < 0) {
		days--;
		rem += 86400;
	}
	t->secs = secs;
	t->ns = ns;
	vg_civil_from_days(days, &t->year, &t->mon, &t->mday);
	t->hour = (unsigned)(rem / 3600);
	t->min = (unsigned)(rem / 60 % 60);
	t->sec = (unsigned)(rem % 60);
	t->wday = (unsigned)(((days + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
	t->yday = (unsigned)(days - vg_days_from_civil(t->year, 1, 1)) + 1;
}

/* Subsecond digits: the first w (1..9) digits of ns. */
static void put_subsec(vg_buf *b, int64_t ns, int w)
{
	int64_t div = 1;
	for (int k = w; k < 9; k++)
		div *= 10;
	vg_buf_printf(b, "%0*lld", w, (long long)(ns / div));
}

static void put_directive(vg_buf *b, const tparts *t, char c, int width);

/* A fixed format made of directives and plain characters (%F, %T ...). */
static void put_format(vg_buf *b, const tparts *t, const char *f)
{
	for (; *f; f++) {
		if (*f == '%')
			put_directive(b, t, *++f, 0);
		else
			vg_buf_putc(b, (uint8_t)*f);
	}
}

/* One directive c (after '%' and an optional width) of strftime. */
static void put_directive(vg_buf *b, const tparts *t, char c, int width)
{
	unsigned h12 = t->hour % 12 ? t->hour % 12 : 12;
	switch (c) {
	case 'Y': vg_buf_printf(b, "%04lld", (long long)t->year); break;
	case 'y': vg_buf_printf(b, "%02u", (unsigned)(t->year % 100)); break;
	case 'm': vg_buf_printf(b, "%02u", t->mon); break;
	case 'd': vg_buf_printf(b, "%02u", t->mday); break;
	case 'e': vg_buf_printf(b, "%2u", t->mday); break;
	case 'j': vg_buf_printf(b, "%03u", t->yday); break;
	case 'H': vg_buf_printf(b, "%02u", t->hour); break;
	case 'k': vg_buf_printf(b, "%2u", t->hour); break;
	case 'I': vg_buf_printf(b, "%02u", h12); break;
	case 'l': vg_buf_printf(b, "%2u", h12); break;
	case 'p': vg_buf_puts(b, t->hour < 12 ? "AM" : "PM"); break;
	case 'M': vg_buf_printf(b, "%02u", t->min); break;
	case 'S': vg_buf_printf(b, "%02u", t->sec); break;
	case 'a': vg_buf_put(b, wday_names[t->wday], 3); break;
	case 'A': vg_buf_puts(b, wday_names[t->wday]); break;
	case 'b':
	case 'h': vg_buf_put(b, month_names[t->mon - 1], 3); break;
	case 'B': vg_buf_puts(b, month_names[t->mon - 1]); break;
	case 'u': vg_buf_printf(b, "%u", t->wday ? t->wday : 7); break;
	case 'w': vg_buf_printf(b, "%u", t->wday); break;
	case 's': vg_buf_printf(b, "%lld", (long long)t->secs); break;
	case 'z': vg_buf_puts(b, "+0000"); break;
	case 'Z': vg_buf_puts(b, "UTC"); break;
	case 'N': put_subsec(b, t->ns, width ? width : 9); break;
	case 'Q': put_subsec(b, t->ns, width ? width : 3); break;
	case 'f': put_subsec(b, t->ns, 6); break;
	case 'F': put_format(b, t, "%Y-%m-%d"); break;
	case 'T': put_format(b, t, "%H:%M:%S"); break;
	case 'D': put_format(b, t, "%m/%d/%y"); break;
	case 'R': put_format(b, t, "%H:%M"); break;
	case 'n': vg_buf_putc(b, '\n'); break;
	case 't': vg_buf_putc(b, '\t'); break;
	case '%': vg_buf_putc(b, '%'); break;
	default: /* not a directive: as written */
		vg_buf_putc(b, '%');
		if (width)
			vg_buf_putc(b, (uint8_t)('0' + width));
		if (c)
			vg_buf_putc(b, (uint8_t)c);
		break;
	}
}

/* strftime(t, format): t (seconds, UTC) as format says: %Y %m %d %H %M
 * %S %j %a %A %b %B %h %y %e %I %l %k %p %u %w %F %T %D %R %s %z %Z %n %t
 * %%, and subseconds %N (9 digits), %3N %6N %9N (any width 1..9), %Q (3),
 * %f (6). Anything else is copied. Null outside the years 1 to 9999. */
int qev_fn_strftime(qev *x, const vg_expr *e, vg_val *out)
{
	vg_val v[2];
	char tmp[QEV_TMP];
	const char *f;
	size_t fn;
	int64_t secs, ns;
	int rc = qev_args(x, e, v, 2);
	if (rc < 0 || !split_time(&v[0], T_MIN, T_MAX, &secs, &ns) ||
	    !qev_text(&v[1], tmp, &f, &fn))
		return rc;
	tparts t;
	break_down(secs, ns, &t);
	vg_buf b = {0};
	for (size_t i = 0; i < fn && b.len <= VG_EVAL_MAX_STR; i++) {
		if (f[i] != '%') {
			vg_buf_putc(&b, (uint8_t)f[i]);
			continue;
		}
		int width = 0;
		if (i + 2 < fn && f[i + 1] >= '1' && f[i + 1] <= '9' &&
		    (f[i + 2] == 'N' || f[i + 2] == 'Q'))
			width = f[++i] - '0';
		put_directive(&b, &t, i + 1 < fn ? f[++i] : 0, width);
	}
	rc = qev_strval(x, e, b.len ? (const char *)b.p : "", b.len, out);
	vg_buf_free(&b);
	return rc;
}

/* ------------------------------------------------------------- strptime */

/* What strptime read so far. */
typedef struct preader {
	const char *s;
	size_t n, i;
	int64_t year, ns, off, epoch;
	int mon, mday, hour, min, sec, yday, pm;
	uint8_t have_md, have_yday, h12, have_epoch;
} preader;

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static void skip_spaces(preader *r)
{
	while (r->i < r->n && is_space(r->s[r->i]))
		r->i++;
}

/* Between min and max decimal digits into *v: 0, or -1. */
static int read_num(preader *r, int min, int max, int64_t *v)
{
	int k = 0;
	*v = 0;
	while (k < max && r->i < r->n && r->s[r->i] >= '0' && r->s[r->i] <= '9') {
		*v = *v * 10 + (r->s[r->i++] - '0');
		k++;
	}
	return k >= min ? 0 : -1;
}

/* A number of 1..max digits within [lo, hi] into *out. */
static int read_field(preader *r, int max, int lo, int hi, int *out)
{
	int64_t v;
	if (read_num(r, 1, max, &v) < 0 || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

/* One of names (full, or its first three letters), case-insensitive:
 * its index, or -1. */
static int read_name(preader *r, const char *const *names, int count)
{
	for (int full = 1; full >= 0; full--) {
		for (int k = 0; k < count; k++) {
			size_t len = full ? strlen(names[k]) : 3;
			if (r->n - r->i >= len && strncasecmp(r->s + r->i, names[k], len) == 0) {
				r->i += len;
				return k;
			}
		}
	}
	return -1;
}

/* Subsecond digits, at most w, as nanoseconds. */
static int read_subsec(preader *r, int w)
{
	int64_t v;
	size_t start = r->i;
	if (read_num(r, 1, w, &v) < 0)
		return -1;
	for (size_t k = r->i - start; k < 9; k++)
		v *= 10;
	r->ns = v;
	return 0;
}

/* %z: Z, +hh, +hhmm or +hh:mm. */
static int read_offset(preader *r)
{
	if (r->i < r->n && (r->s[r->i] == 'Z' || r->s[r->i] == 'z')) {
		r->i++;
		r->off = 0;
		return 0;
	}
	if (r->i >= r->n || (r->s[r->i] != '+' && r->s[r->i] != '-'))
		return -1;
	int64_t sign = r->s[r->i++] == '-' ? -1 : 1, hh, mm = 0;
	if (read_num(r, 2, 2, &hh) < 0 || hh > 23)
		return -1;
	if (r->i < r->n && r->s[r->i] == ':')
		r->i++;
	size_t at = r->i;
	if (read_num(r, 2, 2, &mm) < 0)
		r->i = at, mm = 0;
	if (mm > 59)
		return -1;
	r->off = sign * (hh * 3600 + mm * 60);
	return 0;
}

/* %Z: the names of UTC only (vigil keeps no zone database). */
static int read_zone(preader *r)
{
	static const char *const utc[] = {"UTC", "GMT", "Z"};
	for (size_t k = 0; k < sizeof utc / sizeof *utc; k++) {
		size_t len = strlen(utc[k]);
		if (r->n - r->i >= len && strncasecmp(r->s + r->i, utc[k], len) == 0) {
			r->i += len;
			r->off = 0;
			return 0;
		}
	}
	return -1;
}

static int read_format(preader *r, const char *f, size_t fn, int depth);

static int read_epoch(preader *r)
{
	int neg = r->i < r->n && r->s[r->i] == '-';
	r->i += (size_t)neg;
	if (read_num(r, 1, 12, &r->epoch) < 0)
		return -1;
	if (neg)
		r->epoch = -r->epoch;
	r->have_epoch = 1;
	return 0;
}

static int read_hour12(preader *r)
{
	r->h12 = 1;
	return read_field(r, 2, 1, 12, &r->hour);
}

/* One directive c (width: the digit before N or Q, else 0). */
static int read_directive(preader *r, char c, int width, int depth)
{
	int64_t y;
	int k;
	switch (c) {
	case 'Y':
		if (read_num(r, 1, 4, &r->year) < 0)
			return -1;
		return 0;
	case 'y':
		if (read_num(r, 1, 2, &y) < 0)
			return -1;
		r->year = y < 69 ? 2000 + y : 1900 + y; /* POSIX */
		return 0;
	case 'm': r->have_md = 1; return read_field(r, 2, 1, 12, &r->mon);
	case 'e': /* %e, %k and %l pad with a space */
	case 'd': r->have_md = 1; skip_spaces(r); return read_field(r, 2, 1, 31, &r->mday);
	case 'j': r->have_yday = 1; return read_field(r, 3, 1, 366, &r->yday);
	case 'k':
	case 'H': skip_spaces(r); return read_field(r, 2, 0, 23, &r->hour);
	case 'l':
	case 'I': skip_spaces(r); return read_hour12(r);
	case 'M': return read_field(r, 2, 0, 59, &r->min);
	case 'S': return read_field(r, 2, 0, 60, &r->sec);
	case 'p':
		if (r->n - r->i < 2 || (r->s[r->i + 1] | 0x20) != 'm')
			return -1;
		k = r->s[r->i] | 0x20;
		if (k != 'a' && k != 'p')
			return -1;
		r->pm = k == 'p';
		r->i += 2;
		return 0;
	case 'b':
	case 'h':
	case 'B':
		if ((k = read_name(r, month_names, 12)) < 0)
			return -1;
		r->mon = k + 1;
		r->have_md = 1;
		return 0;
	case 'a':
	case 'A': return read_name(r, wday_names, 7) < 0 ? -1 : 0;
	case 'u':
	case 'w': return read_num(r, 1, 1, &y);
	case 's': return read_epoch(r);
	case 'z': return read_offset(r);
	case 'Z': return read_zone(r);
	case 'N': return read_subsec(r, width ? width : 9);
	case 'Q': return read_subsec(r, width ? width : 3);
	case 'f': return read_subsec(r, 6);
	case 'F': return read_format(r, "%Y-%m-%d", 8, depth + 1);
	case 'T': return read_format(r, "%H:%M:%S", 8, depth + 1);
	case 'D': return read_format(r, "%m/%d/%y", 8, depth + 1);
	case 'R': return read_format(r, "%H:%M", 5, depth + 1);
	case 'n':
	case 't': skip_spaces(r); return 0;
	case '%':
		if (r->i >= r->n || r->s[r->i] != '%')
			return -1;
		r->i++;
		return 0;
	default: return -1;
	}
}

/* Read r's text as format f says: 0, or -1 when it does not fit. Spaces in
 * the format match any run of spaces (or none); text after the format's
 * end is ignored, as Splunk does. */
static int read_format(preader *r, const char *f, size_t fn, int depth)
{
	if (depth > 1)
		return -1;
	for (size_t i = 0; i < fn; i++) {
		if (is_space(f[i])) {
			skip_spaces(r);
		} else if (f[i] != '%') {
			if (r->i >= r->n || r->s[r->i] != f[i])
				return -1;
			r->i++;
		} else {
			int width = 0;
			if (i + 2 < fn && f[i + 1] >= '1' && f[i + 1] <= '9' &&
			    (f[i + 2] == 'N' || f[i + 2] == 'Q'))
				width = f[++i] - '0';
			if (i + 1 >= fn || read_directive(r, f[++i], width, depth) < 0)
				return -1;
		}
	}
	return 0;
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The seconds of what r read: 0 and *secs, or -1 for an impossible date. */
static int read_result(const preader *r, int64_t *secs)
{
	static const unsigned char mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (r->have_epoch) {
		*secs = r->epoch;
		return 0;
	}
	int64_t days;
	if (r->have_yday && !r->have_md) {
		if (r->yday > 365 + is_leap(r->year))
			return -1;
		days = vg_days_from_civil(r->year, 1, 1) + r->yday - 1;
	} else {
		int last = r->mon == 2 && !is_leap(r->year) ? 28 : mdays[r->mon - 1];
		if (r->mday > last)
			return -1;
		days = vg_days_from_civil(r->year, (unsigned)r->mon, (unsigned)r->mday);
	}
	int hour = r->hour;
	if (r->h12)
		hour = hour % 12 + (r->pm == 1 ? 12 : 0);
	*secs = days * 86400 + hour * 3600 + r->min * 60 + r->sec - r->off;
	return 0;
}

/* strptime(s, format): the epoch seconds of a time written as format says
 * (the directives of strftime; missing parts default to 1970-01-01
 * 00:00:00 UTC), or null when s does not fit. */
int qev_fn_strptime(qev *x, const vg_expr *e, vg_val *out)
{
	vg_val v[2];
	char t0[QEV_TMP], t1[QEV_TMP];
	const char *s, *f;
	size_t n, fn;
	int rc = qev_args(x, e, v, 2);
	if (rc < 0 || !qev_text(&v[0], t0, &s, &n) || !qev_text(&v[1], t1, &f, &fn))
		return rc;
	preader r = {.s = s, .n = n, .year = 1970, .mon = 1, .mday = 1, .pm = -1};
	int64_t secs;
	if (read_format(&r, f, fn, 0) == 0 && read_result(&r, &secs) == 0)
		*out = secs_val(secs, r.ns);
	return 0;
}
