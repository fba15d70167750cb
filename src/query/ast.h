/*
 * ast.h — the syntax tree of a vigil query, as the parser (qparse.h) builds
 * it and the executor walks it.
 *
 * A query is a search expression (the part before the first `|`), the time
 * bounds taken out of it (`earliest=` / `latest=`), and a pipeline of
 * commands. Two small languages live in it, with Splunk's two precedences:
 *
 *   - search expressions (the search part and `| search`): terms, phrases
 *     and field comparisons, combined by NOT, then OR, then AND (implicit
 *     or written): `a b OR c` is `a AND (b OR c)`. A tree of vg_snode.
 *   - eval expressions (`where`, `eval`): values, fields, operators and
 *     function calls, with NOT, then AND, then OR: `a AND b OR c` is
 *     `(a AND b) OR c`. A tree of vg_expr.
 *
 * Positions: every node, name and value carries `pos`, the byte offset in
 * the query text where it starts, so the executor can report a runtime
 * error ("sum(bytes) at 40: ...") at the place the user wrote it.
 *
 * Ownership: every node, string and array of a query lives in the query's
 * arena (vg_query.arena) or is a static constant (canonical names such as
 * "_group", defaults such as "count"), and is released at once by
 * vg_query_free, which also frees the compiled regular expressions
 * (vg_qregex, owned through the list vg_query.regexes). Strings are
 * NUL-terminated and also carry their length (they never hold a NUL: the
 * parser refuses NUL bytes). Nothing points into the caller's query
 * buffer. The tree is read-only once vg_query_parse returns.
 *
 * Thread safety: a parsed query may be read by several threads at once.
 * pcre2_code is shareable; each thread matching needs its own match data
 * and match context (vg_qregex_mctx in qparse.h).
 */
#ifndef VG_AST_H
#define VG_AST_H

#include <stddef.h>
#include <stdint.h>

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

#include "util/mem.h"

/* ------------------------------------------------------------------ names */

/* Fields the executor computes or treats apart; everything else is a field
 * extracted by a format parser, found by name. */
typedef enum vg_qfkind {
	VG_QF_PLAIN = 0, /* a field by its name */
	VG_QF_RAW,       /* _raw: the raw message */
	VG_QF_TIME,      /* _time: the event time */
	VG_QF_GROUP,     /* _group; `group` and `index` are the same field */
	VG_QF_WDAY,      /* date_wday: "sunday".."saturday" of _time, UTC */
	VG_QF_HOUR,      /* date_hour: 0..23 of _time, UTC */
	VG_QF_MDAY,      /* date_mday: 1..31 of _time, UTC */
} vg_qfkind;

/* A field name as written, or a pattern with `*` where the command takes
 * patterns (fields, table, rename). Special fields get their canonical
 * name: `group` and `index` read as "_group". */
typedef struct vg_qname {
	const char *s;
	uint32_t len;
	uint32_t pos;
	uint8_t kind;   /* vg_qfkind */
	uint8_t wild;   /* holds `*` (only in commands that take patterns) */
} vg_qname;

/* ------------------------------------------------------ values and regexes */

/* A regular expression compiled at parse time (PCRE2, UTF-8 mode with
 * PCRE2_MATCH_INVALID_UTF so that any bytes of an event can be matched;
 * case-sensitive unless the pattern says (?i); duplicate group names
 * allowed). JIT-compiled when the platform allows it. */
typedef struct vg_qregex {
	const char *src;          /* the pattern, unescaped */
	uint32_t src_len;
	uint32_t pos;             /* its string in the query */
	pcre2_code *code;
	uint32_t ncaptures;       /* capture groups, named or not */
	const char **names;       /* named groups, distinct, in the order of
				   * their first group number (rex output) */
	uint32_t *name_groups;    /* the group number of each name */
	uint32_t nnames;
	struct vg_qregex *next;   /* the query's list of regexes (ownership) */
} vg_qregex;

/* What the parser recognised in a literal value. */
enum {
	VG_QV_QUOTED = 1u << 0, /* written "..." */
	VG_QV_WILD = 1u << 1,   /* holds `*`: a wildcard pattern (search values) */
	VG_QV_ANY = 1u << 2,    /* only `*`s: any value; field=* means "has the field" */
	VG_QV_NUM = 1u << 3,    /* a decimal number: d holds it */
	VG_QV_INT = 1u << 4,    /* an integer within int64: i holds it (and NUM is set) */
	VG_QV_IP = 1u << 5,     /* an IPv4 or IPv6 address: ip holds it, bits = 128 */
	VG_QV_CIDR = 1u << 6,   /* a network a.b.c.d/n or x::/n: ip (host bits
				 * cleared) and bits */
	VG_QV_TIME = 1u << 7,   /* a time (values compared with _time): i holds ns */
	VG_QV_WDAY = 1u << 8,   /* a day name (date_wday): i is 0 (sunday)..6 */
};

/* A literal: a search value or term, or a string or number in an
 * expression. s is the text after unescaping ("a\"b" gives a"b), with `*`
 * kept as written; for date_wday values it is lowercased. Every number,
 * address and time form it also reads as is filled in and flagged, so the
 * executor compares in binary when the field's type allows. */
typedef struct vg_qval {
	const char *s;
	uint32_t len;
	uint32_t pos;
	uint32_t flags;         /* VG_QV_* */
	int64_t i;
	double d;
	uint8_t ip[16];         /* IPv4 as IPv4-mapped (util/ip.h) */
	uint8_t bits;           /* prefix over the 128-bit form: IPv4 /24 is 120 */
	vg_qregex *re;          /* field~"re"; string arguments of match() and
				 * replace() and the first of cidrmatch() are
				 * checked at parse time (re set for regexes) */
} vg_qval;

/* ------------------------------------------------------ search expressions */

typedef enum vg_snkind {
	VG_SN_AND = 0, /* every kid matches (n >= 2) */
	VG_SN_OR,      /* some kid matches (n >= 2) */
	VG_SN_NOT,     /* kid does not match */
	VG_SN_TERM,    /* a word or "phrase" on token boundaries of _raw,
			* case-insensitive; `*` is a wildcard */
	VG_SN_CMP,     /* field op value */
} vg_snkind;

typedef enum vg_sop {
	VG_SOP_EQ = 0, /* = (or ==): case-insensitive, wildcards, CIDR, IP, numbers */
	VG_SOP_NE,     /* != : the field exists and does not match as = would */
	VG_SOP_LT,     /* <, <=, >, >= : numbers (VG_QV_NUM), or times for _time */
	VG_SOP_LE,
	VG_SOP_GT,
	VG_SOP_GE,
	VG_SOP_RE,     /* ~ "regex": val.re matches somewhere in the value */
} vg_sop;

typedef struct vg_snode vg_snode;
struct vg_snode {
	uint8_t kind;   /* vg_snkind */
	uint8_t op;     /* VG_SN_CMP: vg_sop */
	uint32_t pos;
	union {
		struct {
			vg_snode **kids;
			uint32_t n;
		} list;                 /* AND, OR */
		vg_snode *kid;          /* NOT */
		vg_qval term;           /* TERM */
		struct {
			vg_qname field;
			vg_qval val;
		} cmp;                  /* CMP */
	};
};

/* ------------------------------------------------------- eval expressions */

typedef enum vg_exkind {
	VG_EX_NUM = 0, /* lit: NUM (and INT when integral) */
	VG_EX_STR,     /* lit: a "string" */
	VG_EX_BOOL,    /* lit.i: 0 or 1 (true, false, true(), false()) */
	VG_EX_NULL,    /* null, null() */
	VG_EX_FIELD,   /* field: a bare name or a 'quoted name' */
	VG_EX_NEG,     /* -kid */
	VG_EX_NOT,     /* NOT kid, !kid */
	VG_EX_BIN,     /* bin.l op bin.r (op: vg_bop) */
	VG_EX_AND,     /* list: every arg true (n >= 2); AND, && */
	VG_EX_OR,      /* list: some arg true (n >= 2); OR, || */
	VG_EX_CALL,    /* fn(list); also `x IN (a, b)` (in) and `x LIKE p` (like) */
} vg_exkind;

typedef enum vg_bop {
	VG_BOP_ADD = 0, VG_BOP_SUB, VG_BOP_MUL, VG_BOP_DIV, VG_BOP_MOD,
	VG_BOP_CONCAT, /* . */
	VG_BOP_EQ,     /* = and == */
	VG_BOP_NE, VG_BOP_LT, VG_BOP_LE, VG_BOP_GT, VG_BOP_GE,
} vg_bop;

/* Functions of eval and where. Arity is checked by the parser (see the
 * table in qnames.c, and vg_fn_name). */
typedef enum vg_fn {
	VG_FN_ABS = 0, VG_FN_CASE, VG_FN_CEIL, VG_FN_CIDRMATCH, VG_FN_COALESCE,
	VG_FN_EXP, VG_FN_FLOOR, VG_FN_IF, VG_FN_IN, VG_FN_ISNOTNULL, VG_FN_ISNULL,
	VG_FN_LEN, VG_FN_LIKE, VG_FN_LN, VG_FN_LOG, VG_FN_LOWER, VG_FN_LTRIM,
	VG_FN_MATCH, VG_FN_MAX, VG_FN_MIN, VG_FN_MVCOUNT, VG_FN_MVINDEX, VG_FN_NOW,
	VG_FN_POW, VG_FN_RELATIVE_TIME, VG_FN_REPLACE, VG_FN_ROUND, VG_FN_RTRIM,
	VG_FN_SPLIT, VG_FN_SQRT, VG_FN_STRFTIME, VG_FN_STRPTIME, VG_FN_SUBSTR,
	VG_FN_TONUMBER, VG_FN_TOSTRING, VG_FN_TRIM, VG_FN_UPPER, VG_FN_URLDECODE,
	VG_FN_COUNT_ /* number of functions */
} vg_fn;

typedef struct vg_expr vg_expr;
struct vg_expr {
	uint8_t kind;   /* vg_exkind */
	uint8_t op;     /* VG_EX_BIN: vg_bop */
	uint16_t fn;    /* VG_EX_CALL: vg_fn */
	uint32_t pos;   /* where the node starts (its leftmost token) */
	uint32_t oppos; /* BIN, AND, OR, and calls written as operators (IN,
			 * LIKE): the (first) operator; for runtime errors
			 * such as a division by zero. Else pos. */
	union {
		vg_qval lit;            /* NUM, STR, BOOL */
		vg_qname field;         /* FIELD */
		vg_expr *kid;           /* NEG, NOT */
		struct {
			vg_expr *l, *r;
		} bin;                  /* BIN */
		struct {
			vg_expr **args;
			uint32_t n;
		} list;                 /* AND, OR, CALL */
	};
};

/* --------------------------------------------------------------- commands */

typedef enum vg_aggfn {
	VG_AGG_COUNT = 0, /* count, c: events, or events having the field */
	VG_AGG_DC,        /* dc, distinct_count */
	VG_AGG_SUM, VG_AGG_AVG /* avg, mean */, VG_AGG_MIN, VG_AGG_MAX,
	VG_AGG_PERC,      /* percNN, pNN, median (50): perc holds NN */
	VG_AGG_VALUES,    /* distinct values, sorted (a multivalue) */
	VG_AGG_EARLIEST,  /* value at the smallest _time */
	VG_AGG_LATEST,    /* value at the largest _time */
} vg_aggfn;

typedef struct vg_qagg {
	uint8_t fn;          /* vg_aggfn */
	uint8_t has_field;   /* 0 only for a bare `count` */
	double perc;         /* VG_AGG_PERC: 0 < perc <= 100 */
	vg_qname field;
	const char *as;      /* output column: the `as` name, or the function
			      * as written with its field: "count",
			      * "dc(dstport)", "p95(bytes)" (Splunk's names) */
	uint32_t as_len;
	uint32_t pos;
} vg_qagg;

typedef struct vg_qnames {
	vg_qname *v;
	uint32_t n;
} vg_qnames;

typedef struct vg_qaggs {
	vg_qagg *v;
	uint32_t n;
} vg_qaggs;

typedef enum vg_sortas {
	VG_SORT_AUTO = 0, /* numbers numerically before strings lexically */
	VG_SORT_NUM, VG_SORT_STR, VG_SORT_IP,
} vg_sortas;

typedef struct vg_qsortkey {
	vg_qname field;
	uint8_t desc;   /* written -field, or the list ended in `desc` */
	uint8_t as;     /* vg_sortas: num(f), str(f), ip(f), auto(f) */
} vg_qsortkey;

typedef struct vg_qassign {
	vg_qname target;
	vg_expr *e;
} vg_qassign;

typedef struct vg_qpair {
	vg_qname from, to;   /* rename from AS to; lookup column AS event field */
} vg_qpair;

typedef enum vg_cmdkind {
	VG_CMD_SEARCH = 0, VG_CMD_STATS, VG_CMD_TOP, VG_CMD_RARE, VG_CMD_TIMECHART,
	VG_CMD_SORT, VG_CMD_HEAD, VG_CMD_TAIL, VG_CMD_FIELDS, VG_CMD_TABLE,
	VG_CMD_WHERE, VG_CMD_EVAL, VG_CMD_REX, VG_CMD_DEDUP, VG_CMD_IPLOCATION,
	VG_CMD_GEOSTATS, VG_CMD_LOOKUP, VG_CMD_RENAME,
	VG_CMD_COUNT_
} vg_cmdkind;

/* One command of the pipeline. Counts of 0 in limits mean "no limit" unless
 * noted; defaults are filled in (top's limit is 10, head's n is 10). */
typedef struct vg_qcmd {
	uint8_t kind;   /* vg_cmdkind */
	uint32_t pos;   /* the command name */
	union {
		vg_snode *search;       /* SEARCH: never NULL */
		vg_expr *where;         /* WHERE */
		struct {
			vg_qaggs aggs;  /* n >= 1 */
			vg_qnames by;
		} stats;                /* STATS */
		struct {
			uint32_t limit;         /* rows; default 10, 0 = all */
			vg_qnames fields;       /* n >= 1 */
			vg_qnames by;
			const char *countfield; /* default "count" */
			const char *percentfield; /* default "percent" */
			uint8_t showcount, showperc; /* default 1 */
		} top;                  /* TOP, RARE */
		struct {
			int64_t span_ns;        /* 0 = choose from the time range */
			uint32_t bins;          /* 0 = default */
			uint32_t limit;         /* series kept with `by`; default 10, 0 = all */
			uint8_t bottom;         /* limit=bottomN: the lowest series are kept */
			vg_qaggs aggs;          /* n >= 1 */
			vg_qname by;            /* by.s == NULL: no split */
			uint8_t useother;       /* the series past limit as one; default 1 */
			uint8_t usenull;        /* events without by as a series; default 1 */
			const char *otherstr;   /* that series' name; default "OTHER" */
			const char *nullstr;    /* that series' name; default "NULL" */
		} timechart;            /* TIMECHART */
		struct {
			uint32_t limit;         /* 0 = none written (executor default) */
			vg_qsortkey *keys;
			uint32_t n;             /* >= 1 */
		} sort;                 /* SORT */
		struct {
			uint32_t n;             /* default 10 */
		} head;                 /* HEAD, TAIL */
		struct {
			uint8_t remove;         /* fields - ... */
			vg_qnames list;         /* patterns, n >= 1 */
		} fields;               /* FIELDS */
		vg_qnames table;        /* TABLE: patterns, n >= 1 */
		struct {
			vg_qassign *v;
			uint32_t n;             /* >= 1, applied left to right */
		} eval;                 /* EVAL */
		struct {
			vg_qname field;         /* default _raw */
			vg_qregex *re;          /* nnames >= 1: the fields it sets */
			uint32_t max_match;     /* default 1; 0 = all (Splunk) */
		} rex;                  /* REX */
		struct {
			uint32_t keep;          /* events kept per combination, default 1 */
			vg_qnames fields;       /* n >= 1 */
			uint8_t keepempty, consecutive;
		} dedup;                /* DEDUP */
		struct {
			vg_qname field;
			const char *prefix;     /* prepended to Country, City, lat,
						 * lon, ASN; default "" */
		} iplocation;           /* IPLOCATION */
		struct {
			vg_qname lat, lon;      /* default lat, lon */
			double spanlat, spanlong; /* binspanlat=, binspanlong= in
						   * degrees; default 22.5, 45 */
			vg_qaggs aggs;          /* n >= 1 */
			vg_qname by;            /* by.s == NULL: no split */
		} geostats;             /* GEOSTATS */
		struct {
			const char *table;
			vg_qpair *in;           /* lookup column (from) AS event field (to) */
			uint32_t nin;           /* >= 1 */
			vg_qpair *out;          /* OUTPUT columns; nout 0 = every column */
			uint32_t nout;
			uint8_t outputnew;      /* OUTPUTNEW: do not overwrite */
		} lookup;               /* LOOKUP */
		struct {
			vg_qpair *v;            /* patterns: both sides have as many `*` */
			uint32_t n;             /* >= 1 */
		} rename;               /* RENAME */
	};
} vg_qcmd;

/* ------------------------------------------------------------------ query */

/* What the pipeline gives back. */
typedef enum vg_qout {
	VG_QOUT_EVENTS = 0, /* events (no transforming command) */
	VG_QOUT_ROWS,       /* a table: stats, top, rare, geostats, table */
	VG_QOUT_TIMECHART,  /* a table with one row per time bucket */
} vg_qout;

/* A literal string every matching event contains on token boundaries of
 * _raw or of a field's value (for Bloom filter block skipping). When
 * open_left (open_right) is set a wildcard touches that end, so the first
 * (last) token of s may be only part of a real token and must not be
 * looked up. */
typedef struct vg_qterm {
	const char *s;
	uint32_t len;
	uint32_t pos;
	uint8_t open_left, open_right;
} vg_qterm;

typedef struct vg_query {
	vg_arena arena;         /* owns everything below */
	const char *text;       /* a copy of the query */
	uint32_t len;

	vg_snode *search;       /* NULL: every event */
	/* [earliest, latest) in ns, from earliest= / latest= (both inclusive
	 * of earliest and exclusive of latest, as scans are) */
	int64_t earliest, latest;
	uint8_t has_earliest, has_latest;

	vg_qcmd *cmds;
	uint32_t ncmds;

	/* Derived facts for the executor (see qparse.h). */
	vg_qout output;
	int32_t first_transform;  /* index of the first transforming command, or -1 */
	uint8_t reads_all;        /* every stored field may be needed */
	vg_qname *reads;          /* else: fields and patterns read from storage */
	uint32_t nreads;
	vg_qterm *terms;
	uint32_t nterms;

	vg_qregex *regexes;       /* every compiled regex, freed by vg_query_free */
} vg_query;

#endif
