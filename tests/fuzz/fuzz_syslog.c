/*
 * fuzz_syslog.c — libFuzzer harness for the syslog parser (also built as a
 * corpus replay binary with replay.c).
 *
 * Invariants: those of fuzz_lines (fuzzutil.h), with no line skipped; the
 * events marked unparsed carry nothing else (unless the batch cut a long
 * line); `result` only takes its three values; `pid` is a non-negative int.
 */
#include <stdint.h>
#include <string.h>

#include "fuzzutil.h"

/* The syslog-specific invariants above, for every event of b. */
static void extra_checks(const vg_batch *b)
{
	for (size_t i = 0; i < b->nev; i++) {
		const vg_event *e = &b->ev[i];
		const vg_field *perr = vg_batch_get(b, i, "_parse_error");
		if (perr != NULL && e->rawlen < VG_MAX_RAW)
			CHECK(e->nfields == 1);
		const vg_field *r = vg_batch_get(b, i, "result");
		if (r != NULL)
			CHECK(r->type == VG_T_STR &&
			      (strcmp(r->v.s, "failed") == 0 || strcmp(r->v.s, "accepted") == 0 ||
			       strcmp(r->v.s, "invalid_user") == 0));
		const vg_field *pid = vg_batch_get(b, i, "pid");
		if (pid != NULL)
			CHECK(pid->type == VG_T_INT && pid->v.i >= 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_lines(&vg_fmt_syslog, data, size, NULL, extra_checks);
	return 0;
}
