/* vsbackup demo: create (or stop) a self-contained demo sandbox. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli/cmd.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "demo/demo.h"

extern const struct cmd_entry cmd_demo_entry;

/* Set by SIGINT/SIGTERM while the demo is being created. */
static volatile sig_atomic_t demo_interrupted;

static void
demo_on_signal(int sig)
{
	(void)sig;
	demo_interrupted = 1;
}

struct demo_progress_state {
	bool tty;              /* stderr is a terminal: one line, rewritten */
	const char *phase;     /* the phase on screen */
	double last;           /* when the line was last drawn */
	bool open;             /* a rewritten line is waiting for its newline */
};

static double
demo_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
demo_progress_end(struct demo_progress_state *st)
{
	if (st->open)
		fputc('\n', stderr);
	st->open = false;
}

static void
demo_show_progress(void *arg, const char *phase, uint64_t done, uint64_t total)
{
	struct demo_progress_state *st = arg;
	bool new_phase = st->phase == NULL || strcmp(st->phase, phase) != 0;
	double now = demo_clock();

	if (!st->tty) {
		/* Logs get one line per phase. */
		if (new_phase)
			fprintf(stderr, "vsbackup demo: %s\n", phase);
		st->phase = phase;
		return;
	}
	if (!new_phase && done != total && now - st->last < 0.1)
		return;
	if (new_phase)
		demo_progress_end(st);
	st->phase = phase;
	st->last = now;
	if (total > 0)
		fprintf(stderr, "\rvsbackup demo: %s %llu/%llu (%d%%)\033[K", phase,
		    (unsigned long long)done, (unsigned long long)total,
		    (int)(done * 100 / total));
	else
		fprintf(stderr, "\rvsbackup demo: %s\033[K", phase);
	st->open = true;
	fflush(stderr);
}

/* A whole number in [min, max] for option name, else a usage error. */
static int
demo_parse_number(const char *name, const char *s, long long min, long long max,
    long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return cmd_usage_error(&cmd_demo_entry,
		    _("%s wants a whole number from %lld to %lld, not '%s'"), name, min, max, s);
	*out = v;
	return 0;
}

static int
demo_stop_exec(struct cmd_ctx *ctx, const char *dir)
{
	struct vs_error err;
	bool was_running;

	error_clear(&err);
	if (demo_stop(dir, &was_running, &err) != 0) {
		cmd_error(ctx, "%s", err.msg);
		return error_exit_status(err.code);
	}
	if (ctx->json) {
		cJSON *o = cJSON_CreateObject();
		char *text;

		cJSON_AddStringToObject(o, "dir", dir);
		cJSON_AddBoolToObject(o, "stopped", was_running);
		text = cJSON_PrintUnformatted(o);
		printf("%s\n", text);
		free(text);
		cJSON_Delete(o);
	} else if (was_running) {
		if (!ctx->quiet)
			printf(_("Stopped the demo Redis server in %s.\n"
			         "Its files stay there. Rebuild the demo in it (its backups are kept) with:\n"
			         "  vsbackup demo --dir %s\n"
			         "or remove it with: rm -rf %s\n"), dir, dir, dir);
	} else {
		printf(_("No demo Redis server is running in %s; nothing to stop.\n"), dir);
	}
	return VS_EXIT_OK;
}

static void
demo_print_json(const struct demo_result *res, const struct demo_options *opt)
{
	cJSON *o = cJSON_CreateObject();
	char *text;

	cJSON_AddStringToObject(o, "dir", res->dir);
	cJSON_AddStringToObject(o, "config", res->config_path);
	cJSON_AddStringToObject(o, "redis_socket", res->socket);
	cJSON_AddStringToObject(o, "content_index", res->content_index);
	cJSON_AddStringToObject(o, "user_index", res->user_index);
	cJSON_AddStringToObject(o, "backup_dir", res->backup_dir);
	cJSON_AddNumberToObject(o, "vectors", (double)opt->vectors);
	cJSON_AddNumberToObject(o, "users", (double)opt->users);
	cJSON_AddNumberToObject(o, "dim", opt->dim);
	cJSON_AddNumberToObject(o, "seed", (double)opt->seed);
	cJSON_AddNumberToObject(o, "seconds", res->seconds);
	text = cJSON_PrintUnformatted(o);
	printf("%s\n", text);
	free(text);
	cJSON_Delete(o);
}

/* How to run this very program again: "vsbackup" when that is what PATH
 * finds, else its full path (a build tree, after scripts/demo). */
static const char *
demo_self(void)
{
	static char self[PATH_MAX];
	char *path, *p, *dir, *save = NULL;
	bool on_path = false;
	ssize_t n;

	if (self[0] != '\0')
		return self;
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0) {
		snprintf(self, sizeof self, "vsbackup");
		return self;
	}
	self[n] = '\0';
	path = xstrdup(getenv("PATH") != NULL ? getenv("PATH") : "");
	for (p = path; (dir = strtok_r(p, ":", &save)) != NULL && !on_path; p = NULL) {
		char *cand = xasprintf("%s/vsbackup", dir), real[PATH_MAX];

		on_path = realpath(cand, real) != NULL && strcmp(real, self) == 0;
		free(cand);
	}
	free(path);
	if (on_path)
		snprintf(self, sizeof self, "vsbackup");
	return self;
}

static void
demo_print_summary(const struct demo_result *res, const struct demo_options *opt)
{
	const char *me = demo_self();

	printf(_("Demo ready in %s (%.1f s).\n\n"), res->dir, res->seconds);
	printf(_("  Redis     %s: %lld chimera-vectors: and %lld chimera-users: documents\n"),
	    res->socket, opt->vectors, opt->users);
	printf(_("  FAISS     %s (%lld x %d)\n"), res->content_index, opt->vectors, opt->dim);
	printf(_("            %s (%lld x %d)\n"), res->user_index, opt->users, opt->dim);
	printf(_("  backups   %s\n"), res->backup_dir);
	printf(_("  config    %s\n\n"), res->config_path);
	printf(_("Try:\n"
	         "  %s -c %s backup\n"
	         "  %s -c %s list\n"
	         "  redis-cli -s %s dbsize\n"
	         "or set VSBACKUP_CONFIG=%s and leave out -c.\n\n"),
	    me, res->config_path, me, res->config_path, res->socket, res->config_path);
	printf(_("The demo Redis server keeps running; stop it with:\n"
	         "  %s demo --stop --dir %s\n"), me, res->dir);
}

/* Open the TUI on the demo, when this build has one. */
static int
demo_open_tui(struct cmd_ctx *ctx, const struct demo_result *res)
{
	const struct cmd_entry *tui = cmd_find("tui");
	struct cmd_ctx tctx = { 0 };
	char *targv[] = { (char *)"tui", NULL };
	int rc;

	if (tui == NULL)
		return -1;
	tctx.config_path = res->config_path;
	tctx.tty = ctx->tty;
	if ((tui->flags & CMD_NEEDS_CONFIG) && cmd_load_config(&tctx) != 0)
		return VS_EXIT_FAILURE;
	optind = 0;
	rc = tui->exec(&tctx, 1, targv);
	config_free(tctx.cfg);
	printf(_("The demo Redis server is still running; stop it with: "
	         "%s demo --stop --dir %s\n"), demo_self(), res->dir);
	return rc;
}

enum {
	CMD_DEMO_DIR = 0x100, CMD_DEMO_VECTORS, CMD_DEMO_USERS, CMD_DEMO_DIM, CMD_DEMO_NO_TUI,
	CMD_DEMO_STOP, CMD_DEMO_SEED
};

/* The demo's options and what else the command line asked for. */
struct cmd_demo_options {
	struct demo_options opt;
	bool no_tui;
	bool stop;
	bool sized;           /* a size or seed was given */
};

static const struct option cmd_demo_longopts[] = {
	{ "dir", required_argument, NULL, CMD_DEMO_DIR },
	{ "vectors", required_argument, NULL, CMD_DEMO_VECTORS },
	{ "users", required_argument, NULL, CMD_DEMO_USERS },
	{ "dim", required_argument, NULL, CMD_DEMO_DIM },
	{ "no-tui", no_argument, NULL, CMD_DEMO_NO_TUI },
	{ "stop", no_argument, NULL, CMD_DEMO_STOP },
	{ "seed", required_argument, NULL, CMD_DEMO_SEED },
	CMD_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static int
cmd_demo_option(const struct cmd_entry *self, void *ud, int opt, const char *arg)
{
	struct cmd_demo_options *opts = ud;
	long long v;

	switch (opt) {
	case CMD_DEMO_DIR:
		if (*arg == '\0')
			return cmd_usage_error(self, _("--dir wants a directory"));
		opts->opt.dir = arg;
		break;
	case CMD_DEMO_VECTORS:
		if (demo_parse_number("--vectors", arg, 0, DEMO_MAX_DOCUMENTS, &v) != 0)
			return VS_EXIT_USAGE;
		opts->opt.vectors = v;
		opts->sized = true;
		break;
	case CMD_DEMO_USERS:
		if (demo_parse_number("--users", arg, 0, DEMO_MAX_DOCUMENTS, &v) != 0)
			return VS_EXIT_USAGE;
		opts->opt.users = v;
		opts->sized = true;
		break;
	case CMD_DEMO_DIM:
		if (demo_parse_number("--dim", arg, 1, DEMO_MAX_DIM, &v) != 0)
			return VS_EXIT_USAGE;
		opts->opt.dim = (int)v;
		opts->sized = true;
		break;
	case CMD_DEMO_SEED:
		if (demo_parse_number("--seed", arg, 0, LLONG_MAX, &v) != 0)
			return VS_EXIT_USAGE;
		opts->opt.seed = (uint64_t)v;
		opts->sized = true;
		break;
	case CMD_DEMO_NO_TUI:
		opts->no_tui = true;
		break;
	case CMD_DEMO_STOP:
		opts->stop = true;
		break;
	}
	return 0;
}

static int
cmd_demo_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct cmd_demo_options opts = {
		.opt = {
			.vectors = DEMO_DEFAULT_VECTORS,
			.users = DEMO_DEFAULT_USERS,
			.dim = DEMO_DEFAULT_DIM,
			.seed = DEMO_DEFAULT_SEED,
		},
	};
	struct demo_progress_state pst = { 0 };
	struct demo_result res;
	struct sigaction sa, old_int, old_term;
	struct vs_error err;
	int rc;

	if ((rc = cmd_parse_options(ctx, &cmd_demo_entry, argc, argv, NULL, cmd_demo_longopts,
	    cmd_demo_option, &opts)) >= 0)
		return rc;
	if ((rc = cmd_no_operands(&cmd_demo_entry, argc, argv)) != 0)
		return rc;

	if (opts.stop) {
		if (opts.opt.dir == NULL)
			return cmd_usage_error(&cmd_demo_entry,
			    _("--stop needs --dir DIR, the directory of the demo to stop"));
		if (opts.sized)
			return cmd_usage_error(&cmd_demo_entry,
			    _("--stop takes only --dir; --vectors, --users, --dim and --seed "
			      "are for creating a demo"));
		return demo_stop_exec(ctx, opts.opt.dir);
	}

	pst.tty = isatty(STDERR_FILENO) != 0;
	if (!ctx->quiet && !ctx->json) {
		opts.opt.progress = demo_show_progress;
		opts.opt.progress_arg = &pst;
	}
	opts.opt.cancel = &demo_interrupted;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = demo_on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);

	error_clear(&err);
	rc = demo_create(&opts.opt, &res, &err);

	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	demo_progress_end(&pst);
	if (rc != 0) {
		cmd_error(ctx, "%s", err.msg);
		return err.code == VS_ERR_CANCELLED ? 130 : error_exit_status(err.code);
	}

	if (ctx->json)
		demo_print_json(&res, &opts.opt);
	else if (!ctx->quiet)
		demo_print_summary(&res, &opts.opt);
	else
		printf("%s\n", res.config_path);
	fflush(stdout);

	rc = VS_EXIT_OK;
	if (!opts.no_tui && !ctx->json && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
		int trc = demo_open_tui(ctx, &res);

		if (trc >= 0)
			rc = trc;
	}
	demo_result_free(&res);
	return rc;
}

const struct cmd_entry cmd_demo_entry = {
	.name = "demo",
	.usage = N_("[--dir DIR] [--vectors N] [--users M] [--dim D] [--seed S] [--no-tui] | --stop --dir DIR"),
	.summary = N_("create a self-contained demo: a private Redis and two FAISS indexes"),
	.help = N_(
	    "Builds a sandbox to try vsbackup on without touching a real system: a private\n"
	    "redis-server on a unix socket (no TCP port) holding N content documents under\n"
	    "chimera-vectors: and M user documents under chimera-users: (JSON strings with\n"
	    "an embedding and metadata), the content and user FAISS indexes (\"IDMap,Flat\",\n"
	    "inner product, ids = each document's faiss_id) built from the same vectors, and\n"
	    "a vsbackup.conf for all of it. Everything lives in one directory. At the end\n"
	    "the TUI opens on the demo when there is a terminal.\n"
	    "\n"
	    "Options:\n"
	    "  --dir DIR      the demo directory; created if missing. It must be empty or a\n"
	    "                 stopped demo (rebuilt, its backups kept). Default: a new\n"
	    "                 directory vsbackup-demo.XXXXXX under $TMPDIR, else /tmp.\n"
	    "  --vectors N    content documents and vectors in the content index (default 20000)\n"
	    "  --users M      user documents and vectors in the user index (default 2000)\n"
	    "  --dim D        dimension of the embeddings, 1 to 4096 (default 384)\n"
	    "  --seed S       seed of the generated data: the same seed gives the same\n"
	    "                 documents and vectors (default 1)\n"
	    "  --no-tui       do not open the TUI at the end (it never opens without a\n"
	    "                 terminal or with --json)\n"
	    "  --stop         stop the demo's Redis server in --dir DIR (SHUTDOWN NOSAVE);\n"
	    "                 the files stay, remove the directory to remove the demo\n"
	    "\n"
	    "Needs redis-server and redis-cli (Debian package redis-server). With --json\n"
	    "prints one object with the paths; with -q prints only the configuration path.\n"),
	.exec = cmd_demo_exec,
};
