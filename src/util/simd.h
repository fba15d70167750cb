/*
 * simd.h — which x86 SIMD instructions the run-time dispatches may use.
 *
 * The block decoders (store/coldec.c, the mirror restore in
 * store/segment.c) and block scans (query/exec_vec.c) ask the CPU before taking an AVX2, AVX-512 or popcnt path, and keep a
 * scalar loop for CPUs without. The machines the tests run on have
 * AVX-512, so the scalar loops would never run there: VIGIL_TEST_NO_SIMD
 * set in the environment (tests only; any value but empty or "0") makes
 * every dispatch take its scalar loop, and the unit suite runs the tests
 * that cover those files a second time with it (Makefile: NOSIMD_BINS).
 * SSE2 is part of x86-64 and is not switched.
 */
#ifndef VG_SIMD_H
#define VG_SIMD_H

#include <stdatomic.h>

enum {
	VG_SIMD_KNOWN = 1, /* the others were worked out */
	VG_SIMD_POPCNT = 2,
	VG_SIMD_AVX2 = 4,
	VG_SIMD_AVX512F = 8,
	VG_SIMD_AVX512DQ = 16,
	VG_SIMD_AVX512BW = 32,
};

/* What vg_simd answers, 0 until worked out (vg_simd_init). */
extern _Atomic unsigned vg_simd_bits;

/* Work out vg_simd_bits from the CPU and the environment, and return it. */
unsigned vg_simd_init(void);

/* The VG_SIMD_ bits of the instructions that may be used. */
static inline unsigned vg_simd(void)
{
	unsigned f = atomic_load_explicit(&vg_simd_bits, memory_order_relaxed);
	return f ? f : vg_simd_init();
}

/* All of the VG_SIMD_ bits in want may be used. */
static inline int vg_simd_has(unsigned want)
{
	return (vg_simd() & want) == want;
}

#endif
