/* Running external programs (redis-check-rdb, the configured start and
 * stop commands) from a worker thread, capturing what they print. They get
 * vsbackup's environment without its secrets (AWS_*, VSBACKUP_PASSPHRASE,
 * REDISCLI_AUTH). */
#ifndef VS_TOOLS_H
#define VS_TOOLS_H

#include <stddef.h>

#define TOOLS_NOT_FOUND (-2)

/* Run prog (searched in PATH) with the NULL-terminated arguments after it;
 * the last lines of its output (stdout and stderr) go to out. Returns the
 * exit status, TOOLS_NOT_FOUND when prog is not installed, -1 when it could
 * not be run or was killed by a signal. */
int tools_run_capture(char *out, size_t outsz, const char *prog, ...)
	__attribute__((sentinel));

/* Run a shell command line (sh -c) the same way, with a time limit in
 * seconds after which it is killed (0: none). */
int tools_run_shell(char *out, size_t outsz, const char *command, int timeout_s);

#endif
