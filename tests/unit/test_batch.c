#include "testutil.h"

#include "event/batch.h"
#include "util/ip.h"

static void test_build_and_read(void **st)
{
	(void)st;
	vg_batch b;
	vg_batch_init(&b);
	uint32_t g = vg_batch_group(&b, "vpcflow", 7);
	uint32_t port = vg_batch_field(&b, "dstport", 7);
	uint32_t act = vg_batch_field(&b, "action", 6);
	vg_ev_begin(&b, g, 42, "line one", 8);
	vg_ev_int(&b, port, 22);
	vg_ev_str(&b, act, "REJECT", 6);
	vg_ev_int(&b, port, 23); /* a repeated field keeps the last value */
	vg_ev_end(&b);
	assert_int_equal(vg_batch_count(&b), 1);
	assert_int_equal(b.ev[0].nfields, 2);
	const vg_field *f = vg_batch_get(&b, 0, "dstport");
	assert_non_null(f);
	assert_int_equal(f->v.i, 23);
	f = vg_batch_get(&b, 0, "action");
	assert_string_equal(f->v.s, "REJECT");
	assert_null(vg_batch_get(&b, 0, "srcaddr"));
	assert_memory_equal(b.ev[0].raw, "line one", 8);
	vg_batch_free(&b);
}

static void test_field_limit(void **st)
{
	(void)st;
	vg_batch b;
	vg_batch_init(&b);
	vg_ev_begin(&b, 0, 1, "x", 1);
	for (int i = 0; i < VG_MAX_FIELDS + 50; i++) {
		char name[32];
		int n = snprintf(name, sizeof name, "f%d", i);
		vg_ev_int(&b, vg_batch_field(&b, name, (size_t)n), i);
	}
	vg_ev_end(&b);
	assert_int_equal(b.ev[0].nfields, VG_MAX_FIELDS);
	const vg_field *pe = vg_batch_get(&b, 0, "_parse_error");
	assert_non_null(pe);
	assert_non_null(strstr(pe->v.s, "1000 fields"));
	assert_int_equal(b.nparse_errors, 1);
	vg_batch_free(&b);
}

static void test_clear_and_abort(void **st)
{
	(void)st;
	vg_batch b;
	vg_batch_init(&b);
	uint32_t a = vg_batch_field(&b, "a", 1);
	vg_ev_begin(&b, 0, 1, "x", 1);
	vg_ev_int(&b, a, 1);
	vg_ev_abort(&b);
	vg_ev_begin(&b, 0, 2, "y", 1);
	vg_ev_int(&b, a, 2);
	vg_ev_end(&b);
	assert_int_equal(vg_batch_count(&b), 1);
	assert_int_equal(b.ev[0].nfields, 1);
	assert_int_equal(vg_batch_get(&b, 0, "a")->v.i, 2);
	vg_batch_clear(&b);
	assert_int_equal(vg_batch_count(&b), 0);
	vg_ev_begin(&b, 0, 3, "z", 1);
	vg_ev_int(&b, a, 3);
	vg_ev_end(&b);
	assert_int_equal(b.ev[0].nfields, 1);
	vg_batch_free(&b);
}

static void test_raw_and_name_limits(void **st)
{
	(void)st;
	vg_batch b;
	vg_batch_init(&b);
	size_t big = VG_MAX_RAW + 100;
	char *raw = malloc(big);
	memset(raw, 'a', big);
	vg_ev_begin(&b, 0, 1, raw, big);
	vg_ev_end(&b);
	assert_int_equal(b.ev[0].rawlen, VG_MAX_RAW);
	const vg_field *pe = vg_batch_get(&b, 0, "_parse_error");
	assert_non_null(pe);
	assert_non_null(strstr(pe->v.s, "longer than 1 MiB"));
	/* A name past VG_MAX_NAME is cut there: two names differing only
	 * after it are one field. */
	char n1[VG_MAX_NAME + 10], n2[VG_MAX_NAME + 10];
	memset(n1, 'x', sizeof n1);
	memcpy(n2, n1, sizeof n2);
	n2[VG_MAX_NAME + 5] = 'y';
	assert_int_equal(vg_batch_field(&b, n1, sizeof n1), vg_batch_field(&b, n2, sizeof n2));
	/* Repeated string values share one copy; different ones do not. */
	uint32_t f = vg_batch_field(&b, "s", 1);
	for (int i = 0; i < 3; i++) {
		vg_ev_begin(&b, 0, 2 + i, "x", 1);
		vg_ev_str(&b, f, i < 2 ? "same" : "other", i < 2 ? 4 : 5);
		vg_ev_end(&b);
	}
	assert_ptr_equal(vg_batch_get(&b, 1, "s")->v.s, vg_batch_get(&b, 2, "s")->v.s);
	assert_ptr_not_equal(vg_batch_get(&b, 2, "s")->v.s, vg_batch_get(&b, 3, "s")->v.s);
	assert_string_equal(vg_batch_get(&b, 3, "s")->v.s, "other");
	/* A value that is a slice of the raw text knows where it stands. */
	const char *line = "k=hello there";
	vg_ev_begin(&b, 0, 9, line, strlen(line));
	vg_ev_str(&b, f, line + 2, 5);
	vg_ev_end(&b);
	assert_int_equal(vg_batch_get(&b, 4, "s")->raw_off, 3);
	free(raw);
	vg_batch_free(&b);
}


/* A line that is exactly its fields through the template is rendered: no
 * copy kept, printed back identically. Any difference keeps the raw text. */
static void test_rendered_events(void **st)
{
	(void)st;
	vg_batch b;
	vg_batch_init(&b);
	uint32_t g = vg_batch_group(&b, "flows", 5);
	uint32_t tm = vg_batch_tmpl(&b, "n addr s absent", 15);
	uint32_t fn = vg_batch_field(&b, "n", 1), fa = vg_batch_field(&b, "addr", 4);
	uint32_t fs = vg_batch_field(&b, "s", 1);
	static const char *lines[] = {
		"-7 10.0.0.1 OK -",   /* exact: rendered */
		"07 10.0.0.1 OK -",   /* leading zero */
		"-7 10.0.0.01 OK -",  /* address not canonical */
		"-7 10.0.0.1 OK x",   /* a value where the template has none */
		"-7 10.0.0.1 OK  -",  /* two spaces */
		"-7 10.0.0.1 OK -\n", /* trailing byte */
	};
	uint8_t ip[16];
	assert_int_equal(vg_ip_parse("10.0.0.1", 8, ip), 0);
	for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
		char buf[64];
		size_t n = strlen(lines[i]);
		memcpy(buf, lines[i], n);
		vg_ev_begin_tmpl(&b, g, 1, buf, n, tm);
		vg_ev_int(&b, fn, -7);
		vg_ev_ip(&b, fa, ip);
		vg_ev_str(&b, fs, buf + 12, 2); /* a slice of the line */
		vg_ev_end(&b);
		memset(buf, '#', sizeof buf);   /* the batch kept what it needs */
	}
	for (size_t i = 0; i < b.nev; i++) {
		const vg_event *e = &b.ev[i];
		assert_int_equal(e->raw == NULL, i == 0);
		assert_int_equal(e->rawtmpl != 0, i == 0);
		vg_buf out = {0};
		vg_event_raw(&b, e, &out);
		assert_int_equal(out.len, strlen(lines[i]));
		assert_memory_equal(out.p, lines[i], out.len);
		vg_buf_free(&out);
	}
	/* An event flagged unparsed keeps its text even if it would render. */
	vg_ev_begin_tmpl(&b, g, 1, "1 10.0.0.1 OK -", 15, tm);
	vg_ev_int(&b, fn, 1);
	vg_ev_ip(&b, fa, ip);
	vg_ev_str(&b, fs, "OK", 2);
	vg_ev_parse_error(&b, "test");
	vg_ev_end(&b);
	assert_non_null(b.ev[b.nev - 1].raw);
	assert_int_equal(b.ev[b.nev - 1].rawtmpl, 0);
	vg_batch_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_and_read),
		cmocka_unit_test(test_rendered_events),
		cmocka_unit_test(test_field_limit),
		cmocka_unit_test(test_clear_and_abort),
		cmocka_unit_test(test_raw_and_name_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
