/* test_cw.c — CloudWatch Logs filter patterns (query/cw.h): every syntax
 * element of AWS's "Filter pattern syntax" page with its own examples,
 * errors with their positions, limits, the literals a block filter may
 * use, and the CIS AWS Foundations Benchmark monitoring filters 4.1–4.15
 * against crafted events and the real CloudTrail records in
 * ../shared/data/cloudtrail. */
#include "testutil.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <pthread.h>

#include "query/cw.h"
#include "store/bloom.h"

/* ---------- helpers ---------- */

/* Compile pat or fail the test with the compiler's message. */
static vg_cw *cw(const char *pat)
{
	vg_cw *p = NULL;
	vg_err e = {0};
	if (vg_cw_compile(pat, strlen(pat), &p, &e) != 0)
		fail_msg("pattern <%s> did not compile: %s (at %lld)", pat, e.msg, (long long)e.pos);
	return p;
}

static int m(const vg_cw *p, const char *msg)
{
	return vg_cw_match(p, msg, strlen(msg));
}

typedef struct cw_case {
	int want;
	const char *msg;
} cw_case;

/* pat matches exactly the messages whose want is 1. */
static void check_cases(const char *pat, const cw_case *c, size_t n)
{
	vg_cw *p = cw(pat);
	for (size_t i = 0; i < n; i++) {
		int got = m(p, c[i].msg);
		if (got != c[i].want)
			fail_msg("pattern <%s> on <%s>: got %d, want %d", pat, c[i].msg, got, c[i].want);
	}
	vg_cw_free(p);
}

#define CASES(pat, ...)                                                                  \
	do {                                                                             \
		const cw_case cs_[] = {__VA_ARGS__};                                     \
		check_cases(pat, cs_, sizeof cs_ / sizeof *cs_);                         \
	} while (0)

/* Compiling pat fails with VG_EINVAL at byte pos, with a message that
 * holds frag and says where ("at <pos>"). */
static void bad(const char *pat, int64_t pos, const char *frag)
{
	vg_cw *p = (vg_cw *)1;
	vg_err e = {0};
	int rc = vg_cw_compile(pat, strlen(pat), &p, &e);
	if (rc != VG_EINVAL)
		fail_msg("pattern <%s> compiled (rc %d), want an error at %lld", pat, rc, (long long)pos);
	assert_null(p);
	if (e.pos != pos || strstr(e.msg, frag) == NULL)
		fail_msg("pattern <%s>: error at %lld <%s>, want at %lld with <%s>", pat,
			 (long long)e.pos, e.msg, (long long)pos, frag);
	char at[32];
	snprintf(at, sizeof at, "at %lld", (long long)pos);
	if (pos >= 0 && strstr(e.msg, at) == NULL)
		fail_msg("pattern <%s>: message <%s> does not say <%s>", pat, e.msg, at);
}

/* ---------- unstructured patterns ---------- */

static void test_terms(void **st)
{
	(void)st;
	/* AWS's examples: a term matches anywhere, inside words too. */
	CASES("ERROR", {1, "[ERROR] A fatal exception has occurred"},
	      {1, "Exiting with ERRORCODE: -1"}, {1, "[ERROR 400] BAD REQUEST"},
	      {0, "[error] lower case"}, {0, "[WARN] nothing"}, {0, ""});
	CASES("ERROR ARGUMENTS", {1, "[ERROR 419] MISSING ARGUMENTS"},
	      {1, "[ERROR 420] INVALID ARGUMENTS"}, {0, "[ERROR 400] BAD REQUEST"},
	      {0, "MISSING ARGUMENTS"});
	CASES("ERROR -Exiting", {1, "[ERROR] A fatal exception has occurred"},
	      {0, "Exiting with ERRORCODE: -1"});
	CASES("ERROR -ARGUMENTS", {1, "[ERROR 400] BAD REQUEST"},
	      {0, "[ERROR 419] MISSING ARGUMENTS"});
	CASES("-INFO", {1, "ERROR x"}, {0, "INFO x"}, {1, ""});
	CASES("ERROR Exception", {1, "[ERROR] Caught IllegalArgumentException"},
	      {1, "[ERROR] Unhandled Exception"}, {0, "[ERROR] Unhandled exception"});
	/* Unquoted words are each required, in any order; a quoted phrase
	 * is one exact substring. */
	CASES("Failed to process the request", {1, "[WARN] Failed to process the request"},
	      {1, "request the process to Failed"}, {0, "Failed to process"});
	CASES("\"INTERNAL SERVER ERROR\"", {1, "[ERROR 500] INTERNAL SERVER ERROR"},
	      {0, "[ERROR 500] INTERNAL ERROR SERVER"}, {0, "INTERNAL  SERVER ERROR"});
	CASES("\"not authorized to perform\" AccessDenied",
	      {1, "AccessDenied: user is not authorized to perform: s3:GetObject"},
	      {0, "AccessDenied: user is not authorized"});
	CASES("under_score 42", {1, "an under_score and 1425"}, {0, "under score 42"});
}

static void test_terms_optional(void **st)
{
	(void)st;
	CASES("?ERROR ?WARN", {1, "ERROR WARN message"}, {1, "ERROR message"},
	      {1, "WARN message"}, {0, "INFO message"});
	CASES("?ERROR ?ARGUMENTS", {1, "[ERROR 400] BAD REQUEST"},
	      {1, "[INFO 419] MISSING ARGUMENTS"}, {0, "[INFO] ok"});
	CASES("?\"Failed password\" ?\"Invalid user\"", {1, "sshd: Failed password for root"},
	      {1, "sshd: Invalid user admin"}, {0, "sshd: Accepted publickey"});
	/* AWS: combined with other terms, ?terms are ignored. */
	CASES("?ERROR ?ARGUMENTS REQUEST", {1, "[INFO] REQUEST FAILED"},
	      {1, "[WARN] UNAUTHORIZED REQUEST"}, {1, "[ERROR] 400 BAD REQUEST"},
	      {0, "[ERROR] 400 BAD"});
	CASES("?ERROR -INFO", {1, "WARN x"}, {1, "ERROR x"}, {0, "ERROR INFO"});
}

static void test_terms_everything(void **st)
{
	(void)st;
	const char *all[] = {"", "   ", "\"\"", "\" \"", " \"\" ", "\t\n"};
	for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
		vg_cw *p = cw(all[i]);
		assert_int_equal(vg_cw_kind(p), VG_CW_TERMS);
		assert_true(vg_cw_matches_all(p));
		assert_int_equal(m(p, "anything at all"), 1);
		assert_int_equal(m(p, ""), 1);
		vg_cw_free(p);
	}
	/* A blank plain term is a term: it silences the ?terms. */
	vg_cw *p = cw("?ERROR \"\"");
	assert_true(vg_cw_matches_all(p));
	assert_int_equal(m(p, "INFO"), 1);
	vg_cw_free(p);
	p = cw("ERROR");
	assert_false(vg_cw_matches_all(p));
	vg_cw_free(p);
	/* A NULL message with length 0 is the empty message. */
	p = cw("-x");
	assert_int_equal(vg_cw_match(p, NULL, 0), 1);
	vg_cw_free(p);
}

static void test_terms_quoting(void **st)
{
	(void)st;
	CASES("\"user@example.com\"", {1, "login user@example.com ok"}, {0, "user example.com"});
	CASES("\"say \\\"hi\\\"\"", {1, "they say \"hi\" now"}, {0, "they say hi now"});
	CASES("\"C:\\\\temp\"", {1, "path C:\\temp here"}, {0, "path C:temp"});
	CASES("\"a\\*b\"", {1, "x a\\*b y"}, {0, "x a*b y"}); /* no wildcards in terms */
	CASES("\"10.0.1.5\" -\"dstport=22\"", {1, "src 10.0.1.5 dstport=443"},
	      {0, "src 10.0.1.5 dstport=22"});
	CASES("\"café\"", {1, "un café noir"}, {0, "un cafe noir"});
	CASES("\"ERROR\"\t\"WARN\"", {1, "ERROR WARN"}, {0, "ERROR"});
}

static void test_terms_errors(void **st)
{
	(void)st;
	bad("ERROR foo@bar", 9, "'@' at 9: terms with characters other than letters");
	bad("ERROR-1", 5, "must be in double quotes");
	bad("10.0.0.1", 2, "'.' at 2");
	bad("café", 3, "byte 0xc3 at 3");
	bad("\"unterminated", 0, "has no closing '\"'");
	bad("ok \"a\\\"", 3, "has no closing");
	bad("?-x", 1, "either optional (?) or excluded (-)");
	bad("ERROR -", 6, "expected a term after '-' at 6");
	bad("ERROR ? x", 6, "expected a term after '?' at 6");
	bad("\"a\"b", 3, "expected a blank after the closing '\"' at 3");
	bad("?\"\"", 0, "cannot be optional or excluded");
	bad("-\" \"", 0, "cannot be optional or excluded");
	bad("ab\"c\"", 2, "inside a term");
	bad("ERROR %x%", 6, "a %regex% must be the whole pattern");
	bad("ERR\x01OR", 3, "control character 0x01 at 3");
	bad("ERROR\x7f", 5, "control character 0x7f at 5");
}

/* ---------- regular expressions ---------- */

static void test_regex(void **st)
{
	(void)st;
	/* The operators as AWS describes them, with its examples. */
	CASES("%AUTHORIZED%", {1, "[ERROR 401] UNAUTHORIZED REQUEST"},
	      {1, "[SUCCESS 200] AUTHORIZED REQUEST"}, {0, "authorized"});
	CASES("%^[hc]at%", {1, "hat trick"}, {1, "cat"}, {0, "a hat"});
	CASES("%[hc]at$%", {1, "a hat"}, {1, "cat"}, {0, "hat trick"}, {0, "a hat\n"});
	CASES("%colou?r%", {1, "color"}, {1, "colour"}, {0, "colouur"});
	CASES("%[abcx-z]%", {1, "y"}, {1, "b"}, {0, "dfg"});
	CASES("%a{3,5}%", {1, "aaa"}, {1, "xaaaaax"}, {0, "aa"});
	CASES("%xa{,2}y%", {1, "xy"}, {1, "xaay"}, {0, "xaaay"}); /* {,n}: no minimum */
	CASES("%xa{2, }y%", {1, "xaay"}, {1, "xaaaaay"}, {0, "xay"}); /* {m, }: no maximum */
	CASES("%x{1, 2}y%", {1, "xy"}, {1, "xxy"}, {0, "y"});
	CASES("%gra|ey%", {1, "gray"}, {1, "grey"}, {0, "grxy"});
	CASES("%^starting|^initializing|^shutting down%", {1, "starting now"},
	      {1, "shutting down"}, {0, "skipping initializing"});
	CASES("%abcc|ab[^c]$%", {1, "abcc x"}, {1, "x aba"}, {0, "aac"});
	CASES("%\\[.\\]%", {1, "[a]"}, {1, "[]]"}, {1, "[ ]"}, {0, "[ab]"});
	CASES("%ab*c%", {1, "ac"}, {1, "abbbc"}, {0, "abd"});
	CASES("%ab+c%", {1, "abc"}, {0, "ac"});
	CASES("%.at%", {1, " at"}, {1, "#at"}, {0, "at"});
	CASES("%10\\.10\\.0\\.1%", {1, "from 10.10.0.1"}, {0, "from 10010,051"});
	CASES("%10.10.0.1%", {1, "10010,051"}); /* the unescaped '.' AWS warns about */
	CASES("%\\d\\D\\s\\S\\w\\W%", {1, "1a bc!"}, {0, "1a bc9"});
	CASES("%\\x3A%", {1, "a:b"}, {0, "ab"});
	CASES("%\\x28\\x29%", {1, "f()"}, {0, "f("});
	CASES("%\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}%", {1, "from 203.0.113.9 port"},
	      {0, "from 203.0.113 port"});
	CASES("%[Ee]rror|[Ff]ail%", {1, "an error"}, {1, "Failed"}, {0, "ok"});
	CASES("%a.b%", {1, "a\nb"}); /* '.' is any single character */
	CASES("%\\s%", {1, "a\tb"}, {1, "a\nb"}, {0, "ab"});
	CASES("%a{b%", {1, "a{b"}, {0, "ab"}); /* a brace that is no repeat is text */
	CASES("%x\\-y_z#1=2@3/4;5,6%", {1, "x-y_z#1=2@3/4;5,6"});
	CASES("%[[:digit:]]+%", {1, "abc7"}, {0, "abc"});
	CASES("%Failed password for [a-z]+ from%", {1, "sshd[1]: Failed password for root from 1"},
	      {0, "Failed password for invalid user x from"});
	vg_cw *p = cw("%a%");
	assert_int_equal(vg_cw_kind(p), VG_CW_TERMS);
	const vg_cw_lit *l;
	assert_int_equal(vg_cw_required(p, &l), 0);
	vg_cw_free(p);
}

static void test_regex_errors(void **st)
{
	(void)st;
	bad("%something!%", 10, "'!' at 10 is not allowed in a CloudWatch regex; match it with \\x21");
	bad("%(alpha|beta)%", 1, "cannot use parentheses");
	bad("%a\\(b%", 3, "'(' at 3");
	bad("%caf\xc3\xa9%", 4, "multi-byte characters are not supported");
	bad("%abc", 0, "the regex starting at 0 has no closing '%'");
	bad("%%", 0, "empty regex");
	bad("%a\\bc%", 2, "unsupported escape '\\b' at 2");
	bad("%\\x4%", 1, "must be followed by two hex digits");
	bad("%ab\\%", 3, "ends with a lone '\\' at 3");
	bad("%[abc%", 5, "bad regex at 5");
	bad("%a{5,3}%", 6, "bad regex at");
	bad("%a% b", 4, "unexpected 'b' at 4 after the regex");
	bad("%a\"b%", 2, "'\"' at 2 is not allowed");
	bad("%a\tb%", 2, "byte 0x09 at 2 is not allowed");
}

/* A regex that backtracks without end is cut off by PCRE2's limits and
 * counts as no match, instead of stalling the search. */
static void test_regex_limits(void **st)
{
	(void)st;
	vg_cw *p = cw("%a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b%");
	char msg[200];
	memset(msg, 'a', sizeof msg - 1);
	msg[sizeof msg - 1] = 0;
	assert_int_equal(m(p, msg), 0);
	msg[150] = 'b';
	assert_int_equal(m(p, msg), 1);
	vg_cw_free(p);
	/* PCRE2 bounds repeat counts itself. */
	bad("%a{65536}%", 8, "bad regex at 8: number too big in {} quantifier");
}

/* ---------- space-delimited patterns ---------- */

#define APACHE "127.0.0.1 Prod frank [10/Oct/2000:13:25:15 -0700] \"GET /index.html HTTP/1.0\" 404 1534"

static void test_delim(void **st)
{
	(void)st;
	CASES("[ip, user, username, timestamp, request, status_code, bytes]", {1, APACHE},
	      {0, "127.0.0.1 Prod frank \"GET /index.html HTTP/1.0\" 404 1534"},
	      {0, APACHE " extra"});
	CASES("[ip=%127\\.0\\.0\\.[1-9]%, user, username, timestamp, request =*.html*, "
	      "status_code = 4*, bytes]",
	      {1, APACHE}, {0, "127.0.0.0 Prod frank [t] \"GET /index.html HTTP/1.0\" 404 1534"},
	      /* A regex searches the field, as everywhere: anchor it to pin it. */
	      {1, "127.0.0.10 Prod frank [t] \"GET /index.html HTTP/1.0\" 404 1534"},
	      {0, "127.0.0.1 Prod frank [t] \"GET /index.php HTTP/1.0\" 404 1534"},
	      {0, "127.0.0.1 Prod frank [t] \"GET /index.html HTTP/1.0\" 500 1534"});
	CASES("[..., request =*.html*, status_code = 4*, bytes]", {1, APACHE},
	      {1, "GET /a.html 403 1"}, {0, "GET /a.html 403"});
	CASES("[..., status_code, bytes]", {1, APACHE}, {1, "a b"}, {0, "a"});
	CASES("[ip, user, ..., status_code, bytes]", {1, APACHE}, {1, "a b c d"}, {0, "a b c"});
	CASES("[ip, user, ...]", {1, APACHE}, {1, "a b"}, {0, "a"});
	CASES("[ip, user, username, timestamp, request, status_code, bytes > 1000]", {1, APACHE},
	      {0, "127.0.0.1 Prod frank [t] \"r\" 404 1000"},
	      {0, "127.0.0.1 Prod frank [t] \"r\" 404 -"});
	CASES("[ip, user, username, timestamp, request, status_code = 200, bytes]",
	      {1, "1 2 3 [4] \"5\" 200 7"}, {1, "1 2 3 [4] \"5\" 200.0 7"},
	      {0, "1 2 3 [4] \"5\" 2000 7"});
	CASES("[ip, user, username, timestamp, request =*.html*, status_code = 404 || "
	      "status_code = 410, bytes]",
	      {1, APACHE}, {1, "1 2 3 [4] \"/x.html\" 410 7"}, {0, "1 2 3 [4] \"/x.html\" 400 7"});
	CASES("[ip, user, username, timestamp, request, status_code = 4* && status_code != 403, "
	      "bytes]",
	      {1, APACHE}, {0, "1 2 3 [4] \"5\" 403 7"}, {0, "1 2 3 [4] \"5\" 500 7"});
}

static void test_delim_words(void **st)
{
	(void)st;
	/* AWS's w1/w2 examples over its four log lines. */
	const char *l1 = "INFO 09/25/2014 12:00:00 GET /service/resource/67 1200";
	const char *l2 = "INFO 09/25/2014 12:00:01 POST /service/resource/67/part/111 1310";
	const char *l3 = "WARNING 09/25/2014 12:00:02 Invalid user request";
	const char *l4 = "ERROR 09/25/2014 12:00:02 Failed to process request";
	CASES("[w1=ERROR, w2]", {0, l1}, {0, l3}, {0, l4}, {1, "ERROR message"},
	      {0, "ERROR WARN message"});
	CASES("[w1=ERROR, ...]", {1, l4}, {0, l1}, {0, l3});
	CASES("[w1=ERROR || w1=WARNING, ...]", {1, l3}, {1, l4}, {0, l1});
	CASES("[w1!=ERROR && w1!=WARNING, ...]", {1, l1}, {1, l2}, {0, l3}, {0, l4});
	CASES("[logLevel, date, time, method, url=%/service/resource/[0-9]+$%, response_time]",
	      {1, l1}, {0, l2}, {0, l3});
	CASES("[logLevel, date, time, method, url=%/service/resource/[0-9]+/part/[0-9]+$%, "
	      "response_time]",
	      {1, l2}, {0, l1});
	/* AWS's OR example from its older page. */
	CASES("[w1=ERROR || w1=WARN, w2]", {1, "ERROR message"}, {1, "WARN message"},
	      {0, "INFO message"}, {0, "ERROR WARN message"});
}

static void test_delim_fields(void **st)
{
	(void)st;
	/* Runs of spaces and tabs separate; groups drop their delimiters. */
	CASES("[a, b=\"x y\", c=\"[z]\"]", {1, "1  \"x y\"\t[[z]]"}, {0, "1 \"x y\" [z]"});
	CASES("[a, b, c]", {1, "  1 \"two words\" [three words] "}, {0, "1 \"two words\" x y"});
	/* A delimiter that does not close at a blank is ordinary text. */
	CASES("[a, b=\"\\\"\\\"x\", c]", {1, "1 \"\"x 3"}, {0, "1 \"\" 3"});
	CASES("[a=\"\\\"x\", b]", {1, "\"x y"}, {0, "x y"});
	CASES("[a=\"x y\"]", {1, "[x y]"}, {1, "\"x y\""}, {0, "x y"});
	CASES("[a=\"[x\", b=\"y]z\"]", {1, "[x y]z"}, {0, "[x y] z"});
	CASES("[a, b=\"\"]", {1, "1 \"\""}, {0, "1 x"});
	/* Wildcards at the ends only; a star inside is a star. */
	CASES("[a=ab*]", {1, "abc"}, {1, "ab"}, {0, "xabc"});
	CASES("[a=*bc]", {1, "abc"}, {0, "abcd"});
	CASES("[a=*b*]", {1, "abc"}, {1, "b"}, {0, "ac"});
	CASES("[a=*]", {1, "x"}, {0, "x y"});
	CASES("[a=a*c]", {1, "a*c"}, {0, "abc"});
	CASES("[a=\"\\*b\"]", {1, "*b"}, {0, "ab"});
	/* Numbers: unquoted values compare numerically, quoted ones as text. */
	CASES("[a=22]", {1, "22"}, {1, "022"}, {1, "2.2e1"}, {0, "x22"});
	CASES("[a=\"22\"]", {1, "22"}, {0, "022"});
	CASES("[a!=22]", {1, "23"}, {1, "abc"}, {0, "22.0"});
	CASES("[a>=1e3, b<-1.5, c<=+7]", {1, "1000 -2 7"}, {0, "999 -2 7"}, {0, "1000 -1.5 7"});
	/* Empty entries are unnamed fields (AWS's own trailing comma). */
	CASES("[..., request=*.html*, status_code=4*,]", {1, APACHE}, {0, "a.html 404"});
	CASES("[a,,c]", {1, "1 2 3"}, {0, "1 2"});
	CASES("[..., x=1, ..., y=2, ...]", {1, "1 2"}, {1, "a 1 b 2 c"}, {0, "2 1"}, {0, "1"});
	CASES("[..., status_code=4* || status_code=5*, ...]", {1, APACHE}, {1, "a 503"},
	      {1, "500"}, {0, "a 200 b 302"}, {0, ""});
	CASES("[..., x=1, y=2, ..., z=3]", {1, "1 2 3"}, {1, "0 1 1 2 0 3"}, {0, "1 3 2 3"});
	vg_cw *p = cw("[...]");
	assert_true(vg_cw_matches_all(p));
	assert_int_equal(vg_cw_kind(p), VG_CW_DELIMITED);
	assert_int_equal(m(p, ""), 1);
	vg_cw_free(p);
	p = cw("[a]");
	assert_int_equal(m(p, ""), 0);
	assert_int_equal(m(p, "x"), 1);
	assert_int_equal(m(p, " \t"), 0);
	vg_cw_free(p);
}

/* A field table past its inline size, and messages with more fields than
 * a pattern without ellipsis can take. */
static void test_delim_many_fields(void **st)
{
	(void)st;
	size_t n = 5000;
	char *msg = malloc(n * 2 + 8);
	assert_non_null(msg);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		msg[k++] = i == n - 1 ? '9' : 'x';
		msg[k++] = ' ';
	}
	msg[k] = 0;
	vg_cw *p = cw("[first=x, ..., last=9]");
	assert_int_equal(vg_cw_match(p, msg, k), 1);
	vg_cw_free(p);
	p = cw("[a, b, c]");
	assert_int_equal(vg_cw_match(p, msg, k), 0);
	vg_cw_free(p);
	free(msg);
}

static void test_delim_vpcflow(void **st)
{
	(void)st;
	const char *pat = "[version, account, eni, source, destination, srcport, destport=\"22\", "
			  "protocol, packets, bytes, windowstart, windowend, action=\"REJECT\", "
			  "flowlogstatus]";
	CASES(pat,
	      {1, "2 123456789012 eni-0a1b2c3d 203.0.113.12 10.0.1.5 51234 22 6 3 180 1700000000 "
		  "1700000060 REJECT OK"},
	      {0, "2 123456789012 eni-0a1b2c3d 203.0.113.12 10.0.1.5 51234 22 6 3 180 1700000000 "
		  "1700000060 ACCEPT OK"},
	      {0, "2 123456789012 eni-0a1b2c3d 203.0.113.12 10.0.1.5 22 2222 6 3 180 1700000000 "
		  "1700000060 REJECT OK"},
	      {0, "2 123456789012 eni-0a1b2c3d 203.0.113.12 10.0.1.5 51234 22 6 3 180 1700000000 "
		  "1700000060 REJECT"},
	      {0, "2018-09-22T20:28:14.000Z 2 123456789012 eni-0a1b2c3d 203.0.113.12 10.0.1.5 51234 "
		  "22 6 3 180 1700000000 1700000060 REJECT OK"});
	/* AWS's documented example lines: the SSH one is accepted, the RDP
	 * one rejected; the NODATA and SKIPDATA lines have '-' fields. */
	size_t len;
	char *s = slurp(shared_path("vpcflow/aws-doc-examples.log"), &len);
	assert_non_null(s);
	vg_cw *ssh = cw("[version, account, eni, source, destination, srcport, destport=22, ...]");
	vg_cw *rej = cw("[..., action=\"REJECT\", flowlogstatus=OK]");
	vg_cw *nodata = cw("[version, account, eni, ..., bytes=\"-\", start, end, action, status]");
	vg_cw *big = cw("[..., bytes > 4000, start, end, action, status]");
	int nssh = 0, nrej = 0, nno = 0, nbig = 0, nlines = 0;
	for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n")) {
		nlines++;
		nssh += m(ssh, line);
		nrej += m(rej, line);
		nno += m(nodata, line);
		nbig += m(big, line);
	}
	assert_int_equal(nlines, 5);
	assert_int_equal(nssh, 1);
	assert_int_equal(nrej, 1);
	assert_int_equal(nno, 2);
	assert_int_equal(nbig, 2);
	vg_cw_free(ssh);
	vg_cw_free(rej);
	vg_cw_free(nodata);
	vg_cw_free(big);
	free(s);
}

static void test_delim_errors(void **st)
{
	(void)st;
	bad("[a, b", 0, "unbalanced '[' at 0");
	bad("[a b]", 3, "expected ',', ']' or an operator after the field 'a' at 3, found 'b'");
	bad("[]", 0, "has no fields");
	bad("[ ]", 0, "has no fields");
	bad("[a=]", 3, "expected a value after '=' at 3");
	bad("[a = ,b]", 5, "expected a value after '=' at 5");
	bad("[a>x]", 3, "'>' compares numbers: expected a number at 3");
	bad("[a<=\"5\"]", 4, "'<=' compares numbers");
	bad("[a, a]", 4, "the field name 'a' at 4 is used twice");
	bad("[ip, user, ..., status_code = 4* && bytes > 1000]", 36,
	    "names 'bytes' but belongs to the field 'status_code'");
	bad("[a=1 && =2]", 8, "expected the field name 'a' after '&&' or '||' at 8");
	bad("[a] x", 4, "unexpected 'x' at 4 after the closing ']'");
	bad("[a=foo@bar]", 6, "'@' at 6: a value with characters other than");
	bad("[a=\"x]", 3, "the string starting at 3 has no closing '\"'");
	bad("[a=%x]", 3, "the regex starting at 3 has no closing '%'");
	bad("[a=%(x)%]", 4, "cannot use parentheses");
	bad("[a=%x%, b=%y%, c=%z%]", 17, "one too many: a pattern may hold at most 2");
	bad("[a==1]", 3, "expected a value after '=' at 3");
	bad("[a;b]", 2, "found ';'");
	bad("[a, @]", 4, "expected a field name, '...', ',' or ']' at 4, found '@'");
	bad("[a=1 & a=2]", 5, "expected ',' or ']' at 5, found '&'");
}

/* ---------- JSON patterns ---------- */

/* AWS's example event, on one line as its page asks. */
#define DOC_EVENT                                                                        \
	"{\"eventType\": \"UpdateTrail\", \"sourceIPAddress\": \"111.111.111.111\", "    \
	"\"arrayKey\": [\"value\", \"another value\"], \"objectList\": [{\"name\": \"a\", " \
	"\"id\": 1}, {\"name\": \"b\", \"id\": 2}], \"SomeObject\": null, "               \
	"\"cluster.name\": \"c\", \"ThisFlag\": true, \"OtherFlag\": false}"

#define DOC_COMPOUND                                                                     \
	"{\"user\": {\"id\": 1, \"email\": \"John.Stiles@example.com\"}, \"users\": [{\"id\": 2, " \
	"\"email\": \"John.Doe@example.com\"}, {\"id\": 3, \"email\": \"Jane.Doe@example.com\"}], " \
	"\"actions\": [\"GET\", \"PUT\", \"DELETE\"], \"coordinates\": [[0, 1, 2], [4, 5, 6], " \
	"[7, 8, 9]]}"

static void test_json_doc(void **st)
{
	(void)st;
	const char *yes[] = {
		"{ $.eventType = \"UpdateTrail\" }",
		"{ $.sourceIPAddress != 123.123.* }",
		"{ $.arrayKey[0] = \"value\" }",
		"{ $.objectList[1].id = 2 }",
		"{ $.eventType = %Trail% }",
		"{ $.arrayKey[*] = %val.{2}% }",
		"{ $.* = %111\\.111\\.111\\.1[0-9]{1,2}% }",
		"{ $.['cluster.name'] = \"c\" }",
		"{ $.SomeObject IS NULL }",
		"{ $.SomeOtherObject NOT EXISTS }",
		"{ $.ThisFlag IS TRUE }",
		"{ $.OtherFlag IS FALSE }",
		"{ $.objectList[*].name = b }",
		"{ $.sourceIPAddress = 111.111.* }",
		"{ $.eventType = *Trail }",
		"{ $.eventType = Update* }",
		"{ $.eventType = *date* }",
		"{ $.eventType = * }",
		"{ $.arrayKey[1] = \"another value\" }",
		"{ $.foo = bar || $.eventType = UpdateTrail }",
		"{$.eventType=UpdateTrail}",
		"{ $.objectList[0].id < 2 && $.objectList[0].id >= 1 }",
		"{ $.eventType != %^Create% }",
		"{ $.objectList[1].name != a }",
		"{ $.ThisFlag = true }",
		"{ $.SomeObject is null }",
		"{ $['cluster.name'] = c }",
	};
	const char *no[] = {
		"{ $.eventType = \"updatetrail\" }",
		"{ $.sourceIPAddress != 111.111.* }",
		"{ $.arrayKey[2] = \"value\" }",
		"{ $.arrayKey = \"value\" }",     /* an array is no value node */
		"{ $.arrayKey != \"value\" }",
		"{ $.objectList[0] != \"x\" }",   /* nor is an object */
		"{ $.objectList.id = 1 }",
		"{ $.eventType.x = 1 }",
		"{ $.eventType[0] = \"U\" }",
		"{ $.SomeObject = * }",           /* null is no value either */
		"{ $.SomeObject != \"x\" }",
		"{ $.eventType IS NULL }",
		"{ $.SomeObject NOT EXISTS }",
		"{ $.ThisFlag IS FALSE }",
		"{ $.eventType IS TRUE }",
		"{ $.missing != \"x\" }",         /* != needs the property */
		"{ $.missing = * }",
		"{ $.arrayKey[*] = %^x% }",
		"{ $.* = %222\\.222% }",
		"{ $.['cluster.name'] = \"d\" }",
		"{ $.cluster.name = \"c\" }",
		"{ $.eventType = \"Ev*ent\" }",
		"{ $.objectList[*].id > 2 }",
		"{ $.eventType = *Trai }",
	};
	vg_cw *p;
	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
		p = cw(yes[i]);
		assert_int_equal(vg_cw_kind(p), VG_CW_JSON);
		if (!m(p, DOC_EVENT))
			fail_msg("<%s> should match AWS's example event", yes[i]);
		vg_cw_free(p);
	}
	for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
		p = cw(no[i]);
		if (m(p, DOC_EVENT))
			fail_msg("<%s> should not match AWS's example event", no[i]);
		vg_cw_free(p);
	}
	/* The compound examples, with AWS's verdicts. */
	CASES("{ ($.user.id = 1) && ($.users[0].email = \"John.Doe@example.com\") }", {1, DOC_COMPOUND});
	CASES("{ $.user.email = \"John.Stiles@example.com\" || $.coordinates[0][1] = \"nonmatch\" && "
	      "$.actions[2] = \"nonmatch\" }",
	      {1, DOC_COMPOUND});
	CASES("{ ($.user.email = \"John.Stiles@example.com\" || $.coordinates[0][1] = \"nonmatch\") "
	      "&& $.actions[2] = \"nonmatch\" }",
	      {0, DOC_COMPOUND});
	CASES("{ ($.user.id = 2 && $.users[0].email = \"nonmatch\") || $.actions[2] = \"GET\" }",
	      {0, DOC_COMPOUND});
	CASES("{ $.coordinates[2][0] = 7 && $.actions[*] = PUT && $.users[*].id = 3 }",
	      {1, DOC_COMPOUND});
	CASES("{ $.foo = bar || $.foo = baz }", {1, "{\"foo\": \"bar\"}"}, {1, "{\"foo\": \"baz\"}"},
	      {0, "{\"foo\": \"qux\"}"});
}

static void test_json_numbers(void **st)
{
	(void)st;
	CASES("{ $.bandwidth > 75 }", {1, "{\"bandwidth\": 80}"}, {0, "{\"bandwidth\": 75}"},
	      {1, "{\"bandwidth\": 75.5}"}, {1, "{\"bandwidth\": \"80\"}"},
	      {0, "{\"bandwidth\": \"high\"}"}, {0, "{\"bandwidth\": null}"},
	      {0, "{\"bandwidth\": [80]}"}, {0, "{\"other\": 80}"});
	CASES("{ $.latency < 50 }", {1, "{\"latency\": -3}"}, {0, "{\"latency\": 50}"});
	CASES("{ $.refreshRate >= 60 }", {1, "{\"refreshRate\": 60}"}, {0, "{\"refreshRate\": 59.9}"});
	CASES("{ $.responseTime <= 5 }", {1, "{\"responseTime\": 5}"}, {0, "{\"responseTime\": 6}"});
	CASES("{ $.errorCode = 400}", {1, "{\"errorCode\": 400}"}, {1, "{\"errorCode\": 4e2}"},
	      {1, "{\"errorCode\": \"400\"}"}, {0, "{\"errorCode\": 401}"});
	CASES("{ $.errorCode != 500 }", {1, "{\"errorCode\": 400}"}, {0, "{\"errorCode\": 500.0}"},
	      {1, "{\"errorCode\": \"oops\"}"}, {0, "{}"});
	CASES("{ $.number[0] = 1e+3 }", {1, "{\"number\": [1000]}"}, {0, "{\"number\": [100]}"});
	CASES("{ $.number[0] != 1e-3 }", {1, "{\"number\": [1]}"}, {0, "{\"number\": [0.001]}"});
	CASES("{ $.numbers[0] < 10e3 }", {1, "{\"numbers\": [9999]}"}, {0, "{\"numbers\": [10000]}"});
	CASES("{ $.processes[4].averageRuntime <= 55.5 }",
	      {1, "{\"processes\": [0, 1, 2, 3, {\"averageRuntime\": 55.5}]}"},
	      {0, "{\"processes\": [{\"averageRuntime\": 1}]}"});
	CASES("{ $.latency > +1000 }", {1, "{\"latency\": 1001}"}, {0, "{\"latency\": 1000}"});
	/* A quoted value or wildcard against a number compares its text. */
	CASES("{ $.code = \"404\" }", {1, "{\"code\": 404}"}, {1, "{\"code\": \"404\"}"},
	      {0, "{\"code\": 404.5}"});
	CASES("{ $.code = 4* }", {1, "{\"code\": 404}"}, {1, "{\"code\": \"4xx\"}"},
	      {0, "{\"code\": 504}"});
	CASES("{ $.ratio = \"0.5\" }", {1, "{\"ratio\": 0.5}"}, {1, "{\"ratio\": 5e-1}"});
	CASES("{ $.big = 123456789012 }", {1, "{\"big\": 123456789012}"},
	      {1, "{\"big\": \"123456789012\"}"}, {0, "{\"big\": 123456789013}"});
	CASES("{ $.recipientAccountId = \"123456789012\" }",
	      {1, "{\"recipientAccountId\": \"123456789012\"}"});
	CASES("{ $.code = %^4\\d\\d$% }", {1, "{\"code\": 404}"}, {0, "{\"code\": 4040}"});
	CASES("{ $.flag = false }", {1, "{\"flag\": false}"}, {1, "{\"flag\": \"false\"}"},
	      {0, "{\"flag\": true}"});
	CASES("{ $.flag IS TRUE }", {1, "{\"flag\": true}"}, {0, "{\"flag\": \"true\"}"},
	      {0, "{\"flag\": 1}"});
}

/* {"b":[[...]]} nesting depth levels deep. */
static char *deep_json(size_t depth)
{
	char *s = malloc(2 * depth + 8);
	assert_non_null(s);
	size_t k = (size_t)sprintf(s, "{\"b\":");
	for (size_t i = 1; i < depth; i++)
		s[k++] = '[';
	for (size_t i = 1; i < depth; i++)
		s[k++] = ']';
	s[k++] = '}';
	s[k] = 0;
	return s;
}

static void test_json_messages(void **st)
{
	(void)st;
	/* Only a message that is one JSON object can match. */
	CASES("{ $.x NOT EXISTS }", {1, "{}"}, {1, "  {\"a\": 1}\n"}, {0, "not json"},
	      {0, "{\"a\": 1} trailing"}, {0, "{\"a\": 1"}, {0, "[1, 2]"}, {0, "42"},
	      {0, "\"str\""}, {0, ""}, {0, "{\"a\": 1}{\"b\": 2}"}, {0, "{'a': 1}"});
	CASES("{ $.a = \"x\\\"y\" }", {1, "{\"a\": \"x\\\"y\"}"}, {0, "{\"a\": \"xy\"}"});
	CASES("{ $.a = \"café\" }", {1, "{\"a\": \"caf\\u00e9\"}"}, {1, "{\"a\": \"café\"}"});
	CASES("{ $.a.b-c.d_e = 1 }", {1, "{\"a\": {\"b-c\": {\"d_e\": 1}}}"});
	CASES("{ $.['@timestamp'] = 2024* }", {1, "{\"@timestamp\": \"2024-01-01\"}"});
	CASES("{ $.a = 1 }", {1, "{\"a\": 1, \"a\": 2}"}); /* the first duplicate key counts */
	CASES("{ $.Key = 1 }", {0, "{\"key\": 1}"});    /* keys are case-sensitive */
	/* Nesting up to the limit is parsed; deeper messages never match. */
	vg_cw *p = cw("{ $.a NOT EXISTS }");
	for (size_t depth = VG_CW_MAX_JSON_DEPTH - 1; depth <= VG_CW_MAX_JSON_DEPTH + 1; depth++) {
		char *deep = deep_json(depth);
		assert_int_equal(m(p, deep), depth <= VG_CW_MAX_JSON_DEPTH);
		free(deep);
	}
	vg_cw_free(p);
}

static void test_json_errors(void **st)
{
	(void)st;
	bad("{ $.a = 1", 0, "unbalanced '{' at 0: a pattern that starts with '{' must end with '}'");
	bad("{ ($.a = 1 }", 2, "unbalanced parenthesis at 2: this '(' is never closed");
	bad("{ (($.a = 1) }", 2, "unbalanced parenthesis at 2");
	bad("{ $.a = 1) }", 9, "unbalanced parenthesis at 9: there is no '(' to close");
	bad("{ () }", 3, "unbalanced parenthesis at 3");
	bad("{ $.a = }", 8, "expected a value after '=' at 8");
	bad("{ $.eventName = \"ConsoleLogin\" && $.x != }", 41, "expected a value after '!=' at 41");
	bad("{ $.a == 1 }", 7, "expected a value after '=' at 7");
	bad("{ $.a IS NOT NULL }", 8, "IS NOT at 8 is not supported");
	bad("{ $.a EXISTS }", 6, "EXISTS at 6 is not supported by CloudWatch; only NOT EXISTS is");
	bad("{ $.a NOT }", 9, "expected EXISTS after NOT at 9");
	bad("{ $.a IS MAYBE }", 8, "expected NULL, TRUE or FALSE after IS at 8");
	bad("{ $.a ~ 1 }", 6, "expected an operator (=, !=, <, <=, >, >=) after the selector at 6");
	bad("{ $[0] = 1 }", 3, "array elements must follow a property");
	bad("{ $ = 1 }", 2, "needs a property after '$'");
	bad("{ $. = 1 }", 4, "expected a property name after '.' at 4");
	bad("{ $.@timestamp = 1 }", 4, "'@' at 4: property names hold letters");
	bad("{ $.a[x] = 1 }", 5, "between '[' and ']' at 5");
	bad("{ $.a[1234567890] = 1 }", 5, "at most 9 digits");
	bad("{ $.['a.b = 1 }", 4, "the bracketed key at 4 must be written ['key']");
	bad("{ $.a = \"x }", 8, "the string starting at 8 has no closing '\"'");
	bad("{ }", 0, "the JSON pattern at 0 is empty");
	bad("{ a = 1 }", 2, "expected a condition such as $.name = \"value\" at 2, found 'a'");
	bad("{ $.a = 1 } x", 12, "unexpected 'x' at 12 after the closing '}'");
	bad("{ $.a = 1 & $.b = 2 }", 10, "expected '&&', '||' or '}' at 10, found '&'");
	bad("{ ($.a = 1 x) }", 11, "expected '&&', '||' or ')' at 11, found 'x'");
	bad("{ $.a > \"5\" }", 8, "'>' compares numbers: expected a number at 8");
	bad("{ $.a < abc }", 8, "'<' compares numbers");
	bad("{ $.a = foo@bar }", 11, "'@' at 11: a value with characters");
	bad("{ $.a = %(x)% }", 9, "cannot use parentheses");
	bad("{ $.a = %r1% && $.b = %r2% && $.c = %r3% }", 36, "one too many");
	bad("{ $.a.*.b[*] = 1 }", 2, "the selector at 2 has 2 wildcards");
	bad("{ $.a[*] = 1 && $.* = 2 && $.b[*] = 3 && $.c.* = 4 }", 41,
	    "wildcard selector number 4; CloudWatch allows 3");
	bad("{ $.a = 1 &&", 12, "expected a condition at 12");
}

/* ---------- limits ---------- */

static void test_limits(void **st)
{
	(void)st;
	char pat[VG_CW_MAX_PATTERN + 2];
	memset(pat, 'A', sizeof pat);
	vg_cw *p = NULL;
	vg_err e = {0};
	assert_int_equal(vg_cw_compile(pat, VG_CW_MAX_PATTERN, &p, &e), 0);
	assert_int_equal(vg_cw_match(p, pat, VG_CW_MAX_PATTERN), 1);
	assert_int_equal(vg_cw_match(p, pat, VG_CW_MAX_PATTERN - 1), 0);
	vg_cw_free(p);
	p = (vg_cw *)1;
	assert_int_equal(vg_cw_compile(pat, VG_CW_MAX_PATTERN + 1, &p, &e), VG_EINVAL);
	assert_null(p);
	assert_int_equal(e.pos, VG_CW_MAX_PATTERN);
	assert_string_equal(e.msg, "the pattern is 1025 bytes long; CloudWatch allows at most 1024");

	/* 32 nested parentheses are fine, the 33rd is refused where it is. */
	char buf[512];
	for (int depth = VG_CW_MAX_DEPTH; depth <= VG_CW_MAX_DEPTH + 1; depth++) {
		size_t k = 0;
		buf[k++] = '{';
		for (int i = 0; i < depth; i++)
			buf[k++] = '(';
		k += (size_t)sprintf(buf + k, "$.a = 1");
		for (int i = 0; i < depth; i++)
			buf[k++] = ')';
		buf[k++] = '}';
		buf[k] = 0;
		if (depth == VG_CW_MAX_DEPTH) {
			p = cw(buf);
			assert_int_equal(m(p, "{\"a\": 1}"), 1);
			vg_cw_free(p);
		} else {
			bad(buf, 1 + VG_CW_MAX_DEPTH, "parentheses nested deeper than 32 at 33");
		}
	}
	/* Long && chains stay flat: no recursion per operand. */
	size_t k = (size_t)sprintf(buf, "{ $.a = 1");
	for (int i = 0; i < 40; i++)
		k += (size_t)sprintf(buf + k, " && $.a = 1");
	sprintf(buf + k, " }");
	p = cw(buf);
	assert_int_equal(m(p, "{\"a\": 1}"), 1);
	assert_int_equal(m(p, "{\"a\": 2}"), 0);
	vg_cw_free(p);
	/* Errors may be asked for without an error record. */
	p = (vg_cw *)1;
	assert_int_equal(vg_cw_compile("{", 1, &p, NULL), VG_EINVAL);
	assert_null(p);
	/* Two regexes are allowed, and wildcards up to AWS's quotas. */
	p = cw("{ $.a = %r1% && $.b = %r2% && $.c = \"50%\" }");
	assert_int_equal(m(p, "{\"a\": \"r1\", \"b\": \"xr2\", \"c\": \"50%\"}"), 1);
	vg_cw_free(p);
	p = cw("{ $.a[*] = \"x\" && $.* = \"y\" && $.b[*] = \"z\" }");
	assert_int_equal(m(p, "{\"a\": [\"x\"], \"b\": [\"q\", \"z\"], \"c\": \"y\"}"), 1);
	vg_cw_free(p);
}

/* ---------- required literals and tokens ---------- */

typedef struct tokset {
	uint64_t h[4096];
	size_t n;
} tokset;

static void tok_add(uint64_t h, void *ctx)
{
	tokset *t = ctx;
	if (t->n < sizeof t->h / sizeof *t->h)
		t->h[t->n++] = h;
}

static int tok_has(const tokset *t, uint64_t h)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->h[i] == h)
			return 1;
	return 0;
}

/* The literals of pat, joined as "text/LR/J;" with L, R, J the flags. */
static void want_lits(const char *pat, const char *want)
{
	vg_cw *p = cw(pat);
	const vg_cw_lit *l;
	size_t n = vg_cw_required(p, &l);
	char got[512] = "";
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(strlen(l[i].s), l[i].len);
		size_t k = strlen(got);
		snprintf(got + k, sizeof got - k, "%s/%d%d%d;", l[i].s, l[i].bound_left,
			 l[i].bound_right, l[i].json);
	}
	if (strcmp(got, want) != 0)
		fail_msg("literals of <%s>: <%s>, want <%s>", pat, got, want);
	vg_cw_free(p);
}

/* The tokens of pat, as their hashes, equal those of the listed words. */
static void want_tokens(const char *pat, const char *const *words, size_t nw)
{
	vg_cw *p = cw(pat);
	tokset t = {.n = 0};
	vg_cw_required_tokens(p, tok_add, &t);
	assert_int_equal(t.n, nw);
	for (size_t i = 0; i < nw; i++)
		if (!tok_has(&t, vg_token_hash(words[i], strlen(words[i]))))
			fail_msg("tokens of <%s> lack <%s>", pat, words[i]);
	vg_cw_free(p);
}

static void test_required(void **st)
{
	(void)st;
	want_lits("ERROR Exception", "ERROR/000;Exception/000;");
	want_lits("\"Failed to process\" -INFO ?x", "Failed to process/000;");
	want_lits("?ERROR ?WARN", "");
	want_lits("-INFO", "");
	want_lits("%ERROR%", "");
	want_lits("", "");
	want_lits("[a, b=\"REJECT\", c=4*, d=*x, e=*y*, f=22, g=*, h!=\"q\", i=%r%]",
		  "REJECT/110;4/100;x/010;y/000;");
	want_lits("[a=\"x\" && a!=\"y\", b=\"p\" || b=\"q\"]", "x/110;");
	want_lits("{ $.eventName = \"ConsoleLogin\" && $.errorCode = AccessDenied* }",
		  "ConsoleLogin/111;AccessDenied/101;");
	want_lits("{ $.a = \"x\" || $.b = \"y\" }", "");
	want_lits("{ $.a = 404 && $.b = \"404\" && $.c = true && $.d = \"1e5\" && $.e = \"tr*\" }",
		  "");
	want_lits("{ $.a = \"q\\\"x\" && $.b != \"z\" && $.c IS NULL && $.d = %r% && $.e = * }", "");
	want_lits("{ ($.a = \"x\" && $.b = \"y\") && ($.c = \"z\" || $.d = \"w\") }",
		  "x/111;y/111;");

	const char *t1[] = {"to"};
	want_tokens("\"Failed to process\"", t1, 1);
	want_tokens("ERROR", NULL, 0);
	const char *t2[] = {"kms", "amazonaws", "com", "disablekey"};
	want_tokens("{ $.eventSource = kms.amazonaws.com && $.eventName = DisableKey }", t2, 4);
	const char *t3[] = {"reject"};
	want_tokens("[..., action=\"REJECT\", status]", t3, 1);
	const char *t4[] = {"203", "0", "113"};
	want_tokens("[src=203.0.113.*, ...]", t4, 3);
	/* "html" may go on (".htmlx"): a contains-literal proves only its inner tokens. */
	want_tokens("[..., request=*.html*, status]", NULL, 0);
	const char *t5[] = {"index"};
	want_tokens("[..., request=*/index.html*, status]", t5, 1);
	want_tokens("{ $.a = \"<b>\" && $.b = \"é\" }", NULL, 0);
	const char *t6[] = {"a", "b"};
	want_tokens("{ $.a = \"a/b\" }", t6, 2);
}

/* Every required token is a token of every matching message, and a
 * message without one of them does not match: the promise a block filter
 * relies on. */
static void test_required_sound(void **st)
{
	(void)st;
	const struct {
		const char *pat, *yes, *no;
	} cases[] = {
		{"{ $.userIdentity.type = \"Root\" && $.eventType != \"AwsServiceEvent\" }",
		 "{\"userIdentity\": {\"type\": \"Root\"}, \"eventType\": \"AwsApiCall\"}",
		 "{\"userIdentity\": {\"type\": \"IAMUser\"}, \"eventType\": \"AwsApiCall\"}"},
		{"[..., action=\"REJECT\", status=OK]", "2 1 eni-1 a b 1 2 6 1 1 1 2 REJECT OK",
		 "2 1 eni-1 a b 1 2 6 1 1 1 2 ACCEPT OK"},
		{"[a, b=\"x.y-z\"]", "1 x.y-z", "1 x.y-zz"},
		{"\"to the moon\"", "off to the moon", "off to a moon"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		vg_cw *p = cw(cases[i].pat);
		tokset req = {.n = 0}, yes = {.n = 0}, no = {.n = 0};
		vg_cw_required_tokens(p, tok_add, &req);
		assert_true(req.n > 0);
		vg_tokens(cases[i].yes, strlen(cases[i].yes), tok_add, &yes);
		vg_tokens(cases[i].no, strlen(cases[i].no), tok_add, &no);
		assert_int_equal(m(p, cases[i].yes), 1);
		assert_int_equal(m(p, cases[i].no), 0);
		int missing = 0;
		for (size_t k = 0; k < req.n; k++) {
			assert_true(tok_has(&yes, req.h[k]));
			missing += !tok_has(&no, req.h[k]);
		}
		assert_true(missing > 0);
		vg_cw_free(p);
	}
}

/* ---------- CIS AWS Foundations Benchmark monitoring filters ---------- */

/* The metric filter patterns of the CIS AWS Foundations Benchmark v1.4.0 /
 * v1.5.0, section 4 (Monitoring), exactly as the benchmark prints them
 * (4.2 in the form "to reduce false positives in case Single Sign-On is
 * used"). Kept as data so the alerting rules can load the same texts. */
typedef struct cis_filter {
	const char *id, *title, *pattern;
} cis_filter;

static const cis_filter cis_filters[] = {
	{"4.1", "unauthorized API calls",
	 "{ ($.errorCode = \"*UnauthorizedOperation\") || ($.errorCode = \"AccessDenied*\") && "
	 "($.sourceIPAddress!=\"delivery.logs.amazonaws.com\") && ($.eventName!=\"HeadBucket\") }"},
	{"4.2", "Management Console sign-in without MFA",
	 "{ ($.eventName = \"ConsoleLogin\") && ($.additionalEventData.MFAUsed != \"Yes\") && "
	 "($.userIdentity.type = \"IAMUser\") && ($.responseElements.ConsoleLogin = \"Success\") }"},
	{"4.3", "usage of the 'root' account",
	 "{ $.userIdentity.type = \"Root\" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "
	 "\"AwsServiceEvent\" }"},
	{"4.4", "IAM policy changes",
	 "{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName="
	 "DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($."
	 "eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($."
	 "eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName="
	 "AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($."
	 "eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||($.eventName="
	 "DetachGroupPolicy)}"},
	{"4.5", "CloudTrail configuration changes",
	 "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = "
	 "DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }"},
	{"4.6", "AWS Management Console authentication failures",
	 "{ ($.eventName = ConsoleLogin) && ($.errorMessage = \"Failed authentication\") }"},
	{"4.7", "disabling or scheduled deletion of customer created CMKs",
	 "{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName="
	 "ScheduleKeyDeletion)) }"},
	{"4.8", "S3 bucket policy changes",
	 "{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = "
	 "PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) "
	 "|| ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || "
	 "($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || "
	 "($.eventName = DeleteBucketReplication)) }"},
	{"4.9", "AWS Config configuration changes",
	 "{ ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||"
	 "($.eventName=DeleteDeliveryChannel) ||($.eventName=PutDeliveryChannel)||($.eventName="
	 "PutConfigurationRecorder)) }"},
	{"4.10", "security group changes",
	 "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = "
	 "AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || "
	 "($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || "
	 "($.eventName = DeleteSecurityGroup) }"},
	{"4.11", "changes to Network Access Control Lists (NACL)",
	 "{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || "
	 "($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || "
	 "($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }"},
	{"4.12", "changes to network gateways",
	 "{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || "
	 "($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || "
	 "($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }"},
	{"4.13", "route table changes",
	 "{ ($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = "
	 "ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = "
	 "DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = "
	 "DisassociateRouteTable) }"},
	{"4.14", "VPC changes",
	 "{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = "
	 "ModifyVpcAttribute) || ($.eventName = AcceptVpcPeeringConnection) || ($.eventName = "
	 "CreateVpcPeeringConnection) || ($.eventName = DeleteVpcPeeringConnection) || "
	 "($.eventName = RejectVpcPeeringConnection) || ($.eventName = AttachClassicLinkVpc) || "
	 "($.eventName = DetachClassicLinkVpc) || ($.eventName = DisableVpcClassicLink) || "
	 "($.eventName = EnableVpcClassicLink) }"},
	{"4.15", "AWS Organizations changes",
	 "{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = \"AcceptHandshake\") || "
	 "($.eventName = \"AttachPolicy\") || ($.eventName = \"CreateAccount\") || ($.eventName = "
	 "\"CreateOrganizationalUnit\") || ($.eventName = \"CreatePolicy\") || ($.eventName = "
	 "\"DeclineHandshake\") || ($.eventName = \"DeleteOrganization\") || ($.eventName = "
	 "\"DeleteOrganizationalUnit\") || ($.eventName = \"DeletePolicy\") || ($.eventName = "
	 "\"DetachPolicy\") || ($.eventName = \"DisablePolicyType\") || ($.eventName = "
	 "\"EnablePolicyType\") || ($.eventName = \"InviteAccountToOrganization\") || ($.eventName = "
	 "\"LeaveOrganization\") || ($.eventName = \"MoveAccount\") || ($.eventName = "
	 "\"RemoveAccountFromOrganization\") || ($.eventName = \"UpdatePolicy\") || ($.eventName = "
	 "\"UpdateOrganizationalUnit\")) }"},
};

#define NCIS (sizeof cis_filters / sizeof *cis_filters)

/* The same filters, decided independently: by hand over a cJSON tree,
 * with the event name lists typed again from the benchmark. A comparison
 * on an absent property is false, != included (AWS's behaviour). */
static const char *const cis_names[NCIS][20] = {
	[3] = {"DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy",
	       "PutRolePolicy", "PutUserPolicy", "CreatePolicy", "DeletePolicy",
	       "CreatePolicyVersion", "DeletePolicyVersion", "AttachRolePolicy", "DetachRolePolicy",
	       "AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy", "DetachGroupPolicy"},
	[4] = {"CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"},
	[6] = {"DisableKey", "ScheduleKeyDeletion"},
	[7] = {"PutBucketAcl", "PutBucketPolicy", "PutBucketCors", "PutBucketLifecycle",
	       "PutBucketReplication", "DeleteBucketPolicy", "DeleteBucketCors",
	       "DeleteBucketLifecycle", "DeleteBucketReplication"},
	[8] = {"StopConfigurationRecorder", "DeleteDeliveryChannel", "PutDeliveryChannel",
	       "PutConfigurationRecorder"},
	[9] = {"AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
	       "RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress", "CreateSecurityGroup",
	       "DeleteSecurityGroup"},
	[10] = {"CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl",
		"DeleteNetworkAclEntry", "ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation"},
	[11] = {"CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway",
		"CreateInternetGateway", "DeleteInternetGateway", "DetachInternetGateway"},
	[12] = {"CreateRoute", "CreateRouteTable", "ReplaceRoute", "ReplaceRouteTableAssociation",
		"DeleteRouteTable", "DeleteRoute", "DisassociateRouteTable"},
	[13] = {"CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "AcceptVpcPeeringConnection",
		"CreateVpcPeeringConnection", "DeleteVpcPeeringConnection",
		"RejectVpcPeeringConnection", "AttachClassicLinkVpc", "DetachClassicLinkVpc",
		"DisableVpcClassicLink", "EnableVpcClassicLink"},
	[14] = {"AcceptHandshake", "AttachPolicy", "CreateAccount", "CreateOrganizationalUnit",
		"CreatePolicy", "DeclineHandshake", "DeleteOrganization", "DeleteOrganizationalUnit",
		"DeletePolicy", "DetachPolicy", "DisablePolicyType", "EnablePolicyType",
		"InviteAccountToOrganization", "LeaveOrganization", "MoveAccount",
		"RemoveAccountFromOrganization", "UpdatePolicy", "UpdateOrganizationalUnit"},
};

/* The source each list filter also requires (NULL: none). */
static const char *const cis_source[NCIS] = {
	[6] = "kms.amazonaws.com", [7] = "s3.amazonaws.com", [8] = "config.amazonaws.com",
	[14] = "organizations.amazonaws.com",
};

/* The string at a dotted path of r, or NULL if absent or not a string. */
static const char *jstr(const cJSON *r, const char *path)
{
	char key[128];
	while (r && *path) {
		size_t k = strcspn(path, ".");
		snprintf(key, sizeof key, "%.*s", (int)k, path);
		r = cJSON_IsObject(r) ? cJSON_GetObjectItemCaseSensitive(r, key) : NULL;
		path += k + (path[k] == '.');
	}
	return cJSON_IsString(r) ? r->valuestring : NULL;
}

static int starts(const char *s, const char *p)
{
	return s && strncmp(s, p, strlen(p)) == 0;
}

static int ends(const char *s, const char *p)
{
	return s && strlen(s) >= strlen(p) && strcmp(s + strlen(s) - strlen(p), p) == 0;
}

static int eq(const char *s, const char *v)
{
	return s && strcmp(s, v) == 0;
}

static int ne(const char *s, const char *v)
{
	return s && strcmp(s, v) != 0;
}

static int cis_expect(size_t i, const cJSON *r)
{
	const char *en = jstr(r, "eventName");
	switch (i) {
	case 0:
		return ends(jstr(r, "errorCode"), "UnauthorizedOperation") ||
		       (starts(jstr(r, "errorCode"), "AccessDenied") &&
			ne(jstr(r, "sourceIPAddress"), "delivery.logs.amazonaws.com") &&
			ne(en, "HeadBucket"));
	case 1:
		return eq(en, "ConsoleLogin") && ne(jstr(r, "additionalEventData.MFAUsed"), "Yes") &&
		       eq(jstr(r, "userIdentity.type"), "IAMUser") &&
		       eq(jstr(r, "responseElements.ConsoleLogin"), "Success");
	case 2: {
		const cJSON *ui = cJSON_GetObjectItemCaseSensitive(r, "userIdentity");
		return eq(jstr(r, "userIdentity.type"), "Root") &&
		       cJSON_GetObjectItemCaseSensitive(ui, "invokedBy") == NULL &&
		       ne(jstr(r, "eventType"), "AwsServiceEvent");
	}
	case 5:
		return eq(en, "ConsoleLogin") && eq(jstr(r, "errorMessage"), "Failed authentication");
	default:
		break;
	}
	if (cis_source[i] && !eq(jstr(r, "eventSource"), cis_source[i]))
		return 0;
	for (size_t k = 0; k < 20 && cis_names[i][k]; k++)
		if (eq(en, cis_names[i][k]))
			return 1;
	return 0;
}

static void test_cis_compile(void **st)
{
	(void)st;
	for (size_t i = 0; i < NCIS; i++) {
		vg_cw *p = cw(cis_filters[i].pattern);
		assert_int_equal(vg_cw_kind(p), VG_CW_JSON);
		assert_false(vg_cw_matches_all(p));
		assert_int_equal(m(p, "{}"), 0);
		assert_int_equal(m(p, "ConsoleLogin AccessDenied Root"), 0);
		vg_cw_free(p);
	}
	assert_string_equal(cis_filters[14].id, "4.15");
}

/* Crafted events: each filter's own cases, then every event name of every
 * list filter against every filter, so each list is checked both ways. */
static void cis_check(size_t i, int want, const char *ev)
{
	vg_cw *p = cw(cis_filters[i].pattern);
	cJSON *j = cJSON_Parse(ev);
	assert_non_null(j);
	if (cis_expect(i, j) != want)
		fail_msg("CIS %s: the reference says %d on %s", cis_filters[i].id, !want, ev);
	if (m(p, ev) != want)
		fail_msg("CIS %s (%s) on %s: want %d", cis_filters[i].id, cis_filters[i].title, ev, want);
	cJSON_Delete(j);
	vg_cw_free(p);
}

static void test_cis_crafted(void **st)
{
	(void)st;
	static const struct {
		size_t i;
		int want;
		const char *ev;
	} c[] = {
		{0, 1, "{\"errorCode\":\"Client.UnauthorizedOperation\",\"eventName\":\"RunInstances\","
		       "\"sourceIPAddress\":\"198.51.100.7\"}"},
		{0, 1, "{\"errorCode\":\"AccessDenied\",\"eventName\":\"GetObject\","
		       "\"sourceIPAddress\":\"198.51.100.7\"}"},
		{0, 1, "{\"errorCode\":\"AccessDeniedException\",\"eventName\":\"ListKeys\","
		       "\"sourceIPAddress\":\"198.51.100.7\"}"},
		{0, 0, "{\"errorCode\":\"AccessDenied\",\"eventName\":\"HeadBucket\","
		       "\"sourceIPAddress\":\"198.51.100.7\"}"},
		{0, 0, "{\"errorCode\":\"AccessDenied\",\"eventName\":\"GetObject\","
		       "\"sourceIPAddress\":\"delivery.logs.amazonaws.com\"}"},
		/* && binds tighter: the first alternative stands alone. */
		{0, 1, "{\"errorCode\":\"Client.UnauthorizedOperation\",\"eventName\":\"HeadBucket\","
		       "\"sourceIPAddress\":\"delivery.logs.amazonaws.com\"}"},
		{0, 0, "{\"errorCode\":\"ThrottlingException\",\"eventName\":\"GetObject\","
		       "\"sourceIPAddress\":\"198.51.100.7\"}"},
		{0, 0, "{\"errorCode\":\"accessdenied\",\"eventName\":\"GetObject\","
		       "\"sourceIPAddress\":\"198.51.100.7\"}"},
		{0, 0, "{\"errorCode\":\"AccessDenied\"}"},
		{0, 0, "{\"eventName\":\"GetObject\"}"},
		{1, 1, "{\"eventName\":\"ConsoleLogin\",\"additionalEventData\":{\"MFAUsed\":\"No\"},"
		       "\"userIdentity\":{\"type\":\"IAMUser\"},\"responseElements\":{\"ConsoleLogin\":"
		       "\"Success\"}}"},
		{1, 0, "{\"eventName\":\"ConsoleLogin\",\"additionalEventData\":{\"MFAUsed\":\"Yes\"},"
		       "\"userIdentity\":{\"type\":\"IAMUser\"},\"responseElements\":{\"ConsoleLogin\":"
		       "\"Success\"}}"},
		{1, 0, "{\"eventName\":\"ConsoleLogin\",\"additionalEventData\":{\"MFAUsed\":\"No\"},"
		       "\"userIdentity\":{\"type\":\"AssumedRole\"},\"responseElements\":{"
		       "\"ConsoleLogin\":\"Success\"}}"},
		{1, 0, "{\"eventName\":\"ConsoleLogin\",\"additionalEventData\":{\"MFAUsed\":\"No\"},"
		       "\"userIdentity\":{\"type\":\"IAMUser\"},\"responseElements\":{\"ConsoleLogin\":"
		       "\"Failure\"}}"},
		{1, 0, "{\"eventName\":\"ConsoleLogin\",\"userIdentity\":{\"type\":\"IAMUser\"},"
		       "\"responseElements\":{\"ConsoleLogin\":\"Success\"}}"},
		{1, 0, "{\"eventName\":\"GetObject\",\"additionalEventData\":{\"MFAUsed\":\"No\"},"
		       "\"userIdentity\":{\"type\":\"IAMUser\"},\"responseElements\":{\"ConsoleLogin\":"
		       "\"Success\"}}"},
		{2, 1, "{\"userIdentity\":{\"type\":\"Root\",\"arn\":\"arn:aws:iam::111122223333:root\"},"
		       "\"eventType\":\"AwsApiCall\",\"eventName\":\"CreateUser\"}"},
		{2, 1, "{\"userIdentity\":{\"type\":\"Root\"},\"eventType\":\"AwsConsoleSignIn\"}"},
		{2, 0, "{\"userIdentity\":{\"type\":\"Root\",\"invokedBy\":\"support.amazonaws.com\"},"
		       "\"eventType\":\"AwsApiCall\"}"},
		{2, 0, "{\"userIdentity\":{\"type\":\"Root\"},\"eventType\":\"AwsServiceEvent\"}"},
		{2, 0, "{\"userIdentity\":{\"type\":\"IAMUser\"},\"eventType\":\"AwsApiCall\"}"},
		{2, 0, "{\"userIdentity\":{\"type\":\"Root\"}}"},
		{2, 0, "{\"userIdentity\":{\"type\":\"Root\",\"invokedBy\":null},"
		       "\"eventType\":\"AwsApiCall\"}"},
		{5, 1, "{\"eventName\":\"ConsoleLogin\",\"errorMessage\":\"Failed authentication\","
		       "\"responseElements\":{\"ConsoleLogin\":\"Failure\"}}"},
		{5, 0, "{\"eventName\":\"ConsoleLogin\",\"errorMessage\":\"Failed authentication!\"}"},
		{5, 0, "{\"eventName\":\"ConsoleLogin\",\"responseElements\":{\"ConsoleLogin\":"
		       "\"Success\"}}"},
		{5, 0, "{\"eventName\":\"GetObject\",\"errorMessage\":\"Failed authentication\"}"},
		{6, 0, "{\"eventSource\":\"kms.amazonaws.com\",\"eventName\":\"EnableKey\"}"},
		{7, 0, "{\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetBucketPolicy\"}"},
		{8, 0, "{\"eventSource\":\"config.amazonaws.com\",\"eventName\":"
		       "\"StartConfigurationRecorder\"}"},
		{9, 0, "{\"eventName\":\"DescribeSecurityGroups\"}"},
		{12, 0, "{\"eventName\":\"CreateRoutes\"}"},
		{13, 0, "{\"eventName\":\"createvpc\"}"},
		{14, 0, "{\"eventSource\":\"organizations.amazonaws.com\",\"eventName\":"
			"\"ListAccounts\"}"},
	};
	for (size_t k = 0; k < sizeof c / sizeof *c; k++)
		cis_check(c[k].i, c[k].want, c[k].ev);

	/* Every listed name, with and without its required source. */
	int hits[NCIS] = {0};
	for (size_t i = 0; i < NCIS; i++) {
		for (size_t k = 0; k < 20 && cis_names[i][k]; k++) {
			char ev[256];
			const char *src = cis_source[i] ? cis_source[i] : "ec2.amazonaws.com";
			snprintf(ev, sizeof ev, "{\"eventSource\":\"%s\",\"eventName\":\"%s\"}", src,
				 cis_names[i][k]);
			cJSON *j = cJSON_Parse(ev);
			for (size_t f = 0; f < NCIS; f++)
				cis_check(f, cis_expect(f, j) != 0, ev);
			cJSON_Delete(j);
			cis_check(i, 1, ev);
			hits[i]++;
			if (cis_source[i]) {
				snprintf(ev, sizeof ev, "{\"eventSource\":\"sts.amazonaws.com\","
					 "\"eventName\":\"%s\"}", cis_names[i][k]);
				cis_check(i, 0, ev);
			}
		}
	}
	int want_hits[NCIS] = {0, 0, 0, 16, 5, 0, 2, 9, 4, 6, 6, 6, 7, 11, 18};
	for (size_t i = 0; i < NCIS; i++)
		assert_int_equal(hits[i], want_hits[i]);
}

/* The byte extents of the objects in a JSON array of records, as they are
 * in the file: each becomes one log event's message. */
static size_t split_records(const char *s, size_t n, const char **at, size_t *len, size_t max)
{
	size_t nrec = 0, start = 0;
	int depth = 0, in_str = 0;
	for (size_t i = 0; i < n; i++) {
		if (in_str) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				in_str = 0;
			continue;
		}
		if (s[i] == '"')
			in_str = 1;
		else if (s[i] == '{' && depth++ == 1)
			start = i;
		else if (s[i] == '[' && depth++ == 0)
			continue;
		else if ((s[i] == '}' || s[i] == ']') && --depth == 1 && s[i] == '}' && nrec < max) {
			at[nrec] = s + start;
			len[nrec++] = i + 1 - start;
		}
	}
	return nrec;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Over every record of every file of the shared CloudTrail captures: each
 * filter matches exactly the records the independent reference picks,
 * both on the record's bytes as in the file and on cJSON's compact form;
 * and the totals are the ones counted by hand. */
static void test_cis_cloudtrail(void **st)
{
	(void)st;
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", shared_path("cloudtrail/stratus-red-team"));
	DIR *d = opendir(dir);
	assert_non_null(d);
	char *names[64];
	size_t nf = 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		if (strstr(e->d_name, ".json") && nf < 64)
			names[nf++] = strdup(e->d_name);
	closedir(d);
	qsort(names, nf, sizeof *names, cmp_str);
	assert_int_equal(nf, 12);

	vg_cw *pats[NCIS];
	for (size_t i = 0; i < NCIS; i++)
		pats[i] = cw(cis_filters[i].pattern);
	int total[NCIS] = {0};
	size_t nrecords = 0;
	for (size_t f = 0; f < nf; f++) {
		char path[4200];
		snprintf(path, sizeof path, "%s/%s", dir, names[f]);
		size_t len;
		char *buf = slurp(path, &len);
		assert_non_null(buf);
		cJSON *arr = cJSON_Parse(buf);
		assert_true(cJSON_IsArray(arr));
		const char *at[256];
		size_t rl[256];
		size_t n = split_records(buf, len, at, rl, 256);
		assert_int_equal(n, (size_t)cJSON_GetArraySize(arr));
		int got[NCIS] = {0}, want[NCIS] = {0};
		for (size_t r = 0; r < n; r++) {
			const cJSON *rec = cJSON_GetArrayItem(arr, (int)r);
			char *compact = cJSON_PrintUnformatted(rec);
			for (size_t i = 0; i < NCIS; i++) {
				int a = vg_cw_match(pats[i], at[r], rl[r]);
				int b = m(pats[i], compact);
				if (a != b)
					fail_msg("CIS %s on record %zu of %s: %d as filed, %d compact",
						 cis_filters[i].id, r, names[f], a, b);
				got[i] += a;
				want[i] += cis_expect(i, rec);
			}
			free(compact);
		}
		for (size_t i = 0; i < NCIS; i++) {
			if (got[i] != want[i])
				fail_msg("CIS %s over %s: %d matches, the reference counts %d",
					 cis_filters[i].id, names[f], got[i], want[i]);
			total[i] += got[i];
		}
		nrecords += n;
		cJSON_Delete(arr);
		free(buf);
		free(names[f]);
	}
	assert_int_equal(nrecords, 99);
	/* 4.1: 30 Client.UnauthorizedOperation + 2 AccessDenied AssumeRole
	 * (get-password-data), AccessDenied LeaveOrganization, the
	 * unauthorized RunInstances; 4.2: the console login without MFA;
	 * 4.4: AttachRolePolicy; 4.15: LeaveOrganization. */
	int want_total[NCIS] = {34, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	for (size_t i = 0; i < NCIS; i++) {
		if (total[i] != want_total[i])
			fail_msg("CIS %s over all captures: %d, want %d", cis_filters[i].id, total[i],
				 want_total[i]);
		vg_cw_free(pats[i]);
	}
}

/* ---------- threads ---------- */

typedef struct share {
	const vg_cw *p[3];
	const char *msg[3];
	int want[3];
	int bad;
} share;

static void *match_many(void *arg)
{
	share *s = arg;
	for (int n = 0; n < 2000; n++)
		for (int i = 0; i < 3; i++)
			if (vg_cw_match(s->p[i], s->msg[i], strlen(s->msg[i])) != s->want[i])
				__atomic_add_fetch(&s->bad, 1, __ATOMIC_RELAXED);
	return NULL;
}

/* One compiled pattern serves several threads at once. */
static void test_threads(void **st)
{
	(void)st;
	vg_cw *a = cw("{ $.errorCode = %^Access% && $.n > 3 }");
	vg_cw *b = cw("[..., action=%^REJ%, status]");
	vg_cw *c = cw("%Failed password for \\w+%");
	share s = {.p = {a, b, c},
		   .msg = {"{\"errorCode\": \"AccessDenied\", \"n\": 4}", "1 2 3 REJECT OK",
			   "sshd: Failed password for root"},
		   .want = {1, 1, 1}};
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, match_many, &s), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(s.bad, 0);
	vg_cw_free(a);
	vg_cw_free(b);
	vg_cw_free(c);
	vg_cw_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_terms),
		cmocka_unit_test(test_terms_optional),
		cmocka_unit_test(test_terms_everything),
		cmocka_unit_test(test_terms_quoting),
		cmocka_unit_test(test_terms_errors),
		cmocka_unit_test(test_regex),
		cmocka_unit_test(test_regex_errors),
		cmocka_unit_test(test_regex_limits),
		cmocka_unit_test(test_delim),
		cmocka_unit_test(test_delim_words),
		cmocka_unit_test(test_delim_fields),
		cmocka_unit_test(test_delim_many_fields),
		cmocka_unit_test(test_delim_vpcflow),
		cmocka_unit_test(test_delim_errors),
		cmocka_unit_test(test_json_doc),
		cmocka_unit_test(test_json_numbers),
		cmocka_unit_test(test_json_messages),
		cmocka_unit_test(test_json_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_required),
		cmocka_unit_test(test_required_sound),
		cmocka_unit_test(test_cis_compile),
		cmocka_unit_test(test_cis_crafted),
		cmocka_unit_test(test_cis_cloudtrail),
		cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
