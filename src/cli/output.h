/* Shared pieces of command output: formats, JSON objects of catalog
 * entries and reports, option values shared by several commands. */
#ifndef VS_OUTPUT_H
#define VS_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "cli/cmd.h"
#include "jobs/jobs.h"

struct cJSON;

/*
 * Where a command looks: --location WORD ('l'), --from WORD ('f') or
 * --to WORD ('t'), each "local", a location's name, "s3" (every S3
 * location: a kind of location names all of its kind) or "all". The words
 * are kept while the options are parsed and resolved against the
 * configuration afterwards (cli_where_set, cli_where_one).
 * cli_where_option is a cmd_option_fn for commands whose only option of
 * their own is one of these; ud is a struct cli_where.
 */
struct cli_where {
	const char *location;    /* NULL: not given */
	const char *from;
	const char *to;
};
#define CLI_LOCATION_OPTION { "location", required_argument, NULL, 'l' }
#define CLI_FROM_OPTION { "from", required_argument, NULL, 'f' }
#define CLI_TO_OPTION { "to", required_argument, NULL, 't' }
int cli_where_option(const struct cmd_entry *e, void *ud, int opt, const char *arg);

/* The locations word names (def when word is NULL): 0 with *set, else the
 * exit status after saying what is wrong (a usage error naming the
 * locations there are, or "S3 is not configured"). */
int cli_where_set(struct cmd_ctx *ctx, const struct cmd_entry *e, const char *option,
    const char *word, unsigned def, unsigned *set);

/* One location for --from: the word's (a word naming several means the
 * first of them in the configuration's order, the nearest); def when
 * word is NULL. 0 with name filled, else the exit status. */
int cli_where_one(struct cmd_ctx *ctx, const struct cmd_entry *e, const char *option,
    const char *word, const char *def, char name[CONFIG_NAME_SIZE]);


/* A retention decision: {keep, reason, expires (ISO 8601 or null)}. */
struct cJSON *cli_retention_json(const struct retention_decision *d);

/* The parts a copy lacks (catalog_copy_missing) as an array of file names. */
struct cJSON *cli_missing_json(unsigned missing);

/* One backup as a JSON object (the documented fields of list --json). */
struct cJSON *cli_catalog_entry_json(const struct catalog *cat, const struct catalog_entry *e);

/* A manifest as a JSON object (the metadata.json fields). */
struct cJSON *cli_manifest_json(const struct manifest *m);

/* A verification report's checks as text (the failed ones, all with
 * verbose); its verdict is the job's own line (cli_print_result). */
void cli_verify_report_print(const struct verify_report *r, bool verbose);

#endif

/* Print one table row: each cell padded to its width in display columns
 * (negative: right-aligned), two spaces between; the last cell unpadded. */
void cli_row(const int *widths, size_t ncells, const char *const *cells);

/* Print "  LABEL value" with the label padded to width columns. */
void cli_label(const char *label, int width, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The single positional backup id after the options: 0, or a usage error's
 * exit status after printing it (a malformed id is never used). "latest"
 * and "latest-verified" name the newest backup that counts (not a safety
 * backup, every part there) and the newest verified one: they read the
 * configuration and the list of backups. */
int cli_take_id(struct cmd_ctx *ctx, const struct cmd_entry *e, int argc, char **argv,
    char id[BACKUP_ID_SIZE]);
