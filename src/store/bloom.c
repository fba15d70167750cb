#include "store/bloom.h"

#include <stdlib.h>
#include <string.h>

#include "util/strtab.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

/* A token's hash: its length, then its bytes (lowercased) 8 at a time,
 * the last word zero-padded, then a final mix. The store's filters hold
 * these values, so they must not change. */
static inline uint64_t tok_seed(size_t n)
{
	return 0x9e3779b97f4a7c15ull ^ n;
}

static inline uint64_t tok_final(uint64_t h)
{
	h ^= h >> 31;
	h *= 0x94d049bb133111ebull;
	return h ^ (h >> 32);
}

static inline uint64_t tokhash(const char *s, size_t n)
{
	if (n > VG_TOKEN_MAX)
		n = VG_TOKEN_MAX;
	uint64_t h = tok_seed(n);
	size_t k = 0;
	for (; k + 8 <= n; k += 8) {
		uint64_t w;
		memcpy(&w, s + k, 8);
		h = mix(h, lower8(w));
	}
	if (k < n)
		h = mix(h, lower8(load_tail((const unsigned char *)s + k, n - k)));
	return tok_final(h);
}

uint64_t vg_token_hash(const char *s, size_t n)
{
	return tokhash(s, n);
}

/*
 * Tokenizing: every filter token is a maximal run of ordinary bytes (the
 * subtokens of a major token are its runs of ordinary bytes, and a major
 * token without minor breakers is one such run), so the text is read as a
 * bitmap, 64 bytes at a time: bit i set when byte i is ordinary. A token
 * starts or ends wherever a bit differs from the one before it, and those
 * edges are found by ctz, with no branch per byte. This matters because
 * the store tokenizes every raw message it seals (CloudTrail JSON: a
 * token every six bytes or so, where a byte loop mispredicts at each one).
 */

#if defined(__SSE2__)

/* Mask of the bytes of x within [lo, hi], as 0xFF lanes. */
static inline __m128i in_range(__m128i x, unsigned char lo, unsigned char hi)
{
	__m128i t = _mm_sub_epi8(x, _mm_set1_epi8((char)lo));
	return _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8((char)(hi - lo))), t);
}

/* Ordinary-byte bits of 16 bytes. The breakers of cls[], as ranges: NUL,
 * \t..\r, and the printable bytes other than digits, letters and '^'. */
static inline uint64_t ordinary16(const unsigned char *p)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i alnum = _mm_or_si128(in_range(x, '0', '9'),
				     in_range(_mm_or_si128(x, _mm_set1_epi8(0x20)), 'a', 'z'));
	__m128i keep = _mm_or_si128(alnum, _mm_cmpeq_epi8(x, _mm_set1_epi8('^')));
	__m128i brk = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_setzero_si128()), in_range(x, '\t', '\r'));
	brk = _mm_or_si128(brk, _mm_andnot_si128(keep, in_range(x, ' ', '~')));
	return (uint64_t)(uint16_t)~_mm_movemask_epi8(brk);
}

static inline uint64_t ordinary64(const unsigned char *p)
{
	return ordinary16(p) | ordinary16(p + 16) << 16 | ordinary16(p + 32) << 32 |
	       ordinary16(p + 48) << 48;
}
#else
static inline uint64_t ordinary64(const unsigned char *p)
{
	uint64_t m = 0;
	for (unsigned i = 0; i < 64; i++)
		m |= (uint64_t)(cls[p[i]] == 0) << i;
	return m;
}
#endif

/* Tokens are hashed in batches, then handed to a sink: the hashes of a
 * batch are independent, so their multiplications overlap instead of
 * waiting behind the branch of each insertion. */
#define TOK_BATCH 64
typedef void (*tok_sink)(const uint64_t *h, size_t m, void *ctx);

#define SEEN_BITS 12

/* Hash the tokens whose [start, end) offsets are e[0..ne) in pairs. With
 * seen (a tokset's, 2^SEEN_BITS words), tokens of at most eight bytes
 * already given since the set was cleared are skipped before they are
 * hashed: such a token is its own word (it holds no NUL, so the word also
 * tells its length), and JSON repeats the same short keys and values in
 * every record. (Sixteen bytes in two words, for the longer keys, measured
 * no faster.) */
static void hash_spans(const char *s, size_t n, const size_t *e, size_t ne, uint64_t *seen,
		       tok_sink sink, void *ctx)
{
	uint64_t h[TOK_BATCH];
	size_t m = 0;
	for (size_t k = 0; k + 1 < ne; k += 2) {
		size_t a = e[k], len = e[k + 1] - a;
		if (len <= 8 && a + 8 <= n) {
			/* The common short token: one load, the bytes past it
			 * masked off, as tokhash's tail would be. */
			uint64_t w;
			memcpy(&w, s + a, 8);
			w &= ~0ull >> (64 - 8 * len);
			if (seen) {
				uint64_t *slot = &seen[(w * 0x9e3779b97f4a7c15ull) >> (64 - SEEN_BITS)];
				if (*slot == w)
					continue;
				*slot = w;
			}
			h[m++] = tok_final(mix(tok_seed(len), lower8(w)));
		} else {
			h[m++] = tokhash(s + a, len);
		}
		if (m == TOK_BATCH) {
			sink(h, m, ctx);
			m = 0;
		}
	}
	if (m)
		sink(h, m, ctx);
}

/* Every token of s, hashed, to sink (see hash_spans for seen). */
static void hash_tokens(const char *s, size_t n, uint64_t *seen, tok_sink sink, void *ctx)
{
	const unsigned char *p = (const unsigned char *)s;
	/* Edge offsets, alternately a token's start and its end: a block of
	 * 64 bytes adds at most 64. */
	size_t e[4 * 64];
	size_t ne = 0;
	uint64_t carry = 0; /* 1 when the byte before the block is ordinary */
	for (size_t base = 0; base < n; base += 64) {
		uint64_t ord;
		if (n - base >= 64) {
			ord = ordinary64(p + base);
		} else {
			/* The last block, padded with NULs (breakers). */
			unsigned char tail[64] = {0};
			memcpy(tail, p + base, n - base);
			ord = ordinary64(tail);
		}
		uint64_t edges = ord ^ (ord << 1 | carry);
		carry = ord >> 63;
		while (edges) {
			e[ne++] = base + (size_t)__builtin_ctzll(edges);
			edges &= edges - 1;
		}
		if (ne > sizeof e / sizeof *e - 64) {
			size_t whole = ne & ~(size_t)1;
			hash_spans(s, n, e, whole, seen, sink, ctx);
			if (ne & 1)
				e[0] = e[ne - 1];
			ne &= 1;
		}
	}
	if (ne & 1) /* a token running to the end (n a multiple of 64) */
		e[ne++] = n;
	hash_spans(s, n, e, ne, seen, sink, ctx);
}

typedef struct fn_sink {
	void (*fn)(uint64_t h, void *ctx);
	void *ctx;
} fn_sink;

static void call_fn(const uint64_t *h, size_t m, void *ctx)
{
	fn_sink *f = ctx;
	for (size_t k = 0; k < m; k++)
		f->fn(h[k], f->ctx);
}

void vg_tokens(const char *s, size_t n, void (*fn)(uint64_t h, void *ctx), void *ctx)
{
	fn_sink f = {fn, ctx};
	hash_tokens(s, n, NULL, call_fn, &f);
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

static void add_batch(const uint64_t *h, size_t m, void *ctx)
{
	vg_tokset *t = ctx;
	for (size_t k = 0; k < m; k++)
		add_recent(t, h[k]);
}

void vg_tokset_add_text(vg_tokset *t, const char *s, size_t n)
{
	if (t->recent == NULL)
		t->recent = vg_xcalloc(RECENT, sizeof *t->recent);
	if (t->seen == NULL)
		t->seen = vg_xcalloc((size_t)1 << SEEN_BITS, sizeof *t->seen);
	hash_tokens(s, n, t->seen, add_batch, t);
}

void vg_tokset_clear(vg_tokset *t)
{
	if (t->slots)
		memset(t->slots, 0, t->nslots * sizeof *t->slots);
	if (t->recent)
		memset(t->recent, 0, RECENT * sizeof *t->recent);
	if (t->seen)
		memset(t->seen, 0, ((size_t)1 << SEEN_BITS) * sizeof *t->seen);
	t->n = 0;
}

void vg_tokset_free(vg_tokset *t)
{
	free(t->slots);
	free(t->recent);
	free(t->seen);
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
