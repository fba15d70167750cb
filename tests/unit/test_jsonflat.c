/* test_jsonflat.c — the JSON scanner and flattener. */
#include "testutil.h"

#include "parse/jsonflat.h"
#include "parse/parse.h"

/* Flatten json (with prefix) into a new event of b; on error the event is
 * dropped and err holds the message. */
static int flat(vg_batch *b, vg_jflat *jf, const char *json, const char *prefix, vg_err *err)
{
	size_t n = strlen(json), end = 0;
	vg_ev_begin(b, 0, 0, json, n);
	int rc = vg_jflat_value(jf, b, json, n, 0, prefix, &end, err);
	if (rc < 0) {
		vg_ev_abort(b);
		return rc;
	}
	vg_ev_end(b);
	return 0;
}

/* The error message flattening json gives (static buffer). */
static const char *flat_err(const char *json)
{
	static vg_err err;
	vg_batch b;
	vg_jflat jf;
	vg_batch_init(&b);
	vg_jflat_init(&jf);
	memset(&err, 0, sizeof err);
	int rc = flat(&b, &jf, json, NULL, &err);
	vg_jflat_free(&jf);
	vg_batch_free(&b);
	return rc < 0 ? err.msg : NULL;
}

/* The scanner and the flattener must agree on what is valid. */
static const char *skip_err(const char *json)
{
	static vg_err err;
	vg_jspan v;
	memset(&err, 0, sizeof err);
	return vg_json_skip(json, strlen(json), 0, &v, &err) < 0 ? err.msg : NULL;
}

static void assert_str_field(const vg_batch *b, size_t i, const char *name, const char *want)
{
	const vg_field *f = vg_batch_get(b, i, name);
	if (f == NULL)
		fail_msg("field %s missing", name);
	assert_int_equal(f->type, VG_T_STR);
	assert_int_equal(f->len, strlen(want));
	assert_memory_equal(f->v.s, want, strlen(want));
}

static void assert_int_field(const vg_batch *b, size_t i, const char *name, int64_t want)
{
	const vg_field *f = vg_batch_get(b, i, name);
	if (f == NULL)
		fail_msg("field %s missing", name);
	assert_int_equal(f->type, VG_T_INT);
	assert_true(f->v.i == want);
}

static void assert_dbl_field(const vg_batch *b, size_t i, const char *name, double want)
{
	const vg_field *f = vg_batch_get(b, i, name);
	if (f == NULL)
		fail_msg("field %s missing", name);
	assert_int_equal(f->type, VG_T_DBL);
	assert_true(f->v.d == want);
}

static void test_nested_and_arrays(void **st)
{
	(void)st;
	vg_batch b;
	vg_jflat jf;
	vg_err err;
	vg_batch_init(&b);
	vg_jflat_init(&jf);
	const char *j = "{\"userIdentity\":{\"type\":\"IAMUser\",\"sessionContext\":{\"attributes\":"
			"{\"mfaAuthenticated\":\"false\"}}},\"resources\":[{\"ARN\":\"arn:a\"},"
			"{\"ARN\":\"arn:b\",\"tags\":[1,[2,3]]}],\"readOnly\":true,\"mgmt\":false,"
			"\"requestParameters\":null,\"empty\":{},\"none\":[],\"n\":42}";
	assert_int_equal(flat(&b, &jf, j, NULL, &err), 0);
	assert_str_field(&b, 0, "userIdentity.type", "IAMUser");
	assert_str_field(&b, 0, "userIdentity.sessionContext.attributes.mfaAuthenticated", "false");
	assert_str_field(&b, 0, "resources[0].ARN", "arn:a");
	assert_str_field(&b, 0, "resources[1].ARN", "arn:b");
	assert_int_field(&b, 0, "resources[1].tags[0]", 1);
	assert_int_field(&b, 0, "resources[1].tags[1][1]", 3);
	assert_str_field(&b, 0, "readOnly", "true");
	assert_str_field(&b, 0, "mgmt", "false");
	assert_int_field(&b, 0, "n", 42);
	/* null, {} and [] give no field: the raw keeps them. */
	assert_null(vg_batch_get(&b, 0, "requestParameters"));
	assert_null(vg_batch_get(&b, 0, "empty"));
	assert_null(vg_batch_get(&b, 0, "none"));
	assert_int_equal(b.ev[0].nfields, 10);
	/* The same shape again hits the name cache and gives the same names. */
	assert_int_equal(flat(&b, &jf, j, NULL, &err), 0);
	assert_str_field(&b, 1, "resources[1].ARN", "arn:b");
	assert_int_equal(b.ev[1].nfields, 10);
	vg_jflat_free(&jf);
	vg_batch_free(&b);
}

static void test_prefix(void **st)
{
	(void)st;
	vg_batch b;
	vg_jflat jf;
	vg_err err;
	vg_batch_init(&b);
	vg_jflat_init(&jf);
	assert_int_equal(flat(&b, &jf, "{\"PasswordPolicy\":{\"MinimumPasswordLength\":14}}",
			      "configuration", &err), 0);
	assert_int_field(&b, 0, "configuration.PasswordPolicy.MinimumPasswordLength", 14);
	/* A scalar with a prefix is the field named by the prefix. */
	assert_int_equal(flat(&b, &jf, "\"x\"", "name", &err), 0);
	assert_str_field(&b, 1, "name", "x");
	/* An array with a prefix: prefix[i]. */
	assert_int_equal(flat(&b, &jf, "[\"a\",{\"k\":1}]", "list", &err), 0);
	assert_str_field(&b, 2, "list[0]", "a");
	assert_int_field(&b, 2, "list[1].k", 1);
	/* A top-level array without a prefix: [i]. */
	assert_int_equal(flat(&b, &jf, "[7]", NULL, &err), 0);
	assert_int_field(&b, 3, "[0]", 7);
	/* A scalar without a prefix has no name: no field. */
	assert_int_equal(flat(&b, &jf, "7", "", &err), 0);
	assert_int_equal(b.ev[4].nfields, 0);
	vg_jflat_free(&jf);
	vg_batch_free(&b);
}

static void test_numbers(void **st)
{
	(void)st;
	vg_batch b;
	vg_jflat jf;
	vg_err err;
	vg_batch_init(&b);
	vg_jflat_init(&jf);
	assert_int_equal(flat(&b, &jf,
			      "{\"a\":9223372036854775807,\"b\":-9223372036854775808,"
			      "\"c\":9223372036854775808,\"d\":-1.5,\"e\":1e3,\"f\":2.5E-3,"
			      "\"g\":0,\"h\":-0,\"i\":123456789012345678901234567890,\"j\":1.0}",
			      NULL, &err), 0);
	assert_int_field(&b, 0, "a", INT64_MAX);
	assert_int_field(&b, 0, "b", INT64_MIN);
	assert_dbl_field(&b, 0, "c", 9223372036854775808.0);
	assert_dbl_field(&b, 0, "d", -1.5);
	assert_dbl_field(&b, 0, "e", 1000.0);
	assert_dbl_field(&b, 0, "f", 0.0025);
	assert_int_field(&b, 0, "g", 0);
	assert_int_field(&b, 0, "h", 0);
	assert_dbl_field(&b, 0, "i", 123456789012345678901234567890.0);
	assert_dbl_field(&b, 0, "j", 1.0);
	vg_jflat_free(&jf);
	vg_batch_free(&b);

	int64_t v;
	assert_int_equal(vg_json_int("-12", 3, &v), 1);
	assert_true(v == -12);
	assert_int_equal(vg_json_int("1.5", 3, &v), 0);
	assert_int_equal(vg_json_int("-", 1, &v), 0);
	assert_int_equal(vg_json_int("99999999999999999999", 20, &v), 0);

	assert_string_equal(flat_err("{\"a\":01}"), "invalid number at byte 5");
	assert_string_equal(flat_err("{\"a\":-}"), "invalid number at byte 5: a digit must follow '-'");
	assert_string_equal(flat_err("{\"a\":1.}"), "invalid number at byte 5: a digit must follow '.'");
	assert_string_equal(flat_err("{\"a\":1e}"),
			    "invalid number at byte 5: the exponent has no digits");
	assert_string_equal(flat_err("{\"a\":1x}"), "invalid number at byte 5");
	assert_string_equal(flat_err("{\"a\":.5}"), "unexpected '.' at byte 5; expected a value");
	assert_string_equal(flat_err("{\"a\":NaN}"), "unexpected 'N' at byte 5; expected a value");
	assert_string_equal(flat_err("{\"a\":+1}"), "unexpected '+' at byte 5; expected a value");
}

static void test_strings_and_unicode(void **st)
{
	(void)st;
	vg_batch b;
	vg_jflat jf;
	vg_err err;
	vg_batch_init(&b);
	vg_jflat_init(&jf);
	assert_int_equal(flat(&b, &jf,
			      "{\"esc\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\te\","
			      "\"e\":\"caf\\u00e9\",\"euro\":\"\\u20AC\",\"smile\":\"\\ud83d\\ude00!\","
			      "\"lonehi\":\"x\\ud83dy\",\"lonelo\":\"x\\ude00y\",\"hihi\":\"\\ud83d\\ud83d\","
			      "\"nul\":\"a\\u0000b\",\"raw\":\"h\xc3\xa9llo\",\"k\\u0065y\":1,"
			      "\"policy\":\"{\\n  \\\"Version\\\": \\\"2012-10-17\\\"\\n}\"}",
			      NULL, &err), 0);
	assert_str_field(&b, 0, "esc", "a\"b\\c/d\b\f\n\r\te");
	assert_str_field(&b, 0, "e", "caf\xc3\xa9");
	assert_str_field(&b, 0, "euro", "\xe2\x82\xac");
	assert_str_field(&b, 0, "smile", "\xf0\x9f\x98\x80!");
	/* Unpaired surrogates and NUL become U+FFFD. */
	assert_str_field(&b, 0, "lonehi", "x\xef\xbf\xbdy");
	assert_str_field(&b, 0, "lonelo", "x\xef\xbf\xbdy");
	assert_str_field(&b, 0, "hihi", "\xef\xbf\xbd\xef\xbf\xbd");
	assert_str_field(&b, 0, "nul", "a\xef\xbf\xbd" "b");
	assert_str_field(&b, 0, "raw", "h\xc3\xa9llo");
	assert_int_field(&b, 0, "key", 1); /* escaped key decoded */
	assert_str_field(&b, 0, "policy", "{\n  \"Version\": \"2012-10-17\"\n}");
	vg_jflat_free(&jf);
	vg_batch_free(&b);

	vg_buf out = {0};
	assert_int_equal(vg_json_string(" \"a\\u00e9\\n\"", 12, 0, &out, &err), 0);
	assert_int_equal(out.len, 4);
	assert_memory_equal(out.p, "a\xc3\xa9\n", 4);
	out.len = 0;
	assert_true(vg_json_string("42", 2, 0, &out, &err) < 0);
	assert_string_equal(err.msg, "expected a string at byte 0, found '4'");
	vg_buf_free(&out);

	assert_string_equal(flat_err("{\"a\":\"abc"), "unterminated string starting at byte 5");
	assert_string_equal(flat_err("{\"a\":\"ab\nc\"}"),
			    "unterminated string starting at byte 5 (line break at byte 8)");
	assert_string_equal(flat_err("{\"a\":\"a\tb\"}"),
			    "control character 0x09 at byte 7 inside a string; JSON needs it escaped");
	assert_string_equal(flat_err("{\"a\":\"\\x\"}"), "invalid escape '\\x' at byte 6 in a string");
	assert_string_equal(flat_err("{\"a\":\"\\u12g4\"}"),
			    "invalid \\u escape at byte 6: four hex digits must follow");
	assert_string_equal(flat_err("{\"a\":\"\\u12"), "unterminated string starting at byte 5");
	assert_string_equal(flat_err("{\"a\":\"x\\"), "unterminated string starting at byte 5");
}

static void test_structure_errors(void **st)
{
	(void)st;
	const char *cases[][2] = {
		{"{\"a\":1,}", "trailing comma before '}' at byte 7"},
		{"[1,]", "trailing comma before ']' at byte 3"},
		{"{\"a\" 1}", "expected ':' at byte 5 after the key at byte 1, found '1'"},
		{"{a:1}", "expected a \"key\" at byte 1, found 'a' (object opened at byte 0)"},
		{"{\"a\":1 \"b\":2}", "expected ',' or '}' at byte 7, found '\"' (object opened at byte 0)"},
		{"[1 2]", "expected ',' or ']' at byte 3, found '2' (array opened at byte 0)"},
		{"{\"a\":[1,2", "input ends at byte 9 inside the array opened at byte 5"},
		{"{\"a\":{\"b\":1}", "input ends at byte 12 inside the object opened at byte 0"},
		{"{\"a\":", "input ends at byte 5 where a value was expected"},
		{"", "input ends at byte 0 where a value was expected"},
		{"{\"a\":tru", "input ends inside 'true' at byte 5"},
		{"{\"a\":nul}", "unexpected 'n' at byte 5; expected a value"},
		{"{\"a\":truex}", "unexpected 't' at byte 5; expected a value"},
		{"{\"a\":\x01}", "unexpected 0x01 at byte 5; expected a value"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const char *got = flat_err(cases[i][0]);
		if (got == NULL || strcmp(got, cases[i][1]) != 0)
			fail_msg("case %zu %s: got \"%s\"", i, cases[i][0], got ? got : "(ok)");
		got = skip_err(cases[i][0]);
		if (got == NULL || strcmp(got, cases[i][1]) != 0)
			fail_msg("skip case %zu: got \"%s\"", i, got ? got : "(ok)");
	}
}

/* n levels of nested arrays around 1. */
static char *nested(int n)
{
	char *s = malloc((size_t)n * 2 + 2);
	memset(s, '[', (size_t)n);
	s[n] = '1';
	memset(s + n + 1, ']', (size_t)n);
	s[2 * n + 1] = 0;
	return s;
}

static void test_depth_limit(void **st)
{
	(void)st;
	char *ok = nested(VG_MAX_JSON_DEPTH), *deep = nested(VG_MAX_JSON_DEPTH + 1);
	assert_null(flat_err(ok));
	assert_null(skip_err(ok));
	assert_string_equal(flat_err(deep), "nesting deeper than 64 levels at byte 64");
	assert_string_equal(skip_err(deep), "nesting deeper than 64 levels at byte 64");
	vg_err err;
	vg_jspan v;
	assert_int_equal(vg_json_skip(deep, strlen(deep), 0, &v, &err), VG_ELIMIT);
	assert_int_equal(err.pos, 64);
	free(ok);
	free(deep);
	/* Deep objects too, and a very deep input must not exhaust the stack. */
	size_t n = 100000;
	char *huge = malloc(n + 1);
	memset(huge, '[', n);
	huge[n] = 0;
	assert_string_equal(skip_err(huge), "nesting deeper than 64 levels at byte 64");
	free(huge);
}

static void test_name_limit(void **st)
{
	(void)st;
	vg_batch b;
	vg_jflat jf;
	vg_err err;
	vg_batch_init(&b);
	vg_jflat_init(&jf);
	char json[1200], want[VG_MAX_NAME + 1];
	char key[301];
	memset(key, 'k', 300);
	key[300] = 0;
	snprintf(json, sizeof json, "{\"a\":{\"%s\":1,\"%.299sx\":2}}", key, key);
	assert_int_equal(flat(&b, &jf, json, NULL, &err), 0);
	/* a.kkkk... cut at VG_MAX_NAME bytes. */
	want[0] = 'a';
	want[1] = '.';
	memset(want + 2, 'k', VG_MAX_NAME - 2);
	want[VG_MAX_NAME] = 0;
	const vg_field *f = vg_batch_get(&b, 0, want);
	assert_non_null(f);
	/* Both long paths cut to the same name; the later value wins. */
	assert_int_equal(b.ev[0].nfields, 1);
	assert_int_equal(f->v.i, 2);
	vg_jflat_free(&jf);
	vg_batch_free(&b);
}

static void test_scanner(void **st)
{
	(void)st;
	const char *doc = " {\"Records\" : [ {\"a\":1} , {\"b\":[2]},3 ], \"x\\u0079\":\"z\"} trailing";
	size_t n = strlen(doc);
	vg_err err;
	vg_jspan v, k;
	assert_int_equal(vg_json_skip(doc, n, 0, &v, &err), 0);
	assert_int_equal(v.start, 1);
	assert_int_equal(doc[v.end - 1], '}');
	assert_int_equal(vg_json_ws(doc, n, v.end), v.end + 1);

	assert_int_equal(vg_json_find(doc, n, 0, "Records", &v, &err), 1);
	assert_int_equal(doc[v.start], '[');
	vg_json_it it;
	assert_int_equal(vg_json_it_init(&it, doc, n, v.start, &err), 0);
	const char *want[] = {"{\"a\":1}", "{\"b\":[2]}", "3"};
	for (int i = 0; i < 3; i++) {
		assert_int_equal(vg_json_it_next(&it, &k, &v, &err), 1);
		assert_int_equal(v.end - v.start, strlen(want[i]));
		assert_memory_equal(doc + v.start, want[i], strlen(want[i]));
	}
	assert_int_equal(vg_json_it_next(&it, &k, &v, &err), 0);
	assert_int_equal(doc[it.pos - 1], ']');

	/* Escaped keys compare decoded. */
	assert_int_equal(vg_json_find(doc, n, 0, "xy", &v, &err), 1);
	assert_memory_equal(doc + v.start, "\"z\"", 3);
	assert_int_equal(vg_json_find(doc, n, 0, "nope", &v, &err), 0);

	const char *names[] = {"xy", "Records", "nope"};
	vg_jspan vals[3];
	assert_int_equal(vg_json_members(doc, n, 0, names, 3, vals, &err), 0);
	assert_true(vg_jspan_ok(vals[0]) && vg_jspan_ok(vals[1]) && !vg_jspan_ok(vals[2]));

	/* Errors from the iterator carry offsets in the whole buffer. */
	const char *bad = "[{\"a\":1},{\"b\":\"x}]";
	assert_int_equal(vg_json_it_init(&it, bad, strlen(bad), 0, &err), 0);
	assert_int_equal(vg_json_it_next(&it, &k, &v, &err), 1);
	assert_true(vg_json_it_next(&it, &k, &v, &err) < 0);
	assert_string_equal(err.msg, "unterminated string starting at byte 14");
	assert_int_equal(err.pos, 14);
	assert_true(vg_json_it_init(&it, "42", 2, 0, &err) < 0);
	assert_string_equal(err.msg, "expected an object or array at byte 0, found '4'");
	assert_true(vg_json_members("[1]", 3, 0, names, 3, vals, &err) < 0);
	assert_string_equal(err.msg, "expected an object at byte 0, found an array");
	const char *empty = "{ }";
	assert_int_equal(vg_json_it_init(&it, empty, 3, 0, &err), 0);
	assert_int_equal(vg_json_it_next(&it, &k, &v, &err), 0);
	assert_int_equal(it.pos, 3);
}

static void test_time_values(void **st)
{
	(void)st;
	struct {
		const char *json;
		int ok;
		int64_t ns;
	} cases[] = {
		{"\"2024-08-02T08:53:24Z\"", 1, INT64_C(1722588804000000000)},
		{"\"2019-02-22T21:31:57.042Z\"", 1, INT64_C(1550871117042000000)},
		{"\"2024-08-02T10:53:24+02:00\"", 1, INT64_C(1722588804000000000)},
		{"1722588804", 1, INT64_C(1722588804000000000)},
		{"1722588804123", 1, INT64_C(1722588804123000000)},
		{"1722588804123456", 1, INT64_C(1722588804123456000)},
		{"1722588804123456789", 1, INT64_C(1722588804123456789)},
		{"1722588804.5", 1, INT64_C(1722588804500000000)},
		{"\"1722588804\"", 1, INT64_C(1722588804000000000)},
		{"\"20240101\"", 0, 0},
		{"\"2024-08-02T08:53:24Z junk\"", 0, 0},
		{"\"yesterday\"", 0, 0},
		/* years whose nanoseconds overflow int64 are not times */
		{"\"6772-05-05T05:05:05Z\"", 0, 0},
		{"\"1012-01-01\"", 0, 0},
		{"\"2261-12-31T23:59:59Z\"", 1, INT64_C(9214646399000000000)},
		{"\"\"", 0, 0},
		{"true", 0, 0},
		{"99999999999", 0, 0}, /* seconds past 2262: not representable */
		{"-1000", 1, INT64_C(-1000000000000)},
		{"1e300", 0, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		int64_t ns = 0;
		vg_jspan v = {0, strlen(cases[i].json)};
		int ok = vg_json_time(cases[i].json, v, &ns);
		if (ok != cases[i].ok || (ok && ns != cases[i].ns))
			fail_msg("case %zu %s: ok=%d ns=%lld", i, cases[i].json, ok, (long long)ns);
	}
	int64_t ns;
	assert_int_equal(vg_json_time("x", (vg_jspan){0, 0}, &ns), 0);
}

static void test_watch_and_rebind(void **st)
{
	(void)st;
	vg_batch b1, b2;
	vg_jflat jf;
	vg_err err;
	vg_batch_init(&b1);
	vg_batch_init(&b2);
	vg_jflat_init(&jf);
	int w = vg_jflat_watch(&jf, "eventTime");
	int w2 = vg_jflat_watch(&jf, "detail.x");
	const char *j = "{\"detail\":{\"x\":[1]},\"eventTime\":\"t\"}";
	assert_int_equal(flat(&b1, &jf, j, NULL, &err), 0);
	assert_memory_equal(j + jf.watch[w].start, "\"t\"", 3);
	assert_memory_equal(j + jf.watch[w2].start, "[1]", 3);
	/* A second batch has other field ids: the cache must follow. */
	vg_batch_field(&b2, "zzz", 3);
	vg_batch_field(&b2, "yyy", 3);
	assert_int_equal(flat(&b2, &jf, j, NULL, &err), 0);
	assert_str_field(&b2, 0, "eventTime", "t");
	assert_int_field(&b2, 0, "detail.x[0]", 1);
	/* Watches report the last call only. */
	assert_int_equal(flat(&b2, &jf, "{}", NULL, &err), 0);
	assert_false(vg_jspan_ok(jf.watch[w]));
	for (int i = 2; i < VG_JFLAT_MAXWATCH; i++)
		assert_int_equal(vg_jflat_watch(&jf, "x"), i);
	assert_int_equal(vg_jflat_watch(&jf, "x"), -1);
	vg_jflat_free(&jf);
	vg_batch_free(&b1);
	vg_batch_free(&b2);
}

/* Many distinct keys: the cache is dropped and rebuilt, names stay right. */
static void test_cache_bound(void **st)
{
	(void)st;
	vg_batch b;
	vg_jflat jf;
	vg_err err;
	vg_batch_init(&b);
	vg_jflat_init(&jf);
	char json[64];
	for (int i = 0; i < 70000; i++) {
		snprintf(json, sizeof json, "{\"k%d\":%d}", i, i);
		assert_int_equal(flat(&b, &jf, json, NULL, &err), 0);
		if (i % 5000 == 0) {
			vg_batch_clear(&b);
		}
	}
	assert_true(jf.nnodes <= 65536 + 2);
	snprintf(json, sizeof json, "k%d", 69999);
	assert_int_field(&b, vg_batch_count(&b) - 1, json, 69999);
	vg_jflat_free(&jf);
	vg_batch_free(&b);
}

/* Field limit of the batch applies to flattened objects too. */
static void test_many_fields(void **st)
{
	(void)st;
	vg_buf j = {0};
	vg_buf_puts(&j, "{\"a\":[");
	for (int i = 0; i < 1500; i++)
		vg_buf_printf(&j, "%s%d", i ? "," : "", i);
	vg_buf_puts(&j, "]}");
	vg_buf_putc(&j, 0);
	vg_batch b;
	vg_jflat jf;
	vg_err err;
	vg_batch_init(&b);
	vg_jflat_init(&jf);
	assert_int_equal(flat(&b, &jf, (const char *)j.p, NULL, &err), 0);
	assert_int_equal(b.ev[0].nfields, VG_MAX_FIELDS);
	assert_non_null(vg_batch_get(&b, 0, "_parse_error"));
	assert_int_field(&b, 0, "a[0]", 0);
	vg_jflat_free(&jf);
	vg_batch_free(&b);
	vg_buf_free(&j);
}

/* The fields of json flattened by a fresh vg_jflat, as "name=value;"
 * text, or the error message: the reference a warmed cache must match. */
static void fields_text(vg_jflat *jf, const char *json, vg_buf *out)
{
	vg_batch b;
	vg_err err = {0};
	vg_batch_init(&b);
	vg_jflat tmp;
	int own = jf == NULL;
	if (own) {
		vg_jflat_init(&tmp);
		jf = &tmp;
	}
	vg_jflat_rebind(jf, &b); /* a new batch, maybe at the last one's address */
	out->len = 0;
	if (flat(&b, jf, json, NULL, &err) < 0) {
		vg_buf_printf(out, "error: %s", err.msg);
	} else {
		const vg_event *e = &b.ev[0];
		const vg_field *f = vg_event_fields(&b, e);
		for (uint32_t k = 0; k < e->nfields; k++) {
			const char *name = vg_strtab_get(&b.fields, f[k].fid, NULL);
			if (f[k].type == VG_T_STR)
				vg_buf_printf(out, "%s=%.*s;", name, (int)f[k].len, f[k].v.s);
			else
				vg_buf_printf(out, "%s=#%lld;", name, (long long)f[k].v.i);
		}
	}
	vg_buf_putc(out, 0);
	if (own)
		vg_jflat_free(&tmp);
	vg_batch_free(&b);
}

/* Keys are matched against the ones expected from the last record of the
 * same shape; whatever the input, the result is the one of a cold cache. */
static void test_expected_keys(void **st)
{
	(void)st;
	static const char *const docs[] = {
		"{\"a\":1,\"b\":{\"c\":\"x\",\"d\":[1,2]},\"ab\":true}",
		"{\"a\":2,\"b\":{\"c\":\"y\",\"d\":[3,4,5]},\"ab\":false}",
		"{\"b\":{\"d\":[6],\"c\":\"z\"},\"a\":3}",           /* reordered */
		"{\"a\\u0062\":4,\"a\":5}",                          /* escaped "ab" */
		"{\"abc\":6,\"a\":7,\"\":8}",                        /* longer, empty */
		"{\"a\":9,\"b\":[\"e\",\"f\"]}",                     /* object, then array */
		"{\"a\":9,\"b\":{\"0\":\"g\",\"1\":\"h\"}}",         /* keys that look like indexes */
		"{\"a\":9,\"b\":[\"i\"]}",
		"{\"a\\\"b\":1,\"a\\\\b\":2}",                       /* keys that are not clean */
		"{\"a\\\"b\":3,\"a\\\\b\":4}",
		"{\"k\\u0001\":1}",
		"{\"k\001\":1}",                                     /* a raw control byte */
		"{\"a\" 1}",                                         /* errors after a known key */
		"{\"a\":1,\"b\"",
		"{\"a\":1,\"b\":{\"c\"}}",
		"{\"a",
		"{\"a\":1,\"b\":{\"c\":\"x\",\"d\":[1,2]},\"ab\":true}",
	};
	vg_jflat jf;
	vg_jflat_init(&jf);
	vg_buf got = {0}, want = {0};
	for (int pass = 0; pass < 2; pass++) {
		for (size_t k = 0; k < sizeof docs / sizeof *docs; k++) {
			fields_text(&jf, docs[k], &got);
			fields_text(NULL, docs[k], &want);
			assert_string_equal((const char *)got.p, (const char *)want.p);
			/* and errors are the scanner's */
			if (strncmp((const char *)want.p, "error: ", 7) == 0)
				assert_string_equal((const char *)want.p + 7, skip_err(docs[k]));
		}
	}
	fields_text(&jf, docs[3], &got);
	assert_string_equal((const char *)got.p, "ab=#4;a=#5;");
	fields_text(&jf, docs[7], &got);
	assert_string_equal((const char *)got.p, "a=#9;b[0]=i;");
	vg_jflat_free(&jf);
	vg_buf_free(&got);
	vg_buf_free(&want);
}

/* A cache kept across a batch freed and made again at the same address
 * (other field ids) names every field right after vg_jflat_rebind. */
static void test_rebind_same_address(void **st)
{
	(void)st;
	vg_batch b;
	vg_jflat jf;
	vg_err err;
	vg_jflat_init(&jf);
	vg_batch_init(&b);
	const char *j = "{\"x\":1,\"y\":{\"z\":\"q\"}}";
	assert_int_equal(flat(&b, &jf, j, NULL, &err), 0);
	assert_int_field(&b, 0, "x", 1);
	vg_batch_free(&b);
	vg_batch_init(&b);
	vg_batch_field(&b, "other", 5); /* takes the id "x" had */
	vg_jflat_rebind(&jf, &b);
	assert_int_equal(flat(&b, &jf, j, NULL, &err), 0);
	assert_int_field(&b, 0, "x", 1);
	assert_str_field(&b, 0, "y.z", "q");
	assert_null(vg_batch_get(&b, 0, "other"));
	vg_jflat_free(&jf);
	vg_batch_free(&b);
}

static void test_extent(void **st)
{
	(void)st;
	size_t end = 0;
	const char *j = "{\"a\":\"}]\\\"{\",\"b\":[{},[]]} tail";
	assert_int_equal(vg_json_extent(j, strlen(j), 0, 64, &end), 1);
	assert_int_equal(end, strlen(j) - 5);
	assert_int_equal(vg_json_extent("[1,[2]]", 7, 0, 64, &end), 1);
	assert_int_equal(end, 7);
	assert_int_equal(vg_json_extent("[1,[2]]", 7, 0, 1, &end), 0);     /* too deep */
	assert_int_equal(vg_json_extent("{\"a\":\"}", 7, 0, 64, &end), 0); /* open string */
	assert_int_equal(vg_json_extent("{\"a\":{}", 7, 0, 64, &end), 0);  /* unclosed */
	assert_int_equal(vg_json_extent("\"{}\"", 4, 0, 64, &end), 0);     /* not a container */
	assert_int_equal(vg_json_extent("{}", 2, 2, 64, &end), 0);         /* at the end */
	/* a long string, past the eight-byte steps, with escapes in it */
	const char *l = "{\"k\":\"0123456789abcdef\\\\\\\"0123456789}\"}";
	assert_int_equal(vg_json_extent(l, strlen(l), 0, 64, &end), 1);
	assert_int_equal(end, strlen(l));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested_and_arrays),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_strings_and_unicode),
		cmocka_unit_test(test_structure_errors),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_name_limit),
		cmocka_unit_test(test_scanner),
		cmocka_unit_test(test_time_values),
		cmocka_unit_test(test_watch_and_rebind),
		cmocka_unit_test(test_cache_bound),
		cmocka_unit_test(test_many_fields),
		cmocka_unit_test(test_expected_keys),
		cmocka_unit_test(test_rebind_same_address),
		cmocka_unit_test(test_extent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
