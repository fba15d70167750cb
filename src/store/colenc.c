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
static __thread vg_strtab tl_dict;
static __thread vg_buf tl_raw;

static inline int ip16_eq(const uint8_t *a, const uint8_t *b)
{
	uint64_t a0, a1, b0, b1;
	memcpy(&a0, a, 8);
	memcpy(&a1, a + 8, 8);
	memcpy(&b0, b, 8);
	memcpy(&b1, b + 8, 8);
	return a0 == b0 && a1 == b1;
}

static unsigned uvarint_len(uint64_t v)
{
	unsigned n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
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
	vg_strtab_free(&tl_dict);
	vg_buf_free(&tl_raw);
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
	double cf = 0, cd = 0;
	for (size_t k = 0; k < n; k++) {
		uint64_t u = (uint64_t)v[k] - (uint64_t)mn;
		cf += u ? uvarint_len(u) : 0.125;
		if (k) {
			uint64_t d = zz((int64_t)((uint64_t)v[k] - (uint64_t)v[k - 1]));
			cd += d ? uvarint_len(d) : 0.125;
		}
	}
	return cf < cd ? cf : cd;
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

static size_t uvarints_len(const uint64_t *u, size_t n)
{
	size_t s = 0;
	for (size_t k = 0; k < n; k++)
		s += uvarint_len(u[k]);
	return s;
}

/* INT values: pick FOR or DELTA by encoded size, both over the common
 * divisor of the differences. */
static void enc_ints(const int64_t *v, size_t n, vg_buf *b, vg_colstat *st)
{
	int64_t mn = v[0], mx = v[0];
	for (size_t k = 1; k < n; k++) {
		if (v[k] < mn)
			mn = v[k];
		if (v[k] > mx)
			mx = v[k];
	}
	uint64_t *uf = vg_xmalloc(n * sizeof *uf), *ud = vg_xmalloc(n * sizeof *ud);
	uint64_t gf = 0, gd = 0;
	ud[0] = 0;
	for (size_t k = 0; k < n; k++) {
		uf[k] = (uint64_t)v[k] - (uint64_t)mn;
		if (k)
			ud[k] = (uint64_t)v[k] - (uint64_t)v[k - 1];
	}
	/* Common divisors; most columns reach 1 within a few values. */
	for (size_t k = 0; k < n && gf != 1; k++)
		gf = gcd64(gf, uf[k]);
	for (size_t k = 1; k < n && gd != 1; k++)
		gd = gcd64(gd, abs64((int64_t)ud[k]));
	if (gf == 0)
		gf = 1;
	if (gd == 0)
		gd = 1;
	if (gf != 1)
		for (size_t k = 0; k < n; k++)
			uf[k] /= gf;
	int delta_ok = gd <= INT64_MAX;
	for (size_t k = 1; k < n; k++)
		ud[k] = zz(gd == 1 ? (int64_t)ud[k] : (int64_t)ud[k] / (int64_t)gd);
	size_t sf = uvarints_len(uf, n);
	size_t sd = delta_ok ? uvarints_len(ud + 1, n - 1) : SIZE_MAX;
	st->imin = mn;
	st->imax = mx;
	unsigned width = 0;
	for (uint64_t top = ((uint64_t)mx - (uint64_t)mn) / gf; top; top >>= 8)
		width++;
	if (sf <= sd && width >= 2 && (size_t)width * n + n / 4 <= sf) {
		/* Wide values of no order (ports, byte counts): fixed width,
		 * split into byte planes, low byte first. Each plane has its
		 * own statistics (the high ones are nearly constant), which
		 * zstd's entropy coder models far better than varints whose
		 * continuation bits mix every byte. */
		vg_buf_putc(b, INT_PLANES);
		vg_buf_svarint(b, mn);
		vg_buf_uvarint(b, gf);
		vg_buf_putc(b, (uint8_t)width);
		vg_buf_reserve(b, (size_t)width * n);
		uint8_t *p = b->p + b->len;
		for (unsigned k = 0; k < width; k++)
			for (size_t j = 0; j < n; j++)
				*p++ = (uint8_t)(uf[j] >> (8 * k));
		b->len += (size_t)width * n;
	} else if (sf <= sd) {
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
	free(uf);
	free(ud);
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

static void enc_ips(const vg_field *const *vals, size_t n, vg_buf *b, vg_colstat *st,
		    vg_tokset *toks)
{
	int all4 = 1;
	vg_strtab *d = &tl_dict;
	vg_strtab_clear(d);
	uint32_t *ids = vg_xmalloc(n * sizeof *ids);
	for (size_t k = 0; k < n; k++) {
		const uint8_t *ip = vals[k]->v.ip;
		/* Rows come grouped by sort key: runs of one value are common. */
		if (k && ip16_eq(ip, vals[k - 1]->v.ip)) {
			ids[k] = ids[k - 1];
			continue;
		}
		if (!vg_ip_is4(ip))
			all4 = 0;
		ids[k] = vg_strtab_intern(d, (const char *)ip, 16);
	}
	if (toks) {
		for (size_t k = 0; k < d->n; k++) {
			char text[64];
			size_t tl = vg_ip_format((const uint8_t *)d->str[k], text);
			vg_tokset_add(toks, vg_token_hash(text, tl));
		}
	}
	unsigned w = all4 ? 4 : 16;
	size_t nd = d->n;
	st->ndistinct = (uint32_t)nd;
	size_t idw = nd <= 256 ? 1 : nd <= 65536 ? 2 : 4;
	if (nd * w + n * idw < n * w) {
		vg_buf_putc(b, all4 ? IP_DICT4 : IP_DICT16);
		vg_buf_uvarint(b, nd);
		for (size_t k = 0; k < nd; k++)
			vg_buf_put(b, d->str[k] + 16 - w, w);
		put_ids(b, ids, n, (uint32_t)nd);
	} else {
		vg_buf_putc(b, all4 ? IP_PLAIN4 : IP_PLAIN16);
		for (size_t k = 0; k < n; k++)
			vg_buf_put(b, vals[k]->v.ip + 16 - w, w);
	}
	free(ids);
}

static void enc_strs(const vg_field *const *vals, size_t n, vg_buf *b, vg_colstat *st,
		     vg_tokset *toks)
{
	vg_strtab *d = &tl_dict;
	vg_strtab_clear(d);
	uint32_t *ids = vg_xmalloc(n * sizeof *ids);
	size_t plain = 0;
	/* Equal pointers are equal strings (the batch shares copies of
	 * repeated values): a small cache of pointer -> id spares reading
	 * the string at all for most rows. */
	const char *pc[256] = {0};
	uint32_t pid[256];
	/* A value that stands verbatim in a stored raw text (raw_off) already
	 * gave its tokens with that text: only the others are tokenized. */
	uint8_t *verbatim = toks ? vg_xcalloc(n, 1) : NULL;
	for (size_t k = 0; k < n; k++) {
		const vg_field *f = vals[k];
		plain += f->len + uvarint_len(f->len);
		size_t h = ((uintptr_t)f->v.s >> 3) & 255;
		if (pc[h] == f->v.s && d->lens[pid[h]] == f->len) {
			ids[k] = pid[h];
		} else {
			if (k && f->len == vals[k - 1]->len &&
			    memcmp(f->v.s, vals[k - 1]->v.s, f->len) == 0)
				ids[k] = ids[k - 1];
			else
				ids[k] = vg_strtab_intern(d, f->v.s, f->len);
			pc[h] = f->v.s;
			pid[h] = ids[k];
		}
		if (verbatim && f->raw_off)
			verbatim[ids[k]] = 1;
	}
	if (toks)
		for (size_t k = 0; k < d->n; k++)
			if (!verbatim[k])
				vg_tokset_add_text(toks, d->str[k], d->lens[k]);
	free(verbatim);
	size_t nd = d->n, dict = 0;
	for (size_t k = 0; k < nd; k++)
		dict += d->lens[k] + uvarint_len(d->lens[k]);
	dict += n * (nd <= 256 ? 1 : nd <= 65536 ? 2 : 4);
	st->ndistinct = (uint32_t)nd;
	if (dict < plain) {
		vg_buf_putc(b, STR_DICT);
		vg_buf_uvarint(b, nd);
		for (size_t k = 0; k < nd; k++)
			vg_buf_uvarint(b, d->lens[k]);
		for (size_t k = 0; k < nd; k++)
			vg_buf_put(b, d->str[k], d->lens[k]);
		put_ids(b, ids, n, (uint32_t)nd);
	} else {
		vg_buf_putc(b, STR_PLAIN);
		for (size_t k = 0; k < n; k++)
			vg_buf_uvarint(b, vals[k]->len);
		for (size_t k = 0; k < n; k++)
			vg_buf_put(b, vals[k]->v.s, vals[k]->len);
	}
	free(ids);
}

/* STR values found inside their row's raw text: marks (found or not), the
 * found ones' offsets (as deltas) and lengths, then the others encoded as
 * ordinary strings. Tokens of found values are already in the filter, from
 * the raw text. */
static void enc_strs_in_raw(const vg_colin *in, const vg_field **tv, size_t m,
			    const vg_colref *ref, vg_buf *b, vg_colstat *st, vg_tokset *toks)
{
	size_t nb = (m + 7) / 8, nf = 0, ne = 0;
	uint8_t *marks = vg_xcalloc(nb ? nb : 1, 1);
	int64_t *offs = vg_xmalloc((m ? m : 1) * sizeof *offs);
	const vg_field **exc = vg_xmalloc((m ? m : 1) * sizeof *exc);
	for (size_t k = 0; k < m; k++) {
		uint32_t r = in->rows ? in->rows[k] : (uint32_t)k;
		const char *raw = ref->raw[r];
		const vg_field *f = tv[k];
		const char *p = NULL;
		if (raw && f->raw_off && f->raw_off - 1 + (size_t)f->len <= ref->rawlen[r])
			p = raw + f->raw_off - 1; /* the batch knows where it stands */
		else if (raw && f->len)
			p = memmem(raw, ref->rawlen[r], f->v.s, f->len);
		if (p) {
			marks[k >> 3] |= (uint8_t)(1u << (k & 7));
			offs[nf] = p - raw;
			tv[nf++] = tv[k]; /* found values move to the front, in order */
		} else {
			exc[ne++] = tv[k];
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
		vg_buf_uvarint(b, tv[k]->len);
	vg_buf_uvarint(b, ne);
	if (ne)
		enc_strs(exc, ne, b, st, toks);
	st->ndistinct = 0; /* not counted */
	free(marks);
	free(offs);
	free(exc);
}

/* Smallest and largest address, compared as 16 network-order bytes. */
static void ip_range(const vg_field **tv, size_t m, vg_colstat *st)
{
	const uint8_t *lo = tv[0]->v.ip, *hi = tv[0]->v.ip;
	for (size_t k = 1; k < m; k++) {
		const uint8_t *ip = tv[k]->v.ip;
		if (ip16_eq(ip, tv[k - 1]->v.ip))
			continue;
		if (memcmp(ip, lo, 16) < 0)
			lo = ip;
		else if (memcmp(ip, hi, 16) > 0)
			hi = ip;
	}
	memcpy(st->ipmin, lo, 16);
	memcpy(st->ipmax, hi, 16);
}

/* Values of type t, in row order, gathered from the column. */
static size_t gather(const vg_colin *in, uint8_t t, const vg_field **out)
{
	size_t m = 0;
	for (uint32_t k = 0; k < in->n; k++)
		if (in->vals[k].type == t)
			out[m++] = &in->vals[k];
	return m;
}

static void enc_payload(const vg_colin *in, vg_buf *b, vg_colstat *st, vg_tokset *toks)
{
	uint8_t types = 0;
	for (uint32_t k = 0; k < in->n; k++)
		types |= (uint8_t)(1u << in->vals[k].type);
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
			uint32_t r = in->rows[k];
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
			vg_buf_putc(b, in->vals[k].type);
	}
	const vg_field **tv = vg_xmalloc((in->n ? in->n : 1) * sizeof *tv);
	for (uint8_t t = VG_T_STR; t <= VG_T_IP; t++) {
		if (!(types & (1u << t)))
			continue;
		size_t m = gather(in, t, tv);
		if (t == VG_T_IP)
			ip_range(tv, m, st);
		vg_buf_uvarint(b, m);
		if (t == VG_T_INT) {
			int64_t *iv = vg_xmalloc(m * sizeof *iv);
			for (size_t k = 0; k < m; k++)
				iv[k] = tv[k]->v.i;
			if (ref) {
				/* Stored as the difference from the reference. The
				 * statistics stay those of the real values. */
				int64_t mn = iv[0], mx = iv[0];
				for (size_t k = 0; k < m; k++) {
					uint32_t r = in->rows ? in->rows[k] : (uint32_t)k;
					mn = iv[k] < mn ? iv[k] : mn;
					mx = iv[k] > mx ? iv[k] : mx;
					iv[k] = (int64_t)((uint64_t)iv[k] - (uint64_t)(ref->i[r] / ref->div));
				}
				enc_ints(iv, m, b, st);
				st->imin = mn;
				st->imax = mx;
			} else {
				enc_ints(iv, m, b, st);
			}
			free(iv);
		} else if (t == VG_T_DBL) {
			for (size_t k = 0; k < m; k++)
				vg_buf_put(b, &tv[k]->v.d, 8);
		} else if (t == VG_T_IP && ref) {
			/* A mark per value: same as the reference; then the
			 * values that differ. */
			size_t nb = (m + 7) / 8, ne = 0;
			vg_buf_reserve(b, nb);
			uint8_t *bm = b->p + b->len;
			memset(bm, 0, nb);
			for (size_t k = 0; k < m; k++) {
				uint32_t r = in->rows ? in->rows[k] : (uint32_t)k;
				if (ip16_eq(tv[k]->v.ip, ref->ip[r]))
					bm[k >> 3] |= (uint8_t)(1u << (k & 7));
				else
					tv[ne++] = tv[k];
			}
			b->len += nb;
			vg_buf_uvarint(b, ne);
			if (ne)
				enc_ips(tv, ne, b, st, toks);
		} else if (t == VG_T_IP) {
			enc_ips(tv, m, b, st, toks);
		} else if (ref) {
			enc_strs_in_raw(in, tv, m, ref, b, st, toks);
		} else {
			enc_strs(tv, m, b, st, toks);
		}
	}
	free(tv);
}

int vg_col_encode(const vg_colin *in, int zlevel, vg_buf *out, vg_colstat *st, vg_tokset *toks,
		  vg_err *err)
{
	memset(st, 0, sizeof *st);
	vg_buf *raw = &tl_raw;
	vg_buf_clear(raw);
	enc_payload(in, raw, st, toks);
	if (tl_cctx == NULL)
		tl_cctx = ZSTD_createCCtx();
	size_t bound = ZSTD_compressBound(raw->len);
	vg_buf_reserve(out, bound + 16);
	size_t hdr = out->len;
	vg_buf_putc(out, CODEC_ZSTD);
	vg_buf_uvarint(out, raw->len);
	size_t z = ZSTD_compressCCtx(tl_cctx, out->p + out->len, bound, raw->p, raw->len, zlevel);
	if (ZSTD_isError(z))
		return vg_seterr(err, VG_EIO, -1, "zstd: %s", ZSTD_getErrorName(z));
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

/* ---- decoding ---------------------------------------------------------- */

#define BAD(msg) vg_seterr(err, VG_ECORRUPT, -1, "column chunk: %s", msg)

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
	if (enc == INT_FOR) {
		for (size_t k = 0; k < m; k++) {
			if (vg_cur_uvarint(c, &u))
				return BAD("integers cut short");
			v[k] = (int64_t)((uint64_t)base + u * g);
		}
	} else if (enc == INT_PLANES) {
		uint8_t width;
		const uint8_t *p;
		if (vg_cur_u8(c, &width) || width == 0 || width > 8 ||
		    vg_cur_bytes(c, (size_t)width * m, &p))
			return BAD("integer planes cut short");
		for (size_t k = 0; k < m; k++) {
			uint64_t x = 0;
			for (unsigned j = 0; j < width; j++)
				x |= (uint64_t)p[j * m + k] << (8 * j);
			v[k] = (int64_t)((uint64_t)base + x * g);
		}
	} else if (enc == INT_DELTA) {
		if (m)
			v[0] = base;
		for (size_t k = 1; k < m; k++) {
			if (vg_cur_uvarint(c, &u))
				return BAD("integers cut short");
			v[k] = (int64_t)((uint64_t)v[k - 1] + (uint64_t)unzz(u) * g);
		}
	} else {
		return BAD("unknown integer encoding");
	}
	return 0;
}

static int dec_ips(vg_cur *c, size_t m, uint8_t (*out)[16], vg_arena *a, vg_err *err)
{
	static const uint8_t pre[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	uint8_t enc;
	if (vg_cur_u8(c, &enc) || enc > IP_DICT16)
		return BAD("bad address encoding");
	unsigned w = (enc == IP_PLAIN4 || enc == IP_DICT4) ? 4 : 16;
	const uint8_t *p;
	if (enc == IP_PLAIN4 || enc == IP_PLAIN16) {
		if (vg_cur_bytes(c, m * w, &p))
			return BAD("addresses cut short");
		for (size_t k = 0; k < m; k++) {
			memcpy(out[k], pre, 12);
			memcpy(out[k] + 16 - w, p + k * w, w);
		}
		return 0;
	}
	uint64_t nd;
	if (vg_cur_uvarint(c, &nd) || nd > m || vg_cur_bytes(c, nd * w, &p))
		return BAD("bad address dictionary");
	uint32_t *ids = vg_arena_alloc(a, m * sizeof *ids);
	if (get_ids(c, m, (uint32_t)nd, ids, err))
		return err->code;
	for (size_t k = 0; k < m; k++) {
		memcpy(out[k], pre, 12);
		memcpy(out[k] + 16 - w, p + (size_t)ids[k] * w, w);
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

static int dec_payload(vg_cur *c, vg_col *col, const vg_col *ref, vg_arena *a, vg_err *err)
{
	uint32_t n = col->n;
	uint8_t flags;
	if (vg_cur_u8(c, &flags))
		return BAD("empty");
	/* Rows present, in order. */
	uint32_t *rows = vg_arena_alloc(a, (n ? n : 1) * sizeof *rows);
	uint32_t np = 0;
	if (flags & F_ALL_PRESENT) {
		for (uint32_t r = 0; r < n; r++)
			rows[np++] = r;
	} else {
		const uint8_t *bm;
		if (vg_cur_bytes(c, (n + 7) / 8, &bm))
			return BAD("presence bitmap cut short");
		for (uint32_t r = 0; r < n; r++)
			if (bm[r >> 3] & (1u << (r & 7)))
				rows[np++] = r;
	}
	uint64_t refcol = 0;
	int64_t div = 1;
	if ((flags & F_REF) && !(flags & F_SINGLE_TYPE))
		return BAD("reference on a mixed-type column");
	if (flags & F_SINGLE_TYPE) {
		uint8_t t;
		if (vg_cur_u8(c, &t) || t < VG_T_STR || t > VG_T_IP)
			return BAD("bad type");
		if (np == n)
			memset(col->types, t, n);
		else
			for (uint32_t k = 0; k < np; k++)
				col->types[rows[k]] = t;
		if (flags & F_REF) {
			if (vg_cur_uvarint(c, &refcol) || vg_cur_svarint(c, &div) || div < 1)
				return BAD("bad reference");
			if (ref == NULL || ref->n != n)
				return BAD("reference column missing");
			for (uint32_t k = 0; k < np; k++)
				if (t == VG_T_INT && ref->types[rows[k]] != VG_T_INT)
					return BAD("reference column lacks a value");
		}
	} else {
		const uint8_t *tp;
		if (vg_cur_bytes(c, np, &tp))
			return BAD("types cut short");
		for (uint32_t k = 0; k < np; k++) {
			if (tp[k] < VG_T_STR || tp[k] > VG_T_IP)
				return BAD("bad type");
			col->types[rows[k]] = tp[k];
		}
	}
	uint8_t have = 0;
	if (np == n && (flags & F_SINGLE_TYPE) && n > 0)
		have = (uint8_t)(1u << col->types[0]);
	else
		for (uint32_t k = 0; k < np; k++)
			have |= (uint8_t)(1u << col->types[rows[k]]);
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
	uint32_t *trows = vg_arena_alloc(a, (np ? np : 1) * sizeof *trows);
	for (uint8_t t = VG_T_STR; t <= VG_T_IP; t++) {
		if (!(have & (1u << t)))
			continue;
		uint32_t m = 0;
		for (uint32_t k = 0; k < np; k++)
			if (col->types[rows[k]] == t)
				trows[m++] = rows[k];
		uint64_t cnt;
		if (vg_cur_uvarint(c, &cnt) || cnt != m)
			return BAD("value count does not match types");
		if (t == VG_T_INT) {
			int64_t *v = vg_arena_alloc(a, (m ? m : 1) * sizeof *v);
			if (dec_ints(c, m, v, err))
				return err->code;
			for (uint32_t k = 0; k < m; k++) {
				uint32_t r = trows[k];
				col->i[r] = (flags & F_REF)
					? (int64_t)((uint64_t)v[k] + (uint64_t)(ref->i[r] / div))
					: v[k];
			}
		} else if (t == VG_T_STR && (flags & F_REF)) {
			if (dec_strs_in_raw(c, m, trows, ref, col, a, err))
				return err->code;
		} else if (t == VG_T_IP && (flags & F_REF)) {
			const uint8_t *bm;
			uint64_t ne;
			if (vg_cur_bytes(c, ((size_t)m + 7) / 8, &bm) || vg_cur_uvarint(c, &ne) || ne > m)
				return BAD("bad address marks");
			uint8_t(*v)[16] = vg_arena_alloc(a, (ne ? ne : 1) * 16);
			if (ne && dec_ips(c, ne, v, a, err))
				return err->code;
			uint64_t j = 0;
			for (uint32_t k = 0; k < m; k++) {
				uint32_t r = trows[k];
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
			for (uint32_t k = 0; k < m; k++)
				memcpy(&col->d[trows[k]], p + 8 * k, 8);
		} else if (t == VG_T_IP) {
			uint8_t(*v)[16] = vg_arena_alloc(a, (m ? m : 1) * 16);
			if (dec_ips(c, m, v, a, err))
				return err->code;
			for (uint32_t k = 0; k < m; k++)
				memcpy(col->ip[trows[k]], v[k], 16);
		} else if (m == n) {
			/* Every row a string: ids land in place. */
			if (dec_strs(c, m, col, col->sid, a, err))
				return err->code;
		} else {
			uint32_t *ids = vg_arena_alloc(a, (m ? m : 1) * sizeof *ids);
			if (dec_strs(c, m, col, ids, a, err))
				return err->code;
			for (uint32_t k = 0; k < m; k++)
				col->sid[trows[k]] = ids[k];
		}
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
