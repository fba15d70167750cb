/*
 * jsonflat.c — the JSON scanner and flattener (see jsonflat.h).
 *
 * One recursive-descent walker serves both: with w->jf == NULL it only
 * validates; with a vg_jflat it also emits fields. Sharing the walker keeps
 * a single grammar and a single set of error messages, so "valid" means
 * the same thing to the scanner that slices records and to the flattener
 * that reads them. Recursion is bounded by VG_MAX_JSON_DEPTH.
 *
 * Speed comes from three things. Strings are scanned eight bytes at a time
 * for '"', '\\' and control bytes (SWAR), and only strings that contain a
 * backslash are decoded; the others go to the batch straight from the
 * input. Numbers that are integers are converted without strtod. Field
 * names are not rebuilt and rehashed per value: the flattener keeps a tree
 * of path nodes (parent node, key) -> node, found through a hash of the
 * short key alone, and each leaf node remembers its batch field id, so a
 * record whose shape was seen before costs one small hash per member.
 * A node also keeps its whole flattened name, built once from its parent's
 * when it is made, which is what the batch's field table and the watched
 * paths are matched against. And records of one shape repeat their keys
 * in one order: each node remembers which child came first and which
 * sibling came next, so the walker compares the key in the input with the
 * one expected there, and on a match skips both scanning it and looking
 * it up.
 */
#include "parse/jsonflat.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "parse/parse.h"
#include "util/timeutil.h"

enum { K_ROOT, K_NAME, K_MEMBER, K_INDEX };

struct vg_jnode {
	uint64_t h;
	uint32_t parent;   /* node index; node 0 is the root */
	uint32_t koff;     /* key bytes in jf->keys */
	uint32_t klen;
	uint32_t poff;     /* the flattened name, cut at VG_MAX_NAME, in jf->paths */
	uint32_t plen;
	uint32_t fid;      /* batch field id, UINT32_MAX until a leaf needs it */
	uint32_t epoch;    /* jf->epoch when fid was last known good */
	uint32_t first;    /* as a container: the child read first last time */
	uint32_t next;     /* the sibling read right after this node last time
			    * (node ids; 0, the root, is none) */
	uint8_t clean;     /* the key has no byte an escape could stand for */
	uint8_t kind;      /* K_*: K_NAME has no separator, K_MEMBER is ".key",
			    * K_INDEX is "[key]" */
	int8_t watch;      /* index into jf->watch, or -1 */
};

/* Past this many nodes the cache is dropped at the next value: a stream of
 * ever-new keys must not grow it without bound. */
#define JF_MAXNODES 65536

typedef struct walker {
	const char *s;
	size_t n, pos;
	vg_jflat *jf;      /* NULL: validate only */
	vg_batch *b;
	vg_err *err;
	int depth;
} walker;

/* ---- errors ---------------------------------------------------------- */

/* Fill w->err with a message at byte pos; returns code. */
static int werr(walker *w, int code, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int werr(walker *w, int code, size_t pos, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return vg_seterr(w->err, code, (int64_t)pos, "%s", msg);
}

const char *vg_json_byte(char *buf, unsigned char c)
{
	if (c >= 0x20 && c < 0x7f)
		snprintf(buf, 8, "'%c'", c);
	else
		snprintf(buf, 8, "0x%02X", c);
	return buf;
}

/* The error for input that ends inside the container opened at byte open. */
static int truncated(walker *w, size_t open)
{
	const char *what = w->s[open] == '{' ? "object" : "array";
	return werr(w, VG_EINVAL, w->n, "input ends at byte %zu inside the %s opened at byte %zu",
		    w->n, what, open);
}

/* ---- lexical scanning ------------------------------------------------ */

static inline int is_ws(unsigned char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

size_t vg_json_ws(const char *s, size_t n, size_t pos)
{
	while (pos < n && is_ws((unsigned char)s[pos]))
		pos++;
	return pos;
}

/* Offset of the first '"', '\\' or control byte at or after i, or n. */
static size_t find_special(const char *s, size_t n, size_t i)
{
#if defined(__SSE2__)
	/* Sixteen bytes a step (every x86-64 has SSE2): a CloudTrail string is
	 * often found whole in one or two. */
	const __m128i vq = _mm_set1_epi8('"'), vbs = _mm_set1_epi8('\\'),
		      vctl = _mm_set1_epi8(0x1f);
	while (i + 16 <= n) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, vq), _mm_cmpeq_epi8(x, vbs)),
					 _mm_cmpeq_epi8(_mm_min_epu8(x, vctl), x));
		unsigned bits = (unsigned)_mm_movemask_epi8(m);
		if (bits)
			return i + (size_t)__builtin_ctz(bits);
		i += 16;
	}
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	while (i + 8 <= n) {
		uint64_t x, q, bs;
		memcpy(&x, s + i, 8);
		q = x ^ (ones * '"');
		bs = x ^ (ones * '\\');
		/* Classic has-zero-byte and has-byte-less-than tests; the lowest
		 * flagged byte is exact, which is all we need. */
		uint64_t m = ((q - ones) & ~q) | ((bs - ones) & ~bs) | ((x - ones * 0x20) & ~x);
		m &= highs;
		if (m)
			return i + ((size_t)__builtin_ctzll(m) >> 3);
		i += 8;
	}
#endif
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\' || c < 0x20)
			return i;
		i++;
	}
	return n;
}

static inline int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Check the escape sequence whose backslash is at s[i] (string opened at
 * start); returns its length, or 0 with the error set. */
static size_t check_escape(walker *w, size_t start, size_t i)
{
	char cb[8];
	if (i + 1 >= w->n)
		return werr(w, VG_EINVAL, i, "unterminated string starting at byte %zu", start), 0;
	switch (w->s[i + 1]) {
	case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
		return 2;
	case 'u':
		for (size_t k = 2; k < 6; k++) {
			if (i + k >= w->n)
				return werr(w, VG_EINVAL, i,
					    "unterminated string starting at byte %zu", start), 0;
			if (hexval((unsigned char)w->s[i + k]) < 0)
				return werr(w, VG_EINVAL, i,
					    "invalid \\u escape at byte %zu: four hex digits must follow",
					    i), 0;
		}
		return 6;
	default:
		if ((unsigned char)w->s[i + 1] >= 0x20 && (unsigned char)w->s[i + 1] < 0x7f)
			werr(w, VG_EINVAL, i, "invalid escape '\\%c' at byte %zu in a string",
			     w->s[i + 1], i);
		else
			werr(w, VG_EINVAL, i, "invalid escape at byte %zu: '\\' followed by %s", i,
			     vg_json_byte(cb, (unsigned char)w->s[i + 1]));
		return 0;
	}
}

/* Scan the string whose opening quote is at w->pos; w->pos ends past the
 * closing quote and *esc tells whether it holds any escape. */
static int scan_string(walker *w, int *esc)
{
	size_t start = w->pos, i = start + 1;
	*esc = 0;
	for (;;) {
		i = find_special(w->s, w->n, i);
		if (i >= w->n)
			return werr(w, VG_EINVAL, start, "unterminated string starting at byte %zu",
				    start);
		unsigned char c = (unsigned char)w->s[i];
		if (c == '"') {
			w->pos = i + 1;
			return 0;
		}
		if (c == '\\') {
			size_t k = check_escape(w, start, i);
			if (k == 0)
				return VG_EINVAL;
			*esc = 1;
			i += k;
			continue;
		}
		if (c == '\n' || c == '\r')
			return werr(w, VG_EINVAL, start,
				    "unterminated string starting at byte %zu (line break at byte %zu)",
				    start, i);
		return werr(w, VG_EINVAL, i,
			    "control character 0x%02X at byte %zu inside a string; JSON needs it escaped",
			    c, i);
	}
}

static inline int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static inline int is_alpha(unsigned char c) { return (unsigned)((c | 0x20) - 'a') < 26u; }

/* Scan the number at w->pos; *isint is 1 when it has no fraction and no
 * exponent. */
static int scan_number(walker *w, int *isint)
{
	const char *s = w->s;
	size_t n = w->n, start = w->pos, i = start;
	*isint = 1;
	if (s[i] == '-')
		i++;
	if (i >= n || !is_digit((unsigned char)s[i]))
		return werr(w, VG_EINVAL, start, "invalid number at byte %zu: a digit must follow '-'",
			    start);
	if (s[i] == '0')
		i++;
	else
		while (i < n && is_digit((unsigned char)s[i]))
			i++;
	if (i < n && s[i] == '.') {
		*isint = 0;
		if (++i >= n || !is_digit((unsigned char)s[i]))
			return werr(w, VG_EINVAL, start,
				    "invalid number at byte %zu: a digit must follow '.'", start);
		while (i < n && is_digit((unsigned char)s[i]))
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		*isint = 0;
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || !is_digit((unsigned char)s[i]))
			return werr(w, VG_EINVAL, start,
				    "invalid number at byte %zu: the exponent has no digits", start);
		while (i < n && is_digit((unsigned char)s[i]))
			i++;
	}
	if (i < n && (is_digit((unsigned char)s[i]) || s[i] == '.' || s[i] == '_' ||
		      is_alpha((unsigned char)s[i])))
		return werr(w, VG_EINVAL, start, "invalid number at byte %zu", start);
	w->pos = i;
	return 0;
}

/* Scan true, false or null at w->pos; *lit gets 't', 'f' or 'n'. */
static int scan_literal(walker *w, char *lit)
{
	static const char *const words[] = {"true", "false", "null"};
	char cb[8];
	unsigned char c = (unsigned char)w->s[w->pos];
	const char *word = c == 't' ? words[0] : c == 'f' ? words[1] : words[2];
	size_t len = strlen(word), have = w->n - w->pos;
	if (have < len && memcmp(w->s + w->pos, word, have) == 0)
		return werr(w, VG_EINVAL, w->pos, "input ends inside '%s' at byte %zu", word,
			    w->pos);
	if (have < len || memcmp(w->s + w->pos, word, len) != 0)
		return werr(w, VG_EINVAL, w->pos, "unexpected %s at byte %zu; expected a value",
			    vg_json_byte(cb, c), w->pos);
	w->pos += len;
	if (w->pos < w->n && is_alpha((unsigned char)w->s[w->pos]))
		return werr(w, VG_EINVAL, w->pos - len, "unexpected %s at byte %zu; expected a value",
			    vg_json_byte(cb, c), w->pos - len);
	*lit = (char)c;
	return 0;
}

/* ---- string decoding ------------------------------------------------- */

static size_t put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

static uint32_t hex4(const char *p)
{
	uint32_t v = 0;
	for (int k = 0; k < 4; k++)
		v = v << 4 | (uint32_t)hexval((unsigned char)p[k]);
	return v;
}

/* The code point of the \u escape at s[i] (and of its low surrogate when it
 * is a high one); *used gets the bytes consumed. NUL and unpaired
 * surrogates become U+FFFD. */
static uint32_t unicode_escape(const char *s, size_t i, size_t end, size_t *used)
{
	uint32_t cp = hex4(s + i + 2);
	*used = 6;
	if (cp >= 0xD800 && cp <= 0xDBFF && i + 12 <= end && s[i + 6] == '\\' &&
	    s[i + 7] == 'u') {
		uint32_t lo = hex4(s + i + 8);
		if (lo >= 0xDC00 && lo <= 0xDFFF) {
			*used = 12;
			return 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
		}
	}
	if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0xFFFD;
	return cp;
}

/* Decode the validated string body s[start, end) into out, writing at most
 * cap bytes; returns the bytes written. Decoding never lengthens text, so
 * cap = end - start always suffices. */
static size_t decode_into(const char *s, size_t start, size_t end, char *out, size_t cap)
{
	size_t i = start, o = 0;
	while (i < end) {
		const char *bs = memchr(s + i, '\\', end - i);
		size_t run = bs ? (size_t)(bs - (s + i)) : end - i;
		if (run > cap - o)
			run = cap - o;
		memcpy(out + o, s + i, run);
		o += run;
		i += run;
		if (bs == NULL || o >= cap || i >= end)
			break;
		char tmp[4];
		size_t k = 1, used = 2;
		switch (s[i + 1]) {
		case 'b': tmp[0] = '\b'; break;
		case 'f': tmp[0] = '\f'; break;
		case 'n': tmp[0] = '\n'; break;
		case 'r': tmp[0] = '\r'; break;
		case 't': tmp[0] = '\t'; break;
		case 'u': k = put_utf8(tmp, unicode_escape(s, i, end, &used)); break;
		default: tmp[0] = s[i + 1]; break;
		}
		if (k > cap - o)
			break;
		memcpy(out + o, tmp, k);
		o += k;
		i += used;
	}
	return o;
}

int vg_json_string(const char *s, size_t n, size_t pos, vg_buf *out, vg_err *err)
{
	walker w = {.s = s, .n = n, .pos = vg_json_ws(s, n, pos), .err = err};
	char cb[8];
	if (w.pos >= n)
		return werr(&w, VG_EINVAL, n, "input ends at byte %zu where a string was expected", n);
	if (s[w.pos] != '"')
		return werr(&w, VG_EINVAL, w.pos, "expected a string at byte %zu, found %s", w.pos,
			    vg_json_byte(cb, (unsigned char)s[w.pos]));
	size_t start = w.pos;
	int esc, rc = scan_string(&w, &esc);
	if (rc < 0)
		return rc;
	size_t len = w.pos - 1 - (start + 1);
	vg_buf_reserve(out, len + 1);
	out->len += decode_into(s, start + 1, w.pos - 1, (char *)out->p + out->len, len);
	return 0;
}

int vg_json_key_eq(const char *s, vg_jspan key, const char *name)
{
	size_t klen = key.end - key.start, nlen = strlen(name);
	if (memchr(s + key.start, '\\', klen) == NULL)
		return klen == nlen && memcmp(s + key.start, name, nlen) == 0;
	char tmp[512];
	if (klen > sizeof tmp)
		return 0;
	size_t got = decode_into(s, key.start, key.end, tmp, sizeof tmp);
	return got == nlen && memcmp(tmp, name, nlen) == 0;
}

int vg_json_int(const char *s, size_t n, int64_t *v)
{
	size_t i = 0;
	int neg = 0;
	if (i < n && s[i] == '-') {
		neg = 1;
		i++;
	}
	if (i >= n)
		return 0;
	uint64_t acc = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';
		if (d > 9)
			return 0;
		if (acc > (lim - d) / 10)
			return 0;
		acc = acc * 10 + d;
	}
	*v = neg ? (int64_t)(0 - acc) : (int64_t)acc;
	return 1;
}

/* ---- the path-node cache --------------------------------------------- */

static void cache_reset(vg_jflat *jf)
{
	jf->nnodes = 0;
	jf->keys.len = 0;
	jf->paths.len = 0;
	if (jf->slots)
		memset(jf->slots, 0, jf->nslots * sizeof *jf->slots);
	vg_grow(&jf->nodes, &jf->capnodes, 1, sizeof *jf->nodes);
	jf->nodes[0] = (vg_jnode){.fid = UINT32_MAX, .kind = K_ROOT, .watch = -1};
	jf->nnodes = 1;
}

static void slots_grow(vg_jflat *jf)
{
	size_t ns = jf->nslots ? jf->nslots * 2 : 1024;
	free(jf->slots);
	jf->slots = vg_xcalloc(ns, sizeof *jf->slots);
	jf->nslots = ns;
	for (size_t id = 1; id < jf->nnodes; id++) {
		size_t i = jf->nodes[id].h & (ns - 1);
		while (jf->slots[i])
			i = (i + 1) & (ns - 1);
		jf->slots[i] = (uint32_t)id + 1;
	}
}

/* The watch index of the node with flattened name path, or -1. */
static int8_t node_watch(const vg_jflat *jf, const char *path, size_t len)
{
	for (size_t i = 0; i < jf->nwatch; i++)
		if (strlen(jf->watchname[i]) == len && memcmp(jf->watchname[i], path, len) == 0)
			return (int8_t)i;
	return -1;
}

/* The node for key (klen <= VG_MAX_NAME) of kind under parent, created if
 * new. */
static uint32_t node_get(vg_jflat *jf, uint32_t parent, uint8_t kind, const char *key,
			 size_t klen)
{
	uint64_t h = XXH3_64bits_withSeed(key, klen, (uint64_t)parent << 2 | kind);
	if ((jf->nnodes + 1) * 2 > jf->nslots)
		slots_grow(jf);
	size_t i = h & (jf->nslots - 1);
	while (jf->slots[i]) {
		const vg_jnode *nd = &jf->nodes[jf->slots[i] - 1];
		if (nd->h == h && nd->parent == parent && nd->kind == kind && nd->klen == klen &&
		    (klen == 0 || memcmp(jf->keys.p + nd->koff, key, klen) == 0))
			return jf->slots[i] - 1;
		i = (i + 1) & (jf->nslots - 1);
	}
	vg_grow(&jf->nodes, &jf->capnodes, jf->nnodes + 1, sizeof *jf->nodes);
	/* The name: the parent's, then ".key", "[key]" or (under the root)
	 * "key", cut at VG_MAX_NAME. */
	char path[VG_MAX_NAME + 3];
	const vg_jnode *pn = &jf->nodes[parent];
	size_t plen = pn->plen, m = 0;
	if (plen) /* the root's name is empty, maybe with no buffer yet */
		memcpy(path, jf->paths.p + pn->poff, plen);
	if (kind == K_MEMBER)
		path[plen + m++] = '.';
	else if (kind == K_INDEX)
		path[plen + m++] = '[';
	size_t room = VG_MAX_NAME + 3 - plen - m;
	if (klen) /* an empty key has no bytes, maybe not even a buffer */
		memcpy(path + plen + m, key, klen < room ? klen : room);
	m += klen < room ? klen : room;
	if (kind == K_INDEX && plen + m < sizeof path)
		path[plen + m++] = ']';
	plen = plen + m < VG_MAX_NAME ? plen + m : VG_MAX_NAME;
	uint32_t id = (uint32_t)jf->nnodes++;
	vg_jnode *nd = &jf->nodes[id];
	int clean = 1;
	for (size_t k = 0; k < klen; k++)
		clean &= (unsigned char)key[k] >= 0x20 && key[k] != '"' && key[k] != '\\';
	*nd = (vg_jnode){.h = h, .parent = parent, .koff = (uint32_t)jf->keys.len,
			 .klen = (uint32_t)klen, .poff = (uint32_t)jf->paths.len,
			 .plen = (uint32_t)plen, .fid = UINT32_MAX, .kind = kind,
			 .clean = (uint8_t)clean, .watch = node_watch(jf, path, plen)};
	vg_buf_put(&jf->keys, key, klen);
	vg_buf_put(&jf->paths, path, plen);
	jf->slots[i] = id + 1;
	return id;
}

/* The node of the member whose escaped key is s[ks, ke) under parent. */
static uint32_t member_node(walker *w, uint32_t parent, size_t ks, size_t ke, int esc)
{
	vg_jflat *jf = w->jf;
	uint8_t kind = parent == 0 ? K_NAME : K_MEMBER;
	size_t klen = ke - ks;
	if (!esc)
		return node_get(jf, parent, kind, w->s + ks, klen < VG_MAX_NAME ? klen : VG_MAX_NAME);
	char key[VG_MAX_NAME];
	klen = decode_into(w->s, ks, ke, key, sizeof key);
	return node_get(jf, parent, kind, key, klen);
}

/* The member of node whose key has its opening quote at s[ks], when it is
 * the member expected there (the one that followed prev last time, or came
 * first in node when prev is 0) and the input spells its key exactly, with
 * no escape: w->pos is then just past the closing quote. 0 otherwise. A
 * key without escapes is its own bytes, so this is the node member_node
 * would return, and the string is as valid as scan_string would find it
 * (a clean key holds neither quotes nor control bytes). */
static uint32_t expected_member(walker *w, uint32_t node, uint32_t prev, size_t ks)
{
	const vg_jflat *jf = w->jf;
	uint32_t g = prev ? jf->nodes[prev].next : jf->nodes[node].first;
	if (g == 0)
		return 0;
	const vg_jnode *nd = &jf->nodes[g];
	size_t k = ks + 1, e = k + nd->klen;
	if (nd->kind != (node == 0 ? K_NAME : K_MEMBER) || !nd->clean || e >= w->n ||
	    w->s[e] != '"' || (nd->klen && memcmp(w->s + k, jf->keys.p + nd->koff, nd->klen) != 0))
		return 0;
	w->pos = e + 1;
	return g;
}

/* Remember that child came right after prev (first in node when prev is
 * 0). */
static void learn_order(vg_jflat *jf, uint32_t node, uint32_t prev, uint32_t child)
{
	if (prev)
		jf->nodes[prev].next = child;
	else
		jf->nodes[node].first = child;
}

static uint32_t index_node(vg_jflat *jf, uint32_t parent, uint32_t idx)
{
	char buf[12];
	size_t k = sizeof buf;
	do {
		buf[--k] = (char)('0' + idx % 10);
		idx /= 10;
	} while (idx);
	return node_get(jf, parent, K_INDEX, buf + k, sizeof buf - k);
}

/* The batch field id of leaf node id, interned on first use. An id from
 * an earlier epoch (an earlier binding, maybe to another batch) is kept if
 * the batch's field table still gives it this node's name, which is
 * exactly when vg_batch_field would return it: a strcmp instead of a
 * hash and a probe, and no trust in the batch's address. */
static uint32_t node_fid(vg_jflat *jf, uint32_t id)
{
	vg_jnode *nd = &jf->nodes[id];
	if (nd->epoch == jf->epoch && nd->fid != UINT32_MAX)
		return nd->fid;
	const char *path = (const char *)jf->paths.p + nd->poff, *name = NULL;
	size_t len = 0;
	if (nd->fid < jf->b->fields.n)
		name = vg_strtab_get(&jf->b->fields, nd->fid, &len);
	if (name == NULL || len != nd->plen || memcmp(name, path, len) != 0)
		nd->fid = vg_batch_field(jf->b, path, nd->plen);
	nd->epoch = jf->epoch;
	return nd->fid;
}

/* ---- the walker ------------------------------------------------------ */

static int walk_value(walker *w, uint32_t node);

/* Emit the string at s[start, w->pos) (quotes included) as field node. */
static void emit_string(walker *w, uint32_t node, size_t start, int esc)
{
	size_t bs = start + 1, be = w->pos - 1;
	uint32_t fid = node_fid(w->jf, node);
	if (!esc) {
		vg_ev_str(w->b, fid, w->s + bs, be - bs);
		return;
	}
	vg_buf *sc = &w->jf->scratch;
	sc->len = 0;
	vg_buf_reserve(sc, be - bs + 1);
	size_t len = decode_into(w->s, bs, be, (char *)sc->p, be - bs);
	vg_ev_str(w->b, fid, (const char *)sc->p, len);
}

static void emit_number(walker *w, uint32_t node, size_t start, int isint)
{
	const char *p = w->s + start;
	size_t len = w->pos - start;
	uint32_t fid = node_fid(w->jf, node);
	int64_t v;
	if (isint && vg_json_int(p, len, &v)) {
		vg_ev_int(w->b, fid, v);
		return;
	}
	/* strtod needs a terminated copy; the C locale's '.' is assumed, as
	 * vigil never calls setlocale. */
	vg_buf *sc = &w->jf->scratch;
	sc->len = 0;
	vg_buf_put(sc, p, len);
	vg_buf_putc(sc, 0);
	vg_ev_dbl(w->b, fid, strtod((const char *)sc->p, NULL));
}

static int walk_object(walker *w, uint32_t node)
{
	size_t open = w->pos;
	char cb[8];
	if (++w->depth > VG_MAX_JSON_DEPTH)
		return werr(w, VG_ELIMIT, open, "nesting deeper than %d levels at byte %zu",
			    VG_MAX_JSON_DEPTH, open);
	w->pos = vg_json_ws(w->s, w->n, w->pos + 1);
	if (w->pos < w->n && w->s[w->pos] == '}') {
		w->pos++;
		w->depth--;
		return 0;
	}
	uint32_t prev = 0; /* the member read last */
	for (;;) {
		if (w->pos >= w->n)
			return truncated(w, open);
		if (w->s[w->pos] != '"') {
			if (w->s[w->pos] == '}')
				return werr(w, VG_EINVAL, w->pos,
					    "trailing comma before '}' at byte %zu", w->pos);
			return werr(w, VG_EINVAL, w->pos,
				    "expected a \"key\" at byte %zu, found %s (object opened at byte %zu)",
				    w->pos, vg_json_byte(cb, (unsigned char)w->s[w->pos]), open);
		}
		size_t ks = w->pos;
		int esc, rc;
		uint32_t child = w->jf ? expected_member(w, node, prev, ks) : 0;
		if (child == 0) {
			if ((rc = scan_string(w, &esc)) < 0)
				return rc;
			if (w->jf) {
				child = member_node(w, node, ks + 1, w->pos - 1, esc);
				/* A predicted member is already where it came. */
				learn_order(w->jf, node, prev, child);
			}
		}
		prev = child;
		w->pos = vg_json_ws(w->s, w->n, w->pos);
		if (w->pos >= w->n)
			return truncated(w, open);
		if (w->s[w->pos] != ':')
			return werr(w, VG_EINVAL, w->pos,
				    "expected ':' at byte %zu after the key at byte %zu, found %s",
				    w->pos, ks, vg_json_byte(cb, (unsigned char)w->s[w->pos]));
		w->pos++;
		if ((rc = walk_value(w, child)) < 0)
			return rc;
		w->pos = vg_json_ws(w->s, w->n, w->pos);
		if (w->pos >= w->n)
			return truncated(w, open);
		char c = w->s[w->pos];
		if (c == '}') {
			w->pos++;
			w->depth--;
			return 0;
		}
		if (c != ',')
			return werr(w, VG_EINVAL, w->pos,
				    "expected ',' or '}' at byte %zu, found %s (object opened at byte %zu)",
				    w->pos, vg_json_byte(cb, (unsigned char)c), open);
		w->pos = vg_json_ws(w->s, w->n, w->pos + 1);
	}
}

static int walk_array(walker *w, uint32_t node)
{
	size_t open = w->pos;
	char cb[8];
	if (++w->depth > VG_MAX_JSON_DEPTH)
		return werr(w, VG_ELIMIT, open, "nesting deeper than %d levels at byte %zu",
			    VG_MAX_JSON_DEPTH, open);
	w->pos = vg_json_ws(w->s, w->n, w->pos + 1);
	if (w->pos < w->n && w->s[w->pos] == ']') {
		w->pos++;
		w->depth--;
		return 0;
	}
	uint32_t prev = 0; /* the element read last */
	for (uint32_t i = 0;; i++) {
		if (w->pos >= w->n)
			return truncated(w, open);
		if (w->s[w->pos] == ']')
			return werr(w, VG_EINVAL, w->pos, "trailing comma before ']' at byte %zu",
				    w->pos);
		uint32_t child = 0;
		if (w->jf) {
			/* The element after the one read last is the next index:
			 * its node is known once seen (an index node's next is only
			 * ever its successor; first may be a member, when this
			 * node was an object elsewhere). */
			child = prev ? w->jf->nodes[prev].next : w->jf->nodes[node].first;
			if (child == 0 || w->jf->nodes[child].kind != K_INDEX) {
				child = index_node(w->jf, node, i);
				learn_order(w->jf, node, prev, child);
			}
			prev = child;
		}
		int rc = walk_value(w, child);
		if (rc < 0)
			return rc;
		w->pos = vg_json_ws(w->s, w->n, w->pos);
		if (w->pos >= w->n)
			return truncated(w, open);
		char c = w->s[w->pos];
		if (c == ']') {
			w->pos++;
			w->depth--;
			return 0;
		}
		if (c != ',')
			return werr(w, VG_EINVAL, w->pos,
				    "expected ',' or ']' at byte %zu, found %s (array opened at byte %zu)",
				    w->pos, vg_json_byte(cb, (unsigned char)c), open);
		w->pos = vg_json_ws(w->s, w->n, w->pos + 1);
	}
}

/* Walk one scalar at w->pos (already known not to be '{' or '['). */
static int walk_scalar(walker *w, uint32_t node)
{
	size_t start = w->pos;
	unsigned char c = (unsigned char)w->s[start];
	int rc, flag;
	char lit = 0, cb[8];
	if (c == '"') {
		if ((rc = scan_string(w, &flag)) == 0 && w->jf && node)
			emit_string(w, node, start, flag);
		return rc;
	}
	if (c == '-' || is_digit(c)) {
		if ((rc = scan_number(w, &flag)) == 0 && w->jf && node)
			emit_number(w, node, start, flag);
		return rc;
	}
	if (c == 't' || c == 'f' || c == 'n') {
		/* The literal's own bytes are the value: a slice of the raw
		 * text, which the store need not search for. */
		if ((rc = scan_literal(w, &lit)) == 0 && w->jf && node && lit != 'n')
			vg_ev_str(w->b, node_fid(w->jf, node), w->s + start, lit == 't' ? 4 : 5);
		return rc;
	}
	return werr(w, VG_EINVAL, start, "unexpected %s at byte %zu; expected a value",
		    vg_json_byte(cb, c), start);
}

static int walk_value(walker *w, uint32_t node)
{
	w->pos = vg_json_ws(w->s, w->n, w->pos);
	if (w->pos >= w->n)
		return werr(w, VG_EINVAL, w->n, "input ends at byte %zu where a value was expected",
			    w->n);
	size_t start = w->pos;
	int rc;
	char c = w->s[start];
	if (c == '{')
		rc = walk_object(w, node);
	else if (c == '[')
		rc = walk_array(w, node);
	else
		rc = walk_scalar(w, node);
	if (rc == 0 && w->jf && w->jf->nodes[node].watch >= 0)
		w->jf->watch[w->jf->nodes[node].watch] = (vg_jspan){start, w->pos};
	return rc;
}

/* ---- scanner entry points -------------------------------------------- */

int vg_json_skip(const char *s, size_t n, size_t pos, vg_jspan *val, vg_err *err)
{
	walker w = {.s = s, .n = n, .pos = pos, .err = err};
	int rc = walk_value(&w, 0);
	if (rc < 0)
		return rc;
	val->start = vg_json_ws(s, n, pos);
	val->end = w.pos;
	return 0;
}

int vg_json_it_init(vg_json_it *it, const char *s, size_t n, size_t pos, vg_err *err)
{
	walker w = {.s = s, .n = n, .err = err};
	char cb[8];
	pos = vg_json_ws(s, n, pos);
	if (pos >= n)
		return werr(&w, VG_EINVAL, n, "input ends at byte %zu where an object or array was expected", n);
	if (s[pos] != '{' && s[pos] != '[')
		return werr(&w, VG_EINVAL, pos, "expected an object or array at byte %zu, found %s",
			    pos, vg_json_byte(cb, (unsigned char)s[pos]));
	*it = (vg_json_it){.s = s, .n = n, .pos = pos + 1, .open = pos,
			   .close = s[pos] == '{' ? '}' : ']'};
	return 0;
}

int vg_json_it_key(vg_json_it *it, vg_jspan *key, size_t *vpos, vg_err *err)
{
	walker w = {.s = it->s, .n = it->n, .pos = vg_json_ws(it->s, it->n, it->pos), .err = err};
	char cb[8];
	int obj = it->close == '}';
	if (w.pos >= w.n)
		return truncated(&w, it->open);
	char c = w.s[w.pos];
	if (c == it->close && it->count == 0) {
		it->pos = w.pos + 1;
		return 0;
	}
	if (it->count > 0) {
		if (c == it->close) {
			it->pos = w.pos + 1;
			return 0;
		}
		if (c != ',')
			return werr(&w, VG_EINVAL, w.pos,
				    "expected ',' or '%c' at byte %zu, found %s (%s opened at byte %zu)",
				    it->close, w.pos, vg_json_byte(cb, (unsigned char)c),
				    obj ? "object" : "array", it->open);
		w.pos = vg_json_ws(w.s, w.n, w.pos + 1);
		if (w.pos >= w.n)
			return truncated(&w, it->open);
		if (w.s[w.pos] == it->close)
			return werr(&w, VG_EINVAL, w.pos, "trailing comma before '%c' at byte %zu",
				    it->close, w.pos);
	}
	*key = (vg_jspan){0, 0};
	if (obj) {
		if (w.s[w.pos] != '"')
			return werr(&w, VG_EINVAL, w.pos,
				    "expected a \"key\" at byte %zu, found %s (object opened at byte %zu)",
				    w.pos, vg_json_byte(cb, (unsigned char)w.s[w.pos]), it->open);
		size_t ks = w.pos;
		int esc, rc = scan_string(&w, &esc);
		if (rc < 0)
			return rc;
		*key = (vg_jspan){ks + 1, w.pos - 1};
		w.pos = vg_json_ws(w.s, w.n, w.pos);
		if (w.pos >= w.n)
			return truncated(&w, it->open);
		if (w.s[w.pos] != ':')
			return werr(&w, VG_EINVAL, w.pos,
				    "expected ':' at byte %zu after the key at byte %zu, found %s",
				    w.pos, ks, vg_json_byte(cb, (unsigned char)w.s[w.pos]));
		w.pos++;
	}
	*vpos = vg_json_ws(w.s, w.n, w.pos);
	if (*vpos >= w.n)
		return werr(&w, VG_EINVAL, w.n, "input ends at byte %zu where a value was expected",
			    w.n);
	it->pos = *vpos;
	return 1;
}

void vg_json_it_done(vg_json_it *it, size_t end)
{
	it->pos = end;
	it->count++;
}

int vg_json_it_value(vg_json_it *it, size_t vpos, vg_jspan *val, vg_err *err)
{
	/* Members are one level inside the container: count it. */
	walker w = {.s = it->s, .n = it->n, .pos = vpos, .err = err, .depth = 1};
	int rc = walk_value(&w, 0);
	if (rc < 0)
		return rc;
	*val = (vg_jspan){vpos, w.pos};
	vg_json_it_done(it, w.pos);
	return 1;
}

int vg_json_it_next(vg_json_it *it, vg_jspan *key, vg_jspan *val, vg_err *err)
{
	size_t vpos;
	int rc = vg_json_it_key(it, key, &vpos, err);
	if (rc <= 0)
		return rc;
	return vg_json_it_value(it, vpos, val, err);
}

int vg_json_extent(const char *s, size_t n, size_t pos, int maxdepth, size_t *end)
{
	int depth = 0;
	size_t i = pos;
	if (pos >= n || (s[pos] != '{' && s[pos] != '['))
		return 0;
	while (i < n) {
		char c = s[i];
		if (c == '"') {
			/* Inside a string only '"' and '\\' matter; find_special
			 * also stops at control bytes, which are stepped over. */
			for (i++;; i++) {
				i = find_special(s, n, i);
				if (i >= n)
					return 0;
				if (s[i] == '\\')
					i++;
				else if (s[i] == '"')
					break;
			}
		} else if (c == '{' || c == '[') {
			if (++depth > maxdepth)
				return 0;
		} else if ((c == '}' || c == ']') && --depth == 0) {
			*end = i + 1;
			return 1;
		}
		i++;
	}
	return 0;
}

int vg_json_members(const char *s, size_t n, size_t obj, const char *const *names,
		    size_t nnames, vg_jspan *vals, vg_err *err)
{
	vg_json_it it;
	vg_jspan k, v;
	int rc = vg_json_it_init(&it, s, n, obj, err);
	for (size_t i = 0; i < nnames; i++)
		vals[i] = (vg_jspan){0, 0};
	if (rc < 0)
		return rc;
	if (it.close != '}') {
		walker w = {.s = s, .n = n, .err = err};
		return werr(&w, VG_EINVAL, it.open, "expected an object at byte %zu, found an array",
			    it.open);
	}
	while ((rc = vg_json_it_next(&it, &k, &v, err)) > 0)
		for (size_t i = 0; i < nnames; i++)
			if (vg_json_key_eq(s, k, names[i]))
				vals[i] = v;
	return rc;
}

int vg_json_find(const char *s, size_t n, size_t obj, const char *name, vg_jspan *val,
		 vg_err *err)
{
	int rc = vg_json_members(s, n, obj, &name, 1, val, err);
	if (rc < 0)
		return rc;
	return vg_jspan_ok(*val);
}

/* ---- flattener entry points ------------------------------------------ */

void vg_jflat_init(vg_jflat *jf)
{
	memset(jf, 0, sizeof *jf);
}

void vg_jflat_free(vg_jflat *jf)
{
	free(jf->nodes);
	free(jf->slots);
	vg_buf_free(&jf->keys);
	vg_buf_free(&jf->paths);
	vg_buf_free(&jf->scratch);
	memset(jf, 0, sizeof *jf);
}

int vg_jflat_watch(vg_jflat *jf, const char *name)
{
	if (jf->nwatch >= VG_JFLAT_MAXWATCH)
		return -1;
	jf->watchname[jf->nwatch] = name;
	jf->nnodes = 0; /* forces a cache reset, so old nodes learn the watch */
	return (int)jf->nwatch++;
}

void vg_jflat_rebind(vg_jflat *jf, vg_batch *b)
{
	jf->b = b;
	/* Epoch 0 is never current, so new nodes (epoch 0) are checked;
	 * should the count wrap, old nodes would pass unchecked: drop them. */
	if (++jf->epoch == 0) {
		jf->epoch = 1;
		jf->nnodes = 0;
	}
}

int vg_jflat_value(vg_jflat *jf, vg_batch *b, const char *s, size_t n, size_t pos,
		   const char *prefix, size_t *end, vg_err *err)
{
	if (jf->b != b)
		vg_jflat_rebind(jf, b);
	if (jf->nnodes == 0 || jf->nnodes > JF_MAXNODES)
		cache_reset(jf);
	for (size_t i = 0; i < jf->nwatch; i++)
		jf->watch[i] = (vg_jspan){0, 0};
	walker w = {.s = s, .n = n, .pos = pos, .jf = jf, .b = b, .err = err};
	uint32_t node = 0;
	if (prefix && *prefix) {
		size_t plen = strlen(prefix);
		node = node_get(jf, 0, K_NAME, prefix, plen < VG_MAX_NAME ? plen : VG_MAX_NAME);
	}
	int rc = walk_value(&w, node);
	if (rc == 0 && end)
		*end = w.pos;
	return rc;
}

/* ---- values as times ------------------------------------------------- */

const char *vg_json_kind(char c)
{
	switch (c) {
	case '{': return "an object";
	case '[': return "an array";
	case '"': return "a string";
	case 't': case 'f': return "a boolean";
	case 'n': return "null";
	default: return "a number";
	}
}

/* The unit of an epoch number of magnitude a, as ns per unit: seconds up to
 * 1e11 (year 5138), then milliseconds, microseconds, nanoseconds. */
static int64_t epoch_scale(uint64_t a)
{
	return a < UINT64_C(100000000000) ? VG_NS_PER_SEC
	       : a < UINT64_C(100000000000000) ? 1000000
	       : a < UINT64_C(100000000000000000) ? 1000 : 1;
}

/* An epoch number text (integer or decimal; an exponent goes through
 * strtod) as ns. Decimals are converted digit by digit, because a double
 * holds nanoseconds of today only to a few hundred ns. */
static int epoch_time(const char *p, size_t len, int64_t *ns)
{
	const char *dot = memchr(p, '.', len);
	size_t ilen = dot ? (size_t)(dot - p) : len;
	int64_t iv;
	if (memchr(p, 'e', len) == NULL && memchr(p, 'E', len) == NULL &&
	    vg_json_int(p, ilen, &iv)) {
		uint64_t a = iv < 0 ? 0 - (uint64_t)iv : (uint64_t)iv;
		int64_t scale = epoch_scale(a), frac = 0;
		if (a > (uint64_t)(INT64_MAX / scale) - 1)
			return 0;
		for (size_t i = ilen + 1, place = (size_t)scale / 10; dot && i < len; i++, place /= 10) {
			if (!is_digit((unsigned char)p[i]))
				return 0;
			frac += (p[i] - '0') * (int64_t)place;
		}
		if (dot && ilen + 1 >= len)
			return 0;
		*ns = iv * scale + (p[0] == '-' ? -frac : frac);
		return 1;
	}
	char tmp[48];
	if (len == 0 || len >= sizeof tmp)
		return 0;
	memcpy(tmp, p, len);
	tmp[len] = 0;
	char *end;
	double d = strtod(tmp, &end);
	if (end != tmp + len || d != d)
		return 0;
	double a = d < 0 ? -d : d;
	double t = d * (double)epoch_scale(a < 1e18 ? (uint64_t)a : UINT64_MAX);
	if (t > 9.2e18 || t < -9.2e18)
		return 0;
	*ns = (int64_t)t;
	return 1;
}

/* 1 if the ISO-8601 text p starts with a year whose times fit int64 ns
 * (1678..2261). vg_parse_iso8601 does not check this itself and would
 * overflow (reported to the owner of util/timeutil.c). */
static int iso_in_range(const char *p, size_t len)
{
	if (len < 4)
		return 0;
	int y = 0;
	for (int i = 0; i < 4; i++) {
		if (!is_digit((unsigned char)p[i]))
			return 0;
		y = y * 10 + (p[i] - '0');
	}
	return y >= 1678 && y <= 2261;
}

int vg_json_time(const char *s, vg_jspan v, int64_t *ns)
{
	if (!vg_jspan_ok(v))
		return 0;
	const char *p = s + v.start;
	size_t len = v.end - v.start;
	if (p[0] == '"') {
		p++;
		len -= 2;
		/* A time never needs an escape; one that has them is not a time. */
		if (len == 0 || memchr(p, '\\', len))
			return 0;
		if (iso_in_range(p, len) && vg_parse_iso8601(p, len, ns) == len)
			return 1;
		/* A string of digits is an epoch only when long enough not to be
		 * a compact date such as 20240101. */
		return len >= 9 && (p[0] == '-' || is_digit((unsigned char)p[0])) &&
		       epoch_time(p, len, ns);
	}
	if (p[0] == '-' || is_digit((unsigned char)p[0]))
		return epoch_time(p, len, ns);
	return 0;
}

/* ---- documents ------------------------------------------------------- */

void vg_jdoc_rest(vg_jdoc *d, size_t from, size_t to, const char *msg)
{
	vg_batch *b = d->ctx->out;
	/* The comma after the last value read belongs to no one; leave it. */
	from = vg_json_ws(d->s, to, from);
	if (from < to && d->s[from] == ',')
		from = vg_json_ws(d->s, to, from + 1);
	size_t len = to > from ? to - from : 0;
	size_t parts = len > VG_MAX_RAW ? (len + VG_MAX_RAW - 1) / VG_MAX_RAW : 1;
	for (size_t k = 0; k < parts; k++) {
		size_t off = from + k * VG_MAX_RAW;
		size_t m = len - k * VG_MAX_RAW < VG_MAX_RAW ? len - k * VG_MAX_RAW : VG_MAX_RAW;
		char buf[640];
		if (parts == 1)
			snprintf(buf, sizeof buf, "%s", msg);
		else
			snprintf(buf, sizeof buf, "%s (unparsed bytes %zu to %zu, part %zu of %zu)",
				 msg, off, off + m, k + 1, parts);
		vg_ev_begin(b, d->group, d->ctx->now_ns, d->s + off, m);
		vg_ev_parse_error(b, buf);
		vg_ev_end(b);
	}
}

/* 1 if the line s[from, to) holds exactly one complete JSON object or
 * array (whitespace around it allowed). */
static int line_is_value(const char *s, size_t from, size_t to)
{
	size_t p = vg_json_ws(s, to, from);
	vg_jspan v;
	vg_err err;
	if (p >= to || (s[p] != '{' && s[p] != '['))
		return 0;
	return vg_json_skip(s, to, p, &v, &err) == 0 && vg_json_ws(s, to, v.end) == to;
}

/* NDJSON: the first or second non-blank line is a complete value on its
 * own and more lines follow. A pretty-printed document never qualifies,
 * because its first line is only an opening bracket. */
static int is_ndjson(const char *s, size_t n)
{
	size_t from = vg_json_ws(s, n, 0);
	for (int line = 0; line < 2 && from < n; line++) {
		const char *nl = memchr(s + from, '\n', n - from);
		if (nl == NULL)
			return 0;
		size_t end = (size_t)(nl - s);
		size_t next = vg_json_ws(s, n, end);
		if (next >= n)
			return 0;
		if (line_is_value(s, from, end))
			return 1;
		from = next;
	}
	return 0;
}

/* Run fn over the top-level values of s[from, to). */
static void run_values(vg_jdoc *d, size_t from, size_t to, vg_jdoc_fn fn, void *arg)
{
	d->n = to;
	size_t pos = vg_json_ws(d->s, to, from);
	d->done = pos;
	while (pos < to) {
		size_t next = pos;
		if (fn(d, pos, &next, arg) < 0) {
			vg_jdoc_rest(d, d->done, to, d->err.msg);
			return;
		}
		if (next <= pos) /* a callback that made no progress: stop, not spin */
			return;
		pos = vg_json_ws(d->s, to, next);
		d->done = pos;
	}
}

void vg_jdoc_run(vg_parse_ctx *ctx, uint32_t group, const char *s, size_t n, vg_jdoc_fn fn,
		 void *arg)
{
	vg_jdoc d = {.ctx = ctx, .group = group, .s = s, .n = n};
	if (!is_ndjson(s, n)) {
		run_values(&d, 0, n, fn, arg);
		return;
	}
	size_t pos = 0;
	while (pos < n) {
		const char *nl = memchr(s + pos, '\n', n - pos);
		size_t end = nl ? (size_t)(nl - s) : n;
		run_values(&d, pos, end, fn, arg);
		pos = end + 1;
	}
}
