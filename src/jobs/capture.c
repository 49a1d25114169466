#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/live-open.h"
#include "common/xmalloc.h"
#include "jobs/capture.h"
#include "redis/redis-conn.h"
#include "redis/redis-info.h"
#include "redis/redis-sentinel.h"
#include "redis/redis-snapshot.h"
#include "redis/redis-sync.h"

struct watch_ctx {
	struct job *job;
	const char *phase;
	bool bytes;
};

static void
watch_progress(void *arg, uint64_t done, uint64_t total)
{
	struct watch_ctx *wc = arg;

	job_progress(wc->job, wc->phase, done, total, wc->bytes);
}

static bool
watch_cancelled(void *arg)
{
	return job_cancelled(((struct watch_ctx *)arg)->job);
}

static void
file_init(struct capture_file *f)
{
	f->fd = -1;
	f->size = 0;
	f->note = NULL;
}

static void
file_close(struct capture_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	free(f->note);
	file_init(f);
}

/* Open a live file for copying (live_open(): no link out of its
 * directory, no FIFO, no foreign owner); when tolerant a missing or
 * refused file is recorded instead of failing. */
static int
open_live(const char *key, const char *path, bool tolerant, struct capture_file *f,
    struct vs_error *err)
{
	struct vs_error lerr;
	struct stat st;
	int fd;

	error_clear(&lerr);
	if (live_open(key, path, 0, &fd, &st, &lerr) != 0) {
		if (tolerant) {
			f->note = xstrdup(lerr.msg);
			return 0;
		}
		*err = lerr;
		return -1;
	}
	f->fd = fd;
	f->size = (uint64_t)st.st_size;
	return 0;
}

static int
open_indexes(const struct config *cfg, bool tolerant, struct capture *c, struct vs_error *err)
{
	if (open_live("faiss.content_index", cfg->faiss.content_index, tolerant,
	    &c->index[CAPTURE_CONTENT], err) != 0)
		return -1;
	return open_live("faiss.user_index", cfg->faiss.user_index, tolerant,
	    &c->index[CAPTURE_USER], err);
}

/*
 * The service's coordination lock: exclusive for the capture, waiting at
 * most the pause bound for the service to finish the document it is on.
 *
 * The wait is a blocking flock(), not a LOCK_NB poll: a busy service that
 * rewrites a large index for every document holds its shared lock nearly
 * all the time and lets go only for microseconds before taking it again. A
 * poll almost never lands in that gap (backups then fail for want of the
 * lock), while a blocked LOCK_EX request is woken by the release itself.
 * flock() has no timeout, so a helper thread blocks in it; when the bound
 * passes the thread is abandoned and drops the lock as soon as it gets it.
 * Guarded by mu: done, rc, err, abandoned, refs.
 */
struct lock_wait {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int fd;
	int refs;             /* the caller and the helper thread */
	bool done;            /* flock() returned */
	bool abandoned;       /* the caller gave up: the thread owns fd */
	int rc, err;
};

/* Drop one reference; called with mu held, returns with it released. */
static void
lock_wait_unref(struct lock_wait *lw)
{
	bool last = --lw->refs == 0;

	pthread_mutex_unlock(&lw->mu);
	if (last) {
		pthread_mutex_destroy(&lw->mu);
		pthread_cond_destroy(&lw->cond);
		free(lw);
	}
}

static void *
lock_wait_thread(void *arg)
{
	struct lock_wait *lw = arg;
	int rc, e;

	do {
		rc = flock(lw->fd, LOCK_EX);
	} while (rc != 0 && errno == EINTR);
	e = errno;
	pthread_mutex_lock(&lw->mu);
	lw->done = true;
	lw->rc = rc;
	lw->err = e;
	if (lw->abandoned)
		close(lw->fd);  /* releases the lock the caller no longer wants */
	pthread_cond_signal(&lw->cond);
	lock_wait_unref(lw);
	return NULL;
}

static int
lock_service(const struct config *cfg, int *fd, struct vs_error *err)
{
	struct lock_wait *lw;
	pthread_condattr_t ca;
	pthread_t thread;
	struct timespec until;
	struct stat lst;
	int lfd, r = 0, rc = -1;

	*fd = -1;
	if (cfg->faiss.lock_file[0] == '\0')
		return 0;
	if (live_open("faiss.lock_file", cfg->faiss.lock_file, O_RDWR | O_CREAT, &lfd, &lst,
	    err) != 0)
		return -1;
	if (flock(lfd, LOCK_EX | LOCK_NB) == 0) {
		*fd = lfd;
		return 0;
	}
	if (errno != EWOULDBLOCK) {
		error_errno(err, VS_ERR_IO, errno, _("cannot lock faiss.lock_file %s"),
		    cfg->faiss.lock_file);
		close(lfd);
		return -1;
	}

	lw = xcalloc(1, sizeof *lw);
	pthread_mutex_init(&lw->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&lw->cond, &ca);
	pthread_condattr_destroy(&ca);
	lw->fd = lfd;
	lw->refs = 2;
	if (pthread_create(&thread, NULL, lock_wait_thread, lw) != 0)
		fatal("cannot start a thread");
	pthread_detach(thread);

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += cfg->redis.pause_ms / 1000;
	until.tv_nsec += (long)(cfg->redis.pause_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&lw->mu);
	while (!lw->done && r != ETIMEDOUT)
		r = pthread_cond_timedwait(&lw->cond, &lw->mu, &until);
	if (lw->done && lw->rc == 0) {
		*fd = lfd;
		rc = 0;
	} else if (lw->done) {
		error_errno(err, VS_ERR_IO, lw->err, _("cannot lock faiss.lock_file %s"),
		    cfg->faiss.lock_file);
		close(lfd);
	} else {
		lw->abandoned = true;
		error_set(err, VS_ERR_FAILED,
		    _("the service held faiss.lock_file %s for more than %d ms "
		      "(redis.pause_ms); try again, or raise redis.pause_ms"),
		    cfg->faiss.lock_file, cfg->redis.pause_ms);
	}
	lock_wait_unref(lw);
	return rc;
}

static void
unlock_service(int fd)
{
	if (fd >= 0) {
		flock(fd, LOCK_UN);
		close(fd);
	}
}

/* Redis is down: take its RDB file as it is on disk. */
static int
capture_offline(struct job *job, const struct config *cfg, struct capture *c,
    const char *why, struct vs_error *err)
{
	struct capture_part *p = &c->parts[0];

	job_log(job, VS_LOG_WARN, _("Redis is not reachable (%s); taking its data files as they are"),
	    why);
	p->mode = CAPTURE_OFFLINE;
	p->rdb_source = "offline";
	if (cfg->redis.data_dir[0] != '\0' && cfg->redis.dbfilename[0] != '\0') {
		p->rdb_path = xasprintf("%s/%s", cfg->redis.data_dir, cfg->redis.dbfilename);
		if (open_live("redis.dbfilename", p->rdb_path, true, &p->rdb, err) != 0)
			return -1;
	} else {
		p->rdb.note = xstrdup(_("Redis was not reachable and redis.data_dir / "
		    "redis.dbfilename are not set"));
	}
	return open_indexes(cfg, true, c, err);
}

/* Can we read the RDB file Redis writes at path? */
static bool
rdb_readable(const char *path)
{
	char *dir = fs_dirname(path);
	bool ok = access(dir, R_OK | X_OK) == 0 &&
	    (access(path, R_OK) == 0 || errno == ENOENT);

	free(dir);
	return ok;
}

/*
 * Under Sentinel: after the capture (or its failure), did a failover
 * happen since the master was found? That makes the snapshot suspect, and
 * explains a failure better than what broke. In a cluster: did a master
 * fail over, or slots move?
 */
static int
check_failover(struct job *job, struct capture *c, int rc, struct vs_error *err)
{
	const struct config *cfg = job_config(job);
	struct vs_error ferr;
	int fr;

	if (rc == CAPTURE_RETRY || (c->target.master == NULL && c->cluster.n == 0))
		return rc;
	error_clear(&ferr);
	if (c->cluster.n > 0) {
		job_progress(job, _("asking the cluster whether it changed"), 0, 0, false);
		fr = redis_cluster_confirm(cfg, &c->cluster, &ferr);
	} else {
		fr = redis_sentinel_confirm(cfg, &c->target, &ferr);
	}
	if (fr == 0)
		return rc;
	if (rc != 0) {
		char was[VS_ERROR_MSG_MAX];

		snprintf(was, sizeof was, "%s", err->msg);
		error_set(err, VS_ERR_REDIS, "%s (%s)", ferr.msg, was);
	} else {
		*err = ferr;
	}
	return -1;
}

/* What lets vsbackup read the RDB file rather than fetch it. */
static void
fetch_fix(const struct config *cfg, char *buf, size_t size)
{
	snprintf(buf, size, _("set redis.data_dir and redis.dbfilename in %s to "
	    "Redis's dir and dbfilename, and let this user read that file"),
	    cfg->path[0] != '\0' ? cfg->path : _("the configuration"));
}

/*
 * Before the moment: how this server's snapshot will be taken. Through
 * BGSAVE when its RDB file can be read here (no save may be running then,
 * so ours forks at once), else through a replication sync, which must fork
 * within the write pause.
 */
static int
part_prepare(struct job *job, const struct config *cfg, struct capture_part *p,
    struct vs_error *err)
{
	struct watch_ctx wc = { job, _("waiting for a running Redis save"), false };
	struct redis_watch w = { watch_progress, watch_cancelled, &wc };
	struct redis_info *info = NULL;
	struct vs_error cerr;
	char *path = NULL, fix[VS_ERROR_MSG_MAX / 2];
	int rc;

	if (redis_info_fetch(p->conn, "server", &info, err) != 0)
		return -1;
	snprintf(p->redis_version, sizeof p->redis_version, "%s", redis_info_version(info));
	redis_info_free(info);

	error_clear(&cerr);
	if (redis_rdb_path(p->conn, &path, &cerr) == 0 && rdb_readable(path)) {
		p->mode = CAPTURE_FILE;
		p->rdb_path = path;
		return redis_bgsave_wait_idle(p->conn, &w, err);
	}
	job_log(job, VS_LOG_INFO, _("the Redis RDB file of %s is not readable here (%s); "
	    "fetching the snapshot over the replication protocol"),
	    redis_conn_where(p->conn), path != NULL ? path : cerr.msg);
	if (path != NULL)
		p->rdb_path = path;
	p->mode = CAPTURE_SYNC;
	p->sync_delay = 0;
	fetch_fix(cfg, fix, sizeof fix);
	rc = redis_sync_fork_delay(p->conn, &p->sync_delay, err);
	if (rc == 0 && p->sync_delay > 0 && p->sync_delay * 1000 + 500 > cfg->redis.pause_ms)
		rc = error_set(err, VS_ERR_REDIS,
		    _("the Redis RDB file cannot be read here, and fetching it over replication "
		      "would start %d s late (repl-diskless-sync-delay), after writes resume "
		      "(redis.pause_ms is %d ms): %s; or set repl-diskless-sync-delay 0 on "
		      "the server"), p->sync_delay, cfg->redis.pause_ms, fix);
	return rc;
}

/* Inside the pause: this server's fork, BGSAVE or a replication sync. */
static int
part_fork(struct job *job, const struct config *cfg, struct capture_part *p,
    int64_t deadline, struct vs_error *err)
{
	struct watch_ctx wc = { job, _("waiting for Redis to fork"), false };
	struct redis_watch w = { watch_progress, watch_cancelled, &wc };
	char fix[VS_ERROR_MSG_MAX / 2];
	int r;

	if (p->mode == CAPTURE_FILE)
		return redis_bgsave_start(p->conn, deadline, &w, &p->bs, err);
	fetch_fix(cfg, fix, sizeof fix);
	r = redis_sync_start(p->rcfg, deadline, &w, &p->sync, err);
	if (r == REDIS_SYNC_LATE && p->sync_delay < 0)
		/* Most likely the diskless delay, which only CONFIG tells. */
		r = error_set(err, VS_ERR_REDIS, _("Redis did not fork for the "
		    "replication snapshot within the write pause (redis.pause_ms %d ms). "
		    "With diskless replication Redis waits repl-diskless-sync-delay "
		    "seconds (5 by default) before it forks, and vsbackup cannot read "
		    "that setting here (CONFIG GET is renamed, disabled or not allowed "
		    "for this user). Either %s, or set repl-diskless-sync-delay 0 in "
		    "Redis's configuration"), cfg->redis.pause_ms, fix);
	else if (r == REDIS_SYNC_LATE)
		r = error_set(err, VS_ERR_REDIS, _("Redis did not fork for the "
		    "replication snapshot within the write pause (redis.pause_ms %d ms; "
		    "repl-diskless-sync-delay is %d s); a save or rewrite it was running "
		    "may have held it back: try again, raise redis.pause_ms, or %s"),
		    cfg->redis.pause_ms, p->sync_delay, fix);
	return r;
}

/*
 * The moment: writes paused on every server that takes them (the master
 * when the snapshot comes from a replica), the service's lock held, each
 * server forked, both indexes opened; then writers go on at once.
 */
static int
capture_moment(struct job *job, const struct config *cfg, bool tolerant, struct capture *c,
    struct vs_error *err)
{
	struct watch_ctx wc = { job, _("waiting for the replica"), false };
	struct redis_watch w = { watch_progress, watch_cancelled, &wc };
	size_t npaused = 0, npause = c->pause_conn != NULL ? 1 : c->nparts;
	int lockfd = -1, r = 0;
	int64_t deadline = 0;

	job_progress(job, _("capturing"), 0, 0, false);
	if (lock_service(cfg, &lockfd, err) != 0)
		return -1;
	for (; npaused < npause && r == 0; npaused++) {
		struct redis_conn *pc = c->pause_conn != NULL ? c->pause_conn :
		    c->parts[npaused].conn;
		int64_t d;

		r = redis_pause_writes(pc, cfg->redis.pause_ms, &d, err);
		if (r == 0 && (deadline == 0 || d < deadline))
			deadline = d;
		if (r != 0)
			break;
	}
	c->coordinated = lockfd >= 0;
	/* A snapshot from a replica is of the paused master's data only once
	 * the replica has applied all of it. */
	if (r == 0 && c->pause_conn != NULL)
		r = redis_replica_catch_up(c->pause_conn, c->parts[0].conn, deadline, &w, err);
	for (size_t i = 0; i < c->nparts && r == 0; i++)
		r = part_fork(job, cfg, &c->parts[i], deadline, err);
	if (r == 0)
		r = open_indexes(cfg, tolerant, c, err);
	/* Writers go on as soon as the moment is fixed. */
	for (size_t i = 0; i < npaused; i++) {
		struct redis_conn *pc = c->pause_conn != NULL ? c->pause_conn : c->parts[i].conn;

		if (redis_unpause(pc, r == 0 ? err : NULL) != 0)
			r = -1;
	}
	unlock_service(lockfd);
	return r;
}

static int
finish_via_file(struct job *job, struct capture_part *p, struct vs_error *err)
{
	struct watch_ctx wc = { job, _("Redis snapshot (keys)"), false };
	struct redis_watch w = { watch_progress, watch_cancelled, &wc };
	struct stat st;
	char *path = NULL;
	int fd, r;

	if (redis_bgsave_wait(p->conn, &p->bs, &w, err) != 0)
		return -1;
	r = redis_rdb_open(p->conn, &p->bs, &fd, &path, err);
	if (r == REDIS_RDB_REPLACED)
		return CAPTURE_RETRY;
	if (r != 0)
		return -1;
	if (fstat(fd, &st) != 0) {
		close(fd);
		free(path);
		return error_errno(err, VS_ERR_IO, errno, _("cannot examine the RDB file"));
	}
	capture_take_rdb(p, fd, path, (uint64_t)st.st_size);
	return 0;
}

void
capture_take_rdb(struct capture_part *p, int fd, char *path, uint64_t size)
{
	if (p->rdb.fd >= 0)
		close(p->rdb.fd);
	p->rdb.fd = fd;
	p->rdb.size = size;
	free(p->rdb_path);
	p->rdb_path = path;
	p->rdb_source = "file";
}

static int
finish_via_sync(struct job *job, const struct config *cfg, struct capture_part *p,
    struct vs_error *err)
{
	struct watch_ctx wc = { job, _("fetching the Redis snapshot"), true };
	struct redis_watch w = { watch_progress, watch_cancelled, &wc };
	struct stat st;
	uint64_t n;
	int fd;

	if (fs_mkdir_p(cfg->backup_dir, 0700, err) != 0)
		return -1;
	p->rdb_tmp = xasprintf("%s/.rdb-fetch-XXXXXX", cfg->backup_dir);
	fd = mkstemp(p->rdb_tmp);
	if (fd < 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot create %s"), p->rdb_tmp);
		free(p->rdb_tmp);
		p->rdb_tmp = NULL;
		return -1;
	}
	p->rdb.fd = fd;
	if (redis_sync_read(p->sync, fd, &w, &n, err) != 0)
		return -1;
	if (fstat(fd, &st) != 0)
		return error_errno(err, VS_ERR_IO, errno, _("cannot examine %s"), p->rdb_tmp);
	p->rdb.size = (uint64_t)st.st_size;
	p->rdb_source = "replication";
	redis_sync_free(p->sync);
	p->sync = NULL;
	return 0;
}

static void
parts_init(struct capture *c, size_t n)
{
	c->parts = xcalloc(n, sizeof *c->parts);
	c->nparts = n;
	for (size_t i = 0; i < n; i++) {
		file_init(&c->parts[i].rdb);
		c->parts[i].rdb_source = "file";
		c->parts[i].sync_delay = -1;
	}
}

/* Which servers the snapshots come from: the configured one, the master
 * (or a replica) the sentinels name, or every master of the cluster. */
static int
find_servers(struct job *job, const struct config *cfg, struct capture *c,
    struct vs_error *cerr, struct vs_error *err)
{
	if (redis_cluster_mode(cfg)) {
		job_progress(job, _("asking the cluster for its masters"), 0, 0, false);
		if (redis_cluster_discover(cfg, &c->cluster, err) != 0)
			return -1;
		parts_init(c, c->cluster.n);
		for (size_t i = 0; i < c->cluster.n; i++) {
			c->parts[i].rcfg = c->cluster.masters[i].cfg;
			c->parts[i].master = &c->cluster.masters[i];
		}
		job_log(job, VS_LOG_INFO, _("the cluster has %zu masters; each takes a snapshot "
		    "at the same moment"), c->cluster.n);
		return 0;
	}
	parts_init(c, 1);
	c->parts[0].rcfg = cfg;
	if (!redis_sentinel_mode(cfg))
		return 0;
	job_progress(job, _("asking the sentinels for the master"), 0, 0, false);
	if (redis_sentinel_discover(cfg, cfg->redis.from_replica, &c->target, cerr) != 0)
		return 1;
	if (cfg->redis.from_replica)
		job_log(job, VS_LOG_INFO, _("the master of \"%s\" is %s; the snapshot "
		    "comes from its replica %s"), cfg->redis.master_name,
		    c->target.master_addr, c->target.source_addr);
	else
		job_log(job, VS_LOG_INFO, _("the master of \"%s\" is %s"),
		    cfg->redis.master_name, c->target.master_addr);
	c->parts[0].rcfg = c->target.source;
	if (c->target.source != c->target.master &&
	    redis_conn_open(c->target.master, &c->pause_conn, err) != 0)
		return -1;
	return 0;
}

int
capture_begin(struct job *job, bool tolerant, struct capture *c, struct vs_error *err)
{
	const struct config *cfg = job_config(job);
	struct vs_error cerr;
	int rc;

	memset(c, 0, sizeof *c);
	for (int i = 0; i < CAPTURE_NINDEX; i++)
		file_init(&c->index[i]);
	c->db = cfg->redis.db;

	error_clear(&cerr);
	rc = find_servers(job, cfg, c, &cerr, err);
	if (rc < 0)
		goto out;
	job_progress(job, _("connecting to Redis"), 0, 0, false);
	for (size_t i = 0; i < c->nparts && rc == 0; i++) {
		struct capture_part *p = &c->parts[i];

		if (redis_conn_open(p->rcfg, &p->conn, &cerr) != 0)
			rc = 1;
		else if (part_prepare(job, cfg, p, err) != 0)
			rc = -1;
	}
	if (rc == 1) {
		/* Unreachable: a standalone server's file is taken as it is
		 * on disk for a safety backup; a cluster's master must answer. */
		if (!tolerant || c->cluster.n > 0) {
			*err = cerr;
			rc = -1;
			goto out;
		}
		rc = capture_offline(job, cfg, c, cerr.msg, err);
		goto out;
	}
	if (rc == 0)
		rc = capture_moment(job, cfg, tolerant, c, err);
out:
	if (rc != 0) {
		check_failover(job, c, rc, err);
		capture_release(c);
	}
	return rc;
}

int
capture_finish(struct job *job, struct capture *c, struct vs_error *err)
{
	int rc = 0;

	for (size_t i = 0; i < c->nparts && rc == 0; i++) {
		struct capture_part *p = &c->parts[i];

		if (p->followed)
			continue;   /* finished as it was read */
		capture_follow_stop(p);
		switch (p->mode) {
		case CAPTURE_FILE:
			rc = finish_via_file(job, p, err);
			break;
		case CAPTURE_SYNC:
			rc = finish_via_sync(job, job_config(job), p, err);
			break;
		case CAPTURE_OFFLINE:
			break;
		}
	}
	return check_failover(job, c, rc, err);
}

int
capture_prove(struct capture_part *p, long long ctime, uint64_t db_keys, struct vs_error *err)
{
	if (p->mode != CAPTURE_FILE)
		return 0;
	return redis_rdb_prove(p->conn, &p->bs, p->rdb_path, ctime, db_keys, err);
}

void
capture_release(struct capture *c)
{
	for (int i = 0; i < CAPTURE_NINDEX; i++)
		file_close(&c->index[i]);
	for (size_t i = 0; i < c->nparts; i++) {
		struct capture_part *p = &c->parts[i];

		file_close(&p->rdb);
		capture_follow_stop(p);
		p->followed = false;
		if (p->rdb_tmp != NULL) {
			unlink(p->rdb_tmp);
			free(p->rdb_tmp);
		}
		free(p->rdb_path);
		redis_sync_free(p->sync);
		redis_conn_close(p->conn);
	}
	free(c->parts);
	c->parts = NULL;
	c->nparts = 0;
	redis_conn_close(c->pause_conn);
	c->pause_conn = NULL;
	redis_target_clear(&c->target);
	redis_cluster_clear(&c->cluster);
}
