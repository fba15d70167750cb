/*
 * err.h — errors are values.
 *
 * Every fallible function returns 0 on success or a negative VG_E* code.
 * Functions that parse user input also fill a vg_err with the position
 * (byte offset, or -1 when it has none) and a message meant for a person;
 * callers print it as it is. No function outside main() exits the process.
 */
#ifndef VG_ERR_H
#define VG_ERR_H

#include <stddef.h>
#include <stdint.h>

enum {
	VG_OK = 0,
	VG_EINVAL = -1,   /* bad input from the user: query, file, argument */
	VG_EIO = -2,      /* an operating-system call failed (errno kept) */
	VG_ENOMEM = -3,   /* allocation failed */
	VG_ECORRUPT = -4, /* stored data does not verify */
	VG_ELIMIT = -5,   /* a bound was hit (size, depth, count) */
	VG_EBUSY = -6,    /* the store is held by another writer */
	VG_ENOTFOUND = -7,
};

typedef struct vg_err {
	int code;
	int64_t pos;      /* byte offset in the input, or -1 */
	char msg[512];
} vg_err;

/* Fill e (if not NULL) with code, position and a printf-style message.
 * Returns code, so callers can `return vg_seterr(e, VG_EINVAL, ...)`. */
int vg_seterr(vg_err *e, int code, int64_t pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A short name for an error code ("invalid input", "I/O error" ...). */
const char *vg_strerror(int code);

#endif
