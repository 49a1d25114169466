/*
 * The log, full screen: every line wrapped to the width, so an error too
 * long for its pane can be read whole; it follows the newest lines until
 * scrolled back. / searches (n and N go to the next and the previous
 * match); Esc or q closes.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wctype.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "ui/list.h"
#include "ui/tui.h"

struct log_state {
	struct tui_list view;
	struct tui_lines lines;      /* tag: the log line they come from */
	unsigned seq;                /* the log as the lines were built */
	size_t nlog;
	int width;
	bool follow;                 /* at the end: stay at the newest line */
	bool searching;
	char pattern[64];
	char typed[64];
};

static void
logv_build(struct tui *t, struct log_state *st, int w)
{
	lines_clear(&st->lines);
	for (size_t i = 0; i < t->m.log_n; i++) {
		const struct tui_logline *l = model_log_line(&t->m, i);
		struct tm tm;
		char ts[16], *text;
		attr_t a = l->level == VS_LOG_ERROR ? theme_attr(COL_BAD) :
		    l->level == VS_LOG_WARN ? theme_attr(COL_WARN) : A_NORMAL;

		localtime_r(&l->at, &tm);
		strftime(ts, sizeof ts, "%H:%M:%S", &tm);
		text = xasprintf("%s %s", ts, l->text);
		lines_add(&st->lines, w, 0, 9, a, (int)i, text);
		free(text);
	}
	st->seq = t->m.log_seq;
	st->nlog = t->m.log_n;
	st->width = w;
	list_set_count(&st->view, st->lines.n);
	if (st->follow)
		list_end(&st->view);
}

/* Case-insensitive substring. */
static bool
logv_match(const char *text, const char *pat)
{
	size_t n = strlen(pat);

	for (; *text; text++) {
		size_t i = 0;

		while (i < n && text[i] && tolower((unsigned char)text[i]) ==
		    tolower((unsigned char)pat[i]))
			i++;
		if (i == n)
			return true;
	}
	return n == 0;
}

/* Scroll to the next (dir 1) or previous (-1) line matching the pattern. */
static bool
logv_find(struct tui *t, struct log_state *st, int dir)
{
	long n = (long)st->lines.n, from = (long)st->view.top + (dir > 0 ? 1 : -1);

	if (st->pattern[0] == '\0')
		return false;
	for (long i = from; i >= 0 && i < n; i += dir) {
		if (logv_match(st->lines.v[i].text, st->pattern)) {
			st->view.top = (size_t)i;
			list_set_height(&st->view, st->view.h);
			st->follow = false;
			return true;
		}
	}
	tui_message(t, COL_WARN, _("\"%s\" is not found further"), st->pattern);
	return false;
}

static int
logv_event(struct tui *t, struct screen *s, const struct tui_event *ev)
{
	struct log_state *st = s->data;
	size_t len;

	if (ev->type == TUI_EV_MODEL || ev->type == TUI_EV_JOB)
		return st->seq != t->m.log_seq ? SCR_REDRAW : 0;
	if (ev->type != TUI_EV_KEY)
		return 0;
	if (st->searching) {
		len = strlen(st->typed);
		if (!ev->fkey && (ev->key == '\n' || ev->key == '\r')) {
			st->searching = false;
			snprintf(st->pattern, sizeof st->pattern, "%s", st->typed);
			logv_find(t, st, 1);
		} else if (!ev->fkey && ev->key == 27) {
			st->searching = false;
		} else if ((ev->fkey && ev->key == KEY_BACKSPACE) ||
		    (!ev->fkey && (ev->key == 127 || ev->key == 8))) {
			if (len > 0)
				st->typed[len - 1] = '\0';
		} else if (!ev->fkey && ev->key < 128 && iswprint((wint_t)ev->key) &&
		    len + 1 < sizeof st->typed) {
			st->typed[len] = (char)ev->key;
			st->typed[len + 1] = '\0';
		}
		return SCR_HANDLED | SCR_REDRAW;
	}
	if (list_key(&st->view, ev)) {
		st->follow = list_bottom(&st->view) >= st->view.n;
		return SCR_HANDLED | SCR_REDRAW;
	}
	if (ev->fkey)
		return SCR_HANDLED;
	switch (ev->key) {
	case '/':
		st->searching = true;
		st->typed[0] = '\0';
		break;
	case 'n':
		logv_find(t, st, 1);
		break;
	case 'N':
		logv_find(t, st, -1);
		break;
	case 'q':
	case 'L':
	case 27:
		return SCR_HANDLED | SCR_CLOSE;
	}
	return SCR_HANDLED | SCR_REDRAW;
}

struct log_draw {
	struct log_state *st;
	int x, w;
};

static void
logv_row(void *ud, size_t i, int y, bool sel)
{
	struct log_draw *d = ud;
	const struct tui_line *l = &d->st->lines.v[i];
	attr_t a = l->attr;

	(void)sel;
	if (d->st->pattern[0] && logv_match(l->text, d->st->pattern))
		a |= A_REVERSE;
	draw_text(y, d->x + l->indent, d->w - l->indent, a, l->text);
}

static void
logv_draw(struct tui *t, struct screen *s)
{
	struct log_state *st = s->data;
	const struct tui_rect *R = &t->lay.full;
	struct log_draw d = { st, R->x + 1, R->w - 2 };
	char range[64], buf[256];

	if (st->width != d.w || st->seq != t->m.log_seq)
		logv_build(t, st, d.w);
	draw_fill(R->y, R->x, R->w, theme_attr(COL_TITLE), " ");
	draw_text(R->y, R->x + 1, R->w - 2, theme_attr(COL_TITLE),
	    _("Log (/ searches, n N: next, previous; q or Esc closes)"));
	list_draw(&st->view, R->y + 1, R->h - 2, logv_row, &d);
	if (st->follow)
		list_end(&st->view);
	draw_fill(R->y + R->h - 1, R->x, R->w, A_NORMAL, " ");
	if (st->searching) {
		int x = draw_seg(R->y + R->h - 1, R->x + 1, R->x + R->w, theme_attr(COL_HEADING),
		    _("Search: "));

		x = draw_seg(R->y + R->h - 1, x, R->x + R->w, theme_attr(COL_INPUT), st->typed);
		draw_seg(R->y + R->h - 1, x, R->x + R->w, theme_attr(COL_SELECTED), " ");
		return;
	}
	list_range_text(&st->view, range, sizeof range);
	if (st->pattern[0])
		snprintf(buf, sizeof buf, _("lines %s  search \"%s\""), range, st->pattern);
	else
		snprintf(buf, sizeof buf, _("lines %s"), range);
	draw_text(R->y + R->h - 1, R->x + 1, R->w - 2, theme_attr(COL_DIM), buf);
}

static void
logv_free(struct screen *s)
{
	struct log_state *st = s->data;

	lines_clear(&st->lines);
	free(st);
	free(s);
}

static const struct screen_type screen_log_type = {
	.name = "log",
	.overlay = false,
	.event = logv_event,
	.draw = logv_draw,
	.free = logv_free,
};

struct screen *
screen_log_new(struct tui *t)
{
	struct screen *s = xcalloc(1, sizeof *s);
	struct log_state *st = xcalloc(1, sizeof *st);

	(void)t;
	st->view.viewer = true;
	st->follow = true;
	s->type = &screen_log_type;
	s->data = st;
	return s;
}
