/* simd.c — which SIMD instructions the dispatches may use (simd.h). */
#include "util/simd.h"

#include <stdlib.h>
#include <string.h>

_Atomic unsigned vg_simd_bits;

unsigned vg_simd_init(void)
{
	/* Scanning threads may race here: they work out the same bits. */
	unsigned f = VG_SIMD_KNOWN;
	const char *no = getenv("VIGIL_TEST_NO_SIMD");
#if defined(__x86_64__) && defined(__GNUC__)
	if (!no || !*no || strcmp(no, "0") == 0) {
		if (__builtin_cpu_supports("popcnt"))
			f |= VG_SIMD_POPCNT;
		if (__builtin_cpu_supports("avx2"))
			f |= VG_SIMD_AVX2;
		if (__builtin_cpu_supports("avx512f"))
			f |= VG_SIMD_AVX512F;
		if (__builtin_cpu_supports("avx512dq"))
			f |= VG_SIMD_AVX512DQ;
		if (__builtin_cpu_supports("avx512bw"))
			f |= VG_SIMD_AVX512BW;
	}
#else
	(void)no;
#endif
	atomic_store_explicit(&vg_simd_bits, f, memory_order_relaxed);
	return f;
}
