/*
 * fuzz_awsconfig.c — the `awsconfig` format over arbitrary documents; the
 * invariants are those of fuzz_document (fuzzutil.h).
 */
#include <stdint.h>

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_document(&vg_fmt_awsconfig, data, size, NULL, 0, 1);
	return 0;
}
