/*
 * ip.h — IP addresses as 16 bytes.
 *
 * Every address is kept as 16 bytes in network order; IPv4 addresses are
 * IPv4-mapped (::ffff:a.b.c.d), so one comparison and one CIDR test serve
 * both families.
 */
#ifndef VG_IP_H
#define VG_IP_H

#include <stddef.h>
#include <stdint.h>

/* Parse a dotted-quad IPv4 or an IPv6 address from exactly n bytes.
 * Strict: `255.090.254.5` (a leading zero) is not an address. Returns 0 or
 * -1. */
int vg_ip_parse(const char *s, size_t n, uint8_t out[16]);

/* Parse a dotted-quad IPv4 address from exactly n bytes, in the one form
 * vg_ip_format prints it (no leading zeros): 0 or -1. A text it takes is
 * the canonical text of the address it gives. */
int vg_ip_parse4(const char *s, size_t n, uint8_t out[16]);

/* 1 if two 16-byte addresses are the same (two loads each: the seal's
 * dictionaries compare addresses per row). */
static inline int vg_ip_eq(const uint8_t *a, const uint8_t *b)
{
	uint64_t a0, a1, b0, b1;
	__builtin_memcpy(&a0, a, 8);
	__builtin_memcpy(&a1, a + 8, 8);
	__builtin_memcpy(&b0, b, 8);
	__builtin_memcpy(&b1, b + 8, 8);
	return a0 == b0 && a1 == b1;
}

/* memcmp(a, b, 16) as -1, 0 or 1, in two word comparisons: the seal
 * keeps every address column's range, a comparison or two per value. */
static inline int vg_ip_cmp(const uint8_t *a, const uint8_t *b)
{
	uint64_t a0, a1, b0, b1;
	__builtin_memcpy(&a0, a, 8);
	__builtin_memcpy(&a1, a + 8, 8);
	__builtin_memcpy(&b0, b, 8);
	__builtin_memcpy(&b1, b + 8, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	a0 = __builtin_bswap64(a0), a1 = __builtin_bswap64(a1);
	b0 = __builtin_bswap64(b0), b1 = __builtin_bswap64(b1);
#endif
	if (a0 != b0)
		return a0 < b0 ? -1 : 1;
	return (a1 > b1) - (a1 < b1);
}

/* 1 if the 16-byte address is IPv4-mapped. */
int vg_ip_is4(const uint8_t ip[16]);

/* Canonical text of an address (inet_ntop form) into out (>= 46 bytes);
 * returns its length. */
size_t vg_ip_format(const uint8_t ip[16], char *out);

#endif
