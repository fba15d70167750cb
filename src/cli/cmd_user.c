/*
 * cmd_user.c — `vigil user` and `vigil token`: manage who may use the
 * server, offline, on the auth store of a --data directory (auth.db, see
 * server/auth.h). They work while the server runs: SQLite lets both
 * write, and the server sees each change at its next check.
 *
 * Output rule: stdout carries only what was asked for — the generated
 * password, the new token, or the list — so a script can capture it
 * (`TOKEN=$(vigil token create --role ingest)`); confirmations go to
 * stderr. Secrets shown once are wiped from memory after printing.
 */
#include <getopt.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "event/value.h"
#include "server/auth.h"
#include "util/mem.h"
#include "util/timeutil.h"

/* The options both commands understand; each subcommand says which of
 * them it takes (the OPT_* bits). */
enum { OPT_ROLE = 1, OPT_STDIN = 2, OPT_OUTPUT = 4, OPT_NAME = 8, OPT_OWNER = 16 };

typedef struct args {
	const char *cmd;          /* "user add" ... for messages */
	const char *data, *role, *name, *owner;
	vg_outfmt out;
	unsigned given;           /* OPT_* seen */
	char **pos;               /* positional arguments after the subcommand */
	int npos;
} args;

/* Parse argv (argv[0] is the subcommand) into *a, refusing options not in
 * `allowed` and a number of positional arguments other than npos.
 * Returns -1 to go on, or the exit status. */
static int parse_args(args *a, int argc, char **argv, unsigned allowed, int npos)
{
	static const struct option opts[] = {
		{"data", required_argument, 0, 'd'},     {"role", required_argument, 0, 'r'},
		{"password-stdin", no_argument, 0, 'p'}, {"output", required_argument, 0, 'o'},
		{"name", required_argument, 0, 'n'},     {"owner", required_argument, 0, 'w'},
		{0, 0, 0, 0},
	};
	static const struct { int c; unsigned bit; const char *name; } bits[] = {
		{'r', OPT_ROLE, "--role"}, {'p', OPT_STDIN, "--password-stdin"},
		{'o', OPT_OUTPUT, "--output"}, {'n', OPT_NAME, "--name"}, {'w', OPT_OWNER, "--owner"},
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		for (size_t k = 0; k < sizeof bits / sizeof *bits; k++)
			if (bits[k].c == c && !(allowed & bits[k].bit))
				return vg_cli_fail(a->cmd, VG_EINVAL, "%s does not apply here",
						   bits[k].name);
		switch (c) {
		case 'd': a->data = optarg; break;
		case 'r': a->role = optarg; break;
		case 'p': a->given |= OPT_STDIN; break;
		case 'n': a->name = optarg; break;
		case 'w': a->owner = optarg; break;
		case 'o':
			if (vg_cli_outfmt(optarg, &a->out))
				return vg_cli_fail(a->cmd, VG_EINVAL,
						   "--output is table, json or csv, not '%s'", optarg);
			break;
		default: return VG_EXIT_USER;
		}
	}
	a->pos = argv + optind;
	a->npos = argc - optind;
	if (a->npos < npos)
		return vg_cli_fail(a->cmd, VG_EINVAL, "missing argument (see `vigil help %.*s`)",
				   (int)strcspn(a->cmd, " "), a->cmd);
	if (a->npos > npos)
		return vg_cli_fail(a->cmd, VG_EINVAL, "unexpected argument '%s'", a->pos[npos]);
	return -1;
}

/* Open the auth store of a->data; create it only when `create`. */
static int open_auth(const args *a, int create, vg_auth **out)
{
	vg_auth_opts o;
	vg_auth_defaults(&o);
	o.no_create = !create;
	vg_err e = {0};
	if (vg_auth_open(a->data, &o, out, &e))
		return vg_cli_err(a->cmd, &e);
	return 0;
}

/* Read one line (the password) from stdin into buf, without its line
 * ending. 0, or the exit status after saying what is wrong. */
static int read_password(const char *cmd, char *buf, size_t cap)
{
	if (fgets(buf, (int)cap, stdin) == NULL)
		return vg_cli_fail(cmd, VG_EINVAL, "--password-stdin: nothing on stdin");
	size_t n = strlen(buf);
	int line_end = n > 0 && buf[n - 1] == '\n';
	if (!line_end && !feof(stdin))
		return vg_cli_fail(cmd, VG_EINVAL, "passwords are at most %d bytes",
				   VG_AUTH_PASSWORD_MAX);
	if (line_end)
		buf[--n] = 0;
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = 0;
	return 0;
}

/* The password for `user add` and `user passwd`: from stdin with
 * --password-stdin, else generated (then *generated is set). */
static int get_password(const args *a, char *buf, size_t cap, int *generated)
{
	*generated = !(a->given & OPT_STDIN);
	if (*generated) {
		vg_auth_gen_password(buf);
		return 0;
	}
	int rc = read_password(a->cmd, buf, cap);
	if (rc)
		return rc;
	vg_err e = {0};
	if (vg_auth_check_password(buf, &e))
		return vg_cli_err(a->cmd, &e);
	return 0;
}

/* Print a generated password alone on stdout. */
static void show_password(const char *pw)
{
	printf("%s\n", pw);
	fflush(stdout);
}

/* `user add NAME --role R [--password-stdin]`. Returns the exit status. */
static int user_add(args *a)
{
	vg_role role;
	vg_err e = {0};
	if (a->role == NULL)
		return vg_cli_fail(a->cmd, VG_EINVAL, "--role is required: admin, analyst or ingest");
	if (vg_role_parse(a->role, &role, &e) || vg_auth_check_name(a->pos[0], &e))
		return vg_cli_err(a->cmd, &e);
	char pw[VG_AUTH_PASSWORD_MAX + 3];
	int generated, rc = get_password(a, pw, sizeof pw, &generated);
	vg_auth *au = NULL;
	if (rc == 0)
		rc = open_auth(a, 1, &au);
	if (rc == 0 && vg_auth_user_add(au, a->pos[0], role, pw, &e))
		rc = vg_cli_err(a->cmd, &e);
	if (rc == 0) {
		if (generated)
			show_password(pw);
		fprintf(stderr, "vigil user: added %s (%s)%s\n", a->pos[0], vg_role_name(role),
			generated ? "; its password, on stdout, is shown only this once" : "");
	}
	sodium_memzero(pw, sizeof pw);
	vg_auth_close(au);
	return rc;
}

/* `user passwd NAME [--password-stdin]`. Returns the exit status. */
static int user_passwd(args *a)
{
	vg_err e = {0};
	if (vg_auth_check_name(a->pos[0], &e))
		return vg_cli_err(a->cmd, &e);
	char pw[VG_AUTH_PASSWORD_MAX + 3];
	int generated, rc = get_password(a, pw, sizeof pw, &generated);
	vg_auth *au = NULL;
	if (rc == 0)
		rc = open_auth(a, 0, &au);
	if (rc == 0 && vg_auth_user_passwd(au, a->pos[0], pw, &e))
		rc = vg_cli_err(a->cmd, &e);
	if (rc == 0) {
		if (generated)
			show_password(pw);
		fprintf(stderr, "vigil user: changed the password of %s and ended its sessions%s\n",
			a->pos[0], generated ? "; the new one, on stdout, is shown only this once" : "");
	}
	sodium_memzero(pw, sizeof pw);
	vg_auth_close(au);
	return rc;
}

/* `user del`, `user disable`, `user enable` (a->cmd says which): one call
 * on a named user. Returns the exit status. */
static int user_simple(args *a)
{
	const char *sub = a->cmd + strlen("user ");
	vg_auth *au;
	int rc = open_auth(a, 0, &au);
	if (rc)
		return rc;
	vg_err e = {0};
	const char *name = a->pos[0];
	if (strcmp(sub, "del") == 0)
		rc = vg_auth_user_del(au, name, &e);
	else
		rc = vg_auth_user_disable(au, name, strcmp(sub, "disable") == 0, &e);
	vg_auth_close(au);
	if (rc)
		return vg_cli_err(a->cmd, &e);
	if (strcmp(sub, "del") == 0)
		fprintf(stderr, "vigil user: deleted %s; its sessions ended, its tokens revoked\n", name);
	else
		fprintf(stderr, "vigil user: %sd %s\n", sub, name);
	return VG_EXIT_OK;
}

/* ---- Printing lists ---- */

/* Append s as one CSV field, quoted when it must be. */
static void csv_field(vg_buf *b, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		vg_buf_puts(b, s);
		return;
	}
	vg_buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"')
			vg_buf_putc(b, '"');
		vg_buf_putc(b, (uint8_t)*s);
	}
	vg_buf_putc(b, '"');
}

/* A time in seconds as ISO-8601 into out (48 bytes), or "-" for 0. */
static const char *iso(int64_t secs, char *out)
{
	if (secs == 0)
		return "-";
	vg_format_iso8601(secs * VG_NS_PER_SEC, out, 0);
	return out;
}

/* A table: ncols columns of cells (row-major, nrows rows after the
 * header), each padded to its widest; no padding after the last. */
static void print_table(const char *const *head, char **cells, size_t nrows, size_t ncols)
{
	size_t w[8] = {0};
	for (size_t c = 0; c < ncols; c++)
		w[c] = strlen(head[c]);
	for (size_t k = 0; k < nrows * ncols; k++)
		if (strlen(cells[k]) > w[k % ncols])
			w[k % ncols] = strlen(cells[k]);
	for (size_t r = 0; r <= nrows; r++)
		for (size_t c = 0; c < ncols; c++) {
			const char *s = r ? cells[(r - 1) * ncols + c] : head[c];
			int last = c + 1 == ncols;
			printf("%-*s%s", last ? 0 : (int)w[c], s, last ? "\n" : "  ");
		}
}

/* Fill row r of a table's cells from strings, copied. */
static void put_row(char **cells, size_t r, size_t ncols, const char *const *vals)
{
	for (size_t c = 0; c < ncols; c++)
		cells[r * ncols + c] = vg_xstrndup(vals[c], strlen(vals[c]));
}

/* Free the n strings of a table and the array. */
static void free_cells(char **cells, size_t n)
{
	for (size_t k = 0; k < n; k++)
		free(cells[k]);
	free(cells);
}

/* Print users as a table, JSON or CSV (times: ISO-8601 in the table,
 * epoch seconds for programs). */
static void print_users(const vg_auth_user_info *u, size_t n, vg_outfmt fmt)
{
	vg_buf b = {0};
	if (fmt == VG_OUT_TABLE) {
		static const char *const head[] = {"name", "role", "created", "status"};
		char **cells = vg_xcalloc(n * 4 + 1, sizeof *cells), t[48];
		for (size_t k = 0; k < n; k++) {
			const char *row[] = {u[k].name, vg_role_name(u[k].role), iso(u[k].created, t),
					     u[k].disabled ? "disabled" : "enabled"};
			put_row(cells, k, 4, row);
		}
		print_table(head, cells, n, 4);
		free_cells(cells, n * 4);
		return;
	}
	if (fmt == VG_OUT_CSV)
		vg_buf_puts(&b, "name,role,created,disabled\n");
	else
		vg_buf_puts(&b, "{\"users\":[");
	for (size_t k = 0; k < n; k++) {
		if (fmt == VG_OUT_CSV) {
			vg_buf_printf(&b, "%s,%s,%" PRId64 ",%s\n", u[k].name, vg_role_name(u[k].role),
				      u[k].created, u[k].disabled ? "true" : "false");
			continue;
		}
		vg_buf_puts(&b, k ? ",{\"name\":" : "{\"name\":");
		vg_json_str(&b, u[k].name, strlen(u[k].name));
		vg_buf_printf(&b, ",\"role\":\"%s\",\"created\":%" PRId64 ",\"disabled\":%s}",
			      vg_role_name(u[k].role), u[k].created, u[k].disabled ? "true" : "false");
	}
	if (fmt == VG_OUT_JSON)
		vg_buf_puts(&b, "]}\n");
	fwrite(b.p, 1, b.len, stdout);
	vg_buf_free(&b);
}

/* `user list [--output F]`. Returns the exit status. */
static int user_list(args *a)
{
	vg_auth *au;
	int rc = open_auth(a, 0, &au);
	if (rc)
		return rc;
	vg_err e = {0};
	vg_auth_user_info *u;
	size_t n;
	rc = vg_auth_user_list(au, &u, &n, &e);
	vg_auth_close(au);
	if (rc)
		return vg_cli_err(a->cmd, &e);
	print_users(u, n, a->out);
	free(u);
	return VG_EXIT_OK;
}

/* A subcommand: its name, the options it takes, how many positional
 * arguments, and what runs it. */
typedef struct subcmd {
	const char *name;
	unsigned opts;
	int npos;
	int (*run)(args *a);
} subcmd;

/* Find argv[1] among subs and run it; cmd is "user" or "token". */
static int dispatch(const char *cmd, const subcmd *subs, size_t nsubs, const char *names,
		    int argc, char **argv)
{
	if (argc < 2)
		return vg_cli_fail(cmd, VG_EINVAL, "say %s", names);
	for (size_t k = 0; k < nsubs; k++) {
		if (strcmp(argv[1], subs[k].name) != 0)
			continue;
		char full[32];
		snprintf(full, sizeof full, "%s %s", cmd, subs[k].name);
		args a = {.cmd = full, .data = "./data", .out = VG_OUT_TABLE};
		int rc = parse_args(&a, argc - 1, argv + 1, subs[k].opts, subs[k].npos);
		if (rc < 0)
			rc = subs[k].run(&a);
		fflush(stdout);
		return rc;
	}
	return vg_cli_fail(cmd, VG_EINVAL, "unknown subcommand '%s': %s", argv[1], names);
}

int vg_cmd_user(int argc, char **argv)
{
	static const subcmd subs[] = {
		{"add", OPT_ROLE | OPT_STDIN, 1, user_add}, {"del", 0, 1, user_simple},
		{"passwd", OPT_STDIN, 1, user_passwd},      {"disable", 0, 1, user_simple},
		{"enable", 0, 1, user_simple},              {"list", OPT_OUTPUT, 0, user_list},
	};
	return dispatch("user", subs, sizeof subs / sizeof *subs,
			"add, del, passwd, disable, enable or list", argc, argv);
}

/* ---- Tokens ---- */

/* `token create --role R [--name N] [--owner U]`: the token alone on
 * stdout. Returns the exit status. */
static int token_create(args *a)
{
	vg_role role;
	vg_err e = {0};
	if (a->role == NULL)
		return vg_cli_fail(a->cmd, VG_EINVAL, "--role is required: admin, analyst or ingest");
	if (vg_role_parse(a->role, &role, &e))
		return vg_cli_err(a->cmd, &e);
	vg_auth *au;
	int rc = open_auth(a, 1, &au);
	if (rc)
		return rc;
	char tok[VG_AUTH_TOKEN_LEN + 1];
	rc = vg_auth_token_create(au, role, a->name, a->owner, tok, &e);
	vg_auth_close(au);
	if (rc)
		return vg_cli_err(a->cmd, &e);
	printf("%s\n", tok);
	fflush(stdout);
	fprintf(stderr, "vigil token: created token %.*s (%s); it is shown only this once\n",
		VG_AUTH_TOKEN_ID_LEN, tok + 4, vg_role_name(role));
	sodium_memzero(tok, sizeof tok);
	return VG_EXIT_OK;
}

/* Print tokens as a table, JSON or CSV; 0 stands for never / not revoked
 * in JSON and CSV, "-" and the status column in the table. */
static void print_tokens(const vg_auth_token_info *t, size_t n, vg_outfmt fmt)
{
	vg_buf b = {0};
	if (fmt == VG_OUT_TABLE) {
		static const char *const head[] = {"id", "role", "owner", "created", "last_used",
						   "status", "name"};
		char **cells = vg_xcalloc(n * 7 + 1, sizeof *cells), t1[48], t2[48];
		for (size_t k = 0; k < n; k++) {
			const char *row[] = {t[k].id, vg_role_name(t[k].role),
					     t[k].owner[0] ? t[k].owner : "-", iso(t[k].created, t1),
					     iso(t[k].last_used, t2), t[k].revoked ? "revoked" : "active",
					     t[k].name[0] ? t[k].name : "-"};
			put_row(cells, k, 7, row);
		}
		print_table(head, cells, n, 7);
		free_cells(cells, n * 7);
		return;
	}
	if (fmt == VG_OUT_CSV)
		vg_buf_puts(&b, "id,name,role,owner,created,last_used,revoked\n");
	else
		vg_buf_puts(&b, "{\"tokens\":[");
	for (size_t k = 0; k < n; k++) {
		if (fmt == VG_OUT_CSV) {
			vg_buf_printf(&b, "%s,", t[k].id);
			csv_field(&b, t[k].name);
			vg_buf_printf(&b, ",%s,%s,%" PRId64 ",%" PRId64 ",%" PRId64 "\n",
				      vg_role_name(t[k].role), t[k].owner, t[k].created, t[k].last_used,
				      t[k].revoked);
			continue;
		}
		vg_buf_printf(&b, "%s{\"id\":\"%s\",\"name\":", k ? "," : "", t[k].id);
		vg_json_str(&b, t[k].name, strlen(t[k].name));
		vg_buf_printf(&b, ",\"role\":\"%s\",\"owner\":", vg_role_name(t[k].role));
		if (t[k].owner[0])
			vg_json_str(&b, t[k].owner, strlen(t[k].owner));
		else
			vg_buf_puts(&b, "null");
		vg_buf_printf(&b, ",\"created\":%" PRId64 ",\"last_used\":%" PRId64
				  ",\"revoked\":%" PRId64 "}",
			      t[k].created, t[k].last_used, t[k].revoked);
	}
	if (fmt == VG_OUT_JSON)
		vg_buf_puts(&b, "]}\n");
	fwrite(b.p, 1, b.len, stdout);
	vg_buf_free(&b);
}

/* `token list [--output F]`. Returns the exit status. */
static int token_list(args *a)
{
	vg_auth *au;
	int rc = open_auth(a, 0, &au);
	if (rc)
		return rc;
	vg_err e = {0};
	vg_auth_token_info *t;
	size_t n;
	rc = vg_auth_token_list(au, &t, &n, &e);
	vg_auth_close(au);
	if (rc)
		return vg_cli_err(a->cmd, &e);
	print_tokens(t, n, a->out);
	free(t);
	return VG_EXIT_OK;
}

/* `token revoke ID` (or the whole token). Returns the exit status. */
static int token_revoke(args *a)
{
	vg_auth *au;
	int rc = open_auth(a, 0, &au);
	if (rc)
		return rc;
	vg_err e = {0};
	rc = vg_auth_token_revoke(au, a->pos[0], &e);
	vg_auth_close(au);
	if (rc)
		return vg_cli_err(a->cmd, &e);
	fprintf(stderr, "vigil token: revoked %.*s\n", VG_AUTH_TOKEN_ID_LEN,
		strncmp(a->pos[0], "vgt_", 4) == 0 ? a->pos[0] + 4 : a->pos[0]);
	return VG_EXIT_OK;
}

int vg_cmd_token(int argc, char **argv)
{
	static const subcmd subs[] = {
		{"create", OPT_ROLE | OPT_NAME | OPT_OWNER, 0, token_create},
		{"list", OPT_OUTPUT, 0, token_list},
		{"revoke", 0, 1, token_revoke},
	};
	return dispatch("token", subs, sizeof subs / sizeof *subs, "create, list or revoke", argc,
			argv);
}
