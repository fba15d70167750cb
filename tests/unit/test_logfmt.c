/* test_logfmt.c — the logfmt parser: pairs and types, times, escapes,
 * malformed pairs, chunking, detection. */
#include "parsefix.h"

#define NOW ts(2023, 11, 14, 22, 13, 20)

/* A fixture parsing logfmt at NOW. */
static void fx_init(fx *f)
{
	fx_open(f, &vg_fmt_logfmt, NOW);
}

static void test_pairs_and_types(void **st)
{
	(void)st;
	fx f;
	fx_init(&f);
	feeds(&f, "time=2024-01-02T03:04:05Z level=info msg=\"hello \\\"world\\\"\" count=42 "
		  "neg=-7 zero=0 lead=007 float=1.5 empty= flag path=/a?b=c quoted_num=\"42\" "
		  "big=9223372036854775807 bigger=9223372036854775808 minus=- negzero=-0 "
		  "count=43\n");
	assert_int_equal(vg_batch_count(&f.b), 1);
	assert_int_equal(f.b.nparse_errors, 0);
	assert_int_equal(f.b.ev[0].t, ts(2024, 1, 2, 3, 4, 5));
	assert_string_equal(vg_strtab_get(&f.b.groups, f.b.ev[0].group, NULL), "logfmt");
	want_str(&f, 0, "time", "2024-01-02T03:04:05Z");
	want_str(&f, 0, "level", "info");
	want_str(&f, 0, "msg", "hello \"world\"");
	want_int(&f, 0, "count", 43); /* a repeated key keeps the last value */
	want_int(&f, 0, "neg", -7);
	want_int(&f, 0, "zero", 0);
	want_str(&f, 0, "lead", "007");
	want_str(&f, 0, "float", "1.5");
	want_str(&f, 0, "empty", "");
	want_str(&f, 0, "flag", "true");
	want_str(&f, 0, "path", "/a?b=c");
	want_str(&f, 0, "quoted_num", "42");
	want_int(&f, 0, "big", INT64_MAX);
	want_str(&f, 0, "bigger", "9223372036854775808");
	want_str(&f, 0, "minus", "-");
	want_str(&f, 0, "negzero", "-0");
	assert_int_equal(f.b.ev[0].nfields, 16);
	fx_free(&f);
}

static void test_times(void **st)
{
	(void)st;
	fx f;
	fx_init(&f);
	int64_t base = INT64_C(1700000000) * VG_NS_PER_SEC;
	feeds(&f, "ts=1700000000 a=1\n"
		  "ts=1700000000.25 a=1\n"
		  "ts=1700000000123 a=1\n"
		  "ts=1700000000123456 a=1\n"
		  "ts=1700000000123456789 a=1\n"
		  "t=1700000000 a=1\n"
		  "timestamp=\"2024-01-02 03:04:05.5+02:00\" a=1\n"
		  "time=yesterday ts=1700000000 a=1\n"
		  "time=soon a=1\n"
		  "ts=99999999999999999999 a=1\n"
		  "ts=1700000000. a=1\n"
		  "2024-05-06T07:08:09Z level=warn msg=prefixed\n"
		  "2024-05-06T07:08:09Z ts=1700000000 msg=key-wins\n"
		  "tstamp=1700000000 a=1\n");
	assert_int_equal(vg_batch_count(&f.b), 14);
	assert_int_equal(f.b.nparse_errors, 0);
	assert_int_equal(f.b.ev[0].t, base);
	want_int(&f, 0, "ts", 1700000000);
	assert_int_equal(f.b.ev[1].t, base + 250000000);
	assert_int_equal(f.b.ev[2].t, base + 123000000);
	assert_int_equal(f.b.ev[3].t, base + 123456000);
	assert_int_equal(f.b.ev[4].t, base + 123456789);
	assert_int_equal(f.b.ev[5].t, base);
	assert_int_equal(f.b.ev[6].t, ts(2024, 1, 2, 1, 4, 5) + 500000000);
	assert_int_equal(f.b.ev[7].t, base); /* the first key that is a time */
	assert_int_equal(f.b.ev[8].t, NOW);
	assert_int_equal(f.b.ev[9].t, NOW);
	want_str(&f, 9, "ts", "99999999999999999999");
	assert_int_equal(f.b.ev[10].t, NOW);
	assert_int_equal(f.b.ev[11].t, ts(2024, 5, 6, 7, 8, 9));
	want_str(&f, 11, "level", "warn");
	assert_int_equal(f.b.ev[11].nfields, 2); /* the prefix is not a flag */
	assert_int_equal(f.b.ev[12].t, base);
	assert_int_equal(f.b.ev[13].t, NOW);
	fx_free(&f);
}

static void test_escapes(void **st)
{
	(void)st;
	fx f;
	fx_init(&f);
	feeds(&f, "a=\"l1\\nl2\\tx\\\\y\\r\" b=\"unknown \\q kept\" c=\"\" d=\"a=b c\" e=x\"y\n");
	assert_int_equal(f.b.nparse_errors, 0);
	want_str(&f, 0, "a", "l1\nl2\tx\\y\r");
	want_str(&f, 0, "b", "unknown \\q kept");
	want_str(&f, 0, "c", "");
	want_str(&f, 0, "d", "a=b c");
	want_str(&f, 0, "e", "x\"y"); /* a quote inside a bare value is data */
	assert_int_equal(f.b.ev[0].nfields, 5);
	fx_free(&f);
}

static void test_malformed(void **st)
{
	(void)st;
	fx f;
	fx_init(&f);
	feeds(&f, "a=1 =oops b=2\n"
		  "a=1 \"stray quoted\" b=2\n"
		  "a=1 key\"x\" b=2\n"
		  "a=1 msg=\"never closed b=2\n"
		  "just some words\n"
		  "a=1 =x =y\n");
	assert_int_equal(vg_batch_count(&f.b), 6);
	assert_int_equal(f.b.nparse_errors, 6);

	assert_string_equal(perr(&f, 0), "logfmt: \"=\" at byte 4 is not key=value");
	want_int(&f, 0, "a", 1);
	want_int(&f, 0, "b", 2);
	assert_int_equal(f.b.ev[0].nfields, 3);

	assert_string_equal(perr(&f, 1), "logfmt: \"\"\" at byte 4 is not key=value");
	want_int(&f, 1, "b", 2);
	assert_null(get(&f, 1, "quoted"));

	assert_string_equal(perr(&f, 2), "logfmt: \"key\" at byte 4 is not key=value");
	want_int(&f, 2, "b", 2);
	assert_null(get(&f, 2, "key"));

	assert_string_equal(perr(&f, 3),
			    "logfmt: the quoted value of msg (byte 4) has no closing quote");
	want_str(&f, 3, "msg", "never closed b=2");
	assert_null(get(&f, 3, "b"));

	assert_string_equal(perr(&f, 4), "not logfmt: the line has no key=value pair");
	assert_int_equal(f.b.ev[4].nfields, 1);
	want_raw(&f, 4, "just some words");

	/* Only the first problem is reported. */
	assert_string_equal(perr(&f, 5), "logfmt: \"=\" at byte 4 is not key=value");
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(f.b.ev[i].t, NOW);
	fx_free(&f);
}

static void test_blank_crlf_empty(void **st)
{
	(void)st;
	fx f;
	fx_init(&f);
	feed(&f, "", 0);
	feeds(&f, "\n\t \r\n");
	assert_int_equal(vg_batch_count(&f.b), 0);
	feeds(&f, "a=1\r\n\r\n  b=\"2\"  \r\nc=3");
	assert_int_equal(vg_batch_count(&f.b), 3);
	want_raw(&f, 0, "a=1");
	want_raw(&f, 1, "  b=\"2\"  ");
	want_str(&f, 1, "b", "2");
	want_raw(&f, 2, "c=3");
	want_int(&f, 2, "c", 3);
	assert_int_equal(f.b.nparse_errors, 0);
	fx_free(&f);
}

static void test_long_line(void **st)
{
	(void)st;
	fx f;
	fx_init(&f);
	size_t n = (2u << 20) + 10;
	char *s = malloc(n);
	assert_non_null(s);
	memcpy(s, "k=\"", 3);
	memset(s + 3, 'v', n - 3);
	s[n - 2] = '"';
	s[n - 1] = '\n';
	feed(&f, s, n);
	assert_int_equal(vg_batch_count(&f.b), 1);
	assert_int_equal(f.b.nparse_errors, 1);
	assert_int_equal(f.b.ev[0].rawlen, VG_MAX_RAW);
	assert_string_equal(perr(&f, 0), "message longer than 1 MiB; cut there");
	assert_int_equal(get(&f, 0, "k")->len, VG_MAX_RAW);
	free(s);
	fx_free(&f);
}

static void test_chunk_boundaries(void **st)
{
	(void)st;
	const char *s = "ts=1700000000 level=info msg=\"one\"\n"
			"\n"
			"level=error err=\"x \\\" y\" code=500\n"
			"nothing here\n"
			"a=\"open\n"
			"2024-01-01T00:00:00Z k=v\n";
	size_t len = strlen(s);
	fx whole;
	fx_init(&whole);
	feed(&whole, s, len);
	assert_int_equal(vg_batch_count(&whole.b), 5);
	same_at_cuts(fx_init, &whole.b, s, len, 1);
	fx_free(&whole);
}

static void test_group_override(void **st)
{
	(void)st;
	fx f;
	fx_init(&f);
	f.ctx.group = "apps/api";
	feeds(&f, "a=1\nnope\n");
	assert_string_equal(vg_strtab_get(&f.b.groups, f.b.ev[0].group, NULL), "apps/api");
	assert_string_equal(vg_strtab_get(&f.b.groups, f.b.ev[1].group, NULL), "apps/api");
	fx_free(&f);
}

static void test_detect(void **st)
{
	(void)st;
	const char *yes = "time=2024-01-01T00:00:00Z level=info msg=\"user logged in\" user=alice\n"
			  "time=2024-01-01T00:00:01Z level=warn msg=\"slow query\" ms=1200\n"
			  "at=info method=GET path=/ host=x fwd=\"1.2.3.4\" dyno=web.1 conn";
	assert_int_equal(vg_fmt_logfmt.detect(yes, strlen(yes)), 80);
	const char *prefixed = "2024-01-01T00:00:00Z level=info msg=hi\n";
	assert_int_equal(vg_fmt_logfmt.detect(prefixed, strlen(prefixed)), 80);
	assert_int_equal(detect_shared(&vg_fmt_logfmt, "syslog/secure-rhel7.log"), 0);
	assert_int_equal(detect_shared(&vg_fmt_logfmt, "vpcflow/aws-doc-examples.log"), 0);
	const char *no[] = {
		"",
		"{\"a\": \"b=c\"}\n",
		"just some text = with an equals sign\n",
		"GET /index.html?a=b HTTP/1.1 200 1234\n",
	};
	for (size_t i = 0; i < sizeof no / sizeof *no; i++)
		assert_int_equal(vg_fmt_logfmt.detect(no[i], strlen(no[i])), 0);
	const char *mixed = "a=1 b=2\na=1 b=2\na=1 b=2\na=1 b=2\nplain words here\n";
	assert_int_equal(vg_fmt_logfmt.detect(mixed, strlen(mixed)), 60);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pairs_and_types),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_blank_crlf_empty),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_chunk_boundaries),
		cmocka_unit_test(test_group_override),
		cmocka_unit_test(test_detect),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
