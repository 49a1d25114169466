/*
 * Help: generated from TUI_KEYS (keys.h), the same list that binds the
 * main screen's keys and fills the shortcut bar.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "ui/keys.h"
#include "ui/list.h"
#include "ui/tui.h"

const struct tui_keyhelp tui_keyhelp[] = {
#define X(name, key, alt, keyname, bar, help) { keyname, bar, help, #name },
	TUI_KEYS(X)
#undef X
};
const size_t tui_nkeyhelp = sizeof tui_keyhelp / sizeof tui_keyhelp[0];

struct help_state {
	struct tui_list view;        /* a viewer: the keys scroll it */
	struct tui_lines lines;      /* tag: the key's index, -1 none */
	int width;                   /* the lines are wrapped for */
};

static int
help_event(struct tui *t, struct screen *s, const struct tui_event *ev)
{
	struct help_state *st = s->data;

	(void)t;
	if (ev->type != TUI_EV_KEY)
		return 0;
	if (list_key(&st->view, ev))
		return SCR_HANDLED | SCR_REDRAW;
	if ((ev->fkey && ev->key == KEY_F(1)) || (!ev->fkey && (ev->key == 'q' ||
	    ev->key == '?' || ev->key == 27 || ev->key == '\r' || ev->key == '\n')))
		return SCR_HANDLED | SCR_CLOSE;
	return SCR_HANDLED;
}

/* The help text wrapped for width w: each key's help beside its name. */
static void
help_build(struct help_state *st, int w)
{
	static const char *const extra[] = {
		N_("In dialogs: Up/Down choose a field, Left/Right or Space change it, Enter "
		   "accepts (y for the ones that delete or quit), Esc cancels."),
		N_("Lists and text scroll alike everywhere: Up/Down or k/j a line, PgUp/PgDn "
		   "(Space) a page, Home/End or g/G the first and the last."),
		N_("Colours: green is fine, yellow needs attention, red is a failure. Set "
		   "NO_COLOR=1 for none, VSBACKUP_ASCII=1 for plain ASCII lines."),
	};
	int kw = 12;

	lines_clear(&st->lines);
	for (size_t i = 0; i < tui_nkeyhelp; i++) {
		size_t first = st->lines.n;

		lines_add(&st->lines, w, kw, 0, A_NORMAL, -1, _(tui_keyhelp[i].help));
		st->lines.v[first].tag = (int)i;
	}
	lines_add(&st->lines, w, 0, 0, A_NORMAL, -1, "");
	for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++)
		lines_add(&st->lines, w, 0, 0, theme_attr(COL_DIM), -1, _(extra[i]));
	st->width = w;
}

struct help_draw {
	struct help_state *st;
	int x, w;
};

static void
help_row(void *ud, size_t i, int y, bool sel)
{
	struct help_draw *d = ud;
	const struct tui_line *l = &d->st->lines.v[i];

	(void)sel;
	if (l->tag >= 0)
		draw_text(y, d->x, 12, theme_attr(COL_KEY_LABEL) | A_BOLD,
		    tui_keyhelp[l->tag].keyname);
	draw_text(y, d->x + l->indent, d->w - l->indent, l->attr, l->text);
}

static void
help_draw(struct tui *t, struct screen *s)
{
	struct help_state *st = s->data;
	const struct tui_rect *R = &t->lay.full;
	struct help_draw d = { st, R->x + 2, R->w - 4 };
	char range[64];

	if (st->width != d.w)
		help_build(st, d.w);
	draw_fill(R->y, R->x, R->w, theme_attr(COL_TITLE), " ");
	draw_text(R->y, R->x + 1, R->w - 2, theme_attr(COL_TITLE),
	    _("vsbackup: keys (q, ? or Esc closes; Up/Down, PgUp/PgDn scroll)"));
	list_set_count(&st->view, st->lines.n);
	list_draw(&st->view, R->y + 1, R->h - 2, help_row, &d);
	draw_fill(R->y + R->h - 1, R->x, R->w, A_NORMAL, " ");
	list_range_text(&st->view, range, sizeof range);
	draw_printf(R->y + R->h - 1, R->x + 1, R->w - 2, theme_attr(COL_DIM), _("lines %s"),
	    range);
}

static void
help_free(struct screen *s)
{
	struct help_state *st = s->data;

	lines_clear(&st->lines);
	free(st);
	free(s);
}

static const struct screen_type screen_help_type = {
	.name = "help",
	.overlay = false,
	.event = help_event,
	.draw = help_draw,
	.free = help_free,
};

struct screen *
screen_help_new(struct tui *t)
{
	struct screen *s = xcalloc(1, sizeof *s);
	struct help_state *st = xcalloc(1, sizeof *st);

	(void)t;
	st->view.viewer = true;
	s->type = &screen_help_type;
	s->data = st;
	return s;
}
