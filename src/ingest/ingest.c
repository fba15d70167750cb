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
	vg_ingest_walk w;       /* first: the walk's callback gets &g->w */
	vg_store *st;
	uint64_t since_commit;
	uint64_t durable;
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
	g->durable = g->w.rep->events;
	g->since_commit = 0;
	if (g->w.o->progress) {
		fprintf(g->w.o->progress, "durable %" PRIu64 " events\n", g->durable);
		fflush(g->w.o->progress);
	}
	return 0;
}

ssize_t vg_ingest_read(gzFile z, char *p, size_t n)
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

void vg_ingest_fail(vg_ingest_walk *w, vg_ingest_file *f, const char *fmt, ...)
{
	va_list ap;
	f->failed = 1;
	w->failed++;
	if (w->o->errors == NULL)
		return;
	va_start(ap, fmt);
	fprintf(w->o->errors, "vigil ingest: %s: ", f->path);
	vfprintf(w->o->errors, fmt, ap);
	fputc('\n', w->o->errors);
	va_end(ap);
}

const vg_format *vg_ingest_format(const vg_ingest_opts *o, const char *p, size_t n)
{
	if (o->format && strcmp(o->format, "auto") != 0)
		return vg_format_find(o->format);
	return vg_format_detect(p, n);
}

int vg_ingest_check_opts(const vg_ingest_opts *o, vg_err *err)
{
	if (o->format && strcmp(o->format, "auto") != 0 && vg_format_find(o->format) == NULL)
		return vg_seterr(err, VG_EINVAL, -1,
				 "unknown format '%s' (auto, vpcflow, cloudtrail, awsconfig, "
				 "awscli, syslog, json, logfmt, text)", o->format);
	return 0;
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
	g->w.rep->events += b->nev - ev0;
	g->w.rep->parse_errors += b->nparse_errors - pe0;
	g->w.rep->skipped += ctx->nskipped - sk0;
	g->since_commit += n;
	if (rc) {
		vg_ingest_fail(&g->w, f, "%s", ctx->err.msg);
		return 0; /* the input failed; the run goes on */
	}
	if (vg_store_full(g->st) || (g->w.o->commit_bytes && g->since_commit >= g->w.o->commit_bytes))
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
	ssize_t n = vg_ingest_read(z, g->buf, DETECT_BYTES);
	if (n < 0) {
		vg_ingest_fail(&g->w, f, "read error");
		return 0;
	}
	size_t len = (size_t)n;
	const vg_format *fmt = vg_ingest_format(g->w.o, g->buf, len);
	f->format = fmt->name;
	vg_parse_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	ctx.out = vg_store_batch(g->st);
	ctx.group = g->w.o->group;
	ctx.account = g->w.o->account;
	ctx.source = f->path;
	ctx.now_ns = vg_now_ns();
	ctx.ref_ns = mtime ? mtime : ctx.now_ns;
	int rc = 0;
	if (!fmt->line_oriented) {
		/* Document formats: the whole input, bounded. */
		for (;;) {
			if (len == g->cap - 1) {
				if (g->cap - 1 >= VG_MAX_DOC) {
					vg_ingest_fail(&g->w, f, "document larger than %u MiB; split it",
						  VG_MAX_DOC >> 20);
					return 0;
				}
				grow_buf(g, (g->cap - 1) * 2 + 1);
			}
			n = vg_ingest_read(z, g->buf + len, g->cap - 1 - len);
			if (n < 0) {
				vg_ingest_fail(&g->w, f, "read error");
				return 0;
			}
			if (n == 0)
				break;
			len += (size_t)n;
		}
		f->bytes = len;
		g->w.rep->bytes += len;
		rc = parse_chunk(g, f, fmt, &ctx, g->buf, len);
		vg_parse_ctx_reset(&ctx);
		return rc;
	}
	/* Line formats: chunks that end on a newline; the tail moves to the
	 * front of the next chunk. */
	f->bytes += len;
	g->w.rep->bytes += len;
	size_t chunk = VG_INGEST_CHUNK;
	for (;;) {
		n = vg_ingest_read(z, g->buf + len, chunk - len);
		if (n < 0) {
			vg_ingest_fail(&g->w, f, "read error");
			break;
		}
		len += (size_t)n;
		f->bytes += (uint64_t)n;
		g->w.rep->bytes += (uint64_t)n;
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

static int walk_path(vg_ingest_walk *w, const char *path, int depth);

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of directory path as "path/name", in bytewise name order,
 * dot files left out; malloc'd. NULL with errno set when it cannot be
 * read. */
static char **list_dir(const char *path, size_t *n)
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

static int walk_dir(vg_ingest_walk *w, const char *path, int depth)
{
	size_t n;
	char **paths = list_dir(path, &n);
	if (paths == NULL) {
		vg_ingest_fail(w, vg_ingest_report_add(w->rep, path), "cannot open directory: %s",
			       strerror(errno));
		return 0;
	}
	int rc = 0;
	for (size_t k = 0; k < n; k++) {
		if (rc == 0)
			rc = walk_path(w, paths[k], depth + 1);
		free(paths[k]);
	}
	free(paths);
	return rc;
}

static int walk_path(vg_ingest_walk *w, const char *path, int depth)
{
	if (strcmp(path, "-") == 0) {
		vg_ingest_file *f = vg_ingest_report_add(w->rep, "-");
		gzFile z = gzdopen(dup(0), "rb");
		if (z == NULL) {
			vg_ingest_fail(w, f, "cannot read standard input");
			return 0;
		}
		gzbuffer(z, 1u << 20);
		int rc = w->input(w, f, z, NULL, 0);
		gzclose(z);
		return rc;
	}
	struct stat sb;
	if (stat(path, &sb) != 0) {
		vg_ingest_fail(w, vg_ingest_report_add(w->rep, path), "%s", strerror(errno));
		return 0;
	}
	if (S_ISDIR(sb.st_mode)) {
		if (depth >= MAX_DEPTH) {
			vg_ingest_fail(w, vg_ingest_report_add(w->rep, path),
				       "directories nested deeper than %d", MAX_DEPTH);
			return 0;
		}
		return walk_dir(w, path, depth);
	}
	vg_ingest_file *f = vg_ingest_report_add(w->rep, path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	gzFile z = fd >= 0 ? gzdopen(fd, "rb") : NULL;
	if (z == NULL) {
		if (fd >= 0)
			close(fd);
		vg_ingest_fail(w, f, "cannot open: %s", strerror(errno));
		return 0;
	}
	gzbuffer(z, 1u << 20);
	int rc = w->input(w, f, z, S_ISREG(sb.st_mode) ? path : NULL,
			  (int64_t)sb.st_mtim.tv_sec * VG_NS_PER_SEC);
	gzclose(z);
	return rc;
}

int vg_ingest_walk_path(vg_ingest_walk *w, const char *path)
{
	return walk_path(w, path, 0);
}

static int ingest_input(vg_ingest_walk *w, vg_ingest_file *f, gzFile z, const char *path,
			int64_t mtime)
{
	(void)path;
	return ingest_stream((ingester *)w, f, z, mtime);
}

int vg_ingest(vg_store *st, char *const *paths, int npaths, const vg_ingest_opts *o,
	      vg_ingest_report *rep, vg_err *err)
{
	memset(rep, 0, sizeof *rep);
	int rc = vg_ingest_check_opts(o, err);
	if (rc)
		return rc;
	ingester g = {.w = {.o = o, .rep = rep, .input = ingest_input}, .st = st, .err = err};
	int64_t t0 = vg_mono_ns();
	for (int k = 0; k < npaths && rc == 0; k++)
		rc = vg_ingest_walk_path(&g.w, paths[k]);
	if (rc == 0)
		rc = commit(&g);
	rep->durable = g.durable;
	rep->elapsed_ns = vg_mono_ns() - t0;
	free(g.buf);
	if (rc == 0 && g.w.failed)
		return vg_seterr(err, VG_EINVAL, -1, "%d input(s) could not be read", g.w.failed);
	return rc;
}

void vg_ingest_report_free(vg_ingest_report *rep)
{
	for (size_t k = 0; k < rep->nfiles; k++)
		free(rep->files[k].path);
	free(rep->files);
	memset(rep, 0, sizeof *rep);
}
