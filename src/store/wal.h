/*
 * wal.h — the write-ahead log.
 *
 * Events that are not yet in a sealed segment live in the memtable and,
 * once committed, in the WAL: a file of records, each
 *
 *     u32 magic "VWAL" | u32 payload length | u64 XXH64(payload) | payload
 *
 * whose payload is a self-contained serialization of a run of events (its
 * own name tables, so any record decodes alone). A commit appends one record
 * and fdatasyncs: one fsync covers every event in the record, which is the
 * group commit. Replay stops at the first record that is cut short or does
 * not verify — the tail of an interrupted write — and reports how many
 * bytes it ignored.
 *
 * Ownership: vg_wal owns its descriptor. Not thread-safe: the store
 * serializes writers.
 */
#ifndef VG_WAL_H
#define VG_WAL_H

#include <stddef.h>
#include <stdint.h>

#include "event/batch.h"
#include "util/err.h"

typedef struct vg_wal {
	int fd;
	uint64_t size;
	vg_buf rec;
	uint32_t *local;    /* batch fid / group / tmpl -> local id + stamp scratch */
	size_t caplocal;
} vg_wal;

/* Open (creating) the log at path for appending; *wal is ready to append
 * after the last valid record (a torn tail is truncated away). */
int vg_wal_open(vg_wal *wal, const char *path, vg_err *err);
/* Append events [from, to) of b as one record and fdatasync. */
int vg_wal_append(vg_wal *wal, const vg_batch *b, size_t from, size_t to, vg_err *err);
void vg_wal_close(vg_wal *wal);

typedef struct vg_wal_replay {
	uint64_t records, events;
	uint64_t valid_bytes;   /* length of the verified prefix */
	uint64_t torn_bytes;    /* bytes after it (an interrupted write) */
	int later_valid;        /* valid records follow the damage: corruption,
				 * not a torn tail */
	char torn_reason[128];
} vg_wal_replay;

/* Decode every valid record of the log at path into b. A missing file is an
 * empty log. Returns 0 (a torn tail is not an error: see *r), or < 0 for an
 * I/O error. */
int vg_wal_replay_file(const char *path, vg_batch *b, vg_wal_replay *r, vg_err *err);

#endif
