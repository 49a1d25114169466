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

extern const struct cmd_entry cmd_restore_entry;

/* A live restore replaces the running data: the operator types the id. */
static bool
confirm_by_id(const struct config *cfg, const char *id)
{
	char line[64];

	if (!isatty(STDIN_FILENO))
		return false;
	fprintf(stderr, _("This replaces the live data: Redis (%s) and the index files\n"
	                  "  %s\n  %s\nwith backup %s. A safety backup is taken first unless "
	                  "--no-safety-backup.\nType the backup id to confirm: "),
	    cfg->redis.socket[0] ? cfg->redis.socket : cfg->redis.host,
	    cfg->faiss.content_index, cfg->faiss.user_index, id);
	fflush(stderr);
	if (fgets(line, sizeof line, stdin) == NULL)
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	return strcmp(line, id) == 0;
}

/* What the command line asked for; the job's arguments are made from it
 * once the restore is confirmed. */
struct cmd_restore_options {
	bool yes;
	struct cli_where where;
	bool safety_backup;
	bool rollback;
	const char *target_dir;
};

static const struct option cmd_restore_longopts[] = {
	{ "yes", no_argument, NULL, 'y' },
	{ "no-safety-backup", no_argument, NULL, 'n' },
	{ "target-dir", required_argument, NULL, 't' },
	{ "from", required_argument, NULL, 'f' },
	{ "rollback", no_argument, NULL, 'r' },
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
	case 'f':
		return cli_where_option(self, &opts->where, opt, arg);
	}
	return 0;
}

static int
cmd_restore_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *self = &cmd_restore_entry;
	struct cmd_restore_options opts = { .where.local = true, .safety_backup = true };
	struct job_restore_args *args;
	const struct job_restore_result *res;
	struct engine_event *done;
	char id[BACKUP_ID_SIZE] = "";
	int rc;

	if ((rc = cmd_parse_options(ctx, self, argc, argv, "y", cmd_restore_longopts,
	    cmd_restore_option, &opts)) >= 0)
		return rc;
	if (opts.rollback) {
		if (optind != argc || opts.target_dir != NULL)
			return cmd_usage_error(self, _("--rollback takes no backup id and no --target-dir: "
			    "it returns to the safety backup of the interrupted restore"));
	} else if ((rc = cli_take_id(self, argc, argv, id)) != 0) {
		return rc;
	}
	if (cmd_load_config(ctx) != 0)
		return 1;
	if (!opts.yes && opts.target_dir == NULL) {
		bool ok = opts.rollback ?
		    cmd_confirm(_("Roll the live data back to the safety backup of the interrupted "
		    "restore?")) : confirm_by_id(ctx->cfg, id);

		if (!ok) {
			cmd_error(ctx, _("not restored: confirm with --yes (or type the backup id on a "
			    "terminal)"));
			return VS_EXIT_USAGE;
		}
	}
	args = xcalloc(1, sizeof *args);
	snprintf(args->id, sizeof args->id, "%s", id);
	snprintf(args->from, sizeof args->from, "%s", opts.where.s3 ? "s3" : "local");
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
	res = done->result;
	if (ctx->json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "event", "result");
		cJSON_AddStringToObject(o, "id", res->id);
		if (res->safety_id[0])
			cJSON_AddStringToObject(o, "safety_backup", res->safety_id);
		else
			cJSON_AddNullToObject(o, "safety_backup");
		cJSON_AddBoolToObject(o, "resumed", res->resumed);
		cJSON_AddBoolToObject(o, "rolled_back", res->rolled_back);
		if (res->target_dir)
			cJSON_AddStringToObject(o, "target_dir", res->target_dir);
		cJSON_AddNumberToObject(o, "seconds", res->seconds);
		cli_print_json(o);
	} else if (!ctx->quiet) {
		if (res->target_dir)
			printf(_("backup %s written to %s (nothing live was touched)\n"), res->id,
			    res->target_dir);
		else if (res->rolled_back)
			printf(_("rolled back to the safety backup %s in %.0f s\n"), res->id, res->seconds);
		else
			printf(_("restored %s in %.0f s%s%s%s\n"), res->id, res->seconds,
			    res->safety_id[0] ? _("; the state before it is in backup ") : "",
			    res->safety_id, res->resumed ? _(" (resumed)") : "");
	}
	engine_event_free(done);
	return 0;
}

const struct cmd_entry cmd_restore_entry = {
	.name = "restore",
	.usage = N_("ID [--yes] [--no-safety-backup] [--target-dir DIR] [--from local|s3] | --rollback"),
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
	           "  --from L            restore the local copy (default) or the one in S3\n"
	           "  --rollback          return to the safety backup of an interrupted restore\n"),
	.flags = CMD_NEEDS_CONFIG,
	.exec = cmd_restore_exec,
};
