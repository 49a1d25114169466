/*
 * The guided restore, for the worst day: choose the backup (the ordinary
 * ones first, then the pre-restore safety backups) and where to take it
 * from; pre-flight checks (a quick verify job for the checksums, the
 * preflight job for disk space, Redis, the start command and the lock,
 * and the plan job, which reads the live state), each failure in red and
 * blocking; the plan: each part live beside the backup, what is lost, the
 * RTO from the verification's measured throughput and the steps, the same
 * lines 'vsbackup restore --plan' prints; a backup lacking a part asks on
 * its own before anything else; confirmation by typing the backup id; then
 * the restore job's steps as a checklist numbered as the job and its
 * journal number them. x cancels the running restore (it rolls back).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "jobs/plan.h"
#include "jobs/restore.h"
#include "storage/storage.h"
#include "ui/list.h"
#include "ui/tui.h"

enum rs_stage { RS_CHOOSE, RS_CHECKS, RS_PLAN, RS_MISSING, RS_CONFIRM, RS_RUNNING, RS_DONE };

#define RS_MAX_CANDIDATES 4096
#define RS_LOG_LINES 6

struct restore_state {
	enum rs_stage stage;
	/* choose */
	char (*cand)[BACKUP_ID_SIZE];
	struct tui_list choose;
	size_t from;                 /* the location restored from (cfg->locations) */
	bool undo;                   /* undoing the last restore */
	char id[BACKUP_ID_SIZE];
	/* checks */
	unsigned verify_job, preflight_job, plan_job;
	bool verify_done, verify_ok;
	char verify_detail[VS_ERROR_MSG_MAX];
	double verify_started, verify_seconds;
	bool preflight_done;
	struct preflight pre;
	char preflight_error[VS_ERROR_MSG_MAX];
	struct restore_plan *plan;
	char plan_error[VS_ERROR_MSG_MAX];
	/* plan */
	struct tui_list view;
	struct tui_lines lines;
	int lines_width;
	/* confirm */
	char typed[64];
	bool refused;
	char refused_text[64];
	/* running */
	unsigned restore_job;
	int step;
	char phase[128];
	uint64_t done, total;
	double step_started[RESTORE_NSTEPS + 1], step_ended[RESTORE_NSTEPS + 1];
	double started, ended;
	int status;
	bool cancelling;
	char error[VS_ERROR_MSG_MAX];
	struct job_restore_result res;
	char log[RS_LOG_LINES][256];
	int nlog;
};

static const struct tui_row *
rs_row(struct tui *t, const char *id)
{
	return model_find_row(&t->m, id);
}

/* Fill the candidates: backups with a usable copy, newest first, the
 * ordinary ones before the pre-restore safety backups. */
static void
rs_candidates(struct tui *t, struct restore_state *st, const char *want)
{
	size_t n = 0;

	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = t->m.nrows; i > 0 && n < RS_MAX_CANDIDATES; i--) {
			const struct tui_row *r = &t->m.rows[i - 1];

			if (catalog_usable(r->e) != NULL && r->safety == (pass == 1))
				snprintf(st->cand[n++], BACKUP_ID_SIZE, "%s", r->e->id);
		}
	}
	list_set_count(&st->choose, n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(st->cand[i], want) == 0)
			list_select(&st->choose, (long)i);
}

/* Why the copy in location l cannot be used, or NULL when it can. */
static const char *
rs_unusable(struct tui *t, const struct tui_row *r, size_t l)
{
	static char why[256];

	if (l >= t->cfg->nlocations || l >= r->e->nloc)
		return _("S3 is not configured (s3.bucket)");
	if (t->m.cat != NULL && l < t->m.cat->nloc && t->m.cat->locs[l].error != NULL)
		return t->m.cat->locs[l].error;
	if (!catalog_copy_usable(catalog_copy_at(r->e, l))) {
		if (l == 0)
			return _("there is no complete local copy");
		snprintf(why, sizeof why, _("there is no complete copy in %s"),
		    config_location_label(t->cfg, l));
		return why;
	}
	return NULL;
}

/* Choose the copy: the one asked for when usable, else the nearest
 * usable one (local first, then the order of the configuration). */
static void
rs_pick(struct tui *t, struct restore_state *st)
{
	const struct tui_row *r;

	if (st->choose.n == 0)
		return;
	snprintf(st->id, sizeof st->id, "%s", st->cand[st->choose.sel]);
	r = rs_row(t, st->id);
	if (r == NULL)
		return;
	if (rs_unusable(t, r, st->from) == NULL)
		return;
	for (size_t l = 0; l < t->cfg->nlocations; l++)
		if (rs_unusable(t, r, l) == NULL) {
			st->from = l;
			return;
		}
	st->from = 0;
}

static void
rs_cancel_checks(struct tui *t, struct restore_state *st)
{
	unsigned *jobs[] = { &st->verify_job, &st->preflight_job, &st->plan_job };

	for (size_t i = 0; i < sizeof jobs / sizeof jobs[0]; i++) {
		if (*jobs[i] != 0)
			engine_cancel(t->eng, *jobs[i]);
		*jobs[i] = 0;
	}
}

static void
rs_start_checks(struct tui *t, struct restore_state *st)
{
	const struct tui_row *r = rs_row(t, st->id);
	const struct catalog_copy *c;
	struct job_verify_args *v = xcalloc(1, sizeof *v);
	struct tui_preflight_args *p = xcalloc(1, sizeof *p);
	struct job_plan_args *pl = xcalloc(1, sizeof *pl);
	const char *from = t->cfg->locations[st->from].name;
	char title[96];

	st->stage = RS_CHECKS;
	st->verify_done = st->preflight_done = false;
	st->verify_detail[0] = st->preflight_error[0] = st->plan_error[0] = '\0';
	memset(&st->pre, 0, sizeof st->pre);
	restore_plan_free(st->plan);
	st->plan = NULL;
	snprintf(v->id, sizeof v->id, "%s", st->id);
	snprintf(v->location, sizeof v->location, "%s", from);
	snprintf(title, sizeof title, _("restore pre-flight: verify %s"), st->id);
	st->verify_started = tui_clock();
	st->verify_job = tui_submit(t, &job_verify_type, v, false, title, st->id);
	snprintf(p->id, sizeof p->id, "%s", st->id);
	snprintf(p->from, sizeof p->from, "%s", from);
	if (r != NULL && (c = catalog_copy_at(r->e, st->from))->has_manifest) {
		p->backup_bytes = manifest_total_size(&c->m);
		p->index_bytes = (c->m.content.file.present ? c->m.content.file.size : 0) +
		    (c->m.user.file.present ? c->m.user.file.size : 0);
	}
	st->preflight_job = tui_submit(t, &tui_preflight_type, p, false, "preflight", st->id);
	snprintf(pl->id, sizeof pl->id, "%s", st->id);
	snprintf(pl->from, sizeof pl->from, "%s", from);
	pl->safety_backup = true;
	st->plan_job = tui_submit(t, &job_plan_type, pl, false, "plan", st->id);
}

static bool
rs_checks_done(const struct restore_state *st)
{
	return st->verify_done && st->preflight_done && st->plan_job == 0;
}

static bool
rs_checks_pass(const struct restore_state *st)
{
	if (!rs_checks_done(st) || !st->verify_ok || st->preflight_error[0] || st->plan == NULL)
		return false;
	for (int i = 0; i < st->pre.n; i++)
		if (!st->pre.checks[i].ok)
			return false;
	return true;
}

static void
rs_start_restore(struct tui *t, struct restore_state *st)
{
	struct job_restore_args *a = xcalloc(1, sizeof *a);
	char title[96];

	snprintf(a->id, sizeof a->id, "%s", st->id);
	snprintf(a->from, sizeof a->from, "%s", t->cfg->locations[st->from].name);
	a->safety_backup = true;
	snprintf(title, sizeof title, _("restore %s from %s"), st->id,
	    config_location_label(t->cfg, st->from));
	st->stage = RS_RUNNING;
	st->started = tui_clock();
	st->step = 0;
	st->restore_job = tui_submit(t, &job_restore_type, a, true, title, st->id);
}

/* --- events --- */

static void
rs_verify_done(struct tui *t, struct restore_state *st, struct engine_event *e, double now)
{
	st->verify_done = true;
	st->verify_job = 0;
	st->verify_seconds = now - st->verify_started;
	if (e->status != 0) {
		st->verify_ok = false;
		snprintf(st->verify_detail, sizeof st->verify_detail, "%s", e->err.msg);
	} else {
		const struct verify_report *r = e->result;
		size_t failed = 0;

		st->verify_ok = r->ok;
		for (size_t i = 0; i < r->n; i++)
			if (!r->checks[i].ok && failed++ == 0)
				snprintf(st->verify_detail, sizeof st->verify_detail, "%s: %s",
				    r->checks[i].what, r->checks[i].detail ? r->checks[i].detail : "");
		if (r->ok)
			snprintf(st->verify_detail, sizeof st->verify_detail,
			    _("%zu checks passed (sizes and SHA-256 of every file)"), r->n);
	}
	/* The verification was recorded: the list shows it. */
	tui_refresh_catalog(t);
}

static void
rs_restore_event(struct restore_state *st, struct engine_event *e, double now)
{
	switch (e->type) {
	case ENGINE_EV_PROGRESS:
		if (e->step > 0 && e->step <= RESTORE_NSTEPS && e->step != st->step) {
			if (st->step > 0)
				st->step_ended[st->step] = now;
			st->step = e->step;
			st->step_started[st->step] = now;
		}
		snprintf(st->phase, sizeof st->phase, "%s", e->phase);
		st->done = e->done;
		st->total = e->total;
		break;
	case ENGINE_EV_LOG:
		if (st->nlog == RS_LOG_LINES) {
			memmove(st->log[0], st->log[1], sizeof st->log[0] * (RS_LOG_LINES - 1));
			st->nlog--;
		}
		snprintf(st->log[st->nlog++], sizeof st->log[0], "%s", e->text);
		break;
	case ENGINE_EV_DONE:
		if (st->step > 0)
			st->step_ended[st->step] = now;
		st->ended = now;
		st->stage = RS_DONE;
		st->status = e->status;
		if (e->status != 0) {
			snprintf(st->error, sizeof st->error, "%s", e->err.msg);
		} else if (e->result != NULL) {
			const struct job_restore_result *r = e->result;

			st->res = *r;
			st->res.target_dir = NULL;
		}
		st->restore_job = 0;
		break;
	}
}

static void
rs_job_event(struct tui *t, struct restore_state *st, struct engine_event *e)
{
	double now = tui_clock();

	if (e->job == st->verify_job && e->type == ENGINE_EV_DONE) {
		rs_verify_done(t, st, e, now);
	} else if (e->job == st->preflight_job && e->type == ENGINE_EV_DONE) {
		st->preflight_done = true;
		st->preflight_job = 0;
		if (e->status == 0)
			st->pre = *(const struct preflight *)e->result;
		else
			snprintf(st->preflight_error, sizeof st->preflight_error, "%s", e->err.msg);
	} else if (e->job == st->plan_job && e->type == ENGINE_EV_DONE) {
		st->plan_job = 0;
		if (e->status == 0) {
			st->plan = e->result;
			e->result = NULL;
		} else {
			snprintf(st->plan_error, sizeof st->plan_error, "%s", e->err.msg);
		}
		st->lines_width = 0;
	} else if (e->job == st->restore_job && st->restore_job != 0) {
		rs_restore_event(st, e, now);
	}
}

static bool
rs_key_is(const struct tui_event *ev, int key)
{
	return !ev->fkey && ev->key == key;
}

static void
rs_to_confirm(struct restore_state *st)
{
	st->stage = RS_CONFIRM;
	st->typed[0] = '\0';
	st->refused = false;
}

static unsigned
rs_missing(const struct restore_state *st)
{
	return st->plan != NULL ? st->plan->missing : 0;
}

static int
rs_key_choose(struct tui *t, struct restore_state *st, const struct tui_event *ev, bool enter,
    bool esc)
{
	if (esc || rs_key_is(ev, 'q'))
		return SCR_HANDLED | SCR_CLOSE;
	if ((ev->fkey && (ev->key == KEY_LEFT || ev->key == KEY_RIGHT)) || rs_key_is(ev, 's') ||
	    rs_key_is(ev, 'l')) {
		const struct tui_row *r = st->choose.n ? rs_row(t, st->cand[st->choose.sel]) : NULL;
		size_t n = t->cfg->nlocations, want = st->from;
		const char *why = NULL;

		/* l: local; s: the nearest other location; Left/Right: the
		 * previous or next location holding the backup. */
		if (rs_key_is(ev, 'l')) {
			want = 0;
		} else if (rs_key_is(ev, 's')) {
			want = 1;
			for (size_t l = 1; r != NULL && l < n; l++)
				if (rs_unusable(t, r, l) == NULL) {
					want = l;
					break;
				}
		} else if (r != NULL) {
			for (size_t k = 1; k < n; k++) {
				size_t l = ev->key == KEY_RIGHT ? (st->from + k) % n :
				    (st->from + n - k) % n;

				if (rs_unusable(t, r, l) == NULL) {
					want = l;
					break;
				}
			}
			if (want == st->from && n < 2)
				want = 1;
		}
		why = r != NULL ? rs_unusable(t, r, want) : NULL;
		/* Never stay on local without a word when another copy was asked for. */
		if (want != 0 && why != NULL)
			tui_message(t, COL_WARN, _("the %s copy cannot be used: %s"), want < n ?
			    config_location_label(t->cfg, want) : "S3", why);
		if (want < n)
			st->from = want;
	} else if (enter && st->choose.n > 0) {
		rs_pick(t, st);
		rs_start_checks(t, st);
		return SCR_HANDLED | SCR_REDRAW;
	} else {
		list_key(&st->choose, ev);
	}
	rs_pick(t, st);
	return SCR_HANDLED | SCR_REDRAW;
}

static int
rs_key_confirm(struct tui *t, struct restore_state *st, const struct tui_event *ev, bool enter,
    bool esc)
{
	size_t len = strlen(st->typed);

	if (esc) {
		st->stage = rs_missing(st) ? RS_MISSING : RS_PLAN;
	} else if (enter) {
		if (strcmp(st->typed, st->id) == 0) {
			rs_start_restore(t, st);
			return SCR_HANDLED | SCR_REDRAW | SCR_RESIZE;
		}
		st->refused = true;
		snprintf(st->refused_text, sizeof st->refused_text, "%s", st->typed);
		st->typed[0] = '\0';
		model_log(&t->m, VS_LOG_WARN, _("restore of %s not started: the id typed (%s) "
		    "does not match"), st->id, st->refused_text);
	} else if ((ev->fkey && ev->key == KEY_BACKSPACE) || rs_key_is(ev, 127) ||
	    rs_key_is(ev, 8)) {
		if (len > 0)
			st->typed[len - 1] = '\0';
	} else if (rs_key_is(ev, 21)) {
		st->typed[0] = '\0';
	} else if (!ev->fkey && ev->key < 128 && iswprint((wint_t)ev->key) &&
	    len + 1 < sizeof st->typed) {
		st->typed[len] = (char)ev->key;
		st->typed[len + 1] = '\0';
	}
	return SCR_HANDLED | SCR_REDRAW;
}

static int
rs_key(struct tui *t, struct restore_state *st, const struct tui_event *ev)
{
	bool enter = rs_key_is(ev, '\n') || rs_key_is(ev, '\r') || (ev->fkey && ev->key == KEY_ENTER);
	bool esc = rs_key_is(ev, 27);

	switch (st->stage) {
	case RS_CHOOSE:
		return rs_key_choose(t, st, ev, enter, esc);
	case RS_CHECKS:
		if (esc) {
			rs_cancel_checks(t, st);
			st->stage = RS_CHOOSE;
		} else if (rs_key_is(ev, 'R') && rs_checks_done(st)) {
			rs_start_checks(t, st);
		} else if (enter && rs_checks_pass(st)) {
			st->stage = RS_PLAN;
			st->view.top = 0;
		}
		break;
	case RS_PLAN:
		if (esc)
			st->stage = RS_CHECKS;
		else if (enter && rs_missing(st) != 0)
			st->stage = RS_MISSING;
		else if (enter)
			rs_to_confirm(st);
		else
			list_key(&st->view, ev);
		break;
	case RS_MISSING:
		/* Removing a live part is accepted on its own, with y only. */
		if (esc || rs_key_is(ev, 'n'))
			st->stage = RS_PLAN;
		else if (rs_key_is(ev, 'y') || rs_key_is(ev, 'Y'))
			rs_to_confirm(st);
		break;
	case RS_CONFIRM:
		return rs_key_confirm(t, st, ev, enter, esc);
	case RS_RUNNING:
		if (rs_key_is(ev, 'x')) {
			const struct tui_job *j = model_job_find(&t->m, st->restore_job);

			if (j != NULL)
				tui_ask_cancel(t, j);
			return SCR_HANDLED | SCR_REDRAW;
		}
		/* The restore runs on; its pane on the main screen follows it. */
		if (esc || rs_key_is(ev, 'q')) {
			tui_message(t, COL_WARN, "%s", _("the restore goes on; its pane on the main "
			    "screen follows it"));
			return SCR_HANDLED | SCR_CLOSE;
		}
		break;
	case RS_DONE:
		if (esc || enter || rs_key_is(ev, 'q'))
			return SCR_HANDLED | SCR_CLOSE;
		break;
	}
	return SCR_HANDLED | SCR_REDRAW;
}

static int
rs_event(struct tui *t, struct screen *s, const struct tui_event *ev)
{
	struct restore_state *st = s->data;

	switch (ev->type) {
	case TUI_EV_KEY:
		return rs_key(t, st, ev);
	case TUI_EV_JOB:
		rs_job_event(t, st, ev->job);
		return SCR_REDRAW;
	case TUI_EV_MODEL:
		if (st->stage == RS_CHOOSE) {
			char keep[BACKUP_ID_SIZE];

			snprintf(keep, sizeof keep, "%s", st->choose.n ? st->cand[st->choose.sel] : "");
			rs_candidates(t, st, keep);
			rs_pick(t, st);
		}
		return SCR_REDRAW;
	case TUI_EV_TICK:
		return 0;
	}
	return 0;
}

/* --- drawing --- */

static int
rs_title(struct tui *t, struct restore_state *st, const char *stage)
{
	const struct tui_rect *R = &t->lay.full;
	char buf[256];

	draw_fill(R->y, R->x, R->w, theme_attr(COL_TITLE), " ");
	if (st->undo)
		snprintf(buf, sizeof buf, _("Undo the last restore: restore its safety backup %s: %s"),
		    st->id, stage);
	else if (st->id[0])
		snprintf(buf, sizeof buf, _("Restore %s from %s: %s"), st->id,
		    config_location_label(t->cfg, st->from), stage);
	else
		snprintf(buf, sizeof buf, _("Restore: %s"), stage);
	draw_text(R->y, R->x + 1, R->w - 2, theme_attr(COL_TITLE), buf);
	return R->y + 2;
}

static void
rs_footer(struct tui *t, attr_t a, const char *text)
{
	const struct tui_rect *R = &t->lay.full;

	draw_fill(R->y + R->h - 1, R->x, R->w, A_NORMAL, " ");
	draw_text(R->y + R->h - 1, R->x + 1, R->w - 2, a, text);
}

struct rs_draw_ctx {
	struct tui *t;
	struct restore_state *st;
	int x, w;
};

static void
rs_choose_row(void *ud, size_t ci, int y, bool sel)
{
	struct rs_draw_ctx *c = ud;
	const struct tui_row *r = rs_row(c->t, c->st->cand[ci]);
	attr_t a = sel ? theme_attr(COL_SELECTED) : A_NORMAL;
	char buf[512], size[32], when[32], what[192];
	const char *v;

	if (r == NULL)
		return;
	if (sel)
		draw_fill(y, c->x - 2, c->w + 4, a, " ");
	format_bytes(r->size, size, sizeof size);
	fmt_local_time_short(r->created, when, sizeof when);
	v = r->vstate == VERIFY_OK ? _("verified") : r->vstate == VERIFY_FAILED ?
	    _("FAILED verification") : _("not verified");
	if (r->missing) {
		char parts[128];

		catalog_missing_text(r->missing, parts, sizeof parts);
		snprintf(what, sizeof what, _("PARTIAL: lacks %s"), parts);
		v = what;
	}
	snprintf(buf, sizeof buf, "%s  %-11s %s  %9s  %-5s  %s%s", r->e->id,
	    r->type_known ? backup_type_name(r->type) : "?", when, size, r->where, v,
	    r->safety ? _(" (safety backup)") : "");
	draw_text(y, c->x, c->w, sel ? a : r->missing ? theme_attr(COL_WARN) : A_NORMAL, buf);
}

static void
rs_draw_choose(struct tui *t, struct restore_state *st)
{
	const struct tui_rect *R = &t->lay.full;
	int y = rs_title(t, st, _("1/4 choose the backup"));
	struct rs_draw_ctx c = { t, st, R->x + 2, R->w - 4 };
	char range[64];

	y += draw_wrapped(y, R->x + 1, R->w - 2, 2, A_NORMAL,
	    _("Choose the backup to put back into the live Redis and index files. Up/Down choose; "
	      "Left/Right (or l, s) choose the copy: local or S3.")) + 1;
	if (st->choose.n > 0) {
		const struct tui_row *r = rs_row(t, st->cand[st->choose.sel]);
		int x = R->x + 2, end = R->x + R->w - 1;
		char *where = config_location_describe(t->cfg, st->from);
		char buf[CONFIG_NAME_SIZE + 4];

		/* Every location holding the backup, nearest first; the one
		 * restored from in brackets, and where it is. */
		x += draw_text(y, x, 8, theme_attr(COL_HEADING), _("Copy: "));
		for (size_t l = 0; l < t->cfg->nlocations && x < end; l++) {
			bool on = l == st->from;

			if (r != NULL && l != st->from && t->cfg->nlocations > 2 &&
			    rs_unusable(t, r, l) != NULL)
				continue;
			snprintf(buf, sizeof buf, on ? "[%s]" : " %s ", config_location_label(t->cfg, l));
			x += draw_text(y, x, end - x, theme_attr(on ? COL_SELECTED : COL_DIALOG), buf) + 1;
		}
		if (t->cfg->nlocations < 2 && x < end)
			x += draw_text(y, x, end - x, theme_attr(COL_DIALOG), " S3 ") + 1;
		if (t->cfg->nlocations > 2 && x + 8 < end) {
			char from[300];

			snprintf(from, sizeof from, _(" restores from %s"), where);
			draw_text(y, x, end - x, theme_attr(COL_DIM), from);
		}
		free(where);
		y += 2;
	}
	if (st->choose.n == 0) {
		draw_text(y, R->x + 1, R->w - 2, theme_attr(COL_BAD),
		    t->m.cat_loaded ? _("There is no complete backup to restore.") :
		    _("The backup list is still being read…"));
		rs_footer(t, theme_attr(COL_DIM), _("Esc: back"));
		return;
	}
	list_draw(&st->choose, y, R->y + R->h - 2 - y, rs_choose_row, &c);
	list_range_text(&st->choose, range, sizeof range);
	draw_text_right(R->y + R->h - 2, R->x + 1, R->w - 2, theme_attr(COL_DIM), range);
	rs_footer(t, theme_attr(COL_DIM), _("Enter: run the pre-flight checks   Esc: cancel"));
}

static int
rs_check_line(struct tui *t, int y, bool done, bool ok, const char *what, const char *detail)
{
	const struct tui_rect *R = &t->lay.full;
	const struct tui_glyphs *g = theme_glyphs();
	attr_t a = !done ? theme_attr(COL_DIM) : theme_attr(ok ? COL_OK : COL_BAD);
	int rows;

	draw_text(y, R->x + 2, 2, a, !done ? draw_spinner(t) : ok ? g->tick : g->cross);
	draw_text(y, R->x + 4, R->w - 6, done && !ok ? a : theme_attr(COL_HEADING), what);
	rows = draw_wrapped(y + 1, R->x + 6, R->w - 8, 3, done && !ok ? a : theme_attr(COL_DIM),
	    detail);
	return 1 + (rows > 0 ? rows : 0);
}

static void
rs_draw_checks(struct tui *t, struct restore_state *st)
{
	const struct tui_rect *R = &t->lay.full;
	int y = rs_title(t, st, _("2/4 pre-flight checks"));
	char what[128], parts[128];

	snprintf(what, sizeof what, _("checksums of the %s copy (quick verification)"),
	    config_location_label(t->cfg, st->from));
	y += rs_check_line(t, y, st->verify_done, st->verify_ok, what,
	    st->verify_done ? st->verify_detail : _("reading every file…"));
	if (st->plan_job != 0)
		y += rs_check_line(t, y, false, false, _("the live state and the backup's parts"),
		    _("reading…"));
	else if (st->plan_error[0])
		y += rs_check_line(t, y, true, false, _("the live state and the backup's parts"),
		    st->plan_error);
	else if (st->plan != NULL && st->plan->missing) {
		catalog_missing_text(st->plan->missing, parts, sizeof parts);
		snprintf(what, sizeof what, _("PARTIAL: the backup lacks %s"), parts);
		draw_text(y, R->x + 2, 2, theme_attr(COL_WARN), theme_glyphs()->warn);
		draw_text(y, R->x + 4, R->w - 6, theme_attr(COL_WARN), what);
		y += 1 + draw_wrapped(y + 1, R->x + 6, R->w - 8, 2, theme_attr(COL_WARN),
		    _("restoring it removes the live one: the plan says which, and asks on its own"));
	}
	if (!st->preflight_done) {
		y += rs_check_line(t, y, false, false, _("disk space, Redis, start command, lock"),
		    _("checking…"));
	} else if (st->preflight_error[0]) {
		y += rs_check_line(t, y, true, false, _("disk space, Redis, start command, lock"),
		    st->preflight_error);
	} else {
		for (int i = 0; i < st->pre.n && y < R->y + R->h - 4; i++)
			y += rs_check_line(t, y, true, st->pre.checks[i].ok, st->pre.checks[i].what,
			    st->pre.checks[i].detail);
	}
	if (!rs_checks_done(st))
		rs_footer(t, theme_attr(COL_DIM), _("checking…   Esc: back"));
	else if (rs_checks_pass(st))
		rs_footer(t, theme_attr(COL_OK), _("All checks passed.   Enter: see the plan   Esc: back"));
	else
		rs_footer(t, theme_attr(COL_BAD),
		    _("BLOCKED: fix what is red, then R: check again   Esc: back"));
}

struct rs_plan_ctx {
	struct tui_lines *lines;
	int w;
};

static void
rs_plan_line(void *ud, enum plan_level level, const char *text)
{
	static const enum tui_color colors[] = {
		[PLAN_NORMAL] = COL_NORMAL, [PLAN_HEADING] = COL_HEADING, [PLAN_OK] = COL_OK,
		[PLAN_WARN] = COL_WARN, [PLAN_BAD] = COL_BAD, [PLAN_DIM] = COL_DIM,
	};
	struct rs_plan_ctx *c = ud;

	/* A blank line before each section. */
	if (level == PLAN_HEADING && c->lines->n > 0 && text[0] != ' ')
		lines_add(c->lines, c->w, 0, 0, A_NORMAL, 0, "");
	lines_add(c->lines, c->w, 0, 4, theme_attr(colors[level]), 0, text);
}

/* The plan's lines for width w, with the RTO from the verification. */
static void
rs_plan_build(struct tui *t, struct restore_state *st, int w)
{
	struct rs_plan_ctx c = { &st->lines, w };
	struct plan_estimate est;
	double rate = st->verify_seconds > 0 ? (double)st->plan->backup_bytes / st->verify_seconds :
	    0;
	char buf[512];

	lines_clear(&st->lines);
	/* A verification shorter than a fifth of a second measures the
	 * start-up, not the throughput. */
	restore_plan_estimate(st->plan, rate, st->verify_seconds >= 0.2 && rate >= 1e6 &&
	    rate <= 2e9, &est);
	snprintf(buf, sizeof buf, _("Replaces the live data: Redis at %s, %s and %s. A safety backup "
	    "of the live state is taken first; a failure after that rolls back to it."),
	    t->cfg->redis.socket[0] ? t->cfg->redis.socket : t->cfg->redis.host,
	    t->cfg->faiss.content_index, t->cfg->faiss.user_index);
	lines_add(&st->lines, w, 0, 0, theme_attr(COL_WARN), 0, buf);
	restore_plan_lines(st->plan, &est, rs_plan_line, &c);
	st->lines_width = w;
}

static void
rs_text_row(void *ud, size_t i, int y, bool sel)
{
	struct rs_draw_ctx *c = ud;
	const struct tui_line *l = &c->st->lines.v[i];

	(void)sel;
	draw_text(y, c->x + l->indent, c->w - l->indent, l->attr, l->text);
}

static void
rs_draw_plan(struct tui *t, struct restore_state *st)
{
	const struct tui_rect *R = &t->lay.full;
	int y = rs_title(t, st, _("3/4 the plan"));
	struct rs_draw_ctx c = { t, st, R->x + 2, R->w - 4 };
	char range[64], foot[256];

	if (st->plan == NULL)
		return;
	if (st->lines_width != c.w)
		rs_plan_build(t, st, c.w);
	st->view.viewer = true;
	list_set_count(&st->view, st->lines.n);
	list_draw(&st->view, y, R->y + R->h - 1 - y, rs_text_row, &c);
	if (st->view.n > (size_t)st->view.h) {
		list_range_text(&st->view, range, sizeof range);
		snprintf(foot, sizeof foot, _("Enter: confirm   Esc: back to the checks   Up/Down: "
		    "scroll (%s)"), range);
	} else {
		snprintf(foot, sizeof foot, "%s", _("Enter: confirm   Esc: back to the checks"));
	}
	rs_footer(t, theme_attr(COL_DIM), foot);
}

static void
rs_draw_missing(struct tui *t, struct restore_state *st)
{
	const struct tui_rect *R = &t->lay.full;
	const char *live[CATALOG_NPARTS] = { NULL, t->cfg->faiss.content_index,
		t->cfg->faiss.user_index };
	int y = rs_title(t, st, _("3/4 the plan: parts are missing"));
	char buf[512], parts[128];

	catalog_missing_text(rs_missing(st), parts, sizeof parts);
	snprintf(buf, sizeof buf, _("Backup %s is PARTIAL: it lacks %s. Restoring it removes "
	    "the live one:"), st->id, parts);
	y += draw_wrapped(y, R->x + 2, R->w - 4, 3, theme_attr(COL_WARN), buf) + 1;
	for (unsigned i = 0; i < CATALOG_NPARTS; i++) {
		if (!(rs_missing(st) & (1u << i)))
			continue;
		if (i == 0)
			snprintf(buf, sizeof buf, "%s", _("- the backup has no Redis snapshot: Redis "
			    "starts EMPTY, every live key is gone"));
		else
			snprintf(buf, sizeof buf, _("- the backup has no %s: the live %s is moved aside "
			    "and the service has none"), catalog_part_file(i), live[i]);
		y += draw_wrapped(y, R->x + 2, R->w - 4, 3, theme_attr(COL_BAD), buf);
	}
	y++;
	draw_wrapped(y, R->x + 2, R->w - 4, 3, A_NORMAL, _("Accept this only when the live part "
	    "is already lost or must go. The safety backup keeps the live state as it is now."));
	rs_footer(t, theme_attr(COL_WARN), _("y: yes, remove the live part   n or Esc: back to "
	    "the plan"));
}

static void
rs_draw_confirm(struct tui *t, struct restore_state *st)
{
	const struct tui_rect *R = &t->lay.full;
	int y = rs_title(t, st, _("4/4 confirm")), x;
	char buf[512];

	snprintf(buf, sizeof buf, _("This replaces the live Redis data and both index files with "
	    "backup %s. To go ahead, type the backup id and press Enter."), st->id);
	y += draw_wrapped(y, R->x + 2, R->w - 4, 3, theme_attr(COL_WARN), buf) + 1;
	x = R->x + 2 + draw_text(y, R->x + 2, R->w - 4, theme_attr(COL_HEADING), _("Backup id: "));
	draw_fill(y, x, 16, theme_attr(COL_INPUT), " ");
	draw_text(y, x, 16, theme_attr(COL_INPUT), st->typed);
	draw_text(y, x + (int)strlen(st->typed), 1, theme_attr(COL_SELECTED), " ");
	y += 2;
	if (st->refused) {
		snprintf(buf, sizeof buf, _("\"%s\" is not %s: NOT restored. Type the id exactly as "
		    "shown, or Esc to go back."), st->refused_text, st->id);
		draw_wrapped(y, R->x + 2, R->w - 4, 3, theme_attr(COL_BAD), buf);
	}
	rs_footer(t, theme_attr(COL_DIM), _("Enter: restore   Esc: back to the plan"));
}

/* Is step s (0-based) skipped in this restore? The plan says. */
static bool
rs_skipped(const struct restore_state *st, int s)
{
	if (st->plan != NULL)
		return st->plan->steps[s].skipped;
	return s == RESTORE_FETCH && st->from == 0;
}

static void
rs_draw_step(struct tui *t, struct restore_state *st, int s, int y, int tw, int barw)
{
	const struct tui_rect *R = &t->lay.full;
	const struct tui_glyphs *g = theme_glyphs();
	bool done = st->stage == RS_DONE, skipped = rs_skipped(st, s);
	int stepno = s + 1, x = R->x + 2;
	bool past = st->step > stepno || (done && st->status == 0);
	bool current = st->step == stepno && !past;
	bool failed = current && done && st->status != 0;
	double frac = 0, now = tui_clock();
	const char *mark;
	char buf[512], dur[32];
	attr_t a;

	if (skipped) {
		mark = "-";
		a = theme_attr(COL_DIM);
	} else if (failed) {
		mark = g->cross;
		a = theme_attr(COL_BAD);
	} else if (past) {
		mark = g->tick;
		a = theme_attr(COL_OK);
		frac = 1;
	} else if (current) {
		mark = draw_spinner(t);
		a = theme_attr(COL_HEADING);
		frac = st->total > 0 ? (double)st->done / (double)st->total : 0;
	} else {
		mark = g->pending;
		a = theme_attr(COL_DIM);
	}
	draw_text(y, x, 2, a, mark);
	/* The step's own number, as in the jobs pane and the journal. */
	snprintf(buf, sizeof buf, "%2d. %s%s", stepno, restore_step_text((enum restore_step)s),
	    skipped ? _(" (skipped)") : "");
	draw_text(y, x + 2, tw, a, buf);
	if (skipped)
		return;
	draw_bar(y, x + 2 + tw + 1, barw, frac);
	if (past || current || failed) {
		double end = st->step_ended[stepno] > 0 ? st->step_ended[stepno] : now;

		if (st->step_started[stepno] > 0) {
			fmt_duration(end - st->step_started[stepno], dur, sizeof dur);
			snprintf(buf, sizeof buf, "%3d%% %s", (int)(frac * 100), dur);
		} else {
			snprintf(buf, sizeof buf, "%3d%%", (int)(frac * 100));
		}
		draw_text(y, x + 2 + tw + 2 + barw, R->w - (x + 2 + tw + 2 + barw) - 1, a, buf);
	}
}

static void
rs_draw_steps(struct tui *t, struct restore_state *st)
{
	const struct tui_rect *R = &t->lay.full;
	const struct tui_job *j = st->restore_job ? model_job_find(&t->m, st->restore_job) : NULL;
	bool done = st->stage == RS_DONE;

	st->cancelling = j != NULL && j->cancelling;
	int y = rs_title(t, st, done ? (st->status == 0 ? _("done") : _("FAILED")) :
	    st->cancelling ? _("rolling back") : _("restoring")), tw, barw;
	char buf[512], dur[32];

	tw = R->w - 4 - 2 - 4 - 10;
	barw = tw / 4 > 24 ? 24 : tw / 4;
	tw -= barw;
	for (int s = 0; s < RESTORE_NSTEPS && y < R->y + R->h - 4; s++)
		rs_draw_step(t, st, s, y++, tw, barw);
	y++;
	if (!done) {
		if (st->step == 0)
			draw_text(y++, R->x + 2, R->w - 4, theme_attr(COL_DIM),
			    _("waiting for the other jobs to finish: a restore runs alone"));
		else
			draw_text(y++, R->x + 2, R->w - 4, theme_attr(COL_DIM), st->phase);
	} else if (st->status == 0) {
		fmt_duration(st->ended - st->started, dur, sizeof dur);
		if (st->res.safety_id[0])
			snprintf(buf, sizeof buf, _("Restored %s in %s. The state before it is kept in "
			    "backup %s (pre-restore)."), st->id, dur, st->res.safety_id);
		else
			snprintf(buf, sizeof buf, _("Restored %s in %s."), st->id, dur);
		y += draw_wrapped(y, R->x + 2, R->w - 4, 3, theme_attr(COL_OK), buf);
	} else {
		y += draw_wrapped(y, R->x + 2, R->w - 4, 6, theme_attr(COL_BAD), st->error);
	}
	for (int i = 0; i < st->nlog && y < R->y + R->h - 1; i++)
		draw_text(y++, R->x + 4, R->w - 6, theme_attr(COL_DIM), st->log[i]);
	rs_footer(t, theme_attr(COL_DIM), done ? _("Enter or Esc: back to the list") :
	    st->cancelling ? _("rolling back to the safety backup: this is not interrupted") :
	    _("x: cancel (rolls back)   Esc: back to the list (the restore goes on)"));
}

static void
rs_draw(struct tui *t, struct screen *s)
{
	struct restore_state *st = s->data;

	switch (st->stage) {
	case RS_CHOOSE:
		rs_draw_choose(t, st);
		break;
	case RS_CHECKS:
		rs_draw_checks(t, st);
		break;
	case RS_PLAN:
		rs_draw_plan(t, st);
		break;
	case RS_MISSING:
		rs_draw_missing(t, st);
		break;
	case RS_CONFIRM:
		rs_draw_confirm(t, st);
		break;
	case RS_RUNNING:
	case RS_DONE:
		rs_draw_steps(t, st);
		break;
	}
}

static void
rs_free(struct screen *s)
{
	struct restore_state *st = s->data;

	free(st->cand);
	restore_plan_free(st->plan);
	lines_clear(&st->lines);
	free(st);
	free(s);
}

static const struct screen_type screen_restore_type = {
	.name = "restore",
	.overlay = false,
	.event = rs_event,
	.draw = rs_draw,
	.free = rs_free,
};

struct screen *
screen_restore_new(struct tui *t, const char *id)
{
	struct screen *s = xcalloc(1, sizeof *s);
	struct restore_state *st = xcalloc(1, sizeof *st);

	st->cand = xcalloc(RS_MAX_CANDIDATES, sizeof *st->cand);
	rs_candidates(t, st, id);
	rs_pick(t, st);
	s->type = &screen_restore_type;
	s->data = st;
	return s;
}

struct screen *
screen_restore_undo(struct tui *t, const char *id)
{
	struct screen *s = screen_restore_new(t, id);
	struct restore_state *st = s->data;

	st->undo = true;
	rs_pick(t, st);
	if (strcmp(st->id, id) == 0)
		rs_start_checks(t, st);
	return s;
}
