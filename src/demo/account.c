/*
 * account.c — what the demo writes besides the S3 deliveries:
 *
 *   awscli/       the account-level facts AWS Config does not record, as the
 *                 AWS CLI prints them (4-space indented JSON) and the IAM
 *                 credential report (CSV): a weak password policy, an account
 *                 summary without root MFA, the status of the trail the
 *                 intruder stopped
 *   syslog/auth.log  RFC 3164 lines of the bastion and three servers: cron,
 *                 sshd logins, sudo; after the security group is opened, the
 *                 internet's password guessing, the brute force and its success
 *   README.md     what is where, how to load it, how to collect the same from
 *                 a real account, the attack's timeline
 *
 * The awscli files and the README describe the state at the end of the data
 * and are small; auth.log is made hour by hour from per-hour random streams
 * and sorted, like everything else independent of the data's length.
 */
#include "demo/demo_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "util/timeutil.h"

/* ---------- awscli ---------- */

/* Write a small plain file and count it in st. */
static int put_small(const dm_out *o, const char *rel, const vg_buf *b, vg_demo_stats *st,
		     vg_err *err)
{
	uint64_t bytes = 0;
	int rc = vg_demo_write_plain(o, rel, b->p, b->len, &bytes, err);
	if (rc == 0) {
		st->files++;
		st->bytes += bytes;
	}
	return rc;
}

/* A weak policy: iam-password-policy (length 14, all character classes,
 * reuse 24, max age 90) is NON_COMPLIANT. */
static void password_policy(vg_buf *b)
{
	vg_buf_puts(b, "{\n"
		       "    \"PasswordPolicy\": {\n"
		       "        \"MinimumPasswordLength\": 8,\n"
		       "        \"RequireSymbols\": false,\n"
		       "        \"RequireNumbers\": true,\n"
		       "        \"RequireUppercaseCharacters\": false,\n"
		       "        \"RequireLowercaseCharacters\": true,\n"
		       "        \"AllowUsersToChangePassword\": true,\n"
		       "        \"ExpirePasswords\": false,\n"
		       "        \"HardExpiry\": false\n"
		       "    }\n"
		       "}\n");
}

/* AccountMFAEnabled 0: root-account-mfa-enabled is NON_COMPLIANT. */
static void account_summary(vg_buf *b)
{
	static const char *const keys[][2] = {
		{"GroupPolicySizeQuota", "5120"}, {"InstanceProfilesQuota", "1000"},
		{"Policies", "9"}, {"GroupsPerUserQuota", "10"}, {"InstanceProfiles", "3"},
		{"AttachedPoliciesPerUserQuota", "10"}, {"Users", "6"}, {"PoliciesQuota", "1500"},
		{"Providers", "0"}, {"AccountMFAEnabled", "0"}, {"AccessKeysPerUserQuota", "2"},
		{"AssumeRolePolicySizeQuota", "2048"}, {"PolicyVersionsInUseQuota", "10000"},
		{"GlobalEndpointTokenVersion", "1"}, {"VersionsPerPolicyQuota", "5"},
		{"AttachedPoliciesPerGroupQuota", "10"}, {"PolicySizeQuota", "6144"},
		{"Groups", "3"}, {"AccountSigningCertificatesPresent", "0"}, {"UsersQuota", "5000"},
		{"ServerCertificatesQuota", "20"}, {"MFADevices", "2"},
		{"UserPolicySizeQuota", "2048"}, {"PolicyVersionsInUse", "24"},
		{"ServerCertificates", "0"}, {"Roles", "14"}, {"RolesQuota", "1000"},
		{"SigningCertificatesPerUserQuota", "2"}, {"MFADevicesInUse", "2"},
		{"RolePolicySizeQuota", "10240"}, {"AttachedPoliciesPerRoleQuota", "10"},
		{"AccountAccessKeysPresent", "0"}, {"GroupsQuota", "300"},
	};
	size_t n = sizeof keys / sizeof keys[0];
	vg_buf_puts(b, "{\n    \"SummaryMap\": {\n");
	for (size_t i = 0; i < n; i++)
		vg_buf_printf(b, "        \"%s\": %s%s\n", keys[i][0], keys[i][1],
			      i + 1 < n ? "," : "");
	vg_buf_puts(b, "    }\n}\n");
}

/* `aws cloudtrail get-trail-status --name acme-security-alerts` after the
 * intruder's StopLogging: cloudtrail-enabled is NON_COMPLIANT. */
static void trail_status(const dm_world *w, vg_buf *b)
{
	char deliv[40], cw[40], start[40], stop[40], att[40], started[40], stopped[40];
	int64_t stop_t = w->t_trail + 52 * DM_NS_SEC;
	int64_t last = stop_t - 3 * DM_NS_MIN - 12 * DM_NS_SEC;
	int64_t begun = w->end_ns - 250 * VG_NS_PER_DAY;
	vg_demo_cli_time(last, deliv);
	vg_demo_cli_time(stop_t - 61 * DM_NS_SEC, cw);
	vg_demo_cli_time(begun, start);
	vg_demo_cli_time(stop_t, stop);
	vg_demo_iso_s(last, att);
	vg_demo_iso_s(begun, started);
	vg_demo_iso_s(stop_t, stopped);
	vg_buf_printf(b, "{\n"
			 "    \"IsLogging\": false,\n"
			 "    \"LatestDeliveryTime\": \"%s\",\n"
			 "    \"LatestCloudWatchLogsDeliveryTime\": \"%s\",\n"
			 "    \"StartLoggingTime\": \"%s\",\n"
			 "    \"StopLoggingTime\": \"%s\",\n"
			 "    \"LatestDeliveryAttemptTime\": \"%s\",\n"
			 "    \"LatestNotificationAttemptTime\": \"\",\n"
			 "    \"LatestNotificationAttemptSucceeded\": \"\",\n"
			 "    \"LatestDeliveryAttemptSucceeded\": \"%s\",\n"
			 "    \"TimeLoggingStarted\": \"%s\",\n"
			 "    \"TimeLoggingStopped\": \"%s\"\n"
			 "}\n",
		      deliv, cw, start, stop, att, att, started, stopped);
}

static const char cred_header[] =
	"user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
	"password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
	"access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
	"access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
	"access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
	"cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n";

/* One key's five columns; t == 0 means no key. */
static void key_cols(vg_buf *b, int64_t rotated, int64_t used, const char *service)
{
	char r[40], u[40];
	if (rotated == 0) {
		vg_buf_puts(b, ",false,N/A,N/A,N/A,N/A");
		return;
	}
	vg_demo_report_time(rotated, r);
	if (used == 0) {
		vg_buf_printf(b, ",true,%s,N/A,N/A,N/A", r);
		return;
	}
	vg_demo_report_time(used, u);
	vg_buf_printf(b, ",true,%s,%s,us-east-1,%s", r, u, service);
}

/* The IAM credential report as `get-credential-report` returns it
 * (base64-decoded). */
static void credential_report(const dm_world *w, vg_buf *b)
{
	const int64_t E = w->end_ns;
	char t1[40], t2[40], t3[40];
	vg_buf_puts(b, cred_header);
	vg_demo_report_time(E - 1100 * VG_NS_PER_DAY, t1);
	vg_demo_report_time(w->t_root, t2);
	vg_buf_printf(b,
		      "<root_account>,arn:aws:iam::%s:root,%s,not_supported,%s,not_supported,"
		      "not_supported,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,"
		      "false,N/A\n",
		      w->account, t1, t2);
	for (int i = 0; i < DM_NUSERS; i++) {
		const dm_actor *a = &w->actor[i];
		vg_demo_report_time(a->created_ns, t1);
		vg_buf_printf(b, "%s,arn:aws:iam::%s:user/%s,%s", a->name, w->account, a->name, t1);
		int64_t pw_used = 0, pw_changed = 0;
		int pw = a->console;
		if (i == DM_ACT_ALICE)
			pw_used = E - 20 * DM_NS_HOUR, pw_changed = E - 120 * VG_NS_PER_DAY;
		else if (i == DM_ACT_BOB)
			pw_used = w->t_login, pw_changed = E - 300 * VG_NS_PER_DAY;
		else if (i == DM_ACT_CAROL)
			pw_used = E - 27 * DM_NS_HOUR, pw_changed = E - 80 * VG_NS_PER_DAY;
		else if (i == DM_ACT_LEGACY)
			pw_used = E - 212 * VG_NS_PER_DAY, pw_changed = E - 890 * VG_NS_PER_DAY;
		if (pw) {
			vg_demo_report_time(pw_used, t2);
			vg_demo_report_time(pw_changed, t3);
			vg_buf_printf(b, ",true,%s,%s,N/A", t2, t3);
		} else {
			vg_buf_puts(b, ",false,N/A,N/A,N/A");
		}
		vg_buf_puts(b, a->mfa ? ",true" : ",false");
		int64_t used = 0;
		const char *svc = "N/A";
		switch (i) {
		case DM_ACT_ALICE: used = w->t_create_bucket, svc = "s3"; break;
		case DM_ACT_BOB: used = w->t_keyprobe - 3 * DM_NS_HOUR, svc = "ecs"; break;
		case DM_ACT_CI: used = E - 2 * DM_NS_HOUR, svc = "ecs"; break;
		case DM_ACT_BACKUP:
			used = E / VG_NS_PER_DAY * VG_NS_PER_DAY + 7 * DM_NS_HOUR;
			svc = "rds";
			if (used >= E)
				used -= VG_NS_PER_DAY;
			break;
		default: break;
		}
		key_cols(b, a->key[0] ? a->key_created_ns : 0, used, svc);
		if (i == DM_ACT_BOB)
			key_cols(b, w->t_persist, w->t_s3_exfil_end, "s3");
		else
			key_cols(b, 0, 0, NULL);
		vg_buf_puts(b, ",false,N/A,false,N/A\n");
	}
}

int vg_demo_awscli_write(const dm_world *w, const dm_out *o, vg_demo_stats *st, vg_err *err)
{
	vg_buf b = {0};
	password_policy(&b);
	int rc = put_small(o, "awscli/password-policy.json", &b, st, err);
	vg_buf_clear(&b);
	account_summary(&b);
	if (rc == 0)
		rc = put_small(o, "awscli/account-summary.json", &b, st, err);
	vg_buf_clear(&b);
	trail_status(w, &b);
	if (rc == 0)
		rc = put_small(o, "awscli/trail-status.json", &b, st, err);
	vg_buf_clear(&b);
	credential_report(w, &b);
	if (rc == 0)
		rc = put_small(o, "awscli/credential-report.csv", &b, st, err);
	vg_buf_free(&b);
	return rc;
}

/* ---------- auth.log ---------- */

typedef struct line {
	int64_t t;
	uint32_t seq;
	uint32_t off, len;
} line;

typedef struct alog {
	const dm_world *w;
	dm_rng r;
	vg_buf text;
	line *v;
	size_t n, cap;
	uint32_t seq;
	uint32_t pid[4];
} alog;

static const char *const hosts[4] = {"bastion", "web-01", "web-02", "worker-01"};

/* Add one auth.log line of `host` at time t (formatted with fmt). */
static void say(alog *l, int64_t t, int host, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void say(alog *l, int64_t t, int host, const char *fmt, ...)
{
	static const char mon[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	char msg[512];
	va_list ap;
	if (fmt == NULL)
		fmt = "";
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	dm_tm tm;
	vg_demo_tm(t, &tm);
	vg_grow(&l->v, &l->cap, l->n + 1, sizeof *l->v);
	line *ln = &l->v[l->n++];
	ln->t = t;
	ln->seq = l->seq++;
	ln->off = (uint32_t)l->text.len;
	/* RFC 3164: the day of month is space-padded */
	vg_buf_printf(&l->text, "%s %2u %02u:%02u:%02u %s %s\n", mon[tm.mon - 1], tm.day, tm.hour,
		      tm.min, tm.sec, hosts[host], msg);
	ln->len = (uint32_t)(l->text.len - ln->off);
}

/* A random SSH key fingerprint, as sshd logs it; returns out. */
static const char *fp(alog *l, char *out, size_t cap)
{
	vg_demo_rand_id(&l->r, out, cap, "SHA256:", 43,
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
	return out;
}

/* The hourly cron.hourly session on every host. */
static void cron(alog *l, int64_t h0)
{
	for (int h = 0; h < 4; h++) {
		int64_t t = h0 + DM_NS_MIN + (int64_t)dm_below(&l->r, 3) * DM_NS_SEC;
		uint32_t pid = l->pid[h] += 1 + dm_below(&l->r, 40);
		say(l, t, h,
		    "CROND[%u]: pam_unix(crond:session): session opened for user root by (uid=0)",
		    pid);
		say(l, t + DM_NS_SEC, h,
		    "CROND[%u]: pam_unix(crond:session): session closed for user root", pid);
	}
}

/* A staff login: from the office to the bastion, from the bastion to the
 * servers, a sudo or two, then logout. */
static void staff_login(alog *l, int64_t t, int host)
{
	static const char *const users[] = {"amartin", "bchen", "ec2-user"};
	const dm_world *w = l->w;
	const char *user = users[dm_below(&l->r, 3)];
	const char *ip = host == 0 ? w->office[dm_chance(&l->r, 0.8) ? 0 : 1].txt
				   : w->eni[w->eni_bastion].iptxt;
	unsigned port = dm_range(&l->r, 49152, 65535);
	uint32_t pid = l->pid[host] += 1 + dm_below(&l->r, 60);
	char key[64];
	say(l, t, host, "sshd[%u]: Accepted publickey for %s from %s port %u ssh2: RSA %s", pid,
	    user, ip, port, fp(l, key, sizeof key));
	say(l, t, host, "sshd[%u]: pam_unix(sshd:session): session opened for user %s by (uid=0)",
	    pid, user);
	int64_t end = t + (int64_t)(60 + dm_below(&l->r, 3000)) * DM_NS_SEC;
	if (host != 0 && dm_chance(&l->r, 0.6)) {
		static const char *const cmds[] = {"/bin/systemctl restart app",
						   "/bin/journalctl -u app",
						   "/usr/bin/tail -n 200 /var/log/app/app.log",
						   "/usr/bin/yum update -y openssl"};
		int64_t ts = t + (int64_t)(20 + dm_below(&l->r, 40)) * DM_NS_SEC;
		say(l, ts, host, "sudo: %s : TTY=pts/0 ; PWD=/home/%s ; USER=root ; COMMAND=%s",
		    user, user, cmds[dm_below(&l->r, 4)]);
		say(l, ts, host,
		    "sudo: pam_unix(sudo:session): session opened for user root by %s(uid=0)",
		    user);
		say(l, ts + 2 * DM_NS_SEC, host,
		    "sudo: pam_unix(sudo:session): session closed for user root");
	}
	say(l, end, host, "sshd[%u]: Received disconnect from %s port %u:11: disconnected by user",
	    pid, ip, port);
	say(l, end, host, "sshd[%u]: pam_unix(sshd:session): session closed for user %s", pid,
	    user);
}

static const char *const guesses[] = {"admin", "ubuntu", "test", "oracle", "postgres", "git",
				      "user", "ftpuser", "support", "guest", "pi", "jenkins"};

/* One connection of a password guesser, in RHEL 7's words. Most guess
 * root; some guess `deploy`, which exists on the bastion (and whose
 * password falls in the end); the rest guess names that do not exist. */
static void guess(alog *l, int64_t t, const char *ip, int tries)
{
	uint32_t pid = l->pid[0] += 1 + dm_below(&l->r, 5);
	unsigned port = dm_range(&l->r, 1024, 65535);
	double u = dm_unit(&l->r);
	int root = u < 0.45, valid = u >= 0.45 && u < 0.6;
	const char *user = root ? "root" : (valid ? "deploy" : guesses[dm_below(&l->r, 12)]);
	if (valid) {
		say(l, t + DM_NS_SEC, 0,
		    "sshd[%u]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 "
		    "tty=ssh ruser= rhost=%s  user=deploy", pid, ip);
	} else if (!root) {
		say(l, t, 0, "sshd[%u]: Invalid user %s from %s port %u", pid, user, ip, port);
		say(l, t, 0, "sshd[%u]: input_userauth_request: invalid user %s [preauth]", pid,
		    user);
		say(l, t + DM_NS_SEC, 0, "sshd[%u]: pam_unix(sshd:auth): check pass; user unknown",
		    pid);
		say(l, t + DM_NS_SEC, 0,
		    "sshd[%u]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 "
		    "tty=ssh ruser= rhost=%s", pid, ip);
	} else {
		say(l, t + DM_NS_SEC, 0,
		    "sshd[%u]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 "
		    "tty=ssh ruser= rhost=%s  user=root", pid, ip);
	}
	int64_t ti = t + 2 * DM_NS_SEC;
	for (int k = 0; k < tries; k++) {
		if (root || valid)
			say(l, ti, 0, "sshd[%u]: Failed password for %s from %s port %u ssh2", pid,
			    user, ip, port);
		else
			say(l, ti, 0,
			    "sshd[%u]: Failed password for invalid user %s from %s port %u ssh2",
			    pid, user, ip, port);
		if (root)
			say(l, ti, 0,
			    "sshd[%u]: pam_succeed_if(sshd:auth): requirement \"uid >= 1000\" "
			    "not met by user \"root\"",
			    pid);
		ti += (int64_t)(2 + dm_below(&l->r, 2)) * DM_NS_SEC;
	}
	if (tries >= 6) {
		say(l, ti, 0,
		    "sshd[%u]: Disconnecting: Too many authentication failures for %s [preauth]",
		    pid, user);
		say(l, ti, 0,
		    "sshd[%u]: PAM 5 more authentication failures; logname= uid=0 euid=0 "
		    "tty=ssh ruser= rhost=%s%s%s",
		    pid, ip, root || valid ? "  user=" : "", root || valid ? user : "");
	} else {
		say(l, ti, 0, "sshd[%u]: Connection closed by %s port %u [preauth]", pid, ip, port);
	}
}

/* Every line of one hour: cron, staff, the internet once port 22 is open, and
 * the brute force with its success. */
static void auth_hour(alog *l, int64_t h0)
{
	const dm_world *w = l->w;
	int64_t h1 = h0 + DM_NS_HOUR;
	cron(l, h0);
	double d = vg_demo_diurnal(w, DM_P_OFFICE, h0);
	for (int host = 0; host < 4; host++) {
		uint32_t n = vg_demo_poisson(&l->r, (host == 0 ? 1.5 : 0.4) * d);
		for (uint32_t i = 0; i < n; i++)
			staff_login(l, h0 + (int64_t)dm_below(&l->r, 3500) * DM_NS_SEC, host);
	}
	/* Once port 22 is open to the world, the world comes knocking. */
	int64_t open = w->t_sg_open;
	if (h1 > open) {
		int64_t lo = h0 > open ? h0 : open;
		uint32_t n = vg_demo_poisson(&l->r, 25.0 * (double)(h1 - lo) / (double)DM_NS_HOUR);
		for (uint32_t i = 0; i < n; i++) {
			const dm_addr *s = vg_demo_pick_scanner(w, &l->r);
			guess(l, lo + (int64_t)(dm_unit(&l->r) * (double)(h1 - lo)), s->txt,
			      1 + (int)dm_below(&l->r, 3));
		}
	}
	/* The brute force: one connection a second, six passwords each. */
	int64_t a = w->t_sg_open > h0 ? w->t_sg_open : h0;
	int64_t b = w->t_ssh_success < h1 ? w->t_ssh_success : h1;
	for (int64_t t = a; t < b; t += DM_NS_SEC + (int64_t)dm_below(&l->r, 400) * 1000000)
		guess(l, t, w->att_ssh.txt,
		      dm_chance(&l->r, 0.7) ? 6 : 1 + (int)dm_below(&l->r, 5));
	if (w->t_ssh_success >= h0 && w->t_ssh_success < h1) {
		const char *ip = w->att_ssh.txt;
		int64_t t = w->t_ssh_success;
		unsigned port = (unsigned)(40000 + (w->t_ssh_success / DM_NS_SEC) % 20000);
		uint32_t pid = l->pid[0] += 7;
		say(l, t, 0, "sshd[%u]: Accepted password for deploy from %s port %u ssh2", pid, ip,
		    port);
		say(l, t, 0,
		    "sshd[%u]: pam_unix(sshd:session): session opened for user deploy by (uid=0)",
		    pid);
		say(l, t + 41 * DM_NS_SEC, 0,
		    "sudo: deploy : TTY=pts/1 ; PWD=/home/deploy ; USER=root ; "
		    "COMMAND=/bin/bash");
		say(l, t + 41 * DM_NS_SEC, 0,
		    "sudo: pam_unix(sudo:session): session opened for user root by deploy(uid=0)");
		l->pid[0] = pid;
	}
	if (w->t_exfil_end >= h0 && w->t_exfil_end < h1) {
		unsigned port = (unsigned)(40000 + (w->t_ssh_success / DM_NS_SEC) % 20000);
		say(l, w->t_exfil_end, 0,
		    "sshd[%u]: Received disconnect from %s port %u:11: "
		    "disconnected by user",
		    l->pid[0] + 1, w->att_ssh.txt, port);
		say(l, w->t_exfil_end, 0,
		    "sshd[%u]: pam_unix(sshd:session): session closed for user "
		    "deploy",
		    l->pid[0] + 1);
	}
}

/* Order lines by time, then by creation. */
static int cmp_line(const void *a, const void *b)
{
	const line *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

int vg_demo_authlog_write(const dm_world *w, const dm_out *o, vg_demo_stats *st, vg_err *err)
{
	alog l = {.w = w};
	for (int64_t h0 = w->start_ns; h0 < w->end_ns; h0 += DM_NS_HOUR) {
		int64_t abs = h0 / DM_NS_HOUR;
		dm_rng_init(&l.r, dm_stream(w->seed, DM_S_SYSLOG, (uint64_t)abs, 0, 0));
		/* process ids grow through the day from a per-hour base */
		for (int h = 0; h < 4; h++)
			l.pid[h] = 1000 + (uint32_t)(abs % 24) * 1200 + (uint32_t)h * 7;
		auth_hour(&l, h0);
	}
	qsort(l.v, l.n, sizeof *l.v, cmp_line);
	dm_out plain = *o;
	plain.gzip = 0;
	dm_file f;
	int rc = vg_demo_fopen(&f, &plain, "syslog/auth.log", 0, err);
	size_t kept = 0;
	for (size_t i = 0; i < l.n && rc == 0; i++) {
		if (l.v[i].t < w->start_ns || l.v[i].t >= w->end_ns)
			continue; /* a session that ends after the data does */
		rc = vg_demo_fput(&f, l.text.p + l.v[i].off, l.v[i].len, err);
		kept++;
	}
	if (rc == 0)
		rc = vg_demo_fclose(&f, err);
	else
		vg_demo_fabort(&f);
	if (rc == 0) {
		/* RFC 3164 lines carry no year; readers take it from the file's
		 * modification time, which for a real log is its last write. */
		int64_t last = w->end_ns - DM_NS_SEC;
		struct timespec ts[2] = {{last / DM_NS_SEC, 0}, {last / DM_NS_SEC, 0}};
		if (utimensat(AT_FDCWD, f.path, ts, 0) != 0)
			rc = vg_seterr(err, VG_EIO, -1, "cannot set the time of %s: %s", f.path,
				       strerror(errno));
	}
	if (rc == 0) {
		st->files++;
		st->bytes += f.disk_bytes;
		st->syslog_lines += kept;
	}
	free(l.v);
	vg_buf_free(&l.text);
	return rc;
}

/* ---------- the attack, in words ---------- */

/* Append one step of the attack to st (ignored past VG_DEMO_MAX_INCIDENTS). */
static void incident(vg_demo_stats *st, const char *name, int64_t a, int64_t b, const char *fmt,
		     ...) __attribute__((format(printf, 5, 6)));
static void incident(vg_demo_stats *st, const char *name, int64_t a, int64_t b, const char *fmt,
		     ...)
{
	if (st->nincidents >= VG_DEMO_MAX_INCIDENTS)
		return;
	vg_demo_incident *in = &st->incidents[st->nincidents++];
	snprintf(in->name, sizeof in->name, "%s", name);
	va_list ap;
	if (fmt == NULL)
		fmt = "";
	va_start(ap, fmt);
	vsnprintf(in->what, sizeof in->what, fmt, ap);
	va_end(ap);
	in->start_ns = a;
	in->end_ns = b;
}

void vg_demo_incidents(const dm_world *w, vg_demo_stats *st)
{
	const dm_eni *bastion = &w->eni[w->eni_bastion], *win = &w->eni[w->eni_winjump];
	st->nincidents = 0;
	for (int d = w->nprobe_days - 1; d >= 0; d--)
		incident(st, "leaked-key-probe", w->t_probe_day[d],
			 w->t_probe_day[d] + 12 * DM_NS_MIN,
			 "Earlier probe with ci-deploy's leaked access key from Tor: denied list "
			 "and "
			 "describe calls (\"not authorized to perform\")");
	incident(st, "port-scan", w->t_portscan, w->t_portscan_end,
		 "Port scan of the bastion (%s) from %s: %d ports from one source port, all REJECT",
		 bastion->pubtxt, w->att_scan.txt, w->nscan_ports);
	incident(st, "rdp-bruteforce", w->t_rdp, w->t_rdp_end,
		 "RDP password guessing on win-jump (%s) from %s, ~3 connections/s ACCEPTed: its "
		 "security group allows 3389 from 0.0.0.0/0", win->pubtxt, w->att_rdp.txt);
	incident(st, "leaked-key-probe", w->t_keyprobe, w->t_keyprobe + 12 * DM_NS_MIN,
		 "Enumeration with ci-deploy's leaked access key from %s: ~160 calls across "
		 "services and regions, nearly all AccessDenied / Client.UnauthorizedOperation",
		 w->att_tor[2].txt);
	incident(st, "console-login-no-mfa", w->t_login_fail, w->t_login,
		 "bob.chen signs in to the console from Tor (%s) without MFA after two failed "
		 "attempts", w->att_tor[0].txt);
	incident(st, "ssh-bruteforce", w->t_ssh, w->t_ssh_end,
		 "SSH brute force on the bastion from %s: REJECT until the security group change, "
		 "then ACCEPT; auth.log ends with \"Accepted password for deploy\"",
		 w->att_ssh.txt);
	incident(st, "sg-open-ssh", w->t_sg_open, w->t_sg_open,
		 "bob.chen's session opens port 22 of security group dev-bastion (%s) to 0.0.0.0/0",
		 w->sg[w->sg_bastion].id);
	incident(st, "iam-persistence", w->t_persist, w->t_persist + 40 * DM_NS_SEC,
		 "CreateAccessKey for bob.chen (%s), then AttachUserPolicy AdministratorAccess",
		 w->actor[DM_ACT_BOB].key2);
	incident(st, "trail-tampering", w->t_trail, w->t_trail + 52 * DM_NS_SEC,
		 "UpdateTrail unhooks %s from CloudWatch Logs and disables log file validation; "
		 "StopLogging stops it", w->trail_alerts);
	incident(st, "ssh-exfiltration", w->t_ssh_success, w->t_exfil_end,
		 "The intruder's SSH session on the bastion sends hundreds of MB to %s",
		 w->att_ssh.txt);
	incident(st, "s3-exfiltration", w->t_s3_exfil, w->t_s3_exfil_end,
		 "240 ListObjects/GetObject calls on %s with the new key from %s",
		 w->bucket_exports, w->att_tor[1].txt);
	incident(st, "root-login", w->t_root, w->t_root + 6 * DM_NS_MIN,
		 "The root user signs in to the console without MFA (the CTO, from %s, "
		 "investigating)", w->office[1].txt);
	/* in order of start (a stable insertion sort: the list is short) */
	for (int i = 1; i < st->nincidents; i++) {
		vg_demo_incident x = st->incidents[i];
		int j = i;
		for (; j > 0 && st->incidents[j - 1].start_ns > x.start_ns; j--)
			st->incidents[j] = st->incidents[j - 1];
		st->incidents[j] = x;
	}
}

/* ---------- README ---------- */

/* The README text: layout with counts, loading, collecting, the timeline. */
static void readme_body(const dm_world *w, const vg_demo_stats *st, vg_buf *b)
{
	char s[40], e[40];
	vg_demo_iso_s(w->start_ns, s);
	vg_demo_iso_s(w->end_ns, e);
	vg_buf_printf(b,
		"# vigil demo data\n\n"
		"A week in the life of \"Acme\", a small company on AWS, with an attack in it: "
		"every file is in the format and S3 key layout AWS itself delivers, so the same "
		"commands work on your own account's logs.\n\n"
		"- AWS account: `%s` (region `%s`)\n"
		"- Time range: %s to %s (%d day%s)\n"
		"- Generated by `vigil demo` with seed %llu, scale %g\n\n",
		w->account, VG_DEMO_REGION, s, e, w->days, w->days == 1 ? "" : "s",
		(unsigned long long)w->seed, w->scale);
	vg_buf_printf(
		b,
		"## What is where\n\n"
		"| path | what | count |\n|---|---|---|\n"
		"| `AWSLogs/%s/vpcflowlogs/` | VPC Flow Logs of `production` (%s, custom version-5 "
		"format) and `development` (%s, default version-2 format), one file per hour and "
		"flow log, header line first | %llu files, %llu records (%llu REJECT, %llu NODATA, "
		"%llu SKIPDATA, %llu IPv6) |\n"
		"| `AWSLogs/%s/CloudTrail/` | CloudTrail log files, every 5 minutes per region | "
		"%llu files, %llu records |\n"
		"| `AWSLogs/%s/CloudTrail-Digest/` | two digest files (signatures are not real; "
		"vigil skips digests) | 2 |\n"
		"| `AWSLogs/%s/Config/` | AWS Config: one snapshot, then history files every 6 "
		"hours per changed resource type | %llu files, %llu configuration items |\n"
		"| `awscli/` | account-level facts Config does not record: password policy, "
		"account "
		"summary, trail status, IAM credential report | 4 |\n"
		"| `syslog/auth.log` | sshd, sudo and cron lines of the bastion and three servers "
		"| "
		"%llu lines |\n\n",
		w->account, w->vpc[0].id, w->vpc[1].id, (unsigned long long)st->flow_files,
		(unsigned long long)st->flow_records, (unsigned long long)st->flow_reject,
		(unsigned long long)st->flow_nodata, (unsigned long long)st->flow_skipdata,
		(unsigned long long)st->flow_ipv6, w->account,
		(unsigned long long)st->cloudtrail_files,
		(unsigned long long)st->cloudtrail_records, w->account, w->account,
		(unsigned long long)st->config_files, (unsigned long long)st->config_items,
		(unsigned long long)st->syslog_lines);
	vg_buf_printf(b,
		      "## Load it\n\n"
		      "```sh\n"
		      "vigil ingest DIR/AWSLogs                       # flow logs, CloudTrail, "
		      "Config (detected)\n"
		      "vigil ingest --format awscli --account %s DIR/awscli/\n"
		      "vigil ingest --format syslog DIR/syslog/auth.log\n"
		      "```\n\n"
		      "The awscli outputs do not carry the account id, hence `--account`.\n\n"
		      "Then try:\n\n"
		      "```\n"
		      "\"not authorized to perform\" | timechart span=1h count\n"
		      "group=vpcflow action=REJECT | top 10 srcaddr\n"
		      "action=REJECT dstport=22 OR dstport=3389 | stats count, dc(dstport) by "
		      "srcaddr | sort -count | head 20\n"
		      "eventName=ConsoleLogin additionalEventData.MFAUsed=No\n"
		      "userIdentity.type=Root\n"
		      "eventName=StopLogging OR eventName=UpdateTrail OR "
		      "eventName=AuthorizeSecurityGroupIngress\n"
		      "\"Failed password\" | stats count by src_ip\n"
		      "```\n\n",
		      w->account);
	vg_buf_puts(
		b,
		"## Collect the same from a real account\n\n"
		"CloudTrail, AWS Config and VPC Flow Logs deliver to S3 under `AWSLogs/`; copy "
		"that "
		"prefix (or point `vigil` at a mounted copy):\n\n"
		"```sh\n"
		"aws s3 sync s3://YOUR-LOG-BUCKET/AWSLogs/ACCOUNT_ID/ ./AWSLogs/ACCOUNT_ID/\n"
		"# flow logs to S3, in the version-5 format used here (or omit --log-format for "
		"version 2):\n"
		"aws ec2 create-flow-logs --resource-type VPC --resource-ids vpc-0123456789abcdef0 "
		"\\\n"
		"    --traffic-type ALL --log-destination-type s3 \\\n"
		"    --log-destination arn:aws:s3:::YOUR-LOG-BUCKET --max-aggregation-interval 60 "
		"\\\n"
		"    --log-format '${version} ${srcaddr} ${dstaddr} ${srcport} ${dstport} "
		"${protocol} "
		"${start} ${end} ${type} ${packets} ${bytes} ${account-id} ${vpc-id} ${subnet-id} "
		"${instance-id} ${interface-id} ${region} ${az-id} ${sublocation-type} "
		"${sublocation-id} ${action} ${tcp-flags} ${pkt-srcaddr} ${pkt-dstaddr} "
		"${pkt-src-aws-service} ${pkt-dst-aws-service} ${traffic-path} ${flow-direction} "
		"${log-status}'\n"
		"```\n\n"
		"The account-level facts, as the compliance rules read them:\n\n"
		"```sh\n"
		"mkdir -p awscli\n"
		"aws iam get-account-password-policy > awscli/password-policy.json 2>&1   # "
		"NoSuchEntity when none is set\n"
		"aws iam get-account-summary > awscli/account-summary.json\n"
		"aws cloudtrail get-trail-status --name TRAIL_NAME_OR_ARN > "
		"awscli/trail-status.json\n"
		"aws iam generate-credential-report      # repeat until State is COMPLETE\n"
		"aws iam get-credential-report --query Content --output text | base64 -d > "
		"awscli/credential-report.csv\n"
		"vigil ingest --format awscli --account ACCOUNT_ID awscli/\n"
		"```\n\n");
	vg_buf_printf(b,
		"`trail-status.json` here is `aws cloudtrail get-trail-status --name %s`, the "
		"trail the intruder stopped; `%s` (multi-region, the one whose files are in "
		"`CloudTrail/`) kept logging.\n\n", w->trail_alerts, w->trail_main);
	vg_buf_puts(b, "## The attack (all times UTC)\n\n| from | to | step | what "
		       "|\n|---|---|---|---|\n");
	for (int i = 0; i < st->nincidents; i++) {
		const vg_demo_incident *in = &st->incidents[i];
		char a[40], z[40];
		vg_demo_iso_s(in->start_ns, a);
		vg_demo_iso_s(in->end_ns, z);
		vg_buf_printf(b, "| %s | %s | `%s` | %s |\n", a, z, in->name, in->what);
	}
	vg_buf_puts(
		b,
		"\nThe background holds what an analyst learns to tell from it: internet scanners "
		"probing every public address (REJECT), a Lambda function whose role is denied "
		"`kms:Decrypt` about every other hour, a read-only analyst denied Cost Explorer, "
		"an instance scheduler stopping development machines at night.\n\n"
		"## Compliance findings to expect\n\n"
		"- `iam-password-policy`: length 8, no symbols or upper case, no expiry\n"
		"- `root-account-mfa-enabled`: `AccountMFAEnabled` is 0; the root user also signs "
		"in\n"
		"- `cloudtrail-enabled`: `acme-security-alerts` is stopped (see "
		"trail-status.json); "
		"`cloud-trail-cloud-watch-logs-enabled` and "
		"`cloud-trail-log-file-validation-enabled` "
		"fail for it after the attack\n"
		"- `restricted-ssh`: `dev-bastion` after the attack, `staging-legacy` all along\n"
		"- `restricted-common-ports`: `prod-win-jump` (3389), `staging-legacy` (21, 3306)\n"
		"- `vpc-flow-logs-enabled`: the `staging` VPC has none\n"
		"- `vpc-default-security-group-closed`: the development and staging default "
		"groups\n"
		"- `encrypted-volumes`: development and staging volumes, and an orphaned one\n"
		"- `rds-instance-public-access-check`: `analytics-mysql`; `rds-storage-encrypted`: "
		"`analytics-mysql`, `dev-postgres`\n"
		"- `s3-bucket-public-read-prohibited`: `acme-public-assets`; "
		"`s3-bucket-level-public-access-prohibited`: it and `acme-dev-scratch`\n"
		"- `access-keys-rotated`: `ci-deploy`'s key is over a year old\n"
		"- `iam-user-mfa-enabled`: `bob.chen`, `legacy-ftp`; "
		"`iam-user-unused-credentials-check`: "
		"`legacy-ftp`\n"
		"- `iam-policy-no-statements-with-admin-access` / `iam-user-no-policies-check`: "
		"`bob.chen` after the attack\n"
		"- `ec2-imdsv2-check`: development and staging instances\n");
}

int vg_demo_readme_write(const dm_world *w, const dm_out *o, vg_demo_stats *st, vg_err *err)
{
	vg_buf b = {0};
	st->files++; /* count the README itself in the table's totals */
	readme_body(w, st, &b);
	uint64_t bytes = 0;
	int rc = vg_demo_write_plain(o, "README.md", b.p, b.len, &bytes, err);
	if (rc == 0)
		st->bytes += bytes;
	else
		st->files--;
	vg_buf_free(&b);
	return rc;
}
