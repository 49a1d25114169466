/* vsbackup upload ID and vsbackup download ID: one backup copied between
 * backup_dir and S3 (the two commands differ only in direction). */
#include "config.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/output.h"
#include "cli/run-job.h"
#include "common/format.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "jobs/job-transfer.h"

/* Shared with cmd-download.c. */
int cmd_transfer_exec(const struct cmd_entry *self, const struct job_type *type,
    struct cmd_ctx *ctx, int argc, char **argv);

extern const struct cmd_entry cmd_upload_entry;

int
cmd_transfer_exec(const struct cmd_entry *self, const struct job_type *type,
    struct cmd_ctx *ctx, int argc, char **argv)
{
	struct job_transfer_args *args;
	struct engine_event *done;
	char id[BACKUP_ID_SIZE];
	int rc;

	if ((rc = cmd_parse_options(ctx, self, argc, argv, NULL, NULL, NULL, NULL)) >= 0)
		return rc;
	if ((rc = cli_take_id(ctx, self, argc, argv, id)) != 0)
		return rc;
	if (cmd_load_config(ctx) != 0)
		return VS_EXIT_FAILURE;
	args = xcalloc(1, sizeof *args);
	snprintf(args->id, sizeof args->id, "%s", id);
	ctx->stream_events = true;
	/* A damaged source is a failed copy here, as for the other commands
	 * that are not verify. */
	if ((rc = cli_run(ctx, type, args, &done)) != 0)
		return rc == VS_EXIT_INVALID ? VS_EXIT_FAILURE : rc;
	cli_print_result(ctx, done, stdout);
	engine_event_free(done);
	return VS_EXIT_OK;
}

static int
cmd_upload_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	return cmd_transfer_exec(&cmd_upload_entry, &job_upload_type, ctx, argc, argv);
}

const struct cmd_entry cmd_upload_entry = {
	.name = "upload",
	.usage = N_("ID"),
	.summary = N_("copy a local backup to S3"),
	.help = N_("Uploads backup_dir/ID to s3://BUCKET/PREFIX/ID: the data files first, each\n"
	           "hashed as it is read and refused when it does not match the SHA-256 in\n"
	           "metadata.json, then metadata.json, so the copy in S3 counts as a backup\n"
	           "only once all of it is there. An unfinished upload left in S3 is replaced.\n"
	           "A backup already complete in S3 is left alone (exit 0). This is how a\n"
	           "backup whose upload failed is finished. Takes the backup_dir lock.\n"
	           "\nExit status: 0 uploaded or already there, 1 failed, 2 usage error or the\n"
	           "backup_dir lock is held.\n"),
	.flags = CMD_NEEDS_CONFIG,
	.exec = cmd_upload_exec,
};
