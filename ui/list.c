#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "ui/list.h"
#include "ui/tui.h"

static void
list_clamp(struct tui_list *l)
{
	size_t h = l->h > 0 ? (size_t)l->h : 1;

	if (l->n == 0) {
		l->sel = l->top = 0;
		return;
	}
	if (l->sel >= l->n)
		l->sel = l->n - 1;
	if (!l->viewer) {
		if (l->sel < l->top)
			l->top = l->sel;
		if (l->sel >= l->top + h)
			l->top = l->sel - h + 1;
	}
	/* No empty lines below the last row while rows are hidden above. */
	if (l->top + h > l->n)
		l->top = l->n > h ? l->n - h : 0;
}

void
list_set_count(struct tui_list *l, size_t n)
{
	l->n = n;
	list_clamp(l);
}

void
list_set_height(struct tui_list *l, int h)
{
	l->h = h > 0 ? h : 1;
	list_clamp(l);
}

void
list_select(struct tui_list *l, long i)
{
	if (i < 0)
		i = 0;
	l->sel = (size_t)i;
	list_clamp(l);
}

void
list_move(struct tui_list *l, long delta)
{
	if (l->viewer) {
		long top = (long)l->top + delta;

		l->top = top < 0 ? 0 : (size_t)top;
		list_clamp(l);
		return;
	}
	list_select(l, (long)l->sel + delta);
}

void
list_home(struct tui_list *l)
{
	l->top = 0;
	list_select(l, 0);
}

void
list_end(struct tui_list *l)
{
	if (l->viewer)
		l->top = l->n;
	list_select(l, l->n > 0 ? (long)l->n - 1 : 0);
}

size_t
list_bottom(const struct tui_list *l)
{
	size_t end = l->top + (size_t)(l->h > 0 ? l->h : 1);

	return end < l->n ? end : l->n;
}

bool
list_key(struct tui_list *l, const struct tui_event *ev)
{
	long page = l->h > 1 ? (l->viewer ? l->h : l->h - 1) : 1;

	if (ev->fkey) {
		switch (ev->key) {
		case KEY_UP:
			list_move(l, -1);
			return true;
		case KEY_DOWN:
			list_move(l, 1);
			return true;
		case KEY_PPAGE:
			list_move(l, -page);
			return true;
		case KEY_NPAGE:
			list_move(l, page);
			return true;
		case KEY_HOME:
			list_home(l);
			return true;
		case KEY_END:
			list_end(l);
			return true;
		}
		return false;
	}
	switch (ev->key) {
	case 'k':
		list_move(l, -1);
		return true;
	case 'j':
		list_move(l, 1);
		return true;
	case ' ':
		list_move(l, page);
		return true;
	case 'g':
		list_home(l);
		return true;
	case 'G':
		list_end(l);
		return true;
	}
	return false;
}

void
list_range_text(const struct tui_list *l, char *buf, size_t bufsz)
{
	/* TRANSLATORS: rows shown of a list: "1-20 of 45". */
	snprintf(buf, bufsz, _("%zu-%zu of %zu"), l->n ? l->top + 1 : 0, list_bottom(l), l->n);
}

void
list_draw(struct tui_list *l, int y, int h, list_row_fn *fn, void *ud)
{
	list_set_height(l, h);
	for (size_t i = l->top; i < list_bottom(l); i++)
		fn(ud, i, y + (int)(i - l->top), !l->viewer && i == l->sel);
}

/* --- wrapped text --- */

void
lines_clear(struct tui_lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].text);
	free(l->v);
	memset(l, 0, sizeof *l);
}

static void
lines_push(struct tui_lines *l, attr_t a, int tag, int indent, const char *s, size_t len)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 32;
		l->v = xreallocarray(l->v, l->cap, sizeof *l->v);
	}
	l->v[l->n].attr = a;
	l->v[l->n].tag = tag;
	l->v[l->n].indent = indent;
	l->v[l->n].text = xstrndup(s, len);
	l->n++;
}

void
lines_add(struct tui_lines *l, int w, int indent, int cont, attr_t a, int tag, const char *s)
{
	bool first = true;

	if (*s == '\0') {
		lines_push(l, a, tag, indent, "", 0);
		return;
	}
	while (*s != '\0') {
		int avail = w - indent - (first ? 0 : cont);
		size_t len = strlen(s), cut = len, best = 0;
		char buf[1024];

		if (avail < 8)
			avail = 8;
		if (draw_width(s) > avail) {
			for (size_t i = 1; i < len && i < sizeof buf; i++) {
				if (s[i] != ' ')
					continue;
				snprintf(buf, sizeof buf, "%.*s", (int)i, s);
				if (draw_width(buf) > avail)
					break;
				best = i;
			}
			cut = best > 0 ? best : (size_t)avail < len ? (size_t)avail : len;
		}
		lines_push(l, a, tag, indent + (first ? 0 : cont), s, cut);
		first = false;
		s += cut;
		while (*s == ' ')
			s++;
	}
}
