/* What the column encoder (colenc.c) and decoder (coldec.c) share: the
 * chunk format's constants (docs/FORMAT.md, "Column chunks"). Private to
 * src/store. */
#ifndef VG_STORE_COLENC_INT_H
#define VG_STORE_COLENC_INT_H

#include <stdint.h>

#define MAX_CHUNK (256u << 20)   /* largest decoded chunk we accept */

enum { F_ALL_PRESENT = 1, F_SINGLE_TYPE = 2, F_REF = 4 };
enum { INT_FOR = 0, INT_DELTA = 1, INT_PLANES = 2 };
enum { IP_PLAIN4 = 0, IP_PLAIN16 = 1, IP_DICT4 = 2, IP_DICT16 = 3 };
enum { STR_PLAIN = 0, STR_DICT = 1 };
enum { CODEC_RAW = 0, CODEC_ZSTD = 1 };

/* Frees the decoder's per-thread zstd context (vg_col_thread_done). */
void vg_coldec_thread_done(void);

#endif
