/*
 * remote.h — the command line's client for a running `vigil server`.
 *
 * Commands that read or write data take `--data DIR` (the embedded store)
 * or `--url URL --token T` (a server); VIGIL_URL and VIGIL_TOKEN stand in
 * for the flags when they are not given. vg_remote_pick makes that choice
 * once for every command, with the same messages.
 *
 * vg_remote_call is one HTTP exchange on libcurl, with what a command line
 * needs around it and nothing more:
 *  - the token as `Authorization: Bearer`, never sent on a redirect (none
 *    are followed) and never printed;
 *  - bounded waits: a connect timeout, a timeout for the whole exchange,
 *    and a bound on the answer's size;
 *  - retries when the server says it is busy: 429 always (the server
 *    refuses before doing anything, so a retry cannot store twice), 503
 *    only for calls the caller marks idempotent (an ingest answered 503
 *    may have reached the memtable, and a retry could store it twice).
 *    The wait honours Retry-After, else backs off exponentially; both
 *    are bounded (VG_REMOTE_TRIES tries, VG_REMOTE_MAX_WAIT_MS in all);
 *  - errors a person understands: "cannot reach http://...: connection
 *    refused", "the server refused the token (401)", and for other 4xx
 *    the server's own message, as it is (a bad query reads exactly as it
 *    does with --data).
 *
 * Ownership: a vg_remote owns its curl handle (connections are reused
 * across calls) and copies of the URL and token; vg_remote_close frees
 * them. An answer's body is the caller's (vg_http_answer_free). One
 * vg_remote per thread.
 */
#ifndef VG_REMOTE_H
#define VG_REMOTE_H

#include <stddef.h>
#include <stdint.h>

#include "ingest/ingest.h"
#include "util/err.h"
#include "util/mem.h"

#define VG_REMOTE_TRIES 6
#define VG_REMOTE_MAX_WAIT_MS 60000            /* all retries' waits together */
#define VG_REMOTE_MAX_ANSWER (1024u << 20)     /* largest answer body accepted */
#define VG_REMOTE_BODY (8u << 20)              /* largest ingest body sent for
						* a line-format input */

typedef struct vg_remote vg_remote;

/* Choose where a command's data lives. data_opt, url_opt and token_opt are
 * the --data, --url and --token values, NULL when not given. Returns 0
 * with *out NULL for the embedded store (--data, or neither --url nor
 * VIGIL_URL), 0 with *out open for a server (close it with
 * vg_remote_close), or VG_EINVAL with a message: both --data and --url,
 * a URL that is not http(s)://..., no token. */
int vg_remote_pick(const char *data_opt, const char *url_opt, const char *token_opt,
		   vg_remote **out, vg_err *err);

/* A client for the server at url (http:// or https://, a trailing slash
 * ignored) with token. Copies both. Returns 0 or VG_EINVAL. */
int vg_remote_open(const char *url, const char *token, vg_remote **out, vg_err *err);
void vg_remote_close(vg_remote *rm);
/* The base URL, for messages. */
const char *vg_remote_url(const vg_remote *rm);

typedef struct vg_http_call {
	const char *method;           /* "GET" or "POST" */
	const char *path;             /* "/api/v1/search" */
	const char *const *args;      /* query string: name, value, ..., NULL; the
				       * values are escaped here; a NULL value
				       * leaves its pair out */
	const void *body;             /* POST: the body (borrowed) */
	size_t len;
	const char *content_type;     /* NULL: application/octet-stream */
	const char *content_encoding; /* "gzip", or NULL */
	int idempotent;               /* 1: a 503 may be retried too */
	long timeout_s;               /* the whole exchange; 0: 60 s */
} vg_http_call;

typedef struct vg_http_answer {
	long status;                  /* 0 when no answer came */
	vg_buf body;
	char note[512];               /* the X-Vigil-Note header, or "" */
	int tries;                    /* exchanges it took */
} vg_http_answer;

/* Make call c, retrying as described above; fills *a (even on failure, as
 * far as the server answered: free it with vg_http_answer_free). Returns 0
 * for a 2xx answer. Otherwise returns and fills err: VG_EIO when the
 * server cannot be reached or fails (5xx), VG_EINVAL for 400, 401, 403,
 * 413, 415 (err->pos from the answer's "position" when it has one),
 * VG_ENOTFOUND for 404, VG_ELIMIT for 408, VG_EBUSY when still busy after
 * the retries. */
int vg_remote_call(vg_remote *rm, const vg_http_call *c, vg_http_answer *a, vg_err *err);
void vg_http_answer_free(vg_http_answer *a);

/* How long to wait before try number attempt+2 (attempt counts from 0),
 * in ms: Retry-After's seconds when retry_after holds a number (at most
 * 30 s), else 250 ms doubled per attempt up to 8 s. */
int64_t vg_remote_backoff_ms(const char *retry_after, unsigned attempt);

/* The error for an answer with a non-2xx status (see vg_remote_call):
 * fills err from status and the body ({"error": ..., "position": N}, or
 * text). url names the server in messages. Returns err->code. */
int vg_remote_status_err(long status, const char *body, size_t len, const char *url,
			 vg_err *err);

/* `vigil ingest --url`: send paths (files, directories recursively in name
 * order, .gz files, "-" for stdin) to the server's /api/v1/ingest, as
 * vg_ingest does to a store, and fill rep the same way from the server's
 * answers. The format is detected here, on each input's first 64 KiB, and
 * named in every request, so that all the bodies of one input are parsed
 * alike. Line-format inputs go in bodies of at most VG_REMOTE_BODY bytes
 * cut on line boundaries; document formats go whole; a .gz file that fits
 * one body goes as it is, with Content-Encoding: gzip. Per-input failures
 * are printed to o->errors and the others go on; returns VG_EINVAL at the
 * end if any input failed. A failure that dooms every input (the server
 * unreachable, the token refused) stops the run and is returned. */
int vg_remote_ingest(vg_remote *rm, char *const *paths, int npaths, const vg_ingest_opts *o,
		     vg_ingest_report *rep, vg_err *err);

#endif
