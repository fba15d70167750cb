/*
 * cmd_search.c — `vigil search QUERY`: run a query on the embedded store
 * and print events (newest first) or a table.
 */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "event/value.h"
#include "query/cw.h"
#include "query/exec.h"
#include "query/qparse.h"
#include "util/timeutil.h"

/* The text of each cell, for the table: times in ISO-8601. */
static char **cell_texts(const vg_result *r)
{
	size_t n = (size_t)r->nrows * r->ncols;
	char **t = calloc(n ? n : 1, sizeof *t);
	if (t == NULL)
		abort();
	for (size_t k = 0; k < n; k++) {
		vg_buf b = {0};
		const vg_val *v = &r->cells[k];
		if (strcmp(r->columns[k % r->ncols], "_time") == 0 && v->kind == VG_V_NUM) {
			/* Times read as times on a terminal (JSON and CSV keep
			 * epoch seconds, for programs). */
			char ts[48];
			double secs = v->isint ? (double)v->i : v->d;
			vg_buf_put(&b, ts, vg_format_iso8601((int64_t)(secs * 1e9), ts, 0));
		} else {
			vg_val_text(v, &b);
		}
		vg_buf_putc(&b, 0);
		t[k] = (char *)b.p;
	}
	return t;
}

static void print_rows(const vg_result *r)
{
	char **t = cell_texts(r);
	size_t n = (size_t)r->nrows * r->ncols;
	size_t *w = calloc(r->ncols ? r->ncols : 1, sizeof *w);
	if (w == NULL)
		abort();
	for (uint32_t c = 0; c < r->ncols; c++)
		w[c] = strlen(r->columns[c]);
	for (size_t k = 0; k < n; k++) {
		size_t l = strlen(t[k]);
		if (l > w[k % r->ncols])
			w[k % r->ncols] = l;
	}
	/* Numbers right-aligned; no padding after the last column. */
	for (uint32_t c = 0; c < r->ncols; c++) {
		int last = c + 1 == r->ncols;
		printf("%-*s%s", last ? 0 : (int)w[c], r->columns[c], last ? "\n" : "  ");
	}
	for (uint32_t row = 0; row < r->nrows; row++)
		for (uint32_t c = 0; c < r->ncols; c++) {
			const char *s = t[(size_t)row * r->ncols + c];
			int right = r->cells[(size_t)row * r->ncols + c].kind == VG_V_NUM;
			int last = c + 1 == r->ncols;
			printf(right ? "%*s%s" : "%-*s%s", !right && last ? 0 : (int)w[c], s,
			       last ? "\n" : "  ");
		}
	free(w);
	for (size_t k = 0; k < n; k++)
		free(t[k]);
	free(t);
}

/* Events as `time  group  raw` lines, newest first. */
static void print_events(const vg_result *r)
{
	for (uint32_t k = 0; k < r->nevents; k++) {
		cJSON *j = cJSON_ParseWithLength(r->events[k].json, r->events[k].len);
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "_time");
		const cJSON *g = cJSON_GetObjectItemCaseSensitive(j, "_group");
		const cJSON *raw = cJSON_GetObjectItemCaseSensitive(j, "_raw");
		printf("%s  %s  %s\n", cJSON_IsString(t) ? t->valuestring : "",
		       cJSON_IsString(g) ? g->valuestring : "",
		       cJSON_IsString(raw) ? raw->valuestring : "");
		cJSON_Delete(j);
	}
	if (r->truncated)
		fprintf(stderr, "(%llu events matched; the newest %u shown: --limit N shows more)\n",
			(unsigned long long)r->stats.events_matched, r->nevents);
}

/* Join the remaining arguments into one query text. */
static char *join_args(int argc, char **argv)
{
	vg_buf b = {0};
	for (int k = optind; k < argc; k++) {
		if (k > optind)
			vg_buf_putc(&b, ' ');
		vg_buf_puts(&b, argv[k]);
	}
	vg_buf_putc(&b, 0);
	return (char *)b.p;
}

int vg_cmd_search(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data", required_argument, 0, 'd'},   {"from", required_argument, 0, 'f'},
		{"to", required_argument, 0, 't'},     {"limit", required_argument, 0, 'l'},
		{"output", required_argument, 0, 'o'}, {"cw", required_argument, 0, 'c'},
		{"timeout", required_argument, 0, 'T'}, {0, 0, 0, 0},
	};
	const char *data = "./data", *cwpat = NULL;
	vg_outfmt fmt = VG_OUT_TABLE;
	vg_exec_opts eo = {.from = INT64_MIN, .to = INT64_MAX};
	vg_err e = {0};
	eo.now_ns = vg_now_ns();
	int c;
	char *end;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': data = optarg; break;
		case 'f':
			if (vg_parse_time(optarg, eo.now_ns, &eo.from, &e))
				return vg_cli_err("search", &e);
			break;
		case 't':
			if (vg_parse_time(optarg, eo.now_ns, &eo.to, &e))
				return vg_cli_err("search", &e);
			break;
		case 'l': {
			unsigned long v = strtoul(optarg, &end, 10);
			if (*optarg == 0 || *end || v == 0 || v > 1000000)
				return vg_cli_fail("search", VG_EINVAL, "--limit takes 1..1000000, not '%s'", optarg);
			eo.limit = (uint32_t)v;
			break;
		}
		case 'T': {
			double v = strtod(optarg, &end);
			if (*optarg == 0 || *end || !(v > 0) || v > 86400)
				return vg_cli_fail("search", VG_EINVAL, "--timeout takes seconds, not '%s'", optarg);
			eo.timeout_ns = (int64_t)(v * 1e9);
			break;
		}
		case 'o':
			if (vg_cli_outfmt(optarg, &fmt))
				return vg_cli_fail("search", VG_EINVAL, "--output is table, json or csv, not '%s'",
						   optarg);
			break;
		case 'c': cwpat = optarg; break;
		default: return VG_EXIT_USER;
		}
	}
	if (optind >= argc && cwpat == NULL)
		return vg_cli_fail("search", VG_EINVAL, "no query (try: vigil search 'action=REJECT | top srcaddr')");
	char *text = join_args(argc, argv);
	vg_cw *cw = NULL;
	if (cwpat && vg_cw_compile(cwpat, strlen(cwpat), &cw, &e)) {
		free(text);
		return vg_cli_err("search --cw", &e);
	}
	vg_query *q = NULL;
	int rc = vg_query_parse(text, strlen(text), eo.now_ns, &q, &e);
	if (rc == 0 && cw && q->search) {
		rc = vg_seterr(&e, VG_EINVAL, 0,
			       "with --cw the query may only hold a pipeline (| stats count ...)");
	}
	if (rc) {
		free(text);
		vg_cw_free(cw);
		return vg_cli_err("search", &e);
	}
	eo.cw = cw;
	vg_store_opts so;
	vg_store_defaults(&so);
	so.readonly = 1;
	vg_store *st;
	rc = vg_store_open(data, &so, &st, &e);
	vg_result res;
	if (rc == 0) {
		rc = vg_exec(st, q, &eo, &res, &e);
		vg_store_close(st, NULL);
	}
	if (rc == 0) {
		if (fmt == VG_OUT_TABLE) {
			if (res.table)
				print_rows(&res);
			else
				print_events(&res);
		} else {
			vg_buf out = {0};
			if (fmt == VG_OUT_JSON) {
				vg_result_json(&res, &out);
				vg_buf_putc(&out, '\n');
			} else {
				vg_result_csv(&res, &out);
			}
			fwrite(out.p, 1, out.len, stdout);
			vg_buf_free(&out);
		}
		vg_result_free(&res);
	}
	vg_query_free(q);
	vg_cw_free(cw);
	free(text);
	fflush(stdout);
	return rc ? vg_cli_err("search", &e) : VG_EXIT_OK;
}
