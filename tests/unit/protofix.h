/* protofix.h — what the protocol tests (test_proto_*.c) share: reading
 * events back from a batch, checking answers are valid JSON and UTF-8,
 * compressing bodies. Included instead of testutil.h. */
#ifndef VG_PROTOFIX_H
#define VG_PROTOFIX_H

#include "testutil.h"

#include <zlib.h>

#include "event/batch.h"
#include "parse/jsonflat.h"
#include "server/proto.h"
#include "util/timeutil.h"

#define NOW INT64_C(1700000000000000000)

/* The group name of event i. */
static inline const char *group_of(const vg_batch *b, size_t i)
{
	assert_true(i < b->nev);
	return vg_strtab_get(&b->groups, b->ev[i].group, NULL);
}

/* The string field name of event i, or NULL when it has none; another
 * type fails the test. */
static inline const char *str_of(const vg_batch *b, size_t i, const char *name)
{
	assert_true(i < b->nev);
	const vg_field *f = vg_batch_get(b, i, name);
	if (f == NULL)
		return NULL;
	if (f->type != VG_T_STR)
		fail_msg("event %zu: field %s is not a string (type %d)", i, name, f->type);
	return f->v.s;
}

/* The int field name of event i (which must exist). */
static inline int64_t int_of(const vg_batch *b, size_t i, const char *name)
{
	const vg_field *f = vg_batch_get(b, i, name);
	if (f == NULL)
		fail_msg("event %zu: no field %s", i, name);
	assert_int_equal(f->type, VG_T_INT);
	return f->v.i;
}

/* Event i's raw text is exactly [want, want + n). */
static inline void raw_eqn(const vg_batch *b, size_t i, const char *want, size_t n)
{
	assert_true(i < b->nev);
	vg_buf raw = {0};
	vg_event_raw(b, &b->ev[i], &raw);
	if (raw.len != n || (n && memcmp(raw.p, want, n) != 0))
		fail_msg("event %zu: raw is '%.*s', want '%.*s'", i, (int)raw.len,
			 raw.p ? (const char *)raw.p : "", (int)n, want);
	vg_buf_free(&raw);
}

static inline void raw_eq(const vg_batch *b, size_t i, const char *want)
{
	raw_eqn(b, i, want, strlen(want));
}

/* 1 if the n bytes at p are valid UTF-8. */
static inline int utf8_ok(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint8_t c = p[i];
		size_t k = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
				   : (c & 0xF8) == 0xF0 ? 4 : 0;
		if (k == 0 || i + k > n)
			return 0;
		for (size_t j = 1; j < k; j++)
			if ((p[i + j] & 0xC0) != 0x80)
				return 0;
		i += k;
	}
	return 1;
}

/* out holds exactly one valid JSON value, in valid UTF-8. */
static inline void json_ok(const vg_buf *out)
{
	vg_jspan v;
	vg_err err = {0};
	const char *s = out->p ? (const char *)out->p : "";
	if (vg_json_skip(s, out->len, 0, &v, &err) != 0)
		fail_msg("not JSON (%s): %.*s", err.msg, (int)out->len, s);
	assert_int_equal(vg_json_ws(s, out->len, v.end), out->len);
	assert_true(utf8_ok(out->p, out->len));
}

/* 1 if out contains needle. */
static inline int has(const vg_buf *out, const char *needle)
{
	return out->len > 0 && memmem(out->p, out->len, needle, strlen(needle)) != NULL;
}

/* out's text equals want exactly. */
static inline void text_is(const vg_buf *out, const char *want)
{
	if (out->len != strlen(want) || (out->len && memcmp(out->p, want, out->len) != 0))
		fail_msg("got  %.*s\nwant %s", (int)out->len, out->p ? (const char *)out->p : "", want);
}

/* Compress n bytes at p into out: gzip (gzip = 1) or zlib. */
static inline void compress_to(const void *p, size_t n, int gzip, vg_buf *out)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, gzip ? 16 + MAX_WBITS : MAX_WBITS, 8,
				      Z_DEFAULT_STRATEGY), Z_OK);
	size_t cap = deflateBound(&z, (uLong)n);
	vg_buf_reserve(out, cap);
	z.next_in = (Bytef *)(uintptr_t)p;
	z.avail_in = (uInt)n;
	z.next_out = out->p + out->len;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	out->len += cap - z.avail_out;
	deflateEnd(&z);
}

#endif
