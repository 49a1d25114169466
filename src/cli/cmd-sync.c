/* vsbackup sync: every location gets the backups it lacks and keeps. */
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

extern const struct cmd_entry cmd_sync_entry;

struct sync_opts {
	struct cli_where where;
	bool dry_run;
};

static const struct option cmd_sync_longopts[] = {
	CLI_FROM_OPTION,
	CLI_TO_OPTION,
	{ "dry-run", no_argument, NULL, 'n' },
	CMD_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static int
cmd_sync_option(const struct cmd_entry *self, void *ud, int opt, const char *arg)
{
	struct sync_opts *o = ud;

	if (opt == 'n') {
		o->dry_run = true;
		return 0;
	}
	return cli_where_option(self, &o->where, opt, arg);
}

static int
cmd_sync_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *self = &cmd_sync_entry;
	struct sync_opts opts = { { 0 }, false };
	struct job_sync_args *args;
	const struct sync_report *rep;
	struct engine_event *done;
	int rc;

	if ((rc = cmd_parse_options(ctx, self, argc, argv, "n", cmd_sync_longopts,
	    cmd_sync_option, &opts)) >= 0)
		return rc;
	if ((rc = cmd_no_operands(self, argc, argv)) != 0)
		return rc;
	if (cmd_load_config(ctx) != 0)
		return VS_EXIT_FAILURE;
	args = xcalloc(1, sizeof *args);
	args->dry_run = opts.dry_run;
	if ((rc = cli_where_set(ctx, self, "--from", opts.where.from, 0, &args->from)) != 0 ||
	    (rc = cli_where_set(ctx, self, "--to", opts.where.to, 0, &args->to)) != 0) {
		free(args);
		return rc;
	}
	ctx->stream_events = !opts.dry_run;
	if ((rc = cli_run(ctx, &job_sync_type, args, &done)) != 0)
		return rc;
	rep = done->result;
	if (!ctx->json && !ctx->quiet) {
		for (size_t i = 0; i < rep->n; i++) {
			const struct sync_row *r = &rep->rows[i];
			char size[24];

			format_bytes(r->size, size, sizeof size);
			if (r->id[0] == '\0')
				printf(_("%s: not synced: %s\n"), r->to, r->error);
			else if (r->error != NULL)
				printf(_("FAILED  %s  %s -> %s: %s\n"), r->id, r->from, r->to, r->error);
			else
				printf("%-7s %s  %s -> %s  %s\n", r->done ? _("copied") : _("copy"),
				    r->id, r->from, r->to, size);
		}
	}
	cli_print_result(ctx, done, stdout);
	rc = rep->failed > 0 ? VS_EXIT_FAILURE : VS_EXIT_OK;
	engine_event_free(done);
	return rc;
}

const struct cmd_entry cmd_sync_entry = {
	.name = "sync",
	.usage = N_("[--from LOCATION] [--to LOCATION] [--dry-run]"),
	.summary = N_("give every location the backups it lacks (and would keep)"),
	.help = N_("For each destination (default: every location with upload = true), copies\n"
	           "every backup it lacks, or holds unfinished, from the nearest location that\n"
	           "has a usable copy (or from --from), oldest first. A backup the\n"
	           "destination's retention would not keep is left out: sync never brings back\n"
	           "what cleanup removed there. Each copy sends only what the destination lacks\n"
	           "(packs of the repository, or the files of a backup of format 1), checks\n"
	           "what arrived and writes the manifest last; between two buckets of one S3\n"
	           "endpoint the server copies the objects. Destinations are filled at once;\n"
	           "one failing fails no other. Takes the backup_dir lock (not with --dry-run).\n"
	           "\n  --from L     copy only from these locations: local, a name, s3 or all\n"
	           "  --to L       fill only these: a name, s3, all or local\n"
	           "  --dry-run    say what would be copied, copy nothing\n"
	           "\nExit status: 0 every location holds what it should, 1 a copy failed or a\n"
	           "location could not be listed, 2 usage error or the lock is held.\n"),
	.flags = CMD_NEEDS_CONFIG,
	.exec = cmd_sync_exec,
};
