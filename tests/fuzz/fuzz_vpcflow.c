/*
 * fuzz_vpcflow.c — libFuzzer harness for the VPC flow parser (also built as
 * a corpus replay binary with replay.c).
 *
 * Invariants: parsing never fails as a whole; events follow the input's
 * lines (every non-blank line is one event, except header lines, which
 * switch the layout); nparse_errors counts the events marked unparsed,
 * which carry nothing else; ordinary records carry the raw template and
 * only fields it names; splitting the input at a line boundary changes
 * nothing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event/batch.h"
#include "parse/parse.h"
#include "util/timeutil.h"

/* Abort with the failed condition: libFuzzer and the replay both report it,
 * and it holds even when NDEBUG disables assert(). */
#define CHECK(c)                                                                         \
	do {                                                                             \
		if (!(c)) {                                                              \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, \
				#c);                                                     \
			abort();                                                         \
		}                                                                        \
	} while (0)

static const vg_format *const fmt = &vg_fmt_vpcflow;

/* Skip a CloudWatch `ISO-TIME ` prefix, as the parser does. */
static size_t prefix_len(const char *s, size_t n)
{
	int64_t t;
	size_t k = n > 20 && s[4] == '-' ? vg_parse_iso8601(s, n, &t) : 0;
	return k >= 19 && k < n && s[k] == ' ' ? k + 1 : 0;
}

/* Only a header line (field names only) may leave no event. */
static int skippable(const char *s, size_t n)
{
	size_t i = prefix_len(s, n);
	int words = 0;
	while (i < n) {
		while (i < n && s[i] == ' ')
			i++;
		if (i == n)
			break;
		if (s[i] < 'a' || s[i] > 'z')
			return 0;
		for (; i < n && s[i] != ' '; i++) {
			char c = s[i];
			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
			      c == '_'))
				return 0;
		}
		words++;
	}
	return words > 0;
}

/* 1 if name is one of the space-separated words of tmpl. */
static int in_template(const char *tmpl, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = tmpl; *p;) {
		const char *sp = strchr(p, ' ');
		size_t len = sp ? (size_t)(sp - p) : strlen(p);
		if (len == n && memcmp(p, name, n) == 0)
			return 1;
		p += len + (sp != NULL);
	}
	return 0;
}

static void extra_checks(const vg_batch *b)
{
	for (size_t i = 0; i < b->nev; i++) {
		const vg_event *e = &b->ev[i];
		const vg_field *f = b->f + e->first;
		if (vg_batch_get(b, i, "_parse_error") != NULL) {
			CHECK(e->nfields == 1 && e->rawtmpl == 0);
			continue;
		}
		CHECK((e->rawtmpl != 0) == (prefix_len(e->raw, e->rawlen) == 0));
		if (e->rawtmpl == 0)
			continue;
		const char *tmpl = vg_strtab_get(&b->tmpls, e->rawtmpl - 1, NULL);
		for (uint32_t k = 0; k < e->nfields; k++)
			CHECK(in_template(tmpl, vg_strtab_get(&b->fields, f[k].fid, NULL)));
	}
}

static int blank(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/* Parse data into a fresh batch b in two chunks split at cut (a line
 * boundary, 0 or size). */
static void parse_in_two(const uint8_t *data, size_t size, size_t cut, vg_batch *b)
{
	vg_batch_init(b);
	vg_parse_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	ctx.out = b;
	ctx.now_ns = INT64_C(1700000000) * VG_NS_PER_SEC;
	ctx.ref_ns = ctx.now_ns;
	CHECK(fmt->parse(&ctx, (const char *)data, cut) == 0);
	CHECK(fmt->parse(&ctx, (const char *)data + cut, size - cut) == 0);
	CHECK(!b->open);
	if (ctx.state)
		ctx.free_state(ctx.state);
}

/* Events follow the input's lines in order: each non-blank line is the raw
 * text of the next event (cut at VG_MAX_RAW), unless the format may
 * consume it without an event (SKIPPABLE). */
static void check_lines(const uint8_t *data, size_t size, const vg_batch *b)
{
	size_t ev = 0, pos = 0;
	while (pos < size) {
		const uint8_t *line = data + pos;
		const uint8_t *nl = memchr(line, '\n', size - pos);
		size_t n = nl ? (size_t)(nl - line) : size - pos;
		pos += n + (nl != NULL);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (blank(line, n))
			continue;
		size_t want = n > VG_MAX_RAW ? VG_MAX_RAW : n;
		if (ev < b->nev && b->ev[ev].rawlen == want &&
		    memcmp(b->ev[ev].raw, line, want) == 0) {
			ev++;
			continue;
		}
		CHECK(skippable((const char *)line, n));
	}
	CHECK(ev == b->nev);
}

/* nparse_errors counts exactly the events that carry `_parse_error`, and
 * every field is well formed. */
static void check_fields(const vg_batch *b)
{
	uint64_t nerr = 0;
	for (size_t i = 0; i < b->nev; i++) {
		const vg_event *e = &b->ev[i];
		CHECK(e->first + e->nfields <= b->nf);
		CHECK(e->nfields <= VG_MAX_FIELDS);
		for (uint32_t k = 0; k < e->nfields; k++) {
			const vg_field *f = &b->f[e->first + k];
			CHECK(f->fid < b->fields.n);
			CHECK(f->type >= VG_T_STR && f->type <= VG_T_IP);
			if (f->type == VG_T_STR)
				CHECK(f->v.s != NULL && f->v.s[f->len] == 0);
			nerr += f->fid == b->perr_fid;
		}
	}
	CHECK(nerr == b->nparse_errors);
}

/* Both batches hold the same events: times, groups, templates, raw text
 * and fields by name, type and value. */
static void check_same(const vg_batch *a, const vg_batch *b)
{
	CHECK(a->nev == b->nev);
	CHECK(a->nparse_errors == b->nparse_errors);
	for (size_t i = 0; i < a->nev; i++) {
		const vg_event *x = &a->ev[i], *y = &b->ev[i];
		CHECK(x->t == y->t);
		CHECK(strcmp(vg_strtab_get(&a->groups, x->group, NULL),
			     vg_strtab_get(&b->groups, y->group, NULL)) == 0);
		CHECK((x->rawtmpl == 0) == (y->rawtmpl == 0));
		if (x->rawtmpl)
			CHECK(strcmp(vg_strtab_get(&a->tmpls, x->rawtmpl - 1, NULL),
				     vg_strtab_get(&b->tmpls, y->rawtmpl - 1, NULL)) == 0);
		CHECK(x->rawlen == y->rawlen && memcmp(x->raw, y->raw, x->rawlen) == 0);
		CHECK(x->nfields == y->nfields);
		for (uint32_t k = 0; k < x->nfields; k++) {
			const vg_field *fa = &a->f[x->first + k], *fb = &b->f[y->first + k];
			CHECK(strcmp(vg_strtab_get(&a->fields, fa->fid, NULL),
				     vg_strtab_get(&b->fields, fb->fid, NULL)) == 0);
			CHECK(fa->type == fb->type);
			if (fa->type == VG_T_INT)
				CHECK(fa->v.i == fb->v.i);
			else if (fa->type == VG_T_IP)
				CHECK(memcmp(fa->v.ip, fb->v.ip, 16) == 0);
			else if (fa->type == VG_T_STR)
				CHECK(fa->len == fb->len && memcmp(fa->v.s, fb->v.s, fa->len) == 0);
		}
	}
}

/* A line boundary chosen by the input itself: after its k-th newline. */
static size_t pick_cut(const uint8_t *data, size_t size)
{
	size_t nl = 0;
	for (size_t i = 0; i < size; i++)
		nl += data[i] == '\n';
	if (nl == 0)
		return 0;
	size_t k = (size_t)data[size - 1] % nl, seen = 0;
	for (size_t i = 0; i < size; i++)
		if (data[i] == '\n' && seen++ == k)
			return i + 1;
	return size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vg_batch one, two;
	parse_in_two(data, size, size, &one);
	check_lines(data, size, &one);
	check_fields(&one);
	extra_checks(&one);
	parse_in_two(data, size, pick_cut(data, size), &two);
	check_same(&one, &two);
	vg_batch_free(&one);
	vg_batch_free(&two);
	return 0;
}
