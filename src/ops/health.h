/*
 * vsbackup health: every check a monitoring system needs, as one engine
 * job (job_health_type) so the command line and the TUI show the same
 * thing. States and exit codes follow the Nagios plugin convention.
 */
#ifndef VS_OPS_HEALTH_H
#define VS_OPS_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config/conf.h"
#include "engine/engine.h"

enum health_state {
	HEALTH_OK = 0,
	HEALTH_WARNING = 1,
	HEALTH_CRITICAL = 2,
	HEALTH_UNKNOWN = 3,    /* the check could not run */
};

/* The checks of the whole, in the order they are run and shown; names are
 * stable (they are the "name" of health --json). After index.user come
 * the checks of each location other than local, NAME.reachable and
 * NAME.credentials ("s3.reachable" for the single S3 location of old),
 * then backup.age.NAME for every location; then the rest. */
#define HEALTH_LOCATIONS_BEFORE HEALTH_VERIFIED
#define HEALTH_CHECKS(X)                       \
	X(HEALTH_REDIS_REACHABLE, "redis.reachable") \
	X(HEALTH_REDIS_AUTH, "redis.auth")           \
	X(HEALTH_REDIS_BGSAVE, "redis.bgsave")       \
	X(HEALTH_REDIS_LOADING, "redis.loading")     \
	X(HEALTH_REDIS_KEYS, "redis.keys")           \
	X(HEALTH_INDEX_CONTENT, "index.content")     \
	X(HEALTH_INDEX_USER, "index.user")           \
	X(HEALTH_VERIFIED, "backup.verified")        \
	X(HEALTH_DRILL, "backup.drill")              \
	X(HEALTH_SPACE, "storage.free")              \
	X(HEALTH_LOCK, "lock")                        \
	X(HEALTH_RESTORE, "restore")

enum health_check_id {
#define X(id, name) id,
	HEALTH_CHECKS(X)
#undef X
	HEALTH__COUNT
};

struct health_check {
	char *name;                /* "redis.reachable", "backup.age.eu-west" ... */
	enum health_state state;
	bool skipped;              /* not applicable or not possible: text says why */
	char *text;                /* one line for people (translated) */
	/* A measured value with its thresholds (performance data), when
	 * has_value. low: the thresholds are lower bounds (free space). */
	bool has_value;
	char *label;               /* perf-data label: "local_age", "free" */
	double value;
	const char *unit;          /* "s" or "B" */
	double warn, crit;
	bool low;
};

/* What is checked of each location. */
enum health_loc_check { HEALTH_LOC_REACHABLE, HEALTH_LOC_CREDENTIALS, HEALTH_LOC_AGE,
	HEALTH_LOC__COUNT };

struct health_report {
	struct health_check *checks; /* n of them, in the order shown */
	size_t n;
	size_t idx[HEALTH__COUNT];  /* where each check of the whole is */
	/* Where each location's checks are: loc[l * HEALTH_LOC__COUNT + c]
	 * (SIZE_MAX: none, as reachability of local). */
	size_t *loc;
	size_t nloc;
	enum health_state state;   /* the worst of the checks */
	time_t at;
};

/* A check of the whole by id. */
#define HEALTH_CHECK(r, id) (&(r)->checks[(r)->idx[id]])
/* Check c of location l, or NULL. */
struct health_check *health_location_check(struct health_report *r, size_t l,
    enum health_loc_check c);

/* args: NULL; result: struct health_report (never fails: a check that
 * cannot run is a failed check). */
extern const struct job_type job_health_type;

void health_report_free(struct health_report *r);
/* Free what r holds (not r). */
void health_report_clear(struct health_report *r);

/*
 * The same checks in two halves, for a front end that keeps its own list
 * of backups and reads the live state every few seconds: first what is
 * live (Redis, the index files, the lock, S3 credentials when asked), on
 * a worker; then, with a survey of the backups (ops_survey_of), the
 * checks that compare them (RPO, verification, space, keys against the
 * newest backup), which read nothing. The job runs both.
 */
struct live_state;
struct ops_survey;
struct health_live_opts {
	bool count_keys;           /* also keys per prefix (live->redis.counts) */
	uint64_t max_keys;         /* not for a database larger than this (0: any) */
	bool s3_credentials;       /* also fetch each location's credentials (else skipped) */
};
void health_report_init(struct health_report *r, const struct config *cfg);
void health_check_live(const struct config *cfg, struct job *job,
    const struct health_live_opts *o, struct health_report *r, struct live_state *live);
void health_check_backups(const struct config *cfg, const struct ops_survey *s,
    const struct live_state *live, struct health_report *r);

/* "OK", "WARNING", "CRITICAL", "UNKNOWN" (plugin words, never translated) */
const char *health_state_name(enum health_state s);

/* Combine two states: CRITICAL over UNKNOWN over WARNING over OK. */
enum health_state health_worst(enum health_state a, enum health_state b);

/* The state of an age against a limit in hours: OK up to the limit,
 * WARNING up to twice it, CRITICAL beyond. */
enum health_state health_age_state(long long age_seconds, int limit_hours);

/* The state of free space against the size of the newest backup: OK with
 * room for two more, WARNING for one, CRITICAL for less. need 0: OK. */
enum health_state health_space_state(uint64_t free_bytes, uint64_t need);

/* The Nagios performance data of r ("local_age=3600s;86400;172800 ..."),
 * a new string. */
char *health_perfdata(const struct health_report *r);

/* The restore check (health-restore.c): an interrupted restore, or copies
 * a restore moved aside and kept. */
void health_restore(const struct config *cfg, struct health_check *c);

#endif
