/*
 * The main screen's backup list: the selection (kept on the same backup
 * when the view is sorted or filtered again), the columns that fit the
 * width, and the visible rows.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/i18n.h"
#include "common/timeutil.h"
#include "ui/screen-main.h"
#include "ui/tui.h"

/* --- selection --- */

struct tui_row *
main_selected(struct tui *t, struct main_state *st)
{
	return model_view_row(&t->m, st->list.sel);
}

int
main_list_rows(const struct tui *t)
{
	int n = t->lay.list.h - 2;

	return n > 0 ? n : 1;
}

void
main_select(struct tui *t, struct main_state *st, long i)
{
	struct tui_row *r;

	st->list.n = t->m.nview;
	st->list.h = main_list_rows(t);
	if (t->m.nview == 0) {
		list_set_count(&st->list, 0);
		st->sel_id[0] = '\0';
		return;
	}
	list_select(&st->list, i);
	r = main_selected(t, st);
	if (strcmp(st->sel_id, r->e->id) != 0) {
		snprintf(st->sel_id, sizeof st->sel_id, "%s", r->e->id);
		st->sel_changed = tui_clock();
		st->detail_scroll = 0;
	}
}

/* After the view changed: keep the same backup selected when it is still there. */
void
main_reselect(struct tui *t, struct main_state *st)
{
	long i = st->sel_id[0] ? model_find_view(&t->m, st->sel_id) : -1;

	/* The selected backup went away (filtered out, deleted): start over
	 * at the top rather than somewhere in the middle. */
	if (i < 0)
		st->list.top = 0;
	main_select(t, st, i >= 0 ? i : 0);
}

/* --- drawing --- */

enum col_id {
	C_ID, C_TYPE, C_CREATED, C_AGE, C_SIZE, C_ADDED, C_WHERE, C_VERIFIED, C_RETENTION, C__N
};

struct col {
	const char *title;
	int width;
	bool right;
	int prio;               /* lower is dropped first when narrow */
};

static const struct col list_cols[C__N] = {
	[C_ID] = { N_("ID"), 15, false, 9 },
	[C_TYPE] = { N_("TYPE"), 11, false, 8 },
	[C_CREATED] = { N_("CREATED"), 16, false, 2 },
	[C_AGE] = { N_("AGE"), 8, true, 6 },
	[C_SIZE] = { N_("SIZE"), 9, true, 7 },
	/* What a backup added to its repository: only with a repository. */
	[C_ADDED] = { N_("ADDED"), 9, true, 1 },
	[C_WHERE] = { N_("WHERE"), 5, false, 5 },
	[C_VERIFIED] = { N_("VERIFIED"), 8, false, 4 },
	[C_RETENTION] = { N_("RETENTION"), 16, false, 3 },
};

/* Column positions for width w, the WHERE column where_w wide: x[c] < 0
 * when the column is dropped. Without a repository there is nothing added
 * to show. */
static void
list_columns(int w, bool repo, int where_w, int *xs, int *ws)
{
	bool on[C__N];
	int need, x;

	for (int c = 0; c < C__N; c++)
		on[c] = true;
	on[C_ADDED] = repo;
	for (;;) {
		int lowest = -1;

		need = 1;
		for (int c = 0; c < C__N; c++)
			if (on[c])
				need += (c == C_WHERE ? where_w : list_cols[c].width) + 1;
		if (need <= w)
			break;
		for (int c = 0; c < C__N; c++)
			if (on[c] && c != C_ID && (lowest < 0 || list_cols[c].prio < list_cols[lowest].prio))
				lowest = c;
		if (lowest < 0)
			break;
		on[lowest] = false;
	}
	x = 1;
	for (int c = 0; c < C__N; c++) {
		if (!on[c]) {
			xs[c] = -1;
			ws[c] = 0;
			continue;
		}
		xs[c] = x;
		ws[c] = c == C_WHERE ? where_w : list_cols[c].width;
		x += ws[c] + 1;
	}
	/* The last column takes what is left. */
	if (on[C_RETENTION] && w - xs[C_RETENTION] - 1 > ws[C_RETENTION])
		ws[C_RETENTION] = w - xs[C_RETENTION] - 1;
}

static void
draw_cell(int y, int x0, const int *xs, const int *ws, int c, attr_t a, const char *s)
{
	if (xs[c] < 0)
		return;
	if (list_cols[c].right)
		draw_text_right(y, x0 + xs[c], ws[c], a, s);
	else
		draw_text(y, x0 + xs[c], ws[c], a, s);
}

/*
 * Where each backup has a copy. Two locations (local and S3): the words
 * (local, s3, both). More: a compact mark per location, in the order of
 * the configuration: its initial (L for local) when it holds a usable copy,
 * in lower case when the copy there is unfinished or unusable, a dot when
 * there is none; and when the screen is wide enough, a column per
 * location instead, titled by its name, with a tick, a warning or nothing.
 */
#define LOC_COL_MAX 10

/* The mark of location l: its initial, or its number when an earlier
 * location has the same initial. */
static char
loc_mark(const struct tui *t, size_t l)
{
	const char *name = config_location_label(t->cfg, l);
	char c = (char)(name[0] >= 'a' && name[0] <= 'z' ? name[0] - 'a' + 'A' : name[0]);

	for (size_t k = 0; k < l; k++) {
		const char *o = config_location_label(t->cfg, k);
		char d = (char)(o[0] >= 'a' && o[0] <= 'z' ? o[0] - 'a' + 'A' : o[0]);

		if (d == c)
			return (char)('0' + (char)(l % 10));
	}
	return c;
}

static int
loc_col_width(const struct tui *t)
{
	int w = 3;

	for (size_t l = 0; l < t->cfg->nlocations; l++) {
		int n = (int)strlen(config_location_label(t->cfg, l));

		if (n > w)
			w = n;
	}
	return w < LOC_COL_MAX ? w : LOC_COL_MAX;
}

/* The WHERE column's width: words, marks, or a column per location. */
static int
where_width(const struct tui *t, int w, bool repo, bool *columns)
{
	size_t n = t->cfg->nlocations;
	int cw = loc_col_width(t), all = 1, cols;

	*columns = false;
	if (n <= 2)
		return list_cols[C_WHERE].width;
	for (int c = 0; c < C__N; c++)
		if (c != C_WHERE && (c != C_ADDED || repo))
			all += list_cols[c].width + 1;
	cols = (int)n * (cw + 1) - 1;
	if (all + cols + 1 <= w) {
		*columns = true;
		return cols;
	}
	return (int)n > list_cols[C_WHERE].width ? (int)n : list_cols[C_WHERE].width;
}

static void
draw_where(struct tui *t, int y, int x, int w, bool columns, attr_t base, bool sel,
    const struct tui_row *r)
{
	const struct tui_glyphs *g = theme_glyphs();
	size_t n = t->cfg->nlocations;
	int cw = loc_col_width(t);

	if (n <= 2) {
		draw_text(y, x, w, base, r->where);
		return;
	}
	for (size_t l = 0; l < n && l < r->e->nloc; l++) {
		const struct catalog_copy *c = catalog_copy_at(r->e, l);
		bool usable = catalog_copy_usable(c);
		char m[2] = { loc_mark(t, l), '\0' };

		if (columns) {
			int cx = x + (int)l * (cw + 1);

			if (usable)
				draw_text(y, cx, cw, sel ? base : theme_attr(COL_OK), g->tick);
			else if (c->present)
				draw_text(y, cx, cw, sel ? base : theme_attr(COL_WARN), g->warn);
			continue;
		}
		if (!c->present)
			m[0] = '.';
		else if (!usable && m[0] >= 'A' && m[0] <= 'Z')
			m[0] = (char)(m[0] - 'A' + 'a');
		draw_text(y, x + (int)l, 1, sel ? base : !c->present ? theme_attr(COL_DIM) :
		    usable ? A_NORMAL : theme_attr(COL_WARN), m);
	}
}

void
main_draw_list(struct tui *t, struct main_state *st)
{
	const struct tui_rect *R = &t->lay.list;
	const struct tui_glyphs *g = theme_glyphs();
	bool focus = t->focus == FOCUS_LIST;
	int xs[C__N], ws[C__N], rows = main_list_rows(t);
	time_t now = time_now();
	char title[256], extra[128] = "";
	bool loc_columns, repo = t->m.cat != NULL && catalog_has_repo(t->m.cat);
	int wherew = where_width(t, R->w, repo, &loc_columns);

	if (t->m.filter[0] || st->filtering)
		snprintf(extra, sizeof extra, _(" · filter \"%s\""), st->filtering ? st->filter_buf :
		    t->m.filter);
	else if (!t->lay.detail_shown && t->m.nview > 0)
		snprintf(extra, sizeof extra, "%s", _(" · Enter: detail"));
	/* The rows shown now (the layout may have grown since): no row above
	 * the first hidden while there is room below. */
	list_set_count(&st->list, t->m.nview);
	list_set_height(&st->list, rows);
	if (t->m.nview > 0)
		snprintf(title, sizeof title, _("Backups %zu-%zu of %zu · sort: %s %s%s"),
		    st->list.top + 1, list_bottom(&st->list), t->m.nview, sort_name(t->m.sort),
		    t->m.sort_reverse ? g->up : g->down, extra);
	else
		snprintf(title, sizeof title, _("Backups · sort: %s %s%s"), sort_name(t->m.sort),
		    t->m.sort_reverse ? g->up : g->down, extra);
	draw_rule(R->y, R->x, R->w, title, focus);
	list_columns(R->w, repo, wherew, xs, ws);
	for (int c = 0; c < C__N; c++)
		if (c != C_WHERE || !loc_columns)
			draw_cell(R->y + 1, R->x, xs, ws, c, theme_attr(COL_HEADING),
			    _(list_cols[c].title));
	if (loc_columns && xs[C_WHERE] >= 0)
		for (size_t l = 0; l < t->cfg->nlocations; l++)
			draw_text(R->y + 1, R->x + xs[C_WHERE] + (int)l * (loc_col_width(t) + 1),
			    loc_col_width(t), theme_attr(COL_HEADING), config_location_label(t->cfg, l));

	if (t->m.nview == 0) {
		char msg[256];
		attr_t a = theme_attr(COL_DIM);

		if (!t->m.cat_loaded && t->m.cat_error == NULL)
			snprintf(msg, sizeof msg, "%s %s", draw_spinner(t), _("reading the backups…"));
		else if (t->m.cat_error != NULL && t->m.nrows == 0) {
			snprintf(msg, sizeof msg, _("cannot list the backups: %s"), t->m.cat_error);
			a = theme_attr(COL_BAD);
		} else if (t->m.nrows == 0)
			snprintf(msg, sizeof msg, "%s", _("no backups yet: press b to take one"));
		else
			snprintf(msg, sizeof msg, _("no backup matches the filter \"%s\" (Esc clears it)"),
			    t->m.filter);
		draw_text(R->y + 2, R->x + 1, R->w - 2, a, msg);
		return;
	}
	/* Only the visible rows are formatted and drawn. */
	for (int i = 0; i < rows && st->list.top + (size_t)i < t->m.nview; i++) {
		size_t vi = st->list.top + (size_t)i;
		struct tui_row *r = model_view_row(&t->m, vi);
		int y = R->y + 2 + i;
		bool sel = vi == st->list.sel;
		attr_t base = sel ? theme_attr(focus ? COL_SELECTED : COL_SELECTED_DIM) : A_NORMAL;
		char buf[64];

		if (sel)
			draw_fill(y, R->x, R->w, base, " ");
		draw_cell(y, R->x, xs, ws, C_ID, sel ? base : r->best->partial ? theme_attr(COL_DIM) :
		    A_NORMAL, r->e->id);
		draw_cell(y, R->x, xs, ws, C_TYPE, sel ? base : r->safety ? theme_attr(COL_DIM) : A_NORMAL,
		    r->type_known ? backup_type_name(r->type) : "?");
		fmt_local_time_short(r->created, buf, sizeof buf);
		draw_cell(y, R->x, xs, ws, C_CREATED, base, buf);
		if (r->created != 0)
			time_format_age((long long)(now - r->created > 0 ? now - r->created : 0), buf,
			    sizeof buf);
		else
			snprintf(buf, sizeof buf, "-");
		draw_cell(y, R->x, xs, ws, C_AGE, base, buf);
		format_bytes(r->size, buf, sizeof buf);
		draw_cell(y, R->x, xs, ws, C_SIZE, base, buf);
		if (catalog_copy_in_repo(r->best))
			format_bytes(catalog_copy_added(r->best), buf, sizeof buf);
		else
			snprintf(buf, sizeof buf, "-");
		draw_cell(y, R->x, xs, ws, C_ADDED, sel ? base : catalog_copy_in_repo(r->best) ?
		    A_NORMAL : theme_attr(COL_DIM), buf);
		if (xs[C_WHERE] >= 0)
			draw_where(t, y, R->x + xs[C_WHERE], ws[C_WHERE], loc_columns, base, sel, r);
		/* A copy that lacks a part is no good backup, verified or not. */
		if (r->missing)
			draw_cell(y, R->x, xs, ws, C_VERIFIED, sel ? base : theme_attr(COL_WARN),
			    _("partial"));
		else if (r->vstate == VERIFY_NONE)
			draw_cell(y, R->x, xs, ws, C_VERIFIED, sel ? base : theme_attr(COL_DIM), "-");
		else if (r->vstate == VERIFY_OK)
			draw_cell(y, R->x, xs, ws, C_VERIFIED, sel ? base : theme_attr(COL_OK),
			    r->vdeep ? _("ok deep") : _("ok"));
		else
			draw_cell(y, R->x, xs, ws, C_VERIFIED, sel ? base : theme_attr(COL_BAD),
			    _("FAILED"));
		if (r->best->partial)
			draw_cell(y, R->x, xs, ws, C_RETENTION, sel ? base : theme_attr(COL_BAD),
			    _("incomplete"));
		else
			draw_cell(y, R->x, xs, ws, C_RETENTION, sel ? base :
			    theme_attr((enum tui_color)r->ret_color), r->ret_short);
	}
}
