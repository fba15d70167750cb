/* test_auth.c — the auth store: users, roles, sessions, CSRF, API tokens. */
#include "testutil.h"

#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "server/auth.h"

static char dir[256];

static int setup(void **st)
{
	(void)st;
	snprintf(dir, sizeof dir, "/tmp/vigil-test-auth.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd);
}

/* A clock the test moves by hand. */
typedef struct fake_clock {
	int64_t now;
} fake_clock;

static int64_t fake_now(void *arg)
{
	return ((fake_clock *)arg)->now;
}

#define PW "correct horse battery"
#define PW2 "another long passphrase"

/* Open the test store with the cheapest Argon2id and, when clk is not
 * NULL, a fake clock; session_idle 100 s, session_max 1000 s. */
static vg_auth *open_fast(fake_clock *clk)
{
	vg_auth_opts o;
	vg_auth_defaults(&o);
	o.opslimit = crypto_pwhash_OPSLIMIT_MIN;
	o.memlimit = crypto_pwhash_MEMLIMIT_MIN;
	if (clk) {
		o.clock = fake_now;
		o.clock_arg = clk;
		o.session_idle = 100;
		o.session_max = 1000;
	}
	vg_auth *a = NULL;
	vg_err e = {0};
	int rc = vg_auth_open(dir, &o, &a, &e);
	if (rc)
		fprintf(stderr, "open: %s\n", e.msg);
	assert_int_equal(rc, 0);
	return a;
}

static void add(vg_auth *a, const char *name, vg_role role)
{
	vg_err e = {0};
	int rc = vg_auth_user_add(a, name, role, PW, &e);
	if (rc)
		fprintf(stderr, "add %s: %s\n", name, e.msg);
	assert_int_equal(rc, 0);
}

/* Run one SQL statement on auth.db with a connection of our own; returns
 * the first column of the first row as an integer (or 0). */
static int64_t sql1(const char *sql)
{
	char path[300];
	snprintf(path, sizeof path, "%s/auth.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	int rc = sqlite3_step(st);
	assert_true(rc == SQLITE_ROW || rc == SQLITE_DONE);
	int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void write_file(const char *name, const char *content, mode_t mode)
{
	char path[300];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static mode_t file_mode(const char *name)
{
	char path[300];
	struct stat sb;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_int_equal(stat(path, &sb), 0);
	return sb.st_mode & 0777;
}

/* ---- Opening ---- */

static void test_open_creates_private_file(void **st)
{
	(void)st;
	char sub[300];
	snprintf(sub, sizeof sub, "%s/data", dir);
	vg_auth *a = NULL;
	vg_err e = {0};
	vg_auth_opts o;
	vg_auth_defaults(&o);
	o.opslimit = crypto_pwhash_OPSLIMIT_MIN;
	o.memlimit = crypto_pwhash_MEMLIMIT_MIN;
	assert_int_equal(vg_auth_open(sub, &o, &a, &e), 0);
	assert_int_equal(vg_auth_user_add(a, "ann", VG_ROLE_ADMIN, PW, &e), 0);
	assert_int_equal(file_mode("data/auth.db"), 0600);
	/* While a connection is open in WAL mode, the -wal and -shm files
	 * exist and must be just as private. */
	assert_int_equal(file_mode("data/auth.db-wal"), 0600);
	assert_int_equal(file_mode("data/auth.db-shm"), 0600);
	vg_auth_close(a);
	/* A store someone made readable is made private again. */
	assert_int_equal(chmod(strcat(sub, "/auth.db"), 0644), 0);
	snprintf(sub, sizeof sub, "%s/data", dir);
	assert_int_equal(vg_auth_open(sub, &o, &a, &e), 0);
	assert_int_equal(file_mode("data/auth.db"), 0600);
	/* journal_mode, synchronous and the schema version are as promised. */
	vg_auth_close(a);
	vg_auth_close(NULL);
}

static void test_open_settings(void **st)
{
	(void)st;
	vg_auth *a = open_fast(NULL);
	char path[300];
	snprintf(path, sizeof path, "%s/auth.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	sqlite3_close(db);
	assert_int_equal(sql1("PRAGMA user_version"), 1);
	vg_auth_close(a);
}

static void test_open_refuses(void **st)
{
	(void)st;
	vg_auth *a = (vg_auth *)1;
	vg_err e = {0};
	vg_auth_opts o;
	vg_auth_defaults(&o);
	/* Missing, when the caller must not create it. */
	o.no_create = 1;
	assert_int_equal(vg_auth_open(dir, &o, &a, &e), VG_ENOTFOUND);
	assert_null(a);
	assert_non_null(strstr(e.msg, "does not exist"));
	o.no_create = 0;
	/* Garbage in place of a database. */
	write_file("auth.db", "this is not a database, it is a text file with some words in it\n"
			      "and more words to fill the first page of what sqlite would read.\n",
		   0600);
	assert_int_equal(vg_auth_open(dir, &o, &a, &e), VG_ECORRUPT);
	assert_null(a);
	assert_non_null(strstr(e.msg, "not a vigil auth store"));
	unlink(strcat(strcpy((char[300]){0}, dir), "/auth.db"));
	/* Another program's SQLite database. */
	sql1("CREATE TABLE other(x)");
	assert_int_equal(vg_auth_open(dir, &o, &a, &e), VG_ECORRUPT);
	unlink(strcat(strcpy((char[300]){0}, dir), "/auth.db"));
	/* A newer schema. */
	vg_auth_close(open_fast(NULL));
	sql1("PRAGMA user_version = 7");
	assert_int_equal(vg_auth_open(dir, &o, &a, &e), VG_EINVAL);
	assert_non_null(strstr(e.msg, "newer vigil"));
	unlink(strcat(strcpy((char[300]){0}, dir), "/auth.db"));
	/* A symlink is not followed. */
	char target[300], link[300];
	snprintf(target, sizeof target, "%s/elsewhere.db", dir);
	snprintf(link, sizeof link, "%s/auth.db", dir);
	assert_int_equal(symlink(target, link), 0);
	assert_int_not_equal(vg_auth_open(dir, &o, &a, &e), 0);
	assert_int_not_equal(access(target, F_OK), 0);
	/* A data directory that cannot be made. */
	assert_int_equal(vg_auth_open("/nonexistent/deeper/data", &o, &a, &e), VG_EIO);
}

/* ---- Roles ---- */

static void test_role_matrix(void **st)
{
	(void)st;
	/* The matrix, written out independently of the implementation:
	 * columns admin, analyst, ingest. */
	static const int want[VG_ACT_COUNT][3] = {
		[VG_ACT_INGEST] = {1, 0, 1},       [VG_ACT_SEARCH] = {1, 1, 0},
		[VG_ACT_READ_CONFIG] = {1, 1, 0},  [VG_ACT_METRICS] = {1, 1, 0},
		[VG_ACT_OWN_PASSWORD] = {1, 1, 0}, [VG_ACT_ADMIN_SETTINGS] = {1, 0, 0},
		[VG_ACT_ADMIN_USERS] = {1, 0, 0},  [VG_ACT_ADMIN_TOKENS] = {1, 0, 0},
	};
	for (int act = -2; act <= VG_ACT_COUNT + 2; act++) {
		for (int role = -2; role <= VG_ROLE_INGEST + 2; role++) {
			int expect = act >= 0 && act < VG_ACT_COUNT && role >= VG_ROLE_ADMIN &&
				     role <= VG_ROLE_INGEST
				? want[act][role - VG_ROLE_ADMIN] : 0;
			if (vg_auth_allows((vg_role)role, (vg_action)act) != expect)
				fail_msg("role %d action %d: want %d", role, act, expect);
		}
	}
	/* Every action has a name; none is allowed to no role. */
	for (int act = 0; act < VG_ACT_COUNT; act++) {
		assert_string_not_equal(vg_action_name((vg_action)act), "?");
		assert_int_equal(vg_auth_allows(VG_ROLE_NONE, (vg_action)act), 0);
	}
	assert_string_equal(vg_action_name(VG_ACT_COUNT), "?");
	assert_string_equal(vg_action_name((vg_action)-1), "?");
}

static void test_role_names(void **st)
{
	(void)st;
	vg_err e = {0};
	for (vg_role r = VG_ROLE_ADMIN; r <= VG_ROLE_INGEST; r++) {
		vg_role back = VG_ROLE_NONE;
		assert_int_equal(vg_role_parse(vg_role_name(r), &back, &e), 0);
		assert_int_equal(back, r);
	}
	assert_string_equal(vg_role_name(VG_ROLE_NONE), "none");
	assert_string_equal(vg_role_name((vg_role)42), "none");
	static const char *const bad[] = {"Admin", "", "none", "root", "admin ", "ingest\n"};
	for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
		vg_role r = VG_ROLE_ADMIN;
		assert_int_equal(vg_role_parse(bad[k], &r, &e), VG_EINVAL);
		assert_non_null(strstr(e.msg, "roles are admin, analyst and ingest"));
		assert_int_equal(r, VG_ROLE_ADMIN); /* untouched */
	}
	vg_role r;
	assert_int_equal(vg_role_parse(NULL, &r, &e), VG_EINVAL);
}

/* ---- Rules ---- */

static void test_names(void **st)
{
	(void)st;
	vg_err e = {0};
	char n64[65], n65[66];
	memset(n64, 'a', 64);
	n64[64] = 0;
	memset(n65, 'a', 65);
	n65[65] = 0;
	static const char *const good[] = {"a", "alice", "bob.smith", "ops_1", "me@example.com",
					   "9lives", "a-b"};
	for (size_t k = 0; k < sizeof good / sizeof *good; k++)
		assert_int_equal(vg_auth_check_name(good[k], &e), 0);
	assert_int_equal(vg_auth_check_name(n64, &e), 0);
	assert_int_equal(vg_auth_check_name(n65, &e), VG_EINVAL);
	assert_non_null(strstr(e.msg, "at most 64"));
	assert_int_equal(vg_auth_check_name("Alice", &e), VG_EINVAL);
	assert_non_null(strstr(e.msg, "lowercase"));
	static const char *const bad[] = {"", ".hidden", "-x", "_x", "a b", "a/b", "a:b",
					  "caf\xc3\xa9", "a\nb", "a'b", "a;b"};
	for (size_t k = 0; k < sizeof bad / sizeof *bad; k++)
		if (vg_auth_check_name(bad[k], &e) != VG_EINVAL)
			fail_msg("name '%s' accepted", bad[k]);
	assert_int_equal(vg_auth_check_name(NULL, &e), VG_EINVAL);
}

static void test_password_policy(void **st)
{
	(void)st;
	vg_err e = {0};
	assert_int_equal(vg_auth_check_password("abcdefghijk", &e), VG_EINVAL); /* 11 */
	assert_non_null(strstr(e.msg, "at least 12 characters"));
	assert_int_equal(vg_auth_check_password("abcdefghijkl", &e), 0);
	/* Characters, not bytes: 11 two-byte letters are 11 characters. */
	assert_int_equal(vg_auth_check_password("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
						"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", &e),
			 VG_EINVAL);
	assert_int_equal(vg_auth_check_password("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
						"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", &e),
			 0);
	assert_int_equal(vg_auth_check_password("abcdefghijkl\n", &e), VG_EINVAL);
	assert_non_null(strstr(e.msg, "control characters"));
	assert_int_equal(vg_auth_check_password("abcdef\tghijkl", &e), VG_EINVAL);
	assert_int_equal(vg_auth_check_password("abcdef\x7fghijkl", &e), VG_EINVAL);
	assert_int_equal(vg_auth_check_password(NULL, &e), VG_EINVAL);
	assert_int_equal(vg_auth_check_password("", &e), VG_EINVAL);
	char big[VG_AUTH_PASSWORD_MAX + 2];
	memset(big, 'x', sizeof big);
	big[VG_AUTH_PASSWORD_MAX] = 0;
	assert_int_equal(vg_auth_check_password(big, &e), 0);
	big[VG_AUTH_PASSWORD_MAX] = 'x';
	big[VG_AUTH_PASSWORD_MAX + 1] = 0;
	assert_int_equal(vg_auth_check_password(big, &e), VG_EINVAL);
	assert_non_null(strstr(e.msg, "at most"));
}

static void test_gen_password(void **st)
{
	(void)st;
	char p1[VG_AUTH_GENPW_LEN + 1], p2[VG_AUTH_GENPW_LEN + 1];
	vg_auth_gen_password(p1);
	vg_auth_gen_password(p2);
	assert_int_equal(strlen(p1), VG_AUTH_GENPW_LEN);
	assert_string_not_equal(p1, p2);
	assert_int_equal(strspn(p1, "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"),
			 VG_AUTH_GENPW_LEN);
	assert_int_equal(vg_auth_check_password(p1, NULL), 0);
}

/* ---- Users ---- */

static void test_users(void **st)
{
	(void)st;
	vg_auth *a = open_fast(NULL);
	vg_err e = {0};
	add(a, "carol", VG_ROLE_INGEST);
	add(a, "alice", VG_ROLE_ADMIN);
	add(a, "bob", VG_ROLE_ANALYST);
	assert_int_equal(vg_auth_user_add(a, "bob", VG_ROLE_ADMIN, PW, &e), VG_EINVAL);
	assert_non_null(strstr(e.msg, "already exists"));
	assert_int_equal(vg_auth_user_add(a, "dave", VG_ROLE_NONE, PW, &e), VG_EINVAL);
	assert_int_equal(vg_auth_user_add(a, "dave", (vg_role)9, PW, &e), VG_EINVAL);
	assert_int_equal(vg_auth_user_add(a, "dave", VG_ROLE_ADMIN, "short", &e), VG_EINVAL);
	assert_int_equal(vg_auth_user_add(a, "Dave", VG_ROLE_ADMIN, PW, &e), VG_EINVAL);
	assert_int_equal(vg_auth_user_add(a, "dave", VG_ROLE_ADMIN, NULL, &e), VG_EINVAL);

	vg_auth_user_info *u;
	size_t n;
	assert_int_equal(vg_auth_user_list(a, &u, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_string_equal(u[0].name, "alice");
	assert_int_equal(u[0].role, VG_ROLE_ADMIN);
	assert_string_equal(u[1].name, "bob");
	assert_int_equal(u[1].role, VG_ROLE_ANALYST);
	assert_string_equal(u[2].name, "carol");
	assert_int_equal(u[2].role, VG_ROLE_INGEST);
	assert_true(u[0].created > 1600000000 && u[0].created <= (int64_t)time(NULL));
	assert_int_equal(u[0].disabled, 0);
	free(u);

	/* The password is stored as an Argon2id hash, never as itself. */
	assert_int_equal(sql1("SELECT count(*) FROM users WHERE hash LIKE '$argon2id$%'"), 3);
	assert_int_equal(sql1("SELECT count(*) FROM users WHERE instr(hash, 'horse') > 0"), 0);

	/* Deleting: unknown, the last admin, then fine once there is another. */
	assert_int_equal(vg_auth_user_del(a, "nobody", &e), VG_ENOTFOUND);
	assert_int_equal(vg_auth_user_del(a, "Bad Name", &e), VG_EINVAL);
	assert_int_equal(vg_auth_user_del(a, "alice", &e), VG_EINVAL);
	assert_non_null(strstr(e.msg, "last enabled admin"));
	assert_int_equal(vg_auth_user_disable(a, "alice", 1, &e), VG_EINVAL);
	add(a, "zed", VG_ROLE_ADMIN);
	assert_int_equal(vg_auth_user_del(a, "alice", &e), 0);
	assert_int_equal(vg_auth_user_del(a, "alice", &e), VG_ENOTFOUND);
	assert_int_equal(vg_auth_user_del(a, "bob", &e), 0);
	assert_int_equal(vg_auth_user_list(a, &u, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_string_equal(u[0].name, "carol");
	assert_string_equal(u[1].name, "zed");
	free(u);
	assert_int_equal(vg_auth_user_disable(a, "nobody", 1, &e), VG_ENOTFOUND);
	vg_auth_close(a);
}

static void test_user_list_empty(void **st)
{
	(void)st;
	vg_auth *a = open_fast(NULL);
	vg_auth_user_info *u = (vg_auth_user_info *)1;
	size_t n = 9;
	vg_err e = {0};
	assert_int_equal(vg_auth_user_list(a, &u, &n, &e), 0);
	assert_null(u);
	assert_int_equal(n, 0);
	vg_auth_token_info *t = (vg_auth_token_info *)1;
	assert_int_equal(vg_auth_token_list(a, &t, &n, &e), 0);
	assert_null(t);
	assert_int_equal(n, 0);
	vg_auth_close(a);
}

/* ---- Logins and sessions ---- */

static void test_login(void **st)
{
	(void)st;
	vg_auth *a = open_fast(NULL);
	vg_err e = {0};
	add(a, "alice", VG_ROLE_ANALYST);
	vg_auth_session s, s2;
	assert_int_equal(vg_auth_login(a, "alice", PW, &s, &e), 0);
	assert_string_equal(s.user, "alice");
	assert_int_equal(s.role, VG_ROLE_ANALYST);
	assert_int_equal(strlen(s.cookie), VG_AUTH_COOKIE_LEN);
	assert_memory_equal(s.cookie, "vgs_", 4);
	assert_int_equal(strlen(s.csrf), VG_AUTH_CSRF_LEN);
	assert_int_equal(s.expires - s.created, 12 * 3600);
	assert_int_equal(vg_auth_login(a, "alice", PW, &s2, &e), 0);
	assert_string_not_equal(s.cookie, s2.cookie);
	assert_string_not_equal(s.csrf, s2.csrf);
	/* Only the hash of the cookie is stored. */
	assert_int_equal(sql1("SELECT count(*) FROM sessions"), 2);
	char q[300];
	snprintf(q, sizeof q, "SELECT count(*) FROM sessions WHERE instr(hex(id_hash), upper('%s')) > 0",
		 s.cookie + 4);
	assert_int_equal(sql1(q), 0);

	/* Every failure looks the same from outside. */
	static const char *const users[] = {"alice", "nobody", "Alice", "", "a b"};
	static const char *const pws[] = {"wrong password!", PW, PW, PW, PW};
	for (size_t k = 0; k < sizeof users / sizeof *users; k++) {
		memset(&e, 0, sizeof e);
		memset(&s, 'x', sizeof s);
		assert_int_equal(vg_auth_login(a, users[k], pws[k], &s, &e), VG_ENOTFOUND);
		assert_string_equal(e.msg, "wrong user name or password");
		assert_int_equal(s.cookie[0], 0);
		assert_int_equal(s.role, VG_ROLE_NONE);
	}
	assert_int_equal(vg_auth_login(a, NULL, PW, &s, &e), VG_ENOTFOUND);
	assert_int_equal(vg_auth_login(a, "alice", NULL, &s, &e), VG_ENOTFOUND);
	assert_int_equal(vg_auth_login(a, "alice", "", &s, &e), VG_ENOTFOUND);
	assert_int_equal(vg_auth_login(a, "alice", PW "x", &s, &e), VG_ENOTFOUND);
	char big[2000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	assert_int_equal(vg_auth_login(a, "alice", big, &s, &e), VG_ENOTFOUND);

	/* Disabled users cannot log in, and their sessions end. */
	vg_auth_session live;
	assert_int_equal(vg_auth_session_check(a, s2.cookie, &live, &e), 0);
	assert_int_equal(vg_auth_user_disable(a, "alice", 1, &e), 0);
	assert_int_equal(vg_auth_login(a, "alice", PW, &s, &e), VG_ENOTFOUND);
	assert_string_equal(e.msg, "wrong user name or password");
	assert_int_equal(vg_auth_session_check(a, s2.cookie, &live, &e), VG_ENOTFOUND);
	vg_auth_user_info *u;
	size_t n;
	assert_int_equal(vg_auth_user_list(a, &u, &n, &e), 0);
	assert_int_equal(u[0].disabled, 1);
	free(u);
	assert_int_equal(vg_auth_user_disable(a, "alice", 0, &e), 0);
	assert_int_equal(vg_auth_login(a, "alice", PW, &s, &e), 0);
	vg_auth_close(a);
}

/* Median of three logins' wall time, in ns. */
static int64_t login_ns(vg_auth *a, const char *user)
{
	int64_t t[3];
	for (int k = 0; k < 3; k++) {
		struct timespec t0, t1;
		vg_auth_session s;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		assert_int_equal(vg_auth_login(a, user, "not the right password", &s, NULL), VG_ENOTFOUND);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		t[k] = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
	}
	int64_t lo = t[0] < t[1] ? t[0] : t[1], hi = t[0] < t[1] ? t[1] : t[0];
	return t[2] < lo ? lo : t[2] > hi ? hi : t[2];
}

static void test_login_timing(void **st)
{
	(void)st;
	/* Costly enough that Argon2id dominates (a few ms each). */
	vg_auth_opts o;
	vg_auth_defaults(&o);
	o.opslimit = 3;
	o.memlimit = 8u << 20;
	vg_auth *a;
	vg_err e = {0};
	assert_int_equal(vg_auth_open(dir, &o, &a, &e), 0);
	add(a, "alice", VG_ROLE_ANALYST);
	int64_t known = login_ns(a, "alice"), unknown = login_ns(a, "nobody");
	/* An unknown user must not answer much faster than a wrong
	 * password: without the throwaway hash it would take microseconds. */
	if (unknown * 3 < known || known * 3 < unknown)
		fail_msg("login timing differs: known %lld ns, unknown %lld ns", (long long)known,
			 (long long)unknown);
	vg_auth_close(a);
}

static void test_session_check_logout(void **st)
{
	(void)st;
	vg_auth *a = open_fast(NULL);
	vg_err e = {0};
	add(a, "bob", VG_ROLE_ADMIN);
	vg_auth_session s, c;
	assert_int_equal(vg_auth_login(a, "bob", PW, &s, &e), 0);
	assert_int_equal(vg_auth_session_check(a, s.cookie, &c, &e), 0);
	assert_string_equal(c.user, "bob");
	assert_int_equal(c.role, VG_ROLE_ADMIN);
	assert_string_equal(c.csrf, s.csrf);
	assert_int_equal(c.expires, s.expires);
	assert_int_equal(c.cookie[0], 0);
	/* A well-formed but unknown cookie, then a changed one. */
	char other[VG_AUTH_COOKIE_LEN + 1];
	strcpy(other, s.cookie);
	other[10] = other[10] == 'a' ? 'b' : 'a';
	assert_int_equal(vg_auth_session_check(a, other, &c, &e), VG_ENOTFOUND);
	assert_int_equal(c.role, VG_ROLE_NONE);
	assert_int_equal(vg_auth_logout(a, other, &e), VG_ENOTFOUND);
	/* Logout ends it, and only it. */
	vg_auth_session s2;
	assert_int_equal(vg_auth_login(a, "bob", PW, &s2, &e), 0);
	assert_int_equal(vg_auth_logout(a, s.cookie, &e), 0);
	assert_int_equal(vg_auth_session_check(a, s.cookie, &c, &e), VG_ENOTFOUND);
	assert_int_equal(vg_auth_logout(a, s.cookie, &e), VG_ENOTFOUND);
	assert_int_equal(vg_auth_session_check(a, s2.cookie, &c, &e), 0);
	/* Deleting the user ends its sessions too. */
	add(a, "root2", VG_ROLE_ADMIN);
	assert_int_equal(vg_auth_user_del(a, "bob", &e), 0);
	assert_int_equal(vg_auth_session_check(a, s2.cookie, &c, &e), VG_ENOTFOUND);
	assert_int_equal(sql1("SELECT count(*) FROM sessions"), 0);
	vg_auth_close(a);
}

static void test_session_expiry(void **st)
{
	(void)st;
	fake_clock clk = {.now = 1000000};
	vg_auth *a = open_fast(&clk);
	vg_err e = {0};
	add(a, "ann", VG_ROLE_ANALYST);
	vg_auth_session s, c;
	int64_t t0 = clk.now;
	assert_int_equal(vg_auth_login(a, "ann", PW, &s, &e), 0);
	assert_int_equal(s.expires, t0 + 1000);
	/* Idle: 100 s. Used at +99 (recorded: more than a minute since the
	 * last record), so +198 is 99 s idle and still fine. */
	clk.now = t0 + 99;
	assert_int_equal(vg_auth_session_check(a, s.cookie, &c, &e), 0);
	clk.now = t0 + 198;
	assert_int_equal(vg_auth_session_check(a, s.cookie, &c, &e), 0);
	clk.now = t0 + 298;
	assert_int_equal(vg_auth_session_check(a, s.cookie, &c, &e), VG_ENOTFOUND);
	assert_non_null(strstr(e.msg, "expired"));
	/* It is gone for good, even if the clock goes back. */
	clk.now = t0 + 199;
	assert_int_equal(vg_auth_session_check(a, s.cookie, &c, &e), VG_ENOTFOUND);
	assert_int_equal(sql1("SELECT count(*) FROM sessions"), 0);

	/* Absolute: used every 90 s, it still ends 1000 s after login. */
	t0 = clk.now = 2000000;
	assert_int_equal(vg_auth_login(a, "ann", PW, &s, &e), 0);
	for (clk.now = t0 + 90; clk.now < t0 + 1000; clk.now += 90)
		assert_int_equal(vg_auth_session_check(a, s.cookie, &c, &e), 0);
	clk.now = t0 + 1000;
	assert_int_equal(vg_auth_session_check(a, s.cookie, &c, &e), VG_ENOTFOUND);

	/* A login purges sessions that expired without being looked at. */
	clk.now = 3000000;
	assert_int_equal(vg_auth_login(a, "ann", PW, &s, &e), 0);
	assert_int_equal(vg_auth_login(a, "ann", PW, &s, &e), 0);
	clk.now += 5000;
	assert_int_equal(vg_auth_login(a, "ann", PW, &s, &e), 0);
	assert_int_equal(sql1("SELECT count(*) FROM sessions"), 1);
	vg_auth_close(a);
}

static void test_session_cap(void **st)
{
	(void)st;
	vg_auth *a = open_fast(NULL);
	vg_err e = {0};
	add(a, "ann", VG_ROLE_ANALYST);
	add(a, "ben", VG_ROLE_ANALYST);
	vg_auth_session first, s;
	assert_int_equal(vg_auth_login(a, "ben", PW, &first, &e), 0);
	assert_int_equal(vg_auth_login(a, "ann", PW, &first, &e), 0);
	for (int k = 0; k < 70; k++)
		assert_int_equal(vg_auth_login(a, "ann", PW, &s, &e), 0);
	assert_int_equal(sql1("SELECT count(*) FROM sessions WHERE user = 'ann'"), 64);
	assert_int_equal(sql1("SELECT count(*) FROM sessions WHERE user = 'ben'"), 1);
	assert_int_equal(vg_auth_session_check(a, s.cookie, &s, &e), 0);
	vg_auth_close(a);
}

static void test_passwd(void **st)
{
	(void)st;
	vg_auth *a = open_fast(NULL);
	vg_err e = {0};
	add(a, "ann", VG_ROLE_ANALYST);
	vg_auth_session s, c;
	assert_int_equal(vg_auth_login(a, "ann", PW, &s, &e), 0);
	assert_int_equal(vg_auth_user_passwd(a, "ann", "tiny", &e), VG_EINVAL);
	assert_int_equal(vg_auth_user_passwd(a, "nobody", PW2, &e), VG_ENOTFOUND);
	assert_int_equal(vg_auth_user_passwd(a, "NOBODY", PW2, &e), VG_EINVAL);
	/* The failures changed nothing. */
	assert_int_equal(vg_auth_session_check(a, s.cookie, &c, &e), 0);
	assert_int_equal(vg_auth_user_passwd(a, "ann", PW2, &e), 0);
	assert_int_equal(vg_auth_session_check(a, s.cookie, &c, &e), VG_ENOTFOUND);
	assert_int_equal(vg_auth_login(a, "ann", PW, &s, &e), VG_ENOTFOUND);
	assert_int_equal(vg_auth_login(a, "ann", PW2, &s, &e), 0);
	vg_auth_close(a);
}

static void test_rehash(void **st)
{
	(void)st;
	vg_auth *a = open_fast(NULL);
	vg_err e = {0};
	add(a, "ann", VG_ROLE_ANALYST);
	vg_auth_close(a);
	assert_int_equal(sql1("SELECT count(*) FROM users WHERE instr(hash, 'm=8,t=1') > 0"), 1);
	/* The limits went up: the next login stores a hash made with them. */
	vg_auth_opts o;
	vg_auth_defaults(&o);
	o.opslimit = 2;
	o.memlimit = 1u << 20;
	assert_int_equal(vg_auth_open(dir, &o, &a, &e), 0);
	vg_auth_session s;
	assert_int_equal(vg_auth_login(a, "ann", PW, &s, &e), 0);
	assert_int_equal(sql1("SELECT count(*) FROM users WHERE instr(hash, 'm=1024,t=2') > 0"), 1);
	assert_int_equal(vg_auth_login(a, "ann", PW, &s, &e), 0);
	vg_auth_close(a);
}

/* ---- CSRF and cookies ---- */

static void test_csrf(void **st)
{
	(void)st;
	assert_int_equal(vg_auth_needs_csrf("GET"), 0);
	assert_int_equal(vg_auth_needs_csrf("HEAD"), 0);
	assert_int_equal(vg_auth_needs_csrf("OPTIONS"), 0);
	static const char *const changing[] = {"POST", "PUT", "DELETE", "PATCH", "get", "", "FOO"};
	for (size_t k = 0; k < sizeof changing / sizeof *changing; k++)
		assert_int_equal(vg_auth_needs_csrf(changing[k]), 1);
	assert_int_equal(vg_auth_needs_csrf(NULL), 1);

	vg_auth *a = open_fast(NULL);
	vg_err e = {0};
	add(a, "ann", VG_ROLE_ANALYST);
	vg_auth_session s, c;
	assert_int_equal(vg_auth_login(a, "ann", PW, &s, &e), 0);
	assert_int_equal(vg_auth_session_check(a, s.cookie, &c, &e), 0);
	assert_int_equal(vg_auth_csrf_ok(&c, s.csrf, &e), 0);
	assert_int_equal(vg_auth_csrf_ok(&c, NULL, &e), VG_ENOTFOUND);
	assert_non_null(strstr(e.msg, "missing X-CSRF-Token"));
	assert_int_equal(vg_auth_csrf_ok(&c, "", &e), VG_ENOTFOUND);
	char bad[VG_AUTH_CSRF_LEN + 2];
	strcpy(bad, s.csrf);
	bad[VG_AUTH_CSRF_LEN - 1] ^= 1;
	assert_int_equal(vg_auth_csrf_ok(&c, bad, &e), VG_ENOTFOUND);
	assert_non_null(strstr(e.msg, "wrong X-CSRF-Token"));
	strcpy(bad, s.csrf);
	bad[VG_AUTH_CSRF_LEN - 1] = 0;  /* a prefix */
	assert_int_equal(vg_auth_csrf_ok(&c, bad, &e), VG_ENOTFOUND);
	strcpy(bad, s.csrf);
	strcat(bad, "0");               /* longer */
	assert_int_equal(vg_auth_csrf_ok(&c, bad, &e), VG_ENOTFOUND);
	/* Another session's token does not fit this one. */
	vg_auth_session s2;
	assert_int_equal(vg_auth_login(a, "ann", PW, &s2, &e), 0);
	assert_int_equal(vg_auth_csrf_ok(&c, s2.csrf, &e), VG_ENOTFOUND);
	/* An empty session matches nothing, not even an empty header. */
	vg_auth_session none;
	memset(&none, 0, sizeof none);
	assert_int_equal(vg_auth_csrf_ok(&none, "", &e), VG_ENOTFOUND);
	assert_int_equal(vg_auth_csrf_ok(&none, s.csrf, &e), VG_ENOTFOUND);
	vg_auth_close(a);
}

static void test_set_cookie(void **st)
{
	(void)st;
	vg_auth *a = open_fast(NULL);
	vg_err e = {0};
	add(a, "ann", VG_ROLE_ANALYST);
	vg_auth_session s, c;
	assert_int_equal(vg_auth_login(a, "ann", PW, &s, &e), 0);
	char buf[256], want[256];
	int n = vg_auth_set_cookie(&s, s.expires - 500, 0, buf, sizeof buf);
	snprintf(want, sizeof want, "vigil_session=%s; Max-Age=500; Path=/; HttpOnly; SameSite=Lax",
		 s.cookie);
	assert_string_equal(buf, want);
	assert_int_equal(n, (int)strlen(want));
	n = vg_auth_set_cookie(&s, s.expires + 5, 1, buf, sizeof buf);
	assert_true(n > 0);
	assert_non_null(strstr(buf, "; Max-Age=0;"));
	assert_non_null(strstr(buf, "; Secure"));
	assert_int_equal(vg_auth_set_cookie(NULL, 0, 0, buf, sizeof buf),
			 (int)strlen("vigil_session=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"));
	assert_string_equal(buf, "vigil_session=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax");
	assert_int_equal(vg_auth_set_cookie(&s, 0, 0, buf, 40), -1);
	/* A checked session carries no cookie value to set. */
	assert_int_equal(vg_auth_session_check(a, s.cookie, &c, &e), 0);
	assert_int_equal(vg_auth_set_cookie(&c, 0, 0, buf, sizeof buf), -1);
	vg_auth_close(a);
}

/* ---- Tokens ---- */

static void test_tokens(void **st)
{
	(void)st;
	fake_clock clk = {.now = 5000000};
	vg_auth *a = open_fast(&clk);
	vg_err e = {0};
	add(a, "ann", VG_ROLE_ADMIN);
	char t1[VG_AUTH_TOKEN_LEN + 1], t2[VG_AUTH_TOKEN_LEN + 1];
	assert_int_equal(vg_auth_token_create(a, VG_ROLE_INGEST, "filebeat, web-1", "ann", t1, &e), 0);
	assert_int_equal(strlen(t1), VG_AUTH_TOKEN_LEN);
	assert_memory_equal(t1, "vgt_", 4);
	assert_int_equal(strspn(t1 + 4, "0123456789abcdef"), 16);
	assert_int_equal(t1[20], '_');
	assert_int_equal(strspn(t1 + 21, "0123456789abcdef"), 64);
	assert_int_equal(vg_auth_token_create(a, VG_ROLE_ANALYST, NULL, NULL, t2, &e), 0);
	assert_memory_not_equal(t1, t2, VG_AUTH_TOKEN_LEN);

	vg_auth_token_info info;
	clk.now += 10;
	assert_int_equal(vg_auth_token_check(a, t1, &info, &e), 0);
	assert_int_equal(info.role, VG_ROLE_INGEST);
	assert_string_equal(info.name, "filebeat, web-1");
	assert_string_equal(info.owner, "ann");
	assert_memory_equal(info.id, t1 + 4, 16);
	assert_int_equal(info.created, 5000000);
	assert_int_equal(info.revoked, 0);
	assert_int_equal(vg_auth_token_check(a, t2, NULL, &e), 0);

	/* Use is recorded, at most once a minute. */
	vg_auth_token_info *l;
	size_t n;
	assert_int_equal(vg_auth_token_list(a, &l, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(l[0].last_used, 5000010);
	free(l);
	clk.now += 30;
	assert_int_equal(vg_auth_token_check(a, t1, &info, &e), 0);
	assert_int_equal(info.last_used, 5000010);
	clk.now += 60;
	assert_int_equal(vg_auth_token_check(a, t1, &info, &e), 0);
	assert_int_equal(info.last_used, 5000100);

	/* The list holds no secret, nor does the database. */
	assert_int_equal(vg_auth_token_list(a, &l, &n, &e), 0);
	for (size_t k = 0; k < n; k++) {
		const char *secret = k == 0 ? t1 + 21 : t2 + 21;
		assert_null(memmem(&l[k], sizeof l[k], secret, 16));
	}
	assert_memory_equal(l[0].id, t1 + 4, 16);
	assert_string_equal(l[1].owner, "");
	assert_string_equal(l[1].name, "");
	assert_int_equal(l[1].role, VG_ROLE_ANALYST);
	free(l);
	char q[300];
	snprintf(q, sizeof q, "SELECT count(*) FROM tokens WHERE instr(hex(hash), upper('%.16s')) > 0"
			      " OR instr(name, '%.16s') > 0", t1 + 21, t1 + 21);
	assert_int_equal(sql1(q), 0);

	/* Creation refuses bad roles, names and owners. */
	char t3[VG_AUTH_TOKEN_LEN + 1];
	assert_int_equal(vg_auth_token_create(a, VG_ROLE_NONE, "x", NULL, t3, &e), VG_EINVAL);
	assert_int_equal(t3[0], 0);
	assert_int_equal(vg_auth_token_create(a, (vg_role)7, "x", NULL, t3, &e), VG_EINVAL);
	assert_int_equal(vg_auth_token_create(a, VG_ROLE_INGEST, "x", "nobody", t3, &e), VG_EINVAL);
	assert_non_null(strstr(e.msg, "no user 'nobody'"));
	assert_int_equal(t3[0], 0);
	assert_int_equal(vg_auth_token_create(a, VG_ROLE_INGEST, "x", "Bad Owner", t3, &e), VG_EINVAL);
	assert_int_equal(vg_auth_token_create(a, VG_ROLE_INGEST, "line\nbreak", NULL, t3, &e), VG_EINVAL);
	assert_int_equal(vg_auth_token_create(a, VG_ROLE_INGEST, "caf\xc3\xa9", NULL, t3, &e), VG_EINVAL);
	char longname[VG_AUTH_TOKEN_NAME_MAX + 2];
	memset(longname, 'n', sizeof longname);
	longname[VG_AUTH_TOKEN_NAME_MAX] = 0;
	assert_int_equal(vg_auth_token_create(a, VG_ROLE_INGEST, longname, "", t3, &e), 0);
	longname[VG_AUTH_TOKEN_NAME_MAX] = 'n';
	longname[VG_AUTH_TOKEN_NAME_MAX + 1] = 0;
	assert_int_equal(vg_auth_token_create(a, VG_ROLE_INGEST, longname, NULL, t3, &e), VG_EINVAL);
	assert_int_equal(sql1("SELECT count(*) FROM tokens"), 3);

	/* Revocation: by id, by whole token; twice; unknown; malformed. */
	char id[17];
	memcpy(id, t1 + 4, 16);
	id[16] = 0;
	assert_int_equal(vg_auth_token_revoke(a, id, &e), 0);
	assert_int_equal(vg_auth_token_check(a, t1, &info, &e), VG_ENOTFOUND);
	assert_non_null(strstr(e.msg, "revoked"));
	assert_int_equal(info.role, VG_ROLE_NONE);
	assert_int_equal(vg_auth_token_revoke(a, id, &e), VG_EINVAL);
	assert_non_null(strstr(e.msg, "already revoked"));
	assert_int_equal(vg_auth_token_revoke(a, t2, &e), 0);
	assert_int_equal(vg_auth_token_check(a, t2, &info, &e), VG_ENOTFOUND);
	assert_int_equal(vg_auth_token_revoke(a, "0123456789abcdef", &e), VG_ENOTFOUND);
	static const char *const badids[] = {"", "0123456789abcde", "0123456789abcdef0",
					     "0123456789ABCDEF", "0123456789abcdeg", "vgt_0123"};
	for (size_t k = 0; k < sizeof badids / sizeof *badids; k++)
		assert_int_equal(vg_auth_token_revoke(a, badids[k], &e), VG_EINVAL);
	assert_int_equal(vg_auth_token_revoke(a, NULL, &e), VG_EINVAL);
	assert_int_equal(vg_auth_token_list(a, &l, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_int_equal(l[0].revoked, clk.now);
	assert_int_equal(l[2].revoked, 0);
	free(l);
	vg_auth_close(a);
}

static void test_token_owner(void **st)
{
	(void)st;
	vg_auth *a = open_fast(NULL);
	vg_err e = {0};
	add(a, "root", VG_ROLE_ADMIN);
	add(a, "shipper", VG_ROLE_INGEST);
	char t[VG_AUTH_TOKEN_LEN + 1], t0[VG_AUTH_TOKEN_LEN + 1];
	assert_int_equal(vg_auth_token_create(a, VG_ROLE_INGEST, "fb", "shipper", t, &e), 0);
	assert_int_equal(vg_auth_token_create(a, VG_ROLE_INGEST, "ownerless", NULL, t0, &e), 0);
	/* A disabled owner's tokens stop, and start again when enabled. */
	assert_int_equal(vg_auth_user_disable(a, "shipper", 1, &e), 0);
	assert_int_equal(vg_auth_token_check(a, t, NULL, &e), VG_ENOTFOUND);
	assert_non_null(strstr(e.msg, "disabled"));
	assert_int_equal(vg_auth_token_check(a, t0, NULL, &e), 0);
	assert_int_equal(vg_auth_user_disable(a, "shipper", 0, &e), 0);
	assert_int_equal(vg_auth_token_check(a, t, NULL, &e), 0);
	/* A deleted owner's tokens are revoked, and stay so if the name
	 * comes back. */
	assert_int_equal(vg_auth_user_del(a, "shipper", &e), 0);
	assert_int_equal(vg_auth_token_check(a, t, NULL, &e), VG_ENOTFOUND);
	add(a, "shipper", VG_ROLE_INGEST);
	assert_int_equal(vg_auth_token_check(a, t, NULL, &e), VG_ENOTFOUND);
	assert_non_null(strstr(e.msg, "revoked"));
	vg_auth_token_info *l;
	size_t n;
	assert_int_equal(vg_auth_token_list(a, &l, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_string_equal(l[0].owner, "shipper");
	assert_true(l[0].revoked > 0);
	assert_int_equal(l[1].revoked, 0);
	free(l);
	vg_auth_close(a);
}

/* Every shape of not-quite-a-token is rejected cleanly. */
static void test_token_garbage(void **st)
{
	(void)st;
	vg_auth *a = open_fast(NULL);
	vg_err e = {0};
	char good[VG_AUTH_TOKEN_LEN + 1], other[VG_AUTH_TOKEN_LEN + 1];
	assert_int_equal(vg_auth_token_create(a, VG_ROLE_ADMIN, "g", NULL, good, &e), 0);
	assert_int_equal(vg_auth_token_create(a, VG_ROLE_INGEST, "o", NULL, other, &e), 0);
	char buf[4096];
	static const char *const shapes[] = {
		"", "vgt_", "vgt", "Bearer", "vgs_", "null", "vgt_0123456789abcdef_",
	};
	vg_auth_token_info info;
	for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++)
		assert_int_equal(vg_auth_token_check(a, shapes[k], &info, &e), VG_EINVAL);
	assert_int_equal(vg_auth_token_check(a, NULL, &info, &e), VG_EINVAL);
	assert_non_null(strstr(e.msg, "not a vigil API token"));
	/* Each position changed to characters that break the format. */
	for (size_t pos = 0; pos < VG_AUTH_TOKEN_LEN; pos++) {
		static const char breakers[] = "Gg_-A /\x01\xff";
		for (const char *b = breakers; *b; b++) {
			strcpy(buf, good);
			if (buf[pos] == *b)
				continue;
			buf[pos] = *b;
			int rc = vg_auth_token_check(a, buf, &info, &e);
			if (rc != VG_EINVAL)
				fail_msg("pos %zu char 0x%02x: rc %d (%s)", pos, (unsigned char)*b, rc, e.msg);
		}
	}
	/* Every prefix, and too long. */
	for (size_t len = 0; len < VG_AUTH_TOKEN_LEN; len++) {
		memcpy(buf, good, len);
		buf[len] = 0;
		assert_int_equal(vg_auth_token_check(a, buf, &info, &e), VG_EINVAL);
	}
	snprintf(buf, sizeof buf, "%s0", good);
	assert_int_equal(vg_auth_token_check(a, buf, &info, &e), VG_EINVAL);
	snprintf(buf, sizeof buf, " %s", good);
	assert_int_equal(vg_auth_token_check(a, buf, &info, &e), VG_EINVAL);
	char *huge = malloc(1 << 20);
	memset(huge, 'a', (1 << 20) - 1);
	huge[(1 << 20) - 1] = 0;
	memcpy(huge, good, VG_AUTH_TOKEN_LEN);
	assert_int_equal(vg_auth_token_check(a, huge, &info, &e), VG_EINVAL);
	free(huge);
	/* Well-formed but wrong: each secret digit changed to another hex
	 * digit; another token's secret under this id; an unknown id. */
	for (size_t pos = 21; pos < VG_AUTH_TOKEN_LEN; pos++) {
		strcpy(buf, good);
		buf[pos] = buf[pos] == '0' ? '1' : '0';
		assert_int_equal(vg_auth_token_check(a, buf, &info, &e), VG_ENOTFOUND);
		assert_non_null(strstr(e.msg, "wrong secret"));
		assert_int_equal(info.role, VG_ROLE_NONE);
	}
	memcpy(buf, good, 21);
	memcpy(buf + 21, other + 21, 65);
	assert_int_equal(vg_auth_token_check(a, buf, &info, &e), VG_ENOTFOUND);
	strcpy(buf, good);
	memcpy(buf + 4, "0000000000000000", 16);
	assert_int_equal(vg_auth_token_check(a, buf, &info, &e), VG_ENOTFOUND);
	assert_non_null(strstr(e.msg, "unknown token"));
	/* Random strings of random lengths over a token's alphabet and more. */
	static const char alpha[] = "vgt_s0123456789abcdefABCDEF-. \x80";
	for (int k = 0; k < 3000; k++) {
		size_t len = randombytes_uniform(k % 2 ? 100 : 90);
		for (size_t j = 0; j < len; j++)
			buf[j] = alpha[randombytes_uniform(sizeof alpha - 1)];
		buf[len] = 0;
		if (k % 3 == 0 && len >= 4)
			memcpy(buf, "vgt_", 4);
		int rc = vg_auth_token_check(a, buf, &info, &e);
		assert_true(rc == VG_EINVAL || rc == VG_ENOTFOUND);
	}
	/* After all that, the real one still works. */
	assert_int_equal(vg_auth_token_check(a, good, &info, &e), 0);
	assert_int_equal(info.role, VG_ROLE_ADMIN);
	vg_auth_close(a);
}

static void test_cookie_garbage(void **st)
{
	(void)st;
	vg_auth *a = open_fast(NULL);
	vg_err e = {0};
	add(a, "ann", VG_ROLE_ANALYST);
	vg_auth_session s, c;
	assert_int_equal(vg_auth_login(a, "ann", PW, &s, &e), 0);
	char buf[200];
	assert_int_equal(vg_auth_session_check(a, NULL, &c, &e), VG_EINVAL);
	assert_int_equal(vg_auth_logout(a, NULL, &e), VG_EINVAL);
	for (size_t len = 0; len < VG_AUTH_COOKIE_LEN; len++) {
		memcpy(buf, s.cookie, len);
		buf[len] = 0;
		assert_int_equal(vg_auth_session_check(a, buf, &c, &e), VG_EINVAL);
		assert_int_equal(vg_auth_logout(a, buf, &e), VG_EINVAL);
	}
	for (size_t pos = 0; pos < VG_AUTH_COOKIE_LEN; pos++) {
		strcpy(buf, s.cookie);
		buf[pos] = 'G';
		assert_int_equal(vg_auth_session_check(a, buf, &c, &e), VG_EINVAL);
		assert_non_null(strstr(e.msg, "malformed session cookie"));
	}
	snprintf(buf, sizeof buf, "%s ", s.cookie);
	assert_int_equal(vg_auth_session_check(a, buf, &c, &e), VG_EINVAL);
	/* A token is not a cookie. */
	char t[VG_AUTH_TOKEN_LEN + 1];
	assert_int_equal(vg_auth_token_create(a, VG_ROLE_ADMIN, "", NULL, t, &e), 0);
	assert_int_equal(vg_auth_session_check(a, t, &c, &e), VG_EINVAL);
	assert_int_equal(vg_auth_token_check(a, s.cookie, NULL, &e), VG_EINVAL);
	assert_int_equal(vg_auth_session_check(a, s.cookie, &c, &e), 0);
	vg_auth_close(a);
}

/* ---- The first admin ---- */

static void test_ensure_admin(void **st)
{
	(void)st;
	vg_auth *a = open_fast(NULL);
	vg_err e = {0};
	char name[VG_AUTH_NAME_MAX + 1], pw[VG_AUTH_GENPW_LEN + 1];
	int created = -1;
	assert_int_equal(vg_auth_ensure_admin(a, name, pw, &created, &e), 0);
	assert_int_equal(created, 1);
	assert_string_equal(name, "admin");
	assert_int_equal(strlen(pw), VG_AUTH_GENPW_LEN);
	vg_auth_session s;
	assert_int_equal(vg_auth_login(a, "admin", pw, &s, &e), 0);
	assert_int_equal(s.role, VG_ROLE_ADMIN);
	/* Once there is one, nothing happens and nothing is shown. */
	assert_int_equal(vg_auth_ensure_admin(a, name, pw, &created, &e), 0);
	assert_int_equal(created, 0);
	assert_string_equal(pw, "");
	assert_string_equal(name, "");
	/* The only admin disabled (through SQL: the API refuses): a new one,
	 * under a free name. */
	sql1("UPDATE users SET disabled = 1 WHERE name = 'admin'");
	add(a, "admin2", VG_ROLE_ANALYST);
	assert_int_equal(vg_auth_ensure_admin(a, name, pw, &created, &e), 0);
	assert_int_equal(created, 1);
	assert_string_equal(name, "admin3");
	assert_int_equal(vg_auth_login(a, "admin3", pw, &s, &e), 0);
	assert_int_equal(sql1("SELECT count(*) FROM users"), 3);
	vg_auth_close(a);
}

/* Two processes racing to create the first admin make one. */
typedef struct race_arg {
	int created;
	int rc;
} race_arg;

static void *race_admin(void *p)
{
	race_arg *r = p;
	vg_auth *a = open_fast(NULL);
	char name[VG_AUTH_NAME_MAX + 1], pw[VG_AUTH_GENPW_LEN + 1];
	r->rc = vg_auth_ensure_admin(a, name, pw, &r->created, NULL);
	vg_auth_close(a);
	return NULL;
}

static void test_ensure_admin_race(void **st)
{
	(void)st;
	vg_auth_close(open_fast(NULL));
	pthread_t th[4];
	race_arg r[4] = {{0, 0}};
	for (int k = 0; k < 4; k++)
		pthread_create(&th[k], NULL, race_admin, &r[k]);
	int made = 0;
	for (int k = 0; k < 4; k++) {
		pthread_join(th[k], NULL);
		assert_int_equal(r[k].rc, 0);
		made += r[k].created;
	}
	assert_int_equal(made, 1);
	assert_int_equal(sql1("SELECT count(*) FROM users"), 1);
}

/* ---- Sharing ---- */

static void test_two_handles(void **st)
{
	(void)st;
	vg_auth *a = open_fast(NULL), *b = open_fast(NULL);
	vg_err e = {0};
	add(b, "ann", VG_ROLE_ADMIN);
	vg_auth_session s, c;
	assert_int_equal(vg_auth_login(a, "ann", PW, &s, &e), 0);
	assert_int_equal(vg_auth_session_check(b, s.cookie, &c, &e), 0);
	char t[VG_AUTH_TOKEN_LEN + 1];
	assert_int_equal(vg_auth_token_create(a, VG_ROLE_INGEST, "x", NULL, t, &e), 0);
	assert_int_equal(vg_auth_token_check(a, t, NULL, &e), 0);
	assert_int_equal(vg_auth_token_check(b, t, NULL, &e), 0);
	/* Revoked through the other handle (as by the offline CLI while the
	 * server runs): the next check fails. */
	assert_int_equal(vg_auth_token_revoke(b, t, &e), 0);
	assert_int_equal(vg_auth_token_check(a, t, NULL, &e), VG_ENOTFOUND);
	assert_int_equal(vg_auth_logout(b, s.cookie, &e), 0);
	assert_int_equal(vg_auth_session_check(a, s.cookie, &c, &e), VG_ENOTFOUND);
	vg_auth_close(a);
	vg_auth_close(b);
}

typedef struct stress_arg {
	vg_auth *a;
	const char *token;
	int fails;
	int creates;              /* create tokens instead of checking */
} stress_arg;

static void *stress(void *p)
{
	stress_arg *s = p;
	for (int k = 0; k < 150; k++) {
		vg_err e = {0};
		char t[VG_AUTH_TOKEN_LEN + 1];
		int rc = s->creates ? vg_auth_token_create(s->a, VG_ROLE_INGEST, "s", NULL, t, &e)
				    : vg_auth_token_check(s->a, s->token, NULL, &e);
		if (rc) {
			fprintf(stderr, "stress: %s\n", e.msg);
			s->fails++;
		}
	}
	return NULL;
}

static void test_threads(void **st)
{
	(void)st;
	/* Three threads on a shared handle and one writing through a second
	 * handle (another connection, as another process would be). */
	vg_auth *a = open_fast(NULL), *b = open_fast(NULL);
	vg_err e = {0};
	char t[VG_AUTH_TOKEN_LEN + 1];
	assert_int_equal(vg_auth_token_create(a, VG_ROLE_INGEST, "x", NULL, t, &e), 0);
	stress_arg args[4] = {{a, t, 0, 0}, {a, t, 0, 0}, {a, t, 0, 1}, {b, t, 0, 1}};
	pthread_t th[4];
	for (int k = 0; k < 4; k++)
		pthread_create(&th[k], NULL, stress, &args[k]);
	for (int k = 0; k < 4; k++) {
		pthread_join(th[k], NULL);
		assert_int_equal(args[k].fails, 0);
	}
	assert_int_equal(sql1("SELECT count(*) FROM tokens"), 301);
	vg_auth_close(a);
	vg_auth_close(b);
}

/* What a check costs: it runs on every request. Reported, and bounded
 * loosely so a regression to, say, a password hash per request fails. */
static void test_check_cost(void **st)
{
	(void)st;
	vg_auth *a = open_fast(NULL);
	vg_err e = {0};
	add(a, "ann", VG_ROLE_ANALYST);
	char t[VG_AUTH_TOKEN_LEN + 1];
	assert_int_equal(vg_auth_token_create(a, VG_ROLE_INGEST, "x", NULL, t, &e), 0);
	vg_auth_session s, c;
	assert_int_equal(vg_auth_login(a, "ann", PW, &s, &e), 0);
	struct timespec t0, t1, t2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int k = 0; k < 2000; k++)
		assert_int_equal(vg_auth_token_check(a, t, NULL, &e), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (int k = 0; k < 2000; k++)
		assert_int_equal(vg_auth_session_check(a, s.cookie, &c, &e), 0);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	double tok = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 2000;
	double ses = ((double)(t2.tv_sec - t1.tv_sec) * 1e9 + (double)(t2.tv_nsec - t1.tv_nsec)) / 2000;
	printf("token check %.1f us, session check %.1f us\n", tok / 1e3, ses / 1e3);
	assert_true(tok < 1e6 && ses < 1e6);
	vg_auth_close(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_creates_private_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_settings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_refuses, setup, teardown),
		cmocka_unit_test(test_role_matrix),
		cmocka_unit_test(test_role_names),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_password_policy),
		cmocka_unit_test(test_gen_password),
		cmocka_unit_test_setup_teardown(test_users, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_list_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_timing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_check_logout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_passwd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rehash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csrf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_cookie, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cookie_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ensure_admin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ensure_admin_race, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_handles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_cost, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
