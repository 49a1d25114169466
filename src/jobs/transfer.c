#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "common/follow-hash.h"
#include "jobs/jobs.h"
#include "jobs/transfer.h"
#include "common/format.h"
#include "manifest/manifest.h"
#include "repo/repo.h"
#include "repo/view.h"
#include "storage/storage.h"

/*
 * DESIGN: the data files of a backup are copied at the same time, one
 * thread each, so that one file's network transfer overlaps another's
 * hashing, local copy, or the server's assembly of a multipart upload
 * (which keeps the client idle for seconds on a large file). metadata.json
 * still goes last, after every thread has finished. The threads share only
 * struct xfer_group: its lock guards the byte count, each file's phase and
 * finished flag, and the first error. A failed file stops the others at
 * their next progress report.
 */

struct xfer_group;

struct xfer_file {
	struct xfer_group *g;
	const struct manifest_file *f;
	struct storage_progress progress;
	struct follow_hash *hash; /* while a download fills the file in place */
	char phase[128];          /* what this file is doing (under g->lock) */
	bool finished;            /* under g->lock */
	pthread_t thread;
	bool threaded;
};

struct xfer_group {
	struct job *job;
	struct storage *src;
	struct storage_txn *txn;
	const char *id;
	bool remote_dst;          /* the destination is not on this host */
	bool server_copy;         /* neither side is: try copies by the server */
	pthread_mutex_t lock;
	uint64_t done, total;
	bool failed;
	struct vs_error err;      /* the first failure */
	struct xfer_file *files;  /* one per data file (a cluster: per shard) */
	size_t nfiles;
};

static void
xfer_phase(struct xfer_file *xf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
xfer_phase(struct xfer_file *xf, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&xf->g->lock);
	va_start(ap, fmt);
	vsnprintf(xf->phase, sizeof xf->phase, fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&xf->g->lock);
}

/* Progress of one file, from any of the threads moving it. The phase shown
 * is the first unfinished file's, so it changes once per file rather than
 * with every report. */
static int
xfer_progress_fn(void *ud, uint64_t delta)
{
	struct xfer_file *xf = ud;
	struct xfer_group *g = xf->g;
	const char *phase = xf->phase;
	bool stop;

	pthread_mutex_lock(&g->lock);
	g->done += delta;
	for (size_t i = 0; i < g->nfiles; i++) {
		if (!g->files[i].finished) {
			phase = g->files[i].phase;
			break;
		}
	}
	job_progress(g->job, phase, g->done, g->total, true);
	stop = g->failed;
	pthread_mutex_unlock(&g->lock);
	return stop || job_cancelled(g->job) ? -1 : 0;
}

static void
xfer_landed_fn(void *ud, uint64_t prefix)
{
	struct xfer_file *xf = ud;

	if (xf->hash != NULL)
		follow_hash_landed(xf->hash, prefix);
}

/* An fd holding the source file: the file itself when the source is on
 * local disk, else a temp file in backup_dir it was fetched into. */
static int
source_fd(struct xfer_file *xf, char **tmp, struct vs_error *err)
{
	struct xfer_group *g = xf->g;
	const struct config *cfg = job_config(g->job);
	const struct manifest_file *f = xf->f;
	char *path = storage_local_path(g->src, g->id, f->name);
	int fd;

	*tmp = NULL;
	if (path != NULL) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			error_errno(err, VS_ERR_IO, errno, _("cannot open %s"), path);
		free(path);
		return fd;
	}
	if (fs_mkdir_p(cfg->backup_dir, 0700, err) != 0)
		return -1;
	*tmp = xasprintf("%s/.download-%s-%s-XXXXXX", cfg->backup_dir, g->id, f->name);
	fd = mkstemp(*tmp);
	if (fd < 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot create %s"), *tmp);
		free(*tmp);
		*tmp = NULL;
		return -1;
	}
	xfer_phase(xf, _("downloading %s"), f->name);
	if (storage_get(g->src, g->id, f->name, fd, f->size, &xf->progress, err) != 0) {
		close(fd);
		unlink(*tmp);
		free(*tmp);
		*tmp = NULL;
		return -1;
	}
	return fd;
}

/* A remote file fetched straight into a destination that can be filled in
 * place (the local backup_dir): one write of the data, no temp file, and
 * hashed as it lands. 1 when the destination cannot be filled so. */
static int
xfer_fill(struct xfer_file *xf, unsigned char md[32], struct vs_error *err)
{
	struct xfer_group *g = xf->g;
	const struct manifest_file *f = xf->f;
	char *local = storage_local_path(g->src, g->id, f->name);
	struct vs_error oerr;
	int fd, rc;

	if (local != NULL) {
		free(local);
		return 1;
	}
	error_clear(&oerr);
	if (storage_put_open(g->txn, f->name, f->size, &fd, &oerr) != 0) {
		if (oerr.code == VS_ERR_USAGE)
			return 1;
		*err = oerr;
		return -1;
	}
	xfer_phase(xf, _("downloading %s"), f->name);
	local = xasprintf(_("the downloaded %s of backup %s"), f->name, g->id);
	xf->hash = follow_hash_start(fd, f->size, local);
	free(local);
	rc = storage_get(g->src, g->id, f->name, fd, f->size, &xf->progress, err);
	if (follow_hash_finish(xf->hash, rc == 0, md, err) != 0)
		rc = -1;
	xf->hash = NULL;
	if (rc != 0) {
		close(fd);
		return -1;
	}
	return storage_put_close(g->txn, f->name, fd, f->size, err);
}

/* Copy one data file into the transaction and check it against its
 * SHA-256 in metadata.json. */
static int
xfer_one(struct xfer_file *xf, struct vs_error *err)
{
	struct xfer_group *g = xf->g;
	const struct manifest_file *f = xf->f;
	unsigned char md[32];
	char hex[65], *tmp;
	int fd, rc;

	/* Two locations on one server: the server copies, nothing comes by;
	 * the copy's size is checked (its SHA-256 was checked where it came
	 * from, and a verify of the destination reads it). */
	if (g->server_copy) {
		struct vs_error cerr;

		error_clear(&cerr);
		xfer_phase(xf, _("copying %s on the server"), f->name);
		/* The progress counts such a file twice (down and up). */
		if (storage_put_copy(g->txn, f->name, g->src, g->id, f->size, &cerr) == 0)
			return storage_progress_report(&xf->progress, 2 * f->size) != 0 ?
			    error_set(err, VS_ERR_CANCELLED, _("cancelled")) : 0;
		if (cerr.code != VS_ERR_USAGE) {
			*err = cerr;
			return -1;
		}
	}
	rc = xfer_fill(xf, md, err);
	if (rc < 0)
		return -1;
	if (rc == 0)
		goto check;
	if ((fd = source_fd(xf, &tmp, err)) < 0)
		return -1;
	xfer_phase(xf, g->remote_dst ? _("uploading %s") : _("storing %s"), f->name);
	rc = storage_put(g->txn, f->name, fd, f->size, &xf->progress, md, err);
	close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	if (rc != 0)
		return -1;
check:
	manifest_hex(md, hex);
	if (strcmp(hex, f->sha256) != 0)
		return error_set(err, VS_ERR_VERIFY,
		    _("%s of backup %s from %s does not match its SHA-256 in metadata.json "
		      "(the source copy is damaged); nothing was stored"),
		    f->name, g->id, storage_location(g->src));
	return 0;
}

static void *
xfer_thread(void *arg)
{
	struct xfer_file *xf = arg;
	struct xfer_group *g = xf->g;
	struct vs_error err;
	int rc;

	error_clear(&err);
	rc = xfer_one(xf, &err);
	pthread_mutex_lock(&g->lock);
	xf->finished = true;
	if (rc != 0 && !g->failed) {
		g->failed = true;
		g->err = err;
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

/* Copy every present data file of m, all at once; 0 when all arrived
 * whole, else -1 with the first failure. */
static int
xfer_files(struct job *job, struct storage *src, struct storage_txn *txn, const char *id,
    bool remote_dst, bool server_copy, const struct manifest *m, uint64_t total,
    struct vs_error *err)
{
	const struct manifest_file *f;
	struct xfer_group *g = xcalloc(1, sizeof *g);
	size_t i;
	int rc;

	g->job = job;
	g->src = src;
	g->txn = txn;
	g->id = id;
	g->remote_dst = remote_dst;
	g->server_copy = server_copy;
	g->total = total;
	pthread_mutex_init(&g->lock, NULL);
	error_clear(&g->err);
	g->files = xcalloc(manifest_nfiles(m), sizeof *g->files);
	for (i = 0; (f = manifest_file_at(m, i)) != NULL; i++) {
		struct xfer_file *xf;

		if (!f->present)
			continue;
		xf = &g->files[g->nfiles++];
		xf->g = g;
		xf->f = f;
		xf->progress.fn = xfer_progress_fn;
		xf->progress.landed = xfer_landed_fn;
		xf->progress.ud = xf;
	}
	for (i = 0; i < g->nfiles; i++)
		g->files[i].threaded = pthread_create(&g->files[i].thread, NULL, xfer_thread,
		    &g->files[i]) == 0;
	/* Without a thread of its own, a file is copied here. */
	for (i = 0; i < g->nfiles; i++)
		if (!g->files[i].threaded)
			xfer_thread(&g->files[i]);
	for (i = 0; i < g->nfiles; i++)
		if (g->files[i].threaded)
			pthread_join(g->files[i].thread, NULL);
	rc = g->failed ? -1 : 0;
	if (rc != 0)
		*err = g->err;
	pthread_mutex_destroy(&g->lock);
	free(g->files);
	free(g);
	return rc;
}

static bool
complete_at(struct storage *st, const char *id)
{
	uint64_t size;

	return storage_stat(st, id, STORAGE_METADATA, &size, NULL) == 0;
}

static int
repo_progress_fn(void *ud, uint64_t delta)
{
	struct job *job = ud;

	(void)delta;
	return job_cancelled(job) ? -1 : 0;
}

/* A backup of format 2: what the destination's repository lacks. */
static int
transfer_repo(struct job *job, struct storage *src, struct storage *dst, const char *id,
    bool *already, struct vs_error *err)
{
	struct storage_progress progress = { .fn = repo_progress_fn, .ud = job };
	uint64_t sent;
	char human[24];

	if (complete_at(dst, id)) {
		job_log(job, VS_LOG_INFO, _("%s is already complete in %s"), id, storage_location(dst));
		*already = true;
		return 0;
	}
	job_progress(job, _("copying what is missing"), 0, 0, false);
	if (repo_copy_backup(job_config(job), job, src, dst, id, &progress, &sent, err) != 0) {
		if (job_cancelled(job))
			job_cancel_error(err);
		return -1;
	}
	format_bytes(sent, human, sizeof human);
	job_log(job, VS_LOG_INFO, _("copied %s to %s (%s of packs sent)"), id,
	    storage_location(dst), human);
	return 0;
}

/* Does st keep backup id's files on this host? */
static bool
xfer_here(struct storage *st, const char *id)
{
	char *path = storage_local_path(st, id, STORAGE_METADATA);

	if (path == NULL)
		return false;
	free(path);
	return true;
}

static int
transfer_copy_ex(struct job *job, const char *from, const char *to, const char *id,
    bool *already, char **where_to, struct vs_error *err)
{
	struct storage *src = NULL, *dst = NULL;
	struct storage_txn *txn = NULL;
	struct manifest m;
	uint64_t total;
	char *json = NULL, *where = NULL;
	bool src_here, dst_here;
	size_t len;
	int rc = -1;

	memset(&m, 0, sizeof m);
	*already = false;
	job_set_backup(job, id);
	if (jobs_storage_open(job, from, &src, err) != 0 || jobs_storage_open(job, to, &dst, err) != 0)
		goto out;
	if (where_to != NULL)
		*where_to = xstrdup(storage_location(dst));
	/* A listing of the repository that failed is the reason, not a
	 * plain backup that is not there. */
	switch (repo_view_lookup(src, id, err)) {
	case 1:
		rc = transfer_repo(job, src, dst, id, already, err);
		goto out;
	case -1:
		goto out;
	}
	if (storage_read_small(src, id, STORAGE_METADATA, MANIFEST_MAX_SIZE, &json, &len, err) != 0) {
		if (err->code == VS_ERR_NOTFOUND)
			error_set(err, VS_ERR_NOTFOUND, _("backup %s is not complete in %s"), id,
			    storage_location(src));
		goto out;
	}
	where = xasprintf("%s/%s/%s", storage_location(src), id, STORAGE_METADATA);
	if (manifest_parse(json, where, &m, err) != 0)
		goto out;
	if (strcmp(m.backup_id, id) != 0) {
		error_set(err, VS_ERR_FORMAT, _("%s: backup_id is %s, not %s"), where, m.backup_id, id);
		goto out;
	}
	if (complete_at(dst, id)) {
		job_log(job, VS_LOG_INFO, _("%s is already complete in %s"), id, storage_location(dst));
		*already = true;
		rc = 0;
		goto out;
	}
	/* A remote source is fetched to a temp file first (twice the bytes),
	 * unless the destination can be filled in place. */
	total = manifest_total_size(&m);
	src_here = xfer_here(src, id);
	dst_here = xfer_here(dst, id);
	if (!src_here && !dst_here)
		total *= 2;
	if (storage_begin(dst, id, &txn, err) != 0)
		goto out;
	if (xfer_files(job, src, txn, id, !dst_here, !src_here && !dst_here, &m, total,
	    err) != 0)
		goto out;
	job_progress(job, _("writing metadata"), total, total, true);
	rc = storage_commit(txn, json, len, err);
	txn = NULL;
	if (rc == 0)
		job_log(job, VS_LOG_INFO, _("copied %s to %s"), id, storage_location(dst));
out:
	storage_abort(txn);
	manifest_clear(&m);
	free(json);
	free(where);
	storage_close(src);
	storage_close(dst);
	return rc;
}

int
transfer_copy(struct job *job, const char *from, const char *to, const char *id,
    struct vs_error *err)
{
	bool already;

	return transfer_copy_ex(job, from, to, id, &already, NULL, err);
}

struct transfer_thread {
	struct job *job;
	const char *from;
	const char *id;
	struct transfer_dest *d;
	pthread_t thread;
	bool threaded;
};

static void *
transfer_each_thread(void *arg)
{
	struct transfer_thread *t = arg;
	const struct config *cfg = job_config(t->job);

	error_clear(&t->d->err);
	t->d->rc = transfer_copy_ex(t->job, t->from, cfg->locations[t->d->loc].name, t->id,
	    &t->d->already, &t->d->where, &t->d->err);
	return NULL;
}

void
transfer_copy_each(struct job *job, const char *from, const char *id,
    struct transfer_dest *d, size_t n)
{
	struct transfer_thread *t = xcalloc(n + 1, sizeof *t);

	for (size_t i = 0; i < n; i++) {
		t[i].job = job;
		t[i].from = from;
		t[i].id = id;
		t[i].d = &d[i];
		t[i].threaded = n > 1 &&
		    pthread_create(&t[i].thread, NULL, transfer_each_thread, &t[i]) == 0;
		if (!t[i].threaded)
			transfer_each_thread(&t[i]);
	}
	for (size_t i = 0; i < n; i++)
		if (t[i].threaded)
			pthread_join(t[i].thread, NULL);
	free(t);
}

void
transfer_dest_free(struct transfer_dest *d, size_t n)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(d[i].where);
	free(d);
}
