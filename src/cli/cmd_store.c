/*
 * cmd_store.c — `vigil ingest`, `vigil cat`, `vigil check`.
 *
 * `vigil ingest --url` sends the inputs to a server instead
 * (remote_ingest.c) and reports its answers the same way.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/remote.h"
#include "event/value.h"
#include "ingest/ingest.h"
#include "store/scan.h"
#include "store/store.h"
#include "util/timeutil.h"

static void print_ingest(const vg_ingest_report *r, vg_outfmt fmt)
{
	double secs = (double)r->elapsed_ns / 1e9;
	if (fmt == VG_OUT_CSV) {
		printf("path,format,events,parse_errors,skipped,bytes,failed\n");
		for (size_t k = 0; k < r->nfiles; k++) {
			const vg_ingest_file *f = &r->files[k];
			printf("%s,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%d\n", f->path,
			       f->format, f->events, f->parse_errors, f->skipped, f->bytes, f->failed);
		}
		return;
	}
	if (fmt == VG_OUT_JSON) {
		vg_buf b = {0};
		vg_buf_puts(&b, "{\"files\":[");
		for (size_t k = 0; k < r->nfiles; k++) {
			const vg_ingest_file *f = &r->files[k];
			vg_buf_puts(&b, k ? ",{\"path\":" : "{\"path\":");
			vg_json_str(&b, f->path, strlen(f->path));
			vg_buf_printf(&b, ",\"format\":\"%s\",\"events\":%" PRIu64 ",\"parse_errors\":%" PRIu64
					  ",\"skipped\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"failed\":%s}",
				      f->format, f->events, f->parse_errors, f->skipped, f->bytes,
				      f->failed ? "true" : "false");
		}
		vg_buf_printf(&b, "],\"events\":%" PRIu64 ",\"parse_errors\":%" PRIu64 ",\"skipped\":%" PRIu64
				  ",\"bytes\":%" PRIu64 ",\"durable\":%" PRIu64 ",\"seconds\":%.3f}\n",
			      r->events, r->parse_errors, r->skipped, r->bytes, r->durable, secs);
		fwrite(b.p, 1, b.len, stdout);
		vg_buf_free(&b);
		return;
	}
	if (r->nfiles <= 50) {
		for (size_t k = 0; k < r->nfiles; k++) {
			const vg_ingest_file *f = &r->files[k];
			printf("%-10s %10" PRIu64 " events %6" PRIu64 " parse errors  %s%s\n", f->format,
			       f->events, f->parse_errors, f->path, f->failed ? "  (FAILED)" : "");
		}
	}
	printf("stored %" PRIu64 " events (%" PRIu64 " with parse errors, %" PRIu64
	       " documents skipped) from %zu inputs, %.1f MB in %.2f s: %.0f events/s\n",
	       r->durable, r->parse_errors, r->skipped, r->nfiles, (double)r->bytes / 1e6, secs,
	       secs > 0 ? (double)r->events / secs : 0.0);
}

/* `vigil ingest --url`: send the inputs to the server behind rm. */
static int ingest_remote(vg_remote *rm, char *const *paths, int npaths, const vg_ingest_opts *io,
			 vg_outfmt fmt)
{
	vg_ingest_report rep;
	vg_err e = {0};
	int rc = vg_remote_ingest(rm, paths, npaths, io, &rep, &e);
	print_ingest(&rep, fmt);
	vg_ingest_report_free(&rep);
	return rc ? vg_cli_err("ingest", &e) : VG_EXIT_OK;
}

int vg_cmd_ingest(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data", required_argument, 0, 'd'},   {"format", required_argument, 0, 'f'},
		{"group", required_argument, 0, 'g'},  {"account", required_argument, 0, 'a'},
		{"output", required_argument, 0, 'o'}, {"progress", no_argument, 0, 'p'},
		{"seal", no_argument, 0, 's'},          {"seal-rows", required_argument, 0, 'r'},
		{"commit-every", required_argument, 0, 'c'}, {"url", required_argument, 0, 'u'},
		{"token", required_argument, 0, 'k'},  {0, 0, 0, 0},
	};
	vg_ingest_opts io = {.errors = stderr};
	const char *data = NULL, *url = NULL, *token = NULL;
	vg_outfmt fmt = VG_OUT_TABLE;
	int seal = 0, c;
	uint64_t seal_rows = 0;
	char *end;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': data = optarg; break;
		case 'u': url = optarg; break;
		case 'k': token = optarg; break;
		case 'r':
			seal_rows = strtoull(optarg, &end, 10);
			if (*end || seal_rows == 0)
				return vg_cli_fail("ingest", VG_EINVAL, "--seal-rows takes a positive number");
			break;
		case 'c':
			io.commit_bytes = strtoull(optarg, &end, 10);
			if (*end || io.commit_bytes == 0)
				return vg_cli_fail("ingest", VG_EINVAL, "--commit-every takes a positive number of bytes");
			break;
		case 'f': io.format = optarg; break;
		case 'g': io.group = optarg; break;
		case 'a': io.account = optarg; break;
		case 'p': io.progress = stderr; break;
		case 's': seal = 1; break;
		case 'o':
			if (vg_cli_outfmt(optarg, &fmt))
				return vg_cli_fail("ingest", VG_EINVAL, "--output takes table, json or csv");
			break;
		default: return VG_EXIT_USER;
		}
	}
	if (optind >= argc)
		return vg_cli_fail("ingest", VG_EINVAL, "no input: give files, directories or - (stdin)");
	vg_err e = {0};
	vg_remote *rm;
	if (vg_remote_pick(data, url, token, &rm, &e))
		return vg_cli_err("ingest", &e);
	if (rm) {
		if (seal || seal_rows || io.commit_bytes) {
			vg_remote_close(rm);
			return vg_cli_fail("ingest", VG_EINVAL,
					   "--seal, --seal-rows and --commit-every work on the embedded "
					   "store (--data); a server seals and commits on its own");
		}
		int rc = ingest_remote(rm, argv + optind, argc - optind, &io, fmt);
		vg_remote_close(rm);
		return rc;
	}
	if (data == NULL)
		data = "./data";
	vg_store *st;
	vg_store_opts so;
	vg_store_defaults(&so);
	if (seal_rows)
		so.seal_rows = seal_rows;
	if (seal)
		so.wal_max_rows = 0; /* sealing at the end anyway: skip the WAL */
	if (vg_store_open(data, &so, &st, &e))
		return vg_cli_err("ingest", &e);
	vg_ingest_report rep;
	int rc = vg_ingest(st, argv + optind, argc - optind, &io, &rep, &e);
	vg_err e2 = {0};
	int rc2 = (rc == 0 || rc == VG_EINVAL) && seal ? vg_store_seal(st, &e2) : 0;
	int rc3 = vg_store_close(st, rc2 ? NULL : &e2);
	print_ingest(&rep, fmt);
	vg_ingest_report_free(&rep);
	if (rc2 || rc3)
		return vg_cli_err("ingest", &e2);
	if (rc)
		return vg_cli_err("ingest", &e);
	return VG_EXIT_OK;
}

typedef struct cat_ctx {
	vg_buf line;
	uint64_t n;
} cat_ctx;

static int cat_row(void *ctx, const vg_scan_row *row)
{
	cat_ctx *c = ctx;
	vg_buf_clear(&c->line);
	vg_scan_row_json(row, &c->line);
	vg_buf_putc(&c->line, '\n');
	c->n++;
	return fwrite(c->line.p, 1, c->line.len, stdout) == c->line.len ? 0 : VG_EIO;
}

int vg_cmd_cat(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data", required_argument, 0, 'd'}, {"group", required_argument, 0, 'g'},
		{"from", required_argument, 0, 'f'}, {"to", required_argument, 0, 't'},
		{"output", required_argument, 0, 'o'}, {0, 0, 0, 0},
	};
	const char *data = "./data";
	vg_scan_opts so = {.from = INT64_MIN, .to = INT64_MAX};
	vg_err e = {0};
	int64_t now = vg_now_ns();
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': data = optarg; break;
		case 'g': so.group = optarg; break;
		case 'f':
			if (vg_parse_time(optarg, now, &so.from, &e))
				return vg_cli_err("cat", &e);
			break;
		case 't':
			if (vg_parse_time(optarg, now, &so.to, &e))
				return vg_cli_err("cat", &e);
			break;
		case 'o':
			if (strcmp(optarg, "json") != 0)
				return vg_cli_fail("cat", VG_EINVAL, "cat prints JSON lines only (--output json)");
			break;
		default: return VG_EXIT_USER;
		}
	}
	if (optind < argc)
		return vg_cli_fail("cat", VG_EINVAL, "unexpected argument '%s'", argv[optind]);
	vg_store_opts o;
	vg_store_defaults(&o);
	o.readonly = 1;
	vg_store *st;
	if (vg_store_open(data, &o, &st, &e))
		return vg_cli_err("cat", &e);
	cat_ctx cc = {0};
	int rc = vg_scan_ordered(st, &so, cat_row, &cc, &e);
	vg_buf_free(&cc.line);
	vg_store_close(st, NULL);
	fflush(stdout);
	if (rc == VG_EIO)
		return VG_EXIT_FAIL;
	if (rc)
		return vg_cli_err("cat", &e);
	return VG_EXIT_OK;
}

int vg_cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data", required_argument, 0, 'd'}, {"quiet", no_argument, 0, 'q'},
		{"verbose", no_argument, 0, 'v'}, {0, 0, 0, 0},
	};
	const char *data = "./data";
	int quiet = 0, verbose = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': data = optarg; break;
		case 'q': quiet = 1; break;
		case 'v': verbose = 1; break;
		default: return VG_EXIT_USER;
		}
	}
	vg_err e = {0};
	FILE *rep = stdout;
	if (quiet)
		rep = fopen("/dev/null", "w");
	int rc = vg_store_check(data, rep, verbose, &e);
	if (quiet && rep)
		fclose(rep);
	if (rc) {
		if (rc == VG_ENOTFOUND)
			return vg_cli_err("check", &e);
		vg_cli_err("check", &e);
		return VG_EXIT_FAIL;
	}
	if (!quiet)
		printf("the store verifies\n");
	return VG_EXIT_OK;
}

/* `vigil inspect SEGMENT...`: where a segment's bytes go, per column. */
int vg_cmd_inspect(int argc, char **argv)
{
	if (argc < 2)
		return vg_cli_fail("inspect", VG_EINVAL, "give one or more .vseg files");
	for (int k = 1; k < argc; k++) {
		vg_seg *s;
		vg_err e = {0};
		if (vg_seg_open(argv[k], &s, &e)) {
			vg_seg_close(s);
			return vg_cli_err("inspect", &e);
		}
		uint64_t *bytes = calloc(s->ncols, sizeof *bytes), filt = 0;
		for (uint32_t b = 0; b < s->nblocks; b++) {
			for (uint32_t c = 0; c < s->ncols; c++)
				bytes[c] += s->blocks[b].chunks[c].len;
			filt += s->blocks[b].bloom_len;
		}
		printf("%s: group %s, %" PRIu64 " rows, %u blocks, %zu bytes (%.2f bytes/row)\n",
		       argv[k], s->group, s->nrows, s->nblocks, s->size,
		       s->nrows ? (double)s->size / (double)s->nrows : 0.0);
		for (uint32_t c = 0; c < s->ncols; c++)
			printf("  %-28s %12" PRIu64 " bytes %8.3f bytes/row\n", s->cols[c], bytes[c],
			       s->nrows ? (double)bytes[c] / (double)s->nrows : 0.0);
		printf("  %-28s %12" PRIu64 " bytes %8.3f bytes/row\n", "(token filters)", filt,
		       s->nrows ? (double)filt / (double)s->nrows : 0.0);
		free(bytes);
		vg_seg_close(s);
	}
	return VG_EXIT_OK;
}

/* A size like 500M, 20G, 1T (powers of 1024) or plain bytes; -1 if bad. */
static int64_t parse_size(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || v < 0)
		return -1;
	int64_t mul = 1;
	switch (*end) {
	case 0: break;
	case 'k': case 'K': mul = INT64_C(1) << 10; end++; break;
	case 'm': case 'M': mul = INT64_C(1) << 20; end++; break;
	case 'g': case 'G': mul = INT64_C(1) << 30; end++; break;
	case 't': case 'T': mul = INT64_C(1) << 40; end++; break;
	default: return -1;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end)
		return -1;
	return (int64_t)(v * (double)mul);
}

/* An age like 30d, 12h, 2w (see vg_parse_time's units); -1 if bad. */
static int64_t parse_age(const char *s)
{
	char rel[64];
	vg_err e = {0};
	int64_t t;
	if (snprintf(rel, sizeof rel, "-%s", s) >= (int)sizeof rel || s[0] == '-' || s[0] == '@' ||
	    vg_parse_time(rel, 0, &t, &e) != 0 || t >= 0)
		return -1;
	return -t;
}

/* `vigil retention`: drop sealed segments older than --max-age or beyond
 * --max-size (oldest first). The hash chain keeps verifying: dropped
 * segments leave their hashes in the manifest. */
int vg_cmd_retention(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data", required_argument, 0, 'd'}, {"max-age", required_argument, 0, 'a'},
		{"max-size", required_argument, 0, 's'}, {0, 0, 0, 0},
	};
	const char *data = "./data";
	vg_store_opts so;
	vg_store_defaults(&so);
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': data = optarg; break;
		case 'a':
			so.retain_ns = parse_age(optarg);
			if (so.retain_ns <= 0)
				return vg_cli_fail("retention", VG_EINVAL,
						   "--max-age takes an age like 30d, 12h or 2w");
			break;
		case 's': {
			int64_t v = parse_size(optarg);
			if (v <= 0)
				return vg_cli_fail("retention", VG_EINVAL,
						   "--max-size takes a size like 500M, 20G or 1T");
			so.retain_bytes = (uint64_t)v;
			break;
		}
		default: return VG_EXIT_USER;
		}
	}
	if (so.retain_ns == 0 && so.retain_bytes == 0)
		return vg_cli_fail("retention", VG_EINVAL, "give --max-age, --max-size or both");
	vg_store *st;
	vg_err e = {0};
	if (vg_store_open(data, &so, &st, &e))
		return vg_cli_err("retention", &e);
	vg_store_stats before, after;
	vg_store_stats_get(st, &before);
	int rc = vg_store_retention(st, vg_now_ns(), &e);
	vg_store_stats_get(st, &after);
	vg_err e2 = {0};
	vg_store_close(st, &e2);
	if (rc)
		return vg_cli_err("retention", &e);
	printf("dropped %" PRIu64 " segments (%" PRIu64 " events, %" PRIu64 " bytes); %" PRIu64
	       " segments, %" PRIu64 " events, %" PRIu64 " bytes remain\n",
	       after.dropped_segments - before.dropped_segments, before.sealed_rows - after.sealed_rows,
	       before.sealed_bytes - after.sealed_bytes, after.segments, after.sealed_rows,
	       after.sealed_bytes);
	return VG_EXIT_OK;
}
