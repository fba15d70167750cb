/*
 * writer.h — the server's one writer: every ingest path's events reach the
 * store through it, and a request is answered only once its events are
 * durable.
 *
 * The store allows one thread at a time (store.h). The server shares its
 * store between one writer thread and any number of query threads with a
 * read-write lock: queries hold it shared for their whole run; the writer
 * holds it exclusive while it parses pending jobs into the memtable and
 * commits them.
 *
 * A job is a closure that appends events to the memtable (a protocol
 * decoder running on a request body). Producers (HTTP handlers, syslog
 * connections, file tailers) call vg_writer_submit, which queues the job
 * and blocks until the writer has run it *and* a commit covering its events
 * has returned: group commit, one WAL append and fsync for every job that
 * arrived while the previous commit ran. The job's own result and the
 * commit's are reported separately, so a request whose body was half bad
 * still learns that its good half is durable.
 *
 * Backpressure: the queue holds at most max_queue_bytes of request bodies;
 * a job that would exceed it is refused at once with VG_EBUSY (the HTTP
 * layer answers 429 with Retry-After) rather than queued behind a slow
 * disk. Nothing acknowledged is ever dropped: a refusal happens before the
 * job runs.
 *
 * Thread safety: everything here is safe from any thread, except
 * vg_writer_start/stop.
 */
#ifndef VG_WRITER_H
#define VG_WRITER_H

#include <pthread.h>
#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

typedef struct vg_writer vg_writer;

/* Appends events to mem (the store's memtable); returns 0 or < 0 with err
 * set for a failure of the whole job. Runs on the writer thread with the
 * store held exclusively; it must not block on anything but CPU. */
typedef int (*vg_job_fn)(void *arg, vg_batch *mem, vg_err *err);

typedef struct vg_job {
	vg_job_fn fn;
	void *arg;
	size_t bytes;            /* input size, for the queue budget */
	/* Results, valid once vg_writer_submit returns. */
	int rc;                  /* fn's result */
	int commit_rc;           /* the commit covering the job (0: durable) */
	vg_err err;              /* fn's error, else the commit's */
	uint64_t events;         /* events the job appended */
	uint64_t parse_errors;   /* of those, stored with _parse_error */
	/* Writer's bookkeeping. */
	struct vg_job *next;
	int done;
} vg_job;

typedef struct vg_writer_stats {
	uint64_t jobs, events, parse_errors, bytes;
	uint64_t commits, commit_failures;
	uint64_t refused;            /* queue full or stopping (VG_EBUSY) */
	uint64_t refused_disk;       /* the disk budget (VG_ELIMIT) */
	uint64_t queue_bytes;        /* now */
	int64_t commit_ns_total;     /* time in commits (WAL append + fsync, seals) */
	int64_t last_commit_ns;      /* wall time of the last durable commit */
} vg_writer_stats;

/* Start the writer thread on st (borrowed; the writer is its only user
 * from now on, besides vg_writer_read_lock holders). */
int vg_writer_start(vg_store *st, uint64_t max_queue_bytes, vg_writer **out, vg_err *err);
/* Finish the queued jobs, commit, stop the thread and free the writer. The
 * store stays open (the caller closes it). */
void vg_writer_stop(vg_writer *w);

/* The disk budget: from now on a job is refused (VG_ELIMIT, before it
 * runs) while the file system holding dir has less than min_free bytes
 * free besides the job's own bytes. Each submit looks (statvfs is a
 * microsecond), so ingest resumes by itself as soon as space is freed.
 * free_file, tests only (VIGIL_TEST_FREE_FILE): a file holding the free
 * byte count to believe instead of statvfs's; NULL in production. dir and
 * free_file are borrowed for the writer's life. */
void vg_writer_set_disk_budget(vg_writer *w, const char *dir, uint64_t min_free,
			       const char *free_file);

/* Queue job and wait for it (see above). Returns 0 when the job ran and
 * its events are durable; when refused before it ran (job->done stays 0):
 * VG_EBUSY for a full queue or a stopping server, VG_ELIMIT for the disk
 * budget (job->err says which, for a person); otherwise job->rc or
 * job->commit_rc. Callers retry a refusal or answer it as their protocol
 * says (server.c: 429 or 503; syslog TCP: read no more until it passes). */
int vg_writer_submit(vg_writer *w, vg_job *job);

/* Shared access to the store for readers (queries). */
vg_store *vg_writer_read_lock(vg_writer *w);
void vg_writer_read_unlock(vg_writer *w);

void vg_writer_stats_get(vg_writer *w, vg_writer_stats *s);

/* Seals so far: the memtable restarted from its first row each time. A
 * caller holding the store (vg_writer_read_lock) gets the count that goes
 * with the memtable it sees. */
uint64_t vg_writer_sealgen(vg_writer *w);

/* Followers (/api/v1/tail) read the memtable's new rows between commits;
 * a seal moves them to a segment at once. fn(arg, st) is called on the
 * writer thread, the store held exclusively, just before a commit that
 * seals: the follower reads what it has not seen (without taking the
 * store's lock: it is held) and must not block on anything but CPU.
 * Register from a thread holding the read lock (so that no seal falls
 * between the follower's first look and its registration); unfollow
 * before arg goes away. */
typedef void (*vg_writer_seal_fn)(void *arg, vg_store *st);
void vg_writer_follow(vg_writer *w, vg_writer_seal_fn fn, void *arg);
void vg_writer_unfollow(vg_writer *w, void *arg);

/* Wait until the memtable holds more than `seen` events or timeout_ns
 * passes; returns the count now. For followers (/api/v1/tail). Counts
 * restart from zero after a seal; `sealgen` (in/out) tells the caller. */
uint64_t vg_writer_wait_events(vg_writer *w, uint64_t seen, uint64_t *sealgen,
			       int64_t timeout_ns);

#endif
