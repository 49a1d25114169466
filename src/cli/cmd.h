/*
 * Subcommands: each is one const struct cmd_entry in its own cmd-NAME.c,
 * gathered in cmd_table[] (cmd-table.c). main() parses the global options,
 * finds the entry and calls exec with the command's own argv (argv[0] is
 * the command name).
 */
#ifndef VS_CMD_H
#define VS_CMD_H

#include <stdbool.h>

#include "config/conf.h"

struct option;

struct cmd_ctx {
	const char *config_path;  /* -c FILE, or NULL */
	bool json;                /* --json */
	bool quiet;               /* -q */
	bool tty;                 /* stdout is a terminal */
	bool stream_events;       /* with --json, print the job's events as lines */
	struct config *cfg;       /* loaded by cmd_load_config() */
};

enum {
	CMD_NEEDS_CONFIG = 1 << 0, /* main loads the configuration before exec */
	CMD_HIDDEN = 1 << 1,       /* not listed in --help */
};

struct cmd_entry {
	const char *name;
	const char *usage;    /* arguments after the name, e.g. "ID [--deep]" */
	const char *summary;  /* one line, translated at display time */
	const char *help;     /* the rest of "vsbackup NAME --help", may be NULL */
	unsigned flags;
	int usage_status;     /* exit status of a usage error; 0: VS_EXIT_USAGE */
	int (*exec)(struct cmd_ctx *ctx, int argc, char **argv);
};

/* NULL-terminated table of every command, in --help order. */
extern const struct cmd_entry *const cmd_table[];

const struct cmd_entry *cmd_find(const char *name);

/* Load ctx->cfg if not yet loaded; prints the error and returns -1. */
int cmd_load_config(struct cmd_ctx *ctx);

/* Print "vsbackup NAME USAGE", the summary and help to stdout. */
void cmd_print_help(const struct cmd_entry *entry);

/* Print a usage error for the command to stderr; returns the command's
 * usage_status (VS_EXIT_USAGE unless the entry says otherwise). */
int cmd_usage_error(const struct cmd_entry *entry, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Options every command accepts anywhere on its line (-c FILE, --json, -q,
 * -h/--help), handled by cmd_parse_options(). A command's own option codes
 * differ from these.
 */
#define CMD_COMMON_SHORTOPTS "c:qh"
#define CMD_OPT_JSON 0x1000
#define CMD_COMMON_LONGOPTS                                  \
	{ "config", required_argument, NULL, 'c' },           \
	{ "json", no_argument, NULL, CMD_OPT_JSON },          \
	{ "quiet", no_argument, NULL, 'q' },                  \
	{ "help", no_argument, NULL, 'h' }

/*
 * Called by cmd_parse_options() for each of the command's own options, in
 * command-line order, with the command's entry (for cmd_usage_error()), the
 * code getopt_long() returned and the option's argument (NULL when it takes
 * none). Returns 0 to go on, or the exit status to stop with after printing
 * why (cmd_usage_error() does both).
 */
typedef int cmd_option_fn(const struct cmd_entry *entry, void *ud, int opt,
    const char *arg);

/*
 * Parse the command's options from argv, the common ones included:
 * shortopts are the command's own short options without the common ones
 * (NULL for none), longopts its long options ending with
 * CMD_COMMON_LONGOPTS and a zero entry (NULL when it has only the common
 * ones), handle is called for each of its own options (NULL when it has
 * none). Returns -1 when the command goes on, with optind at the first
 * operand; else the exit status to return: 0 after printing the help, the
 * usage error's after an unknown option or a missing option argument, or
 * what handle returned.
 */
int cmd_parse_options(struct cmd_ctx *ctx, const struct cmd_entry *entry, int argc,
    char **argv, const char *shortopts, const struct option *longopts,
    cmd_option_fn *handle, void *ud);

/* For a command that takes no operands, after cmd_parse_options(): 0 when
 * none is left, else the usage error's exit status after printing
 * "unexpected argument". */
int cmd_no_operands(const struct cmd_entry *entry, int argc, char **argv);

/* Print an error message for the user (never in JSON mode's stdout). */
void cmd_error(struct cmd_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Ask "question [y/N]" on the terminal; returns true only for yes. When
 * stdin is not a terminal, returns false without asking. */
bool cmd_confirm(const char *question);

#endif
