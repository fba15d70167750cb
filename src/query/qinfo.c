/*
 * qinfo.c — facts about a parsed query that the executor needs before it
 * runs anything: what the pipeline returns, which stored fields it can
 * look at (column projection), and which literal strings every match of
 * the search part contains (Bloom filter block skipping).
 *
 * Both sets err on the safe side: a projection may hold fields the
 * pipeline turns out not to need, and the terms leave out anything under
 * OR or NOT, numbers (integers are not in the block filters) and values
 * whose text the store might write differently (addresses, networks).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/qint.h"
#include "util/ip.h"

#define MAX_READS 1024 /* past this, read everything: cheaper than tracking */
#define MAX_TERMS 256

/* ------------------------------------------------------------ the output */

static int transforming(int kind)
{
	return kind == VG_CMD_STATS || kind == VG_CMD_TOP || kind == VG_CMD_RARE ||
	       kind == VG_CMD_TIMECHART || kind == VG_CMD_GEOSTATS || kind == VG_CMD_TABLE;
}

static void derive_output(vg_query *q)
{
	q->output = VG_QOUT_EVENTS;
	q->first_transform = -1;
	for (uint32_t i = 0; i < q->ncmds; i++) {
		if (!transforming(q->cmds[i].kind))
			continue;
		if (q->first_transform < 0)
			q->first_transform = (int32_t)i;
		q->output = q->cmds[i].kind == VG_CMD_TIMECHART ? VG_QOUT_TIMECHART : VG_QOUT_ROWS;
	}
}

/* ------------------------------------------------------------- the reads */

/* The fields live at one point of the pipeline, walking it backwards. */
typedef struct live {
	int all;
	qvec v; /* vg_qname */
} live;

static void add_name(qp *p, live *l, const char *s, uint32_t len)
{
	if (l->all)
		return;
	vg_qname *v = l->v.v;
	for (uint32_t i = 0; i < l->v.n; i++)
		if (v[i].len == len && memcmp(v[i].s, s, len) == 0)
			return;
	if (l->v.n >= MAX_READS) {
		l->all = 1;
		return;
	}
	vg_qname *nm = qvec_push(p, &l->v, sizeof *nm);
	qp_name_set(nm, s, len, 0);
}

static void add(qp *p, live *l, const vg_qname *n)
{
	if (n->s != NULL)
		add_name(p, l, n->s, n->len);
}

/* A field set by a command is not read from storage before it (unless
 * the command reads it too, which the caller adds back). */
static void drop(live *l, const char *s, uint32_t len)
{
	vg_qname *v = l->v.v;
	if (l->all)
		return;
	for (uint32_t i = 0; i < l->v.n; i++) {
		if (v[i].len == len && memcmp(v[i].s, s, len) == 0) {
			v[i] = v[--l->v.n];
			return;
		}
	}
}

/* Start over: a command whose output is only what it computes. */
static void reset(live *l)
{
	l->all = 0;
	l->v.n = 0;
}

static void add_expr(qp *p, live *l, const vg_expr *e)
{
	switch (e->kind) {
	case VG_EX_FIELD:
		add(p, l, &e->field);
		break;
	case VG_EX_NEG:
	case VG_EX_NOT:
		add_expr(p, l, e->kid);
		break;
	case VG_EX_BIN:
		add_expr(p, l, e->bin.l);
		add_expr(p, l, e->bin.r);
		break;
	case VG_EX_AND:
	case VG_EX_OR:
	case VG_EX_CALL:
		for (uint32_t i = 0; i < e->list.n; i++)
			add_expr(p, l, e->list.args[i]);
		break;
	default:
		break;
	}
}

static void add_search(qp *p, live *l, const vg_snode *n)
{
	switch (n->kind) {
	case VG_SN_AND:
	case VG_SN_OR:
		for (uint32_t i = 0; i < n->list.n; i++)
			add_search(p, l, n->list.kids[i]);
		break;
	case VG_SN_NOT:
		add_search(p, l, n->kid);
		break;
	case VG_SN_TERM:
		add_name(p, l, "_raw", 4);
		break;
	default:
		add(p, l, &n->cmp.field);
		break;
	}
}

static void add_aggs(qp *p, live *l, const vg_qaggs *a)
{
	for (uint32_t i = 0; i < a->n; i++) {
		if (a->v[i].has_field)
			add(p, l, &a->v[i].field);
		if (a->v[i].fn == VG_AGG_EARLIEST || a->v[i].fn == VG_AGG_LATEST)
			add_name(p, l, "_time", 5);
	}
}

static void add_list(qp *p, live *l, const vg_qnames *n)
{
	for (uint32_t i = 0; i < n->n; i++)
		add(p, l, &n->v[i]);
}

/* Commands that make a new table: what they need is all that is needed. */
static void reads_table(qp *p, live *l, const vg_qcmd *c)
{
	reset(l);
	switch (c->kind) {
	case VG_CMD_STATS:
		add_aggs(p, l, &c->stats.aggs);
		add_list(p, l, &c->stats.by);
		break;
	case VG_CMD_TOP:
	case VG_CMD_RARE:
		add_list(p, l, &c->top.fields);
		add_list(p, l, &c->top.by);
		break;
	case VG_CMD_TIMECHART:
		add_name(p, l, "_time", 5);
		add_aggs(p, l, &c->timechart.aggs);
		add(p, l, &c->timechart.by);
		break;
	default: /* VG_CMD_GEOSTATS */
		add(p, l, &c->geostats.lat);
		add(p, l, &c->geostats.lon);
		add_aggs(p, l, &c->geostats.aggs);
		add(p, l, &c->geostats.by);
		break;
	}
}

/* fields + / table keep only their patterns: when everything was needed
 * after them, the patterns are (fields also keeps _raw and _time, as
 * Splunk's does); a narrower set after them is already within them. */
static void reads_keep(qp *p, live *l, const vg_qnames *list, int internal)
{
	if (!l->all)
		return;
	reset(l);
	add_list(p, l, list);
	if (internal) {
		add_name(p, l, "_raw", 4);
		add_name(p, l, "_time", 5);
	}
}

/* iplocation sets its fields (SPEC.md) under its prefix. */
static void reads_iplocation(qp *p, live *l, const vg_qcmd *c)
{
	static const char *const outs[] = {"Country", "City", "lat", "lon", "ASN"};
	size_t plen = strlen(c->iplocation.prefix);
	char buf[VG_Q_MAX_NAME + 16];
	for (size_t i = 0; i < sizeof outs / sizeof *outs && plen < VG_Q_MAX_NAME; i++) {
		int n = snprintf(buf, sizeof buf, "%s%s", c->iplocation.prefix, outs[i]);
		drop(l, buf, (uint32_t)n);
	}
	add(p, l, &c->iplocation.field);
}

static void reads_cmd(qp *p, live *l, const vg_qcmd *c)
{
	switch (c->kind) {
	case VG_CMD_STATS:
	case VG_CMD_TOP:
	case VG_CMD_RARE:
	case VG_CMD_TIMECHART:
	case VG_CMD_GEOSTATS:
		reads_table(p, l, c);
		break;
	case VG_CMD_TABLE:
		reads_keep(p, l, &c->table, 0);
		break;
	case VG_CMD_FIELDS:
		if (c->fields.remove)
			for (uint32_t i = 0; i < c->fields.list.n; i++)
				drop(l, c->fields.list.v[i].s, c->fields.list.v[i].len);
		else
			reads_keep(p, l, &c->fields.list, 1);
		break;
	case VG_CMD_EVAL:
		for (uint32_t i = c->eval.n; i-- > 0;) {
			drop(l, c->eval.v[i].target.s, c->eval.v[i].target.len);
			add_expr(p, l, c->eval.v[i].e);
		}
		break;
	case VG_CMD_WHERE:
		add_expr(p, l, c->where);
		break;
	case VG_CMD_SEARCH:
		add_search(p, l, c->search);
		break;
	case VG_CMD_REX:
		for (uint32_t i = 0; i < c->rex.re->nnames; i++)
			drop(l, c->rex.re->names[i], (uint32_t)strlen(c->rex.re->names[i]));
		add(p, l, &c->rex.field);
		break;
	case VG_CMD_SORT:
		for (uint32_t i = 0; i < c->sort.n; i++)
			add(p, l, &c->sort.keys[i].field);
		break;
	case VG_CMD_DEDUP:
		add_list(p, l, &c->dedup.fields);
		break;
	case VG_CMD_IPLOCATION:
		reads_iplocation(p, l, c);
		break;
	case VG_CMD_LOOKUP:
		for (uint32_t i = 0; i < c->lookup.nout; i++)
			drop(l, c->lookup.out[i].to.s, c->lookup.out[i].to.len);
		for (uint32_t i = 0; i < c->lookup.nin; i++)
			add(p, l, &c->lookup.in[i].to);
		break;
	case VG_CMD_RENAME:
		for (uint32_t i = 0; i < c->rename.n; i++) {
			if (!c->rename.v[i].to.wild)
				drop(l, c->rename.v[i].to.s, c->rename.v[i].to.len);
			add(p, l, &c->rename.v[i].from);
		}
		break;
	default: /* head, tail */
		break;
	}
}

static int name_cmp(const void *a, const void *b)
{
	const vg_qname *x = a, *y = b;
	int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static void derive_reads(qp *p)
{
	vg_query *q = p->q;
	live l = {.all = 1};
	for (uint32_t i = q->ncmds; i-- > 0;)
		reads_cmd(p, &l, &q->cmds[i]);
	if (q->search)
		add_search(p, &l, q->search);
	q->reads_all = (uint8_t)l.all;
	if (l.all)
		return;
	if (l.v.n > 1)
		qsort(l.v.v, l.v.n, sizeof(vg_qname), name_cmp);
	q->reads = l.v.v;
	q->nreads = l.v.n;
}

/* ------------------------------------------------------------- the terms */

/* The pieces of a value between its wildcards. */
static void add_pieces(qp *p, qvec *out, const vg_qval *v)
{
	uint32_t a = 0;
	while (a < v->len) {
		uint32_t b = a;
		while (b < v->len && v->s[b] != '*')
			b++;
		if (b > a && out->n < MAX_TERMS) {
			vg_qterm *t = qvec_push(p, out, sizeof *t);
			t->s = qp_dup(p, v->s + a, b - a);
			t->len = b - a;
			t->pos = v->pos;
			t->open_left = a > 0;
			t->open_right = b < v->len;
		}
		a = b + 1;
	}
}

/* 1 if the store holds this value's text as the query writes it: an
 * address is stored in canonical form, a number may be stored as an
 * integer (not tokenized), a network is not a text at all. */
static int value_is_text(const vg_qval *v)
{
	if (v->flags & (VG_QV_NUM | VG_QV_CIDR | VG_QV_ANY))
		return 0;
	if (v->flags & VG_QV_IP) {
		char buf[64];
		size_t n = vg_ip_format(v->ip, buf);
		return n == v->len && memcmp(buf, v->s, n) == 0;
	}
	return 1;
}

static void derive_terms(qp *p, qvec *out, const vg_snode *n)
{
	switch (n->kind) {
	case VG_SN_AND:
		for (uint32_t i = 0; i < n->list.n; i++)
			derive_terms(p, out, n->list.kids[i]);
		break;
	case VG_SN_TERM:
		if (!(n->term.flags & VG_QV_ANY))
			add_pieces(p, out, &n->term);
		break;
	case VG_SN_CMP:
		if (n->op == VG_SOP_EQ &&
		    (n->cmp.field.kind == VG_QF_PLAIN || n->cmp.field.kind == VG_QF_RAW) &&
		    value_is_text(&n->cmp.val))
			add_pieces(p, out, &n->cmp.val);
		break;
	default: /* OR, NOT: conservative, nothing */
		break;
	}
}

void qi_derive(qp *p)
{
	vg_query *q = p->q;
	derive_output(q);
	derive_reads(p);
	if (q->search) {
		qvec terms = {0};
		derive_terms(p, &terms, q->search);
		q->terms = terms.v;
		q->nterms = terms.n;
	}
}
