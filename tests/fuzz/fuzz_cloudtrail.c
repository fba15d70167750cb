/*
 * fuzz_cloudtrail.c — the `cloudtrail` format over arbitrary documents; the
 * invariants are those of fuzz_document below.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse/jsonflat.h"
#include "parse/parse.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

/* 1 if s is whitespace-separated valid JSON values and nothing else: only
 * then may a document give no event (an empty Records array is valid). */
static int all_json(const char *s, size_t n)
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
static void fuzz_document(const vg_format *fmt, const uint8_t *data, size_t size,
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
	if (rc == 0 && want_event && !all_json(s, size))
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_document(&vg_fmt_cloudtrail, data, size, NULL, 0, 1);
	return 0;
}
