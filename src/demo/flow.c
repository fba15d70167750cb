/*
 * flow.c — VPC Flow Logs as S3 delivers them.
 *
 * One file per (hour, flow log, shard): the production VPC's log uses a
 * custom version-5 format (the field list of AWS's documentation example),
 * the development VPC's the default version-2 format; every file starts
 * with the header line naming the fields. Shards split a VPC's interfaces
 * so files stay under a few hundred thousand records at large scales.
 *
 * How traffic is made. Each interface captures in 60-second windows at its
 * own phase (AWS aggregates per interface, so windows of different
 * interfaces do not line up); all records of one window share its start
 * and end. In each window an interface has a Poisson number of
 * conversations whose mean follows its role and a diurnal profile; a
 * conversation is usually a request/response pair (the response with
 * addresses and ports swapped), four records on a NAT gateway (with the
 * original addresses in pkt-srcaddr/pkt-dstaddr), or a single REJECT.
 * Response sizes are Pareto-distributed: most flows are small, a few are
 * huge. Interfaces with public addresses get internet scanners' probes,
 * REJECTed unless their security group lets the port in. An idle window
 * sometimes yields a NODATA record, a very busy one rarely SKIPDATA.
 *
 * Speed. This is the only hot path of the generator (100 million records
 * must take minutes): records are formatted by hand straight into the
 * file's buffer, per-interface text is precomputed in the world, and the
 * window's "start end" text is formatted once per window. Work is split
 * into chunks taken by worker threads from an atomic counter; a chunk's
 * output depends only on its own random stream, so the bytes do not depend
 * on the number of threads.
 */
#include "demo/demo_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/timeutil.h"

static const char hdr2[] =
	"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
	"start end action log-status\n";
static const char hdr5[] =
	"version srcaddr dstaddr srcport dstport protocol start end type packets bytes account-id "
	"vpc-id subnet-id instance-id interface-id region az-id sublocation-type sublocation-id "
	"action tcp-flags pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service "
	"traffic-path flow-direction log-status\n";

enum { P_TCP = 6, P_UDP = 17, P_ICMP = 1 };
/* tcp-flags values AWS reports: the OR of the flags seen in the window */
enum { F_NONE = 0, F_FIN = 1, F_SYN = 2, F_RST = 4, F_SYNACK = 18 };
/* traffic-path (egress only): the development VPC reaches production's
 * private addresses over a peering connection (PATH_PEER) */
enum { PATH_NONE = 0, PATH_VPC = 1, PATH_PEER = 4, PATH_GWE = 7, PATH_IGW = 8 };

typedef struct fstats {
	uint64_t rec, acc, rej, nodata, skip, v6, files, bytes;
} fstats;

/* Add every count of from to to. */
static void fstats_add(fstats *to, const fstats *from)
{
	to->rec += from->rec;
	to->acc += from->acc;
	to->rej += from->rej;
	to->nodata += from->nodata;
	to->skip += from->skip;
	to->v6 += from->v6;
	to->files += from->files;
	to->bytes += from->bytes;
}

/* One side of a conversation as text. */
typedef struct fend {
	const char *txt;
	uint8_t len;
	uint8_t svc;
} fend;

/* The state of one chunk being written. */
typedef struct fctx {
	const dm_world *w;
	dm_rng r;
	dm_file f;
	int version;
	const dm_eni *e;
	int64_t ts;            /* window start, ns */
	char win[32];          /* "start end" */
	uint8_t winlen;
	int v6;                /* records being made are IPv6 */
	fstats n;
	vg_err *err;
} fctx;

/* A record from the interface's point of view. */
typedef struct frec {
	fend src, dst;
	const fend *psrc, *pdst; /* version-5 pkt-srcaddr/pkt-dstaddr; NULL = src/dst */
	uint16_t sport, dport;
	uint8_t proto, reject, flags, egress, path;
	uint64_t pkts, bytes;
} frec;

/* Copy an address's text. */
static char *put_end(char *p, const fend *x)
{
	return dm_put(p, x->txt, x->len);
}

/* "srcaddr dstaddr srcport dstport protocol " of r at p; returns the end. */
static char *put_tuple(char *p, const frec *r)
{
	p = put_end(p, &r->src);
	*p++ = ' ';
	p = put_end(p, &r->dst);
	*p++ = ' ';
	p = dm_put_u64(p, r->sport);
	*p++ = ' ';
	p = dm_put_u64(p, r->dport);
	*p++ = ' ';
	p = dm_put_u64(p, r->proto);
	*p++ = ' ';
	return p;
}

/* Where the next record goes in the file buffer, with room for the longest
 * one made; NULL when flushing the buffer failed (c->err says why). */
static char *rec_begin(fctx *c)
{
	if (dm_file_room(&c->f, 640, c->err))
		return NULL;
	return c->f.buf + c->f.len;
}

/* The record begun by rec_begin ends at p: keep it and count it. */
static void rec_end(fctx *c, const char *p)
{
	c->f.len = (size_t)(p - c->f.buf);
	c->n.rec++;
}

/* Format one record into the file buffer. */
static int emit(fctx *c, const frec *r)
{
	char *p = rec_begin(c);
	if (p == NULL)
		return -1;
	const dm_eni *e = c->e;
	if (c->version == 2) {
		p = dm_put(p, e->pre2, e->pre2_len);
		p = put_tuple(p, r);
		p = dm_put_u64(p, r->pkts);
		*p++ = ' ';
		p = dm_put_u64(p, r->bytes);
		*p++ = ' ';
		p = dm_put(p, c->win, c->winlen);
		p = dm_put(p, r->reject ? " REJECT OK\n" : " ACCEPT OK\n", 11);
	} else {
		const fend *ps = r->psrc ? r->psrc : &r->src;
		const fend *pd = r->pdst ? r->pdst : &r->dst;
		p = dm_put(p, "5 ", 2);
		p = put_tuple(p, r);
		p = dm_put(p, c->win, c->winlen);
		p = dm_put(p, c->v6 ? " IPv6 " : " IPv4 ", 6);
		p = dm_put_u64(p, r->pkts);
		*p++ = ' ';
		p = dm_put_u64(p, r->bytes);
		p = dm_put(p, e->mid5, e->mid5_len);
		p = dm_put(p, r->reject ? "REJECT " : "ACCEPT ", 7);
		if (r->proto == P_TCP)
			p = dm_put_u64(p, r->flags);
		else
			*p++ = '0';
		*p++ = ' ';
		p = put_end(p, ps);
		*p++ = ' ';
		p = put_end(p, pd);
		*p++ = ' ';
		const char *ss = vg_demo_svc_name[ps->svc], *ds = vg_demo_svc_name[pd->svc];
		p = dm_put(p, ss, strlen(ss));
		*p++ = ' ';
		p = dm_put(p, ds, strlen(ds));
		*p++ = ' ';
		if (r->egress && r->path)
			p = dm_put_u64(p, r->path);
		else
			*p++ = '-';
		p = dm_put(p, r->egress ? " egress OK\n" : " ingress OK\n", r->egress ? 11 : 12);
	}
	rec_end(c, p);
	c->n.v6 += (uint64_t)c->v6;
	if (r->reject)
		c->n.rej++;
	else
		c->n.acc++;
	return 0;
}

/* A NODATA or SKIPDATA record: only the interface and window are known. */
static int emit_status(fctx *c, const char *status)
{
	char *p = rec_begin(c);
	if (p == NULL)
		return -1;
	const dm_eni *e = c->e;
	if (c->version == 2) {
		p = dm_put(p, e->pre2, e->pre2_len);
		p = dm_put(p, "- - - - - - - ", 14);
		p = dm_put(p, c->win, c->winlen);
		p = dm_put(p, " - ", 3);
	} else {
		p = dm_put(p, "5 - - - - - ", 12);
		p = dm_put(p, c->win, c->winlen);
		p = dm_put(p, " - - -", 6);
		p = dm_put(p, e->mid5, e->mid5_len);
		p = dm_put(p, "- - - - - - - - ", 16);
	}
	p = dm_put(p, status, strlen(status));
	*p++ = '\n';
	rec_end(c, p);
	if (status[0] == 'N')
		c->n.nodata++;
	else
		c->n.skip++;
	return 0;
}

/* ---------- sizes and ports ---------- */

/* Packets for a byte count: bulk transfers fill segments, small exchanges
 * are headers and acknowledgements. Returns packets; *bytes is raised so
 * that every packet has at least a header. */
static uint64_t packets(dm_rng *r, uint64_t *bytes, int proto)
{
	uint64_t hdr = proto == P_TCP ? 40 : (proto == P_UDP ? 28 : 28);
	uint64_t pk;
	if (*bytes < 400)
		pk = 1 + dm_below(r, 3);
	else
		pk = 1 + *bytes / (300 + dm_below(r, 1150));
	if (*bytes < pk * hdr)
		*bytes = pk * hdr + dm_below(r, 40);
	return pk;
}

/* A Linux client port (net.ipv4.ip_local_port_range). */
static uint16_t eph_linux(dm_rng *r)
{
	return (uint16_t)dm_range(r, 32768, 60999);
}

/* Client port for an interface (Windows uses 49152-65535). */
static uint16_t eph_local(fctx *c)
{
	return c->e->windows ? (uint16_t)dm_range(&c->r, 49152, 65535) : eph_linux(&c->r);
}

/* Client port of an internet host: any OS, any NAT in between. */
static uint16_t eph_remote(dm_rng *r)
{
	uint32_t k = dm_below(r, 10);
	if (k < 5)
		return eph_linux(r);
	if (k < 8)
		return (uint16_t)dm_range(r, 49152, 65535);
	return (uint16_t)dm_range(r, 1024, 65535);
}

/* ---------- conversations ---------- */

/* Parameters of a request/response exchange. */
typedef struct conv {
	fend peer;
	int local_client;      /* the interface opened the connection */
	uint16_t cport, sport; /* client and server ports */
	uint8_t proto;
	uint8_t path;          /* traffic-path of the interface's egress record */
	double req_bytes, resp_bytes;
	double p_short;        /* chance the whole connection fits in the window */
	int reject;            /* inbound and rejected: one record */
} conv;

/* The interface's own address, in the family of the records being made. */
static fend local_end(const fctx *c)
{
	fend l;
	if (c->v6) {
		l.txt = c->e->ip6txt;
		l.len = c->e->ip6len;
	} else {
		l.txt = c->e->iptxt;
		l.len = c->e->iplen;
	}
	l.svc = 0;
	return l;
}

/* Write the records of one exchange as the interface sees it: a single
 * REJECT, or the request and the response with addresses and ports swapped. */
static int conversation(fctx *c, const conv *cv)
{
	fend self = local_end(c);
	uint64_t qb = (uint64_t)cv->req_bytes, sb = (uint64_t)cv->resp_bytes;
	if (cv->reject) {
		frec q = {.src = cv->peer, .dst = self, .sport = cv->cport, .dport = cv->sport,
			  .proto = cv->proto, .reject = 1, .flags = F_SYN};
		q.pkts = 1 + (dm_chance(&c->r, 0.3) ? dm_below(&c->r, 2) : 0);
		q.bytes = q.pkts * (cv->proto == P_TCP ? 60 : 40 + dm_below(&c->r, 40));
		return emit(c, &q);
	}
	int shortc = dm_chance(&c->r, cv->p_short);
	uint64_t qp = packets(&c->r, &qb, cv->proto), sp = packets(&c->r, &sb, cv->proto);
	/* the receiver of a bulk transfer acknowledges about every other segment */
	if (cv->proto == P_TCP && qp < sp / 2) {
		qp = sp / 2;
		if (qb < qp * 52)
			qb = qp * 52;
	} else if (cv->proto == P_TCP && sp < qp / 2) {
		sp = qp / 2;
		if (sb < sp * 52)
			sb = sp * 52;
	}
	frec q = {.sport = cv->cport, .dport = cv->sport, .proto = cv->proto, .pkts = qp,
		  .bytes = qb, .flags = shortc ? F_SYN | F_FIN : F_NONE};
	frec s = {.sport = cv->sport, .dport = cv->cport, .proto = cv->proto, .pkts = sp,
		  .bytes = sb, .flags = shortc ? F_SYNACK | F_FIN : F_NONE};
	if (cv->local_client) {
		q.src = self, q.dst = cv->peer, q.egress = 1, q.path = cv->path;
		s.src = cv->peer, s.dst = self;
	} else {
		q.src = cv->peer, q.dst = self;
		s.src = self, s.dst = cv->peer, s.egress = 1, s.path = cv->path;
	}
	if (emit(c, &q))
		return -1;
	return emit(c, &s);
}

/* Text of an internal peer interface. */
static fend eni_end(const dm_world *w, int idx)
{
	const dm_eni *e = &w->eni[idx];
	fend x = {e->iptxt, e->iplen, 0};
	return x;
}

/* A random interface of a role, as a peer. */
static fend role_peer(fctx *c, int role)
{
	const dm_world *w = c->w;
	return eni_end(w, w->by_role[role][dm_below(&c->r, (uint32_t)w->nby_role[role])]);
}

/* A pool address as a peer. */
static fend addr_end(const dm_addr *a)
{
	fend x = {a->txt, a->len, a->svc};
	return x;
}

/* An IPv6 address as a peer (no AWS service). */
static fend addr6_end(const dm_addr6 *a)
{
	fend x = {a->txt, a->len, 0};
	return x;
}

/* A random HTTPS destination on the internet. */
static fend saas_peer(fctx *c)
{
	return addr_end(vg_demo_pick_saas(c->w, &c->r));
}

/* An S3 address reached through the gateway endpoint. */
static fend s3_peer(fctx *c)
{
	for (int tries = 0; tries < 16; tries++) {
		const dm_addr *a = vg_demo_pick_saas(c->w, &c->r);
		if (a->svc == DM_SVC_S3)
			return addr_end(a);
	}
	return addr_end(&c->w->saas[0]);
}

static const dm_addr ntp_addr = {0xA29FC801u, 13, 0, "162.159.200.1"};
static const dm_addr dns_addr[2] = {{0x01010101u, 7, 0, "1.1.1.1"}, {0x08080808u, 7, 0, "8.8.8.8"}};

/* Size of a typical request. */
static double small_req(fctx *c)
{
	return vg_demo_lognormal(&c->r, 700, 0.9);
}

/* Size of a response: Pareto, heavy-tailed. */
static double resp(fctx *c, double xm, double alpha, double cap)
{
	return vg_demo_pareto(&c->r, xm, alpha, cap);
}

/* A client of this interface's service, as a conversation to this side. */
static void inbound(fctx *c, conv *cv, fend peer, uint16_t port)
{
	memset(cv, 0, sizeof *cv);
	cv->peer = peer;
	cv->cport = eph_linux(&c->r);
	cv->sport = port;
	cv->proto = P_TCP;
	cv->path = PATH_VPC;
}

/* A connection the interface opens, to port on peer, leaving by path. */
static void outbound(fctx *c, conv *cv, fend peer, uint16_t port, uint8_t path)
{
	memset(cv, 0, sizeof *cv);
	cv->peer = peer;
	cv->local_client = 1;
	cv->cport = eph_local(c);
	cv->sport = port;
	cv->proto = P_TCP;
	cv->path = path;
}

/* Egress to the internet from a private subnet goes through a NAT gateway
 * (traffic path 1); from a public subnet straight out of the internet
 * gateway (8). */
static uint8_t inet_path(const fctx *c)
{
	return c->w->subnet[c->e->subnet].public_ ? PATH_IGW : PATH_VPC;
}

/* App servers: requests from the load balancer; calls to the database,
 * Redis, S3 and the internet. */
static int conv_web(fctx *c)
{
	conv cv;
	double u = dm_unit(&c->r);
	if (u < 0.50) {
		inbound(c, &cv, role_peer(c, DM_R_ALB), 8080);
		cv.req_bytes = vg_demo_lognormal(&c->r, 900, 1.0);
		cv.resp_bytes = resp(c, 2000, 1.3, 5e7);
		cv.p_short = 0.3;
	} else if (u < 0.68) {
		outbound(c, &cv, role_peer(c, DM_R_DB), 5432, PATH_VPC);
		cv.req_bytes = vg_demo_lognormal(&c->r, 1200, 0.8);
		cv.resp_bytes = resp(c, 600, 1.2, 2e7);
		cv.p_short = 0.05;
	} else if (u < 0.85) {
		outbound(c, &cv, role_peer(c, DM_R_CACHE), 6379, PATH_VPC);
		cv.req_bytes = vg_demo_lognormal(&c->r, 300, 0.7);
		cv.resp_bytes = resp(c, 200, 1.5, 1e6);
		cv.p_short = 0.02;
	} else if (u < 0.95) {
		if (c->e->has6 && dm_chance(&c->r, 0.35)) {
			/* IPv6 egress through the egress-only internet gateway */
			const dm_addr6 *a = &c->w->saas6[dm_below(&c->r, (uint32_t)c->w->nsaas6)];
			outbound(c, &cv, addr6_end(a), 443, PATH_IGW);
			c->v6 = 1;
		} else {
			outbound(c, &cv, saas_peer(c), 443, PATH_VPC);
		}
		cv.req_bytes = small_req(c);
		cv.resp_bytes = resp(c, 1500, 1.2, 5e7);
		cv.p_short = 0.7;
	} else if (u < 0.985) {
		outbound(c, &cv, s3_peer(c), 443, PATH_GWE);
		cv.req_bytes = small_req(c);
		cv.resp_bytes = resp(c, 20000, 1.1, 5e8);
		cv.p_short = 0.5;
	} else if (u < 0.99) {
		/* an engineer's SSH session from the bastion, over the peering */
		inbound(c, &cv, eni_end(c->w, c->w->eni_bastion), 22);
		cv.req_bytes = vg_demo_lognormal(&c->r, 8000, 1.2);
		cv.resp_bytes = resp(c, 12000, 1.2, 1e8);
		cv.p_short = 0.2;
	} else {
		outbound(c, &cv, addr_end(&ntp_addr), 123, PATH_VPC);
		cv.proto = P_UDP;
		cv.req_bytes = cv.resp_bytes = 76;
	}
	int rc = conversation(c, &cv);
	c->v6 = 0;
	return rc;
}

/* Workers: bulk uploads to S3, database work, AWS APIs. */
static int conv_worker(fctx *c)
{
	conv cv;
	double u = dm_unit(&c->r);
	if (u < 0.35) {
		/* batch output to S3: the few huge flows of the data set */
		outbound(c, &cv, s3_peer(c), 443, PATH_GWE);
		cv.req_bytes = resp(c, 5000, 1.05, 2e9);
		cv.resp_bytes = vg_demo_lognormal(&c->r, 800, 0.5);
		cv.p_short = 0.4;
	} else if (u < 0.60) {
		outbound(c, &cv, role_peer(c, DM_R_DB), 5432, PATH_VPC);
		cv.req_bytes = vg_demo_lognormal(&c->r, 2000, 1.0);
		cv.resp_bytes = resp(c, 800, 1.1, 2e8);
		cv.p_short = 0.05;
	} else if (u < 0.80) {
		const dm_addr *a;
		do
			a = vg_demo_pick_saas(c->w, &c->r);
		while (a->svc != DM_SVC_AMAZON && dm_chance(&c->r, 0.8));
		outbound(c, &cv, addr_end(a), 443, PATH_VPC);
		cv.req_bytes = small_req(c);
		cv.resp_bytes = resp(c, 500, 1.4, 1e6);
		cv.p_short = 0.2;
	} else if (u < 0.95) {
		outbound(c, &cv, role_peer(c, DM_R_CACHE), 6379, PATH_VPC);
		cv.req_bytes = vg_demo_lognormal(&c->r, 400, 0.7);
		cv.resp_bytes = resp(c, 200, 1.5, 1e6);
		cv.p_short = 0.02;
	} else {
		outbound(c, &cv, saas_peer(c), 443, PATH_VPC);
		cv.req_bytes = small_req(c);
		cv.resp_bytes = resp(c, 1500, 1.2, 5e7);
		cv.p_short = 0.7;
	}
	return conversation(c, &cv);
}

/* A database or cache: app servers and workers connect in; now and then a
 * development host tries too and is rejected by the security group. */
static int conv_store(fctx *c, uint16_t port)
{
	conv cv;
	if (dm_chance(&c->r, 0.01)) {
		inbound(c, &cv, role_peer(c, DM_R_DEV), port);
		cv.reject = 1;
		return conversation(c, &cv);
	}
	inbound(c, &cv, role_peer(c, dm_chance(&c->r, 0.7) ? DM_R_WEB : DM_R_WORKER), port);
	cv.req_bytes = vg_demo_lognormal(&c->r, port == 6379 ? 300 : 1200, 0.8);
	cv.resp_bytes = resp(c, port == 6379 ? 200 : 600, 1.2, 2e7);
	cv.p_short = 0.05;
	return conversation(c, &cv);
}

/* Load balancer nodes: internet clients in (some over IPv6), app servers out. */
static int conv_alb(fctx *c)
{
	conv cv;
	if (dm_chance(&c->r, 0.45)) {
		outbound(c, &cv, role_peer(c, DM_R_WEB), 8080, PATH_VPC);
		cv.req_bytes = vg_demo_lognormal(&c->r, 900, 1.0);
		cv.resp_bytes = resp(c, 2000, 1.3, 5e7);
		cv.p_short = 0.3;
		return conversation(c, &cv);
	}
	fend peer;
	if (c->e->has6 && dm_chance(&c->r, 0.25)) {
		peer = addr6_end(&c->w->clients6[dm_below(&c->r, (uint32_t)c->w->nclients6)]);
		c->v6 = 1;
	} else {
		peer = addr_end(vg_demo_pick_client(c->w, &c->r));
	}
	inbound(c, &cv, peer, dm_chance(&c->r, 0.95) ? 443 : 80);
	cv.cport = eph_remote(&c->r);
	cv.path = PATH_IGW;
	cv.req_bytes = vg_demo_lognormal(&c->r, 1500, 1.0);
	cv.resp_bytes = resp(c, 3000, 1.2, 3e8);
	cv.p_short = 0.6;
	int rc = conversation(c, &cv);
	c->v6 = 0;
	return rc;
}

/* A NAT gateway's four records for one translated connection: the
 * instance's packets arrive and leave with the NAT's address; the
 * original addresses stay visible in pkt-srcaddr/pkt-dstaddr. */
static int conv_nat(fctx *c)
{
	fend inst = role_peer(c, dm_chance(&c->r, 0.6) ? DM_R_WEB : DM_R_WORKER);
	fend self = local_end(c);
	int ntp = dm_chance(&c->r, 0.03);
	fend dst = ntp ? addr_end(&ntp_addr) : saas_peer(c);
	uint8_t proto = ntp ? P_UDP : P_TCP;
	uint16_t iport = eph_linux(&c->r), nport = (uint16_t)dm_range(&c->r, 1024, 65535);
	uint16_t dport = ntp ? 123 : 443;
	uint64_t qb = ntp ? 76 : (uint64_t)small_req(c);
	uint64_t sb = ntp ? 76 : (uint64_t)resp(c, 1500, 1.2, 5e7);
	uint64_t qp = packets(&c->r, &qb, proto), sp = packets(&c->r, &sb, proto);
	int shortc = dm_chance(&c->r, 0.6);
	uint8_t fq = shortc ? F_SYN | F_FIN : F_NONE, fs = shortc ? F_SYNACK | F_FIN : F_NONE;
	frec r1 = {.src = inst, .dst = self, .pdst = &dst, .sport = iport, .dport = dport,
		   .proto = proto, .flags = fq, .pkts = qp, .bytes = qb};
	frec r2 = {.src = self, .dst = dst, .sport = nport, .dport = dport, .proto = proto,
		   .flags = fq, .egress = 1, .path = PATH_IGW, .pkts = qp, .bytes = qb};
	frec r3 = {.src = dst, .dst = self, .sport = dport, .dport = nport, .proto = proto,
		   .flags = fs, .pkts = sp, .bytes = sb};
	frec r4 = {.src = self, .dst = inst, .psrc = &dst, .sport = dport, .dport = iport,
		   .proto = proto, .flags = fs, .egress = 1, .path = PATH_VPC, .pkts = sp,
		   .bytes = sb};
	if (emit(c, &r1) || emit(c, &r2) || emit(c, &r3))
		return -1;
	return emit(c, &r4);
}

/* Lambda interfaces: AWS APIs and the database. */
static int conv_lambda(fctx *c)
{
	conv cv;
	if (dm_chance(&c->r, 0.3)) {
		outbound(c, &cv, role_peer(c, DM_R_DB), 5432, PATH_VPC);
	} else {
		const dm_addr *a;
		do
			a = vg_demo_pick_saas(c->w, &c->r);
		while (a->svc == DM_SVC_NONE);
		outbound(c, &cv, addr_end(a), 443, PATH_VPC);
	}
	cv.req_bytes = small_req(c);
	cv.resp_bytes = resp(c, 800, 1.3, 2e7);
	cv.p_short = 0.8;
	return conversation(c, &cv);
}

/* The Windows jump host: staff RDP in, Active Directory and updates out. */
static int conv_winjump(fctx *c)
{
	conv cv;
	double u = dm_unit(&c->r);
	if (u < 0.55) {
		/* staff RDP sessions from the office and from home */
		inbound(c, &cv, addr_end(&c->w->office[dm_chance(&c->r, 0.7) ? 0 : 2]), 3389);
		cv.cport = (uint16_t)dm_range(&c->r, 49152, 65535);
		cv.path = PATH_IGW;
		cv.req_bytes = vg_demo_lognormal(&c->r, 40000, 0.8);
		cv.resp_bytes = resp(c, 200000, 1.3, 5e8);
		cv.p_short = 0.05;
	} else if (u < 0.9) {
		static const uint16_t ad_ports[] = {53, 88, 389, 445, 135};
		outbound(c, &cv, role_peer(c, DM_R_AD), ad_ports[dm_below(&c->r, 5)], PATH_VPC);
		cv.req_bytes = vg_demo_lognormal(&c->r, 600, 0.8);
		cv.resp_bytes = resp(c, 900, 1.4, 5e6);
		cv.p_short = 0.6;
	} else {
		outbound(c, &cv, saas_peer(c), 443, PATH_IGW);
		cv.req_bytes = small_req(c);
		cv.resp_bytes = resp(c, 5000, 1.1, 2e8);
		cv.p_short = 0.6;
	}
	return conversation(c, &cv);
}

/* Domain controllers: DNS and LDAP in, replication between them. */
static int conv_ad(fctx *c)
{
	conv cv;
	if (dm_chance(&c->r, 0.75)) {
		int dns = dm_chance(&c->r, 0.6);
		inbound(c, &cv, role_peer(c, dm_chance(&c->r, 0.2) ? DM_R_WINJUMP : DM_R_WEB),
			dns ? 53 : 389);
		if (dns) {
			cv.proto = P_UDP;
			cv.req_bytes = 60 + dm_below(&c->r, 40);
			cv.resp_bytes = 90 + dm_below(&c->r, 200);
		} else {
			cv.req_bytes = vg_demo_lognormal(&c->r, 500, 0.5);
			cv.resp_bytes = resp(c, 1000, 1.5, 1e6);
			cv.p_short = 0.8;
		}
	} else {
		/* replication between the domain controllers over RPC */
		outbound(c, &cv, role_peer(c, DM_R_AD), dm_chance(&c->r, 0.3) ? 135 :
			 (uint16_t)dm_range(&c->r, 49152, 65535), PATH_VPC);
		cv.req_bytes = vg_demo_lognormal(&c->r, 3000, 1.0);
		cv.resp_bytes = resp(c, 3000, 1.3, 5e7);
		cv.p_short = 0.5;
	}
	return conversation(c, &cv);
}

/* The bastion: staff SSH in from the office, SSH on to the servers. */
static int conv_bastion(fctx *c)
{
	conv cv;
	if (dm_chance(&c->r, 0.5)) {
		inbound(c, &cv, addr_end(&c->w->office[dm_chance(&c->r, 0.8) ? 0 : 1]), 22);
		cv.cport = (uint16_t)dm_range(&c->r, 49152, 65535); /* macOS laptops */
		cv.path = PATH_IGW;
	} else if (dm_chance(&c->r, 0.8)) {
		outbound(c, &cv, role_peer(c, DM_R_DEV), 22, PATH_VPC);
	} else {
		outbound(c, &cv, role_peer(c, dm_chance(&c->r, 0.7) ? DM_R_WEB : DM_R_WORKER), 22,
			 PATH_PEER);
	}
	cv.req_bytes = vg_demo_lognormal(&c->r, 8000, 1.2);
	cv.resp_bytes = resp(c, 12000, 1.2, 1e8);
	cv.p_short = 0.2;
	return conversation(c, &cv);
}

/* Developer instances: SSH from the bastion, downloads, the dev database,
 * each other, public DNS, S3. */
static int conv_dev(fctx *c)
{
	conv cv;
	double u = dm_unit(&c->r);
	if (u < 0.30) {
		inbound(c, &cv, eni_end(c->w, c->w->eni_bastion), 22);
		cv.req_bytes = vg_demo_lognormal(&c->r, 8000, 1.2);
		cv.resp_bytes = resp(c, 10000, 1.2, 5e7);
		cv.p_short = 0.2;
	} else if (u < 0.60) {
		outbound(c, &cv, saas_peer(c), 443, inet_path(c));
		cv.req_bytes = small_req(c);
		cv.resp_bytes = resp(c, 3000, 1.1, 5e8); /* package downloads, git clones */
		cv.p_short = 0.7;
	} else if (u < 0.75) {
		outbound(c, &cv, role_peer(c, DM_R_DEVDB), 5432, PATH_VPC);
		cv.req_bytes = vg_demo_lognormal(&c->r, 1500, 1.0);
		cv.resp_bytes = resp(c, 800, 1.2, 5e7);
		cv.p_short = 0.2;
	} else if (u < 0.85) {
		outbound(c, &cv, role_peer(c, DM_R_DEV), (uint16_t)dm_range(&c->r, 8000, 8999),
			 PATH_VPC);
		cv.req_bytes = vg_demo_lognormal(&c->r, 900, 1.0);
		cv.resp_bytes = resp(c, 2000, 1.3, 2e7);
		cv.p_short = 0.6;
	} else if (u < 0.95) {
		outbound(c, &cv, addr_end(&dns_addr[dm_below(&c->r, 2)]), 53, inet_path(c));
		cv.proto = P_UDP;
		cv.req_bytes = 60 + dm_below(&c->r, 30);
		cv.resp_bytes = 80 + dm_below(&c->r, 300);
	} else {
		outbound(c, &cv, s3_peer(c), 443, PATH_GWE);
		cv.req_bytes = small_req(c);
		cv.resp_bytes = resp(c, 20000, 1.1, 5e8);
		cv.p_short = 0.5;
	}
	return conversation(c, &cv);
}

/* An idle instance's occasional check for updates. */
static int conv_idle(fctx *c)
{
	conv cv;
	outbound(c, &cv, saas_peer(c), 443, inet_path(c));
	cv.req_bytes = small_req(c);
	cv.resp_bytes = resp(c, 800, 1.5, 1e6);
	cv.p_short = 0.9;
	return conversation(c, &cv);
}

/* One conversation of the current interface, by its role. */
static int one_conversation(fctx *c)
{
	switch (c->e->role) {
	case DM_R_WEB: return conv_web(c);
	case DM_R_WORKER: return conv_worker(c);
	case DM_R_DB:
		return conv_store(c, c->e == &c->w->eni[c->w->by_role[DM_R_DB][2]] ? 3306 : 5432);
	case DM_R_CACHE: return conv_store(c, 6379);
	case DM_R_DEVDB: return conv_store(c, 5432);
	case DM_R_ALB: return conv_alb(c);
	case DM_R_NAT: return conv_nat(c);
	case DM_R_LAMBDA: return conv_lambda(c);
	case DM_R_WINJUMP: return conv_winjump(c);
	case DM_R_AD: return conv_ad(c);
	case DM_R_BASTION: return conv_bastion(c);
	case DM_R_DEV: return conv_dev(c);
	default: return conv_idle(c);
	}
}

/* ---------- internet scanners ---------- */

typedef struct sport_w {
	uint16_t port;
	uint8_t proto;
	uint16_t w;
} sport_w;

/* What the background radiation asks for (weights in tenths of a percent). */
static const sport_w scan_ports[] = {
	{22, P_TCP, 220}, {23, P_TCP, 90}, {3389, P_TCP, 80}, {445, P_TCP, 70},
	{80, P_TCP, 50}, {8080, P_TCP, 50}, {443, P_TCP, 30}, {1433, P_TCP, 30},
	{3306, P_TCP, 25}, {5900, P_TCP, 20}, {6379, P_TCP, 20}, {2222, P_TCP, 15},
	{8443, P_TCP, 15}, {21, P_TCP, 12}, {25, P_TCP, 10}, {135, P_TCP, 10},
	{139, P_TCP, 8}, {5432, P_TCP, 10}, {9200, P_TCP, 8}, {27017, P_TCP, 8},
	{8888, P_TCP, 6}, {81, P_TCP, 6}, {8000, P_TCP, 8}, {7547, P_TCP, 6},
	{5060, P_UDP, 10}, {161, P_UDP, 8}, {123, P_UDP, 6}, {53, P_UDP, 8},
	{1900, P_UDP, 5}, {11211, P_UDP, 4}, {0, P_ICMP, 25}, {1, P_TCP, 150},
};
#define N_SCAN_PORTS ((int)(sizeof scan_ports / sizeof scan_ports[0]))

/* Whether this interface's security group lets a probe in. */
static int allowed(const fctx *c, uint16_t port, uint8_t proto, int64_t t)
{
	if (proto != P_TCP)
		return 0;
	switch (c->e->role) {
	case DM_R_ALB: return port == 443 || port == 80;
	case DM_R_WINJUMP: return port == 3389;
	case DM_R_BASTION: return port == 22 && t >= c->w->t_sg_open;
	default: return 0;
	}
}

/* One probe from the internet: answered if the security group lets the
 * port in, else a single REJECT. */
static int scan_probe(fctx *c, const dm_addr *src, uint16_t dport, uint8_t proto, uint16_t sport,
		      int64_t t)
{
	fend peer = addr_end(src);
	fend self = local_end(c);
	if (proto == P_ICMP)
		dport = sport = 0;
	if (allowed(c, dport, proto, t)) {
		conv cv;
		inbound(c, &cv, peer, dport);
		cv.cport = sport;
		cv.path = PATH_IGW;
		cv.req_bytes = 40 + dm_below(&c->r, 300);
		cv.resp_bytes = 40 + dm_below(&c->r, 2000);
		cv.p_short = 1;
		return conversation(c, &cv);
	}
	frec q = {.src = peer, .dst = self, .sport = sport, .dport = dport, .proto = proto,
		  .reject = 1, .flags = F_SYN};
	q.pkts = dm_chance(&c->r, 0.75) ? 1 : 2 + dm_below(&c->r, 2);
	q.bytes = q.pkts * (proto == P_TCP ? (dm_chance(&c->r, 0.5) ? 40 : 44) :
			    28 + dm_below(&c->r, 60));
	return emit(c, &q);
}

/* A probe from the background radiation: a port from the weighted table. */
static int background_scan(fctx *c)
{
	uint32_t k = dm_below(&c->r, 1000);
	int i = 0;
	uint32_t acc = 0;
	for (; i < N_SCAN_PORTS; i++) {
		acc += scan_ports[i].w;
		if (k < acc)
			break;
	}
	uint16_t port;
	uint8_t proto;
	if (i >= N_SCAN_PORTS - 1) { /* the rest: anything */
		port = (uint16_t)dm_range(&c->r, 1, 65535);
		proto = P_TCP;
	} else {
		port = scan_ports[i].port;
		proto = scan_ports[i].proto;
	}
	return scan_probe(c, vg_demo_pick_scanner(c->w, &c->r), port, proto, eph_remote(&c->r),
			  c->ts);
}

/* ---------- the attack ---------- */

/* Overlap of [a0, a1) and the window, in ns (0 when none). */
static int64_t overlap(int64_t a0, int64_t a1, int64_t w0, int64_t w1)
{
	int64_t lo = a0 > w0 ? a0 : w0, hi = a1 < w1 ? a1 : w1;
	return hi > lo ? hi - lo : 0;
}

/* The port scan: probe i of n goes out at start + i * duration / n. */
static int attack_portscan(fctx *c, int64_t w0, int64_t w1)
{
	const dm_world *w = c->w;
	int64_t dur = w->t_portscan_end - w->t_portscan;
	int n = w->nscan_ports;
	int64_t a = w0 - w->t_portscan, b = w1 - w->t_portscan;
	int i0 = a <= 0 ? 0 : (int)((a * n + dur - 1) / dur);
	int i1 = b <= 0 ? 0 : (int)((b * n + dur - 1) / dur);
	if (i1 > n)
		i1 = n;
	for (int i = i0; i < i1; i++) {
		fend self = local_end(c);
		frec q = {.src = addr_end(&w->att_scan), .dst = self, .sport = w->scan_sport,
			  .dport = w->scan_ports[i], .proto = P_TCP, .reject = 1, .flags = F_SYN,
			  .pkts = 1, .bytes = 44};
		if (emit(c, &q))
			return -1;
	}
	return 0;
}

/* A password-guessing burst: `per_sec` connections a second from one
 * address to one port; each is refused by the security group before
 * `open_ns`, and accepted (a short exchange of handshake and failed
 * logins) after. */
static int attack_bruteforce(fctx *c, const dm_addr *src, uint16_t port, double per_sec,
			     int64_t a0, int64_t a1, int64_t open_ns, int64_t w0, int64_t w1)
{
	int64_t ov = overlap(a0, a1, w0, w1);
	if (ov == 0)
		return 0;
	uint32_t n = vg_demo_poisson(&c->r, per_sec * (double)ov / 1e9);
	int64_t lo = a0 > w0 ? a0 : w0;
	for (uint32_t i = 0; i < n; i++) {
		int64_t t = lo + (int64_t)(dm_unit(&c->r) * (double)ov);
		conv cv;
		inbound(c, &cv, addr_end(src), port);
		cv.cport =
			port == 3389 ? (uint16_t)dm_range(&c->r, 49152, 65535) : eph_linux(&c->r);
		cv.path = PATH_IGW;
		if (t < open_ns) {
			cv.reject = 1;
		} else {
			cv.req_bytes = 1800 + dm_below(&c->r, 2400);
			cv.resp_bytes = 2500 + dm_below(&c->r, 3500);
			cv.p_short = 0.95;
		}
		if (conversation(c, &cv))
			return -1;
	}
	return 0;
}

/* The intruder's interactive session after the successful login: one long
 * connection carrying a lot of data out. */
static int attack_session(fctx *c, int64_t w0, int64_t w1)
{
	const dm_world *w = c->w;
	if (overlap(w->t_ssh_success, w->t_exfil_end, w0, w1) == 0)
		return 0;
	conv cv;
	inbound(c, &cv, addr_end(&w->att_ssh), 22);
	cv.cport = (uint16_t)(40000 + (w->t_ssh_success / DM_NS_SEC) % 20000);
	cv.path = PATH_IGW;
	cv.req_bytes = 90000 + dm_below(&c->r, 60000);
	cv.resp_bytes = 12e6 + dm_below(&c->r, 18000000);
	cv.p_short = 0;
	return conversation(c, &cv);
}

/* The attack's records of this interface and window, if any. */
static int attack(fctx *c, int64_t w0, int64_t w1)
{
	const dm_world *w = c->w;
	if (c->e == &w->eni[w->eni_bastion]) {
		if (overlap(w->t_portscan, w->t_portscan_end, w0, w1) && attack_portscan(c, w0, w1))
			return -1;
		if (attack_bruteforce(c, &w->att_ssh, 22, 2.3, w->t_ssh, w->t_ssh_end, w->t_sg_open,
				      w0, w1))
			return -1;
		return attack_session(c, w0, w1);
	}
	if (c->e == &w->eni[w->eni_winjump])
		return attack_bruteforce(c, &w->att_rdp, 3389, 3.0, w->t_rdp, w->t_rdp_end, 0, w0,
					 w1);
	return 0;
}

/* ---------- chunks ---------- */

typedef struct chunk {
	int hour;      /* index from the start of the data */
	int vpc;
	int shard;
} chunk;

/* Start a capture window of the current interface at ts. */
static void set_window(fctx *c, int64_t ts)
{
	c->ts = ts;
	int64_t s = ts / DM_NS_SEC;
	int64_t e = s + 56 + dm_below(&c->r, 5);
	char *p = dm_put_u64(c->win, (uint64_t)s);
	*p++ = ' ';
	p = dm_put_u64(p, (uint64_t)e);
	c->winlen = (uint8_t)(p - c->win);
}

/* Everything one interface records in one window. */
static int eni_window(fctx *c, double lambda, double scan_lambda)
{
	uint64_t before = c->n.rec;
	int64_t w0 = c->ts, w1 = c->ts + DM_NS_MIN;
	int busy = c->e->role == DM_R_ALB || c->e->role == DM_R_NAT || c->e->role == DM_R_WEB;
	if (busy && dm_chance(&c->r, 1.0 / 40000))
		return emit_status(c, "SKIPDATA");
	uint32_t n = vg_demo_poisson(&c->r, lambda);
	for (uint32_t i = 0; i < n; i++)
		if (one_conversation(c))
			return -1;
	uint32_t ns = scan_lambda > 0 ? vg_demo_poisson(&c->r, scan_lambda) : 0;
	for (uint32_t i = 0; i < ns; i++)
		if (background_scan(c))
			return -1;
	if (attack(c, w0, w1))
		return -1;
	if (c->n.rec == before && dm_chance(&c->r, c->e->nodata_p))
		return emit_status(c, "NODATA");
	return 0;
}

/* All windows of one chunk's hour, interfaces in order. */
static int chunk_body(fctx *c, const chunk *ch)
{
	const dm_world *w = c->w;
	int64_t h0 = w->start_ns + (int64_t)ch->hour * DM_NS_HOUR;
	const int *list = w->by_vpc[ch->vpc];
	int nlist = w->nby_vpc[ch->vpc];
	/* Every window of the chunk starts within its hour, so the diurnal
	 * factors at both ends of the hour and the scheduler's state are
	 * the same for all of them. */
	double d0[DM_P_COUNT], d1[DM_P_COUNT];
	for (int p = 0; p < DM_P_COUNT; p++) {
		d0[p] = vg_demo_diurnal(w, p, h0);
		d1[p] = vg_demo_diurnal(w, p, h0 + DM_NS_HOUR);
	}
	dm_eni probe = {.sched = 1};
	int sched_stopped = vg_demo_stopped(w, &probe, h0);
	for (int m = 0; m < 60; m++) {
		for (int k = ch->shard; k < nlist; k += w->nshards) {
			const dm_eni *e = &w->eni[list[k]];
			int64_t ts = h0 + (int64_t)m * DM_NS_MIN + (int64_t)e->phase * DM_NS_SEC;
			if (e->sched && sched_stopped)
				continue;
			c->e = e;
			set_window(c, ts);
			/* The diurnal factor is interpolated between hours so
			 * traffic has no steps on the hour. */
			double f = (double)(ts - h0) / (double)DM_NS_HOUR;
			double d = d0[e->profile] * (1 - f) + d1[e->profile] * f;
			double lambda = e->rate * w->k_conv * d;
			if (eni_window(c, lambda, e->scan_w * w->k_scan))
				return -1;
		}
	}
	return 0;
}

/* Write one chunk as one file, named as S3 delivery names it. */
static int write_chunk(const dm_world *w, const dm_out *o, const chunk *ch, fstats *st,
		       vg_err *err)
{
	const dm_vpc *v = &w->vpc[ch->vpc];
	int64_t h0 = w->start_ns + (int64_t)ch->hour * DM_NS_HOUR;
	int64_t abs_hour = h0 / DM_NS_HOUR;
	int64_t stamp = h0 + DM_NS_HOUR; /* delivered when the hour is over */
	dm_rng nr;
	dm_rng_init(&nr, dm_stream(w->seed, DM_S_FLOWNAME, (uint64_t)abs_hour, (uint64_t)ch->vpc,
				   (uint64_t)ch->shard));
	char hash[16], when[40], rel[512];
	vg_demo_rand_id(&nr, hash, sizeof hash, "", 8, DM_HEX);
	vg_demo_compact_min(stamp, when);
	dm_tm t;
	vg_demo_tm(stamp, &t);
	snprintf(rel, sizeof rel,
		 "AWSLogs/%s/vpcflowlogs/%s/%04lld/%02u/%02u/%s_vpcflowlogs_%s_%s_%s_%s.log",
		 w->account, VG_DEMO_REGION, (long long)t.year, t.mon, t.day, w->account,
		 VG_DEMO_REGION, v->flowlog, when, hash);

	fctx *c = vg_xcalloc(1, sizeof *c);
	c->w = w;
	c->version = v->flow_version;
	c->err = err;
	dm_rng_init(&c->r, dm_stream(w->seed, DM_S_FLOW, (uint64_t)abs_hour, (uint64_t)ch->vpc,
				     (uint64_t)ch->shard));
	int rc = vg_demo_fopen(&c->f, o, rel, 1, err);
	if (rc == 0)
		rc = c->version == 2 ? vg_demo_fput(&c->f, hdr2, sizeof hdr2 - 1, err)
				     : vg_demo_fput(&c->f, hdr5, sizeof hdr5 - 1, err);
	if (rc == 0 && chunk_body(c, ch))
		rc = err->code ? err->code : VG_EIO;
	if (rc == 0)
		rc = vg_demo_fclose(&c->f, err);
	else
		vg_demo_fabort(&c->f);
	if (rc == 0) {
		c->n.files = 1;
		c->n.bytes = c->f.disk_bytes;
		fstats_add(st, &c->n);
	}
	free(c);
	return rc;
}

/* ---------- workers ---------- */

typedef struct pool {
	const dm_world *w;
	const dm_out *o;
	int nchunks, nvpc;
	int vpcs[3];
	atomic_int next;
	atomic_int failed;
	pthread_mutex_t mu;
	fstats total;
	int rc;
	vg_err err;
} pool;

/* The chunk with a given number: hours first, so workers move through time
 * together. */
static chunk chunk_of(const pool *p, int id)
{
	chunk ch;
	int per_hour = p->nvpc * p->w->nshards;
	ch.hour = id / per_hour;
	ch.vpc = p->vpcs[(id % per_hour) / p->w->nshards];
	ch.shard = id % p->w->nshards;
	return ch;
}

/* A worker thread: takes chunks until none is left or one failed. */
static void *worker(void *arg)
{
	pool *p = arg;
	fstats st = {0};
	vg_err err = {0};
	int rc = 0;
	while (!atomic_load(&p->failed)) {
		int id = atomic_fetch_add(&p->next, 1);
		if (id >= p->nchunks)
			break;
		chunk ch = chunk_of(p, id);
		rc = write_chunk(p->w, p->o, &ch, &st, &err);
		if (rc) {
			atomic_store(&p->failed, 1);
			break;
		}
	}
	pthread_mutex_lock(&p->mu);
	fstats_add(&p->total, &st);
	if (rc && p->rc == 0) {
		p->rc = rc;
		p->err = err;
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int vg_demo_flow_write(const dm_world *w, const dm_out *o, int threads, vg_demo_stats *st,
		       vg_err *err)
{
	pool *p = vg_xcalloc(1, sizeof *p);
	p->w = w;
	p->o = o;
	for (int v = 0; v < w->nvpc; v++)
		if (w->vpc[v].flow_version)
			p->vpcs[p->nvpc++] = v;
	p->nchunks = w->days * 24 * p->nvpc * w->nshards;
	atomic_init(&p->next, 0);
	atomic_init(&p->failed, 0);
	pthread_mutex_init(&p->mu, NULL);
	pthread_t tid[VG_DEMO_MAX_THREADS];
	int started = 0;
	for (int i = 0; i < threads && i < VG_DEMO_MAX_THREADS; i++) {
		if (pthread_create(&tid[i], NULL, worker, p) != 0)
			break;
		started++;
	}
	if (started == 0)
		worker(p); /* no thread could start: do the work here */
	for (int i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	int rc = p->rc;
	if (rc && err)
		*err = p->err;
	st->flow_files += p->total.files;
	st->files += p->total.files;
	st->bytes += p->total.bytes;
	st->flow_records += p->total.rec;
	st->flow_accept += p->total.acc;
	st->flow_reject += p->total.rej;
	st->flow_nodata += p->total.nodata;
	st->flow_skipdata += p->total.skip;
	st->flow_ipv6 += p->total.v6;
	pthread_mutex_destroy(&p->mu);
	free(p);
	return rc;
}
