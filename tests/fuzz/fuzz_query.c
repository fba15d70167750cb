/*
 * fuzz_query.c — libFuzzer harness for the query parser (also built as a
 * corpus replay binary with replay.c).
 *
 * Invariants, for any bytes:
 *  - parsing never crashes or leaks, whatever the input;
 *  - a failure returns a negative code equal to err.code, leaves no query,
 *    and has a printable, non-empty message; err.pos lies in [-1, len],
 *    and a message with a position names it ("... at <pos>");
 *  - a success gives a tree whose every position lies inside the query,
 *    a dump that is ASCII and the same when asked twice, the same dump
 *    when the same bytes are parsed again, and derived facts that hold
 *    together (reads sorted and distinct, terms non-empty, the first
 *    transforming command inside the pipeline).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzzutil.h"
#include "query/qparse.h"

#define NOW (INT64_C(1700000000) * VG_NS_PER_SEC)

static void check_val(const vg_qval *v, size_t len)
{
	CHECK(v->pos <= len);
	CHECK(v->s != NULL && strlen(v->s) == v->len);
}

static void check_name(const vg_qname *n, size_t len)
{
	CHECK(n->s != NULL && strlen(n->s) == n->len && n->len > 0);
	CHECK(n->pos <= len);
}

static void check_snode(const vg_snode *n, size_t len, int depth)
{
	CHECK(depth <= 3 * VG_Q_MAX_DEPTH + 3);
	CHECK(n->pos < len);
	switch (n->kind) {
	case VG_SN_AND:
	case VG_SN_OR:
		CHECK(n->list.n >= 2);
		for (uint32_t i = 0; i < n->list.n; i++) {
			CHECK(n->list.kids[i]->kind != n->kind);
			check_snode(n->list.kids[i], len, depth + 1);
		}
		break;
	case VG_SN_NOT:
		check_snode(n->kid, len, depth + 1);
		break;
	case VG_SN_TERM:
		check_val(&n->term, len);
		break;
	case VG_SN_CMP:
		check_name(&n->cmp.field, len);
		check_val(&n->cmp.val, len);
		CHECK(n->op <= VG_SOP_RE);
		CHECK((n->op == VG_SOP_RE) == (n->cmp.val.re != NULL));
		break;
	default:
		CHECK(!"unknown search node");
	}
}

static void check_expr(const vg_expr *e, size_t len, int depth)
{
	CHECK(depth <= 3 * VG_Q_MAX_DEPTH + 3);
	CHECK(e->pos < len && e->oppos < len);
	switch (e->kind) {
	case VG_EX_STR:
		check_val(&e->lit, len);
		break;
	case VG_EX_FIELD:
		check_name(&e->field, len);
		break;
	case VG_EX_NEG:
	case VG_EX_NOT:
		check_expr(e->kid, len, depth + 1);
		break;
	case VG_EX_BIN:
		check_expr(e->bin.l, len, depth + 1);
		check_expr(e->bin.r, len, depth + 1);
		break;
	case VG_EX_AND:
	case VG_EX_OR:
	case VG_EX_CALL:
		CHECK(e->kind == VG_EX_CALL || e->list.n >= 2);
		for (uint32_t i = 0; i < e->list.n; i++)
			check_expr(e->list.args[i], len, depth + 1);
		break;
	default:
		break;
	}
}

static void check_cmd(const vg_qcmd *c, size_t len)
{
	CHECK(c->kind < VG_CMD_COUNT_ && c->pos < len);
	if (c->kind == VG_CMD_SEARCH)
		check_snode(c->search, len, 0);
	else if (c->kind == VG_CMD_WHERE)
		check_expr(c->where, len, 0);
	else if (c->kind == VG_CMD_EVAL)
		for (uint32_t i = 0; i < c->eval.n; i++) {
			check_name(&c->eval.v[i].target, len);
			check_expr(c->eval.v[i].e, len, 0);
		}
	else if (c->kind == VG_CMD_STATS)
		CHECK(c->stats.aggs.n > 0);
	else if (c->kind == VG_CMD_REX)
		CHECK(c->rex.re != NULL && c->rex.re->nnames > 0);
}

static void check_derived(const vg_query *q)
{
	CHECK(q->first_transform >= -1 && q->first_transform < (int32_t)q->ncmds);
	CHECK((q->first_transform < 0) == (q->output == VG_QOUT_EVENTS));
	for (uint32_t i = 0; i + 1 < q->nreads; i++) {
		const vg_qname *a = &q->reads[i], *b = &q->reads[i + 1];
		size_t m = a->len < b->len ? a->len : b->len;
		int c = memcmp(a->s, b->s, m);
		CHECK(c < 0 || (c == 0 && a->len < b->len));
	}
	CHECK(!q->reads_all || q->nreads == 0);
	for (uint32_t i = 0; i < q->nterms; i++)
		CHECK(q->terms[i].len > 0 && memchr(q->terms[i].s, '*', q->terms[i].len) == NULL);
	if (q->has_earliest && q->has_latest)
		CHECK(q->earliest < q->latest);
}

static void dump(const vg_query *q, vg_buf *b)
{
	vg_query_dump(q, b);
	for (size_t i = 0; i < b->len; i++)
		CHECK(b->p[i] == '\n' || (b->p[i] >= 0x20 && b->p[i] < 0x7f));
}

static void check_error(const vg_err *err, int rc, size_t size)
{
	CHECK(rc == err->code);
	CHECK(rc == VG_EINVAL || rc == VG_ELIMIT);
	CHECK(err->msg[0] != 0);
	CHECK(err->pos >= -1 && err->pos <= (int64_t)size);
	if (err->pos >= 0) {
		char at[32];
		snprintf(at, sizeof at, "at %lld", (long long)err->pos);
		CHECK(strstr(err->msg, at) != NULL);
	}
	for (const char *m = err->msg; *m; m++)
		CHECK((unsigned char)*m >= 0x20);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vg_query *q = (vg_query *)1, *q2 = NULL;
	vg_err err = {0};
	int rc = vg_query_parse((const char *)data, size, NOW, &q, &err);
	if (rc < 0) {
		CHECK(q == NULL);
		check_error(&err, rc, size);
		return 0;
	}
	CHECK(rc == 0 && q != NULL && q->len == size);
	if (q->search)
		check_snode(q->search, size, 0);
	for (uint32_t i = 0; i < q->ncmds; i++)
		check_cmd(&q->cmds[i], size);
	check_derived(q);
	vg_buf a = {0}, b = {0}, c = {0};
	dump(q, &a);
	dump(q, &b);
	CHECK(a.len == b.len && memcmp(a.p, b.p, a.len) == 0);
	CHECK(vg_query_parse((const char *)data, size, NOW, &q2, &err) == 0);
	dump(q2, &c);
	CHECK(a.len == c.len && memcmp(a.p, c.p, a.len) == 0);
	vg_buf_free(&a);
	vg_buf_free(&b);
	vg_buf_free(&c);
	vg_query_free(q);
	vg_query_free(q2);
	return 0;
}
