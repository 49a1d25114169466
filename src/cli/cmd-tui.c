/* vsbackup tui: the ncurses front end (also what "vsbackup" alone opens on
 * a terminal). */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "common/i18n.h"
#include "common/log.h"
#include "ui/tui.h"

extern const struct cmd_entry cmd_tui_entry;

static int
cmd_tui_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	int rc;

	if ((rc = cmd_parse_options(ctx, &cmd_tui_entry, argc, argv, NULL, NULL, NULL, NULL)) >= 0)
		return rc;
	if ((rc = cmd_no_operands(&cmd_tui_entry, argc, argv)) != 0)
		return rc;
	if (ctx->json)
		return cmd_usage_error(&cmd_tui_entry, _("the TUI has no JSON output; use the commands "
		    "(vsbackup list --json, ...)"));
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		cmd_error(ctx, _("the TUI needs a terminal on standard input and output; use the "
		    "commands instead (vsbackup --help)"));
		return VS_EXIT_USAGE;
	}
	/* What reading the configuration warns about goes to the TUI's log
	 * pane: printed now, curses would draw over it or hide it. */
	log_hold();
	if (cmd_load_config(ctx) != 0) {
		log_release(NULL);
		return VS_EXIT_FAILURE;
	}
	return tui_run(ctx->cfg);
}

const struct cmd_entry cmd_tui_entry = {
	.name = "tui",
	.usage = "",
	.summary = N_("the interactive terminal interface (the default on a terminal)"),
	.help = N_("Shows the backups (local and S3), the state of Redis, S3 and the disk, and\n"
	           "the age of the newest backup against the RPO; runs backups, verifications,\n"
	           "restores (a guided wizard), uploads, downloads, deletions and cleanup as\n"
	           "jobs, several at a time, each in its own pane with its progress. Press ?\n"
	           "inside for the keys. Works from 80x24 up; NO_COLOR=1 turns colours off,\n"
	           "VSBACKUP_ASCII=1 draws lines in plain ASCII.\n"),
	.flags = CMD_NEEDS_CONFIG,
	.exec = cmd_tui_exec,
};
