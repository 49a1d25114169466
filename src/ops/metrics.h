/*
 * Prometheus metrics in the text exposition format, for node_exporter's
 * textfile collector: written atomically to monitoring.metrics_file after
 * every command that changes something, and on demand (vsbackup metrics).
 * The per-operation values come from the state file (ops/state.h); the
 * backups, their ages and the free space from a fresh survey.
 */
#ifndef VS_OPS_METRICS_H
#define VS_OPS_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "config/conf.h"
#include "engine/engine.h"
#include "ops/state.h"
#include "ops/survey.h"

/*
 * Call once after a command has run, with the command's name, its exit
 * status and how long it took. For backup, verify, restore, cleanup,
 * upload and download it records the run in the state file; then, unless
 * the command only reads (list, show, config, health, metrics, demo, tui),
 * it rewrites monitoring.metrics_file when that is set. cfg NULL (the
 * configuration was never loaded) does nothing. Returns -1 with err when
 * the state or metrics file could not be written; the command's own exit
 * status should not change because of it.
 */
int ops_metrics_after_command(const struct config *cfg, const char *operation, int status,
    double seconds, struct vs_error *err);

/* The exposition text for a survey and a state; *nsamples (if not NULL)
 * receives the number of samples. */
char *ops_metrics_render(const struct config *cfg, const struct ops_survey *s,
    const struct ops_state *st, size_t *nsamples);

/* Write text to path atomically (temp file beside it, renamed), mode 0644
 * so the exporter's user can read it. */
int ops_metrics_write(const char *path, const char *text, struct vs_error *err);

/* The metrics job. args: struct ops_metrics_args; result: struct
 * ops_metrics_result. */
struct ops_metrics_args {
	char *output;         /* write here instead of monitoring.metrics_file */
	bool no_write;        /* only render (vsbackup metrics --stdout) */
};
struct ops_metrics_result {
	char *text;           /* the exposition text */
	char *file;           /* where it was written, or NULL */
	size_t samples;
	bool state_damaged;   /* the state file was unreadable: counters restart */
};
extern const struct job_type job_metrics_type;

void ops_metrics_args_free(void *args);
void ops_metrics_result_free(struct ops_metrics_result *r);

#endif
