#include "ingest/ingest.h"

#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "parse/parse.h"
#include "util/timeutil.h"

#define DETECT_BYTES (64u << 10)
#define MAX_DEPTH 32

typedef struct ingester {
	vg_store *st;
	const vg_ingest_opts *o;
	vg_ingest_report *rep;
	uint64_t since_commit;
	uint64_t durable;
	int failed;
	char *buf;              /* chunk buffer */
	size_t cap;
	vg_err *err;
} ingester;

static int commit(ingester *g)
{
	vg_err e = {0};
	int rc = vg_store_commit(g->st, &e);
	if (rc) {
		*g->err = e;
		return rc;
	}
	g->durable = g->rep->events;
	g->since_commit = 0;
	if (g->o->progress) {
		fprintf(g->o->progress, "durable %" PRIu64 " events\n", g->durable);
		fflush(g->o->progress);
	}
	return 0;
}

/* Read up to n bytes; returns bytes read, or -1 on error. */
static ssize_t read_some(gzFile z, char *p, size_t n)
{
	size_t got = 0;
	while (got < n) {
		int k = gzread(z, p + got, (unsigned)(n - got > (1u << 30) ? (1u << 30) : n - got));
		if (k < 0)
			return -1;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

static void file_fail(ingester *g, vg_ingest_file *f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void file_fail(ingester *g, vg_ingest_file *f, const char *fmt, ...)
{
	va_list ap;
	f->failed = 1;
	g->failed++;
	if (g->o->errors == NULL)
		return;
	va_start(ap, fmt);
	fprintf(g->o->errors, "vigil ingest: %s: ", f->path);
	vfprintf(g->o->errors, fmt, ap);
	fputc('\n', g->o->errors);
	va_end(ap);
}

/* Parse one buffer and account for what it produced. */
static int parse_chunk(ingester *g, vg_ingest_file *f, const vg_format *fmt, vg_parse_ctx *ctx,
		       const char *p, size_t n)
{
	vg_batch *b = ctx->out;
	size_t ev0 = b->nev;
	uint64_t pe0 = b->nparse_errors, sk0 = ctx->nskipped;
	int rc = fmt->parse(ctx, p, n);
	f->events += b->nev - ev0;
	f->parse_errors += b->nparse_errors - pe0;
	f->skipped += ctx->nskipped - sk0;
	g->rep->events += b->nev - ev0;
	g->rep->parse_errors += b->nparse_errors - pe0;
	g->rep->skipped += ctx->nskipped - sk0;
	g->since_commit += n;
	if (rc) {
		file_fail(g, f, "%s", ctx->err.msg);
		return 0; /* the input failed; the run goes on */
	}
	if (vg_store_full(g->st) || (g->o->commit_bytes && g->since_commit >= g->o->commit_bytes))
		return commit(g);
	return 0;
}

static void grow_buf(ingester *g, size_t need)
{
	if (need > g->cap) {
		g->cap = need;
		g->buf = vg_xrealloc(g->buf, need);
	}
}

static int ingest_stream(ingester *g, vg_ingest_file *f, gzFile z, int64_t mtime)
{
	grow_buf(g, VG_INGEST_CHUNK + 1);
	ssize_t n = read_some(z, g->buf, DETECT_BYTES);
	if (n < 0) {
		file_fail(g, f, "read error");
		return 0;
	}
	size_t len = (size_t)n;
	const vg_format *fmt = NULL;
	if (g->o->format && strcmp(g->o->format, "auto") != 0)
		fmt = vg_format_find(g->o->format);
	else
		fmt = vg_format_detect(g->buf, len);
	f->format = fmt->name;
	vg_parse_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	ctx.out = vg_store_batch(g->st);
	ctx.group = g->o->group;
	ctx.account = g->o->account;
	ctx.source = f->path;
	ctx.now_ns = vg_now_ns();
	ctx.ref_ns = mtime ? mtime : ctx.now_ns;
	int rc = 0;
	if (!fmt->line_oriented) {
		/* Document formats: the whole input, bounded. */
		for (;;) {
			if (len == g->cap - 1) {
				if (g->cap - 1 >= VG_MAX_DOC) {
					file_fail(g, f, "document larger than %u MiB; split it",
						  VG_MAX_DOC >> 20);
					return 0;
				}
				grow_buf(g, (g->cap - 1) * 2 + 1);
			}
			n = read_some(z, g->buf + len, g->cap - 1 - len);
			if (n < 0) {
				file_fail(g, f, "read error");
				return 0;
			}
			if (n == 0)
				break;
			len += (size_t)n;
		}
		f->bytes = len;
		g->rep->bytes += len;
		rc = parse_chunk(g, f, fmt, &ctx, g->buf, len);
		vg_parse_ctx_reset(&ctx);
		return rc;
	}
	/* Line formats: chunks that end on a newline; the tail moves to the
	 * front of the next chunk. */
	f->bytes += len;
	g->rep->bytes += len;
	size_t chunk = VG_INGEST_CHUNK;
	for (;;) {
		n = read_some(z, g->buf + len, chunk - len);
		if (n < 0) {
			file_fail(g, f, "read error");
			break;
		}
		len += (size_t)n;
		f->bytes += (uint64_t)n;
		g->rep->bytes += (uint64_t)n;
		int eof = len < chunk;
		size_t cut = len;
		if (!eof) {
			while (cut > 0 && g->buf[cut - 1] != '\n')
				cut--;
			if (cut == 0) {
				/* One line fills the buffer: feed it whole rather
				 * than split it; the batch cuts it at VG_MAX_RAW. */
				cut = len;
			}
		}
		rc = parse_chunk(g, f, fmt, &ctx, g->buf, cut);
		if (rc || f->failed)
			break;
		memmove(g->buf, g->buf + cut, len - cut);
		len -= cut;
		if (eof && len == 0)
			break;
	}
	vg_parse_ctx_reset(&ctx);
	return rc;
}

vg_ingest_file *vg_ingest_report_add(vg_ingest_report *rep, const char *path)
{
	vg_grow(&rep->files, &rep->cap, rep->nfiles + 1, sizeof *rep->files);
	vg_ingest_file *f = &rep->files[rep->nfiles++];
	memset(f, 0, sizeof *f);
	f->path = vg_xstrndup(path, strlen(path));
	f->format = "-";
	return f;
}

static int ingest_path(ingester *g, const char *path, int depth);

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **vg_ingest_list_dir(const char *path, size_t *n)
{
	DIR *d = opendir(path);
	if (d == NULL)
		return NULL;
	char **names = NULL;
	size_t cap = 0;
	*n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		vg_grow(&names, &cap, *n + 1, sizeof *names);
		size_t len = strlen(path) + strlen(e->d_name) + 2;
		names[*n] = vg_xmalloc(len);
		snprintf(names[(*n)++], len, "%s/%s", path, e->d_name);
	}
	closedir(d);
	qsort(names, *n, sizeof *names, cmp_names);
	return names ? names : vg_xcalloc(1, sizeof *names);
}

static int ingest_dir(ingester *g, const char *path, int depth)
{
	size_t n;
	char **paths = vg_ingest_list_dir(path, &n);
	if (paths == NULL) {
		file_fail(g, vg_ingest_report_add(g->rep, path), "cannot open directory: %s",
			  strerror(errno));
		return 0;
	}
	int rc = 0;
	for (size_t k = 0; k < n; k++) {
		if (rc == 0)
			rc = ingest_path(g, paths[k], depth + 1);
		free(paths[k]);
	}
	free(paths);
	return rc;
}

static int ingest_path(ingester *g, const char *path, int depth)
{
	if (strcmp(path, "-") == 0) {
		vg_ingest_file *f = vg_ingest_report_add(g->rep, "-");
		gzFile z = gzdopen(dup(0), "rb");
		if (z == NULL) {
			file_fail(g, f, "cannot read standard input");
			return 0;
		}
		gzbuffer(z, 1u << 20);
		int rc = ingest_stream(g, f, z, 0);
		gzclose(z);
		return rc;
	}
	struct stat sb;
	if (stat(path, &sb) != 0) {
		file_fail(g, vg_ingest_report_add(g->rep, path), "%s", strerror(errno));
		return 0;
	}
	if (S_ISDIR(sb.st_mode)) {
		if (depth >= MAX_DEPTH) {
			file_fail(g, vg_ingest_report_add(g->rep, path), "directories nested deeper than %d", MAX_DEPTH);
			return 0;
		}
		return ingest_dir(g, path, depth);
	}
	vg_ingest_file *f = vg_ingest_report_add(g->rep, path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	gzFile z = fd >= 0 ? gzdopen(fd, "rb") : NULL;
	if (z == NULL) {
		if (fd >= 0)
			close(fd);
		file_fail(g, f, "cannot open: %s", strerror(errno));
		return 0;
	}
	gzbuffer(z, 1u << 20);
	int rc = ingest_stream(g, f, z, (int64_t)sb.st_mtim.tv_sec * VG_NS_PER_SEC);
	gzclose(z);
	return rc;
}

int vg_ingest(vg_store *st, char *const *paths, int npaths, const vg_ingest_opts *o,
	      vg_ingest_report *rep, vg_err *err)
{
	memset(rep, 0, sizeof *rep);
	if (o->format && strcmp(o->format, "auto") != 0 && vg_format_find(o->format) == NULL)
		return vg_seterr(err, VG_EINVAL, -1,
				 "unknown format '%s' (auto, vpcflow, cloudtrail, awsconfig, "
				 "awscli, syslog, json, logfmt, text)", o->format);
	ingester g = {.st = st, .o = o, .rep = rep, .err = err};
	int64_t t0 = vg_mono_ns();
	int rc = 0;
	for (int k = 0; k < npaths && rc == 0; k++)
		rc = ingest_path(&g, paths[k], 0);
	if (rc == 0)
		rc = commit(&g);
	rep->durable = g.durable;
	rep->elapsed_ns = vg_mono_ns() - t0;
	free(g.buf);
	if (rc == 0 && g.failed)
		return vg_seterr(err, VG_EINVAL, -1, "%d input(s) could not be read", g.failed);
	return rc;
}

void vg_ingest_report_free(vg_ingest_report *rep)
{
	for (size_t k = 0; k < rep->nfiles; k++)
		free(rep->files[k].path);
	free(rep->files);
	memset(rep, 0, sizeof *rep);
}
