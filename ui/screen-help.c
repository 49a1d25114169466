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
#include "ui/tui.h"

const struct tui_keyhelp tui_keyhelp[] = {
#define X(name, key, alt, keyname, bar, help) { keyname, bar, help, #name },
	TUI_KEYS(X)
#undef X
};
const size_t tui_nkeyhelp = sizeof tui_keyhelp / sizeof tui_keyhelp[0];

struct help_state {
	int scroll;
};

/* Wrap text into lines of at most w columns (byte-based on spaces, then
 * clipped by draw_text for wide characters). Returns the lines used. */
static int
help_wrap(const char *text, int w, char lines[][256], int max)
{
	int n = 0;
	const char *p = text;

	while (*p && n < max) {
		int len = (int)strlen(p), cut = len;

		if (draw_width(p) > w) {
			/* Find the last space that keeps the line within w. */
			cut = 0;
			for (int i = 0; i < len; i++) {
				char tmp[256];

				if (p[i] != ' ')
					continue;
				snprintf(tmp, sizeof tmp, "%.*s", i, p);
				if (draw_width(tmp) > w)
					break;
				cut = i;
			}
			if (cut == 0)
				cut = w < len ? w : len;
		}
		snprintf(lines[n++], 256, "%.*s", cut, p);
		p += cut;
		while (*p == ' ')
			p++;
	}
	return n;
}

static int
help_event(struct tui *t, struct screen *s, const struct tui_event *ev)
{
	struct help_state *st = s->data;

	(void)t;
	if (ev->type != TUI_EV_KEY)
		return 0;
	if (ev->fkey) {
		switch (ev->key) {
		case KEY_UP:
			st->scroll--;
			break;
		case KEY_DOWN:
			st->scroll++;
			break;
		case KEY_PPAGE:
			st->scroll -= 10;
			break;
		case KEY_NPAGE:
			st->scroll += 10;
			break;
		case KEY_HOME:
			st->scroll = 0;
			break;
		case KEY_F(1):
			return SCR_HANDLED | SCR_CLOSE;
		default:
			return SCR_HANDLED;
		}
		if (st->scroll < 0)
			st->scroll = 0;
		return SCR_HANDLED | SCR_REDRAW;
	}
	switch (ev->key) {
	case 'k':
		st->scroll = st->scroll > 0 ? st->scroll - 1 : 0;
		return SCR_HANDLED | SCR_REDRAW;
	case 'j':
	case ' ':
		st->scroll += ev->key == ' ' ? 10 : 1;
		return SCR_HANDLED | SCR_REDRAW;
	case 'q':
	case '?':
	case 27:
	case '\r':
	case '\n':
		return SCR_HANDLED | SCR_CLOSE;
	}
	return SCR_HANDLED;
}

static void
help_draw(struct tui *t, struct screen *s)
{
	struct help_state *st = s->data;
	const struct tui_rect *R = &t->lay.full;
	static char lines[512][256];
	static attr_t attrs[512];
	static int keycol[512];
	int n = 0, kw = 12, tw = R->w - kw - 4, rows = R->h - 2;

	draw_fill(R->y, R->x, R->w, theme_attr(COL_TITLE), " ");
	draw_text(R->y, R->x + 1, R->w - 2, theme_attr(COL_TITLE),
	    _("vsbackup: keys (q, ? or Esc closes; Up/Down scroll)"));
	for (size_t i = 0; i < tui_nkeyhelp && n < 500; i++) {
		char wrapped[8][256];
		int k = help_wrap(_(tui_keyhelp[i].help), tw, wrapped, 8);

		for (int j = 0; j < k; j++) {
			snprintf(lines[n], 256, "%s", wrapped[j]);
			attrs[n] = A_NORMAL;
			keycol[n] = j == 0 ? (int)i : -1;
			n++;
		}
	}
	{
		static const char *const extra[] = {
			N_("In dialogs: Up/Down choose a field, Left/Right or Space change it, Enter "
			   "accepts (y for the ones that delete or quit), Esc cancels."),
			N_("Colours: green is fine, yellow needs attention, red is a failure. Set "
			   "NO_COLOR=1 for none, VSBACKUP_ASCII=1 for plain ASCII lines."),
		};

		lines[n][0] = '\0';
		keycol[n++] = -1;
		for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
			char wrapped[8][256];
			int k = help_wrap(_(extra[i]), R->w - 4, wrapped, 8);

			for (int j = 0; j < k && n < 510; j++) {
				snprintf(lines[n], 256, "%s", wrapped[j]);
				attrs[n] = theme_attr(COL_DIM);
				keycol[n] = -2;
				n++;
			}
		}
	}
	if (st->scroll > n - rows)
		st->scroll = n - rows > 0 ? n - rows : 0;
	for (int i = 0; i < rows && st->scroll + i < n; i++) {
		int li = st->scroll + i, y = R->y + 1 + i;

		if (keycol[li] == -2) {
			draw_text(y, R->x + 2, R->w - 4, attrs[li], lines[li]);
			continue;
		}
		if (keycol[li] >= 0)
			draw_text(y, R->x + 2, kw, theme_attr(COL_KEY_LABEL) | A_BOLD,
			    tui_keyhelp[keycol[li]].keyname);
		draw_text(y, R->x + 2 + kw, tw, attrs[li], lines[li]);
	}
	draw_fill(R->y + R->h - 1, R->x, R->w, A_NORMAL, " ");
	draw_printf(R->y + R->h - 1, R->x + 1, R->w - 2, theme_attr(COL_DIM),
	    _("%d-%d of %d lines"), n ? st->scroll + 1 : 0,
	    st->scroll + rows < n ? st->scroll + rows : n, n);
}

static void
help_free(struct screen *s)
{
	free(s->data);
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

	(void)t;
	s->type = &screen_help_type;
	s->data = xcalloc(1, sizeof(struct help_state));
	return s;
}
