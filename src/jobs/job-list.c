#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "jobs/jobs.h"
#include "storage/storage.h"

static void
list_warn(void *ud, const char *msg)
{
	job_log(ud, VS_LOG_WARN, "%s", msg);
}

/* Add one location to the catalog; a failure is remembered in *errmsg. */
static void
list_location(struct job *job, struct catalog *cat, const char *location, char **errmsg)
{
	struct storage *st = NULL;
	struct vs_error err;

	error_clear(&err);
	if (jobs_storage_open(job, location, &st, &err) == 0) {
		storage_set_warn(st, list_warn, job);
		if (catalog_add_location(cat, st, &err) == 0)
			err.code = VS_OK;
	}
	/* The catalog carries it: each client reports it once. */
	if (err.code != VS_OK)
		*errmsg = xstrdup(err.msg);
	storage_close(st);
}

static int
job_list_run(struct job *job, void *argp, void **result, struct vs_error *err)
{
	struct job_list_args *args = argp;
	const struct config *cfg = job_config(job);
	struct catalog *cat = catalog_new();

	job_progress(job, _("listing backups"), 0, 0, false);
	if (args->local)
		list_location(job, cat, "local", &cat->local_error);
	if (args->s3 && cfg->s3.bucket[0] != '\0') {
		cat->s3_configured = true;
		list_location(job, cat, "s3", &cat->s3_error);
	}
	catalog_finish(cat);
	/* Fail only when nothing could be listed. */
	if ((!args->local || cat->local_error != NULL) &&
	    (!cat->s3_configured || cat->s3_error != NULL) &&
	    (cat->local_error != NULL || cat->s3_error != NULL)) {
		error_set(err, VS_ERR_IO, "%s", cat->local_error ? cat->local_error : cat->s3_error);
		catalog_free(cat);
		return -1;
	}
	*result = cat;
	return 0;
}

static void
job_list_free_result(void *r)
{
	catalog_free(r);
}

const struct job_type job_list_type = {
	.name = "list",
	.run = job_list_run,
	.free_args = free,
	.free_result = job_list_free_result,
};
