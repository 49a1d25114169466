/*
 * Small job types of the TUI. They run on engine workers like every other
 * job, so the UI thread never waits for Redis, a disk or S3.
 */
#ifndef VS_TUI_JOBS_H
#define VS_TUI_JOBS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "common/timeutil.h"
#include "jobs/preflight.h"
#include "engine/engine.h"
#include "engine/lock.h"
#include "ops/health.h"
#include "ops/live.h"
#include "ops/state.h"

/* status: args struct tui_status_args, result struct tui_status. The live
 * half of the health checks (ops/health.h: Redis, the index files, the
 * lock, S3 credentials when asked), with what they read (DBSIZE, keys per
 * prefix when asked: one SCAN pass, not for a huge database), the free
 * space in backup_dir and the last runs of each operation (the state
 * file). Cheap enough to run every few seconds without the counts. A
 * Redis that does not answer is a result, not a failure. */
struct tui_status_args {
	bool count_keys;
	bool s3_credentials;
};
struct tui_status {
	time_t at;
	struct live_state live;
	struct health_report health; /* the live checks; the model adds the rest */
	bool disk_ok;
	uint64_t disk_free;
	char disk_error[VS_ERROR_MSG_MAX];
	bool ops_ok;
	struct ops_state ops;        /* the last run of each operation */
	bool dir_ok;
	struct timespec dir_mtime;   /* of backup_dir: a new or removed backup moves it */
	bool locked;                 /* the backup_dir lock is held now, by: */
	struct bdlock_holder holder;
	bool journal;                /* an interrupted restore left its journal: */
	char journal_id[BACKUP_ID_SIZE];     /* what it restored */
	char journal_safety[BACKUP_ID_SIZE]; /* its safety backup, "" none */
};
extern const struct job_type tui_status_type;
void tui_status_free(struct tui_status *s);

/* preflight: args struct tui_preflight_args, result struct preflight
 * (src/jobs/preflight.h): the restore job's own pre-flight checks, all of
 * them, plus the backup_dir lock; the checksums are a verify job's. Each
 * check passes or fails with a sentence; the job itself fails only when
 * cancelled. */
struct tui_preflight_args {
	char id[BACKUP_ID_SIZE];
	char from[8];                /* "local" or "s3" */
	uint64_t backup_bytes;       /* size of the backup's data files */
	uint64_t index_bytes;        /* size of its two index files */
};
extern const struct job_type tui_preflight_type;

/* history: args struct tui_history_args, result struct tui_history. The
 * verification history (verify.json) of one copy, summed up. */
struct tui_history_args {
	char id[BACKUP_ID_SIZE];
	char location[8];
};
struct tui_history {
	char id[BACKUP_ID_SIZE];
	char location[8];
	int n, nok, nfailed, ndeep;
	time_t first, last_ok, last_failed;
	char last_failure[256];
};
extern const struct job_type tui_history_type;

#endif
