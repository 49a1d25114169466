/* vsbackup metrics: write (or print) the Prometheus metrics now. */
#include "config.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/run-job.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "ops/metrics.h"

extern const struct cmd_entry cmd_metrics_entry;

enum { CMD_METRICS_STDOUT = 0x100, CMD_METRICS_OUTPUT };

struct cmd_metrics_options {
	bool to_stdout;
	const char *output;
};

static const struct option cmd_metrics_longopts[] = {
	{ "stdout", no_argument, NULL, CMD_METRICS_STDOUT },
	{ "output", required_argument, NULL, CMD_METRICS_OUTPUT },
	CMD_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static int
cmd_metrics_option(const struct cmd_entry *self, void *ud, int opt, const char *arg)
{
	struct cmd_metrics_options *opts = ud;

	switch (opt) {
	case CMD_METRICS_STDOUT:
		opts->to_stdout = true;
		break;
	case CMD_METRICS_OUTPUT:
		if (arg[0] == '\0')
			return cmd_usage_error(self, _("--output wants a file name"));
		opts->output = arg;
		break;
	}
	return 0;
}

static int
cmd_metrics_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *self = &cmd_metrics_entry;
	struct cmd_metrics_options opts = { 0 };
	struct ops_metrics_args *args;
	const struct ops_metrics_result *res;
	struct engine_event *done;
	int rc;

	if ((rc = cmd_parse_options(ctx, self, argc, argv, NULL, cmd_metrics_longopts,
	    cmd_metrics_option, &opts)) >= 0)
		return rc;
	if ((rc = cmd_no_operands(self, argc, argv)) != 0)
		return rc;
	if (opts.to_stdout && opts.output != NULL)
		return cmd_usage_error(self, _("--stdout and --output exclude each other"));
	if (cmd_load_config(ctx) != 0)
		return VS_EXIT_FAILURE;
	args = xcalloc(1, sizeof *args);
	args->output = opts.output != NULL ? xstrdup(opts.output) : NULL;
	/* Nowhere to write: show them instead. */
	if (opts.output == NULL && ctx->cfg->monitoring.metrics_file[0] == '\0')
		opts.to_stdout = true;
	args->no_write = opts.to_stdout;
	ctx->stream_events = true;
	if ((rc = cli_run(ctx, &job_metrics_type, args, &done)) != 0)
		return rc;
	res = done->result;
	if (ctx->json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "event", "result");
		if (res->file != NULL)
			cJSON_AddStringToObject(o, "file", res->file);
		else
			cJSON_AddNullToObject(o, "file");
		cJSON_AddNumberToObject(o, "samples", (double)res->samples);
		if (res->file == NULL)
			cJSON_AddStringToObject(o, "text", res->text);
		cli_print_json(o);
	} else if (res->file == NULL) {
		fputs(res->text, stdout);
	} else if (!ctx->quiet) {
		fprintf(stderr, ngettext("vsbackup: %zu sample written to %s\n",
		    "vsbackup: %zu samples written to %s\n", res->samples), res->samples, res->file);
	}
	engine_event_free(done);
	return VS_EXIT_OK;
}

const struct cmd_entry cmd_metrics_entry = {
	.name = "metrics",
	.usage = N_("[--stdout | --output FILE]"),
	.summary = N_("write the Prometheus metrics file now"),
	.help = N_("Lists the backups (locally and in S3), reads the state file of the last\n"
	           "runs and writes monitoring.metrics_file atomically in the Prometheus text\n"
	           "format, for node_exporter's textfile collector. The file is also rewritten\n"
	           "after every command that changes something. With no metrics_file set, the\n"
	           "metrics are printed instead.\n"
	           "\n  --stdout       print the metrics, write no file\n"
	           "  --output FILE  write FILE instead of monitoring.metrics_file\n"),
	.flags = CMD_NEEDS_CONFIG,
	.exec = cmd_metrics_exec,
};
