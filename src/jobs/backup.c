#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "faiss/faiss-header.h"
#include "jobs/backup.h"
#include "jobs/catalog.h"
#include "jobs/capture.h"
#include "jobs/meter.h"
#include "redis/rdb-reader.h"
#include "storage/storage.h"

#define PARSE_BUF (1024 * 1024)

/* The RDB is parsed by a second thread reading the same descriptor while
 * the copy runs, so the key counts cost no extra pass of wall time. */
struct rdb_parse {
	pthread_t thread;
	int fd;
	uint64_t size;
	struct rdb_reader *reader;
	const struct job *job;
	atomic_bool stop;         /* the copy failed: give up */
	struct rdb_summary sum;
	struct vs_error err;
	int rc;
};

static void *
rdb_parse_thread(void *arg)
{
	struct rdb_parse *p = arg;
	char *buf = xmalloc(PARSE_BUF);
	uint64_t off = 0;

	p->rc = -1;
	while (off < p->size) {
		size_t want = p->size - off < PARSE_BUF ? (size_t)(p->size - off) : PARSE_BUF;
		ssize_t n = fs_pread_full(p->fd, buf, want, (off_t)off);

		if (n <= 0) {
			error_set(&p->err, VS_ERR_IO, _("cannot read the Redis snapshot to count its keys"));
			goto out;
		}
		if (rdb_reader_feed(p->reader, buf, (size_t)n, &p->err) != 0)
			goto out;
		off += (uint64_t)n;
		if (job_cancelled(p->job) || atomic_load(&p->stop)) {
			job_cancel_error(&p->err);
			goto out;
		}
	}
	p->rc = rdb_reader_finish(p->reader, &p->sum, &p->err);
out:
	free(buf);
	return NULL;
}

static int
put_file(struct job *job, struct storage_txn *txn, const char *name,
    const struct capture_file *cf, struct job_meter *meter, struct manifest_file *mf,
    struct vs_error *err)
{
	unsigned char md[32];

	memset(mf, 0, sizeof *mf);
	snprintf(mf->name, sizeof mf->name, "%s", name);
	if (cf->fd < 0) {
		mf->present = false;
		mf->note = xstrdup(cf->note ? cf->note : _("missing"));
		job_log(job, VS_LOG_WARN, _("%s is not in this backup: %s"), name, mf->note);
		return 0;
	}
	job_meter_phase(meter, _("copying %s"), name);
	if (storage_put(txn, name, cf->fd, cf->size, &meter->progress, md, err) != 0)
		return -1;
	mf->present = true;
	mf->size = cf->size;
	manifest_hex(md, mf->sha256);
	return 0;
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

void
backup_remove_stale_partials(struct job *job)
{
	struct storage *st;
	struct catalog *cat = catalog_new();
	struct vs_error err;

	error_clear(&err);
	if (storage_open_local(job_config(job), &st, &err) != 0)
		goto out;
	if (catalog_add_location(cat, st, &err) == 0) {
		for (size_t i = 0; i < cat->n; i++) {
			if (!cat->entries[i].local.partial)
				continue;
			if (storage_remove_partial(st, cat->entries[i].id, &err) == 0)
				job_log(job, VS_LOG_INFO,
				    _("removed %s: an incomplete backup left by an interrupted run"),
				    cat->entries[i].id);
			else
				job_log(job, VS_LOG_WARN, "%s", err.msg);
		}
	}
	storage_close(st);
out:
	catalog_free(cat);
}

int
backup_make(struct job *job, const struct backup_opts *opts, struct manifest *m,
    struct vs_error *err)
{
	const struct config *cfg = job_config(job);
	struct storage *st = NULL;
	struct storage_txn *txn = NULL;
	struct capture cap;
	struct rdb_parse parse;
	struct job_meter meter;
	int id_waits = 0;
	bool parsing = false;
	time_t now = time_now();
	char *json = NULL;
	int rc = -1;

	memset(m, 0, sizeof *m);
	memset(&cap, 0, sizeof cap);
	memset(&parse, 0, sizeof parse);
	m->format_version = MANIFEST_FORMAT_VERSION;
	m->type = opts->type;
	m->created_at = now;
	m->tool_version = xstrdup(PACKAGE_STRING);
	backup_id_format(now, m->backup_id);
	job_set_backup(job, m->backup_id);
	job_log(job, VS_LOG_INFO, _("backup %s (%s) started"), m->backup_id,
	    backup_type_name(opts->type));

	if (storage_open_local(cfg, &st, err) != 0)
		goto out;
	for (int attempt = 1;; attempt++) {
		int r;

		if (storage_begin(st, m->backup_id, &txn, err) != 0) {
			/* Ids are seconds: a backup right after another (a
			 * safety backup just after a backup) waits for the next
			 * second, unless VSBACKUP_NOW holds the clock still. */
			if (err->code == VS_ERR_REFUSED && getenv("VSBACKUP_NOW") == NULL &&
			    id_waits++ < 5) {
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
			if (err->code == VS_ERR_REFUSED)
				error_prefix(err, _("two backups in the same second"));
			goto out;
		}
		if (capture_begin(job, opts->tolerant, &cap, err) != 0)
			goto out;
		/* The index files are copied while Redis still writes its snapshot. */
		job_meter_init(&meter, job, 0);
		for (int i = 0; i < CAPTURE_NINDEX; i++)
			meter.total += cap.index[i].fd >= 0 ? cap.index[i].size : 0;
		if (put_file(job, txn, MANIFEST_CONTENT_FILE, &cap.index[CAPTURE_CONTENT], &meter,
		    &m->content.file, err) != 0 ||
		    put_file(job, txn, MANIFEST_USER_FILE, &cap.index[CAPTURE_USER], &meter,
		    &m->user.file, err) != 0)
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
		storage_abort(txn);
		txn = NULL;
		capture_release(&cap);
		free(m->content.file.note);
		free(m->user.file.note);
		memset(&m->content, 0, sizeof m->content);
		memset(&m->user, 0, sizeof m->user);
	}

	m->consistency = xstrdup(cap.coordinated ? "coordinated" : "paused");
	m->redis.redis_version = xstrdup(cap.redis_version);
	m->redis.source = xstrdup(cap.rdb_source);
	if (cap.rdb_path != NULL) {
		char *slash = strrchr(cap.rdb_path, '/');

		m->redis.data_dir = slash ? xstrndup(cap.rdb_path, (size_t)(slash - cap.rdb_path)) :
		    xstrdup("");
		m->redis.dbfilename = xstrdup(slash ? slash + 1 : cap.rdb_path);
	} else {
		m->redis.data_dir = xstrdup("");
		m->redis.dbfilename = xstrdup("");
	}
	m->redis.db = cfg->redis.db;
	m->redis.ncounts = cfg->redis.nprefixes;
	m->redis.counts = xcalloc(cfg->redis.nprefixes + 1, sizeof *m->redis.counts);
	for (size_t i = 0; i < cfg->redis.nprefixes; i++)
		m->redis.counts[i].prefix = xstrdup(cfg->redis.prefixes[i]);
	if (index_info(job, &cap.index[CAPTURE_CONTENT], cfg->faiss.content_index, opts->tolerant,
	    &m->content, err) != 0 ||
	    index_info(job, &cap.index[CAPTURE_USER], cfg->faiss.user_index, opts->tolerant,
	    &m->user, err) != 0)
		goto out;

	meter.total += cap.rdb.size;
	if (cap.rdb.fd >= 0) {
		parse.fd = cap.rdb.fd;
		parse.size = cap.rdb.size;
		parse.job = job;
		parse.reader = rdb_reader_new((const char *const *)cfg->redis.prefixes,
		    cfg->redis.nprefixes, cfg->redis.db);
		error_clear(&parse.err);
		atomic_init(&parse.stop, false);
		if (pthread_create(&parse.thread, NULL, rdb_parse_thread, &parse) != 0)
			fatal("cannot start a thread");
		parsing = true;
	}
	if (put_file(job, txn, MANIFEST_RDB_FILE, &cap.rdb, &meter, &m->redis.file, err) != 0)
		goto out;
	if (parsing) {
		pthread_join(parse.thread, NULL);
		parsing = false;
		if (parse.rc != 0) {
			*err = parse.err;
			error_prefix(err, _("the Redis snapshot could not be read"));
			goto out;
		}
		if (capture_prove(&cap, parse.sum.ctime, parse.sum.db_keys, err) != 0)
			goto out;
		for (size_t i = 0; i < parse.sum.nprefixes && i < m->redis.ncounts; i++)
			m->redis.counts[i].count = parse.sum.prefix_keys[i];
		m->redis.dbsize = parse.sum.db_keys;
		m->redis.rdb_version = parse.sum.version;
		if (m->redis.redis_version[0] == '\0' && parse.sum.redis_ver[0] != '\0') {
			free(m->redis.redis_version);
			m->redis.redis_version = xstrdup(parse.sum.redis_ver);
		}
	}
	if (job_cancelled(job)) {
		job_cancel_error(err);
		goto out;
	}
	m->completed_at = time_now();
	if (m->completed_at < m->created_at)
		m->completed_at = m->created_at;
	json = manifest_to_json(m);
	job_progress(job, _("writing metadata"), meter.total, meter.total, true);
	rc = storage_commit(txn, json, strlen(json), err);
	txn = NULL;
	if (rc == 0)
		job_log(job, VS_LOG_INFO, _("backup %s complete in %s"), m->backup_id,
		    storage_location(st));
out:
	if (parsing) {
		atomic_store(&parse.stop, true);
		pthread_join(parse.thread, NULL);
	}
	rdb_reader_free(parse.reader);
	rdb_summary_clear(&parse.sum);
	if (txn != NULL)
		storage_abort(txn);
	capture_release(&cap);
	storage_close(st);
	free(json);
	if (rc != 0)
		manifest_clear(m);
	return rc;
}
