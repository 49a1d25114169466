/* backup: take the lock, clear what killed runs left, make the backup,
 * upload it when S3 is configured. */
#include "config.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/format.h"

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "engine/lock.h"
#include "jobs/backup.h"
#include "jobs/jobs.h"
#include "jobs/transfer.h"

static int
job_backup_run(struct job *job, void *argp, void **result, struct vs_error *err)
{
	struct job_backup_args *args = argp;
	const struct config *cfg = job_config(job);
	struct job_backup_result *res = xcalloc(1, sizeof *res);
	struct backup_opts opts = { 0 };
	struct bdlock *lock = NULL;
	time_t start = time_now();
	int rc = -1;

	opts.type = args->type_given ? args->type : backup_type_for_time(start);
	if (args->take_lock && jobs_lock(job, "backup", &lock, err) != 0)
		goto out;
	backup_remove_stale_partials(job);
	if (backup_make(job, &opts, &res->m, err) != 0)
		goto out;
	snprintf(res->id, sizeof res->id, "%s", res->m.backup_id);
	if (args->upload && cfg->s3.bucket[0] != '\0') {
		struct vs_error uerr;

		error_clear(&uerr);
		if (transfer_copy(job, "local", "s3", res->id, &uerr) != 0) {
			/* The local backup stands; say what failed and how to retry. */
			error_set(err, uerr.code, _("backup %s was made locally, but the upload to S3 "
			    "failed: %s; retry with 'vsbackup upload %s'"), res->id, uerr.msg, res->id);
			goto out;
		}
		res->uploaded = true;
	}
	res->seconds = difftime(time_now(), start);
	*result = res;
	res = NULL;
	rc = 0;
out:
	bdlock_release(lock);
	if (res != NULL) {
		manifest_clear(&res->m);
		free(res);
	}
	return rc;
}

static void
job_backup_free_result(void *r)
{
	struct job_backup_result *res = r;

	manifest_clear(&res->m);
	free(res);
}

static void
job_backup_describe(const void *r, char *buf, size_t bufsz)
{
	const struct job_backup_result *res = r;
	char size[32], dur[32];

	format_bytes(manifest_total_size(&res->m), size, sizeof size);
	format_seconds(res->seconds, dur, sizeof dur);
	snprintf(buf, bufsz, _("backup %s complete: %s, %s in %s%s"), res->id,
	    backup_type_name(res->m.type), size, dur, res->uploaded ? _(", uploaded to S3") : "");
}

static cJSON *
job_backup_json(const void *r)
{
	const struct job_backup_result *res = r;
	cJSON *o = cJSON_CreateObject(), *m;
	char *text = manifest_to_json(&res->m);

	cJSON_AddStringToObject(o, "id", res->id);
	cJSON_AddStringToObject(o, "type", backup_type_name(res->m.type));
	cJSON_AddNumberToObject(o, "size", (double)manifest_total_size(&res->m));
	cJSON_AddNumberToObject(o, "seconds", res->seconds);
	cJSON_AddBoolToObject(o, "uploaded", res->uploaded);
	if ((m = cJSON_Parse(text)) == NULL)
		fatal("metadata serialisation produced invalid JSON");
	cJSON_AddItemToObject(o, "metadata", m);
	free(text);
	return o;
}

static const char *
job_backup_result_id(const void *r)
{
	return ((const struct job_backup_result *)r)->id;
}

const struct job_type job_backup_type = {
	.name = "backup",
	.run = job_backup_run,
	.free_args = free,
	.free_result = job_backup_free_result,
	.describe = job_backup_describe,
	.to_json = job_backup_json,
	.result_backup = job_backup_result_id,
};
