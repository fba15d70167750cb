/*
 * bloom.h — search tokens and the per-block token filter.
 *
 * Search terms match on token boundaries, case-insensitively. The tokenizer
 * here is the single definition of a token, shared by the block filters the
 * store writes and the search terms the query engine looks up, so that a
 * filter can prove a block holds no match:
 *
 *  - major breakers split text into tokens: whitespace and
 *    " ' ( ) [ ] { } < > , ; = | & ! ? `
 *  - each major token is also split at minor breakers . / : - @ _ \ # $ %
 *    + * ~ into subtokens;
 *  - the filter holds every subtoken, lowercased (ASCII), as 64-bit hashes
 *    (vg_token_hash, defined in docs/FORMAT.md); a major token without
 *    minor breakers is its own only subtoken. Tokens longer than
 *    VG_TOKEN_MAX bytes are hashed on their first VG_TOKEN_MAX bytes.
 *
 * So a search term may skip a block only if one of the term's subtokens
 * is not in the block's filter: `10.0.1.5` is looked up as 10, 0, 1, 5.
 * (Whole major tokens were held too at first; leaving them out halved the
 * hashing of JSON events, whose ARNs and IDs are full of minor breakers,
 * and costs only filter precision.)
 *
 * A block filter is a plain Bloom filter of 2^k bits with 3 probes derived
 * from one 64-bit hash (Kirsch–Mitzenmacher), at about 10 bits per distinct
 * token (~1% false positives).
 */
#ifndef VG_BLOOM_H
#define VG_BLOOM_H

#include <stddef.h>
#include <stdint.h>

#include "util/mem.h"

#define VG_TOKEN_MAX 64

/* Call fn(hash, ctx) for every token and subtoken of s. */
void vg_tokens(const char *s, size_t n, void (*fn)(uint64_t h, void *ctx), void *ctx);
/* 1 if bytes [off, off + n) of text start and end on token boundaries (a
 * breaker or the text's edge on both sides), so their tokens are tokens of
 * the text too. */
int vg_token_aligned(const char *text, size_t len, size_t off, size_t n);
/* 1 if byte c breaks tokens (a major or minor breaker). */
int vg_token_breaker(unsigned char c);
/* Hash of one token as the filter stores it (lowercased). */
uint64_t vg_token_hash(const char *s, size_t n);

/* A set of token hashes, deduplicated, for building a filter. */
typedef struct vg_tokset {
	uint64_t *slots;    /* 0 = empty (hash 0 is remapped to 1) */
	size_t nslots, n;
	uint64_t *seen;     /* short tokens (as words) added, direct-mapped:
			     * they are not even hashed again */
	uint64_t *recent;   /* small direct-mapped cache of hashes just added:
			     * repeated tokens (JSON keys, common values) stop
			     * here instead of probing the large table */
} vg_tokset;

void vg_tokset_add(vg_tokset *t, uint64_t h);
void vg_tokset_add_text(vg_tokset *t, const char *s, size_t n);
void vg_tokset_clear(vg_tokset *t);
void vg_tokset_free(vg_tokset *t);

/* Append a filter holding every hash of t to out: u8 log2(bits), bytes. */
void vg_bloom_build(const vg_tokset *t, vg_buf *out);
/* 1 if the filter (p, len as written by vg_bloom_build) may hold h; also 1
 * for an empty or malformed filter (it proves nothing). */
int vg_bloom_maybe(const uint8_t *p, size_t len, uint64_t h);

#endif
