/*
 * delete: remove a backup from the chosen locations, under the lock. A
 * pinned copy is never deleted: every chosen location is checked before
 * anything is removed, so the refusal leaves all copies as they were.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "engine/lock.h"
#include "jobs/jobs.h"
#include "storage/storage.h"

static int
delete_from(struct job *job, struct storage *st, const char *id, bool *found,
    struct vs_error *err)
{
	struct vs_error derr;

	error_clear(&derr);
	if (storage_remove(st, id, &derr) == 0) {
		*found = true;
		job_log(job, VS_LOG_INFO, _("deleted %s from %s"), id, storage_location(st));
		return 0;
	}
	if (derr.code == VS_ERR_NOTFOUND)
		return 0;
	*err = derr;
	return -1;
}

/* Refuse when the copy in st is pinned. */
static int
delete_check_pin(struct storage *st, const char *id, struct vs_error *err)
{
	struct vs_error perr;
	uint64_t size;

	error_clear(&perr);
	if (storage_stat(st, id, "pinned", &size, &perr) == 0)
		return error_set(err, VS_ERR_REFUSED, _("backup %s is pinned in %s: it is not "
		    "deleted; unpin it first ('vsbackup unpin %s', or p in the front end)"), id,
		    storage_location(st), id);
	if (perr.code != VS_ERR_NOTFOUND) {
		*err = perr;
		return -1;
	}
	return 0;
}

static int
job_delete_run(struct job *job, void *argp, void **result, struct vs_error *err)
{
	struct job_delete_args *args = argp;
	const struct config *cfg = job_config(job);
	unsigned want = args->locations & config_location_all(cfg);
	struct storage **st = xcalloc(cfg->nlocations + 1, sizeof *st);
	struct bdlock *lock = NULL;
	struct job_delete_result *res = xcalloc(1, sizeof *res);
	int rc = -1;

	snprintf(res->id, sizeof res->id, "%s", args->id);
	job_set_backup(job, args->id);
	if (jobs_lock(job, "delete", &lock, err) != 0) {
		free(res);
		free(st);
		return -1;
	}
	job_progress(job, _("deleting"), 0, 0, false);
	/* Every chosen location is checked for a pin before anything goes. */
	for (size_t i = 0; i < cfg->nlocations; i++)
		if ((want & (1u << i)) && (jobs_storage_open_at(job, i, &st[i], err) != 0 ||
		    delete_check_pin(st[i], args->id, err) != 0))
			goto out;
	for (size_t i = 0; i < cfg->nlocations; i++) {
		bool here = false;

		if ((want & (1u << i)) && delete_from(job, st[i], args->id, &here, err) != 0)
			goto out;
		if (here)
			res->deleted |= 1u << i;
	}
	if (res->deleted == 0) {
		char where[256];

		jobs_where_text(cfg, want, where, sizeof where);
		error_set(err, VS_ERR_NOTFOUND, _("backup %s was not found in %s"), args->id,
		    want == 1u ? cfg->backup_dir : where);
		goto out;
	}
	jobs_where_text(cfg, res->deleted, res->where, sizeof res->where);
	*result = res;
	res = NULL;
	rc = 0;
out:
	free(res);
	for (size_t i = 0; i < cfg->nlocations; i++)
		storage_close(st[i]);
	free(st);
	bdlock_release(lock);
	return rc;
}

static void
job_delete_describe(const void *r, char *buf, size_t bufsz)
{
	const struct job_delete_result *res = r;

	snprintf(buf, bufsz, _("deleted %s from %s"), res->id, res->where);
}

const struct job_type job_delete_type = {
	.name = "delete",
	.run = job_delete_run,
	.free_args = free,
	.free_result = free,
	.describe = job_delete_describe,
};
