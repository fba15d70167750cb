/*
 * fuzz_vpcflow.c — libFuzzer harness for the VPC flow parser (also built as
 * a corpus replay binary with replay.c).
 *
 * Invariants: those of fuzz_lines (fuzzutil.h), where only header lines
 * (which switch the layout) may leave no event; the events marked unparsed
 * carry nothing else; ordinary records carry the raw template and only
 * fields it names. And a batch in compact mode (batch.h, what `vigil
 * ingest --seal` parses into) holds the same events as the row batch:
 * times, raw text, every field of a compact record equal to the row
 * event's, and the same vg_batch_bytes.
 */
#include <stdint.h>
#include <string.h>

#include "fuzzutil.h"

/* Skip a CloudWatch `ISO-TIME ` prefix, as the parser does. */
static size_t prefix_len(const char *s, size_t n)
{
	int64_t t;
	size_t k = n > 20 && s[4] == '-' ? vg_parse_iso8601(s, n, &t) : 0;
	return k >= 19 && k < n && s[k] == ' ' ? k + 1 : 0;
}

/* Only a header line (field names only) may leave no event. */
static int skippable(const char *s, size_t n)
{
	size_t i = prefix_len(s, n);
	int words = 0;
	while (i < n) {
		while (i < n && s[i] == ' ')
			i++;
		if (i == n)
			break;
		if (s[i] < 'a' || s[i] > 'z')
			return 0;
		for (; i < n && s[i] != ' '; i++) {
			char c = s[i];
			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
			      c == '_'))
				return 0;
		}
		words++;
	}
	return words > 0;
}

/* 1 if name is one of the space-separated words of tmpl. */
static int in_template(const char *tmpl, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = tmpl; *p;) {
		const char *sp = strchr(p, ' ');
		size_t len = sp ? (size_t)(sp - p) : strlen(p);
		if (len == n && memcmp(p, name, n) == 0)
			return 1;
		p += len + (sp != NULL);
	}
	return 0;
}

/* Unparsed events carry nothing else; an event is rendered from its
 * template exactly when it keeps no raw text (fz_check_lines proves the
 * rendering is the line), never with a CloudWatch prefix, and then has only
 * fields the template names. */
static void extra_checks(const vg_batch *b)
{
	for (size_t i = 0; i < b->nev; i++) {
		const vg_event *e = &b->ev[i];
		if (vg_batch_get(b, i, "_parse_error") != NULL) {
			CHECK(e->nfields == 1 && e->rawtmpl == 0);
			continue;
		}
		/* Rendered (template kept) only without a CloudWatch prefix;
		 * a line without one may still keep its text (`022`). */
		if (e->rawtmpl != 0)
			CHECK(e->raw == NULL);
		else
			CHECK(e->raw != NULL);
		if (e->raw != NULL && prefix_len(e->raw, e->rawlen) != 0)
			CHECK(e->rawtmpl == 0);
		/* b->f is NULL in a batch without fields: no offset from it. */
		if (e->rawtmpl == 0 || e->nfields == 0)
			continue;
		const vg_field *f = b->f + e->first;
		const char *tmpl = vg_strtab_get(&b->tmpls, e->rawtmpl - 1, NULL);
		for (uint32_t k = 0; k < e->nfields; k++)
			CHECK(in_template(tmpl, vg_strtab_get(&b->fields, f[k].fid, NULL)));
	}
}

/* Field fid of batch a (by name) in batch b's field table. */
static int same_name(const vg_batch *a, uint32_t fa, const vg_batch *b, uint32_t fb)
{
	return strcmp(vg_strtab_get(&a->fields, fa, NULL), vg_strtab_get(&b->fields, fb, NULL)) == 0;
}

static int same_value(const vg_field *x, const vg_field *y)
{
	if (x->type != y->type)
		return 0;
	switch (x->type) {
	case VG_T_INT:
		return x->v.i == y->v.i;
	case VG_T_IP:
		return memcmp(x->v.ip, y->v.ip, 16) == 0;
	case VG_T_STR:
		return x->len == y->len && memcmp(x->v.s, y->v.s, x->len) == 0;
	default:
		return 0;
	}
}

/* The input parsed into a compact batch holds what rows (the row batch of
 * the same input) holds. */
static void check_compact(const uint8_t *data, size_t size, const vg_batch *rows)
{
	vg_batch c;
	vg_batch_init(&c);
	vg_batch_compact(&c, 1);
	vg_parse_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	ctx.out = &c;
	ctx.now_ns = INT64_C(1700000000) * VG_NS_PER_SEC;
	ctx.ref_ns = ctx.now_ns;
	CHECK(vg_fmt_vpcflow.parse(&ctx, (const char *)data, size) == 0);
	if (ctx.state)
		ctx.free_state(ctx.state);
	CHECK(c.nev == rows->nev);
	CHECK(c.nparse_errors == rows->nparse_errors);
	CHECK(vg_batch_bytes(&c) == vg_batch_bytes(rows));
	for (size_t i = 0; i < c.nev; i++) {
		const vg_event *x = &rows->ev[i], *y = &c.ev[i];
		CHECK(x->t == y->t && x->rawlen == y->rawlen);
		CHECK((x->rawtmpl == 0) == (y->rawtmpl == 0));
		vg_buf xr = {0};
		vg_event_raw(rows, x, &xr);
		CHECK(fz_raw_is(&c, y, xr.p, xr.len));
		vg_buf_free(&xr);
		if (y->crow == 0) {
			CHECK(x->nfields == y->nfields);
			for (uint32_t k = 0; k < x->nfields; k++) {
				const vg_field *fa = &rows->f[x->first + k], *fb = &c.f[y->first + k];
				CHECK(same_name(rows, fa->fid, &c, fb->fid) && same_value(fa, fb));
			}
			continue;
		}
		/* A compact record: each field present in it is one of the
		 * row event's, with its value, and they are as many. */
		const vg_ctab *t;
		const uint64_t *w = vg_event_compact(&c, y, &t);
		const uint8_t *types = vg_ctab_types(t, w);
		uint32_t present = 0;
		for (uint32_t k = 0; k < t->nc; k++) {
			if (types[k] == 0)
				continue;
			present++;
			vg_field f;
			uint8_t ip[16];
			vg_ctab_value(&c, t, w, k, &f, ip);
			int found = 0;
			for (uint32_t j = 0; j < x->nfields && !found; j++) {
				const vg_field *fa = &rows->f[x->first + j];
				found = same_name(rows, fa->fid, &c, f.fid) && same_value(fa, &f);
			}
			CHECK(found);
		}
		CHECK(present == x->nfields);
	}
	vg_batch_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_lines(&vg_fmt_vpcflow, data, size, skippable, extra_checks);
	vg_batch rows;
	fz_parse_in_two(&vg_fmt_vpcflow, data, size, size, &rows);
	check_compact(data, size, &rows);
	vg_batch_free(&rows);
	return 0;
}
