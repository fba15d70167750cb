/*
 * fuzz_cw.c — libFuzzer harness for CloudWatch filter patterns (query/cw.h),
 * also built as a corpus replay binary with replay.c.
 *
 * The whole input is compiled as a pattern; when it holds a newline, the
 * part before the first one is also compiled and matched against the part
 * after it, so the fuzzer reaches the message side (JSON, field splitting)
 * with patterns that compile.
 *
 * Invariants:
 *  - compiling never crashes; a failure is VG_EINVAL, leaves no pattern,
 *    and has a message and a position in [-1, pattern length];
 *  - a compiled pattern has a kind, and gives the same answer twice;
 *  - a pattern that says it matches everything matches every message;
 *  - every message it matches holds each required literal at a place that
 *    respects the literal's bounds, and (for store/bloom.h) each required
 *    token; JSON literals are checked on messages without escapes only.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/cw.h"
#include "store/bloom.h"

/* Abort with the failed condition: libFuzzer and the replay both report
 * it, and it holds even when NDEBUG disables assert(). */
#define CHECK(c)                                                                         \
	do {                                                                             \
		if (!(c)) {                                                              \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, \
				#c);                                                     \
			abort();                                                         \
		}                                                                        \
	} while (0)

/* Messages of the kinds vigil stores: a VPC flow line, a CloudTrail
 * record, an auth.log line, an access log line, an empty message. */
static const char *const fixed_msgs[] = {
	"2 123456789012 eni-0a1b2c3d 203.0.113.12 10.0.1.5 51234 22 6 3 180 1700000000 "
	"1700000060 REJECT OK",
	"{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":"
	"\"arn:aws:iam::123456789012:user/alice\",\"userName\":\"alice\"},\"eventTime\":"
	"\"2024-08-02T08:53:24Z\",\"eventSource\":\"signin.amazonaws.com\",\"eventName\":"
	"\"ConsoleLogin\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"203.0.113.12\","
	"\"errorCode\":\"AccessDenied\",\"responseElements\":{\"ConsoleLogin\":\"Success\"},"
	"\"additionalEventData\":{\"MFAUsed\":\"No\",\"n\":[1,2.5,-3e2,true,null]},"
	"\"readOnly\":false,\"resources\":[{\"ARN\":\"arn:aws:s3:::b\",\"type\":\"AWS::S3::Bucket\"}],"
	"\"cluster.name\":\"c\",\"requestParameters\":null}",
	"Feb 22 16:45:20 slave22 sshd[2738]: Failed password for root from 202.109.143.106 "
	"port 1786 ssh2",
	"127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] \"GET /index.html HTTP/1.0\" 404 1534",
	"",
};

static int is_breaker(char c)
{
	char two[2] = {c, 'a'};
	return vg_token_aligned(two, 2, 1, 1);
}

/* 1 if l occurs in msg with a breaker or an edge wherever it is bound. */
static int lit_present(const vg_cw_lit *l, const char *msg, size_t n)
{
	if (l->len > n)
		return 0;
	for (size_t i = 0; i + l->len <= n; i++) {
		if (memcmp(msg + i, l->s, l->len) != 0)
			continue;
		int left = !l->bound_left || i == 0 || is_breaker(msg[i - 1]);
		int right = !l->bound_right || i + l->len == n || is_breaker(msg[i + l->len]);
		if (left && right)
			return 1;
	}
	return 0;
}

typedef struct hashes {
	uint64_t *h;
	size_t n, cap;
} hashes;

static void hash_add(uint64_t h, void *ctx)
{
	hashes *s = ctx;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->h = realloc(s->h, s->cap * sizeof *s->h);
		CHECK(s->h != NULL);
	}
	s->h[s->n++] = h;
}

static int hash_has(const hashes *s, uint64_t h)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->h[i] == h)
			return 1;
	return 0;
}

/* The promises of the required literals and tokens, on a match. */
static void check_required(const vg_cw *p, const char *msg, size_t n)
{
	int escaped = memchr(msg, '\\', n) != NULL;
	const vg_cw_lit *l;
	size_t nl = vg_cw_required(p, &l);
	for (size_t i = 0; i < nl; i++) {
		CHECK(l[i].s != NULL && strlen(l[i].s) == l[i].len && l[i].len > 0);
		if (!(l[i].json && escaped))
			CHECK(lit_present(&l[i], msg, n));
	}
	if (escaped && vg_cw_kind(p) == VG_CW_JSON)
		return;
	hashes req = {0}, have = {0};
	vg_cw_required_tokens(p, hash_add, &req);
	vg_tokens(msg, n, hash_add, &have);
	for (size_t i = 0; i < req.n; i++)
		CHECK(hash_has(&have, req.h[i]));
	free(req.h);
	free(have.h);
}

static void check_match(const vg_cw *p, const char *msg, size_t n)
{
	int r = vg_cw_match(p, msg, n);
	CHECK(r == 0 || r == 1);
	CHECK(vg_cw_match(p, msg, n) == r);
	if (vg_cw_matches_all(p))
		CHECK(r == 1);
	if (r)
		check_required(p, msg, n);
}

/* Compile s[0..n); on success match it against msgs and return it. */
static vg_cw *compile_checked(const char *s, size_t n)
{
	vg_cw *p = (vg_cw *)&p;
	vg_err err;
	memset(&err, 0, sizeof err);
	int rc = vg_cw_compile(s, n, &p, &err);
	if (rc != 0) {
		CHECK(rc == VG_EINVAL && p == NULL);
		CHECK(err.code == VG_EINVAL && err.msg[0] != 0);
		CHECK(memchr(err.msg, 0, sizeof err.msg) != NULL);
		CHECK(err.pos >= -1 && err.pos <= (int64_t)n);
		return NULL;
	}
	CHECK(p != NULL);
	int kind = vg_cw_kind(p);
	CHECK(kind == VG_CW_TERMS || kind == VG_CW_DELIMITED || kind == VG_CW_JSON);
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A private copy, so reading past the end is caught by ASan. */
	char *s = malloc(size ? size : 1);
	CHECK(s != NULL);
	memcpy(s, data, size);
	vg_cw *p = compile_checked(s, size);
	if (p) {
		for (size_t i = 0; i < sizeof fixed_msgs / sizeof *fixed_msgs; i++)
			check_match(p, fixed_msgs[i], strlen(fixed_msgs[i]));
		check_match(p, s, size);
		vg_cw_free(p);
	}
	const char *nl = memchr(s, '\n', size);
	if (nl) {
		size_t k = (size_t)(nl - s);
		p = compile_checked(s, k);
		if (p) {
			/* The message, again in its own exact-size buffer. */
			char *msg = malloc(size - k - 1 ? size - k - 1 : 1);
			CHECK(msg != NULL);
			memcpy(msg, s + k + 1, size - k - 1);
			check_match(p, msg, size - k - 1);
			free(msg);
			vg_cw_free(p);
		}
	}
	free(s);
	return 0;
}
