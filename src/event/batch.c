#include "event/batch.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

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
		memset(b->seen + old, 0, (cap - old) * sizeof *b->seen);
		memset(b->last_s + old, 0, (cap - old) * sizeof *b->last_s);
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

void vg_ev_begin(vg_batch *b, uint32_t group, int64_t t, const char *raw, size_t rawlen)
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
	e->raw = vg_arena_dup(&b->arena, raw, rawlen);
	e->rawlen = (uint32_t)rawlen;
	e->nfields = 0;
	e->first = (uint32_t)b->nf;
	b->raw_in = raw;
	b->raw_in_len = rawlen;
	b->open = 1;
	b->overflow = 0;
	if (cut)
		vg_ev_parse_error(b, "message longer than 1 MiB; cut there");
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
static vg_field *slot(vg_batch *b, uint32_t fid)
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
	if (last && b->last_len[fid] == n && memcmp(last, s, n) == 0) {
		f->v.s = last;
		return;
	}
	f->v.s = vg_arena_dup(&b->arena, s, n);
	b->last_s[fid] = f->v.s;
	b->last_len[fid] = (uint32_t)n;
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
	b->open = 0;
	b->nev++;
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
	b->nf = e->first;
	b->open = 0;
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
