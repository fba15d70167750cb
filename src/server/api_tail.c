/*
 * api_tail.c — GET /api/v1/tail?q=: new matching events as Server-Sent
 * Events, like `tail -f` through a search.
 *
 * The stream starts at the events that arrive after the request. The
 * handler remembers how many events the memtable held when it last looked;
 * when the writer reports growth (vg_writer_wait_events), it runs the
 * search over the new memtable rows only (vg_exec_opts.mem_from/mem_only)
 * and sends each match, oldest first, as
 *
 *     event: match
 *     data: {"_time": ..., "_group": ..., "_raw": ..., fields...}
 *
 * and a comment line every 15 s without matches, so proxies keep the
 * connection. A seal empties the memtable: the handler starts again from
 * its first row; events that arrived and were sealed between two looks
 * (a window of at most one commit) are not sent — the price of not
 * querying segments on every seal.
 *
 * A tail holds no lock while it waits, and runs the same bounded search
 * as /api/v1/search while it looks; it counts as a running query only
 * then. The stream ends when the server stops or the client goes away.
 */
#include <stdlib.h>
#include <string.h>

#include "query/exec.h"
#include "query/qparse.h"
#include "server/srv.h"
#include "util/timeutil.h"

#define TAIL_BATCH 10000          /* matches sent per look, at most */
#define TAIL_KEEPALIVE_NS (15 * (int64_t)1000000000)

typedef struct tail {
	vg_server *s;
	vg_query *q;
	uint64_t seen;            /* memtable rows already looked at */
	uint64_t sealgen;
	vg_buf out;               /* bytes to send */
	size_t sent;
	int done;
} tail;

/* Look at the memtable rows past t->seen; append their matches to t->out. */
static int look(tail *t)
{
	vg_server *s = t->s;
	vg_exec_opts eo = {.from = INT64_MIN, .to = INT64_MAX};
	eo.now_ns = vg_now_ns();
	eo.limit = TAIL_BATCH;
	eo.timeout_ns = s->o.query_timeout_ns;
	eo.mem_only = 1;
	eo.mem_from = t->seen;
	vg_result res;
	vg_err e = {0};
	vg_store *st = vg_writer_read_lock(s->w);
	uint64_t n = vg_batch_count(vg_store_mem(st));
	int rc = vg_exec(st, t->q, &eo, &res, &e);
	vg_writer_read_unlock(s->w);
	t->seen = n;
	if (rc) {
		vg_buf_puts(&t->out, "event: error\ndata: ");
		vg_buf_puts(&t->out, e.msg);
		vg_buf_puts(&t->out, "\n\n");
		return rc;
	}
	for (uint32_t k = res.nevents; k-- > 0;) {
		vg_buf_puts(&t->out, "event: match\ndata: ");
		vg_buf_put(&t->out, res.events[k].json, res.events[k].len);
		vg_buf_puts(&t->out, "\n\n");
	}
	if (res.truncated)
		vg_buf_printf(&t->out, "event: truncated\ndata: {\"matched\":%llu,\"sent\":%u}\n\n",
			      (unsigned long long)res.stats.events_matched, res.nevents);
	vg_result_free(&res);
	return 0;
}

static ssize_t tail_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	tail *t = cls;
	while (t->sent == t->out.len) {
		vg_buf_clear(&t->out);
		t->sent = 0;
		if (t->done || atomic_load(&t->s->stop))
			return MHD_CONTENT_READER_END_OF_STREAM;
		uint64_t gen = t->sealgen;
		uint64_t n = vg_writer_wait_events(t->s->w, t->seen, &t->sealgen, TAIL_KEEPALIVE_NS);
		if (atomic_load(&t->s->stop))
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (t->sealgen != gen)
			t->seen = 0;
		if (n > t->seen || t->sealgen != gen) {
			if (look(t) != 0)
				t->done = 1;
		} else {
			vg_buf_puts(&t->out, ": keepalive\n\n");
		}
	}
	size_t k = t->out.len - t->sent;
	if (k > max)
		k = max;
	memcpy(buf, t->out.p + t->sent, k);
	t->sent += k;
	return (ssize_t)k;
}

static void tail_free(void *cls)
{
	tail *t = cls;
	vg_query_free(t->q);
	vg_buf_free(&t->out);
	free(t);
}

int vg_api_tail(vg_req *r)
{
	const char *text = vg_arg(r, "q");
	if (text == NULL || *text == 0)
		text = "*";
	vg_err e = {0};
	vg_query *q = NULL;
	if (vg_query_parse(text, strlen(text), vg_now_ns(), &q, &e) != 0)
		return vg_reply_error(r, 400, "%s (at %lld)", e.msg, (long long)e.pos);
	if (q->ncmds) {
		vg_query_free(q);
		return vg_reply_error(r, 400, "tail takes a search without a pipeline");
	}
	tail *t = vg_xcalloc(1, sizeof *t);
	t->s = r->s;
	t->q = q;
	vg_store *st = vg_writer_read_lock(r->s->w);
	t->seen = vg_batch_count(vg_store_mem(st));
	vg_writer_read_unlock(r->s->w);
	vg_writer_wait_events(r->s->w, UINT64_MAX, &t->sealgen, 0);
	/* The first bytes go out at once, so the client sees the stream is
	 * open before anything matches. */
	vg_buf_puts(&t->out, ": vigil tail\n\n");
	struct MHD_Response *resp =
		MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, tail_read, t, tail_free);
	if (resp == NULL) {
		tail_free(t);
		return vg_reply_error(r, 500, "cannot start the stream");
	}
	MHD_add_response_header(resp, "Content-Type", "text/event-stream");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	MHD_queue_response(r->conn, 200, resp);
	MHD_destroy_response(resp);
	r->answered = 1;
	r->status = 200;
	return 0;
}
