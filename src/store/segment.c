/*
 * segment.c — writing and reading segment files (see segment.h and
 * docs/FORMAT.md).
 *
 * The writer transposes a time-sorted run of events into columns, block by
 * block. An event the batch rendered (its raw text verified to be its
 * fields printed through a template, see batch.h) keeps only the template;
 * any other keeps its raw text.
 *
 * Memory decides the writer's speed. The memtable holds rows (24 bytes a
 * field, far larger than the caches), and a block's sort order (by sort
 * key, then time) scatters its rows over all of it: reading rows in that
 * order misses the cache on every one. So a block is written in two
 * passes. The first (stage_block) reads its rows in the memtable's own
 * order, a stream, and keeps each value in compact form, one 64-bit word
 * per value in one array per column, strings and addresses as ids of the
 * column's dictionary. Then the rows are sorted (order_block), and the
 * second pass (gather_col) permutes each column's words into sort order:
 * its reads are scattered too, but over one column's few hundred KiB, and
 * prefetched. The encoder (colenc.h) takes the words as they are. No value
 * is ever built in memory and read back at once: the stores of these loops
 * miss the cache and queue up, and a load that has to wait for one of them
 * waits for all.
 *
 * A bulk load's memtable holds compact events (batch.h): a record of
 * words per event, already the staged form but for dictionary ids. They
 * are staged in runs of consecutive rows, column by column (stage_crun),
 * so that the stores go to one column's array at a time. When every row
 * of a segment is a compact event of one template, only the columns that
 * decide the order (sort key, pairs) are staged and gathered: the others
 * go from the records to their sort order directly (gather_direct). Row
 * and compact events give the same segment bytes.
 *
 * Mirror rows. A group may declare column pairs (`srcaddr~dstaddr` in its
 * sort key): network flows are logged once per direction, so the record of
 * a connection's reply is its request with source and destination swapped.
 * Inside a block, rows are ordered so that the two directions of a flow sit
 * next to each other; a row whose every pair holds the previous row's
 * values swapped is a mirror row: it stores nothing in the pair columns and
 * a 1 in `_mirror`, and vg_seg_read puts the values back. A pair that both
 * rows lack (their layout has no such field) does not prevent it. The
 * previous row of a mirror row is never a mirror row itself, so one step
 * restores it.
 * Chunk statistics are those of the restored values.
 */
#include "store/segment.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <pthread.h>
#include <unistd.h>

/* XXH3 inlined: sort keys hash a 16-byte address or a short string per
 * row, where a call costs more than the hash. The same function as
 * vg_hash. */
#define XXH_INLINE_ALL
#include <xxhash.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "event/value.h"
#include "store/bloom.h"
#include "util/ip.h"
#include "util/simd.h"
#include "util/strtab.h"

static const char MAGIC[8] = {'V', 'G', 'S', 'E', 'G', 0, 0, 1};
static const char END_MAGIC[8] = {'V', 'G', 'S', 'E', 'G', 'E', 'N', 'D'};
#define TRAILER_LEN (8 + 4 + 3 * VG_HASH_LEN + 8)
#define COL_TIME 0
#define COL_RAW 1
#define RAW_ZLEVEL 1   /* zstd level of `_raw` chunks (write_block) */
#define COL_TMPL 2
#define MIRROR_COL "_mirror"
#define ROLE_PAIR 8

void vg_seg_chain(const uint8_t prev[VG_HASH_LEN], const uint8_t content[VG_HASH_LEN],
		  uint64_t seq, uint8_t out[VG_HASH_LEN])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, VG_HASH_LEN);
	crypto_generichash_update(&st, prev, VG_HASH_LEN);
	crypto_generichash_update(&st, content, VG_HASH_LEN);
	uint8_t le[8];
	for (int k = 0; k < 8; k++)
		le[k] = (uint8_t)(seq >> (8 * k));
	crypto_generichash_update(&st, le, 8);
	crypto_generichash_final(&st, out, VG_HASH_LEN);
}

/* ---- writer ------------------------------------------------------------ */

#define PREFETCH 8
#define PCACHE 256          /* string pointer cache entries per column */
#define GATHER_AHEAD 32     /* prefetch distance of scattered reads, in values */

/* Start loading an event's fields (or compact record) and raw text into
 * the cache. */
static inline void prefetch_event(const vg_batch *b, uint32_t i)
{
	const vg_event *e = &b->ev[i];
	if (e->crow) {
		const vg_ctab *t;
		const char *r = (const char *)vg_event_compact(b, e, &t);
		for (uint32_t k = 0; k < t->stride * sizeof(uint64_t); k += 64)
			__builtin_prefetch(r + k);
		return;
	}
	const char *f = (const char *)(b->f + e->first);
	for (uint32_t k = 0; k < e->nfields * sizeof(vg_field); k += 64)
		__builtin_prefetch(f + k);
	if (e->raw) { /* (an event rendered from a template has none) */
		__builtin_prefetch(e->raw);
		__builtin_prefetch(e->raw + 64);
	}
}

/* Start loading what an event's address fields point at; its fields
 * should be in the cache already (prefetch_event a few rows earlier). */
static inline void prefetch_pointees(const vg_batch *b, uint32_t i)
{
	const vg_event *e = &b->ev[i];
	const vg_field *f = b->f + e->first;
	for (uint32_t k = 0; k < e->nfields; k++)
		if (f[k].type == VG_T_IP)
			__builtin_prefetch(f[k].v.ip);
}

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	return x;
}


/* The values of one column of a block in compact form (see vg_colvals):
 * a 64-bit word per value, dictionary ids for strings and addresses.
 * Positions and per-value types are only kept once the column turns out to
 * need them: most columns have a value in every row, all of one type.
 * Arrays hold segw.cap entries. */
typedef struct colvec {
	uint32_t n;
	uint8_t types;              /* bit (1 << type) per type present */
	uint8_t type1;              /* the type of value 0 */
	uint8_t sparse;             /* pos is kept (else value k is at position k) */
	uint8_t mixed;              /* vt is kept (else every value has type1) */
	uint8_t has_roff;           /* roff is kept (else all 0) */
	uint32_t *pos;
	uint8_t *vt;
	uint64_t *v;
	uint32_t *roff;             /* STR values' raw_off (vg_field) */
} colvec;

/* A column's addresses, each once: id -> address. */
typedef struct ipdict {
	uint8_t (*ip)[16];
	uint32_t n, cap;
	uint32_t *slot;             /* id + 1, 0 empty; nslot a power of two */
	uint32_t nslot;
	uint32_t last;              /* id of the last address looked up */
} ipdict;

/* A column's dictionaries for a block: strings (with a cache from the
 * batch's string pointers, which are shared between equal values, to
 * their ids) and addresses. */
typedef struct coldict {
	vg_strtab s;
	const char *pc[PCACHE];
	uint32_t plen[PCACHE], pid[PCACHE];
	ipdict ip;
	uint64_t *skey, *ipkey;     /* sort key hash per string / address id,
				     * 0 until computed (keyed columns only) */
	size_t capskey, capipkey;
} coldict;

typedef struct segw {
	const vg_batch *b;
	int zlevel;
	uint32_t ncols;
	uint32_t *col_of_fid;       /* fid -> column, UINT32_MAX if none */
	const char **colname;
	uint8_t *coltypes;
	colvec *stg;                /* per column: staged, in staging order */
	colvec *gat;                /* per column: gathered, in sort order */
	coldict *dict;              /* per column */
	struct rawdict *rawd;       /* `_raw` texts of the block, each once */
	size_t cap;                 /* entries of every per-value or per-row array */
	vg_tokset toks;
	vg_buf file;
	vg_buf footer;
	uint32_t keyfids[3];        /* sort key fields, UINT32_MAX if absent */
	uint32_t nkeys;
	uint32_t npairs;            /* mirror pairs declared (see above) */
	uint32_t pairfid[VG_MAX_PAIRS][2];
	uint32_t paircol[VG_MAX_PAIRS][2];  /* their columns */
	uint32_t col_mirror;        /* `_mirror`, or UINT32_MAX */
	const vg_ctab *direct;      /* every row of the segment is a compact
				     * event of this table: its columns that
				     * play no role in the order are gathered
				     * from copies of the records
				     * (gather_narrow) or the records */
	const uint64_t **recj;      /* per staging position: its record */
	/* The direct table's columns gather_direct takes, copied narrow
	 * (stage_narrow): */
	uint32_t nnar;              /* how many */
	uint8_t narcol[VG_CTAB_MAXCOL]; /* their template field indices */
	uint32_t nstride;           /* 32-bit words per row: values, types */
	uint32_t *nar;              /* per staging position, 64-byte aligned */
	void *nar_mem;              /* nar's allocation */
	int nar_wide;               /* a value of the block is wider */
	uint8_t *role;              /* per fid: 0, sort key k + 1, or
				     * ROLE_PAIR + pair slot (2 k + side) */
	/* Per-row scratch of a block, cap entries each: */
	struct sortrow *srows;      /* in time order */
	struct rkey *rk, *rktmp;    /* radix sort scratch (order_block) */
	uint32_t *rcnt;             /* its counts, RADIX_PASSES * RADIX_N */
	struct tiekey *ties;        /* 2 cap: runs of equal key and time */
	uint64_t *mkeys, *mtmp;     /* batch row << 32 | time position */
	uint32_t *order;            /* sort position -> staging position */
	int64_t *tj;                /* per staging position: time, */
	const char **rawj;          /* stored raw text or NULL, */
	uint32_t *rawlj;            /* its length, */
	uint32_t *tmplj;            /* template id + 1 */
	uint32_t *idx;              /* staging position -> value index + 1; 0
				     * between uses */
	struct pairrec *prec;       /* per staging position: its pair values */
	void *prec_mem;             /* prec's allocation */
	uint32_t (*pro)[2 * VG_MAX_PAIRS]; /* their raw_off, where pairrec.ro */
	uint8_t *mirror;            /* per sort position: a mirror row */
	const char **rawp;          /* per sort position: stored raw text, or NULL */
	uint32_t *rawl;
	struct dense *dense;        /* per column, see dense_of */
	uint32_t block_serial;
	int worker;                 /* shares the prototype's tables, owns scratch */
	int32_t *hint_col;          /* per column: last chosen reference, -1 none,
				     * -2 not yet chosen */
	int64_t *hint_div;
	uint8_t *int_hint;          /* per column: vg_colvals.int_hint */
	struct crun *crun;          /* compact rows being staged (stage_block) */
	vg_err *err;
} segw;

/* ---- dictionaries ---- */

static void ipdict_clear(ipdict *d)
{
	if (d->slot)
		memset(d->slot, 0, d->nslot * sizeof *d->slot);
	d->n = 0;
}

static void ipdict_free(ipdict *d)
{
	free(d->ip);
	free(d->slot);
	memset(d, 0, sizeof *d);
}

/* The hash of the address whose two halves (as memcpy reads them) are a
 * and b. */
static inline size_t ip_hash_w(uint64_t a, uint64_t b)
{
	return (size_t)mix64(a * UINT64_C(0x9e3779b97f4a7c15) ^ mix64(b));
}

static inline size_t ip_hash(const uint8_t *ip)
{
	uint64_t a, b;
	memcpy(&a, ip, 8);
	memcpy(&b, ip + 8, 8);
	return ip_hash_w(a, b);
}

/* 1 if address ip has halves a and b. */
static inline int ip_eq_w(const uint8_t *ip, uint64_t a, uint64_t b)
{
	uint64_t x, y;
	memcpy(&x, ip, 8);
	memcpy(&y, ip + 8, 8);
	return x == a && y == b;
}

static void ipdict_grow(ipdict *d)
{
	uint32_t ns = d->nslot ? d->nslot * 2 : 256;
	uint32_t *slot = vg_xcalloc(ns, sizeof *slot);
	for (uint32_t id = 0; id < d->n; id++) {
		size_t i = ip_hash(d->ip[id]) & (ns - 1);
		while (slot[i])
			i = (i + 1) & (ns - 1);
		slot[i] = id + 1;
	}
	free(d->slot);
	d->slot = slot;
	d->nslot = ns;
}

/* The id of the address with halves a and b (see ip_hash_w), adding it if
 * new. Runs of one address (rows of one interface sit together) are
 * answered without hashing. The address is passed in registers: compact
 * events hold an IPv4 address as a word, and one built in memory byte by
 * byte and read back as words would stall each load. */
static inline uint32_t ipdict_id_w(ipdict *d, uint64_t a, uint64_t b)
{
	if (d->n && ip_eq_w(d->ip[d->last], a, b))
		return d->last;
	if ((d->n + 1) * 2 > d->nslot)
		ipdict_grow(d);
	size_t i = ip_hash_w(a, b) & (d->nslot - 1);
	while (d->slot[i]) {
		uint32_t id = d->slot[i] - 1;
		if (ip_eq_w(d->ip[id], a, b))
			return d->last = id;
		i = (i + 1) & (d->nslot - 1);
	}
	if (d->n == d->cap) {
		size_t cap = d->cap;
		vg_grow(&d->ip, &cap, (size_t)d->n + 1, sizeof *d->ip);
		d->cap = (uint32_t)cap;
	}
	memcpy(d->ip[d->n], &a, 8);
	memcpy(d->ip[d->n] + 8, &b, 8);
	d->slot[i] = d->n + 1;
	return d->last = d->n++;
}

/* The id of address ip, adding it if new. */
static inline uint32_t ipdict_id(ipdict *d, const uint8_t *ip)
{
	uint64_t a, b;
	memcpy(&a, ip, 8);
	memcpy(&b, ip + 8, 8);
	return ipdict_id_w(d, a, b);
}

/* The id of string s (len bytes) in column dictionary d. Equal batch
 * pointers mean equal strings, so most values are answered by the pointer
 * cache without reading the string. */
static inline uint32_t str_id(coldict *d, const char *s, uint32_t len)
{
	size_t h = ((uintptr_t)s >> 3) & (PCACHE - 1);
	if (d->pc[h] == s && d->plen[h] == len)
		return d->pid[h];
	uint32_t id = vg_strtab_intern(&d->s, s, len);
	d->pc[h] = s;
	d->plen[h] = len;
	d->pid[h] = id;
	return id;
}

static void coldict_clear(coldict *d)
{
	vg_strtab_clear(&d->s);
	memset(d->pc, 0, sizeof d->pc);
	ipdict_clear(&d->ip);
	if (d->skey)
		memset(d->skey, 0, d->capskey * sizeof *d->skey);
	if (d->ipkey)
		memset(d->ipkey, 0, d->capipkey * sizeof *d->ipkey);
}

/* The distinct raw texts of a block: pointers into the batch, not copies
 * (a raw text is most of an event's bytes). id -> text. */
typedef struct rawdict {
	const char **str;
	uint32_t *lens;
	uint32_t n, cap;
	uint32_t *slot;             /* id + 1, 0 empty; nslot a power of two */
	uint64_t *hash;             /* per id */
	uint32_t nslot;
} rawdict;

static void rawdict_clear(rawdict *d)
{
	if (d->slot)
		memset(d->slot, 0, d->nslot * sizeof *d->slot);
	d->n = 0;
}

static void rawdict_free(rawdict *d)
{
	if (d == NULL)
		return;
	free(d->str);
	free(d->lens);
	free(d->slot);
	free(d->hash);
	free(d);
}

static void rawdict_rehash(rawdict *d)
{
	uint32_t ns = d->nslot ? d->nslot * 2 : 1024;
	uint32_t *slot = vg_xcalloc(ns, sizeof *slot);
	for (uint32_t id = 0; id < d->n; id++) {
		size_t i = d->hash[id] & (ns - 1);
		while (slot[i])
			i = (i + 1) & (ns - 1);
		slot[i] = id + 1;
	}
	free(d->slot);
	d->slot = slot;
	d->nslot = ns;
}

/* A hash of raw text s (n bytes) from its length and 16 words spread over
 * it: texts that differ (by an event ID, a time) nearly always differ in
 * one of them, and equal hashes are compared in full anyway. Hashing every
 * byte of every event costs more than the rest of this dictionary. */
static uint64_t raw_hash(const char *s, uint32_t n)
{
	if (n <= 256)
		return XXH3_64bits(s, n);
	uint64_t w[16];
	size_t step = (n - 8) / 15;
	for (int k = 0; k < 16; k++)
		memcpy(&w[k], s + (size_t)k * step, 8);
	return XXH3_64bits_withSeed(w, sizeof w, n);
}

/* The id of raw text s (n bytes), adding it if new. */
static uint32_t rawdict_id(rawdict *d, const char *s, uint32_t n)
{
	if ((d->n + 1) * 2 > d->nslot)
		rawdict_rehash(d);
	uint64_t h = raw_hash(s, n);
	size_t i = h & (d->nslot - 1);
	while (d->slot[i]) {
		uint32_t id = d->slot[i] - 1;
		if (d->hash[id] == h && d->lens[id] == n && memcmp(d->str[id], s, n) == 0)
			return id;
		i = (i + 1) & (d->nslot - 1);
	}
	if (d->n == d->cap) {
		size_t cap = d->cap;
		vg_grow(&d->str, &cap, (size_t)d->n + 1, sizeof *d->str);
		cap = d->cap;
		vg_grow(&d->lens, &cap, (size_t)d->n + 1, sizeof *d->lens);
		cap = d->cap;
		vg_grow(&d->hash, &cap, (size_t)d->n + 1, sizeof *d->hash);
		d->cap = (uint32_t)cap;
	}
	d->str[d->n] = s;
	d->lens[d->n] = n;
	d->hash[d->n] = h;
	d->slot[i] = d->n + 1;
	return d->n++;
}

/* ---- compact value lists ---- */

static void colvec_reset(colvec *c)
{
	c->n = 0;
	c->types = 0;
	c->sparse = 0;
	c->mixed = 0;
	c->has_roff = 0;
}

static void colvec_free(colvec *c)
{
	free(c->pos);
	free(c->vt);
	free(c->v);
	free(c->roff);
	memset(c, 0, sizeof *c);
}

/* colvec_add when c is about to need an array it does not keep yet: its
 * first value, the first position without a value, a second type, a first
 * raw_off. */
static __attribute__((noinline)) void colvec_widen(colvec *c, size_t cap, uint32_t j,
						   uint8_t type, uint32_t roff)
{
	uint32_t k = c->n;
	if (c->v == NULL)
		c->v = vg_xmalloc(cap * sizeof *c->v);
	if (k == 0)
		c->type1 = type;
	if (!c->sparse && k != j) {
		if (c->pos == NULL)
			c->pos = vg_xmalloc(cap * sizeof *c->pos);
		for (uint32_t i = 0; i < k; i++)
			c->pos[i] = i;
		c->sparse = 1;
	}
	if (!c->mixed && type != c->type1) {
		if (c->vt == NULL)
			c->vt = vg_xmalloc(cap);
		memset(c->vt, c->type1, k);
		c->mixed = 1;
	}
	if (roff && !c->has_roff) {
		if (c->roff == NULL)
			c->roff = vg_xmalloc(cap * sizeof *c->roff);
		memset(c->roff, 0, k * sizeof *c->roff);
		c->has_roff = 1;
	}
}

/* Append a value of type `type` at position j (ascending, at most one per
 * position) to c, whose arrays hold cap entries. */
static inline void colvec_add(colvec *c, size_t cap, uint32_t j, uint8_t type, uint64_t v,
			      uint32_t roff)
{
	uint32_t k = c->n;
	if (__builtin_expect(k == 0 || (!c->sparse && k != j) ||
			     (!c->mixed && type != c->type1) || (roff && !c->has_roff), 0))
		colvec_widen(c, cap, j, type, roff);
	if (c->sparse)
		c->pos[k] = j;
	if (c->mixed)
		c->vt[k] = type;
	if (c->has_roff)
		c->roff[k] = roff;
	c->v[k] = v;
	c->types |= (uint8_t)(1u << type);
	c->n = k + 1;
}

static inline uint32_t colvec_pos(const colvec *c, uint32_t k)
{
	return c->sparse ? c->pos[k] : k;
}

static inline uint8_t colvec_type(const colvec *c, uint32_t k)
{
	return c->mixed ? c->vt[k] : c->type1;
}

/* ---- sort order of a block ---- */

/* A row's place in its block: the hashes of its sort key values, then
 * time, then a hash of its pairs that does not change when each pair is
 * swapped (so both directions of a flow sort together), then direction,
 * then row, compared in that order as unsigned numbers (time signed). */
typedef struct sortrow {
	uint64_t k[3];
	int64_t t;
	uint64_t fh;
	uint32_t dir;
	uint32_t row;
} sortrow;

/* The sort key hash of dictionary entry id (string or address, the
 * entry's bytes as XXH3 sees them | 1), computed once per entry. */
static inline uint64_t dict_key(uint64_t **cache, size_t *cap, uint32_t id, const void *p,
				size_t n)
{
	if (id >= *cap) {
		size_t old = *cap;
		vg_grow(cache, cap, (size_t)id + 1, sizeof **cache);
		memset(*cache + old, 0, (*cap - old) * sizeof **cache);
	}
	uint64_t *k = &(*cache)[id];
	if (*k == 0)
		*k = XXH3_64bits(p, n) | 1;
	return *k;
}

/* What a row's sort key and pair fields contribute to its sort row, as
 * stage_block meets them (see sortrow_finish). */
typedef struct sortacc {
	uint64_t pk[2 * VG_MAX_PAIRS];   /* pair values' key hashes, 0 absent */
	int64_t pi[2 * VG_MAX_PAIRS];    /* pair values when INT */
	uint8_t pt[2 * VG_MAX_PAIRS];    /* pair values' types, 0 absent */
} sortacc;

/* A row's values of the pair columns, as stage_value meets them and
 * find_mirrors reads them back in sort order: one cache line per row,
 * where a column each would scatter those reads over six arrays. Slot k
 * is pair k / 2, side k % 2. */
typedef struct pairrec {
	uint64_t v[2 * VG_MAX_PAIRS];       /* staged words */
	uint8_t type[2 * VG_MAX_PAIRS];     /* 0 absent */
	uint8_t ro;                         /* bit k: a raw_off in segw.pro */
	uint8_t pad[64 - 8 * (2 * VG_MAX_PAIRS) - 2 * VG_MAX_PAIRS - 1];
} pairrec;

/* The key hash of a value of column c (type, staged word v): strings and
 * addresses by their bytes, integers as themselves, doubles 0. */
static inline uint64_t value_key(segw *w, uint32_t c, uint8_t type, uint64_t v)
{
	coldict *d = &w->dict[c];
	if (type == VG_T_STR)
		return dict_key(&d->skey, &d->capskey, (uint32_t)v, d->s.str[v], d->s.lens[v]);
	if (type == VG_T_IP)
		return dict_key(&d->ipkey, &d->capipkey, (uint32_t)v, d->ip.ip[v], 16);
	return type == VG_T_INT ? v : 0;
}

/* Finish sort row s from the pair values a row gave: the pair hash, which
 * ignores the order inside each pair, and the direction. */
static void sortrow_finish(const segw *w, sortrow *s, const sortacc *a)
{
	for (uint32_t k = 0; k < w->npairs; k++) {
		uint64_t h = a->pk[2 * k] + a->pk[2 * k + 1];
		s->fh = mix64(s->fh ^ mix64(h + k));
	}
	/* Of the two directions of a flow, the one whose first differing
	 * integer pair is descending sorts first and is stored, the other
	 * mirrored: for ports, the request from an ephemeral port to a
	 * service port. Stored rows then keep the service port in one column
	 * (dstport), which compresses far better than a mix. */
	for (uint32_t k = 0; k < w->npairs; k++) {
		if (a->pt[2 * k] == VG_T_INT && a->pt[2 * k + 1] == VG_T_INT &&
		    a->pi[2 * k] != a->pi[2 * k + 1]) {
			s->dir = a->pi[2 * k] < a->pi[2 * k + 1];
			break;
		}
	}
}

/* A sort row's index with one of its keys, for radix sorting. */
typedef struct rkey {
	uint64_t key;
	uint32_t i;
} rkey;

#define RADIX_BITS 11                       /* per pass */
#define RADIX_PASSES 6                      /* 66 bits: a 64-bit key */
#define RADIX_N (1u << RADIX_BITS)

/* Stable LSD radix sort of a[0..n) by key, RADIX_BITS per pass; a pass
 * whose digit is the same in every key is skipped. tmp is scratch for n,
 * cnt for RADIX_PASSES * RADIX_N counts. Sort keys are hashes, with no
 * byte alike: six passes of 11 bits, all counted in one read, rather than
 * eight of a byte each counted in a read of its own. */
static void radix_rkeys(rkey *a, rkey *tmp, uint32_t *cnt, uint32_t n)
{
	const uint64_t mask = RADIX_N - 1;
	memset(cnt, 0, RADIX_PASSES * RADIX_N * sizeof *cnt);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t key = a[i].key;
		for (unsigned d = 0; d < RADIX_PASSES; d++)
			cnt[d * RADIX_N + ((key >> (RADIX_BITS * d)) & mask)]++;
	}
	rkey *src = a, *dst = tmp, *swap;
	for (unsigned d = 0; d < RADIX_PASSES; d++) {
		uint32_t *c = cnt + d * RADIX_N;
		unsigned shift = RADIX_BITS * d;
		if (n == 0 || c[(src[0].key >> shift) & mask] == n)
			continue;
		uint32_t sum = 0;
		for (unsigned v = 0; v < RADIX_N; v++) {
			uint32_t k = c[v];
			c[v] = sum;
			sum += k;
		}
		for (uint32_t i = 0; i < n; i++)
			dst[c[(src[i].key >> shift) & mask]++] = src[i];
		swap = src, src = dst, dst = swap;
	}
	if (src != a)
		memcpy(a, src, (size_t)n * sizeof *a);
}

static int same_key_time(const sortrow *x, const sortrow *y)
{
	return x->k[0] == y->k[0] && x->k[1] == y->k[1] && x->k[2] == y->k[2] && x->t == y->t;
}

/* The rest of a sort row's place, once key and time are equal: pair hash,
 * then direction and row packed in one word. */
typedef struct tiekey {
	uint64_t fh;
	uint64_t dr;
} tiekey;

static inline int tie_less(const tiekey *x, const tiekey *y)
{
	return x->fh != y->fh ? x->fh < y->fh : x->dr < y->dr;
}

/* Sort a[0..n) by tie_less (keys are distinct: rows differ); tmp is
 * scratch for n. Insertion sort for short runs, else a merge sort. */
static void sort_ties(tiekey *a, tiekey *tmp, uint32_t n)
{
	if (n <= 16) {
		for (uint32_t i = 1; i < n; i++) {
			tiekey x = a[i];
			uint32_t j = i;
			for (; j > 0 && tie_less(&x, &a[j - 1]); j--)
				a[j] = a[j - 1];
			a[j] = x;
		}
		return;
	}
	uint32_t h = n / 2;
	sort_ties(a, tmp, h);
	sort_ties(a + h, tmp, n - h);
	uint32_t i = 0, j = h, o = 0;
	while (i < h && j < n)
		tmp[o++] = tie_less(&a[j], &a[i]) ? a[j++] : a[i++];
	while (i < h)
		tmp[o++] = a[i++];
	while (j < n)
		tmp[o++] = a[j++];
	memcpy(a, tmp, (size_t)n * sizeof *a);
}

/* Order the block's rows by sort key, then time, then flow: w->order[r] =
 * the staging position of the row at sort position r. w->srows holds the
 * rows in time order (ties in batch order, which is the staging order), so
 * a stable radix sort by the keys, least significant first, orders them
 * by key, time and row; only the runs of one key and time are then sorted
 * further, by comparison. The result is that of one sort by every field of
 * sortrow, several times faster. */
static void order_block(segw *w, uint32_t nb)
{
	sortrow *s = w->srows;
	rkey *a = w->rk;
	for (uint32_t r = 0; r < nb; r++)
		a[r].i = r;
	for (uint32_t k = w->nkeys; k-- > 0;) {
		for (uint32_t r = 0; r < nb; r++)
			a[r].key = s[a[r].i].k[k];
		radix_rkeys(a, w->rktmp, w->rcnt, nb);
	}
	for (uint32_t lo = 0; lo < nb;) {
		uint32_t hi = lo + 1;
		while (hi < nb && same_key_time(&s[a[lo].i], &s[a[hi].i]))
			hi++;
		if (hi - lo == 1) {
			w->order[lo] = s[a[lo].i].row;
		} else {
			tiekey *tk = w->ties, *tt = w->ties + nb;
			for (uint32_t m = lo; m < hi; m++) {
				const sortrow *x = &s[a[m].i];
				tk[m - lo].fh = x->fh;
				tk[m - lo].dr = (uint64_t)x->dir << 32 | x->row;
			}
			sort_ties(tk, tt, hi - lo);
			for (uint32_t m = lo; m < hi; m++)
				w->order[m] = (uint32_t)tk[m - lo].dr;
		}
		lo = hi;
	}
}

/* Sort keys k[0..n) by their high 32 bits (stable; tmp is scratch of n),
 * knowing they all lie in [lo << 32, (hi + 1) << 32): a radix sort, a
 * byte of (high - lo) per pass. */
static void sort_hi32(uint64_t *k, uint64_t *tmp, size_t n, uint32_t lo, uint32_t hi)
{
	size_t cnt[256];
	for (unsigned shift = 0; shift < 32 && ((uint64_t)(hi - lo) >> shift); shift += 8) {
		memset(cnt, 0, sizeof cnt);
		for (size_t i = 0; i < n; i++)
			cnt[(((k[i] >> 32) - lo) >> shift) & 255]++;
		size_t sum = 0;
		for (unsigned d = 0; d < 256; d++) {
			size_t c = cnt[d];
			cnt[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			tmp[cnt[(((k[i] >> 32) - lo) >> shift) & 255]++] = k[i];
		memcpy(k, tmp, n * sizeof *k);
	}
}

/* The block's rows (all[0..nb), in time order) in the memtable's order:
 * w->mkeys[j] = batch row << 32 | time position. */
static void memtable_order(segw *w, const uint32_t *all, uint32_t nb)
{
	int ascending = 1;
	uint32_t lo = UINT32_MAX, hi = 0;
	for (uint32_t r = 0; r < nb; r++) {
		w->mkeys[r] = (uint64_t)all[r] << 32 | r;
		ascending &= r == 0 || all[r] > all[r - 1];
		lo = all[r] < lo ? all[r] : lo;
		hi = all[r] > hi ? all[r] : hi;
	}
	if (!ascending)
		sort_hi32(w->mkeys, w->mtmp, nb, lo, hi);
}

/* Sort key words are field names (at most 3 used) or mirror pairs
 * `a~b` (at most VG_MAX_PAIRS). */
static void resolve_sortkey(segw *w, const char *key)
{
	w->nkeys = 0;
	w->npairs = 0;
	if (key == NULL)
		return;
	const char *p = key;
	for (;;) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (n == 0)
			break;
		const char *tilde = memchr(p, '~', n);
		if (tilde && tilde > p && tilde < p + n - 1 && w->npairs < VG_MAX_PAIRS) {
			size_t n0 = (size_t)(tilde - p);
			w->pairfid[w->npairs][0] = vg_strtab_find(&w->b->fields, p, n0);
			w->pairfid[w->npairs][1] = vg_strtab_find(&w->b->fields, tilde + 1, n - n0 - 1);
			w->npairs++;
		} else if (!tilde && w->nkeys < 3) {
			w->keyfids[w->nkeys++] = vg_strtab_find(&w->b->fields, p, n);
		}
		p += n;
	}
}

static uint32_t add_col(segw *w, const char *name)
{
	uint32_t c = w->ncols++;
	w->colname = vg_xrealloc(w->colname, w->ncols * sizeof *w->colname);
	w->coltypes = vg_xrealloc(w->coltypes, w->ncols);
	w->colname[c] = name;
	w->coltypes[c] = 0;
	return c;
}

/* ---- references ---- */

/* The address value k of gathered column c names. */
static inline const uint8_t *ip_at(const segw *w, uint32_t c, uint32_t k)
{
	return w->dict[c].ip.ip[w->gat[c].v[k]];
}

/* Dense per-row views of the block's single-type INT and IP columns, so a
 * column can be compared with another row by row. Built lazily per block. */
typedef struct dense {
	uint32_t built_for;      /* block serial the view belongs to */
	uint8_t *types;          /* per row: VG_T_INT / VG_T_IP, or 0 */
	int64_t *i;
	const uint8_t **ip;
} dense;

static dense *dense_of(segw *w, uint32_t c, uint32_t nb)
{
	dense *d = &w->dense[c];
	if (d->built_for == w->block_serial)
		return d;
	d->built_for = w->block_serial;
	d->types = vg_xrealloc(d->types, nb ? nb : 1);
	memset(d->types, 0, nb);
	const colvec *a = &w->gat[c];
	if (a->types == (1u << VG_T_INT)) {
		d->i = vg_xrealloc(d->i, (nb ? nb : 1) * sizeof *d->i);
		for (uint32_t k = 0; k < a->n; k++) {
			uint32_t r = colvec_pos(a, k);
			d->types[r] = VG_T_INT;
			d->i[r] = (int64_t)a->v[k];
		}
	} else if (a->types == (1u << VG_T_IP)) {
		d->ip = vg_xrealloc(d->ip, (nb ? nb : 1) * sizeof *d->ip);
		for (uint32_t k = 0; k < a->n; k++) {
			uint32_t r = colvec_pos(a, k);
			d->types[r] = VG_T_IP;
			d->ip[r] = ip_at(w, c, k);
		}
	}
	return d;
}

/* Pick a reference for column c when storing it relative to one is clearly
 * cheaper: integers against `_time` in seconds and the few integer columns
 * before it, addresses against the address columns before it. */
static int choose_ref(segw *w, uint32_t c, uint32_t nb, vg_colref *out);

/* choose_ref with every candidate considered. */
static int choose_ref_fresh(segw *w, uint32_t c, uint32_t nb, vg_colref *out)
{
	w->hint_col[c] = -2;
	return choose_ref(w, c, nb, out);
}

/* A string column whose values stand in the raw text (a JSON event's IDs,
 * ARNs, keys) is stored as places in `_raw`. Decided on a sample: nearly
 * all found, and a dictionary would cost more (it wins for repeated
 * values). */
static int choose_raw_ref(segw *w, uint32_t c, vg_colref *out)
{
	const colvec *a = &w->gat[c];
	const vg_strtab *d = &w->dict[c].s;
	size_t n = a->n, sample = n < 64 ? n : 64, found = 0, changes = 0, bytes = 0;
	for (uint32_t k = 0; k < sample; k++) {
		uint64_t id = a->v[k];
		const char *s = d->str[id];
		uint32_t len = d->lens[id], r = colvec_pos(a, k);
		bytes += len;
		/* Dictionary entries are distinct: another id, another string. */
		if (k && id != a->v[k - 1])
			changes++;
		if (w->rawp[r] && len && memmem(w->rawp[r], w->rawl[r], s, len))
			found++;
	}
	/* A place costs about 3 bytes; a dictionary about the distinct values'
	 * bytes spread over the rows (rows are sorted, so distinct values are
	 * roughly the changes between neighbours) plus an id. */
	double avg = (double)bytes / (double)sample;
	double dict = (double)(changes + 1) / (double)sample * avg + 1.0;
	if (found * 10 < sample * 9 || dict < 3.0)
		return 0;
	out->col = COL_RAW;
	out->div = 1;
	out->raw = w->rawp;
	out->rawlen = w->rawl;
	return 1;
}

static int choose_ref(segw *w, uint32_t c, uint32_t nb, vg_colref *out)
{
	const colvec *a = &w->gat[c];
	if (a->n >= 16 && a->types == (1u << VG_T_STR) && c > COL_TMPL && w->gat[COL_RAW].n)
		return choose_raw_ref(w, c, out);
	if (a->n < 16 || (a->types != (1u << VG_T_INT) && a->types != (1u << VG_T_IP)))
		return 0;
	int is_int = a->types == (1u << VG_T_INT);
	size_t n = a->n;
	/* Blocks of one segment look alike: reuse the last block's verdict and
	 * search afresh only on a group's first block (see worker_run), or
	 * when the reference lacks a value in a row that has one here. */
	if (w->hint_col == NULL) {
		w->hint_col = vg_xmalloc(w->ncols * sizeof *w->hint_col);
		w->hint_div = vg_xcalloc(w->ncols, sizeof *w->hint_div);
		for (uint32_t k = 0; k < w->ncols; k++)
			w->hint_col[k] = -2;
	}
	int fresh = w->hint_col[c] == -2;
	if (!fresh && w->hint_col[c] == -1)
		return 0;
	if (!fresh) {
		/* The verdict stands while the reference has a value in each
		 * row of this column: its cost is not weighed again. */
		uint32_t rc = (uint32_t)w->hint_col[c];
		const colvec *ra = &w->gat[rc];
		if (ra->types == a->types && ra->n >= n) {
			dense *d = dense_of(w, rc, nb);
			int ok = 1;
			for (uint32_t k = 0; k < n && ok; k++)
				ok = d->types[colvec_pos(a, k)] != 0;
			if (ok) {
				out->col = rc;
				out->div = w->hint_div[c];
				out->types = d->types;
				out->i = d->i;
				out->ip = d->ip;
				return 1;
			}
		}
		return choose_ref_fresh(w, c, nb, out);
	}
	const int64_t *v = (const int64_t *)a->v;
	int64_t *dv = NULL;
	double best = 0;
	int found = 0;
	if (is_int) {
		dv = vg_xmalloc(n * sizeof *dv);
		best = vg_int_cost(v, n) * 0.7;
	} else {
		best = 0.5 * (double)n; /* at least half the addresses the same */
	}
	uint32_t tried = 0;
	for (uint32_t rc = c; rc-- > 0 && tried < 4;) {
		const colvec *ra = &w->gat[rc];
		if (ra->types != a->types || ra->n < n)
			continue;
		if (rc != COL_TIME)
			tried++;
		dense *d = dense_of(w, rc, nb);
		int ok = 1;
		for (uint32_t k = 0; k < n && ok; k++)
			ok = d->types[colvec_pos(a, k)] != 0;
		if (!ok)
			continue;
		static const int64_t divs[] = {1, 1000000000};
		for (int j = 0; j < (rc == COL_TIME ? 2 : 1); j++) {
			double cost;
			if (is_int) {
				for (uint32_t k = 0; k < n; k++)
					dv[k] = (int64_t)((uint64_t)v[k] -
							  (uint64_t)(d->i[colvec_pos(a, k)] / divs[j]));
				cost = vg_int_cost(dv, n);
			} else {
				size_t same = 0;
				for (uint32_t k = 0; k < n; k++)
					same += vg_ip_eq(ip_at(w, c, k), d->ip[colvec_pos(a, k)]);
				cost = (double)(n - same);
			}
			if (cost < best) {
				best = cost;
				out->col = rc;
				out->div = divs[j];
				out->types = d->types;
				out->i = d->i;
				out->ip = d->ip;
				found = 1;
			}
		}
	}
	free(dv);
	w->hint_col[c] = found ? (int32_t)out->col : -1;
	w->hint_div[c] = found ? out->div : 0;
	return found;
}

static void footer_str(vg_buf *b, const char *s)
{
	size_t n = strlen(s);
	vg_buf_uvarint(b, n);
	vg_buf_put(b, s, n);
}

/* What encoding one block produced: its bytes, and the records the footer
 * will hold once the block's place in the file is known. */
typedef struct chunkrec {
	uint64_t off, len;      /* off relative to the block's first byte */
	vg_colstat st;
	int32_t ref;
} chunkrec;

typedef struct blockrec {
	size_t lo, hi;          /* rows of the block in the sorted row list */
	vg_buf data;
	uint32_t nb, ntmpl;
	int64_t tmin, tmax;
	chunkrec *ch;           /* ncols */
	uint64_t boff, blen;
	uint8_t *coltypes;      /* ncols: types seen per column */
	int rc;
	vg_err err;
} blockrec;

/* ---- mirror rows ---- */

/* A pair column's value in one row: its type (0 absent) and word. */
typedef struct pairval {
	uint8_t type;
	uint64_t v;
	const uint8_t *ip;      /* VG_T_IP: the address */
} pairval;

/* Two pair values equal for mirroring: both INT or both IP, same value.
 * Strings never mirror (their columns' dictionaries differ). */
static int mirror_same(const pairval *x, const pairval *y)
{
	if (x->type == 0 || x->type != y->type)
		return 0;
	if (x->type == VG_T_INT)
		return x->v == y->v;
	return x->type == VG_T_IP && vg_ip_eq(x->ip, y->ip);
}

/* Are pair values cur those of prev with every pair swapped? A pair is
 * either present in all four places or absent from all four (the rows'
 * layout lacks it: version-2 flow records in a segment that also holds
 * version-5 ones, which declare `pkt-srcaddr~pkt-dstaddr`), and at least
 * one pair is present. */
static int is_mirror(const segw *w, const pairval *cur, const pairval *prev)
{
	int some = 0;
	for (uint32_t k = 0; k < w->npairs; k++) {
		const pairval *a = &cur[2 * k], *b = &cur[2 * k + 1];
		const pairval *pa = &prev[2 * k], *pb = &prev[2 * k + 1];
		if ((a->type | b->type | pa->type | pb->type) == 0)
			continue;
		if (!mirror_same(a, pb) || !mirror_same(b, pa))
			return 0;
		some = 1;
	}
	return some;
}

/* Widen a chunk's statistics by value x (a restored mirror value). */
static void stat_add(vg_colstat *st, const pairval *x)
{
	uint8_t bit = (uint8_t)(1u << x->type);
	if (x->type == VG_T_INT) {
		int64_t i = (int64_t)x->v;
		if (!(st->types & bit) || i < st->imin)
			st->imin = i;
		if (!(st->types & bit) || i > st->imax)
			st->imax = i;
	} else if (x->type == VG_T_IP) {
		if (!(st->types & bit) || vg_ip_cmp(x->ip, st->ipmin) < 0)
			memcpy(st->ipmin, x->ip, 16);
		if (!(st->types & bit) || vg_ip_cmp(x->ip, st->ipmax) > 0)
			memcpy(st->ipmax, x->ip, 16);
	}
	st->types |= bit;
	st->npresent++;
}

/* Widen chunk statistics st by x (the restored values of mirror rows). */
static void stat_merge(vg_colstat *st, const vg_colstat *x)
{
	uint8_t ib = 1u << VG_T_INT, pb = 1u << VG_T_IP;
	if (x->types & ib) {
		if (!(st->types & ib) || x->imin < st->imin)
			st->imin = x->imin;
		if (!(st->types & ib) || x->imax > st->imax)
			st->imax = x->imax;
	}
	if (x->types & pb) {
		if (!(st->types & pb) || memcmp(x->ipmin, st->ipmin, 16) < 0)
			memcpy(st->ipmin, x->ipmin, 16);
		if (!(st->types & pb) || memcmp(x->ipmax, st->ipmax, 16) > 0)
			memcpy(st->ipmax, x->ipmax, 16);
	}
	st->types |= x->types;
	st->npresent += x->npresent;
}

/* Decide the mirror rows of the block (w->mirror, per sort position; the
 * row before a mirror row is never one), push `_mirror`, widen extra by
 * the values they restore, and gather the pair columns into w->gat in
 * sort order, leaving out the mirror rows: the pair values are read here
 * anyway, a row's all in one line (pairrec). */
static void find_mirrors(segw *w, uint32_t nb, vg_colstat *extra)
{
	uint32_t np = 2 * w->npairs;
	const ipdict *pd[2 * VG_MAX_PAIRS];
	colvec *g[2 * VG_MAX_PAIRS];
	uint32_t src[2 * VG_MAX_PAIRS];
	int own[2 * VG_MAX_PAIRS];
	for (uint32_t k = 0; k < np; k++) {
		uint32_t c = w->paircol[k / 2][k % 2];
		pd[k] = &w->dict[c].ip;
		g[k] = &w->gat[c];
		/* The slot the field's values were staged in (stage_value):
		 * this one, unless the field is named by a later pair too,
		 * whose slot then holds them; its column is gathered once. */
		src[k] = w->role[w->pairfid[k / 2][k % 2]] - ROLE_PAIR;
		own[k] = src[k] == k;
	}
	colvec *mc = &w->gat[w->col_mirror];
	pairval prev[2 * VG_MAX_PAIRS], cur[2 * VG_MAX_PAIRS];
	int prev_mirror = 0;
	for (uint32_t r = 0; r < nb; r++) {
		uint32_t j = w->order[r];
		if (r + GATHER_AHEAD < nb)
			__builtin_prefetch(&w->prec[w->order[r + GATHER_AHEAD]]);
		const pairrec *p = &w->prec[j];
		for (uint32_t k = 0; k < np; k++) {
			uint8_t t = p->type[src[k]];
			cur[k].type = t;
			cur[k].v = t ? p->v[src[k]] : 0;
			cur[k].ip = t == VG_T_IP ? pd[k]->ip[cur[k].v] : NULL;
		}
		int m = r > 0 && !prev_mirror && is_mirror(w, cur, prev);
		if (m) {
			colvec_add(mc, w->cap, r, VG_T_INT, 1, 0);
			for (uint32_t k = 0; k < np; k++)
				if (prev[k ^ 1].type)
					stat_add(&extra[k], &prev[k ^ 1]);
		} else {
			for (uint32_t k = 0; k < np; k++)
				if (own[k] && cur[k].type)
					colvec_add(g[k], w->cap, r, cur[k].type, cur[k].v,
						   p->ro >> k & 1 ? w->pro[j][k] : 0);
		}
		w->mirror[r] = (uint8_t)m;
		prev_mirror = m;
		memcpy(prev, cur, np * sizeof *cur);
	}
}

/* ---- the block ---- */

/* Size the block scratch for nb rows. */
static void block_scratch(segw *w, uint32_t nb)
{
	if (w->stg == NULL) {
		w->stg = vg_xcalloc(w->ncols, sizeof *w->stg);
		w->gat = vg_xcalloc(w->ncols, sizeof *w->gat);
		w->dict = vg_xcalloc(w->ncols, sizeof *w->dict);
		w->dense = vg_xcalloc(w->ncols, sizeof *w->dense);
	}
	if (nb <= w->cap)
		return;
	/* Every array is sized by cap: drop them all and let them be made
	 * again at the new size. */
	size_t n = nb;
	for (uint32_t c = 0; c < w->ncols; c++) {
		colvec_free(&w->stg[c]);
		colvec_free(&w->gat[c]);
	}
	w->srows = vg_xrealloc(w->srows, n * sizeof *w->srows);
	w->rk = vg_xrealloc(w->rk, n * sizeof *w->rk);
	w->rktmp = vg_xrealloc(w->rktmp, n * sizeof *w->rktmp);
	if (w->rcnt == NULL)
		w->rcnt = vg_xmalloc(RADIX_PASSES * RADIX_N * sizeof *w->rcnt);
	w->ties = vg_xrealloc(w->ties, 2 * n * sizeof *w->ties);
	w->mkeys = vg_xrealloc(w->mkeys, n * sizeof *w->mkeys);
	w->mtmp = vg_xrealloc(w->mtmp, n * sizeof *w->mtmp);
	w->order = vg_xrealloc(w->order, n * sizeof *w->order);
	w->tj = vg_xrealloc(w->tj, n * sizeof *w->tj);
	w->rawj = vg_xrealloc(w->rawj, n * sizeof *w->rawj);
	w->rawlj = vg_xrealloc(w->rawlj, n * sizeof *w->rawlj);
	w->tmplj = vg_xrealloc(w->tmplj, n * sizeof *w->tmplj);
	w->mirror = vg_xrealloc(w->mirror, n);
	w->rawp = vg_xrealloc(w->rawp, n * sizeof *w->rawp);
	w->rawl = vg_xrealloc(w->rawl, n * sizeof *w->rawl);
	w->recj = vg_xrealloc(w->recj, n * sizeof *w->recj);
	/* The position map must be all 0 between uses. */
	free(w->idx);
	w->idx = vg_xcalloc(n, sizeof *w->idx);
	if (w->nnar) {
		free(w->nar_mem);
		w->nar_mem = vg_xmalloc(n * w->nstride * sizeof *w->nar + 64);
		w->nar = (uint32_t *)(((uintptr_t)w->nar_mem + 63) & ~(uintptr_t)63);
	}
	if (w->npairs) {
		/* Pair records on cache lines of their own. */
		free(w->prec_mem);
		w->prec_mem = vg_xmalloc(n * sizeof *w->prec + 64);
		w->prec = (pairrec *)(((uintptr_t)w->prec_mem + 63) & ~(uintptr_t)63);
		w->pro = vg_xrealloc(w->pro, n * sizeof *w->pro);
	}
	w->cap = n;
}

/* Stage value v (compact form, of type `type`) of field fid, column c, at
 * staging position j; a sort key or pair value also goes to the row's sort
 * row sr (NULL when not sorting) or its pair values sa. */
static inline void stage_value(segw *w, uint32_t j, uint32_t fid, uint32_t c, uint8_t type,
			       uint64_t v, uint32_t ro, sortrow *sr, sortacc *sa)
{
	uint8_t role = w->role[fid];
	if (role >= ROLE_PAIR) {
		/* A pair value goes to the row's pair record, which
		 * find_mirrors reads and gathers. */
		pairrec *p = &w->prec[j];
		uint32_t k = role - ROLE_PAIR;
		p->v[k] = v;
		p->type[k] = type;
		if (ro) {
			p->ro |= (uint8_t)(1u << k);
			w->pro[j][k] = ro;
		}
	} else {
		colvec_add(&w->stg[c], w->cap, j, type, v, ro);
	}
	if (sr && role) {
		uint64_t key = value_key(w, c, type, v);
		if (role >= ROLE_PAIR) {
			sa->pk[role - ROLE_PAIR] = key;
			sa->pt[role - ROLE_PAIR] = type;
			sa->pi[role - ROLE_PAIR] = (int64_t)v;
		} else {
			sr->k[role - 1] = key;
		}
	}
}

/* Stage the fields of row event e (vg_field rows). */
static inline void stage_fields(segw *w, const vg_event *e, uint32_t j, sortrow *sr,
				sortacc *sa)
{
	const char *raw = e->raw;
	uint32_t rawlen = raw ? e->rawlen : 0;
	const vg_field *f = vg_event_fields(w->b, e);
	for (uint32_t k = 0; k < e->nfields; k++) {
		const vg_field *src = &f[k];
		uint32_t c = w->col_of_fid[src->fid];
		uint8_t type = src->type;
		uint64_t v;
		uint32_t ro = 0;
		switch (type) {
		case VG_T_STR:
			v = str_id(&w->dict[c], src->v.s, src->len);
			/* A value counts as standing in the raw text (its
			 * tokens already given, see vg_col_encode_vals) only
			 * when that text is stored and the value sits on
			 * token boundaries. */
			ro = src->raw_off;
			if (ro && (!raw || !vg_token_aligned(raw, rawlen, ro - 1, src->len)))
				ro = 0;
			break;
		case VG_T_IP:
			v = ipdict_id(&w->dict[c].ip, src->v.ip);
			break;
		case VG_T_DBL:
			memcpy(&v, &src->v.d, 8);
			break;
		default:
			v = (uint64_t)src->v.i;
			break;
		}
		stage_value(w, j, src->fid, c, type, v, ro, sr, sa);
	}
}

/* The staged word of compact value v of type *type (batch.h) in the
 * column with dictionaries d: the batch's string ids and IPv4 words become
 * the block's dictionary ids; *type becomes a vg_type. */
static inline uint64_t compact_word(const segw *w, coldict *d, uint8_t *type, uint64_t v)
{
	const vg_strtab *cs = &w->b->cstrs;
	switch (*type) {
	case VG_T_STR:
		return str_id(d, cs->str[v], cs->lens[v]);
	case VG_T_IP:
		return ipdict_id_w(&d->ip, 0, v);
	case VG_CT_IP6:
		*type = VG_T_IP;
		return ipdict_id(&d->ip, (const uint8_t *)cs->str[v]);
	default:
		return v;
	}
}

#define CRUN 64   /* compact rows staged together, column by column */

/* Consecutive compact rows of one table waiting to be staged: rows
 * j0 .. j0 + n - 1, their records, sort rows and pair values. */
typedef struct crun {
	const vg_ctab *t;
	uint32_t j0, n;
	const uint64_t *rec[CRUN];
	sortrow *sr[CRUN];
	sortacc sa[CRUN];
} crun;

/* Copy the values of a run of compact events that gather_direct takes
 * into w->nar, 32 bits each: the records, 272 bytes for a flow, are read
 * here while they stream through the cache, and gather_direct, which
 * reads in sort order, scattered, then reads two cache lines a row rather
 * than five. An integer of more than 32 bits, or an address that is not
 * IPv4-mapped (never in a compact word of type VG_T_IP, but checked),
 * marks the block nar_wide: gather_direct reads the records then. */
static void stage_narrow(segw *w, const crun *u)
{
	const vg_ctab *t = u->t;
	uint32_t nn = w->nnar, ns = w->nstride;
	uint64_t wide = 0;
	for (uint32_t i = 0; i < u->n; i++) {
		const uint64_t *rec = u->rec[i];
		const uint8_t *ty = vg_ctab_types(t, rec);
		uint32_t *o = w->nar + (size_t)(u->j0 + i) * ns;
		uint8_t *ot = (uint8_t *)(o + nn);
		for (uint32_t q = 0; q < nn; q++) {
			uint32_t k = w->narcol[q];
			uint64_t v = rec[1 + k];
			uint8_t type = ty[k];
			/* An IPv4 word is the address over 0xffff0000. */
			uint64_t x = type == VG_T_IP ? v >> 32 : v;
			uint64_t ipbad = type == VG_T_IP && (uint32_t)v != 0xffff0000u;
			wide |= type ? (x >> 32) | ipbad : 0;
			o[q] = (uint32_t)x;
			ot[q] = type;
		}
	}
	w->nar_wide |= wide != 0;
}

/* Stage the fields of a run of compact events (batch.h), as compact_word
 * makes them; their raw texts are not stored, so no string stands in
 * one. Column by column: staging row by row would store into every
 * column's array at once, more streams of stores missing the cache than
 * the core can keep in flight, and it would wait on each; the run's
 * records stay in the cache meanwhile. */
static void stage_crun(segw *w, crun *u)
{
	const vg_ctab *t = u->t;
	for (uint32_t k = 0; k < t->nc; k++) {
		uint32_t fid = t->fids[k], c = w->col_of_fid[fid];
		if (c == UINT32_MAX)
			continue; /* absent from every row of the segment */
		if (w->direct && !w->role[fid])
			continue; /* gather_direct's (stage_narrow) */
		coldict *d = &w->dict[c];
		for (uint32_t i = 0; i < u->n; i++) {
			const uint64_t *rec = u->rec[i];
			uint8_t type = vg_ctab_types(t, rec)[k];
			if (type == 0)
				continue;
			uint64_t v = compact_word(w, d, &type, rec[1 + k]);
			stage_value(w, u->j0 + i, fid, c, type, v, 0, u->sr[i], &u->sa[i]);
		}
	}
	if (w->nnar)
		stage_narrow(w, u);
	for (uint32_t i = 0; i < u->n; i++)
		if (u->sr[i])
			sortrow_finish(w, u->sr[i], &u->sa[i]);
	u->n = 0;
}

/* First pass over a block: its rows in the memtable's order, so that the
 * reads stream (the sort order scatters rows over the whole memtable, and
 * even time order is not the memtable's: a flow log file holds thousands
 * of interleaved runs of ascending time). Each value is staged in compact
 * form under the row's staging position j, strings and addresses as ids
 * of the column's dictionary; so are the row's time, raw text and
 * template. The raw texts' tokens go to the filter, the sort rows are
 * filled (in time order) when sorting, else w->order is the time order. */
static void stage_block(segw *w, const uint32_t *all, uint32_t nb, int sorting)
{
	const vg_batch *b = w->b;
	memtable_order(w, all, nb);
	const uint64_t *mk = w->mkeys;
	if (w->crun == NULL)
		w->crun = vg_xmalloc(sizeof *w->crun);
	crun *u = w->crun;
	u->n = 0;
	w->nar_wide = 0;
	for (uint32_t c = 0; c < w->ncols; c++) {
		colvec_reset(&w->stg[c]);
		colvec_reset(&w->gat[c]);
		coldict_clear(&w->dict[c]);
	}
	for (uint32_t j = 0; j < nb; j++) {
		if (j + PREFETCH < nb)
			prefetch_event(b, (uint32_t)(mk[j + PREFETCH] >> 32));
		if (j + 2 * PREFETCH < nb)
			__builtin_prefetch(&b->ev[mk[j + 2 * PREFETCH] >> 32]);
		if (j + PREFETCH / 2 < nb)
			prefetch_pointees(b, (uint32_t)(mk[j + PREFETCH / 2] >> 32));
		uint32_t tpos = (uint32_t)mk[j];
		const vg_event *e = &b->ev[mk[j] >> 32];
		const char *raw = e->raw;
		uint32_t rawlen = raw ? e->rawlen : 0;
		w->tj[j] = e->t;
		w->rawj[j] = raw;
		w->rawlj[j] = rawlen;
		w->tmplj[j] = e->rawtmpl;
		if (raw)
			vg_tokset_add_text(&w->toks, raw, rawlen);
		/* Ties of sort key and time keep the staging order, which is
		 * the batch's, as the time order does. */
		if (w->npairs) {
			memset(w->prec[j].type, 0, sizeof w->prec[j].type);
			w->prec[j].ro = 0;
		}
		sortrow *sr = sorting ? &w->srows[tpos] : NULL;
		if (sr) {
			memset(sr, 0, sizeof *sr);
			sr->t = e->t;
			sr->row = j;
		} else {
			w->order[tpos] = j;
		}
		const vg_ctab *t = NULL;
		const uint64_t *rec = e->crow ? vg_event_compact(b, e, &t) : NULL;
		/* Values go to each column in staging order: a run of compact
		 * rows is staged before any other row. */
		if (u->n && (t != u->t || u->n == CRUN))
			stage_crun(w, u);
		if (rec) {
			w->recj[j] = rec;
			u->t = t;
			if (u->n == 0)
				u->j0 = j;
			u->rec[u->n] = rec;
			u->sr[u->n] = sr;
			memset(&u->sa[u->n], 0, sizeof u->sa[u->n]);
			u->n++;
			continue;
		}
		sortacc sa;
		memset(&sa, 0, sizeof sa);
		stage_fields(w, e, j, sr, &sa);
		if (sr)
			sortrow_finish(w, sr, &sa);
	}
	if (u->n)
		stage_crun(w, u);
}

/* Append staged value k of s to gathered column g at sort position r. */
static inline void gather_one(colvec *g, const colvec *s, size_t cap, uint32_t r, uint32_t k)
{
	colvec_add(g, cap, r, colvec_type(s, k), s->v[k], s->has_roff ? s->roff[k] : 0);
}

/* Mark the staging positions of column c's staged values in map
 * (position -> value index + 1). */
static void map_stage(const colvec *s, uint32_t *map)
{
	for (uint32_t k = 0; k < s->n; k++)
		map[colvec_pos(s, k)] = k + 1;
}

static void unmap_stage(const colvec *s, uint32_t *map)
{
	for (uint32_t k = 0; k < s->n; k++)
		map[colvec_pos(s, k)] = 0;
}

/* Second pass, one column at a time: its staged values in sort order into
 * w->gat[c] (pair columns are find_mirrors'). The staged words of one
 * column are a few hundred KiB, so these reads, though scattered, hit the
 * cache. */
static void gather_col(segw *w, uint32_t c, uint32_t nb)
{
	const colvec *s = &w->stg[c];
	colvec *g = &w->gat[c];
	const uint32_t *order = w->order;
	if (s->n == 0)
		return;
	int full = !s->sparse && s->n == nb;
	if (full && !s->mixed && !s->has_roff) {
		/* Every row has a value of one type: a plain permutation. */
		if (g->v == NULL)
			g->v = vg_xmalloc(w->cap * sizeof *g->v);
		for (uint32_t r = 0; r < nb; r++) {
			if (r + GATHER_AHEAD < nb)
				__builtin_prefetch(&s->v[order[r + GATHER_AHEAD]]);
			g->v[r] = s->v[order[r]];
		}
		g->n = nb;
		g->type1 = s->type1;
		g->types = s->types;
		return;
	}
	if (full) {
		for (uint32_t r = 0; r < nb; r++) {
			if (r + GATHER_AHEAD < nb)
				__builtin_prefetch(&s->v[order[r + GATHER_AHEAD]]);
			gather_one(g, s, w->cap, r, order[r]);
		}
		return;
	}
	map_stage(s, w->idx);
	for (uint32_t r = 0; r < nb; r++) {
		if (r + 2 * GATHER_AHEAD < nb)
			__builtin_prefetch(&w->idx[order[r + 2 * GATHER_AHEAD]]);
		if (r + GATHER_AHEAD < nb) {
			uint32_t ia = w->idx[order[r + GATHER_AHEAD]];
			if (ia)
				__builtin_prefetch(&s->v[ia - 1]);
		}
		uint32_t i = w->idx[order[r]];
		if (i)
			gather_one(g, s, w->cap, r, i - 1);
	}
	unmap_stage(s, w->idx);
}

/* The block's `_time` and `_raw` or `_tmpl` values in sort order, and the
 * sorted raw texts (w->rawp); returns the number of `_tmpl` rows. `_raw`
 * texts are interned by content: the encoder wants distinct entries. */
static uint32_t gather_synth(segw *w, uint32_t nb)
{
	uint32_t ntmpl = 0;
	colvec *gt = &w->gat[COL_TIME], *gr = &w->gat[COL_RAW], *gm = &w->gat[COL_TMPL];
	if (w->rawd == NULL)
		w->rawd = vg_xcalloc(1, sizeof *w->rawd);
	rawdict_clear(w->rawd);
	for (uint32_t r = 0; r < nb; r++) {
		uint32_t j = w->order[r];
		colvec_add(gt, w->cap, r, VG_T_INT, (uint64_t)w->tj[j], 0);
		const char *raw = w->rawj[j];
		w->rawp[r] = raw;
		w->rawl[r] = w->rawlj[j];
		if (raw == NULL) {
			/* Rendered: the batch verified the template (vg_ev_end). */
			colvec_add(gm, w->cap, r, VG_T_STR, w->tmplj[j] - 1, 0);
			ntmpl++;
		} else {
			uint32_t id = rawdict_id(w->rawd, raw, w->rawlj[j]);
			colvec_add(gr, w->cap, r, VG_T_STR, id, 0);
		}
	}
	return ntmpl;
}

/* The compact form of gathered column c for the encoder. */
static void colvals_of(const segw *w, uint32_t c, uint32_t nb, vg_colvals *cv)
{
	const colvec *g = &w->gat[c];
	memset(cv, 0, sizeof *cv);
	cv->nrows = nb;
	cv->n = g->n;
	cv->rows = g->sparse ? g->pos : NULL;
	cv->types = g->mixed ? g->vt : NULL;
	cv->type = g->type1;
	cv->v = g->v;
	cv->raw_off = g->has_roff ? g->roff : NULL;
	if (c == COL_RAW) {
		cv->strs = w->rawd->str;
		cv->slens = w->rawd->lens;
		cv->nstrs = w->rawd->n;
	} else {
		const vg_strtab *sd = c == COL_TMPL ? &w->b->tmpls : &w->dict[c].s;
		cv->strs = sd->str;
		cv->slens = sd->lens;
		cv->nstrs = (uint32_t)sd->n;
	}
	cv->ips = (const uint8_t(*)[16])w->dict[c].ip.ip;
	cv->nips = w->dict[c].ip.n;
}

/* 1 if column c is one side of a mirror pair. */
static int is_pair_col(const segw *w, uint32_t c)
{
	for (uint32_t k = 0; k < w->npairs; k++)
		if (w->paircol[k][0] == c || w->paircol[k][1] == c)
			return 1;
	return 0;
}

/* When every row is a compact event of table w->direct: the columns that
 * play no role in the order (not a sort key, not a pair) in sort order
 * into w->gat straight from the records, instead of staging each and
 * gathering it. The records are read in sort order, scattered, but a run
 * of CRUN rows at a time, column by column, and prefetched a run ahead;
 * the stores go to one column at a time. gather_narrow does the same from
 * the narrow copies (stage_narrow); this is for a block whose values do
 * not all fit them. */
static void gather_direct(segw *w, uint32_t nb)
{
	const vg_ctab *t = w->direct;
	const uint64_t *rec[CRUN];
	for (uint32_t r0 = 0; r0 < nb; r0 += CRUN) {
		uint32_t n = nb - r0 < CRUN ? nb - r0 : CRUN;
		for (uint32_t i = 0; i < n; i++) {
			rec[i] = w->recj[w->order[r0 + i]];
			if (r0 + CRUN + i < nb) {
				const char *a = (const char *)w->recj[w->order[r0 + CRUN + i]];
				for (uint32_t o = 0; o < t->stride * sizeof(uint64_t); o += 64)
					__builtin_prefetch(a + o);
			}
		}
		for (uint32_t k = 0; k < t->nc; k++) {
			uint32_t fid = t->fids[k], c = w->col_of_fid[fid];
			if (c == UINT32_MAX || w->role[fid])
				continue;
			colvec *g = &w->gat[c];
			coldict *d = &w->dict[c];
			for (uint32_t i = 0; i < n; i++) {
				uint8_t type = vg_ctab_types(t, rec[i])[k];
				if (type == 0)
					continue;
				uint64_t v = compact_word(w, d, &type, rec[i][1 + k]);
				colvec_add(g, w->cap, r0 + i, type, v, 0);
			}
		}
	}
}

/* gather_direct from the narrow copies (stage_narrow), prefetched a run
 * ahead. */
static void gather_narrow(segw *w, uint32_t nb)
{
	const vg_ctab *t = w->direct;
	uint32_t nn = w->nnar, ns = w->nstride;
	const uint32_t *row[CRUN];
	for (uint32_t r0 = 0; r0 < nb; r0 += CRUN) {
		uint32_t n = nb - r0 < CRUN ? nb - r0 : CRUN;
		for (uint32_t i = 0; i < n; i++) {
			row[i] = w->nar + (size_t)w->order[r0 + i] * ns;
			if (r0 + CRUN + i < nb) {
				const char *a = (const char *)(w->nar +
							       (size_t)w->order[r0 + CRUN + i] * ns);
				for (uint32_t o = 0; o < ns * sizeof *w->nar; o += 64)
					__builtin_prefetch(a + o);
			}
		}
		for (uint32_t q = 0; q < nn; q++) {
			uint32_t c = w->col_of_fid[t->fids[w->narcol[q]]];
			colvec *g = &w->gat[c];
			coldict *d = &w->dict[c];
			for (uint32_t i = 0; i < n; i++) {
				uint8_t type = ((const uint8_t *)(row[i] + nn))[q];
				if (type == 0)
					continue;
				uint64_t x = row[i][q];
				x = type == VG_T_IP ? x << 32 | 0xffff0000u : x;
				uint64_t v = compact_word(w, d, &type, x);
				colvec_add(g, w->cap, r0 + i, type, v, 0);
			}
		}
	}
}

/* Encode one block of rows [lo, hi) of the sorted row list into out. */
static int write_block(segw *w, const uint32_t *all, blockrec *out)
{
	size_t lo = out->lo, hi = out->hi;
	uint32_t nb = (uint32_t)(hi - lo);
	int sorting = w->nkeys > 0 || w->npairs > 0;
	w->block_serial++;
	block_scratch(w, nb);
	vg_tokset_clear(&w->toks);
	stage_block(w, all + lo, nb, sorting);
	if (sorting)
		order_block(w, nb);
	uint32_t ntmpl = gather_synth(w, nb);
	vg_colstat extra[2 * VG_MAX_PAIRS];
	memset(extra, 0, sizeof extra);
	if (w->npairs)
		find_mirrors(w, nb, extra);
	for (uint32_t c = COL_TMPL + 1; c < w->ncols; c++)
		if (c != w->col_mirror && !is_pair_col(w, c))
			gather_col(w, c, nb);
	if (w->direct && w->nar_wide)
		gather_direct(w, nb);
	else if (w->direct)
		gather_narrow(w, nb);
	int64_t tmin = INT64_MAX, tmax = INT64_MIN;
	for (uint32_t j = 0; j < nb; j++) {
		tmin = w->tj[j] < tmin ? w->tj[j] : tmin;
		tmax = w->tj[j] > tmax ? w->tj[j] : tmax;
	}
	out->nb = nb;
	out->ntmpl = ntmpl;
	out->tmin = tmin;
	out->tmax = tmax;
	out->ch = vg_xcalloc(w->ncols, sizeof *out->ch);
	out->coltypes = vg_xcalloc(w->ncols, 1);
	for (uint32_t c = 0; c < w->ncols; c++) {
		const colvec *g = &w->gat[c];
		out->coltypes[c] = g->types;
		if (g->n == 0)
			continue;
		vg_colref ref;
		vg_colvals in;
		colvals_of(w, c, nb, &in);
		/* The INT form is tried on a group's first block, like the
		 * reference (choose_ref; see worker_run). */
		if (w->int_hint == NULL)
			w->int_hint = vg_xcalloc(w->ncols, 1);
		in.int_hint = &w->int_hint[c];
		if (c != COL_TIME && choose_ref(w, c, nb, &ref))
			in.ref = &ref;
		chunkrec *cr = &out->ch[c];
		cr->off = out->data.len;
		/* `_raw` was tokenized above (every row); `_tmpl` holds only
		 * field names, no search tokens. */
		vg_tokset *toks = c == COL_RAW || c == COL_TMPL ? NULL : &w->toks;
		/* `_raw` (JSON records, syslog lines) at zstd level 1: on 482 MB
		 * of CloudTrail, level 1 took 10% less CPU than level 3 for the
		 * whole ingest *and* wrote 5.7% fewer bytes (39.0 MB against
		 * 41.4); syslog came out the same size. Other columns keep
		 * w->zlevel: their chunks are small and dense. */
		int zl = c == COL_RAW && w->zlevel > RAW_ZLEVEL ? RAW_ZLEVEL : w->zlevel;
		int rc = vg_col_encode_vals(&in, zl, &out->data, &cr->st, toks, &out->err);
		if (rc)
			return rc;
		cr->len = out->data.len - cr->off;
		cr->ref = in.ref ? (int32_t)in.ref->col : -1;
	}
	for (uint32_t k = 0; k < 2 * w->npairs; k++) {
		uint32_t c = w->paircol[k / 2][k % 2];
		stat_merge(&out->ch[c].st, &extra[k]);
		out->coltypes[c] |= extra[k].types;
	}
	out->boff = out->data.len;
	vg_bloom_build(&w->toks, &out->data);
	out->blen = out->data.len - out->boff;
	return 0;
}

/* Append block br's footer record to fb, its data placed at base. */
static void footer_block(vg_buf *fb, const blockrec *br, uint32_t ncols, uint64_t base)
{
	vg_buf_uvarint(fb, br->nb);
	vg_buf_uvarint(fb, br->ntmpl);
	vg_buf_svarint(fb, br->tmin);
	vg_buf_svarint(fb, br->tmax);
	for (uint32_t c = 0; c < ncols; c++) {
		const chunkrec *cr = &br->ch[c];
		if (cr->len == 0) {
			vg_buf_uvarint(fb, 0);
			vg_buf_uvarint(fb, 0);
			continue;
		}
		vg_buf_uvarint(fb, base + cr->off);
		vg_buf_uvarint(fb, cr->len);
		vg_buf_putc(fb, cr->st.types);
		vg_buf_uvarint(fb, cr->st.npresent);
		vg_buf_svarint(fb, cr->st.imin);
		vg_buf_svarint(fb, cr->st.imax);
		if (cr->st.types & (1u << VG_T_IP)) {
			vg_buf_put(fb, cr->st.ipmin, 16);
			vg_buf_put(fb, cr->st.ipmax, 16);
		}
		vg_buf_uvarint(fb, cr->st.ndistinct);
		vg_buf_uvarint(fb, (uint64_t)(cr->ref + 1));
	}
	vg_buf_uvarint(fb, base + br->boff);
	vg_buf_uvarint(fb, br->blen);
}

/* Blocks are encoded by up to VG_SEAL_THREADS workers, each with its own
 * scratch; the batch, the column map and the templates are shared and
 * read-only meanwhile. */
#define VG_SEAL_THREADS 4

typedef struct work {
	segw *proto;             /* the shared, read-only state */
	const uint32_t *rows;
	blockrec *blocks;
	size_t nblocks;
	size_t next;             /* atomic: the next block to take */
} work;

static void segw_free(segw *w);

/* A worker's segw: the prototype's shared state, its own scratch. */
static void worker_init(segw *w, const segw *proto)
{
	memset(w, 0, sizeof *w);
	w->b = proto->b;
	w->zlevel = proto->zlevel;
	w->ncols = proto->ncols;
	w->col_of_fid = proto->col_of_fid;
	memcpy(w->keyfids, proto->keyfids, sizeof w->keyfids);
	w->nkeys = proto->nkeys;
	w->npairs = proto->npairs;
	memcpy(w->pairfid, proto->pairfid, sizeof w->pairfid);
	memcpy(w->paircol, proto->paircol, sizeof w->paircol);
	w->col_mirror = proto->col_mirror;
	w->role = proto->role;
	w->direct = proto->direct;
	w->nnar = proto->nnar;
	memcpy(w->narcol, proto->narcol, sizeof w->narcol);
	w->nstride = proto->nstride;
	w->worker = 1;
}

#define BLOCK_GROUP 8

/* Forget the choices made for earlier blocks (see worker_run). */
static void forget_hints(segw *w)
{
	for (uint32_t c = 0; w->hint_col && c < w->ncols; c++)
		w->hint_col[c] = -2;
	if (w->int_hint)
		memset(w->int_hint, 0, w->ncols);
}

static void *worker_run(void *arg);

static void *worker_thread(void *arg)
{
	worker_run(arg);
	vg_col_thread_done();
	return NULL;
}

static void *worker_run(void *arg)
{
	work *wk = arg;
	segw w;
	worker_init(&w, wk->proto);
	/* Blocks go to workers in groups of BLOCK_GROUP, encoded in order:
	 * blocks of one segment look alike, so choices tried on a group's
	 * first block (the reference of a column, the form of its integers)
	 * are reused for the rest of the group. Taken within a group only,
	 * they do not depend on which worker took which block: the same
	 * input gives the same file. */
	for (;;) {
		size_t i = __atomic_fetch_add(&wk->next, BLOCK_GROUP, __ATOMIC_RELAXED);
		if (i >= wk->nblocks)
			break;
		forget_hints(&w);
		for (size_t k = i; k < i + BLOCK_GROUP && k < wk->nblocks; k++) {
			blockrec *br = &wk->blocks[k];
			br->rc = write_block(&w, wk->rows, br);
		}
	}
	segw_free(&w);
	return NULL;
}

/* Encode every block, in parallel when there are several. */
static void encode_blocks(segw *proto, const uint32_t *rows, blockrec *blocks, size_t nblocks)
{
	work wk = {proto, rows, blocks, nblocks, 0};
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nthreads = ncpu > 1 ? (size_t)ncpu : 1;
	if (nthreads > VG_SEAL_THREADS)
		nthreads = VG_SEAL_THREADS;
	if (nthreads > nblocks)
		nthreads = nblocks;
	pthread_t tid[VG_SEAL_THREADS];
	size_t started = 0;
	for (size_t k = 1; k < nthreads; k++)
		if (pthread_create(&tid[started], NULL, worker_thread, &wk) == 0)
			started++;
	worker_run(&wk); /* this thread works too */
	for (size_t k = 0; k < started; k++)
		pthread_join(tid[k], NULL);
}

static int write_file(const char *path, const vg_buf *data, vg_err *err)
{
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return vg_seterr(err, VG_EIO, -1, "cannot create %s: %s", tmp, strerror(errno));
	size_t off = 0;
	while (off < data->len) {
		ssize_t n = write(fd, data->p + off, data->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = errno;
			close(fd);
			unlink(tmp);
			return vg_seterr(err, VG_EIO, -1, "cannot write %s: %s", tmp, strerror(e));
		}
		off += (size_t)n;
	}
	if (fsync(fd) != 0) {
		int e = errno;
		close(fd);
		unlink(tmp);
		return vg_seterr(err, VG_EIO, -1, "cannot fsync %s: %s", tmp, strerror(e));
	}
	close(fd);
	if (rename(tmp, path) != 0)
		return vg_seterr(err, VG_EIO, -1, "cannot rename %s: %s", tmp, strerror(errno));
	return 0;
}

static void segw_free(segw *w)
{
	/* Only workers have block scratch; the prototype has none. */
	for (uint32_t c = 0; w->stg && c < w->ncols; c++) {
		colvec_free(&w->stg[c]);
		colvec_free(&w->gat[c]);
		vg_strtab_free(&w->dict[c].s);
		ipdict_free(&w->dict[c].ip);
		free(w->dict[c].skey);
		free(w->dict[c].ipkey);
		free(w->dense[c].types);
		free(w->dense[c].i);
		free(w->dense[c].ip);
	}
	free(w->stg);
	free(w->gat);
	free(w->dict);
	free(w->dense);
	rawdict_free(w->rawd);
	free(w->hint_col);
	free(w->hint_div);
	free(w->int_hint);
	free(w->crun);
	if (!w->worker) {
		free(w->colname);
		free(w->coltypes);
		free(w->col_of_fid);
		free(w->role);
	}
	free(w->srows);
	free(w->rk);
	free(w->rktmp);
	free(w->rcnt);
	free(w->ties);
	free(w->mkeys);
	free(w->mtmp);
	free(w->order);
	free(w->tj);
	free(w->rawj);
	free(w->rawlj);
	free(w->tmplj);
	free(w->idx);
	free(w->prec_mem);
	free(w->pro);
	free(w->nar_mem);
	free(w->mirror);
	free(w->rawp);
	free(w->rawl);
	free(w->recj);
	vg_buf_free(&w->file);
	vg_buf_free(&w->footer);
	vg_tokset_free(&w->toks);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Compact events of table t with field mask `mask`, the first of them at
 * `at` (position << 16): find_columns places their fields. */
typedef struct ckind {
	const vg_ctab *t;
	uint64_t mask;
	uint64_t at;
} ckind;
#define NKINDS 16

static void place_compact(const ckind *k, uint64_t *first)
{
	uint32_t j = 0;
	for (uint64_t m = k->mask; m; m &= m - 1, j++) {
		uint32_t fid = k->t->fids[__builtin_ctzll(m)];
		if ((k->at | j) < first[fid])
			first[fid] = k->at | j;
	}
}

/* Add a column for every field of the rows, in order of first use: row by
 * row in rows[] order, field by field (the column numbers readers see),
 * and find the rows' time range. A field's place is the smallest (row
 * position, field index) it has, so the rows can be read in the
 * memtable's own order, a stream, rather than in rows[] order, which is
 * scattered over all of it. */
static void find_columns(segw *w, const uint32_t *rows, size_t nrows, int64_t *tmin,
			 int64_t *tmax)
{
	const vg_batch *b = w->b;
	if (nrows == 0)
		return;
	uint32_t lo = UINT32_MAX, hi = 0;
	for (size_t k = 0; k < nrows; k++) {
		lo = rows[k] < lo ? rows[k] : lo;
		hi = rows[k] > hi ? rows[k] : hi;
	}
	/* pos[row - lo]: 1 + the row's position in rows[], 0 if not there. */
	uint32_t *pos = vg_xcalloc((size_t)(hi - lo) + 1, sizeof *pos);
	for (size_t k = 0; k < nrows; k++)
		pos[rows[k] - lo] = (uint32_t)k + 1;
	size_t nf = b->fields.n ? b->fields.n : 1;
	/* first[fid]: position << 16 | field index, the smallest seen. */
	uint64_t *first = vg_xmalloc(nf * sizeof *first);
	memset(first, 0xff, nf * sizeof *first);
	/* Compact events (batch.h) of one template and one set of fields
	 * place their fields alike but for the row position: each such kind
	 * is placed once, at the smallest position it holds. Kinds are few
	 * (which optional fields a flow record has), but they alternate. */
	ckind kinds[NKINDS];
	uint32_t nkinds = 0;
	const vg_ctab *one = NULL;  /* the table of every row, if one */
	int all = 1;
	for (uint32_t i = lo; i <= hi; i++) {
		/* A compact event's mask is a word of each record: the
		 * records stream, but are read too sparsely for the hardware
		 * to fetch them ahead. */
		if (i + PREFETCH <= hi && b->ev[i + PREFETCH].crow) {
			const vg_ctab *ta;
			__builtin_prefetch(vg_event_compact(b, &b->ev[i + PREFETCH], &ta));
		}
		uint32_t p = pos[i - lo];
		if (p == 0)
			continue;
		const vg_event *e = &b->ev[i];
		*tmin = e->t < *tmin ? e->t : *tmin;
		*tmax = e->t > *tmax ? e->t : *tmax;
		uint64_t at = (uint64_t)(p - 1) << 16;
		if (e->crow) {
			const vg_ctab *t;
			const uint64_t *rec = vg_event_compact(b, e, &t);
			uint32_t k = 0;
			while (k < nkinds && (kinds[k].t != t || kinds[k].mask != rec[0]))
				k++;
			if (k == NKINDS) {
				for (k = 0; k < nkinds; k++)
					place_compact(&kinds[k], first);
				k = nkinds = 0;
			}
			if (k == nkinds)
				kinds[nkinds++] = (ckind){t, rec[0], at};
			kinds[k].at = at < kinds[k].at ? at : kinds[k].at;
			all &= one == NULL || one == t;
			one = t;
			continue;
		}
		all = 0;
		const vg_field *f = vg_event_fields(b, e);
		for (uint32_t j = 0; j < e->nfields; j++) {
			uint64_t key = at | (j < 0xffff ? j : 0xffff);
			if (key < first[f[j].fid])
				first[f[j].fid] = key;
		}
	}
	for (uint32_t k = 0; k < nkinds; k++)
		place_compact(&kinds[k], first);
	w->direct = all ? one : NULL;
	/* The fields used, as (place, field id) pairs sorted by place. */
	size_t nused = 0;
	for (size_t fid = 0; fid < nf; fid++)
		nused += first[fid] != UINT64_MAX;
	uint64_t *order = vg_xmalloc((nused ? nused : 1) * 2 * sizeof *order);
	size_t m = 0;
	for (size_t fid = 0; fid < nf; fid++)
		if (first[fid] != UINT64_MAX) {
			order[2 * m] = first[fid];
			order[2 * m + 1] = fid;
			m++;
		}
	/* Places are distinct (one field per (row, index)), so sorting the
	 * pairs by their first word orders them fully. */
	qsort(order, nused, 2 * sizeof *order, cmp_u64);
	for (size_t k = 0; k < nused; k++) {
		uint32_t fid = (uint32_t)order[2 * k + 1];
		w->col_of_fid[fid] = add_col(w, vg_strtab_get(&b->fields, fid, NULL));
	}
	free(order);
	free(first);
	free(pos);
}

/* Keep the declared pairs whose two columns exist, and give them the
 * `_mirror` column. */
static void resolve_pairs(segw *w)
{
	uint32_t kept = 0;
	w->col_mirror = UINT32_MAX;
	for (uint32_t k = 0; k < w->npairs; k++) {
		uint32_t f0 = w->pairfid[k][0], f1 = w->pairfid[k][1];
		if (f0 == UINT32_MAX || f1 == UINT32_MAX || f0 == f1)
			continue;
		uint32_t c0 = w->col_of_fid[f0], c1 = w->col_of_fid[f1];
		if (c0 == UINT32_MAX || c1 == UINT32_MAX)
			continue;
		w->pairfid[kept][0] = f0;
		w->pairfid[kept][1] = f1;
		w->paircol[kept][0] = c0;
		w->paircol[kept][1] = c1;
		kept++;
	}
	w->npairs = kept;
	if (kept)
		w->col_mirror = add_col(w, MIRROR_COL);
	size_t nf = w->b->fields.n ? w->b->fields.n : 1;
	w->role = vg_xcalloc(nf, 1);
	for (uint32_t k = 0; k < w->nkeys; k++)
		if (w->keyfids[k] != UINT32_MAX)
			w->role[w->keyfids[k]] = (uint8_t)(k + 1);
	for (uint32_t k = 0; k < w->npairs; k++)
		for (uint32_t side = 0; side < 2; side++)
			w->role[w->pairfid[k][side]] = (uint8_t)(ROLE_PAIR + 2 * k + side);
}

/* The columns of the direct table that gather_direct takes (present in
 * the segment, no role in the order), for stage_narrow. */
static void narrow_setup(segw *w)
{
	const vg_ctab *t = w->direct;
	w->nnar = 0;
	for (uint32_t k = 0; t && k < t->nc; k++) {
		uint32_t fid = t->fids[k];
		if (w->col_of_fid[fid] != UINT32_MAX && !w->role[fid])
			w->narcol[w->nnar++] = (uint8_t)k;
	}
	/* Values, then type bytes, rounded up to whole cache lines. */
	w->nstride = (w->nnar + (w->nnar + 3) / 4 + 15) & ~15u;
}

int vg_seg_write(const char *path, const vg_batch *b, const uint32_t *rows, size_t nrows,
		 uint64_t seq, const char *group, int64_t day, const uint8_t prev_chain[VG_HASH_LEN],
		 const char *sortkey, int zlevel, vg_seginfo *info, vg_err *err)
{
	segw w;
	memset(&w, 0, sizeof w);
	w.b = b;
	w.zlevel = zlevel;
	w.err = err;
	size_t nf = b->fields.n;
	w.col_of_fid = vg_xmalloc((nf ? nf : 1) * sizeof *w.col_of_fid);
	memset(w.col_of_fid, 0xff, (nf ? nf : 1) * sizeof *w.col_of_fid);
	resolve_sortkey(&w, sortkey);
	add_col(&w, "_time");
	add_col(&w, "_raw");
	add_col(&w, "_tmpl");
	int64_t tmin = INT64_MAX, tmax = INT64_MIN;
	find_columns(&w, rows, nrows, &tmin, &tmax);
	resolve_pairs(&w);
	narrow_setup(&w);
	vg_buf_put(&w.file, MAGIC, 8);
	/* Blocks end at VG_BLOCK_ROWS rows or VG_BLOCK_BYTES of raw text. */
	blockrec *blocks = NULL;
	size_t nblocks = 0, capblocks = 0;
	for (size_t lo = 0; lo < nrows;) {
		size_t hi = lo, bytes = 0;
		while (hi < nrows && hi - lo < VG_BLOCK_ROWS && bytes < VG_BLOCK_BYTES) {
			/* Rows in time order are scattered over the memtable. */
			if (hi + GATHER_AHEAD < nrows)
				__builtin_prefetch(&b->ev[rows[hi + GATHER_AHEAD]]);
			bytes += b->ev[rows[hi++]].rawlen + 64;
		}
		vg_grow(&blocks, &capblocks, nblocks + 1, sizeof *blocks);
		memset(&blocks[nblocks], 0, sizeof *blocks);
		blocks[nblocks].lo = lo;
		blocks[nblocks].hi = hi;
		nblocks++;
		lo = hi;
	}
	encode_blocks(&w, rows, blocks, nblocks);
	int rc = 0;
	for (size_t k = 0; k < nblocks; k++) {
		blockrec *br = &blocks[k];
		if (rc == 0 && br->rc) {
			rc = br->rc;
			*err = br->err;
		}
		if (rc == 0) {
			footer_block(&w.footer, br, w.ncols, w.file.len);
			vg_buf_put(&w.file, br->data.p, br->data.len);
			for (uint32_t c = 0; c < w.ncols; c++)
				w.coltypes[c] |= br->coltypes ? br->coltypes[c] : 0;
		}
		vg_buf_free(&br->data);
		free(br->ch);
		free(br->coltypes);
	}
	free(blocks);
	if (rc) {
		segw_free(&w);
		return rc;
	}
	/* Footer: segment header fields, columns, then the block records
	 * accumulated in w.footer. */
	vg_buf head = {0};
	vg_buf_uvarint(&head, 3);
	vg_buf_uvarint(&head, seq);
	footer_str(&head, group);
	vg_buf_svarint(&head, day);
	vg_buf_uvarint(&head, nrows);
	vg_buf_svarint(&head, nrows ? tmin : 0);
	vg_buf_svarint(&head, nrows ? tmax : 0);
	vg_buf_uvarint(&head, w.ncols);
	for (uint32_t c = 0; c < w.ncols; c++) {
		footer_str(&head, w.colname[c]);
		vg_buf_putc(&head, w.coltypes[c]);
	}
	vg_buf_uvarint(&head, w.npairs);
	for (uint32_t k = 0; k < w.npairs; k++) {
		vg_buf_uvarint(&head, w.paircol[k][0]);
		vg_buf_uvarint(&head, w.paircol[k][1]);
	}
	vg_buf_uvarint(&head, (uint64_t)nblocks);
	uint64_t foff = w.file.len;
	vg_buf_put(&w.file, head.p, head.len);
	vg_buf_put(&w.file, w.footer.p, w.footer.len);
	uint32_t flen = (uint32_t)(w.file.len - foff);
	vg_buf_free(&head);
	uint8_t content[VG_HASH_LEN], chain[VG_HASH_LEN];
	crypto_generichash(content, VG_HASH_LEN, w.file.p, w.file.len, NULL, 0);
	vg_seg_chain(prev_chain, content, seq, chain);
	vg_buf_u64le(&w.file, foff);
	vg_buf_u32le(&w.file, flen);
	vg_buf_put(&w.file, content, VG_HASH_LEN);
	vg_buf_put(&w.file, prev_chain, VG_HASH_LEN);
	vg_buf_put(&w.file, chain, VG_HASH_LEN);
	vg_buf_put(&w.file, END_MAGIC, 8);
	rc = write_file(path, &w.file, err);
	if (rc == 0 && info) {
		memset(info, 0, sizeof *info);
		info->seq = seq;
		snprintf(info->group, sizeof info->group, "%s", group);
		info->day = day;
		info->nrows = nrows;
		info->tmin = tmin;
		info->tmax = tmax;
		info->bytes = w.file.len;
		memcpy(info->content_hash, content, VG_HASH_LEN);
		memcpy(info->chain, chain, VG_HASH_LEN);
	}
	segw_free(&w);
	return rc;
}

/* ---- reader ------------------------------------------------------------ */

#define CORRUPT(...) vg_seterr(err, VG_ECORRUPT, -1, __VA_ARGS__)

static int read_str(vg_cur *c, char **out)
{
	uint64_t n;
	const uint8_t *p;
	if (vg_cur_uvarint(c, &n) || n > 4096 || vg_cur_bytes(c, n, &p))
		return -1;
	*out = vg_xstrndup((const char *)p, n);
	return 0;
}

/* Mirror pairs (version 2): each column in at most one pair, and then
 * `_mirror` must exist. */
static int read_pairs(vg_seg *s, vg_cur *c, uint64_t ver, vg_err *err)
{
	s->partner = vg_xmalloc(s->ncols * sizeof *s->partner);
	for (uint32_t k = 0; k < s->ncols; k++)
		s->partner[k] = -1;
	s->mirror_col = vg_seg_col(s, MIRROR_COL);
	uint64_t np = 0;
	if (ver >= 2 && (vg_cur_uvarint(c, &np) || np > VG_MAX_PAIRS))
		return CORRUPT("bad mirror pair count");
	for (uint64_t k = 0; k < np; k++) {
		uint64_t a, b;
		if (vg_cur_uvarint(c, &a) || vg_cur_uvarint(c, &b) || a >= s->ncols ||
		    b >= s->ncols || a == b || a <= COL_TMPL || b <= COL_TMPL ||
		    s->partner[a] >= 0 || s->partner[b] >= 0 || s->mirror_col < 0 ||
		    (int64_t)a == s->mirror_col || (int64_t)b == s->mirror_col)
			return CORRUPT("bad mirror pair");
		s->partner[a] = (int32_t)b;
		s->partner[b] = (int32_t)a;
	}
	return 0;
}

static int parse_footer(vg_seg *s, vg_cur *c, uint64_t data_end, vg_err *err)
{
	uint64_t ver, v;
	if (vg_cur_uvarint(c, &ver) || ver < 1 || ver > 3)
		return CORRUPT("unknown segment version");
	s->version = (uint32_t)ver;
	if (vg_cur_uvarint(c, &s->seq) || read_str(c, &s->group) || vg_cur_svarint(c, &s->day) ||
	    vg_cur_uvarint(c, &s->nrows) || vg_cur_svarint(c, &s->tmin) ||
	    vg_cur_svarint(c, &s->tmax) || vg_cur_uvarint(c, &v) || v > 100000 || v < 3)
		return CORRUPT("bad segment header");
	s->ncols = (uint32_t)v;
	s->cols = vg_xcalloc(s->ncols, sizeof *s->cols);
	s->coltypes = vg_xcalloc(s->ncols, 1);
	for (uint32_t k = 0; k < s->ncols; k++)
		if (read_str(c, &s->cols[k]) || vg_cur_u8(c, &s->coltypes[k]))
			return CORRUPT("bad column list");
	if (read_pairs(s, c, ver, err))
		return -1;
	if (vg_cur_uvarint(c, &v) || v > s->nrows + 1 || v > (1u << 24))
		return CORRUPT("bad block count");
	s->nblocks = (uint32_t)v;
	s->blocks = vg_xcalloc(s->nblocks ? s->nblocks : 1, sizeof *s->blocks);
	uint64_t rows = 0;
	for (uint32_t bi = 0; bi < s->nblocks; bi++) {
		vg_block *bl = &s->blocks[bi];
		uint64_t nr, nt;
		if (vg_cur_uvarint(c, &nr) || vg_cur_uvarint(c, &nt) || nr == 0 ||
		    nr > VG_BLOCK_ROWS || nt > nr || vg_cur_svarint(c, &bl->tmin) ||
		    vg_cur_svarint(c, &bl->tmax))
			return CORRUPT("bad block %u header", bi);
		bl->nrows = (uint32_t)nr;
		bl->ntmpl = (uint32_t)nt;
		rows += nr;
		bl->chunks = vg_xcalloc(s->ncols, sizeof *bl->chunks);
		for (uint32_t k = 0; k < s->ncols; k++) {
			vg_chunk *ch = &bl->chunks[k];
			uint64_t off, len, np, nd;
			if (vg_cur_uvarint(c, &off) || vg_cur_uvarint(c, &len))
				return CORRUPT("bad chunk record in block %u", bi);
			if (len == 0)
				continue;
			if (off < 8 || len > UINT32_MAX || off + len > data_end ||
			    vg_cur_u8(c, &ch->st.types) || vg_cur_uvarint(c, &np) || np > nr ||
			    vg_cur_svarint(c, &ch->st.imin) || vg_cur_svarint(c, &ch->st.imax))
				return CORRUPT("bad chunk record in block %u", bi);
			const uint8_t *ipr;
			if ((ch->st.types & (1u << VG_T_IP)) && vg_cur_bytes(c, 32, &ipr) == 0) {
				memcpy(ch->st.ipmin, ipr, 16);
				memcpy(ch->st.ipmax, ipr + 16, 16);
			} else if (ch->st.types & (1u << VG_T_IP)) {
				return CORRUPT("bad address range in block %u", bi);
			}
			if (vg_cur_uvarint(c, &nd))
				return CORRUPT("bad chunk record in block %u", bi);
			uint64_t ref;
			if (vg_cur_uvarint(c, &ref) || ref > k)
				return CORRUPT("bad chunk reference in block %u", bi);
			ch->off = off;
			ch->len = (uint32_t)len;
			ch->ref = (int32_t)ref - 1;
			ch->st.npresent = (uint32_t)np;
			ch->st.ndistinct = (uint32_t)nd;
		}
		uint64_t boff, blen;
		if (vg_cur_uvarint(c, &boff) || vg_cur_uvarint(c, &blen) || boff + blen > data_end)
			return CORRUPT("bad filter record in block %u", bi);
		bl->bloom_off = boff;
		bl->bloom_len = (uint32_t)blen;
	}
	if (rows != s->nrows)
		return CORRUPT("blocks hold %llu rows, header says %llu", (unsigned long long)rows,
			       (unsigned long long)s->nrows);
	if (c->p != c->end)
		return CORRUPT("trailing bytes after footer");
	return 0;
}

int vg_seg_open(const char *path, vg_seg **out, vg_err *err)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vg_seterr(err, errno == ENOENT ? VG_ENOTFOUND : VG_EIO, -1,
				 "cannot open %s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_size < (off_t)(8 + TRAILER_LEN)) {
		close(fd);
		return CORRUPT("%s: too short to be a segment", path);
	}
	size_t size = (size_t)st.st_size;
	const uint8_t *map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		close(fd);
		return vg_seterr(err, VG_EIO, -1, "cannot map %s: %s", path, strerror(errno));
	}
	vg_seg *s = vg_xcalloc(1, sizeof *s);
	s->fd = fd;
	s->map = map;
	s->size = size;
	*out = s;
	const uint8_t *t = map + size - TRAILER_LEN;
	if (memcmp(map, MAGIC, 8) != 0 || memcmp(t + TRAILER_LEN - 8, END_MAGIC, 8) != 0)
		return CORRUPT("%s: not a vigil segment (bad magic)", path);
	uint64_t foff = vg_rd64le(t);
	uint32_t flen = vg_rd32le(t + 8);
	memcpy(s->content_hash, t + 12, VG_HASH_LEN);
	memcpy(s->prev_chain, t + 12 + VG_HASH_LEN, VG_HASH_LEN);
	memcpy(s->chain, t + 12 + 2 * VG_HASH_LEN, VG_HASH_LEN);
	if (foff < 8 || foff + flen != size - TRAILER_LEN)
		return CORRUPT("%s: bad footer position", path);
	vg_cur c = {map + foff, map + foff + flen};
	int rc = parse_footer(s, &c, foff, err);
	if (rc) {
		char m[sizeof err->msg];
		snprintf(m, sizeof m, "%s", err->msg);
		vg_seterr(err, rc, -1, "%s: %s", path, m);
	}
	return rc;
}

void vg_seg_close(vg_seg *s)
{
	if (s == NULL)
		return;
	if (s->map)
		munmap((void *)s->map, s->size);
	if (s->fd >= 0)
		close(s->fd);
	for (uint32_t k = 0; k < s->ncols && s->cols; k++)
		free(s->cols[k]);
	for (uint32_t b = 0; b < s->nblocks && s->blocks; b++)
		free(s->blocks[b].chunks);
	free(s->cols);
	free(s->coltypes);
	free(s->partner);
	free(s->blocks);
	free(s->group);
	free(s);
}

int vg_seg_col(const vg_seg *s, const char *name)
{
	for (uint32_t k = 0; k < s->ncols; k++)
		if (strcmp(s->cols[k], name) == 0)
			return (int)k;
	return -1;
}

int vg_seg_field(const vg_seg *s, const char *name)
{
	int c = vg_seg_col(s, name);
	return c == 2 || c == s->mirror_col ? -1 : c;
}

/* Decode column c of block b as stored: mirror rows still empty. A
 * reference column already decoded in done[] (done_ok[ref] set) is used as
 * it is instead of being decoded again. */
static int read_stored(const vg_seg *s, uint32_t b, uint32_t c, vg_arena *a, vg_col *out,
		       const vg_col *done, const uint8_t *done_ok, vg_err *err)
{
	const vg_block *bl = &s->blocks[b];
	const vg_chunk *ch = &bl->chunks[c];
	if (ch->len == 0) {
		memset(out, 0, sizeof *out);
		out->n = bl->nrows;
		out->types = vg_arena_alloc(a, bl->nrows);
		memset(out->types, 0, bl->nrows);
		return 0;
	}
	vg_col refcol;
	const vg_col *ref = NULL;
	if (ch->ref >= 0 && done && done_ok[ch->ref]) {
		ref = &done[ch->ref];
	} else if (ch->ref >= 0) {
		/* References point to earlier columns only, so this ends. */
		int rc = vg_seg_read_cached(s, b, (uint32_t)ch->ref, a, done, done_ok, &refcol, err);
		if (rc)
			return rc;
		ref = &refcol;
	}
	return vg_col_decode(s->map + ch->off, ch->len, bl->nrows, ref, a, out, err);
}

#if defined(__x86_64__) && defined(__GNUC__)
/* vg_seg_restore_mirrors in the common case, 64 rows a step: every mirror
 * row follows a non-mirror row whose partner value is an integer, holds no
 * value of its own, and out has its integers already (flow ports). 0 when
 * done, -1 when some row is not so (nothing written then). */
__attribute__((target("avx512f,avx512bw"))) static int restore_ints_avx512(const vg_col *m,
									   const vg_col *p,
									   vg_col *out)
{
	uint32_t n = out->n;
	if (n < 2 || out->i == NULL || p->i == NULL || m->types[0] != 0)
		return -1;
	const uint8_t *mt = m->types, *pt = p->types;
	uint8_t *ot = out->types;
	const __m512i zero = _mm512_setzero_si512(), vint = _mm512_set1_epi8(VG_T_INT);
	uint64_t bad = 0;
	uint32_t r = 1;
	for (; r + 64 <= n; r += 64) {
		__mmask64 mr = _mm512_test_epi8_mask(_mm512_loadu_si512(mt + r), _mm512_loadu_si512(mt + r));
		__m512i prev = _mm512_loadu_si512(mt + r - 1), own = _mm512_loadu_si512(ot + r);
		__mmask64 wrong = _mm512_cmpneq_epi8_mask(prev, zero) | _mm512_cmpneq_epi8_mask(own, zero) |
				  _mm512_cmpneq_epi8_mask(_mm512_loadu_si512(pt + r - 1), vint);
		bad |= mr & wrong;
	}
	for (uint32_t k = r; k < n; k++)
		bad |= (mt[k] != 0) & ((mt[k - 1] != 0) | (ot[k] != 0) | (pt[k - 1] != VG_T_INT));
	if (bad)
		return -1;
	int64_t *oi = out->i;
	const int64_t *pi = p->i;
	for (r = 1; r + 64 <= n; r += 64) {
		__m512i mv = _mm512_loadu_si512(mt + r);
		__mmask64 mr = _mm512_test_epi8_mask(mv, mv);
		if (mr == 0)
			continue;
		_mm512_storeu_si512(ot + r, _mm512_mask_blend_epi8(mr, _mm512_loadu_si512(ot + r), vint));
		for (unsigned j = 0; j < 8; j++) {
			__mmask8 m8 = (__mmask8)(mr >> (8 * j));
			if (m8)
				_mm512_mask_storeu_epi64(oi + r + 8 * j, m8,
							 _mm512_loadu_si512(pi + r + 8 * j - 1));
		}
	}
	for (; r < n; r++)
		if (mt[r]) {
			ot[r] = VG_T_INT;
			oi[r] = pi[r - 1];
		}
	return 0;
}
#endif

int vg_seg_restore_mirrors(const vg_seg *s, uint32_t b, const vg_col *m, const vg_col *p,
			   vg_arena *a, vg_col *out, vg_err *err)
{
#if defined(__x86_64__) && defined(__GNUC__)
	if (vg_simd_has(VG_SIMD_AVX512F | VG_SIMD_AVX512BW) && restore_ints_avx512(m, p, out) == 0)
		return 0;
#endif
	for (uint32_t r = 0; r < out->n; r++) {
		if (m->types[r] == 0)
			continue;
		uint8_t t = r ? p->types[r - 1] : 0;
		/* Since version 3 a pair that the row before lacks is absent
		 * from the mirror row too. */
		if (r == 0 || m->types[r - 1] != 0 || out->types[r] != 0 ||
		    (t != VG_T_INT && t != VG_T_IP && (t != 0 || s->version < 3)))
			return CORRUPT("segment %llu block %u: bad mirror row %u",
				       (unsigned long long)s->seq, b, r);
		if (t == 0)
			continue;
		if (t == VG_T_INT && out->i == NULL)
			out->i = vg_arena_alloc(a, (size_t)out->n * sizeof *out->i);
		if (t == VG_T_IP && out->ip == NULL)
			out->ip = vg_arena_alloc(a, (size_t)out->n * sizeof *out->ip);
		out->types[r] = t;
		if (t == VG_T_INT)
			out->i[r] = p->i[r - 1];
		else
			memcpy(out->ip[r], p->ip[r - 1], 16);
	}
	return 0;
}

int vg_seg_read(const vg_seg *s, uint32_t b, uint32_t c, vg_arena *a, vg_col *out, vg_err *err)
{
	return vg_seg_read_cached(s, b, c, a, NULL, NULL, out, err);
}

int vg_seg_read_stored(const vg_seg *s, uint32_t b, uint32_t c, vg_arena *a, const vg_col *done,
		       const uint8_t *done_ok, vg_col *out, vg_err *err)
{
	return read_stored(s, b, c, a, out, done, done_ok, err);
}

int vg_seg_read_cached(const vg_seg *s, uint32_t b, uint32_t c, vg_arena *a, const vg_col *done,
		       const uint8_t *done_ok, vg_col *out, vg_err *err)
{
	int rc = read_stored(s, b, c, a, out, done, done_ok, err);
	if (rc || !s->partner || s->partner[c] < 0 || s->blocks[b].chunks[s->mirror_col].len == 0)
		return rc;
	/* A partner decoded already serves as it is: the row before a
	 * mirror row is never one, so there it holds its stored value. */
	vg_col m, p;
	const vg_col *mp = &m, *pp = &p;
	if (done && done_ok[s->mirror_col])
		mp = &done[s->mirror_col];
	else
		rc = read_stored(s, b, (uint32_t)s->mirror_col, a, &m, NULL, NULL, err);
	if (rc == 0 && done && done_ok[s->partner[c]])
		pp = &done[s->partner[c]];
	else if (rc == 0)
		rc = read_stored(s, b, (uint32_t)s->partner[c], a, &p, NULL, NULL, err);
	return rc ? rc : vg_seg_restore_mirrors(s, b, mp, pp, a, out, err);
}

int vg_seg_block_maybe(const vg_seg *s, uint32_t b, uint64_t h)
{
	const vg_block *bl = &s->blocks[b];
	return vg_bloom_maybe(s->map + bl->bloom_off, bl->bloom_len, h);
}

int vg_seg_verify(const vg_seg *s, vg_err *err)
{
	uint8_t h[VG_HASH_LEN], chain[VG_HASH_LEN];
	crypto_generichash(h, VG_HASH_LEN, s->map, s->size - TRAILER_LEN, NULL, 0);
	if (memcmp(h, s->content_hash, VG_HASH_LEN) != 0)
		return CORRUPT("segment %llu: content hash mismatch (the file was altered)",
			       (unsigned long long)s->seq);
	vg_seg_chain(s->prev_chain, s->content_hash, s->seq, chain);
	if (memcmp(chain, s->chain, VG_HASH_LEN) != 0)
		return CORRUPT("segment %llu: chain hash mismatch", (unsigned long long)s->seq);
	vg_arena a = {0};
	int rc = 0;
	vg_col *cols = vg_xcalloc(s->ncols ? s->ncols : 1, sizeof *cols);
	uint8_t *ok = vg_xcalloc(s->ncols ? s->ncols : 1, 1);
	for (uint32_t b = 0; b < s->nblocks && rc == 0; b++) {
		memset(ok, 0, s->ncols);
		for (uint32_t c = 0; c < s->ncols && rc == 0; c++) {
			vg_col col;
			rc = vg_seg_read_cached(s, b, c, &a, cols, ok, &col, err);
			cols[c] = col;
			ok[c] = rc == 0;
			if (rc == 0 && c == 0) {
				for (uint32_t r = 0; r < col.n; r++)
					if (col.types[r] != VG_T_INT)
						rc = CORRUPT("segment %llu block %u: row without time",
							     (unsigned long long)s->seq, b);
			}
		}
		vg_arena_reset(&a);
	}
	free(cols);
	free(ok);
	vg_arena_free(&a);
	return rc;
}
