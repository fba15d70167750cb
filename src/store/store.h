/*
 * store.h — the embedded event store: the narrow interface everything
 * above the storage layer uses.
 *
 * A store is a directory:
 *
 *     LOCK               held (flock) by the one writer; holds its pid
 *     MANIFEST           the sealed segments, in chain order (manifest.h)
 *     wal/<gen>.wal      the write-ahead log of unsealed events (wal.h)
 *     seg/<seq>.vseg     sealed, immutable segments (segment.h)
 *
 * Writing: parse into the memtable (vg_store_batch), then vg_store_commit
 * makes everything added so far durable — by appending it to the WAL and
 * fsyncing, or, once the memtable is large, by sealing it into segments.
 * Sealing writes segments (each fsynced), then a new empty WAL generation,
 * then the manifest that names both (write, fsync, rename, fsync the
 * directory); only then is the old WAL removed. A crash at any point leaves
 * either the old manifest and WAL (the new segment files are orphans and
 * are removed on the next open) or the new ones.
 *
 * Reading: a read-only open takes no lock, loads the manifest and replays
 * the WAL into its own memtable, so readers see every durable event while a
 * writer runs. Segments are immutable; retention unlinks files, and an open
 * mapping keeps a removed segment readable until it is closed.
 *
 * The query engine reaches the data only through this interface (segment
 * list, segment reader, memtable), which is what would let a ClickHouse
 * backend stand in for it later.
 *
 * Thread-safety: one thread uses a vg_store at a time.
 */
#ifndef VG_STORE_H
#define VG_STORE_H

#include <stdint.h>
#include <stdio.h>

#include "event/batch.h"
#include "store/segment.h"
#include "util/err.h"

typedef struct vg_store_opts {
	int readonly;
	uint64_t seal_rows;       /* seal the memtable at commit past this many events */
	uint64_t seal_bytes;      /* ... or this much memory */
	uint64_t wal_max_rows;    /* a commit of more events than this seals instead
				   * of writing them to the WAL: bulk loads would
				   * otherwise write everything twice */
	int zlevel;               /* zstd level for segments */
	int64_t retain_ns;        /* retention by age (0: keep forever) */
	uint64_t retain_bytes;    /* retention by total segment size (0: unlimited) */
} vg_store_opts;

void vg_store_defaults(vg_store_opts *o);

typedef struct vg_store vg_store;

/* Open (creating if needed, unless readonly) the store in dir. A second
 * writer gets VG_EBUSY with a message naming the holder's pid. */
int vg_store_open(const char *dir, const vg_store_opts *o, vg_store **out, vg_err *err);
/* Commit what is pending, then release everything. Returns the commit's
 * result; the store is freed either way. */
int vg_store_close(vg_store *st, vg_err *err);

/* The memtable. Parse events into it; they become durable at the next
 * vg_store_commit. Do not clear it. */
vg_batch *vg_store_batch(vg_store *st);
/* Make every event added so far durable: through the WAL, or by sealing
 * when the memtable is full or the pending events are many. */
int vg_store_commit(vg_store *st, vg_err *err);
/* 1 when the memtable has reached its seal thresholds: a bulk loader
 * should commit now. */
int vg_store_full(const vg_store *st);
/* 1 when the next vg_store_commit will seal (not append to the WAL): the
 * server's writer lets followers read the memtable's rows first. */
int vg_store_commit_seals(const vg_store *st);
/* Seal the memtable into segments now (commit does it when it is large). */
int vg_store_seal(vg_store *st, vg_err *err);
/* Apply the retention options with `now` as the current time. Writes a
 * tombstone per dropped segment so the hash chain still verifies. */
int vg_store_retention(vg_store *st, int64_t now, vg_err *err);

/* Reading. */
size_t vg_store_nsegs(const vg_store *st);
const vg_seginfo *vg_store_seginfo(const vg_store *st, size_t i);
int vg_store_open_seg(const vg_store *st, size_t i, vg_seg **out, vg_err *err);
const vg_batch *vg_store_mem(const vg_store *st);   /* unsealed events */
const char *vg_store_dir(const vg_store *st);

/* Counters for reports. */
typedef struct vg_store_stats {
	uint64_t segments, sealed_rows, sealed_bytes;
	uint64_t mem_rows, wal_bytes, wal_torn_bytes;
	uint64_t dropped_segments;
} vg_store_stats;
void vg_store_stats_get(const vg_store *st, vg_store_stats *s);

/* Verify everything in dir: manifest, every segment's hashes and chain,
 * every chunk decodes, the WAL's records. Writes a line per problem ("FAIL
 * ...") and per harmless finding ("note ..."), a line per verified segment
 * when verbose, and a closing summary to report. Returns 0 only when
 * everything verifies. */
int vg_store_check(const char *dir, FILE *report, int verbose, vg_err *err);

#endif
