#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "jobs/meter.h"
#include "jobs/transfer.h"
#include "manifest/manifest.h"
#include "storage/storage.h"

/* An fd holding the source file: the file itself when the source is on
 * local disk, else a temp file in backup_dir it was fetched into. */
static int
source_fd(struct job *job, struct storage *src, const char *id, const struct manifest_file *f,
    struct job_meter *meter, char **tmp, struct vs_error *err)
{
	const struct config *cfg = job_config(job);
	char *path = storage_local_path(src, id, f->name);
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
	*tmp = xasprintf("%s/.download-%s-%s-XXXXXX", cfg->backup_dir, id, f->name);
	fd = mkstemp(*tmp);
	if (fd < 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot create %s"), *tmp);
		free(*tmp);
		*tmp = NULL;
		return -1;
	}
	job_meter_phase(meter, _("downloading %s"), f->name);
	if (storage_get(src, id, f->name, fd, f->size, &meter->progress, err) != 0) {
		close(fd);
		unlink(*tmp);
		free(*tmp);
		*tmp = NULL;
		return -1;
	}
	return fd;
}

static bool
complete_at(struct storage *st, const char *id)
{
	uint64_t size;

	return storage_stat(st, id, STORAGE_METADATA, &size, NULL) == 0;
}

int
transfer_copy(struct job *job, const char *from, const char *to, const char *id,
    struct vs_error *err)
{
	const struct config *cfg = job_config(job);
	struct storage *src = NULL, *dst = NULL;
	struct storage_txn *txn = NULL;
	struct job_meter meter;
	struct manifest m;
	char *json = NULL, *where = NULL, *where_local;
	size_t len;
	int rc = -1;

	memset(&m, 0, sizeof m);
	job_set_backup(job, id);
	if (storage_open(cfg, from, &src, err) != 0 || storage_open(cfg, to, &dst, err) != 0)
		goto out;
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
		rc = 0;
		goto out;
	}
	/* A remote source is fetched to a temp file first: twice the bytes. */
	job_meter_init(&meter, job, manifest_total_size(&m));
	where_local = storage_local_path(src, id, STORAGE_METADATA);
	if (where_local == NULL)
		meter.total *= 2;
	free(where_local);
	if (storage_begin(dst, id, &txn, err) != 0)
		goto out;
	{
		const struct manifest_file *files[] = { &m.redis.file, &m.content.file, &m.user.file };

		for (size_t i = 0; i < 3; i++) {
			const struct manifest_file *f = files[i];
			unsigned char md[32];
			char hex[65], *tmp;
			int fd, prc;

			if (!f->present)
				continue;
			if ((fd = source_fd(job, src, id, f, &meter, &tmp, err)) < 0)
				goto out;
			job_meter_phase(&meter, strcmp(to, "s3") == 0 ? _("uploading %s") :
			    _("storing %s"), f->name);
			prc = storage_put(txn, f->name, fd, f->size, &meter.progress, md, err);
			close(fd);
			if (tmp != NULL) {
				unlink(tmp);
				free(tmp);
			}
			if (prc != 0)
				goto out;
			manifest_hex(md, hex);
			if (strcmp(hex, f->sha256) != 0) {
				error_set(err, VS_ERR_VERIFY,
				    _("%s of backup %s from %s does not match its SHA-256 in metadata.json "
				      "(the source copy is damaged); nothing was stored"),
				    f->name, id, storage_location(src));
				goto out;
			}
		}
	}
	job_progress(job, _("writing metadata"), meter.total, meter.total, true);
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
