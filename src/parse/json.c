/*
 * json.c — the `json` format: one JSON object per line (NDJSON), flattened
 * by jsonflat (nested keys joined with '.', arrays as name[i]).
 *
 * The event time is the first of @timestamp, timestamp, time, ts,
 * eventTime, date that holds a time (an ISO-8601 string, or an epoch
 * number in s/ms/us/ns told apart by magnitude); otherwise the ingest time.
 * A key that is present but holds no time is left as a field and is not a
 * parse error: many logs use `time` for a duration or a clock time.
 *
 * A line that is not one valid JSON object becomes a raw event with
 * `_parse_error`; no partial fields are kept for it, so a search never sees
 * half an object.
 *
 * The flattener (with its cache of field names) lives in ctx->state, so it
 * survives from chunk to chunk of one input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/jsonflat.h"
#include "parse/parse.h"

static const char *const time_keys[] = {"@timestamp", "timestamp", "time", "ts", "eventTime", "date"};
#define NTIME (sizeof time_keys / sizeof *time_keys)

typedef struct json_state {
	vg_jflat jf;
} json_state;

/* free_state for ctx->state. */
static void json_state_free(void *p)
{
	json_state *st = p;
	vg_jflat_free(&st->jf);
	free(st);
}

/* This input's state, created on first use; NULL (ctx->err set) when the
 * ctx holds another format's state. */
static json_state *get_state(vg_parse_ctx *ctx)
{
	if (ctx->state && ctx->free_state != json_state_free) {
		vg_seterr(&ctx->err, VG_EINVAL, -1,
			  "json: the parse context holds another format's state; reset it between inputs");
		return NULL;
	}
	if (ctx->state == NULL) {
		json_state *st = vg_xcalloc(1, sizeof *st);
		vg_jflat_init(&st->jf);
		for (size_t i = 0; i < NTIME; i++)
			vg_jflat_watch(&st->jf, time_keys[i]);
		ctx->state = st;
		ctx->free_state = json_state_free;
	}
	return ctx->state;
}

/* A raw event for line with the given error message. */
static void bad_line(vg_parse_ctx *ctx, uint32_t g, const char *line, size_t n, const char *msg)
{
	vg_ev_begin(ctx->out, g, ctx->now_ns, line, n);
	vg_ev_parse_error(ctx->out, msg);
	vg_ev_end(ctx->out);
}

/* The event time from the watched keys, in their order of preference. */
static int64_t line_time(const vg_jflat *jf, const char *line, int64_t dflt)
{
	int64_t ns;
	for (size_t i = 0; i < NTIME; i++)
		if (vg_json_time(line, jf->watch[i], &ns))
			return ns;
	return dflt;
}

/* One line (without its newline) into one event, or nothing if blank. */
static void json_line(vg_parse_ctx *ctx, json_state *st, uint32_t g, const char *line, size_t n)
{
	if (n > 0 && line[n - 1] == '\r')
		n--;
	size_t p = vg_json_ws(line, n, 0), end = 0;
	if (p >= n)
		return;
	vg_err err = {0};
	char msg[600];
	if (line[p] != '{') {
		snprintf(msg, sizeof msg, "not a JSON object: the line starts with %s",
			 line[p] == '[' || line[p] == '"' || line[p] == '-' ||
				 (line[p] >= '0' && line[p] <= '9') || line[p] == 't' ||
				 line[p] == 'f' || line[p] == 'n'
			 ? vg_json_kind(line[p])
			 : "text");
		bad_line(ctx, g, line, n, msg);
		return;
	}
	vg_ev_begin(ctx->out, g, ctx->now_ns, line, n);
	int rc = vg_jflat_value(&st->jf, ctx->out, line, n, p, NULL, &end, &err);
	if (rc == 0 && vg_json_ws(line, n, end) < n)
		rc = vg_seterr(&err, VG_EINVAL, (int64_t)end,
			       "trailing data after the JSON object at byte %zu",
			       vg_json_ws(line, n, end));
	if (rc < 0) {
		vg_ev_abort(ctx->out);
		bad_line(ctx, g, line, n, err.msg);
		return;
	}
	vg_ev_settime(ctx->out, line_time(&st->jf, line, ctx->now_ns));
	vg_ev_end(ctx->out);
}

/* parse() of vg_fmt_json: every line of buf. */
static int json_parse(vg_parse_ctx *ctx, const char *buf, size_t len)
{
	json_state *st = get_state(ctx);
	if (st == NULL)
		return VG_EINVAL;
	uint32_t g = vg_parse_group(ctx, "json");
	size_t pos = 0;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;
		json_line(ctx, st, g, buf + pos, end - pos);
		pos = end + 1;
	}
	return 0;
}

/* detect() of vg_fmt_json: a first line that is a whole JSON object is
 * likely NDJSON; a leading '{' alone (a pretty-printed document, or a
 * first line cut by the 64 KiB window) is only a weak hint. */
static int json_detect(const char *buf, size_t len)
{
	size_t p = vg_json_ws(buf, len, 0);
	if (p >= len || buf[p] != '{')
		return 0;
	const char *nl = memchr(buf + p, '\n', len - p);
	size_t end = nl ? (size_t)(nl - buf) : len;
	vg_jspan v;
	vg_err err;
	if (vg_json_skip(buf, end, p, &v, &err) == 0 && vg_json_ws(buf, end, v.end) == end)
		return 60;
	return 30;
}

const vg_format vg_fmt_json = {
	.name = "json",
	.line_oriented = 1,
	.detect = json_detect,
	.parse = json_parse,
};
