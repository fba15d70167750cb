/*
 * lookup.c — CSV lookup tables (lookup.h).
 *
 * Reading: the file is read whole into one buffer with a spare byte, and
 * parsed in place by a small state machine (read_field): an unquoted cell
 * is left where it is; a quoted one is copied down over its own opening
 * quote with doubled quotes collapsed, which never overtakes the reading
 * position. Each cell is then NUL-terminated over the separator that
 * ended it (already read), so a cell is an (offset, length) pair into the
 * buffer that is also a C string. Cells are kept row-major, the header as
 * row 0, with short records padded by cells pointing at the spare NUL.
 *
 * Index: an open-addressing hash table of row numbers keyed by the key
 * cells (first row kept on duplicates). Rows with network cells are also
 * put in chains, in file order, keyed by their shape (which key positions
 * hold networks, and the prefix length of the first), that first network,
 * and the text of their other, non-network key cells: a table of
 * (account, cidr) rows where ten thousand accounts share 10.0.0.0/8 is
 * still one probe per shape, not a walk over ten thousand rows. The
 * shapes present are kept sorted, longest prefix first, so a network
 * lookup probes only the prefix lengths the table uses.
 */
#include "query/lookup.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "query/qlex.h"
#include "util/ip.h"
#include "util/mem.h"
#include "util/strtab.h"

#define MAX_KEYS 64
#define HARD_MAX_BYTES (1ull << 30)
#define HARD_MAX_CELLS (1u << 28)
#define NONE UINT32_MAX

typedef struct cellref {
	uint32_t off, len;
} cellref;

typedef struct net {
	uint8_t ip[16];   /* host bits cleared */
	uint8_t bits;     /* over the 128-bit form */
} net;

/* A row indexed by its network cells: the first one (key position `key`,
 * its address and prefix) and the text of its other, non-network key
 * cells, all in `hash`. nets has a bit per key position whose cell is a
 * network. */
typedef struct citem {
	uint8_t ip[16];
	uint8_t bits, key;
	uint64_t nets;
	uint32_t row;
	uint32_t next;    /* next item of the chain + 1, or 0 */
	uint64_t hash;
} citem;

/* The rows of one shape: first network at `key` with prefix `bits`, and
 * network cells at the key positions of `nets`. */
typedef struct cclass {
	uint8_t key, bits;
	uint64_t nets;
} cclass;

struct vg_lookup {
	char *name;
	char *buf;               /* the file, len bytes + a NUL */
	size_t len;
	uint32_t ncols, nrows;
	cellref *cells;          /* (nrows + 1) x ncols; row 0 is the header */
	size_t ncells, capcells;

	uint32_t nkeys;          /* 0: no index */
	uint32_t *keycols;
	uint32_t *slots;         /* exact: row + 1, or 0 */
	uint32_t *slothash;      /* the high half of each slot's hash */
	size_t nslots;           /* power of two */

	net *nets;               /* every network key cell */
	size_t nnets, capnets;
	uint32_t *rownet;        /* nrows x nkeys: index into nets, or NONE */
	citem *items;
	size_t nitems, capitems;
	uint32_t *cslots;        /* item + 1, or 0 */
	size_t ncslots;
	cclass *classes;         /* longest prefix first, then key position,
				  * then network positions */
	uint32_t nclasses;
};

/* ------------------------------------------------------------ limits */

typedef struct lims {
	uint64_t bytes;
	uint32_t cells, cols;
} lims;

static lims get_lims(const vg_lookup_limits *l)
{
	lims r = {VG_LOOKUP_MAX_BYTES, VG_LOOKUP_MAX_CELLS, VG_LOOKUP_MAX_COLS};
	if (l && l->max_bytes)
		r.bytes = l->max_bytes < HARD_MAX_BYTES ? l->max_bytes : HARD_MAX_BYTES;
	if (l && l->max_cells)
		r.cells = l->max_cells < HARD_MAX_CELLS ? l->max_cells : HARD_MAX_CELLS;
	if (l && l->max_cols)
		r.cols = l->max_cols < r.cells ? l->max_cols : r.cells;
	return r;
}

/* ------------------------------------------------------------ parsing */

typedef struct pstate {
	vg_lookup *t;
	char *p;
	size_t n, i;
	uint32_t line;
	lims lim;
	vg_err *err;
} pstate;

enum { END_FIELD, END_RECORD, END_FILE };

static int perr(pstate *s, int code, uint32_t line, const char *what)
{
	return vg_seterr(s->err, code, -1, "lookup table '%s', line %u: %s", s->t->name,
			 (unsigned)line, what);
}

/* Consume the separator at s->i (or the end) and say which it was. */
static int take_end(pstate *s)
{
	if (s->i >= s->n)
		return END_FILE;
	char ch = s->p[s->i++];
	if (ch == ',')
		return END_FIELD;
	if (ch == '\r' && s->i < s->n && s->p[s->i] == '\n')
		s->i++;
	s->line++;
	return END_RECORD;
}

/* Read a quoted field starting at s->i (on its quote) into *c. */
static int read_quoted(pstate *s, cellref *c, int *end)
{
	uint32_t qline = s->line;
	size_t w = s->i, i = s->i + 1;
	c->off = (uint32_t)w;
	for (;;) {
		if (i >= s->n)
			return perr(s, VG_EINVAL, qline,
				    "a quoted field starts on this line and never ends");
		char ch = s->p[i];
		if (ch == '"') {
			if (i + 1 < s->n && s->p[i + 1] == '"') {
				s->p[w++] = '"';
				i += 2;
				continue;
			}
			i++;
			break;
		}
		if (ch == '\n')
			s->line++;
		s->p[w++] = ch;
		i++;
	}
	if (i < s->n && s->p[i] != ',' && s->p[i] != '\r' && s->p[i] != '\n')
		return perr(s, VG_EINVAL, s->line,
			    "text after the closing quote of a field (a quote inside a quoted "
			    "field is written \"\")");
	c->len = (uint32_t)(w - c->off);
	s->i = i;
	*end = take_end(s);
	s->p[w] = 0;
	return 0;
}

/* Read one field at s->i into *c; *end tells what ended it, *quoted
 * whether it was quoted. */
static int read_field(pstate *s, cellref *c, int *end, int *quoted)
{
	*quoted = s->i < s->n && s->p[s->i] == '"';
	if (*quoted)
		return read_quoted(s, c, end);
	size_t i = s->i;
	while (i < s->n && s->p[i] != ',' && s->p[i] != '\r' && s->p[i] != '\n') {
		if (s->p[i] == '"')
			return perr(s, VG_EINVAL, s->line,
				    "a quote inside a field that does not start with one (quote "
				    "the whole field and double the quote: \"a \"\"b\"\"\")");
		i++;
	}
	c->off = (uint32_t)s->i;
	c->len = (uint32_t)(i - s->i);
	s->i = i;
	*end = take_end(s);
	s->p[i] = 0;
	return 0;
}

/* Read one record into rec[0..*nf), at most cap fields; *blank when it is
 * an empty line. */
static int read_record(pstate *s, cellref *rec, uint32_t cap, uint32_t *nf, int *blank)
{
	uint32_t line = s->line;
	int end = END_FIELD, quoted = 0;
	*nf = 0;
	while (end == END_FIELD) {
		if (*nf == cap) {
			char m[160];
			if (s->t->ncols)
				snprintf(m, sizeof m, "more fields than the header's %u (a comma "
					 "inside a value must be in double quotes)", (unsigned)cap);
			else
				snprintf(m, sizeof m, "the header has more than %u columns",
					 (unsigned)cap);
			return perr(s, s->t->ncols ? VG_EINVAL : VG_ELIMIT, line, m);
		}
		int rc = read_field(s, &rec[*nf], &end, &quoted);
		if (rc != 0)
			return rc;
		(*nf)++;
	}
	*blank = *nf == 1 && rec[0].len == 0 && !quoted;
	return 0;
}

/* Append a record of nf cells, padded to ncols, to the table. */
static int add_record(pstate *s, const cellref *rec, uint32_t nf, uint32_t line)
{
	vg_lookup *t = s->t;
	if (t->ncells + t->ncols > s->lim.cells) {
		char m[128];
		snprintf(m, sizeof m, "the table has more than %u cells (rows x columns)",
			 (unsigned)s->lim.cells);
		return perr(s, VG_ELIMIT, line, m);
	}
	vg_grow(&t->cells, &t->capcells, t->ncells + t->ncols, sizeof *t->cells);
	for (uint32_t k = 0; k < t->ncols; k++) {
		cellref pad = {(uint32_t)s->n, 0};
		t->cells[t->ncells++] = k < nf ? rec[k] : pad;
	}
	return 0;
}

/* Check the header's names: non-empty and distinct. */
static int check_header(pstate *s, const cellref *rec, uint32_t nf, uint32_t line)
{
	char m[400];
	for (uint32_t k = 0; k < nf; k++) {
		if (rec[k].len == 0) {
			snprintf(m, sizeof m, "column %u of the header has no name", (unsigned)k + 1);
			return perr(s, VG_EINVAL, line, m);
		}
		for (uint32_t j = 0; j < k; j++) {
			if (rec[j].len == rec[k].len &&
			    memcmp(s->p + rec[j].off, s->p + rec[k].off, rec[k].len) == 0) {
				snprintf(m, sizeof m, "the header names column '%.200s' twice "
					 "(columns %u and %u)", s->p + rec[k].off,
					 (unsigned)j + 1, (unsigned)k + 1);
				return perr(s, VG_EINVAL, line, m);
			}
		}
	}
	return 0;
}

static int parse_all(pstate *s)
{
	vg_lookup *t = s->t;
	const char *nul = memchr(s->p, 0, s->n);
	if (nul) {
		uint32_t line = 1;
		for (const char *q = s->p; q < nul; q++)
			line += *q == '\n';
		return perr(s, VG_EINVAL, line, "a NUL byte (is this a CSV text file?)");
	}
	if (s->n >= 3 && memcmp(s->p, "\xef\xbb\xbf", 3) == 0)
		s->i = 3;
	cellref *rec = vg_xmalloc((size_t)s->lim.cols * sizeof *rec);
	int rc = 0;
	while (rc == 0 && s->i < s->n) {
		uint32_t nf, line = s->line;
		int blank;
		rc = read_record(s, rec, t->ncols ? t->ncols : s->lim.cols, &nf, &blank);
		if (rc != 0 || blank)
			continue;
		if (t->ncols == 0) {
			rc = check_header(s, rec, nf, line);
			t->ncols = nf;
		} else {
			t->nrows++;
		}
		if (rc == 0)
			rc = add_record(s, rec, nf, line);
	}
	free(rec);
	if (rc == 0 && t->ncols == 0)
		rc = vg_seterr(s->err, VG_EINVAL, -1,
			       "lookup table '%s' is empty: its first line must name the columns",
			       t->name);
	return rc;
}

/* Parse t->buf (t->len bytes, a spare byte after them). */
static int parse_table(vg_lookup *t, const vg_lookup_limits *lim, vg_err *err)
{
	pstate s = {t, t->buf, t->len, 0, 1, get_lims(lim), err};
	s.p[s.n] = 0;
	if (t->len > s.lim.bytes)
		return vg_seterr(err, VG_ELIMIT, -1,
				 "lookup table '%s' is %zu bytes, over the limit of %llu", t->name,
				 t->len, (unsigned long long)s.lim.bytes);
	return parse_all(&s);
}

int vg_lookup_parse(const char *name, const char *data, size_t len,
		    const vg_lookup_limits *lim, vg_lookup **out, vg_err *err)
{
	*out = NULL;
	if (len >= HARD_MAX_BYTES)
		return vg_seterr(err, VG_ELIMIT, -1, "lookup table '%s' is over 1 GiB", name);
	vg_lookup *t = vg_xcalloc(1, sizeof *t);
	t->name = vg_xstrndup(name, strlen(name));
	t->buf = vg_xmalloc(len + 1);
	if (len)
		memcpy(t->buf, data, len);
	t->len = len;
	int rc = parse_table(t, lim, err);
	if (rc != 0) {
		vg_lookup_close(t);
		return rc;
	}
	*out = t;
	return 0;
}

/* ------------------------------------------------------------ files */

/* 0 if name may name a table; else VG_EINVAL with the reason. */
static int check_name(const char *name, vg_err *err)
{
	size_t n = strlen(name);
	if (n == 0)
		return vg_seterr(err, VG_EINVAL, -1, "a lookup table needs a name");
	if (n > VG_LOOKUP_MAX_NAME) {
		char shown[56]; /* its start, control bytes escaped */
		ql_echo(shown, sizeof shown, name, n);
		return vg_seterr(err, VG_EINVAL, -1, "lookup table name %s is longer than %u bytes",
				 shown, VG_LOOKUP_MAX_NAME);
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return vg_seterr(err, VG_EINVAL, -1,
					 "lookup table name holds a control character");
	if (strchr(name, '/') || strchr(name, '\\') || strstr(name, "..") || name[0] == '.')
		return vg_seterr(err, VG_EINVAL, -1,
				 "lookup table name '%s' may not hold '/', '\\' or '..' nor start "
				 "with '.': tables are files of the lookups directory", name);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Write "a, b, c" (the tables in dir, sorted) into out; "" when none. */
static void list_tables(const char *dir, char *out, size_t cap)
{
	out[0] = 0;
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	char **names = NULL;
	size_t n = 0, ncap = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && n < 10000) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' || len <= 4 || strcmp(e->d_name + len - 4, ".csv") != 0)
			continue;
		vg_grow(&names, &ncap, n + 1, sizeof *names);
		names[n++] = vg_xstrndup(e->d_name, len - 4);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, cmp_str);
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		size_t need = strlen(names[i]) + 2;
		if (used + need + 5 >= cap) {
			snprintf(out + used, cap - used, "...");
			break;
		}
		used += (size_t)snprintf(out + used, cap - used, "%s%s", i ? ", " : "", names[i]);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int missing_table(const char *dir, const char *name, const char *path, vg_err *err)
{
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return vg_seterr(err, VG_ENOTFOUND, -1,
				 "no lookup table '%s': the lookups directory %s does not exist",
				 name, dir);
	char list[300];
	list_tables(dir, list, sizeof list);
	if (list[0] == 0)
		return vg_seterr(err, VG_ENOTFOUND, -1,
				 "no lookup table '%s' (%s): %s holds no .csv tables", name, path,
				 dir);
	return vg_seterr(err, VG_ENOTFOUND, -1, "no lookup table '%s'; the tables are: %s",
			 name, list);
}

/* Read the whole file at fd into t->buf, at most max bytes. */
static int read_file(int fd, const char *name, uint64_t max, vg_lookup *t, vg_err *err)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return vg_seterr(err, VG_EIO, -1, "lookup table '%s': %s", name, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return vg_seterr(err, VG_EINVAL, -1, "lookup table '%s' is not a regular file",
				 name);
	if ((uint64_t)st.st_size > max)
		return vg_seterr(err, VG_ELIMIT, -1,
				 "lookup table '%s' is %lld bytes, over the limit of %llu", name,
				 (long long)st.st_size, (unsigned long long)max);
	size_t size = (size_t)st.st_size;
	t->buf = vg_xmalloc(size + 1);
	size_t got = 0;
	while (got < size) {
		ssize_t r = read(fd, t->buf + got, size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return vg_seterr(err, VG_EIO, -1, "lookup table '%s': %s", name,
					 strerror(errno));
		if (r == 0)
			break;   /* shrank while read: take what is there */
		got += (size_t)r;
	}
	t->len = got;
	return 0;
}

/* The path of table `name` in dir (name checked) into path. */
static int table_path(const char *dir, const char *name, char *path, size_t cap, vg_err *err)
{
	int rc = check_name(name, err);
	if (rc != 0)
		return rc;
	size_t n = strlen(name);
	int has_ext = n > 4 && strcmp(name + n - 4, ".csv") == 0;
	if ((size_t)snprintf(path, cap, "%s/%s%s", dir, name, has_ext ? "" : ".csv") >= cap)
		return vg_seterr(err, VG_EINVAL, -1, "lookups directory path is too long");
	return 0;
}

/* Open the file of table `name` at path: the descriptor in *fd, or an
 * error naming the tables there are when it does not exist. */
static int open_table(const char *dir, const char *name, const char *path, int *fd, vg_err *err)
{
	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (*fd >= 0)
		return 0;
	if (errno == ENOENT)
		return missing_table(dir, name, path, err);
	return vg_seterr(err, VG_EIO, -1, "cannot open lookup table %s: %s", path,
			 strerror(errno));
}

/* Read and parse table `name` from the open file fd (left open). */
static int load_table(int fd, const char *name, const vg_lookup_limits *lim, vg_lookup **out,
		      vg_err *err)
{
	size_t n = strlen(name);
	int has_ext = n > 4 && strcmp(name + n - 4, ".csv") == 0;
	vg_lookup *t = vg_xcalloc(1, sizeof *t);
	t->name = vg_xstrndup(name, has_ext ? n - 4 : n);
	int rc = read_file(fd, t->name, get_lims(lim).bytes, t, err);
	if (rc == 0)
		rc = parse_table(t, lim, err);
	if (rc != 0) {
		vg_lookup_close(t);
		return rc;
	}
	*out = t;
	return 0;
}

int vg_lookup_open(const char *dir, const char *name, const vg_lookup_limits *lim,
		   vg_lookup **out, vg_err *err)
{
	*out = NULL;
	char path[4096];
	int fd;
	int rc = table_path(dir, name, path, sizeof path, err);
	if (rc == 0)
		rc = open_table(dir, name, path, &fd, err);
	if (rc != 0)
		return rc;
	rc = load_table(fd, name, lim, out, err);
	close(fd);
	return rc;
}

static void drop_index(vg_lookup *t)
{
	free(t->keycols);
	free(t->slots);
	free(t->slothash);
	free(t->nets);
	free(t->rownet);
	free(t->items);
	free(t->cslots);
	free(t->classes);
	t->keycols = t->slots = t->slothash = t->rownet = t->cslots = NULL;
	t->nets = NULL;
	t->items = NULL;
	t->classes = NULL;
	t->nkeys = t->nclasses = 0;
	t->nslots = t->nnets = t->capnets = t->nitems = t->capitems = t->ncslots = 0;
}

void vg_lookup_close(vg_lookup *t)
{
	if (t == NULL)
		return;
	drop_index(t);
	free(t->cells);
	free(t->buf);
	free(t->name);
	free(t);
}

/* ------------------------------------------------------------ access */

const char *vg_lookup_name(const vg_lookup *t)
{
	return t->name;
}

uint32_t vg_lookup_ncols(const vg_lookup *t)
{
	return t->ncols;
}

uint32_t vg_lookup_nrows(const vg_lookup *t)
{
	return t->nrows;
}

static const cellref *cref(const vg_lookup *t, uint32_t row, uint32_t col)
{
	assert(row <= t->nrows && col < t->ncols);
	return &t->cells[(size_t)row * t->ncols + col];
}

const char *vg_lookup_colname(const vg_lookup *t, uint32_t col, uint32_t *len)
{
	const cellref *c = cref(t, 0, col);
	if (len)
		*len = c->len;
	return t->buf + c->off;
}

const char *vg_lookup_cell(const vg_lookup *t, uint32_t row, uint32_t col, uint32_t *len)
{
	const cellref *c = cref(t, row + 1, col);
	if (len)
		*len = c->len;
	return t->buf + c->off;
}

int vg_lookup_column(const vg_lookup *t, const char *name, size_t len, int64_t pos,
		     vg_err *err)
{
	for (uint32_t k = 0; k < t->ncols; k++) {
		const cellref *c = cref(t, 0, k);
		if (c->len == len && memcmp(t->buf + c->off, name, len) == 0)
			return (int)k;
	}
	char cols[300];
	size_t used = 0;
	cols[0] = 0;
	for (uint32_t k = 0; k < t->ncols; k++) {
		const cellref *c = cref(t, 0, k);
		if (used + c->len + 8 >= sizeof cols) {
			snprintf(cols + used, sizeof cols - used, ", ...");
			break;
		}
		used += (size_t)snprintf(cols + used, sizeof cols - used, "%s%s", k ? ", " : "",
					 t->buf + c->off);
	}
	char at[32] = "";
	if (pos >= 0)
		snprintf(at, sizeof at, " at %lld", (long long)pos);
	char shown[128]; /* the name as the query wrote it, control bytes escaped */
	ql_echo(shown, sizeof shown, name, len);
	return vg_seterr(err, VG_ENOTFOUND, pos < 0 ? -1 : pos,
			 "lookup table '%s' has no column %s%s; its columns are: %s", t->name, shown,
			 at, cols);
}

int vg_lookup_is_key(const vg_lookup *t, uint32_t col)
{
	for (uint32_t i = 0; i < t->nkeys; i++)
		if (t->keycols[i] == col)
			return 1;
	return 0;
}

/* ------------------------------------------------------------ index */

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xbf58476d1ce4e5b9ull;
}

static uint64_t keys_hash(const char *const *keys, const uint32_t *lens, uint32_t n)
{
	uint64_t h = n;
	for (uint32_t i = 0; i < n; i++)
		h = mix(h, vg_hash(keys[i], lens[i]));
	return h ^ (h >> 29);
}

static uint64_t row_hash(const vg_lookup *t, uint32_t row)
{
	const char *keys[MAX_KEYS];
	uint32_t lens[MAX_KEYS];
	for (uint32_t i = 0; i < t->nkeys; i++)
		keys[i] = vg_lookup_cell(t, row, t->keycols[i], &lens[i]);
	return keys_hash(keys, lens, t->nkeys);
}

/* 1 if row's key cells equal keys exactly. */
static int row_equals(const vg_lookup *t, uint32_t row, const char *const *keys,
		      const uint32_t *lens)
{
	for (uint32_t i = 0; i < t->nkeys; i++) {
		uint32_t len;
		const char *c = vg_lookup_cell(t, row, t->keycols[i], &len);
		if (len != lens[i] || memcmp(c, keys[i], len) != 0)
			return 0;
	}
	return 1;
}

/* The exact index: every row, the first of equal keys kept. */
static void build_exact(vg_lookup *t)
{
	size_t nslots = 16;
	while (nslots < (size_t)t->nrows * 2)
		nslots <<= 1;
	t->nslots = nslots;
	t->slots = vg_xcalloc(nslots, sizeof *t->slots);
	t->slothash = vg_xcalloc(nslots, sizeof *t->slothash);
	const char *keys[MAX_KEYS];
	uint32_t lens[MAX_KEYS];
	for (uint32_t r = 0; r < t->nrows; r++) {
		uint64_t h = row_hash(t, r);
		size_t i = h & (nslots - 1);
		for (uint32_t k = 0; k < t->nkeys; k++)
			keys[k] = vg_lookup_cell(t, r, t->keycols[k], &lens[k]);
		int dup = 0;
		while (t->slots[i] && !dup) {
			dup = t->slothash[i] == (uint32_t)(h >> 32) &&
			      row_equals(t, t->slots[i] - 1, keys, lens);
			i = (i + 1) & (nslots - 1);
		}
		if (dup)
			continue;
		t->slots[i] = r + 1;
		t->slothash[i] = (uint32_t)(h >> 32);
	}
}

/* Read s (n bytes) as "address/len"; 0 and *out set, or -1. */
static int parse_net(const char *s, uint32_t n, net *out)
{
	const char *slash = memchr(s, '/', n);
	if (slash == NULL)
		return -1;
	size_t alen = (size_t)(slash - s), dlen = n - alen - 1;
	if (dlen == 0 || dlen > 3 || vg_ip_parse(s, alen, out->ip) != 0)
		return -1;
	unsigned v = 0;
	for (size_t i = 0; i < dlen; i++) {
		char c = slash[1 + i];
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (unsigned)(c - '0');
	}
	int is4 = memchr(s, ':', alen) == NULL;
	if (v > (is4 ? 32u : 128u))
		return -1;
	out->bits = (uint8_t)(is4 ? 96 + v : v);
	for (unsigned b = out->bits; b < 128; b++)
		out->ip[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
	return 0;
}

/* 1 if ip lies in the first bits bits of pfx. */
static int in_net(const uint8_t *ip, const uint8_t *pfx, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	if (memcmp(ip, pfx, whole) != 0)
		return 0;
	if (rest == 0)
		return 1;
	uint8_t m = (uint8_t)(0xffu << (8 - rest));
	return (ip[whole] & m) == pfx[whole];
}

/* The hash of an item: the masked address, its key position and prefix,
 * and the text of the keys outside nets (from the row, or the event). */
static uint64_t net_hash(const uint8_t ip[16], uint8_t key, uint8_t bits, uint64_t nets,
			 const char *const *keys, const uint32_t *lens, uint32_t nkeys)
{
	uint8_t b[18];
	memcpy(b, ip, 16);
	b[16] = key;
	b[17] = bits;
	uint64_t h = mix(nets, vg_hash(b, sizeof b));
	for (uint32_t k = 0; k < nkeys; k++)
		if (!(nets >> k & 1))
			h = mix(h, vg_hash(keys[k], lens[k]));
	return h;
}

/* Record the network cells of row r; index the row if it has some. */
static void collect_row(vg_lookup *t, uint32_t r)
{
	const char *keys[MAX_KEYS];
	uint32_t lens[MAX_KEYS];
	uint64_t nets = 0;
	uint32_t first = NONE;
	for (uint32_t k = 0; k < t->nkeys; k++) {
		keys[k] = vg_lookup_cell(t, r, t->keycols[k], &lens[k]);
		net nt;
		uint32_t *slot = &t->rownet[(size_t)r * t->nkeys + k];
		*slot = NONE;
		if (lens[k] < 3 || memchr(keys[k], '/', lens[k]) == NULL ||
		    parse_net(keys[k], lens[k], &nt) != 0)
			continue;
		vg_grow(&t->nets, &t->capnets, t->nnets + 1, sizeof *t->nets);
		*slot = (uint32_t)t->nnets;
		t->nets[t->nnets++] = nt;
		nets |= 1ull << k;
		if (first == NONE)
			first = k;
	}
	if (first == NONE)
		return;
	const net *nt = &t->nets[t->rownet[(size_t)r * t->nkeys + first]];
	vg_grow(&t->items, &t->capitems, t->nitems + 1, sizeof *t->items);
	citem *it = &t->items[t->nitems++];
	memcpy(it->ip, nt->ip, 16);
	it->bits = nt->bits;
	it->key = (uint8_t)first;
	it->nets = nets;
	it->row = r;
	it->next = 0;
	it->hash = net_hash(nt->ip, it->key, it->bits, nets, keys, lens, t->nkeys);
}

static int cmp_class(const void *a, const void *b)
{
	const cclass *x = a, *y = b;
	if (x->bits != y->bits)
		return x->bits > y->bits ? -1 : 1;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->nets < y->nets ? -1 : x->nets > y->nets;
}

/* 1 if items a and b belong in one chain: the same shape and network,
 * and equal text in the keys that are not networks. */
static int same_chain(const vg_lookup *t, const citem *a, const citem *b)
{
	if (a->hash != b->hash || a->key != b->key || a->bits != b->bits ||
	    a->nets != b->nets || memcmp(a->ip, b->ip, 16) != 0)
		return 0;
	for (uint32_t k = 0; k < t->nkeys; k++) {
		if (a->nets >> k & 1)
			continue;
		uint32_t la, lb;
		const char *ca = vg_lookup_cell(t, a->row, t->keycols[k], &la);
		const char *cb = vg_lookup_cell(t, b->row, t->keycols[k], &lb);
		if (la != lb || memcmp(ca, cb, la) != 0)
			return 0;
	}
	return 1;
}

/* Add it's shape to the classes unless it is there. Classes are few (a
 * table uses a handful of prefix lengths), so a linear search does. */
static void add_class(vg_lookup *t, const citem *it, size_t *cap)
{
	for (uint32_t c = 0; c < t->nclasses; c++)
		if (t->classes[c].key == it->key && t->classes[c].bits == it->bits &&
		    t->classes[c].nets == it->nets)
			return;
	vg_grow(&t->classes, cap, t->nclasses + 1, sizeof *t->classes);
	cclass c = {it->key, it->bits, it->nets};
	t->classes[t->nclasses++] = c;
}

/* Index the rows with network cells: chains of rows in file order, and
 * the classes present. */
static void build_nets(vg_lookup *t)
{
	t->rownet = vg_xmalloc((size_t)t->nrows * t->nkeys * sizeof *t->rownet);
	for (uint32_t r = 0; r < t->nrows; r++)
		collect_row(t, r);
	if (t->nitems == 0)
		return;
	size_t nslots = 16, ccap = 0;
	while (nslots < t->nitems * 2)
		nslots <<= 1;
	t->ncslots = nslots;
	t->cslots = vg_xcalloc(nslots, sizeof *t->cslots);
	/* Backwards, pushing onto each chain's head: chains end in file order. */
	for (size_t j = t->nitems; j-- > 0;) {
		citem *it = &t->items[j];
		size_t i = it->hash & (nslots - 1);
		while (t->cslots[i] && !same_chain(t, &t->items[t->cslots[i] - 1], it))
			i = (i + 1) & (nslots - 1);
		it->next = t->cslots[i];
		t->cslots[i] = (uint32_t)j + 1;
		add_class(t, it, &ccap);
	}
	qsort(t->classes, t->nclasses, sizeof *t->classes, cmp_class);
}

int vg_lookup_index(vg_lookup *t, const uint32_t *cols, uint32_t n, vg_err *err)
{
	if (n == 0 || n > MAX_KEYS)
		return vg_seterr(err, VG_EINVAL, -1,
				 "a lookup matches on 1 to %d fields, not %u", MAX_KEYS, (unsigned)n);
	for (uint32_t i = 0; i < n; i++)
		if (cols[i] >= t->ncols)
			return vg_seterr(err, VG_EINVAL, -1,
					 "lookup table '%s' has no column %u", t->name,
					 (unsigned)cols[i]);
	drop_index(t);
	t->keycols = vg_xmalloc(n * sizeof *t->keycols);
	memcpy(t->keycols, cols, n * sizeof *cols);
	t->nkeys = n;
	build_exact(t);
	build_nets(t);
	return 0;
}

/* ------------------------------------------------------------ finding */

/* What find knows of each key as an address: 0 not yet asked, 1 an
 * address (in ip), 2 not one. */
typedef struct keyaddr {
	uint8_t state[MAX_KEYS];
	uint8_t ip[MAX_KEYS][16];
} keyaddr;

static int key_addr(keyaddr *ka, uint32_t k, const char *s, uint32_t len)
{
	if (ka->state[k] == 0)
		ka->state[k] = vg_ip_parse(s, len, ka->ip[k]) == 0 ? 1 : 2;
	return ka->state[k] == 1;
}

/* 1 if every key cell of row matches: equal, or a network holding it. */
static int row_matches(const vg_lookup *t, uint32_t row, const char *const *keys,
		       const uint32_t *lens, keyaddr *ka)
{
	for (uint32_t k = 0; k < t->nkeys; k++) {
		uint32_t len;
		const char *c = vg_lookup_cell(t, row, t->keycols[k], &len);
		if (len == lens[k] && memcmp(c, keys[k], len) == 0)
			continue;
		uint32_t ni = t->rownet[(size_t)row * t->nkeys + k];
		if (ni == NONE || !key_addr(ka, k, keys[k], lens[k]) ||
		    !in_net(ka->ip[k], t->nets[ni].ip, t->nets[ni].bits))
			return 0;
	}
	return 1;
}

static int64_t find_exact(const vg_lookup *t, const char *const *keys, const uint32_t *lens)
{
	uint64_t h = keys_hash(keys, lens, t->nkeys);
	size_t i = h & (t->nslots - 1);
	while (t->slots[i]) {
		uint32_t r = t->slots[i] - 1;
		if (t->slothash[i] == (uint32_t)(h >> 32) && row_equals(t, r, keys, lens))
			return r;
		i = (i + 1) & (t->nslots - 1);
	}
	return -1;
}

/* The network rows of class c whose chain the event's keys select: the
 * first one matching all keys, or -1. */
static int64_t find_class(const vg_lookup *t, const cclass *c, const char *const *keys,
			  const uint32_t *lens, keyaddr *ka)
{
	if (!key_addr(ka, c->key, keys[c->key], lens[c->key]))
		return -1;
	uint8_t m[16];
	memcpy(m, ka->ip[c->key], 16);
	for (unsigned b = c->bits; b < 128; b++)
		m[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
	uint64_t h = net_hash(m, c->key, c->bits, c->nets, keys, lens, t->nkeys);
	size_t i = h & (t->ncslots - 1);
	for (; t->cslots[i]; i = (i + 1) & (t->ncslots - 1)) {
		const citem *it = &t->items[t->cslots[i] - 1];
		if (it->hash != h || it->key != c->key || it->bits != c->bits ||
		    it->nets != c->nets || memcmp(it->ip, m, 16) != 0)
			continue;
		/* The chain's head decides: all its rows share the exact keys. */
		for (uint32_t j = t->cslots[i]; j; j = t->items[j - 1].next)
			if (row_matches(t, t->items[j - 1].row, keys, lens, ka))
				return t->items[j - 1].row;
	}
	return -1;
}

static int64_t find_net(const vg_lookup *t, const char *const *keys, const uint32_t *lens)
{
	keyaddr ka;
	memset(ka.state, 0, sizeof ka.state);
	for (uint32_t c = 0; c < t->nclasses; c++) {
		int64_t r = find_class(t, &t->classes[c], keys, lens, &ka);
		if (r >= 0)
			return r;
	}
	return -1;
}

int64_t vg_lookup_find(const vg_lookup *t, const char *const *keys, const uint32_t *lens)
{
	if (t->nkeys == 0)
		return -1;
	for (uint32_t k = 0; k < t->nkeys; k++)
		if (keys[k] == NULL)
			return -1;
	int64_t r = find_exact(t, keys, lens);
	if (r >= 0 || t->nclasses == 0)
		return r;
	return find_net(t, keys, lens);
}

/* ------------------------------------------------------------ binding */

/* Put "'lookup' at <pos>: " before err's message, and pos in it. */
static int at_cmd(vg_err *err, int rc, uint32_t pos)
{
	if (err == NULL)
		return rc;
	char m[sizeof err->msg];
	snprintf(m, sizeof m, "%s", err->msg);
	return vg_seterr(err, rc, pos, "'lookup' at %u: %s", (unsigned)pos, m);
}

static int bind_outputs(const vg_qcmd *c, vg_lookup_bind *b, vg_err *err)
{
	vg_lookup *t = b->t;
	if (c->lookup.nout) {
		b->out = vg_xcalloc(c->lookup.nout, sizeof *b->out);
		for (uint32_t j = 0; j < c->lookup.nout; j++) {
			const vg_qpair *p = &c->lookup.out[j];
			int col = vg_lookup_column(t, p->from.s, p->from.len, p->from.pos, err);
			if (col < 0)
				return col;
			b->out[b->nout].col = (uint32_t)col;
			b->out[b->nout].field = p->to.s;
			b->out[b->nout++].len = p->to.len;
		}
		return 0;
	}
	b->out = vg_xcalloc(t->ncols, sizeof *b->out);
	for (uint32_t k = 0; k < t->ncols; k++) {
		if (vg_lookup_is_key(t, k))
			continue;
		b->out[b->nout].col = k;
		b->out[b->nout].field = vg_lookup_colname(t, k, &b->out[b->nout].len);
		b->nout++;
	}
	return 0;
}

/* Resolve the command's key columns on b->t; index the table on them
 * unless it already is (a table from the cache, indexed on the same
 * columns by the bind that read it: see cache_key). */
static int bind_keys(const vg_qcmd *c, vg_lookup_bind *b, int index, vg_err *err)
{
	if (c->lookup.nin > MAX_KEYS)
		return vg_seterr(err, VG_ELIMIT, c->pos,
				 "'lookup' at %u matches on more than %d fields", (unsigned)c->pos,
				 MAX_KEYS);
	b->nkeys = c->lookup.nin;
	b->keycols = vg_xcalloc(b->nkeys, sizeof *b->keycols);
	b->keyfields = vg_xcalloc(b->nkeys, sizeof *b->keyfields);
	for (uint32_t i = 0; i < b->nkeys; i++) {
		const vg_qpair *p = &c->lookup.in[i];
		int col = vg_lookup_column(b->t, p->from.s, p->from.len, p->from.pos, err);
		if (col < 0)
			return col;
		b->keycols[i] = (uint32_t)col;
		b->keyfields[i] = &p->to;
	}
	return index ? vg_lookup_index(b->t, b->keycols, b->nkeys, err) : 0;
}

/* ------------------------------------------------------------ cache */

/* A table in the cache: the file it was read from (path, and the identity
 * that tells a replaced or rewritten file: device, inode, size, mtime), the
 * key columns it is indexed on (their names as the query gave them), and
 * who uses it. An entry dropped from the cache (replaced, or least
 * recently used past the bound) while a query still holds it is freed by
 * the last release. */
typedef struct vg_lookup_entry {
	char *key;                /* path, then the key column names */
	size_t keylen;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	vg_lookup *t;
	size_t bytes;
	uint64_t used;            /* the cache's clock at the last use */
	uint32_t refs;            /* binds holding it */
	uint8_t gone;             /* no longer in the cache */
	struct vg_lookup_entry *next;
} lent;

static struct {
	pthread_mutex_t mu;
	lent *head;
	size_t bytes, cap;
	uint64_t clock;
	vg_lookup_cache_stats st;
} cache = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, VG_LOOKUP_CACHE_BYTES, 0, {0, 0, 0, 0}};

/* What a table costs in memory: the file, its cells and its index. */
static size_t table_bytes(const vg_lookup *t)
{
	return sizeof *t + strlen(t->name) + t->len + 1 + t->capcells * sizeof *t->cells +
	       t->nkeys * sizeof *t->keycols + t->nslots * (sizeof *t->slots + sizeof *t->slothash) +
	       t->capnets * sizeof *t->nets + (t->rownet ? (size_t)t->nrows * t->nkeys : 0) * 4 +
	       t->capitems * sizeof *t->items + t->ncslots * sizeof *t->cslots +
	       t->nclasses * sizeof *t->classes;
}

/* The cache key of command c's table at path: the path and the names of
 * its key columns (one table is indexed on one set of columns), each
 * after its length so no two lists read the same. */
static void cache_key(const char *path, const vg_qcmd *c, vg_buf *key)
{
	vg_buf_puts(key, path);
	vg_buf_putc(key, 0);
	for (uint32_t i = 0; i < c->lookup.nin; i++) {
		const vg_qname *n = &c->lookup.in[i].from;
		vg_buf_put(key, &n->len, sizeof n->len);
		vg_buf_put(key, n->s, n->len);
	}
}

static int same_file(const lent *e, const struct stat *st)
{
	return e->dev == st->st_dev && e->ino == st->st_ino && e->size == st->st_size &&
	       e->mtime.tv_sec == st->st_mtim.tv_sec && e->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

static void lent_free(lent *e)
{
	vg_lookup_close(e->t);
	free(e->key);
	free(e);
}

/* Take e out of the cache (the lock held); freed now if no bind holds
 * it, else by the last release. */
static void cache_drop(lent **link)
{
	lent *e = *link;
	*link = e->next;
	cache.bytes -= e->bytes;
	cache.st.tables--;
	e->gone = 1;
	if (e->refs == 0)
		lent_free(e);
}

/* The cached table for key whose file is still st, held (refs + 1); an
 * entry for key whose file changed is dropped. NULL when none. The lock
 * held. */
static lent *cache_find(const vg_buf *key, const struct stat *st)
{
	for (lent **link = &cache.head; *link; link = &(*link)->next) {
		lent *e = *link;
		if (e->keylen != key->len || memcmp(e->key, key->p, key->len) != 0)
			continue;
		if (!same_file(e, st)) {
			cache_drop(link);
			return NULL;
		}
		e->refs++;
		e->used = ++cache.clock;
		return e;
	}
	return NULL;
}

/* Drop the least recently used tables until the cache fits its bound. The
 * lock held. */
static void cache_trim(void)
{
	while (cache.bytes > cache.cap && cache.head) {
		lent **oldest = &cache.head;
		for (lent **link = &cache.head; *link; link = &(*link)->next)
			if ((*link)->used < (*oldest)->used)
				oldest = link;
		cache_drop(oldest);
	}
}

/* A file modified within this long of its reading may be modified again
 * without its mtime changing (timestamps move in clock ticks): such a
 * table is not cached, so a rewrite of the same size in the same tick
 * cannot go unseen (git's "racy" files). */
#define RACY_NS 2000000000ll

static int racy(const struct stat *st)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t age = ((int64_t)now.tv_sec - st->st_mtim.tv_sec) * 1000000000ll +
		      (now.tv_nsec - st->st_mtim.tv_nsec);
	return age < RACY_NS;
}

/* Put b's freshly read and indexed table in the cache as key, held by b;
 * a table the cache cannot hold (larger than its bound, or racy) stays
 * b's own. */
static void cache_put(const vg_buf *key, const struct stat *st, vg_lookup_bind *b)
{
	size_t bytes = table_bytes(b->t);
	if (racy(st))
		return;
	pthread_mutex_lock(&cache.mu);
	if (bytes > cache.cap) {
		pthread_mutex_unlock(&cache.mu);
		return;
	}
	/* One entry per key: another query may have put the same table (it
	 * missed at the same time) or an older one meanwhile; this one, read
	 * last, replaces it. */
	for (lent **link = &cache.head; *link;)
		if ((*link)->keylen == key->len && memcmp((*link)->key, key->p, key->len) == 0)
			cache_drop(link);
		else
			link = &(*link)->next;
	lent *e = vg_xcalloc(1, sizeof *e);
	e->key = vg_xmalloc(key->len);
	memcpy(e->key, key->p, key->len);
	e->keylen = key->len;
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->size = st->st_size;
	e->mtime = st->st_mtim;
	e->t = b->t;
	e->bytes = bytes;
	e->refs = 1;
	e->used = ++cache.clock;
	e->next = cache.head;
	cache.head = e;
	cache.bytes += bytes;
	cache.st.tables++;
	cache_trim();
	cache.st.bytes = cache.bytes;
	pthread_mutex_unlock(&cache.mu);
	b->cached = e;
}

/* b->t for command c from dir: the cached table when its file is unchanged
 * (*fresh = 0), else read from the file (*fresh = 1, to be indexed and then
 * offered to the cache with cache_put). */
static int cache_open(const char *dir, const vg_qcmd *c, vg_lookup_bind *b, vg_buf *key,
		      struct stat *st, int *fresh, vg_err *err)
{
	char path[4096];
	int fd;
	int rc = table_path(dir, c->lookup.table, path, sizeof path, err);
	if (rc == 0)
		rc = open_table(dir, c->lookup.table, path, &fd, err);
	if (rc != 0)
		return rc;
	if (fstat(fd, st) != 0) {
		rc = vg_seterr(err, VG_EIO, -1, "lookup table %s: %s", path, strerror(errno));
		close(fd);
		return rc;
	}
	cache_key(path, c, key);
	pthread_mutex_lock(&cache.mu);
	lent *e = cache_find(key, st);
	if (e)
		cache.st.hits++;
	else
		cache.st.misses++;
	cache.st.bytes = cache.bytes;
	pthread_mutex_unlock(&cache.mu);
	*fresh = e == NULL;
	if (e) {
		b->t = e->t;
		b->cached = e;
	} else {
		rc = load_table(fd, c->lookup.table, NULL, &b->t, err);
	}
	close(fd);
	return rc;
}

/* Let go of b's hold on its cached table. */
static void cache_release(lent *e)
{
	pthread_mutex_lock(&cache.mu);
	int last = --e->refs == 0 && e->gone;
	pthread_mutex_unlock(&cache.mu);
	if (last)
		lent_free(e);
}

void vg_lookup_cache_stats_get(vg_lookup_cache_stats *out)
{
	pthread_mutex_lock(&cache.mu);
	*out = cache.st;
	pthread_mutex_unlock(&cache.mu);
}

void vg_lookup_cache_limit(size_t bytes)
{
	pthread_mutex_lock(&cache.mu);
	cache.cap = bytes ? bytes : VG_LOOKUP_CACHE_BYTES;
	cache_trim();
	cache.st.bytes = cache.bytes;
	pthread_mutex_unlock(&cache.mu);
}

void vg_lookup_cache_clear(void)
{
	pthread_mutex_lock(&cache.mu);
	while (cache.head)
		cache_drop(&cache.head);
	cache.st = (vg_lookup_cache_stats){0, 0, 0, 0};
	pthread_mutex_unlock(&cache.mu);
}

int vg_lookup_bind_cmd(const char *dir, const vg_qcmd *c, const vg_lookup_limits *lim,
		       vg_lookup_bind *b, vg_err *err)
{
	memset(b, 0, sizeof *b);
	if (c->kind != VG_CMD_LOOKUP)
		return vg_seterr(err, VG_EINVAL, c->pos, "not a lookup command");
	/* Tables read under limits of their own are not shared: the cache
	 * holds what the default limits allow. */
	int fresh = 1, rc;
	vg_buf key = {0};
	struct stat st;
	if (lim)
		rc = vg_lookup_open(dir, c->lookup.table, lim, &b->t, err);
	else
		rc = cache_open(dir, c, b, &key, &st, &fresh, err);
	if (rc != 0) {
		vg_buf_free(&key);
		return at_cmd(err, rc, c->pos);
	}
	b->outputnew = c->lookup.outputnew;
	rc = bind_keys(c, b, fresh, err);
	if (rc == 0)
		rc = bind_outputs(c, b, err);
	if (rc == 0 && fresh && !lim)
		cache_put(&key, &st, b);
	vg_buf_free(&key);
	if (rc != 0)
		vg_lookup_unbind(b);
	return rc;
}

void vg_lookup_unbind(vg_lookup_bind *b)
{
	if (b->cached)
		cache_release(b->cached);
	else
		vg_lookup_close(b->t);
	free(b->keycols);
	free(b->keyfields);
	free(b->out);
	memset(b, 0, sizeof *b);
}
