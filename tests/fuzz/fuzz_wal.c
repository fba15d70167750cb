/*
 * fuzz_wal.c — replaying a damaged write-ahead log must stop at the damage
 * with the verified prefix intact, never crash: replay the input, and also
 * replay it with its own checksums made valid, so the record decoder sees
 * arbitrary payloads and not only checksum failures.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "store/wal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void replay(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return;
	fwrite(p, 1, n, f);
	fclose(f);
	vg_batch b;
	vg_batch_init(&b);
	vg_wal_replay r;
	vg_err e = {0};
	if (vg_wal_replay_file(path, &b, &r, &e) == 0) {
		if (r.valid_bytes + r.torn_bytes != n)
			abort();
		if (r.events != b.nev)
			abort();
	}
	vg_batch_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/vigil-fuzz-wal.%d", (int)getpid());
	replay(path, data, size);
	/* Fix up the framing: one record holding the whole input. */
	uint8_t *rec = malloc(size + 16);
	if (rec) {
		uint32_t magic = 0x4c415756u, len = (uint32_t)size;
		uint64_t sum = XXH64(data, size, 0);
		memcpy(rec, &magic, 4);
		memcpy(rec + 4, &len, 4);
		memcpy(rec + 8, &sum, 8);
		if (size)
			memcpy(rec + 16, data, size);
		replay(path, rec, size + 16);
		free(rec);
	}
	unlink(path);
	return 0;
}
