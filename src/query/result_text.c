/*
 * result_text.c — the table form of a query result (see result_text.h).
 *
 * Two passes over a transforming result: the first renders every cell's
 * text and measures each column's width, the second pads. Cell texts are
 * rendered once into one buffer (offsets per cell), so a large result
 * costs two allocations rather than one per cell. Widths count bytes, as
 * the terminal tools this imitates (column -t) do.
 */
#include "query/result_text.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "util/timeutil.h"

/* Append the text of cell v in column col to b: `_time` as ISO-8601 (on a
 * terminal times read as times; JSON and CSV keep epoch seconds for
 * programs), everything else as vg_val_text writes it. */
static void cell_text(const char *col, const vg_val *v, vg_buf *b)
{
	if (strcmp(col, "_time") == 0 && v->kind == VG_V_NUM) {
		char ts[48];
		double secs = v->isint ? (double)v->i : v->d;
		vg_buf_put(b, ts, vg_format_iso8601((int64_t)(secs * 1e9), ts, 0));
		return;
	}
	vg_val_text(v, b);
}

/* Append `n` spaces. */
static void pad(vg_buf *out, size_t n)
{
	for (size_t k = 0; k < n; k++)
		vg_buf_putc(out, ' ');
}

/* Append s left- or right-aligned in width w (no padding when w is 0),
 * then the separator: two spaces, or a line break after the last column. */
static void put_cell(vg_buf *out, const char *s, size_t len, size_t w, int right, int last)
{
	if (right && len < w)
		pad(out, w - len);
	vg_buf_put(out, s, len);
	if (!right && len < w)
		pad(out, w - len);
	vg_buf_puts(out, last ? "\n" : "  ");
}

/* A transforming result as aligned columns. */
static void table_rows(const vg_result *r, vg_buf *out)
{
	size_t n = (size_t)r->nrows * r->ncols;
	size_t *off = vg_xmalloc((n + 1) * sizeof *off);
	size_t *w = vg_xcalloc(r->ncols ? r->ncols : 1, sizeof *w);
	vg_buf texts = {0};
	for (uint32_t c = 0; c < r->ncols; c++)
		w[c] = strlen(r->columns[c]);
	for (size_t k = 0; k < n; k++) {
		off[k] = texts.len;
		cell_text(r->columns[k % r->ncols], &r->cells[k], &texts);
		size_t l = texts.len - off[k];
		if (l > w[k % r->ncols])
			w[k % r->ncols] = l;
	}
	off[n] = texts.len;
	/* Headers left-aligned; numbers right-aligned; the last column is
	 * not padded unless right-aligned. */
	for (uint32_t c = 0; c < r->ncols; c++) {
		int last = c + 1 == r->ncols;
		put_cell(out, r->columns[c], strlen(r->columns[c]), last ? 0 : w[c], 0, last);
	}
	for (size_t k = 0; k < n; k++) {
		uint32_t c = (uint32_t)(k % r->ncols);
		int right = r->cells[k].kind == VG_V_NUM;
		int last = c + 1 == r->ncols;
		put_cell(out, (const char *)texts.p + off[k], off[k + 1] - off[k],
			 !right && last ? 0 : w[c], right, last);
	}
	vg_buf_free(&texts);
	free(w);
	free(off);
}

/* The value of a computed field as `name=value`: the value quoted (\\ and
 * \" escaped, a line break as \n) when it is empty or holds a space, a
 * quote, a backslash or a control character, so that the line splits
 * back into its pairs; a multivalue's values joined by commas. */
static void field_pair(const char *name, const vg_val *v, vg_buf *out, vg_buf *tmp)
{
	vg_buf_clear(tmp);
	if (v->kind == VG_V_MV) {
		for (uint32_t k = 0; k < v->nmv; k++) {
			if (k)
				vg_buf_putc(tmp, ',');
			vg_val_text(&v->mv[k], tmp);
		}
	} else {
		vg_val_text(v, tmp);
	}
	const char *s = tmp->p ? (const char *)tmp->p : "";
	int quote = tmp->len == 0;
	for (size_t k = 0; k < tmp->len && !quote; k++)
		quote = (unsigned char)s[k] <= ' ' || s[k] == '"' || s[k] == '\\';
	vg_buf_printf(out, " %s=", name);
	if (!quote) {
		vg_buf_put(out, s, tmp->len);
		return;
	}
	vg_buf_putc(out, '"');
	for (size_t k = 0; k < tmp->len; k++) {
		if (s[k] == '"' || s[k] == '\\')
			vg_buf_putc(out, '\\');
		if (s[k] == '\n')
			vg_buf_puts(out, "\\n");
		else
			vg_buf_putc(out, (uint8_t)s[k]);
	}
	vg_buf_putc(out, '"');
}

/* Events as `time  group  raw` lines, in the result's order (newest
 * first, or a sort's). A field an event lacks prints as nothing. Fields the pipeline
 * computed (eval, rex, iplocation, lookup) follow the raw text as
 * `  x=24 first=2`, those the event has, in the result's order: the raw
 * text stays first and whole, so a line still reads (and greps) as the
 * log line it is, and `name=value` is how a Splunk user writes a field,
 * ready to paste back into a search; one line per event keeps the output
 * a stream for head, grep and less. */
static void table_events(const vg_result *r, vg_buf *out)
{
	vg_buf tmp = {0};
	for (uint32_t k = 0; k < r->nevents; k++) {
		cJSON *j = cJSON_ParseWithLength(r->events[k].json, r->events[k].len);
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "_time");
		const cJSON *g = cJSON_GetObjectItemCaseSensitive(j, "_group");
		const cJSON *raw = cJSON_GetObjectItemCaseSensitive(j, "_raw");
		vg_buf_printf(out, "%s  %s  %s", cJSON_IsString(t) ? t->valuestring : "",
			      cJSON_IsString(g) ? g->valuestring : "",
			      cJSON_IsString(raw) ? raw->valuestring : "");
		int first = 1;
		for (uint32_t c = 0; c < r->nfields; c++) {
			const vg_val *v = &r->events[k].fields[c];
			if (v->kind == VG_V_NULL)
				continue;
			if (first)
				vg_buf_putc(out, ' ');
			first = 0;
			field_pair(r->fields[c], v, out, &tmp);
		}
		vg_buf_putc(out, '\n');
		cJSON_Delete(j);
	}
	vg_buf_free(&tmp);
}

void vg_result_table(const vg_result *res, vg_buf *out)
{
	if (res->table)
		table_rows(res, out);
	else
		table_events(res, out);
}

int vg_result_note(const vg_result *res, vg_buf *out)
{
	if (!res->truncated)
		return 0;
	if (res->table)
		vg_buf_printf(out, "(%llu events matched; the first %u rows shown: --limit N shows more)",
			      (unsigned long long)res->stats.events_matched, res->nrows);
	else
		vg_buf_printf(out, "(%llu events matched; the %s %u shown: --limit N shows more)",
			      (unsigned long long)res->stats.events_matched,
			      res->reordered ? "first" : "newest", res->nevents);
	return 1;
}
