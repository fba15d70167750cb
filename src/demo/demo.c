/*
 * demo.c — options and the order of work for `vigil demo`.
 *
 * The world is built first (all randomness that several outputs share),
 * then each output is written: flow logs in worker threads, the rest on
 * the calling thread, the README last because it reports the counts.
 */
#include "demo/demo_int.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "util/timeutil.h"

void vg_demo_defaults(vg_demo_opts *o)
{
	memset(o, 0, sizeof *o);
	o->days = 7;
	o->seed = 1;
	o->scale = 1.0;
	o->end_ns = 0;
	o->gzip = 1;
	o->threads = 2;
}

/* Reject options outside their bounds, with a message for the user. */
static int check_opts(const vg_demo_opts *o, vg_err *err)
{
	if (o->out == NULL || o->out[0] == 0)
		return vg_seterr(err, VG_EINVAL, -1, "demo: no output directory given (--out DIR)");
	if (strlen(o->out) > DM_PATH_MAX - 256)
		return vg_seterr(err, VG_ELIMIT, -1, "demo: output directory path too long");
	if (o->days < 1 || o->days > VG_DEMO_MAX_DAYS)
		return vg_seterr(err, VG_EINVAL, -1, "demo: --days must be 1..%d, not %d",
				 VG_DEMO_MAX_DAYS, o->days);
	if (!isfinite(o->scale) || o->scale <= 0 || o->scale > VG_DEMO_MAX_SCALE)
		return vg_seterr(err, VG_EINVAL, -1, "demo: --scale must be above 0 and at most %g",
				 VG_DEMO_MAX_SCALE);
	if (o->threads < 1 || o->threads > VG_DEMO_MAX_THREADS)
		return vg_seterr(err, VG_EINVAL, -1, "demo: --threads must be 1..%d",
				 VG_DEMO_MAX_THREADS);
	if (o->end_ns < 0)
		return vg_seterr(err, VG_EINVAL, -1, "demo: the end time is before 1970");
	return 0;
}

/* The output directory must be new or empty: files from an earlier run
 * with another seed would have other names and mix into this one. */
static int prepare_dir(const char *dir, vg_err *err)
{
	struct stat sb;
	if (stat(dir, &sb) != 0) {
		if (errno != ENOENT)
			return vg_seterr(err, VG_EIO, -1, "demo: %s: %s", dir, strerror(errno));
		char path[DM_PATH_MAX];
		snprintf(path, sizeof path, "%s/", dir);
		for (char *p = path + 1; *p; p++) {
			if (*p != '/')
				continue;
			*p = 0;
			if (mkdir(path, 0755) != 0 && errno != EEXIST)
				return vg_seterr(err, VG_EIO, -1, "demo: cannot create %s: %s",
						 path, strerror(errno));
			*p = '/';
		}
		return 0;
	}
	if (!S_ISDIR(sb.st_mode))
		return vg_seterr(err, VG_EINVAL, -1, "demo: %s is not a directory", dir);
	DIR *d = opendir(dir);
	if (d == NULL)
		return vg_seterr(err, VG_EIO, -1, "demo: %s: %s", dir, strerror(errno));
	struct dirent *de;
	int empty = 1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = 0;
	closedir(d);
	if (!empty)
		return vg_seterr(err, VG_EINVAL, -1,
				 "demo: %s is not empty; give a new or empty directory", dir);
	return 0;
}

int vg_demo_write(const vg_demo_opts *o, vg_demo_stats *st_out, vg_err *err)
{
	int rc = check_opts(o, err);
	if (rc)
		return rc;
	int64_t end = o->end_ns ? o->end_ns : vg_now_ns();
	end -= end % DM_NS_HOUR;
	if (end - (int64_t)o->days * VG_NS_PER_DAY < 0)
		return vg_seterr(err, VG_EINVAL, -1, "demo: the data would start before 1970");
	rc = prepare_dir(o->out, err);
	if (rc)
		return rc;

	dm_world *w = vg_xcalloc(1, sizeof *w);
	vg_demo_world_build(w, o->seed, o->scale, o->days, end);
	vg_demo_stats st;
	memset(&st, 0, sizeof st);
	st.start_ns = w->start_ns;
	st.end_ns = w->end_ns;
	snprintf(st.account, sizeof st.account, "%s", w->account);
	dm_out out = {.dir = o->out, .gzip = o->gzip ? 1 : 0};

	rc = vg_demo_flow_write(w, &out, o->threads, &st, err);
	if (rc == 0)
		rc = vg_demo_cloudtrail_write(w, &out, &st, err);
	if (rc == 0)
		rc = vg_demo_config_write(w, &out, &st, err);
	if (rc == 0)
		rc = vg_demo_awscli_write(w, &out, &st, err);
	if (rc == 0)
		rc = vg_demo_authlog_write(w, &out, &st, err);
	vg_demo_incidents(w, &st);
	if (rc == 0)
		rc = vg_demo_readme_write(w, &out, &st, err);

	vg_demo_world_free(w);
	free(w);
	if (st_out)
		*st_out = st;
	return rc;
}
