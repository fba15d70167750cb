/*
 * value.h — printing field values.
 *
 * One definition of how a typed value reads as text, used wherever a value
 * becomes text: rebuilding a raw line from a template, JSON output, search
 * tokens. Integers in decimal, doubles with the shortest repr that reads
 * back exactly (%.17g), addresses in inet_ntop's canonical form, strings as
 * they are.
 */
#ifndef VG_VALUE_H
#define VG_VALUE_H

#include "event/batch.h"
#include "util/mem.h"

/* Append the text of value (type, i/d/s/ip) to out. */
void vg_value_text(vg_buf *out, uint8_t type, int64_t i, double d, const char *s, size_t slen,
		   const uint8_t *ip);
void vg_field_text(vg_buf *out, const vg_field *f);
/* One byte of a JSON string literal, escaped when JSON needs it. */
void vg_json_putc(vg_buf *out, unsigned char c);
/* Append s as a JSON string literal (quotes and escapes) to out. */
void vg_json_str(vg_buf *out, const char *s, size_t n);
/* Append an int64 in decimal without printf. */
void vg_put_i64(vg_buf *out, int64_t v);

#endif
