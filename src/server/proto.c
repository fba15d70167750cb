/*
 * proto.c — what the ingest protocols share (see proto.h).
 *
 * Compressed bodies. Shippers gzip their requests (Filebeat, Vector,
 * Fluent Bit, the HEC libraries); a small body can inflate to gigabytes,
 * so inflation writes into the output buffer a chunk at a time and stops
 * with VG_ELIMIT the moment the output would pass the cap, before
 * allocating for it. Several gzip members one after the other are one
 * body (RFC 1952 allows it, `cat a.gz b.gz` makes it, Go's reader accepts
 * it); bytes after the last member that are not another member are an
 * error rather than ignored, so a truncated upload is never mistaken for a
 * complete one.
 *
 * Group names. ES index names, HEC indexes and Loki labels are chosen by
 * clients, so they are reduced to a small safe alphabet and length before
 * they name a group: group names appear in queries, URLs and the UI.
 *
 * JSON strings in answers. Echoed client text (an index name, an _id) may
 * hold bytes that are not UTF-8; Rust's serde refuses such a document
 * whole, which would make Vector retry a batch that was stored. Invalid
 * sequences are therefore written as U+FFFD.
 */
#include "server/proto.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "event/value.h"

/* ------------------------------------------------------ content encoding */

/* 1 if the n bytes at s equal word, ignoring ASCII case. */
static int word_is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

int vg_proto_encoding(const char *header, vg_err *err)
{
	if (header == NULL)
		return VG_ENC_IDENTITY;
	size_t a = 0, b = strlen(header);
	while (a < b && (header[a] == ' ' || header[a] == '\t'))
		a++;
	while (b > a && (header[b - 1] == ' ' || header[b - 1] == '\t'))
		b--;
	const char *s = header + a;
	size_t n = b - a;
	if (n == 0 || word_is(s, n, "identity"))
		return VG_ENC_IDENTITY;
	if (word_is(s, n, "gzip") || word_is(s, n, "x-gzip"))
		return VG_ENC_GZIP;
	if (word_is(s, n, "deflate"))
		return VG_ENC_DEFLATE;
	return vg_seterr(err, VG_EINVAL, -1,
			 "unsupported Content-Encoding '%.*s': vigil accepts gzip, deflate or none",
			 (int)(n < 64 ? n : 64), s);
}

/* ------------------------------------------------------------- inflation */

#define INFLATE_CHUNK (64u << 10)

/* Inflate one member (the input is set in z) onto out, whose first
 * `start` bytes are not ours. Returns 0 at the member's end, or an error
 * with err set (n, the body's size, is for messages). */
static int inflate_member(z_stream *z, size_t max, vg_buf *out, size_t start, const char *what,
			  size_t n, vg_err *err)
{
	for (;;) {
		size_t have = out->len - start, room;
		uint8_t probe;
		int full = have >= max;
		if (full) {
			/* At the cap: is there more to come? Ask for one byte. */
			room = 1;
			z->next_out = &probe;
		} else {
			room = max - have < INFLATE_CHUNK ? max - have : INFLATE_CHUNK;
			vg_buf_reserve(out, room);
			z->next_out = out->p + out->len;
		}
		z->avail_out = (uInt)room;
		int zr = inflate(z, Z_NO_FLUSH);
		size_t got = room - z->avail_out;
		if (full && got > 0)
			return vg_seterr(err, VG_ELIMIT, -1,
					 "the %s body inflates to more than %zu bytes", what, max);
		if (!full)
			out->len += got;
		if (zr == Z_STREAM_END)
			return 0;
		if (zr == Z_OK && (z->avail_in > 0 || z->avail_out == 0))
			continue;
		if (zr == Z_OK || (zr == Z_BUF_ERROR && z->avail_in == 0))
			return vg_seterr(err, VG_EINVAL, (int64_t)n,
					 "the %s body is cut short: it ends at byte %zu inside the "
					 "compressed data", what, n);
		size_t pos = n - z->avail_in;
		return vg_seterr(err, VG_EINVAL, (int64_t)pos,
				 "the %s body is not valid compressed data (near byte %zu: %s)", what,
				 pos, z->msg ? z->msg : "corrupt stream");
	}
}

/* Inflate the members of a gzip or zlib stream one after the other.
 * Returns 0 or an error with err set. */
static int inflate_all(z_stream *z, const uint8_t *in, size_t n, int enc, size_t max,
		       vg_buf *out, size_t start, vg_err *err)
{
	const char *what = enc == VG_ENC_GZIP ? "gzip" : "deflate";
	size_t pos = 0;
	for (;;) {
		z->next_in = (Bytef *)(uintptr_t)(in + pos);
		z->avail_in = (uInt)(n - pos);
		int rc = inflate_member(z, max, out, start, what, n, err);
		if (rc < 0)
			return rc;
		pos = n - z->avail_in;
		if (pos >= n)
			return 0;
		if (enc != VG_ENC_GZIP || n - pos < 2 || in[pos] != 0x1f || in[pos + 1] != 0x8b)
			return vg_seterr(err, VG_EINVAL, (int64_t)pos,
					 "%zu bytes of other data follow the %s body at byte %zu",
					 n - pos, what, pos);
		inflateReset(z);
	}
}

int vg_proto_inflate(const void *in, size_t n, int enc, size_t max, vg_buf *out, vg_err *err)
{
	if (enc == VG_ENC_IDENTITY) {
		if (n > max)
			return vg_seterr(err, VG_ELIMIT, -1, "the body is larger than %zu bytes", max);
		vg_buf_put(out, in, n);
		return 0;
	}
	if (enc != VG_ENC_GZIP && enc != VG_ENC_DEFLATE)
		return vg_seterr(err, VG_EINVAL, -1, "unknown content encoding %d", enc);
	if (n > UINT32_MAX)
		return vg_seterr(err, VG_ELIMIT, -1, "a compressed body of %zu bytes is too large", n);
	z_stream z;
	memset(&z, 0, sizeof z);
	/* 16 + 15: gzip wrapper only; 15: zlib wrapper only. */
	if (inflateInit2(&z, enc == VG_ENC_GZIP ? 16 + MAX_WBITS : MAX_WBITS) != Z_OK)
		return vg_seterr(err, VG_ENOMEM, -1, "cannot start zlib");
	size_t start = out->len;
	int rc = inflate_all(&z, in, n, enc, max, out, start, err);
	inflateEnd(&z);
	if (rc < 0)
		out->len = start;
	return rc;
}

/* ------------------------------------------------------------ group names */

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* 1 if s[i, i + len) is `len` digits. */
static int digits_at(const char *s, size_t n, size_t i, size_t len)
{
	if (i + len > n)
		return 0;
	for (size_t k = 0; k < len; k++)
		if (!is_digit(s[i + k]))
			return 0;
	return 1;
}

/* The length of s without a trailing date suffix, or n. The forms are
 * SEP YYYY x MM [x DD] with SEP '-' or '.', and x '.' or '-'. */
static size_t cut_date(const char *s, size_t n)
{
	static const size_t lens[] = {11, 8};  /* -YYYY.MM.DD, -YYYY.MM */
	for (size_t k = 0; k < 2; k++) {
		size_t len = lens[k];
		if (n <= len)
			continue;
		size_t i = n - len;
		char sep = s[i], x = s[i + 5];
		if ((sep != '-' && sep != '.') || (x != '.' && x != '-') ||
		    !digits_at(s, n, i + 1, 4) || !digits_at(s, n, i + 6, 2))
			continue;
		if (len == 11 && (s[i + 8] != x || !digits_at(s, n, i + 9, 2)))
			continue;
		return i;
	}
	return n;
}

/* The length of s without a trailing rollover counter -NNNNNN, or n. */
static size_t cut_rollover(const char *s, size_t n)
{
	if (n > 7 && s[n - 7] == '-' && digits_at(s, n, n - 6, 6))
		return n - 7;
	return n;
}

static int group_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '.' ||
	       c == '_' || c == '-' || c == '/';
}

static int edge_char(char c)
{
	return c == '.' || c == '_' || c == '-' || c == '/';
}

size_t vg_proto_group_name(const char *name, size_t n, int strip_date, char *out)
{
	if (strip_date)
		n = cut_date(name, cut_rollover(name, n));
	size_t a = 0, len = 0;
	while (a < n && edge_char(name[a]))
		a++;
	for (size_t i = a; i < n && len < VG_PROTO_GROUP_MAX; i++)
		out[len++] = group_char(name[i]) ? name[i] : '_';
	while (len > 0 && edge_char(out[len - 1]))
		len--;
	out[len] = 0;
	return len;
}

uint32_t vg_proto_group(vg_batch *b, const char *name, size_t n, int strip_date,
			const char *dflt)
{
	char g[VG_PROTO_GROUP_MAX + 1];
	size_t len = name ? vg_proto_group_name(name, n, strip_date, g) : 0;
	if (len == 0)
		return vg_batch_group(b, dflt, strlen(dflt));
	return vg_batch_group(b, g, len);
}

/* ----------------------------------------------------------- JSON strings */

/* The length of the valid UTF-8 sequence at s[i] (s has n bytes), or 0.
 * Overlong forms, surrogates and code points past U+10FFFF are invalid. */
static size_t utf8_len(const unsigned char *s, size_t n, size_t i)
{
	unsigned char c = s[i];
	size_t len;
	uint32_t min, cp;
	if (c < 0x80)
		return 1;
	if ((c & 0xE0) == 0xC0) {
		len = 2, min = 0x80, cp = c & 0x1F;
	} else if ((c & 0xF0) == 0xE0) {
		len = 3, min = 0x800, cp = c & 0x0F;
	} else if ((c & 0xF8) == 0xF0) {
		len = 4, min = 0x10000, cp = c & 0x07;
	} else {
		return 0;
	}
	if (i + len > n)
		return 0;
	for (size_t k = 1; k < len; k++) {
		if ((s[i + k] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i + k] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

void vg_proto_json_str(vg_buf *out, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	vg_buf_reserve(out, n + 2);
	vg_buf_putc(out, '"');
	for (size_t i = 0; i < n;) {
		unsigned char c = u[i];
		if (c >= 0x80) {
			size_t k = utf8_len(u, n, i);
			if (k == 0) {
				vg_buf_put(out, "\\ufffd", 6);
				i++;
			} else {
				vg_buf_put(out, s + i, k);
				i += k;
			}
			continue;
		}
		i++;
		vg_json_putc(out, c);
	}
	vg_buf_putc(out, '"');
}
