/* Helpers of the libFuzzer harnesses (fuzz.h). */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/log.h"
#include "fuzz.h"

static char fz_dir[PATH_MAX];

static void
fz_cleanup(void)
{
	if (fz_dir[0] != '\0')
		fs_remove_tree(fz_dir, NULL);
}

const char *
fuzz_dir(void)
{
	const char *tmp;

	if (fz_dir[0] != '\0')
		return fz_dir;
	tmp = getenv("TMPDIR");
	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(fz_dir, sizeof fz_dir, "%s/vsfuzz.XXXXXX", tmp);
	if (mkdtemp(fz_dir) == NULL) {
		perror(fz_dir);
		abort();
	}
	atexit(fz_cleanup);
	return fz_dir;
}

const char *
fuzz_write(const char *name, const void *data, size_t size, mode_t mode)
{
	static char path[PATH_MAX];
	const char *p = data;
	int fd;

	snprintf(path, sizeof path, "%s/%s", fuzz_dir(), name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0 || fchmod(fd, mode) != 0) {
		perror(path);
		abort();
	}
	while (size > 0) {
		ssize_t n = write(fd, p, size);

		if (n <= 0) {
			perror(path);
			abort();
		}
		p += n;
		size -= (size_t)n;
	}
	close(fd);
	return path;
}

char *
fuzz_text(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

void
fuzz_quiet(void)
{
	log_set_stderr(0);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	if (fuzz_setup != NULL)
		fuzz_setup();
	return 0;
}
