/*
 * text.c — the fallback format: any line is an event.
 *
 * Each non-blank line becomes one event holding only its raw text (search
 * still finds every word of it). The time is the line's own when it starts
 * with an ISO-8601 timestamp (optionally inside `[...]`, as many loggers
 * write it), else the ingest time.
 */
#include "parse/parse.h"

#include <string.h>

#include "util/timeutil.h"

/* The time of a line that starts with an ISO-8601 timestamp (bare or in
 * brackets) followed by the end, a space or punctuation; otherwise dflt.
 * A timestamp running straight into more digits or letters
 * (`2024-01-02abc`) is not one. */
static int64_t leading_time(const char *s, size_t n, int64_t dflt)
{
	size_t skip = n > 0 && s[0] == '[';
	int64_t t;
	size_t k = vg_parse_iso8601(s + skip, n - skip, &t);
	if (k == 0)
		return dflt;
	k += skip;
	if (k < n) {
		char c = s[k];
		if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
			return dflt;
	}
	return t;
}

/* Parse a chunk of whole lines (the last may lack its newline). */
static int text_parse(vg_parse_ctx *ctx, const char *buf, size_t len)
{
	uint32_t group = vg_parse_group(ctx, "text");
	size_t pos = 0;
	while (pos < len) {
		const char *line = buf + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		pos += n + (nl != NULL);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (vg_line_blank(line, n))
			continue;
		vg_ev_begin(ctx->out, group, leading_time(line, n, ctx->now_ns), line, n);
		vg_ev_end(ctx->out);
	}
	return 0;
}

/* Text reads anything, so it is only ever the last resort. */
static int text_detect(const char *buf, size_t len)
{
	(void)buf;
	(void)len;
	return 1;
}

const vg_format vg_fmt_text = {
	.name = "text",
	.line_oriented = 1,
	.detect = text_detect,
	.parse = text_parse,
};
