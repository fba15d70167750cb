/*
 * strtab.h — string interning: each distinct byte string gets a dense id
 * (0, 1, 2 ...) in the order first seen.
 *
 * The table owns copies of its strings; pointers returned by vg_strtab_get
 * stay valid until vg_strtab_free (strings live in an arena, so growth does
 * not move them). Not thread-safe.
 */
#ifndef VG_STRTAB_H
#define VG_STRTAB_H

#include <stddef.h>
#include <stdint.h>

#include "util/mem.h"

typedef struct vg_strtab {
	uint32_t *slots;     /* id + 1, or 0 for empty */
	size_t nslots;       /* power of two */
	const char **str;    /* id -> NUL-terminated copy */
	uint32_t *lens;
	uint64_t *hashes;
	size_t n, cap;
	vg_arena arena;
} vg_strtab;

uint64_t vg_hash(const void *p, size_t n);

/* Id of s, adding it if absent. */
uint32_t vg_strtab_intern(vg_strtab *t, const char *s, size_t n);
/* Id of s, or UINT32_MAX if absent. */
uint32_t vg_strtab_find(const vg_strtab *t, const char *s, size_t n);
static inline const char *vg_strtab_get(const vg_strtab *t, uint32_t id, size_t *len)
{
	if (len)
		*len = t->lens[id];
	return t->str[id];
}
void vg_strtab_clear(vg_strtab *t);
void vg_strtab_free(vg_strtab *t);

#endif
