#include "store/bloom.h"

#include <stdlib.h>
#include <string.h>

#include "util/strtab.h"

/* Byte classes: 0 ordinary, 1 minor breaker, 2 major breaker (see
 * bloom.h). A token of the filter is a maximal run of ordinary bytes. */
static const unsigned char cls[256] = {
	[0] = 2, [' '] = 2, ['\t'] = 2, ['\r'] = 2, ['\n'] = 2, ['\v'] = 2, ['\f'] = 2,
	['"'] = 2, ['\''] = 2, ['('] = 2, [')'] = 2, ['['] = 2, [']'] = 2, ['{'] = 2,
	['}'] = 2, ['<'] = 2, ['>'] = 2, [','] = 2, [';'] = 2, ['='] = 2, ['|'] = 2,
	['&'] = 2, ['!'] = 2, ['?'] = 2, ['`'] = 2, ['.'] = 1, ['/'] = 1, [':'] = 1,
	['-'] = 1, ['@'] = 1, ['_'] = 1, ['\\'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1,
	['+'] = 1, ['*'] = 1, ['~'] = 1
};

/* ASCII-lowercase eight bytes at once: bytes 'A'..'Z' get 0x20 added. */
static inline uint64_t lower8(uint64_t w)
{
	const uint64_t hi = 0x8080808080808080ull;
	uint64_t low7 = w & ~hi;
	uint64_t gt_z = low7 + 0x2525252525252525ull;   /* 0x80 set above 'Z' */
	uint64_t ge_a = low7 + 0x3f3f3f3f3f3f3f3full;   /* 0x80 set from 'A' */
	uint64_t upper = ~w & (ge_a ^ gt_z) & hi;
	return w | (upper >> 2);
}

static inline uint64_t mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 29);
}

/* The r (1..7) bytes at p as the low bytes of a little-endian word, the
 * rest zero. Loaded in registers: copying them into a zeroed word in
 * memory and reading that back would wait for the copy's stores. */
static inline uint64_t load_tail(const unsigned char *p, size_t r)
{
	if (r >= 4) {
		uint32_t a, b;
		memcpy(&a, p, 4);
		memcpy(&b, p + r - 4, 4);
		return (uint64_t)a | (uint64_t)b << (8 * (r - 4));
	}
	return (uint64_t)p[0] | (uint64_t)p[r / 2] << (8 * (r / 2)) |
	       (uint64_t)p[r - 1] << (8 * (r - 1));
}

static inline uint64_t tokhash(const char *s, size_t n)
{
	if (n > VG_TOKEN_MAX)
		n = VG_TOKEN_MAX;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
	size_t k = 0;
	for (; k + 8 <= n; k += 8) {
		uint64_t w;
		memcpy(&w, s + k, 8);
		h = mix(h, lower8(w));
	}
	if (k < n)
		h = mix(h, lower8(load_tail((const unsigned char *)s + k, n - k)));
	h ^= h >> 31;
	h *= 0x94d049bb133111ebull;
	return h ^ (h >> 32);
}

uint64_t vg_token_hash(const char *s, size_t n)
{
	return tokhash(s, n);
}

/* The next token at or after *p (before end): its start in *tok and
 * length returned, *p moved past it; 0 when there is none. The subtokens of
 * a major token are its runs of ordinary bytes, and a major token without
 * minor breakers is one such run: so every filter token is a maximal run
 * of ordinary bytes, found in one pass. */
static inline size_t next_token(const unsigned char **p, const unsigned char *end,
				const unsigned char **tok)
{
	const unsigned char *q = *p;
	while (q < end && cls[*q])
		q++;
	*tok = q;
	while (q < end && !cls[*q])
		q++;
	*p = q;
	return (size_t)(q - *tok);
}

void vg_tokens(const char *s, size_t n, void (*fn)(uint64_t h, void *ctx), void *ctx)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n, *tok;
	size_t len;
	while ((len = next_token(&p, end, &tok)) != 0)
		fn(tokhash((const char *)tok, len), ctx);
}

int vg_token_breaker(unsigned char c)
{
	return cls[c] != 0;
}

int vg_token_aligned(const char *text, size_t len, size_t off, size_t n)
{
	if (off > len || n > len - off || n == 0)
		return 0;
	int before = off == 0 || cls[(unsigned char)text[off - 1]] != 0;
	int after = off + n == len || cls[(unsigned char)text[off + n]] != 0;
	return before && after;
}

static void set_insert(vg_tokset *t, uint64_t h)
{
	size_t i = h & (t->nslots - 1);
	while (t->slots[i]) {
		if (t->slots[i] == h)
			return;
		i = (i + 1) & (t->nslots - 1);
	}
	t->slots[i] = h;
	t->n++;
}

void vg_tokset_add(vg_tokset *t, uint64_t h)
{
	if (h == 0)
		h = 1;
	if ((t->n + 1) * 2 > t->nslots) {
		size_t old = t->nslots;
		uint64_t *os = t->slots;
		t->nslots = old ? old * 2 : 1024;
		t->slots = vg_xcalloc(t->nslots, sizeof *t->slots);
		t->n = 0;
		for (size_t k = 0; k < old; k++)
			if (os[k])
				set_insert(t, os[k]);
		free(os);
	}
	set_insert(t, h);
}

#define RECENT 4096

/* Add a hash, stopping repeats (JSON keys, common values) at the small
 * direct-mapped cache of recent hashes before the large table. */
static inline void add_recent(vg_tokset *t, uint64_t h)
{
	uint64_t *slot = &t->recent[h & (RECENT - 1)];
	if (*slot == h)
		return;
	*slot = h;
	vg_tokset_add(t, h);
}

void vg_tokset_add_text(vg_tokset *t, const char *s, size_t n)
{
	if (t->recent == NULL)
		t->recent = vg_xcalloc(RECENT, sizeof *t->recent);
	const unsigned char *p = (const unsigned char *)s, *end = p + n, *tok;
	/* Hash a batch of tokens, then add them: the hashes of a batch are
	 * independent, so their multiplications overlap instead of waiting
	 * behind the branch of each insertion. */
	uint64_t h[64];
	for (;;) {
		size_t m = 0, len;
		while (m < 64 && (len = next_token(&p, end, &tok)) != 0)
			h[m++] = tokhash((const char *)tok, len);
		for (size_t k = 0; k < m; k++)
			add_recent(t, h[k]);
		if (m < 64)
			break;
	}
}

void vg_tokset_clear(vg_tokset *t)
{
	if (t->slots)
		memset(t->slots, 0, t->nslots * sizeof *t->slots);
	if (t->recent)
		memset(t->recent, 0, RECENT * sizeof *t->recent);
	t->n = 0;
}

void vg_tokset_free(vg_tokset *t)
{
	free(t->slots);
	free(t->recent);
	memset(t, 0, sizeof *t);
}

void vg_bloom_build(const vg_tokset *t, vg_buf *out)
{
	unsigned lg = 9;
	while (lg < 25 && ((size_t)1 << lg) < t->n * 10)
		lg++;
	size_t nbytes = ((size_t)1 << lg) / 8;
	vg_buf_putc(out, (uint8_t)lg);
	vg_buf_reserve(out, nbytes);
	uint8_t *bits = out->p + out->len;
	memset(bits, 0, nbytes);
	uint64_t mask = ((uint64_t)1 << lg) - 1;
	for (size_t k = 0; k < t->nslots; k++) {
		uint64_t h = t->slots[k];
		if (!h)
			continue;
		uint64_t h1 = h, h2 = (h >> 32) | (h << 32);
		for (int j = 0; j < 3; j++) {
			uint64_t b = (h1 + (uint64_t)j * h2) & mask;
			bits[b >> 3] |= (uint8_t)(1u << (b & 7));
		}
	}
	out->len += nbytes;
}

int vg_bloom_maybe(const uint8_t *p, size_t len, uint64_t h)
{
	if (len < 2)
		return 1;
	unsigned lg = p[0];
	if (lg < 3 || lg > 30 || len - 1 != ((size_t)1 << lg) / 8)
		return 1;
	if (h == 0)
		h = 1;
	const uint8_t *bits = p + 1;
	uint64_t mask = ((uint64_t)1 << lg) - 1;
	uint64_t h1 = h, h2 = (h >> 32) | (h << 32);
	for (int j = 0; j < 3; j++) {
		uint64_t b = (h1 + (uint64_t)j * h2) & mask;
		if (!(bits[b >> 3] & (1u << (b & 7))))
			return 0;
	}
	return 1;
}
