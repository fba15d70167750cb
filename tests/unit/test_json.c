/* test_json.c — the json (NDJSON) format. */
#include "parsefix.h"

#define NOW INT64_C(1000000000000000000)

/* Parse the C string s as the next NDJSON chunk; returns the parser's
 * code, also kept in r->rc. */
static int feed_json(run *r, const char *s)
{
	return r->rc = vg_fmt_json.parse(&r->ctx, s, strlen(s));
}

static void test_lines(void **st)
{
	(void)st;
	run r;
	run_start(&r, NOW);
	feed_json(&r, "{\"@timestamp\":\"2024-02-03T04:05:06.789Z\",\"level\":\"warn\",\"http\":{\"status\":403,"
		 "\"path\":\"/admin\"},\"tags\":[\"a\",\"b\"],\"dur\":1.5,\"ok\":false,\"user\":null}\n"
		 "\n"
		 "   \r\n"
		 "{\"msg\":\"caf\\u00e9 \\ud83d\\ude00\",\"big\":18446744073709551616,\"neg\":-7,\"e\":2E2}\r\n");
	assert_int_equal(r.rc, 0);
	assert_int_equal(vg_batch_count(&r.b), 2);
	assert_int_equal(r.b.nparse_errors, 0);
	assert_true(r.b.ev[0].t == iso("2024-02-03T04:05:06.789Z"));
	assert_string_equal(sval(&r, 0, "level"), "warn");
	assert_int_equal(vg_batch_get(&r.b, 0, "http.status")->v.i, 403);
	assert_string_equal(sval(&r, 0, "http.path"), "/admin");
	assert_string_equal(sval(&r, 0, "tags[1]"), "b");
	assert_true(vg_batch_get(&r.b, 0, "dur")->v.d == 1.5);
	assert_string_equal(sval(&r, 0, "ok"), "false");
	assert_null(vg_batch_get(&r.b, 0, "user"));
	assert_int_equal(r.b.ev[0].group, vg_strtab_find(&r.b.groups, "json", 4));
	/* no time key: the ingest time; CRLF not in the raw */
	assert_true(r.b.ev[1].t == NOW);
	assert_string_equal(sval(&r, 1, "msg"), "caf\xc3\xa9 \xf0\x9f\x98\x80");
	assert_int_equal(vg_batch_get(&r.b, 1, "big")->type, VG_T_DBL);
	assert_int_equal(vg_batch_get(&r.b, 1, "neg")->v.i, -7);
	assert_true(vg_batch_get(&r.b, 1, "e")->v.d == 200.0);
	assert_int_equal(r.b.ev[1].raw[r.b.ev[1].rawlen - 1], '}');
	done(&r);
}

static void test_time_keys(void **st)
{
	(void)st;
	static const struct {
		const char *line;
		int64_t t;
	} cases[] = {
		{"{\"timestamp\":\"2024-01-01T00:00:00Z\"}", INT64_C(1704067200000000000)},
		{"{\"time\":1704067200}", INT64_C(1704067200000000000)},
		{"{\"ts\":1704067200123}", INT64_C(1704067200123000000)},
		{"{\"ts\":1704067200123456}", INT64_C(1704067200123456000)},
		{"{\"ts\":1704067200123456789}", INT64_C(1704067200123456789)},
		{"{\"ts\":1704067200.25}", INT64_C(1704067200250000000)},
		{"{\"eventTime\":\"2024-01-01T01:00:00+01:00\"}", INT64_C(1704067200000000000)},
		{"{\"date\":\"2024-01-01\"}", INT64_C(1704067200000000000)},
		/* the first key in preference order wins, whatever the key order */
		{"{\"date\":\"2020-01-01\",\"@timestamp\":\"2024-01-01T00:00:00Z\"}", INT64_C(1704067200000000000)},
		/* a key that holds no time is skipped for the next */
		{"{\"time\":\"12:30\",\"date\":\"2024-01-01\"}", INT64_C(1704067200000000000)},
		{"{\"time\":\"later\"}", NOW},
		{"{\"nested\":{\"time\":1704067200}}", NOW},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		run r;
		run_start(&r, NOW);
		feed_json(&r, cases[i].line);
		assert_int_equal(vg_batch_count(&r.b), 1);
		assert_int_equal(r.b.nparse_errors, 0);
		if (r.b.ev[0].t != cases[i].t)
			fail_msg("case %zu: %lld", i, (long long)r.b.ev[0].t);
		done(&r);
	}
}

static void test_bad_lines(void **st)
{
	(void)st;
	static const char *const cases[][2] = {
		{"{\"a\":1,\"b\":", "input ends at byte 11 where a value was expected"},
		{"{\"a\":\"x}", "unterminated string starting at byte 5"},
		{"{\"a\":1} x", "trailing data after the JSON object at byte 8"},
		{"{\"a\":1}{\"b\":2}", "trailing data after the JSON object at byte 7"},
		{"[1,2]", "not a JSON object: the line starts with an array"},
		{"\"s\"", "not a JSON object: the line starts with a string"},
		{"42", "not a JSON object: the line starts with a number"},
		{"hello {}", "not a JSON object: the line starts with text"},
		{"{'a':1}", "expected a \"key\" at byte 1, found ''' (object opened at byte 0)"},
		{"{\"a\":1,}", "trailing comma before '}' at byte 7"},
		{"{\"a\":0x10}", "invalid number at byte 5"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		run r;
		run_start(&r, NOW);
		vg_buf in = {0};
		vg_buf_printf(&in, "{\"ok\":1}\n%s\n{\"ok\":2}\n", cases[i][0]);
		vg_buf_putc(&in, 0);
		feed_json(&r, (const char *)in.p);
		assert_int_equal(vg_batch_count(&r.b), 3);
		assert_int_equal(r.b.nparse_errors, 1);
		const char *got = sval(&r, 1, "_parse_error");
		if (got == NULL || strcmp(got, cases[i][1]) != 0)
			fail_msg("case %zu: %s", i, got ? got : "(none)");
		/* the whole line, and no half-read fields */
		assert_int_equal(r.b.ev[1].rawlen, strlen(cases[i][0]));
		assert_memory_equal(r.b.ev[1].raw, cases[i][0], strlen(cases[i][0]));
		assert_int_equal(r.b.ev[1].nfields, 1);
		assert_true(r.b.ev[1].t == NOW);
		assert_int_equal(vg_batch_get(&r.b, 2, "ok")->v.i, 2);
		vg_buf_free(&in);
		done(&r);
	}
	/* too deep */
	vg_buf in = {0};
	vg_buf_puts(&in, "{\"a\":");
	for (int i = 0; i < 100; i++)
		vg_buf_putc(&in, '[');
	vg_buf_putc(&in, 0);
	run r;
	run_start(&r, NOW);
	feed_json(&r, (const char *)in.p);
	assert_int_equal(vg_batch_count(&r.b), 1);
	assert_string_equal(sval(&r, 0, "_parse_error"), "nesting deeper than 64 levels at byte 68");
	done(&r);
	vg_buf_free(&in);
}

/* The driver feeds chunks ending on line boundaries; the state carries. */
static void test_chunks_and_state(void **st)
{
	(void)st;
	run r;
	run_start(&r, NOW);
	r.ctx.group = "app";
	feed_json(&r, "{\"a\":1}\n{\"a\":2}\n");
	void *state = r.ctx.state;
	assert_non_null(state);
	feed_json(&r, "{\"a\":3}");
	assert_ptr_equal(r.ctx.state, state);
	assert_int_equal(vg_batch_count(&r.b), 3);
	assert_int_equal(vg_batch_get(&r.b, 2, "a")->v.i, 3);
	assert_int_equal(r.b.ev[2].group, vg_strtab_find(&r.b.groups, "app", 3));
	done(&r);
	/* another format's state is refused, not misread */
	run_start(&r, NOW);
	int other = 0;
	r.ctx.state = &other;
	assert_int_equal(feed_json(&r, "{}"), VG_EINVAL);
	assert_non_null(strstr(r.ctx.err.msg, "another format's state"));
	r.ctx.state = NULL;
	done(&r);
}

static void test_detect(void **st)
{
	(void)st;
	assert_int_equal(vg_fmt_json.detect("{\"a\":1}\n{\"a\":2}\n", 16), 60);
	assert_int_equal(vg_fmt_json.detect("  {\"a\":1}", 9), 60);
	assert_int_equal(vg_fmt_json.detect("{\n  \"a\": 1\n}\n", 13), 30);
	assert_int_equal(vg_fmt_json.detect("{\"a\":\"cut in the mid", 20), 30);
	assert_int_equal(vg_fmt_json.detect("[1]", 3), 0);
	assert_int_equal(vg_fmt_json.detect("a=1 b=2", 7), 0);
	assert_int_equal(vg_fmt_json.detect("", 0), 0);
	assert_int_equal(vg_fmt_json.line_oriented, 1);
	assert_string_equal(vg_fmt_json.name, "json");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_time_keys),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_chunks_and_state),
		cmocka_unit_test(test_detect),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
