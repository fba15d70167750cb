/*
 * tailer.h — file tailing for `vigil server`: the files that vigil.yml's
 * `tail:` list names (globs), followed like Filebeat follows them, through
 * the server's one writer.
 *
 * Contract: every complete line of every matching file becomes an event
 * exactly once, across restarts and crashes, through rotation by rename
 * and by truncation; a `.gz` file (they do not grow) is read once whole.
 * The read position of a file becomes durable in the same writer job, and
 * so in the same commit, as the events read up to it: a record in the
 * reserved group `_tail` (tailer.c explains the design).
 *
 * Ownership: the tailer borrows the writer and the specs (they outlive
 * it); it owns its thread, its open files and its buffers.
 * Thread safety: vg_tailer_round runs on one thread at a time (the
 * tailer's own once vg_tailer_start has been called); the pure helpers
 * below are thread-free.
 */
#ifndef VG_TAILER_H
#define VG_TAILER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "event/batch.h"
#include "server/server.h"
#include "server/writer.h"
#include "store/store.h"
#include "util/err.h"

#define VG_TAIL_GROUP "_tail"
#define VG_TAIL_FP_BYTES 1024u        /* content bytes a fingerprint covers */
#define VG_TAIL_JOB_BYTES (1u << 20)  /* input of one writer job */
#define VG_TAIL_MAX_MARKS 16384u      /* saved positions kept in memory */

typedef struct vg_tailer_opts {
	const vg_tail_spec *specs;    /* borrowed */
	size_t nspecs;
	int64_t poll_ns;              /* between rescans when idle (1 s) */
	int64_t grace_ns;             /* a file renamed away or deleted is read
				       * on until it has not grown for this
				       * long, then closed (60 s) */
	int64_t settle_ns;            /* a .gz or document file is read once
				       * unchanged for this long (2 s) */
	FILE *log;                    /* problems, one line each (stderr) */
} vg_tailer_opts;

void vg_tailer_defaults(vg_tailer_opts *o);

typedef struct vg_tailer vg_tailer;

/* Create a tailer on w: loads every file's saved position from the store
 * (a query under w's read lock). No file is read and no thread runs yet.
 * Fails (and nothing is tailed) when the positions cannot be loaded:
 * reading from the start instead would duplicate every file. */
int vg_tailer_new(vg_writer *w, const vg_tailer_opts *o, vg_tailer **out, vg_err *err);
/* One round: rescan the globs, read what every file has that is new and
 * hand it to the writer, waiting for each job. Returns 1 when some file
 * has more than a round reads (call again at once), else 0. */
int vg_tailer_round(vg_tailer *t);
/* Run rounds on a thread of the tailer's own until vg_tailer_free. */
int vg_tailer_start(vg_tailer *t, vg_err *err);
/* Stop the thread (after the job it is waiting for, if any), close the
 * files, free t. NULL is fine. */
void vg_tailer_free(vg_tailer *t);

/* ------------------------------------------------ pieces, for the tests */

/* Of the n bytes at p (read at a file's position, at most cap), how many
 * to hand over: through the last newline; all n when `final` (the file
 * is finished: its last line has no newline and never will) or when
 * n == cap and no newline is in them (one line longer than a job: it is
 * cut, like `vigil ingest` cuts it); 0 when no line is complete. */
size_t vg_tail_cut(const char *p, size_t n, size_t cap, int final);

/* A file's saved position: which file (dev, ino, and a fingerprint of its
 * first bytes), how far it has been read, and when that was recorded. */
typedef struct vg_tail_mark {
	uint64_t dev, ino;
	uint64_t fp;                  /* XXH3 of the first fplen content bytes */
	uint32_t fplen;               /* min(VG_TAIL_FP_BYTES, bytes read) */
	uint64_t offset;              /* content bytes consumed (decompressed
				       * for .gz files) */
	int done;                     /* read whole, never again (.gz, documents) */
	int64_t t;                    /* the record's time */
} vg_tail_mark;

/* The latest mark of every file, as loaded and then kept up to date. */
typedef struct vg_tail_marks {
	vg_tail_mark *v;
	size_t n, cap;
	int64_t last_t;               /* newest record time: records get later ones */
} vg_tail_marks;

/* The fingerprint of n bytes. */
uint64_t vg_tail_fp(const void *p, size_t n);
/* Append m's record, for the file at path, to b: an event in group _tail
 * with fields path, dev, ino, fp (16 hex digits), fplen, offset, done and
 * t_ns (the record's time in ns: _time reads back in microseconds). */
void vg_tail_mark_event(vg_batch *b, const vg_tail_mark *m, const char *path);
/* Fill out (empty) with the latest record of every (dev, ino) in st, the
 * newest VG_TAIL_MAX_MARKS of them. */
int vg_tail_marks_load(vg_store *st, vg_tail_marks *out, vg_err *err);
/* Insert m, or replace the mark of the same (dev, ino). */
void vg_tail_marks_put(vg_tail_marks *ms, const vg_tail_mark *m);
/* The mark of a file whose first headlen content bytes are head:
 *  1. the mark of the same (dev, ino) whose fingerprint matches head
 *     (the same file, perhaps renamed; not a new file on a reused inode);
 *  2. else the newest mark with a full-length fingerprint that matches:
 *     the same content under another inode — a copy (copytruncate's
 *     rotated file) or a compressed rotation (.gz of a file read before).
 * NULL when neither: a new file, read from its start. */
const vg_tail_mark *vg_tail_marks_find(const vg_tail_marks *ms, uint64_t dev, uint64_t ino,
				       const char *head, size_t headlen);
void vg_tail_marks_free(vg_tail_marks *ms);

#endif
