/*
 * The main screen's log pane: the newest lines of the model's log ring,
 * or older ones when scrolled back.
 */
#include "config.h"

#include <stdio.h>
#include <time.h>

#include "common/i18n.h"
#include "ui/screen-main.h"
#include "ui/tui.h"

void
main_draw_log(struct tui *t, struct main_state *st)
{
	const struct tui_rect *R = &t->lay.log;
	int rows = R->h - 1;
	size_t n = t->m.log_n, end;
	char title[96];

	if (st->log_back > n)
		st->log_back = n;
	end = n - st->log_back;
	if (st->log_back > 0)
		snprintf(title, sizeof title, ngettext("Log (%zu newer line below)",
		    "Log (%zu newer lines below)", st->log_back), st->log_back);
	else
		snprintf(title, sizeof title, "%s", _("Log"));
	draw_rule(R->y, R->x, R->w, title, t->focus == FOCUS_LOG);
	for (int i = 0; i < rows; i++) {
		long li = (long)end - rows + i;
		const struct tui_logline *l;
		struct tm tm;
		char ts[16];
		attr_t a;

		if (li < 0)
			continue;
		l = model_log_line(&t->m, (size_t)li);
		localtime_r(&l->at, &tm);
		strftime(ts, sizeof ts, "%H:%M:%S", &tm);
		a = l->level == VS_LOG_ERROR ? theme_attr(COL_BAD) : l->level == VS_LOG_WARN ?
		    theme_attr(COL_WARN) : A_NORMAL;
		draw_text(R->y + 1 + i, R->x + 1, 9, theme_attr(COL_DIM), ts);
		draw_text(R->y + 1 + i, R->x + 10, R->w - 11, a, l->text);
	}
}
