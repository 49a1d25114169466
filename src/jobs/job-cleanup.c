/*
 * cleanup: the retention policy applied to each location on its own. The
 * decisions come from one pure function (src/retention), so a dry run and
 * a real run at the same moment decide the same; a real run deletes what
 * the dry run would show, under the backup_dir lock.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/format.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "engine/lock.h"
#include "jobs/jobs.h"
#include "repo/gc.h"
#include "repo/view.h"
#include "retention/retention.h"
#include "storage/storage.h"

static void
cleanup_warn(void *ud, const char *msg)
{
	job_log(ud, VS_LOG_WARN, "%s", msg);
}

static struct config_retention
policy_for(const struct config *cfg, size_t l, const struct job_cleanup_args *a)
{
	struct config_retention p = cfg->locations[l].retention;

	if (a->retain_days >= 0)
		p.daily = a->retain_days;
	if (a->retain_weekly >= 0)
		p.weekly = a->retain_weekly;
	if (a->retain_monthly >= 0)
		p.monthly = a->retain_monthly;
	return p;
}

static int
row_cmp(const void *a, const void *b)
{
	const struct cleanup_row *x = a, *y = b;

	if (x->loc != y->loc)
		return x->loc < y->loc ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* The repository of st (if any) loses what no backup references any
 * more; a dry run says what that would free. */
static int
collect_garbage(struct job *job, struct storage *st, bool dry_run, struct cleanup_report *rep,
    struct vs_error *err)
{
	struct repo_gc_report gr;
	struct repo *r;
	int have = repo_exists(st, err);

	if (have <= 0)
		return have;
	if ((r = repo_view_repo(st, err)) == NULL)
		return -1;
	job_progress(job, _("collecting unused data"), 0, 0, false);
	if (repo_gc(r, job, dry_run, &gr, err) != 0)
		return error_prefix(err, _("garbage collection in %s"), storage_location(st));
	rep->repo_ran = true;
	rep->repo_total += gr.bytes_total;
	rep->repo_freed += gr.bytes_freed;
	rep->repo_pending += gr.bytes_pending;
	rep->repo_writers |= gr.writers;
	if (!dry_run && gr.bytes_freed > 0)
		job_log(job, VS_LOG_INFO, _("%s: %llu unused packs deleted"), storage_location(st),
		    (unsigned long long)gr.packs_deleted);
	if (gr.writers)
		job_log(job, VS_LOG_INFO, _("%s: a backup is writing; the data it may use is left "
		    "for the next cleanup"), storage_location(st));
	return 0;
}

/* Decide (and unless dry, delete) for one location. */
static int
cleanup_location(struct job *job, const struct job_cleanup_args *args, size_t l,
    struct cleanup_report *rep, struct vs_error *err)
{
	const struct config *cfg = job_config(job);
	struct config_retention policy = policy_for(cfg, l, args);
	struct catalog *cat = catalog_new(cfg);
	struct storage *st = NULL;
	struct retention_item *items = NULL;
	struct retention_decision *dec = NULL;
	size_t n = 0, first;
	bool other_writing = false;
	int rc = -1;

	if (jobs_storage_open_at(job, l, &st, err) != 0)
		goto out;
	storage_set_warn(st, cleanup_warn, job);
	if (catalog_add_location(cat, st, err) != 0)
		goto out;
	catalog_finish(cat);
	items = xcalloc(cat->n + 1, sizeof *items);
	dec = xcalloc(cat->n + 1, sizeof *dec);
	/* A dry run takes no lock: an unfinished local backup may be one that
	 * another process is writing right now. */
	if (args->dry_run && l == 0) {
		struct bdlock_holder h;

		other_writing = bdlock_probe(cfg->backup_dir, &h, NULL) == 1;
	}
	for (size_t i = 0; i < cat->n; i++) {
		const struct catalog_copy *c = catalog_copy_at(&cat->entries[i], l);
		struct retention_item *it = &items[n++];

		catalog_retention_item(&cat->entries[i], c, it);
		it->in_use = job_backup_in_use(job, it->id) || (other_writing && c->partial);
	}
	retention_evaluate(items, n, &policy, args->at, dec);

	first = rep->n;
	rep->rows = xreallocarray(rep->rows, rep->n + n + 1, sizeof *rep->rows);
	for (size_t i = 0; i < n; i++) {
		const struct catalog_copy *c = catalog_copy_at(&cat->entries[i], l);
		struct cleanup_row *row = &rep->rows[rep->n++];

		memset(row, 0, sizeof *row);
		snprintf(row->id, sizeof row->id, "%s", items[i].id);
		snprintf(row->location, sizeof row->location, "%s", cfg->locations[l].name);
		row->loc = l;
		row->type = items[i].type;
		row->type_known = c->has_manifest;
		row->created = items[i].created;
		/* A backup in the repository frees only what garbage collection
		 * finds unused, counted there. */
		row->bytes = c->has_manifest ? (c->m.format_version >= 2 ? 0 :
		    manifest_total_size(&c->m)) : c->bytes;
		row->keep = dec[i].keep;
		row->reason = (int)dec[i].reason;
		row->expires = dec[i].expires;
		retention_describe(&items[i], &dec[i], &policy, args->at, row->text, sizeof row->text);
	}
	if (!args->dry_run) {
		for (size_t i = first; i < rep->n; i++) {
			struct cleanup_row *row = &rep->rows[i];
			struct vs_error derr;
			int r;

			if (row->keep)
				continue;
			if (job_cancelled(job)) {
				rc = job_cancel_error(err);
				goto out;
			}
			job_progress(job, _("deleting expired backups"), i - first, n, false);
			error_clear(&derr);
			r = row->reason == RETENTION_DELETE_INCOMPLETE ?
			    storage_remove_partial(st, row->id, &derr) :
			    storage_remove(st, row->id, &derr);
			if (r == 0) {
				row->deleted = true;
				rep->deleted++;
				rep->freed += row->bytes;
				job_log(job, VS_LOG_INFO, _("deleted %s from %s: %s"), row->id,
				    storage_location(st), row->text);
			} else {
				row->error = xstrdup(derr.msg);
				rep->failed++;
				job_log(job, VS_LOG_ERROR, "%s", derr.msg);
			}
		}
	}
	if (collect_garbage(job, st, args->dry_run, rep, err) != 0)
		goto out;
	rc = 0;
out:
	free(items);
	free(dec);
	catalog_free(cat);
	storage_close(st);
	return rc;
}

static int
job_cleanup_run(struct job *job, void *argp, void **result, struct vs_error *err)
{
	struct job_cleanup_args *args = argp;
	const struct config *cfg = job_config(job);
	struct cleanup_report *rep = xcalloc(1, sizeof *rep);
	struct bdlock *lock = NULL;
	unsigned want = args->locations & config_location_all(cfg);
	int rc = -1;

	rep->at = args->at;
	rep->dry_run = args->dry_run;
	job_progress(job, _("deciding what to keep"), 0, 0, false);
	if (!args->dry_run && jobs_lock(job, "cleanup", &lock, err) != 0)
		goto out;
	for (size_t l = 0; l < cfg->nlocations; l++) {
		struct vs_error lerr;

		if (!(want & (1u << l)))
			continue;
		error_clear(&lerr);
		if (cleanup_location(job, args, l, rep, &lerr) == 0)
			continue;
		/* backup_dir, a location asked for alone, or a cancel fail the
		 * run; another location is reported as not done, and the
		 * decisions elsewhere stand. */
		if (l == 0 || want == (1u << l) || lerr.code == VS_ERR_CANCELLED) {
			*err = lerr;
			goto out;
		}
		rep->skipped[l] = xstrdup(lerr.msg);
		snprintf(rep->skipped_names[l], sizeof rep->skipped_names[l], "%s",
		    jobs_location_label(cfg, l));
		job_log(job, VS_LOG_ERROR, _("%s was not cleaned up: %s"),
		    jobs_location_label(cfg, l), lerr.msg);
	}
	if (rep->n > 0)
		qsort(rep->rows, rep->n, sizeof *rep->rows, row_cmp);
	*result = rep;
	rep = NULL;
	rc = 0;
out:
	bdlock_release(lock);
	cleanup_report_free(rep);
	return rc;
}

void
cleanup_report_free(struct cleanup_report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->rows[i].error);
	free(r->rows);
	for (size_t l = 0; l < CONFIG_LOCATION_MAX; l++)
		free(r->skipped[l]);
	free(r);
}

static void
job_cleanup_free_result(void *r)
{
	cleanup_report_free(r);
}

static void
job_cleanup_describe(const void *r, char *buf, size_t bufsz)
{
	const struct cleanup_report *rep = r;
	char size[32];
	size_t n = 0;
	uint64_t bytes = 0;

	if (rep->dry_run) {
		for (size_t i = 0; i < rep->n; i++)
			if (!rep->rows[i].keep) {
				n++;
				bytes += rep->rows[i].bytes;
			}
		format_bytes(bytes, size, sizeof size);
		snprintf(buf, bufsz, ngettext("cleanup (dry run) would delete %zu backup (%s)",
		    "cleanup (dry run) would delete %zu backups (%s)", n), n, size);
	} else {
		format_bytes(rep->freed, size, sizeof size);
		snprintf(buf, bufsz, ngettext("cleanup deleted %zu backup (%s freed), %zu failed",
		    "cleanup deleted %zu backups (%s freed), %zu failed", rep->deleted), rep->deleted,
		    size, rep->failed);
	}
	if (rep->repo_ran) {
		char total[32], freed[32], pending[32];
		size_t len = strlen(buf);

		format_bytes(rep->repo_total, total, sizeof total);
		format_bytes(rep->repo_freed, freed, sizeof freed);
		format_bytes(rep->repo_pending, pending, sizeof pending);
		snprintf(buf + len, bufsz - len, rep->dry_run ?
		    _("; repository: %s in packs, a cleanup now would free %s and mark %s for a "
		      "later one") :
		    _("; repository: %s in packs, %s freed, %s marked to be freed after the grace "
		      "period"), total, freed, pending);
		len = strlen(buf);
		if (rep->repo_writers)
			snprintf(buf + len, bufsz - len, "%s", _(" (a backup was writing: what it may use "
			    "was left)"));
	}
}

static bool
job_cleanup_failed(const void *r)
{
	return ((const struct cleanup_report *)r)->failed > 0;
}

const struct job_type job_cleanup_type = {
	.name = "cleanup",
	.run = job_cleanup_run,
	.free_args = free,
	.free_result = job_cleanup_free_result,
	.describe = job_cleanup_describe,
	.failed = job_cleanup_failed,
};
