#include "store/manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "util/mem.h"

#define MAX_MANIFEST (256u << 20)

static void hex(vg_buf *b, const uint8_t *p, size_t n)
{
	static const char d[] = "0123456789abcdef";
	for (size_t k = 0; k < n; k++) {
		vg_buf_putc(b, (uint8_t)d[p[k] >> 4]);
		vg_buf_putc(b, (uint8_t)d[p[k] & 15]);
	}
}

static int unhex(const char *s, uint8_t *out, size_t n)
{
	if (strlen(s) != 2 * n)
		return -1;
	for (size_t k = 0; k < n; k++) {
		unsigned v;
		if (sscanf(s + 2 * k, "%2x", &v) != 1)
			return -1;
		out[k] = (uint8_t)v;
	}
	return 0;
}

static void pct_encode(vg_buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-_./:", c))
			vg_buf_putc(b, c);
		else
			vg_buf_printf(b, "%%%02X", c);
	}
}

static int pct_decode(const char *s, char *out, size_t cap)
{
	size_t n = 0;
	for (; *s; s++) {
		unsigned v = (unsigned char)*s;
		if (*s == '%') {
			if (sscanf(s + 1, "%2X", &v) != 1)
				return -1;
			s += 2;
		}
		if (n + 1 >= cap)
			return -1;
		out[n++] = (char)v;
	}
	out[n] = 0;
	return 0;
}

void vg_manifest_add(vg_manifest *m, const vg_seginfo *info)
{
	vg_grow(&m->ents, &m->cap, m->n + 1, sizeof *m->ents);
	m->ents[m->n].info = *info;
	m->ents[m->n].dropped = 0;
	m->n++;
}

void vg_manifest_free(vg_manifest *m)
{
	free(m->ents);
	memset(m, 0, sizeof *m);
}

void vg_manifest_head(const vg_manifest *m, uint8_t out[VG_HASH_LEN])
{
	if (m->n == 0)
		memset(out, 0, VG_HASH_LEN);
	else
		memcpy(out, m->ents[m->n - 1].info.chain, VG_HASH_LEN);
}

int vg_fsync_dir(const char *dir, vg_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return vg_seterr(err, VG_EIO, -1, "cannot open %s: %s", dir, strerror(errno));
	int rc = fsync(fd);
	close(fd);
	if (rc != 0)
		return vg_seterr(err, VG_EIO, -1, "cannot fsync %s: %s", dir, strerror(errno));
	return 0;
}

int vg_manifest_save(const char *dir, const vg_manifest *m, vg_err *err)
{
	vg_buf b = {0};
	vg_buf_printf(&b, "vigil-manifest 1\nwal %" PRIu64 "\nnext %" PRIu64 "\n", m->wal_gen,
		      m->next_seq);
	for (size_t k = 0; k < m->n; k++) {
		const vg_seginfo *s = &m->ents[k].info;
		if (m->ents[k].dropped) {
			vg_buf_printf(&b, "drop %" PRIu64 " ", s->seq);
		} else {
			vg_buf_printf(&b, "seg %" PRIu64 " ", s->seq);
			pct_encode(&b, s->group);
			vg_buf_printf(&b, " %" PRId64 " %" PRIu64 " %" PRId64 " %" PRId64 " %" PRIu64 " ",
				      s->day, s->nrows, s->tmin, s->tmax, s->bytes);
		}
		hex(&b, s->content_hash, VG_HASH_LEN);
		vg_buf_putc(&b, ' ');
		hex(&b, s->chain, VG_HASH_LEN);
		vg_buf_putc(&b, '\n');
	}
	vg_buf_printf(&b, "sum %016" PRIx64 "\n", XXH64(b.p, b.len, 0));
	char tmp[4200], path[4200];
	snprintf(tmp, sizeof tmp, "%s/MANIFEST.tmp", dir);
	snprintf(path, sizeof path, "%s/MANIFEST", dir);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int rc = 0;
	if (fd < 0) {
		rc = vg_seterr(err, VG_EIO, -1, "cannot create %s: %s", tmp, strerror(errno));
	} else {
		if (write(fd, b.p, b.len) != (ssize_t)b.len || fsync(fd) != 0)
			rc = vg_seterr(err, VG_EIO, -1, "cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		if (rc == 0 && rename(tmp, path) != 0)
			rc = vg_seterr(err, VG_EIO, -1, "cannot rename %s: %s", tmp, strerror(errno));
		if (rc == 0)
			rc = vg_fsync_dir(dir, err);
	}
	vg_buf_free(&b);
	return rc;
}

static int parse_line(vg_manifest *m, char *line, size_t lineno, vg_err *err)
{
	char kind[8], a[300], h1[80], h2[80];
	vg_seginfo s;
	memset(&s, 0, sizeof s);
	if (sscanf(line, "%7s", kind) != 1)
		return vg_seterr(err, VG_ECORRUPT, -1, "MANIFEST line %zu: empty", lineno);
	if (strcmp(kind, "wal") == 0 && sscanf(line, "wal %" SCNu64, &m->wal_gen) == 1)
		return 0;
	if (strcmp(kind, "next") == 0 && sscanf(line, "next %" SCNu64, &m->next_seq) == 1)
		return 0;
	if (strcmp(kind, "seg") == 0 &&
	    sscanf(line, "seg %" SCNu64 " %299s %" SCNd64 " %" SCNu64 " %" SCNd64 " %" SCNd64 " %" SCNu64 " %79s %79s",
		   &s.seq, a, &s.day, &s.nrows, &s.tmin, &s.tmax, &s.bytes, h1, h2) == 9 &&
	    pct_decode(a, s.group, sizeof s.group) == 0 && unhex(h1, s.content_hash, VG_HASH_LEN) == 0 &&
	    unhex(h2, s.chain, VG_HASH_LEN) == 0) {
		vg_manifest_add(m, &s);
		return 0;
	}
	if (strcmp(kind, "drop") == 0 &&
	    sscanf(line, "drop %" SCNu64 " %79s %79s", &s.seq, h1, h2) == 3 &&
	    unhex(h1, s.content_hash, VG_HASH_LEN) == 0 && unhex(h2, s.chain, VG_HASH_LEN) == 0) {
		vg_manifest_add(m, &s);
		m->ents[m->n - 1].dropped = 1;
		return 0;
	}
	return vg_seterr(err, VG_ECORRUPT, -1, "MANIFEST line %zu does not parse: %.80s", lineno, line);
}

int vg_manifest_load(const char *dir, vg_manifest *m, int *exists, vg_err *err)
{
	memset(m, 0, sizeof *m);
	m->next_seq = 1;
	*exists = 0;
	char path[4200];
	snprintf(path, sizeof path, "%s/MANIFEST", dir);
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		return vg_seterr(err, VG_EIO, -1, "cannot open %s: %s", path, strerror(errno));
	}
	*exists = 1;
	char *buf = vg_xmalloc(MAX_MANIFEST + 1);
	size_t len = fread(buf, 1, MAX_MANIFEST, f);
	fclose(f);
	buf[len] = 0;
	int rc = 0;
	/* The sum line covers every byte before it. */
	char *sum = len ? strstr(buf, "\nsum ") : NULL;
	uint64_t want;
	if (sum == NULL || sscanf(sum + 5, "%" SCNx64, &want) != 1 ||
	    XXH64(buf, (size_t)(sum + 1 - buf), 0) != want) {
		rc = vg_seterr(err, VG_ECORRUPT, -1, "%s: checksum missing or wrong (the file was altered or cut)", path);
		goto out;
	}
	sum[1] = 0;
	if (strncmp(buf, "vigil-manifest 1\n", 17) != 0) {
		rc = vg_seterr(err, VG_ECORRUPT, -1, "%s: not a version 1 manifest", path);
		goto out;
	}
	size_t lineno = 1;
	for (char *line = buf + 17; *line && rc == 0; lineno++) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		rc = parse_line(m, line, lineno + 1, err);
		line = nl ? nl + 1 : line + strlen(line);
	}
out:
	free(buf);
	return rc;
}
