/*
 * geo.h — where an IP address is: country, city, region, coordinates and
 * autonomous system, for the query commands `iplocation` and `geostats`
 * and the world map of the Network page.
 *
 * Sources, in order of preference:
 *
 *  1. MaxMind DB files (.mmdb, read with libmaxminddb) when the options
 *     name them: a GeoLite2-City (or GeoIP2-City) database gives country,
 *     city, region and coordinates; a GeoLite2-Country database gives the
 *     country only, and its coordinates then come from tzdata as in 2. A
 *     GeoLite2-ASN database, named apart, adds the AS number and
 *     organisation. Debian packages no .mmdb files: the administrator
 *     downloads them from MaxMind and names them.
 *  2. Otherwise Debian's package geoip-database: the legacy country
 *     databases /usr/share/GeoIP/GeoIP.dat (IPv4) and GeoIPv6.dat (IPv6),
 *     read with libGeoIP. They hold a country per address and nothing
 *     else: no city, no region, no coordinates, no AS (the legacy ASN
 *     edition was in geoip-database-extra, which Debian dropped in 2019:
 *     bookworm has no AS numbers in any package). So that a world map
 *     can still place sources, a country is given the coordinates of one
 *     representative place taken from tzdata's zone.tab (zone1970.tab when
 *     zone.tab is absent), and the location is flagged `coarse`.
 *
 * The representative place of a country is the medoid of the principal
 * locations tzdata lists for it: the listed place whose summed
 * great-circle distance to the others is least (ties go to the one
 * listed first). For a country with one or two time zones that is the
 * first one listed, which tzdata orders by population where geography
 * allows. For large countries it is a real place near the middle of the
 * country's zones (the United States: New Salem, North Dakota; Australia:
 * Broken Hill; Brazil: Araguaina; Russia: Tomsk) rather than the first
 * row, which tzdata orders by geography (Australia's first row is Lord
 * Howe Island, Brazil's Fernando de Noronha, both far off the mainland).
 * It is a dot for a world map, not a centroid. Country names come from
 * libGeoIP's own table (UTF-8), or from the .mmdb's English names.
 *
 * Addresses that are not routed on the Internet resolve to nothing, as
 * Splunk's iplocation does, before any database is asked: see
 * vg_geo_reserved for the list (RFC 6890 and its successors). The NAT64
 * well-known prefix 64:ff9b::/96 is looked up as the IPv4 address it
 * embeds.
 *
 * Strings are (pointer, length), not NUL-terminated, like the query's
 * values (vg_val): they point into the database's own memory (the mmap'd
 * .mmdb) or libGeoIP's static name table, and stay
 * valid until vg_geo_close.
 *
 * Thread safety: once vg_geo_open returns, a vg_geo is read-only, and
 * vg_geo_lookup may be called from any number of threads at once
 * (libmaxminddb lookups are read-only; libGeoIP is opened with its mmap
 * cache and asked only through its *_gl functions, which keep no state in
 * the handle). A vg_geo_cache belongs to one thread: the executor gives
 * each scanning thread its own cache over the one shared vg_geo.
 *
 * Cost (release build, this 2-core machine under load from other builds):
 * an uncached legacy lookup takes about 200-280 ns, a cache hit 30-45 ns
 * (3000 distinct addresses asked 10 million times: 3000 misses). .mmdb
 * lookups were not measured on a real GeoLite2 file (none is installed);
 * libmaxminddb walks up to 128 tree nodes and then decodes a few map
 * paths, so expect the same order or a little more. A query resolving
 * millions of rows that hold a few thousand distinct addresses should go
 * through a cache.
 */
#ifndef VG_GEO_H
#define VG_GEO_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Default paths (Debian packages geoip-database and tzdata). */
#define VG_GEO_LEGACY_V4 "/usr/share/GeoIP/GeoIP.dat"
#define VG_GEO_LEGACY_V6 "/usr/share/GeoIP/GeoIPv6.dat"
#define VG_GEO_ZONETAB "/usr/share/zoneinfo/zone.tab"
#define VG_GEO_ZONE1970 "/usr/share/zoneinfo/zone1970.tab"

/* Where to read from. NULL (or a zeroed struct) takes the defaults: no
 * .mmdb, the legacy databases and zone.tab at their Debian paths. */
typedef struct vg_geo_opts {
	const char *mmdb_city;  /* GeoLite2-City or -Country .mmdb; NULL: legacy */
	const char *mmdb_asn;   /* GeoLite2-ASN .mmdb; NULL: no AS numbers */
	const char *legacy_v4;  /* NULL: VG_GEO_LEGACY_V4 (legacy mode only) */
	const char *legacy_v6;  /* NULL: VG_GEO_LEGACY_V6 (legacy mode only) */
	const char *zonetab;    /* NULL: VG_GEO_ZONETAB, else VG_GEO_ZONE1970.
				 * Required in legacy mode; with a .mmdb it only
				 * places countries the database gives no
				 * coordinates for, and may be missing. */
} vg_geo_opts;

typedef struct vg_geo vg_geo;

/* A string owned by the resolver; s == NULL (len 0) when unknown. */
typedef struct vg_geo_str {
	const char *s;
	uint32_t len;
} vg_geo_str;

/* What is known of one address. Unknown strings have s == NULL, unknown
 * coordinates are NaN, an unknown AS number is 0. */
typedef struct vg_geo_loc {
	vg_geo_str country;   /* "United States" */
	vg_geo_str iso;       /* "US" (ISO 3166-1 alpha-2; libGeoIP also has
			       * "EU", "AP", "A1", "A2" for blocks it cannot
			       * place in one country) */
	vg_geo_str city;      /* .mmdb City databases only */
	vg_geo_str region;    /* the first subdivision: a state, a province */
	vg_geo_str asn_org;   /* "GOOGLE" (ASN database) */
	double lat, lon;      /* degrees, WGS84; NaN when unknown */
	uint32_t asn;         /* 0 when unknown */
	uint8_t found;        /* something above is known */
	uint8_t coarse;       /* lat/lon is the country's representative place
			       * (tzdata), not the address's own location */
} vg_geo_loc;

/* Open the databases o names (see vg_geo_opts). On success *out is a
 * resolver the caller owns (vg_geo_close). Errors: VG_ENOTFOUND for a
 * missing file, naming the path and the Debian package that provides it;
 * VG_ECORRUPT for a file that is not the database it should be (a City
 * .mmdb named as the ASN one, a legacy file of another edition); VG_EIO
 * for other failures to read. */
int vg_geo_open(const vg_geo_opts *o, vg_geo **out, vg_err *err);

/* Release g and every string it handed out. NULL is allowed. */
void vg_geo_close(vg_geo *g);

/* Resolve ip (16 bytes, IPv4 as IPv4-mapped: util/ip.h) into *loc, which
 * is always filled (all unknown when nothing is found). Returns 1 when
 * something was found, 0 when nothing is known of the address (reserved,
 * or absent from the database), VG_ECORRUPT when the .mmdb cannot be read
 * at that address. Thread-safe (see the header comment); not cached. */
int vg_geo_lookup(const vg_geo *g, const uint8_t ip[16], vg_geo_loc *loc);

/* 1 if ip is in a range that is not routed on the Internet, which
 * vg_geo_lookup resolves to nothing: IPv4 0/8, 10/8, 100.64/10 (CGNAT),
 * 127/8, 169.254/16, 172.16/12, 192.0.0/24, 192.0.2/24, 192.168/16,
 * 198.18/15, 198.51.100/24, 203.0.113/24, 224/4 (multicast) and 240/4
 * (reserved, with the broadcast address); IPv6 ::/8 (unspecified,
 * loopback, IPv4-compatible; but not the NAT64 prefix 64:ff9b::/96),
 * 100::/64, 2001:2::/48, 2001:db8::/32 and 3fff::/20 (documentation),
 * fc00::/7 (unique local), fe80::/10 (link-local), fec0::/10 and ff00::/8
 * (multicast). IPv4-mapped addresses are judged as IPv4. */
int vg_geo_reserved(const uint8_t ip[16]);

/* A per-thread cache of answers, keyed by address. Borrows g, which must
 * outlive it. */
typedef struct vg_geo_cache vg_geo_cache;

/* A cache of up to `entries` answers (at least 4; 0 takes 4096, about
 * 0.5 MiB). When it is full it empties and fills again, so a query with
 * fewer distinct addresses than that asks the databases once for each.
 * Owned by the caller. */
vg_geo_cache *vg_geo_cache_new(const vg_geo *g, uint32_t entries);
void vg_geo_cache_free(vg_geo_cache *c);

/* vg_geo_lookup through the cache: the same answers (errors are not
 * cached). Not thread-safe: one cache per thread. */
int vg_geo_cache_lookup(vg_geo_cache *c, const uint8_t ip[16], vg_geo_loc *loc);

/* Hits and misses since the cache was made. */
void vg_geo_cache_stats(const vg_geo_cache *c, uint64_t *hits, uint64_t *misses);

/* The representative coordinates of a country (see the header comment),
 * by ISO code (two letters, either case). Returns 0, or VG_ENOTFOUND when
 * tzdata lists no place for it (or no zone table was loaded). */
int vg_geo_country_coords(const vg_geo *g, const char *iso, double *lat, double *lon);

/* ------------------------------------------------------------- geostats */

/* Splunk's defaults for geostats' grid, in degrees. */
#define VG_GEO_BINSPANLAT 22.5
#define VG_GEO_BINSPANLONG 45.0

/* One cell of geostats' grid. Cells are counted from the south-west
 * corner of the map: y from latitude -90 in steps of spanlat, x from
 * longitude -180 in steps of spanlong; the last row (column) may be
 * narrower when the span does not divide 180 (360) and holds latitude 90
 * (longitude 180) itself. */
typedef struct vg_geobin {
	int32_t y, x;
	double lat, lon;   /* the centre of the cell (of its part on the map) */
} vg_geobin;

/* The smallest span accepted, in degrees (about 11 cm of latitude): it
 * keeps cell indexes within int32. */
#define VG_GEO_MINSPAN 1e-6

/* The cell holding (lat, lon) on the grid of spans spanlat x spanlong.
 * Returns 0, or VG_EINVAL when lat is outside [-90, 90], lon outside
 * [-180, 180], either is not a number, or a span is not in
 * [VG_GEO_MINSPAN, 180] (spanlat) or [VG_GEO_MINSPAN, 360] (spanlong); *b
 * is then untouched. */
int vg_geo_bin(double lat, double lon, double spanlat, double spanlong, vg_geobin *b);

/* Splunk's name of a cell at zoom level 0, "bin_id_zl_0_y_3_x_2", into out
 * (cap >= 48 always suffices). Returns the length written. */
size_t vg_geo_bin_name(const vg_geobin *b, char *out, size_t cap);

/*
 * ------------------------------------------- how the executor uses this
 *
 * (exec.c: ext_init, iplocation_row.) Once per server (or per query):
 * vg_geo_open with the configured paths;
 * when that fails, a query using `iplocation` fails with the error's
 * message, at the command's position (other queries run as usual). Per
 * scanning thread (or per pipeline, when commands run after the merge):
 * one vg_geo_cache.
 *
 * `iplocation [prefix=P] f`, for each row:
 *   - read f; if it is absent, or its text does not parse with
 *     vg_ip_parse, leave the row as it is (Splunk adds nothing);
 *   - vg_geo_cache_lookup; on a negative return, fail the query with
 *     "'iplocation' at <pos>: the GeoIP database cannot be read" (corrupt);
 *   - set the fields P+"City", P+"Country", P+"Region", P+"lat", P+"lon",
 *     P+"ASN" (Splunk's names, with ASN from SPEC.md) to loc.city,
 *     loc.country, loc.region, loc.lat, loc.lon, loc.asn; a string with
 *     s == NULL, a NaN coordinate or an asn of 0 sets the field to null
 *     (it is removed, so `stats count by Country` skips private sources
 *     and geostats skips rows without coordinates). Strings are vg_v_str
 *     (they outlive the query as long as the vg_geo does), lat and lon
 *     vg_v_dbl, ASN vg_v_int. Optional extras worth exposing the same way
 *     later: P+"iso" (loc.iso) and P+"asn_org" (loc.asn_org).
 *
 * `geostats [latfield=a] [longfield=b] [binspanlat=..] [binspanlong=..]
 * aggs [by g]` (defaults lat, lon, 22.5, 45.0), in exec.c (geostats_agg,
 * table_geostats):
 *   - read the two fields as numbers; rows where either is null, not a
 *     number, or vg_geo_bin returns VG_EINVAL are skipped;
 *   - group by the cell's name (vg_geo_bin_name) and, with `by g`, by g
 *     as stats does; run the aggregations per group as stats does, plus a
 *     sum of each coordinate;
 *   - output one row per cell, south-west first, with columns geobin (the
 *     name), latitude, longitude, then the aggregations (with `by g`: one
 *     column per value of g, as timechart splits series, since Splunk's
 *     geostats pivots the by-field into columns; "agg: value" with
 *     several aggregations). latitude/longitude are, as Splunk's
 *     documentation and output samples show, the mean of the rows'
 *     coordinates in the cell (so a cell holding one city is drawn on
 *     that city, not mid-ocean), to a millionth of a degree.
 */

#endif
