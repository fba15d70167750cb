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

/* Events as `time  group  raw` lines, in the result's order (newest
 * first). A field an event lacks prints as nothing. */
static void table_events(const vg_result *r, vg_buf *out)
{
	for (uint32_t k = 0; k < r->nevents; k++) {
		cJSON *j = cJSON_ParseWithLength(r->events[k].json, r->events[k].len);
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "_time");
		const cJSON *g = cJSON_GetObjectItemCaseSensitive(j, "_group");
		const cJSON *raw = cJSON_GetObjectItemCaseSensitive(j, "_raw");
		vg_buf_printf(out, "%s  %s  %s\n", cJSON_IsString(t) ? t->valuestring : "",
			      cJSON_IsString(g) ? g->valuestring : "",
			      cJSON_IsString(raw) ? raw->valuestring : "");
		cJSON_Delete(j);
	}
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
	if (res->table || !res->truncated)
		return 0;
	vg_buf_printf(out, "(%llu events matched; the newest %u shown: --limit N shows more)",
		      (unsigned long long)res->stats.events_matched, res->nevents);
	return 1;
}
