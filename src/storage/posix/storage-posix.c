/*
 * The local driver: backups are directories {backup_dir}/{id}/. A backup
 * being written lives in {id}.partial/ and is renamed when complete, after
 * every file and the directory itself are on disk. Files 0600, dirs 0700.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/format.h"
#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "storage/storage.intern.h"

#define PARTIAL_SUFFIX ".partial"
#define COPY_BUF (1024 * 1024)

struct storage_reader {
	struct storage *st;
	int fd;
	char *path;
};

struct storage_txn {
	struct storage *st;
	char id[BACKUP_ID_SIZE];
	char *dir;      /* {backup_dir}/{id}.partial */
	char *final;    /* {backup_dir}/{id} */
};

static char *
posix_path(struct storage *st, const char *id, const char *file)
{
	if (file == NULL)
		return fs_join(st->location, id);
	return xasprintf("%s/%s/%s", st->location, id, file);
}

static void
posix_dir_stats(const char *dir, uint64_t *bytes, time_t *mtime, bool *has_meta)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	*bytes = 0;
	*mtime = 0;
	*has_meta = false;
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		struct stat sb;

		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(sb.st_mode))
			continue;
		*bytes += (uint64_t)sb.st_size;
		if (sb.st_mtime > *mtime)
			*mtime = sb.st_mtime;
		if (strcmp(de->d_name, STORAGE_METADATA) == 0)
			*has_meta = true;
	}
	closedir(d);
}

static int
posix_list(struct storage *st, storage_list_cb cb, void *ud, struct vs_error *err)
{
	DIR *d = opendir(st->location);
	struct dirent *de;

	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		return error_errno(err, VS_ERR_IO, errno, _("cannot list %s"), st->location);
	}
	while ((de = readdir(d)) != NULL) {
		struct storage_entry e;
		char name[BACKUP_ID_SIZE + sizeof PARTIAL_SUFFIX];
		size_t len = strlen(de->d_name);
		bool partial = false;
		char *dir;

		if (de->d_name[0] == '.')
			continue;
		if (len == BACKUP_ID_SIZE - 1 + strlen(PARTIAL_SUFFIX) &&
		    strcmp(de->d_name + BACKUP_ID_SIZE - 1, PARTIAL_SUFFIX) == 0) {
			partial = true;
			len = BACKUP_ID_SIZE - 1;
		}
		if (len != BACKUP_ID_SIZE - 1)
			continue;
		memcpy(name, de->d_name, len);
		name[len] = '\0';
		if (!backup_id_valid(name))
			continue;
		memset(&e, 0, sizeof e);
		memcpy(e.id, name, sizeof e.id);
		dir = fs_join(st->location, de->d_name);
		posix_dir_stats(dir, &e.bytes, &e.mtime, &e.complete);
		free(dir);
		/* Only a .partial directory is an interrupted backup. A backup
		 * directory that lost its metadata.json is damaged, not
		 * unfinished: its data may still matter, so nothing removes it
		 * as a leftover (retention and delete still can). */
		if (partial)
			e.complete = false;
		e.partial = partial;
		if (cb(ud, &e) != 0)
			break;
	}
	closedir(d);
	return 0;
}

static int
posix_stat(struct storage *st, const char *id, const char *file, uint64_t *size,
    struct vs_error *err)
{
	char *path = posix_path(st, id, file);
	struct stat sb;

	if (stat(path, &sb) != 0) {
		int e = errno;

		error_errno(err, e == ENOENT ? VS_ERR_NOTFOUND : VS_ERR_IO, e,
		    _("cannot examine %s"), path);
		free(path);
		return -1;
	}
	free(path);
	*size = (uint64_t)sb.st_size;
	return 0;
}

static int
posix_read_small(struct storage *st, const char *id, const char *file, size_t max,
    char **data, size_t *len, struct vs_error *err)
{
	char *path = posix_path(st, id, file);
	int rc = fs_read_all(path, max, data, len, err);

	free(path);
	return rc;
}

static int
posix_write_small(struct storage *st, const char *id, const char *file,
    const void *data, size_t len, struct vs_error *err)
{
	char *dir = posix_path(st, id, NULL), *path;
	int rc;

	if (!fs_exists(dir)) {
		error_set(err, VS_ERR_NOTFOUND, _("backup %s does not exist in %s"), id, st->location);
		free(dir);
		return -1;
	}
	path = fs_join(dir, file);
	rc = fs_write_atomic(path, data, len, 0600, err);
	free(path);
	free(dir);
	return rc;
}

static int
posix_remove_small(struct storage *st, const char *id, const char *file,
    struct vs_error *err)
{
	char *path = posix_path(st, id, file);
	int rc = 0;

	if (unlink(path) != 0 && errno != ENOENT)
		rc = error_errno(err, VS_ERR_IO, errno, _("cannot remove %s"), path);
	free(path);
	return rc;
}

static int
posix_open_read(struct storage *st, const char *id, const char *file,
    struct storage_reader **out, struct vs_error *err)
{
	char *path = posix_path(st, id, file);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct storage_reader *r;

	if (fd < 0) {
		int e = errno;

		error_errno(err, e == ENOENT ? VS_ERR_NOTFOUND : VS_ERR_IO, e,
		    _("cannot open %s"), path);
		free(path);
		return -1;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	r = xcalloc(1, sizeof *r);
	r->st = st;
	r->fd = fd;
	r->path = path;
	*out = r;
	return 0;
}

static ssize_t
posix_read(struct storage_reader *r, void *buf, size_t len, struct vs_error *err)
{
	for (;;) {
		ssize_t n = read(r->fd, buf, len);

		if (n >= 0)
			return n;
		if (errno != EINTR)
			return error_errno(err, VS_ERR_IO, errno, _("cannot read %s"), r->path);
	}
}

static void
posix_reader_close(struct storage_reader *r)
{
	close(r->fd);
	free(r->path);
	free(r);
}

/* Copy size bytes from src (pread from 0) to dst (written sequentially),
 * hashing what passes. Memory: one fixed buffer. */
static int
posix_copy(int src, const char *src_name, int dst, const char *dst_name, uint64_t size,
    const struct storage_progress *progress, unsigned char sha256[32],
    struct vs_error *err)
{
	char *buf = xmalloc(COPY_BUF);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint64_t off = 0;
	int rc = -1;

	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		fatal("cannot initialise SHA-256");
	while (off < size) {
		size_t want = size - off < COPY_BUF ? (size_t)(size - off) : COPY_BUF;
		ssize_t n = fs_pread_full(src, buf, want, (off_t)off);

		if (n < 0) {
			error_errno(err, VS_ERR_IO, errno, _("cannot read %s"), src_name);
			goto out;
		}
		if ((size_t)n < want) {
			error_set(err, VS_ERR_IO,
			    _("%s ended after %llu bytes, %llu were expected (was it truncated "
			      "while being copied?)"), src_name,
			    (unsigned long long)(off + (uint64_t)n), (unsigned long long)size);
			goto out;
		}
		EVP_DigestUpdate(md, buf, (size_t)n);
		if (fs_write_full(dst, buf, (size_t)n) != 0) {
			error_errno(err, VS_ERR_IO, errno, _("cannot write %s"), dst_name);
			goto out;
		}
		off += (uint64_t)n;
		if (progress != NULL && progress->fn != NULL &&
		    progress->fn(progress->ud, (uint64_t)n) != 0) {
			error_set(err, VS_ERR_CANCELLED, _("cancelled"));
			goto out;
		}
	}
	if (sha256 != NULL)
		EVP_DigestFinal_ex(md, sha256, NULL);
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	free(buf);
	return rc;
}

static int
posix_get(struct storage *st, const char *id, const char *file, int fd, uint64_t size,
    const struct storage_progress *progress, struct vs_error *err)
{
	char *path = posix_path(st, id, file);
	int src = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (src < 0) {
		int e = errno;

		error_errno(err, e == ENOENT ? VS_ERR_NOTFOUND : VS_ERR_IO, e,
		    _("cannot open %s"), path);
		free(path);
		return -1;
	}
	posix_fadvise(src, 0, 0, POSIX_FADV_SEQUENTIAL);
	rc = posix_copy(src, path, fd, _("the destination file"), size, progress, NULL, err);
	close(src);
	free(path);
	return rc;
}

static int
posix_begin(struct storage *st, const char *id, struct storage_txn **out,
    struct vs_error *err)
{
	struct storage_txn *txn;
	char *final = fs_join(st->location, id);
	char *dir = xasprintf("%s%s", final, PARTIAL_SUFFIX);

	if (fs_exists(final)) {
		error_set(err, VS_ERR_REFUSED, _("backup %s already exists in %s"), id, st->location);
		goto fail;
	}
	if (fs_remove_tree(dir, err) != 0)
		goto fail;
	if (mkdir(dir, 0700) != 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot create directory %s"), dir);
		goto fail;
	}
	txn = xcalloc(1, sizeof *txn);
	txn->st = st;
	snprintf(txn->id, sizeof txn->id, "%s", id);
	txn->dir = dir;
	txn->final = final;
	*out = txn;
	return 0;
fail:
	free(dir);
	free(final);
	return -1;
}

static int
posix_put(struct storage_txn *txn, const char *file, int fd, uint64_t size,
    const struct storage_progress *progress, unsigned char sha256[32],
    struct vs_error *err)
{
	char *path = fs_join(txn->dir, file);
	int dst = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int rc = -1;

	if (dst < 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot create %s"), path);
		free(path);
		return -1;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (posix_copy(fd, file, dst, path, size, progress, sha256, err) != 0)
		goto out;
	if (fsync(dst) != 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot sync %s"), path);
		goto out;
	}
	rc = 0;
out:
	if (close(dst) != 0 && rc == 0)
		rc = error_errno(err, VS_ERR_IO, errno, _("cannot write %s"), path);
	free(path);
	return rc;
}

static int
posix_put_open(struct storage_txn *txn, const char *file, uint64_t size, int *fd,
    struct vs_error *err)
{
	char *path = fs_join(txn->dir, file), human[32];
	int rc = 0;

	*fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (*fd < 0)
		rc = error_errno(err, VS_ERR_IO, errno, _("cannot create %s"), path);
	else if (fs_reserve(*fd, size) != 0) {
		format_bytes(size, human, sizeof human);
		rc = error_errno(err, VS_ERR_IO, errno, _("cannot set aside %s for %s"), human,
		    path);
		close(*fd);
		*fd = -1;
	}
	free(path);
	return rc;
}

static int
posix_put_close(struct storage_txn *txn, const char *file, int fd, uint64_t size,
    struct vs_error *err)
{
	char *path = fs_join(txn->dir, file);
	struct stat sb;
	int rc = -1;

	if (fstat(fd, &sb) != 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot examine %s"), path);
		goto out;
	}
	if ((uint64_t)sb.st_size != size) {
		error_set(err, VS_ERR_IO, _("%s holds %llu bytes, %llu were expected"), path,
		    (unsigned long long)sb.st_size, (unsigned long long)size);
		goto out;
	}
	if (fsync(fd) != 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot sync %s"), path);
		goto out;
	}
	rc = 0;
out:
	if (close(fd) != 0 && rc == 0)
		rc = error_errno(err, VS_ERR_IO, errno, _("cannot write %s"), path);
	free(path);
	return rc;
}

static void
posix_txn_free(struct storage_txn *txn)
{
	free(txn->dir);
	free(txn->final);
	free(txn);
}

static void
posix_abort(struct storage_txn *txn)
{
	fs_remove_tree(txn->dir, NULL);
	posix_txn_free(txn);
}

static int
posix_commit(struct storage_txn *txn, const void *metadata, size_t len,
    struct vs_error *err)
{
	char *meta = fs_join(txn->dir, STORAGE_METADATA);
	int rc = -1;

	if (fs_write_atomic(meta, metadata, len, 0600, err) != 0)
		goto out;
	if (fs_fsync_dir(txn->dir, err) != 0)
		goto out;
	if (rename(txn->dir, txn->final) != 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot rename %s to %s"), txn->dir, txn->final);
		goto out;
	}
	if (fs_fsync_dir(txn->st->location, err) != 0) {
		/* The rename happened; the backup is there even if unsynced. */
		rc = 0;
		goto done;
	}
	rc = 0;
	goto done;
out:
	fs_remove_tree(txn->dir, NULL);
done:
	free(meta);
	posix_txn_free(txn);
	return rc;
}

static int
posix_remove(struct storage *st, const char *id, struct vs_error *err)
{
	char *dir = fs_join(st->location, id);
	char *meta = fs_join(dir, STORAGE_METADATA);
	int rc = -1;

	if (!fs_exists(dir)) {
		error_set(err, VS_ERR_NOTFOUND, _("backup %s does not exist in %s"), id, st->location);
		goto out;
	}
	/* Without metadata.json it no longer counts as a backup, even if the
	 * rest cannot be removed now. */
	if (unlink(meta) != 0 && errno != ENOENT) {
		error_errno(err, VS_ERR_IO, errno, _("cannot remove %s"), meta);
		goto out;
	}
	if (fs_fsync_dir(dir, err) != 0 || fs_remove_tree(dir, err) != 0)
		goto out;
	rc = fs_fsync_dir(st->location, err);
out:
	free(meta);
	free(dir);
	return rc;
}

static int
posix_remove_partial(struct storage *st, const char *id, struct vs_error *err)
{
	char *final = fs_join(st->location, id);
	char *partial = xasprintf("%s%s", final, PARTIAL_SUFFIX);
	int rc = fs_remove_tree(partial, err);

	free(partial);
	free(final);
	return rc;
}

static char *
posix_local_path(struct storage *st, const char *id, const char *file)
{
	return posix_path(st, id, file);
}

static void
posix_close(struct storage *st)
{
	(void)st;
}

static const struct storage_driver storage_posix_driver = {
	.name = "local",
	.list = posix_list,
	.stat = posix_stat,
	.read_small = posix_read_small,
	.write_small = posix_write_small,
	.remove_small = posix_remove_small,
	.open_read = posix_open_read,
	.read = posix_read,
	.reader_close = posix_reader_close,
	.get = posix_get,
	.begin = posix_begin,
	.put = posix_put,
	.commit = posix_commit,
	.abort = posix_abort,
	.remove = posix_remove,
	.remove_partial = posix_remove_partial,
	.close = posix_close,
	.local_path = posix_local_path,
	.put_open = posix_put_open,
	.put_close = posix_put_close,
};

int
storage_open_local(const struct config *cfg, struct storage **out, struct vs_error *err)
{
	if (fs_mkdir_p(cfg->backup_dir, 0700, err) != 0)
		return error_prefix(err, _("backup_dir"));
	*out = storage_new(&storage_posix_driver, cfg, xstrdup(cfg->backup_dir), NULL);
	return 0;
}
