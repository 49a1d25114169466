/*
 * A command-line client of fsutil.h for the integration tests of file
 * handling in directories other users can write (tests/integration/fs-*.sh):
 *
 *   fs-probe remove PATH          fs_remove_tree(PATH)
 *   fs-probe swap-on-delete DIR TARGET
 *                                 wait (up to 30 s) for the first file in
 *                                 DIR to be deleted, then rename DIR to
 *                                 DIR.old and put a symbolic link to TARGET
 *                                 in its place: the attack a walk by path
 *                                 name falls for. Prints "ready" once it
 *                                 watches and "swapped" after the swap.
 *
 * A failure prints "error: ..." and exits 1.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fsutil.h"
#include "common/xmalloc.h"

static int
probe_swap(const char *dir, const char *target)
{
	char buf[4096], *old;
	struct pollfd pfd;
	int fd;

	fd = inotify_init1(IN_CLOEXEC);
	if (fd < 0 || inotify_add_watch(fd, dir, IN_DELETE) < 0) {
		fprintf(stderr, "error: inotify on %s: %s\n", dir, strerror(errno));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (poll(&pfd, 1, 30000) != 1 || read(fd, buf, sizeof buf) <= 0) {
		fprintf(stderr, "error: nothing was deleted in %s\n", dir);
		return 1;
	}
	old = xasprintf("%s.old", dir);
	if (rename(dir, old) != 0 || symlink(target, dir) != 0) {
		fprintf(stderr, "error: swapping %s: %s\n", dir, strerror(errno));
		free(old);
		return 1;
	}
	free(old);
	printf("swapped\n");
	return 0;
}

int
main(int argc, char **argv)
{
	struct vs_error err;

	error_clear(&err);
	if (argc == 3 && strcmp(argv[1], "remove") == 0) {
		if (fs_remove_tree(argv[2], &err) != 0) {
			fprintf(stderr, "error: %s\n", err.msg);
			return 1;
		}
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "swap-on-delete") == 0)
		return probe_swap(argv[2], argv[3]);
	fprintf(stderr, "usage: fs-probe remove PATH | swap-on-delete DIR TARGET\n");
	return 2;
}
