/*
 * auth_cred.c — the credentials that come with requests: login sessions
 * (cookie plus CSRF token) and API tokens.
 *
 * Both are 32 random bytes written as lowercase hex behind a prefix
 * (auth.h has the formats and why). The store keeps only BLAKE2b-256 of
 * the whole string: a fast hash is right for 256-bit random secrets,
 * which no one can guess however cheap a guess is, while Argon2id is for
 * passwords people choose. A session row is found by that hash (its
 * primary key), so the lookup's timing depends on the hash, never on the
 * secret; a token row is found by its public id and the hashes are then
 * compared with sodium_memcmp.
 *
 * Checks run per request, so they use statements prepared at open and
 * write only when they must: last_seen / last_used are updated when they
 * are a minute old, which makes the idle timeout a minute coarse. Nothing
 * is cached between calls: a row revoked or deleted by another process
 * (the offline CLI) stops working at the next check.
 *
 * A string that is not shaped like a credential is rejected before any
 * lookup, by length (strnlen, so a huge header costs nothing), prefix and
 * alphabet.
 */
#include "server/auth_int.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

#define TOKEN_PREFIX "vgt_"
#define COOKIE_PREFIX "vgs_"
#define MAX_SESSIONS_PER_USER 64

static const char bad_login[] = "wrong user name or password";

/* 1 when s is "vgs_" and 64 lowercase hex digits. */
static int cookie_shaped(const char *s)
{
	return s != NULL && strnlen(s, VG_AUTH_COOKIE_LEN + 1) == VG_AUTH_COOKIE_LEN &&
	       memcmp(s, COOKIE_PREFIX, 4) == 0 && vg_auth_is_hex(s + 4, VG_AUTH_COOKIE_LEN - 4);
}

/* 1 when s is "vgt_", 16 lowercase hex digits, "_" and 64 more. */
static int token_shaped(const char *s)
{
	return s != NULL && strnlen(s, VG_AUTH_TOKEN_LEN + 1) == VG_AUTH_TOKEN_LEN &&
	       memcmp(s, TOKEN_PREFIX, 4) == 0 && vg_auth_is_hex(s + 4, VG_AUTH_TOKEN_ID_LEN) &&
	       s[4 + VG_AUTH_TOKEN_ID_LEN] == '_' &&
	       vg_auth_is_hex(s + 5 + VG_AUTH_TOKEN_ID_LEN, 2 * AUTH_SECRET_LEN);
}

/* BLAKE2b-256 of a credential string, as stored. */
static void cred_hash(const char *s, uint8_t out[AUTH_HASH_LEN])
{
	crypto_generichash(out, AUTH_HASH_LEN, (const unsigned char *)s, strlen(s), NULL, 0);
}

/* ---- Sessions ---- */

/* The user's Argon2id hash, role and disabled flag: 0, VG_ENOTFOUND. */
static int login_row(vg_auth *a, const char *user, char hash[crypto_pwhash_STRBYTES], vg_role *role,
		     int *disabled, vg_err *err)
{
	sqlite3_stmt *st;
	int rc = vg_auth_query(a, &st, err, "SELECT hash, role, disabled FROM users WHERE name = ?1",
			       "t", user);
	if (rc)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		vg_auth_text_col(st, 0, hash, crypto_pwhash_STRBYTES);
		rc = vg_auth_role_col(a, st, 1, role, err);
		*disabled = sqlite3_column_int(st, 2) != 0;
	} else if (rc == SQLITE_DONE) {
		rc = VG_ENOTFOUND;
	} else {
		rc = vg_auth_dberr(a, rc, "reading a user", err);
	}
	sqlite3_finalize(st);
	return rc;
}

/* Verify password against the user's stored hash, or, for an unknown
 * user, spend the same Argon2id work on a throwaway hash so that timing
 * does not tell which user names exist. 1 when it verifies. */
static int verify_password(const vg_auth *a, int known, const char *hash, const char *password)
{
	size_t n = strlen(password);
	if (known)
		return crypto_pwhash_str_verify(hash, password, n) == 0;
	/* Hashing costs what verifying does: both run Argon2id once with the
	 * same limits. Its result (even a failure) does not matter. */
	char dummy[crypto_pwhash_STRBYTES];
	int burnt = crypto_pwhash_str(dummy, password, n, a->o.opslimit, a->o.memlimit);
	(void)burnt;
	return 0;
}

/* The writes of a login, in their transaction: the user must still have
 * the hash that was verified and be enabled; expired sessions go, the
 * user's oldest go past the cap, the new one goes in, and an outdated
 * hash is replaced by rehash (when not NULL). */
static int login_tx(vg_auth *a, const vg_auth_session *s, const uint8_t id_hash[AUTH_HASH_LEN],
		    const char *verified, const char *rehash, int64_t now, vg_err *err)
{
	char hash[crypto_pwhash_STRBYTES];
	vg_role role;
	int disabled, rc = login_row(a, s->user, hash, &role, &disabled, err);
	if (rc == VG_ENOTFOUND || (rc == 0 && (disabled || strcmp(hash, verified) != 0)))
		rc = vg_seterr(err, VG_ENOTFOUND, -1, bad_login);
	if (rc == 0)
		rc = vg_auth_exec(a, err, "DELETE FROM sessions WHERE expires <= ?1 OR last_seen <= ?2",
				  "ii", now, now - a->o.session_idle);
	if (rc >= 0)
		rc = vg_auth_exec(a, err,
				  "DELETE FROM sessions WHERE user = ?1 AND id_hash NOT IN (SELECT"
				  " id_hash FROM sessions WHERE user = ?1 ORDER BY created DESC,"
				  " rowid DESC LIMIT ?2)",
				  "ti", s->user, (int64_t)(MAX_SESSIONS_PER_USER - 1));
	if (rc >= 0)
		rc = vg_auth_exec(a, err,
				  "INSERT INTO sessions (id_hash, user, csrf, created, expires, last_seen)"
				  " VALUES (?1, ?2, ?3, ?4, ?5, ?4)",
				  "bttii", id_hash, (size_t)AUTH_HASH_LEN, s->user, s->csrf, now,
				  s->expires);
	if (rc >= 0 && rehash)
		rc = vg_auth_exec(a, err, "UPDATE users SET hash = ?2 WHERE name = ?1", "tt", s->user,
				  rehash);
	sodium_memzero(hash, sizeof hash);
	return rc < 0 ? rc : 0;
}

/* A new hash of password when the stored one was made with other limits
 * than the handle's (into out, returning out), else NULL. */
static const char *maybe_rehash(const vg_auth *a, const char *stored, const char *password,
				char out[crypto_pwhash_STRBYTES])
{
	if (crypto_pwhash_str_needs_rehash(stored, a->o.opslimit, a->o.memlimit) == 0)
		return NULL;
	if (crypto_pwhash_str(out, password, strlen(password), a->o.opslimit, a->o.memlimit) != 0)
		return NULL; /* keep the old hash; it still verifies */
	return out;
}

/* vg_auth_login once the password has verified: make the session. */
static int start_session(vg_auth *a, vg_auth_session *s, const char *verified, const char *password,
			 vg_err *err)
{
	char fresh[crypto_pwhash_STRBYTES];
	const char *rehash = maybe_rehash(a, verified, password, fresh);
	int64_t now = vg_auth_now(a);
	memcpy(s->cookie, COOKIE_PREFIX, 4);
	vg_auth_random_hex(s->cookie + 4, AUTH_SECRET_LEN);
	vg_auth_random_hex(s->csrf, AUTH_SECRET_LEN);
	s->created = now;
	s->expires = now + a->o.session_max;
	uint8_t h[AUTH_HASH_LEN];
	cred_hash(s->cookie, h);
	pthread_mutex_lock(&a->mu);
	int rc = vg_auth_begin(a, err);
	if (rc == 0)
		rc = vg_auth_end(a, login_tx(a, s, h, verified, rehash, now, err), err);
	pthread_mutex_unlock(&a->mu);
	sodium_memzero(fresh, sizeof fresh);
	return rc;
}

int vg_auth_login(vg_auth *a, const char *user, const char *password, vg_auth_session *s,
		  vg_err *err)
{
	/* A name or password that breaks the public rules cannot match; saying
	 * so at once reveals nothing about the accounts. */
	int shaped = vg_auth_check_name(user, NULL) == 0 && password != NULL &&
		     strnlen(password, VG_AUTH_PASSWORD_MAX + 1) <= VG_AUTH_PASSWORD_MAX;
	char name[VG_AUTH_NAME_MAX + 1] = "";
	if (shaped)
		snprintf(name, sizeof name, "%s", user); /* user may be s->user */
	memset(s, 0, sizeof *s);
	if (!shaped)
		return vg_seterr(err, VG_ENOTFOUND, -1, bad_login);
	user = name;
	char hash[crypto_pwhash_STRBYTES] = "";
	int disabled = 1;
	pthread_mutex_lock(&a->mu);
	int rc = login_row(a, user, hash, &s->role, &disabled, err);
	pthread_mutex_unlock(&a->mu);
	if (rc != 0 && rc != VG_ENOTFOUND)
		return rc;
	int ok = verify_password(a, rc == 0, hash, password);
	if (!ok || disabled) {
		rc = vg_seterr(err, VG_ENOTFOUND, -1, bad_login);
	} else {
		snprintf(s->user, sizeof s->user, "%s", user);
		rc = start_session(a, s, hash, password, err);
	}
	sodium_memzero(hash, sizeof hash);
	if (rc)
		sodium_memzero(s, sizeof *s);
	return rc;
}

/* Read the session row of id hash h into *s, with its last_seen; the
 * caller holds the mutex. 0, VG_ENOTFOUND, or a store error. */
static int session_row(vg_auth *a, const uint8_t h[AUTH_HASH_LEN], vg_auth_session *s,
		       int64_t *last_seen, int *disabled, vg_err *err)
{
	sqlite3_stmt *st = a->sess_get;
	int rc = sqlite3_bind_blob(st, 1, h, AUTH_HASH_LEN, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		vg_auth_text_col(st, 0, s->user, sizeof s->user);
		vg_auth_text_col(st, 1, s->csrf, sizeof s->csrf);
		s->created = sqlite3_column_int64(st, 2);
		s->expires = sqlite3_column_int64(st, 3);
		*last_seen = sqlite3_column_int64(st, 4);
		rc = vg_auth_role_col(a, st, 5, &s->role, err);
		*disabled = sqlite3_column_int(st, 6) != 0;
	} else if (rc == SQLITE_DONE) {
		rc = vg_seterr(err, VG_ENOTFOUND, -1, "no such session (logged out, or ended)");
	} else {
		rc = vg_auth_dberr(a, rc, "reading a session", err);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

/* Run one write in its own transaction, binding as vg_auth_exec; the
 * caller holds the mutex. The number of rows changed, or an error. */
static int write1(vg_auth *a, vg_err *err, const char *sql, const char *binds, ...)
{
	int rc = vg_auth_begin(a, err);
	if (rc)
		return rc;
	va_list ap;
	va_start(ap, binds);
	int n = vg_auth_execv(a, err, sql, binds, ap);
	va_end(ap);
	rc = vg_auth_end(a, n < 0 ? n : 0, err);
	return rc ? rc : n;
}

/* The body of vg_auth_session_check with the mutex held. */
static int session_check_locked(vg_auth *a, const uint8_t h[AUTH_HASH_LEN], vg_auth_session *s,
				vg_err *err)
{
	int64_t last_seen = 0, now = vg_auth_now(a);
	int disabled = 0;
	int rc = session_row(a, h, s, &last_seen, &disabled, err);
	if (rc)
		return rc;
	if (now >= s->expires || now - last_seen >= a->o.session_idle) {
		(void)write1(a, NULL, "DELETE FROM sessions WHERE id_hash = ?1", "b", h,
			     (size_t)AUTH_HASH_LEN);
		return vg_seterr(err, VG_ENOTFOUND, -1, "the session has expired: log in again");
	}
	if (disabled)
		return vg_seterr(err, VG_ENOTFOUND, -1, "user '%s' is disabled", s->user);
	/* Recording use is best effort: failing to (another writer holding
	 * the database) only makes the idle timeout come a minute early. */
	if (now - last_seen >= AUTH_TOUCH_SECS)
		(void)write1(a, NULL, "UPDATE sessions SET last_seen = ?2 WHERE id_hash = ?1", "bi", h,
			     (size_t)AUTH_HASH_LEN, now);
	return 0;
}

int vg_auth_session_check(vg_auth *a, const char *cookie, vg_auth_session *s, vg_err *err)
{
	/* Hash first: cookie may point into *s (s->cookie), which is cleared. */
	int shaped = cookie_shaped(cookie);
	uint8_t h[AUTH_HASH_LEN];
	if (shaped)
		cred_hash(cookie, h);
	memset(s, 0, sizeof *s);
	if (!shaped)
		return vg_seterr(err, VG_EINVAL, -1, "malformed session cookie");
	pthread_mutex_lock(&a->mu);
	int rc = session_check_locked(a, h, s, err);
	pthread_mutex_unlock(&a->mu);
	if (rc)
		memset(s, 0, sizeof *s);
	return rc;
}

int vg_auth_logout(vg_auth *a, const char *cookie, vg_err *err)
{
	if (!cookie_shaped(cookie))
		return vg_seterr(err, VG_EINVAL, -1, "malformed session cookie");
	uint8_t h[AUTH_HASH_LEN];
	cred_hash(cookie, h);
	pthread_mutex_lock(&a->mu);
	int n = write1(a, err, "DELETE FROM sessions WHERE id_hash = ?1", "b", h, (size_t)AUTH_HASH_LEN);
	pthread_mutex_unlock(&a->mu);
	if (n == 0)
		return vg_seterr(err, VG_ENOTFOUND, -1, "no such session (already logged out?)");
	return n < 0 ? n : 0;
}

int vg_auth_needs_csrf(const char *method)
{
	/* Methods are case-sensitive (RFC 9110); an unknown spelling counts
	 * as state-changing, the safe side. */
	return method == NULL ||
	       (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
		strcmp(method, "OPTIONS") != 0);
}

int vg_auth_csrf_ok(const vg_auth_session *s, const char *header, vg_err *err)
{
	if (header == NULL || header[0] == 0)
		return vg_seterr(err, VG_ENOTFOUND, -1, "missing %s header", VG_AUTH_CSRF_HEADER);
	/* Both lengths are public (always 64): only the content is compared
	 * in constant time. */
	if (strnlen(s->csrf, sizeof s->csrf) != VG_AUTH_CSRF_LEN ||
	    strnlen(header, VG_AUTH_CSRF_LEN + 1) != VG_AUTH_CSRF_LEN ||
	    sodium_memcmp(s->csrf, header, VG_AUTH_CSRF_LEN) != 0)
		return vg_seterr(err, VG_ENOTFOUND, -1, "wrong %s header", VG_AUTH_CSRF_HEADER);
	return 0;
}

int vg_auth_set_cookie(const vg_auth_session *s, int64_t now, int secure, char *out, size_t n)
{
	/* SameSite=Lax, not Strict: a link to the dashboard in an alert mail
	 * must open it logged in. Lax still keeps the cookie off cross-site
	 * POSTs, and every state change needs the X-CSRF-Token header. */
	const char *attrs = secure ? "; Path=/; HttpOnly; SameSite=Lax; Secure"
				   : "; Path=/; HttpOnly; SameSite=Lax";
	int len;
	if (s == NULL) {
		len = snprintf(out, n, "%s=; Max-Age=0%s", VG_AUTH_COOKIE_NAME, attrs);
	} else {
		if (!cookie_shaped(s->cookie))
			return -1;
		long long age = s->expires > now ? (long long)(s->expires - now) : 0;
		len = snprintf(out, n, "%s=%s; Max-Age=%lld%s", VG_AUTH_COOKIE_NAME, s->cookie, age,
			       attrs);
	}
	return len < 0 || (size_t)len >= n ? -1 : len;
}

/* ---- API tokens ---- */

/* Token descriptions: at most VG_AUTH_TOKEN_NAME_MAX bytes of printable ASCII. */
static int check_token_name(const char *name, vg_err *err)
{
	size_t n = strnlen(name, VG_AUTH_TOKEN_NAME_MAX + 1);
	if (n > VG_AUTH_TOKEN_NAME_MAX)
		return vg_seterr(err, VG_EINVAL, -1, "token names are at most %d characters",
				 VG_AUTH_TOKEN_NAME_MAX);
	for (size_t k = 0; k < n; k++)
		if (name[k] < 0x20 || name[k] > 0x7e)
			return vg_seterr(err, VG_EINVAL, (int64_t)k,
					 "token names are printable ASCII (letters, digits, spaces, "
					 "punctuation)");
	return 0;
}

/* The body of vg_auth_token_create, in its transaction: 1 when the row
 * went in, 0 when the id was taken (try another), or an error. */
static int token_insert_tx(vg_auth *a, const char *token, vg_role role, const char *name,
			   const char *owner, vg_err *err)
{
	if (owner) {
		sqlite3_stmt *st;
		int rc = vg_auth_query(a, &st, err, "SELECT 1 FROM users WHERE name = ?1", "t", owner);
		if (rc)
			return rc;
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc == SQLITE_DONE)
			return vg_seterr(err, VG_EINVAL, -1, "no user '%s' to own the token", owner);
		if (rc != SQLITE_ROW)
			return vg_auth_dberr(a, rc, "reading a user", err);
	}
	char id[VG_AUTH_TOKEN_ID_LEN + 1];
	memcpy(id, token + 4, VG_AUTH_TOKEN_ID_LEN);
	id[VG_AUTH_TOKEN_ID_LEN] = 0;
	uint8_t h[AUTH_HASH_LEN];
	cred_hash(token, h);
	return vg_auth_exec(a, err,
			    "INSERT INTO tokens (id, name, role, owner, hash, created)"
			    " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO NOTHING",
			    "ttttbi", id, name, vg_role_name(role), owner, h, (size_t)AUTH_HASH_LEN,
			    vg_auth_now(a));
}

int vg_auth_token_create(vg_auth *a, vg_role role, const char *name, const char *owner,
			 char token[VG_AUTH_TOKEN_LEN + 1], vg_err *err)
{
	token[0] = 0;
	if (role < VG_ROLE_ADMIN || role > VG_ROLE_INGEST)
		return vg_seterr(err, VG_EINVAL, -1, "a token needs a role: admin, analyst or ingest");
	if (name == NULL)
		name = "";
	if (owner != NULL && owner[0] == 0)
		owner = NULL;
	int rc = check_token_name(name, err);
	if (rc == 0 && owner)
		rc = vg_auth_check_name(owner, err);
	/* 64-bit random ids collide once in billions of tokens; a collision
	 * just draws again. */
	for (int attempt = 0; rc == 0 && attempt < 4; attempt++) {
		memcpy(token, TOKEN_PREFIX, 4);
		vg_auth_random_hex(token + 4, VG_AUTH_TOKEN_ID_LEN / 2);
		token[4 + VG_AUTH_TOKEN_ID_LEN] = '_';
		vg_auth_random_hex(token + 5 + VG_AUTH_TOKEN_ID_LEN, AUTH_SECRET_LEN);
		pthread_mutex_lock(&a->mu);
		int n = vg_auth_begin(a, err);
		if (n == 0) {
			n = token_insert_tx(a, token, role, name, owner, err);
			int e = vg_auth_end(a, n < 0 ? n : 0, err);
			n = e ? e : n;
		}
		pthread_mutex_unlock(&a->mu);
		if (n == 1)
			return 0;
		rc = n < 0 ? n : 0;
	}
	sodium_memzero(token, VG_AUTH_TOKEN_LEN + 1);
	return rc ? rc : vg_seterr(err, VG_EIO, -1, "cannot draw an unused token id (random source?)");
}

/* Fill a token info from a row of (id, name, role, owner, created,
 * last_used, revoked). */
static int token_info_cols(vg_auth *a, sqlite3_stmt *st, vg_auth_token_info *t, vg_err *err)
{
	vg_auth_text_col(st, 0, t->id, sizeof t->id);
	vg_auth_text_col(st, 1, t->name, sizeof t->name);
	vg_auth_text_col(st, 3, t->owner, sizeof t->owner);
	t->created = sqlite3_column_int64(st, 4);
	t->last_used = sqlite3_column_int64(st, 5);
	t->revoked = sqlite3_column_int64(st, 6);
	return vg_auth_role_col(a, st, 2, &t->role, err);
}

/* The body of vg_auth_token_list, with the mutex held. */
static int token_list_locked(vg_auth *a, vg_auth_token_info **out, size_t *n, vg_err *err)
{
	sqlite3_stmt *st;
	int rc = vg_auth_query(a, &st, err,
			       "SELECT id, name, role, owner, created, last_used, revoked FROM tokens"
			       " ORDER BY created, rowid", "");
	size_t cap = 0;
	while (rc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		vg_grow(out, &cap, *n + 1, sizeof **out);
		vg_auth_token_info *t = &(*out)[*n];
		memset(t, 0, sizeof *t);
		rc = token_info_cols(a, st, t, err);
		(*n)++;
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = vg_auth_dberr(a, rc, "listing tokens", err);
	sqlite3_finalize(st);
	return rc;
}

int vg_auth_token_list(vg_auth *a, vg_auth_token_info **out, size_t *n, vg_err *err)
{
	*out = NULL;
	*n = 0;
	pthread_mutex_lock(&a->mu);
	int rc = token_list_locked(a, out, n, err);
	pthread_mutex_unlock(&a->mu);
	if (rc) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

/* The body of vg_auth_token_revoke, in its transaction. */
static int revoke_tx(vg_auth *a, const char *id, vg_err *err)
{
	sqlite3_stmt *st;
	int rc = vg_auth_query(a, &st, err, "SELECT revoked FROM tokens WHERE id = ?1", "t", id);
	if (rc)
		return rc;
	rc = sqlite3_step(st);
	int64_t revoked = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return vg_seterr(err, VG_ENOTFOUND, -1, "no token with id %s", id);
	if (rc != SQLITE_ROW)
		return vg_auth_dberr(a, rc, "reading a token", err);
	if (revoked)
		return vg_seterr(err, VG_EINVAL, -1, "token %s is already revoked", id);
	int64_t now = vg_auth_now(a);
	rc = vg_auth_exec(a, err, "UPDATE tokens SET revoked = ?2 WHERE id = ?1", "ti", id,
			  now > 0 ? now : (int64_t)1);
	return rc < 0 ? rc : 0;
}

int vg_auth_token_revoke(vg_auth *a, const char *id, vg_err *err)
{
	char buf[VG_AUTH_TOKEN_ID_LEN + 1];
	if (token_shaped(id)) {
		memcpy(buf, id + 4, VG_AUTH_TOKEN_ID_LEN); /* a whole token: its id */
	} else if (id != NULL && strnlen(id, VG_AUTH_TOKEN_ID_LEN + 1) == VG_AUTH_TOKEN_ID_LEN &&
		   vg_auth_is_hex(id, VG_AUTH_TOKEN_ID_LEN)) {
		memcpy(buf, id, VG_AUTH_TOKEN_ID_LEN);
	} else {
		return vg_seterr(err, VG_EINVAL, -1,
				 "not a token id: give the 16 hex digits `vigil token list` shows");
	}
	buf[VG_AUTH_TOKEN_ID_LEN] = 0;
	pthread_mutex_lock(&a->mu);
	int rc = vg_auth_begin(a, err);
	if (rc == 0)
		rc = vg_auth_end(a, revoke_tx(a, buf, err), err);
	pthread_mutex_unlock(&a->mu);
	return rc;
}

/* The body of vg_auth_token_check with the mutex held: the row of the
 * token's id, then hash, revocation and owner. */
static int token_check_locked(vg_auth *a, const char *token, vg_auth_token_info *t, vg_err *err)
{
	sqlite3_stmt *st = a->tok_get;
	uint8_t h[AUTH_HASH_LEN];
	cred_hash(token, h);
	memcpy(t->id, token + 4, VG_AUTH_TOKEN_ID_LEN);
	t->id[VG_AUTH_TOKEN_ID_LEN] = 0;
	int rc = sqlite3_bind_text(st, 1, t->id, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	int owner_gone = 0;
	if (rc == SQLITE_ROW) {
		const void *stored = sqlite3_column_blob(st, 3);
		if (stored == NULL || sqlite3_column_bytes(st, 3) != AUTH_HASH_LEN)
			rc = vg_seterr(err, VG_ECORRUPT, -1, "%s: token %s has no valid hash", a->path,
				       t->id);
		else if (sodium_memcmp(stored, h, AUTH_HASH_LEN) != 0)
			rc = vg_seterr(err, VG_ENOTFOUND, -1, "token %s: wrong secret", t->id);
		else
			rc = 0;
		vg_auth_text_col(st, 0, t->name, sizeof t->name);
		vg_auth_text_col(st, 2, t->owner, sizeof t->owner);
		t->created = sqlite3_column_int64(st, 4);
		t->last_used = sqlite3_column_int64(st, 5);
		t->revoked = sqlite3_column_int64(st, 6);
		owner_gone = sqlite3_column_int(st, 7) != 0;
		if (rc == 0)
			rc = vg_auth_role_col(a, st, 1, &t->role, err);
	} else if (rc == SQLITE_DONE) {
		rc = vg_seterr(err, VG_ENOTFOUND, -1, "unknown token %s", t->id);
	} else {
		rc = vg_auth_dberr(a, rc, "reading a token", err);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	/* Revocation and the owner are told only to whoever has the secret. */
	if (rc == 0 && t->revoked)
		rc = vg_seterr(err, VG_ENOTFOUND, -1, "token %s has been revoked", t->id);
	else if (rc == 0 && owner_gone)
		rc = vg_seterr(err, VG_ENOTFOUND, -1, "token %s: its owner '%s' is disabled", t->id,
			       t->owner);
	int64_t now = vg_auth_now(a);
	if (rc == 0 && now - t->last_used >= AUTH_TOUCH_SECS &&
	    write1(a, NULL, "UPDATE tokens SET last_used = ?2 WHERE id = ?1", "ti", t->id, now) > 0)
		t->last_used = now; /* best effort, as for sessions */
	return rc;
}

int vg_auth_token_check(vg_auth *a, const char *token, vg_auth_token_info *info, vg_err *err)
{
	vg_auth_token_info tmp;
	vg_auth_token_info *t = info ? info : &tmp;
	memset(t, 0, sizeof *t);
	if (!token_shaped(token))
		return vg_seterr(err, VG_EINVAL, -1,
				 "not a vigil API token (they look like vgt_<16 hex>_<64 hex>)");
	pthread_mutex_lock(&a->mu);
	int rc = token_check_locked(a, token, t, err);
	pthread_mutex_unlock(&a->mu);
	if (rc)
		memset(t, 0, sizeof *t);
	return rc;
}
