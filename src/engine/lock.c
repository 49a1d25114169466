/*
 * The lock file lives in backup_dir, which vsbackup (often root) writes
 * and deletes in: it must be a directory only the user running vsbackup
 * can change. Anyone else able to write there could plant the lock file
 * as a link to a victim file (which the lock would then truncate), hold it
 * forever, or swap the backups themselves. So backup_dir must be owned by
 * the effective user and not writable by group or others, its parents must
 * not let others replace it, and the lock file is opened relative to the
 * directory without following links and must be a regular file of that
 * user. The holder details read from it are untrusted text: escaped before
 * anyone prints them.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/termsafe.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "engine/lock.h"

struct bdlock {
	int fd;
	char *path;
};

static void
holder_parse(const char *text, struct bdlock_holder *h)
{
	const char *line = text;

	memset(h, 0, sizeof *h);
	while (line != NULL && *line != '\0') {
		size_t len = strcspn(line, "\n");
		char *value;
		long long v;

		if (sscanf(line, "pid=%lld", &v) == 1)
			h->pid = v > 0 && v <= INT_MAX ? (pid_t)v : 0;
		else if (sscanf(line, "started=%lld", &v) == 1)
			h->started = (time_t)v;
		else if (strncmp(line, "operation=", 10) == 0 ||
		    strncmp(line, "host=", 5) == 0) {
			bool op = line[0] == 'o';
			size_t skip = op ? 10 : 5;

			value = xstrndup(line + skip, len - skip);
			if (op)
				termsafe_copy(h->operation, sizeof h->operation, value);
			else
				termsafe_copy(h->host, sizeof h->host, value);
			free(value);
		}
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
	if (h->pid > 0) {
		char self[256] = "";

		gethostname(self, sizeof self - 1);
		h->alive = strcmp(self, h->host) != 0 ||
		    kill(h->pid, 0) == 0 || errno == EPERM;
	}
}

static int
holder_read_fd(int fd, struct bdlock_holder *h)
{
	char buf[1024];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);

	if (n < 0)
		return -1;
	buf[n] = '\0';
	holder_parse(buf, h);
	return 0;
}

static int
holder_describe(const struct bdlock_holder *h, char *out, size_t outsz)
{
	char when[ISO8601_SIZE];

	time_format_iso(h->started, when);
	return snprintf(out, outsz, _("%s (pid %ld on %s, since %s)"),
	    h->operation[0] ? h->operation : "?", (long)h->pid,
	    h->host[0] ? h->host : "?", when);
}

/* May others change what dir (a parent of backup_dir) holds? A sticky
 * directory (/tmp) lets them add entries but not replace ours. */
static bool
bdlock_parent_unsafe(const struct stat *st)
{
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return true;
	return (st->st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st->st_mode & S_ISVTX) == 0;
}

/*
 * Is the directory open as dfd (backup_dir, at path) safe to write in as
 * this user? Owned by the effective user, not writable by group or
 * others, and no parent that someone else could use to replace it.
 */
static int
bdlock_check_dir(const char *path, int dfd, struct vs_error *err)
{
	struct stat st;
	char *real, *p;

	if (fstat(dfd, &st) != 0)
		return error_errno(err, VS_ERR_IO, errno, _("cannot examine %s"), path);
	if (st.st_uid != geteuid())
		return error_set(err, VS_ERR_REFUSED,
		    _("backup_dir %s belongs to uid %ld, not to the user running vsbackup "
		      "(uid %ld): whoever owns it could make vsbackup overwrite or delete other "
		      "files; fix it with: chown %ld %s"), path, (long)st.st_uid,
		    (long)geteuid(), (long)geteuid(), path);
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return error_set(err, VS_ERR_REFUSED,
		    _("backup_dir %s can be written by its group or by others (mode %04o): "
		      "they could make vsbackup overwrite or delete other files; fix it "
		      "with: chmod go-w %s"), path, (unsigned)(st.st_mode & 07777), path);
	/* The parents, as the path resolves now. */
	real = realpath(path, NULL);
	if (real == NULL)
		return error_errno(err, VS_ERR_IO, errno, _("cannot resolve %s"), path);
	while ((p = strrchr(real, '/')) != NULL) {
		if (p == real)
			p[1] = '\0';
		else
			*p = '\0';
		if (stat(real, &st) != 0) {
			error_errno(err, VS_ERR_IO, errno, _("cannot examine %s"), real);
			free(real);
			return -1;
		}
		if (st.st_uid != 0 && st.st_uid != geteuid()) {
			error_set(err, VS_ERR_REFUSED,
			    _("%s, a parent directory of backup_dir %s, belongs to uid %ld, who "
			      "could replace backup_dir; fix it with: chown root %s (or choose a "
			      "backup_dir elsewhere)"), real, path, (long)st.st_uid, real);
			free(real);
			return -1;
		}
		if (bdlock_parent_unsafe(&st)) {
			error_set(err, VS_ERR_REFUSED,
			    _("%s, a parent directory of backup_dir %s, can be written by its "
			      "group or by others (mode %04o), who could replace backup_dir; fix it "
			      "with: chmod go-w %s (or choose a backup_dir elsewhere)"), real, path,
			    (unsigned)(st.st_mode & 07777), real);
			free(real);
			return -1;
		}
		if (strcmp(real, "/") == 0)
			break;
	}
	free(real);
	return 0;
}

/* Is the open lock file one vsbackup may trust: a regular file of the
 * effective user with no other name? */
static int
bdlock_check_file(int fd, const char *path, struct vs_error *err)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return error_errno(err, VS_ERR_IO, errno, _("cannot examine lock file %s"), path);
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1)
		return error_set(err, VS_ERR_REFUSED,
		    _("lock file %s is not a plain file (a device, a pipe or a file with "
		      "another name); remove it: rm %s"), path, path);
	if (st.st_uid != geteuid())
		return error_set(err, VS_ERR_REFUSED,
		    _("lock file %s belongs to uid %ld, not to the user running vsbackup "
		      "(uid %ld); if no vsbackup runs, remove it: rm %s"), path,
		    (long)st.st_uid, (long)geteuid(), path);
	/* Ours, in our own directory: only its mode needs putting right. */
	if ((st.st_mode & 077) != 0 && fchmod(fd, 0600) != 0)
		return error_errno(err, VS_ERR_IO, errno, _("cannot set the mode of %s"), path);
	return 0;
}

/* Open the lock file without following a link; ELOOP (a link) and the
 * checks above become a refusal that says what to do. */
static int
bdlock_open(int dfd, const char *path, int flags, struct vs_error *err)
{
	int fd = openat(dfd, LOCK_FILE_NAME, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);

	if (fd < 0) {
		if (errno == ELOOP)
			return error_set(err, VS_ERR_REFUSED,
			    _("lock file %s is a symbolic link; vsbackup does not follow it "
			      "(it would truncate whatever the link names); remove it: rm %s"),
			    path, path);
		if (errno == ENOENT)
			return error_set(err, VS_ERR_NOTFOUND, _("no lock file %s"), path);
		return error_errno(err, VS_ERR_IO, errno, _("cannot open lock file %s"), path);
	}
	if (bdlock_check_file(fd, path, err) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
bdlock_acquire(const char *backup_dir, const char *operation, struct bdlock **out,
    struct bdlock_holder *took_over, bool *was_stale, struct vs_error *err)
{
	char *path = fs_join(backup_dir, LOCK_FILE_NAME);
	struct bdlock_holder prev;
	char host[256] = "", info[512], who[400];
	int dfd = -1, fd = -1, n;

	if (was_stale != NULL)
		*was_stale = false;
	/* The first operation on a new backup_dir creates it, as the storage
	 * driver would; the lock comes before the driver. */
	if (fs_mkdir_p(backup_dir, 0700, err) != 0) {
		free(path);
		return error_prefix(err, _("backup_dir"));
	}
	dfd = open(backup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot open backup_dir %s"), backup_dir);
		goto fail;
	}
	if (bdlock_check_dir(backup_dir, dfd, err) != 0)
		goto fail;
	if ((fd = bdlock_open(dfd, path, O_RDWR | O_CREAT, err)) < 0)
		goto fail;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;

		if (e == EWOULDBLOCK) {
			if (holder_read_fd(fd, &prev) != 0 || prev.pid <= 0) {
				/* Not a vsbackup, or one between taking the lock
				 * and writing its details: no pid to name. */
				error_set(err, VS_ERR_LOCKED,
				    _("%s is locked by a process that left no details in %s (not "
				      "vsbackup, or one just starting or finishing); 'fuser %s' "
				      "names it; try again"), backup_dir, path, path);
			} else {
				holder_describe(&prev, who, sizeof who);
				error_set(err, VS_ERR_LOCKED,
				    _("%s is locked by another operation: %s; wait for it to "
				      "finish (or stop it) and try again"), backup_dir, who);
			}
		} else {
			error_errno(err, VS_ERR_IO, e, _("cannot lock %s"), path);
		}
		goto fail;
	}
	if (holder_read_fd(fd, &prev) == 0 && prev.pid > 0) {
		/* Someone held it and died without clearing it. */
		if (was_stale != NULL)
			*was_stale = true;
		if (took_over != NULL)
			*took_over = prev;
	}
	gethostname(host, sizeof host - 1);
	n = snprintf(info, sizeof info, "pid=%ld\nhost=%s\noperation=%s\nstarted=%lld\n",
	    (long)getpid(), host, operation, (long long)time_now());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, info, (size_t)n, 0) != n) {
		error_errno(err, VS_ERR_IO, errno, _("cannot write lock file %s"), path);
		goto fail;
	}
	close(dfd);
	*out = xcalloc(1, sizeof **out);
	(*out)->fd = fd;
	(*out)->path = path;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	free(path);
	return -1;
}

void
bdlock_release(struct bdlock *lock)
{
	if (lock == NULL)
		return;
	if (ftruncate(lock->fd, 0) != 0) {
		/* The details stay; the next taker will see a dead holder. */
	}
	flock(lock->fd, LOCK_UN);
	close(lock->fd);
	free(lock->path);
	free(lock);
}

int
bdlock_probe(const char *backup_dir, struct bdlock_holder *holder, struct vs_error *err)
{
	char *path = fs_join(backup_dir, LOCK_FILE_NAME);
	struct vs_error e;
	int dfd, fd, held;

	memset(holder, 0, sizeof *holder);
	error_clear(&e);
	dfd = open(backup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		int errnum = errno;

		free(path);
		if (errnum == ENOENT)
			return 0;
		return error_errno(err, VS_ERR_IO, errnum, _("cannot open backup_dir %s"),
		    backup_dir);
	}
	fd = bdlock_open(dfd, path, O_RDONLY, &e);
	close(dfd);
	if (fd < 0) {
		free(path);
		if (e.code == VS_ERR_NOTFOUND)
			return 0;
		if (err != NULL)
			*err = e;
		return -1;
	}
	holder_read_fd(fd, holder);
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		held = 0;
		flock(fd, LOCK_UN);
	} else {
		held = 1;
	}
	close(fd);
	free(path);
	return held;
}
