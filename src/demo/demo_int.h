/*
 * demo_int.h — what the demo generator's modules share: the pseudo-random
 * streams, the output files, the simulated estate ("world") and the
 * attack's schedule.
 *
 *   out.c         output files (plain or gzip), directories, JSON and time text
 *   world.c       the estate: VPCs, subnets, network interfaces, instances,
 *                 address pools of clients, scanners and SaaS endpoints, the
 *                 attack's times and actors; built once, then read-only
 *   flow.c        VPC Flow Logs, in worker threads (the only hot path)
 *   cloudtrail.c  CloudTrail log files and digests
 *   config.c      AWS Config snapshot and history files
 *   account.c     awscli outputs, auth.log and the README
 *   demo.c        options, orchestration
 *
 * Every module draws its randomness from dm_rng streams seeded with
 * dm_stream(seed, tag, unit...), one stream per unit of output, so output
 * never depends on scheduling. The world is shared by worker threads and is
 * never written after vg_demo_world_build.
 */
#ifndef VG_DEMO_INT_H
#define VG_DEMO_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include "demo/demo.h"
#include "util/err.h"
#include "util/mem.h"

#define DM_NS_MIN (INT64_C(60) * INT64_C(1000000000))
#define DM_NS_HOUR (INT64_C(3600) * INT64_C(1000000000))
#define DM_NS_SEC INT64_C(1000000000)

/* ---------- pseudo-random streams ---------- */

/* xoshiro256** (Blackman & Vigna): small state, fast, and good enough for
 * synthetic data; seeded through splitmix64 so that nearby seeds give
 * unrelated streams. */
typedef struct dm_rng {
	uint64_t s[4];
} dm_rng;

static inline uint64_t dm_splitmix(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* A well-mixed 64-bit function of two words: stream ids are built by
 * folding a unit's coordinates into the seed with it. */
static inline uint64_t dm_mix(uint64_t a, uint64_t b)
{
	uint64_t x = a ^ (b * UINT64_C(0xD1342543DE82EF95));
	return dm_splitmix(&x);
}

static inline void dm_rng_init(dm_rng *r, uint64_t key)
{
	uint64_t x = key;
	for (int i = 0; i < 4; i++)
		r->s[i] = dm_splitmix(&x);
}

static inline uint64_t dm_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t dm_next(dm_rng *r)
{
	uint64_t *s = r->s;
	uint64_t res = dm_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = dm_rotl(s[3], 45);
	return res;
}

/* Uniform in [0, n) (Lemire's multiply-shift; the bias for n < 2^32 is far
 * below anything a reader of demo data could notice). n must be > 0. */
static inline uint32_t dm_below(dm_rng *r, uint32_t n)
{
	return (uint32_t)(((dm_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [lo, hi]. */
static inline uint32_t dm_range(dm_rng *r, uint32_t lo, uint32_t hi)
{
	return lo + dm_below(r, hi - lo + 1);
}

/* Uniform in [0, 1). */
static inline double dm_unit(dm_rng *r)
{
	return (double)(dm_next(r) >> 11) * 0x1p-53;
}

static inline int dm_chance(dm_rng *r, double p)
{
	return dm_unit(r) < p;
}

/* Stream keys: seed folded with a tag and up to three coordinates. */
enum {
	DM_S_WORLD = 1,
	DM_S_FLOW,
	DM_S_FLOWNAME,
	DM_S_CT,
	DM_S_CTNAME,
	DM_S_CTSCHED,
	DM_S_CONFIG,
	DM_S_SYSLOG,
	DM_S_IDS,
};
static inline uint64_t dm_stream(uint64_t seed, uint64_t tag, uint64_t a, uint64_t b, uint64_t c)
{
	return dm_mix(dm_mix(dm_mix(dm_mix(seed, tag), a), b), c);
}

/* Distributions (out.c). Poisson: exact below 30, normal approximation
 * above. Pareto: heavy tail with minimum xm, shape alpha, capped at cap.
 * Lognormal: median and sigma of the underlying normal. */
uint32_t vg_demo_poisson(dm_rng *r, double lambda);
double vg_demo_gauss(dm_rng *r);
double vg_demo_pareto(dm_rng *r, double xm, double alpha, double cap);
double vg_demo_lognormal(dm_rng *r, double median, double sigma);

/* Index into a cumulative weight table cdf[0..n-1] (cdf[n-1] = total). */
int vg_demo_pick_cdf(dm_rng *r, const double *cdf, int n);

/* ---------- output files ---------- */

#define DM_BUF_SIZE (1u << 20)
#define DM_PATH_MAX 1024

/* A file being written: bytes go into buf; when it fills they are written
 * out (gzip: deflated at level 1 first). The caller writes straight into
 * buf after dm_file_room, which is how the flow writer avoids a call per
 * field. */
typedef struct dm_file {
	int fd;
	int gzip;
	int zinit;
	z_stream z;
	char *buf;
	size_t len;
	uint8_t *zbuf;
	uint64_t disk_bytes;   /* bytes written to the file so far */
	char path[DM_PATH_MAX];
} dm_file;

/* Where files go and in which container. Read-only once made, so worker
 * threads share it; counts are kept by the callers. */
typedef struct dm_out {
	const char *dir;
	int gzip;
} dm_out;

/* Create (truncate) DIR/rel, making parent directories; ".gz" is appended
 * to rel when o->gzip and add_gz are set. Returns 0 or VG_EIO. */
int vg_demo_fopen(dm_file *f, const dm_out *o, const char *rel, int add_gz, vg_err *err);
/* Write out what is buffered (deflating when gzip). */
int vg_demo_fflush(dm_file *f, vg_err *err);
/* Flush, finish the gzip stream, close. Frees the buffers in every case. */
int vg_demo_fclose(dm_file *f, vg_err *err);
/* Close and remove a file after an error; never fails. */
void vg_demo_fabort(dm_file *f);
/* Append n bytes. */
int vg_demo_fput(dm_file *f, const void *p, size_t n, vg_err *err);

/* Make at least `need` (<= DM_BUF_SIZE) bytes free at f->buf + f->len. */
static inline int dm_file_room(dm_file *f, size_t need, vg_err *err)
{
	if (DM_BUF_SIZE - f->len >= need)
		return 0;
	return vg_demo_fflush(f, err);
}

/* Write a whole file from memory: DIR/rel, gzipped as vg_demo_fopen says
 * (add_gz). *bytes (when not NULL) grows by the bytes that reached the
 * disk. On error nothing is left behind. */
int vg_demo_write_file(const dm_out *o, const char *rel, int add_gz, const void *p, size_t n,
		       uint64_t *bytes, vg_err *err);
/* Write a whole small file (plain, never gzipped: the awscli outputs and
 * the README are read by people). */
int vg_demo_write_plain(const dm_out *o, const char *rel, const void *p, size_t n,
			uint64_t *bytes, vg_err *err);

/* ---------- text helpers ---------- */

/* "00".."99": decimal formatting two digits per division. */
extern const char vg_demo_digits2[201];

/* Decimal digits of v at p; returns the end. */
static inline char *dm_put_u64(char *p, uint64_t v)
{
	char tmp[20];
	int n = 20;
	while (v >= 100) {
		unsigned r = (unsigned)(v % 100);
		v /= 100;
		n -= 2;
		memcpy(tmp + n, vg_demo_digits2 + 2 * r, 2);
	}
	if (v >= 10) {
		n -= 2;
		memcpy(tmp + n, vg_demo_digits2 + 2 * v, 2);
	} else {
		tmp[--n] = (char)('0' + v);
	}
	memcpy(p, tmp + n, (size_t)(20 - n));
	return p + (20 - n);
}

static inline char *dm_put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

/* Dotted-quad text of a host-order IPv4 address; returns the end. */
char *vg_demo_put_ip4(char *p, uint32_t ip);
/* Canonical text of an address (IPv4 as dotted quad, IPv6 per RFC 5952)
 * into out (>= 46 bytes); returns its length. */
size_t vg_demo_ip6_text(const uint8_t ip[16], char *out);

/* Calendar parts of a time. */
typedef struct dm_tm {
	int64_t year;
	unsigned mon, day, hour, min, sec, wday; /* wday 0 = Sunday */
	unsigned ms;
} dm_tm;
void vg_demo_tm(int64_t ns, dm_tm *tm);

/* Time texts. All write a NUL-terminated string into out and return its
 * length; out needs 40 bytes. */
size_t vg_demo_iso_s(int64_t ns, char *out);       /* 2024-05-01T12:34:56Z */
size_t vg_demo_iso_ms(int64_t ns, char *out);      /* 2024-05-01T12:34:56.789Z */
size_t vg_demo_compact_min(int64_t ns, char *out); /* 20240501T1230Z */
size_t vg_demo_compact_s(int64_t ns, char *out);   /* 20240501T123456Z */
size_t vg_demo_cli_time(int64_t ns, char *out);    /* 2024-05-01T12:34:56.789000+00:00 */
size_t vg_demo_report_time(int64_t ns, char *out); /* 2024-05-01T12:34:56+00:00 */
size_t vg_demo_aws_date(int64_t ns, char *out);    /* May 1, 2024, 12:34:56 PM */

/* JSON string literal of s (quotes and escapes added). */
void vg_demo_json_str(vg_buf *b, const char *s);

/* A random identifier: prefix followed by n characters from alphabet. */
void vg_demo_rand_id(dm_rng *r, char *out, size_t cap, const char *prefix, int n,
		     const char *alphabet);
#define DM_HEX "0123456789abcdef"
#define DM_HEXU "0123456789ABCDEF"
#define DM_B32 "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
#define DM_ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
/* A version-4 UUID text (36 chars + NUL). */
void vg_demo_uuid(dm_rng *r, char out[37]);

/* ---------- the estate ---------- */

enum dm_role {
	DM_R_WEB,     /* app servers behind the load balancer */
	DM_R_WORKER,  /* queue workers and batch jobs */
	DM_R_DB,      /* RDS network interfaces */
	DM_R_CACHE,   /* ElastiCache */
	DM_R_ALB,     /* internet-facing load balancer nodes */
	DM_R_NAT,     /* NAT gateways */
	DM_R_LAMBDA,  /* Lambda Hyperplane interfaces */
	DM_R_WINJUMP, /* a Windows jump host with RDP open to the world */
	DM_R_AD,      /* Windows domain controllers */
	DM_R_BASTION, /* the development VPC's SSH bastion */
	DM_R_DEV,     /* development instances */
	DM_R_DEVDB,   /* development database */
	DM_R_IDLE,    /* unused interfaces: mostly NODATA */
	DM_R_COUNT
};

enum dm_profile { DM_P_OFFICE, DM_P_WEB, DM_P_BATCH, DM_P_FLAT, DM_P_COUNT };

typedef struct dm_addr {
	uint32_t ip;          /* IPv4, host order */
	uint8_t len;
	uint8_t svc;          /* DM_SVC_*: the AWS service owning the address */
	char txt[16];
} dm_addr;

enum { DM_SVC_NONE, DM_SVC_S3, DM_SVC_AMAZON, DM_SVC_EC2, DM_SVC_COUNT };
extern const char *const vg_demo_svc_name[DM_SVC_COUNT];

typedef struct dm_addr6 {
	uint8_t ip[16];
	uint8_t len;
	char txt[46];
} dm_addr6;

typedef struct dm_vpc {
	char id[24];
	char name[16];
	uint32_t cidr;        /* host order */
	int prefix;
	int flow_version;     /* 2, 5, or 0 when the VPC has no flow log */
	char flowlog[24];     /* fl-... */
	uint8_t v6[16];       /* the VPC's /56, or all zero */
	char sg_default[24];
	int64_t created_ns;
} dm_vpc;

typedef struct dm_subnet {
	char id[28];
	char name[32];
	uint32_t base;        /* host order */
	int prefix;
	int az;               /* 0..2 */
	int vpc;
	int public_;          /* has a route to the internet gateway */
} dm_subnet;

extern const char *const vg_demo_az_name[3];
#define DM_NITYPES 9
extern const char *const vg_demo_itype[DM_NITYPES];
extern const char *const vg_demo_az_id[3];

/* A network interface and, when it has one, its instance. */
typedef struct dm_eni {
	char id[24];          /* eni-... */
	char instance[24];    /* i-... or "-" */
	char name[24];        /* Name tag of the instance, or a description */
	char volume[24];      /* root EBS volume (instances only) */
	char sg[24];          /* the security group id */
	int sgi;              /* index into world.sg */
	uint32_t ip;          /* private IPv4, host order */
	uint32_t pub;         /* public IPv4, or 0 */
	char iptxt[16];
	uint8_t iplen;
	char pubtxt[16];
	uint8_t ip6[16];      /* IPv6 address, or all zero */
	int has6;
	char ip6txt[46];
	uint8_t ip6len;
	int vpc, subnet, role, profile;
	int windows;          /* Windows ephemeral port range */
	int phase;            /* capture window offset in seconds, 0..59 */
	int sched;            /* stopped at night by the instance scheduler */
	double rate;          /* relative conversations per minute */
	double scan_w;        /* relative scanner attention (public addresses) */
	double nodata_p;      /* chance of a NODATA record in an idle window */
	int itype;            /* index into the instance type table */
	int vol_gib, vol_encrypted;
	int64_t launch_ns;
	/* Precomputed record text (flow.c): the version-2 prefix
	 * "2 <account> <eni> " and the version-5 middle
	 * " <account> <vpc> <subnet> <instance> <eni> <region> <az-id> - - ". */
	char pre2[48];
	uint8_t pre2_len;
	char mid5[176];
	uint8_t mid5_len;
} dm_eni;

/* A security group rule in Config's shape. */
typedef struct dm_sgrule {
	const char *proto;    /* "tcp", "udp", "-1" */
	int from, to;         /* -1 for all */
	char cidr[20];        /* IPv4 CIDR, or "" */
	char cidr6[44];       /* IPv6 CIDR, or "" */
	char group[24];       /* source security group, or "" */
	const char *desc;
} dm_sgrule;

#define DM_SG_RULES 8
typedef struct dm_sg {
	char id[24];
	char name[40];
	const char *desc;
	int vpc;
	int nin, nout;
	dm_sgrule in[DM_SG_RULES], out[2];
} dm_sg;

/* The people and programs that call AWS APIs. */
enum dm_actor_kind { DM_A_USER, DM_A_ROLE, DM_A_ROOT, DM_A_SERVICE };
typedef struct dm_actor {
	int kind;
	char name[48];        /* user or role name */
	char pid[32];         /* AIDA... / AROA... */
	char key[24];         /* long-term access key (users), or "" */
	char key2[24];        /* the key created in the attack, or "" */
	int mfa;              /* has an MFA device */
	int console;          /* signs in to the console */
	int64_t created_ns;
	int64_t key_created_ns;
} dm_actor;

enum {
	DM_ACT_ALICE, DM_ACT_BOB, DM_ACT_CAROL, DM_ACT_CI, DM_ACT_BACKUP, DM_ACT_LEGACY,
	DM_ACT_APPROLE, DM_ACT_REPORTROLE, DM_ACT_SCHEDROLE, DM_ACT_CONFIGROLE,
	DM_ACT_ROOT, DM_ACT_COUNT
};
#define DM_NUSERS 6   /* the first DM_NUSERS actors are IAM users */

#define DM_MAX_ENI 512
#define DM_MAX_SG 16
#define DM_SCHED_MAX 8

typedef struct dm_world {
	uint64_t seed;
	double scale;
	int days;
	int64_t start_ns, end_ns;
	char account[16];

	dm_vpc vpc[3];
	int nvpc;
	dm_subnet subnet[16];
	int nsubnet;
	dm_eni eni[DM_MAX_ENI];
	int neni;
	int by_vpc[3][DM_MAX_ENI];   /* interface indices of each VPC */
	int nby_vpc[3];
	int by_role[DM_R_COUNT][DM_MAX_ENI];
	int nby_role[DM_R_COUNT];
	dm_sg sg[DM_MAX_SG];
	int nsg;
	int sg_bastion, sg_winjump;

	/* Address pools. Scanners and clients are picked by a Zipf-like law:
	 * a few addresses account for much of the traffic, as on the real
	 * internet. */
	dm_addr *scanners;
	double *scanner_cdf;
	int nscanners;
	dm_addr *clients;
	double *client_cdf;
	int nclients;
	dm_addr6 *clients6;
	int nclients6;
	dm_addr *saas;
	double *saas_cdf;
	int nsaas;
	dm_addr6 saas6[8];
	int nsaas6;
	dm_addr office[3];      /* head office, the CTO's home, a remote analyst */
	dm_addr ci_runner[4];   /* the CI system's egress addresses */

	/* Flow calibration: expected records per minute are
	 * rate * k_conv * diurnal, scaled so scale 1 gives ~2.5 M a week. */
	double k_conv, k_scan;
	double diurnal[DM_P_COUNT][168]; /* by UTC hour of the week (Sunday 00h = 0) */
	int nshards;

	dm_actor actor[DM_ACT_COUNT];

	/* The attack. */
	int eni_bastion, eni_winjump, eni_scheduled[DM_SCHED_MAX];
	int nsched;
	dm_addr att_scan;       /* port scanner */
	dm_addr att_ssh;        /* SSH brute force */
	dm_addr att_rdp;        /* RDP brute force */
	dm_addr att_tor[4];     /* where the stolen credentials are used from */
	int64_t t_portscan, t_portscan_end;
	int64_t t_rdp, t_rdp_end;
	int64_t t_keyprobe;       /* denied calls with the leaked ci-deploy key */
	int64_t t_login_fail, t_login;
	int64_t t_sg_open;
	int64_t t_ssh, t_ssh_success, t_ssh_end, t_exfil_end;
	int64_t t_persist;        /* CreateAccessKey, AttachUserPolicy */
	int64_t t_trail;          /* UpdateTrail, StopLogging */
	int64_t t_s3_exfil, t_s3_exfil_end;
	int64_t t_root;
	int64_t t_probe_day[4];   /* earlier probes with the leaked key, or 0 */
	int nprobe_days;
	uint16_t scan_ports[1024];
	int nscan_ports;
	uint16_t scan_sport;
	char trail_main[40], trail_alerts[40];
	char bucket_trail[64], bucket_exports[64], bucket_flow[64], bucket_config[64];
	char kms_key[40];
	char sgr_open[24];        /* the rule id created by the attacker */
	/* CloudTrail eventIDs of changes that Config also records, so that a
	 * configuration item's relatedEvents names the call that made it. */
	char ev_sg_open[37], ev_attach[37], ev_update_trail[37], ev_stop_logging[37];
	char ev_create_key[37];
	/* Two ordinary changes that give Config a deleted and a newly
	 * discovered resource: an orphaned volume is deleted (t_delete_volume,
	 * 0 when before the data starts), a bucket is created. */
	char vol_orphan[24];
	char bucket_forensics[64];
	int64_t t_delete_volume, t_create_bucket, orphan_created;
	char ev_delete_volume[37], ev_create_bucket[37];
} dm_world;

/* Build the estate for opts (days, scale, seed) and the time range. */
void vg_demo_world_build(dm_world *w, uint64_t seed, double scale, int days, int64_t end_ns);
void vg_demo_world_free(dm_world *w);

/* Diurnal traffic factor of a profile at a time. */
double vg_demo_diurnal(const dm_world *w, int profile, int64_t ns);
/* 1 when interface e belongs to an instance the scheduler keeps stopped
 * at ns (weeknights and weekends). */
int vg_demo_stopped(const dm_world *w, const dm_eni *e, int64_t ns);
/* The scheduler's first run at or after t0 and before t1 (runs are on the
 * hour), or 0 when there is none; *stop tells whether it stops or starts. */
int64_t vg_demo_sched_next(int64_t t0, int64_t t1, int *stop);

/* Pick from a pool. */
const dm_addr *vg_demo_pick_scanner(const dm_world *w, dm_rng *r);
const dm_addr *vg_demo_pick_client(const dm_world *w, dm_rng *r);
const dm_addr *vg_demo_pick_saas(const dm_world *w, dm_rng *r);

/* Per-module generators; each adds to st. */
int vg_demo_flow_write(const dm_world *w, const dm_out *o, int threads, vg_demo_stats *st,
		       vg_err *err);
int vg_demo_cloudtrail_write(const dm_world *w, const dm_out *o, vg_demo_stats *st,
			     vg_err *err);
int vg_demo_config_write(const dm_world *w, const dm_out *o, vg_demo_stats *st, vg_err *err);
int vg_demo_awscli_write(const dm_world *w, const dm_out *o, vg_demo_stats *st, vg_err *err);
int vg_demo_authlog_write(const dm_world *w, const dm_out *o, vg_demo_stats *st, vg_err *err);
int vg_demo_readme_write(const dm_world *w, const dm_out *o, vg_demo_stats *st, vg_err *err);
/* The attack's steps for stats and README. */
void vg_demo_incidents(const dm_world *w, vg_demo_stats *st);

#endif
