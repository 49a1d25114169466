/*
 * The screen stack: screens are pushed above each other (a dialog over the
 * main screen, help, the wizard) and see each event top first; the flags
 * an event handler returns say what the application does next.
 */
#include "config.h"

#include <string.h>

#include "ui/tui.h"

void
tui_push(struct tui *t, struct screen *s)
{
	if (t->nstack == TUI_MAX_SCREENS) {
		s->type->free(s);
		return;
	}
	t->stack[t->nstack++] = s;
	t->dirty = true;
}

void
tui_pop_screen(struct tui *t, struct screen *s)
{
	for (int i = 0; i < t->nstack; i++) {
		if (t->stack[i] != s)
			continue;
		memmove(&t->stack[i], &t->stack[i + 1], (size_t)(t->nstack - i - 1) * sizeof s);
		t->nstack--;
		s->type->free(s);
		t->dirty = true;
		return;
	}
}

void
tui_open_form(struct tui *t, const struct form_spec *spec)
{
	tui_push(t, screen_form_new(t, spec));
}

void
tui_open_help(struct tui *t)
{
	tui_push(t, screen_help_new(t));
}

void
tui_open_cleanup(struct tui *t)
{
	tui_push(t, screen_cleanup_new(t));
}

void
tui_open_restore(struct tui *t, const char *id)
{
	tui_push(t, screen_restore_new(t, id));
}

bool
tui_flags(struct tui *t, struct screen *s, int flags)
{
	if (flags & SCR_RESIZE)
		tui_layout(t);
	if (flags & SCR_REDRAW)
		t->dirty = true;
	if (flags & SCR_CLOSE)
		tui_pop_screen(t, s);
	if (flags & SCR_QUIT)
		t->quit = true;
	return t->quit;
}

void
tui_broadcast(struct tui *t, const struct tui_event *ev)
{
	struct screen *copy[TUI_MAX_SCREENS];
	int n = t->nstack;

	memcpy(copy, t->stack, (size_t)n * sizeof copy[0]);
	for (int i = n - 1; i >= 0; i--) {
		bool still = false;

		for (int k = 0; k < t->nstack; k++)
			still |= t->stack[k] == copy[i];
		if (still)
			tui_flags(t, copy[i], copy[i]->type->event(t, copy[i], ev));
	}
}

