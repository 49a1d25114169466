/*
 * Covers src/common/fsutil.c: fs_write_atomic and fs_write_atomic_as. They
 * write files that root leaves in directories other users may write (the
 * restore journal in backup_dir, the AOF manifest in Redis's data
 * directory): a name planted there beforehand (a symbolic link to a victim
 * file, or a world-writable file at the temp name) must neither be written
 * through nor decide the new file's mode; the mode is the one asked for
 * whatever the umask; and the owner is set on the descriptor.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fsutil.h"
#include "common/xmalloc.h"
#include "tests/unit/tap.h"

static char *
slurp(const char *path)
{
	char *buf = NULL;
	size_t len;
	struct vs_error err;

	if (fs_read_all(path, 1 << 20, &buf, &len, &err) != 0)
		return xstrdup("(unreadable)");
	return buf;
}

static int
count_entries(const char *dir)
{
	char *cmd = xasprintf("ls -A '%s' | wc -l", dir);
	FILE *p = popen(cmd, "r");
	int n = -1;

	if (p != NULL) {
		if (fscanf(p, "%d", &n) != 1)
			n = -1;
		pclose(p);
	}
	free(cmd);
	return n;
}

int
main(void)
{
	char dirt[] = "/tmp/vs-test-fsutil.XXXXXX";
	char *dir, *path, *victim, *planted, *s;
	struct vs_error err;
	struct stat st;
	int fd;

	dir = mkdtemp(dirt);
	if (dir == NULL) {
		perror("mkdtemp");
		return 1;
	}
	path = fs_join(dir, "journal.json");
	victim = fs_join(dir, "victim");
	/* The name the old code used, known in advance from the pid. */
	planted = xasprintf("%s.tmp.%ld", path, (long)getpid());

	/* A symbolic link planted at a predictable temp name. */
	fd = open(victim, O_WRONLY | O_CREAT | O_EXCL, 0644);
	ok(fd >= 0 && write(fd, "precious\n", 9) == 9, "victim file created");
	close(fd);
	ok(symlink(victim, planted) == 0, "symbolic link planted at %s", planted);
	error_clear(&err);
	ok(fs_write_atomic(path, "new\n", 4, 0600, &err) == 0, "fs_write_atomic succeeds: %s",
	    err.msg);
	s = slurp(victim);
	is_str(s, "precious\n", "the link's target is not written through");
	free(s);
	s = slurp(path);
	is_str(s, "new\n", "the file has the new content");
	free(s);
	unlink(planted);

	/* A world-writable file pre-created at the temp name. */
	unlink(path);
	fd = open(planted, O_WRONLY | O_CREAT | O_EXCL, 0666);
	fchmod(fd, 0666);
	close(fd);
	error_clear(&err);
	ok(fs_write_atomic(path, "x", 1, 0600, &err) == 0, "fs_write_atomic succeeds beside a "
	    "pre-created temp file: %s", err.msg);
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600,
	    "the new file is 0600, not the planted file's 0666 (mode %o)", st.st_mode & 07777);
	unlink(planted);

	/* The mode asked for, whatever the umask. */
	umask(0);
	error_clear(&err);
	ok(fs_write_atomic(path, "y", 1, 0640, &err) == 0, "written with umask 0");
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0640, "mode 0640 as asked (got %o)",
	    st.st_mode & 07777);
	umask(077);
	error_clear(&err);
	ok(fs_write_atomic(path, "z", 1, 0644, &err) == 0, "written with umask 077");
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0644, "mode 0644 as asked (got %o)",
	    st.st_mode & 07777);
	umask(022);

	/* An owner on the descriptor: root may give the file away. */
	if (geteuid() == 0) {
		struct fs_owner own = { .known = true, .uid = 65534, .gid = 65534, .mode = 0640 };

		error_clear(&err);
		ok(fs_write_atomic_as(path, "o", 1, &own, &err) == 0, "fs_write_atomic_as succeeds");
		ok(stat(path, &st) == 0 && st.st_uid == 65534 && st.st_gid == 65534 &&
		    (st.st_mode & 07777) == 0640, "owner 65534:65534 mode 0640 (got %d:%d %o)",
		    (int)st.st_uid, (int)st.st_gid, st.st_mode & 07777);
	} else {
		printf("ok %d # SKIP not root\nok %d # SKIP not root\n", tap_n + 1, tap_n + 2);
		tap_n += 2;
	}

	/* A directory that does not exist: an error naming it, no stray file. */
	s = xasprintf("%s/missing/x.json", dir);
	error_clear(&err);
	ok(fs_write_atomic(s, "x", 1, 0600, &err) != 0 && strstr(err.msg, "missing") != NULL,
	    "a missing directory is an error naming it (%s)", err.msg);
	free(s);
	is_int(count_entries(dir), 2, "only the victim and the file remain: no temp file left");

	s = xasprintf("rm -rf '%s'", dir);
	if (system(s) != 0)
		perror("rm");
	free(s);
	free(path);
	free(victim);
	free(planted);
	return tap_done();
}
