/*
 * login_limit.c — failed logins by user name and client address (see
 * login_limit.h). A flat array searched linearly: at most VG_LOGIN_KEYS
 * short keys, touched once per login attempt.
 */
#include "server/login_limit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/auth.h"
#include "util/mem.h"

typedef struct login_key {
	char key[VG_AUTH_NAME_MAX + 8];  /* "u:NAME" or "a:ADDRESS" */
	unsigned fails;
	int64_t last_s;                   /* the last failure */
} login_key;

struct vg_login_limit {
	pthread_mutex_t mu;
	login_key k[VG_LOGIN_KEYS];
	size_t n;
};

vg_login_limit *vg_login_limit_new(void)
{
	vg_login_limit *L = vg_xcalloc(1, sizeof *L);
	pthread_mutex_init(&L->mu, NULL);
	return L;
}

void vg_login_limit_free(vg_login_limit *L)
{
	if (L == NULL)
		return;
	pthread_mutex_destroy(&L->mu);
	free(L);
}

/* The keys of a user name and an address; names are cut at
 * VG_AUTH_NAME_MAX, as no account can have a longer one. */
static void keys_of(const char *user, const char *addr, char ku[VG_AUTH_NAME_MAX + 8],
		    char ka[VG_AUTH_NAME_MAX + 8])
{
	snprintf(ku, VG_AUTH_NAME_MAX + 8, "u:%.*s", VG_AUTH_NAME_MAX, user);
	snprintf(ka, VG_AUTH_NAME_MAX + 8, "a:%.*s", VG_AUTH_NAME_MAX, addr);
}

/* The entry for key, or NULL; forgets stale entries it passes. */
static login_key *find(vg_login_limit *L, const char *key, int64_t now)
{
	for (size_t i = 0; i < L->n;) {
		if (now - L->k[i].last_s > VG_LOGIN_FORGET_S) {
			L->k[i] = L->k[--L->n];
			continue;
		}
		if (strcmp(L->k[i].key, key) == 0)
			return &L->k[i];
		i++;
	}
	return NULL;
}

/* Seconds key stays locked (0: not locked) with `allowed` free failures. */
static unsigned locked(vg_login_limit *L, const char *key, unsigned allowed, int64_t now)
{
	login_key *e = find(L, key, now);
	if (e == NULL || e->fails < allowed || now - e->last_s >= VG_LOGIN_LOCK_S)
		return 0;
	return (unsigned)(VG_LOGIN_LOCK_S - (now - e->last_s));
}

static void failed(vg_login_limit *L, const char *key, int64_t now)
{
	login_key *e = find(L, key, now);
	if (e == NULL) {
		if (L->n == VG_LOGIN_KEYS) {
			size_t old = 0;
			for (size_t i = 1; i < L->n; i++)
				if (L->k[i].last_s < L->k[old].last_s)
					old = i;
			L->k[old] = L->k[--L->n];
		}
		e = &L->k[L->n++];
		memset(e, 0, sizeof *e);
		snprintf(e->key, sizeof e->key, "%s", key);
	}
	e->fails++;
	e->last_s = now;
}

static void forget(vg_login_limit *L, const char *key, int64_t now)
{
	login_key *e = find(L, key, now);
	if (e)
		*e = L->k[--L->n];
}

unsigned vg_login_refused(vg_login_limit *L, const char *user, const char *addr, int64_t now,
			  int *by_user)
{
	char ku[VG_AUTH_NAME_MAX + 8], ka[VG_AUTH_NAME_MAX + 8];
	keys_of(user, addr, ku, ka);
	pthread_mutex_lock(&L->mu);
	unsigned lu = locked(L, ku, VG_LOGIN_USER_FAILS, now);
	unsigned la = locked(L, ka, VG_LOGIN_ADDR_FAILS, now);
	pthread_mutex_unlock(&L->mu);
	*by_user = lu != 0;
	return lu > la ? lu : la;
}

/* Apply fn to the keys of user and addr, under the lock. */
static void both_keys(vg_login_limit *L, const char *user, const char *addr, int64_t now,
		      void (*fn)(vg_login_limit *, const char *, int64_t))
{
	char ku[VG_AUTH_NAME_MAX + 8], ka[VG_AUTH_NAME_MAX + 8];
	keys_of(user, addr, ku, ka);
	pthread_mutex_lock(&L->mu);
	fn(L, ku, now);
	fn(L, ka, now);
	pthread_mutex_unlock(&L->mu);
}

void vg_login_failed(vg_login_limit *L, const char *user, const char *addr, int64_t now)
{
	both_keys(L, user, addr, now, failed);
}

void vg_login_succeeded(vg_login_limit *L, const char *user, const char *addr, int64_t now)
{
	both_keys(L, user, addr, now, forget);
}
