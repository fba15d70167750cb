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
