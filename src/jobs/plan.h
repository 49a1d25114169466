/*
 * The restore plan: what a restore of one backup would change, read
 * without changing anything. For each part the live state stands beside
 * the backup's (keys per prefix and DBSIZE, each index's vectors and
 * dimension), then what is lost (the writes since the backup, a live part
 * the backup lacks), the time it should take (RTO) and the steps, numbered
 * as the restore job, its journal and every client number them. The
 * command line (restore --plan, and its confirmation) and the front end's
 * wizard show the same lines.
 */
#ifndef VS_PLAN_H
#define VS_PLAN_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "engine/engine.h"
#include "jobs/restore.h"
#include "manifest/manifest.h"
#include "ops/live.h"

struct cJSON;

/* plan: args struct job_plan_args, result struct restore_plan. Reads the
 * backup's metadata from the chosen copy and the live state; fails only
 * when the metadata cannot be read. */
struct job_plan_args {
	char id[BACKUP_ID_SIZE];
	char from[CONFIG_NAME_SIZE]; /* the location restored from ("local", "eu-west") */
	bool safety_backup;       /* a safety backup will be taken */
};
extern const struct job_type job_plan_type;

struct plan_step {
	bool skipped;
	char detail[256];         /* what the step does here, or why it is skipped */
};

struct restore_plan {
	char id[BACKUP_ID_SIZE];
	char from[CONFIG_NAME_SIZE];
	bool remote;              /* from a location other than backup_dir: fetched first */
	char from_label[CONFIG_NAME_SIZE]; /* for people: "local", "S3", "eu-west" */
	char from_where[256];     /* "s3://bucket/prefix" */
	struct manifest m;
	unsigned missing;         /* parts the backup lacks (enum catalog_part) */
	bool safety_backup;
	time_t now;
	struct live_state live;
	uint64_t backup_bytes;
	/* How Redis is restored: its RDB file placed (one server), each
	 * master its own file (the same cluster), or the keys loaded with
	 * RESTORE (a cluster on either side, another layout). */
	enum { PLAN_FILE, PLAN_NODES, PLAN_ROUTED } cluster;
	struct plan_step steps[RESTORE_NSTEPS];
};

void restore_plan_free(struct restore_plan *p);

/* The time a restore should take, at rate bytes per second (measured by a
 * verification, else assumed: measured false, rate 0 picks the default). */
struct plan_estimate {
	double seconds;           /* from start to the check */
	double redis_down;        /* seconds Redis is unavailable */
	double rate;
	bool measured;
};
void restore_plan_estimate(const struct restore_plan *p, double rate, bool measured,
    struct plan_estimate *out);

/* The plan for people, line by line, each with how to show it. */
enum plan_level { PLAN_NORMAL, PLAN_HEADING, PLAN_OK, PLAN_WARN, PLAN_BAD, PLAN_DIM };
typedef void plan_line_fn(void *ud, enum plan_level level, const char *text);
void restore_plan_lines(const struct restore_plan *p, const struct plan_estimate *e,
    plan_line_fn *fn, void *ud);

/* The plan as JSON (the fields of restore --plan --json, see vsbackup(1)). */
struct cJSON *restore_plan_json(const struct restore_plan *p, const struct plan_estimate *e);

#endif
