/*
 * Engine events on the UI thread: each is merged into the model first
 * (progress, a finished job's result worded by its job type, a new list of
 * backups, a new status), then handed to every screen, so the wizard can
 * follow its own jobs.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/i18n.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "ui/tui.h"

/* What a finished job did, in one line for its pane and the log: the job
 * type words its own result. */
static void
tui_job_result_text(struct tui *t, struct tui_job *j, const struct engine_event *ev)
{
	char dur[32];
	const char *id;

	if (ev->status != 0) {
		snprintf(j->result_text, sizeof j->result_text, "%s", ev->err.msg);
		return;
	}
	if (j->type->describe != NULL && ev->result != NULL) {
		j->type->describe(ev->result, j->result_text, sizeof j->result_text);
	} else {
		fmt_duration(j->ended - j->submitted, dur, sizeof dur);
		snprintf(j->result_text, sizeof j->result_text, _("done in %s"), dur);
	}
	/* A job that made a backup: its row is selected once it is listed. */
	if (j->type->result_backup != NULL && ev->result != NULL &&
	    (id = j->type->result_backup(ev->result)) != NULL) {
		snprintf(j->backup, sizeof j->backup, "%s", id);
		snprintf(t->select_hint, sizeof t->select_hint, "%s", id);
	}
}

static void
tui_job_done(struct tui *t, struct engine_event *ev)
{
	struct tui_job *j = model_job_find(&t->m, ev->job);

	if (j == NULL)
		return;
	if (ev->jtype == &job_list_type) {
		t->m.cat_loading = false;
		if (ev->status == 0 && ev->result != NULL) {
			struct catalog *cat = ev->result;

			ev->result = NULL;
			free(t->m.cat_error);
			t->m.cat_error = NULL;
			model_set_catalog(&t->m, cat, time_now());
			/* A listing that fails is said once, until it changes. */
			for (size_t k = 0; k < cat->nloc; k++) {
				const char *e = cat->locs[k].error;

				if (e != NULL && (t->m.last_bg_line == NULL ||
				    strcmp(t->m.last_bg_line, e) != 0)) {
					free(t->m.last_bg_line);
					t->m.last_bg_line = xstrdup(e);
					model_log(&t->m, VS_LOG_ERROR, "%s", e);
				}
			}
			t->last_eval = tui_clock();
			if (t->timings != NULL) {
				struct timespec ts;

				clock_gettime(CLOCK_REALTIME, &ts);
				fprintf(t->timings, "catalog %lld.%09ld %zu\n", (long long)ts.tv_sec,
				    ts.tv_nsec, cat->n);
				fflush(t->timings);
			}
		} else {
			free(t->m.cat_error);
			t->m.cat_error = xstrdup(ev->err.msg);
			model_log(&t->m, VS_LOG_ERROR, _("cannot list the backups: %s"), ev->err.msg);
		}
		return;
	}
	if (ev->jtype == &tui_status_type) {
		t->m.status_loading = false;
		if (ev->status == 0 && ev->result != NULL) {
			model_set_status(&t->m, ev->result);
			ev->result = NULL;
			/* A backup made by a timer, the command line or another
			 * front end: the list reads backup_dir again. */
			if (t->m.dir_changed)
				tui_refresh_catalog(t);
		}
		if (t->status_again) {
			t->status_again = false;
			tui_refresh_status(t, true);
		}
		return;
	}
	if (!j->visible)
		return;
	tui_job_result_text(t, j, ev);
	if (ev->status == 0)
		tui_message(t, ev->jtype->failed != NULL && ev->result != NULL &&
		    ev->jtype->failed(ev->result) ? COL_BAD : COL_OK, "%s", j->result_text);
	else if (ev->err.code == VS_ERR_CANCELLED)
		tui_message(t, COL_WARN, _("%s: cancelled"), j->title);
	else
		tui_message(t, COL_BAD, _("%s failed: %s"), j->title, ev->err.msg);
	/* Whatever a user job did, the list and the header may have changed:
	 * both are read again at once. */
	tui_refresh_catalog(t);
	tui_refresh_status(t, true);
}

void
tui_handle_engine(struct tui *t)
{
	struct engine_event *evs = engine_drain(t->eng), *ev, *next;
	double now = tui_clock();
	bool model_changed = false;

	for (ev = evs; ev != NULL; ev = next) {
		struct tui_job *j = model_job_find(&t->m, ev->job);
		struct tui_event tev = { .type = TUI_EV_JOB, .job = ev };

		next = ev->next;
		model_job_event(&t->m, ev, now);
		switch (ev->type) {
		case ENGINE_EV_LOG:
			/* The user's jobs say everything; background ones (the list
			 * read every few minutes) warnings and errors, each once
			 * until it changes. */
			if (ev->level > log_get_level())
				break;
			if (j != NULL && j->visible)
				model_log(&t->m, ev->level, "%s", ev->text);
			else if (ev->level <= VS_LOG_WARN && (t->m.last_bg_line == NULL ||
			    strcmp(t->m.last_bg_line, ev->text) != 0)) {
				free(t->m.last_bg_line);
				t->m.last_bg_line = xstrdup(ev->text);
				model_log(&t->m, ev->level, "%s", ev->text);
			}
			break;
		case ENGINE_EV_DONE:
			if (ev->jtype == &job_list_type || ev->jtype == &tui_status_type)
				model_changed = true;
			tui_job_done(t, ev);
			break;
		case ENGINE_EV_PROGRESS:
			break;
		}
		tui_broadcast(t, &tev);
		if (ev->type == ENGINE_EV_DONE) {
			j = model_job_find(&t->m, ev->job);
			if (j != NULL && !j->visible)
				model_job_remove(&t->m, (size_t)(j - t->m.jobs));
			else if (j != NULL)
				tui_layout(t);
			if (ev->jtype == &job_list_type && t->catalog_again) {
				t->catalog_again = false;
				tui_refresh_catalog(t);
			}
		}
		engine_event_free(ev);
		t->dirty = true;
	}
	if (model_changed) {
		struct tui_event mev = { .type = TUI_EV_MODEL };

		tui_broadcast(t, &mev);
	}
}

