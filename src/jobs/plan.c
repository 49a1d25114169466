/*
 * The restore plan: the job that reads it (nothing is changed), and the
 * lines and JSON that show it. See plan.h.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/format.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "jobs/catalog.h"
#include "jobs/jobs.h"
#include "jobs/plan.h"
#include "jobs/restore.h"
#include "storage/storage.h"

/* Without a measurement, a plain disk: what the verification reads. */
#define PLAN_DEFAULT_RATE (200.0 * 1024 * 1024)
/* Redis loads an RDB at about this many bytes per second. */
#define PLAN_LOAD_RATE 150e6

/* --- the job --- */

static int
plan_manifest(struct job *job, const struct job_plan_args *a, struct manifest *m,
    struct vs_error *err)
{
	struct storage *st = NULL;
	char *json = NULL, *where = NULL;
	size_t len;
	int rc = -1;

	if (jobs_storage_open(job, a->from, &st, err) != 0)
		return -1;
	if (storage_read_small(st, a->id, STORAGE_METADATA, MANIFEST_MAX_SIZE, &json, &len,
	    err) == 0) {
		where = xasprintf("%s/%s/%s", storage_location(st), a->id, STORAGE_METADATA);
		rc = manifest_parse(json, where, m, err);
	}
	free(where);
	free(json);
	storage_close(st);
	return rc;
}

static void
step_set(struct restore_plan *p, enum restore_step s, bool skipped, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
step_set(struct restore_plan *p, enum restore_step s, bool skipped, const char *fmt, ...)
{
	va_list ap;

	p->steps[s].skipped = skipped;
	va_start(ap, fmt);
	vsnprintf(p->steps[s].detail, sizeof p->steps[s].detail, fmt, ap);
	va_end(ap);
}

static void
plan_index_words(const struct manifest_index *ix, char *buf, size_t bufsz)
{
	if (!ix->file.present)
		snprintf(buf, bufsz, "%s", _("none"));
	else if (ix->unreadable)
		snprintf(buf, bufsz, "%s", _("unreadable"));
	else
		snprintf(buf, bufsz, ngettext("%lld vector of dim %d", "%lld vectors of dim %d",
		    (unsigned long)ix->ntotal), (long long)ix->ntotal, ix->dim);
}

static void
plan_steps(const struct config *cfg, struct restore_plan *p)
{
	const struct manifest *m = &p->m;
	const struct manifest_index *ix[2] = { &m->content, &m->user };
	char size[32], a[96], b[96];

	format_bytes(p->backup_bytes, size, sizeof size);
	if (p->remote)
		step_set(p, RESTORE_FETCH, false, _("%s from %s into %s"), size, p->from_where,
		    cfg->backup_dir);
	else
		step_set(p, RESTORE_FETCH, true, "%s", _("the local copy is used"));
	step_set(p, RESTORE_VERIFY, false, _("sizes and SHA-256 of every file (%s)"), size);
	step_set(p, RESTORE_PREFLIGHT, false, "%s", _("disk space, Redis, the start command, "
	    "the lock"));
	if (p->safety_backup)
		step_set(p, RESTORE_SAFETY, false, "%s", _("the live state as it is now, kept as a "
		    "pre-restore backup: the way back"));
	else
		step_set(p, RESTORE_SAFETY, true, "%s", _("--no-safety-backup: no way back"));
	plan_index_words(ix[0], a, sizeof a);
	plan_index_words(ix[1], b, sizeof b);
	if (p->missing & (CATALOG_PART_CONTENT | CATALOG_PART_USER))
		step_set(p, RESTORE_INDEXES, false, _("content: %s, user: %s; a live index the "
		    "backup lacks is MOVED ASIDE"), a, b);
	else
		step_set(p, RESTORE_INDEXES, false, _("content: %s, user: %s"), a, b);
	if (p->cluster == PLAN_NODES) {
		step_set(p, RESTORE_STOP, false, "%s", _("each master in turn, with its own "
		    "redis.stop_command or SHUTDOWN NOSAVE"));
		step_set(p, RESTORE_RDB, false, ngettext("%llu key: each master gets its own RDB "
		    "file back", "%llu keys: each master gets its own RDB file back",
		    (unsigned long)m->redis.dbsize), (unsigned long long)m->redis.dbsize);
		step_set(p, RESTORE_START, false, "%s", _("each master with redis.start_command "
		    "(its own {port}), waited for until the cluster is whole"));
	} else if (p->cluster == PLAN_ROUTED) {
		step_set(p, RESTORE_STOP, true, "%s", _("nothing is stopped"));
		step_set(p, RESTORE_RDB, false, ngettext("%llu key loaded with RESTORE into the "
		    "master of its slot (every master emptied first)", "%llu keys loaded with "
		    "RESTORE, each into the master of its slot (every master emptied first)",
		    (unsigned long)m->redis.dbsize), (unsigned long long)m->redis.dbsize);
		step_set(p, RESTORE_START, true, "%s", _("nothing to start"));
	} else {
		step_set(p, RESTORE_STOP, false, "%s", cfg->redis.stop_command[0] ?
		    _("with redis.stop_command") : _("with SHUTDOWN NOSAVE"));
		if (p->missing & CATALOG_PART_RDB)
			step_set(p, RESTORE_RDB, false, "%s", _("the backup has no snapshot: Redis "
			    "starts EMPTY"));
		else
			step_set(p, RESTORE_RDB, false, ngettext("%llu key", "%llu keys",
			    (unsigned long)m->redis.dbsize), (unsigned long long)m->redis.dbsize);
		step_set(p, RESTORE_START, false, "%s", cfg->redis.start_command[0] ?
		    _("with redis.start_command") : _("by its supervisor"));
	}
	step_set(p, RESTORE_CHECK, false, "%s", _("against the counts the backup recorded"));
	if (cfg->restore_reload_command[0])
		step_set(p, RESTORE_RELOAD, false, "%s", _("restore_reload_command"));
	else
		step_set(p, RESTORE_RELOAD, true, "%s", _("restore_reload_command is not set"));
}

static int
job_plan_run(struct job *job, void *argp, void **result, struct vs_error *err)
{
	struct job_plan_args *a = argp;
	const struct config *cfg = job_config(job);
	struct restore_plan *p = xcalloc(1, sizeof *p);
	const struct manifest_file *f[3];

	snprintf(p->id, sizeof p->id, "%s", a->id);
	snprintf(p->from, sizeof p->from, "%s", a->from);
	{
		int l = config_location_index(cfg, a->from);
		char *where;

		p->remote = l > 0;
		snprintf(p->from_label, sizeof p->from_label, "%s", l > 0 ?
		    jobs_location_label(cfg, (size_t)l) : _("local"));
		where = l >= 0 ? config_location_describe(cfg, (size_t)l) : xstrdup(a->from);
		snprintf(p->from_where, sizeof p->from_where, "%s", where);
		free(where);
	}
	p->safety_backup = a->safety_backup;
	job_progress(job, _("reading the backup's metadata"), 0, 0, false);
	if (plan_manifest(job, a, &p->m, err) != 0) {
		restore_plan_free(p);
		return -1;
	}
	f[0] = &p->m.redis.file;
	f[1] = &p->m.content.file;
	f[2] = &p->m.user.file;
	for (unsigned i = 0; i < CATALOG_NPARTS; i++) {
		bool unreadable = (i == 1 && p->m.content.unreadable) || (i == 2 && p->m.user.unreadable);

		if ((i == 0 ? !manifest_has_rdb(&p->m) : !f[i]->present) || unreadable)
			p->missing |= 1u << i;
	}
	p->backup_bytes = manifest_total_size(&p->m);
	if (restore_routed(cfg, &p->m)) {
		struct vs_error e;

		error_clear(&e);
		p->cluster = restore_nodes_same(cfg, &p->m, &e) == 1 ? PLAN_NODES : PLAN_ROUTED;
	}
	job_progress(job, _("reading the live state"), 0, 0, false);
	live_read(cfg, job, true, 0, &p->live);
	if (job_cancelled(job)) {
		restore_plan_free(p);
		return job_cancel_error(err);
	}
	p->now = time_now();
	plan_steps(cfg, p);
	*result = p;
	return 0;
}

void
restore_plan_free(struct restore_plan *p)
{
	if (p == NULL)
		return;
	manifest_clear(&p->m);
	live_clear(&p->live);
	free(p);
}

static void
job_plan_free_result(void *r)
{
	restore_plan_free(r);
}

const struct job_type job_plan_type = {
	.name = "plan",
	.run = job_plan_run,
	.free_args = free,
	.free_result = job_plan_free_result,
};

/* --- the estimate --- */

void
restore_plan_estimate(const struct restore_plan *p, double rate, bool measured,
    struct plan_estimate *out)
{
	double b = (double)p->backup_bytes, live = 0, rdb, ix = 0, sec;

	if (!measured || rate <= 0)
		rate = PLAN_DEFAULT_RATE;
	for (int i = 0; i < LIVE_NINDEX; i++)
		live += (double)p->live.index[i].size;
	rdb = (double)manifest_rdb_size(&p->m);
	ix = b - rdb;
	live += rdb;                     /* the live RDB: about the backup's */
	sec = b / rate;                  /* verify */
	if (p->remote)
		sec += b / rate;         /* download */
	if (p->safety_backup)
		sec += live / rate;      /* safety backup */
	sec += ix / rate;                /* place the indexes */
	/* Redis is down from the stop to the end of loading. */
	out->redis_down = rdb / rate + rdb / PLAN_LOAD_RATE + 1;
	out->seconds = sec + out->redis_down + 1;
	out->rate = rate;
	out->measured = measured && rate > 0;
}

/* --- for people --- */

static void
emit(plan_line_fn *fn, void *ud, enum plan_level level, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
emit(plan_line_fn *fn, void *ud, enum plan_level level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	fn(ud, level, buf);
}

static void
live_index_words(const struct live_index *l, char *buf, size_t bufsz)
{
	if (!l->present)
		snprintf(buf, bufsz, "%s", _("missing"));
	else if (!l->readable)
		snprintf(buf, bufsz, "%s", _("unreadable"));
	else
		snprintf(buf, bufsz, ngettext("%lld vector of dim %d", "%lld vectors of dim %d",
		    (unsigned long)l->ntotal), (long long)l->ntotal, l->dim);
}

/* "label   live -> backup", the label padded so the arrows line up. */
static void
emit_part(plan_line_fn *fn, void *ud, enum plan_level level, const char *label,
    const char *live, const char *backup)
{
	char pad[96];

	format_pad(pad, sizeof pad, label, 22);
	emit(fn, ud, level, "  %s %s %s %s", pad, live, format_arrow(), backup);
}

void
restore_plan_lines(const struct restore_plan *p, const struct plan_estimate *e,
    plan_line_fn *fn, void *ud)
{
	const struct manifest *m = &p->m;
	const struct live_redis *lr = &p->live.redis;
	const struct manifest_index *bix[LIVE_NINDEX] = { &m->content, &m->user };
	char when[64], age[32], size[32], a[128], b[128], rate[32], est[32], down[32];
	long long ago = (long long)(p->now - m->created_at);

	format_local_time(m->created_at, when, sizeof when);
	time_format_age(ago > 0 ? ago : 0, age, sizeof age);
	format_bytes(p->backup_bytes, size, sizeof size);
	emit(fn, ud, PLAN_HEADING, _("Backup %s: %s, taken %s (%s ago), %s copy, %s"), p->id,
	    backup_type_name(m->type), when, age, p->from_label, size);
	if (m->type == BACKUP_PRE_RESTORE)
		emit(fn, ud, PLAN_WARN, "%s", _("It is a pre-restore safety backup: the live state "
		    "saved before a restore."));
	/* TRANSLATORS: %s is an arrow, "→" or "->". */
	emit(fn, ud, PLAN_HEADING, _("What changes (live now %s after the restore):"), format_arrow());

	/* Redis */
	if (!lr->ok)
		snprintf(a, sizeof a, "%s", _("not answering"));
	else if (lr->loading)
		snprintf(a, sizeof a, "%s", _("loading"));
	else
		snprintf(a, sizeof a, "%llu", (unsigned long long)lr->dbsize);
	if (p->missing & CATALOG_PART_RDB)
		snprintf(b, sizeof b, "%s", _("0 (no snapshot in the backup)"));
	else
		snprintf(b, sizeof b, "%llu", (unsigned long long)m->redis.dbsize);
	emit_part(fn, ud, (p->missing & CATALOG_PART_RDB) ? PLAN_BAD :
	    lr->ok && lr->dbsize_ok && lr->dbsize > m->redis.dbsize ? PLAN_WARN : PLAN_NORMAL,
	    _("Redis keys (DBSIZE)"), a, b);
	for (size_t i = 0; i < m->redis.ncounts; i++) {
		long long live = -1;

		for (size_t k = 0; lr->counts_ok && k < lr->ncounts; k++)
			if (strcmp(lr->prefixes[k], m->redis.counts[i].prefix) == 0)
				live = (long long)lr->counts[k];
		if (live >= 0)
			snprintf(a, sizeof a, "%lld", live);
		else
			snprintf(a, sizeof a, "%s", "?");
		snprintf(b, sizeof b, "%llu", (unsigned long long)m->redis.counts[i].count);
		snprintf(when, sizeof when, "  %s", m->redis.counts[i].prefix);
		emit_part(fn, ud, live > (long long)m->redis.counts[i].count ? PLAN_WARN :
		    PLAN_NORMAL, when, a, b);
	}

	/* the indexes */
	for (int i = 0; i < LIVE_NINDEX; i++) {
		const struct live_index *li = &p->live.index[i];
		bool lacks = !bix[i]->file.present || bix[i]->unreadable;

		live_index_words(li, a, sizeof a);
		if (lacks) {
			snprintf(b, sizeof b, "%s", li->present ? _("none: the live file is MOVED ASIDE") :
			    _("none"));
		} else {
			char isz[32];

			plan_index_words(bix[i], b, sizeof b);
			format_bytes(bix[i]->file.size, isz, sizeof isz);
			snprintf(b + strlen(b), sizeof b - strlen(b), " (%s)", isz);
		}
		snprintf(when, sizeof when, _("%s index"), live_index_name((enum live_index_id)i));
		emit_part(fn, ud, lacks && li->present ? PLAN_BAD : !li->present || !li->readable ?
		    PLAN_WARN : PLAN_NORMAL, when, a, b);
	}

	/* what is lost */
	format_local_time(m->created_at, when, sizeof when);
	emit(fn, ud, PLAN_WARN, _("Writes made since %s (%s ago) are lost: Redis and both indexes "
	    "go back to that moment."), when, age);
	if (p->missing) {
		catalog_missing_text(p->missing, a, sizeof a);
		emit(fn, ud, PLAN_BAD, _("The backup is PARTIAL: it lacks %s; restoring it removes the "
		    "live one."), a);
	}

	/* the estimate */
	format_bytes((uint64_t)e->rate, rate, sizeof rate);
	format_seconds(e->seconds, est, sizeof est);
	format_seconds(e->redis_down, down, sizeof down);
	if (e->measured)
		emit(fn, ud, PLAN_HEADING, _("Estimated time to restore (RTO): about %s for %s, at the "
		    "%s/s the verification measured; Redis is unavailable for about %s of it."), est,
		    size, rate, down);
	else
		emit(fn, ud, PLAN_HEADING, _("Estimated time to restore (RTO): about %s for %s, "
		    "assuming %s/s; Redis is unavailable for about %s of it."), est, size, rate, down);

	/* the steps, numbered as the job numbers them */
	emit(fn, ud, PLAN_HEADING, "%s", _("Steps:"));
	for (int s = 0; s < RESTORE_NSTEPS; s++) {
		const struct plan_step *st = &p->steps[s];

		if (st->skipped)
			emit(fn, ud, PLAN_DIM, _("%2d. %s: skipped (%s)"), s + 1,
			    restore_step_text((enum restore_step)s), st->detail);
		else
			emit(fn, ud, PLAN_NORMAL, "%2d. %s: %s", s + 1,
			    restore_step_text((enum restore_step)s), st->detail);
	}
}

/* --- JSON --- */

static cJSON *
json_index(const struct manifest_index *ix)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddBoolToObject(o, "present", ix->file.present && !ix->unreadable);
	if (ix->file.present && !ix->unreadable) {
		cJSON_AddNumberToObject(o, "ntotal", (double)ix->ntotal);
		cJSON_AddNumberToObject(o, "dim", ix->dim);
		cJSON_AddNumberToObject(o, "size", (double)ix->file.size);
	}
	return o;
}

static cJSON *
json_live_index(const struct live_index *l)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "path", l->path);
	cJSON_AddBoolToObject(o, "present", l->present);
	cJSON_AddBoolToObject(o, "readable", l->readable);
	if (l->readable) {
		cJSON_AddNumberToObject(o, "ntotal", (double)l->ntotal);
		cJSON_AddNumberToObject(o, "dim", l->dim);
		cJSON_AddNumberToObject(o, "size", (double)l->size);
	}
	if (l->error[0])
		cJSON_AddStringToObject(o, "error", l->error);
	return o;
}

cJSON *
restore_plan_json(const struct restore_plan *p, const struct plan_estimate *e)
{
	const struct manifest *m = &p->m;
	const struct live_redis *lr = &p->live.redis;
	const struct manifest_index *bix[LIVE_NINDEX] = { &m->content, &m->user };
	static const char *const ixnames[LIVE_NINDEX] = { "content_index", "user_index" };
	cJSON *o = cJSON_CreateObject(), *b, *parts, *r, *live, *bk, *keys, *steps, *est, *miss;
	char at[ISO8601_SIZE];

	cJSON_AddStringToObject(o, "id", p->id);
	cJSON_AddStringToObject(o, "from", p->from);
	b = cJSON_AddObjectToObject(o, "backup");
	cJSON_AddStringToObject(b, "type", backup_type_name(m->type));
	time_format_iso(m->created_at, at);
	cJSON_AddStringToObject(b, "created_at", at);
	cJSON_AddNumberToObject(b, "age_seconds", (double)(p->now > m->created_at ?
	    p->now - m->created_at : 0));
	cJSON_AddNumberToObject(b, "size", (double)p->backup_bytes);
	cJSON_AddBoolToObject(b, "pre_restore", m->type == BACKUP_PRE_RESTORE);
	miss = cJSON_AddArrayToObject(b, "missing");
	for (unsigned i = 0; i < CATALOG_NPARTS; i++)
		if (p->missing & (1u << i))
			cJSON_AddItemToArray(miss, cJSON_CreateString(catalog_part_file(i)));

	parts = cJSON_AddObjectToObject(o, "parts");
	r = cJSON_AddObjectToObject(parts, "redis");
	live = cJSON_AddObjectToObject(r, "live");
	cJSON_AddBoolToObject(live, "reachable", lr->ok);
	if (!lr->ok)
		cJSON_AddStringToObject(live, "error", lr->error);
	cJSON_AddBoolToObject(live, "loading", lr->loading);
	if (lr->dbsize_ok)
		cJSON_AddNumberToObject(live, "dbsize", (double)lr->dbsize);
	else
		cJSON_AddNullToObject(live, "dbsize");
	keys = cJSON_AddObjectToObject(live, "keys");
	for (size_t k = 0; lr->counts_ok && k < lr->ncounts; k++)
		cJSON_AddNumberToObject(keys, lr->prefixes[k], (double)lr->counts[k]);
	bk = cJSON_AddObjectToObject(r, "backup");
	cJSON_AddBoolToObject(bk, "present", !(p->missing & CATALOG_PART_RDB));
	cJSON_AddNumberToObject(bk, "dbsize", (double)m->redis.dbsize);
	keys = cJSON_AddObjectToObject(bk, "keys");
	for (size_t k = 0; k < m->redis.ncounts; k++)
		cJSON_AddNumberToObject(keys, m->redis.counts[k].prefix,
		    (double)m->redis.counts[k].count);
	for (int i = 0; i < LIVE_NINDEX; i++) {
		cJSON *x = cJSON_AddObjectToObject(parts, ixnames[i]);
		bool lacks = !bix[i]->file.present || bix[i]->unreadable;

		cJSON_AddItemToObject(x, "live", json_live_index(&p->live.index[i]));
		cJSON_AddItemToObject(x, "backup", json_index(bix[i]));
		cJSON_AddStringToObject(x, "action", lacks ? (p->live.index[i].present ?
		    "move-aside" : "none") : "place");
	}
	time_format_iso(m->created_at, at);
	cJSON_AddStringToObject(o, "writes_lost_since", at);
	est = cJSON_AddObjectToObject(o, "estimate");
	cJSON_AddNumberToObject(est, "seconds", e->seconds);
	cJSON_AddNumberToObject(est, "redis_down_seconds", e->redis_down);
	cJSON_AddNumberToObject(est, "rate_bytes_per_second", e->rate);
	cJSON_AddBoolToObject(est, "measured", e->measured);
	steps = cJSON_AddArrayToObject(o, "steps");
	for (int s = 0; s < RESTORE_NSTEPS; s++) {
		cJSON *x = cJSON_CreateObject();

		cJSON_AddNumberToObject(x, "number", s + 1);
		cJSON_AddStringToObject(x, "step", restore_step_text((enum restore_step)s));
		cJSON_AddBoolToObject(x, "skipped", p->steps[s].skipped);
		cJSON_AddStringToObject(x, "detail", p->steps[s].detail);
		cJSON_AddItemToArray(steps, x);
	}
	return o;
}
