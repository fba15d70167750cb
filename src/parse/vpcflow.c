/*
 * vpcflow.c — AWS VPC Flow Logs, one record per line.
 *
 * A record is a line of space-separated values whose meaning is given by a
 * layout: the default version-2 format (14 fields) until a header line
 * names the fields. S3 delivery writes such a header at the top of every
 * file (`version account-id interface-id srcaddr ...`), custom formats
 * (v3..v8 fields in any order) only make sense through it, and files that
 * were concatenated carry several headers, each switching the layout for
 * the lines after it. The layout lives in ctx->state so it spans chunks.
 *
 * Values: `-` means absent (the field is not set). Integer fields (ports,
 * counters, times, tcp-flags, traffic-path) are ints; a non-numeric value
 * there makes the line a raw event with `_parse_error`. Address fields are
 * IPs when they parse and strings otherwise (anonymised data holds
 * `255.090.254.5`, which is still worth keeping). Every other field is a
 * string under the header's own name, so unknown future fields just work.
 *
 * Lines exported from CloudWatch Logs carry an ISO timestamp before the
 * record; it is skipped (and used as the time when `start` is absent).
 *
 * Speed matters more here than anywhere else in the parsers: flow logs are
 * the bulk of vigil's volume and the budget is a few hundred nanoseconds a
 * line. Hence hand-written splitting and integer parsing, field ids cached
 * per layout, and no allocation per line. Ordinary lines also get a raw
 * template (the header's names), which lets the store keep only the fields.
 */
#include "parse/parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "util/ip.h"
#include "util/mem.h"
#include "util/timeutil.h"

#define VPC_MAXCOL 64       /* AWS defines about 40 fields */
#define VPC_MAXHDR 2048     /* longest header line kept */
#define VPC_MAXNAME 64      /* longest field name in a header */
#define VPC_V2_NCOL 14

enum { K_STR, K_INT, K_IP };

static const char v2_header[] = "version account-id interface-id srcaddr dstaddr srcport dstport "
				"protocol packets bytes start end action log-status";

/* Fields AWS documents, with how their values are typed. Names not listed
 * here are strings. */
static const struct {
	const char *name;
	uint8_t kind;
} known[] = {
	{"version", K_INT}, {"account-id", K_STR}, {"interface-id", K_STR},
	{"srcaddr", K_IP}, {"dstaddr", K_IP}, {"srcport", K_INT}, {"dstport", K_INT},
	{"protocol", K_INT}, {"packets", K_INT}, {"bytes", K_INT}, {"start", K_INT},
	{"end", K_INT}, {"action", K_STR}, {"log-status", K_STR},
	/* v3 */
	{"vpc-id", K_STR}, {"subnet-id", K_STR}, {"instance-id", K_STR},
	{"tcp-flags", K_INT}, {"type", K_STR}, {"pkt-srcaddr", K_IP}, {"pkt-dstaddr", K_IP},
	/* v4 */
	{"region", K_STR}, {"az-id", K_STR}, {"sublocation-type", K_STR},
	{"sublocation-id", K_STR},
	/* v5 */
	{"pkt-src-aws-service", K_STR}, {"pkt-dst-aws-service", K_STR},
	{"flow-direction", K_STR}, {"traffic-path", K_INT},
	/* v7 */
	{"ecs-cluster-arn", K_STR}, {"ecs-cluster-name", K_STR},
	{"ecs-container-instance-arn", K_STR}, {"ecs-container-instance-id", K_STR},
	{"ecs-container-id", K_STR}, {"ecs-second-container-id", K_STR},
	{"ecs-service-name", K_STR}, {"ecs-task-definition-arn", K_STR},
	{"ecs-task-arn", K_STR}, {"ecs-task-id", K_STR},
	/* v8 */
	{"reject-reason", K_STR},
};

typedef struct vpc_col {
	uint16_t off, len;  /* the name, within vpc_state.names */
	uint8_t kind;
} vpc_col;

/* Per-input state: the current layout and the batch ids that go with it. */
typedef struct vpc_state {
	int ncol;
	int start_col;              /* column of `start`, or -1 */
	int from_header;            /* 0 while the default v2 layout applies */
	int dup;                    /* a name appears twice (the batch keeps the
				     * last value: the line is not its rendering) */
	vpc_col col[VPC_MAXCOL];
	char names[VPC_MAXHDR];     /* names joined by single spaces: the raw template */
	size_t names_len;
	const vg_batch *idb;        /* batch the ids below belong to, or NULL */
	uint32_t fid[VPC_MAXCOL];
	uint32_t tmpl;
} vpc_state;

/* A line split into values (pointers into the caller's buffer). */
typedef struct vpc_toks {
	int n;                      /* how many there were, even past VPC_MAXCOL */
	int nsp;                    /* spaces in the line */
	const char *p[VPC_MAXCOL];
	uint32_t len[VPC_MAXCOL];
} vpc_toks;

/* Record a value ending at s + end that started after the previous
 * separator; runs of separators make empty values, which are skipped. */
static inline void add_tok(vpc_toks *t, const char *s, size_t *from, size_t end)
{
	if (end > *from) {
		if (t->n < VPC_MAXCOL) {
			t->p[t->n] = s + *from;
			t->len[t->n] = (uint32_t)(end - *from);
		}
		t->n++;
	}
	*from = end + 1;
}

#if defined(__SSE2__)
/* Bit i set when s[i] is a space, for 64 bytes. */
static inline uint64_t spaces64(const char *s)
{
	const __m128i sp = _mm_set1_epi8(' ');
	uint64_t m = 0;
	for (int k = 0; k < 4; k++) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + 16 * k));
		m |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, sp)) << (16 * k);
	}
	return m;
}
#endif

/* Split s into space-separated values; keeps the first VPC_MAXCOL and
 * counts all of them, and the spaces. AWS writes single spaces; runs of
 * them are tolerated (the raw template then fails its check and the store
 * keeps the raw text). Splitting is the largest single cost of a flow
 * record, and records are mostly long runs of non-spaces: the spaces of
 * 64 bytes are found at once as a bitmap (SSE2), then of 8 bytes at a time
 * in a word, and each is taken by ctz, with no branch per byte. */
static void split(const char *s, size_t n, vpc_toks *t)
{
	const uint64_t ones = 0x0101010101010101u, low7 = 0x7f7f7f7f7f7f7f7fu;
	size_t i = 0, from = 0;
	int nsp = 0;
	t->n = 0;
#if defined(__SSE2__)
	for (; i + 64 <= n; i += 64) {
		/* Spaces are counted as they are taken: a popcount is a
		 * library call on the baseline x86-64 this is built for. */
		for (uint64_t z = spaces64(s + i); z; z &= z - 1, nsp++)
			add_tok(t, s, &from, i + (size_t)__builtin_ctzll(z));
	}
#endif
	for (; i + 8 <= n; i += 8) {
		uint64_t x;
		memcpy(&x, s + i, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		x = __builtin_bswap64(x);  /* the first byte must be the lowest */
#endif
		x ^= ones * ' ';
		/* High bit of each byte set exactly where x has a zero byte. */
		uint64_t z = ~(((x & low7) + low7) | x | low7);
		while (z) {
			size_t at = i + (size_t)(__builtin_ctzll(z) >> 3);
			add_tok(t, s, &from, at);
			z &= z - 1;
			nsp++;
		}
	}
	for (; i < n; i++)
		if (s[i] == ' ') {
			nsp++;
			add_tok(t, s, &from, i);
		}
	add_tok(t, s, &from, n);
	t->nsp = nsp;
}

/* Parse a non-negative decimal integer of exactly n bytes into *out.
 * Returns 0, or -1 for anything else (sign, other bytes, > INT64_MAX). */
static int parse_uint(const char *s, size_t n, int64_t *out)
{
	if (n == 0 || n > 19)
		return -1;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)((unsigned char)s[i] - '0');
		if (d > 9)
			return -1;
		v = v * 10 + d;
	}
	if (v > (uint64_t)INT64_MAX)
		return -1;
	*out = (int64_t)v;
	return 0;
}

/* The value of the n (1..8) decimal digits that end the eight bytes x
 * (as memcpy loads them on a little-endian machine: the last digit is the
 * highest byte), or -1 if one of them is not a digit. The bytes before
 * the digits are masked off and count as leading zeros. */
static inline int64_t digits8(uint64_t x, size_t n)
{
	const uint64_t lo4 = 0x0f0f0f0f0f0f0f0fu, hi4 = 0xf0f0f0f0f0f0f0f0u;
	uint64_t m = ~(uint64_t)0 << (8 * (8 - n));
	x &= m;
	/* Every byte kept is 0x30..0x39: high nibble 3, and still 3 after
	 * adding 6 (0x3a..0x3f would become 0x4_). */
	uint64_t threes = 0x3030303030303030u & m;
	if ((x & hi4) != threes || ((x + (0x0606060606060606u & m)) & hi4) != threes)
		return -1;
	/* Pairs, then quads, then all eight digits, with multiplications
	 * that add each group to ten (100, 10000) times the one before. */
	x &= lo4;
	x = (x * 10 + (x >> 8)) & 0x00ff00ff00ff00ffu;
	x = (x * 100 + (x >> 16)) & 0x0000ffff0000ffffu;
	return (int64_t)((x * 10000 + (x >> 32)) & 0xffffffffu);
}

/* parse_uint of the value s (n bytes) of a line whose text starts at lo:
 * the same result, but the last eight digits are converted at once, read
 * as the eight bytes that end the value, which for any value but one at
 * the very start of the line are within the line. Ten integers in a flow
 * record, and a per-digit loop mispredicts at each one's end. */
static inline int parse_uint_in(const char *lo, const char *s, size_t n, int64_t *out)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (n - 1 < 19 && (size_t)(s - lo) + n >= 8) {
		uint64_t x;
		memcpy(&x, s + n - 8, 8);
		if (n <= 8) {
			int64_t v = digits8(x, n);
			if (v < 0)
				return -1;
			*out = v;
			return 0;
		}
		int64_t hi, v = digits8(x, 8);
		if (v < 0 || parse_uint(s, n - 8, &hi) != 0)
			return -1;
		/* At most 11 + 8 digits: no overflow of 64 bits. */
		uint64_t u = (uint64_t)hi * 100000000u + (uint64_t)v;
		if (u > (uint64_t)INT64_MAX)
			return -1;
		*out = (int64_t)u;
		return 0;
	}
#else
	(void)lo;
#endif
	return parse_uint(s, n, out);
}

/* Kind of the field named s (n bytes), and whether AWS defines it. */
static int known_kind(const char *s, size_t n, int *is_known)
{
	for (size_t i = 0; i < sizeof known / sizeof *known; i++)
		if (strlen(known[i].name) == n && memcmp(known[i].name, s, n) == 0) {
			*is_known = 1;
			return known[i].kind;
		}
	*is_known = 0;
	return K_STR;
}

/* 1 if the token looks like a field name: a lowercase letter followed by
 * lowercase letters, digits, `-` or `_`, at most VPC_MAXNAME bytes (AWS's
 * longest is 26; the bound keeps names within what the batch stores
 * unchanged, which the raw template relies on). Values never look like
 * this and also contain something else (`ACCEPT`, digits first, dots), so
 * this separates header lines from records. */
static int is_name(const char *s, size_t n)
{
	if (n == 0 || n > VPC_MAXNAME || s[0] < 'a' || s[0] > 'z')
		return 0;
	for (size_t i = 1; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

/* Number of AWS field names in t if every value in it is name-shaped
 * (a candidate header), else 0. */
static int header_score(const vpc_toks *t)
{
	if (t->n == 0 || t->n > VPC_MAXCOL)
		return 0;
	for (int i = 0; i < t->n; i++)
		if (!is_name(t->p[i], t->len[i]))
			return 0;
	int nknown = 0;
	for (int i = 0; i < t->n; i++) {
		int k;
		known_kind(t->p[i], t->len[i], &k);
		nknown += k;
	}
	return nknown;
}

/* Install the layout named by the tokens of a header line. The caller has
 * checked header_score(t) > 0. Returns 0, or -1 if the names do not fit
 * VPC_MAXHDR (the layout is then unchanged). */
static int set_layout(vpc_state *st, const vpc_toks *t)
{
	size_t need = 0;
	for (int i = 0; i < t->n; i++)
		need += t->len[i] + 1;
	if (need > VPC_MAXHDR)
		return -1;
	size_t o = 0;
	st->start_col = -1;
	for (int i = 0; i < t->n; i++) {
		if (i > 0)
			st->names[o++] = ' ';
		memcpy(st->names + o, t->p[i], t->len[i]);
		int k;
		st->col[i].off = (uint16_t)o;
		st->col[i].len = (uint16_t)t->len[i];
		st->col[i].kind = (uint8_t)known_kind(t->p[i], t->len[i], &k);
		if (t->len[i] == 5 && memcmp(t->p[i], "start", 5) == 0)
			st->start_col = i;
		o += t->len[i];
	}
	st->names_len = o;
	st->ncol = t->n;
	st->dup = 0;
	for (int i = 0; i < t->n; i++)
		for (int j = 0; j < i; j++)
			if (t->len[i] == t->len[j] && memcmp(t->p[i], t->p[j], t->len[i]) == 0)
				st->dup = 1;
	st->idb = NULL;  /* ids must be looked up again */
	return 0;
}

static void free_state(void *p)
{
	free(p);
}

/* The state of this input, created with the default layout on first use. */
static vpc_state *get_state(vg_parse_ctx *ctx)
{
	if (ctx->state)
		return ctx->state;
	vpc_state *st = vg_xcalloc(1, sizeof *st);
	vpc_toks t;
	split(v2_header, sizeof v2_header - 1, &t);
	set_layout(st, &t);
	st->from_header = 0;
	ctx->state = st;
	ctx->free_state = free_state;
	return st;
}

/* 1 if the ids cached in st are the ids of the layout's names in b. A
 * pointer comparison alone would be fooled by a batch freed and
 * re-initialised at the same address, so the names are compared too; this
 * runs once per chunk and per header, not per line. */
static int ids_valid(const vpc_state *st, const vg_batch *b)
{
	if (st->idb != b || st->tmpl >= b->tmpls.n)
		return 0;
	size_t len;
	const char *s = vg_strtab_get(&b->tmpls, st->tmpl, &len);
	if (len != st->names_len || memcmp(s, st->names, len) != 0)
		return 0;
	for (int i = 0; i < st->ncol; i++) {
		if (st->fid[i] >= b->fields.n)
			return 0;
		s = vg_strtab_get(&b->fields, st->fid[i], &len);
		if (len != st->col[i].len || memcmp(s, st->names + st->col[i].off, len) != 0)
			return 0;
	}
	return 1;
}

/* Make the cached field and template ids valid for batch b. */
static void resolve_ids(vpc_state *st, vg_batch *b)
{
	if (ids_valid(st, b))
		return;
	for (int i = 0; i < st->ncol; i++)
		st->fid[i] = vg_batch_field(b, st->names + st->col[i].off, st->col[i].len);
	st->tmpl = vg_batch_tmpl(b, st->names, st->names_len);
	st->idb = b;
}

/* Emit line as a raw event marked with msg. */
static void emit_error(vg_parse_ctx *ctx, uint32_t group, int64_t t, const char *line,
		       size_t n, const char *msg)
{
	vg_ev_begin(ctx->out, group, t, line, n);
	vg_ev_parse_error(ctx->out, msg);
	vg_ev_end(ctx->out);
}

/* Describe a record whose value count does not match the layout. */
static void count_error(const vpc_state *st, const vpc_toks *t, char *msg, size_t cap)
{
	if (st->from_header)
		snprintf(msg, cap,
			 "VPC flow record has %d fields but the header line names %d (%.*s)", t->n,
			 st->ncol, (int)(st->names_len > 300 ? 300 : st->names_len), st->names);
	else
		snprintf(msg, cap,
			 "VPC flow record has %d fields; the default version-2 format has 14 (%s) "
			 "and no header line announced another layout",
			 t->n, v2_header);
}

/* Check every integer column of t and store its value in v; on failure
 * write a message naming the field and value into msg and return -1. */
static int read_ints(const vpc_state *st, const vpc_toks *t, int64_t *v, char *msg, size_t cap)
{
	for (int i = 0; i < st->ncol; i++) {
		if (st->col[i].kind != K_INT || (t->len[i] == 1 && t->p[i][0] == '-'))
			continue;
		if (parse_uint_in(t->p[0], t->p[i], t->len[i], &v[i]) != 0) {
			snprintf(msg, cap,
				 "VPC flow field %.*s (field %d) is \"%.*s\": expected a "
				 "non-negative integer or \"-\"",
				 st->col[i].len, st->names + st->col[i].off, i + 1,
				 (int)(t->len[i] > 64 ? 64 : t->len[i]), t->p[i]);
			return -1;
		}
	}
	return 0;
}

/* Set the fields of the open event from the checked values. Returns 1 if
 * each value is the one text its field prints as (vg_field_text), and at
 * least one is present: an integer without a leading zero, a dotted quad,
 * or a string (a slice of the line); else 0 (`022`, an IPv6 address,
 * which has several texts, or only `-`). */
static int put_fields(vg_batch *b, const vpc_state *st, const vpc_toks *t, const int64_t *v)
{
	int canon = 1, present = 0;
	for (int i = 0; i < st->ncol; i++) {
		const char *s = t->p[i];
		uint32_t n = t->len[i];
		if (n == 1 && s[0] == '-')
			continue;
		present = 1;
		uint8_t ip[16];
		switch (st->col[i].kind) {
		case K_INT:
			canon &= n == 1 || s[0] != '0';
			vg_ev_int(b, st->fid[i], v[i]);
			break;
		case K_IP:
			if (vg_ip_parse4(s, n, ip) == 0) {
				vg_ev_ip(b, st->fid[i], ip);
			} else if (vg_ip_parse(s, n, ip) == 0) {
				canon = 0;
				vg_ev_ip(b, st->fid[i], ip);
			} else {
				vg_ev_str(b, st->fid[i], s, n);
			}
			break;
		default:
			vg_ev_str(b, st->fid[i], s, n);
			break;
		}
	}
	return canon && present;
}

/* put_fields for a compact event (batch.h), template field i being
 * column i. Returns 0 as soon as a value is not the one text it prints as
 * (an address; put_fields leaves that to the batch's check), and the
 * verdict of put_fields otherwise; the caller aborts the event on 0. */
static int put_cfields(vg_batch *b, const vpc_state *st, const vpc_toks *t, const int64_t *v)
{
	int canon = 1, present = 0;
	/* The last two dotted quads of the line, and their words: v3+ records
	 * give pkt-srcaddr and pkt-dstaddr, which are mostly srcaddr and
	 * dstaddr again, and comparing a text is cheaper than parsing it. */
	const char *q4[2] = {NULL, NULL};
	uint32_t q4n[2] = {0, 0};
	uint64_t q4w[2] = {0, 0};
	unsigned nq4 = 0;
	for (int i = 0; i < st->ncol; i++) {
		const char *s = t->p[i];
		uint32_t n = t->len[i];
		if (n == 1 && s[0] == '-')
			continue;
		present = 1;
		uint8_t ip[16];
		switch (st->col[i].kind) {
		case K_INT:
			canon &= n == 1 || s[0] != '0';
			vg_ev_cint(b, (uint32_t)i, v[i]);
			break;
		case K_IP:
			if (q4n[0] == n && vg_same_bytes(q4[0], s, n)) {
				vg_ev_cset(b, (uint32_t)i, VG_T_IP, q4w[0]);
			} else if (q4n[1] == n && vg_same_bytes(q4[1], s, n)) {
				vg_ev_cset(b, (uint32_t)i, VG_T_IP, q4w[1]);
			} else if (vg_ip_parse4(s, n, ip) == 0) {
				vg_ev_cip4(b, (uint32_t)i, ip);
				q4[nq4 & 1] = s;
				q4n[nq4 & 1] = n;
				memcpy(&q4w[nq4 & 1], ip + 8, 8);  /* as vg_ev_cip4 takes it */
				nq4++;
			} else if (vg_ip_parse(s, n, ip) == 0) {
				/* An address has several texts; the line is its
				 * rendering only with the one it prints as. */
				char text[64];
				if (vg_ip_format(ip, text) != n || memcmp(text, s, n) != 0)
					return 0;
				vg_ev_cip6(b, (uint32_t)i, ip);
			} else {
				vg_ev_cstr(b, (uint32_t)i, s, n);
			}
			break;
		default:
			vg_ev_cstr(b, (uint32_t)i, s, n);
			break;
		}
	}
	return canon && present;
}

/* 1 if the values of t are separated by single spaces: split skips runs
 * of spaces and ignores leading and trailing ones, which a rendering
 * would not have. Every byte that is not in a value is a space, so that
 * is one space fewer than values. */
static int single_spaced(const vpc_toks *t)
{
	return t->nsp == t->n - 1;
}

/* Parse one non-blank line (without its newline). */
static void parse_line(vg_parse_ctx *ctx, vpc_state *st, uint32_t group, const char *line,
		       size_t n)
{
	const char *body = line;
	size_t bn = n;
	int64_t cwt = 0;
	int cw = 0;
	/* CloudWatch export: `2018-09-22T20:28:14.000Z 2 633112549318 ...` */
	if (n > 20 && line[4] == '-') {
		size_t k = vg_parse_iso8601(line, n, &cwt);
		if (k >= 19 && k < n && line[k] == ' ') {
			cw = 1;
			body = line + k + 1;
			bn = n - k - 1;
		}
	}
	vpc_toks t;
	split(body, bn, &t);
	if (t.n > 0 && t.p[0][0] >= 'a' && t.p[0][0] <= 'z' && header_score(&t) > 0) {
		if (set_layout(st, &t) == 0) {
			st->from_header = 1;
			resolve_ids(st, ctx->out);
			return;
		}
		emit_error(ctx, group, ctx->now_ns, line, n,
			   "VPC flow header line is longer than 2048 bytes; layout unchanged");
		return;
	}
	char msg[512];
	int64_t v[VPC_MAXCOL];
	int64_t fallback = cw ? cwt : ctx->now_ns;
	if (t.n != st->ncol) {
		count_error(st, &t, msg, sizeof msg);
		emit_error(ctx, group, fallback, line, n, msg);
		return;
	}
	if (read_ints(st, &t, v, msg, sizeof msg) != 0) {
		emit_error(ctx, group, fallback, line, n, msg);
		return;
	}
	int64_t when = fallback;
	int sc = st->start_col;
	if (sc >= 0 && !(t.len[sc] == 1 && t.p[sc][0] == '-') && v[sc] <= INT64_MAX / VG_NS_PER_SEC)
		when = v[sc] * VG_NS_PER_SEC;
	vg_batch *b = ctx->out;
	int spaced = single_spaced(&t);
	/* A batch in compact mode takes the line as a compact record when it
	 * is its rendering (the checks of vg_ev_end_checked below); the rare
	 * line that turns out not to be is written again as a row. */
	if (!cw && !st->dup && spaced && vg_ev_begin_compact(b, group, when, st->tmpl, n)) {
		if (put_cfields(b, st, &t, v)) {
			vg_ev_end_compact(b);
			return;
		}
		vg_ev_abort(b);
	}
	/* The template describes the record only; a CloudWatch prefix is not a
	 * field, so those lines keep their raw text. */
	if (cw)
		vg_ev_begin(b, group, when, line, n);
	else
		vg_ev_begin_tmpl(b, group, when, line, n, st->tmpl);
	/* A line of canonical values, single spaced, is its template's
	 * rendering: known here at the cost of a comparison per value, so the
	 * batch need not print every value back to check it (batch.h). */
	int canon = put_fields(b, st, &t, v);
	if (!cw && canon && !st->dup && spaced)
		vg_ev_end_checked(b);
	else
		vg_ev_end(b);
}

/* Parse a chunk of whole lines (the last may lack its newline). */
static int vpc_parse(vg_parse_ctx *ctx, const char *buf, size_t len)
{
	vpc_state *st = get_state(ctx);
	uint32_t group = vg_parse_group(ctx, "vpcflow");
	resolve_ids(st, ctx->out);
	/* Flows of one network interface sit together in a block, in time
	 * order: one side's address is then a run, times are small steps.
	 * (Adding srcaddr or dstport to the key was measured worse: times
	 * scatter.) Both directions of a connection are logged, the reply
	 * being the request with the endpoints swapped: declared as mirror
	 * pairs, the store keeps the reply's endpoints for free. */
	static const char key[] =
		"interface-id srcaddr~dstaddr srcport~dstport pkt-srcaddr~pkt-dstaddr";
	vg_batch_sortkey(ctx->out, group, key, sizeof key - 1);
	size_t pos = 0;
	while (pos < len) {
		const char *line = buf + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		pos += n + (nl != NULL);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		/* Most lines start with a digit: check blankness only when it
		 * can be. */
		if (n == 0 || ((unsigned char)line[0] <= ' ' && vg_line_blank(line, n)))
			continue;
		parse_line(ctx, st, group, line, n);
	}
	return 0;
}

/* 1 if t is an action or log-status value. */
static int is_status(const char *s, size_t n)
{
	static const char *const words[] = {"ACCEPT", "REJECT", "NODATA", "SKIPDATA", "OK"};
	for (size_t i = 0; i < sizeof words / sizeof *words; i++)
		if (strlen(words[i]) == n && memcmp(words[i], s, n) == 0)
			return 1;
	return 0;
}

/* 1 if the line looks like a flow record: >= 14 values, the first a small
 * version number, one of them an action or log status. */
static int looks_like_record(const vpc_toks *t)
{
	int64_t ver;
	if (t->n < VPC_V2_NCOL || t->len[0] > 2 || parse_uint(t->p[0], t->len[0], &ver) != 0 ||
	    ver < 2)
		return 0;
	int m = t->n < VPC_MAXCOL ? t->n : VPC_MAXCOL;
	for (int i = 1; i < m; i++)
		if (is_status(t->p[i], t->len[i]))
			return 1;
	return 0;
}

/* Confidence that buf starts a VPC flow log: a header line with AWS field
 * names is conclusive; otherwise the share of record-shaped lines. */
static int vpc_look(void *ctx, const char *line, size_t n, int index)
{
	(void)ctx;
	int64_t ignored;
	size_t k = n > 20 && line[4] == '-' ? vg_parse_iso8601(line, n, &ignored) : 0;
	if (k >= 19 && k < n && line[k] == ' ') {
		line += k + 1;
		n -= k + 1;
	}
	vpc_toks t;
	split(line, n, &t);
	int hs = header_score(&t);
	if (index == 0 && hs >= 3 && t.n >= 3)
		return -1;
	return hs >= 3 || looks_like_record(&t);
}

static int vpc_detect(const char *buf, size_t len)
{
	int r = vg_detect_lines(buf, len, 50, vpc_look, NULL, 90, 70, 20);
	return r < 0 ? 90 : r;
}

const vg_format vg_fmt_vpcflow = {
	.name = "vpcflow",
	.line_oriented = 1,
	.detect = vpc_detect,
	.parse = vpc_parse,
};
