/* ctx.c — parse-context helpers every parser links, kept apart from the
 * format table so one parser builds alone (fuzz harnesses). */
#include "parse/parse.h"

#include <stdlib.h>
#include <string.h>

void vg_parse_ctx_reset(vg_parse_ctx *ctx)
{
	if (ctx->state && ctx->free_state)
		ctx->free_state(ctx->state);
	else
		free(ctx->state);
	ctx->state = NULL;
	ctx->free_state = NULL;
}

uint32_t vg_parse_group(vg_parse_ctx *ctx, const char *dflt)
{
	const char *g = ctx->group ? ctx->group : dflt;
	return vg_batch_group(ctx->out, g, strlen(g));
}

int vg_line_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

int vg_detect_lines(const char *buf, size_t len, int max,
		    int (*look)(void *ctx, const char *line, size_t n, int index), void *ctx,
		    int all, int most, int some)
{
	int lines = 0, good = 0;
	size_t pos = 0;
	while (pos < len && lines < max) {
		const char *line = buf + pos;
		const char *nl = memchr(line, '\n', len - pos);
		if (nl == NULL && lines > 0)
			break; /* a cut last line says nothing */
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		pos += n + 1;
		if (vg_line_blank(line, n))
			continue;
		int r = look(ctx, line, n, lines);
		if (r < 0)
			return -1;
		lines++;
		good += r > 0;
	}
	if (lines == 0 || good == 0)
		return 0;
	if (good == lines)
		return all;
	return good * 10 >= lines * 8 ? most : some;
}
