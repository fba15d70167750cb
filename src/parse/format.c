#include "parse/parse.h"

#include <stdlib.h>
#include <string.h>

static const vg_format *const formats[] = {
	&vg_fmt_vpcflow, &vg_fmt_cloudtrail, &vg_fmt_awsconfig, &vg_fmt_awscli,
	&vg_fmt_syslog, &vg_fmt_json, &vg_fmt_logfmt, &vg_fmt_text,
};

const vg_format *vg_format_find(const char *name)
{
	for (size_t i = 0; i < sizeof formats / sizeof *formats; i++)
		if (strcmp(formats[i]->name, name) == 0)
			return formats[i];
	return NULL;
}

const vg_format *vg_format_detect(const char *buf, size_t len)
{
	const vg_format *best = &vg_fmt_text;
	int best_score = 0;
	/* Formats are tried in order of how specific their signature is; a
	 * sure answer (90 or more) ends the search, which spares the costly
	 * generic detectors on every CloudTrail or flow log file. */
	for (size_t i = 0; i < sizeof formats / sizeof *formats; i++) {
		int s = formats[i]->detect(buf, len);
		if (s > best_score) {
			best_score = s;
			best = formats[i];
		}
		if (s >= 90)
			break;
	}
	return best;
}

