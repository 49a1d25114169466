/*
 * The local driver: an object is the file {backup_dir}/{key}. Puts go to a
 * hidden temp file beside the target, are synced and renamed over it, and
 * the directory is synced: an object is there whole or not at all. Folders
 * are directories, created 0700 as needed; files are 0600. Nothing is
 * followed through a symbolic link, and hidden names (temp files, the lock,
 * the journal) are never listed.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/format.h"
#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "storage/posix/posix.h"
#include "storage/storage.intern.h"

#define COPY_BUF (1024 * 1024)
#define LIST_MAX_DEPTH 8

static char *
posix_path(struct storage *st, const char *key)
{
	size_t len = strlen(key);

	/* A folder's path has no trailing '/'. */
	if (len > 0 && key[len - 1] == '/')
		return xasprintf("%s/%.*s", st->location, (int)(len - 1), key);
	return xasprintf("%s/%s", st->location, key);
}

/* The error code for an errno. */
static enum vs_code
io_code(int e)
{
	return e == ENOENT ? VS_ERR_NOTFOUND : e == ENOSPC ? VS_ERR_NOSPACE : VS_ERR_IO;
}

#define io_error(err, e, fmt, path) error_errno((err), io_code(e), (e), (fmt), (path))

/* Copy the body into dst, showing it to the tap. */
static int
posix_copy_body(const struct storage_body *body, int dst, const char *dst_name,
    const struct storage_progress *progress, struct vs_error *err)
{
	char *buf = body->data == NULL ? xmalloc(COPY_BUF) : NULL;
	uint64_t off = 0;
	int rc = -1;

	while (off < body->len) {
		size_t want = body->len - off < COPY_BUF ? (size_t)(body->len - off) : COPY_BUF;
		const char *p;

		if (body->data != NULL) {
			p = (const char *)body->data + off;
		} else {
			ssize_t n = fs_pread_full(body->fd, buf, want, (off_t)(body->off + off));

			if (n < 0) {
				error_errno(err, VS_ERR_IO, errno, _("cannot read the data for %s"),
				    dst_name);
				goto out;
			}
			if ((size_t)n < want) {
				error_set(err, VS_ERR_IO,
				    _("the data for %s ended after %llu bytes, %llu were expected (was "
				      "it truncated while being copied?)"), dst_name,
				    (unsigned long long)(off + (uint64_t)n),
				    (unsigned long long)body->len);
				goto out;
			}
			p = buf;
		}
		if (body->tap != NULL && filter_write(body->tap, p, want, err) != 0)
			goto out;
		if (fs_write_full(dst, p, want) != 0) {
			io_error(err, errno, _("cannot write %s"), dst_name);
			goto out;
		}
		off += want;
		if (storage_progress_report(progress, want) != 0) {
			error_set(err, VS_ERR_CANCELLED, _("cancelled"));
			goto out;
		}
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

static int
posix_mkparent(const char *path, struct vs_error *err)
{
	char *dir = fs_dirname(path);
	int rc = fs_mkdir_p(dir, 0700, err);

	free(dir);
	return rc;
}

/* Rename tmp over path and make both durable. */
static int
posix_publish(const char *tmp, const char *path, struct vs_error *err)
{
	char *dir;
	int rc;

	if (rename(tmp, path) != 0)
		return error_errno(err, VS_ERR_IO, errno, _("cannot rename %s to %s"), tmp, path);
	dir = fs_dirname(path);
	rc = fs_fsync_dir(dir, err);
	free(dir);
	return rc;
}

static int
posix_put(struct storage *st, const char *key, const struct storage_body *body,
    const struct storage_progress *progress, struct vs_error *err)
{
	char *path = posix_path(st, key), *dir = NULL, *tmp = NULL;
	struct stat sb;
	int fd = -1, rc = -1;

	if (posix_mkparent(path, err) != 0)
		goto out;
	/* A spooled body on this file system is moved, not copied. */
	if (body->spool_path != NULL && body->tap == NULL && body->off == 0 &&
	    fstat(body->fd, &sb) == 0 && (uint64_t)sb.st_size == body->len) {
		if (fsync(body->fd) != 0) {
			io_error(err, errno, _("cannot sync %s"), body->spool_path);
			goto out;
		}
		if (rename(body->spool_path, path) == 0) {
			dir = fs_dirname(path);
			rc = fs_fsync_dir(dir, err);
			if (rc == 0 && storage_progress_report(progress, body->len) != 0)
				rc = error_set(err, VS_ERR_CANCELLED, _("cancelled"));
			goto out;
		}
		if (errno != EXDEV) {
			error_errno(err, VS_ERR_IO, errno, _("cannot rename %s to %s"),
			    body->spool_path, path);
			goto out;
		}
	}
	dir = fs_dirname(path);
	{
		const char *slash = strrchr(path, '/');

		tmp = xasprintf("%s/.%s.tmp-XXXXXX", dir, slash != NULL ? slash + 1 : path);
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		io_error(err, errno, _("cannot create %s"), tmp);
		goto out;
	}
	if (fchmod(fd, 0600) != 0) {
		io_error(err, errno, _("cannot write %s"), tmp);
		goto fail;
	}
	if (body->data == NULL)
		posix_fadvise(body->fd, (off_t)body->off, (off_t)body->len, POSIX_FADV_SEQUENTIAL);
	if (posix_copy_body(body, fd, path, progress, err) != 0)
		goto fail;
	if (fsync(fd) != 0) {
		io_error(err, errno, _("cannot sync %s"), tmp);
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		io_error(err, errno, _("cannot write %s"), tmp);
		goto fail;
	}
	fd = -1;
	if (posix_publish(tmp, path, err) != 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(tmp);
	free(dir);
	free(path);
	return rc;
}

static int
posix_open_file(const char *path, struct stat *sb, struct vs_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return io_error(err, errno, _("cannot open %s"), path);
	if (fstat(fd, sb) != 0 || !S_ISREG(sb->st_mode)) {
		error_set(err, VS_ERR_IO, _("%s is not a regular file"), path);
		close(fd);
		return -1;
	}
	return fd;
}

static int
posix_get(struct storage *st, const char *key, uint64_t off, uint64_t len,
    const struct storage_sink *sink, const char *etag,
    const struct storage_progress *progress, struct vs_error *err)
{
	char *path = posix_path(st, key), *buf = NULL;
	uint64_t done = 0;
	struct stat sb;
	int fd, rc = -1;

	(void)etag;
	if ((fd = posix_open_file(path, &sb, err)) < 0)
		goto out;
	if (len > 4 * COPY_BUF)
		posix_fadvise(fd, (off_t)off, (off_t)len, POSIX_FADV_SEQUENTIAL);
	if (sink->buf == NULL)
		buf = xmalloc(COPY_BUF);
	while (done < len) {
		size_t want = len - done < COPY_BUF ? (size_t)(len - done) : COPY_BUF;
		char *p = sink->buf != NULL ? (char *)sink->buf + done : buf;
		ssize_t n = fs_pread_full(fd, p, want, (off_t)(off + done));

		if (n < 0) {
			io_error(err, errno, _("cannot read %s"), path);
			goto out;
		}
		if ((size_t)n < want) {
			error_set(err, VS_ERR_IO, _("%s ended after %llu bytes, %llu were expected"),
			    path, (unsigned long long)(off + done + (uint64_t)n),
			    (unsigned long long)(off + len));
			goto out;
		}
		if (sink->buf == NULL) {
			uint64_t at = sink->fd_off + done, w = 0;

			while (w < want) {
				ssize_t k = pwrite(sink->fd, p + w, want - w, (off_t)(at + w));

				if (k < 0 && errno == EINTR)
					continue;
				if (k <= 0) {
					io_error(err, k < 0 ? errno : EIO,
					    _("cannot write %s"), _("the destination file"));
					goto out;
				}
				w += (uint64_t)k;
			}
		}
		done += want;
		if (sink->buf == NULL && progress != NULL && progress->landed != NULL)
			progress->landed(progress->ud, done);
		if (storage_progress_report(progress, want) != 0) {
			error_set(err, VS_ERR_CANCELLED, _("cancelled"));
			goto out;
		}
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	free(path);
	return rc;
}

static int
posix_head(struct storage *st, const char *key, struct storage_stat *out,
    struct vs_error *err)
{
	char *path = posix_path(st, key);
	struct stat sb;
	int rc = 0;

	if (fstatat(AT_FDCWD, path, &sb, AT_SYMLINK_NOFOLLOW) != 0)
		rc = io_error(err, errno, _("cannot examine %s"), path);
	else if (!S_ISREG(sb.st_mode))
		rc = error_set(err, VS_ERR_IO, _("%s is not a regular file"), path);
	else {
		out->size = (uint64_t)sb.st_size;
		out->mtime = sb.st_mtime;
	}
	free(path);
	return rc;
}

static int
posix_read(struct storage *st, const char *key, size_t max, char **data, size_t *len,
    struct vs_error *err)
{
	char *path = posix_path(st, key);
	int rc = fs_read_all(path, max, data, len, err);

	free(path);
	return rc;
}

struct walk {
	struct storage *st;
	const char *prefix;
	size_t plen;
	int depth;
	storage_object_cb cb;
	void *ud;
};

/* Is the folder rel ("a/b/") worth entering for prefix? */
static bool
walk_wanted(const struct walk *w, const char *rel, size_t rlen)
{
	size_t n = rlen < w->plen ? rlen : w->plen;

	return strncmp(rel, w->prefix, n) == 0;
}

static int
walk_dir(struct walk *w, int dfd, char *rel, size_t rlen, int level, struct vs_error *err)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	int rc = 0;

	if (d == NULL) {
		close(dfd);
		return error_errno(err, VS_ERR_IO, errno, _("cannot list %s/%s"), w->st->location, rel);
	}
	while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
		struct storage_object o;
		struct stat sb;
		size_t nlen = strlen(de->d_name);

		if (de->d_name[0] == '.' || rlen + nlen + 2 > STORAGE_KEY_MAX + 1)
			continue;
		if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		memcpy(rel + rlen, de->d_name, nlen);
		rel[rlen + nlen] = '\0';
		memset(&o, 0, sizeof o);
		o.key = rel;
		o.mtime = sb.st_mtime;
		if (S_ISREG(sb.st_mode)) {
			o.size = (uint64_t)sb.st_size;
			if (strncmp(rel, w->prefix, w->plen) == 0)
				rc = w->cb(w->ud, &o);
		} else if (S_ISDIR(sb.st_mode)) {
			int sub;

			rel[rlen + nlen] = '/';
			rel[rlen + nlen + 1] = '\0';
			if (!walk_wanted(w, rel, rlen + nlen + 1))
				continue;
			o.dir = true;
			if (strncmp(rel, w->prefix, w->plen) == 0 && (rc = w->cb(w->ud, &o)) != 0)
				break;
			if ((w->depth > 0 && level + 1 >= w->depth) || level + 1 >= LIST_MAX_DEPTH)
				continue;
			sub = openat(dirfd(d), de->d_name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0)
				continue;
			rc = walk_dir(w, sub, rel, rlen + nlen + 1, level + 1, err);
		}
	}
	if (rc == 0 && errno != 0)
		rc = error_errno(err, VS_ERR_IO, errno, _("cannot list %s/%s"), w->st->location, rel);
	closedir(d);
	return rc;
}

static int
posix_list(struct storage *st, const char *prefix, int depth, storage_object_cb cb,
    void *ud, struct vs_error *err)
{
	struct walk w = { st, prefix, strlen(prefix), depth, cb, ud };
	const char *slash = strrchr(prefix, '/');
	size_t start = slash != NULL ? (size_t)(slash - prefix) + 1 : 0;
	char rel[STORAGE_KEY_MAX + 2];
	char *dir;
	int dfd, level = 0;

	/* Start in the deepest folder the prefix names in full. */
	memcpy(rel, prefix, start);
	rel[start] = '\0';
	for (size_t i = 0; i < start; i++)
		level += prefix[i] == '/';
	dir = start > 0 ? xasprintf("%s/%.*s", st->location, (int)start, prefix) :
	    xstrdup(st->location);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		int e = errno;

		free(dir);
		if (e == ENOENT || e == ENOTDIR)
			return 0;
		return error_errno(err, VS_ERR_IO, e, _("cannot list %s"), st->location);
	}
	free(dir);
	/* A callback's stop is not a failure. */
	return walk_dir(&w, dfd, rel, start, level, err) < 0 ? -1 : 0;
}

static int
posix_remove(struct storage *st, const char *key, struct vs_error *err)
{
	char *path = posix_path(st, key), *dir;
	size_t len = strlen(key);
	int rc = 0;

	if ((len > 0 && key[len - 1] == '/' ? rmdir(path) : unlink(path)) != 0) {
		if (errno != ENOENT)
			rc = error_errno(err, VS_ERR_IO, errno, _("cannot remove %s"), path);
		free(path);
		return rc;
	}
	dir = fs_dirname(path);
	rc = fs_fsync_dir(dir, err);
	free(dir);
	free(path);
	return rc;
}

static int
posix_remove_prefix(struct storage *st, const char *prefix, struct vs_error *err)
{
	char *path = posix_path(st, prefix), *dir;
	int rc;

	rc = fs_remove_tree(path, err);
	if (rc == 0) {
		dir = fs_dirname(path);
		rc = fs_fsync_dir(dir, err);
		free(dir);
	}
	free(path);
	return rc;
}

static int
posix_rename_prefix(struct storage *st, const char *from, const char *to,
    struct vs_error *err)
{
	char *src = posix_path(st, from), *dst = posix_path(st, to);
	int rc = -1;

	/* An empty backup never made its folder. */
	if (fs_mkdir_p(src, 0700, err) != 0 || fs_fsync_dir(src, err) != 0)
		goto out;
	rc = posix_publish(src, dst, err);
out:
	free(src);
	free(dst);
	return rc;
}

static int
posix_put_open(struct storage *st, const char *key, uint64_t size, int *fd,
    struct vs_error *err)
{
	char *path = posix_path(st, key), human[32];
	int rc = 0;

	if (posix_mkparent(path, err) != 0) {
		free(path);
		return -1;
	}
	*fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
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
posix_put_close(struct storage *st, const char *key, int fd, uint64_t size,
    struct vs_error *err)
{
	char *path = posix_path(st, key);
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

static char *
posix_local_path(struct storage *st, const char *key)
{
	return posix_path(st, key);
}

static void
posix_close(struct storage *st)
{
	(void)st;
}

static const struct storage_driver storage_posix_driver = {
	.name = "local",
	.put = posix_put,
	.get = posix_get,
	.head = posix_head,
	.list = posix_list,
	.remove = posix_remove,
	.close = posix_close,
	.read = posix_read,
	.remove_prefix = posix_remove_prefix,
	.rename_prefix = posix_rename_prefix,
	.put_open = posix_put_open,
	.put_close = posix_put_close,
	.local_path = posix_local_path,
};

int
storage_open_posix(const struct config *cfg, const struct config_location *loc,
    struct storage **out, struct vs_error *err)
{
	if (fs_mkdir_p(cfg->backup_dir, 0700, err) != 0)
		return error_prefix(err, _("backup_dir"));
	*out = storage_new(&storage_posix_driver, cfg, loc, xstrdup(cfg->backup_dir), NULL);
	return 0;
}

static char *
posix_describe(const struct config *cfg, const struct config_location *loc)
{
	(void)loc;
	return xstrdup(cfg->backup_dir);
}

/* backup_dir: the first location, configured by backup_dir itself. */
const struct config_driver storage_posix_kind = {
	.name = "local",
	.label = N_("local"),
	.describe = posix_describe,
	.open = storage_open_posix,
};
