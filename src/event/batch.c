#include "event/batch.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "event/value.h"
#include "util/ip.h"

void vg_batch_init(vg_batch *b)
{
	memset(b, 0, sizeof *b);
	b->perr_fid = vg_batch_field(b, "_parse_error", 12);
}

void vg_batch_clear(vg_batch *b)
{
	b->nev = 0;
	b->nf = 0;
	b->open = 0;
	b->nparse_errors = 0;
	vg_arena_reset(&b->arena);
	/* Event numbers restart at 0, so the seen marks must be forgotten;
	 * the arena is reset, so are the shared string copies. */
	if (b->seen)
		memset(b->seen, 0, b->capseen * sizeof *b->seen);
	if (b->last_s)
		memset(b->last_s, 0, b->capseen * sizeof *b->last_s);
	if (b->last_cid)
		memset(b->last_cid, 0, b->capseen * sizeof *b->last_cid);
	for (size_t i = 0; i < b->capctab; i++) {
		vg_ctab *t = &b->ctabs[i];
		t->n = 0;
		if (t->sids)
			memset(t->sids, 0, (t->nc ? t->nc : 1) * sizeof *t->sids);
	}
	vg_strtab_clear(&b->cstrs);
	b->cbytes = 0;
}

void vg_batch_free(vg_batch *b)
{
	free(b->ev);
	free(b->f);
	free(b->seen);
	free(b->seenpos);
	free(b->gsort);
	free(b->last_s);
	free(b->last_len);
	for (size_t i = 0; i < b->captmplf; i++)
		free(b->tmplfids[i]);
	free(b->tmplfids);
	free(b->tmplnf);
	for (size_t i = 0; i < b->capctab; i++) {
		free(b->ctabs[i].w);
		free(b->ctabs[i].sids);
	}
	free(b->ctabs);
	free(b->last_cid);
	vg_strtab_free(&b->cstrs);
	vg_strtab_free(&b->fields);
	vg_strtab_free(&b->groups);
	vg_strtab_free(&b->tmpls);
	vg_arena_free(&b->arena);
	memset(b, 0, sizeof *b);
}

uint32_t vg_batch_field(vg_batch *b, const char *name, size_t n)
{
	if (n > VG_MAX_NAME)
		n = VG_MAX_NAME;
	uint32_t id = vg_strtab_intern(&b->fields, name, n);
	if (id >= b->capseen) {
		size_t cap = b->capseen, old = b->capseen;
		vg_grow(&b->seen, &cap, (size_t)id + 1, sizeof *b->seen);
		cap = b->capseen;
		vg_grow(&b->seenpos, &cap, (size_t)id + 1, sizeof *b->seenpos);
		cap = b->capseen;
		vg_grow(&b->last_s, &cap, (size_t)id + 1, sizeof *b->last_s);
		cap = b->capseen;
		vg_grow(&b->last_len, &cap, (size_t)id + 1, sizeof *b->last_len);
		cap = b->capseen;
		vg_grow(&b->last_cid, &cap, (size_t)id + 1, sizeof *b->last_cid);
		memset(b->seen + old, 0, (cap - old) * sizeof *b->seen);
		memset(b->last_s + old, 0, (cap - old) * sizeof *b->last_s);
		memset(b->last_cid + old, 0, (cap - old) * sizeof *b->last_cid);
		b->capseen = cap;
	}
	return id;
}

uint32_t vg_batch_group(vg_batch *b, const char *name, size_t n)
{
	return vg_strtab_intern(&b->groups, name, n);
}

uint32_t vg_batch_tmpl(vg_batch *b, const char *tmpl, size_t n)
{
	return vg_strtab_intern(&b->tmpls, tmpl, n);
}

void vg_batch_sortkey(vg_batch *b, uint32_t group, const char *key, size_t n)
{
	uint32_t id = vg_batch_tmpl(b, key, n);
	if (group >= b->capgsort) {
		size_t old = b->capgsort, cap = b->capgsort;
		vg_grow(&b->gsort, &cap, (size_t)group + 1, sizeof *b->gsort);
		memset(b->gsort + old, 0, (cap - old) * sizeof *b->gsort);
		b->capgsort = cap;
	}
	b->gsort[group] = id + 1;
}

const char *vg_batch_group_sortkey(const vg_batch *b, uint32_t group)
{
	if (group >= b->capgsort || b->gsort[group] == 0)
		return NULL;
	return vg_strtab_get(&b->tmpls, b->gsort[group] - 1, NULL);
}

/* Open event nev; its raw text is copied unless `borrow`. */
static void begin(vg_batch *b, uint32_t group, int64_t t, const char *raw, size_t rawlen,
		  int borrow)
{
	assert(!b->open);
	if (b->nev == b->capev)
		vg_grow(&b->ev, &b->capev, b->nev + 1, sizeof *b->ev);
	vg_event *e = &b->ev[b->nev];
	int cut = rawlen > VG_MAX_RAW;
	if (cut)
		rawlen = VG_MAX_RAW;
	e->t = t;
	e->group = group;
	e->rawtmpl = 0;
	e->raw = borrow ? NULL : vg_arena_dup(&b->arena, raw, rawlen);
	e->rawlen = (uint32_t)rawlen;
	e->nfields = 0;
	e->first = (uint32_t)b->nf;
	e->crow = 0;
	b->raw_in = raw;
	b->raw_in_len = rawlen;
	b->open = 1;
	b->overflow = 0;
	b->rendered = 0;
	if (cut)
		vg_ev_parse_error(b, "message longer than 1 MiB; cut there");
}

void vg_ev_begin(vg_batch *b, uint32_t group, int64_t t, const char *raw, size_t rawlen)
{
	begin(b, group, t, raw, rawlen, 0);
}

void vg_ev_begin_tmpl(vg_batch *b, uint32_t group, int64_t t, const char *raw, size_t rawlen,
		      uint32_t tmpl)
{
	begin(b, group, t, raw, rawlen, 1);
	b->ev[b->nev].rawtmpl = tmpl + 1;
}

void vg_ev_begin_rendered(vg_batch *b, uint32_t group, int64_t t, uint32_t tmpl)
{
	begin(b, group, t, NULL, 0, 1);
	b->ev[b->nev].rawtmpl = tmpl + 1;
	b->rendered = 1;
}

void vg_ev_settime(vg_batch *b, int64_t t)
{
	assert(b->open);
	b->ev[b->nev].t = t;
}

void vg_ev_setgroup(vg_batch *b, uint32_t group)
{
	assert(b->open);
	b->ev[b->nev].group = group;
}

void vg_ev_rawtmpl(vg_batch *b, uint32_t tmpl)
{
	assert(b->open);
	b->ev[b->nev].rawtmpl = tmpl + 1;
}

/* The slot for field fid in the open event: an existing one (a repeated
 * name keeps the last value) or a new one; NULL past VG_MAX_FIELDS. */
static inline vg_field *slot(vg_batch *b, uint32_t fid)
{
	assert(b->open && fid < b->capseen);
	vg_event *e = &b->ev[b->nev];
	uint32_t mark = (uint32_t)b->nev + 1;
	if (b->seen[fid] == mark)
		return &b->f[e->first + b->seenpos[fid]];
	if (e->nfields >= VG_MAX_FIELDS) {
		b->overflow = 1;
		return NULL;
	}
	if (b->nf == b->capf)
		vg_grow(&b->f, &b->capf, b->nf + 1, sizeof *b->f);
	b->seen[fid] = mark;
	b->seenpos[fid] = e->nfields;
	e->nfields++;
	vg_field *f = &b->f[b->nf++];
	f->fid = fid;
	f->len = 0;
	f->raw_off = 0;
	return f;
}

void vg_ev_str(vg_batch *b, uint32_t fid, const char *s, size_t n)
{
	vg_field *f = slot(b, fid);
	if (f == NULL)
		return;
	if (n > VG_MAX_RAW)
		n = VG_MAX_RAW;
	f->type = VG_T_STR;
	f->len = (uint32_t)n;
	/* Pointer comparison across objects is done on integers: a parser's
	 * value that is a slice of the raw text it passed is known to stand
	 * there, which spares the store from searching for it. */
	uintptr_t ps = (uintptr_t)s, pr = (uintptr_t)b->raw_in;
	f->raw_off = b->raw_in && ps >= pr && ps - pr + n <= b->raw_in_len
		? (uint32_t)(ps - pr) + 1 : 0;
	const char *last = b->last_s[fid];
	if (last && b->last_len[fid] == n && vg_same_bytes(last, s, n)) {
		f->v.s = last;
		return;
	}
	f->v.s = vg_arena_dup(&b->arena, s, n);
	b->last_s[fid] = f->v.s;
	b->last_len[fid] = (uint32_t)n;
	b->last_cid[fid] = 0;  /* not a string of cstrs (see vg_batch) */
}

void vg_ev_int(vg_batch *b, uint32_t fid, int64_t v)
{
	vg_field *f = slot(b, fid);
	if (f == NULL)
		return;
	f->type = VG_T_INT;
	f->v.i = v;
}

void vg_ev_dbl(vg_batch *b, uint32_t fid, double v)
{
	vg_field *f = slot(b, fid);
	if (f == NULL)
		return;
	f->type = VG_T_DBL;
	f->v.d = v;
}

void vg_ev_ip(vg_batch *b, uint32_t fid, const uint8_t ip[16])
{
	vg_field *f = slot(b, fid);
	if (f == NULL)
		return;
	f->type = VG_T_IP;
	uint8_t *p = vg_arena_alloc(&b->arena, 16);
	memcpy(p, ip, 16);
	f->v.ip = p;
}

void vg_ev_parse_error(vg_batch *b, const char *msg)
{
	assert(b->open);
	uint32_t mark = (uint32_t)b->nev + 1;
	int already = b->seen[b->perr_fid] == mark;
	vg_ev_str(b, b->perr_fid, msg, strlen(msg));
	if (!already && b->seen[b->perr_fid] == mark)
		b->nparse_errors++;
}

/* The field ids template id names, in order (interned, so that a field
 * first seen later still resolves to the same id). */
static const uint32_t *tmpl_fids(vg_batch *b, uint32_t id, uint32_t *n)
{
	if (id >= b->captmplf) {
		size_t old = b->captmplf, cap = b->captmplf;
		vg_grow(&b->tmplfids, &cap, (size_t)id + 1, sizeof *b->tmplfids);
		cap = b->captmplf;
		vg_grow(&b->tmplnf, &cap, (size_t)id + 1, sizeof *b->tmplnf);
		memset(b->tmplfids + old, 0, (cap - old) * sizeof *b->tmplfids);
		b->captmplf = cap;
	}
	if (b->tmplfids[id] == NULL) {
		size_t len, k = 0;
		const char *s = vg_strtab_get(&b->tmpls, id, &len);
		uint32_t *f = vg_xmalloc((len / 2 + 2) * sizeof *f), nf = 0;
		while (k < len) {
			size_t start = k;
			while (k < len && s[k] != ' ')
				k++;
			if (k > start)
				f[nf++] = vg_batch_field(b, s + start, k - start);
			k++;
		}
		b->tmplfids[id] = f;
		b->tmplnf[id] = nf;
	}
	*n = b->tmplnf[id];
	return b->tmplfids[id];
}

/* The length of integer v printed in decimal if the text [p, p + avail)
 * starts with exactly that, else 0. The text is read as a number and
 * compared, which is quicker than printing v: the digits of a decimal
 * form, read left to right, make a short dependency chain. Only the
 * canonical form matches: no leading zero, no "-0". Any int64 has at most
 * 19 digits; a longer run of digits fails the caller's separator check. */
static size_t int_text_match(int64_t v, const char *p, size_t avail)
{
	size_t neg = avail > 0 && p[0] == '-', i = neg;
	uint64_t acc = 0;
	while (i < avail && i - neg < 19) {
		unsigned d = (unsigned)((unsigned char)p[i] - '0');
		if (d > 9)
			break;
		acc = acc * 10 + d;
		i++;
	}
	size_t nd = i - neg;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	if (nd == 0 || (nd > 1 && p[neg] == '0') || acc != u || (int)neg != (v < 0))
		return 0;
	return i;
}

/* The same for an IPv4 address (::ffff:a.b.c.d) in dotted decimal. */
static size_t ip4_text_match(const uint8_t *ip, const char *p, size_t avail)
{
	size_t i = 0;
	for (int k = 0; k < 4; k++) {
		if (k) {
			if (i >= avail || p[i] != '.')
				return 0;
			i++;
		}
		size_t start = i;
		unsigned o = 0;
		while (i < avail && i - start < 3 && (unsigned)((unsigned char)p[i] - '0') <= 9)
			o = o * 10 + (unsigned)(p[i++] - '0');
		if (i == start || (i - start > 1 && p[start] == '0') || o != ip[12 + k])
			return 0;
	}
	return i;
}

#define NO_MATCH SIZE_MAX

/* The length of the text of f's value if [p, p + avail) starts with it,
 * else NO_MATCH. `off` is where p stands in the raw text: a string value
 * the parser sliced from that very place is equal by construction. */
static size_t field_text_match(const vg_field *f, const char *p, size_t avail, size_t off)
{
	char tmp[64];
	size_t len;
	switch (f->type) {
	case VG_T_STR:
		len = f->len;
		if (len > avail)
			return NO_MATCH;
		return f->raw_off == off + 1 || memcmp(f->v.s, p, len) == 0 ? len : NO_MATCH;
	case VG_T_INT:
		len = int_text_match(f->v.i, p, avail);
		return len ? len : NO_MATCH;
	case VG_T_IP:
		if (vg_ip_is4(f->v.ip)) {
			len = ip4_text_match(f->v.ip, p, avail);
			return len ? len : NO_MATCH;
		}
		len = vg_ip_format(f->v.ip, tmp);
		return len <= avail && memcmp(tmp, p, len) == 0 ? len : NO_MATCH;
	default: {
		vg_buf t = {0};
		vg_field_text(&t, f);
		len = t.len <= avail && memcmp(t.p, p, t.len) == 0 ? t.len : NO_MATCH;
		vg_buf_free(&t);
		return len;
	}
	}
}

/* 1 if the open event's raw text equals its template rendering. Compared
 * piece by piece against the text, nothing is built; the fields are found
 * through the seen marks the open event already keeps. A value's text
 * has a known length (strings carry theirs, numbers and addresses are
 * printed), so no search for the separators is needed: after each value
 * the text must go on with a space, or end after the last. */
static int tmpl_matches(vg_batch *b, const char *raw, size_t rl)
{
	vg_event *e = &b->ev[b->nev];
	uint32_t mark = (uint32_t)b->nev + 1, nt;
	/* An event the parser flagged keeps its raw text as it came. */
	if (b->seen[b->perr_fid] == mark || b->overflow)
		return 0;
	const uint32_t *fids = tmpl_fids(b, e->rawtmpl - 1, &nt);
	/* (No fields at all yet: b->f is NULL, and must not be offset.) */
	const vg_field *f = e->nfields ? b->f + e->first : NULL;
	size_t pos = 0;
	uint32_t used = 0;
	for (uint32_t k = 0; k < nt; k++) {
		if (k) {
			if (pos >= rl || raw[pos] != ' ')
				return 0;
			pos++;
		}
		uint32_t fid = fids[k];
		if (b->seen[fid] == mark) {
			size_t n = field_text_match(&f[b->seenpos[fid]], raw + pos, rl - pos, pos);
			if (n == NO_MATCH)
				return 0;
			pos += n;
			used++;
		} else {
			if (pos >= rl || raw[pos] != '-')
				return 0;
			pos++;
		}
	}
	return used > 0 && pos == rl;
}

/* Settle the open event's raw text: rendered from its template when that
 * is exact, else a copy of its own. */
static void settle_raw(vg_batch *b)
{
	vg_event *e = &b->ev[b->nev];
	if (b->rendered)
		return;
	const char *text = e->raw ? e->raw : b->raw_in;
	if (e->rawtmpl && tmpl_matches(b, text, e->rawlen)) {
		e->raw = NULL;
		return;
	}
	e->rawtmpl = 0;
	if (e->raw == NULL)
		e->raw = vg_arena_dup(&b->arena, b->raw_in, e->rawlen);
}

void vg_ev_end(vg_batch *b)
{
	assert(b->open);
	if (b->overflow) {
		/* The error field itself needs a slot: take the last one. */
		vg_event *e = &b->ev[b->nev];
		uint32_t mark = (uint32_t)b->nev + 1;
		if (b->seen[b->perr_fid] != mark) {
			vg_field *last = &b->f[e->first + e->nfields - 1];
			b->seen[last->fid] = 0;
			b->seen[b->perr_fid] = mark;
			b->seenpos[b->perr_fid] = e->nfields - 1;
			last->fid = b->perr_fid;
			b->nparse_errors++;
		}
		const char *m = "more than 1000 fields; the rest are only in _raw";
		vg_field *pf = &b->f[e->first + b->seenpos[b->perr_fid]];
		pf->type = VG_T_STR;
		pf->len = (uint32_t)strlen(m);
		pf->v.s = vg_arena_dup(&b->arena, m, pf->len);
	}
	settle_raw(b);
	b->open = 0;
	b->nev++;
}

void vg_ev_end_checked(vg_batch *b)
{
	assert(b->open && b->ev[b->nev].rawtmpl != 0);
	uint32_t mark = (uint32_t)b->nev + 1;
	/* settle_raw takes a rendered event as it is; a flagged one goes
	 * through the check, which it fails. */
	if (b->seen[b->perr_fid] != mark && !b->overflow && b->ev[b->nev].raw == NULL)
		b->rendered = 1;
	vg_ev_end(b);
}

void vg_event_raw(const vg_batch *b, const vg_event *e, vg_buf *out)
{
	if (e->raw != NULL || e->rawtmpl == 0) {
		vg_buf_put(out, e->raw, e->rawlen);
		return;
	}
	if (e->crow) {
		const vg_ctab *t;
		const uint64_t *w = vg_event_compact(b, e, &t);
		for (uint32_t k = 0; k < t->nc; k++) {
			if (k)
				vg_buf_putc(out, ' ');
			if (w[0] >> k & 1) {
				vg_field f;
				uint8_t ip[16];
				vg_ctab_value(b, t, w, k, &f, ip);
				vg_field_text(out, &f);
			} else {
				vg_buf_putc(out, '-');
			}
		}
		return;
	}
	/* Rendering is off the hot path (reading the memtable back): the
	 * template's names are looked up, not cached, so b stays const. */
	size_t len, k = 0;
	const char *s = vg_strtab_get(&b->tmpls, e->rawtmpl - 1, &len);
	const vg_field *f = vg_event_fields(b, e);
	int first = 1;
	while (k < len) {
		size_t start = k;
		while (k < len && s[k] != ' ')
			k++;
		if (k > start) {
			uint32_t fid = vg_strtab_find(&b->fields, s + start, k - start);
			const vg_field *v = NULL;
			for (uint32_t j = 0; j < e->nfields && fid != UINT32_MAX; j++)
				if (f[j].fid == fid)
					v = &f[j];
			if (!first)
				vg_buf_putc(out, ' ');
			first = 0;
			if (v)
				vg_field_text(out, v);
			else
				vg_buf_putc(out, '-');
		}
		k++;
	}
}

void vg_ev_abort(vg_batch *b)
{
	assert(b->open);
	vg_event *e = &b->ev[b->nev];
	uint32_t mark = (uint32_t)b->nev + 1;
	for (uint32_t i = 0; i < e->nfields; i++) {
		vg_field *f = &b->f[e->first + i];
		if (b->seen[f->fid] == mark)
			b->seen[f->fid] = 0;
	}
	if (e->crow) {
		b->ctabs[e->rawtmpl - 1].n--;
		b->crec = NULL;
	}
	b->nf = e->first;
	b->open = 0;
}

/* ---- compact events ---- */

void vg_batch_compact(vg_batch *b, int on)
{
	b->compact = on;
}

/* The compact table of template id, set up on first use; NULL when the
 * template cannot be compact. */
static vg_ctab *ctab_of(vg_batch *b, uint32_t id)
{
	if (id >= b->capctab) {
		size_t old = b->capctab, cap = b->capctab;
		vg_grow(&b->ctabs, &cap, (size_t)id + 1, sizeof *b->ctabs);
		memset(b->ctabs + old, 0, (cap - old) * sizeof *b->ctabs);
		b->capctab = cap;
	}
	vg_ctab *t = &b->ctabs[id];
	if (t->stride == 0) {
		uint32_t nt;
		const uint32_t *fids = tmpl_fids(b, id, &nt);
		int ok = nt > 0 && nt <= VG_CTAB_MAXCOL;
		for (uint32_t i = 0; ok && i < nt; i++)
			for (uint32_t j = 0; j < i; j++)
				ok &= fids[i] != fids[j];
		t->nc = ok ? nt : 0;
		t->fids = fids;
		t->sids = vg_xcalloc(t->nc ? t->nc : 1, sizeof *t->sids);
		/* Mask, values, type bytes rounded up to words. */
		t->stride = 1 + t->nc + (t->nc + 7) / 8;
	}
	return t->nc ? t : NULL;
}

int vg_ev_begin_compact(vg_batch *b, uint32_t group, int64_t t, uint32_t tmpl, size_t rawlen)
{
	if (!b->compact || rawlen > VG_MAX_RAW)
		return 0;
	vg_ctab *c = ctab_of(b, tmpl);
	if (c == NULL)
		return 0;
	begin(b, group, t, NULL, rawlen, 1);
	if (c->n == c->cap)
		vg_grow(&c->w, &c->cap, c->n + 1, c->stride * sizeof *c->w);
	uint64_t *w = c->w + c->n * c->stride;
	w[0] = 0;
	memset(w + 1 + c->nc, 0, (c->stride - 1 - c->nc) * sizeof *w);
	vg_event *e = &b->ev[b->nev];
	e->rawtmpl = tmpl + 1;
	e->crow = (uint32_t)++c->n;
	b->crec = w;
	b->ctab = c;
	b->cnew = 0;
	return 1;
}

/* The id in cstrs of the string value s (n bytes) of template field k of
 * table t. A field takes few values and often one of the last two (a
 * flow's direction alternates), which are compared before hashing. */
static inline uint32_t cstr_id(vg_batch *b, const vg_ctab *t, uint32_t k, const char *s,
			       size_t n)
{
	uint32_t *ids = t->sids[k];
	for (int i = 0; i < 2; i++) {
		uint32_t id = ids[i] - 1;
		if (ids[i] && b->cstrs.lens[id] == n && vg_same_bytes(b->cstrs.str[id], s, n)) {
			if (i) {
				ids[1] = ids[0];
				ids[0] = id + 1;
			}
			return id;
		}
	}
	uint32_t id = vg_strtab_intern(&b->cstrs, s, n);
	ids[1] = ids[0];
	ids[0] = id + 1;
	return id;
}

/* vg_ev_cstr when its inline test cannot tell (batch.h). Whether the
 * string differs from the field's last value (which a row event would
 * copy, see vg_ev_str) is noted for vg_ev_end_compact, which accounts for
 * it only once the event is kept. */
void vg_ev_cstr_slow(vg_batch *b, uint32_t k, const char *s, size_t n)
{
	assert(b->open && b->crec && n <= VG_MAX_RAW);
	const vg_ctab *t = b->ctab;
	uint32_t fid = t->fids[k], id = cstr_id(b, t, k, s, n);
	uint32_t cid = b->last_cid[fid];
	const char *last = b->last_s[fid];
	int same;
	if (cid)
		same = cid - 1 == id;   /* equal strings have one id */
	else
		same = last && b->last_len[fid] == n && vg_same_bytes(last, s, n);
	if (!same)
		b->cnew |= (uint64_t)1 << k;
	vg_ev_cset(b, k, VG_T_STR, id);
}

void vg_ev_cip6(vg_batch *b, uint32_t k, const uint8_t ip[16])
{
	assert(b->open && b->crec);
	vg_ev_cset(b, k, VG_CT_IP6, vg_strtab_intern(&b->cstrs, (const char *)ip, 16));
}

/* Of eight type bytes x (as memcpy loads them, the first lowest): in
 * *mask bit k set when byte k is not 0, and how many of them, and how
 * many are addresses (VG_T_IP, VG_CT_IP6); without a branch per field
 * (a flow record has 29). */
static inline void types8(uint64_t x, uint64_t *mask, uint64_t *nval, uint64_t *nip)
{
	const uint64_t ones = 0x0101010101010101u, low7 = 0x7f7f7f7f7f7f7f7fu, hi = ~low7;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	x = __builtin_bswap64(x);
#endif
	/* High bit of a byte: the byte is not 0; then, of y, it is 0. */
	uint64_t nz = (((x & low7) + low7) | x) & hi;
	uint64_t y = (x & low7) ^ (ones * VG_T_IP);
	uint64_t ipz = ~((y + low7) | y) & hi;
	/* Bit k of the top byte of the product: byte k's flag. */
	*mask = ((nz >> 7) * 0x0102040810204080u) >> 56;
	*nval += ((nz >> 7) * ones) >> 56;
	*nip += ((ipz >> 7) * ones) >> 56;
}

void vg_ev_end_compact(vg_batch *b)
{
	assert(b->open && b->crec);
	const vg_ctab *t = b->ctab;
	uint64_t *w = b->crec;
	/* The type bytes fill whole words, 0 past the last field. */
	const uint64_t *tw = w + 1 + t->nc;
	uint64_t mask = 0, nval = 0, nip = 0;
	for (uint32_t k = 0; k < t->stride - 1 - t->nc; k++) {
		uint64_t m;
		types8(tw[k], &m, &nval, &nip);
		mask |= m << (8 * k);
	}
	assert(mask != 0);
	w[0] = mask;
	/* What the row form would have held: a vg_field per value, a copy
	 * of each address, a copy of each string that differs from its
	 * field's last value. */
	uint64_t bytes = nval * sizeof(vg_field) + 16 * nip;
	for (uint64_t m = b->cnew; m; m &= m - 1) {
		uint32_t k = (uint32_t)__builtin_ctzll(m);
		uint32_t fid = t->fids[k], id = (uint32_t)w[1 + k];
		bytes += (b->cstrs.lens[id] + 1 + 7) & ~(uint64_t)7;
		b->last_s[fid] = b->cstrs.str[id];
		b->last_len[fid] = b->cstrs.lens[id];
		b->last_cid[fid] = id + 1;
	}
	b->cbytes += bytes;
	b->crec = NULL;
	b->open = 0;
	b->nev++;
}

void vg_ctab_value(const vg_batch *b, const vg_ctab *t, const uint64_t *w, uint32_t k,
		   vg_field *f, uint8_t ip[16])
{
	uint64_t v = w[1 + k];
	memset(f, 0, sizeof *f);
	f->fid = t->fids[k];
	f->type = vg_ctab_types(t, w)[k];
	switch (f->type) {
	case VG_CT_IP6:
		f->type = VG_T_IP;
		f->v.ip = (const uint8_t *)b->cstrs.str[v];
		break;
	case VG_T_STR:
		f->v.s = b->cstrs.str[v];
		f->len = b->cstrs.lens[v];
		break;
	case VG_T_IP:
		memset(ip, 0, 8);
		memcpy(ip + 8, &v, 8);
		f->v.ip = ip;
		break;
	default:
		f->v.i = (int64_t)v;
		break;
	}
}

const vg_field *vg_batch_get(const vg_batch *b, size_t i, const char *name)
{
	uint32_t fid = vg_strtab_find(&b->fields, name, strlen(name));
	if (fid == UINT32_MAX || i >= b->nev)
		return NULL;
	const vg_event *e = &b->ev[i];
	for (uint32_t k = 0; k < e->nfields; k++)
		if (b->f[e->first + k].fid == fid)
			return &b->f[e->first + k];
	return NULL;
}
