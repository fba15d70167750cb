/*
 * qnames.c — the names the language knows (commands, functions,
 * aggregations, days) and the "did you mean" suggestions for the ones it
 * does not: the closest known name by edit distance, when it is close
 * enough that the typo is plausible.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "query/qint.h"

/* In vg_cmdkind order. */
const char *const qn_command_names[] = {
	"search", "stats", "top", "rare", "timechart", "sort", "head", "tail", "fields",
	"table", "where", "eval", "rex", "dedup", "iplocation", "geostats", "lookup",
	"rename", NULL,
};

/* Splunk commands that vigil does not have: naming them as such is more
 * useful than "unknown command". */
static const char *const unsupported[] = {
	"addtotals", "append", "appendcols", "appendpipe", "bin", "bucket", "chart",
	"convert", "eventstats", "fillnull", "format", "inputlookup", "join", "makemv",
	"mvexpand", "outputlookup", "regex", "return", "reverse", "spath", "streamstats",
	"transaction", "uniq", "xyseries", NULL,
};

static const struct {
	const char *name;
	int min, max; /* max -1: any number */
} functions[VG_FN_COUNT_] = {
	[VG_FN_ABS] = {"abs", 1, 1},
	[VG_FN_CASE] = {"case", 2, -1},
	[VG_FN_CEIL] = {"ceil", 1, 1},
	[VG_FN_CIDRMATCH] = {"cidrmatch", 2, 2},
	[VG_FN_COALESCE] = {"coalesce", 1, -1},
	[VG_FN_EXP] = {"exp", 1, 1},
	[VG_FN_FLOOR] = {"floor", 1, 1},
	[VG_FN_IF] = {"if", 3, 3},
	[VG_FN_IN] = {"in", 2, -1},
	[VG_FN_ISNOTNULL] = {"isnotnull", 1, 1},
	[VG_FN_ISNULL] = {"isnull", 1, 1},
	[VG_FN_LEN] = {"len", 1, 1},
	[VG_FN_LIKE] = {"like", 2, 2},
	[VG_FN_LN] = {"ln", 1, 1},
	[VG_FN_LOG] = {"log", 1, 2},
	[VG_FN_LOWER] = {"lower", 1, 1},
	[VG_FN_LTRIM] = {"ltrim", 1, 2},
	[VG_FN_MATCH] = {"match", 2, 2},
	[VG_FN_MAX] = {"max", 1, -1},
	[VG_FN_MIN] = {"min", 1, -1},
	[VG_FN_MVCOUNT] = {"mvcount", 1, 1},
	[VG_FN_MVINDEX] = {"mvindex", 2, 3},
	[VG_FN_NOW] = {"now", 0, 0},
	[VG_FN_POW] = {"pow", 2, 2},
	[VG_FN_RELATIVE_TIME] = {"relative_time", 2, 2},
	[VG_FN_REPLACE] = {"replace", 3, 3},
	[VG_FN_ROUND] = {"round", 1, 2},
	[VG_FN_RTRIM] = {"rtrim", 1, 2},
	[VG_FN_SPLIT] = {"split", 2, 2},
	[VG_FN_SQRT] = {"sqrt", 1, 1},
	[VG_FN_STRFTIME] = {"strftime", 2, 2},
	[VG_FN_STRPTIME] = {"strptime", 2, 2},
	[VG_FN_SUBSTR] = {"substr", 2, 3},
	[VG_FN_TONUMBER] = {"tonumber", 1, 2},
	[VG_FN_TOSTRING] = {"tostring", 1, 2},
	[VG_FN_TRIM] = {"trim", 1, 2},
	[VG_FN_UPPER] = {"upper", 1, 1},
	[VG_FN_URLDECODE] = {"urldecode", 1, 1},
};

/* In vg_fn order, for suggestions. */
const char *const qn_function_names[] = {
	"abs", "case", "ceil", "cidrmatch", "coalesce", "exp", "floor", "if", "in",
	"isnotnull", "isnull", "len", "like", "ln", "log", "lower", "ltrim", "match",
	"max", "min", "mvcount", "mvindex", "now", "pow", "relative_time", "replace",
	"round", "rtrim", "split", "sqrt", "strftime", "strptime", "substr", "tonumber",
	"tostring", "trim", "upper", "urldecode", NULL,
};

static int eq_ci(const char *s, size_t n, const char *name);

/* Names other languages give to our functions, for suggestions. */
static const char *const fn_aliases[][2] = {
	{"length", "len"}, {"lenght", "len"}, {"strlen", "len"}, {"size", "len"},
	{"tolower", "lower"}, {"toupper", "upper"}, {"lcase", "lower"}, {"ucase", "upper"},
	{"substring", "substr"}, {"ceiling", "ceil"}, {"regex", "match"}, {"ifnull", "coalesce"},
	{"nvl", "coalesce"}, {"isnotempty", "isnotnull"}, {"isempty", "isnull"},
	{"strip", "trim"}, {"number", "tonumber"}, {"string", "tostring"}, {"power", "pow"},
};

const char *qn_function_alias(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof fn_aliases / sizeof *fn_aliases; i++)
		if (eq_ci(s, n, fn_aliases[i][0]))
			return fn_aliases[i][1];
	return NULL;
}

static const struct {
	const char *name;
	int fn;
} aggs[] = {
	{"count", VG_AGG_COUNT}, {"c", VG_AGG_COUNT},
	{"dc", VG_AGG_DC}, {"distinct_count", VG_AGG_DC},
	{"sum", VG_AGG_SUM}, {"avg", VG_AGG_AVG}, {"mean", VG_AGG_AVG},
	{"min", VG_AGG_MIN}, {"max", VG_AGG_MAX}, {"median", VG_AGG_PERC},
	{"values", VG_AGG_VALUES}, {"earliest", VG_AGG_EARLIEST}, {"latest", VG_AGG_LATEST},
};

/* Suggestions also offer the percentile spellings people mean. */
const char *const qn_agg_names[] = {
	"count", "dc", "distinct_count", "sum", "avg", "mean", "min", "max", "median",
	"perc95", "values", "earliest", "latest", NULL,
};

const char *const qn_wday_names[] = {
	"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", NULL,
};

static int eq_ci(const char *s, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(s, name, n) == 0;
}

static int find(const char *s, size_t n, const char *const *names)
{
	for (int i = 0; names[i]; i++)
		if (eq_ci(s, n, names[i]))
			return i;
	return -1;
}

int qn_command(const char *s, size_t n)
{
	return find(s, n, qn_command_names);
}

int qn_unsupported_command(const char *s, size_t n)
{
	return find(s, n, unsupported) >= 0;
}

int qn_function(const char *s, size_t n, int *min, int *max)
{
	int k = find(s, n, qn_function_names);
	if (k >= 0) {
		*min = functions[k].min;
		*max = functions[k].max;
	}
	return k;
}

/* The number of percNN / pNN: 0 < NN <= 100, at most two decimals. */
static int perc_number(const char *s, size_t n, double *out)
{
	size_t i = 0, dot = 0;
	double v = 0, scale = 1;
	if (n == 0 || n > 6)
		return -1;
	for (; i < n; i++) {
		if (s[i] == '.' && !dot && i > 0 && i + 1 < n) {
			dot = i;
		} else if (s[i] >= '0' && s[i] <= '9') {
			if (dot)
				scale /= 10;
			v = v * 10 + (s[i] - '0');
		} else {
			return -1;
		}
	}
	if (dot && n - dot - 1 > 2)
		return -1;
	v *= scale;
	if (v <= 0 || v > 100)
		return -1;
	*out = v;
	return 0;
}

int qn_agg(const char *s, size_t n, double *perc)
{
	for (size_t i = 0; i < sizeof aggs / sizeof *aggs; i++) {
		if (eq_ci(s, n, aggs[i].name)) {
			*perc = aggs[i].fn == VG_AGG_PERC ? 50 : 0;
			return aggs[i].fn;
		}
	}
	size_t skip = 0;
	if (n >= 4 && strncasecmp(s, "perc", 4) == 0)
		skip = 4;
	else if (n >= 2 && (s[0] == 'p' || s[0] == 'P') && s[1] >= '0' && s[1] <= '9')
		skip = 1;
	if (skip == 0)
		return -1;
	return perc_number(s + skip, n - skip, perc) == 0 ? VG_AGG_PERC : -2;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Levenshtein distance, case-insensitive, for names up to 32 bytes. */
static size_t distance(const char *a, size_t n, const char *b, size_t m)
{
	size_t row[33];
	for (size_t j = 0; j <= m; j++)
		row[j] = j;
	for (size_t i = 1; i <= n; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= m; j++) {
			size_t up = row[j];
			size_t best = diag + (lower(a[i - 1]) != lower(b[j - 1]));
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[m];
}

const char *qn_suggest(const char *s, size_t n, const char *const *names)
{
	if (n == 0 || n > 32)
		return NULL;
	const char *best = NULL;
	size_t bestd = n <= 3 ? 1 : 2;
	for (int i = 0; names[i]; i++) {
		size_t m = strlen(names[i]);
		if (m > 32)
			continue;
		size_t d = distance(s, n, names[i], m);
		if (d < bestd || (d == bestd && best == NULL)) {
			best = names[i];
			bestd = d;
		}
	}
	return best;
}

void qn_hint(char *buf, size_t size, const char *s, size_t n, const char *const *names)
{
	const char *near = qn_suggest(s, n, names);
	size_t len = strlen(buf);
	if (near != NULL && len < size)
		snprintf(buf + len, size - len, "; did you mean '%s'?", near);
}

const char *vg_cmd_name(int kind)
{
	return kind >= 0 && kind < VG_CMD_COUNT_ ? qn_command_names[kind] : "?";
}

const char *vg_fn_name(int fn)
{
	return fn >= 0 && fn < VG_FN_COUNT_ ? functions[fn].name : "?";
}

const char *vg_agg_name(int fn)
{
	static const char *const names[] = {"count", "dc", "sum", "avg", "min",
					     "max", "perc", "values", "earliest", "latest"};
	return fn >= 0 && fn < (int)(sizeof names / sizeof *names) ? names[fn] : "?";
}
