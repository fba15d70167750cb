/*
 * scan.h — every stored event in time order, for `vigil cat` and tests.
 *
 * Segments are partitioned by day and sorted inside, so a time-ordered scan
 * merges, one day at a time, the segments of that day and the memtable's
 * events of that day. Memory: one decoded block per segment of the day.
 */
#ifndef VG_SCAN_H
#define VG_SCAN_H

#include "store/reader.h"
#include "store/store.h"

typedef struct vg_scan_opts {
	const char *group;    /* exact group, or NULL for all */
	int64_t from, to;     /* [from, to) in ns */
} vg_scan_opts;

/* One event: from a segment block (bk, row) or the memtable (mem, i). */
typedef struct vg_scan_row {
	vg_blk *bk;
	uint32_t row;
	const vg_batch *mem;
	size_t i;
	int64_t t;
} vg_scan_row;

/* Call fn for every event matching o, in ascending time. fn returns 0 to
 * go on, anything else to stop (returned). */
int vg_scan_ordered(vg_store *st, const vg_scan_opts *o,
		    int (*fn)(void *ctx, const vg_scan_row *row), void *ctx, vg_err *err);

/* Append the event as a JSON object. */
void vg_scan_row_json(const vg_scan_row *row, vg_buf *out);

#endif
