#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "jobs/jobs.h"
#include "storage/storage.h"

static int
job_list_run(struct job *job, void *argp, void **result, struct vs_error *err)
{
	struct job_list_args *args = argp;
	const struct config *cfg = job_config(job);
	struct catalog *cat;

	cat = catalog_read(cfg, job, args->locations & config_location_all(cfg));
	/* Fail only when nothing could be listed. */
	if (catalog_all_failed(cat)) {
		for (size_t l = 0; l < cat->nloc; l++)
			if (cat->locs[l].error != NULL) {
				error_set(err, VS_ERR_IO, "%s", cat->locs[l].error);
				break;
			}
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
