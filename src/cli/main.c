/*
 * main.c — `vigil <command> [options]`.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

typedef struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
	const char *help;
} command;

static const command commands[] = {
	{"ingest", vg_cmd_ingest,
	 "vigil ingest [--data DIR] [--format F] [--group G] [--account ID] [--output table|json|csv] "
	 "[--progress] [--seal] [--seal-rows N] [--commit-every BYTES] FILE|DIR|-...",
	 "Load files, directories (recursively), .gz files or - (stdin) into the store.\n"
	 "--format auto|vpcflow|cloudtrail|awsconfig|awscli|syslog|json|logfmt|text (default auto:\n"
	 "detected per file). --group overrides the group each format picks (vpcflow, cloudtrail,\n"
	 "awsconfig, syslog ...). --account is needed for awscli outputs, which do not carry it.\n"
	 "Events are reported stored only once durable; lines that do not parse are stored raw\n"
	 "with _parse_error and counted. --progress prints a line per durable commit to stderr;\n"
	 "--seal seals the unsealed events into segments before exiting. --seal-rows (default\n"
	 "4194304) is how many unsealed events trigger a seal; --commit-every BYTES also commits\n"
	 "after that much input (default: only when the memtable is full, and at the end)."},
	{"cat", vg_cmd_cat, "vigil cat [--data DIR] [--group G] [--from T] [--to T]",
	 "Print stored events as JSON lines in time order. Times: ISO-8601, epoch seconds, or\n"
	 "relative (-7d, -1h@h, @d)."},
	{"search", vg_cmd_search,
	 "vigil search [--data DIR] [--from T] [--to T] [--limit N] [--output table|json|csv] "
	 "[--timeout SECONDS] [--cw PATTERN] [QUERY]",
	 "Run a query: search terms and field comparisons, then a pipeline of commands\n"
	 "(\"not authorized to perform\" earliest=-7d | timechart span=1h count;\n"
	 "group=vpcflow action=REJECT | top 10 srcaddr). Events print newest first, at most\n"
	 "--limit (default 100); a pipeline ending in stats, top, rare or timechart prints a\n"
	 "table. --output json gives one document with the events or rows, a histogram of the\n"
	 "matching events over time and the work done. --cw takes a CloudWatch Logs filter\n"
	 "pattern instead of the search part ('{ $.errorCode = \"AccessDenied*\" }'); QUERY may\n"
	 "then hold a pipeline (| stats count by eventName)."},
	{"check", vg_cmd_check, "vigil check [--data DIR] [--quiet] [--verbose]",
	 "Verify the store: every segment's content hash, the hash chain across segments, that\n"
	 "every column decodes, and the write-ahead log. Exit status 0 only when all verifies."},
	{"demo", vg_cmd_demo,
	 "vigil demo --out DIR [--days 7] [--seed N] [--scale N] [--end T] [--plain] [--threads N]",
	 "Write the demo data set (VPC flow logs, CloudTrail, AWS Config, awscli outputs, auth.log\n"
	 "with an attack in it) as files in AWS's own layouts. --plain writes uncompressed files."},
	{"retention", vg_cmd_retention, "vigil retention [--data DIR] [--max-age AGE] [--max-size SIZE]",
	 "Drop sealed segments whose newest event is older than AGE (30d, 12h, 2w), then the\n"
	 "oldest until the store holds at most SIZE (500M, 20G, 1T). Unsealed events are never\n"
	 "dropped. The hash chain still verifies: a dropped segment leaves its hashes behind."},
	{"inspect", vg_cmd_inspect, "vigil inspect SEGMENT.vseg...",
	 "Show where a segment's bytes go: rows, blocks, and bytes per column."},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: vigil <command> [options]\n\ncommands:\n");
	for (size_t k = 0; k < sizeof commands / sizeof *commands; k++)
		fprintf(f, "  %s\n", commands[k].usage);
	fprintf(f, "\n`vigil help <command>` explains a command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return VG_EXIT_USER;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		if (argc < 3) {
			usage(stdout);
			return VG_EXIT_OK;
		}
		for (size_t k = 0; k < sizeof commands / sizeof *commands; k++) {
			if (strcmp(commands[k].name, argv[2]) == 0) {
				printf("usage: %s\n\n%s\n", commands[k].usage, commands[k].help);
				return VG_EXIT_OK;
			}
		}
		fprintf(stderr, "vigil help: no command '%s'\n", argv[2]);
		return VG_EXIT_USER;
	}
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("vigil 0.1\n");
		return VG_EXIT_OK;
	}
	for (size_t k = 0; k < sizeof commands / sizeof *commands; k++)
		if (strcmp(commands[k].name, cmd) == 0)
			return commands[k].run(argc - 1, argv + 1);
	fprintf(stderr, "vigil: unknown command '%s'\n", cmd);
	usage(stderr);
	return VG_EXIT_USER;
}
