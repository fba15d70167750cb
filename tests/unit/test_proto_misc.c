/* test_proto_misc.c — what the protocols share (compressed bodies, group
 * names, JSON strings in answers) and the AWS Config items endpoint. */
#include "protofix.h"

static void test_encoding(void **st)
{
	(void)st;
	vg_err err = {0};
	assert_int_equal(vg_proto_encoding(NULL, &err), VG_ENC_IDENTITY);
	assert_int_equal(vg_proto_encoding("", &err), VG_ENC_IDENTITY);
	assert_int_equal(vg_proto_encoding("identity", &err), VG_ENC_IDENTITY);
	assert_int_equal(vg_proto_encoding("gzip", &err), VG_ENC_GZIP);
	assert_int_equal(vg_proto_encoding(" GZip\t", &err), VG_ENC_GZIP);
	assert_int_equal(vg_proto_encoding("x-gzip", &err), VG_ENC_GZIP);
	assert_int_equal(vg_proto_encoding("deflate", &err), VG_ENC_DEFLATE);
	assert_int_equal(vg_proto_encoding("br", &err), VG_EINVAL);
	assert_non_null(strstr(err.msg, "unsupported Content-Encoding 'br'"));
	assert_int_equal(vg_proto_encoding("gzip, deflate", &err), VG_EINVAL);
	assert_int_equal(vg_proto_encoding("snappy", &err), VG_EINVAL);
}

/* Inflate in with enc and cap max onto out (which holds "pre"); returns
 * the result and checks out is untouched on failure. */
static int inflate_check(const vg_buf *in, int enc, size_t max, vg_buf *out, vg_err *err)
{
	out->len = 0;
	vg_buf_puts(out, "pre");
	int rc = vg_proto_inflate(in->p, in->len, enc, max, out, err);
	assert_memory_equal(out->p, "pre", 3);
	if (rc < 0)
		assert_int_equal(out->len, 3);
	return rc;
}

static void test_inflate(void **st)
{
	(void)st;
	static const char text[] = "{\"index\":{}}\n{\"message\":\"compressed\"}\n";
	vg_buf gz = {0}, zl = {0}, out = {0};
	vg_err err = {0};
	compress_to(text, sizeof text - 1, 1, &gz);
	compress_to(text, sizeof text - 1, 0, &zl);
	assert_int_equal(inflate_check(&gz, VG_ENC_GZIP, 1 << 20, &out, &err), 0);
	assert_int_equal(out.len, 3 + sizeof text - 1);
	assert_memory_equal(out.p + 3, text, sizeof text - 1);
	assert_int_equal(inflate_check(&zl, VG_ENC_DEFLATE, 1 << 20, &out, &err), 0);
	assert_memory_equal(out.p + 3, text, sizeof text - 1);
	/* The cap is exact. */
	assert_int_equal(inflate_check(&gz, VG_ENC_GZIP, sizeof text - 1, &out, &err), 0);
	assert_int_equal(inflate_check(&gz, VG_ENC_GZIP, sizeof text - 2, &out, &err), VG_ELIMIT);
	assert_non_null(strstr(err.msg, "inflates to more than"));
	/* Two members are one body. */
	vg_buf two = {0};
	vg_buf_put(&two, gz.p, gz.len);
	vg_buf_put(&two, gz.p, gz.len);
	assert_int_equal(inflate_check(&two, VG_ENC_GZIP, 1 << 20, &out, &err), 0);
	assert_int_equal(out.len, 3 + 2 * (sizeof text - 1));
	/* Other bytes after the member. */
	vg_buf_free(&two);
	vg_buf_put(&two, gz.p, gz.len);
	vg_buf_puts(&two, "junk");
	assert_int_equal(inflate_check(&two, VG_ENC_GZIP, 1 << 20, &out, &err), VG_EINVAL);
	assert_non_null(strstr(err.msg, "4 bytes of other data follow"));
	two.len = 0;
	vg_buf_put(&two, zl.p, zl.len);
	vg_buf_put(&two, zl.p, zl.len);
	assert_int_equal(inflate_check(&two, VG_ENC_DEFLATE, 1 << 20, &out, &err), VG_EINVAL);
	/* Cut short, at every length. */
	for (size_t n = 0; n < gz.len; n++) {
		vg_buf cut = {0};
		vg_buf_put(&cut, gz.p, n);
		int rc = inflate_check(&cut, VG_ENC_GZIP, 1 << 20, &out, &err);
		assert_int_equal(rc, VG_EINVAL);
		vg_buf_free(&cut);
	}
	/* Corrupt data and data that is not compressed at all. */
	vg_buf bad = {0};
	vg_buf_put(&bad, gz.p, gz.len);
	for (size_t i = 12; i < bad.len - 8; i++)
		bad.p[i] ^= 0x5a;
	assert_int_equal(inflate_check(&bad, VG_ENC_GZIP, 1 << 20, &out, &err), VG_EINVAL);
	bad.len = 0;
	vg_buf_puts(&bad, "plain text, not gzip");
	assert_int_equal(inflate_check(&bad, VG_ENC_GZIP, 1 << 20, &out, &err), VG_EINVAL);
	assert_non_null(strstr(err.msg, "not valid compressed data"));
	assert_int_equal(inflate_check(&bad, VG_ENC_DEFLATE, 1 << 20, &out, &err), VG_EINVAL);
	/* Identity: only the cap applies. */
	assert_int_equal(inflate_check(&bad, VG_ENC_IDENTITY, 1 << 20, &out, &err), 0);
	assert_int_equal(inflate_check(&bad, VG_ENC_IDENTITY, 3, &out, &err), VG_ELIMIT);
	vg_buf_free(&bad);
	vg_buf_free(&two);
	vg_buf_free(&gz);
	vg_buf_free(&zl);
	vg_buf_free(&out);
}

/* A decompression bomb: 64 MiB of zeros in about 64 KiB. */
static void test_bomb(void **st)
{
	(void)st;
	size_t n = 64u << 20;
	char *zeros = calloc(1, n);
	vg_buf gz = {0}, out = {0};
	vg_err err = {0};
	compress_to(zeros, n, 1, &gz);
	free(zeros);
	assert_true(gz.len < (1u << 20));
	assert_int_equal(vg_proto_inflate(gz.p, gz.len, VG_ENC_GZIP, 8u << 20, &out, &err), VG_ELIMIT);
	assert_int_equal(out.len, 0);
	assert_true(out.cap <= (9u << 20));   /* never allocated for the whole */
	assert_int_equal(err.code, VG_ELIMIT);
	vg_buf_free(&out);
	vg_buf_free(&gz);
}

static void test_group_names(void **st)
{
	(void)st;
	static const struct {
		const char *in;
		int strip;
		const char *out;
	} cases[] = {
		{"filebeat-8.11.0", 1, "filebeat-8.11.0"},
		{"logstash-2024.01.31", 1, "logstash"},
		{"filebeat-7.17.0-2024.01.31-000001", 1, "filebeat-7.17.0"},
		{"filebeat-7.17.0-000001", 1, "filebeat-7.17.0"},
		{"app-2024.01", 1, "app"},
		{"app-2024-01-31", 1, "app"},
		{"app.2024.01.31", 1, "app"},
		{"app-2024.01.31", 0, "app-2024.01.31"},
		{"2024.01.31", 1, "2024.01.31"},
		{"app-2024.1.31", 1, "app-2024.1.31"},
		{"Sec Ops!", 0, "Sec_Ops"},
		{"..hidden/", 0, "hidden"},
		{"syslog/web-1", 0, "syslog/web-1"},
		{"caf\xc3\xa9", 0, "caf"},
		{"a\0b", 0, "a"},
		{"", 0, ""},
		{"___", 0, ""},
		{"-", 1, ""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char out[VG_PROTO_GROUP_MAX + 1];
		size_t n = vg_proto_group_name(cases[i].in, strlen(cases[i].in), cases[i].strip, out);
		if (n != strlen(cases[i].out) || strcmp(out, cases[i].out) != 0)
			fail_msg("case %zu: '%s' -> '%s'", i, cases[i].in, out);
	}
	char out[VG_PROTO_GROUP_MAX + 1];
	assert_int_equal(vg_proto_group_name("a\0b", 3, 0, out), 3);
	assert_string_equal(out, "a_b");
	char longname[300];
	memset(longname, 'g', sizeof longname);
	assert_int_equal(vg_proto_group_name(longname, sizeof longname, 1, out), VG_PROTO_GROUP_MAX);
	vg_batch b;
	vg_batch_init(&b);
	uint32_t g = vg_proto_group(&b, NULL, 0, 0, "dflt");
	assert_string_equal(vg_strtab_get(&b.groups, g, NULL), "dflt");
	g = vg_proto_group(&b, "***", 3, 0, "dflt");
	assert_string_equal(vg_strtab_get(&b.groups, g, NULL), "dflt");
	g = vg_proto_group(&b, "x-2024.01.02", 12, 1, "dflt");
	assert_string_equal(vg_strtab_get(&b.groups, g, NULL), "x");
	vg_batch_free(&b);
}

static void test_json_str(void **st)
{
	(void)st;
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"plain", "\"plain\""},
		{"q\"b\\s/", "\"q\\\"b\\\\s/\""},
		{"\n\r\t\x01\x1f", "\"\\n\\r\\t\\u0001\\u001f\""},
		{"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""},
		{"\xff", "\"\\ufffd\""},
		{"\xc0\xaf", "\"\\ufffd\\ufffd\""},              /* overlong '/' */
		{"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""},   /* a surrogate */
		{"\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""}, /* past U+10FFFF */
		{"\xe2\x82", "\"\\ufffd\\ufffd\""},              /* cut short */
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		vg_buf out = {0};
		vg_proto_json_str(&out, cases[i].in, strlen(cases[i].in));
		text_is(&out, cases[i].out);
		json_ok(&out);
		vg_buf_free(&out);
	}
	vg_buf out = {0};
	vg_proto_json_str(&out, "a\0b", 3);
	text_is(&out, "\"a\\u0000b\"");
	vg_buf_free(&out);
}

/* /api/v1/config/items */
static void test_config_items(void **st)
{
	(void)st;
	static const char item[] =
		"{\"configurationItemCaptureTime\":\"2024-03-01T10:00:00.000Z\","
		"\"configurationItemStatus\":\"OK\",\"resourceType\":\"AWS::EC2::SecurityGroup\","
		"\"resourceId\":\"sg-1\",\"awsAccountId\":\"111122223333\","
		"\"configuration\":{\"groupId\":\"sg-1\"}}";
	vg_batch b;
	vg_err err = {0};
	uint64_t ev, pe;
	vg_batch_init(&b);
	vg_buf doc = {0};
	vg_buf_printf(&doc, "{\"fileVersion\":\"1.0\",\"configurationItems\":[%s,%s]}", item, item);
	assert_int_equal(vg_cfg_items(&b, (const char *)doc.p, doc.len, NOW, &ev, &pe, &err), 0);
	assert_int_equal(ev, 2);
	assert_int_equal(pe, 0);
	assert_string_equal(group_of(&b, 0), "awsconfig");
	assert_string_equal(str_of(&b, 1, "resourceId"), "sg-1");
	assert_int_equal(vg_cfg_items(&b, item, sizeof item - 1, NOW, &ev, &pe, &err), 0);
	assert_int_equal(ev, 1);
	/* An SNS notification as AWS Config posts it. */
	size_t len;
	char *sns = slurp(shared_path("awsconfig/awsconfig-transformerd/ec2.0.json"), &len);
	if (sns != NULL) {
		assert_int_equal(vg_cfg_items(&b, sns, len, NOW, &ev, &pe, &err), 0);
		assert_int_equal(ev, 1);
		free(sns);
	}
	size_t before = b.nev;
	static const struct {
		const char *body, *msg;
	} bad[] = {
		{"", "the request body is empty"},
		{"  \n", "the request body is empty"},
		{"{\"Records\":[]}", "not an AWS Config document"},
		{"[1,2,3]", "not an AWS Config document"},
		{"plain text", "not an AWS Config document"},
		{"{\"Type\":\"SubscriptionConfirmation\",\"SubscribeURL\":\"https://sns\"}",
		 "confirm the subscription"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		ev = 99;
		assert_int_equal(vg_cfg_items(&b, bad[i].body, strlen(bad[i].body), NOW, &ev, NULL, &err),
				 VG_EINVAL);
		assert_non_null(strstr(err.msg, bad[i].msg));
		assert_int_equal(ev, 0);
		assert_int_equal(b.nev, before);
	}
	/* A broken item inside a document is kept with _parse_error. */
	static const char broken[] = "{\"configurationItems\":[{\"configurationItemCaptureTime\":"
				     "\"2024-03-01T10:00:00Z\"}]}";
	assert_int_equal(vg_cfg_items(&b, broken, sizeof broken - 1, NOW, &ev, &pe, &err), 0);
	assert_int_equal(ev, 1);
	assert_int_equal(pe, 1);
	vg_buf_free(&doc);
	vg_batch_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encoding),
		cmocka_unit_test(test_inflate),
		cmocka_unit_test(test_bomb),
		cmocka_unit_test(test_group_names),
		cmocka_unit_test(test_json_str),
		cmocka_unit_test(test_config_items),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
