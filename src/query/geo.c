/*
 * geo.c — the IP → location resolver of geo.h.
 *
 * Three parts, each small:
 *
 *  - the sources: a .mmdb (libmaxminddb, mmap'd) answers with a map per
 *    network, read here by path ("country" → "names" → "en"); the legacy
 *    GeoIP.dat / GeoIPv6.dat answer with a country id, which indexes a
 *    table of names built once at open (libGeoIP's UTF-8 names);
 *  - the country places: zone.tab is read once into a 26 x 26 table by
 *    ISO code, each country holding the medoid of its listed places (see
 *    geo.h for why the medoid and not the first row);
 *  - the cache: a set-associative array of answers keyed by the 16 bytes
 *    of the address, per thread, so a query that resolves a million rows
 *    holding a few thousand addresses asks the databases a few thousand
 *    times.
 *
 * Reserved ranges are tested before any source, so a private address
 * never reaches a database (some legacy builds map parts of them to "--"
 * or to a country, which would put a company's own network on the map).
 */
#include "query/geo.h"

#include <GeoIP.h>
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "util/ip.h"
#include "util/mem.h"

#define NCC (26 * 26)          /* two-letter country codes */
#define MAX_ZONE_ROWS 4096     /* zone.tab has ~420 rows; bound the read */
#define MAX_ZONETAB (1u << 20) /* bytes */

typedef struct ccplace {
	double lat, lon;
	uint8_t has;
} ccplace;

struct vg_geo {
	MMDB_s city;
	MMDB_s asn;
	uint8_t has_city, has_asn;
	GeoIP *v4, *v6;
	vg_geo_str *names;      /* legacy country id → UTF-8 name */
	uint32_t nnames;
	ccplace places[NCC];
	uint8_t has_places;
};

/* ------------------------------------------------------------ reserved */

typedef struct range6 {
	uint8_t pfx[16];
	uint8_t bits;
} range6;

/* IPv4 ranges as (network, prefix length) over 32 bits. */
static const struct {
	uint32_t net;
	uint8_t bits;
} reserved4[] = {
	{0x00000000u, 8},  {0x0a000000u, 8},  {0x64400000u, 10}, {0x7f000000u, 8},
	{0xa9fe0000u, 16}, {0xac100000u, 12}, {0xc0000000u, 24}, {0xc0000200u, 24},
	{0xc0a80000u, 16}, {0xc6120000u, 15}, {0xc6336400u, 24}, {0xcb007100u, 24},
	{0xe0000000u, 4},  {0xf0000000u, 4},
};

static const range6 reserved6[] = {
	{{0x01, 0x00}, 64},              /* 100::/64 discard */
	{{0x20, 0x01, 0x00, 0x02}, 48},  /* benchmarking */
	{{0x20, 0x01, 0x0d, 0xb8}, 32},  /* documentation */
	{{0x3f, 0xff}, 20},              /* documentation (RFC 9637) */
	{{0xfc}, 7},                     /* unique local */
	{{0xfe, 0x80}, 10},              /* link-local */
	{{0xfe, 0xc0}, 10},              /* site-local (deprecated) */
	{{0xff}, 8},                     /* multicast */
};

static const uint8_t nat64[12] = {0x00, 0x64, 0xff, 0x9b};

/* 1 if the first `bits` bits of a and b agree. */
static int prefix_eq(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	if (memcmp(a, b, whole) != 0)
		return 0;
	if (rest == 0)
		return 1;
	uint8_t m = (uint8_t)(0xffu << (8 - rest));
	return (a[whole] & m) == (b[whole] & m);
}

static uint32_t v4num(const uint8_t ip[16])
{
	return (uint32_t)ip[12] << 24 | (uint32_t)ip[13] << 16 | (uint32_t)ip[14] << 8 | ip[15];
}

static int reserved_v4(uint32_t a)
{
	for (size_t i = 0; i < sizeof reserved4 / sizeof *reserved4; i++) {
		uint32_t mask = ~0u << (32 - reserved4[i].bits);
		if ((a & mask) == reserved4[i].net)
			return 1;
	}
	return 0;
}

int vg_geo_reserved(const uint8_t ip[16])
{
	if (vg_ip_is4(ip))
		return reserved_v4(v4num(ip));
	if (ip[0] == 0)
		return !prefix_eq(ip, nat64, 96) || reserved_v4(v4num(ip));
	for (size_t i = 0; i < sizeof reserved6 / sizeof *reserved6; i++)
		if (prefix_eq(ip, reserved6[i].pfx, reserved6[i].bits))
			return 1;
	return 0;
}

/* ------------------------------------------------------------ zone.tab */

/* Index of a two-letter code (either case) in places, or -1. */
static int cc_index(const char *s)
{
	int a = s[0] | 0x20, b = s[0] ? s[1] | 0x20 : 0;
	if (a < 'a' || a > 'z' || b < 'a' || b > 'z')
		return -1;
	return (a - 'a') * 26 + (b - 'a');
}

/* Parse one ISO 6709 component: a sign, then `deg` digits of degrees and
 * 2 of minutes, optionally 2 of seconds. Advances *p. Returns 0 or -1. */
static int parse_dms(const char **p, int deg, double *out)
{
	const char *s = *p;
	int sign = *s == '-' ? -1 : *s == '+' ? 1 : 0;
	if (sign == 0)
		return -1;
	s++;
	int n = 0;
	while (s[n] >= '0' && s[n] <= '9')
		n++;
	if (n != deg + 2 && n != deg + 4)
		return -1;
	double v = 0;
	for (int i = 0; i < deg; i++)
		v = v * 10 + (s[i] - '0');
	double min = (s[deg] - '0') * 10 + (s[deg + 1] - '0');
	double sec = n == deg + 4 ? (s[deg + 2] - '0') * 10 + (s[deg + 3] - '0') : 0;
	*out = sign * (v + min / 60 + sec / 3600);
	*p = s + n;
	return 0;
}

typedef struct zrow {
	int cc;
	double lat, lon;
} zrow;

/* Great-circle angle between two points, in radians (haversine). */
static double arc(double lat1, double lon1, double lat2, double lon2)
{
	const double r = M_PI / 180;
	double dlat = (lat2 - lat1) * r, dlon = (lon2 - lon1) * r;
	double h = sin(dlat / 2) * sin(dlat / 2) +
		   cos(lat1 * r) * cos(lat2 * r) * sin(dlon / 2) * sin(dlon / 2);
	return 2 * asin(sqrt(h < 1 ? h : 1));
}

/* Set places[cc] to the medoid of the rows of country cc (rows in file
 * order; the first of equal sums wins). */
static void place_medoid(ccplace *pl, const zrow *rows, size_t n, int cc)
{
	double best = INFINITY;
	for (size_t i = 0; i < n; i++) {
		if (rows[i].cc != cc)
			continue;
		double sum = 0;
		for (size_t j = 0; j < n; j++)
			if (rows[j].cc == cc)
				sum += arc(rows[i].lat, rows[i].lon, rows[j].lat, rows[j].lon);
		if (sum < best - 1e-12) {
			best = sum;
			pl->lat = rows[i].lat;
			pl->lon = rows[i].lon;
			pl->has = 1;
		}
	}
}

/* Read the rows of a zone table (zone.tab: one code per row; zone1970.tab:
 * a comma-separated list) from text. Malformed rows are skipped. */
static size_t zone_rows(char *text, zrow *rows, size_t cap)
{
	size_t n = 0;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		char *tab = strchr(line, '\t');
		if (line[0] == '#' || tab == NULL)
			continue;
		const char *c = tab + 1;
		double lat, lon;
		if (parse_dms(&c, 2, &lat) != 0 || parse_dms(&c, 3, &lon) != 0)
			continue;
		for (char *cc = line; cc < tab && n < cap; cc += 3) {
			int k = cc + 2 <= tab ? cc_index(cc) : -1;
			if (k < 0 || (cc[2] != ',' && cc + 2 != tab))
				break;
			rows[n].cc = k;
			rows[n].lat = lat;
			rows[n].lon = lon;
			n++;
		}
	}
	return n;
}

/* Read path whole into a NUL-terminated malloc'd buffer. */
static int read_small(const char *path, char **out, vg_err *err)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return vg_seterr(err, errno == ENOENT ? VG_ENOTFOUND : VG_EIO, -1,
				 "cannot open %s: %s", path, strerror(errno));
	char *buf = vg_xmalloc(MAX_ZONETAB + 1);
	size_t n = fread(buf, 1, MAX_ZONETAB, f);
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		return vg_seterr(err, VG_EIO, -1, "cannot read %s", path);
	}
	buf[n] = 0;
	*out = buf;
	return 0;
}

/* Load the country places from o->zonetab, or zone.tab, or zone1970.tab.
 * Returns VG_ENOTFOUND (with a message naming tzdata) when none exists. */
static int load_places(vg_geo *g, const char *path, vg_err *err)
{
	char *text = NULL;
	int rc;
	if (path) {
		rc = read_small(path, &text, err);
	} else {
		rc = read_small(VG_GEO_ZONETAB, &text, err);
		if (rc == VG_ENOTFOUND)
			rc = read_small(VG_GEO_ZONE1970, &text, err);
		if (rc == VG_ENOTFOUND)
			return vg_seterr(err, rc, -1,
					 "neither %s nor %s exists: install the Debian package tzdata",
					 VG_GEO_ZONETAB, VG_GEO_ZONE1970);
	}
	if (rc == VG_ENOTFOUND)
		return vg_seterr(err, rc, -1,
				 "zone table %s is missing (Debian's package tzdata provides "
				 "%s)", path, VG_GEO_ZONETAB);
	if (rc != 0)
		return rc;
	zrow *rows = vg_xmalloc(MAX_ZONE_ROWS * sizeof *rows);
	size_t n = zone_rows(text, rows, MAX_ZONE_ROWS);
	free(text);
	for (int cc = 0; cc < NCC; cc++)
		place_medoid(&g->places[cc], rows, n, cc);
	free(rows);
	if (n == 0)
		return vg_seterr(err, VG_ECORRUPT, -1,
				 "zone table %s lists no country with coordinates",
				 path ? path : VG_GEO_ZONETAB);
	g->has_places = 1;
	return 0;
}

int vg_geo_country_coords(const vg_geo *g, const char *iso, double *lat, double *lon)
{
	int k = g->has_places ? cc_index(iso) : -1;
	if (k < 0 || iso[2] != 0 || !g->places[k].has)
		return VG_ENOTFOUND;
	*lat = g->places[k].lat;
	*lon = g->places[k].lon;
	return 0;
}

/* ------------------------------------------------------------ opening */

/* VG_ENOTFOUND with the Debian way to get the file, or VG_EIO, when path
 * cannot be read; VG_ECORRUPT when it is empty (libGeoIP 1.6.12 crashes
 * on an empty file); 0 when it is a regular file with something in it. */
static int check_file(const char *path, const char *what, const char *how, vg_err *err)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		if (errno == ENOENT)
			return vg_seterr(err, VG_ENOTFOUND, -1, "%s %s is missing: %s", what, path,
					 how);
		return vg_seterr(err, VG_EIO, -1, "cannot open %s %s: %s", what, path,
				 strerror(errno));
	}
	if (!S_ISREG(st.st_mode))
		return vg_seterr(err, VG_EIO, -1, "%s %s is not a regular file", what, path);
	if (st.st_size == 0)
		return vg_seterr(err, VG_ECORRUPT, -1, "%s %s is empty", what, path);
	return 0;
}

static const char mmdb_how[] =
	"download it from MaxMind (Debian's geoipupdate package, in contrib, does so "
	"with a MaxMind account), or leave it unset to use Debian's geoip-database";
/* No Debian package of bookworm holds AS numbers: geoip-database has
 * countries only, and geoip-database-extra (the legacy GeoIPASNum.dat)
 * was dropped from Debian in 2019 (geoip-database 20190709-1) when
 * MaxMind stopped publishing the legacy files. Without the .mmdb the ASN
 * field stays empty; pointing at geoip-database would send the reader to
 * a package that cannot help. */
static const char asn_how[] =
	"download GeoLite2-ASN from MaxMind (Debian's geoipupdate package, in contrib, "
	"does so with a MaxMind account), or leave it unset to go without AS numbers "
	"(no Debian package has them: geoip-database holds countries only, and "
	"geoip-database-extra, which had the legacy ASN edition, left Debian in 2019)";

/* Open one .mmdb; `asn` says which kind it must be. */
static int open_mmdb(MMDB_s *db, const char *path, int asn, vg_err *err)
{
	int rc = check_file(path, asn ? "MaxMind ASN database" : "MaxMind database",
			    asn ? asn_how : mmdb_how, err);
	if (rc != 0)
		return rc;
	int mrc = MMDB_open(path, MMDB_MODE_MMAP, db);
	if (mrc != MMDB_SUCCESS)
		return vg_seterr(err, mrc == MMDB_IO_ERROR ? VG_EIO : VG_ECORRUPT, -1,
				 "%s is not a readable MaxMind database: %s", path,
				 MMDB_strerror(mrc));
	const char *type = db->metadata.database_type ? db->metadata.database_type : "";
	int is_asn = strstr(type, "ASN") != NULL || strstr(type, "ISP") != NULL;
	int is_loc = strstr(type, "City") != NULL || strstr(type, "Country") != NULL;
	if (asn ? (is_loc && !is_asn) : (is_asn && !is_loc)) {
		/* type belongs to db: say it before closing. */
		vg_seterr(err, VG_ECORRUPT, -1, "%s is a %s database, not %s", path, type,
			  asn ? "an ASN database (GeoLite2-ASN)"
			      : "a City or Country database (GeoLite2-City)");
		MMDB_close(db);
		return VG_ECORRUPT;
	}
	return 0;
}

static const char legacy_how[] = "install the Debian package geoip-database";

/* Open a legacy country database of the given edition. */
static int open_legacy(GeoIP **out, const char *path, int edition, vg_err *err)
{
	int rc = check_file(path, "GeoIP database", legacy_how, err);
	if (rc != 0)
		return rc;
	GeoIP *gi = GeoIP_open(path, GEOIP_MMAP_CACHE | GEOIP_SILENCE);
	if (gi == NULL)
		return vg_seterr(err, VG_ECORRUPT, -1, "%s is not a readable GeoIP database",
				 path);
	/* libGeoIP takes any file for a country database; MaxMind's files end
	 * with an information string ("GEO-106FREE 20191224 Build 1 ..."). */
	char *info = GeoIP_database_info(gi);
	free(info);
	if (info == NULL) {
		GeoIP_delete(gi);
		return vg_seterr(err, VG_ECORRUPT, -1,
				 "%s is not a GeoIP database (it has no database information)",
				 path);
	}
	if (GeoIP_database_edition(gi) != edition) {
		GeoIP_delete(gi);
		return vg_seterr(err, VG_ECORRUPT, -1,
				 "%s is not a GeoIP %s country database (edition %d, want %d)",
				 path, edition == GEOIP_COUNTRY_EDITION ? "IPv4" : "IPv6",
				 GeoIP_database_edition(gi), edition);
	}
	GeoIP_set_charset(gi, GEOIP_CHARSET_UTF8);
	*out = gi;
	return 0;
}

/* The table of country names by legacy id (UTF-8, static in libGeoIP). */
static void legacy_names(vg_geo *g)
{
	g->nnames = GeoIP_num_countries();
	g->names = vg_xcalloc(g->nnames, sizeof *g->names);
	for (uint32_t id = 1; id < g->nnames; id++) {
		const char *s = GeoIP_country_name_by_id(g->v4, (int)id);
		if (s && *s) {
			g->names[id].s = s;
			g->names[id].len = (uint32_t)strlen(s);
		}
	}
}

static int open_sources(vg_geo *g, const vg_geo_opts *o, vg_err *err)
{
	int rc;
	if (o->mmdb_city) {
		if ((rc = open_mmdb(&g->city, o->mmdb_city, 0, err)) != 0)
			return rc;
		g->has_city = 1;
	} else {
		rc = open_legacy(&g->v4, o->legacy_v4 ? o->legacy_v4 : VG_GEO_LEGACY_V4,
				 GEOIP_COUNTRY_EDITION, err);
		if (rc == 0)
			rc = open_legacy(&g->v6, o->legacy_v6 ? o->legacy_v6 : VG_GEO_LEGACY_V6,
					 GEOIP_COUNTRY_EDITION_V6, err);
		if (rc != 0)
			return rc;
		legacy_names(g);
	}
	if (o->mmdb_asn) {
		if ((rc = open_mmdb(&g->asn, o->mmdb_asn, 1, err)) != 0)
			return rc;
		g->has_asn = 1;
	}
	rc = load_places(g, o->zonetab, err);
	/* With a .mmdb the zone table only fills gaps: do without it. */
	return rc != 0 && g->has_city && rc == VG_ENOTFOUND ? 0 : rc;
}

int vg_geo_open(const vg_geo_opts *o, vg_geo **out, vg_err *err)
{
	static const vg_geo_opts defaults;
	vg_geo *g = vg_xcalloc(1, sizeof *g);
	int rc = open_sources(g, o ? o : &defaults, err);
	if (rc != 0) {
		vg_geo_close(g);
		*out = NULL;
		return rc;
	}
	*out = g;
	return 0;
}

void vg_geo_close(vg_geo *g)
{
	if (g == NULL)
		return;
	if (g->has_city)
		MMDB_close(&g->city);
	if (g->has_asn)
		MMDB_close(&g->asn);
	if (g->v4)
		GeoIP_delete(g->v4);
	if (g->v6)
		GeoIP_delete(g->v6);
	free(g->names);
	free(g);
}

/* ------------------------------------------------------------ lookups */

static void loc_clear(vg_geo_loc *loc)
{
	memset(loc, 0, sizeof *loc);
	loc->lat = NAN;
	loc->lon = NAN;
}

/* Look ip up in db; *found tells whether a network holds it. */
static int mmdb_find(const MMDB_s *db, const uint8_t ip[16], MMDB_lookup_result_s *res)
{
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;
	const struct sockaddr *sa;
	if (vg_ip_is4(ip)) {
		memset(&s4, 0, sizeof s4);
		s4.sin_family = AF_INET;
		memcpy(&s4.sin_addr, ip + 12, 4);
		sa = (const struct sockaddr *)&s4;
	} else {
		memset(&s6, 0, sizeof s6);
		s6.sin6_family = AF_INET6;
		memcpy(&s6.sin6_addr, ip, 16);
		sa = (const struct sockaddr *)&s6;
	}
	int merr = MMDB_SUCCESS;
	*res = MMDB_lookup_sockaddr(db, sa, &merr);
	if (merr == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR)
		res->found_entry = 0;
	else if (merr != MMDB_SUCCESS)
		return VG_ECORRUPT;
	return 0;
}

/* The UTF-8 string at path under e into *out, if there is one. */
static int mm_str(MMDB_entry_s *e, const char *const *path, vg_geo_str *out)
{
	MMDB_entry_data_s d;
	if (MMDB_aget_value(e, &d, path) != MMDB_SUCCESS || !d.has_data ||
	    d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size == 0)
		return -1;
	out->s = d.utf8_string;
	out->len = d.data_size;
	return 0;
}

/* The number at path under e (doubles, floats and integers). */
static int mm_num(MMDB_entry_s *e, const char *const *path, double *out)
{
	MMDB_entry_data_s d;
	if (MMDB_aget_value(e, &d, path) != MMDB_SUCCESS || !d.has_data)
		return -1;
	switch (d.type) {
	case MMDB_DATA_TYPE_DOUBLE: *out = d.double_value; return 0;
	case MMDB_DATA_TYPE_FLOAT: *out = d.float_value; return 0;
	case MMDB_DATA_TYPE_UINT16: *out = d.uint16; return 0;
	case MMDB_DATA_TYPE_UINT32: *out = d.uint32; return 0;
	case MMDB_DATA_TYPE_INT32: *out = d.int32; return 0;
	case MMDB_DATA_TYPE_UINT64: *out = (double)d.uint64; return 0;
	default: return -1;
	}
}

static int city_lookup(const vg_geo *g, const uint8_t ip[16], vg_geo_loc *loc)
{
	static const char *const country[] = {"country", "names", "en", NULL};
	static const char *const iso[] = {"country", "iso_code", NULL};
	static const char *const rcountry[] = {"registered_country", "names", "en", NULL};
	static const char *const riso[] = {"registered_country", "iso_code", NULL};
	static const char *const city[] = {"city", "names", "en", NULL};
	static const char *const region[] = {"subdivisions", "0", "names", "en", NULL};
	static const char *const lat[] = {"location", "latitude", NULL};
	static const char *const lon[] = {"location", "longitude", NULL};
	MMDB_lookup_result_s r;
	if (mmdb_find(&g->city, ip, &r) != 0)
		return VG_ECORRUPT;
	if (!r.found_entry)
		return 0;
	MMDB_entry_s *e = &r.entry;
	if (mm_str(e, iso, &loc->iso) != 0) {
		/* Anycast and satellite networks name only the registrant. */
		mm_str(e, riso, &loc->iso);
		mm_str(e, rcountry, &loc->country);
	} else {
		mm_str(e, country, &loc->country);
	}
	mm_str(e, city, &loc->city);
	mm_str(e, region, &loc->region);
	double la, lo;
	if (mm_num(e, lat, &la) == 0 && mm_num(e, lon, &lo) == 0 && fabs(la) <= 90 &&
	    fabs(lo) <= 180) {
		loc->lat = la;
		loc->lon = lo;
	}
	return 0;
}

static int asn_lookup(const vg_geo *g, const uint8_t ip[16], vg_geo_loc *loc)
{
	static const char *const num[] = {"autonomous_system_number", NULL};
	static const char *const org[] = {"autonomous_system_organization", NULL};
	MMDB_lookup_result_s r;
	if (mmdb_find(&g->asn, ip, &r) != 0)
		return VG_ECORRUPT;
	if (!r.found_entry)
		return 0;
	double n;
	if (mm_num(&r.entry, num, &n) == 0 && n >= 1 && n <= 4294967295.0)
		loc->asn = (uint32_t)n;
	mm_str(&r.entry, org, &loc->asn_org);
	return 0;
}

static void legacy_lookup(const vg_geo *g, const uint8_t ip[16], vg_geo_loc *loc)
{
	GeoIPLookup gl;
	memset(&gl, 0, sizeof gl);
	int id;
	if (vg_ip_is4(ip)) {
		id = GeoIP_id_by_ipnum_gl(g->v4, v4num(ip), &gl);
	} else {
		geoipv6_t a;
		memcpy(&a, ip, 16);
		id = GeoIP_id_by_ipnum_v6_gl(g->v6, a, &gl);
	}
	if (id <= 0 || (uint32_t)id >= g->nnames)
		return;
	loc->country = g->names[id];
	const char *code = GeoIP_code_by_id(id);
	if (code && code[0] && code[1] && code[2] == 0) {
		loc->iso.s = code;
		loc->iso.len = 2;
	}
}

/* A country-level place for a location that has a country but no
 * coordinates. */
static void fill_coarse(const vg_geo *g, vg_geo_loc *loc)
{
	if (!isnan(loc->lat) || loc->iso.len != 2 || !g->has_places)
		return;
	char cc[3] = {loc->iso.s[0], loc->iso.s[1], 0};
	if (vg_geo_country_coords(g, cc, &loc->lat, &loc->lon) == 0)
		loc->coarse = 1;
}

int vg_geo_lookup(const vg_geo *g, const uint8_t ip[16], vg_geo_loc *loc)
{
	loc_clear(loc);
	if (vg_geo_reserved(ip))
		return 0;
	uint8_t mapped[16];
	if (ip[0] == 0 && !vg_ip_is4(ip)) {
		/* Only the NAT64 prefix is left of ::/8: ask for its IPv4. */
		memset(mapped, 0, 10);
		mapped[10] = mapped[11] = 0xff;
		memcpy(mapped + 12, ip + 12, 4);
		ip = mapped;
	}
	if (g->has_city) {
		if (city_lookup(g, ip, loc) != 0)
			return VG_ECORRUPT;
	} else {
		legacy_lookup(g, ip, loc);
	}
	fill_coarse(g, loc);
	if (g->has_asn && asn_lookup(g, ip, loc) != 0)
		return VG_ECORRUPT;
	loc->found = loc->country.s || loc->iso.s || loc->city.s || loc->region.s ||
		     loc->asn_org.s || loc->asn || !isnan(loc->lat);
	return loc->found;
}

/* ------------------------------------------------------------- cache */

/* Answers are kept densely in the order they were asked (entries), and
 * found through an open-addressing table of their indexes (slots) at most
 * half full. When every entry is taken the cache starts over empty: a
 * query with fewer distinct addresses than entries asks each once, and
 * unlike a set-associative array no unlucky set of addresses thrashes. */
typedef struct centry {
	uint8_t ip[16];
	int32_t rc;
	vg_geo_loc loc;
} centry;

struct vg_geo_cache {
	const vg_geo *g;
	centry *e;
	uint32_t n, cap;    /* entries used, entries */
	uint32_t *slots;    /* entry + 1, or 0 */
	uint32_t mask;      /* slots - 1 */
	uint64_t hits, misses;
};

vg_geo_cache *vg_geo_cache_new(const vg_geo *g, uint32_t entries)
{
	if (entries == 0)
		entries = 4096;
	if (entries < 4)
		entries = 4;
	if (entries > (1u << 24))
		entries = 1u << 24;
	uint32_t nslots = 8;
	while (nslots < entries * 2)
		nslots <<= 1;
	vg_geo_cache *c = vg_xcalloc(1, sizeof *c);
	c->g = g;
	c->cap = entries;
	c->e = vg_xmalloc((size_t)entries * sizeof *c->e);
	c->slots = vg_xcalloc(nslots, sizeof *c->slots);
	c->mask = nslots - 1;
	return c;
}

void vg_geo_cache_free(vg_geo_cache *c)
{
	if (c == NULL)
		return;
	free(c->e);
	free(c->slots);
	free(c);
}

static uint32_t ip_hash(const uint8_t ip[16])
{
	uint64_t a, b;
	memcpy(&a, ip, 8);
	memcpy(&b, ip + 8, 8);
	uint64_t h = (a ^ (b * 0x9e3779b97f4a7c15ull)) * 0xbf58476d1ce4e5b9ull;
	return (uint32_t)(h >> 32);
}

int vg_geo_cache_lookup(vg_geo_cache *c, const uint8_t ip[16], vg_geo_loc *loc)
{
	uint32_t i = ip_hash(ip) & c->mask;
	for (; c->slots[i]; i = (i + 1) & c->mask) {
		const centry *e = &c->e[c->slots[i] - 1];
		if (memcmp(e->ip, ip, 16) == 0) {
			c->hits++;
			*loc = e->loc;
			return e->rc;
		}
	}
	c->misses++;
	int rc = vg_geo_lookup(c->g, ip, loc);
	if (rc < 0)
		return rc;
	if (c->n == c->cap) {
		memset(c->slots, 0, ((size_t)c->mask + 1) * sizeof *c->slots);
		c->n = 0;
		i = ip_hash(ip) & c->mask;
	}
	centry *e = &c->e[c->n];
	memcpy(e->ip, ip, 16);
	e->rc = rc;
	e->loc = *loc;
	c->slots[i] = ++c->n;
	return rc;
}

void vg_geo_cache_stats(const vg_geo_cache *c, uint64_t *hits, uint64_t *misses)
{
	*hits = c->hits;
	*misses = c->misses;
}

/* ------------------------------------------------------------- geostats */

/* The cell index of v on [lo, lo + n*span), the last cell closed. */
static int32_t cell(double v, double lo, double hi, double span, double *centre)
{
	int32_t n = (int32_t)ceil((hi - lo) / span - 1e-9);
	int32_t i = (int32_t)floor((v - lo) / span);
	if (i >= n)
		i = n - 1;
	if (i < 0)
		i = 0;
	double a = lo + i * span, b = a + span < hi ? a + span : hi;
	*centre = (a + b) / 2;
	return i;
}

int vg_geo_bin(double lat, double lon, double spanlat, double spanlong, vg_geobin *b)
{
	if (!(lat >= -90 && lat <= 90) || !(lon >= -180 && lon <= 180) ||
	    !(spanlat >= VG_GEO_MINSPAN && spanlat <= 180) ||
	    !(spanlong >= VG_GEO_MINSPAN && spanlong <= 360))
		return VG_EINVAL;
	b->y = cell(lat, -90, 90, spanlat, &b->lat);
	b->x = cell(lon, -180, 180, spanlong, &b->lon);
	return 0;
}

size_t vg_geo_bin_name(const vg_geobin *b, char *out, size_t cap)
{
	int n = snprintf(out, cap, "bin_id_zl_0_y_%d_x_%d", (int)b->y, (int)b->x);
	if (n < 0)
		return 0;
	return (size_t)n < cap ? (size_t)n : cap ? cap - 1 : 0;
}
