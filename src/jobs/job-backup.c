/*
 * backup: take the lock, clear what killed runs left, make the backup in
 * backup_dir, then send it to every location with upload = true.
 *
 * DESIGN: each location gets a thread of its own (transfer_copy_each),
 * whose requests retry on their own (the driver's retries, per location);
 * they share nothing but the job (whose progress and log are thread-safe)
 * and the read-only configuration. A location that
 * fails fails neither the backup nor the other copies: the result says
 * which copies exist, and the command exits 1 when one is missing.
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
#include "jobs/backup.h"
#include "jobs/jobs.h"
#include "jobs/transfer.h"

/* Send backup id to every location in want, at the same time. */
static void
backup_send_all(struct job *job, const char *id, unsigned want, struct job_backup_result *res)
{
	const struct config *cfg = job_config(job);
	struct transfer_dest *d = xcalloc(cfg->nlocations + 1, sizeof *d);
	size_t n = 0;

	for (size_t l = 1; l < cfg->nlocations; l++)
		if (want & (1u << l))
			d[n++].loc = l;
	transfer_copy_each(job, "local", id, d, n);
	for (size_t i = 0; i < n; i++) {
		size_t l = d[i].loc;

		if (d[i].rc == 0) {
			res->copied |= 1u << l;
			continue;
		}
		res->errors[l] = xstrdup(d[i].err.msg);
		job_log(job, VS_LOG_ERROR, _("backup %s was made locally, but the upload to %s "
		    "failed: %s; retry with 'vsbackup upload %s'"), id,
		    jobs_location_label(cfg, l), d[i].err.msg, id);
	}
	transfer_dest_free(d, n);
}

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
	res->nloc = (int)cfg->nlocations;
	for (size_t l = 0; l < cfg->nlocations && l < CONFIG_LOCATION_MAX; l++) {
		snprintf(res->names[l], sizeof res->names[l], "%s", cfg->locations[l].name);
		snprintf(res->wheres[l], sizeof res->wheres[l], "%s", jobs_location_label(cfg, l));
		if (l > 0 && args->upload && cfg->locations[l].upload)
			res->wanted |= 1u << l;
	}
	if (args->take_lock && jobs_lock(job, "backup", &lock, err) != 0)
		goto out;
	backup_remove_stale_partials(job);
	if (backup_make(job, &opts, &res->m, err) != 0)
		goto out;
	snprintf(res->id, sizeof res->id, "%s", res->m.backup_id);
	res->wanted |= 1u;
	res->copied |= 1u;
	if (res->wanted & ~1u)
		backup_send_all(job, res->id, res->wanted, res);
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
	for (size_t l = 0; l < CONFIG_LOCATION_MAX; l++)
		free(res->errors[l]);
	free(res);
}

/* "local storage and S3" for the locations of set. */
static void
backup_where(const struct job_backup_result *res, unsigned set, char *buf, size_t bufsz)
{
	size_t n = 0, total = 0, len = 0;

	for (int l = 0; l < res->nloc; l++)
		total += (set >> l) & 1u;
	buf[0] = '\0';
	for (int l = 0; l < res->nloc && len < bufsz; l++) {
		if (!(set & (1u << l)))
			continue;
		n++;
		len += (size_t)snprintf(buf + len, bufsz - len, "%s%s",
		    n == 1 ? "" : n == total ? _(" and ") : ", ", res->wheres[l]);
	}
}

static void
job_backup_describe(const void *r, char *buf, size_t bufsz)
{
	const struct job_backup_result *res = r;
	unsigned missing = res->wanted & ~res->copied;
	char size[32], dur[32], where[256];
	size_t len;

	format_bytes(manifest_total_size(&res->m), size, sizeof size);
	format_seconds(res->seconds, dur, sizeof dur);
	snprintf(buf, bufsz, _("backup %s complete: %s, %s in %s"), res->id,
	    backup_type_name(res->m.type), size, dur);
	len = strlen(buf);
	if ((res->copied & ~1u) != 0) {
		backup_where(res, res->copied & ~1u, where, sizeof where);
		snprintf(buf + len, bufsz - len, _(", uploaded to %s"), where);
		len = strlen(buf);
	}
	if (missing != 0) {
		backup_where(res, missing, where, sizeof where);
		snprintf(buf + len, bufsz - len, _("; NO copy in %s (see the log; 'vsbackup sync' "
		    "sends it)"), where);
	}
}

static cJSON *
job_backup_json(const void *r)
{
	const struct job_backup_result *res = r;
	cJSON *o = cJSON_CreateObject(), *m, *copies, *missing;
	char *text = manifest_to_json(&res->m);

	cJSON_AddStringToObject(o, "id", res->id);
	cJSON_AddStringToObject(o, "type", backup_type_name(res->m.type));
	cJSON_AddNumberToObject(o, "size", (double)manifest_total_size(&res->m));
	cJSON_AddNumberToObject(o, "seconds", res->seconds);
	cJSON_AddBoolToObject(o, "uploaded", (res->wanted & ~1u) != 0 &&
	    (res->wanted & ~res->copied) == 0);
	copies = cJSON_AddArrayToObject(o, "copies");
	missing = cJSON_AddArrayToObject(o, "missing");
	for (int l = 0; l < res->nloc; l++) {
		if (res->copied & (1u << l))
			cJSON_AddItemToArray(copies, cJSON_CreateString(res->names[l]));
		else if (res->wanted & (1u << l)) {
			cJSON *x = cJSON_CreateObject();

			cJSON_AddStringToObject(x, "location", res->names[l]);
			cJSON_AddStringToObject(x, "error", res->errors[l] ? res->errors[l] : "");
			cJSON_AddItemToArray(missing, x);
		}
	}
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

/* A configured copy is missing: the run says so with exit status 1. */
static bool
job_backup_failed(const void *r)
{
	const struct job_backup_result *res = r;

	return (res->wanted & ~res->copied) != 0;
}

const struct job_type job_backup_type = {
	.name = "backup",
	.run = job_backup_run,
	.free_args = free,
	.free_result = job_backup_free_result,
	.describe = job_backup_describe,
	.to_json = job_backup_json,
	.result_backup = job_backup_result_id,
	.failed = job_backup_failed,
};
