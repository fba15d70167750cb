/*
 * fuzz_bulk.c — the Elasticsearch bulk decoder, its answers, the router
 * and gzip inflation (libFuzzer harness; also a corpus replay binary).
 *
 * Invariants: a request is either refused whole (400, nothing appended,
 * no items) or decided item by item (200); the result's counts are the
 * batch's; every _parse_error is counted; every answer, filtered or not,
 * is one valid JSON value in valid UTF-8; group names keep to the group
 * alphabet and length; there are never more items than lines. The router
 * answers any method and path with JSON or nothing. Inflating any bytes
 * with a cap never yields more than the cap.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "server/proto.h"

/* 1 if the n bytes at p are valid UTF-8. */
static int utf8_ok(const uint8_t *p, size_t n)
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

/* out is exactly one JSON value, in UTF-8. */
static void check_json(const vg_buf *out)
{
	vg_jspan v;
	vg_err err;
	CHECK(out->len > 0);
	CHECK(vg_json_skip((const char *)out->p, out->len, 0, &v, &err) == 0);
	CHECK(vg_json_ws((const char *)out->p, out->len, v.end) == out->len);
	CHECK(utf8_ok(out->p, out->len));
}

/* Every group name is made of the group alphabet, or is a default. */
static void check_groups(const vg_batch *b)
{
	for (size_t g = 0; g < b->groups.n; g++) {
		size_t len;
		const char *name = vg_strtab_get(&b->groups, (uint32_t)g, &len);
		CHECK(len > 0 && len <= VG_PROTO_GROUP_MAX);
		for (size_t i = 0; i < len; i++)
			CHECK(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/",
				     name[i]) != NULL && name[i] != 0);
	}
}

static void bulk(const char *s, size_t n)
{
	vg_batch b;
	vg_es_bulk r;
	vg_batch_init(&b);
	vg_es_bulk_init(&r);
	/* The path's index, from the input's first byte. */
	const char *idx = n > 0 && (s[0] & 1) ? "url-index-2024.01.02" : NULL;
	vg_es_opts o = {.now_ns = INT64_C(1700000000000000000), .id_seed = n, .index = idx,
			.index_len = idx ? strlen(idx) : 0};
	int rc = vg_es_bulk_decode(&r, &b, s, n, &o);
	CHECK(rc == 0 || rc == VG_EINVAL);
	if (rc < 0) {
		CHECK(b.nev == 0 && r.nitems == 0 && r.status == 400 && r.err.msg[0]);
	} else {
		CHECK(r.status == 200);
		size_t lines = 1;
		for (size_t i = 0; i < n; i++)
			lines += s[i] == '\n';
		CHECK(r.nitems > 0 && r.nitems <= lines);
	}
	CHECK(r.events == b.nev && r.parse_errors == b.nparse_errors);
	int failed = 0;
	for (size_t i = 0; i < r.nitems; i++) {
		CHECK(r.items[i].status == 201 || r.items[i].status == 400);
		failed |= r.items[i].status != 201;
	}
	CHECK(failed == r.errors);
	fz_check_fields(&b);
	check_groups(&b);
	static const char *const filters[] = {NULL, "errors,items.*.error,items.*.status",
					      "took,items.*._id,items.*._index", "x"};
	for (size_t f = 0; f < 4; f++) {
		vg_buf out = {0};
		unsigned st = vg_es_bulk_answer(&r, 1, filters[f], &out);
		CHECK(st == r.status);
		check_json(&out);
		vg_buf_free(&out);
	}
	vg_es_bulk_free(&r);
	vg_batch_free(&b);
}

/* The first line as a path, a method picked by the last byte. */
static void route(const char *s, size_t n)
{
	static const char *const methods[] = {"GET", "HEAD", "PUT", "POST", "DELETE", "PATCH"};
	const char *nl = memchr(s, '\n', n);
	size_t len = nl ? (size_t)(nl - s) : n;
	if (len > 4096)
		len = 4096;
	char *path = malloc(len + 2);
	path[0] = '/';
	memcpy(path + 1, s, len);
	path[len + 1] = 0;
	const char *m = methods[n ? (unsigned char)s[n - 1] % 6 : 0];
	vg_es_route r;
	vg_buf body = {0};
	vg_es_kind k = vg_es_route_of(m, path, 1, &r, &body);
	CHECK(k == r.kind);
	if (k == VG_ES_ANSWER && strcmp(r.ctype, VG_ES_JSON) == 0)
		check_json(&body);
	if (k != VG_ES_ANSWER)
		CHECK(body.len == 0);
	if (k == VG_ES_BULK && r.index)
		CHECK(r.index > path && r.index + r.index_len <= path + len + 1);
	vg_buf_free(&body);
	free(path);
}

static void inflate(const uint8_t *data, size_t n)
{
	vg_buf out = {0};
	vg_err err;
	for (int enc = VG_ENC_GZIP; enc <= VG_ENC_DEFLATE; enc++) {
		out.len = 0;
		int rc = vg_proto_inflate(data, n, enc, 4096, &out, &err);
		CHECK(rc == 0 || rc == VG_EINVAL || rc == VG_ELIMIT);
		CHECK(out.len <= 4096);
		if (rc < 0)
			CHECK(out.len == 0 && err.msg[0]);
	}
	vg_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A private copy, so reading past the end is caught. */
	char *s = malloc(size ? size : 1);
	memcpy(s, data, size);
	bulk(s, size);
	route(s, size);
	inflate((const uint8_t *)s, size);
	free(s);
	return 0;
}
