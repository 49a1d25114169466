#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/live-open.h"
#include "common/xmalloc.h"

/* A user's name for messages: "chimera (uid 998)", or the number. */
static void
live_user(uid_t uid, char *buf, size_t size)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];

	if (getpwuid_r(uid, &pw, tmp, sizeof tmp, &res) == 0 && res != NULL)
		snprintf(buf, size, "%s (uid %u)", pw.pw_name, (unsigned)uid);
	else
		snprintf(buf, size, "uid %u", (unsigned)uid);
}

/* The link name in dirfd points to: a bare name in the same directory, or
 * NULL (err filled). */
static char *
live_link_target(int dirfd, const char *key, const char *path, const char *name,
    struct vs_error *err)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(dirfd, name, target, sizeof target - 1);

	if (n < 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot read the link %s (%s)"), path, key);
		return NULL;
	}
	target[n] = '\0';
	if (strchr(target, '/') != NULL || strcmp(target, ".") == 0 ||
	    strcmp(target, "..") == 0 || target[0] == '\0') {
		error_set(err, VS_ERR_REFUSED, _("%s %s is a symbolic link to %s, outside "
		    "its directory; vsbackup runs as root and follows a link only to a "
		    "file in the same directory: replace the link by the file, or set %s "
		    "to the file itself"), key, path, target, key);
		return NULL;
	}
	return xstrdup(target);
}

/* The owner rules, on the open file st in the directory dst. */
static int
live_check_owner(const char *key, const char *path, const struct stat *st,
    const struct stat *dst, const char *dir, struct vs_error *err)
{
	char owner[128], downer[128];

	live_user(st->st_uid, owner, sizeof owner);
	live_user(dst->st_uid, downer, sizeof downer);
	if (st->st_uid != 0 && st->st_uid != geteuid() && st->st_uid != dst->st_uid)
		return error_set(err, VS_ERR_REFUSED, _("%s %s belongs to %s, neither root "
		    "nor the owner of its directory %s, %s: vsbackup does not read it as "
		    "root; check how it got there, and give it to the directory's owner "
		    "(chown) if it is right"), key, path, owner, dir, downer);
	/* A file of the directory's owner is theirs to link; a file of root's
	 * (or ours) with more links in their directory may be one of ours
	 * from elsewhere, linked in where fs.protected_hardlinks is off. */
	if (st->st_nlink > 1 && st->st_uid != dst->st_uid)
		return error_set(err, VS_ERR_REFUSED, _("%s %s is owned by %s and has %lu "
		    "hard links in a directory that belongs to %s: it may be a hard link "
		    "to a file elsewhere, which vsbackup does not read as root; replace "
		    "it by a copy of its own"), key, path, owner, (unsigned long)st->st_nlink,
		    downer);
	return 0;
}

int
live_open(const char *key, const char *path, int flags, int *out, struct stat *st,
    struct vs_error *err)
{
	char *dir = fs_dirname(path);
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char *target = NULL;
	const char *name = base;
	struct stat dst;
	int dirfd, fd = -1, e, open_errno = 0, rc = -1;
	int oflags = (flags & (O_RDWR | O_CREAT)) | (flags & O_RDWR ? 0 : O_RDONLY) |
	    O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;

	*out = -1;
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		e = open_errno = errno;
		error_errno(err, e == ENOENT ? VS_ERR_NOTFOUND : VS_ERR_IO, e,
		    _("cannot open %s %s"), key, path);
		goto out;
	}
	if (fstat(dirfd, &dst) != 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot examine %s"), dir);
		goto out;
	}
	for (int hop = 0; ; hop++) {
		/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
		fd = openat(dirfd, name, oflags, 0644);
		if (fd >= 0)
			break;
		e = errno;
		if (e != ELOOP || hop > 0) {
			if (e == ELOOP)
				error_set(err, VS_ERR_REFUSED, _("%s %s is a symbolic link to "
				    "another link; vsbackup follows one link, to a file in the "
				    "same directory"), key, path);
			else
				error_errno(err, e == ENOENT ? VS_ERR_NOTFOUND : VS_ERR_IO, e,
				    _("cannot open %s %s"), key, path);
			open_errno = e == ELOOP ? 0 : e;
			goto out;
		}
		if (flags & O_CREAT) {
			error_set(err, VS_ERR_REFUSED, _("%s %s is a symbolic link; vsbackup "
			    "runs as root and does not open it through a link: set %s to the "
			    "file itself"), key, path, key);
			goto out;
		}
		if ((target = live_link_target(dirfd, key, path, base, err)) == NULL)
			goto out;
		name = target;
	}
	if (fstat(fd, st) != 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot examine %s %s"), key, path);
		goto out;
	}
	if (!S_ISREG(st->st_mode)) {
		error_set(err, VS_ERR_IO, _("%s %s is not a regular file"), key, path);
		goto out;
	}
	if (live_check_owner(key, path, st, &dst, dir, err) != 0)
		goto out;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot examine %s %s"), key, path);
		goto out;
	}
	*out = fd;
	fd = -1;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (dirfd >= 0)
		close(dirfd);
	free(target);
	free(dir);
	errno = open_errno;
	return rc;
}
