/* test_text.c — the fallback text format: one raw event per line. */
#include "parsefix.h"

#define NOW ts(2023, 11, 14, 22, 13, 20)

/* A fixture parsing text at NOW. */
static void fx_init(fx *f)
{
	fx_open(f, &vg_fmt_text, NOW);
}

static void test_lines_and_times(void **st)
{
	(void)st;
	fx f;
	fx_init(&f);
	feeds(&f, "plain line\n"
		  "2024-01-02T03:04:05.5Z started\n"
		  "[2024-01-02T03:04:05+01:00] bracketed\n"
		  "2024-01-02 03:04:05,123 INFO python logging\n"
		  "2024-01-02 only a date\n"
		  "2024-01-02abc not a time\n"
		  "20240102 compact is not ISO\n"
		  "  indented 2024-01-02T03:04:05Z later in the line\n"
		  "2024-13-02T03:04:05Z bad month\n");
	assert_int_equal(vg_batch_count(&f.b), 9);
	assert_int_equal(f.b.nparse_errors, 0);
	int64_t want[] = {
		NOW,
		ts(2024, 1, 2, 3, 4, 5) + 500000000,
		ts(2024, 1, 2, 2, 4, 5),
		ts(2024, 1, 2, 3, 4, 5) + 123000000,
		ts(2024, 1, 2, 0, 0, 0),
		NOW,
		NOW,
		NOW,
		NOW,
	};
	for (size_t i = 0; i < 9; i++) {
		assert_int_equal(f.b.ev[i].t, want[i]);
		assert_int_equal(f.b.ev[i].nfields, 0);
		assert_int_equal(f.b.ev[i].rawtmpl, 0);
		assert_string_equal(vg_strtab_get(&f.b.groups, f.b.ev[i].group, NULL), "text");
	}
	want_raw(&f, 0, "plain line");
	want_raw(&f, 7, "  indented 2024-01-02T03:04:05Z later in the line");
	fx_free(&f);
}

static void test_blank_crlf_empty(void **st)
{
	(void)st;
	fx f;
	fx_init(&f);
	feed(&f, "", 0);
	feeds(&f, "\n\n \t \r\n\r\n");
	assert_int_equal(vg_batch_count(&f.b), 0);
	feeds(&f, "one\r\n\ntwo\r\nthree");
	assert_int_equal(vg_batch_count(&f.b), 3);
	want_raw(&f, 0, "one");
	want_raw(&f, 1, "two");
	want_raw(&f, 2, "three");
	/* Bytes that are not text are still a line. */
	feed(&f, "a\0b\n", 4);
	assert_int_equal(vg_batch_count(&f.b), 4);
	assert_int_equal(f.b.ev[3].rawlen, 3);
	assert_memory_equal(f.b.ev[3].raw, "a\0b", 3);
	fx_free(&f);
}

static void test_long_line(void **st)
{
	(void)st;
	fx f;
	fx_init(&f);
	size_t n = (2u << 20) + 1;
	char *s = malloc(n);
	assert_non_null(s);
	memset(s, 'x', n);
	s[n - 1] = '\n';
	feed(&f, s, n);
	assert_int_equal(vg_batch_count(&f.b), 1);
	assert_int_equal(f.b.nparse_errors, 1);
	assert_int_equal(f.b.ev[0].rawlen, VG_MAX_RAW);
	assert_string_equal(vg_batch_get(&f.b, 0, "_parse_error")->v.s,
			    "message longer than 1 MiB; cut there");
	free(s);
	fx_free(&f);
}

static void test_chunks_and_group(void **st)
{
	(void)st;
	const char *s = "a\n\nb 2024-01-01\n2024-01-01T00:00:00Z c\n";
	fx whole;
	fx_init(&whole);
	feeds(&whole, s);
	size_t len = strlen(s);
	for (size_t cut = 0; cut <= len; cut++) {
		if (cut != 0 && cut != len && s[cut - 1] != '\n')
			continue;
		fx two;
		fx_init(&two);
		two.ctx.group = "misc";
		feed(&two, s, cut);
		feed(&two, s + cut, len - cut);
		assert_int_equal(two.b.nev, whole.b.nev);
		for (size_t i = 0; i < whole.b.nev; i++) {
			assert_int_equal(two.b.ev[i].t, whole.b.ev[i].t);
			assert_int_equal(two.b.ev[i].rawlen, whole.b.ev[i].rawlen);
			assert_memory_equal(two.b.ev[i].raw, whole.b.ev[i].raw,
					    whole.b.ev[i].rawlen);
			assert_string_equal(vg_strtab_get(&two.b.groups, two.b.ev[i].group, NULL),
					    "misc");
		}
		fx_free(&two);
	}
	fx_free(&whole);
}

static void test_detect(void **st)
{
	(void)st;
	/* The fallback: always possible, never preferred. */
	assert_int_equal(vg_fmt_text.detect("", 0), 1);
	assert_int_equal(vg_fmt_text.detect("anything\n", 9), 1);
	assert_string_equal(vg_fmt_text.name, "text");
	assert_int_equal(vg_fmt_text.line_oriented, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_and_times),
		cmocka_unit_test(test_blank_crlf_empty),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_chunks_and_group),
		cmocka_unit_test(test_detect),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
