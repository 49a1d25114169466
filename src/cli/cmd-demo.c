#include "config.h"

#include <stdio.h>

#include "cli/cmd.h"
#include "common/i18n.h"

static int
cmd_demo_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	(void)ctx; (void)argc; (void)argv;
	fprintf(stderr, "%s\n", _("not yet"));
	return 1;
}

const struct cmd_entry cmd_demo_entry = {
	.name = "demo",
	.usage = N_("[--dir DIR] [--vectors N] [--users M] [--dim D] [--no-tui] [--stop]"),
	.summary = N_("create a self-contained demo: a private Redis and two FAISS indexes"),
	.exec = cmd_demo_exec,
};
