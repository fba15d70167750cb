#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>

int vg_seterr(vg_err *e, int code, int64_t pos, const char *fmt, ...)
{
	if (e == NULL)
		return code;
	va_list ap;
	e->code = code;
	e->pos = pos;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return code;
}

const char *vg_strerror(int code)
{
	switch (code) {
	case VG_OK: return "ok";
	case VG_EINVAL: return "invalid input";
	case VG_EIO: return "I/O error";
	case VG_ENOMEM: return "out of memory";
	case VG_ECORRUPT: return "corrupt data";
	case VG_ELIMIT: return "limit exceeded";
	case VG_EBUSY: return "busy";
	case VG_ENOTFOUND: return "not found";
	default: return "unknown error";
	}
}
