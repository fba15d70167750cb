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

/* Compact events (batch.h): only in compact mode and for a template of
 * distinct names; they render as their line, read back as the values
 * given, and count as their row form would; an aborted one leaves no
 * trace. */
static void test_compact_events(void **st)
{
	(void)st;
	vg_batch b, r;
	vg_batch_init(&b);
	vg_batch_init(&r);
	uint32_t g = vg_batch_group(&b, "flows", 5);
	uint32_t tm = vg_batch_tmpl(&b, "n addr s absent", 15);
	uint32_t dup = vg_batch_tmpl(&b, "n n", 3);
	assert_int_equal(vg_ev_begin_compact(&b, g, 1, tm, 16), 0); /* mode off */
	vg_batch_compact(&b, 1);
	assert_int_equal(vg_ev_begin_compact(&b, g, 1, dup, 3), 0);
	assert_int_equal(vg_batch_count(&b), 0);
	/* The same events as rows in r, for the byte count. */
	uint32_t rg = vg_batch_group(&r, "flows", 5);
	uint32_t rtm = vg_batch_tmpl(&r, "n addr s absent", 15);
	uint32_t fn = vg_batch_field(&r, "n", 1), fa = vg_batch_field(&r, "addr", 4);
	uint32_t fs = vg_batch_field(&r, "s", 1);
	static const struct {
		int64_t n;
		const char *addr, *s, *line;
	} ev[] = {
		{-7, "10.0.0.1", "OK", "-7 10.0.0.1 OK -"},
		{8, "192.0.2.200", "OK", "8 192.0.2.200 OK -"},
		{9, "10.0.0.1", "NODATA", "9 10.0.0.1 NODATA -"},
		{10, "10.0.0.1", "OK", "10 10.0.0.1 OK -"},
	};
	for (size_t i = 0; i < sizeof ev / sizeof *ev; i++) {
		uint8_t ip[16];
		assert_int_equal(vg_ip_parse(ev[i].addr, strlen(ev[i].addr), ip), 0);
		size_t len = strlen(ev[i].line);
		/* A start given up on first: nothing of it stays. */
		assert_int_equal(vg_ev_begin_compact(&b, g, 2, tm, len), 1);
		vg_ev_cint(&b, 0, 99);
		vg_ev_cstr(&b, 2, "XX", 2);
		vg_ev_abort(&b);
		assert_int_equal(vg_ev_begin_compact(&b, g, (int64_t)i, tm, len), 1);
		vg_ev_cint(&b, 0, ev[i].n);
		vg_ev_cip4(&b, 1, ip);
		vg_ev_cstr(&b, 2, ev[i].s, strlen(ev[i].s));
		vg_ev_end_compact(&b);
		vg_ev_begin_tmpl(&r, rg, (int64_t)i, ev[i].line, len, rtm);
		vg_ev_int(&r, fn, ev[i].n);
		vg_ev_ip(&r, fa, ip);
		vg_ev_str(&r, fs, ev[i].s, strlen(ev[i].s));
		vg_ev_end_checked(&r);
		assert_int_equal(vg_batch_bytes(&b), vg_batch_bytes(&r));
	}
	assert_int_equal(vg_batch_count(&b), 4);
	assert_int_equal(b.ctabs[tm].n, 4);
	for (size_t i = 0; i < b.nev; i++) {
		const vg_event *e = &b.ev[i];
		assert_int_equal(e->crow, i + 1);
		assert_null(e->raw);
		assert_int_equal(e->t, (int64_t)i);
		vg_buf out = {0};
		vg_event_raw(&b, e, &out);
		assert_int_equal(out.len, strlen(ev[i].line));
		assert_memory_equal(out.p, ev[i].line, out.len);
		vg_buf_free(&out);
		const vg_ctab *t;
		const uint64_t *rec = vg_event_compact(&b, e, &t);
		assert_int_equal(rec[0], 7); /* fields 0, 1, 2; `absent` not */
		vg_field f;
		uint8_t ip[16];
		vg_ctab_value(&b, t, rec, 2, &f, ip);
		assert_int_equal(f.type, VG_T_STR);
		assert_int_equal(f.len, strlen(ev[i].s));
		assert_memory_equal(f.v.s, ev[i].s, f.len);
		vg_ctab_value(&b, t, rec, 1, &f, ip);
		assert_int_equal(f.type, VG_T_IP);
		char text[64];
		size_t tl = vg_ip_format(f.v.ip, text);
		assert_int_equal(tl, strlen(ev[i].addr));
		assert_memory_equal(text, ev[i].addr, tl);
	}
	/* Equal strings share an id. */
	const vg_ctab *t;
	const uint64_t *r0 = vg_event_compact(&b, &b.ev[0], &t);
	const uint64_t *r3 = vg_event_compact(&b, &b.ev[3], &t);
	assert_int_equal(r0[3], r3[3]);
	vg_batch_clear(&b);
	assert_int_equal(vg_batch_bytes(&b), 0);
	assert_int_equal(b.ctabs[tm].n, 0);
	vg_batch_free(&b);
	vg_batch_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_and_read),
		cmocka_unit_test(test_rendered_events),
		cmocka_unit_test(test_compact_events),
		cmocka_unit_test(test_field_limit),
		cmocka_unit_test(test_clear_and_abort),
		cmocka_unit_test(test_raw_and_name_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
