/*
 * The main screen's job panes: two rows per job the user started (title
 * and phase, then a progress bar with rate and ETA, or the result).
 */
#include "config.h"

#include <stdio.h>

#include "common/i18n.h"
#include "ui/screen-main.h"
#include "ui/tui.h"

size_t
main_visible_jobs(struct tui *t, struct tui_job **out, size_t max)
{
	size_t n = 0, finished = 0;

	/* Every running job, and the newest few finished ones. */
	for (size_t i = t->m.njobs; i > 0; i--)
		if (t->m.jobs[i - 1].visible && t->m.jobs[i - 1].finished &&
		    ++finished > TUI_FINISHED_SHOWN)
			t->m.jobs[i - 1].visible_hidden = true;
		else
			t->m.jobs[i - 1].visible_hidden = false;
	for (size_t i = 0; i < t->m.njobs && n < max; i++)
		if (t->m.jobs[i].visible && !t->m.jobs[i].visible_hidden)
			out[n++] = &t->m.jobs[i];
	return n;
}

/* A finished job in one line: its mark, its title and how it ended. */
static void
draw_job_done(struct tui *t, struct tui_job *j, int y, int x, int w, bool sel)
{
	const struct tui_glyphs *g = theme_glyphs();
	attr_t sa = theme_attr(t->focus == FOCUS_JOBS ? COL_SELECTED : COL_SELECTED_DIM);
	attr_t ta = theme_attr(j->status == 0 ? COL_OK : j->cancelled ? COL_WARN : COL_BAD);
	int cx;

	if (sel)
		draw_fill(y, x, w, sa, " ");
	cx = draw_seg(y, x + 1, x + w, sel ? sa : ta, j->status == 0 ? g->tick : g->cross);
	cx = draw_seg(y, cx + 1, x + w, sel ? sa : theme_attr(COL_HEADING), j->title);
	cx = draw_seg(y, cx, x + w, sel ? sa : A_NORMAL, ": ");
	draw_seg(y, cx, x + w - 1, sel ? sa : ta, j->result_text);
}

static void
draw_job(struct tui *t, struct tui_job *j, int y, int x, int w, bool sel)
{
	const struct tui_glyphs *g = theme_glyphs();
	bool focus = t->focus == FOCUS_JOBS;
	char buf[256], a[32], b[32], c[32];
	int cx, barw;
	attr_t ta;
	const char *mark;

	if (!j->finished) {
		mark = j->running ? draw_spinner(t) : g->pending;
		ta = theme_attr(COL_NORMAL);
	} else if (j->status == 0) {
		mark = g->tick;
		ta = theme_attr(COL_OK);
	} else {
		mark = g->cross;
		ta = theme_attr(j->cancelled ? COL_WARN : COL_BAD);
	}
	if (sel)
		draw_fill(y, x, w, theme_attr(focus ? COL_SELECTED : COL_SELECTED_DIM), " ");
	cx = x + 1;
	cx = draw_seg(y, cx, x + w, sel ? theme_attr(focus ? COL_SELECTED : COL_SELECTED_DIM) : ta, mark);
	cx = draw_seg(y, cx + 1, x + w - 12, sel ? theme_attr(focus ? COL_SELECTED : COL_SELECTED_DIM) :
	    theme_attr(COL_HEADING), j->title);
	if (!j->finished) {
		if (!j->running)
			snprintf(buf, sizeof buf, "  %s", _("queued"));
		else if (j->cancelling && (j->type->flags & JOB_ROLLS_BACK))
			snprintf(buf, sizeof buf, _("  rolling back: %s"), j->phase);
		else if (j->cancelling)
			snprintf(buf, sizeof buf, _("  cancelling: %s"), j->phase);
		else if (j->nsteps > 0)
			snprintf(buf, sizeof buf, _("  step %d/%d: %s"), j->step, j->nsteps, j->phase);
		else
			snprintf(buf, sizeof buf, "  %s", j->phase);
		draw_seg(y, cx, x + w - 12, sel ? theme_attr(focus ? COL_SELECTED : COL_SELECTED_DIM) :
		    theme_attr(COL_DIM), buf);
		if (sel && !j->cancelling)
			draw_text_right(y, x + w - 11, 10, theme_attr(focus ? COL_SELECTED :
			    COL_SELECTED_DIM), _("x cancel"));
	}

	/* second row: bar and numbers, or the result */
	y++;
	barw = w / 3 > 40 ? 40 : w / 3;
	if (j->finished && j->status == 0) {
		draw_bar(y, x + 3, barw, 1.0);
		snprintf(buf, sizeof buf, " 100%%  %s", j->result_text);
		draw_text(y, x + 3 + barw, w - barw - 4, ta, buf);
	} else if (j->finished) {
		draw_text(y, x + 3, w - 4, ta, j->result_text);
	} else if (j->total > 0) {
		double frac = (double)j->done / (double)j->total;
		int pct = (int)(frac * 100);

		if (pct > 100)
			pct = 100;
		draw_bar(y, x + 3, barw, frac);
		if (j->bytes) {
			format_bytes(j->done, a, sizeof a);
			format_bytes(j->total, b, sizeof b);
			if (j->rate > 0) {
				double rem = (double)(j->total > j->done ? j->total - j->done : 0) / j->rate;

				format_bytes((uint64_t)j->rate, c, sizeof c);
				snprintf(buf, sizeof buf, _(" %3d%%  %s / %s  %s/s  ETA %d:%02d"), pct, a, b, c,
				    (int)rem / 60, (int)rem % 60);
			} else {
				snprintf(buf, sizeof buf, " %3d%%  %s / %s", pct, a, b);
			}
		} else {
			snprintf(buf, sizeof buf, " %3d%%  %llu / %llu", pct, (unsigned long long)j->done,
			    (unsigned long long)j->total);
		}
		draw_text(y, x + 3 + barw, w - barw - 4, A_NORMAL, buf);
	} else if (j->running) {
		draw_bar(y, x + 3, barw, 0);
		draw_text(y, x + 4 + barw, w - barw - 5, theme_attr(COL_DIM), j->phase);
	} else {
		draw_text(y, x + 3, w - 4, theme_attr(COL_DIM),
		    _("waiting for a worker (a restore runs alone)"));
	}
}

void
main_draw_jobs(struct tui *t, struct main_state *st)
{
	const struct tui_rect *R = &t->lay.jobs;
	struct tui_job *v[64];
	size_t n = main_visible_jobs(t, v, 64), first = 0, shown = (size_t)t->lay.job_rows;
	char title[128];

	if (R->h == 0 || n == 0)
		return;
	if (st->job_sel >= n)
		st->job_sel = n - 1;
	if (t->focus != FOCUS_JOBS) {
		/* Follow the newest running job unless the user chose one. */
		for (size_t i = n; i > 0; i--)
			if (!v[i - 1]->finished) {
				st->job_sel = i - 1;
				break;
			}
	}
	/* Scroll so that the selected job is in view. */
	for (;;) {
		size_t lines = 0;

		for (size_t i = first; i <= st->job_sel && i < n; i++)
			lines += v[i]->finished ? 1 : 2;
		if (lines <= shown || first >= st->job_sel)
			break;
		first++;
	}
	snprintf(title, sizeof title, _("Jobs (%zu running, %zu shown; x cancels, D clears "
	    "finished, L the whole log)"), model_jobs_running(&t->m, true), n);
	draw_rule(R->y, R->x, R->w, title, t->focus == FOCUS_JOBS);
	for (size_t i = first, y = 0; i < n; i++) {
		size_t need = v[i]->finished ? 1 : 2;

		if (y + need > shown)
			break;
		if (v[i]->finished)
			draw_job_done(t, v[i], R->y + 1 + (int)y, R->x, R->w, i == st->job_sel);
		else
			draw_job(t, v[i], R->y + 1 + (int)y, R->x, R->w, i == st->job_sel);
		y += need;
	}
}
