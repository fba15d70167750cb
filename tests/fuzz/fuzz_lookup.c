/*
 * fuzz_lookup.c — libFuzzer harness for the CSV lookup table loader and
 * its index (query/lookup.h), also built as a corpus replay binary with
 * replay.c.
 *
 * The whole input is loaded as a table (with small limits, so the fuzzer
 * also reaches them).
 *
 * Invariants:
 *  - loading never crashes; a failure is VG_EINVAL or VG_ELIMIT, leaves no
 *    table, and has a NUL-terminated, non-empty message;
 *  - a loaded table has at least one column; its header names are
 *    non-empty and distinct; every cell is a C string of its length;
 *  - writing the table back as CSV (every cell quoted) and loading that
 *    gives the same cells (short records come back padded);
 *  - indexed on its first column, and on its first two, every row's own
 *    keys find a row at or before it with the same key text (the first of
 *    duplicates wins);
 *  - on the first column (and on the first two), a row whose first cell is
 *    a network is found (some row) by the network's own address (and its
 *    second cell), the row found matches those keys, and with one key it
 *    is at least as specific;
 *  - a key that is absent (NULL) finds nothing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/lookup.h"
#include "util/ip.h"
#include "util/mem.h"

#define CHECK(c)                                                                         \
	do {                                                                             \
		if (!(c)) {                                                              \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, \
				#c);                                                     \
			abort();                                                         \
		}                                                                        \
	} while (0)

static const vg_lookup_limits lim = {.max_bytes = 1u << 20, .max_cells = 1u << 16,
				     .max_cols = 64};

static vg_lookup *load(const char *s, size_t n)
{
	vg_lookup *t = (vg_lookup *)&t;
	vg_err err;
	memset(&err, 0, sizeof err);
	int rc = vg_lookup_parse("fuzz", s, n, &lim, &t, &err);
	if (rc != 0) {
		CHECK(rc == VG_EINVAL || rc == VG_ELIMIT);
		CHECK(t == NULL && err.code == rc);
		CHECK(memchr(err.msg, 0, sizeof err.msg) != NULL && err.msg[0] != 0);
		return NULL;
	}
	CHECK(t != NULL);
	return t;
}

static void check_shape(const vg_lookup *t)
{
	uint32_t nc = vg_lookup_ncols(t), nr = vg_lookup_nrows(t);
	CHECK(nc >= 1);
	for (uint32_t c = 0; c < nc; c++) {
		uint32_t len;
		const char *name = vg_lookup_colname(t, c, &len);
		CHECK(len > 0 && strlen(name) == len);
		for (uint32_t d = 0; d < c; d++) {
			uint32_t l2;
			const char *n2 = vg_lookup_colname(t, d, &l2);
			CHECK(l2 != len || memcmp(n2, name, len) != 0);
		}
	}
	for (uint32_t r = 0; r < nr; r++)
		for (uint32_t c = 0; c < nc; c++) {
			uint32_t len;
			const char *s = vg_lookup_cell(t, r, c, &len);
			CHECK(strlen(s) == len);
		}
}

static void put_quoted(vg_buf *b, const char *s, uint32_t len)
{
	vg_buf_putc(b, '"');
	for (uint32_t i = 0; i < len; i++) {
		if (s[i] == '"')
			vg_buf_putc(b, '"');
		vg_buf_putc(b, (uint8_t)s[i]);
	}
	vg_buf_putc(b, '"');
}

/* Write t as CSV, load it, and compare every cell. */
static void check_roundtrip(const vg_lookup *t)
{
	uint32_t nc = vg_lookup_ncols(t), nr = vg_lookup_nrows(t);
	vg_buf b = {0};
	for (uint32_t r = 0; r <= nr; r++) {
		for (uint32_t c = 0; c < nc; c++) {
			uint32_t len;
			const char *s = r ? vg_lookup_cell(t, r - 1, c, &len)
					  : vg_lookup_colname(t, c, &len);
			if (c)
				vg_buf_putc(&b, ',');
			put_quoted(&b, s, len);
		}
		vg_buf_puts(&b, "\r\n");
	}
	vg_lookup *u = load((const char *)b.p, b.len);
	/* Quoting adds bytes: only a table near the byte limit may not come back. */
	CHECK(u != NULL || b.len > lim.max_bytes);
	if (u) {
		CHECK(vg_lookup_ncols(u) == nc && vg_lookup_nrows(u) == nr);
		for (uint32_t r = 0; r < nr; r++)
			for (uint32_t c = 0; c < nc; c++) {
				uint32_t l1, l2;
				const char *a = vg_lookup_cell(t, r, c, &l1);
				const char *x = vg_lookup_cell(u, r, c, &l2);
				CHECK(l1 == l2 && memcmp(a, x, l1) == 0);
			}
		vg_lookup_close(u);
	}
	vg_buf_free(&b);
}

/* Every row's keys find a row at or before it with the same key text. */
static void check_self_lookup(vg_lookup *t, const uint32_t *cols, uint32_t n)
{
	vg_err err;
	CHECK(vg_lookup_index(t, cols, n, &err) == 0);
	const char *keys[2];
	uint32_t lens[2];
	for (uint32_t r = 0; r < vg_lookup_nrows(t); r++) {
		for (uint32_t k = 0; k < n; k++)
			keys[k] = vg_lookup_cell(t, r, cols[k], &lens[k]);
		int64_t f = vg_lookup_find(t, keys, lens);
		CHECK(f >= 0 && f <= r);
		for (uint32_t k = 0; k < n; k++) {
			uint32_t len;
			const char *c = vg_lookup_cell(t, (uint32_t)f, cols[k], &len);
			CHECK(len == lens[k] && memcmp(c, keys[k], len) == 0);
		}
	}
	keys[0] = NULL;
	lens[0] = 0;
	if (n == 2) {
		keys[1] = "x";
		lens[1] = 1;
	}
	CHECK(vg_lookup_find(t, keys, lens) == -1);
}

/* Parse "addr/len" as the loader does, for the network check. */
static int net_of(const char *s, uint32_t len, uint8_t ip[16], unsigned *bits)
{
	const char *slash = memchr(s, '/', len);
	if (slash == NULL || vg_ip_parse(s, (size_t)(slash - s), ip) != 0)
		return -1;
	size_t dl = len - (size_t)(slash - s) - 1;
	if (dl == 0 || dl > 3)
		return -1;
	unsigned v = 0;
	for (size_t i = 0; i < dl; i++) {
		if (slash[1 + i] < '0' || slash[1 + i] > '9')
			return -1;
		v = v * 10 + (unsigned)(slash[1 + i] - '0');
	}
	int is4 = memchr(s, ':', (size_t)(slash - s)) == NULL;
	if (v > (is4 ? 32u : 128u))
		return -1;
	*bits = is4 ? 96 + v : v;
	for (unsigned b = *bits; b < 128; b++)
		ip[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
	return 0;
}

static int in_net(const uint8_t *ip, const uint8_t *pfx, unsigned bits)
{
	for (unsigned b = 0; b < bits; b++)
		if ((ip[b / 8] ^ pfx[b / 8]) & (0x80u >> (b % 8)))
			return 0;
	return 1;
}

/* 1 if cell (len bytes) matches key as the loader promises: the same
 * text, or a network holding the address key reads as. */
static int cell_matches(const char *cell, uint32_t len, const char *key, uint32_t klen,
			unsigned *bits)
{
	uint8_t net[16], ip[16];
	*bits = 129;
	if (len == klen && memcmp(cell, key, len) == 0)
		return 1;
	if (net_of(cell, len, net, bits) != 0 || vg_ip_parse(key, klen, ip) != 0)
		return 0;
	return in_net(ip, net, *bits);
}

/* Indexed on the first column (n == 1) or the first two: a row whose
 * first cell is a network is found (some row) by the network's own
 * address (and its second cell), and the row found matches those keys;
 * with one key, no row less specific than the network wins. */
static void check_networks(vg_lookup *t, uint32_t n)
{
	uint32_t cols[2] = {0, 1};
	vg_err err;
	CHECK(vg_lookup_index(t, cols, n, &err) == 0);
	for (uint32_t r = 0; r < vg_lookup_nrows(t); r++) {
		const char *keys[2];
		uint32_t lens[2];
		const char *s = vg_lookup_cell(t, r, 0, &lens[0]);
		uint8_t ip[16];
		unsigned bits, fbits;
		if (net_of(s, lens[0], ip, &bits) != 0)
			continue;
		char txt[64];
		keys[0] = txt;
		lens[0] = (uint32_t)vg_ip_format(ip, txt);
		if (n == 2)
			keys[1] = vg_lookup_cell(t, r, 1, &lens[1]);
		int64_t f = vg_lookup_find(t, keys, lens);
		CHECK(f >= 0);
		for (uint32_t k = 0; k < n; k++) {
			uint32_t flen;
			const char *fc = vg_lookup_cell(t, (uint32_t)f, k, &flen);
			CHECK(cell_matches(fc, flen, keys[k], lens[k], &fbits));
			if (n == 1)
				CHECK(fbits >= bits); /* the longest prefix wins */
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > lim.max_bytes + 16)
		return 0;
	char *s = malloc(size ? size : 1);
	CHECK(s != NULL);
	memcpy(s, data, size);
	vg_lookup *t = load(s, size);
	free(s);
	if (t == NULL)
		return 0;
	check_shape(t);
	check_roundtrip(t);
	uint32_t one = 0, two[2] = {0, 1};
	check_self_lookup(t, &one, 1);
	if (vg_lookup_ncols(t) >= 2)
		check_self_lookup(t, two, 2);
	check_networks(t, 1);
	if (vg_lookup_ncols(t) >= 2)
		check_networks(t, 2);
	vg_lookup_close(t);
	return 0;
}
