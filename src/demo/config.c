/*
 * config.c — AWS Config's S3 deliveries: one configuration snapshot at the
 * start of the data, then history files every six hours, one per resource
 * type that changed, as the recorder writes them:
 *
 *   AWSLogs/<acct>/Config/<region>/<Y>/<M>/<D>/ConfigSnapshot/
 *       <acct>_Config_<region>_ConfigSnapshot_<YYYYMMDDTHHMMSSZ>_<uuid>.json.gz
 *   AWSLogs/<acct>/Config/<region>/<Y>/<M>/<D>/ConfigHistory/
 *       <acct>_Config_<region>_ConfigHistory_<type>_<first>_<last>_1.json.gz
 *
 * (month and day without leading zeros, as Config writes them). Items have
 * configurationItemVersion 1.3 and the key order of real items (see
 * shared/data/awsconfig); `configuration` follows each service's Describe
 * output as Config records it, `supplementaryConfiguration` carries the S3
 * bucket settings compliance rules look at.
 *
 * The estate is a mix of compliant and non-compliant resources on purpose
 * (RDP and FTP open to the world, unencrypted development volumes, a
 * public bucket and a public database, a VPC without flow logs, IMDSv1
 * allowed in development), and the attack leaves new versions: the
 * bastion's security group opened to 0.0.0.0/0 on port 22, bob.chen with
 * AdministratorAccess, the alerting trail without its CloudWatch Logs
 * link and log file validation. Each change's relatedEvents names the
 * CloudTrail eventID of the call that made it.
 */
#include "demo/demo_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/timeutil.h"

enum kind { K_VPC, K_SUBNET, K_SG, K_INSTANCE, K_VOLUME, K_FLOWLOG, K_BUCKET, K_TRAIL, K_USER,
	    K_RDS, K_COUNT };

static const char *const type_name[K_COUNT] = {
	"AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::SecurityGroup", "AWS::EC2::Instance",
	"AWS::EC2::Volume", "AWS::EC2::FlowLog", "AWS::S3::Bucket", "AWS::CloudTrail::Trail",
	"AWS::IAM::User", "AWS::RDS::DBInstance",
};

/* One version of a resource to write. */
typedef struct change {
	int64_t t;          /* capture time */
	int kind, idx, variant;
	const char *status; /* configurationItemStatus */
	char event[37];     /* related CloudTrail eventID, or "" (kept inline:
			     * changes are moved by realloc and qsort) */
} change;

typedef struct cctx {
	const dm_world *w;
	vg_buf conf, rel, tags, supp;
	dm_rng r;           /* the resource's own stream, reset per item */
} cctx;

/* ---------- buckets and databases, which the world does not hold ---------- */

typedef struct bucket {
	const char *name;
	int account_suffix; /* the name ends in -<account id> */
	int kms, versioning, public_, logging;
} bucket;

static const bucket buckets[] = {
	{"acme-cloudtrail", 1, 1, 1, 0, 1},
	{"acme-vpc-flow-logs", 1, 0, 0, 0, 0},
	{"acme-config", 1, 0, 1, 0, 0},
	{"acme-app-uploads", 0, 1, 1, 0, 1},
	{"acme-customer-exports", 0, 0, 0, 0, 0},
	{"acme-build-artifacts", 0, 0, 0, 0, 0},
	{"acme-public-assets", 0, 0, 0, 1, 0},
	{"acme-dev-scratch", 0, 0, 0, 0, 0},
	{"acme-forensics", 1, 1, 1, 0, 0}, /* created during the investigation */
};
#define NBUCKETS ((int)(sizeof buckets / sizeof buckets[0]))
#define BUCKET_FORENSICS (NBUCKETS - 1)

typedef struct rds {
	const char *id, *engine, *version, *cls;
	int vpc, port, multi_az, public_, encrypted, backup_days, storage;
} rds;

static const rds dbs[] = {
	{"prod-postgres", "postgres", "15.5", "db.r6g.xlarge", 0, 5432, 1, 0, 1, 7, 500},
	{"analytics-mysql", "mysql", "8.0.35", "db.t3.large", 0, 3306, 0, 1, 0, 1, 200},
	{"dev-postgres", "postgres", "14.10", "db.t3.medium", 1, 5432, 0, 0, 0, 1, 100},
};
#define NDBS ((int)(sizeof dbs / sizeof dbs[0]))

/* The name of bucket i. */
static void bucket_name(const dm_world *w, int i, char *out, size_t cap)
{
	if (buckets[i].account_suffix)
		snprintf(out, cap, "%s-%s", buckets[i].name, w->account);
	else
		snprintf(out, cap, "%s", buckets[i].name);
}

/* ---------- the item envelope ---------- */

typedef struct item {
	const char *id, *name, *arn, *region, *az;
	int64_t created;
} item;

/* Write one configuration item: the envelope around the prepared
 * configuration, relationships, tags and supplementary configuration. */
static void emit_item(cctx *c, vg_buf *out, const change *ch, const item *it)
{
	const dm_world *w = c->w;
	char cap[40], created[40];
	vg_demo_iso_ms(ch->t, cap);
	vg_demo_iso_ms(it->created, created);
	int deleted = !strcmp(ch->status, "ResourceDeleted");
	vg_buf_puts(out, "{\"relatedEvents\":[");
	if (ch->event[0])
		vg_demo_json_str(out, ch->event);
	vg_buf_puts(out, "],\"relationships\":[");
	if (!deleted)
		vg_buf_put(out, c->rel.p, c->rel.len);
	vg_buf_puts(out, "],\"configuration\":");
	if (deleted)
		vg_buf_puts(out, "null");
	else
		vg_buf_put(out, c->conf.p, c->conf.len);
	vg_buf_puts(out, ",\"supplementaryConfiguration\":{");
	if (!deleted)
		vg_buf_put(out, c->supp.p, c->supp.len);
	vg_buf_puts(out, "},\"tags\":{");
	if (!deleted)
		vg_buf_put(out, c->tags.p, c->tags.len);
	vg_buf_printf(out,
		      "},\"configurationItemVersion\":\"1.3\",\"configurationItemCaptureTime\":"
		      "\"%s\",\"configurationStateId\":%lld,\"awsAccountId\":\"%s\","
		      "\"configurationItemStatus\":\"%s\",\"resourceType\":\"%s\","
		      "\"resourceId\":",
		      cap, (long long)(ch->t / 1000000), w->account, ch->status,
		      type_name[ch->kind]);
	vg_demo_json_str(out, it->id);
	vg_buf_puts(out, ",\"resourceName\":");
	if (it->name)
		vg_demo_json_str(out, it->name);
	else
		vg_buf_puts(out, "null");
	vg_buf_puts(out, ",\"ARN\":");
	vg_demo_json_str(out, it->arn);
	vg_buf_printf(out, ",\"awsRegion\":\"%s\",\"availabilityZone\":\"%s\","
			   "\"configurationStateMd5Hash\":\"\",\"resourceCreationTime\":\"%s\"}",
		      it->region, it->az, created);
}

/* Clear the scratch buffers and seed the resource's own stream. */
static void reset(cctx *c, int kind, int idx)
{
	vg_buf_clear(&c->conf);
	vg_buf_clear(&c->rel);
	vg_buf_clear(&c->tags);
	vg_buf_clear(&c->supp);
	/* per-resource identifiers not kept in the world (DHCP options, AMI,
	 * snapshot ids ...) come from a stream of the resource, so every
	 * version of it agrees */
	dm_rng_init(&c->r, dm_stream(c->w->seed, DM_S_CONFIG, (uint64_t)kind, (uint64_t)idx, 0));
}

/* Add one relationship. */
static void relation(cctx *c, const char *type, const char *id, const char *name)
{
	if (c->rel.len)
		vg_buf_putc(&c->rel, ',');
	vg_buf_printf(&c->rel,
		      "{\"resourceId\":\"%s\",\"resourceName\":null,\"resourceType\":\"%s\","
		      "\"name\":\"%s\"}",
		      id, type, name);
}

/* Add one tag to the item's tag map. */
static void tag(cctx *c, const char *k, const char *v)
{
	if (c->tags.len)
		vg_buf_putc(&c->tags, ',');
	vg_demo_json_str(&c->tags, k);
	vg_buf_putc(&c->tags, ':');
	vg_demo_json_str(&c->tags, v);
}

/* printf into out; returns out. */
static char *arn_buf(char *out, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static char *arn_buf(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, cap, fmt, ap);
	va_end(ap);
	return out;
}

/* ---------- resources ---------- */

/* VPCs, with their CIDR associations. */
static void r_vpc(cctx *c, vg_buf *out, const change *ch)
{
	const dm_world *w = c->w;
	const dm_vpc *v = &w->vpc[ch->idx];
	reset(c, K_VPC, ch->idx);
	char dhcp[32], assoc[40], assoc6[40], cidr[24], arn[160];
	vg_demo_rand_id(&c->r, dhcp, sizeof dhcp, "dopt-0", 16, DM_HEX);
	vg_demo_rand_id(&c->r, assoc, sizeof assoc, "vpc-cidr-assoc-0", 16, DM_HEX);
	vg_demo_rand_id(&c->r, assoc6, sizeof assoc6, "vpc-cidr-assoc-0", 16, DM_HEX);
	char *e = vg_demo_put_ip4(cidr, v->cidr);
	snprintf(e, 8, "/%d", v->prefix);
	vg_buf_printf(&c->conf,
		      "{\"cidrBlock\":\"%s\",\"dhcpOptionsId\":\"%s\",\"state\":\"available\","
		      "\"vpcId\":\"%s\",\"ownerId\":\"%s\",\"instanceTenancy\":\"default\","
		      "\"ipv6CidrBlockAssociationSet\":[",
		      cidr, dhcp, v->id, w->account);
	if (v->v6[0]) {
		char t6[46];
		vg_demo_ip6_text(v->v6, t6);
		vg_buf_printf(&c->conf,
			      "{\"associationId\":\"%s\",\"ipv6CidrBlock\":\"%s/56\","
			      "\"ipv6CidrBlockState\":{\"state\":\"associated\"}}",
			      assoc6, t6);
	}
	vg_buf_printf(&c->conf,
		      "],\"cidrBlockAssociationSet\":[{\"associationId\":\"%s\","
		      "\"cidrBlock\":\"%s\",\"cidrBlockState\":{\"state\":\"associated\"}}],"
		      "\"isDefault\":false,\"tags\":[{\"key\":\"Name\",\"value\":\"%s\"}]}",
		      assoc, cidr, v->name);
	for (int i = 0; i < w->nsubnet; i++)
		if (w->subnet[i].vpc == ch->idx)
			relation(c, "AWS::EC2::Subnet", w->subnet[i].id, "Contains Subnet");
	tag(c, "Name", v->name);
	item it = {v->id, NULL, arn_buf(arn, sizeof arn, "arn:aws:ec2:us-east-1:%s:vpc/%s",
					 w->account, v->id),
		   VG_DEMO_REGION, "Multiple Availability Zones", v->created_ns};
	emit_item(c, out, ch, &it);
}

/* Subnets. */
static void r_subnet(cctx *c, vg_buf *out, const change *ch)
{
	const dm_world *w = c->w;
	const dm_subnet *s = &w->subnet[ch->idx];
	const dm_vpc *v = &w->vpc[s->vpc];
	reset(c, K_SUBNET, ch->idx);
	char cidr[24], arn[160];
	char *e = vg_demo_put_ip4(cidr, s->base);
	snprintf(e, 8, "/%d", s->prefix);
	int used = 0;
	for (int i = 0; i < w->neni; i++)
		used += w->eni[i].subnet == ch->idx;
	int avail = (1 << (32 - s->prefix)) - 5 - used;
	arn_buf(arn, sizeof arn, "arn:aws:ec2:us-east-1:%s:subnet/%s", w->account, s->id);
	vg_buf_printf(&c->conf,
		      "{\"availabilityZone\":\"%s\",\"availabilityZoneId\":\"%s\","
		      "\"availableIpAddressCount\":%d,\"cidrBlock\":\"%s\","
		      "\"defaultForAz\":false,\"mapPublicIpOnLaunch\":%s,\"state\":"
		      "\"available\",\"subnetId\":\"%s\",\"vpcId\":\"%s\",\"ownerId\":\"%s\","
		      "\"assignIpv6AddressOnCreation\":false,\"ipv6CidrBlockAssociationSet\""
		      ":[],\"tags\":[{\"key\":\"Name\",\"value\":\"%s\"}],\"subnetArn\":"
		      "\"%s\"}",
		      vg_demo_az_name[s->az], vg_demo_az_id[s->az], avail, cidr,
		      s->public_ ? "true" : "false", s->id, v->id, w->account, s->name, arn);
	relation(c, "AWS::EC2::VPC", v->id, "Is contained in Vpc");
	tag(c, "Name", s->name);
	item it = {s->id, NULL, arn, VG_DEMO_REGION, vg_demo_az_name[s->az], v->created_ns};
	emit_item(c, out, ch, &it);
}

/* The permission list in Config's shape; rules with the same protocol and
 * ports are one permission with several ranges, as EC2 reports them. */
static void permissions(cctx *c, const dm_sgrule *r, int n)
{
	vg_buf *b = &c->conf;
	vg_buf_putc(b, '[');
	int done[DM_SG_RULES + 2] = {0}, first = 1;
	for (int i = 0; i < n; i++) {
		if (done[i])
			continue;
		if (!first)
			vg_buf_putc(b, ',');
		first = 0;
		vg_buf_putc(b, '{');
		if (r[i].from >= 0)
			vg_buf_printf(b, "\"fromPort\":%d,", r[i].from);
		vg_buf_printf(b, "\"ipProtocol\":\"%s\",\"ipv6Ranges\":[", r[i].proto);
		int k = 0;
		for (int j = i; j < n; j++)
			if (!strcmp(r[j].proto, r[i].proto) && r[j].from == r[i].from &&
			    r[j].to == r[i].to && r[j].cidr6[0])
				vg_buf_printf(b, "%s{\"cidrIpv6\":\"%s\"}", k++ ? "," : "",
					      r[j].cidr6);
		vg_buf_puts(b, "],\"prefixListIds\":[],");
		if (r[i].to >= 0)
			vg_buf_printf(b, "\"toPort\":%d,", r[i].to);
		vg_buf_puts(b, "\"userIdGroupPairs\":[");
		k = 0;
		for (int j = i; j < n; j++)
			if (!strcmp(r[j].proto, r[i].proto) && r[j].from == r[i].from &&
			    r[j].to == r[i].to && r[j].group[0])
				vg_buf_printf(b, "%s{\"groupId\":\"%s\",\"userId\":\"%s\"}",
					      k++ ? "," : "", r[j].group, c->w->account);
		vg_buf_puts(b, "],\"ipv4Ranges\":[");
		k = 0;
		for (int j = i; j < n; j++)
			if (!strcmp(r[j].proto, r[i].proto) && r[j].from == r[i].from &&
			    r[j].to == r[i].to && r[j].cidr[0]) {
				vg_buf_printf(b, "%s{\"cidrIp\":\"%s\"", k++ ? "," : "", r[j].cidr);
				if (r[j].desc)
					vg_buf_printf(b, ",\"description\":\"%s\"", r[j].desc);
				vg_buf_putc(b, '}');
			}
		vg_buf_puts(b, "],\"ipRanges\":[");
		k = 0;
		for (int j = i; j < n; j++)
			if (!strcmp(r[j].proto, r[i].proto) && r[j].from == r[i].from &&
			    r[j].to == r[i].to) {
				if (r[j].cidr[0])
					vg_buf_printf(b, "%s\"%s\"", k++ ? "," : "", r[j].cidr);
				done[j] = 1;
			}
		vg_buf_puts(b, "]}");
	}
	vg_buf_putc(b, ']');
}

/* Security groups: the estate's (indices 0..nsg-1) then each VPC's default
 * group (nsg + vpc). Production's default group was emptied, as CIS asks;
 * the others still let members talk to each other. */
static void r_sg(cctx *c, vg_buf *out, const change *ch)
{
	const dm_world *w = c->w;
	reset(c, K_SG, ch->idx);
	dm_sg g;
	if (ch->idx < w->nsg) {
		g = w->sg[ch->idx];
	} else {
		int v = ch->idx - w->nsg;
		memset(&g, 0, sizeof g);
		snprintf(g.id, sizeof g.id, "%s", w->vpc[v].sg_default);
		snprintf(g.name, sizeof g.name, "default");
		g.desc = "default VPC security group";
		g.vpc = v;
		if (v != 0) {
			g.nin = 1;
			g.in[0] = (dm_sgrule){.proto = "-1", .from = -1, .to = -1};
			snprintf(g.in[0].group, sizeof g.in[0].group, "%s", w->vpc[v].sg_default);
			g.nout = 1;
			g.out[0] = (dm_sgrule){
				.proto = "-1", .from = -1, .to = -1, .cidr = "0.0.0.0/0"};
		}
	}
	if (ch->variant == 1 && g.nin < DM_SG_RULES) {
		/* the attacker's rule */
		dm_sgrule *ru = &g.in[g.nin++];
		*ru = (dm_sgrule){.proto = "tcp", .from = 22, .to = 22, .cidr = "0.0.0.0/0"};
	}
	const dm_vpc *v = &w->vpc[g.vpc];
	vg_buf_puts(&c->conf, "{\"description\":");
	vg_demo_json_str(&c->conf, g.desc);
	vg_buf_printf(&c->conf, ",\"groupName\":\"%s\",\"ipPermissions\":", g.name);
	permissions(c, g.in, g.nin);
	vg_buf_printf(&c->conf, ",\"ownerId\":\"%s\",\"groupId\":\"%s\",\"ipPermissionsEgress\":",
		      w->account, g.id);
	permissions(c, g.out, g.nout);
	vg_buf_printf(&c->conf, ",\"vpcId\":\"%s\",\"tags\":[", v->id);
	if (strcmp(g.name, "default"))
		vg_buf_printf(&c->conf, "{\"key\":\"Name\",\"value\":\"%s\"}", g.name);
	vg_buf_puts(&c->conf, "]}");
	relation(c, "AWS::EC2::VPC", v->id, "Is contained in Vpc");
	if (strcmp(g.name, "default"))
		tag(c, "Name", g.name);
	char arn[160];
	item it = {g.id,
		   g.name,
		   arn_buf(arn, sizeof arn, "arn:aws:ec2:us-east-1:%s:security-group/%s",
			   w->account, g.id),
		   VG_DEMO_REGION,
		   "Not Applicable",
		   v->created_ns + VG_NS_PER_DAY};
	emit_item(c, out, ch, &it);
}

/* The private DNS name EC2 gives an address. */
static const char *ip_dns(uint32_t ip, char *out, size_t cap)
{
	snprintf(out, cap, "ip-%u-%u-%u-%u.ec2.internal", ip >> 24, (ip >> 16) & 255,
		 (ip >> 8) & 255, ip & 255);
	return out;
}

/* Instances with an interface. `variant` 1 is stopped (the scheduler). */
static void r_instance(cctx *c, vg_buf *out, const change *ch)
{
	const dm_world *w = c->w;
	const dm_eni *e = &w->eni[ch->idx];
	const dm_subnet *s = &w->subnet[e->subnet];
	const dm_vpc *v = &w->vpc[e->vpc];
	reset(c, K_INSTANCE, ch->idx);
	char ami[32], attach[40], mac[24], dns[64], pubdns[80], launch[40], arn[160];
	vg_demo_rand_id(&c->r, ami, sizeof ami, "ami-0", 16, DM_HEX);
	vg_demo_rand_id(&c->r, attach, sizeof attach, "eni-attach-0", 16, DM_HEX);
	snprintf(mac, sizeof mac, "0e:%02x:%02x:%02x:%02x:%02x", dm_below(&c->r, 256),
		 dm_below(&c->r, 256), dm_below(&c->r, 256), dm_below(&c->r, 256),
		 dm_below(&c->r, 256));
	ip_dns(e->ip, dns, sizeof dns);
	vg_demo_iso_ms(e->launch_ns, launch);
	int stopped = ch->variant == 1;
	int has_pub = e->pub && !stopped;
	if (has_pub)
		snprintf(pubdns, sizeof pubdns, "ec2-%u-%u-%u-%u.compute-1.amazonaws.com",
			 e->pub >> 24, (e->pub >> 16) & 255, (e->pub >> 8) & 255, e->pub & 255);
	else
		pubdns[0] = 0;
	const char *sgname = e->sgi >= 0 ? w->sg[e->sgi].name : "default";
	int prod = e->vpc == 0;
	vg_buf *b = &c->conf;
	vg_buf_printf(b, "{\"amiLaunchIndex\":0,\"imageId\":\"%s\",\"instanceId\":\"%s\","
			 "\"instanceType\":\"%s\",\"kernelId\":null,\"keyName\":\"%s\","
			 "\"launchTime\":\"%s\",\"monitoring\":{\"state\":\"%s\"},\"placement\":"
			 "{\"availabilityZone\":\"%s\",\"affinity\":null,\"groupName\":\"\","
			 "\"partitionNumber\":null,\"hostId\":null,\"tenancy\":\"default\","
			 "\"spreadDomain\":null},\"platform\":%s,\"privateDnsName\":\"%s\","
			 "\"privateIpAddress\":\"%s\",\"productCodes\":[],\"publicDnsName\":\"%s\","
			 "\"publicIpAddress\":",
		      ami, e->instance, vg_demo_itype[e->itype], prod ? "prod-2023" : "dev-shared",
		      launch, prod ? "enabled" : "disabled", vg_demo_az_name[s->az],
		      e->windows ? "\"windows\"" : "null", dns, e->iptxt, pubdns);
	if (has_pub)
		vg_buf_printf(b, "\"%s\"", e->pubtxt);
	else
		vg_buf_puts(b, "null");
	vg_buf_printf(b, ",\"ramdiskId\":null,\"state\":{\"code\":%d,\"name\":\"%s\"},"
			 "\"stateTransitionReason\":\"%s\",\"subnetId\":\"%s\",\"vpcId\":\"%s\","
			 "\"architecture\":\"x86_64\",\"blockDeviceMappings\":[{\"deviceName\":"
			 "\"%s\",\"ebs\":{\"attachTime\":\"%s\",\"deleteOnTermination\":true,"
			 "\"status\":\"attached\",\"volumeId\":\"%s\"}}],\"clientToken\":\"\","
			 "\"ebsOptimized\":true,\"enaSupport\":true,\"hypervisor\":\"xen\","
			 "\"iamInstanceProfile\":",
		      stopped ? 80 : 16, stopped ? "stopped" : "running",
		      stopped ? "User initiated" : "", s->id, v->id,
		      e->windows ? "/dev/sda1" : "/dev/xvda", launch, e->volume);
	if (e->role == DM_R_WEB || e->role == DM_R_WORKER) {
		char pid[32];
		vg_demo_rand_id(&c->r, pid, sizeof pid, "AIPA", 17, DM_B32);
		vg_buf_printf(b, "{\"arn\":\"arn:aws:iam::%s:instance-profile/app-server-role\","
				 "\"id\":\"%s\"}", w->account, pid);
	} else {
		vg_buf_puts(b, "null");
	}
	vg_buf_printf(b,
		      ",\"instanceLifecycle\":null,\"networkInterfaces\":[{\"attachment\":"
		      "{\"attachTime\":\"%s\",\"attachmentId\":\"%s\",\"deleteOnTermination\":true,"
		      "\"deviceIndex\":0,\"status\":\"attached\"},\"description\":\"\","
		      "\"groups\":[{\"groupName\":\"%s\",\"groupId\":\"%s\"}],\"ipv6Addresses\":[",
		      launch, attach, sgname, e->sg);
	if (e->has6)
		vg_buf_printf(b, "{\"ipv6Address\":\"%s\"}", e->ip6txt);
	vg_buf_printf(b,
		      "],\"macAddress\":\"%s\",\"networkInterfaceId\":\"%s\",\"ownerId\":\"%s\","
		      "\"privateDnsName\":\"%s\",\"privateIpAddress\":\"%s\",\"sourceDestCheck\":"
		      "true,\"status\":\"in-use\",\"subnetId\":\"%s\",\"vpcId\":\"%s\"}],"
		      "\"rootDeviceName\":\"%s\",\"rootDeviceType\":\"ebs\",\"securityGroups\":"
		      "[{\"groupName\":\"%s\",\"groupId\":\"%s\"}],\"sourceDestCheck\":true,"
		      "\"tags\":[{\"key\":\"Name\",\"value\":\"%s\"},{\"key\":\"env\",\"value\":"
		      "\"%s\"}],\"virtualizationType\":\"hvm\",\"metadataOptions\":{\"state\":"
		      "\"applied\",\"httpTokens\":\"%s\",\"httpPutResponseHopLimit\":%d,"
		      "\"httpEndpoint\":\"enabled\"},\"cpuOptions\":{\"coreCount\":1,"
		      "\"threadsPerCore\":2},\"hibernationOptions\":{\"configured\":false}}",
		      mac, e->id, w->account, dns, e->iptxt, s->id, v->id,
		      e->windows ? "/dev/sda1" : "/dev/xvda", sgname, e->sg, e->name, v->name,
		      prod ? "required" : "optional", prod ? 2 : 1);
	relation(c, "AWS::EC2::NetworkInterface", e->id, "Contains NetworkInterface");
	relation(c, "AWS::EC2::SecurityGroup", e->sg, "Is associated with SecurityGroup");
	relation(c, "AWS::EC2::Subnet", s->id, "Is contained in Subnet");
	relation(c, "AWS::EC2::Volume", e->volume, "Is attached to Volume");
	relation(c, "AWS::EC2::VPC", v->id, "Is contained in Vpc");
	tag(c, "Name", e->name);
	tag(c, "env", v->name);
	item it = {e->instance, NULL, arn_buf(arn, sizeof arn,
					      "arn:aws:ec2:us-east-1:%s:instance/%s", w->account,
					      e->instance),
		   VG_DEMO_REGION, vg_demo_az_name[s->az], e->launch_ns};
	emit_item(c, out, ch, &it);
}

/* Root volumes (idx = interface), and the orphaned volume (idx = -1). */
static void r_volume(cctx *c, vg_buf *out, const change *ch)
{
	const dm_world *w = c->w;
	int orphan = ch->idx < 0;
	const dm_eni *e = orphan ? NULL : &w->eni[ch->idx];
	reset(c, K_VOLUME, (int)(orphan ? 100000 : ch->idx));
	char snap[32], created[40], arn[160];
	vg_demo_rand_id(&c->r, snap, sizeof snap, "snap-0", 16, DM_HEX);
	const char *id = orphan ? w->vol_orphan : e->volume;
	int64_t t = orphan ? w->orphan_created : e->launch_ns;
	int az = orphan ? 0 : w->subnet[e->subnet].az;
	int enc = orphan ? 0 : e->vol_encrypted;
	int size = orphan ? 100 : e->vol_gib;
	vg_demo_iso_ms(t, created);
	vg_buf *b = &c->conf;
	vg_buf_puts(b, "{\"attachments\":[");
	if (!orphan)
		vg_buf_printf(b,
			      "{\"attachTime\":\"%s\",\"device\":\"%s\",\"instanceId\":\"%s\","
			      "\"state\":\"attached\",\"volumeId\":\"%s\",\"deleteOnTermination\""
			      ":true}",
			      created, e->windows ? "/dev/sda1" : "/dev/xvda", e->instance, id);
	vg_buf_printf(b, "],\"availabilityZone\":\"%s\",\"createTime\":\"%s\",\"encrypted\":%s,",
		      vg_demo_az_name[az], created, enc ? "true" : "false");
	if (enc)
		vg_buf_printf(b, "\"kmsKeyId\":\"arn:aws:kms:us-east-1:%s:key/%s\",", w->account,
			      w->kms_key);
	vg_buf_printf(b, "\"size\":%d,\"snapshotId\":\"%s\",\"state\":\"%s\",\"volumeId\":\"%s\","
			 "\"iops\":3000,\"tags\":[],\"volumeType\":\"gp3\",\"fastRestored\":null,"
			 "\"multiAttachEnabled\":false,\"throughput\":125}",
		      size, snap, orphan ? "available" : "in-use", id);
	if (!orphan)
		relation(c, "AWS::EC2::Instance", e->instance, "Is attached to Instance");
	item it = {id, NULL, arn_buf(arn, sizeof arn, "arn:aws:ec2:us-east-1:%s:volume/%s",
				     w->account, id),
		   VG_DEMO_REGION, vg_demo_az_name[az], t};
	emit_item(c, out, ch, &it);
}

static const char v2_format[] =
	"${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} "
	"${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}";
static const char v5_format[] =
	"${version} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${start} ${end} "
	"${type} ${packets} ${bytes} ${account-id} ${vpc-id} ${subnet-id} ${instance-id} "
	"${interface-id} ${region} ${az-id} ${sublocation-type} ${sublocation-id} ${action} "
	"${tcp-flags} ${pkt-srcaddr} ${pkt-dstaddr} ${pkt-src-aws-service} "
	"${pkt-dst-aws-service} ${traffic-path} ${flow-direction} ${log-status}";

/* Flow logs are recorded through the CloudFormation resource schema, so
 * their configuration uses its property names. */
static void r_flowlog(cctx *c, vg_buf *out, const change *ch)
{
	const dm_world *w = c->w;
	const dm_vpc *v = &w->vpc[ch->idx];
	reset(c, K_FLOWLOG, ch->idx);
	char arn[160];
	vg_buf_printf(&c->conf,
		      "{\"Id\":\"%s\",\"ResourceId\":\"%s\",\"ResourceType\":\"VPC\","
		      "\"TrafficType\":\"ALL\",\"LogDestinationType\":\"s3\","
		      "\"LogDestination\":\"arn:aws:s3:::%s\",\"LogFormat\":\"%s\","
		      "\"MaxAggregationInterval\":60,\"Tags\":[]}",
		      v->flowlog, v->id, w->bucket_flow,
		      v->flow_version == 5 ? v5_format : v2_format);
	relation(c, "AWS::EC2::VPC", v->id, "Is associated with Vpc");
	item it = {v->flowlog, NULL, arn_buf(arn, sizeof arn,
					     "arn:aws:ec2:us-east-1:%s:vpc-flow-log/%s", w->account,
					     v->flowlog),
		   VG_DEMO_REGION, "Regional", v->created_ns + 30 * VG_NS_PER_DAY};
	emit_item(c, out, ch, &it);
}

/* S3 buckets: settings live in supplementaryConfiguration, as Config records
 * them; one bucket is a public website, one lacks a public access block. */
static void r_bucket(cctx *c, vg_buf *out, const change *ch)
{
	const dm_world *w = c->w;
	const bucket *bk = &buckets[ch->idx];
	reset(c, K_BUCKET, ch->idx);
	char name[64], owner[72], created[40], arn[160];
	bucket_name(w, ch->idx, name, sizeof name);
	vg_demo_rand_id(&c->r, owner, sizeof owner, "", 64, DM_HEX);
	int64_t t = ch->idx == BUCKET_FORENSICS ? w->t_create_bucket :
		    w->end_ns - (int64_t)(300 + 97 * ch->idx) * VG_NS_PER_DAY;
	vg_demo_iso_ms(t, created);
	vg_buf_printf(&c->conf, "{\"name\":\"%s\",\"owner\":{\"displayName\":null,\"id\":\"%s\"},"
				"\"creationDate\":\"%s\"}", name, owner, created);
	vg_buf *s = &c->supp;
	vg_buf_printf(
		s,
		"\"AccessControlList\":\"{\\\"grantSet\\\":null,\\\"grantList\\\":[{\\\"grantee\\\""
		":{\\\"id\\\":\\\"%s\\\",\\\"displayName\\\":null},\\\"permission\\\":"
		"\\\"FullControl\\\"}],\\\"owner\\\":{\\\"displayName\\\":null,\\\"id\\\":"
		"\\\"%s\\\"},\\\"isRequesterCharged\\\":false}\","
		"\"BucketAccelerateConfiguration\":{\"status\":null},"
		"\"BucketLoggingConfiguration\":{\"destinationBucketName\":%s%s%s,"
		"\"logFilePrefix\":%s},"
		"\"BucketNotificationConfiguration\":{\"configurations\":{}},",
		owner, owner, bk->logging ? "\"acme-s3-access-logs-" : "null",
		bk->logging ? w->account : "", bk->logging ? "\"" : "",
		bk->logging ? "\"logs/\"" : "null");
	if (bk->public_)
		vg_buf_printf(
			s,
			"\"BucketPolicy\":{\"policyText\":\"{\\\"Version\\\":\\\"2012-10-17\\\","
			"\\\"Statement\\\":[{\\\"Sid\\\":\\\"PublicRead\\\",\\\"Effect\\\":"
			"\\\"Allow\\\",\\\"Principal\\\":\\\"*\\\",\\\"Action\\\":"
			"\\\"s3:GetObject\\\",\\\"Resource\\\":\\\"arn:aws:s3:::%s/*\\\"}]}\"},"
			"\"BucketWebsiteConfiguration\":{\"indexDocumentSuffix\":"
			"\"index.html\",\"errorDocument\":\"error.html\"},",
			name);
	else
		vg_buf_puts(s, "\"BucketPolicy\":{\"policyText\":null},");
	vg_buf_printf(s, "\"BucketVersioningConfiguration\":{\"status\":\"%s\","
			 "\"isMfaDeleteEnabled\":null},\"IsRequesterPaysEnabled\":false,",
		      bk->versioning ? "Enabled" : "Off");
	int block = !bk->public_;
	if (strcmp(name, "acme-dev-scratch"))
		vg_buf_printf(s, "\"PublicAccessBlockConfiguration\":{\"blockPublicAcls\":%s,"
				 "\"ignorePublicAcls\":%s,\"blockPublicPolicy\":%s,"
				 "\"restrictPublicBuckets\":%s},",
			      block ? "true" : "false", block ? "true" : "false",
			      block ? "true" : "false", block ? "true" : "false");
	if (bk->kms)
		vg_buf_printf(
			s,
			"\"ServerSideEncryptionConfiguration\":{\"rules\":[{"
			"\"applyServerSideEncryptionByDefault\":{\"sseAlgorithm\":\"aws:kms\","
			"\"kmsMasterKeyID\":\"arn:aws:kms:us-east-1:%s:key/%s\"},"
			"\"bucketKeyEnabled\":true}]}",
			w->account, w->kms_key);
	else
		vg_buf_puts(s,
			    "\"ServerSideEncryptionConfiguration\":{\"rules\":[{"
			    "\"applyServerSideEncryptionByDefault\":{\"sseAlgorithm\":\"AES256\","
			    "\"kmsMasterKeyID\":null},\"bucketKeyEnabled\":false}]}");
	tag(c, "owner", ch->idx == 6 ? "marketing" : "platform");
	item it = {name, name, arn_buf(arn, sizeof arn, "arn:aws:s3:::%s%s", name, ""),
		   VG_DEMO_REGION, "Regional", t};
	emit_item(c, out, ch, &it);
}

/* Trails in DescribeTrails' shape. The alerting trail feeds CloudWatch
 * Logs (for metric-filter alarms) until the intruder unhooks it
 * (variant 1). */
static void r_trail(cctx *c, vg_buf *out, const change *ch)
{
	const dm_world *w = c->w;
	reset(c, K_TRAIL, ch->idx);
	int main_ = ch->idx == 0;
	const char *name = main_ ? w->trail_main : w->trail_alerts;
	char arn[160];
	arn_buf(arn, sizeof arn, "arn:aws:cloudtrail:us-east-1:%s:trail/%s", w->account, name);
	int cw = !main_ && ch->variant == 0;
	vg_buf_printf(&c->conf,
		      "{\"name\":\"%s\",\"s3BucketName\":\"%s\",\"s3KeyPrefix\":%s,"
		      "\"includeGlobalServiceEvents\":true,\"isMultiRegionTrail\":%s,"
		      "\"homeRegion\":\"us-east-1\",\"trailARN\":\"%s\","
		      "\"logFileValidationEnabled\":%s,",
		      name, w->bucket_trail, main_ ? "null" : "\"alerts\"",
		      main_ ? "true" : "false", arn,
		      (main_ || ch->variant == 0) ? "true" : "false");
	if (cw)
		vg_buf_printf(&c->conf, "\"cloudWatchLogsLogGroupArn\":\"arn:aws:logs:us-east-1:%s:"
					"log-group:cloudtrail-security-alerts:*\","
					"\"cloudWatchLogsRoleArn\":\"arn:aws:iam::%s:role/"
					"CloudTrail_CloudWatchLogs_Role\",",
			      w->account, w->account);
	else
		vg_buf_puts(&c->conf,
			    "\"cloudWatchLogsLogGroupArn\":null,\"cloudWatchLogsRoleArn\":null,");
	if (main_)
		vg_buf_printf(&c->conf, "\"kmsKeyId\":\"arn:aws:kms:us-east-1:%s:key/%s\",",
			      w->account, w->kms_key);
	else
		vg_buf_puts(&c->conf, "\"kmsKeyId\":null,");
	vg_buf_printf(&c->conf, "\"hasCustomEventSelectors\":%s,\"hasInsightSelectors\":false,"
				"\"isOrganizationTrail\":false}", main_ ? "true" : "false");
	relation(c, "AWS::S3::Bucket", w->bucket_trail, "Is associated with Bucket");
	item it = {name, name, arn, VG_DEMO_REGION, "Not Applicable",
		   w->end_ns - (int64_t)(main_ ? 700 : 250) * VG_NS_PER_DAY};
	emit_item(c, out, ch, &it);
}

typedef struct upol {
	const char *name;
	const char *group;        /* or NULL */
	const char *managed[3];   /* AWS managed policy names */
	const char *inline_;      /* inline policy name, or NULL */
} upol;

static const upol user_policies[DM_NUSERS] = {
	{"alice.martin", "Admins", {NULL}, NULL},
	{"bob.chen", "Developers", {"PowerUserAccess", "IAMFullAccess", NULL}, NULL},
	{"carol.diaz", "Analysts", {"ReadOnlyAccess", NULL}, NULL},
	{"ci-deploy", NULL, {NULL}, "deploy-ecr-ecs"},
	{"backup-svc", NULL, {"AmazonS3FullAccess", NULL}, "rds-snapshots"},
	{"legacy-ftp", NULL, {"AmazonS3FullAccess", NULL}, NULL},
};

/* IAM users; variant 1 of bob.chen has AdministratorAccess attached. */
static void r_user(cctx *c, vg_buf *out, const change *ch)
{
	const dm_world *w = c->w;
	const dm_actor *a = &w->actor[ch->idx];
	const upol *p = &user_policies[ch->idx];
	reset(c, K_USER, ch->idx);
	char arn[160], created[40];
	arn_buf(arn, sizeof arn, "arn:aws:iam::%s:user/%s", w->account, a->name);
	vg_demo_iso_ms(a->created_ns, created);
	vg_buf *b = &c->conf;
	vg_buf_printf(b,
		      "{\"path\":\"/\",\"userName\":\"%s\",\"userId\":\"%s\",\"arn\":\"%s\","
		      "\"createDate\":\"%s\",\"userPolicyList\":[",
		      a->name, a->pid, arn, created);
	if (p->inline_)
		vg_buf_printf(b,
			      "{\"policyName\":\"%s\",\"policyDocument\":\"%%7B%%22Version%%22%%3A"
			      "%%222012-10-17%%22%%2C%%22Statement%%22%%3A%%5B%%7B%%22Effect%%22"
			      "%%3A%%22Allow%%22%%2C%%22Action%%22%%3A%%5B%%22%s%%22%%5D%%2C"
			      "%%22Resource%%22%%3A%%22*%%22%%7D%%5D%%7D\"}",
			      p->inline_,
			      ch->idx == DM_ACT_CI ? "ecr%3A*%22%2C%22ecs%3A*"
						   : "rds%3ACreateDBSnapshot");
	vg_buf_puts(b, "],\"groupList\":[");
	if (p->group)
		vg_buf_printf(b, "\"%s\"", p->group);
	vg_buf_puts(b, "],\"attachedManagedPolicies\":[");
	int k = 0;
	for (int i = 0; i < 3 && p->managed[i]; i++)
		vg_buf_printf(
			b, "%s{\"policyName\":\"%s\",\"policyArn\":\"arn:aws:iam::aws:policy/%s\"}",
			k++ ? "," : "", p->managed[i], p->managed[i]);
	if (ch->variant == 1)
		vg_buf_printf(b,
			      "%s{\"policyName\":\"AdministratorAccess\",\"policyArn\":"
			      "\"arn:aws:iam::aws:policy/AdministratorAccess\"}",
			      k++ ? "," : "");
	vg_buf_puts(b, "],\"permissionsBoundary\":null,\"tags\":[]}");
	if (p->group)
		relation(c, "AWS::IAM::Group", p->group, "Is attached to Group");
	item it = {a->pid, a->name, arn, "global", "Not Applicable", a->created_ns};
	emit_item(c, out, ch, &it);
}

/* RDS instances: one public and unencrypted (analytics), one unencrypted. */
static void r_rds(cctx *c, vg_buf *out, const change *ch)
{
	const dm_world *w = c->w;
	const rds *d = &dbs[ch->idx];
	reset(c, K_RDS, ch->idx);
	char dbi[40], host[32], created[40], arn[160];
	vg_demo_rand_id(&c->r, dbi, sizeof dbi, "db-", 26, DM_B32);
	vg_demo_rand_id(&c->r, host, sizeof host, "c", 11, "abcdefghijklmnopqrstuvwxyz0123456789");
	int64_t t = w->end_ns - (int64_t)(500 - 120 * ch->idx) * VG_NS_PER_DAY;
	vg_demo_iso_ms(t, created);
	const dm_vpc *v = &w->vpc[d->vpc];
	int sgi = d->vpc == 0 ? 3 : 10; /* prod-db, dev-db */
	vg_buf *b = &c->conf;
	vg_buf_printf(b,
		      "{\"dBInstanceIdentifier\":\"%s\",\"dBInstanceClass\":\"%s\",\"engine\":"
		      "\"%s\",\"dBInstanceStatus\":\"available\",\"masterUsername\":\"app\","
		      "\"dBName\":\"app\",\"endpoint\":{\"address\":\"%s.%s.us-east-1.rds."
		      "amazonaws.com\",\"port\":%d,\"hostedZoneId\":\"Z2R2ITUGPM61AM\"},"
		      "\"allocatedStorage\":%d,\"instanceCreateTime\":\"%s\","
		      "\"preferredBackupWindow\":\"07:00-07:30\",\"backupRetentionPeriod\":%d,"
		      "\"dBSecurityGroups\":[],\"vpcSecurityGroups\":[{\"vpcSecurityGroupId\":"
		      "\"%s\",\"status\":\"active\"}],\"dBSubnetGroup\":{\"dBSubnetGroupName\":"
		      "\"%s-data\",\"dBSubnetGroupDescription\":\"%s databases\",\"vpcId\":\"%s\","
		      "\"subnetGroupStatus\":\"Complete\"},\"availabilityZone\":\"us-east-1a\","
		      "\"multiAZ\":%s,\"engineVersion\":\"%s\",\"autoMinorVersionUpgrade\":true,"
		      "\"publiclyAccessible\":%s,\"storageType\":\"gp3\",\"storageEncrypted\":%s,",
		      d->id, d->cls, d->engine, d->id, host, d->port, d->storage, created,
		      d->backup_days, w->sg[sgi].id, v->name, v->name, v->id,
		      d->multi_az ? "true" : "false", d->version, d->public_ ? "true" : "false",
		      d->encrypted ? "true" : "false");
	if (d->encrypted)
		vg_buf_printf(b, "\"kmsKeyId\":\"arn:aws:kms:us-east-1:%s:key/%s\",", w->account,
			      w->kms_key);
	vg_buf_printf(
		b,
		"\"dbiResourceId\":\"%s\",\"cACertificateIdentifier\":\"rds-ca-rsa2048-g1\","
		"\"copyTagsToSnapshot\":true,\"monitoringInterval\":%d,"
		"\"iAMDatabaseAuthenticationEnabled\":false,\"performanceInsightsEnabled\":%s,"
		"\"deletionProtection\":%s,\"dBInstanceArn\":\"arn:aws:rds:us-east-1:%s:db:"
		"%s\",\"dbInstancePort\":0,\"enabledCloudwatchLogsExports\":[]}",
		dbi, d->vpc == 0 ? 60 : 0, d->vpc == 0 ? "true" : "false",
		ch->idx == 0 ? "true" : "false", w->account, d->id);
	relation(c, "AWS::EC2::SecurityGroup", w->sg[sgi].id, "Is associated with SecurityGroup");
	relation(c, "AWS::EC2::VPC", v->id, "Is contained in Vpc");
	tag(c, "env", v->name);
	item it = {dbi,
		   d->id,
		   arn_buf(arn, sizeof arn, "arn:aws:rds:us-east-1:%s:db:%s", w->account, d->id),
		   VG_DEMO_REGION,
		   "us-east-1a",
		   t};
	emit_item(c, out, ch, &it);
}

/* Write the item of a change, by resource type. */
static void render(cctx *c, vg_buf *out, const change *ch)
{
	switch (ch->kind) {
	case K_VPC: r_vpc(c, out, ch); break;
	case K_SUBNET: r_subnet(c, out, ch); break;
	case K_SG: r_sg(c, out, ch); break;
	case K_INSTANCE: r_instance(c, out, ch); break;
	case K_VOLUME: r_volume(c, out, ch); break;
	case K_FLOWLOG: r_flowlog(c, out, ch); break;
	case K_BUCKET: r_bucket(c, out, ch); break;
	case K_TRAIL: r_trail(c, out, ch); break;
	case K_USER: r_user(c, out, ch); break;
	default: r_rds(c, out, ch); break;
	}
}

/* ---------- versions over time ---------- */

typedef struct clist {
	change *v;
	size_t n, cap;
} clist;

/* Append a change to l. */
static change *push(clist *l, int64_t t, int kind, int idx, int variant, const char *status,
		    const char *event)
{
	vg_grow(&l->v, &l->cap, l->n + 1, sizeof *l->v);
	change *ch = &l->v[l->n++];
	memset(ch, 0, sizeof *ch);
	ch->t = t;
	ch->kind = kind;
	ch->idx = idx;
	ch->variant = variant;
	ch->status = status;
	if (event)
		snprintf(ch->event, sizeof ch->event, "%s", event);
	return ch;
}

/* The time the recorder last captured a resource before `before`: some
 * weeks back, never before it existed. */
static int64_t baseline(const dm_world *w, int kind, int idx, int64_t created, int64_t before)
{
	dm_rng r;
	dm_rng_init(&r, dm_stream(w->seed, DM_S_CONFIG, (uint64_t)kind, (uint64_t)idx, 9));
	int64_t t = before - (int64_t)(1 + dm_below(&r, 40)) * VG_NS_PER_DAY -
		    (int64_t)dm_below(&r, 86400000) * 1000000;
	return t > created ? t : created + 90 * DM_NS_SEC;
}

/* Where the instance scheduler leaves instance e at time t, and the
 * related StopInstances/StartInstances event of its last run. */
static int sched_variant(const dm_world *w, const dm_eni *e, int64_t t)
{
	return vg_demo_stopped(w, e, t) ? 1 : 0;
}

/* The eventID of the scheduler's run at `when` (the same stream as
 * cloudtrail.c uses, so the two agree). */
static void scheduler_event(const dm_world *w, int64_t when, char out[37])
{
	dm_rng r;
	dm_rng_init(&r, dm_stream(w->seed, DM_S_IDS, 77, (uint64_t)(when / DM_NS_SEC), 0));
	vg_demo_uuid(&r, out);
}

/* Every resource as it stands at the snapshot. */
static void snapshot_items(const dm_world *w, int64_t at, clist *l)
{
	for (int i = 0; i < w->nvpc; i++)
		push(l, baseline(w, K_VPC, i, w->vpc[i].created_ns, at), K_VPC, i, 0, "OK", NULL);
	for (int i = 0; i < w->nsubnet; i++)
		push(l, baseline(w, K_SUBNET, i, w->vpc[w->subnet[i].vpc].created_ns, at), K_SUBNET,
		     i, 0, "OK", NULL);
	for (int i = 0; i < w->nsg + w->nvpc; i++)
		push(l, baseline(w, K_SG, i, w->vpc[0].created_ns, at), K_SG, i, 0, "OK", NULL);
	for (int i = 0; i < w->neni; i++) {
		const dm_eni *e = &w->eni[i];
		if (e->instance[0] != 'i')
			continue;
		int64_t t = baseline(w, K_INSTANCE, i, e->launch_ns, at);
		int variant = 0;
		if (e->sched) {
			variant = sched_variant(w, e, at);
			/* captured a little after the scheduler's last run */
			int64_t h = at / DM_NS_HOUR * DM_NS_HOUR;
			while (h > at - 7 * VG_NS_PER_DAY &&
			       vg_demo_stopped(w, e, h) == vg_demo_stopped(w, e, h - DM_NS_SEC))
				h -= DM_NS_HOUR;
			t = h + 95 * DM_NS_SEC < at ? h + 95 * DM_NS_SEC : t;
		}
		push(l, t, K_INSTANCE, i, variant, "OK", NULL);
	}
	for (int i = 0; i < w->neni; i++)
		if (w->eni[i].instance[0] == 'i')
			push(l, baseline(w, K_VOLUME, i, w->eni[i].launch_ns, at), K_VOLUME, i, 0,
			     "OK", NULL);
	if (w->t_delete_volume == 0 || w->t_delete_volume > at)
		push(l, baseline(w, K_VOLUME, 100000, w->orphan_created, at), K_VOLUME, -1, 0, "OK",
		     NULL);
	for (int i = 0; i < w->nvpc; i++)
		if (w->vpc[i].flow_version)
			push(l, baseline(w, K_FLOWLOG, i, w->vpc[i].created_ns, at), K_FLOWLOG, i,
			     0, "OK", NULL);
	for (int i = 0; i < NBUCKETS; i++)
		if (i != BUCKET_FORENSICS || w->t_create_bucket <= at)
			push(l, baseline(w, K_BUCKET, i, w->end_ns - 300 * VG_NS_PER_DAY, at),
			     K_BUCKET, i, 0, "OK", NULL);
	for (int i = 0; i < 2; i++)
		push(l, baseline(w, K_TRAIL, i, w->end_ns - 250 * VG_NS_PER_DAY, at), K_TRAIL, i, 0,
		     "OK", NULL);
	for (int i = 0; i < DM_NUSERS; i++)
		push(l, baseline(w, K_USER, i, w->actor[i].created_ns, at), K_USER, i, 0, "OK",
		     NULL);
	for (int i = 0; i < NDBS; i++)
		push(l, baseline(w, K_RDS, i, w->end_ns - 500 * VG_NS_PER_DAY, at), K_RDS, i, 0,
		     "OK", NULL);
}

/* Config notices a change a minute or three after the call. */
#define LAG(s) ((int64_t)(s) * DM_NS_SEC)

/* The changes after the snapshot: the scheduler's runs, the attack, the
 * housekeeping. */
static void history_items(const dm_world *w, int64_t from, clist *l)
{
	int64_t t = from;
	int stop;
	while ((t = vg_demo_sched_next(t, w->end_ns, &stop)) != 0) {
		char ev[37];
		scheduler_event(w, t, ev);
		for (int i = 0; i < w->nsched; i++)
			push(l, t + LAG(70 + 9 * i), K_INSTANCE, w->eni_scheduled[i], stop, "OK",
			     ev);
		t += DM_NS_SEC;
	}
	push(l, w->t_sg_open + LAG(96), K_SG, w->sg_bastion, 1, "OK", w->ev_sg_open);
	push(l, w->t_persist + LAG(40 + 150), K_USER, DM_ACT_BOB, 1, "OK", w->ev_attach);
	push(l, w->t_trail + LAG(110), K_TRAIL, 1, 1, "OK", w->ev_update_trail);
	if (w->t_delete_volume)
		push(l, w->t_delete_volume + LAG(80), K_VOLUME, -1, 0, "ResourceDeleted",
		     w->ev_delete_volume);
	push(l, w->t_create_bucket + LAG(130), K_BUCKET, BUCKET_FORENSICS, 0, "ResourceDiscovered",
	     w->ev_create_bucket);
	/* keep only what falls after the snapshot, within the data */
	size_t k = 0;
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].t > from && l->v[i].t < w->end_ns)
			l->v[k++] = l->v[i];
	l->n = k;
}

/* Order changes by time, type, resource. */
static int cmp_change(const void *a, const void *b)
{
	const change *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind - y->kind;
	return x->idx - y->idx;
}

/* ---------- files ---------- */

/* Write one Config file and count it. */
static int put_file(const dm_out *o, const char *rel, const vg_buf *b, vg_demo_stats *st,
		    vg_err *err)
{
	int rc = vg_demo_write_file(o, rel, 1, b->p, b->len, &st->bytes, err);
	if (rc == 0) {
		st->files++;
		st->config_files++;
	}
	return rc;
}

/* AWSLogs/<acct>/Config/<region>/<Y>/<M>/<D>/<what>, unpadded as Config
 * writes it. */
static void config_dir(const dm_world *w, int64_t t, const char *what, char *out, size_t cap)
{
	dm_tm tm;
	vg_demo_tm(t, &tm);
	snprintf(out, cap, "AWSLogs/%s/Config/%s/%lld/%u/%u/%s", w->account, VG_DEMO_REGION,
		 (long long)tm.year, tm.mon, tm.day, what);
}

/* The snapshot file: every resource as of `at`. */
static int write_snapshot(cctx *c, const dm_out *o, int64_t at, vg_demo_stats *st, vg_err *err)
{
	const dm_world *w = c->w;
	clist l = {0};
	snapshot_items(w, at, &l);
	dm_rng r;
	dm_rng_init(&r, dm_stream(w->seed, DM_S_CONFIG, 1000, 0, 0));
	char id[37], when[40], dir[256], rel[512];
	vg_demo_uuid(&r, id);
	vg_demo_compact_s(at, when);
	config_dir(w, at, "ConfigSnapshot", dir, sizeof dir);
	snprintf(rel, sizeof rel, "%s/%s_Config_%s_ConfigSnapshot_%s_%s.json", dir, w->account,
		 VG_DEMO_REGION, when, id);
	vg_buf b = {0};
	vg_buf_printf(&b, "{\"fileVersion\":\"1.0\",\"configSnapshotId\":\"%s\","
			  "\"configurationItems\":[", id);
	for (size_t i = 0; i < l.n; i++) {
		if (i)
			vg_buf_putc(&b, ',');
		render(c, &b, &l.v[i]);
	}
	vg_buf_puts(&b, "]}");
	int rc = put_file(o, rel, &b, st, err);
	if (rc == 0)
		st->config_items += l.n;
	vg_buf_free(&b);
	free(l.v);
	return rc;
}

/* History files: every six hours, one per resource type with changes. */
static int write_history(cctx *c, const dm_out *o, int64_t from, vg_demo_stats *st, vg_err *err)
{
	const dm_world *w = c->w;
	clist l = {0};
	history_items(w, from, &l);
	qsort(l.v, l.n, sizeof *l.v, cmp_change);
	int rc = 0;
	const int64_t period = 6 * DM_NS_HOUR;
	for (int64_t p0 = from / period * period; p0 < w->end_ns && rc == 0; p0 += period) {
		int64_t p1 = p0 + period;
		int64_t deliver = p1 < w->end_ns ? p1 : w->end_ns;
		for (int k = 0; k < K_COUNT && rc == 0; k++) {
			vg_buf b = {0};
			size_t n = 0;
			int64_t first = 0, last = 0;
			vg_buf_puts(&b, "{\"fileVersion\":\"1.0\",\"configurationItems\":[");
			for (size_t i = 0; i < l.n; i++) {
				const change *ch = &l.v[i];
				if (ch->kind != k || ch->t < p0 || ch->t >= p1)
					continue;
				if (n++)
					vg_buf_putc(&b, ',');
				else
					first = ch->t;
				last = ch->t;
				render(c, &b, ch);
			}
			vg_buf_puts(&b, "]}");
			if (n) {
				char a[40], z[40], dir[256], rel[512];
				vg_demo_compact_s(first, a);
				vg_demo_compact_s(last, z);
				config_dir(w, deliver, "ConfigHistory", dir, sizeof dir);
				snprintf(rel, sizeof rel,
					 "%s/%s_Config_%s_ConfigHistory_%s_%s_%s_1.json", dir,
					 w->account, VG_DEMO_REGION, type_name[k], a, z);
				rc = put_file(o, rel, &b, st, err);
				if (rc == 0)
					st->config_items += n;
			}
			vg_buf_free(&b);
		}
	}
	free(l.v);
	return rc;
}

int vg_demo_config_write(const dm_world *w, const dm_out *o, vg_demo_stats *st, vg_err *err)
{
	cctx c = {.w = w};
	int64_t snap = w->start_ns + 14 * DM_NS_MIN + 27 * DM_NS_SEC;
	int rc = write_snapshot(&c, o, snap, st, err);
	if (rc == 0)
		rc = write_history(&c, o, snap, st, err);
	vg_buf_free(&c.conf);
	vg_buf_free(&c.rel);
	vg_buf_free(&c.tags);
	vg_buf_free(&c.supp);
	return rc;
}
