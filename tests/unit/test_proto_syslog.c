/* test_proto_syslog.c — RFC 6587 framing, datagrams and the glue to the
 * syslog parser. */
#include "protofix.h"

/* The messages a framer handed on: texts joined with '|' and flags. */
typedef struct got {
	vg_buf text;       /* msg1|msg2|... */
	unsigned flags[64];
	size_t n;
	int stop_at;       /* return -9 at this message (0: never) */
} got;

static int collect(void *arg, const char *msg, size_t len, unsigned flags)
{
	got *g = arg;
	assert_true(len > 0);
	if (g->n > 0)
		vg_buf_putc(&g->text, '|');
	vg_buf_put(&g->text, msg, len);
	if (g->n < 64)
		g->flags[g->n] = flags;
	g->n++;
	return g->stop_at && (int)g->n == g->stop_at ? -9 : 0;
}

/* The collected text is exactly [want, want + wlen). */
static void same_text(const vg_buf *t, const char *want, size_t wlen)
{
	if (t->len != wlen || (wlen && memcmp(t->p, want, wlen) != 0))
		fail_msg("got %zu bytes '%.*s', want %zu bytes", t->len, (int)t->len,
			 t->p ? (const char *)t->p : "", wlen);
}

/* Frame the n bytes at s, fed in pieces of `step` bytes (0: at once),
 * with the framer's max; then finish. */
static void frame(got *g, const char *s, size_t n, size_t step, size_t max)
{
	vg_framer f;
	vg_framer_init(&f, max);
	memset(g, 0, sizeof *g);
	if (step == 0)
		step = n ? n : 1;
	for (size_t i = 0; i < n; i += step)
		assert_int_equal(vg_framer_feed(&f, s + i, n - i < step ? n - i : step, collect, g), 0);
	assert_int_equal(vg_framer_finish(&f, collect, g), 0);
	vg_framer_free(&f);
}

static void got_free(got *g)
{
	vg_buf_free(&g->text);
}

/* Framing s gives exactly want (messages joined with '|'), fed whole, in
 * two parts cut at every byte, and byte by byte. */
static size_t frames_to_n(const char *s, size_t n, const char *want, size_t wlen, size_t max)
{
	got whole;
	frame(&whole, s, n, 0, max);
	same_text(&whole.text, want, wlen);
	for (size_t cut = 0; cut <= n; cut++) {
		vg_framer f;
		got g;
		memset(&g, 0, sizeof g);
		vg_framer_init(&f, max);
		assert_int_equal(vg_framer_feed(&f, s, cut, collect, &g), 0);
		assert_int_equal(vg_framer_feed(&f, s + cut, n - cut, collect, &g), 0);
		assert_int_equal(vg_framer_finish(&f, collect, &g), 0);
		same_text(&g.text, want, wlen);
		assert_int_equal(g.n, whole.n);
		assert_memory_equal(g.flags, whole.flags, sizeof g.flags);
		size_t whole_msgs = 0;
		for (size_t k = 0; k < g.n && k < 64; k++)
			whole_msgs += !(g.flags[k] & VG_FRAME_CONT);
		assert_int_equal(f.messages, whole_msgs);
		vg_framer_free(&f);
		got_free(&g);
	}
	got one;
	frame(&one, s, n, 1, max);
	same_text(&one.text, want, wlen);
	assert_memory_equal(one.flags, whole.flags, sizeof one.flags);
	size_t count = whole.n;
	got_free(&one);
	got_free(&whole);
	return count;
}

static void frames_to(const char *s, size_t n, const char *want, size_t max)
{
	frames_to_n(s, n, want, strlen(want), max);
}

#define FRAMES(lit, want) frames_to(lit, sizeof lit - 1, want, 4096)

static void test_newline_framing(void **st)
{
	(void)st;
	FRAMES("a\nb\r\nc\0d\n\n\r\n\nlast", "a|b|c|d|last");
	FRAMES("<34>Oct 11 22:14:15 mymachine su: 'su root' failed\n", "<34>Oct 11 22:14:15 mymachine su: 'su root' failed");
	FRAMES("keep\r\r\ninner\rcr\n", "keep\r|inner\rcr");
	FRAMES("\x01\x02\xff\xfe garbage\n", "\x01\x02\xff\xfe garbage");
	/* Lines starting with digits are not octet counts. */
	FRAMES("2024-01-02T03:04:05Z host app: hi\n123\n12345678901 eleven digits\n7x\n",
	       "2024-01-02T03:04:05Z host app: hi|123|12345678901 eleven digits|7x");
	FRAMES("42", "42");
	FRAMES("", "");
	FRAMES("\n\n\0\r", "");
}

static void test_octet_counting(void **st)
{
	(void)st;
	/* rsyslog and syslog-ng: the newline is inside the count. */
	FRAMES("6 hello\n6 world\n", "hello|world");
	/* Senders that do not count it: it is skipped between frames. */
	FRAMES("5 hello\n5 world\n", "hello|world");
	/* No separator at all, CRLF counted, multi-line messages. */
	FRAMES("3 abc3 def7 two\nl\r\n", "abc|def|two\nl");
	/* Empty frames, zero counts and leading zeros. */
	FRAMES("0 1 \n003 xyz", "xyz");
	/* Switching framing from one frame to the next. */
	FRAMES("3 abcline\n2 xy", "abc|line|xy");
	/* A frame holding NUL and LF bytes keeps them. */
	frames_to_n("5 a\0b\nc", 7, "a\0b\nc", 5, 4096);
	/* rsyslog's RFC 5424 output, as TCP_Framing="octet-counted" sends it. */
	static const char m[] = "<13>1 2024-01-02T03:04:05.123456+00:00 web-1 app 77 - - hello\n";
	char s[200];
	int k = snprintf(s, sizeof s, "%zu %s%zu %s", sizeof m - 1, m, sizeof m - 1, m);
	frames_to(s, (size_t)k, "<13>1 2024-01-02T03:04:05.123456+00:00 web-1 app 77 - - hello|"
				"<13>1 2024-01-02T03:04:05.123456+00:00 web-1 app 77 - - hello", 4096);
}

/* Messages over max come in pieces; counted frames stay in step. */
static void test_long_messages(void **st)
{
	(void)st;
	char line[300];
	memset(line, 'x', sizeof line);
	for (int i = 0; i < 300; i++)
		line[i] = (char)('a' + i % 26);
	/* A 200-byte line, max 64: 64, 64, 64, 8. */
	char s[400];
	memcpy(s, line, 200);
	memcpy(s + 200, "\r\nnext\n", 7);
	char want[420];
	snprintf(want, sizeof want, "%.64s|%.64s|%.64s|%.8s|next", line, line + 64, line + 128,
		 line + 192);
	frames_to(s, 207, want, 64);
	got g;
	frame(&g, s, 207, 0, 64);
	assert_int_equal(g.n, 5);
	assert_int_equal(g.flags[0], VG_FRAME_CUT);
	assert_int_equal(g.flags[1], VG_FRAME_CUT | VG_FRAME_CONT);
	assert_int_equal(g.flags[2], VG_FRAME_CUT | VG_FRAME_CONT);
	assert_int_equal(g.flags[3], VG_FRAME_CONT);
	assert_int_equal(g.flags[4], 0);
	got_free(&g);

	/* Exactly max bytes (with CR LF after) is one whole message. */
	memcpy(s, line, 64);
	memcpy(s + 64, "\r\n", 2);
	frames_to(s, 66, "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl", 64);

	/* An octet count larger than max: pieces, then the next frame. */
	int k = snprintf(s, sizeof s, "151 %.150s\n4 next", line);
	snprintf(want, sizeof want, "%.64s|%.64s|%.22s|next", line, line + 64, line + 128);
	frames_to(s, (size_t)k, want, 64);
	/* ... and exactly max + CR LF counted: one message. */
	k = snprintf(s, sizeof s, "66 %.64s\r\n", line);
	snprintf(want, sizeof want, "%.64s", line);
	frames_to(s, (size_t)k, want, 64);
	k = snprintf(s, sizeof s, "65 %.65s", line);
	snprintf(want, sizeof want, "%.64s|%.1s", line, line + 64);
	frames_to(s, (size_t)k, want, 64);
	/* A huge count: as much as came, flagged short when the stream ends. */
	k = snprintf(s, sizeof s, "9999999999 %.100s", line);
	frame(&g, s, (size_t)k, 0, 64);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.flags[0], VG_FRAME_CUT);
	assert_int_equal(g.flags[1], VG_FRAME_CONT | VG_FRAME_SHORT);
	got_free(&g);
}

/* The stream ends inside a message. */
static void test_finish(void **st)
{
	(void)st;
	got g;
	frame(&g, "10 abc", 6, 0, 4096);
	text_is(&g.text, "abc");
	assert_int_equal(g.flags[0], VG_FRAME_SHORT);
	got_free(&g);
	frame(&g, "10 ", 3, 0, 4096);
	assert_int_equal(g.n, 0);
	got_free(&g);
	frame(&g, "123", 3, 0, 4096);
	text_is(&g.text, "123");
	assert_int_equal(g.flags[0], 0);
	got_free(&g);
	/* After finish the framer starts a new stream. */
	vg_framer f;
	vg_framer_init(&f, 4096);
	memset(&g, 0, sizeof g);
	vg_framer_feed(&f, "5 ab", 4, collect, &g);
	vg_framer_finish(&f, collect, &g);
	vg_framer_feed(&f, "x\n", 2, collect, &g);
	vg_framer_finish(&f, collect, &g);
	text_is(&g.text, "ab|x");
	assert_int_equal(f.messages, 2);
	vg_framer_free(&f);
	got_free(&g);
}

/* A callback's error stops the feed. */
static void test_stop(void **st)
{
	(void)st;
	vg_framer f;
	got g;
	memset(&g, 0, sizeof g);
	g.stop_at = 2;
	vg_framer_init(&f, 4096);
	assert_int_equal(vg_framer_feed(&f, "a\nb\nc\n", 6, collect, &g), -9);
	assert_int_equal(g.n, 2);
	vg_framer_free(&f);
	got_free(&g);
}

/* Encoding random messages in random framings and decoding them gives
 * the messages back, whatever the split. */
static void test_roundtrip(void **st)
{
	(void)st;
	uint32_t seed = 12345;
	for (int round = 0; round < 200; round++) {
		vg_buf enc = {0}, want = {0};
		int nmsg = 1 + round % 7;
		for (int m = 0; m < nmsg; m++) {
			seed = seed * 1103515245 + 12345;
			size_t len = 1 + (seed >> 8) % 90;
			int counted = (seed >> 20) & 1, counts_lf = (seed >> 21) & 1;
			char msg[100];
			for (size_t i = 0; i < len; i++) {
				seed = seed * 1103515245 + 12345;
				msg[i] = (char)(' ' + (seed >> 16) % 95);
				if (counted && (seed >> 28) == 0)
					msg[i] = '\n';   /* only counted frames may hold one */
			}
			if (msg[len - 1] == '\n' || msg[len - 1] == '\r')
				msg[len - 1] = '.';
			if (!counted && msg[0] >= '0' && msg[0] <= '9')
				msg[0] = '#';   /* a digit would start a count */
			if (counted)
				vg_buf_printf(&enc, "%zu ", len + (size_t)counts_lf);
			vg_buf_put(&enc, msg, len);
			if (!counted || counts_lf || (seed & 1))
				vg_buf_putc(&enc, '\n');
			if (m)
				vg_buf_putc(&want, '|');
			vg_buf_put(&want, msg, len);
		}
		assert_int_equal(frames_to_n((const char *)enc.p, enc.len, (const char *)want.p,
					     want.len, 4096), nmsg);
		vg_buf_free(&enc);
		vg_buf_free(&want);
	}
}

/* ------------------------------------------------------------- the glue */

static void parse_msgs(const vg_syslog_msgs *m, vg_batch *b, const char *group)
{
	vg_syslog_src src = {.peer = "10.0.0.9", .group = group, .now_ns = NOW};
	vg_err err = {0};
	vg_batch_init(b);
	assert_int_equal(vg_syslog_msgs_parse(m, b, &src, &err), 0);
}

static void test_glue(void **st)
{
	(void)st;
	static const char stream[] =
		"106 <86>1 2024-01-02T03:04:05.123Z web-1 sshd 2738 - - Failed password for root "
		"from 203.0.113.9 port 22 ssh2\n"
		"<13>app: no host here\n"
		"43 <13>Jan  2 03:04:05 db-1 app: first\nsecond\n";
	vg_syslog_msgs m = {0};
	vg_framer f;
	vg_framer_init(&f, 4096);
	assert_int_equal(vg_framer_feed(&f, stream, sizeof stream - 1, vg_syslog_msgs_frame, &m), 0);
	assert_int_equal(vg_framer_finish(&f, vg_syslog_msgs_frame, &m), 0);
	assert_int_equal(m.count, 3);
	assert_true(vg_syslog_msgs_bytes(&m) >= m.lines.len);
	vg_batch b;
	parse_msgs(&m, &b, NULL);
	assert_int_equal(b.nev, 3);
	assert_int_equal(b.nparse_errors, 0);
	assert_string_equal(group_of(&b, 0), "syslog");
	assert_string_equal(str_of(&b, 0, "host"), "web-1");
	assert_string_equal(str_of(&b, 0, "program"), "sshd");
	assert_string_equal(str_of(&b, 0, "result"), "failed");
	assert_string_equal(str_of(&b, 0, "user"), "root");
	assert_int_equal(vg_batch_get(&b, 0, "src_ip")->type, VG_T_IP);
	assert_true(b.ev[0].t == INT64_C(1704164645123000000));
	/* No host in the line: the peer's address. */
	assert_string_equal(str_of(&b, 1, "host"), "10.0.0.9");
	assert_string_equal(str_of(&b, 1, "program"), "app");
	/* A multi-line message stays one event, its LF written as #012. */
	assert_string_equal(str_of(&b, 2, "host"), "db-1");
	assert_string_equal(str_of(&b, 2, "message"), "first#012second");
	raw_eq(&b, 2, "<13>Jan  2 03:04:05 db-1 app: first#012second");
	vg_batch_free(&b);
	vg_framer_free(&f);

	/* Datagrams: trailing newline and NUL dropped, embedded ones kept. */
	vg_syslog_msgs_clear(&m);
	assert_int_equal(m.lines.len, 0);
	vg_syslog_datagram(&m, "<14>host2 prog: a\nb\0c\r\n\0", 24);
	vg_syslog_datagram(&m, "\n\n", 2);
	vg_syslog_datagram(&m, "", 0);
	assert_int_equal(m.count, 1);
	parse_msgs(&m, &b, "syslog/udp");
	assert_int_equal(b.nev, 1);
	assert_string_equal(group_of(&b, 0), "syslog/udp");
	raw_eq(&b, 0, "<14>host2 prog: a#012b#000c");
	vg_batch_free(&b);
	vg_syslog_msgs_free(&m);
}

/* Pieces of long messages and cut-short ones are raw events. */
static void test_glue_pieces(void **st)
{
	(void)st;
	char s[300];
	memset(s, 'y', sizeof s);
	memcpy(s, "<13>Jan  2 03:04:05 h app: ", 27);
	s[150] = '\n';
	memcpy(s + 151, "ok line\n20 cut", 14);
	vg_syslog_msgs m = {0};
	vg_framer f;
	vg_framer_init(&f, 64);
	vg_framer_feed(&f, s, 165, vg_syslog_msgs_frame, &m);
	vg_framer_finish(&f, vg_syslog_msgs_frame, &m);
	vg_framer_free(&f);
	vg_batch b;
	parse_msgs(&m, &b, NULL);
	/* ok line (parsed, not syslog: no header) first, then 3 pieces and the
	 * cut-short frame. */
	assert_int_equal(b.nev, 5);
	raw_eq(&b, 0, "ok line");
	raw_eqn(&b, 1, s, 64);
	assert_non_null(strstr(str_of(&b, 1, "_parse_error"), "piece 1 of a syslog message"));
	assert_non_null(strstr(str_of(&b, 2, "_parse_error"), "piece 2 of"));
	assert_non_null(strstr(str_of(&b, 3, "_parse_error"), "piece 3, the last"));
	raw_eqn(&b, 3, s + 128, 22);
	raw_eq(&b, 4, "cut");
	assert_non_null(strstr(str_of(&b, 4, "_parse_error"), "its end is missing"));
	assert_string_equal(str_of(&b, 4, "host"), "10.0.0.9");
	assert_int_equal(b.nparse_errors, 5);   /* "ok line" is not syslog either */
	vg_batch_free(&b);
	vg_syslog_msgs_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_newline_framing),
		cmocka_unit_test(test_octet_counting),
		cmocka_unit_test(test_long_messages),
		cmocka_unit_test(test_finish),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_glue),
		cmocka_unit_test(test_glue_pieces),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
