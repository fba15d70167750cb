/*
 * proto_syslog.c — syslog over the network: RFC 6587 framing of TCP
 * streams, datagrams, and the glue to the syslog parser (proto.h).
 *
 * Framing is an explicit state machine fed bytes in whatever pieces the
 * socket gives:
 *
 *   START ──digit──▶ COUNT ──SP──▶ COUNTED ──count bytes──▶ START
 *     │  ╲              │ other byte, or an 11th digit
 *     │   ╲             ▼
 *     │    ╰─other─▶  LINE ──LF or NUL──▶ START
 *     ╰─LF, CR, NUL: skipped (empty frames, stray separators)
 *
 * The choice is made per frame, by its first byte, as rsyslog does: a
 * sender may switch, and a newline-framed line may start with a digit (an
 * ISO timestamp without a priority) — then the digits are not followed by
 * a space and go back into the line. A lone "LEN " with LEN 0 is an empty
 * frame.
 *
 * Counted frames: rsyslog and syslog-ng count the newline they put after
 * each message, so a frame whose last byte is LF loses it (and a CR before
 * it); senders that do not count it send it after the frame, where START
 * skips it. Non-transparent frames end at LF or NUL; a CR before the LF
 * goes too.
 *
 * Bounded memory: at most `max` bytes of a message are held. A longer
 * message (a line without end, or a count larger than max) is handed on in
 * pieces of max bytes flagged VG_FRAME_CUT / VG_FRAME_CONT rather than
 * truncated: nothing is dropped, and an octet count stays in step with the
 * stream. A message wholly inside the bytes being fed is handed on from
 * them without a copy.
 *
 * The glue (vg_syslog_msgs) collects a connection's messages as lines,
 * writing embedded LF and NUL as rsyslog's #012 and #000 so that the line
 * parser sees one message as one line, and the writer parses them in one
 * call. Pieces and cut-short messages are not given to the parser (a
 * piece has no header, or only the start of a body): each is a raw event
 * with `_parse_error` saying which piece of what it is.
 */
#include "server/proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/parse.h"

enum { S_START, S_COUNT, S_COUNTED, S_LINE };

#define MIN_MAX 64
#define MAX_DIGITS 10

/* ================================================================ framer */

void vg_framer_init(vg_framer *f, size_t max)
{
	memset(f, 0, sizeof *f);
	f->max = max < MIN_MAX ? MIN_MAX : max;
	f->state = S_START;
}

void vg_framer_free(vg_framer *f)
{
	vg_buf_free(&f->buf);
	memset(f, 0, sizeof *f);
}

/* Hand on msg with flags (messages are counted once, at their start). */
static int emit(vg_framer *f, const char *msg, size_t len, unsigned flags, vg_frame_fn fn,
		void *arg)
{
	if (!(flags & VG_FRAME_CONT))
		f->messages++;
	return fn(arg, msg, len, flags);
}

/* Hand on the first max bytes of the buffer as a piece of a long message
 * and keep the rest (a byte or two held back, see below). */
static int flush_piece(vg_framer *f, vg_frame_fn fn, void *arg)
{
	unsigned flags = VG_FRAME_CUT | (f->cont ? VG_FRAME_CONT : 0);
	f->cont = 1;
	int rc = emit(f, (const char *)f->buf.p, f->max, flags, fn, arg);
	memmove(f->buf.p, f->buf.p + f->max, f->buf.len - f->max);
	f->buf.len -= f->max;
	return rc;
}

/* Append m bytes that certainly belong to the current message, handing on
 * a full buffer as a piece first whenever more of them come. Pieces are so
 * cut at multiples of max of the message, however the stream was split. */
static int add_bytes(vg_framer *f, const char *q, size_t m, vg_frame_fn fn, void *arg)
{
	while (m > 0) {
		if (f->buf.len >= f->max) {
			int rc = flush_piece(f, fn, arg);
			if (rc < 0)
				return rc;
		}
		size_t k = f->max - f->buf.len < m ? f->max - f->buf.len : m;
		vg_buf_put(&f->buf, q, k);
		q += k;
		m -= k;
	}
	return 0;
}

/* The length of msg without its end: for a counted frame one final LF,
 * then (both kinds) one CR. */
static size_t strip_end(const char *msg, size_t len, int counted)
{
	if (counted && len > 0 && msg[len - 1] == '\n')
		len--;
	if (len > 0 && msg[len - 1] == '\r')
		len--;
	return len;
}

/* The message in the buffer is complete: hand it on (unless empty; in
 * pieces when bytes held back made it longer than max) and go back to
 * START. extra is VG_FRAME_SHORT or 0. */
static int end_message(vg_framer *f, int counted, unsigned extra, vg_frame_fn fn, void *arg)
{
	int rc = 0;
	f->buf.len = strip_end((const char *)f->buf.p, f->buf.len, counted);
	while (f->buf.len > f->max && rc == 0)
		rc = flush_piece(f, fn, arg);
	size_t len = f->buf.len;
	unsigned flags = (f->cont ? VG_FRAME_CONT : 0) | extra;
	f->cont = 0;
	f->buf.len = 0;
	f->state = S_START;
	if (len == 0 || rc < 0)
		return rc;
	return emit(f, (const char *)f->buf.p, len, flags, fn, arg);
}

/* The offset of the first LF or NUL in p[0, n), or n. */
static size_t find_term(const char *p, size_t n)
{
	const char *lf = memchr(p, '\n', n);
	size_t end = lf ? (size_t)(lf - p) : n;
	const char *nul = memchr(p, 0, end);
	return nul ? (size_t)(nul - p) : end;
}

/* COUNTED: up to f->left bytes of p[0, n); returns the bytes used or
 * < 0. The frame's last two bytes may be a CR LF that end_message strips:
 * they are held back in the buffer (past max) rather than given to
 * add_bytes, so they never start a piece of their own. */
static long counted(vg_framer *f, const char *p, size_t n, vg_frame_fn fn, void *arg)
{
	size_t take = f->left < n ? (size_t)f->left : n;
	int rc;
	if (f->buf.len == 0 && !f->cont && take == f->left) {
		size_t len = strip_end(p, take, 1);
		if (len <= f->max) {
			f->left = 0;
			f->state = S_START;
			rc = len ? emit(f, p, len, 0, fn, arg) : 0;
			return rc < 0 ? rc : (long)take;
		}
	}
	uint64_t after = f->left - take;  /* bytes of the frame after this chunk */
	size_t sure = after >= 2 ? take : take > 2 - after ? take - (size_t)(2 - after) : 0;
	if ((rc = add_bytes(f, p, sure, fn, arg)) < 0)
		return rc;
	vg_buf_put(&f->buf, p + sure, take - sure);
	f->left = after;
	if (f->left == 0 && (rc = end_message(f, 1, 0, fn, arg)) < 0)
		return rc;
	return (long)take;
}

/* LINE: bytes of p[0, n) up to and including a terminator; returns the
 * bytes used or < 0. A CR that ends the bytes given may come right before
 * the terminator: it is held back like a counted frame's end. */
static long line(vg_framer *f, const char *p, size_t n, vg_frame_fn fn, void *arg)
{
	size_t t = find_term(p, n);
	int rc;
	if (t < n && f->buf.len == 0 && !f->cont) {
		size_t len = strip_end(p, t, 0);
		if (len <= f->max) {
			f->state = S_START;
			rc = len ? emit(f, p, len, 0, fn, arg) : 0;
			return rc < 0 ? rc : (long)(t + 1);
		}
	}
	size_t sure = t > 0 && p[t - 1] == '\r' ? t - 1 : t;
	if ((rc = add_bytes(f, p, sure, fn, arg)) < 0)
		return rc;
	vg_buf_put(&f->buf, p + sure, t - sure);
	if (t >= n)
		return (long)n;
	if ((rc = end_message(f, 0, 0, fn, arg)) < 0)
		return rc;
	return (long)(t + 1);
}

/* START and COUNT: one byte c; returns the bytes used (0: c is to be read
 * again in the new state). */
static long frame_start(vg_framer *f, char c)
{
	int digit = c >= '0' && c <= '9';
	if (f->state == S_START) {
		if (c == '\n' || c == '\r' || c == 0)
			return 1;
		f->buf.len = 0;
		f->count = 0;
		f->ndigits = 0;
		f->state = digit ? S_COUNT : S_LINE;
		return 0;
	}
	if (digit && f->ndigits < MAX_DIGITS) {
		vg_buf_putc(&f->buf, (uint8_t)c);
		f->count = f->count * 10 + (uint64_t)(c - '0');
		f->ndigits++;
		return 1;
	}
	if (c == ' ') {
		f->buf.len = 0;
		f->left = f->count;
		f->state = f->count ? S_COUNTED : S_START;
		return 1;
	}
	f->state = S_LINE;  /* the digits stay: they start the line */
	return 0;
}

int vg_framer_feed(vg_framer *f, const char *p, size_t n, vg_frame_fn fn, void *arg)
{
	size_t i = 0;
	while (i < n) {
		long used;
		switch (f->state) {
		case S_COUNTED: used = counted(f, p + i, n - i, fn, arg); break;
		case S_LINE: used = line(f, p + i, n - i, fn, arg); break;
		default: used = frame_start(f, p[i]); break;
		}
		if (used < 0)
			return (int)used;
		i += (size_t)used;
	}
	return 0;
}

int vg_framer_finish(vg_framer *f, vg_frame_fn fn, void *arg)
{
	int rc = 0;
	if (f->state == S_COUNT || f->state == S_LINE)
		rc = end_message(f, 0, 0, fn, arg);
	else if (f->state == S_COUNTED)
		rc = end_message(f, 1, VG_FRAME_SHORT, fn, arg);
	f->state = S_START;
	f->cont = 0;
	f->buf.len = 0;
	return rc;
}

/* ============================================================== messages */

/* Append msg to out as one line: LF and NUL escaped, a LF added. */
static void put_line(vg_buf *out, const char *msg, size_t len)
{
	vg_buf_reserve(out, len + 1);
	size_t from = 0;
	for (size_t i = 0; i < len; i++) {
		if (msg[i] != '\n' && msg[i] != 0)
			continue;
		vg_buf_put(out, msg + from, i - from);
		vg_buf_put(out, msg[i] ? "#012" : "#000", 4);
		from = i + 1;
	}
	vg_buf_put(out, msg + from, len - from);
	vg_buf_putc(out, '\n');
}

void vg_syslog_msgs_add(vg_syslog_msgs *m, const char *msg, size_t len, unsigned flags)
{
	m->count++;
	if (flags == 0) {
		m->k = 0;
		put_line(&m->lines, msg, len);
		return;
	}
	m->k = flags & VG_FRAME_CONT ? m->k + 1 : 1;
	vg_grow(&m->piece, &m->cappiece, m->npiece + 1, sizeof *m->piece);
	m->piece[m->npiece++] = (vg_syslog_piece){.off = m->pieces.len, .len = len,
						  .flags = flags, .k = m->k};
	vg_buf_put(&m->pieces, msg, len);
}

int vg_syslog_msgs_frame(void *arg, const char *msg, size_t len, unsigned flags)
{
	vg_syslog_msgs_add(arg, msg, len, flags);
	return 0;
}

void vg_syslog_datagram(vg_syslog_msgs *m, const char *d, size_t n)
{
	while (n > 0 && (d[n - 1] == '\n' || d[n - 1] == '\r' || d[n - 1] == 0))
		n--;
	if (n > 0)
		vg_syslog_msgs_add(m, d, n, 0);
}

size_t vg_syslog_msgs_bytes(const vg_syslog_msgs *m)
{
	return m->lines.len + m->pieces.len + m->npiece * sizeof *m->piece;
}

void vg_syslog_msgs_clear(vg_syslog_msgs *m)
{
	/* k survives: the next call may continue a long message's pieces. */
	m->lines.len = 0;
	m->pieces.len = 0;
	m->npiece = 0;
	m->count = 0;
}

void vg_syslog_msgs_free(vg_syslog_msgs *m)
{
	vg_buf_free(&m->lines);
	vg_buf_free(&m->pieces);
	free(m->piece);
	memset(m, 0, sizeof *m);
}

/* The _parse_error of a piece. */
static void piece_message(const vg_syslog_piece *pc, char *out, size_t cap)
{
	if (pc->flags & VG_FRAME_SHORT)
		snprintf(out, cap, "the connection closed inside this octet-counted syslog message: "
			 "its end is missing%s", pc->k > 1 ? " (the last piece of a long message)" : "");
	else if (pc->flags & VG_FRAME_CUT)
		snprintf(out, cap, "piece %u of a syslog message too long to parse whole; the next "
			 "event continues it", pc->k);
	else
		snprintf(out, cap, "piece %u, the last, of a syslog message too long to parse whole",
			 pc->k);
}

int vg_syslog_msgs_parse(const vg_syslog_msgs *m, vg_batch *b, const vg_syslog_src *src,
			 vg_err *err)
{
	vg_parse_ctx ctx = {.out = b, .group = src->group, .host = src->peer,
			    .now_ns = src->now_ns, .ref_ns = src->now_ns, .source = "syslog"};
	int rc = 0;
	if (m->lines.len > 0) {
		rc = vg_fmt_syslog.parse(&ctx, (const char *)m->lines.p, m->lines.len);
		if (rc < 0 && err)
			*err = ctx.err;
		vg_parse_ctx_reset(&ctx);
	}
	if (m->npiece == 0)
		return rc;
	uint32_t g = vg_parse_group(&ctx, "syslog");
	uint32_t host = vg_batch_field(b, "host", 4);
	char msg[200];
	for (size_t i = 0; i < m->npiece; i++) {
		const vg_syslog_piece *pc = &m->piece[i];
		piece_message(pc, msg, sizeof msg);
		vg_ev_begin(b, g, src->now_ns, (const char *)m->pieces.p + pc->off, pc->len);
		if (src->peer)
			vg_ev_str(b, host, src->peer, strlen(src->peer));
		vg_ev_parse_error(b, msg);
		vg_ev_end(b);
	}
	return rc;
}

int vg_syslog_job_fn(void *arg, vg_batch *mem, vg_err *err)
{
	const vg_syslog_job *a = arg;
	return a->m ? vg_syslog_msgs_parse(a->m, mem, &a->src, err) : 0;
}
