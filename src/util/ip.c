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

size_t vg_ip_format(const uint8_t ip[16], char *out)
{
	if (vg_ip_is4(ip)) {
		/* Hot: every flow record's raw line is checked against its
		 * fields printed back, so no inet_ntop here. */
		size_t n = 0;
		for (int k = 0; k < 4; k++) {
			if (k)
				out[n++] = '.';
			n += put_u8(out + n, ip[12 + k]);
		}
		out[n] = 0;
		return n;
	} else
		inet_ntop(AF_INET6, ip, out, 46);
	return strlen(out);
}
