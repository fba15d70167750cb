/*
 * api_search.c — the query API: /api/v1/search, /api/v1/fields,
 * /api/v1/tail, and /metrics.
 *
 * A query runs on the connection's thread with the store held shared
 * (writer.h), so queries run side by side with each other; the writer
 * waits for them only while it appends and commits. At most max_queries
 * run at once (the machine has few cores: a queue of waiting queries helps
 * nobody; 429 tells the client to come back), each bounded by a time limit
 * (`timeout=` seconds, at most the server's), answered 408 when hit.
 *
 * Parameters: q (the query; `*` or empty for everything), cw (a CloudWatch
 * filter pattern instead of q's search part), from, to (any time form
 * vigil accepts), limit, timeout, format. POST takes the same as a form
 * or JSON body ({"q": ..., "from": ...}).
 *
 * format= picks the answer's form: json (the default: vg_result_json's
 * document), csv (vg_result_csv) or table (vg_result_table, with the note
 * on truncated events in an X-Vigil-Note header). The renderers are the
 * ones `vigil search --data` prints with, so `vigil search --url` prints
 * the answer as it comes and the two agree byte for byte.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/cw.h"
#include "query/exec.h"
#include "query/qparse.h"
#include "query/result_text.h"
#include "store/colenc.h"
#include "server/srv.h"
#include "util/timeutil.h"

/* The query parameters of r: from the URL, or a JSON body on POST. */
typedef struct qparams {
	const char *q, *cw, *from, *to, *limit, *timeout, *format;
	cJSON *json;
} qparams;

static const char *json_param(cJSON *j, const char *name)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int read_params(vg_req *r, qparams *p)
{
	memset(p, 0, sizeof *p);
	if (strcmp(r->method, "POST") == 0 && r->body.len) {
		p->json = cJSON_ParseWithLength((const char *)r->body.p, r->body.len);
		if (p->json == NULL || !cJSON_IsObject(p->json)) {
			vg_reply_error(r, 400, "the body must be a JSON object like {\"q\": \"...\"}");
			return VG_EINVAL;
		}
		p->q = json_param(p->json, "q");
		p->cw = json_param(p->json, "cw");
		p->from = json_param(p->json, "from");
		p->to = json_param(p->json, "to");
		p->limit = json_param(p->json, "limit");
		p->timeout = json_param(p->json, "timeout");
		p->format = json_param(p->json, "format");
		return 0;
	}
	p->q = vg_arg(r, "q");
	p->cw = vg_arg(r, "cw");
	p->from = vg_arg(r, "from");
	p->to = vg_arg(r, "to");
	p->limit = vg_arg(r, "limit");
	p->timeout = vg_arg(r, "timeout");
	p->format = vg_arg(r, "format");
	return 0;
}

/* A compiled query, ready for vg_exec. */
typedef struct prepared {
	vg_query *q;
	vg_cw *cw;
	vg_exec_opts eo;
} prepared;

static void prepared_free(prepared *pq)
{
	vg_query_free(pq->q);
	vg_cw_free(pq->cw);
}

static int error_json(vg_req *r, unsigned status, const vg_err *e)
{
	vg_buf b = {0};
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "error", e->msg);
	if (e->pos >= 0)
		cJSON_AddNumberToObject(o, "position", (double)e->pos);
	char *s = cJSON_PrintUnformatted(o);
	vg_buf_puts(&b, s);
	vg_buf_putc(&b, '\n');
	vg_reply(r, status, "application/json", b.p, b.len);
	free(s);
	cJSON_Delete(o);
	vg_buf_free(&b);
	return 0;
}

void vg_srv_exec_opts(const vg_server *s, vg_exec_opts *eo)
{
	memset(eo, 0, sizeof *eo);
	eo->from = INT64_MIN;
	eo->to = INT64_MAX;
	eo->now_ns = vg_now_ns();
	eo->timeout_ns = s->o.query_timeout_ns;
	eo->geo = s->geo;
	eo->geo_error = s->geo_err.msg;
	eo->lookups_dir = s->lookups_dir;
}

/* Parse the parameters into pq; on a bad one answers 400 and fails. */
static int prepare(vg_req *r, const qparams *p, uint32_t max_limit, prepared *pq)
{
	vg_server *s = r->s;
	memset(pq, 0, sizeof *pq);
	vg_srv_exec_opts(s, &pq->eo);
	vg_err e = {0};
	if (p->from && *p->from && vg_parse_time(p->from, pq->eo.now_ns, &pq->eo.from, &e))
		return error_json(r, 400, &e), VG_EINVAL;
	if (p->to && *p->to && vg_parse_time(p->to, pq->eo.now_ns, &pq->eo.to, &e))
		return error_json(r, 400, &e), VG_EINVAL;
	if (p->limit && *p->limit) {
		char *end;
		unsigned long v = strtoul(p->limit, &end, 10);
		if (*end || v == 0 || v > max_limit) {
			vg_reply_error(r, 400, "limit takes 1..%u, not '%s'", max_limit, p->limit);
			return VG_EINVAL;
		}
		pq->eo.limit = (uint32_t)v;
	}
	if (p->timeout && *p->timeout) {
		char *end;
		double v = strtod(p->timeout, &end);
		if (*end || !(v > 0) || v * 1e9 > (double)s->o.query_timeout_ns) {
			vg_reply_error(r, 400, "timeout takes seconds up to %g, not '%s'",
				       (double)s->o.query_timeout_ns / 1e9, p->timeout);
			return VG_EINVAL;
		}
		pq->eo.timeout_ns = (int64_t)(v * 1e9);
	}
	if (p->cw && *p->cw) {
		if (vg_cw_compile(p->cw, strlen(p->cw), &pq->cw, &e))
			return error_json(r, 400, &e), VG_EINVAL;
		pq->eo.cw = pq->cw;
	}
	const char *text = p->q && *p->q ? p->q : "*";
	if (pq->cw && (p->q == NULL || *p->q == 0))
		text = "";
	if (vg_query_parse(text, strlen(text), pq->eo.now_ns, &pq->q, &e)) {
		prepared_free(pq);
		return error_json(r, 400, &e), VG_EINVAL;
	}
	if (pq->cw && pq->q->search) {
		prepared_free(pq);
		vg_reply_error(r, 400, "with cw= the query may only hold a pipeline (| stats count ...)");
		return VG_EINVAL;
	}
	return 0;
}

/* Run pq with the store shared, counting and bounding concurrency. On
 * failure answers (429, 400, 408, 500). */
static int run(vg_req *r, prepared *pq, vg_result *res)
{
	vg_server *s = r->s;
	if (atomic_fetch_add(&s->m.running_queries, 1) >= (int)s->o.max_queries) {
		atomic_fetch_sub(&s->m.running_queries, 1);
		atomic_fetch_add(&s->m.queries_refused, 1);
		vg_reply_error(r, 429, "%u queries are running already; retry in a moment",
			       s->o.max_queries);
		return VG_EBUSY;
	}
	int64_t t0 = vg_mono_ns();
	vg_err e = {0};
	vg_store *st = vg_writer_read_lock(s->w);
	int rc = vg_exec(st, pq->q, &pq->eo, res, &e);
	vg_writer_read_unlock(s->w);
	/* The connection's thread may end after this answer, and its zstd
	 * scratch with it unless freed here (store/colenc.h). */
	vg_col_thread_done();
	atomic_fetch_sub(&s->m.running_queries, 1);
	vg_metrics_query_done(&s->m, vg_mono_ns() - t0, rc != 0);
	if (rc == VG_ELIMIT && pq->eo.timeout_ns)
		vg_reply_error(r, 408, "%s", e.msg);
	else if (rc)
		error_json(r, rc == VG_EINVAL ? 400 : 500, &e);
	return rc;
}

static int wants_ndjson(vg_req *r)
{
	const char *a = vg_header(r, "Accept");
	return a && strstr(a, "application/x-ndjson") != NULL;
}

/* The forms of a search answer (format=). */
typedef enum { FORM_JSON, FORM_CSV, FORM_TABLE } answer_form;

/* Read format= into *form; on a bad value answers 400 and fails. */
static int read_form(vg_req *r, const char *s, answer_form *form)
{
	if (s == NULL || *s == 0 || strcmp(s, "json") == 0)
		*form = FORM_JSON;
	else if (strcmp(s, "csv") == 0)
		*form = FORM_CSV;
	else if (strcmp(s, "table") == 0)
		*form = FORM_TABLE;
	else
		return vg_reply_error(r, 400, "format takes json, csv or table, not '%s'", s), VG_EINVAL;
	return 0;
}

/* Answer res as CSV or as the table `vigil search` prints. */
static void reply_text(vg_req *r, const vg_result *res, answer_form form)
{
	vg_buf out = {0}, note = {0};
	if (form == FORM_CSV) {
		vg_result_csv(res, &out);
		vg_reply(r, 200, "text/csv; charset=utf-8", out.p, out.len);
	} else {
		vg_result_table(res, &out);
		if (vg_result_note(res, &note)) {
			vg_buf_putc(&note, 0);
			r->hdr_name = "X-Vigil-Note";
			r->hdr_value = (const char *)note.p;
		}
		vg_reply(r, 200, "text/plain; charset=utf-8", out.p, out.len);
		r->hdr_name = r->hdr_value = NULL;
	}
	vg_buf_free(&note);
	vg_buf_free(&out);
}

int vg_api_search(vg_req *r)
{
	qparams p;
	if (read_params(r, &p))
		return 0;
	prepared pq;
	answer_form form;
	if (read_form(r, p.format, &form) == 0 && prepare(r, &p, 100000, &pq) == 0) {
		vg_result res;
		if (run(r, &pq, &res) == 0) {
			vg_buf out = {0};
			if (form != FORM_JSON) {
				reply_text(r, &res, form);
			} else if (wants_ndjson(r) && !res.table) {
				/* Events as JSON lines, newest first. */
				for (uint32_t k = 0; k < res.nevents; k++) {
					vg_buf_put(&out, res.events[k].json, res.events[k].len);
					vg_buf_putc(&out, '\n');
				}
				vg_reply(r, 200, "application/x-ndjson", out.p, out.len);
			} else {
				vg_result_json(&res, &out);
				vg_buf_putc(&out, '\n');
				vg_reply(r, 200, "application/json", out.p, out.len);
			}
			vg_buf_free(&out);
			vg_result_free(&res);
		}
		prepared_free(&pq);
	}
	cJSON_Delete(p.json);
	return 0;
}

/* ------------------------------------------------------------ fields */

/* Per field: how many sampled events have it, and its value counts. */
typedef struct fstat {
	char *name;
	uint32_t present;
	cJSON *values;     /* object: value text -> count */
	uint32_t nvalues;
} fstat;

#define FIELDS_SAMPLE 10000
#define FIELDS_TOP 10
#define FIELDS_MAX_VALUES 2000   /* distinct values tracked per field */

static fstat *fstat_of(fstat **fs, size_t *n, size_t *cap, const char *name)
{
	for (size_t k = 0; k < *n; k++)
		if (strcmp((*fs)[k].name, name) == 0)
			return &(*fs)[k];
	vg_grow(fs, cap, *n + 1, sizeof **fs);
	fstat *f = &(*fs)[(*n)++];
	f->name = vg_xstrndup(name, strlen(name));
	f->present = 0;
	f->values = cJSON_CreateObject();
	f->nvalues = 0;
	return f;
}

static int cmp_count_desc(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	if (x->valuedouble != y->valuedouble)
		return x->valuedouble < y->valuedouble ? 1 : -1;
	return strcmp(x->string, y->string);
}

/* GET /api/v1/fields: the fields of the newest FIELDS_SAMPLE matching
 * events and each one's top values — what Kibana's and Splunk's field
 * sidebars show (both sample too; the answer says how many it saw). */
int vg_api_fields(vg_req *r)
{
	qparams p;
	if (read_params(r, &p))
		return 0;
	prepared pq;
	if (prepare(r, &p, FIELDS_SAMPLE, &pq) != 0) {
		cJSON_Delete(p.json);
		return 0;
	}
	if (pq.q->ncmds) {
		prepared_free(&pq);
		cJSON_Delete(p.json);
		return vg_reply_error(r, 400, "fields takes a search without a pipeline");
	}
	if (pq.eo.limit == 0)
		pq.eo.limit = FIELDS_SAMPLE;
	vg_result res;
	if (run(r, &pq, &res) != 0) {
		prepared_free(&pq);
		cJSON_Delete(p.json);
		return 0;
	}
	fstat *fs = NULL;
	size_t nf = 0, capf = 0;
	for (uint32_t k = 0; k < res.nevents; k++) {
		cJSON *ev = cJSON_ParseWithLength(res.events[k].json, res.events[k].len);
		if (ev == NULL)
			continue;
		for (cJSON *it = ev->child; it; it = it->next) {
			if (strcmp(it->string, "_raw") == 0 || strcmp(it->string, "_time") == 0)
				continue;
			fstat *f = fstat_of(&fs, &nf, &capf, it->string);
			f->present++;
			char num[64];
			const char *v = NULL;
			char *printed = NULL;
			if (cJSON_IsString(it)) {
				v = it->valuestring;
			} else if (cJSON_IsNumber(it)) {
				double d = it->valuedouble;
				if (d == floor(d) && fabs(d) < 9e15)
					snprintf(num, sizeof num, "%.0f", d);
				else
					snprintf(num, sizeof num, "%.17g", d);
				v = num;
			} else {
				v = printed = cJSON_PrintUnformatted(it);
			}
			cJSON *c = cJSON_GetObjectItemCaseSensitive(f->values, v);
			if (c) {
				cJSON_SetNumberValue(c, c->valuedouble + 1);
			} else if (f->nvalues < FIELDS_MAX_VALUES) {
				cJSON_AddNumberToObject(f->values, v, 1);
				f->nvalues++;
			}
			free(printed);
		}
		cJSON_Delete(ev);
	}
	cJSON *out = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(out, "fields");
	for (size_t k = 0; k < nf; k++) {
		fstat *f = &fs[k];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", f->name);
		cJSON_AddNumberToObject(o, "count", f->present);
		cJSON_AddNumberToObject(o, "distinct", f->nvalues);
		cJSON_AddBoolToObject(o, "distinct_capped", f->nvalues >= FIELDS_MAX_VALUES);
		cJSON **vs = vg_xmalloc((f->nvalues ? f->nvalues : 1) * sizeof *vs);
		uint32_t nv = 0;
		for (cJSON *it = f->values->child; it; it = it->next)
			vs[nv++] = it;
		qsort(vs, nv, sizeof *vs, cmp_count_desc);
		cJSON *top = cJSON_AddArrayToObject(o, "top");
		for (uint32_t i = 0; i < nv && i < FIELDS_TOP; i++) {
			cJSON *t = cJSON_CreateObject();
			cJSON_AddStringToObject(t, "value", vs[i]->string);
			cJSON_AddNumberToObject(t, "count", vs[i]->valuedouble);
			cJSON_AddItemToArray(top, t);
		}
		free(vs);
		cJSON_AddItemToArray(arr, o);
		cJSON_Delete(f->values);
		free(f->name);
	}
	free(fs);
	cJSON_AddNumberToObject(out, "sampled", res.nevents);
	cJSON_AddNumberToObject(out, "matched", (double)res.stats.events_matched);
	char *s = cJSON_PrintUnformatted(out);
	vg_reply(r, 200, "application/json", s, strlen(s));
	free(s);
	cJSON_Delete(out);
	vg_result_free(&res);
	prepared_free(&pq);
	cJSON_Delete(p.json);
	return 0;
}
