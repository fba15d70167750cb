/*
 * manifest.h — the list of sealed segments.
 *
 * A small text file, rewritten whole on every change (written to
 * MANIFEST.tmp, fsynced, renamed over MANIFEST, directory fsynced), so it is
 * always either the old or the new version:
 *
 *     vigil-manifest 1
 *     wal <generation of the live WAL file>
 *     next <next segment sequence number>
 *     seg <seq> <group> <day> <rows> <tmin> <tmax> <bytes> <content> <chain>
 *     drop <seq> <content> <chain>
 *     sum <XXH64 of the lines above, hex>
 *
 * `seg` and `drop` lines are in sequence (chain) order; a `drop` line is a
 * segment removed by retention whose hashes stay so the chain verifies.
 * Groups are percent-encoded; hashes are hex.
 */
#ifndef VG_MANIFEST_H
#define VG_MANIFEST_H

#include "store/segment.h"

typedef struct vg_manifest_ent {
	vg_seginfo info;
	int dropped;
} vg_manifest_ent;

typedef struct vg_manifest {
	uint64_t wal_gen;
	uint64_t next_seq;
	vg_manifest_ent *ents;
	size_t n, cap;
} vg_manifest;

/* Load dir/MANIFEST; a missing file is an empty manifest (*exists = 0). */
int vg_manifest_load(const char *dir, vg_manifest *m, int *exists, vg_err *err);
int vg_manifest_save(const char *dir, const vg_manifest *m, vg_err *err);
void vg_manifest_add(vg_manifest *m, const vg_seginfo *info);
void vg_manifest_free(vg_manifest *m);
/* Chain hash of the last entry (zeros when empty). */
void vg_manifest_head(const vg_manifest *m, uint8_t out[VG_HASH_LEN]);

/* fsync a directory so a rename or create in it is durable. */
int vg_fsync_dir(const char *dir, vg_err *err);

#endif
