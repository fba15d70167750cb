/*
 * remote_ingest.c — `vigil ingest --url`: inputs to a server's
 * /api/v1/ingest (see vg_remote_ingest in remote.h).
 *
 * The walk over the inputs is local mode's (vg_ingest_walk_path): files,
 * directories recursively in name order (dot files skipped), gzip
 * recognised by its magic bytes whatever the name, `-` for stdin. What
 * differs is where each input's bytes go: into bodies of POST requests.
 *
 * Bodies. The server parses each body on its own, with a fresh parser
 * state, while local mode feeds one parser all the chunks of an input.
 * Three things keep the two alike:
 *  - the format is detected here, once per input, on its first 64 KiB
 *    (what local mode looks at), and named in every request: a later body
 *    detected on its own could come out differently;
 *  - line formats are cut on line boundaries into bodies of at most
 *    VG_REMOTE_BODY bytes (the chunk size local mode parses with, well
 *    under the server's 64 MiB default limit). A server configured with a
 *    smaller limit answers 413 before it stores anything; the body is then
 *    sent again in halves, down to MIN_BODY, and the size that worked is
 *    kept for the rest of the run;
 *  - the one state a line parser carries from chunk to chunk with meaning
 *    is the VPC flow log header line, which sets the layout of the records
 *    after it (parse.h). The last header line sent is put in front of
 *    every later body of the same input. A header line is recognised as
 *    vpcflow.c does: every token a lowercase field name.
 * The input's mtime goes along (`mtime=`), the reference for the year of a
 * syslog line that carries none, as local mode uses it.
 *
 * A gzip file that fits one body is sent as it is, with Content-Encoding:
 * gzip; a larger one is decompressed here and cut like any line input (the
 * server's limit bounds the inflated size, so sending it whole would fail).
 *
 * Failures. An answer about one body (400, 413, 415: the input is bad)
 * fails that input; the run goes on, as local mode's does. Anything that
 * dooms the rest too (the server unreachable, the token refused, the
 * server failing or staying busy) stops the run.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "cli/remote.h"
#include "parse/parse.h"
#include "util/timeutil.h"

#define DETECT_BYTES (64u << 10)
#define INGEST_TIMEOUT_S 600L    /* a body's parse and commit, on a busy server */
#define MIN_BODY (64u << 10)     /* smallest body a 413 makes us try */

typedef struct sender {
	vg_ingest_walk w;        /* first: the walk's callback gets &s->w */
	vg_remote *rm;
	vg_err *err;             /* the error that stopped the run */
	int stop;                /* < 0: the run stops with this */
	char *buf;               /* chunk buffer */
	size_t cap;
	vg_buf body;             /* header line + chunk, for vpcflow */
	vg_buf header;           /* the last VPC flow header line sent */
	size_t body_max;         /* line-format bodies' size: VG_REMOTE_BODY, less
				  * after a 413 */
	char mtime[24];          /* the input's mtime in epoch seconds, or "" */
} sender;

/* ------------------------------------------------------------ one body */

/* Add the counts of an ingest answer ({"stored":N,"parse_errors":M}) to f
 * and the report. Returns 0, or VG_EIO when the answer is not that. */
static int take_answer(sender *s, vg_ingest_file *f, const vg_http_answer *a)
{
	cJSON *j = cJSON_ParseWithLength((const char *)a->body.p, a->body.len);
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "stored");
	const cJSON *pe = cJSON_GetObjectItemCaseSensitive(j, "parse_errors");
	int ok = cJSON_IsNumber(st) && cJSON_IsNumber(pe) && st->valuedouble >= 0 &&
		 pe->valuedouble >= 0;
	if (ok) {
		f->events += (uint64_t)st->valuedouble;
		f->parse_errors += (uint64_t)pe->valuedouble;
		s->w.rep->events += (uint64_t)st->valuedouble;
		s->w.rep->parse_errors += (uint64_t)pe->valuedouble;
		s->w.rep->durable = s->w.rep->events; /* an answer means durable */
	}
	cJSON_Delete(j);
	if (!ok)
		return vg_seterr(s->err, VG_EIO, -1,
				 "%s answered an ingest with something else than "
				 "{\"stored\": N, ...}: is it a vigil server?", vg_remote_url(s->rm));
	if (s->w.o->progress) {
		fprintf(s->w.o->progress, "durable %" PRIu64 " events\n", s->w.rep->durable);
		fflush(s->w.o->progress);
	}
	return 0;
}

/* 1 if an error answer is about this body alone (the input is bad), 0 if
 * it dooms the whole run. */
static int input_error(long status)
{
	return status == 400 || status == 413 || status == 415 || status == 422;
}

/* POST one body of input f in format fmt. On a failure of this input
 * marks it failed; on one that dooms the run sets s->stop. Returns the
 * answer's status (0: none). A 413 is left to the caller when may_shrink
 * is set (nothing was stored: it may send the body again in pieces). */
static long post(sender *s, vg_ingest_file *f, const vg_format *fmt, const void *p, size_t n,
		 const char *encoding, int may_shrink)
{
	const char *args[] = {
		"format", fmt->name,
		"group", s->w.o->group,
		"account", s->w.o->account,
		"mtime", s->mtime[0] ? s->mtime : NULL,
		NULL,
	};
	vg_http_call c = {
		.method = "POST", .path = "/api/v1/ingest", .args = args, .body = p, .len = n,
		.content_type = "application/octet-stream", .content_encoding = encoding,
		.timeout_s = INGEST_TIMEOUT_S,
	};
	vg_http_answer a;
	vg_err e = {0};
	int rc = vg_remote_call(s->rm, &c, &a, &e);
	long status = a.status;
	if (rc == 0) {
		s->stop = take_answer(s, f, &a);
	} else if (status == 413 && may_shrink) {
		/* the caller sends it again, smaller */
	} else if (input_error(status)) {
		vg_ingest_fail(&s->w, f, "%s", e.msg);
	} else {
		f->failed = 1;
		s->w.failed++;
		*s->err = e;
		s->stop = rc;
	}
	vg_http_answer_free(&a);
	return status;
}

/* 1 if line p[0..n) is a VPC flow log header: space-separated tokens, each
 * a lowercase field name (a letter, then letters, digits, - or _), as
 * vpcflow.c tells headers from records. */
static int vpc_header_line(const char *p, size_t n)
{
	int tokens = 0;
	size_t i = 0;
	while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' '))
		n--;
	while (i < n) {
		while (i < n && p[i] == ' ')
			i++;
		if (i == n)
			break;
		if (p[i] < 'a' || p[i] > 'z')
			return 0;
		size_t start = i;
		for (; i < n && p[i] != ' '; i++) {
			char c = p[i];
			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
				return 0;
		}
		if (i - start > 64)
			return 0;
		tokens++;
	}
	return tokens > 0;
}

/* Remember the last VPC flow header line in p[0..n). */
static void note_vpc_header(sender *s, const char *p, size_t n)
{
	const char *end = p + n;
	for (const char *line = p; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t len = (size_t)((nl ? nl : end) - line);
		if (len && (line[0] < '0' || line[0] > '9') && vpc_header_line(line, len)) {
			vg_buf_clear(&s->header);
			vg_buf_put(&s->header, line, len);
			vg_buf_putc(&s->header, '\n');
		}
		line = nl ? nl + 1 : end;
	}
}

/* POST a chunk of a line-format input: for VPC flow logs, after the
 * header line earlier chunks ended with. Returns post's status; 413 (the
 * chunk was too large, nothing stored) only while the chunk may shrink. */
static long post_lines(sender *s, vg_ingest_file *f, const vg_format *fmt, const char *p,
		       size_t n)
{
	int may_shrink = s->body_max > MIN_BODY;
	if (n == 0)
		return 200;
	if (strcmp(fmt->name, "vpcflow") != 0)
		return post(s, f, fmt, p, n, NULL, may_shrink);
	vg_buf_clear(&s->body);
	vg_buf_put(&s->body, s->header.p, s->header.len);
	vg_buf_put(&s->body, p, n);
	long status = post(s, f, fmt, s->body.p, s->body.len, NULL, may_shrink);
	if (status >= 200 && status < 300)
		note_vpc_header(s, p, n);
	return status;
}

/* After a 413: halve the bodies for the rest of the run. */
static void shrink(sender *s)
{
	s->body_max /= 2;
	if (s->body_max < MIN_BODY)
		s->body_max = MIN_BODY;
}

/* ------------------------------------------------------------ one input */

/* Make the chunk buffer hold at least need bytes. */
static void grow_buf(sender *s, size_t need)
{
	if (need > s->cap) {
		s->cap = need;
		s->buf = vg_xrealloc(s->buf, need);
	}
}

/* Send the gzip file at path as it is. Its content (inflated) has been
 * read already and fits one body. Returns post's status, or 0 when the
 * file could not be read again (the input has failed). */
static long post_gzip_file(sender *s, vg_ingest_file *f, const vg_format *fmt, const char *path,
			   int may_shrink)
{
	long status = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) != 0) {
		vg_ingest_fail(&s->w, f, "cannot open: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return 0;
	}
	size_t n = (size_t)sb.st_size, got = 0;
	char *raw = vg_xmalloc(n ? n : 1);
	while (got < n) {
		ssize_t k = read(fd, raw + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	if (got != n)
		vg_ingest_fail(&s->w, f, "read error");
	else
		status = post(s, f, fmt, raw, n, "gzip", may_shrink);
	free(raw);
	return status;
}

/* Account for n bytes of input f. */
static void count_bytes(sender *s, vg_ingest_file *f, size_t n)
{
	f->bytes += n;
	s->w.rep->bytes += n;
}

/* A document-format input: read whole (bounded by VG_MAX_DOC), one body. */
static void send_document(sender *s, vg_ingest_file *f, const vg_format *fmt, gzFile z,
			  size_t len, const char *gz_path)
{
	for (;;) {
		if (len == s->cap - 1) {
			if (s->cap - 1 >= VG_MAX_DOC) {
				vg_ingest_fail(&s->w, f, "document larger than %u MiB; split it", VG_MAX_DOC >> 20);
				return;
			}
			grow_buf(s, (s->cap - 1) * 2 + 1);
		}
		ssize_t n = vg_ingest_read(z, s->buf + len, s->cap - 1 - len);
		if (n < 0) {
			vg_ingest_fail(&s->w, f, "read error");
			return;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	count_bytes(s, f, len);
	if (gz_path)
		post_gzip_file(s, f, fmt, gz_path, 0);
	else
		post(s, f, fmt, s->buf, len, NULL, 0);
}

/* The end of the body that starts s->buf, which holds len bytes: at most
 * max bytes, cut after a line's end unless the input ends within them. A
 * line longer than max is cut at max (local mode cuts it likewise). */
static size_t cut_lines(const sender *s, size_t len, size_t max, int eof)
{
	if (eof && len <= max)
		return len;
	size_t cut = len < max ? len : max;
	while (cut > 0 && s->buf[cut - 1] != '\n')
		cut--;
	return cut ? cut : (len < max ? len : max);
}

/* A line-format input: bodies of at most s->body_max bytes ending on a
 * line boundary; the rest moves to the front of the buffer for the next.
 * A gzip file that fits one body is sent as it is instead. */
static void send_lines(sender *s, vg_ingest_file *f, const vg_format *fmt, gzFile z, size_t len,
		       const char *gz_path)
{
	int eof = 0;
	count_bytes(s, f, len);
	for (;;) {
		/* Fill the buffer (VG_REMOTE_BODY bytes) unless it holds more
		 * than a body already, after a 413 shrank the bodies. */
		if (!eof && len < VG_REMOTE_BODY) {
			ssize_t n = vg_ingest_read(z, s->buf + len, VG_REMOTE_BODY - len);
			if (n < 0) {
				vg_ingest_fail(&s->w, f, "read error");
				return;
			}
			eof = (size_t)n < VG_REMOTE_BODY - len;
			len += (size_t)n;
			count_bytes(s, f, (size_t)n);
		}
		long status;
		size_t cut = 0;
		if (gz_path && eof && len <= s->body_max) {
			status = post_gzip_file(s, f, fmt, gz_path, s->body_max > MIN_BODY);
			cut = len;
		} else {
			gz_path = NULL; /* part of it is on its way: pieces from now on */
			cut = cut_lines(s, len, s->body_max, eof);
			status = post_lines(s, f, fmt, s->buf, cut);
		}
		if (status == 413 && !s->stop && !f->failed) {
			shrink(s);
			gz_path = NULL; /* too large inflated: send it in pieces */
			continue;
		}
		if (s->stop || f->failed)
			return;
		memmove(s->buf, s->buf + cut, len - cut);
		len -= cut;
		if (eof && len == 0)
			return;
	}
}

/* Send one input read through z. path is the file's, for sending a gzip
 * file as it is (NULL for stdin); mtime_ns its mtime (0: none). */
static void send_input(sender *s, vg_ingest_file *f, gzFile z, const char *path,
		       int64_t mtime_ns)
{
	grow_buf(s, VG_REMOTE_BODY + 1);
	vg_buf_clear(&s->header);
	ssize_t n = vg_ingest_read(z, s->buf, DETECT_BYTES);
	if (n < 0) {
		vg_ingest_fail(&s->w, f, "read error");
		return;
	}
	const vg_format *fmt = vg_ingest_format(s->w.o, s->buf, (size_t)n);
	f->format = fmt->name;
	s->mtime[0] = 0;
	if (mtime_ns)
		snprintf(s->mtime, sizeof s->mtime, "%" PRId64, mtime_ns / VG_NS_PER_SEC);
	const char *gz_path = path && !gzdirect(z) ? path : NULL;
	if (fmt->line_oriented)
		send_lines(s, f, fmt, z, (size_t)n, gz_path);
	else
		send_document(s, f, fmt, z, (size_t)n, gz_path);
}

/* ------------------------------------------------------------ the walk */

/* vg_ingest_walk's callback: send the input; a run-stopping failure stops
 * the walk. */
static int walk_input(vg_ingest_walk *w, vg_ingest_file *f, gzFile z, const char *path,
		      int64_t mtime)
{
	sender *s = (sender *)w;
	send_input(s, f, z, path, mtime);
	return s->stop;
}

int vg_remote_ingest(vg_remote *rm, char *const *paths, int npaths, const vg_ingest_opts *o,
		     vg_ingest_report *rep, vg_err *err)
{
	memset(rep, 0, sizeof *rep);
	int rc = vg_ingest_check_opts(o, err);
	if (rc)
		return rc;
	sender s = {.w = {.o = o, .rep = rep, .input = walk_input},
		    .rm = rm, .err = err, .body_max = VG_REMOTE_BODY};
	int64_t t0 = vg_mono_ns();
	for (int k = 0; k < npaths && s.stop == 0; k++)
		vg_ingest_walk_path(&s.w, paths[k]);
	rep->durable = rep->events;
	rep->elapsed_ns = vg_mono_ns() - t0;
	free(s.buf);
	vg_buf_free(&s.body);
	vg_buf_free(&s.header);
	if (s.stop)
		return s.stop;
	if (s.w.failed)
		return vg_seterr(err, VG_EINVAL, -1, "%d input(s) could not be ingested", s.w.failed);
	return 0;
}
