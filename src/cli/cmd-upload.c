/* vsbackup upload ID and vsbackup download ID: one backup copied between
 * backup_dir and S3 (the two commands differ only in direction). */
#include "config.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <getopt.h>

#include "cli/cmd.h"
#include "cli/output.h"
#include "cli/run-job.h"
#include "common/format.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "jobs/job-transfer.h"

/* Shared with cmd-download.c and cmd-copy.c. */
int cmd_transfer_exec(const struct cmd_entry *self, const struct job_type *type,
    struct cmd_ctx *ctx, int argc, char **argv);

extern const struct cmd_entry cmd_upload_entry, cmd_copy_entry;

static const struct option cmd_transfer_longopts[] = {
	CLI_FROM_OPTION,
	CLI_TO_OPTION,
	CMD_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

int
cmd_transfer_exec(const struct cmd_entry *self, const struct job_type *type,
    struct cmd_ctx *ctx, int argc, char **argv)
{
	struct cli_where w = { 0 };
	struct job_transfer_args *args;
	const struct job_transfer_result *res;
	struct engine_event *done;
	char id[BACKUP_ID_SIZE];
	int rc;

	if ((rc = cmd_parse_options(ctx, self, argc, argv, NULL, cmd_transfer_longopts,
	    cli_where_option, &w)) >= 0)
		return rc;
	if ((rc = cli_take_id(ctx, self, argc, argv, id)) != 0)
		return rc;
	if (type == &job_upload_type && w.from != NULL)
		return cmd_usage_error(self, _("upload sends the local copy: use 'vsbackup copy "
		    "ID --from A --to B' between other locations"));
	if (type == &job_download_type && w.to != NULL)
		return cmd_usage_error(self, _("download fetches into backup_dir: use 'vsbackup "
		    "copy ID --from A --to B' between other locations"));
	if (type == &job_copy_type && (w.from == NULL || w.to == NULL))
		return cmd_usage_error(self, _("copy needs --from and --to"));
	if (cmd_load_config(ctx) != 0)
		return VS_EXIT_FAILURE;
	args = xcalloc(1, sizeof *args);
	snprintf(args->id, sizeof args->id, "%s", id);
	if ((w.from != NULL && (rc = cli_where_one(ctx, self, "--from", w.from, NULL,
	    args->from)) != 0) ||
	    (w.to != NULL && (rc = cli_where_set(ctx, self, "--to", w.to, 0, &args->to)) != 0)) {
		free(args);
		return rc;
	}
	ctx->stream_events = true;
	/* A damaged source is a failed copy here, as for the other commands
	 * that are not verify. */
	if ((rc = cli_run(ctx, type, args, &done)) != 0)
		return rc == VS_EXIT_INVALID ? VS_EXIT_FAILURE : rc;
	res = done->result;
	cli_print_result(ctx, done, stdout);
	rc = res->failed > 0 ? VS_EXIT_FAILURE : VS_EXIT_OK;
	engine_event_free(done);
	return rc;
}

static int
cmd_upload_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	return cmd_transfer_exec(&cmd_upload_entry, &job_upload_type, ctx, argc, argv);
}

const struct cmd_entry cmd_upload_entry = {
	.name = "upload",
	.usage = N_("ID [--to NAME|s3|all]"),
	.summary = N_("copy a local backup to S3 (every location backups are sent to)"),
	.help = N_("Sends backup_dir/ID to each location with upload = true (or those --to\n"
	           "names), all at once. Format 1: the data files first, each hashed as it is\n"
	           "read and refused when it does not match the SHA-256 in metadata.json, then\n"
	           "metadata.json. Format 2: only the packs the location's repository lacks,\n"
	           "an index file for them, the manifest last. A copy counts as a backup only\n"
	           "once all of it is there; an unfinished one is replaced. A backup already\n"
	           "complete there is left alone (exit 0). This is how a backup whose upload\n"
	           "failed is finished. Takes the backup_dir lock.\n"
	           "\n  --to L    a location's name, s3 (every S3 location) or all\n"
	           "\nExit status: 0 uploaded or already there, 1 failed (at any location), 2\n"
	           "usage error or the backup_dir lock is held.\n"),
	.flags = CMD_NEEDS_CONFIG,
	.exec = cmd_upload_exec,
};

static int
cmd_copy_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	return cmd_transfer_exec(&cmd_copy_entry, &job_copy_type, ctx, argc, argv);
}

const struct cmd_entry cmd_copy_entry = {
	.name = "copy",
	.usage = N_("ID --from LOCATION --to LOCATION|s3|all"),
	.summary = N_("copy a backup from one location to others"),
	.help = N_("Sends only what each destination lacks: for a backup in the repository\n"
	           "(format 2) the packs holding chunks it does not have, checked as they\n"
	           "arrive, an index file for them, and the manifest last; for a backup of\n"
	           "format 1 its files, each checked against its SHA-256, metadata.json last.\n"
	           "Between two locations on the same S3 endpoint the objects are copied by\n"
	           "the server (CopyObject), without passing through this host. Several\n"
	           "destinations are filled at once; one failing fails no other. A backup\n"
	           "already complete at a destination is left alone. Takes the backup_dir lock.\n"
	           "\n  --from L  the location to copy from: local, a location's name, s3 (the\n"
	           "            first S3 location)\n"
	           "  --to L    the location(s) to copy to: local, a name, s3 or all\n"
	           "\nExit status: 0 copied or already there everywhere, 1 failed somewhere, 2\n"
	           "usage error or the backup_dir lock is held.\n"),
	.flags = CMD_NEEDS_CONFIG,
	.exec = cmd_copy_exec,
};
