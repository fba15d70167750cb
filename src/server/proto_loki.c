/*
 * proto_loki.c — Grafana Loki's push API, JSON form (proto.h).
 *
 *   {"streams":[{"stream":{"job":"web","host":"a"},
 *                "values":[["1700000000123456789","a log line"],
 *                          ["1700000000123456790","another",{"trace_id":"abc"}]]}]}
 *
 * Loki checks a push whole before it stores any of it: a body it cannot
 * read is refused with 400 and a message, and the client (promtail, Alloy,
 * Vector's loki sink, Fluent Bit's loki output) logs it. vigil does the
 * same in two passes over the body: the first checks every stream, label,
 * value and timestamp; only when all are good does the second append the
 * events. So an answer of 400 means nothing was stored, and 204 means
 * everything was.
 *
 * Each value is an event: its line is the raw message (JSON-unescaped,
 * bytes as sent), its timestamp a string of nanoseconds since the epoch
 * (a JSON integer is taken too), every label of its stream and every key
 * of its structured metadata (Loki 3's third element) a string field. The
 * group is the stream's `service_name` label (Loki 3 sets it itself from
 * service, app, job ...), else `job` (what promtail and Alloy configs set),
 * else "loki". Lines are not parsed further: a Loki line is whatever the
 * client made it, and the labels are its structure.
 *
 * What Loki refuses and so does vigil: a body that is not one JSON
 * object, `streams` that is not an array, a stream without labels or with
 * a label value that is not a string, values that are not [ts, line] or
 * [ts, line, {metadata}] arrays, a timestamp that is not a non-negative
 * integer of nanoseconds, a line that is not a string. Messages name the
 * stream and value by index, as people find them in the client's batch.
 */
#include "server/proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse/jsonflat.h"

#define DEFAULT_GROUP "loki"

int vg_loki_content_type(const char *ctype, vg_err *err)
{
	if (ctype == NULL)
		return 0;
	while (*ctype == ' ')
		ctype++;
	size_t n = strcspn(ctype, "; \t");
	if (n == 0 || (n == 16 && strncasecmp(ctype, "application/json", 16) == 0))
		return 0;
	if (n == 22 && strncasecmp(ctype, "application/x-protobuf", 22) == 0)
		return vg_seterr(err, VG_EINVAL, -1,
				 "vigil reads Loki pushes as JSON only: send Content-Type: "
				 "application/json (snappy-compressed protobuf is not supported)");
	return vg_seterr(err, VG_EINVAL, -1,
			 "unsupported Content-Type '%.*s' for a Loki push: send application/json",
			 (int)(n < 64 ? n : 64), ctype);
}

/* One push being read. */
typedef struct push {
	vg_batch *b;
	const char *s;
	size_t n;
	int64_t now_ns;
	vg_err *err;
	vg_buf line;         /* a decoded log line */
	vg_buf vals;         /* decoded label and metadata values */
	vg_buf key;          /* a decoded key */
	struct lab {
		uint32_t fid;
		size_t off, len;
	} *labs;
	size_t nlabs, caplabs;
	size_t cur_si;       /* the stream whose labels are in labs */
	size_t cur_nlabs;    /* how many labels it has (metadata follow) */
	size_t cur_vals;     /* the bytes of their values in vals */
	uint32_t cur_group;
	uint64_t events;
} push;

/* ------------------------------------------------------------ checking */

/* A timestamp: a JSON string of 1..19 digits, or an integer, that fits
 * int64. Returns 1 with *ns set, or 0. */
static int timestamp(const char *s, vg_jspan v, int64_t *ns)
{
	const char *p = s + v.start;
	size_t n = v.end - v.start;
	if (n >= 2 && p[0] == '"') {
		p++;
		n -= 2;
	}
	if (n == 0 || n > 19)
		return 0;
	int64_t t = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		if (t > (INT64_MAX - (p[i] - '0')) / 10)
			return 0;
		t = t * 10 + (p[i] - '0');
	}
	*ns = t;
	return 1;
}

/* Check that the object at s[obj] maps keys to strings (what names it,
 * for messages). Returns the number of keys, or < 0 with the error set. */
static int string_map(push *p, size_t obj, const char *what, size_t si, long vi)
{
	vg_json_it it;
	vg_jspan k, v;
	int rc, count = 0;
	char where[64];
	if (vi >= 0)
		snprintf(where, sizeof where, "streams[%zu].values[%ld]", si, vi);
	else
		snprintf(where, sizeof where, "streams[%zu]", si);
	if (p->s[obj] != '{')
		return vg_seterr(p->err, VG_EINVAL, (int64_t)obj, "%s: %s is %s, not an object",
				 where, what, vg_json_kind(p->s[obj]));
	vg_json_it_init(&it, p->s, p->n, obj, p->err);
	while ((rc = vg_json_it_next(&it, &k, &v, p->err)) > 0) {
		if (k.end == k.start)
			return vg_seterr(p->err, VG_EINVAL, (int64_t)k.start,
					 "%s: %s has an empty key", where, what);
		if (p->s[v.start] != '"')
			return vg_seterr(p->err, VG_EINVAL, (int64_t)v.start,
					 "%s: the value of %s key \"%.*s\" is %s, not a string", where,
					 what, (int)(k.end - k.start < 60 ? k.end - k.start : 60),
					 p->s + k.start, vg_json_kind(p->s[v.start]));
		count++;
	}
	return rc < 0 ? rc : count;
}

/* Check value vi of stream si: [ts, line] or [ts, line, {metadata}]. */
static int check_value(push *p, vg_jspan val, size_t si, long vi)
{
	const char *s = p->s;
	vg_json_it it;
	vg_jspan k, e[4];
	int ne = 0, rc;
	int64_t ns;
	if (s[val.start] != '[')
		return vg_seterr(p->err, VG_EINVAL, (int64_t)val.start,
				 "streams[%zu].values[%ld] is %s, not a [timestamp, line] array", si,
				 vi, vg_json_kind(s[val.start]));
	vg_json_it_init(&it, s, p->n, val.start, p->err);
	while ((rc = vg_json_it_next(&it, &k, &e[ne < 3 ? ne : 3], p->err)) > 0)
		ne++;
	if (rc < 0)
		return rc;
	if (ne < 2 || ne > 3)
		return vg_seterr(p->err, VG_EINVAL, (int64_t)val.start,
				 "streams[%zu].values[%ld] has %d elements; expected [timestamp, line] "
				 "or [timestamp, line, {metadata}]", si, vi, ne);
	if (!timestamp(s, e[0], &ns))
		return vg_seterr(p->err, VG_EINVAL, (int64_t)e[0].start,
				 "streams[%zu].values[%ld]: the timestamp %.*s is not a number of "
				 "nanoseconds since the epoch", si, vi,
				 (int)(e[0].end - e[0].start < 40 ? e[0].end - e[0].start : 40),
				 s + e[0].start);
	if (s[e[1].start] != '"')
		return vg_seterr(p->err, VG_EINVAL, (int64_t)e[1].start,
				 "streams[%zu].values[%ld]: the line is %s, not a string", si, vi,
				 vg_json_kind(s[e[1].start]));
	if (ne == 3 && (rc = string_map(p, e[2].start, "structured metadata", si, vi)) < 0)
		return rc;
	return 0;
}

/* The members "stream" and "values" of stream object si at s[obj]. */
static int stream_parts(push *p, vg_jspan obj, size_t si, vg_jspan *labels, vg_jspan *values)
{
	static const char *const names[] = {"stream", "values"};
	vg_jspan m[2];
	if (p->s[obj.start] != '{')
		return vg_seterr(p->err, VG_EINVAL, (int64_t)obj.start,
				 "streams[%zu] is %s, not an object", si, vg_json_kind(p->s[obj.start]));
	vg_json_members(p->s, obj.end, obj.start, names, 2, m, p->err);
	*labels = m[0];
	*values = m[1];
	if (!vg_jspan_ok(m[0]))
		return vg_seterr(p->err, VG_EINVAL, (int64_t)obj.start,
				 "streams[%zu] has no \"stream\" labels; at least one label is "
				 "required per stream", si);
	int nl = string_map(p, m[0].start, "\"stream\"", si, -1);
	if (nl < 0)
		return nl;
	if (nl == 0)
		return vg_seterr(p->err, VG_EINVAL, (int64_t)m[0].start,
				 "streams[%zu]: at least one label is required per stream", si);
	if (vg_jspan_ok(m[1]) && p->s[m[1].start] != '[')
		return vg_seterr(p->err, VG_EINVAL, (int64_t)m[1].start,
				 "streams[%zu]: \"values\" is %s, not an array", si,
				 vg_json_kind(p->s[m[1].start]));
	return 0;
}

/* Call fn(p, si, labels, value) for every value of every stream;
 * with fn NULL only check. Returns 0 or < 0 with the error set. */
typedef void (*value_fn)(push *p, size_t si, vg_jspan labels, vg_jspan value);

static int walk(push *p, vg_jspan streams, value_fn fn)
{
	vg_json_it sit, vit;
	vg_jspan k, st, val;
	vg_jspan labels = {0}, values = {0};  /* set by stream_parts before use */
	int rc;
	vg_json_it_init(&sit, p->s, p->n, streams.start, p->err);
	for (size_t si = 0; (rc = vg_json_it_next(&sit, &k, &st, p->err)) > 0; si++) {
		if ((rc = stream_parts(p, st, si, &labels, &values)) < 0)
			return rc;
		if (!vg_jspan_ok(values))
			continue;
		vg_json_it_init(&vit, p->s, p->n, values.start, p->err);
		for (long vi = 0; (rc = vg_json_it_next(&vit, &k, &val, p->err)) > 0; vi++) {
			if (fn)
				fn(p, si, labels, val);
			else if ((rc = check_value(p, val, si, vi)) < 0)
				return rc;
		}
		if (rc < 0)
			return rc;
	}
	return rc;
}

/* ------------------------------------------------------------- storing */

/* Decode the JSON string at s[pos] onto buf; returns where it starts. */
static size_t decode_onto(push *p, vg_buf *buf, size_t pos)
{
	size_t at = buf->len;
	vg_err err;
	vg_json_string(p->s, p->n, pos, buf, &err);
	return at;
}

/* Read the key=value pairs of the object at s[obj] into p->labs (after
 * those already there); *svc and *job (may be NULL) get the values of
 * those labels. */
static void read_map(push *p, size_t obj, vg_jspan *svc, vg_jspan *job)
{
	vg_json_it it;
	vg_jspan k, v;
	vg_err err;
	vg_json_it_init(&it, p->s, p->n, obj, &err);
	while (vg_json_it_next(&it, &k, &v, &err) > 0) {
		p->key.len = 0;
		decode_onto(p, &p->key, k.start - 1);
		size_t klen = p->key.len < VG_MAX_NAME ? p->key.len : VG_MAX_NAME;
		vg_grow(&p->labs, &p->caplabs, p->nlabs + 1, sizeof *p->labs);
		struct lab *l = &p->labs[p->nlabs++];
		l->fid = vg_batch_field(p->b, (const char *)p->key.p, klen);
		l->off = decode_onto(p, &p->vals, v.start);
		l->len = p->vals.len - l->off;
		if (svc && vg_json_key_eq(p->s, k, "service_name"))
			*svc = v;
		if (job && vg_json_key_eq(p->s, k, "job"))
			*job = v;
	}
}

/* fn of walk: one event. The labels of a stream are decoded once, when
 * its first value comes; structured metadata follow them in p->labs. */
static void store_value(push *p, size_t si, vg_jspan labels, vg_jspan val)
{
	const char *s = p->s;
	vg_json_it it;
	vg_jspan k, e[3];
	vg_err err;
	int ne = 0;
	if (si != p->cur_si) {
		vg_jspan svc = {0, 0}, job = {0, 0};
		p->nlabs = 0;
		p->vals.len = 0;
		read_map(p, labels.start, &svc, &job);
		p->cur_si = si;
		p->cur_nlabs = p->nlabs;
		p->cur_vals = p->vals.len;
		vg_jspan g = vg_jspan_ok(svc) ? svc : job;
		p->key.len = 0;
		if (vg_jspan_ok(g))
			decode_onto(p, &p->key, g.start);
		p->cur_group = vg_proto_group(p->b, (const char *)p->key.p, p->key.len, 0,
					      DEFAULT_GROUP);
	}
	vg_json_it_init(&it, s, p->n, val.start, &err);
	while (ne < 3 && vg_json_it_next(&it, &k, &e[ne], &err) > 0)
		ne++;
	p->nlabs = p->cur_nlabs;
	p->vals.len = p->cur_vals;
	if (ne == 3)
		read_map(p, e[2].start, NULL, NULL);
	int64_t ns = p->now_ns;
	timestamp(s, e[0], &ns);
	p->line.len = 0;
	vg_buf_reserve(&p->line, 1);
	decode_onto(p, &p->line, e[1].start);
	vg_ev_begin(p->b, p->cur_group, ns, (const char *)p->line.p, p->line.len);
	for (size_t i = 0; i < p->nlabs; i++)
		vg_ev_str(p->b, p->labs[i].fid, (const char *)p->vals.p + p->labs[i].off,
			  p->labs[i].len);
	vg_ev_end(p->b);
	p->events++;
}

/* The "streams" array of the push body, after checking the body is one
 * object. *streams is empty when the push has none. */
static int find_streams(push *p, vg_jspan *streams)
{
	const char *s = p->s;
	vg_jspan obj;
	char cb[8];
	*streams = (vg_jspan){0, 0};
	size_t pos = vg_json_ws(s, p->n, 0);
	if (pos >= p->n)
		return vg_seterr(p->err, VG_EINVAL, 0, "the push request is empty");
	if (s[pos] != '{')
		return vg_seterr(p->err, VG_EINVAL, (int64_t)pos,
				 "the push request must be a JSON object {\"streams\":[...]}; it starts "
				 "with %s", vg_json_byte(cb, (unsigned char)s[pos]));
	if (vg_json_skip(s, p->n, pos, &obj, p->err) < 0)
		return VG_EINVAL;
	size_t after = vg_json_ws(s, p->n, obj.end);
	if (after < p->n)
		return vg_seterr(p->err, VG_EINVAL, (int64_t)after,
				 "unexpected data after the push object at byte %zu", after);
	if (vg_json_find(s, obj.end, pos, "streams", streams, p->err) <= 0)
		return 0;
	if (s[streams->start] == 'n') {
		*streams = (vg_jspan){0, 0};
		return 0;
	}
	if (s[streams->start] != '[')
		return vg_seterr(p->err, VG_EINVAL, (int64_t)streams->start,
				 "\"streams\" is %s, not an array", vg_json_kind(s[streams->start]));
	return 0;
}

int vg_loki_push(vg_batch *b, const char *body, size_t len, int64_t now_ns, uint64_t *events,
		 vg_err *err)
{
	push p = {.b = b, .s = body, .n = len, .now_ns = now_ns, .err = err, .cur_si = SIZE_MAX};
	vg_jspan streams;
	if (events)
		*events = 0;
	int rc = find_streams(&p, &streams);
	if (rc == 0 && vg_jspan_ok(streams) && (rc = walk(&p, streams, NULL)) == 0)
		walk(&p, streams, store_value);
	if (events)
		*events = p.events;
	vg_buf_free(&p.line);
	vg_buf_free(&p.vals);
	vg_buf_free(&p.key);
	free(p.labs);
	return rc < 0 ? VG_EINVAL : 0;
}
