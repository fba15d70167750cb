/*
 * writer.c — the writer thread, its job queue and group commit (see
 * writer.h).
 *
 * The loop: wait for jobs; take the whole queue; with the store held
 * exclusively, run each job (it parses into the memtable) and then commit
 * once for all of them; release the store; wake the submitters. While the
 * writer runs a group, new jobs queue up and form the next group, so the
 * number of fsyncs adapts to the load: one per request when idle, one per
 * hundreds of requests when busy.
 *
 * The commit runs with the store held exclusively. A WAL append and fsync
 * take milliseconds; a seal (the memtable reaching its size) takes seconds
 * and holds queries off for that long. Sealing a frozen memtable in the
 * background while a fresh one takes writes is the known next step.
 */
#include "server/writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "store/colenc.h"
#include "util/mem.h"
#include "util/timeutil.h"

struct vg_writer {
	vg_store *st;
	pthread_t thread;
	pthread_mutex_t mu;           /* guards the queue, counters and flags */
	pthread_cond_t work;          /* jobs queued, or stop */
	pthread_cond_t done;          /* a group finished */
	pthread_cond_t grew;          /* the memtable grew (followers) */
	pthread_rwlock_t lock;        /* the store: readers shared, writer exclusive */
	vg_job *head, *tail;
	uint64_t max_queue_bytes;
	const char *disk_dir;         /* the disk budget (vg_writer_set_disk_budget) */
	uint64_t min_free;
	const char *free_file;        /* tests only */
	int stopping;
	uint64_t mem_events;          /* memtable events after the last group */
	uint64_t sealgen;             /* seals so far (memtable restarted) */
	vg_writer_stats stats;
	/* Followers told before a seal (vg_writer_follow); the list is
	 * guarded by fmu, taken after the store lock when both are held. */
	pthread_mutex_t fmu;
	struct follower *followers;
};

typedef struct follower {
	vg_writer_seal_fn fn;
	void *arg;
	struct follower *next;
} follower;

/* Run one group of jobs and commit them, the store held exclusively. */
static void run_group(vg_writer *w, vg_job *group)
{
	pthread_rwlock_wrlock(&w->lock);
	vg_batch *mem = vg_store_batch(w->st);
	uint64_t events = 0, perr = 0, bytes = 0, njobs = 0;
	for (vg_job *j = group; j; j = j->next) {
		size_t before = vg_batch_count(mem);
		uint64_t perr_before = mem->nparse_errors;
		memset(&j->err, 0, sizeof j->err);
		j->rc = j->fn(j->arg, mem, &j->err);
		j->events = vg_batch_count(mem) - before;
		j->parse_errors = mem->nparse_errors - perr_before;
		events += j->events;
		perr += j->parse_errors;
		bytes += j->bytes;
		njobs++;
	}
	if (vg_store_commit_seals(w->st)) {
		/* The rows are about to leave the memtable: the followers'
		 * last chance to read the ones they have not seen. */
		pthread_mutex_lock(&w->fmu);
		for (follower *f = w->followers; f; f = f->next)
			f->fn(f->arg, w->st);
		pthread_mutex_unlock(&w->fmu);
	}
	int64_t t0 = vg_mono_ns();
	size_t nbefore = vg_batch_count(mem);
	vg_err cerr = {0};
	int crc = vg_store_commit(w->st, &cerr);
	int64_t took = vg_mono_ns() - t0;
	int sealed = crc == 0 && vg_batch_count(mem) < nbefore;
	uint64_t now_events = vg_batch_count(mem);
	if (sealed) {
		/* Counted before the store is released, so that a reader
		 * holding it sees the count that goes with the memtable. */
		pthread_mutex_lock(&w->mu);
		w->sealgen++;
		pthread_mutex_unlock(&w->mu);
	}
	pthread_rwlock_unlock(&w->lock);

	pthread_mutex_lock(&w->mu);
	for (vg_job *j = group; j; j = j->next) {
		j->commit_rc = crc;
		if (crc && j->rc == 0)
			j->err = cerr;
		j->done = 1;
	}
	w->stats.jobs += njobs;
	w->stats.events += events;
	w->stats.parse_errors += perr;
	w->stats.commits++;
	w->stats.commit_failures += crc != 0;
	w->stats.commit_ns_total += took;
	if (crc == 0)
		w->stats.last_commit_ns = vg_now_ns();
	w->stats.queue_bytes -= bytes;
	w->mem_events = now_events;
	pthread_cond_broadcast(&w->done);
	pthread_cond_broadcast(&w->grew);
	pthread_mutex_unlock(&w->mu);
}

static void *writer_main(void *arg)
{
	vg_writer *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->head == NULL && !w->stopping)
			pthread_cond_wait(&w->work, &w->mu);
		if (w->head == NULL && w->stopping)
			break;
		vg_job *group = w->head;
		w->head = w->tail = NULL;
		pthread_mutex_unlock(&w->mu);
		run_group(w, group);
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	/* Seals encoded on this thread: free its encoder scratch
	 * (store/colenc.h). */
	vg_col_thread_done();
	return NULL;
}

int vg_writer_start(vg_store *st, uint64_t max_queue_bytes, vg_writer **out, vg_err *err)
{
	vg_writer *w = vg_xcalloc(1, sizeof *w);
	w->st = st;
	w->max_queue_bytes = max_queue_bytes;
	w->mem_events = vg_batch_count(vg_store_mem(st));
	pthread_mutex_init(&w->mu, NULL);
	pthread_mutex_init(&w->fmu, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->done, NULL);
	pthread_cond_init(&w->grew, NULL);
	/* Prefer the writer: a steady stream of queries must not starve
	 * ingest. */
	pthread_rwlockattr_t ra;
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&w->lock, &ra);
	pthread_rwlockattr_destroy(&ra);
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		free(w);
		return vg_seterr(err, VG_EIO, -1, "cannot start the writer thread");
	}
	*out = w;
	return 0;
}

void vg_writer_stop(vg_writer *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = 1;
	pthread_cond_broadcast(&w->work);
	pthread_cond_broadcast(&w->grew);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_rwlock_destroy(&w->lock);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->done);
	pthread_cond_destroy(&w->grew);
	pthread_mutex_destroy(&w->mu);
	pthread_mutex_destroy(&w->fmu);
	free(w);
}

void vg_writer_set_disk_budget(vg_writer *w, const char *dir, uint64_t min_free,
			       const char *free_file)
{
	pthread_mutex_lock(&w->mu);
	w->disk_dir = dir;
	w->min_free = min_free;
	w->free_file = free_file;
	pthread_mutex_unlock(&w->mu);
}

/* Bytes free for vigil on the store's file system (the test file's
 * number when one is set), or UINT64_MAX when unknown: a file system that
 * cannot say is not a reason to stop ingest. */
static uint64_t disk_free(const vg_writer *w)
{
	if (w->free_file) {
		FILE *f = fopen(w->free_file, "r");
		unsigned long long n = 0;
		int got = f && fscanf(f, "%llu", &n) == 1;
		if (f)
			fclose(f);
		if (got)
			return n;
	}
	struct statvfs v;
	if (statvfs(w->disk_dir, &v) != 0)
		return UINT64_MAX;
	return (uint64_t)v.f_bavail * v.f_frsize;
}

int vg_writer_submit(vg_writer *w, vg_job *job)
{
	job->next = NULL;
	job->done = 0;
	job->rc = job->commit_rc = 0;
	job->events = job->parse_errors = 0;
	memset(&job->err, 0, sizeof job->err);
	/* The disk budget, for every ingest path alike: refuse before the
	 * disk fills, while what was acknowledged can still be sealed and
	 * searched. Looked at outside the lock (the settings are set once,
	 * before any producer starts). */
	if (w->disk_dir && w->min_free) {
		uint64_t avail = disk_free(w);
		if (avail < w->min_free + job->bytes) {
			pthread_mutex_lock(&w->mu);
			w->stats.refused_disk++;
			pthread_mutex_unlock(&w->mu);
			return vg_seterr(&job->err, VG_ELIMIT, -1,
					 "the store's disk is nearly full (%llu MB free, %llu MB kept free); "
					 "events are not accepted until space is freed (vigil retention)",
					 (unsigned long long)(avail >> 20),
					 (unsigned long long)(w->min_free >> 20));
		}
	}
	pthread_mutex_lock(&w->mu);
	/* A job larger than the whole budget still runs when the queue is
	 * empty: the budget bounds what waits, not what one request may be
	 * (the HTTP body limit does that). */
	if (w->stopping || (w->stats.queue_bytes > 0 &&
			    w->stats.queue_bytes + job->bytes > w->max_queue_bytes)) {
		w->stats.refused++;
		int stopping = w->stopping;
		pthread_mutex_unlock(&w->mu);
		return vg_seterr(&job->err, VG_EBUSY, -1, stopping ? "the server is shutting down" :
				 "ingest queue full: the disk is not keeping up; retry later");
	}
	w->stats.queue_bytes += job->bytes;
	w->stats.bytes += job->bytes;
	if (w->tail)
		w->tail->next = job;
	else
		w->head = job;
	w->tail = job;
	pthread_cond_signal(&w->work);
	while (!job->done)
		pthread_cond_wait(&w->done, &w->mu);
	pthread_mutex_unlock(&w->mu);
	return job->rc ? job->rc : job->commit_rc;
}

vg_store *vg_writer_read_lock(vg_writer *w)
{
	pthread_rwlock_rdlock(&w->lock);
	return w->st;
}

void vg_writer_read_unlock(vg_writer *w)
{
	pthread_rwlock_unlock(&w->lock);
}

void vg_writer_stats_get(vg_writer *w, vg_writer_stats *s)
{
	pthread_mutex_lock(&w->mu);
	*s = w->stats;
	pthread_mutex_unlock(&w->mu);
}

void vg_writer_follow(vg_writer *w, vg_writer_seal_fn fn, void *arg)
{
	follower *f = vg_xcalloc(1, sizeof *f);
	f->fn = fn;
	f->arg = arg;
	pthread_mutex_lock(&w->fmu);
	f->next = w->followers;
	w->followers = f;
	pthread_mutex_unlock(&w->fmu);
}

void vg_writer_unfollow(vg_writer *w, void *arg)
{
	pthread_mutex_lock(&w->fmu);
	for (follower **pp = &w->followers; *pp; pp = &(*pp)->next) {
		if ((*pp)->arg == arg) {
			follower *f = *pp;
			*pp = f->next;
			free(f);
			break;
		}
	}
	pthread_mutex_unlock(&w->fmu);
}

uint64_t vg_writer_sealgen(vg_writer *w)
{
	pthread_mutex_lock(&w->mu);
	uint64_t g = w->sealgen;
	pthread_mutex_unlock(&w->mu);
	return g;
}

uint64_t vg_writer_wait_events(vg_writer *w, uint64_t seen, uint64_t *sealgen,
			       int64_t timeout_ns)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t until = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + timeout_ns;
	ts.tv_sec = until / 1000000000;
	ts.tv_nsec = until % 1000000000;
	pthread_mutex_lock(&w->mu);
	while (!w->stopping && w->sealgen == *sealgen && w->mem_events <= seen) {
		if (pthread_cond_timedwait(&w->grew, &w->mu, &ts) != 0)
			break;
	}
	uint64_t n = w->mem_events;
	*sealgen = w->sealgen;
	pthread_mutex_unlock(&w->mu);
	return n;
}
