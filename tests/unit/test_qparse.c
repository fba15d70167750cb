/* test_qparse.c — the query parser: the SPEC.md examples, Splunk's two
 * precedences, time bounds against a fixed now, values (numbers,
 * addresses, networks, days), regexes, errors with their exact positions,
 * the bounds, the facts derived for the executor, and the golden files in
 * tests/golden/parse/ (query, `----`, expected dump or error).
 *
 * VG_GOLDEN_UPDATE=1 rewrites the golden files with what the parser gives:
 * review the diff before keeping it. */
#include "testutil.h"

#include <dirent.h>

#include "query/qparse.h"
#include "util/ip.h"
#include "util/timeutil.h"

/* 2023-11-14T22:13:20Z, a Tuesday. */
#define NOW (INT64_C(1700000000) * VG_NS_PER_SEC)
#define GOLDEN_DIR "tests/golden/parse"

static int64_t ts(int y, unsigned mo, unsigned d, int h, int mi, int s)
{
	return (vg_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * VG_NS_PER_SEC;
}

static vg_query *parse_ok(const char *s)
{
	vg_query *q = NULL;
	vg_err e = {0};
	int rc = vg_query_parse(s, strlen(s), NOW, &q, &e);
	if (rc != 0)
		fail_msg("%s\n  -> error at %lld: %s", s, (long long)e.pos, e.msg);
	assert_non_null(q);
	return q;
}

/* The query fails with code at pos with exactly msg. */
static void want_err(const char *s, int code, int64_t pos, const char *msg)
{
	vg_query *q = (vg_query *)&q;
	vg_err e = {0};
	int rc = vg_query_parse(s, strlen(s), NOW, &q, &e);
	if (rc != code || e.pos != pos || strcmp(e.msg, msg) != 0)
		fail_msg("%s\n  want %d at %lld: %s\n  got  %d at %lld: %s", s, code,
			 (long long)pos, msg, rc, (long long)e.pos, e.msg);
	assert_null(q);
}

static const vg_snode *kid(const vg_snode *n, uint32_t i)
{
	assert_true(n->kind == VG_SN_AND || n->kind == VG_SN_OR);
	assert_true(i < n->list.n);
	return n->list.kids[i];
}

static void want_cmp(const vg_snode *n, const char *field, int op, const char *val)
{
	assert_int_equal(n->kind, VG_SN_CMP);
	assert_string_equal(n->cmp.field.s, field);
	assert_int_equal(n->op, op);
	assert_string_equal(n->cmp.val.s, val);
}

static void want_term(const vg_snode *n, const char *text)
{
	assert_int_equal(n->kind, VG_SN_TERM);
	assert_string_equal(n->term.s, text);
}

static char *dump(const vg_query *q)
{
	vg_buf b = {0};
	vg_query_dump(q, &b);
	vg_buf_putc(&b, 0);
	return (char *)b.p;
}

/* ------------------------------------------------------- SPEC.md examples */

static void test_spec_timechart(void **st)
{
	(void)st;
	vg_query *q =
		parse_ok("\"not authorized to perform\" earliest=-7d | timechart span=1h count");
	want_term(q->search, "not authorized to perform");
	assert_true(q->search->term.flags & VG_QV_QUOTED);
	assert_true(q->has_earliest);
	assert_false(q->has_latest);
	assert_int_equal(q->earliest, NOW - 7 * VG_NS_PER_DAY);
	assert_int_equal(q->ncmds, 1);
	assert_int_equal(q->cmds[0].kind, VG_CMD_TIMECHART);
	assert_int_equal(q->cmds[0].pos, 43);
	assert_int_equal(q->cmds[0].timechart.span_ns, 3600 * VG_NS_PER_SEC);
	assert_int_equal(q->cmds[0].timechart.aggs.n, 1);
	assert_int_equal(q->cmds[0].timechart.aggs.v[0].fn, VG_AGG_COUNT);
	assert_false(q->cmds[0].timechart.aggs.v[0].has_field);
	assert_null(q->cmds[0].timechart.by.s);
	assert_int_equal(q->output, VG_QOUT_TIMECHART);
	assert_int_equal(q->nterms, 1);
	assert_string_equal(q->terms[0].s, "not authorized to perform");
	vg_query_free(q);
}

static void test_spec_top(void **st)
{
	(void)st;
	vg_query *q = parse_ok("group=vpcflow action=REJECT | top 10 srcaddr");
	assert_int_equal(q->search->kind, VG_SN_AND);
	want_cmp(kid(q->search, 0), "_group", VG_SOP_EQ, "vpcflow");
	assert_int_equal(kid(q->search, 0)->cmp.field.kind, VG_QF_GROUP);
	want_cmp(kid(q->search, 1), "action", VG_SOP_EQ, "REJECT");
	assert_int_equal(kid(q->search, 1)->pos, 14);
	assert_int_equal(kid(q->search, 1)->cmp.val.pos, 21);
	const vg_qcmd *c = &q->cmds[0];
	assert_int_equal(c->kind, VG_CMD_TOP);
	assert_int_equal(c->top.limit, 10);
	assert_int_equal(c->top.fields.n, 1);
	assert_string_equal(c->top.fields.v[0].s, "srcaddr");
	assert_int_equal(c->top.by.n, 0);
	assert_string_equal(c->top.countfield, "count");
	assert_int_equal(q->output, VG_QOUT_ROWS);
	assert_int_equal(q->first_transform, 0);
	/* _group selects groups: no Bloom term; REJECT is one. */
	assert_int_equal(q->nterms, 1);
	assert_string_equal(q->terms[0].s, "REJECT");
	vg_query_free(q);
}

static void test_spec_or_binds_tighter(void **st)
{
	(void)st;
	vg_query *q = parse_ok("action=REJECT dstport=22 OR dstport=3389 | stats count, "
			       "dc(dstport) by srcaddr | sort -count | head 20");
	/* Splunk's search: REJECT AND (22 OR 3389), not (REJECT AND 22) OR 3389. */
	assert_int_equal(q->search->kind, VG_SN_AND);
	assert_int_equal(q->search->list.n, 2);
	want_cmp(kid(q->search, 0), "action", VG_SOP_EQ, "REJECT");
	const vg_snode *o = kid(q->search, 1);
	assert_int_equal(o->kind, VG_SN_OR);
	want_cmp(kid(o, 0), "dstport", VG_SOP_EQ, "22");
	want_cmp(kid(o, 1), "dstport", VG_SOP_EQ, "3389");
	assert_true(kid(o, 1)->cmp.val.flags & VG_QV_INT);
	assert_int_equal(kid(o, 1)->cmp.val.i, 3389);
	assert_int_equal(q->ncmds, 3);
	const vg_qcmd *s = &q->cmds[0];
	assert_int_equal(s->stats.aggs.n, 2);
	assert_string_equal(s->stats.aggs.v[0].as, "count");
	assert_int_equal(s->stats.aggs.v[1].fn, VG_AGG_DC);
	assert_string_equal(s->stats.aggs.v[1].field.s, "dstport");
	assert_string_equal(s->stats.aggs.v[1].as, "dc(dstport)");
	assert_int_equal(s->stats.by.n, 1);
	assert_string_equal(s->stats.by.v[0].s, "srcaddr");
	assert_int_equal(q->cmds[1].sort.n, 1);
	assert_string_equal(q->cmds[1].sort.keys[0].field.s, "count");
	assert_true(q->cmds[1].sort.keys[0].desc);
	assert_int_equal(q->cmds[2].kind, VG_CMD_HEAD);
	assert_int_equal(q->cmds[2].head.n, 20);
	/* Only what stats reads comes from storage. */
	assert_false(q->reads_all);
	assert_int_equal(q->nreads, 3);
	assert_string_equal(q->reads[0].s, "action");
	assert_string_equal(q->reads[1].s, "dstport");
	assert_string_equal(q->reads[2].s, "srcaddr");
	vg_query_free(q);
}

static void test_spec_cidr_not(void **st)
{
	(void)st;
	vg_query *q = parse_ok("srcaddr=203.0.113.0/24 NOT dstport=443");
	const vg_snode *c = kid(q->search, 0);
	assert_true(c->cmp.val.flags & VG_QV_CIDR);
	static const uint8_t net[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 203, 0, 113, 0};
	assert_memory_equal(c->cmp.val.ip, net, 16);
	assert_int_equal(c->cmp.val.bits, 96 + 24);
	const vg_snode *n = kid(q->search, 1);
	assert_int_equal(n->kind, VG_SN_NOT);
	assert_int_equal(n->pos, 23);
	want_cmp(n->kid, "dstport", VG_SOP_EQ, "443");
	assert_int_equal(q->nterms, 0); /* a network is no text; NOT gives nothing */
	assert_true(q->reads_all);      /* events are returned: every field shows */
	assert_int_equal(q->output, VG_QOUT_EVENTS);
	vg_query_free(q);
}

static void test_spec_wildcard(void **st)
{
	(void)st;
	vg_query *q = parse_ok(
		"eventSource=signin.amazonaws.com eventName=ConsoleLogin errorMessage=\"Failed*\"");
	assert_int_equal(q->search->list.n, 3);
	const vg_snode *w = kid(q->search, 2);
	want_cmp(w, "errorMessage", VG_SOP_EQ, "Failed*");
	assert_int_equal(w->cmp.val.flags, VG_QV_QUOTED | VG_QV_WILD);
	assert_int_equal(q->nterms, 3);
	assert_string_equal(q->terms[2].s, "Failed");
	assert_false(q->terms[2].open_left);
	assert_true(q->terms[2].open_right);
	vg_query_free(q);
}

static void test_spec_iplocation(void **st)
{
	(void)st;
	vg_query *q = parse_ok("group=vpcflow | iplocation srcaddr | stats sum(bytes) by Country");
	assert_int_equal(q->cmds[0].kind, VG_CMD_IPLOCATION);
	assert_string_equal(q->cmds[0].iplocation.field.s, "srcaddr");
	assert_string_equal(q->cmds[1].stats.aggs.v[0].as, "sum(bytes)");
	assert_int_equal(q->first_transform, 1);
	/* Country comes from iplocation, not from storage. */
	assert_int_equal(q->nreads, 3);
	assert_string_equal(q->reads[0].s, "_group");
	assert_string_equal(q->reads[1].s, "bytes");
	assert_string_equal(q->reads[2].s, "srcaddr");
	vg_query_free(q);
}

static void test_spec_wednesday(void **st)
{
	(void)st;
	vg_query *q = parse_ok(
		"date_wday=wednesday earliest=-1w@w latest=@w \"AccessDenied\" | stats count");
	/* Last week, Sunday to Sunday, with the bounds taken out of the tree. */
	assert_int_equal(q->earliest, ts(2023, 11, 5, 0, 0, 0));
	assert_int_equal(q->latest, ts(2023, 11, 12, 0, 0, 0));
	assert_int_equal(q->search->list.n, 2);
	const vg_snode *d = kid(q->search, 0);
	assert_int_equal(d->cmp.field.kind, VG_QF_WDAY);
	assert_true(d->cmp.val.flags & VG_QV_WDAY);
	assert_int_equal(d->cmp.val.i, 3);
	want_term(kid(q->search, 1), "AccessDenied");
	assert_int_equal(kid(q->search, 1)->pos, 45);
	vg_query_free(q);
}

/* ------------------------------------------------------------ precedence */

static void test_search_precedence(void **st)
{
	(void)st;
	vg_query *q = parse_ok("a OR b c");
	assert_int_equal(q->search->kind, VG_SN_AND);
	assert_int_equal(kid(q->search, 0)->kind, VG_SN_OR);
	want_term(kid(q->search, 1), "c");
	vg_query_free(q);

	q = parse_ok("NOT a OR b");
	assert_int_equal(q->search->kind, VG_SN_OR);
	assert_int_equal(kid(q->search, 0)->kind, VG_SN_NOT);
	vg_query_free(q);

	q = parse_ok("x AND y OR z");
	assert_int_equal(q->search->kind, VG_SN_AND);
	want_term(kid(q->search, 0), "x");
	assert_int_equal(kid(q->search, 1)->kind, VG_SN_OR);
	vg_query_free(q);

	/* Lower-case operators are words; parentheses regroup and flatten. */
	q = parse_ok("a and (b OR (c OR d))");
	assert_int_equal(q->search->list.n, 3);
	want_term(kid(q->search, 1), "and");
	assert_int_equal(kid(q->search, 2)->list.n, 3);
	vg_query_free(q);
}

static void test_expr_precedence(void **st)
{
	(void)st;
	vg_query *q = parse_ok("| where a=1 OR b=2 AND NOT c=3");
	const vg_expr *e = q->cmds[0].where;
	/* eval's order: AND before OR, NOT over a whole comparison. */
	assert_int_equal(e->kind, VG_EX_OR);
	assert_int_equal(e->list.n, 2);
	assert_int_equal(e->list.args[0]->kind, VG_EX_BIN);
	assert_int_equal(e->list.args[1]->kind, VG_EX_AND);
	const vg_expr *n = e->list.args[1]->list.args[1];
	assert_int_equal(n->kind, VG_EX_NOT);
	assert_int_equal(n->kid->kind, VG_EX_BIN);
	assert_int_equal(n->kid->op, VG_BOP_EQ);
	vg_query_free(q);

	q = parse_ok("| eval x = 1 + 2 * -3 . \"s\"");
	e = q->cmds[0].eval.v[0].e;
	/* ((1 + (2 * -3)) . "s"): + and . share a level, left to right. */
	assert_int_equal(e->op, VG_BOP_CONCAT);
	assert_int_equal(e->pos, 11);
	assert_int_equal(e->oppos, 22);
	assert_int_equal(e->bin.l->op, VG_BOP_ADD);
	assert_int_equal(e->bin.l->bin.r->op, VG_BOP_MUL);
	const vg_expr *m3 = e->bin.l->bin.r->bin.r;
	assert_int_equal(m3->kind, VG_EX_NUM);
	assert_int_equal(m3->lit.i, -3);
	assert_int_equal(m3->pos, 19);
	vg_query_free(q);
}

/* ----------------------------------------------------------- time bounds */

static void want_bounds(const char *s, int he, int64_t e, int hl, int64_t l)
{
	vg_query *q = parse_ok(s);
	assert_int_equal(q->has_earliest, he);
	assert_int_equal(q->has_latest, hl);
	if (he)
		assert_int_equal(q->earliest, e);
	if (hl)
		assert_int_equal(q->latest, l);
	vg_query_free(q);
}

static void test_time_bounds(void **st)
{
	(void)st;
	want_bounds("earliest=-1h@h", 1, ts(2023, 11, 14, 21, 0, 0), 0, 0);
	want_bounds("earliest=-1w@w3 x", 1, ts(2023, 11, 1, 0, 0, 0), 0, 0);
	want_bounds("latest=@d", 0, 0, 1, ts(2023, 11, 14, 0, 0, 0));
	want_bounds("latest=now", 0, 0, 1, NOW);
	want_bounds("earliest=2023-11-01T10:00:00Z latest=\"2023-11-02 00:00:00+02:00\"", 1,
		    ts(2023, 11, 1, 10, 0, 0), 1, ts(2023, 11, 1, 22, 0, 0));
	want_bounds("earliest=1699999999.5", 1, NOW - VG_NS_PER_SEC / 2, 0, 0);
	want_bounds("earliest=-1mon@mon", 1, ts(2023, 10, 1, 0, 0, 0), 0, 0);
	/* Written twice, bounds intersect (they are ANDed with the rest). */
	want_bounds("earliest=-2d (a earliest=-1d) latest=-1h latest=-2h", 1,
		    NOW - VG_NS_PER_DAY, 1, NOW - 2 * 3600 * VG_NS_PER_SEC);
	vg_query *q = parse_ok("earliest=-1d latest=now");
	assert_null(q->search); /* nothing left but the bounds: every event */
	vg_query_free(q);

	want_err("earliest=-1d OR a", VG_EINVAL, 0,
		 "earliest= at 0 cannot be used under OR: time bounds apply to the whole search");
	want_err("a NOT (b latest=-1d)", VG_EINVAL, 9,
		 "latest= at 9 cannot be used under NOT: time bounds apply to the whole search");
	want_err("x | search earliest=-1d", VG_EINVAL, 11,
		 "earliest= at 11 is only allowed in the search before the first '|'");
	want_err("earliest>-1d", VG_EINVAL, 8, "earliest takes '=' at 8");
	want_err("earliest=-1d latest=-2d", VG_EINVAL, 13,
		 "empty time range at 13: earliest 2023-11-13T22:13:20.000Z is not before latest "
		 "2023-11-12T22:13:20.000Z");
	want_err("a earliest=yesterday", VG_EINVAL, 11,
		 "bad time 'yesterday' for earliest at 11: use ISO-8601 (2026-11-27T10:00:00Z), "
		 "epoch seconds, or a relative time like -7d, -1h@h, @w1");
	/* Offsets int64 nanoseconds cannot hold are refused before arithmetic. */
	want_err("earliest=-999999999m", VG_EINVAL, 9,
		 "bad time '-999999999m' for earliest at 9: out of range");
	want_err("earliest=99999999999", VG_EINVAL, 9,
		 "bad time '99999999999' for earliest at 9: out of range");
	want_bounds("earliest=-100y", 1, ts(1923, 11, 14, 22, 13, 20), 0, 0);
}

/* ---------------------------------------------------------------- values */

static const vg_qval *val(const vg_query *q, uint32_t i)
{
	const vg_snode *n = q->search->kind == VG_SN_AND ? kid(q->search, i) : q->search;
	return n->kind == VG_SN_TERM ? &n->term : &n->cmp.val;
}

static void test_values(void **st)
{
	(void)st;
	vg_query *q = parse_ok(
		"a=1.5 b=-7 c=007 d=1e3 e=99999999999999999999 f=x1 g=\"a\\\"b\\\\c\\d\"");
	assert_int_equal(val(q, 0)->flags, VG_QV_NUM);
	assert_true(val(q, 0)->d == 1.5);
	assert_int_equal(val(q, 1)->flags, VG_QV_NUM | VG_QV_INT);
	assert_int_equal(val(q, 1)->i, -7);
	assert_int_equal(val(q, 2)->i, 7);
	assert_true(val(q, 3)->d == 1000);
	assert_false(val(q, 3)->flags & VG_QV_INT);
	assert_int_equal(val(q, 4)->flags, VG_QV_NUM);
	assert_int_equal(val(q, 5)->flags, 0);
	/* \" and \\ are escapes; any other backslash stays (regexes need it). */
	assert_string_equal(val(q, 6)->s, "a\"b\\c\\d");
	assert_int_equal(val(q, 6)->len, 7);
	vg_query_free(q);

	q = parse_ok("a=10.1.2.3 b=2001:db8::1 c=2001:db8::/32 d=10.9.8.7/8 e=10.0.0.* f=*");
	uint8_t ip[16];
	assert_int_equal(val(q, 0)->flags, VG_QV_IP);
	assert_int_equal(val(q, 0)->bits, 128);
	assert_int_equal(vg_ip_parse("2001:db8::1", 11, ip), 0);
	assert_memory_equal(val(q, 1)->ip, ip, 16);
	assert_int_equal(val(q, 2)->flags, VG_QV_CIDR);
	assert_int_equal(val(q, 2)->bits, 32);
	/* Host bits are cleared, so the executor compares a masked address. */
	assert_int_equal(vg_ip_parse("10.0.0.0", 8, ip), 0);
	assert_memory_equal(val(q, 3)->ip, ip, 16);
	assert_int_equal(val(q, 3)->bits, 104);
	assert_int_equal(val(q, 4)->flags, VG_QV_WILD);
	assert_int_equal(val(q, 5)->flags, VG_QV_WILD | VG_QV_ANY);
	vg_query_free(q);

	q = parse_ok("date_wday=Sunday date_hour>=9 date_mday=31 _time<2023-11-14 date_wday!=*day");
	assert_int_equal(val(q, 0)->i, 0);
	assert_string_equal(val(q, 0)->s, "sunday");
	assert_int_equal(val(q, 1)->i, 9);
	assert_int_equal(kid(q->search, 3)->cmp.field.kind, VG_QF_TIME);
	assert_int_equal(val(q, 3)->flags, VG_QV_TIME);
	assert_int_equal(val(q, 3)->i, ts(2023, 11, 14, 0, 0, 0));
	assert_int_equal(val(q, 4)->flags, VG_QV_WILD);
	vg_query_free(q);

	/* index and group are _group; names keep dots and brackets. */
	q = parse_ok("index=main userIdentity.type=Root resources[0].ARN=arn:aws:x");
	assert_int_equal(kid(q->search, 0)->cmp.field.kind, VG_QF_GROUP);
	assert_string_equal(kid(q->search, 1)->cmp.field.s, "userIdentity.type");
	assert_string_equal(kid(q->search, 2)->cmp.field.s, "resources[0].ARN");
	assert_string_equal(val(q, 2)->s, "arn:aws:x");
	vg_query_free(q);
}

/* ----------------------------------------------------------------- regexes */

static void test_regexes(void **st)
{
	(void)st;
	vg_query *q = parse_ok("| rex field=msg \"user=(?<user>\\w+) (\\d+) (?<b>x)|(?<user>y)\" "
			       "| where match(user, \"^adm\")");
	const vg_qregex *r = q->cmds[0].rex.re;
	assert_string_equal(q->cmds[0].rex.field.s, "msg");
	assert_int_equal(r->ncaptures, 4);
	/* Named groups in order of their first group, duplicates once. */
	assert_int_equal(r->nnames, 2);
	assert_string_equal(r->names[0], "user");
	assert_int_equal(r->name_groups[0], 1);
	assert_string_equal(r->names[1], "b");
	assert_int_equal(r->name_groups[1], 3);
	const vg_expr *m = q->cmds[1].where;
	assert_int_equal(m->fn, VG_FN_MATCH);
	assert_non_null(m->list.args[1]->lit.re);

	/* The executor matches with a context that bounds the work, and
	 * events that are not UTF-8 still match. */
	pcre2_match_context *mc = vg_qregex_mctx();
	assert_non_null(mc);
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(r->code, NULL);
	const char subject[] = "\xff\xfe user=root 42 x";
	int rc = pcre2_match(r->code, (PCRE2_SPTR)subject, sizeof subject - 1, 0, 0, md, mc);
	assert_int_equal(rc, 4);
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	assert_int_equal(ov[2], 8);
	assert_int_equal(ov[3], 12);
	pcre2_match_data_free(md);
	pcre2_match_context_free(mc);
	vg_query_free(q);

	/* Errors point into the query, past escapes. */
	want_err("f~\"a\\\"(b\"", VG_EINVAL, 8,
		 "bad regular expression at 8: missing closing parenthesis");
	want_err("| eval x=replace(a, \"[z-a]\", \"\")", VG_EINVAL, 24,
		 "bad regular expression at 24: range out of order in character class");
	want_err("| rex \"(a)\"", VG_EINVAL, 6,
		 "the regular expression at 6 names no group: write (?<field>...) for each field "
		 "to extract");
}

/* --------------------------------------------------------------- commands */

static void test_commands(void **st)
{
	(void)st;
	vg_query *q = parse_ok(
		"| eval a=1, 'b c'=a*2 | rename a as x, b* as y* | fields - _raw | table x, y*, z "
		"| dedup 3 x keepempty=true | lookup geo ip as src OUTPUTNEW country as cc "
		"| geostats count by cc | rare a by b | tail 5");
	assert_int_equal(q->ncmds, 9);
	assert_int_equal(q->cmds[0].eval.n, 2);
	assert_string_equal(q->cmds[0].eval.v[1].target.s, "b c");
	assert_int_equal(q->cmds[1].rename.n, 2);
	assert_true(q->cmds[1].rename.v[1].to.wild);
	assert_true(q->cmds[2].fields.remove);
	assert_int_equal(q->cmds[3].table.n, 3);
	assert_int_equal(q->cmds[4].dedup.keep, 3);
	assert_true(q->cmds[4].dedup.keepempty);
	assert_string_equal(q->cmds[5].lookup.table, "geo");
	assert_string_equal(q->cmds[5].lookup.in[0].from.s, "ip");
	assert_string_equal(q->cmds[5].lookup.in[0].to.s, "src");
	assert_true(q->cmds[5].lookup.outputnew);
	assert_string_equal(q->cmds[6].geostats.lat.s, "lat");
	assert_string_equal(q->cmds[6].geostats.by.s, "cc");
	assert_int_equal(q->cmds[7].kind, VG_CMD_RARE);
	assert_int_equal(q->cmds[8].head.n, 5);
	assert_int_equal(q->output, VG_QOUT_ROWS);
	assert_int_equal(q->first_transform, 3);
	vg_query_free(q);

	/* A leading `search` is the command's name, not a term. */
	q = parse_ok("search error | search NOT warn");
	want_term(q->search, "error");
	assert_int_equal(q->cmds[0].search->kind, VG_SN_NOT);
	vg_query_free(q);

	q = parse_ok(
		"| timechart span=15m bins=5 limit=0 avg(bytes) as avg, perc99.5(bytes) by action");
	const vg_qcmd *t = &q->cmds[0];
	assert_int_equal(t->timechart.span_ns, 900 * VG_NS_PER_SEC);
	assert_int_equal(t->timechart.bins, 5);
	assert_int_equal(t->timechart.limit, 0);
	assert_string_equal(t->timechart.aggs.v[0].as, "avg");
	assert_int_equal(t->timechart.aggs.v[1].fn, VG_AGG_PERC);
	assert_true(t->timechart.aggs.v[1].perc == 99.5);
	assert_string_equal(t->timechart.by.s, "action");
	vg_query_free(q);
}

/* ----------------------------------------------------------------- errors */

static void test_errors(void **st)
{
	(void)st;
	want_err("action=REJECT | stat count", VG_EINVAL, 16,
		 "unknown command 'stat' at 16; did you mean 'stats'?");
	want_err("x | where (a=1", VG_EINVAL, 10, "missing ')' for '(' at 10");
	want_err("foo (bar OR baz", VG_EINVAL, 4, "missing ')' for '(' at 4");
	want_err("a \"open", VG_EINVAL, 2, "unterminated string starting at 2");
	want_err("| head x", VG_EINVAL, 7, "'head' takes a number, found 'x' at 7");
	want_err("| eval n=lenght(x)", VG_EINVAL, 9,
		 "unknown function 'lenght' at 9; did you mean 'len'?");
	want_err("| eval n=substr(x)", VG_EINVAL, 9,
		 "'substr' takes 2 or 3 arguments, found 1 at 9");
	want_err("| stats cuont", VG_EINVAL, 8,
		 "unknown aggregation 'cuont' at 8; did you mean 'count'?");
	want_err("| where x=1 and y=2", VG_EINVAL, 12,
		 "unexpected 'and' at 12; operators are upper case: AND");
	want_err("a | | b", VG_EINVAL, 4, "empty command at 4: two '|' in a row");
	want_err("a |", VG_EINVAL, 2, "missing command after '|' at 2");
	want_err("| chart count", VG_EINVAL, 2, "command 'chart' at 2 is not supported by vigil");
	want_err("date_wday=wensday", VG_EINVAL, 10,
		 "bad day 'wensday' for date_wday at 10: use sunday ... saturday; did you mean "
		 "'wednesday'?");
	want_err("bytes>lots", VG_EINVAL, 6, "'>' compares numbers; found 'lots' at 6");
	want_err("x=10.0.0.0/40", VG_EINVAL, 2,
		 "bad network '10.0.0.0/40' at 2: the prefix length is at most 32");
	/* Text quoted in messages stays printable: control bytes and bytes
	 * that are not UTF-8 as \xNN, long text cut. */
	want_err("| x\x01y", VG_EINVAL, 2, "unknown command 'x\\x01y' at 2");
	want_err("| where a \x7f", VG_EINVAL, 10, "unexpected character '\\x7f' at 10");
	want_err("| caf\xc3\xa9", VG_EINVAL, 2, "unknown command 'caf\xc3\xa9' at 2");
	want_err("| caf\xe9", VG_EINVAL, 2, "unknown command 'caf\\xe9' at 2");
	want_err("| aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		 VG_EINVAL, 2,
		 "unknown command 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' at 2");
}

/* ----------------------------------------------------------------- bounds */

static void parse_len(const char *s, size_t n, int want)
{
	vg_query *q = NULL;
	vg_err e = {0};
	int rc = vg_query_parse(s, n, NOW, &q, &e);
	if (rc != want)
		fail_msg("want %d, got %d: %s", want, rc, e.msg);
	vg_query_free(q);
}

static char *repeat(const char *head, const char *unit, size_t k, const char *tail)
{
	size_t hn = strlen(head), un = strlen(unit), tn = strlen(tail);
	char *s = malloc(hn + un * k + tn + 1);
	memcpy(s, head, hn);
	for (size_t i = 0; i < k; i++)
		memcpy(s + hn + i * un, unit, un);
	memcpy(s + hn + un * k, tail, tn + 1);
	return s;
}

static void test_limits(void **st)
{
	(void)st;
	char *s = repeat("", "a ", VG_Q_MAX_LEN / 2, "");
	parse_len(s, VG_Q_MAX_LEN, 0);
	free(s);
	s = repeat("", "a ", VG_Q_MAX_LEN / 2 + 1, "");
	want_err(s, VG_ELIMIT, VG_Q_MAX_LEN, "query longer than 65536 bytes at 65536");
	free(s);

	s = repeat("", "(", VG_Q_MAX_DEPTH, "a");
	char *t = repeat(s, ")", VG_Q_MAX_DEPTH, "");
	parse_len(t, strlen(t), 0);
	free(s);
	free(t);
	s = repeat("", "(", VG_Q_MAX_DEPTH + 1, "a");
	want_err(s, VG_ELIMIT, 64, "nesting deeper than 64 levels at 64");
	free(s);
	s = repeat("", "NOT ", VG_Q_MAX_DEPTH + 1, "a");
	want_err(s, VG_ELIMIT, 256, "nesting deeper than 64 levels at 256");
	free(s);
	/* A chain of operators is as deep as a nest of parentheses. */
	s = repeat("| eval x=1", "+1", VG_Q_MAX_DEPTH, "");
	parse_len(s, strlen(s), 0);
	free(s);
	s = repeat("| eval x=1", "+1", VG_Q_MAX_DEPTH + 1, "");
	want_err(s, VG_ELIMIT, 138, "nesting deeper than 64 levels at 138");
	free(s);
	/* But AND and OR lists are flat: a long OR is fine. */
	s = repeat("| where x=0", " OR x=1", 500, "");
	parse_len(s, strlen(s), 0);
	free(s);

	s = repeat("x", " | head", VG_Q_MAX_CMDS, "");
	parse_len(s, strlen(s), 0);
	free(s);
	s = repeat("x", " | head", VG_Q_MAX_CMDS + 1, "");
	want_err(s, VG_ELIMIT, 702, "more than 100 commands at 702");
	free(s);

	s = repeat("", "a~\"b\" ", VG_Q_MAX_REGEX, "");
	parse_len(s, strlen(s), 0);
	free(s);
	s = repeat("", "a~\"b\" ", VG_Q_MAX_REGEX + 1, "");
	want_err(s, VG_ELIMIT, 386, "more than 64 regular expressions at 386");
	free(s);

	s = repeat("| table", " f", VG_Q_MAX_ITEMS, "");
	parse_len(s, strlen(s), 0);
	free(s);
	s = repeat("| table", " f", VG_Q_MAX_ITEMS + 1, "");
	want_err(s, VG_ELIMIT, 520, "more than 256 items in one list at 520");
	free(s);

	s = repeat("", "f", VG_Q_MAX_NAME + 1, "=1");
	want_err(s, VG_ELIMIT, 0, "field name longer than 256 bytes at 0");
	free(s);

	vg_query *q = (vg_query *)&q;
	vg_err e = {0};
	assert_int_equal(vg_query_parse("ab\0c", 4, NOW, &q, &e), VG_EINVAL);
	assert_null(q);
	assert_int_equal(e.pos, 2);
	assert_string_equal(e.msg, "NUL byte in the query at 2");
	assert_int_equal(vg_query_parse("a", 1, INT64_MAX, &q, &e), VG_EINVAL);
	assert_int_equal(e.pos, -1);
	/* No error struct is needed, and freeing nothing is fine. */
	assert_int_equal(vg_query_parse("(", 1, NOW, &q, NULL), VG_EINVAL);
	vg_query_free(NULL);
}

/* -------------------------------------------------------- derived facts */

static void want_reads(const char *s, const char *want)
{
	vg_query *q = parse_ok(s);
	char got[512] = "";
	if (q->reads_all)
		strcpy(got, "*all*");
	for (uint32_t i = 0; i < q->nreads; i++)
		snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", i ? " " : "",
			 q->reads[i].s);
	if (strcmp(got, want) != 0)
		fail_msg("%s\n  want reads: %s\n  got:        %s", s, want, got);
	vg_query_free(q);
}

static void test_reads(void **st)
{
	(void)st;
	want_reads("a=1", "*all*");
	want_reads("a=1 | table b, c*", "a b c*");
	want_reads("error | stats count by host", "_raw host");
	want_reads("| eval x=y+1 | stats avg(x) by z", "y z");
	want_reads("| rename src as s | stats count by s", "src");
	want_reads("| rex field=m \"(?<u>\\w+)\" | stats count by u", "m");
	want_reads("| timechart latest(v) by w", "_time v w");
	/* b does not exist after `fields a`: nothing to read for it. */
	want_reads("| fields a | where b>1", "_raw _time a");
	want_reads("| lookup geo ip OUTPUT cc | stats count by cc", "ip");
	want_reads("| geostats count", "lat lon");
	want_reads("| stats count | eval x=1", "");
}

static void test_terms(void **st)
{
	(void)st;
	vg_query *q = parse_ok("\"access denied\" user=*admin* x=1 ip=10.0.0.1 ip6=::FFFF:1.2.3.4 "
			       "(a OR b) NOT c d!=e f>1 g~h _group=z date_wday=monday *");
	/* Only ANDed literals: the phrase, the middle of *admin*, the address
	 * in the form the store writes; no numbers, OR, NOT, !=, regexes. */
	assert_int_equal(q->nterms, 3);
	assert_string_equal(q->terms[0].s, "access denied");
	assert_string_equal(q->terms[1].s, "admin");
	assert_true(q->terms[1].open_left && q->terms[1].open_right);
	assert_string_equal(q->terms[2].s, "10.0.0.1");
	vg_query_free(q);
}

/* ------------------------------------------------------------------ golden */

/* The text a query gives: its dump, or its error. */
static char *golden_output(const char *query, size_t n)
{
	vg_query *q = NULL;
	vg_err e = {0};
	int rc = vg_query_parse(query, n, NOW, &q, &e);
	if (rc == 0) {
		char *a = dump(q), *b = dump(q);
		assert_string_equal(a, b); /* deterministic */
		free(b);
		vg_query_free(q);
		return a;
	}
	char *s = malloc(700);
	snprintf(s, 700, "error %s @%lld: %s\n", vg_strerror(rc), (long long)e.pos, e.msg);
	return s;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_golden(void **st)
{
	(void)st;
	DIR *d = opendir(GOLDEN_DIR);
	assert_non_null(d);
	char *names[1024];
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL && n < 1024) {
		size_t len = strlen(de->d_name);
		if (len > 4 && strcmp(de->d_name + len - 4, ".txt") == 0)
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, by_name);
	assert_true(n >= 100);
	int update = getenv("VG_GOLDEN_UPDATE") != NULL, failed = 0;
	for (size_t i = 0; i < n; i++) {
		char path[512];
		size_t len;
		snprintf(path, sizeof path, GOLDEN_DIR "/%s", names[i]);
		char *text = slurp(path, &len);
		assert_non_null(text);
		char *sep = strstr(text, "\n----\n");
		if (sep == NULL)
			fail_msg("%s: no '----' line after the query", path);
		size_t qn = (size_t)(sep - text);
		char *got = golden_output(text, qn);
		const char *want = sep + 6;
		if (strcmp(got, want) != 0) {
			if (update) {
				FILE *f = fopen(path, "wb");
				fwrite(text, 1, qn + 6, f);
				fputs(got, f);
				fclose(f);
			} else {
				fprintf(stderr, "golden %s differs\n--- want\n%s--- got\n%s", path,
					want, got);
				failed++;
			}
		}
		free(got);
		free(text);
		free(names[i]);
	}
	assert_int_equal(failed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_timechart),
		cmocka_unit_test(test_spec_top),
		cmocka_unit_test(test_spec_or_binds_tighter),
		cmocka_unit_test(test_spec_cidr_not),
		cmocka_unit_test(test_spec_wildcard),
		cmocka_unit_test(test_spec_iplocation),
		cmocka_unit_test(test_spec_wednesday),
		cmocka_unit_test(test_search_precedence),
		cmocka_unit_test(test_expr_precedence),
		cmocka_unit_test(test_time_bounds),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_regexes),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_reads),
		cmocka_unit_test(test_terms),
		cmocka_unit_test(test_golden),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
