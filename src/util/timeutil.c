#include "util/timeutil.h"

#include "util/err.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Howard Hinnant's civil-date algorithms: exact for every Gregorian date. */
int64_t vg_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void vg_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int digits(const char *s, size_t n, size_t at, size_t cnt, unsigned *out)
{
	unsigned v = 0;
	if (at + cnt > n)
		return -1;
	for (size_t i = 0; i < cnt; i++) {
		char c = s[at + i];
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (unsigned)(c - '0');
	}
	*out = v;
	return 0;
}

static const unsigned char mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

size_t vg_parse_iso8601(const char *s, size_t n, int64_t *ns)
{
	unsigned y, mo, d, hh = 0, mi = 0, ss = 0;
	size_t i = 0;
	if (digits(s, n, 0, 4, &y) || n < 10 || s[4] != '-' || digits(s, n, 5, 2, &mo) ||
	    s[7] != '-' || digits(s, n, 8, 2, &d))
		return 0;
	/* int64 nanoseconds reach from 1677 to 2262; refuse what they cannot hold. */
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || y < 1678 || y > 2261)
		return 0;
	i = 10;
	int64_t frac = 0;
	if (i < n && (s[i] == 'T' || s[i] == 't' || s[i] == ' ') && i + 1 < n && s[i + 1] >= '0' &&
	    s[i + 1] <= '9') {
		if (digits(s, n, i + 1, 2, &hh) || i + 3 >= n || s[i + 3] != ':' ||
		    digits(s, n, i + 4, 2, &mi))
			return 0;
		i += 6;
		if (i < n && s[i] == ':') {
			if (digits(s, n, i + 1, 2, &ss))
				return 0;
			i += 3;
			if (i < n && (s[i] == '.' || s[i] == ',')) {
				i++;
				int64_t scale = 100000000;
				size_t start = i;
				while (i < n && s[i] >= '0' && s[i] <= '9') {
					frac += (s[i] - '0') * scale;
					scale /= 10;
					i++;
				}
				if (i == start)
					return 0;
			}
		}
		if (hh > 23 || mi > 59 || ss > 60)
			return 0;
	}
	int64_t off = 0;
	if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i < n && (s[i] == '+' || s[i] == '-') && i > 10) {
		unsigned oh, om = 0;
		int sign = s[i] == '-' ? -1 : 1;
		if (digits(s, n, i + 1, 2, &oh))
			return 0;
		size_t j = i + 3;
		if (j < n && s[j] == ':')
			j++;
		if (digits(s, n, j, 2, &om) == 0)
			j += 2;
		else if (s[j - 1] == ':')
			return 0;
		off = sign * (int64_t)(oh * 3600 + om * 60);
		i = j;
	}
	int64_t days = vg_days_from_civil(y, mo, d);
	int64_t secs = days * 86400 + hh * 3600 + mi * 60 + ss - off;
	*ns = secs * VG_NS_PER_SEC + frac;
	return i;
}

size_t vg_format_iso8601(int64_t ns, char *out, int full)
{
	int64_t days = vg_day_of(ns);
	int64_t rem = ns - days * VG_NS_PER_DAY;
	int64_t secs = rem / VG_NS_PER_SEC;
	int64_t sub = rem % VG_NS_PER_SEC;
	int64_t y;
	unsigned m, d;
	vg_civil_from_days(days, &y, &m, &d);
	int n;
	if (full)
		n = snprintf(out, 40, "%04lld-%02u-%02uT%02d:%02d:%02d.%09lldZ", (long long)y, m, d,
			     (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60),
			     (long long)sub);
	else
		n = snprintf(out, 40, "%04lld-%02u-%02uT%02d:%02d:%02d.%03lldZ", (long long)y, m, d,
			     (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60),
			     (long long)(sub / 1000000));
	return n > 0 ? (size_t)n : 0;
}

int64_t vg_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * VG_NS_PER_SEC + ts.tv_nsec;
}

int64_t vg_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * VG_NS_PER_SEC + ts.tv_nsec;
}

unsigned vg_month_from_abbr(const char *s)
{
	static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	for (unsigned i = 0; i < 12; i++)
		if (memcmp(s, names + 3 * i, 3) == 0)
			return i + 1;
	return 0;
}

int64_t vg_time_unit(const char *u, size_t n)
{
	static const struct {
		const char *name;
		int64_t secs;
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
	for (size_t k = 0; k < sizeof units / sizeof *units; k++)
		if (strlen(units[k].name) == n && memcmp(units[k].name, u, n) == 0)
			return units[k].secs;
	return 0;
}

/* ns plus a number of months (the day clamped to the month's end); 0, or
 * -1 when the result falls outside what int64 nanoseconds hold. */
static int add_months(int64_t ns, int64_t months, int64_t *out)
{
	int64_t days = vg_day_of(ns), rem = ns - days * VG_NS_PER_DAY, y;
	unsigned m, d;
	vg_civil_from_days(days, &y, &m, &d);
	int64_t mm = y * 12 + (m - 1) + months;
	y = mm >= 0 ? mm / 12 : -((-mm + 11) / 12);
	m = (unsigned)(mm - y * 12) + 1;
	unsigned last = mdays[m - 1];
	if (m == 2 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		last = 28;
	if (d > last)
		d = last;
	int64_t days2 = vg_days_from_civil(y, m, d);
	if (days2 > INT64_MAX / VG_NS_PER_DAY - 1 || days2 < INT64_MIN / VG_NS_PER_DAY + 1)
		return -1;
	*out = days2 * VG_NS_PER_DAY + rem;
	return 0;
}

static int snap(int64_t *t, const char *u, size_t n)
{
	int wday = 0;
	if (n >= 2 && u[0] == 'w' && u[n - 1] >= '0' && u[n - 1] <= '7' &&
	    vg_time_unit(u, n - 1) == 604800) {
		wday = (u[n - 1] - '0') % 7;
		n--;
	}
	int64_t us = vg_time_unit(u, n);
	if (us == 0)
		return -1;
	int64_t days = vg_day_of(*t);
	int64_t y;
	unsigned m, d;
	vg_civil_from_days(days, &y, &m, &d);
	if (us > 0 && us < 86400) {
		int64_t step = us * VG_NS_PER_SEC;
		*t = *t - (((*t % step) + step) % step);
	} else if (us == 86400) {
		*t = days * VG_NS_PER_DAY;
	} else if (us == 604800) {
		/* 1970-01-01 was a Thursday (4). */
		int64_t dow = ((days + 4) % 7 + 7) % 7;
		int64_t back = (dow - wday + 7) % 7;
		*t = (days - back) * VG_NS_PER_DAY;
	} else if (us == -1) {
		*t = vg_days_from_civil(y, m, 1) * VG_NS_PER_DAY;
	} else if (us == -3) {
		*t = vg_days_from_civil(y, (m - 1) / 3 * 3 + 1, 1) * VG_NS_PER_DAY;
	} else {
		*t = vg_days_from_civil(y, 1, 1) * VG_NS_PER_DAY;
	}
	return 0;
}

int vg_parse_time(const char *s, int64_t now, int64_t *out, struct vg_err *err)
{
	size_t n = strlen(s);
	int64_t t;
	if (n == 0)
		return vg_seterr(err, VG_EINVAL, -1, "empty time");
	if (strcmp(s, "now") == 0) {
		*out = now;
		return 0;
	}
	if (vg_parse_iso8601(s, n, &t) == n) {
		*out = t;
		return 0;
	}
	/* Epoch seconds, with an optional fraction. */
	size_t k = 0;
	while (k < n && s[k] >= '0' && s[k] <= '9')
		k++;
	if (k > 0 && k <= 12 && (k == n || s[k] == '.')) {
		int64_t secs = 0, frac = 0, scale = 100000000;
		for (size_t j = 0; j < k; j++)
			secs = secs * 10 + (s[j] - '0');
		if (secs > INT64_MAX / VG_NS_PER_SEC - 1)
			goto range;
		if (k < n) {
			size_t j = k + 1;
			if (j == n)
				goto bad;
			for (; j < n; j++) {
				if (s[j] < '0' || s[j] > '9')
					goto bad;
				frac += (s[j] - '0') * scale;
				scale /= 10;
			}
		}
		*out = secs * VG_NS_PER_SEC + frac;
		return 0;
	}
	/* Relative: [+-][N]unit, then optional @snap. */
	t = now;
	k = 0;
	if (s[0] == '+' || s[0] == '-') {
		int sign = s[0] == '-' ? -1 : 1;
		k = 1;
		int64_t num = 0;
		size_t ds = k;
		while (k < n && s[k] >= '0' && s[k] <= '9' && k - ds < 9)
			num = num * 10 + (s[k++] - '0');
		if (k == ds)
			num = 1;
		size_t us = k;
		while (k < n && s[k] != '@')
			k++;
		int64_t secs = vg_time_unit(s + us, k - us);
		if (secs == 0)
			goto bad;
		int64_t d;
		if (secs < 0) {
			/* Months: at most 600 years either way (int64 ns hold ±292). */
			if (num * -secs > 12 * 600 || add_months(t, sign * num * -secs, &t))
				goto range;
		} else if (__builtin_mul_overflow(num, secs, &d) ||
			   __builtin_mul_overflow(d, VG_NS_PER_SEC, &d) ||
			   __builtin_add_overflow(t, sign * d, &t)) {
			goto range;
		}
	}
	if (k < n) {
		if (s[k] != '@' || snap(&t, s + k + 1, n - k - 1) != 0)
			goto bad;
	} else if (k == 0) {
		goto bad;
	}
	*out = t;
	return 0;
bad:
	return vg_seterr(err, VG_EINVAL, -1,
			 "cannot read time '%s': use ISO-8601 (2026-11-27T10:00:00Z), epoch seconds, "
			 "or a relative time like -7d, -1h@h, @w1", s);
range:
	return vg_seterr(err, VG_EINVAL, -1,
			 "time '%s' is out of range: vigil keeps times from 1678 to 2261", s);
}
