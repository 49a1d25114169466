/*
 * Choosing and running the server's RDB checker for verify --deep.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/i18n.h"
#include "jobs/rdb-checker.h"
#include "jobs/tools.h"

/* What a checker says of a file it cannot read at all (both families). */
static const char *const cannot_read[] = {
	"Can't handle RDB format version",
	"Wrong signature",
};

static bool
executable(const char *path)
{
	return access(path, X_OK) == 0;
}

/* Is name an executable in one of PATH's directories? */
static bool
on_path(const char *name)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (path == NULL)
		return false;
	while (*path != '\0') {
		size_t n = strcspn(path, ":");

		if (n > 0 && snprintf(buf, sizeof buf, "%.*s/%s", (int)n, path, name) <
		    (int)sizeof buf && executable(buf))
			return true;
		path += n;
		if (*path == ':')
			path++;
	}
	return false;
}

bool
rdb_server_from_command(const char *cmd, char *prog, size_t size)
{
	static const char *const servers[] = { "redis-server", "valkey-server" };

	while (*cmd != '\0') {
		size_t n;

		cmd += strspn(cmd, " \t\"'");
		n = strcspn(cmd, " \t\"'");
		for (size_t i = 0; n > 0 && cmd[0] == '/' &&
		    i < sizeof servers / sizeof servers[0]; i++) {
			size_t sl = strlen(servers[i]);

			if (n > sl && cmd[n - sl - 1] == '/' &&
			    strncmp(cmd + n - sl, servers[i], sl) == 0 &&
			    snprintf(prog, size, "%.*s", (int)n, cmd) < (int)size &&
			    executable(prog))
				return true;
		}
		cmd += n;
	}
	return false;
}

/* The checker beside the server binary redis.start_command names. */
static bool
beside_server(const char *cmd, char *prog, size_t size)
{
	static const char *const servers[][2] = {
		{ "redis-server", "redis-check-rdb" },
		{ "valkey-server", "valkey-check-rdb" },
	};
	char server[1024];
	size_t n;

	if (!rdb_server_from_command(cmd, server, sizeof server))
		return false;
	n = strlen(server);
	for (size_t i = 0; i < sizeof servers / sizeof servers[0]; i++) {
		size_t sl = strlen(servers[i][0]);

		if (n > sl && strcmp(server + n - sl, servers[i][0]) == 0 &&
		    snprintf(prog, size, "%.*s%s", (int)(n - sl), server, servers[i][1]) <
		    (int)size && executable(prog))
			return true;
	}
	return false;
}

int
rdb_checker_pick(const struct config *cfg, const char *family, char *prog, size_t size)
{
	if (cfg->redis.check_rdb_command[0] != '\0') {
		snprintf(prog, size, "%s", cfg->redis.check_rdb_command);
		return 1;
	}
	if (beside_server(cfg->redis.start_command, prog, size))
		return 0;
	if (family != NULL && strcmp(family, "valkey") == 0 && on_path("valkey-check-rdb"))
		snprintf(prog, size, "valkey-check-rdb");
	else
		snprintf(prog, size, "redis-check-rdb");
	return 0;
}

/* "redis-check-rdb 7.0.15" from its -v, else the program as configured. */
static void
checker_name(const char *prog, char *name, size_t size)
{
	char out[256];

	if (tools_run_capture(out, sizeof out, prog, "-v", (char *)NULL) == 0 &&
	    strstr(out, "check-rdb ") != NULL) {
		out[strcspn(out, "\r\n")] = '\0';
		snprintf(name, size, "%s", out);
		return;
	}
	snprintf(name, size, "%s", prog);
}

enum rdb_check_result
rdb_checker_run(const struct config *cfg, const char *path, int rdb_version,
    const char *family, char *detail, size_t size)
{
	char prog[1024], name[300], out[512];
	bool configured = rdb_checker_pick(cfg, family, prog, sizeof prog) == 1;
	int st = tools_run_capture(out, sizeof out, prog, path, (char *)NULL);
	const char *writer = family != NULL && strcmp(family, "valkey") == 0 ?
	    "Valkey" : "Redis";

	if (st == TOOLS_NOT_FOUND && configured) {
		snprintf(detail, size, _("skipped: %s was not found (redis.check_rdb_command "
		    "in %s); the built-in reader checked the file"), prog,
		    cfg->path != NULL && cfg->path[0] != '\0' ? cfg->path :
		    _("the configuration"));
		return RDB_CHECK_SKIPPED;
	}
	if (st == TOOLS_NOT_FOUND) {
		snprintf(detail, size, _("skipped: %s is not installed (package redis-tools); "
		    "the built-in reader checked the file"), prog);
		return RDB_CHECK_SKIPPED;
	}
	checker_name(prog, name, sizeof name);
	if (st == 0) {
		snprintf(detail, size, _("OK (%s)"), name);
		return RDB_CHECK_OK;
	}
	for (size_t i = 0; st > 0 && i < sizeof cannot_read / sizeof cannot_read[0]; i++) {
		if (strstr(out, cannot_read[i]) == NULL)
			continue;
		snprintf(detail, size, _("skipped: %s cannot read RDB version %d (written by "
		    "%s); the built-in reader checked its structure, CRC and key counts; "
		    "set redis.check_rdb_command to the checker of that server"), name,
		    rdb_version, writer);
		return RDB_CHECK_SKIPPED;
	}
	snprintf(detail, size, "%s: %s", name, out);
	return RDB_CHECK_FAILED;
}
