/*
 * The main screen: status header, backup list, detail pane, job panes,
 * log pane and shortcut bar, laid out by tui_layout(). Its keys come from
 * TUI_KEYS (keys.h), each bound to a main_req_NAME handler below.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "common/i18n.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "ui/keys.h"
#include "ui/tui.h"

struct main_state {
	char sel_id[BACKUP_ID_SIZE];
	size_t sel, top;
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

#define DETAIL_MAX 80
struct dline {
	attr_t attr;
	char text[256];
};

/* --- helpers --- */

static struct tui_row *
main_selected(struct tui *t, struct main_state *st)
{
	return model_view_row(&t->m, st->sel);
}

static int
list_rows(const struct tui *t)
{
	int n = t->lay.list.h - 2;

	return n > 0 ? n : 1;
}

static void
main_select(struct tui *t, struct main_state *st, long i)
{
	struct tui_row *r;
	int rows = list_rows(t);

	if (t->m.nview == 0) {
		st->sel = st->top = 0;
		st->sel_id[0] = '\0';
		return;
	}
	if (i < 0)
		i = 0;
	if ((size_t)i >= t->m.nview)
		i = (long)t->m.nview - 1;
	st->sel = (size_t)i;
	if (st->sel < st->top)
		st->top = st->sel;
	if (st->sel >= st->top + (size_t)rows)
		st->top = st->sel - (size_t)rows + 1;
	r = main_selected(t, st);
	if (strcmp(st->sel_id, r->e->id) != 0) {
		snprintf(st->sel_id, sizeof st->sel_id, "%s", r->e->id);
		st->sel_changed = tui_clock();
		st->detail_scroll = 0;
	}
}

/* After the view changed: keep the same backup selected when it is still there. */
static void
main_reselect(struct tui *t, struct main_state *st)
{
	long i = st->sel_id[0] ? model_find_view(&t->m, st->sel_id) : -1;

	/* The selected backup went away (filtered out, deleted): start over
	 * at the top rather than somewhere in the middle. */
	if (i < 0)
		st->top = 0;
	main_select(t, st, i >= 0 ? i : 0);
}

static size_t
visible_jobs(struct tui *t, struct tui_job **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < t->m.njobs && n < max; i++)
		if (t->m.jobs[i].visible)
			out[n++] = &t->m.jobs[i];
	return n;
}

static struct tui_job *
selected_job(struct tui *t, struct main_state *st)
{
	struct tui_job *v[64];
	size_t n = visible_jobs(t, v, 64);

	if (n == 0)
		return NULL;
	if (st->job_sel >= n)
		st->job_sel = n - 1;
	return v[st->job_sel];
}

static bool
s3_configured(const struct tui *t)
{
	return t->cfg->s3.bucket != NULL && t->cfg->s3.bucket[0] != '\0';
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

static bool
copy_complete(const struct catalog_copy *c)
{
	return c->present && c->complete && !c->partial;
}

/* --- key handlers (TUI_KEYS) --- */

static int
main_req_backup(struct tui *t, struct main_state *st)
{
	struct form_spec f;

	(void)st;
	memset(&f, 0, sizeof f);
	snprintf(f.title, sizeof f.title, "%s", _("Take a backup"));
	snprintf(f.text[0], sizeof f.text[0], "%s",
	    _("Redis is snapshotted and both index files copied at the same moment."));
	snprintf(f.text[1], sizeof f.text[1], "%s",
	    _("\"by schedule\" picks daily, weekly or monthly from the date."));
	f.fields[0].label = _("Type");
	f.fields[0].choices[0] = _("by schedule");
	f.fields[0].choices[1] = "daily";
	f.fields[0].choices[2] = "weekly";
	f.fields[0].choices[3] = "monthly";
	f.fields[0].choices[4] = "manual";
	f.fields[0].nchoices = 5;
	f.fields[0].value = 4;
	f.nfields = 1;
	if (s3_configured(t)) {
		f.fields[1].label = _("Upload to S3");
		f.fields[1].choices[0] = _("no");
		f.fields[1].choices[1] = _("yes");
		f.fields[1].nchoices = 2;
		f.fields[1].value = 1;
		f.nfields = 2;
	}
	f.action.kind = ACT_BACKUP;
	tui_open_form(t, &f);
	return SCR_HANDLED;
}

static int
main_req_verify(struct tui *t, struct main_state *st)
{
	struct tui_row *r = need_selection(t, st);
	struct form_spec f;

	if (r == NULL)
		return SCR_HANDLED;
	memset(&f, 0, sizeof f);
	snprintf(f.title, sizeof f.title, _("Verify backup %s"), r->e->id);
	snprintf(f.text[0], sizeof f.text[0], "%s",
	    _("quick: every file present, sizes and SHA-256 as recorded."));
	snprintf(f.text[1], sizeof f.text[1], "%s",
	    _("deep: also loads the snapshot and both indexes and compares the counts."));
	f.fields[0].label = _("Level");
	f.fields[0].choices[0] = _("quick");
	f.fields[0].choices[1] = _("deep");
	f.fields[0].nchoices = 2;
	f.fields[1].label = _("Copy");
	f.fields[1].choices[0] = _("local");
	f.fields[1].choices[1] = "S3";
	f.fields[1].nchoices = 2;
	f.fields[1].value = copy_complete(&r->e->local) ? 0 : 1;
	f.nfields = 2;
	f.action.kind = ACT_VERIFY;
	snprintf(f.action.id, sizeof f.action.id, "%s", r->e->id);
	tui_open_form(t, &f);
	return SCR_HANDLED;
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
	if (!s3_configured(t))
		tui_message(t, COL_WARN, "%s", _("S3 is not configured (s3.bucket): nothing to upload to"));
	else if (!copy_complete(&r->e->local))
		tui_message(t, COL_WARN, _("%s has no complete local copy to upload"), r->e->id);
	else if (copy_complete(&r->e->s3))
		tui_message(t, COL_WARN, _("%s is already in S3"), r->e->id);
	else {
		snprintf(a.id, sizeof a.id, "%s", r->e->id);
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
	if (!copy_complete(&r->e->s3))
		tui_message(t, COL_WARN, _("%s has no complete copy in S3 to download"), r->e->id);
	else if (r->e->local.present)
		tui_message(t, COL_WARN, _("%s is already in backup_dir"), r->e->id);
	else {
		snprintf(a.id, sizeof a.id, "%s", r->e->id);
		tui_act(t, &a);
	}
	return SCR_HANDLED | SCR_REDRAW;
}

static int
main_req_delete(struct tui *t, struct main_state *st)
{
	struct tui_row *r = need_selection(t, st);
	struct form_spec f;

	if (r == NULL)
		return SCR_HANDLED;
	memset(&f, 0, sizeof f);
	snprintf(f.title, sizeof f.title, _("Delete backup %s"), r->e->id);
	snprintf(f.text[0], sizeof f.text[0], _("This removes the backup's files (%s). It cannot be undone."),
	    catalog_where(r->e));
	if (r->best->pinned)
		snprintf(f.text[1], sizeof f.text[1], "%s",
		    _("The backup is pinned: unpin it first (p) if it really has to go."));
	f.fields[0].label = _("Copies");
	f.fields[0].choices[0] = _("local");
	f.fields[0].choices[1] = "S3";
	f.fields[0].choices[2] = _("both");
	f.fields[0].nchoices = 3;
	f.fields[0].value = r->e->local.present && r->e->s3.present ? 2 : r->e->s3.present ? 1 : 0;
	f.nfields = 1;
	f.danger = true;
	f.action.kind = ACT_DELETE;
	snprintf(f.action.id, sizeof f.action.id, "%s", r->e->id);
	tui_open_form(t, &f);
	return SCR_HANDLED;
}

static int
main_req_pin(struct tui *t, struct main_state *st)
{
	struct tui_row *r = need_selection(t, st);
	struct tui_action a = { .kind = ACT_PIN };

	if (r == NULL)
		return SCR_HANDLED;
	snprintf(a.id, sizeof a.id, "%s", r->e->id);
	a.v[0] = !r->best->pinned;
	a.v[1] = (r->e->local.present ? 1 : 0) | (r->e->s3.present ? 2 : 0);
	tui_act(t, &a);
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
	struct tui_action a = { .kind = ACT_CANCEL_JOB };
	struct form_spec f;

	if (j == NULL || j->finished) {
		tui_message(t, COL_WARN, "%s", _("no running job is selected (Tab to the jobs pane)"));
		return SCR_HANDLED;
	}
	a.job = j->id;
	if (j->type != &job_restore_type) {
		tui_act(t, &a);
		return SCR_HANDLED | SCR_REDRAW;
	}
	memset(&f, 0, sizeof f);
	snprintf(f.title, sizeof f.title, "%s", _("Cancel the restore?"));
	snprintf(f.text[0], sizeof f.text[0], "%s",
	    _("A restore stopped half-way is rolled back to the safety backup."));
	f.danger = true;
	f.action = a;
	tui_open_form(t, &f);
	return SCR_HANDLED;
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
			main_select(t, st, absolute ? delta : (long)st->sel + delta);
		break;
	case FOCUS_DETAIL:
		st->detail_scroll = absolute ? (delta < 0 ? 0 : 1000) : st->detail_scroll + (int)delta;
		break;
	case FOCUS_JOBS: {
		struct tui_job *v[64];
		long n = (long)visible_jobs(t, v, 64), s = absolute ? delta : (long)st->job_sel + delta;

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
		return list_rows(t) > 1 ? list_rows(t) - 1 : 1;
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
	size_t n = model_jobs_running(&t->m, true);
	struct form_spec f;
	bool restoring = false;

	(void)st;
	if (n == 0)
		return SCR_HANDLED | SCR_QUIT;
	for (size_t i = 0; i < t->m.njobs; i++)
		if (!t->m.jobs[i].finished && t->m.jobs[i].type == &job_restore_type)
			restoring = true;
	memset(&f, 0, sizeof f);
	snprintf(f.title, sizeof f.title, "%s", _("Quit vsbackup?"));
	snprintf(f.text[0], sizeof f.text[0],
	    ngettext("%zu job is still running: quitting cancels it (what it wrote is removed).",
	        "%zu jobs are still running: quitting cancels them (what they wrote is removed).", n),
	    n);
	if (restoring)
		snprintf(f.text[1], sizeof f.text[1], "%s",
		    _("A restore is running: it will be rolled back to the safety backup."));
	f.danger = true;
	f.action.kind = ACT_QUIT;
	tui_open_form(t, &f);
	return SCR_HANDLED;
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

static void
main_want_history(struct tui *t, struct main_state *st)
{
	struct tui_row *r = main_selected(t, st);
	struct tui_history_args *a;
	char key[sizeof st->hist_key];
	const char *loc;

	if (r == NULL || st->hist_job != 0 || tui_clock() - st->sel_changed < 0.25)
		return;
	loc = r->e->local.present ? "local" : "s3";
	snprintf(key, sizeof key, "%s/%s", r->e->id, loc);
	if (strcmp(key, st->hist_key) == 0)
		return;
	if (!r->best->complete)
		return;
	snprintf(st->hist_key, sizeof st->hist_key, "%s", key);
	a = xcalloc(1, sizeof *a);
	snprintf(a->id, sizeof a->id, "%s", r->e->id);
	snprintf(a->location, sizeof a->location, "%s", loc);
	memset(&st->hist, 0, sizeof st->hist);
	st->hist_job = tui_submit(t, &tui_history_type, a, false, "history", NULL);
}

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

/* --- drawing: header --- */

static int
seg(int y, int x, int end, attr_t a, const char *s)
{
	if (x >= end)
		return x;
	return x + draw_text(y, x, end - x, a, s);
}

static const char *
spinner(const struct tui *t)
{
	const struct tui_glyphs *g = theme_glyphs();

	return g->spinner[t->tick % (unsigned)g->nspinner];
}

static void
draw_header(struct tui *t)
{
	const struct tui_rect *R = &t->lay.header;
	const struct tui_glyphs *g = theme_glyphs();
	const struct tui_status *s = t->m.status;
	const struct config *cfg = t->cfg;
	int end = R->x + R->w, x;
	char buf[256], num[32];
	size_t running = model_jobs_running(&t->m, true);

	/* Row 0: title */
	draw_fill(R->y, R->x, R->w, theme_attr(COL_TITLE), " ");
	x = seg(R->y, R->x + 1, end, theme_attr(COL_TITLE), "vsbackup");
	snprintf(buf, sizeof buf, "  %s", cfg->path ? cfg->path : "");
	x = seg(R->y, x, end - 24, theme_attr(COL_TITLE), buf);
	if (running > 0)
		snprintf(buf, sizeof buf, ngettext("%zu job running", "%zu jobs running", running), running);
	else
		snprintf(buf, sizeof buf, "%s", _("? help"));
	draw_text_right(R->y, end - 22, 21, theme_attr(COL_TITLE), buf);

	/* Row 1: Redis */
	x = seg(R->y + 1, R->x + 1, end, theme_attr(COL_HEADING), "Redis ");
	if (s == NULL) {
		snprintf(buf, sizeof buf, "%s %s", spinner(t), _("connecting…"));
		seg(R->y + 1, x, end, theme_attr(COL_DIM), buf);
	} else if (!s->redis_ok) {
		snprintf(buf, sizeof buf, "%s %s", g->cross, s->redis_error);
		seg(R->y + 1, x, end, theme_attr(COL_BAD), buf);
	} else {
		snprintf(buf, sizeof buf, "%s %s", g->tick, s->redis_version);
		x = seg(R->y + 1, x, end, theme_attr(COL_OK), buf);
		if (s->loading) {
			x = seg(R->y + 1, x, end, theme_attr(COL_WARN), _("  loading"));
		} else if (s->counts_ok) {
			for (size_t i = 0; i < s->ncounts && i < cfg->redis.nprefixes; i++) {
				snprintf(buf, sizeof buf, "  %s %llu", cfg->redis.prefixes[i],
				    (unsigned long long)s->counts[i]);
				x = seg(R->y + 1, x, end, A_NORMAL, buf);
			}
		}
		x = seg(R->y + 1, x, end, A_NORMAL, "  BGSAVE ");
		if (s->bgsave_in_progress)
			x = seg(R->y + 1, x, end, theme_attr(COL_WARN), _("running"));
		else if (strcmp(s->last_bgsave, "ok") == 0)
			x = seg(R->y + 1, x, end, theme_attr(COL_OK), _("ok"));
		else
			x = seg(R->y + 1, x, end, theme_attr(COL_BAD), s->last_bgsave[0] ?
			    s->last_bgsave : "?");
		if (t->m.status_loading)
			seg(R->y + 1, x + 1, end, theme_attr(COL_DIM), spinner(t));
	}

	/* Row 2: S3, RPO, disk */
	x = seg(R->y + 2, R->x + 1, end, theme_attr(COL_HEADING), "S3 ");
	if (cfg->s3.bucket == NULL || cfg->s3.bucket[0] == '\0') {
		x = seg(R->y + 2, x, end, theme_attr(COL_DIM), _("not configured"));
	} else if (t->m.cat == NULL) {
		snprintf(buf, sizeof buf, "%s %s", spinner(t), cfg->s3.bucket);
		x = seg(R->y + 2, x, end, theme_attr(COL_DIM), buf);
	} else if (t->m.cat->s3_error != NULL) {
		snprintf(buf, sizeof buf, "%s %s: %s", g->cross, cfg->s3.bucket, _("unreachable"));
		x = seg(R->y + 2, x, end, theme_attr(COL_BAD), buf);
	} else {
		snprintf(buf, sizeof buf, "%s %s", g->tick, cfg->s3.bucket);
		x = seg(R->y + 2, x, end, theme_attr(COL_OK), buf);
	}
	x = seg(R->y + 2, x, end, theme_attr(COL_PANE), "  ");
	x = seg(R->y + 2, x, end, theme_attr(COL_HEADING), _("Newest "));
	if (!t->m.cat_loaded) {
		x = seg(R->y + 2, x, end, theme_attr(COL_DIM), spinner(t));
	} else {
		const struct tui_row *n = model_newest_complete(&t->m);
		long long rpo = (long long)cfg->monitoring.rpo_hours * 3600;

		if (n == NULL) {
			x = seg(R->y + 2, x, end, theme_attr(COL_BAD), _("no complete backup"));
		} else {
			long long age = (long long)(time_now() - n->created);
			char hrpo[32];

			time_format_age(age < 0 ? 0 : age, num, sizeof num);
			snprintf(hrpo, sizeof hrpo, "%dh", cfg->monitoring.rpo_hours);
			snprintf(buf, sizeof buf, _("%s ago (RPO %s)"), num, hrpo);
			x = seg(R->y + 2, x, end, theme_attr(age > 2 * rpo ? COL_BAD : age > rpo ?
			    COL_WARN : COL_OK), buf);
		}
	}
	x = seg(R->y + 2, x, end, A_NORMAL, "  ");
	x = seg(R->y + 2, x, end, theme_attr(COL_HEADING), _("Free "));
	if (s == NULL) {
		seg(R->y + 2, x, end, theme_attr(COL_DIM), spinner(t));
	} else if (!s->disk_ok) {
		seg(R->y + 2, x, end, theme_attr(COL_BAD), s->disk_error);
	} else {
		format_bytes(s->disk_free, num, sizeof num);
		snprintf(buf, sizeof buf, _("%s in %s"), num, cfg->backup_dir);
		seg(R->y + 2, x, end, A_NORMAL, buf);
	}
}

/* --- drawing: list --- */

enum col_id { C_ID, C_TYPE, C_CREATED, C_AGE, C_SIZE, C_WHERE, C_VERIFIED, C_RETENTION, C__N };

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
	[C_WHERE] = { N_("WHERE"), 5, false, 5 },
	[C_VERIFIED] = { N_("VERIFIED"), 8, false, 4 },
	[C_RETENTION] = { N_("RETENTION"), 16, false, 3 },
};

/* Column positions for width w: x[c] < 0 when the column is dropped. */
static void
list_columns(int w, int *xs, int *ws)
{
	bool on[C__N];
	int need, x;

	for (int c = 0; c < C__N; c++)
		on[c] = true;
	for (;;) {
		int lowest = -1;

		need = 1;
		for (int c = 0; c < C__N; c++)
			if (on[c])
				need += list_cols[c].width + 1;
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
		ws[c] = list_cols[c].width;
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

static void
draw_list(struct tui *t, struct main_state *st)
{
	const struct tui_rect *R = &t->lay.list;
	const struct tui_glyphs *g = theme_glyphs();
	bool focus = t->focus == FOCUS_LIST;
	int xs[C__N], ws[C__N], rows = list_rows(t);
	time_t now = time_now();
	char title[256], extra[128] = "";

	if (t->m.filter[0] || st->filtering)
		snprintf(extra, sizeof extra, _(" · filter \"%s\""), st->filtering ? st->filter_buf :
		    t->m.filter);
	else if (!t->lay.detail_shown && t->m.nview > 0)
		snprintf(extra, sizeof extra, "%s", _(" · Enter: detail"));
	if (t->m.nview > 0)
		snprintf(title, sizeof title, _("Backups %zu-%zu of %zu · sort: %s %s%s"), st->top + 1,
		    st->top + (size_t)rows < t->m.nview ? st->top + (size_t)rows : t->m.nview,
		    t->m.nview, sort_name(t->m.sort), t->m.sort_reverse ? g->up : g->down, extra);
	else
		snprintf(title, sizeof title, _("Backups · sort: %s %s%s"), sort_name(t->m.sort),
		    t->m.sort_reverse ? g->up : g->down, extra);
	draw_rule(R->y, R->x, R->w, title, focus);
	list_columns(R->w, xs, ws);
	for (int c = 0; c < C__N; c++)
		draw_cell(R->y + 1, R->x, xs, ws, c, theme_attr(COL_HEADING), _(list_cols[c].title));

	if (t->m.nview == 0) {
		char msg[256];
		attr_t a = theme_attr(COL_DIM);

		if (!t->m.cat_loaded && t->m.cat_error == NULL)
			snprintf(msg, sizeof msg, "%s %s", spinner(t), _("reading the backups…"));
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
	if (st->top + (size_t)rows > t->m.nview && t->m.nview >= (size_t)rows)
		st->top = t->m.nview - (size_t)rows;
	/* Only the visible rows are formatted and drawn. */
	for (int i = 0; i < rows && st->top + (size_t)i < t->m.nview; i++) {
		size_t vi = st->top + (size_t)i;
		struct tui_row *r = model_view_row(&t->m, vi);
		int y = R->y + 2 + i;
		bool sel = vi == st->sel;
		attr_t base = sel ? theme_attr(focus ? COL_SELECTED : COL_SELECTED_DIM) : A_NORMAL;
		char buf[64];

		if (sel)
			draw_fill(y, R->x, R->w, base, " ");
		draw_cell(y, R->x, xs, ws, C_ID, base | (r->best->partial ? theme_attr(COL_DIM) : 0),
		    r->e->id);
		draw_cell(y, R->x, xs, ws, C_TYPE, base, r->type_known ? backup_type_name(r->type) : "?");
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
		draw_cell(y, R->x, xs, ws, C_WHERE, base, catalog_where(r->e));
		if (r->vstate == VERIFY_NONE)
			draw_cell(y, R->x, xs, ws, C_VERIFIED, base | theme_attr(COL_DIM), "-");
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

/* --- drawing: detail --- */

static void
dl_add(struct dline *d, int *n, attr_t a, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
dl_add(struct dline *d, int *n, attr_t a, const char *fmt, ...)
{
	va_list ap;

	if (*n >= DETAIL_MAX)
		return;
	d[*n].attr = a;
	va_start(ap, fmt);
	vsnprintf(d[*n].text, sizeof d[*n].text, fmt, ap);
	va_end(ap);
	(*n)++;
}

static void
detail_copy(struct dline *d, int *n, const char *name, const struct catalog_copy *c)
{
	char size[32], when[32];
	const char *state;

	if (!c->present)
		return;
	format_bytes(c->bytes, size, sizeof size);
	state = c->partial ? _("incomplete (interrupted backup)") : !c->complete ?
	    _("no metadata.json") : !c->has_manifest ? _("metadata unreadable") : _("complete");
	dl_add(d, n, c->partial || !c->has_manifest ? theme_attr(COL_BAD) : A_NORMAL,
	    "  %-6s %s, %s%s", name, state, size, c->pinned ? _(", pinned") : "");
	if (c->manifest_error != NULL)
		dl_add(d, n, theme_attr(COL_BAD), "         %s", c->manifest_error);
	if (c->has_verify) {
		fmt_local_time_short(c->verify.at, when, sizeof when);
		dl_add(d, n, theme_attr(c->verify.ok ? COL_OK : COL_BAD), _("         last verified %s: %s (%s)%s%s"),
		    when, c->verify.ok ? _("ok") : _("FAILED"), c->verify.deep ? _("deep") : _("quick"),
		    c->verify.summary[0] ? ": " : "", c->verify.summary);
	} else {
		dl_add(d, n, theme_attr(COL_DIM), "%s", _("         never verified"));
	}
}

static int
detail_build(struct tui *t, struct main_state *st, struct tui_row *r, struct dline *d)
{
	const struct catalog_copy *c = r->best;
	const struct manifest *m = &c->m;
	char a[64], b[64], text[RETENTION_DESCRIBE_SIZE];
	int n = 0;

	dl_add(d, &n, theme_attr(COL_HEADING), _("Backup %s  (%s)"), r->e->id, catalog_where(r->e));
	if (c->has_manifest) {
		char iso[ISO8601_SIZE];

		format_local_time(m->created_at, a, sizeof a);
		time_format_iso(m->created_at, iso);
		dl_add(d, &n, A_NORMAL, _("  type         %s"), backup_type_name(m->type));
		dl_add(d, &n, A_NORMAL, _("  created      %s  (%s)"), a, iso);
		format_local_time(m->completed_at, a, sizeof a);
		dl_add(d, &n, A_NORMAL, _("  completed    %s"), a);
		dl_add(d, &n, A_NORMAL, _("  format       %d, written by %s"), m->format_version,
		    m->tool_version ? m->tool_version : "?");
		dl_add(d, &n, A_NORMAL, _("  consistency  %s"), m->consistency ? m->consistency : "?");
		format_bytes(manifest_total_size(m), a, sizeof a);
		dl_add(d, &n, A_NORMAL, _("  size         %s"), a);
		dl_add(d, &n, theme_attr(COL_HEADING), "%s", _("Redis"));
		dl_add(d, &n, A_NORMAL, _("  version %s, RDB %d, db %d, %llu keys, source %s"),
		    m->redis.redis_version ? m->redis.redis_version : "?", m->redis.rdb_version,
		    m->redis.db, (unsigned long long)m->redis.dbsize,
		    m->redis.source ? m->redis.source : "?");
		if ((m->redis.data_dir && m->redis.data_dir[0]) ||
		    (m->redis.dbfilename && m->redis.dbfilename[0]))
			dl_add(d, &n, A_NORMAL, _("  data dir %s, file %s"),
			    m->redis.data_dir && m->redis.data_dir[0] ? m->redis.data_dir : "?",
			    m->redis.dbfilename && m->redis.dbfilename[0] ? m->redis.dbfilename : "?");
		for (size_t i = 0; i < m->redis.ncounts; i++)
			dl_add(d, &n, A_NORMAL, _("  %-20s %llu keys"), m->redis.counts[i].prefix,
			    (unsigned long long)m->redis.counts[i].count);
		dl_add(d, &n, theme_attr(COL_HEADING), "%s", _("Indexes"));
		{
			const struct manifest_index *ix[2] = { &m->content, &m->user };
			const char *nm[2] = { N_("content"), N_("user") };

			for (int k = 0; k < 2; k++) {
				if (ix[k]->unreadable)
					dl_add(d, &n, theme_attr(COL_WARN), _("  %-8s unreadable: %s"), _(nm[k]),
					    ix[k]->file.note ? ix[k]->file.note : "");
				else
					dl_add(d, &n, A_NORMAL, _("  %-8s ntotal %lld, dimension %d, %s"),
					    _(nm[k]), (long long)ix[k]->ntotal, ix[k]->dim, ix[k]->kind);
			}
		}
		dl_add(d, &n, theme_attr(COL_HEADING), "%s", _("Files"));
		{
			const struct manifest_file *f[3] = { &m->redis.file, &m->content.file, &m->user.file };

			for (int k = 0; k < 3; k++) {
				if (!f[k]->present) {
					dl_add(d, &n, theme_attr(COL_WARN), _("  %-20s missing: %s"), f[k]->name,
					    f[k]->note ? f[k]->note : "");
					continue;
				}
				format_bytes(f[k]->size, a, sizeof a);
				dl_add(d, &n, A_NORMAL, "  %-20s %10s", f[k]->name, a);
				dl_add(d, &n, theme_attr(COL_DIM), "    sha256 %s", f[k]->sha256);
			}
		}
	} else {
		dl_add(d, &n, theme_attr(COL_BAD), "%s", c->partial ?
		    _("  incomplete: left by an interrupted backup") :
		    _("  metadata.json is missing or unreadable: verify or delete this backup"));
	}
	dl_add(d, &n, theme_attr(COL_HEADING), "%s", _("Copies"));
	detail_copy(d, &n, _("local"), &r->e->local);
	detail_copy(d, &n, "S3", &r->e->s3);
	if (r->e->disagree)
		dl_add(d, &n, theme_attr(COL_BAD), "%s", _("  the local and S3 metadata differ"));
	dl_add(d, &n, theme_attr(COL_HEADING), "%s", _("Verification history"));
	if (st->hist_job != 0 || strncmp(st->hist_key, r->e->id, strlen(r->e->id)) != 0) {
		dl_add(d, &n, theme_attr(COL_DIM), "  %s", spinner(t));
	} else if (st->hist.n == 0) {
		dl_add(d, &n, theme_attr(COL_DIM), "%s", _("  no verification recorded"));
	} else {
		dl_add(d, &n, A_NORMAL, _("  %d runs (%s): %d passed, %d failed, %d deep"), st->hist.n,
		    st->hist.location, st->hist.nok, st->hist.nfailed, st->hist.ndeep);
		if (st->hist.last_ok) {
			fmt_local_time_short(st->hist.last_ok, a, sizeof a);
			dl_add(d, &n, theme_attr(COL_OK), _("  last passed %s"), a);
		}
		if (st->hist.last_failed) {
			fmt_local_time_short(st->hist.last_failed, b, sizeof b);
			dl_add(d, &n, theme_attr(COL_BAD), _("  last failed %s: %s"), b,
			    st->hist.last_failure);
		}
	}
	dl_add(d, &n, theme_attr(COL_HEADING), "%s", _("Retention"));
	retention_describe(&r->item, &r->ret, r->policy, t->m.evaluated_at, text, sizeof text);
	dl_add(d, &n, theme_attr((enum tui_color)r->ret_color), "  %s (%s)", text,
	    r->policy == &t->cfg->retention_s3 ? _("S3 policy") : _("local policy"));
	return n;
}

static void
draw_detail(struct tui *t, struct main_state *st)
{
	const struct tui_rect *R = &t->lay.detail;
	struct tui_row *r = main_selected(t, st);
	bool focus = t->focus == FOCUS_DETAIL || t->detail_zoom;
	static struct dline d[DETAIL_MAX];
	int n, x = R->x + (t->lay.detail_beside ? 1 : 0), w = R->w - (t->lay.detail_beside ? 1 : 0);

	if (t->lay.detail_beside)
		for (int y = R->y; y < R->y + R->h; y++)
			draw_text(y, R->x, 1, theme_attr(focus ? COL_PANE_FOCUS : COL_PANE),
			    theme_glyphs()->vline);
	draw_rule(R->y, x, w, t->detail_zoom ? _("Detail (Enter or Esc: back to the list)") :
	    _("Detail"), focus);
	if (r == NULL) {
		draw_text(R->y + 1, x + 1, w - 2, theme_attr(COL_DIM), _("no backup selected"));
		return;
	}
	n = detail_build(t, st, r, d);
	if (st->detail_scroll > n - (R->h - 1))
		st->detail_scroll = n - (R->h - 1) > 0 ? n - (R->h - 1) : 0;
	for (int i = 0; i < R->h - 1 && st->detail_scroll + i < n; i++)
		draw_text(R->y + 1 + i, x + 1, w - 2, d[st->detail_scroll + i].attr,
		    d[st->detail_scroll + i].text);
}

/* --- drawing: jobs --- */

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
		mark = j->running ? spinner(t) : g->pending;
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
	cx = seg(y, cx, x + w, sel ? theme_attr(focus ? COL_SELECTED : COL_SELECTED_DIM) : ta, mark);
	cx = seg(y, cx + 1, x + w - 12, sel ? theme_attr(focus ? COL_SELECTED : COL_SELECTED_DIM) :
	    theme_attr(COL_HEADING), j->title);
	if (!j->finished) {
		if (!j->running)
			snprintf(buf, sizeof buf, "  %s", _("queued"));
		else if (j->nsteps > 0)
			snprintf(buf, sizeof buf, _("  step %d/%d: %s"), j->step, j->nsteps, j->phase);
		else
			snprintf(buf, sizeof buf, "  %s", j->phase);
		seg(y, cx, x + w - 12, sel ? theme_attr(focus ? COL_SELECTED : COL_SELECTED_DIM) :
		    theme_attr(COL_DIM), buf);
		if (sel)
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

static void
draw_jobs(struct tui *t, struct main_state *st)
{
	const struct tui_rect *R = &t->lay.jobs;
	struct tui_job *v[64];
	size_t n = visible_jobs(t, v, 64), first = 0, shown = (size_t)t->lay.job_rows;
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
	if (n > shown)
		first = st->job_sel + 1 > shown ? st->job_sel + 1 - shown : 0;
	snprintf(title, sizeof title, _("Jobs (%zu running, %zu in all; x cancels, D clears finished)"),
	    model_jobs_running(&t->m, true), n);
	draw_rule(R->y, R->x, R->w, title, t->focus == FOCUS_JOBS);
	for (size_t i = 0; i < shown && first + i < n; i++)
		draw_job(t, v[first + i], R->y + 1 + 2 * (int)i, R->x, R->w, first + i == st->job_sel);
}

/* --- drawing: log and bar --- */

static void
draw_log(struct tui *t, struct main_state *st)
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

static int
bar_item_width(const struct tui_keyhelp *k)
{
	char key[16];

	snprintf(key, sizeof key, "%.*s", (int)strcspn(k->keyname, " "), k->keyname);
	return draw_width(key) + 1 + draw_width(_(k->bar)) + 2;
}

static void
draw_bar_line(struct tui *t, struct main_state *st)
{
	const struct tui_rect *R = &t->lay.bar;
	int x = R->x, end = R->x + R->w;

	draw_fill(R->y, R->x, R->w, A_NORMAL, " ");
	if (st->filtering) {
		x = seg(R->y, x, end, theme_attr(COL_HEADING), _("Filter: "));
		x = seg(R->y, x, end, theme_attr(COL_INPUT), st->filter_buf);
		x = seg(R->y, x, end, theme_attr(COL_SELECTED), " ");
		seg(R->y, x + 2, end, theme_attr(COL_DIM), _("Enter keeps it, Esc clears it"));
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
			x = seg(R->y, x, end, theme_attr(COL_KEY), key);
			x = seg(R->y, x, end, theme_attr(COL_KEY_LABEL), " ");
			x = seg(R->y, x, end, theme_attr(COL_KEY_LABEL), _(k->bar));
			x = seg(R->y, x, end, A_NORMAL, "  ");
		}
	}
}

static void
main_draw(struct tui *t, struct screen *s)
{
	struct main_state *st = s->data;

	main_reselect(t, st);
	draw_header(t);
	if (t->detail_zoom && !t->lay.detail_shown)
		draw_detail(t, st);
	else
		draw_list(t, st);
	if (t->lay.detail_shown)
		draw_detail(t, st);
	draw_jobs(t, st);
	draw_log(t, st);
	draw_bar_line(t, st);
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
