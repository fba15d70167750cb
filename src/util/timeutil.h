/*
 * timeutil.h — event times.
 *
 * vigil keeps every time as int64 nanoseconds since the Unix epoch, UTC.
 * These helpers convert between that and civil dates without touching the
 * process's time zone (no mktime/localtime: parsing must be reentrant and
 * independent of the machine's TZ setting).
 */
#ifndef VG_TIMEUTIL_H
#define VG_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

#define VG_NS_PER_SEC INT64_C(1000000000)
#define VG_NS_PER_DAY (INT64_C(86400) * VG_NS_PER_SEC)

/* Days since 1970-01-01 for a proleptic Gregorian date (month 1..12). */
int64_t vg_days_from_civil(int64_t y, unsigned m, unsigned d);
/* The inverse of vg_days_from_civil. */
void vg_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/* Parse an ISO-8601 / RFC 3339 timestamp: `YYYY-MM-DD`, optionally followed
 * by `T` or a space and `hh:mm[:ss[.frac]]`, optionally followed by `Z` or
 * `±hh[:]mm`. No zone means UTC. Years 1678..2261 only (what int64 ns hold). Returns the number of bytes consumed (> 0)
 * and stores the time in *ns, or 0 if s does not start with such a time. */
size_t vg_parse_iso8601(const char *s, size_t n, int64_t *ns);

/* Format ns as `YYYY-MM-DDThh:mm:ss.fffZ` (millisecond precision, or
 * nanosecond precision when `full` is set) into out (>= 40 bytes).
 * Returns the length written. */
size_t vg_format_iso8601(int64_t ns, char *out, int full);

/* Day number (days since epoch) of a time, rounding toward -infinity. */
static inline int64_t vg_day_of(int64_t ns)
{
	int64_t d = ns / VG_NS_PER_DAY;
	if (ns % VG_NS_PER_DAY < 0)
		d--;
	return d;
}

/* Current wall-clock time in ns. */
int64_t vg_now_ns(void);
/* Monotonic clock in ns, for measuring durations. */
int64_t vg_mono_ns(void);

/* Month number 1..12 from a three-letter English abbreviation ("Jan"), or 0. */
unsigned vg_month_from_abbr(const char *s);

#endif

/* Seconds of a relative-time unit name (s, min, h, d, w, ...), or 0 for
 * none; calendar units are negative months: mon -1, q -3, y -12. */
int64_t vg_time_unit(const char *u, size_t n);

/* Parse a time as users write it, relative to now (ns):
 *   ISO-8601 (see vg_parse_iso8601); epoch seconds (`1700000000`, with an
 *   optional fraction); `now`; Splunk-style relative times: an offset
 *   `[+-]N<unit>` (s sec m min h hr d day w week mon month q y, N defaults to
 *   1), optionally followed by a snap `@<unit>` that rounds down to the start
 *   of that unit (`@w` is Sunday; `@w1`..`@w6` Monday..Saturday), or a snap
 *   alone (`@d`). All in UTC.
 * Returns 0, or VG_EINVAL with err saying what is wrong. */
struct vg_err;
int vg_parse_time(const char *s, int64_t now, int64_t *out, struct vg_err *err);
