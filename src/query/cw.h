/*
 * cw.h — CloudWatch Logs filter patterns, as AWS defines them ("Filter
 * pattern syntax for metric filters, subscription filters, filter log
 * events, and Live Tail"), so people can paste the patterns they already
 * use, CIS benchmark metric filters included.
 *
 * A pattern is one of three kinds, told apart by its first non-blank byte:
 *
 *   terms      ERROR Exception   "Failed to process"   ?ERROR ?WARN
 *              ERROR -Exiting    %regex%               (empty: everything)
 *   delimited  [ip, user, ..., status_code=4* || status_code=5*, bytes>1000]
 *   JSON       { ($.errorCode = "*UnauthorizedOperation") || $.x NOT EXISTS }
 *
 * The semantics follow AWS's documentation; where it is silent, the choice
 * made is written where it is implemented (cw_terms.c, cw_delim.c,
 * cw_json.c) and summed up here:
 *
 *  - Matching is case-sensitive. A term or quoted phrase matches anywhere
 *    in the message, also inside a word (ERROR matches ERRORCODE). Unquoted
 *    terms may hold only letters, digits and '_'; anything else must be in
 *    double quotes, as AWS requires. A quoted term that is empty or blank
 *    (`""`, `" "`) matches every message. If a pattern mixes ?terms with
 *    plain or -excluded terms, the ?terms are ignored (AWS documents this).
 *  - `%regex%` is AWS's restricted dialect: letters, digits, space,
 *    : _ # = @ / ; , - and the operators ^ $ ? [ ] { } | \ * + . only (no
 *    parentheses, no multi-byte characters); escapes \d \D \s \S \w \W
 *    \xhh and a backslash before a symbol. It is run by PCRE2 (JIT when
 *    available) under match and depth limits; a regex that exhausts them
 *    counts as not matching. A regex searches (`%b%` matches "abc"), in the
 *    whole message or in a field's or property's text; '.' matches any
 *    byte, newline included, and '$' only the very end.
 *  - In values, a '*' at the start or end is a wildcard (prefix, suffix,
 *    contains, or any value for a lone '*'); a '*' elsewhere, or one
 *    written `\*`, is a literal star. Inside double quotes `\"` and `\\`
 *    are escapes; any other backslash is kept.
 *  - Unquoted values that read as numbers (5, -1.5, 1e+3) compare
 *    numerically, with every operator; other values compare as text, with
 *    = and != only. A condition on a field or JSON property that is absent,
 *    null, an object or an array is false, for != too (AWS behaves so:
 *    `$.a != "x"` does not match an event without `a`).
 *  - A JSON pattern matches only a message that is one JSON object
 *    (surrounding blanks allowed) of at most VG_CW_MAX_JSON bytes and
 *    nesting depth VG_CW_MAX_JSON_DEPTH. `[*]` and `.*` select any element
 *    or member; a condition holds if it holds for any selected value
 *    (NOT EXISTS: if none is selected).
 *  - Space-delimited messages split on runs of spaces and tabs; "..." and
 *    [...] groups are one field without their delimiters (only when the
 *    closing delimiter ends the field). Without an ellipsis the number of
 *    fields must equal the pattern's. A message of more than
 *    VG_CW_MAX_FIELDS fields never matches a space-delimited pattern.
 *
 * Limits (each gives a clear error): pattern length VG_CW_MAX_PATTERN bytes
 * (AWS's own), nesting of parentheses VG_CW_MAX_DEPTH, two regexes in a
 * delimited or JSON pattern, one wildcard per JSON selector and three per
 * pattern (AWS's quotas).
 *
 * Ownership: vg_cw_compile returns a pattern owned by the caller, released
 * with vg_cw_free. The pattern text is copied; nothing keeps a pointer to
 * it or to a matched message. Literals returned by vg_cw_required live as
 * long as the pattern.
 *
 * Thread safety: a compiled pattern is immutable. Any number of threads may
 * call vg_cw_match (and the other readers) on one pattern at once; each
 * call allocates its own scratch memory. There is no global mutable state.
 */
#ifndef VG_QUERY_CW_H
#define VG_QUERY_CW_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define VG_CW_MAX_PATTERN 1024        /* bytes, AWS's limit */
#define VG_CW_MAX_DEPTH 32            /* nested parentheses in a JSON pattern */
#define VG_CW_MAX_JSON (1u << 20)     /* bytes of a message parsed as JSON */
#define VG_CW_MAX_JSON_DEPTH 128      /* nesting of a message parsed as JSON */
#define VG_CW_MAX_FIELDS 65536        /* fields of a space-delimited message */

typedef struct vg_cw vg_cw;

/* The kind of a pattern: a %regex% and the empty pattern are terms. */
enum vg_cw_kind {
	VG_CW_TERMS = 1,
	VG_CW_DELIMITED = 2,
	VG_CW_JSON = 3,
};

/* Compile the n bytes at pattern (need not be NUL-terminated). On success
 * returns 0 and *out holds a new pattern the caller frees with vg_cw_free.
 * Otherwise returns VG_EINVAL, leaves *out NULL and fills err (if not NULL)
 * with the byte offset in the pattern (or -1) and a message a person
 * understands, e.g. "expected a value after '=' at 22". */
int vg_cw_compile(const char *pattern, size_t n, vg_cw **out, vg_err *err);

/* 1 if the log event message (len bytes, need not be NUL-terminated)
 * matches, as CloudWatch Logs would decide; 0 if not. */
int vg_cw_match(const vg_cw *p, const char *msg, size_t len);

/* Release p and everything it owns; NULL is allowed. */
void vg_cw_free(vg_cw *p);

/* The kind of p (enum vg_cw_kind). */
int vg_cw_kind(const vg_cw *p);

/* 1 if p matches every message (the empty or blank pattern, `""`). */
int vg_cw_matches_all(const vg_cw *p);

/* A byte string that every message matching a pattern contains. */
typedef struct vg_cw_lit {
	const char *s;       /* NUL-terminated, owned by the pattern */
	size_t len;
	/* 1 if, in a matching message, some occurrence of s is preceded
	 * (bound_left) / followed (bound_right) by a token breaker of
	 * store/bloom.h (a space, tab, '"', '[' or ']') or the message's
	 * edge. */
	uint8_t bound_left, bound_right;
	/* 1 if s comes from a JSON string value: the message holds it as
	 * written unless its producer escaped some of its characters
	 * (JSON allows \uXXXX for any character, and \/). */
	uint8_t json;
} vg_cw_lit;

/* The literals every matching message must contain, conservatively: none
 * when nothing is certain (?terms, OR, exclusions, regexes, numbers). Sets
 * *lits to an array owned by p and returns its length. */
size_t vg_cw_required(const vg_cw *p, const vg_cw_lit **lits);

/* Call fn(hash, ctx) for every search token (store/bloom.h: the tokenizer
 * of the block filters, hashed with vg_token_hash) that every matching
 * message must hold: the tokens of each required literal that are
 * delimited by breakers inside it or by its bounds. A block whose filter
 * lacks one of them holds no match. JSON literals count only when made of
 * printable ASCII other than '"', '\', '<', '>' and '&', the characters
 * JSON encoders escape; it assumes producers do not write ASCII letters
 * and digits as \u escapes, which no AWS service or common encoder does. */
void vg_cw_required_tokens(const vg_cw *p, void (*fn)(uint64_t h, void *ctx), void *ctx);

#endif
