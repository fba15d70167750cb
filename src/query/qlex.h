/*
 * qlex.h — the tokens of the query language.
 *
 * SPL is not one token language but several: in the search part a word
 * runs until a space or a comparison (`userIdentity.type=Root`), a value
 * after `=` runs until a space (`srcaddr=10.0.0.0/8`, `url=/a?b=c`), an
 * expression splits at every operator (`a+b*2`), and command arguments are
 * words, `=` and commas (`span=1h`, `dc(dstport)`). So the lexer reads one
 * token at a given offset in a mode the parser chooses; it keeps no state
 * of its own, which makes peeking free: the parser holds the cursor.
 *
 * A token is a kind and a byte range [pos, end) of the query; strings are
 * unescaped only when the parser asks for their text (qp_text). Inside
 * "..." and '...' a backslash escapes the quote and itself; any other
 * backslash stays as written, so regexes read as in Splunk (`"\d+"`).
 *
 * No allocation, no global state: safe from any thread.
 */
#ifndef VG_QLEX_H
#define VG_QLEX_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef enum ql_mode {
	QL_SEARCH, /* terms, phrases, ( ) and comparison operators */
	QL_VALUE,  /* the value after a comparison operator */
	QL_EXPR,   /* eval / where expressions */
	QL_ARGS,   /* command arguments */
} ql_mode;

typedef enum qt_kind {
	QT_EOF = 0,
	QT_PIPE,    /* | */
	QT_LP,      /* ( */
	QT_RP,      /* ) */
	QT_COMMA,   /* , (QL_EXPR, QL_ARGS) */
	QT_WORD,    /* a bare word (QL_SEARCH, QL_VALUE, QL_ARGS) */
	QT_STR,     /* "..." */
	QT_QNAME,   /* '...' (QL_EXPR, QL_ARGS) */
	QT_NUM,     /* a number (QL_EXPR) */
	QT_IDENT,   /* a name (QL_EXPR) */
	QT_EQ,      /* = */
	QT_EQEQ,    /* == */
	QT_NE,      /* != */
	QT_LT,      /* < */
	QT_LE,      /* <= */
	QT_GT,      /* > */
	QT_GE,      /* >= */
	QT_TILDE,   /* ~ (QL_SEARCH) */
	QT_PLUS,    /* + and the rest: QL_EXPR only */
	QT_MINUS,
	QT_STAR,
	QT_SLASH,
	QT_PCT,
	QT_DOT,
	QT_BANG,    /* ! */
	QT_ANDAND,  /* && */
	QT_OROR,    /* || */
} qt_kind;

typedef struct qtok {
	uint8_t kind;   /* qt_kind */
	uint32_t pos;   /* first byte (the quote, for strings) */
	uint32_t end;   /* one past the last byte */
} qtok;

/* Read the token at s[pos] (after spaces) in mode m. Returns 0, or
 * VG_EINVAL with err set for an unterminated string, a stray character or
 * a malformed number. */
int ql_lex(const char *s, uint32_t n, uint32_t pos, ql_mode m, qtok *t, vg_err *err);

/* Write s quoted for a message ('...'), at most about 40 bytes of it (cut
 * with "..."), control bytes and bytes that are not UTF-8 as \xNN, so a
 * message is always printable text. size >= QL_ECHO_MAX. Returns the
 * length. */
#define QL_ECHO_MAX 64
size_t ql_echo(char *buf, size_t size, const char *s, size_t n);

/* 1 for the bytes the search language treats as spaces. */
static inline int ql_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

#endif
