/*
 * The main screen's shortcut bar: the filter being typed, a message, or
 * the labelled keys of TUI_KEYS that fit the width.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/i18n.h"
#include "ui/screen-main.h"
#include "ui/tui.h"

static int
bar_item_width(const struct tui_keyhelp *k)
{
	char key[16];

	snprintf(key, sizeof key, "%.*s", (int)strcspn(k->keyname, " "), k->keyname);
	return draw_width(key) + 1 + draw_width(_(k->bar)) + 2;
}

void
main_draw_bar_line(struct tui *t, struct main_state *st)
{
	const struct tui_rect *R = &t->lay.bar;
	int x = R->x, end = R->x + R->w;

	draw_fill(R->y, R->x, R->w, A_NORMAL, " ");
	if (st->filtering) {
		x = draw_seg(R->y, x, end, theme_attr(COL_HEADING), _("Filter: "));
		x = draw_seg(R->y, x, end, theme_attr(COL_INPUT), st->filter_buf);
		x = draw_seg(R->y, x, end, theme_attr(COL_SELECTED), " ");
		draw_seg(R->y, x + 2, end, theme_attr(COL_DIM), _("Enter keeps it, Esc clears it"));
		return;
	}
	if (t->message_until > 0) {
		draw_text(R->y, x + 1, R->w - 2, theme_attr((enum tui_color)t->message_color),
		    t->message);
		return;
	}
	{
		bool show[64];
		size_t nk = tui_nkeyhelp < 64 ? tui_nkeyhelp : 64;
		int need = 0;

		/* Every labelled key if they fit; else drop from the middle, so
		 * that help and quit (the last two) always show. */
		for (size_t i = 0; i < nk; i++) {
			show[i] = tui_keyhelp[i].bar != NULL;
			if (show[i])
				need += bar_item_width(&tui_keyhelp[i]);
		}
		for (size_t i = nk; i > 0 && need > R->w; i--) {
			const struct tui_keyhelp *k = &tui_keyhelp[i - 1];

			if (!show[i - 1] || strcmp(k->group, "help") == 0 || strcmp(k->group, "quit") == 0)
				continue;
			show[i - 1] = false;
			need -= bar_item_width(k);
		}
		for (size_t i = 0; i < nk; i++) {
			const struct tui_keyhelp *k = &tui_keyhelp[i];
			char key[16];

			if (!show[i])
				continue;
			/* The first key of "? F1" is the one to show. */
			snprintf(key, sizeof key, "%.*s", (int)strcspn(k->keyname, " "), k->keyname);
			x = draw_seg(R->y, x, end, theme_attr(COL_KEY), key);
			x = draw_seg(R->y, x, end, theme_attr(COL_KEY_LABEL), " ");
			x = draw_seg(R->y, x, end, theme_attr(COL_KEY_LABEL), _(k->bar));
			x = draw_seg(R->y, x, end, A_NORMAL, "  ");
		}
	}
}
