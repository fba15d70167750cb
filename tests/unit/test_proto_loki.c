/* test_proto_loki.c — Grafana Loki's push API (JSON). */
#include "protofix.h"

/* One push: its batch, result and error. */
typedef struct push {
	vg_batch b;
	vg_err err;
	uint64_t events;
	int rc;
} push;

static void run_len(push *t, const char *body, size_t len)
{
	memset(t, 0, sizeof *t);
	vg_batch_init(&t->b);
	t->rc = vg_loki_push(&t->b, body, len, NOW, &t->events, &t->err);
	assert_int_equal(t->events, t->b.nev);
	if (t->rc == 0)
		assert_int_equal(t->err.msg[0], 0);
	else
		assert_int_equal(t->b.nev, 0);   /* refused whole: nothing stored */
}

static void run(push *t, const char *body)
{
	run_len(t, body, strlen(body));
}

static void done(push *t)
{
	vg_batch_free(&t->b);
}

/* What promtail and Alloy send, with Loki 3's structured metadata. */
static void test_push(void **st)
{
	(void)st;
	push t;
	run(&t, "{\"streams\":[{\"stream\":{\"job\":\"varlogs\",\"host\":\"web-1\","
		"\"filename\":\"/var/log/auth.log\"},\"values\":["
		"[\"1700000000123456789\",\"sshd[1]: Failed password for root\"],"
		"[\"1700000001000000000\",\"line \\\"two\\\"\\n\",{\"trace_id\":\"abc\",\"host\":\"meta\"}],"
		"[\"1700000002000000000\",\"three\"]]},"
		"{\"stream\":{\"service_name\":\"checkout\",\"job\":\"k8s\",\"level\":\"error\"},"
		"\"values\":[[1700000003000000000,\"from a number\"]]},"
		"{\"stream\":{\"app\":\"x\"},\"values\":[]},"
		"{\"stream\":{\"app\":\"y\"}}]}");
	assert_int_equal(t.rc, 0);
	assert_int_equal(t.b.nev, 4);
	raw_eq(&t.b, 0, "sshd[1]: Failed password for root");
	assert_true(t.b.ev[0].t == INT64_C(1700000000123456789));
	assert_string_equal(group_of(&t.b, 0), "varlogs");
	assert_string_equal(str_of(&t.b, 0, "host"), "web-1");
	assert_string_equal(str_of(&t.b, 0, "filename"), "/var/log/auth.log");
	assert_null(str_of(&t.b, 0, "trace_id"));
	raw_eq(&t.b, 1, "line \"two\"\n");
	assert_string_equal(str_of(&t.b, 1, "trace_id"), "abc");
	assert_string_equal(str_of(&t.b, 1, "host"), "meta");   /* metadata after labels */
	/* Metadata of one value does not leak into the next. */
	assert_null(str_of(&t.b, 2, "trace_id"));
	assert_string_equal(str_of(&t.b, 2, "host"), "web-1");
	assert_string_equal(group_of(&t.b, 3), "checkout");
	assert_string_equal(str_of(&t.b, 3, "level"), "error");
	assert_true(t.b.ev[3].t == INT64_C(1700000003000000000));
	done(&t);

	/* No group label: "loki"; nothing at all: 204 with no events. */
	run(&t, "{\"streams\":[{\"stream\":{\"x\":\"\\u00e9\"},\"values\":[[\"0\",\"\"]]}]}");
	assert_int_equal(t.rc, 0);
	assert_int_equal(t.b.nev, 1);
	assert_string_equal(group_of(&t.b, 0), "loki");
	assert_string_equal(str_of(&t.b, 0, "x"), "\xc3\xa9");
	assert_true(t.b.ev[0].t == 0);
	done(&t);
	run(&t, "{\"streams\":[]}");
	assert_int_equal(t.rc, 0);
	done(&t);
	run(&t, " {} ");
	assert_int_equal(t.rc, 0);
	done(&t);
	run(&t, "{\"streams\":null}");
	assert_int_equal(t.rc, 0);
	done(&t);
}

/* Malformed pushes are refused whole with a message naming the part. */
static void test_refused(void **st)
{
	(void)st;
	static const struct {
		const char *body, *msg;
	} cases[] = {
		{"", "empty"},
		{"  \n", "empty"},
		{"[1]", "must be a JSON object"},
		{"{\"streams\":[", "input ends at byte"},
		{"{\"streams\":[]} x", "unexpected data after the push object"},
		{"{\"streams\":{}}", "\"streams\" is an object, not an array"},
		{"{\"streams\":[5]}", "streams[0] is a number, not an object"},
		{"{\"streams\":[{\"values\":[]}]}", "streams[0] has no \"stream\" labels"},
		{"{\"streams\":[{\"stream\":{},\"values\":[]}]}", "at least one label is required"},
		{"{\"streams\":[{\"stream\":{\"a\":1},\"values\":[]}]}",
		 "streams[0]: the value of \"stream\" key \"a\" is a number, not a string"},
		{"{\"streams\":[{\"stream\":{\"\":\"v\"},\"values\":[]}]}", "has an empty key"},
		{"{\"streams\":[{\"stream\":[],\"values\":[]}]}", "is an array, not an object"},
		{"{\"streams\":[{\"stream\":{\"a\":\"b\"},\"values\":{}}]}", "\"values\" is an object"},
		{"{\"streams\":[{\"stream\":{\"a\":\"b\"},\"values\":[[\"1\"]]}]}",
		 "streams[0].values[0] has 1 elements"},
		{"{\"streams\":[{\"stream\":{\"a\":\"b\"},\"values\":[[\"1\",\"l\",{},4]]}]}", "has 4 elements"},
		{"{\"streams\":[{\"stream\":{\"a\":\"b\"},\"values\":[\"1 line\"]}]}",
		 "streams[0].values[0] is a string, not a [timestamp, line] array"},
		{"{\"streams\":[{\"stream\":{\"a\":\"b\"},\"values\":[[\"abc\",\"l\"]]}]}",
		 "the timestamp \"abc\" is not a number of nanoseconds"},
		{"{\"streams\":[{\"stream\":{\"a\":\"b\"},\"values\":[[\"-5\",\"l\"]]}]}", "timestamp"},
		{"{\"streams\":[{\"stream\":{\"a\":\"b\"},\"values\":[[\"99999999999999999999\",\"l\"]]}]}",
		 "timestamp"},
		{"{\"streams\":[{\"stream\":{\"a\":\"b\"},\"values\":[[1.5e9,\"l\"]]}]}", "timestamp"},
		{"{\"streams\":[{\"stream\":{\"a\":\"b\"},\"values\":[[\"1\",7]]}]}", "the line is a number"},
		{"{\"streams\":[{\"stream\":{\"a\":\"b\"},\"values\":[[\"1\",\"l\",[]]]}]}",
		 "structured metadata is an array"},
		{"{\"streams\":[{\"stream\":{\"a\":\"b\"},\"values\":[[\"1\",\"l\",{\"k\":{}}]]}]}",
		 "streams[0].values[0]: the value of structured metadata key \"k\" is an object"},
		/* A bad value after good ones: still nothing stored. */
		{"{\"streams\":[{\"stream\":{\"a\":\"b\"},\"values\":[[\"1\",\"ok\"],[\"2\",\"ok\"]]},"
		 "{\"stream\":{\"a\":\"c\"},\"values\":[[\"3\",\"ok\"],[\"x\",\"bad\"]]}]}",
		 "streams[1].values[1]: the timestamp"},
		{"{\"streams\":[{\"stream\":{\"a\":\"b\"},\"values\":[[\"1\",\"\x01\"]]}]}",
		 "control character 0x01"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		push t;
		run(&t, cases[i].body);
		if (t.rc != VG_EINVAL || strstr(t.err.msg, cases[i].msg) == NULL)
			fail_msg("case %zu: rc %d: %s", i, t.rc, t.err.msg);
		done(&t);
	}
}

/* Every prefix of a push: refused (nothing stored) or whole. */
static void test_prefixes(void **st)
{
	(void)st;
	static const char body[] =
		"{\"streams\":[{\"stream\":{\"job\":\"a\"},\"values\":[[\"1\",\"x\"],[\"2\",\"y\",{\"m\":\"n\"}]]}]}";
	for (size_t n = 0; n < sizeof body - 1; n++) {
		push t;
		run_len(&t, body, n);
		assert_int_equal(t.rc, VG_EINVAL);
		done(&t);
	}
	push t;
	run_len(&t, body, sizeof body - 1);
	assert_int_equal(t.rc, 0);
	assert_int_equal(t.b.nev, 2);
	done(&t);
}

static void test_content_type(void **st)
{
	(void)st;
	vg_err err = {0};
	assert_int_equal(vg_loki_content_type(NULL, &err), 0);
	assert_int_equal(vg_loki_content_type("application/json", &err), 0);
	assert_int_equal(vg_loki_content_type("Application/JSON; charset=utf-8", &err), 0);
	assert_int_equal(vg_loki_content_type("application/x-protobuf", &err), VG_EINVAL);
	assert_non_null(strstr(err.msg, "JSON only"));
	assert_int_equal(vg_loki_content_type("text/plain", &err), VG_EINVAL);
	assert_non_null(strstr(err.msg, "'text/plain'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_content_type),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
