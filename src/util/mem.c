#include "util/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void *vg_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL) {
		fprintf(stderr, "vigil: out of memory allocating %zu bytes\n", n);
		abort();
	}
	return p;
}

void *vg_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (p == NULL) {
		fprintf(stderr, "vigil: out of memory allocating %zu x %zu bytes\n", n, size);
		abort();
	}
	return p;
}

void *vg_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (q == NULL) {
		fprintf(stderr, "vigil: out of memory reallocating %zu bytes\n", n);
		abort();
	}
	return q;
}

char *vg_xstrndup(const char *s, size_t n)
{
	char *p = vg_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

void vg_grow(void *pp, size_t *cap, size_t need, size_t size)
{
	void **p = pp;
	if (need <= *cap)
		return;
	size_t n = *cap ? *cap : 16;
	while (n < need)
		n *= 2;
	*p = vg_xrealloc(*p, n * size);
	*cap = n;
}

void vg_buf_reserve(vg_buf *b, size_t extra)
{
	if (b->len + extra <= b->cap)
		return;
	size_t n = b->cap ? b->cap : 256;
	while (n < b->len + extra)
		n *= 2;
	b->p = vg_xrealloc(b->p, n);
	b->cap = n;
}

void vg_buf_put(vg_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	vg_buf_reserve(b, n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

void vg_buf_putc(vg_buf *b, uint8_t c)
{
	vg_buf_reserve(b, 1);
	b->p[b->len++] = c;
}

void vg_buf_puts(vg_buf *b, const char *s)
{
	vg_buf_put(b, s, strlen(s));
}

void vg_buf_printf(vg_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	vg_buf_reserve(b, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void vg_buf_u32le(vg_buf *b, uint32_t v)
{
	vg_buf_put(b, &v, 4);
}

void vg_buf_u64le(vg_buf *b, uint64_t v)
{
	vg_buf_put(b, &v, 8);
}

void vg_buf_uvarint(vg_buf *b, uint64_t v)
{
	vg_buf_reserve(b, 10);
	while (v >= 0x80) {
		b->p[b->len++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	b->p[b->len++] = (uint8_t)v;
}

void vg_buf_svarint(vg_buf *b, int64_t v)
{
	vg_buf_uvarint(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void vg_buf_free(vg_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

int vg_cur_u8(vg_cur *c, uint8_t *v)
{
	if (c->end - c->p < 1)
		return -1;
	*v = *c->p++;
	return 0;
}

int vg_cur_u32le(vg_cur *c, uint32_t *v)
{
	if (c->end - c->p < 4)
		return -1;
	*v = vg_rd32le(c->p);
	c->p += 4;
	return 0;
}

int vg_cur_u64le(vg_cur *c, uint64_t *v)
{
	if (c->end - c->p < 8)
		return -1;
	*v = vg_rd64le(c->p);
	c->p += 8;
	return 0;
}

int vg_cur_uvarint(vg_cur *c, uint64_t *v)
{
	uint64_t r = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (c->p >= c->end)
			return -1;
		uint8_t x = *c->p++;
		r |= (uint64_t)(x & 0x7f) << shift;
		if (!(x & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return -1;
}

int vg_cur_svarint(vg_cur *c, int64_t *v)
{
	uint64_t u;
	if (vg_cur_uvarint(c, &u) < 0)
		return -1;
	*v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
	return 0;
}

int vg_cur_bytes(vg_cur *c, size_t n, const uint8_t **out)
{
	if ((size_t)(c->end - c->p) < n)
		return -1;
	*out = c->p;
	c->p += n;
	return 0;
}

struct vg_arena_chunk {
	vg_arena_chunk *next;
	size_t cap, used;
	_Alignas(16) uint8_t data[];
};

void *vg_arena_alloc(vg_arena *a, size_t n)
{
	n = (n + 7) & ~(size_t)7;
	vg_arena_chunk *c = a->cur;
	/* After a reset the later chunks are empty: move on through them. */
	while (c && c->cap - c->used < n && c->next)
		c = c->next;
	if (c == NULL || c->cap - c->used < n) {
		size_t cap = c ? c->cap * 2 : 64 * 1024;
		if (cap > 16u << 20)
			cap = 16u << 20;
		if (cap < n)
			cap = n;
		vg_arena_chunk *nc = vg_xmalloc(sizeof *nc + cap);
		nc->cap = cap;
		nc->used = 0;
		nc->next = NULL;
		if (c)
			c->next = nc;
		else
			a->head = nc;
		c = nc;
	}
	a->cur = c;
	void *p = c->data + c->used;
	c->used += n;
	a->used_total += n;
	return p;
}

char *vg_arena_dup(vg_arena *a, const void *p, size_t n)
{
	char *d = vg_arena_alloc(a, n + 1);
	if (n)
		memcpy(d, p, n);
	d[n] = 0;
	return d;
}

void vg_arena_reset(vg_arena *a)
{
	for (vg_arena_chunk *c = a->head; c; c = c->next)
		c->used = 0;
	a->cur = a->head;
	a->used_total = 0;
}

void vg_arena_free(vg_arena *a)
{
	vg_arena_chunk *c = a->head;
	while (c) {
		vg_arena_chunk *n = c->next;
		free(c);
		c = n;
	}
	a->head = NULL;
	a->cur = NULL;
	a->used_total = 0;
}
