/*
 * fuzz_loki.c — the Loki push decoder (libFuzzer harness; also a corpus
 * replay binary).
 *
 * Invariants: a push is refused whole (an error message, nothing stored)
 * or taken whole (every value of every stream one event, nothing marked
 * unparsed); an accepted body is valid JSON whose values, counted
 * independently, are the events; every event carries at least one label;
 * the event count is reported exactly. The Content-Type check takes any
 * header.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "server/proto.h"

/* The number of elements of every streams[i].values of a valid body. */
static size_t count_values(const char *s, size_t n)
{
	vg_jspan streams, st, k, vals, v;
	vg_json_it it, vit;
	vg_err err;
	size_t total = 0;
	if (vg_json_find(s, n, 0, "streams", &streams, &err) <= 0 || s[streams.start] != '[')
		return 0;
	vg_json_it_init(&it, s, n, streams.start, &err);
	while (vg_json_it_next(&it, &k, &st, &err) > 0) {
		if (vg_json_find(s, st.end, st.start, "values", &vals, &err) <= 0)
			continue;
		vg_json_it_init(&vit, s, n, vals.start, &err);
		while (vg_json_it_next(&vit, &k, &v, &err) > 0)
			total++;
	}
	return total;
}

static void push(const char *s, size_t n)
{
	vg_batch b;
	vg_err err = {0};
	uint64_t events = 99;
	vg_batch_init(&b);
	int rc = vg_loki_push(&b, s, n, 1, &events, &err);
	CHECK(rc == 0 || rc == VG_EINVAL);
	CHECK(events == b.nev);
	if (rc < 0) {
		CHECK(b.nev == 0 && err.msg[0]);
	} else {
		vg_jspan v;
		vg_err e2;
		CHECK(vg_json_skip(s, n, 0, &v, &e2) == 0);
		CHECK(count_values(s, n) == b.nev);
		CHECK(b.nparse_errors == 0);
		for (size_t i = 0; i < b.nev; i++)
			CHECK(b.ev[i].nfields >= 1 && b.ev[i].t >= 0);
	}
	fz_check_fields(&b);
	vg_batch_free(&b);
}

static void content_type(const char *s, size_t n)
{
	char hdr[128];
	size_t len = n < sizeof hdr - 1 ? n : sizeof hdr - 1;
	memcpy(hdr, s, len);
	hdr[len] = 0;
	vg_err err = {0};
	int rc = vg_loki_content_type(hdr, &err);
	CHECK(rc == 0 || (rc == VG_EINVAL && err.msg[0]));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1);
	memcpy(s, data, size);
	push(s, size);
	content_type(s, size);
	free(s);
	return 0;
}
