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
#include "drill/sandbox.h"
#include "jobs/jobs.h"
#include "manifest/drill-record.h"

extern const struct cmd_entry cmd_drill_entry;

struct cmd_drill_options {
	struct cli_where where;
	bool from_given;
	bool keep;
	bool cleanup;
};

static const struct option cmd_drill_longopts[] = {
	CLI_FROM_OPTION,
	{ "keep", no_argument, NULL, 'k' },
	{ "cleanup", no_argument, NULL, 'C' },
	CMD_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static int
cmd_drill_option(const struct cmd_entry *self, void *ud, int opt, const char *arg)
{
	struct cmd_drill_options *opts = ud;

	switch (opt) {
	case 'k':
		opts->keep = true;
		break;
	case 'C':
		opts->cleanup = true;
		break;
	case 'f':
		opts->from_given = true;
		return cli_where_option(self, &opts->where, opt, arg);
	}
	return 0;
}

static void
cleaned(void *ud, const char *dir)
{
	struct cmd_ctx *ctx = ud;

	if (!ctx->json && !ctx->quiet)
		printf(_("removed %s\n"), dir);
}

/* --cleanup: every sandbox no drill runs in, kept ones too. */
static int
cmd_drill_cleanup(struct cmd_ctx *ctx)
{
	char *root = drill_sandbox_root(ctx->cfg);
	struct vs_error err;
	unsigned removed = 0;
	int rc;

	error_clear(&err);
	rc = drill_sandbox_reap(root, true, cleaned, ctx, &removed, &err);
	if (ctx->json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "event", "result");
		cJSON_AddStringToObject(o, "dir", root);
		cJSON_AddNumberToObject(o, "removed", removed);
		if (rc != 0)
			cJSON_AddStringToObject(o, "error", err.msg);
		cli_print_json(o);
	} else if (rc == 0 && !ctx->quiet) {
		printf(_("%u drill sandboxes removed from %s\n"), removed, root);
	}
	if (rc != 0)
		cmd_error(ctx, "%s", err.msg);
	free(root);
	return rc == 0 ? VS_EXIT_OK : VS_EXIT_FAILURE;
}

static void
cmd_drill_print(const struct drill_report *r, bool quiet)
{
	for (size_t i = 0; i < r->n; i++) {
		static const int w[] = { 6, 36, 0 };
		const struct drill_check *c = &r->checks[i];
		const char *cells[] = { !c->ok ? _("FAIL") : c->skipped ? _("skip") : _("ok"),
		    c->what, c->detail };

		if (c->ok && quiet)
			continue;
		fputs("  ", stdout);
		cli_row(w, 3, cells);
	}
	if (r->server[0] != '\0' && !quiet)
		printf(_("sandbox server: %s\n"), r->server);
}

static void
cmd_drill_print_kept(const struct drill_report *r)
{
	if (r->kept_dir != NULL) {
		printf(_("The sandbox is kept in %s.\n"), r->kept_dir);
		if (r->kept_socket != NULL)
			printf(_("Connect to its Redis: redis-cli -s %s\n"), r->kept_socket);
		printf(_("Remove it (and stop its server): vsbackup drill --cleanup\n"));
	}
}

static int
cmd_drill_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *self = &cmd_drill_entry;
	struct cmd_drill_options opts = { { 0 }, false, false, false };
	struct job_drill_args *args;
	struct engine_event *done;
	const struct drill_report *rep;
	char id[BACKUP_ID_SIZE] = "";
	int rc;

	if ((rc = cmd_parse_options(ctx, self, argc, argv, NULL, cmd_drill_longopts,
	    cmd_drill_option, &opts)) >= 0)
		return rc;
	if (optind + 1 < argc)
		return cmd_usage_error(self, _("unexpected argument '%s'"), argv[optind + 1]);
	if (optind < argc && strcmp(argv[optind], "latest") != 0 &&
	    (rc = cli_take_id(ctx, self, argc, argv, id)) != 0)
		return rc;
	if (opts.cleanup && (optind < argc || opts.keep || opts.from_given))
		return cmd_usage_error(self, _("--cleanup takes no backup and no other option"));
	if (cmd_load_config(ctx) != 0)
		return 1;
	if (opts.cleanup)
		return cmd_drill_cleanup(ctx);
	args = xcalloc(1, sizeof *args);
	snprintf(args->id, sizeof args->id, "%s", id);
	if (opts.from_given && (rc = cli_where_one(ctx, self, "--from", opts.where.from, NULL,
	    args->from)) != 0) {
		free(args);
		return rc;
	}
	args->keep = opts.keep;
	ctx->stream_events = true;
	if ((rc = cli_run(ctx, &job_drill_type, args, &done)) != 0)
		return rc == VS_EXIT_INVALID ? VS_EXIT_FAILURE : rc;
	rep = done->result;
	if (ctx->json) {
		cli_print_result(ctx, done, NULL);
	} else {
		cmd_drill_print(rep, ctx->quiet);
		/* The result line also with -q: it is what a cron mail shows. */
		ctx->quiet = false;
		cli_print_result(ctx, done, stdout);
		cmd_drill_print_kept(rep);
	}
	rc = rep->ok ? VS_EXIT_OK : VS_EXIT_INVALID;
	engine_event_free(done);
	return rc;
}

const struct cmd_entry cmd_drill_entry = {
	.name = "drill",
	.usage = N_("[ID|latest] [--from local|NAME|s3] [--keep] | --cleanup"),
	.summary = N_("restore a backup into a sandbox and prove it works"),
	.help = N_("Restores the backup (the newest when no ID is given) into a scratch\n"
	           "directory under drill.dir, never into the live Redis or index files: a\n"
	           "private redis-server on a unix socket loads its RDB, and a separate process\n"
	           "loads each index through FAISS. Checks: the copies' checksums; Redis loads\n"
	           "the snapshot; key counts per prefix and DBSIZE as recorded (keys with a TTL\n"
	           "may have expired); a reproducible sample of documents (drill.sample_size,\n"
	           "drill.seed) parses, with an id and a vector of the index's dimension; each\n"
	           "sampled id is in the index, which stores the same vector; a search for each\n"
	           "finds its own id (first for an exact index, within drill.search_k for an\n"
	           "approximate one: recall); and over every document, ids missing from the\n"
	           "index and index ids no document names. Reports the recovery time by phase\n"
	           "(download, Redis load, index load, checks) against drill.rto_target_local\n"
	           "or drill.rto_target_s3. The result is recorded beside the backup\n"
	           "(drill.json) and shown by list, show, health and metrics.\n"
	           "\n  --from L      drill the copy in that location: local, a location's name,\n"
	           "                s3 (the first S3 location) (default: the nearest holding\n"
	           "                it, local first)\n"
	           "  --keep        leave the sandbox and its Redis running, and say how to\n"
	           "                connect\n"
	           "  --cleanup     stop and remove every sandbox no drill is running in\n"
	           "\nExit status: 0 every check passed, 3 a check failed (named, with its\n"
	           "counts), 1 the drill could not run.\n"),
	.flags = CMD_NEEDS_CONFIG,
	.exec = cmd_drill_exec,
};
