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

extern const struct cmd_entry cmd_pin_entry, cmd_unpin_entry;

static const struct option cmd_pin_longopts[] = {
	CLI_LOCATION_OPTION,
	CMD_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static int
pin_exec(struct cmd_ctx *ctx, const struct cmd_entry *self, bool pin, int argc, char **argv)
{
	struct cli_where opts = { 0 };
	unsigned locs;
	struct job_pin_args *args;
	struct engine_event *done;
	char id[BACKUP_ID_SIZE];
	int rc;

	if ((rc = cmd_parse_options(ctx, self, argc, argv, NULL, cmd_pin_longopts,
	    cli_where_option, &opts)) >= 0)
		return rc;
	if ((rc = cli_take_id(ctx, self, argc, argv, id)) != 0)
		return rc;
	if (cmd_load_config(ctx) != 0)
		return 1;
	if ((rc = cli_where_set(ctx, self, "--location", opts.location,
	    config_location_all(ctx->cfg), &locs)) != 0)
		return rc;
	args = xcalloc(1, sizeof *args);
	snprintf(args->id, sizeof args->id, "%s", id);
	args->pin = pin;
	args->locations = locs;
	ctx->stream_events = true;
	rc = cli_run(ctx, &job_pin_type, args, &done);
	engine_event_free(done);
	return rc;
}

static int
cmd_pin_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	return pin_exec(ctx, &cmd_pin_entry, true, argc, argv);
}

static int
cmd_unpin_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	return pin_exec(ctx, &cmd_unpin_entry, false, argc, argv);
}

const struct cmd_entry cmd_pin_entry = {
	.name = "pin",
	.usage = N_("ID [--location local|NAME|s3|all]"),
	.summary = N_("keep a backup whatever the retention policy says"),
	.help = N_("A pinned backup is never deleted by cleanup. 'vsbackup unpin ID' undoes it.\n"
	           "\n  --location L  local, a location's name, s3 (every S3 location) or all\n"
	           "                (default: every location holding it)\n"),
	.flags = CMD_NEEDS_CONFIG,
	.exec = cmd_pin_exec,
};

const struct cmd_entry cmd_unpin_entry = {
	.name = "unpin",
	.usage = N_("ID [--location local|NAME|s3|all]"),
	.summary = N_("let retention treat a pinned backup normally again"),
	.flags = CMD_NEEDS_CONFIG,
	.exec = cmd_unpin_exec,
};
