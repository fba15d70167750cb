/*
 * remote.c — the HTTP client behind `--url` (see remote.h for the
 * contract).
 *
 * One curl easy handle per vg_remote, so the bodies of a long ingest reuse
 * one connection. Each try of a call sets every option it depends on
 * afresh (curl_easy_reset), so nothing leaks from one call into the next:
 * a GET after a POST stays a GET. The answer's headers are read by a
 * header callback for the two this client uses, Retry-After (how long the
 * server wants us to wait) and X-Vigil-Note (the remark `vigil search`
 * prints on stderr under a table).
 *
 * Messages name the server by its base URL and never include the token.
 */
#include "cli/remote.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define CONNECT_TIMEOUT_S 10L
#define DEFAULT_TIMEOUT_S 60L
#define MAX_RETRY_AFTER_S 30

struct vg_remote {
	CURL *curl;
	char *url;      /* without a trailing slash */
	char *auth;     /* "Authorization: Bearer <token>" */
};

/* What one try collects from curl's callbacks. */
typedef struct exchange {
	vg_http_answer *a;
	char retry_after[32];
	int too_large;
} exchange;

/* ------------------------------------------------------------ choosing */

/* 1 if s is set and not empty. */
static int given(const char *s)
{
	return s != NULL && *s != 0;
}

int vg_remote_pick(const char *data_opt, const char *url_opt, const char *token_opt,
		   vg_remote **out, vg_err *err)
{
	*out = NULL;
	if (given(data_opt) && given(url_opt))
		return vg_seterr(err, VG_EINVAL, -1,
				 "give --data DIR (the embedded store) or --url URL (a server), not both");
	if (given(data_opt)) {
		if (given(token_opt))
			return vg_seterr(err, VG_EINVAL, -1, "--token goes with --url, not --data");
		return 0;
	}
	const char *url = given(url_opt) ? url_opt : getenv("VIGIL_URL");
	if (!given(url)) {
		if (given(token_opt))
			return vg_seterr(err, VG_EINVAL, -1, "--token goes with --url URL");
		return 0;
	}
	const char *token = given(token_opt) ? token_opt : getenv("VIGIL_TOKEN");
	if (!given(token))
		return vg_seterr(err, VG_EINVAL, -1,
				 "%s needs a token: give --token T or set VIGIL_TOKEN "
				 "(`vigil token create` makes one)", url);
	return vg_remote_open(url, token, out, err);
}

/* ------------------------------------------------------------ the client */

int vg_remote_open(const char *url, const char *token, vg_remote **out, vg_err *err)
{
	*out = NULL;
	if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
		return vg_seterr(err, VG_EINVAL, -1,
				 "--url takes http://HOST:PORT or https://HOST:PORT, not '%s'", url);
	for (const char *p = token; *p; p++)
		if ((unsigned char)*p < 0x21 || *p == 0x7f)
			return vg_seterr(err, VG_EINVAL, -1,
					 "the token holds a space or control character: is it "
					 "the whole line `vigil token create` printed?");
	/* Thread-safe since curl 7.84 (bookworm has 7.88); ours runs once per
	 * command anyway. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return vg_seterr(err, VG_EIO, -1, "libcurl failed to initialise");
	vg_remote *rm = vg_xcalloc(1, sizeof *rm);
	rm->curl = curl_easy_init();
	if (rm->curl == NULL) {
		free(rm);
		return vg_seterr(err, VG_ENOMEM, -1, "libcurl failed to initialise");
	}
	size_t n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	rm->url = vg_xstrndup(url, n);
	size_t alen = strlen(token) + 32;
	rm->auth = vg_xmalloc(alen);
	snprintf(rm->auth, alen, "Authorization: Bearer %s", token);
	*out = rm;
	return 0;
}

void vg_remote_close(vg_remote *rm)
{
	if (rm == NULL)
		return;
	curl_easy_cleanup(rm->curl);
	/* The token should not outlive its use in this process's memory. */
	memset(rm->auth, 0, strlen(rm->auth));
	free(rm->auth);
	free(rm->url);
	free(rm);
}

const char *vg_remote_url(const vg_remote *rm)
{
	return rm->url;
}

void vg_http_answer_free(vg_http_answer *a)
{
	vg_buf_free(&a->body);
	memset(a, 0, sizeof *a);
}

/* curl's write callback: append to the answer, up to VG_REMOTE_MAX_ANSWER. */
static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	exchange *x = arg;
	size_t len = size * n;
	if (x->a->body.len + len > VG_REMOTE_MAX_ANSWER) {
		x->too_large = 1;
		return 0; /* makes curl stop with CURLE_WRITE_ERROR */
	}
	vg_buf_put(&x->a->body, p, len);
	return len;
}

/* Copy header value v (n bytes, surrounding blanks trimmed) into out. */
static void header_value(const char *v, size_t n, char *out, size_t cap)
{
	while (n > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)v[n - 1]))
		n--;
	if (n >= cap)
		n = cap - 1;
	memcpy(out, v, n);
	out[n] = 0;
}

/* curl's header callback, once per header line of every response (an
 * interim 100 Continue included: a status line starts afresh). */
static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	exchange *x = arg;
	size_t len = size * n;
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		x->retry_after[0] = 0;
		x->a->note[0] = 0;
	} else if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		header_value(p + 12, len - 12, x->retry_after, sizeof x->retry_after);
	} else if (len > 13 && strncasecmp(p, "X-Vigil-Note:", 13) == 0) {
		header_value(p + 13, len - 13, x->a->note, sizeof x->a->note);
	}
	return len;
}

/* The full URL of call c: base, path, and the escaped query string. */
static char *call_url(vg_remote *rm, const vg_http_call *c)
{
	vg_buf b = {0};
	vg_buf_puts(&b, rm->url);
	vg_buf_puts(&b, c->path);
	char sep = '?';
	for (const char *const *a = c->args; a && a[0]; a += 2) {
		if (a[1] == NULL)
			continue;
		char *v = curl_easy_escape(rm->curl, a[1], (int)strlen(a[1]));
		if (v == NULL)
			abort(); /* out of memory: see mem.h */
		vg_buf_printf(&b, "%c%s=%s", sep, a[0], v);
		curl_free(v);
		sep = '&';
	}
	vg_buf_putc(&b, 0);
	return (char *)b.p;
}

/* The words for a transport failure: strerror's, lowercased as the rest
 * of vigil's messages are. */
static void os_reason(long os_errno, char *out, size_t cap)
{
	snprintf(out, cap, "%s", os_errno ? strerror((int)os_errno) : "connection failed");
	if (out[0] && isupper((unsigned char)out[0]) && !isupper((unsigned char)out[1]))
		out[0] = (char)tolower((unsigned char)out[0]);
}

/* Fill err for a curl failure (no HTTP answer). */
static int transport_err(vg_remote *rm, CURLcode cc, const exchange *x, const char *detail,
			 long timeout_s, vg_err *err)
{
	char why[128];
	long os = 0;
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(rm->curl, CURLINFO_OS_ERRNO, &os);
		os_reason(os, why, sizeof why);
		return vg_seterr(err, VG_EIO, -1, "cannot reach %s: %s", rm->url, why);
	case CURLE_COULDNT_RESOLVE_HOST:
		return vg_seterr(err, VG_EIO, -1, "cannot reach %s: unknown host", rm->url);
	case CURLE_OPERATION_TIMEDOUT:
		return vg_seterr(err, VG_EIO, -1, "no answer from %s within %ld s", rm->url, timeout_s);
	case CURLE_WRITE_ERROR:
		if (x->too_large)
			return vg_seterr(err, VG_ELIMIT, -1, "the answer from %s is larger than %u MiB",
					 rm->url, VG_REMOTE_MAX_ANSWER >> 20);
		break;
	default: break;
	}
	return vg_seterr(err, VG_EIO, -1, "talking to %s failed: %s", rm->url,
			 detail[0] ? detail : curl_easy_strerror(cc));
}

/* One try of call c: set every option, perform, collect. Returns the
 * curl result; detail gets curl's own words on failure. */
static CURLcode try_once(vg_remote *rm, const vg_http_call *c, const char *url, exchange *x,
			 char *detail)
{
	CURL *h = rm->curl;
	struct curl_slist *hdrs = NULL;
	char ctype[160], cenc[64];
	curl_easy_reset(h);
	x->too_large = 0;
	x->retry_after[0] = 0;
	vg_buf_clear(&x->a->body);
	x->a->note[0] = 0;
	hdrs = curl_slist_append(hdrs, rm->auth);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "vigil-cli/0.1");
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, c->timeout_s > 0 ? c->timeout_s : DEFAULT_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, detail);
	if (strcmp(c->method, "POST") == 0) {
		snprintf(ctype, sizeof ctype, "Content-Type: %s",
			 c->content_type ? c->content_type : "application/octet-stream");
		hdrs = curl_slist_append(hdrs, ctype);
		if (c->content_encoding) {
			snprintf(cenc, sizeof cenc, "Content-Encoding: %s", c->content_encoding);
			hdrs = curl_slist_append(hdrs, cenc);
		}
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body ? c->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->len);
	} else if (strcmp(c->method, "GET") != 0) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, c->method);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	detail[0] = 0;
	CURLcode cc = curl_easy_perform(h);
	x->a->tries++;
	x->a->status = 0;
	if (cc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &x->a->status);
	curl_slist_free_all(hdrs);
	return cc;
}

/* Sleep ms milliseconds, through signals. */
static void sleep_ms(int64_t ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* 1 if answer status may be retried for call c. */
static int retryable(const vg_http_call *c, long status)
{
	return status == 429 || (status == 503 && c->idempotent);
}

int vg_remote_call(vg_remote *rm, const vg_http_call *c, vg_http_answer *a, vg_err *err)
{
	memset(a, 0, sizeof *a);
	char *url = call_url(rm, c);
	char detail[CURL_ERROR_SIZE];
	exchange x = {.a = a};
	int64_t waited = 0;
	int rc = 0;
	for (unsigned attempt = 0;; attempt++) {
		CURLcode cc = try_once(rm, c, url, &x, detail);
		if (cc != CURLE_OK) {
			rc = transport_err(rm, cc, &x, detail,
					   c->timeout_s > 0 ? c->timeout_s : DEFAULT_TIMEOUT_S, err);
			break;
		}
		if (a->status >= 200 && a->status < 300)
			break;
		int64_t wait = vg_remote_backoff_ms(x.retry_after, attempt);
		if (!retryable(c, a->status) || attempt + 1 >= VG_REMOTE_TRIES ||
		    waited + wait > VG_REMOTE_MAX_WAIT_MS) {
			rc = vg_remote_status_err(a->status, (const char *)a->body.p, a->body.len,
						  rm->url, err);
			if (retryable(c, a->status) && a->tries > 1) {
				size_t used = strlen(err->msg);
				if (sizeof err->msg - used > 48)
					snprintf(err->msg + used, sizeof err->msg - used,
						 " (still busy after %d tries in %.1f s)", a->tries,
						 (double)waited / 1000.0);
			}
			break;
		}
		sleep_ms(wait);
		waited += wait;
	}
	free(url);
	return rc;
}

/* ------------------------------------------------------------ pure helpers */

int64_t vg_remote_backoff_ms(const char *retry_after, unsigned attempt)
{
	if (retry_after && *retry_after) {
		char *end;
		long v = strtol(retry_after, &end, 10);
		if (end != retry_after && *end == 0 && v >= 0)
			return (int64_t)(v > MAX_RETRY_AFTER_S ? MAX_RETRY_AFTER_S : v) * 1000;
		/* An HTTP-date: not worth a date parser here; back off instead. */
	}
	int64_t ms = 250;
	for (unsigned k = 0; k < attempt && ms < 8000; k++)
		ms *= 2;
	return ms > 8000 ? 8000 : ms;
}

/* The server's words from an error answer: "error" of a JSON object (and
 * its "position"), else the body's first line; "" when empty. */
static void server_words(const char *body, size_t len, char *out, size_t cap, int64_t *pos)
{
	out[0] = 0;
	*pos = -1;
	cJSON *j = body && len ? cJSON_ParseWithLength(body, len) : NULL;
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
	if (cJSON_IsString(e)) {
		snprintf(out, cap, "%s", e->valuestring);
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "position");
		if (cJSON_IsNumber(p) && p->valuedouble >= 0)
			*pos = (int64_t)p->valuedouble;
	} else if (body && len) {
		size_t n = 0;
		while (n < len && n + 1 < cap && body[n] != '\n' && body[n] != '\r')
			n++;
		memcpy(out, body, n);
		out[n] = 0;
	}
	cJSON_Delete(j);
}

int vg_remote_status_err(long status, const char *body, size_t len, const char *url,
			 vg_err *err)
{
	char words[400];
	int64_t pos;
	server_words(body, len, words, sizeof words, &pos);
	const char *sep = words[0] ? ": " : "";
	int rc;
	switch (status) {
	case 401:
		rc = vg_seterr(err, VG_EINVAL, -1, "the server refused the token (401)%s%s", sep, words);
		break;
	case 403:
		rc = vg_seterr(err, VG_EINVAL, -1, "the token's role may not do this (403)%s%s", sep,
			       words);
		break;
	case 404:
		rc = vg_seterr(err, VG_ENOTFOUND, -1, "%s answered 404%s%s: is it a vigil server?", url,
			       sep, words);
		break;
	case 408:
		rc = vg_seterr(err, VG_ELIMIT, -1, "%s", words[0] ? words : "the query took too long (408)");
		break;
	case 429:
		rc = vg_seterr(err, VG_EBUSY, -1, "the server is busy (429)%s%s", sep, words);
		break;
	default:
		if (status >= 400 && status < 500 && words[0])
			rc = vg_seterr(err, VG_EINVAL, pos, "%s", words);
		else if (status >= 400 && status < 500)
			rc = vg_seterr(err, VG_EINVAL, -1, "the server refused the request (%ld)", status);
		else if (status >= 300 && status < 400)
			rc = vg_seterr(err, VG_EINVAL, -1,
				       "%s answered %ld, a redirect, which vigil does not follow "
				       "(it would carry the token): give --url the final address",
				       url, status);
		else
			rc = vg_seterr(err, VG_EIO, -1, "the server %s (%ld)%s%s",
				       status == 503 ? "is unavailable" : "failed", status, sep, words);
		break;
	}
	return rc;
}
