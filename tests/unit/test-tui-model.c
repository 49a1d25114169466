/*
 * The TUI's model (ui/model.c) on synthetic catalogs: rows, retention per
 * location with its short text, sort, filter, the newest complete backup,
 * job progress merging, the log ring, and a catalog of 10,000 backups.
 * No terminal is needed: the model does no drawing and no I/O.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "tests/unit/tap.h"
#include "ui/tui.h"

#define DAY 86400

static time_t
at(const char *iso)
{
	struct vs_error err;
	time_t t = 0;

	if (time_parse(iso, &t, &err) != 0)
		fatal("bad time %s", iso);
	return t;
}

/* A complete copy of a backup made at t. */
static void
copy_set(struct catalog_copy *c, const char *id, enum backup_type type, time_t t,
    uint64_t size)
{
	c->present = c->complete = c->has_manifest = true;
	c->bytes = size;
	snprintf(c->m.backup_id, sizeof c->m.backup_id, "%s", id);
	c->m.type = type;
	c->m.created_at = c->m.completed_at = t;
	c->m.redis.file.present = true;
	c->m.redis.file.size = size;
	c->m.content.file.present = c->m.user.file.present = true;
}

static const struct config *the_cfg;

static struct catalog *
catalog_of(size_t n)
{
	struct catalog *cat = catalog_new(the_cfg);

	cat->entries = xcalloc(n, sizeof *cat->entries);
	cat->n = n;
	for (size_t i = 0; i < n; i++) {
		cat->entries[i].nloc = cat->nloc;
		cat->entries[i].copies = xcalloc(cat->nloc, sizeof *cat->entries[i].copies);
	}
	return cat;
}

static struct catalog_entry *
entry(struct catalog *cat, size_t i, time_t t)
{
	struct catalog_entry *e = &cat->entries[i];

	backup_id_format(t, e->id);
	return e;
}

static int
view_index(struct tui_model *m, const char *id)
{
	return (int)model_find_view(m, id);
}

int
main(void)
{
	struct config *cfg = config_defaults();
	struct tui_model m;
	struct catalog *cat;
	struct catalog_entry *e;
	struct tui_row *r;
	time_t now = at("2024-02-15T12:00:00Z");
	char id[6][BACKUP_ID_SIZE];

	cfg->retention.daily = 7;
	cfg->retention.weekly = 4;
	cfg->retention.monthly = 6;
	cfg->retention.manual_days = 0;
	{
		struct vs_error err;

		config_set(cfg, "s3.bucket", "b", &err);
		cfg->locations[1].retention = cfg->retention;
		cfg->locations[1].retention.daily = 30;
	}
	the_cfg = cfg;
	model_init(&m, cfg);

	/* 0 monthly Feb 1, 1 daily Feb 6 (expired), 2 weekly Feb 12,
	 * 3 daily Feb 14 (verified), 4 manual Feb 15 (pinned),
	 * 5 daily Jan 20 in S3 only (kept 30 days there). */
	cat = catalog_of(6);
	e = entry(cat, 0, at("2024-01-20T02:00:00Z"));
	copy_set(&e->copies[1], e->id, BACKUP_DAILY, at("2024-01-20T02:00:00Z"), 500);
	e = entry(cat, 1, at("2024-02-01T02:00:00Z"));
	copy_set(&e->copies[0], e->id, BACKUP_MONTHLY, at("2024-02-01T02:00:00Z"), 1000);
	e = entry(cat, 2, at("2024-02-06T02:00:00Z"));
	copy_set(&e->copies[0], e->id, BACKUP_DAILY, at("2024-02-06T02:00:00Z"), 3000);
	e = entry(cat, 3, at("2024-02-12T02:00:00Z"));
	copy_set(&e->copies[0], e->id, BACKUP_WEEKLY, at("2024-02-12T02:00:00Z"), 2000);
	e = entry(cat, 4, at("2024-02-14T02:00:00Z"));
	copy_set(&e->copies[0], e->id, BACKUP_DAILY, at("2024-02-14T02:00:00Z"), 4000);
	copy_set(&e->copies[1], e->id, BACKUP_DAILY, at("2024-02-14T02:00:00Z"), 4000);
	e->copies[0].has_verify = true;
	e->copies[0].verify.ok = true;
	e->copies[0].verify.deep = true;
	e->copies[0].verify.at = at("2024-02-15T10:00:00Z");
	e = entry(cat, 5, at("2024-02-15T09:00:00Z"));
	copy_set(&e->copies[0], e->id, BACKUP_MANUAL, at("2024-02-15T09:00:00Z"), 100);
	e->copies[0].pinned = true;
	for (int i = 0; i < 6; i++)
		snprintf(id[i], sizeof id[i], "%s", cat->entries[i].id);
	catalog_finish(cat);

	model_set_catalog(&m, cat, now);
	is_int(m.nrows, 6, "six rows");
	is_int(m.nview, 6, "all in the view without a filter");
	is_str(model_view_row(&m, 0)->e->id, id[5], "newest first by default");
	is_str(model_view_row(&m, 5)->e->id, id[0], "oldest last");

	r = model_find_row(&m, id[2]);
	ok(r != NULL && !r->ret.keep, "the daily of Feb 6 expires after 7 days");
	is_str(r->ret_short, "expired", "its retention text");
	ok(r->ret_color == COL_BAD, "in the failure colour");
	r = model_find_row(&m, id[5]);
	is_str(r->ret_short, "pinned", "the pinned backup says so");
	r = model_find_row(&m, id[4]);
	ok(r->vstate == VERIFY_OK && r->vdeep, "the verified backup shows a deep pass");
	is_str(r->ret_short, "6 days left", "a backup expiring within a week shows the time left");
	ok(r->policy == &cfg->locations[0].retention,
	    "a backup with a local copy follows the local policy");
	r = model_find_row(&m, id[1]);
	is_str(r->ret_short, "until 2024-08-01", "one kept longer shows the date");
	r = model_find_row(&m, id[0]);
	ok(r->policy == &cfg->locations[1].retention, "an S3-only backup follows the S3 policy");
	ok(r->ret.keep, "kept: 26 days old, S3 keeps dailies 30 days");
	is_str(r->where, "s3", "listed as s3");
	is_str(model_find_row(&m, id[4])->where, "both", "a backup in both places");

	ok(model_newest_complete(&m) == model_find_row(&m, id[5]), "the newest complete backup");
	/* A safety backup, or one lacking a part, is never "the newest". */
	cat->entries[5].copies[0].m.type = BACKUP_PRE_RESTORE;
	ok(model_newest_complete(&m) == model_find_row(&m, id[4]),
	    "a newer pre-restore safety backup is not the newest");
	cat->entries[4].copies[0].m.content.file.present = false;
	ok(model_newest_complete(&m) == model_find_row(&m, id[4]),
	    "nor is a local copy lacking the content index when the S3 copy is whole");
	cat->entries[4].copies[1].m.content.file.present = false;
	ok(model_newest_complete(&m) == model_find_row(&m, id[3]),
	    "when both copies lack it, the one before is the newest");
	cat->entries[4].copies[0].m.content.file.present = true;
	cat->entries[4].copies[1].m.content.file.present = true;
	cat->entries[5].copies[0].m.type = BACKUP_MANUAL;

	/* filter */
	snprintf(m.filter, sizeof m.filter, "DAILY");
	model_apply_view(&m);
	is_int(m.nview, 3, "the filter matches the three daily backups, case-insensitively");
	snprintf(m.filter, sizeof m.filter, "expired");
	model_apply_view(&m);
	is_int(m.nview, 1, "the filter matches the retention text");
	snprintf(m.filter, sizeof m.filter, "20240212");
	model_apply_view(&m);
	ok(m.nview == 1 && strcmp(model_view_row(&m, 0)->e->id, id[3]) == 0, "and the id");
	snprintf(m.filter, sizeof m.filter, "no-such-thing");
	model_apply_view(&m);
	is_int(m.nview, 0, "a filter matching nothing empties the view");
	m.filter[0] = '\0';

	/* sort */
	m.sort = SORT_SIZE;
	model_apply_view(&m);
	is_str(model_view_row(&m, 0)->e->id, id[4], "by size: the largest first");
	is_str(model_view_row(&m, 5)->e->id, id[5], "the smallest last");
	m.sort_reverse = true;
	model_apply_view(&m);
	is_str(model_view_row(&m, 0)->e->id, id[5], "reversed: the smallest first");
	m.sort = SORT_RETENTION;
	m.sort_reverse = false;
	model_apply_view(&m);
	is_str(model_view_row(&m, 0)->e->id, id[2], "by retention: the expired one first");
	m.sort = SORT_VERIFIED;
	model_apply_view(&m);
	ok(view_index(&m, id[4]) == 5, "by verification: the verified one last");
	m.sort = SORT_CREATED;
	model_apply_view(&m);

	/* in use: a running visible job on a backup keeps it */
	model_job_add(&m, 7, &job_verify_type, true, "verify", id[2]);
	model_evaluate(&m, now);
	r = model_find_row(&m, id[2]);
	ok(r->ret.keep && r->ret.reason == RETENTION_KEEP_IN_USE, "a backup in use by a job is kept");
	is_str(r->ret_short, "in use", "and says so");

	/* job events */
	{
		struct engine_event ev;
		struct tui_job *j;

		memset(&ev, 0, sizeof ev);
		ev.type = ENGINE_EV_PROGRESS;
		ev.job = 7;
		ev.jtype = &job_verify_type;
		snprintf(ev.phase, sizeof ev.phase, "checking");
		ev.done = 0;
		ev.total = 1000;
		ev.bytes = true;
		model_job_event(&m, &ev, 100.0);
		ev.done = 500;
		model_job_event(&m, &ev, 101.0);
		j = model_job_find(&m, 7);
		ok(j->running && !j->finished, "a job with progress is running");
		ok(j->rate > 499 && j->rate < 501, "its rate is the bytes of the phase over its time");
		is_int(model_jobs_running(&m, true), 1, "one visible job running");
		ev.type = ENGINE_EV_DONE;
		ev.status = -1;
		ev.err.code = VS_ERR_CANCELLED;
		snprintf(ev.err.msg, sizeof ev.err.msg, "cancelled");
		model_job_event(&m, &ev, 102.0);
		ok(j->finished && !j->running && j->cancelled, "DONE with a cancel error: cancelled");
		is_str(j->error, "cancelled", "the error is kept");
		is_int(model_jobs_running(&m, true), 0, "no job running");
		ok(!model_backup_busy(&m, id[2]), "the backup is free again");
	}

	/* log ring */
	for (int i = 0; i < TUI_LOG_MAX + 5; i++)
		model_log(&m, VS_LOG_INFO, "line %d", i);
	is_int(m.log_n, TUI_LOG_MAX, "the log keeps at most TUI_LOG_MAX lines");
	is_str(model_log_line(&m, 0)->text, "line 5", "dropping the oldest");
	is_str(model_log_line(&m, TUI_LOG_MAX - 1)->text, "line 2004", "keeping the newest");
	ok(model_log_line(&m, TUI_LOG_MAX) == NULL, "past the end: NULL");

	/* 10,000 backups, one an hour */
	{
		size_t n = 10000;
		time_t t0 = at("2023-01-01T00:00:00Z");
		char want[BACKUP_ID_SIZE];
		size_t monthly = 0;

		cat = catalog_of(n);
		for (size_t i = 0; i < n; i++) {
			e = entry(cat, i, t0 + (time_t)i * 3600);
			if (backup_type_for_time(t0 + (time_t)i * 3600) == BACKUP_MONTHLY)
				monthly++;
			copy_set(&e->copies[0], e->id, backup_type_for_time(t0 + (time_t)i * 3600),
			    t0 + (time_t)i * 3600, 1000 + i);
		}
		catalog_finish(cat);
		model_set_catalog(&m, cat, t0 + (time_t)n * 3600);
		is_int(m.nview, n, "10000 rows in the view");
		backup_id_format(t0 + (time_t)(n - 1) * 3600, want);
		is_str(model_view_row(&m, 0)->e->id, want, "the newest first");
		snprintf(m.filter, sizeof m.filter, "monthly");
		model_apply_view(&m);
		ok(monthly > 0 && m.nview == monthly, "the filter finds the %zu monthly ones", monthly);
		m.filter[0] = '\0';
		m.sort = SORT_SIZE;
		model_apply_view(&m);
		is_str(model_view_row(&m, 0)->e->id, want, "by size: the largest (newest) first");
		ok(model_find_view(&m, "20230101_000000") == (long)n - 1, "the oldest is last");
	}

	model_free(&m);
	config_free(cfg);
	return tap_done();
}
