/*
 * parse.h — the parsers: bytes in a known or detected format become events
 * in a vg_batch.
 *
 * Each format is one module (vpcflow.c, cloudtrail.c, awsconfig.c,
 * awscli.c, syslog.c, json.c, logfmt.c, text.c) exporting one vg_format.
 * The ingest driver (ingest/ingest.c) reads a file, picks the format
 * (--format, or vg_format_detect on the first bytes), and calls parse():
 *
 *  - line formats (line_oriented = 1) are fed successive chunks that each
 *    end on a line boundary (the last chunk may lack a final newline), so a
 *    10 GB file never sits in memory; state that spans chunks (the VPC flow
 *    header line, the syslog year) lives in ctx->state.
 *  - document formats (line_oriented = 0) get the whole input at once,
 *    bounded by VG_MAX_DOC.
 *
 * The contract every parser keeps: nothing is dropped silently. Input that
 * does not parse becomes an event whose raw message is the offending line
 * (or document) with `_parse_error` set to a message a person understands
 * (vg_ev_parse_error counts it). Blank lines are not events. A parser only
 * returns an error (< 0) for a failure of the whole input that it cannot
 * represent as events; it then fills ctx->err.
 *
 * Event times: a parser sets the event's own time when the input has one;
 * otherwise ctx->now_ns (the ingest time).
 */
#ifndef VG_PARSE_H
#define VG_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "event/batch.h"
#include "util/err.h"

#define VG_MAX_DOC (512u << 20)     /* largest document-format input */
#define VG_MAX_JSON_DEPTH 64        /* deeper nesting is a parse error */

typedef struct vg_parse_ctx {
	vg_batch *out;
	const char *group;      /* --group: overrides the format's own group, or NULL */
	const char *account;    /* --account (awscli), or NULL */
	const char *source;     /* file name, for messages */
	const char *host;       /* the host the input came from (a network peer), or
				 * NULL: syslog's host when a line names none */
	int64_t now_ns;         /* ingest time: the time of events that carry none */
	int64_t ref_ns;         /* the input's own time (file mtime, or now for stdin):
				 * the reference for a syslog line's missing year */
	uint64_t nskipped;      /* documents recognised and deliberately not stored
				 * (CloudTrail digest files) */
	void *state;            /* per-input parser state; freed by free_state */
	void (*free_state)(void *state);
	vg_err err;
} vg_parse_ctx;

typedef struct vg_format {
	const char *name;
	int line_oriented;
	/* Confidence 0..100 that buf (the first bytes of an input, at most
	 * 64 KiB, maybe cut mid-line) is in this format. */
	int (*detect)(const char *buf, size_t len);
	/* Parse buf into ctx->out. Returns 0, or < 0 with ctx->err set. */
	int (*parse)(vg_parse_ctx *ctx, const char *buf, size_t len);
} vg_format;

extern const vg_format vg_fmt_vpcflow, vg_fmt_cloudtrail, vg_fmt_awsconfig, vg_fmt_awscli,
	vg_fmt_syslog, vg_fmt_json, vg_fmt_logfmt, vg_fmt_text;

/* The format named name, or NULL. */
const vg_format *vg_format_find(const char *name);
/* The most likely format of buf (text when nothing else is likely). */
const vg_format *vg_format_detect(const char *buf, size_t len);
/* Release ctx->state (calls free_state) so the ctx can start a new input. */
void vg_parse_ctx_reset(vg_parse_ctx *ctx);

/* 1 if the line holds only spaces, tabs and carriage returns. */
int vg_line_blank(const char *s, size_t n);

/* For line formats' detect(): walk the first `max` non-blank whole lines
 * of buf (a last line cut by the 64 KiB window is skipped, unless it is the
 * only one) and ask look(ctx, line, n, index) about each: 1 looks right, 0
 * does not, -1 is a sure yes that ends the walk (a header line). Returns -1
 * for a sure yes, else the share of good lines mapped to a confidence:
 * `all` when every line is good, `most` from 80%, `some` below, 0 for
 * none. */
int vg_detect_lines(const char *buf, size_t len, int max,
		    int (*look)(void *ctx, const char *line, size_t n, int index), void *ctx,
		    int all, int most, int some);

/* Group used when the user gave none and the format names none itself. */
uint32_t vg_parse_group(vg_parse_ctx *ctx, const char *dflt);

#endif
