#include "util/ip.h"

#include <arpa/inet.h>
#include <string.h>

static const uint8_t v4prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static int parse4(const char *s, size_t n, uint8_t out[4])
{
	size_t i = 0;
	for (int part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= n || s[i] != '.')
				return -1;
			i++;
		}
		size_t start = i;
		unsigned v = 0;
		while (i < n && s[i] >= '0' && s[i] <= '9' && i - start < 3)
			v = v * 10 + (unsigned)(s[i++] - '0');
		if (i == start || v > 255 || (i - start > 1 && s[start] == '0'))
			return -1;
		out[part] = (uint8_t)v;
	}
	return i == n ? 0 : -1;
}

int vg_ip_parse4(const char *s, size_t n, uint8_t out[16])
{
	if (n < 7 || n > 15 || parse4(s, n, out + 12) != 0)
		return -1;
	memcpy(out, v4prefix, 12);
	return 0;
}

int vg_ip_parse(const char *s, size_t n, uint8_t out[16])
{
	if (n == 0 || n > 45)
		return -1;
	/* Dotted decimal first: parse4 takes digits and dots only, so it
	 * fails on any text with a colon, and the common case needs no
	 * search for one. */
	if (parse4(s, n, out + 12) == 0) {
		memcpy(out, v4prefix, 12);
		return 0;
	}
	if (memchr(s, ':', n) == NULL)
		return -1;
	char tmp[46];
	memcpy(tmp, s, n);
	tmp[n] = 0;
	return inet_pton(AF_INET6, tmp, out) == 1 ? 0 : -1;
}

int vg_ip_is4(const uint8_t ip[16])
{
	uint64_t a;
	uint32_t b;
	memcpy(&a, ip, 8);
	memcpy(&b, ip + 8, 4);
	return a == 0 && b == 0xffff0000u;
}

static size_t put_u8(char *p, unsigned v)
{
	if (v >= 100) {
		p[0] = (char)('0' + v / 100);
		p[1] = (char)('0' + v / 10 % 10);
		p[2] = (char)('0' + v % 10);
		return 3;
	}
	if (v >= 10) {
		p[0] = (char)('0' + v / 10);
		p[1] = (char)('0' + v % 10);
		return 2;
	}
	p[0] = (char)('0' + v);
	return 1;
}

/* The canonical text of an address that is not IPv4-mapped, as
 * inet_ntop prints it (RFC 5952): lowercase hex groups without leading
 * zeros, the first longest run of two or more zero groups as `::`, and
 * the last 32 bits as a dotted quad after six zero groups (::a.b.c.d).
 * Written out here because inet_ntop prints each group with sprintf,
 * which cost more than the rest of a flow record's IPv6 line together
 * (vpcflow checks every address against its text). test_vpcflow compares
 * the two on random addresses. */
static size_t format6(const uint8_t ip[16], char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned w[8];
	for (int i = 0; i < 8; i++)
		w[i] = (unsigned)ip[2 * i] << 8 | ip[2 * i + 1];
	int zbase = -1, zlen = 0;
	for (int i = 0; i < 8;) {
		int j = i;
		while (j < 8 && w[j] == 0)
			j++;
		if (j - i > zlen) {
			zbase = i;
			zlen = j - i;
		}
		i = j > i ? j : i + 1;
	}
	if (zlen < 2)
		zbase = -1;
	size_t n = 0;
	for (int i = 0; i < 8; i++) {
		if (zbase >= 0 && i >= zbase && i < zbase + zlen) {
			if (i == zbase)
				out[n++] = ':';
			continue;
		}
		if (i)
			out[n++] = ':';
		if (i == 6 && zbase == 0 && zlen == 6) {
			for (int k = 0; k < 4; k++) {
				if (k)
					out[n++] = '.';
				n += put_u8(out + n, ip[12 + k]);
			}
			break;
		}
		unsigned v = w[i];
		size_t d = v >= 0x1000 ? 4 : v >= 0x100 ? 3 : v >= 0x10 ? 2 : 1;
		for (size_t k = d; k-- > 0; v >>= 4)
			out[n + k] = hex[v & 15];
		n += d;
	}
	if (zbase >= 0 && zbase + zlen == 8)
		out[n++] = ':';
	out[n] = 0;
	return n;
}

size_t vg_ip_format(const uint8_t ip[16], char *out)
{
	if (!vg_ip_is4(ip))
		return format6(ip, out);
	/* Hot: every flow record's raw line is checked against its fields
	 * printed back, so no inet_ntop here. */
	size_t n = 0;
	for (int k = 0; k < 4; k++) {
		if (k)
			out[n++] = '.';
		n += put_u8(out + n, ip[12 + k]);
	}
	out[n] = 0;
	return n;
}
