/*
 * sync: make locations hold the backups they should. For each destination,
 * every backup with a usable copy elsewhere that the destination lacks
 * (or holds unfinished) and that the destination's own retention would
 * keep is copied there from the nearest location holding it (or from the
 * --from locations), oldest first: a backup that retention already
 * removed there is not brought back. Each copy sends only what the
 * destination lacks, checks what arrived and writes the manifest last
 * (transfer_copy). A dry run says what would be copied.
 *
 * DESIGN: the plan is made on the job's thread from one catalog of every
 * location involved; then each destination gets a thread of its own that
 * copies its rows in order (struct sync_dest owns them; nothing else
 * writes them until the threads are joined). A destination that fails
 * fails no other.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/format.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "engine/lock.h"
#include "jobs/jobs.h"
#include "jobs/transfer.h"
#include "retention/retention.h"

static void
sync_add(struct sync_report *rep, const char *id, size_t from, size_t to,
    const struct config *cfg, uint64_t size)
{
	struct sync_row *r;

	rep->rows = xreallocarray(rep->rows, rep->n + 1, sizeof *rep->rows);
	r = &rep->rows[rep->n++];
	memset(r, 0, sizeof *r);
	snprintf(r->id, sizeof r->id, "%s", id);
	if (from < cfg->nlocations)
		snprintf(r->from, sizeof r->from, "%s", cfg->locations[from].name);
	snprintf(r->to, sizeof r->to, "%s", cfg->locations[to].name);
	r->to_loc = to;
	r->size = size;
}

/* The location to copy e from: the first of from (nearest first) holding
 * a usable copy, other than to; SIZE_MAX when none. */
static size_t
sync_source(const struct catalog *cat, const struct catalog_entry *e, unsigned from, size_t to)
{
	for (size_t l = 0; l < e->nloc; l++)
		if (l != to && (from & (1u << l)) && cat->locs[l].listed &&
		    catalog_copy_usable(catalog_copy_at(e, l)))
			return l;
	return SIZE_MAX;
}

/* What destination l lacks and would keep. */
static void
sync_plan_dest(const struct config *cfg, const struct catalog *cat, size_t l, unsigned from,
    time_t now, struct sync_report *rep)
{
	struct retention_item *it = xcalloc(cat->n + 1, sizeof *it);
	struct retention_decision *d = xcalloc(cat->n + 1, sizeof *d);
	size_t *src = xcalloc(cat->n + 1, sizeof *src), *idx = xcalloc(cat->n + 1, sizeof *idx);
	size_t n = 0;

	/* What is there, and what could be brought, decided together: the
	 * candidates take their places in the calendar as copies would. */
	for (size_t i = 0; i < cat->n; i++) {
		const struct catalog_entry *e = &cat->entries[i];
		const struct catalog_copy *here = catalog_copy_at(e, l);
		size_t s = SIZE_MAX;

		if (!catalog_copy_usable(here)) {
			s = sync_source(cat, e, from, l);
			if (s == SIZE_MAX && !here->present)
				continue;
		}
		if (s == SIZE_MAX) {
			catalog_retention_item(e, here, &it[n]);
		} else {
			/* As the copy would be there: a verification or a pin is
			 * of the copy it was made on, and does not travel. */
			catalog_retention_item(e, catalog_copy_at(e, s), &it[n]);
			it[n].verified_ok = false;
			it[n].pinned = false;
		}
		src[n] = s;
		idx[n++] = i;
	}
	retention_evaluate(it, n, &cfg->locations[l].retention, now, d);
	for (size_t k = 0; k < n; k++) {
		const struct catalog_entry *e = &cat->entries[idx[k]];

		if (src[k] == SIZE_MAX)
			continue;
		if (!d[k].keep) {
			rep->skipped++;
			continue;
		}
		sync_add(rep, e->id, src[k], l, cfg,
		    manifest_total_size(&catalog_copy_at(e, src[k])->m));
	}
	free(it);
	free(d);
	free(src);
	free(idx);
}

struct sync_dest {
	struct job *job;
	struct sync_report *rep;
	size_t loc;
	pthread_t thread;
	bool threaded;
};

static void *
sync_dest_thread(void *arg)
{
	struct sync_dest *sd = arg;

	for (size_t i = 0; i < sd->rep->n; i++) {
		struct sync_row *r = &sd->rep->rows[i];
		struct vs_error err;

		if (r->to_loc != sd->loc || r->error != NULL)
			continue;
		if (job_cancelled(sd->job)) {
			r->error = xstrdup(_("cancelled"));
			continue;
		}
		error_clear(&err);
		if (transfer_copy(sd->job, r->from, r->to, r->id, &err) == 0) {
			r->done = true;
		} else {
			r->error = xstrdup(err.msg);
			job_log(sd->job, VS_LOG_ERROR, _("%s was not copied to %s: %s"), r->id, r->to,
			    err.msg);
		}
	}
	return NULL;
}

static int
job_sync_run(struct job *job, void *argp, void **result, struct vs_error *err)
{
	const struct job_sync_args *a = argp;
	const struct config *cfg = job_config(job);
	struct sync_report *rep = xcalloc(1, sizeof *rep);
	struct bdlock *lock = NULL;
	struct catalog *cat = NULL;
	struct sync_dest *sd = NULL;
	unsigned all = config_location_all(cfg), from = a->from & all, to = a->to & all;
	time_t now = time_now();
	int rc = -1;

	rep->dry_run = a->dry_run;
	if (from == 0)
		from = all;
	if (to == 0) {
		/* Where backups are sent: the locations with upload = true. */
		for (size_t l = 1; l < cfg->nlocations; l++)
			if (cfg->locations[l].upload)
				to |= 1u << l;
	}
	if (to == 0) {
		unsigned set;

		if (config_location_select(cfg, config_drivers[1]->name, &set, err) != 0)
			goto out;
		error_set(err, VS_ERR_USAGE, _("no location has upload = true: name one with --to"));
		goto out;
	}
	if (!a->dry_run && jobs_lock(job, "sync", &lock, err) != 0)
		goto out;
	cat = catalog_read(cfg, job, from | to);
	if (job_cancelled(job)) {
		job_cancel_error(err);
		goto out;
	}
	job_progress(job, _("deciding what each location lacks"), 0, 0, false);
	for (size_t l = 0; l < cfg->nlocations; l++) {
		if (!(to & (1u << l)))
			continue;
		if (!cat->locs[l].listed) {
			/* Nothing is known of it: one row says why. */
			sync_add(rep, "", SIZE_MAX, l, cfg, 0);
			rep->rows[rep->n - 1].error = xstrdup(cat->locs[l].error != NULL ?
			    cat->locs[l].error : _("not listed"));
			continue;
		}
		sync_plan_dest(cfg, cat, l, from, now, rep);
	}
	if (!a->dry_run) {
		sd = xcalloc(cfg->nlocations + 1, sizeof *sd);
		for (size_t l = 0; l < cfg->nlocations; l++) {
			if (!(to & (1u << l)))
				continue;
			sd[l].job = job;
			sd[l].rep = rep;
			sd[l].loc = l;
			sd[l].threaded = pthread_create(&sd[l].thread, NULL, sync_dest_thread,
			    &sd[l]) == 0;
			if (!sd[l].threaded)
				sync_dest_thread(&sd[l]);
		}
		for (size_t l = 0; l < cfg->nlocations; l++)
			if (sd[l].threaded)
				pthread_join(sd[l].thread, NULL);
	}
	for (size_t i = 0; i < rep->n; i++) {
		rep->copied += rep->rows[i].done;
		rep->failed += rep->rows[i].error != NULL;
		if (!rep->rows[i].done && rep->rows[i].error == NULL)
			rep->bytes += rep->rows[i].size;
	}
	*result = rep;
	rep = NULL;
	rc = 0;
out:
	free(sd);
	catalog_free(cat);
	bdlock_release(lock);
	sync_report_free(rep);
	return rc;
}

void
sync_report_free(struct sync_report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->rows[i].error);
	free(r->rows);
	free(r);
}

static void
job_sync_free_result(void *r)
{
	sync_report_free(r);
}

static void
job_sync_describe(const void *r, char *buf, size_t bufsz)
{
	const struct sync_report *rep = r;
	char size[32];

	if (rep->dry_run) {
		format_bytes(rep->bytes, size, sizeof size);
		snprintf(buf, bufsz, ngettext("sync (dry run) would copy %zu backup (%s of files)",
		    "sync (dry run) would copy %zu backups (%s of files)", rep->n - rep->failed),
		    rep->n - rep->failed, size);
	} else if (rep->n == 0) {
		snprintf(buf, bufsz, "%s", _("sync: every location holds what it should"));
	} else {
		snprintf(buf, bufsz, ngettext("sync copied %zu backup, %zu failed",
		    "sync copied %zu backups, %zu failed", rep->copied), rep->copied, rep->failed);
	}
}

static cJSON *
job_sync_json(const void *r)
{
	const struct sync_report *rep = r;
	cJSON *o = cJSON_CreateObject(), *arr;

	cJSON_AddBoolToObject(o, "dry_run", rep->dry_run);
	cJSON_AddNumberToObject(o, "copied", (double)rep->copied);
	cJSON_AddNumberToObject(o, "failed", (double)rep->failed);
	cJSON_AddNumberToObject(o, "left_by_retention", (double)rep->skipped);
	arr = cJSON_AddArrayToObject(o, "copies");
	for (size_t i = 0; i < rep->n; i++) {
		const struct sync_row *row = &rep->rows[i];
		cJSON *x = cJSON_CreateObject();

		if (row->id[0])
			cJSON_AddStringToObject(x, "id", row->id);
		else
			cJSON_AddNullToObject(x, "id");
		cJSON_AddStringToObject(x, "from", row->from);
		cJSON_AddStringToObject(x, "to", row->to);
		cJSON_AddNumberToObject(x, "size", (double)row->size);
		cJSON_AddStringToObject(x, "state", row->error != NULL ? "failed" : row->done ?
		    "copied" : "to copy");
		if (row->error != NULL)
			cJSON_AddStringToObject(x, "error", row->error);
		cJSON_AddItemToArray(arr, x);
	}
	return o;
}

static bool
job_sync_failed(const void *r)
{
	return ((const struct sync_report *)r)->failed > 0;
}

const struct job_type job_sync_type = {
	.name = "sync",
	.run = job_sync_run,
	.free_args = free,
	.free_result = job_sync_free_result,
	.describe = job_sync_describe,
	.to_json = job_sync_json,
	.failed = job_sync_failed,
};
