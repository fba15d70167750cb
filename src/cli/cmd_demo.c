/* cmd_demo.c — `vigil demo --out DIR`: write the demo data set. */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "demo/demo.h"
#include "util/timeutil.h"

int vg_cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = {
		{"out", required_argument, 0, 'o'},  {"days", required_argument, 0, 'd'},
		{"seed", required_argument, 0, 's'}, {"scale", required_argument, 0, 'x'},
		{"end", required_argument, 0, 'e'},  {"plain", no_argument, 0, 'p'},
		{"threads", required_argument, 0, 't'}, {0, 0, 0, 0},
	};
	vg_demo_opts o;
	vg_demo_defaults(&o);
	vg_err e = {0};
	int c;
	char *end;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'o': o.out = optarg; break;
		case 'd':
			o.days = (int)strtol(optarg, &end, 10);
			if (*end || o.days < 1 || o.days > VG_DEMO_MAX_DAYS)
				return vg_cli_fail("demo", VG_EINVAL, "--days takes 1 to %d", VG_DEMO_MAX_DAYS);
			break;
		case 's':
			o.seed = strtoull(optarg, &end, 10);
			if (*end)
				return vg_cli_fail("demo", VG_EINVAL, "--seed takes a whole number");
			break;
		case 'x':
			o.scale = strtod(optarg, &end);
			if (*end || !(o.scale > 0) || o.scale > VG_DEMO_MAX_SCALE)
				return vg_cli_fail("demo", VG_EINVAL, "--scale takes a number in (0, %g]",
						   VG_DEMO_MAX_SCALE);
			break;
		case 'e':
			if (vg_parse_time(optarg, vg_now_ns(), &o.end_ns, &e))
				return vg_cli_err("demo", &e);
			break;
		case 'p': o.gzip = 0; break;
		case 't':
			o.threads = (int)strtol(optarg, &end, 10);
			if (*end || o.threads < 1 || o.threads > VG_DEMO_MAX_THREADS)
				return vg_cli_fail("demo", VG_EINVAL, "--threads takes 1 to %d",
						   VG_DEMO_MAX_THREADS);
			break;
		default: return VG_EXIT_USER;
		}
	}
	if (o.out == NULL)
		return vg_cli_fail("demo", VG_EINVAL, "--out DIR is required");
	vg_demo_stats st;
	if (vg_demo_write(&o, &st, &e))
		return vg_cli_err("demo", &e);
	printf("wrote %" PRIu64 " files (%.1f MB) to %s: %" PRIu64 " flow records, %" PRIu64
	       " CloudTrail records, %" PRIu64 " configuration items, %" PRIu64 " syslog lines\n",
	       st.files, (double)st.bytes / 1e6, o.out, st.flow_records, st.cloudtrail_records,
	       st.config_items, st.syslog_lines);
	printf("account %s; awscli outputs: vigil ingest --format awscli --account %s %s/awscli\n",
	       st.account, st.account, o.out);
	return VG_EXIT_OK;
}
