#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/xmalloc.h"
#include "jobs/tools.h"

extern char **environ;

/* Keep the tail of the output: the end says what went wrong. */
static void
append_tail(char *out, size_t outsz, size_t *len, const char *buf, size_t n)
{
	if (outsz == 0)
		return;
	if (n >= outsz - 1) {
		buf += n - (outsz - 1);
		n = outsz - 1;
	}
	if (*len + n > outsz - 1) {
		size_t drop = *len + n - (outsz - 1);

		memmove(out, out + drop, *len - drop);
		*len -= drop;
	}
	memcpy(out + *len, buf, n);
	*len += n;
	out[*len] = '\0';
}

/*
 * The environment of the programs run: ours without the secrets vsbackup
 * itself reads from it (S3 credentials and everything else AWS_, the
 * repository passphrase, a Redis password): a start, stop or reload
 * command has no use for them, and whatever it runs would get them.
 */
static bool
tools_env_secret(const char *var)
{
	static const char *const secret[] = {
		"AWS_", "VSBACKUP_PASSPHRASE=", "REDISCLI_AUTH=",
	};

	for (size_t i = 0; i < sizeof secret / sizeof secret[0]; i++)
		if (strncmp(var, secret[i], strlen(secret[i])) == 0)
			return true;
	return false;
}

static char **
tools_env(void)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n] != NULL)
		n++;
	env = xcalloc(n + 1, sizeof *env);
	for (size_t i = 0; i < n; i++)
		if (!tools_env_secret(environ[i]))
			env[k++] = environ[i];
	env[k] = NULL;
	return env;
}

static int
run_argv(char *out, size_t outsz, char *const argv[], int timeout_s)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none;
	char **env;
	int pfd[2], status, spawn_rc;
	pid_t pid;
	size_t len = 0;
	time_t deadline = timeout_s > 0 ? time(NULL) + timeout_s : 0;
	bool killed = false;

	if (outsz > 0)
		out[0] = '\0';
	if (pipe2(pfd, O_CLOEXEC) != 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], STDERR_FILENO);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	env = tools_env();
	spawn_rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv, env);
	free(env);
	errno = spawn_rc;
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(pfd[1]);
	if (errno != 0) {
		int e = errno;

		close(pfd[0]);
		if (e == ENOENT)
			return TOOLS_NOT_FOUND;
		snprintf(out, outsz, "%s: %s", argv[0], strerror(e));
		return -1;
	}
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		char buf[4096];
		ssize_t n;
		int r = poll(&p, 1, 200);

		if (r < 0 && errno != EINTR)
			break;
		if (deadline && time(NULL) > deadline && !killed) {
			kill(-pid, SIGKILL);
			killed = true;
		}
		if (r <= 0)
			continue;
		n = read(pfd[0], buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		append_tail(out, outsz, &len, buf, (size_t)n);
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	/* Trim the trailing newline for messages. */
	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r'))
		out[--len] = '\0';
	if (killed) {
		snprintf(out, outsz, "killed after %d s without finishing", timeout_s);
		return -1;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status) == 127 && argv[0][0] != '/' && len == 0 ?
		    TOOLS_NOT_FOUND : WEXITSTATUS(status);
	return -1;
}

int
tools_run_capture(char *out, size_t outsz, const char *prog, ...)
{
	char *argv[32];
	va_list ap;
	int n = 0;

	argv[n++] = (char *)prog;
	va_start(ap, prog);
	while (n < 31 && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	return run_argv(out, outsz, argv, 0);
}

int
tools_run_shell(char *out, size_t outsz, const char *command, int timeout_s)
{
	char *argv[] = { "/bin/sh", "-c", (char *)command, NULL };

	return run_argv(out, outsz, argv, timeout_s);
}
