#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/output.h"
#include "cli/run-job.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "jobs/jobs.h"

extern const struct cmd_entry cmd_delete_entry;

struct cmd_delete_options {
	bool yes;
	struct cli_where where;
};

static const struct option cmd_delete_longopts[] = {
	{ "yes", no_argument, NULL, 'y' },
	{ "location", required_argument, NULL, 'l' },
	CMD_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static int
cmd_delete_option(const struct cmd_entry *self, void *ud, int opt, const char *arg)
{
	struct cmd_delete_options *opts = ud;

	switch (opt) {
	case 'y':
		opts->yes = true;
		break;
	case 'l':
		return cli_where_option(self, &opts->where, opt, arg);
	}
	return 0;
}

static int
cmd_delete_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *self = &cmd_delete_entry;
	struct cmd_delete_options opts = { .where.local = true };
	struct job_delete_args *args;
	struct engine_event *done;
	char id[BACKUP_ID_SIZE], *question;
	bool asked;
	int rc;

	if ((rc = cmd_parse_options(ctx, self, argc, argv, "y", cmd_delete_longopts,
	    cmd_delete_option, &opts)) >= 0)
		return rc;
	if ((rc = cli_take_id(self, argc, argv, id)) != 0)
		return rc;
	if (cmd_load_config(ctx) != 0)
		return 1;
	if (!opts.yes) {
		question = xasprintf(_("Delete backup %s from %s? This cannot be undone."), id,
		    opts.where.local && opts.where.s3 ? _("local storage and S3") : opts.where.s3 ? "S3" : ctx->cfg->backup_dir);
		asked = cmd_confirm(question);
		free(question);
		if (!asked) {
			cmd_error(ctx, _("not deleted: confirm with --yes (or answer y on a terminal)"));
			return VS_EXIT_USAGE;
		}
	}
	args = xcalloc(1, sizeof *args);
	snprintf(args->id, sizeof args->id, "%s", id);
	args->local = opts.where.local;
	args->s3 = opts.where.s3;
	ctx->stream_events = true;
	rc = cli_run(ctx, &job_delete_type, args, &done);
	if (rc == VS_EXIT_OK && !ctx->quiet && !ctx->json)
		printf(_("deleted %s\n"), id);
	engine_event_free(done);
	return rc;
}

const struct cmd_entry cmd_delete_entry = {
	.name = "delete",
	.usage = N_("ID [--yes] [--location local|s3|all]"),
	.summary = N_("delete a backup"),
	.help = N_("Asks for confirmation on a terminal; elsewhere --yes is required (exit 2\n"
	           "without it). metadata.json goes first, so a half-deleted backup is never\n"
	           "listed as complete. Takes the backup_dir lock.\n"
	           "\n  --yes         do not ask\n"
	           "  --location L  local (default), s3 or all\n"),
	.flags = CMD_NEEDS_CONFIG,
	.exec = cmd_delete_exec,
};
