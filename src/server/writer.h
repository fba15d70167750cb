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
	uint64_t commits, commit_failures, refused;
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

/* Queue job and wait for it (see above). Returns 0 when the job ran and
 * its events are durable; VG_EBUSY when refused by backpressure (the job
 * did not run); otherwise job->rc or job->commit_rc. */
int vg_writer_submit(vg_writer *w, vg_job *job);

/* Shared access to the store for readers (queries). */
vg_store *vg_writer_read_lock(vg_writer *w);
void vg_writer_read_unlock(vg_writer *w);

void vg_writer_stats_get(vg_writer *w, vg_writer_stats *s);

/* Wait until the memtable holds more than `seen` events or timeout_ns
 * passes; returns the count now. For followers (/api/v1/tail). Counts
 * restart from zero after a seal; `sealgen` (in/out) tells the caller. */
uint64_t vg_writer_wait_events(vg_writer *w, uint64_t seen, uint64_t *sealgen,
			       int64_t timeout_ns);

#endif
