/* The jobs the engine runs; each job_type in its own job-NAME.c. */
#ifndef VS_JOBS_H
#define VS_JOBS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/btype.h"
#include "common/timeutil.h"
#include "engine/engine.h"
#include "jobs/catalog.h"
#include "manifest/manifest.h"

/* list: args struct job_list_args, result struct catalog */
struct job_list_args {
	bool local;
	bool s3;
};
extern const struct job_type job_list_type;

/* backup: args struct job_backup_args, result struct job_backup_result */
struct job_backup_args {
	enum backup_type type;
	bool type_given;      /* else the schedule decides from the time */
	bool upload;          /* also upload to S3 when configured */
	bool take_lock;       /* false when the caller holds the backup_dir lock */
};
struct job_backup_result {
	char id[BACKUP_ID_SIZE];
	struct manifest m;
	double seconds;
	bool uploaded;
};
extern const struct job_type job_backup_type;

/* verify: args struct job_verify_args, result struct verify_report */
struct job_verify_args {
	char id[BACKUP_ID_SIZE];
	bool deep;
	char location[8];     /* "local" or "s3" */
};
struct verify_check {
	char *what;           /* "redis.rdb sha256", "metadata.json" ... */
	bool ok;
	char *detail;
};
struct verify_report {
	char id[BACKUP_ID_SIZE];
	char location[8];
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

/* delete: args struct job_delete_args, no result */
struct job_delete_args {
	char id[BACKUP_ID_SIZE];
	bool local;
	bool s3;
};
extern const struct job_type job_delete_type;

/* pin / unpin: args struct job_pin_args */
struct job_pin_args {
	char id[BACKUP_ID_SIZE];
	bool pin;
	bool local;
	bool s3;
};
extern const struct job_type job_pin_type;

/* Take the backup_dir lock for operation, logging a takeover of a lock
 * whose holder died. */
struct bdlock;
int jobs_lock(struct job *job, const char *operation, struct bdlock **lock,
    struct vs_error *err);

#endif
