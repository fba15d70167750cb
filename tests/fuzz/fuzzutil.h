/*
 * fuzzutil.h — what the parser fuzz harnesses share (each harness is built
 * alone with replay.c, so the helpers are static inline here):
 *
 *   fuzz_lines     the line-oriented formats (logfmt, syslog, vpcflow):
 *                  parsing never fails as a whole; every non-blank line is
 *                  exactly one event, in order, unless the harness says the
 *                  format may skip it; nparse_errors counts the events
 *                  marked unparsed; every field is well formed; splitting
 *                  the input at a line boundary changes nothing.
 *   fuzz_document  the document formats (awscli, awsconfig, cloudtrail).
 */
#ifndef VG_FUZZUTIL_H
#define VG_FUZZUTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event/batch.h"
#include "parse/jsonflat.h"
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

/* 1 if a line may leave no event although it is not blank (the header line
 * of a format that has them); s is the line without its newline. */
typedef int (*fz_skippable_fn)(const char *s, size_t n);

/* Format-specific invariants over a batch parsed from the whole input. */
typedef void (*fz_extra_fn)(const vg_batch *b);

/* 1 if the n bytes at s are only spaces, tabs and CRs. */
static inline int fz_blank(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/* Parse data with fmt into a fresh batch b in two chunks split at cut (a
 * line boundary, 0 or size); both calls must succeed and close the last
 * event. The parser state is freed; b is the caller's to free. */
static inline void fz_parse_in_two(const vg_format *fmt, const uint8_t *data, size_t size,
				   size_t cut, vg_batch *b)
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
 * text of the next event (cut at VG_MAX_RAW), unless skippable (NULL: no
 * line may be) says the format may consume it without an event. */
/* 1 if event e's raw text (kept, or rendered) is [p, p + n). */
static inline int fz_raw_is(const vg_batch *b, const vg_event *e, const void *p, size_t n)
{
	vg_buf raw = {0};
	vg_event_raw(b, e, &raw);
	int same = raw.len == n && (n == 0 || memcmp(raw.p, p, n) == 0);
	vg_buf_free(&raw);
	return same;
}

static inline void fz_check_lines(const uint8_t *data, size_t size, const vg_batch *b,
				  fz_skippable_fn skippable)
{
	size_t ev = 0, pos = 0;
	while (pos < size) {
		const uint8_t *line = data + pos;
		const uint8_t *nl = memchr(line, '\n', size - pos);
		size_t n = nl ? (size_t)(nl - line) : size - pos;
		pos += n + (nl != NULL);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (fz_blank(line, n))
			continue;
		size_t want = n > VG_MAX_RAW ? VG_MAX_RAW : n;
		/* A rendered event's text is printed from its fields: it
		 * must come out as the very line. */
		if (ev < b->nev && fz_raw_is(b, &b->ev[ev], line, want)) {
			ev++;
			continue;
		}
		CHECK(skippable != NULL && skippable((const char *)line, n));
	}
	CHECK(ev == b->nev);
}

/* nparse_errors counts exactly the events that carry `_parse_error`, and
 * every field is well formed. */
static inline void fz_check_fields(const vg_batch *b)
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
static inline void fz_check_same(const vg_batch *a, const vg_batch *b)
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
		vg_buf xr = {0};
		vg_event_raw(a, x, &xr);
		CHECK(x->rawlen == y->rawlen && fz_raw_is(b, y, xr.p, xr.len));
		vg_buf_free(&xr);
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

/* A line boundary chosen by the input itself: after its k-th newline, k
 * taken from the last byte; 0 when there is no newline. */
static inline size_t fz_pick_cut(const uint8_t *data, size_t size)
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

/* Run a line-oriented fmt over data and check the invariants listed at the
 * top, then extra (may be NULL) on the batch of the whole input. Aborts on
 * the first one that fails. */
static inline void fuzz_lines(const vg_format *fmt, const uint8_t *data, size_t size,
			      fz_skippable_fn skippable, fz_extra_fn extra)
{
	vg_batch one, two;
	fz_parse_in_two(fmt, data, size, size, &one);
	fz_check_lines(data, size, &one, skippable);
	fz_check_fields(&one);
	if (extra != NULL)
		extra(&one);
	fz_parse_in_two(fmt, data, size, fz_pick_cut(data, size), &two);
	fz_check_same(&one, &two);
	vg_batch_free(&one);
	vg_batch_free(&two);
}

/* 1 if s is whitespace-separated valid JSON values and nothing else: only
 * then may a document give no event (an empty Records array is valid). */
static inline int fz_all_json(const char *s, size_t n)
{
	size_t pos = vg_json_ws(s, n, 0);
	vg_jspan v;
	vg_err err;
	while (pos < n) {
		if (vg_json_skip(s, n, pos, &v, &err) < 0)
			return 0;
		pos = vg_json_ws(s, n, v.end);
	}
	return 1;
}

/* Run fmt over data and check what every document parser promises:
 * success (unless allow_err), nothing dropped (input that is not all valid
 * JSON gives at least one event, when want_event), every _parse_error
 * counted, raw messages bounded, string fields NUL-free. */
static inline void fuzz_document(const vg_format *fmt, const uint8_t *data, size_t size,
				 const char *account, int allow_err, int want_event)
{
	char *s = malloc(size ? size : 1);
	memcpy(s, data, size);
	vg_batch b;
	vg_parse_ctx ctx = {.out = &b, .now_ns = 1, .ref_ns = 2, .account = account};
	vg_batch_init(&b);
	fmt->detect(s, size < 65536 ? size : 65536);
	int rc = fmt->parse(&ctx, s, size);
	CHECK(rc == 0 || (allow_err && rc == VG_EINVAL && ctx.err.msg[0]));
	if (rc == 0 && want_event && !fz_all_json(s, size))
		CHECK(vg_batch_count(&b) > 0);
	size_t nerr = 0;
	for (size_t i = 0; i < vg_batch_count(&b); i++) {
		const vg_field *pe = vg_batch_get(&b, i, "_parse_error");
		nerr += pe != NULL;
		CHECK(b.ev[i].rawlen <= VG_MAX_RAW);
		CHECK(b.ev[i].nfields <= VG_MAX_FIELDS);
	}
	CHECK(nerr == b.nparse_errors);
	for (size_t i = 0; i < b.nf; i++)
		if (b.f[i].type == VG_T_STR)
			CHECK(strlen(b.f[i].v.s) == b.f[i].len);
	vg_batch_free(&b);
	free(s);
}

#endif
