#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "faiss/faiss-header.h"
#include "filter/filter.h"
#include "jobs/backup.h"
#include "jobs/backup-target.h"
#include "jobs/capture.h"
#include "jobs/meter.h"
#include "redis/rdb-reader.h"
#include "storage/storage.h"

static int
put_file(struct job *job, struct backup_target *t, const char *name,
    const struct capture_file *cf, struct rdb_reader *rdb, struct job_meter *meter,
    struct manifest_file *mf, struct vs_error *err)
{
	memset(mf, 0, sizeof *mf);
	snprintf(mf->name, sizeof mf->name, "%s", name);
	if (cf->fd < 0) {
		mf->present = false;
		mf->note = xstrdup(cf->note ? cf->note : _("missing"));
		job_log(job, VS_LOG_WARN, _("%s is not in this backup: %s"), name, mf->note);
		return 0;
	}
	job_meter_phase(meter, _("copying %s"), name);
	/* The RDB is parsed from the same stream that is stored, for its
	 * exact key counts (and, in the repository, its record boundaries). */
	return backup_target_put(t, name, cf->fd, cf->size, rdb, &meter->progress, mf, err);
}

static int
index_info(struct job *job, const struct capture_file *cf, const char *path, bool tolerant,
    struct manifest_index *ix, struct vs_error *err)
{
	struct faiss_header h;
	struct vs_error herr;

	if (cf->fd < 0)
		return 0;
	error_clear(&herr);
	if (faiss_header_read(cf->fd, path, &h, &herr) != 0) {
		if (!tolerant) {
			*err = herr;
			return -1;
		}
		/* A safety backup keeps the live file as it is, readable or not. */
		job_log(job, VS_LOG_WARN, _("%s; it is copied as it is"), herr.msg);
		ix->unreadable = true;
		ix->file.note = xstrdup(herr.msg);
		return 0;
	}
	ix->ntotal = h.ntotal;
	ix->dim = h.dim;
	snprintf(ix->kind, sizeof ix->kind, "%s", h.fourcc);
	return 0;
}

/* Owner and mode of a server's RDB file and its directory. */
static void
record_rdb_owner(const char *rdb_path, struct manifest_owner *file,
    struct manifest_owner *dir_owner)
{
	struct stat sb;
	char *dir;

	if (rdb_path == NULL || rdb_path[0] != '/')
		return;
	if (lstat(rdb_path, &sb) == 0 && S_ISREG(sb.st_mode))
		manifest_owner_from_stat(&sb, file);
	dir = fs_dirname(rdb_path);
	if (lstat(dir, &sb) == 0 && S_ISDIR(sb.st_mode))
		manifest_owner_from_stat(&sb, dir_owner);
	free(dir);
}

/* Owner and mode of the live files, so that a restore recreates a missing
 * one (or Redis's data directory) as it was. */
static void
record_owners(const struct capture *cap, struct manifest *m)
{
	const struct {
		const struct capture_file *cf;
		struct manifest_file *mf;
	} ix[] = {
		{ &cap->index[CAPTURE_CONTENT], &m->content.file },
		{ &cap->index[CAPTURE_USER], &m->user.file },
	};
	struct stat sb;

	for (size_t i = 0; i < sizeof ix / sizeof ix[0]; i++)
		if (ix[i].cf->fd >= 0 && fstat(ix[i].cf->fd, &sb) == 0 && S_ISREG(sb.st_mode))
			manifest_owner_from_stat(&sb, &ix[i].mf->owner);
	if (!manifest_is_cluster(m)) {
		record_rdb_owner(cap->parts[0].rdb_path, &m->redis.file.owner,
		    &m->redis.dir_owner);
		return;
	}
	for (size_t i = 0; i < m->redis.nshards; i++)
		record_rdb_owner(cap->parts[i].rdb_path, &m->redis.shards[i].file.owner,
		    &m->redis.shards[i].dir_owner);
}

/* The directory and file name of a server's RDB path. */
static void
split_rdb_path(const char *path, char **dir, char **name)
{
	const char *slash = path != NULL ? strrchr(path, '/') : NULL;

	if (path == NULL) {
		*dir = xstrdup("");
		*name = xstrdup("");
		return;
	}
	*dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup("");
	*name = xstrdup(slash ? slash + 1 : path);
}

/* A cluster backup: each master's shard as the topology names it. */
static void
shards_init(const struct capture *cap, struct manifest *m)
{
	m->redis.nshards = cap->nparts;
	m->redis.shards = xcalloc(cap->nparts, sizeof *m->redis.shards);
	for (size_t i = 0; i < cap->nparts; i++) {
		const struct redis_master *rm = cap->parts[i].master;
		struct manifest_shard *sh = &m->redis.shards[i];

		snprintf(sh->node_id, sizeof sh->node_id, "%s", rm->id);
		sh->addr = xstrdup(rm->addr);
		sh->slots = xcalloc(rm->nslots, sizeof *sh->slots);
		memcpy(sh->slots, rm->slots, rm->nslots * sizeof *sh->slots);
		sh->nslots = rm->nslots;
		sh->redis_version = xstrdup(cap->parts[i].redis_version);
		sh->source = xstrdup(cap->parts[i].rdb_source);
		split_rdb_path(cap->parts[i].rdb_path, &sh->data_dir, &sh->dbfilename);
		sh->counts = xcalloc(m->redis.ncounts + 1, sizeof *sh->counts);
		sh->expires = xcalloc(m->redis.ncounts + 1, sizeof *sh->expires);
	}
}

/* The name of part idx's snapshot in the backup. */
static void
rdb_name(const struct capture *cap, size_t idx, char name[MANIFEST_NAME_MAX])
{
	if (cap->cluster.n > 0)
		manifest_shard_file_name(cap->parts[idx].master->id, name);
	else
		snprintf(name, MANIFEST_NAME_MAX, "%s", MANIFEST_RDB_FILE);
}

/* A server's snapshot stored while Redis wrote it, before
 * capture_finish(): what the manifest gets once it is set up. */
struct rdb_early {
	bool done;
	struct manifest_file mf;
	struct rdb_summary sum;
};

static void
early_clear(struct rdb_early *e)
{
	free(e->mf.note);
	free(e->mf.recipe);
	rdb_summary_clear(&e->sum);
	memset(e, 0, sizeof *e);
}

/* Free the n snapshots of early (NULL: none). */
static void
early_free(struct rdb_early *early, size_t n)
{
	for (size_t i = 0; early != NULL && i < n; i++)
		early_clear(&early[i]);
	free(early);
}

/*
 * Store one server's snapshot, read alongside for its key counts: from
 * its finished file, or (follow) while Redis writes it. 0, -1, or 1 when
 * a followed file could not be shown to be the finished snapshot: what
 * was read is dropped and the finished file is read instead.
 */
static int
read_rdb(struct job *job, struct backup_target *txn, struct capture_part *p, const char *name,
    bool follow, struct job_meter *meter, struct manifest_file *mf, struct rdb_summary *sum,
    struct vs_error *err)
{
	const struct config *cfg = job_config(job);
	struct capture_reader cr = { job, p, false };
	struct rdb_reader *rdb = NULL;
	int rc = -1, r;

	memset(sum, 0, sizeof *sum);
	if (!follow && p->rdb.fd < 0)
		return put_file(job, txn, name, &p->rdb, NULL, meter, mf, err);
	rdb = rdb_reader_new((const char *const *)cfg->redis.prefixes, cfg->redis.nprefixes,
	    cfg->redis.db);
	if (follow) {
		memset(mf, 0, sizeof *mf);
		job_meter_phase(meter, _("copying %s"), name);
		r = backup_target_put_stream(txn, name, &capture_follow_source, &cr, rdb,
		    &meter->progress, mf, err);
	} else {
		r = put_file(job, txn, name, &p->rdb, rdb, meter, mf, err);
	}
	if (r != 0) {
		/* The finished file decides whether the snapshot is unreadable. */
		if (follow && (cr.fallback || err->code == VS_ERR_FORMAT))
			rc = 1;
		else if (err->code != VS_ERR_CANCELLED && err->code != VS_ERR_IO &&
		    err->code != VS_ERR_NOSPACE && err->code != VS_ERR_S3 &&
		    err->code != VS_ERR_REDIS)
			error_prefix(err, _("the Redis snapshot could not be read"));
		goto out;
	}
	if (rdb_reader_finish(rdb, sum, err) != 0) {
		if (follow)
			rc = 1;
		else
			error_prefix(err, _("the Redis snapshot could not be read"));
		goto out;
	}
	rc = 0;
out:
	if (rc != 0) {
		free(mf->note);
		free(mf->recipe);
		memset(mf, 0, sizeof *mf);
		rdb_summary_clear(sum);
	}
	rdb_reader_free(rdb);
	return rc;
}

/*
 * Prove that the snapshot read is the one this capture made, and add its
 * key counts to the shard (a cluster) and to the backup's.
 */
static int
apply_rdb(struct capture_part *p, const struct rdb_summary *sum, struct manifest *m, size_t idx,
    struct vs_error *err)
{
	struct manifest_shard *sh = manifest_is_cluster(m) ? &m->redis.shards[idx] : NULL;

	if (capture_prove(p, sum->ctime, sum->db_keys, err) != 0)
		return -1;
	for (size_t i = 0; i < sum->nprefixes && i < m->redis.ncounts; i++) {
		m->redis.counts[i].count += sum->prefix_keys[i];
		m->redis.counts[i].expires += sum->prefix_expires[i];
		if (sh != NULL) {
			sh->counts[i] = sum->prefix_keys[i];
			sh->expires[i] = sum->prefix_expires[i];
		}
	}
	m->redis.dbsize += sum->db_keys;
	m->redis.db_expires += sum->db_expires;
	m->redis.expires_known = true;
	if (sum->version > m->redis.rdb_version)
		m->redis.rdb_version = sum->version;
	if (m->redis.redis_version[0] == '\0' && sum->redis_ver[0] != '\0') {
		free(m->redis.redis_version);
		m->redis.redis_version = xstrdup(sum->redis_ver);
	}
	if (sh != NULL) {
		sh->dbsize = sum->db_keys;
		sh->db_expires = sum->db_expires;
		sh->rdb_version = sum->version;
		if (sh->redis_version[0] == '\0' && sum->redis_ver[0] != '\0') {
			free(sh->redis_version);
			sh->redis_version = xstrdup(sum->redis_ver);
		}
	}
	return 0;
}

/*
 * The snapshots that can be read while Redis writes them (format 2, an
 * RDB file read here): stored now, during the save, instead of after it.
 * One that cannot be shown to be the finished file is read again after.
 */
static int
follow_rdbs(struct job *job, struct backup_target *txn, struct capture *cap,
    struct job_meter *meter, struct rdb_early *early, struct vs_error *err)
{
	for (size_t i = 0; i < cap->nparts; i++) {
		struct capture_part *p = &cap->parts[i];
		char name[MANIFEST_NAME_MAX];
		uint64_t guess = capture_follow_estimate(p);
		int r;

		if (p->follow == NULL)
			continue;
		rdb_name(cap, i, name);
		meter->total += guess;
		r = read_rdb(job, txn, p, name, true, meter, &early[i].mf, &early[i].sum, err);
		meter->total -= guess;
		if (r < 0)
			return -1;
		if (r == 1) {
			job_log(job, VS_LOG_INFO, _("the Redis snapshot could not be stored while it "
			    "was written (%s); storing the finished file"), err->msg);
			error_clear(err);
			capture_follow_stop(p);
			continue;
		}
		meter->total += p->rdb.size;
		early[i].done = true;
		job_log(job, VS_LOG_INFO, _("%s was stored while Redis wrote it"), name);
	}
	return 0;
}

/* Store (unless stored while written) and account for part idx's snapshot. */
static int
put_rdb(struct job *job, struct backup_target *txn, struct capture *cap, size_t idx,
    struct rdb_early *early, struct job_meter *meter, struct manifest *m, struct vs_error *err)
{
	struct capture_part *p = &cap->parts[idx];
	struct manifest_shard *sh = manifest_is_cluster(m) ? &m->redis.shards[idx] : NULL;
	struct manifest_file *mf = sh != NULL ? &sh->file : &m->redis.file;
	char name[MANIFEST_NAME_MAX];
	int rc;

	if (early->done) {
		*mf = early->mf;
		memset(&early->mf, 0, sizeof early->mf);
	} else {
		rdb_name(cap, idx, name);
		if (read_rdb(job, txn, p, name, false, meter, mf, &early->sum, err) != 0)
			return -1;
		if (p->rdb.fd < 0)
			return 0;
	}
	rc = apply_rdb(p, &early->sum, m, idx, err);
	early_clear(early);
	return rc;
}

struct partials {
	char (*ids)[BACKUP_ID_SIZE];
	size_t n;
};

static int
partial_seen(void *ud, const struct storage_entry *e)
{
	struct partials *pl = ud;

	if (e->partial) {
		pl->ids = xreallocarray(pl->ids, pl->n + 1, sizeof *pl->ids);
		memcpy(pl->ids[pl->n++], e->id, BACKUP_ID_SIZE);
	}
	return 0;
}

/* The storage's own listing, not the catalog: sizing the repository (its
 * index) is not needed here and would delay the capture. */
void
backup_remove_stale_partials(struct job *job)
{
	struct storage *st;
	struct partials pl = { NULL, 0 };
	struct vs_error err;

	error_clear(&err);
	if (storage_open_local(job_config(job), &st, &err) != 0)
		return;
	if (storage_list(st, partial_seen, &pl, &err) == 0) {
		for (size_t i = 0; i < pl.n; i++) {
			if (storage_remove_partial(st, pl.ids[i], &err) == 0)
				job_log(job, VS_LOG_INFO,
				    _("removed %s: an incomplete backup left by an interrupted run"),
				    pl.ids[i]);
			else
				job_log(job, VS_LOG_WARN, "%s", err.msg);
		}
	}
	free(pl.ids);
	storage_close(st);
}

int
backup_make(struct job *job, const struct backup_opts *opts, struct manifest *m,
    struct vs_error *err)
{
	const struct config *cfg = job_config(job);
	struct storage *st = NULL;
	struct backup_target *txn = NULL;
	struct capture cap;
	struct rdb_early *early = NULL;
	struct job_meter meter;
	int id_waits = 0;
	bool taken;
	bool started = false;
	time_t now = time_now();
	char *json = NULL;
	int rc = -1;

	memset(m, 0, sizeof *m);
	memset(&cap, 0, sizeof cap);
	m->format_version = MANIFEST_FORMAT_VERSION;
	m->type = opts->type;
	m->created_at = now;
	m->tool_version = xstrdup(PACKAGE_STRING);
	backup_id_format(now, m->backup_id);
	job_set_backup(job, m->backup_id);

	if (storage_open_local(cfg, &st, err) != 0)
		goto out;
	for (int attempt = 1;; attempt++) {
		int r;

		if (backup_target_begin(job, st, m->backup_id, &txn, &taken, err) != 0) {
			/* Ids are seconds: a backup right after another (a
			 * safety backup just after a backup) waits for the next
			 * second, unless VSBACKUP_NOW holds the clock still. */
			if (taken && getenv("VSBACKUP_NOW") == NULL && id_waits++ < 5) {
				struct timespec ts = { 0, 200 * 1000 * 1000 };

				while (time_now() <= now)
					nanosleep(&ts, NULL);
				now = time_now();
				m->created_at = now;
				backup_id_format(now, m->backup_id);
				job_set_backup(job, m->backup_id);
				error_clear(err);
				attempt--;   /* not a failed capture */
				continue;
			}
			if (taken)
				error_prefix(err, _("two backups in the same second"));
			goto out;
		}
		/* Once the id is settled: a wait above changes it. */
		if (!started) {
			job_log(job, VS_LOG_INFO, _("backup %s (%s) started"), m->backup_id,
			    backup_type_name(opts->type));
			started = true;
		}
		if (capture_begin(job, opts->tolerant, &cap, err) != 0)
			goto out;
		if (backup_target_streams(txn))
			capture_follow_start(job, &cap);
		early = xcalloc(cap.nparts, sizeof *early);
		/* The index files are copied while Redis still writes its snapshot. */
		job_meter_init(&meter, job, 0);
		for (int i = 0; i < CAPTURE_NINDEX; i++)
			meter.total += cap.index[i].fd >= 0 ? cap.index[i].size : 0;
		if (put_file(job, txn, MANIFEST_CONTENT_FILE, &cap.index[CAPTURE_CONTENT], NULL,
		    &meter, &m->content.file, err) != 0 ||
		    put_file(job, txn, MANIFEST_USER_FILE, &cap.index[CAPTURE_USER], NULL, &meter,
		    &m->user.file, err) != 0)
			goto out;
		if (follow_rdbs(job, txn, &cap, &meter, early, err) != 0)
			goto out;
		r = capture_finish(job, &cap, err);
		if (r == 0)
			break;
		if (r != CAPTURE_RETRY || attempt == 3) {
			if (r == CAPTURE_RETRY)
				error_set(err, VS_ERR_REDIS, _("another save replaced the snapshot 3 "
				    "times in a row; is something running BGSAVE in a loop?"));
			goto out;
		}
		job_log(job, VS_LOG_WARN, _("%s; taking the snapshot again"), err->msg);
		backup_target_abort(txn);
		txn = NULL;
		early_free(early, cap.nparts);
		early = NULL;
		capture_release(&cap);
		free(m->content.file.note);
		free(m->user.file.note);
		memset(&m->content, 0, sizeof m->content);
		memset(&m->user, 0, sizeof m->user);
	}

	m->consistency = xstrdup(cap.coordinated ? "coordinated" : "paused");
	m->redis.redis_version = xstrdup(cap.parts[0].redis_version);
	m->redis.source = xstrdup(cap.parts[0].rdb_source);
	if (cap.cluster.n > 0) {
		/* Where each master keeps its file is the shard's to say. */
		m->redis.data_dir = xstrdup("");
		m->redis.dbfilename = xstrdup("");
	} else {
		split_rdb_path(cap.parts[0].rdb_path, &m->redis.data_dir, &m->redis.dbfilename);
	}
	m->redis.db = cfg->redis.db;
	m->redis.ncounts = cfg->redis.nprefixes;
	m->redis.counts = xcalloc(cfg->redis.nprefixes + 1, sizeof *m->redis.counts);
	for (size_t i = 0; i < cfg->redis.nprefixes; i++)
		m->redis.counts[i].prefix = xstrdup(cfg->redis.prefixes[i]);
	if (cap.cluster.n > 0)
		shards_init(&cap, m);
	if (index_info(job, &cap.index[CAPTURE_CONTENT], cfg->faiss.content_index, opts->tolerant,
	    &m->content, err) != 0 ||
	    index_info(job, &cap.index[CAPTURE_USER], cfg->faiss.user_index, opts->tolerant,
	    &m->user, err) != 0)
		goto out;

	for (size_t i = 0; i < cap.nparts; i++)
		if (!early[i].done)
			meter.total += cap.parts[i].rdb.size;
	for (size_t i = 0; i < cap.nparts; i++)
		if (put_rdb(job, txn, &cap, i, &early[i], &meter, m, err) != 0)
			goto out;
	if (job_cancelled(job)) {
		job_cancel_error(err);
		goto out;
	}
	record_owners(&cap, m);
	m->completed_at = time_now();
	if (m->completed_at < m->created_at)
		m->completed_at = m->created_at;
	job_progress(job, _("writing metadata"), meter.total, meter.total, true);
	rc = backup_target_commit(txn, m, err);
	txn = NULL;
	if (rc == 0)
		job_log(job, VS_LOG_INFO, _("backup %s complete in %s"), m->backup_id,
		    storage_location(st));
out:
	backup_target_abort(txn);
	early_free(early, cap.nparts);
	capture_release(&cap);
	storage_close(st);
	free(json);
	if (rc != 0)
		manifest_clear(m);
	return rc;
}
