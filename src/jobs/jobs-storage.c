#include "config.h"

#include "jobs/jobs.h"
#include "storage/storage.h"

static int
jobs_storage_cancelled(void *ud)
{
	return job_cancelled(ud);
}

int
jobs_storage_open(struct job *job, const char *location, struct storage **out,
    struct vs_error *err)
{
	if (storage_open(job_config(job), location, out, err) != 0)
		return -1;
	storage_set_cancel(*out, jobs_storage_cancelled, job);
	return 0;
}
