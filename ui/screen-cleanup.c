/*
 * The retention view: a cleanup dry run (the cleanup job with dry_run set)
 * listing every backup of every location with its decision and reason,
 * then, after a confirmation, the real cleanup at the same moment, which
 * deletes exactly what the dry run showed. [ and ] move the moment a day
 * back or ahead (as 'cleanup --dry-run --at' does): "what would cleanup
 * delete next week?"; such a view is a dry run only.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "ui/list.h"
#include "ui/tui.h"

struct cleanup_state {
	unsigned job;                /* the dry run in flight, 0 none */
	struct cleanup_report *rep;  /* the last dry run */
	char error[VS_ERROR_MSG_MAX];
	time_t at;
	long shift_days;             /* the moment looked at, in days from now */
	long job_shift;              /* the one the dry run in flight looks at */
	struct tui_list list;
	size_t ndelete;
	uint64_t bytes;
};

static void
cleanup_start(struct tui *t, struct cleanup_state *st)
{
	struct job_cleanup_args *a = xcalloc(1, sizeof *a);

	st->at = time_now() + (time_t)st->shift_days * 86400;
	st->job_shift = st->shift_days;
	a->locations = config_location_all(t->cfg);
	a->at = st->at;
	a->dry_run = true;
	a->retain_days = a->retain_weekly = a->retain_monthly = -1;
	st->error[0] = '\0';
	st->job = tui_submit(t, &job_cleanup_type, a, false, "cleanup dry run", NULL);
}

static void
cleanup_confirm(struct tui *t, struct cleanup_state *st)
{
	struct form_spec f;
	char size[32];

	if (st->rep == NULL || st->job != 0)
		return;
	if (st->shift_days != 0) {
		tui_message(t, COL_WARN, "%s", _("another day is a dry run only: 0 returns to now"));
		return;
	}
	if (st->ndelete == 0) {
		tui_message(t, COL_OK, "%s", _("cleanup: nothing to delete"));
		return;
	}
	memset(&f, 0, sizeof f);
	format_bytes(st->bytes, size, sizeof size);
	snprintf(f.title, sizeof f.title, "%s", _("Run the cleanup?"));
	snprintf(f.text[0], sizeof f.text[0],
	    ngettext("%zu backup is deleted (%s), exactly as listed.",
	        "%zu backups are deleted (%s), exactly as listed.", st->ndelete), st->ndelete, size);
	snprintf(f.text[1], sizeof f.text[1], "%s", _("This cannot be undone."));
	f.danger = true;
	f.action.kind = ACT_CLEANUP;
	f.action.u.cleanup.at = st->at;
	f.action.u.cleanup.dry_run = false;
	tui_open_form(t, &f);
}

static int
cleanup_event(struct tui *t, struct screen *s, const struct tui_event *ev)
{
	struct cleanup_state *st = s->data;
	int n = st->rep != NULL ? (int)st->rep->n : 0;

	switch (ev->type) {
	case TUI_EV_JOB: {
		struct engine_event *e = (struct engine_event *)ev->job;

		if (e->type != ENGINE_EV_DONE)
			return 0;
		if (e->job == st->job) {
			st->job = 0;
			cleanup_report_free(st->rep);
			st->rep = NULL;
			if (e->status == 0) {
				/* Keep the report: take it from the event. */
				st->rep = e->result;
				e->result = NULL;
				st->ndelete = 0;
				st->bytes = 0;
				for (size_t i = 0; i < st->rep->n; i++)
					if (!st->rep->rows[i].keep) {
						st->ndelete++;
						st->bytes += st->rep->rows[i].bytes;
					}
			} else {
				snprintf(st->error, sizeof st->error, "%s", e->err.msg);
			}
			/* The day moved while it ran: decide for the new one. */
			if (st->job_shift != st->shift_days)
				cleanup_start(t, st);
			return SCR_REDRAW;
		}
		/* The real cleanup finished: show what is left. */
		if (e->jtype == &job_cleanup_type && st->job == 0)
			cleanup_start(t, st);
		return SCR_REDRAW;
	}
	case TUI_EV_KEY:
		break;
	default:
		return 0;
	}
	list_set_count(&st->list, (size_t)n);
	if (list_key(&st->list, ev))
		return SCR_HANDLED | SCR_REDRAW;
	if ((ev->fkey && ev->key == KEY_F(5)) || (!ev->fkey && ev->key == 'R')) {
		if (st->job == 0)
			cleanup_start(t, st);
	} else if (!ev->fkey && (ev->key == '[' || ev->key == ']' || ev->key == '0')) {
		st->shift_days = ev->key == '0' ? 0 : st->shift_days + (ev->key == ']' ? 1 : -1);
		if (st->job == 0)
			cleanup_start(t, st);
	} else if (!ev->fkey && (ev->key == 'D' || ev->key == 'y')) {
		cleanup_confirm(t, st);
	} else if (!ev->fkey && (ev->key == 'q' || ev->key == 'c' || ev->key == 27)) {
		return SCR_HANDLED | SCR_CLOSE;
	}
	return SCR_HANDLED | SCR_REDRAW;
}

static void
policy_text(const struct config_retention *p, char *out, size_t outsz)
{
	retention_policy_describe(p, out, outsz);
}

struct cleanup_draw {
	struct cleanup_state *st;
	int x, w;
};

static void
cleanup_row(void *ud, size_t i, int y, bool sel)
{
	struct cleanup_draw *d = ud;
	const struct cleanup_row *r = &d->st->rep->rows[i];
	attr_t a = sel ? theme_attr(COL_SELECTED) : A_NORMAL;
	char buf[512], size[32];
	int x = d->x + 1;

	if (sel)
		draw_fill(y, d->x, d->w, a, " ");
	draw_text(y, x, 7, sel ? a : theme_attr(r->keep ? COL_OK : COL_BAD),
	    r->keep ? _("keep") : _("DELETE"));
	x = d->x + 9;
	format_bytes(r->bytes, size, sizeof size);
	if (d->w >= 110)
		snprintf(buf, sizeof buf, "%s  %-5s  %-11s %9s  ", r->id, r->location,
		    r->type_known ? backup_type_name(r->type) : "?", size);
	else
		snprintf(buf, sizeof buf, "%s %-5s ", r->id, r->location);
	x += draw_text(y, x, d->x + d->w - x, a, buf);
	draw_text(y, x, d->x + d->w - x - 1, a, r->text);
}

static void
cleanup_draw(struct tui *t, struct screen *s)
{
	struct cleanup_state *st = s->data;
	const struct tui_rect *R = &t->lay.full;
	char buf[512], pol[256], when[32], size[32];
	int y = R->y, rows;

	draw_fill(y, R->x, R->w, theme_attr(COL_TITLE), " ");
	format_local_time(st->at, when, sizeof when);
	if (st->shift_days != 0)
		snprintf(buf, sizeof buf, _("Retention: what cleanup would do at %s (%+ld days: a "
		    "dry run)"), when, st->shift_days);
	else
		snprintf(buf, sizeof buf, _("Retention: what cleanup would do at %s"), when);
	draw_text(y++, R->x + 1, R->w - 2, theme_attr(COL_TITLE), buf);
	/* Each location with its own numbers. */
	for (size_t l = 0; l < t->cfg->nlocations; l++) {
		policy_text(&t->cfg->locations[l].retention, pol, sizeof pol);
		snprintf(buf, sizeof buf, "%s: %s", config_location_label(t->cfg, l), pol);
		y += draw_wrapped(y, R->x + 1, R->w - 2, 2, A_NORMAL, buf);
	}
	draw_rule(y++, R->x, R->w, _("Decisions"), true);
	rows = R->y + R->h - 2 - y;
	if (st->job != 0 && st->rep == NULL) {
		snprintf(buf, sizeof buf, "%s %s", draw_spinner(t),
		    _("deciding (dry run)…"));
		draw_text(y, R->x + 1, R->w - 2, theme_attr(COL_DIM), buf);
	} else if (st->error[0]) {
		draw_text(y, R->x + 1, R->w - 2, theme_attr(COL_BAD), st->error);
	} else if (st->rep != NULL) {
		for (size_t l = 0; l < CONFIG_LOCATION_MAX; l++)
			if (st->rep->skipped[l] != NULL)
				draw_printf(y++, R->x + 1, R->w - 2, theme_attr(COL_BAD),
				    _("%s could not be listed, nothing decided there: %s"),
				    st->rep->skipped_names[l], st->rep->skipped[l]);
		if (st->rep->n == 0)
			draw_text(y, R->x + 1, R->w - 2, theme_attr(COL_DIM), _("no backups"));
		{
			struct cleanup_draw d = { st, R->x, R->w };

			list_set_count(&st->list, st->rep->n);
			list_draw(&st->list, y, rows, cleanup_row, &d);
		}
	}
	format_bytes(st->bytes, size, sizeof size);
	if (st->rep != NULL)
		snprintf(buf, sizeof buf, ngettext("%zu backup would be deleted (%s).  ",
		    "%zu backups would be deleted (%s).  ", st->ndelete), st->ndelete, size);
	else
		buf[0] = '\0';
	snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s",
	    _("D: run it  [ ]: another day  Esc: back"));
	draw_fill(R->y + R->h - 1, R->x, R->w, A_NORMAL, " ");
	/* A message (a refusal, say) takes the footer for a while. */
	if (t->message_until > 0)
		draw_text(R->y + R->h - 1, R->x + 1, R->w - 2,
		    theme_attr((enum tui_color)t->message_color), t->message);
	else
		draw_text(R->y + R->h - 1, R->x + 1, R->w - 2,
		    theme_attr(st->ndelete ? COL_WARN : COL_DIM), buf);
}

static void
cleanup_free(struct screen *s)
{
	struct cleanup_state *st = s->data;

	cleanup_report_free(st->rep);
	free(st);
	free(s);
}

static const struct screen_type screen_cleanup_type = {
	.name = "cleanup",
	.overlay = false,
	.event = cleanup_event,
	.draw = cleanup_draw,
	.free = cleanup_free,
};

struct screen *
screen_cleanup_new(struct tui *t)
{
	struct screen *s = xcalloc(1, sizeof *s);
	struct cleanup_state *st = xcalloc(1, sizeof *st);

	s->type = &screen_cleanup_type;
	s->data = st;
	cleanup_start(t, st);
	return s;
}
