/*
 * num.h — reading decimal numbers from text, the one definition the query
 * language's literals and the values it computes with share.
 *
 * A number is [+-] digits [. digits] [e [+-] digits], with digits on at
 * least one side of the point. Lengths are explicit: nothing needs a NUL.
 */
#ifndef VG_NUM_H
#define VG_NUM_H

#include <stddef.h>
#include <stdint.h>

/* The length of the run of ASCII digits at s[i] (s has n bytes). */
size_t vg_num_digits(const char *s, size_t n, size_t i);

/* 1 if all of s is a number as above; *integral is set when it has no
 * point and no exponent. */
int vg_num_syntax(const char *s, size_t n, int *integral);

/* An int64 from [+-]digits (s as vg_num_syntax accepts with *integral):
 * 0, or -1 when it does not fit. */
int vg_num_int64(const char *s, size_t n, int64_t *out);

#endif
