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

/* Before asking: refuse a pinned copy, and name what the deletion loses.
 * 0 to go on (loss filled; empty when nothing special is lost or the list
 * could not be read), else the exit status. */
static int
delete_precheck(struct cmd_ctx *ctx, const char *id, unsigned locs, char *loss,
    size_t losssz)
{
	struct job_list_args *args = xcalloc(1, sizeof *args);
	struct engine_event *done;
	struct catalog *cat;
	const struct catalog_entry *e;
	struct catalog_loss l;
	int rc = 0;

	loss[0] = '\0';
	/* The whole catalog: what is lost depends on the other location too. */
	args->locations = config_location_all(ctx->cfg);
	done = cli_run_job(ctx, &job_list_type, args);
	if (done->status != 0 || (cat = done->result) == NULL) {
		engine_event_free(done);
		return 0; /* the delete job reports what is wrong */
	}
	e = catalog_find(cat, id);
	if (e != NULL) {
		catalog_delete_loss(cat, e, locs, &l);
		if (l.pinned) {
			cmd_error(ctx, _("backup %s is pinned: it is not deleted; unpin it first with "
			    "'vsbackup unpin %s'"), id, id);
			rc = VS_EXIT_USAGE;
		} else {
			catalog_loss_text(&l, id, loss, losssz);
		}
	}
	engine_event_free(done);
	return rc;
}

static int
cmd_delete_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *self = &cmd_delete_entry;
	struct cmd_delete_options opts = { 0 };
	struct job_delete_args *args;
	struct engine_event *done;
	char id[BACKUP_ID_SIZE], *question, loss[512], where[256];
	unsigned locs;
	bool asked;
	int rc;

	if ((rc = cmd_parse_options(ctx, self, argc, argv, "y", cmd_delete_longopts,
	    cmd_delete_option, &opts)) >= 0)
		return rc;
	if ((rc = cli_take_id(ctx, self, argc, argv, id)) != 0)
		return rc;
	if (cmd_load_config(ctx) != 0)
		return 1;
	if ((rc = cli_where_set(ctx, self, "--location", opts.where.location, 1u, &locs)) != 0)
		return rc;
	if ((rc = delete_precheck(ctx, id, locs, loss, sizeof loss)) != 0)
		return rc;
	if (!opts.yes) {
		jobs_where_text(ctx->cfg, locs, where, sizeof where);
		question = xasprintf(_("Delete backup %s from %s? %s%sThis cannot be undone."), id,
		    locs == 1u ? ctx->cfg->backup_dir : where, loss, loss[0] ? " " : "");
		asked = cmd_confirm(question);
		free(question);
		if (!asked) {
			cmd_error(ctx, _("not deleted: confirm with --yes (or answer y on a terminal)"));
			return VS_EXIT_USAGE;
		}
	}
	if (opts.yes && loss[0] && !ctx->quiet)
		fprintf(stderr, "vsbackup: %s\n", loss);
	args = xcalloc(1, sizeof *args);
	snprintf(args->id, sizeof args->id, "%s", id);
	args->locations = locs;
	ctx->stream_events = true;
	if ((rc = cli_run(ctx, &job_delete_type, args, &done)) == VS_EXIT_OK && !ctx->json)
		cli_print_result(ctx, done, stdout);
	engine_event_free(done);
	return rc;
}

const struct cmd_entry cmd_delete_entry = {
	.name = "delete",
	.usage = N_("ID [--yes] [--location local|NAME|s3|all]"),
	.summary = N_("delete a backup"),
	.help = N_("Asks for confirmation on a terminal; elsewhere --yes is required (exit 2\n"
	           "without it). metadata.json goes first, so a half-deleted backup is never\n"
	           "listed as complete. Takes the backup_dir lock. A pinned backup is never\n"
           "deleted (exit 2): unpin it first. The question names what is lost when the\n"
           "copy is the last one of the backup, or the newest or only verified backup.\n"
	           "\n  --yes         do not ask\n"
	           "  --location L  local (default), a location's name, s3 (every S3 location)\n"
	           "                or all\n"),
	.flags = CMD_NEEDS_CONFIG,
	.exec = cmd_delete_exec,
};
