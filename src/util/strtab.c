#include "util/strtab.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

uint64_t vg_hash(const void *p, size_t n)
{
	return XXH3_64bits(p, n);
}

/* The table's own hash: inline for the short keys that dominate (field
 * names, dictionary values, 16-byte addresses), XXH3 beyond. Not stored
 * anywhere, so it may change freely. */
static inline uint64_t tab_hash(const void *p, size_t n)
{
	if (n > 16)
		return XXH3_64bits(p, n);
	uint64_t a = 0, b = 0;
	const uint8_t *s = p;
	if (n >= 8) {
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
	} else if (n >= 4) {
		uint32_t x, y;
		memcpy(&x, s, 4);
		memcpy(&y, s + n - 4, 4);
		a = x;
		b = y;
	} else if (n > 0) {
		a = (uint64_t)s[0] << 16 | (uint64_t)s[n / 2] << 8 | s[n - 1];
	}
	__uint128_t m = (__uint128_t)(a ^ 0x9e3779b97f4a7c15ull) * (b ^ 0xc2b2ae3d27d4eb4full ^ n);
	return (uint64_t)m ^ (uint64_t)(m >> 64);
}

static void rehash(vg_strtab *t, size_t nslots)
{
	free(t->slots);
	t->slots = vg_xcalloc(nslots, sizeof *t->slots);
	t->nslots = nslots;
	for (size_t id = 0; id < t->n; id++) {
		size_t i = t->hashes[id] & (nslots - 1);
		while (t->slots[i])
			i = (i + 1) & (nslots - 1);
		t->slots[i] = (uint32_t)id + 1;
	}
}

static uint32_t lookup(const vg_strtab *t, const char *s, size_t n, uint64_t h, size_t *slot)
{
	if (t->nslots == 0) {
		*slot = 0;
		return UINT32_MAX;
	}
	size_t i = h & (t->nslots - 1);
	while (t->slots[i]) {
		uint32_t id = t->slots[i] - 1;
		if (t->hashes[id] == h && t->lens[id] == n && memcmp(t->str[id], s, n) == 0)
			return id;
		i = (i + 1) & (t->nslots - 1);
	}
	*slot = i;
	return UINT32_MAX;
}

uint32_t vg_strtab_find(const vg_strtab *t, const char *s, size_t n)
{
	size_t slot;
	return lookup(t, s, n, tab_hash(s, n), &slot);
}

uint32_t vg_strtab_intern(vg_strtab *t, const char *s, size_t n)
{
	uint64_t h = tab_hash(s, n);
	size_t slot;
	uint32_t id = lookup(t, s, n, h, &slot);
	if (id != UINT32_MAX)
		return id;
	if ((t->n + 1) * 2 > t->nslots) {
		rehash(t, t->nslots ? t->nslots * 2 : 64);
		lookup(t, s, n, h, &slot);
	}
	if (t->n == t->cap) {
		size_t cap = t->cap;
		vg_grow(&t->str, &cap, t->n + 1, sizeof *t->str);
		cap = t->cap;
		vg_grow(&t->lens, &cap, t->n + 1, sizeof *t->lens);
		cap = t->cap;
		vg_grow(&t->hashes, &cap, t->n + 1, sizeof *t->hashes);
		t->cap = cap;
	}
	id = (uint32_t)t->n++;
	t->str[id] = vg_arena_dup(&t->arena, s, n);
	t->lens[id] = (uint32_t)n;
	t->hashes[id] = h;
	t->slots[slot] = id + 1;
	return id;
}

void vg_strtab_clear(vg_strtab *t)
{
	if (t->slots)
		memset(t->slots, 0, t->nslots * sizeof *t->slots);
	t->n = 0;
	vg_arena_reset(&t->arena);
}

void vg_strtab_free(vg_strtab *t)
{
	free(t->slots);
	free(t->str);
	free(t->lens);
	free(t->hashes);
	vg_arena_free(&t->arena);
	memset(t, 0, sizeof *t);
}
