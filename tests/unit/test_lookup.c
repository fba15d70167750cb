/* test_lookup.c — CSV lookup tables (query/lookup.h): RFC 4180 reading
 * (quoted cells with commas, quotes and line breaks, CRLF, a byte order
 * mark, blank lines, short records), exact matching and its first-row
 * rule, automatic CIDR matching with longest prefix, several keys, files
 * in a lookups directory with their name checks, binding a parsed
 * `lookup` command, the cache of parsed tables (reuse, a replaced or
 * rewritten file read again, the bound and its least-recently-used order,
 * several threads), and every error message. */
#include "testutil.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "query/lookup.h"
#include "query/qparse.h"

/* ---------- helpers ---------- */

static vg_lookup *parse_ok(const char *csv)
{
	vg_lookup *t = NULL;
	vg_err e = {0};
	if (vg_lookup_parse("t", csv, strlen(csv), NULL, &t, &e) != 0)
		fail_msg("CSV did not load: %s\n%s", e.msg, csv);
	assert_non_null(t);
	return t;
}

/* Loading csv (with limits lim) fails with code and a message holding
 * frag. */
static void parse_bad(const char *csv, size_t len, const vg_lookup_limits *lim, int code,
		      const char *frag)
{
	vg_lookup *t = (vg_lookup *)&t;
	vg_err e = {0};
	int rc = vg_lookup_parse("t", csv, len, lim, &t, &e);
	if (rc != code || t != NULL || strstr(e.msg, frag) == NULL)
		fail_msg("CSV <%.*s>: got %d <%s>, want %d <%s>", (int)len, csv, rc, e.msg, code,
			 frag);
	assert_int_equal(e.code, code);
}

static void cell_is(const vg_lookup *t, uint32_t row, uint32_t col, const char *want)
{
	uint32_t len;
	const char *c = vg_lookup_cell(t, row, col, &len);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(c, want, len);
	assert_int_equal(c[len], 0);
}

/* Index on the columns named by names (NULL-terminated). */
static void index_on(vg_lookup *t, const char *const *names)
{
	uint32_t cols[8], n = 0;
	vg_err e = {0};
	for (; names[n]; n++) {
		int c = vg_lookup_column(t, names[n], strlen(names[n]), -1, &e);
		if (c < 0)
			fail_msg("%s", e.msg);
		cols[n] = (uint32_t)c;
	}
	assert_int_equal(vg_lookup_index(t, cols, n, &e), 0);
}

static int64_t find1(const vg_lookup *t, const char *k)
{
	const char *keys[1] = {k};
	uint32_t lens[1] = {k ? (uint32_t)strlen(k) : 0};
	return vg_lookup_find(t, keys, lens);
}

static int64_t find2(const vg_lookup *t, const char *a, const char *b)
{
	const char *keys[2] = {a, b};
	uint32_t lens[2] = {(uint32_t)strlen(a), (uint32_t)strlen(b)};
	return vg_lookup_find(t, keys, lens);
}

/* ---------- CSV ---------- */

static void test_basic(void **state)
{
	(void)state;
	vg_lookup *t = parse_ok("user,dept,email\nalice,eng,a@x\nbob,ops,b@x\n");
	assert_int_equal(vg_lookup_ncols(t), 3);
	assert_int_equal(vg_lookup_nrows(t), 2);
	assert_string_equal(vg_lookup_name(t), "t");
	uint32_t len;
	assert_string_equal(vg_lookup_colname(t, 2, &len), "email");
	assert_int_equal(len, 5);
	cell_is(t, 1, 0, "bob");
	cell_is(t, 1, 2, "b@x");
	assert_int_equal(vg_lookup_find(t, NULL, NULL), -1); /* no index yet */
	index_on(t, (const char *const[]){"user", NULL});
	assert_true(vg_lookup_is_key(t, 0));
	assert_false(vg_lookup_is_key(t, 1));
	assert_int_equal(find1(t, "alice"), 0);
	assert_int_equal(find1(t, "bob"), 1);
	assert_int_equal(find1(t, "Bob"), -1);   /* case-sensitive */
	assert_int_equal(find1(t, "bo"), -1);
	assert_int_equal(find1(t, ""), -1);
	assert_int_equal(find1(t, NULL), -1);    /* the event lacks the field */
	/* Re-index on another column. */
	index_on(t, (const char *const[]){"dept", NULL});
	assert_false(vg_lookup_is_key(t, 0));
	assert_int_equal(find1(t, "ops"), 1);
	assert_int_equal(find1(t, "bob"), -1);
	vg_lookup_close(t);
	vg_lookup_close(NULL);
}

static void test_quoting(void **state)
{
	(void)state;
	vg_lookup *t = parse_ok("\xef\xbb\xbf"
				"k,\"v, with comma\"\r\n"
				"a,\"x,y\"\r\n"
				"\"b\",\"say \"\"hi\"\"\"\r\n"
				"c,\"two\r\nlines\nhere\"\r\n"
				"\"\",empty key\r\n"
				"d,\"\"\r\n"
				"\"e\"\"\",q\r\n");
	assert_int_equal(vg_lookup_ncols(t), 2);
	assert_int_equal(vg_lookup_nrows(t), 6);
	assert_string_equal(vg_lookup_colname(t, 0, NULL), "k"); /* BOM skipped */
	assert_string_equal(vg_lookup_colname(t, 1, NULL), "v, with comma");
	cell_is(t, 0, 1, "x,y");
	cell_is(t, 1, 0, "b");
	cell_is(t, 1, 1, "say \"hi\"");
	cell_is(t, 2, 1, "two\r\nlines\nhere");
	cell_is(t, 3, 0, "");
	cell_is(t, 4, 1, "");
	cell_is(t, 5, 0, "e\"");
	index_on(t, (const char *const[]){"k", NULL});
	assert_int_equal(find1(t, "b"), 1);
	assert_int_equal(find1(t, ""), 3);
	assert_int_equal(find1(t, "e\""), 5);
	vg_lookup_close(t);
}

static void test_lines(void **state)
{
	(void)state;
	/* Blank lines skipped, short records padded, lone CR ends a record,
	 * no newline at the end, a trailing comma is an empty last cell. */
	vg_lookup *t = parse_ok("\n\na,b,c\n\n1,2,3\n4\n\r\n5,6\r7,8,\n9,,x");
	assert_int_equal(vg_lookup_ncols(t), 3);
	assert_int_equal(vg_lookup_nrows(t), 5);
	cell_is(t, 0, 2, "3");
	cell_is(t, 1, 0, "4");
	cell_is(t, 1, 1, "");
	cell_is(t, 1, 2, "");
	cell_is(t, 2, 1, "6");
	cell_is(t, 3, 0, "7");
	cell_is(t, 3, 2, "");
	cell_is(t, 4, 1, "");
	cell_is(t, 4, 2, "x");
	vg_lookup_close(t);
	/* A header alone: no rows, nothing found. */
	t = parse_ok("a,b\r\n");
	assert_int_equal(vg_lookup_nrows(t), 0);
	index_on(t, (const char *const[]){"a", NULL});
	assert_int_equal(find1(t, "a"), -1);
	vg_lookup_close(t);
	/* A quoted empty line is a record (one empty cell). */
	t = parse_ok("a\n\"\"\nx\n");
	assert_int_equal(vg_lookup_nrows(t), 2);
	vg_lookup_close(t);
}

static void test_duplicates_first_wins(void **state)
{
	(void)state;
	vg_lookup *t = parse_ok("ip,owner\n1.2.3.4,first\n5.6.7.8,other\n1.2.3.4,second\n");
	index_on(t, (const char *const[]){"ip", NULL});
	assert_int_equal(find1(t, "1.2.3.4"), 0);
	assert_int_equal(find1(t, "5.6.7.8"), 1);
	vg_lookup_close(t);
}

/* ---------- CIDR ---------- */

static void test_cidr_longest_prefix(void **state)
{
	(void)state;
	vg_lookup *t = parse_ok("net,name\n"
				"10.0.0.0/8,corp\n"
				"10.1.0.0/16,dc1\n"
				"10.1.2.0/24,dmz\n"
				"10.1.2.3,exact-host\n"
				"10.1.2.77/32,host77\n"
				"0.0.0.0/0,internet\n"
				"192.168.1.130/25,hostbits\n"
				"2001:db8::/32,v6doc\n"
				"2001:db8:1::/48,v6site\n"
				"::ffff:172.16.0.0/108,mapped\n"
				"10.0.0.0/33,not-a-net\n"
				"a/b,path\n");
	index_on(t, (const char *const[]){"net", NULL});
	assert_int_equal(find1(t, "10.9.9.9"), 0);
	assert_int_equal(find1(t, "10.1.9.9"), 1);
	assert_int_equal(find1(t, "10.1.2.200"), 2);
	assert_int_equal(find1(t, "10.1.2.3"), 3);    /* exact wins */
	assert_int_equal(find1(t, "10.1.2.77"), 4);
	assert_int_equal(find1(t, "8.8.8.8"), 5);     /* /0 catches every IPv4 */
	assert_int_equal(find1(t, "192.168.1.200"), 6); /* host bits ignored */
	assert_int_equal(find1(t, "192.168.1.100"), 5);
	assert_int_equal(find1(t, "2001:db8:1:2::1"), 8);
	assert_int_equal(find1(t, "2001:db8:2::1"), 7);
	assert_int_equal(find1(t, "2001:DB8:2::1"), 7);  /* addresses, not text */
	assert_int_equal(find1(t, "2001:db9::1"), -1);   /* /0 is IPv4's only */
	assert_int_equal(find1(t, "172.16.5.5"), 9);     /* mapped form covers v4 */
	/* Network cells also match their own text (a field holding a CIDR). */
	assert_int_equal(find1(t, "10.1.0.0/16"), 1);
	/* Not networks: matched as text only. */
	assert_int_equal(find1(t, "10.0.0.0/33"), 10);
	assert_int_equal(find1(t, "a/b"), 11);
	assert_int_equal(find1(t, "not an address"), -1);
	assert_int_equal(find1(t, "10.01.2.3"), -1);     /* not an address either */
	vg_lookup_close(t);
}

static void test_cidr_file_order(void **state)
{
	(void)state;
	/* The same network twice: the first row; a shorter prefix never
	 * beats a longer one, whatever the order. */
	vg_lookup *t = parse_ok("net,name\n"
				"10.0.0.0/8,wide\n"
				"10.2.0.0/16,first\n"
				"10.2.0.0/16,second\n");
	index_on(t, (const char *const[]){"net", NULL});
	assert_int_equal(find1(t, "10.2.3.4"), 1);
	assert_int_equal(find1(t, "10.3.3.4"), 0);
	vg_lookup_close(t);
}

static void test_multi_keys(void **state)
{
	(void)state;
	vg_lookup *t = parse_ok("account,region,net,owner\n"
				"111,us-east-1,10.0.0.0/8,a\n"
				"111,eu-west-1,10.0.0.0/8,b\n"
				"222,us-east-1,10.0.0.0/8,c\n"
				"111,us-east-1,10.5.0.0/16,d\n"
				"111,us-east-1,10.5.5.5,e\n");
	index_on(t, (const char *const[]){"account", "region", NULL});
	assert_int_equal(find2(t, "111", "eu-west-1"), 1);
	assert_int_equal(find2(t, "222", "us-east-1"), 2);
	assert_int_equal(find2(t, "111", "us-east-1"), 0);
	assert_int_equal(find2(t, "222", "eu-west-1"), -1);
	assert_int_equal(find2(t, "111", ""), -1);
	/* Three keys, one of them a network: all must match. */
	index_on(t, (const char *const[]){"account", "net", NULL});
	assert_int_equal(find2(t, "111", "10.5.5.5"), 4);
	assert_int_equal(find2(t, "111", "10.5.1.1"), 3);
	assert_int_equal(find2(t, "111", "10.6.1.1"), 0);
	assert_int_equal(find2(t, "222", "10.5.1.1"), 2);
	assert_int_equal(find2(t, "333", "10.5.1.1"), -1);
	assert_int_equal(find2(t, "111", "11.0.0.1"), -1);
	/* The key order is the caller's, and a column may serve twice. */
	index_on(t, (const char *const[]){"net", "account", NULL});
	assert_int_equal(find2(t, "10.5.1.1", "222"), 2);
	index_on(t, (const char *const[]){"owner", "owner", NULL});
	assert_int_equal(find2(t, "c", "c"), 2);
	assert_int_equal(find2(t, "c", "d"), -1);
	vg_lookup_close(t);
}

/* ---------- errors in the CSV ---------- */

static void test_csv_errors(void **state)
{
	(void)state;
#define BAD(csv, code, frag) parse_bad(csv, sizeof csv - 1, NULL, code, frag)
	BAD("", VG_EINVAL, "lookup table 't' is empty: its first line must name the columns");
	BAD("\n\r\n\n", VG_EINVAL, "is empty");
	BAD("a,b\n1,\"open\n2,3\n", VG_EINVAL,
	    "lookup table 't', line 2: a quoted field starts on this line and never ends");
	BAD("a,b\n1,\"x\"y\n", VG_EINVAL, "line 2: text after the closing quote of a field");
	BAD("a,b\n1,x\"y\"\n", VG_EINVAL,
	    "line 2: a quote inside a field that does not start with one");
	BAD("a,b\n1,2\n3,4,5\n", VG_EINVAL,
	    "line 3: more fields than the header's 2 (a comma inside a value must be in "
	    "double quotes)");
	BAD("a,,c\n", VG_EINVAL, "line 1: column 2 of the header has no name");
	BAD("a,b,a\n", VG_EINVAL,
	    "line 1: the header names column 'a' twice (columns 1 and 3)");
	BAD("a,b\n1,2\n\"multi\nline\",3\n4,x\0y\n", VG_EINVAL,
	    "line 5: a NUL byte (is this a CSV text file?)");
	/* Line numbers count the lines inside quoted cells. */
	BAD("a,b\n\"x\ny\",1\n2,\"3\"z\n", VG_EINVAL, "line 4: text after the closing quote");
#undef BAD
}

static void test_limits(void **state)
{
	(void)state;
	const char *csv = "a,b,c\n1,2,3\n4,5,6\n";
	vg_lookup_limits lim = {.max_bytes = 10};
	parse_bad(csv, strlen(csv), &lim, VG_ELIMIT,
		  "lookup table 't' is 18 bytes, over the limit of 10");
	lim = (vg_lookup_limits){.max_cells = 8};
	parse_bad(csv, strlen(csv), &lim, VG_ELIMIT,
		  "line 3: the table has more than 8 cells (rows x columns)");
	lim = (vg_lookup_limits){.max_cols = 2};
	parse_bad(csv, strlen(csv), &lim, VG_ELIMIT, "line 1: the header has more than 2 columns");
	lim = (vg_lookup_limits){.max_cells = 9, .max_cols = 3};
	vg_lookup *t = NULL;
	vg_err e = {0};
	assert_int_equal(vg_lookup_parse("t", csv, strlen(csv), &lim, &t, &e), 0);
	vg_lookup_close(t);
}

static void test_column_errors(void **state)
{
	(void)state;
	vg_lookup *t = parse_ok("user,dept\nalice,eng\n");
	vg_err e = {0};
	assert_int_equal(vg_lookup_column(t, "dept", 4, -1, &e), 1);
	assert_int_equal(vg_lookup_column(t, "Dept", 4, -1, &e), VG_ENOTFOUND);
	assert_string_equal(e.msg, "lookup table 't' has no column 'Dept'; its columns are: "
				   "user, dept");
	assert_int_equal(e.pos, -1);
	assert_int_equal(vg_lookup_column(t, "emial", 5, 23, &e), VG_ENOTFOUND);
	assert_string_equal(e.msg, "lookup table 't' has no column 'emial' at 23; its columns "
				   "are: user, dept");
	assert_int_equal(e.pos, 23);
	uint32_t cols[65] = {0};
	assert_int_equal(vg_lookup_index(t, cols, 0, &e), VG_EINVAL);
	assert_string_equal(e.msg, "a lookup matches on 1 to 64 fields, not 0");
	assert_int_equal(vg_lookup_index(t, cols, 65, &e), VG_EINVAL);
	cols[0] = 2;
	assert_int_equal(vg_lookup_index(t, cols, 1, &e), VG_EINVAL);
	assert_string_equal(e.msg, "lookup table 't' has no column 2");
	vg_lookup_close(t);
	/* A long header is listed in part. */
	char csv[4096];
	size_t n = 0;
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(csv + n, sizeof csv - n, "%scolumn_%d", i ? "," : "", i);
	t = parse_ok(csv);
	assert_int_equal(vg_lookup_column(t, "x", 1, -1, &e), VG_ENOTFOUND);
	assert_non_null(strstr(e.msg, "column_0, column_1, "));
	assert_non_null(strstr(e.msg, ", ..."));
	vg_lookup_close(t);
}

/* ---------- files ---------- */

typedef struct tmpdir {
	char path[64];
} tmpdir;

static void write_file(const char *dir, const char *name, const char *text)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void open_bad(const char *dir, const char *name, int code, const char *msg)
{
	vg_lookup *t = (vg_lookup *)&t;
	vg_err e = {0};
	int rc = vg_lookup_open(dir, name, NULL, &t, &e);
	if (rc != code || t != NULL || strcmp(e.msg, msg) != 0)
		fail_msg("open <%s>: got %d <%s>, want %d <%s>", name, rc, e.msg, code, msg);
}

static void rm_tree(const char *dir)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_files(void **state)
{
	(void)state;
	char dir[] = "/tmp/vg_lookup_XXXXXX";
	assert_non_null(mkdtemp(dir));
	char sub[64];
	snprintf(sub, sizeof sub, "%s/lookups", dir);
	char msg[256];
	snprintf(msg, sizeof msg,
		 "no lookup table 'users': the lookups directory %s does not exist", sub);
	open_bad(sub, "users", VG_ENOTFOUND, msg);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(msg, sizeof msg,
		 "no lookup table 'users' (%s/users.csv): %s holds no .csv tables", sub, sub);
	open_bad(sub, "users", VG_ENOTFOUND, msg);
	write_file(sub, "users.csv", "user,dept\r\nalice,eng\r\n");
	write_file(sub, "assets.csv", "ip,owner\n10.0.0.0/8,corp\n");
	write_file(sub, "notes.txt", "not a table");
	write_file(sub, ".hidden.csv", "a\n1\n");
	assert_int_equal(mkdir(strcat(strcpy(msg, sub), "/dir.csv"), 0700), 0);
	open_bad(sub, "user", VG_ENOTFOUND,
		 "no lookup table 'user'; the tables are: assets, dir, users");
	open_bad(sub, "dir", VG_EINVAL, "lookup table 'dir' is not a regular file");
	vg_lookup *t = NULL;
	vg_err e = {0};
	assert_int_equal(vg_lookup_open(sub, "users", NULL, &t, &e), 0);
	assert_string_equal(vg_lookup_name(t), "users");
	cell_is(t, 0, 1, "eng");
	vg_lookup_close(t);
	assert_int_equal(vg_lookup_open(sub, "assets.csv", NULL, &t, &e), 0);
	assert_string_equal(vg_lookup_name(t), "assets");
	vg_lookup_close(t);
	/* The size limit is checked before reading. */
	vg_lookup_limits lim = {.max_bytes = 5};
	t = (vg_lookup *)&t;
	assert_int_equal(vg_lookup_open(sub, "users", &lim, &t, &e), VG_ELIMIT);
	assert_null(t);
	assert_string_equal(e.msg, "lookup table 'users' is 22 bytes, over the limit of 5");
	/* Bad CSV in a file names the table without .csv. */
	write_file(sub, "broken.csv", "a,b\n\"x\n");
	open_bad(sub, "broken.csv", VG_EINVAL,
		 "lookup table 'broken', line 2: a quoted field starts on this line and never "
		 "ends");
	rm_tree(dir);
}

static void test_names(void **state)
{
	(void)state;
	static const char why[] = "may not hold '/', '\\' or '..' nor start with '.': tables "
				  "are files of the lookups directory";
	const char *bad[] = {"../etc/passwd", "a/b", "/etc/passwd", "..", "a..b", ".hidden",
			     "a\\b", ".csv"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char msg[256];
		snprintf(msg, sizeof msg, "lookup table name '%s' %s", bad[i], why);
		open_bad("/tmp", bad[i], VG_EINVAL, msg);
	}
	open_bad("/tmp", "", VG_EINVAL, "a lookup table needs a name");
	open_bad("/tmp", "a\tb", VG_EINVAL, "lookup table name holds a control character");
	char longname[300];
	memset(longname, 'x', sizeof longname - 1);
	longname[sizeof longname - 1] = 0;
	vg_lookup *t = NULL;
	vg_err e = {0};
	assert_int_equal(vg_lookup_open("/tmp", longname, NULL, &t, &e), VG_EINVAL);
	assert_non_null(strstr(e.msg, "is longer than 200 bytes"));
}

/* ---------- binding a query ---------- */

static const vg_qcmd *last_cmd(vg_query **q, const char *text)
{
	vg_err e = {0};
	if (vg_query_parse(text, strlen(text), 0, q, &e) != 0)
		fail_msg("%s: %s", text, e.msg);
	return &(*q)->cmds[(*q)->ncmds - 1];
}

static void test_bind(void **state)
{
	(void)state;
	char dir[] = "/tmp/vg_lookup_XXXXXX";
	assert_non_null(mkdtemp(dir));
	write_file(dir, "assets.csv", "ip,acct,owner,team\n10.0.0.0/8,111,corp,net\n"
				      "10.1.2.3,111,web,app\n");
	vg_query *q;
	vg_lookup_bind b;
	vg_err e = {0};
	/* Implicit outputs: every column that is not a key. */
	const vg_qcmd *c = last_cmd(&q, "* | lookup assets ip AS srcaddr");
	assert_int_equal(vg_lookup_bind_cmd(dir, c, NULL, &b, &e), 0);
	assert_int_equal(b.nkeys, 1);
	assert_string_equal(b.keyfields[0]->s, "srcaddr");
	assert_int_equal(b.keycols[0], 0);
	assert_int_equal(b.nout, 3);
	assert_string_equal(b.out[0].field, "acct");
	assert_string_equal(b.out[2].field, "team");
	assert_int_equal(b.out[2].col, 3);
	assert_false(b.outputnew);
	const char *k[1] = {"10.9.9.9"};
	uint32_t l[1] = {8};
	int64_t row = vg_lookup_find(b.t, k, l);
	assert_int_equal(row, 0);
	assert_string_equal(vg_lookup_cell(b.t, (uint32_t)row, b.out[1].col, NULL), "corp");
	vg_lookup_unbind(&b);
	vg_query_free(q);
	/* Two keys, OUTPUTNEW with AS names. */
	c = last_cmd(&q, "* | lookup assets ip AS src, acct OUTPUTNEW owner AS who, team");
	assert_int_equal(vg_lookup_bind_cmd(dir, c, NULL, &b, &e), 0);
	assert_int_equal(b.nkeys, 2);
	assert_string_equal(b.keyfields[1]->s, "acct");
	assert_int_equal(b.nout, 2);
	assert_string_equal(b.out[0].field, "who");
	assert_int_equal(b.out[0].col, 2);
	assert_string_equal(b.out[1].field, "team");
	assert_true(b.outputnew);
	const char *k2[2] = {"10.1.2.3", "111"};
	uint32_t l2[2] = {8, 3};
	assert_int_equal(vg_lookup_find(b.t, k2, l2), 1);
	vg_lookup_unbind(&b);
	vg_query_free(q);
	/* Errors carry the position of what the query got wrong. */
	c = last_cmd(&q, "* | lookup assets ip OUTPUT ownr");
	assert_int_equal(vg_lookup_bind_cmd(dir, c, NULL, &b, &e), VG_ENOTFOUND);
	assert_int_equal(e.pos, 28);
	assert_string_equal(e.msg, "lookup table 'assets' has no column 'ownr' at 28; its "
				   "columns are: ip, acct, owner, team");
	assert_null(b.t);
	vg_query_free(q);
	c = last_cmd(&q, "* | lookup assets addr AS srcaddr");
	assert_int_equal(vg_lookup_bind_cmd(dir, c, NULL, &b, &e), VG_ENOTFOUND);
	assert_int_equal(e.pos, 18);
	vg_query_free(q);
	c = last_cmd(&q, "* | lookup asets ip");
	assert_int_equal(vg_lookup_bind_cmd(dir, c, NULL, &b, &e), VG_ENOTFOUND);
	assert_int_equal(e.pos, 4);
	assert_string_equal(e.msg, "'lookup' at 4: no lookup table 'asets'; the tables are: "
				   "assets");
	vg_query_free(q);
	c = last_cmd(&q, "* | lookup \"../assets\" ip");
	assert_int_equal(vg_lookup_bind_cmd(dir, c, NULL, &b, &e), VG_EINVAL);
	assert_non_null(strstr(e.msg, "'lookup' at 4: lookup table name '../assets' may not"));
	vg_query_free(q);
	rm_tree(dir);
}

/* ---------- size ---------- */

static void test_many_rows(void **state)
{
	(void)state;
	/* 50 000 exact rows and 256 networks: every row found, nothing else. */
	vg_buf b = {0};
	vg_buf_puts(&b, "key,val\n");
	for (int i = 0; i < 50000; i++)
		vg_buf_printf(&b, "k%d,%d\n", i, i);
	for (int i = 0; i < 256; i++)
		vg_buf_printf(&b, "172.%d.0.0/16,net%d\n", i, i);
	vg_lookup *t = NULL;
	vg_err e = {0};
	assert_int_equal(vg_lookup_parse("big", (const char *)b.p, b.len, NULL, &t, &e), 0);
	index_on(t, (const char *const[]){"key", NULL});
	char k[32];
	for (int i = 0; i < 50000; i += 7) {
		snprintf(k, sizeof k, "k%d", i);
		assert_int_equal(find1(t, k), i);
	}
	assert_int_equal(find1(t, "k50000"), -1);
	assert_int_equal(find1(t, "172.200.3.4"), 50200);
	assert_int_equal(find1(t, "173.0.0.1"), -1);
	vg_lookup_close(t);
	/* 10 000 accounts sharing 10.0.0.0/8, every tenth with its own /16
	 * too: the account and the longest prefix decide. */
	vg_buf_clear(&b);
	vg_buf_puts(&b, "account,net,owner\n");
	for (int i = 0; i < 10000; i++)
		vg_buf_printf(&b, "%d,10.0.0.0/8,wide%d\n", i, i);
	for (int i = 0; i < 10000; i += 10)
		vg_buf_printf(&b, "%d,10.%d.0.0/16,narrow%d\n", i, i % 256, i);
	assert_int_equal(vg_lookup_parse("acct", (const char *)b.p, b.len, NULL, &t, &e), 0);
	index_on(t, (const char *const[]){"account", "net", NULL});
	for (int i = 0; i < 10000; i += 3) {
		char a[16], ip[32];
		snprintf(a, sizeof a, "%d", i);
		snprintf(ip, sizeof ip, "10.%d.1.2", i % 256);
		int64_t want = i % 10 == 0 ? 10000 + i / 10 : i;
		assert_int_equal(find2(t, a, ip), want);
		snprintf(ip, sizeof ip, "10.%d.1.2", (i + 1) % 256);
		assert_int_equal(find2(t, a, ip), i);
		assert_int_equal(find2(t, a, "11.0.0.1"), -1);
	}
	assert_int_equal(find2(t, "10000", "10.0.0.1"), -1);
	vg_lookup_close(t);
	vg_buf_free(&b);
}

/* ---------- the table cache ---------- */

/* Set dir/name's modification time `ago` seconds back: a file the cache
 * may keep (one modified in the last two seconds is never cached). */
static void age_file(const char *dir, const char *name, time_t ago)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	struct timespec ts[2];
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= ago;
	ts[1] = ts[0];
	assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
}

/* Bind `query`'s lookup in dir; the owner of 10.0.0.1 must be `want`. */
static void bind_owner(const char *dir, const char *query, vg_query **q, vg_lookup_bind *b,
		       const char *want)
{
	const vg_qcmd *c = last_cmd(q, query);
	vg_err e = {0};
	if (vg_lookup_bind_cmd(dir, c, NULL, b, &e) != 0)
		fail_msg("%s: %s", query, e.msg);
	const char *k[1] = {"10.0.0.1"};
	uint32_t l[1] = {8};
	int64_t row = vg_lookup_find(b->t, k, l);
	assert_true(row >= 0);
	assert_string_equal(vg_lookup_cell(b->t, (uint32_t)row, b->out[0].col, NULL), want);
}

static vg_lookup_cache_stats cstats(void)
{
	vg_lookup_cache_stats st;
	vg_lookup_cache_stats_get(&st);
	return st;
}

/* One bind after another: the second finds the table the first read; a
 * file replaced (renamed over), rewritten in place with the same size, or
 * fresh (modified just now) is read again, and a binding made before the
 * change keeps its table until unbound. */
static void test_cache_invalidation(void **state)
{
	(void)state;
	vg_lookup_cache_clear();
	char dir[] = "/tmp/vg_lookup_XXXXXX";
	assert_non_null(mkdtemp(dir));
	const char *qtext = "* | lookup assets ip OUTPUT owner";
	write_file(dir, "assets.csv", "ip,owner\n10.0.0.1,alice\n");
	age_file(dir, "assets.csv", 3600);
	vg_query *q1, *q2, *q3;
	vg_lookup_bind b1, b2, b3;
	bind_owner(dir, qtext, &q1, &b1, "alice");
	assert_int_equal(cstats().misses, 1);
	assert_int_equal(cstats().tables, 1);
	assert_true(cstats().bytes > 0);
	bind_owner(dir, qtext, &q2, &b2, "alice");
	assert_int_equal(cstats().hits, 1);
	assert_ptr_equal(b1.t, b2.t); /* one table, shared */
	vg_lookup_unbind(&b2);
	vg_query_free(q2);
	/* Replaced by rename (another inode), same size: read again. b1
	 * still holds the old table, freed when it lets go. */
	write_file(dir, "new.csv", "ip,owner\n10.0.0.1,bobby\n");
	age_file(dir, "new.csv", 3600);
	char from[128], to[128];
	snprintf(from, sizeof from, "%s/new.csv", dir);
	snprintf(to, sizeof to, "%s/assets.csv", dir);
	assert_int_equal(rename(from, to), 0);
	bind_owner(dir, qtext, &q2, &b2, "bobby");
	assert_int_equal(cstats().misses, 2);
	assert_int_equal(cstats().tables, 1);
	assert_ptr_not_equal(b1.t, b2.t);
	assert_string_equal(vg_lookup_cell(b1.t, 0, b1.out[0].col, NULL), "alice");
	vg_lookup_unbind(&b1);
	vg_query_free(q1);
	/* Rewritten in place (same inode, same size), another mtime. */
	write_file(dir, "assets.csv", "ip,owner\n10.0.0.1,carol\n");
	age_file(dir, "assets.csv", 1800);
	bind_owner(dir, qtext, &q3, &b3, "carol");
	assert_int_equal(cstats().misses, 3);
	vg_lookup_unbind(&b3);
	vg_query_free(q3);
	vg_lookup_unbind(&b2);
	vg_query_free(q2);
	/* Modified just now: never cached, so each bind reads it, even after
	 * a rewrite of the same size within the same timestamp (as a clock
	 * tick allows: here the first write's time is put back). */
	write_file(dir, "assets.csv", "ip,owner\n10.0.0.1,dave\n");
	struct stat st;
	assert_int_equal(stat(to, &st), 0);
	uint64_t tables = cstats().tables;
	bind_owner(dir, qtext, &q1, &b1, "dave");
	write_file(dir, "assets.csv", "ip,owner\n10.0.0.1,erin\n");
	struct timespec same[2] = {st.st_mtim, st.st_mtim};
	assert_int_equal(utimensat(AT_FDCWD, to, same, 0), 0);
	bind_owner(dir, qtext, &q2, &b2, "erin");
	assert_int_equal(cstats().misses, 5);
	assert_true(cstats().tables <= tables);
	vg_lookup_unbind(&b1);
	vg_lookup_unbind(&b2);
	vg_query_free(q1);
	vg_query_free(q2);
	/* The same file on other key columns is another entry. */
	age_file(dir, "assets.csv", 3600);
	bind_owner(dir, qtext, &q1, &b1, "erin");
	const vg_qcmd *c = last_cmd(&q2, "* | lookup assets owner OUTPUT ip");
	vg_err e = {0};
	assert_int_equal(vg_lookup_bind_cmd(dir, c, NULL, &b2, &e), 0);
	assert_ptr_not_equal(b1.t, b2.t);
	assert_int_equal(cstats().tables, 2);
	vg_lookup_unbind(&b1);
	vg_lookup_unbind(&b2);
	vg_query_free(q1);
	vg_query_free(q2);
	vg_lookup_cache_clear();
	assert_int_equal(cstats().tables, 0);
	rm_tree(dir);
}

/* Bind table `name` once, let it go; returns whether it was cached. */
static int touch_table(const char *dir, const char *name)
{
	char text[128];
	snprintf(text, sizeof text, "* | lookup %s ip OUTPUT owner", name);
	uint64_t hits = cstats().hits;
	vg_query *q;
	vg_lookup_bind b;
	bind_owner(dir, text, &q, &b, name);
	vg_lookup_unbind(&b);
	vg_query_free(q);
	return cstats().hits > hits;
}

/* The bound: past it the least recently used table goes; a table larger
 * than the bound is not kept at all. */
static void test_cache_bound(void **state)
{
	(void)state;
	vg_lookup_cache_clear();
	char dir[] = "/tmp/vg_lookup_XXXXXX";
	assert_non_null(mkdtemp(dir));
	const char *names[] = {"t1", "t2", "t3"};
	for (int k = 0; k < 3; k++) {
		char file[16], text[64];
		snprintf(file, sizeof file, "%s.csv", names[k]);
		snprintf(text, sizeof text, "ip,owner\n10.0.0.1,%s\n", names[k]);
		write_file(dir, file, text);
		age_file(dir, file, 3600);
	}
	assert_false(touch_table(dir, "t1"));
	uint64_t one = cstats().bytes; /* the three cost the same */
	vg_lookup_cache_limit(2 * one + one / 2);
	assert_false(touch_table(dir, "t2"));
	assert_true(touch_table(dir, "t1"));   /* t1 now the most recent */
	assert_false(touch_table(dir, "t3"));  /* t2 goes */
	assert_int_equal(cstats().tables, 2);
	assert_true(cstats().bytes <= 2 * one + one / 2);
	assert_true(touch_table(dir, "t1"));
	assert_true(touch_table(dir, "t3"));
	assert_false(touch_table(dir, "t2"));  /* read again; t1 goes */
	assert_false(touch_table(dir, "t1"));
	/* Smaller than one table: nothing is kept. */
	vg_lookup_cache_limit(one - 1);
	assert_int_equal(cstats().tables, 0);
	assert_false(touch_table(dir, "t1"));
	assert_false(touch_table(dir, "t1"));
	assert_int_equal(cstats().bytes, 0);
	vg_lookup_cache_limit(0);
	vg_lookup_cache_clear();
	rm_tree(dir);
}

/* Threads binding the same table and one that keeps replacing it: every
 * bind sees a whole table (one of the two contents), none is freed while
 * held (AddressSanitizer watches), and nothing leaks. */
typedef struct cache_job {
	const char *dir;
	int replace;
} cache_job;

static void *cache_worker(void *arg)
{
	const cache_job *j = arg;
	for (int k = 0; k < 200; k++) {
		if (j->replace) {
			char name[32], from[128], to[128];
			snprintf(name, sizeof name, "tmp%d.csv", k);
			snprintf(from, sizeof from, "%s/%s", j->dir, name);
			snprintf(to, sizeof to, "%s/assets.csv", j->dir);
			write_file(j->dir, name,
				   k % 2 ? "ip,owner\n10.0.0.1,odd\n" : "ip,owner\n10.0.0.1,even\n");
			struct timespec ts[2] = {{(time_t)1000000 + k, 0}, {(time_t)1000000 + k, 0}};
			assert_int_equal(utimensat(AT_FDCWD, from, ts, 0), 0);
			assert_int_equal(rename(from, to), 0);
			continue;
		}
		vg_query *q;
		vg_lookup_bind b;
		vg_err e = {0};
		const vg_qcmd *c = last_cmd(&q, "* | lookup assets ip OUTPUT owner");
		assert_int_equal(vg_lookup_bind_cmd(j->dir, c, NULL, &b, &e), 0);
		const char *key[1] = {"10.0.0.1"};
		uint32_t l[1] = {8};
		int64_t row = vg_lookup_find(b.t, key, l);
		assert_int_equal(row, 0);
		const char *o = vg_lookup_cell(b.t, 0, b.out[0].col, NULL);
		assert_true(strcmp(o, "odd") == 0 || strcmp(o, "even") == 0);
		vg_lookup_unbind(&b);
		vg_query_free(q);
	}
	return NULL;
}

static void test_cache_threads(void **state)
{
	(void)state;
	vg_lookup_cache_clear();
	char dir[] = "/tmp/vg_lookup_XXXXXX";
	assert_non_null(mkdtemp(dir));
	write_file(dir, "assets.csv", "ip,owner\n10.0.0.1,even\n");
	age_file(dir, "assets.csv", 3600);
	pthread_t th[4];
	cache_job jobs[4] = {{dir, 1}, {dir, 0}, {dir, 0}, {dir, 0}};
	for (int k = 0; k < 4; k++)
		assert_int_equal(pthread_create(&th[k], NULL, cache_worker, &jobs[k]), 0);
	for (int k = 0; k < 4; k++)
		assert_int_equal(pthread_join(th[k], NULL), 0);
	vg_lookup_cache_stats st = cstats();
	assert_int_equal(st.hits + st.misses, 600);
	assert_true(st.tables >= 1);
	vg_lookup_cache_clear();
	rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_duplicates_first_wins),
		cmocka_unit_test(test_cidr_longest_prefix),
		cmocka_unit_test(test_cidr_file_order),
		cmocka_unit_test(test_multi_keys),
		cmocka_unit_test(test_csv_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_column_errors),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_bind),
		cmocka_unit_test(test_many_rows),
		cmocka_unit_test(test_cache_invalidation),
		cmocka_unit_test(test_cache_bound),
		cmocka_unit_test(test_cache_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
