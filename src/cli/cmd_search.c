/*
 * cmd_search.c — `vigil search QUERY`: run a query on the embedded store
 * (--data) or on a server (--url, --token) and print events (newest
 * first) or a table.
 *
 * Both ways print the same bytes: the three output forms are rendered by
 * the library (vg_result_json, vg_result_csv, vg_result_table), here for
 * the store and on the server for --url, which asks /api/v1/search for
 * the form it wants (format=json|csv|table) and prints the answer as it
 * is. Rebuilding a result from the server's JSON to render it here would
 * be a second decoder of that document, and a lossy one: JSON does not
 * tell an integer 3 from the number 3.0, which the table and CSV print
 * differently.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/remote.h"
#include "query/cw.h"
#include "query/exec.h"
#include "query/geo.h"
#include "query/qparse.h"
#include "query/result_text.h"
#include "util/timeutil.h"

/* Print res in fmt to stdout; the table's note, if any, to stderr. */
static void print_result(const vg_result *res, vg_outfmt fmt)
{
	vg_buf out = {0};
	if (fmt == VG_OUT_TABLE) {
		vg_result_table(res, &out);
	} else if (fmt == VG_OUT_JSON) {
		vg_result_json(res, &out);
		vg_buf_putc(&out, '\n');
	} else {
		vg_result_csv(res, &out);
	}
	fwrite(out.p, 1, out.len, stdout);
	fflush(stdout);
	vg_buf_clear(&out);
	if (fmt == VG_OUT_TABLE && vg_result_note(res, &out))
		fprintf(stderr, "%.*s\n", (int)out.len, (const char *)out.p);
	vg_buf_free(&out);
}

/* What `vigil search` was asked, as given (a server reads the texts
 * itself). */
typedef struct search_args {
	const char *text, *cw, *from, *to, *limit, *timeout;
	const char *geoip, *geoip_asn;  /* .mmdb files; NULL: Debian's legacy GeoIP */
	const char *lookups;            /* NULL: <data>/lookups */
	double timeout_s;
	vg_outfmt fmt;
} search_args;

/* Run the search on the server behind rm and print its answer. */
static int search_remote(vg_remote *rm, const search_args *a)
{
	static const char *const fmt_names[] = {"table", "json", "csv"};
	const char *args[] = {
		"q", a->text, "cw", a->cw, "from", a->from, "to", a->to, "limit", a->limit,
		"timeout", a->timeout, "format", fmt_names[a->fmt], NULL,
	};
	/* The server bounds the query's time itself; this only guards
	 * against a server that never answers. */
	vg_http_call c = {
		.method = "GET", .path = "/api/v1/search", .args = args, .idempotent = 1,
		.timeout_s = a->timeout ? (long)a->timeout_s + 30 : 600,
	};
	vg_http_answer ans;
	vg_err e = {0};
	int rc = vg_remote_call(rm, &c, &ans, &e);
	if (rc == 0) {
		fwrite(ans.body.p, 1, ans.body.len, stdout);
		fflush(stdout);
		if (ans.note[0])
			fprintf(stderr, "%s\n", ans.note);
	}
	vg_http_answer_free(&ans);
	return rc ? vg_cli_err("search", &e) : VG_EXIT_OK;
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

static int uses_iplocation(const vg_query *q)
{
	for (uint32_t k = 0; k < q->ncmds; k++)
		if (q->cmds[k].kind == VG_CMD_IPLOCATION)
			return 1;
	return 0;
}

/* The GeoIP databases, opened only for a query that uses iplocation; when
 * they cannot be opened, the query fails at the command with why (*why
 * holds the message). */
static vg_geo *open_geo(const vg_query *q, const search_args *a, vg_err *why)
{
	vg_geo *g = NULL;
	vg_geo_opts go = {.mmdb_city = a->geoip, .mmdb_asn = a->geoip_asn};
	if (uses_iplocation(q) && vg_geo_open(&go, &g, why) != 0)
		return NULL;
	return g;
}

/* Run the search on the store in data and print the result. */
static int search_local(const char *data, const search_args *a, vg_exec_opts *eo)
{
	vg_err e = {0};
	vg_cw *cw = NULL;
	if (a->cw && vg_cw_compile(a->cw, strlen(a->cw), &cw, &e))
		return vg_cli_err("search --cw", &e);
	vg_query *q = NULL;
	int rc = vg_query_parse(a->text, strlen(a->text), eo->now_ns, &q, &e);
	if (rc == 0 && cw && q->search) {
		rc = vg_seterr(&e, VG_EINVAL, 0,
			       "with --cw the query may only hold a pipeline (| stats count ...)");
	}
	if (rc) {
		vg_query_free(q);
		vg_cw_free(cw);
		return vg_cli_err("search", &e);
	}
	eo->cw = cw;
	vg_err why = {0};
	vg_geo *geo = open_geo(q, a, &why);
	eo->geo = geo;
	eo->geo_error = why.msg;
	vg_buf lookups = {0};
	if (a->lookups)
		vg_buf_puts(&lookups, a->lookups);
	else
		vg_buf_printf(&lookups, "%s/lookups", data);
	vg_buf_putc(&lookups, 0);
	eo->lookups_dir = (const char *)lookups.p;
	eo->no_hist = a->fmt != VG_OUT_JSON; /* only json prints it */
	vg_store_opts so;
	vg_store_defaults(&so);
	so.readonly = 1;
	vg_store *st;
	rc = vg_store_open(data, &so, &st, &e);
	vg_result res;
	if (rc == 0) {
		rc = vg_exec(st, q, eo, &res, &e);
		vg_store_close(st, NULL);
	}
	if (rc == 0) {
		print_result(&res, a->fmt);
		vg_result_free(&res);
	}
	vg_query_free(q);
	vg_cw_free(cw);
	vg_geo_close(geo);
	vg_buf_free(&lookups);
	return rc ? vg_cli_err("search", &e) : VG_EXIT_OK;
}

int vg_cmd_search(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data", required_argument, 0, 'd'},   {"from", required_argument, 0, 'f'},
		{"to", required_argument, 0, 't'},     {"limit", required_argument, 0, 'l'},
		{"output", required_argument, 0, 'o'}, {"cw", required_argument, 0, 'c'},
		{"timeout", required_argument, 0, 'T'}, {"url", required_argument, 0, 'u'},
		{"token", required_argument, 0, 'k'},  {"geoip", required_argument, 0, 'g'},
		{"geoip-asn", required_argument, 0, 'a'}, {"lookups", required_argument, 0, 'L'},
		{0, 0, 0, 0},
	};
	const char *data = NULL, *url = NULL, *token = NULL;
	search_args a = {.fmt = VG_OUT_TABLE};
	vg_exec_opts eo = {.from = INT64_MIN, .to = INT64_MAX};
	vg_err e = {0};
	eo.now_ns = vg_now_ns();
	int c;
	char *end;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': data = optarg; break;
		case 'u': url = optarg; break;
		case 'k': token = optarg; break;
		case 'f':
			if (vg_parse_time(optarg, eo.now_ns, &eo.from, &e))
				return vg_cli_err("search", &e);
			a.from = optarg;
			break;
		case 't':
			if (vg_parse_time(optarg, eo.now_ns, &eo.to, &e))
				return vg_cli_err("search", &e);
			a.to = optarg;
			break;
		case 'l': {
			unsigned long v = strtoul(optarg, &end, 10);
			if (*optarg == 0 || *end || v == 0 || v > 1000000)
				return vg_cli_fail("search", VG_EINVAL, "--limit takes 1..1000000, not '%s'", optarg);
			eo.limit = (uint32_t)v;
			a.limit = optarg;
			break;
		}
		case 'T': {
			double v = strtod(optarg, &end);
			if (*optarg == 0 || *end || !(v > 0) || v > 86400)
				return vg_cli_fail("search", VG_EINVAL, "--timeout takes seconds, not '%s'", optarg);
			eo.timeout_ns = (int64_t)(v * 1e9);
			a.timeout = optarg;
			a.timeout_s = v;
			break;
		}
		case 'o':
			if (vg_cli_outfmt(optarg, &a.fmt))
				return vg_cli_fail("search", VG_EINVAL, "--output is table, json or csv, not '%s'",
						   optarg);
			break;
		case 'c': a.cw = optarg; break;
		case 'g': a.geoip = optarg; break;
		case 'a': a.geoip_asn = optarg; break;
		case 'L': a.lookups = optarg; break;
		default: return VG_EXIT_USER;
		}
	}
	if (optind >= argc && a.cw == NULL)
		return vg_cli_fail("search", VG_EINVAL, "no query (try: vigil search 'action=REJECT | top srcaddr')");
	vg_remote *rm;
	if (vg_remote_pick(data, url, token, &rm, &e))
		return vg_cli_err("search", &e);
	if (rm && (a.geoip || a.geoip_asn || a.lookups)) {
		vg_remote_close(rm);
		return vg_cli_fail("search", VG_EINVAL,
				   "--geoip, --geoip-asn and --lookups are for --data: a server reads its "
				   "own (geoip: in vigil.yml, DATA/lookups)");
	}
	char *text = join_args(argc, argv);
	a.text = text;
	int rc = rm ? search_remote(rm, &a) : search_local(data ? data : "./data", &a, &eo);
	vg_remote_close(rm);
	free(text);
	return rc;
}
