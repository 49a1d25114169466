/*
 * One scrolling list for every screen that scrolls (the backup list, help,
 * the retention view, the restore wizard's lists, the log): which row is
 * selected, which is on top, how many lines it has, and the movement keys,
 * handled the same way everywhere: Up/k, Down/j, PgUp, PgDn/Space (a
 * page: the lines shown), Home/g, End/G. A viewer has no selection: the
 * keys scroll it. A screen gives the keys it does not use itself to
 * list_key() and draws its visible rows through list_draw().
 */
#ifndef VS_UI_LIST_H
#define VS_UI_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include <curses.h>

struct tui_event;

struct tui_list {
	size_t n;         /* rows */
	size_t sel;       /* the selected row (a list with a cursor) */
	size_t top;       /* the first row shown */
	int h;            /* lines it is shown in (list_draw sets it) */
	bool viewer;      /* no selection: the keys scroll */
};

/* The number of rows changed: keep sel and top within it. */
void list_set_count(struct tui_list *l, size_t n);

/* The lines it has on screen changed: keep the selection visible and the
 * last page full. */
void list_set_height(struct tui_list *l, int h);

/* Select row i (clamped) and scroll it into view. */
void list_select(struct tui_list *l, long i);

/* A movement key: true when it was one (and the list moved). */
bool list_key(struct tui_list *l, const struct tui_event *ev);

/* Move by delta rows (a viewer scrolls), or to the start / end. */
void list_move(struct tui_list *l, long delta);
void list_home(struct tui_list *l);
void list_end(struct tui_list *l);

/* The last row shown, plus one. */
size_t list_bottom(const struct tui_list *l);

/* "first-last of n" of the rows shown. */
void list_range_text(const struct tui_list *l, char *buf, size_t bufsz);

/* Draw rows top.. into h lines from y: fn(ud, row, y, selected) for each. */
typedef void list_row_fn(void *ud, size_t row, int y, bool selected);
void list_draw(struct tui_list *l, int y, int h, list_row_fn *fn, void *ud);

/* Text for a viewer: lines already wrapped to a width, each with its
 * attributes and a tag its screen may use (a key's index, a level). */
struct tui_line {
	attr_t attr;
	int tag;
	int indent;       /* columns before the text */
	char *text;
};
struct tui_lines {
	struct tui_line *v;
	size_t n, cap;
};
void lines_clear(struct tui_lines *l);
/* Add s word-wrapped in w columns; lines after the first are indented by
 * cont more columns than the first (indent). */
void lines_add(struct tui_lines *l, int w, int indent, int cont, attr_t a, int tag,
    const char *s);

#endif
