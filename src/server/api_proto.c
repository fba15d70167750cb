/*
 * api_proto.c — the other products' ingest APIs on vigil's HTTP port:
 * Elasticsearch (bulk and the calls shippers make on start), Splunk HEC,
 * Loki push, and AWS Config items. The decoding and the answers' shapes
 * are proto*.c's; this file routes, runs the decoders on the writer thread
 * (writer.h) and answers once the events are durable.
 *
 * Permissions: sending events needs the ingest right; the ES calls that
 * only describe the "cluster" (GET /, _license, templates) need any valid
 * credential, since shippers make them with their ingest token.
 */
#include <stdio.h>
#include <string.h>

#include "server/proto.h"
#include "server/srv.h"
#include "util/timeutil.h"

static _Atomic uint64_t es_seed;

static void es_header(vg_req *r)
{
	r->hdr_name = VG_ES_PRODUCT_HEADER;
	r->hdr_value = VG_ES_PRODUCT;
}

/* ------------------------------------------------------------ Elasticsearch */

static int es_answer(vg_req *r)
{
	vg_es_route rt;
	vg_buf out = {0};
	vg_es_route_of(r->method, r->url, vg_now_ns(), &rt, &out);
	es_header(r);
	vg_reply(r, rt.status, rt.ctype, out.p, out.len);
	vg_buf_free(&out);
	return 0;
}

typedef struct es_arg {
	vg_es_bulk *bulk;
	const char *body;
	size_t len;
	vg_es_opts o;
} es_arg;

static int es_fn(void *arg, vg_batch *mem, vg_err *err)
{
	es_arg *a = arg;
	int rc = vg_es_bulk_decode(a->bulk, mem, a->body, a->len, &a->o);
	if (rc)
		*err = a->bulk->err;
	return rc;
}

static int es_bulk(vg_req *r)
{
	int64_t t0 = vg_mono_ns();
	vg_es_route rt;
	vg_buf out = {0};
	vg_es_route_of(r->method, r->url, vg_now_ns(), &rt, &out);
	es_header(r);
	const char *body;
	size_t len;
	if (vg_srv_body(r, &body, &len))
		return 0;
	vg_es_bulk bulk;
	vg_es_bulk_init(&bulk);
	es_arg a = {&bulk, body, len, {0}};
	a.o.now_ns = vg_now_ns();
	a.o.id_seed = atomic_fetch_add(&es_seed, 1) + 1;
	a.o.index = rt.index;
	a.o.index_len = rt.index_len;
	vg_job job = {.fn = es_fn, .arg = &a, .bytes = len};
	if (vg_srv_ingest_job(r, &job) == 0) {
		unsigned st = vg_es_bulk_answer(&bulk, (vg_mono_ns() - t0) / 1000000,
						vg_arg(r, "filter_path"), &out);
		vg_reply(r, st, VG_ES_JSON, out.p, out.len);
	}
	vg_es_bulk_free(&bulk);
	vg_buf_free(&out);
	return 0;
}

/* ------------------------------------------------------------ Splunk HEC */

typedef struct hec_arg {
	vg_hec_endpoint ep;
	const char *body;
	size_t len;
	vg_hec_opts o;
	vg_hec_result res;
} hec_arg;

static int hec_fn(void *arg, vg_batch *mem, vg_err *err)
{
	hec_arg *a = arg;
	int rc = a->ep == VG_HEC_RAW ? vg_hec_raw(mem, a->body, a->len, &a->o, &a->res)
				     : vg_hec_event(mem, a->body, a->len, &a->o, &a->res);
	if (rc)
		vg_seterr(err, rc, -1, "%s", a->res.detail);
	return rc;
}

static int hec(vg_req *r)
{
	vg_buf out = {0};
	vg_hec_endpoint ep = vg_hec_route(r->url);
	if (ep == VG_HEC_HEALTH || ep == VG_HEC_ACK) {
		unsigned st = vg_hec_answer(ep == VG_HEC_HEALTH ? VG_HEC_HEALTHY : VG_HEC_ACK_DISABLED,
					    -1, &out);
		vg_reply(r, st, "application/json", out.p, out.len);
		vg_buf_free(&out);
		return 0;
	}
	if (strcmp(r->method, "POST") != 0)
		return vg_reply_error(r, 405, "HEC takes POST");
	if (!vg_srv_allows(r, VG_PERM_INGEST))
		return vg_reply_error(r, 403, "your role may not send events");
	const char *body;
	size_t len;
	if (vg_srv_body(r, &body, &len))
		return 0;
	hec_arg a = {.ep = ep, .body = body, .len = len};
	a.o.now_ns = vg_now_ns();
	a.o.host = vg_arg(r, "host");
	a.o.source = vg_arg(r, "source");
	a.o.sourcetype = vg_arg(r, "sourcetype");
	a.o.index = vg_arg(r, "index");
	vg_job job = {.fn = hec_fn, .arg = &a, .bytes = len};
	if (vg_srv_ingest_job(r, &job) == 0) {
		unsigned st = vg_hec_answer(a.res.code, a.res.invalid_event, &out);
		vg_reply(r, st, "application/json", out.p, out.len);
	}
	vg_buf_free(&out);
	return 0;
}

/* ------------------------------------------------------------ Loki */

typedef struct body_arg {
	const char *body;
	size_t len;
	int64_t now;
	uint64_t events, perr;
} body_arg;

static int loki_fn(void *arg, vg_batch *mem, vg_err *err)
{
	body_arg *a = arg;
	return vg_loki_push(mem, a->body, a->len, a->now, &a->events, err);
}

static int loki(vg_req *r)
{
	vg_err e = {0};
	if (vg_loki_content_type(vg_header(r, "Content-Type"), &e))
		return vg_reply(r, 415, "text/plain; charset=utf-8", e.msg, strlen(e.msg));
	const char *body;
	size_t len;
	if (vg_srv_body(r, &body, &len))
		return 0;
	body_arg a = {body, len, vg_now_ns(), 0, 0};
	vg_job job = {.fn = loki_fn, .arg = &a, .bytes = len};
	if (vg_srv_ingest_job(r, &job))
		return 0;
	if (job.rc)
		return vg_reply(r, 400, "text/plain; charset=utf-8", job.err.msg, strlen(job.err.msg));
	return vg_reply(r, 204, NULL, "", 0);
}

/* ------------------------------------------------------------ AWS Config */

static int cfg_fn(void *arg, vg_batch *mem, vg_err *err)
{
	body_arg *a = arg;
	return vg_cfg_items(mem, a->body, a->len, a->now, &a->events, &a->perr, err);
}

static int cfg_items(vg_req *r)
{
	const char *body;
	size_t len;
	if (vg_srv_body(r, &body, &len))
		return 0;
	body_arg a = {body, len, vg_now_ns(), 0, 0};
	vg_job job = {.fn = cfg_fn, .arg = &a, .bytes = len};
	if (vg_srv_ingest_job(r, &job))
		return 0;
	if (job.rc)
		return vg_reply_error(r, 400, "%s", job.err.msg);
	char out[128];
	int n = snprintf(out, sizeof out, "{\"stored\":%llu,\"parse_errors\":%llu}\n",
			 (unsigned long long)a.events, (unsigned long long)a.perr);
	return vg_reply(r, 200, "application/json", out, (size_t)n);
}

/* ------------------------------------------------------------ routing */

int vg_srv_proto_route(vg_req *r, vg_perm *perm, int (**fn)(vg_req *r))
{
	if (strcmp(r->url, "/api/v1/config/items") == 0) {
		if (strcmp(r->method, "POST") != 0)
			return -1;
		*perm = VG_PERM_INGEST;
		*fn = cfg_items;
		return 0;
	}
	if (strcmp(r->url, "/loki/api/v1/push") == 0) {
		if (strcmp(r->method, "POST") != 0)
			return -1;
		*perm = VG_PERM_INGEST;
		*fn = loki;
		return 0;
	}
	if (vg_hec_route(r->url) != VG_HEC_NOT_MINE) {
		/* Health and ack answer any valid credential; hec() checks the
		 * ingest right for events itself. */
		*perm = VG_PERM_ANY;
		*fn = hec;
		return 0;
	}
	vg_es_route rt;
	vg_buf scratch = {0};
	vg_es_kind k = vg_es_route_of(r->method, r->url, 0, &rt, &scratch);
	vg_buf_free(&scratch);
	if (k == VG_ES_BULK) {
		*perm = VG_PERM_INGEST;
		*fn = es_bulk;
		return 0;
	}
	if (k == VG_ES_ANSWER) {
		*perm = VG_PERM_ANY;
		*fn = es_answer;
		return 0;
	}
	return -1;
}
