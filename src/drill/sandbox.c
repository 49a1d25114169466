#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "drill/sandbox.h"

#define SANDBOX_PREFIX "drill-"
/* A sandbox without an owner file yet may be one being made right now. */
#define SANDBOX_YOUNG_SECONDS 60

char *
drill_sandbox_root(const struct config *cfg)
{
	if (cfg->drill.dir != NULL && cfg->drill.dir[0] != '\0')
		return xstrdup(cfg->drill.dir);
	return fs_join(cfg->backup_dir, ".drill");
}

/* The start time of process pid (clock ticks since boot), 0 when it is gone. */
static unsigned long long
proc_start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long st = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* The name may hold spaces and parentheses: fields follow the last ')'. */
	if ((p = strrchr(buf, ')')) == NULL)
		return 0;
	p++;
	/* Field 22 is the start time; p is before field 3. */
	for (int field = 3; field < 22 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p != NULL)
		st = strtoull(p + 1, NULL, 10);
	return st;
}

/* A small file of the sandbox, read without following links. */
static bool
read_small(const char *dir, const char *name, char *buf, size_t size)
{
	char *path = fs_join(dir, name);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n = -1;

	free(path);
	if (fd < 0)
		return false;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return true;
}

static int
write_small(const char *dir, const char *name, const char *text, struct vs_error *err)
{
	char *path = fs_join(dir, name);
	char *tmp = xasprintf("%s.tmp", path);
	int fd, rc = -1;

	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot create %s"), tmp);
		goto out;
	}
	if (fs_write_full(fd, text, strlen(text)) != 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot write %s"), tmp);
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot rename %s to %s"), tmp, path);
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	free(path);
	return rc;
}

/* Does the process that made the sandbox in dir still run? */
static bool
owner_alive(const char *dir, bool *known)
{
	char buf[128];
	long pid;
	unsigned long long st;

	*known = false;
	if (!read_small(dir, DRILL_OWNER_FILE, buf, sizeof buf) ||
	    sscanf(buf, "%ld %llu", &pid, &st) != 2 || pid <= 0)
		return false;
	*known = true;
	return proc_start_time((pid_t)pid) == st;
}

/* Is pid a process whose working directory is dir (a sandbox's server)? */
static bool
server_in(pid_t pid, const char *dir)
{
	char link[64], cwd[PATH_MAX], *real = realpath(dir, NULL);
	ssize_t n;
	bool in;

	snprintf(link, sizeof link, "/proc/%ld/cwd", (long)pid);
	n = readlink(link, cwd, sizeof cwd - 1);
	if (n <= 0 || real == NULL) {
		free(real);
		return false;
	}
	cwd[n] = '\0';
	in = strcmp(cwd, real) == 0;
	free(real);
	return in;
}

/* Stop the server a dead drill left in dir, if it still runs there. */
static void
reap_server(const char *dir)
{
	char buf[64];
	long pid;

	if (!read_small(dir, DRILL_SERVER_FILE, buf, sizeof buf) || sscanf(buf, "%ld", &pid) != 1 ||
	    pid <= 1)
		return;
	if (!server_in((pid_t)pid, dir))
		return;
	kill((pid_t)pid, SIGKILL);
	/* Not our child: wait until it is gone from /proc (briefly). */
	for (int i = 0; i < 100 && server_in((pid_t)pid, dir); i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
}

int
drill_sandbox_reap(const char *root, bool with_kept, void (*note)(void *, const char *),
    void *ud, unsigned *removed, struct vs_error *err)
{
	DIR *d;
	struct dirent *de;
	int rc = 0;

	*removed = 0;
	if ((d = opendir(root)) == NULL) {
		if (errno == ENOENT)
			return 0;
		return error_errno(err, VS_ERR_IO, errno, _("cannot open the drill directory %s"),
		    root);
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		char *dir;
		bool known;

		if (strncmp(de->d_name, SANDBOX_PREFIX, strlen(SANDBOX_PREFIX)) != 0)
			continue;
		dir = fs_join(root, de->d_name);
		if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
		    owner_alive(dir, &known) ||
		    (!known && time(NULL) - st.st_mtime < SANDBOX_YOUNG_SECONDS)) {
			free(dir);
			continue;
		}
		if (!with_kept) {
			char *kept = fs_join(dir, DRILL_KEEP_FILE);
			bool is_kept = fs_exists(kept);

			free(kept);
			if (is_kept) {
				free(dir);
				continue;
			}
		}
		reap_server(dir);
		if (fs_remove_tree(dir, err) != 0)
			rc = -1;
		else {
			(*removed)++;
			if (note != NULL)
				note(ud, dir);
		}
		free(dir);
	}
	closedir(d);
	return rc;
}

/* Make root when missing; refuse one that others could write to. */
static int
sandbox_root_ready(const char *root, struct vs_error *err)
{
	struct stat st;
	int fd;

	if (mkdir(root, 0700) != 0 && errno != EEXIST) {
		int e = errno;

		if (e != ENOENT)
			return error_errno(err, VS_ERR_IO, e, _("cannot create the drill directory "
			    "%s (drill.dir)"), root);
		if (fs_mkdir_p(root, 0700, err) != 0)
			return -1;
	}
	fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return error_errno(err, VS_ERR_IO, errno, _("cannot open the drill directory %s "
		    "(drill.dir; a symbolic link is refused)"), root);
	if (fstat(fd, &st) != 0) {
		close(fd);
		return error_errno(err, VS_ERR_IO, errno, _("cannot examine %s"), root);
	}
	close(fd);
	if (st.st_uid != geteuid() || (st.st_mode & 022) != 0)
		return error_set(err, VS_ERR_REFUSED, _("the drill directory %s belongs to uid %ld "
		    "with mode %04o: it must be this user's and writable by no one else (chown "
		    "and chmod 0700 it, or set drill.dir)"), root, (long)st.st_uid,
		    (unsigned)(st.st_mode & 07777));
	return 0;
}

int
drill_sandbox_create(const char *root, struct drill_sandbox **out, struct vs_error *err)
{
	struct drill_sandbox *sb;
	char *tmpl, owner[96];

	if (sandbox_root_ready(root, err) != 0)
		return -1;
	/* Short: the socket's path inside must fit a sockaddr_un. */
	tmpl = xasprintf("%s/" SANDBOX_PREFIX "XXXXXX", root);
	if (strlen(tmpl) + 1 + strlen(DRILL_SOCKET) > DRILL_SOCKET_MAX) {
		error_set(err, VS_ERR_CONFIG, _("the drill's Redis socket %s/%s would be longer "
		    "than a unix socket path may be (%d bytes): set drill.dir to a shorter "
		    "directory"), tmpl, DRILL_SOCKET, DRILL_SOCKET_MAX);
		free(tmpl);
		return -1;
	}
	if (mkdtemp(tmpl) == NULL) {
		error_errno(err, VS_ERR_IO, errno, _("cannot create a drill sandbox in %s"), root);
		free(tmpl);
		return -1;
	}
	sb = xcalloc(1, sizeof *sb);
	sb->root = xstrdup(root);
	sb->dir = tmpl;
	sb->sock = fs_join(tmpl, DRILL_SOCKET);
	snprintf(owner, sizeof owner, "%ld %llu\n", (long)getpid(),
	    proc_start_time(getpid()));
	if (write_small(sb->dir, DRILL_OWNER_FILE, owner, err) != 0) {
		drill_sandbox_destroy(sb, NULL);
		return -1;
	}
	*out = sb;
	return 0;
}

int
drill_sandbox_set_server(struct drill_sandbox *sb, pid_t pid, bool tied, struct vs_error *err)
{
	char buf[32];

	sb->server = pid;
	sb->server_tied = tied;
	snprintf(buf, sizeof buf, "%ld\n", (long)pid);
	return write_small(sb->dir, DRILL_SERVER_FILE, buf, err);
}

void
drill_sandbox_stop_server(struct drill_sandbox *sb)
{
	int status;

	if (sb == NULL || sb->server <= 0)
		return;
	/* Nothing of it is worth saving: the sandbox goes away. */
	kill(sb->server, SIGKILL);
	while (waitpid(sb->server, &status, 0) < 0 && errno == EINTR)
		;
	sb->server = 0;
}

int
drill_sandbox_keep(struct drill_sandbox *sb, struct vs_error *err)
{
	return write_small(sb->dir, DRILL_KEEP_FILE, "kept by vsbackup drill --keep\n", err);
}

static void
sandbox_free(struct drill_sandbox *sb)
{
	free(sb->root);
	free(sb->dir);
	free(sb->sock);
	free(sb);
}

int
drill_sandbox_destroy(struct drill_sandbox *sb, struct vs_error *err)
{
	int rc;

	if (sb == NULL)
		return 0;
	drill_sandbox_stop_server(sb);
	rc = fs_remove_tree(sb->dir, err);
	sandbox_free(sb);
	return rc;
}

void
drill_sandbox_forget(struct drill_sandbox *sb)
{
	if (sb != NULL)
		sandbox_free(sb);
}
