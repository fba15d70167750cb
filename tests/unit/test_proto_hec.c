/* test_proto_hec.c — Splunk's HTTP Event Collector. */
#include "protofix.h"

/* One HEC request: its batch, result and answer. */
typedef struct req {
	vg_batch b;
	vg_hec_result r;
	vg_buf out;
	int rc;
	unsigned status;
} req;

static void run_opts(req *t, const char *body, size_t len, const vg_hec_opts *o, int raw)
{
	memset(t, 0, sizeof *t);
	vg_batch_init(&t->b);
	t->rc = raw ? vg_hec_raw(&t->b, body, len, o, &t->r) : vg_hec_event(&t->b, body, len, o, &t->r);
	t->status = vg_hec_answer(t->r.code, t->r.invalid_event, &t->out);
	json_ok(&t->out);
	assert_int_equal(t->r.events, t->b.nev);
	assert_int_equal(t->r.parse_errors, t->b.nparse_errors);
	assert_int_equal(t->rc == 0, t->r.code == VG_HEC_SUCCESS);
}

static void run(req *t, const char *body)
{
	vg_hec_opts o = {.now_ns = NOW};
	run_opts(t, body, strlen(body), &o, 0);
}

static void done(req *t)
{
	vg_batch_free(&t->b);
	vg_buf_free(&t->out);
}

/* Concatenated envelopes, as Vector and Fluent Bit send them. */
static void test_events(void **st)
{
	(void)st;
	req t;
	run(&t, "{\"time\":1700000000.123,\"host\":\"web-1\",\"source\":\"/var/log/app.log\","
		"\"sourcetype\":\"app\",\"index\":\"main\",\"event\":\"plain text line\","
		"\"fields\":{\"env\":\"prod\",\"region\":[\"us\",\"eu\"]}}"
		"{\"event\":{\"user\":\"bob\",\"action\":\"login\",\"nested\":{\"k\":1}},"
		"\"time\":\"1700000001\"}\n  {\"event\":\"third\"}\r\n");
	assert_int_equal(t.rc, 0);
	assert_int_equal(t.status, 200);
	text_is(&t.out, "{\"text\":\"Success\",\"code\":0}");
	assert_int_equal(t.b.nev, 3);
	assert_int_equal(t.b.nparse_errors, 0);
	raw_eq(&t.b, 0, "plain text line");
	assert_true(t.b.ev[0].t == INT64_C(1700000000123000000));
	assert_string_equal(group_of(&t.b, 0), "main");
	assert_string_equal(str_of(&t.b, 0, "host"), "web-1");
	assert_string_equal(str_of(&t.b, 0, "source"), "/var/log/app.log");
	assert_string_equal(str_of(&t.b, 0, "sourcetype"), "app");
	assert_string_equal(str_of(&t.b, 0, "env"), "prod");
	assert_string_equal(str_of(&t.b, 0, "region[1]"), "eu");
	raw_eq(&t.b, 1, "{\"user\":\"bob\",\"action\":\"login\",\"nested\":{\"k\":1}}");
	assert_string_equal(str_of(&t.b, 1, "user"), "bob");
	assert_int_equal(int_of(&t.b, 1, "nested.k"), 1);
	assert_true(t.b.ev[1].t == INT64_C(1700000001000000000));
	assert_string_equal(group_of(&t.b, 1), "hec");
	assert_null(str_of(&t.b, 1, "host"));
	raw_eq(&t.b, 2, "third");
	assert_true(t.b.ev[2].t == NOW);
	done(&t);
}

/* Defaults (the token's, or the query's) and which value wins. */
static void test_defaults(void **st)
{
	(void)st;
	static const char body[] =
		"{\"event\":{\"host\":\"inner\",\"msg\":\"x\"},\"host\":\"outer\"}"
		"{\"event\":\"y\",\"index\":\"\"}{\"event\":\"z\",\"index\":\"Sec Ops!\"}"
		"{\"event\":42}{\"event\":[1,\"a\"]}{\"event\":true}";
	vg_hec_opts o = {.now_ns = NOW, .host = "default-host", .sourcetype = "st",
			 .index = "from-token"};
	req t;
	run_opts(&t, body, strlen(body), &o, 0);
	assert_int_equal(t.rc, 0);
	assert_int_equal(t.b.nev, 6);
	assert_string_equal(str_of(&t.b, 0, "host"), "outer");
	raw_eq(&t.b, 0, "{\"host\":\"inner\",\"msg\":\"x\"}");
	assert_string_equal(str_of(&t.b, 0, "sourcetype"), "st");
	assert_null(str_of(&t.b, 0, "source"));
	assert_string_equal(group_of(&t.b, 0), "from-token");
	assert_string_equal(str_of(&t.b, 1, "host"), "default-host");
	assert_string_equal(group_of(&t.b, 1), "from-token");
	assert_string_equal(group_of(&t.b, 2), "Sec_Ops");
	raw_eq(&t.b, 3, "42");
	raw_eq(&t.b, 4, "[1,\"a\"]");
	raw_eq(&t.b, 5, "true");
	done(&t);
}

/* Splunk stops at the first invalid event; vigil keeps it and the rest
 * as raw events with _parse_error. */
static void test_invalid(void **st)
{
	(void)st;
	static const struct {
		const char *body;
		int code;
		long number;
		size_t stored;        /* events stored as usual before it */
		const char *answer;
	} cases[] = {
		{"", VG_HEC_NO_DATA, -1, 0, "{\"text\":\"No data\",\"code\":5}"},
		{" \r\n\t ", VG_HEC_NO_DATA, -1, 0, NULL},
		{"{\"event\":\"a\"}{\"time\":1}", VG_HEC_EVENT_REQUIRED, 1, 1,
		 "{\"text\":\"Event field is required\",\"code\":12,\"invalid-event-number\":1}"},
		{"{\"event\":\"\"}", VG_HEC_EVENT_BLANK, 0, 0,
		 "{\"text\":\"Event field cannot be blank\",\"code\":13,\"invalid-event-number\":0}"},
		{"{\"event\":null}", VG_HEC_EVENT_BLANK, 0, 0, NULL},
		{"{\"event\":\"a\",\"time\":\"abc\"}", VG_HEC_INVALID_FORMAT, 0, 0,
		 "{\"text\":\"Invalid data format\",\"code\":6,\"invalid-event-number\":0}"},
		{"{\"event\":\"a\",\"time\":1e400}", VG_HEC_INVALID_FORMAT, 0, 0, NULL},
		{"{\"event\":\"a\",\"time\":[1]}", VG_HEC_INVALID_FORMAT, 0, 0, NULL},
		{"{\"event\":\"a\",\"host\":5}", VG_HEC_INVALID_FORMAT, 0, 0, NULL},
		{"{\"event\":\"a\",\"index\":{}}", VG_HEC_INVALID_FORMAT, 0, 0, NULL},
		{"{\"event\":\"a\",\"fields\":[1]}", VG_HEC_INDEXED_FIELDS, 0, 0,
		 "{\"text\":\"Error in handling indexed fields\",\"code\":15,\"invalid-event-number\":0}"},
		{"[{\"event\":\"a\"}]", VG_HEC_INVALID_FORMAT, 0, 0, NULL},
		{"{\"event\":\"a\"", VG_HEC_INVALID_FORMAT, 0, 0, NULL},
		{"{\"event\":\"a\"} garbage", VG_HEC_INVALID_FORMAT, 1, 1, NULL},
		{"{\"event\":\"a\"},{\"event\":\"b\"}", VG_HEC_INVALID_FORMAT, 1, 1, NULL},
		{"{\"event\":\"a\"}{\"event\":\"b\"}{\"event\":\"c\",\"fields\":5}{\"event\":\"d\"}",
		 VG_HEC_INDEXED_FIELDS, 2, 2, NULL},
		{"{\"event\":\"\x01\0\"}", VG_HEC_INVALID_FORMAT, 0, 0, NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		req t;
		vg_hec_opts o = {.now_ns = NOW};
		size_t len = strlen(cases[i].body);
		if (i == sizeof cases / sizeof *cases - 1)
			len = 14;   /* with its NUL */
		run_opts(&t, cases[i].body, len, &o, 0);
		if (t.rc != VG_EINVAL || t.r.code != cases[i].code || t.r.invalid_event != cases[i].number)
			fail_msg("case %zu: rc %d code %d number %ld (%s)", i, t.rc, t.r.code,
				 t.r.invalid_event, t.r.detail);
		assert_int_equal(t.status, 400);
		assert_true(t.r.detail[0] != 0);
		if (cases[i].answer)
			text_is(&t.out, cases[i].answer);
		/* Nothing sent is lost: after the events stored as usual, the
		 * invalid one and the rest are raw events with _parse_error. */
		int empty = vg_json_ws(cases[i].body, len, 0) >= len;
		assert_int_equal(t.b.nev, cases[i].stored + (empty ? 0 : 1));
		for (size_t k = 0; k < t.b.nev; k++)
			assert_int_equal(vg_batch_get(&t.b, k, "_parse_error") != NULL, k >= cases[i].stored);
		done(&t);
	}
	/* The kept rest is the bytes from the invalid envelope on. */
	req t;
	run(&t, "{\"event\":\"a\"}\n{\"event\":\"b\",\"time\":\"x\"}\n{\"event\":\"c\"}\n");
	assert_int_equal(t.b.nev, 2);
	raw_eq(&t.b, 1, "{\"event\":\"b\",\"time\":\"x\"}\n{\"event\":\"c\"}\n");
	assert_non_null(strstr(str_of(&t.b, 1, "_parse_error"), "HEC event 1 (at byte 14)"));
	assert_non_null(strstr(str_of(&t.b, 1, "_parse_error"), "\"time\" is not an epoch time"));
	done(&t);
}

/* Strings with escapes, invalid UTF-8 and \u0000. */
static void test_strings(void **st)
{
	(void)st;
	req t;
	run(&t, "{\"event\":\"tab\\there \\u0000 \\ud83d\\ude00 \xff\",\"host\":\"h\\\"q\"}");
	assert_int_equal(t.rc, 0);
	raw_eq(&t.b, 0, "tab\there \xef\xbf\xbd \xf0\x9f\x98\x80 \xff");
	assert_string_equal(str_of(&t.b, 0, "host"), "h\"q");
	done(&t);
}

/* Every prefix of a body: no crash, the events before the cut stored. */
static void test_prefixes(void **st)
{
	(void)st;
	static const char body[] = "{\"time\":1700000000,\"event\":{\"a\":[1,2,{\"b\":\"c\"}]},"
				   "\"fields\":{\"f\":\"v\"}}\n{\"event\":\"second\",\"host\":\"h\"}";
	for (size_t n = 0; n <= sizeof body - 1; n++) {
		req t;
		vg_hec_opts o = {.now_ns = NOW};
		run_opts(&t, body, n, &o, 0);
		if (vg_json_ws(body, n, 0) < n)
			assert_true(t.b.nev >= 1);
		done(&t);
	}
}

/* /services/collector/raw: lines, metadata from the query string. */
static void test_raw(void **st)
{
	(void)st;
	vg_hec_opts o = {.now_ns = NOW, .host = "fw-1", .sourcetype = "pan:traffic", .index = "net"};
	static const char body[] = "line one\r\nline two\n\n   \nline three";
	req t;
	run_opts(&t, body, sizeof body - 1, &o, 1);
	assert_int_equal(t.rc, 0);
	assert_int_equal(t.b.nev, 3);
	raw_eq(&t.b, 0, "line one");
	raw_eq(&t.b, 2, "line three");
	assert_string_equal(str_of(&t.b, 1, "host"), "fw-1");
	assert_string_equal(str_of(&t.b, 1, "sourcetype"), "pan:traffic");
	assert_null(str_of(&t.b, 1, "source"));
	assert_string_equal(group_of(&t.b, 1), "net");
	assert_true(t.b.ev[1].t == NOW);
	done(&t);

	vg_hec_opts none = {.now_ns = NOW};
	run_opts(&t, "\n\r\n", 3, &none, 1);
	assert_int_equal(t.rc, VG_EINVAL);
	assert_int_equal(t.r.code, VG_HEC_NO_DATA);
	assert_int_equal(t.status, 400);
	done(&t);
	run_opts(&t, "x\0y", 3, &none, 1);
	assert_int_equal(t.rc, 0);
	raw_eqn(&t.b, 0, "x\0y", 3);
	assert_string_equal(group_of(&t.b, 0), "hec");
	done(&t);
}

static void test_routes(void **st)
{
	(void)st;
	assert_int_equal(vg_hec_route("/services/collector"), VG_HEC_EVENT);
	assert_int_equal(vg_hec_route("/services/collector/event"), VG_HEC_EVENT);
	assert_int_equal(vg_hec_route("/services/collector/event/1.0"), VG_HEC_EVENT);
	assert_int_equal(vg_hec_route("/services/collector/event/"), VG_HEC_EVENT);
	assert_int_equal(vg_hec_route("/services/collector/raw"), VG_HEC_RAW);
	assert_int_equal(vg_hec_route("/services/collector/raw/1.0"), VG_HEC_RAW);
	assert_int_equal(vg_hec_route("/services/collector/health"), VG_HEC_HEALTH);
	assert_int_equal(vg_hec_route("/services/collector/ack"), VG_HEC_ACK);
	assert_int_equal(vg_hec_route("/services/collectorx"), VG_HEC_NOT_MINE);
	assert_int_equal(vg_hec_route("/services/collector/other"), VG_HEC_NOT_MINE);
	assert_int_equal(vg_hec_route("/_bulk"), VG_HEC_NOT_MINE);
	assert_int_equal(vg_hec_route(NULL), VG_HEC_NOT_MINE);
}

static void test_token(void **st)
{
	(void)st;
	const char *tok;
	size_t n;
	assert_int_equal(vg_hec_token("Splunk 1234-abcd", &tok, &n), VG_HEC_SUCCESS);
	assert_int_equal(n, 9);
	assert_memory_equal(tok, "1234-abcd", 9);
	assert_int_equal(vg_hec_token("  splunk \t x1 ", &tok, &n), VG_HEC_SUCCESS);
	assert_int_equal(n, 2);
	assert_int_equal(vg_hec_token(NULL, &tok, &n), VG_HEC_TOKEN_REQUIRED);
	assert_int_equal(vg_hec_token("  ", &tok, &n), VG_HEC_TOKEN_REQUIRED);
	assert_int_equal(vg_hec_token("Bearer x", &tok, &n), VG_HEC_INVALID_AUTH);
	assert_int_equal(vg_hec_token("Splunk", &tok, &n), VG_HEC_INVALID_AUTH);
	assert_int_equal(vg_hec_token("Splunk   ", &tok, &n), VG_HEC_INVALID_AUTH);
	assert_int_equal(vg_hec_token("Splunkx y", &tok, &n), VG_HEC_INVALID_AUTH);
	assert_int_equal(vg_hec_token("Splunk a b", &tok, &n), VG_HEC_INVALID_AUTH);
	assert_null(tok);
}

static void test_answers(void **st)
{
	(void)st;
	static const unsigned want[] = {200, 403, 401, 401, 403, 400, 400, 400, 500,
					503, 400, 400, 400, 400, 400, 400, 400, 200};
	for (int code = 0; code < 18; code++) {
		vg_buf out = {0};
		assert_int_equal(vg_hec_answer(code, -1, &out), want[code]);
		json_ok(&out);
		vg_buf_free(&out);
	}
	vg_buf out = {0};
	assert_int_equal(vg_hec_answer(99, -1, &out), 500);
	text_is(&out, "{\"text\":\"Internal server error\",\"code\":8}");
	out.len = 0;
	assert_int_equal(vg_hec_answer(VG_HEC_HEALTHY, -1, &out), 200);
	text_is(&out, "{\"text\":\"HEC is healthy\",\"code\":17}");
	vg_buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_answers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
