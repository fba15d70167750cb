/*
 * auth_int.h — what the two halves of the auth store share.
 *
 *   auth.c       opening auth.db and its schema, roles and the matrix,
 *                users, the password policy, the first admin
 *   auth_cred.c  credentials presented with requests: login sessions,
 *                CSRF tokens, cookies and API tokens
 *
 * Locking rule: every function that touches a->db (or the statements
 * prepared on it) runs between pthread_mutex_lock(&a->mu) and unlock, and
 * never calls Argon2id while holding it. Writes are wrapped in
 * vg_auth_begin / vg_auth_end (BEGIN IMMEDIATE, so another process's
 * writer makes us wait through the busy timeout instead of failing).
 */
#ifndef VG_SERVER_AUTH_INT_H
#define VG_SERVER_AUTH_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>

#include "server/auth.h"

#define AUTH_SCHEMA_VERSION 1
#define AUTH_BUSY_MS 5000       /* how long to wait for another process's write */
#define AUTH_TOUCH_SECS 60      /* last_seen / last_used are recorded this coarsely */
#define AUTH_HASH_LEN 32        /* BLAKE2b-256 of a token or session cookie */
#define AUTH_SECRET_LEN 32      /* random bytes in a token, cookie or CSRF token */

struct vg_auth {
	pthread_mutex_t mu;         /* guards db and the statements below */
	sqlite3 *db;
	vg_auth_opts o;             /* defaults filled in; read-only after open */
	sqlite3_stmt *tok_get;      /* the token row by id (auth_cred.c) */
	sqlite3_stmt *sess_get;     /* the session row by id hash (auth_cred.c) */
	char path[4200];            /* <dir>/auth.db, for messages */
};

/* The current time (seconds) by the handle's clock. */
int64_t vg_auth_now(const vg_auth *a);

/* Turn an SQLite result code into a VG_E* with a message naming what was
 * being done. */
int vg_auth_dberr(vg_auth *a, int rc, const char *what, vg_err *err);

/* Prepare sql and bind its parameters ?1, ?2 ... from the arguments as
 * `binds` spells them: 't' const char * (NULL binds NULL), 'i' int64_t,
 * 'b' const void * then size_t (a blob). The caller steps and finalizes
 * *st. */
int vg_auth_query(vg_auth *a, sqlite3_stmt **st, vg_err *err, const char *sql,
		  const char *binds, ...);
/* Run a statement that returns no rows, binding as vg_auth_query: the
 * number of rows it changed (>= 0), or a negative VG_E*. */
int vg_auth_exec(vg_auth *a, vg_err *err, const char *sql, const char *binds, ...);
int vg_auth_execv(vg_auth *a, vg_err *err, const char *sql, const char *binds, va_list ap);
/* Bind parameters to a prepared statement as vg_auth_query does. */
int vg_auth_bindv(sqlite3_stmt *st, const char *binds, va_list ap);

/* BEGIN IMMEDIATE. */
int vg_auth_begin(vg_auth *a, vg_err *err);
/* End the transaction begun by vg_auth_begin: commit when rc is 0, roll
 * back otherwise. Returns rc, or the commit's error. */
int vg_auth_end(vg_auth *a, int rc, vg_err *err);

/* A role read back from the database; VG_ECORRUPT for an unknown name. */
int vg_auth_role_col(vg_auth *a, sqlite3_stmt *st, int col, vg_role *out, vg_err *err);
/* Copy text column col into out (cap bytes, always terminated). */
void vg_auth_text_col(sqlite3_stmt *st, int col, char *out, size_t cap);

/* n random bytes as 2n lowercase hex digits and a NUL, into out. */
void vg_auth_random_hex(char *out, size_t n);
/* 1 when s[0..n) is all lowercase hex digits. */
int vg_auth_is_hex(const char *s, size_t n);

#endif
