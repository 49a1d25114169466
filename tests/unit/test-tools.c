/* Covers src/jobs/tools.c: the configured start, stop and reload commands
 * run with what they print captured, and without vsbackup's secrets in
 * their environment. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "jobs/tools.h"
#include "tap.h"

int
main(void)
{
	char out[4096];
	int st;

	setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "secret-not-for-children", 1);
	setenv("AWS_SESSION_TOKEN", "token-not-for-children", 1);
	setenv("AWS_PROFILE", "prod", 1);
	setenv("VSBACKUP_PASSPHRASE", "passphrase-not-for-children", 1);
	setenv("REDISCLI_AUTH", "redis-password", 1);
	setenv("VSBACKUP_TEST_KEEP", "kept", 1);

	st = tools_run_shell(out, sizeof out, "env", 10);
	is_int(st, 0, "a shell command runs");
	ok(strstr(out, "VSBACKUP_TEST_KEEP=kept") != NULL && strstr(out, "PATH=") != NULL,
	    "  with the environment it needs");
	ok(strstr(out, "AWS_") == NULL, "  without any AWS_ variable");
	ok(strstr(out, "secret-not-for-children") == NULL &&
	    strstr(out, "token-not-for-children") == NULL, "  so no S3 secret reaches it");
	ok(strstr(out, "passphrase-not-for-children") == NULL,
	    "  nor the repository passphrase");
	ok(strstr(out, "redis-password") == NULL, "  nor a Redis password");
	ok(getenv("AWS_SECRET_ACCESS_KEY") != NULL, "vsbackup's own environment keeps them");

	st = tools_run_capture(out, sizeof out, "env", (char *)NULL);
	ok(st == 0 && strstr(out, "AWS_") == NULL && strstr(out, "PATH=") != NULL,
	    "a program run directly gets the same environment");
	st = tools_run_shell(out, sizeof out, "echo oops; exit 3", 10);
	ok(st == 3 && strstr(out, "oops") != NULL, "its status and output are returned");
	return tap_done();
}
