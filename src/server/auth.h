/*
 * auth.h — who may use a vigil server: users, roles, login sessions and API
 * tokens, kept in <data dir>/auth.db.
 *
 * Roles. A user or token has one role, and each role does what its name
 * says (vg_auth_allows is the whole matrix):
 *
 *     action               admin  analyst  ingest
 *     INGEST                 x               x      send events (every ingest endpoint)
 *     SEARCH                 x       x              queries, tail, events, histograms
 *     READ_CONFIG            x       x              inventory, history, diffs, compliance,
 *                                                   alert rules and firings, settings
 *                                                   (secrets redacted)
 *     METRICS                x       x              /metrics, server status
 *     OWN_PASSWORD           x       x              change one's own password
 *     ADMIN_SETTINGS         x                      change settings, rules, retention
 *     ADMIN_USERS            x                      add, delete, change users
 *     ADMIN_TOKENS           x                      create, list, revoke API tokens
 *
 * An analyst reads everything but changes nothing and cannot write events
 * (forged events would defeat the point of a log store); an ingest
 * credential can only write events, so a token leaked from a log shipper's
 * configuration reads nothing.
 *
 * Secrets. Passwords are hashed with Argon2id (crypto_pwhash_str): they are
 * chosen by people, so a stolen auth.db must make each guess expensive.
 * Tokens and session ids are 32 random bytes (256 bits) and are stored as
 * their BLAKE2b-256 hash: nobody can search a 2^256 space, so a slow hash
 * would add cost to every request and no safety. The hashes are compared
 * with sodium_memcmp (constant time); the store finds a token's row by its
 * public id and a session's row by the hash itself, so lookup timing says
 * nothing about the secret.
 *
 * Credential formats, self-describing so that a leaked one is easy to find
 * (grep, GitHub secret scanning, gitleaks) and to tell apart:
 *
 *     API token        vgt_<id: 16 hex>_<secret: 64 hex>     85 chars
 *     session cookie   vgs_<secret: 64 hex>                  68 chars
 *
 * Lowercase hex only: no '-' or '_' inside the random parts, so one regex
 * (vgt_[0-9a-f]{16}_[0-9a-f]{64}) finds every token and a double-click
 * selects a whole one. The token id is not secret: `vigil token list` shows
 * it and `vigil token revoke ID` takes it. The token is shown once, at
 * creation; only its hash is kept.
 *
 * Sessions. Login returns the cookie value (set it HttpOnly, SameSite=Lax,
 * Secure under TLS: vg_auth_set_cookie) and a per-session CSRF token the web
 * page sends back in the X-CSRF-Token header on every state-changing
 * request (vg_auth_needs_csrf, vg_auth_csrf_ok). Requests carrying an API
 * token need no CSRF token: a browser never attaches one by itself. The
 * login request itself has no session yet: the server should refuse a
 * login POST whose Origin is another site (login CSRF). A
 * session ends at logout, after `session_idle` seconds without use, after
 * `session_max` seconds in any case, when its user's password changes, or
 * when the user is disabled or deleted. Deleting a user also revokes the
 * tokens it owns.
 *
 * Errors. Functions return 0 or a negative VG_E* with err filled:
 * VG_EINVAL for input that breaks a rule (user name, password policy,
 * malformed credential), VG_ENOTFOUND for a credential that does not verify
 * (unknown, wrong, revoked, expired: the server answers 401 to both), and
 * VG_EIO, VG_EBUSY or VG_ECORRUPT when auth.db cannot be used (500). The
 * messages are for the server's log and the CLI; a login failure says
 * "wrong user name or password" whether the user exists or not.
 *
 * Concurrency. One vg_auth is one SQLite connection behind a mutex: any
 * number of threads may share it. Argon2id runs outside the mutex, so a
 * login never stalls other threads' token checks. Several processes (the
 * server and an offline `vigil user` command) may open the same auth.db:
 * WAL journal, synchronous=FULL, a busy timeout, every write in a BEGIN
 * IMMEDIATE transaction. Credential checks read the row on every call (a
 * prepared primary-key probe, a few microseconds) instead of caching, so a
 * revocation by another process counts from the next request.
 */
#ifndef VG_AUTH_H
#define VG_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define VG_AUTH_NAME_MAX 64          /* user names: [a-z0-9][a-z0-9._@-]* */
#define VG_AUTH_TOKEN_NAME_MAX 128   /* token descriptions: printable ASCII */
#define VG_AUTH_PASSWORD_MIN 12      /* characters (UTF-8 code points) */
#define VG_AUTH_PASSWORD_MAX 1024    /* bytes */
#define VG_AUTH_TOKEN_ID_LEN 16
#define VG_AUTH_TOKEN_LEN 85         /* "vgt_" id "_" secret */
#define VG_AUTH_COOKIE_LEN 68        /* "vgs_" secret */
#define VG_AUTH_CSRF_LEN 64
#define VG_AUTH_GENPW_LEN 22         /* generated passwords: 22 of 57 symbols, 128 bits */
#define VG_AUTH_COOKIE_NAME "vigil_session"
#define VG_AUTH_CSRF_HEADER "X-CSRF-Token"

typedef enum vg_role {
	VG_ROLE_NONE = 0,   /* no role: allowed nothing */
	VG_ROLE_ADMIN,
	VG_ROLE_ANALYST,
	VG_ROLE_INGEST,
} vg_role;

typedef enum vg_action {
	VG_ACT_INGEST,
	VG_ACT_SEARCH,
	VG_ACT_READ_CONFIG,
	VG_ACT_METRICS,
	VG_ACT_OWN_PASSWORD,
	VG_ACT_ADMIN_SETTINGS,
	VG_ACT_ADMIN_USERS,
	VG_ACT_ADMIN_TOKENS,
	VG_ACT_COUNT
} vg_action;

/* 1 when role may do action (the matrix above), else 0; any value outside
 * the enums is allowed nothing. Pure. */
int vg_auth_allows(vg_role role, vg_action action);
/* "admin", "analyst", "ingest", or "none" for anything else. */
const char *vg_role_name(vg_role role);
/* The role named s (exactly as vg_role_name spells it): 0, or VG_EINVAL. */
int vg_role_parse(const char *s, vg_role *out, vg_err *err);
/* "ingest", "search" ... for logs; "?" outside the enum. */
const char *vg_action_name(vg_action action);

typedef struct vg_auth_opts {
	/* Argon2id cost of new password hashes; 0 means libsodium's
	 * "interactive" limits (the default). Tests set crypto_pwhash's
	 * minimums; never do that for a real store. Verifying uses the cost
	 * stored in each hash, and a login rehashes a password whose hash
	 * used other limits than these. */
	unsigned long long opslimit;
	size_t memlimit;
	int64_t session_idle;     /* seconds; 0: 3600 */
	int64_t session_max;      /* seconds; 0: 43200 (12 h) */
	int no_create;            /* fail with VG_ENOTFOUND when auth.db is missing */
	/* The current time in seconds since the epoch; NULL: the wall clock.
	 * For tests of expiry. */
	int64_t (*clock)(void *arg);
	void *clock_arg;
} vg_auth_opts;

void vg_auth_defaults(vg_auth_opts *o);

typedef struct vg_auth vg_auth;

/* Open <dir>/auth.db, creating dir (one level) and the database (mode
 * 0600) unless o->no_create, and the schema if it is new. o may be NULL
 * for the defaults. *out is the caller's, to release with vg_auth_close. */
int vg_auth_open(const char *dir, const vg_auth_opts *o, vg_auth **out, vg_err *err);
/* Release a handle (NULL is fine). No call may be running on it. */
void vg_auth_close(vg_auth *a);

/* ---- Users ---- */

typedef struct vg_auth_user_info {
	char name[VG_AUTH_NAME_MAX + 1];
	vg_role role;
	int64_t created;          /* seconds since the epoch */
	int disabled;
} vg_auth_user_info;

/* The rules, without touching the store: 0, or VG_EINVAL with a message
 * saying what to change. */
int vg_auth_check_name(const char *name, vg_err *err);
int vg_auth_check_password(const char *password, vg_err *err);
/* A random password of VG_AUTH_GENPW_LEN characters, NUL-terminated, in
 * the caller's buffer. */
void vg_auth_gen_password(char out[VG_AUTH_GENPW_LEN + 1]);

/* Add a user. VG_EINVAL when the name, role or password breaks a rule or
 * the name is taken. Borrows its arguments. */
int vg_auth_user_add(vg_auth *a, const char *name, vg_role role, const char *password,
		     vg_err *err);
/* Delete a user, its sessions, and revoke its tokens. Refuses (VG_EINVAL)
 * to delete the last enabled admin; VG_ENOTFOUND when there is no such user. */
int vg_auth_user_del(vg_auth *a, const char *name, vg_err *err);
/* Set a new password and end the user's sessions. */
int vg_auth_user_passwd(vg_auth *a, const char *name, const char *password, vg_err *err);
/* Disable (1) or enable (0) a user: a disabled user cannot log in, its
 * sessions end and its tokens stop working until it is enabled again. The
 * last enabled admin cannot be disabled. */
int vg_auth_user_disable(vg_auth *a, const char *name, int disabled, vg_err *err);
/* Every user, ordered by name, in *out (the caller frees it with free();
 * NULL when there are none) and their number in *n. */
int vg_auth_user_list(vg_auth *a, vg_auth_user_info **out, size_t *n, vg_err *err);

/* Make sure the store has an enabled admin. When it has, *created is 0.
 * Otherwise an admin named "admin" (or "admin2", ... when that name is
 * taken) is created with a generated password, which is written to
 * password — the only time anyone sees it — with its name in name, and
 * *created is 1. Safe against a concurrent call from another process. */
int vg_auth_ensure_admin(vg_auth *a, char name[VG_AUTH_NAME_MAX + 1],
			 char password[VG_AUTH_GENPW_LEN + 1], int *created, vg_err *err);

/* ---- Sessions ---- */

typedef struct vg_auth_session {
	char cookie[VG_AUTH_COOKIE_LEN + 1];  /* set by vg_auth_login only */
	char csrf[VG_AUTH_CSRF_LEN + 1];
	char user[VG_AUTH_NAME_MAX + 1];
	vg_role role;
	int64_t created;
	int64_t expires;          /* absolute end, seconds since the epoch */
} vg_auth_session;

/* Check a password and start a session: fills *s (cookie, CSRF token,
 * user, role, expiry). A wrong password, an unknown or disabled user all
 * give VG_ENOTFOUND "wrong user name or password" after the same Argon2id
 * work. Expired sessions are purged here, and a user keeps at most 64. */
int vg_auth_login(vg_auth *a, const char *user, const char *password, vg_auth_session *s,
		  vg_err *err);
/* The session a cookie value names: fills *s (s->cookie is left empty).
 * VG_EINVAL for a malformed value, VG_ENOTFOUND for an unknown, ended or
 * expired one. Counts as use for the idle timeout (recorded at most once a
 * minute). */
int vg_auth_session_check(vg_auth *a, const char *cookie, vg_auth_session *s, vg_err *err);
/* End the session a cookie value names. Ending an unknown one is VG_ENOTFOUND. */
int vg_auth_logout(vg_auth *a, const char *cookie, vg_err *err);

/* 1 when a request with this HTTP method changes state and so needs the
 * CSRF header: anything but GET, HEAD and OPTIONS. */
int vg_auth_needs_csrf(const char *method);
/* Compare the X-CSRF-Token header's value (NULL when absent) with the
 * session's, in constant time: 0, or VG_ENOTFOUND with a message. */
int vg_auth_csrf_ok(const vg_auth_session *s, const char *header, vg_err *err);
/* Format a Set-Cookie header value into out (n bytes, 256 are enough):
 * the session cookie with HttpOnly, SameSite=Lax, Path=/, Max-Age until
 * it expires at `now`, and Secure when secure is set. s == NULL formats
 * the deletion cookie for a logout. Returns the length, or -1 when out is
 * too small. */
int vg_auth_set_cookie(const vg_auth_session *s, int64_t now, int secure, char *out, size_t n);

/* ---- API tokens ---- */

typedef struct vg_auth_token_info {
	char id[VG_AUTH_TOKEN_ID_LEN + 1];
	char name[VG_AUTH_TOKEN_NAME_MAX + 1];
	vg_role role;
	char owner[VG_AUTH_NAME_MAX + 1];     /* "" when none */
	int64_t created;
	int64_t last_used;        /* 0: never (recorded at most once a minute) */
	int64_t revoked;          /* 0: active, else when it was revoked */
} vg_auth_token_info;

/* Create a token with a role, a description (may be NULL or "") and an
 * owner (NULL or "" for none; else an existing user). The token string is
 * written to token — the only time it exists outside the caller — and its
 * id is token[4..20). */
int vg_auth_token_create(vg_auth *a, vg_role role, const char *name, const char *owner,
			 char token[VG_AUTH_TOKEN_LEN + 1], vg_err *err);
/* Every token, revoked ones included, oldest first; free *out with free(). */
int vg_auth_token_list(vg_auth *a, vg_auth_token_info **out, size_t *n, vg_err *err);
/* Revoke the token with this id (or this whole token string). VG_ENOTFOUND
 * when there is none, VG_EINVAL when it is already revoked. */
int vg_auth_token_revoke(vg_auth *a, const char *id, vg_err *err);
/* Verify a presented token: 0 and *info filled (info may be NULL), or
 * VG_EINVAL for a string that is not a token at all, VG_ENOTFOUND for an
 * unknown, wrong, revoked one or one whose owner is disabled. */
int vg_auth_token_check(vg_auth *a, const char *token, vg_auth_token_info *info, vg_err *err);

#endif
