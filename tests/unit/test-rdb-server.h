/*
 * A private redis-server for the RDB reader tests: started on a unix socket
 * in a fresh temporary directory, stopped and removed at the end.
 * Covers nothing by itself; used by test-rdb.c and test-rdb-speed.c.
 */
#ifndef VS_TEST_RDB_SERVER_H
#define VS_TEST_RDB_SERVER_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

struct tserver {
	char dir[256];
	char sock[300];
	char rdb[300];
	pid_t pid;
	redisContext *c;
};

/* Is redis-server on PATH? */
static int __attribute__((unused))
tserver_available(void)
{
	return system("command -v redis-server >/dev/null 2>&1") == 0;
}

/* Start redis-server with extra_conf lines appended to a minimal config. */
static int
tserver_start(struct tserver *s, const char *extra_conf)
{
	char conf[320];
	FILE *f;
	const char *tmp = getenv("TMPDIR");

	memset(s, 0, sizeof *s);
	snprintf(s->dir, sizeof s->dir, "%s/vsrdb.XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(s->dir) == NULL)
		return -1;
	snprintf(s->sock, sizeof s->sock, "%s/redis.sock", s->dir);
	snprintf(s->rdb, sizeof s->rdb, "%s/dump.rdb", s->dir);
	snprintf(conf, sizeof conf, "%s/redis.conf", s->dir);
	if ((f = fopen(conf, "w")) == NULL)
		return -1;
	fprintf(f, "port 0\nunixsocket %s\nunixsocketperm 700\ndir %s\n"
	    "dbfilename dump.rdb\nlogfile %s/redis.log\nsave \"\"\n"
	    "appendonly no\nenable-debug-command local\n%s\n",
	    s->sock, s->dir, s->dir, extra_conf ? extra_conf : "");
	fclose(f);

	s->pid = fork();
	if (s->pid < 0)
		return -1;
	if (s->pid == 0) {
		/* Die with the test, even when it crashes, and do not hold its
		 * output pipe open (the server logs to its own file). */
		int null = open("/dev/null", O_RDWR);

		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		execlp("redis-server", "redis-server", conf, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		struct timespec ts = { 0, 25 * 1000 * 1000 };

		s->c = redisConnectUnix(s->sock);
		if (s->c != NULL && s->c->err == 0) {
			redisReply *rep = redisCommand(s->c, "PING");
			int up = rep != NULL && rep->type == REDIS_REPLY_STATUS;

			freeReplyObject(rep);
			if (up)
				return 0;
		}
		if (s->c != NULL)
			redisFree(s->c);
		s->c = NULL;
		nanosleep(&ts, NULL);
	}
	return -1;
}

static void
tserver_stop(struct tserver *s)
{
	char cmd[400];
	int status;

	if (s->c != NULL)
		redisFree(s->c);
	s->c = NULL;
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, &status, 0);
		s->pid = 0;
	}
	if (s->dir[0] != '\0') {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "# could not remove %s\n", s->dir);
	}
}

/* Run a command and say whether it answered without an error. */
static int __attribute__((unused))
tserver_cmd(struct tserver *s, const char *fmt, ...)
{
	va_list ap;
	redisReply *rep;
	int good;

	va_start(ap, fmt);
	rep = redisvCommand(s->c, fmt, ap);
	va_end(ap);
	good = rep != NULL && rep->type != REDIS_REPLY_ERROR;
	if (rep != NULL && rep->type == REDIS_REPLY_ERROR)
		printf("# redis: %s\n", rep->str);
	freeReplyObject(rep);
	return good ? 0 : -1;
}

/* Read a whole file into memory. */
static __attribute__((unused)) unsigned char *
tserver_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

#endif
