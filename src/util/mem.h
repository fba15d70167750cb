/*
 * mem.h — allocation helpers, growable byte buffers and arenas.
 *
 * vg_xmalloc and friends abort on allocation failure: vigil runs on a
 * machine it owns, and every size it allocates is bounded by a limit
 * checked earlier, so an allocation failure is an operational fault, not a
 * user error to recover from.
 *
 * vg_buf owns its bytes; vg_buf_free releases them. vg_arena hands out
 * memory that lives until vg_arena_reset or vg_arena_free: code that uses an
 * arena never frees piecemeal.
 */
#ifndef VG_MEM_H
#define VG_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

void *vg_xmalloc(size_t n);
void *vg_xcalloc(size_t n, size_t size);
void *vg_xrealloc(void *p, size_t n);
char *vg_xstrndup(const char *s, size_t n);

/* Grow an array pointer *pp of element size `size` so it holds at least
 * `need` elements; *cap is updated. */
void vg_grow(void *pp, size_t *cap, size_t need, size_t size);

typedef struct vg_buf {
	uint8_t *p;
	size_t len, cap;
} vg_buf;

void vg_buf_reserve(vg_buf *b, size_t extra);
void vg_buf_put(vg_buf *b, const void *p, size_t n);
void vg_buf_putc(vg_buf *b, uint8_t c);
void vg_buf_puts(vg_buf *b, const char *s);
void vg_buf_printf(vg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vg_buf_u32le(vg_buf *b, uint32_t v);
void vg_buf_u64le(vg_buf *b, uint64_t v);
void vg_buf_uvarint(vg_buf *b, uint64_t v);
void vg_buf_svarint(vg_buf *b, int64_t v);  /* zigzag */
void vg_buf_free(vg_buf *b);
static inline void vg_buf_clear(vg_buf *b) { b->len = 0; }

/* Little-endian and varint readers over a bounded cursor. They return -1
 * (and leave *v untouched) when the input ends early. */
typedef struct vg_cur {
	const uint8_t *p, *end;
} vg_cur;
int vg_cur_u8(vg_cur *c, uint8_t *v);
int vg_cur_u32le(vg_cur *c, uint32_t *v);
int vg_cur_u64le(vg_cur *c, uint64_t *v);
int vg_cur_uvarint(vg_cur *c, uint64_t *v);
int vg_cur_svarint(vg_cur *c, int64_t *v);
int vg_cur_bytes(vg_cur *c, size_t n, const uint8_t **out);

static inline uint32_t vg_rd32le(const void *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}
static inline uint64_t vg_rd64le(const void *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

typedef struct vg_arena_chunk vg_arena_chunk;
typedef struct vg_arena {
	vg_arena_chunk *head;    /* oldest chunk */
	vg_arena_chunk *cur;     /* the chunk being filled */
	size_t used_total;   /* bytes handed out since the last reset */
} vg_arena;

void *vg_arena_alloc(vg_arena *a, size_t n);   /* 8-byte aligned */
char *vg_arena_dup(vg_arena *a, const void *p, size_t n); /* NUL added */
/* Forget every allocation but keep the chunks, so a reused arena (the
 * memtable after a seal) does not fault its pages in again. */
void vg_arena_reset(vg_arena *a);
void vg_arena_free(vg_arena *a);

#endif
