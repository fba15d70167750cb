/*
 * login_limit.h — how many failed logins a user name and a client address
 * may have before the login stops trying passwords for them.
 *
 * After VG_LOGIN_USER_FAILS failures for a name (5: room for a few typos;
 * a guesser gets 5 tries, then one a minute), or VG_LOGIN_ADDR_FAILS from
 * an address (20: one client trying many names; higher because an address
 * can be a NAT in front of a whole office), a login is refused for
 * VG_LOGIN_LOCK_S seconds after the last failure, without looking at the
 * password (a refused guess costs no Argon2id either). Once past the
 * threshold every new failure locks again. A success forgets the name's
 * and the address's failures; failures are forgotten VG_LOGIN_FORGET_S
 * after the last one. The table is bounded (VG_LOGIN_KEYS entries; the
 * entry with the oldest failure makes room) and lives in memory: a restart
 * forgets it, and a guesser cannot cause one.
 *
 * Times are the caller's, in seconds of a monotonic clock, so that tests
 * can drive them. Thread-safe.
 */
#ifndef VG_LOGIN_LIMIT_H
#define VG_LOGIN_LIMIT_H

#include <stdint.h>

#define VG_LOGIN_USER_FAILS 5
#define VG_LOGIN_ADDR_FAILS 20
#define VG_LOGIN_LOCK_S 60
#define VG_LOGIN_FORGET_S (15 * 60)
#define VG_LOGIN_KEYS 1024

typedef struct vg_login_limit vg_login_limit;

vg_login_limit *vg_login_limit_new(void);
void vg_login_limit_free(vg_login_limit *L);

/* Seconds a login of `user` from `addr` is refused at time now (0: try
 * the password): the longer lock of the two. *by_user says whether the
 * user name is locked (1) or only the address (0). */
unsigned vg_login_refused(vg_login_limit *L, const char *user, const char *addr, int64_t now,
			  int *by_user);

/* Record the outcome of a password tried at time now. */
void vg_login_failed(vg_login_limit *L, const char *user, const char *addr, int64_t now);
void vg_login_succeeded(vg_login_limit *L, const char *user, const char *addr, int64_t now);

#endif
