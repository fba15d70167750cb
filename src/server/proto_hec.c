/*
 * proto_hec.c — Splunk's HTTP Event Collector (proto.h).
 *
 * Shippers that speak HEC (Vector's splunk_hec_logs, Fluent Bit's splunk
 * output, the OpenTelemetry collector, Splunk's logging libraries) send
 * /services/collector/event bodies as JSON objects one after the other,
 * with or without whitespace between them: not an array. Each object is
 * an envelope; its `event` is the log event.
 *
 * Mapping. A string event is the raw message as it is (Splunk's _raw); an
 * object event is its JSON text, flattened into fields like the json
 * format (`event` itself names no field: its keys are the fields); any
 * other value is raw text. `fields` (Splunk's indexed fields) are
 * flattened too, then host, source and sourcetype are set last, so that
 * the envelope's metadata wins over an event key of the same name (the raw
 * text keeps the event's own). `index` names the group, as proto.c makes
 * group names; Splunk's index is the nearest thing to a log group. `time`
 * is epoch seconds with a fraction, a number or a string.
 *
 * Errors. Splunk reads a request in order and stops at the first event it
 * cannot take, answering with that event's number (from 0) and leaving the
 * rest unindexed. vigil answers the same, stores the events before it as
 * usual, and keeps it and everything after it as raw events with
 * `_parse_error` (vg_jdoc_rest: pieces of at most 1 MiB), so nothing sent
 * is lost. What Splunk refuses: text that is not a JSON object (6), no
 * `event` (12), an empty or null `event` (13), a `time` that is not a
 * number (6), a host, source, sourcetype or index that is not a string
 * (6), `fields` that is not an object (15).
 *
 * /services/collector/raw takes lines; its metadata comes from the query
 * string (the server reads it and passes it in vg_hec_opts).
 */
#include "server/proto.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "parse/jsonflat.h"
#include "parse/parse.h"

#define DEFAULT_GROUP "hec"

/* ============================================================= routing */

vg_hec_endpoint vg_hec_route(const char *path)
{
	static const char base[] = "/services/collector";
	static const struct {
		const char *rest;
		vg_hec_endpoint ep;
	} eps[] = {
		{"", VG_HEC_EVENT}, {"/event", VG_HEC_EVENT}, {"/event/1.0", VG_HEC_EVENT},
		{"/raw", VG_HEC_RAW}, {"/raw/1.0", VG_HEC_RAW}, {"/health", VG_HEC_HEALTH},
		{"/health/1.0", VG_HEC_HEALTH}, {"/ack", VG_HEC_ACK}, {"/ack/1.0", VG_HEC_ACK},
	};
	if (path == NULL || strncmp(path, base, sizeof base - 1) != 0)
		return VG_HEC_NOT_MINE;
	const char *rest = path + sizeof base - 1;
	size_t n = strlen(rest);
	if (n > 0 && rest[n - 1] == '/')
		n--;
	for (size_t i = 0; i < sizeof eps / sizeof *eps; i++)
		if (strlen(eps[i].rest) == n && memcmp(eps[i].rest, rest, n) == 0)
			return eps[i].ep;
	return VG_HEC_NOT_MINE;
}

int vg_hec_token(const char *header, const char **tok, size_t *n)
{
	*tok = NULL;
	*n = 0;
	if (header == NULL)
		return VG_HEC_TOKEN_REQUIRED;
	while (*header == ' ' || *header == '\t')
		header++;
	if (*header == 0)
		return VG_HEC_TOKEN_REQUIRED;
	if (strncasecmp(header, "Splunk", 6) != 0 || (header[6] != ' ' && header[6] != '\t'))
		return VG_HEC_INVALID_AUTH;
	const char *t = header + 6;
	while (*t == ' ' || *t == '\t')
		t++;
	size_t len = strlen(t);
	while (len > 0 && (t[len - 1] == ' ' || t[len - 1] == '\t'))
		len--;
	if (len == 0 || memchr(t, ' ', len) != NULL)
		return VG_HEC_INVALID_AUTH;
	*tok = t;
	*n = len;
	return VG_HEC_SUCCESS;
}

/* ============================================================= answers */

static const struct {
	const char *text;
	unsigned status;
} answers[] = {
	{"Success", 200},
	{"Token disabled", 403},
	{"Token is required", 401},
	{"Invalid authorization", 401},
	{"Invalid token", 403},
	{"No data", 400},
	{"Invalid data format", 400},
	{"Incorrect index", 400},
	{"Internal server error", 500},
	{"Server is busy", 503},
	{"Data channel is missing", 400},
	{"Invalid data channel", 400},
	{"Event field is required", 400},
	{"Event field cannot be blank", 400},
	{"ACK is disabled", 400},
	{"Error in handling indexed fields", 400},
	{"Query string authorization is not enabled", 400},
	{"HEC is healthy", 200},
};

unsigned vg_hec_answer(int code, long invalid_event, vg_buf *out)
{
	if (code < 0 || (size_t)code >= sizeof answers / sizeof *answers)
		code = VG_HEC_INTERNAL;
	vg_buf_printf(out, "{\"text\":\"%s\",\"code\":%d", answers[code].text, code);
	if (invalid_event >= 0)
		vg_buf_printf(out, ",\"invalid-event-number\":%ld", invalid_event);
	vg_buf_putc(out, '}');
	return answers[code].status;
}

/* ============================================================= /event */

enum { M_TIME, M_HOST, M_SOURCE, M_STYPE, M_INDEX, M_EVENT, M_FIELDS, M_N };
static const char *const member_names[M_N] = {"time", "host", "source", "sourcetype",
					      "index", "event", "fields"};

/* One /event request being read. */
typedef struct hec {
	vg_batch *b;
	const char *s;
	size_t n;
	const vg_hec_opts *o;
	vg_hec_result *r;
	vg_jflat jf;
	vg_buf raw, str;       /* a string event; other decoded strings */
	uint32_t fid[M_N];     /* host, source, sourcetype (by M_*) */
	uint32_t dflt_group;
} hec;

/* Record problem code for event number k (its envelope at byte at) and
 * return VG_EINVAL. */
static int problem(hec *h, int code, long k, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int problem(hec *h, int code, long k, size_t at, const char *fmt, ...)
{
	char why[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	h->r->code = code;
	h->r->invalid_event = k;
	snprintf(h->r->detail, sizeof h->r->detail, "HEC event %ld (at byte %zu): %s", k, at, why);
	return VG_EINVAL;
}

/* 1 if the value s[v] is absent or null. */
static int absent(const char *s, vg_jspan v)
{
	return !vg_jspan_ok(v) || s[v.start] == 'n';
}

/* Check an envelope's members (m, by M_*) as Splunk does; *t gets its
 * time. Returns 0 or a problem. */
static int check_envelope(hec *h, const vg_jspan *m, long k, size_t at, int64_t *t)
{
	const char *s = h->s;
	vg_jspan ev = m[M_EVENT];
	if (!vg_jspan_ok(ev))
		return problem(h, VG_HEC_EVENT_REQUIRED, k, at, "the envelope has no \"event\"");
	if (s[ev.start] == 'n' || (s[ev.start] == '"' && ev.end - ev.start == 2))
		return problem(h, VG_HEC_EVENT_BLANK, k, at, "\"event\" is empty");
	*t = h->o->now_ns;
	if (!absent(s, m[M_TIME]) && !vg_json_time(s, m[M_TIME], t))
		return problem(h, VG_HEC_INVALID_FORMAT, k, at,
			       "\"time\" is not an epoch time in seconds: %.*s",
			       (int)(m[M_TIME].end - m[M_TIME].start < 40 ? m[M_TIME].end - m[M_TIME].start
									 : 40),
			       s + m[M_TIME].start);
	for (int i = M_HOST; i <= M_INDEX; i++)
		if (!absent(s, m[i]) && s[m[i].start] != '"')
			return problem(h, VG_HEC_INVALID_FORMAT, k, at, "\"%s\" is %s, not a string",
				       member_names[i], vg_json_kind(s[m[i].start]));
	if (!absent(s, m[M_FIELDS]) && s[m[M_FIELDS].start] != '{')
		return problem(h, VG_HEC_INDEXED_FIELDS, k, at, "\"fields\" is %s, not an object",
			       vg_json_kind(s[m[M_FIELDS].start]));
	return 0;
}

/* Decode the JSON string s[v] into h->str (emptied first). */
static void decode(hec *h, vg_jspan v)
{
	vg_err err;
	h->str.len = 0;
	vg_buf_reserve(&h->str, 1);
	vg_json_string(h->s, v.end, v.start, &h->str, &err);
}

/* A metadata field: the envelope's string, else the default (may be NULL). */
static void meta(hec *h, const vg_jspan *m, int i, const char *dflt)
{
	if (!absent(h->s, m[i])) {
		decode(h, m[i]);
		vg_ev_str(h->b, h->fid[i], (const char *)h->str.p, h->str.len);
	} else if (dflt != NULL) {
		vg_ev_str(h->b, h->fid[i], dflt, strlen(dflt));
	}
}

/* The event of a checked envelope (members m, time t). */
static void emit(hec *h, const vg_jspan *m, int64_t t)
{
	const char *s = h->s;
	vg_jspan ev = m[M_EVENT];
	vg_err err;
	uint32_t g = h->dflt_group;
	if (!absent(s, m[M_INDEX])) {
		char name[VG_PROTO_GROUP_MAX + 1];
		decode(h, m[M_INDEX]);
		size_t gl = vg_proto_group_name((const char *)h->str.p, h->str.len, 0, name);
		if (gl > 0)
			g = vg_batch_group(h->b, name, gl);
	}
	if (s[ev.start] == '"') {
		h->raw.len = 0;
		vg_json_string(s, ev.end, ev.start, &h->raw, &err);
		vg_buf_reserve(&h->raw, 1);
		vg_ev_begin(h->b, g, t, (const char *)h->raw.p, h->raw.len);
	} else {
		vg_ev_begin(h->b, g, t, s + ev.start, ev.end - ev.start);
		if (s[ev.start] == '{')
			vg_jflat_value(&h->jf, h->b, s, ev.end, ev.start, NULL, NULL, &err);
	}
	if (!absent(s, m[M_FIELDS]))
		vg_jflat_value(&h->jf, h->b, s, m[M_FIELDS].end, m[M_FIELDS].start, NULL, NULL, &err);
	meta(h, m, M_HOST, h->o->host);
	meta(h, m, M_SOURCE, h->o->source);
	meta(h, m, M_STYPE, h->o->sourcetype);
	vg_ev_end(h->b);
}

/* Read the envelope at s[pos] (event number k): its event, or a problem.
 * *next gets the offset past it. */
static int envelope(hec *h, size_t pos, long k, size_t *next)
{
	const char *s = h->s;
	vg_err err = {0};
	vg_jspan obj, m[M_N];
	char cb[8];
	if (s[pos] != '{')
		return problem(h, VG_HEC_INVALID_FORMAT, k, pos,
			       "expected a JSON object, found %s",
			       s[pos] == '[' || s[pos] == '"' ? vg_json_kind(s[pos])
							    : vg_json_byte(cb, (unsigned char)s[pos]));
	if (vg_json_skip(s, h->n, pos, &obj, &err) < 0)
		return problem(h, VG_HEC_INVALID_FORMAT, k, pos, "%s", err.msg);
	vg_json_members(s, obj.end, pos, member_names, M_N, m, &err);
	int64_t t;
	if (check_envelope(h, m, k, pos, &t) < 0)
		return VG_EINVAL;
	emit(h, m, t);
	*next = obj.end;
	return 0;
}

/* Keep s[from, n) as raw events with _parse_error (after a problem). */
static void keep_rest(hec *h, size_t from)
{
	vg_parse_ctx ctx = {.out = h->b, .now_ns = h->o->now_ns};
	vg_jdoc d = {.ctx = &ctx, .group = h->dflt_group, .s = h->s, .n = h->n};
	char msg[560];
	snprintf(msg, sizeof msg, "%s; vigil kept this event and the rest of the request unparsed",
		 h->r->detail);
	vg_jdoc_rest(&d, from, h->n, msg);
}

/* Start r and count what b gains. */
static void result_start(vg_hec_result *r)
{
	memset(r, 0, sizeof *r);
	r->invalid_event = -1;
}

static void result_count(vg_hec_result *r, const vg_batch *b, size_t nev, uint64_t nerr)
{
	r->events = b->nev - nev;
	r->parse_errors = b->nparse_errors - nerr;
}

int vg_hec_event(vg_batch *b, const char *body, size_t len, const vg_hec_opts *o,
		 vg_hec_result *r)
{
	result_start(r);
	size_t pos = vg_json_ws(body, len, 0), nev = b->nev;
	uint64_t nerr = b->nparse_errors;
	if (pos >= len) {
		r->code = VG_HEC_NO_DATA;
		snprintf(r->detail, sizeof r->detail, "the request has no events");
		return VG_EINVAL;
	}
	hec h = {.b = b, .s = body, .n = len, .o = o, .r = r};
	vg_jflat_init(&h.jf);
	h.fid[M_HOST] = vg_batch_field(b, "host", 4);
	h.fid[M_SOURCE] = vg_batch_field(b, "source", 6);
	h.fid[M_STYPE] = vg_batch_field(b, "sourcetype", 10);
	h.dflt_group = vg_proto_group(b, o->index, o->index ? strlen(o->index) : 0, 0, DEFAULT_GROUP);
	int rc = 0;
	for (long k = 0; pos < len && rc == 0; k++) {
		size_t next = pos;
		rc = envelope(&h, pos, k, &next);
		if (rc < 0)
			keep_rest(&h, pos);
		pos = vg_json_ws(body, len, next);
	}
	vg_jflat_free(&h.jf);
	vg_buf_free(&h.raw);
	vg_buf_free(&h.str);
	result_count(r, b, nev, nerr);
	return rc;
}

/* =============================================================== /raw */

int vg_hec_raw(vg_batch *b, const char *body, size_t len, const vg_hec_opts *o,
	       vg_hec_result *r)
{
	result_start(r);
	size_t nev = b->nev;
	uint64_t nerr = b->nparse_errors;
	uint32_t g = vg_proto_group(b, o->index, o->index ? strlen(o->index) : 0, 0, DEFAULT_GROUP);
	const char *meta_val[3] = {o->host, o->source, o->sourcetype};
	uint32_t fid[3] = {vg_batch_field(b, "host", 4), vg_batch_field(b, "source", 6),
			   vg_batch_field(b, "sourcetype", 10)};
	size_t pos = 0;
	while (pos < len) {
		const char *line = body + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		pos += n + (nl != NULL);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (vg_line_blank(line, n))
			continue;
		vg_ev_begin(b, g, o->now_ns, line, n);
		for (int i = 0; i < 3; i++)
			if (meta_val[i])
				vg_ev_str(b, fid[i], meta_val[i], strlen(meta_val[i]));
		vg_ev_end(b);
	}
	result_count(r, b, nev, nerr);
	if (r->events == 0) {
		r->code = VG_HEC_NO_DATA;
		snprintf(r->detail, sizeof r->detail, "the request has no lines");
		return VG_EINVAL;
	}
	return 0;
}
