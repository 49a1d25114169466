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

extern const struct cmd_entry cmd_check_entry;

static const struct option cmd_check_longopts[] = {
	{ "from", required_argument, NULL, 'f' },
	CMD_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static int
cmd_check_option(const struct cmd_entry *self, void *ud, int opt, const char *arg)
{
	return cli_where_option(self, ud, opt, arg);
}

static int
cmd_check_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *self = &cmd_check_entry;
	struct cli_where where = { 0 };
	struct job_check_args *args;
	const struct job_check_result *res;
	struct engine_event *done;
	int rc;

	if ((rc = cmd_parse_options(ctx, self, argc, argv, "", cmd_check_longopts,
	    cmd_check_option, &where)) >= 0)
		return rc;
	if ((rc = cmd_no_operands(self, argc, argv)) != 0)
		return rc;
	if (cmd_load_config(ctx) != 0)
		return 1;
	args = xcalloc(1, sizeof *args);
	if ((rc = cli_where_one(ctx, self, "--from", where.from, "local", args->location)) != 0) {
		free(args);
		return rc;
	}
	if ((rc = cli_run(ctx, &job_check_type, args, &done)) != 0)
		return rc == VS_EXIT_INVALID ? VS_EXIT_FAILURE : rc;
	res = done->result;
	if (ctx->json) {
		cli_print_result(ctx, done, NULL);
	} else {
		for (size_t i = 0; i < res->rep.ndamage; i++) {
			const struct repo_damage *d = &res->rep.damage[i];

			printf(_("DAMAGED  %s  %s: %llu chunks damaged or missing: %s\n"), d->id,
			    d->file[0] ? d->file : "metadata.json", (unsigned long long)d->bad, d->first);
		}
		ctx->quiet = ctx->quiet && res->rep.ndamage == 0 && res->rep.bad_chunks == 0;
		cli_print_result(ctx, done, stdout);
	}
	rc = res->rep.ndamage == 0 && res->rep.bad_chunks == 0 ? VS_EXIT_OK : VS_EXIT_INVALID;
	engine_event_free(done);
	return rc;
}

const struct cmd_entry cmd_check_entry = {
	.name = "check",
	.usage = N_("[--from local|NAME|s3]"),
	.summary = N_("read the whole repository and name every backup and file it damages"),
	.help = N_("Reads every chunk of the repository (format 2) once and checks it against\n"
	           "its id, then names every backup and file that uses a damaged or missing\n"
	           "chunk, pack or index entry. Backups of format 1 are checked by verify.\n"
	           "\n  --from L      the repository in that location: local (default), a\n"
	           "                location's name, s3 (the first S3 location)\n"
	           "\nExit status: 0 sound, 3 damaged (the backups and files are named), 1 could\n"
	           "not run.\n"),
	.flags = CMD_NEEDS_CONFIG,
	.exec = cmd_check_exec,
};
