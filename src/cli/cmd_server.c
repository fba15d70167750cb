/*
 * cmd_server.c — `vigil server`: settings from vigil.yml (--config, or
 * ./vigil.yml when present) and flags that override them, then
 * vg_server_run until SIGINT/SIGTERM.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "server/server.h"

/* Long options without a one-letter twin. */
enum { OPT_SYSLOG_TLS = 0x100, OPT_RELP, OPT_TLS_CERT, OPT_TLS_KEY };

int vg_cmd_server(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data", required_argument, 0, 'd'},       {"listen", required_argument, 0, 'l'},
		{"syslog-tcp", required_argument, 0, 't'}, {"syslog-udp", required_argument, 0, 'u'},
		{"syslog-tls", required_argument, 0, OPT_SYSLOG_TLS},
		{"relp", required_argument, 0, OPT_RELP},
		{"tls-cert", required_argument, 0, OPT_TLS_CERT}, {"tls-key", required_argument, 0, OPT_TLS_KEY},
		{"config", required_argument, 0, 'c'},     {"max-body", required_argument, 0, 'b'},
		{"max-queue", required_argument, 0, 'q'},  {"max-queries", required_argument, 0, 'Q'},
		{0, 0, 0, 0},
	};
	vg_server_opts o;
	vg_server_defaults(&o);
	/* The config file first, so that flags override it. */
	const char *config = NULL;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if (c == 'c')
			config = optarg;
	if (config == NULL && access("vigil.yml", R_OK) == 0)
		config = "vigil.yml";
	vg_server_config keep = {0};
	vg_err e = {0};
	if (config && vg_server_config_load(config, &o, &keep, &e) != 0)
		return vg_cli_err("server", &e);
	optind = 1;
	opterr = 1;
	int rc = 0;
	while (rc == 0 && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': o.data = optarg; break;
		case 'l': o.listen = optarg; break;
		case 't': o.syslog_tcp = optarg; break;
		case 'u': o.syslog_udp = optarg; break;
		case OPT_SYSLOG_TLS: o.syslog_tls = optarg; break;
		case OPT_RELP: o.relp = optarg; break;
		case OPT_TLS_CERT: o.tls_cert = optarg; break;
		case OPT_TLS_KEY: o.tls_key = optarg; break;
		case 'c': break;
		case 'b':
			if (vg_server_parse_size(optarg, &o.max_body) || o.max_body == 0)
				rc = vg_cli_fail("server", VG_EINVAL, "--max-body takes a size like 64M");
			break;
		case 'q':
			if (vg_server_parse_size(optarg, &o.max_queue) || o.max_queue == 0)
				rc = vg_cli_fail("server", VG_EINVAL, "--max-queue takes a size like 256M");
			break;
		case 'Q': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || v == 0 || v > 1000)
				rc = vg_cli_fail("server", VG_EINVAL, "--max-queries takes 1..1000");
			o.max_queries = (unsigned)v;
			break;
		}
		default: rc = VG_EXIT_USER;
		}
	}
	if (rc == 0 && optind < argc)
		rc = vg_cli_fail("server", VG_EINVAL, "unexpected argument '%s'", argv[optind]);
	/* Tests only: the cheapest password hashing, so that a sanitized
	 * build logs in within milliseconds. */
	const char *fast = getenv("VIGIL_TEST_FAST_AUTH");
	o.auth_fast = fast && strcmp(fast, "1") == 0;
	/* Tests only: a file holding the free disk bytes the server believes,
	 * so that a test can fill and free the disk (server/writer.h). */
	o.test_free_file = getenv("VIGIL_TEST_FREE_FILE");
	if (rc == 0 && vg_server_run(&o, &e) != 0)
		rc = vg_cli_err("server", &e);
	vg_server_config_free(&keep);
	return rc;
}
