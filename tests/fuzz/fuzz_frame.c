/*
 * fuzz_frame.c — RFC 6587 framing and the syslog glue (libFuzzer harness;
 * also a corpus replay binary).
 *
 * Invariants:
 *  - the messages and their flags do not depend on how the stream was
 *    split: whole, in two at a place the input picks, and byte by byte;
 *  - every message is non-empty and at most max bytes, pieces come as
 *    CUT ... CONT runs, and together they are never longer than the input;
 *  - encoding messages (taken from the input, split at 0xFF bytes) with
 *    octet counting, the newline counted or not, and decoding them gives
 *    them back: the concatenation of the messages is the input minus the
 *    framing;
 *  - the glue makes one event per non-blank whole message plus one per
 *    piece, and marks every piece unparsed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "server/proto.h"

/* The messages handed on: text with a length prefix each, and flags. */
typedef struct seen {
	vg_buf log;
	size_t n, bytes, max;
	unsigned last;         /* flags of the previous message */
} seen;

static int record(void *arg, const char *msg, size_t len, unsigned flags)
{
	seen *s = arg;
	CHECK(len > 0 && len <= s->max);
	/* A continuation follows a cut piece, and only then. */
	CHECK(((flags & VG_FRAME_CONT) != 0) == ((s->last & VG_FRAME_CUT) != 0));
	CHECK(!(flags & VG_FRAME_CUT) || len == s->max);
	s->last = flags;
	vg_buf_u64le(&s->log, len);
	vg_buf_u32le(&s->log, flags);
	vg_buf_put(&s->log, msg, len);
	s->n++;
	s->bytes += len;
	return 0;
}

/* Frame data fed in pieces of step bytes (0: the whole, else cut at cut
 * first), then finish. */
static void frame(seen *s, const uint8_t *data, size_t n, size_t max, size_t cut, size_t step)
{
	vg_framer f;
	memset(s, 0, sizeof *s);
	s->max = max < 64 ? 64 : max;
	vg_framer_init(&f, max);
	if (step == 0) {
		CHECK(vg_framer_feed(&f, (const char *)data, cut, record, s) == 0);
		CHECK(vg_framer_feed(&f, (const char *)data + cut, n - cut, record, s) == 0);
	} else {
		for (size_t i = 0; i < n; i += step)
			CHECK(vg_framer_feed(&f, (const char *)data + i, n - i < step ? n - i : step,
					     record, s) == 0);
	}
	CHECK(vg_framer_finish(&f, record, s) == 0);
	vg_framer_free(&f);
	CHECK(s->bytes <= n);
}

static void same(const seen *a, const seen *b)
{
	CHECK(a->n == b->n && a->log.len == b->log.len);
	CHECK(a->log.len == 0 || memcmp(a->log.p, b->log.p, a->log.len) == 0);
}

/* Messages from the input (0xFF separates them, LF/CR/NUL-free pieces are
 * used), octet-counted, decoded back. */
static void roundtrip(const uint8_t *data, size_t n)
{
	vg_buf enc = {0}, want = {0};
	size_t from = 0, k = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && data[i] != 0xFF)
			continue;
		size_t len = i - from;
		const uint8_t *m = data + from;
		from = i + 1;
		/* A final LF (and CR before it) would be taken as framing. */
		while (len > 0 && (m[len - 1] == '\n' || m[len - 1] == '\r'))
			len--;
		if (len == 0)
			continue;
		int counts_lf = (int)(k++ & 1);
		vg_buf_printf(&enc, "%zu ", len + (size_t)counts_lf);
		vg_buf_put(&enc, m, len);
		if (counts_lf)
			vg_buf_putc(&enc, '\n');
		vg_buf_put(&want, m, len);
	}
	seen s;
	frame(&s, enc.p, enc.len, enc.len + 64, enc.len, 0);
	CHECK(s.bytes == want.len);
	/* The concatenated messages are the encoded ones. */
	size_t pos = 0, off = 0;
	while (pos < s.log.len) {
		uint64_t len = vg_rd64le(s.log.p + pos);
		CHECK(memcmp(s.log.p + pos + 12, want.p + off, len) == 0);
		CHECK(vg_rd32le(s.log.p + pos + 8) == 0);
		off += len;
		pos += 12 + len;
	}
	vg_buf_free(&s.log);
	vg_buf_free(&enc);
	vg_buf_free(&want);
}

/* The glue: events for the messages framed from data. */
static void glue(const uint8_t *data, size_t n, size_t max)
{
	vg_syslog_msgs m = {0};
	vg_framer f;
	vg_framer_init(&f, max);
	CHECK(vg_framer_feed(&f, (const char *)data, n, vg_syslog_msgs_frame, &m) == 0);
	CHECK(vg_framer_finish(&f, vg_syslog_msgs_frame, &m) == 0);
	vg_framer_free(&f);
	if (n > 0)
		vg_syslog_datagram(&m, (const char *)data, n);
	size_t lines = 0, pos = 0;
	const char *l = (const char *)m.lines.p;
	while (pos < m.lines.len) {
		const char *nl = memchr(l + pos, '\n', m.lines.len - pos);
		CHECK(nl != NULL);   /* every message is one whole line */
		size_t end = (size_t)(nl - l);
		CHECK(memchr(l + pos, 0, end - pos) == NULL);
		size_t len = end - pos;
		if (len > 0 && l[end - 1] == '\r')
			len--;
		lines += !fz_blank((const uint8_t *)l + pos, len);
		pos = end + 1;
	}
	vg_batch b;
	vg_err err = {0};
	vg_syslog_src src = {.peer = "192.0.2.1", .now_ns = 1};
	vg_batch_init(&b);
	CHECK(vg_syslog_msgs_parse(&m, &b, &src, &err) == 0);
	CHECK(b.nev == lines + m.npiece);
	for (size_t i = lines; i < b.nev; i++)
		CHECK(vg_batch_get(&b, i, "_parse_error") != NULL);
	fz_check_fields(&b);
	vg_batch_free(&b);
	vg_syslog_msgs_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *d = malloc(size ? size : 1);
	memcpy(d, data, size);
	size_t max = size ? 64 + d[0] % 200 : 64;
	seen whole, two, bytes;
	frame(&whole, d, size, max, size, 0);
	frame(&two, d, size, max, size ? (size_t)d[size - 1] * 7 % (size + 1) : 0, 0);
	same(&whole, &two);
	if (size <= 65536) {
		frame(&bytes, d, size, max, 0, 1);
		same(&whole, &bytes);
		vg_buf_free(&bytes.log);
	}
	vg_buf_free(&whole.log);
	vg_buf_free(&two.log);
	roundtrip(d, size);
	glue(d, size, max);
	free(d);
	return 0;
}
