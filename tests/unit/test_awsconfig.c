/* test_awsconfig.c — the awsconfig format. */
#include "parsefix.h"

#include "parse/jsonflat.h"

#define NOW INT64_C(1000000000000000000)

/* Parse buf as awsconfig into r (free with done()). */
static void parse(run *r, const char *buf, size_t len)
{
	run_start(r, NOW);
	r->rc = vg_fmt_awsconfig.parse(&r->ctx, buf, len);
}

static void parse_str(run *r, const char *s) { parse(r, s, strlen(s)); }

/* Parse one sample file. */
static char *sample(run *r, const char *name)
{
	char rel[256];
	size_t len;
	snprintf(rel, sizeof rel, "awsconfig/awsconfig-transformerd/%s", name);
	char *buf = read_shared(rel, &len);
	assert_int_equal(vg_fmt_awsconfig.detect(buf, len), 95);
	parse(r, buf, len);
	assert_int_equal(r->rc, 0);
	return buf;
}

/* Every sample: one event each (checked with python: json.loads of the SNS
 * envelope, then of Message), time = configurationItemCaptureTime, raw =
 * the decoded Message. */
static void test_samples(void **st)
{
	(void)st;
	static const struct {
		const char *file;
		size_t rawlen;
		const char *time, *rtype, *status, *change;
	} files[] = {
		{"ec2.0.json", 4180, "2019-02-22T20:43:10.208Z", "AWS::EC2::Instance", "ResourceDiscovered", "CREATE"},
		{"ec2.1.json", 6607, "2019-02-22T20:48:32.538Z", "AWS::EC2::Instance", "OK", "UPDATE"},
		{"ec2.2.json", 6876, "2019-02-22T21:02:18.758Z", "AWS::EC2::Instance", "OK", "UPDATE"},
		{"ec2.3.json", 6601, "2019-02-22T21:17:53.073Z", "AWS::EC2::Instance", "OK", "UPDATE"},
		{"ec2.4.json", 4417, "2019-02-22T21:31:57.042Z", "AWS::EC2::Instance", "ResourceDeleted", "DELETE"},
		{"ec2.5.json", 4016, "2019-02-22T20:43:10.208Z", "AWS::EC2::Instance", "ResourceDiscovered", "CREATE"},
		{"ec2.6.json", 4309, "2019-02-22T21:31:57.042Z", "AWS::EC2::Instance", "ResourceDeleted", "DELETE"},
		{"ec2.deleted.json", 9330, "2019-12-11T01:00:29.000Z", "AWS::EC2::Instance", "ResourceDeleted", "DELETE"},
		{"subnet.create.json", 1621, "2022-09-01T01:00:50.542Z", "AWS::EC2::Subnet", "ResourceDiscovered", "CREATE"},
		{"subnet.delete.json", 1910, "2022-09-01T01:05:14.878Z", "AWS::EC2::Subnet", "ResourceDeleted", "DELETE"},
		{"subnet.update.json", 1581, "2022-09-01T01:05:16.232Z", "AWS::EC2::Subnet", "OK", "UPDATE"},
	};
	for (size_t k = 0; k < sizeof files / sizeof *files; k++) {
		run r;
		char *buf = sample(&r, files[k].file);
		if (vg_batch_count(&r.b) != 1 || r.b.nparse_errors != 0)
			fail_msg("%s: %zu events, %llu errors (%s)", files[k].file,
				 vg_batch_count(&r.b), (unsigned long long)r.b.nparse_errors,
				 sval(&r, 0, "_parse_error"));
		const vg_event *e = &r.b.ev[0];
		assert_int_equal(e->rawlen, files[k].rawlen);
		assert_memory_equal(e->raw, "{\"configurationItemDiff\":", 25);
		assert_true(e->t == iso(files[k].time));
		assert_int_equal(e->group, vg_batch_group(&r.b, "awsconfig", 9));
		assert_string_equal(sval(&r, 0, "resourceType"), files[k].rtype);
		assert_string_equal(sval(&r, 0, "configurationItemStatus"), files[k].status);
		assert_string_equal(sval(&r, 0, "configurationItemDiff.changeType"), files[k].change);
		assert_string_equal(sval(&r, 0, "messageType"), "ConfigurationItemChangeNotification");
		assert_string_equal(sval(&r, 0, "configurationItemCaptureTime"), files[k].time);
		assert_string_equal(sval(&r, 0, "awsRegion"), "us-west-2");
		assert_non_null(sval(&r, 0, "sns.MessageId"));
		done(&r);
		free(buf);
	}
}

static void test_sample_fields(void **st)
{
	(void)st;
	run r;
	char *buf = sample(&r, "ec2.0.json");
	assert_string_equal(sval(&r, 0, "resourceId"), "i-0a763ac3ee37d8d2b");
	assert_string_equal(sval(&r, 0, "awsAccountId"), "123456789012");
	assert_string_equal(sval(&r, 0, "ARN"), "arn:aws:ec2:us-west-2:123456789012:instance/i-0a763ac3ee37d8d2b");
	assert_string_equal(sval(&r, 0, "configuration.instanceType"), "t2.micro");
	assert_int_equal(ival(&r, 0, "configuration.state.code"), 16);
	assert_string_equal(sval(&r, 0, "configuration.networkInterfaces[0].privateIpAddress"), "172.31.30.79");
	assert_string_equal(sval(&r, 0, "configuration.securityGroups[0].groupId"), "sg-05d1b37a375dcca8e");
	assert_string_equal(sval(&r, 0, "configuration.blockDeviceMappings[0].ebs.deleteOnTermination"), "true");
	assert_string_equal(sval(&r, 0, "tags.business_unit"), "CISO-Security");
	assert_string_equal(sval(&r, 0, "relationships[0].resourceType"), "AWS::EC2::NetworkInterface");
	assert_null(vg_batch_get(&r.b, 0, "resourceName")); /* null */
	assert_string_equal(sval(&r, 0, "sns.MessageId"), "4ad99c85-f24a-50f2-9c2c-c86f93555308");
	assert_string_equal(sval(&r, 0, "sns.Timestamp"), "2019-02-22T20:43:11.479Z");
	assert_string_equal(sval(&r, 0, "notificationCreationTime"), "2019-02-22T20:43:11.256Z");
	done(&r);
	free(buf);

	buf = sample(&r, "ec2.1.json");
	assert_string_equal(sval(&r, 0, "configurationItemDiff.changedProperties."
				       "Configuration.NetworkInterfaces.0.previousValue.association.publicIp"),
			    "34.222.120.66");
	assert_string_equal(sval(&r, 0, "configurationItemDiff.changedProperties."
				       "Configuration.NetworkInterfaces.0.changeType"), "DELETE");
	done(&r);
	free(buf);

	buf = sample(&r, "subnet.update.json");
	assert_int_equal(ival(&r, 0, "configurationItemDiff.changedProperties."
				     "Configuration.AvailableIpAddressCount.previousValue"), 1721);
	assert_int_equal(ival(&r, 0, "configurationItemDiff.changedProperties."
				     "Configuration.AvailableIpAddressCount.updatedValue"), 1722);
	assert_int_equal(ival(&r, 0, "configuration.availableIpAddressCount"), 1722);
	assert_string_equal(sval(&r, 0, "configuration.cidrBlock"), "10.106.64.0/20");
	assert_string_equal(sval(&r, 0, "configuration.mapPublicIpOnLaunch"), "false");
	assert_int_equal(ival(&r, 0, "configurationStateId"), INT64_C(1661994316232));
	done(&r);
	free(buf);

	buf = sample(&r, "ec2.4.json");
	assert_null(vg_batch_get(&r.b, 0, "configuration")); /* deleted: null */
	assert_string_equal(sval(&r, 0, "configurationItemDiff.changedProperties.Relationships.0."
				       "previousValue.resourceId"), "eni-05721fa8354d07b8c");
	done(&r);
	free(buf);
}

/* The deliberately malformed samples: an event each, with a precise error. */
static void test_malformed_samples(void **st)
{
	(void)st;
	run r;
	char *buf = sample(&r, "ec2.deleted-malformed.json");
	assert_int_equal(vg_batch_count(&r.b), 1);
	assert_int_equal(r.b.nparse_errors, 1);
	assert_string_equal(sval(&r, 0, "_parse_error"),
			    "SNS Message: unexpected ',' at byte 8589 after the end of the JSON object "
			    "that starts at byte 0 (a stray closing bracket before it?)");
	assert_int_equal(r.b.ev[0].rawlen, 9252); /* the decoded Message, all of it */
	assert_string_equal(sval(&r, 0, "sns.MessageId"), "d743e6cf-7ab6-5450-ae2b-b0a53b4918c0");
	assert_true(r.b.ev[0].t == iso("2019-12-11T01:00:47.506Z")); /* SNS Timestamp */
	assert_null(vg_batch_get(&r.b, 0, "resourceType"));
	done(&r);
	free(buf);

	buf = sample(&r, "ec2.malformed.json");
	assert_int_equal(vg_batch_count(&r.b), 1);
	assert_int_equal(r.b.nparse_errors, 1);
	assert_string_equal(sval(&r, 0, "_parse_error"),
			    "configurationItemDiff.changedProperties.Configuration is a string "
			    "(\"NOTJSON\"), not an object with previousValue, updatedValue and changeType");
	/* what could be read is kept */
	assert_string_equal(sval(&r, 0, "resourceId"), "i-0a763ac3ee37d8d2b");
	assert_string_equal(sval(&r, 0, "configurationItemDiff.changedProperties.Configuration"), "NOTJSON");
	assert_true(r.b.ev[0].t == iso("2019-02-22T21:31:57.042Z"));
	done(&r);
	free(buf);
}

static const char ci_sg[] =
	"{\"version\":\"1.3\",\"configurationItemCaptureTime\":\"2024-03-01T10:00:00.000Z\","
	"\"configurationItemStatus\":\"OK\",\"resourceType\":\"AWS::EC2::SecurityGroup\","
	"\"resourceId\":\"sg-1\",\"awsAccountId\":\"111122223333\",\"awsRegion\":\"eu-west-1\","
	"\"configuration\":{\"groupId\":\"sg-1\",\"ipPermissions\":[{\"fromPort\":22,\"toPort\":22,"
	"\"ipProtocol\":\"tcp\",\"ipv4Ranges\":[{\"cidrIp\":\"0.0.0.0/0\"}]}]},"
	"\"tags\":{\"env\":\"prod\"},\"supplementaryConfiguration\":{}}";
static const char ci_bucket[] =
	"{\"configurationItemCaptureTime\":\"2024-03-01T11:00:00Z\",\"configurationItemStatus\":"
	"\"ResourceDiscovered\",\"resourceType\":\"AWS::S3::Bucket\",\"resourceId\":\"logs\","
	"\"configuration\":{\"name\":\"logs\"},\"supplementaryConfiguration\":{\"PublicAccessBlock"
	"Configuration\":{\"blockPublicAcls\":true}}}";

static void test_snapshot(void **st)
{
	(void)st;
	vg_buf doc = {0};
	vg_buf_printf(&doc, "{\"fileVersion\":\"1.0\",\"configSnapshotId\":\"abc\",\"configurationItems\""
			    ":[%s,\n  %s]}\n", ci_sg, ci_bucket);
	assert_int_equal(vg_fmt_awsconfig.detect((const char *)doc.p, doc.len), 95);
	run r;
	parse(&r, (const char *)doc.p, doc.len);
	assert_int_equal(vg_batch_count(&r.b), 2);
	assert_int_equal(r.b.nparse_errors, 0);
	assert_raw(&r, 0, ci_sg);
	assert_raw(&r, 1, ci_bucket);
	assert_int_equal(ival(&r, 0, "configuration.ipPermissions[0].fromPort"), 22);
	assert_string_equal(sval(&r, 0, "configuration.ipPermissions[0].ipv4Ranges[0].cidrIp"), "0.0.0.0/0");
	assert_string_equal(sval(&r, 0, "tags.env"), "prod");
	assert_true(r.b.ev[0].t == iso("2024-03-01T10:00:00Z"));
	assert_string_equal(sval(&r, 1, "supplementaryConfiguration.PublicAccessBlockConfiguration."
				       "blockPublicAcls"), "true");
	/* an item without awsAccountId is not an error: only time and identity are needed */
	assert_null(vg_batch_get(&r.b, 1, "awsAccountId"));
	done(&r);
	/* a single item, and a bare array of items */
	parse_str(&r, ci_sg);
	assert_int_equal(vg_batch_count(&r.b), 1);
	assert_string_equal(sval(&r, 0, "resourceId"), "sg-1");
	done(&r);
	doc.len = 0;
	vg_buf_printf(&doc, "[%s,%s]", ci_bucket, ci_sg);
	parse(&r, (const char *)doc.p, doc.len);
	assert_int_equal(vg_batch_count(&r.b), 2);
	assert_string_equal(sval(&r, 1, "resourceId"), "sg-1");
	done(&r);
	/* NDJSON of items */
	doc.len = 0;
	vg_buf_printf(&doc, "%s\n%s\n", ci_bucket, ci_sg);
	parse(&r, (const char *)doc.p, doc.len);
	assert_int_equal(vg_batch_count(&r.b), 2);
	assert_raw(&r, 1, ci_sg);
	done(&r);
	vg_buf_free(&doc);
}

static void test_bad_items(void **st)
{
	(void)st;
	run r;
	parse_str(&r, "{\"configurationItems\":[\"x\",{\"resourceType\":\"AWS::S3::Bucket\","
		      "\"resourceId\":\"b\"},{\"configurationItemCaptureTime\":\"soon\","
		      "\"resourceId\":\"b\"},{\"configurationItemCaptureTime\":\"2024-01-01T00:00:00Z\","
		      "\"resourceType\":\"T\",\"resourceId\":\"i\",\"configuration\":\"plain\"}]}");
	assert_int_equal(vg_batch_count(&r.b), 4);
	assert_int_equal(r.b.nparse_errors, 4);
	assert_string_equal(sval(&r, 0, "_parse_error"),
			    "configuration item 1 (at byte 23) is a string, not a JSON object");
	assert_string_equal(sval(&r, 1, "_parse_error"), "configurationItemCaptureTime is missing");
	assert_true(r.b.ev[1].t == NOW);
	assert_string_equal(sval(&r, 2, "_parse_error"),
			    "configurationItemCaptureTime \"soon\" is not an ISO-8601 time");
	assert_string_equal(sval(&r, 3, "_parse_error"),
			    "configuration is a string that holds no JSON document");
	assert_string_equal(sval(&r, 3, "configuration"), "plain");
	done(&r);
	parse_str(&r, "{\"configurationItems\":{}}");
	assert_string_equal(sval(&r, 0, "_parse_error"), "\"configurationItems\" is not an array");
	done(&r);
	parse_str(&r, "{\"foo\":1}");
	assert_int_equal(vg_batch_count(&r.b), 1);
	assert_string_equal(sval(&r, 0, "_parse_error"),
			    "not an AWS Config document: no configurationItems, configurationItem, "
			    "configurationItemCaptureTime or SNS Message");
	done(&r);
	/* truncated snapshot: the items before the break are kept */
	vg_buf doc = {0};
	vg_buf_printf(&doc, "{\"fileVersion\":\"1.0\",\"configurationItems\":[%s,%.60s", ci_sg, ci_bucket);
	parse(&r, (const char *)doc.p, doc.len);
	assert_int_equal(vg_batch_count(&r.b), 2);
	assert_null(vg_batch_get(&r.b, 0, "_parse_error"));
	assert_int_equal(r.b.ev[1].rawlen, 60);
	assert_memory_equal(r.b.ev[1].raw, ci_bucket, 60);
	assert_non_null(strstr(sval(&r, 1, "_parse_error"), "unterminated string starting at byte"));
	done(&r);
	vg_buf_free(&doc);
}

/* An SNS envelope around msg (msg is JSON-escaped into the Message). */
static void sns_doc(vg_buf *doc, const char *msg)
{
	doc->len = 0;
	vg_buf_puts(doc, "{\"Type\":\"Notification\",\"MessageId\":\"m-1\",\"Timestamp\":"
			 "\"2024-04-04T04:04:04Z\",\"Message\":\"");
	for (const char *p = msg; *p; p++) {
		if (*p == '"' || *p == '\\')
			vg_buf_putc(doc, '\\');
		vg_buf_putc(doc, (uint8_t)*p);
	}
	vg_buf_puts(doc, "\"}");
}

static void test_notifications(void **st)
{
	(void)st;
	vg_buf doc = {0};
	run r;
	/* oversized: a summary and where the item is in S3 */
	const char *over =
		"{\"configurationItemSummary\":{\"changeType\":\"UPDATE\",\"configurationItemVersion\":"
		"\"1.3\",\"configurationItemCaptureTime\":\"2024-04-04T04:00:00.000Z\","
		"\"configurationStateId\":5,\"awsAccountId\":\"111122223333\",\"configurationItemStatus\":"
		"\"OK\",\"resourceType\":\"AWS::EC2::Instance\",\"resourceId\":\"i-9\",\"resourceName\":null,"
		"\"awsRegion\":\"us-east-1\"},\"s3DeliverySummary\":{\"s3BucketLocation\":\"bucket/AWSLogs/"
		"111122223333/Config/x.json.gz\",\"errorCode\":null,\"errorMessage\":null},"
		"\"notificationCreationTime\":\"2024-04-04T04:00:01.000Z\",\"messageType\":"
		"\"OversizedConfigurationItemChangeNotification\",\"recordVersion\":\"1.0\"}";
	sns_doc(&doc, over);
	assert_int_equal(vg_fmt_awsconfig.detect((const char *)doc.p, doc.len), 95);
	parse(&r, (const char *)doc.p, doc.len);
	assert_int_equal(vg_batch_count(&r.b), 1);
	assert_int_equal(r.b.nparse_errors, 0);
	assert_raw(&r, 0, over);
	assert_string_equal(sval(&r, 0, "resourceId"), "i-9");
	assert_string_equal(sval(&r, 0, "changeType"), "UPDATE");
	assert_string_equal(sval(&r, 0, "s3DeliverySummary.s3BucketLocation"),
			    "bucket/AWSLogs/111122223333/Config/x.json.gz");
	assert_string_equal(sval(&r, 0, "messageType"), "OversizedConfigurationItemChangeNotification");
	assert_true(r.b.ev[0].t == iso("2024-04-04T04:00:00Z"));
	done(&r);

	/* the same message without the SNS envelope, and via EventBridge */
	parse_str(&r, over);
	assert_int_equal(vg_batch_count(&r.b), 1);
	assert_string_equal(sval(&r, 0, "resourceId"), "i-9");
	done(&r);
	doc.len = 0;
	vg_buf_printf(&doc, "{\"version\":\"0\",\"detail-type\":\"Config Configuration Item Change\","
			    "\"source\":\"aws.config\",\"detail\":{\"configurationItem\":%s,"
			    "\"configurationItemDiff\":{\"changeType\":\"CREATE\",\"changedProperties\":{}},"
			    "\"messageType\":\"ConfigurationItemChangeNotification\"}}", ci_sg);
	assert_int_equal(vg_fmt_awsconfig.detect((const char *)doc.p, doc.len), 95);
	parse(&r, (const char *)doc.p, doc.len);
	assert_int_equal(vg_batch_count(&r.b), 1);
	assert_int_equal(r.b.nparse_errors, 0);
	assert_int_equal(r.b.ev[0].rawlen, doc.len);
	assert_string_equal(sval(&r, 0, "resourceId"), "sg-1");
	assert_string_equal(sval(&r, 0, "configurationItemDiff.changeType"), "CREATE");
	done(&r);

	/* other notifications are events too, timed by notificationCreationTime */
	sns_doc(&doc, "{\"awsAccountId\":\"1\",\"configRuleName\":\"restricted-ssh\",\"resourceType\":"
		      "\"AWS::EC2::SecurityGroup\",\"resourceId\":\"sg-1\",\"newEvaluationResult\":"
		      "{\"complianceType\":\"NON_COMPLIANT\"},\"notificationCreationTime\":"
		      "\"2024-04-04T04:05:00Z\",\"messageType\":\"ComplianceChangeNotification\","
		      "\"configurationItem\":null}");
	parse(&r, (const char *)doc.p, doc.len);
	assert_int_equal(vg_batch_count(&r.b), 1);
	assert_int_equal(r.b.nparse_errors, 0);
	assert_string_equal(sval(&r, 0, "newEvaluationResult.complianceType"), "NON_COMPLIANT");
	assert_null(vg_batch_get(&r.b, 0, "configurationItemStatus"));
	assert_true(r.b.ev[0].t == iso("2024-04-04T04:05:00Z"));
	done(&r);

	/* Messages that are not what they should be */
	static const char *const bad[][2] = {
		{"not json", "SNS Message: unexpected 'n' at byte 0; expected a value"},
		{"", "SNS Message: input ends at byte 0 where a value was expected"},
		{"[1]", "SNS Message: the Message holds an array, not a JSON object"},
		{"{\"configurationItem\":{\"a\":1", "SNS Message: input ends at byte 27 inside the object opened at byte 21"},
		{"{\"messageType\":\"ConfigurationItemChangeNotification\"}",
		 "the notification has no configurationItem object"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		sns_doc(&doc, bad[i][0]);
		parse(&r, (const char *)doc.p, doc.len);
		assert_int_equal(vg_batch_count(&r.b), 1);
		assert_int_equal(r.b.nparse_errors, 1);
		assert_string_equal(sval(&r, 0, "_parse_error"), bad[i][1]);
		assert_raw(&r, 0, bad[i][0]);
		assert_string_equal(sval(&r, 0, "sns.MessageId"), "m-1");
		assert_true(r.b.ev[0].t == iso("2024-04-04T04:04:04Z"));
		done(&r);
	}
	parse_str(&r, "{\"Type\":\"Notification\",\"Message\":5}");
	assert_string_equal(sval(&r, 0, "_parse_error"), "the SNS Message is not a string");
	done(&r);
	parse_str(&r, "{\"detail-type\":\"x\",\"detail\":[]}");
	assert_string_equal(sval(&r, 0, "_parse_error"), "the EventBridge detail is not an object");
	done(&r);
	vg_buf_free(&doc);
}

/* `aws configservice get-resource-config-history`: configuration is a JSON
 * string, the account and ARN keys are spelled differently, times are
 * epoch seconds. */
static void test_config_history_cli(void **st)
{
	(void)st;
	const char *doc =
		"{\n  \"configurationItems\": [\n    {\n      \"version\": \"1.3\",\n"
		"      \"accountId\": \"111122223333\",\n"
		"      \"configurationItemCaptureTime\": 1709287200.123,\n"
		"      \"configurationItemStatus\": \"OK\",\n"
		"      \"arn\": \"arn:aws:ec2:eu-west-1:111122223333:security-group/sg-1\",\n"
		"      \"resourceType\": \"AWS::EC2::SecurityGroup\",\n      \"resourceId\": \"sg-1\",\n"
		"      \"configuration\": \"{\\\"groupId\\\":\\\"sg-1\\\",\\\"ipPermissions\\\":"
		"[{\\\"fromPort\\\":3389}]}\",\n"
		"      \"supplementaryConfiguration\": {}\n    }\n  ]\n}\n";
	run r;
	assert_int_equal(vg_fmt_awsconfig.detect(doc, strlen(doc)), 95);
	parse_str(&r, doc);
	assert_int_equal(vg_batch_count(&r.b), 1);
	assert_int_equal(r.b.nparse_errors, 0);
	assert_int_equal(ival(&r, 0, "configuration.ipPermissions[0].fromPort"), 3389);
	assert_string_equal(sval(&r, 0, "configuration.groupId"), "sg-1");
	assert_null(vg_batch_get(&r.b, 0, "configuration"));
	assert_string_equal(sval(&r, 0, "awsAccountId"), "111122223333");
	assert_string_equal(sval(&r, 0, "ARN"), "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-1");
	assert_true(r.b.ev[0].t == INT64_C(1709287200123000000));
	done(&r);
}

static void test_detect(void **st)
{
	(void)st;
	const char *no[] = {
		"", "{\"Records\":[]}", "[{\"eventVersion\":\"1.08\",\"eventTime\":\"x\"}]",
		"{\"PasswordPolicy\":{}}", "plain text",
	};
	for (size_t i = 0; i < sizeof no / sizeof *no; i++)
		assert_int_equal(vg_fmt_awsconfig.detect(no[i], strlen(no[i])), 0);
	assert_int_equal(vg_fmt_awsconfig.detect(ci_sg, strlen(ci_sg)), 85);
	const char *bare = "{\"configurationItem\":{},\"messageType\":\"x\"}";
	assert_int_equal(vg_fmt_awsconfig.detect(bare, strlen(bare)), 90);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_sample_fields),
		cmocka_unit_test(test_malformed_samples),
		cmocka_unit_test(test_snapshot),
		cmocka_unit_test(test_bad_items),
		cmocka_unit_test(test_notifications),
		cmocka_unit_test(test_config_history_cli),
		cmocka_unit_test(test_detect),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
