/*
 * proto_cfg.c — POST /api/v1/config/items (proto.h).
 *
 * The body is whatever `vigil ingest --format awsconfig` reads: a snapshot
 * or history file, a bare array of items, one item, an SNS notification
 * (as AWS Config delivers changes to an HTTPS subscription) or the same
 * change as an EventBridge event. The awsconfig parser already knows
 * every shape and keeps broken items as events with `_parse_error`; this
 * endpoint only adds the question the parser does not ask, because a file
 * given on the command line names its format: is the body a configuration
 * document at all? Its detector answers; a JSON body it does not recognise
 * (an SNS subscription confirmation, a CloudTrail file posted to the wrong
 * URL) is refused whole with 400 rather than stored as a heap of parse
 * errors in group awsconfig.
 */
#include "server/proto.h"

#include <string.h>

#include "parse/jsonflat.h"
#include "parse/parse.h"

/* The detector's score from which a body is a configuration document: it
 * gives 85 and more to every shape it knows, 0 to anything else. */
#define CFG_SURE 50

int vg_cfg_items(vg_batch *b, const char *body, size_t len, int64_t now_ns, uint64_t *events,
		 uint64_t *parse_errors, vg_err *err)
{
	size_t nev = b->nev;
	uint64_t nerr = b->nparse_errors;
	if (events)
		*events = 0;
	if (parse_errors)
		*parse_errors = 0;
	size_t p = vg_json_ws(body, len, 0);
	if (p >= len)
		return vg_seterr(err, VG_EINVAL, 0, "the request body is empty: post an AWS Config "
				 "snapshot or history file, a configuration item or an SNS notification");
	if (memmem(body, len, "\"SubscriptionConfirmation\"", 26) != NULL)
		return vg_seterr(err, VG_EINVAL, -1,
				 "this is an SNS subscription confirmation, not a configuration change: "
				 "confirm the subscription by visiting its SubscribeURL");
	if (vg_fmt_awsconfig.detect(body, len) < CFG_SURE)
		return vg_seterr(err, VG_EINVAL, (int64_t)p,
				 "not an AWS Config document: expected a snapshot or history file "
				 "{\"configurationItems\":[...]}, a configuration item (with "
				 "configurationItemCaptureTime) or an SNS notification of a change");
	vg_parse_ctx ctx = {.out = b, .now_ns = now_ns, .ref_ns = now_ns, .source = "config/items"};
	int rc = vg_fmt_awsconfig.parse(&ctx, body, len);
	if (rc < 0 && err)
		*err = ctx.err;
	vg_parse_ctx_reset(&ctx);
	if (events)
		*events = b->nev - nev;
	if (parse_errors)
		*parse_errors = b->nparse_errors - nerr;
	return rc;
}
