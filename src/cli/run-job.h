/* Running one engine job from the command line and showing its events:
 * a progress bar on a terminal, JSON lines with --json, nothing but
 * errors with -q. Ctrl-C cancels the job (it cleans up like a failure);
 * a second Ctrl-C exits at once. */
#ifndef VS_RUN_JOB_H
#define VS_RUN_JOB_H

#include <stdio.h>

#include "cli/cmd.h"
#include "engine/engine.h"

/* Run type with args (owned by the engine from now on) and wait for it.
 * Returns its DONE event (free with engine_event_free). */
struct engine_event *cli_run_job(struct cmd_ctx *ctx, const struct job_type *type, void *args);

/* Run a job as cli_run_job() does. On success returns 0 with its DONE
 * event in *done; on failure reports it (cli_report_failure), frees the
 * event and returns the exit status, with *done NULL. */
int cli_run(struct cmd_ctx *ctx, const struct job_type *type, void *args,
    struct engine_event **done);

/* Print a job's failure (to stderr, or as a JSON line) and return the exit
 * status for its error code. */
int cli_report_failure(struct cmd_ctx *ctx, const struct engine_event *done);

/* Print one JSON object as a line on stdout (takes ownership of obj). */
struct cJSON;
void cli_print_json(struct cJSON *obj);


/* A finished job's result: with --json one object, {"event": "result"}
 * and the job's own fields (its to_json); else, unless -q, its one line
 * (describe) on human. */
void cli_print_result(struct cmd_ctx *ctx, const struct engine_event *done, FILE *human);

#endif
