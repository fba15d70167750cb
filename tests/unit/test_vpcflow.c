/* test_vpcflow.c — the VPC Flow Logs parser: sample files, layouts,
 * chunking, malformed input, detection. */
#include "parsefix.h"

#include <arpa/inet.h>

#include "util/ip.h"

#define NOW (INT64_C(1700000000) * VG_NS_PER_SEC)
#define SEC(s) (INT64_C(s) * VG_NS_PER_SEC)

/* A fixture parsing vpcflow at NOW. */
static void fx_init(fx *f)
{
	fx_open(f, &vg_fmt_vpcflow, NOW);
}

static char *sample(const char *name, size_t *len)
{
	char rel[256];
	snprintf(rel, sizeof rel, "vpcflow/%s", name);
	return read_shared(rel, len);
}

static const char *group_name(const fx *f, size_t i)
{
	return vg_strtab_get(&f->b.groups, f->b.ev[i].group, NULL);
}

static const char *tmpl_of(const fx *f, size_t i)
{
	uint32_t t = f->b.ev[i].rawtmpl;
	return t ? vg_strtab_get(&f->b.tmpls, t - 1, NULL) : NULL;
}

/* Rebuild event i's raw text from its template the way the store does
 * (decimal ints, canonical IPs, strings as they are, `-` when absent) and
 * compare: the template must describe the line exactly. */
static void want_roundtrip(const fx *f, size_t i)
{
	const char *t = tmpl_of(f, i);
	assert_non_null(t);
	char out[4096];
	size_t o = 0;
	while (*t) {
		const char *sp = strchr(t, ' ');
		size_t n = sp ? (size_t)(sp - t) : strlen(t);
		char name[256];
		memcpy(name, t, n);
		name[n] = 0;
		const vg_field *x = get(f, i, name);
		if (o)
			out[o++] = ' ';
		if (x == NULL)
			out[o++] = '-';
		else if (x->type == VG_T_INT)
			o += (size_t)snprintf(out + o, sizeof out - o, "%lld", (long long)x->v.i);
		else if (x->type == VG_T_IP)
			o += vg_ip_format(x->v.ip, out + o);
		else {
			memcpy(out + o, x->v.s, x->len);
			o += x->len;
		}
		t += n + (sp != NULL);
	}
	out[o] = 0;
	/* Rendered: the batch keeps no copy, and prints the same text. */
	assert_null(f->b.ev[i].raw);
	assert_int_equal(f->b.ev[i].rawlen, o);
	vg_buf raw = {0};
	vg_event_raw(&f->b, &f->b.ev[i], &raw);
	assert_int_equal(raw.len, o);
	assert_memory_equal(raw.p, out, o);
	vg_buf_free(&raw);
}

static const char V2_HDR[] = "version account-id interface-id srcaddr dstaddr srcport dstport "
			     "protocol packets bytes start end action log-status";

static void test_aws_doc_examples(void **st)
{
	(void)st;
	size_t len;
	char *s = sample("aws-doc-examples.log", &len);
	fx f;
	fx_init(&f);
	feed(&f, s, len);
	assert_int_equal(vg_batch_count(&f.b), 4); /* the header line is not an event */
	assert_int_equal(f.b.nparse_errors, 0);

	want_raw(&f, 0, "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 "
			"6 20 4249 1418530010 1418530070 ACCEPT OK");
	assert_int_equal(f.b.ev[0].t, SEC(1418530010));
	assert_int_equal(f.b.ev[0].nfields, 14);
	want_int(&f, 0, "version", 2);
	want_str(&f, 0, "account-id", "123456789010");
	want_str(&f, 0, "interface-id", "eni-1235b8ca123456789");
	want_ip(&f, 0, "srcaddr", "172.31.16.139");
	want_ip(&f, 0, "dstaddr", "172.31.16.21");
	want_int(&f, 0, "srcport", 20641);
	want_int(&f, 0, "dstport", 22);
	want_int(&f, 0, "protocol", 6);
	want_int(&f, 0, "packets", 20);
	want_int(&f, 0, "bytes", 4249);
	want_int(&f, 0, "start", 1418530010);
	want_int(&f, 0, "end", 1418530070);
	want_str(&f, 0, "action", "ACCEPT");
	want_str(&f, 0, "log-status", "OK");
	assert_string_equal(group_name(&f, 0), "vpcflow");
	assert_string_equal(tmpl_of(&f, 0), V2_HDR);

	want_ip(&f, 1, "srcaddr", "172.31.9.69");
	want_ip(&f, 1, "dstaddr", "172.31.9.12");
	want_int(&f, 1, "srcport", 49761);
	want_int(&f, 1, "dstport", 3389);
	want_str(&f, 1, "action", "REJECT");
	assert_int_equal(f.b.ev[1].t, SEC(1418530010));

	/* NODATA / SKIPDATA: events with only what the record has. */
	assert_int_equal(f.b.ev[2].nfields, 6);
	want_int(&f, 2, "version", 2);
	want_str(&f, 2, "account-id", "123456789010");
	want_str(&f, 2, "interface-id", "eni-1235b8ca123456789");
	want_int(&f, 2, "start", 1431280876);
	want_int(&f, 2, "end", 1431280934);
	want_str(&f, 2, "log-status", "NODATA");
	const char *gone[] = {"srcaddr", "dstaddr", "srcport", "dstport", "protocol",
			      "packets", "bytes", "action"};
	for (size_t k = 0; k < sizeof gone / sizeof *gone; k++) {
		want_absent(&f, 2, gone[k]);
		want_absent(&f, 3, gone[k]);
	}
	assert_int_equal(f.b.ev[2].t, SEC(1431280876));
	want_str(&f, 3, "interface-id", "eni-11111111aaaaaaaaa");
	want_str(&f, 3, "log-status", "SKIPDATA");
	assert_int_equal(f.b.ev[3].t, SEC(1431280876));
	for (size_t i = 0; i < 4; i++)
		want_roundtrip(&f, i);
	fx_free(&f);
	free(s);
}

static const char V5_HDR[] =
	"version srcaddr dstaddr srcport dstport protocol start end type packets bytes account-id "
	"vpc-id subnet-id instance-id interface-id region az-id sublocation-type sublocation-id "
	"action tcp-flags pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service "
	"traffic-path flow-direction log-status";

static void test_aws_doc_examples_v5(void **st)
{
	(void)st;
	size_t len;
	char *s = sample("aws-doc-examples-v5.log", &len);
	fx f;
	fx_init(&f);
	feed(&f, s, len);
	assert_int_equal(vg_batch_count(&f.b), 2);
	assert_int_equal(f.b.nparse_errors, 0);

	assert_int_equal(f.b.ev[0].t, SEC(1616729292));
	assert_int_equal(f.b.ev[0].nfields, 25); /* 29 named, 4 absent */
	want_int(&f, 0, "version", 5);
	want_ip(&f, 0, "srcaddr", "52.95.128.179");
	want_ip(&f, 0, "dstaddr", "10.0.0.71");
	want_int(&f, 0, "srcport", 80);
	want_int(&f, 0, "dstport", 34210);
	want_int(&f, 0, "protocol", 6);
	want_int(&f, 0, "start", 1616729292);
	want_int(&f, 0, "end", 1616729349);
	want_str(&f, 0, "type", "IPv4");
	want_int(&f, 0, "packets", 14);
	want_int(&f, 0, "bytes", 15044);
	want_str(&f, 0, "account-id", "123456789012");
	want_str(&f, 0, "vpc-id", "vpc-abcdefab012345678");
	want_str(&f, 0, "subnet-id", "subnet-aaaaaaaa012345678");
	want_str(&f, 0, "instance-id", "i-0c50d5961bcb2d47b");
	want_str(&f, 0, "interface-id", "eni-1235b8ca123456789");
	want_str(&f, 0, "region", "ap-southeast-2");
	want_str(&f, 0, "az-id", "apse2-az3");
	want_absent(&f, 0, "sublocation-type");
	want_absent(&f, 0, "sublocation-id");
	want_str(&f, 0, "action", "ACCEPT");
	want_int(&f, 0, "tcp-flags", 19);
	want_ip(&f, 0, "pkt-srcaddr", "52.95.128.179");
	want_ip(&f, 0, "pkt-dstaddr", "10.0.0.71");
	want_str(&f, 0, "pkt-src-aws-service", "S3");
	want_absent(&f, 0, "pkt-dst-aws-service");
	want_absent(&f, 0, "traffic-path");
	want_str(&f, 0, "flow-direction", "ingress");
	want_str(&f, 0, "log-status", "OK");

	assert_int_equal(f.b.ev[1].nfields, 26);
	want_ip(&f, 1, "srcaddr", "10.0.0.71");
	want_int(&f, 1, "srcport", 34210);
	want_int(&f, 1, "dstport", 80);
	want_int(&f, 1, "packets", 7);
	want_int(&f, 1, "bytes", 471);
	want_int(&f, 1, "tcp-flags", 3);
	want_absent(&f, 1, "pkt-src-aws-service");
	want_str(&f, 1, "pkt-dst-aws-service", "S3");
	want_int(&f, 1, "traffic-path", 8);
	want_str(&f, 1, "flow-direction", "egress");
	assert_string_equal(tmpl_of(&f, 1), V5_HDR);
	want_roundtrip(&f, 0);
	want_roundtrip(&f, 1);
	fx_free(&f);
	free(s);
}

static void test_cloudwatch_export(void **st)
{
	(void)st;
	size_t len;
	char *s = sample("cloudwatch-export.log", &len);
	fx f;
	fx_init(&f);
	feed(&f, s, len);
	assert_int_equal(vg_batch_count(&f.b), 1);
	assert_int_equal(f.b.nparse_errors, 0);
	want_raw(&f, 0, "2018-09-22T20:28:14.000Z 2 633112549318 eni-d68830d4 209.141.42.153 "
			"10.155.108.192 54252 8088 6 1 40 1537648094 1537648129 ACCEPT OK");
	assert_int_equal(f.b.ev[0].t, SEC(1537648094));
	assert_int_equal(f.b.ev[0].nfields, 14);
	want_int(&f, 0, "version", 2);
	want_str(&f, 0, "account-id", "633112549318");
	want_str(&f, 0, "interface-id", "eni-d68830d4");
	want_ip(&f, 0, "srcaddr", "209.141.42.153");
	want_ip(&f, 0, "dstaddr", "10.155.108.192");
	want_int(&f, 0, "srcport", 54252);
	want_int(&f, 0, "dstport", 8088);
	want_int(&f, 0, "protocol", 6);
	want_int(&f, 0, "packets", 1);
	want_int(&f, 0, "bytes", 40);
	want_int(&f, 0, "end", 1537648129);
	want_str(&f, 0, "action", "ACCEPT");
	want_str(&f, 0, "log-status", "OK");
	/* The prefix is not a field, so the raw line cannot be a template. */
	assert_null(tmpl_of(&f, 0));
	fx_free(&f);
	free(s);
}

static void test_cloudwatch_time_fallback(void **st)
{
	(void)st;
	fx f;
	fx_init(&f);
	feeds(&f, "2018-09-22T20:30:00.500Z 2 633112549318 eni-1 - - - - - - - - - - NODATA\n"
		  "2 633112549318 eni-1 - - - - - - - - - - NODATA\n");
	assert_int_equal(vg_batch_count(&f.b), 2);
	assert_int_equal(f.b.nparse_errors, 0);
	/* No start: the CloudWatch time, or the ingest time without it. */
	assert_int_equal(f.b.ev[0].t, SEC(1537648200) + 500000000);
	assert_int_equal(f.b.ev[1].t, NOW);
	fx_free(&f);
}

static void test_header_switch(void **st)
{
	(void)st;
	fx f;
	fx_init(&f);
	/* A default line, then three layouts in one concatenated file. */
	feeds(&f, "2 1 eni-a 10.0.0.1 10.0.0.2 1 2 6 3 4 100 160 ACCEPT OK\n"
		  "version srcaddr dstaddr action log-status\n"
		  "3 10.0.0.3 10.0.0.4 REJECT OK\n"
		  "\n"
		  "dstaddr srcaddr my-custom-thing tcp-flags\n"
		  "10.0.0.6 10.0.0.5 hello 2\n"
		  "version account-id interface-id srcaddr dstaddr srcport dstport protocol "
		  "packets bytes start end action log-status\n"
		  "2 1 eni-b 10.0.0.7 10.0.0.8 5 6 17 7 8 200 260 ACCEPT OK\n");
	assert_int_equal(vg_batch_count(&f.b), 4);
	assert_int_equal(f.b.nparse_errors, 0);
	want_int(&f, 0, "dstport", 2);
	assert_int_equal(f.b.ev[0].t, SEC(100));
	assert_string_equal(tmpl_of(&f, 0), V2_HDR);

	assert_int_equal(f.b.ev[1].nfields, 5);
	want_int(&f, 1, "version", 3);
	want_ip(&f, 1, "srcaddr", "10.0.0.3");
	want_str(&f, 1, "action", "REJECT");
	assert_int_equal(f.b.ev[1].t, NOW); /* this layout has no start */
	assert_string_equal(tmpl_of(&f, 1), "version srcaddr dstaddr action log-status");

	want_ip(&f, 2, "dstaddr", "10.0.0.6");
	want_ip(&f, 2, "srcaddr", "10.0.0.5");
	want_str(&f, 2, "my-custom-thing", "hello"); /* unknown names are strings */
	want_int(&f, 2, "tcp-flags", 2);
	assert_string_equal(tmpl_of(&f, 2), "dstaddr srcaddr my-custom-thing tcp-flags");

	want_int(&f, 3, "protocol", 17);
	assert_int_equal(f.b.ev[3].t, SEC(200));
	for (size_t i = 0; i < 4; i++)
		want_roundtrip(&f, i);
	fx_free(&f);
}

/* Feed s whole, then split at every line boundary: same events each time. */
static void check_chunking(const char *s, size_t len)
{
	fx whole;
	fx_init(&whole);
	feed(&whole, s, len);
	same_at_cuts(fx_init, &whole.b, s, len, 1);
	fx_free(&whole);
}

static void test_chunk_boundaries(void **st)
{
	(void)st;
	const char *files[] = {"aws-doc-examples.log", "aws-doc-examples-v5.log",
			       "cloudwatch-export.log"};
	char all[8192];
	size_t alen = 0;
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		size_t len;
		char *s = sample(files[i], &len);
		check_chunking(s, len);
		assert_true(alen + len < sizeof all);
		memcpy(all + alen, s, len);
		alen += len;
		free(s);
	}
	/* The concatenation switches layouts twice across chunk boundaries. */
	check_chunking(all, alen);
	const char *bad = "2 1 eni-a 10.0.0.1\n\n   \nversion srcaddr\n3 x\n2 x y\n";
	check_chunking(bad, strlen(bad));
}

/* Events keep pointing at the right names when the ctx outlives its batch
 * (freed and re-initialised at the same address, with other ids first). */
static void test_batch_reuse(void **st)
{
	(void)st;
	fx f;
	fx_init(&f);
	feeds(&f, "version srcaddr dstport action\n4 10.0.0.1 22 ACCEPT\n");
	vg_batch_free(&f.b);
	vg_batch_init(&f.b);
	vg_batch_field(&f.b, "something-else", 14);
	vg_batch_field(&f.b, "and-more", 8);
	feeds(&f, "4 10.0.0.2 23 REJECT\n");
	assert_int_equal(vg_batch_count(&f.b), 1);
	want_int(&f, 0, "version", 4);
	want_ip(&f, 0, "srcaddr", "10.0.0.2");
	want_int(&f, 0, "dstport", 23);
	want_str(&f, 0, "action", "REJECT");
	assert_string_equal(tmpl_of(&f, 0), "version srcaddr dstport action");
	/* And after vg_batch_clear the same ids serve. */
	vg_batch_clear(&f.b);
	feeds(&f, "4 10.0.0.3 24 REJECT\n");
	want_int(&f, 0, "dstport", 24);
	fx_free(&f);
}

static void test_wrong_field_count(void **st)
{
	(void)st;
	fx f;
	fx_init(&f);
	feeds(&f, "2 123456789010 eni-1 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 "
		  "1418530070 ACCEPT\n"
		  "2 123456789010 eni-1 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 "
		  "1418530070 ACCEPT OK extra\n");
	assert_int_equal(vg_batch_count(&f.b), 2);
	assert_int_equal(f.b.nparse_errors, 2);
	assert_string_equal(perr(&f, 0),
			    "VPC flow record has 13 fields; the default version-2 format has 14 "
			    "(version account-id interface-id srcaddr dstaddr srcport dstport "
			    "protocol packets bytes start end action log-status) and no header "
			    "line announced another layout");
	assert_non_null(strstr(perr(&f, 1), "has 15 fields"));
	/* A raw event: nothing but the error, the ingest time, no template. */
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(f.b.ev[i].nfields, 1);
		assert_int_equal(f.b.ev[i].t, NOW);
		assert_null(tmpl_of(&f, i));
		assert_string_equal(group_name(&f, i), "vpcflow");
	}
	want_raw(&f, 0, "2 123456789010 eni-1 172.31.16.139 172.31.16.21 20641 22 6 20 4249 "
			"1418530010 1418530070 ACCEPT");

	feeds(&f, "version srcaddr dstaddr\n5 10.0.0.1\n");
	assert_int_equal(vg_batch_count(&f.b), 3);
	assert_string_equal(perr(&f, 2), "VPC flow record has 2 fields but the header line names "
					 "3 (version srcaddr dstaddr)");
	assert_int_equal(f.b.nparse_errors, 3);

	/* A name longer than 64 bytes is not a header (the batch would cut it,
	 * and the template would name a field that does not exist). */
	char line[128];
	snprintf(line, sizeof line, "version %065d\n5 10.0.0.1\n", 0);
	for (char *p = line + 8; *p == '0'; p++)
		*p = 'a';
	feeds(&f, line);
	assert_int_equal(vg_batch_count(&f.b), 5);
	assert_non_null(strstr(perr(&f, 3), "has 2 fields but the header line names 3"));
	assert_non_null(strstr(perr(&f, 4), "has 2 fields but the header line names 3"));
	fx_free(&f);
}

static void test_bad_int(void **st)
{
	(void)st;
	fx f;
	fx_init(&f);
	feeds(&f, "2 1 eni-1 10.0.0.1 10.0.0.2 http 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n"
		  "2 1 eni-1 10.0.0.1 10.0.0.2 80 22 6 -20 4249 1418530010 1418530070 ACCEPT OK\n"
		  "2 1 eni-1 10.0.0.1 10.0.0.2 80 22 6 20 99999999999999999999 1418530010 "
		  "1418530070 ACCEPT OK\n"
		  "version tcp-flags start\n"
		  "5 0x13 1\n");
	assert_int_equal(vg_batch_count(&f.b), 4);
	assert_int_equal(f.b.nparse_errors, 4);
	assert_string_equal(perr(&f, 0), "VPC flow field srcport (field 6) is \"http\": expected a "
					 "non-negative integer or \"-\"");
	assert_string_equal(perr(&f, 1), "VPC flow field packets (field 9) is \"-20\": expected a "
					 "non-negative integer or \"-\"");
	assert_string_equal(perr(&f, 2),
			    "VPC flow field bytes (field 10) is \"99999999999999999999\": "
			    "expected a non-negative integer or \"-\"");
	assert_string_equal(perr(&f, 3), "VPC flow field tcp-flags (field 2) is \"0x13\": expected "
					 "a non-negative integer or \"-\"");
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(f.b.ev[i].nfields, 1);
		assert_int_equal(f.b.ev[i].t, NOW);
	}
	fx_free(&f);
}

/* Integers of every width, at the start of a line (where fewer than eight
 * bytes precede a value's end) and after it, with a stray byte at each
 * position: the parser converts the last eight digits at once. */
static void test_int_widths(void **st)
{
	(void)st;
	static const char digits[] = "1234567890987654321";
	fx f;
	fx_init(&f);
	feeds(&f, "packets bytes\n");
	size_t nev = 0;
	for (size_t w = 1; w <= 19; w++) {
		int64_t want = 0;
		for (size_t i = 0; i < w; i++)
			want = want * 10 + (digits[i] - '0');
		char line[64];
		snprintf(line, sizeof line, "%.*s %.*s\n", (int)w, digits, (int)w, digits);
		feeds(&f, line);
		assert_null(perr(&f, nev));
		assert_int_equal(get(&f, nev, "packets")->v.i, want);
		assert_int_equal(get(&f, nev, "bytes")->v.i, want);
		nev++;
		for (size_t bad = 0; bad < w; bad++) {
			char v[20];
			memcpy(v, digits, w);
			v[bad] = bad % 2 ? ':' : '/';  /* just above and below the digits */
			snprintf(line, sizeof line, "%.*s 1\n1 %.*s\n", (int)w, v, (int)w, v);
			feeds(&f, line);
			assert_non_null(strstr(perr(&f, nev), "packets"));
			assert_non_null(strstr(perr(&f, nev + 1), "bytes"));
			nev += 2;
		}
	}
	feeds(&f, "1 9223372036854775807\n1 9223372036854775808\n1 00000000000000000007\n");
	assert_int_equal(get(&f, nev, "bytes")->v.i, INT64_MAX);
	assert_non_null(strstr(perr(&f, nev + 1), "bytes"));
	assert_non_null(strstr(perr(&f, nev + 2), "bytes"));
	assert_int_equal(vg_batch_count(&f.b), nev + 3);
	fx_free(&f);
}

static void test_bad_ip_kept(void **st)
{
	(void)st;
	fx f;
	fx_init(&f);
	feeds(&f, "2 1 eni-1 255.090.254.5 2001:db8::1 80 22 6 20 4249 1418530010 1418530070 "
		  "ACCEPT OK\n"
		  "2 1 eni-1 not-an-ip 2001:DB8::0:1 80 22 6 20 4249 1418530010 1418530070 ACCEPT "
		  "OK\n");
	assert_int_equal(vg_batch_count(&f.b), 2);
	assert_int_equal(f.b.nparse_errors, 0);
	want_str(&f, 0, "srcaddr", "255.090.254.5");
	want_ip(&f, 0, "dstaddr", "2001:db8::1");
	want_roundtrip(&f, 0);
	want_str(&f, 1, "srcaddr", "not-an-ip");
	want_ip(&f, 1, "dstaddr", "2001:db8::1");
	/* Non-canonical text (`2001:DB8::0:1`) would print differently: the
	 * batch's check keeps the line as it came. */
	assert_null(tmpl_of(&f, 1));
	want_raw(&f, 1, "2 1 eni-1 not-an-ip 2001:DB8::0:1 80 22 6 20 4249 1418530010 1418530070 "
			"ACCEPT OK");
	fx_free(&f);
}

static void test_garbage_and_blank(void **st)
{
	(void)st;
	fx f;
	fx_init(&f);
	feeds(&f, "\n   \n\t\r\n\r\r \r\nhello there\r\n{\"json\": true}\n\r\n"
		  "2 1 eni-1 10.0.0.1 10.0.0.2 80 22 6 20 4249 1418530010 1418530070 ACCEPT OK\r\n"
		  "last line without newline");
	assert_int_equal(vg_batch_count(&f.b), 4);
	assert_int_equal(f.b.nparse_errors, 3);
	want_raw(&f, 0, "hello there");
	assert_non_null(strstr(perr(&f, 0), "has 2 fields"));
	want_raw(&f, 1, "{\"json\": true}");
	want_raw(&f, 2, "2 1 eni-1 10.0.0.1 10.0.0.2 80 22 6 20 4249 1418530010 1418530070 "
			"ACCEPT OK");
	assert_null(perr(&f, 2));
	want_roundtrip(&f, 2);
	want_raw(&f, 3, "last line without newline");
	assert_non_null(strstr(perr(&f, 3), "has 4 fields"));
	fx_free(&f);
}

static void test_empty_input(void **st)
{
	(void)st;
	fx f;
	fx_init(&f);
	feed(&f, "", 0);
	feeds(&f, "\n\n");
	feeds(&f, "version srcaddr\n"); /* a header alone makes no event */
	assert_int_equal(vg_batch_count(&f.b), 0);
	assert_int_equal(f.b.nparse_errors, 0);
	fx_free(&f);
}

static void test_long_lines(void **st)
{
	(void)st;
	fx f;
	fx_init(&f);
	/* 2 MiB of values: one event, raw cut at 1 MiB, the count explained. */
	size_t n = 2u << 20;
	char *s = malloc(n + 1);
	assert_non_null(s);
	for (size_t i = 0; i < n; i += 2) {
		s[i] = '7';
		s[i + 1] = ' ';
	}
	s[n - 1] = '\n';
	s[n] = 0;
	feed(&f, s, n);
	assert_int_equal(vg_batch_count(&f.b), 1);
	assert_int_equal(f.b.nparse_errors, 1);
	assert_int_equal(f.b.ev[0].rawlen, VG_MAX_RAW);
	assert_string_equal(perr(&f, 0), "VPC flow record has 1048576 fields; the default "
					 "version-2 format has 14 (version account-id interface-id "
					 "srcaddr dstaddr srcport dstport protocol packets bytes "
					 "start end action log-status) and no header line announced "
					 "another layout");
	/* A header longer than the layout buffer leaves the layout alone. */
	char *h = s;
	size_t o = 0;
	for (int i = 0; i < 60; i++)
		o += (size_t)sprintf(h + o, "%sversion-with-a-rather-long-name-%02d",
				     i ? " " : "", i);
	o += (size_t)sprintf(h + o, " srcaddr\n2 1 eni-1 10.0.0.1 10.0.0.2 80 22 6 20 4249 "
				    "1418530010 1418530070 ACCEPT OK\n");
	feed(&f, h, o);
	assert_int_equal(vg_batch_count(&f.b), 3);
	assert_int_equal(f.b.nparse_errors, 2);
	assert_string_equal(perr(&f, 1),
			    "VPC flow header line is longer than 2048 bytes; layout unchanged");
	assert_null(perr(&f, 2));
	want_int(&f, 2, "dstport", 22);
	free(s);
	fx_free(&f);
}

static void test_group_override(void **st)
{
	(void)st;
	fx f;
	fx_init(&f);
	f.ctx.group = "flows/prod";
	feeds(&f, "2 1 eni-1 10.0.0.1 10.0.0.2 80 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n"
		  "bad\n");
	assert_string_equal(group_name(&f, 0), "flows/prod");
	assert_string_equal(group_name(&f, 1), "flows/prod");
	fx_free(&f);
}

static void test_detect(void **st)
{
	(void)st;
	const char *files[] = {"aws-doc-examples.log", "aws-doc-examples-v5.log",
			       "cloudwatch-export.log"};
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		size_t len;
		char *s = sample(files[i], &len);
		assert_int_equal(vg_fmt_vpcflow.detect(s, len), 90);
		free(s);
	}
	const char *v2 = "2 123456789010 eni-1 172.31.16.139 172.31.16.21 20641 22 6 20 4249 "
			 "1418530010 1418530070 ACCEPT OK\n"
			 "2 123456789010 eni-1 - - - - - - - 1431280876 1431280934 - NODATA\n"
			 "2 123456789010 eni-1 172.31.16";  /* cut mid-line */
	assert_int_equal(vg_fmt_vpcflow.detect(v2, strlen(v2)), 90);
	assert_int_equal(detect_shared(&vg_fmt_vpcflow, "syslog/secure-rhel7.log"), 0);
	const char *others[] = {
		"",
		"\n\n",
		"{\"Records\": []}\n",
		"time=2024-01-01T00:00:00Z level=info msg=hello\n",
		"just some text\nmore text\n",
		"2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
	};
	for (size_t i = 0; i < sizeof others / sizeof *others; i++)
		assert_int_equal(vg_fmt_vpcflow.detect(others[i], strlen(others[i])), 0);
	/* Mostly records with some noise: likely but not sure. */
	const char *mixed = "2 1 eni-1 10.0.0.1 10.0.0.2 80 22 6 20 4249 1 2 ACCEPT OK\n"
			    "2 1 eni-1 10.0.0.1 10.0.0.2 80 22 6 20 4249 1 2 ACCEPT OK\n"
			    "2 1 eni-1 10.0.0.1 10.0.0.2 80 22 6 20 4249 1 2 ACCEPT OK\n"
			    "2 1 eni-1 10.0.0.1 10.0.0.2 80 22 6 20 4249 1 2 ACCEPT OK\n"
			    "garbage\n";
	assert_int_equal(vg_fmt_vpcflow.detect(mixed, strlen(mixed)), 70);
}

/* The parser itself decides that a line is its template's rendering
 * (vg_ev_end_checked) when every value is in its one canonical form; any
 * other line goes to the batch's own check. Either way an event is
 * rendered exactly when its text prints back as the line. */
static const struct {
	const char *line;
	int rendered;
	int compact;    /* in a compact batch (batch.h) */
} cases[] = {
	{"5 10.0.0.1 10.0.0.2 443 51000 ACCEPT", 1, 1},
	{"0 10.0.0.1 10.0.0.2 0 51000 ACCEPT", 1, 1},
	{"5 0.0.0.0 255.255.255.255 443 51000 -", 1, 1},
	{"5 255.090.254.5 10.0.0.2 443 51000 ACCEPT", 1, 1},  /* a string */
	{"5 2001:db8::1 10.0.0.2 443 51000 ACCEPT", 1, 1},    /* checked by the batch */
	{"5 10.0.0.1 10.0.0.2 0443 51000 ACCEPT", 0, 0},      /* leading zero */
	{"05 10.0.0.1 10.0.0.2 443 51000 ACCEPT", 0, 0},
	{"5 10.0.0.1  10.0.0.2 443 51000 ACCEPT", 0, 0},      /* two spaces */
	{"5 10.0.0.1 10.0.0.2 443 51000 ACCEPT ", 0, 0},      /* trailing space */
	{" 5 10.0.0.1 10.0.0.2 443 51000 ACCEPT", 0, 0},
	{"5 2001:0db8::1 10.0.0.2 443 51000 ACCEPT", 0, 0},   /* not inet_ntop's form */
	{"5 ::ffff:10.0.0.1 10.0.0.2 443 51000 ACCEPT", 0, 0}, /* prints as 10.0.0.1 */
	{"- - - - - -", 0, 0},                                 /* nothing to print */
};

static void test_rendering_claims(void **st)
{
	(void)st;
	fx f;
	fx_init(&f);
	feeds(&f, "version srcaddr dstaddr srcport dstport action\n");
	size_t n = sizeof cases / sizeof *cases;
	for (size_t k = 0; k < n; k++) {
		feeds(&f, cases[k].line);
		feeds(&f, "\n");
	}
	assert_int_equal(f.b.nev, n);
	for (size_t k = 0; k < n; k++) {
		const vg_event *e = &f.b.ev[k];
		if (cases[k].rendered) {
			assert_int_not_equal(e->rawtmpl, 0);
			assert_null(e->raw);
		} else {
			assert_int_equal(e->rawtmpl, 0);
			assert_non_null(e->raw);
		}
		raw_is(&f.b, e, cases[k].line, strlen(cases[k].line));
	}
	fx_free(&f);
	/* A name twice: the batch keeps the last value, so the line (whose
	 * two values differ) is no rendering, and keeps its text. */
	fx_init(&f);
	feeds(&f, "version srcaddr srcaddr action\n5 10.0.0.1 10.0.0.9 ACCEPT\n");
	assert_int_equal(f.b.nev, 1);
	assert_int_equal(f.b.ev[0].rawtmpl, 0);
	raw_is(&f.b, &f.b.ev[0], "5 10.0.0.1 10.0.0.9 ACCEPT", 26);
	fx_free(&f);
}

/* In a compact batch (batch.h), the lines that are their rendering
 * become compact events; every other line is the row event it would be
 * anyway. Each prints back as its line. */
static void test_compact_lines(void **st)
{
	(void)st;
	fx f;
	fx_init(&f);
	vg_batch_compact(&f.b, 1);
	feeds(&f, "version srcaddr dstaddr srcport dstport action\n");
	size_t n = sizeof cases / sizeof *cases;
	for (size_t k = 0; k < n; k++) {
		feeds(&f, cases[k].line);
		feeds(&f, "\n");
	}
	/* A CloudWatch export line keeps its text, and so its row. */
	feeds(&f, "2018-09-22T20:28:14.000Z 5 10.0.0.1 10.0.0.2 443 51000 ACCEPT\n");
	assert_int_equal(f.b.nev, n + 1);
	for (size_t k = 0; k < n; k++) {
		const vg_event *e = &f.b.ev[k];
		assert_int_equal(e->crow != 0, cases[k].compact);
		assert_int_equal(e->raw == NULL, cases[k].rendered);
		raw_is(&f.b, e, cases[k].line, strlen(cases[k].line));
	}
	assert_int_equal(f.b.ev[n].crow, 0);
	assert_non_null(f.b.ev[n].raw);
	fx_free(&f);
}

/* A compact record's address that repeats one of the line's two before
 * it (pkt-srcaddr, pkt-dstaddr) is taken from it without parsing again:
 * the same, the swapped, other and absent addresses all print back. */
static void test_compact_repeated_addresses(void **st)
{
	(void)st;
	static const char *const lines[] = {
		"5 10.0.0.1 192.0.2.77 10.0.0.1 192.0.2.77 ACCEPT",
		"5 10.0.0.1 192.0.2.77 192.0.2.77 10.0.0.1 ACCEPT",
		"5 10.0.0.1 192.0.2.77 10.0.0.12 192.0.2.7 ACCEPT",
		"5 10.0.0.1 - 10.0.0.1 10.0.0.1 ACCEPT",
		"5 10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.1 ACCEPT",
		"5 2001:db8::1 10.0.0.2 2001:db8::1 10.0.0.2 ACCEPT",
		"5 255.090.254.5 10.0.0.2 255.090.254.5 10.0.0.2 ACCEPT",
	};
	size_t n = sizeof lines / sizeof *lines;
	fx f;
	fx_init(&f);
	vg_batch_compact(&f.b, 1);
	feeds(&f, "version srcaddr dstaddr pkt-srcaddr pkt-dstaddr action\n");
	for (size_t k = 0; k < n; k++) {
		feeds(&f, lines[k]);
		feeds(&f, "\n");
	}
	assert_int_equal(f.b.nev, n);
	for (size_t k = 0; k < n; k++) {
		assert_int_not_equal(f.b.ev[k].crow, 0);
		raw_is(&f.b, &f.b.ev[k], lines[k], strlen(lines[k]));
	}
	fx_free(&f);
}

/* vg_ip_format prints IPv6 addresses itself (the parser compares every
 * address with its text): it must print what inet_ntop prints. Random
 * addresses whose groups are often zero (runs of every length and place,
 * ties between runs), sometimes short, and the forms with a dotted quad. */
static void test_ip6_format(void **st)
{
	(void)st;
	uint64_t x = 88172645463325252u;
	for (int it = 0; it < 200000; it++) {
		uint8_t ip[16];
		for (int g = 0; g < 8; g++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			unsigned v = (unsigned)(x >> 16) & 0xffff;
			switch (x % 5) {
			case 0: case 1: v = 0; break;
			case 2: v &= 0xff >> (x >> 40) % 8; break;
			default: break;
			}
			ip[2 * g] = (uint8_t)(v >> 8);
			ip[2 * g + 1] = (uint8_t)v;
		}
		if (it % 7 == 0)  /* ::a.b.c.d and ::ffff:0:a.b.c.d neighbours */
			memset(ip, 0, 10 + (it % 2) * 2);
		char want[64], got[64];
		assert_non_null(inet_ntop(AF_INET6, ip, want, sizeof want));
		if (vg_ip_is4(ip))
			continue;  /* printed as a plain dotted quad, on purpose */
		size_t n = vg_ip_format(ip, got);
		assert_int_equal(n, strlen(got));
		assert_string_equal(got, want);
	}
}

/* vg_ip_parse4 takes exactly the texts inet_pton takes for IPv4 (digits
 * and dots, four octets, no leading zero) with the same bytes: random
 * texts from digits and dots, and addresses with a byte changed. */
static void test_ip4_parse(void **st)
{
	(void)st;
	static const char alpha[] = "0123456789..09/:a ";
	uint64_t x = 2463534242u;
	int valid = 0;
	for (int it = 0; it < 400000; it++) {
		char s[24];
		size_t n;
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (it % 2) {
			n = (size_t)(x % 17);
			for (size_t k = 0; k < n; k++)
				s[k] = alpha[(x >> (4 + 3 * k)) % (sizeof alpha - 1)];
		} else {
			n = (size_t)snprintf(s, sizeof s, "%u.%u.%u.%u", (unsigned)(x >> 8) % 256,
					     (unsigned)(x >> 16) % (x % 3 ? 256 : 10),
					     (unsigned)(x >> 24) % 256, (unsigned)(x >> 32) % 300);
			if (it % 4 == 0)
				s[(x >> 40) % n] = alpha[(x >> 48) % (sizeof alpha - 1)];
		}
		s[n] = 0;
		uint8_t got[16], want[4];
		int ok = inet_pton(AF_INET, s, want) == 1;
		valid += ok;
		assert_int_equal(vg_ip_parse4(s, n, got) == 0, ok);
		if (ok)
			assert_memory_equal(got + 12, want, 4);
	}
	assert_true(valid > 100000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aws_doc_examples),
		cmocka_unit_test(test_aws_doc_examples_v5),
		cmocka_unit_test(test_cloudwatch_export),
		cmocka_unit_test(test_cloudwatch_time_fallback),
		cmocka_unit_test(test_header_switch),
		cmocka_unit_test(test_chunk_boundaries),
		cmocka_unit_test(test_batch_reuse),
		cmocka_unit_test(test_wrong_field_count),
		cmocka_unit_test(test_bad_int),
		cmocka_unit_test(test_int_widths),
		cmocka_unit_test(test_bad_ip_kept),
		cmocka_unit_test(test_garbage_and_blank),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_group_override),
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_rendering_claims),
		cmocka_unit_test(test_compact_lines),
		cmocka_unit_test(test_compact_repeated_addresses),
		cmocka_unit_test(test_ip6_format),
		cmocka_unit_test(test_ip4_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
