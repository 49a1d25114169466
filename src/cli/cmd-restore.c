#include "config.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "cli/output.h"
#include "cli/run-job.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "jobs/jobs.h"
#include "jobs/journal.h"
#include "jobs/plan.h"

extern const struct cmd_entry cmd_restore_entry;

/* A live restore replaces the running data: the operator reads the plan
 * and types the id. */
static bool
confirm_by_id(const char *id)
{
	char line[64];

	if (!isatty(STDIN_FILENO))
		return false;
	fprintf(stderr, _("A safety backup is taken first unless --no-safety-backup.\n"
	                  "Type the backup id to confirm: "));
	fflush(stderr);
	if (fgets(line, sizeof line, stdin) == NULL)
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	return strcmp(line, id) == 0;
}

static void
plan_print_line(void *ud, enum plan_level level, const char *text)
{
	FILE *f = ud;

	if (level == PLAN_HEADING && text[0] != ' ')
		fputc('\n', f);
	fprintf(f, "%s\n", text);
}

/* Read the plan of a restore of id (nothing is changed): its DONE event,
 * which may be a failure (metadata that cannot be read). */
static struct engine_event *
restore_read_plan(struct cmd_ctx *ctx, const char *id, const char *from, bool safety)
{
	struct job_plan_args *a = xcalloc(1, sizeof *a);

	snprintf(a->id, sizeof a->id, "%s", id);
	snprintf(a->from, sizeof a->from, "%s", from);
	a->safety_backup = safety;
	return cli_run_job(ctx, &job_plan_type, a);
}

/* A backup that lacks a part removes the live one: that needs its own yes
 * (--allow-partial, or y on a terminal). 0 to go on, else the exit status. */
static int
restore_confirm_missing(struct cmd_ctx *ctx, const struct restore_plan *p, bool allow,
    bool yes)
{
	char parts[128], *q;
	bool ok;

	if (p->missing == 0 || allow)
		return 0;
	catalog_missing_text(p->missing, parts, sizeof parts);
	if (yes || !isatty(STDIN_FILENO)) {
		cmd_error(ctx, _("backup %s is partial: it lacks %s, so restoring it removes the live "
		    "one; add --allow-partial to do that"), p->id, parts);
		return VS_EXIT_USAGE;
	}
	q = xasprintf(_("Backup %s lacks %s: restoring it removes the live one. Go on?"), p->id,
	    parts);
	ok = cmd_confirm(q);
	free(q);
	if (!ok) {
		cmd_error(ctx, _("not restored: the live %s stays"), parts);
		return VS_EXIT_USAGE;
	}
	return 0;
}

/* Before --rollback: is there anything to roll back? */
static int
restore_rollback_check(struct cmd_ctx *ctx)
{
	struct journal j;
	struct vs_error err;
	int have;

	memset(&j, 0, sizeof j);
	error_clear(&err);
	have = journal_load(ctx->cfg->backup_dir, &j, &err);
	journal_clear(&j);
	if (have < 0) {
		cmd_error(ctx, "%s", err.msg);
		return VS_EXIT_FAILURE;
	}
	if (have == 0) {
		cmd_error(ctx, _("there is no interrupted restore to roll back (no %s in %s); to "
		    "undo a finished restore, restore its pre-restore safety backup"), JOURNAL_FILE,
		    ctx->cfg->backup_dir);
		return VS_EXIT_FAILURE;
	}
	return 0;
}

/* What the command line asked for; the job's arguments are made from it
 * once the restore is confirmed. */
struct cmd_restore_options {
	bool yes;
	struct cli_where where;
	bool safety_backup;
	bool rollback;
	bool plan;
	bool allow_partial;
	const char *target_dir;
};

static const struct option cmd_restore_longopts[] = {
	{ "yes", no_argument, NULL, 'y' },
	{ "no-safety-backup", no_argument, NULL, 'n' },
	{ "target-dir", required_argument, NULL, 't' },
	{ "from", required_argument, NULL, 'f' },
	{ "rollback", no_argument, NULL, 'r' },
	{ "plan", no_argument, NULL, 'p' },
	{ "allow-partial", no_argument, NULL, 'P' },
	CMD_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static int
cmd_restore_option(const struct cmd_entry *self, void *ud, int opt, const char *arg)
{
	struct cmd_restore_options *opts = ud;

	switch (opt) {
	case 'y':
		opts->yes = true;
		break;
	case 'n':
		opts->safety_backup = false;
		break;
	case 't':
		opts->target_dir = arg;
		break;
	case 'r':
		opts->rollback = true;
		break;
	case 'p':
		opts->plan = true;
		break;
	case 'P':
		opts->allow_partial = true;
		break;
	case 'f':
		return cli_where_option(self, &opts->where, opt, arg);
	}
	return 0;
}

static int
cmd_restore_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *self = &cmd_restore_entry;
	struct cmd_restore_options opts = { .safety_backup = true };
	struct job_restore_args *args;
	struct engine_event *done, *plan = NULL;
	char id[BACKUP_ID_SIZE] = "", from[CONFIG_NAME_SIZE];
	int rc;

	if ((rc = cmd_parse_options(ctx, self, argc, argv, "y", cmd_restore_longopts,
	    cmd_restore_option, &opts)) >= 0)
		return rc;
	if (opts.rollback) {
		if (optind != argc || opts.target_dir != NULL || opts.plan)
			return cmd_usage_error(self, _("--rollback takes no backup id, no --target-dir and "
			    "no --plan: it returns to the safety backup of the interrupted restore"));
	} else if ((rc = cli_take_id(ctx, self, argc, argv, id)) != 0) {
		return rc;
	}
	if (opts.plan && opts.target_dir != NULL)
		return cmd_usage_error(self, _("--plan shows what a live restore changes; "
		    "--target-dir changes nothing live"));
	if (cmd_load_config(ctx) != 0)
		return 1;
	if ((rc = cli_where_one(ctx, self, "--from", opts.where.from, "local", from)) != 0)
		return rc;
	if (opts.rollback) {
		if ((rc = restore_rollback_check(ctx)) != 0)
			return rc;
		if (!opts.yes && !cmd_confirm(_("Roll the live data back to the safety backup of the "
		    "interrupted restore?"))) {
			cmd_error(ctx, _("not rolled back: confirm with --yes (or answer y on a terminal)"));
			return VS_EXIT_USAGE;
		}
	} else if (opts.target_dir == NULL) {
		const struct restore_plan *p;
		struct plan_estimate est;

		plan = restore_read_plan(ctx, id, from, opts.safety_backup);
		/* Interrupted while it read the plan: the restore never starts. */
		if (plan->status != 0 && (opts.plan || plan->err.code == VS_ERR_CANCELLED)) {
			rc = cli_report_failure(ctx, plan);
			engine_event_free(plan);
			return rc;
		}
		/* A backup whose metadata cannot be read has no plan: the restore
		 * job's verification refuses it and says why. */
		if (plan->status != 0) {
			engine_event_free(plan);
			plan = NULL;
			goto confirm;
		}
		p = plan->result;
		restore_plan_estimate(p, 0, false, &est);
		if (opts.plan) {
			if (ctx->json)
				cli_print_json(restore_plan_json(p, &est));
			else
				restore_plan_lines(p, &est, plan_print_line, stdout);
			engine_event_free(plan);
			return VS_EXIT_OK;
		}
		if (!opts.yes && isatty(STDIN_FILENO))
			restore_plan_lines(p, &est, plan_print_line, stderr);
		rc = restore_confirm_missing(ctx, p, opts.allow_partial, opts.yes);
		engine_event_free(plan);
		if (rc != 0)
			return rc;
confirm:
		if (!opts.yes && !confirm_by_id(id)) {
			cmd_error(ctx, _("not restored: confirm with --yes (or type the backup id on a "
			    "terminal)"));
			return VS_EXIT_USAGE;
		}
	}
	args = xcalloc(1, sizeof *args);
	snprintf(args->id, sizeof args->id, "%s", id);
	snprintf(args->from, sizeof args->from, "%s", from);
	args->safety_backup = opts.safety_backup;
	args->rollback = opts.rollback;
	if (opts.target_dir != NULL && opts.target_dir[0] == '/') {
		args->target_dir = xstrdup(opts.target_dir);
	} else if (opts.target_dir != NULL) {
		char *cwd = getcwd(NULL, 0);

		args->target_dir = xasprintf("%s/%s", cwd ? cwd : ".", opts.target_dir);
		free(cwd);
	}
	ctx->stream_events = true;
	if ((rc = cli_run(ctx, &job_restore_type, args, &done)) != 0)
		return rc;
	cli_print_result(ctx, done, stdout);
	engine_event_free(done);
	return 0;
}

const struct cmd_entry cmd_restore_entry = {
	.name = "restore",
	.usage = N_("ID [--plan] [--yes] [--allow-partial] [--no-safety-backup] [--target-dir DIR] "
	    "[--from local|NAME|s3] | --rollback"),
	.summary = N_("restore a backup into the live Redis and index files"),
	.help = N_("Steps: download (with --from s3), verify checksums, pre-flight checks (disk\n"
	           "space, Redis, start command), a pre-restore safety backup of the live state,\n"
	           "both index files placed atomically, Redis stopped (redis.stop_command, else\n"
	           "SHUTDOWN NOSAVE), the snapshot placed (with AOF on, a new AOF starts from it),\n"
	           "Redis started (redis.start_command) and waited for while it loads, key counts\n"
	           "and index sizes checked against the backup, restore_reload_command run.\n"
	           "A failure while the live data is being replaced rolls back to the safety\n"
	           "backup. A restore that was killed is resumed by running the same command\n"
	           "again, or rolled back with --rollback.\n"
	           "\n  --yes               do not ask (on a terminal you type the id to confirm;\n"
	           "                      elsewhere --yes is required)\n"
	           "  --no-safety-backup  skip the safety backup (no rollback is then possible)\n"
	           "  --target-dir DIR    write the verified files into DIR; touch nothing live\n"
	           "  --from L            restore the copy in that location: local (default), a\n"
	           "                      location's name, s3 (the first S3 location); it is\n"
	           "                      fetched into backup_dir first\n"
	           "  --rollback          return to the safety backup of an interrupted restore\n"
	           "  --plan              show what the restore would change and change nothing:\n"
	           "                      each part live beside the backup, the writes lost,\n"
	           "                      the estimated time and the steps (with --json: one\n"
	           "                      object, see vsbackup(1))\n"
	           "  --allow-partial     restore a backup that lacks a part (a safety backup of\n"
	           "                      a broken state): the live part is moved aside\n"),
	.flags = CMD_NEEDS_CONFIG,
	.exec = cmd_restore_exec,
};
