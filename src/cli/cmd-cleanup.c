#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
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
#include "retention/retention.h"

extern const struct cmd_entry cmd_cleanup_entry;

static int
parse_count(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < 0 || v > 100000)
		return -1;
	*out = (int)v;
	return 0;
}

static cJSON *
row_json(const struct cleanup_row *r, time_t at)
{
	cJSON *o = cJSON_CreateObject();
	char t[ISO8601_SIZE];

	cJSON_AddStringToObject(o, "id", r->id);
	cJSON_AddStringToObject(o, "location", r->location);
	cJSON_AddStringToObject(o, "type", backup_type_name(r->type));
	time_format_iso(r->created, t);
	cJSON_AddStringToObject(o, "created_at", t);
	cJSON_AddNumberToObject(o, "age_seconds", (double)(at - r->created));
	cJSON_AddNumberToObject(o, "size", (double)r->bytes);
	cJSON_AddStringToObject(o, "action", r->keep ? "keep" : "delete");
	cJSON_AddStringToObject(o, "reason_code",
	    retention_reason_name((enum retention_reason)r->reason));
	cJSON_AddStringToObject(o, "reason", r->text);
	if (r->expires != 0) {
		time_format_iso(r->expires, t);
		cJSON_AddStringToObject(o, "expires_at", t);
	} else {
		cJSON_AddNullToObject(o, "expires_at");
	}
	cJSON_AddBoolToObject(o, "deleted", r->deleted);
	if (r->error != NULL)
		cJSON_AddStringToObject(o, "error", r->error);
	return o;
}

static void
print_table(const struct cleanup_report *rep)
{
	static const int w[] = { 15, 11, -8, 5, 8, 0 };
	const char *head[] = { _("ID"), _("TYPE"), _("AGE"), _("WHERE"), _("ACTION"), _("REASON") };
	char at[ISO8601_SIZE], reason[1024];

	time_format_iso(rep->at, at);
	printf(rep->dry_run ? _("Retention at %s (dry run: nothing is deleted)\n") :
	    _("Retention at %s\n"), at);
	cli_row(w, 6, head);
	for (size_t i = 0; i < rep->n; i++) {
		const struct cleanup_row *r = &rep->rows[i];
		char age[24];
		const char *action;

		time_format_age((long long)(rep->at - r->created), age, sizeof age);
		if (r->keep)
			action = _("keep");
		else if (rep->dry_run)
			action = _("delete");
		else
			action = r->deleted ? _("deleted") : _("FAILED");
		snprintf(reason, sizeof reason, "%s%s%s", r->text, r->error ? ": " : "",
		    r->error ? r->error : "");
		{
			const char *row[] = { r->id, backup_type_name(r->type), age, r->location,
			    action, reason };

			cli_row(w, 6, row);
		}
	}
	if (rep->n == 0)
		printf("%s\n", _("(no backups)"));
}

/* The job's arguments as the command line sets them, and --at as given. */
struct cmd_cleanup_options {
	struct job_cleanup_args args;
	const char *at;
	const char *location;
};

static const struct option cmd_cleanup_longopts[] = {
	{ "dry-run", no_argument, NULL, 'n' },
	{ "location", required_argument, NULL, 'l' },
	{ "at", required_argument, NULL, 'a' },
	{ "retain-days", required_argument, NULL, 'D' },
	{ "retain-weekly", required_argument, NULL, 'W' },
	{ "retain-monthly", required_argument, NULL, 'M' },
	CMD_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static int
cmd_cleanup_option(const struct cmd_entry *self, void *ud, int opt, const char *arg)
{
	struct cmd_cleanup_options *opts = ud;
	int *counter;

	switch (opt) {
	case 'n':
		opts->args.dry_run = true;
		break;
	case 'l':
		opts->location = arg;
		break;
	case 'a':
		opts->at = arg;
		break;
	case 'D':
	case 'W':
	case 'M':
		counter = opt == 'D' ? &opts->args.retain_days : opt == 'W' ?
		    &opts->args.retain_weekly : &opts->args.retain_monthly;
		if (parse_count(arg, counter) != 0)
			return cmd_usage_error(self, _("'%s' is not a number of days, weeks or "
			    "months (0 to 100000)"), arg);
		break;
	}
	return 0;
}

static int
cmd_cleanup_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *self = &cmd_cleanup_entry;
	struct cmd_cleanup_options opts = {
		.args = {
			.retain_days = -1,
			.retain_weekly = -1,
			.retain_monthly = -1,
		},
	};
	struct job_cleanup_args *args;
	const struct cleanup_report *rep;
	struct engine_event *done;
	struct vs_error err;
	int rc;

	if ((rc = cmd_parse_options(ctx, self, argc, argv, "n", cmd_cleanup_longopts,
	    cmd_cleanup_option, &opts)) >= 0)
		return rc;
	if ((rc = cmd_no_operands(self, argc, argv)) != 0)
		return rc;
	error_clear(&err);
	opts.args.at = time_now();
	if (opts.at != NULL && time_parse(opts.at, &opts.args.at, &err) != 0)
		return cmd_usage_error(self, "--at: %s", err.msg);
	if (cmd_load_config(ctx) != 0)
		return 1;
	if ((rc = cli_where_set(ctx, self, "--location", opts.location,
	    config_location_all(ctx->cfg), &opts.args.locations)) != 0)
		return rc;
	args = xmalloc(sizeof *args);
	*args = opts.args;
	if ((rc = cli_run(ctx, &job_cleanup_type, args, &done)) != 0)
		return rc;
	rep = done->result;
	if (ctx->json) {
		cJSON *arr = cJSON_CreateArray();

		for (size_t i = 0; i < rep->n; i++)
			cJSON_AddItemToArray(arr, row_json(&rep->rows[i], rep->at));
		cli_print_json(arr);
	} else if (!ctx->quiet) {
		print_table(rep);
		cli_print_result(ctx, done, stdout);
	}
	rc = rep->failed > 0 ? VS_EXIT_FAILURE : VS_EXIT_OK;
	for (size_t l = 0; l < CONFIG_LOCATION_MAX; l++) {
		if (rep->skipped[l] == NULL)
			continue;
		if (!ctx->json)
			fprintf(stderr, _("vsbackup: %s was not cleaned up: %s\n"),
			    rep->skipped_names[l], rep->skipped[l]);
		rc = VS_EXIT_FAILURE;
	}
	engine_event_free(done);
	return rc;
}

const struct cmd_entry cmd_cleanup_entry = {
	.name = "cleanup",
	.usage = N_("[--dry-run] [--location local|NAME|s3|all] [--at DATETIME] [--retain-days N] "
	            "[--retain-weekly N] [--retain-monthly N]"),
	.summary = N_("delete the backups the retention policy no longer keeps, saying why"),
	.help = N_("Prints one row per backup: id, type, age, location, keep or delete, and the\n"
	           "reason. Daily backups are kept retention.daily days, weekly ones\n"
	           "retention.weekly weeks, monthly ones retention.monthly calendar months,\n"
	           "pre-restore ones retention.pre_restore_days days, manual ones until deleted\n"
	           "(or retention.manual_days). Never deleted: the newest verified backup (or,\n"
	           "when none is verified, the newest complete one), pinned backups, backups in\n"
	           "use. Incomplete backups left by interrupted runs are removed. Each location\n"
	           "applies the policy on its own, with its own numbers (the retention group\n"
	           "of its s3 group, else retention_s3, else retention).\n"
	           "A real run deletes exactly what a dry run at the same moment shows, under\n"
	           "the backup_dir lock.\n"
	           "\n  --dry-run            decide and show, delete nothing\n"
	           "  --location L         local, a location's name, s3 (every S3 location) or\n"
	           "                       all (default)\n"
	           "  --at DATETIME        evaluate at another moment (YYYY-MM-DD[THH:MM:SSZ], UTC)\n"
	           "  --retain-days N      override daily of every location chosen\n"
	           "  --retain-weekly N    override weekly of every location chosen\n"
	           "  --retain-monthly N   override monthly of every location chosen\n"
	           "\nVSBACKUP_NOW=DATETIME fixes the current time for every command.\n"),
	.flags = CMD_NEEDS_CONFIG,
	.exec = cmd_cleanup_exec,
};
