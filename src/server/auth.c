/*
 * auth.c — the auth store: auth.db, roles, users and the first admin.
 *
 * auth.db is SQLite because two processes use it at once (the server and
 * an offline `vigil user` or `vigil token` command) and SQLite already
 * solves exactly that: WAL journal so readers never wait, BEGIN IMMEDIATE
 * plus a busy timeout so writers take turns, synchronous=FULL so a
 * revocation survives a power cut, secure_delete so a deleted password
 * hash is overwritten rather than left in a free page. The file is created
 * 0600 before SQLite opens it (SQLite gives its -wal and -shm files the
 * same mode), and opened without following a symlink.
 *
 * The schema carries its version in PRAGMA user_version; a newer version
 * than this code knows is refused instead of being misread.
 *
 *   users(name, role, hash, created, disabled)
 *   tokens(id, name, role, owner, hash, created, last_used, revoked)
 *   sessions(id_hash, user, csrf, created, expires, last_seen)
 *
 * Times are seconds since the epoch. Roles are stored by name so that the
 * file reads plainly with the sqlite3 shell. tokens.owner is a plain name,
 * not a foreign key: a deleted user's revoked tokens keep saying whose
 * they were.
 *
 * Password hashing (Argon2id) is slow and memory-hard on purpose, so it
 * always runs with the handle's mutex released: the user's row is read,
 * the lock dropped, the hash computed, and the write re-checks what it
 * depends on inside its transaction.
 */
#include "server/auth_int.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/mem.h"

/* ---- Roles ---- */

int vg_auth_allows(vg_role role, vg_action action)
{
	/* One row per action: bit r is role r. */
	enum { A = 1 << VG_ROLE_ADMIN, N = 1 << VG_ROLE_ANALYST, I = 1 << VG_ROLE_INGEST };
	static const unsigned matrix[VG_ACT_COUNT] = {
		[VG_ACT_INGEST] = A | I,
		[VG_ACT_SEARCH] = A | N,
		[VG_ACT_READ_CONFIG] = A | N,
		[VG_ACT_METRICS] = A | N,
		[VG_ACT_OWN_PASSWORD] = A | N,
		[VG_ACT_ADMIN_SETTINGS] = A,
		[VG_ACT_ADMIN_USERS] = A,
		[VG_ACT_ADMIN_TOKENS] = A,
	};
	if ((unsigned)action >= VG_ACT_COUNT || role < VG_ROLE_ADMIN || role > VG_ROLE_INGEST)
		return 0;
	return (matrix[action] >> role) & 1;
}

const char *vg_role_name(vg_role role)
{
	switch (role) {
	case VG_ROLE_ADMIN: return "admin";
	case VG_ROLE_ANALYST: return "analyst";
	case VG_ROLE_INGEST: return "ingest";
	case VG_ROLE_NONE: break;
	}
	return "none";
}

int vg_role_parse(const char *s, vg_role *out, vg_err *err)
{
	for (vg_role r = VG_ROLE_ADMIN; r <= VG_ROLE_INGEST; r++) {
		if (s != NULL && strcmp(s, vg_role_name(r)) == 0) {
			*out = r;
			return 0;
		}
	}
	return vg_seterr(err, VG_EINVAL, -1, "unknown role '%s': roles are admin, analyst and ingest",
			 s ? s : "");
}

const char *vg_action_name(vg_action action)
{
	static const char *const names[VG_ACT_COUNT] = {
		[VG_ACT_INGEST] = "ingest",
		[VG_ACT_SEARCH] = "search",
		[VG_ACT_READ_CONFIG] = "read_config",
		[VG_ACT_METRICS] = "metrics",
		[VG_ACT_OWN_PASSWORD] = "own_password",
		[VG_ACT_ADMIN_SETTINGS] = "admin_settings",
		[VG_ACT_ADMIN_USERS] = "admin_users",
		[VG_ACT_ADMIN_TOKENS] = "admin_tokens",
	};
	return (unsigned)action < VG_ACT_COUNT ? names[action] : "?";
}

/* ---- Helpers shared with auth_cred.c ---- */

int64_t vg_auth_now(const vg_auth *a)
{
	return a->o.clock ? a->o.clock(a->o.clock_arg) : (int64_t)time(NULL);
}

int vg_auth_dberr(vg_auth *a, int rc, const char *what, vg_err *err)
{
	const char *msg = a->db ? sqlite3_errmsg(a->db) : sqlite3_errstr(rc);
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return vg_seterr(err, VG_EBUSY, -1,
				 "%s: %s: another process held the database for more than %d s (%s)",
				 a->path, what, AUTH_BUSY_MS / 1000, msg);
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return vg_seterr(err, VG_ECORRUPT, -1, "%s is damaged or not a vigil auth store (%s: %s)",
				 a->path, what, msg);
	case SQLITE_NOMEM:
		return vg_seterr(err, VG_ENOMEM, -1, "%s: %s: out of memory", a->path, what);
	default:
		return vg_seterr(err, VG_EIO, -1, "%s: %s: %s", a->path, what, msg);
	}
}

int vg_auth_bindv(sqlite3_stmt *st, const char *binds, va_list ap)
{
	int rc = SQLITE_OK;
	for (int k = 0; binds[k] && rc == SQLITE_OK; k++) {
		if (binds[k] == 't') {
			rc = sqlite3_bind_text(st, k + 1, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
		} else if (binds[k] == 'i') {
			rc = sqlite3_bind_int64(st, k + 1, va_arg(ap, int64_t));
		} else {
			const void *p = va_arg(ap, const void *);
			size_t n = va_arg(ap, size_t);
			rc = sqlite3_bind_blob(st, k + 1, p, (int)n, SQLITE_TRANSIENT);
		}
	}
	return rc;
}

/* vg_auth_query with the arguments already in a va_list. */
static int queryv(vg_auth *a, sqlite3_stmt **st, vg_err *err, const char *sql, const char *binds,
		  va_list ap)
{
	int rc = sqlite3_prepare_v2(a->db, sql, -1, st, NULL);
	if (rc == SQLITE_OK)
		rc = vg_auth_bindv(*st, binds, ap);
	if (rc == SQLITE_OK)
		return 0;
	rc = vg_auth_dberr(a, rc, "preparing a statement", err);
	sqlite3_finalize(*st);
	*st = NULL;
	return rc;
}

int vg_auth_query(vg_auth *a, sqlite3_stmt **st, vg_err *err, const char *sql, const char *binds,
		  ...)
{
	va_list ap;
	va_start(ap, binds);
	int rc = queryv(a, st, err, sql, binds, ap);
	va_end(ap);
	return rc;
}

int vg_auth_execv(vg_auth *a, vg_err *err, const char *sql, const char *binds, va_list ap)
{
	sqlite3_stmt *st;
	int rc = queryv(a, &st, err, sql, binds, ap);
	if (rc)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		rc = sqlite3_changes(a->db);
	else
		rc = vg_auth_dberr(a, rc, "writing", err);
	sqlite3_finalize(st);
	return rc;
}

int vg_auth_exec(vg_auth *a, vg_err *err, const char *sql, const char *binds, ...)
{
	va_list ap;
	va_start(ap, binds);
	int rc = vg_auth_execv(a, err, sql, binds, ap);
	va_end(ap);
	return rc;
}

int vg_auth_begin(vg_auth *a, vg_err *err)
{
	int rc = sqlite3_exec(a->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : vg_auth_dberr(a, rc, "starting a transaction", err);
}

int vg_auth_end(vg_auth *a, int rc, vg_err *err)
{
	if (rc == 0) {
		int c = sqlite3_exec(a->db, "COMMIT", NULL, NULL, NULL);
		if (c == SQLITE_OK)
			return 0;
		rc = vg_auth_dberr(a, c, "committing", err);
	}
	sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int vg_auth_role_col(vg_auth *a, sqlite3_stmt *st, int col, vg_role *out, vg_err *err)
{
	const char *s = (const char *)sqlite3_column_text(st, col);
	if (vg_role_parse(s, out, NULL) == 0)
		return 0;
	return vg_seterr(err, VG_ECORRUPT, -1, "%s holds an unknown role '%s'", a->path, s ? s : "");
}

void vg_auth_text_col(sqlite3_stmt *st, int col, char *out, size_t cap)
{
	const char *s = (const char *)sqlite3_column_text(st, col);
	snprintf(out, cap, "%s", s ? s : "");
}

void vg_auth_random_hex(char *out, size_t n)
{
	uint8_t b[64];
	assert(n <= sizeof b);
	size_t k = n < sizeof b ? n : sizeof b;
	randombytes_buf(b, k);
	sodium_bin2hex(out, 2 * k + 1, b, k);
	sodium_memzero(b, sizeof b);
}

int vg_auth_is_hex(const char *s, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (!((s[k] >= '0' && s[k] <= '9') || (s[k] >= 'a' && s[k] <= 'f')))
			return 0;
	return 1;
}

/* ---- Opening ---- */

void vg_auth_defaults(vg_auth_opts *o)
{
	memset(o, 0, sizeof *o);
	o->opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
	o->memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	o->session_idle = 3600;
	o->session_max = 12 * 3600;
}

/* Make sure <dir>/auth.db exists as a regular file only its owner can
 * read, without following a symlink; or report it missing when the
 * caller must not create it. */
static int prepare_file(vg_auth *a, const char *dir, vg_err *err)
{
	if (a->o.no_create) {
		struct stat sb;
		if (stat(a->path, &sb) == 0)
			return 0;
		if (errno == ENOENT)
			return vg_seterr(err, VG_ENOTFOUND, -1,
					 "no users or tokens in %s yet (%s does not exist; `vigil user add` "
					 "or `vigil server` creates it)", dir, a->path);
		return vg_seterr(err, VG_EIO, -1, "cannot read %s: %s", a->path, strerror(errno));
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return vg_seterr(err, VG_EIO, -1, "cannot create %s: %s", dir, strerror(errno));
	int fd = open(a->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return vg_seterr(err, VG_EIO, -1, "cannot open %s: %s", a->path, strerror(errno));
	struct stat sb;
	int rc = 0;
	if (fstat(fd, &sb) != 0)
		rc = vg_seterr(err, VG_EIO, -1, "cannot stat %s: %s", a->path, strerror(errno));
	else if (!S_ISREG(sb.st_mode))
		rc = vg_seterr(err, VG_EINVAL, -1, "%s is not a regular file", a->path);
	else if ((sb.st_mode & 077) != 0 && fchmod(fd, 0600) != 0)
		rc = vg_seterr(err, VG_EIO, -1, "cannot make %s private (chmod 600): %s", a->path,
			       strerror(errno));
	close(fd);
	return rc;
}

static const char schema_sql[] =
	"CREATE TABLE users ("
	" name TEXT PRIMARY KEY NOT NULL,"
	" role TEXT NOT NULL CHECK (role IN ('admin','analyst','ingest')),"
	" hash TEXT NOT NULL,"
	" created INTEGER NOT NULL,"
	" disabled INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE tokens ("
	" id TEXT PRIMARY KEY NOT NULL,"
	" name TEXT NOT NULL DEFAULT '',"
	" role TEXT NOT NULL CHECK (role IN ('admin','analyst','ingest')),"
	" owner TEXT,"
	" hash BLOB NOT NULL,"
	" created INTEGER NOT NULL,"
	" last_used INTEGER NOT NULL DEFAULT 0,"
	" revoked INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX tokens_owner ON tokens(owner);"
	"CREATE TABLE sessions ("
	" id_hash BLOB PRIMARY KEY NOT NULL,"
	" user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,"
	" csrf TEXT NOT NULL,"
	" created INTEGER NOT NULL,"
	" expires INTEGER NOT NULL,"
	" last_seen INTEGER NOT NULL);"
	"CREATE INDEX sessions_user ON sessions(user);"
	"PRAGMA user_version = 1;";

/* One integer from a query without parameters. */
static int query_int(vg_auth *a, const char *sql, int64_t *out, vg_err *err)
{
	sqlite3_stmt *st;
	int rc = vg_auth_query(a, &st, err, sql, "");
	if (rc)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = 0;
	} else {
		rc = vg_auth_dberr(a, rc, "reading", err);
	}
	sqlite3_finalize(st);
	return rc;
}

/* Create the schema in a new database, or check an existing one's version. */
static int ensure_schema(vg_auth *a, vg_err *err)
{
	int64_t v = 0, ntab = 0;
	int rc = query_int(a, "PRAGMA user_version", &v, err);
	if (rc || v == AUTH_SCHEMA_VERSION)
		return rc;
	if ((rc = vg_auth_begin(a, err)) != 0)
		return rc;
	rc = query_int(a, "PRAGMA user_version", &v, err);
	if (rc == 0 && v == 0)
		rc = query_int(a, "SELECT count(*) FROM sqlite_master", &ntab, err);
	if (rc == 0 && v == 0 && ntab > 0)
		rc = vg_seterr(err, VG_ECORRUPT, -1,
			       "%s is an SQLite database but not a vigil auth store", a->path);
	else if (rc == 0 && v == 0 && sqlite3_exec(a->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK)
		rc = vg_auth_dberr(a, sqlite3_errcode(a->db), "creating the schema", err);
	else if (rc == 0 && v > AUTH_SCHEMA_VERSION)
		rc = vg_seterr(err, VG_EINVAL, -1,
			       "%s has schema version %lld, written by a newer vigil (this one knows %d)",
			       a->path, (long long)v, AUTH_SCHEMA_VERSION);
	else if (rc == 0 && v != 0 && v < AUTH_SCHEMA_VERSION)
		rc = vg_seterr(err, VG_ECORRUPT, -1, "%s has an unknown schema version %lld", a->path,
			       (long long)v);
	return vg_auth_end(a, rc, err);
}

/* The per-connection settings, the schema, and the hot statements. */
static int setup_db(vg_auth *a, vg_err *err)
{
	int rc = sqlite3_open_v2(a->path, &a->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK)
		return vg_auth_dberr(a, rc, "opening", err);
	sqlite3_extended_result_codes(a->db, 1);
	sqlite3_busy_timeout(a->db, AUTH_BUSY_MS);
	/* journal_mode=WAL is the first statement that reads the file, so a
	 * file that is not a database fails here with SQLITE_NOTADB. */
	rc = sqlite3_exec(a->db,
			  "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
			  " PRAGMA secure_delete=ON;",
			  NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return vg_auth_dberr(a, rc, "setting up", err);
	if ((rc = ensure_schema(a, err)) != 0)
		return rc;
	rc = sqlite3_prepare_v3(a->db,
				"SELECT t.name, t.role, t.owner, t.hash, t.created, t.last_used, t.revoked,"
				" t.owner IS NOT NULL AND t.owner <> '' AND (u.name IS NULL OR u.disabled <> 0)"
				" FROM tokens t LEFT JOIN users u ON u.name = t.owner WHERE t.id = ?1",
				-1, SQLITE_PREPARE_PERSISTENT, &a->tok_get, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v3(a->db,
					"SELECT s.user, s.csrf, s.created, s.expires, s.last_seen, u.role,"
					" u.disabled FROM sessions s JOIN users u ON u.name = s.user"
					" WHERE s.id_hash = ?1",
					-1, SQLITE_PREPARE_PERSISTENT, &a->sess_get, NULL);
	return rc == SQLITE_OK ? 0 : vg_auth_dberr(a, rc, "preparing statements", err);
}

int vg_auth_open(const char *dir, const vg_auth_opts *o, vg_auth **out, vg_err *err)
{
	*out = NULL;
	if (sodium_init() < 0)
		return vg_seterr(err, VG_EIO, -1, "libsodium cannot initialize (no random source?)");
	vg_auth *a = vg_xcalloc(1, sizeof *a);
	pthread_mutex_init(&a->mu, NULL);
	vg_auth_defaults(&a->o);
	if (o) {
		a->o.no_create = o->no_create;
		a->o.clock = o->clock;
		a->o.clock_arg = o->clock_arg;
		if (o->opslimit)
			a->o.opslimit = o->opslimit;
		if (o->memlimit)
			a->o.memlimit = o->memlimit;
		if (o->session_idle > 0)
			a->o.session_idle = o->session_idle;
		if (o->session_max > 0)
			a->o.session_max = o->session_max;
	}
	int rc = 0;
	if ((size_t)snprintf(a->path, sizeof a->path, "%s/auth.db", dir) >= sizeof a->path)
		rc = vg_seterr(err, VG_EINVAL, -1, "the data directory's path is too long");
	if (rc == 0)
		rc = prepare_file(a, dir, err);
	if (rc == 0)
		rc = setup_db(a, err);
	if (rc) {
		vg_auth_close(a);
		return rc;
	}
	*out = a;
	return 0;
}

void vg_auth_close(vg_auth *a)
{
	if (a == NULL)
		return;
	sqlite3_finalize(a->tok_get);
	sqlite3_finalize(a->sess_get);
	sqlite3_close(a->db);
	pthread_mutex_destroy(&a->mu);
	free(a);
}

/* ---- Rules ---- */

int vg_auth_check_name(const char *name, vg_err *err)
{
	if (name == NULL || name[0] == 0)
		return vg_seterr(err, VG_EINVAL, -1, "a user name cannot be empty");
	size_t n = strnlen(name, VG_AUTH_NAME_MAX + 1);
	if (n > VG_AUTH_NAME_MAX)
		return vg_seterr(err, VG_EINVAL, -1, "user names are at most %d characters",
				 VG_AUTH_NAME_MAX);
	for (size_t k = 0; k < n; k++) {
		char c = name[k];
		int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (alnum || (k > 0 && strchr("._@-", c) != NULL))
			continue;
		if (c >= 'A' && c <= 'Z')
			return vg_seterr(err, VG_EINVAL, (int64_t)k,
					 "user names are lowercase ('%s' has '%c')", name, c);
		return vg_seterr(err, VG_EINVAL, (int64_t)k,
				 "user names start with a lowercase letter or digit and hold only "
				 "a-z, 0-9, '.', '_', '@' and '-'");
	}
	return 0;
}

int vg_auth_check_password(const char *password, vg_err *err)
{
	if (password == NULL)
		return vg_seterr(err, VG_EINVAL, -1, "no password given");
	size_t n = strnlen(password, VG_AUTH_PASSWORD_MAX + 1), chars = 0;
	if (n > VG_AUTH_PASSWORD_MAX)
		return vg_seterr(err, VG_EINVAL, -1, "passwords are at most %d bytes",
				 VG_AUTH_PASSWORD_MAX);
	for (size_t k = 0; k < n; k++) {
		unsigned char c = (unsigned char)password[k];
		if (c < 0x20 || c == 0x7f)
			return vg_seterr(err, VG_EINVAL, (int64_t)k,
					 "a password must not contain control characters (a newline?)");
		chars += (c & 0xc0) != 0x80; /* count UTF-8 lead bytes: characters */
	}
	if (chars < VG_AUTH_PASSWORD_MIN)
		return vg_seterr(err, VG_EINVAL, -1,
				 "a password needs at least %d characters, this one has %zu "
				 "(a few unrelated words make a strong one that is easy to type)",
				 VG_AUTH_PASSWORD_MIN, chars);
	return 0;
}

void vg_auth_gen_password(char out[VG_AUTH_GENPW_LEN + 1])
{
	/* Letters and digits without the ones people confuse (I, O, l, 0, 1):
	 * 57 symbols, 22 of them make 128 bits. */
	static const char sym[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
	for (int k = 0; k < VG_AUTH_GENPW_LEN; k++)
		out[k] = sym[randombytes_uniform(sizeof sym - 1)];
	out[VG_AUTH_GENPW_LEN] = 0;
}

/* Argon2id of password with the handle's limits, into out. Call without
 * the mutex held. */
static int hash_password(const vg_auth *a, const char *password, char out[crypto_pwhash_STRBYTES],
			 vg_err *err)
{
	if (crypto_pwhash_str(out, password, strlen(password), a->o.opslimit, a->o.memlimit) == 0)
		return 0;
	return vg_seterr(err, VG_ENOMEM, -1, "cannot hash the password: Argon2id needs %zu MiB of memory",
			 a->o.memlimit >> 20);
}

/* ---- Users ---- */

/* The role and disabled flag of user name: 0, or VG_ENOTFOUND. */
static int user_row(vg_auth *a, const char *name, vg_role *role, int *disabled, vg_err *err)
{
	sqlite3_stmt *st;
	int rc = vg_auth_query(a, &st, err, "SELECT role, disabled FROM users WHERE name = ?1", "t",
			       name);
	if (rc)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		rc = vg_auth_role_col(a, st, 0, role, err);
		*disabled = sqlite3_column_int(st, 1) != 0;
	} else if (rc == SQLITE_DONE) {
		rc = vg_seterr(err, VG_ENOTFOUND, -1, "no user '%s'", name);
	} else {
		rc = vg_auth_dberr(a, rc, "reading a user", err);
	}
	sqlite3_finalize(st);
	return rc;
}

/* VG_EINVAL when taking user name (role, disabled) away as an enabled
 * admin would leave none. `doing` says what for the message. */
static int keep_an_admin(vg_auth *a, const char *name, vg_role role, int disabled,
			 const char *doing, vg_err *err)
{
	if (role != VG_ROLE_ADMIN || disabled)
		return 0;
	int64_t n = 0;
	int rc = query_int(a, "SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0", &n,
			   err);
	if (rc == 0 && n <= 1)
		rc = vg_seterr(err, VG_EINVAL, -1,
			       "'%s' is the last enabled admin: add another admin before %s it", name,
			       doing);
	return rc;
}

/* Insert a user row; VG_EINVAL when the name is taken. In a transaction. */
static int insert_user(vg_auth *a, const char *name, vg_role role, const char *hash, vg_err *err)
{
	int n = vg_auth_exec(a, err,
			     "INSERT INTO users (name, role, hash, created) VALUES (?1, ?2, ?3, ?4)"
			     " ON CONFLICT (name) DO NOTHING",
			     "ttti", name, vg_role_name(role), hash, vg_auth_now(a));
	if (n == 0)
		return vg_seterr(err, VG_EINVAL, -1, "user '%s' already exists", name);
	return n < 0 ? n : 0;
}

int vg_auth_user_add(vg_auth *a, const char *name, vg_role role, const char *password,
		     vg_err *err)
{
	int rc = vg_auth_check_name(name, err);
	if (rc == 0 && (role < VG_ROLE_ADMIN || role > VG_ROLE_INGEST))
		rc = vg_seterr(err, VG_EINVAL, -1, "a user needs a role: admin, analyst or ingest");
	if (rc == 0)
		rc = vg_auth_check_password(password, err);
	char hash[crypto_pwhash_STRBYTES];
	if (rc == 0)
		rc = hash_password(a, password, hash, err);
	if (rc)
		return rc;
	pthread_mutex_lock(&a->mu);
	rc = vg_auth_begin(a, err);
	if (rc == 0)
		rc = vg_auth_end(a, insert_user(a, name, role, hash, err), err);
	pthread_mutex_unlock(&a->mu);
	sodium_memzero(hash, sizeof hash);
	return rc;
}

/* The body of vg_auth_user_del, in its transaction. */
static int user_del_tx(vg_auth *a, const char *name, vg_err *err)
{
	vg_role role;
	int disabled, rc = user_row(a, name, &role, &disabled, err);
	if (rc == 0)
		rc = keep_an_admin(a, name, role, disabled, "deleting", err);
	int64_t now = vg_auth_now(a);
	if (rc == 0)
		rc = vg_auth_exec(a, err, "UPDATE tokens SET revoked = ?2 WHERE owner = ?1 AND revoked = 0",
				  "ti", name, now > 0 ? now : (int64_t)1);
	if (rc >= 0)
		rc = vg_auth_exec(a, err, "DELETE FROM sessions WHERE user = ?1", "t", name);
	if (rc >= 0)
		rc = vg_auth_exec(a, err, "DELETE FROM users WHERE name = ?1", "t", name);
	return rc < 0 ? rc : 0;
}

int vg_auth_user_del(vg_auth *a, const char *name, vg_err *err)
{
	int rc = vg_auth_check_name(name, err);
	if (rc)
		return rc;
	pthread_mutex_lock(&a->mu);
	rc = vg_auth_begin(a, err);
	if (rc == 0)
		rc = vg_auth_end(a, user_del_tx(a, name, err), err);
	pthread_mutex_unlock(&a->mu);
	return rc;
}

/* The body of vg_auth_user_passwd, in its transaction. */
static int passwd_tx(vg_auth *a, const char *name, const char *hash, vg_err *err)
{
	int n = vg_auth_exec(a, err, "UPDATE users SET hash = ?2 WHERE name = ?1", "tt", name, hash);
	if (n == 0)
		return vg_seterr(err, VG_ENOTFOUND, -1, "no user '%s'", name);
	if (n > 0)
		n = vg_auth_exec(a, err, "DELETE FROM sessions WHERE user = ?1", "t", name);
	return n < 0 ? n : 0;
}

int vg_auth_user_passwd(vg_auth *a, const char *name, const char *password, vg_err *err)
{
	int rc = vg_auth_check_name(name, err);
	if (rc == 0)
		rc = vg_auth_check_password(password, err);
	char hash[crypto_pwhash_STRBYTES];
	if (rc == 0)
		rc = hash_password(a, password, hash, err);
	if (rc)
		return rc;
	pthread_mutex_lock(&a->mu);
	rc = vg_auth_begin(a, err);
	if (rc == 0)
		rc = vg_auth_end(a, passwd_tx(a, name, hash, err), err);
	pthread_mutex_unlock(&a->mu);
	sodium_memzero(hash, sizeof hash);
	return rc;
}

/* The body of vg_auth_user_disable, in its transaction. */
static int disable_tx(vg_auth *a, const char *name, int disabled, vg_err *err)
{
	vg_role role;
	int was, rc = user_row(a, name, &role, &was, err);
	if (rc == 0 && disabled)
		rc = keep_an_admin(a, name, role, was, "disabling", err);
	if (rc == 0)
		rc = vg_auth_exec(a, err, "UPDATE users SET disabled = ?2 WHERE name = ?1", "ti", name,
				  (int64_t)(disabled != 0));
	if (rc >= 0 && disabled)
		rc = vg_auth_exec(a, err, "DELETE FROM sessions WHERE user = ?1", "t", name);
	return rc < 0 ? rc : 0;
}

int vg_auth_user_disable(vg_auth *a, const char *name, int disabled, vg_err *err)
{
	int rc = vg_auth_check_name(name, err);
	if (rc)
		return rc;
	pthread_mutex_lock(&a->mu);
	rc = vg_auth_begin(a, err);
	if (rc == 0)
		rc = vg_auth_end(a, disable_tx(a, name, disabled, err), err);
	pthread_mutex_unlock(&a->mu);
	return rc;
}

/* The body of vg_auth_user_list, with the mutex held. */
static int user_list_locked(vg_auth *a, vg_auth_user_info **out, size_t *n, vg_err *err)
{
	sqlite3_stmt *st;
	int rc = vg_auth_query(a, &st, err,
			       "SELECT name, role, created, disabled FROM users ORDER BY name", "");
	size_t cap = 0;
	while (rc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		vg_grow(out, &cap, *n + 1, sizeof **out);
		vg_auth_user_info *u = &(*out)[*n];
		memset(u, 0, sizeof *u);
		vg_auth_text_col(st, 0, u->name, sizeof u->name);
		rc = vg_auth_role_col(a, st, 1, &u->role, err);
		u->created = sqlite3_column_int64(st, 2);
		u->disabled = sqlite3_column_int(st, 3) != 0;
		(*n)++;
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = vg_auth_dberr(a, rc, "listing users", err);
	sqlite3_finalize(st);
	return rc;
}

int vg_auth_user_list(vg_auth *a, vg_auth_user_info **out, size_t *n, vg_err *err)
{
	*out = NULL;
	*n = 0;
	pthread_mutex_lock(&a->mu);
	int rc = user_list_locked(a, out, n, err);
	pthread_mutex_unlock(&a->mu);
	if (rc) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

/* ---- The first admin ---- */

/* The number of enabled admins into *n. */
static int count_admins(vg_auth *a, int64_t *n, vg_err *err)
{
	return query_int(a, "SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0", n, err);
}

/* The body of vg_auth_ensure_admin once the hash is made, in its
 * transaction: another process may have created an admin meanwhile. */
static int ensure_admin_tx(vg_auth *a, char name[VG_AUTH_NAME_MAX + 1], const char *hash,
			   int *created, vg_err *err)
{
	int64_t n = 0;
	int rc = count_admins(a, &n, err);
	if (rc || n > 0)
		return rc;
	for (int k = 1; k < 100; k++) {
		if (k == 1)
			snprintf(name, VG_AUTH_NAME_MAX + 1, "admin");
		else
			snprintf(name, VG_AUTH_NAME_MAX + 1, "admin%d", k);
		vg_err e2 = {0};
		rc = insert_user(a, name, VG_ROLE_ADMIN, hash, &e2);
		if (rc == 0) {
			*created = 1;
			return 0;
		}
		if (rc != VG_EINVAL) {
			*err = e2;
			return rc;
		}
	}
	return vg_seterr(err, VG_ELIMIT, -1, "the names admin .. admin99 are all taken");
}

int vg_auth_ensure_admin(vg_auth *a, char name[VG_AUTH_NAME_MAX + 1],
			 char password[VG_AUTH_GENPW_LEN + 1], int *created, vg_err *err)
{
	*created = 0;
	name[0] = 0;
	password[0] = 0;
	int64_t n = 0;
	pthread_mutex_lock(&a->mu);
	int rc = count_admins(a, &n, err);
	pthread_mutex_unlock(&a->mu);
	if (rc || n > 0)
		return rc;
	char hash[crypto_pwhash_STRBYTES];
	vg_auth_gen_password(password);
	rc = hash_password(a, password, hash, err);
	if (rc == 0) {
		pthread_mutex_lock(&a->mu);
		rc = vg_auth_begin(a, err);
		if (rc == 0)
			rc = vg_auth_end(a, ensure_admin_tx(a, name, hash, created, err), err);
		pthread_mutex_unlock(&a->mu);
	}
	sodium_memzero(hash, sizeof hash);
	if (rc || !*created) {
		*created = 0;
		name[0] = 0;
		sodium_memzero(password, VG_AUTH_GENPW_LEN + 1);
	}
	return rc;
}
