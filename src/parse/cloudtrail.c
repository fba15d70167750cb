/*
 * cloudtrail.c — the `cloudtrail` format: AWS CloudTrail records.
 *
 * Shapes read (any number of them, concatenated or one per line):
 *   {"Records":[ {...}, ... ]}          a log file as S3 delivers it
 *   [ {...}, ... ]                      a bare array of records
 *   {"eventVersion":..., ...}           a single record
 *   {"detail-type":..., "detail":{...}} an EventBridge envelope: the record
 *                                       is the detail, the raw the envelope
 *   {"digestStartTime":..., "logFiles":[...]}  a digest file: counted in
 *                                       ctx->nskipped, no event
 *
 * Each record is one event in group "cloudtrail": raw = the record's exact
 * bytes, fields = the record flattened without a prefix (userIdentity.type,
 * resources[0].ARN ...), time = eventTime. A record that is not an object
 * or has no usable eventTime is still an event (ingest time, and a
 * `_parse_error` that says what is wrong). When the document breaks, the
 * records before the break are kept and the rest becomes raw events with
 * the error (vg_jdoc_run).
 *
 * The hot path is the S3 file {"Records":[...]}: the Records array is read
 * in place as the object is walked, and each record in one validating pass
 * that flattens it, after a quick look at its brackets for its extent (the
 * raw message, which the batch wants first); the document as a whole is
 * not pre-scanned.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/jsonflat.h"
#include "parse/parse.h"

typedef struct ct {
	vg_parse_ctx *ctx;
	vg_jflat *jf;        /* its one watch (index 0) is eventTime */
	uint32_t group;
	size_t nrec;         /* records seen, for messages */
} ct;

/* The flattener, kept per thread from one input to the next: CloudTrail
 * arrives as thousands of small files (a dozen records each) of the same
 * few shapes, and rebuilding the name cache for every file cost about as
 * much as flattening its records. vg_jflat_rebind makes the kept field ids
 * safe for whatever batch the next input fills. Freed when the thread
 * ends; the main thread's lives as long as the process. */
static pthread_key_t jf_key;
static pthread_once_t jf_once = PTHREAD_ONCE_INIT;
static int jf_key_ok;

static void jf_free(void *p)
{
	vg_jflat_free(p);
	free(p);
}

static void jf_key_init(void)
{
	jf_key_ok = pthread_key_create(&jf_key, jf_free) == 0;
}

static vg_jflat *jf_new(void)
{
	vg_jflat *jf = vg_xmalloc(sizeof *jf);
	vg_jflat_init(jf);
	vg_jflat_watch(jf, "eventTime");
	return jf;
}

/* This thread's flattener, or a new one the caller frees when there is no
 * thread-specific slot (*owned set). */
static vg_jflat *thread_jflat(int *owned)
{
	pthread_once(&jf_once, jf_key_init);
	*owned = !jf_key_ok;
	if (!jf_key_ok)
		return jf_new();
	vg_jflat *jf = pthread_getspecific(jf_key);
	if (jf == NULL) {
		jf = jf_new();
		if (pthread_setspecific(jf_key, jf) != 0)
			*owned = 1;
	}
	return jf;
}

/* Finish the open event's time from the value at s[tv] (fallback: the span
 * fb, e.g. an EventBridge envelope's time); sets _parse_error when none is
 * usable. */
static void set_time(ct *c, const char *s, vg_jspan tv, vg_jspan fb)
{
	int64_t ns;
	char msg[300];
	if (vg_json_time(s, tv, &ns) || vg_json_time(s, fb, &ns)) {
		vg_ev_settime(c->ctx->out, ns);
		return;
	}
	if (!vg_jspan_ok(tv)) {
		vg_ev_parse_error(c->ctx->out, "eventTime is missing; the ingest time is used");
		return;
	}
	size_t len = tv.end - tv.start;
	snprintf(msg, sizeof msg, "eventTime %.*s is not an ISO-8601 time; the ingest time is used",
		 (int)(len > 64 ? 64 : len), s + tv.start);
	vg_ev_parse_error(c->ctx->out, msg);
}

/* One validated record: the value at s[val] (an object, normally) whose
 * raw message is s[raw]; fbtime is a fallback time span (or empty). */
static void record(ct *c, vg_jdoc *d, vg_jspan raw, vg_jspan val, vg_jspan fbtime)
{
	vg_batch *b = c->ctx->out;
	const char *s = d->s;
	char msg[600];
	c->nrec++;
	vg_ev_begin(b, c->group, c->ctx->now_ns, s + raw.start, raw.end - raw.start);
	if (s[val.start] != '{') {
		snprintf(msg, sizeof msg, "record %zu (at byte %zu) is %s, not a JSON object",
			 c->nrec, val.start, vg_json_kind(s[val.start]));
		vg_ev_parse_error(b, msg);
		vg_ev_end(b);
		return;
	}
	vg_err err = {0};
	if (vg_jflat_value(c->jf, b, s, val.end, val.start, NULL, NULL, &err) < 0) {
		/* Not expected: the record was validated by the same grammar. */
		vg_ev_abort(b);
		vg_ev_begin(b, c->group, c->ctx->now_ns, s + raw.start, raw.end - raw.start);
		vg_ev_parse_error(b, err.msg);
		vg_ev_end(b);
		return;
	}
	set_time(c, s, c->jf->watch[0], fbtime);
	vg_ev_end(b);
}

/* The record s[v], an object whose extent vg_json_extent found, validated
 * as it is flattened: 1 when it is a valid record, now an event. 0 when it
 * is not valid JSON after all: nothing is left in the batch, and the
 * caller takes the validating path for the exact error. */
static int record_onepass(ct *c, vg_jdoc *d, vg_jspan v)
{
	vg_batch *b = c->ctx->out;
	vg_err err = {0};
	size_t end = 0;
	vg_ev_begin(b, c->group, c->ctx->now_ns, d->s + v.start, v.end - v.start);
	if (vg_jflat_value(c->jf, b, d->s, v.end, v.start, NULL, &end, &err) < 0 || end != v.end) {
		vg_ev_abort(b);
		return 0;
	}
	c->nrec++;
	set_time(c, d->s, c->jf->watch[0], (vg_jspan){0, 0});
	vg_ev_end(b);
	return 1;
}

/* Every element of the array at s[pos] is a record. An object record is
 * read in one pass (record_onepass); anything else, or an object that is
 * not valid, is validated first, with the error the validation gives. The
 * extent's depth limit leaves room for the array, which the validating
 * path counts too. */
static int records(ct *c, vg_jdoc *d, size_t pos, size_t *next)
{
	vg_json_it it;
	vg_jspan k, v;
	size_t vpos, end;
	int rc = vg_json_it_init(&it, d->s, d->n, pos, &d->err);
	if (rc < 0)
		return rc;
	while ((rc = vg_json_it_key(&it, &k, &vpos, &d->err)) > 0) {
		if (d->s[vpos] == '{' &&
		    vg_json_extent(d->s, d->n, vpos, VG_MAX_JSON_DEPTH - 1, &end) &&
		    record_onepass(c, d, (vg_jspan){vpos, end})) {
			vg_json_it_done(&it, end);
			d->done = end;
			continue;
		}
		if ((rc = vg_json_it_value(&it, vpos, &v, &d->err)) < 0)
			break;
		record(c, d, v, v, (vg_jspan){0, 0});
		d->done = v.end;
	}
	if (rc < 0)
		return rc;
	*next = it.pos;
	return 0;
}

enum { M_DTYPE, M_DETAIL, M_TIME, M_DSTART, M_DEND, M_NKEYS };
static const char *const top_keys[M_NKEYS] = {
	"detail-type", "detail", "time", "digestStartTime", "digestEndTime",
};

/* What a top-level object without a Records array is: a digest file, an
 * envelope or a single record. */
static void classify(ct *c, vg_jdoc *d, vg_jspan obj, const vg_jspan *m, int bad_records)
{
	if (bad_records) {
		vg_ev_begin(c->ctx->out, c->group, c->ctx->now_ns, d->s + obj.start,
			    obj.end - obj.start);
		vg_ev_parse_error(c->ctx->out, "\"Records\" is not an array");
		vg_ev_end(c->ctx->out);
	} else if (vg_jspan_ok(m[M_DSTART]) && vg_jspan_ok(m[M_DEND])) {
		c->ctx->nskipped++;
	} else if (vg_jspan_ok(m[M_DTYPE]) && vg_jspan_ok(m[M_DETAIL])) {
		record(c, d, obj, m[M_DETAIL], m[M_TIME]);
	} else {
		record(c, d, obj, obj, (vg_jspan){0, 0});
	}
}

/* A top-level object, member by member: a "Records" array is read in
 * place as it comes (the hot path: an S3 log file is one such object), the
 * other members are validated and remembered for classify(). */
static int object(ct *c, vg_jdoc *d, size_t pos, size_t *next)
{
	const char *s = d->s;
	vg_json_it it;
	vg_jspan k, v, m[M_NKEYS] = {{0, 0}};
	size_t vpos, end;
	int rc, nrecords = 0, bad_records = 0;
	if ((rc = vg_json_it_init(&it, s, d->n, pos, &d->err)) < 0)
		return rc;
	while ((rc = vg_json_it_key(&it, &k, &vpos, &d->err)) > 0) {
		if (s[vpos] == '[' && vg_json_key_eq(s, k, "Records")) {
			if ((rc = records(c, d, vpos, &end)) < 0)
				return rc;
			nrecords++;
			vg_json_it_done(&it, end);
			continue;
		}
		if ((rc = vg_json_skip(s, d->n, vpos, &v, &d->err)) < 0)
			return rc;
		bad_records |= vg_json_key_eq(s, k, "Records");
		for (int i = 0; i < M_NKEYS; i++)
			if (vg_json_key_eq(s, k, top_keys[i]))
				m[i] = v;
		vg_json_it_done(&it, v.end);
	}
	if (rc < 0)
		return rc;
	*next = it.pos;
	if (nrecords == 0)
		classify(c, d, (vg_jspan){pos, it.pos}, m, bad_records);
	return 0;
}

/* vg_jdoc_fn: one top-level value of the document. */
static int top_value(vg_jdoc *d, size_t pos, size_t *next, void *arg)
{
	ct *c = arg;
	char cb[8];
	if (d->s[pos] == '[')
		return records(c, d, pos, next);
	if (d->s[pos] != '{')
		return vg_seterr(&d->err, VG_EINVAL, (int64_t)pos,
				 "expected a JSON object or array at byte %zu, found %s", pos,
				 vg_json_byte(cb, (unsigned char)d->s[pos]));
	return object(c, d, pos, next);
}

/* parse() of vg_fmt_cloudtrail. */
static int ct_parse(vg_parse_ctx *ctx, const char *buf, size_t len)
{
	int owned;
	ct c = {.ctx = ctx, .jf = thread_jflat(&owned)};
	vg_jflat_rebind(c.jf, ctx->out);
	c.group = vg_parse_group(ctx, "cloudtrail");
	/* Records of one API call by one caller look alike: kept together in a
	 * block, their raw JSON compresses several times better. */
	static const char key[] = "eventSource eventName userIdentity.arn";
	vg_batch_sortkey(ctx->out, c.group, key, sizeof key - 1);
	vg_jdoc_run(ctx, c.group, buf, len, top_value, &c);
	if (owned)
		jf_free(c.jf);
	return 0;
}

/* detect() of vg_fmt_cloudtrail. */
static int ct_detect(const char *buf, size_t len)
{
	size_t p = vg_json_ws(buf, len, 0);
	if (p >= len || (buf[p] != '{' && buf[p] != '['))
		return 0;
	size_t head = len - p < 64 ? len - p : 64;
	if (memmem(buf + p, head, "\"Records\"", 9))
		return 95;
	if (memmem(buf, len, "\"digestStartTime\"", 17) && memmem(buf, len, "\"digestEndTime\"", 15))
		return 90;
	if (memmem(buf, len, "\"detail-type\"", 13) && memmem(buf, len, "via CloudTrail", 14))
		return 90;
	if (memmem(buf, len, "\"eventVersion\"", 14) &&
	    (memmem(buf, len, "\"eventSource\"", 13) || memmem(buf, len, "\"eventTime\"", 11)))
		return 90;
	return 0;
}

const vg_format vg_fmt_cloudtrail = {
	.name = "cloudtrail",
	.line_oriented = 0,
	.detect = ct_detect,
	.parse = ct_parse,
};
