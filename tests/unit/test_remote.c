/* test_remote.c — the command line's client for a server (cli/remote.h):
 * choosing --data or --url (flags and VIGIL_URL / VIGIL_TOKEN), the
 * messages for each kind of failure, the backoff, and — against a scripted
 * HTTP server on 127.0.0.1 in a thread — the bearer token, escaped
 * arguments, retries on 429 (and on 503 only when idempotent), and how
 * `vigil ingest --url` cuts inputs into bodies: on line boundaries under
 * VG_REMOTE_BODY, the VPC flow header repeated in front of later bodies, a
 * small .gz file sent as it is, documents whole, the format and mtime
 * named in every request. */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "cli/remote.h"

/* ---------- a scripted HTTP server ---------- */

#define MAX_REQS 16

typedef struct fake_req {
	char head[4096];      /* request line and headers */
	char *body;
	size_t len;
} fake_req;

typedef struct fake {
	int fd;
	int port;
	pthread_t th;
	/* Answers to give, in order (status, extra header line or "", body);
	 * after the script: 200 with {"stored": lines of the body}. */
	const char *const *script;
	size_t nscript;
	size_t limit;          /* bodies larger get 413, as a server's max_body */
	fake_req reqs[MAX_REQS];
	size_t nreqs;
	size_t nlarge;         /* requests answered 413 (not recorded) */
} fake;

/* Read one request from c into r; 0, or -1 when the peer closed. */
static int read_req(int c, fake_req *r)
{
	size_t n = 0;
	char *end = NULL;
	while (end == NULL) {
		if (n + 1 >= sizeof r->head)
			return -1;
		ssize_t k = recv(c, r->head + n, sizeof r->head - 1 - n, 0);
		if (k <= 0)
			return -1;
		n += (size_t)k;
		r->head[n] = 0;
		end = strstr(r->head, "\r\n\r\n");
	}
	size_t hlen = (size_t)(end + 4 - r->head);
	const char *cl = strcasestr(r->head, "\r\nContent-Length:");
	r->len = cl ? strtoul(cl + 17, NULL, 10) : 0;
	r->body = malloc(r->len + 1);
	size_t got = n - hlen;
	memcpy(r->body, r->head + hlen, got);
	r->head[hlen] = 0;
	if (strcasestr(r->head, "\r\nExpect: 100-continue"))
		send(c, "HTTP/1.1 100 Continue\r\n\r\n", 25, MSG_NOSIGNAL);
	while (got < r->len) {
		ssize_t k = recv(c, r->body + got, r->len - got, 0);
		if (k <= 0) {
			free(r->body);
			r->body = NULL;
			return -1;
		}
		got += (size_t)k;
	}
	r->body[r->len] = 0;
	return 0;
}

static void answer(int c, int status, const char *hdr, const char *body)
{
	char out[8192];
	int n = snprintf(out, sizeof out,
			 "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n%s%s\r\n%s",
			 status, strlen(body), hdr, hdr[0] ? "\r\n" : "", body);
	send(c, out, (size_t)n, MSG_NOSIGNAL);
}

static void *fake_run(void *arg)
{
	fake *f = arg;
	for (;;) {
		int c = accept(f->fd, NULL, NULL);
		if (c < 0)
			return NULL;
		fake_req *r = &f->reqs[f->nreqs < MAX_REQS ? f->nreqs : MAX_REQS - 1];
		r->body = NULL;
		if (read_req(c, r) == 0 && f->limit && r->len > f->limit) {
			answer(c, 413, "", "{\"error\":\"request body over the limit\"}");
			free(r->body);
			f->nlarge++;
		} else if (r->body) {
			size_t k = f->nreqs++;
			if (k < f->nscript) {
				const char *const *s = &f->script[3 * k];
				answer(c, atoi(s[0]), s[1], s[2]);
			} else {
				size_t lines = 0;
				for (size_t i = 0; i < r->len; i++)
					lines += r->body[i] == '\n';
				char b[64];
				snprintf(b, sizeof b, "{\"stored\":%zu,\"parse_errors\":0}", lines);
				answer(c, 200, "", b);
			}
		}
		close(c);
	}
}

/* Start a fake server answering script (triples) first. */
static void fake_start(fake *f, const char *const *script, size_t nscript)
{
	memset(f, 0, sizeof *f);
	f->script = script;
	f->nscript = nscript;
	f->fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof sa;
	assert_int_equal(bind(f->fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(f->fd, 8), 0);
	getsockname(f->fd, (struct sockaddr *)&sa, &sl);
	f->port = ntohs(sa.sin_port);
	pthread_create(&f->th, NULL, fake_run, f);
}

/* Stop the server; the requests it recorded stay for the test to look at. */
static void fake_stop(fake *f)
{
	shutdown(f->fd, SHUT_RDWR);
	close(f->fd);
	pthread_join(f->th, NULL);
}

/* Free the recorded requests. */
static void fake_free(fake *f)
{
	for (size_t k = 0; k < f->nreqs && k < MAX_REQS; k++)
		free(f->reqs[k].body);
	f->nreqs = 0;
}

static vg_remote *client(const fake *f, const char *token)
{
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/", f->port);
	vg_remote *rm;
	vg_err e = {0};
	assert_int_equal(vg_remote_open(url, token, &rm, &e), 0);
	return rm;
}

/* ---------- choosing --data or --url ---------- */

static void test_pick(void **state)
{
	(void)state;
	vg_remote *rm = (vg_remote *)1;
	vg_err e = {0};
	unsetenv("VIGIL_URL");
	unsetenv("VIGIL_TOKEN");
	/* Nothing given: the embedded store. */
	assert_int_equal(vg_remote_pick(NULL, NULL, NULL, &rm, &e), 0);
	assert_null(rm);
	assert_int_equal(vg_remote_pick("d", NULL, NULL, &rm, &e), 0);
	assert_null(rm);
	assert_int_equal(vg_remote_pick("d", "http://h:1", "t", &rm, &e), VG_EINVAL);
	assert_non_null(strstr(e.msg, "not both"));
	assert_int_equal(vg_remote_pick("d", NULL, "t", &rm, &e), VG_EINVAL);
	assert_non_null(strstr(e.msg, "--token goes with --url"));
	assert_int_equal(vg_remote_pick(NULL, "http://h:1", NULL, &rm, &e), VG_EINVAL);
	assert_non_null(strstr(e.msg, "VIGIL_TOKEN"));
	assert_int_equal(vg_remote_pick(NULL, "h:1", "t", &rm, &e), VG_EINVAL);
	assert_string_equal(e.msg, "--url takes http://HOST:PORT or https://HOST:PORT, not 'h:1'");
	assert_int_equal(vg_remote_pick(NULL, "http://h:1", "vgt_a b", &rm, &e), VG_EINVAL);
	assert_int_equal(vg_remote_pick(NULL, "https://h:1/", "vgt_x", &rm, &e), 0);
	assert_non_null(rm);
	assert_string_equal(vg_remote_url(rm), "https://h:1");
	vg_remote_close(rm);
	/* The environment stands in for the flags; --data wins over it. */
	setenv("VIGIL_URL", "http://env:2", 1);
	setenv("VIGIL_TOKEN", "vgt_env", 1);
	assert_int_equal(vg_remote_pick(NULL, NULL, NULL, &rm, &e), 0);
	assert_non_null(rm);
	assert_string_equal(vg_remote_url(rm), "http://env:2");
	vg_remote_close(rm);
	assert_int_equal(vg_remote_pick("d", NULL, NULL, &rm, &e), 0);
	assert_null(rm);
	unsetenv("VIGIL_URL");
	unsetenv("VIGIL_TOKEN");
}

/* ---------- messages and backoff ---------- */

static void check_status(long status, const char *body, int code, const char *msg)
{
	vg_err e = {0};
	assert_int_equal(vg_remote_status_err(status, body, body ? strlen(body) : 0, "http://s:1",
					      &e), code);
	assert_int_equal(e.code, code);
	assert_string_equal(e.msg, msg);
}

static void test_status_errors(void **state)
{
	(void)state;
	vg_err e = {0};
	/* A bad query reads as it does with --data, position kept. */
	const char *q = "{\"error\":\"missing field after 'by' at 18\",\"position\":18}\n";
	assert_int_equal(vg_remote_status_err(400, q, strlen(q), "u", &e), VG_EINVAL);
	assert_string_equal(e.msg, "missing field after 'by' at 18");
	assert_int_equal(e.pos, 18);
	check_status(401, "{\"error\":\"invalid or revoked token\"}", VG_EINVAL,
		     "the server refused the token (401): invalid or revoked token");
	check_status(401, NULL, VG_EINVAL, "the server refused the token (401)");
	check_status(403, "{\"error\":\"your role may not use GET /api/v1/search\"}", VG_EINVAL,
		     "the token's role may not do this (403): your role may not use GET /api/v1/search");
	check_status(404, "{\"error\":\"no such endpoint\"}", VG_ENOTFOUND,
		     "http://s:1 answered 404: no such endpoint: is it a vigil server?");
	check_status(408, "{\"error\":\"the query ran out of time\"}", VG_ELIMIT,
		     "the query ran out of time");
	check_status(413, "{\"error\":\"request body over the limit of 1048576 bytes\"}", VG_EINVAL,
		     "request body over the limit of 1048576 bytes");
	check_status(429, "{\"error\":\"4 queries are running\"}", VG_EBUSY,
		     "the server is busy (429): 4 queries are running");
	check_status(500, "boom\nmore", VG_EIO, "the server failed (500): boom");
	check_status(503, "{\"error\":\"disk full\"}", VG_EIO,
		     "the server is unavailable (503): disk full");
	check_status(400, "", VG_EINVAL, "the server refused the request (400)");
	check_status(302, "", VG_EINVAL,
		     "http://s:1 answered 302, a redirect, which vigil does not follow (it would "
		     "carry the token): give --url the final address");
}

static void test_backoff(void **state)
{
	(void)state;
	assert_int_equal(vg_remote_backoff_ms("3", 0), 3000);
	assert_int_equal(vg_remote_backoff_ms("0", 4), 0);
	assert_int_equal(vg_remote_backoff_ms("3600", 0), 30000);   /* bounded */
	assert_int_equal(vg_remote_backoff_ms(NULL, 0), 250);
	assert_int_equal(vg_remote_backoff_ms("", 1), 500);
	assert_int_equal(vg_remote_backoff_ms("Wed, 21 Oct 2015 07:28:00 GMT", 2), 1000);
	assert_int_equal(vg_remote_backoff_ms("-1", 3), 2000);
	assert_int_equal(vg_remote_backoff_ms(NULL, 5), 8000);
	assert_int_equal(vg_remote_backoff_ms(NULL, 40), 8000);
}

/* ---------- against the fake server ---------- */

static void test_unreachable(void **state)
{
	(void)state;
	/* A port nobody listens on: bound, then closed. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof sa;
	bind(fd, (struct sockaddr *)&sa, sizeof sa);
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	close(fd);
	char url[64], want[128];
	snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(sa.sin_port));
	snprintf(want, sizeof want, "cannot reach %s: connection refused", url);
	vg_remote *rm;
	vg_err e = {0};
	assert_int_equal(vg_remote_open(url, "vgt_t", &rm, &e), 0);
	vg_http_call c = {.method = "GET", .path = "/api/v1/search"};
	vg_http_answer a;
	assert_int_equal(vg_remote_call(rm, &c, &a, &e), VG_EIO);
	assert_string_equal(e.msg, want);
	assert_int_equal(a.status, 0);
	vg_http_answer_free(&a);
	vg_remote_close(rm);
}

static void test_get_token_args_note(void **state)
{
	(void)state;
	static const char *const script[] = {
		"200", "X-Vigil-Note: (9 events matched; the newest 1 shown: --limit N shows more)",
		"row\n",
	};
	fake f;
	fake_start(&f, script, 1);
	vg_remote *rm = client(&f, "vgt_secret");
	const char *args[] = {"q", "a b&c=d | stats count", "cw", NULL, "format", "csv", NULL};
	vg_http_call c = {.method = "GET", .path = "/api/v1/search", .args = args};
	vg_http_answer a;
	vg_err e = {0};
	assert_int_equal(vg_remote_call(rm, &c, &a, &e), 0);
	assert_int_equal(a.status, 200);
	assert_int_equal(a.body.len, 4);
	assert_memory_equal(a.body.p, "row\n", 4);
	assert_string_equal(a.note, "(9 events matched; the newest 1 shown: --limit N shows more)");
	vg_http_answer_free(&a);
	vg_remote_close(rm);
	fake_stop(&f);
	assert_int_equal(f.nreqs, 1);
	/* Escaped values, a NULL value's pair left out, the bearer token. */
	assert_non_null(strstr(f.reqs[0].head, "GET /api/v1/search?q=a%20b%26c%3Dd%20%7C%20stats%20count"
					       "&format=csv HTTP/1.1\r\n"));
	assert_non_null(strstr(f.reqs[0].head, "\r\nAuthorization: Bearer vgt_secret\r\n"));
	fake_free(&f);
}

static void test_retry_429(void **state)
{
	(void)state;
	static const char *const script[] = {
		"429", "Retry-After: 0", "{\"error\":\"busy\"}",
		"429", "Retry-After: 0", "{\"error\":\"busy\"}",
		"200", "", "{\"ok\":1}",
	};
	fake f;
	fake_start(&f, script, 3);
	vg_remote *rm = client(&f, "t");
	vg_http_call c = {.method = "POST", .path = "/api/v1/ingest", .body = "x\n", .len = 2};
	vg_http_answer a;
	vg_err e = {0};
	assert_int_equal(vg_remote_call(rm, &c, &a, &e), 0);
	assert_int_equal(a.tries, 3);
	assert_int_equal(a.status, 200);
	vg_http_answer_free(&a);
	vg_remote_close(rm);
	fake_stop(&f);
	assert_int_equal(f.nreqs, 3);
	assert_string_equal(f.reqs[2].body, "x\n");
	fake_free(&f);
}

static void test_retry_bounded(void **state)
{
	(void)state;
	const char *busy[3 * VG_REMOTE_TRIES + 3];
	for (int k = 0; k < VG_REMOTE_TRIES + 1; k++) {
		busy[3 * k] = "429";
		busy[3 * k + 1] = "Retry-After: 0";
		busy[3 * k + 2] = "{\"error\":\"queue full\"}";
	}
	fake f;
	fake_start(&f, busy, VG_REMOTE_TRIES + 1);
	vg_remote *rm = client(&f, "t");
	vg_http_call c = {.method = "GET", .path = "/x"};
	vg_http_answer a;
	vg_err e = {0};
	assert_int_equal(vg_remote_call(rm, &c, &a, &e), VG_EBUSY);
	assert_int_equal(a.tries, VG_REMOTE_TRIES);
	assert_non_null(strstr(e.msg, "the server is busy (429): queue full (still busy after 6 tries"));
	vg_http_answer_free(&a);
	vg_remote_close(rm);
	fake_stop(&f);
	assert_int_equal(f.nreqs, VG_REMOTE_TRIES);
	fake_free(&f);
}

static void test_503_only_idempotent(void **state)
{
	(void)state;
	static const char *const script[] = {
		"503", "Retry-After: 0", "{\"error\":\"events could not be made durable\"}",
		"200", "", "{}",
	};
	fake f;
	fake_start(&f, script, 2);
	vg_remote *rm = client(&f, "t");
	vg_http_call c = {.method = "POST", .path = "/api/v1/ingest", .body = "x", .len = 1};
	vg_http_answer a;
	vg_err e = {0};
	/* An ingest answered 503 may have been stored: not sent again. */
	assert_int_equal(vg_remote_call(rm, &c, &a, &e), VG_EIO);
	assert_int_equal(a.tries, 1);
	assert_string_equal(e.msg,
			    "the server is unavailable (503): events could not be made durable");
	vg_http_answer_free(&a);
	vg_remote_close(rm);
	fake_stop(&f);
	assert_int_equal(f.nreqs, 1);
	fake_free(&f);

	fake_start(&f, script, 2);
	rm = client(&f, "t");
	vg_http_call g = {.method = "GET", .path = "/api/v1/search", .idempotent = 1};
	assert_int_equal(vg_remote_call(rm, &g, &a, &e), 0);
	assert_int_equal(a.tries, 2);
	vg_http_answer_free(&a);
	vg_remote_close(rm);
	fake_stop(&f);
	fake_free(&f);
}

/* ---------- vigil ingest --url ---------- */

static char tmpdir[64];

static int setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/vg_test_remote.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *tmp_path(const char *name)
{
	static char p[2][128];
	static int k;
	k ^= 1;
	snprintf(p[k], sizeof p[k], "%s/%s", tmpdir, name);
	return p[k];
}

/* The value of query argument name in request r's first line, or "". */
static const char *arg_of(const fake_req *r, const char *name, char *out, size_t cap)
{
	char key[32];
	snprintf(key, sizeof key, "%s=", name);
	const char *eol = strstr(r->head, " HTTP/");
	const char *p = strstr(r->head, key);
	out[0] = 0;
	if (p && p < eol && (p[-1] == '?' || p[-1] == '&')) {
		p += strlen(key);
		size_t n = strcspn(p, "& ");
		snprintf(out, cap, "%.*s", (int)n, p);
	}
	return out;
}

static void test_ingest_vpcflow_split(void **state)
{
	(void)state;
	/* A VPC flow log of ~11 MiB with a custom header: two bodies. */
	static const char hdr[] = "version account-id interface-id srcaddr dstaddr srcport dstport "
				  "protocol packets bytes start end action log-status\n";
	const char *path = tmp_path("flow.log");
	FILE *fp = fopen(path, "w");
	fputs(hdr, fp);
	size_t lines = 0;
	for (; lines < 120000; lines++)
		fprintf(fp, "2 123456789010 eni-%06zu 10.0.0.1 10.0.0.2 443 %zu 6 10 840 1700000000 "
			"1700000060 ACCEPT OK\n", lines, 1024 + lines % 60000);
	fclose(fp);
	struct stat sb;
	stat(path, &sb);
	assert_true(sb.st_size > (off_t)VG_REMOTE_BODY);
	fake f;
	fake_start(&f, NULL, 0);
	vg_remote *rm = client(&f, "t");
	vg_ingest_opts o = {.errors = stderr, .group = "g1"};
	vg_ingest_report rep;
	vg_err e = {0};
	char *paths[] = {(char *)path};
	assert_int_equal(vg_remote_ingest(rm, paths, 1, &o, &rep, &e), 0);
	vg_remote_close(rm);
	fake_stop(&f);
	assert_int_equal(f.nreqs, 2);
	size_t total = 0;
	for (size_t k = 0; k < 2; k++) {
		const fake_req *r = &f.reqs[k];
		char v[64];
		assert_true(r->len <= VG_REMOTE_BODY + sizeof hdr);
		assert_int_equal(r->body[r->len - 1], '\n');  /* cut on a line boundary */
		/* Every body starts with the header: the layout of its lines. */
		assert_memory_equal(r->body, hdr, sizeof hdr - 1);
		total += r->len;
		assert_string_equal(arg_of(r, "format", v, sizeof v), "vpcflow");
		assert_string_equal(arg_of(r, "group", v, sizeof v), "g1");
		snprintf(v + 32, 32, "%lld", (long long)sb.st_mtim.tv_sec);
		assert_string_equal(arg_of(r, "mtime", v, 32), v + 32);
		assert_null(strcasestr(r->head, "Content-Encoding"));
	}
	/* Nothing lost or repeated but the one header line. */
	assert_int_equal(total, (size_t)sb.st_size + sizeof hdr - 1);
	/* The report adds up the server's answers (header lines count as
	 * lines in the fake's answer). */
	assert_int_equal(rep.nfiles, 1);
	assert_string_equal(rep.files[0].format, "vpcflow");
	assert_int_equal(rep.files[0].events, lines + 2);
	assert_int_equal(rep.durable, lines + 2);
	assert_int_equal(rep.bytes, (uint64_t)sb.st_size);
	assert_int_equal(rep.files[0].failed, 0);
	vg_ingest_report_free(&rep);
	fake_free(&f);
}

static void test_ingest_gzip_and_documents(void **state)
{
	(void)state;
	/* A small gzip'd syslog file goes as it is; a CloudTrail document whole;
	 * a directory in name order. */
	mkdir(tmp_path("in"), 0700);
	const char *gzp = tmp_path("in/b-auth.log.gz");
	gzFile z = gzopen(gzp, "wb");
	for (int k = 0; k < 100; k++)
		gzprintf(z, "Feb 22 16:45:%02d h sshd[1]: Failed password for root from 1.2.3.4 port 1 ssh2\n",
			 k % 60);
	gzclose(z);
	const char *ct = tmp_path("in/a-trail.json");
	FILE *fp = fopen(ct, "w");
	fputs("{\"Records\":[{\"eventVersion\":\"1.08\",\"eventTime\":\"2024-01-01T00:00:00Z\","
	      "\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"CreateRole\"}]}\n", fp);
	fclose(fp);
	size_t gzlen;
	char *gzbytes = slurp(gzp, &gzlen);
	static const char *const script[] = {
		"200", "", "{\"stored\":1,\"parse_errors\":0,\"format\":\"cloudtrail\"}",
		"200", "", "{\"stored\":100,\"parse_errors\":3,\"format\":\"syslog\"}",
	};
	fake f;
	fake_start(&f, script, 2);
	vg_remote *rm = client(&f, "t");
	vg_ingest_opts o = {.errors = stderr};
	vg_ingest_report rep;
	vg_err e = {0};
	char *paths[] = {(char *)tmp_path("in")};
	assert_int_equal(vg_remote_ingest(rm, paths, 1, &o, &rep, &e), 0);
	vg_remote_close(rm);
	fake_stop(&f);
	assert_int_equal(f.nreqs, 2);
	char v[64];
	assert_string_equal(arg_of(&f.reqs[0], "format", v, sizeof v), "cloudtrail");
	assert_null(strcasestr(f.reqs[0].head, "Content-Encoding"));
	assert_string_equal(arg_of(&f.reqs[1], "format", v, sizeof v), "syslog");
	assert_non_null(strcasestr(f.reqs[1].head, "\r\nContent-Encoding: gzip\r\n"));
	assert_int_equal(f.reqs[1].len, gzlen);
	assert_memory_equal(f.reqs[1].body, gzbytes, gzlen);
	assert_int_equal(rep.nfiles, 2);
	assert_non_null(strstr(rep.files[0].path, "a-trail.json"));
	assert_int_equal(rep.files[1].events, 100);
	assert_int_equal(rep.files[1].parse_errors, 3);
	assert_int_equal(rep.events, 101);
	assert_int_equal(rep.parse_errors, 3);
	vg_ingest_report_free(&rep);
	free(gzbytes);
	fake_free(&f);
}

static void test_ingest_failures(void **state)
{
	(void)state;
	const char *p1 = tmp_path("one.log"), *p2 = tmp_path("two.log");
	FILE *fp = fopen(p1, "w");
	fputs("a=1\n", fp);
	fclose(fp);
	fp = fopen(p2, "w");
	fputs("b=2\n", fp);
	fclose(fp);
	/* A 400 fails that input only; the next one goes on. */
	static const char *const bad[] = {"400", "", "{\"error\":\"the parser said no\"}"};
	fake f;
	fake_start(&f, bad, 1);
	vg_remote *rm = client(&f, "t");
	vg_ingest_opts o = {.errors = NULL, .format = "logfmt"};
	vg_ingest_report rep;
	vg_err e = {0};
	char *paths[] = {(char *)p1, (char *)p2};
	assert_int_equal(vg_remote_ingest(rm, paths, 2, &o, &rep, &e), VG_EINVAL);
	assert_string_equal(e.msg, "1 input(s) could not be ingested");
	assert_int_equal(rep.nfiles, 2);
	assert_int_equal(rep.files[0].failed, 1);
	assert_int_equal(rep.files[1].failed, 0);
	assert_int_equal(rep.events, 1);
	vg_ingest_report_free(&rep);
	vg_remote_close(rm);
	fake_stop(&f);
	fake_free(&f);
	/* A refused token dooms the run: it stops at the first input. */
	static const char *const refused[] = {"401", "", "{\"error\":\"invalid or revoked token\"}"};
	fake_start(&f, refused, 1);
	rm = client(&f, "t");
	assert_int_equal(vg_remote_ingest(rm, paths, 2, &o, &rep, &e), VG_EINVAL);
	assert_string_equal(e.msg, "the server refused the token (401): invalid or revoked token");
	assert_int_equal(rep.nfiles, 1);
	vg_ingest_report_free(&rep);
	vg_remote_close(rm);
	fake_stop(&f);
	assert_int_equal(f.nreqs, 1);
	fake_free(&f);
	/* An unknown --format is refused before anything is sent. */
	o.format = "nope";
	rm = client(&f, "t");
	assert_int_equal(vg_remote_ingest(rm, paths, 2, &o, &rep, &e), VG_EINVAL);
	assert_non_null(strstr(e.msg, "unknown format 'nope'"));
	vg_ingest_report_free(&rep);
	vg_remote_close(rm);
}

static void test_ingest_shrinks_on_413(void **state)
{
	(void)state;
	/* A server whose limit is 300 KiB: 8 MiB bodies get 413, and halving
	 * reaches 256 KiB, which it takes; a document over it fails alone. */
	const char *lines_path = tmp_path("big.log"), *doc = tmp_path("doc.json");
	FILE *fp = fopen(lines_path, "w");
	size_t lines = 0;
	for (; lines < 20000; lines++)
		fprintf(fp, "level=info msg=\"request %zu served\" duration_ms=%zu\n", lines, lines % 97);
	fclose(fp);
	fp = fopen(doc, "w");
	fputs("{\"Records\":[{\"eventName\":\"", fp);
	for (int k = 0; k < 400000; k++)
		fputc('x', fp);
	fputs("\"}]}\n", fp);
	fclose(fp);
	struct stat sb;
	stat(lines_path, &sb);
	assert_true(sb.st_size > 2 * 256 * 1024);
	fake f;
	fake_start(&f, NULL, 0);
	f.limit = 300 << 10;
	vg_remote *rm = client(&f, "t");
	vg_ingest_opts o = {.errors = NULL};
	vg_ingest_report rep;
	vg_err e = {0};
	char *paths[] = {(char *)lines_path, (char *)doc};
	assert_int_equal(vg_remote_ingest(rm, paths, 2, &o, &rep, &e), VG_EINVAL);
	vg_remote_close(rm);
	fake_stop(&f);
	/* 8, 4, 2, 1 MiB and 512 KiB were refused, then the document. */
	assert_int_equal(f.nlarge, 6);
	size_t total = 0;
	for (size_t k = 0; k < f.nreqs; k++) {
		assert_true(f.reqs[k].len <= 256 << 10);
		assert_int_equal(f.reqs[k].body[f.reqs[k].len - 1], '\n');
		total += f.reqs[k].len;
	}
	assert_int_equal(total, (size_t)sb.st_size);
	assert_int_equal(rep.files[0].events, lines);
	assert_int_equal(rep.files[0].failed, 0);
	assert_int_equal(rep.files[1].failed, 1);
	assert_string_equal(e.msg, "1 input(s) could not be ingested");
	vg_ingest_report_free(&rep);
	fake_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pick),
		cmocka_unit_test(test_status_errors),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_get_token_args_note),
		cmocka_unit_test(test_retry_429),
		cmocka_unit_test(test_retry_bounded),
		cmocka_unit_test(test_503_only_idempotent),
		cmocka_unit_test(test_ingest_vpcflow_split),
		cmocka_unit_test(test_ingest_gzip_and_documents),
		cmocka_unit_test(test_ingest_failures),
		cmocka_unit_test(test_ingest_shrinks_on_413),
	};
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
