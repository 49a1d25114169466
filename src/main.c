/* vsbackup: back up and restore a Redis + FAISS vector store. */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "common/error.h"
#include "common/i18n.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "faiss/faiss-index.h"
#include "ops/metrics.h"

static void
usage(FILE *fp)
{
	fprintf(fp, _("Usage: vsbackup [-c FILE] [--json] [-q] COMMAND [ARGS]\n"
	              "Back up, verify and restore a Redis + FAISS vector store, locally and on S3.\n\n"));
	fprintf(fp, _("Commands:\n"));
	for (size_t i = 0; cmd_table[i] != NULL; i++) {
		const struct cmd_entry *e = cmd_table[i];

		if (e->flags & CMD_HIDDEN)
			continue;
		fprintf(fp, "  %-10s %s\n", e->name, _(e->summary));
	}
	fprintf(fp, _("\nOptions:\n"
	              "  -c, --config FILE  configuration file (default: $VSBACKUP_CONFIG, else %s)\n"
	              "      --json         machine-readable output (one JSON object or event per line)\n"
	              "  -q, --quiet        print only errors and the result\n"
	              "  -h, --help         show this help; 'vsbackup COMMAND --help' for a command\n"
	              "  -V, --version      show the version\n\n"),
	    CONFIG_DEFAULT_PATH);
	fprintf(fp, _("Exit status: 0 success, 1 failure, 2 usage error or refused, 3 verification failed.\n"));
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, CMD_OPT_JSON },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cmd_ctx ctx = { 0 };
	const struct cmd_entry *entry;
	const char *name;
	struct timespec t0, t1;
	int opt, rc;

	xmalloc_init();
	/* Deep verification starts this program again to load an index. */
	faiss_loader_dispatch(argc, argv);
	faiss_blas_threads_stop();
	i18n_init();
	signal(SIGPIPE, SIG_IGN);
	ctx.tty = isatty(STDOUT_FILENO) != 0;

	while ((opt = getopt_long(argc, argv, "+c:qhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			ctx.config_path = optarg;
			break;
		case CMD_OPT_JSON:
			ctx.json = true;
			break;
		case 'q':
			ctx.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return VS_EXIT_OK;
		case 'V':
			printf("vsbackup %s\n", PACKAGE_VERSION);
			return VS_EXIT_OK;
		default:
			usage(stderr);
			return VS_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		/* With no command, a terminal gets the TUI when there is one. */
		entry = isatty(STDIN_FILENO) && ctx.tty ? cmd_find("tui") : NULL;
		if (entry == NULL) {
			usage(stderr);
			return VS_EXIT_USAGE;
		}
		name = entry->name;
		argv[optind - 1] = (char *)name;
		optind--;
	} else {
		name = argv[optind];
		entry = cmd_find(name);
		if (entry == NULL) {
			fprintf(stderr, _("vsbackup: unknown command '%s'; 'vsbackup --help' lists the commands\n"),
			    name);
			return VS_EXIT_USAGE;
		}
	}
	if (ctx.quiet)
		log_set_level(VS_LOG_WARN);
	/* A drill with a mistyped clock must not run at the real time. */
	{
		const char *now = getenv("VSBACKUP_NOW");
		struct vs_error terr;
		time_t t;

		error_clear(&terr);
		if (now != NULL && *now != '\0' && time_parse(now, &t, &terr) != 0) {
			fprintf(stderr, _("vsbackup: VSBACKUP_NOW: %s\n"), terr.msg);
			return VS_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	optind = 0; /* full reset of getopt for the command's own options */

	clock_gettime(CLOCK_MONOTONIC, &t0);
	log_set_operation(entry->name);
	rc = entry->exec(&ctx, argc, argv);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (ctx.cfg != NULL) {
		/* Metrics describe the run; failing to write them does not
		 * change its exit status. */
		struct vs_error merr;

		error_clear(&merr);
		if (ops_metrics_after_command(ctx.cfg, entry->name, rc,
		    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
		    &merr) != 0)
			log_msg(VS_LOG_WARN, "%s", merr.msg);
	}
	config_free(ctx.cfg);
	return rc;
}
