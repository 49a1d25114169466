/*
 * The layout: every rectangle of the main screen and the dialogs computed
 * from LINES and COLS in one place, again on each resize; the draw
 * functions only read it.
 */
#include "config.h"

#include <string.h>

#include "ui/tui.h"

/* The status header's rows (pane-header.c). */
#define HDR 4

void
tui_layout(struct tui *t)
{
	struct tui_layout *L = &t->lay;
	int H = LINES, W = COLS, rest, nj = 0, logh, jobh = 0, dw, dh;

	memset(L, 0, sizeof *L);
	L->full = (struct tui_rect){ 0, 0, H, W };
	L->too_small = H < 12 || W < 50;
	L->header = (struct tui_rect){ 0, 0, HDR, W };
	L->bar = (struct tui_rect){ H - 1, 0, 1, W };
	/* A running job takes two lines (title, progress), a finished one one
	 * line, and only the newest few finished ones show: the list keeps
	 * its room. */
	{
		int running = 0, finished = 0, lines, cap = (H - HDR) / 4;

		for (size_t i = 0; i < t->m.njobs; i++) {
			if (!t->m.jobs[i].visible)
				continue;
			nj++;
			if (t->m.jobs[i].finished)
				finished++;
			else
				running++;
		}
		if (finished > TUI_FINISHED_SHOWN)
			finished = TUI_FINISHED_SHOWN;
		lines = 2 * running + finished;
		if (cap < 2)
			cap = 2;
		if (nj > 0) {
			L->job_rows = lines < cap ? lines : cap;
			jobh = 1 + L->job_rows;
		}
	}
	logh = 1 + (H >= 48 ? 8 : H >= 32 ? 5 : 3);
	rest = H - HDR - 1 - jobh - logh;
	if (rest < 4) {
		/* Very short terminals: the log shrinks to one line first. */
		logh = 2;
		rest = H - HDR - 1 - jobh - logh;
	}
	if (rest < 3)
		rest = 3;
	L->list = (struct tui_rect){ HDR, 0, rest, W };
	L->jobs = (struct tui_rect){ HDR + rest, 0, jobh, W };
	L->log = (struct tui_rect){ HDR + rest + jobh, 0, logh, W };
	if (W >= 140) {
		dw = W * 2 / 5;
		L->list.w = W - dw;
		L->detail = (struct tui_rect){ HDR, W - dw, rest, dw };
		L->detail_shown = L->detail_beside = true;
	} else if (rest >= 24) {
		dh = rest * 9 / 20;
		L->list.h = rest - dh;
		L->detail = (struct tui_rect){ HDR + rest - dh, 0, dh, W };
		L->detail_shown = true;
	} else {
		L->detail = L->list;
	}
	dw = W - 4 < 76 ? W - 4 : 76;
	dh = H - 2 < 18 ? H - 2 : 18;
	L->dialog = (struct tui_rect){ (H - dh) / 2, (W - dw) / 2, dh, dw };
	if (!L->detail_shown && t->focus == FOCUS_DETAIL && !t->detail_zoom)
		t->focus = FOCUS_LIST;
	if (nj == 0 && t->focus == FOCUS_JOBS)
		t->focus = FOCUS_LIST;
	t->dirty = true;
}

