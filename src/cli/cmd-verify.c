#include "config.h"

#include <cjson/cJSON.h>
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

extern const struct cmd_entry cmd_verify_entry;

struct cmd_verify_options {
	bool deep;
	struct cli_where where;
	bool verbose;
};

static const struct option cmd_verify_longopts[] = {
	{ "deep", no_argument, NULL, 'd' },
	{ "from", required_argument, NULL, 'f' },
	{ "verbose", no_argument, NULL, 'v' },
	CMD_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static int
cmd_verify_option(const struct cmd_entry *self, void *ud, int opt, const char *arg)
{
	struct cmd_verify_options *opts = ud;

	switch (opt) {
	case 'd':
		opts->deep = true;
		break;
	case 'v':
		opts->verbose = true;
		break;
	case 'f':
		return cli_where_option(self, &opts->where, opt, arg);
	}
	return 0;
}

static int
cmd_verify_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *self = &cmd_verify_entry;
	struct cmd_verify_options opts = { 0 };
	struct job_verify_args *args;
	struct engine_event *done;
	const struct verify_report *rep;
	char id[BACKUP_ID_SIZE];
	int rc;

	if ((rc = cmd_parse_options(ctx, self, argc, argv, "v", cmd_verify_longopts,
	    cmd_verify_option, &opts)) >= 0)
		return rc;
	if ((rc = cli_take_id(ctx, self, argc, argv, id)) != 0)
		return rc;
	if (cmd_load_config(ctx) != 0)
		return 1;
	args = xcalloc(1, sizeof *args);
	snprintf(args->id, sizeof args->id, "%s", id);
	args->deep = opts.deep;
	if ((rc = cli_where_one(ctx, self, "--from", opts.where.from, "local",
	    args->location)) != 0) {
		free(args);
		return rc;
	}
	ctx->stream_events = true;
	if ((rc = cli_run(ctx, &job_verify_type, args, &done)) != 0)
		return rc == VS_EXIT_INVALID ? VS_EXIT_FAILURE : rc;
	rep = done->result;
	if (ctx->json) {
		cli_print_result(ctx, done, NULL);
	} else if (!ctx->quiet || !rep->ok) {
		cli_verify_report_print(rep, opts.verbose || !ctx->quiet);
		ctx->quiet = false;
		cli_print_result(ctx, done, stdout);
	}
	rc = rep->ok ? VS_EXIT_OK : VS_EXIT_INVALID;
	engine_event_free(done);
	return rc;
}

const struct cmd_entry cmd_verify_entry = {
	.name = "verify",
	.usage = N_("ID [--deep] [--from local|NAME|s3]"),
	.summary = N_("check a backup's files against its metadata"),
	.help = N_("Quick (default): metadata.json is well-formed and every file is present with\n"
	           "the recorded size and SHA-256. --deep also parses the Redis snapshot and\n"
	           "compares its key counts per prefix, runs the server's RDB checker (see\n"
	           "redis.check_rdb_command; skipped when it is older than the file), and\n"
	           "loads both indexes with FAISS to compare ntotal and dimension.\n"
	           "The result is recorded beside the backup (verify.json).\n"
	           "\n  --deep        the deep checks as well\n"
	           "  --from L      check the copy in that location: local (default), a\n"
	           "                location's name, s3 (the first S3 location)\n"
	           "  -v, --verbose list passed checks too\n"
	           "\nExit status: 0 valid, 3 invalid (the failing files are named), 1 could not run.\n"),
	.flags = CMD_NEEDS_CONFIG,
	.exec = cmd_verify_exec,
};
