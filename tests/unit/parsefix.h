/* parsefix.h — the fixtures of the parser tests, included instead of
 * testutil.h:
 *   fx   the line-oriented formats (syslog, vpcflow, logfmt, text): a batch
 *        with a parse context for one format, feeding it, assertions on the
 *        fields of one event, comparing the events of two batches. Each
 *        test wraps fx_open in its own fx_init.
 *   run  the JSON-family formats (awscli, awsconfig, cloudtrail, json): one
 *        parse into a batch and reading its fields. Each test has its own
 *        parse function, which fills in rc. */
#ifndef VG_PARSEFIX_H
#define VG_PARSEFIX_H

#include "testutil.h"

#include "event/batch.h"
#include "parse/parse.h"
#include "util/ip.h"
#include "util/timeutil.h"

/* A UTC civil time in ns. */
static inline int64_t ts(int64_t y, unsigned mo, unsigned d, int hh, int mi, int ss)
{
	return (vg_days_from_civil(y, mo, d) * 86400 + hh * 3600 + mi * 60 + ss) * VG_NS_PER_SEC;
}

/* Start b empty and ctx writing into it, with now and the reference time
 * both now; every other setting zero. */
static inline void parse_start(vg_batch *b, vg_parse_ctx *ctx, int64_t now)
{
	vg_batch_init(b);
	memset(ctx, 0, sizeof *ctx);
	ctx->out = b;
	ctx->now_ns = now;
	ctx->ref_ns = now;
}

/* One format's parser writing into one batch. */
typedef struct fx {
	vg_batch b;
	vg_parse_ctx ctx;
	const vg_format *fmt;
} fx;

/* Start f empty, parsing fmt, with now and the reference time both now.
 * Release with fx_free. */
static inline void fx_open(fx *f, const vg_format *fmt, int64_t now)
{
	memset(f, 0, sizeof *f);
	parse_start(&f->b, &f->ctx, now);
	f->fmt = fmt;
}

/* Release the parser state and the batch. */
static inline void fx_free(fx *f)
{
	if (f->ctx.state)
		f->ctx.free_state(f->ctx.state);
	vg_batch_free(&f->b);
}

/* Parse n bytes at s as the next chunk; the parser must succeed. */
static inline void feed(fx *f, const char *s, size_t n)
{
	assert_int_equal(f->fmt->parse(&f->ctx, s, n), 0);
}

/* feed the C string s. */
static inline void feeds(fx *f, const char *s)
{
	feed(f, s, strlen(s));
}

/* Field name of event i (which must exist), or NULL. */
static inline const vg_field *get(const fx *f, size_t i, const char *name)
{
	assert_true(i < f->b.nev);
	return vg_batch_get(&f->b, i, name);
}

/* Event i has field name, an int equal to v. */
static inline void want_int(const fx *f, size_t i, const char *name, int64_t v)
{
	const vg_field *x = get(f, i, name);
	if (x == NULL)
		fail_msg("event %zu: no field %s", i, name);
	assert_int_equal(x->type, VG_T_INT);
	assert_int_equal(x->v.i, v);
}

/* Event i has field name, a string equal to s (length included). */
static inline void want_str(const fx *f, size_t i, const char *name, const char *s)
{
	const vg_field *x = get(f, i, name);
	if (x == NULL)
		fail_msg("event %zu: no field %s", i, name);
	assert_int_equal(x->type, VG_T_STR);
	assert_string_equal(x->v.s, s);
	assert_int_equal(x->len, strlen(s));
}

/* Event i has field name, an IP equal to the address text. */
static inline void want_ip(const fx *f, size_t i, const char *name, const char *text)
{
	uint8_t ip[16];
	assert_int_equal(vg_ip_parse(text, strlen(text), ip), 0);
	const vg_field *x = get(f, i, name);
	if (x == NULL)
		fail_msg("event %zu: no field %s", i, name);
	assert_int_equal(x->type, VG_T_IP);
	assert_memory_equal(x->v.ip, ip, 16);
}

/* Event i has no field name. */
static inline void want_absent(const fx *f, size_t i, const char *name)
{
	if (get(f, i, name) != NULL)
		fail_msg("event %zu: field %s should be absent", i, name);
}

/* The _parse_error of event i, or NULL when it parsed. */
static inline const char *perr(const fx *f, size_t i)
{
	const vg_field *x = get(f, i, "_parse_error");
	return x ? x->v.s : NULL;
}

/* Event e's raw text (kept, or rendered from its template) is [p, p + n). */
static inline void raw_is(const vg_batch *b, const vg_event *e, const char *p, size_t n)
{
	vg_buf raw = {0};
	vg_event_raw(b, e, &raw);
	assert_int_equal(raw.len, n);
	if (n)
		assert_memory_equal(raw.p, p, n);
	vg_buf_free(&raw);
}

/* Event i's raw text is exactly raw. */
static inline void want_raw(const fx *f, size_t i, const char *raw)
{
	assert_true(i < f->b.nev);
	raw_is(&f->b, &f->b.ev[i], raw, strlen(raw));
}

/* The file rel under ../shared/data, read whole (it must exist); *len gets
 * its size. The caller frees it. */
static inline char *read_shared(const char *rel, size_t *len)
{
	char *s = slurp(shared_path(rel), len);
	if (s == NULL)
		fail_msg("cannot read %s", shared_path(rel));
	return s;
}

/* fmt's detect score for the whole of the shared file rel. */
static inline int detect_shared(const vg_format *fmt, const char *rel)
{
	size_t len;
	char *s = read_shared(rel, &len);
	int score = fmt->detect(s, len);
	free(s);
	return score;
}

/* Two batches hold the same events: times, groups, templates, raw text and
 * every field by name, type and value. */
static inline void same_events(const vg_batch *a, const vg_batch *b)
{
	assert_int_equal(a->nev, b->nev);
	assert_int_equal(a->nparse_errors, b->nparse_errors);
	for (size_t i = 0; i < a->nev; i++) {
		const vg_event *x = &a->ev[i], *y = &b->ev[i];
		assert_int_equal(x->t, y->t);
		assert_string_equal(vg_strtab_get(&a->groups, x->group, NULL),
				    vg_strtab_get(&b->groups, y->group, NULL));
		assert_int_equal(x->rawtmpl == 0, y->rawtmpl == 0);
		if (x->rawtmpl)
			assert_string_equal(vg_strtab_get(&a->tmpls, x->rawtmpl - 1, NULL),
					    vg_strtab_get(&b->tmpls, y->rawtmpl - 1, NULL));
		assert_int_equal(x->rawlen, y->rawlen);
		vg_buf xr = {0};
		vg_event_raw(a, x, &xr);
		raw_is(b, y, (const char *)xr.p, xr.len);
		vg_buf_free(&xr);
		assert_int_equal(x->nfields, y->nfields);
		for (uint32_t k = 0; k < x->nfields; k++) {
			const vg_field *fa = &a->f[x->first + k], *fb = &b->f[y->first + k];
			assert_string_equal(vg_strtab_get(&a->fields, fa->fid, NULL),
					    vg_strtab_get(&b->fields, fb->fid, NULL));
			assert_int_equal(fa->type, fb->type);
			if (fa->type == VG_T_INT)
				assert_int_equal(fa->v.i, fb->v.i);
			else if (fa->type == VG_T_IP)
				assert_memory_equal(fa->v.ip, fb->v.ip, 16);
			else {
				assert_int_equal(fa->len, fb->len);
				assert_memory_equal(fa->v.s, fb->v.s, fa->len);
			}
		}
	}
}

/* Parse the len bytes at s in two chunks, cut at every `every`-th line
 * boundary (counting the start; always at the end), each time into a fresh
 * fixture set up by init: the events must be those of whole. */
static inline void same_at_cuts(void (*init)(fx *), const vg_batch *whole, const char *s,
				size_t len, size_t every)
{
	size_t line = 0;
	for (size_t cut = 0; cut <= len; cut++) {
		if (cut != 0 && cut != len && s[cut - 1] != '\n')
			continue;
		if (line++ % every != 0 && cut != len)
			continue;
		fx two;
		init(&two);
		feed(&two, s, cut);
		feed(&two, s + cut, len - cut);
		same_events(whole, &two.b);
		fx_free(&two);
	}
}

/* One parse: the batch, its context, what the parser returned, and the
 * input when the run owns it (freed by done; NULL otherwise). */
typedef struct run {
	vg_batch b;
	vg_parse_ctx ctx;
	int rc;
	char *buf;
	size_t len;
} run;

/* Start r empty, writing into its batch, with now and the reference time
 * both now. Release with done. */
static inline void run_start(run *r, int64_t now)
{
	memset(r, 0, sizeof *r);
	parse_start(&r->b, &r->ctx, now);
}

/* Release the parser state (as vg_parse_ctx_reset would; it is not linked
 * here), the batch and the owned input. */
static inline void done(run *r)
{
	if (r->ctx.state)
		r->ctx.free_state(r->ctx.state);
	vg_batch_free(&r->b);
	free(r->buf);
}

/* The string field name of event i, or NULL when it has none; a field of
 * another type fails the test. */
static inline const char *sval(const run *r, size_t i, const char *name)
{
	const vg_field *f = vg_batch_get(&r->b, i, name);
	if (f == NULL)
		return NULL;
	assert_int_equal(f->type, VG_T_STR);
	return f->v.s;
}

/* The int field name of event i; a missing field or another type fails
 * the test. */
static inline int64_t ival(const run *r, size_t i, const char *name)
{
	const vg_field *f = vg_batch_get(&r->b, i, name);
	if (f == NULL)
		fail_msg("no field %s in event %zu", name, i);
	assert_int_equal(f->type, VG_T_INT);
	return f->v.i;
}

/* The ISO 8601 time s in ns; all of s must parse. */
static inline int64_t iso(const char *s)
{
	int64_t ns = 0;
	assert_int_equal(vg_parse_iso8601(s, strlen(s), &ns), strlen(s));
	return ns;
}

/* Event i's raw text is exactly want. */
static inline void assert_raw(const run *r, size_t i, const char *want)
{
	raw_is(&r->b, &r->b.ev[i], want, strlen(want));
}

#endif
