/* test_geo.c — the IP → location resolver (query/geo.h): Debian's legacy
 * GeoIP country databases (answers checked against geoiplookup, from
 * geoip-bin, on this machine's geoip-database 20230203+really20191224),
 * tzdata's places for countries, reserved ranges (v4 and v6, with their
 * edges), NAT64, the cache (same answers, hits, eviction, two threads),
 * missing and wrong files, and the MaxMind DB path against small .mmdb
 * files this test writes itself (with mmdbw.h). */
#include "testutil.h"

#include <math.h>
#include <pthread.h>
#include <unistd.h>

#include "query/geo.h"
#include "util/ip.h"
#include "util/mem.h"

#include "mmdbw.h"

/* ---------- helpers ---------- */

static void ip_of(const char *s, uint8_t ip[16])
{
	if (vg_ip_parse(s, strlen(s), ip) != 0)
		fail_msg("not an address: %s", s);
}

static vg_geo *open_ok(const vg_geo_opts *o)
{
	vg_geo *g = NULL;
	vg_err e = {0};
	if (vg_geo_open(o, &g, &e) != 0)
		fail_msg("vg_geo_open: %s", e.msg);
	assert_non_null(g);
	return g;
}

static int look(const vg_geo *g, const char *addr, vg_geo_loc *loc)
{
	uint8_t ip[16];
	ip_of(addr, ip);
	return vg_geo_lookup(g, ip, loc);
}

static void str_is(vg_geo_str s, const char *want)
{
	if (want == NULL) {
		assert_null(s.s);
		assert_int_equal(s.len, 0);
		return;
	}
	assert_non_null(s.s);
	if (s.len != strlen(want) || memcmp(s.s, want, s.len) != 0)
		fail_msg("got <%.*s>, want <%s>", (int)s.len, s.s, want);
}

static void unknown(const vg_geo_loc *l)
{
	assert_false(l->found);
	assert_false(l->coarse);
	str_is(l->country, NULL);
	str_is(l->iso, NULL);
	str_is(l->city, NULL);
	str_is(l->region, NULL);
	str_is(l->asn_org, NULL);
	assert_true(isnan(l->lat) && isnan(l->lon));
	assert_int_equal(l->asn, 0);
}

/* The address resolves (legacy) to the country, at its tzdata place. */
static void country_is(const vg_geo *g, const char *addr, const char *iso, const char *name)
{
	vg_geo_loc l;
	if (look(g, addr, &l) != 1)
		fail_msg("%s: not found", addr);
	str_is(l.iso, iso);
	str_is(l.country, name);
	str_is(l.city, NULL);
	double lat, lon;
	assert_int_equal(vg_geo_country_coords(g, iso, &lat, &lon), 0);
	assert_true(l.lat == lat && l.lon == lon);
	assert_true(l.coarse);
}

/* ---------- legacy databases ---------- */

static void test_legacy_countries(void **state)
{
	(void)state;
	vg_geo *g = open_ok(NULL);
	country_is(g, "8.8.8.8", "US", "United States");
	country_is(g, "1.1.1.1", "AU", "Australia");
	country_is(g, "81.2.69.160", "GB", "United Kingdom");
	country_is(g, "::ffff:8.8.8.8", "US", "United States");
	country_is(g, "2001:4860:4860::8888", "US", "United States");
	country_is(g, "2a00:1450:4001::1", "DE", "Germany");
	/* NAT64: the embedded IPv4 address decides. */
	country_is(g, "64:ff9b::8.8.8.8", "US", "United States");
	/* UTF-8 names from libGeoIP's table. */
	country_is(g, "45.234.112.5", "CW", "Cura\xc3\xa7" "ao"); /* UTF-8 */
	vg_geo_close(g);
	vg_geo_close(NULL);
}

static void test_country_places(void **state)
{
	(void)state;
	vg_geo *g = open_ok(NULL);
	double lat, lon;
	/* One zone: its place (Europe/Berlin is Germany's first row, and the
	 * medoid of Berlin and Busingen is Berlin by the first-listed rule). */
	assert_int_equal(vg_geo_country_coords(g, "DE", &lat, &lon), 0);
	assert_true(fabs(lat - 52.5) < 1e-9 && fabs(lon - (13 + 22 / 60.0)) < 1e-9);
	assert_int_equal(vg_geo_country_coords(g, "gb", &lat, &lon), 0); /* either case */
	assert_true(fabs(lat - (51 + 30.0 / 60 + 30.0 / 3600)) < 1e-9);  /* +513030 */
	/* Large countries get a mainland place, not their first row. */
	assert_int_equal(vg_geo_country_coords(g, "AU", &lat, &lon), 0);
	assert_true(lat < -25 && lat > -40 && lon > 135 && lon < 150);
	assert_int_equal(vg_geo_country_coords(g, "US", &lat, &lon), 0);
	assert_true(lat > 30 && lat < 50 && lon > -110 && lon < -85);
	assert_int_equal(vg_geo_country_coords(g, "BR", &lat, &lon), 0);
	assert_true(lat > -20 && lat < 0 && lon > -60 && lon < -40);
	assert_int_equal(vg_geo_country_coords(g, "XX", &lat, &lon), VG_ENOTFOUND);
	assert_int_equal(vg_geo_country_coords(g, "U", &lat, &lon), VG_ENOTFOUND);
	assert_int_equal(vg_geo_country_coords(g, "USA", &lat, &lon), VG_ENOTFOUND);
	assert_int_equal(vg_geo_country_coords(g, "1A", &lat, &lon), VG_ENOTFOUND);
	vg_geo_close(g);
}

static void write_text(const char *path, const char *text, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, n, f), n);
	fclose(f);
}

static void test_zonetab_parsing(void **state)
{
	(void)state;
	char dir[] = "/tmp/vg_geo_XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof path, "%s/zone1970.tab", dir);
	/* zone1970 style: several codes per row; seconds; bad rows skipped.
	 * Country QQ: three places; the middle one is the medoid. */
	const char tab[] = "# comment\n"
			   "AE,OM\t+2518+05518\tAsia/Dubai\n"
			   "QQ\t+1000+01000\tA/West\n"
			   "QQ\t+1000+02000\tA/Mid\n"
			   "QQ\t+1000+03000\tA/East\n"
			   "ZZ\t-101530-0203045\tZ/Sec\n"
			   "YY\tgarbage\tY/Bad\n"
			   "Y\t+1000+01000\tY/Short\n"
			   "NN\t+10+010\tN/Short\n";
	write_text(path, tab, sizeof tab - 1);
	vg_geo_opts o = {.zonetab = path};
	vg_geo *g = open_ok(&o);
	double lat, lon;
	assert_int_equal(vg_geo_country_coords(g, "OM", &lat, &lon), 0);
	assert_true(fabs(lon - (55 + 18 / 60.0)) < 1e-9);
	assert_int_equal(vg_geo_country_coords(g, "QQ", &lat, &lon), 0);
	assert_true(lat == 10 && lon == 20);
	assert_int_equal(vg_geo_country_coords(g, "ZZ", &lat, &lon), 0);
	assert_true(fabs(lat + (10 + 15 / 60.0 + 30 / 3600.0)) < 1e-9);
	assert_true(fabs(lon + (20 + 30 / 60.0 + 45 / 3600.0)) < 1e-9);
	assert_int_equal(vg_geo_country_coords(g, "YY", &lat, &lon), VG_ENOTFOUND);
	assert_int_equal(vg_geo_country_coords(g, "NN", &lat, &lon), VG_ENOTFOUND);
	/* A country tzdata does not list keeps NaN coordinates. */
	vg_geo_loc l;
	assert_int_equal(look(g, "8.8.8.8", &l), 1);
	str_is(l.iso, "US");
	assert_true(isnan(l.lat) && !l.coarse);
	vg_geo_close(g);
	/* A table without a single usable row is an error. */
	write_text(path, "# nothing\nXX\tbad\n", 17);
	vg_geo *bad = (vg_geo *)&bad;
	vg_err e = {0};
	assert_int_equal(vg_geo_open(&o, &bad, &e), VG_ECORRUPT);
	assert_null(bad);
	char want[256];
	snprintf(want, sizeof want, "zone table %s lists no country with coordinates", path);
	assert_string_equal(e.msg, want);
	unlink(path);
	rmdir(dir);
}

/* ---------- reserved ranges ---------- */

static void test_reserved(void **state)
{
	(void)state;
	static const char *const reserved[] = {
		"0.0.0.0", "0.255.255.255", "10.0.0.0", "10.255.255.255", "100.64.0.0",
		"100.127.255.255", "127.0.0.1", "169.254.1.1", "172.16.0.0", "172.31.255.255",
		"192.0.0.9", "192.0.2.1", "192.168.0.1", "192.168.255.255", "198.18.0.0",
		"198.19.255.255", "198.51.100.7", "203.0.113.12", "224.0.0.1", "239.255.255.250",
		"240.0.0.1", "255.255.255.255", "::", "::1", "::10.1.2.3", "0:1::", "100::1",
		"100::ffff:ffff:ffff:ffff", "2001:2::1", "2001:db8::1",
		"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "3fff::1", "3fff:fff:ffff::1",
		"fc00::1", "fdff:ffff::1", "fe80::1", "febf::1", "fec0::1", "feff::1", "ff02::1",
		"64:ff9b::10.0.0.1", "64:ff9b::192.168.1.1", "::ffff:10.1.2.3",
	};
	static const char *const routed[] = {
		"1.0.0.1", "9.255.255.255", "11.0.0.0", "100.63.255.255", "100.128.0.0",
		"126.255.255.255", "128.0.0.1", "169.253.255.255", "169.255.0.0",
		"172.15.255.255", "172.32.0.0", "192.0.1.1", "192.0.3.1", "192.167.255.255",
		"192.169.0.0", "198.17.255.255", "198.20.0.0", "198.51.99.1", "198.51.101.1",
		"203.0.112.255", "203.0.114.0", "223.255.255.255", "8.8.8.8",
		"64:ff9b::8.8.8.8", "100:0:0:1::", "2001:3::1", "2001:db7:ffff::1",
		"2001:db9::", "3fff:1000::", "2a00:1450:4001::1", "fbff::1", "fe00::1",
		"fe7f::1",
	};
	vg_geo *g = open_ok(NULL);
	for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++) {
		uint8_t ip[16];
		ip_of(reserved[i], ip);
		if (!vg_geo_reserved(ip))
			fail_msg("%s should be reserved", reserved[i]);
		vg_geo_loc l;
		l.found = 9;
		assert_int_equal(vg_geo_lookup(g, ip, &l), 0);
		unknown(&l);
	}
	for (size_t i = 0; i < sizeof routed / sizeof *routed; i++) {
		uint8_t ip[16];
		ip_of(routed[i], ip);
		if (vg_geo_reserved(ip))
			fail_msg("%s should not be reserved", routed[i]);
	}
	vg_geo_close(g);
}

/* ---------- cache ---------- */

/* A deterministic spread of public and private addresses. */
static void nth_addr(uint32_t i, uint8_t ip[16])
{
	uint32_t x = i * 2654435761u + 0x9e3779b9u;
	x ^= x >> 15;
	memset(ip, 0, 16);
	if (i % 5 == 4) {
		static const uint8_t pfx[][4] = {{0x20, 0x01, 0x48, 0x60}, {0x2a, 0x00, 0x14, 0x50},
						 {0x24, 0x04, 0x68, 0x00}, {0xfd, 0x00, 0, 0}};
		memcpy(ip, pfx[x % 4], 4);
		memcpy(ip + 12, &x, 4);
		return;
	}
	ip[10] = ip[11] = 0xff;
	memcpy(ip + 12, &x, 4);
}

static void same_loc(const vg_geo_loc *a, const vg_geo_loc *b)
{
	assert_int_equal(a->found, b->found);
	assert_int_equal(a->coarse, b->coarse);
	assert_ptr_equal(a->country.s, b->country.s);
	assert_ptr_equal(a->iso.s, b->iso.s);
	assert_int_equal(a->country.len, b->country.len);
	assert_true((isnan(a->lat) && isnan(b->lat)) || a->lat == b->lat);
	assert_true((isnan(a->lon) && isnan(b->lon)) || a->lon == b->lon);
	assert_int_equal(a->asn, b->asn);
}

static void test_cache(void **state)
{
	(void)state;
	vg_geo *g = open_ok(NULL);
	vg_geo_cache *c = vg_geo_cache_new(g, 0);
	uint64_t hits, misses;
	/* 3000 distinct addresses, each asked 5 times. */
	for (int round = 0; round < 5; round++) {
		for (uint32_t i = 0; i < 3000; i++) {
			uint8_t ip[16];
			nth_addr(i, ip);
			vg_geo_loc a, b;
			int ra = vg_geo_lookup(g, ip, &a);
			int rb = vg_geo_cache_lookup(c, ip, &b);
			assert_int_equal(ra, rb);
			same_loc(&a, &b);
		}
	}
	vg_geo_cache_stats(c, &hits, &misses);
	assert_int_equal(hits + misses, 15000);
	/* 4096 entries hold all 3000: one miss each. */
	assert_int_equal(misses, 3000);
	assert_int_equal(hits, 12000);
	vg_geo_cache_free(c);
	/* A tiny cache evicts all the time and still answers the same. */
	c = vg_geo_cache_new(g, 1);
	for (uint32_t i = 0; i < 2000; i++) {
		uint8_t ip[16];
		nth_addr(i % 50, ip);
		vg_geo_loc a, b;
		assert_int_equal(vg_geo_lookup(g, ip, &a), vg_geo_cache_lookup(c, ip, &b));
		same_loc(&a, &b);
	}
	vg_geo_cache_stats(c, &hits, &misses);
	assert_true(misses > 1000);
	vg_geo_cache_free(c);
	vg_geo_cache_free(NULL);
	vg_geo_close(g);
}

typedef struct worker {
	const vg_geo *g;
	uint32_t from;
	int bad;
} worker;

static void *work(void *arg)
{
	worker *w = arg;
	vg_geo_cache *c = vg_geo_cache_new(w->g, 1024);
	for (uint32_t i = 0; i < 20000; i++) {
		uint8_t ip[16];
		nth_addr(w->from + i % 4000, ip);
		vg_geo_loc a, b;
		int ra = vg_geo_lookup(w->g, ip, &a);
		int rb = vg_geo_cache_lookup(c, ip, &b);
		if (ra != rb || a.country.s != b.country.s || a.iso.s != b.iso.s)
			w->bad++;
	}
	vg_geo_cache_free(c);
	return NULL;
}

static void test_threads(void **state)
{
	(void)state;
	vg_geo *g = open_ok(NULL);
	worker w[2] = {{g, 0, 0}, {g, 1000, 0}};
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(w[0].bad + w[1].bad, 0);
	vg_geo_close(g);
}

/* ---------- missing and wrong files ---------- */

static void open_bad(const vg_geo_opts *o, int code, const char *msg)
{
	vg_geo *g = (vg_geo *)&g;
	vg_err e = {0};
	int rc = vg_geo_open(o, &g, &e);
	if (rc != code || g != NULL || strcmp(e.msg, msg) != 0)
		fail_msg("got %d <%s>, want %d <%s>", rc, e.msg, code, msg);
}

static void test_missing_files(void **state)
{
	(void)state;
	vg_geo_opts o = {.legacy_v4 = "/nonexistent/GeoIP.dat"};
	open_bad(&o, VG_ENOTFOUND,
		 "GeoIP database /nonexistent/GeoIP.dat is missing: install the Debian package "
		 "geoip-database");
	o = (vg_geo_opts){.legacy_v6 = "/nonexistent/GeoIPv6.dat"};
	open_bad(&o, VG_ENOTFOUND,
		 "GeoIP database /nonexistent/GeoIPv6.dat is missing: install the Debian "
		 "package geoip-database");
	o = (vg_geo_opts){.mmdb_city = "/nonexistent/GeoLite2-City.mmdb"};
	open_bad(&o, VG_ENOTFOUND,
		 "MaxMind database /nonexistent/GeoLite2-City.mmdb is missing: download it from "
		 "MaxMind (Debian's geoipupdate package, in contrib, does so with a MaxMind "
		 "account), or leave it unset to use Debian's geoip-database");
	o = (vg_geo_opts){.mmdb_asn = "/nonexistent/GeoLite2-ASN.mmdb"};
	open_bad(&o, VG_ENOTFOUND,
		 "MaxMind ASN database /nonexistent/GeoLite2-ASN.mmdb is missing: download "
		 "GeoLite2-ASN from MaxMind (Debian's geoipupdate package, in contrib, does so "
		 "with a MaxMind account), or leave it unset to go without AS numbers (no Debian "
		 "package has them: geoip-database holds countries only, and "
		 "geoip-database-extra, which had the legacy ASN edition, left Debian in 2019)");
	o = (vg_geo_opts){.zonetab = "/nonexistent/zone.tab"};
	open_bad(&o, VG_ENOTFOUND,
		 "zone table /nonexistent/zone.tab is missing (Debian's package tzdata provides "
		 "/usr/share/zoneinfo/zone.tab)");
	o = (vg_geo_opts){.legacy_v4 = "/usr/share/GeoIP"};
	open_bad(&o, VG_EIO, "GeoIP database /usr/share/GeoIP is not a regular file");
	/* The other family's file. */
	o = (vg_geo_opts){.legacy_v4 = VG_GEO_LEGACY_V6};
	open_bad(&o, VG_ECORRUPT,
		 "/usr/share/GeoIP/GeoIPv6.dat is not a GeoIP IPv4 country database (edition 12, "
		 "want 1)");
	/* Not a database at all. */
	char path[] = "/tmp/vg_geo_junk_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "just some text, not a database\n", 31), 31);
	close(fd);
	o = (vg_geo_opts){.mmdb_city = path};
	vg_geo *g = (vg_geo *)&g;
	vg_err e = {0};
	assert_int_equal(vg_geo_open(&o, &g, &e), VG_ECORRUPT);
	assert_null(g);
	char want[256];
	snprintf(want, sizeof want, "%s is not a readable MaxMind database: ", path);
	assert_memory_equal(e.msg, want, strlen(want)); /* then libmaxminddb's reason */
	assert_true(strlen(e.msg) > strlen(want));
	/* libGeoIP would take it for a country database. */
	o = (vg_geo_opts){.legacy_v4 = path};
	snprintf(want, sizeof want,
		 "%s is not a GeoIP database (it has no database information)", path);
	open_bad(&o, VG_ECORRUPT, want);
	/* Empty files (libGeoIP itself crashes on one). */
	assert_int_equal(truncate(path, 0), 0);
	snprintf(want, sizeof want, "GeoIP database %s is empty", path);
	open_bad(&o, VG_ECORRUPT, want);
	o = (vg_geo_opts){.mmdb_city = path};
	snprintf(want, sizeof want, "MaxMind database %s is empty", path);
	open_bad(&o, VG_ECORRUPT, want);
	unlink(path);
}

/* ---------- MaxMind DB ---------- */

/* A City database: a full record for 8.8.8.0/24 and 2001:4860::/32; a
 * country-only one for 81.2.69.0/24; a registered_country-only one for
 * 1.1.1.0/24; a record without any known key for 9.9.9.0/24. */
static void write_city(const char *path, const char *type)
{
	vg_buf d = {0};
	mtree t = {0};
	uint32_t full = (uint32_t)d.len;
	ctrl(&d, T_MAP, 4);
	m_str(&d, "city");
	m_names(&d, "Mountain View");
	m_str(&d, "country");
	m_country(&d, "US", "United States");
	m_str(&d, "location");
	ctrl(&d, T_MAP, 2);
	m_str(&d, "latitude");
	m_dbl(&d, 37.386);
	m_str(&d, "longitude");
	m_dbl(&d, -122.0838);
	m_str(&d, "subdivisions");
	ctrl(&d, T_ARRAY, 1);
	m_names(&d, "California");
	uint32_t gb = (uint32_t)d.len;
	ctrl(&d, T_MAP, 1);
	m_str(&d, "country");
	m_country(&d, "GB", "United Kingdom");
	uint32_t reg = (uint32_t)d.len;
	ctrl(&d, T_MAP, 1);
	m_str(&d, "registered_country");
	m_country(&d, "AU", "Australia");
	uint32_t empty = (uint32_t)d.len;
	ctrl(&d, T_MAP, 1);
	m_str(&d, "other");
	m_str(&d, "x");
	tree_net(&t, "8.8.8.0", 24, full);
	tree_net(&t, "2001:4860::", 32, full);
	tree_net(&t, "81.2.69.0", 24, gb);
	tree_net(&t, "1.1.1.0", 24, reg);
	tree_net(&t, "9.9.9.0", 24, empty);
	mmdb_write(path, &t, &d, type);
	free(t.n);
	vg_buf_free(&d);
}

static void write_asn(const char *path)
{
	vg_buf d = {0};
	mtree t = {0};
	ctrl(&d, T_MAP, 2);
	m_str(&d, "autonomous_system_number");
	m_uint(&d, T_U32, 15169);
	m_str(&d, "autonomous_system_organization");
	m_str(&d, "GOOGLE");
	uint32_t cf = (uint32_t)d.len;
	ctrl(&d, T_MAP, 1);
	m_str(&d, "autonomous_system_number");
	m_uint(&d, T_U32, 13335);
	tree_net(&t, "8.8.8.0", 24, 0);
	tree_net(&t, "2001:4860::", 32, 0);
	tree_net(&t, "1.1.1.0", 24, cf);
	mmdb_write(path, &t, &d, "GeoLite2-ASN");
	free(t.n);
	vg_buf_free(&d);
}

static void test_mmdb(void **state)
{
	(void)state;
	char dir[] = "/tmp/vg_geo_XXXXXX";
	assert_non_null(mkdtemp(dir));
	char city[128], asn[128];
	snprintf(city, sizeof city, "%s/city.mmdb", dir);
	snprintf(asn, sizeof asn, "%s/asn.mmdb", dir);
	write_city(city, "vigil-Test-City");
	write_asn(asn);
	vg_geo_opts o = {.mmdb_city = city, .mmdb_asn = asn};
	vg_geo *g = open_ok(&o);
	vg_geo_loc l;
	assert_int_equal(look(g, "8.8.8.8", &l), 1);
	str_is(l.country, "United States");
	str_is(l.iso, "US");
	str_is(l.city, "Mountain View");
	str_is(l.region, "California");
	assert_true(l.lat == 37.386 && l.lon == -122.0838 && !l.coarse);
	assert_int_equal(l.asn, 15169);
	str_is(l.asn_org, "GOOGLE");
	/* The same record through IPv6 and through IPv4-mapped input. */
	assert_int_equal(look(g, "2001:4860:4860::8888", &l), 1);
	str_is(l.city, "Mountain View");
	assert_int_equal(l.asn, 15169);
	/* Country only: coordinates from tzdata, flagged coarse. */
	assert_int_equal(look(g, "81.2.69.160", &l), 1);
	str_is(l.country, "United Kingdom");
	str_is(l.city, NULL);
	str_is(l.region, NULL);
	double lat, lon;
	assert_int_equal(vg_geo_country_coords(g, "GB", &lat, &lon), 0);
	assert_true(l.lat == lat && l.lon == lon && l.coarse);
	assert_int_equal(l.asn, 0);
	/* Only the registrant's country; an AS number without organisation. */
	assert_int_equal(look(g, "1.1.1.1", &l), 1);
	str_is(l.country, "Australia");
	str_is(l.iso, "AU");
	assert_int_equal(l.asn, 13335);
	str_is(l.asn_org, NULL);
	/* A record with nothing we read, and addresses in no record. */
	assert_int_equal(look(g, "9.9.9.9", &l), 0);
	unknown(&l);
	assert_int_equal(look(g, "5.5.5.5", &l), 0);
	unknown(&l);
	assert_int_equal(look(g, "2a00:1450::1", &l), 0);
	unknown(&l);
	/* Reserved ranges never reach the database. */
	assert_int_equal(look(g, "10.8.8.8", &l), 0);
	unknown(&l);
	/* Strings point into the database and stay put through a cache. */
	vg_geo_cache *c = vg_geo_cache_new(g, 16);
	uint8_t ip[16];
	ip_of("8.8.4.4", ip);
	vg_geo_loc a, b;
	assert_int_equal(vg_geo_cache_lookup(c, ip, &a), 0);
	ip_of("8.8.8.9", ip);
	assert_int_equal(vg_geo_cache_lookup(c, ip, &a), 1);
	assert_int_equal(vg_geo_cache_lookup(c, ip, &b), 1);
	assert_ptr_equal(a.city.s, b.city.s);
	vg_geo_cache_free(c);
	vg_geo_close(g);
	/* Without a zone table, a .mmdb still opens; countries without
	 * coordinates then have none. */
	o.zonetab = "/nonexistent/zone.tab";
	g = open_ok(&o);
	assert_int_equal(look(g, "81.2.69.160", &l), 1);
	assert_true(isnan(l.lat) && !l.coarse);
	vg_geo_close(g);
	/* The two kinds swapped. */
	o = (vg_geo_opts){.mmdb_city = asn};
	char want[300];
	snprintf(want, sizeof want,
		 "%s is a GeoLite2-ASN database, not a City or Country database (GeoLite2-City)",
		 asn);
	open_bad(&o, VG_ECORRUPT, want);
	o = (vg_geo_opts){.mmdb_city = city, .mmdb_asn = city};
	snprintf(want, sizeof want,
		 "%s is a vigil-Test-City database, not an ASN database (GeoLite2-ASN)", city);
	open_bad(&o, VG_ECORRUPT, want);
	/* A search tree pointing past the data: lookups fail, uncached. */
	write_city(city, "vigil-Test-City");
	FILE *f = fopen(city, "r+b");
	assert_non_null(f);
	assert_int_equal(fwrite("\xff\xff\xff\x00", 1, 4, f), 4); /* root's left record */
	fclose(f);
	o = (vg_geo_opts){.mmdb_city = city};
	g = open_ok(&o);
	l.found = 7;
	assert_int_equal(look(g, "8.8.8.8", &l), VG_ECORRUPT);
	c = vg_geo_cache_new(g, 16);
	ip_of("8.8.8.8", ip);
	assert_int_equal(vg_geo_cache_lookup(c, ip, &l), VG_ECORRUPT);
	assert_int_equal(vg_geo_cache_lookup(c, ip, &l), VG_ECORRUPT);
	uint64_t hits, misses;
	vg_geo_cache_stats(c, &hits, &misses);
	assert_true(hits == 0 && misses == 2);
	vg_geo_cache_free(c);
	vg_geo_close(g);
	/* A real GeoLite2 file is used when one is installed. */
	const char *real = getenv("VIGIL_TEST_MMDB");
	if (real && access(real, R_OK) == 0) {
		o = (vg_geo_opts){.mmdb_city = real};
		g = open_ok(&o);
		assert_int_equal(look(g, "8.8.8.8", &l), 1);
		str_is(l.iso, "US");
		vg_geo_close(g);
	}
	unlink(city);
	unlink(asn);
	rmdir(dir);
}

/* ---------- geostats bins ---------- */

static void bin_is(double lat, double lon, double sl, double sg, int y, int x, double clat,
		   double clon, const char *name)
{
	vg_geobin b;
	assert_int_equal(vg_geo_bin(lat, lon, sl, sg, &b), 0);
	if (b.y != y || b.x != x || fabs(b.lat - clat) > 1e-9 || fabs(b.lon - clon) > 1e-9)
		fail_msg("(%g, %g): got y %d x %d (%g, %g), want y %d x %d (%g, %g)", lat, lon,
			 b.y, b.x, b.lat, b.lon, y, x, clat, clon);
	char buf[64];
	size_t n = vg_geo_bin_name(&b, buf, sizeof buf);
	assert_string_equal(buf, name);
	assert_int_equal(n, strlen(name));
}

static void test_geobin(void **state)
{
	(void)state;
	const double SL = VG_GEO_BINSPANLAT, SG = VG_GEO_BINSPANLONG;
	bin_is(0, 0, SL, SG, 4, 4, 11.25, 22.5, "bin_id_zl_0_y_4_x_4");
	bin_is(37.386, -122.08, SL, SG, 5, 1, 22.5 + 11.25, -135 + 22.5, "bin_id_zl_0_y_5_x_1");
	bin_is(-90, -180, SL, SG, 0, 0, -78.75, -157.5, "bin_id_zl_0_y_0_x_0");
	bin_is(90, 180, SL, SG, 7, 7, 78.75, 157.5, "bin_id_zl_0_y_7_x_7");
	bin_is(-0.0001, 44.9999, SL, SG, 3, 4, -11.25, 22.5, "bin_id_zl_0_y_3_x_4");
	/* A span that does not divide the map: the last cell is narrower
	 * and its centre is the centre of its part. */
	bin_is(89, 179, 50, 100, 3, 3, 75, 150, "bin_id_zl_0_y_3_x_3");
	bin_is(60, 0, 50, 100, 3, 1, 75, -30, "bin_id_zl_0_y_3_x_1");
	/* One cell for the world. */
	bin_is(12, 34, 180, 360, 0, 0, 0, 0, "bin_id_zl_0_y_0_x_0");
	/* Fine grids. */
	bin_is(52.52, 13.405, 0.5, 0.5, 285, 386, 52.75, 13.25, "bin_id_zl_0_y_285_x_386");
	vg_geobin b = {-1, -1, 0, 0};
	const double bad[][4] = {
		{NAN, 0, SL, SG},  {0, NAN, SL, SG},   {90.0001, 0, SL, SG}, {-91, 0, SL, SG},
		{0, 180.5, SL, SG}, {0, -181, SL, SG}, {0, 0, 0, SG},        {0, 0, SL, 0},
		{0, 0, -1, SG},    {0, 0, 181, SG},    {0, 0, SL, 361},      {0, 0, 1e-9, SG},
		{0, 0, NAN, SG},   {0, 0, SL, INFINITY}, {INFINITY, 0, SL, SG},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_equal(vg_geo_bin(bad[i][0], bad[i][1], bad[i][2], bad[i][3], &b),
				 VG_EINVAL);
		assert_int_equal(b.y, -1);
	}
	/* The smallest span keeps indexes in range. */
	assert_int_equal(vg_geo_bin(90, 180, VG_GEO_MINSPAN, VG_GEO_MINSPAN, &b), 0);
	assert_int_equal(b.y, 179999999);
	assert_int_equal(b.x, 359999999);
	/* Names are cut to the buffer, NUL-terminated. */
	char small[8];
	assert_int_equal(vg_geo_bin_name(&b, small, sizeof small), 7);
	assert_string_equal(small, "bin_id_");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_legacy_countries),
		cmocka_unit_test(test_country_places),
		cmocka_unit_test(test_zonetab_parsing),
		cmocka_unit_test(test_reserved),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_missing_files),
		cmocka_unit_test(test_mmdb),
		cmocka_unit_test(test_geobin),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
