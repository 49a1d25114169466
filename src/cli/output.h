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

/* "local" -> local only, "s3" -> s3 only, "all" (when allow_all) -> both. */
int cli_parse_location(const char *s, bool allow_all, bool *local, bool *s3);

/* Where a command looks: --location local|s3|all ('l') or --from
 * local|s3 ('f'). cli_where_option is a cmd_option_fn for commands whose
 * only option of their own is one of these; ud is a struct cli_where. */
struct cli_where {
	bool local;
	bool s3;
};
#define CLI_LOCATION_OPTION { "location", required_argument, NULL, 'l' }
#define CLI_FROM_OPTION { "from", required_argument, NULL, 'f' }
int cli_where_option(const struct cmd_entry *e, void *ud, int opt, const char *arg);


/* A retention decision: {keep, reason, expires (ISO 8601 or null)}. */
struct cJSON *cli_retention_json(const struct retention_decision *d);

/* The parts a copy lacks (catalog_copy_missing) as an array of file names. */
struct cJSON *cli_missing_json(unsigned missing);

/* One backup as a JSON object (the documented fields of list --json). */
struct cJSON *cli_catalog_entry_json(const struct catalog_entry *e);

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
