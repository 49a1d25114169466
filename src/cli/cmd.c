#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "common/error.h"
#include "common/i18n.h"
#include "common/log.h"
#include "common/xmalloc.h"

const struct cmd_entry *
cmd_find(const char *name)
{
	for (size_t i = 0; cmd_table[i] != NULL; i++)
		if (strcmp(cmd_table[i]->name, name) == 0)
			return cmd_table[i];
	return NULL;
}

int
cmd_load_config(struct cmd_ctx *ctx)
{
	struct vs_error err;

	if (ctx->cfg != NULL)
		return 0;
	error_clear(&err);
	if (config_load(config_locate(ctx->config_path), &ctx->cfg, &err) != 0) {
		cmd_error(ctx, "%s", err.msg);
		return -1;
	}
	log_configure(ctx->cfg);
	return 0;
}

void
cmd_print_help(const struct cmd_entry *e)
{
	printf(_("Usage: vsbackup %s %s\n"), e->name, e->usage[0] ? _(e->usage) : "");
	printf("%s\n", _(e->summary));
	if (e->help != NULL && e->help[0] != '\0')
		printf("\n%s", _(e->help));
	printf(_("\nCommon options: -c FILE (configuration), --json, -q (quiet), -h (help).\n"));
}

int
cmd_usage_error(const struct cmd_entry *e, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vsbackup %s: ", e->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, _("\nUsage: vsbackup %s %s\n"), e->name, e->usage[0] ? _(e->usage) : "");
	return e->usage_status != 0 ? e->usage_status : VS_EXIT_USAGE;
}

/* A common option: 1 when handled, 0 when opt is not one, -1 after printing
 * the help. */
static int
cmd_common_option(struct cmd_ctx *ctx, const struct cmd_entry *e, int opt)
{
	switch (opt) {
	case 'c':
		ctx->config_path = optarg;
		return 1;
	case CMD_OPT_JSON:
		ctx->json = true;
		return 1;
	case 'q':
		ctx->quiet = true;
		log_set_level(VS_LOG_WARN);
		return 1;
	case 'h':
		cmd_print_help(e);
		return -1;
	default:
		return 0;
	}
}

int
cmd_parse_options(struct cmd_ctx *ctx, const struct cmd_entry *e, int argc, char **argv,
    const char *shortopts, const struct option *longopts, cmd_option_fn *handle, void *ud)
{
	static const struct option common_longopts[] = {
		CMD_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	char *spec;
	int opt, rc = -1;

	spec = xasprintf("%s%s", CMD_COMMON_SHORTOPTS, shortopts != NULL ? shortopts : "");
	if (longopts == NULL)
		longopts = common_longopts;
	while (rc < 0 && (opt = getopt_long(argc, argv, spec, longopts, NULL)) != -1) {
		switch (cmd_common_option(ctx, e, opt)) {
		case 1:
			break;
		case -1:
			rc = VS_EXIT_OK;
			break;
		default:
			/* For '?', getopt_long() has printed what was wrong. */
			if (opt == '?' || handle == NULL)
				rc = cmd_usage_error(e, _("unknown option"));
			else if ((rc = handle(e, ud, opt, optarg)) == 0)
				rc = -1;
			break;
		}
	}
	free(spec);
	return rc;
}

int
cmd_no_operands(const struct cmd_entry *e, int argc, char **argv)
{
	if (optind < argc)
		return cmd_usage_error(e, _("unexpected argument '%s'"), argv[optind]);
	return 0;
}

void
cmd_error(struct cmd_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	(void)ctx;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, "vsbackup: %s\n", msg);
	/* Errors of unattended runs belong in log.file too. */
	log_record(VS_LOG_ERROR, NULL, NULL, msg);
	free(msg);
}

bool
cmd_confirm(const char *question)
{
	char line[64];

	if (!isatty(STDIN_FILENO))
		return false;
	fprintf(stderr, _("%s [y/N] "), question);
	fflush(stderr);
	if (fgets(line, sizeof line, stdin) == NULL)
		return false;
	/* Accept the translated "yes" as well as y/yes. */
	return strcmp(line, "y\n") == 0 || strcmp(line, "yes\n") == 0 ||
	    rpmatch(line) == 1;
}
