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
	 "vigil ingest [--data DIR | --url URL --token T] [--format F] [--group G] [--account ID] "
	 "[--output table|json|csv] "
	 "[--progress] [--seal] [--seal-rows N] [--commit-every BYTES] FILE|DIR|-...",
	 "Load files, directories (recursively), .gz files or - (stdin) into the store.\n"
	 "--format auto|vpcflow|cloudtrail|awsconfig|awscli|syslog|json|logfmt|text (default auto:\n"
	 "detected per file). --group overrides the group each format picks (vpcflow, cloudtrail,\n"
	 "awsconfig, syslog ...). --account is needed for awscli outputs, which do not carry it.\n"
	 "Events are reported stored only once durable; lines that do not parse are stored raw\n"
	 "with _parse_error and counted. --progress prints a line per durable commit to stderr;\n"
	 "--seal seals the unsealed events into segments before exiting. --seal-rows (default\n"
	 "4194304) is how many unsealed events trigger a seal; --commit-every BYTES also commits\n"
	 "after that much input (default: only when the memtable is full, and at the end).\n"
	 "With --url URL --token T (an ingest or admin token) the inputs go to a running server\n"
	 "instead, in bodies of at most 8 MiB cut on line boundaries (documents whole, a small .gz\n"
	 "file as it is); the report counts what the server acknowledged as durable. VIGIL_URL and\n"
	 "VIGIL_TOKEN stand in for --url and --token; --data takes precedence over VIGIL_URL."},
	{"cat", vg_cmd_cat, "vigil cat [--data DIR] [--group G] [--from T] [--to T]",
	 "Print stored events as JSON lines in time order. Times: ISO-8601, epoch seconds, or\n"
	 "relative (-7d, -1h@h, @d)."},
	{"search", vg_cmd_search,
	 "vigil search [--data DIR | --url URL --token T] [--from T] [--to T] [--limit N] "
	 "[--output table|json|csv] "
	 "[--timeout SECONDS] [--cw PATTERN] [--geoip MMDB] [--geoip-asn MMDB] "
	 "[--lookups DIR] [QUERY]",
	 "Run a query: search terms and field comparisons, then a pipeline of commands\n"
	 "(\"not authorized to perform\" earliest=-7d | timechart span=1h count;\n"
	 "group=vpcflow action=REJECT | top 10 srcaddr). Events print newest first, at most\n"
	 "--limit (default 100); a pipeline ending in stats, top, rare or timechart prints a\n"
	 "table. --output json gives one document with the events or rows, a histogram of the\n"
	 "matching events over time and the work done. --cw takes a CloudWatch Logs filter\n"
	 "pattern instead of the search part ('{ $.errorCode = \"AccessDenied*\" }'); QUERY may\n"
	 "then hold a pipeline (| stats count by eventName). With --url URL --token T (an analyst\n"
	 "or admin token) a running server runs the query and the output is the same; VIGIL_URL\n"
	 "and VIGIL_TOKEN stand in for --url and --token. iplocation reads Debian's\n"
	 "geoip-database unless --geoip names a MaxMind City or Country database (--geoip-asn\n"
	 "an ASN one); lookup reads DIR/NAME.csv (--lookups, default DATA/lookups)."},
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
	{"server", vg_cmd_server,
	 "vigil server [--data DIR] [--listen ADDR:PORT] [--syslog-tcp ADDR:PORT] "
	 "[--syslog-udp ADDR:PORT] [--syslog-tls ADDR:PORT] [--relp ADDR:PORT] "
	 "[--tls-cert FILE --tls-key FILE] [--config FILE] [--max-body SIZE] [--max-queue SIZE] "
	 "[--max-queries N]",
	 "Serve the store: ingest endpoints (POST /api/v1/ingest, Elasticsearch bulk, Splunk HEC,\n"
	 "Loki push, AWS Config items, syslog over TCP and UDP, syslog over TLS (RFC 5425) with\n"
	 "--tls-cert/--tls-key, RELP for rsyslog's omrelp, acknowledged only once durable), the\n"
	 "query API (/api/v1/search, /api/v1/fields), /metrics and /healthz. Settings come from\n"
	 "vigil.yml (--config FILE, or\n"
	 "./vigil.yml when present); flags override them. Every endpoint but /healthz needs an API\n"
	 "token (vigil token create) or a login; on the first start an admin account is created\n"
	 "and its password printed once. A 2xx answer to an ingest request means the events are\n"
	 "durable. SIGINT or SIGTERM stops the server after the running requests finish."},
	{"inspect", vg_cmd_inspect, "vigil inspect SEGMENT.vseg...",
	 "Show where a segment's bytes go: rows, blocks, and bytes per column."},
	{"user", vg_cmd_user,
	 "vigil user add NAME --role admin|analyst|ingest [--password-stdin] | del NAME | "
	 "passwd NAME [--password-stdin] | disable NAME | enable NAME | list [--output table|json|csv] "
	 "[--data DIR]",
	 "Manage the users who log in to `vigil server`, in DIR/auth.db (also while the server\n"
	 "runs). Roles: admin (everything, users and tokens included), analyst (search and read,\n"
	 "no changes, no ingest), ingest (send events only). add and passwd read the password\n"
	 "from the first line of stdin with --password-stdin (12 characters at least), or else\n"
	 "generate a strong one and print it, alone on stdout, this once. passwd, disable and del\n"
	 "end the user's sessions; del also revokes the tokens it owns. The last enabled admin\n"
	 "cannot be deleted or disabled. User names: lowercase letters, digits, . _ @ -."},
	{"token", vg_cmd_token,
	 "vigil token create --role admin|analyst|ingest [--name TEXT] [--owner USER] | list "
	 "[--output table|json|csv] | revoke ID [--data DIR]",
	 "Manage API tokens (Authorization: Bearer TOKEN) in DIR/auth.db. create prints the new\n"
	 "token alone on stdout; it is shown this once, and only its hash is kept. Tokens look\n"
	 "like vgt_<16 hex id>_<64 hex secret>, so a leaked one is easy to grep for. list shows\n"
	 "ids, roles, owners, last use and status, never secrets. revoke takes the id (or the\n"
	 "whole token) and takes effect at the server's next request."},
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
