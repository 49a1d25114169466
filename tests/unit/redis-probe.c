/*
 * A driver for the Redis integration tests (tests/integration/redis-*.sh):
 * runs one step of src/redis/ against the server a configuration file
 * names and prints what happened as key=value lines. Errors go to stderr
 * as "error (CODE): MESSAGE" with exit status 1.
 *
 *   redis-probe CONF ping
 *   redis-probe CONF info SECTION KEY
 *   redis-probe CONF pause-hold PAUSE_MS HOLD_MS READY_FILE
 *   redis-probe CONF bgsave                 start (after any running save),
 *                                           wait, open and read the file
 *   redis-probe CONF snapshot OUT           the backup sequence, with a pause
 *   redis-probe CONF snapshot-now OUT       the same without first waiting for
 *                                           a running save to end
 *   redis-probe CONF sync OUT               the replication fetch, with a pause
 *   redis-probe CONF summary FILE           the reader on a file
 *   redis-probe CONF bgsave-then-other      our save, then another one, then
 *                                           redis_rdb_open(): must say replaced
 *   redis-probe CONF rdb-path | fork-delay | shutdown | wait-ready
 *
 * Option --cancel-after MS (before CONF) makes the cancel hook fire.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "config/conf.h"
#include "redis/rdb-reader.h"
#include "redis/redis-conn.h"
#include "redis/redis-info.h"
#include "redis/redis-snapshot.h"
#include "redis/redis-sync.h"

static const struct config *cfg;
static int64_t cancel_at;
static uint64_t nprogress, progress_total_max;

static bool
probe_cancelled(void *arg)
{
	return cancel_at > 0 && redis_now_ms() >= cancel_at;
}

static void
probe_progress(void *arg, uint64_t done, uint64_t total)
{
	nprogress++;
	if (total > progress_total_max)
		progress_total_max = total;
	fprintf(stderr, "progress %" PRIu64 "/%" PRIu64 "\n", done, total);
}

static const struct redis_watch watch = {
	.progress = probe_progress,
	.cancelled = probe_cancelled,
};

static int
fail(const struct vs_error *err)
{
	fprintf(stderr, "error (%s): %s\n", error_code_name(err->code), err->msg);
	return 1;
}

static long long
wall_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static struct rdb_reader *
probe_reader(void)
{
	return rdb_reader_new((const char *const *)cfg->redis.prefixes,
	    cfg->redis.nprefixes, cfg->redis.db);
}

static int
print_summary(struct rdb_reader *r, struct vs_error *err)
{
	struct rdb_summary sum;
	int rc = rdb_reader_finish(r, &sum, err);

	rdb_reader_free(r);
	if (rc < 0)
		return -1;
	printf("version=%d\nredis_ver=%s\nctime=%lld\n", sum.version, sum.redis_ver,
	    sum.ctime);
	printf("db_keys=%" PRIu64 "\ndb_expires=%" PRIu64 "\nall_keys=%" PRIu64 "\n",
	    sum.db_keys, sum.db_expires, sum.all_keys);
	for (size_t i = 0; i < sum.nprefixes; i++)
		printf("prefix.%s=%" PRIu64 "\n", cfg->redis.prefixes[i],
		    sum.prefix_keys[i]);
	printf("checksum=%s\nbytes=%" PRIu64 "\n", !sum.checksum_present ? "absent" :
	    sum.checksum_ok ? "ok" : "bad", sum.bytes);
	rdb_summary_clear(&sum);
	return 0;
}

/* Copy fd to out (when not NULL) feeding the reader; print the summary. */
static int
copy_and_summarize(int fd, const char *out, struct vs_error *err)
{
	struct rdb_reader *r = probe_reader();
	static unsigned char buf[1 << 20];
	int ofd = -1;
	ssize_t n;

	if (out != NULL && (ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0) {
		rdb_reader_free(r);
		return error_errno(err, VS_ERR_IO, errno, "open %s", out);
	}
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		if (rdb_reader_feed(r, buf, (size_t)n, err) < 0 ||
		    (ofd >= 0 && fs_write_full(ofd, buf, (size_t)n) < 0)) {
			if (ofd >= 0)
				close(ofd);
			rdb_reader_free(r);
			return -1;
		}
	}
	if (ofd >= 0)
		close(ofd);
	return print_summary(r, err);
}

static int
cmd_bgsave(struct redis_conn *c, const char *out, bool paused, bool wait_idle,
    struct vs_error *err)
{
	struct redis_bgsave bs;
	int64_t deadline = 0;
	char *path;
	int fd, rc;

	if (paused) {
		if ((wait_idle && redis_bgsave_wait_idle(c, &watch, err) < 0) ||
		    redis_pause_writes(c, cfg->redis.pause_ms, &deadline, err) < 0)
			return -1;
	}
	if (redis_bgsave_start(c, deadline, &watch, &bs, err) < 0) {
		if (paused)
			redis_unpause(c, NULL);
		return -1;
	}
	if (paused) {
		printf("fork_within_pause=%d\n", bs.forked_ms <= deadline);
		if (redis_unpause(c, err) < 0)
			return -1;
	}
	printf("waited_for_other=%d\nscheduled=%d\nsaves=%lld\n",
	    bs.waited_for_other, bs.scheduled, bs.saves);
	fflush(stdout);
	if (redis_bgsave_wait(c, &bs, &watch, err) < 0)
		return -1;
	rc = redis_rdb_open(c, &bs, &fd, &path, err);
	if (rc == REDIS_RDB_REPLACED) {
		printf("replaced=1\n");
		return -1;
	}
	if (rc < 0)
		return -1;
	printf("path=%s\n", path);
	free(path);
	rc = copy_and_summarize(fd, out, err);
	close(fd);
	return rc;
}

struct sync_sink {
	int fd;
	struct rdb_reader *r;
};

static int
sync_sink(void *arg, const void *buf, size_t len, struct vs_error *err)
{
	struct sync_sink *t = arg;

	if (rdb_reader_feed(t->r, buf, len, err) < 0)
		return -1;
	if (fs_write_full(t->fd, buf, len) < 0)
		return error_errno(err, VS_ERR_IO, errno, "write");
	return 0;
}

static int
cmd_sync(struct redis_conn *c, const char *out, struct vs_error *err)
{
	struct redis_sync *s;
	struct sync_sink t;
	int64_t deadline, t0;
	uint64_t n;
	int delay, rc;

	if (redis_sync_fork_delay(c, &delay, err) < 0)
		return -1;
	printf("fork_delay=%d\n", delay);
	if (redis_pause_writes(c, cfg->redis.pause_ms, &deadline, err) < 0)
		return -1;
	t0 = redis_now_ms();
	if (redis_sync_start(cfg, 0, &watch, &s, err) < 0) {
		redis_unpause(c, NULL);
		return -1;
	}
	printf("fork_within_pause=%d\nstart_ms=%lld\n", redis_now_ms() <= deadline,
	    (long long)(redis_now_ms() - t0));
	if (redis_unpause(c, err) < 0) {
		redis_sync_free(s);
		return -1;
	}
	if ((t.fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0) {
		redis_sync_free(s);
		return error_errno(err, VS_ERR_IO, errno, "open %s", out);
	}
	t.r = probe_reader();
	rc = redis_sync_read_to(s, sync_sink, &t, &watch, &n, err);
	close(t.fd);
	printf("diskless=%d\nsize=%" PRIu64 "\n", redis_sync_diskless(s),
	    redis_sync_size(s));
	redis_sync_free(s);
	if (rc < 0) {
		rdb_reader_free(t.r);
		return -1;
	}
	printf("payload=%" PRIu64 "\n", n);
	return print_summary(t.r, err);
}

int
main(int argc, char **argv)
{
	struct config *conf;
	struct redis_conn *c = NULL;
	struct vs_error err;
	const char *cmd;
	int rc = 0;

	error_clear(&err);
	if (argc > 2 && strcmp(argv[1], "--cancel-after") == 0) {
		cancel_at = redis_now_ms() + atoll(argv[2]);
		argc -= 2;
		argv += 2;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: redis-probe [--cancel-after MS] CONF COMMAND [ARGS]\n");
		return 2;
	}
	if (config_load(argv[1], &conf, &err) < 0)
		return fail(&err);
	cfg = conf;
	cmd = argv[2];

	if (strcmp(cmd, "summary") == 0 && argc == 4) {
		int fd = open(argv[3], O_RDONLY);

		if (fd < 0) {
			perror(argv[3]);
			return 1;
		}
		rc = copy_and_summarize(fd, NULL, &err);
		close(fd);
		goto done;
	}
	if (strcmp(cmd, "wait-ready") == 0) {
		rc = redis_wait_ready(cfg, &watch, &c, &err);
		if (rc == 0)
			printf("ready\nloading_reports=%" PRIu64 "\nloading_total=%" PRIu64 "\n",
			    nprogress, progress_total_max);
		goto done;
	}
	if (redis_conn_open(cfg, &c, &err) < 0) {
		rc = -1;
		goto done;
	}
	if (strcmp(cmd, "ping") == 0) {
		redisReply *rep = redis_conn_command(c, &err, "PING");

		if ((rc = rep != NULL ? 0 : -1) == 0)
			printf("%s\n", rep->str);
		freeReplyObject(rep);
	} else if (strcmp(cmd, "info") == 0 && argc == 5) {
		struct redis_info *info;

		if ((rc = redis_info_fetch(c, argv[3], &info, &err)) == 0) {
			const char *v = redis_info_get(info, argv[4]);
			long long keys, expires;

			printf("value=%s\n", v != NULL ? v : "(none)");
			printf("version=%s\nversion_num=%d\n", redis_info_version(info),
			    redis_info_version_num(info));
			redis_info_db_keys(info, cfg->redis.db, &keys, &expires);
			printf("db_keys=%lld\ndb_expires=%lld\n", keys, expires);
			redis_info_free(info);
		}
	} else if (strcmp(cmd, "persistence") == 0) {
		struct redis_persistence p;

		if ((rc = redis_info_fetch_persistence(c, &p, &err)) == 0)
			printf("loading=%d\nbgsave_in_progress=%d\nstatus=%s\nsaves=%lld\n"
			    "aof_enabled=%d\n", p.loading, p.bgsave_in_progress,
			    p.last_bgsave_status, p.saves, p.aof_enabled);
	} else if (strcmp(cmd, "pause-hold") == 0 && argc == 6) {
		int64_t deadline;

		rc = redis_pause_writes(c, atoi(argv[3]), &deadline, &err);
		if (rc == 0) {
			int fd = open(argv[5], O_WRONLY | O_CREAT, 0600);

			if (fd >= 0)
				close(fd);
			redis_sleep_ms(atoi(argv[4]));
			printf("unpause_at=%lld\n", wall_ms());
			fflush(stdout);
			rc = redis_unpause(c, &err);
		}
	} else if (strcmp(cmd, "bgsave") == 0) {
		rc = cmd_bgsave(c, argc > 3 ? argv[3] : NULL, false, false, &err);
	} else if (strcmp(cmd, "bgsave-then-other") == 0) {
		struct redis_bgsave bs, other;
		char *path;
		int fd;

		rc = -1;
		if (redis_bgsave_start(c, 0, &watch, &bs, &err) == 0 &&
		    redis_bgsave_wait(c, &bs, &watch, &err) == 0 &&
		    redis_bgsave_start(c, 0, &watch, &other, &err) == 0 &&
		    redis_bgsave_wait(c, &other, &watch, &err) == 0) {
			rc = redis_rdb_open(c, &bs, &fd, &path, &err);
			printf("open=%d\n", rc);
			if (rc == 0) {
				close(fd);
				free(path);
			}
			rc = rc == REDIS_RDB_REPLACED ? 0 : -1;
			printf("message=%s\n", err.msg);
		}
	} else if (strcmp(cmd, "snapshot") == 0 && argc == 4) {
		rc = cmd_bgsave(c, argv[3], true, true, &err);
	} else if (strcmp(cmd, "snapshot-now") == 0 && argc == 4) {
		rc = cmd_bgsave(c, argv[3], true, false, &err);
	} else if (strcmp(cmd, "sync") == 0 && argc == 4) {
		rc = cmd_sync(c, argv[3], &err);
	} else if (strcmp(cmd, "rdb-path") == 0) {
		char *path;

		if ((rc = redis_rdb_path(c, &path, &err)) == 0) {
			printf("path=%s\n", path);
			free(path);
		}
	} else if (strcmp(cmd, "fork-delay") == 0) {
		int delay;

		if ((rc = redis_sync_fork_delay(c, &delay, &err)) == 0)
			printf("fork_delay=%d\n", delay);
	} else if (strcmp(cmd, "shutdown") == 0) {
		if ((rc = redis_shutdown_nosave(c, &err)) == 0)
			printf("stopped\n");
	} else {
		fprintf(stderr, "redis-probe: unknown command or arguments: %s\n", cmd);
		rc = 2;
	}

done:
	redis_conn_close(c);
	config_free(conf);
	if (rc == 2)
		return 2;
	if (rc != 0)
		return fail(&err);
	return 0;
}
