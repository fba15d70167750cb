/*
 * metrics.c — GET /metrics in Prometheus's text format (version 0.0.4):
 * ingest (events, bytes, parse errors, requests refused, commits and their
 * time), the store (segments, sealed rows and bytes, unsealed events, WAL
 * bytes), queries (count, errors, refusals, a latency histogram) and HTTP
 * (requests by class, authentication failures).
 *
 * Counters are atomics bumped where things happen; the store's figures
 * are read with the store held shared, like a query.
 */
#include <stdio.h>

#include "server/srv.h"
#include "util/timeutil.h"

/* Upper bounds of the query latency buckets, in seconds; the last bucket
 * of vg_metrics.query_buckets is +Inf. */
static const double bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NBOUNDS (sizeof bounds / sizeof *bounds)

void vg_metrics_query_done(vg_metrics *m, int64_t took_ns, int failed)
{
	atomic_fetch_add(&m->queries, 1);
	if (failed)
		atomic_fetch_add(&m->query_errors, 1);
	atomic_fetch_add(&m->query_ns_total, (uint64_t)took_ns);
	double s = (double)took_ns / 1e9;
	size_t k = 0;
	while (k < NBOUNDS && s > bounds[k])
		k++;
	atomic_fetch_add(&m->query_buckets[k], 1);
}

static void metric(vg_buf *b, const char *name, const char *type, const char *help, double v)
{
	vg_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name, type, name, v);
}

int vg_api_metrics(vg_req *r)
{
	vg_server *s = r->s;
	vg_metrics *m = &s->m;
	vg_writer_stats ws;
	vg_writer_stats_get(s->w, &ws);
	vg_store_stats ss;
	vg_store *st = vg_writer_read_lock(s->w);
	vg_store_stats_get(st, &ss);
	vg_writer_read_unlock(s->w);
	int64_t now = vg_now_ns();
	vg_buf b = {0};
	metric(&b, "vigil_uptime_seconds", "gauge", "Seconds since the server started.",
	       (double)(now - s->started_ns) / 1e9);
	metric(&b, "vigil_ingest_events_total", "counter", "Events made durable.", (double)ws.events);
	metric(&b, "vigil_ingest_parse_errors_total", "counter",
	       "Events stored raw with _parse_error.", (double)ws.parse_errors);
	metric(&b, "vigil_ingest_bytes_total", "counter", "Bytes of input received by ingest paths.",
	       (double)ws.bytes);
	metric(&b, "vigil_ingest_jobs_total", "counter", "Ingest requests and batches written.",
	       (double)ws.jobs);
	metric(&b, "vigil_ingest_refused_total", "counter",
	       "Ingest jobs refused because the queue was full (HTTP answers 429; syslog, RELP "
	       "and tailing wait and retry).",
	       (double)ws.refused);
	metric(&b, "vigil_ingest_refused_disk_total", "counter",
	       "Ingest jobs refused by the disk budget, min_free (HTTP answers 503; TCP and TLS "
	       "stop reading, RELP closes its sessions, tailing pauses, UDP drops).",
	       (double)ws.refused_disk);
	metric(&b, "vigil_ingest_queue_bytes", "gauge",
	       "Bytes of input waiting for the writer (WAL lag).", (double)ws.queue_bytes);
	metric(&b, "vigil_wal_commits_total", "counter", "Group commits (WAL append and fsync, or seal).",
	       (double)ws.commits);
	metric(&b, "vigil_wal_commit_failures_total", "counter", "Commits that failed.",
	       (double)ws.commit_failures);
	metric(&b, "vigil_wal_commit_seconds_total", "counter", "Time spent committing.",
	       (double)ws.commit_ns_total / 1e9);
	metric(&b, "vigil_wal_last_commit_age_seconds", "gauge",
	       "Seconds since the last durable commit (-1: none yet).",
	       ws.last_commit_ns ? (double)(now - ws.last_commit_ns) / 1e9 : -1.0);
	metric(&b, "vigil_wal_bytes", "gauge", "Size of the live write-ahead log.",
	       (double)ss.wal_bytes);
	metric(&b, "vigil_store_unsealed_events", "gauge", "Durable events not yet in segments.",
	       (double)ss.mem_rows);
	metric(&b, "vigil_store_segments", "gauge", "Sealed segments.", (double)ss.segments);
	metric(&b, "vigil_store_sealed_events", "gauge", "Events in sealed segments.",
	       (double)ss.sealed_rows);
	metric(&b, "vigil_store_sealed_bytes", "gauge", "Bytes of sealed segments.",
	       (double)ss.sealed_bytes);
	metric(&b, "vigil_http_requests_total", "counter", "HTTP requests received.",
	       (double)atomic_load(&m->requests));
	vg_buf_puts(&b, "# HELP vigil_http_errors_total HTTP answers by class.\n"
			"# TYPE vigil_http_errors_total counter\n");
	vg_buf_printf(&b, "vigil_http_errors_total{class=\"4xx\"} %llu\n",
		      (unsigned long long)atomic_load(&m->requests_4xx));
	vg_buf_printf(&b, "vigil_http_errors_total{class=\"5xx\"} %llu\n",
		      (unsigned long long)atomic_load(&m->requests_5xx));
	metric(&b, "vigil_auth_failures_total", "counter", "Requests refused for missing or bad credentials.",
	       (double)atomic_load(&m->auth_failures));
	metric(&b, "vigil_logins_throttled_total", "counter",
	       "Logins refused for too many failures by the user or the address (answered 429).",
	       (double)atomic_load(&m->logins_throttled));
	metric(&b, "vigil_syslog_messages_total", "counter", "Syslog messages received.",
	       (double)atomic_load(&m->syslog_messages));
	metric(&b, "vigil_syslog_connections_total", "counter", "Syslog TCP connections accepted.",
	       (double)atomic_load(&m->syslog_connections));
	metric(&b, "vigil_syslog_udp_dropped_total", "counter",
	       "Syslog UDP messages dropped because the disk budget (min_free) was reached.",
	       (double)atomic_load(&m->syslog_udp_dropped));
	metric(&b, "vigil_queries_running", "gauge", "Queries running now.",
	       (double)atomic_load(&m->running_queries));
	metric(&b, "vigil_query_errors_total", "counter", "Queries that failed (bad query, time limit).",
	       (double)atomic_load(&m->query_errors));
	metric(&b, "vigil_queries_refused_total", "counter",
	       "Queries refused because too many were running (answered 429).",
	       (double)atomic_load(&m->queries_refused));
	vg_buf_puts(&b, "# HELP vigil_query_duration_seconds Time taken by queries.\n"
			"# TYPE vigil_query_duration_seconds histogram\n");
	uint64_t cum = 0;
	for (size_t k = 0; k <= NBOUNDS; k++) {
		cum += atomic_load(&m->query_buckets[k]);
		if (k < NBOUNDS)
			vg_buf_printf(&b, "vigil_query_duration_seconds_bucket{le=\"%g\"} %llu\n", bounds[k],
				      (unsigned long long)cum);
		else
			vg_buf_printf(&b, "vigil_query_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
				      (unsigned long long)cum);
	}
	vg_buf_printf(&b, "vigil_query_duration_seconds_sum %.9g\n",
		      (double)atomic_load(&m->query_ns_total) / 1e9);
	vg_buf_printf(&b, "vigil_query_duration_seconds_count %llu\n",
		      (unsigned long long)atomic_load(&m->queries));
	vg_reply(r, 200, "text/plain; version=0.0.4; charset=utf-8", b.p, b.len);
	vg_buf_free(&b);
	return 0;
}
