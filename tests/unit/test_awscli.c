/* test_awscli.c — the awscli format (fixtures in tests/fixtures/awscli/). */
#include "parsefix.h"

#define REF INT64_C(1714557600000000000) /* 2024-05-01T10:00:00Z */
#define ACCOUNT "111122223333"

static void parse_buf(run *r, const char *buf, size_t len, const char *account)
{
	vg_batch_init(&r->b);
	r->ctx = (vg_parse_ctx){.out = &r->b, .now_ns = REF + 1, .ref_ns = REF, .account = account};
	r->rc = vg_fmt_awscli.parse(&r->ctx, buf, len);
}

/* Parse fixture name with --account account. */
static void parse_fixture(run *r, const char *name, const char *account)
{
	char path[256];
	memset(r, 0, sizeof *r);
	snprintf(path, sizeof path, "tests/fixtures/awscli/%s", name);
	r->buf = slurp(path, &r->len);
	if (r->buf == NULL)
		fail_msg("cannot read %s", path);
	assert_true(vg_fmt_awscli.detect(r->buf, r->len) >= 90);
	parse_buf(r, r->buf, r->len, account);
}

/* The fields every event of ours has, as a configuration item. */
static void assert_item(const run *r, size_t i, const char *kind, const char *rtype, const char *rid)
{
	assert_string_equal(sval(r, i, "resourceType"), rtype);
	assert_string_equal(sval(r, i, "resourceId"), rid);
	assert_string_equal(sval(r, i, "awsAccountId"), ACCOUNT);
	assert_string_equal(sval(r, i, "awscli.kind"), kind);
	assert_string_equal(sval(r, i, "configurationItemStatus"), "OK");
	assert_non_null(sval(r, i, "configurationItemCaptureTime"));
	assert_int_equal(r->b.ev[i].group, vg_strtab_find(&r->b.groups, "awsconfig", 9));
	assert_null(vg_batch_get(&r->b, i, "_parse_error"));
}

static void test_password_policy(void **st)
{
	(void)st;
	run r;
	parse_fixture(&r, "password-policy.json", ACCOUNT);
	assert_int_equal(r.rc, 0);
	assert_int_equal(vg_batch_count(&r.b), 1);
	assert_item(&r, 0, "password-policy", "AWS::::Account", ACCOUNT);
	assert_int_equal(ival(&r, 0, "configuration.PasswordPolicy.MinimumPasswordLength"), 14);
	assert_int_equal(ival(&r, 0, "configuration.PasswordPolicy.MaxPasswordAge"), 90);
	assert_string_equal(sval(&r, 0, "configuration.PasswordPolicy.RequireSymbols"), "true");
	assert_string_equal(sval(&r, 0, "configuration.PasswordPolicy.HardExpiry"), "false");
	assert_null(vg_batch_get(&r.b, 0, "configuration.noPasswordPolicy"));
	assert_true(r.b.ev[0].t == REF);
	assert_string_equal(sval(&r, 0, "configurationItemCaptureTime"), "2024-05-01T10:00:00.000Z");
	/* raw is the output itself (without the trailing newline) */
	assert_int_equal(r.b.ev[0].rawlen, r.len - 1);
	done(&r);

	parse_fixture(&r, "password-policy-nosuchentity.txt", ACCOUNT);
	assert_int_equal(r.rc, 0);
	assert_int_equal(vg_batch_count(&r.b), 1);
	assert_item(&r, 0, "password-policy", "AWS::::Account", ACCOUNT);
	assert_string_equal(sval(&r, 0, "configuration.noPasswordPolicy"), "true");
	assert_null(vg_batch_get(&r.b, 0, "configuration.PasswordPolicy.MinimumPasswordLength"));
	assert_memory_equal(r.b.ev[0].raw, "An error occurred (NoSuchEntity)", 32);
	done(&r);
	/* the message names the account: another --account is refused */
	parse_fixture(&r, "password-policy-nosuchentity.txt", "999988887777");
	assert_int_equal(r.rc, VG_EINVAL);
	assert_string_equal(r.ctx.err.msg,
			    "the NoSuchEntity message is for account 111122223333, but --account is 999988887777");
	assert_int_equal(vg_batch_count(&r.b), 0);
	done(&r);
}

static void test_account_summary(void **st)
{
	(void)st;
	run r;
	parse_fixture(&r, "account-summary.json", ACCOUNT);
	assert_int_equal(vg_batch_count(&r.b), 1);
	assert_item(&r, 0, "account-summary", "AWS::::Account", ACCOUNT);
	assert_int_equal(ival(&r, 0, "configuration.SummaryMap.AccountMFAEnabled"), 1);
	assert_int_equal(ival(&r, 0, "configuration.SummaryMap.AccountAccessKeysPresent"), 0);
	assert_int_equal(ival(&r, 0, "configuration.SummaryMap.Users"), 3);
	assert_int_equal(r.b.ev[0].nfields, 6 + 33);
	done(&r);
}

static void test_trail_status(void **st)
{
	(void)st;
	run r;
	parse_fixture(&r, "trail-status.json", ACCOUNT);
	assert_int_equal(vg_batch_count(&r.b), 1);
	assert_item(&r, 0, "trail-status", "AWS::::Account", ACCOUNT);
	assert_string_equal(sval(&r, 0, "configuration.IsLogging"), "true");
	assert_string_equal(sval(&r, 0, "configuration.LatestDeliveryTime"), "2024-05-01T10:15:20.123000+00:00");
	assert_string_equal(sval(&r, 0, "awscli.trail"), "unknown");
	done(&r);
	parse_fixture(&r, "trail-status-named.json", ACCOUNT);
	assert_item(&r, 0, "trail-status", "AWS::::Account", ACCOUNT);
	assert_string_equal(sval(&r, 0, "configuration.IsLogging"), "false");
	assert_string_equal(sval(&r, 0, "awscli.trail"),
			    "arn:aws:cloudtrail:eu-west-1:111122223333:trail/org-trail");
	done(&r);
}

static void check_report(const run *r, int64_t t)
{
	assert_int_equal(r->rc, 0);
	assert_int_equal(vg_batch_count(&r->b), 4);
	assert_int_equal(r->b.nparse_errors, 0);
	assert_item(r, 0, "credential-report", "AWS::::Account", ACCOUNT);
	assert_string_equal(sval(r, 0, "configuration.mfa_active"), "false");
	assert_string_equal(sval(r, 0, "configuration.access_key_1_active"), "true");
	assert_string_equal(sval(r, 0, "configuration.password_enabled"), "not_supported");
	assert_item(r, 1, "credential-report", "AWS::IAM::User", "alice");
	assert_string_equal(sval(r, 1, "configuration.user"), "alice");
	assert_string_equal(sval(r, 1, "ARN"), "arn:aws:iam::111122223333:user/alice");
	assert_string_equal(sval(r, 1, "configuration.access_key_1_last_used_service"), "s3");
	assert_item(r, 2, "credential-report", "AWS::IAM::User", "bob");
	assert_string_equal(sval(r, 2, "configuration.mfa_active"), "false");
	assert_string_equal(sval(r, 2, "configuration.access_key_2_last_rotated"), "2022-01-01T00:00:00+00:00");
	assert_string_equal(sval(r, 2, "configuration.cert_2_last_rotated"), "N/A");
	assert_item(r, 3, "credential-report", "AWS::IAM::User", "ci-bot");
	for (size_t i = 0; i < 4; i++) {
		assert_true(r->b.ev[i].t == t);
		assert_int_equal(r->b.ev[i].nfields, 6 + 2 + 22);
	}
	assert_memory_equal(r->b.ev[1].raw, "alice,arn:aws:iam::111122223333:user/alice,", 43);
}

static void test_credential_report(void **st)
{
	(void)st;
	run r;
	parse_fixture(&r, "credential-report.csv", ACCOUNT);
	check_report(&r, REF);
	done(&r);
	/* the JSON of get-credential-report: the report's own time */
	parse_fixture(&r, "credential-report.json", ACCOUNT);
	check_report(&r, INT64_C(1714557600000000000));
	done(&r);
	parse_fixture(&r, "credential-report.csv", "999988887777");
	assert_int_equal(r.rc, VG_EINVAL);
	assert_string_equal(r.ctx.err.msg,
			    "the credential report is for account 111122223333, but --account is 999988887777");
	assert_int_equal(vg_batch_count(&r.b), 0);
	done(&r);
}

static void test_report_rows(void **st)
{
	(void)st;
	const char *csv = "user,arn,user_creation_time,mfa_active\r\n"
			  "\"dave, jr\",\"arn:aws:iam::111122223333:user/d\"\"q\",x,true\r\n"
			  "\r\n"
			  "eve,arn:aws:iam::111122223333:user/eve\n";
	run r;
	memset(&r, 0, sizeof r);
	parse_buf(&r, csv, strlen(csv), ACCOUNT);
	assert_int_equal(r.rc, 0);
	assert_int_equal(vg_batch_count(&r.b), 2);
	assert_string_equal(sval(&r, 0, "resourceId"), "dave, jr");
	assert_string_equal(sval(&r, 0, "configuration.arn"), "arn:aws:iam::111122223333:user/d\"q");
	assert_string_equal(sval(&r, 0, "configuration.mfa_active"), "true");
	assert_null(vg_batch_get(&r.b, 0, "_parse_error"));
	assert_string_equal(sval(&r, 1, "_parse_error"), "credential report row has 2 columns; the header has 4");
	assert_int_equal(r.b.nparse_errors, 1);
	done(&r);
}

static void test_errors(void **st)
{
	(void)st;
	run r;
	memset(&r, 0, sizeof r);
	parse_buf(&r, "{\"PasswordPolicy\":{}}", 21, NULL);
	assert_int_equal(r.rc, VG_EINVAL);
	assert_string_equal(r.ctx.err.msg, "awscli input needs the account id: --account ID");
	assert_int_equal(vg_batch_count(&r.b), 0);
	done(&r);

	static const char *const bad[][2] = {
		{"{\"Users\":[]}", "not a recognised AWS CLI output (a JSON object without PasswordPolicy, "
				   "SummaryMap, IsLogging or Content): expected get-account-password-policy, "
				   "get-account-summary, get-trail-status or a credential report"},
		{"hello", "not a recognised AWS CLI output (text): expected get-account-password-policy, "
			  "get-account-summary, get-trail-status or a credential report"},
		{"[1,2]", "not a recognised AWS CLI output (not a JSON object): expected "
			  "get-account-password-policy, get-account-summary, get-trail-status or a "
			  "credential report"},
		{"{\"PasswordPolicy\":{\"MinimumPasswordLength\":", "input ends at byte 43 where a value was expected"},
		{"{\"Content\":\"!!!\",\"ReportFormat\":\"text/csv\"}",
		 "credential report Content is not base64 (byte 0 of it)"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		memset(&r, 0, sizeof r);
		parse_buf(&r, bad[i][0], strlen(bad[i][0]), ACCOUNT);
		assert_int_equal(r.rc, 0);
		assert_int_equal(vg_batch_count(&r.b), 1);
		assert_int_equal(r.b.nparse_errors, 1);
		const char *got = sval(&r, 0, "_parse_error");
		if (got == NULL || strcmp(got, bad[i][1]) != 0)
			fail_msg("case %zu: %s", i, got ? got : "(none)");
		assert_int_equal(r.b.ev[0].rawlen, strlen(bad[i][0]));
		done(&r);
	}
	/* blank input: nothing */
	memset(&r, 0, sizeof r);
	parse_buf(&r, " \n", 2, ACCOUNT);
	assert_int_equal(r.rc, 0);
	assert_int_equal(vg_batch_count(&r.b), 0);
	done(&r);
}

/* Several outputs concatenated in one file are each read. */
static void test_concatenated(void **st)
{
	(void)st;
	const char *two = "{\"PasswordPolicy\":{\"MinimumPasswordLength\":8}}\n"
			  "{\"SummaryMap\":{\"AccountMFAEnabled\":0}}\n";
	run r;
	memset(&r, 0, sizeof r);
	parse_buf(&r, two, strlen(two), ACCOUNT);
	assert_int_equal(vg_batch_count(&r.b), 2);
	assert_int_equal(ival(&r, 0, "configuration.PasswordPolicy.MinimumPasswordLength"), 8);
	assert_int_equal(ival(&r, 1, "configuration.SummaryMap.AccountMFAEnabled"), 0);
	done(&r);
}

static void test_detect(void **st)
{
	(void)st;
	const char *no[] = {
		"", "{\"Records\":[]}", "{\"eventVersion\":\"1.08\"}", "{\"IsLogging\":true}",
		"user,name\nx,y\n", "{\"configurationItems\":[]}", "An error occurred (AccessDenied)",
	};
	for (size_t i = 0; i < sizeof no / sizeof *no; i++)
		assert_int_equal(vg_fmt_awscli.detect(no[i], strlen(no[i])), 0);
	assert_int_equal(vg_fmt_awscli.detect("  {\n \"SummaryMap\": {", 20), 95);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_policy),
		cmocka_unit_test(test_account_summary),
		cmocka_unit_test(test_trail_status),
		cmocka_unit_test(test_credential_report),
		cmocka_unit_test(test_report_rows),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_concatenated),
		cmocka_unit_test(test_detect),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
