#include "testutil.h"

#include "store/colenc.h"
#include "util/simd.h"

/* Encode n INT values (all present) and decode them back; returns the
 * encoded size. The decoded values must equal the input. */
static size_t roundtrip_ints(const int64_t *v, uint32_t n)
{
	vg_field *f = calloc(n, sizeof *f);
	assert_non_null(f);
	for (uint32_t k = 0; k < n; k++) {
		f[k].type = VG_T_INT;
		f[k].v.i = v[k];
	}
	vg_colin in = {n, n, NULL, f, NULL};
	vg_buf out = {0};
	vg_colstat st;
	vg_err e = {0};
	assert_int_equal(vg_col_encode(&in, 3, &out, &st, NULL, &e), 0);
	vg_arena a = {0};
	vg_col col;
	assert_int_equal(vg_col_decode(out.p, out.len, n, NULL, &a, &col, &e), 0);
	int64_t mn = INT64_MAX, mx = INT64_MIN;
	for (uint32_t k = 0; k < n; k++) {
		assert_int_equal(col.types[k], VG_T_INT);
		assert_int_equal(col.i[k], v[k]);
		mn = v[k] < mn ? v[k] : mn;
		mx = v[k] > mx ? v[k] : mx;
	}
	assert_int_equal(st.imin, mn);
	assert_int_equal(st.imax, mx);
	size_t len = out.len;
	vg_arena_free(&a);
	vg_buf_free(&out);
	free(f);
	return len;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Ephemeral ports: wide values of no order. Stored as two byte planes
 * they take at most 2 bytes a value (varints would take 2.4 before zstd,
 * which gains nothing on uniform noise). */
static void test_wide_random_ints(void **st)
{
	(void)st;
	enum { N = 20000 };
	int64_t *v = malloc(N * sizeof *v);
	uint64_t s = 88172645463325252u;
	for (int k = 0; k < N; k++)
		v[k] = 32768 + (int64_t)(rnd(&s) % 28232);
	size_t len = roundtrip_ints(v, N);
	assert_true(len <= (size_t)N * 2 + 64);
	/* Negative and huge values, a common divisor, a single value. */
	for (int k = 0; k < N; k++)
		v[k] = -5000000000 + (int64_t)(rnd(&s) % 1000000) * 1000;
	roundtrip_ints(v, N);
	v[0] = INT64_MIN;
	v[1] = INT64_MAX;
	roundtrip_ints(v, N);
	roundtrip_ints(v, 1);
	free(v);
}

/* Sorted times and small counters keep their compact encodings. */
static void test_ordered_and_small_ints(void **st)
{
	(void)st;
	enum { N = 5000 };
	int64_t *v = malloc(N * sizeof *v);
	for (int k = 0; k < N; k++)
		v[k] = INT64_C(1700000000000000000) + (int64_t)k * 1000000000;
	assert_true(roundtrip_ints(v, N) < 200);
	for (int k = 0; k < N; k++)
		v[k] = k % 7;
	assert_true(roundtrip_ints(v, N) < 2000);
	free(v);
}

/* A chunk whose byte planes claim more bytes than there are is refused. */
static void test_truncated_chunk_refused(void **st)
{
	(void)st;
	enum { N = 4000 };
	int64_t v[N];
	uint64_t s = 7;
	for (int k = 0; k < N; k++)
		v[k] = (int64_t)(rnd(&s) % 60000);
	vg_field f[N];
	memset(f, 0, sizeof f);
	for (int k = 0; k < N; k++) {
		f[k].type = VG_T_INT;
		f[k].v.i = v[k];
	}
	vg_colin in = {N, N, NULL, f, NULL};
	vg_buf out = {0};
	vg_colstat cs;
	vg_err e = {0};
	assert_int_equal(vg_col_encode(&in, 3, &out, &cs, NULL, &e), 0);
	vg_arena a = {0};
	vg_col col;
	/* Claim more rows than were encoded: every decoder must notice. */
	assert_int_equal(vg_col_decode(out.p, out.len, N + 100, NULL, &a, &col, &e), VG_ECORRUPT);
	for (size_t cut = 1; cut < out.len; cut += out.len / 7 + 1)
		assert_int_equal(vg_col_decode(out.p, cut, N, NULL, &a, &col, &e), VG_ECORRUPT);
	vg_arena_free(&a);
	vg_buf_free(&out);
}

/* VIGIL_TEST_NO_SIMD (the suite's second run: Makefile NOSIMD_BINS) turns
 * every SIMD instruction off for the dispatches; without it they follow
 * the CPU. */
static void test_simd_switch(void **state)
{
	(void)state;
	const char *no = getenv("VIGIL_TEST_NO_SIMD");
	unsigned f = vg_simd();
	assert_true(f & VG_SIMD_KNOWN);
	if (no && *no && strcmp(no, "0") != 0) {
		assert_int_equal(f, VG_SIMD_KNOWN);
		return;
	}
#if defined(__x86_64__) && defined(__GNUC__)
	assert_int_equal(!!(f & VG_SIMD_AVX2), !!__builtin_cpu_supports("avx2"));
	assert_int_equal(!!(f & VG_SIMD_AVX512F), !!__builtin_cpu_supports("avx512f"));
	assert_int_equal(!!(f & VG_SIMD_POPCNT), !!__builtin_cpu_supports("popcnt"));
	assert_int_equal(!!(f & VG_SIMD_AVX512DQ), !!__builtin_cpu_supports("avx512dq"));
	assert_int_equal(!!(f & VG_SIMD_AVX512BW), !!__builtin_cpu_supports("avx512bw"));
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wide_random_ints),
		cmocka_unit_test(test_ordered_and_small_ints),
		cmocka_unit_test(test_truncated_chunk_refused),
		cmocka_unit_test(test_simd_switch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
