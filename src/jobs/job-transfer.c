/*
 * upload / download / copy: one backup copied from one location to one or
 * more others, under the backup_dir lock so that no delete or cleanup
 * removes the source while it is read and no other copy writes the same
 * destination meanwhile. Several destinations are filled at once
 * (transfer_copy_each): one failing fails neither the others nor the
 * copies already there; the result names each.
 */
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

enum transfer_kind { TRANSFER_UPLOAD, TRANSFER_DOWNLOAD, TRANSFER_COPY };

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
	for (size_t i = 0; i < res->ndests; i++) {
		free(res->dests[i].where);
		free(res->dests[i].error);
	}
	free(res->dests);
	free(res->from);
	free(res->to);
	free(res);
}

/* The source: args->from, else local for an upload and the nearest
 * location other than local holding a complete copy for a download. */
static int
job_transfer_source(struct job *job, enum transfer_kind kind, const struct job_transfer_args *a,
    unsigned to, struct storage **src, struct job_transfer_result *res, struct vs_error *err)
{
	const struct config *cfg = job_config(job);
	struct vs_error perr;
	int found;

	if (a->from[0] != '\0' || kind == TRANSFER_UPLOAD) {
		if (jobs_storage_open(job, a->from[0] ? a->from : "local", src, err) != 0)
			return -1;
		if ((found = job_transfer_probe(*src, a->id, &res->size, err)) < 0)
			return -1;
		if (found == 1)
			return error_set(err, VS_ERR_NOTFOUND, _("there is no complete backup %s in %s "
			    "(see 'vsbackup list')"), a->id, storage_location(*src));
		return 0;
	}
	error_clear(&perr);
	for (size_t l = 1; l < cfg->nlocations; l++) {
		if (to & (1u << l))
			continue;
		if (jobs_storage_open_at(job, l, src, &perr) != 0)
			continue;
		if ((found = job_transfer_probe(*src, a->id, &res->size, &perr)) == 0)
			return 0;
		storage_close(*src);
		*src = NULL;
	}
	if (cfg->nlocations < 2) {
		unsigned set;

		/* Says which kind of location is not configured. */
		if (config_location_select(cfg, config_drivers[1]->name, &set, err) != 0)
			return -1;
	}
	if (perr.code != VS_OK && perr.code != VS_ERR_NOTFOUND) {
		*err = perr;
		return -1;
	}
	{
		char where[512] = "";
		size_t len = 0;

		/* Where it was looked for: "s3://a/p or s3://b/p". */
		for (size_t l = 1; l < cfg->nlocations && len < sizeof where; l++) {
			char *d;

			if (to & (1u << l))
				continue;
			d = config_location_describe(cfg, l);
			len += (size_t)snprintf(where + len, sizeof where - len, "%s%s",
			    len ? _(" or ") : "", d);
			free(d);
		}
		return error_set(err, VS_ERR_NOTFOUND, _("there is no complete backup %s in %s "
		    "(see 'vsbackup list')"), a->id, where);
	}
}

static int
job_transfer_run(struct job *job, enum transfer_kind kind, void *argp, void **result,
    struct vs_error *err)
{
	static const char *const lock_names[] = { "upload", "download", "copy" };
	const struct job_transfer_args *args = argp;
	const struct config *cfg = job_config(job);
	const char *id = args->id;
	struct job_transfer_result *res = xcalloc(1, sizeof *res);
	struct storage *src = NULL;
	struct bdlock *lock = NULL;
	struct transfer_dest *td = NULL;
	double start = job_transfer_clock();
	unsigned to = args->to;
	size_t n = 0;
	int rc = -1;

	job_set_backup(job, id);
	snprintf(res->id, sizeof res->id, "%s", id);
	if (to == 0 && kind == TRANSFER_DOWNLOAD)
		to = 1u;
	if (to == 0 && kind == TRANSFER_UPLOAD) {
		for (size_t l = 1; l < cfg->nlocations; l++)
			if (cfg->locations[l].upload)
				to |= 1u << l;
		if (to == 0)
			to = config_location_remote(cfg);
		if (to == 0) {
			unsigned set;

			if (config_location_select(cfg, config_drivers[1]->name, &set, err) != 0)
				goto out;
		}
	}
	to &= config_location_all(cfg);
	if (jobs_lock(job, lock_names[kind], &lock, err) != 0)
		goto out;
	job_progress(job, _("looking for the backup"), 0, 0, false);
	if (job_transfer_source(job, kind, args, to, &src, res, err) != 0)
		goto out;
	to &= ~(1u << storage_index(src));
	if (to == 0) {
		error_set(err, VS_ERR_USAGE, _("%s is both the source and the destination"),
		    storage_name(src));
		goto out;
	}
	res->from = xstrdup(storage_location(src));
	td = xcalloc(cfg->nlocations + 1, sizeof *td);
	for (size_t l = 0; l < cfg->nlocations; l++)
		if (to & (1u << l))
			td[n++].loc = l;
	transfer_copy_each(job, storage_name(src), id, td, n);
	res->dests = xcalloc(n + 1, sizeof *res->dests);
	res->ndests = n;
	res->already = true;
	for (size_t i = 0; i < n; i++) {
		struct job_transfer_dest *d = &res->dests[i];

		snprintf(d->name, sizeof d->name, "%s", cfg->locations[td[i].loc].name);
		d->where = td[i].where != NULL ? xstrdup(td[i].where) :
		    config_location_describe(cfg, td[i].loc);
		d->already = td[i].already;
		d->done = td[i].rc == 0;
		res->already &= d->already;
		if (!d->done) {
			d->error = xstrdup(td[i].err.msg);
			res->failed++;
		}
	}
	res->to = xstrdup(res->dests[0].where);
	/* A single destination that failed fails the job, with its error. */
	if (n == 1 && res->failed == 1) {
		*err = td[0].err;
		goto out;
	}
	res->seconds = job_transfer_clock() - start;
	*result = res;
	res = NULL;
	rc = 0;
out:
	transfer_dest_free(td, n);
	bdlock_release(lock);
	storage_close(src);
	job_transfer_result_free(res);
	return rc;
}

static int
job_upload_run(struct job *job, void *args, void **result, struct vs_error *err)
{
	return job_transfer_run(job, TRANSFER_UPLOAD, args, result, err);
}

static int
job_download_run(struct job *job, void *args, void **result, struct vs_error *err)
{
	return job_transfer_run(job, TRANSFER_DOWNLOAD, args, result, err);
}

static int
job_copy_run(struct job *job, void *args, void **result, struct vs_error *err)
{
	return job_transfer_run(job, TRANSFER_COPY, args, result, err);
}

static void
job_transfer_describe(const struct job_transfer_result *res, enum transfer_kind kind,
    char *buf, size_t bufsz)
{
	char size[32], dur[32];
	size_t len;

	format_bytes(res->size, size, sizeof size);
	format_seconds(res->seconds, dur, sizeof dur);
	if (res->ndests == 1) {
		if (res->already)
			snprintf(buf, bufsz, kind == TRANSFER_DOWNLOAD ?
			    _("%s is already complete in %s: nothing to download") :
			    kind == TRANSFER_UPLOAD ? _("%s is already complete in %s: nothing to upload") :
			    _("%s is already complete in %s: nothing to copy"), res->id, res->to);
		else
			snprintf(buf, bufsz, kind == TRANSFER_DOWNLOAD ? _("downloaded %s (%s) to %s in %s") :
			    kind == TRANSFER_UPLOAD ? _("uploaded %s (%s) to %s in %s") :
			    _("copied %s (%s) to %s in %s"), res->id, size, res->to, dur);
		return;
	}
	snprintf(buf, bufsz, _("%s (%s) from %s in %s:"), res->id, size, res->from, dur);
	for (size_t i = 0; i < res->ndests; i++) {
		const struct job_transfer_dest *d = &res->dests[i];

		len = strlen(buf);
		snprintf(buf + len, bufsz - len, "%s %s %s", i ? "," : "", d->name,
		    !d->done ? _("FAILED") : d->already ? _("already there") : _("copied"));
	}
}

static void
job_upload_describe(const void *r, char *buf, size_t bufsz)
{
	job_transfer_describe(r, TRANSFER_UPLOAD, buf, bufsz);
}

static void
job_download_describe(const void *r, char *buf, size_t bufsz)
{
	job_transfer_describe(r, TRANSFER_DOWNLOAD, buf, bufsz);
}

static void
job_copy_describe(const void *r, char *buf, size_t bufsz)
{
	job_transfer_describe(r, TRANSFER_COPY, buf, bufsz);
}

static cJSON *
job_transfer_json(const struct job_transfer_result *res, const char *job)
{
	cJSON *o = cJSON_CreateObject(), *arr;

	cJSON_AddStringToObject(o, "job", job);
	cJSON_AddStringToObject(o, "id", res->id);
	cJSON_AddStringToObject(o, "from", res->from);
	cJSON_AddStringToObject(o, "to", res->to);
	cJSON_AddBoolToObject(o, "already", res->already);
	cJSON_AddNumberToObject(o, "size", (double)res->size);
	cJSON_AddNumberToObject(o, "seconds", res->seconds);
	arr = cJSON_AddArrayToObject(o, "destinations");
	for (size_t i = 0; i < res->ndests; i++) {
		const struct job_transfer_dest *d = &res->dests[i];
		cJSON *x = cJSON_CreateObject();

		cJSON_AddStringToObject(x, "location", d->name);
		cJSON_AddStringToObject(x, "where", d->where);
		cJSON_AddBoolToObject(x, "ok", d->done);
		cJSON_AddBoolToObject(x, "already", d->already);
		if (d->error != NULL)
			cJSON_AddStringToObject(x, "error", d->error);
		cJSON_AddItemToArray(arr, x);
	}
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

static cJSON *
job_copy_json(const void *r)
{
	return job_transfer_json(r, "copy");
}

static bool
job_transfer_failed(const void *r)
{
	return ((const struct job_transfer_result *)r)->failed > 0;
}

const struct job_type job_upload_type = {
	.name = "upload",
	.run = job_upload_run,
	.free_args = free,
	.free_result = job_transfer_result_free,
	.describe = job_upload_describe,
	.to_json = job_upload_json,
	.failed = job_transfer_failed,
};

const struct job_type job_download_type = {
	.name = "download",
	.run = job_download_run,
	.free_args = free,
	.free_result = job_transfer_result_free,
	.describe = job_download_describe,
	.to_json = job_download_json,
	.failed = job_transfer_failed,
};

const struct job_type job_copy_type = {
	.name = "copy",
	.run = job_copy_run,
	.free_args = free,
	.free_result = job_transfer_result_free,
	.describe = job_copy_describe,
	.to_json = job_copy_json,
	.failed = job_transfer_failed,
};
