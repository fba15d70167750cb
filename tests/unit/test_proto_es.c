/* test_proto_es.c — the Elasticsearch bulk API and start-up calls. */
#include "protofix.h"

/* One bulk request: its batch, result and answer. */
typedef struct bulk {
	vg_batch b;
	vg_es_bulk r;
	vg_buf out;
	int rc;
	unsigned status;
} bulk;

/* Decode body (len bytes) with the given URL index (may be NULL) and
 * render the full answer (filter_path fp, may be NULL). */
static void run_len(bulk *t, const char *body, size_t len, const char *url_index, const char *fp)
{
	memset(t, 0, sizeof *t);
	vg_batch_init(&t->b);
	vg_es_bulk_init(&t->r);
	vg_es_opts o = {.now_ns = NOW, .id_seed = 7, .index = url_index,
			.index_len = url_index ? strlen(url_index) : 0};
	t->rc = vg_es_bulk_decode(&t->r, &t->b, body, len, &o);
	t->status = vg_es_bulk_answer(&t->r, 3, fp, &t->out);
	json_ok(&t->out);
}

static void run(bulk *t, const char *body, const char *url_index, const char *fp)
{
	run_len(t, body, strlen(body), url_index, fp);
}

static void done(bulk *t)
{
	vg_batch_free(&t->b);
	vg_es_bulk_free(&t->r);
	vg_buf_free(&t->out);
}

/* Filebeat 8: create actions into its data stream; it asks for a
 * filtered answer. */
static void test_filebeat(void **st)
{
	(void)st;
	static const char body[] =
		"{\"create\":{\"_index\":\"filebeat-8.11.0\"}}\n"
		"{\"@timestamp\":\"2024-01-02T03:04:05.678Z\",\"message\":\"Failed password for root\","
		"\"log\":{\"file\":{\"path\":\"/var/log/auth.log\"},\"offset\":1234},"
		"\"host\":{\"name\":\"web-1\"},\"agent\":{\"type\":\"filebeat\",\"version\":\"8.11.0\"},"
		"\"ecs\":{\"version\":\"8.0.0\"}}\n"
		"{\"create\":{\"_index\":\"filebeat-8.11.0\"}}\n"
		"{\"@timestamp\":\"2024-01-02T03:04:06Z\",\"message\":\"second\"}\n";
	bulk t;
	run(&t, body, NULL, "errors,items.*.error,items.*.status");
	assert_int_equal(t.rc, 0);
	assert_int_equal(t.status, 200);
	text_is(&t.out, "{\"errors\":false,\"items\":[{\"create\":{\"status\":201}},"
			"{\"create\":{\"status\":201}}]}");
	assert_int_equal(t.b.nev, 2);
	assert_int_equal(t.r.events, 2);
	assert_int_equal(t.b.nparse_errors, 0);
	assert_string_equal(group_of(&t.b, 0), "filebeat-8.11.0");
	int64_t want;
	assert_int_equal(vg_parse_iso8601("2024-01-02T03:04:05.678Z", 24, &want), 24);
	assert_true(t.b.ev[0].t == want);
	assert_string_equal(str_of(&t.b, 0, "log.file.path"), "/var/log/auth.log");
	assert_int_equal(int_of(&t.b, 0, "log.offset"), 1234);
	assert_string_equal(str_of(&t.b, 0, "host.name"), "web-1");
	assert_string_equal(str_of(&t.b, 1, "message"), "second");
	raw_eq(&t.b, 1, "{\"@timestamp\":\"2024-01-02T03:04:06Z\",\"message\":\"second\"}");
	done(&t);
}

/* rsyslog's omelasticsearch in bulk mode: `_type`, a space after the
 * colon, and a blank line after each document. */
static void test_rsyslog(void **st)
{
	(void)st;
	static const char body[] =
		"{\"index\":{\"_index\": \"system\",\"_type\":\"events\"}}\n"
		"{\"timestamp\":\"2024-01-02T03:04:05.123456+00:00\",\"host\":\"db-2\","
		"\"severity\":\"info\",\"message\":\" session opened\"}\n\n"
		"{\"index\":{\"_index\": \"system\",\"_type\":\"events\"}}\n"
		"{\"timestamp\":\"2024-01-02T03:04:06.000000+00:00\",\"host\":\"db-2\","
		"\"message\":\" session closed\"}\n\n";
	bulk t;
	run(&t, body, NULL, NULL);
	assert_int_equal(t.rc, 0);
	assert_int_equal(t.b.nev, 2);
	assert_string_equal(group_of(&t.b, 1), "system");
	assert_string_equal(str_of(&t.b, 1, "message"), " session closed");
	int64_t want;
	assert_int_equal(vg_parse_iso8601("2024-01-02T03:04:05.123456+00:00", 32, &want), 32);
	assert_true(t.b.ev[0].t == want);
	/* The whole answer, ES's shape. */
	assert_true(has(&t.out, "\"took\":3,\"errors\":false,\"items\":[{\"index\":{\"_index\":\"system\",\"_id\":\""));
	assert_true(has(&t.out, "\"_version\":1,\"result\":\"created\",\"_shards\":{\"total\":1,"
			"\"successful\":1,\"failed\":0},\"_seq_no\":1,\"_primary_term\":1,\"status\":201}}]}"));
	done(&t);
}

/* syslog-ng's elasticsearch-http (type("") leaves _type out), Vector's
 * daily index, Fluent Bit's Logstash_Format with _type, epoch millis. */
static void test_other_shippers(void **st)
{
	(void)st;
	static const char body[] =
		"{\"index\":{\"_index\":\"syslog-ng\"}}\n"
		"{\"MESSAGE\":\"hello\",\"HOST\":\"fw\",\"@timestamp\":\"2024-01-02T03:04:05+01:00\"}\n"
		"{\"index\":{\"_index\":\"vector-2024.01.02\"}}\n"
		"{\"message\":\"v\",\"timestamp\":\"2024-01-02T00:00:00Z\",\"source_type\":\"file\"}\n"
		"{\"create\":{\"_index\":\"logstash-2024.01.02\",\"_type\":\"_doc\"}}\n"
		"{\"@timestamp\":1704164645678,\"log\":\"fb\",\"kubernetes\":{\"pod_name\":\"p\"}}\n"
		"{\"index\":{\"_index\":\"filebeat-7.17.0-2024.01.02-000001\"}}\n"
		"{\"message\":\"no time\",\"time\":\"soon\"}\n";
	bulk t;
	run(&t, body, NULL, NULL);
	assert_int_equal(t.rc, 0);
	assert_int_equal(t.b.nev, 4);
	assert_string_equal(group_of(&t.b, 0), "syslog-ng");
	assert_true(t.b.ev[0].t == INT64_C(1704161045000000000));
	assert_string_equal(group_of(&t.b, 1), "vector");
	assert_true(t.b.ev[1].t == INT64_C(1704153600000000000));
	assert_string_equal(group_of(&t.b, 2), "logstash");
	assert_true(t.b.ev[2].t == INT64_C(1704164645678000000));
	assert_string_equal(str_of(&t.b, 2, "kubernetes.pod_name"), "p");
	assert_string_equal(group_of(&t.b, 3), "filebeat-7.17.0");
	assert_true(t.b.ev[3].t == NOW);
	assert_string_equal(str_of(&t.b, 3, "time"), "soon");
	/* The answer echoes each index as sent. */
	assert_true(has(&t.out, "\"_index\":\"vector-2024.01.02\""));
	assert_true(has(&t.out, "{\"create\":{\"_index\":\"logstash-2024.01.02\""));
	done(&t);
}

/* The path's index, no index at all, _ids given and generated. */
static void test_index_and_ids(void **st)
{
	(void)st;
	bulk t;
	run(&t, "{\"index\":{}}\n{\"a\":1}\n{\"index\":{\"_id\":\"abc\"}}\n{\"a\":2}\n"
		"{\"index\":{\"_id\":42}}\n{\"a\":3}\n{\"index\":{}}\n{\"a\":4}\n", "web-logs", NULL);
	assert_int_equal(t.rc, 0);
	assert_int_equal(t.b.nev, 4);
	assert_string_equal(group_of(&t.b, 0), "web-logs");
	assert_true(has(&t.out, "\"_index\":\"web-logs\",\"_id\":\"abc\""));
	assert_true(has(&t.out, "\"_id\":\"42\""));
	/* Generated ids: 20 characters of base64url, all different. */
	const char *p = (const char *)t.out.p, *end = p + t.out.len;
	char ids[4][21];
	int n = 0;
	while ((p = memmem(p, (size_t)(end - p), "\"_id\":\"", 7)) != NULL && n < 4) {
		p += 7;
		const char *q = memchr(p, '"', (size_t)(end - p));
		assert_non_null(q);
		if (q - p == 20) {
			memcpy(ids[n], p, 20);
			ids[n][20] = 0;
			for (int k = 0; k < 20; k++)
				assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", ids[n][k]));
			n++;
		}
		p = q;
	}
	assert_int_equal(n, 2);
	assert_string_not_equal(ids[0], ids[1]);
	done(&t);

	run(&t, "{\"index\":{}}\n{\"a\":1}\n", NULL, NULL);
	assert_int_equal(t.rc, 0);
	assert_string_equal(group_of(&t.b, 0), "es");
	assert_true(has(&t.out, "\"_index\":\"es\""));
	done(&t);
}

/* update and delete are refused per item; the others go on. */
static void test_update_delete(void **st)
{
	(void)st;
	bulk t;
	run(&t, "{\"update\":{\"_index\":\"x\",\"_id\":\"1\"}}\n{\"doc\":{\"a\":1}}\n"
		"{\"delete\":{\"_index\":\"x\",\"_id\":\"2\"}}\n"
		"{\"index\":{\"_index\":\"x\"}}\n{\"a\":1}\n", NULL, NULL);
	assert_int_equal(t.rc, 0);
	assert_int_equal(t.b.nev, 1);
	assert_int_equal(t.r.nitems, 3);
	assert_int_equal(t.r.items[0].status, 400);
	assert_int_equal(t.r.items[1].status, 400);
	assert_int_equal(t.r.items[2].status, 201);
	assert_true(has(&t.out, "\"errors\":true"));
	assert_true(has(&t.out, "{\"update\":{\"_index\":\"x\",\"_id\":\"1\",\"status\":400,\"error\":"
			"{\"type\":\"illegal_argument_exception\",\"reason\":\"vigil stores log events and "
			"does not change them"));
	assert_true(has(&t.out, "{\"delete\":{\"_index\":\"x\",\"_id\":\"2\",\"status\":400"));
	done(&t);

	run(&t, "{\"delete\":{\"_index\":\"x\",\"_id\":\"2\"}}", NULL, "items.*.status");
	assert_int_equal(t.rc, 0);
	text_is(&t.out, "{\"items\":[{\"delete\":{\"status\":400}}]}");
	done(&t);
}

/* Documents that are not JSON objects: kept raw, refused per item. */
static void test_bad_documents(void **st)
{
	(void)st;
	static const char body[] =
		"{\"index\":{\"_index\":\"x\"}}\n{\"a\":\"unterminated}\n"
		"{\"index\":{\"_index\":\"x\"}}\n\"just a string\"\n"
		"{\"index\":{\"_index\":\"x\"}}\n[1,2]\n"
		"{\"index\":{\"_index\":\"x\"}}\n\n"
		"{\"index\":{\"_index\":\"x\"}}\nplain text line\n"
		"{\"index\":{\"_index\":\"x\"}}\n{\"a\":1} {\"b\":2}\n"
		"{\"index\":{\"_index\":\"x\"}}\n{\"big\":123456789012345678901234567890,"
		"\"@timestamp\":99999999999999999999999,\"deep\":[[[[1]]]]}\n";
	bulk t;
	run(&t, body, NULL, NULL);
	assert_int_equal(t.rc, 0);
	assert_int_equal(t.r.nitems, 7);
	assert_int_equal(t.b.nev, 6);          /* the empty document has nothing to keep */
	assert_int_equal(t.b.nparse_errors, 5);
	assert_int_equal(t.r.parse_errors, 5);
	for (int i = 0; i < 6; i++)
		assert_int_equal(t.r.items[i].status, 400);
	assert_int_equal(t.r.items[6].status, 201);
	raw_eq(&t.b, 0, "{\"a\":\"unterminated}");
	assert_non_null(strstr(str_of(&t.b, 0, "_parse_error"), "unterminated string"));
	assert_non_null(strstr(str_of(&t.b, 1, "_parse_error"), "a string"));
	assert_non_null(strstr(str_of(&t.b, 3, "_parse_error"), "text"));
	assert_non_null(strstr(str_of(&t.b, 4, "_parse_error"), "trailing data"));
	assert_null(str_of(&t.b, 0, "a"));    /* no half-parsed fields */
	assert_true(has(&t.out, "\"mapper_parsing_exception\""));
	assert_true(has(&t.out, "document is empty"));
	assert_true(has(&t.out, "vigil kept the document as a raw event with _parse_error"));
	/* Huge numbers are doubles; an out-of-range time is the ingest time. */
	assert_int_equal(vg_batch_get(&t.b, 5, "big")->type, VG_T_DBL);
	assert_true(t.b.ev[5].t == NOW);
	assert_int_equal(int_of(&t.b, 5, "deep[0][0][0][0]"), 1);
	done(&t);
}

/* A request of many bad documents keeps the details of the first 1000
 * only: memory per item stays small. */
static void test_many_errors(void **st)
{
	(void)st;
	vg_buf body = {0};
	for (int i = 0; i < 1200; i++)
		vg_buf_printf(&body, "{\"index\":{}}\n[%d]\n{\"delete\":{}}\n", i);
	bulk t;
	run_len(&t, (const char *)body.p, body.len, "x", "items.*.error");
	assert_int_equal(t.rc, 0);
	assert_int_equal(t.r.nitems, 2400);
	assert_int_equal(t.b.nev, 1200);
	assert_int_equal(t.r.nreasons, 1000);
	assert_true(t.r.strs.len < 1000 * 200);
	assert_true(t.r.items[1998].err_off != UINT32_MAX);
	assert_true(t.r.items[2000].err_off == UINT32_MAX);
	assert_true(has(&t.out, "\"reason\":\"failed to parse: the document on line [2] starts with an array"));
	assert_true(has(&t.out, "\"reason\":\"failed to parse: not a JSON object (vigil kept"));
	done(&t);
	vg_buf_free(&body);
}

/* Bytes that are not text: NUL, invalid UTF-8, CRLF, no final newline. */
static void test_odd_bytes(void **st)
{
	(void)st;
	static const char body[] =
		"{\"index\":{\"_index\":\"in\\u0000dex\xff\",\"_id\":\"\xc3\x28\"}}\r\n"
		"{\"msg\":\"caf\xc3\xa9 \xff\xfe\"}\r\n"
		"{\"index\":{\"_index\":\"x\"}}\n{\"nul\":\"a\0b\"}\n"
		"{\"index\":{\"_index\":\"x\"}}\n{\"last\":true}";
	bulk t;
	run_len(&t, body, sizeof body - 1, NULL, NULL);
	assert_int_equal(t.rc, 0);
	assert_int_equal(t.b.nev, 3);
	/* \u0000 decodes to U+FFFD: three bytes outside the group alphabet. */
	assert_string_equal(group_of(&t.b, 0), "in___dex");
	assert_string_equal(str_of(&t.b, 0, "msg"), "caf\xc3\xa9 \xff\xfe");
	raw_eq(&t.b, 0, "{\"msg\":\"caf\xc3\xa9 \xff\xfe\"}");
	/* The raw NUL inside a string is a JSON error: kept raw. */
	assert_non_null(str_of(&t.b, 1, "_parse_error"));
	raw_eqn(&t.b, 1, "{\"nul\":\"a\0b\"}", 13);
	assert_string_equal(str_of(&t.b, 2, "last"), "true");
	/* The answer stays valid UTF-8 (json_ok checked it). */
	assert_true(has(&t.out, "\"_index\":\"in\xef\xbf\xbd" "dex\\ufffd\",\"_id\":\"\\ufffd(\""));
	done(&t);
}

/* Requests refused whole: nothing appended, ES's error document. */
static void test_refused(void **st)
{
	(void)st;
	static const struct {
		const char *body, *type, *reason;
	} cases[] = {
		{"", "parse_exception", "request body is required"},
		{"\n \n\r\n", "action_request_validation_exception", "no requests added"},
		{"{\"index\":{}}\n{\"a\":1}\nnot json\n{\"a\":2}\n", "x_content_parse_exception",
		 "Malformed action/metadata line [3]"},
		{"[\"index\"]\n{}\n", "illegal_argument_exception",
		 "line [1], expected START_OBJECT but found [START_ARRAY]"},
		{"{\"upsert\":{}}\n{}\n", "illegal_argument_exception",
		 "expected field [create], [delete], [index] or [update] but found [upsert]"},
		{"{\"index\":{},\"create\":{}}\n{}\n", "illegal_argument_exception",
		 "expected END_OBJECT but found [FIELD_NAME]"},
		{"{}\n{}\n", "illegal_argument_exception", "expected FIELD_NAME but found [END_OBJECT]"},
		{"{\"index\":\"x\"}\n{}\n", "illegal_argument_exception",
		 "expected START_OBJECT but found [VALUE_STRING]"},
		{"{\"index\":{\"_index\":{\"a\":1}}}\n{}\n", "illegal_argument_exception",
		 "expected a simple value for field [_index] but found [START_OBJECT]"},
		{"{\"index\":{}}\n{\"a\":1}\n{\"index\":{}}\n", "illegal_argument_exception",
		 "The index action on line [3] has no document"},
		{"{\"index\":{\"_index\":\"x\"", "x_content_parse_exception", "input ends at byte"},
		{"{\"index\":{}} trailing\n{}\n", "illegal_argument_exception", "unexpected data"},
		{"{\"index\":{}}\n{}\n\x01\x02\x03", "x_content_parse_exception",
		 "Malformed action/metadata line [3]"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		bulk t;
		run(&t, cases[i].body, NULL, NULL);
		if (t.rc != VG_EINVAL || t.status != 400 || t.b.nev != 0 ||
		    !has(&t.out, cases[i].type) || !has(&t.out, cases[i].reason))
			fail_msg("case %zu: rc %d status %u events %zu answer %.*s", i, t.rc, t.status,
				 t.b.nev, (int)t.out.len, (const char *)t.out.p);
		assert_true(has(&t.out, "\"status\":400}"));
		done(&t);
	}
}

/* Every prefix of a valid request is either refused whole or decided
 * item by item, never a crash, and the answer is always JSON. */
static void test_prefixes(void **st)
{
	(void)st;
	static const char body[] =
		"{\"create\":{\"_index\":\"a\",\"_id\":\"x\\\"y\"}}\n{\"@timestamp\":\"2024-01-02T03:04:05Z\","
		"\"m\":[1,{\"k\":\"v\"}]}\n\n{\"delete\":{\"_id\":\"1\"}}\n{\"index\":{}}\n{}\n";
	for (size_t n = 0; n <= sizeof body - 1; n++) {
		bulk t;
		run_len(&t, body, n, "u", "took,errors,items.*.status,items.*._id");
		assert_true(t.rc == 0 || t.b.nev == 0);
		assert_true(t.status == 200 || t.status == 400);
		done(&t);
	}
}

/* What shippers ask when they start. */
static void test_routes(void **st)
{
	(void)st;
	static const struct {
		const char *method, *path;
		vg_es_kind kind;
		unsigned status;
		const char *needle;
	} cases[] = {
		{"GET", "/", VG_ES_ANSWER, 200, "\"number\":\"" VG_ES_VERSION "\""},
		{"GET", "/", VG_ES_ANSWER, 200, "\"tagline\":\"You Know, for Search\""},
		{"GET", "/", VG_ES_ANSWER, 200, "\"build_flavor\":\"default\""},
		{"HEAD", "/", VG_ES_ANSWER, 200, "cluster_uuid"},
		{"DELETE", "/", VG_ES_ANSWER, 405, "Incorrect HTTP method"},
		{"GET", "/_license", VG_ES_ANSWER, 200, "\"status\":\"active\""},
		{"GET", "/_xpack", VG_ES_ANSWER, 200, "\"ilm\":{\"available\":true,\"enabled\":true}"},
		{"GET", "/_cluster/health", VG_ES_ANSWER, 200, "\"status\":\"green\""},
		{"GET", "/_cluster/health/filebeat-*", VG_ES_ANSWER, 200, "\"status\":\"green\""},
		{"GET", "/_nodes/http", VG_ES_ANSWER, 200, "\"_nodes\":{\"total\":1"},
		{"GET", "/_nodes", VG_ES_ANSWER, 200, "\"roles\""},
		{"HEAD", "/_index_template/filebeat-8.11.0", VG_ES_ANSWER, 404, "resource_not_found"},
		{"GET", "/_index_template/filebeat-8.11.0", VG_ES_ANSWER, 404,
		 "index template matching [filebeat-8.11.0] not found"},
		{"PUT", "/_index_template/filebeat-8.11.0", VG_ES_ANSWER, 200, "{\"acknowledged\":true}"},
		{"GET", "/_index_template", VG_ES_ANSWER, 200, "{\"index_templates\":[]}"},
		{"HEAD", "/_template/logstash", VG_ES_ANSWER, 404, "not found"},
		{"PUT", "/_template/logstash", VG_ES_ANSWER, 200, "acknowledged"},
		{"GET", "/_ilm/policy/filebeat", VG_ES_ANSWER, 404, "Lifecycle policy not found"},
		{"PUT", "/_ilm/policy/filebeat", VG_ES_ANSWER, 200, "acknowledged"},
		{"GET", "/_ingest/pipeline/filebeat-8.11.0-system-auth-pipeline", VG_ES_ANSWER, 404,
		 "not found"},
		{"PUT", "/_ingest/pipeline/p", VG_ES_ANSWER, 200, "acknowledged"},
		{"PUT", "/_component_template/c", VG_ES_ANSWER, 200, "acknowledged"},
		{"HEAD", "/_alias/filebeat-7.17.0", VG_ES_ANSWER, 404, "aliases"},
		{"PUT", "/_data_stream/logs-generic-default", VG_ES_ANSWER, 200, "acknowledged"},
		{"POST", "/_aliases", VG_ES_ANSWER, 200, "acknowledged"},
		{"PUT", "/<filebeat-7.17.0-{now/d}-000001>", VG_ES_ANSWER, 200,
		 "\"index\":\"<filebeat-7.17.0-{now/d}-000001>\""},
		{"HEAD", "/logstash", VG_ES_ANSWER, 404, "index_not_found_exception"},
		{"PUT", "/myindex", VG_ES_ANSWER, 200, "\"shards_acknowledged\":true"},
		{"GET", "/_bulk", VG_ES_ANSWER, 405, "allowed: [POST, PUT]"},
		{"GET", "/_license", VG_ES_ANSWER, 200, "basic"},
		{"POST", "/_license", VG_ES_ANSWER, 405, "Incorrect HTTP method"},
		{"GET", "/_search", VG_ES_ANSWER, 400, "no handler found for uri [/_search] and method [GET]"},
		{"GET", "/_index_template/\"quote\xff", VG_ES_ANSWER, 404, "\\\"quote\\ufffd"},
		{"POST", "/_bulk", VG_ES_BULK, 0, NULL},
		{"PUT", "/_bulk", VG_ES_BULK, 0, NULL},
		{"GET", "/search", VG_ES_NOT_MINE, 0, NULL},
		{"GET", "/api/v1/search", VG_ES_NOT_MINE, 0, NULL},
		{"GET", "/app/main.js", VG_ES_NOT_MINE, 0, NULL},
		{"POST", "/login", VG_ES_NOT_MINE, 0, NULL},
		{"GET", "", VG_ES_NOT_MINE, 0, NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		vg_es_route r;
		vg_buf body = {0};
		vg_es_kind k = vg_es_route_of(cases[i].method, cases[i].path, NOW, &r, &body);
		if (k != cases[i].kind || r.kind != k)
			fail_msg("case %zu (%s %s): kind %d", i, cases[i].method, cases[i].path, k);
		if (k == VG_ES_ANSWER) {
			if (r.status != cases[i].status || !has(&body, cases[i].needle))
				fail_msg("case %zu (%s %s): %u %.*s", i, cases[i].method, cases[i].path,
					 r.status, (int)body.len, (const char *)body.p);
			json_ok(&body);
			assert_string_equal(r.ctype, VG_ES_JSON);
		} else {
			assert_int_equal(body.len, 0);
		}
		vg_buf_free(&body);
	}
	vg_es_route r;
	vg_buf body = {0};
	assert_int_equal(vg_es_route_of("POST", "/filebeat-8.11.0/_bulk", NOW, &r, &body), VG_ES_BULK);
	assert_int_equal(r.index_len, 15);
	assert_memory_equal(r.index, "filebeat-8.11.0", 15);
	assert_int_equal(vg_es_route_of("GET", "/_cat/health", NOW, &r, &body), VG_ES_ANSWER);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.ctype, "text/plain; charset=UTF-8");
	assert_true(has(&body, "1700000000 22:13:20 vigil green"));
	vg_buf_free(&body);
}

/* filter_path forms. */
static void test_filter_path(void **st)
{
	(void)st;
	static const char body[] = "{\"index\":{\"_index\":\"a\",\"_id\":\"1\"}}\n{}\n"
				   "{\"delete\":{\"_index\":\"a\",\"_id\":\"2\"}}\n";
	static const struct {
		const char *fp, *want;
	} cases[] = {
		{"took", "{\"took\":3}"},
		{"errors", "{\"errors\":true}"},
		{"items.*._id", "{\"items\":[{\"index\":{\"_id\":\"1\"}},{\"delete\":{\"_id\":\"2\"}}]}"},
		{"items.*.error", "{\"items\":[{\"delete\":{\"error\":{\"type\":\"illegal_argument_exception\","
				  "\"reason\":\"vigil stores log events and does not delete them: the delete "
				  "action is not supported\"}}}]}"},
		{"nothing.here", "{}"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		bulk t;
		run(&t, body, NULL, cases[i].fp);
		text_is(&t.out, cases[i].want);
		done(&t);
	}
}

/* The error document itself. */
static void test_error_doc(void **st)
{
	(void)st;
	vg_buf out = {0};
	vg_es_error(&out, 429, "es_rejected_execution_exception", "the writer's queue is full");
	json_ok(&out);
	text_is(&out, "{\"error\":{\"root_cause\":[{\"type\":\"es_rejected_execution_exception\","
		      "\"reason\":\"the writer's queue is full\"}],\"type\":\"es_rejected_execution_"
		      "exception\",\"reason\":\"the writer's queue is full\"},\"status\":429}");
	vg_buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filebeat),
		cmocka_unit_test(test_rsyslog),
		cmocka_unit_test(test_other_shippers),
		cmocka_unit_test(test_index_and_ids),
		cmocka_unit_test(test_update_delete),
		cmocka_unit_test(test_bad_documents),
		cmocka_unit_test(test_many_errors),
		cmocka_unit_test(test_odd_bytes),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_filter_path),
		cmocka_unit_test(test_error_doc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
