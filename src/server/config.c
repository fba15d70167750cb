/*
 * config.c — vigil.yml: the server's settings as a YAML mapping of
 * scalars, read with libyaml's event parser.
 *
 *     data: /var/lib/vigil
 *     listen: 127.0.0.1:8080
 *     syslog_tcp: 0.0.0.0:6514
 *     syslog_udp: 0.0.0.0:514
 *     syslog_tls: 0.0.0.0:6515  # RFC 5425: octet counting over TLS
 *     relp: 0.0.0.0:2514        # RELP (rsyslog's omrelp), acknowledged once durable
 *     tls_cert: /etc/vigil/cert.pem  # for syslog_tls (PEM, chain first)
 *     tls_key: /etc/vigil/key.pem
 *     max_body: 64M             # bytes of one request (K, M, G suffixes)
 *     max_queue: 256M           # bytes of requests waiting for the disk
 *     min_free: 512M            # disk kept free: every ingest path holds back below
 *     max_connections: 256
 *     max_queries: 4            # running at once
 *     query_timeout: 30         # seconds
 *     geoip: /var/lib/GeoIP/GeoLite2-City.mmdb  # iplocation; default: Debian's
 *                               # geoip-database (/usr/share/GeoIP, countries)
 *     geoip_asn: /var/lib/GeoIP/GeoLite2-ASN.mmdb  # optional: AS numbers
 *     tail:                     # files to follow (server/tailer.c)
 *       - /var/log/auth.log     # short form: a path or glob, format auto
 *       - path: /var/log/nginx/[a-z]*.log
 *         format: auto          # or syslog, json, logfmt, text, ...
 *         group: nginx          # optional; the format's own otherwise
 *         exclude: "*.gz"       # optional glob
 *
 * The `tail:` list is the one setting that is not a scalar: a sequence
 * whose items are a scalar (the short form) or a mapping of the four keys
 * above; it is read by its own small loop over the parser's events
 * (read_tail), so the flat loop below keeps refusing lists and mappings
 * everywhere else.
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

#include "parse/parse.h"
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

/* A copy of v that lives until vg_server_config_free. */
static const char *keep_str(vg_server_config *keep, const char *v)
{
	char *c = vg_xstrndup(v, strlen(v));
	keep->strs = vg_xrealloc(keep->strs, (keep->n + 1) * sizeof *keep->strs);
	keep->strs[keep->n++] = c;
	return c;
}

/* Apply one key: value to o. Strings are kept in keep (freed by
 * vg_server_config_free). */
static int apply(vg_server_opts *o, const char *k, const char *v, size_t line,
		 vg_server_config *keep, vg_err *err)
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
	else if (strcmp(k, "syslog_tls") == 0)
		str = &o->syslog_tls;
	else if (strcmp(k, "relp") == 0)
		str = &o->relp;
	else if (strcmp(k, "tls_cert") == 0)
		str = &o->tls_cert;
	else if (strcmp(k, "tls_key") == 0)
		str = &o->tls_key;
	else if (strcmp(k, "geoip") == 0)
		str = &o->geoip;
	else if (strcmp(k, "geoip_asn") == 0)
		str = &o->geoip_asn;
	if (str) {
		*str = keep_str(keep, v);
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
			 "line %zu: unknown setting '%s' (data, listen, syslog_tcp, syslog_udp, syslog_tls, "
			 "relp, tls_cert, tls_key, max_body, "
			 "max_queue, min_free, max_connections, max_queries, query_timeout, geoip, "
			 "geoip_asn, tail)", line, k);
}

/* Set key k of tail entry t to v; an unknown key or a bad value is an
 * error naming the line. */
static int tail_key(vg_server_config *keep, vg_tail_spec *t, const char *k, const char *v,
		    size_t line, vg_err *err)
{
	if (strcmp(k, "path") == 0) {
		if (*v == 0)
			return vg_seterr(err, VG_EINVAL, (int64_t)line, "line %zu: empty tail path", line);
		t->path = keep_str(keep, v);
	} else if (strcmp(k, "format") == 0) {
		if (strcmp(v, "auto") != 0 && vg_format_find(v) == NULL)
			return vg_seterr(err, VG_EINVAL, (int64_t)line,
					 "line %zu: unknown format '%s' (auto, vpcflow, cloudtrail, awsconfig, "
					 "awscli, syslog, json, logfmt, text)", line, v);
		t->format = keep_str(keep, v);
	} else if (strcmp(k, "group") == 0) {
		if (*v == 0 || *v == '_')
			return vg_seterr(err, VG_EINVAL, (int64_t)line,
					 "line %zu: group '%s' is empty or starts with '_' (reserved for "
					 "vigil's own groups)", line, v);
		t->group = keep_str(keep, v);
	} else if (strcmp(k, "exclude") == 0) {
		t->exclude = *v ? keep_str(keep, v) : NULL;
	} else {
		return vg_seterr(err, VG_EINVAL, (int64_t)line,
				 "line %zu: unknown key '%s' in a tail entry (path, format, group, exclude)",
				 line, k);
	}
	return 0;
}

/* A new tail entry with the defaults, appended to keep. */
static vg_tail_spec *tail_add(vg_server_config *keep)
{
	vg_grow(&keep->tail, &keep->captail, keep->ntail + 1, sizeof *keep->tail);
	vg_tail_spec *t = &keep->tail[keep->ntail++];
	memset(t, 0, sizeof *t);
	t->format = "auto";
	return t;
}

/* One event of p, or an error naming the line. */
static int next_event(yaml_parser_t *p, const char *path, yaml_event_t *ev, vg_err *err)
{
	if (yaml_parser_parse(p, ev))
		return 0;
	return vg_seterr(err, VG_EINVAL, (int64_t)p->problem_mark.line + 1, "%s: line %zu: %s", path,
			 p->problem_mark.line + 1, p->problem ? p->problem : "bad YAML");
}

/* One mapping item of the tail list, after its MAPPING_START: scalar keys
 * and values up to MAPPING_END. */
static int read_tail_map(yaml_parser_t *p, const char *path, vg_server_config *keep,
			 size_t start, vg_err *err)
{
	vg_tail_spec *t = tail_add(keep);
	char *key = NULL;
	int rc = 0, done = 0;
	while (rc == 0 && !done) {
		yaml_event_t ev;
		if ((rc = next_event(p, path, &ev, err)) != 0)
			break;
		size_t line = ev.start_mark.line + 1;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			done = 1;
		} else if (ev.type != YAML_SCALAR_EVENT) {
			rc = vg_seterr(err, VG_EINVAL, (int64_t)line,
				       "%s: line %zu: a tail entry's %s takes a single value", path, line,
				       key ? key : "key");
		} else if (key == NULL) {
			key = vg_xstrndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
		} else {
			rc = tail_key(keep, t, key, (const char *)ev.data.scalar.value, line, err);
			free(key);
			key = NULL;
		}
		yaml_event_delete(&ev);
	}
	free(key);
	if (rc == 0 && t->path == NULL)
		rc = vg_seterr(err, VG_EINVAL, (int64_t)start, "%s: line %zu: a tail entry needs a path",
			       path, start);
	return rc;
}

/* The `tail:` list, after its SEQUENCE_START: items up to SEQUENCE_END. */
static int read_tail(yaml_parser_t *p, const char *path, vg_server_config *keep, vg_err *err)
{
	for (;;) {
		yaml_event_t ev;
		int rc = next_event(p, path, &ev, err);
		if (rc)
			return rc;
		size_t line = ev.start_mark.line + 1;
		yaml_event_type_t type = ev.type;
		if (type == YAML_SCALAR_EVENT)
			rc = tail_key(keep, tail_add(keep), "path", (const char *)ev.data.scalar.value,
				      line, err);
		yaml_event_delete(&ev);
		if (rc)
			return rc;
		if (type == YAML_SEQUENCE_END_EVENT)
			return 0;
		if (type == YAML_MAPPING_START_EVENT)
			rc = read_tail_map(p, path, keep, line, err);
		else if (type != YAML_SCALAR_EVENT)
			rc = vg_seterr(err, VG_EINVAL, (int64_t)line,
				       "%s: line %zu: a tail entry is a path or a mapping with path, "
				       "format, group, exclude", path, line);
		if (rc)
			return rc;
	}
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
			if (depth == 1 && key && strcmp(key, "tail") == 0) {
				rc = read_tail(&p, path, keep, err);
				free(key);
				key = NULL;
				break;
			}
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
			} else if (strcmp(key, "tail") == 0) {
				/* `tail: PATH`: a list of one. */
				rc = tail_key(keep, tail_add(keep), "path", v, line, err);
				free(key);
				key = NULL;
			} else {
				rc = apply(o, key, v, line, keep, err);
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
	o->tail = keep->tail;
	o->ntail = keep->ntail;
	return rc;
}

void vg_server_config_free(vg_server_config *keep)
{
	for (size_t k = 0; k < keep->n; k++)
		free(keep->strs[k]);
	free(keep->strs);
	free(keep->tail);
	memset(keep, 0, sizeof *keep);
}
