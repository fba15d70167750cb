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

/* Sealed segments hold filters of these hashes: a change would make
 * searches skip blocks that match. Values pinned from the format's first
 * release; the short tokens also come through the tokenizer's one-word
 * path (hash_spans), which must give the same values. */
static void test_hash_stable(void **st)
{
	(void)st;
	static const struct {
		const char *tok;
		uint64_t h;
	} pin[] = {
		{"admin", 0x40f9819a599dad02ull},
		{"AccessDenied", 0xfec91c427b825f63ull},
		{"x", 0xb0331c037de13afdull},
		{"0123456789abcdefXYZ", 0xf71776d17c407227ull},
	};
	for (size_t k = 0; k < sizeof pin / sizeof pin[0]; k++)
		assert_true(vg_token_hash(pin[k].tok, strlen(pin[k].tok)) == pin[k].h);
	const char *text = "admin AccessDenied x 0123456789abcdefXYZ and some more text";
	hv v = {0};
	vg_tokens(text, strlen(text), push, &v);
	assert_true(v.n >= 4);
	for (size_t k = 0; k < 4; k++)
		assert_true(v.h[k] == pin[k].h);
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

/* The tokenizer reads 64-byte bitmaps; this is its definition byte by byte
 * (bloom.h), to compare with. */
static int ref_breaker(unsigned char c)
{
	return c == 0 || (c >= '\t' && c <= '\r') || strchr(" \"'()[]{}<>,;=|&!?`./:-@_\\#$%+*~", c);
}

typedef struct hlist {
	uint64_t *h;
	size_t n, cap;
} hlist;

static void push_all(uint64_t h, void *ctx)
{
	hlist *l = ctx;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->h = realloc(l->h, l->cap * sizeof *l->h);
		assert_non_null(l->h);
	}
	l->h[l->n++] = h;
}

/* vg_tokens on s[0, n), exactly n bytes allocated (so ASan sees any read
 * past the end), against the byte-by-byte definition. */
static void check_tokens(const char *src, size_t n)
{
	char *s = malloc(n ? n : 1);
	assert_non_null(s);
	memcpy(s, src, n);
	hlist got = {0}, want = {0};
	vg_tokens(s, n, push_all, &got);
	for (size_t i = 0; i < n;) {
		while (i < n && ref_breaker((unsigned char)s[i]))
			i++;
		size_t a = i;
		while (i < n && !ref_breaker((unsigned char)s[i]))
			i++;
		if (i > a)
			push_all(vg_token_hash(s + a, i - a), &want);
	}
	assert_int_equal(got.n, want.n);
	for (size_t k = 0; k < want.n; k++)
		assert_true(got.h[k] == want.h[k]);
	/* The token set of a text is the set of its token hashes: as many,
	 * and adding them all adds nothing. Twice, to see that clearing the
	 * set also forgets the tokens it skips as already seen. */
	vg_tokset t = {0}, all = {0};
	for (size_t k = 0; k < want.n; k++)
		vg_tokset_add(&all, want.h[k]);
	for (int round = 0; round < 2; round++) {
		vg_tokset_clear(&t);
		vg_tokset_add_text(&t, s, n);
		vg_tokset_add_text(&t, s, n);
		size_t got_n = t.n;
		for (size_t k = 0; k < want.n; k++)
			vg_tokset_add(&t, want.h[k]);
		assert_int_equal(got_n, all.n);
		assert_int_equal(t.n, all.n);
	}
	vg_tokset_free(&t);
	vg_tokset_free(&all);
	free(got.h);
	free(want.h);
	free(s);
}

static void test_tokens_match_definition(void **st)
{
	(void)st;
	/* Every byte value, as a token's byte and next to one. */
	for (int c = 0; c < 256; c++) {
		char t[5] = {'a', (char)c, 'b', (char)c, (char)c};
		check_tokens(t, 5);
		check_tokens(t + 1, 1);
	}
	/* Random texts over breakers, letters, digits, control and high
	 * bytes, with tokens of every length around 8 and 64, at every
	 * offset of the 64-byte blocks, and lengths around block edges. */
	static const char alpha[] = "aZ09^\x01\x7f\x80\xff .:/-_\"{}[],\t\n=";
	static char buf[9000];
	uint64_t x = 88172645463325252ull;
	for (int round = 0; round < 3000; round++) {
		size_t n = (size_t)(round % 300);
		if (round % 7 == 0)
			n = 64 * (size_t)(1 + round % 9) + (size_t)(round % 3) - 1;
		/* Long texts: the edge buffer fills and is flushed many times. */
		if (round % 97 == 0)
			n = 64 * 64 * (size_t)(1 + round % 2) + (size_t)(round % 130) - 64;
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			/* runs of one class make long tokens sometimes */
			buf[i] = (x >> 40) % 5 == 0 ? 'q' : alpha[(x >> 8) % (sizeof alpha - 1)];
			if (round % 11 == 0 && (x >> 50) % 3)
				buf[i] = 'L';
		}
		check_tokens(buf, n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_hash_case_and_length),
		cmocka_unit_test(test_hash_stable),
		cmocka_unit_test(test_bloom),
		cmocka_unit_test(test_aligned),
		cmocka_unit_test(test_tokens_match_definition),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
