/*
 * syslog.c — syslog lines: RFC 3164 (BSD), RFC 5424, and the ISO-timestamp
 * form rsyslog writes with its high-precision template.
 *
 *   Feb 22 16:45:20 host sshd[2738]: Failed password for root from ...
 *   <34>Oct 11 22:14:15 host su: 'su root' failed for lonvick on /dev/pts/8
 *   <165>1 2003-10-11T22:14:15.003Z host app 1234 ID47 [ex@32473 i="1"] msg
 *   2024-01-02T03:04:05.123456+01:00 host prog[12]: msg
 *
 * Fields: host, program, pid (int) or procid (string, when not numeric),
 * facility and severity (names, when the line has a priority), msgid and
 * structured_data (RFC 5424, kept as its text), message.
 *
 * Times. An RFC 3164 timestamp has neither year nor zone. The year is the
 * one that puts the line at most two days after ctx->ref_ns (the file's
 * mtime): a log read shortly after New Year keeps its December lines in
 * the old year, and a little clock skew between hosts is tolerated. The
 * zone is taken to be UTC: the sender's zone is not in the line, and
 * guessing from the reading machine would make results depend on where
 * vigil runs. ISO and RFC 5424 timestamps carry their own offset.
 *
 * Security content. Authentication lines get the fields an analyst
 * filters on, all derived from the message text:
 *  - sshd `Failed|Accepted METHOD for [invalid user ]USER from IP port N`:
 *    user, src_ip, src_port, auth_method, result (failed, accepted or
 *    invalid_user); `Invalid user USER from IP [port N]`: result=invalid_user;
 *  - `pam_unix(SERVICE:auth): authentication failure; ... rhost=IP user=U`
 *    from any program: result=failed, src_ip, user; sshd's summary line
 *    `PAM N more authentication failures; ...` gives src_ip and user but no
 *    result, since each of those failures was logged on its own already;
 *  - sudo `USER : TTY=.. ; PWD=.. ; USER=TARGET ; COMMAND=..`: user, tty,
 *    pwd, sudo_user, command.
 * src_ip is an IP field when it parses (sshd writes a host name instead
 * when UseDNS is on; that is kept as a string).
 *
 * A line that is not syslog becomes a raw event with `_parse_error`.
 */
#include "parse/parse.h"

#include <stdio.h>
#include <string.h>

#include "util/ip.h"
#include "util/timeutil.h"

/* A slice of the line being parsed. */
typedef struct sl_str {
	const char *p;
	size_t n;
} sl_str;

/* What the header of a line gave; the slices point into the line. */
typedef struct sl_msg {
	int pri;                /* -1 when the line has none */
	int64_t t;
	sl_str host, prog, procid, msgid, sd, msg;
} sl_msg;

/* Field ids, looked up once per parse() call. */
typedef struct sl_ids {
	uint32_t host, program, pid, procid, facility, severity, msgid, sd, message;
	uint32_t user, src_ip, src_port, result, auth_method, sudo_user, command, tty, pwd;
} sl_ids;

typedef struct sl_ctx {
	vg_parse_ctx *ctx;
	sl_ids id;
	uint32_t group;
	int64_t ref_ns;
	int64_t ref_year;
} sl_ctx;

static const char *const facilities[24] = {
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
};
static const char *const severities[8] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int starts(sl_str s, const char *prefix)
{
	size_t n = strlen(prefix);
	return s.n >= n && memcmp(s.p, prefix, n) == 0;
}

static int equals(sl_str s, const char *word)
{
	return s.n == strlen(word) && memcmp(s.p, word, s.n) == 0;
}

static sl_str drop(sl_str s, size_t k)
{
	return (sl_str){s.p + k, s.n - k};
}

/* The first occurrence of needle in s at or after `from`, or SIZE_MAX. */
static size_t find(sl_str s, size_t from, const char *needle)
{
	size_t n = strlen(needle);
	if (from > s.n)
		return SIZE_MAX;
	const char *p = memmem(s.p + from, s.n - from, needle, n);
	return p ? (size_t)(p - s.p) : SIZE_MAX;
}

/* The last occurrence of needle in s, or SIZE_MAX. */
static size_t find_last(sl_str s, const char *needle)
{
	size_t best = SIZE_MAX, at = 0;
	while ((at = find(s, at, needle)) != SIZE_MAX)
		best = at++;
	return best;
}

/* The word at the start of s (up to a space or the end). */
static sl_str word(sl_str s)
{
	const char *sp = memchr(s.p, ' ', s.n);
	return (sl_str){s.p, sp ? (size_t)(sp - s.p) : s.n};
}

static sl_str trim_left(sl_str s)
{
	while (s.n > 0 && (s.p[0] == ' ' || s.p[0] == '\t'))
		s = drop(s, 1);
	return s;
}

/* A decimal integer of 1..18 digits making up all of s, or -1. */
static int64_t small_uint(sl_str s)
{
	if (s.n == 0 || s.n > 18)
		return -1;
	int64_t v = 0;
	for (size_t i = 0; i < s.n; i++) {
		if (!is_digit(s.p[i]))
			return -1;
		v = v * 10 + (s.p[i] - '0');
	}
	return v;
}

/* `<PRI>` at the start of s: returns the bytes consumed and stores the
 * priority (0..191), or returns 0. */
static size_t parse_pri(sl_str s, int *pri)
{
	size_t i = 1;
	int v = 0;
	while (i < s.n && i <= 3 && is_digit(s.p[i]))
		v = v * 10 + (s.p[i++] - '0');
	if (i == 1 || i >= s.n || s.p[i] != '>' || v > 191)
		return 0;
	*pri = v;
	return i + 1;
}

/* The time of an RFC 3164 timestamp (month, day, seconds of the day and
 * fraction), its year inferred from the reference time. A Feb 29 that
 * lands in a common year reads as Mar 1 of it, rather than failing. */
static int64_t bsd_time(const sl_ctx *c, unsigned mon, unsigned day, int64_t sod, int64_t frac)
{
	int64_t y = c->ref_year;
	int64_t t = (vg_days_from_civil(y, mon, day) * 86400 + sod) * VG_NS_PER_SEC + frac;
	if (t > c->ref_ns + 2 * VG_NS_PER_DAY)
		t = (vg_days_from_civil(y - 1, mon, day) * 86400 + sod) * VG_NS_PER_SEC + frac;
	return t;
}

/* Two digits at s[i], or -1. */
static int two(sl_str s, size_t i)
{
	if (i + 2 > s.n || !is_digit(s.p[i]) || !is_digit(s.p[i + 1]))
		return -1;
	return (s.p[i] - '0') * 10 + (s.p[i + 1] - '0');
}

/* `Mmm dd hh:mm:ss[.frac]` at the start of s, followed by a space or the
 * end (the day may be space-padded or a single digit). Returns the bytes
 * consumed and stores the time, or 0. */
static size_t parse_bsd_ts(const sl_ctx *c, sl_str s, int64_t *t)
{
	if (s.n < 14 || s.p[3] != ' ')
		return 0;
	unsigned mon = vg_month_from_abbr(s.p);
	if (mon == 0)
		return 0;
	size_t i = 4;
	if (s.p[i] == ' ')
		i++;
	unsigned day = 0;
	size_t d0 = i;
	while (i < s.n && i - d0 < 2 && is_digit(s.p[i]))
		day = day * 10 + (unsigned)(s.p[i++] - '0');
	if (i == d0 || day < 1 || day > 31 || i >= s.n || s.p[i] != ' ')
		return 0;
	i++;
	int hh = two(s, i), mm = two(s, i + 3), ss = two(s, i + 6);
	if (hh < 0 || mm < 0 || ss < 0 || s.p[i + 2] != ':' || s.p[i + 5] != ':' || hh > 23 ||
	    mm > 59 || ss > 60)
		return 0;
	i += 8;
	int64_t frac = 0;
	if (i + 1 < s.n && s.p[i] == '.' && is_digit(s.p[i + 1])) {
		int64_t scale = VG_NS_PER_SEC / 10;
		for (i++; i < s.n && is_digit(s.p[i]); i++, scale /= 10)
			frac += (s.p[i] - '0') * scale;
	}
	if (i < s.n && s.p[i] != ' ')
		return 0;
	*t = bsd_time(c, mon, day, hh * 3600 + mm * 60 + ss, frac);
	return i;
}

/* An ISO-8601 timestamp with a time of day at the start of s, followed by
 * a space or the end. Returns the bytes consumed, or 0. */
static size_t parse_iso_ts(sl_str s, int64_t *t)
{
	size_t k = vg_parse_iso8601(s.p, s.n, t);
	if (k < 16 || (k < s.n && s.p[k] != ' '))
		return 0;
	return k;
}

/* A tag at the start of s: `prog:` or `prog[procid]:` followed by a space
 * or the end. Returns the bytes consumed including the colon, or 0. */
static size_t parse_tag(sl_str s, sl_str *prog, sl_str *procid)
{
	size_t j = 0;
	while (j < s.n && j < 128 && s.p[j] != ' ' && s.p[j] != '[' && s.p[j] != ':')
		j++;
	if (j == 0 || j >= s.n)
		return 0;
	size_t k = j;
	sl_str id = {NULL, 0};
	if (s.p[j] == '[') {
		const char *close = memchr(s.p + j, ']', s.n - j < 66 ? s.n - j : 66);
		if (close == NULL)
			return 0;
		id = (sl_str){s.p + j + 1, (size_t)(close - s.p) - j - 1};
		k = (size_t)(close - s.p) + 1;
	}
	if (k >= s.n || s.p[k] != ':' || (k + 1 < s.n && s.p[k + 1] != ' '))
		return 0;
	*prog = (sl_str){s.p, j};
	*procid = id;
	return k + 1;
}

/* After the timestamp of an RFC 3164 or ISO line: `[host ]tag: msg`, or
 * just a message. The host is left out when the first word is the tag
 * itself (lines written by a local daemon without a host name), and when
 * the line had no timestamp (a relayed `<PRI>tag: msg`). */
static void parse_bsd_rest(sl_str r, int with_host, sl_msg *m)
{
	r = trim_left(r);
	sl_str first = word(r);
	size_t k = parse_tag(r, &m->prog, &m->procid);
	if (with_host && (k == 0 || k > first.n)) {
		m->host = first;
		r = trim_left(drop(r, first.n));
		k = parse_tag(r, &m->prog, &m->procid);
	}
	m->msg = trim_left(drop(r, k));
}

/* Skip the structured data of an RFC 5424 line: `-` or one or more
 * `[id param="value" ...]` elements, where a quoted value may hold `\"`,
 * `\]` and `\\`. Returns its length, or 0 if malformed. */
static size_t sd_len(sl_str s)
{
	if (s.n > 0 && s.p[0] == '-')
		return 1;
	size_t i = 0;
	while (i < s.n && s.p[i] == '[') {
		int quoted = 0;
		for (i++; i < s.n; i++) {
			char ch = s.p[i];
			if (quoted && ch == '\\')
				i++;
			else if (ch == '"')
				quoted = !quoted;
			else if (!quoted && ch == ']')
				break;
		}
		if (i >= s.n)
			return 0;
		i++;
	}
	return i;
}

/* Take the next space-separated header field of an RFC 5424 line; `-` is
 * the nil value. */
static sl_str next_field(sl_str *r)
{
	sl_str w = word(*r);
	*r = drop(*r, w.n < r->n ? w.n + 1 : w.n);
	if (w.n == 1 && w.p[0] == '-')
		return (sl_str){NULL, 0};
	return w;
}

/* The rest of an RFC 5424 line after `<PRI>VERSION `. Returns NULL, or a
 * message saying what is wrong. */
static const char *parse_5424(const sl_ctx *c, sl_str r, sl_msg *m)
{
	sl_str ts = next_field(&r);
	if (ts.p != NULL) {
		int64_t t;
		if (vg_parse_iso8601(ts.p, ts.n, &t) != ts.n || ts.n < 16)
			return "RFC 5424 timestamp is not an RFC 3339 date and time";
		m->t = t;
	} else {
		m->t = c->ctx->now_ns;
	}
	m->host = next_field(&r);
	m->prog = next_field(&r);
	m->procid = next_field(&r);
	m->msgid = next_field(&r);
	if (r.n == 0)
		return NULL;
	size_t k = sd_len(r);
	if (k == 0 || (k < r.n && r.p[k] != ' '))
		return "RFC 5424 structured data is not terminated (expected \"-\" or "
		       "[id name=\"value\"] elements)";
	if (r.p[0] == '[')
		m->sd = (sl_str){r.p, k};
	m->msg = drop(r, k < r.n ? k + 1 : k);
	/* A UTF-8 message may start with a byte order mark. */
	if (starts(m->msg, "\xEF\xBB\xBF"))
		m->msg = drop(m->msg, 3);
	return NULL;
}

/* Split a line into its header parts. Returns NULL, or a message saying
 * why it is not syslog. */
static const char *parse_header(const sl_ctx *c, sl_str s, sl_msg *m)
{
	m->pri = -1;
	m->t = c->ctx->now_ns;
	if (s.p[0] == '<') {
		size_t k = parse_pri(s, &m->pri);
		if (k == 0)
			return "not a syslog line: it starts with '<' but not with a priority "
			       "<0>..<191>";
		s = drop(s, k);
		size_t v = 0;
		while (v < s.n && v < 2 && is_digit(s.p[v]))
			v++;
		if (v > 0 && v < s.n && s.p[v] == ' ')
			return parse_5424(c, drop(s, v + 1), m);
	}
	size_t k = parse_bsd_ts(c, s, &m->t);
	if (k == 0)
		k = parse_iso_ts(s, &m->t);
	if (k == 0 && m->pri < 0)
		return "not a syslog line: expected <PRI>, a 'Mmm dd hh:mm:ss' timestamp or "
		       "an ISO-8601 timestamp at the start";
	/* A relayed line may have a priority and no timestamp at all. */
	parse_bsd_rest(drop(s, k), k > 0, m);
	return NULL;
}

static void put_str(vg_batch *b, uint32_t fid, sl_str s)
{
	if (s.p != NULL && s.n > 0)
		vg_ev_str(b, fid, s.p, s.n);
}

/* An address: an IP field when it parses, else the text. */
static void put_addr(vg_batch *b, uint32_t fid, sl_str s)
{
	uint8_t ip[16];
	if (s.n == 0)
		return;
	if (vg_ip_parse(s.p, s.n, ip) == 0)
		vg_ev_ip(b, fid, ip);
	else
		vg_ev_str(b, fid, s.p, s.n);
}

/* The value of `key=` in a PAM message (`... rhost=1.2.3.4  user=root`):
 * the key must start a word, so `ruser=` is not `user=`. */
static sl_str pam_value(sl_str msg, const char *key)
{
	size_t klen = strlen(key), at = 0;
	while ((at = find(msg, at, key)) != SIZE_MAX) {
		if (at > 0 && msg.p[at - 1] != ' ' && msg.p[at - 1] != ';') {
			at++;
			continue;
		}
		return word(drop(msg, at + klen));
	}
	return (sl_str){NULL, 0};
}

/* user, src_ip from the key=value tail of a PAM message. */
static void pam_fields(vg_batch *b, const sl_ids *id, sl_str msg)
{
	put_addr(b, id->src_ip, pam_value(msg, "rhost="));
	put_str(b, id->user, pam_value(msg, "user="));
}

/* `USER from ADDR[ port N]...` (USER may be empty or hold spaces, so the
 * last ` from ` ends it): user, src_ip, src_port. */
static void user_from(vg_batch *b, const sl_ids *id, sl_str s)
{
	size_t at = find_last(s, " from ");
	if (at == SIZE_MAX)
		return;
	put_str(b, id->user, (sl_str){s.p, at});
	sl_str rest = drop(s, at + 6);
	sl_str addr = word(rest);
	put_addr(b, id->src_ip, addr);
	rest = drop(rest, addr.n);
	if (starts(rest, " port ")) {
		int64_t port = small_uint(word(drop(rest, 6)));
		if (port >= 0)
			vg_ev_int(b, id->src_port, port);
	}
}

static void put_result(vg_batch *b, const sl_ids *id, const char *r)
{
	vg_ev_str(b, id->result, r, strlen(r));
}

/* Fields of an sshd message (see the file comment). */
static void sshd_fields(vg_batch *b, const sl_ids *id, sl_str msg)
{
	int failed = starts(msg, "Failed ");
	if (failed || starts(msg, "Accepted ")) {
		sl_str r = drop(msg, failed ? 7 : 9);
		sl_str method = word(r);
		r = drop(r, method.n);
		if (method.n == 0 || !starts(r, " for "))
			return;
		r = drop(r, 5);
		int invalid = starts(r, "invalid user ");
		if (invalid)
			r = drop(r, 13);
		vg_ev_str(b, id->auth_method, method.p, method.n);
		put_result(b, id, !failed ? "accepted" : invalid ? "invalid_user" : "failed");
		user_from(b, id, r);
	} else if (starts(msg, "Invalid user ")) {
		put_result(b, id, "invalid_user");
		user_from(b, id, drop(msg, 13));
	} else if (starts(msg, "PAM ") && find(msg, 4, " more authentication failure") != SIZE_MAX) {
		pam_fields(b, id, msg);
	}
}

/* Fields of a sudo command line: `USER : TTY=.. ; PWD=.. ; USER=.. ;
 * COMMAND=..`. COMMAND comes last and takes the rest, ` ; ` included. */
static void sudo_fields(vg_batch *b, const sl_ids *id, sl_str msg)
{
	size_t at = find(msg, 0, " : ");
	if (at == SIZE_MAX || word(msg).n != at)
		return;
	put_str(b, id->user, (sl_str){msg.p, at});
	sl_str r = drop(msg, at + 3);
	while (r.n > 0) {
		size_t end = find(r, 0, " ; ");
		sl_str seg = {r.p, end == SIZE_MAX ? r.n : end};
		if (starts(seg, "COMMAND=")) {
			put_str(b, id->command, drop(r, 8));
			return;
		}
		if (starts(seg, "TTY="))
			put_str(b, id->tty, drop(seg, 4));
		else if (starts(seg, "PWD="))
			put_str(b, id->pwd, drop(seg, 4));
		else if (starts(seg, "USER="))
			put_str(b, id->sudo_user, drop(seg, 5));
		if (end == SIZE_MAX)
			return;
		r = drop(r, end + 3);
	}
}

/* Security fields derived from the message of program prog. */
static void message_fields(vg_batch *b, const sl_ids *id, sl_str prog, sl_str msg)
{
	if (starts(msg, "pam_unix(") && find(msg, 9, "): authentication failure;") != SIZE_MAX) {
		put_result(b, id, "failed");
		pam_fields(b, id, msg);
	} else if (equals(prog, "sshd")) {
		sshd_fields(b, id, msg);
	} else if (equals(prog, "sudo")) {
		sudo_fields(b, id, msg);
	}
}

/* Set the fields of the open event from a parsed header. */
static void put_fields(sl_ctx *c, const sl_msg *m)
{
	vg_batch *b = c->ctx->out;
	const sl_ids *id = &c->id;
	if (m->host.n > 0)
		put_str(b, id->host, m->host);
	else if (c->ctx->host != NULL)
		vg_ev_str(b, id->host, c->ctx->host, strlen(c->ctx->host));
	put_str(b, id->program, m->prog);
	int64_t pid = small_uint(m->procid);
	if (pid >= 0)
		vg_ev_int(b, id->pid, pid);
	else
		put_str(b, id->procid, m->procid);
	if (m->pri >= 0) {
		const char *f = facilities[m->pri >> 3], *s = severities[m->pri & 7];
		vg_ev_str(b, id->facility, f, strlen(f));
		vg_ev_str(b, id->severity, s, strlen(s));
	}
	put_str(b, id->msgid, m->msgid);
	put_str(b, id->sd, m->sd);
	put_str(b, id->message, m->msg);
	message_fields(b, id, m->prog, m->msg);
}

/* Parse one non-blank line (without its newline) into one event. */
static void parse_line(sl_ctx *c, const char *line, size_t n)
{
	vg_batch *b = c->ctx->out;
	sl_msg m;
	memset(&m, 0, sizeof m);
	const char *err = parse_header(c, (sl_str){line, n}, &m);
	if (err != NULL) {
		vg_ev_begin(b, c->group, c->ctx->now_ns, line, n);
		vg_ev_parse_error(b, err);
		vg_ev_end(b);
		return;
	}
	vg_ev_begin(b, c->group, m.t, line, n);
	put_fields(c, &m);
	vg_ev_end(b);
}

#define FIELD(name) vg_batch_field(b, name, sizeof name - 1)

static void resolve_ids(sl_ids *id, vg_batch *b)
{
	id->host = FIELD("host");
	id->program = FIELD("program");
	id->pid = FIELD("pid");
	id->procid = FIELD("procid");
	id->facility = FIELD("facility");
	id->severity = FIELD("severity");
	id->msgid = FIELD("msgid");
	id->sd = FIELD("structured_data");
	id->message = FIELD("message");
	id->user = FIELD("user");
	id->src_ip = FIELD("src_ip");
	id->src_port = FIELD("src_port");
	id->result = FIELD("result");
	id->auth_method = FIELD("auth_method");
	id->sudo_user = FIELD("sudo_user");
	id->command = FIELD("command");
	id->tty = FIELD("tty");
	id->pwd = FIELD("pwd");
}

/* Parse a chunk of whole lines (the last may lack its newline). The
 * parser keeps no state between chunks: the year of a line depends only
 * on ctx->ref_ns. */
static int sl_parse(vg_parse_ctx *ctx, const char *buf, size_t len)
{
	sl_ctx c = {.ctx = ctx, .group = vg_parse_group(ctx, "syslog")};
	resolve_ids(&c.id, ctx->out);
	c.ref_ns = ctx->ref_ns != 0 ? ctx->ref_ns : ctx->now_ns;
	unsigned mon, day;
	vg_civil_from_days(vg_day_of(c.ref_ns), &c.ref_year, &mon, &day);
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
		parse_line(&c, line, n);
	}
	return 0;
}

/* 1 if the word looks like a host name or address. */
static int hostish(sl_str w)
{
	if (w.n == 0)
		return 0;
	for (size_t i = 0; i < w.n; i++) {
		char ch = w.p[i];
		if (!(is_digit(ch) || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      ch == '.' || ch == '-' || ch == '_' || ch == ':'))
			return 0;
	}
	return 1;
}

/* 1 if the line looks like syslog: a priority, a BSD timestamp, or an
 * ISO timestamp followed by a host name and a `tag:`. */
static int looks_like_syslog(const sl_ctx *c, sl_str s)
{
	int pri;
	int64_t t;
	if (s.p[0] == '<')
		return parse_pri(s, &pri) > 0;
	if (parse_bsd_ts(c, s, &t) > 0)
		return 1;
	size_t k = parse_iso_ts(s, &t);
	if (k == 0 || k >= s.n)
		return 0;
	sl_str r = drop(s, k + 1);
	sl_str host = word(r);
	sl_str prog, procid;
	return hostish(host) && host.n < r.n && parse_tag(drop(r, host.n + 1), &prog, &procid) > 0;
}

/* Confidence that buf is syslog: the share of its first lines that look
 * like syslog. */
static int sl_look(void *ctx, const char *line, size_t n, int index)
{
	(void)index;
	return looks_like_syslog(ctx, (sl_str){line, n});
}

static int sl_detect(const char *buf, size_t len)
{
	sl_ctx c;
	memset(&c, 0, sizeof c);
	c.ref_year = 2000;
	return vg_detect_lines(buf, len, 50, sl_look, &c, 90, 70, 20);
}

const vg_format vg_fmt_syslog = {
	.name = "syslog",
	.line_oriented = 1,
	.detect = sl_detect,
	.parse = sl_parse,
};
