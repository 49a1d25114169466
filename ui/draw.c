/*
 * Drawing helpers on stdscr: text clipped to a width in display columns
 * (so translations with accents or wide characters never spill into the
 * next pane), rules, bars, boxes, and the formatting the screens share.
 * UI thread only.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "common/i18n.h"
#include "common/timeutil.h"
#include "ui/tui.h"

#define DRAW_MAX 1024

/* Decode s into wide characters, replacing undecodable bytes with '?'. */
static size_t
draw_decode(const char *s, wchar_t *out, size_t max)
{
	mbstate_t st;
	size_t n = 0, len = strlen(s);

	memset(&st, 0, sizeof st);
	while (len > 0 && n < max) {
		wchar_t wc;
		size_t r = mbrtowc(&wc, s, len, &st);

		if (r == (size_t)-1 || r == (size_t)-2) {
			memset(&st, 0, sizeof st);
			wc = L'?';
			r = 1;
		} else if (r == 0) {
			break;
		}
		if (wc == L'\t' || wc == L'\n' || wc == L'\r')
			wc = L' ';
		else if (wc < 32)
			wc = L'?';
		out[n++] = wc;
		s += r;
		len -= r;
	}
	return n;
}

static int
wc_cols(wchar_t wc)
{
	int c = wcwidth(wc);

	return c < 0 ? 1 : c;
}

int
draw_width(const char *s)
{
	wchar_t buf[DRAW_MAX];
	size_t n = draw_decode(s, buf, DRAW_MAX);
	int w = 0;

	for (size_t i = 0; i < n; i++)
		w += wc_cols(buf[i]);
	return w;
}

/* Clip to w columns; returns the characters kept and their columns. */
static size_t
draw_clip(wchar_t *buf, size_t n, int w, int *cols)
{
	int used = 0, total = 0;
	size_t i;

	for (i = 0; i < n; i++)
		total += wc_cols(buf[i]);
	if (total <= w) {
		*cols = total;
		return n;
	}
	/* Leave one column for the ellipsis. */
	for (i = 0; i < n && used + wc_cols(buf[i]) <= w - 1; i++)
		used += wc_cols(buf[i]);
	if (w >= 1) {
		wchar_t e[4];
		size_t en = draw_decode(theme_glyphs()->ellipsis, e, 4);

		if (en == 1) {
			buf[i++] = e[0];
			used++;
		}
	}
	*cols = used;
	return i;
}

int
draw_text(int y, int x, int w, attr_t attr, const char *s)
{
	wchar_t buf[DRAW_MAX];
	size_t n;
	int cols;

	if (w <= 0 || y < 0 || y >= LINES || x >= COLS || s == NULL)
		return 0;
	if (x + w > COLS)
		w = COLS - x;
	n = draw_decode(s, buf, DRAW_MAX);
	n = draw_clip(buf, n, w, &cols);
	attrset(attr);
	mvaddnwstr(y, x, buf, (int)n);
	attrset(A_NORMAL);
	return cols;
}

int
draw_text_right(int y, int x, int w, attr_t attr, const char *s)
{
	int sw = draw_width(s);

	if (sw < w)
		return draw_text(y, x + w - sw, sw, attr, s);
	return draw_text(y, x, w, attr, s);
}

int
draw_printf(int y, int x, int w, attr_t attr, const char *fmt, ...)
{
	char buf[DRAW_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return draw_text(y, x, w, attr, buf);
}

void
draw_fill(int y, int x, int w, attr_t attr, const char *glyph)
{
	if (y < 0 || y >= LINES || x >= COLS)
		return;
	if (x + w > COLS)
		w = COLS - x;
	attrset(attr);
	move(y, x);
	for (int i = 0; i < w; i++)
		addstr(glyph != NULL ? glyph : " ");
	attrset(A_NORMAL);
}

void
draw_rule(int y, int x, int w, const char *title, bool focus)
{
	attr_t a = theme_attr(focus ? COL_PANE_FOCUS : COL_PANE);
	const struct tui_glyphs *g = theme_glyphs();
	int used = 0;

	draw_fill(y, x, w, a, g->hline);
	if (title != NULL && *title != '\0' && w > 6) {
		char t[256];

		snprintf(t, sizeof t, " %s ", title);
		used = draw_text(y, x + 2, w - 4, a | (focus ? A_BOLD : 0), t);
	}
	(void)used;
}

void
draw_bar(int y, int x, int w, double frac)
{
	const struct tui_glyphs *g = theme_glyphs();
	int done;

	if (w <= 0)
		return;
	if (frac < 0)
		frac = 0;
	if (frac > 1)
		frac = 1;
	done = (int)(frac * w + 0.5);
	draw_fill(y, x, done, theme_attr(COL_BAR_DONE), g->bar_done);
	draw_fill(y, x + done, w - done, theme_attr(COL_BAR_TODO), g->bar_todo);
}

void
draw_box(int y, int x, int h, int w, const char *title)
{
	const struct tui_glyphs *g = theme_glyphs();
	attr_t a = theme_attr(COL_DIALOG);

	if (h < 2 || w < 4)
		return;
	for (int r = 1; r < h - 1; r++) {
		draw_text(y + r, x, 1, a, g->vline);
		draw_fill(y + r, x + 1, w - 2, a, " ");
		draw_text(y + r, x + w - 1, 1, a, g->vline);
	}
	draw_text(y, x, 1, a, g->tl);
	draw_fill(y, x + 1, w - 2, a, g->hline);
	draw_text(y, x + w - 1, 1, a, g->tr);
	draw_text(y + h - 1, x, 1, a, g->bl);
	draw_fill(y + h - 1, x + 1, w - 2, a, g->hline);
	draw_text(y + h - 1, x + w - 1, 1, a, g->br);
	if (title != NULL && *title != '\0') {
		char t[256];

		snprintf(t, sizeof t, " %s ", title);
		draw_text(y, x + 2, w - 4, theme_attr(COL_DIALOG_TITLE), t);
	}
}

int
draw_wrapped(int y, int x, int w, int maxrows, attr_t attr, const char *s)
{
	char line[DRAW_MAX];
	int rows = 0;

	while (*s != '\0' && rows < maxrows) {
		size_t len = strlen(s), cut = len, best = 0;

		if (draw_width(s) > w) {
			for (size_t i = 1; i < len && i < sizeof line; i++) {
				if (s[i] != ' ')
					continue;
				snprintf(line, sizeof line, "%.*s", (int)i, s);
				if (draw_width(line) > w)
					break;
				best = i;
			}
			cut = best > 0 ? best : (size_t)w < len ? (size_t)w : len;
		}
		/* The last row takes the rest, ending in an ellipsis. */
		if (rows == maxrows - 1)
			cut = len;
		snprintf(line, sizeof line, "%.*s", (int)cut, s);
		if (y >= 0)
			draw_text(y + rows, x, w, attr, line);
		rows++;
		s += cut;
		while (*s == ' ')
			s++;
	}
	return rows;
}

int
draw_seg(int y, int x, int end, attr_t a, const char *s)
{
	if (x >= end)
		return x;
	return x + draw_text(y, x, end - x, a, s);
}

const char *
draw_spinner(const struct tui *t)
{
	const struct tui_glyphs *g = theme_glyphs();

	return g->spinner[t->tick % (unsigned)g->nspinner];
}

void
fmt_local_time_short(time_t t, char *out, size_t outsz)
{
	struct tm tm;

	if (t == 0) {
		snprintf(out, outsz, "-");
		return;
	}
	localtime_r(&t, &tm);
	strftime(out, outsz, "%Y-%m-%d %H:%M", &tm);
}

void
fmt_duration(double seconds, char *out, size_t outsz)
{
	format_seconds(seconds, out, outsz);
}

double
tui_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
