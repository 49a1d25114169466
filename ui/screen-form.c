/*
 * A dialog: a title, a few lines of text, up to FORM_MAX_FIELDS choice
 * fields and an accept/cancel. The spec's update function turns the field
 * values into its typed action (and may reword the text to follow them);
 * on accept the dialog hands the action to tui_act() and knows nothing of
 * what it does. Dialogs that delete or quit (danger) accept only 'y', so a
 * stray Enter cannot confirm them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "ui/tui.h"

struct form_state {
	struct form_spec spec;
	int field;
	/* The choices' text, copied when the form opens: a location's label
	 * lives in the catalog, which a list read while the form is open
	 * replaces. */
	char *choice_text[FORM_MAX_FIELDS][FORM_MAX_CHOICES];
};

int
form_value(const struct form_spec *f, int i)
{
	const struct form_field *ff = &f->fields[i];

	return i < f->nfields && ff->value >= 0 && ff->value < ff->nchoices ? ff->vals[ff->value] : 0;
}

static void
form_update(struct tui *t, struct form_state *st)
{
	if (st->spec.update != NULL)
		st->spec.update(t, &st->spec);
}

static int
form_accept(struct tui *t, struct form_state *st)
{
	struct tui_action a;

	form_update(t, st);
	a = st->spec.action;
	/* Closed first: the action may open another dialog. */
	tui_act(t, &a);
	return SCR_HANDLED | SCR_CLOSE | SCR_REDRAW;
}

static int
form_event(struct tui *t, struct screen *s, const struct tui_event *ev)
{
	struct form_state *st = s->data;
	struct form_field *f = st->spec.nfields > 0 ? &st->spec.fields[st->field] : NULL;
	int key = ev->key;

	if (ev->type != TUI_EV_KEY)
		return 0;
	if (ev->fkey) {
		switch (key) {
		case KEY_UP:
		case KEY_BTAB:
			if (st->field > 0)
				st->field--;
			break;
		case KEY_DOWN:
			if (st->field + 1 < st->spec.nfields)
				st->field++;
			break;
		case KEY_LEFT:
			if (f != NULL)
				f->value = (f->value + f->nchoices - 1) % f->nchoices;
			form_update(t, st);
			break;
		case KEY_RIGHT:
			if (f != NULL)
				f->value = (f->value + 1) % f->nchoices;
			form_update(t, st);
			break;
		case KEY_ENTER:
			if (!st->spec.danger)
				return form_accept(t, st);
			break;
		}
		return SCR_HANDLED | SCR_REDRAW;
	}
	switch (key) {
	case '\t':
		if (st->spec.nfields > 0)
			st->field = (st->field + 1) % st->spec.nfields;
		break;
	case ' ':
	case 'l':
		if (f != NULL)
			f->value = (f->value + 1) % f->nchoices;
		form_update(t, st);
		break;
	case 'h':
		if (f != NULL)
			f->value = (f->value + f->nchoices - 1) % f->nchoices;
		form_update(t, st);
		break;
	case '\r':
	case '\n':
		if (!st->spec.danger)
			return form_accept(t, st);
		break;
	case 'y':
	case 'Y':
		return form_accept(t, st);
	case 'n':
	case 'N':
	case 'q':
	case 27:
	case 3:
		return SCR_HANDLED | SCR_CLOSE | SCR_REDRAW;
	}
	return SCR_HANDLED | SCR_REDRAW;
}

static void
form_draw(struct tui *t, struct screen *s)
{
	struct form_state *st = s->data;
	const struct tui_rect *D = &t->lay.dialog;
	int ntext = 0, h, y, x = D->x + 2, w = D->w - 4;
	char buf[256];

	/* Text rows as wrapped (translations run longer than English). */
	for (int i = 0; i < FORM_MAX_TEXT; i++)
		if (st->spec.text[i][0])
			ntext += draw_wrapped(-1, x, w, 3, A_NORMAL, st->spec.text[i]);
	h = 2 + ntext + (ntext ? 1 : 0) + st->spec.nfields + (st->spec.nfields ? 1 : 0) + 1;
	if (h > D->h)
		h = D->h;
	y = D->y + (D->h - h) / 2;
	draw_box(y, D->x, h, D->w, st->spec.title);
	y++;
	for (int i = 0; i < FORM_MAX_TEXT; i++)
		if (st->spec.text[i][0])
			y += draw_wrapped(y, x, w, 3, theme_attr(i >= 1 && st->spec.danger ? COL_WARN :
			    COL_DIALOG), st->spec.text[i]);
	if (ntext)
		y++;
	for (int i = 0; i < st->spec.nfields; i++) {
		const struct form_field *f = &st->spec.fields[i];
		int cx = x;

		draw_text(y, cx, 16, theme_attr(i == st->field ? COL_HEADING : COL_DIALOG), f->label);
		cx += 17;
		for (int c = 0; c < f->nchoices; c++) {
			bool on = c == f->value;

			snprintf(buf, sizeof buf, on ? "[%s]" : " %s ", f->choices[c]);
			cx += draw_text(y, cx, x + w - cx, on ? theme_attr(i == st->field ? COL_SELECTED :
			    COL_HEADING) : theme_attr(COL_DIALOG), buf) + 1;
		}
		y++;
	}
	if (st->spec.nfields)
		y++;
	if (st->spec.danger)
		snprintf(buf, sizeof buf, "%s", st->spec.nfields ?
		    _("y: yes, do it   n or Esc: no   Left/Right: change   Up/Down: field") :
		    _("y: yes, do it   n or Esc: no"));
	else
		snprintf(buf, sizeof buf, "%s", st->spec.nfields ?
		    _("Enter: start   Esc: cancel   Left/Right: change   Up/Down: field") :
		    _("Enter: yes   Esc: cancel"));
	draw_text(y, x, w, theme_attr(st->spec.danger ? COL_WARN : COL_DIM), buf);
}

static void
form_free(struct screen *s)
{
	struct form_state *st = s->data;

	for (int i = 0; i < FORM_MAX_FIELDS; i++)
		for (int c = 0; c < FORM_MAX_CHOICES; c++)
			free(st->choice_text[i][c]);
	free(st);
	free(s);
}

static const struct screen_type screen_form_type = {
	.name = "form",
	.overlay = true,
	.event = form_event,
	.draw = form_draw,
	.free = form_free,
};

struct screen *
screen_form_new(struct tui *t, const struct form_spec *spec)
{
	struct screen *s = xcalloc(1, sizeof *s);
	struct form_state *st = xcalloc(1, sizeof *st);

	st->spec = *spec;
	for (int i = 0; i < st->spec.nfields && i < FORM_MAX_FIELDS; i++) {
		struct form_field *f = &st->spec.fields[i];

		for (int c = 0; c < f->nchoices && c < FORM_MAX_CHOICES; c++)
			f->choices[c] = st->choice_text[i][c] = xstrdup(f->choices[c] != NULL ?
			    f->choices[c] : "");
	}
	form_update(t, st);
	s->type = &screen_form_type;
	s->data = st;
	return s;
}
