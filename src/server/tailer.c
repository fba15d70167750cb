/*
 * tailer.c — following files through the writer (tailer.h), with read
 * positions that are saved in the store itself.
 *
 * Exactly once. A tailer that keeps its offsets in a file of its own (a
 * registry, as Filebeat does) can lose or duplicate lines whenever the
 * process dies between writing events and writing the offset. Here the
 * offset travels with the events: the writer job that appends a file's
 * new lines to the memtable also appends one event in the reserved group
 * `_tail` (fields path, dev, ino, fp, fplen, offset, done, t_ns) saying
 * how far the file has been read. A commit is one WAL record (or one sealed
 * segment plus manifest), so after a crash either both the lines and
 * their record are in the store or neither is. On start the tailer asks
 * the store for the latest record of every file,
 *
 *     group=_tail | stats latest(...) by dev, ino
 *
 * and carries on from there. `latest` goes by event time, so records get
 * strictly increasing times (kept in t_ns too, exact to the ns): the wall
 * clock, or one nanosecond after the newest record when the clock is
 * behind it (a clock set back does not make an old offset look newer). A failed commit leaves the job's events
 * and its record in the memtable, to be made durable by the next commit
 * together, so the position advances once a job has run, whatever its
 * commit said.
 *
 * Which file is which. While a file is open the tailer holds its
 * descriptor and knows it by (dev, ino): a rename within or out of the
 * glob does not change it, and its inode cannot be reused while held. A
 * saved record names (dev, ino) and a fingerprint: XXH3 of the file's
 * first fplen bytes (fplen = min(1 KiB, bytes read)). A file found by a
 * scan takes the saved position of (see vg_tail_marks_find)
 *   1. the record of its (dev, ino) whose fingerprint its first bytes
 *      still match — the same file; an inode reused by a new file fails
 *      the fingerprint and is read from 0;
 *   2. else the newest record whose full 1 KiB fingerprint matches — the
 *      same content under another inode: copytruncate's copy, or
 *      `logrotate compress`'s .gz of a file already read. Offsets count
 *      content bytes (decompressed for .gz), so the .gz carries on where
 *      the plain file stopped, which is usually its end. The price: two
 *      different files whose first KiB is identical are taken for one.
 *   3. else it is new and read from its start: files found after start
 *      (Filebeat's default) and also those present at the very first
 *      start — a log store should not skip history silently.
 * So that 2 can see a copy that is still being written, a young file is
 * looked up once its first KiB is there or once it has not changed for
 * settle_ns (2 s), and a copy shorter than its borrowed offset waits
 * instead of counting as truncated.
 *
 * Rotation. A tracked file that no scan matches any more (renamed away,
 * deleted) is read on through its descriptor (the program writing it may
 * not have reopened its log yet); once it has not grown for grace_ns (a
 * minute) it is finished: its last line, if it lacks a newline, becomes
 * an event too, and the file is closed. Meanwhile the new file under the
 * old name is a new inode and starts from 0. A file shorter than its
 * offset was truncated (copytruncate, `> file`), and one whose first bytes
 * no longer match its fingerprint was rewritten: both are read again from
 * 0. Lines written to a copytruncated file between the copy and the
 * truncation are lost to every tailer; that is copytruncate's nature.
 *
 * Lines. Only complete lines are handed over; a partial last line stays
 * in the file (it is read again next round from the saved offset) until
 * its newline arrives, so no memory holds it. A line longer than a job
 * (1 MiB) is cut there. A round reads up to 8 MiB of a file, one job per
 * MiB, and the next round starts at once if a file had more. A file that
 * trickles costs one `_tail` record per round (per second) it grows in.
 *
 * .gz files and documents. A gzip file (magic bytes or a .gz name) is
 * read once its mtime is settle_ns old, whole, streamed through one
 * decompressor at a time in 1 MiB jobs; its last record has done=1 and it
 * is never read again. Files in document formats (CloudTrail, AWS Config,
 * awscli) are read whole the same way, up to 64 MiB. A damaged or cut
 * .gz is reported and retried when it changes.
 *
 * Memory is bounded: one 1 MiB read buffer, the decompressor and its
 * carry buffer of at most 1 MiB for the one .gz in progress, at most
 * MAX_FILES open files, VG_TAIL_MAX_MARKS saved positions (the oldest
 * ones of files no longer open are forgotten first: such a file, if it
 * came back after 16384 newer files, would be read again).
 *
 * Problems (a file that cannot be opened or read, a truncation, a failed
 * commit) are reported once on the log, and retried every round.
 *
 * Limits worth knowing: a file renamed out of the globs while the server
 * is down is not found again (its unread end is lost); a line-format
 * parser's state (the VPC flow header, the syslog year) starts afresh
 * after a restart; globs are glob(3)'s, without `**`; directories that
 * cannot be read match nothing, silently. The `_tail` events are ordinary
 * events: a search of `*` shows them.
 */
#include "server/tailer.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>
#include <zlib.h>

#include "parse/parse.h"
#include "query/exec.h"
#include "query/qparse.h"
#include "util/mem.h"
#include "util/timeutil.h"

#define ROUND_BYTES (8u << 20)      /* of one file per round */
#define DETECT_BYTES (64u << 10)    /* format detection window */
#define MAX_DOC_BYTES (64u << 20)   /* a document-format file, read whole */
#define MAX_FILES 1024              /* open at once */

enum { K_UNKNOWN, K_PLAIN, K_GZ };

/* A file being followed (or finished and remembered while it still
 * matches, so that it is not opened again every round). */
typedef struct tfile {
	char *path;                 /* where the latest scan saw it */
	const vg_tail_spec *spec;
	uint64_t dev, ino;
	int fd;                     /* -1 once finished */
	int kind;                   /* K_*, decided at its first bytes */
	int attached;               /* position and format known */
	int finished;               /* nothing more will be read */
	vg_tail_mark m;             /* the position, durable once its job ran */
	const vg_format *fmt;
	vg_parse_ctx ctx;           /* line formats' state across jobs */
	const vg_batch *ctx_mem;    /* the batch that state was built against */
	gzFile z;                   /* .gz: at m.offset + carry.len */
	vg_buf carry;               /* .gz: decompressed, not handed over */
	int64_t gz_bad_mtime;       /* .gz found damaged at this mtime (0: not) */
	int64_t size;               /* at the latest look */
	int64_t mtime;              /* ns */
	int64_t changed;            /* mono ns: size last changed */
	int seen;                   /* matched by this round's scan */
	int gone;                   /* no scan matches it, or it was deleted */
	int reported;               /* a problem was reported; until a good read */
	int copy;                   /* positioned by another file's mark and
				     * not read since: shorter than its offset
				     * means still being copied, not truncated */
	struct tfile *next;
} tfile;

/* A path that could not be opened, reported once. */
typedef struct failpath {
	char *path;
	int err;
	int seen;
	struct failpath *next;
} failpath;

struct vg_tailer {
	vg_writer *w;
	vg_tailer_opts o;
	vg_tail_marks marks;
	tfile *files;
	size_t nopen;               /* files holding a descriptor */
	tfile *gz_active;           /* the one .gz being decompressed */
	failpath *fails;
	char *buf;                  /* VG_TAIL_JOB_BYTES */
	int full_reported, commit_reported;
	int backoff;                /* a commit failed: read no more this round */
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t wake;
	_Atomic int stop;
};

void vg_tailer_defaults(vg_tailer_opts *o)
{
	memset(o, 0, sizeof *o);
	o->poll_ns = VG_NS_PER_SEC;
	o->grace_ns = 60 * VG_NS_PER_SEC;
	o->settle_ns = 2 * VG_NS_PER_SEC;
	o->log = stderr;
}

/* ------------------------------------------------------------ pieces */

size_t vg_tail_cut(const char *p, size_t n, size_t cap, int final)
{
	if (final)
		return n;
	const char *nl = memrchr(p, '\n', n);
	if (nl)
		return (size_t)(nl - p) + 1;
	return n >= cap ? n : 0;
}

uint64_t vg_tail_fp(const void *p, size_t n)
{
	return XXH3_64bits(p, n);
}

void vg_tail_mark_event(vg_batch *b, const vg_tail_mark *m, const char *path)
{
	char raw[256], fp[17];
	int n = snprintf(raw, sizeof raw, "tail position %llu of %s",
			 (unsigned long long)m->offset, path);
	size_t rawlen = n < 0 ? 0 : (size_t)n >= sizeof raw ? sizeof raw - 1 : (size_t)n;
	snprintf(fp, sizeof fp, "%016llx", (unsigned long long)m->fp);
	vg_ev_begin(b, vg_batch_group(b, VG_TAIL_GROUP, strlen(VG_TAIL_GROUP)), m->t, raw, rawlen);
	vg_ev_str(b, vg_batch_field(b, "path", 4), path, strlen(path));
	vg_ev_int(b, vg_batch_field(b, "dev", 3), (int64_t)m->dev);
	vg_ev_int(b, vg_batch_field(b, "ino", 3), (int64_t)m->ino);
	vg_ev_str(b, vg_batch_field(b, "fp", 2), fp, 16);
	vg_ev_int(b, vg_batch_field(b, "fplen", 5), m->fplen);
	vg_ev_int(b, vg_batch_field(b, "offset", 6), (int64_t)m->offset);
	vg_ev_int(b, vg_batch_field(b, "done", 4), m->done);
	vg_ev_int(b, vg_batch_field(b, "t_ns", 4), m->t);
	vg_ev_end(b);
}

void vg_tail_marks_free(vg_tail_marks *ms)
{
	free(ms->v);
	memset(ms, 0, sizeof *ms);
}

static vg_tail_mark *marks_get(vg_tail_marks *ms, uint64_t dev, uint64_t ino)
{
	for (size_t k = 0; k < ms->n; k++)
		if (ms->v[k].dev == dev && ms->v[k].ino == ino)
			return &ms->v[k];
	return NULL;
}

void vg_tail_marks_put(vg_tail_marks *ms, const vg_tail_mark *m)
{
	vg_tail_mark *old = marks_get(ms, m->dev, m->ino);
	if (old == NULL) {
		vg_grow(&ms->v, &ms->cap, ms->n + 1, sizeof *ms->v);
		old = &ms->v[ms->n++];
	}
	*old = *m;
	if (m->t > ms->last_t)
		ms->last_t = m->t;
}

const vg_tail_mark *vg_tail_marks_find(const vg_tail_marks *ms, uint64_t dev, uint64_t ino,
				       const char *head, size_t headlen)
{
	int full = headlen >= VG_TAIL_FP_BYTES;
	uint64_t fpfull = full ? vg_tail_fp(head, VG_TAIL_FP_BYTES) : 0;
	const vg_tail_mark *copy = NULL;
	for (size_t k = 0; k < ms->n; k++) {
		const vg_tail_mark *m = &ms->v[k];
		if (m->dev == dev && m->ino == ino) {
			if (m->fplen <= headlen && vg_tail_fp(head, m->fplen) == m->fp)
				return m;
			continue;
		}
		if (full && m->fplen == VG_TAIL_FP_BYTES && m->fp == fpfull &&
		    (copy == NULL || m->t > copy->t))
			copy = m;
	}
	return copy;
}

/* The column of res named name, or -1. */
static int column(const vg_result *res, const char *name)
{
	for (uint32_t c = 0; c < res->ncols; c++)
		if (strcmp(res->columns[c], name) == 0)
			return (int)c;
	return -1;
}

static int64_t cell_int(const vg_val *v)
{
	if (v->kind != VG_V_NUM)
		return 0;
	return v->isint ? v->i : (int64_t)v->d;
}

static int newer_first(const void *a, const void *b)
{
	const vg_tail_mark *x = a, *y = b;
	return (x->t < y->t) - (x->t > y->t);
}

/* Rows of the stats query into ms. */
static void marks_from_rows(const vg_result *res, vg_tail_marks *ms)
{
	static const char *const names[] = {"dev", "ino", "fp", "fplen", "offset", "done", "t"};
	int col[7];
	for (int k = 0; k < 7; k++)
		if ((col[k] = column(res, names[k])) < 0)
			return;
	for (uint32_t r = 0; r < res->nrows; r++) {
		const vg_val *row = res->cells + (size_t)r * res->ncols;
		const vg_val *fp = &row[col[2]];
		vg_tail_mark m = {0};
		char hex[17] = "";
		if (fp->kind == VG_V_STR && fp->len == 16)
			memcpy(hex, fp->s, 16);
		m.dev = (uint64_t)cell_int(&row[col[0]]);
		m.ino = (uint64_t)cell_int(&row[col[1]]);
		m.fp = strtoull(hex, NULL, 16);
		m.fplen = (uint32_t)cell_int(&row[col[3]]);
		m.offset = (uint64_t)cell_int(&row[col[4]]);
		m.done = cell_int(&row[col[5]]) != 0;
		m.t = cell_int(&row[col[6]]);
		if (m.fplen > VG_TAIL_FP_BYTES)
			continue;
		vg_grow(&ms->v, &ms->cap, ms->n + 1, sizeof *ms->v);
		ms->v[ms->n++] = m;
		if (m.t > ms->last_t)
			ms->last_t = m.t;
	}
}

int vg_tail_marks_load(vg_store *st, vg_tail_marks *out, vg_err *err)
{
	static const char q[] =
		"group=" VG_TAIL_GROUP " | stats latest(fp) as fp, latest(fplen) as fplen, "
		"latest(offset) as offset, latest(done) as done, latest(t_ns) as t by dev, ino";
	memset(out, 0, sizeof *out);
	vg_query *query = NULL;
	int64_t now = vg_now_ns();
	int rc = vg_query_parse(q, sizeof q - 1, now, &query, err);
	if (rc)
		return rc;
	vg_exec_opts eo = {.from = INT64_MIN, .to = INT64_MAX, .now_ns = now};
	vg_result res;
	rc = vg_exec(st, query, &eo, &res, err);
	vg_query_free(query);
	if (rc)
		return rc;
	marks_from_rows(&res, out);
	uint32_t nrows = res.nrows;
	vg_result_free(&res);
	if (nrows && out->n == 0)
		return vg_seterr(err, VG_ECORRUPT, -1, "the saved tail positions lack their fields");
	if (out->n > VG_TAIL_MAX_MARKS) {
		qsort(out->v, out->n, sizeof *out->v, newer_first);
		out->n = VG_TAIL_MAX_MARKS;
	}
	return 0;
}

/* ------------------------------------------------------------ reporting */

static void say(vg_tailer *t, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(vg_tailer *t, const char *path, const char *fmt, ...)
{
	if (t->o.log == NULL)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(t->o.log, "vigil server: tail: %s: ", path);
	vfprintf(t->o.log, fmt, ap);
	fputc('\n', t->o.log);
	fflush(t->o.log);
	va_end(ap);
}

/* Report a problem with f, unless one was reported since its last good
 * read. */
static void problem(vg_tailer *t, tfile *f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void problem(vg_tailer *t, tfile *f, const char *fmt, ...)
{
	if (f->reported || t->o.log == NULL)
		return;
	f->reported = 1;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	say(t, f->path, "%s", msg);
}

/* A path that cannot be opened: reported when first seen with this
 * error. */
static void fail_note(vg_tailer *t, const char *path, int e)
{
	failpath *p = t->fails;
	while (p && strcmp(p->path, path) != 0)
		p = p->next;
	if (p == NULL) {
		p = vg_xcalloc(1, sizeof *p);
		p->path = vg_xstrndup(path, strlen(path));
		p->next = t->fails;
		t->fails = p;
	} else if (p->err == e) {
		p->seen = 1;
		return;
	}
	p->err = e;
	p->seen = 1;
	say(t, path, "cannot open: %s (retrying every round)", strerror(e));
}

/* Forget failures of paths that no longer match or opened now. */
static void fail_sweep(vg_tailer *t)
{
	failpath **pp = &t->fails;
	while (*pp) {
		failpath *p = *pp;
		if (p->seen) {
			p->seen = 0;
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		free(p->path);
		free(p);
	}
}

/* ------------------------------------------------------------ files */

static int64_t mtime_ns(const struct stat *sb)
{
	return (int64_t)sb->st_mtim.tv_sec * VG_NS_PER_SEC + sb->st_mtim.tv_nsec;
}

static tfile *file_find(vg_tailer *t, uint64_t dev, uint64_t ino)
{
	for (tfile *f = t->files; f; f = f->next)
		if (f->dev == dev && f->ino == ino)
			return f;
	return NULL;
}

static void gz_close(vg_tailer *t, tfile *f)
{
	if (f->z)
		gzclose(f->z);
	f->z = NULL;
	vg_buf_free(&f->carry);
	if (t->gz_active == f)
		t->gz_active = NULL;
}

/* Nothing more will be read from f: close it, keep the entry while a
 * scan still matches it. */
static void finish(vg_tailer *t, tfile *f)
{
	gz_close(t, f);
	if (f->fd >= 0) {
		close(f->fd);
		t->nopen--;
	}
	f->fd = -1;
	vg_parse_ctx_reset(&f->ctx);
	f->finished = 1;
}

static void file_free(vg_tailer *t, tfile *f)
{
	finish(t, f);
	free(f->path);
	free(f);
}

static int excluded(const vg_tail_spec *s, const char *path)
{
	if (s->exclude == NULL)
		return 0;
	if (strchr(s->exclude, '/'))
		return fnmatch(s->exclude, path, FNM_PATHNAME) == 0;
	const char *base = strrchr(path, '/');
	return fnmatch(s->exclude, base ? base + 1 : path, 0) == 0;
}

/* A path a glob matched: mark its file seen, or start following it. */
static void consider(vg_tailer *t, const vg_tail_spec *s, const char *path, int64_t now)
{
	struct stat sb;
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
		return;
	tfile *f = file_find(t, sb.st_dev, sb.st_ino);
	if (f == NULL) {
		if (t->nopen >= MAX_FILES) {
			if (!t->full_reported)
				say(t, path, "more than %d files match the tail globs; the rest wait",
				    MAX_FILES);
			t->full_reported = 1;
			return;
		}
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fail_note(t, path, errno);
			return;
		}
		/* The path may name another file by now: trust the descriptor. */
		if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
		    file_find(t, sb.st_dev, sb.st_ino)) {
			close(fd);
			return;
		}
		f = vg_xcalloc(1, sizeof *f);
		f->path = vg_xstrndup(path, strlen(path));
		f->spec = s;
		f->dev = sb.st_dev;
		f->ino = sb.st_ino;
		f->fd = fd;
		f->size = -1;
		f->changed = now;
		f->next = t->files;
		t->files = f;
		t->nopen++;
	}
	if (f->seen)
		return; /* matched twice this round: the first spec wins */
	f->seen = 1;
	f->gone = 0;
	if (strcmp(f->path, path) != 0) {
		free(f->path);
		f->path = vg_xstrndup(path, strlen(path));
	}
}

/* Rescan every glob; files no longer matched are marked gone. */
static void scan(vg_tailer *t, int64_t now)
{
	for (tfile *f = t->files; f; f = f->next)
		f->seen = 0;
	for (size_t k = 0; k < t->o.nspecs; k++) {
		const vg_tail_spec *s = &t->o.specs[k];
		glob_t g;
		int rc = glob(s->path, 0, NULL, &g);
		if (rc == 0)
			for (size_t i = 0; i < g.gl_pathc; i++)
				if (!excluded(s, g.gl_pathv[i]))
					consider(t, s, g.gl_pathv[i], now);
		globfree(&g);
	}
	for (tfile *f = t->files; f; f = f->next)
		if (!f->seen)
			f->gone = 1;
	fail_sweep(t);
}

/* Drop finished files that no scan matches. */
static void reap(vg_tailer *t)
{
	tfile **pp = &t->files;
	while (*pp) {
		tfile *f = *pp;
		if (f->finished && !f->seen) {
			*pp = f->next;
			file_free(t, f);
		} else {
			pp = &f->next;
		}
	}
}

/* ------------------------------------------------------------ jobs */

typedef struct tail_job {
	tfile *f;
	const char *p;
	size_t n;
	vg_tail_mark m;             /* the position after p */
	int prc;                    /* the parser's verdict */
	vg_err perr;
} tail_job;

/* On the writer thread (the tailer waits meanwhile): parse the lines into
 * the memtable, then append their position. The lines are consumed even
 * when the parser rejects them whole: reading them again would only fail
 * again. */
static int tail_fn(void *arg, vg_batch *mem, vg_err *err)
{
	(void)err;
	tail_job *j = arg;
	tfile *f = j->f;
	if (j->n) {
		if (f->ctx_mem != mem) {
			vg_parse_ctx_reset(&f->ctx);
			f->ctx_mem = mem;
		}
		f->ctx.out = mem;
		f->ctx.group = f->spec->group;
		f->ctx.source = f->path;
		f->ctx.now_ns = vg_now_ns();
		f->ctx.ref_ns = f->mtime ? f->mtime : f->ctx.now_ns;
		j->prc = f->fmt->parse(&f->ctx, j->p, j->n);
		if (j->prc)
			j->perr = f->ctx.err;
		if (!f->fmt->line_oriented)
			vg_parse_ctx_reset(&f->ctx);
	}
	vg_tail_mark_event(mem, &j->m, f->path);
	return 0;
}

/* The first n bytes of plain file f into out; returns how many it got.
 * (A .gz file's fingerprint is taken whole at attach: its content does
 * not grow.) */
static size_t head_bytes(tfile *f, char *out, size_t n)
{
	ssize_t k = pread(f->fd, out, n, 0);
	return k < 0 ? 0 : (size_t)k;
}

/* The position after handing over n more bytes (p, when read from
 * offset 0, holds the file's first bytes). */
static vg_tail_mark advance(vg_tailer *t, tfile *f, const char *p, size_t n)
{
	vg_tail_mark m = f->m;
	m.offset += n;
	if (m.fplen < VG_TAIL_FP_BYTES && m.offset > m.fplen && f->kind == K_PLAIN) {
		char head[VG_TAIL_FP_BYTES];
		size_t want = m.offset < VG_TAIL_FP_BYTES ? (size_t)m.offset : VG_TAIL_FP_BYTES;
		size_t got = f->m.offset == 0 ? want : head_bytes(f, head, want);
		const char *h = f->m.offset == 0 ? p : head;
		if (got == want) {
			m.fplen = (uint32_t)want;
			m.fp = vg_tail_fp(h, want);
		}
	}
	int64_t now = vg_now_ns();
	m.t = now > t->marks.last_t ? now : t->marks.last_t + 1;
	return m;
}

/* Keep at most VG_TAIL_MAX_MARKS marks: forget the oldest of a file not
 * open now. */
static void marks_trim(vg_tailer *t)
{
	vg_tail_marks *ms = &t->marks;
	while (ms->n > VG_TAIL_MAX_MARKS) {
		size_t old = ms->n;
		for (size_t k = 0; k < ms->n; k++) {
			tfile *f = file_find(t, ms->v[k].dev, ms->v[k].ino);
			if ((f == NULL || f->fd < 0) && (old == ms->n || ms->v[k].t < ms->v[old].t))
				old = k;
		}
		if (old == ms->n)
			return; /* every mark is an open file's */
		ms->v[old] = ms->v[--ms->n];
	}
}

/* Hand n bytes at p of f to the writer with the position m after them,
 * and wait. Returns 0 when the job ran: f->m is then m, even if the
 * commit failed (the events and their position wait in the memtable for
 * the next commit, together; t->backoff ends the round). VG_EBUSY when
 * it did not run: the tailer is stopping. */
static int submit(vg_tailer *t, tfile *f, const char *p, size_t n, const vg_tail_mark *m)
{
	tail_job j = {.f = f, .p = p, .n = n, .m = *m};
	vg_job job;
	for (;;) {
		memset(&job, 0, sizeof job);
		job.fn = tail_fn;
		job.arg = &j;
		job.bytes = n;
		vg_writer_submit(t->w, &job);
		if (job.done)
			break;
		/* Refused (the queue is full, the disk short of space): the
		 * bytes stay in the file, to be offered again. */
		if (atomic_load(&t->stop))
			return VG_EBUSY;
		problem(t, f, "the writer refused its lines: %s (retrying)", job.err.msg);
		usleep(20000);
	}
	if (t->marks.last_t < m->t)
		t->marks.last_t = m->t;
	f->m = *m;
	vg_tail_marks_put(&t->marks, m);
	marks_trim(t);
	f->reported = 0;
	if (j.prc)
		say(t, f->path, "%s (%zu bytes at offset %llu, stored as far as they parsed)",
		    j.perr.msg, n, (unsigned long long)(m->offset - n));
	if (job.commit_rc) {
		if (!t->commit_reported)
			say(t, f->path, "the store could not commit: %s (retrying)", job.err.msg);
		t->commit_reported = 1;
		t->backoff = 1;
	} else {
		t->commit_reported = 0;
	}
	return 0;
}

/* ------------------------------------------------------------ reading */

static int settled(const vg_tailer *t, const tfile *f)
{
	return vg_now_ns() - f->mtime >= t->o.settle_ns;
}

/* A decompressor reading f from its start (plain bytes pass through),
 * or NULL. It reads through a duplicate of f's descriptor, which shares
 * the file offset: hence the seek (the tailer itself only ever preads). */
static gzFile gz_from_start(tfile *f)
{
	int fd = dup(f->fd);
	gzFile z = NULL;
	if (fd >= 0 && lseek(fd, 0, SEEK_SET) == 0)
		z = gzdopen(fd, "rb");
	if (z == NULL && fd >= 0)
		close(fd);
	return z;
}

/* 1 when z's stream ended before its gzip trailer: a file cut short, or
 * one still being written. */
static int gz_cut_short(gzFile z)
{
	int code = Z_OK;
	gzerror(z, &code);
	return code == Z_BUF_ERROR;
}

/* Decompress up to cap bytes of a .gz from its start into out; -1 on
 * damage. */
static ssize_t gz_head(tfile *f, char *out, size_t cap)
{
	gzFile z = gz_from_start(f);
	if (z == NULL)
		return -1;
	int k = gzread(z, out, (unsigned)cap);
	if (k >= 0 && (size_t)k < cap && gz_cut_short(z))
		k = -1;
	gzclose(z);
	return k;
}

/* Decide f's kind, format and position at its first bytes. Returns 1
 * when attached, 0 when not yet (empty, no complete line, a .gz still
 * being written). */
static int attach(vg_tailer *t, tfile *f)
{
	if (f->size <= 0)
		return 0;
	char *b = t->buf;
	if (f->kind == K_UNKNOWN) {
		size_t len = strlen(f->path);
		unsigned char mg[2];
		ssize_t k = pread(f->fd, mg, 2, 0);
		int magic = k == 2 && mg[0] == 0x1f && mg[1] == 0x8b;
		f->kind = magic || (len > 3 && strcmp(f->path + len - 3, ".gz") == 0) ? K_GZ : K_PLAIN;
	}
	ssize_t n;
	if (f->kind == K_GZ) {
		if (!settled(t, f) || f->gz_bad_mtime == f->mtime)
			return 0;
		n = gz_head(f, b, DETECT_BYTES);
		if (n < 0) {
			problem(t, f, "gzip data damaged or cut short; will retry when it changes");
			f->gz_bad_mtime = f->mtime;
			return 0;
		}
	} else {
		n = pread(f->fd, b, DETECT_BYTES, 0);
		if (n < 0) {
			problem(t, f, "cannot read: %s (retrying)", strerror(errno));
			return 0;
		}
		/* A young file is attached once its first KiB is there
		 * (enough to tell a copy of a known file, perhaps still
		 * being copied, from a new one) or once it has settled. */
		if (!settled(t, f) &&
		    ((size_t)n < VG_TAIL_FP_BYTES || memchr(b, '\n', (size_t)n) == NULL))
			return 0;
	}
	const char *fname = f->spec->format;
	f->fmt = fname && strcmp(fname, "auto") != 0 ? vg_format_find(fname) : NULL;
	if (f->fmt == NULL)
		f->fmt = vg_format_detect(b, (size_t)n);
	const vg_tail_mark *m = vg_tail_marks_find(&t->marks, f->dev, f->ino, b, (size_t)n);
	memset(&f->m, 0, sizeof f->m);
	if (m)
		f->m = *m;
	f->m.dev = f->dev;
	f->m.ino = f->ino;
	if (f->kind == K_GZ) {
		/* Its content does not change: the fingerprint is complete. */
		f->m.fplen = (uint32_t)((size_t)n < VG_TAIL_FP_BYTES ? (size_t)n : VG_TAIL_FP_BYTES);
		f->m.fp = vg_tail_fp(b, f->m.fplen);
	}
	f->attached = 1;
	if (f->m.done) {
		finish(t, f);
		return 1;
	}
	if (m && (m->dev != f->dev || m->ino != f->ino) && f->kind == K_PLAIN) {
		/* A copy: record its own position now, since the original's
		 * mark will move on (a copytruncated original restarts at 0)
		 * and a restart must still know this file. */
		f->copy = 1;
		vg_tail_mark cm = advance(t, f, NULL, 0);
		submit(t, f, NULL, 0, &cm);
	}
	return 1;
}

/* The plain file's saved position no longer fits its content: start over. */
static void restart_at_zero(vg_tailer *t, tfile *f, const char *why)
{
	problem(t, f, "%s; reading it again from the start", why);
	f->reported = 0;
	f->m.offset = 0;
	f->m.fplen = 0;
	f->m.fp = 0;
	vg_parse_ctx_reset(&f->ctx);
}

/* 1 when the first fplen bytes of a plain file still match its mark. */
static int same_head(tfile *f)
{
	char head[VG_TAIL_FP_BYTES];
	if (f->m.fplen == 0)
		return 1;
	return head_bytes(f, head, f->m.fplen) == f->m.fplen &&
	       vg_tail_fp(head, f->m.fplen) == f->m.fp;
}

/* Read what a plain line-format file has that is new. Returns 1 when it
 * has more than a round reads. */
static int step_plain(vg_tailer *t, tfile *f, int64_t now)
{
	uint64_t size = (uint64_t)f->size;
	if (size < f->m.offset && f->copy)
		return 0;
	if (size < f->m.offset)
		restart_at_zero(t, f, "truncated");
	else if (size > f->m.offset && !same_head(f))
		restart_at_zero(t, f, "rewritten (its first bytes changed)");
	int final = f->gone && now - f->changed >= t->o.grace_ns;
	size_t budget = ROUND_BYTES;
	while (f->m.offset < size && budget > 0 && !atomic_load(&t->stop) && !t->backoff) {
		uint64_t left = size - f->m.offset;
		size_t want = left < VG_TAIL_JOB_BYTES ? (size_t)left : VG_TAIL_JOB_BYTES;
		ssize_t n = pread(f->fd, t->buf, want, (off_t)f->m.offset);
		if (n < 0) {
			problem(t, f, "cannot read: %s (retrying)", strerror(errno));
			return 0;
		}
		if (n == 0)
			break;
		int last = final && f->m.offset + (uint64_t)n == size;
		size_t take = vg_tail_cut(t->buf, (size_t)n, VG_TAIL_JOB_BYTES, last);
		if (take == 0)
			break;
		vg_tail_mark m = advance(t, f, t->buf, take);
		if (submit(t, f, t->buf, take, &m))
			return 0;
		f->copy = 0;
		budget -= take < budget ? take : budget;
	}
	if (final && f->m.offset >= size)
		finish(t, f);
	return f->m.offset < size && budget == 0;
}

/* Open the decompressor of f at its position. */
static int gz_open(vg_tailer *t, tfile *f)
{
	f->z = gz_from_start(f);
	if (f->z == NULL) {
		problem(t, f, "cannot read: %s (retrying)", strerror(errno));
		return -1;
	}
	gzbuffer(f->z, 128u << 10);
	t->gz_active = f;
	/* Skip what was handed over before (decompressing it again). */
	uint64_t skip = f->m.offset;
	while (skip > 0) {
		unsigned want = skip < VG_TAIL_JOB_BYTES ? (unsigned)skip : VG_TAIL_JOB_BYTES;
		int k = gzread(f->z, t->buf, want);
		if (k <= 0)
			return k;  /* < 0: damaged; 0: shorter than the position */
		skip -= (uint64_t)k;
	}
	return 1;
}

/* Hand the rest of f's carry over when the stream has ended, marking f
 * done; otherwise the complete lines. Returns < 0 when a job did not run. */
static int gz_hand_over(vg_tailer *t, tfile *f, int eof)
{
	size_t len = f->carry.len;
	size_t take = vg_tail_cut((const char *)f->carry.p, len, VG_TAIL_JOB_BYTES, eof);
	if (take == 0 && !eof)
		return 0;
	vg_tail_mark m = advance(t, f, (const char *)f->carry.p, take);
	m.done = eof && take == len;
	int rc = submit(t, f, (const char *)f->carry.p, take, &m);
	if (rc)
		return rc;
	memmove(f->carry.p, f->carry.p + take, len - take);
	f->carry.len -= take;
	return 0;
}

/* Decompress a .gz line-format file onward, one job per MiB. Returns 1
 * when more is left than a round reads. */
static int step_gz(vg_tailer *t, tfile *f)
{
	if (t->gz_active && t->gz_active != f)
		return 0; /* one at a time: bounded memory */
	if (f->z == NULL) {
		int rc = gz_open(t, f);
		if (rc < 0)
			goto damaged;
		if (rc == 0) { /* content shorter than the saved position */
			gz_close(t, f);
			finish(t, f);
			return 1;
		}
	}
	for (size_t budget = ROUND_BYTES; budget > 0 && !atomic_load(&t->stop) && !t->backoff;) {
		vg_buf_reserve(&f->carry, VG_TAIL_JOB_BYTES - f->carry.len);
		size_t room = VG_TAIL_JOB_BYTES - f->carry.len;
		int k = gzread(f->z, f->carry.p + f->carry.len, (unsigned)room);
		if (k < 0)
			goto damaged;
		f->carry.len += (size_t)k;
		int eof = k == 0 || ((size_t)k < room && gzeof(f->z));
		if (eof && gz_cut_short(f->z))
			goto damaged;
		if (gz_hand_over(t, f, eof))
			return 0;
		if (f->m.done) {
			finish(t, f);
			return 1; /* the next .gz may start at once */
		}
		budget -= (size_t)k < budget ? (size_t)k : budget;
	}
	return 1;
damaged:
	problem(t, f, "gzip data damaged or cut short at %llu bytes read; will retry when it changes",
		(unsigned long long)f->m.offset);
	f->gz_bad_mtime = f->mtime;
	gz_close(t, f);
	f->attached = 0;
	return 0;
}

/* Read the whole content of f (bounded by MAX_DOC_BYTES) into out. */
static int read_whole(tfile *f, vg_buf *out)
{
	gzFile z = gz_from_start(f);
	if (z == NULL)
		return VG_EIO;
	int rc = 0;
	for (;;) {
		vg_buf_reserve(out, 1u << 20);
		int k = gzread(z, out->p + out->len, 1u << 20);
		if (k < 0 || (k == 0 && gz_cut_short(z)))
			rc = VG_EIO;
		if (k <= 0)
			break;
		out->len += (size_t)k;
		if (out->len > MAX_DOC_BYTES) {
			rc = VG_ELIMIT;
			break;
		}
	}
	gzclose(z);
	return rc;
}

/* A document-format file: read whole once it has settled. */
static int step_doc(vg_tailer *t, tfile *f)
{
	if (!settled(t, f) || f->gz_bad_mtime == f->mtime)
		return 0;
	vg_buf doc = {0};
	int rc = read_whole(f, &doc);
	if (rc == VG_ELIMIT) {
		problem(t, f, "a %s document larger than %u MiB is not tailed; use vigil ingest",
			f->fmt->name, MAX_DOC_BYTES >> 20);
		finish(t, f);
	} else if (rc) {
		problem(t, f, "cannot read it whole (damaged gzip?); will retry when it changes");
		f->gz_bad_mtime = f->mtime;
	} else {
		f->m.offset = 0;
		vg_tail_mark m = advance(t, f, (const char *)doc.p, doc.len);
		m.done = 1;
		if (submit(t, f, (const char *)doc.p, doc.len, &m) == 0)
			finish(t, f);
	}
	vg_buf_free(&doc);
	return 0;
}

/* One file's turn in a round. Returns 1 when it has more to read at once. */
static int step(vg_tailer *t, tfile *f, int64_t now)
{
	if (f->finished)
		return 0;
	struct stat sb;
	if (fstat(f->fd, &sb) != 0) {
		problem(t, f, "cannot stat: %s", strerror(errno));
		return 0;
	}
	if (sb.st_nlink == 0)
		f->gone = 1;
	if ((int64_t)sb.st_size != f->size) {
		f->size = (int64_t)sb.st_size;
		f->changed = now;
	}
	f->mtime = mtime_ns(&sb);
	/* Gone, quiet, and nothing it could still give: let it go. */
	if (f->gone && now - f->changed >= t->o.grace_ns &&
	    (f->size == 0 || f->gz_bad_mtime == f->mtime)) {
		finish(t, f);
		return 0;
	}
	if (!f->attached && !attach(t, f))
		return 0;
	if (f->finished)
		return 0;
	if (!f->fmt->line_oriented)
		return step_doc(t, f);
	if (f->kind == K_GZ)
		return step_gz(t, f);
	return step_plain(t, f, now);
}

int vg_tailer_round(vg_tailer *t)
{
	int64_t now = vg_mono_ns();
	scan(t, now);
	int more = 0;
	t->backoff = 0;
	for (tfile *f = t->files; f && !atomic_load(&t->stop) && !t->backoff; f = f->next)
		more |= step(t, f, now);
	reap(t);
	return t->backoff ? 0 : more; /* after a failed commit, wait a poll */
}

/* ------------------------------------------------------------ lifecycle */

int vg_tailer_new(vg_writer *w, const vg_tailer_opts *o, vg_tailer **out, vg_err *err)
{
	vg_tailer *t = vg_xcalloc(1, sizeof *t);
	t->w = w;
	t->o = *o;
	vg_store *st = vg_writer_read_lock(w);
	int rc = vg_tail_marks_load(st, &t->marks, err);
	vg_writer_read_unlock(w);
	if (rc) {
		char msg[sizeof err->msg];
		snprintf(msg, sizeof msg, "%s", err->msg);
		free(t);
		return vg_seterr(err, rc, -1, "cannot load the saved tail positions: %s", msg);
	}
	t->buf = vg_xmalloc(VG_TAIL_JOB_BYTES);
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->wake, NULL);
	*out = t;
	return 0;
}

static void *tail_main(void *arg)
{
	vg_tailer *t = arg;
	while (!atomic_load(&t->stop)) {
		if (vg_tailer_round(t))
			continue;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		int64_t until = (int64_t)ts.tv_sec * VG_NS_PER_SEC + ts.tv_nsec + t->o.poll_ns;
		ts.tv_sec = until / VG_NS_PER_SEC;
		ts.tv_nsec = until % VG_NS_PER_SEC;
		pthread_mutex_lock(&t->mu);
		while (!atomic_load(&t->stop) &&
		       pthread_cond_timedwait(&t->wake, &t->mu, &ts) == 0)
			;
		pthread_mutex_unlock(&t->mu);
	}
	return NULL;
}

int vg_tailer_start(vg_tailer *t, vg_err *err)
{
	if (pthread_create(&t->thread, NULL, tail_main, t) != 0)
		return vg_seterr(err, VG_EIO, -1, "cannot start the file tailing thread");
	t->started = 1;
	return 0;
}

void vg_tailer_free(vg_tailer *t)
{
	if (t == NULL)
		return;
	pthread_mutex_lock(&t->mu);
	atomic_store(&t->stop, 1);
	pthread_cond_broadcast(&t->wake);
	pthread_mutex_unlock(&t->mu);
	if (t->started)
		pthread_join(t->thread, NULL);
	while (t->files) {
		tfile *f = t->files;
		t->files = f->next;
		file_free(t, f);
	}
	while (t->fails) {
		failpath *p = t->fails;
		t->fails = p->next;
		free(p->path);
		free(p);
	}
	vg_tail_marks_free(&t->marks);
	pthread_cond_destroy(&t->wake);
	pthread_mutex_destroy(&t->mu);
	free(t->buf);
	free(t);
}
