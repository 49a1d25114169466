#include "config.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/output.h"
#include "cli/run-job.h"
#include "common/format.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "jobs/jobs.h"

extern const struct cmd_entry cmd_backup_entry;

static const struct option cmd_backup_longopts[] = {
	{ "type", required_argument, NULL, 't' },
	{ "no-upload", no_argument, NULL, 'n' },
	CMD_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static int
cmd_backup_option(const struct cmd_entry *self, void *ud, int opt, const char *arg)
{
	struct job_backup_args *args = ud;

	switch (opt) {
	case 't':
		if (backup_type_parse(arg, &args->type) != 0 || args->type == BACKUP_PRE_RESTORE)
			return cmd_usage_error(self,
			    _("--type takes daily, weekly, monthly or manual, not '%s'"), arg);
		args->type_given = true;
		break;
	case 'n':
		args->upload = false;
		break;
	}
	return 0;
}

static int
cmd_backup_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *self = &cmd_backup_entry;
	struct job_backup_args opts = { .upload = true, .take_lock = true }, *args;
	const struct job_backup_result *res;
	struct engine_event *done;
	int rc;

	if ((rc = cmd_parse_options(ctx, self, argc, argv, "t:", cmd_backup_longopts,
	    cmd_backup_option, &opts)) >= 0)
		return rc;
	if ((rc = cmd_no_operands(self, argc, argv)) != 0)
		return rc;
	if (cmd_load_config(ctx) != 0)
		return 1;
	args = xmalloc(sizeof *args);
	*args = opts;
	ctx->stream_events = true;
	if ((rc = cli_run(ctx, &job_backup_type, args, &done)) != 0)
		return rc;
	res = done->result;
	cli_print_result(ctx, done, stderr);
	/* The id is the last line of standard output, for scripts. */
	if (!ctx->json)
		printf("%s\n", res->id);
	/* A configured copy that is missing is a failure of the run. */
	rc = job_backup_type.failed(res) ? VS_EXIT_FAILURE : VS_EXIT_OK;
	engine_event_free(done);
	return rc;
}

const struct cmd_entry cmd_backup_entry = {
	.name = "backup",
	.usage = N_("[--type daily|weekly|monthly|manual] [--no-upload]"),
	.summary = N_("back up Redis and both FAISS indexes, consistently"),
	.help = N_("Pauses writes for a moment (CLIENT PAUSE WRITE, at most redis.pause_ms),\n"
	           "starts a Redis snapshot and opens both index files, resumes writes, then\n"
	           "copies the snapshot and the indexes into backup_dir/ID.partial, hashing as it\n"
	           "copies, writes metadata.json and renames the directory to backup_dir/ID.\n"
	           "The new id (YYYYMMDD_HHMMSS, UTC) is the last line of the output.\n"
	           "It is then sent to every location with upload = true (each S3 group), all\n"
	           "at once: a location that fails fails neither the backup nor the others;\n"
	           "the result names the copies that exist, and the exit status is 1 when a\n"
	           "configured copy is missing (--json: \"copies\" and \"missing\").\n"
	           "\n  --type T     daily, weekly, monthly or manual (default: the schedule says:\n"
	           "               monthly on the 1st, weekly on Mondays, daily otherwise)\n"
	           "  --no-upload  keep this backup local only (no location gets a copy)\n"),
	.flags = CMD_NEEDS_CONFIG,
	.exec = cmd_backup_exec,
};
