/* delete: remove a backup from the chosen locations, under the lock. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "engine/lock.h"
#include "jobs/jobs.h"
#include "storage/storage.h"

static int
delete_from(struct job *job, const char *location, const char *id, bool *found,
    struct vs_error *err)
{
	struct storage *st = NULL;
	struct vs_error derr;
	int rc = -1;

	if (jobs_storage_open(job, location, &st, err) != 0)
		return -1;
	error_clear(&derr);
	if (storage_remove(st, id, &derr) == 0) {
		*found = true;
		job_log(job, VS_LOG_INFO, _("deleted %s from %s"), id, storage_location(st));
		rc = 0;
	} else if (derr.code == VS_ERR_NOTFOUND) {
		rc = 0;
	} else {
		*err = derr;
	}
	storage_close(st);
	return rc;
}

static int
job_delete_run(struct job *job, void *argp, void **result, struct vs_error *err)
{
	struct job_delete_args *args = argp;
	const struct config *cfg = job_config(job);
	struct bdlock *lock = NULL;
	bool found = false;
	int rc = -1;

	(void)result;
	job_set_backup(job, args->id);
	if (jobs_lock(job, "delete", &lock, err) != 0)
		return -1;
	job_progress(job, _("deleting"), 0, 0, false);
	if (args->local && delete_from(job, "local", args->id, &found, err) != 0)
		goto out;
	if (args->s3 && delete_from(job, "s3", args->id, &found, err) != 0)
		goto out;
	if (!found) {
		error_set(err, VS_ERR_NOTFOUND, _("backup %s was not found in %s"), args->id,
		    args->local && args->s3 ? _("local storage or S3") :
		    args->s3 ? "S3" : cfg->backup_dir);
		goto out;
	}
	rc = 0;
out:
	bdlock_release(lock);
	return rc;
}

const struct job_type job_delete_type = {
	.name = "delete",
	.run = job_delete_run,
	.free_args = free,
};
