/*
 * The guided restore, for the worst day: choose the backup and where to
 * take it from; pre-flight checks (a quick verify job for the checksums,
 * the preflight job for disk space, Redis, the start command and the
 * lock), each failure in red and blocking; the plan with an RTO estimate
 * from the verification's measured throughput; confirmation by typing the
 * backup id; then the restore job's steps as a checklist that ticks off
 * as its events arrive. A failure shows the job's message, which says what
 * was rolled back and what to do next.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "storage/storage.h"
#include "jobs/restore.h"
#include "ui/tui.h"

enum rs_stage { RS_CHOOSE, RS_CHECKS, RS_PLAN, RS_CONFIRM, RS_RUNNING, RS_DONE };

#define RS_MAX_CANDIDATES 4096
#define RS_LOG_LINES 6

struct restore_state {
	enum rs_stage stage;
	/* choose */
	char (*cand)[BACKUP_ID_SIZE];
	size_t ncand, sel, top;
	bool from_s3;
	char id[BACKUP_ID_SIZE];
	uint64_t backup_bytes, index_bytes, rdb_bytes;
	/* checks */
	unsigned verify_job, preflight_job;
	bool verify_done, verify_ok;
	char verify_detail[VS_ERROR_MSG_MAX];
	double verify_started, verify_seconds;
	bool preflight_done;
	struct preflight pre;
	char preflight_error[VS_ERROR_MSG_MAX];
	/* confirm */
	char typed[64];
	bool refused;
	char refused_text[64];
	/* running */
	unsigned restore_job;
	int step, nsteps;
	char phase[128];
	uint64_t done, total;
	double step_started[RESTORE_NSTEPS + 1], step_ended[RESTORE_NSTEPS + 1];
	double started, ended;
	int status;
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

static bool
copy_usable(const struct catalog_copy *c)
{
	return c->present && c->complete && !c->partial && c->has_manifest;
}

/* Fill the candidates: backups with a usable copy, newest first. */
static void
rs_candidates(struct tui *t, struct restore_state *st, const char *want)
{
	st->ncand = 0;
	for (size_t i = t->m.nrows; i > 0 && st->ncand < RS_MAX_CANDIDATES; i--) {
		const struct tui_row *r = &t->m.rows[i - 1];

		if (copy_usable(&r->e->local) || copy_usable(&r->e->s3))
			snprintf(st->cand[st->ncand++], BACKUP_ID_SIZE, "%s", r->e->id);
	}
	for (size_t i = 0; i < st->ncand; i++)
		if (strcmp(st->cand[i], want) == 0)
			st->sel = i;
}

/* Choose the copy: local when it is usable, else S3. */
static void
rs_pick(struct tui *t, struct restore_state *st)
{
	const struct tui_row *r;
	const struct catalog_copy *c;

	if (st->ncand == 0)
		return;
	snprintf(st->id, sizeof st->id, "%s", st->cand[st->sel]);
	r = rs_row(t, st->id);
	if (r == NULL)
		return;
	if (st->from_s3 && !copy_usable(&r->e->s3))
		st->from_s3 = false;
	if (!st->from_s3 && !copy_usable(&r->e->local))
		st->from_s3 = true;
	c = st->from_s3 ? &r->e->s3 : &r->e->local;
	st->backup_bytes = manifest_total_size(&c->m);
	st->index_bytes = (c->m.content.file.present ? c->m.content.file.size : 0) +
	    (c->m.user.file.present ? c->m.user.file.size : 0);
	st->rdb_bytes = c->m.redis.file.present ? c->m.redis.file.size : 0;
}

static void
rs_start_checks(struct tui *t, struct restore_state *st)
{
	struct job_verify_args *v = xcalloc(1, sizeof *v);
	struct tui_preflight_args *p = xcalloc(1, sizeof *p);
	char title[96];

	st->stage = RS_CHECKS;
	st->verify_done = st->preflight_done = false;
	st->verify_detail[0] = st->preflight_error[0] = '\0';
	memset(&st->pre, 0, sizeof st->pre);
	snprintf(v->id, sizeof v->id, "%s", st->id);
	snprintf(v->location, sizeof v->location, "%s", st->from_s3 ? "s3" : "local");
	snprintf(title, sizeof title, _("restore pre-flight: verify %s"), st->id);
	st->verify_started = tui_clock();
	st->verify_job = tui_submit(t, &job_verify_type, v, false, title, st->id);
	snprintf(p->id, sizeof p->id, "%s", st->id);
	snprintf(p->from, sizeof p->from, "%s", st->from_s3 ? "s3" : "local");
	p->backup_bytes = st->backup_bytes;
	p->index_bytes = st->index_bytes;
	st->preflight_job = tui_submit(t, &tui_preflight_type, p, false, "preflight", st->id);
}

static bool
rs_checks_pass(const struct restore_state *st)
{
	if (!st->verify_done || !st->preflight_done || !st->verify_ok || st->preflight_error[0])
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
	snprintf(a->from, sizeof a->from, "%s", st->from_s3 ? "s3" : "local");
	a->safety_backup = true;
	snprintf(title, sizeof title, _("restore %s from %s"), st->id, st->from_s3 ? "S3" : _("local"));
	st->stage = RS_RUNNING;
	st->started = tui_clock();
	st->step = 0;
	st->restore_job = tui_submit(t, &job_restore_type, a, true, title, st->id);
}

/* --- events --- */

static void
rs_job_event(struct tui *t, struct restore_state *st, struct engine_event *e)
{
	double now = tui_clock();

	if (e->job == st->verify_job && e->type == ENGINE_EV_DONE) {
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
	} else if (e->job == st->preflight_job && e->type == ENGINE_EV_DONE) {
		st->preflight_done = true;
		st->preflight_job = 0;
		if (e->status == 0)
			st->pre = *(const struct preflight *)e->result;
		else
			snprintf(st->preflight_error, sizeof st->preflight_error, "%s", e->err.msg);
	} else if (e->job == st->restore_job && st->restore_job != 0) {
		switch (e->type) {
		case ENGINE_EV_PROGRESS:
			if (e->step > 0 && e->step <= RESTORE_NSTEPS && e->step != st->step) {
				if (st->step > 0)
					st->step_ended[st->step] = now;
				st->step = e->step;
				st->step_started[st->step] = now;
			}
			st->nsteps = e->nsteps;
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
}

static bool
rs_key_is(const struct tui_event *ev, int key)
{
	return !ev->fkey && ev->key == key;
}

static int
rs_key(struct tui *t, struct restore_state *st, const struct tui_event *ev)
{
	bool enter = rs_key_is(ev, '\n') || rs_key_is(ev, '\r') || (ev->fkey && ev->key == KEY_ENTER);
	bool esc = rs_key_is(ev, 27);

	switch (st->stage) {
	case RS_CHOOSE:
		if (esc || rs_key_is(ev, 'q'))
			return SCR_HANDLED | SCR_CLOSE;
		if ((ev->fkey && ev->key == KEY_UP) || rs_key_is(ev, 'k')) {
			if (st->sel > 0)
				st->sel--;
		} else if ((ev->fkey && ev->key == KEY_DOWN) || rs_key_is(ev, 'j')) {
			if (st->sel + 1 < st->ncand)
				st->sel++;
		} else if ((ev->fkey && (ev->key == KEY_LEFT || ev->key == KEY_RIGHT)) ||
		    rs_key_is(ev, ' ') || rs_key_is(ev, 's') || rs_key_is(ev, 'l')) {
			st->from_s3 = rs_key_is(ev, 's') ? true : rs_key_is(ev, 'l') ? false : !st->from_s3;
		} else if (enter && st->ncand > 0) {
			rs_pick(t, st);
			rs_start_checks(t, st);
			return SCR_HANDLED | SCR_REDRAW;
		}
		rs_pick(t, st);
		break;
	case RS_CHECKS:
		if (esc) {
			if (st->verify_job)
				engine_cancel(t->eng, st->verify_job);
			if (st->preflight_job)
				engine_cancel(t->eng, st->preflight_job);
			st->verify_job = st->preflight_job = 0;
			st->stage = RS_CHOOSE;
		} else if (rs_key_is(ev, 'R') && st->verify_done && st->preflight_done) {
			rs_start_checks(t, st);
		} else if (enter && rs_checks_pass(st)) {
			st->stage = RS_PLAN;
		}
		break;
	case RS_PLAN:
		if (esc)
			st->stage = RS_CHECKS;
		else if (enter) {
			st->stage = RS_CONFIRM;
			st->typed[0] = '\0';
			st->refused = false;
		}
		break;
	case RS_CONFIRM: {
		size_t len = strlen(st->typed);

		if (esc) {
			st->stage = RS_PLAN;
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
		break;
	}
	case RS_RUNNING:
		/* The restore runs on; x on the main screen cancels it. */
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

			snprintf(keep, sizeof keep, "%s", st->ncand ? st->cand[st->sel] : "");
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

static const char *
rs_spin(const struct tui *t)
{
	const struct tui_glyphs *g = theme_glyphs();

	return g->spinner[t->tick % (unsigned)g->nspinner];
}

static int
rs_title(struct tui *t, struct restore_state *st, const char *stage)
{
	const struct tui_rect *R = &t->lay.full;
	char buf[256];

	draw_fill(R->y, R->x, R->w, theme_attr(COL_TITLE), " ");
	if (st->id[0])
		snprintf(buf, sizeof buf, _("Restore %s from %s: %s"), st->id,
		    st->from_s3 ? "S3" : _("local"), stage);
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

static void
rs_draw_choose(struct tui *t, struct restore_state *st)
{
	const struct tui_rect *R = &t->lay.full;
	int y = rs_title(t, st, _("1/4 choose the backup")), rows;
	char buf[256], size[32], when[32];

	draw_wrapped(y, R->x + 1, R->w - 2, 2, A_NORMAL,
	    _("Choose the backup to put back into the live Redis and index files. Up/Down choose; "
	      "Left/Right (or l, s) choose the copy: local or S3."));
	y += 3;
	if (st->ncand > 0) {
		int x = R->x + 2;

		x += draw_text(y, x, 8, theme_attr(COL_HEADING), _("Copy: "));
		x += draw_text(y, x, 12, theme_attr(st->from_s3 ? COL_DIALOG : COL_SELECTED),
		    st->from_s3 ? _(" local ") : _("[local]")) + 1;
		draw_text(y, x, 12, theme_attr(st->from_s3 ? COL_SELECTED : COL_DIALOG),
		    st->from_s3 ? "[S3]" : " S3 ");
		y += 2;
	}
	if (st->ncand == 0) {
		draw_text(y, R->x + 1, R->w - 2, theme_attr(COL_BAD),
		    t->m.cat_loaded ? _("There is no complete backup to restore.") :
		    _("The backup list is still being read…"));
		rs_footer(t, theme_attr(COL_DIM), _("Esc: back"));
		return;
	}
	rows = R->y + R->h - 2 - y;
	if (st->sel < st->top)
		st->top = st->sel;
	if (st->sel >= st->top + (size_t)rows)
		st->top = st->sel - (size_t)rows + 1;
	for (int i = 0; i < rows && st->top + (size_t)i < st->ncand; i++) {
		size_t ci = st->top + (size_t)i;
		const struct tui_row *r = rs_row(t, st->cand[ci]);
		bool sel = ci == st->sel;
		attr_t a = sel ? theme_attr(COL_SELECTED) : A_NORMAL;
		const char *v;

		if (r == NULL)
			continue;
		if (sel)
			draw_fill(y + i, R->x, R->w, a, " ");
		format_bytes(r->size, size, sizeof size);
		fmt_local_time_short(r->created, when, sizeof when);
		v = r->vstate == VERIFY_OK ? _("verified") : r->vstate == VERIFY_FAILED ?
		    _("FAILED verification") : _("not verified");
		snprintf(buf, sizeof buf, "%s  %-11s %s  %9s  %-5s  %s", r->e->id,
		    r->type_known ? backup_type_name(r->type) : "?", when, size, catalog_where(r->e), v);
		draw_text(y + i, R->x + 2, R->w - 4, a, buf);
	}
	rs_footer(t, theme_attr(COL_DIM), _("Enter: run the pre-flight checks   Esc: cancel"));
}

static int
rs_check_line(struct tui *t, int y, bool done, bool ok, const char *what, const char *detail)
{
	const struct tui_rect *R = &t->lay.full;
	const struct tui_glyphs *g = theme_glyphs();
	attr_t a = !done ? theme_attr(COL_DIM) : theme_attr(ok ? COL_OK : COL_BAD);
	int rows;

	draw_text(y, R->x + 2, 2, a, !done ? rs_spin(t) : ok ? g->tick : g->cross);
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
	char what[128];

	snprintf(what, sizeof what, _("checksums of the %s copy (quick verification)"),
	    st->from_s3 ? "S3" : _("local"));
	y += rs_check_line(t, y, st->verify_done, st->verify_ok, what,
	    st->verify_done ? st->verify_detail : _("reading every file…"));
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
	if (!st->verify_done || !st->preflight_done)
		rs_footer(t, theme_attr(COL_DIM), _("checking…   Esc: back"));
	else if (rs_checks_pass(st))
		rs_footer(t, theme_attr(COL_OK), _("All checks passed.   Enter: see the plan   Esc: back"));
	else
		rs_footer(t, theme_attr(COL_BAD),
		    _("BLOCKED: fix what is red, then R: check again   Esc: back"));
}

/* Seconds the restore should take, from the verification's throughput. */
static double
rs_estimate(const struct restore_state *st, double *rate_out, double *downtime, bool *measured)
{
	double rate = st->verify_seconds > 0 ? (double)st->backup_bytes / st->verify_seconds : 0;
	double b = (double)st->backup_bytes, sec;

	/* A verification shorter than a fifth of a second measures the
	 * start-up, not the throughput: assume a plain disk then. */
	*measured = st->verify_seconds >= 0.2 && rate >= 1e6 && rate <= 2e9;
	if (!*measured)
		rate = 200e6;
	*rate_out = rate;
	sec = b / rate;                                  /* verify */
	if (st->from_s3)
		sec += b / rate;                         /* download */
	sec += (double)st->pre.live_bytes / rate;        /* safety backup */
	sec += (double)st->index_bytes / rate;           /* place the indexes */
	/* Redis is down from the stop to the end of loading: place the RDB,
	 * start, load (about 150 MB/s on these machines), plus a second. */
	*downtime = (double)st->rdb_bytes / rate + (double)st->rdb_bytes / 150e6 + 1;
	sec += *downtime + 1;                            /* and the checks */
	return sec;
}

static void
rs_draw_plan(struct tui *t, struct restore_state *st)
{
	const struct tui_rect *R = &t->lay.full;
	const struct config *cfg = t->cfg;
	int y = rs_title(t, st, _("3/4 the plan")), n = 1;
	bool measured;
	double rate, down, est = rs_estimate(st, &rate, &down, &measured);
	char buf[512], a[32], b[32], c[32], size[32];

	for (int s = 0; s < RESTORE_NSTEPS && y < R->y + R->h - 7; s++) {
		if (s == RESTORE_FETCH && !st->from_s3)
			continue;
		if (s == RESTORE_RELOAD && (cfg->restore_reload_command == NULL ||
		    cfg->restore_reload_command[0] == '\0'))
			snprintf(buf, sizeof buf, _("%2d. %s (restore_reload_command is not set: skipped)"),
			    n++, restore_step_text((enum restore_step)s));
		else
			snprintf(buf, sizeof buf, "%2d. %s", n++, restore_step_text((enum restore_step)s));
		draw_text(y++, R->x + 2, R->w - 4, A_NORMAL, buf);
	}
	y++;
	snprintf(buf, sizeof buf, _("Replaces the live data: Redis at %s, %s and %s."),
	    cfg->redis.socket && cfg->redis.socket[0] ? cfg->redis.socket : cfg->redis.host,
	    cfg->faiss.content_index, cfg->faiss.user_index);
	y += draw_wrapped(y, R->x + 2, R->w - 4, 3, theme_attr(COL_WARN), buf);
	format_bytes(st->backup_bytes, size, sizeof size);
	format_bytes((uint64_t)rate, a, sizeof a);
	fmt_duration(est, b, sizeof b);
	fmt_duration(down, c, sizeof c);
	if (measured)
		snprintf(buf, sizeof buf, _("Estimated time to restore (RTO): about %s for %s, at the "
		    "%s/s the verification measured; Redis is unavailable for about %s of it."), b, size,
		    a, c);
	else
		snprintf(buf, sizeof buf, _("Estimated time to restore (RTO): about %s for %s, assuming "
		    "%s/s (the verification was too short to measure); Redis is unavailable for about "
		    "%s of it."), b, size, a, c);
	y += draw_wrapped(y, R->x + 2, R->w - 4, 3, theme_attr(COL_HEADING), buf);
	draw_wrapped(y, R->x + 2, R->w - 4, 2, theme_attr(COL_DIM),
	    _("A safety backup of the live state is taken first; a failure after that rolls back "
	      "to it."));
	rs_footer(t, theme_attr(COL_DIM), _("Enter: confirm   Esc: back to the checks"));
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

static void
rs_draw_steps(struct tui *t, struct restore_state *st)
{
	const struct tui_rect *R = &t->lay.full;
	const struct tui_glyphs *g = theme_glyphs();
	bool done = st->stage == RS_DONE;
	int y = rs_title(t, st, done ? (st->status == 0 ? _("done") : _("FAILED")) :
	    _("restoring")), tw, barw, n = 1;
	double now = tui_clock();
	char buf[512], dur[32];

	tw = R->w - 4 - 2 - 4 - 10;
	barw = tw / 4 > 24 ? 24 : tw / 4;
	tw -= barw;
	for (int s = 0; s < RESTORE_NSTEPS && y < R->y + R->h - 4; s++) {
		int stepno = s + 1, x = R->x + 2;
		bool skipped = s == RESTORE_FETCH && !st->from_s3;
		bool past = st->step > stepno || (done && st->status == 0 && !skipped);
		bool current = st->step == stepno && !past;
		bool failed = current && done && st->status != 0;
		attr_t a;
		const char *mark;
		double frac = 0;

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
			mark = rs_spin(t);
			a = theme_attr(COL_HEADING);
			frac = st->total > 0 ? (double)st->done / (double)st->total : 0;
		} else {
			mark = g->pending;
			a = theme_attr(COL_DIM);
		}
		draw_text(y, x, 2, a, mark);
		snprintf(buf, sizeof buf, "%2d. %s%s", skipped ? 0 : n, restore_step_text((enum restore_step)s),
		    skipped ? _(" (not needed)") : "");
		if (skipped)
			snprintf(buf, sizeof buf, "    %s%s", restore_step_text((enum restore_step)s),
			    _(" (not needed)"));
		else
			n++;
		draw_text(y, x + 2, tw, a, buf);
		if (!skipped) {
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
		y++;
	}
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
	    _("Esc: back to the list (the restore goes on)"));
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
