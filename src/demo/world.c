/*
 * world.c — the simulated estate behind the demo data.
 *
 * "Acme" runs a web application in a production VPC (an internet-facing
 * load balancer, app servers, workers, Postgres and Redis, NAT gateways, a
 * Windows jump host and two domain controllers), keeps a development VPC
 * with an SSH bastion and a hundred developer instances, and has a small
 * forgotten staging VPC without flow logs. Six IAM users, a few roles and
 * the root account call the AWS APIs.
 *
 * Everything here is drawn once from the seed, before any file is written,
 * and then only read, by several threads at once. Identifiers (eni-, i-,
 * vpc-, AIDA..., AKIA...) look like AWS's and are random; public addresses
 * come from real public blocks of many countries so that a GeoIP lookup
 * draws a world map, and never from private, shared or documentation
 * ranges.
 *
 * The attack's schedule is fixed relative to the end of the data (all of
 * it within the last 20 hours, so a one-day set holds all of it), with a
 * few seconds of seed-dependent jitter; the earlier probes with the leaked
 * key fall on the preceding days when the set is long enough.
 */
#include "demo/demo_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <arpa/inet.h>

#include "util/timeutil.h"

const char *const vg_demo_az_name[3] = {"us-east-1a", "us-east-1b", "us-east-1c"};
const char *const vg_demo_az_id[3] = {"use1-az1", "use1-az2", "use1-az4"};

/* ---------- public address blocks ---------- */

typedef struct dm_block {
	const char *cidr;
	double w;
	uint8_t svc;
} dm_block;

/* Where the web application's users are: consumer ISPs on every continent,
 * weighted toward North America and Europe. */
static const dm_block client_blocks[] = {
	{"73.0.0.0/8", 10, 0},       /* Comcast, US */
	{"98.192.0.0/10", 3, 0},     /* Comcast, US */
	{"99.0.0.0/8", 5, 0},        /* AT&T, US */
	{"174.192.0.0/10", 4, 0},    /* Verizon Wireless, US */
	{"70.24.0.0/13", 2, 0},      /* Bell, Canada */
	{"86.128.0.0/10", 4, 0},     /* BT, United Kingdom */
	{"84.128.0.0/10", 4, 0},     /* Deutsche Telekom, Germany */
	{"90.0.0.0/9", 3, 0},        /* Orange, France */
	{"83.32.0.0/11", 1.5, 0},    /* Telefonica, Spain */
	{"151.32.0.0/11", 1, 0},     /* Wind Tre, Italy */
	{"84.24.0.0/13", 1, 0},      /* Ziggo, Netherlands */
	{"83.248.0.0/13", 0.7, 0},   /* Sweden */
	{"177.0.0.0/8", 3, 0},       /* Brazil */
	{"189.0.0.0/8", 2, 0},       /* Brazil, Mexico */
	{"181.0.0.0/12", 1, 0},      /* Argentina, Colombia */
	{"49.32.0.0/11", 3, 0},      /* Reliance Jio, India */
	{"126.0.0.0/8", 2, 0},       /* SoftBank, Japan */
	{"1.120.0.0/13", 1, 0},      /* Australia */
	{"211.32.0.0/11", 1, 0},     /* South Korea */
	{"36.64.0.0/11", 1, 0},      /* Telkom, Indonesia */
	{"41.0.0.0/11", 1, 0},       /* South Africa */
	{"105.0.0.0/12", 0.7, 0},    /* Africa */
	{"183.0.0.0/10", 1, 0},      /* China */
	{"116.86.0.0/15", 0.5, 0},   /* Singapore */
};

/* Internet background radiation: research scanners, bullet-proof hosting
 * and compromised machines that probe every public address day and night. */
static const dm_block scanner_blocks[] = {
	{"218.92.0.0/16", 6, 0},     /* China, notorious for SSH guessing */
	{"61.177.172.0/24", 3, 0},   /* China */
	{"222.186.0.0/16", 3, 0},    /* China */
	{"112.85.42.0/24", 1, 0},    /* China */
	{"45.155.205.0/24", 2, 0},   /* hosting */
	{"89.248.160.0/19", 4, 0},   /* Netherlands */
	{"80.82.64.0/20", 2, 0},     /* Seychelles / Netherlands */
	{"93.174.88.0/21", 2, 0},    /* Netherlands */
	{"141.98.10.0/24", 2, 0},    /* Lithuania */
	{"193.32.162.0/24", 1, 0},   /* Netherlands */
	{"194.165.16.0/24", 2, 0},   /* Seychelles */
	{"162.142.125.0/24", 2, 0},  /* Censys, US */
	{"167.94.138.0/24", 1, 0},   /* Censys, US */
	{"71.6.199.0/24", 1, 0},     /* Shodan, US */
	{"64.62.197.0/24", 1, 0},    /* Shadowserver, US */
	{"104.248.0.0/16", 1, 0},    /* DigitalOcean */
	{"159.65.0.0/16", 1, 0},     /* DigitalOcean */
	{"5.188.206.0/24", 1, 0},    /* Russia */
	{"45.148.10.0/24", 2, 0},    /* Netherlands */
	{"185.242.226.0/24", 1, 0},  /* Netherlands */
	{"87.236.176.0/24", 1, 0},   /* United Kingdom */
	{"177.54.144.0/20", 1, 0},   /* Brazil */
	{"190.85.0.0/16", 1, 0},     /* Colombia */
	{"14.160.0.0/11", 1, 0},     /* Vietnam */
	{"117.50.0.0/16", 1, 0},     /* China */
	{"103.149.28.0/22", 1, 0},   /* Asia-Pacific */
};

/* What the servers talk to over HTTPS: AWS endpoints (tagged with the
 * service name version-5 records carry), code hosting, CDNs. */
static const dm_block saas_blocks[] = {
	{"52.216.0.0/15", 10, DM_SVC_S3},
	{"54.231.0.0/16", 4, DM_SVC_S3},
	{"3.5.0.0/19", 3, DM_SVC_S3},
	{"52.94.0.0/16", 5, DM_SVC_AMAZON},
	{"44.192.0.0/11", 4, DM_SVC_EC2},
	{"140.82.112.0/20", 2, 0},   /* GitHub */
	{"151.101.0.0/16", 3, 0},    /* Fastly: package mirrors */
	{"104.16.0.0/13", 3, 0},     /* Cloudflare */
	{"142.250.0.0/15", 2, 0},    /* Google */
	{"23.32.0.0/11", 1, 0},      /* Akamai */
};

typedef struct dm_block6 {
	const char *prefix;
	int bits;
} dm_block6;

static const dm_block6 client6_blocks[] = {
	{"2601::", 20},       /* Comcast, US */
	{"2600:1700::", 28},  /* AT&T, US */
	{"2a01:e00::", 26},   /* Free, France */
	{"2405:200::", 29},   /* Reliance Jio, India */
	{"240e::", 20},       /* China Telecom */
	{"2804::", 16},       /* Brazil */
};

static const char *const saas6_text[] = {
	"2606:4700::6810:84e5", "2a04:4e42:400::223", "2606:4700:3033::ac43:a5d6",
	"2600:1f18:24e6:b900:4b1d:98a1:23d7:c1f5", "2a04:4e42::644", "2607:f8b0:4004:c1b::71",
};

#define N_ARRAY(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Base address (host order) and prefix of "a.b.c.d/p". */
static uint32_t parse_cidr(const char *s, int *prefix)
{
	unsigned a, b, c, d;
	int p;
	if (sscanf(s, "%u.%u.%u.%u/%d", &a, &b, &c, &d, &p) != 5)
		abort(); /* the tables above are constants: a typo is a bug */
	*prefix = p;
	return (a << 24) | (b << 16) | (c << 8) | d;
}

/* A host address inside a block, never the network or broadcast address
 * and never .0/.255 (which look odd in a demo even when valid). */
static uint32_t host_in(dm_rng *r, uint32_t base, int prefix)
{
	uint32_t size = prefix >= 32 ? 1 : (uint32_t)1 << (32 - prefix);
	base &= ~(size - 1);
	for (;;) {
		uint32_t ip = size <= 4 ? base : base + 1 + dm_below(r, size - 2);
		uint32_t lo = ip & 255;
		if (lo != 0 && lo != 255)
			return ip;
	}
}

/* Fill a pool entry with an address and its text. */
static void set_addr(dm_addr *a, uint32_t ip, uint8_t svc)
{
	a->ip = ip;
	a->svc = svc;
	char *e = vg_demo_put_ip4(a->txt, ip);
	*e = 0;
	a->len = (uint8_t)(e - a->txt);
}

/* Fill a pool of n addresses from weighted blocks, with a Zipf-like weight
 * per address (rank^-skew) so that a few addresses dominate. */
static void fill_pool(dm_rng *r, const dm_block *blocks, int nb, int n, double skew, double shift,
		      dm_addr **pool, double **cdf)
{
	double bcdf[64], tot = 0;
	for (int i = 0; i < nb; i++)
		bcdf[i] = (tot += blocks[i].w);
	*pool = vg_xcalloc((size_t)n, sizeof **pool);
	*cdf = vg_xcalloc((size_t)n, sizeof **cdf);
	double acc = 0;
	for (int i = 0; i < n; i++) {
		int b = vg_demo_pick_cdf(r, bcdf, nb);
		int prefix;
		uint32_t base = parse_cidr(blocks[b].cidr, &prefix);
		set_addr(&(*pool)[i], host_in(r, base, prefix), blocks[b].svc);
		acc += 1.0 / pow((double)i + shift, skew);
		(*cdf)[i] = acc;
	}
}

/* One address inside a block. */
static void fixed_addr(dm_rng *r, dm_addr *a, const char *cidr)
{
	int prefix;
	uint32_t base = parse_cidr(cidr, &prefix);
	set_addr(a, host_in(r, base, prefix), 0);
}

/* The IPv6 client pool and the IPv6 destinations. */
static void fill_clients6(dm_world *w, dm_rng *r)
{
	w->nclients6 = 2000;
	w->clients6 = vg_xcalloc((size_t)w->nclients6, sizeof *w->clients6);
	for (int i = 0; i < w->nclients6; i++) {
		const dm_block6 *b = &client6_blocks[dm_below(r, N_ARRAY(client6_blocks))];
		dm_addr6 *a = &w->clients6[i];
		uint8_t pre[16];
		if (inet_pton(AF_INET6, b->prefix, pre) != 1)
			abort();
		for (int k = 0; k < 16; k++)
			a->ip[k] = (uint8_t)dm_next(r);
		/* keep the block's prefix bits, randomise the rest */
		for (int bit = 0; bit < b->bits; bit++) {
			uint8_t m = (uint8_t)(0x80 >> (bit % 8));
			a->ip[bit / 8] = (uint8_t)((a->ip[bit / 8] & ~m) | (pre[bit / 8] & m));
		}
		a->len = (uint8_t)vg_demo_ip6_text(a->ip, a->txt);
	}
	w->nsaas6 = N_ARRAY(saas6_text);
	for (int i = 0; i < w->nsaas6; i++) {
		dm_addr6 *a = &w->saas6[i];
		if (inet_pton(AF_INET6, saas6_text[i], a->ip) != 1)
			abort();
		a->len = (uint8_t)vg_demo_ip6_text(a->ip, a->txt);
	}
}

const dm_addr *vg_demo_pick_scanner(const dm_world *w, dm_rng *r)
{
	return &w->scanners[vg_demo_pick_cdf(r, w->scanner_cdf, w->nscanners)];
}

const dm_addr *vg_demo_pick_client(const dm_world *w, dm_rng *r)
{
	return &w->clients[vg_demo_pick_cdf(r, w->client_cdf, w->nclients)];
}

const dm_addr *vg_demo_pick_saas(const dm_world *w, dm_rng *r)
{
	return &w->saas[vg_demo_pick_cdf(r, w->saas_cdf, w->nsaas)];
}

/* ---------- time of day ---------- */

/* The company works in US Eastern time; a fixed UTC-5 is close enough for
 * traffic shapes and keeps the data free of DST jumps. */
#define DM_TZ_HOURS 5

/* A raised cosine over the day, 1 at `peak` o'clock, 0 twelve hours away. */
static double raised(double h, double peak)
{
	return 0.5 + 0.5 * cos(6.283185307179586 * (h - peak) / 24.0);
}

/* Relative traffic of a profile at a local weekday and hour. */
static double profile_raw(int profile, int wday, int hour)
{
	int weekend = wday == 0 || wday == 6;
	double h = hour + 0.5;
	switch (profile) {
	case DM_P_OFFICE: {
		double b = pow(raised(h, 13.5), 2.5);
		return weekend ? 0.08 + 0.15 * b : 0.08 + 0.92 * b;
	}
	case DM_P_WEB: {
		double b = raised(h, 14.0);
		return (0.35 + 0.65 * b) * (weekend ? 0.8 : 1.0);
	}
	case DM_P_BATCH:
		return 0.3 + 0.7 * pow(raised(h, 2.5), 3.0);
	default:
		return 1.0;
	}
}

/* Tables by UTC hour of the week, each normalised to a mean of 1 so that
 * calibration does not depend on the shape. */
static void build_diurnal(dm_world *w)
{
	for (int p = 0; p < DM_P_COUNT; p++) {
		double sum = 0;
		for (int how = 0; how < 168; how++) {
			int local = (how - DM_TZ_HOURS + 168) % 168;
			w->diurnal[p][how] = profile_raw(p, local / 24, local % 24);
			sum += w->diurnal[p][how];
		}
		for (int how = 0; how < 168; how++)
			w->diurnal[p][how] *= 168.0 / sum;
	}
}

/* UTC hour of the week, Sunday 00h = 0. */
static int hour_of_week(int64_t ns)
{
	dm_tm t;
	vg_demo_tm(ns, &t);
	return (int)(t.wday * 24 + t.hour);
}

double vg_demo_diurnal(const dm_world *w, int profile, int64_t ns)
{
	return w->diurnal[profile][hour_of_week(ns)];
}

/* Scheduled dev instances run on weekdays from 07:00 to 19:00 local time. */
static int sched_running(int64_t ns)
{
	dm_tm t;
	vg_demo_tm(ns - DM_TZ_HOURS * DM_NS_HOUR, &t);
	return t.wday != 0 && t.wday != 6 && t.hour >= 7 && t.hour < 19;
}

int vg_demo_stopped(const dm_world *w, const dm_eni *e, int64_t ns)
{
	(void)w;
	return e->sched && !sched_running(ns);
}

int64_t vg_demo_sched_next(int64_t t0, int64_t t1, int *stop)
{
	int64_t h = (t0 + DM_NS_HOUR - 1) / DM_NS_HOUR * DM_NS_HOUR;
	for (; h < t1; h += DM_NS_HOUR) {
		int before = sched_running(h - DM_NS_SEC), after = sched_running(h);
		if (before != after) {
			*stop = before;
			return h;
		}
	}
	return 0;
}

/* ---------- the estate ---------- */

/* Bounded copy. (snprintf from one member of the world into another trips
 * GCC's -Wrestrict, which cannot see that they never overlap.) */
static void cpy(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap)
		n = cap - 1;
	memmove(dst, src, n);
	dst[n] = 0;
}

/* An AWS-style id: prefix and 17 hex digits starting with 0. */
static void hexid(dm_rng *r, char *out, size_t cap, const char *prefix)
{
	vg_demo_rand_id(r, out, cap, prefix, 17, DM_HEX);
	/* AWS's long ids start with 0 */
	out[strlen(prefix)] = '0';
}

/* Add a subnet to a VPC; returns its index. */
static int add_subnet(dm_world *w, dm_rng *r, int vpc, const char *name, const char *cidr, int az,
		      int pub)
{
	dm_subnet *s = &w->subnet[w->nsubnet];
	hexid(r, s->id, sizeof s->id, "subnet-");
	char tmp[64];
	snprintf(tmp, sizeof tmp, "%s-%s", w->vpc[vpc].name, name);
	cpy(s->name, sizeof s->name, tmp);
	s->base = parse_cidr(cidr, &s->prefix);
	s->az = az;
	s->vpc = vpc;
	s->public_ = pub;
	return w->nsubnet++;
}

/* Add a VPC with a flow log of the given version (0: none). */
static void add_vpc(dm_world *w, dm_rng *r, const char *name, const char *cidr, int version)
{
	dm_vpc *v = &w->vpc[w->nvpc++];
	hexid(r, v->id, sizeof v->id, "vpc-");
	snprintf(v->name, sizeof v->name, "%s", name);
	v->cidr = parse_cidr(cidr, &v->prefix);
	v->flow_version = version;
	if (version)
		hexid(r, v->flowlog, sizeof v->flowlog, "fl-");
	hexid(r, v->sg_default, sizeof v->sg_default, "sg-");
	v->created_ns = w->end_ns - (int64_t)(400 + dm_below(r, 300)) * VG_NS_PER_DAY;
}

/* Add a security group that may send anywhere; returns its index. */
static int add_sg(dm_world *w, dm_rng *r, int vpc, const char *name, const char *desc)
{
	dm_sg *g = &w->sg[w->nsg];
	hexid(r, g->id, sizeof g->id, "sg-");
	snprintf(g->name, sizeof g->name, "%s", name);
	g->desc = desc;
	g->vpc = vpc;
	/* Every group may send anywhere, as AWS creates them. */
	g->nout = 1;
	g->out[0] = (dm_sgrule){.proto = "-1", .from = -1, .to = -1, .cidr = "0.0.0.0/0"};
	return w->nsg++;
}

/* Add an inbound rule from a CIDR (IPv4 or IPv6). */
static void sg_in(dm_world *w, int sg, const char *proto, int from, int to, const char *cidr,
		  const char *desc)
{
	dm_sg *g = &w->sg[sg];
	if (g->nin >= DM_SG_RULES)
		abort();
	dm_sgrule *ru = &g->in[g->nin++];
	memset(ru, 0, sizeof *ru);
	ru->proto = proto;
	ru->from = from;
	ru->to = to;
	ru->desc = desc;
	if (cidr && strchr(cidr, ':'))
		snprintf(ru->cidr6, sizeof ru->cidr6, "%s", cidr);
	else if (cidr)
		snprintf(ru->cidr, sizeof ru->cidr, "%s", cidr);
}

/* A rule whose source is another security group (by index). */
static void sg_in_group(dm_world *w, int sg, const char *proto, int from, int to, int src,
			const char *desc)
{
	sg_in(w, sg, proto, from, to, NULL, desc);
	dm_sgrule *ru = &w->sg[sg].in[w->sg[sg].nin - 1];
	cpy(ru->group, sizeof ru->group, w->sg[src].id);
}

typedef struct role_spec {
	int role, vpc, count, profile, sg;
	double base, sigma;   /* relative conversation rate: base * lognormal(sigma) */
	const char *name;     /* name tag prefix */
	int subnet_kind;      /* 0 public, 1 private, 2 data */
	int itype_lo, itype_hi;
} role_spec;

const char *const vg_demo_itype[DM_NITYPES] = {"t3.micro", "t3.small", "t3.medium", "t3.large",
				     "m6i.large", "m6i.xlarge", "c6i.2xlarge", "r6i.large",
				     "m5.large"};

/* An address of the subnet no interface has yet. */
static uint32_t unique_host(dm_world *w, dm_rng *r, const dm_subnet *s)
{
	for (;;) {
		uint32_t size = (uint32_t)1 << (32 - s->prefix);
		/* AWS reserves the first four and the last address of a subnet */
		uint32_t ip = s->base + 4 + dm_below(r, size - 5);
		int dup = 0;
		for (int i = 0; i < w->neni && !dup; i++)
			dup = w->eni[i].ip == ip;
		if (!dup)
			return ip;
	}
}

/* A random subnet of a VPC of a kind: 0 public, 1 private, 2 data. */
static int pick_subnet(const dm_world *w, dm_rng *r, int vpc, int kind)
{
	int cand[16], n = 0;
	for (int i = 0; i < w->nsubnet; i++) {
		const dm_subnet *s = &w->subnet[i];
		if (s->vpc != vpc)
			continue;
		int k = s->public_ ? 0 : (strstr(s->name, "data") ? 2 : 1);
		if (k == kind)
			cand[n++] = i;
	}
	if (n == 0)
		abort();
	return cand[dm_below(r, (uint32_t)n)];
}

/* Precompute the interface's texts used in every record. */
static void eni_text(dm_world *w, dm_eni *e)
{
	const dm_vpc *v = &w->vpc[e->vpc];
	const dm_subnet *s = &w->subnet[e->subnet];
	char *end = vg_demo_put_ip4(e->iptxt, e->ip);
	*end = 0;
	e->iplen = (uint8_t)(end - e->iptxt);
	if (e->pub) {
		end = vg_demo_put_ip4(e->pubtxt, e->pub);
		*end = 0;
	}
	char tmp[256];
	snprintf(tmp, sizeof tmp, "2 %s %s ", w->account, e->id);
	cpy(e->pre2, sizeof e->pre2, tmp);
	e->pre2_len = (uint8_t)strlen(e->pre2);
	snprintf(tmp, sizeof tmp, " %s %s %s %s %s %s %s - - ", w->account, v->id, s->id,
		 e->instance, e->id, VG_DEMO_REGION, vg_demo_az_id[s->az]);
	cpy(e->mid5, sizeof e->mid5, tmp);
	e->mid5_len = (uint8_t)strlen(e->mid5);
}

/* Add the interfaces (and instances, volumes) of one role. */
static void add_enis(dm_world *w, dm_rng *r, const role_spec *sp)
{
	for (int i = 0; i < sp->count; i++) {
		if (w->neni >= DM_MAX_ENI)
			abort();
		int idx = w->neni;
		dm_eni *e = &w->eni[idx];
		memset(e, 0, sizeof *e);
		hexid(r, e->id, sizeof e->id, "eni-");
		e->role = sp->role;
		e->vpc = sp->vpc;
		e->profile = sp->profile;
		e->subnet = pick_subnet(w, r, sp->vpc, sp->subnet_kind);
		if (sp->role == DM_R_DEV && dm_chance(r, 0.4))
			e->subnet = pick_subnet(w, r, sp->vpc, 0);
		e->ip = unique_host(w, r, &w->subnet[e->subnet]);
		e->phase = (int)dm_below(r, 60);
		e->rate = sp->base * vg_demo_lognormal(r, 1.0, sp->sigma);
		e->nodata_p = sp->role == DM_R_IDLE ? 0.3 : 0.04;
		e->sgi = sp->sg;
		if (sp->sg >= 0)
			cpy(e->sg, sizeof e->sg, w->sg[sp->sg].id);
		int has_instance = sp->itype_hi >= 0;
		if (has_instance) {
			hexid(r, e->instance, sizeof e->instance, "i-");
			hexid(r, e->volume, sizeof e->volume, "vol-");
			e->itype = (int)dm_range(r, (uint32_t)sp->itype_lo, (uint32_t)sp->itype_hi);
			e->vol_gib =
				sp->role == DM_R_WORKER ? 200 : (sp->role == DM_R_DEV ? 50 : 30);
			/* Production volumes are encrypted by the account default;
			 * development and staging ones predate it. */
			e->vol_encrypted = sp->vpc == 0;
			e->launch_ns = w->end_ns -
				       (int64_t)(20 + dm_below(r, 500)) * VG_NS_PER_DAY -
				       (int64_t)dm_below(r, 86400) * VG_NS_PER_SEC;
		} else {
			snprintf(e->instance, sizeof e->instance, "-");
		}
		if (sp->count > 1)
			snprintf(e->name, sizeof e->name, "%s-%02d", sp->name, i + 1);
		else
			snprintf(e->name, sizeof e->name, "%s", sp->name);
		int pub = w->subnet[e->subnet].public_ && sp->role != DM_R_NAT;
		if (pub || sp->role == DM_R_NAT) {
			/* Elastic and auto-assigned addresses in us-east-1's EC2 ranges */
			e->pub = host_in(r, dm_chance(r, 0.5) ? 0x36A00000u : 0x03D00000u, 12);
			e->scan_w = sp->role == DM_R_NAT ? 0 : 1.0;
		}
		e->windows = sp->role == DM_R_WINJUMP || sp->role == DM_R_AD;
		if (sp->role == DM_R_ALB || (sp->role == DM_R_WEB && dm_chance(r, 0.3))) {
			const dm_vpc *v = &w->vpc[e->vpc];
			memcpy(e->ip6, v->v6, 16);
			e->ip6[7] = (uint8_t)(e->ip6[7] | (uint8_t)e->subnet);
			for (int k = 8; k < 16; k++)
				e->ip6[k] = (uint8_t)dm_next(r);
			e->has6 = v->v6[0] != 0;
			if (e->has6)
				e->ip6len = (uint8_t)vg_demo_ip6_text(e->ip6, e->ip6txt);
		}
		eni_text(w, e);
		w->by_vpc[e->vpc][w->nby_vpc[e->vpc]++] = idx;
		w->by_role[e->role][w->nby_role[e->role]++] = idx;
		w->neni++;
	}
}

/* The three VPCs and their subnets. */
static void build_network(dm_world *w, dm_rng *r)
{
	add_vpc(w, r, "production", "10.0.0.0/16", 5);
	add_vpc(w, r, "development", "10.1.0.0/16", 2);
	add_vpc(w, r, "staging", "10.2.0.0/16", 0);
	/* production has an Amazon-provided IPv6 /56 */
	uint8_t *v6 = w->vpc[0].v6;
	inet_pton(AF_INET6, "2600:1f18::", v6);
	v6[4] = (uint8_t)dm_next(r);
	v6[5] = (uint8_t)dm_next(r);
	v6[6] = (uint8_t)(dm_next(r) | 1);

	static const char *const pub[3] = {"10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"};
	static const char *const app[3] = {"10.0.16.0/20", "10.0.32.0/20", "10.0.48.0/20"};
	static const char *const data[3] = {"10.0.100.0/24", "10.0.101.0/24", "10.0.102.0/24"};
	for (int az = 0; az < 3; az++) {
		char n[16];
		snprintf(n, sizeof n, "public-%c", 'a' + az);
		add_subnet(w, r, 0, n, pub[az], az, 1);
		snprintf(n, sizeof n, "app-%c", 'a' + az);
		add_subnet(w, r, 0, n, app[az], az, 0);
		snprintf(n, sizeof n, "data-%c", 'a' + az);
		add_subnet(w, r, 0, n, data[az], az, 0);
	}
	add_subnet(w, r, 1, "public-a", "10.1.0.0/24", 0, 1);
	add_subnet(w, r, 1, "public-b", "10.1.1.0/24", 1, 1);
	add_subnet(w, r, 1, "private-a", "10.1.16.0/20", 0, 0);
	add_subnet(w, r, 1, "private-b", "10.1.32.0/20", 1, 0);
	add_subnet(w, r, 2, "public-a", "10.2.0.0/24", 0, 1);
	add_subnet(w, r, 2, "private-a", "10.2.16.0/20", 0, 0);
}

enum { SG_ALB, SG_APP, SG_WORKER, SG_DB, SG_CACHE, SG_LAMBDA, SG_WIN, SG_AD, SG_BASTION, SG_DEV,
       SG_DEVDB, SG_LEGACY };

/* The security groups and their rules. */
static void build_sgs(dm_world *w, dm_rng *r)
{
	char office[24];
	snprintf(office, sizeof office, "%s/32", w->office[0].txt);
	add_sg(w, r, 0, "prod-alb", "Load balancer: HTTPS from the internet");
	sg_in(w, SG_ALB, "tcp", 443, 443, "0.0.0.0/0", "HTTPS");
	sg_in(w, SG_ALB, "tcp", 443, 443, "::/0", "HTTPS");
	sg_in(w, SG_ALB, "tcp", 80, 80, "0.0.0.0/0", "redirect to HTTPS");
	add_sg(w, r, 0, "prod-app", "App servers");
	sg_in_group(w, SG_APP, "tcp", 8080, 8080, SG_ALB, "from the load balancer");
	sg_in(w, SG_APP, "tcp", 22, 22, "10.1.0.0/16", "SSH from the development VPC");
	add_sg(w, r, 0, "prod-worker", "Queue workers");
	sg_in(w, SG_WORKER, "tcp", 22, 22, "10.1.0.0/16", "SSH from the development VPC");
	add_sg(w, r, 0, "prod-db", "Postgres and MySQL");
	sg_in_group(w, SG_DB, "tcp", 5432, 5432, SG_APP, "app servers");
	sg_in_group(w, SG_DB, "tcp", 5432, 5432, SG_WORKER, "workers");
	sg_in(w, SG_DB, "tcp", 3306, 3306, "10.0.0.0/16", "analytics");
	add_sg(w, r, 0, "prod-cache", "Redis");
	sg_in_group(w, SG_CACHE, "tcp", 6379, 6379, SG_APP, "app servers");
	add_sg(w, r, 0, "prod-lambda", "Lambda functions");
	add_sg(w, r, 0, "prod-win-jump", "Windows jump host");
	sg_in(w, SG_WIN, "tcp", 3389, 3389, "0.0.0.0/0", "RDP (temporary, remove)");
	add_sg(w, r, 0, "prod-ad", "Domain controllers");
	sg_in(w, SG_AD, "tcp", 53, 53, "10.0.0.0/16", "DNS");
	sg_in(w, SG_AD, "udp", 53, 53, "10.0.0.0/16", "DNS");
	sg_in(w, SG_AD, "tcp", 88, 88, "10.0.0.0/16", "Kerberos");
	sg_in(w, SG_AD, "tcp", 389, 389, "10.0.0.0/16", "LDAP");
	sg_in(w, SG_AD, "tcp", 445, 445, "10.0.0.0/16", "SMB");
	add_sg(w, r, 1, "dev-bastion", "SSH bastion");
	sg_in(w, SG_BASTION, "tcp", 22, 22, office, "head office");
	add_sg(w, r, 1, "dev-instances", "Developer instances");
	sg_in_group(w, SG_DEV, "tcp", 22, 22, SG_BASTION, "SSH from the bastion");
	sg_in(w, SG_DEV, "tcp", 8000, 8999, "10.1.0.0/16", "dev servers");
	add_sg(w, r, 1, "dev-db", "Development Postgres");
	sg_in(w, SG_DEVDB, "tcp", 5432, 5432, "10.1.0.0/16", NULL);
	add_sg(w, r, 2, "staging-legacy", "launch-wizard-3");
	sg_in(w, SG_LEGACY, "tcp", 22, 22, "0.0.0.0/0", NULL);
	sg_in(w, SG_LEGACY, "tcp", 21, 21, "0.0.0.0/0", NULL);
	sg_in(w, SG_LEGACY, "tcp", 3306, 3306, "0.0.0.0/0", NULL);
	w->sg_bastion = SG_BASTION;
	w->sg_winjump = SG_WIN;
}

/* Every interface of the estate. */
static void build_enis(dm_world *w, dm_rng *r)
{
	static const role_spec specs[] = {
		{DM_R_ALB, 0, 3, DM_P_WEB, SG_ALB, 30, 0.15, "app-alb", 0, 0, -1},
		{DM_R_NAT, 0, 2, DM_P_WEB, -1, 10, 0.15, "nat", 0, 0, -1},
		{DM_R_WEB, 0, 72, DM_P_WEB, SG_APP, 1.5, 0.6, "web", 1, 2, 5},
		{DM_R_WORKER, 0, 36, DM_P_BATCH, SG_WORKER, 1.0, 0.8, "worker", 1, 4, 7},
		{DM_R_DB, 0, 4, DM_P_WEB, SG_DB, 6, 0.3, "rds", 2, 0, -1},
		{DM_R_CACHE, 0, 3, DM_P_WEB, SG_CACHE, 8, 0.3, "redis", 2, 0, -1},
		{DM_R_LAMBDA, 0, 10, DM_P_FLAT, SG_LAMBDA, 0.3, 0.8, "lambda", 1, 0, -1},
		{DM_R_WINJUMP, 0, 1, DM_P_OFFICE, SG_WIN, 0.5, 0, "win-jump", 0, 3, 3},
		{DM_R_AD, 0, 2, DM_P_OFFICE, SG_AD, 2, 0.2, "dc", 1, 4, 4},
		{DM_R_IDLE, 0, 12, DM_P_FLAT, SG_APP, 0.003, 0.5, "test", 1, 0, 1},
		{DM_R_BASTION, 1, 1, DM_P_OFFICE, SG_BASTION, 0.4, 0, "bastion", 0, 1, 1},
		{DM_R_DEV, 1, 90, DM_P_OFFICE, SG_DEV, 0.5, 1.0, "dev", 1, 1, 4},
		{DM_R_DEVDB, 1, 2, DM_P_OFFICE, SG_DEVDB, 2, 0.3, "dev-rds", 1, 0, -1},
		{DM_R_IDLE, 1, 16, DM_P_FLAT, SG_DEV, 0.003, 0.5, "spare", 1, 0, 1},
		{DM_R_IDLE, 2, 1, DM_P_FLAT, SG_LEGACY, 0.0, 0, "legacy-ftp", 0, 0, 0},
		{DM_R_IDLE, 2, 1, DM_P_FLAT, SG_LEGACY, 0.0, 0, "staging-app", 1, 2, 2},
	};
	for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
		add_enis(w, r, &specs[i]);
	w->eni_bastion = w->by_role[DM_R_BASTION][0];
	w->eni_winjump = w->by_role[DM_R_WINJUMP][0];
	/* Six developer instances are stopped at night by a scheduler. */
	w->nsched = 6;
	for (int i = 0; i < w->nsched; i++) {
		int idx = w->by_role[DM_R_DEV][3 + i * 7];
		w->eni[idx].sched = 1;
		w->eni_scheduled[i] = idx;
	}
}

/* One IAM user, role or root, with ids and key. */
static void build_actor(dm_world *w, dm_rng *r, int i, int kind, const char *name, int mfa,
			int console, int key_age_days)
{
	dm_actor *a = &w->actor[i];
	a->kind = kind;
	snprintf(a->name, sizeof a->name, "%s", name);
	if (kind == DM_A_USER || kind == DM_A_ROLE)
		vg_demo_rand_id(r, a->pid, sizeof a->pid, kind == DM_A_USER ? "AIDA" : "AROA", 17,
				DM_B32);
	else
		snprintf(a->pid, sizeof a->pid, "%s", w->account);
	if (key_age_days > 0) {
		vg_demo_rand_id(r, a->key, sizeof a->key, "AKIA", 16, DM_B32);
		a->key_created_ns = w->end_ns - (int64_t)key_age_days * VG_NS_PER_DAY -
				    (int64_t)dm_below(r, 86400) * VG_NS_PER_SEC;
	}
	a->mfa = mfa;
	a->console = console;
	a->created_ns = w->end_ns - (int64_t)(key_age_days + 30 + (int)dm_below(r, 400)) *
					    VG_NS_PER_DAY;
}

/* The people and programs calling AWS. */
static void build_actors(dm_world *w, dm_rng *r)
{
	build_actor(w, r, DM_ACT_ALICE, DM_A_USER, "alice.martin", 1, 1, 61);
	build_actor(w, r, DM_ACT_BOB, DM_A_USER, "bob.chen", 0, 1, 45);
	build_actor(w, r, DM_ACT_CAROL, DM_A_USER, "carol.diaz", 1, 1, 0);
	build_actor(w, r, DM_ACT_CI, DM_A_USER, "ci-deploy", 0, 0, 412);
	build_actor(w, r, DM_ACT_BACKUP, DM_A_USER, "backup-svc", 0, 0, 75);
	build_actor(w, r, DM_ACT_LEGACY, DM_A_USER, "legacy-ftp", 0, 1, 0);
	build_actor(w, r, DM_ACT_APPROLE, DM_A_ROLE, "app-server-role", 0, 0, 0);
	build_actor(w, r, DM_ACT_REPORTROLE, DM_A_ROLE, "report-generator-role", 0, 0, 0);
	build_actor(w, r, DM_ACT_SCHEDROLE, DM_A_ROLE, "instance-scheduler-role", 0, 0, 0);
	build_actor(w, r, DM_ACT_CONFIGROLE, DM_A_ROLE, "AWSServiceRoleForConfig", 0, 0, 0);
	build_actor(w, r, DM_ACT_ROOT, DM_A_ROOT, "root", 0, 1, 0);
	w->actor[DM_ACT_LEGACY].created_ns = w->end_ns - 900 * VG_NS_PER_DAY;
	/* The key bob.chen's intruder creates during the attack. */
	vg_demo_rand_id(r, w->actor[DM_ACT_BOB].key2, sizeof w->actor[DM_ACT_BOB].key2, "AKIA", 16,
			DM_B32);
}

/* Seconds of jitter so the attack does not start on round minutes. */
static int64_t at(const dm_world *w, dm_rng *r, int minutes_before_end)
{
	return w->end_ns - (int64_t)minutes_before_end * DM_NS_MIN +
	       (int64_t)dm_below(r, 45) * DM_NS_SEC;
}

/* The attack: its sources, times and the ids it creates. */
static void build_attack(dm_world *w, dm_rng *r)
{
	fixed_addr(r, &w->att_scan, "89.248.165.0/24");
	fixed_addr(r, &w->att_ssh, "218.92.0.0/24");
	fixed_addr(r, &w->att_rdp, "194.165.16.0/24");
	for (int i = 0; i < 4; i++)
		fixed_addr(r, &w->att_tor[i], i < 2 ? "185.220.101.0/24" : "185.220.100.240/28");
	w->t_portscan = at(w, r, 20 * 60 - 3);
	w->t_portscan_end = w->t_portscan + 8 * DM_NS_MIN;
	w->t_rdp = at(w, r, 19 * 60 + 10);
	w->t_rdp_end = w->t_rdp + 20 * DM_NS_MIN;
	w->t_keyprobe = at(w, r, 18 * 60);
	w->t_ssh = at(w, r, 17 * 60 + 35);
	w->t_login_fail = at(w, r, 17 * 60 + 33);
	w->t_login = w->t_login_fail + 2 * DM_NS_MIN + 11 * DM_NS_SEC;
	w->t_sg_open = at(w, r, 17 * 60 + 20);
	w->t_ssh_success = at(w, r, 17 * 60 + 8);
	w->t_ssh_end = w->t_ssh_success + 2 * DM_NS_MIN;
	w->t_exfil_end = at(w, r, 16 * 60 + 35);
	w->t_persist = at(w, r, 17 * 60);
	w->t_trail = at(w, r, 16 * 60 + 56);
	w->t_s3_exfil = at(w, r, 16 * 60 + 50);
	w->t_s3_exfil_end = w->t_s3_exfil + 25 * DM_NS_MIN;
	w->t_root = at(w, r, 9 * 60 + 12);
	/* The leaked key was tried on the preceding days too, at varying hours:
	 * searching "not authorized to perform" shows clusters over days. */
	w->nprobe_days = 0;
	for (int d = 1; d <= 3; d++) {
		int64_t t = w->t_keyprobe - (int64_t)d * VG_NS_PER_DAY +
			    ((int64_t)dm_below(r, 5 * 60) - 150) * DM_NS_MIN;
		if (t >= w->start_ns)
			w->t_probe_day[w->nprobe_days++] = t;
	}
	/* The port scan walks the 1000 most interesting ports in random order
	 * from one source port, as nmap -sS does. */
	w->nscan_ports = 0;
	for (int p = 1; p <= 1000; p++)
		w->scan_ports[w->nscan_ports++] = (uint16_t)p;
	static const uint16_t extra[] = {1433, 1521, 2049, 2222, 3306, 3389, 5432, 5900, 5985, 6379,
					 8000, 8080, 8443, 8888, 9200, 27017, 11211, 50000};
	for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++)
		w->scan_ports[w->nscan_ports++] = extra[i];
	for (int i = w->nscan_ports - 1; i > 0; i--) {
		int j = (int)dm_below(r, (uint32_t)i + 1);
		uint16_t t = w->scan_ports[i];
		w->scan_ports[i] = w->scan_ports[j];
		w->scan_ports[j] = t;
	}
	w->scan_sport = (uint16_t)dm_range(r, 33000, 65000);
	vg_demo_rand_id(r, w->sgr_open, sizeof w->sgr_open, "sgr-0", 16, DM_HEX);
	vg_demo_uuid(r, w->ev_sg_open);
	vg_demo_uuid(r, w->ev_attach);
	vg_demo_uuid(r, w->ev_update_trail);
	vg_demo_uuid(r, w->ev_stop_logging);
	vg_demo_uuid(r, w->ev_create_key);
	hexid(r, w->vol_orphan, sizeof w->vol_orphan, "vol-");
	w->orphan_created = w->end_ns - 200 * VG_NS_PER_DAY;
	w->t_delete_volume = at(w, r, 2 * 24 * 60 + 3 * 60);
	if (w->t_delete_volume < w->start_ns + 30 * DM_NS_MIN)
		w->t_delete_volume = 0;
	w->t_create_bucket = w->t_root + 35 * DM_NS_MIN;
	vg_demo_uuid(r, w->ev_delete_volume);
	vg_demo_uuid(r, w->ev_create_bucket);
}

/* Scale the relative rates so that scale 1 gives about 2.5 million records
 * a week: 85% conversations, 12% scanner probes (the rest is NODATA, the
 * attack, and scanner probes that are answered). */
static void calibrate(dm_world *w)
{
	const double per_min = 2.5e6 / (7 * 1440.0);
	double conv = 0, scan = 0;
	for (int i = 0; i < w->neni; i++) {
		const dm_eni *e = &w->eni[i];
		if (w->vpc[e->vpc].flow_version == 0)
			continue;
		double rpc = e->role == DM_R_NAT ? 4 : 2;
		double up = e->sched ? 12.0 * 5 / 168 : 1.0; /* hours running per week */
		conv += e->rate * rpc * up;
		scan += e->scan_w;
	}
	w->k_conv = 0.85 * per_min * w->scale / conv;
	w->k_scan = 0.12 * per_min * w->scale / scan;
	/* Keep each file near or under ~400k records: about 1 shard per 20x. */
	w->nshards = 1 + (int)(w->scale / 20.0);
	if (w->nshards > 64)
		w->nshards = 64;
}

void vg_demo_world_build(dm_world *w, uint64_t seed, double scale, int days, int64_t end_ns)
{
	memset(w, 0, sizeof *w);
	w->seed = seed;
	w->scale = scale;
	w->days = days;
	w->end_ns = end_ns;
	w->start_ns = end_ns - (int64_t)days * VG_NS_PER_DAY;
	snprintf(w->account, sizeof w->account, "%s", VG_DEMO_ACCOUNT);
	dm_rng r;
	dm_rng_init(&r, dm_stream(seed, DM_S_WORLD, 0, 0, 0));
	build_diurnal(w);
	/* The pools come first so that adding a resource later does not
	 * change every address in the data set. */
	fill_pool(&r, scanner_blocks, N_ARRAY(scanner_blocks), 2500, 0.75, 1.0, &w->scanners,
		  &w->scanner_cdf);
	w->nscanners = 2500;
	fill_pool(&r, client_blocks, N_ARRAY(client_blocks), 20000, 0.8, 10.0, &w->clients,
		  &w->client_cdf);
	w->nclients = 20000;
	fill_pool(&r, saas_blocks, N_ARRAY(saas_blocks), 80, 0.7, 1.0, &w->saas, &w->saas_cdf);
	w->nsaas = 80;
	fill_clients6(w, &r);
	fixed_addr(&r, &w->office[0], "38.104.231.0/24");  /* head office, Cogent */
	fixed_addr(&r, &w->office[1], "73.162.89.0/24");   /* the CTO's home, Comcast */
	fixed_addr(&r, &w->office[2], "86.158.201.0/24");  /* a remote analyst, BT */
	for (int i = 0; i < 4; i++)
		fixed_addr(&r, &w->ci_runner[i], "20.57.0.0/16"); /* hosted CI runners */
	build_network(w, &r);
	build_sgs(w, &r);
	build_enis(w, &r);
	build_actors(w, &r);
	build_attack(w, &r);
	snprintf(w->trail_main, sizeof w->trail_main, "acme-management-events");
	snprintf(w->trail_alerts, sizeof w->trail_alerts, "acme-security-alerts");
	snprintf(w->bucket_trail, sizeof w->bucket_trail, "acme-cloudtrail-%s", w->account);
	snprintf(w->bucket_flow, sizeof w->bucket_flow, "acme-vpc-flow-logs-%s", w->account);
	snprintf(w->bucket_config, sizeof w->bucket_config, "acme-config-%s", w->account);
	snprintf(w->bucket_exports, sizeof w->bucket_exports, "acme-customer-exports");
	snprintf(w->bucket_forensics, sizeof w->bucket_forensics, "acme-forensics-%s", w->account);
	vg_demo_uuid(&r, w->kms_key);
	calibrate(w);
}

void vg_demo_world_free(dm_world *w)
{
	free(w->scanners);
	free(w->scanner_cdf);
	free(w->clients);
	free(w->client_cdf);
	free(w->clients6);
	free(w->saas);
	free(w->saas_cdf);
	w->scanners = w->clients = w->saas = NULL;
	w->clients6 = NULL;
	w->scanner_cdf = w->client_cdf = w->saas_cdf = NULL;
}
