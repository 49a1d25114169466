/* vsbackup download ID: the other direction of cmd-upload.c. */
#include "config.h"

#include "cli/cmd.h"
#include "common/i18n.h"
#include "jobs/job-transfer.h"

/* In cmd-upload.c. */
int cmd_transfer_exec(const struct cmd_entry *self, const struct job_type *type,
    struct cmd_ctx *ctx, int argc, char **argv);

extern const struct cmd_entry cmd_download_entry;

static int
cmd_download_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	return cmd_transfer_exec(&cmd_download_entry, &job_download_type, ctx, argc, argv);
}

const struct cmd_entry cmd_download_entry = {
	.name = "download",
	.usage = N_("ID [--from NAME|s3]"),
	.summary = N_("copy a backup from S3 (or another location) into backup_dir"),
	.help = N_("Downloads s3://BUCKET/PREFIX/ID into backup_dir/ID.partial, checks every file\n"
	           "against the size and SHA-256 in metadata.json, then writes metadata.json and\n"
	           "renames the directory to backup_dir/ID; a damaged copy in S3 leaves nothing\n"
	           "behind. A backup already complete in backup_dir is left alone (exit 0).\n"
	           "restore --from s3 does the same before it restores. Takes the backup_dir\n"
	           "lock. A backup of format 2 brings only the packs the local repository lacks.\n"
	           "\n  --from L  the location to fetch from: a location's name or s3 (default:\n"
	           "            the nearest location holding it, in the configuration's order)\n"
	           "\nExit status: 0 downloaded or already there, 1 failed (also when the copy\n"
	           "in S3 is damaged: the file is named), 2 usage error or the backup_dir lock\n"
	           "is held.\n"),
	.flags = CMD_NEEDS_CONFIG,
	.exec = cmd_download_exec,
};
