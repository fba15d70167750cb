/* test_cloudtrail.c — the cloudtrail format. */
#include "parsefix.h"

#include "parse/jsonflat.h"

#define NOW INT64_C(1000000000000000000)

/* Parse buf as cloudtrail into r (free with done()). */
static void parse(run *r, const char *buf, size_t len)
{
	run_start(r, NOW);
	r->rc = vg_fmt_cloudtrail.parse(&r->ctx, buf, len);
}

static void parse_str(run *r, const char *s) { parse(r, s, strlen(s)); }

/* Every sample file: counts checked independently with jq. */
static void test_samples(void **st)
{
	(void)st;
	static const struct {
		const char *file;
		size_t events, errors;
		const char *time0, *name0, *type0;
	} files[] = {
		{"aws.credential-access.ec2-get-password-data.json", 34, 32,
		 "2024-07-30T21:31:21Z", "GetPasswordData", "AssumedRole"},
		{"aws.credential-access.secretsmanager-retrieve-secrets.json", 21, 0,
		 "2024-07-31T12:36:52Z", "GetSecretValue", "IAMUser"},
		{"aws.defense-evasion.cloudtrail-event-selectors.json", 1, 0,
		 "2024-07-31T12:50:02Z", "PutEventSelectors", "IAMUser"},
		{"aws.defense-evasion.organizations-leave.json", 3, 1, "2024-08-02T08:30:00Z",
		 "AssumeRole", "IAMUser"},
		{"aws.execution.ec2-launch-unusual-instances.json", 3, 1, "2024-08-01T11:30:23Z",
		 "RunInstances", "AssumedRole"},
		{"aws.execution.ssm-start-session.json", 29, 0, "2024-08-01T12:19:16Z",
		 "DescribeInstanceInformation", "IAMUser"},
		{"aws.exfiltration.ec2-share-ebs-snapshot.json", 1, 0, "2024-08-01T12:28:02Z",
		 "ModifySnapshotAttribute", "IAMUser"},
		{"aws.initial-access.console-login-without-mfa.json", 1, 0, "2024-08-02T08:53:24Z",
		 "ConsoleLogin", "IAMUser"},
		{"aws.persistence.iam-backdoor-role.json", 1, 0, "2024-08-01T13:29:57Z",
		 "UpdateAssumeRolePolicy", "IAMUser"},
		{"aws.persistence.iam-create-backdoor-role.json", 2, 0, "2024-08-01T13:37:41Z",
		 "AttachRolePolicy", "IAMUser"},
		{"aws.persistence.lambda-layer-extension.json", 1, 0, "2024-07-30T21:57:20Z",
		 "UpdateFunctionConfiguration20150331v2", "IAMUser"},
		{"aws.persistence.sts-federation-token.json", 2, 0, "2024-11-30T08:43:17Z",
		 "GetFederationToken", "IAMUser"},
	};
	for (size_t k = 0; k < sizeof files / sizeof *files; k++) {
		char rel[256];
		size_t len;
		snprintf(rel, sizeof rel, "cloudtrail/stratus-red-team/%s", files[k].file);
		char *buf = read_shared(rel, &len);
		assert_true(vg_fmt_cloudtrail.detect(buf, len < 65536 ? len : 65536) >= 90);
		run r;
		parse(&r, buf, len);
		assert_int_equal(r.rc, 0);
		if (vg_batch_count(&r.b) != files[k].events)
			fail_msg("%s: %zu events", files[k].file, vg_batch_count(&r.b));
		assert_int_equal(r.b.nparse_errors, 0);
		size_t nerr = 0;
		for (size_t i = 0; i < vg_batch_count(&r.b); i++) {
			nerr += vg_batch_get(&r.b, i, "errorCode") != NULL;
			/* raw is the record's exact bytes */
			const vg_event *e = &r.b.ev[i];
			assert_int_equal(e->raw[0], '{');
			assert_int_equal(e->raw[e->rawlen - 1], '}');
			assert_non_null(memmem(buf, len, e->raw, e->rawlen));
			assert_int_equal(e->group, vg_batch_group(&r.b, "cloudtrail", 10));
		}
		assert_int_equal(nerr, files[k].errors);
		assert_true(r.b.ev[0].t == iso(files[k].time0));
		assert_string_equal(sval(&r, 0, "eventName"), files[k].name0);
		assert_string_equal(sval(&r, 0, "userIdentity.type"), files[k].type0);
		done(&r);
		free(buf);
	}
}

/* Field paths and values of particular records. */
static void test_sample_fields(void **st)
{
	(void)st;
	size_t len;
	char *buf = read_shared("cloudtrail/stratus-red-team/"
				"aws.execution.ec2-launch-unusual-instances.json",
				&len);
	run r;
	parse(&r, buf, len);
	assert_string_equal(sval(&r, 0, "errorCode"), "Client.UnauthorizedOperation");
	assert_string_equal(sval(&r, 0, "requestParameters.instanceType"), "p2.xlarge");
	assert_int_equal(ival(&r, 0, "requestParameters.instancesSet.items[0].maxCount"), 10);
	assert_string_equal(sval(&r, 0, "userIdentity.sessionContext.sessionIssuer.type"), "Role");
	assert_string_equal(sval(&r, 0, "managementEvent"), "true");
	assert_string_equal(sval(&r, 1, "resources[0].type"), "AWS::IAM::Role");
	assert_int_equal(ival(&r, 1, "requestParameters.durationSeconds"), 900);
	/* anonymised, invalid addresses stay strings */
	assert_string_equal(sval(&r, 0, "sourceIPAddress"), "06.237.252.245");
	done(&r);
	free(buf);

	buf = read_shared("cloudtrail/stratus-red-team/"
			  "aws.initial-access.console-login-without-mfa.json",
			  &len);
	parse(&r, buf, len);
	assert_string_equal(sval(&r, 0, "additionalEventData.MFAUsed"), "No");
	assert_string_equal(sval(&r, 0, "responseElements.ConsoleLogin"), "Success");
	assert_null(vg_batch_get(&r.b, 0, "requestParameters")); /* null */
	assert_true(r.b.ev[0].t == INT64_C(1722588804000000000));
	/* the whole record, exactly */
	const char *open = strchr(buf, '{'), *close = strrchr(buf, '}');
	assert_int_equal(r.b.ev[0].rawlen, (size_t)(close - open + 1));
	assert_memory_equal(r.b.ev[0].raw, open, r.b.ev[0].rawlen);
	done(&r);
	free(buf);

	buf = read_shared("cloudtrail/stratus-red-team/"
			  "aws.exfiltration.ec2-share-ebs-snapshot.json",
			  &len);
	parse(&r, buf, len);
	assert_string_equal(sval(&r, 0, "requestParameters.createVolumePermission.add.items[0].userId"),
			    "098797384747");
	assert_string_equal(sval(&r, 0, "responseElements._return"), "true");
	done(&r);
	free(buf);

	buf = read_shared("cloudtrail/stratus-red-team/aws.persistence.iam-backdoor-role.json",
			  &len);
	parse(&r, buf, len);
	const char *pd = sval(&r, 0, "requestParameters.policyDocument");
	assert_non_null(pd);
	assert_non_null(strstr(pd, "\"AWS\": \"arn:aws:iam::193672423079:root\""));
	assert_non_null(strchr(pd, '\n')); /* \n unescaped */
	done(&r);
	free(buf);
}

/* The S3 shape {"Records":[...]} of a sample gives the same events. */
static void test_records_wrapper(void **st)
{
	(void)st;
	size_t len;
	char *arr = read_shared("cloudtrail/stratus-red-team/aws.execution.ssm-start-session.json",
				&len);
	vg_buf doc = {0};
	vg_buf_puts(&doc, "{\"Records\":");
	vg_buf_put(&doc, arr, len);
	vg_buf_puts(&doc, "}");
	run r;
	parse(&r, (const char *)doc.p, doc.len);
	assert_int_equal(vg_batch_count(&r.b), 29);
	assert_int_equal(r.b.nparse_errors, 0);
	done(&r);
	/* Records not first, with other keys around it. */
	doc.len = 0;
	vg_buf_puts(&doc, "{\"x\":{\"Records\":1},\"Records\":");
	vg_buf_put(&doc, arr, len);
	vg_buf_puts(&doc, ",\"y\":[1]}");
	parse(&r, (const char *)doc.p, doc.len);
	assert_int_equal(vg_batch_count(&r.b), 29);
	assert_int_equal(r.b.nparse_errors, 0);
	done(&r);
	vg_buf_free(&doc);
	free(arr);
}

static void test_shapes(void **st)
{
	(void)st;
	run r;
	/* a single event */
	parse_str(&r, "{\"eventVersion\":\"1.08\",\"eventTime\":\"2024-01-02T03:04:05Z\","
		      "\"eventName\":\"X\"}\n");
	assert_int_equal(vg_batch_count(&r.b), 1);
	assert_true(r.b.ev[0].t == iso("2024-01-02T03:04:05Z"));
	done(&r);
	/* NDJSON: one record per line; an empty line is no event */
	const char *nd = "{\"eventTime\":\"2024-01-01T00:00:01Z\",\"a\":1}\n"
			 "\n"
			 "{\"eventTime\":\"2024-01-01T00:00:02Z\",\"a\":2}\r\n"
			 "{\"eventTime\":\"2024-01-01T00:00:03Z\",\"a\":3}";
	parse_str(&r, nd);
	assert_int_equal(vg_batch_count(&r.b), 3);
	assert_int_equal(ival(&r, 2, "a"), 3);
	assert_raw(&r, 1, "{\"eventTime\":\"2024-01-01T00:00:02Z\",\"a\":2}");
	assert_true(r.b.ev[2].t == iso("2024-01-01T00:00:03Z"));
	done(&r);
	/* EventBridge: the detail is the record, the envelope the raw */
	const char *eb = "{\"version\":\"0\",\"id\":\"i\",\"detail-type\":\"AWS API Call via CloudTrail\","
			 "\"source\":\"aws.ec2\",\"time\":\"2024-05-05T05:05:06Z\",\"detail\":"
			 "{\"eventVersion\":\"1.08\",\"eventTime\":\"2024-05-05T05:05:05Z\","
			 "\"eventName\":\"AuthorizeSecurityGroupIngress\",\"requestParameters\":"
			 "{\"groupId\":\"sg-1\",\"ipPermissions\":{\"items\":[{\"fromPort\":22}]}}}}";
	assert_int_equal(vg_fmt_cloudtrail.detect(eb, strlen(eb)), 90);
	parse_str(&r, eb);
	assert_int_equal(vg_batch_count(&r.b), 1);
	assert_raw(&r, 0, eb);
	assert_string_equal(sval(&r, 0, "requestParameters.groupId"), "sg-1");
	assert_int_equal(ival(&r, 0, "requestParameters.ipPermissions.items[0].fromPort"), 22);
	assert_null(vg_batch_get(&r.b, 0, "detail.eventName"));
	assert_null(vg_batch_get(&r.b, 0, "source"));
	assert_true(r.b.ev[0].t == iso("2024-05-05T05:05:05Z"));
	done(&r);
	/* ... and an envelope whose detail lacks eventTime takes the envelope's */
	parse_str(&r, "{\"detail-type\":\"AWS Console Sign In via CloudTrail\",\"time\":"
		      "\"2024-05-05T05:05:06Z\",\"detail\":{\"eventName\":\"ConsoleLogin\"}}");
	assert_true(r.b.ev[0].t == iso("2024-05-05T05:05:06Z"));
	assert_int_equal(r.b.nparse_errors, 0);
	done(&r);
	/* group override */
	run g;
	run_start(&g, 0);
	g.ctx.group = "trail-prod";
	vg_fmt_cloudtrail.parse(&g.ctx, "[{\"eventTime\":\"2024-01-01T00:00:00Z\"}]", 38);
	assert_int_equal(g.b.ev[0].group, vg_batch_group(&g.b, "trail-prod", 10));
	done(&g);
	/* blank input: nothing */
	parse_str(&r, "  \n\t ");
	assert_int_equal(vg_batch_count(&r.b), 0);
	assert_int_equal(r.rc, 0);
	done(&r);
}

static void test_digest_skipped(void **st)
{
	(void)st;
	const char *dg = "{\"awsAccountId\":\"111122223333\",\"digestStartTime\":\"2024-01-01T00:00:00Z\","
			 "\"digestEndTime\":\"2024-01-01T01:00:00Z\",\"digestS3Bucket\":\"b\","
			 "\"newestEventTime\":\"2024-01-01T00:59:00Z\",\"previousDigestSignature\":\"ab\","
			 "\"logFiles\":[{\"s3Bucket\":\"b\",\"s3Object\":\"o\",\"hashValue\":\"00\"}]}";
	assert_int_equal(vg_fmt_cloudtrail.detect(dg, strlen(dg)), 90);
	run r;
	parse_str(&r, dg);
	assert_int_equal(r.rc, 0);
	assert_int_equal(vg_batch_count(&r.b), 0);
	assert_int_equal(r.ctx.nskipped, 1);
	done(&r);
}

static void test_bad_records(void **st)
{
	(void)st;
	run r;
	const char *doc = "{\"Records\":[1,{\"eventName\":\"A\"},{\"eventTime\":\"yesterday\"},"
			  "{\"eventTime\":\"2024-01-01T00:00:00Z\"},\"s\"]}";
	parse_str(&r, doc);
	assert_int_equal(vg_batch_count(&r.b), 5);
	assert_int_equal(r.b.nparse_errors, 4);
	assert_string_equal(sval(&r, 0, "_parse_error"), "record 1 (at byte 12) is a number, not a JSON object");
	assert_raw(&r, 0, "1");
	assert_true(r.b.ev[0].t == NOW);
	assert_string_equal(sval(&r, 1, "_parse_error"), "eventTime is missing; the ingest time is used");
	assert_string_equal(sval(&r, 1, "eventName"), "A");
	assert_true(r.b.ev[1].t == NOW);
	assert_string_equal(sval(&r, 2, "_parse_error"),
			    "eventTime \"yesterday\" is not an ISO-8601 time; the ingest time is used");
	assert_null(vg_batch_get(&r.b, 3, "_parse_error"));
	assert_string_equal(sval(&r, 4, "_parse_error"), "record 5 (at byte 95) is a string, not a JSON object");
	done(&r);
	parse_str(&r, "{\"Records\":{\"a\":1}}");
	assert_int_equal(vg_batch_count(&r.b), 1);
	assert_string_equal(sval(&r, 0, "_parse_error"), "\"Records\" is not an array");
	done(&r);
}

static void test_broken_documents(void **st)
{
	(void)st;
	run r;
	/* truncated in the third record: two kept, the rest raw */
	const char *tr = "{\"Records\":[{\"eventTime\":\"2024-01-01T00:00:01Z\"},"
			 "{\"eventTime\":\"2024-01-01T00:00:02Z\"},{\"eventTime\":\"2024-01";
	parse_str(&r, tr);
	assert_int_equal(r.rc, 0);
	assert_int_equal(vg_batch_count(&r.b), 3);
	assert_int_equal(r.b.nparse_errors, 1);
	assert_null(vg_batch_get(&r.b, 1, "_parse_error"));
	assert_raw(&r, 2, "{\"eventTime\":\"2024-01");
	assert_string_equal(sval(&r, 2, "_parse_error"), "unterminated string starting at byte 99");
	assert_true(r.b.ev[2].t == NOW);
	done(&r);
	/* truncated right after a record: the missing brackets are reported */
	parse_str(&r, "{\"Records\":[{\"eventTime\":\"2024-01-01T00:00:01Z\"}");
	assert_int_equal(vg_batch_count(&r.b), 2);
	assert_int_equal(r.b.ev[1].rawlen, 0);
	assert_string_equal(sval(&r, 1, "_parse_error"),
			    "input ends at byte 48 inside the array opened at byte 11");
	done(&r);
	/* not JSON at all */
	parse_str(&r, "hello world\n");
	assert_int_equal(vg_batch_count(&r.b), 1);
	assert_raw(&r, 0, "hello world\n");
	assert_string_equal(sval(&r, 0, "_parse_error"),
			    "expected a JSON object or array at byte 0, found 'h'");
	done(&r);
	/* trailing garbage after a complete document */
	parse_str(&r, "[{\"eventTime\":\"2024-01-01T00:00:01Z\"}] }garbage");
	assert_int_equal(vg_batch_count(&r.b), 2);
	assert_raw(&r, 1, "}garbage");
	assert_string_equal(sval(&r, 1, "_parse_error"),
			    "expected a JSON object or array at byte 39, found '}'");
	done(&r);
	/* a syntax error in the middle of a pretty document */
	parse_str(&r, "[\n {\"eventTime\":\"2024-01-01T00:00:01Z\"},\n {\"a\" 1},\n {\"b\":2}\n]\n");
	assert_int_equal(vg_batch_count(&r.b), 2);
	assert_raw(&r, 1, "{\"a\" 1},\n {\"b\":2}\n]\n");
	assert_string_equal(sval(&r, 1, "_parse_error"),
			    "expected ':' at byte 47 after the key at byte 43, found '1'");
	done(&r);
	/* NDJSON with a bad line: only that line is lost to fields */
	parse_str(&r, "{\"eventTime\":\"2024-01-01T00:00:01Z\"}\n{\"eventTime\":\"2024-01-01T0\n"
		      "{\"eventTime\":\"2024-01-01T00:00:03Z\"}\n");
	assert_int_equal(vg_batch_count(&r.b), 3);
	assert_int_equal(r.b.nparse_errors, 1);
	assert_raw(&r, 1, "{\"eventTime\":\"2024-01-01T0");
	assert_string_equal(sval(&r, 1, "_parse_error"), "unterminated string starting at byte 50");
	assert_true(r.b.ev[2].t == iso("2024-01-01T00:00:03Z"));
	done(&r);
	/* too deep */
	vg_buf doc = {0};
	vg_buf_puts(&doc, "[{\"eventTime\":\"2024-01-01T00:00:01Z\"},{\"a\":");
	for (int i = 0; i < 70; i++)
		vg_buf_putc(&doc, '[');
	parse(&r, (const char *)doc.p, doc.len);
	assert_int_equal(vg_batch_count(&r.b), 2);
	assert_string_equal(sval(&r, 1, "_parse_error"), "nesting deeper than 64 levels at byte 105");
	done(&r);
	vg_buf_free(&doc);
}

/* Records are read in one pass from their extent; a record whose brackets
 * balance but whose JSON is wrong gets the validating path's message, and
 * the depth limit counts the Records array as before. */
static void test_onepass_errors(void **st)
{
	(void)st;
	run r;
	static const char *const bad[] = {
		"{\"a\":[1}]", "{\"a\" 1}", "{\"a\":tru}", "{\"a\":1,}", "{\"a\":\"x\001\"}",
		"{\"eventTime\":\"2024-01-01T00:00:01Z\",\"b\":[{\"c\":01}]}",
	};
	for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
		vg_buf doc = {0};
		vg_buf_puts(&doc, "{\"Records\":[{\"eventTime\":\"2024-01-01T00:00:01Z\"},");
		size_t at = doc.len;
		vg_buf_printf(&doc, "%s,{\"b\":2}]}", bad[k]);
		vg_err want = {0};
		vg_jspan v;
		assert_true(vg_json_skip((const char *)doc.p, doc.len, at, &v, &want) < 0);
		parse(&r, (const char *)doc.p, doc.len);
		assert_int_equal(vg_batch_count(&r.b), 2);
		assert_null(vg_batch_get(&r.b, 0, "_parse_error"));
		assert_string_equal(sval(&r, 1, "_parse_error"), want.msg);
		done(&r);
		vg_buf_free(&doc);
	}
	/* 63 levels inside a record are allowed (64 with the array), 64 are
	 * not. */
	for (int levels = 63; levels <= 64; levels++) {
		vg_buf doc = {0};
		vg_buf_puts(&doc, "[{\"eventTime\":\"2024-01-01T00:00:01Z\",\"a\":");
		for (int i = 1; i < levels; i++)
			vg_buf_puts(&doc, "{\"a\":");
		vg_buf_puts(&doc, "7");
		for (int i = 0; i < levels; i++)
			vg_buf_putc(&doc, '}');
		vg_buf_puts(&doc, "]");
		parse(&r, (const char *)doc.p, doc.len);
		assert_int_equal(vg_batch_count(&r.b), 1);
		if (levels == 63) {
			assert_null(vg_batch_get(&r.b, 0, "_parse_error"));
			assert_int_equal(r.b.ev[0].nfields, 2);
		} else {
			assert_string_equal(sval(&r, 0, "_parse_error"),
					    "nesting deeper than 64 levels at byte 351");
		}
		done(&r);
		vg_buf_free(&doc);
	}
}

/* The flattener's name cache outlives each input (it is kept per thread);
 * a new batch at the same address, with other field ids, still gets every
 * value under its own name. */
static void test_cache_across_batches(void **st)
{
	(void)st;
	run r;
	const char *doc = "{\"Records\":[{\"eventTime\":\"2024-01-01T00:00:01Z\","
			  "\"userIdentity\":{\"type\":\"Root\"},\"eventName\":\"StopLogging\"}]}";
	parse_str(&r, doc);
	assert_string_equal(sval(&r, 0, "userIdentity.type"), "Root");
	done(&r);
	for (int round = 0; round < 2; round++) {
		run_start(&r, NOW);
		/* Taken ids: the cached ones now name other fields. */
		for (int i = 0; i < 8 + round; i++) {
			char name[16];
			int n = snprintf(name, sizeof name, "other%d", i);
			vg_batch_field(&r.b, name, (size_t)n);
		}
		r.rc = vg_fmt_cloudtrail.parse(&r.ctx, doc, strlen(doc));
		assert_int_equal(vg_batch_count(&r.b), 1);
		assert_string_equal(sval(&r, 0, "userIdentity.type"), "Root");
		assert_string_equal(sval(&r, 0, "eventName"), "StopLogging");
		assert_null(vg_batch_get(&r.b, 0, "other0"));
		assert_true(r.b.ev[0].t == iso("2024-01-01T00:00:01Z"));
		done(&r);
	}
}

/* A broken rest longer than VG_MAX_RAW is kept whole, in parts. */
static void test_long_rest(void **st)
{
	(void)st;
	vg_buf doc = {0};
	vg_buf_puts(&doc, "[{\"eventTime\":\"2024-01-01T00:00:01Z\"},\"");
	size_t from = doc.len - 1;
	for (size_t i = 0; i < VG_MAX_RAW * 2 + 100; i++)
		vg_buf_putc(&doc, 'x');
	run r;
	parse(&r, (const char *)doc.p, doc.len);
	assert_int_equal(vg_batch_count(&r.b), 4);
	assert_int_equal(r.b.nparse_errors, 3);
	size_t total = 0;
	for (size_t i = 1; i < 4; i++) {
		total += r.b.ev[i].rawlen;
		assert_non_null(strstr(sval(&r, i, "_parse_error"), "unterminated string starting at byte 38"));
	}
	assert_int_equal(total, doc.len - from);
	char want[200];
	snprintf(want, sizeof want,
		 "unterminated string starting at byte 38 (unparsed bytes 38 to %zu, part 1 of 3)",
		 (size_t)38 + VG_MAX_RAW);
	assert_string_equal(sval(&r, 1, "_parse_error"), want);
	done(&r);
	vg_buf_free(&doc);
}

static void test_detect(void **st)
{
	(void)st;
	const char *yes[] = {
		"{\"Records\":[{\"eventVersion\":\"1.08\"}]}",
		"  {\n  \"Records\": [",
		"[{\"eventVersion\":\"1.08\",\"eventTime\":\"2024-01-01T00:00:00Z\"}]",
		"{\"eventVersion\":\"1.08\",\"eventSource\":\"iam.amazonaws.com\"",
	};
	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
		assert_true(vg_fmt_cloudtrail.detect(yes[i], strlen(yes[i])) >= 90);
	const char *no[] = {
		"", "2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 49152 6 10 840 1 2 ACCEPT OK\n",
		"{\"level\":\"info\",\"msg\":\"hi\"}\n",
		"{\"fileVersion\":\"1.0\",\"configurationItems\":[]}",
		"Jan  1 00:00:00 host sshd[1]: Failed password",
	};
	for (size_t i = 0; i < sizeof no / sizeof *no; i++)
		assert_int_equal(vg_fmt_cloudtrail.detect(no[i], strlen(no[i])), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_sample_fields),
		cmocka_unit_test(test_records_wrapper),
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_digest_skipped),
		cmocka_unit_test(test_bad_records),
		cmocka_unit_test(test_broken_documents),
		cmocka_unit_test(test_onepass_errors),
		cmocka_unit_test(test_cache_across_batches),
		cmocka_unit_test(test_long_rest),
		cmocka_unit_test(test_detect),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
