/* test_login_limit.c — failed logins by user name and address: the
 * thresholds, the lock's length, forgetting on success and with time,
 * and the bounded table making room for new guessers. Time is driven by
 * hand (seconds). */
#include "testutil.h"

#include <stdio.h>

#include "server/login_limit.h"

/* Fail n logins of user from addr at time t. */
static void fail_n(vg_login_limit *L, const char *user, const char *addr, int n, int64_t t)
{
	for (int i = 0; i < n; i++)
		vg_login_failed(L, user, addr, t);
}

static void test_user_threshold(void **st)
{
	(void)st;
	vg_login_limit *L = vg_login_limit_new();
	int by_user = -1;
	fail_n(L, "alice", "10.0.0.1", VG_LOGIN_USER_FAILS - 1, 1000);
	assert_int_equal(vg_login_refused(L, "alice", "10.0.0.1", 1000, &by_user), 0);
	vg_login_failed(L, "alice", "10.0.0.1", 1000);
	/* locked for the user, from any address, for LOCK_S after the last failure */
	assert_int_equal(vg_login_refused(L, "alice", "10.9.9.9", 1000, &by_user), VG_LOGIN_LOCK_S);
	assert_int_equal(by_user, 1);
	assert_int_equal(vg_login_refused(L, "alice", "10.0.0.1", 1010, &by_user),
			 VG_LOGIN_LOCK_S - 10);
	/* another user from the same address is not locked (5 < 20) */
	assert_int_equal(vg_login_refused(L, "bob", "10.0.0.1", 1010, &by_user), 0);
	/* the lock ends; the next failure locks again at once */
	assert_int_equal(vg_login_refused(L, "alice", "10.0.0.1", 1000 + VG_LOGIN_LOCK_S, &by_user), 0);
	vg_login_failed(L, "alice", "10.0.0.1", 1100);
	assert_int_equal(vg_login_refused(L, "alice", "10.0.0.1", 1100, &by_user), VG_LOGIN_LOCK_S);
	vg_login_limit_free(L);
}

static void test_address_threshold(void **st)
{
	(void)st;
	vg_login_limit *L = vg_login_limit_new();
	int by_user = -1;
	char name[32];
	for (int i = 0; i < VG_LOGIN_ADDR_FAILS - 1; i++) {
		snprintf(name, sizeof name, "user%d", i);
		vg_login_failed(L, name, "192.0.2.7", 50);
	}
	assert_int_equal(vg_login_refused(L, "someone", "192.0.2.7", 50, &by_user), 0);
	vg_login_failed(L, "last", "192.0.2.7", 50);
	assert_int_equal(vg_login_refused(L, "someone", "192.0.2.7", 51, &by_user), VG_LOGIN_LOCK_S - 1);
	assert_int_equal(by_user, 0);
	/* other addresses go on */
	assert_int_equal(vg_login_refused(L, "someone", "192.0.2.8", 51, &by_user), 0);
	vg_login_limit_free(L);
}

static void test_success_forgets(void **st)
{
	(void)st;
	vg_login_limit *L = vg_login_limit_new();
	int by_user;
	fail_n(L, "carol", "10.0.0.2", VG_LOGIN_USER_FAILS - 1, 10);
	vg_login_succeeded(L, "carol", "10.0.0.2", 11);
	/* the count starts afresh: four more failures do not lock */
	fail_n(L, "carol", "10.0.0.2", VG_LOGIN_USER_FAILS - 1, 12);
	assert_int_equal(vg_login_refused(L, "carol", "10.0.0.2", 12, &by_user), 0);
	vg_login_failed(L, "carol", "10.0.0.2", 12);
	assert_true(vg_login_refused(L, "carol", "10.0.0.2", 12, &by_user) > 0);
	vg_login_limit_free(L);
}

static void test_forgotten_with_time(void **st)
{
	(void)st;
	vg_login_limit *L = vg_login_limit_new();
	int by_user;
	fail_n(L, "dave", "10.0.0.3", VG_LOGIN_USER_FAILS - 1, 100);
	/* still remembered at FORGET_S: one more failure locks */
	vg_login_failed(L, "dave", "10.0.0.3", 100 + VG_LOGIN_FORGET_S);
	assert_true(vg_login_refused(L, "dave", "10.0.0.3", 100 + VG_LOGIN_FORGET_S, &by_user) > 0);
	/* FORGET_S after the last failure the slate is clean */
	int64_t later = 100 + 2 * VG_LOGIN_FORGET_S + 1;
	fail_n(L, "dave", "10.0.0.3", VG_LOGIN_USER_FAILS - 1, later);
	assert_int_equal(vg_login_refused(L, "dave", "10.0.0.3", later, &by_user), 0);
	vg_login_limit_free(L);
}

/* A full table drops the entry with the oldest failure; a locked user who
 * keeps failing stays locked however many other keys arrive. */
static void test_bounded_table(void **st)
{
	(void)st;
	vg_login_limit *L = vg_login_limit_new();
	int by_user;
	fail_n(L, "old", "10.1.0.1", VG_LOGIN_USER_FAILS, 100);
	assert_true(vg_login_refused(L, "old", "10.1.0.1", 100, &by_user) > 0);
	char name[32], addr[32];
	/* each failure below adds two keys (a name and an address) */
	for (int i = 0; i < VG_LOGIN_KEYS / 2 - 1; i++) {
		snprintf(name, sizeof name, "n%d", i);
		snprintf(addr, sizeof addr, "10.2.%d.%d", i / 256, i % 256);
		vg_login_failed(L, name, addr, 101);
	}
	/* the table is full now (2 + 1022 keys); "old" is still there */
	assert_true(vg_login_refused(L, "old", "10.1.0.1", 101, &by_user) > 0);
	/* two more keys push out the two oldest: "old"'s name and address */
	vg_login_failed(L, "newcomer", "10.3.0.1", 102);
	assert_int_equal(vg_login_refused(L, "old", "10.1.0.1", 102, &by_user), 0);
	/* the newcomers and the keys in between are all remembered */
	assert_int_equal(vg_login_refused(L, "n0", "10.2.0.0", 102, &by_user), 0);
	fail_n(L, "n0", "10.2.0.0", VG_LOGIN_USER_FAILS - 1, 103);
	assert_true(vg_login_refused(L, "n0", "10.2.0.0", 103, &by_user) > 0);
	fail_n(L, "newcomer", "10.3.0.1", VG_LOGIN_USER_FAILS - 1, 103);
	assert_true(vg_login_refused(L, "newcomer", "10.3.0.1", 103, &by_user) > 0);

	/* a guesser that keeps failing refreshes its entry and is not the
	 * one pushed out by a flood of others */
	vg_login_limit *M = vg_login_limit_new();
	for (int i = 0; i < 3 * VG_LOGIN_KEYS; i++) {
		snprintf(name, sizeof name, "f%d", i);
		snprintf(addr, sizeof addr, "10.4.%d.%d", i / 256, i % 256);
		vg_login_failed(M, name, addr, 200 + i);
		vg_login_failed(M, "target", "10.5.0.1", 200 + i);
	}
	assert_int_equal(vg_login_refused(M, "target", "10.5.0.1", 200 + 3 * VG_LOGIN_KEYS, &by_user),
			 VG_LOGIN_LOCK_S - 1);
	vg_login_limit_free(M);
	vg_login_limit_free(L);
}

/* Names longer than any account are cut, not overflowed. */
static void test_long_names(void **st)
{
	(void)st;
	vg_login_limit *L = vg_login_limit_new();
	char longname[1000];
	memset(longname, 'x', sizeof longname - 1);
	longname[sizeof longname - 1] = 0;
	int by_user;
	fail_n(L, longname, longname, VG_LOGIN_USER_FAILS, 5);
	assert_true(vg_login_refused(L, longname, "10.0.0.9", 5, &by_user) > 0);
	vg_login_limit_free(L);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user_threshold),
		cmocka_unit_test(test_address_threshold),
		cmocka_unit_test(test_success_forgets),
		cmocka_unit_test(test_forgotten_with_time),
		cmocka_unit_test(test_bounded_table),
		cmocka_unit_test(test_long_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
