/* The jobs the engine runs; each job_type in its own job-NAME.c. */
#ifndef VS_JOBS_H
#define VS_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/btype.h"
#include "common/timeutil.h"
#include "engine/engine.h"
#include "jobs/catalog.h"
#include "manifest/manifest.h"
#include "repo/repo.h"

/* list: args struct job_list_args, result struct catalog */
struct job_list_args {
	unsigned locations;   /* bit i: cfg->locations[i] */
};
extern const struct job_type job_list_type;

/* backup: args struct job_backup_args, result struct job_backup_result */
struct job_backup_args {
	enum backup_type type;
	bool type_given;      /* else the schedule decides from the time */
	bool upload;          /* also send it to every location with upload = true */
	bool take_lock;       /* false when the caller holds the backup_dir lock */
};
struct job_backup_result {
	char id[BACKUP_ID_SIZE];
	struct manifest m;
	double seconds;
	unsigned wanted;      /* the locations it was to be sent to (bits) */
	unsigned copied;      /* those that hold it now */
	char *errors[CONFIG_LOCATION_MAX]; /* why a copy is missing, by location */
	char names[CONFIG_LOCATION_MAX][CONFIG_NAME_SIZE];
	char wheres[CONFIG_LOCATION_MAX][128];
	int nloc;
};
extern const struct job_type job_backup_type;

/* verify: args struct job_verify_args, result struct verify_report */
struct job_verify_args {
	char id[BACKUP_ID_SIZE];
	bool deep;
	char location[CONFIG_NAME_SIZE]; /* a location's name ("local", "eu-west") */
};
struct verify_check {
	char *what;           /* "redis.rdb sha256", "metadata.json" ... */
	bool ok;
	char *detail;
};
struct verify_report {
	char id[BACKUP_ID_SIZE];
	char location[CONFIG_NAME_SIZE];
	bool deep;
	bool ok;
	struct verify_check *checks;
	size_t n;
	bool recorded;        /* the result was stored in verify.json */
};
extern const struct job_type job_verify_type;
void verify_report_free(struct verify_report *r);

/* Verify backup id in st (the work of the verify job, for other jobs too).
 * 0 with *out when the verification ran (valid or not); -1 when it could
 * not run (the backup does not exist, the storage failed, cancelled).
 * record: store the result in verify.json. */
struct storage;
int verify_backup(struct job *job, struct storage *st, const char *id, bool deep, bool record,
    struct verify_report **out, struct vs_error *err);

/* The check before a restore puts a backup in place: quick, except that
 * for format 2 it reads no chunk, only checks that every chunk is indexed
 * in a pack that is there (not recorded): placing reads each chunk once
 * and checks it and the whole file before anything is renamed into
 * place. */
int verify_before_restore(struct job *job, struct storage *st, const char *id,
    struct verify_report **out, struct vs_error *err);

/* delete: args struct job_delete_args, result struct job_delete_result */
struct job_delete_args {
	char id[BACKUP_ID_SIZE];
	unsigned locations;   /* bit i: cfg->locations[i] */
};
struct job_delete_result {
	char id[BACKUP_ID_SIZE];
	unsigned deleted;     /* the locations where a copy was deleted */
	char where[256];      /* they for people */
};
extern const struct job_type job_delete_type;

/* pin / unpin: args struct job_pin_args, result struct job_pin_args (what
 * was done: locations says where) */
struct job_pin_args {
	char id[BACKUP_ID_SIZE];
	bool pin;
	unsigned locations;   /* bit i: cfg->locations[i] */
	char where[256];      /* result: where it was done, for people */
};
extern const struct job_type job_pin_type;

/* restore: args struct job_restore_args, result struct job_restore_result */
struct job_restore_args {
	char id[BACKUP_ID_SIZE];
	char from[CONFIG_NAME_SIZE]; /* a location's name */
	bool safety_backup;   /* take a pre-restore backup first (default) */
	char *target_dir;     /* write the files there, touch nothing live */
	bool rollback;        /* return to the safety backup of an interrupted restore */
};
struct job_restore_result {
	char id[BACKUP_ID_SIZE];        /* what was restored */
	char safety_id[BACKUP_ID_SIZE]; /* the safety backup taken, or "" */
	bool resumed;                   /* an interrupted restore was finished */
	bool rolled_back;               /* the live state is the safety backup's */
	double seconds;
	char *target_dir;
};
extern const struct job_type job_restore_type;
void job_restore_args_free(void *args);

/* cleanup: args struct job_cleanup_args, result struct cleanup_report */
struct job_cleanup_args {
	unsigned locations;   /* bit i: cfg->locations[i] */
	time_t at;            /* evaluate the policy at this moment */
	bool dry_run;         /* decide and report, delete nothing */
	int retain_days;      /* overrides of the configured numbers, -1: none */
	int retain_weekly;
	int retain_monthly;
};
struct cleanup_row {
	char id[BACKUP_ID_SIZE];
	char location[CONFIG_NAME_SIZE]; /* each location decides alone */
	size_t loc;           /* its index in cfg->locations */
	enum backup_type type;
	bool type_known;
	time_t created;       /* 0 when unknown */
	uint64_t bytes;
	bool keep;
	int reason;           /* enum retention_reason */
	time_t expires;       /* 0: never (or not applicable) */
	char text[256];       /* the reason, for people */
	bool deleted;         /* not a dry run, and the deletion succeeded */
	char *error;          /* the deletion failed: why */
};
struct cleanup_report {
	struct cleanup_row *rows;
	size_t n;
	time_t at;
	bool dry_run;
	size_t deleted, failed;
	uint64_t freed;
	/* Locations that could not be listed: nothing decided there. */
	char *skipped[CONFIG_LOCATION_MAX];   /* by location index, NULL: listed */
	char skipped_names[CONFIG_LOCATION_MAX][CONFIG_NAME_SIZE];
	/* Garbage collection of the repositories (format 2), every location. */
	bool repo_ran;
	uint64_t repo_total;   /* bytes of packs before */
	uint64_t repo_freed;   /* deleted now (dry run: would be) */
	uint64_t repo_pending; /* marked: freed by a cleanup after the grace period */
	bool repo_writers;     /* a backup was writing: its data was left alone */
};
extern const struct job_type job_cleanup_type;
void cleanup_report_free(struct cleanup_report *r);

/* sync: args struct job_sync_args, result struct sync_report */
struct job_sync_args {
	unsigned from;        /* where copies may come from (0: any, the nearest) */
	unsigned to;          /* destinations (0: every location with upload = true) */
	bool dry_run;
};
struct sync_row {
	char id[BACKUP_ID_SIZE];      /* "" : the destination itself failed */
	char from[CONFIG_NAME_SIZE];
	char to[CONFIG_NAME_SIZE];
	size_t to_loc;
	uint64_t size;                /* of the backup's files */
	bool done;
	char *error;
};
struct sync_report {
	struct sync_row *rows;        /* by destination, oldest first */
	size_t n;
	bool dry_run;
	size_t copied, failed;
	size_t skipped;               /* lacking, but the destination's retention would not keep them */
	uint64_t bytes;               /* of the backups still to copy (dry run) */
};
extern const struct job_type job_sync_type;
void sync_report_free(struct sync_report *r);

/* check: args struct job_check_args, result struct job_check_result */
struct job_check_args {
	char location[CONFIG_NAME_SIZE];
};
struct job_check_result {
	char location[256];
	struct repo_check_report rep;
};
extern const struct job_type job_check_type;

/* drill: args struct job_drill_args, result struct drill_report */
struct job_drill_args {
	char id[BACKUP_ID_SIZE];  /* "" : the newest backup */
	char from[CONFIG_NAME_SIZE]; /* a location's name; "" : the nearest holding it */
	bool keep;                /* leave the sandbox running */
};
struct cJSON;
struct drill_check {
	char *name;           /* stable: "sha256", "redis_load", "key_count", ... */
	char *subject;        /* the file, prefix or index it is about, or "" */
	char *what;           /* for people: "key count chimera-vectors:" */
	bool ok;
	bool skipped;         /* not made (nothing to check, or an earlier failure) */
	char *detail;
	struct cJSON *counts; /* the numbers behind the detail, or NULL */
};
struct drill_report {
	char id[BACKUP_ID_SIZE];
	char location[CONFIG_NAME_SIZE];
	bool ok;
	time_t at;
	struct drill_check *checks;
	size_t n;
	double seconds[4];    /* by enum drill_phase (manifest/drill-record.h) */
	double rto;           /* their sum */
	double target;        /* seconds, 0: none */
	double recall[2];     /* content, user; < 0: not measured */
	char server[320];     /* the sandbox's server: "PATH (VERSION)" */
	int sample_size;
	int seed;
	char *kept_dir;       /* --keep: the sandbox left running */
	char *kept_socket;
	bool recorded;        /* the result was stored in drill.json */
};
extern const struct job_type job_drill_type;
void drill_report_free(struct drill_report *r);
/* The report as the JSON object of drill --json, and in one line. */
struct cJSON *drill_report_json(const struct drill_report *r);
void drill_report_describe(const struct drill_report *r, char *buf, size_t size);

/* Take the backup_dir lock for operation, logging a takeover of a lock
 * whose holder died. */
struct bdlock;
int jobs_lock(struct job *job, const char *operation, struct bdlock **lock,
    struct vs_error *err);

/* storage_open() for a job: every request of it stops when the job is
 * cancelled (storage_set_cancel). */
int jobs_storage_open(struct job *job, const char *location, struct storage **out,
    struct vs_error *err);
/* Location i for people in a sentence: "local storage", "S3" (the
 * single S3 location of old), else its name. */
const char *jobs_location_label(const struct config *cfg, size_t i);

/* The locations of set for people: "local storage and S3",
 * "local storage, eu-west and us-east". */
void jobs_where_text(const struct config *cfg, unsigned set, char *buf, size_t bufsz);

/* The same for location i of the configuration. */
int jobs_storage_open_at(struct job *job, size_t i, struct storage **out,
    struct vs_error *err);

#endif
