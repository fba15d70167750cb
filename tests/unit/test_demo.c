/* test_demo.c — the demo data generator: layout, formats, the attack's
 * traces, and determinism (same seed and options, same bytes, whatever the
 * thread count). One small set (1 day, scale 0.1) is generated once for the
 * group; the determinism tests generate a few more next to it. */
#include "testutil.h"

#include <ftw.h>
#include <math.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cjson/cJSON.h>

#include "demo/demo.h"
#include "util/ip.h"
#include "util/strtab.h"
#include "util/timeutil.h"

#define END_NS (INT64_C(1717243200) * VG_NS_PER_SEC) /* 2024-06-01T12:00:00Z */

typedef struct set {
	char dir[512];
	vg_demo_stats st;
} set;

typedef struct fixture {
	char base[256];
	set a;       /* seed 7, days 1, scale 0.1, gzip, 2 threads */
} fixture;

/* ---------- helpers ---------- */

/* File list of a tree: relative paths, sorted. */
typedef struct flist {
	char **path;
	size_t n, cap;
} flist;

static flist *walk_into;
static size_t walk_root;

static int walk_cb(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)f;
	if (flag != FTW_F)
		return 0;
	if (walk_into->n == walk_into->cap) {
		walk_into->cap = walk_into->cap ? 2 * walk_into->cap : 256;
		walk_into->path = realloc(walk_into->path, walk_into->cap * sizeof(char *));
	}
	walk_into->path[walk_into->n++] = strdup(p + walk_root + 1);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static flist walk(const char *dir)
{
	flist l = {0};
	walk_into = &l;
	walk_root = strlen(dir);
	assert_int_equal(nftw(dir, walk_cb, 16, FTW_PHYS), 0);
	qsort(l.path, l.n, sizeof *l.path, cmp_str);
	return l;
}

static void flist_free(flist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->path[i]);
	free(l->path);
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)flag;
	(void)f;
	return remove(p);
}

static void rm_tree(const char *dir)
{
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcmp(s + a - b, suf) == 0;
}

/* The whole content of a file, decompressed when it is gzip. */
static char *read_text(const char *path, size_t *len)
{
	gzFile g = gzopen(path, "rb");
	assert_non_null(g);
	size_t cap = 1 << 16, n = 0;
	char *p = malloc(cap + 1);
	for (;;) {
		if (n == cap) {
			cap *= 2;
			p = realloc(p, cap + 1);
		}
		int k = gzread(g, p + n, (unsigned)(cap - n));
		assert_true(k >= 0);
		if (k == 0)
			break;
		n += (size_t)k;
	}
	gzclose(g);
	p[n] = 0;
	*len = n;
	return p;
}

static char *path_in(const set *s, const char *rel)
{
	static char buf[1024];
	snprintf(buf, sizeof buf, "%s/%s", s->dir, rel);
	return buf;
}

static void generate(set *s, const char *base, const char *name, uint64_t seed, int days,
		     int threads, int gzip)
{
	snprintf(s->dir, sizeof s->dir, "%s/%s", base, name);
	vg_demo_opts o;
	vg_demo_defaults(&o);
	o.out = s->dir;
	o.seed = seed;
	o.days = days;
	o.scale = 0.1;
	o.threads = threads;
	o.gzip = gzip;
	o.end_ns = END_NS + 17 * VG_NS_PER_SEC; /* rounded down to the hour */
	vg_err err = {0};
	int rc = vg_demo_write(&o, &s->st, &err);
	if (rc)
		fail_msg("vg_demo_write: %s", err.msg);
}

/* Hash of every file's bytes, by path: two trees are the same data set
 * when these lists are equal. */
typedef struct digest {
	flist files;
	uint64_t *h;
} digest;

static digest digest_of(const char *dir)
{
	digest d = {walk(dir), NULL};
	d.h = calloc(d.files.n ? d.files.n : 1, sizeof *d.h);
	for (size_t i = 0; i < d.files.n; i++) {
		char p[1024];
		snprintf(p, sizeof p, "%s/%s", dir, d.files.path[i]);
		size_t len = 0;
		char *b = slurp(p, &len);
		assert_non_null(b);
		d.h[i] = vg_hash(b, len) ^ len;
		free(b);
	}
	return d;
}

static bool same_digest(const digest *x, const digest *y)
{
	if (x->files.n != y->files.n)
		return false;
	for (size_t i = 0; i < x->files.n; i++)
		if (strcmp(x->files.path[i], y->files.path[i]) || x->h[i] != y->h[i])
			return false;
	return true;
}

static void digest_free(digest *d)
{
	flist_free(&d->files);
	free(d->h);
}

/* ---------- fixture ---------- */

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	snprintf(fx->base, sizeof fx->base, "/tmp/vigil-test-demo-XXXXXX");
	if (mkdtemp(fx->base) == NULL)
		return -1;
	generate(&fx->a, fx->base, "a", 7, 1, 2, 1);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	rm_tree(fx->base);
	free(fx);
	return 0;
}

/* ---------- layout ---------- */

static void test_layout(void **state)
{
	fixture *fx = *state;
	const set *a = &fx->a;
	flist l = walk(a->dir);
	assert_int_equal(l.n, a->st.files);
	size_t flow = 0, ct = 0, digests = 0, snap = 0, hist = 0;
	for (size_t i = 0; i < l.n; i++) {
		const char *p = l.path[i];
		if (strncmp(p, "AWSLogs/", 8) == 0) {
			/* everything AWS delivers is gzip */
			assert_true(ends_with(p, ".gz"));
			size_t n = 0;
			char *raw = slurp(path_in(a, p), &n);
			assert_true(n > 2 && (unsigned char)raw[0] == 0x1f &&
				    (unsigned char)raw[1] == 0x8b);
			free(raw);
		}
		if (strstr(p, "/vpcflowlogs/us-east-1/")) {
			assert_non_null(
				strstr(p, "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/0"));
			assert_non_null(strstr(p, "/123456789012_vpcflowlogs_us-east-1_fl-0"));
			assert_true(ends_with(p, ".log.gz"));
			flow++;
		} else if (strstr(p, "/CloudTrail/")) {
			assert_non_null(strstr(p, "_CloudTrail_"));
			assert_true(ends_with(p, ".json.gz"));
			ct++;
		} else if (strstr(p, "/CloudTrail-Digest/")) {
			assert_non_null(strstr(p, "_CloudTrail-Digest_us-east-1_"));
			digests++;
		} else if (strstr(p, "/ConfigSnapshot/")) {
			assert_non_null(strstr(p, "AWSLogs/123456789012/Config/us-east-1/2024/"));
			assert_non_null(strstr(p, "_Config_us-east-1_ConfigSnapshot_"));
			snap++;
		} else if (strstr(p, "/ConfigHistory/")) {
			assert_non_null(strstr(p, "_Config_us-east-1_ConfigHistory_AWS::"));
			assert_true(ends_with(p, "_1.json.gz"));
			hist++;
		}
	}
	/* one day: 24 hours x 2 flow logs (one shard at this scale) */
	assert_int_equal(flow, 48);
	assert_int_equal(flow, a->st.flow_files);
	assert_int_equal(ct, a->st.cloudtrail_files);
	assert_true(ct >= 288); /* us-east-1 every 5 minutes, plus other regions */
	assert_int_equal(digests, 2);
	assert_int_equal(snap, 1);
	assert_true(hist >= 4);
	assert_int_equal(snap + hist, a->st.config_files);
	struct stat sb;
	assert_int_equal(stat(path_in(a, "README.md"), &sb), 0);
	assert_int_equal(stat(path_in(a, "syslog/auth.log"), &sb), 0);
	assert_int_equal(stat(path_in(a, "awscli/password-policy.json"), &sb), 0);
	assert_int_equal(stat(path_in(a, "awscli/account-summary.json"), &sb), 0);
	assert_int_equal(stat(path_in(a, "awscli/trail-status.json"), &sb), 0);
	assert_int_equal(stat(path_in(a, "awscli/credential-report.csv"), &sb), 0);
	assert_int_equal(a->st.start_ns, END_NS - VG_NS_PER_DAY);
	assert_int_equal(a->st.end_ns, END_NS);
	assert_string_equal(a->st.account, "123456789012");
	flist_free(&l);
}

/* ---------- VPC flow records ---------- */

static const char hdr2[] =
	"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
	"start end action log-status";
static const char hdr5[] =
	"version srcaddr dstaddr srcport dstport protocol start end type packets bytes account-id "
	"vpc-id subnet-id instance-id interface-id region az-id sublocation-type sublocation-id "
	"action tcp-flags pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service "
	"traffic-path flow-direction log-status";

/* An address that must not appear as a public one: private, shared,
 * loopback, link-local, documentation, multicast, reserved. */
static bool reserved4(const uint8_t ip[16])
{
	const uint8_t *a = ip + 12;
	return a[0] == 0 || a[0] == 127 || a[0] >= 224 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
	       (a[0] == 192 && a[1] == 168) || (a[0] == 100 && (a[1] & 0xc0) == 64) ||
	       (a[0] == 169 && a[1] == 254) || (a[0] == 192 && a[1] == 0 && a[2] == 2) ||
	       (a[0] == 198 && a[1] == 51 && a[2] == 100) ||
	       (a[0] == 203 && a[1] == 0 && a[2] == 113) || (a[0] == 198 && (a[1] & 0xfe) == 18);
}

/* A field is a valid address in canonical text, and when not the VPC's
 * own (10.x or the production /56) a public one. */
static void check_addr(const char *s, size_t n, int *v6)
{
	uint8_t ip[16];
	char canon[64];
	if (vg_ip_parse(s, n, ip) != 0)
		fail_msg("not an address: %.*s", (int)n, s);
	size_t k = vg_ip_format(ip, canon);
	if (k != n || memcmp(canon, s, n) != 0)
		fail_msg("not canonical: %.*s (%s)", (int)n, s, canon);
	*v6 = !vg_ip_is4(ip);
	if (*v6) {
		assert_true((ip[0] & 0xe0) == 0x20); /* global unicast 2000::/3 */
		return;
	}
	if (ip[12] == 10)
		return;
	if (reserved4(ip))
		fail_msg("reserved address used as public: %.*s", (int)n, s);
}

static int split(char *line, char **f, int max)
{
	int n = 0;
	for (char *p = line; *p && n < max;) {
		f[n++] = p;
		char *sp = strchr(p, ' ');
		if (sp == NULL)
			break;
		*sp = 0;
		p = sp + 1;
	}
	return n;
}

static long num(const char *s)
{
	char *e;
	long v = strtol(s, &e, 10);
	if (*e || e == s)
		fail_msg("not a number: %s", s);
	return v;
}

typedef struct fcount {
	uint64_t rec, acc, rej, nodata, skip, v6, v5rec, nat;
} fcount;

static void check_flow_line(char *line, int version, int64_t lo, int64_t hi, fcount *c)
{
	char *f[40];
	int n = split(line, f, 40);
	assert_int_equal(n, version == 2 ? 14 : 29);
	assert_int_equal(num(f[0]), version);
	const char *status = f[n - 1];
	const char *src = f[version == 2 ? 3 : 1], *dst = f[version == 2 ? 4 : 2];
	const char *start = f[version == 2 ? 10 : 6], *end = f[version == 2 ? 11 : 7];
	const char *action = f[version == 2 ? 12 : 20];
	long ts = num(start), te = num(end);
	assert_true(ts >= lo && ts < hi);
	assert_true(te >= ts && te <= ts + 60);
	c->rec++;
	if (!strcmp(status, "NODATA") || !strcmp(status, "SKIPDATA")) {
		assert_string_equal(src, "-");
		assert_string_equal(action, "-");
		if (status[0] == 'N')
			c->nodata++;
		else
			c->skip++;
		return;
	}
	assert_string_equal(status, "OK");
	int v6a, v6b;
	check_addr(src, strlen(src), &v6a);
	check_addr(dst, strlen(dst), &v6b);
	assert_int_equal(v6a, v6b);
	c->v6 += (uint64_t)v6a;
	long sport = num(f[version == 2 ? 5 : 3]), dport = num(f[version == 2 ? 6 : 4]);
	long proto = num(f[version == 2 ? 7 : 5]);
	long pk = num(f[version == 2 ? 8 : 9]), by = num(f[version == 2 ? 9 : 10]);
	assert_true(sport >= 0 && sport <= 65535 && dport >= 0 && dport <= 65535);
	assert_true(proto == 1 || proto == 6 || proto == 17);
	assert_true(pk >= 1 && by >= 20 * pk);
	if (!strcmp(action, "ACCEPT"))
		c->acc++;
	else if (!strcmp(action, "REJECT"))
		c->rej++;
	else
		fail_msg("bad action %s", action);
	if (version == 5) {
		c->v5rec++;
		assert_string_equal(f[8], v6a ? "IPv6" : "IPv4");
		assert_string_equal(f[11], "123456789012");
		assert_string_equal(f[16], "us-east-1");
		int x;
		check_addr(f[22], strlen(f[22]), &x);
		check_addr(f[23], strlen(f[23]), &x);
		if (strcmp(f[22], src) != 0 || strcmp(f[23], dst) != 0)
			c->nat++;
		assert_true(!strcmp(f[27], "ingress") || !strcmp(f[27], "egress"));
		/* traffic-path is only given for egress */
		if (!strcmp(f[27], "ingress"))
			assert_string_equal(f[26], "-");
	}
}

static void test_flow_records(void **state)
{
	fixture *fx = *state;
	const set *a = &fx->a;
	flist l = walk(a->dir);
	fcount c = {0};
	int64_t lo = a->st.start_ns / VG_NS_PER_SEC, hi = a->st.end_ns / VG_NS_PER_SEC;
	int seen2 = 0, seen5 = 0;
	for (size_t i = 0; i < l.n; i++) {
		if (!strstr(l.path[i], "/vpcflowlogs/"))
			continue;
		size_t len;
		char *t = read_text(path_in(a, l.path[i]), &len);
		assert_true(len > 0 && t[len - 1] == '\n');
		char *save = NULL, *line = strtok_r(t, "\n", &save);
		int version;
		if (!strcmp(line, hdr2))
			version = 2, seen2 = 1;
		else if (!strcmp(line, hdr5))
			version = 5, seen5 = 1;
		else
			fail_msg("bad header in %s: %s", l.path[i], line);
		while ((line = strtok_r(NULL, "\n", &save)) != NULL)
			check_flow_line(line, version, lo, hi, &c);
		free(t);
	}
	assert_true(seen2 && seen5);
	const vg_demo_stats *st = &a->st;
	assert_int_equal(c.rec, st->flow_records);
	assert_int_equal(c.acc, st->flow_accept);
	assert_int_equal(c.rej, st->flow_reject);
	assert_int_equal(c.nodata, st->flow_nodata);
	assert_int_equal(c.skip, st->flow_skipdata);
	assert_int_equal(c.v6, st->flow_ipv6);
	/* shapes: REJECT mostly from scanners, a few %; NODATA present; NAT
	 * gateways' translated records; some IPv6 */
	double rej = (double)c.rej / (double)c.rec;
	assert_true(rej > 0.05 && rej < 0.30);
	assert_true(c.nodata > 0);
	assert_true(c.nat > 100);
	assert_true(c.v6 > 50);
	/* scale 0.1 of ~2.5 M a week, plus the attack's few thousand */
	assert_true(c.rec > 25000 && c.rec < 150000);
	flist_free(&l);
}

/* ---------- CloudTrail ---------- */

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void test_cloudtrail(void **state)
{
	fixture *fx = *state;
	const set *a = &fx->a;
	flist l = walk(a->dir);
	uint64_t records = 0;
	int denied = 0, stop = 0, root = 0, nomfa = 0, sg = 0, key = 0, attach = 0, data = 0;
	for (size_t i = 0; i < l.n; i++) {
		const char *p = l.path[i];
		bool is_digest = strstr(p, "/CloudTrail-Digest/") != NULL;
		if (!strstr(p, "/CloudTrail/") && !is_digest)
			continue;
		size_t len;
		char *t = read_text(path_in(a, p), &len);
		cJSON *doc = cJSON_ParseWithLength(t, len);
		if (doc == NULL)
			fail_msg("not JSON: %s", p);
		if (is_digest) {
			assert_true(cJSON_IsArray(cJSON_GetObjectItem(doc, "logFiles")));
			assert_string_equal(jstr(doc, "awsAccountId"), "123456789012");
			cJSON_Delete(doc);
			free(t);
			continue;
		}
		const cJSON *recs = cJSON_GetObjectItemCaseSensitive(doc, "Records");
		assert_true(cJSON_IsArray(recs) && cJSON_GetArraySize(recs) > 0);
		const cJSON *r;
		cJSON_ArrayForEach(r, recs) {
			records++;
			assert_non_null(jstr(r, "eventVersion"));
			assert_non_null(jstr(r, "eventSource"));
			assert_non_null(jstr(r, "eventName"));
			assert_non_null(jstr(r, "sourceIPAddress"));
			assert_non_null(jstr(r, "userAgent"));
			assert_non_null(jstr(r, "eventID"));
			assert_string_equal(jstr(r, "recipientAccountId"), "123456789012");
			/* the file's region folder names the records' region */
			char reg[48];
			snprintf(reg, sizeof reg, "/CloudTrail/%s/", jstr(r, "awsRegion"));
			assert_non_null(strstr(p, reg));
			const char *when = jstr(r, "eventTime");
			int64_t ns;
			assert_int_equal(vg_parse_iso8601(when, strlen(when), &ns), 20);
			assert_true(ns >= a->st.start_ns && ns < a->st.end_ns);
			const cJSON *ui = cJSON_GetObjectItemCaseSensitive(r, "userIdentity");
			assert_non_null(jstr(ui, "type"));
			const char *msg = jstr(r, "errorMessage");
			const char *name = jstr(r, "eventName");
			denied += msg && strstr(msg, "not authorized to perform") != NULL;
			stop += !strcmp(name, "StopLogging");
			root += !strcmp(jstr(ui, "type"), "Root");
			sg += !strcmp(name, "AuthorizeSecurityGroupIngress");
			key += !strcmp(name, "CreateAccessKey");
			attach += !strcmp(name, "AttachUserPolicy");
			data += !strcmp(jstr(r, "eventCategory"), "Data");
			const cJSON *add =
				cJSON_GetObjectItemCaseSensitive(r, "additionalEventData");
			if (!strcmp(name, "ConsoleLogin") && add && jstr(add, "MFAUsed") &&
			    !strcmp(jstr(add, "MFAUsed"), "No"))
				nomfa++;
		}
		/* and the raw text has what the seed article searches for */
		if (strstr(t, "not authorized to perform"))
			assert_non_null(strstr(t, "is not authorized to perform: "));
		cJSON_Delete(doc);
		free(t);
	}
	assert_int_equal(records, a->st.cloudtrail_records);
	assert_true(records > 2000);
	assert_true(denied >= 100);  /* the probe with the leaked key */
	assert_int_equal(stop, 1);
	assert_true(root >= 2);      /* sign-in and calls */
	assert_true(nomfa >= 2);     /* bob.chen from Tor, root */
	assert_int_equal(sg, 1);
	assert_int_equal(key, 1);
	assert_int_equal(attach, 1);
	assert_true(data > 500);     /* S3 object events */
	flist_free(&l);
}

/* ---------- AWS Config ---------- */

static bool has_open_ssh(const cJSON *conf)
{
	const cJSON *perm;
	cJSON_ArrayForEach(perm, cJSON_GetObjectItem(conf, "ipPermissions")) {
		const cJSON *from = cJSON_GetObjectItem(perm, "fromPort");
		if (!cJSON_IsNumber(from) || from->valueint != 22)
			continue;
		const cJSON *rg;
		cJSON_ArrayForEach(rg, cJSON_GetObjectItem(perm, "ipv4Ranges"))
			if (!strcmp(jstr(rg, "cidrIp"), "0.0.0.0/0"))
				return true;
	}
	return false;
}

static void test_config(void **state)
{
	fixture *fx = *state;
	const set *a = &fx->a;
	flist l = walk(a->dir);
	uint64_t items = 0;
	int snapshot = 0, opened = 0, admin = 0, trail = 0, discovered = 0, types = 0;
	for (size_t i = 0; i < l.n; i++) {
		const char *p = l.path[i];
		if (!strstr(p, "/Config/"))
			continue;
		size_t len;
		char *t = read_text(path_in(a, p), &len);
		cJSON *doc = cJSON_ParseWithLength(t, len);
		if (doc == NULL)
			fail_msg("not JSON: %s", p);
		assert_string_equal(jstr(doc, "fileVersion"), "1.0");
		snapshot += jstr(doc, "configSnapshotId") != NULL;
		const cJSON *it;
		cJSON_ArrayForEach(it, cJSON_GetObjectItem(doc, "configurationItems")) {
			items++;
			assert_string_equal(jstr(it, "configurationItemVersion"), "1.3");
			assert_string_equal(jstr(it, "awsAccountId"), "123456789012");
			const char *type = jstr(it, "resourceType"), *status =
				jstr(it, "configurationItemStatus");
			assert_non_null(type);
			assert_non_null(jstr(it, "resourceId"));
			assert_non_null(jstr(it, "ARN"));
			const char *cap = jstr(it, "configurationItemCaptureTime");
			int64_t ns;
			assert_true(vg_parse_iso8601(cap, strlen(cap), &ns) > 0);
			assert_true(ns < a->st.end_ns);
			const cJSON *conf = cJSON_GetObjectItem(it, "configuration");
			if (!strcmp(type, "AWS::EC2::SecurityGroup") && has_open_ssh(conf) &&
			    !strcmp(jstr(it, "resourceName"), "dev-bastion")) {
				opened++;
				assert_true(cJSON_GetArraySize(
						    cJSON_GetObjectItem(it, "relatedEvents")) == 1);
			}
			if (!strcmp(type, "AWS::IAM::User") &&
			    !strcmp(jstr(it, "resourceName"), "bob.chen")) {
				char *txt = cJSON_PrintUnformatted(conf);
				admin += strstr(txt, "AdministratorAccess") != NULL;
				free(txt);
			}
			if (!strcmp(type, "AWS::CloudTrail::Trail") &&
			    cJSON_IsFalse(cJSON_GetObjectItem(conf, "logFileValidationEnabled")))
				trail++;
			discovered += !strcmp(status, "ResourceDiscovered");
			static const char *const want[] = {
				"AWS::S3::Bucket", "AWS::RDS::DBInstance", "AWS::EC2::Volume",
				"AWS::EC2::VPC",   "AWS::EC2::Instance",   "AWS::EC2::FlowLog"};
			for (int k = 0; k < 6; k++)
				if (!strcmp(type, want[k]))
					types |= 1 << k;
		}
		cJSON_Delete(doc);
		free(t);
	}
	assert_int_equal(items, a->st.config_items);
	assert_int_equal(snapshot, 1);
	assert_int_equal(opened, 1);
	assert_int_equal(admin, 1);
	assert_int_equal(trail, 1);
	assert_int_equal(discovered, 1);
	assert_int_equal(types, 0x3f);
	flist_free(&l);
}

/* ---------- awscli, auth.log, README ---------- */

static cJSON *json_file(const set *s, const char *rel)
{
	size_t len;
	char *t = read_text(path_in(s, rel), &len);
	cJSON *doc = cJSON_ParseWithLength(t, len);
	free(t);
	if (doc == NULL)
		fail_msg("not JSON: %s", rel);
	return doc;
}

static void test_account_files(void **state)
{
	fixture *fx = *state;
	const set *a = &fx->a;
	cJSON *pp = json_file(a, "awscli/password-policy.json");
	const cJSON *pol = cJSON_GetObjectItem(pp, "PasswordPolicy");
	assert_true(cJSON_GetObjectItem(pol, "MinimumPasswordLength")->valueint < 14);
	cJSON_Delete(pp);
	cJSON *sum = json_file(a, "awscli/account-summary.json");
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(sum, "SummaryMap"),
					     "AccountMFAEnabled")->valueint, 0);
	cJSON_Delete(sum);
	cJSON *ts = json_file(a, "awscli/trail-status.json");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(ts, "IsLogging")));
	cJSON_Delete(ts);

	size_t len;
	char *cr = read_text(path_in(a, "awscli/credential-report.csv"), &len);
	assert_memory_equal(cr, "user,arn,user_creation_time,password_enabled,", 45);
	char *second = strchr(cr, '\n') + 1;
	assert_memory_equal(second, "<root_account>,arn:aws:iam::123456789012:root,", 46);
	int lines = 0, commas_first = -1;
	for (char *p = cr; *p; p = strchr(p, '\n') + 1) {
		int commas = 0;
		for (char *q = p; *q && *q != '\n'; q++)
			commas += *q == ',';
		if (commas_first < 0)
			commas_first = commas;
		assert_int_equal(commas, commas_first);
		lines++;
	}
	assert_int_equal(lines, 8); /* header, root, six users */
	free(cr);

	char *rd = read_text(path_in(a, "README.md"), &len);
	assert_non_null(strstr(rd, "vigil ingest --format awscli --account 123456789012"));
	assert_non_null(strstr(
		rd, "aws iam get-credential-report --query Content --output text | base64 -d"));
	assert_non_null(strstr(rd, "ssh-bruteforce"));
	assert_non_null(strstr(rd, "trail-tampering"));
	free(rd);

	char *al = read_text(path_in(a, "syslog/auth.log"), &len);
	uint64_t n = 0;
	int failed = 0;
	for (char *p = al; *p;) {
		char *e = strchr(p, '\n');
		assert_non_null(e);
		/* "Mmm dd hh:mm:ss host prog[pid]: ..." (RFC 3164) */
		assert_true(vg_month_from_abbr(p) > 0);
		assert_true(p[3] == ' ' && p[6] == ' ' && p[9] == ':' && p[12] == ':' &&
			    p[15] == ' ');
		assert_non_null(memchr(p + 16, ':', (size_t)(e - p - 16)));
		*e = 0;
		failed += strstr(p, "Failed password") != NULL;
		n++;
		p = e + 1;
	}
	assert_int_equal(n, a->st.syslog_lines);
	assert_true(failed > 100);
	free(al);
	al = read_text(path_in(a, "syslog/auth.log"), &len);
	assert_non_null(strstr(al, "sshd["));
	assert_non_null(strstr(al, "]: Accepted password for deploy from 218.92.0."));
	assert_non_null(strstr(al, "CROND["));
	assert_non_null(strstr(al, "sudo: "));
	free(al);

	assert_true(a->st.nincidents >= 10);
	for (int i = 1; i < a->st.nincidents; i++)
		assert_true(a->st.incidents[i - 1].start_ns <= a->st.incidents[i].start_ns);
	for (int i = 0; i < a->st.nincidents; i++) {
		assert_true(a->st.incidents[i].start_ns >= a->st.start_ns);
		assert_true(a->st.incidents[i].end_ns < a->st.end_ns);
	}
}

/* ---------- determinism ---------- */

static void test_deterministic(void **state)
{
	fixture *fx = *state;
	digest da = digest_of(fx->a.dir);
	/* same seed, one thread instead of two: the same bytes */
	set b;
	generate(&b, fx->base, "b", 7, 1, 1, 1);
	digest db = digest_of(b.dir);
	assert_true(same_digest(&da, &db));
	assert_memory_equal(&fx->a.st, &b.st, sizeof b.st);
	/* another seed: other data */
	set c;
	generate(&c, fx->base, "c", 8, 1, 2, 1);
	digest dc = digest_of(c.dir);
	assert_false(same_digest(&da, &dc));
	size_t common = 0;
	for (size_t i = 0, j = 0; i < da.files.n && j < dc.files.n;) {
		int k = strcmp(da.files.path[i], dc.files.path[j]);
		if (k == 0) {
			common += da.h[i] == dc.h[j];
			i++, j++;
		} else if (k < 0) {
			i++;
		} else {
			j++;
		}
	}
	assert_true(common < 8); /* only seed-free files (awscli) may agree */
	digest_free(&da);
	digest_free(&db);
	digest_free(&dc);
	rm_tree(b.dir);
	rm_tree(c.dir);
}

/* A set's hours do not depend on how long the set is: the 1-day set's flow
 * and CloudTrail files are the last day of the 2-day set, byte for byte. */
static void test_days_independent(void **state)
{
	fixture *fx = *state;
	set e;
	generate(&e, fx->base, "e", 7, 2, 2, 1);
	digest da = digest_of(fx->a.dir), de = digest_of(e.dir);
	size_t checked = 0;
	for (size_t i = 0; i < da.files.n; i++) {
		const char *p = da.files.path[i];
		if (!strstr(p, "/vpcflowlogs/") && !strstr(p, "/CloudTrail/"))
			continue;
		char **hit = bsearch(&p, de.files.path, de.files.n, sizeof(char *), cmp_str);
		if (hit == NULL)
			fail_msg("missing from the 2-day set: %s", p);
		assert_true(da.h[i] == de.h[hit - de.files.path]);
		checked++;
	}
	assert_true(checked > 300);
	assert_true(e.st.flow_records > fx->a.st.flow_records * 3 / 2);
	digest_free(&da);
	digest_free(&de);
	rm_tree(e.dir);
}

/* gzip only changes the container: plain files hold the same text. */
static void test_plain(void **state)
{
	fixture *fx = *state;
	set p;
	generate(&p, fx->base, "p", 7, 1, 2, 0);
	flist la = walk(fx->a.dir), lp = walk(p.dir);
	assert_int_equal(la.n, lp.n);
	for (size_t i = 0; i < la.n; i++) {
		const char *x = la.path[i], *y = lp.path[i];
		if (ends_with(x, ".gz")) {
			assert_int_equal(strlen(x), strlen(y) + 3);
			assert_memory_equal(x, y, strlen(y));
		} else {
			assert_string_equal(x, y);
		}
		if (!strcmp(x, "README.md"))
			continue; /* it reports bytes on disk */
		size_t n1, n2;
		char *t1 = read_text(path_in(&fx->a, x), &n1);
		char *t2 = read_text(path_in(&p, y), &n2);
		assert_int_equal(n1, n2);
		assert_memory_equal(t1, t2, n1);
		free(t1);
		free(t2);
	}
	assert_int_equal(p.st.flow_records, fx->a.st.flow_records);
	assert_true(p.st.bytes > fx->a.st.bytes * 3);
	flist_free(&la);
	flist_free(&lp);
	rm_tree(p.dir);
}

/* ---------- bad options ---------- */

static void test_bad_options(void **state)
{
	fixture *fx = *state;
	vg_demo_opts o;
	vg_err err = {0};
	vg_demo_defaults(&o);
	assert_int_equal(o.days, 7);
	assert_int_equal(o.seed, 1);
	assert_true(o.scale == 1.0);
	assert_int_equal(o.gzip, 1);
	assert_int_equal(o.threads, 2);
	assert_int_equal(vg_demo_write(&o, NULL, &err), VG_EINVAL); /* no --out */
	o.out = fx->a.dir;
	assert_int_equal(vg_demo_write(&o, NULL, &err), VG_EINVAL); /* not empty */
	assert_non_null(strstr(err.msg, "not empty"));
	char fresh[512];
	snprintf(fresh, sizeof fresh, "%s/never", fx->base);
	o.out = fresh;
	o.days = 0;
	assert_int_equal(vg_demo_write(&o, NULL, &err), VG_EINVAL);
	o.days = 7;
	o.scale = -1;
	assert_int_equal(vg_demo_write(&o, NULL, &err), VG_EINVAL);
	o.scale = NAN;
	assert_int_equal(vg_demo_write(&o, NULL, &err), VG_EINVAL);
	o.scale = 1;
	o.threads = 0;
	assert_int_equal(vg_demo_write(&o, NULL, &err), VG_EINVAL);
	struct stat sb;
	assert_int_not_equal(stat(fresh, &sb), 0); /* nothing was created */
	char file[512];
	snprintf(file, sizeof file, "%s/a/README.md", fx->base);
	o.threads = 2;
	o.out = file;
	assert_int_equal(vg_demo_write(&o, NULL, &err), VG_EINVAL); /* not a directory */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_flow_records),
		cmocka_unit_test(test_cloudtrail),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_account_files),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_days_independent),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_bad_options),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
