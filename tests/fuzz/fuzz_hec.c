/*
 * fuzz_hec.c — Splunk HEC decoders (libFuzzer harness; also a corpus
 * replay binary).
 *
 * Invariants: /event succeeds exactly when the answer code is 0, and then
 * stores one event per envelope; otherwise it names an event number and
 * nothing sent is lost: a body that is not blank always leaves at least
 * one event, and the events from the invalid one on carry _parse_error
 * and hold, together, every byte of the body from that envelope on (bar
 * whitespace and a separating comma). /raw stores one event per non-blank
 * line. Counts match the batch, every _parse_error is counted, answers
 * are JSON. The token parser takes any header.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "server/proto.h"

static void check_answer(const vg_hec_result *r)
{
	vg_buf out = {0};
	vg_jspan v;
	vg_err err;
	unsigned st = vg_hec_answer(r->code, r->invalid_event, &out);
	CHECK(st == 200 || st == 400);
	CHECK((st == 200) == (r->code == VG_HEC_SUCCESS));
	CHECK(vg_json_skip((const char *)out.p, out.len, 0, &v, &err) == 0 && v.end == out.len);
	vg_buf_free(&out);
}

/* The bytes kept unparsed by events [from, nev) of b. */
static size_t kept_bytes(const vg_batch *b, size_t from)
{
	size_t total = 0;
	for (size_t i = from; i < b->nev; i++) {
		CHECK(vg_batch_get(b, i, "_parse_error") != NULL);
		total += b->ev[i].rawlen;
	}
	return total;
}

static void event_endpoint(const char *s, size_t n)
{
	vg_batch b;
	vg_hec_result r;
	vg_hec_opts o = {.now_ns = 1, .index = n & 1 ? "tok-index" : NULL, .host = "h"};
	vg_batch_init(&b);
	int rc = vg_hec_event(&b, s, n, &o, &r);
	CHECK((rc == 0) == (r.code == VG_HEC_SUCCESS));
	CHECK(r.events == b.nev && r.parse_errors == b.nparse_errors);
	fz_check_fields(&b);
	size_t first = vg_json_ws(s, n, 0);
	if (rc == 0) {
		CHECK(r.invalid_event < 0 && b.nparse_errors == 0 && b.nev > 0);
	} else if (r.code == VG_HEC_NO_DATA) {
		CHECK(first >= n && b.nev == 0);
	} else {
		CHECK(r.invalid_event >= 0 && r.detail[0]);
		/* The events before the invalid one, then the rest kept raw. */
		CHECK(b.nev >= (size_t)r.invalid_event + 1);
		size_t kept = kept_bytes(&b, (size_t)r.invalid_event);
		const char *at = strstr(r.detail, "(at byte ");
		CHECK(at != NULL);
		size_t from = (size_t)strtoull(at + 9, NULL, 10);
		CHECK(from < n);
		from = vg_json_ws(s, n, from);
		if (from < n && s[from] == ',')
			from = vg_json_ws(s, n, from + 1);
		CHECK(kept == n - from);
	}
	check_answer(&r);
	vg_batch_free(&b);
}

static void raw_endpoint(const char *s, size_t n)
{
	vg_batch b;
	vg_hec_result r;
	vg_hec_opts o = {.now_ns = 1, .sourcetype = "st", .index = "i"};
	vg_batch_init(&b);
	int rc = vg_hec_raw(&b, s, n, &o, &r);
	size_t lines = 0, pos = 0;
	while (pos < n) {
		const char *nl = memchr(s + pos, '\n', n - pos);
		size_t end = nl ? (size_t)(nl - s) : n, len = end - pos;
		if (len > 0 && s[end - 1] == '\r')
			len--;
		lines += !fz_blank((const uint8_t *)s + pos, len);
		pos = end + 1;
	}
	CHECK(b.nev == lines && r.events == lines);
	CHECK((rc == 0) == (lines > 0));
	fz_check_fields(&b);
	check_answer(&r);
	vg_batch_free(&b);
}

static void token(const char *s, size_t n)
{
	char hdr[256];
	size_t len = n < sizeof hdr - 1 ? n : sizeof hdr - 1;
	memcpy(hdr, s, len);
	hdr[len] = 0;
	const char *tok;
	size_t tn;
	int rc = vg_hec_token(hdr, &tok, &tn);
	CHECK(rc == VG_HEC_SUCCESS || rc == VG_HEC_TOKEN_REQUIRED || rc == VG_HEC_INVALID_AUTH);
	if (rc == VG_HEC_SUCCESS)
		CHECK(tn > 0 && tok >= hdr && tok + tn <= hdr + len && memchr(tok, ' ', tn) == NULL);
	vg_hec_route(hdr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1);
	memcpy(s, data, size);
	event_endpoint(s, size);
	raw_endpoint(s, size);
	token(s, size);
	free(s);
	return 0;
}
