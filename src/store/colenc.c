#include "store/colenc.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "store/bloom.h"
#include "util/ip.h"
#include "util/strtab.h"

#define MAX_CHUNK (256u << 20)   /* largest decoded chunk we accept */

enum { F_ALL_PRESENT = 1, F_SINGLE_TYPE = 2, F_REF = 4 };
enum { INT_FOR = 0, INT_DELTA = 1, INT_PLANES = 2 };
enum { IP_PLAIN4 = 0, IP_PLAIN16 = 1, IP_DICT4 = 2, IP_DICT16 = 3 };
enum { STR_PLAIN = 0, STR_DICT = 1 };
enum { CODEC_RAW = 0, CODEC_ZSTD = 1 };

/* Per-thread scratch: encoders run in parallel sealing threads. */
static __thread ZSTD_CCtx *tl_cctx;
static __thread ZSTD_DCtx *tl_dctx;
static __thread vg_buf tl_raw;
static __thread uint64_t *tl_uf, *tl_ud;   /* enc_ints scratch */
/* Places in the payload being built where a new zstd frame starts. */
#define MAX_CUTS 64
static __thread size_t tl_cut[MAX_CUTS];
static __thread vg_buf tl_trial;          /* planes_smaller's output */
static __thread unsigned tl_ncut;

/* Start a new zstd frame at the payload's current end (see
 * vg_col_encode_vals). */
static void cut_here(const vg_buf *b)
{
	if (tl_ncut < MAX_CUTS && b->len > 0)
		tl_cut[tl_ncut++] = b->len;
}
static __thread size_t tl_ucap;

static inline int ip16_eq(const uint8_t *a, const uint8_t *b)
{
	uint64_t a0, a1, b0, b1;
	memcpy(&a0, a, 8);
	memcpy(&a1, a + 8, 8);
	memcpy(&b0, b, 8);
	memcpy(&b1, b + 8, 8);
	return a0 == b0 && a1 == b1;
}

static inline unsigned uvarint_len(uint64_t v)
{
	/* 7 bits a byte: ceil(significant bits / 7), at least 1. */
	return (unsigned)(64 - __builtin_clzll(v | 1) + 6) / 7;
}

static uint64_t zz(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzz(uint64_t u)
{
	return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static uint64_t gcd64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

static uint64_t abs64(int64_t v)
{
	return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

void vg_col_thread_done(void)
{
	ZSTD_freeCCtx(tl_cctx);
	ZSTD_freeDCtx(tl_dctx);
	tl_cctx = NULL;
	tl_dctx = NULL;
	vg_buf_free(&tl_raw);
	vg_buf_free(&tl_trial);
	free(tl_uf);
	free(tl_ud);
	tl_uf = tl_ud = NULL;
	tl_ucap = 0;
}

double vg_int_cost(const int64_t *v, size_t n)
{
	/* The cheaper of frame-of-reference and delta, as enc_ints chooses. */
	if (n == 0)
		return 0;
	int64_t mn = v[0];
	for (size_t k = 1; k < n; k++)
		if (v[k] < mn)
			mn = v[k];
	/* In eighths of a byte, as integers: the same sums as in doubles
	 * (they are exact there too), without a conversion per value. */
	uint64_t cf = 0, cd = 0;
	for (size_t k = 0; k < n; k++) {
		uint64_t u = (uint64_t)v[k] - (uint64_t)mn;
		cf += u ? 8 * uvarint_len(u) : 1;
		if (k) {
			uint64_t d = zz((int64_t)((uint64_t)v[k] - (uint64_t)v[k - 1]));
			cd += d ? 8 * uvarint_len(d) : 1;
		}
	}
	return (double)(cf < cd ? cf : cd) / 8.0;
}

/* INT values: pick FOR or DELTA by encoded size, both over the common
 * divisor of the differences. */
/* Append n uvarints to b without a bounds check per value. */
static void put_uvarints(vg_buf *b, const uint64_t *u, size_t n)
{
	vg_buf_reserve(b, n * 10);
	uint8_t *p = b->p + b->len;
	for (size_t k = 0; k < n; k++) {
		uint64_t v = u[k];
		while (v >= 0x80) {
			*p++ = (uint8_t)(v | 0x80);
			v >>= 7;
		}
		*p++ = (uint8_t)v;
	}
	b->len = (size_t)(p - b->p);
}

/* INT values: pick FOR or DELTA by encoded size, both over the common
 * divisor of the differences. */
/* zstd's size for p[0..n) at its fastest level: a trial, not output. */
static size_t trial_size(const uint8_t *p, size_t n)
{
	if (tl_cctx == NULL)
		tl_cctx = ZSTD_createCCtx();
	vg_buf_clear(&tl_trial);
	vg_buf_reserve(&tl_trial, ZSTD_compressBound(n));
	size_t z = ZSTD_compressCCtx(tl_cctx, tl_trial.p, tl_trial.cap, p, n, 1);
	return ZSTD_isError(z) ? n : z;
}

/* 1 if the n values uf in `width` byte planes (a frame each) compress
 * smaller than their varint form vp[0..vn), by a trial compression of
 * both: which wins depends on the values' order and spread in ways no
 * cheap estimate follows (service ports repeat, byte counts do not). */
static int planes_smaller(const uint8_t *vp, size_t vn, const uint64_t *uf, size_t n,
			  unsigned width)
{
	size_t vz = trial_size(vp, vn), pz = 0;
	uint8_t *plane = vg_xmalloc(n);
	for (unsigned k = 0; k < width && pz < vz; k++) {
		for (size_t j = 0; j < n; j++)
			plane[j] = (uint8_t)(uf[j] >> (8 * k));
		pz += trial_size(plane, n);
	}
	free(plane);
	return (double)pz < 0.97 * (double)vz;
}

/* Scratch of at least n words each, kept by the thread. */
static void int_scratch(size_t n, uint64_t **uf, uint64_t **ud)
{
	if (n > tl_ucap) {
		free(tl_uf);
		free(tl_ud);
		tl_ucap = n;
		tl_uf = vg_xmalloc(n * sizeof *tl_uf);
		tl_ud = vg_xmalloc(n * sizeof *tl_ud);
	}
	*uf = tl_uf;
	*ud = tl_ud;
}

static void enc_ints(const int64_t *v, size_t n, vg_buf *b, vg_colstat *st, uint8_t *hint)
{
	int64_t mn = v[0], mx = v[0];
	for (size_t k = 1; k < n; k++) {
		mn = v[k] < mn ? v[k] : mn;
		mx = v[k] > mx ? v[k] : mx;
	}
	uint64_t *uf, *ud;
	int_scratch(n, &uf, &ud);
	uint64_t gf = 0, gd = 0;
	/* One pass: the frame-of-reference and delta forms, their common
	 * divisors (most columns reach 1 within a few values), and their
	 * sizes as they would be with divisor 1, the usual case. */
	size_t sf = 0, sd = 0;
	ud[0] = 0;
	uf[0] = (uint64_t)v[0] - (uint64_t)mn;
	gf = uf[0];
	sf = uvarint_len(uf[0]);
	for (size_t k = 1; k < n; k++) {
		uint64_t u = (uint64_t)v[k] - (uint64_t)mn;
		uint64_t d = (uint64_t)v[k] - (uint64_t)v[k - 1];
		uf[k] = u;
		if (gf != 1)
			gf = gcd64(gf, u);
		if (gd != 1)
			gd = gcd64(gd, abs64((int64_t)d));
		ud[k] = zz((int64_t)d);
		sf += uvarint_len(u);
		sd += uvarint_len(ud[k]);
	}
	if (gf == 0)
		gf = 1;
	if (gd == 0)
		gd = 1;
	if (gf != 1) {
		sf = 0;
		for (size_t k = 0; k < n; k++) {
			uf[k] /= gf;
			sf += uvarint_len(uf[k]);
		}
	}
	int delta_ok = gd <= INT64_MAX;
	if (gd != 1) {
		sd = 0;
		for (size_t k = 1; k < n; k++) {
			int64_t d = (int64_t)((uint64_t)v[k] - (uint64_t)v[k - 1]);
			ud[k] = zz(d / (int64_t)gd);
			sd += uvarint_len(ud[k]);
		}
	}
	if (!delta_ok)
		sd = SIZE_MAX;
	st->imin = mn;
	st->imax = mx;
	unsigned width = 0;
	for (uint64_t top = ((uint64_t)mx - (uint64_t)mn) / gf; top; top >>= 8)
		width++;
	/* The smaller of frame-of-reference and delta varints; then byte
	 * planes instead when they should compress better. Wide values of no
	 * order (ports, byte counts) have a low byte of every value alike and
	 * high bytes nearly constant: planes give each its own statistics,
	 * which zstd's entropy coder (a frame per plane, see
	 * vg_col_encode_vals) models far better than varints whose
	 * continuation bits mix every byte. Judged by the order-0 entropy of
	 * the bytes, what that coder achieves; varints that repeat (deltas of
	 * sorted values) estimate near nothing and keep winning. */
	size_t at = b->len;
	if (sf <= sd) {
		vg_buf_putc(b, INT_FOR);
		vg_buf_svarint(b, mn);
		vg_buf_uvarint(b, gf);
		put_uvarints(b, uf, n);
	} else {
		vg_buf_putc(b, INT_DELTA);
		vg_buf_svarint(b, v[0]);
		vg_buf_uvarint(b, gd);
		put_uvarints(b, ud + 1, n - 1);
	}
	if (width < 2 || n < 64 || (size_t)width * n > 3 * (b->len - at))
		return;
	if (hint == NULL || *hint == 0) {
		int planes = planes_smaller(b->p + at, b->len - at, uf, n, width);
		if (hint)
			*hint = (uint8_t)(planes ? 2 : 1);
		if (!planes)
			return;
	} else if (*hint != 2) {
		return;
	}
	b->len = at;
	vg_buf_putc(b, INT_PLANES);
	vg_buf_svarint(b, mn);
	vg_buf_uvarint(b, gf);
	vg_buf_putc(b, (uint8_t)width);
	vg_buf_reserve(b, (size_t)width * n);
	for (unsigned k = 0; k < width; k++) {
		cut_here(b);
		uint8_t *p = b->p + b->len;
		for (size_t j = 0; j < n; j++)
			*p++ = (uint8_t)(uf[j] >> (8 * k));
		b->len += n;
	}
}

static void put_ids(vg_buf *b, const uint32_t *ids, size_t n, uint32_t ndict)
{
	unsigned w = ndict <= 256 ? 1 : ndict <= 65536 ? 2 : 4;
	vg_buf_putc(b, (uint8_t)w);
	vg_buf_reserve(b, n * w);
	for (size_t k = 0; k < n; k++) {
		uint32_t id = ids[k];
		memcpy(b->p + b->len, &id, w); /* little-endian host */
		b->len += w;
	}
}

/* Renumber the dictionary ids ids[0..n) (of a dictionary of nd entries) in
 * order of first use, as the format numbers a chunk's dictionary: out[k]
 * is the new id of value k, used[i] the old id of new id i. Returns the
 * number of entries used. */
static uint32_t renumber(const uint64_t *ids, size_t n, uint32_t nd, uint32_t *out,
			 uint32_t *used)
{
	uint32_t *remap = vg_xcalloc(nd ? nd : 1, sizeof *remap);
	uint32_t m = 0;
	for (size_t k = 0; k < n; k++) {
		uint32_t o = (uint32_t)ids[k], r = remap[o];
		if (r == 0) {
			used[m] = o;
			r = remap[o] = ++m;
		}
		out[k] = r - 1;
	}
	free(remap);
	return m;
}

/* IP values (dictionary ids into ips) in the IP encoding. */
static void enc_ips(const uint64_t *ids, size_t n, const uint8_t (*ips)[16], uint32_t nips,
		    vg_buf *b, vg_colstat *st, vg_tokset *toks)
{
	uint32_t *nid = vg_xmalloc((n ? n : 1) * sizeof *nid);
	uint32_t *used = vg_xmalloc((n ? n : 1) * sizeof *used);
	uint32_t nd = renumber(ids, n, nips, nid, used);
	int all4 = 1;
	for (uint32_t k = 0; k < nd; k++)
		all4 &= vg_ip_is4(ips[used[k]]);
	if (toks) {
		for (uint32_t k = 0; k < nd; k++) {
			char text[64];
			size_t tl = vg_ip_format(ips[used[k]], text);
			vg_tokset_add(toks, vg_token_hash(text, tl));
		}
	}
	unsigned w = all4 ? 4 : 16;
	st->ndistinct = nd;
	size_t idw = nd <= 256 ? 1 : nd <= 65536 ? 2 : 4;
	if ((size_t)nd * w + n * idw < n * w) {
		vg_buf_putc(b, all4 ? IP_DICT4 : IP_DICT16);
		vg_buf_uvarint(b, nd);
		for (size_t k = 0; k < nd; k++)
			vg_buf_put(b, ips[used[k]] + 16 - w, w);
		put_ids(b, nid, n, nd);
	} else {
		vg_buf_putc(b, all4 ? IP_PLAIN4 : IP_PLAIN16);
		vg_buf_reserve(b, n * w);
		for (size_t k = 0; k < n; k++)
			vg_buf_put(b, ips[ids[k]] + 16 - w, w);
	}
	free(nid);
	free(used);
}

/* STR values (dictionary ids into strs/slens; raw_off per value or NULL)
 * in the STR encoding: a dictionary when that is smaller. */
static void enc_strs(const uint64_t *ids, const uint32_t *raw_off, size_t n,
		     const char *const *strs, const uint32_t *slens, uint32_t nstrs, vg_buf *b,
		     vg_colstat *st, vg_tokset *toks)
{
	uint32_t *nid = vg_xmalloc((n ? n : 1) * sizeof *nid);
	uint32_t *used = vg_xmalloc((n ? n : 1) * sizeof *used);
	uint32_t nd = renumber(ids, n, nstrs, nid, used);
	size_t plain = 0;
	for (size_t k = 0; k < n; k++) {
		uint32_t len = slens[ids[k]];
		plain += len + uvarint_len(len);
	}
	/* A value that stands verbatim in a stored raw text (raw_off) already
	 * gave its tokens with that text: only the others are tokenized. */
	if (toks) {
		uint8_t *verbatim = vg_xcalloc(nd ? nd : 1, 1);
		for (size_t k = 0; raw_off && k < n; k++)
			if (raw_off[k])
				verbatim[nid[k]] = 1;
		for (uint32_t k = 0; k < nd; k++)
			if (!verbatim[k])
				vg_tokset_add_text(toks, strs[used[k]], slens[used[k]]);
		free(verbatim);
	}
	size_t dict = 0;
	for (uint32_t k = 0; k < nd; k++)
		dict += slens[used[k]] + uvarint_len(slens[used[k]]);
	dict += n * (nd <= 256 ? 1 : nd <= 65536 ? 2 : 4);
	st->ndistinct = nd;
	if (dict < plain) {
		vg_buf_putc(b, STR_DICT);
		vg_buf_uvarint(b, nd);
		for (uint32_t k = 0; k < nd; k++)
			vg_buf_uvarint(b, slens[used[k]]);
		for (uint32_t k = 0; k < nd; k++)
			vg_buf_put(b, strs[used[k]], slens[used[k]]);
		put_ids(b, nid, n, nd);
	} else {
		vg_buf_putc(b, STR_PLAIN);
		for (size_t k = 0; k < n; k++)
			vg_buf_uvarint(b, slens[ids[k]]);
		for (size_t k = 0; k < n; k++)
			vg_buf_put(b, strs[ids[k]], slens[ids[k]]);
	}
	free(nid);
	free(used);
}

/* STR values (ids; rows[k] their rows, raw_off per value or NULL) found
 * inside their row's raw text: marks (found or not), the found ones'
 * offsets (as deltas) and lengths, then the others encoded as ordinary
 * strings. Tokens of found values are already in the filter, from the raw
 * text. */
static void enc_strs_in_raw(const vg_colvals *in, const uint64_t *ids, const uint32_t *rows,
			    const uint32_t *raw_off, size_t m, vg_buf *b, vg_colstat *st,
			    vg_tokset *toks)
{
	const vg_colref *ref = in->ref;
	size_t nb = (m + 7) / 8, nf = 0, ne = 0;
	uint8_t *marks = vg_xcalloc(nb ? nb : 1, 1);
	int64_t *offs = vg_xmalloc((m ? m : 1) * sizeof *offs);
	uint32_t *flen = vg_xmalloc((m ? m : 1) * sizeof *flen);
	uint64_t *exc = vg_xmalloc((m ? m : 1) * sizeof *exc);
	uint32_t *exro = vg_xmalloc((m ? m : 1) * sizeof *exro);
	for (size_t k = 0; k < m; k++) {
		uint32_t r = rows[k];
		const char *raw = ref->raw[r];
		const char *s = in->strs[ids[k]];
		uint32_t len = in->slens[ids[k]], ro = raw_off ? raw_off[k] : 0;
		const char *p = NULL;
		if (raw && ro && ro - 1 + (size_t)len <= ref->rawlen[r])
			p = raw + ro - 1; /* the batch knows where it stands */
		else if (raw && len)
			p = memmem(raw, ref->rawlen[r], s, len);
		if (p) {
			marks[k >> 3] |= (uint8_t)(1u << (k & 7));
			offs[nf] = p - raw;
			flen[nf++] = len;
		} else {
			exro[ne] = ro;
			exc[ne++] = ids[k];
		}
	}
	vg_buf_put(b, marks, nb);
	vg_buf_uvarint(b, nf);
	int64_t prev = 0;
	for (size_t k = 0; k < nf; k++) {
		vg_buf_svarint(b, offs[k] - prev);
		prev = offs[k];
	}
	for (size_t k = 0; k < nf; k++)
		vg_buf_uvarint(b, flen[k]);
	vg_buf_uvarint(b, ne);
	if (ne)
		enc_strs(exc, exro, ne, in->strs, in->slens, in->nstrs, b, st, toks);
	st->ndistinct = 0; /* not counted */
	free(marks);
	free(offs);
	free(flen);
	free(exc);
	free(exro);
}

/* Smallest and largest of the addresses ids[0..m) name, compared as 16
 * network-order bytes. */
static void ip_range(const uint64_t *ids, size_t m, const uint8_t (*ips)[16], vg_colstat *st)
{
	const uint8_t *lo = ips[ids[0]], *hi = ips[ids[0]];
	for (size_t k = 1; k < m; k++) {
		if (ids[k] == ids[k - 1])
			continue;
		const uint8_t *ip = ips[ids[k]];
		if (memcmp(ip, lo, 16) < 0)
			lo = ip;
		else if (memcmp(ip, hi, 16) > 0)
			hi = ip;
	}
	memcpy(st->ipmin, lo, 16);
	memcpy(st->ipmax, hi, 16);
}

static inline uint8_t type_of(const vg_colvals *in, size_t k)
{
	return in->types ? in->types[k] : in->type;
}

static inline uint32_t row_at(const vg_colvals *in, size_t k)
{
	return in->rows ? in->rows[k] : (uint32_t)k;
}

/* INT values v[0..m) (rows[k] their rows), relative to the reference when
 * there is one. */
static void enc_int_vals(const vg_colvals *in, int64_t *v, const uint32_t *rows, size_t m,
			 vg_buf *b, vg_colstat *st)
{
	const vg_colref *ref = in->ref;
	if (!ref) {
		enc_ints(v, m, b, st, in->int_hint);
		return;
	}
	/* Stored as the difference from the reference. The statistics stay
	 * those of the real values. */
	int64_t mn = v[0], mx = v[0];
	for (size_t k = 0; k < m; k++) {
		uint32_t r = rows[k];
		mn = v[k] < mn ? v[k] : mn;
		mx = v[k] > mx ? v[k] : mx;
		v[k] = (int64_t)((uint64_t)v[k] - (uint64_t)(ref->i[r] / ref->div));
	}
	enc_ints(v, m, b, st, in->int_hint);
	st->imin = mn;
	st->imax = mx;
}

/* IP values against the reference: a mark per value (same as the
 * reference's address in its row), then the values that differ. */
static void enc_ips_in_ref(const vg_colvals *in, uint64_t *ids, const uint32_t *rows, size_t m,
			   vg_buf *b, vg_colstat *st, vg_tokset *toks)
{
	size_t nb = (m + 7) / 8, ne = 0;
	vg_buf_reserve(b, nb);
	uint8_t *bm = b->p + b->len;
	memset(bm, 0, nb);
	for (size_t k = 0; k < m; k++) {
		if (ip16_eq(in->ips[ids[k]], in->ref->ip[rows[k]]))
			bm[k >> 3] |= (uint8_t)(1u << (k & 7));
		else
			ids[ne++] = ids[k];
	}
	b->len += nb;
	vg_buf_uvarint(b, ne);
	if (ne)
		enc_ips(ids, ne, in->ips, in->nips, b, st, toks);
}

static void enc_payload(const vg_colvals *in, vg_buf *b, vg_colstat *st, vg_tokset *toks)
{
	uint8_t types = 0;
	if (in->types) {
		for (uint32_t k = 0; k < in->n; k++)
			types |= (uint8_t)(1u << in->types[k]);
	} else if (in->n) {
		types = (uint8_t)(1u << in->type);
	}
	int all = in->n == in->nrows;
	int single = (types & (types - 1)) == 0;
	st->types = types;
	st->npresent = in->n;
	size_t flags_at = b->len;
	vg_buf_putc(b, (uint8_t)((all ? F_ALL_PRESENT : 0) | (single ? F_SINGLE_TYPE : 0)));
	if (!all) {
		size_t nb = (in->nrows + 7) / 8;
		vg_buf_reserve(b, nb);
		uint8_t *bm = b->p + b->len;
		memset(bm, 0, nb);
		for (uint32_t k = 0; k < in->n; k++) {
			uint32_t r = row_at(in, k);
			bm[r >> 3] |= (uint8_t)(1u << (r & 7));
		}
		b->len += nb;
	}
	const vg_colref *ref = single ? in->ref : NULL;
	if (single) {
		vg_buf_putc(b, (uint8_t)__builtin_ctz(types));
		if (ref) {
			b->p[flags_at] |= F_REF;
			vg_buf_uvarint(b, ref->col);
			vg_buf_svarint(b, ref->div);
		}
	} else {
		for (uint32_t k = 0; k < in->n; k++)
			vg_buf_putc(b, type_of(in, k));
	}
	vg_colvals one = *in;
	one.ref = ref;
	size_t cap = in->n ? in->n : 1;
	uint64_t *tv = vg_xmalloc(cap * sizeof *tv);
	uint32_t *trow = vg_xmalloc(cap * sizeof *trow);
	uint32_t *tro = in->raw_off ? vg_xmalloc(cap * sizeof *tro) : NULL;
	for (uint8_t t = VG_T_STR; t <= VG_T_IP; t++) {
		if (!(types & (1u << t)))
			continue;
		/* The values of type t, in row order. */
		size_t m = 0;
		for (uint32_t k = 0; k < in->n; k++) {
			if (type_of(in, k) != t)
				continue;
			tv[m] = in->v[k];
			trow[m] = row_at(in, k);
			if (tro)
				tro[m] = in->raw_off[k];
			m++;
		}
		if (t == VG_T_IP)
			ip_range(tv, m, in->ips, st);
		vg_buf_uvarint(b, m);
		if (t == VG_T_INT)
			enc_int_vals(&one, (int64_t *)tv, trow, m, b, st);
		else if (t == VG_T_DBL)
			for (size_t k = 0; k < m; k++)
				vg_buf_put(b, &tv[k], 8);
		else if (t == VG_T_IP && ref)
			enc_ips_in_ref(&one, tv, trow, m, b, st, toks);
		else if (t == VG_T_IP)
			enc_ips(tv, m, in->ips, in->nips, b, st, toks);
		else if (ref)
			enc_strs_in_raw(&one, tv, trow, tro, m, b, st, toks);
		else
			enc_strs(tv, tro, m, in->strs, in->slens, in->nstrs, b, st, toks);
	}
	free(tv);
	free(trow);
	free(tro);
}

int vg_col_encode_vals(const vg_colvals *in, int zlevel, vg_buf *out, vg_colstat *st,
		       vg_tokset *toks, vg_err *err)
{
	memset(st, 0, sizeof *st);
	vg_buf *raw = &tl_raw;
	vg_buf_clear(raw);
	tl_ncut = 0;
	enc_payload(in, raw, st, toks);
	if (tl_cctx == NULL)
		tl_cctx = ZSTD_createCCtx();
	/* One zstd frame per part the encoder marked (the byte planes of
	 * integers): each gets its own entropy tables, where one frame would
	 * code a low byte plane (every value alike) and a high one (nearly
	 * constant) with one table for both. */
	size_t bound = ZSTD_compressBound(raw->len) + (tl_ncut + 1) * 32;
	vg_buf_reserve(out, bound + 16);
	size_t hdr = out->len;
	vg_buf_putc(out, CODEC_ZSTD);
	vg_buf_uvarint(out, raw->len);
	size_t z = 0, from = 0;
	for (unsigned k = 0; k <= tl_ncut; k++) {
		size_t to = k < tl_ncut ? tl_cut[k] : raw->len;
		if (to <= from)
			continue;
		size_t fz = ZSTD_compressCCtx(tl_cctx, out->p + out->len + z, bound - z,
					      raw->p + from, to - from, zlevel);
		if (ZSTD_isError(fz))
			return vg_seterr(err, VG_EIO, -1, "zstd: %s", ZSTD_getErrorName(fz));
		z += fz;
		from = to;
	}
	if (z >= raw->len) {
		/* Incompressible: store as it is. */
		out->len = hdr;
		vg_buf_putc(out, CODEC_RAW);
		vg_buf_uvarint(out, raw->len);
		vg_buf_put(out, raw->p, raw->len);
	} else {
		out->len += z;
	}
	return 0;
}

int vg_col_encode(const vg_colin *in, int zlevel, vg_buf *out, vg_colstat *st, vg_tokset *toks,
		  vg_err *err)
{
	/* The compact form, with dictionaries of the distinct strings and
	 * addresses (interned by content, as the encoder requires). */
	size_t cap = in->n ? in->n : 1;
	uint64_t *v = vg_xmalloc(cap * sizeof *v);
	uint8_t *types = vg_xmalloc(cap);
	uint32_t *raw_off = vg_xcalloc(cap, sizeof *raw_off);
	vg_strtab sd = {0}, ipd = {0};
	for (uint32_t k = 0; k < in->n; k++) {
		const vg_field *f = &in->vals[k];
		types[k] = f->type;
		switch (f->type) {
		case VG_T_STR:
			v[k] = vg_strtab_intern(&sd, f->v.s, f->len);
			raw_off[k] = f->raw_off;
			break;
		case VG_T_IP:
			v[k] = vg_strtab_intern(&ipd, (const char *)f->v.ip, 16);
			break;
		case VG_T_DBL:
			memcpy(&v[k], &f->v.d, 8);
			break;
		default:
			v[k] = (uint64_t)f->v.i;
			break;
		}
	}
	uint8_t (*ips)[16] = vg_xmalloc((ipd.n ? ipd.n : 1) * sizeof *ips);
	for (size_t k = 0; k < ipd.n; k++)
		memcpy(ips[k], ipd.str[k], 16);
	vg_colvals cv = {
		.nrows = in->nrows, .n = in->n, .rows = in->rows, .types = types, .v = v,
		.raw_off = raw_off, .strs = sd.str, .slens = sd.lens, .nstrs = (uint32_t)sd.n,
		.ips = (const uint8_t(*)[16])ips, .nips = (uint32_t)ipd.n, .ref = in->ref,
	};
	int rc = vg_col_encode_vals(&cv, zlevel, out, st, toks, err);
	free(v);
	free(types);
	free(raw_off);
	free(ips);
	vg_strtab_free(&sd);
	vg_strtab_free(&ipd);
	return rc;
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
	uint64_t r = p[0];
	if (r < 0x80) {
		*pp = p + 1;
		*v = r;
		return 0;
	}
	r &= 0x7f;
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

static int get_ids(vg_cur *c, size_t n, uint32_t ndict, uint32_t *ids, vg_err *err)
{
	uint8_t w;
	const uint8_t *p;
	if (vg_cur_u8(c, &w) || (w != 1 && w != 2 && w != 4) || vg_cur_bytes(c, n * w, &p))
		return BAD("bad id array");
	/* One loop per width, so that each vectorizes; the range check is a
	 * maximum taken on the way. */
	uint32_t top = 0;
	if (w == 1) {
		for (size_t k = 0; k < n; k++) {
			ids[k] = p[k];
			top = ids[k] > top ? ids[k] : top;
		}
	} else if (w == 2) {
		for (size_t k = 0; k < n; k++) {
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
		/* Plane by plane: each loop runs over contiguous bytes. */
		uint64_t *x = (uint64_t *)v;
		for (size_t k = 0; k < m; k++)
			x[k] = p[k];
		for (unsigned j = 1; j < width; j++)
			for (size_t k = 0; k < m; k++)
				x[k] |= (uint64_t)p[j * m + k] << (8 * j);
		for (size_t k = 0; k < m; k++)
			v[k] = (int64_t)((uint64_t)base + x[k] * g);
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
 * one too, which nobody reads as its type is 0 — so value arrays walked
 * this way have one spare entry); or, with neither, to row k. */
typedef struct place {
	const uint32_t *rows;
	const uint8_t *bm;
	uint32_t n;
} place;

static inline uint32_t bit_of(const uint8_t *bm, uint32_t r)
{
	return (bm[r >> 3] >> (r & 7)) & 1u;
}

/* The number of bits set in the first n bits of bm. */
static uint32_t bitmap_count(const uint8_t *bm, uint32_t n)
{
	uint32_t cnt = 0, full = n / 8;
	for (uint32_t k = 0; k < full; k++) {
		/* Bits of a byte, without relying on a popcount instruction. */
		uint32_t x = bm[k];
		x = x - ((x >> 1) & 0x55);
		x = (x & 0x33) + ((x >> 2) & 0x33);
		cnt += (x + (x >> 4)) & 0x0f;
	}
	for (uint32_t r = full * 8; r < n; r++)
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

/* Run STMT for each row r of pl's bitmap walk, cnt the present rows
 * before r: a byte of the bitmap at a time. */
#define WALK_BITMAP(pl, STMT)                                                  \
	do {                                                                   \
		uint32_t cnt = 0, full_ = (pl)->n / 8, r;                      \
		for (uint32_t byte_ = 0; byte_ < full_; byte_++) {             \
			uint32_t bits_ = (pl)->bm[byte_];                      \
			for (unsigned j_ = 0; j_ < 8; j_++) {                  \
				r = byte_ * 8 + j_;                            \
				STMT;                                          \
				cnt += (bits_ >> j_) & 1u;                     \
			}                                                      \
		}                                                              \
		for (r = full_ * 8; r < (pl)->n; r++) {                        \
			STMT;                                                  \
			cnt += bit_of((pl)->bm, r);                            \
		}                                                              \
	} while (0)

static void place_i64(const place *pl, int64_t *out, const int64_t *v, uint32_t m)
{
	if (pl->rows) {
		for (uint32_t k = 0; k < m; k++)
			out[pl->rows[k]] = v[k];
	} else if (pl->bm) {
		WALK_BITMAP(pl, out[r] = v[cnt]);
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
		WALK_BITMAP(pl, out[r] = v[cnt]);
	} else if (out != v) {
		memcpy(out, v, (size_t)m * sizeof *v);
	}
}

/* m addresses into out, placed by pl. */
static int dec_ips(vg_cur *c, size_t m, uint8_t (*out)[16], const place *pl, vg_arena *a,
		   vg_err *err)
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
	if (pl && pl->rows) {
		for (size_t k = 0; k < m; k++)
			memcpy(out[pl->rows[k]], dict[ids[k]], 16);
	} else if (pl && pl->bm) {
		WALK_BITMAP(pl, memcpy(out[r], dict[ids[cnt]], 16));
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
 * a row list or every row: see dec_payload). */
static int dec_values(vg_cur *c, vg_col *col, uint8_t t, uint32_t m, const place *pl,
		      uint8_t flags, const vg_col *ref, int64_t div, vg_arena *a, vg_err *err)
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
		if (ne && dec_ips(c, ne, v, NULL, a, err))
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
		if (dec_ips(c, m, col->ip, pl, a, err))
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

static int dec_payload(vg_cur *c, vg_col *col, const vg_col *ref, vg_arena *a, vg_err *err)
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
	if (have & (1u << VG_T_IP))
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
		int rc = dec_values(c, col, t, m, &pl, flags, ref, div, a, err);
		if (rc)
			return rc;
	}
	if (c->p != c->end)
		return BAD("trailing bytes");
	return 0;
}

int vg_col_decode(const uint8_t *p, size_t len, uint32_t nrows, const vg_col *ref, vg_arena *a,
		  vg_col *col, vg_err *err)
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
	return dec_payload(&pc, col, ref, a, err);
}
