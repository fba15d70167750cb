/*
 * awscli.c — the `awscli` format: account-level facts that AWS Config does
 * not record, as the AWS CLI prints them, made into configuration items of
 * the account so the compliance engine reads them like AWS Config's own.
 *
 *   aws iam get-account-password-policy   {"PasswordPolicy":{...}}, or the
 *       NoSuchEntity error text when no policy is set
 *   aws iam get-account-summary           {"SummaryMap":{...}}
 *   aws cloudtrail get-trail-status       {"IsLogging":true,...}; the output
 *       names no trail, so a "Name" key is accepted when the user adds one
 *   aws iam get-credential-report         {"Content":"<base64 CSV>",...}, or
 *       the CSV itself (header user,arn,user_creation_time,...)
 *
 * Every event is in group "awsconfig" (they are configuration) with
 *   resourceType      AWS::::Account (a credential-report row of a user:
 *                     AWS::IAM::User)
 *   resourceId        the account id (--account), or the user name
 *   awsAccountId      the account id
 *   awscli.kind       password-policy | account-summary | trail-status |
 *                     credential-report
 *   configurationItemStatus "OK", configurationItemCaptureTime (ISO-8601)
 *   configuration.*   the output flattened: configuration.PasswordPolicy.
 *                     MinimumPasswordLength, configuration.SummaryMap.
 *                     AccountMFAEnabled, configuration.IsLogging, a report
 *                     row's columns (configuration.mfa_active ...); for
 *                     NoSuchEntity configuration.noPasswordPolicy = "true"
 *   awscli.trail      (trail-status) the trail's Name, or "unknown"
 * Several kinds describe the same account resource, so a reader merges
 * the latest event of each kind (and of each trail) rather than letting one
 * replace another. Time: the report's GeneratedTime, else ctx->ref_ns.
 *
 * The outputs do not name their account, so --account is required; where
 * an output does name it (the root row of a credential report, the
 * NoSuchEntity message) a different account is refused, because facts
 * filed under the wrong account would make compliance results wrong.
 */
#include <stdio.h>
#include <string.h>

#include "parse/jsonflat.h"
#include "parse/parse.h"
#include "util/timeutil.h"

#define CSV_MAXCOL 64

/* How a credential report starts. */
static const char csvhead[] = "user,arn,user_creation_time,";

typedef struct cli {
	vg_parse_ctx *ctx;
	vg_batch *b;
	vg_jflat jf;
	uint32_t group;
	int64_t t;           /* time of the events being made */
	vg_buf text;         /* decoded strings: a report's Content, a Name */
	vg_buf csvtext;      /* the base64-decoded report */
	vg_buf cell;         /* one unquoted CSV cell */
	int fatal;           /* < 0: stop, ctx->err says why */
} cli;

/* Set string field name of the open event. */
static void str(cli *c, const char *name, const char *v, size_t n)
{
	vg_ev_str(c->b, vg_batch_field(c->b, name, strlen(name)), v, n);
}

/* Open an event with the fields every configuration item of ours has. */
static void begin(cli *c, const char *raw, size_t rawlen, const char *kind, const char *rtype,
		  const char *rid, size_t ridlen)
{
	char iso[40];
	size_t isolen = vg_format_iso8601(c->t, iso, 0);
	vg_ev_begin(c->b, c->group, c->t, raw, rawlen);
	str(c, "resourceType", rtype, strlen(rtype));
	str(c, "resourceId", rid, ridlen);
	str(c, "awsAccountId", c->ctx->account, strlen(c->ctx->account));
	str(c, "awscli.kind", kind, strlen(kind));
	str(c, "configurationItemStatus", "OK", 2);
	str(c, "configurationItemCaptureTime", iso, isolen);
}

static void begin_account(cli *c, const char *raw, size_t rawlen, const char *kind)
{
	begin(c, raw, rawlen, kind, "AWS::::Account", c->ctx->account, strlen(c->ctx->account));
}

/* A raw event for input that is none of the known outputs. */
static void unknown(cli *c, const char *raw, size_t rawlen, const char *what)
{
	char msg[300];
	snprintf(msg, sizeof msg,
		 "not a recognised AWS CLI output (%s): expected get-account-password-policy, "
		 "get-account-summary, get-trail-status or a credential report", what);
	vg_ev_begin(c->b, c->group, c->t, raw, rawlen);
	vg_ev_parse_error(c->b, msg);
	vg_ev_end(c->b);
}

/* Refuse an output that names an account other than --account. */
static int account_check(cli *c, const char *id, size_t n, const char *where)
{
	const char *acct = c->ctx->account;
	if (n == strlen(acct) && memcmp(id, acct, n) == 0)
		return 0;
	c->fatal = vg_seterr(&c->ctx->err, VG_EINVAL, -1,
			     "%s is for account %.*s, but --account is %s", where,
			     (int)(n > 40 ? 40 : n), id, acct);
	return c->fatal;
}

/* ---- the credential report (CSV) ------------------------------------- */

/* Split one CSV line into cells (quoted cells: the span inside the quotes,
 * still with doubled quotes); returns the number of cells, of which at most
 * max are stored. */
static size_t csv_split(const char *s, size_t n, vg_jspan *cells, size_t max)
{
	size_t i = 0, k = 0;
	for (;;) {
		vg_jspan cell;
		if (i < n && s[i] == '"') {
			cell.start = ++i;
			while (i < n && !(s[i] == '"' && (i + 1 >= n || s[i + 1] != '"')))
				i += s[i] == '"' ? 2 : 1;
			cell.end = i < n ? i++ : n;
			while (i < n && s[i] != ',')
				i++;
		} else {
			cell.start = i;
			while (i < n && s[i] != ',')
				i++;
			cell.end = i;
		}
		if (k < max)
			cells[k] = cell;
		k++;
		if (i >= n)
			return k;
		i++; /* the comma */
	}
}

/* The text of a cell in c->cell: doubled quotes undone, and a NUL byte
 * turned into U+FFFD, as the JSON reader does, so no field hides text. */
static void cell_text(cli *c, const char *s, vg_jspan cell)
{
	c->cell.len = 0;
	vg_buf_reserve(&c->cell, 3 * (cell.end - cell.start) + 1);
	for (size_t i = cell.start; i < cell.end; i++) {
		if (s[i] == 0) {
			memcpy(c->cell.p + c->cell.len, "\xef\xbf\xbd", 3);
			c->cell.len += 3;
			continue;
		}
		c->cell.p[c->cell.len++] = (uint8_t)s[i];
		if (s[i] == '"' && i + 1 < cell.end && s[i + 1] == '"')
			i++;
	}
}

/* The offset of the end of the line that starts at pos (without "\r"). */
static size_t line_end(const char *s, size_t n, size_t pos, size_t *next)
{
	const char *nl = memchr(s + pos, '\n', n - pos);
	size_t end = nl ? (size_t)(nl - s) : n;
	*next = nl ? end + 1 : n;
	if (end > pos && s[end - 1] == '\r')
		end--;
	return end;
}

/* The root row's account must be --account: checked before any event. */
static int report_account(cli *c, const char *s, size_t n)
{
	static const char root[] = "<root_account>,";
	size_t pos = 0, next;
	while (pos < n) {
		size_t end = line_end(s, n, pos, &next);
		vg_jspan cells[2];
		if (end - pos > sizeof root - 1 && memcmp(s + pos, root, sizeof root - 1) == 0 &&
		    csv_split(s + pos, end - pos, cells, 2) >= 2) {
			/* arn:aws:iam::123456789012:root */
			const char *arn = s + pos + cells[1].start;
			size_t alen = cells[1].end - cells[1].start;
			const char *p = memmem(arn, alen, "::", 2), *q;
			if (p && (q = memchr(p + 2, ':', alen - (size_t)(p + 2 - arn))) != NULL)
				return account_check(c, p + 2, (size_t)(q - p - 2),
						     "the credential report");
		}
		pos = next;
	}
	return 0;
}

/* One report row: an event for the root account or for one user. */
static void report_row(cli *c, const char *s, size_t pos, size_t end, const uint32_t *fids,
		       size_t ncol)
{
	vg_jspan cells[CSV_MAXCOL];
	const char *line = s + pos;
	size_t nc = csv_split(line, end - pos, cells, CSV_MAXCOL);
	char user[VG_MAX_NAME];
	cell_text(c, line, cells[0]);
	size_t ulen = c->cell.len < sizeof user ? c->cell.len : sizeof user;
	memcpy(user, c->cell.p, ulen);
	if (ulen == 14 && memcmp(user, "<root_account>", 14) == 0)
		begin_account(c, line, end - pos, "credential-report");
	else
		begin(c, line, end - pos, "credential-report", "AWS::IAM::User", user, ulen);
	str(c, "resourceName", user, ulen);
	for (size_t i = 0; i < nc && i < ncol; i++) {
		cell_text(c, line, cells[i]);
		vg_ev_str(c->b, fids[i], (const char *)c->cell.p, c->cell.len);
		if (i == 1)
			str(c, "ARN", (const char *)c->cell.p, c->cell.len);
	}
	if (nc != ncol) {
		char msg[160];
		snprintf(msg, sizeof msg, "credential report row has %zu columns; the header has %zu",
			 nc, ncol);
		vg_ev_parse_error(c->b, msg);
	}
	vg_ev_end(c->b);
}

/* A credential report: the header names the columns, each row is one
 * event. */
static void report(cli *c, const char *s, size_t n)
{
	vg_jspan cells[CSV_MAXCOL];
	uint32_t fids[CSV_MAXCOL];
	size_t next, hend = line_end(s, n, 0, &next);
	size_t ncol = csv_split(s, hend, cells, CSV_MAXCOL);
	if (ncol > CSV_MAXCOL)
		ncol = CSV_MAXCOL;
	if (report_account(c, s, n) < 0)
		return;
	for (size_t i = 0; i < ncol; i++) {
		char name[VG_MAX_NAME];
		cell_text(c, s, cells[i]);
		int len = snprintf(name, sizeof name, "configuration.%.*s", (int)c->cell.len,
				   (const char *)c->cell.p);
		if (len < 0)
			len = 0;
		fids[i] = vg_batch_field(c->b, name, (size_t)len < sizeof name ? (size_t)len
									   : sizeof name - 1);
	}
	for (size_t pos = next; pos < n; pos = next) {
		size_t end = line_end(s, n, pos, &next);
		if (vg_json_ws(s, end, pos) < end)
			report_row(c, s, pos, end, fids, ncol);
	}
}

static int b64val(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+' || ch == '-')
		return 62;
	if (ch == '/' || ch == '_')
		return 63;
	return -1;
}

/* Decode base64 s[0, n) (whitespace ignored, '=' ends it) into out.
 * Returns 0, or the offset + 1 of the first byte that is not base64. */
static size_t b64_decode(const char *s, size_t n, vg_buf *out)
{
	uint32_t acc = 0;
	int bits = 0;
	vg_buf_reserve(out, n / 4 * 3 + 3);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '=')
			break;
		if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t')
			continue;
		int v = b64val(ch);
		if (v < 0)
			return i + 1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out->p[out->len++] = (uint8_t)(acc >> bits);
		}
	}
	return 0;
}

/* get-credential-report's JSON: Content is the base64 CSV. */
static void report_json(cli *c, const char *s, size_t n, vg_jspan obj, vg_jspan content,
			vg_jspan gen)
{
	vg_err err;
	int64_t t;
	char msg[200];
	c->text.len = 0;
	c->csvtext.len = 0;
	if (s[content.start] != '"' || vg_json_string(s, n, content.start, &c->text, &err) < 0) {
		unknown(c, s + obj.start, obj.end - obj.start, "Content is not a string");
		return;
	}
	size_t bad = b64_decode((const char *)c->text.p, c->text.len, &c->csvtext);
	if (bad) {
		snprintf(msg, sizeof msg, "credential report Content is not base64 (byte %zu of it)",
			 bad - 1);
		vg_ev_begin(c->b, c->group, c->t, s + obj.start, obj.end - obj.start);
		vg_ev_parse_error(c->b, msg);
		vg_ev_end(c->b);
		return;
	}
	if (c->csvtext.len < sizeof csvhead - 1 ||
	    memcmp(c->csvtext.p, csvhead, sizeof csvhead - 1) != 0) {
		unknown(c, s + obj.start, obj.end - obj.start,
			"Content is not a credential report");
		return;
	}
	int64_t saved = c->t;
	if (vg_json_time(s, gen, &t))
		c->t = t;
	report(c, (const char *)c->csvtext.p, c->csvtext.len);
	c->t = saved;
}

/* ---- JSON outputs ---------------------------------------------------- */

enum { K_PP, K_SUM, K_LOG, K_NAME, K_CONTENT, K_FORMAT, K_GEN, K_N };
static const char *const keys[K_N] = {
	"PasswordPolicy", "SummaryMap", "IsLogging", "Name", "Content", "ReportFormat",
	"GeneratedTime",
};

/* A trail-status output: its payload, and the trail it is about. */
static void trail_status(cli *c, const char *s, size_t n, vg_jspan obj, vg_jspan name)
{
	vg_err err;
	begin_account(c, s + obj.start, obj.end - obj.start, "trail-status");
	vg_jflat_value(&c->jf, c->b, s, n, obj.start, "configuration", NULL, &err);
	c->text.len = 0;
	if (vg_jspan_ok(name) && s[name.start] == '"' &&
	    vg_json_string(s, n, name.start, &c->text, &err) == 0 && c->text.len > 0)
		str(c, "awscli.trail", (const char *)c->text.p, c->text.len);
	else
		str(c, "awscli.trail", "unknown", 7);
	vg_ev_end(c->b);
}

/* vg_jdoc_fn: one JSON output. */
static int top_value(vg_jdoc *d, size_t pos, size_t *next, void *arg)
{
	cli *c = arg;
	vg_jspan obj, m[K_N];
	vg_err err;
	int rc = vg_json_skip(d->s, d->n, pos, &obj, &d->err);
	if (rc < 0)
		return rc;
	*next = obj.end;
	const char *s = d->s, *raw = s + obj.start;
	size_t rawlen = obj.end - obj.start;
	if (s[pos] != '{') {
		unknown(c, raw, rawlen, "not a JSON object");
		return 0;
	}
	vg_json_members(s, d->n, pos, keys, K_N, m, &err);
	if (vg_jspan_ok(m[K_PP]) || vg_jspan_ok(m[K_SUM])) {
		begin_account(c, raw, rawlen,
			      vg_jspan_ok(m[K_PP]) ? "password-policy" : "account-summary");
		vg_jflat_value(&c->jf, c->b, s, d->n, pos, "configuration", NULL, &err);
		vg_ev_end(c->b);
	} else if (vg_jspan_ok(m[K_LOG])) {
		trail_status(c, s, d->n, obj, m[K_NAME]);
	} else if (vg_jspan_ok(m[K_CONTENT]) && vg_jspan_ok(m[K_FORMAT])) {
		report_json(c, s, d->n, obj, m[K_CONTENT], m[K_GEN]);
		if (c->fatal)
			*next = d->n; /* stop: the input is for another account */
	} else {
		unknown(c, raw, rawlen, "a JSON object without PasswordPolicy, SummaryMap, "
					"IsLogging or Content");
	}
	return 0;
}

/* ---- text outputs ---------------------------------------------------- */

static const char nosuch[] = "(NoSuchEntity)";
static const char ppop[] = "GetAccountPasswordPolicy";

/* 1 if needle occurs in b[0, n). */
static int has(const char *b, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	return b != NULL && n >= k && memmem(b, n, needle, k) != NULL;
}

/* The NoSuchEntity error of get-account-password-policy: no policy set. */
static void no_policy(cli *c, const char *s, size_t n)
{
	/* "... The Password Policy with domain name 123456789012 cannot be found." */
	const char *p = memmem(s, n, "domain name ", 12);
	if (p) {
		const char *id = p + 12, *end = s + n, *q = id;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
		if (q - id == 12 && account_check(c, id, 12, "the NoSuchEntity message") < 0)
			return;
	}
	begin_account(c, s, n, "password-policy");
	str(c, "configuration.noPasswordPolicy", "true", 4);
	vg_ev_end(c->b);
}

/* Input that is not JSON: the NoSuchEntity text or a CSV report. */
static void text(cli *c, const char *s, size_t n)
{
	size_t p = vg_json_ws(s, n, 0), e = n;
	while (e > p && (s[e - 1] == ' ' || s[e - 1] == '\n' || s[e - 1] == '\r' || s[e - 1] == '\t'))
		e--;
	if (p >= e)
		return;
	if (has(s + p, e - p, nosuch) && has(s + p, e - p, ppop))
		no_policy(c, s + p, e - p);
	else if (e - p >= sizeof csvhead - 1 && memcmp(s + p, csvhead, sizeof csvhead - 1) == 0)
		report(c, s + p, e - p);
	else
		unknown(c, s + p, e - p, "text");
}

/* parse() of vg_fmt_awscli. */
static int cli_parse(vg_parse_ctx *ctx, const char *buf, size_t len)
{
	if (ctx->account == NULL || ctx->account[0] == 0)
		return vg_seterr(&ctx->err, VG_EINVAL, -1,
				 "awscli input needs the account id: --account ID");
	cli c = {.ctx = ctx, .b = ctx->out, .t = ctx->ref_ns};
	vg_jflat_init(&c.jf);
	c.group = vg_parse_group(ctx, "awsconfig");
	size_t p = vg_json_ws(buf, len, 0);
	if (p < len && (buf[p] == '{' || buf[p] == '['))
		vg_jdoc_run(ctx, c.group, buf, len, top_value, &c);
	else
		text(&c, buf, len);
	vg_jflat_free(&c.jf);
	vg_buf_free(&c.text);
	vg_buf_free(&c.csvtext);
	vg_buf_free(&c.cell);
	return c.fatal;
}

/* The first key of the JSON object in buf is key (checked loosely, within
 * the first bytes). */
static int starts_with_key(const char *buf, size_t len, const char *key)
{
	size_t p = vg_json_ws(buf, len, 0);
	if (p >= len || buf[p] != '{')
		return 0;
	p = vg_json_ws(buf, len, p + 1);
	size_t k = strlen(key);
	return len - p >= k + 2 && buf[p] == '"' && memcmp(buf + p + 1, key, k) == 0 &&
	       buf[p + 1 + k] == '"';
}

/* detect() of vg_fmt_awscli: each shape is distinctive enough to be sure. */
static int cli_detect(const char *buf, size_t len)
{
	size_t p = vg_json_ws(buf, len, 0);
	if (p >= len)
		return 0;
	if (starts_with_key(buf, len, "PasswordPolicy") || starts_with_key(buf, len, "SummaryMap"))
		return 95;
	if (len - p >= sizeof csvhead - 1 && memcmp(buf + p, csvhead, sizeof csvhead - 1) == 0)
		return 95;
	if (has(buf, len, nosuch) && has(buf, len, ppop))
		return 95;
	if (buf[p] != '{')
		return 0;
	if (has(buf, len, "\"IsLogging\"") &&
	    (has(buf, len, "\"LatestDeliveryTime\"") ||
	     has(buf, len, "\"StartLoggingTime\"") ||
	     has(buf, len, "\"LatestDeliveryAttemptTime\"") ||
	     has(buf, len, "\"TimeLoggingStarted\"")))
		return 90;
	if (has(buf, len, "\"ReportFormat\"") && has(buf, len, "text/csv") &&
	    has(buf, len, "\"Content\""))
		return 95;
	return 0;
}

const vg_format vg_fmt_awscli = {
	.name = "awscli",
	.line_oriented = 0,
	.detect = cli_detect,
	.parse = cli_parse,
};
