/*
 * proto_es.c — the Elasticsearch API as shippers use it (proto.h).
 *
 * Which version vigil claims. The version document says 8.17.0, and the
 * product header goes with every answer, because of what shippers check:
 *  - Filebeat 8.0 to 8.12 refuse an Elasticsearch older than themselves
 *    ("Elasticsearch is too old", unless allow_older_versions), so the
 *    version must be at least theirs; Filebeat 7.17 accepts 8.x, and older
 *    7.x Beats only read the major version to leave out `_type`.
 *  - Logstash's output accepts a 7.14+ server only when the answer carries
 *    `X-Elastic-Product: Elasticsearch`; below 7.14 it wants build_flavor
 *    "default" and the tagline "You Know, for Search" instead. Both are
 *    given, whatever the version.
 *  - Vector reads version.number's major to pick its bulk format (8: no
 *    `_type`) and checks GET /_cluster/health for a 200; Fluent Bit and
 *    syslog-ng read nothing; rsyslog's omelasticsearch probes the server
 *    (HEAD / in old releases, GET /_cat/health in newer ones) for a 200.
 * A 7.x claim would make Filebeat 8 refuse to start; 8.x costs nothing
 * with 7.x shippers. Beats 9 will want a 9.x server: that is a one-line
 * change here when they are common.
 *
 * Set-up calls. At start Beats and Logstash ask whether their index
 * template, ILM policy, ingest pipeline or write alias exists (HEAD or GET)
 * and create it (PUT) when it does not. vigil stores events whatever their
 * mapping, so it keeps none of these: it answers "not found" to every
 * question and "acknowledged" to every creation, which is what a fresh
 * cluster does, so every shipper takes its ordinary first-start path.
 * /_license says basic and active (Logstash warns otherwise), /_xpack says
 * ILM is available (Filebeat 7 then writes to its alias, filebeat-7.17.0,
 * rather than to a new index per day).
 *
 * The bulk API. A body is NDJSON: an action line, then for index, create
 * and update a source line. The request is read in two passes:
 *  1. the action lines are checked and paired with their documents. A
 *     line that is not an action, or an action without its document,
 *     makes the pairing of everything after it uncertain, so ES refuses
 *     the whole request, and so does vigil: status 400, nothing appended;
 *  2. each document becomes an event: group from its index (proto.c's
 *     group names, daily suffixes dropped), the JSON flattened as the json
 *     format does, time from @timestamp, timestamp or time (ISO-8601 or an
 *     epoch number), else the ingest time; the raw message is the document
 *     line.
 * update and delete are refused per item (400 illegal_argument_exception):
 * a log store does not change or remove what it was given. A document that
 * is not a JSON object is refused per item as ES refuses it (400
 * mapper_parsing_exception) *and* kept as a raw event with `_parse_error`,
 * because losing a log line is worse than a warning in the shipper's log.
 * Filebeat, Vector and Logstash do not send a 400 item again (Fluent Bit
 * retries a batch only when no item succeeded), so this does not store
 * twice in practice. Missing index (POST /_bulk with {"index":{}}): group
 * "es".
 *
 * Answers follow ES's shape item by item, in request order; `_id`s the
 * client did not give are made from the time, the request's seed and the
 * item number (20 characters of base64url, like ES's). filter_path is
 * honoured for the forms shippers use (took, errors, items,
 * items.*.<key>).
 */
#include "server/proto.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/jsonflat.h"
#include "parse/parse.h"
#include "util/timeutil.h"

#define CLUSTER "vigil"
#define CLUSTER_UUID "dmlnaWwtc2luZ2xlLW5vZGU"
#define BUILD_DATE "2024-12-11T12:08:05.663969764Z"
#define DEFAULT_GROUP "es"

/* Item errors: ES's type, and a reason that is either stored with the
 * item (the details of a document that did not parse, for the first
 * MAX_REASONS of a request) or implied by the kind, so that a request of
 * a million bad items does not hold a million messages. */
enum { ET_NONE, ET_MAPPER, ET_EMPTY, ET_UNSUPPORTED };
static const char *const etypes[] = {"", "mapper_parsing_exception", "mapper_parsing_exception",
				     "illegal_argument_exception"};
#define MAX_REASONS 1000
#define KEPT " (vigil kept the document as a raw event with _parse_error)"
static const char *const actions[] = {"index", "create", "update", "delete"};

/* ================================================================ answers */

void vg_es_error(vg_buf *out, unsigned status, const char *type, const char *reason)
{
	size_t rl = strlen(reason);
	vg_buf_puts(out, "{\"error\":{\"root_cause\":[{\"type\":");
	vg_proto_json_str(out, type, strlen(type));
	vg_buf_puts(out, ",\"reason\":");
	vg_proto_json_str(out, reason, rl);
	vg_buf_puts(out, "}],\"type\":");
	vg_proto_json_str(out, type, strlen(type));
	vg_buf_puts(out, ",\"reason\":");
	vg_proto_json_str(out, reason, rl);
	vg_buf_printf(out, "},\"status\":%u}", status);
}

/* The version document of GET /. */
static void version_doc(vg_buf *out)
{
	vg_buf_puts(out, "{\"name\":\"" CLUSTER "\",\"cluster_name\":\"" CLUSTER
			 "\",\"cluster_uuid\":\"" CLUSTER_UUID "\",\"version\":{\"number\":\"" VG_ES_VERSION
			 "\",\"build_flavor\":\"default\",\"build_type\":\"tar\",\"build_hash\":\"vigil\","
			 "\"build_date\":\"" BUILD_DATE "\",\"build_snapshot\":false,"
			 "\"lucene_version\":\"9.12.0\",\"minimum_wire_compatibility_version\":\"7.17.0\","
			 "\"minimum_index_compatibility_version\":\"7.0.0\"},"
			 "\"tagline\":\"You Know, for Search\"}");
}

static void license_doc(vg_buf *out)
{
	vg_buf_puts(out, "{\"license\":{\"status\":\"active\",\"uid\":\"00000000-0000-0000-0000-"
			 "00000000a1b2\",\"type\":\"basic\",\"issue_date\":\"2024-01-01T00:00:00.000Z\","
			 "\"issue_date_in_millis\":1704067200000,\"max_nodes\":1000,"
			 "\"max_resource_units\":null,\"issued_to\":\"" CLUSTER "\","
			 "\"issuer\":\"elasticsearch\",\"start_date_in_millis\":-1}}");
}

static void xpack_doc(vg_buf *out)
{
	vg_buf_puts(out, "{\"build\":{\"hash\":\"vigil\",\"date\":\"" BUILD_DATE "\"},"
			 "\"license\":{\"uid\":\"00000000-0000-0000-0000-00000000a1b2\","
			 "\"type\":\"basic\",\"mode\":\"basic\",\"status\":\"active\"},"
			 "\"features\":{\"ilm\":{\"available\":true,\"enabled\":true},"
			 "\"security\":{\"available\":true,\"enabled\":false},"
			 "\"monitoring\":{\"available\":true,\"enabled\":false}},"
			 "\"tagline\":\"You know, for X\"}");
}

static void health_doc(vg_buf *out)
{
	vg_buf_puts(out, "{\"cluster_name\":\"" CLUSTER "\",\"status\":\"green\",\"timed_out\":false,"
			 "\"number_of_nodes\":1,\"number_of_data_nodes\":1,\"active_primary_shards\":0,"
			 "\"active_shards\":0,\"relocating_shards\":0,\"initializing_shards\":0,"
			 "\"unassigned_shards\":0,\"delayed_unassigned_shards\":0,"
			 "\"number_of_pending_tasks\":0,\"number_of_in_flight_fetch\":0,"
			 "\"task_max_waiting_in_queue_millis\":0,"
			 "\"active_shards_percent_as_number\":100.0}");
}

static void nodes_doc(vg_buf *out)
{
	vg_buf_puts(out, "{\"_nodes\":{\"total\":1,\"successful\":1,\"failed\":0},\"cluster_name\":\"" CLUSTER
			 "\",\"nodes\":{\"dmlnaWwtbm9kZQ\":{\"name\":\"" CLUSTER "\",\"version\":\"" VG_ES_VERSION
			 "\",\"build_flavor\":\"default\",\"roles\":[\"data\",\"ingest\",\"master\"]}}}");
}

/* The text line of GET /_cat/health. */
static void cat_health(vg_buf *out, int64_t now_ns)
{
	int64_t s = now_ns / VG_NS_PER_SEC, sod = ((s % 86400) + 86400) % 86400;
	vg_buf_printf(out, "%lld %02d:%02d:%02d " CLUSTER " green 1 1 0 0 0 0 0 0 - 100.0%%\n",
		      (long long)s, (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60));
}

static int method_is(const char *m, const char *want)
{
	return strcmp(m, want) == 0;
}

static int reads(const char *m)
{
	return method_is(m, "GET") || method_is(m, "HEAD");
}

static int writes(const char *m)
{
	return method_is(m, "PUT") || method_is(m, "POST") || method_is(m, "DELETE");
}

/* Set r to answer status with a JSON body. */
static vg_es_kind answer(vg_es_route *r, unsigned status)
{
	r->kind = VG_ES_ANSWER;
	r->status = status;
	r->ctype = VG_ES_JSON;
	return r->kind;
}

/* ES's "no handler" answer for an unknown API path. */
static vg_es_kind no_handler(vg_es_route *r, const char *method, const char *path, vg_buf *body)
{
	vg_buf_puts(body, "{\"error\":");
	vg_buf tmp = {0};
	vg_buf_printf(&tmp, "no handler found for uri [%s] and method [%s]", path, method);
	vg_proto_json_str(body, (const char *)tmp.p, tmp.len);
	vg_buf_free(&tmp);
	vg_buf_puts(body, ",\"status\":400}");
	return answer(r, 400);
}

/* ES's 405 for a known path and a method it does not take. */
static vg_es_kind bad_method(vg_es_route *r, const char *method, const char *path,
			     const char *allowed, vg_buf *body)
{
	vg_buf_puts(body, "{\"error\":");
	vg_buf tmp = {0};
	vg_buf_printf(&tmp, "Incorrect HTTP method for uri [%s] and method [%s], allowed: [%s]",
		      path, method, allowed);
	vg_proto_json_str(body, (const char *)tmp.p, tmp.len);
	vg_buf_free(&tmp);
	vg_buf_puts(body, ",\"status\":405}");
	return answer(r, 405);
}

/* A named set-up resource (template, policy, pipeline, alias, index): not
 * found to questions, acknowledged to changes. what is ES's name for it in
 * the 404 reason. */
static vg_es_kind resource(vg_es_route *r, const char *method, const char *name,
			   const char *type, const char *what, vg_buf *body)
{
	if (writes(method)) {
		vg_buf_puts(body, "{\"acknowledged\":true}");
		return answer(r, 200);
	}
	vg_buf tmp = {0};
	vg_buf_printf(&tmp, "%s [%s] not found", what, name);
	vg_es_error(body, 404, type, (const char *)tmp.p);
	vg_buf_free(&tmp);
	return answer(r, 404);
}

/* The empty listing of a set-up resource kind (GET without a name). */
static vg_es_kind listing(vg_es_route *r, const char *method, const char *path,
			  const char *empty, vg_buf *body)
{
	if (!reads(method))
		return bad_method(r, method, path, "GET", body);
	vg_buf_puts(body, empty);
	return answer(r, 200);
}

/* 1 if path starts with prefix and the rest is empty or a name of its
 * own (one or more segments); *rest gets the rest without its slash. */
static int under(const char *path, const char *prefix, const char **rest)
{
	size_t n = strlen(prefix);
	if (strncmp(path, prefix, n) != 0 || (path[n] != 0 && path[n] != '/'))
		return 0;
	*rest = path[n] == '/' ? path + n + 1 : path + n;
	return 1;
}

/* The set-up resource kinds: path prefix, ES error type, the words of
 * the 404 reason, the empty listing. */
static const struct kindinfo {
	const char *prefix, *type, *what, *empty;
} kinds[] = {
	{"/_index_template", "resource_not_found_exception", "index template matching",
	 "{\"index_templates\":[]}"},
	{"/_component_template", "resource_not_found_exception", "component template matching",
	 "{\"component_templates\":[]}"},
	{"/_template", "resource_not_found_exception", "index_template", "{}"},
	{"/_ilm/policy", "resource_not_found_exception", "Lifecycle policy not found:", "{}"},
	{"/_ingest/pipeline", "resource_not_found_exception", "pipeline", "{}"},
	{"/_data_stream", "index_not_found_exception", "no such index", "{\"data_streams\":[]}"},
	{"/_alias", "aliases_not_found_exception", "aliases", "{}"},
};

/* Paths under /_ (ES's own namespace). */
static vg_es_kind api_path(const char *method, const char *path, int64_t now_ns, vg_es_route *r,
			   vg_buf *body)
{
	const char *rest;
	if (strcmp(path, "/_bulk") == 0) {
		if (!method_is(method, "POST") && !method_is(method, "PUT"))
			return bad_method(r, method, path, "POST, PUT", body);
		r->kind = VG_ES_BULK;
		return r->kind;
	}
	for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
		if (!under(path, kinds[k].prefix, &rest))
			continue;
		if (*rest == 0)
			return listing(r, method, path, kinds[k].empty, body);
		return resource(r, method, rest, kinds[k].type, kinds[k].what, body);
	}
	if (strcmp(path, "/_license") == 0 || strcmp(path, "/_xpack") == 0 ||
	    under(path, "/_cluster/health", &rest) || under(path, "/_nodes", &rest) ||
	    under(path, "/_cat", &rest)) {
		if (!reads(method))
			return bad_method(r, method, path, "GET", body);
		if (strcmp(path, "/_license") == 0)
			license_doc(body);
		else if (strcmp(path, "/_xpack") == 0)
			xpack_doc(body);
		else if (strncmp(path, "/_cluster", 9) == 0)
			health_doc(body);
		else if (strncmp(path, "/_nodes", 7) == 0)
			nodes_doc(body);
		else if (strcmp(path, "/_cat/health") == 0)
			cat_health(body, now_ns);
		answer(r, 200);
		if (strncmp(path, "/_cat", 5) == 0)
			r->ctype = "text/plain; charset=UTF-8";
		return r->kind;
	}
	if (strcmp(path, "/_aliases") == 0 && writes(method)) {
		vg_buf_puts(body, "{\"acknowledged\":true}");
		return answer(r, 200);
	}
	return no_handler(r, method, path, body);
}

/* A path of one index segment (or a date-math name <...> that may hold
 * slashes): HEAD says it does not exist, PUT creates it. */
static vg_es_kind index_path(const char *method, const char *path, vg_es_route *r, vg_buf *body)
{
	const char *name = path + 1;
	if (method_is(method, "PUT")) {
		vg_buf_puts(body, "{\"acknowledged\":true,\"shards_acknowledged\":true,\"index\":");
		vg_proto_json_str(body, name, strlen(name));
		vg_buf_putc(body, '}');
		return answer(r, 200);
	}
	vg_buf tmp = {0};
	vg_buf_printf(&tmp, "no such index [%s]", name);
	vg_es_error(body, 404, "index_not_found_exception", (const char *)tmp.p);
	vg_buf_free(&tmp);
	return answer(r, 404);
}

vg_es_kind vg_es_route_of(const char *method, const char *path, int64_t now_ns, vg_es_route *r,
			  vg_buf *body)
{
	memset(r, 0, sizeof *r);
	if (path == NULL || path[0] != '/' || method == NULL)
		return VG_ES_NOT_MINE;
	if (path[1] == 0) {
		if (!reads(method))
			return bad_method(r, method, path, "HEAD, GET", body);
		version_doc(body);
		return answer(r, 200);
	}
	if (path[1] == '_')
		return api_path(method, path, now_ns, r, body);
	const char *slash = strchr(path + 1, '/');
	if (slash && strcmp(slash, "/_bulk") == 0 && slash > path + 1) {
		if (!method_is(method, "POST") && !method_is(method, "PUT"))
			return bad_method(r, method, path, "POST, PUT", body);
		r->kind = VG_ES_BULK;
		r->index = path + 1;
		r->index_len = (size_t)(slash - (path + 1));
		return r->kind;
	}
	size_t n = strlen(path);
	int datemath = path[1] == '<' && path[n - 1] == '>';
	if ((slash == NULL || datemath) && (method_is(method, "HEAD") || method_is(method, "PUT")))
		return index_path(method, path, r, body);
	return VG_ES_NOT_MINE;
}

/* ============================================================= bulk: items */

void vg_es_bulk_init(vg_es_bulk *r)
{
	memset(r, 0, sizeof *r);
	r->status = 200;
}

void vg_es_bulk_free(vg_es_bulk *r)
{
	free(r->items);
	vg_strtab_free(&r->indexes);
	vg_buf_free(&r->strs);
	memset(r, 0, sizeof *r);
}

/* Append a new item for the action on line `line`. */
static vg_es_item *new_item(vg_es_bulk *r, uint8_t action, size_t line)
{
	vg_grow(&r->items, &r->capitems, r->nitems + 1, sizeof *r->items);
	vg_es_item *it = &r->items[r->nitems++];
	*it = (vg_es_item){.line = line > UINT32_MAX ? UINT32_MAX : (uint32_t)line,
			   .index = UINT32_MAX, .id_off = UINT32_MAX, .err_off = UINT32_MAX,
			   .status = 201, .action = action};
	return it;
}

/* Refuse item it with status 400 and an error of kind etype; reason
 * (may be NULL) is its stored reason. */
static void item_error(vg_es_bulk *r, vg_es_item *it, uint8_t etype, const char *reason)
{
	it->status = 400;
	it->etype = etype;
	r->errors = 1;
	if (reason == NULL || r->nreasons >= MAX_REASONS)
		return;
	r->nreasons++;
	it->err_off = (uint32_t)r->strs.len;
	it->err_len = (uint32_t)strlen(reason);
	vg_buf_put(&r->strs, reason, it->err_len);
}

/* Append the reason of failed item it. */
static void item_reason(const vg_es_bulk *r, const vg_es_item *it, vg_buf *out)
{
	vg_buf tmp = {0};
	const char *s;
	size_t n;
	if (it->err_off != UINT32_MAX) {
		s = (const char *)r->strs.p + it->err_off;
		n = it->err_len;
	} else {
		if (it->etype == ET_EMPTY)
			vg_buf_puts(&tmp, "failed to parse, document is empty");
		else if (it->etype == ET_UNSUPPORTED)
			vg_buf_printf(&tmp, "vigil stores log events and does not %s them: the %s "
				      "action is not supported",
				      it->action == VG_ES_UPDATE ? "change" : "delete",
				      actions[it->action]);
		else
			vg_buf_puts(&tmp, "failed to parse: not a JSON object" KEPT);
		s = (const char *)tmp.p;
		n = tmp.len;
	}
	vg_proto_json_str(out, s, n);
	vg_buf_free(&tmp);
}

/* Refuse the whole request: ES's status, type and reason; every item
 * read so far is forgotten. Returns VG_EINVAL. */
static int refuse(vg_es_bulk *r, const char *etype, int64_t pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int refuse(vg_es_bulk *r, const char *etype, int64_t pos, const char *fmt, ...)
{
	char msg[sizeof r->err.msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	r->nitems = 0;
	r->errors = 0;
	r->status = 400;
	r->etype = etype;
	return vg_seterr(&r->err, VG_EINVAL, pos, "%s", msg);
}

/* ============================================================= bulk: pass 1 */

/* The document line of each item: [s, e), or s == SIZE_MAX for none. */
typedef struct span {
	size_t s, e;
} span;

/* A bulk body being paired. */
typedef struct pairing {
	vg_es_bulk *r;
	const char *s;
	size_t n, pos;
	size_t lineno;
	span *docs;
	size_t capdocs;
	vg_buf scratch;
} pairing;

/* The next line: [*ls, *le) without its LF and a CR before it. Returns 0
 * at the end of the body. */
static int take_line(pairing *pr, size_t *ls, size_t *le)
{
	if (pr->pos >= pr->n)
		return 0;
	const char *nl = memchr(pr->s + pr->pos, '\n', pr->n - pr->pos);
	size_t end = nl ? (size_t)(nl - pr->s) : pr->n;
	*ls = pr->pos;
	*le = end;
	if (*le > *ls && pr->s[*le - 1] == '\r')
		(*le)--;
	pr->pos = nl ? end + 1 : pr->n;
	pr->lineno++;
	return 1;
}

/* ES's name for the JSON token a value starts with. */
static const char *token_name(char c)
{
	switch (c) {
	case '{': return "START_OBJECT";
	case '[': return "START_ARRAY";
	case '"': return "VALUE_STRING";
	case 't': case 'f': return "VALUE_BOOLEAN";
	case 'n': return "VALUE_NULL";
	default: return "VALUE_NUMBER";
	}
}

/* 1 if c can start a JSON value other than an object. */
static int value_start(char c)
{
	return c == '[' || c == '"' || c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f' ||
	       c == 'n';
}

/* Store the value v (a string or a number) of an action's _index or _id:
 * decoded into pr->scratch. Returns 0, or refuses the request for a
 * value that is not simple. null is left absent (*have = 0). */
static int simple_value(pairing *pr, vg_jspan v, const char *field, int *have)
{
	const char *s = pr->s;
	char c = s[v.start];
	vg_err err;
	*have = 0;
	pr->scratch.len = 0;
	if (c == 'n')
		return 0;
	if (c == '{' || c == '[' || c == 't' || c == 'f')
		return refuse(pr->r, "illegal_argument_exception", (int64_t)v.start,
			      "Malformed action/metadata line [%zu], expected a simple value for "
			      "field [%s] but found [%s]", pr->lineno, field, token_name(c));
	if (c == '"')
		vg_json_string(s, v.end, v.start, &pr->scratch, &err);
	else
		vg_buf_put(&pr->scratch, s + v.start, v.end - v.start);
	*have = 1;
	return 0;
}

/* Read the metadata object of an action (at s[m]) into item it. */
static int action_meta(pairing *pr, vg_jspan m, vg_es_item *it)
{
	static const char *const names[] = {"_index", "_id"};
	vg_jspan vals[2];
	vg_err err;
	vg_es_bulk *r = pr->r;
	if (vg_json_members(pr->s, m.end, m.start, names, 2, vals, &err) < 0)
		return refuse(r, "x_content_parse_exception", err.pos,
			      "Malformed action/metadata line [%zu]: %s", pr->lineno, err.msg);
	int have;
	if (vg_jspan_ok(vals[0])) {
		if (simple_value(pr, vals[0], "_index", &have) < 0)
			return VG_EINVAL;
		if (have)
			it->index = vg_strtab_intern(&r->indexes, (const char *)pr->scratch.p,
						     pr->scratch.len);
	}
	if (vg_jspan_ok(vals[1])) {
		if (simple_value(pr, vals[1], "_id", &have) < 0)
			return VG_EINVAL;
		if (have && pr->scratch.len > 0) {
			it->id_off = (uint32_t)r->strs.len;
			it->id_len = (uint32_t)pr->scratch.len;
			vg_buf_put(&r->strs, pr->scratch.p, pr->scratch.len);
		}
	}
	return 0;
}

/* Read the action line [ls, le) (not blank). Returns its VG_ES_* action
 * and fills the new item, or refuses the request. */
static int action_line(pairing *pr, size_t ls, size_t le, vg_es_item **out)
{
	vg_es_bulk *r = pr->r;
	const char *s = pr->s;
	size_t p = vg_json_ws(s, le, ls), lno = pr->lineno;
	vg_err err;
	vg_jspan v, k, m;
	if (vg_json_skip(s, le, p, &v, &err) < 0)
		return refuse(r, "x_content_parse_exception", err.pos,
			      "Malformed action/metadata line [%zu]: %s", lno, err.msg);
	if (s[p] != '{')
		return refuse(r, "illegal_argument_exception", (int64_t)p,
			      "Malformed action/metadata line [%zu], expected START_OBJECT but found [%s]",
			      lno, token_name(s[p]));
	size_t after = vg_json_ws(s, le, v.end);
	if (after < le)
		return refuse(r, "illegal_argument_exception", (int64_t)after,
			      "Malformed action/metadata line [%zu], unexpected data after the action "
			      "object at byte %zu", lno, after);
	vg_json_it it;
	vg_json_it_init(&it, s, le, p, &err);
	if (vg_json_it_next(&it, &k, &m, &err) <= 0)
		return refuse(r, "illegal_argument_exception", (int64_t)p,
			      "Malformed action/metadata line [%zu], expected FIELD_NAME but found "
			      "[END_OBJECT]", lno);
	int action = -1;
	for (int a = 0; a < 4; a++)
		if (vg_json_key_eq(s, k, actions[a]))
			action = a;
	if (action < 0)
		return refuse(r, "illegal_argument_exception", (int64_t)k.start,
			      "Malformed action/metadata line [%zu], expected field [create], [delete], "
			      "[index] or [update] but found [%.*s]", lno,
			      (int)(k.end - k.start < 100 ? k.end - k.start : 100), s + k.start);
	if (s[m.start] != '{')
		return refuse(r, "illegal_argument_exception", (int64_t)m.start,
			      "Malformed action/metadata line [%zu], expected START_OBJECT but found [%s]",
			      lno, token_name(s[m.start]));
	if (vg_json_it_next(&it, &k, &v, &err) != 0)
		return refuse(r, "illegal_argument_exception", (int64_t)k.start,
			      "Malformed action/metadata line [%zu], expected END_OBJECT but found "
			      "[FIELD_NAME]", lno);
	vg_es_item *item = new_item(r, (uint8_t)action, lno);
	if (action_meta(pr, m, item) < 0)
		return VG_EINVAL;
	*out = item;
	return action;
}

/* Pass 1: pair every action with its document. Returns 0 or refuses. */
static int pair_all(pairing *pr)
{
	size_t ls, le;
	while (take_line(pr, &ls, &le)) {
		if (vg_json_ws(pr->s, le, ls) >= le)
			continue;
		vg_es_item *it = NULL;
		size_t alno = pr->lineno;
		int action = action_line(pr, ls, le, &it);
		if (action < 0)
			return action;
		span doc = {SIZE_MAX, SIZE_MAX};
		if (action != VG_ES_DELETE) {
			if (!take_line(pr, &doc.s, &doc.e))
				return refuse(pr->r, "illegal_argument_exception", (int64_t)pr->n,
					      "The %s action on line [%zu] has no document: the "
					      "request ends after it", actions[action], alno);
		}
		vg_grow(&pr->docs, &pr->capdocs, pr->r->nitems, sizeof *pr->docs);
		pr->docs[pr->r->nitems - 1] = doc;
	}
	if (pr->r->nitems == 0) {
		if (pr->n == 0)
			return refuse(pr->r, "parse_exception", -1, "request body is required");
		return refuse(pr->r, "action_request_validation_exception", -1,
			      "Validation Failed: 1: no requests added;");
	}
	return 0;
}

/* ============================================================= bulk: pass 2 */

static const char *const time_keys[] = {"@timestamp", "timestamp", "time"};
#define NTIME (sizeof time_keys / sizeof *time_keys)

/* What pass 2 keeps from item to item. */
typedef struct storing {
	vg_es_bulk *r;
	vg_batch *b;
	vg_jflat jf;
	const vg_es_opts *o;
	uint32_t url_index;     /* the path's index in r->indexes, or UINT32_MAX */
	uint32_t last_index;    /* the group of the last index seen */
	uint32_t last_group;
} storing;

/* The group of item it (the first group of a run of equal indexes is
 * looked up, the others reuse it). */
static uint32_t item_group(storing *st, vg_es_item *it)
{
	if (it->index == UINT32_MAX)
		it->index = st->url_index;
	if (it->index == UINT32_MAX)
		return vg_batch_group(st->b, DEFAULT_GROUP, sizeof DEFAULT_GROUP - 1);
	if (it->index != st->last_index) {
		size_t len;
		const char *name = vg_strtab_get(&st->r->indexes, it->index, &len);
		st->last_group = vg_proto_group(st->b, name, len, 1, DEFAULT_GROUP);
		st->last_index = it->index;
	}
	return st->last_group;
}

/* A raw event for a document that is not a JSON object, and the item's
 * error saying so. */
static void keep_raw(storing *st, vg_es_item *it, uint32_t g, const char *raw, size_t n,
		     const char *why)
{
	char msg[600];
	snprintf(msg, sizeof msg, "not a JSON object: %s", why);
	vg_ev_begin(st->b, g, st->o->now_ns, raw, n);
	vg_ev_parse_error(st->b, msg);
	vg_ev_end(st->b);
	st->r->events++;
	st->r->parse_errors++;
	char reason[700];
	snprintf(reason, sizeof reason, "failed to parse: %s" KEPT, why);
	item_error(st->r, it, ET_MAPPER, reason);
}

/* The event time of the flattened document at s, else now. */
static int64_t doc_time(const vg_jflat *jf, const char *s, int64_t now)
{
	int64_t ns;
	for (size_t i = 0; i < NTIME; i++)
		if (vg_json_time(s, jf->watch[i], &ns))
			return ns;
	return now;
}

/* The document line [ls, le) of item it: one event. */
static void store_doc(storing *st, vg_es_item *it, const char *s, size_t ls, size_t le)
{
	uint32_t g = item_group(st, it);
	size_t p = vg_json_ws(s, le, ls), e = le;
	char why[560];
	while (e > p && (s[e - 1] == ' ' || s[e - 1] == '\t'))
		e--;
	if (p >= e) {
		item_error(st->r, it, ET_EMPTY, NULL);
		return;
	}
	if (s[p] != '{') {
		snprintf(why, sizeof why, "the document on line [%zu] starts with %s", (size_t)it->line + 1,
			 value_start(s[p]) ? vg_json_kind(s[p]) : "text");
		keep_raw(st, it, g, s + p, e - p, why);
		return;
	}
	vg_err err = {0};
	size_t end = 0;
	vg_ev_begin(st->b, g, st->o->now_ns, s + p, e - p);
	int rc = vg_jflat_value(&st->jf, st->b, s, e, p, NULL, &end, &err);
	if (rc == 0 && end < e)
		rc = vg_seterr(&err, VG_EINVAL, (int64_t)end,
			       "trailing data after the JSON object at byte %zu", end);
	if (rc < 0) {
		vg_ev_abort(st->b);
		keep_raw(st, it, g, s + p, e - p, err.msg);
		return;
	}
	vg_ev_settime(st->b, doc_time(&st->jf, s, st->o->now_ns));
	vg_ev_end(st->b);
	st->r->events++;
}

/* Pass 2: every item's outcome, and the events of its document. */
static void store_all(storing *st, const char *s, const span *docs)
{
	vg_es_bulk *r = st->r;
	for (size_t i = 0; i < r->nitems; i++) {
		vg_es_item *it = &r->items[i];
		if (it->action == VG_ES_UPDATE || it->action == VG_ES_DELETE) {
			item_error(r, it, ET_UNSUPPORTED, NULL);
			if (it->index == UINT32_MAX)
				it->index = st->url_index;
			continue;
		}
		store_doc(st, it, s, docs[i].s, docs[i].e);
	}
}

int vg_es_bulk_decode(vg_es_bulk *r, vg_batch *b, const char *body, size_t len,
		      const vg_es_opts *o)
{
	r->now_ns = o->now_ns;
	r->id_seed = o->id_seed;
	pairing pr = {.r = r, .s = body, .n = len};
	int rc = pair_all(&pr);
	if (rc == 0) {
		storing st = {.r = r, .b = b, .o = o, .url_index = UINT32_MAX,
			      .last_index = UINT32_MAX};
		if (o->index && o->index_len > 0)
			st.url_index = vg_strtab_intern(&r->indexes, o->index, o->index_len);
		vg_jflat_init(&st.jf);
		for (size_t i = 0; i < NTIME; i++)
			vg_jflat_watch(&st.jf, time_keys[i]);
		store_all(&st, body, pr.docs);
		vg_jflat_free(&st.jf);
	}
	free(pr.docs);
	vg_buf_free(&pr.scratch);
	return rc;
}

/* ============================================================ bulk: answer */

/* What filter_path keeps. */
typedef struct keep {
	int took, errors, items;
	unsigned item;      /* bit per key of an item (item_keys) */
} keep;

static const char *const item_keys[] = {"_index", "_id", "_version", "result", "_shards",
					"_seq_no", "_primary_term", "status", "error"};
#define NKEYS (sizeof item_keys / sizeof *item_keys)
enum { K_INDEX, K_ID, K_VERSION, K_RESULT, K_SHARDS, K_SEQNO, K_TERM, K_STATUS, K_ERROR };

/* Read a filter_path such as "errors,items.*.error,items.*.status". */
static keep read_filter(const char *fp)
{
	keep k = {0};
	if (fp == NULL || *fp == 0)
		return (keep){1, 1, 1, ~0u};
	while (*fp) {
		size_t n = strcspn(fp, ",");
		char part[64];
		size_t m = n < sizeof part - 1 ? n : sizeof part - 1;
		memcpy(part, fp, m);
		part[m] = 0;
		if (strcmp(part, "took") == 0 || strcmp(part, "*") == 0)
			k.took = 1;
		if (strcmp(part, "errors") == 0 || strcmp(part, "*") == 0)
			k.errors = 1;
		if (strcmp(part, "items") == 0 || strcmp(part, "*") == 0 ||
		    strcmp(part, "items.*") == 0 || strcmp(part, "items.*.*") == 0) {
			k.items = 1;
			k.item = ~0u;
		} else if (strncmp(part, "items.*.", 8) == 0) {
			for (size_t i = 0; i < NKEYS; i++)
				if (strcmp(part + 8, item_keys[i]) == 0) {
					k.items = 1;
					k.item |= 1u << i;
				}
		}
		fp += n;
		if (*fp == ',')
			fp++;
	}
	return k;
}

/* The generated _id of item i: 15 bytes (ms, seed, item) in base64url. */
static void gen_id(const vg_es_bulk *r, size_t i, char out[21])
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint8_t raw[15];
	uint64_t ms = (uint64_t)(r->now_ns / 1000000);
	for (int k = 0; k < 6; k++)
		raw[k] = (uint8_t)(ms >> (40 - 8 * k));
	for (int k = 0; k < 4; k++)
		raw[6 + k] = (uint8_t)(r->id_seed >> (24 - 8 * k));
	uint64_t n = i;
	for (int k = 0; k < 5; k++)
		raw[10 + k] = (uint8_t)(n >> (32 - 8 * k));
	for (int g = 0; g < 5; g++) {
		uint32_t v = (uint32_t)raw[3 * g] << 16 | (uint32_t)raw[3 * g + 1] << 8 | raw[3 * g + 2];
		for (int c = 0; c < 4; c++)
			out[4 * g + c] = b64[(v >> (18 - 6 * c)) & 63];
	}
	out[20] = 0;
}

/* Append `,"key":` (no comma for the first key of an object). */
static void key(vg_buf *out, int *first, const char *name)
{
	if (!*first)
		vg_buf_putc(out, ',');
	*first = 0;
	vg_buf_putc(out, '"');
	vg_buf_puts(out, name);
	vg_buf_puts(out, "\":");
}

/* The inner object of item i under filter k, appended to out; returns
 * the number of keys written. */
static int item_body(const vg_es_bulk *r, size_t i, const keep *k, vg_buf *out)
{
	const vg_es_item *it = &r->items[i];
	int first = 1, ok = it->status < 300, nk = 0;
	vg_buf_putc(out, '{');
	for (size_t kk = 0; kk < NKEYS; kk++) {
		if (!(k->item & (1u << kk)))
			continue;
		if (!ok && kk != K_INDEX && kk != K_ID && kk != K_STATUS && kk != K_ERROR)
			continue;
		if (ok && kk == K_ERROR)
			continue;
		key(out, &first, item_keys[kk]);
		nk++;
		size_t len;
		char id[21];
		const char *name;
		switch (kk) {
		case K_INDEX:
			name = it->index == UINT32_MAX ? DEFAULT_GROUP
						       : vg_strtab_get(&r->indexes, it->index, &len);
			vg_proto_json_str(out, name, it->index == UINT32_MAX ? strlen(name) : len);
			break;
		case K_ID:
			if (it->id_off != UINT32_MAX) {
				vg_proto_json_str(out, (const char *)r->strs.p + it->id_off, it->id_len);
			} else {
				gen_id(r, i, id);
				vg_proto_json_str(out, id, 20);
			}
			break;
		case K_VERSION: vg_buf_putc(out, '1'); break;
		case K_RESULT: vg_buf_puts(out, "\"created\""); break;
		case K_SHARDS: vg_buf_puts(out, "{\"total\":1,\"successful\":1,\"failed\":0}"); break;
		case K_SEQNO: vg_buf_printf(out, "%zu", i); break;
		case K_TERM: vg_buf_putc(out, '1'); break;
		case K_STATUS: vg_buf_printf(out, "%u", (unsigned)it->status); break;
		default:
			vg_buf_puts(out, "{\"type\":\"");
			vg_buf_puts(out, etypes[it->etype]);
			vg_buf_puts(out, "\",\"reason\":");
			item_reason(r, it, out);
			vg_buf_putc(out, '}');
		}
	}
	vg_buf_putc(out, '}');
	return nk;
}

/* The items array under filter k (items whose inner object is empty are
 * left out, as ES's filtering does). */
static void items_array(const vg_es_bulk *r, const keep *k, vg_buf *out)
{
	vg_buf_puts(out, "\"items\":[");
	int first = 1;
	for (size_t i = 0; i < r->nitems; i++) {
		size_t mark = out->len;
		if (!first)
			vg_buf_putc(out, ',');
		vg_buf_puts(out, "{\"");
		vg_buf_puts(out, actions[r->items[i].action]);
		vg_buf_puts(out, "\":");
		if (item_body(r, i, k, out) == 0) {
			out->len = mark;
			continue;
		}
		vg_buf_putc(out, '}');
		first = 0;
	}
	vg_buf_putc(out, ']');
}

unsigned vg_es_bulk_answer(const vg_es_bulk *r, int64_t took_ms, const char *filter_path,
			   vg_buf *out)
{
	if (r->status != 200) {
		vg_es_error(out, r->status, r->etype ? r->etype : "illegal_argument_exception",
			    r->err.msg);
		return r->status;
	}
	keep k = read_filter(filter_path);
	int first = 1;
	vg_buf_putc(out, '{');
	if (k.took) {
		key(out, &first, "took");
		vg_buf_printf(out, "%lld", (long long)(took_ms > 0 ? took_ms : 0));
	}
	if (k.errors) {
		key(out, &first, "errors");
		vg_buf_puts(out, r->errors ? "true" : "false");
	}
	if (k.items && r->nitems > 0) {
		if (!first)
			vg_buf_putc(out, ',');
		first = 0;
		items_array(r, &k, out);
	}
	vg_buf_putc(out, '}');
	return 200;
}
