/*
 * config.c — vigil.yml: the server's settings as a YAML mapping of
 * scalars, read with libyaml's event parser.
 *
 *     data: /var/lib/vigil
 *     listen: 127.0.0.1:8080
 *     syslog_tcp: 0.0.0.0:6514
 *     syslog_udp: 0.0.0.0:514
 *     max_body: 64M             # bytes of one request (K, M, G suffixes)
 *     max_queue: 256M           # bytes of requests waiting for the disk
 *     max_connections: 256
 *     max_queries: 4            # running at once
 *     query_timeout: 30         # seconds
 *
 * An unknown key or a value of the wrong shape is an error naming the line:
 * a typo in a setting must not be silently ignored. Flags on the command
 * line override the file (cmd_server.c applies them after).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "server/server.h"
#include "util/mem.h"

int vg_server_parse_size(const char *v, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (end == v || errno)
		return -1;
	uint64_t mul = 1;
	if (*end == 'K' || *end == 'k')
		mul = 1024, end++;
	else if (*end == 'M' || *end == 'm')
		mul = 1024 * 1024, end++;
	else if (*end == 'G' || *end == 'g')
		mul = 1024ull * 1024 * 1024, end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || n > UINT64_MAX / mul)
		return -1;
	*out = n * mul;
	return 0;
}

/* Apply one key: value to o. Strings are kept in *keep (freed by
 * vg_server_config_free). */
static int apply(vg_server_opts *o, const char *k, const char *v, size_t line, char ***keep,
		 size_t *nkeep, vg_err *err)
{
	uint64_t n = 0;
	const char **str = NULL;
	if (strcmp(k, "data") == 0)
		str = &o->data;
	else if (strcmp(k, "listen") == 0)
		str = &o->listen;
	else if (strcmp(k, "syslog_tcp") == 0)
		str = &o->syslog_tcp;
	else if (strcmp(k, "syslog_udp") == 0)
		str = &o->syslog_udp;
	if (str) {
		char *c = vg_xstrndup(v, strlen(v));
		*keep = vg_xrealloc(*keep, (*nkeep + 1) * sizeof **keep);
		(*keep)[(*nkeep)++] = c;
		*str = c;
		return 0;
	}
	if (strcmp(k, "max_body") == 0 || strcmp(k, "max_queue") == 0 || strcmp(k, "min_free") == 0) {
		if (vg_server_parse_size(v, &n) || (n == 0 && k[1] == 'a'))
			return vg_seterr(err, VG_EINVAL, (int64_t)line,
					 "line %zu: %s takes a size like 64M, not '%s'", line, k, v);
		if (k[1] == 'i')
			o->min_free = n;
		else if (k[4] == 'b')
			o->max_body = n;
		else
			o->max_queue = n;
		return 0;
	}
	if (strcmp(k, "max_connections") == 0 || strcmp(k, "max_queries") == 0 ||
	    strcmp(k, "query_timeout") == 0) {
		if (vg_server_parse_size(v, &n) || n == 0 || n > 100000)
			return vg_seterr(err, VG_EINVAL, (int64_t)line,
					 "line %zu: %s takes a number 1..100000, not '%s'", line, k, v);
		if (k[4] == 'c')
			o->max_connections = (unsigned)n;
		else if (k[4] == 'q')
			o->max_queries = (unsigned)n;
		else
			o->query_timeout_ns = (int64_t)n * 1000000000;
		return 0;
	}
	return vg_seterr(err, VG_EINVAL, (int64_t)line,
			 "line %zu: unknown setting '%s' (data, listen, syslog_tcp, syslog_udp, max_body, "
			 "max_queue, min_free, max_connections, max_queries, query_timeout)", line, k);
}

int vg_server_config_load(const char *path, vg_server_opts *o, vg_server_config *keep,
			  vg_err *err)
{
	memset(keep, 0, sizeof *keep);
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return vg_seterr(err, VG_EINVAL, -1, "cannot read %s: %s", path, strerror(errno));
	yaml_parser_t p;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_file(&p, f);
	int rc = 0, depth = 0, done = 0;
	char *key = NULL;
	while (rc == 0 && !done) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&p, &ev)) {
			rc = vg_seterr(err, VG_EINVAL, (int64_t)p.problem_mark.line + 1, "%s: line %zu: %s",
				       path, p.problem_mark.line + 1, p.problem ? p.problem : "bad YAML");
			break;
		}
		size_t line = ev.start_mark.line + 1;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT: done = 1; break;
		case YAML_MAPPING_START_EVENT:
			if (++depth > 1)
				rc = vg_seterr(err, VG_EINVAL, (int64_t)line,
					       "%s: line %zu: '%s' takes a single value, not a mapping", path,
					       line, key ? key : "?");
			break;
		case YAML_MAPPING_END_EVENT: depth--; break;
		case YAML_SEQUENCE_START_EVENT:
			rc = vg_seterr(err, VG_EINVAL, (int64_t)line,
				       "%s: line %zu: '%s' takes a single value, not a list", path, line,
				       key ? key : "?");
			break;
		case YAML_SCALAR_EVENT: {
			const char *v = (const char *)ev.data.scalar.value;
			if (depth != 1) {
				rc = vg_seterr(err, VG_EINVAL, (int64_t)line,
					       "%s: line %zu: the file must be a mapping of settings", path, line);
			} else if (key == NULL) {
				key = vg_xstrndup(v, strlen(v));
			} else {
				rc = apply(o, key, v, line, &keep->strs, &keep->n, err);
				free(key);
				key = NULL;
			}
			break;
		}
		default: break;
		}
		yaml_event_delete(&ev);
	}
	free(key);
	yaml_parser_delete(&p);
	fclose(f);
	return rc;
}

void vg_server_config_free(vg_server_config *keep)
{
	for (size_t k = 0; k < keep->n; k++)
		free(keep->strs[k]);
	free(keep->strs);
	memset(keep, 0, sizeof *keep);
}
