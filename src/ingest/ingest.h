/*
 * ingest.h — files to durable events: `vigil ingest`.
 *
 * Reads files, directories (recursively, in name order), gzip files
 * (recognised by their magic bytes, whatever their name) and `-` (standard
 * input); picks each input's format (the one given, or detected from its
 * first 64 KiB); streams line formats in chunks so input size is not
 * bounded by memory; and commits to the store when its memtable is full (a
 * seal), every commit_bytes of input if that is set, and at the end.
 * Nothing is reported stored until the commit that made it durable has
 * returned. A bulk load therefore writes each event once, into a segment;
 * small loads go to the WAL.
 *
 * One input's failure (unreadable, too large, rejected whole by its parser)
 * is reported and the others go on; vg_ingest returns VG_EINVAL at the end
 * if any input failed.
 */
#ifndef VG_INGEST_H
#define VG_INGEST_H

#include <stdint.h>
#include <stdio.h>

#include "store/store.h"

#define VG_INGEST_CHUNK (8u << 20)

typedef struct vg_ingest_opts {
	const char *format;    /* NULL or "auto": detect per input */
	const char *group;     /* NULL: each format's own */
	const char *account;   /* for awscli */
	FILE *progress;        /* if set: a line per durable commit */
	FILE *errors;          /* where per-input failures are reported (stderr) */
	uint64_t commit_bytes; /* also commit after this much input (0: never) */
} vg_ingest_opts;

typedef struct vg_ingest_file {
	char *path;
	const char *format;
	uint64_t events, parse_errors, skipped, bytes;
	int failed;
} vg_ingest_file;

typedef struct vg_ingest_report {
	vg_ingest_file *files;
	size_t nfiles, cap;
	uint64_t events, parse_errors, skipped, bytes;
	uint64_t durable;      /* events durable when vg_ingest returned */
	int64_t elapsed_ns;
} vg_ingest_report;

int vg_ingest(vg_store *st, char *const *paths, int npaths, const vg_ingest_opts *o,
	      vg_ingest_report *rep, vg_err *err);
void vg_ingest_report_free(vg_ingest_report *rep);
/* Append a line for path (copied) to rep, format "-" until known. */
vg_ingest_file *vg_ingest_report_add(vg_ingest_report *rep, const char *path);
/* The entries of directory path as "path/name", in bytewise name order,
 * dot files left out; the array and each string are malloc'd (the caller
 * frees them). NULL with errno set when the directory cannot be read. */
char **vg_ingest_list_dir(const char *path, size_t *n);

#endif
