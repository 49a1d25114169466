/*
 * The index probe of a drill (src/drill/probe.h): a hidden command, run
 * by the drill itself in a process of its own, never by people.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "common/i18n.h"
#include "drill/probe.h"

extern const struct cmd_entry cmd_drill_probe_entry;

static int
cmd_drill_probe_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	unsigned long long limit;
	char *end;

	(void)ctx;
	if (argc != 5 || strcmp(argv[1], "--memory-limit") != 0)
		return cmd_usage_error(&cmd_drill_probe_entry, _("run by 'vsbackup drill' only"));
	errno = 0;
	limit = strtoull(argv[2], &end, 10);
	if (errno != 0 || *end != '\0')
		return cmd_usage_error(&cmd_drill_probe_entry, _("run by 'vsbackup drill' only"));
	return drill_probe_main(argv[3], argv[4], (uint64_t)limit, stdout);
}

const struct cmd_entry cmd_drill_probe_entry = {
	.name = DRILL_PROBE_COMMAND,
	.usage = "--memory-limit BYTES REQUEST INDEX",
	.summary = N_("load an index for a drill (run by vsbackup drill)"),
	.flags = CMD_HIDDEN,
	.exec = cmd_drill_probe_exec,
};
