/*
 * api_tail.c — GET /api/v1/tail?q=: new matching events as Server-Sent
 * Events, like `tail -f` through a search; the search may go on with
 * commands that work event by event (eval, where, rex, iplocation, lookup),
 * whose fields come with each event.
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
 * connection. A seal empties the memtable: just before it, the writer
 * calls the stream's hook (vg_writer_follow), which looks at the rows not
 * seen yet while they are still there, and the stream sends what it found
 * before anything newer; then the stream starts again from the new
 * memtable's first row. The writer knows a commit will seal from the
 * store itself (vg_store_commit_seals).
 *
 * A tail holds no lock while it waits, and runs the same bounded search
 * as /api/v1/search while it looks; it counts as a running query only
 * then. The stream ends when the server stops or the client goes away.
 */
#include <pthread.h>
#include <stdatomic.h>
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
	/* Where the stream is in the memtable: written only with the store
	 * held (shared by the stream's own looks, exclusively by the seal
	 * hook); atomic because the stream also reads them, as hints, to
	 * wait. */
	_Atomic uint64_t seen;    /* memtable rows already looked at */
	_Atomic uint64_t sealgen; /* the seal count seen goes with */
	pthread_mutex_t mu;       /* guards early */
	vg_buf early;             /* matches the seal hook found, to send first */
	vg_buf out;               /* bytes to send */
	size_t sent;
	int done;
} tail;

/* Look at the memtable rows past t->seen (from the first after a seal);
 * append their matches to out. The caller holds the store, shared or
 * exclusively. */
static int look_locked(tail *t, vg_store *st, vg_buf *out)
{
	vg_server *s = t->s;
	uint64_t gen = vg_writer_sealgen(s->w);
	if (gen != atomic_load(&t->sealgen)) {
		atomic_store(&t->sealgen, gen);
		atomic_store(&t->seen, 0);
	}
	vg_exec_opts eo;
	vg_srv_exec_opts(s, &eo);
	eo.limit = TAIL_BATCH;
	eo.mem_only = 1;
	eo.mem_from = atomic_load(&t->seen);
	vg_result res;
	vg_err e = {0};
	uint64_t n = vg_batch_count(vg_store_mem(st));
	int rc = vg_exec(st, t->q, &eo, &res, &e);
	atomic_store(&t->seen, n);
	if (rc) {
		vg_buf_puts(out, "event: error\ndata: ");
		vg_buf_puts(out, e.msg);
		vg_buf_puts(out, "\n\n");
		return rc;
	}
	for (uint32_t k = res.nevents; k-- > 0;) {
		vg_buf_puts(out, "event: match\ndata: ");
		vg_buf_put(out, res.events[k].json, res.events[k].len);
		vg_buf_puts(out, "\n\n");
	}
	if (res.truncated)
		vg_buf_printf(out, "event: truncated\ndata: {\"matched\":%llu,\"sent\":%u}\n\n",
			      (unsigned long long)res.stats.events_matched, res.nevents);
	vg_result_free(&res);
	return 0;
}

/* The writer is about to seal (writer.h): read the rows not seen yet
 * while they are in the memtable; the stream sends them first. */
static void on_seal(void *arg, vg_store *st)
{
	tail *t = arg;
	vg_buf b = {0};
	look_locked(t, st, &b);
	pthread_mutex_lock(&t->mu);
	vg_buf_put(&t->early, b.p, b.len);
	pthread_mutex_unlock(&t->mu);
	vg_buf_free(&b);
}

static int look(tail *t)
{
	vg_store *st = vg_writer_read_lock(t->s->w);
	int rc = look_locked(t, st, &t->out);
	vg_writer_read_unlock(t->s->w);
	return rc;
}

/* Move what the seal hook found into t->out. */
static void take_early(tail *t)
{
	pthread_mutex_lock(&t->mu);
	vg_buf_put(&t->out, t->early.p, t->early.len);
	vg_buf_clear(&t->early);
	pthread_mutex_unlock(&t->mu);
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
		uint64_t seen = atomic_load(&t->seen), gen = atomic_load(&t->sealgen);
		uint64_t n = vg_writer_wait_events(t->s->w, seen, &gen, TAIL_KEEPALIVE_NS);
		if (atomic_load(&t->s->stop))
			return MHD_CONTENT_READER_END_OF_STREAM;
		take_early(t);
		if (n > seen || gen != atomic_load(&t->sealgen)) {
			if (look(t) != 0)
				t->done = 1;
		}
		if (t->out.len == 0)
			vg_buf_puts(&t->out, ": keepalive\n\n");
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
	vg_writer_unfollow(t->s->w, t);
	pthread_mutex_destroy(&t->mu);
	vg_query_free(t->q);
	vg_buf_free(&t->early);
	vg_buf_free(&t->out);
	free(t);
}

/* Commands that take an event and give it back, enriched or not: they
 * work on a stream (a live map: `| iplocation srcaddr`). Anything that
 * needs every event first (stats, sort, head) does not. */
static int per_event(uint8_t kind)
{
	return kind == VG_CMD_SEARCH || kind == VG_CMD_WHERE || kind == VG_CMD_EVAL ||
	       kind == VG_CMD_REX || kind == VG_CMD_IPLOCATION || kind == VG_CMD_LOOKUP;
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
	for (uint32_t k = 0; k < q->ncmds; k++) {
		if (!per_event(q->cmds[k].kind)) {
			uint32_t pos = q->cmds[k].pos;
			const char *name = vg_cmd_name(q->cmds[k].kind);
			vg_query_free(q);
			return vg_reply_error(r, 400,
					      "tail follows events: '%s' at %u is not one of the commands "
					      "that work event by event (search, where, eval, rex, "
					      "iplocation, lookup)",
					      name, (unsigned)pos);
		}
	}
	tail *t = vg_xcalloc(1, sizeof *t);
	t->s = r->s;
	t->q = q;
	pthread_mutex_init(&t->mu, NULL);
	/* Where the stream starts, and the registration for seals, with the
	 * store held: no seal can fall in between. */
	vg_store *st = vg_writer_read_lock(r->s->w);
	atomic_store(&t->seen, vg_batch_count(vg_store_mem(st)));
	atomic_store(&t->sealgen, vg_writer_sealgen(r->s->w));
	vg_writer_follow(r->s->w, on_seal, t);
	vg_writer_read_unlock(r->s->w);
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
