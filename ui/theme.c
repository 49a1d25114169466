/*
 * Colours named by meaning (TUI_COLORS in tui.h) mapped to colour pairs,
 * or to plain attributes on a monochrome terminal and when NO_COLOR is
 * set (https://no-color.org: any non-empty value). Glyphs: UTF-8 line
 * drawing when the locale speaks UTF-8, ASCII otherwise.
 */
#include "config.h"

#include <langinfo.h>
#include <stdlib.h>
#include <string.h>

#include "ui/tui.h"

static attr_t theme_attrs[COL__COUNT];
static bool theme_is_utf8;

static const char *const spinner_utf8[] = { "⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏" };
static const char *const spinner_ascii[] = { "|", "/", "-", "\\" };

static const struct tui_glyphs glyphs_utf8 = {
	.hline = "─", .vline = "│", .bar_done = "█", .bar_todo = "░", .tick = "✓",
	.cross = "✗", .arrow = "▶", .pending = "·", .up = "▲", .down = "▼",
	.ellipsis = "…", .warn = "!", .tl = "┌", .tr = "┐", .bl = "└", .br = "┘",
	.spinner = spinner_utf8, .nspinner = 10,
};

static const struct tui_glyphs glyphs_ascii = {
	.hline = "-", .vline = "|", .bar_done = "#", .bar_todo = ".", .tick = "+",
	.cross = "x", .arrow = ">", .pending = ".", .up = "^", .down = "v",
	.ellipsis = "~", .warn = "!", .tl = "+", .tr = "+", .bl = "+", .br = "+",
	.spinner = spinner_ascii, .nspinner = 4,
};

void
theme_init(void)
{
	static const struct {
		short fg, bg;
		attr_t attr, mono;
	} table[] = {
#define X(name, fg, bg, attr, mono) [name] = { fg, bg, attr, mono },
		TUI_COLORS(X)
#undef X
	};
	const char *nc = getenv("NO_COLOR");
	bool colour = (nc == NULL || *nc == '\0') && has_colors();

	theme_is_utf8 = format_utf8();
	if (colour) {
		start_color();
		use_default_colors();
	}
	for (int i = 0; i < COL__COUNT; i++) {
		if (!colour) {
			theme_attrs[i] = table[i].mono;
			continue;
		}
		if (table[i].fg == -1 && table[i].bg == -1) {
			theme_attrs[i] = table[i].attr;
			continue;
		}
		init_pair((short)(i + 1), table[i].fg, table[i].bg);
		theme_attrs[i] = COLOR_PAIR(i + 1) | table[i].attr;
	}
}

attr_t
theme_attr(enum tui_color c)
{
	return theme_attrs[c];
}

const struct tui_glyphs *
theme_glyphs(void)
{
	return theme_is_utf8 ? &glyphs_utf8 : &glyphs_ascii;
}

bool
theme_utf8(void)
{
	return theme_is_utf8;
}
