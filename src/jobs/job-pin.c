/* pin / unpin: a "pinned" marker beside metadata.json that retention
 * respects. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "jobs/jobs.h"
#include "storage/storage.h"

static int
pin_in(struct job *job, size_t location, const struct job_pin_args *args, bool *found,
    struct vs_error *err)
{
	struct storage *st = NULL;
	struct vs_error perr;
	uint64_t size;
	char text[64], at[ISO8601_SIZE];
	int rc = -1;

	if (jobs_storage_open_at(job, location, &st, err) != 0)
		return -1;
	error_clear(&perr);
	if (storage_stat(st, args->id, STORAGE_METADATA, &size, &perr) != 0) {
		if (perr.code == VS_ERR_NOTFOUND)
			rc = 0;
		else
			*err = perr;
		goto out;
	}
	*found = true;
	if (args->pin) {
		time_format_iso(time_now(), at);
		snprintf(text, sizeof text, "{ \"pinned_at\": \"%s\" }\n", at);
		rc = storage_write_small(st, args->id, "pinned", text, strlen(text), err);
	} else {
		rc = storage_remove_small(st, args->id, "pinned", err);
	}
	if (rc == 0)
		job_log(job, VS_LOG_INFO, args->pin ? _("pinned %s in %s") : _("unpinned %s in %s"),
		    args->id, storage_location(st));
out:
	storage_close(st);
	return rc;
}

static int
job_pin_run(struct job *job, void *argp, void **result, struct vs_error *err)
{
	struct job_pin_args *args = argp, *res;
	const struct config *cfg = job_config(job);
	unsigned done = 0;

	for (size_t i = 0; i < cfg->nlocations; i++) {
		bool here = false;

		if (!(args->locations & (1u << i)))
			continue;
		if (pin_in(job, i, args, &here, err) != 0)
			return -1;
		if (here)
			done |= 1u << i;
	}
	if (done == 0)
		return error_set(err, VS_ERR_NOTFOUND, _("no complete backup %s was found"), args->id);
	res = xmalloc(sizeof *res);
	*res = *args;
	res->locations = done;
	jobs_where_text(cfg, done, res->where, sizeof res->where);
	*result = res;
	return 0;
}

static void
job_pin_describe(const void *r, char *buf, size_t bufsz)
{
	const struct job_pin_args *res = r;

	snprintf(buf, bufsz, res->pin ? _("pinned %s in %s: cleanup and delete leave it alone") :
	    _("unpinned %s in %s"), res->id, res->where);
}

const struct job_type job_pin_type = {
	.name = "pin",
	.run = job_pin_run,
	.free_args = free,
	.free_result = free,
	.describe = job_pin_describe,
};
