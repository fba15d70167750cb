/*
 * fuzz_json.c — the JSON scanner, the flattener and the `json` format.
 *
 * Invariants: the scanner and the flattener agree on what is valid and
 * where it ends; iterating a valid container visits every member without
 * error; error offsets lie within the input; decoded strings never hold a
 * NUL (so a field cannot hide text); every non-blank NDJSON line is exactly
 * one event, and every `_parse_error` is counted.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse/jsonflat.h"
#include "parse/parse.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

/* Every string field is NUL-free and NUL-terminated at its length. */
static void check_fields(const vg_batch *b)
{
	for (size_t i = 0; i < b->nf; i++)
		if (b->f[i].type == VG_T_STR)
			CHECK(strlen(b->f[i].v.s) == b->f[i].len);
}

static void scan_and_flatten(const char *s, size_t n)
{
	vg_err e1 = {0}, e2 = {0};
	vg_jspan v;
	vg_batch b;
	vg_jflat jf;
	size_t end = 0;
	int rs = vg_json_skip(s, n, 0, &v, &e1);
	vg_batch_init(&b);
	vg_jflat_init(&jf);
	vg_jflat_watch(&jf, "a");
	vg_ev_begin(&b, 0, 0, s, n);
	int rf = vg_jflat_value(&jf, &b, s, n, 0, (n & 1) ? "p" : NULL, &end, &e2);
	vg_ev_end(&b);
	CHECK((rs < 0) == (rf < 0));
	if (rs < 0) {
		CHECK(strcmp(e1.msg, e2.msg) == 0 && e1.pos == e2.pos);
		CHECK(e1.pos >= 0 && (size_t)e1.pos <= n);
	} else {
		CHECK(v.end == end && v.start < v.end && v.end <= n);
		if (vg_jspan_ok(jf.watch[0]))
			CHECK(jf.watch[0].end <= n);
	}
	check_fields(&b);
	/* A second pass through a warm name cache gives the same fields. */
	if (rf == 0) {
		vg_ev_begin(&b, 0, 0, s, n);
		CHECK(vg_jflat_value(&jf, &b, s, n, 0, (n & 1) ? "p" : NULL, &end, &e2) == 0);
		vg_ev_end(&b);
		CHECK(b.ev[0].nfields == b.ev[1].nfields);
	}
	vg_jflat_free(&jf);
	vg_batch_free(&b);

	if (rs == 0 && (s[v.start] == '{' || s[v.start] == '[')) {
		vg_json_it it;
		vg_jspan k, m;
		int rc;
		CHECK(vg_json_it_init(&it, s, n, 0, &e1) == 0);
		while ((rc = vg_json_it_next(&it, &k, &m, &e1)) > 0)
			CHECK(m.start < m.end && m.end <= v.end);
		CHECK(rc == 0 && it.pos == v.end);
	}
	if (rs == 0 && s[v.start] == '"') {
		vg_buf out = {0};
		CHECK(vg_json_string(s, n, 0, &out, &e1) == 0);
		CHECK(out.len <= v.end - v.start - 2);
		CHECK(out.len == 0 || memchr(out.p, 0, out.len) == NULL);
		vg_buf_free(&out);
	}
	int64_t ns;
	if (rs == 0)
		vg_json_time(s, v, &ns);
}

static void ndjson(const char *s, size_t n)
{
	vg_batch b;
	vg_parse_ctx ctx = {.out = &b, .now_ns = 1, .ref_ns = 1};
	vg_batch_init(&b);
	vg_fmt_json.detect(s, n < 65536 ? n : 65536);
	CHECK(vg_fmt_json.parse(&ctx, s, n) == 0);
	size_t lines = 0, pos = 0;
	while (pos < n) {
		const char *nl = memchr(s + pos, '\n', n - pos);
		size_t end = nl ? (size_t)(nl - s) : n;
		if (vg_json_ws(s, end, pos) < end)
			lines++;
		pos = end + 1;
	}
	CHECK(vg_batch_count(&b) == lines);
	size_t nerr = 0;
	for (size_t i = 0; i < vg_batch_count(&b); i++)
		nerr += vg_batch_get(&b, i, "_parse_error") != NULL;
	CHECK(nerr == b.nparse_errors);
	check_fields(&b);
	if (ctx.state)
		ctx.free_state(ctx.state);
	vg_batch_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A private copy, so reading past the end is caught. */
	char *s = malloc(size ? size : 1);
	memcpy(s, data, size);
	scan_and_flatten(s, size);
	ndjson(s, size);
	free(s);
	return 0;
}
