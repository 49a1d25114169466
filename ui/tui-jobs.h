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

/* status: args struct tui_status_args, result struct tui_status. Redis
 * INFO (server, persistence), keys per configured prefix when asked (one
 * SCAN pass over the whole database: not every time, it loads a big
 * server), and free space in backup_dir. A Redis that does not answer is
 * a result, not a failure. */
struct tui_status_args {
	bool count_keys;
};
struct tui_status {
	time_t at;
	bool redis_ok;
	char redis_error[VS_ERROR_MSG_MAX];
	char redis_version[32];
	bool loading;
	char last_bgsave[16];        /* "ok", "err" or "" */
	bool bgsave_in_progress;
	time_t last_save;
	bool counts_ok;
	uint64_t *counts;            /* one per cfg->redis.prefixes */
	size_t ncounts;
	uint64_t dbsize;
	bool disk_ok;
	uint64_t disk_free;
	char disk_error[VS_ERROR_MSG_MAX];
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
