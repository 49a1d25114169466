#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/i18n.h"
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
		long long v;

		if (sscanf(line, "pid=%lld", &v) == 1)
			h->pid = (pid_t)v;
		else if (sscanf(line, "started=%lld", &v) == 1)
			h->started = (time_t)v;
		else if (sscanf(line, "operation=%63s", h->operation) == 1)
			;
		else if (strncmp(line, "host=", 5) == 0)
			snprintf(h->host, sizeof h->host, "%.*s", (int)strcspn(line + 5, "\n"),
			    line + 5);
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

int
bdlock_acquire(const char *backup_dir, const char *operation, struct bdlock **out,
    struct bdlock_holder *took_over, bool *was_stale, struct vs_error *err)
{
	char *path = fs_join(backup_dir, LOCK_FILE_NAME);
	struct bdlock_holder prev;
	char host[256] = "", info[512], who[400];
	int fd, n;

	if (was_stale != NULL)
		*was_stale = false;
	/* The first operation on a new backup_dir creates it, as the storage
	 * driver would; the lock comes before the driver. */
	if (fs_mkdir_p(backup_dir, 0700, err) != 0) {
		free(path);
		return error_prefix(err, _("backup_dir"));
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot open lock file %s"), path);
		free(path);
		return -1;
	}
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
		close(fd);
		free(path);
		return -1;
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
		close(fd);
		free(path);
		return -1;
	}
	*out = xcalloc(1, sizeof **out);
	(*out)->fd = fd;
	(*out)->path = path;
	return 0;
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
	int fd, held;

	memset(holder, 0, sizeof *holder);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		free(path);
		if (e == ENOENT)
			return 0;
		return error_errno(err, VS_ERR_IO, e, _("cannot open lock file %s"), backup_dir);
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
