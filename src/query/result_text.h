/*
 * result_text.h — a query result as text for a person: the table `vigil
 * search` prints on a terminal.
 *
 * The JSON and CSV forms live beside the executor (exec.h: vg_result_json,
 * vg_result_csv); this is the third form. It lives in the library rather
 * than in the command line so that the server can render it too
 * (/api/v1/search?format=table): `vigil search --url` then prints what the
 * server sends, byte for byte what `vigil search --data` prints.
 *
 * Ownership: the result is borrowed; text is appended to the caller's
 * buffer. No state, safe from any thread.
 */
#ifndef VG_RESULT_TEXT_H
#define VG_RESULT_TEXT_H

#include "query/exec.h"
#include "util/mem.h"

/* Append res as a table: a transforming result as aligned columns (a
 * header row, numbers right-aligned, `_time` as ISO-8601, no padding after
 * the last column); events as `time  group  raw` lines, newest first
 * (unless a sort ordered them). */
void vg_result_table(const vg_result *res, vg_buf *out);

/* Append the note that goes with the table on stderr when more events
 * matched than were kept ("(N events matched; the newest M shown: --limit
 * N shows more)"; "the first M shown" when a command (sort, tail) ordered
 * them otherwise; for rows made of events, as `| fields a` or `| table a`
 * give, "the first M rows shown"), no line break. Returns 1 if it
 * appended one, 0 when there is nothing to say (all kept, or a table of
 * an aggregation, which --limit does not cut). */
int vg_result_note(const vg_result *res, vg_buf *out);

#endif
