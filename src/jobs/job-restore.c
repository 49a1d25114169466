/*
 * restore: verify -> pre-flight -> safety backup -> indexes -> stop Redis ->
 * RDB (and AOF) -> start Redis -> check counts and sizes -> reload hook.
 * Every finished step is written to the journal, so a restore killed at
 * any point can be resumed (run the same restore again) or rolled back
 * (restore --rollback). A failure or a cancel while the live state is being
 * changed rolls back to the safety backup at once.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/format.h"
#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "engine/lock.h"
#include "faiss/faiss-header.h"
#include "jobs/backup.h"
#include "jobs/jobs.h"
#include "jobs/place.h"
#include "jobs/preflight.h"
#include "jobs/restore.h"
#include "jobs/tools.h"
#include "jobs/transfer.h"
#include "redis/rdb-reader.h"
#include "redis/redis-cluster.h"
#include "storage/storage.h"

static const char *const restore_step_texts[RESTORE_NSTEPS] = {
#define X(id, text) [id] = text,
	RESTORE_STEPS(X)
#undef X
};

const char *
restore_step_text(enum restore_step step)
{
	return _(restore_step_texts[step]);
}

struct restore_ctx {
	struct job *job;
	const struct config *cfg;
	struct journal j;
	struct storage *local;
	struct manifest m;
	enum restore_step step;       /* the step begun last */
	bool live_changed;            /* a live file or Redis may differ from before */
};

static void
step_begin(struct restore_ctx *rc, enum restore_step step)
{
	rc->step = step;
	job_set_step(rc->job, (int)step + 1, RESTORE_NSTEPS);
	job_progress(rc->job, restore_step_text(step), 0, 0, false);
}

static bool
step_done(const struct restore_ctx *rc, enum restore_step step)
{
	return (rc->j.done & (1u << step)) != 0;
}

static int
step_finish(struct restore_ctx *rc, enum restore_step step, struct vs_error *err)
{
	rc->j.done |= 1u << step;
	return journal_save(rc->cfg->backup_dir, &rc->j, err);
}

static int
load_manifest(struct restore_ctx *rc, const char *id, struct manifest *m, struct vs_error *err)
{
	char *json = NULL, *where;
	size_t len;
	int r;

	if (storage_read_small(rc->local, id, STORAGE_METADATA, MANIFEST_MAX_SIZE, &json, &len,
	    err) != 0)
		return -1;
	where = xasprintf("%s/%s/%s", storage_location(rc->local), id, STORAGE_METADATA);
	r = manifest_parse(json, where, m, err);
	free(where);
	free(json);
	return r;
}

static int
verify_quick(struct restore_ctx *rc, const char *id, struct vs_error *err)
{
	struct verify_report *rep = NULL;

	if (verify_before_restore(rc->job, rc->local, id, &rep, err) != 0)
		return -1;
	if (!rep->ok) {
		const char *first = "";

		for (size_t i = 0; i < rep->n; i++) {
			if (!rep->checks[i].ok) {
				first = rep->checks[i].detail;
				break;
			}
		}
		error_set(err, VS_ERR_VERIFY, _("backup %s failed verification (%s); nothing was "
		    "changed; run 'vsbackup verify %s' for every check"), id, first, id);
		verify_report_free(rep);
		return -1;
	}
	verify_report_free(rep);
	return 0;
}

static int
preflight(struct restore_ctx *rc, bool safety, struct vs_error *err)
{
	struct preflight_input in = {
		.m = &rc->m,
		.safety = safety,
		.redis_stopped = step_done(rc, RESTORE_STOP),
	};
	struct preflight pf;

	if (restore_preflight(rc->job, &in, &rc->j, &pf, err) != 0)
		return -1;
	for (int i = 0; i < pf.n; i++)
		if (pf.checks[i].ok)
			job_log(rc->job, VS_LOG_INFO, "%s: %s", pf.checks[i].what, pf.checks[i].detail);
	if (preflight_error(&pf, err) != 0)
		return -1;
	return journal_save(rc->cfg->backup_dir, &rc->j, err);
}

/*
 * The safety backup must hold every live file the restore is about to
 * replace, or "the state before is in the safety backup" would not be
 * true: a file it could not take (Redis down without its path configured,
 * an index it could not open, an AOF while Redis is down) makes the
 * restore stop here, before anything live has changed.
 */
static int
check_coverage(struct restore_ctx *rc, const struct manifest *sm, struct vs_error *err)
{
	const struct config *cfg = rc->cfg;
	/* A cluster's safety backup holds every master's snapshot, or fails. */
	size_t nt = redis_cluster_mode(cfg) ? 2 : 3;
	char *rdb = nt == 3 ? fs_join(rc->j.data_dir, rc->j.dbfilename) : NULL;
	const struct {
		const char *live;
		const struct manifest_file *f;
	} t[] = {
		{ cfg->faiss.content_index, &sm->content.file },
		{ cfg->faiss.user_index, &sm->user.file },
		{ rdb, &sm->redis.file },
	};
	int r = 0;

	for (size_t i = 0; i < nt && r == 0; i++) {
		if (t[i].f->present || !fs_exists(t[i].live))
			continue;
		r = error_set(err, VS_ERR_REFUSED, _("the safety backup %s does not hold %s (%s), "
		    "which the restore would replace; nothing live was changed: make the file "
		    "readable (or its path known) and run the restore again, or restore with "
		    "--no-safety-backup to replace it without a copy"), sm->backup_id, t[i].live,
		    t[i].f->note ? t[i].f->note : _("not taken"));
	}
	if (r == 0 && nt == 3 && rc->j.aof && sm->redis.source != NULL &&
	    strcmp(sm->redis.source, "offline") == 0) {
		char *aof = fs_join(rc->j.data_dir, rc->j.aof_dir && rc->j.aof_dir[0] ?
		    rc->j.aof_dir : rc->j.aof_file);

		if (fs_exists(aof))
			r = error_set(err, VS_ERR_REFUSED, _("Redis is down and keeps its data in the "
			    "AOF %s, which a safety backup cannot take while Redis is down; nothing "
			    "live was changed: start Redis and run the restore again (the safety "
			    "backup then snapshots it), or restore with --no-safety-backup: the AOF is "
			    "then moved aside to %s.vsbackup-before-%s and kept"), aof, aof, rc->j.id);
		free(aof);
	}
	free(rdb);
	return r;
}

/* Put backup m's files in place and restart Redis on them. */
static int
apply(struct restore_ctx *rc, const struct manifest *m, struct vs_error *err)
{
	const struct config *cfg = rc->cfg;
	const struct {
		const struct manifest_index *ix;
		const char *dest;
	} idx[] = {
		{ &m->content, cfg->faiss.content_index },
		{ &m->user, cfg->faiss.user_index },
	};
	struct place_staged staged[3];   /* the two indexes, the RDB */
	/* A cluster on either side: the servers keep running and take the
	 * keys by RESTORE. */
	bool routed = restore_routed(cfg, m);
	char suffix[64];
	int r = -1;

	memset(staged, 0, sizeof staged);
	snprintf(suffix, sizeof suffix, "before-%s", m->backup_id);
	/* Every file is first written beside its destination and checked (the
	 * reads of a repository check each chunk and the whole file): nothing
	 * live changes before all of them are whole. */
	if (!step_done(rc, RESTORE_INDEXES)) {
		step_begin(rc, RESTORE_INDEXES);
		for (size_t i = 0; i < 2; i++) {
			char phase[128];
			struct fs_owner own;

			if (!idx[i].ix->file.present)
				continue;
			snprintf(phase, sizeof phase, _("placing %s"), idx[i].ix->file.name);
			place_owner(idx[i].dest, &idx[i].ix->file.owner, &own);
			if (place_stage(rc->job, rc->local, m->backup_id, idx[i].ix->file.name,
			    idx[i].ix->file.size, idx[i].dest, &own, phase, &staged[i], err) != 0)
				goto out;
		}
	}
	if (!step_done(rc, RESTORE_RDB) && m->redis.file.present && !routed &&
	    restore_redis_stage(rc->job, rc->local, m, &rc->j, &staged[2], err) != 0)
		goto out;
	if (!step_done(rc, RESTORE_INDEXES)) {
		for (size_t i = 0; i < 2; i++) {
			char *aside = NULL;

			rc->live_changed = true;
			if (idx[i].ix->file.present) {
				if (place_commit(&staged[i], err) != 0)
					goto out;
				continue;
			}
			job_log(rc->job, VS_LOG_WARN, _("the backup has no %s (%s); the live file "
			    "is moved aside"), idx[i].ix->file.name[0] ? idx[i].ix->file.name :
			    idx[i].dest, idx[i].ix->file.note ? idx[i].ix->file.note : "");
			if (place_move_aside(idx[i].dest, suffix, &aside, err) != 0)
				goto out;
			if (aside != NULL) {
				job_log(rc->job, VS_LOG_INFO, _("%s was moved aside to %s"),
				    idx[i].dest, aside);
				journal_add_aside(&rc->j, aside);
			}
			free(aside);
		}
		if (step_finish(rc, RESTORE_INDEXES, err) != 0)
			goto out;
	}
	rc->live_changed = true;
	if (routed) {
		if (!step_done(rc, RESTORE_RDB)) {
			int same;

			step_begin(rc, RESTORE_RDB);
			/* The same cluster: each master its own file back. */
			if ((same = restore_nodes_same(cfg, m, err)) < 0)
				goto out;
			if (same ? restore_nodes_place(rc->job, rc->local, m, &rc->j, err) != 0 :
			    restore_route_load(rc->job, rc->local, m, err) != 0)
				goto out;
			/* Nothing was stopped, so nothing is to start. */
			rc->j.done |= (1u << RESTORE_STOP) | (1u << RESTORE_START);
			if (step_finish(rc, RESTORE_RDB, err) != 0)
				goto out;
		}
		r = 0;
		goto out;
	}
	if (!step_done(rc, RESTORE_STOP)) {
		step_begin(rc, RESTORE_STOP);
		if (restore_redis_stop(rc->job, err) != 0 || step_finish(rc, RESTORE_STOP, err) != 0)
			goto out;
	}
	if (!step_done(rc, RESTORE_RDB)) {
		step_begin(rc, RESTORE_RDB);
		if (restore_redis_place(rc->job, rc->local, m, &rc->j, &staged[2], err) != 0 ||
		    step_finish(rc, RESTORE_RDB, err) != 0)
			goto out;
	}
	if (!step_done(rc, RESTORE_START)) {
		step_begin(rc, RESTORE_START);
		if (restore_redis_start(rc->job, &rc->j, err) != 0 ||
		    step_finish(rc, RESTORE_START, err) != 0)
			goto out;
	}
	r = 0;
out:
	for (size_t i = 0; i < 3; i++)
		place_unstage(&staged[i]);
	return r;
}

/*
 * What the backup's snapshot holds, with and without TTL, per prefix and
 * in its database: from metadata.json, or, for a backup made before those
 * were recorded, from its RDB file read again.
 */
struct expected_counts {
	uint64_t *keys, *expires;
	uint64_t dbsize, db_expires;
};

static int
expected_counts(struct restore_ctx *rc, const struct manifest *m, struct expected_counts *x,
    struct vs_error *err)
{
	const struct config *cfg = rc->cfg;
	struct storage_reader *sr = NULL;
	struct rdb_reader *rdb;
	struct rdb_summary sum;
	char *buf;
	ssize_t n;
	int r = -1;

	for (size_t i = 0; i < cfg->redis.nprefixes; i++) {
		const struct manifest_count *mc = manifest_count_entry(m, cfg->redis.prefixes[i]);

		x->keys[i] = mc != NULL ? mc->count : UINT64_MAX;
		x->expires[i] = mc != NULL ? mc->expires : 0;
	}
	x->dbsize = m->redis.dbsize;
	x->db_expires = m->redis.db_expires;
	if (m->redis.expires_known || !m->redis.file.present)
		return 0;
	job_progress(rc->job, _("counting the keys with a TTL in the backup's snapshot"), 0,
	    m->redis.file.size, true);
	if (storage_open_read(rc->local, m->backup_id, MANIFEST_RDB_FILE, &sr, err) != 0)
		return -1;
	memset(&sum, 0, sizeof sum);
	rdb = rdb_reader_new((const char *const *)cfg->redis.prefixes, cfg->redis.nprefixes,
	    m->redis.db);
	buf = xmalloc(1 << 20);
	while ((n = storage_read(sr, buf, 1 << 20, err)) > 0) {
		if (rdb_reader_feed(rdb, buf, (size_t)n, err) != 0)
			goto out;
		if (job_cancelled(rc->job)) {
			job_cancel_error(err);
			goto out;
		}
	}
	if (n < 0 || rdb_reader_finish(rdb, &sum, err) != 0)
		goto out;
	for (size_t i = 0; i < cfg->redis.nprefixes; i++) {
		x->keys[i] = sum.prefix_keys[i];
		x->expires[i] = sum.prefix_expires[i];
	}
	x->dbsize = sum.db_keys;
	x->db_expires = sum.db_expires;
	r = 0;
out:
	free(buf);
	rdb_summary_clear(&sum);
	rdb_reader_free(rdb);
	storage_reader_close(sr);
	return r;
}

/* Which prefix, if any, differs from the backup? Keys without a TTL must
 * all be there, and no others; keys with one may have expired since. */
static size_t
count_mismatch(const struct config *cfg, const struct expected_counts *x,
    const struct restore_counts *live)
{
	for (size_t i = 0; i < cfg->redis.nprefixes; i++) {
		uint64_t persist;

		if (x->keys[i] == UINT64_MAX)
			continue;
		persist = x->keys[i] - x->expires[i];
		if (live->keys[i] - live->volatile_keys[i] != persist ||
		    live->volatile_keys[i] > x->expires[i])
			return i;
	}
	return cfg->redis.nprefixes;
}

/* After the restart: what is live must be what the backup recorded. */
static int
check_live(struct restore_ctx *rc, const struct manifest *m, struct vs_error *err)
{
	const struct config *cfg = rc->cfg;
	size_t np = cfg->redis.nprefixes;
	struct expected_counts x = {
		.keys = xcalloc(np + 1, sizeof (uint64_t)),
		.expires = xcalloc(np + 1, sizeof (uint64_t)),
	};
	struct restore_counts live = {
		.keys = xcalloc(np + 1, sizeof (uint64_t)),
		.volatile_keys = xcalloc(np + 1, sizeof (uint64_t)),
	};
	bool *with_ttl = xcalloc(np + 1, sizeof *with_ttl);
	const struct manifest_index *ixs[] = { &m->content, &m->user };
	const char *paths[] = { cfg->faiss.content_index, cfg->faiss.user_index };
	int rc_ = -1;

	step_begin(rc, RESTORE_CHECK);
	if (expected_counts(rc, m, &x, err) != 0)
		goto out;
	for (size_t i = 0; i < np; i++)
		with_ttl[i] = x.expires[i] > 0;
	/* SCAN may return a key twice when Redis resizes its table between
	 * calls: a count that differs is taken once more before it fails. */
	for (int attempt = 1;; attempt++) {
		size_t bad;

		if (restore_route_count(rc->job, with_ttl, &live, err) != 0)
			goto out;
		bad = count_mismatch(cfg, &x, &live);
		if (bad == np)
			break;
		if (attempt == 2) {
			if (x.expires[bad] > 0)
				error_set(err, VS_ERR_VERIFY, _("after the restore Redis holds %llu keys "
				    "under %s, %llu of them with a TTL; the backup recorded %llu, %llu of "
				    "them with a TTL (those may expire, the others must all be there)"),
				    (unsigned long long)live.keys[bad], cfg->redis.prefixes[bad],
				    (unsigned long long)live.volatile_keys[bad],
				    (unsigned long long)x.keys[bad], (unsigned long long)x.expires[bad]);
			else
				error_set(err, VS_ERR_VERIFY, _("after the restore Redis holds %llu keys "
				    "under %s, the backup recorded %lld"),
				    (unsigned long long)live.keys[bad], cfg->redis.prefixes[bad],
				    (long long)x.keys[bad]);
			goto out;
		}
		job_log(rc->job, VS_LOG_INFO, _("%llu keys counted under %s, %lld recorded; "
		    "counting again"), (unsigned long long)live.keys[bad], cfg->redis.prefixes[bad],
		    (long long)x.keys[bad]);
	}
	for (size_t i = 0; i < np; i++) {
		if (x.expires[i] > 0 && live.volatile_keys[i] < x.expires[i])
			job_log(rc->job, VS_LOG_INFO, _("%llu keys under %s, as recorded but for %llu "
			    "with a TTL that expired since the backup"), (unsigned long long)live.keys[i],
			    cfg->redis.prefixes[i],
			    (unsigned long long)(x.expires[i] - live.volatile_keys[i]));
		else
			job_log(rc->job, VS_LOG_INFO, _("%llu keys under %s, as recorded"),
			    (unsigned long long)live.keys[i], cfg->redis.prefixes[i]);
	}
	if (manifest_has_rdb(m) && (live.dbsize - live.db_expires != x.dbsize - x.db_expires ||
	    live.db_expires > x.db_expires)) {
		error_set(err, VS_ERR_VERIFY, _("after the restore Redis holds %llu keys (%llu with "
		    "a TTL), the backup recorded %llu (%llu with a TTL)"),
		    (unsigned long long)live.dbsize, (unsigned long long)live.db_expires,
		    (unsigned long long)x.dbsize, (unsigned long long)x.db_expires);
		goto out;
	}
	for (size_t i = 0; i < 2; i++) {
		struct faiss_header h;

		if (!ixs[i]->file.present || ixs[i]->unreadable)
			continue;
		if (faiss_header_read_path(paths[i], &h, err) != 0)
			goto out;
		if (h.ntotal != ixs[i]->ntotal || h.dim != ixs[i]->dim) {
			error_set(err, VS_ERR_VERIFY, _("%s holds %lld vectors of dimension %d, the "
			    "backup recorded %lld of %d"), paths[i], (long long)h.ntotal, h.dim,
			    (long long)ixs[i]->ntotal, ixs[i]->dim);
			goto out;
		}
		job_log(rc->job, VS_LOG_INFO, _("%s: %lld vectors of dimension %d, as recorded"),
		    paths[i], (long long)h.ntotal, h.dim);
	}
	rc_ = step_finish(rc, RESTORE_CHECK, err);
out:
	free(with_ttl);
	free(x.keys);
	free(x.expires);
	free(live.keys);
	free(live.volatile_keys);
	return rc_;
}

static int
reload_hook(struct restore_ctx *rc, struct vs_error *err)
{
	char out[512];
	int st;

	if (rc->cfg->restore_reload_command[0] == '\0')
		return step_finish(rc, RESTORE_RELOAD, err);
	step_begin(rc, RESTORE_RELOAD);
	st = tools_run_shell(out, sizeof out, rc->cfg->restore_reload_command, 300);
	if (st != 0)
		return error_set(err, VS_ERR_FAILED, _("the data is restored, but "
		    "restore_reload_command failed (status %d): %s; reload the service by hand, "
		    "or run 'vsbackup restore %s' again to retry the command"),
		    st, out[0] ? out : _("no output"), rc->j.id);
	return step_finish(rc, RESTORE_RELOAD, err);
}

/* Files only: the verified backup copied into a directory. */
static int
restore_to_dir(struct restore_ctx *rc, const char *dir, struct vs_error *err)
{
	if (restore_materialise(rc->job, rc->local, &rc->m, dir, err) != 0)
		return -1;
	job_log(rc->job, VS_LOG_INFO, _("backup %s written to %s; nothing live was touched"),
	    rc->m.backup_id, dir);
	return 0;
}

/*
 * The restore (or rollback) ended well: the live files it moved aside are
 * removed when a safety backup holds them, else kept and named. Only names
 * beside the files this restore writes are touched, whatever the journal
 * says.
 */
static void
finish_asides(struct restore_ctx *rc, bool covered)
{
	const struct config *cfg = rc->cfg;
	char *rdb = fs_join(rc->j.data_dir ? rc->j.data_dir : "", rc->j.dbfilename ?
	    rc->j.dbfilename : "");
	char *aofd = fs_join(rc->j.data_dir ? rc->j.data_dir : "", rc->j.aof_dir &&
	    rc->j.aof_dir[0] ? rc->j.aof_dir : "appendonlydir");
	char *aoff = fs_join(rc->j.data_dir ? rc->j.data_dir : "", rc->j.aof_file &&
	    rc->j.aof_file[0] ? rc->j.aof_file : "appendonly.aof");
	const char *dests[] = { cfg->faiss.content_index, cfg->faiss.user_index, rdb, aofd, aoff };

	for (size_t i = 0; i < rc->j.nasides; i++) {
		const char *a = rc->j.asides[i];
		bool ours = false;
		struct vs_error e;

		for (size_t k = 0; k < sizeof dests / sizeof dests[0] && !ours; k++) {
			size_t n = strlen(dests[k]);

			ours = strncmp(a, dests[k], n) == 0 &&
			    strncmp(a + n, ".vsbackup-before-", 17) == 0 && strchr(a + n, '/') == NULL;
		}
		if (!ours || !fs_exists(a))
			continue;
		error_clear(&e);
		if (!covered)
			job_log(rc->job, VS_LOG_WARN, _("%s is kept: it holds what was live before the "
			    "restore, and no safety backup does; remove it once it is not needed"), a);
		else if (fs_remove_tree(a, &e) == 0)
			job_log(rc->job, VS_LOG_INFO, _("removed %s, moved aside by the restore: the "
			    "safety backup %s holds it"), a, rc->j.safety_id[0] ? rc->j.safety_id :
			    rc->j.id);
		else
			job_log(rc->job, VS_LOG_WARN, "%s", e.msg);
	}
	free(rdb);
	free(aofd);
	free(aoff);
}

/* Roll the live state back to the safety backup after a failure. */
static int
rollback_now(struct restore_ctx *rc, struct vs_error *err)
{
	struct manifest sm;
	bool redis_touched = step_done(rc, RESTORE_STOP) || rc->step >= RESTORE_RDB ||
	    !restore_redis_answers(rc->cfg);
	int r;

	memset(&sm, 0, sizeof sm);
	job_log(rc->job, VS_LOG_WARN, _("rolling back to the safety backup %s"), rc->j.safety_id);
	if (load_manifest(rc, rc->j.safety_id, &sm, err) != 0)
		return -1;
	rc->j.done = 0;
	rc->j.rollback = true;
	snprintf(rc->j.id, sizeof rc->j.id, "%s", rc->j.safety_id);
	rc->j.safety_id[0] = '\0';
	if (journal_save(rc->cfg->backup_dir, &rc->j, err) != 0)
		return -1;
	rc->j.done = (1u << RESTORE_FETCH) | (1u << RESTORE_VERIFY) | (1u << RESTORE_SAFETY);
	/* Redis not stopped yet: its data is still that of before, and the
	 * rollback must not need the stop (or start) that may just have
	 * failed. Only the index files go back. */
	if (!redis_touched)
		rc->j.done |= (1u << RESTORE_STOP) | (1u << RESTORE_RDB) | (1u << RESTORE_START);
	r = apply(rc, &sm, err);
	manifest_clear(&sm);
	if (r == 0) {
		finish_asides(rc, true);
		r = journal_remove(rc->cfg->backup_dir, err);
	}
	return r;
}

_Static_assert((1u << RESTORE_NSTEPS) - 1 <= JOURNAL_DONE_MAX,
    "a journal's done bits hold every restore step");

/*
 * A journal is read back from backup_dir, which others may be able to
 * write: what it says is checked against the backups it names, and it
 * never spares a step that protects the live data. The backup is verified
 * again whatever its done bits say; a safety backup must be a complete
 * pre-restore backup.
 */
static int
check_resumed(struct restore_ctx *rc, struct vs_error *err)
{
	char *path = fs_join(rc->cfg->backup_dir, JOURNAL_FILE);
	struct manifest sm;
	int r = 0;

	rc->j.done &= ~(1u << RESTORE_VERIFY);
	if (rc->j.safety_id[0] != '\0') {
		struct vs_error lerr;

		error_clear(&lerr);
		memset(&sm, 0, sizeof sm);
		if (load_manifest(rc, rc->j.safety_id, &sm, &lerr) != 0 ||
		    sm.type != BACKUP_PRE_RESTORE)
			r = error_set(err, VS_ERR_REFUSED, _("%s names %s as its safety backup, which is "
			    "not a complete pre-restore backup (%s), so the journal is not trusted; look "
			    "at it, then remove it to start over"), path, rc->j.safety_id,
			    lerr.code != VS_OK ? lerr.msg : backup_type_name(sm.type));
		manifest_clear(&sm);
	}
	free(path);
	return r;
}

static int
job_restore_run(struct job *job, void *argp, void **result, struct vs_error *err)
{
	struct job_restore_args *args = argp;
	struct restore_ctx rc = { .job = job, .cfg = job_config(job) };
	struct job_restore_result *res = xcalloc(1, sizeof *res);
	struct bdlock *lock = NULL;
	struct journal old;
	time_t start = time_now();
	int have, r = -1;
	bool live_touched = false;

	memset(&old, 0, sizeof old);
	if (jobs_lock(job, "restore", &lock, err) != 0)
		goto out;
	if (storage_open_local(rc.cfg, &rc.local, err) != 0)
		goto out;
	have = args->target_dir ? 0 : journal_load(rc.cfg->backup_dir, &old, err);
	if (have < 0)
		goto out;
	if (args->rollback) {
		if (have == 0) {
			error_set(err, VS_ERR_NOTFOUND, _("there is no interrupted restore to roll back "
			    "(no %s in %s)"), JOURNAL_FILE, rc.cfg->backup_dir);
			goto out;
		}
		if (old.rollback) {
			/* A rollback was itself interrupted: go on with it. */
			rc.j = old;
			memset(&old, 0, sizeof old);
			res->resumed = true;
		} else if (old.safety_id[0] == '\0') {
			error_set(err, VS_ERR_REFUSED, _("the interrupted restore of %s took no safety "
			    "backup (--no-safety-backup), so there is nothing to roll back to; restore "
			    "another backup, or run 'vsbackup restore %s' to finish it"), old.id, old.id);
			goto out;
		} else {
			rc.j = old;
			memset(&old, 0, sizeof old);
			snprintf(rc.j.id, sizeof rc.j.id, "%s", rc.j.safety_id);
			rc.j.safety_id[0] = '\0';
			rc.j.rollback = true;
			rc.j.done = 0;
		}
		rc.j.done |= (1u << RESTORE_FETCH) | (1u << RESTORE_VERIFY) | (1u << RESTORE_SAFETY);
		snprintf(args->id, sizeof args->id, "%s", rc.j.id);
		job_log(job, VS_LOG_WARN, _("rolling back: restoring the safety backup %s"), rc.j.id);
	} else if (have == 1) {
		if (strcmp(old.id, args->id) != 0 || old.rollback) {
			char started[ISO8601_SIZE];

			time_format_iso(old.started, started);
			if (old.rollback)
				error_set(err, VS_ERR_REFUSED, _("an interrupted rollback to %s (started %s) "
				    "must be finished first: run 'vsbackup restore --rollback'"), old.id,
				    started);
			else if (old.safety_id[0] != '\0')
				error_set(err, VS_ERR_REFUSED, _("an interrupted restore of %s (started %s) "
				    "must be finished first: 'vsbackup restore %s' resumes it, 'vsbackup "
				    "restore --rollback' returns to the safety backup %s"), old.id, started,
				    old.id, old.safety_id);
			else
				error_set(err, VS_ERR_REFUSED, _("an interrupted restore of %s (started %s) "
				    "must be finished first: 'vsbackup restore %s' resumes it"), old.id,
				    started, old.id);
			goto out;
		}
		rc.j = old;
		memset(&old, 0, sizeof old);
		res->resumed = true;
		job_log(job, VS_LOG_WARN, _("resuming the interrupted restore of %s"), rc.j.id);
	} else {
		snprintf(rc.j.id, sizeof rc.j.id, "%s", args->id);
		snprintf(rc.j.from, sizeof rc.j.from, "%s", args->from);
		rc.j.started = start;
	}
	if (have == 1 && check_resumed(&rc, err) != 0)
		goto out;
	job_set_backup(job, rc.j.id);
	snprintf(res->id, sizeof res->id, "%s", rc.j.id);

	if (!step_done(&rc, RESTORE_FETCH)) {
		step_begin(&rc, RESTORE_FETCH);
		/* A copy elsewhere is fetched into backup_dir first. */
		if (config_location_index(job_config(job), args->from) != 0 &&
		    transfer_copy(job, args->from, "local", rc.j.id, err) != 0)
			goto out;
		rc.j.done |= 1u << RESTORE_FETCH;
	}
	if (!step_done(&rc, RESTORE_VERIFY)) {
		step_begin(&rc, RESTORE_VERIFY);
		if (verify_quick(&rc, rc.j.id, err) != 0)
			goto out;
		rc.j.done |= 1u << RESTORE_VERIFY;
	}
	if (load_manifest(&rc, rc.j.id, &rc.m, err) != 0)
		goto out;
	if (args->target_dir != NULL) {
		if (restore_to_dir(&rc, args->target_dir, err) != 0)
			goto out;
		res->target_dir = xstrdup(args->target_dir);
		goto done;
	}

	/* A master an interrupted restore of the same cluster had stopped is
	 * started again, so that the cluster is whole to check and restore. */
	if ((res->resumed || args->rollback) && restore_nodes_revive(job, &rc.m, err) != 0)
		goto out;
	step_begin(&rc, RESTORE_PREFLIGHT);
	if (preflight(&rc, args->safety_backup && !step_done(&rc, RESTORE_SAFETY), err) != 0)
		goto out;
	if (!step_done(&rc, RESTORE_SAFETY)) {
		step_begin(&rc, RESTORE_SAFETY);
		if (args->safety_backup) {
			struct backup_opts o = { .type = BACKUP_PRE_RESTORE, .tolerant = true };
			struct manifest sm;

			if (backup_make(job, &o, &sm, err) != 0) {
				error_prefix(err, _("the safety backup failed, nothing live was changed"));
				goto out;
			}
			if (check_coverage(&rc, &sm, err) != 0) {
				/* Incomplete, it must not pass for the state before. */
				struct vs_error rerr;

				error_clear(&rerr);
				if (storage_remove(rc.local, sm.backup_id, &rerr) != 0)
					job_log(job, VS_LOG_WARN, "%s", rerr.msg);
				manifest_clear(&sm);
				goto out;
			}
			snprintf(rc.j.safety_id, sizeof rc.j.safety_id, "%s", sm.backup_id);
			manifest_clear(&sm);
			job_set_backup(job, rc.j.id);
		} else {
			job_log(job, VS_LOG_WARN, _("no safety backup (--no-safety-backup): the live "
			    "state cannot be rolled back"));
		}
		if (step_finish(&rc, RESTORE_SAFETY, err) != 0)
			goto out;
	}
	snprintf(res->safety_id, sizeof res->safety_id, "%s", rc.j.safety_id);
	/* A resumed restore, or the one a rollback undoes, may have changed
	 * the live state before. */
	rc.live_changed = res->resumed || args->rollback;
	if (apply(&rc, &rc.m, err) != 0) {
		live_touched = rc.live_changed;
		goto fail_live;
	}
	if (!step_done(&rc, RESTORE_CHECK) && check_live(&rc, &rc.m, err) != 0) {
		char *why;

		if (err->code != VS_ERR_VERIFY) {
			/* Redis did not answer the count: running the restore
			 * again takes it again. */
			error_prefix(err, _("restore of %s finished, but its check could not be made; "
			    "run 'vsbackup restore %s' again to make it"), rc.j.id, rc.j.id);
			goto out;
		}
		/* Every file is in place and Redis serves them: running the
		 * check again would find the same, so the restore ends here,
		 * leaving no journal to block what the operator does next. */
		why = xstrdup(err->msg);
		if (rc.j.safety_id[0] != '\0')
			error_set(err, VS_ERR_VERIFY, _("restore of %s finished, but its check failed: "
			    "%s; the backup's files are in place and Redis serves them; the state "
			    "before is in the safety backup %s: 'vsbackup restore %s' returns to it"),
			    rc.j.id, why, rc.j.safety_id, rc.j.safety_id);
		else
			error_set(err, VS_ERR_VERIFY, _("restore of %s finished, but its check failed: "
			    "%s; the backup's files are in place and Redis serves them"), rc.j.id, why);
		free(why);
		journal_remove(rc.cfg->backup_dir, NULL);
		goto out;
	}
	/* The journal stays when only the hook failed: running the same
	 * restore again retries the hook (the error says so). */
	if (!step_done(&rc, RESTORE_RELOAD) && reload_hook(&rc, err) != 0)
		goto out;
	/* A rollback restores the safety backup itself, which holds them. */
	finish_asides(&rc, rc.j.safety_id[0] != '\0' || rc.j.rollback);
	if (journal_remove(rc.cfg->backup_dir, err) != 0)
		goto out;
	res->rolled_back = rc.j.rollback;
	job_log(job, VS_LOG_INFO, rc.j.rollback ? _("rolled back to %s") : _("restored %s"), rc.j.id);
done:
	res->seconds = difftime(time_now(), start);
	*result = res;
	res = NULL;
	r = 0;
	goto out;
fail_live:
	/* A failure, or a cancel, once the live state is being changed: back
	 * to the safety backup, which no cancel may interrupt. Before that
	 * there is nothing to undo. */
	if (!live_touched) {
		error_prefix(err, _("restore of %s stopped before the live data was changed"),
		    rc.j.id);
	} else if (rc.j.safety_id[0] != '\0' && !rc.j.rollback) {
		struct vs_error rerr;
		bool cancelled = err->code == VS_ERR_CANCELLED;
		char *first = xstrdup(err->msg);
		char stopped[BACKUP_ID_SIZE], sid[BACKUP_ID_SIZE];

		/* Copies: rollback_now() makes the journal's id the safety id. */
		snprintf(stopped, sizeof stopped, "%s", rc.j.id);
		snprintf(sid, sizeof sid, "%s", rc.j.safety_id);
		job_shield(job);
		error_clear(&rerr);
		if (rollback_now(&rc, &rerr) == 0 && cancelled)
			error_set(err, VS_ERR_CANCELLED, _("restore of %s cancelled; the live state was "
			    "rolled back to the safety backup %s"), stopped, sid);
		else if (rerr.code == VS_OK)
			error_set(err, VS_ERR_FAILED, _("restore of %s failed: %s; the live state was "
			    "rolled back to the safety backup %s"), stopped, first, sid);
		else if (cancelled)
			error_set(err, VS_ERR_FAILED, _("restore of %s cancelled; rolling back to the "
			    "safety backup %s failed: %s; fix the cause, then run 'vsbackup restore "
			    "--rollback' to finish the rollback"), stopped, sid, rerr.msg);
		else
			error_set(err, VS_ERR_FAILED, _("restore of %s failed: %s; rolling back to the "
			    "safety backup %s failed too: %s; fix the cause, then run 'vsbackup restore "
			    "--rollback' to finish the rollback"), stopped, first, sid, rerr.msg);
		free(first);
	} else {
		error_prefix(err, _("restore of %s stopped at step \"%s\"; run 'vsbackup restore %s' to "
		    "resume%s"), rc.j.id, restore_step_text(rc.step), rc.j.id, rc.j.safety_id[0] ?
		    _(", or 'vsbackup restore --rollback' to return to the safety backup") : "");
	}
out:
	/* A restore that failed before touching anything live leaves no journal. */
	if (r != 0 && !args->target_dir && !args->rollback && rc.j.id[0] != '\0' &&
	    (rc.j.done & ~((1u << RESTORE_FETCH) | (1u << RESTORE_VERIFY) |
	    (1u << RESTORE_PREFLIGHT) | (1u << RESTORE_SAFETY))) == 0 && !live_touched)
		journal_remove(rc.cfg->backup_dir, NULL);
	bdlock_release(lock);
	journal_clear(&old);
	journal_clear(&rc.j);
	manifest_clear(&rc.m);
	storage_close(rc.local);
	if (res != NULL) {
		free(res->target_dir);
		free(res);
	}
	return r;
}

void
job_restore_args_free(void *p)
{
	struct job_restore_args *args = p;

	free(args->target_dir);
	free(args);
}

static void
job_restore_free_result(void *p)
{
	struct job_restore_result *res = p;

	free(res->target_dir);
	free(res);
}

static int
job_restore_run_at_target(struct job *job, void *argp, void **result, struct vs_error *err)
{
	struct job_restore_args *args = argp;

	return restore_run_at_target(job, argp, result, args->target_dir != NULL,
	    job_restore_run, err);
}

static void
job_restore_describe(const void *r, char *buf, size_t bufsz)
{
	const struct job_restore_result *res = r;
	char dur[32];

	format_seconds(res->seconds, dur, sizeof dur);
	if (res->target_dir != NULL)
		snprintf(buf, bufsz, _("backup %s written to %s (nothing live was touched)"), res->id,
		    res->target_dir);
	else if (res->rolled_back)
		snprintf(buf, bufsz, _("rolled back to the safety backup %s in %s"), res->id, dur);
	else if (res->safety_id[0])
		snprintf(buf, bufsz, _("restored %s in %s; the state before it is in backup %s%s"),
		    res->id, dur, res->safety_id, res->resumed ? _(" (resumed)") : "");
	else
		snprintf(buf, bufsz, _("restored %s in %s%s"), res->id, dur,
		    res->resumed ? _(" (resumed)") : "");
}

static cJSON *
job_restore_json(const void *r)
{
	const struct job_restore_result *res = r;
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "id", res->id);
	if (res->safety_id[0])
		cJSON_AddStringToObject(o, "safety_backup", res->safety_id);
	else
		cJSON_AddNullToObject(o, "safety_backup");
	cJSON_AddBoolToObject(o, "resumed", res->resumed);
	cJSON_AddBoolToObject(o, "rolled_back", res->rolled_back);
	if (res->target_dir)
		cJSON_AddStringToObject(o, "target_dir", res->target_dir);
	cJSON_AddNumberToObject(o, "seconds", res->seconds);
	return o;
}

const struct job_type job_restore_type = {
	.name = "restore",
	.flags = JOB_EXCLUSIVE | JOB_ROLLS_BACK,
	.run = job_restore_run_at_target,
	.free_args = job_restore_args_free,
	.free_result = job_restore_free_result,
	.describe = job_restore_describe,
	.to_json = job_restore_json,
};
