#include "util/timeutil.h"

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
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
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
