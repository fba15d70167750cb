/*
 * qcmd.c — the commands of the pipeline, one small parser each.
 *
 * Arguments are read in the QL_ARGS mode: words, "strings", 'names', `=`,
 * `,` and parentheses. Options are `name=value` anywhere among a command's
 * arguments (Splunk puts them first, users put them anywhere); lists of
 * fields take commas or spaces; `by`, `as`, `OUTPUT` are case-insensitive
 * like command names. Each parser consumes its command up to `|` or the
 * end, and anything it does not understand is an error naming the
 * command ("unexpected 'x' in 'head' at 30").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "query/geo.h"
#include "query/qint.h"
#include "util/timeutil.h"

typedef int (*cmd_fn)(qp *p, vg_qcmd *c);

static int at_end(const qtok *t)
{
	return t->kind == QT_EOF || t->kind == QT_PIPE;
}

static int peek(qp *p, qtok *t)
{
	return qp_peek(p, QL_ARGS, t);
}

static const char *cname(const vg_qcmd *c)
{
	return vg_cmd_name(c->kind);
}

static int unexpected(qp *p, const vg_qcmd *c, const qtok *t)
{
	char w[QL_ECHO_MAX];
	return qp_fail(p, VG_EINVAL, t->pos, "unexpected %s in '%s' at %u",
		       qp_desc(p, t, w, sizeof w), cname(c), t->pos);
}

/* The end of the command must come next. */
static int expect_end(qp *p, const vg_qcmd *c)
{
	qtok t;
	int rc = peek(p, &t);
	if (rc == 0 && !at_end(&t))
		return unexpected(p, c, &t);
	return rc;
}

/* 1 if t starts `name=`: an option. */
static int is_option(qp *p, const qtok *t)
{
	qtok u;
	return t->kind == QT_WORD && qp_peek_at(p, t->end, QL_ARGS, &u) == 0 && u.kind == QT_EQ;
}

static int is_word(const qp *p, const qtok *t, const char *w)
{
	return t->kind == QT_WORD && qp_is_ci(p, t, w);
}

static int is_name_tok(const qtok *t)
{
	return t->kind == QT_WORD || t->kind == QT_STR || t->kind == QT_QNAME;
}

/* A bare word of digits only: a count where one may come. */
static int is_count(const qp *p, const qtok *t)
{
	if (t->kind != QT_WORD)
		return 0;
	for (uint32_t i = t->pos; i < t->end; i++)
		if (p->s[i] < '0' || p->s[i] > '9')
			return 0;
	return 1;
}

/* A list of a command may take one more item at pos (VG_Q_MAX_ITEMS). */
static int room(qp *p, const qvec *v, uint32_t pos)
{
	if (v->n < VG_Q_MAX_ITEMS)
		return 0;
	return qp_fail(p, VG_ELIMIT, pos, "more than %d items in one list at %u", VG_Q_MAX_ITEMS,
		       pos);
}

/* ----------------------------------------------------------------- options */

/* Read `name=value` at the cursor; *which is the index of name in names.
 * Unknown names are an error listing the command's options. */
static int option(qp *p, const vg_qcmd *c, const char *const *names, int *which, qtok *val)
{
	qtok t, eq;
	char w[QL_ECHO_MAX], msg[320];
	int rc = peek(p, &t);
	if (rc < 0)
		return rc;
	qp_take(p, &t);
	if ((rc = peek(p, &eq)) < 0)
		return rc;
	qp_take(p, &eq);
	*which = -1;
	for (int i = 0; names[i]; i++)
		if (qp_is_ci(p, &t, names[i]))
			*which = i;
	if (*which < 0) {
		qp_desc(p, &t, w, sizeof w);
		snprintf(msg, sizeof msg, "unknown option %s for '%s' at %u", w, cname(c), t.pos);
		size_t len = strlen(msg);
		if (qn_suggest(p->s + t.pos, t.end - t.pos, names) != NULL) {
			qn_hint(msg, sizeof msg, p->s + t.pos, t.end - t.pos, names);
		} else {
			snprintf(msg + len, sizeof msg - len, "; '%s' takes", cname(c));
			for (int i = 0; names[i]; i++) {
				len = strlen(msg);
				snprintf(msg + len, sizeof msg - len, "%s %s=", i ? "," : "",
					 names[i]);
			}
		}
		return qp_fail(p, VG_EINVAL, t.pos, "%s", msg);
	}
	if ((rc = peek(p, val)) < 0)
		return rc;
	if (val->kind != QT_WORD && val->kind != QT_STR)
		return qp_fail(p, VG_EINVAL, eq.pos, "missing value for %s= at %u", names[*which],
			       eq.pos);
	qp_take(p, val);
	return 0;
}

/* A count within [min, max]: the value of option `what`, or (what NULL)
 * the count argument of command c. */
static int count_opt(qp *p, const qtok *t, const vg_qcmd *c, const char *what, uint32_t min,
		     uint32_t max, uint32_t *out)
{
	const char *s;
	uint32_t len;
	char w[QL_ECHO_MAX];
	qp_text(p, t, &s, &len);
	int64_t v = t->kind == QT_WORD ? qv_count(s, len, max) : -1;
	if (v >= 0 && v >= min) {
		*out = (uint32_t)v;
		return 0;
	}
	qp_desc(p, t, w, sizeof w);
	if (what)
		return qp_fail(p, VG_EINVAL, t->pos,
			       "%s= takes a number from %u to %u, found %s at %u", what, min, max,
			       w, t->pos);
	return qp_fail(p, VG_EINVAL, t->pos, "'%s' takes a number from %u to %u, found %s at %u",
		       cname(c), min, max, w, t->pos);
}

static int count_value(qp *p, const qtok *t, const vg_qcmd *c, uint32_t min, uint32_t max,
		       uint32_t *out)
{
	return count_opt(p, t, c, NULL, min, max, out);
}

static int bool_value(qp *p, const qtok *t, const char *what, uint8_t *out)
{
	static const char *const yes[] = {"true", "t", "1", "yes", NULL};
	static const char *const no[] = {"false", "f", "0", "no", NULL};
	char w[QL_ECHO_MAX];
	for (int i = 0; yes[i]; i++) {
		if (qp_is_ci(p, t, yes[i]) || qp_is_ci(p, t, no[i])) {
			*out = qp_is_ci(p, t, yes[i]);
			return 0;
		}
	}
	return qp_fail(p, VG_EINVAL, t->pos, "%s takes true or false, found %s at %u", what,
		       qp_desc(p, t, w, sizeof w), t->pos);
}

static const char *string_value(qp *p, const qtok *t)
{
	const char *s;
	uint32_t len;
	qp_text(p, t, &s, &len);
	return s;
}

/* ------------------------------------------------------------ field lists */

/* Names up to the end, an option, or (when stop_by) the word `by`. */
static int field_list(qp *p, const vg_qcmd *c, int allow_wild, int stop_by, qvec *out)
{
	qtok t;
	for (;;) {
		int rc = peek(p, &t);
		if (rc < 0)
			return rc;
		if (t.kind == QT_COMMA) {
			qp_take(p, &t);
			continue;
		}
		if (at_end(&t) || is_option(p, &t) || (stop_by && is_word(p, &t, "by")))
			return 0;
		if (!is_name_tok(&t))
			return unexpected(p, c, &t);
		if ((rc = room(p, out, t.pos)) < 0)
			return rc;
		qp_take(p, &t);
		vg_qname *nm = qvec_push(p, out, sizeof *nm);
		if ((rc = qp_name(p, &t, allow_wild, nm)) < 0)
			return rc;
	}
}

static int need_fields(qp *p, const vg_qcmd *c, const qvec *v, const char *what)
{
	qtok t;
	int rc = peek(p, &t);
	if (rc < 0 || v->n > 0)
		return rc;
	return qp_fail(p, VG_EINVAL, c->pos, "'%s' needs %s at %u", cname(c), what, c->pos);
}

static int need_aggs(qp *p, const vg_qcmd *c, const qvec *v)
{
	if (v->n > 0)
		return 0;
	return qp_fail(p, VG_EINVAL, c->pos, "'%s' needs an aggregation such as count at %u",
		       cname(c), c->pos);
}

/* `by` f1, f2 ... (the cursor at `by`); one: exactly one field. */
static int by_clause(qp *p, const vg_qcmd *c, int one, qvec *out)
{
	qtok by;
	int rc = peek(p, &by);
	if (rc < 0)
		return rc;
	qp_take(p, &by);
	if ((rc = field_list(p, c, 0, 1, out)) < 0)
		return rc;
	if (out->n == 0)
		return qp_fail(p, VG_EINVAL, by.pos, "missing field after 'by' at %u", by.pos);
	if (one && out->n > 1) {
		vg_qname *v = out->v;
		char w[QL_ECHO_MAX];
		ql_echo(w, sizeof w, v[1].s, v[1].len);
		return qp_fail(p, VG_EINVAL, v[1].pos, "'%s' splits by one field; found %s at %u",
			       cname(c), w, v[1].pos);
	}
	return 0;
}

/* ------------------------------------------------------------ aggregations */

static int agg_field(qp *p, const qtok *name, vg_qagg *a)
{
	qtok lp, t, rp;
	char w[QL_ECHO_MAX];
	int rc = peek(p, &lp);
	if (rc < 0)
		return rc;
	qp_take(p, &lp);
	if ((rc = peek(p, &t)) < 0)
		return rc;
	if (!is_name_tok(&t))
		return qp_fail(p, VG_EINVAL, t.pos, "expected a field name at %u, found %s", t.pos,
			       qp_desc(p, &t, w, sizeof w));
	qp_take(p, &t);
	if ((rc = qp_name(p, &t, 0, &a->field)) < 0)
		return rc;
	if ((rc = peek(p, &rp)) < 0)
		return rc;
	if (rp.kind == QT_LP)
		return qp_fail(p, VG_EINVAL, t.pos,
			       "an aggregation takes a field name, not an expression, at %u: "
			       "compute it first with eval",
			       t.pos);
	if (rp.kind != QT_RP)
		return qp_fail(p, VG_EINVAL, lp.pos, "missing ')' for '(' at %u", lp.pos);
	qp_take(p, &rp);
	a->has_field = 1;
	/* Splunk's column name: the function as written, then the field. */
	const char *fs;
	uint32_t flen;
	qp_text(p, &t, &fs, &flen);
	size_t n = (name->end - name->pos) + flen + 2;
	char *as = vg_arena_alloc(p->a, n + 1);
	snprintf(as, n + 1, "%.*s(%s)", (int)(name->end - name->pos), p->s + name->pos, fs);
	a->as = as;
	a->as_len = (uint32_t)n;
	return 0;
}

static int agg_rename(qp *p, vg_qagg *a)
{
	qtok t, nm;
	int rc = peek(p, &t);
	if (rc < 0 || !is_word(p, &t, "as"))
		return rc;
	qp_take(p, &t);
	if ((rc = peek(p, &nm)) < 0)
		return rc;
	if (!is_name_tok(&nm) || is_option(p, &nm))
		return qp_fail(p, VG_EINVAL, t.pos, "missing name after 'as' at %u", t.pos);
	qp_take(p, &nm);
	vg_qname tmp;
	if ((rc = qp_name(p, &nm, 0, &tmp)) < 0)
		return rc;
	qp_text(p, &nm, &a->as, &a->as_len);
	return 0;
}

/* One aggregation: count, count(f), dc(f), perc95(f) ... [as name]. */
static int agg(qp *p, vg_qagg *a)
{
	qtok t, lp;
	char w[QL_ECHO_MAX], msg[256];
	int rc = peek(p, &t);
	if (rc < 0)
		return rc;
	const char *s = p->s + t.pos;
	size_t n = t.end - t.pos;
	if (t.kind != QT_WORD)
		return qp_fail(p, VG_EINVAL, t.pos, "expected an aggregation at %u, found %s",
			       t.pos, qp_desc(p, &t, w, sizeof w));
	int fn = qn_agg(s, n, &a->perc);
	qp_desc(p, &t, w, sizeof w);
	if (fn == -2)
		return qp_fail(p, VG_EINVAL, t.pos,
			       "bad percentile %s at %u: write perc95 or p95 (a number up to 100)",
			       w, t.pos);
	if (fn < 0) {
		snprintf(msg, sizeof msg, "unknown aggregation %s at %u", w, t.pos);
		qn_hint(msg, sizeof msg, s, n, qn_agg_names);
		return qp_fail(p, VG_EINVAL, t.pos, "%s", msg);
	}
	qp_take(p, &t);
	a->fn = (uint8_t)fn;
	a->pos = t.pos;
	if ((rc = peek(p, &lp)) < 0)
		return rc;
	if (lp.kind == QT_LP) {
		if ((rc = agg_field(p, &t, a)) < 0)
			return rc;
	} else if (fn != VG_AGG_COUNT) {
		return qp_fail(p, VG_EINVAL, t.pos, "%s needs a field, as in %.*s(field), at %u", w,
			       (int)n, s, t.pos);
	} else {
		a->as = qp_dup(p, s, n);
		a->as_len = (uint32_t)n;
	}
	return agg_rename(p, a);
}

/* A list of aggregations up to `by`, an option or the end; refuses two
 * columns of the same name (rows would be ambiguous). */
static int agg_list(qp *p, const vg_qcmd *c, int stop_options, qvec *out)
{
	qtok t;
	for (;;) {
		int rc = peek(p, &t);
		if (rc < 0)
			return rc;
		if (t.kind == QT_COMMA) {
			qp_take(p, &t);
			continue;
		}
		if (at_end(&t) || is_word(p, &t, "by") || (stop_options && is_option(p, &t)))
			break;
		if ((rc = room(p, out, t.pos)) < 0)
			return rc;
		vg_qagg *a = qvec_push(p, out, sizeof *a);
		if ((rc = agg(p, a)) < 0)
			return rc;
		vg_qagg *v = out->v;
		char w[QL_ECHO_MAX];
		for (uint32_t i = 0; i + 1 < out->n; i++) {
			if (strcmp(v[i].as, a->as) == 0) {
				ql_echo(w, sizeof w, a->as, a->as_len);
				return qp_fail(p, VG_EINVAL, a->pos,
					       "duplicate column %s at %u; rename one with 'as'", w,
					       a->pos);
			}
		}
	}
	return need_aggs(p, c, out);
}

/* ----------------------------------------------------------------- commands */

static int cmd_search(qp *p, vg_qcmd *c)
{
	int rc = qs_parse(p, 0, &c->search);
	if (rc == 0 && c->search == NULL)
		return qp_fail(p, VG_EINVAL, c->pos, "'search' needs a search expression at %u",
			       c->pos);
	return rc;
}

static int cmd_where(qp *p, vg_qcmd *c)
{
	return qe_parse(p, 0, &c->where);
}

static int cmd_stats(qp *p, vg_qcmd *c)
{
	qvec aggs = {0}, by = {0};
	qtok t;
	int rc = agg_list(p, c, 0, &aggs);
	if (rc == 0 && (rc = peek(p, &t)) == 0 && is_word(p, &t, "by"))
		rc = by_clause(p, c, 0, &by);
	c->stats.aggs = (vg_qaggs){aggs.v, aggs.n};
	c->stats.by = (vg_qnames){by.v, by.n};
	return rc < 0 ? rc : expect_end(p, c);
}

static int top_option(qp *p, vg_qcmd *c, int *limit_set)
{
	static const char *const names[] = {"limit", "countfield", "percentfield", "showcount",
					    "showperc", NULL};
	qtok v;
	int which, rc = option(p, c, names, &which, &v);
	if (rc < 0)
		return rc;
	switch (which) {
	case 0:
		if (*limit_set)
			return qp_fail(p, VG_EINVAL, v.pos, "limit given twice at %u", v.pos);
		*limit_set = 1;
		return count_opt(p, &v, c, "limit", 0, VG_Q_MAX_COUNT, &c->top.limit);
	case 1:
		c->top.countfield = string_value(p, &v);
		return 0;
	case 2:
		c->top.percentfield = string_value(p, &v);
		return 0;
	case 3:
		return bool_value(p, &v, "showcount", &c->top.showcount);
	default:
		return bool_value(p, &v, "showperc", &c->top.showperc);
	}
}

/* top / rare [N] f1 [f2 ...] [by g ...] [options] */
static int cmd_top(qp *p, vg_qcmd *c)
{
	qvec fields = {0}, by = {0};
	qtok t;
	int limit_set = 0, rc;
	c->top.limit = 10;
	c->top.countfield = "count";
	c->top.percentfield = "percent";
	c->top.showcount = c->top.showperc = 1;
	while ((rc = peek(p, &t)) == 0 && !at_end(&t)) {
		if (is_option(p, &t)) {
			rc = top_option(p, c, &limit_set);
		} else if (is_word(p, &t, "by")) {
			rc = by_clause(p, c, 0, &by);
		} else if (fields.n == 0 && !limit_set && is_count(p, &t)) {
			qp_take(p, &t);
			limit_set = 1;
			rc = count_value(p, &t, c, 0, VG_Q_MAX_COUNT, &c->top.limit);
		} else if (by.n > 0) {
			rc = unexpected(p, c, &t);
		} else {
			rc = field_list(p, c, 0, 1, &fields);
		}
		if (rc < 0)
			return rc;
	}
	c->top.fields = (vg_qnames){fields.v, fields.n};
	c->top.by = (vg_qnames){by.v, by.n};
	return rc < 0 ? rc : need_fields(p, c, &fields, "a field");
}

/* Seconds of a fixed-length span unit, or 0 (months and years vary). */
static int64_t span_unit(const char *u, size_t n)
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
	};
	for (size_t i = 0; i < sizeof units / sizeof *units; i++)
		if (strlen(units[i].name) == n && memcmp(units[i].name, u, n) == 0)
			return units[i].secs;
	return 0;
}

/* span=1h: a positive number and a fixed-length unit, at most ten years. */
static int span_value(qp *p, const qtok *t, int64_t *ns)
{
	const char *s = p->s + t->pos;
	uint32_t n = t->end - t->pos, k = 0;
	char w[QL_ECHO_MAX];
	qp_desc(p, t, w, sizeof w);
	while (k < n && k < 9 && s[k] >= '0' && s[k] <= '9')
		k++;
	int64_t num = qv_count(s, k, 999999999);
	int64_t unit = t->kind == QT_WORD && num > 0 ? span_unit(s + k, n - k) : 0;
	if (unit == 0)
		return qp_fail(p, VG_EINVAL, t->pos,
			       "bad span %s at %u: write a positive number and a unit of s, m, "
			       "h, d or w, as in span=1h",
			       w, t->pos);
	if (num * unit > INT64_C(3650) * 86400)
		return qp_fail(p, VG_EINVAL, t->pos, "span %s at %u is longer than 3650 days", w,
			       t->pos);
	*ns = num * unit * VG_NS_PER_SEC;
	return 0;
}

/* timechart's limit=N, as Splunk also limit=topN and limit=bottomN (the N
 * series with the lowest scores). */
static int limit_value(qp *p, const qtok *t, vg_qcmd *c)
{
	const char *s;
	uint32_t len, skip = 0;
	qp_text(p, t, &s, &len);
	if (t->kind == QT_WORD && len > 3 && strncasecmp(s, "top", 3) == 0)
		skip = 3;
	else if (t->kind == QT_WORD && len > 6 && strncasecmp(s, "bottom", 6) == 0)
		skip = 6;
	int64_t v = t->kind == QT_WORD ? qv_count(s + skip, len - skip, VG_Q_MAX_COUNT) : -1;
	if (v >= 0) {
		c->timechart.limit = (uint32_t)v;
		c->timechart.bottom = skip == 6;
		return 0;
	}
	char w[QL_ECHO_MAX];
	qp_desc(p, t, w, sizeof w);
	return qp_fail(p, VG_EINVAL, t->pos,
		       "limit= takes a number from 0 to %u, or topN or bottomN, found %s at %u",
		       (unsigned)VG_Q_MAX_COUNT, w, t->pos);
}

static int timechart_option(qp *p, vg_qcmd *c)
{
	static const char *const names[] = {"span",    "bins",    "limit",   "useother",
					    "usenull", "otherstr", "nullstr", NULL};
	qtok v;
	int which, rc = option(p, c, names, &which, &v);
	if (rc < 0)
		return rc;
	switch (which) {
	case 0: return span_value(p, &v, &c->timechart.span_ns);
	case 1: return count_opt(p, &v, c, "bins", 1, 10000, &c->timechart.bins);
	case 2: return limit_value(p, &v, c);
	case 3: return bool_value(p, &v, names[which], &c->timechart.useother);
	case 4: return bool_value(p, &v, names[which], &c->timechart.usenull);
	case 5: c->timechart.otherstr = string_value(p, &v); return 0;
	default: c->timechart.nullstr = string_value(p, &v); return 0;
	}
}

/* The shape timechart and geostats share: options (name=value, read by
 * read_option), aggregations, then at most one `by` field. */
static int aggs_by(qp *p, vg_qcmd *c, int (*read_option)(qp *, vg_qcmd *), vg_qaggs *aggs_out,
		   vg_qname *by_out)
{
	qvec aggs = {0}, by = {0};
	qtok t;
	int rc;
	while ((rc = peek(p, &t)) == 0 && !at_end(&t)) {
		if (is_option(p, &t))
			rc = read_option(p, c);
		else if (is_word(p, &t, "by") && by.n == 0)
			rc = by_clause(p, c, 1, &by);
		else if (by.n == 0)
			rc = agg_list(p, c, 1, &aggs);
		else
			rc = unexpected(p, c, &t);
		if (rc < 0)
			return rc;
	}
	if ((rc = need_aggs(p, c, &aggs)) < 0)
		return rc;
	*aggs_out = (vg_qaggs){aggs.v, aggs.n};
	if (by.n)
		*by_out = *(vg_qname *)by.v;
	return 0;
}

/* timechart [span=] [bins=] [limit=] [useother=] [usenull=] [otherstr=]
 * [nullstr=] agg [, agg] [by f] (the options also after `by f`, as Splunk
 * writes them) */
static int cmd_timechart(qp *p, vg_qcmd *c)
{
	c->timechart.limit = 10;
	c->timechart.useother = c->timechart.usenull = 1;
	c->timechart.otherstr = "OTHER";
	c->timechart.nullstr = "NULL";
	return aggs_by(p, c, timechart_option, &c->timechart.aggs, &c->timechart.by);
}

/* One sort key: [-|+]field, or [-|+]num(field) / str / ip / auto. */
static int sort_key(qp *p, vg_qcmd *c, int sign, vg_qsortkey *k)
{
	static const char *const kinds[] = {"auto", "num", "str", "ip", NULL};
	qtok t, lp, f, rp;
	int rc = peek(p, &t);
	if (rc < 0)
		return rc;
	if (!is_name_tok(&t))
		return unexpected(p, c, &t);
	qp_take(p, &t);
	const char *s;
	uint32_t len, pos = t.pos;
	qp_text(p, &t, &s, &len);
	if (sign == 0 && t.kind == QT_WORD && len > 1 && (s[0] == '-' || s[0] == '+')) {
		sign = s[0];
		s++, len--, pos++;
	}
	k->desc = sign == '-';
	if ((rc = peek(p, &lp)) < 0)
		return rc;
	if (lp.kind != QT_LP)
		return qp_name_text(p, s, len, pos, 0, &k->field);
	for (int i = 0; kinds[i]; i++)
		if (strlen(kinds[i]) == len && strncasecmp(kinds[i], s, len) == 0)
			k->as = (uint8_t)i;
	if (k->as == 0 && !(len == 4 && strncasecmp(s, "auto", 4) == 0)) {
		char w[QL_ECHO_MAX];
		ql_echo(w, sizeof w, s, len);
		return qp_fail(p, VG_EINVAL, pos,
			       "unknown sort type %s at %u: use num(), str(), ip() or auto()", w,
			       pos);
	}
	qp_take(p, &lp);
	if ((rc = peek(p, &f)) < 0)
		return rc;
	if (!is_name_tok(&f))
		return unexpected(p, c, &f);
	qp_take(p, &f);
	if ((rc = qp_name(p, &f, 0, &k->field)) < 0 || (rc = peek(p, &rp)) < 0)
		return rc;
	if (rp.kind != QT_RP)
		return qp_fail(p, VG_EINVAL, lp.pos, "missing ')' for '(' at %u", lp.pos);
	qp_take(p, &rp);
	return 0;
}

/* sort's count, written `sort 100 ...` or `limit=100`, once. */
static int sort_limit(qp *p, vg_qcmd *c, qtok *t, int *limit_set)
{
	static const char *const names[] = {"limit", NULL};
	int which, rc;
	if (*limit_set)
		return qp_fail(p, VG_EINVAL, t->pos, "limit given twice at %u", t->pos);
	*limit_set = 1;
	if (!is_option(p, t)) {
		qp_take(p, t);
		return count_value(p, t, c, 0, VG_Q_MAX_COUNT, &c->sort.limit);
	}
	if ((rc = option(p, c, names, &which, t)) < 0)
		return rc;
	return count_opt(p, t, c, "limit", 0, VG_Q_MAX_COUNT, &c->sort.limit);
}

/* 1 if t is the command's last token. */
static int is_last(qp *p, const qtok *t)
{
	qtok u;
	return qp_peek_at(p, t->end, QL_ARGS, &u) == 0 && at_end(&u);
}

/* sort [N] [limit=N] [-|+]key [, key ...] [desc] */
static int cmd_sort(qp *p, vg_qcmd *c)
{
	qvec keys = {0};
	qtok t;
	int rc, sign = 0, limit_set = 0;
	while ((rc = peek(p, &t)) == 0 && !at_end(&t)) {
		if (t.kind == QT_COMMA) {
			qp_take(p, &t);
		} else if (is_option(p, &t) ||
			   (keys.n == 0 && !limit_set && !sign && is_count(p, &t))) {
			rc = sort_limit(p, c, &t, &limit_set);
		} else if (!sign && (qp_is(p, &t, "-") || qp_is(p, &t, "+"))) {
			qp_take(p, &t);
			sign = p->s[t.pos];
		} else if (keys.n > 0 && !sign && is_word(p, &t, "desc") && is_last(p, &t)) {
			/* A final `desc` reverses the whole order (Splunk). */
			qp_take(p, &t);
			for (uint32_t i = 0; i < keys.n; i++)
				((vg_qsortkey *)keys.v)[i].desc ^= 1;
		} else if ((rc = room(p, &keys, t.pos)) == 0) {
			rc = sort_key(p, c, sign, qvec_push(p, &keys, sizeof(vg_qsortkey)));
			sign = 0;
		}
		if (rc < 0)
			return rc;
	}
	c->sort.keys = keys.v;
	c->sort.n = keys.n;
	if (rc == 0 && sign)
		return qp_fail(p, VG_EINVAL, t.pos, "missing field after '%c' at %u", sign, t.pos);
	return rc < 0 ? rc : need_fields(p, c, &keys, "a field");
}

/* head / tail [N] or [limit=N] */
static int cmd_head(qp *p, vg_qcmd *c)
{
	static const char *const names[] = {"limit", NULL};
	qtok t;
	char w[QL_ECHO_MAX];
	int rc = peek(p, &t);
	c->head.n = 10;
	if (rc < 0 || at_end(&t))
		return rc;
	if (is_option(p, &t)) {
		int which;
		if ((rc = option(p, c, names, &which, &t)) < 0)
			return rc;
	} else {
		qp_take(p, &t);
	}
	const char *s = p->s + t.pos;
	int64_t v = t.kind == QT_WORD ? qv_count(s, t.end - t.pos, VG_Q_MAX_COUNT) : -1;
	if (v < 0)
		return qp_fail(p, VG_EINVAL, t.pos, "'%s' takes a number, found %s at %u", cname(c),
			       qp_desc(p, &t, w, sizeof w), t.pos);
	c->head.n = (uint32_t)v;
	return expect_end(p, c);
}

/* fields [+|-] f1, f2 (patterns) */
static int cmd_fields(qp *p, vg_qcmd *c)
{
	qvec list = {0};
	qtok t;
	int rc = peek(p, &t);
	if (rc < 0)
		return rc;
	if (t.kind == QT_WORD && (p->s[t.pos] == '-' || p->s[t.pos] == '+')) {
		c->fields.remove = p->s[t.pos] == '-';
		if (t.end - t.pos == 1) {
			qp_take(p, &t);
		} else {
			/* `fields -_raw`: the sign written against the name. */
			qp_take(p, &t);
			vg_qname *nm = qvec_push(p, &list, sizeof *nm);
			const char *s = qp_dup(p, p->s + t.pos + 1, t.end - t.pos - 1);
			if ((rc = qp_name_text(p, s, t.end - t.pos - 1, t.pos + 1, 1, nm)) < 0)
				return rc;
		}
	}
	if ((rc = field_list(p, c, 1, 0, &list)) < 0)
		return rc;
	c->fields.list = (vg_qnames){list.v, list.n};
	if ((rc = need_fields(p, c, &list, "a field")) < 0)
		return rc;
	return expect_end(p, c);
}

static int cmd_table(qp *p, vg_qcmd *c)
{
	qvec list = {0};
	int rc = field_list(p, c, 1, 0, &list);
	c->table = (vg_qnames){list.v, list.n};
	if (rc == 0)
		rc = need_fields(p, c, &list, "a field");
	return rc < 0 ? rc : expect_end(p, c);
}

/* eval x=expr [, y=expr] */
static int cmd_eval(qp *p, vg_qcmd *c)
{
	qvec v = {0};
	qtok t, eq;
	char w[QL_ECHO_MAX];
	for (;;) {
		int rc = qp_peek(p, QL_EXPR, &t);
		if (rc < 0)
			return rc;
		if (t.kind != QT_IDENT && t.kind != QT_QNAME)
			return qp_fail(p, VG_EINVAL, t.pos,
				       "expected a field name to assign at %u, found %s", t.pos,
				       qp_desc(p, &t, w, sizeof w));
		if ((rc = room(p, &v, t.pos)) < 0)
			return rc;
		qp_take(p, &t);
		vg_qassign *a = qvec_push(p, &v, sizeof *a);
		if ((rc = qp_name(p, &t, 0, &a->target)) < 0 || (rc = qp_peek(p, QL_EXPR, &eq)) < 0)
			return rc;
		if (eq.kind != QT_EQ)
			return qp_fail(p, VG_EINVAL, eq.pos,
				       "expected '=' after the field name at %u, found %s", eq.pos,
				       qp_desc(p, &eq, w, sizeof w));
		qp_take(p, &eq);
		if ((rc = qe_parse(p, 1, &a->e)) < 0 || (rc = qp_peek(p, QL_EXPR, &t)) < 0)
			return rc;
		if (t.kind != QT_COMMA)
			break;
		qp_take(p, &t);
	}
	c->eval.v = v.v;
	c->eval.n = v.n;
	return 0;
}

static int rex_option(qp *p, vg_qcmd *c)
{
	static const char *const names[] = {"field", "max_match", NULL};
	qtok v;
	int which, rc = option(p, c, names, &which, &v);
	if (rc < 0)
		return rc;
	if (which == 0)
		return qp_name(p, &v, 0, &c->rex.field);
	return count_opt(p, &v, c, "max_match", 0, 10000, &c->rex.max_match);
}

/* rex [field=f] [max_match=N] "regex with (?<name>...)" */
static int cmd_rex(qp *p, vg_qcmd *c)
{
	qtok t, re = {0};
	int rc;
	qp_name_set(&c->rex.field, "_raw", 4, c->pos);
	c->rex.max_match = 1;
	while ((rc = peek(p, &t)) == 0 && !at_end(&t)) {
		if (is_option(p, &t)) {
			rc = rex_option(p, c);
		} else if (t.kind == QT_STR && re.end == 0) {
			qp_take(p, &t);
			re = t;
		} else {
			rc = unexpected(p, c, &t);
		}
		if (rc < 0)
			return rc;
	}
	if (re.end == 0)
		return qp_fail(p, VG_EINVAL, c->pos,
			       "'rex' needs a regular expression in double quotes at %u", c->pos);
	const char *s;
	uint32_t len;
	qp_text(p, &re, &s, &len);
	if ((rc = qv_regex(p, &re, s, len, 1, &c->rex.re)) < 0)
		return rc;
	if (c->rex.re->nnames == 0)
		return qp_fail(p, VG_EINVAL, re.pos,
			       "the regular expression at %u names no group: write (?<field>...) "
			       "for each field to extract",
			       re.pos);
	return 0;
}

static int dedup_option(qp *p, vg_qcmd *c)
{
	static const char *const names[] = {"keepempty", "consecutive", NULL};
	qtok v;
	int which, rc = option(p, c, names, &which, &v);
	if (rc < 0)
		return rc;
	return bool_value(p, &v, names[which], which ? &c->dedup.consecutive : &c->dedup.keepempty);
}

/* dedup [N] f1 f2 [keepempty=] [consecutive=] */
static int cmd_dedup(qp *p, vg_qcmd *c)
{
	qvec fields = {0};
	qtok t;
	int rc;
	while ((rc = peek(p, &t)) == 0 && !at_end(&t)) {
		if (is_option(p, &t)) {
			rc = dedup_option(p, c);
		} else if (fields.n == 0 && c->dedup.keep == 0 && is_count(p, &t)) {
			qp_take(p, &t);
			rc = count_value(p, &t, c, 1, VG_Q_MAX_COUNT, &c->dedup.keep);
		} else {
			rc = field_list(p, c, 0, 0, &fields);
		}
		if (rc < 0)
			return rc;
	}
	c->dedup.fields = (vg_qnames){fields.v, fields.n};
	if (c->dedup.keep == 0)
		c->dedup.keep = 1;
	return rc < 0 ? rc : need_fields(p, c, &fields, "a field");
}

/* iplocation [prefix=str] field */
static int cmd_iplocation(qp *p, vg_qcmd *c)
{
	static const char *const names[] = {"prefix", NULL};
	qtok t;
	int rc;
	c->iplocation.prefix = "";
	while ((rc = peek(p, &t)) == 0 && !at_end(&t)) {
		if (is_option(p, &t)) {
			int which;
			if ((rc = option(p, c, names, &which, &t)) == 0)
				c->iplocation.prefix = string_value(p, &t);
		} else if (c->iplocation.field.s == NULL && is_name_tok(&t)) {
			qp_take(p, &t);
			rc = qp_name(p, &t, 0, &c->iplocation.field);
		} else {
			rc = unexpected(p, c, &t);
		}
		if (rc < 0)
			return rc;
	}
	if (c->iplocation.field.s == NULL)
		return qp_fail(p, VG_EINVAL, c->pos, "'iplocation' needs a field at %u", c->pos);
	return 0;
}

/* binspanlat= / binspanlong=: degrees, from VG_GEO_MINSPAN to max (a
 * grid cell no wider than the map). */
static int span_deg(qp *p, const qtok *t, const char *what, double max, double *out)
{
	const char *s;
	uint32_t len;
	char w[QL_ECHO_MAX], num[64];
	qp_text(p, t, &s, &len);
	if (t->kind == QT_WORD && len > 0 && len < sizeof num) {
		memcpy(num, s, len);
		num[len] = 0;
		char *end;
		double d = strtod(num, &end);
		if (*end == 0 && d >= VG_GEO_MINSPAN && d <= max) {
			*out = d;
			return 0;
		}
	}
	qp_desc(p, t, w, sizeof w);
	return qp_fail(p, VG_EINVAL, t->pos,
		       "%s= takes a number of degrees from 0.000001 to %g, found %s at %u", what,
		       max, w, t->pos);
}

static int geostats_option(qp *p, vg_qcmd *c)
{
	static const char *const names[] = {"latfield", "longfield", "binspanlat", "binspanlong",
					    NULL};
	qtok v;
	int which, rc = option(p, c, names, &which, &v);
	if (rc < 0)
		return rc;
	if (which == 2)
		return span_deg(p, &v, names[2], 180, &c->geostats.spanlat);
	if (which == 3)
		return span_deg(p, &v, names[3], 360, &c->geostats.spanlong);
	return qp_name(p, &v, 0, which ? &c->geostats.lon : &c->geostats.lat);
}

/* geostats [latfield=] [longfield=] [binspanlat=] [binspanlong=] agg
 * [, agg] [by f] */
static int cmd_geostats(qp *p, vg_qcmd *c)
{
	qp_name_set(&c->geostats.lat, "lat", 3, c->pos);
	qp_name_set(&c->geostats.lon, "lon", 3, c->pos);
	c->geostats.spanlat = VG_GEO_BINSPANLAT;
	c->geostats.spanlong = VG_GEO_BINSPANLONG;
	return aggs_by(p, c, geostats_option, &c->geostats.aggs, &c->geostats.by);
}

static int is_output_kw(const qp *p, const qtok *t)
{
	return is_word(p, t, "OUTPUT") || is_word(p, t, "OUTPUTNEW");
}

/* name [as name] pairs, separated by commas or spaces, up to the end or
 * (when stop_output) OUTPUT / OUTPUTNEW. allow_wild: rename patterns. */
static int pairs(qp *p, const vg_qcmd *c, int need_as, int allow_wild, int stop_output, qvec *out)
{
	qtok t, as, to;
	char w[QL_ECHO_MAX];
	for (;;) {
		int rc = peek(p, &t);
		if (rc < 0)
			return rc;
		if (t.kind == QT_COMMA) {
			qp_take(p, &t);
			continue;
		}
		if (at_end(&t) || (stop_output && is_output_kw(p, &t)))
			return 0;
		if (!is_name_tok(&t))
			return unexpected(p, c, &t);
		if ((rc = room(p, out, t.pos)) < 0)
			return rc;
		qp_take(p, &t);
		vg_qpair *pr = qvec_push(p, out, sizeof *pr);
		if ((rc = qp_name(p, &t, allow_wild, &pr->from)) < 0 || (rc = peek(p, &as)) < 0)
			return rc;
		if (!is_word(p, &as, "as")) {
			if (need_as)
				return qp_fail(p, VG_EINVAL, as.pos, "expected 'as' after %s at %u",
					       qp_desc(p, &t, w, sizeof w), as.pos);
			pr->to = pr->from;
			continue;
		}
		qp_take(p, &as);
		if ((rc = peek(p, &to)) < 0)
			return rc;
		if (!is_name_tok(&to))
			return qp_fail(p, VG_EINVAL, as.pos, "missing name after 'as' at %u",
				       as.pos);
		qp_take(p, &to);
		if ((rc = qp_name(p, &to, allow_wild, &pr->to)) < 0)
			return rc;
	}
}

/* lookup table field [as f] [, ...] [OUTPUT|OUTPUTNEW col [as f], ...] */
static int cmd_lookup(qp *p, vg_qcmd *c)
{
	qvec in = {0}, out = {0};
	qtok t;
	int rc = peek(p, &t);
	if (rc < 0)
		return rc;
	if (t.kind != QT_WORD && t.kind != QT_STR)
		return qp_fail(p, VG_EINVAL, c->pos, "'lookup' needs a table name at %u", c->pos);
	qp_take(p, &t);
	c->lookup.table = string_value(p, &t);
	if ((rc = pairs(p, c, 0, 0, 1, &in)) < 0)
		return rc;
	if (in.n == 0)
		return qp_fail(p, VG_EINVAL, c->pos, "'lookup' needs a field to match at %u",
			       c->pos);
	if ((rc = peek(p, &t)) < 0)
		return rc;
	if (is_output_kw(p, &t)) {
		qp_take(p, &t);
		c->lookup.outputnew = t.end - t.pos == 9;
		if ((rc = pairs(p, c, 0, 0, 0, &out)) < 0)
			return rc;
		if (out.n == 0)
			return qp_fail(p, VG_EINVAL, t.pos, "missing field after '%.*s' at %u",
				       (int)(t.end - t.pos), p->s + t.pos, t.pos);
	}
	c->lookup.in = in.v;
	c->lookup.nin = in.n;
	c->lookup.out = out.v;
	c->lookup.nout = out.n;
	return 0;
}

static uint32_t stars(const vg_qname *n)
{
	uint32_t k = 0;
	for (uint32_t i = 0; i < n->len; i++)
		k += n->s[i] == '*';
	return k;
}

/* rename a as b [, c as d] (patterns with the same number of `*`) */
static int cmd_rename(qp *p, vg_qcmd *c)
{
	qvec v = {0};
	int rc = pairs(p, c, 1, 1, 0, &v);
	if (rc < 0)
		return rc;
	if (v.n == 0)
		return qp_fail(p, VG_EINVAL, c->pos, "'rename' needs a field at %u", c->pos);
	vg_qpair *pr = v.v;
	for (uint32_t i = 0; i < v.n; i++)
		if (stars(&pr[i].from) != stars(&pr[i].to))
			return qp_fail(p, VG_EINVAL, pr[i].to.pos,
				       "rename patterns need as many '*' on both sides at %u",
				       pr[i].to.pos);
	c->rename.v = pr;
	c->rename.n = v.n;
	return 0;
}

static const cmd_fn parsers[VG_CMD_COUNT_] = {
	[VG_CMD_SEARCH] = cmd_search,         [VG_CMD_STATS] = cmd_stats,
	[VG_CMD_TOP] = cmd_top,               [VG_CMD_RARE] = cmd_top,
	[VG_CMD_TIMECHART] = cmd_timechart,   [VG_CMD_SORT] = cmd_sort,
	[VG_CMD_HEAD] = cmd_head,             [VG_CMD_TAIL] = cmd_head,
	[VG_CMD_FIELDS] = cmd_fields,         [VG_CMD_TABLE] = cmd_table,
	[VG_CMD_WHERE] = cmd_where,           [VG_CMD_EVAL] = cmd_eval,
	[VG_CMD_REX] = cmd_rex,               [VG_CMD_DEDUP] = cmd_dedup,
	[VG_CMD_IPLOCATION] = cmd_iplocation, [VG_CMD_GEOSTATS] = cmd_geostats,
	[VG_CMD_LOOKUP] = cmd_lookup,         [VG_CMD_RENAME] = cmd_rename,
};

int qc_parse(qp *p, uint32_t pipe, vg_qcmd *c)
{
	qtok t;
	char w[QL_ECHO_MAX], msg[256];
	int rc = peek(p, &t);
	if (rc < 0)
		return rc;
	if (t.kind == QT_EOF)
		return qp_fail(p, VG_EINVAL, pipe, "missing command after '|' at %u", pipe);
	if (t.kind == QT_PIPE)
		return qp_fail(p, VG_EINVAL, t.pos, "empty command at %u: two '|' in a row", t.pos);
	qp_desc(p, &t, w, sizeof w);
	if (t.kind != QT_WORD)
		return qp_fail(p, VG_EINVAL, t.pos, "expected a command at %u, found %s", t.pos, w);
	const char *s = p->s + t.pos;
	size_t n = t.end - t.pos;
	int kind = qn_command(s, n);
	if (kind < 0 && qn_unsupported_command(s, n))
		return qp_fail(p, VG_EINVAL, t.pos, "command %s at %u is not supported by vigil", w,
			       t.pos);
	if (kind < 0) {
		snprintf(msg, sizeof msg, "unknown command %s at %u", w, t.pos);
		qn_hint(msg, sizeof msg, s, n, qn_command_names);
		return qp_fail(p, VG_EINVAL, t.pos, "%s", msg);
	}
	qp_take(p, &t);
	c->kind = (uint8_t)kind;
	c->pos = t.pos;
	return parsers[kind](p, c);
}
