/*
 * mmdbw.h — a writer of small MaxMind DB files for tests (Debian has no
 * .mmdb writer in C; the format is short: a binary search tree, a data
 * section and a metadata map, see MaxMind's "MaxMind DB File Format
 * Specification" 2.0). test_geo.c checks the reader against it and
 * test_query.c builds the GeoIP database of the golden query tests with
 * it, so that no test depends on the machine's databases.
 *
 * Use: encode records into a vg_buf with ctrl() and the m_* helpers,
 * noting each record's offset; tree_net() each network to its record's
 * offset; mmdb_write() the file. Failures are cmocka assertions.
 */
#ifndef VG_TEST_MMDBW_H
#define VG_TEST_MMDBW_H

#include "testutil.h"

#include "util/ip.h"
#include "util/mem.h"

/* A writer for the data section's encoding. */
enum { T_PTR = 1, T_STR, T_DBL, T_BYTES, T_U16, T_U32, T_MAP, T_I32, T_U64, T_U128, T_ARRAY };

static inline void ctrl(vg_buf *b, int type, size_t size)
{
	uint8_t first = (uint8_t)((type <= 7 ? type : 0) << 5);
	uint8_t ext[3];
	size_t next = 0;
	if (size < 29) {
		first |= (uint8_t)size;
	} else if (size < 285) {
		first |= 29;
		ext[next++] = (uint8_t)(size - 29);
	} else {
		size -= 285;
		first |= 30;
		ext[next++] = (uint8_t)(size >> 8);
		ext[next++] = (uint8_t)size;
	}
	vg_buf_putc(b, first);
	if (type > 7)
		vg_buf_putc(b, (uint8_t)(type - 7));
	vg_buf_put(b, ext, next);
}

static inline void m_str(vg_buf *b, const char *s)
{
	ctrl(b, T_STR, strlen(s));
	vg_buf_puts(b, s);
}

static inline void m_uint(vg_buf *b, int type, uint64_t v)
{
	uint8_t be[8];
	size_t n = 0;
	for (uint64_t x = v; x; x >>= 8)
		n++;
	for (size_t i = 0; i < n; i++)
		be[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	ctrl(b, type, n);
	vg_buf_put(b, be, n);
}

static inline void m_dbl(vg_buf *b, double d)
{
	uint64_t u;
	memcpy(&u, &d, 8);
	ctrl(b, T_DBL, 8);
	for (int i = 7; i >= 0; i--)
		vg_buf_putc(b, (uint8_t)(u >> (8 * i)));
}

/* {"names": {"en": name}} */
static inline void m_names(vg_buf *b, const char *name)
{
	ctrl(b, T_MAP, 1);
	m_str(b, "names");
	ctrl(b, T_MAP, 1);
	m_str(b, "en");
	m_str(b, name);
}

/* {"iso_code": iso, "names": {"en": name}} */
static inline void m_country(vg_buf *b, const char *iso, const char *name)
{
	ctrl(b, T_MAP, 2);
	m_str(b, "iso_code");
	m_str(b, iso);
	m_str(b, "names");
	ctrl(b, T_MAP, 1);
	m_str(b, "en");
	m_str(b, name);
}

/* The search tree: 32-bit records; kind 0 empty, 1 node, 2 data. */
typedef struct mnode {
	uint32_t rec[2];
	uint8_t kind[2];
} mnode;

typedef struct mtree {
	mnode *n;
	size_t len, cap;
} mtree;

static inline void tree_insert(mtree *t, const uint8_t ip[16], unsigned bits, uint32_t data)
{
	if (t->len == 0) {
		vg_grow(&t->n, &t->cap, 1, sizeof *t->n);
		memset(&t->n[0], 0, sizeof *t->n);
		t->len = 1;
	}
	uint32_t node = 0;
	for (unsigned d = 0; d < bits; d++) {
		int bit = ip[d / 8] >> (7 - d % 8) & 1;
		if (d + 1 == bits) {
			assert_int_not_equal(t->n[node].kind[bit], 1);
			t->n[node].kind[bit] = 2;
			t->n[node].rec[bit] = data;
			return;
		}
		if (t->n[node].kind[bit] == 0) {
			vg_grow(&t->n, &t->cap, t->len + 1, sizeof *t->n);
			memset(&t->n[t->len], 0, sizeof *t->n);
			t->n[node].kind[bit] = 1;
			t->n[node].rec[bit] = (uint32_t)t->len++;
		}
		assert_int_equal(t->n[node].kind[bit], 1);
		node = t->n[node].rec[bit];
	}
}

/* Insert an address written as text with a prefix length over its own
 * family (IPv4 goes under ::/96, where readers look for it). */
static inline void tree_net(mtree *t, const char *addr, unsigned len, uint32_t data)
{
	uint8_t ip[16];
	assert_int_equal(vg_ip_parse(addr, strlen(addr), ip), 0);
	if (vg_ip_is4(ip)) {
		memset(ip, 0, 12);
		len += 96;
	}
	tree_insert(t, ip, len, data);
}

static inline void put_be32(vg_buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	vg_buf_put(b, x, 4);
}

/* Write tree + data + metadata to path. */
static inline void mmdb_write(const char *path, const mtree *t, const vg_buf *data, const char *type)
{
	vg_buf f = {0};
	uint32_t nc = (uint32_t)t->len;
	for (size_t i = 0; i < t->len; i++)
		for (int k = 0; k < 2; k++) {
			uint32_t v = t->n[i].kind[k] == 0 ? nc
				     : t->n[i].kind[k] == 1 ? t->n[i].rec[k]
							    : nc + 16 + t->n[i].rec[k];
			put_be32(&f, v);
		}
	for (int i = 0; i < 16; i++)
		vg_buf_putc(&f, 0);
	vg_buf_put(&f, data->p, data->len);
	vg_buf_put(&f, "\xab\xcd\xefMaxMind.com", 14);
	ctrl(&f, T_MAP, 9);
	m_str(&f, "node_count");
	m_uint(&f, T_U32, nc);
	m_str(&f, "record_size");
	m_uint(&f, T_U16, 32);
	m_str(&f, "ip_version");
	m_uint(&f, T_U16, 6);
	m_str(&f, "database_type");
	m_str(&f, type);
	m_str(&f, "languages");
	ctrl(&f, T_ARRAY, 1);
	m_str(&f, "en");
	m_str(&f, "binary_format_major_version");
	m_uint(&f, T_U16, 2);
	m_str(&f, "binary_format_minor_version");
	m_uint(&f, T_U16, 0);
	m_str(&f, "build_epoch");
	m_uint(&f, T_U64, 1700000000);
	m_str(&f, "description");
	ctrl(&f, T_MAP, 1);
	m_str(&f, "en");
	m_str(&f, "vigil test database");
	FILE *out = fopen(path, "wb");
	assert_non_null(out);
	assert_int_equal(fwrite(f.p, 1, f.len, out), f.len);
	fclose(out);
	vg_buf_free(&f);
}

#endif
