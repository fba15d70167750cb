/*
 * srv.h — what the server's files share: the server object, one request,
 * and the helpers handlers answer with. Not an interface for other
 * modules (that is server.h).
 *
 * A request lives in its own arena: everything a handler allocates for it
 * (query strings, response bodies) is freed at once when the response has
 * been sent, nginx's pool per request. Handlers run on the connection's own
 * thread (libmicrohttpd, thread per connection) and may block: waiting
 * for the writer's commit, or for a query.
 */
#ifndef VG_SRV_H
#define VG_SRV_H

#include <microhttpd.h>
#include <sys/socket.h>
#include <stdatomic.h>
#include <stdint.h>

#include "query/exec.h"
#include "server/auth.h"
#include "server/server.h"
#include "server/writer.h"
#include "util/mem.h"


typedef struct vg_metrics {
	_Atomic uint64_t requests, requests_4xx, requests_5xx;
	_Atomic uint64_t auth_failures;
	_Atomic uint64_t logins_throttled;     /* answered 429 (api_auth.c) */
	_Atomic uint64_t queries, query_errors, queries_refused;
	_Atomic uint64_t query_ns_total;
	_Atomic uint64_t query_buckets[12];   /* latency histogram, see metrics.c */
	_Atomic uint64_t ingest_requests, ingest_refused, ingest_bytes;
	_Atomic uint64_t syslog_messages, syslog_connections;
	_Atomic uint64_t syslog_udp_dropped;   /* messages, by the disk budget */
	_Atomic int running_queries;
} vg_metrics;

struct vg_auth;
struct vg_login_limit;

typedef struct vg_server {
	vg_server_opts o;
	vg_store *st;
	vg_writer *w;
	struct vg_auth *auth;
	struct vg_login_limit *logins;   /* failed logins by user and address (login_limit.h) */
	struct MHD_Daemon *mhd;
	vg_metrics m;
	int64_t started_ns;
	_Atomic int stop;
	_Atomic int connections;      /* open HTTP connections */
	struct vg_geo *geo;           /* iplocation's databases, or NULL ... */
	vg_err geo_err;               /* ... and why (said by queries that need it) */
	char *lookups_dir;            /* <data>/lookups: lookup's tables */
} vg_server;

typedef struct vg_req {
	vg_server *s;
	struct MHD_Connection *conn;
	const char *method, *url;
	vg_buf body;
	int body_too_large;
	vg_arena arena;
	/* Who is asking (filled before the handler runs). */
	vg_role role;
	const char *user;          /* user or token name, for logs */
	int via_session;           /* authenticated by cookie: CSRF applies */
	vg_auth_session sess;      /* when via_session */
	int answered;
	unsigned status;
	const char *set_cookie;    /* a Set-Cookie header for the answer */
	const char *hdr_name;      /* one more header for the answer, or NULL */
	const char *hdr_value;
	unsigned retry_after;      /* seconds for a 429/503's Retry-After; 0: 1 */
} vg_req;

/* Answer with body (copied), status and content type. Returns 0. */
int vg_reply(vg_req *r, unsigned status, const char *ctype, const void *body, size_t len);
/* Answer {"error": msg} with status; for 429/503 adds Retry-After
 * (r->retry_after seconds, 1 when unset). */
int vg_reply_error(vg_req *r, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The status an error code maps to (EINVAL 400, ELIMIT 413/408...). */
unsigned vg_status_of(int code);
/* A query-string argument, or NULL. */
const char *vg_arg(vg_req *r, const char *name);
/* A request header, or NULL. */
const char *vg_header(vg_req *r, const char *name);

/* What a route needs of the caller. */
typedef enum {
	VG_PERM_NONE,       /* anyone: /healthz */
	VG_PERM_LOGIN,      /* anyone, with a password: the login itself */
	VG_PERM_ANY,        /* any authenticated caller */
	VG_PERM_INGEST,
	VG_PERM_SEARCH,
	VG_PERM_METRICS,
	VG_PERM_ADMIN_USERS,
	VG_PERM_ADMIN_TOKENS,
} vg_perm;

/* Who is asking: fills r->role, r->user, r->via_session from the
 * Authorization header (Bearer, Splunk, Basic with the token as password,
 * ApiKey) or the session cookie. Returns 0, or answers 401 itself and
 * returns < 0. (api_auth.c) */
int vg_srv_authenticate(vg_req *r);
/* 1 if r's role may do what perm names. */
int vg_srv_allows(const vg_req *r, vg_perm perm);
/* A state-changing request by cookie must carry the session's CSRF token:
 * 0 if it does (or no cookie is involved), else answers 403. */
int vg_srv_check_csrf(vg_req *r);
int vg_srv_auth_open(vg_server *s, vg_err *err);
void vg_srv_auth_close(vg_server *s);

/* The other products' ingest APIs (api_proto.c): sets *perm and *fn for
 * a request on one of their paths and returns 0, else -1. */
int vg_srv_proto_route(vg_req *r, vg_perm *perm, int (**fn)(vg_req *r));

/* Handlers (api_*.c). */
int vg_api_login(vg_req *r);
int vg_api_logout(vg_req *r);
int vg_api_me(vg_req *r);
int vg_api_users(vg_req *r);
int vg_api_tokens(vg_req *r);
int vg_api_search(vg_req *r);
/* The options every search the server runs starts from: all time, now,
 * the query time limit, GeoIP and lookup tables (api_search.c). */
void vg_srv_exec_opts(const vg_server *s, vg_exec_opts *eo);
int vg_api_fields(vg_req *r);
int vg_api_tail(vg_req *r);
int vg_api_ingest(vg_req *r);
int vg_api_metrics(vg_req *r);

/* Run a job through the writer. Returns 0 when the job ran and whatever
 * it appended is durable: the caller answers, after looking at job->rc
 * (the decoder's verdict). Otherwise has answered itself — 429 when the
 * queue is full, 503 when the commit failed — and returns the error. */
int vg_srv_ingest_job(vg_req *r, vg_job *job);

/* The body, inflated when Content-Encoding says gzip (r->body is replaced);
 * on failure answers 415/413/400 and returns < 0. */
int vg_srv_body(vg_req *r, const char **p, size_t *n);
/* The peer's address as text ("" if unknown). */
void vg_srv_peer(vg_req *r, char *out, size_t cap);
/* Parse "ADDR:PORT" ("[v6]:PORT" for IPv6). */
struct sockaddr_storage;
int vg_parse_listen(const char *spec, struct sockaddr_storage *sa, socklen_t *len, vg_err *err);

/* Metrics helpers. */
void vg_metrics_query_done(vg_metrics *m, int64_t took_ns, int failed);

#endif
