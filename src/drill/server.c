#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "drill/server.h"
#include "jobs/rdb-checker.h"
#include "jobs/tools.h"

/* What a server's log says when it cannot run at all, rather than the RDB
 * being bad: the drill could not run (exit 1), not a failed check. */
static const struct {
	const char *says;
	const char *why;
} server_cannot[] = {
	{ "Can't handle RDB format version",
	  N_("it is older than the server that wrote the backup") },
	{ "Bad directive", N_("it does not understand the sandbox's configuration") },
	{ "FATAL CONFIG FILE ERROR", N_("it does not understand the sandbox's configuration") },
	{ "Address already in use", N_("its socket is taken") },
	{ "configured to handle more than",
	  N_("the backup uses more databases than the sandbox was given") },
};

/* An absolute path for name: itself when it has a slash, else from PATH. */
static bool
server_resolve(const char *name, char *out, size_t size)
{
	const char *path = getenv("PATH");

	if (strchr(name, '/') != NULL) {
		snprintf(out, size, "%s", name);
		return access(out, X_OK) == 0;
	}
	if (path == NULL)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path != '\0') {
		size_t n = strcspn(path, ":");

		if (n > 0 && snprintf(out, size, "%.*s/%s", (int)n, path, name) < (int)size &&
		    access(out, X_OK) == 0)
			return true;
		path += n;
		if (*path == ':')
			path++;
	}
	return false;
}

int
drill_server_pick(const struct config *cfg, const char *family, char *prog, size_t size,
    struct vs_error *err)
{
	if (cfg->drill.redis_server[0] != '\0') {
		if (!server_resolve(cfg->drill.redis_server, prog, size))
			return error_set(err, VS_ERR_CONFIG, _("drill.redis_server %s cannot be run "
			    "(not found or not executable); fix it in %s"), cfg->drill.redis_server,
			    cfg->path != NULL && cfg->path[0] ? cfg->path : _("the configuration"));
		return 0;
	}
	if (rdb_server_from_command(cfg->redis.start_command, prog, size))
		return 0;
	if (family != NULL && strcmp(family, "valkey") == 0 &&
	    server_resolve("valkey-server", prog, size))
		return 0;
	if (server_resolve("redis-server", prog, size))
		return 0;
	return error_set(err, VS_ERR_FAILED, _("no redis-server to run the drill's sandbox: "
	    "redis.start_command names none and there is none in PATH; install redis-server "
	    "or set drill.redis_server"));
}

void
drill_server_version(const char *prog, char *ver, size_t size)
{
	char out[512], *v;

	ver[0] = '\0';
	if (tools_run_capture(out, sizeof out, prog, "--version", (char *)NULL) != 0)
		return;
	/* "Redis server v=7.0.15 sha=..." (Valkey: "Valkey server v=8.0.1 ...") */
	if ((v = strstr(out, " v=")) != NULL)
		snprintf(ver, size, "%.*s", (int)strcspn(v + 3, " \n"), v + 3);
}

static int
server_write_conf(struct drill_sandbox *sb, const struct drill_server_opts *o,
    struct vs_error *err)
{
	char *path = fs_join(sb->dir, DRILL_SERVER_CONF);
	char *text;
	int fd, rc = -1;
	/* Room for the database the backup recorded, and many more: a
	 * deployment with more databases than the default may have keys in
	 * others (an empty database costs a few hundred bytes). */
	int databases = o->db + 1 > 4096 ? o->db + 1 : 4096;

	text = xasprintf(
	    "# The sandbox of a vsbackup restore drill: no TCP port, no persistence.\n"
	    "port 0\n"
	    "unixsocket %s\n"
	    "unixsocketperm 700\n"
	    "dir %s\n"
	    "dbfilename %s\n"
	    "logfile %s/%s\n"
	    "databases %d\n"
	    "save \"\"\n"
	    "appendonly no\n"
	    "daemonize no\n"
	    "protected-mode yes\n"
	    "enable-debug-command local\n"
	    "rdbchecksum yes\n",
	    sb->sock, sb->dir, o->rdb, sb->dir, DRILL_SERVER_LOG, databases);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot create %s"), path);
		goto out;
	}
	if (fs_write_full(fd, text, strlen(text)) != 0 || close(fd) != 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot write %s"), path);
		goto out;
	}
	rc = 0;
out:
	free(text);
	free(path);
	return rc;
}

/* The last lines of the server's log that say something went wrong
 * (Redis marks warnings with '#'), else its last lines. */
static void
server_log_tail(const struct drill_sandbox *sb, char *why, size_t whysz, int *cannot)
{
	char *path = fs_join(sb->dir, DRILL_SERVER_LOG), *log = NULL, *line, *save = NULL;
	size_t len = 0;

	*cannot = -1;
	why[0] = '\0';
	if (fs_read_all(path, 1 << 20, &log, &len, NULL) != 0) {
		free(path);
		snprintf(why, whysz, "%s", _("it exited and left no log"));
		return;
	}
	free(path);
	for (line = strtok_r(log, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		const char *text = strstr(line, " # ");

		for (size_t i = 0; i < sizeof server_cannot / sizeof server_cannot[0]; i++)
			if (strstr(line, server_cannot[i].says) != NULL)
				*cannot = (int)i;
		/* "PID:M 03 Dec 2026 14:08:42.276 # message": keep the message. */
		if (text == NULL && strncmp(line, "***", 3) != 0)
			continue;
		text = text != NULL ? text + 3 : line;
		if (strstr(text, "WARNING") != NULL || strstr(text, "oO0OoO0OoO0Oo") != NULL ||
		    strstr(text, "Redis version=") != NULL || strstr(text, "Configuration loaded") != NULL)
			continue;
		if (why[0] != '\0')
			strncat(why, "; ", whysz - strlen(why) - 1);
		strncat(why, text, whysz - strlen(why) - 1);
	}
	if (why[0] == '\0')
		snprintf(why, whysz, "%s", _("it exited without saying why in its log"));
	free(log);
}

static pid_t
server_spawn(struct drill_sandbox *sb, const struct drill_server_opts *o, struct vs_error *err)
{
	char *conf = fs_join(sb->dir, DRILL_SERVER_CONF);
	char *argv[] = { (char *)o->prog, conf, NULL };
	pid_t parent = getpid(), pid;

	pid = fork();
	if (pid < 0) {
		error_errno(err, VS_ERR_FAILED, errno, _("cannot start %s"), o->prog);
		free(conf);
		return -1;
	}
	if (pid == 0) {
		/* Only async-signal-safe calls between fork and exec. */
		sigset_t none;
		int fd;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (o->tie) {
			/* Killed with the thread that started it, even by SIGKILL. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(127);
			setpgid(0, 0);
		} else {
			setsid();
		}
		if ((fd = open("/dev/null", O_RDWR)) >= 0) {
			dup2(fd, STDIN_FILENO);
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		close_range(3, ~0U, 0);
		if (chdir(sb->dir) != 0)
			_exit(127);
		execv(o->prog, argv);
		_exit(127);
	}
	free(conf);
	return pid;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Loading progress from INFO persistence while the server loads. */
static void
server_loading_progress(redisContext *c, const struct drill_server_opts *o)
{
	redisReply *r;
	const char *p;
	unsigned long long done = 0, total = 0;

	if (o->progress == NULL)
		return;
	r = redisCommand(c, "INFO persistence");
	if (r == NULL)
		return;
	if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) {
		if ((p = strstr(r->str, "loading_loaded_bytes:")) != NULL)
			done = strtoull(p + strlen("loading_loaded_bytes:"), NULL, 10);
		if ((p = strstr(r->str, "loading_total_bytes:")) != NULL)
			total = strtoull(p + strlen("loading_total_bytes:"), NULL, 10);
	}
	freeReplyObject(r);
	o->progress(o->ud, done, total);
}

int
drill_server_start(struct drill_sandbox *sb, const struct drill_server_opts *o,
    redisContext **conn, char *why, size_t whysz, struct vs_error *err)
{
	struct timeval tv = { 1, 0 };
	redisContext *c = NULL;
	time_t deadline = time(NULL) + o->timeout_s;
	pid_t pid;
	int status, cannot;

	*conn = NULL;
	why[0] = '\0';
	if (server_write_conf(sb, o, err) != 0)
		return -1;
	if ((pid = server_spawn(sb, o, err)) < 0)
		return -1;
	if (drill_sandbox_set_server(sb, pid, o->tie, err) != 0) {
		drill_sandbox_stop_server(sb);
		return -1;
	}
	for (;;) {
		redisReply *r;
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid) {
			sb->server = 0;
			if (c != NULL)
				redisFree(c);
			server_log_tail(sb, why, whysz, &cannot);
			if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
				return error_set(err, VS_ERR_FAILED, _("cannot run %s for the drill's "
				    "sandbox; the drill could not run"), o->prog);
			if (cannot >= 0)
				return error_set(err, VS_ERR_FAILED, _("the sandbox's %s cannot load the "
				    "backup: %s (%s); the drill could not run: set drill.redis_server "
				    "to the redis-server the deployment runs"), o->prog,
				    _(server_cannot[cannot].why), why);
			return 1;
		}
		if (o->cancelled != NULL && o->cancelled(o->ud)) {
			error_set(err, VS_ERR_CANCELLED, _("cancelled"));
			break;
		}
		if (time(NULL) > deadline) {
			error_set(err, VS_ERR_FAILED, _("the sandbox's %s did not finish loading "
			    "the backup within %d s (redis.start_timeout); the drill could not run"),
			    o->prog, o->timeout_s);
			break;
		}
		if (c == NULL) {
			c = redisConnectUnixWithTimeout(sb->sock, tv);
			if (c == NULL || c->err) {
				if (c != NULL)
					redisFree(c);
				c = NULL;
				sleep_ms(20);
				continue;
			}
			redisSetTimeout(c, tv);
		}
		r = redisCommand(c, "PING");
		if (r == NULL) {
			redisFree(c);
			c = NULL;
			sleep_ms(20);
			continue;
		}
		if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "LOADING", 7) == 0) {
			freeReplyObject(r);
			server_loading_progress(c, o);
			sleep_ms(50);
			continue;
		}
		if (r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0) {
			freeReplyObject(r);
			if (o->db != 0) {
				r = redisCommand(c, "SELECT %d", o->db);
				if (r == NULL || r->type == REDIS_REPLY_ERROR) {
					error_set(err, VS_ERR_FAILED, _("the sandbox's server refused "
					    "SELECT %d: %s"), o->db, r != NULL ? r->str : c->errstr);
					if (r != NULL)
						freeReplyObject(r);
					break;
				}
				freeReplyObject(r);
			}
			/* Loading can be long; the checks' commands are not. */
			tv.tv_sec = 60;
			redisSetTimeout(c, tv);
			*conn = c;
			return 0;
		}
		error_set(err, VS_ERR_FAILED, _("the sandbox's server answered PING with: %s"),
		    r->type == REDIS_REPLY_ERROR ? r->str : "?");
		freeReplyObject(r);
		break;
	}
	if (c != NULL)
		redisFree(c);
	drill_sandbox_stop_server(sb);
	return -1;
}
