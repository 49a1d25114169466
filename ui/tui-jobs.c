/*
 * The TUI's own job types (status, preflight, history).
 * Each runs on an engine worker with only its args and the configuration;
 * nothing here touches curses or the UI's model.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/format.h"
#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "engine/lock.h"
#include "jobs/jobs.h"
#include "manifest/verify-record.h"
#include "redis/redis-conn.h"
#include "redis/redis-count.h"
#include "redis/redis-info.h"
#include "storage/storage.h"
#include "ui/tui-jobs.h"

/* --- status --------------------------------------------------------- */

/* A database larger than this is not scanned for the header's counts. */
#define TUI_COUNT_MAX_KEYS 5000000

void
tui_status_free(struct tui_status *s)
{
	if (s == NULL)
		return;
	free(s->counts);
	free(s);
}

static void
status_free_result(void *r)
{
	tui_status_free(r);
}

static bool
status_stop(void *ud)
{
	return job_cancelled(ud);
}

static void
status_redis(struct job *job, struct tui_status *s, bool count_keys)
{
	const struct config *cfg = job_config(job);
	struct redis_conn *c = NULL;
	struct redis_info *info = NULL;
	struct redis_persistence p;
	struct vs_error err;
	long long keys, expires;

	error_clear(&err);
	if (redis_conn_open(cfg, &c, &err) != 0)
		goto fail;
	if (redis_info_fetch(c, "server", &info, &err) != 0)
		goto fail;
	snprintf(s->redis_version, sizeof s->redis_version, "%s", redis_info_version(info));
	redis_info_free(info);
	info = NULL;
	s->redis_ok = true;
	if (redis_info_fetch(c, "persistence", &info, &err) != 0 ||
	    redis_info_persistence(info, &p, &err) != 0)
		goto fail;
	s->loading = p.loading;
	s->bgsave_in_progress = p.bgsave_in_progress;
	snprintf(s->last_bgsave, sizeof s->last_bgsave, "%s", p.last_bgsave_status);
	s->last_save = (time_t)p.last_save_time;
	redis_info_free(info);
	info = NULL;
	if (s->loading || !count_keys)
		goto out;
	if (redis_info_fetch(c, "keyspace", &info, &err) != 0)
		goto fail;
	redis_info_db_keys(info, cfg->redis.db, &keys, &expires);
	s->dbsize = keys > 0 ? (uint64_t)keys : 0;
	job_progress(job, _("counting keys"), 0, s->dbsize, false);
	switch (redis_count_prefixes(c, (const char *const *)cfg->redis.prefixes,
	    cfg->redis.nprefixes, s->counts, &s->dbsize, TUI_COUNT_MAX_KEYS, status_stop, job,
	    &err)) {
	case 0:
		s->counts_ok = true;
		break;
	case 1:
		break;
	default:
		goto fail;
	}
	goto out;
fail:
	snprintf(s->redis_error, sizeof s->redis_error, "%s", err.msg);
out:
	redis_info_free(info);
	redis_conn_close(c);
}

/* Free space where backup_dir is, or where it would be created. */
static void
status_disk(const struct config *cfg, struct tui_status *s)
{
	struct vs_error err;
	char *dir = fs_existing_dir(cfg->backup_dir);

	error_clear(&err);
	if (fs_free_bytes(dir, &s->disk_free, &err) == 0)
		s->disk_ok = true;
	else
		snprintf(s->disk_error, sizeof s->disk_error, "%s", err.msg);
	free(dir);
}

static int
status_run(struct job *job, void *args, void **result, struct vs_error *err)
{
	const struct config *cfg = job_config(job);
	const struct tui_status_args *a = args;
	struct tui_status *s = xcalloc(1, sizeof *s);

	s->at = time_now();
	s->ncounts = cfg->redis.nprefixes;
	s->counts = xcalloc(s->ncounts > 0 ? s->ncounts : 1, sizeof *s->counts);
	job_progress(job, _("asking Redis"), 0, 0, false);
	status_redis(job, s, a != NULL && a->count_keys);
	if (job_cancelled(job)) {
		tui_status_free(s);
		return job_cancel_error(err);
	}
	status_disk(cfg, s);
	*result = s;
	return 0;
}

const struct job_type tui_status_type = {
	.name = "status",
	.run = status_run,
	.free_args = free,
	.free_result = status_free_result,
};

/* --- preflight ---------------------------------------------------------- */

/* The manifest of the backup to restore, from the copy the wizard chose. */
static int
preflight_manifest(struct job *job, const struct tui_preflight_args *a, struct manifest *m,
    struct vs_error *err)
{
	struct storage *st = NULL;
	char *json = NULL, *where = NULL;
	size_t len;
	int rc = -1;

	if (jobs_storage_open(job, a->from, &st, err) != 0)
		return -1;
	if (storage_read_small(st, a->id, STORAGE_METADATA, MANIFEST_MAX_SIZE, &json, &len, err) == 0) {
		where = xasprintf("%s/%s/%s", storage_location(st), a->id, STORAGE_METADATA);
		rc = manifest_parse(json, where, m, err);
	}
	free(where);
	free(json);
	storage_close(st);
	return rc;
}

static int
preflight_run(struct job *job, void *argp, void **result, struct vs_error *err)
{
	struct tui_preflight_args *a = argp;
	struct preflight *p = xcalloc(1, sizeof *p);
	struct preflight_input in = { .safety = true, .check_lock = true };
	struct journal j;
	struct manifest m;
	struct vs_error e;
	int rc;

	memset(&j, 0, sizeof j);
	memset(&m, 0, sizeof m);
	job_set_backup(job, a->id);
	error_clear(&e);
	if (preflight_manifest(job, a, &m, &e) != 0) {
		struct preflight_check *c = &p->checks[p->n++];

		snprintf(c->what, sizeof c->what, "%s", _("the backup's metadata"));
		snprintf(c->detail, sizeof c->detail, "%s", e.msg);
		*result = p;
		return 0;
	}
	in.m = &m;
	in.download = strcmp(a->from, "s3") == 0;
	rc = restore_preflight(job, &in, &j, p, err);
	journal_clear(&j);
	manifest_clear(&m);
	if (rc != 0) {
		free(p);
		return -1;
	}
	*result = p;
	return 0;
}

const struct job_type tui_preflight_type = {
	.name = "preflight",
	.run = preflight_run,
	.free_args = free,
	.free_result = free,
};

/* --- history ------------------------------------------------------------ */

static int
history_run(struct job *job, void *argp, void **result, struct vs_error *err)
{
	struct tui_history_args *a = argp;
	struct tui_history *h = xcalloc(1, sizeof *h);
	struct storage *st = NULL;
	char *json = NULL;
	size_t len;
	cJSON *root = NULL;
	const cJSON *recs, *r;

	snprintf(h->id, sizeof h->id, "%s", a->id);
	snprintf(h->location, sizeof h->location, "%s", a->location);
	if (jobs_storage_open(job, a->location, &st, err) != 0)
		goto fail;
	if (storage_read_small(st, a->id, VERIFY_RECORD_FILE, 1024 * 1024, &json, &len, err) != 0) {
		if (err->code != VS_ERR_NOTFOUND)
			goto fail;
		error_clear(err);
		goto done;
	}
	root = cJSON_Parse(json);
	recs = cJSON_GetObjectItemCaseSensitive(root, "records");
	cJSON_ArrayForEach(r, recs) {
		const cJSON *at = cJSON_GetObjectItemCaseSensitive(r, "at");
		const cJSON *ok = cJSON_GetObjectItemCaseSensitive(r, "ok");
		const cJSON *level = cJSON_GetObjectItemCaseSensitive(r, "level");
		const cJSON *summary = cJSON_GetObjectItemCaseSensitive(r, "summary");
		struct vs_error e;
		time_t t = 0;

		if (cJSON_IsString(at))
			time_parse(at->valuestring, &t, &e);
		h->n++;
		if (h->first == 0 || (t != 0 && t < h->first))
			h->first = t;
		if (cJSON_IsString(level) && strcmp(level->valuestring, "deep") == 0)
			h->ndeep++;
		if (cJSON_IsTrue(ok)) {
			h->nok++;
			if (t > h->last_ok)
				h->last_ok = t;
		} else {
			h->nfailed++;
			if (t > h->last_failed) {
				h->last_failed = t;
				snprintf(h->last_failure, sizeof h->last_failure, "%s",
				    cJSON_IsString(summary) ? summary->valuestring : "");
			}
		}
	}
done:
	cJSON_Delete(root);
	free(json);
	storage_close(st);
	*result = h;
	return 0;
fail:
	free(json);
	storage_close(st);
	free(h);
	return -1;
}

const struct job_type tui_history_type = {
	.name = "history",
	.run = history_run,
	.free_args = free,
	.free_result = free,
};
