#include "testutil.h"

#include "store/bloom.h"

typedef struct hv {
	uint64_t h[64];
	int n;
} hv;

static void push(uint64_t h, void *ctx)
{
	hv *v = ctx;
	if (v->n < 64)
		v->h[v->n++] = h;
}

static int has(const hv *v, const char *tok)
{
	uint64_t h = vg_token_hash(tok, strlen(tok));
	for (int k = 0; k < v->n; k++)
		if (v->h[k] == h)
			return 1;
	return 0;
}

static void test_tokens(void **st)
{
	(void)st;
	hv v = {0};
	const char *s = "User: arn:aws:iam::123:user/Bob is not authorized to perform: ec2:Get";
	vg_tokens(s, strlen(s), push, &v);
	assert_true(has(&v, "not"));
	assert_true(has(&v, "authorized"));
	assert_true(has(&v, "AUTHORIZED"));        /* case-insensitive */
	assert_false(has(&v, "arn:aws:iam::123:user/bob")); /* not whole major tokens */
	assert_true(has(&v, "iam"));               /* but their subtokens */
	assert_true(has(&v, "123"));
	assert_true(has(&v, "bob"));
	assert_true(has(&v, "ec2"));
	assert_false(has(&v, "authorize"));        /* tokens, not substrings */
	assert_false(has(&v, "is not"));
}

static void test_hash_case_and_length(void **st)
{
	(void)st;
	/* Only ASCII letters fold; other bytes stay as they are. */
	assert_true(vg_token_hash("AbCdEfGhIjKlMnOpQ", 17) == vg_token_hash("abcdefghijklmnopq", 17));
	assert_true(vg_token_hash("@[`{", 4) != vg_token_hash("`{@[", 4));
	assert_true(vg_token_hash("\xc3\x89", 2) != vg_token_hash("\xe3\xa9", 2));
	assert_true(vg_token_hash("ab", 2) != vg_token_hash("ab\0", 3));
	char a[100], b[100];
	memset(a, 'x', sizeof a);
	memset(b, 'x', sizeof b);
	b[99] = 'y'; /* past VG_TOKEN_MAX: the same token */
	assert_true(vg_token_hash(a, 100) == vg_token_hash(b, 100));
}

static void test_bloom(void **st)
{
	(void)st;
	vg_tokset t = {0};
	char tok[32];
	for (int k = 0; k < 5000; k++) {
		int n = snprintf(tok, sizeof tok, "tok%d", k);
		vg_tokset_add(&t, vg_token_hash(tok, (size_t)n));
		vg_tokset_add(&t, vg_token_hash(tok, (size_t)n)); /* duplicates count once */
	}
	assert_int_equal(t.n, 5000);
	vg_buf b = {0};
	vg_bloom_build(&t, &b);
	int fp = 0;
	for (int k = 0; k < 5000; k++) {
		int n = snprintf(tok, sizeof tok, "tok%d", k);
		assert_true(vg_bloom_maybe(b.p, b.len, vg_token_hash(tok, (size_t)n)));
		n = snprintf(tok, sizeof tok, "other%d", k);
		fp += vg_bloom_maybe(b.p, b.len, vg_token_hash(tok, (size_t)n));
	}
	assert_true(fp < 150); /* about 1% expected */
	/* A malformed filter proves nothing: it says "maybe". */
	assert_true(vg_bloom_maybe(b.p, 3, 42));
	vg_buf_free(&b);
	vg_tokset_free(&t);
}

static void test_aligned(void **st)
{
	(void)st;
	const char *t = "{\"k\":\"abc\",\"u\":\"arn:aws:iam\"}";
	size_t n = strlen(t);
	const char *p = strstr(t, "abc");
	assert_true(vg_token_aligned(t, n, (size_t)(p - t), 3));
	assert_false(vg_token_aligned(t, n, (size_t)(p - t), 2));      /* ab|c */
	assert_false(vg_token_aligned(t, n, (size_t)(p - t) + 1, 2));  /* a|bc */
	p = strstr(t, "aws");
	assert_true(vg_token_aligned(t, n, (size_t)(p - t), 3));       /* :aws: */
	assert_true(vg_token_aligned(t, 3, 0, 3));                     /* whole text */
	assert_false(vg_token_aligned(t, n, n - 1, 5));                /* past the end */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_hash_case_and_length),
		cmocka_unit_test(test_bloom),
		cmocka_unit_test(test_aligned),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
