/*
 * cli.h — the command line: one function per command, sharing option
 * parsing and output conventions.
 *
 * Exit status: 0 success, 1 user error (bad option, bad input, bad query)
 * with the message on stderr, 2 anything else (I/O, corruption).
 */
#ifndef VG_CLI_H
#define VG_CLI_H

#include <stdio.h>

#include "util/err.h"

enum { VG_EXIT_OK = 0, VG_EXIT_USER = 1, VG_EXIT_FAIL = 2 };

typedef enum { VG_OUT_TABLE, VG_OUT_JSON, VG_OUT_CSV } vg_outfmt;

/* Options every data command shares. */
typedef struct vg_common {
	const char *data;      /* --data DIR (default ./data) */
	vg_outfmt out;
} vg_common;

/* Print "vigil CMD: message" to stderr and return the exit status for code. */
int vg_cli_fail(const char *cmd, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int vg_cli_err(const char *cmd, const vg_err *e);
/* Parse --output's value. */
int vg_cli_outfmt(const char *s, vg_outfmt *out);

int vg_cmd_ingest(int argc, char **argv);
int vg_cmd_cat(int argc, char **argv);
int vg_cmd_search(int argc, char **argv);
int vg_cmd_check(int argc, char **argv);
int vg_cmd_demo(int argc, char **argv);
int vg_cmd_inspect(int argc, char **argv);
int vg_cmd_retention(int argc, char **argv);
int vg_cmd_user(int argc, char **argv);
int vg_cmd_token(int argc, char **argv);
int vg_cmd_server(int argc, char **argv);

#endif
