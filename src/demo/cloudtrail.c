/*
 * cloudtrail.c — CloudTrail log files as a multi-region trail delivers
 * them to S3: every five minutes, per region, a gzipped {"Records":[...]}
 * named <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<random>.json.gz
 * under AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/, plus two hourly
 * digest files under CloudTrail-Digest/ (vigil's parser skips those).
 *
 * Records follow the field order and shapes of real CloudTrail (see the
 * samples in shared/data/cloudtrail): userIdentity for IAM users with a
 * long-term key, console sessions, assumed roles, AWS services and the root
 * user; S3 object reads and writes as data events; console sign-ins with
 * their MFA flag.
 *
 * Each five-minute interval is made on its own: the background (people at
 * work, the app servers' role, the Config recorder's polling, CI deploys,
 * a Lambda function that keeps being denied kms:Decrypt) comes from a
 * random stream of that interval; the attack and the instance scheduler's
 * calls come from a schedule built once. Both are merged by time. Nothing
 * of an interval depends on the length of the data set.
 */
#include "demo/demo_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <sodium.h>

#include "util/timeutil.h"

#define CT_INTERVAL (5 * DM_NS_MIN)

static const char *const regions[] = {"us-east-1", "us-east-2", "us-west-1", "us-west-2",
				      "eu-west-1", "eu-central-1", "ap-southeast-1",
				      "ap-northeast-1"};
#define NREGIONS ((int)(sizeof regions / sizeof regions[0]))

/* How the caller authenticated. */
enum { I_KEY, I_CONSOLE, I_SIGNIN, I_ROLE, I_SERVICE };

typedef struct ctev {
	int64_t t;
	uint32_t seq;          /* creation order, to keep sorting stable */
	int actor;             /* DM_ACT_* */
	int ident;             /* I_* */
	const char *key;       /* access key id, or NULL for none */
	const char *sess;      /* role session name */
	int64_t sess_t;        /* session creation time */
	int mfa;
	const char *svc;       /* "ec2": eventSource is svc.amazonaws.com */
	const char *name;
	const char *region;
	const char *ip;
	const char *ua;
	const char *err_code, *err_msg;
	const char *req, *resp; /* JSON text; NULL is written as null */
	const char *add;       /* additionalEventData JSON, or NULL: absent */
	const char *res;       /* resources JSON array, or NULL: absent */
	const char *id;        /* eventID, or NULL: random */
	const char *vpce;
	const char *invoked_by;
	const char *host;      /* TLS host header override */
	uint8_t ro, data, console_cred, no_tls;
} ctev;

typedef struct ctx {
	const dm_world *w;
	dm_rng r;
	vg_arena *a;
	ctev **ev;
	size_t n, cap;
	uint32_t seq;
} ctx;

/* ---------- small builders ---------- */

/* printf into memory from the arena a (freed with the arena). */
static char *afmt(vg_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *afmt(vg_arena *a, const char *fmt, ...)
{
	char tmp[2048];
	va_list ap;
	if (fmt == NULL) /* never; tells UBSan-instrumented GCC so */
		fmt = "";
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	char *p = vg_arena_alloc(a, (size_t)n + 1);
	if ((size_t)n < sizeof tmp) {
		memcpy(p, tmp, (size_t)n + 1);
	} else {
		va_start(ap, fmt);
		vsnprintf(p, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	return p;
}

/* A new, zeroed event at time t by actor, appended to the context's list. */
static ctev *add(ctx *c, int64_t t, int actor, int ident)
{
	ctev *e = vg_arena_alloc(c->a, sizeof *e);
	memset(e, 0, sizeof *e);
	e->t = t;
	e->seq = c->seq++;
	e->actor = actor;
	e->ident = ident;
	e->region = VG_DEMO_REGION;
	vg_grow(&c->ev, &c->cap, c->n + 1, sizeof *c->ev);
	c->ev[c->n++] = e;
	return e;
}

/* The ARN CloudTrail shows for the caller of e. */
static const char *arn_of(const ctx *c, const ctev *e)
{
	const dm_actor *a = &c->w->actor[e->actor];
	const char *acct = c->w->account;
	switch (a->kind) {
	case DM_A_USER: return afmt(c->a, "arn:aws:iam::%s:user/%s", acct, a->name);
	case DM_A_ROOT: return afmt(c->a, "arn:aws:iam::%s:root", acct);
	default: return afmt(c->a, "arn:aws:sts::%s:assumed-role/%s/%s", acct, a->name, e->sess);
	}
}

/* A temporary key (ASIA...) that stays the same for one session: drawn
 * from a stream keyed by the session's identity, so any interval that
 * needs it derives the same text. */
static const char *session_key(ctx *c, int actor, int64_t bucket)
{
	dm_rng r;
	dm_rng_init(&r,
		    dm_stream(c->w->seed, DM_S_IDS, (uint64_t)actor + 1000, (uint64_t)bucket, 0));
	char *k = vg_arena_alloc(c->a, 24);
	vg_demo_rand_id(&r, k, 24, "ASIA", 16, DM_B32);
	return k;
}

/* A random UUID from the context's stream, in the arena. */
static const char *uuid(ctx *c)
{
	char *u = vg_arena_alloc(c->a, 37);
	vg_demo_uuid(&c->r, u);
	return u;
}

/* A random identifier from the context's stream, in the arena. */
static const char *rid(ctx *c, const char *prefix, int n, const char *alphabet)
{
	char *s = vg_arena_alloc(c->a, 64);
	vg_demo_rand_id(&c->r, s, 64, prefix, n, alphabet);
	return s;
}

/* ---------- user agents ---------- */

static const char ua_console[] = "AWS Internal";
static const char ua_browser[] =
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
	"Chrome/124.0.0.0 Safari/537.36";
static const char ua_browser_tor[] =
	"Mozilla/5.0 (Windows NT 10.0; rv:115.0) Gecko/20100101 Firefox/115.0";
static const char ua_cli[] =
	"aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0-1017-aws md/arch#x86_64 "
	"lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe "
	"md/distrib#ubuntu.22 md/prompt#off";
static const char ua_kali[] =
	"aws-cli/1.22.34 Python/3.10.12 Linux/6.5.0-kali3-amd64 botocore/1.23.34";
static const char ua_java[] =
	"aws-sdk-java/2.25.11 Linux/5.10.213-201.855.amzn2.x86_64 "
	"OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. io/sync "
	"http/Apache cfg/retry-mode/legacy";
static const char ua_lambda[] =
	"Boto3/1.34.42 md/Botocore#1.34.42 ua/2.0 os/linux#5.10.209-219.812.amzn2.x86_64 "
	"md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 "
	"cfg/retry-mode#legacy Botocore/1.34.42";
static const char ua_go[] =
	"aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.2 md/GOOS#linux md/GOARCH#amd64 "
	"api/ecs#1.41.7";

/* ---------- request shapes ---------- */

/* The `resources` array of an S3 call on bucket (and key, when not NULL). */
static const char *bucket_res(ctx *c, const char *bucket, const char *key)
{
	if (key)
		return afmt(c->a,
			    "[{\"type\":\"AWS::S3::Object\",\"ARN\":\"arn:aws:s3:::%s/%s\"},"
			    "{\"accountId\":\"%s\",\"type\":\"AWS::S3::Bucket\","
			    "\"ARN\":\"arn:aws:s3:::%s\"}]",
			    bucket, key, c->w->account, bucket);
	return afmt(c->a, "[{\"accountId\":\"%s\",\"type\":\"AWS::S3::Bucket\","
			  "\"ARN\":\"arn:aws:s3:::%s\"}]", c->w->account, bucket);
}

/* S3's additionalEventData with the bytes transferred. */
static const char *s3_extra(ctx *c, uint64_t in, uint64_t out)
{
	return afmt(c->a,
		    "{\"SignatureVersion\":\"SigV4\",\"CipherSuite\":\"TLS_AES_128_GCM_SHA256\","
		    "\"bytesTransferredIn\":%llu,\"AuthenticationMethod\":\"AuthHeader\","
		    "\"x-amz-id-2\":\"%s\",\"bytesTransferredOut\":%llu}",
		    (unsigned long long)in, rid(c, "", 56, DM_ALNUM), (unsigned long long)out);
}

/* An S3 object read or write (a data event). */
static void s3_object(ctx *c, ctev *e, const char *op, const char *bucket, const char *key,
		      uint64_t size)
{
	e->svc = "s3";
	e->name = op;
	e->data = 1;
	e->ro = op[0] == 'G' || op[0] == 'L';
	e->req = afmt(c->a,
		      "{\"bucketName\":\"%s\",\"Host\":\"%s.s3.us-east-1.amazonaws.com\"%s%s%s}",
		      bucket, bucket, key ? ",\"key\":\"" : "", key ? key : "", key ? "\"" : "");
	if (op[0] == 'P')
		e->resp = afmt(c->a, "{\"x-amz-server-side-encryption\":\"aws:kms\","
				     "\"x-amz-server-side-encryption-aws-kms-key-id\":"
				     "\"arn:aws:kms:us-east-1:%s:key/%s\"}", c->w->account,
			       c->w->kms_key);
	e->add = s3_extra(c, op[0] == 'P' ? size : 0, op[0] == 'P' ? 0 : size);
	e->res = bucket_res(c, bucket, key);
	e->host = afmt(c->a, "%s.s3.us-east-1.amazonaws.com", bucket);
}

/* Name the API call of e. */
static void set_call(ctev *e, const char *svc, const char *name, int ro)
{
	e->svc = svc;
	e->name = name;
	e->ro = (uint8_t)ro;
}

/* Request parameters for the read-only calls people and services make all
 * day. */
static void describe_params(ctx *c, ctev *e)
{
	const dm_world *w = c->w;
	const char *n = e->name;
	if (!strcmp(n, "DescribeInstances"))
		e->req = "{\"instancesSet\":{},\"filterSet\":{}}";
	else if (!strcmp(n, "DescribeSecurityGroups"))
		e->req = "{\"securityGroupSet\":{},\"securityGroupIdSet\":{},\"filterSet\":{}}";
	else if (!strcmp(n, "DescribeVpcs"))
		e->req = "{\"vpcSet\":{},\"filterSet\":{}}";
	else if (!strcmp(n, "DescribeVolumes"))
		e->req = "{\"volumeSet\":{},\"filterSet\":{}}";
	else if (!strcmp(n, "DescribeFlowLogs"))
		e->req = "{\"flowLogIds\":{},\"filterSet\":{}}";
	else if (!strcmp(n, "DescribeDBInstances"))
		e->req = "{\"maxRecords\":100}";
	else if (!strcmp(n, "DescribeTrails"))
		e->req = "{\"trailNameList\":[],\"includeShadowTrails\":true}";
	else if (!strcmp(n, "GetTrailStatus"))
		e->req = afmt(c->a, "{\"name\":\"%s\"}", w->trail_main);
	else if (!strcmp(n, "GetBucketEncryption") || !strcmp(n, "GetBucketPolicy") ||
		 !strcmp(n, "GetBucketPublicAccessBlock") || !strcmp(n, "GetBucketAcl") ||
		 !strcmp(n, "GetBucketVersioning")) {
		static const char *const b[] = {"acme-app-uploads", "acme-customer-exports",
						"acme-public-assets", "acme-dev-scratch"};
		const char *bucket = b[dm_below(&c->r, 4)];
		e->req = afmt(c->a, "{\"bucketName\":\"%s\",\"Host\":\"%s.s3.amazonaws.com\"}",
			      bucket, bucket);
		e->res = bucket_res(c, bucket, NULL);
		e->add = s3_extra(c, 0, 0);
		e->host = afmt(c->a, "%s.s3.amazonaws.com", bucket);
	} else if (!strcmp(n, "ListBuckets")) {
		e->req = "{\"Host\":\"s3.amazonaws.com\"}";
		e->add = s3_extra(c, 0, 0);
		e->host = "s3.amazonaws.com";
	} else if (!strcmp(n, "GetUser") || !strcmp(n, "ListAttachedUserPolicies") ||
		   !strcmp(n, "ListAccessKeys") || !strcmp(n, "ListMFADevices") ||
		   !strcmp(n, "ListUserPolicies") || !strcmp(n, "ListGroupsForUser")) {
		e->req = afmt(c->a, "{\"userName\":\"%s\"}",
			      w->actor[dm_below(&c->r, DM_NUSERS)].name);
	} else if (!strcmp(n, "GetMetricData")) {
		const dm_eni *x = &w->eni[w->by_role[DM_R_WEB][dm_below(&c->r,
						(uint32_t)w->nby_role[DM_R_WEB])]];
		char a[40], b[40];
		vg_demo_iso_s(e->t - 3 * DM_NS_HOUR, a);
		vg_demo_iso_s(e->t, b);
		e->req = afmt(c->a,
			      "{\"metricDataQueries\":[{\"id\":\"m1\",\"metricStat\":{\"metric\":"
			      "{\"namespace\":\"AWS/EC2\",\"metricName\":\"CPUUtilization\","
			      "\"dimensions\":[{\"name\":\"InstanceId\",\"value\":\"%s\"}]},"
			      "\"period\":300,\"stat\":\"Average\"},\"returnData\":true}],"
			      "\"startTime\":\"%s\",\"endTime\":\"%s\"}", x->instance, a, b);
	} else if (!strcmp(n, "DescribeAlarms")) {
		e->req = "{\"maxRecords\":100}";
	} else if (!strcmp(n, "LookupEvents")) {
		e->req = "{\"maxResults\":50}";
	} else if (!strcmp(n, "DescribeServices")) {
		e->req = "{\"cluster\":\"prod\",\"services\":[\"app-web\",\"app-worker\"]}";
	} else if (!strcmp(n, "DescribeStacks")) {
		e->req = "{\"stackName\":\"prod-app\"}";
	} else if (!strcmp(n, "FilterLogEvents")) {
		e->req = "{\"logGroupName\":\"/ecs/app-web\",\"limit\":100,\"interleaved\":true}";
	}
}

/* ---------- identities ---------- */

/* The console sign-in time of a person on a given day (0 when they do not
 * sign in that day). Drawn from the person's own stream, so CloudTrail and
 * the README agree without sharing state. */
static int64_t login_time(const dm_world *w, int actor, int64_t day)
{
	dm_tm t;
	vg_demo_tm(day * VG_NS_PER_DAY + 12 * DM_NS_HOUR, &t);
	if (t.wday == 0 || t.wday == 6)
		return 0;
	dm_rng r;
	dm_rng_init(&r, dm_stream(w->seed, DM_S_IDS, (uint64_t)actor, (uint64_t)day, 1));
	/* Alice in New York (UTC-5), Carol in London (UTC) */
	int64_t local = actor == DM_ACT_CAROL ? 8 * 60 : 13 * 60;
	return day * VG_NS_PER_DAY + (local + (int64_t)dm_below(&r, 80)) * DM_NS_MIN +
	       (int64_t)dm_below(&r, 60) * DM_NS_SEC;
}

/* An event of actor's console session that began at login. */
static ctev *as_console(ctx *c, int64_t t, int actor, int64_t login, const char *ip)
{
	ctev *e = add(c, t, actor, I_CONSOLE);
	e->key = session_key(c, actor, login / DM_NS_MIN);
	e->sess_t = login;
	e->mfa = c->w->actor[actor].mfa;
	e->ip = ip;
	e->ua = ua_console;
	e->console_cred = 1;
	return e;
}

/* An event made with actor's long-term access key. */
static ctev *as_key(ctx *c, int64_t t, int actor, const char *ip, const char *ua)
{
	ctev *e = add(c, t, actor, I_KEY);
	e->key = c->w->actor[actor].key;
	e->ip = ip;
	e->ua = ua;
	return e;
}

/* A role session: `sess` names it, `bucket` keys its temporary key. */
static ctev *as_role(ctx *c, int64_t t, int actor, const char *sess, int64_t bucket,
		     const char *ip, const char *ua)
{
	ctev *e = add(c, t, actor, I_ROLE);
	e->sess = sess;
	e->key = session_key(c, actor, bucket);
	e->sess_t = t / DM_NS_HOUR * DM_NS_HOUR; /* callers with longer sessions override */
	e->ip = ip;
	e->ua = ua;
	return e;
}

/* A ConsoleLogin by actor at t from ip with the browser ua, successful or
 * not, with or without MFA. */
static void as_signin(ctx *c, int64_t t, int actor, const char *ip, const char *ua, int success,
		      int mfa_used)
{
	ctev *e = add(c, t, actor, I_SIGNIN);
	e->ip = ip;
	e->ua = ua;
	e->svc = "signin";
	e->name = "ConsoleLogin";
	e->resp = success ? "{\"ConsoleLogin\":\"Success\"}" : "{\"ConsoleLogin\":\"Failure\"}";
	if (!success) {
		e->err_msg = "Failed authentication";
	}
	const char *mfa_id = "";
	if (mfa_used)
		mfa_id = afmt(c->a, ",\"MFAIdentifier\":\"arn:aws:iam::%s:mfa/%s\"", c->w->account,
			      c->w->actor[e->actor].name);
	e->add =
		afmt(c->a,
		     "{\"LoginTo\":\"https://console.aws.amazon.com/console/home?hashArgs=%%23&"
		     "isauthcode=true&state=hashArgsFromTB_us-east-1_%s\",\"MobileVersion\":\"No\","
		     "\"MFAUsed\":\"%s\"%s}",
		     rid(c, "", 16, DM_HEX), mfa_used ? "Yes" : "No", mfa_id);
	e->host = "signin.aws.amazon.com";
}

/* ---------- rendering ---------- */

/* Write "k": (k is a plain key, not escaped). */
static void put_key(vg_buf *b, const char *k)
{
	vg_buf_putc(b, '"');
	vg_buf_puts(b, k);
	vg_buf_puts(b, "\":");
}

/* Write "k":"v" (v escaped). */
static void put_kv(vg_buf *b, const char *k, const char *v)
{
	put_key(b, k);
	vg_demo_json_str(b, v);
}

/* Write "k":json (json as is; NULL is null). */
static void put_raw(vg_buf *b, const char *k, const char *json)
{
	put_key(b, k);
	vg_buf_puts(b, json ? json : "null");
}

/* put_kv, then the comma before the next member. */
static void put_kv_comma(vg_buf *b, const char *k, const char *v)
{
	put_kv(b, k, v);
	vg_buf_putc(b, ',');
}

/* put_raw, then the comma before the next member. */
static void put_raw_comma(vg_buf *b, const char *k, const char *json)
{
	put_raw(b, k, json);
	vg_buf_putc(b, ',');
}

/* Write the userIdentity object of e and the comma after it. */
static void identity(ctx *c, vg_buf *b, const ctev *e)
{
	const dm_world *w = c->w;
	const dm_actor *a = &w->actor[e->actor];
	char when[40];
	vg_buf_puts(b, "\"userIdentity\":{");
	if (e->ident == I_SERVICE) {
		put_kv_comma(b, "type", "AWSService");
		put_kv(b, "invokedBy", e->invoked_by);
		vg_buf_puts(b, "},");
		return;
	}
	const char *type = a->kind == DM_A_USER ? "IAMUser" :
			   (a->kind == DM_A_ROOT ? "Root" : "AssumedRole");
	put_kv_comma(b, "type", type);
	if (a->kind == DM_A_ROLE)
		put_kv_comma(b, "principalId", afmt(c->a, "%s:%s", a->pid, e->sess));
	else
		put_kv_comma(b, "principalId", a->pid);
	put_kv_comma(b, "arn", arn_of(c, e));
	put_kv(b, "accountId", w->account);
	if (e->key || (a->kind == DM_A_ROOT && e->ident == I_SIGNIN)) {
		vg_buf_putc(b, ',');
		put_kv(b, "accessKeyId", e->key ? e->key : "");
	}
	if (a->kind == DM_A_USER) {
		vg_buf_putc(b, ',');
		put_kv(b, "userName", a->name);
	}
	if (e->ident == I_CONSOLE || e->ident == I_ROLE) {
		vg_demo_iso_s(e->sess_t, when);
		vg_buf_puts(b, ",\"sessionContext\":{");
		if (a->kind == DM_A_ROLE)
			vg_buf_printf(b,
				      "\"sessionIssuer\":{\"type\":\"Role\",\"principalId\":\"%s\","
				      "\"arn\":\"arn:aws:iam::%s:role/%s\",\"accountId\":\"%s\","
				      "\"userName\":\"%s\"},",
				      a->pid, w->account, a->name, w->account, a->name);
		else
			vg_buf_puts(b, "\"sessionIssuer\":{},");
		vg_buf_printf(b,
			      "\"webIdFederationData\":{},\"attributes\":{\"creationDate\":\"%s\","
			      "\"mfaAuthenticated\":\"%s\"}",
			      when, e->mfa ? "true" : "false");
		if (e->actor == DM_ACT_APPROLE)
			vg_buf_puts(b, ",\"ec2RoleDelivery\":\"2.0\"");
		vg_buf_putc(b, '}');
	}
	if (e->invoked_by) {
		vg_buf_putc(b, ',');
		put_kv(b, "invokedBy", e->invoked_by);
	}
	vg_buf_puts(b, "},");
}

/* The host name the client sent in TLS: the service's endpoint. */
static const char *tls_host(ctx *c, const ctev *e)
{
	if (e->host)
		return e->host;
	if (!strcmp(e->svc, "iam") || !strcmp(e->svc, "organizations") || !strcmp(e->svc, "ce"))
		return afmt(c->a, "%s.amazonaws.com", e->svc);
	return afmt(c->a, "%s.%s.amazonaws.com", e->svc, e->region);
}

/* Write e as one CloudTrail record, keys in CloudTrail's order. */
static void render(ctx *c, vg_buf *b, const ctev *e)
{
	char when[40];
	vg_demo_iso_s(e->t, when);
	vg_buf_puts(b, "{\"eventVersion\":\"1.10\",");
	identity(c, b, e);
	put_kv_comma(b, "eventTime", when);
	put_kv_comma(b, "eventSource", afmt(c->a, "%s.amazonaws.com", e->svc));
	put_kv_comma(b, "eventName", e->name);
	put_kv_comma(b, "awsRegion", e->region);
	put_kv_comma(b, "sourceIPAddress", e->ip);
	put_kv_comma(b, "userAgent", e->ua);
	if (e->err_code)
		put_kv_comma(b, "errorCode", e->err_code);
	if (e->err_msg)
		put_kv_comma(b, "errorMessage", e->err_msg);
	put_raw_comma(b, "requestParameters", e->req);
	put_raw_comma(b, "responseElements", e->resp);
	if (e->add)
		put_raw_comma(b, "additionalEventData", e->add);
	int signin_ev = !strcmp(e->svc, "signin");
	if (!signin_ev)
		put_kv_comma(b, "requestID",
			     !strcmp(e->svc, "s3") ? rid(c, "", 16, DM_HEXU) : uuid(c));
	put_kv(b, "eventID", e->id ? e->id : uuid(c));
	vg_buf_printf(b, ",\"readOnly\":%s,", e->ro ? "true" : "false");
	if (e->res)
		put_raw_comma(b, "resources", e->res);
	put_kv(b, "eventType", signin_ev ? "AwsConsoleSignIn" : "AwsApiCall");
	vg_buf_printf(b, ",\"managementEvent\":%s,", e->data ? "false" : "true");
	put_kv(b, "recipientAccountId", c->w->account);
	if (e->vpce) {
		vg_buf_putc(b, ',');
		put_kv(b, "vpcEndpointId", e->vpce);
	}
	vg_buf_putc(b, ',');
	put_kv(b, "eventCategory", e->data ? "Data" : "Management");
	if (!e->no_tls) {
		int v13 = e->ua != ua_kali;
		vg_buf_printf(b, ",\"tlsDetails\":{\"tlsVersion\":\"%s\",\"cipherSuite\":\"%s\","
				 "\"clientProvidedHostHeader\":\"%s\"}",
			      v13 ? "TLSv1.3" : "TLSv1.2",
			      v13 ? "TLS_AES_128_GCM_SHA256" : "ECDHE-RSA-AES128-GCM-SHA256",
			      tls_host(c, e));
	}
	if (e->console_cred)
		vg_buf_puts(b, ",\"sessionCredentialFromConsole\":\"true\"");
	vg_buf_putc(b, '}');
}

/* ---------- denied calls ---------- */

/* The message AWS writes when an identity-based policy lacks an action. */
static void deny(ctx *c, ctev *e, const char *action, const char *resource)
{
	const char *arn = arn_of(c, e);
	if (!strcmp(e->svc, "ec2")) {
		e->err_code = "Client.UnauthorizedOperation";
		e->err_msg =
			afmt(c->a,
			     "You are not authorized to perform this operation. User: %s is not "
			     "authorized to perform: %s because no identity-based policy allows "
			     "the %s action",
			     arn, action, action);
	} else if (!strcmp(e->svc, "s3")) {
		e->err_code = "AccessDenied";
		e->err_msg = "Access Denied";
	} else {
		e->err_code = !strcmp(e->svc, "organizations") ? "AccessDeniedException"
							       : "AccessDenied";
		if (resource)
			e->err_msg =
				afmt(c->a,
				     "User: %s is not authorized to perform: %s on resource: %s "
				     "because no identity-based policy allows the %s action",
				     arn, action, resource, action);
		else
			e->err_msg = afmt(c->a,
					  "User: %s is not authorized to perform: %s because no "
					  "identity-based policy allows the %s action", arn, action,
					  action);
	}
	e->resp = NULL;
}

/* ---------- background ---------- */

typedef struct api {
	const char *svc, *name;
	uint8_t ro, w;
} api;

static const api console_apis[] = {
	{"ec2", "DescribeInstances", 1, 20}, {"ec2", "DescribeSecurityGroups", 1, 10},
	{"ec2", "DescribeVpcs", 1, 5}, {"ec2", "DescribeVolumes", 1, 5},
	{"ec2", "DescribeFlowLogs", 1, 2}, {"s3", "ListBuckets", 1, 6},
	{"s3", "GetBucketEncryption", 1, 3}, {"s3", "GetBucketPolicy", 1, 3},
	{"s3", "GetBucketPublicAccessBlock", 1, 3}, {"rds", "DescribeDBInstances", 1, 6},
	{"monitoring", "GetMetricData", 1, 20}, {"monitoring", "DescribeAlarms", 1, 6},
	{"cloudtrail", "LookupEvents", 1, 4}, {"cloudtrail", "DescribeTrails", 1, 2},
	{"cloudtrail", "GetTrailStatus", 1, 2}, {"iam", "GetUser", 1, 2},
	{"iam", "ListAttachedUserPolicies", 1, 2}, {"iam", "ListUsers", 1, 2},
	{"iam", "GetAccountSummary", 1, 2}, {"ecs", "DescribeServices", 1, 5},
	{"logs", "FilterLogEvents", 1, 6},
};

static const api cli_apis[] = {
	{"ec2", "DescribeInstances", 1, 20}, {"ecs", "DescribeServices", 1, 15},
	{"logs", "FilterLogEvents", 1, 15}, {"cloudformation", "DescribeStacks", 1, 10},
	{"sts", "GetCallerIdentity", 1, 6}, {"ssm", "StartSession", 0, 3},
	{"rds", "DescribeDBInstances", 1, 4}, {"s3", "ListBuckets", 1, 4},
};

static const api config_apis[] = {
	{"ec2", "DescribeInstances", 1, 10}, {"ec2", "DescribeSecurityGroups", 1, 10},
	{"ec2", "DescribeVolumes", 1, 8}, {"ec2", "DescribeVpcs", 1, 4},
	{"ec2", "DescribeFlowLogs", 1, 3}, {"iam", "GetUser", 1, 4},
	{"iam", "ListAttachedUserPolicies", 1, 4}, {"iam", "ListUserPolicies", 1, 3},
	{"iam", "ListGroupsForUser", 1, 2}, {"s3", "GetBucketEncryption", 1, 3},
	{"s3", "GetBucketPolicy", 1, 3}, {"s3", "GetBucketPublicAccessBlock", 1, 3},
	{"s3", "GetBucketVersioning", 1, 2}, {"s3", "GetBucketAcl", 1, 2},
	{"cloudtrail", "DescribeTrails", 1, 3}, {"cloudtrail", "GetTrailStatus", 1, 3},
	{"rds", "DescribeDBInstances", 1, 3},
};

/* One entry of a weighted table. */
static const api *pick_api(dm_rng *r, const api *t, int n)
{
	int tot = 0;
	for (int i = 0; i < n; i++)
		tot += t[i].w;
	int k = (int)dm_below(r, (uint32_t)tot);
	for (int i = 0; i < n; i++) {
		if (k < t[i].w)
			return &t[i];
		k -= t[i].w;
	}
	return &t[0];
}

#define PICK(r, t) pick_api(r, t, (int)(sizeof(t) / sizeof((t)[0])))

/* A whole second in [t0, t1). */
static int64_t rand_in(ctx *c, int64_t t0, int64_t t1)
{
	return t0 + (int64_t)(dm_unit(&c->r) * (double)(t1 - t0)) / DM_NS_SEC * DM_NS_SEC;
}

/* People who work in the console: a sign-in, then clicks until evening. */
static void bg_console_user(ctx *c, int actor, int ip_idx, double per_hour, int64_t t0, int64_t t1)
{
	const dm_world *w = c->w;
	int64_t day = t0 / VG_NS_PER_DAY;
	int64_t login = login_time(w, actor, day);
	if (login == 0)
		return;
	const char *ip = w->office[ip_idx].txt;
	if (login >= t0 && login < t1)
		as_signin(c, login, actor, ip, ua_browser, 1, w->actor[actor].mfa);
	int64_t end = login + 8 * DM_NS_HOUR + 30 * DM_NS_MIN;
	if (t1 <= login || t0 >= end)
		return;
	int64_t lo = t0 > login ? t0 : login + DM_NS_SEC, hi = t1 < end ? t1 : end;
	uint32_t n = vg_demo_poisson(&c->r, per_hour * (double)(hi - lo) / (double)DM_NS_HOUR);
	for (uint32_t i = 0; i < n; i++) {
		const api *a = PICK(&c->r, console_apis);
		ctev *e = as_console(c, rand_in(c, lo, hi), actor, login, ip);
		set_call(e, a->svc, a->name, a->ro);
		describe_params(c, e);
	}
	/* Carol's read-only policy lacks Cost Explorer; she tries most days. */
	if (actor == DM_ACT_CAROL && login + 5 * DM_NS_HOUR >= t0 && login + 5 * DM_NS_HOUR < t1 &&
	    dm_chance(&c->r, 0.7)) {
		ctev *e = as_console(c, login + 5 * DM_NS_HOUR, actor, login, ip);
		set_call(e, "ce", "GetCostAndUsage", 1);
		e->req = "{\"granularity\":\"MONTHLY\",\"metrics\":[\"UnblendedCost\"]}";
		deny(c, e, "ce:GetCostAndUsage",
		     afmt(c->a, "arn:aws:ce:us-east-1:%s:/GetCostAndUsage", w->account));
	}
}

/* Bob works from the command line with his access key. */
static void bg_cli_user(ctx *c, int64_t t0, int64_t t1)
{
	const dm_world *w = c->w;
	double d = vg_demo_diurnal(w, DM_P_OFFICE, t0);
	uint32_t n = vg_demo_poisson(&c->r, 14.0 * d * (double)(t1 - t0) / (double)DM_NS_HOUR);
	for (uint32_t i = 0; i < n; i++) {
		const api *a = PICK(&c->r, cli_apis);
		ctev *e = as_key(c, rand_in(c, t0, t1), DM_ACT_BOB, w->office[0].txt, ua_cli);
		set_call(e, a->svc, a->name, a->ro);
		describe_params(c, e);
		if (!strcmp(a->name, "StartSession")) {
			const dm_eni *x = &w->eni[w->by_role[DM_R_WEB][dm_below(&c->r, 8)]];
			e->req = afmt(c->a, "{\"target\":\"%s\"}", x->instance);
			e->resp = afmt(c->a,
				       "{\"sessionId\":\"bob.chen-%s\",\"tokenValue\":"
				       "\"Value hidden due to security reasons.\","
				       "\"streamUrl\":\"wss://ssmmessages.us-east-1.amazonaws.com/"
				       "v1/data-channel/bob.chen-%s\"}",
				       rid(c, "", 17, DM_HEX), rid(c, "", 17, DM_HEX));
		}
	}
}

/* The app servers' instance role: S3 object traffic, KMS, secrets. */
static void bg_app_role(ctx *c, int64_t t0, int64_t t1)
{
	const dm_world *w = c->w;
	double d = vg_demo_diurnal(w, DM_P_WEB, t0);
	uint32_t n = vg_demo_poisson(&c->r, 110.0 * d * (double)(t1 - t0) / (double)DM_NS_HOUR);
	for (uint32_t i = 0; i < n; i++) {
		int role = dm_chance(&c->r, 0.7) ? DM_R_WEB : DM_R_WORKER;
		const dm_eni *x = &w->eni[w->by_role[role][dm_below(&c->r,
					(uint32_t)w->nby_role[role])]];
		int64_t t = rand_in(c, t0, t1);
		ctev *e = as_role(c, t, DM_ACT_APPROLE, x->instance,
				  (t / (6 * DM_NS_HOUR)) * 6 + (int64_t)(x - w->eni) * 100000,
				  x->iptxt, ua_java);
		e->sess_t = t / (6 * DM_NS_HOUR) * 6 * DM_NS_HOUR;
		double u = dm_unit(&c->r);
		if (u < 0.72) {
			int put = dm_chance(&c->r, 0.3);
			const char *key =
				afmt(c->a, "uploads/%c%c/%s.%s", DM_HEX[dm_below(&c->r, 16)],
				     DM_HEX[dm_below(&c->r, 16)], uuid(c),
				     dm_chance(&c->r, 0.5) ? "jpg" : "pdf");
			s3_object(c, e, put ? "PutObject" : "GetObject", "acme-app-uploads", key,
				  (uint64_t)vg_demo_pareto(&c->r, 20000, 1.2, 5e7));
			e->vpce = "vpce-0a1b2c3d4e5f60718";
			e->ua = afmt(c->a, "[%s]", ua_java);
		} else if (u < 0.90) {
			set_call(e, "kms", "Decrypt", 1);
			e->req = "{\"encryptionAlgorithm\":\"SYMMETRIC_DEFAULT\"}";
			e->res = afmt(c->a, "[{\"accountId\":\"%s\",\"type\":\"AWS::KMS::Key\","
					    "\"ARN\":\"arn:aws:kms:us-east-1:%s:key/%s\"}]",
				      w->account, w->account, w->kms_key);
			e->ip = w->eni[w->by_role[DM_R_NAT][0]].pubtxt;
		} else if (u < 0.96) {
			set_call(e, "ssm", "GetParameters", 1);
			e->req =
				"{\"names\":[\"/prod/app/feature-flags\",\"/prod/app/sentry-dsn\"],"
				"\"withDecryption\":true}";
			e->ip = w->eni[w->by_role[DM_R_NAT][0]].pubtxt;
		} else {
			set_call(e, "secretsmanager", "GetSecretValue", 1);
			e->req = "{\"secretId\":\"prod/app/database\"}";
			e->ip = w->eni[w->by_role[DM_R_NAT][1]].pubtxt;
		}
	}
}

/* The Config recorder polls the APIs of every recorded resource type. */
static void bg_config(ctx *c, int64_t t0, int64_t t1)
{
	uint32_t n = vg_demo_poisson(&c->r, 30.0 * (double)(t1 - t0) / (double)DM_NS_HOUR);
	for (uint32_t i = 0; i < n; i++) {
		const api *a = PICK(&c->r, config_apis);
		int64_t t = rand_in(c, t0, t1);
		ctev *e = as_role(c, t, DM_ACT_CONFIGROLE, "AWSConfig-Describe", t / DM_NS_HOUR,
				  "config.amazonaws.com", "config.amazonaws.com");
		e->invoked_by = "config.amazonaws.com";
		e->no_tls = 1;
		set_call(e, a->svc, a->name, a->ro);
		describe_params(c, e);
	}
}

/* A Lambda function runs hourly at :07; its role lacks kms:Decrypt on one
 * key, so about every other run leaves an AccessDenied: the quiet
 * background of "not authorized to perform" that an analyst learns to
 * tell from an attack. */
static void bg_report_lambda(ctx *c, int64_t t0, int64_t t1)
{
	const dm_world *w = c->w;
	int64_t run = t0 / DM_NS_HOUR * DM_NS_HOUR + 7 * DM_NS_MIN;
	if (run < t0 || run >= t1)
		return;
	int64_t bucket = run / DM_NS_HOUR;
	const char *nat = w->eni[w->by_role[DM_R_NAT][0]].pubtxt;
	ctev *e = add(c, run - 2 * DM_NS_SEC, DM_ACT_REPORTROLE, I_SERVICE);
	set_call(e, "sts", "AssumeRole", 0);
	e->invoked_by = "lambda.amazonaws.com";
	e->ip = "lambda.amazonaws.com";
	e->ua = "lambda.amazonaws.com";
	e->no_tls = 1;
	const char *sk = session_key(c, DM_ACT_REPORTROLE, bucket);
	char exp[40];
	vg_demo_aws_date(run + 12 * DM_NS_HOUR, exp);
	e->req = afmt(c->a, "{\"roleArn\":\"arn:aws:iam::%s:role/report-generator-role\","
			    "\"roleSessionName\":\"report-generator\"}", w->account);
	e->resp = afmt(c->a, "{\"credentials\":{\"accessKeyId\":\"%s\",\"sessionToken\":"
			     "\"IQoJb3JpZ2luX2VjE%s\",\"expiration\":\"%s\"}}",
		       sk, rid(c, "", 40, DM_ALNUM), exp);
	e->res = afmt(c->a, "[{\"accountId\":\"%s\",\"type\":\"AWS::IAM::Role\","
			    "\"ARN\":\"arn:aws:iam::%s:role/report-generator-role\"}]",
		      w->account, w->account);
	for (int i = 0; i < 3; i++) {
		ctev *g = as_role(c, run + (int64_t)(1 + i) * DM_NS_SEC, DM_ACT_REPORTROLE,
				  "report-generator", bucket, nat, ua_lambda);
		s3_object(c, g, "GetObject", "acme-app-uploads",
			  afmt(c->a, "reports/input/%s.json", uuid(c)),
			  (uint64_t)vg_demo_pareto(&c->r, 3000, 1.3, 1e7));
		g->ua = afmt(c->a, "[%s]", ua_lambda);
	}
	if (dm_chance(&c->r, 0.5)) {
		ctev *d = as_role(c, run + 5 * DM_NS_SEC, DM_ACT_REPORTROLE, "report-generator",
				  bucket, nat, ua_lambda);
		set_call(d, "kms", "Decrypt", 1);
		d->req = "{\"encryptionAlgorithm\":\"SYMMETRIC_DEFAULT\"}";
		deny(c, d, "kms:Decrypt",
		     afmt(c->a, "arn:aws:kms:us-east-1:%s:key/%s", w->account, w->kms_key));
	}
}

/* CI deploys on weekdays: about four a day, each a short burst. */
static void bg_ci(ctx *c, int64_t t0, int64_t t1)
{
	const dm_world *w = c->w;
	double d = vg_demo_diurnal(w, DM_P_OFFICE, t0);
	if (!dm_chance(&c->r, 0.4 * d * (double)(t1 - t0) / (double)DM_NS_HOUR))
		return;
	const char *ip = w->ci_runner[dm_below(&c->r, 4)].txt;
	int64_t t = rand_in(c, t0, t1 - DM_NS_MIN);
	static const api steps[] = {
		{"sts", "GetCallerIdentity", 1, 0}, {"ecr", "GetAuthorizationToken", 1, 0},
		{"ecr", "BatchCheckLayerAvailability", 1, 0}, {"ecr", "InitiateLayerUpload", 0, 0},
		{"ecr", "CompleteLayerUpload", 0, 0}, {"ecr", "PutImage", 0, 0},
		{"ecs", "RegisterTaskDefinition", 0, 0}, {"ecs", "UpdateService", 0, 0},
		{"ecs", "DescribeServices", 1, 0}, {"ecs", "DescribeServices", 1, 0},
		{"ecs", "DescribeServices", 1, 0},
	};
	const char *sha = rid(c, "", 12, DM_HEX);
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		ctev *e = as_key(c, t + (int64_t)i * 4 * DM_NS_SEC, DM_ACT_CI, ip, ua_go);
		set_call(e, steps[i].svc, steps[i].name, steps[i].ro);
		if (!strcmp(e->svc, "ecr") && strcmp(e->name, "GetAuthorizationToken"))
			e->req =
				afmt(c->a, "{\"repositoryName\":\"app\",\"imageTag\":\"%s\"}", sha);
		else if (!strcmp(e->name, "UpdateService"))
			e->req = afmt(c->a, "{\"cluster\":\"prod\",\"service\":\"app-web\","
					    "\"taskDefinition\":\"app-web:%u\"}",
				      400 + (unsigned)(t / VG_NS_PER_DAY % 1000));
		else if (!strcmp(e->name, "DescribeServices"))
			describe_params(c, e);
	}
	ctev *e = as_key(c, t + 50 * DM_NS_SEC, DM_ACT_CI, ip, ua_go);
	s3_object(c, e, "PutObject", "acme-build-artifacts",
		  afmt(c->a, "app/%s/bundle.tar.gz", sha),
		  (uint64_t)vg_demo_lognormal(&c->r, 40e6, 0.3));
	e->ua = afmt(c->a, "[%s]", ua_go);
}

/* The backup user's nightly job. */
static void bg_backup(ctx *c, int64_t t0, int64_t t1)
{
	const dm_world *w = c->w;
	int64_t run = t0 / VG_NS_PER_DAY * VG_NS_PER_DAY + 7 * DM_NS_HOUR + 3 * DM_NS_MIN;
	if (run < t0 || run >= t1)
		return;
	const char *ip = w->eni[w->by_role[DM_R_NAT][1]].pubtxt;
	ctev *e = as_key(c, run, DM_ACT_BACKUP, ip, ua_cli);
	set_call(e, "rds", "CreateDBSnapshot", 0);
	char tag[40];
	vg_demo_compact_min(run, tag);
	e->req = afmt(c->a, "{\"dBSnapshotIdentifier\":\"prod-postgres-%s\","
			    "\"dBInstanceIdentifier\":\"prod-postgres\"}", tag);
	ctev *f = as_key(c, run + 20 * DM_NS_SEC, DM_ACT_BACKUP, ip, ua_cli);
	set_call(f, "rds", "DescribeDBSnapshots", 1);
	f->req = "{\"dBInstanceIdentifier\":\"prod-postgres\"}";
}

/* All background activity of one interval. */
static void background(ctx *c, int64_t t0, int64_t t1)
{
	bg_config(c, t0, t1);
	bg_app_role(c, t0, t1);
	bg_console_user(c, DM_ACT_ALICE, 0, 28, t0, t1);
	bg_console_user(c, DM_ACT_CAROL, 2, 10, t0, t1);
	bg_cli_user(c, t0, t1);
	bg_report_lambda(c, t0, t1);
	bg_ci(c, t0, t1);
	bg_backup(c, t0, t1);
}

/* ---------- the schedule: attack and scheduler ---------- */

/* Each part of the schedule draws from its own stream, keyed by its time,
 * so that which parts fall inside the data (the earlier probes depend on
 * the number of days) changes nothing in the others. */
static void reseed(ctx *c, uint64_t part, int64_t t)
{
	dm_rng_init(&c->r, dm_stream(c->w->seed, DM_S_CTSCHED, part, (uint64_t)(t / DM_NS_SEC), 0));
}


static const char *const probe_regions[] = {"us-east-1", "us-east-2", "us-west-1", "us-west-2",
					    "eu-west-1", "eu-central-1", "ap-southeast-1",
					    "ap-northeast-1"};

typedef struct probe {
	const char *svc, *name, *action;
	const char *resource; /* after "arn:aws:iam::<account>:", or "*", or NULL */
	uint8_t allowed;
} probe;

static const probe probes[] = {
	{"iam", "ListUsers", "iam:ListUsers", "user/", 0},
	{"iam", "ListRoles", "iam:ListRoles", "role/", 0},
	{"iam", "GetAccountAuthorizationDetails", "iam:GetAccountAuthorizationDetails", "*", 0},
	{"iam", "ListAttachedUserPolicies", "iam:ListAttachedUserPolicies", "user/ci-deploy", 0},
	{"iam", "ListUserPolicies", "iam:ListUserPolicies", "user/ci-deploy", 0},
	{"iam", "GetUser", "iam:GetUser", "user/ci-deploy", 0},
	{"s3", "ListBuckets", "s3:ListAllMyBuckets", NULL, 0},
	{"ec2", "DescribeInstances", "ec2:DescribeInstances", NULL, 0},
	{"ec2", "DescribeSecurityGroups", "ec2:DescribeSecurityGroups", NULL, 0},
	{"ec2", "DescribeSnapshots", "ec2:DescribeSnapshots", NULL, 0},
	{"secretsmanager", "ListSecrets", "secretsmanager:ListSecrets", NULL, 0},
	{"rds", "DescribeDBInstances", "rds:DescribeDBInstances", "db", 0},
	{"lambda", "ListFunctions20150331", "lambda:ListFunctions", "*", 0},
	{"dynamodb", "ListTables", "dynamodb:ListTables", "*", 0},
	{"kms", "ListKeys", "kms:ListKeys", "*", 0},
	{"organizations", "DescribeOrganization", "organizations:DescribeOrganization", "*", 0},
	{"ssm", "DescribeParameters", "ssm:DescribeParameters", "*", 0},
	{"ecr", "DescribeRepositories", NULL, NULL, 1},
	{"ecs", "ListClusters", NULL, NULL, 1},
};
#define NPROBES ((int)(sizeof probes / sizeof probes[0]))

/* Enumeration with the leaked ci-deploy key: a Pacu-style sweep of list
 * and describe calls across services and regions, nearly all denied. */
static void sched_keyprobe(ctx *c, int64_t t, int n, int tor)
{
	const dm_world *w = c->w;
	const char *ip = w->att_tor[tor].txt;
	ctev *e = as_key(c, t, DM_ACT_CI, ip, ua_kali);
	set_call(e, "sts", "GetCallerIdentity", 1);
	e->resp = afmt(c->a, "{\"userId\":\"%s\",\"account\":\"%s\",\"arn\":\"arn:aws:iam::%s:"
			     "user/ci-deploy\"}", w->actor[DM_ACT_CI].pid, w->account, w->account);
	int64_t span = 12 * DM_NS_MIN;
	for (int i = 1; i < n; i++) {
		const probe *p = &probes[dm_below(&c->r, NPROBES)];
		int64_t ti = t + span * i / n + (int64_t)dm_below(&c->r, 3) * DM_NS_SEC;
		ctev *x = as_key(c, ti, DM_ACT_CI, ip, ua_kali);
		set_call(x, p->svc, p->name, 1);
		if (!strcmp(p->svc, "ec2") || !strcmp(p->svc, "rds") || !strcmp(p->svc, "lambda"))
			x->region = probe_regions[dm_below(&c->r, 8)];
		describe_params(c, x);
		if (!p->allowed) {
			const char *res = NULL;
			if (p->resource && !strcmp(p->svc, "rds"))
				res = afmt(c->a, "arn:aws:rds:%s:%s:db:*", x->region, w->account);
			else if (p->resource && !strcmp(p->resource, "*"))
				res = "*";
			else if (p->resource)
				res = afmt(c->a, "arn:aws:iam::%s:%s", w->account, p->resource);
			deny(c, x, p->action, res);
		}
	}
}

/* The intrusion with bob.chen's phished console password, then his
 * persistence and defence evasion. */
static void sched_intrusion(ctx *c)
{
	const dm_world *w = c->w;
	const char *ip = w->att_tor[0].txt;
	for (int i = 0; i < 2; i++)
		as_signin(c, w->t_login_fail + (int64_t)i * 37 * DM_NS_SEC, DM_ACT_BOB, ip,
			  ua_browser_tor, 0, 0);
	as_signin(c, w->t_login, DM_ACT_BOB, ip, ua_browser_tor, 1, 0);
	/* a look around in the console */
	static const api look[] = {
		{"ec2", "DescribeInstances", 1, 0}, {"ec2", "DescribeSecurityGroups", 1, 0},
		{"iam", "ListUsers", 1, 0}, {"iam", "GetUser", 1, 0},
		{"iam", "ListAttachedUserPolicies", 1, 0}, {"cloudtrail", "DescribeTrails", 1, 0},
		{"cloudtrail", "GetTrailStatus", 1, 0}, {"ec2", "DescribeInstances", 1, 0},
		{"s3", "ListBuckets", 1, 0}, {"ec2", "DescribeSecurityGroups", 1, 0},
	};
	for (size_t i = 0; i < sizeof look / sizeof look[0]; i++) {
		ctev *x = as_console(c, w->t_login + (int64_t)(40 + 31 * i) * DM_NS_SEC, DM_ACT_BOB,
				     w->t_login, ip);
		set_call(x, look[i].svc, look[i].name, 1);
		describe_params(c, x);
	}
	const dm_sg *g = &w->sg[w->sg_bastion];
	ctev *sg = as_console(c, w->t_sg_open, DM_ACT_BOB, w->t_login, ip);
	set_call(sg, "ec2", "AuthorizeSecurityGroupIngress", 0);
	sg->id = w->ev_sg_open;
	sg->req = afmt(c->a, "{\"groupId\":\"%s\",\"ipPermissions\":{\"items\":[{\"ipProtocol\":"
			     "\"tcp\",\"fromPort\":22,\"toPort\":22,\"groups\":{},\"ipRanges\":"
			     "{\"items\":[{\"cidrIp\":\"0.0.0.0/0\"}]},\"ipv6Ranges\":{},"
			     "\"prefixListIds\":{}}]}}", g->id);
	sg->resp = afmt(c->a,
			"{\"requestId\":\"%s\",\"_return\":true,\"securityGroupRuleSet\":"
			"{\"items\":[{\"groupOwnerId\":\"%s\",\"groupId\":\"%s\","
			"\"securityGroupRuleId\":\"%s\",\"isEgress\":false,\"ipProtocol\":"
			"\"tcp\",\"fromPort\":22,\"toPort\":22,\"cidrIpv4\":\"0.0.0.0/0\"}]}}",
			uuid(c), w->account, g->id, w->sgr_open);
	const dm_actor *bob = &w->actor[DM_ACT_BOB];
	char created[40];
	vg_demo_aws_date(w->t_persist, created);
	ctev *ck = as_console(c, w->t_persist, DM_ACT_BOB, w->t_login, ip);
	set_call(ck, "iam", "CreateAccessKey", 0);
	ck->id = w->ev_create_key;
	ck->req = "{\"userName\":\"bob.chen\"}";
	ck->resp = afmt(c->a, "{\"accessKey\":{\"userName\":\"bob.chen\",\"accessKeyId\":\"%s\","
			      "\"status\":\"Active\",\"createDate\":\"%s\"}}", bob->key2, created);
	ctev *ap = as_console(c, w->t_persist + 40 * DM_NS_SEC, DM_ACT_BOB, w->t_login, ip);
	set_call(ap, "iam", "AttachUserPolicy", 0);
	ap->id = w->ev_attach;
	ap->req = "{\"userName\":\"bob.chen\",\"policyArn\":\"arn:aws:iam::aws:policy/"
		  "AdministratorAccess\"}";
	/* From here on the intruder uses the new key from the command line. */
	const char *ip2 = w->att_tor[1].txt;
	ctev *gc = as_key(c, w->t_trail - 70 * DM_NS_SEC, DM_ACT_BOB, ip2, ua_kali);
	gc->key = bob->key2;
	set_call(gc, "sts", "GetCallerIdentity", 1);
	ctev *ut = as_key(c, w->t_trail, DM_ACT_BOB, ip2, ua_kali);
	ut->key = bob->key2;
	set_call(ut, "cloudtrail", "UpdateTrail", 0);
	ut->id = w->ev_update_trail;
	ut->req = afmt(c->a, "{\"name\":\"%s\",\"cloudWatchLogsLogGroupArn\":\"\","
			     "\"cloudWatchLogsRoleArn\":\"\",\"enableLogFileValidation\":false}",
		       w->trail_alerts);
	ut->resp = afmt(c->a,
			"{\"name\":\"%s\",\"s3BucketName\":\"%s\",\"includeGlobalServiceEvents\""
			":true,\"isMultiRegionTrail\":false,\"trailARN\":\"arn:aws:cloudtrail:"
			"us-east-1:%s:trail/%s\",\"logFileValidationEnabled\":false,"
			"\"isOrganizationTrail\":false}",
			w->trail_alerts, w->bucket_trail, w->account, w->trail_alerts);
	ctev *sl = as_key(c, w->t_trail + 52 * DM_NS_SEC, DM_ACT_BOB, ip2, ua_kali);
	sl->key = bob->key2;
	set_call(sl, "cloudtrail", "StopLogging", 0);
	sl->id = w->ev_stop_logging;
	sl->req = afmt(c->a, "{\"name\":\"arn:aws:cloudtrail:us-east-1:%s:trail/%s\"}",
		       w->account, w->trail_alerts);
	/* and then the customer data */
	int64_t span = w->t_s3_exfil_end - w->t_s3_exfil;
	for (int i = 0; i < 240; i++) {
		ctev *x = as_key(c, w->t_s3_exfil + span * i / 240, DM_ACT_BOB, ip2, ua_kali);
		x->key = bob->key2;
		if (i % 60 == 0)
			s3_object(c, x, "ListObjects", w->bucket_exports, NULL, 0);
		else
			s3_object(c, x, "GetObject", w->bucket_exports,
				  afmt(c->a, "exports/2024/customers-%04d.csv.gz", i),
				  (uint64_t)vg_demo_lognormal(&c->r, 2.5e6, 0.4));
		x->ua = afmt(c->a, "[%s]", ua_kali);
	}
}

/* The CTO signs in as root, without MFA, to look into it. */
static void sched_root(ctx *c)
{
	const dm_world *w = c->w;
	const char *ip = w->office[1].txt;
	as_signin(c, w->t_root, DM_ACT_ROOT, ip, ua_browser, 1, 0);
	static const api calls[] = {
		{"iam", "GetAccountSummary", 1, 0}, {"iam", "ListUsers", 1, 0},
		{"iam", "GenerateCredentialReport", 0, 0}, {"iam", "GetCredentialReport", 1, 0},
		{"iam", "ListAccessKeys", 1, 0}, {"iam", "GetAccountPasswordPolicy", 1, 0},
		{"cloudtrail", "GetTrailStatus", 1, 0},
	};
	for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
		ctev *x = as_console(c, w->t_root + (int64_t)(50 + 45 * i) * DM_NS_SEC, DM_ACT_ROOT,
				     w->t_root, ip);
		set_call(x, calls[i].svc, calls[i].name, calls[i].ro);
		if (!strcmp(x->name, "ListAccessKeys"))
			x->req = "{\"userName\":\"bob.chen\"}";
		else if (!strcmp(x->name, "GetTrailStatus"))
			x->req = afmt(c->a, "{\"name\":\"%s\"}", w->trail_alerts);
	}
}

/* The instance scheduler stops and starts the six scheduled instances. */
static void sched_instances(ctx *c)
{
	const dm_world *w = c->w;
	int64_t t = w->start_ns;
	int stop;
	const char *nat = w->eni[w->by_role[DM_R_NAT][0]].pubtxt;
	while ((t = vg_demo_sched_next(t, w->end_ns, &stop)) != 0) {
		int64_t when = t + 4 * DM_NS_SEC;
		reseed(c, 4, t);
		ctev *e = as_role(c, when, DM_ACT_SCHEDROLE, "instance-scheduler", t / DM_NS_HOUR,
				  nat, ua_lambda);
		set_call(e, "ec2", stop ? "StopInstances" : "StartInstances", 0);
		char *id = vg_arena_alloc(c->a, 37);
		dm_rng r;
		dm_rng_init(&r, dm_stream(w->seed, DM_S_IDS, 77, (uint64_t)(t / DM_NS_SEC), 0));
		vg_demo_uuid(&r, id);
		e->id = id;
		vg_buf req = {0}, resp = {0};
		vg_buf_puts(&req, "{\"instancesSet\":{\"items\":[");
		vg_buf_printf(&resp, "{\"requestId\":\"%s\",\"instancesSet\":{\"items\":[",
			      uuid(c));
		for (int i = 0; i < w->nsched; i++) {
			const dm_eni *x = &w->eni[w->eni_scheduled[i]];
			vg_buf_printf(&req, "%s{\"instanceId\":\"%s\"}", i ? "," : "", x->instance);
			vg_buf_printf(&resp,
				      "%s{\"instanceId\":\"%s\",\"currentState\":{\"code\":%d,"
				      "\"name\":\"%s\"},\"previousState\":{\"code\":%d,"
				      "\"name\":\"%s\"}}",
				      i ? "," : "", x->instance, stop ? 64 : 0,
				      stop ? "stopping" : "pending", stop ? 16 : 80,
				      stop ? "running" : "stopped");
		}
		vg_buf_puts(&req, stop ? "]},\"force\":false}" : "]}}");
		vg_buf_puts(&resp, "]}}");
		e->req = vg_arena_dup(c->a, req.p, req.len);
		e->resp = vg_arena_dup(c->a, resp.p, resp.len);
		vg_buf_free(&req);
		vg_buf_free(&resp);
		t += DM_NS_SEC;
	}
}

/* Alice's housekeeping, which Config records too: an old unattached volume
 * deleted, and a bucket created for the investigation. */
static void sched_housekeeping(ctx *c)
{
	const dm_world *w = c->w;
	const char *ip = w->office[0].txt;
	if (w->t_delete_volume) {
		ctev *e = as_key(c, w->t_delete_volume, DM_ACT_ALICE, ip, ua_cli);
		set_call(e, "ec2", "DeleteVolume", 0);
		e->id = w->ev_delete_volume;
		e->req = afmt(c->a, "{\"volumeId\":\"%s\"}", w->vol_orphan);
		e->resp = afmt(c->a, "{\"requestId\":\"%s\",\"_return\":true}", uuid(c));
	}
	ctev *b = as_key(c, w->t_create_bucket, DM_ACT_ALICE, ip, ua_cli);
	s3_object(c, b, "CreateBucket", w->bucket_forensics, NULL, 0);
	b->data = 0;
	b->ro = 0;
	b->id = w->ev_create_bucket;
	b->add = s3_extra(c, 0, 0);
	b->req = afmt(c->a, "{\"bucketName\":\"%s\",\"Host\":\"%s.s3.amazonaws.com\","
			    "\"x-amz-acl\":\"private\"}", w->bucket_forensics, w->bucket_forensics);
	b->resp = NULL;
}

/* Everything at fixed times, in one list sorted later with the rest. */
static void build_schedule(ctx *c)
{
	const dm_world *w = c->w;
	static const int sizes[3] = {60, 40, 25};
	for (int d = 0; d < w->nprobe_days; d++) {
		reseed(c, 1, w->t_probe_day[d]);
		sched_keyprobe(c, w->t_probe_day[d], sizes[d], 2 + d % 2);
	}
	reseed(c, 1, w->t_keyprobe);
	sched_keyprobe(c, w->t_keyprobe, 160, 2);
	reseed(c, 2, w->t_login);
	sched_intrusion(c);
	reseed(c, 3, w->t_root);
	sched_root(c);
	sched_instances(c); /* reseeds per run */
	reseed(c, 5, w->t_create_bucket);
	sched_housekeeping(c);
}

/* ---------- files ---------- */

/* Order events by time, then by creation. */
static int cmp_ev(const void *a, const void *b)
{
	const ctev *x = *(const ctev *const *)a, *y = *(const ctev *const *)b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

/* The SHA-256 of the n bytes at p as 64 lowercase hex digits and a NUL. */
static void sha256_hex(char out[65], const void *p, size_t n)
{
	uint8_t h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, p, n);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

typedef struct logfile {
	char key[520];       /* S3 key relative to the bucket */
	char hash[65];
	int64_t oldest, newest;
} logfile;

typedef struct writer {
	const dm_world *w;
	const dm_out *o;
	vg_demo_stats *st;
	logfile *recent;     /* us-east-1 files of the last two hours, for digests */
	size_t nrecent, caprecent;
} writer;

/* Write one log file of events (one region, one interval, sorted); note
 * us-east-1 files of the last hours for the digests. */
static int write_log(writer *wr, ctx *c, int region, ctev **ev, size_t n, int64_t stamp,
		     vg_err *err)
{
	const dm_world *w = wr->w;
	dm_rng nr;
	dm_rng_init(&nr, dm_stream(w->seed, DM_S_CTNAME, (uint64_t)(stamp / DM_NS_MIN),
				   (uint64_t)region, 0));
	char rnd[24], when[40], rel[512];
	vg_demo_rand_id(&nr, rnd, sizeof rnd, "", 16, DM_ALNUM);
	vg_demo_compact_min(stamp, when);
	dm_tm t;
	vg_demo_tm(stamp, &t);
	int k = snprintf(rel, sizeof rel, "AWSLogs/%s/CloudTrail/%s/%04lld/%02u/%02u/"
					  "%s_CloudTrail_%s_%s_%s.json",
			 w->account, regions[region], (long long)t.year, t.mon, t.day, w->account,
			 regions[region], when, rnd);
	vg_buf b = {0};
	vg_buf_puts(&b, "{\"Records\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			vg_buf_putc(&b, ',');
		render(c, &b, ev[i]);
	}
	vg_buf_puts(&b, "]}");
	int rc = vg_demo_write_file(wr->o, rel, 1, b.p, b.len, &wr->st->bytes, err);
	if (rc == 0) {
		wr->st->files++;
		wr->st->cloudtrail_files++;
		wr->st->cloudtrail_records += n;
		if (region == 0 && stamp > w->end_ns - 3 * DM_NS_HOUR - CT_INTERVAL) {
			vg_grow(&wr->recent, &wr->caprecent, wr->nrecent + 1, sizeof *wr->recent);
			logfile *lf = &wr->recent[wr->nrecent++];
			snprintf(lf->key, sizeof lf->key, "%.*s.gz", k, rel);
			sha256_hex(lf->hash, b.p, b.len);
			lf->oldest = ev[0]->t;
			lf->newest = ev[n - 1]->t;
		}
	}
	vg_buf_free(&b);
	return rc;
}

/* Hourly digest files for the two hours before the last (delivered, like
 * AWS's, some minutes after the hour they cover, so still within the
 * data), listing that hour's us-east-1 log files with their SHA-256. Their
 * signatures are not real (the demo has no private key); vigil does not
 * read digests. */
static int write_digests(writer *wr, vg_err *err)
{
	const dm_world *w = wr->w;
	dm_rng r;
	dm_rng_init(&r, dm_stream(w->seed, DM_S_CTNAME, 0, 999, 0));
	char prev_sig[129] = "", prev_key[520] = "", prev_hash[65] = "";
	for (int h = 2; h >= 1; h--) {
		int64_t end = w->end_ns - (int64_t)h * DM_NS_HOUR;
		int64_t start = end - DM_NS_HOUR;
		char a[40], b[40], when[40], rel[512], fp[33], sig[129];
		vg_demo_iso_s(start, a);
		vg_demo_iso_s(end, b);
		vg_demo_compact_s(end + 11 * DM_NS_MIN, when);
		vg_demo_rand_id(&r, fp, sizeof fp, "", 32, DM_HEX);
		vg_demo_rand_id(&r, sig, sizeof sig, "", 128, DM_HEX);
		dm_tm t;
		vg_demo_tm(end + 11 * DM_NS_MIN, &t);
		snprintf(rel, sizeof rel,
			 "AWSLogs/%s/CloudTrail-Digest/us-east-1/%04lld/%02u/%02u/"
			 "%s_CloudTrail-Digest_us-east-1_%s_us-east-1_%s.json",
			 w->account, (long long)t.year, t.mon, t.day, w->account, w->trail_main,
			 when);
		vg_buf d = {0};
		vg_buf_printf(&d,
			      "{\"awsAccountId\":\"%s\",\"digestStartTime\":\"%s\","
			      "\"digestEndTime\":\"%s\",\"digestS3Bucket\":\"%s\","
			      "\"digestS3Object\":\"%s.gz\",\"digestPublicKeyFingerprint\":\"%s\","
			      "\"digestSignatureAlgorithm\":\"SHA256withRSA\",",
			      w->account, a, b, w->bucket_trail, rel, fp);
		if (prev_key[0])
			vg_buf_printf(
				&d,
				"\"previousDigestS3Bucket\":\"%s\",\"previousDigestS3Object\":"
				"\"%s\",\"previousDigestHashValue\":\"%s\","
				"\"previousDigestHashAlgorithm\":\"SHA-256\","
				"\"previousDigestSignature\":\"%s\",",
				w->bucket_trail, prev_key, prev_hash, prev_sig);
		else
			vg_buf_puts(&d,
				    "\"previousDigestS3Bucket\":null,\"previousDigestS3Object\":"
				    "null,\"previousDigestHashValue\":null,"
				    "\"previousDigestHashAlgorithm\":null,"
				    "\"previousDigestSignature\":null,");
		vg_buf_puts(&d, "\"logFiles\":[");
		int first = 1;
		for (size_t i = 0; i < wr->nrecent; i++) {
			const logfile *lf = &wr->recent[i];
			if (lf->newest < start || lf->newest >= end)
				continue;
			char o1[40], o2[40];
			vg_demo_iso_s(lf->oldest, o1);
			vg_demo_iso_s(lf->newest, o2);
			vg_buf_printf(&d,
				      "%s{\"s3Bucket\":\"%s\",\"s3Object\":\"%s\",\"hashValue\":"
				      "\"%s\",\"hashAlgorithm\":\"SHA-256\",\"newestEventTime\":"
				      "\"%s\",\"oldestEventTime\":\"%s\"}",
				      first ? "" : ",", w->bucket_trail, lf->key, lf->hash, o2, o1);
			first = 0;
		}
		vg_buf_puts(&d, "]}");
		sha256_hex(prev_hash, d.p, d.len);
		snprintf(prev_key, sizeof prev_key, "%s.gz", rel);
		memcpy(prev_sig, sig, sizeof sig);
		int rc = vg_demo_write_file(wr->o, rel, 1, d.p, d.len, &wr->st->bytes, err);
		vg_buf_free(&d);
		if (rc)
			return rc;
		wr->st->files++;
	}
	return 0;
}

/* Index of a region in the file order (unknown ones go to us-east-1). */
static int region_index(const char *r)
{
	for (int i = 0; i < NREGIONS; i++)
		if (!strcmp(regions[i], r))
			return i;
	return 0;
}

/* One delivery interval: its background plus the scheduled events that
 * fall in it, one file per region that has any. */
static int write_interval(writer *wr, ctx *c, ctev **sched, size_t nsched, size_t *si, int64_t t0,
			  vg_err *err)
{
	int64_t t1 = t0 + CT_INTERVAL;
	c->n = 0;
	dm_rng_init(&c->r, dm_stream(wr->w->seed, DM_S_CT, (uint64_t)(t0 / CT_INTERVAL), 0, 0));
	background(c, t0, t1);
	while (*si < nsched && sched[*si]->t < t1) {
		if (sched[*si]->t >= t0) {
			vg_grow(&c->ev, &c->cap, c->n + 1, sizeof *c->ev);
			c->ev[c->n++] = sched[*si];
		}
		(*si)++;
	}
	qsort(c->ev, c->n, sizeof *c->ev, cmp_ev);
	ctev **by = vg_xcalloc(c->n ? c->n : 1, sizeof *by);
	int rc = 0;
	for (int reg = 0; reg < NREGIONS && rc == 0; reg++) {
		size_t k = 0;
		for (size_t i = 0; i < c->n; i++)
			if (region_index(c->ev[i]->region) == reg)
				by[k++] = c->ev[i];
		if (k)
			rc = write_log(wr, c, reg, by, k, t1, err);
	}
	free(by);
	return rc;
}

int vg_demo_cloudtrail_write(const dm_world *w, const dm_out *o, vg_demo_stats *st, vg_err *err)
{
	vg_arena sched_arena = {0}, arena = {0};
	ctx sc = {.w = w, .a = &sched_arena};
	build_schedule(&sc);
	qsort(sc.ev, sc.n, sizeof *sc.ev, cmp_ev);

	writer wr = {.w = w, .o = o, .st = st};
	ctx c = {.w = w, .a = &arena};
	size_t si = 0;
	int rc = 0;
	for (int64_t t0 = w->start_ns; t0 < w->end_ns && rc == 0; t0 += CT_INTERVAL) {
		vg_arena_reset(&arena);
		rc = write_interval(&wr, &c, sc.ev, sc.n, &si, t0, err);
	}
	if (rc == 0)
		rc = write_digests(&wr, err);
	free(wr.recent);
	free(c.ev);
	free(sc.ev);
	vg_arena_free(&arena);
	vg_arena_free(&sched_arena);
	return rc;
}
