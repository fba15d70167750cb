/*
 * fuzz_awscli.c — the `awscli` format over arbitrary input (invariants:
 * fuzz_document in fuzzutil.h). With an account, the only error is an
 * input that names another account; without one, every input is refused.
 * A credential report of a header alone has no rows, so no event is owed.
 */
#include <stdint.h>

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_document(&vg_fmt_awscli, data, size, "111122223333", 1, 0);
	vg_batch b;
	vg_parse_ctx ctx = {.out = &b};
	vg_batch_init(&b);
	CHECK(vg_fmt_awscli.parse(&ctx, (const char *)data, size) == VG_EINVAL);
	CHECK(vg_batch_count(&b) == 0);
	vg_batch_free(&b);
	return 0;
}
