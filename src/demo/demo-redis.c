/*
 * The demo's private redis-server: its redis.conf (unix socket only, no
 * TCP port), starting it and waiting until it answers, finding it by its
 * pidfile or socket, and stopping it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "demo/demo.intern.h"

#define DEMO_START_TIMEOUT_MS 10000
#define DEMO_STOP_TIMEOUT_MS 10000

static void
demo_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* The last lines of a log, at most max bytes, for an error message. */
static char *
demo_log_tail(const char *path, size_t max)
{
	char *data, *start;
	size_t len;
	struct vs_error err;

	if (fs_read_all(path, 1 << 24, &data, &len, &err) != 0)
		return xstrdup(_("(no log was written)"));
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == ' '))
		data[--len] = '\0';
	start = len > max ? data + len - max : data;
	if (start != data) {
		char *nl = strchr(start, '\n');

		if (nl != NULL)
			start = nl + 1;
	}
	start = *start != '\0' ? xstrdup(start) : xstrdup(_("(the log is empty)"));
	free(data);
	return start;
}

/* The pid in the pidfile when that process exists and is a redis-server. */
pid_t
demo_redis_pid(const char *pidfile)
{
	char *data, comm[64], *commpath;
	size_t len;
	long pid;
	struct vs_error err;
	FILE *fp;

	if (fs_read_all(pidfile, 64, &data, &len, &err) != 0)
		return 0;
	pid = strtol(data, NULL, 10);
	free(data);
	if (pid <= 1 || kill((pid_t)pid, 0) != 0)
		return 0;
	commpath = xasprintf("/proc/%ld/comm", pid);
	fp = fopen(commpath, "r");
	free(commpath);
	if (fp == NULL)
		return (pid_t)pid; /* no /proc: trust the pidfile */
	if (fgets(comm, sizeof comm, fp) == NULL)
		comm[0] = '\0';
	fclose(fp);
	return strncmp(comm, "redis-server", 12) == 0 ? (pid_t)pid : 0;
}

/* A connection to the socket when the server answers PING (LOADING counts
 * as not answering yet). */
redisContext *
demo_redis_connect(const char *sock, int timeout_ms)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	redisContext *c = redisConnectUnixWithTimeout(sock, tv);
	redisReply *r;

	if (c == NULL)
		return NULL;
	if (c->err != 0) {
		redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, tv);
	r = redisCommand(c, "PING");
	if (r == NULL || r->type != REDIS_REPLY_STATUS) {
		if (r != NULL)
			freeReplyObject(r);
		redisFree(c);
		return NULL;
	}
	freeReplyObject(r);
	return c;
}

int
demo_write_redis_conf(const struct demo_paths *p, struct vs_error *err)
{
	char *sock = demo_conf_quote(p->socket), *pid = demo_conf_quote(p->redis_pid);
	char *log = demo_conf_quote(p->redis_log), *dir = demo_conf_quote(p->redis_dir);
	char *text;
	int rc;

	text = xasprintf(
	    "# The private Redis server of the vsbackup demo in this directory.\n"
	    "# Start: redis-server redis.conf   Stop: vsbackup demo --stop --dir DIR\n"
	    "port 0\n"
	    "unixsocket %s\n"
	    "unixsocketperm 700\n"
	    "daemonize yes\n"
	    "pidfile %s\n"
	    "logfile %s\n"
	    "dir %s\n"
	    "dbfilename dump.rdb\n"
	    "save \"\"\n"
	    "appendonly no\n"
	    "enable-debug-command local\n",
	    sock, pid, log, dir);
	rc = fs_write_atomic(p->redis_conf, text, strlen(text), 0600, err);
	free(text);
	free(sock);
	free(pid);
	free(log);
	free(dir);
	return rc;
}

int
demo_redis_start(const struct demo_paths *p, const char *server, struct vs_error *err)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = { (char *)"redis-server", p->redis_conf, NULL };
	char *tail;
	pid_t pid;
	int rc, status;
	redisContext *c = NULL;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, p->redis_log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	rc = posix_spawn(&pid, server, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return error_errno(err, VS_ERR_REDIS, rc, _("cannot run %s"), server);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return error_errno(err, VS_ERR_REDIS, errno, _("cannot wait for %s"), server);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		tail = demo_log_tail(p->redis_log, 600);
		error_set(err, VS_ERR_REDIS,
		    _("redis-server failed to start with %s; the end of %s:\n%s"),
		    p->redis_conf, p->redis_log, tail);
		free(tail);
		return -1;
	}
	/* With daemonize the parent exits at once; wait until it answers. */
	for (int waited = 0; waited < DEMO_START_TIMEOUT_MS; waited += 50) {
		if ((c = demo_redis_connect(p->socket, 1000)) != NULL)
			break;
		demo_sleep_ms(50);
	}
	if (c == NULL) {
		tail = demo_log_tail(p->redis_log, 600);
		error_set(err, VS_ERR_REDIS,
		    _("redis-server did not answer on %s within %d s; the end of %s:\n%s"),
		    p->socket, DEMO_START_TIMEOUT_MS / 1000, p->redis_log, tail);
		free(tail);
		return -1;
	}
	redisFree(c);
	return 0;
}

/* Stop the server on sock (or with the pid in pidfile) and wait for it. */
int
demo_redis_shutdown(const char *sock, const char *pidfile, bool *was_running,
    struct vs_error *err)
{
	pid_t pid = demo_redis_pid(pidfile);
	redisContext *c = demo_redis_connect(sock, 2000);
	int waited;

	*was_running = false;
	if (c != NULL) {
		redisReply *r = redisCommand(c, "SHUTDOWN NOSAVE");

		/* Success closes the connection: no reply. */
		if (r != NULL && r->type == REDIS_REPLY_ERROR) {
			error_set(err, VS_ERR_REDIS, _("the Redis server on %s refused to shut down: %s"),
			    sock, r->str);
			freeReplyObject(r);
			redisFree(c);
			return -1;
		}
		if (r != NULL)
			freeReplyObject(r);
		redisFree(c);
		*was_running = true;
	} else if (pid > 0) {
		if (kill(pid, SIGTERM) != 0 && errno != ESRCH)
			return error_errno(err, VS_ERR_REDIS, errno,
			    _("cannot stop redis-server (pid %ld from %s)"), (long)pid, pidfile);
		*was_running = true;
	} else {
		return 0;
	}
	for (waited = 0; waited < DEMO_STOP_TIMEOUT_MS; waited += 50) {
		bool alive;

		if (pid > 0) {
			alive = kill(pid, 0) == 0;
		} else {
			redisContext *t = demo_redis_connect(sock, 500);

			alive = t != NULL;
			if (t != NULL)
				redisFree(t);
		}
		if (!alive)
			return 0;
		demo_sleep_ms(50);
	}
	if (pid > 0)
		return error_set(err, VS_ERR_REDIS,
		    _("redis-server (pid %ld) is still running %d s after it was told to stop"),
		    (long)pid, DEMO_STOP_TIMEOUT_MS / 1000);
	return error_set(err, VS_ERR_REDIS,
	    _("the Redis server on %s still answers %d s after it was told to stop"),
	    sock, DEMO_STOP_TIMEOUT_MS / 1000);
}
