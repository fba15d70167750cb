#include "store/colenc.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "store/bloom.h"
#include "store/colenc_int.h"
#include "util/ip.h"
#include "util/strtab.h"


/* Per-thread scratch: encoders run in parallel sealing threads. */
static __thread ZSTD_CCtx *tl_cctx;
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

static inline unsigned uvarint_len(uint64_t v)
{
	/* 7 bits a byte: ceil(significant bits / 7), at least 1. */
	return (unsigned)(64 - __builtin_clzll(v | 1) + 6) / 7;
}

static uint64_t zz(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
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
	tl_cctx = NULL;
	vg_coldec_thread_done();
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

/* INT values: pick FOR or DELTA by encoded size, both over the common
 * divisor of the differences. */
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
	 * continuation bits mix every byte. Judged by a trial compression of
	 * both (planes_smaller), on a group's first block only (hint);
	 * varints that repeat (deltas of sorted values) keep winning. */
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
		if (vg_ip_cmp(ip, lo) < 0)
			lo = ip;
		else if (vg_ip_cmp(ip, hi) > 0)
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

/* INT values v[0..m) (rows[k] their rows) relative to the reference. */
static void enc_int_vals(const vg_colvals *in, int64_t *v, const uint32_t *rows, size_t m,
			 vg_buf *b, vg_colstat *st)
{
	const vg_colref *ref = in->ref;
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
		if (vg_ip_eq(in->ips[ids[k]], in->ref->ip[rows[k]]))
			bm[k >> 3] |= (uint8_t)(1u << (k & 7));
		else
			ids[ne++] = ids[k];
	}
	b->len += nb;
	vg_buf_uvarint(b, ne);
	if (ne)
		enc_ips(ids, ne, in->ips, in->nips, b, st, toks);
}

/* The m values v of type t (ro: their raw_off, or NULL), without a
 * reference: their count, then their encoding. */
static void enc_plain(const vg_colvals *in, uint8_t t, const uint64_t *v, const uint32_t *ro,
		      size_t m, vg_buf *b, vg_colstat *st, vg_tokset *toks)
{
	if (t == VG_T_IP)
		ip_range(v, m, in->ips, st);
	vg_buf_uvarint(b, m);
	if (t == VG_T_INT)
		enc_ints((const int64_t *)v, m, b, st, in->int_hint);
	else if (t == VG_T_DBL)
		for (size_t k = 0; k < m; k++)
			vg_buf_put(b, &v[k], 8);
	else if (t == VG_T_IP)
		enc_ips(v, m, in->ips, in->nips, b, st, toks);
	else
		enc_strs(v, ro, m, in->strs, in->slens, in->nstrs, b, st, toks);
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
	if (single && !ref) {
		/* The usual column: its values as they are, no copy. */
		enc_plain(in, (uint8_t)__builtin_ctz(types), in->v, in->raw_off, in->n, b, st, toks);
		return;
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
		if (!ref || t == VG_T_DBL) {
			enc_plain(in, t, tv, tro, m, b, st, toks);
			continue;
		}
		if (t == VG_T_IP)
			ip_range(tv, m, in->ips, st);
		vg_buf_uvarint(b, m);
		if (t == VG_T_INT)
			enc_int_vals(&one, (int64_t *)tv, trow, m, b, st);
		else if (t == VG_T_IP)
			enc_ips_in_ref(&one, tv, trow, m, b, st, toks);
		else
			enc_strs_in_raw(&one, tv, trow, tro, m, b, st, toks);
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
