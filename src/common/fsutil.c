#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"

int
fs_mkdir_p(const char *path, mode_t mode, struct vs_error *err)
{
	char *copy = xstrdup(path), *p;

	for (p = copy + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, mode) != 0 && errno != EEXIST) {
			error_errno(err, VS_ERR_IO, errno, _("cannot create directory %s"), copy);
			free(copy);
			return -1;
		}
		*p = '/';
	}
	if (mkdir(copy, mode) != 0 && errno != EEXIST) {
		error_errno(err, VS_ERR_IO, errno, _("cannot create directory %s"), copy);
		free(copy);
		return -1;
	}
	free(copy);
	return 0;
}

int
fs_fsync_dir(const char *path, struct vs_error *err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return error_errno(err, VS_ERR_IO, errno, _("cannot open directory %s"), path);
	if (fsync(fd) != 0) {
		int e = errno;
		close(fd);
		return error_errno(err, VS_ERR_IO, e, _("cannot sync directory %s"), path);
	}
	close(fd);
	return 0;
}

int
fs_write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

ssize_t
fs_pread_full(int fd, void *buf, size_t len, off_t off)
{
	char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, p + got, len - got, off + (off_t)got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int
fs_owner_apply(int fd, const struct fs_owner *own)
{
	/* Owner first: chown clears the set-id bits a mode may carry. */
	if (own->known && geteuid() == 0 && fchown(fd, own->uid, own->gid) != 0)
		return -1;
	return fchmod(fd, own->mode & 07777);
}

int
fs_temp_beside(const char *path, char **tmp, struct vs_error *err)
{
	char *dir = fs_dirname(path), *copy = xstrdup(path);
	int fd;

	/* mkostemp opens with O_CREAT|O_EXCL: a name planted there before,
	 * a symbolic link included, makes it pick another, never follow. */
	*tmp = xasprintf("%s/.%s.vsbackup-XXXXXX", dir, basename(copy));
	free(copy);
	fd = mkostemp(*tmp, O_CLOEXEC);
	if (fd < 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot create %s"), path);
		free(*tmp);
		*tmp = NULL;
	}
	free(dir);
	return fd;
}

int
fs_write_atomic_as(const char *path, const void *data, size_t len,
    const struct fs_owner *own, struct vs_error *err)
{
	char *tmp = NULL, *dir = fs_dirname(path);
	int fd, rc = -1;

	fd = fs_temp_beside(path, &tmp, err);
	if (fd < 0)
		goto out;
	if (fs_owner_apply(fd, own) != 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot set the owner and mode of %s"), tmp);
		goto fail;
	}
	if (fs_write_full(fd, data, len) != 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot write %s"), tmp);
		goto fail;
	}
	if (fsync(fd) != 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot sync %s"), tmp);
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		error_errno(err, VS_ERR_IO, errno, _("cannot write %s"), tmp);
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot rename %s to %s"), tmp, path);
		goto fail;
	}
	rc = fs_fsync_dir(dir, err);
	goto out;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(tmp);
	free(dir);
	return rc;
}

int
fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
    struct vs_error *err)
{
	struct fs_owner own = { .known = false, .mode = mode };

	return fs_write_atomic_as(path, data, len, &own, err);
}

int
fs_read_all(const char *path, size_t max, char **out, size_t *outlen,
    struct vs_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 4096, len = 0;
	char *buf;

	if (fd < 0)
		return error_errno(err, errno == ENOENT ? VS_ERR_NOTFOUND : VS_ERR_IO,
		    errno, _("cannot open %s"), path);
	buf = xmalloc(cap + 1);
	for (;;) {
		ssize_t n;

		if (len == cap) {
			if (cap >= max) {
				close(fd);
				free(buf);
				return error_set(err, VS_ERR_FORMAT,
				    _("%s is larger than %zu bytes"), path, max);
			}
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			error_errno(err, VS_ERR_IO, errno, _("cannot read %s"), path);
			close(fd);
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len > max) {
		free(buf);
		return error_set(err, VS_ERR_FORMAT, _("%s is larger than %zu bytes"), path, max);
	}
	buf[len] = '\0';
	*out = buf;
	if (outlen != NULL)
		*outlen = len;
	return 0;
}

int
fs_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

int
fs_free_bytes(const char *path, uint64_t *out, struct vs_error *err)
{
	struct statvfs sv;

	if (statvfs(path, &sv) != 0)
		return error_errno(err, VS_ERR_IO, errno, _("cannot read free space of %s"), path);
	*out = (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
	return 0;
}

char *
fs_join(const char *dir, const char *name)
{
	size_t n = strlen(dir);

	if (n > 0 && dir[n - 1] == '/')
		return xasprintf("%s%s", dir, name);
	return xasprintf("%s/%s", dir, name);
}

void
fs_writeback_start(int fd, off_t off, off_t len)
{
#ifdef SYNC_FILE_RANGE_WRITE
	/* Advice only: a failure here shows again at the fsync. */
	(void)sync_file_range(fd, off, len, SYNC_FILE_RANGE_WRITE);
#else
	(void)fd;
	(void)off;
	(void)len;
#endif
}

int
fs_reserve(int fd, uint64_t size)
{
#ifdef FALLOC_FL_KEEP_SIZE
	if (size > 0 && fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)size) != 0 &&
	    errno != EOPNOTSUPP && errno != ENOSYS)
		return -1;
#else
	(void)fd;
	(void)size;
#endif
	return 0;
}

char *
fs_dirname(const char *path)
{
	/* dirname may change its argument and return a pointer into it. */
	char *copy = xstrdup(path), *d = xstrdup(dirname(copy));

	free(copy);
	return d;
}

char *
fs_existing_dir(const char *path)
{
	char *d = xstrdup(path);

	while (!fs_exists(d) && strcmp(d, "/") != 0 && strcmp(d, ".") != 0) {
		char *parent = fs_dirname(d);

		free(d);
		d = parent;
	}
	return d;
}
