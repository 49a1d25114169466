/*
 * The engine: runs jobs (backup, verify, restore, ...) on a pool of worker
 * threads and reports what they do as events. The CLI and the TUI are its
 * only clients; neither does I/O of its own on behalf of a job.
 *
 * A client submits a job, then waits for engine_fd() to become readable
 * (poll together with its own input), calls engine_drain() and handles the
 * events with no lock held. Events of one job arrive in order; the last is
 * ENGINE_EV_DONE.
 */
#ifndef VS_ENGINE_H
#define VS_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/log.h"
#include "config/conf.h"

struct engine;
struct job;

enum job_flags {
	JOB_EXCLUSIVE = 1 << 0, /* runs only when no other job runs (restore) */
	JOB_ROLLS_BACK = 1 << 1, /* a cancel puts back what it changed (restore) */
};

struct cJSON;

/* A kind of job. It answers for its own result, so no client asks which
 * job finished to word it. */
struct job_type {
	const char *name; /* "backup", "verify", ... */
	unsigned flags;
	/* On a worker thread. Returns 0 and may set *result, or -1 with err. */
	int (*run)(struct job *job, void *args, void **result, struct vs_error *err);
	void (*free_args)(void *args);
	void (*free_result)(void *result);
	/* A finished job's result in one line for people (translated), as
	 * the front end's job pane and log and the command line show it.
	 * NULL: the client says it is done. */
	void (*describe)(const void *result, char *buf, size_t bufsz);
	/* The result as a JSON object (the fields of COMMAND --json, see
	 * vsbackup(1)), a new object. NULL: none. */
	struct cJSON *(*to_json)(const void *result);
	/* The result is a failure worth a warning although the job ran
	 * (a verification that found damage). NULL: never. */
	bool (*failed)(const void *result);
	/* The backup the result is about (a new backup's id), or NULL. */
	const char *(*result_backup)(const void *result);
};

enum engine_event_type {
	ENGINE_EV_PROGRESS,
	ENGINE_EV_LOG,
	ENGINE_EV_DONE,
};

struct engine_event {
	enum engine_event_type type;
	unsigned job;                /* job id from engine_submit() */
	const struct job_type *jtype;
	struct engine_event *next;

	/* ENGINE_EV_PROGRESS: phase text (translated), bytes or items */
	char phase[128];
	uint64_t done, total;
	bool bytes;                  /* done/total are bytes, else items */
	int step, nsteps;            /* of a job made of steps (job_set_step), else 0 */

	/* ENGINE_EV_LOG */
	enum log_level level;
	char *text;

	/* ENGINE_EV_DONE: status 0 with result (owned by the event), or -1 with err */
	int status;
	struct vs_error err;
	void *result;
};

/* Create an engine with nworkers threads (at least 1). cfg must outlive it. */
struct engine *engine_new(const struct config *cfg, unsigned nworkers);

/* Cancel every job and wait for the workers; the events the jobs left
 * (their DONE events among them) can still be taken with engine_drain().
 * No job can be submitted afterwards. */
void engine_stop(struct engine *eng);

/* Stop (as engine_stop) and free everything, events not taken included. */
void engine_free(struct engine *eng);

/* Readable when events are waiting. */
int engine_fd(const struct engine *eng);

/* Queue a job; the engine owns args from now on. Returns the job id (>0). */
unsigned engine_submit(struct engine *eng, const struct job_type *type, void *args);

/* Ask a job to stop: queued jobs are dropped (their DONE event says
 * cancelled), a running job stops at its next check. */
void engine_cancel(struct engine *eng, unsigned job);

/* Take all waiting events, oldest first; free with engine_event_free(). */
struct engine_event *engine_drain(struct engine *eng);

/* Wait until events are waiting or timeout_ms passed (-1: forever). */
void engine_wait(struct engine *eng, int timeout_ms);

/* Free one event (and its result, through its job type). */
void engine_event_free(struct engine_event *ev);

/* Free a whole list returned by engine_drain(). */
void engine_event_free_list(struct engine_event *ev);

/* Number of jobs queued or running. */
unsigned engine_busy(struct engine *eng);

/* Is any queued or running job using backup id (as its target)? */
bool engine_backup_in_use(struct engine *eng, const char *backup_id);

/* --- for jobs, on their worker thread --- */

const struct config *job_config(const struct job *job);
/* From now on job_config() returns cfg (NULL: the engine's again), for a
 * job that found its Redis server at run time (Sentinel). cfg must outlive
 * the aim; only the job's worker calls this. */
void job_aim(struct job *job, const struct config *cfg);
unsigned job_id(const struct job *job);

/* Report progress; phase is copied. Calls are cheap: events are coalesced. */
void job_progress(struct job *job, const char *phase, uint64_t done, uint64_t total,
    bool bytes);

void job_log(struct job *job, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* For jobs made of numbered steps (restore): progress events from now on
 * carry step (1-based) of nsteps, so a client can show a checklist. */
void job_set_step(struct job *job, int step, int nsteps);

/* Has this job been asked to stop? Jobs check between chunks. */
bool job_cancelled(const struct job *job);

/* From now on this job cannot be cancelled: for work that must finish once
 * begun (a restore putting the live state back). A cancel asked for
 * before or after is ignored by job_cancelled(). */
void job_shield(struct job *job);

/* Fill err for a cancelled job; returns -1. */
int job_cancel_error(struct vs_error *err);

/* Is another job of this engine (not job itself) working on backup_id? */
bool job_backup_in_use(const struct job *job, const char *backup_id);

/* Mark the backup id this job works on (for engine_backup_in_use). */
void job_set_backup(struct job *job, const char *backup_id);

#endif
