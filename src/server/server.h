/*
 * server.h — `vigil server`: one process with the store, the writer, the
 * HTTP API (ingest protocols, queries, users) and the syslog listeners.
 *
 * Settings come from vigil.yml (server/config.c) and flags that override
 * it; vg_server_run blocks until SIGINT/SIGTERM, then stops accepting,
 * lets running requests finish, commits and closes the store, so a
 * restart loses nothing that was acknowledged.
 */
#ifndef VG_SERVER_H
#define VG_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* One entry of vigil.yml's `tail:` list (server/tailer.h reads the files). */
typedef struct vg_tail_spec {
	const char *path;             /* a glob: * ? [...] (no **) */
	const char *format;           /* "auto" or a format name */
	const char *group;            /* NULL: the format's own */
	const char *exclude;          /* a glob, or NULL: matched against the base
				       * name, or the whole path when it holds '/' */
} vg_tail_spec;

typedef struct vg_server_opts {
	const char *data;             /* store directory */
	const char *listen;           /* HTTP ADDR:PORT */
	const char *syslog_tcp;       /* ADDR:PORT or NULL */
	const char *syslog_udp;       /* ADDR:PORT or NULL */
	const char *syslog_tls;       /* ADDR:PORT or NULL: RFC 5425, needs tls_cert/key */
	const char *relp;             /* ADDR:PORT or NULL: RELP (relp_srv.h) */
	const char *tls_cert;         /* PEM certificate (chain) file for syslog_tls */
	const char *tls_key;          /* PEM private key file */
	uint64_t max_body;            /* bytes of one request body */
	uint64_t max_queue;           /* bytes of bodies waiting for the writer */
	unsigned max_connections;
	unsigned max_queries;         /* running at once */
	uint64_t seal_bytes;          /* memtable size that triggers a seal */
	uint64_t min_free;            /* disk bytes kept free: every ingest path pauses below */
	int64_t query_timeout_ns;     /* default and maximum */
	unsigned auth_fast;           /* tests only: cheapest password hashing */
	const char *test_free_file;   /* tests only: free disk bytes are read from this
				       * file (VIGIL_TEST_FREE_FILE); see writer.h */
	const vg_tail_spec *tail;     /* files to tail (vigil.yml's `tail:`) */
	size_t ntail;
	const char *geoip;            /* iplocation's MaxMind City/Country .mmdb;
				       * NULL: Debian's geoip-database */
	const char *geoip_asn;        /* a MaxMind ASN .mmdb, or NULL */
} vg_server_opts;

void vg_server_defaults(vg_server_opts *o);

/* Strings read from a config file, owned until vg_server_config_free. */
typedef struct vg_server_config {
	char **strs;
	size_t n;
	vg_tail_spec *tail;           /* the `tail:` entries (o->tail points here) */
	size_t ntail, captail;
} vg_server_config;

/* Read vigil.yml at path into o (keys it names override o's values). */
int vg_server_config_load(const char *path, vg_server_opts *o, vg_server_config *keep,
			  vg_err *err);
void vg_server_config_free(vg_server_config *keep);
/* A size: digits with an optional K, M or G (powers of 1024) and B. 0 or -1. */
int vg_server_parse_size(const char *v, uint64_t *out);
/* Run until a signal. Prints the URL (and a new admin password on the
 * first start) to stdout. */
int vg_server_run(const vg_server_opts *o, vg_err *err);

#endif
