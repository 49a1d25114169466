/* vsbackup health: the checks of job_health_type as a monitoring plugin. */
#include "config.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/run-job.h"
#include "common/i18n.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "ops/health.h"

extern const struct cmd_entry cmd_health_entry;

/* The plugin's answer when it cannot run at all: exit 3, reason on stdout
 * (a monitoring system shows only stdout). */
static int
health_unknown(struct cmd_ctx *ctx, const char *why)
{
	if (ctx->json) {
		cJSON *o = cJSON_CreateObject();
		char at[ISO8601_SIZE];

		time_format_iso(time_now(), at);
		cJSON_AddStringToObject(o, "state", "UNKNOWN");
		cJSON_AddNumberToObject(o, "exit_code", HEALTH_UNKNOWN);
		cJSON_AddStringToObject(o, "checked_at", at);
		cJSON_AddStringToObject(o, "summary", why);
		cJSON_AddItemToObject(o, "checks", cJSON_CreateArray());
		cli_print_json(o);
	} else {
		printf("VSBACKUP UNKNOWN - %s\n", why);
	}
	return HEALTH_UNKNOWN;
}

/* The problems, worst first, joined with "; " (or a short all-clear). */
static char *
health_summary(const struct health_report *r)
{
	static const enum health_state order[] = { HEALTH_CRITICAL, HEALTH_UNKNOWN, HEALTH_WARNING };
	char *out = xstrdup(""), *next;
	size_t n = 0;

	for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
		for (size_t i = 0; i < r->n; i++) {
			const struct health_check *c = &r->checks[i];

			/* Checks skipped because an earlier one failed repeat it. */
			if (c->state != order[k] || c->skipped)
				continue;
			next = xasprintf("%s%s%s: %s", out, n ? "; " : "", c->name, c->text);
			free(out);
			out = next;
			n++;
		}
	}
	if (n == 0) {
		size_t checked = 0;

		for (size_t i = 0; i < r->n; i++)
			checked += !r->checks[i].skipped;
		free(out);
		out = xasprintf(_("%zu checks passed; %s"), checked,
		    health_location_check((struct health_report *)r, 0, HEALTH_LOC_AGE)->text);
	}
	return out;
}

static cJSON *
health_check_json(const struct health_check *c)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "name", c->name);
	cJSON_AddStringToObject(o, "state", health_state_name(c->state));
	cJSON_AddBoolToObject(o, "skipped", c->skipped);
	cJSON_AddStringToObject(o, "message", c->text ? c->text : "");
	if (c->has_value) {
		cJSON_AddNumberToObject(o, "value", c->value);
		cJSON_AddStringToObject(o, "unit", c->unit);
		if (c->warn > 0 || c->crit > 0) {
			cJSON_AddNumberToObject(o, "warning", c->warn);
			cJSON_AddNumberToObject(o, "critical", c->crit);
		} else {
			cJSON_AddNullToObject(o, "warning");
			cJSON_AddNullToObject(o, "critical");
		}
		cJSON_AddStringToObject(o, "alert_when", c->low ? "below" : "above");
	} else {
		cJSON_AddNullToObject(o, "value");
		cJSON_AddNullToObject(o, "unit");
		cJSON_AddNullToObject(o, "warning");
		cJSON_AddNullToObject(o, "critical");
		cJSON_AddNullToObject(o, "alert_when");
	}
	return o;
}

static void
health_print(struct cmd_ctx *ctx, const struct health_report *r)
{
	char *summary = health_summary(r), *perf = health_perfdata(r);
	char at[ISO8601_SIZE];

	time_format_iso(r->at, at);
	if (ctx->json) {
		cJSON *o = cJSON_CreateObject(), *arr;

		cJSON_AddStringToObject(o, "state", health_state_name(r->state));
		cJSON_AddNumberToObject(o, "exit_code", r->state);
		cJSON_AddStringToObject(o, "checked_at", at);
		cJSON_AddStringToObject(o, "summary", summary);
		arr = cJSON_AddArrayToObject(o, "checks");
		for (size_t i = 0; i < r->n; i++)
			cJSON_AddItemToArray(arr, health_check_json(&r->checks[i]));
		cli_print_json(o);
	} else {
		printf("VSBACKUP %s - %s%s%s\n", health_state_name(r->state), summary,
		    perf[0] ? " | " : "", perf);
		if (!ctx->quiet)
			for (size_t i = 0; i < r->n; i++) {
				const struct health_check *c = &r->checks[i];

				printf("%-8s %-17s %s%s\n", c->skipped && c->state == HEALTH_OK ?
				    "-" : health_state_name(c->state), c->name, c->text,
				    c->skipped && c->state == HEALTH_OK ? _(" (skipped)") : "");
			}
	}
	free(summary);
	free(perf);
}

static int
cmd_health_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *self = &cmd_health_entry;
	struct cmd_ctx jctx;
	struct engine_event *done;
	struct vs_error err;
	int rc;

	if ((rc = cmd_parse_options(ctx, self, argc, argv, NULL, NULL, NULL, NULL)) >= 0)
		return rc;
	if ((rc = cmd_no_operands(self, argc, argv)) != 0)
		return rc;
	if (ctx->cfg == NULL) {
		error_clear(&err);
		if (config_load(config_locate(ctx->config_path), &ctx->cfg, &err) != 0)
			return health_unknown(ctx, err.msg);
		log_configure(ctx->cfg);
	}
	/* No progress bar and no JSON events: stdout carries the plugin
	 * output or the one object, nothing else. */
	jctx = *ctx;
	jctx.json = false;
	jctx.quiet = true;
	done = cli_run_job(&jctx, &job_health_type, NULL);
	if (done->status != 0) {
		rc = health_unknown(ctx, done->err.msg);
		engine_event_free(done);
		return rc;
	}
	health_print(ctx, done->result);
	rc = ((const struct health_report *)done->result)->state;
	engine_event_free(done);
	return rc;
}

const struct cmd_entry cmd_health_entry = {
	.name = "health",
	.usage = "",
	.summary = N_("check Redis, S3, backup age, verification, free space and the lock"),
	.help = N_("Runs every check and prints one line per check after a first line in the\n"
	           "monitoring-plugin form \"VSBACKUP STATE - problems | performance data\".\n"
	           "Checks: Redis reachable, authenticated, last background save ok, not\n"
	           "loading; S3 (when s3.bucket is set) listed with the configured credentials,\n"
	           "and when they expire if that can be told; the newest complete backup in each\n"
	           "location younger than monitoring.rpo_hours (WARNING past it, CRITICAL past\n"
	           "twice it); the newest verified backup younger than\n"
	           "monitoring.verify_max_age_hours (likewise); free space in backup_dir for two\n"
	           "more backups the size of the newest (WARNING for one, CRITICAL for less);\n"
	           "no stale lock in backup_dir (WARNING).\n"
	           "With --json: one object (see vsbackup(1)). With -q: the first line only.\n"
	           "\nExit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (cannot run, e.g. no\n"
	           "configuration).\n"),
	/* A plugin answers UNKNOWN to a bad command line. */
	.usage_status = HEALTH_UNKNOWN,
	.exec = cmd_health_exec,
};
