/* test_result_text.c — the table form of a query result
 * (query/result_text.h): column widths, alignment (numbers right, the
 * last text column unpadded), `_time` as ISO-8601, event lines, and the
 * truncation note. The table `vigil search` prints on a terminal, and the
 * server renders for `vigil search --url`, comes from here alone. */
#include "testutil.h"

#include "query/result_text.h"

/* A result of ncols columns and the given cells (row-major). Only the
 * fields the renderer reads are set; nothing to free. */
static vg_result table_of(const char **cols, uint32_t ncols, vg_val *cells, uint32_t nrows)
{
	vg_result r;
	memset(&r, 0, sizeof r);
	r.table = 1;
	r.columns = cols;
	r.ncols = ncols;
	r.cells = cells;
	r.nrows = nrows;
	return r;
}

/* The table text of r, NUL-terminated (free it). */
static char *render(const vg_result *r)
{
	vg_buf b = {0};
	vg_result_table(r, &b);
	vg_buf_putc(&b, 0);
	return (char *)b.p;
}

static void test_columns_aligned(void **state)
{
	(void)state;
	const char *cols[] = {"srcaddr", "count", "action"};
	vg_val cells[] = {
		vg_v_str("10.0.0.1", 8),        vg_v_int(7),    vg_v_str("REJECT", 6),
		vg_v_str("192.168.100.200", 15), vg_v_int(12345), vg_v_str("OK", 2),
	};
	vg_result r = table_of(cols, 3, cells, 2);
	char *t = render(&r);
	/* srcaddr is 15 wide, count 5 (its header), numbers right-aligned;
	 * the last column is not padded, not even its header. */
	assert_string_equal(t, "srcaddr          count  action\n"
			       "10.0.0.1             7  REJECT\n"
			       "192.168.100.200  12345  OK\n");
	free(t);
}

static void test_last_column_number_padded(void **state)
{
	(void)state;
	const char *cols[] = {"eventName", "count"};
	vg_val cells[] = {
		vg_v_str("AssumeRole", 10), vg_v_int(8),
		vg_v_str("GetPasswordData", 15), vg_v_int(30),
		vg_v_str("X", 1), vg_v_dbl(2.5),
	};
	vg_result r = table_of(cols, 2, cells, 3);
	char *t = render(&r);
	/* A number in the last column is right-aligned under its header. */
	assert_string_equal(t, "eventName        count\n"
			       "AssumeRole           8\n"
			       "GetPasswordData     30\n"
			       "X                  2.5\n");
	free(t);
}

static void test_time_column_iso(void **state)
{
	(void)state;
	const char *cols[] = {"_time", "count", "note"};
	vg_val cells[] = {
		vg_v_int(1700000000), vg_v_int(3), vg_v_null(),
		vg_v_dbl(1700000000.5), vg_v_int(0), vg_v_str("x", 1),
	};
	vg_result r = table_of(cols, 3, cells, 2);
	char *t = render(&r);
	/* Epoch seconds become ISO-8601 in the table only; null is empty. */
	assert_string_equal(t, "_time                     count  note\n"
			       "2023-11-14T22:13:20.000Z      3  \n"
			       "2023-11-14T22:13:20.500Z      0  x\n");
	free(t);
}

static void test_no_rows(void **state)
{
	(void)state;
	const char *cols[] = {"a", "count"};
	vg_result r = table_of(cols, 2, NULL, 0);
	char *t = render(&r);
	assert_string_equal(t, "a  count\n");
	free(t);
}

static void test_events(void **state)
{
	(void)state;
	static const char e1[] = "{\"_time\":\"2026-02-22T17:04:51.000Z\",\"_group\":\"syslog\","
				 "\"_raw\":\"Feb 22 17:04:51 h sudo: x\",\"pid\":1}";
	static const char e2[] = "{\"_time\":\"2026-02-22T17:04:49.000Z\",\"_raw\":\"no group\"}";
	vg_result_event evs[] = {{0, e1, sizeof e1 - 1, NULL}, {0, e2, sizeof e2 - 1, NULL}};
	vg_result r;
	memset(&r, 0, sizeof r);
	r.events = evs;
	r.nevents = 2;
	r.stats.events_matched = 2;
	char *t = render(&r);
	assert_string_equal(t, "2026-02-22T17:04:51.000Z  syslog  Feb 22 17:04:51 h sudo: x\n"
			       "2026-02-22T17:04:49.000Z    no group\n");
	free(t);
	/* All matching events shown: no note. */
	vg_buf note = {0};
	assert_int_equal(vg_result_note(&r, &note), 0);
	assert_int_equal(note.len, 0);
	/* More matched than kept: the note says how many. */
	r.truncated = 1;
	r.stats.events_matched = 872;
	assert_int_equal(vg_result_note(&r, &note), 1);
	vg_buf_putc(&note, 0);
	assert_string_equal((char *)note.p,
			    "(872 events matched; the newest 2 shown: --limit N shows more)");
	/* Ordered by a sort or a tail: the events kept are not the newest. */
	r.reordered = 1;
	vg_buf_clear(&note);
	assert_int_equal(vg_result_note(&r, &note), 1);
	vg_buf_putc(&note, 0);
	assert_string_equal((char *)note.p,
			    "(872 events matched; the first 2 shown: --limit N shows more)");
	vg_buf_free(&note);
}

/* Computed fields follow the raw text as name=value, those the event has,
 * in the result's order; a value that would not split back is quoted. */
static void test_events_fields(void **state)
{
	(void)state;
	static const char e1[] = "{\"_time\":\"2026-02-22T17:04:51.000Z\",\"_group\":\"vpcflow\","
				 "\"_raw\":\"2 a b\",\"x\":24}";
	static const char e2[] = "{\"_time\":\"2026-02-22T17:04:50.000Z\",\"_group\":\"vpcflow\","
				 "\"_raw\":\"2 c d\"}";
	const char *names[] = {"x", "first", "note"};
	vg_val mv[] = {vg_v_str("a", 1), vg_v_str("b", 1)};
	vg_val many = {.kind = VG_V_MV, .mv = mv, .nmv = 2};
	vg_val f1[] = {vg_v_int(24), vg_v_str("2", 1), vg_v_str("say \"hi\"\n", 9)};
	vg_val f2[] = {vg_v_null(), many, vg_v_str("", 0)};
	vg_result_event evs[] = {{0, e1, sizeof e1 - 1, f1}, {0, e2, sizeof e2 - 1, f2}};
	vg_result r;
	memset(&r, 0, sizeof r);
	r.events = evs;
	r.nevents = 2;
	r.fields = names;
	r.nfields = 3;
	char *t = render(&r);
	assert_string_equal(t, "2026-02-22T17:04:51.000Z  vpcflow  2 a b  x=24 first=2 "
			       "note=\"say \\\"hi\\\"\\n\"\n"
			       "2026-02-22T17:04:50.000Z  vpcflow  2 c d  first=a,b note=\"\"\n");
	free(t);
}

/* An aggregation's table is never cut (truncated stays 0): no note; rows
 * made of events that --limit cut say so. */
static void test_note_for_tables(void **state)
{
	(void)state;
	const char *cols[] = {"count"};
	vg_val cells[] = {vg_v_int(1)};
	vg_result r = table_of(cols, 1, cells, 1);
	r.stats.events_matched = 40;
	vg_buf note = {0};
	assert_int_equal(vg_result_note(&r, &note), 0);
	assert_int_equal(note.len, 0);
	r.truncated = 1;
	assert_int_equal(vg_result_note(&r, &note), 1);
	vg_buf_putc(&note, 0);
	assert_string_equal((char *)note.p,
			    "(40 events matched; the first 1 rows shown: --limit N shows more)");
	vg_buf_free(&note);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_columns_aligned),
		cmocka_unit_test(test_last_column_number_padded),
		cmocka_unit_test(test_time_column_iso),
		cmocka_unit_test(test_no_rows),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_events_fields),
		cmocka_unit_test(test_note_for_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
