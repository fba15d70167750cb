/* test_syslog.c — the syslog parser: RFC 3164, RFC 5424, ISO timestamps,
 * year inference, sshd/PAM/sudo fields, malformed lines, detection. */
#include "parsefix.h"

#define NOW ts(2023, 11, 14, 22, 13, 20)

/* A fixture parsing syslog at NOW. */
static void fx_init(fx *f)
{
	fx_open(f, &vg_fmt_syslog, NOW);
}

/* Number of events whose field name is the string s. */
static size_t count_str(const fx *f, const char *name, const char *s)
{
	size_t n = 0;
	for (size_t i = 0; i < f->b.nev; i++) {
		const vg_field *x = vg_batch_get(&f->b, i, name);
		n += x != NULL && x->type == VG_T_STR && strcmp(x->v.s, s) == 0;
	}
	return n;
}

static size_t count_set(const fx *f, const char *name)
{
	size_t n = 0;
	for (size_t i = 0; i < f->b.nev; i++)
		n += vg_batch_get(&f->b, i, name) != NULL;
	return n;
}

static char *secure_log(size_t *len)
{
	return read_shared("syslog/secure-rhel7.log", len);
}

/* The real RHEL 7 /var/log/secure: every line an event, and the counts of
 * each result as grep finds them:
 *   grep -c 'Failed password for' = 352 (none for an invalid user)
 *   grep -c 'pam_unix(sshd:auth): authentication failure;' = 76
 *   grep -c 'Accepted ' = 3;  grep -c 'Invalid user' = 0
 *   grep -c 'sudo:' = 2;  grep -c 'more authentication failures' = 76 */
static void test_secure_rhel7(void **st)
{
	(void)st;
	size_t len;
	char *s = secure_log(&len);
	fx f;
	fx_init(&f);
	feed(&f, s, len);
	assert_int_equal(vg_batch_count(&f.b), 1000);
	assert_int_equal(f.b.nparse_errors, 0);
	assert_int_equal(count_str(&f, "result", "failed"), 352 + 76);
	assert_int_equal(count_str(&f, "result", "accepted"), 3);
	assert_int_equal(count_str(&f, "result", "invalid_user"), 0);
	assert_int_equal(count_set(&f, "result"), 431);
	assert_int_equal(count_str(&f, "auth_method", "password"), 352);
	assert_int_equal(count_str(&f, "auth_method", "publickey"), 3);
	assert_int_equal(count_str(&f, "program", "sshd"), 998);
	assert_int_equal(count_str(&f, "program", "sudo"), 2);
	assert_int_equal(count_str(&f, "host", "slave22"), 1000);
	assert_int_equal(count_set(&f, "message"), 1000);
	assert_int_equal(count_set(&f, "pid"), 998);
	/* src_ip: the 431 results plus the 76 "PAM N more" summaries. */
	assert_int_equal(count_set(&f, "src_ip"), 431 + 76);
	assert_int_equal(count_set(&f, "src_port"), 355);
	assert_int_equal(count_set(&f, "facility"), 0);
	assert_int_equal(count_str(&f, "sudo_user", "root"), 2);

	want_raw(&f, 0, "Feb 22 16:45:20 slave22 sshd[2738]: Failed password for root from "
			"202.109.143.106 port 1786 ssh2");
	/* No year in the line: the one that is not after the file's time. */
	assert_int_equal(f.b.ev[0].t, ts(2023, 2, 22, 16, 45, 20));
	assert_int_equal(f.b.ev[0].nfields, 9);
	want_str(&f, 0, "host", "slave22");
	want_str(&f, 0, "program", "sshd");
	want_int(&f, 0, "pid", 2738);
	want_str(&f, 0, "message", "Failed password for root from 202.109.143.106 port 1786 ssh2");
	want_str(&f, 0, "result", "failed");
	want_str(&f, 0, "auth_method", "password");
	want_str(&f, 0, "user", "root");
	want_ip(&f, 0, "src_ip", "202.109.143.106");
	want_int(&f, 0, "src_port", 1786);
	want_absent(&f, 0, "severity");
	assert_string_equal(vg_strtab_get(&f.b.groups, f.b.ev[0].group, NULL), "syslog");

	/* Line 7: sshd's PAM summary: who and where, but no result. */
	want_raw(&f, 6, "Feb 22 16:45:26 slave22 sshd[2738]: PAM 4 more authentication failures; "
			"logname= uid=0 euid=0 tty=ssh ruser= rhost=202.109.143.106  user=root");
	want_ip(&f, 6, "src_ip", "202.109.143.106");
	want_str(&f, 6, "user", "root");
	want_absent(&f, 6, "result");

	/* Line 9: the PAM failure itself. */
	want_str(&f, 8, "result", "failed");
	want_ip(&f, 8, "src_ip", "202.109.143.106");
	want_str(&f, 8, "user", "root");
	want_absent(&f, 8, "auth_method");
	want_absent(&f, 8, "src_port");

	/* Line 2: nothing to extract but the header. */
	assert_int_equal(f.b.ev[1].nfields, 4);

	for (size_t i = 0; i < f.b.nev; i++) {
		const vg_field *p = vg_batch_get(&f.b, i, "program");
		if (p && strcmp(p->v.s, "sudo") == 0) {
			want_str(&f, i, "user", "tsg");
			want_str(&f, i, "tty", "pts/0");
			want_str(&f, i, "pwd", "/home/tsg");
			want_str(&f, i, "sudo_user", "root");
			assert_true(strcmp(get(&f, i, "command")->v.s, "/bin/cat /var/log/secure") ==
					    0 ||
				    strcmp(get(&f, i, "command")->v.s, "/bin/cp /var/log/secure .") ==
					    0);
			want_absent(&f, i, "pid");
		}
		const vg_field *r = vg_batch_get(&f.b, i, "result");
		if (r && strcmp(r->v.s, "accepted") == 0)
			want_str(&f, i, "auth_method", "publickey");
	}
	fx_free(&f);
	free(s);
}

static void test_year_inference(void **st)
{
	(void)st;
	fx f;
	fx_init(&f);
	f.ctx.ref_ns = ts(2024, 1, 2, 0, 0, 0);
	feeds(&f, "Dec 31 23:59:59 h p: last year\n"
		  "Jan  3 10:00:00 h p: a day ahead: clock skew, this year\n"
		  "Jan  4 00:00:00 h p: exactly two days ahead\n"
		  "Jan  4 00:00:01 h p: more than two days ahead\n"
		  "Feb 29 12:00:00 h p: a leap day\n");
	assert_int_equal(f.b.ev[0].t, ts(2023, 12, 31, 23, 59, 59));
	assert_int_equal(f.b.ev[1].t, ts(2024, 1, 3, 10, 0, 0));
	assert_int_equal(f.b.ev[2].t, ts(2024, 1, 4, 0, 0, 0));
	assert_int_equal(f.b.ev[3].t, ts(2023, 1, 4, 0, 0, 1));
	/* 2023 has no Feb 29: the date rolls over to Mar 1. */
	assert_int_equal(f.b.ev[4].t, ts(2023, 3, 1, 12, 0, 0));
	/* Without a reference time, the ingest time is the reference. */
	fx g;
	fx_init(&g);
	g.ctx.ref_ns = 0;
	g.ctx.now_ns = ts(2021, 6, 1, 0, 0, 0);
	feeds(&g, "Jun  3 00:00:00 h p: x\nJun  3 00:00:01 h p: x\n");
	assert_int_equal(g.b.ev[0].t, ts(2021, 6, 3, 0, 0, 0));
	assert_int_equal(g.b.ev[1].t, ts(2020, 6, 3, 0, 0, 1));
	fx_free(&g);
	fx_free(&f);
}

static void test_rfc3164_forms(void **st)
{
	(void)st;
	fx f;
	fx_init(&f);
	feeds(&f, "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8\n"
		  "<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!\n"
		  "Feb 22 16:45:20 sshd[12]: no host here\n"
		  "<13>myprog: relayed without a timestamp\n"
		  "Mar 7 01:02:03.250 web-1 cron[abc]:   padded message\n"
		  "<191>Apr 30 23:59:60 h kernel:\n"
		  "May  1 00:00:00 h\n");
	assert_int_equal(vg_batch_count(&f.b), 7);
	assert_int_equal(f.b.nparse_errors, 0);

	assert_int_equal(f.b.ev[0].t, ts(2023, 10, 11, 22, 14, 15));
	want_str(&f, 0, "facility", "auth");
	want_str(&f, 0, "severity", "crit");
	want_str(&f, 0, "host", "mymachine");
	want_str(&f, 0, "program", "su");
	want_absent(&f, 0, "pid");
	want_str(&f, 0, "message", "'su root' failed for lonvick on /dev/pts/8");
	assert_int_equal(f.b.ev[0].nfields, 5);

	want_str(&f, 1, "facility", "user");
	want_str(&f, 1, "severity", "notice");
	want_str(&f, 1, "host", "10.0.0.99");
	want_absent(&f, 1, "program");
	want_str(&f, 1, "message", "Use the BFG!");
	assert_int_equal(f.b.ev[1].t, ts(2023, 2, 5, 17, 32, 18));

	want_absent(&f, 2, "host");
	want_str(&f, 2, "program", "sshd");
	want_int(&f, 2, "pid", 12);
	want_str(&f, 2, "message", "no host here");

	assert_int_equal(f.b.ev[3].t, NOW);
	want_absent(&f, 3, "host");
	want_str(&f, 3, "program", "myprog");
	want_str(&f, 3, "message", "relayed without a timestamp");

	assert_int_equal(f.b.ev[4].t, ts(2023, 3, 7, 1, 2, 3) + 250000000);
	want_str(&f, 4, "host", "web-1");
	want_str(&f, 4, "program", "cron");
	want_str(&f, 4, "procid", "abc");
	want_absent(&f, 4, "pid");
	want_str(&f, 4, "message", "padded message");

	want_str(&f, 5, "facility", "local7");
	want_str(&f, 5, "severity", "debug");
	want_str(&f, 5, "program", "kernel");
	want_absent(&f, 5, "message"); /* empty */
	assert_int_equal(f.b.ev[5].t, ts(2023, 4, 30, 23, 59, 60));

	want_str(&f, 6, "host", "h");
	assert_int_equal(f.b.ev[6].nfields, 1);
	fx_free(&f);
}

static void test_iso_timestamps(void **st)
{
	(void)st;
	fx f;
	fx_init(&f);
	feeds(&f, "2024-01-02T03:04:05.123456+01:00 web-1 nginx[77]: GET / 200\n"
		  "2024-01-02T03:04:05Z db-2 postgres: checkpoint starting\n");
	assert_int_equal(vg_batch_count(&f.b), 2);
	assert_int_equal(f.b.nparse_errors, 0);
	assert_int_equal(f.b.ev[0].t, ts(2024, 1, 2, 2, 4, 5) + 123456000);
	want_str(&f, 0, "host", "web-1");
	want_str(&f, 0, "program", "nginx");
	want_int(&f, 0, "pid", 77);
	want_str(&f, 0, "message", "GET / 200");
	assert_int_equal(f.b.ev[1].t, ts(2024, 1, 2, 3, 4, 5));
	want_str(&f, 1, "host", "db-2");
	want_str(&f, 1, "program", "postgres");
	fx_free(&f);
}

static void test_rfc5424(void **st)
{
	(void)st;
	fx f;
	fx_init(&f);
	/* The examples of RFC 5424 section 6.5. */
	feeds(&f, "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \xEF\xBB\xBF'su "
		  "root' failed for lonvick on /dev/pts/8\n"
		  "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time "
		  "to make the do-nuts.\n"
		  "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
		  "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] "
		  "\xEF\xBB\xBF"
		  "An application event log entry...\n"
		  "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
		  "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"]"
		  "[examplePriority@32473 class=\"high\"]\n"
		  "<14>1 - - - worker-7 - [x@1 a=\"q\\\"uo]te\\]d\"] after\n"
		  "<14>1 2020-01-01T00:00:00Z host\n");
	assert_int_equal(vg_batch_count(&f.b), 6);
	assert_int_equal(f.b.nparse_errors, 0);

	assert_int_equal(f.b.ev[0].t, ts(2003, 10, 11, 22, 14, 15) + 3000000);
	want_str(&f, 0, "facility", "auth");
	want_str(&f, 0, "severity", "crit");
	want_str(&f, 0, "host", "mymachine.example.com");
	want_str(&f, 0, "program", "su");
	want_absent(&f, 0, "pid");
	want_absent(&f, 0, "procid");
	want_str(&f, 0, "msgid", "ID47");
	want_absent(&f, 0, "structured_data");
	want_str(&f, 0, "message", "'su root' failed for lonvick on /dev/pts/8");

	assert_int_equal(f.b.ev[1].t, ts(2003, 8, 24, 12, 14, 15) + 3000);
	want_str(&f, 1, "facility", "local4");
	want_str(&f, 1, "severity", "notice");
	want_str(&f, 1, "host", "192.0.2.1");
	want_str(&f, 1, "program", "myproc");
	want_int(&f, 1, "pid", 8710);
	want_absent(&f, 1, "msgid");
	want_str(&f, 1, "message", "%% It's time to make the do-nuts.");

	want_str(&f, 2, "program", "evntslog");
	want_str(&f, 2, "structured_data",
		 "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"]");
	want_str(&f, 2, "message", "An application event log entry...");

	want_str(&f, 3, "structured_data",
		 "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"]"
		 "[examplePriority@32473 class=\"high\"]");
	want_absent(&f, 3, "message");

	/* Nil timestamp: the ingest time. Escapes inside a quoted SD value. */
	assert_int_equal(f.b.ev[4].t, NOW);
	want_absent(&f, 4, "host");
	want_str(&f, 4, "procid", "worker-7");
	want_str(&f, 4, "structured_data", "[x@1 a=\"q\\\"uo]te\\]d\"]");
	want_str(&f, 4, "message", "after");

	want_str(&f, 5, "host", "host");
	want_absent(&f, 5, "program");
	fx_free(&f);
}

static void test_sshd_variants(void **st)
{
	(void)st;
	fx f;
	fx_init(&f);
	feeds(&f, "Mar  1 10:00:00 bastion sshd[100]: Failed password for invalid user admin from "
		  "198.51.100.7 port 40022 ssh2\n"
		  "Mar  1 10:00:01 bastion sshd[101]: Invalid user oracle from 198.51.100.8 port "
		  "50000\n"
		  "Mar  1 10:00:02 bastion sshd[102]: Invalid user test from 198.51.100.9\n"
		  "Mar  1 10:00:03 bastion sshd[103]: Failed publickey for git from 2001:db8::5 "
		  "port 22 ssh2: ED25519 SHA256:abc\n"
		  "Mar  1 10:00:04 bastion sshd[104]: Accepted password for alice from "
		  "scanner.example.net port 51515 ssh2\n"
		  "Mar  1 10:00:05 bastion sshd[105]: Failed password for invalid user a b from "
		  "198.51.100.10 port 1 ssh2\n"
		  "Mar  1 10:00:06 bastion sshd[106]: Invalid user  from 198.51.100.11 port 2\n"
		  "Mar  1 10:00:07 bastion sshd[107]: Accepted keyboard-interactive/pam for bob "
		  "from 10.1.2.3 port 3 ssh2\n"
		  "Mar  1 10:00:08 bastion sshd[108]: Failed password\n"
		  "Mar  1 10:00:09 bastion sshd[109]: Connection closed by 1.2.3.4 port 5 "
		  "[preauth]\n");
	assert_int_equal(vg_batch_count(&f.b), 10);
	assert_int_equal(f.b.nparse_errors, 0);

	want_str(&f, 0, "result", "invalid_user");
	want_str(&f, 0, "auth_method", "password");
	want_str(&f, 0, "user", "admin");
	want_ip(&f, 0, "src_ip", "198.51.100.7");
	want_int(&f, 0, "src_port", 40022);

	want_str(&f, 1, "result", "invalid_user");
	want_str(&f, 1, "user", "oracle");
	want_ip(&f, 1, "src_ip", "198.51.100.8");
	want_int(&f, 1, "src_port", 50000);
	want_absent(&f, 1, "auth_method");

	want_str(&f, 2, "user", "test");
	want_ip(&f, 2, "src_ip", "198.51.100.9");
	want_absent(&f, 2, "src_port");

	want_str(&f, 3, "result", "failed");
	want_str(&f, 3, "auth_method", "publickey");
	want_str(&f, 3, "user", "git");
	want_ip(&f, 3, "src_ip", "2001:db8::5");
	want_int(&f, 3, "src_port", 22);

	want_str(&f, 4, "result", "accepted");
	want_str(&f, 4, "auth_method", "password");
	want_str(&f, 4, "src_ip", "scanner.example.net"); /* UseDNS: a name, kept */

	want_str(&f, 5, "user", "a b");
	want_str(&f, 5, "result", "invalid_user");

	want_absent(&f, 6, "user");
	want_str(&f, 6, "result", "invalid_user");
	want_ip(&f, 6, "src_ip", "198.51.100.11");

	want_str(&f, 7, "auth_method", "keyboard-interactive/pam");
	want_str(&f, 7, "user", "bob");

	want_absent(&f, 8, "result"); /* truncated: no "for" */
	want_absent(&f, 9, "result");
	want_absent(&f, 9, "src_ip");
	fx_free(&f);
}

static void test_pam_and_sudo(void **st)
{
	(void)st;
	fx f;
	fx_init(&f);
	feeds(&f, "Mar  1 10:00:00 h su[5]: pam_unix(su:auth): authentication failure; logname=bob "
		  "uid=1000 euid=0 tty=pts/1 ruser=bob rhost=  user=root\n"
		  "Mar  1 10:00:01 h sudo: pam_unix(sudo:auth): authentication failure; "
		  "logname=alice uid=1000 euid=0 tty=/dev/pts/0 ruser=alice rhost=  user=alice\n"
		  "Mar  1 10:00:02 h sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; "
		  "COMMAND=/bin/sh -c echo a ; echo b\n"
		  "Mar  1 10:00:03 h sudo:    carol : 3 incorrect password attempts ; TTY=pts/2 ; "
		  "PWD=/tmp ; USER=root ; COMMAND=/usr/bin/id\n"
		  "Mar  1 10:00:04 h sudo: something else entirely\n"
		  "Mar  1 10:00:05 h sshd[9]: pam_unix(sshd:auth): authentication failure; "
		  "logname= uid=0 euid=0 tty=ssh ruser= rhost=2001:db8::1\n");
	assert_int_equal(vg_batch_count(&f.b), 6);
	assert_int_equal(f.b.nparse_errors, 0);

	want_str(&f, 0, "result", "failed");
	want_str(&f, 0, "user", "root"); /* not ruser=bob */
	want_absent(&f, 0, "src_ip");    /* rhost= is empty */

	want_str(&f, 1, "result", "failed");
	want_str(&f, 1, "user", "alice");
	want_absent(&f, 1, "sudo_user");

	want_str(&f, 2, "user", "alice");
	want_str(&f, 2, "tty", "pts/0");
	want_str(&f, 2, "pwd", "/home/alice");
	want_str(&f, 2, "sudo_user", "root");
	want_str(&f, 2, "command", "/bin/sh -c echo a ; echo b");

	want_str(&f, 3, "user", "carol");
	want_str(&f, 3, "tty", "pts/2");
	want_str(&f, 3, "command", "/usr/bin/id");

	want_absent(&f, 4, "user");
	want_absent(&f, 4, "command");

	want_str(&f, 5, "result", "failed");
	want_ip(&f, 5, "src_ip", "2001:db8::1");
	want_absent(&f, 5, "user");
	fx_free(&f);
}

static void test_not_syslog(void **st)
{
	(void)st;
	fx f;
	fx_init(&f);
	feeds(&f, "hello world\n"
		  "<999>Feb 22 16:45:20 h p: x\n"
		  "<abc>\n"
		  "{\"json\": 1}\n"
		  "<13>1 yesterday host app - - - msg\n"
		  "<13>1 2003-10-11T22:14:15Z host app - - [unterminated x=\"1\"\n"
		  "<13>1 2003-10-11T22:14:15Z host app - - [ok][ok]junk\n"
		  "Feb 30 99:00:00 h p: bad clock\n");
	assert_int_equal(vg_batch_count(&f.b), 8);
	assert_int_equal(f.b.nparse_errors, 8);
	const char *notsys = "not a syslog line: expected <PRI>, a 'Mmm dd hh:mm:ss' timestamp "
			     "or an ISO-8601 timestamp at the start";
	const char *badpri = "not a syslog line: it starts with '<' but not with a priority "
			     "<0>..<191>";
	const char *badsd = "RFC 5424 structured data is not terminated (expected \"-\" or "
			    "[id name=\"value\"] elements)";
	assert_string_equal(perr(&f, 0), notsys);
	assert_string_equal(perr(&f, 1), badpri);
	assert_string_equal(perr(&f, 2), badpri);
	assert_string_equal(perr(&f, 3), notsys);
	assert_string_equal(perr(&f, 4),
			    "RFC 5424 timestamp is not an RFC 3339 date and time");
	assert_string_equal(perr(&f, 5), badsd);
	assert_string_equal(perr(&f, 6), badsd);
	assert_string_equal(perr(&f, 7), notsys);
	for (size_t i = 0; i < 8; i++) {
		assert_int_equal(f.b.ev[i].nfields, 1);
		assert_int_equal(f.b.ev[i].t, NOW);
	}
	want_raw(&f, 0, "hello world");
	fx_free(&f);
}

static void test_blank_crlf_empty(void **st)
{
	(void)st;
	fx f;
	fx_init(&f);
	feed(&f, "", 0);
	feeds(&f, "\n \t\r\n\r\n");
	assert_int_equal(vg_batch_count(&f.b), 0);
	feeds(&f, "Feb 22 16:45:20 h p[1]: one\r\n\r\nFeb 22 16:45:21 h p[1]: two");
	assert_int_equal(vg_batch_count(&f.b), 2);
	want_raw(&f, 0, "Feb 22 16:45:20 h p[1]: one");
	want_str(&f, 0, "message", "one");
	want_raw(&f, 1, "Feb 22 16:45:21 h p[1]: two");
	assert_int_equal(f.b.nparse_errors, 0);
	fx_free(&f);
}

static void test_long_line(void **st)
{
	(void)st;
	fx f;
	fx_init(&f);
	size_t n = (2u << 20) + 100;
	char *s = malloc(n);
	assert_non_null(s);
	memset(s, 'x', n);
	memcpy(s, "Feb 22 16:45:20 h p[1]: ", 24);
	s[n - 1] = '\n';
	feed(&f, s, n);
	assert_int_equal(vg_batch_count(&f.b), 1);
	assert_int_equal(f.b.nparse_errors, 1);
	assert_int_equal(f.b.ev[0].rawlen, VG_MAX_RAW);
	assert_string_equal(perr(&f, 0), "message longer than 1 MiB; cut there");
	want_str(&f, 0, "program", "p");
	assert_int_equal(get(&f, 0, "message")->len, VG_MAX_RAW);
	free(s);
	fx_free(&f);
}

static void test_chunk_boundaries(void **st)
{
	(void)st;
	size_t len;
	char *s = secure_log(&len);
	fx whole;
	fx_init(&whole);
	feed(&whole, s, len);
	same_at_cuts(fx_init, &whole.b, s, len, 97);
	/* Line by line, as a network receiver would feed it. */
	fx each;
	fx_init(&each);
	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(s + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - s) + 1 : len;
		feed(&each, s + pos, end - pos);
		pos = end;
	}
	same_events(&whole.b, &each.b);
	fx_free(&each);
	fx_free(&whole);
	free(s);
}

static void test_group_and_host(void **st)
{
	(void)st;
	fx f;
	fx_init(&f);
	f.ctx.group = "syslog/web-1";
	f.ctx.source = "/var/log/secure";
	f.ctx.host = "10.0.0.5";
	feeds(&f, "Feb 22 16:45:20 sshd[1]: no host\nFeb 22 16:45:20 h sshd[1]: host\nnope\n");
	for (size_t i = 0; i < 3; i++)
		assert_string_equal(vg_strtab_get(&f.b.groups, f.b.ev[i].group, NULL),
				    "syslog/web-1");
	want_str(&f, 0, "host", "10.0.0.5");
	want_str(&f, 1, "host", "h");
	want_absent(&f, 2, "host");
	fx_free(&f);
}

static void test_detect(void **st)
{
	(void)st;
	size_t len;
	char *s = secure_log(&len);
	assert_int_equal(vg_fmt_syslog.detect(s, len), 90);
	assert_int_equal(vg_fmt_syslog.detect(s, 65536 < len ? 65536 : len), 90);
	free(s);
	const char *yes[] = {
		"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - hi\n",
		"<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!\n",
		"2024-01-02T03:04:05.123456+01:00 web-1 nginx[77]: GET /\n"
		"2024-01-02T03:04:06.000001+01:00 web-1 kernel: x\n",
		"Feb 22 16:45:20 h p: x\nFeb 22 16:45:21 h p: y\nFeb 22 16:4",
	};
	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
		assert_int_equal(vg_fmt_syslog.detect(yes[i], strlen(yes[i])), 90);
	assert_int_equal(detect_shared(&vg_fmt_syslog, "vpcflow/aws-doc-examples.log"), 0);
	assert_int_equal(detect_shared(&vg_fmt_syslog, "vpcflow/cloudwatch-export.log"), 0);
	const char *no[] = {
		"",
		"{\"a\": 1}\n",
		"time=2024-01-01T00:00:00Z level=info msg=hi\n",
		"2024-01-02T03:04:05Z INFO starting server\n",
		"just text\n",
		"<html>\n",
	};
	for (size_t i = 0; i < sizeof no / sizeof *no; i++)
		assert_int_equal(vg_fmt_syslog.detect(no[i], strlen(no[i])), 0);
	const char *mixed = "Feb 22 16:45:20 h p: 1\nFeb 22 16:45:20 h p: 2\nFeb 22 16:45:20 h p: 3\n"
			    "Feb 22 16:45:20 h p: 4\n  continuation of a stack trace\n";
	assert_int_equal(vg_fmt_syslog.detect(mixed, strlen(mixed)), 70);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secure_rhel7),
		cmocka_unit_test(test_year_inference),
		cmocka_unit_test(test_rfc3164_forms),
		cmocka_unit_test(test_iso_timestamps),
		cmocka_unit_test(test_rfc5424),
		cmocka_unit_test(test_sshd_variants),
		cmocka_unit_test(test_pam_and_sudo),
		cmocka_unit_test(test_not_syslog),
		cmocka_unit_test(test_blank_crlf_empty),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_chunk_boundaries),
		cmocka_unit_test(test_group_and_host),
		cmocka_unit_test(test_detect),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
