/*
 * The main screen: status header, backup list, detail pane, job panes,
 * log pane and shortcut bar, laid out by tui_layout(). Its keys come from
 * TUI_KEYS (keys.h), each bound to a main_req_NAME handler below.
 *
 * This file holds the screen object, its key handlers and its event
 * handler. Each pane is drawn by a file of its own (pane-header.c,
 * pane-list.c, pane-detail.c, pane-jobs.c, pane-log.c, pane-bar.c); they
 * share the screen's state through screen-main.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "ui/keys.h"
#include "ui/screen-main.h"
#include "ui/tui.h"

/* --- helpers --- */

static struct tui_job *
selected_job(struct tui *t, struct main_state *st)
{
	struct tui_job *v[64];
	size_t n = main_visible_jobs(t, v, 64);

	if (n == 0)
		return NULL;
	if (st->job_sel >= n)
		st->job_sel = n - 1;
	return v[st->job_sel];
}

/* Does every location other than local hold a usable copy of e? */
static bool
everywhere(const struct tui *t, const struct catalog_entry *e)
{
	for (size_t i = 1; i < e->nloc && i < t->cfg->nlocations; i++)
		if (t->cfg->locations[i].upload && !catalog_copy_usable(catalog_copy_at(e, i)))
			return false;
	return true;
}

/* Does a location other than local hold a usable copy of e? */
static bool
elsewhere(const struct catalog_entry *e)
{
	for (size_t i = 1; i < e->nloc; i++)
		if (catalog_copy_usable(catalog_copy_at(e, i)))
			return true;
	return false;
}

/* The selected row, or a message and NULL. */
static struct tui_row *
need_selection(struct tui *t, struct main_state *st)
{
	struct tui_row *r = main_selected(t, st);

	if (r == NULL)
		tui_message(t, COL_WARN, "%s", t->m.cat_loaded ? _("no backup is selected") :
		    _("the backup list is still being read"));
	return r;
}

/* --- key handlers (TUI_KEYS) --- */

static int
main_req_backup(struct tui *t, struct main_state *st)
{
	(void)st;
	tui_ask_backup(t);
	return SCR_HANDLED;
}

static int
main_req_verify(struct tui *t, struct main_state *st)
{
	struct tui_row *r = need_selection(t, st);

	if (r != NULL)
		tui_ask_verify(t, r);
	return SCR_HANDLED;
}

static int
main_req_drill(struct tui *t, struct main_state *st)
{
	struct tui_row *r = need_selection(t, st);

	if (r != NULL && catalog_usable(r->e) == NULL)
		tui_message(t, COL_WARN, _("%s has no usable copy to drill"), r->e->id);
	else if (r != NULL)
		tui_ask_drill(t, r);
	return SCR_HANDLED | SCR_REDRAW;
}

static int
main_req_restore(struct tui *t, struct main_state *st)
{
	struct tui_row *r = need_selection(t, st);

	if (r != NULL)
		tui_open_restore(t, r->e->id);
	return SCR_HANDLED;
}

static int
main_req_upload(struct tui *t, struct main_state *st)
{
	struct tui_row *r = need_selection(t, st);
	struct tui_action a = { .kind = ACT_UPLOAD };

	if (r == NULL)
		return SCR_HANDLED;
	if (config_location_remote(t->cfg) == 0)
		tui_message(t, COL_WARN, "%s", _("S3 is not configured (s3.bucket): nothing to upload to"));
	else if (!catalog_copy_usable(catalog_copy_at(r->e, 0)))
		tui_message(t, COL_WARN, _("%s has no complete local copy to upload"), r->e->id);
	else if (everywhere(t, r->e))
		tui_message(t, COL_WARN, _("%s is already in S3"), r->e->id);
	else {
		snprintf(a.u.transfer.id, sizeof a.u.transfer.id, "%s", r->e->id);
		tui_act(t, &a);
	}
	return SCR_HANDLED | SCR_REDRAW;
}

static int
main_req_download(struct tui *t, struct main_state *st)
{
	struct tui_row *r = need_selection(t, st);
	struct tui_action a = { .kind = ACT_DOWNLOAD };

	if (r == NULL)
		return SCR_HANDLED;
	if (!elsewhere(r->e))
		tui_message(t, COL_WARN, _("%s has no complete copy in S3 to download"), r->e->id);
	else if (catalog_copy_at(r->e, 0)->present)
		tui_message(t, COL_WARN, _("%s is already in backup_dir"), r->e->id);
	else {
		snprintf(a.u.transfer.id, sizeof a.u.transfer.id, "%s", r->e->id);
		tui_act(t, &a);
	}
	return SCR_HANDLED | SCR_REDRAW;
}

static int
main_req_delete(struct tui *t, struct main_state *st)
{
	struct tui_row *r = need_selection(t, st);

	if (r != NULL)
		tui_ask_delete(t, r);
	return SCR_HANDLED | SCR_REDRAW;
}

static int
main_req_pin(struct tui *t, struct main_state *st)
{
	struct tui_row *r = need_selection(t, st);
	struct tui_action a = { .kind = ACT_PIN };

	if (r == NULL)
		return SCR_HANDLED;
	snprintf(a.u.pin.id, sizeof a.u.pin.id, "%s", r->e->id);
	a.u.pin.pin = !r->best->pinned;
	for (size_t i = 0; i < r->e->nloc; i++)
		if (catalog_copy_at(r->e, i)->present)
			a.u.pin.locations |= 1u << i;
	tui_act(t, &a);
	return SCR_HANDLED | SCR_REDRAW;
}

static int
main_req_undo(struct tui *t, struct main_state *st)
{
	(void)st;
	tui_ask_undo(t);
	return SCR_HANDLED | SCR_REDRAW;
}

static int
main_req_cleanup(struct tui *t, struct main_state *st)
{
	(void)st;
	tui_open_cleanup(t);
	return SCR_HANDLED;
}

static int
main_req_filter(struct tui *t, struct main_state *st)
{
	st->filtering = true;
	snprintf(st->filter_buf, sizeof st->filter_buf, "%s", t->m.filter);
	return SCR_HANDLED | SCR_REDRAW;
}

static int
main_req_sort(struct tui *t, struct main_state *st)
{
	t->m.sort = (enum tui_sort)((t->m.sort + 1) % SORT__COUNT);
	model_apply_view(&t->m);
	main_reselect(t, st);
	return SCR_HANDLED | SCR_REDRAW;
}

static int
main_req_reverse(struct tui *t, struct main_state *st)
{
	t->m.sort_reverse = !t->m.sort_reverse;
	model_apply_view(&t->m);
	main_reselect(t, st);
	return SCR_HANDLED | SCR_REDRAW;
}

static int
main_req_cancel(struct tui *t, struct main_state *st)
{
	struct tui_job *j = selected_job(t, st);

	if (j == NULL || j->finished) {
		tui_message(t, COL_WARN, "%s", _("no running job is selected (Tab to the jobs pane)"));
		return SCR_HANDLED;
	}
	tui_ask_cancel(t, j);
	return SCR_HANDLED | SCR_REDRAW;
}

static int
main_req_dismiss(struct tui *t, struct main_state *st)
{
	for (size_t i = 0; i < t->m.njobs;) {
		if (t->m.jobs[i].visible && t->m.jobs[i].finished)
			model_job_remove(&t->m, i);
		else
			i++;
	}
	st->job_sel = 0;
	return SCR_HANDLED | SCR_RESIZE;
}

static int
main_req_log(struct tui *t, struct main_state *st)
{
	(void)st;
	tui_push(t, screen_log_new(t));
	return SCR_HANDLED;
}

static int
main_req_refresh(struct tui *t, struct main_state *st)
{
	st->hist_key[0] = '\0';
	tui_refresh_catalog(t);
	tui_refresh_status(t, true);
	return SCR_HANDLED | SCR_REDRAW;
}

static bool
focus_ok(struct tui *t, enum tui_focus f)
{
	switch (f) {
	case FOCUS_DETAIL:
		return t->lay.detail_shown;
	case FOCUS_JOBS:
		return t->lay.job_rows > 0;
	default:
		return true;
	}
}

static int
main_req_focus(struct tui *t, struct main_state *st)
{
	(void)st;
	if (t->detail_zoom)
		t->detail_zoom = false;
	do
		t->focus = (enum tui_focus)((t->focus + 1) % FOCUS__COUNT);
	while (!focus_ok(t, t->focus));
	return SCR_HANDLED | SCR_REDRAW;
}

static int
main_req_focus_back(struct tui *t, struct main_state *st)
{
	(void)st;
	if (t->detail_zoom)
		t->detail_zoom = false;
	do
		t->focus = (enum tui_focus)((t->focus + FOCUS__COUNT - 1) % FOCUS__COUNT);
	while (!focus_ok(t, t->focus));
	return SCR_HANDLED | SCR_REDRAW;
}

static int
main_move(struct tui *t, struct main_state *st, long delta, bool absolute)
{
	switch (t->focus) {
	case FOCUS_LIST:
		if (t->detail_zoom)
			st->detail_scroll = absolute ? (delta < 0 ? 0 : 1000) : st->detail_scroll + (int)delta;
		else
			main_select(t, st, absolute ? delta : (long)st->list.sel + delta);
		break;
	case FOCUS_DETAIL:
		st->detail_scroll = absolute ? (delta < 0 ? 0 : 1000) : st->detail_scroll + (int)delta;
		break;
	case FOCUS_JOBS: {
		struct tui_job *v[64];
		long n = (long)main_visible_jobs(t, v, 64), s = absolute ? delta : (long)st->job_sel + delta;

		if (s >= n)
			s = n - 1;
		if (s < 0)
			s = 0;
		st->job_sel = (size_t)s;
		break;
	}
	case FOCUS_LOG: {
		long b = absolute ? (delta < 0 ? (long)t->m.log_n : 0) : (long)st->log_back - delta;

		if (b < 0)
			b = 0;
		if (b > (long)t->m.log_n)
			b = (long)t->m.log_n;
		st->log_back = (size_t)b;
		break;
	}
	default:
		break;
	}
	if (st->detail_scroll < 0)
		st->detail_scroll = 0;
	return SCR_HANDLED | SCR_REDRAW;
}

static int
main_req_up(struct tui *t, struct main_state *st)
{
	return main_move(t, st, -1, false);
}

static int
main_req_down(struct tui *t, struct main_state *st)
{
	return main_move(t, st, 1, false);
}

static long
page_of(struct tui *t)
{
	switch (t->focus) {
	case FOCUS_LOG:
		return t->lay.log.h > 2 ? t->lay.log.h - 2 : 1;
	case FOCUS_DETAIL:
		return t->lay.detail.h > 2 ? t->lay.detail.h - 2 : 1;
	default:
		return main_list_rows(t) > 1 ? main_list_rows(t) - 1 : 1;
	}
}

static int
main_req_page_up(struct tui *t, struct main_state *st)
{
	return main_move(t, st, -page_of(t), false);
}

static int
main_req_page_down(struct tui *t, struct main_state *st)
{
	return main_move(t, st, page_of(t), false);
}

static int
main_req_home(struct tui *t, struct main_state *st)
{
	return main_move(t, st, t->focus == FOCUS_LIST && !t->detail_zoom ? 0 : -1, true);
}

static int
main_req_end(struct tui *t, struct main_state *st)
{
	return main_move(t, st, t->focus == FOCUS_LIST && !t->detail_zoom ?
	    (long)t->m.nview - 1 : 1, true);
}

static int
main_req_detail(struct tui *t, struct main_state *st)
{
	(void)st;
	if (t->lay.detail_shown) {
		t->focus = t->focus == FOCUS_DETAIL ? FOCUS_LIST : FOCUS_DETAIL;
	} else {
		t->detail_zoom = !t->detail_zoom;
		t->focus = FOCUS_LIST;
	}
	return SCR_HANDLED | SCR_REDRAW;
}

static int
main_req_back(struct tui *t, struct main_state *st)
{
	if (t->detail_zoom) {
		t->detail_zoom = false;
	} else if (t->focus != FOCUS_LIST) {
		t->focus = FOCUS_LIST;
	} else if (t->m.filter[0] != '\0') {
		t->m.filter[0] = '\0';
		model_apply_view(&t->m);
		main_reselect(t, st);
	}
	return SCR_HANDLED | SCR_REDRAW;
}

static int
main_req_help(struct tui *t, struct main_state *st)
{
	(void)st;
	tui_open_help(t);
	return SCR_HANDLED;
}

static int
main_req_quit(struct tui *t, struct main_state *st)
{
	(void)st;
	if (t->quitting) {
		tui_message(t, COL_WARN, "%s", _("quitting: the jobs are stopping; a rollback is not "
		    "interrupted"));
		return SCR_HANDLED;
	}
	return tui_ask_quit(t) ? SCR_HANDLED | SCR_QUIT : SCR_HANDLED;
}

typedef int (*main_handler)(struct tui *, struct main_state *);

static const struct {
	int key, alt;
	main_handler fn;
} main_keys[] = {
#define X(name, key, alt, keyname, bar, help) { key, alt, main_req_##name },
	TUI_KEYS(X)
#undef X
};

static bool
key_matches(int want, const struct tui_event *ev)
{
	if (want == 0)
		return false;
	/* KEY_* codes and characters share numbers: compare like with like. */
	if (want >= KEY_MIN)
		return ev->fkey && ev->key == want;
	return !ev->fkey && ev->key == want;
}

/* --- filter editing in the bar --- */

static int
main_filter_key(struct tui *t, struct main_state *st, const struct tui_event *ev)
{
	size_t len = strlen(st->filter_buf);

	if (!ev->fkey && (ev->key == '\n' || ev->key == '\r')) {
		st->filtering = false;
	} else if (!ev->fkey && ev->key == 27) {
		st->filtering = false;
		st->filter_buf[0] = '\0';
	} else if ((ev->fkey && ev->key == KEY_BACKSPACE) ||
	    (!ev->fkey && (ev->key == 127 || ev->key == 8))) {
		/* Drop one UTF-8 character. */
		while (len > 0) {
			len--;
			if (((unsigned char)st->filter_buf[len] & 0xc0) != 0x80)
				break;
		}
		st->filter_buf[len] = '\0';
	} else if (!ev->fkey && ev->key == 21) { /* ^U */
		st->filter_buf[0] = '\0';
	} else if (!ev->fkey && iswprint((wint_t)ev->key)) {
		char mb[8];
		int n = wctomb(mb, (wchar_t)ev->key);

		if (n > 0 && len + (size_t)n < sizeof st->filter_buf) {
			memcpy(st->filter_buf + len, mb, (size_t)n);
			st->filter_buf[len + (size_t)n] = '\0';
		}
	} else {
		return SCR_HANDLED;
	}
	snprintf(t->m.filter, sizeof t->m.filter, "%s", st->filter_buf);
	model_apply_view(&t->m);
	main_reselect(t, st);
	return SCR_HANDLED | SCR_REDRAW;
}

/* --- events --- */

static int
main_event(struct tui *t, struct screen *s, const struct tui_event *ev)
{
	struct main_state *st = s->data;

	switch (ev->type) {
	case TUI_EV_KEY:
		if (st->filtering)
			return main_filter_key(t, st, ev);
		if (!ev->fkey && ev->key == 3)
			return main_req_quit(t, st);
		for (size_t i = 0; i < sizeof main_keys / sizeof main_keys[0]; i++) {
			struct tui_event e = *ev;

			if (!e.fkey && e.key == '\r')
				e.key = '\n';
			if (key_matches(main_keys[i].key, &e) || key_matches(main_keys[i].alt, &e))
				return main_keys[i].fn(t, st);
		}
		return 0;
	case TUI_EV_JOB:
		if (ev->job->job == st->hist_job && ev->job->type == ENGINE_EV_DONE) {
			st->hist_job = 0;
			if (ev->job->status == 0 && ev->job->result != NULL)
				st->hist = *(const struct tui_history *)ev->job->result;
			return SCR_REDRAW;
		}
		return 0;
	case TUI_EV_MODEL:
		if (t->select_hint[0] && model_find_view(&t->m, t->select_hint) >= 0) {
			main_select(t, st, model_find_view(&t->m, t->select_hint));
			t->select_hint[0] = '\0';
		}
		main_reselect(t, st);
		st->hist_key[0] = '\0';
		return SCR_REDRAW;
	case TUI_EV_TICK:
		main_want_history(t, st);
		return 0;
	}
	return 0;
}

/* --- drawing --- */

static void
main_draw(struct tui *t, struct screen *s)
{
	struct main_state *st = s->data;

	main_reselect(t, st);
	main_draw_header(t);
	if (t->detail_zoom && !t->lay.detail_shown)
		main_draw_detail(t, st);
	else
		main_draw_list(t, st);
	if (t->lay.detail_shown)
		main_draw_detail(t, st);
	main_draw_jobs(t, st);
	main_draw_log(t, st);
	main_draw_bar_line(t, st);
}

static void
main_free(struct screen *s)
{
	free(s->data);
	free(s);
}

static const struct screen_type screen_main_type = {
	.name = "main",
	.overlay = false,
	.event = main_event,
	.draw = main_draw,
	.free = main_free,
};

struct screen *
screen_main_new(struct tui *t)
{
	struct screen *s = xcalloc(1, sizeof *s);

	(void)t;
	s->type = &screen_main_type;
	s->data = xcalloc(1, sizeof(struct main_state));
	return s;
}
