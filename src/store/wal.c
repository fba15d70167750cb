#include "store/wal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#define WAL_MAGIC 0x4c415756u  /* "VWAL" little-endian */
#define REC_HDR 16
#define MAX_REC (1u << 30)

/* How many fields event e has: a row event's, or a compact event's
 * (batch.h), which the log holds as the same fields. */
static uint32_t event_nfields(const vg_batch *b, const vg_event *e)
{
	if (e->crow == 0)
		return e->nfields;
	const vg_ctab *t;
	return (uint32_t)__builtin_popcountll(vg_event_compact(b, e, &t)[0]);
}

/* Field k (< event_nfields) of event e into *f; ip is room for an
 * address f may point at. */
static void event_field(const vg_batch *b, const vg_event *e, uint32_t k, vg_field *f,
			uint8_t ip[16])
{
	if (e->crow == 0) {
		*f = vg_event_fields(b, e)[k];
		return;
	}
	const vg_ctab *t;
	const uint64_t *rec = vg_event_compact(b, e, &t);
	uint64_t m = rec[0];
	for (uint32_t i = 0; i < k; i++)
		m &= m - 1;
	vg_ctab_value(b, t, rec, (uint32_t)__builtin_ctzll(m), f, ip);
}

/* Serialize events [from, to) with their own name tables. */
static void encode(vg_wal *w, const vg_batch *b, size_t from, size_t to)
{
	vg_buf *r = &w->rec;
	vg_buf_clear(r);
	/* local id maps: index = table offset + batch id; 0 = unused. */
	size_t nf = b->fields.n, ng = b->groups.n, nt = b->tmpls.n;
	size_t need = nf + ng + nt + 1;
	if (need > w->caplocal) {
		w->local = vg_xrealloc(w->local, need * sizeof *w->local);
		w->caplocal = need;
	}
	memset(w->local, 0, need * sizeof *w->local);
	uint32_t *lf = w->local, *lg = w->local + nf, *lt = w->local + nf + ng;
	uint32_t cf = 0, cg = 0, ct = 0;
	vg_buf names = {0};
	vg_buf groups = {0}, tmpls = {0};
	for (size_t i = from; i < to; i++) {
		const vg_event *e = &b->ev[i];
		size_t len;
		const char *s;
		if (!lg[e->group]) {
			lg[e->group] = ++cg;
			s = vg_strtab_get(&b->groups, e->group, &len);
			vg_buf_uvarint(&groups, len);
			vg_buf_put(&groups, s, len);
		}
		if (e->rawtmpl && !lt[e->rawtmpl - 1]) {
			lt[e->rawtmpl - 1] = ++ct;
			s = vg_strtab_get(&b->tmpls, e->rawtmpl - 1, &len);
			vg_buf_uvarint(&tmpls, len);
			vg_buf_put(&tmpls, s, len);
		}
		uint32_t nfe = event_nfields(b, e);
		for (uint32_t k = 0; k < nfe; k++) {
			vg_field f;
			uint8_t ip[16];
			event_field(b, e, k, &f, ip);
			if (lf[f.fid])
				continue;
			lf[f.fid] = ++cf;
			s = vg_strtab_get(&b->fields, f.fid, &len);
			vg_buf_uvarint(&names, len);
			vg_buf_put(&names, s, len);
		}
	}
	vg_buf_uvarint(r, cf);
	vg_buf_put(r, names.p, names.len);
	vg_buf_uvarint(r, cg);
	vg_buf_put(r, groups.p, groups.len);
	vg_buf_uvarint(r, ct);
	vg_buf_put(r, tmpls.p, tmpls.len);
	/* Sort keys of the groups in the record. */
	uint32_t nsk = 0;
	vg_buf_clear(&tmpls);
	for (size_t g = 0; g < ng; g++) {
		const char *key = lg[g] ? vg_batch_group_sortkey(b, (uint32_t)g) : NULL;
		if (key == NULL)
			continue;
		nsk++;
		vg_buf_uvarint(&tmpls, lg[g] - 1);
		vg_buf_uvarint(&tmpls, strlen(key));
		vg_buf_puts(&tmpls, key);
	}
	vg_buf_uvarint(r, nsk);
	vg_buf_put(r, tmpls.p, tmpls.len);
	vg_buf_free(&names);
	vg_buf_free(&groups);
	vg_buf_free(&tmpls);
	vg_buf_uvarint(r, to - from);
	for (size_t i = from; i < to; i++) {
		const vg_event *e = &b->ev[i];
		vg_buf_svarint(r, e->t);
		vg_buf_uvarint(r, lg[e->group] - 1);
		/* A rendered event's raw text is its fields: not written. */
		vg_buf_uvarint(r, e->raw == NULL ? lt[e->rawtmpl - 1] : 0);
		if (e->raw != NULL) {
			vg_buf_uvarint(r, e->rawlen);
			vg_buf_put(r, e->raw, e->rawlen);
		}
		uint32_t nfe = event_nfields(b, e);
		vg_buf_uvarint(r, nfe);
		for (uint32_t k = 0; k < nfe; k++) {
			vg_field f;
			uint8_t ip[16];
			event_field(b, e, k, &f, ip);
			vg_buf_uvarint(r, lf[f.fid] - 1);
			vg_buf_putc(r, f.type);
			switch (f.type) {
			case VG_T_INT: vg_buf_svarint(r, f.v.i); break;
			case VG_T_DBL: vg_buf_put(r, &f.v.d, 8); break;
			case VG_T_IP: vg_buf_put(r, f.v.ip, 16); break;
			default:
				vg_buf_uvarint(r, f.len);
				vg_buf_put(r, f.v.s, f.len);
			}
		}
	}
}

static int read_names(vg_cur *c, vg_batch *b, uint32_t (*intern)(vg_batch *, const char *, size_t),
		      uint32_t **ids, uint64_t *n)
{
	if (vg_cur_uvarint(c, n) || *n > 1000000)
		return -1;
	*ids = vg_xmalloc((*n ? *n : 1) * sizeof **ids);
	for (uint64_t k = 0; k < *n; k++) {
		uint64_t len;
		const uint8_t *p;
		if (vg_cur_uvarint(c, &len) || len > VG_MAX_RAW || vg_cur_bytes(c, len, &p))
			return -1;
		(*ids)[k] = intern(b, (const char *)p, len);
	}
	return 0;
}

static int read_sortkeys(vg_cur *c, vg_batch *b, const uint32_t *gids, uint64_t ng)
{
	uint64_t n;
	if (vg_cur_uvarint(c, &n) || n > ng)
		return -1;
	for (uint64_t k = 0; k < n; k++) {
		uint64_t g, len;
		const uint8_t *p;
		if (vg_cur_uvarint(c, &g) || g >= ng || vg_cur_uvarint(c, &len) || len > 4096 ||
		    vg_cur_bytes(c, len, &p))
			return -1;
		vg_batch_sortkey(b, gids[g], (const char *)p, len);
	}
	return 0;
}

/* Decode one record's payload into b. On failure b is left as before. */
static int decode(const uint8_t *p, size_t len, vg_batch *b, uint64_t *nev)
{
	vg_cur c = {p, p + len};
	uint32_t *fids = NULL, *gids = NULL, *tids = NULL;
	uint64_t nf, ng, nt, n;
	size_t before = b->nev;
	int rc = -1;
	if (read_names(&c, b, vg_batch_field, &fids, &nf) ||
	    read_names(&c, b, vg_batch_group, &gids, &ng) ||
	    read_names(&c, b, vg_batch_tmpl, &tids, &nt) || read_sortkeys(&c, b, gids, ng) ||
	    vg_cur_uvarint(&c, &n))
		goto out;
	for (uint64_t i = 0; i < n; i++) {
		int64_t t;
		uint64_t g, tm, rl, nfl;
		const uint8_t *raw;
		if (vg_cur_svarint(&c, &t) || vg_cur_uvarint(&c, &g) || g >= ng ||
		    vg_cur_uvarint(&c, &tm) || tm > nt)
			goto bad;
		if (tm == 0 && (vg_cur_uvarint(&c, &rl) || rl > VG_MAX_RAW ||
				vg_cur_bytes(&c, rl, &raw)))
			goto bad;
		if (vg_cur_uvarint(&c, &nfl) || nfl > VG_MAX_FIELDS)
			goto bad;
		if (tm)
			vg_ev_begin_rendered(b, gids[g], t, tids[tm - 1]);
		else
			vg_ev_begin(b, gids[g], t, (const char *)raw, rl);
		for (uint64_t k = 0; k < nfl; k++) {
			uint64_t fid, sl;
			uint8_t type;
			int64_t iv;
			const uint8_t *vp;
			double d;
			if (vg_cur_uvarint(&c, &fid) || fid >= nf || vg_cur_u8(&c, &type))
				goto bad_open;
			switch (type) {
			case VG_T_INT:
				if (vg_cur_svarint(&c, &iv))
					goto bad_open;
				vg_ev_int(b, fids[fid], iv);
				break;
			case VG_T_DBL:
				if (vg_cur_bytes(&c, 8, &vp))
					goto bad_open;
				memcpy(&d, vp, 8);
				vg_ev_dbl(b, fids[fid], d);
				break;
			case VG_T_IP:
				if (vg_cur_bytes(&c, 16, &vp))
					goto bad_open;
				vg_ev_ip(b, fids[fid], vp);
				break;
			case VG_T_STR:
				if (vg_cur_uvarint(&c, &sl) || sl > VG_MAX_RAW ||
				    vg_cur_bytes(&c, sl, &vp))
					goto bad_open;
				vg_ev_str(b, fids[fid], (const char *)vp, sl);
				break;
			default:
				goto bad_open;
			}
		}
		vg_ev_end(b);
	}
	if (c.p != c.end)
		goto bad;
	*nev = n;
	rc = 0;
	goto out;
bad_open:
	vg_ev_abort(b);
bad:
	/* A record that verified its checksum but does not decode was
	 * written by a different version; drop what it added. */
	b->nev = before;
	b->nf = before ? b->ev[before - 1].first + b->ev[before - 1].nfields : 0;
	/* Event numbers will be reused: forget the marks they left. */
	if (b->seen)
		memset(b->seen, 0, b->capseen * sizeof *b->seen);
out:
	free(fids);
	free(gids);
	free(tids);
	return rc;
}

/* 1 if a verifiable record starts anywhere after offset `from`: then the
 * damage at `from` is not the tail of an interrupted write but corruption
 * in the middle of the log, which must not be truncated away. */
static int later_valid(const uint8_t *buf, uint64_t len, uint64_t from)
{
	for (uint64_t off = from + 1; off + REC_HDR <= len; off++) {
		if (vg_rd32le(buf + off) != WAL_MAGIC)
			continue;
		uint32_t plen = vg_rd32le(buf + off + 4);
		if (plen <= len - off - REC_HDR &&
		    XXH64(buf + off + REC_HDR, plen, 0) == vg_rd64le(buf + off + 8))
			return 1;
	}
	return 0;
}

/* Walk the records of buf; returns the length of the valid prefix. */
static uint64_t scan(const uint8_t *buf, uint64_t len, vg_batch *b, vg_wal_replay *r)
{
	uint64_t off = 0;
	while (off < len) {
		if (len - off < REC_HDR) {
			snprintf(r->torn_reason, sizeof r->torn_reason, "record header cut short");
			break;
		}
		uint32_t magic = vg_rd32le(buf + off), plen = vg_rd32le(buf + off + 4);
		uint64_t sum = vg_rd64le(buf + off + 8);
		if (magic != WAL_MAGIC) {
			snprintf(r->torn_reason, sizeof r->torn_reason, "bad record magic");
			break;
		}
		if (plen > MAX_REC || plen > len - off - REC_HDR) {
			snprintf(r->torn_reason, sizeof r->torn_reason, "record cut short");
			break;
		}
		const uint8_t *p = buf + off + REC_HDR;
		if (XXH64(p, plen, 0) != sum) {
			snprintf(r->torn_reason, sizeof r->torn_reason, "record checksum mismatch");
			break;
		}
		uint64_t nev = 0;
		if (b && decode(p, plen, b, &nev) != 0) {
			snprintf(r->torn_reason, sizeof r->torn_reason, "record does not decode");
			break;
		}
		r->records++;
		r->events += nev;
		off += REC_HDR + plen;
	}
	r->valid_bytes = off;
	r->torn_bytes = len - off;
	r->later_valid = later_valid(buf, len, off);
	return off;
}

static int read_all(const char *path, uint8_t **out, uint64_t *len, vg_err *err)
{
	*out = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return vg_seterr(err, VG_EIO, -1, "cannot open %s: %s", path, strerror(errno));
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return vg_seterr(err, VG_EIO, -1, "cannot stat %s: %s", path, strerror(errno));
	}
	uint64_t n = (uint64_t)st.st_size, off = 0;
	uint8_t *buf = vg_xmalloc(n ? n : 1);
	while (off < n) {
		ssize_t k = pread(fd, buf + off, n - off, (off_t)off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		off += (uint64_t)k;
	}
	close(fd);
	*out = buf;
	*len = off;
	return 0;
}

int vg_wal_replay_file(const char *path, vg_batch *b, vg_wal_replay *r, vg_err *err)
{
	memset(r, 0, sizeof *r);
	uint8_t *buf;
	uint64_t len;
	int rc = read_all(path, &buf, &len, err);
	if (rc)
		return rc;
	scan(buf, len, b, r);
	free(buf);
	return 0;
}

int vg_wal_open(vg_wal *w, const char *path, vg_err *err)
{
	memset(w, 0, sizeof *w);
	w->fd = -1;
	uint8_t *buf;
	uint64_t len;
	int rc = read_all(path, &buf, &len, err);
	if (rc)
		return rc;
	vg_wal_replay r;
	memset(&r, 0, sizeof r);
	uint64_t valid = scan(buf, len, NULL, &r);
	free(buf);
	if (r.later_valid)
		return vg_seterr(err, VG_ECORRUPT, -1,
				 "%s: record at byte %llu is damaged but valid records follow it; "
				 "refusing to truncate the log (run vigil check)",
				 path, (unsigned long long)valid);
	w->fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (w->fd < 0)
		return vg_seterr(err, VG_EIO, -1, "cannot open %s: %s", path, strerror(errno));
	if (valid < len && (ftruncate(w->fd, (off_t)valid) != 0 || fdatasync(w->fd) != 0))
		return vg_seterr(err, VG_EIO, -1, "cannot truncate torn tail of %s: %s", path,
				 strerror(errno));
	w->size = valid;
	return 0;
}

int vg_wal_append(vg_wal *w, const vg_batch *b, size_t from, size_t to, vg_err *err)
{
	if (from >= to)
		return 0;
	encode(w, b, from, to);
	if (w->rec.len > MAX_REC)
		return vg_seterr(err, VG_ELIMIT, -1, "commit of %zu bytes exceeds the 1 GiB record limit",
				 w->rec.len);
	uint8_t hdr[REC_HDR];
	uint32_t magic = WAL_MAGIC, plen = (uint32_t)w->rec.len;
	uint64_t sum = XXH64(w->rec.p, w->rec.len, 0);
	memcpy(hdr, &magic, 4);
	memcpy(hdr + 4, &plen, 4);
	memcpy(hdr + 8, &sum, 8);
	struct wpart {
		const void *base;
		size_t len;
	} parts[2] = {{hdr, REC_HDR}, {w->rec.p, w->rec.len}};
	uint64_t off = w->size;
	for (int k = 0; k < 2; k++) {
		size_t done = 0;
		while (done < parts[k].len) {
			ssize_t n = pwrite(w->fd, (const uint8_t *)parts[k].base + done,
					   parts[k].len - done, (off_t)off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return vg_seterr(err, VG_EIO, -1, "WAL write failed: %s", strerror(errno));
			done += (size_t)n;
			off += (uint64_t)n;
		}
	}
	if (fdatasync(w->fd) != 0)
		return vg_seterr(err, VG_EIO, -1, "WAL fsync failed: %s", strerror(errno));
	w->size = off;
	return 0;
}

void vg_wal_close(vg_wal *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	vg_buf_free(&w->rec);
	free(w->local);
	w->local = NULL;
	w->caplocal = 0;
}
