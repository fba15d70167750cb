/*
 * awsconfig.c — the `awsconfig` format: AWS Config configuration items.
 *
 * Shapes read (any number of them, concatenated or one per line):
 *   {"fileVersion":..,"configurationItems":[...]}   snapshot / history file
 *   [ {...}, ... ]                                   a bare array of items
 *   {"configurationItemCaptureTime":.., ...}         a single item
 *   {"Type":"Notification","Message":"{...}"}        an SNS notification:
 *        Message is a JSON document inside a string, holding
 *        configurationItem + configurationItemDiff, or (oversized items)
 *        configurationItemSummary + s3DeliverySummary
 *   {"configurationItem":{..},"messageType":..}      the same message bare
 *   {"detail-type":..,"detail":{..message..}}        the same via EventBridge
 *
 * Each configuration item is one event in group "awsconfig", time =
 * configurationItemCaptureTime. Fields: the item flattened without a prefix
 * (resourceType, resourceId, awsAccountId, configuration.*, tags.* ...);
 * for a notification also configurationItemDiff.* (the change, so a
 * timeline keeps what changed), messageType, notificationCreationTime,
 * s3DeliverySummary.* (oversized items, whose configuration must be
 * fetched from S3) and sns.MessageId/TopicArn/Subject/Timestamp. The raw
 * message is the item's own JSON text, or for a notification the decoded
 * Message, so changeType and the diff survive in it.
 *
 * Also read, because users paste them: `aws configservice
 * get-resource-config-history` output, whose items carry `configuration`
 * as a JSON string (decoded and flattened like the others), `accountId`
 * and `arn` (also given as awsAccountId and ARN) and epoch capture times.
 *
 * Other Config notifications (compliance changes, delivery notices) become
 * events with their messageType and fields, timed by
 * notificationCreationTime; they carry no configurationItemStatus, which
 * is how a reader tells them from configuration items.
 *
 * Problems a reader of configuration must know of — a Message that does
 * not parse, an item without capture time, resourceType or resourceId, a
 * diff whose changedProperties entries are not objects — give the event a
 * `_parse_error`; the event is kept with every field that could be read.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "parse/jsonflat.h"
#include "parse/parse.h"

typedef struct ac {
	vg_parse_ctx *ctx;
	vg_batch *b;
	vg_jflat jf;
	uint32_t group;
	vg_buf msg;          /* the decoded SNS Message */
	vg_buf conf;         /* a decoded `configuration` string */
	vg_buf key;          /* a decoded member key */
	size_t nitem;
} ac;

/* What one event collected while it was built. */
typedef struct evinfo {
	int64_t t;
	int have_t;
	char prob[480];      /* the first problem found, or "" */
} evinfo;

static void problem(evinfo *ei, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(evinfo *ei, const char *fmt, ...)
{
	if (ei->prob[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ei->prob, sizeof ei->prob, fmt, ap);
	va_end(ap);
}

/* 1 if s[v] is the JSON string "want" (no escapes). */
static int str_is(const char *s, vg_jspan v, const char *want)
{
	size_t n = strlen(want);
	return v.end - v.start == n + 2 && s[v.start] == '"' && memcmp(s + v.start + 1, want, n) == 0;
}

/* Flatten s[v] (if present) as field name. */
static void put(ac *a, const char *s, size_t n, vg_jspan v, const char *name)
{
	vg_err err;
	if (vg_jspan_ok(v))
		vg_jflat_value(&a->jf, a->b, s, n, v.start, name, NULL, &err);
}

/* Finish the open event: time, problem, end. */
static void finish(ac *a, evinfo *ei)
{
	vg_ev_settime(a->b, ei->have_t ? ei->t : a->ctx->now_ns);
	if (ei->prob[0])
		vg_ev_parse_error(a->b, ei->prob);
	vg_ev_end(a->b);
}

/* A `configuration` given as a JSON string (get-resource-config-history):
 * flattened as if it were the object it holds. */
static void conf_string(ac *a, const char *s, size_t n, vg_jspan v, evinfo *ei)
{
	vg_err err = {0};
	vg_jspan cv;
	a->conf.len = 0;
	vg_json_string(s, n, v.start, &a->conf, &err);
	const char *c = (const char *)a->conf.p;
	size_t cl = a->conf.len, p = vg_json_ws(c, cl, 0);
	if (p < cl && (c[p] == '{' || c[p] == '[') && vg_json_skip(c, cl, p, &cv, &err) == 0 &&
	    vg_json_ws(c, cl, cv.end) == cl) {
		vg_jflat_value(&a->jf, a->b, c, cl, p, "configuration", NULL, &err);
		return;
	}
	put(a, s, n, v, "configuration");
	if (cl > 0)
		problem(ei, "configuration is a string that holds no JSON document");
}

enum { C_TIME, C_RTYPE, C_RID, C_AACCT, C_ACCT, C_AARN, C_ARN, C_N };
static const char *const ci_keys[C_N] = {
	"configurationItemCaptureTime", "resourceType", "resourceId", "awsAccountId",
	"accountId", "ARN", "arn",
};

/* Check what a reader of configuration items relies on. */
static void ci_check(const char *s, vg_jspan *m, evinfo *ei)
{
	if (!vg_jspan_ok(m[C_TIME])) {
		problem(ei, "configurationItemCaptureTime is missing");
	} else if (vg_json_time(s, m[C_TIME], &ei->t)) {
		ei->have_t = 1;
	} else {
		size_t len = m[C_TIME].end - m[C_TIME].start;
		problem(ei, "configurationItemCaptureTime %.*s is not an ISO-8601 time",
			(int)(len > 64 ? 64 : len), s + m[C_TIME].start);
	}
	if (!vg_jspan_ok(m[C_RTYPE]) || s[m[C_RTYPE].start] != '"')
		problem(ei, "resourceType is missing");
	if (!vg_jspan_ok(m[C_RID]) || s[m[C_RID].start] != '"')
		problem(ei, "resourceId is missing");
}

/* The fields of the configuration item (or item summary) object at s[obj]:
 * member by member, so that a `configuration` string can be decoded and
 * the keys a reader needs are seen without another pass. */
static void ci_fields(ac *a, const char *s, size_t n, size_t obj, evinfo *ei)
{
	vg_json_it it;
	vg_jspan k, v, m[C_N] = {{0, 0}};
	vg_err err;
	char key[VG_MAX_NAME + 1];
	if (vg_json_it_init(&it, s, n, obj, &err) < 0)
		return;
	while (vg_json_it_next(&it, &k, &v, &err) > 0) {
		a->key.len = 0;
		vg_json_string(s, n, k.start - 1, &a->key, &err);
		size_t kl = a->key.len < VG_MAX_NAME ? a->key.len : VG_MAX_NAME;
		if (kl)
			memcpy(key, a->key.p, kl);
		key[kl] = 0;
		if (kl == 0)
			continue;
		for (int i = 0; i < C_N; i++)
			if (strcmp(key, ci_keys[i]) == 0)
				m[i] = v;
		if (strcmp(key, "configuration") == 0 && s[v.start] == '"')
			conf_string(a, s, n, v, ei);
		else
			vg_jflat_value(&a->jf, a->b, s, n, v.start, key, NULL, &err);
	}
	/* get-resource-config-history spells these differently. */
	if (!vg_jspan_ok(m[C_AACCT]))
		put(a, s, n, m[C_ACCT], "awsAccountId");
	if (!vg_jspan_ok(m[C_AARN]))
		put(a, s, n, m[C_ARN], "ARN");
	ci_check(s, m, ei);
}

/* Every entry of configurationItemDiff.changedProperties must be an object
 * {previousValue, updatedValue, changeType}: a reader of the diff relies
 * on it. */
static void diff_check(const char *s, size_t n, vg_jspan diff, evinfo *ei)
{
	vg_jspan cp, k, v;
	vg_json_it it;
	vg_err err;
	if (s[diff.start] != '{') {
		if (s[diff.start] != 'n')
			problem(ei, "configurationItemDiff is %s, not an object",
				vg_json_kind(s[diff.start]));
		return;
	}
	if (vg_json_find(s, n, diff.start, "changedProperties", &cp, &err) <= 0 ||
	    s[cp.start] == 'n')
		return;
	if (s[cp.start] != '{') {
		problem(ei, "configurationItemDiff.changedProperties is %s, not an object",
			vg_json_kind(s[cp.start]));
		return;
	}
	vg_json_it_init(&it, s, n, cp.start, &err);
	while (vg_json_it_next(&it, &k, &v, &err) > 0) {
		if (s[v.start] == '{')
			continue;
		size_t vl = v.end - v.start;
		problem(ei, "configurationItemDiff.changedProperties.%.*s is %s (%.*s), not an "
			"object with previousValue, updatedValue and changeType",
			(int)(k.end - k.start > 100 ? 100 : k.end - k.start), s + k.start,
			vg_json_kind(s[v.start]), (int)(vl > 40 ? 40 : vl), s + v.start);
		return;
	}
}

/* The envelope fields a notification event keeps (the raw is the Message). */
typedef struct sns {
	const char *s;
	size_t n;
	vg_jspan id, topic, subject, ts;
} sns;

static void sns_fields(ac *a, const sns *e, evinfo *ei)
{
	if (e == NULL)
		return;
	put(a, e->s, e->n, e->id, "sns.MessageId");
	put(a, e->s, e->n, e->topic, "sns.TopicArn");
	put(a, e->s, e->n, e->subject, "sns.Subject");
	put(a, e->s, e->n, e->ts, "sns.Timestamp");
	if (!ei->have_t && vg_json_time(e->s, e->ts, &ei->t))
		ei->have_t = 1;
}

enum { N_CI, N_SUM, N_DIFF, N_TYPE, N_NTIME, N_S3, N_RVER, N_N };
static const char *const msg_keys[N_N] = {
	"configurationItem", "configurationItemSummary", "configurationItemDiff", "messageType",
	"notificationCreationTime", "s3DeliverySummary", "recordVersion",
};

/* One notification message: the object at s[obj], raw message raw. */
static void message(ac *a, const char *raw, size_t rawlen, const char *s, size_t n, size_t obj,
		    const sns *e)
{
	vg_jspan m[N_N];
	vg_err err;
	evinfo ei = {0};
	vg_json_members(s, n, obj, msg_keys, N_N, m, &err);
	vg_ev_begin(a->b, a->group, a->ctx->now_ns, raw, rawlen);
	int ci = vg_jspan_ok(m[N_CI]) && s[m[N_CI].start] == '{';
	int sum = vg_jspan_ok(m[N_SUM]) && s[m[N_SUM].start] == '{';
	if (ci || sum) {
		ci_fields(a, s, n, ci ? m[N_CI].start : m[N_SUM].start, &ei);
		put(a, s, n, m[N_S3], "s3DeliverySummary");
		put(a, s, n, m[N_TYPE], "messageType");
		put(a, s, n, m[N_NTIME], "notificationCreationTime");
		put(a, s, n, m[N_RVER], "recordVersion");
	} else {
		vg_jflat_value(&a->jf, a->b, s, n, obj, NULL, NULL, &err);
		if (str_is(s, m[N_TYPE], "ConfigurationItemChangeNotification") ||
		    str_is(s, m[N_TYPE], "OversizedConfigurationItemChangeNotification"))
			problem(&ei, "the notification has no configurationItem object");
	}
	if (vg_jspan_ok(m[N_DIFF])) {
		put(a, s, n, m[N_DIFF], "configurationItemDiff");
		diff_check(s, n, m[N_DIFF], &ei);
	}
	if (!ei.have_t && vg_json_time(s, m[N_NTIME], &ei.t))
		ei.have_t = 1;
	sns_fields(a, e, &ei);
	finish(a, &ei);
}

/* A raw event for a notification whose Message does not parse. */
static void bad_message(ac *a, const sns *e, const char *msg)
{
	evinfo ei = {0};
	vg_ev_begin(a->b, a->group, a->ctx->now_ns, (const char *)a->msg.p, a->msg.len);
	snprintf(ei.prob, sizeof ei.prob, "SNS Message: %s", msg);
	sns_fields(a, e, &ei);
	finish(a, &ei);
}

enum { T_ITEMS, T_TYPE, T_MSG, T_DTYPE, T_DETAIL, T_CI, T_SUM, T_TIME, T_ID, T_TOPIC, T_SUBJ,
       T_TS, T_N };
static const char *const top_keys[T_N] = {
	"configurationItems", "Type", "Message", "detail-type", "detail", "configurationItem",
	"configurationItemSummary", "configurationItemCaptureTime", "MessageId", "TopicArn",
	"Subject", "Timestamp",
};

/* An SNS notification: decode Message, then read it as a message. */
static void notification(ac *a, vg_jdoc *d, const vg_jspan *m)
{
	sns e = {.s = d->s, .n = d->n, .id = m[T_ID], .topic = m[T_TOPIC], .subject = m[T_SUBJ],
		 .ts = m[T_TS]};
	vg_err err = {0};
	vg_jspan v;
	char why[560], cb[8];
	a->msg.len = 0;
	vg_json_string(d->s, d->n, m[T_MSG].start, &a->msg, &err);
	vg_buf_reserve(&a->msg, 1); /* a non-NULL pointer even for "" */
	const char *s = (const char *)a->msg.p;
	size_t n = a->msg.len, after;
	if (vg_json_skip(s, n, 0, &v, &err) < 0) {
		bad_message(a, &e, err.msg);
	} else if ((after = vg_json_ws(s, n, v.end)) < n) {
		snprintf(why, sizeof why,
			 "unexpected %s at byte %zu after the end of the JSON %s that starts "
			 "at byte %zu (a stray closing bracket before it?)",
			 vg_json_byte(cb, (unsigned char)s[after]), after,
			 s[v.start] == '{' ? "object" : "value", v.start);
		bad_message(a, &e, why);
	} else if (s[v.start] != '{') {
		snprintf(why, sizeof why, "the Message holds %s, not a JSON object",
			 vg_json_kind(s[v.start]));
		bad_message(a, &e, why);
	} else {
		message(a, s, n, s, n, v.start, &e);
	}
}

/* A configuration item standing alone (in configurationItems, an array or
 * by itself): raw is its own text. */
static void item(ac *a, vg_jdoc *d, vg_jspan v)
{
	evinfo ei = {0};
	a->nitem++;
	vg_ev_begin(a->b, a->group, a->ctx->now_ns, d->s + v.start, v.end - v.start);
	if (d->s[v.start] == '{')
		ci_fields(a, d->s, d->n, v.start, &ei);
	else
		problem(&ei, "configuration item %zu (at byte %zu) is %s, not a JSON object",
			a->nitem, v.start, vg_json_kind(d->s[v.start]));
	finish(a, &ei);
}

/* Every element of the array at s[pos] is an item. */
static int items(ac *a, vg_jdoc *d, size_t pos, size_t *next)
{
	vg_json_it it;
	vg_jspan k, v;
	int rc = vg_json_it_init(&it, d->s, d->n, pos, &d->err);
	if (rc < 0)
		return rc;
	while ((rc = vg_json_it_next(&it, &k, &v, &d->err)) > 0) {
		item(a, d, v);
		d->done = v.end;
	}
	if (rc == 0)
		*next = it.pos;
	return rc;
}

/* A raw event for a whole object that is not what it should be. */
static void bad_object(ac *a, vg_jdoc *d, vg_jspan obj, const char *msg)
{
	vg_ev_begin(a->b, a->group, a->ctx->now_ns, d->s + obj.start, obj.end - obj.start);
	vg_ev_parse_error(a->b, msg);
	vg_ev_end(a->b);
}

/* Which shape a top-level object is, and its events. */
static void object(ac *a, vg_jdoc *d, vg_jspan obj, const vg_jspan *m)
{
	const char *s = d->s;
	if (vg_jspan_ok(m[T_ITEMS])) {
		bad_object(a, d, obj, "\"configurationItems\" is not an array");
	} else if (str_is(s, m[T_TYPE], "Notification") && vg_jspan_ok(m[T_MSG])) {
		if (s[m[T_MSG].start] == '"')
			notification(a, d, m);
		else
			bad_object(a, d, obj, "the SNS Message is not a string");
	} else if (vg_jspan_ok(m[T_DTYPE]) && vg_jspan_ok(m[T_DETAIL])) {
		if (s[m[T_DETAIL].start] == '{')
			message(a, s + obj.start, obj.end - obj.start, s, d->n, m[T_DETAIL].start,
				NULL);
		else
			bad_object(a, d, obj, "the EventBridge detail is not an object");
	} else if (vg_jspan_ok(m[T_CI]) || vg_jspan_ok(m[T_SUM])) {
		message(a, s + obj.start, obj.end - obj.start, s, d->n, obj.start, NULL);
	} else if (vg_jspan_ok(m[T_TIME])) {
		item(a, d, obj);
	} else {
		bad_object(a, d, obj,
			   "not an AWS Config document: no configurationItems, configurationItem, "
			   "configurationItemCaptureTime or SNS Message");
	}
}

/* vg_jdoc_fn: one top-level value. An object is walked member by member
 * so that a configurationItems array is read in place: a snapshot that
 * breaks keeps the items before the break. */
static int top_value(vg_jdoc *d, size_t pos, size_t *next, void *arg)
{
	ac *a = arg;
	const char *s = d->s;
	char cb[8];
	if (s[pos] == '[')
		return items(a, d, pos, next);
	if (s[pos] != '{')
		return vg_seterr(&d->err, VG_EINVAL, (int64_t)pos,
				 "expected a JSON object or array at byte %zu, found %s", pos,
				 vg_json_byte(cb, (unsigned char)s[pos]));
	vg_json_it it;
	vg_jspan k, v, m[T_N] = {{0, 0}};
	size_t vpos, end;
	int rc, nitems = 0;
	if ((rc = vg_json_it_init(&it, s, d->n, pos, &d->err)) < 0)
		return rc;
	while ((rc = vg_json_it_key(&it, &k, &vpos, &d->err)) > 0) {
		if (s[vpos] == '[' && vg_json_key_eq(s, k, "configurationItems")) {
			if ((rc = items(a, d, vpos, &end)) < 0)
				return rc;
			nitems++;
			vg_json_it_done(&it, end);
			continue;
		}
		if ((rc = vg_json_skip(s, d->n, vpos, &v, &d->err)) < 0)
			return rc;
		for (int i = 0; i < T_N; i++)
			if (vg_json_key_eq(s, k, top_keys[i]))
				m[i] = v;
		vg_json_it_done(&it, v.end);
	}
	if (rc < 0)
		return rc;
	*next = it.pos;
	if (nitems == 0)
		object(a, d, (vg_jspan){pos, it.pos}, m);
	return 0;
}

/* parse() of vg_fmt_awsconfig. */
static int ac_parse(vg_parse_ctx *ctx, const char *buf, size_t len)
{
	ac a = {.ctx = ctx, .b = ctx->out};
	vg_jflat_init(&a.jf);
	a.group = vg_parse_group(ctx, "awsconfig");
	/* Versions of one resource sit together: their JSON differs little. */
	static const char key[] = "resourceType resourceId";
	vg_batch_sortkey(ctx->out, a.group, key, sizeof key - 1);
	vg_jdoc_run(ctx, a.group, buf, len, top_value, &a);
	vg_jflat_free(&a.jf);
	vg_buf_free(&a.msg);
	vg_buf_free(&a.conf);
	vg_buf_free(&a.key);
	return 0;
}

/* detect() of vg_fmt_awsconfig. */
static int ac_detect(const char *buf, size_t len)
{
	size_t p = vg_json_ws(buf, len, 0);
	if (p >= len || (buf[p] != '{' && buf[p] != '['))
		return 0;
	size_t head = len - p < 512 ? len - p : 512;
	if (memmem(buf + p, head, "\"configurationItems\"", 20))
		return 95;
	if (memmem(buf, len, "\"Notification\"", 14) && memmem(buf, len, "configurationItem", 17))
		return 95;
	if (memmem(buf, len, "Config Configuration Item Change", 32))
		return 95;
	if (memmem(buf, len, "\"configurationItem\"", 19) && memmem(buf, len, "\"messageType\"", 13))
		return 90;
	if (memmem(buf, len, "\"configurationItemCaptureTime\"", 30))
		return 85;
	return 0;
}

const vg_format vg_fmt_awsconfig = {
	.name = "awsconfig",
	.line_oriented = 0,
	.detect = ac_detect,
	.parse = ac_parse,
};
