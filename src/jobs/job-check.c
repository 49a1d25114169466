/* check: read every chunk of a location's repository once and name every
 * backup and file that uses a damaged or missing one. */
#include "config.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/format.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "jobs/jobs.h"
#include "repo/repo.h"
#include "repo/view.h"
#include "storage/storage.h"

static int
job_check_run(struct job *job, void *argp, void **result, struct vs_error *err)
{
	struct job_check_args *args = argp;
	struct job_check_result *res = xcalloc(1, sizeof *res);
	struct storage *st = NULL;
	struct repo *r;
	int rc = -1;

	if (jobs_storage_open(job, args->location, &st, err) != 0)
		goto out;
	snprintf(res->location, sizeof res->location, "%s", storage_location(st));
	if ((r = repo_view_repo(st, err)) == NULL)
		goto out;
	if (repo_check_all(r, job, &res->rep, err) != 0)
		goto out;
	for (size_t i = 0; i < res->rep.ndamage; i++) {
		const struct repo_damage *d = &res->rep.damage[i];

		job_log(job, VS_LOG_ERROR, _("backup %s: %s: %llu chunks damaged or missing: %s"),
		    d->id, d->file[0] ? d->file : STORAGE_METADATA, (unsigned long long)d->bad,
		    d->first);
	}
	*result = res;
	res = NULL;
	rc = 0;
out:
	if (res != NULL) {
		repo_check_report_clear(&res->rep);
		free(res);
	}
	storage_close(st);
	return rc;
}

static void
job_check_free_result(void *p)
{
	struct job_check_result *res = p;

	repo_check_report_clear(&res->rep);
	free(res);
}

static void
job_check_describe(const void *p, char *buf, size_t bufsz)
{
	const struct job_check_result *res = p;
	char bytes[24];

	format_bytes(res->rep.bytes, bytes, sizeof bytes);
	if (res->rep.ndamage == 0 && res->rep.bad_chunks == 0)
		snprintf(buf, bufsz, _("repository in %s is sound: %llu chunks (%s) in %llu packs read, "
		    "%zu backups"), res->location, (unsigned long long)res->rep.chunks, bytes,
		    (unsigned long long)res->rep.packs, res->rep.backups);
	else
		snprintf(buf, bufsz, _("repository in %s is damaged: %llu of %llu chunks unreadable, "
		    "%zu files of backups affected"), res->location,
		    (unsigned long long)res->rep.bad_chunks, (unsigned long long)res->rep.chunks,
		    res->rep.ndamage);
}

static cJSON *
job_check_json(const void *p)
{
	const struct job_check_result *res = p;
	cJSON *o = cJSON_CreateObject(), *arr;

	cJSON_AddStringToObject(o, "location", res->location);
	cJSON_AddBoolToObject(o, "ok", res->rep.ndamage == 0 && res->rep.bad_chunks == 0);
	cJSON_AddNumberToObject(o, "chunks", (double)res->rep.chunks);
	cJSON_AddNumberToObject(o, "bad_chunks", (double)res->rep.bad_chunks);
	cJSON_AddNumberToObject(o, "packs", (double)res->rep.packs);
	cJSON_AddNumberToObject(o, "backups", (double)res->rep.backups);
	arr = cJSON_AddArrayToObject(o, "damaged");
	for (size_t i = 0; i < res->rep.ndamage; i++) {
		cJSON *d = cJSON_CreateObject();

		cJSON_AddStringToObject(d, "id", res->rep.damage[i].id);
		cJSON_AddStringToObject(d, "file", res->rep.damage[i].file[0] ?
		    res->rep.damage[i].file : STORAGE_METADATA);
		cJSON_AddNumberToObject(d, "chunks", (double)res->rep.damage[i].bad);
		cJSON_AddStringToObject(d, "reason", res->rep.damage[i].first);
		cJSON_AddItemToArray(arr, d);
	}
	return o;
}

static bool
job_check_failed(const void *p)
{
	const struct job_check_result *res = p;

	return res->rep.ndamage > 0 || res->rep.bad_chunks > 0;
}

const struct job_type job_check_type = {
	.name = "check",
	.run = job_check_run,
	.free_args = free,
	.free_result = job_check_free_result,
	.describe = job_check_describe,
	.to_json = job_check_json,
	.failed = job_check_failed,
};
