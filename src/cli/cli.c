#include "cli/cli.h"

#include <stdarg.h>
#include <string.h>

int vg_cli_fail(const char *cmd, int code, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "vigil %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code == VG_EINVAL || code == VG_EBUSY || code == VG_ENOTFOUND ? VG_EXIT_USER
									      : VG_EXIT_FAIL;
}

int vg_cli_err(const char *cmd, const vg_err *e)
{
	return vg_cli_fail(cmd, e->code, "%s", e->msg[0] ? e->msg : vg_strerror(e->code));
}

int vg_cli_outfmt(const char *s, vg_outfmt *out)
{
	if (strcmp(s, "table") == 0)
		*out = VG_OUT_TABLE;
	else if (strcmp(s, "json") == 0)
		*out = VG_OUT_JSON;
	else if (strcmp(s, "csv") == 0)
		*out = VG_OUT_CSV;
	else
		return -1;
	return 0;
}
