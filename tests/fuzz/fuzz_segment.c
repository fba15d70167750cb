/*
 * fuzz_segment.c — a damaged segment file must be refused with an error,
 * never crash or read out of bounds: open it, verify it, and decode every
 * chunk and row through the reader even when verification fails (a reader
 * that skips verification must be safe too).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/reader.h"
#include "store/segment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/vigil-fuzz-seg.%d", (int)getpid());
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	vg_seg *s = NULL;
	vg_err e = {0};
	if (vg_seg_open(path, &s, &e) == 0) {
		vg_seg_verify(s, &e);
		for (uint32_t b = 0; b < s->nblocks; b++) {
			vg_blk bk;
			if (vg_blk_load(&bk, s, b, NULL, &e) == 0) {
				vg_buf out = {0};
				for (uint32_t r = 0; r < bk.n; r++) {
					vg_blk_json(&bk, r, &out);
					vg_buf_clear(&out);
				}
				vg_buf_free(&out);
			}
			vg_blk_release(&bk);
			vg_seg_block_maybe(s, b, 12345);
		}
	}
	vg_seg_close(s);
	unlink(path);
	return 0;
}
