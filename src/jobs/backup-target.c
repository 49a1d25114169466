/* Writing a backup in format 1 or 2 (backup-target.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "faiss/faiss-header.h"
#include "filter/filter.h"
#include "jobs/backup-target.h"
#include "repo/chunker.h"
#include "repo/repo.h"
#include "repo/view.h"

struct backup_target {
	struct job *job;
	struct storage *st;
	struct storage_txn *txn;      /* format 1 */
	struct repo *repo;            /* format 2 */
	struct repo_writer *w;
};

static int
rdb_tap(void *ud, const void *buf, size_t len, struct vs_error *err)
{
	return rdb_reader_feed(ud, buf, len, err);
}

static void
rdb_item(void *ud, uint64_t off)
{
	chunker_hint(ud, off, false);
}

static void
rdb_attach(void *ud, struct chunker *c)
{
	chunker_use_records(c);
	rdb_reader_on_item(ud, rdb_item, c);
}

/* A flat index in an IDMap: chunks start where its codes and its id map
 * start, so appended vectors leave the id map's chunks alone, and cuts in
 * the codes fall between vectors (each vector a record): a vector
 * removed (remove_ids moves the later ones) changes the chunk that held
 * it, not its neighbours. */
struct faiss_attach {
	int fd;
	const char *name;
};

static void
faiss_attach(void *ud, struct chunker *c)
{
	struct faiss_attach *fa = ud;
	struct faiss_header h;
	struct vs_error err;

	error_clear(&err);
	if (faiss_header_read(fa->fd, fa->name, &h, &err) != 0 || !h.size_checked ||
	    h.inner_fourcc[0] == '\0' || h.ntotal < 0 || h.dim <= 0)
		return;
	{
		uint64_t ids = (uint64_t)h.ntotal * 8 + 8;
		uint64_t codes = (uint64_t)h.ntotal * (uint64_t)h.dim * 4 + 8;

		if ((uint64_t)h.file_size < ids + codes)
			return;
		chunker_use_records(c);
		chunker_hint(c, (uint64_t)h.file_size - ids - codes, true);
		chunker_hint(c, (uint64_t)h.file_size - ids, true);
		/* The codes follow their length (8 bytes). */
		chunker_records_every(c, (uint64_t)h.file_size - ids - codes + 8,
		    (uint64_t)h.file_size - ids, (uint32_t)h.dim * 4);
	}
}

int
backup_target_begin(struct job *job, struct storage *st, const char *id,
    struct backup_target **out, bool *taken, struct vs_error *err)
{
	const struct config *cfg = job_config(job);
	struct backup_target *t = xcalloc(1, sizeof *t);
	struct storage_stat sb;
	struct vs_error serr;
	char *key;
	int r;

	t->job = job;
	t->st = st;
	*taken = false;
	if (cfg->repository.format < 2) {
		if (storage_begin(st, id, &t->txn, err) != 0) {
			*taken = err->code == VS_ERR_REFUSED;
			goto fail;
		}
		*out = t;
		return 0;
	}
	/* An id is taken whatever the format of the backup holding it: a
	 * plain backup's metadata or a manifest, one request each (loading
	 * the repository's view for this would cost more than the backup's
	 * own start). */
	error_clear(&serr);
	key = xasprintf("%s/%s", id, STORAGE_METADATA);
	r = storage_obj_head(st, key, &sb, &serr);
	free(key);
	if (r != 0 && serr.code != VS_ERR_NOTFOUND) {
		*err = serr;
		goto fail;
	}
	if (r == 0 || (r = repo_has_backup(st, id, err)) == 1) {
		error_set(err, VS_ERR_REFUSED, _("backup %s already exists in %s"), id,
		    storage_location(st));
		*taken = true;
		goto fail;
	}
	if (r < 0)
		goto fail;
	if (repo_open_local(cfg, st, &t->repo, err) != 0 ||
	    repo_writer_begin(t->repo, job, id, &t->w, err) != 0)
		goto fail;
	*out = t;
	return 0;
fail:
	repo_close(t->repo);
	free(t);
	return -1;
}

int
backup_target_put(struct backup_target *t, const char *name, int fd, uint64_t size,
    struct rdb_reader *rdb, const struct storage_progress *progress,
    struct manifest_file *mf, struct vs_error *err)
{
	struct filter *front = rdb != NULL ? filter_tap_new(rdb_tap, rdb) : NULL;
	unsigned char md[32];
	uint64_t bytes;
	int rc;

	if (t->w != NULL) {
		struct faiss_attach fa = { fd, name };

		return repo_writer_file(t->w, rdb != NULL ? REPO_KIND_RDB : REPO_KIND_FAISS, name,
		    fd, size, front, rdb != NULL ? rdb_attach : faiss_attach,
		    rdb != NULL ? (void *)rdb : (void *)&fa, progress, mf, err);
	}
	front = filter_chain(filter_sha256_new(), front);
	rc = storage_put_filtered(t->txn, name, fd, size, progress, front, err);
	if (rc == 0)
		rc = filter_finish(front, err);
	filter_sha256_result(front, md, &bytes);
	filter_chain_free(front);
	if (rc != 0)
		return -1;
	mf->present = true;
	mf->size = size;
	manifest_hex(md, mf->sha256);
	return 0;
}

bool
backup_target_streams(const struct backup_target *t)
{
	return t->w != NULL;
}

int
backup_target_put_stream(struct backup_target *t, const char *name,
    const struct repo_source *src, void *src_ud, struct rdb_reader *rdb,
    const struct storage_progress *progress, struct manifest_file *mf,
    struct vs_error *err)
{
	if (t->w == NULL)
		fatal("backup_target_put_stream: format 1 cannot store %s while it is written", name);
	return repo_writer_stream(t->w, REPO_KIND_RDB, name, src, src_ud,
	    filter_tap_new(rdb_tap, rdb), rdb_attach, rdb, progress, mf, err);
}

int
backup_target_commit(struct backup_target *t, struct manifest *m, struct vs_error *err)
{
	char *json;
	int rc;

	if (t->w != NULL) {
		rc = repo_writer_commit(t->w, m, err);
		t->w = NULL;
		repo_view_forget(t->st);
	} else {
		m->format_version = 1;
		json = manifest_to_json(m);
		rc = storage_commit(t->txn, json, strlen(json), err);
		t->txn = NULL;
		free(json);
	}
	repo_close(t->repo);
	free(t);
	return rc;
}

void
backup_target_abort(struct backup_target *t)
{
	if (t == NULL)
		return;
	if (t->w != NULL)
		repo_writer_abort(t->w);
	if (t->txn != NULL)
		storage_abort(t->txn);
	repo_close(t->repo);
	free(t);
}
