/*
 * api_ingest.c — POST /api/v1/ingest?format=&group=&account=&mtime=: a body
 * in any format `vigil ingest` reads, made durable before the answer. mtime
 * (epoch seconds) is the input's own time, as `vigil ingest` takes a
 * file's: the reference for the year of syslog lines that carry none
 * (default: now).
 *
 * The body is parsed on the writer thread, straight into the memtable
 * (writer.h): no second copy of the events, and the answer can say how
 * many were stored and how many with parse errors. Line formats get the
 * whole body as one chunk; a body is bounded by the server's limit.
 *
 * Answer: 200 {"stored": N, "parse_errors": M, "format": "..."} once
 * durable; 400 for an unknown format or a body its parser rejects whole;
 * 413 over the body limit; 415 for an unknown Content-Encoding; 429 with
 * Retry-After when the writer's queue is full, 503 with Retry-After when
 * the disk budget (min_free) is reached.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse/parse.h"
#include "server/proto.h"
#include "server/srv.h"
#include "util/timeutil.h"

/* The peer's address as text, for the `host` of lines naming none. */
void vg_srv_peer(vg_req *r, char *out, size_t cap)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	out[0] = 0;
	if (ci == NULL || ci->client_addr == NULL)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
			  (socklen_t)cap);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
			  (socklen_t)cap);
}

int vg_srv_body(vg_req *r, const char **p, size_t *n)
{
	vg_err e = {0};
	*p = (const char *)r->body.p;
	*n = r->body.len;
	int enc = vg_proto_encoding(vg_header(r, "Content-Encoding"), &e);
	if (enc < 0) {
		vg_reply_error(r, 415, "%s", e.msg);
		return enc;
	}
	if (enc == VG_ENC_IDENTITY)
		return 0;
	vg_buf out = {0};
	int rc = vg_proto_inflate(r->body.p, r->body.len, enc, r->s->o.max_body, &out, &e);
	if (rc) {
		vg_buf_free(&out);
		vg_reply_error(r, rc == VG_ELIMIT ? 413 : 400, "%s", e.msg);
		return rc;
	}
	vg_buf_free(&r->body);
	r->body = out;
	*p = (const char *)r->body.p;
	*n = r->body.len;
	return 0;
}

int vg_srv_ingest_job(vg_req *r, vg_job *job)
{
	vg_server *s = r->s;
	atomic_fetch_add(&s->m.ingest_requests, 1);
	atomic_fetch_add(&s->m.ingest_bytes, job->bytes);
	int rc = vg_writer_submit(s->w, job);
	if (!job->done) {
		/* Refused before it ran: nothing of it was stored. The disk
		 * budget is 503 (the server cannot take events for a while),
		 * a full queue 429 (this client should slow down); both say
		 * when to come back with Retry-After. */
		atomic_fetch_add(&s->m.ingest_refused, 1);
		vg_reply_error(r, rc == VG_ELIMIT ? 503 : 429, "%s", job->err.msg);
		return rc;
	}
	if (job->commit_rc) {
		vg_reply_error(r, 503, "events could not be made durable: %s", job->err.msg);
		return job->commit_rc;
	}
	return 0;
}

typedef struct ingest_arg {
	const vg_format *fmt;
	const char *group, *account, *host;
	const char *body;
	size_t len;
	int64_t ref_ns;     /* the input's own time, or 0 */
} ingest_arg;

static int ingest_fn(void *arg, vg_batch *mem, vg_err *err)
{
	ingest_arg *a = arg;
	vg_parse_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	ctx.out = mem;
	ctx.group = a->group;
	ctx.account = a->account;
	ctx.source = "http";
	ctx.host = a->host;
	ctx.now_ns = ctx.ref_ns = vg_now_ns();
	if (a->ref_ns)
		ctx.ref_ns = a->ref_ns;
	int rc = a->fmt->parse(&ctx, a->body, a->len);
	if (rc)
		*err = ctx.err;
	vg_parse_ctx_reset(&ctx);
	return rc;
}

int vg_api_ingest(vg_req *r)
{
	const char *body;
	size_t len;
	if (vg_srv_body(r, &body, &len))
		return 0;
	const char *fname = vg_arg(r, "format");
	const vg_format *fmt;
	if (fname && *fname && strcmp(fname, "auto") != 0) {
		fmt = vg_format_find(fname);
		if (fmt == NULL)
			return vg_reply_error(r, 400,
					      "unknown format '%s' (vpcflow, cloudtrail, awsconfig, awscli, "
					      "syslog, json, logfmt, text, or auto)", fname);
	} else {
		fmt = vg_format_detect(body, len < 65536 ? len : 65536);
	}
	int64_t ref_ns = 0;
	const char *mtime = vg_arg(r, "mtime");
	if (mtime && *mtime) {
		char *end;
		long long v = strtoll(mtime, &end, 10);
		if (*end || v <= 0 || v > INT64_MAX / VG_NS_PER_SEC)
			return vg_reply_error(r, 400, "mtime takes epoch seconds, not '%s'", mtime);
		ref_ns = (int64_t)v * VG_NS_PER_SEC;
	}
	const char *group = vg_arg(r, "group");
	if (group && *group == 0)
		group = NULL;
	if (group && group[0] == '_')
		return vg_reply_error(r, 400, "group names starting with '_' are vigil's own ('%s')",
				      group);
	char host[64];
	vg_srv_peer(r, host, sizeof host);
	ingest_arg a = {fmt, group, vg_arg(r, "account"), host[0] ? host : NULL, body, len, ref_ns};
	vg_job job = {.fn = ingest_fn, .arg = &a, .bytes = len};
	if (vg_srv_ingest_job(r, &job))
		return 0;
	if (job.rc)
		return vg_reply_error(r, vg_status_of(job.rc), "%s (%llu events stored before it)",
				      job.err.msg, (unsigned long long)job.events);
	char out[256];
	int n = snprintf(out, sizeof out, "{\"stored\":%llu,\"parse_errors\":%llu,\"format\":\"%s\"}\n",
			 (unsigned long long)job.events, (unsigned long long)job.parse_errors,
			 fmt->name);
	return vg_reply(r, 200, "application/json", out, (size_t)n);
}
