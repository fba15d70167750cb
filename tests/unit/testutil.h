/* testutil.h — shared includes and small helpers for cmocka unit tests. */
#ifndef VG_TESTUTIL_H
#define VG_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Path of a file under ../shared/data (tests run from the repository root). */
static inline const char *shared_path(const char *rel)
{
	static char buf[4096];
	snprintf(buf, sizeof buf, "../shared/data/%s", rel);
	return buf;
}

/* Read a whole file into a malloc'd buffer; *len gets its size. NULL if absent. */
static inline char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *p = malloc((size_t)n + 1);
	if (p == NULL || fread(p, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(p);
		return NULL;
	}
	p[n] = 0;
	fclose(f);
	*len = (size_t)n;
	return p;
}

#endif
