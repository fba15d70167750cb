/*
 * demo.h — the demo data set: a week in the life of a small company's AWS
 * account, written as files in AWS's own delivery formats and S3 key
 * layouts, with an attack in it.
 *
 * `vigil demo --out DIR` calls vg_demo_defaults and vg_demo_write. What it
 * writes under DIR:
 *
 *   AWSLogs/<account>/vpcflowlogs/...   VPC Flow Logs of two VPCs: one in the
 *                                       default version-2 format, one in a
 *                                       custom version-5 format (header line
 *                                       first in every file, as S3 delivery
 *                                       writes it)
 *   AWSLogs/<account>/CloudTrail/...    CloudTrail log files {"Records":[...]}
 *   AWSLogs/<account>/CloudTrail-Digest/...  two digest files (parsers skip them)
 *   AWSLogs/<account>/Config/...        AWS Config snapshot and history files
 *   awscli/                             account-level AWS CLI outputs: password
 *                                       policy, account summary, trail status,
 *                                       IAM credential report
 *   syslog/auth.log                     sshd/sudo/cron lines of a few hosts
 *   README.md                           what is where, the account id, how to
 *                                       collect the same from a real account,
 *                                       and the attack's timeline
 *
 * Determinism: the bytes written depend only on (seed, scale, days, end_ns,
 * gzip) — never on the thread count or on timing. Every unit of work (a VPC
 * flow log file, a CloudTrail delivery interval, an hour of auth.log ...)
 * draws from its own pseudo-random stream derived from the seed and the
 * unit's identity, so workers may take units in any order. A unit does not
 * depend on `days` either: the flow log and CloudTrail files of a 1-day set
 * are, byte for byte, the last day's files of a 7-day set with the same end
 * (the README, auth.log as a whole and the Config files describe the whole
 * range and differ).
 *
 * Thread-safety: vg_demo_write may be called from several threads on
 * different output directories; it starts and joins its own workers.
 */
#ifndef VG_DEMO_H
#define VG_DEMO_H

#include <stdint.h>

#include "util/err.h"

#define VG_DEMO_ACCOUNT "123456789012"   /* AWS's documentation account id */
#define VG_DEMO_REGION "us-east-1"
#define VG_DEMO_MAX_DAYS 366
#define VG_DEMO_MAX_SCALE 4000.0        /* about 1.4 billion flow records a week */
#define VG_DEMO_MAX_THREADS 64
#define VG_DEMO_MAX_INCIDENTS 16

typedef struct vg_demo_opts {
	const char *out;     /* output directory: created if missing, must be
			      * empty if present (so sets never mix) */
	int days;            /* 1..VG_DEMO_MAX_DAYS, default 7: the data ends at
			      * end_ns and starts days before */
	uint64_t seed;       /* default 1: same seed, same bytes */
	double scale;        /* default 1: multiplies the flow-record volume; scale 1
			      * is about 2.5 million flow records per 7 days */
	int64_t end_ns;      /* end of the data, rounded down to the hour; 0 = now */
	int gzip;            /* 1 (default): .gz files as AWS delivers them (zlib
			      * level 1); 0: plain files, for fast benchmark sets */
	int threads;         /* 1..VG_DEMO_MAX_THREADS workers for the flow logs,
			      * default 2 */
} vg_demo_opts;

/* One step of the attack, for the README and for callers that want to point
 * a user at it. Times are ns since the epoch, UTC. */
typedef struct vg_demo_incident {
	char name[40];       /* short id: "ssh-bruteforce" */
	char what[240];      /* one sentence */
	int64_t start_ns, end_ns;
} vg_demo_incident;

typedef struct vg_demo_stats {
	uint64_t files;              /* every file written, README included */
	uint64_t bytes;              /* bytes written to disk */
	uint64_t flow_files;
	uint64_t flow_records;       /* all VPC flow records (header lines not counted) */
	uint64_t flow_accept, flow_reject, flow_nodata, flow_skipdata;
	uint64_t flow_ipv6;
	uint64_t cloudtrail_files;   /* log files, digests not counted */
	uint64_t cloudtrail_records;
	uint64_t config_files;
	uint64_t config_items;
	uint64_t syslog_lines;
	int64_t start_ns, end_ns;    /* the range covered */
	char account[16];
	int nincidents;
	vg_demo_incident incidents[VG_DEMO_MAX_INCIDENTS];
} vg_demo_stats;

/* Fill o with the defaults above; o->out is NULL and must be set. */
void vg_demo_defaults(vg_demo_opts *o);

/* Write the demo data set described by o. st (may be NULL) receives counts
 * and the attack's timeline. Returns 0, or a negative VG_E* code with err
 * filled: VG_EINVAL for bad options or a non-empty output directory, VG_EIO
 * when a file cannot be written (files already written are left in place).
 * Borrows o; allocates nothing that outlives the call. */
int vg_demo_write(const vg_demo_opts *o, vg_demo_stats *st, vg_err *err);

#endif
