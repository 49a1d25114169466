/*
 * The main screen's panes, for ui/screen-main.c and ui/pane-*.c only.
 * screen-main.c owns the screen object and its event handler; each pane of
 * tui_layout() is drawn by its own file from the state below. Like all
 * drawing, these run on the UI thread only.
 */
#ifndef VS_SCREEN_MAIN_H
#define VS_SCREEN_MAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "ui/list.h"
#include "ui/tui.h"

struct main_state {
	char sel_id[BACKUP_ID_SIZE];
	struct tui_list list;        /* the backup list: selection and scroll */
	size_t job_sel;              /* among the visible jobs */
	size_t log_back;             /* lines scrolled back from the newest */
	int detail_scroll;
	bool filtering;
	char filter_buf[64];
	/* the verification history of the selected backup */
	struct tui_history hist;
	char hist_key[BACKUP_ID_SIZE + 8];
	unsigned hist_job;
	double sel_changed;
};

/* pane-header.c: the status header. */
void main_draw_header(struct tui *t);

/* pane-list.c: the backup list and its selection. */
/* The selected row, NULL when the view is empty. */
struct tui_row *main_selected(struct tui *t, struct main_state *st);
/* Rows of backups the list shows (at least 1). */
int main_list_rows(const struct tui *t);
/* Select view position i (clamped) and scroll it into the list. */
void main_select(struct tui *t, struct main_state *st, long i);
/* After the view changed: keep the same backup selected when it is still there. */
void main_reselect(struct tui *t, struct main_state *st);
void main_draw_list(struct tui *t, struct main_state *st);

/* pane-detail.c: the detail pane. */
/* On a tick: read the selected backup's verification history once the
 * selection has rested a moment (the answer comes as a job event). */
void main_want_history(struct tui *t, struct main_state *st);
void main_draw_detail(struct tui *t, struct main_state *st);

/* pane-jobs.c: the job panes. */
/* The jobs that have a pane, oldest first, at most max of them. */
size_t main_visible_jobs(struct tui *t, struct tui_job **out, size_t max);
void main_draw_jobs(struct tui *t, struct main_state *st);

/* pane-log.c: the log pane. */
void main_draw_log(struct tui *t, struct main_state *st);

/* pane-bar.c: the shortcut bar (or the filter being typed, or a message). */
void main_draw_bar_line(struct tui *t, struct main_state *st);

#endif
