/*
 * fuzz_logfmt.c — libFuzzer harness for the logfmt parser (also built as a
 * corpus replay binary with replay.c).
 *
 * Invariants: those of fuzz_lines (fuzzutil.h), with no line skipped; and
 * no field has an empty name.
 */
#include <stdint.h>

#include "fuzzutil.h"

/* No field has an empty name. */
static void extra_checks(const vg_batch *b)
{
	for (size_t i = 0; i < b->nev; i++) {
		const vg_event *e = &b->ev[i];
		for (uint32_t k = 0; k < e->nfields; k++) {
			size_t len;
			vg_strtab_get(&b->fields, b->f[e->first + k].fid, &len);
			CHECK(len > 0);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_lines(&vg_fmt_logfmt, data, size, NULL, extra_checks);
	return 0;
}
