/*
 * Removing a tree that may lie in a directory other users can write (the
 * index directory, Redis's data directory). A walk by path name would
 * follow a directory of the tree swapped for a symbolic link while it runs
 * and delete whatever the link names. Every step here is relative to an
 * open directory descriptor, directories are opened without following
 * links, and a link is removed as the link it is: nothing outside the tree
 * is ever reached.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"

/* Deeper than any tree vsbackup makes; each level holds a descriptor. */
#define FS_REMOVE_MAX_DEPTH 64

static int fs_remove_at(int dfd, const char *name, const char *path, int depth,
    struct vs_error *err);

/* Remove what the directory open as fd holds; fd is consumed. */
static int
fs_remove_contents(int fd, const char *path, int depth, struct vs_error *err)
{
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if ((d = fdopendir(fd)) == NULL) {
		int e = errno;

		close(fd);
		return error_errno(err, VS_ERR_IO, e, _("cannot open directory %s"), path);
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		char *child;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		child = fs_join(path, de->d_name);
		if (fs_remove_at(dirfd(d), de->d_name, child, depth + 1, err) != 0)
			rc = -1;
		free(child);
	}
	if (errno != 0 && rc == 0)
		rc = error_errno(err, VS_ERR_IO, errno, _("cannot read directory %s"), path);
	closedir(d);
	return rc;
}

/* Remove name in the directory open as dfd (path names it in messages). */
static int
fs_remove_at(int dfd, const char *name, const char *path, int depth, struct vs_error *err)
{
	struct stat st;
	int fd;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT)
			return 0;
		return error_errno(err, VS_ERR_IO, errno, _("cannot examine %s"), path);
	}
	if (S_ISDIR(st.st_mode)) {
		if (depth >= FS_REMOVE_MAX_DEPTH)
			return error_set(err, VS_ERR_IO,
			    _("cannot remove %s: directories nested more than %d deep"), path,
			    FS_REMOVE_MAX_DEPTH);
		/* Another user may add entries meanwhile (a second pass takes
		 * them) or swap the directory for a link or a file (then
		 * removed as what it is now, below). */
		for (int pass = 0;; pass++) {
			fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0) {
				if (errno == ENOENT)
					return 0;
				if (errno == ELOOP || errno == ENOTDIR)
					break;
				return error_errno(err, VS_ERR_IO, errno,
				    _("cannot open directory %s"), path);
			}
			if (fs_remove_contents(fd, path, depth, err) != 0)
				return -1;
			if (unlinkat(dfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
				return 0;
			if (errno == ENOTDIR)
				break;
			if ((errno != ENOTEMPTY && errno != EEXIST) || pass == 1)
				return error_errno(err, VS_ERR_IO, errno,
				    _("cannot remove directory %s"), path);
		}
	}
	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	return error_errno(err, VS_ERR_IO, errno, _("cannot remove %s"), path);
}

int
fs_remove_tree(const char *path, struct vs_error *err)
{
	char *copy = xstrdup(path), *slash, *name;
	const char *dir;
	size_t n = strlen(copy);
	int dfd, rc;

	/* "a/b/" names b, as "a/b" does. */
	while (n > 1 && copy[n - 1] == '/')
		copy[--n] = '\0';
	slash = strrchr(copy, '/');
	if (slash == NULL) {
		dir = ".";
		name = copy;
	} else if (slash == copy) {
		dir = "/";
		name = slash + 1;
	} else {
		*slash = '\0';
		dir = copy;
		name = slash + 1;
	}
	if (*name == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		free(copy);
		return error_set(err, VS_ERR_USAGE, _("refusing to remove %s"), path);
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		rc = errno == ENOENT ? 0 :
		    error_errno(err, VS_ERR_IO, errno, _("cannot open directory %s"), dir);
		free(copy);
		return rc;
	}
	rc = fs_remove_at(dfd, name, path, 0, err);
	close(dfd);
	free(copy);
	return rc;
}
