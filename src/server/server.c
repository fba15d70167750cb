/*
 * server.c — the HTTP front of `vigil server`: libmicrohttpd, routing,
 * limits, and the process's start and orderly stop.
 *
 * Threads: libmicrohttpd runs one thread per connection (handlers block on
 * the writer's commits and on queries, which is simplest with a thread of
 * their own; the connection limit bounds them), the writer thread
 * (writer.c), the syslog listeners (syslog_srv.c), the RELP engine
 * (relp_srv.c), the file tailer (tailer.c), and the main thread,
 * which waits for SIGINT/SIGTERM.
 *
 * A request: libmicrohttpd calls the access handler first with the
 * headers (we allocate the request, refuse a declared body over the
 * limit), then with pieces of the body (appended up to the limit), then
 * once more with none: authenticate, check CSRF for state changes by
 * cookie, find the route, run the handler. Every answer a handler gives
 * goes through vg_reply, which also counts it.
 *
 * Stopping: the daemon stops accepting and joins its connection threads
 * (running requests finish: a handler waiting for a commit gets its
 * answer), then the writer commits what is queued, then the store closes.
 */
#include "server/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "query/geo.h"
#include "server/proto.h"
#include "server/srv.h"
#include "server/relp_srv.h"
#include "server/syslog_srv.h"
#include "server/tailer.h"
#include "util/timeutil.h"

void vg_server_defaults(vg_server_opts *o)
{
	memset(o, 0, sizeof *o);
	o->data = "./data";
	o->listen = "127.0.0.1:8080";
	o->max_body = 64u << 20;
	o->max_queue = 256u << 20;
	o->max_connections = 256;
	o->max_queries = 4;
	o->seal_bytes = 96u << 20;
	o->min_free = 512u << 20;
	o->query_timeout_ns = 30 * (int64_t)1000000000;
}

/* ------------------------------------------------------------ replies */

unsigned vg_status_of(int code)
{
	switch (code) {
	case VG_EINVAL: return 400;
	case VG_ENOTFOUND: return 404;
	case VG_ELIMIT: return 413;
	case VG_EBUSY: return 429;
	default: return 500;
	}
}

int vg_reply(vg_req *r, unsigned status, const char *ctype, const void *body, size_t len)
{
	if (r->answered)
		return 0;
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return VG_ENOMEM;
	if (ctype)
		MHD_add_response_header(resp, "Content-Type", ctype);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (status == 429 || status == 503) {
		char ra[16];
		snprintf(ra, sizeof ra, "%u", r->retry_after ? r->retry_after : 1);
		MHD_add_response_header(resp, "Retry-After", ra);
	}
	if (r->hdr_name)
		MHD_add_response_header(resp, r->hdr_name, r->hdr_value);
	if (r->set_cookie)
		MHD_add_response_header(resp, "Set-Cookie", r->set_cookie);
	if (status == 401)
		MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"vigil\"");
	MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	r->answered = 1;
	r->status = status;
	return 0;
}

int vg_reply_error(vg_req *r, unsigned status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	vg_buf b = {0};
	vg_buf_puts(&b, "{\"error\":");
	vg_proto_json_str(&b, msg, strlen(msg));
	vg_buf_puts(&b, "}\n");
	vg_reply(r, status, "application/json", b.p, b.len);
	vg_buf_free(&b);
	return 0;
}

const char *vg_arg(vg_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *vg_header(vg_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

/* ------------------------------------------------------------ routing */

typedef int (*handler_fn)(vg_req *r);

typedef struct route {
	const char *method;     /* NULL: any */
	const char *path;       /* exact, or a prefix when it ends in '*' */
	handler_fn fn;
	vg_perm perm;
	int state_change;       /* CSRF applies to cookie sessions */
} route;

static int api_healthz(vg_req *r)
{
	return vg_reply(r, 200, "text/plain; charset=utf-8", "ok\n", 3);
}

static const route routes[] = {
	{"GET", "/healthz", api_healthz, VG_PERM_NONE, 0},
	{"HEAD", "/healthz", api_healthz, VG_PERM_NONE, 0},
	{"POST", "/api/v1/login", vg_api_login, VG_PERM_LOGIN, 0},
	{"POST", "/api/v1/logout", vg_api_logout, VG_PERM_ANY, 1},
	{"GET", "/api/v1/me", vg_api_me, VG_PERM_ANY, 0},
	{"GET", "/api/v1/search", vg_api_search, VG_PERM_SEARCH, 0},
	{"POST", "/api/v1/search", vg_api_search, VG_PERM_SEARCH, 0},
	{"GET", "/api/v1/fields", vg_api_fields, VG_PERM_SEARCH, 0},
	{"GET", "/api/v1/tail", vg_api_tail, VG_PERM_SEARCH, 0},
	{"POST", "/api/v1/ingest", vg_api_ingest, VG_PERM_INGEST, 1},
	{"GET", "/metrics", vg_api_metrics, VG_PERM_METRICS, 0},
	{NULL, "/api/v1/users*", vg_api_users, VG_PERM_ADMIN_USERS, 1},
	{NULL, "/api/v1/tokens*", vg_api_tokens, VG_PERM_ADMIN_TOKENS, 1},
};


static const route *find_route(const char *method, const char *url, int *method_mismatch)
{
	*method_mismatch = 0;
	for (size_t k = 0; k < sizeof routes / sizeof *routes; k++) {
		const route *rt = &routes[k];
		size_t n = strlen(rt->path);
		int match = rt->path[n - 1] == '*' ? strncmp(url, rt->path, n - 1) == 0
						   : strcmp(url, rt->path) == 0;
		if (!match)
			continue;
		if (rt->method && strcmp(rt->method, method) != 0) {
			*method_mismatch = 1;
			continue;
		}
		return rt;
	}
	return NULL;
}

static int is_state_change(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
	       strcmp(method, "OPTIONS") != 0;
}

static void dispatch(vg_req *r)
{
	vg_server *s = r->s;
	int mismatch = 0;
	const route *rt = find_route(r->method, r->url, &mismatch);
	handler_fn fn = NULL;
	vg_perm perm = VG_PERM_ANY;
	int state_change = 0;
	if (rt) {
		fn = rt->fn;
		perm = rt->perm;
		state_change = rt->state_change;
	} else if (vg_srv_proto_route(r, &perm, &fn) == 0) {
		state_change = is_state_change(r->method);
	}
	if (perm != VG_PERM_NONE && perm != VG_PERM_LOGIN) {
		/* Authentication comes before "not found": nothing but
		 * /healthz says anything to a stranger. */
		if (vg_srv_authenticate(r) != 0) {
			atomic_fetch_add(&s->m.auth_failures, 1);
			return;
		}
		if (fn == NULL) {
			if (mismatch)
				vg_reply_error(r, 405, "method %s not allowed on %s", r->method, r->url);
			else
				vg_reply_error(r, 404, "no such endpoint: %s %s", r->method, r->url);
			return;
		}
		if (!vg_srv_allows(r, perm)) {
			vg_reply_error(r, 403, "your role may not use %s %s", r->method, r->url);
			return;
		}
		if (state_change && r->via_session && vg_srv_check_csrf(r) != 0)
			return;
	}
	if (r->body_too_large) {
		vg_reply_error(r, 413, "request body over the limit of %llu bytes",
			       (unsigned long long)s->o.max_body);
		return;
	}
	fn(r);
	if (!r->answered)
		vg_reply_error(r, 500, "the handler gave no answer");
}

/* ------------------------------------------------------------ libmicrohttpd */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	(void)version;
	vg_server *s = cls;
	vg_req *r = *con_cls;
	if (r == NULL) {
		r = vg_xcalloc(1, sizeof *r);
		r->s = s;
		r->conn = conn;
		r->method = method;
		r->url = url;
		*con_cls = r;
		atomic_fetch_add(&s->m.requests, 1);
		if (atomic_load(&s->connections) > (int)s->o.max_connections) {
			vg_reply_error(r, 503, "too many connections (limit %u); retry in a moment",
				       s->o.max_connections);
			return MHD_YES;
		}
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		if (cl && strtoull(cl, NULL, 10) > s->o.max_body)
			r->body_too_large = 1;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!r->body_too_large) {
			if (r->body.len + *upload_size > s->o.max_body) {
				r->body_too_large = 1;
				vg_buf_free(&r->body);
			} else {
				vg_buf_put(&r->body, upload, *upload_size);
			}
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (!r->answered)
		dispatch(r);
	return MHD_YES;
}

static void on_done(void *cls, struct MHD_Connection *conn, void **con_cls,
		    enum MHD_RequestTerminationCode toe)
{
	(void)conn;
	(void)toe;
	vg_server *s = cls;
	vg_req *r = *con_cls;
	if (r == NULL)
		return;
	if (r->status >= 500)
		atomic_fetch_add(&s->m.requests_5xx, 1);
	else if (r->status >= 400)
		atomic_fetch_add(&s->m.requests_4xx, 1);
	vg_buf_free(&r->body);
	vg_arena_free(&r->arena);
	free(r);
	*con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	(void)conn;
	(void)socket_context;
	vg_server *s = cls;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		atomic_fetch_add(&s->connections, 1);
	else
		atomic_fetch_sub(&s->connections, 1);
}

/* Parse "ADDR:PORT" ("[v6]:PORT" for IPv6) into sa. */
int vg_parse_listen(const char *spec, struct sockaddr_storage *sa, socklen_t *len, vg_err *err)
{
	char host[256];
	const char *colon = strrchr(spec, ':');
	if (colon == NULL || colon == spec || (size_t)(colon - spec) >= sizeof host)
		return vg_seterr(err, VG_EINVAL, -1, "listen address '%s' is not ADDR:PORT", spec);
	char *end;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (colon[1] == 0 || *end || port > 65535)
		return vg_seterr(err, VG_EINVAL, -1, "bad port in '%s'", spec);
	size_t hl = (size_t)(colon - spec);
	memcpy(host, spec, hl);
	host[hl] = 0;
	memset(sa, 0, sizeof *sa);
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		host[hl - 1] = 0;
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			return vg_seterr(err, VG_EINVAL, -1, "bad IPv6 address in '%s'", spec);
		*len = sizeof *s6;
		return 0;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	if (strcmp(host, "localhost") == 0)
		strcpy(host, "127.0.0.1");
	if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
		return vg_seterr(err, VG_EINVAL, -1, "bad IPv4 address in '%s'", spec);
	*len = sizeof *s4;
	return 0;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	fputs("vigil server: ", stderr);
	vfprintf(stderr, fmt, ap);
}

static int start_http(vg_server *s, vg_err *err)
{
	struct sockaddr_storage sa;
	socklen_t salen;
	int rc = vg_parse_listen(s->o.listen, &sa, &salen, err);
	if (rc)
		return rc;
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_ERROR_LOG;
	if (sa.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
				  MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				  MHD_OPTION_NOTIFY_COMPLETED, on_done, s,
				  MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
				  /* Past max_connections a client still gets an
				   * answer (503); past this, the kernel's backlog. */
				  MHD_OPTION_CONNECTION_LIMIT, s->o.max_connections + 64,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64u << 10),
				  MHD_OPTION_CONNECTION_TIMEOUT, 120u,
				  MHD_OPTION_END);
	if (s->mhd == NULL)
		return vg_seterr(err, VG_EIO, -1, "cannot listen on %s: %s", s->o.listen,
				 strerror(errno ? errno : EADDRINUSE));
	return 0;
}

/* ------------------------------------------------------------ run */

/* What queries' iplocation and lookup read: the GeoIP databases, opened
 * once and shared (read-only); without them the server runs every other
 * query, and one using iplocation says why. Lookup tables are read per
 * query from <data>/lookups. */
static void open_query_data(vg_server *s, const vg_server_opts *o)
{
	vg_geo_opts go = {.mmdb_city = o->geoip, .mmdb_asn = o->geoip_asn};
	if (vg_geo_open(&go, &s->geo, &s->geo_err) != 0) {
		s->geo = NULL;
		fprintf(stderr, "vigil server: iplocation is off: %s\n", s->geo_err.msg);
	}
	vg_buf b = {0};
	vg_buf_printf(&b, "%s/lookups", o->data);
	s->lookups_dir = vg_xstrndup((const char *)b.p, b.len);
	vg_buf_free(&b);
}

int vg_server_run(const vg_server_opts *o, vg_err *err)
{
	vg_server *s = vg_xcalloc(1, sizeof *s);
	s->o = *o;
	s->started_ns = vg_now_ns();
	/* Signals go to the main thread's sigwait only; every thread started
	 * from here inherits the mask. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	vg_store_opts so;
	vg_store_defaults(&so);
	/* A server lives with its memtable: seal earlier than a bulk load
	 * would, so memory stays within a small machine's budget. */
	so.seal_bytes = o->seal_bytes;
	int rc = vg_store_open(o->data, &so, &s->st, err);
	if (rc == 0)
		open_query_data(s, o);
	if (rc == 0)
		rc = vg_srv_auth_open(s, err);
	if (rc == 0)
		rc = vg_writer_start(s->st, o->max_queue, &s->w, err);
	if (rc == 0)
		vg_writer_set_disk_budget(s->w, o->data, o->min_free, o->test_free_file);
	if (rc == 0)
		rc = start_http(s, err);
	vg_syslog_srv *syl = NULL;
	if (rc == 0 && (o->syslog_tcp || o->syslog_udp || o->syslog_tls))
		rc = vg_syslog_srv_start(s, &syl, err);
	vg_relp_srv *relp = NULL;
	if (rc == 0 && o->relp)
		rc = vg_relp_srv_start(s, &relp, err);
	vg_tailer *tail = NULL;
	if (rc == 0 && o->ntail) {
		vg_tailer_opts to;
		vg_tailer_defaults(&to);
		to.specs = o->tail;
		to.nspecs = o->ntail;
		rc = vg_tailer_new(s->w, &to, &tail, err);
		if (rc == 0)
			rc = vg_tailer_start(tail, err);
	}
	if (rc == 0) {
		printf("vigil server: listening on http://%s/ (store %s)\n", o->listen, o->data);
		if (o->syslog_tcp)
			printf("vigil server: syslog over TCP on %s\n", o->syslog_tcp);
		if (o->syslog_udp)
			printf("vigil server: syslog over UDP on %s\n", o->syslog_udp);
		if (o->syslog_tls)
			printf("vigil server: syslog over TLS on %s\n", o->syslog_tls);
		if (o->relp)
			printf("vigil server: RELP on %s\n", o->relp);
		for (size_t k = 0; k < o->ntail; k++)
			printf("vigil server: tailing %s\n", o->tail[k].path);
		fflush(stdout);
		int sig = 0;
		while (sig != SIGINT && sig != SIGTERM)
			sigwait(&sigs, &sig);
		fprintf(stderr, "vigil server: stopping (signal %d)\n", sig);
	}
	atomic_store(&s->stop, 1);
	vg_syslog_srv_stop(syl);
	vg_relp_srv_stop(relp);        /* before the writer: it waits for commits */
	vg_tailer_free(tail);          /* likewise */
	if (s->mhd)
		MHD_stop_daemon(s->mhd);
	vg_writer_stop(s->w);
	vg_srv_auth_close(s);
	vg_geo_close(s->geo);
	free(s->lookups_dir);
	vg_err cerr = {0};
	int crc = s->st ? vg_store_close(s->st, &cerr) : 0;
	if (rc == 0 && crc) {
		rc = crc;
		*err = cerr;
	}
	free(s);
	return rc;
}
