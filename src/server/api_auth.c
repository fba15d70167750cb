/*
 * api_auth.c — who is asking, and the endpoints that manage who may ask:
 * login/logout, users and tokens.
 *
 * Credentials a request may carry (the first present is used):
 *   - Authorization: Bearer <token>            (curl, scripts, the CLI)
 *   - Authorization: Splunk <token>            (Splunk HEC clients)
 *   - Authorization: Basic base64(any:<token>) (Elasticsearch shippers
 *     configured with a user name and password: the password is a token)
 *   - Authorization: ApiKey base64(id:<token>) or ApiKey <token> (Filebeat,
 *     Vector with an Elasticsearch API key)
 *   - the session cookie of a browser login, and then state-changing
 *     requests must also carry X-CSRF-Token.
 * Basic with a real user's password is refused on purpose: every request
 * would cost an Argon2id verification, which is what makes passwords
 * expensive to guess and would make the server cheap to exhaust.
 *
 * A request without valid credentials gets 401 and nothing else, whatever
 * it asked for (server.c authenticates before routing).
 *
 * Password guessing: the login is the one place a password is tried, and
 * failed logins are counted per user name and per client address
 * (login_limit.h says how many are allowed).
 */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/login_limit.h"
#include "server/srv.h"
#include "util/timeutil.h"

static int64_t mono_s(void)
{
	return vg_mono_ns() / 1000000000;
}

int vg_srv_auth_open(vg_server *s, vg_err *err)
{
	s->logins = vg_login_limit_new();
	vg_auth_opts ao;
	vg_auth_defaults(&ao);
	if (s->o.auth_fast) {
		ao.opslimit = crypto_pwhash_OPSLIMIT_MIN;
		ao.memlimit = crypto_pwhash_MEMLIMIT_MIN;
	}
	int rc = vg_auth_open(s->o.data, &ao, &s->auth, err);
	if (rc)
		return rc;
	char name[VG_AUTH_NAME_MAX + 1], pw[VG_AUTH_GENPW_LEN + 1];
	int created = 0;
	rc = vg_auth_ensure_admin(s->auth, name, pw, &created, err);
	if (rc == 0 && created) {
		printf("vigil server: created the administrator account; this password is shown once:\n"
		       "  user:     %s\n  password: %s\n", name, pw);
		fflush(stdout);
		sodium_memzero(pw, sizeof pw);
	} else if (rc == 0) {
		printf("vigil server: log in with an existing account (`vigil user passwd NAME` sets a "
		       "new password)\n");
		fflush(stdout);
	}
	return rc;
}

void vg_srv_auth_close(vg_server *s)
{
	vg_auth_close(s->auth);
	s->auth = NULL;
	vg_login_limit_free(s->logins);
	s->logins = NULL;
}

/* Decode base64 src into out (cap bytes, NUL-terminated); -1 if invalid. */
static int b64(const char *src, char *out, size_t cap)
{
	size_t n = 0;
	if (sodium_base642bin((unsigned char *)out, cap - 1, src, strlen(src), " ", &n, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		return -1;
	out[n] = 0;
	return 0;
}

static int unauthorized(vg_req *r, const char *why)
{
	vg_reply_error(r, 401, "%s", why);
	return VG_ENOTFOUND;
}

static int check_token(vg_req *r, const char *tok)
{
	vg_auth_token_info info;
	vg_err e = {0};
	if (vg_auth_token_check(r->s->auth, tok, &info, &e) != 0)
		return unauthorized(r, "invalid or revoked token");
	r->role = info.role;
	r->user = vg_arena_dup(&r->arena, info.name[0] ? info.name : info.id,
			       strlen(info.name[0] ? info.name : info.id));
	return 0;
}

int vg_srv_authenticate(vg_req *r)
{
	const char *h = vg_header(r, "Authorization");
	if (h) {
		while (*h == ' ')
			h++;
		const char *sp = strchr(h, ' ');
		if (sp == NULL)
			return unauthorized(r, "malformed Authorization header");
		size_t sl = (size_t)(sp - h);
		const char *v = sp + 1;
		while (*v == ' ')
			v++;
		if ((sl == 6 && strncasecmp(h, "Bearer", 6) == 0) ||
		    (sl == 6 && strncasecmp(h, "Splunk", 6) == 0))
			return check_token(r, v);
		if ((sl == 5 && strncasecmp(h, "Basic", 5) == 0) ||
		    (sl == 6 && strncasecmp(h, "ApiKey", 6) == 0)) {
			char dec[512];
			if (strncmp(v, "vgt_", 4) == 0)
				return check_token(r, v);
			if (b64(v, dec, sizeof dec) != 0)
				return unauthorized(r, "malformed Authorization header");
			const char *colon = strchr(dec, ':');
			int rc = check_token(r, colon ? colon + 1 : dec);
			sodium_memzero(dec, sizeof dec);
			return rc;
		}
		return unauthorized(r, "unsupported Authorization scheme (use Bearer with an API token)");
	}
	const char *cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, VG_AUTH_COOKIE_NAME);
	if (cookie) {
		vg_err e = {0};
		if (vg_auth_session_check(r->s->auth, cookie, &r->sess, &e) != 0)
			return unauthorized(r, "session ended or expired; log in again");
		r->role = r->sess.role;
		r->user = r->sess.user;
		r->via_session = 1;
		return 0;
	}
	return unauthorized(r, "authentication required: an API token (Authorization: Bearer ...) or a login session");
}

int vg_srv_allows(const vg_req *r, vg_perm perm)
{
	switch (perm) {
	case VG_PERM_NONE:
	case VG_PERM_LOGIN: return 1;
	case VG_PERM_ANY: return r->role != VG_ROLE_NONE;
	case VG_PERM_INGEST: return vg_auth_allows(r->role, VG_ACT_INGEST);
	case VG_PERM_SEARCH: return vg_auth_allows(r->role, VG_ACT_SEARCH);
	case VG_PERM_METRICS: return vg_auth_allows(r->role, VG_ACT_METRICS);
	case VG_PERM_ADMIN_USERS: return vg_auth_allows(r->role, VG_ACT_ADMIN_USERS);
	case VG_PERM_ADMIN_TOKENS: return vg_auth_allows(r->role, VG_ACT_ADMIN_TOKENS);
	}
	return 0;
}

int vg_srv_check_csrf(vg_req *r)
{
	vg_err e = {0};
	if (!r->via_session || !vg_auth_needs_csrf(r->method))
		return 0;
	if (vg_auth_csrf_ok(&r->sess, vg_header(r, VG_AUTH_CSRF_HEADER), &e) == 0)
		return 0;
	vg_reply_error(r, 403, "missing or wrong %s header (%s)", VG_AUTH_CSRF_HEADER, e.msg);
	return VG_EINVAL;
}

/* ------------------------------------------------------------ bodies */

/* The body as a JSON object, or answers 400 and returns NULL. */
static cJSON *body_object(vg_req *r)
{
	const char *p;
	size_t n;
	if (vg_srv_body(r, &p, &n))
		return NULL;
	cJSON *j = n ? cJSON_ParseWithLength(p, n) : NULL;
	if (j == NULL || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		vg_reply_error(r, 400, "the body must be a JSON object");
		return NULL;
	}
	return j;
}

static const char *jstr(cJSON *j, const char *name)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int reply_json(vg_req *r, unsigned status, cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);
	vg_reply(r, status, "application/json", s, strlen(s));
	free(s);
	cJSON_Delete(o);
	return 0;
}

static int reply_err(vg_req *r, int rc, const vg_err *e)
{
	unsigned st = rc == VG_EINVAL ? 400 : rc == VG_ENOTFOUND ? 404 : 500;
	return vg_reply_error(r, st, "%s", e->msg);
}

/* ------------------------------------------------------------ sessions */

int vg_api_login(vg_req *r)
{
	cJSON *j = body_object(r);
	if (j == NULL)
		return 0;
	const char *user = jstr(j, "user"), *pw = jstr(j, "password");
	if (user == NULL || pw == NULL) {
		cJSON_Delete(j);
		return vg_reply_error(r, 400, "login takes {\"user\": ..., \"password\": ...}");
	}
	/* The rate limit (login_limit.h) counts the name as given and the
	 * client's address. */
	char addr[64];
	vg_srv_peer(r, addr, sizeof addr);
	int64_t now = mono_s();
	int by_user = 0;
	unsigned wait = vg_login_refused(r->s->logins, user, addr, now, &by_user);
	if (wait) {
		cJSON_Delete(j);
		atomic_fetch_add(&r->s->m.logins_throttled, 1);
		r->retry_after = wait;
		return vg_reply_error(r, 429, "too many failed logins %s; try again in %u s",
				      by_user ? "for this user" : "from this address", r->retry_after);
	}
	vg_auth_session s;
	vg_err e = {0};
	int rc = vg_auth_login(r->s->auth, user, pw, &s, &e);
	int refused = rc == VG_ENOTFOUND || rc == VG_EINVAL;
	if (refused)
		vg_login_failed(r->s->logins, user, addr, now);
	else if (rc == 0)
		vg_login_succeeded(r->s->logins, user, addr, now);
	cJSON_Delete(j);  /* user points into it */
	if (rc) {
		atomic_fetch_add(&r->s->m.auth_failures, 1);
		return vg_reply_error(r, refused ? 401 : 500, "%s", e.msg);
	}
	char *cookie = vg_arena_alloc(&r->arena, 512);
	vg_auth_set_cookie(&s, vg_now_ns() / 1000000000, 0, cookie, 512);
	r->set_cookie = cookie;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "user", s.user);
	cJSON_AddStringToObject(o, "role", vg_role_name(s.role));
	cJSON_AddStringToObject(o, "csrf", s.csrf);
	cJSON_AddNumberToObject(o, "expires", (double)s.expires);
	sodium_memzero(&s, sizeof s);
	return reply_json(r, 200, o);
}

int vg_api_logout(vg_req *r)
{
	if (r->via_session) {
		const char *cookie =
			MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, VG_AUTH_COOKIE_NAME);
		vg_err e = {0};
		if (cookie)
			vg_auth_logout(r->s->auth, cookie, &e);
	}
	char *cookie = vg_arena_alloc(&r->arena, 256);
	vg_auth_set_cookie(NULL, 0, 0, cookie, 256);
	r->set_cookie = cookie;
	return vg_reply(r, 200, "application/json", "{\"ok\":true}\n", 12);
}

int vg_api_me(vg_req *r)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "user", r->user ? r->user : "");
	cJSON_AddStringToObject(o, "role", vg_role_name(r->role));
	cJSON_AddBoolToObject(o, "session", r->via_session);
	if (r->via_session)
		cJSON_AddStringToObject(o, "csrf", r->sess.csrf);
	return reply_json(r, 200, o);
}

/* ------------------------------------------------------------ users */

/* /api/v1/users: GET lists; POST {"name","role","password"?} adds (a
 * generated password is returned once when none is given);
 * /api/v1/users/NAME: DELETE deletes; PUT {"password"} or
 * {"disabled": bool} changes. */
int vg_api_users(vg_req *r)
{
	vg_auth *a = r->s->auth;
	const char *rest = r->url + strlen("/api/v1/users");
	vg_err e = {0};
	int rc;
	if (*rest == 0 || strcmp(rest, "/") == 0) {
		if (strcmp(r->method, "GET") == 0) {
			vg_auth_user_info *u = NULL;
			size_t n = 0;
			if ((rc = vg_auth_user_list(a, &u, &n, &e)) != 0)
				return reply_err(r, rc, &e);
			cJSON *o = cJSON_CreateObject();
			cJSON *arr = cJSON_AddArrayToObject(o, "users");
			for (size_t k = 0; k < n; k++) {
				cJSON *x = cJSON_CreateObject();
				cJSON_AddStringToObject(x, "name", u[k].name);
				cJSON_AddStringToObject(x, "role", vg_role_name(u[k].role));
				cJSON_AddNumberToObject(x, "created", (double)u[k].created);
				cJSON_AddBoolToObject(x, "disabled", u[k].disabled);
				cJSON_AddItemToArray(arr, x);
			}
			free(u);
			return reply_json(r, 200, o);
		}
		if (strcmp(r->method, "POST") == 0) {
			cJSON *j = body_object(r);
			if (j == NULL)
				return 0;
			const char *name = jstr(j, "name"), *role = jstr(j, "role"), *pw = jstr(j, "password");
			vg_role ro;
			char gen[VG_AUTH_GENPW_LEN + 1] = "";
			if (name == NULL || role == NULL) {
				cJSON_Delete(j);
				return vg_reply_error(r, 400, "adding a user takes {\"name\", \"role\", \"password\"?}");
			}
			if ((rc = vg_role_parse(role, &ro, &e)) == 0) {
				if (pw == NULL) {
					vg_auth_gen_password(gen);
					pw = gen;
				}
				rc = vg_auth_user_add(a, name, ro, pw, &e);
			}
			if (rc) {
				cJSON_Delete(j);
				return reply_err(r, rc, &e);
			}
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "name", name);
			cJSON_AddStringToObject(o, "role", vg_role_name(ro));
			if (gen[0])
				cJSON_AddStringToObject(o, "password", gen);
			sodium_memzero(gen, sizeof gen);
			cJSON_Delete(j);
			return reply_json(r, 201, o);
		}
		return vg_reply_error(r, 405, "users: GET or POST");
	}
	const char *name = rest + 1;
	if (strcmp(r->method, "DELETE") == 0) {
		if ((rc = vg_auth_user_del(a, name, &e)) != 0)
			return reply_err(r, rc, &e);
		return vg_reply(r, 200, "application/json", "{\"ok\":true}\n", 12);
	}
	if (strcmp(r->method, "PUT") == 0) {
		cJSON *j = body_object(r);
		if (j == NULL)
			return 0;
		const char *pw = jstr(j, "password");
		cJSON *dis = cJSON_GetObjectItemCaseSensitive(j, "disabled");
		rc = 0;
		if (pw)
			rc = vg_auth_user_passwd(a, name, pw, &e);
		if (rc == 0 && cJSON_IsBool(dis))
			rc = vg_auth_user_disable(a, name, cJSON_IsTrue(dis), &e);
		if (rc == 0 && pw == NULL && !cJSON_IsBool(dis))
			rc = vg_seterr(&e, VG_EINVAL, -1, "changing a user takes {\"password\"} or {\"disabled\"}");
		cJSON_Delete(j);
		if (rc)
			return reply_err(r, rc, &e);
		return vg_reply(r, 200, "application/json", "{\"ok\":true}\n", 12);
	}
	return vg_reply_error(r, 405, "users/NAME: DELETE or PUT");
}

/* /api/v1/tokens: GET lists (never the secrets); POST {"role","name"?}
 * creates and returns the token once; /api/v1/tokens/ID: DELETE revokes. */
int vg_api_tokens(vg_req *r)
{
	vg_auth *a = r->s->auth;
	const char *rest = r->url + strlen("/api/v1/tokens");
	vg_err e = {0};
	int rc;
	if (*rest == 0 || strcmp(rest, "/") == 0) {
		if (strcmp(r->method, "GET") == 0) {
			vg_auth_token_info *t = NULL;
			size_t n = 0;
			if ((rc = vg_auth_token_list(a, &t, &n, &e)) != 0)
				return reply_err(r, rc, &e);
			cJSON *o = cJSON_CreateObject();
			cJSON *arr = cJSON_AddArrayToObject(o, "tokens");
			for (size_t k = 0; k < n; k++) {
				cJSON *x = cJSON_CreateObject();
				cJSON_AddStringToObject(x, "id", t[k].id);
				cJSON_AddStringToObject(x, "name", t[k].name);
				cJSON_AddStringToObject(x, "role", vg_role_name(t[k].role));
				cJSON_AddStringToObject(x, "owner", t[k].owner);
				cJSON_AddNumberToObject(x, "created", (double)t[k].created);
				cJSON_AddNumberToObject(x, "last_used", (double)t[k].last_used);
				cJSON_AddNumberToObject(x, "revoked", (double)t[k].revoked);
				cJSON_AddItemToArray(arr, x);
			}
			free(t);
			return reply_json(r, 200, o);
		}
		if (strcmp(r->method, "POST") == 0) {
			cJSON *j = body_object(r);
			if (j == NULL)
				return 0;
			const char *role = jstr(j, "role"), *name = jstr(j, "name");
			vg_role ro;
			char tok[VG_AUTH_TOKEN_LEN + 1];
			rc = role ? vg_role_parse(role, &ro, &e)
				  : vg_seterr(&e, VG_EINVAL, -1, "a token needs {\"role\": \"admin|analyst|ingest\"}");
			if (rc == 0)
				rc = vg_auth_token_create(a, ro, name, r->via_session ? r->user : NULL, tok, &e);
			cJSON_Delete(j);
			if (rc)
				return reply_err(r, rc, &e);
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "token", tok);
			char id[VG_AUTH_TOKEN_ID_LEN + 1];
			memcpy(id, tok + 4, VG_AUTH_TOKEN_ID_LEN);
			id[VG_AUTH_TOKEN_ID_LEN] = 0;
			cJSON_AddStringToObject(o, "id", id);
			cJSON_AddStringToObject(o, "role", vg_role_name(ro));
			sodium_memzero(tok, sizeof tok);
			return reply_json(r, 201, o);
		}
		return vg_reply_error(r, 405, "tokens: GET or POST");
	}
	if (strcmp(r->method, "DELETE") == 0) {
		if ((rc = vg_auth_token_revoke(a, rest + 1, &e)) != 0)
			return reply_err(r, rc, &e);
		return vg_reply(r, 200, "application/json", "{\"ok\":true}\n", 12);
	}
	return vg_reply_error(r, 405, "tokens/ID: DELETE");
}
