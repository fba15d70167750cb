/* Column chunk decoding: the reverse of colenc.c (format in
 * docs/FORMAT.md, "Column chunks"). */
#include "store/colenc.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_X86_SIMD 1
#endif

#include "store/colenc_int.h"
#include "util/ip.h"
#include "util/simd.h"

static __thread ZSTD_DCtx *tl_dctx;

void vg_coldec_thread_done(void)
{
	ZSTD_freeDCtx(tl_dctx);
	tl_dctx = NULL;
}

static int64_t unzz(uint64_t u)
{
	return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

/* ---- decoding ---------------------------------------------------------- */

#define BAD(msg) vg_seterr(err, VG_ECORRUPT, -1, "column chunk: %s", msg)

/* vg_cur_uvarint for the loops that read one varint per value: the same
 * result and the same errors, without a call or a bounds check per byte
 * while 10 bytes (the longest varint) remain, and with the place and the
 * value in registers. */
static inline int get_uvarint(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
	const uint8_t *p = *pp;
	if (end - p < 10) {
		vg_cur c = {p, end};
		uint64_t x;
		int rc = vg_cur_uvarint(&c, &x);
		*pp = c.p;
		*v = x;
		return rc;
	}
	/* Up to 8 bytes without a branch on the length (lengths mixed at
	 * random cost a misprediction a value): its end from the first
	 * byte without the high bit, every 7-bit group moved in place at
	 * once, those past the end masked off. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t w;
	memcpy(&w, p, 8);
	uint64_t stop = ~w & 0x8080808080808080ull;
	if (stop) {
		unsigned len = ((unsigned)__builtin_ctzll(stop) >> 3) + 1;
		uint64_t x = (w & 0x7full) | (w >> 1 & 0x7full << 7) | (w >> 2 & 0x7full << 14) |
			     (w >> 3 & 0x7full << 21) | (w >> 4 & 0x7full << 28) |
			     (w >> 5 & 0x7full << 35) | (w >> 6 & 0x7full << 42) |
			     (w >> 7 & 0x7full << 49);
		*pp = p + len;
		*v = x & ((1ull << (7 * len)) - 1);
		return 0;
	}
#endif
	uint64_t r = p[0] & 0x7f;
	if (r == p[0]) {
		*pp = p + 1;
		*v = r;
		return 0;
	}
	for (int shift = 7; shift < 64; shift += 7) {
		uint8_t x = p[shift / 7];
		r |= (uint64_t)(x & 0x7f) << shift;
		if (!(x & 0x80)) {
			*pp = p + shift / 7 + 1;
			*v = r;
			return 0;
		}
	}
	return -1;
}

/* Are the next 8 varints at p one byte each (and 8 wanted)? Then they are
 * the bytes themselves, read without a step from one to the next. */
static inline int small8(const uint8_t *p, const uint8_t *end, size_t want)
{
	uint64_t w;
	if (want < 8 || end - p < 8)
		return 0;
	memcpy(&w, p, 8);
	return (w & 0x8080808080808080ull) == 0;
}

/* Row k of a list of rows; NULL lists every row (row k is k). */
static inline uint32_t row_of(const uint32_t *rows, uint32_t k)
{
	return rows ? rows[k] : k;
}

#ifdef HAVE_X86_SIMD
/* ids of 1 or 2 bytes (w) widened to 32 bits, 32 or 16 at a time, the
 * largest taken on the narrow values; returns it (0 for n == 0) and the
 * ids done in *done (the rest are left to the caller). */
__attribute__((target("avx2"))) static uint32_t ids_avx2(const uint8_t *p, size_t n, unsigned w,
							  uint32_t *ids, size_t *done)
{
	size_t k = 0;
	if (w == 1) {
		__m256i top = _mm256_setzero_si256();
		for (; k + 32 <= n; k += 32) {
			__m256i b = _mm256_loadu_si256((const __m256i *)(p + k));
			top = _mm256_max_epu8(top, b);
			for (unsigned j = 0; j < 4; j++)
				_mm256_storeu_si256((__m256i *)(ids + k + 8 * j),
						    _mm256_cvtepu8_epi32(_mm_loadl_epi64(
							    (const __m128i *)(p + k + 8 * j))));
		}
		uint8_t t[32];
		_mm256_storeu_si256((__m256i *)t, top);
		uint32_t m = 0;
		for (unsigned j = 0; j < 32; j++)
			m = t[j] > m ? t[j] : m;
		*done = k;
		return m;
	}
	__m256i top = _mm256_setzero_si256();
	for (; k + 16 <= n; k += 16) {
		__m256i h = _mm256_loadu_si256((const __m256i *)(p + 2 * k));
		top = _mm256_max_epu16(top, h);
		_mm256_storeu_si256((__m256i *)(ids + k),
				    _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(p + 2 * k))));
		_mm256_storeu_si256((__m256i *)(ids + k + 8),
				    _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(p + 2 * k + 16))));
	}
	uint16_t t[16];
	_mm256_storeu_si256((__m256i *)t, top);
	uint32_t m = 0;
	for (unsigned j = 0; j < 16; j++)
		m = t[j] > m ? t[j] : m;
	*done = k;
	return m;
}
#endif

static int get_ids(vg_cur *c, size_t n, uint32_t ndict, uint32_t *ids, vg_err *err)
{
	uint8_t w;
	const uint8_t *p;
	if (vg_cur_u8(c, &w) || (w != 1 && w != 2 && w != 4) || vg_cur_bytes(c, n * w, &p))
		return BAD("bad id array");
	/* One loop per width; the range check is a maximum taken on the
	 * way. */
	uint32_t top = 0;
	size_t k0 = 0;
#ifdef HAVE_X86_SIMD
	if (w != 4 && vg_simd_has(VG_SIMD_AVX2))
		top = ids_avx2(p, n, w, ids, &k0);
#endif
	if (w == 1) {
		for (size_t k = k0; k < n; k++) {
			ids[k] = p[k];
			top = ids[k] > top ? ids[k] : top;
		}
	} else if (w == 2) {
		for (size_t k = k0; k < n; k++) {
			uint16_t v;
			memcpy(&v, p + 2 * k, 2);
			ids[k] = v;
			top = ids[k] > top ? ids[k] : top;
		}
	} else {
		memcpy(ids, p, n * 4);
		for (size_t k = 0; k < n; k++)
			top = ids[k] > top ? ids[k] : top;
	}
	if (n && top >= ndict)
		return BAD("dictionary id out of range");
	return 0;
}

#ifdef HAVE_X86_SIMD
/* Scheme 2 of 1 to 4 planes (width) with AVX-512, 8 values a step: the
 * bytes of 8 values widened from each plane, shifted to their place and
 * joined, times g plus base. Returns the values done (a multiple of 8). */
__attribute__((target("avx512f,avx512dq"))) static size_t planes_avx512(
	const uint8_t *p, size_t m, unsigned width, uint64_t base, uint64_t g, int64_t *v)
{
	const __m512i vb = _mm512_set1_epi64((long long)base), vg = _mm512_set1_epi64((long long)g);
	size_t k = 0;
	for (; k + 8 <= m; k += 8) {
		__m512i x = _mm512_setzero_si512();
		for (unsigned j = 0; j < width; j++) {
			__m512i b = _mm512_cvtepu8_epi64(_mm_loadl_epi64((const __m128i *)(p + j * m + k)));
			x = _mm512_or_si512(x, _mm512_slli_epi64(b, 8 * j));
		}
		if (g != 1)
			x = _mm512_mullo_epi64(x, vg);
		_mm512_storeu_si512(v + k, _mm512_add_epi64(x, vb));
	}
	return k;
}
#endif

static int dec_ints(vg_cur *c, size_t m, int64_t *v, vg_err *err)
{
	uint8_t enc;
	int64_t base;
	uint64_t g, u;
	if (vg_cur_u8(c, &enc) || vg_cur_svarint(c, &base) || vg_cur_uvarint(c, &g) || g == 0)
		return BAD("bad integer header");
	/* The varint loops keep their place in a local (a register). */
	const uint8_t *p = c->p, *end = c->end;
	if (enc == INT_FOR) {
		for (size_t k = 0; k < m;) {
			if (small8(p, end, m - k)) {
				for (unsigned j = 0; j < 8; j++)
					v[k + j] = (int64_t)((uint64_t)base + (uint64_t)p[j] * g);
				p += 8;
				k += 8;
				continue;
			}
			if (get_uvarint(&p, end, &u))
				return BAD("integers cut short");
			v[k++] = (int64_t)((uint64_t)base + u * g);
		}
		c->p = p;
	} else if (enc == INT_PLANES) {
		uint8_t width;
		if (vg_cur_u8(c, &width) || width == 0 || width > 8 ||
		    vg_cur_bytes(c, (size_t)width * m, &p))
			return BAD("integer planes cut short");
		/* The common widths read their planes side by side, a value
		 * written once; wider ones plane by plane, each loop over
		 * contiguous bytes. */
		const uint8_t *p0 = p, *p1 = p + m, *p2 = p + 2 * m, *p3 = p + 3 * m;
		uint64_t ub = (uint64_t)base;
		size_t k0 = 0;
#ifdef HAVE_X86_SIMD
		if (width <= 4 && vg_simd_has(VG_SIMD_AVX512F | VG_SIMD_AVX512DQ))
			k0 = planes_avx512(p, m, width, ub, g, v);
#endif
		switch (width) {
		case 1:
			for (size_t k = k0; k < m; k++)
				v[k] = (int64_t)(ub + p0[k] * g);
			break;
		case 2:
			for (size_t k = k0; k < m; k++)
				v[k] = (int64_t)(ub + (p0[k] | (uint64_t)p1[k] << 8) * g);
			break;
		case 3:
			for (size_t k = k0; k < m; k++)
				v[k] = (int64_t)(ub + (p0[k] | (uint64_t)p1[k] << 8 |
						       (uint64_t)p2[k] << 16) * g);
			break;
		case 4:
			for (size_t k = k0; k < m; k++)
				v[k] = (int64_t)(ub + (p0[k] | (uint64_t)p1[k] << 8 |
						       (uint64_t)p2[k] << 16 | (uint64_t)p3[k] << 24) * g);
			break;
		default: {
			uint64_t *x = (uint64_t *)v;
			for (size_t k = 0; k < m; k++)
				x[k] = p[k];
			for (unsigned j = 1; j < width; j++)
				for (size_t k = 0; k < m; k++)
					x[k] |= (uint64_t)p[j * m + k] << (8 * j);
			for (size_t k = 0; k < m; k++)
				v[k] = (int64_t)(ub + x[k] * g);
			break;
		}
		}
	} else if (enc == INT_DELTA) {
		uint64_t prev = (uint64_t)base;
		if (m)
			v[0] = base;
		for (size_t k = 1; k < m;) {
			if (small8(p, end, m - k)) {
				for (unsigned j = 0; j < 8; j++) {
					prev += (uint64_t)unzz(p[j]) * g;
					v[k + j] = (int64_t)prev;
				}
				p += 8;
				k += 8;
				continue;
			}
			if (get_uvarint(&p, end, &u))
				return BAD("integers cut short");
			prev += (uint64_t)unzz(u) * g;
			v[k++] = (int64_t)prev;
		}
		c->p = p;
	} else {
		return BAD("unknown integer encoding");
	}
	return 0;
}

/* Where the values of a column chunk go: value k to row rows[k]; or, when
 * rows is NULL and bm is not, to the k-th row whose bit is set in the
 * presence bitmap bm of n rows (the rows are walked in order, each taking
 * the value at the count of present rows before it: an absent row takes
 * one too, or 0, which nobody reads as its type is 0 — so value arrays
 * walked this way have one spare entry); or, with neither, to row k. */
typedef struct place {
	const uint32_t *rows;
	const uint8_t *bm;
	uint32_t n;
} place;

static inline uint32_t bit_of(const uint8_t *bm, uint32_t r)
{
	return (bm[r >> 3] >> (r & 7)) & 1u;
}

#ifdef HAVE_X86_SIMD
/* The bits set in the first words 64-bit words of bm, with the popcount
 * instruction. */
__attribute__((target("popcnt"))) static uint32_t words_popcnt(const uint8_t *bm, uint32_t words)
{
	uint32_t cnt = 0;
	for (uint32_t k = 0; k < words; k++) {
		uint64_t x;
		memcpy(&x, bm + 8 * k, 8);
		cnt += (uint32_t)__builtin_popcountll(x);
	}
	return cnt;
}
#endif

/* The number of bits set in the first n bits of bm. */
static uint32_t bitmap_count(const uint8_t *bm, uint32_t n)
{
	uint32_t cnt = 0, words = n / 64, k = 0;
#ifdef HAVE_X86_SIMD
	if (vg_simd_has(VG_SIMD_POPCNT)) {
		cnt = words_popcnt(bm, words);
		k = words;
	}
#endif
	for (; k < words; k++) {
		/* Bits of 8 bytes, without relying on a popcount instruction. */
		uint64_t x;
		memcpy(&x, bm + 8 * k, 8);
		x = x - ((x >> 1) & 0x5555555555555555ull);
		x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
		x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
		cnt += (uint32_t)((x * 0x0101010101010101ull) >> 56);
	}
	for (uint32_t r = words * 64; r < n; r++)
		cnt += bit_of(bm, r);
	return cnt;
}

/* types[r] = t for the rows whose bit is set, 0 for the others: a byte of
 * the bitmap spread to 8 bytes at a time. */
static void bitmap_types(uint8_t *types, const uint8_t *bm, uint32_t n, uint8_t t)
{
	uint32_t full = n / 8;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (uint32_t k = 0; k < full; k++) {
		/* Bit j of the byte to bit j of byte j, then to bit 0 of it. */
		uint64_t x = ((uint64_t)bm[k] * 0x0101010101010101ull) & 0x8040201008040201ull;
		x = ((x + 0x7f7f7f7f7f7f7f7full) >> 7) & 0x0101010101010101ull;
		x *= t;
		memcpy(types + 8 * k, &x, 8);
	}
#else
	full = 0;
#endif
	for (uint32_t r = full * 8; r < n; r++)
		types[r] = (uint8_t)(bit_of(bm, r) * t);
}

/* bit_prefix[b][j]: the bits set in byte b below bit j (j = 8: all of
 * them), so that the value of each row of a bitmap byte is found without a
 * step from one row to the next. */
#define PC8(x)                                                                 \
	(((x) & 1) + ((x) >> 1 & 1) + ((x) >> 2 & 1) + ((x) >> 3 & 1) +       \
	 ((x) >> 4 & 1) + ((x) >> 5 & 1) + ((x) >> 6 & 1) + ((x) >> 7 & 1))
#define PFX1(b)                                                                \
	{PC8((b) & 0), PC8((b) & 1), PC8((b) & 3), PC8((b) & 7), PC8((b) & 15), \
	 PC8((b) & 31), PC8((b) & 63), PC8((b) & 127), PC8(b)}
#define PFX4(b) PFX1(b), PFX1((b) + 1), PFX1((b) + 2), PFX1((b) + 3)
#define PFX16(b) PFX4(b), PFX4((b) + 4), PFX4((b) + 8), PFX4((b) + 12)
#define PFX64(b) PFX16(b), PFX16((b) + 16), PFX16((b) + 32), PFX16((b) + 48)
static const uint8_t bit_prefix[256][9] = {PFX64(0), PFX64(64), PFX64(128), PFX64(192)};

/* Run STMT for each row r of pl's bitmap walk, at the value index of r
 * (the present rows before r): a byte of the bitmap at a time. */
#define WALK_BITMAP(pl, STMT)                                                  \
	do {                                                                   \
		uint32_t cnt_ = 0, full_ = (pl)->n / 8, r, at;                 \
		for (uint32_t byte_ = 0; byte_ < full_; byte_++) {             \
			const uint8_t *o_ = bit_prefix[(pl)->bm[byte_]];       \
			for (unsigned j_ = 0; j_ < 8; j_++) {                  \
				r = byte_ * 8 + j_;                            \
				at = cnt_ + o_[j_];                            \
				STMT;                                          \
			}                                                      \
			cnt_ += o_[8];                                         \
		}                                                              \
		for (r = full_ * 8; r < (pl)->n; r++) {                        \
			at = cnt_;                                             \
			STMT;                                                  \
			cnt_ += bit_of((pl)->bm, r);                           \
		}                                                              \
	} while (0)

#ifdef HAVE_X86_SIMD
/* The bitmap walk with AVX-512's expand: per byte of the bitmap, the next
 * values (as many as its bits) spread to the rows of its set bits at
 * once; an absent row gets 0. The values are loaded masked, so nothing
 * past them is read. Returns the rows done (whole bytes), the values
 * they took in *taken. */
__attribute__((target("avx512f,popcnt"))) static uint32_t walk_i64_avx512(const place *pl, int64_t *out,
								 const int64_t *v, uint32_t *taken)
{
	uint32_t at = 0, full = pl->n / 8;
	for (uint32_t b = 0; b < full; b++) {
		unsigned bits = pl->bm[b], cnt = (unsigned)__builtin_popcount(bits);
		__m512i x = _mm512_maskz_loadu_epi64((__mmask8)((1u << cnt) - 1), v + at);
		_mm512_storeu_si512(out + 8 * b, _mm512_maskz_expand_epi64((__mmask8)bits, x));
		at += cnt;
	}
	*taken = at;
	return full * 8;
}

/* The same for 32-bit values, 16 rows (two bytes of the bitmap) a step. */
__attribute__((target("avx512f,popcnt"))) static uint32_t walk_u32_avx512(const place *pl, uint32_t *out,
								 const uint32_t *v, uint32_t *taken)
{
	uint32_t at = 0, full = pl->n / 16;
	for (uint32_t b = 0; b < full; b++) {
		unsigned bits = pl->bm[2 * b] | (unsigned)pl->bm[2 * b + 1] << 8;
		unsigned cnt = (unsigned)__builtin_popcount(bits);
		__m512i x = _mm512_maskz_loadu_epi32((__mmask16)((1u << cnt) - 1), v + at);
		_mm512_storeu_si512(out + 16 * b, _mm512_maskz_expand_epi32((__mmask16)bits, x));
		at += cnt;
	}
	*taken = at;
	return full * 16;
}

static int have_avx512(void)
{
	return vg_simd_has(VG_SIMD_AVX512F | VG_SIMD_POPCNT);
}
#endif

/* The rows of pl's bitmap walk from row `from` on, one at a time; taken:
 * the values the rows before took. */
#define WALK_BITMAP_FROM(pl, from, taken, STMT)                                \
	do {                                                                   \
		uint32_t cnt_ = (taken), r, at;                                \
		for (r = (from); r < (pl)->n; r++) {                           \
			at = cnt_;                                             \
			STMT;                                                  \
			cnt_ += bit_of((pl)->bm, r);                           \
		}                                                              \
	} while (0)

static void place_i64(const place *pl, int64_t *out, const int64_t *v, uint32_t m)
{
	if (pl->rows) {
		for (uint32_t k = 0; k < m; k++)
			out[pl->rows[k]] = v[k];
	} else if (pl->bm) {
#ifdef HAVE_X86_SIMD
		if (have_avx512()) {
			uint32_t taken, done = walk_i64_avx512(pl, out, v, &taken);
			WALK_BITMAP_FROM(pl, done, taken, out[r] = v[at]);
			return;
		}
#endif
		WALK_BITMAP(pl, out[r] = v[at]);
	} else if (out != v) {
		memcpy(out, v, (size_t)m * sizeof *v);
	}
}

static void place_u32(const place *pl, uint32_t *out, const uint32_t *v, uint32_t m)
{
	if (pl->rows) {
		for (uint32_t k = 0; k < m; k++)
			out[pl->rows[k]] = v[k];
	} else if (pl->bm) {
#ifdef HAVE_X86_SIMD
		if (have_avx512()) {
			uint32_t taken, done = walk_u32_avx512(pl, out, v, &taken);
			WALK_BITMAP_FROM(pl, done, taken, out[r] = v[at]);
			return;
		}
#endif
		WALK_BITMAP(pl, out[r] = v[at]);
	} else if (out != v) {
		memcpy(out, v, (size_t)m * sizeof *v);
	}
}

/* m addresses into out, placed by pl. With idcol (a whole column, out
 * NULL): a dictionary's ids into idcol->ipid instead, the dictionary as
 * idcol->ipdict; plain addresses into idcol->ip, allocated here. */
static int dec_ips(vg_cur *c, size_t m, uint8_t (*out)[16], const place *pl, vg_col *idcol,
		   vg_arena *a, vg_err *err)
{
	static const uint8_t pre[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	uint8_t enc;
	if (vg_cur_u8(c, &enc) || enc > IP_DICT16)
		return BAD("bad address encoding");
	unsigned w = (enc == IP_PLAIN4 || enc == IP_DICT4) ? 4 : 16;
	const uint8_t *p;
	uint64_t nd = m;
	uint32_t *ids = vg_arena_alloc(a, (m + 1) * sizeof *ids);
	if (enc == IP_PLAIN4 || enc == IP_PLAIN16) {
		if (vg_cur_bytes(c, m * w, &p))
			return BAD("addresses cut short");
		for (size_t k = 0; k <= m; k++)
			ids[k] = (uint32_t)k; /* its own dictionary */
	} else {
		if (vg_cur_uvarint(c, &nd) || nd > m || vg_cur_bytes(c, nd * w, &p))
			return BAD("bad address dictionary");
		if (get_ids(c, m, (uint32_t)nd, ids, err))
			return err->code;
		ids[m] = 0;
	}
	/* The dictionary in its 16-byte form, then one copy per value. */
	uint8_t(*dict)[16] = vg_arena_alloc(a, (nd + 1) * 16);
	for (size_t k = 0; k < nd; k++) {
		memcpy(dict[k], pre, 12);
		memcpy(dict[k] + 16 - w, p + k * w, w);
	}
	memset(dict[nd], 0, 16);
	if (idcol && enc >= IP_DICT4) {
		/* The ids placed like values (ids[m] is 0 for the walk's absent
		 * rows, as dict[nd] is), no address copied. */
		idcol->ipid = vg_arena_alloc(a, (idcol->n ? idcol->n : 1) * sizeof *idcol->ipid);
		place_u32(pl, idcol->ipid, ids, (uint32_t)m);
		idcol->ipdict = (const uint8_t(*)[16])dict;
		idcol->nipdict = (uint32_t)nd;
		return 0;
	}
	if (idcol)
		out = idcol->ip = vg_arena_alloc(a, (idcol->n ? idcol->n : 1) * (size_t)16);
	if (pl && pl->rows) {
		for (size_t k = 0; k < m; k++)
			memcpy(out[pl->rows[k]], dict[ids[k]], 16);
	} else if (pl && pl->bm) {
		WALK_BITMAP(pl, memcpy(out[r], dict[ids[at]], 16));
	} else {
		for (size_t k = 0; k < m; k++)
			memcpy(out[k], dict[ids[k]], 16);
	}
	return 0;
}

static int read_strs(vg_cur *c, size_t n, const char **strs, uint32_t *lens, vg_arena *a,
		     vg_err *err)
{
	uint64_t total = 0;
	for (size_t k = 0; k < n; k++) {
		uint64_t l;
		if (vg_cur_uvarint(c, &l) || l > MAX_CHUNK)
			return BAD("bad string length");
		lens[k] = (uint32_t)l;
		total += l;
	}
	const uint8_t *p;
	if (total > (uint64_t)(c->end - c->p) || vg_cur_bytes(c, total, &p))
		return BAD("strings cut short");
	/* Strings point into the decoded chunk (or the mapped file): no copy. */
	(void)a;
	for (size_t k = 0; k < n; k++) {
		strs[k] = (const char *)p;
		p += lens[k];
	}
	return 0;
}

/* STR values: fills the column's string table and returns per-value ids. */
static int dec_strs(vg_cur *c, size_t m, vg_col *col, uint32_t *ids, vg_arena *a, vg_err *err)
{
	uint8_t enc;
	if (vg_cur_u8(c, &enc) || enc > STR_DICT)
		return BAD("bad string encoding");
	uint64_t nd = m;
	if (enc == STR_DICT && (vg_cur_uvarint(c, &nd) || nd > m))
		return BAD("bad string dictionary");
	col->strs = vg_arena_alloc(a, (nd ? nd : 1) * sizeof *col->strs);
	col->slens = vg_arena_alloc(a, (nd ? nd : 1) * sizeof *col->slens);
	col->nstrs = (uint32_t)nd;
	col->str_dict = enc == STR_DICT;
	if (read_strs(c, nd, col->strs, col->slens, a, err))
		return err->code;
	if (enc == STR_DICT)
		return get_ids(c, m, (uint32_t)nd, ids, err);
	for (size_t k = 0; k < m; k++)
		ids[k] = (uint32_t)k;
	return 0;
}

/* The inverse of enc_strs_in_raw: every value becomes a per-row string. */
static int dec_strs_in_raw(vg_cur *c, uint32_t m, const uint32_t *trows, const vg_col *ref,
			   vg_col *col, vg_arena *a, vg_err *err)
{
	const uint8_t *marks;
	uint64_t nf, ne;
	if (vg_cur_bytes(c, ((size_t)m + 7) / 8, &marks) || vg_cur_uvarint(c, &nf) || nf > m)
		return BAD("bad string marks");
	int64_t *offs = vg_arena_alloc(a, (nf ? nf : 1) * sizeof *offs);
	uint64_t *lens = vg_arena_alloc(a, (nf ? nf : 1) * sizeof *lens);
	int64_t prev = 0;
	for (uint64_t k = 0; k < nf; k++) {
		int64_t d;
		if (vg_cur_svarint(c, &d))
			return BAD("string offsets cut short");
		prev = (int64_t)((uint64_t)prev + (uint64_t)d);
		offs[k] = prev;
	}
	for (uint64_t k = 0; k < nf; k++)
		if (vg_cur_uvarint(c, &lens[k]))
			return BAD("string lengths cut short");
	if (vg_cur_uvarint(c, &ne) || nf + ne != m)
		return BAD("string counts do not add up");
	vg_col exc;
	memset(&exc, 0, sizeof exc);
	uint32_t *eids = vg_arena_alloc(a, (ne ? ne : 1) * sizeof *eids);
	if (ne && dec_strs(c, ne, &exc, eids, a, err))
		return err->code;
	col->strs = vg_arena_alloc(a, (m ? m : 1) * sizeof *col->strs);
	col->slens = vg_arena_alloc(a, (m ? m : 1) * sizeof *col->slens);
	col->nstrs = m;
	col->str_dict = 0;
	uint64_t fi = 0, ei = 0;
	for (uint32_t k = 0; k < m; k++) {
		uint32_t r = trows[k];
		if (marks[k >> 3] & (1u << (k & 7))) {
			if (fi >= nf || ref->types[r] != VG_T_STR)
				return BAD("string refers to a row without raw text");
			const char *rs = ref->strs[ref->sid[r]];
			uint64_t rl = ref->slens[ref->sid[r]];
			if (offs[fi] < 0 || (uint64_t)offs[fi] > rl || lens[fi] > rl - (uint64_t)offs[fi])
				return BAD("string place outside the raw text");
			col->strs[k] = vg_arena_dup(a, rs + offs[fi], lens[fi]);
			col->slens[k] = (uint32_t)lens[fi];
			fi++;
		} else {
			if (ei >= ne)
				return BAD("too few unplaced strings");
			col->strs[k] = exc.strs[eids[ei]];
			col->slens[k] = exc.slens[eids[ei]];
			ei++;
		}
		col->sid[r] = k;
	}
	if (fi != nf || ei != ne)
		return BAD("string counts do not add up");
	return 0;
}

/* The rows whose bit is set in the presence bitmap bm of n rows, in order,
 * into rows; returns their count. A word of the bitmap at a time, a step
 * per present row. */
static uint32_t bitmap_rows(const uint8_t *bm, uint32_t n, uint32_t *rows)
{
	uint32_t np = 0, nbytes = (n + 7) / 8;
	for (uint32_t byte = 0; byte < nbytes; byte += 8) {
		uint64_t w = 0;
		uint32_t take = nbytes - byte < 8 ? nbytes - byte : 8;
		for (uint32_t k = 0; k < take; k++)
			w |= (uint64_t)bm[byte + k] << (8 * k);
		uint32_t base = byte * 8;
		if (n - base < 64)
			w &= (1ull << (n - base)) - 1; /* bits past the last row */
		while (w) {
			rows[np++] = base + (uint32_t)__builtin_ctzll(w);
			w &= w - 1;
		}
	}
	return np;
}

/* A list of the rows 0..m-1, for the decoders that take an explicit one. */
static uint32_t *all_rows(uint32_t m, vg_arena *a)
{
	uint32_t *rows = vg_arena_alloc(a, (m ? m : 1) * sizeof *rows);
	for (uint32_t k = 0; k < m; k++)
		rows[k] = k;
	return rows;
}

/* The m values of type t into the column, placed by pl (a reference needs
 * a row list or every row: see dec_payload); ip_ids: addresses as
 * dictionary ids (dec_ips), col->ip not allocated yet. */
static int dec_values(vg_cur *c, vg_col *col, uint8_t t, uint32_t m, const place *pl,
		      uint8_t flags, const vg_col *ref, int64_t div, int ip_ids, vg_arena *a,
		      vg_err *err)
{
	uint32_t n = col->n;
	const uint32_t *trows = pl->rows;
	int in_place = pl->rows == NULL && pl->bm == NULL; /* value k is row k */
	if (t == VG_T_INT) {
		int64_t *v = in_place ? col->i : vg_arena_alloc(a, (m + 1) * sizeof *v);
		if (dec_ints(c, m, v, err))
			return err->code;
		if (flags & F_REF) {
			for (uint32_t k = 0; k < m; k++) {
				uint32_t r = row_of(trows, k);
				col->i[r] = (int64_t)((uint64_t)v[k] + (uint64_t)(ref->i[r] / div));
			}
		} else if (!in_place) {
			v[m] = 0;
			place_i64(pl, col->i, v, m);
		}
	} else if (t == VG_T_STR && (flags & F_REF)) {
		if (dec_strs_in_raw(c, m, trows ? trows : all_rows(m, a), ref, col, a, err))
			return err->code;
	} else if (t == VG_T_IP && (flags & F_REF)) {
		const uint8_t *bm;
		uint64_t ne;
		if (vg_cur_bytes(c, ((size_t)m + 7) / 8, &bm) || vg_cur_uvarint(c, &ne) || ne > m)
			return BAD("bad address marks");
		uint8_t(*v)[16] = vg_arena_alloc(a, (ne ? ne : 1) * 16);
		if (ne && dec_ips(c, ne, v, NULL, NULL, a, err))
			return err->code;
		uint64_t j = 0;
		for (uint32_t k = 0; k < m; k++) {
			uint32_t r = row_of(trows, k);
			if (bm[k >> 3] & (1u << (k & 7))) {
				if (ref->types[r] != VG_T_IP)
					return BAD("reference column lacks an address");
				memcpy(col->ip[r], ref->ip[r], 16);
			} else {
				if (j >= ne)
					return BAD("too few differing addresses");
				memcpy(col->ip[r], v[j++], 16);
			}
		}
		if (j != ne)
			return BAD("too many differing addresses");
	} else if (t == VG_T_DBL) {
		const uint8_t *p;
		if (vg_cur_bytes(c, (size_t)m * 8, &p))
			return BAD("doubles cut short");
		const uint32_t *tr = trows;
		if (tr == NULL && pl->bm) {
			uint32_t *list = vg_arena_alloc(a, (m ? m : 1) * sizeof *list);
			bitmap_rows(pl->bm, n, list);
			tr = list;
		}
		for (uint32_t k = 0; k < m; k++)
			memcpy(&col->d[row_of(tr, k)], p + 8 * k, 8);
	} else if (t == VG_T_IP) {
		if (dec_ips(c, m, col->ip, pl, ip_ids ? col : NULL, a, err))
			return err->code;
	} else if (m == n && in_place) {
		/* Every row a string: ids land in place. */
		if (dec_strs(c, m, col, col->sid, a, err))
			return err->code;
	} else {
		uint32_t *ids = vg_arena_alloc(a, (m + 1) * sizeof *ids);
		if (dec_strs(c, m, col, ids, a, err))
			return err->code;
		ids[m] = 0;
		place_u32(pl, col->sid, ids, m);
	}
	return 0;
}

static int dec_payload(vg_cur *c, vg_col *col, const vg_col *ref, int ids, vg_arena *a,
		       vg_err *err)
{
	uint32_t n = col->n;
	uint8_t flags;
	if (vg_cur_u8(c, &flags))
		return BAD("empty");
	if ((flags & F_REF) && !(flags & F_SINGLE_TYPE))
		return BAD("reference on a mixed-type column");
	/* Rows present, in order: every row, or those of the bitmap. A
	 * single-type column without a reference walks the bitmap itself;
	 * the others get the list of present rows. */
	const uint8_t *bm = NULL;
	uint32_t *rows = NULL;
	uint32_t np = n;
	if (!(flags & F_ALL_PRESENT)) {
		if (vg_cur_bytes(c, (n + 7) / 8, &bm))
			return BAD("presence bitmap cut short");
		if ((flags & F_SINGLE_TYPE) && !(flags & F_REF)) {
			np = bitmap_count(bm, n);
		} else {
			rows = vg_arena_alloc(a, (n ? n : 1) * sizeof *rows);
			np = bitmap_rows(bm, n, rows);
			bm = NULL;
		}
	}
	uint64_t refcol = 0;
	int64_t div = 1;
	uint8_t have = 0;
	if (flags & F_SINGLE_TYPE) {
		uint8_t t;
		if (vg_cur_u8(c, &t) || t < VG_T_STR || t > VG_T_IP)
			return BAD("bad type");
		uint8_t *types = col->types;
		if (bm)
			bitmap_types(types, bm, n, t);
		else if (rows == NULL)
			memset(types, t, n);
		else
			for (uint32_t k = 0; k < np; k++)
				types[rows[k]] = t;
		if (flags & F_REF) {
			if (vg_cur_uvarint(c, &refcol) || vg_cur_svarint(c, &div) || div < 1)
				return BAD("bad reference");
			if (ref == NULL || ref->n != n)
				return BAD("reference column missing");
			for (uint32_t k = 0; k < np; k++)
				if (t == VG_T_INT && ref->types[row_of(rows, k)] != VG_T_INT)
					return BAD("reference column lacks a value");
		}
		if (np)
			have = (uint8_t)(1u << t);
	} else {
		const uint8_t *tp;
		if (vg_cur_bytes(c, np, &tp))
			return BAD("types cut short");
		for (uint32_t k = 0; k < np; k++) {
			if (tp[k] < VG_T_STR || tp[k] > VG_T_IP)
				return BAD("bad type");
			col->types[row_of(rows, k)] = tp[k];
			have |= (uint8_t)(1u << tp[k]);
		}
	}
	/* Per-row arrays only for the types present: a JSON block has
	 * hundreds of sparse columns, and allocating every array for each
	 * would be megabytes of page faults per block. */
	size_t nn = n ? n : 1;
	if (have & (1u << VG_T_INT))
		col->i = vg_arena_alloc(a, nn * sizeof *col->i);
	if (have & (1u << VG_T_DBL))
		col->d = vg_arena_alloc(a, nn * sizeof *col->d);
	/* Addresses as ids only in a column of nothing else. */
	ids = ids && (flags & F_SINGLE_TYPE) && !(flags & F_REF);
	if ((have & (1u << VG_T_IP)) && !ids)
		col->ip = vg_arena_alloc(a, nn * 16);
	if (have & (1u << VG_T_STR))
		col->sid = vg_arena_alloc(a, nn * sizeof *col->sid);
	uint32_t *trows = NULL;
	for (uint8_t t = VG_T_STR; t <= VG_T_IP; t++) {
		if (!(have & (1u << t)))
			continue;
		/* A single-type column's values are those of its present rows. */
		uint32_t m = np;
		place pl = {rows, bm, n};
		if (!(flags & F_SINGLE_TYPE)) {
			if (trows == NULL)
				trows = vg_arena_alloc(a, (np ? np : 1) * sizeof *trows);
			m = 0;
			for (uint32_t k = 0; k < np; k++)
				if (col->types[row_of(rows, k)] == t)
					trows[m++] = row_of(rows, k);
			pl.rows = trows;
		}
		uint64_t cnt;
		if (vg_cur_uvarint(c, &cnt) || cnt != m)
			return BAD("value count does not match types");
		int rc = dec_values(c, col, t, m, &pl, flags, ref, div, ids, a, err);
		if (rc)
			return rc;
	}
	if (c->p != c->end)
		return BAD("trailing bytes");
	return 0;
}

static int decode(const uint8_t *p, size_t len, uint32_t nrows, const vg_col *ref, int ids,
		  vg_arena *a, vg_col *col, vg_err *err)
{
	vg_cur c = {p, p + len};
	uint8_t codec;
	uint64_t rawlen;
	if (vg_cur_u8(&c, &codec) || vg_cur_uvarint(&c, &rawlen) || rawlen > MAX_CHUNK)
		return BAD("bad header");
	const uint8_t *raw = c.p;
	if (codec == CODEC_ZSTD) {
		uint8_t *dst = vg_arena_alloc(a, rawlen ? rawlen : 1);
		if (tl_dctx == NULL)
			tl_dctx = ZSTD_createDCtx();
		size_t z = ZSTD_decompressDCtx(tl_dctx, dst, rawlen, c.p, (size_t)(c.end - c.p));
		if (ZSTD_isError(z) || z != rawlen)
			return BAD("zstd frame does not decompress");
		raw = dst;
	} else if (codec != CODEC_RAW || (uint64_t)(c.end - c.p) != rawlen) {
		return BAD("bad codec");
	}
	memset(col, 0, sizeof *col);
	col->n = nrows;
	size_t n = nrows ? nrows : 1;
	col->types = vg_arena_alloc(a, n);
	memset(col->types, 0, n);
	vg_cur pc = {raw, raw + rawlen};
	return dec_payload(&pc, col, ref, ids, a, err);
}

int vg_col_decode(const uint8_t *p, size_t len, uint32_t nrows, const vg_col *ref, vg_arena *a,
		  vg_col *col, vg_err *err)
{
	return decode(p, len, nrows, ref, 0, a, col, err);
}

int vg_col_decode_ids(const uint8_t *p, size_t len, uint32_t nrows, vg_arena *a, vg_col *col,
		      vg_err *err)
{
	return decode(p, len, nrows, NULL, 1, a, col, err);
}
