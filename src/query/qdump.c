/*
 * qdump.c — a query as deterministic text, for the golden tests and for
 * people reading a tree.
 *
 * S-expressions: structure (the query, the search tree, commands and
 * their lists) one node per line, indented by two spaces; expressions of
 * where and eval on one line. `@N` is a node's position in the query.
 * Strings are in double quotes and names bare, or in single quotes when
 * they hold anything but name characters; both escape quotes, backslashes
 * and every byte outside printable ASCII as \xNN, so the text is ASCII.
 * Times are ISO-8601 with nanoseconds, numbers the shortest text that
 * reads back the same double.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/qint.h"
#include "util/ip.h"
#include "util/timeutil.h"

static void indent(vg_buf *b, int depth)
{
	vg_buf_putc(b, '\n');
	for (int i = 0; i < depth; i++)
		vg_buf_puts(b, "  ");
}

static void quoted(vg_buf *b, const char *s, size_t n, char q)
{
	static const char hex[] = "0123456789abcdef";
	vg_buf_putc(b, (uint8_t)q);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == (unsigned char)q || c == '\\') {
			vg_buf_putc(b, '\\');
			vg_buf_putc(b, c);
		} else if (c >= 0x20 && c < 0x7f) {
			vg_buf_putc(b, c);
		} else {
			vg_buf_puts(b, "\\x");
			vg_buf_putc(b, (uint8_t)hex[c >> 4]);
			vg_buf_putc(b, (uint8_t)hex[c & 15]);
		}
	}
	vg_buf_putc(b, (uint8_t)q);
}

static void str(vg_buf *b, const char *s, size_t n)
{
	quoted(b, s, n, '"');
}

static int plain_name(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("_.*[]:-/@{}", c)))
			return 0;
	}
	return 1;
}

static void name(vg_buf *b, const vg_qname *n)
{
	if (plain_name(n->s, n->len))
		vg_buf_put(b, n->s, n->len);
	else
		quoted(b, n->s, n->len, '\'');
	vg_buf_printf(b, "@%u", n->pos);
}

/* Integers as integers (50, not 5e+01); others in the shortest %g form
 * that reads back as the same double. */
static void number(vg_buf *b, double d)
{
	char tmp[40];
	if (d > -1e15 && d < 1e15 && d == (double)(int64_t)d) {
		vg_buf_printf(b, "%lld", (long long)d);
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	vg_buf_puts(b, tmp);
}

static void time_ns(vg_buf *b, int64_t ns)
{
	char tmp[40];
	vg_format_iso8601(ns, tmp, 1);
	vg_buf_puts(b, tmp);
}

/* A network: IPv4 ones with their IPv4 prefix length. */
static void network(vg_buf *b, const uint8_t ip[16], unsigned bits)
{
	char tmp[64];
	vg_ip_format(ip, tmp);
	if (vg_ip_is4(ip) && bits >= 96)
		vg_buf_printf(b, "%s/%u", tmp, bits - 96);
	else
		vg_buf_printf(b, "%s%s/%u", vg_ip_is4(ip) ? "::ffff:" : "", tmp, bits);
}

static void regex(vg_buf *b, const vg_qregex *r)
{
	vg_buf_printf(b, " regex(captures=%u", r->ncaptures);
	if (r->nnames) {
		vg_buf_puts(b, " names=");
		for (uint32_t i = 0; i < r->nnames; i++)
			vg_buf_printf(b, "%s%s/%u", i ? "," : "", r->names[i], r->name_groups[i]);
	}
	vg_buf_putc(b, ')');
}

/* A literal: its text, position, and what the parser read in it. */
static void value(vg_buf *b, const vg_qval *v)
{
	str(b, v->s, v->len);
	vg_buf_printf(b, "@%u", v->pos);
	if (v->flags & VG_QV_QUOTED)
		vg_buf_puts(b, " quoted");
	if (v->flags & VG_QV_ANY)
		vg_buf_puts(b, " any");
	else if (v->flags & VG_QV_WILD)
		vg_buf_puts(b, " wild");
	if (v->flags & VG_QV_INT) {
		vg_buf_printf(b, " int=%lld", (long long)v->i);
	} else if (v->flags & VG_QV_NUM) {
		vg_buf_puts(b, " num=");
		number(b, v->d);
	}
	if (v->flags & VG_QV_IP) {
		char tmp[64];
		vg_ip_format(v->ip, tmp);
		vg_buf_printf(b, " ip=%s", tmp);
	}
	if (v->flags & VG_QV_CIDR) {
		vg_buf_puts(b, " cidr=");
		network(b, v->ip, v->bits);
	}
	if (v->flags & VG_QV_TIME) {
		vg_buf_puts(b, " time=");
		time_ns(b, v->i);
	}
	if (v->flags & VG_QV_WDAY)
		vg_buf_printf(b, " wday=%lld", (long long)v->i);
	if (v->re)
		regex(b, v->re);
}

/* ------------------------------------------------------ search expressions */

static const char *const sop_names[] = {"=", "!=", "<", "<=", ">", ">=", "~"};

static void snode(vg_buf *b, const vg_snode *n, int depth)
{
	indent(b, depth);
	switch (n->kind) {
	case VG_SN_AND:
	case VG_SN_OR:
		vg_buf_printf(b, "(%s @%u", n->kind == VG_SN_AND ? "and" : "or", n->pos);
		for (uint32_t i = 0; i < n->list.n; i++)
			snode(b, n->list.kids[i], depth + 1);
		break;
	case VG_SN_NOT:
		vg_buf_printf(b, "(not @%u", n->pos);
		snode(b, n->kid, depth + 1);
		break;
	case VG_SN_TERM:
		vg_buf_printf(b, "(term @%u ", n->pos);
		value(b, &n->term);
		break;
	default:
		vg_buf_printf(b, "(cmp @%u ", n->pos);
		name(b, &n->cmp.field);
		vg_buf_printf(b, " %s ", sop_names[n->op]);
		value(b, &n->cmp.val);
		break;
	}
	vg_buf_putc(b, ')');
}

/* ------------------------------------------------------- eval expressions */

static const char *const bop_names[] = {"+", "-", "*", "/", "%",  ".",
					 "=", "!=", "<", "<=", ">", ">="};

static void expr(vg_buf *b, const vg_expr *e)
{
	switch (e->kind) {
	case VG_EX_NUM:
		if (e->lit.flags & VG_QV_INT)
			vg_buf_printf(b, "%lld", (long long)e->lit.i);
		else
			number(b, e->lit.d);
		vg_buf_printf(b, "@%u", e->pos);
		return;
	case VG_EX_STR:
		value(b, &e->lit);
		return;
	case VG_EX_BOOL:
		vg_buf_printf(b, "%s@%u", e->lit.i ? "true" : "false", e->pos);
		return;
	case VG_EX_NULL:
		vg_buf_printf(b, "null@%u", e->pos);
		return;
	case VG_EX_FIELD:
		name(b, &e->field);
		return;
	case VG_EX_NEG:
	case VG_EX_NOT:
		vg_buf_printf(b, "(%s @%u ", e->kind == VG_EX_NEG ? "neg" : "not", e->pos);
		expr(b, e->kid);
		break;
	case VG_EX_BIN:
		vg_buf_printf(b, "(%s @%u/%u ", bop_names[e->op], e->pos, e->oppos);
		expr(b, e->bin.l);
		vg_buf_putc(b, ' ');
		expr(b, e->bin.r);
		break;
	default:
		if (e->kind == VG_EX_CALL)
			vg_buf_printf(b, "(call %s @%u", vg_fn_name(e->fn), e->pos);
		else
			vg_buf_printf(b, "(%s @%u", e->kind == VG_EX_AND ? "and" : "or", e->pos);
		if (e->oppos != e->pos)
			vg_buf_printf(b, "/%u", e->oppos);
		for (uint32_t i = 0; i < e->list.n; i++) {
			vg_buf_putc(b, ' ');
			expr(b, e->list.args[i]);
		}
		break;
	}
	vg_buf_putc(b, ')');
}

/* ---------------------------------------------------------------- commands */

static void names(vg_buf *b, const char *label, const vg_qnames *n, int depth)
{
	if (n->n == 0)
		return;
	indent(b, depth);
	vg_buf_printf(b, "(%s", label);
	for (uint32_t i = 0; i < n->n; i++) {
		vg_buf_putc(b, ' ');
		name(b, &n->v[i]);
	}
	vg_buf_putc(b, ')');
}

static void aggs(vg_buf *b, const vg_qaggs *a, int depth)
{
	for (uint32_t i = 0; i < a->n; i++) {
		const vg_qagg *g = &a->v[i];
		indent(b, depth);
		vg_buf_printf(b, "(agg %s @%u", vg_agg_name(g->fn), g->pos);
		if (g->fn == VG_AGG_PERC) {
			vg_buf_puts(b, " perc=");
			number(b, g->perc);
		}
		if (g->has_field) {
			vg_buf_putc(b, ' ');
			name(b, &g->field);
		}
		vg_buf_puts(b, " as ");
		str(b, g->as, g->as_len);
		vg_buf_putc(b, ')');
	}
}

static void one_by(vg_buf *b, const vg_qname *by, int depth)
{
	if (by->s == NULL)
		return;
	indent(b, depth);
	vg_buf_puts(b, "(by ");
	name(b, by);
	vg_buf_putc(b, ')');
}

static void pairs(vg_buf *b, const char *label, const vg_qpair *v, uint32_t n, int depth)
{
	for (uint32_t i = 0; i < n; i++) {
		indent(b, depth);
		vg_buf_printf(b, "(%s ", label);
		name(b, &v[i].from);
		vg_buf_puts(b, " as ");
		name(b, &v[i].to);
		vg_buf_putc(b, ')');
	}
}

static void cmd_body(vg_buf *b, const vg_qcmd *c, int d)
{
	switch (c->kind) {
	case VG_CMD_SEARCH:
		snode(b, c->search, d);
		break;
	case VG_CMD_WHERE:
		vg_buf_putc(b, ' ');
		expr(b, c->where);
		break;
	case VG_CMD_STATS:
		aggs(b, &c->stats.aggs, d);
		names(b, "by", &c->stats.by, d);
		break;
	case VG_CMD_TOP:
	case VG_CMD_RARE:
		vg_buf_printf(b, " limit=%u countfield=", c->top.limit);
		str(b, c->top.countfield, strlen(c->top.countfield));
		vg_buf_puts(b, " percentfield=");
		str(b, c->top.percentfield, strlen(c->top.percentfield));
		vg_buf_printf(b, " showcount=%d showperc=%d", c->top.showcount, c->top.showperc);
		names(b, "fields", &c->top.fields, d);
		names(b, "by", &c->top.by, d);
		break;
	case VG_CMD_TIMECHART:
		vg_buf_printf(b, " span=%llds bins=%u limit=%s%u useother=%d usenull=%d",
			      (long long)(c->timechart.span_ns / VG_NS_PER_SEC), c->timechart.bins,
			      c->timechart.bottom ? "bottom" : "", c->timechart.limit,
			      c->timechart.useother, c->timechart.usenull);
		vg_buf_puts(b, " otherstr=");
		str(b, c->timechart.otherstr, strlen(c->timechart.otherstr));
		vg_buf_puts(b, " nullstr=");
		str(b, c->timechart.nullstr, strlen(c->timechart.nullstr));
		aggs(b, &c->timechart.aggs, d);
		one_by(b, &c->timechart.by, d);
		break;
	case VG_CMD_SORT:
		vg_buf_printf(b, " limit=%u", c->sort.limit);
		for (uint32_t i = 0; i < c->sort.n; i++) {
			static const char *const as[] = {"auto", "num", "str", "ip"};
			indent(b, d);
			vg_buf_puts(b, "(key ");
			name(b, &c->sort.keys[i].field);
			vg_buf_printf(b, " %s %s)", c->sort.keys[i].desc ? "desc" : "asc",
				      as[c->sort.keys[i].as]);
		}
		break;
	case VG_CMD_HEAD:
	case VG_CMD_TAIL:
		vg_buf_printf(b, " n=%u", c->head.n);
		break;
	case VG_CMD_FIELDS:
		vg_buf_puts(b, c->fields.remove ? " remove" : " keep");
		names(b, "list", &c->fields.list, d);
		break;
	case VG_CMD_TABLE:
		names(b, "list", &c->table, d);
		break;
	case VG_CMD_EVAL:
		for (uint32_t i = 0; i < c->eval.n; i++) {
			indent(b, d);
			vg_buf_puts(b, "(set ");
			name(b, &c->eval.v[i].target);
			vg_buf_putc(b, ' ');
			expr(b, c->eval.v[i].e);
			vg_buf_putc(b, ')');
		}
		break;
	case VG_CMD_REX:
		vg_buf_puts(b, " field=");
		name(b, &c->rex.field);
		vg_buf_printf(b, " max_match=%u ", c->rex.max_match);
		str(b, c->rex.re->src, c->rex.re->src_len);
		vg_buf_printf(b, "@%u", c->rex.re->pos);
		regex(b, c->rex.re);
		break;
	case VG_CMD_DEDUP:
		vg_buf_printf(b, " keep=%u keepempty=%d consecutive=%d", c->dedup.keep,
			      c->dedup.keepempty, c->dedup.consecutive);
		names(b, "list", &c->dedup.fields, d);
		break;
	case VG_CMD_IPLOCATION:
		vg_buf_putc(b, ' ');
		name(b, &c->iplocation.field);
		vg_buf_puts(b, " prefix=");
		str(b, c->iplocation.prefix, strlen(c->iplocation.prefix));
		break;
	case VG_CMD_GEOSTATS:
		vg_buf_puts(b, " latfield=");
		name(b, &c->geostats.lat);
		vg_buf_puts(b, " longfield=");
		name(b, &c->geostats.lon);
		vg_buf_printf(b, " binspanlat=%g binspanlong=%g", c->geostats.spanlat,
			      c->geostats.spanlong);
		aggs(b, &c->geostats.aggs, d);
		one_by(b, &c->geostats.by, d);
		break;
	case VG_CMD_LOOKUP:
		vg_buf_puts(b, " table=");
		str(b, c->lookup.table, strlen(c->lookup.table));
		vg_buf_puts(b, c->lookup.nout ? (c->lookup.outputnew ? " outputnew" : " output")
					      : " output=all");
		pairs(b, "in", c->lookup.in, c->lookup.nin, d);
		pairs(b, "out", c->lookup.out, c->lookup.nout, d);
		break;
	default: /* VG_CMD_RENAME */
		pairs(b, "rename", c->rename.v, c->rename.n, d);
		break;
	}
}

static void cmd(vg_buf *b, const vg_qcmd *c)
{
	indent(b, 1);
	vg_buf_printf(b, "(%s @%u", vg_cmd_name(c->kind), c->pos);
	cmd_body(b, c, 2);
	vg_buf_putc(b, ')');
}

/* ------------------------------------------------------------------ query */

static void bound(vg_buf *b, const char *label, int has, int64_t ns)
{
	indent(b, 1);
	vg_buf_printf(b, "(%s ", label);
	if (has)
		time_ns(b, ns);
	else
		vg_buf_puts(b, "none");
	vg_buf_putc(b, ')');
}

static void derived(vg_buf *b, const vg_query *q)
{
	static const char *const out[] = {"events", "rows", "timechart"};
	indent(b, 1);
	vg_buf_printf(b, "(output %s first_transform=%d)", out[q->output], q->first_transform);
	indent(b, 1);
	vg_buf_puts(b, "(reads");
	if (q->reads_all)
		vg_buf_puts(b, " all");
	for (uint32_t i = 0; i < q->nreads; i++) {
		vg_buf_putc(b, ' ');
		if (plain_name(q->reads[i].s, q->reads[i].len))
			vg_buf_put(b, q->reads[i].s, q->reads[i].len);
		else
			quoted(b, q->reads[i].s, q->reads[i].len, '\'');
	}
	vg_buf_putc(b, ')');
	indent(b, 1);
	vg_buf_puts(b, "(terms");
	for (uint32_t i = 0; i < q->nterms; i++) {
		const vg_qterm *t = &q->terms[i];
		vg_buf_puts(b, t->open_left ? " *" : " ");
		str(b, t->s, t->len);
		if (t->open_right)
			vg_buf_putc(b, '*');
	}
	vg_buf_putc(b, ')');
}

void vg_query_dump(const vg_query *q, vg_buf *b)
{
	vg_buf_puts(b, "(query");
	bound(b, "earliest", q->has_earliest, q->earliest);
	bound(b, "latest", q->has_latest, q->latest);
	indent(b, 1);
	vg_buf_puts(b, "(search");
	if (q->search)
		snode(b, q->search, 2);
	else
		vg_buf_puts(b, " all");
	vg_buf_putc(b, ')');
	for (uint32_t i = 0; i < q->ncmds; i++)
		cmd(b, &q->cmds[i]);
	derived(b, q);
	vg_buf_puts(b, ")\n");
}
