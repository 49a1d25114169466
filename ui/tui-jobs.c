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
#include "jobs/journal.h"
#include "manifest/verify-record.h"
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
	live_clear(&s->live);
	health_report_clear(&s->health);
	free(s);
}

static void
status_free_result(void *r)
{
	tui_status_free(r);
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
	struct health_live_opts o = {
		.count_keys = a != NULL && a->count_keys,
		.max_keys = TUI_COUNT_MAX_KEYS,
		.s3_credentials = a != NULL && a->s3_credentials,
	};

	s->at = time_now();
	health_report_init(&s->health, cfg);
	health_check_live(cfg, job, &o, &s->health, &s->live);
	if (job_cancelled(job)) {
		tui_status_free(s);
		return job_cancel_error(err);
	}
	status_disk(cfg, s);
	s->ops_ok = ops_state_load(cfg->backup_dir, &s->ops, NULL, NULL) == 0;
	s->locked = bdlock_probe(cfg->backup_dir, &s->holder, NULL) == 1;
	/* While a restore runs its journal is open too: only one left by a
	 * restore that was interrupted matters, and then nobody holds the lock. */
	if (!s->locked) {
		struct journal j;

		memset(&j, 0, sizeof j);
		if (journal_load(cfg->backup_dir, &j, NULL) == 1) {
			s->journal = true;
			snprintf(s->journal_id, sizeof s->journal_id, "%s", j.id);
			snprintf(s->journal_safety, sizeof s->journal_safety, "%s", j.safety_id);
		}
		journal_clear(&j);
	}
	{
		struct stat sb;

		if (stat(cfg->backup_dir, &sb) == 0) {
			s->dir_ok = true;
			s->dir_mtime = sb.st_mtim;
		}
	}
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
	/* Any copy but the local one is fetched into backup_dir first. */
	in.download = strcmp(a->from, "local") != 0;
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
