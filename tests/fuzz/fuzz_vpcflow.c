/*
 * fuzz_vpcflow.c — libFuzzer harness for the VPC flow parser (also built as
 * a corpus replay binary with replay.c).
 *
 * Invariants: those of fuzz_lines (fuzzutil.h), where only header lines
 * (which switch the layout) may leave no event; the events marked unparsed
 * carry nothing else; ordinary records carry the raw template and only
 * fields it names.
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_lines(&vg_fmt_vpcflow, data, size, skippable, extra_checks);
	return 0;
}
