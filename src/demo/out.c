/*
 * out.c — the demo generator's plumbing: sampling from distributions,
 * writing files (plain or gzip), and the few text forms AWS uses for times
 * and identifiers.
 *
 * Files are written through a 1 MiB buffer that callers may fill directly
 * (see dm_file_room), so the flow writer formats a record in place and the
 * only per-buffer cost is one write() — or one deflate() at level 1 when
 * the file is gzipped, which is what AWS delivers and what dominates the
 * generator's time.
 */
#include "demo/demo_int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "util/timeutil.h"

const char *const vg_demo_svc_name[DM_SVC_COUNT] = {"-", "S3", "AMAZON", "EC2"};

const char vg_demo_digits2[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* ---------- distributions ---------- */

/* Poisson counts. Knuth's product method is exact and cheap for the small
 * means most interfaces have; past 30 the normal approximation is closer
 * than anyone will notice in a histogram and costs the same at any mean. */
uint32_t vg_demo_poisson(dm_rng *r, double lambda)
{
	if (lambda <= 0)
		return 0;
	if (lambda < 30) {
		double l = exp(-lambda), p = 1;
		uint32_t k = 0;
		do {
			k++;
			p *= dm_unit(r);
		} while (p > l);
		return k - 1;
	}
	double v = lambda + sqrt(lambda) * vg_demo_gauss(r) + 0.5;
	return v < 0 ? 0 : (uint32_t)v;
}

/* A standard normal deviate (Box-Muller; one of the pair is dropped so the
 * function keeps no state between calls). */
double vg_demo_gauss(dm_rng *r)
{
	double u = dm_unit(r);
	double v = dm_unit(r);
	if (u < 1e-300)
		u = 1e-300;
	return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* Pareto deviate by inversion: xm * U^(-1/alpha), capped. */
double vg_demo_pareto(dm_rng *r, double xm, double alpha, double cap)
{
	double u = 1.0 - dm_unit(r); /* (0, 1] */
	double x = xm * pow(u, -1.0 / alpha);
	return x > cap ? cap : x;
}

double vg_demo_lognormal(dm_rng *r, double median, double sigma)
{
	return median * exp(sigma * vg_demo_gauss(r));
}

/* Binary search for the first cumulative weight above a uniform draw. */
int vg_demo_pick_cdf(dm_rng *r, const double *cdf, int n)
{
	double x = dm_unit(r) * cdf[n - 1];
	int lo = 0, hi = n - 1;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (cdf[mid] > x)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* ---------- files ---------- */

/* mkdir -p for the directory part of path (which is modified and
 * restored). Directories that already exist, maybe made by another worker
 * a moment ago, are fine. */
static int make_parents(char *path, vg_err *err)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		int rc = mkdir(path, 0755);
		int e = errno;
		*p = '/';
		if (rc != 0 && e != EEXIST) {
			*p = 0;
			vg_seterr(err, VG_EIO, -1, "cannot create directory %s: %s", path,
				  strerror(e));
			*p = '/';
			return VG_EIO;
		}
	}
	return 0;
}

int vg_demo_fopen(dm_file *f, const dm_out *o, const char *rel, int add_gz, vg_err *err)
{
	memset(f, 0, sizeof *f);
	f->fd = -1;
	f->gzip = o->gzip && add_gz;
	int n = snprintf(f->path, sizeof f->path, "%s/%s%s", o->dir, rel, f->gzip ? ".gz" : "");
	if (n < 0 || (size_t)n >= sizeof f->path)
		return vg_seterr(err, VG_ELIMIT, -1, "output path too long: %s/%s", o->dir, rel);
	int rc = make_parents(f->path, err);
	if (rc)
		return rc;
	f->fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (f->fd < 0)
		return vg_seterr(err, VG_EIO, -1, "cannot create %s: %s", f->path, strerror(errno));
	f->buf = vg_xmalloc(DM_BUF_SIZE);
	if (f->gzip) {
		f->zbuf = vg_xmalloc(DM_BUF_SIZE);
		/* windowBits 15 + 16 asks zlib for a gzip wrapper; its default
		 * header has mtime 0, so the bytes do not depend on the clock. */
		if (deflateInit2(&f->z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
			vg_demo_fabort(f);
			return vg_seterr(err, VG_ENOMEM, -1, "zlib initialisation failed");
		}
		f->zinit = 1;
	}
	return 0;
}

/* write() all of p, retrying short writes. */
static int write_all(dm_file *f, const void *p, size_t n, vg_err *err)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(f->fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return vg_seterr(err, VG_EIO, -1, "cannot write %s: %s", f->path,
					 w < 0 ? strerror(errno) : "short write");
		c += w;
		n -= (size_t)w;
		f->disk_bytes += (uint64_t)w;
	}
	return 0;
}

/* Run deflate over the pending input with the given flush mode, writing
 * every full output buffer. */
static int deflate_out(dm_file *f, int mode, vg_err *err)
{
	f->z.next_in = (Bytef *)f->buf;
	f->z.avail_in = (uInt)f->len;
	for (;;) {
		f->z.next_out = f->zbuf;
		f->z.avail_out = DM_BUF_SIZE;
		int zr = deflate(&f->z, mode);
		if (zr == Z_STREAM_ERROR)
			return vg_seterr(err, VG_EIO, -1, "zlib error writing %s", f->path);
		size_t have = DM_BUF_SIZE - f->z.avail_out;
		int rc = write_all(f, f->zbuf, have, err);
		if (rc)
			return rc;
		if (mode == Z_FINISH ? zr == Z_STREAM_END : f->z.avail_out != 0)
			break;
	}
	f->len = 0;
	return 0;
}

int vg_demo_fflush(dm_file *f, vg_err *err)
{
	if (f->len == 0)
		return 0;
	if (f->gzip)
		return deflate_out(f, Z_NO_FLUSH, err);
	int rc = write_all(f, f->buf, f->len, err);
	f->len = 0;
	return rc;
}

int vg_demo_fput(dm_file *f, const void *p, size_t n, vg_err *err)
{
	const char *c = p;
	while (n) {
		size_t room = DM_BUF_SIZE - f->len;
		if (room == 0) {
			int rc = vg_demo_fflush(f, err);
			if (rc)
				return rc;
			room = DM_BUF_SIZE;
		}
		size_t k = n < room ? n : room;
		memcpy(f->buf + f->len, c, k);
		f->len += k;
		c += k;
		n -= k;
	}
	return 0;
}

/* Free the file's buffers and close it. */
static void release(dm_file *f)
{
	if (f->zinit)
		deflateEnd(&f->z);
	f->zinit = 0;
	free(f->buf);
	free(f->zbuf);
	f->buf = NULL;
	f->zbuf = NULL;
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

int vg_demo_fclose(dm_file *f, vg_err *err)
{
	int rc = f->gzip ? deflate_out(f, Z_FINISH, err) : vg_demo_fflush(f, err);
	if (rc == 0 && close(f->fd) != 0)
		rc = vg_seterr(err, VG_EIO, -1, "cannot close %s: %s", f->path, strerror(errno));
	else if (rc != 0)
		close(f->fd);
	f->fd = -1;
	release(f);
	if (rc)
		unlink(f->path);
	return rc;
}

void vg_demo_fabort(dm_file *f)
{
	int had = f->fd >= 0;
	release(f);
	if (had)
		unlink(f->path);
}

int vg_demo_write_file(const dm_out *o, const char *rel, int add_gz, const void *p, size_t n,
		       uint64_t *bytes, vg_err *err)
{
	dm_file f;
	int rc = vg_demo_fopen(&f, o, rel, add_gz, err);
	if (rc == 0)
		rc = vg_demo_fput(&f, p, n, err);
	if (rc) {
		vg_demo_fabort(&f);
		return rc;
	}
	rc = vg_demo_fclose(&f, err);
	if (rc == 0 && bytes)
		*bytes += f.disk_bytes;
	return rc;
}

int vg_demo_write_plain(const dm_out *o, const char *rel, const void *p, size_t n,
			uint64_t *bytes, vg_err *err)
{
	return vg_demo_write_file(o, rel, 0, p, n, bytes, err);
}

/* ---------- text ---------- */

/* One octet's decimal digits; divisions by constants compile to
 * multiplications, so an address costs a handful of cycles. */
static inline char *put_octet(char *p, unsigned v)
{
	if (v >= 100) {
		*p++ = (char)('0' + v / 100);
		v %= 100;
		*p++ = (char)('0' + v / 10);
	} else if (v >= 10) {
		*p++ = (char)('0' + v / 10);
	}
	*p++ = (char)('0' + v % 10);
	return p;
}

char *vg_demo_put_ip4(char *p, uint32_t ip)
{
	p = put_octet(p, ip >> 24);
	*p++ = '.';
	p = put_octet(p, (ip >> 16) & 255);
	*p++ = '.';
	p = put_octet(p, (ip >> 8) & 255);
	*p++ = '.';
	return put_octet(p, ip & 255);
}

size_t vg_demo_ip6_text(const uint8_t ip[16], char *out)
{
	/* glibc's inet_ntop follows RFC 5952 (lower case, longest zero run
	 * compressed), the form AWS writes. */
	if (inet_ntop(AF_INET6, ip, out, 46) == NULL) {
		out[0] = 0;
		return 0;
	}
	return strlen(out);
}

void vg_demo_tm(int64_t ns, dm_tm *tm)
{
	int64_t days = vg_day_of(ns);
	int64_t rem = ns - days * VG_NS_PER_DAY;
	int64_t secs = rem / VG_NS_PER_SEC;
	vg_civil_from_days(days, &tm->year, &tm->mon, &tm->day);
	tm->hour = (unsigned)(secs / 3600);
	tm->min = (unsigned)(secs / 60 % 60);
	tm->sec = (unsigned)(secs % 60);
	tm->ms = (unsigned)(rem % VG_NS_PER_SEC / 1000000);
	tm->wday = (unsigned)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
}

size_t vg_demo_iso_s(int64_t ns, char *out)
{
	dm_tm t;
	vg_demo_tm(ns, &t);
	int n = snprintf(out, 40, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)t.year, t.mon,
			 t.day, t.hour, t.min, t.sec);
	return n > 0 ? (size_t)n : 0;
}

size_t vg_demo_iso_ms(int64_t ns, char *out)
{
	return vg_format_iso8601(ns, out, 0);
}

size_t vg_demo_compact_min(int64_t ns, char *out)
{
	dm_tm t;
	vg_demo_tm(ns, &t);
	int n = snprintf(out, 40, "%04lld%02u%02uT%02u%02uZ", (long long)t.year, t.mon, t.day,
			 t.hour, t.min);
	return n > 0 ? (size_t)n : 0;
}

size_t vg_demo_compact_s(int64_t ns, char *out)
{
	dm_tm t;
	vg_demo_tm(ns, &t);
	int n = snprintf(out, 40, "%04lld%02u%02uT%02u%02u%02uZ", (long long)t.year, t.mon, t.day,
			 t.hour, t.min, t.sec);
	return n > 0 ? (size_t)n : 0;
}

size_t vg_demo_cli_time(int64_t ns, char *out)
{
	dm_tm t;
	vg_demo_tm(ns, &t);
	int n = snprintf(out, 40, "%04lld-%02u-%02uT%02u:%02u:%02u.%03u000+00:00",
			 (long long)t.year, t.mon, t.day, t.hour, t.min, t.sec, t.ms);
	return n > 0 ? (size_t)n : 0;
}

size_t vg_demo_report_time(int64_t ns, char *out)
{
	dm_tm t;
	vg_demo_tm(ns, &t);
	int n = snprintf(out, 40, "%04lld-%02u-%02uT%02u:%02u:%02u+00:00", (long long)t.year,
			 t.mon, t.day, t.hour, t.min, t.sec);
	return n > 0 ? (size_t)n : 0;
}

size_t vg_demo_aws_date(int64_t ns, char *out)
{
	static const char mon[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	dm_tm t;
	vg_demo_tm(ns, &t);
	unsigned h12 = t.hour % 12 ? t.hour % 12 : 12;
	int n = snprintf(out, 40, "%s %u, %04lld, %u:%02u:%02u %s", mon[t.mon - 1], t.day,
			 (long long)t.year, h12, t.min, t.sec, t.hour < 12 ? "AM" : "PM");
	return n > 0 ? (size_t)n : 0;
}

void vg_demo_json_str(vg_buf *b, const char *s)
{
	static const char hex[] = DM_HEX;
	vg_buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned char c = *p;
		if (c == '"' || c == '\\') {
			vg_buf_putc(b, '\\');
			vg_buf_putc(b, c);
		} else if (c == '\n') {
			vg_buf_puts(b, "\\n");
		} else if (c < 0x20) {
			char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			vg_buf_put(b, e, 6);
		} else {
			vg_buf_putc(b, c);
		}
	}
	vg_buf_putc(b, '"');
}

void vg_demo_rand_id(dm_rng *r, char *out, size_t cap, const char *prefix, int n,
		     const char *alphabet)
{
	size_t pl = strlen(prefix), al = strlen(alphabet);
	size_t i = 0;
	for (; i < pl && i + 1 < cap; i++)
		out[i] = prefix[i];
	for (int k = 0; k < n && i + 1 < cap; k++)
		out[i++] = alphabet[dm_below(r, (uint32_t)al)];
	out[i] = 0;
}

void vg_demo_uuid(dm_rng *r, char out[37])
{
	static const char hex[] = DM_HEX;
	uint64_t a = dm_next(r), b = dm_next(r);
	a = (a & ~UINT64_C(0xF000)) | UINT64_C(0x4000);                 /* version 4 */
	b = (b & ~(UINT64_C(3) << 62)) | (UINT64_C(2) << 62);           /* RFC 4122 variant */
	int k = 0;
	for (int i = 0; i < 32; i++) {
		if (i == 8 || i == 12 || i == 16 || i == 20)
			out[k++] = '-';
		uint64_t w = i < 16 ? a : b;
		out[k++] = hex[(w >> (60 - 4 * (i % 16))) & 15];
	}
	out[k] = 0;
}
