/* upload / download: one backup copied between backup_dir and S3, under the
 * backup_dir lock so that no delete or cleanup removes the source while it
 * is read and no other copy writes the same destination meanwhile. */
#include "config.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/format.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "engine/lock.h"
#include "jobs/job-transfer.h"
#include "jobs/jobs.h"
#include "jobs/transfer.h"
#include "manifest/manifest.h"
#include "storage/storage.h"

static double
job_transfer_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Read metadata.json of id in st: 1 when there is none (the backup is not
 * complete there), 0 with its data size, -1 on error. A GET rather than a
 * HEAD, so that a refusal by S3 comes with its error code. */
static int
job_transfer_probe(struct storage *st, const char *id, uint64_t *size, struct vs_error *err)
{
	struct manifest m;
	struct vs_error rerr;
	char *json = NULL;
	size_t len;

	*size = 0;
	error_clear(&rerr);
	if (storage_read_small(st, id, STORAGE_METADATA, MANIFEST_MAX_SIZE, &json, &len,
	    &rerr) != 0) {
		if (rerr.code == VS_ERR_NOTFOUND)
			return 1;
		*err = rerr;
		return -1;
	}
	/* The size is for the report; transfer_copy checks the metadata. */
	memset(&m, 0, sizeof m);
	if (manifest_parse(json, storage_location(st), &m, NULL) == 0) {
		*size = manifest_total_size(&m);
		manifest_clear(&m);
	}
	free(json);
	return 0;
}

static void
job_transfer_result_free(void *r)
{
	struct job_transfer_result *res = r;

	if (res == NULL)
		return;
	free(res->from);
	free(res->to);
	free(res);
}

static int
job_transfer_run(struct job *job, const char *from, const char *to, void *argp, void **result,
    struct vs_error *err)
{
	const struct job_transfer_args *args = argp;
	const char *id = args->id;
	struct job_transfer_result *res = xcalloc(1, sizeof *res);
	struct storage *src = NULL, *dst = NULL;
	struct bdlock *lock = NULL;
	double start = job_transfer_clock();
	int found, rc = -1;

	job_set_backup(job, id);
	snprintf(res->id, sizeof res->id, "%s", id);
	if (jobs_storage_open(job, from, &src, err) != 0 ||
	    jobs_storage_open(job, to, &dst, err) != 0)
		goto out;
	res->from = xstrdup(storage_location(src));
	res->to = xstrdup(storage_location(dst));
	if (jobs_lock(job, strcmp(to, "s3") == 0 ? "upload" : "download", &lock, err) != 0)
		goto out;

	job_progress(job, _("looking for the backup"), 0, 0, false);
	if ((found = job_transfer_probe(dst, id, &res->size, err)) < 0)
		goto out;
	if (found == 0) {
		/* Complete there already: copying again could only replace a good
		 * copy with another. The result says so. */
		res->already = true;
	} else {
		if ((found = job_transfer_probe(src, id, &res->size, err)) < 0)
			goto out;
		if (found == 1) {
			error_set(err, VS_ERR_NOTFOUND, _("there is no complete backup %s in %s "
			    "(see 'vsbackup list')"), id, res->from);
			goto out;
		}
		if (transfer_copy(job, from, to, id, err) != 0)
			goto out;
	}
	res->seconds = job_transfer_clock() - start;
	*result = res;
	res = NULL;
	rc = 0;
out:
	bdlock_release(lock);
	storage_close(src);
	storage_close(dst);
	job_transfer_result_free(res);
	return rc;
}

static int
job_upload_run(struct job *job, void *args, void **result, struct vs_error *err)
{
	return job_transfer_run(job, "local", "s3", args, result, err);
}

static int
job_download_run(struct job *job, void *args, void **result, struct vs_error *err)
{
	return job_transfer_run(job, "s3", "local", args, result, err);
}

static void
job_transfer_describe(const struct job_transfer_result *res, bool up, char *buf, size_t bufsz)
{
	char size[32], dur[32];

	format_bytes(res->size, size, sizeof size);
	format_seconds(res->seconds, dur, sizeof dur);
	if (res->already)
		snprintf(buf, bufsz, up ? _("%s is already complete in %s: nothing to upload") :
		    _("%s is already complete in %s: nothing to download"), res->id, res->to);
	else
		snprintf(buf, bufsz, up ? _("uploaded %s (%s) to %s in %s") :
		    _("downloaded %s (%s) to %s in %s"), res->id, size, res->to, dur);
}

static void
job_upload_describe(const void *r, char *buf, size_t bufsz)
{
	job_transfer_describe(r, true, buf, bufsz);
}

static void
job_download_describe(const void *r, char *buf, size_t bufsz)
{
	job_transfer_describe(r, false, buf, bufsz);
}

static cJSON *
job_transfer_json(const struct job_transfer_result *res, const char *job)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "job", job);
	cJSON_AddStringToObject(o, "id", res->id);
	cJSON_AddStringToObject(o, "from", res->from);
	cJSON_AddStringToObject(o, "to", res->to);
	cJSON_AddBoolToObject(o, "already", res->already);
	cJSON_AddNumberToObject(o, "size", (double)res->size);
	cJSON_AddNumberToObject(o, "seconds", res->seconds);
	return o;
}

static cJSON *
job_upload_json(const void *r)
{
	return job_transfer_json(r, "upload");
}

static cJSON *
job_download_json(const void *r)
{
	return job_transfer_json(r, "download");
}

const struct job_type job_upload_type = {
	.name = "upload",
	.run = job_upload_run,
	.free_args = free,
	.free_result = job_transfer_result_free,
	.describe = job_upload_describe,
	.to_json = job_upload_json,
};

const struct job_type job_download_type = {
	.name = "download",
	.run = job_download_run,
	.free_args = free,
	.free_result = job_transfer_result_free,
	.describe = job_download_describe,
	.to_json = job_download_json,
};
