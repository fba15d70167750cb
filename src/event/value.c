#include "event/value.h"

#include <stdio.h>

#include "util/ip.h"

void vg_put_i64(vg_buf *out, int64_t v)
{
	char tmp[24];
	int n = 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		tmp[n++] = '-';
	vg_buf_reserve(out, (size_t)n);
	while (n)
		out->p[out->len++] = (uint8_t)tmp[--n];
}

void vg_value_text(vg_buf *out, uint8_t type, int64_t i, double d, const char *s, size_t slen,
		   const uint8_t *ip)
{
	char tmp[64];
	switch (type) {
	case VG_T_INT:
		vg_put_i64(out, i);
		break;
	case VG_T_DBL:
		vg_buf_put(out, tmp, (size_t)snprintf(tmp, sizeof tmp, "%.17g", d));
		break;
	case VG_T_IP:
		vg_buf_put(out, tmp, vg_ip_format(ip, tmp));
		break;
	case VG_T_STR:
		vg_buf_put(out, s, slen);
		break;
	default:
		break;
	}
}

void vg_field_text(vg_buf *out, const vg_field *f)
{
	vg_value_text(out, f->type, f->v.i, f->v.d, f->type == VG_T_STR ? f->v.s : NULL, f->len,
		      f->type == VG_T_IP ? f->v.ip : NULL);
}

void vg_json_putc(vg_buf *out, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	if (c >= 0x20 && c != '"' && c != '\\') {
		vg_buf_putc(out, c);
		return;
	}
	vg_buf_putc(out, '\\');
	switch (c) {
	case '"': vg_buf_putc(out, '"'); break;
	case '\\': vg_buf_putc(out, '\\'); break;
	case '\n': vg_buf_putc(out, 'n'); break;
	case '\r': vg_buf_putc(out, 'r'); break;
	case '\t': vg_buf_putc(out, 't'); break;
	default:
		vg_buf_put(out, "u00", 3);
		vg_buf_putc(out, (uint8_t)hex[c >> 4]);
		vg_buf_putc(out, (uint8_t)hex[c & 15]);
	}
}

void vg_json_str(vg_buf *out, const char *s, size_t n)
{
	vg_buf_reserve(out, n + 2);
	out->p[out->len++] = '"';
	for (size_t k = 0; k < n; k++)
		vg_json_putc(out, (unsigned char)s[k]);
	vg_buf_putc(out, '"');
}
