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
#include <sys/types.h>
#include <zlib.h>

#include "parse/parse.h"
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

/* The walk over the inputs, shared by vg_ingest and the remote ingest
 * (cli/remote_ingest.c), which differ only in where an input's bytes go.
 * A path is `-` (standard input), a directory (recursively, entries in
 * bytewise name order, dot files left out) or a file, read through zlib so
 * gzip is transparent. Each input gets a line in rep; an input that cannot
 * be opened is failed (vg_ingest_fail) and the walk goes on. */
typedef struct vg_ingest_walk vg_ingest_walk;
struct vg_ingest_walk {
	const vg_ingest_opts *o;
	vg_ingest_report *rep;
	int failed;            /* inputs that failed */
	/* One opened input: path is the file when it is a regular one (it
	 * can be read again), else NULL; mtime its mtime in ns (0: stdin).
	 * Non-zero stops the walk and is what vg_ingest_walk_path returns. */
	int (*input)(vg_ingest_walk *w, vg_ingest_file *f, gzFile z, const char *path,
		     int64_t mtime);
};
int vg_ingest_walk_path(vg_ingest_walk *w, const char *path);
/* Mark input f failed and say why on o->errors. */
void vg_ingest_fail(vg_ingest_walk *w, vg_ingest_file *f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Read up to n bytes; returns the bytes read, or -1 on error. */
ssize_t vg_ingest_read(gzFile z, char *p, size_t n);
/* The format of an input that begins with p (n bytes): o's, else detected. */
const vg_format *vg_ingest_format(const vg_ingest_opts *o, const char *p, size_t n);
/* 0, or VG_EINVAL when o names a format that does not exist. */
int vg_ingest_check_opts(const vg_ingest_opts *o, vg_err *err);

#endif
