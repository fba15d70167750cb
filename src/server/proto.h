/*
 * proto.h — the ingest protocols of `vigil server`: request bytes in,
 * events appended to a vg_batch, and the answer the original product
 * would give out.
 *
 *   proto.c         what the protocols share: Content-Encoding and gzip
 *                   bodies with a size cap, group names from client-chosen
 *                   names, JSON strings that strict parsers accept
 *   proto_es.c      Elasticsearch: the bulk API and the calls shippers make
 *                   when they start (version, license, templates ...)
 *   proto_hec.c     Splunk HTTP Event Collector: /event, /raw, /health
 *   proto_loki.c    Grafana Loki push API (JSON)
 *   proto_syslog.c  RFC 6587 framing of syslog over TCP, datagrams, and the
 *                   glue to the syslog parser
 *   proto_cfg.c     AWS Config items posted to /api/v1/config/items
 *
 * These are pure functions: no sockets, no threads, no global state. The
 * HTTP server reads a request, calls a decoder on the writer thread with
 * the memtable (a vg_batch), and after the commit renders the answer.
 *
 * Rules every decoder keeps:
 *  - It only appends events to the batch it is given, never reads or
 *    changes the events already there. When a protocol rejects a whole
 *    request (a malformed ES action line, a Loki body that is not a push
 *    request), it finds out before appending anything, so a 4xx answer
 *    always means "nothing of this request was stored".
 *  - Nothing is dropped silently: what does not parse becomes an event
 *    with `_parse_error`, or the answer names it (per-item errors of the
 *    bulk API, Splunk's invalid-event-number). Where the original product
 *    would refuse a document but vigil can keep it as raw text, vigil keeps
 *    it *and* answers as the product would (see each decoder).
 *  - Memory is bounded by the body (which the server bounds) and by
 *    constants here; any byte sequence is safe input.
 *
 * Ownership: the body is borrowed for the call; results (vg_es_bulk,
 * vg_framer, vg_syslog_msgs) own their memory until their *_free; answers
 * are appended to a vg_buf the caller owns. Field names follow the batch's
 * rules (batch.h): the batch copies everything.
 */
#ifndef VG_PROTO_H
#define VG_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "event/batch.h"
#include "util/err.h"
#include "util/mem.h"

/* ================================================================ common */

/* Longest group name made from a client-chosen name (index, label). */
#define VG_PROTO_GROUP_MAX 100

enum { VG_ENC_IDENTITY = 0, VG_ENC_GZIP = 1, VG_ENC_DEFLATE = 2 };

/* The encoding a Content-Encoding header value names (case-insensitive;
 * NULL, "" and "identity" are VG_ENC_IDENTITY; "gzip" and "x-gzip"
 * VG_ENC_GZIP; "deflate" VG_ENC_DEFLATE). Anything else, including a list
 * of several encodings, is VG_EINVAL with err saying what vigil accepts:
 * the server answers 415. */
int vg_proto_encoding(const char *header, vg_err *err);

/* Inflate the n bytes at in (enc: VG_ENC_GZIP, several members allowed,
 * or VG_ENC_DEFLATE, zlib-wrapped), appending at most max bytes to out.
 * Returns 0; VG_ELIMIT when the inflated body would be larger than max (a
 * decompression bomb looks like this: the server answers 413); VG_EINVAL
 * when the data is not valid (400). err says which, with the offset. */
int vg_proto_inflate(const void *in, size_t n, int enc, size_t max, vg_buf *out, vg_err *err);

/* A group name from a name a client chose, into out (VG_PROTO_GROUP_MAX
 * + 1 bytes, NUL-terminated); returns its length, 0 when nothing usable is
 * left. Bytes other than [A-Za-z0-9._/-] become '_', leading and trailing
 * '.', '_', '-' and '/' are dropped, and the name is cut at
 * VG_PROTO_GROUP_MAX bytes. With strip_date, a trailing rollover counter
 * (-000001) and a date (-2024.01.31, -2024.01, -2024-01-31, .2024.01.31)
 * are dropped first: daily indices of one source (logstash-2024.01.31,
 * filebeat-7.17.0-2024.01.31-000001) land in one group, as the store
 * already partitions every group by day. */
size_t vg_proto_group_name(const char *name, size_t n, int strip_date, char *out);

/* The batch's group id for a client-chosen name (as above), or for dflt
 * when the name is NULL or leaves nothing. */
uint32_t vg_proto_group(vg_batch *b, const char *name, size_t n, int strip_date,
			const char *dflt);

/* Append s as a JSON string literal; bytes that are not valid UTF-8 become
 * U+FFFD, so strict readers (Vector's serde) accept every answer. */
void vg_proto_json_str(vg_buf *out, const char *s, size_t n);

/* ========================================================= Elasticsearch */

/*
 * vigil answers as Elasticsearch 8.17.0 (proto_es.c explains the choice).
 * Every answer on an ES path must carry the header
 * `X-Elastic-Product: Elasticsearch`: Logstash (and the official clients)
 * refuse a server of version >= 7.14 without it.
 */
#define VG_ES_VERSION "8.17.0"
#define VG_ES_PRODUCT_HEADER "X-Elastic-Product"
#define VG_ES_PRODUCT "Elasticsearch"
#define VG_ES_JSON "application/json"

typedef enum {
	VG_ES_NOT_MINE = 0, /* not an ES API path: vigil's own routes decide */
	VG_ES_ANSWER,       /* answer status + ctype + the body appended */
	VG_ES_BULK,         /* a bulk request: decode the body (vg_es_bulk_*) */
} vg_es_kind;

typedef struct vg_es_route {
	vg_es_kind kind;
	unsigned status;
	const char *ctype;        /* VG_ES_JSON or text/plain */
	const char *index;        /* VG_ES_BULK: {index} of /{index}/_bulk (a slice */
	size_t index_len;         /* of path), or NULL for /_bulk */
} vg_es_route;

/* What `method path` (path without the query string) is in the ES API,
 * and for everything but a bulk request its answer, appended to body
 * (HEAD gets the GET body; the HTTP layer sends only its headers). Paths
 * that start with "/_" are all ES's (unknown ones get ES's 400 "no handler
 * found"); "/" answers the version document to GET and HEAD; a path of one
 * other segment is an index only for HEAD (404: vigil keeps no indices)
 * and PUT (acknowledged); everything else is VG_ES_NOT_MINE, so that
 * vigil's own pages keep their paths. A browser asking for "/" with
 * Accept: text/html wants the UI, not this: the caller checks first.
 * now_ns is the clock _cat/health prints. */
vg_es_kind vg_es_route_of(const char *method, const char *path, int64_t now_ns, vg_es_route *r,
			  vg_buf *body);

/* Append ES's error document {"error":{"root_cause":[..],"type":..,
 * "reason":..},"status":N}. */
void vg_es_error(vg_buf *out, unsigned status, const char *type, const char *reason);

enum { VG_ES_INDEX = 0, VG_ES_CREATE, VG_ES_UPDATE, VG_ES_DELETE };

/* One action of a bulk request and its outcome. */
typedef struct vg_es_item {
	uint32_t line;      /* its action line, from 1 */
	uint32_t index;     /* id of its index name in vg_es_bulk.indexes */
	uint32_t id_off;    /* its _id in vg_es_bulk.strs, or UINT32_MAX: */
	uint32_t id_len;    /* generated from the request's seed */
	uint32_t err_off;   /* the reason of an error in strs, or UINT32_MAX: */
	uint32_t err_len;   /* the reason its etype implies */
	uint16_t status;    /* 201, or 400 */
	uint8_t action;     /* VG_ES_* */
	uint8_t etype;      /* which error type (proto_es.c's table) */
} vg_es_item;

typedef struct vg_es_opts {
	int64_t now_ns;           /* ingest time: events without a time get it */
	uint64_t id_seed;         /* differs per request (a counter): generated
				   * _ids are (time, seed, item number) */
	const char *index;        /* the {index} of /{index}/_bulk, or NULL */
	size_t index_len;
} vg_es_opts;

typedef struct vg_es_bulk {
	unsigned status;          /* 200, or the whole request's error status */
	const char *etype;        /* the whole request's ES error type */
	vg_err err;               /* ... and its reason */
	vg_es_item *items;
	size_t nitems, capitems;
	int errors;               /* some item failed */
	uint64_t events, parse_errors;
	vg_strtab indexes;        /* index names as the client gave them */
	vg_buf strs;              /* _ids and error reasons */
	size_t nreasons;          /* reasons stored (bounded) */
	int64_t now_ns;
	uint64_t id_seed;
} vg_es_bulk;

void vg_es_bulk_init(vg_es_bulk *r);
void vg_es_bulk_free(vg_es_bulk *r);

/*
 * Decode a bulk request body into events in b (one call per vg_es_bulk).
 * index and create actions each take the next line as their document;
 * update and delete are refused per item (a log store neither changes nor
 * removes events); blank lines between actions are skipped; a last line
 * without its newline is accepted. Returns 0 when the items were decided
 * (r->errors tells whether some failed), or VG_EINVAL when the request is
 * refused whole (r->status 400, nothing appended): an empty body, an
 * action line that is not one, an action without its document.
 */
int vg_es_bulk_decode(vg_es_bulk *r, vg_batch *b, const char *body, size_t len,
		      const vg_es_opts *o);

/* Append the answer to a decoded request to out and return its HTTP
 * status: ES's bulk response (`took` is the caller's, in ms), or the
 * error document of a refused request. filter_path (the request's
 * parameter, may be NULL) keeps only the named parts, as ES does:
 * Filebeat asks for "errors,items.*.error,items.*.status". */
unsigned vg_es_bulk_answer(const vg_es_bulk *r, int64_t took_ms, const char *filter_path,
			   vg_buf *out);

/* ============================================================ Splunk HEC */

/* Splunk's HEC status codes (the `code` of every answer). */
enum {
	VG_HEC_SUCCESS = 0,
	VG_HEC_TOKEN_DISABLED = 1,
	VG_HEC_TOKEN_REQUIRED = 2,
	VG_HEC_INVALID_AUTH = 3,
	VG_HEC_INVALID_TOKEN = 4,
	VG_HEC_NO_DATA = 5,
	VG_HEC_INVALID_FORMAT = 6,
	VG_HEC_INCORRECT_INDEX = 7,
	VG_HEC_INTERNAL = 8,
	VG_HEC_BUSY = 9,
	VG_HEC_CHANNEL_MISSING = 10,
	VG_HEC_INVALID_CHANNEL = 11,
	VG_HEC_EVENT_REQUIRED = 12,
	VG_HEC_EVENT_BLANK = 13,
	VG_HEC_ACK_DISABLED = 14,
	VG_HEC_INDEXED_FIELDS = 15,
	VG_HEC_QUERY_AUTH = 16,
	VG_HEC_HEALTHY = 17,
};

typedef enum {
	VG_HEC_NOT_MINE = 0,
	VG_HEC_EVENT,       /* /services/collector[/event][/1.0] */
	VG_HEC_RAW,         /* /services/collector/raw[/1.0] */
	VG_HEC_HEALTH,      /* /services/collector/health[/1.0]: answer code 17 */
	VG_HEC_ACK,         /* /services/collector/ack: answer code 14 */
} vg_hec_endpoint;

/* Which HEC endpoint path (without the query string) is. */
vg_hec_endpoint vg_hec_route(const char *path);

/* The token of an `Authorization: Splunk <token>` header value: returns
 * VG_HEC_SUCCESS with *tok and *n a slice of header, VG_HEC_TOKEN_REQUIRED
 * when the header is NULL or empty, VG_HEC_INVALID_AUTH when it is not
 * "Splunk <token>" (the scheme is case-insensitive). The server checks
 * the token itself, in constant time. */
int vg_hec_token(const char *header, const char **tok, size_t *n);

typedef struct vg_hec_opts {
	int64_t now_ns;
	/* /raw: the query parameters ?host=&source=&sourcetype=&index=;
	 * /event: defaults for events that name none. NULL when absent. */
	const char *host, *source, *sourcetype, *index;
} vg_hec_opts;

typedef struct vg_hec_result {
	int code;                 /* VG_HEC_* */
	long invalid_event;       /* number (from 0) of the first invalid event,
				   * or -1 */
	uint64_t events, parse_errors;
	char detail[400];         /* why, for the server's log (Splunk's text is fixed) */
} vg_hec_result;

/*
 * /services/collector/event: a stream of JSON objects (concatenated, with
 * or without whitespace between them), each
 *   {"time":1700000000.123,"host":..,"source":..,"sourcetype":..,
 *    "index":..,"event":<string, object or other value>,"fields":{..}}.
 * A string event is the raw message; an object event is its JSON text,
 * flattened into fields like the json format; host, source, sourcetype
 * and the flattened `fields` are fields; `index` names the group (default
 * "hec"); time is epoch seconds (a number or a string), else ingest time.
 * As Splunk does, the first invalid event ends the request: the answer is
 * its error code and number; the events before it are stored as usual, and
 * it and everything after it are kept as raw events with `_parse_error`.
 * Returns 0 (r->code 0) or VG_EINVAL (r->code says why).
 */
int vg_hec_event(vg_batch *b, const char *body, size_t len, const vg_hec_opts *o,
		 vg_hec_result *r);

/* /services/collector/raw: every non-blank line is an event (raw the line,
 * time the ingest time), with host/source/sourcetype from the query and
 * group from ?index= (default "hec"). An empty body is VG_HEC_NO_DATA. */
int vg_hec_raw(vg_batch *b, const char *body, size_t len, const vg_hec_opts *o,
	       vg_hec_result *r);

/* Append Splunk's answer {"text":..,"code":N[,"invalid-event-number":K]}
 * for code (K only when invalid_event >= 0) and return the HTTP status
 * Splunk uses with it. */
unsigned vg_hec_answer(int code, long invalid_event, vg_buf *out);

/* ================================================================= Loki */

/* Whether a push with this Content-Type can be read: 0 for JSON
 * (application/json with any parameters, or no Content-Type at all);
 * VG_EINVAL with err for anything else — application/x-protobuf, Loki's
 * snappy-compressed protobuf, is not supported: the server answers 415. */
int vg_loki_content_type(const char *ctype, vg_err *err);

/*
 * POST /loki/api/v1/push, JSON:
 *   {"streams":[{"stream":{"job":"web",...},
 *                "values":[["<unix ns>","line"],["<ns>","line",{"k":"v"}]]}]}
 * Each value is an event: raw the line, time its timestamp (a string of
 * nanoseconds, or a number), labels and structured metadata as string
 * fields. The group is the `service_name` label, else `job`, else "loki"
 * (Loki 3 derives service_name itself; promtail and Alloy set job).
 * The body is checked whole first, as Loki does: any malformed part
 * refuses the request with VG_EINVAL (the server answers 400 with
 * err->msg as text) and nothing is appended. Returns 0: answer 204.
 * *events (may be NULL) gets the number of events appended.
 */
int vg_loki_push(vg_batch *b, const char *body, size_t len, int64_t now_ns, uint64_t *events,
		 vg_err *err);

/* =============================================================== syslog */

/*
 * RFC 6587 framing of a TCP stream, detected per frame: a frame that
 * starts with a digit is octet-counted (`LEN SP MSG`; a final newline
 * inside the count is not part of the message, as rsyslog and syslog-ng
 * count it), anything else runs to LF, NUL or CRLF (non-transparent
 * framing). Digits not followed by a space, or more than 10 of them, are
 * the start of a newline-framed message after all. Empty frames are
 * skipped.
 *
 * A message longer than max is not buffered whole: it is handed on in
 * pieces of max bytes, flagged, so memory stays bounded and no byte is
 * lost. State survives across vg_framer_feed calls of any split; the
 * message pointer is valid only during the callback.
 */
#define VG_FRAME_CUT 1u    /* the message goes on in the next call */
#define VG_FRAME_CONT 2u   /* this continues the previous call's message */
#define VG_FRAME_SHORT 4u  /* the stream ended inside an octet-counted
			    * frame: the message lacks its end */

/* Called with each message; a negative return stops the feed, which
 * returns it. */
typedef int (*vg_frame_fn)(void *arg, const char *msg, size_t len, unsigned flags);

typedef struct vg_framer {
	size_t max;          /* largest piece handed on */
	int state;           /* proto_syslog.c's enum */
	unsigned ndigits;    /* digits of the octet count read so far */
	uint64_t count;      /* their value */
	uint64_t left;       /* octet counting: bytes of the frame still to come */
	int cont;            /* the message being read continues a piece */
	vg_buf buf;          /* the message so far (at most max bytes) */
	uint64_t messages;   /* messages handed on (pieces count once) */
} vg_framer;

void vg_framer_init(vg_framer *f, size_t max);
void vg_framer_free(vg_framer *f);
/* Feed the next n bytes of the stream. Returns 0 or a callback's < 0. */
int vg_framer_feed(vg_framer *f, const char *p, size_t n, vg_frame_fn fn, void *arg);
/* The stream ended: hand on a message it cut short (a last line without a
 * newline, or an octet-counted frame missing bytes, flagged
 * VG_FRAME_SHORT). The framer is then ready for a new stream. */
int vg_framer_finish(vg_framer *f, vg_frame_fn fn, void *arg);

/*
 * Messages of one connection (or of a run of datagrams) waiting for the
 * writer: the listener collects them on its own thread, the writer's job
 * parses them all with one call into the syslog parser (vg_fmt_syslog).
 * A message's embedded LF and NUL are written as #012 and #000 (rsyslog's
 * escapes on receipt), so one message stays one event. Pieces of
 * over-long and cut-short messages become raw events with `_parse_error`
 * saying which piece they are; they follow the whole messages of the same
 * call in the batch.
 */
typedef struct vg_syslog_piece {
	size_t off, len;     /* in vg_syslog_msgs.pieces */
	unsigned flags;      /* VG_FRAME_* */
	uint32_t k;          /* 1 for a message's first piece, 2 ... */
} vg_syslog_piece;

typedef struct vg_syslog_msgs {
	vg_buf lines;        /* whole messages, one per line */
	vg_buf pieces;
	vg_syslog_piece *piece;
	size_t npiece, cappiece;
	uint32_t k;          /* pieces of the current long message so far */
	uint64_t count;      /* messages and pieces added */
} vg_syslog_msgs;

/* Add one message (a vg_frame_fn's arguments). */
void vg_syslog_msgs_add(vg_syslog_msgs *m, const char *msg, size_t len, unsigned flags);
/* vg_frame_fn adapter: arg is a vg_syslog_msgs. Returns 0. */
int vg_syslog_msgs_frame(void *arg, const char *msg, size_t len, unsigned flags);
/* A UDP datagram is one message (trailing CR/LF dropped). */
void vg_syslog_datagram(vg_syslog_msgs *m, const char *d, size_t n);
/* Bytes held, for the writer's queue budget. */
size_t vg_syslog_msgs_bytes(const vg_syslog_msgs *m);
void vg_syslog_msgs_clear(vg_syslog_msgs *m);
void vg_syslog_msgs_free(vg_syslog_msgs *m);

typedef struct vg_syslog_src {
	const char *peer;    /* the sender's address: the host of lines that name none */
	const char *group;   /* NULL: "syslog" */
	int64_t now_ns;
} vg_syslog_src;

/* Parse the collected messages into b. Returns 0, or < 0 with err set if
 * the syslog parser refused the input whole (it does not today). */
int vg_syslog_msgs_parse(const vg_syslog_msgs *m, vg_batch *b, const vg_syslog_src *src,
			 vg_err *err);

/* The writer job (writer.h: vg_job.fn, with a vg_syslog_job as arg) that
 * parses job->m into the memtable; m NULL adds nothing, and the job is a
 * bare commit. The syslog and RELP listeners submit these. */
typedef struct vg_syslog_job {
	const vg_syslog_msgs *m;
	vg_syslog_src src;
} vg_syslog_job;

int vg_syslog_job_fn(void *arg, vg_batch *mem, vg_err *err);

/* ====================================================== AWS Config items */

/* POST /api/v1/config/items: what `vigil ingest --format awsconfig` reads
 * (snapshot and history files, single items, SNS notifications, EventBridge
 * events), parsed by vg_fmt_awsconfig into group "awsconfig". A body that
 * is not a configuration document is VG_EINVAL with err saying what was
 * expected, and nothing is appended (the server answers 400). *events
 * (may be NULL) gets the events appended, *parse_errors those of them
 * with `_parse_error`. */
int vg_cfg_items(vg_batch *b, const char *body, size_t len, int64_t now_ns, uint64_t *events,
		 uint64_t *parse_errors, vg_err *err);

#endif
