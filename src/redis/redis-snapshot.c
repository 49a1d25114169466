/*
 * Snapshot primitives: write pause, BGSAVE and its completion, the RDB
 * file, shutdown and waiting for a restarted server.
 *
 * Redis 7 counts rdb_saves when a save starts (at the fork), and only one
 * RDB child runs at a time. So the count read in the same pipeline as our
 * "Background saving started" names our save, our save is over once no
 * save runs or the count has moved on, and any later save (which might
 * replace the file) shows as a higher count.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/live-open.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "redis/redis-info.h"
#include "redis/redis-snapshot.h"
#include "redis/redis.intern.h"

int
redis_pause_writes(struct redis_conn *c, int ms, int64_t *deadline,
    struct vs_error *err)
{
	int64_t start = redis_now_ms();
	redisReply *rep;

	rep = redis_conn_command_raw(c, err, "CLIENT PAUSE %d WRITE", ms);
	if (rep == NULL)
		return -1;
	if (rep->type == REDIS_REPLY_ERROR) {
		/* A server before 6.2 answers a syntax error to the WRITE mode;
		 * a missing permission or a renamed command is something else. */
		if (redis_reply_is(rep, "NOPERM") || strstr(rep->str, "unknown command") != NULL)
			redis_conn_reply_error(c, "CLIENT PAUSE", rep, err);
		else
			error_set(err, VS_ERR_REDIS, _("Redis at %s refused CLIENT PAUSE: "
			    "%.200s (pausing only writes needs Redis 6.2 or later)"),
			    redis_conn_where(c), rep->str);
		freeReplyObject(rep);
		return -1;
	}
	freeReplyObject(rep);
	if (deadline != NULL)
		*deadline = start + ms;
	return 0;
}

int
redis_unpause(struct redis_conn *c, struct vs_error *err)
{
	redisReply *rep = redis_conn_command(c, err, "CLIENT UNPAUSE");

	if (rep == NULL)
		return error_prefix(err, _("writes stay paused until redis.pause_ms "
		    "ends"));
	freeReplyObject(rep);
	return 0;
}

/* Report save progress from INFO persistence. */
static void
redis_save_progress(const struct redis_watch *w, const struct redis_persistence *p)
{
	if (p->keys_total > 0 && p->keys_processed >= 0)
		redis_watch_progress(w, (uint64_t)p->keys_processed,
		    (uint64_t)p->keys_total);
}

static int
redis_past(int64_t deadline)
{
	return deadline > 0 && redis_now_ms() > deadline;
}

int
redis_bgsave_wait_idle(struct redis_conn *c, const struct redis_watch *w,
    struct vs_error *err)
{
	struct redis_persistence p;

	for (;;) {
		if (redis_info_fetch_persistence(c, &p, err) < 0)
			return -1;
		if (!p.bgsave_in_progress && !p.aof_rewrite_in_progress)
			return 0;
		redis_save_progress(w, &p);
		if (redis_watch_check(w, _("waiting for a running Redis save to end"),
		    err) < 0)
			return -1;
		redis_sleep_ms(REDIS_POLL_MS);
	}
}

/* Wait, within deadline, for the save someone else started to end. */
static int
redis_bgsave_wait_other(struct redis_conn *c, int64_t deadline,
    const struct redis_watch *w, struct vs_error *err)
{
	struct redis_persistence p;

	for (;;) {
		if (redis_info_fetch_persistence(c, &p, err) < 0)
			return -1;
		if (!p.bgsave_in_progress)
			return 0;
		if (redis_past(deadline))
			return error_set(err, VS_ERR_REDIS, _("cannot start BGSAVE on "
			    "Redis at %s before the write pause ends: another save is "
			    "still running; try again when it is done"),
			    redis_conn_where(c));
		if (redis_watch_check(w, _("waiting for a running Redis save to end"),
		    err) < 0)
			return -1;
		redis_sleep_ms(REDIS_POLL_MS);
	}
}

/* Our save was scheduled behind another child: wait for its fork. */
static int
redis_bgsave_wait_fork(struct redis_conn *c, long long saves_before,
    long long last_save_before, int64_t deadline, const struct redis_watch *w,
    struct redis_bgsave *bs, struct vs_error *err)
{
	struct redis_persistence p;

	for (;;) {
		if (redis_info_fetch_persistence(c, &p, err) < 0)
			return -1;
		if (saves_before >= 0 ? p.saves > saves_before :
		    p.bgsave_in_progress || p.last_save_time != last_save_before) {
			bs->saves = saves_before >= 0 ? saves_before + 1 : -1;
			bs->forked_ms = redis_now_ms();
			return 0;
		}
		if (redis_past(deadline))
			return error_set(err, VS_ERR_REDIS, _("BGSAVE on Redis at %s "
			    "was deferred behind an AOF rewrite that did not end "
			    "before the write pause; try again when it is done"),
			    redis_conn_where(c));
		if (redis_watch_check(w, _("waiting for Redis to start the save"),
		    err) < 0)
			return -1;
		redis_sleep_ms(REDIS_POLL_MS);
	}
}

/* The reply to INFO server: the server's clock. */
static int
redis_bgsave_server_time(struct redis_conn *c, const redisReply *rep,
    struct redis_bgsave *bs, struct vs_error *err)
{
	struct redis_info *info;
	long long usec;

	if (rep->type != REDIS_REPLY_STRING)
		return rep->type == REDIS_REPLY_ERROR ?
		    redis_conn_reply_error(c, "INFO server", rep, err) :
		    error_set(err, VS_ERR_REDIS, _("Redis at %s answered INFO "
		    "with something other than text"), redis_conn_where(c));
	info = redis_info_parse(rep->str, rep->len, redis_conn_where(c));
	usec = redis_info_ll(info, "server_time_usec", -1);
	redis_info_free(info);
	/* Servers before 6.2 do not tell their time: ours is the best guess. */
	bs->server_time = usec >= 0 ? usec / 1000000 : (long long)time(NULL);
	return 0;
}

/* The reply to INFO persistence, into *p. */
static int
redis_bgsave_persistence(struct redis_conn *c, const redisReply *rep,
    struct redis_persistence *p, struct vs_error *err)
{
	struct redis_info *info;
	int rc;

	if (rep->type != REDIS_REPLY_STRING)
		return rep->type == REDIS_REPLY_ERROR ?
		    redis_conn_reply_error(c, "INFO persistence", rep, err) :
		    error_set(err, VS_ERR_REDIS, _("Redis at %s answered INFO "
		    "with something other than text"), redis_conn_where(c));
	info = redis_info_parse(rep->str, rep->len, redis_conn_where(c));
	rc = redis_info_persistence(info, p, err);
	redis_info_free(info);
	return rc;
}

/* The reply to DBSIZE. */
static int
redis_bgsave_dbsize(struct redis_conn *c, const redisReply *rep,
    struct redis_bgsave *bs, struct vs_error *err)
{
	if (rep->type == REDIS_REPLY_INTEGER) {
		bs->dbsize = rep->integer;
		return 0;
	}
	if (rep->type == REDIS_REPLY_ERROR)
		return redis_conn_reply_error(c, "DBSIZE", rep, err);
	return error_set(err, VS_ERR_REDIS, _("Redis at %s answered DBSIZE "
	    "with something other than a number"), redis_conn_where(c));
}

/* The commands of one BGSAVE attempt, sent as one pipeline. */
enum { BG_TIME, BG_SAVE, BG_INFO, BG_DBSIZE, BG_N };
static const char *const bg_commands[BG_N] = {
	[BG_TIME] = "INFO server",
	[BG_SAVE] = "BGSAVE SCHEDULE",
	[BG_INFO] = "INFO persistence",
	[BG_DBSIZE] = "DBSIZE",
};

static void
bg_free(redisReply *rep[BG_N])
{
	for (int i = 0; i < BG_N; i++)
		if (rep[i] != NULL)
			freeReplyObject(rep[i]);
}

int
redis_bgsave_start(struct redis_conn *c, int64_t deadline,
    const struct redis_watch *w, struct redis_bgsave *bs, struct vs_error *err)
{
	memset(bs, 0, sizeof *bs);
	bs->saves = -1;
	bs->dbsize = -1;
	bs->server_time = -1;
	for (;;) {
		redisReply *rep[BG_N] = { NULL };
		redisReply *save;
		struct redis_persistence p;
		int rc;

		if (redis_watch_check(w, _("starting a Redis save"), err) < 0)
			return -1;
		/* Redis runs a pipeline with no other client in between: the
		 * INFO after our BGSAVE sees the state right after it, and the
		 * server's clock just before and DBSIZE just after are what
		 * the file it writes must show (redis_rdb_prove()). Writes are
		 * paused, so DBSIZE is the key count at the fork. */
		for (int i = 0; i < BG_N; i++)
			if (redis_conn_append(c, err, bg_commands[i]) < 0)
				return -1;
		for (int i = 0; i < BG_N; i++) {
			if ((rep[i] = redis_conn_reply(c, bg_commands[i], err)) == NULL) {
				bg_free(rep);
				return -1;
			}
		}
		save = rep[BG_SAVE];
		if (redis_bgsave_server_time(c, rep[BG_TIME], bs, err) < 0 ||
		    redis_bgsave_persistence(c, rep[BG_INFO], &p, err) < 0 ||
		    (save->type != REDIS_REPLY_ERROR &&
		    redis_bgsave_dbsize(c, rep[BG_DBSIZE], bs, err) < 0)) {
			bg_free(rep);
			return -1;
		}

		if (save->type == REDIS_REPLY_STATUS &&
		    strstr(save->str, "started") != NULL) {
			bg_free(rep);
			bs->saves = p.saves;
			bs->forked_ms = redis_now_ms();
			return 0;
		}
		if (save->type == REDIS_REPLY_STATUS &&
		    strstr(save->str, "scheduled") != NULL) {
			bg_free(rep);
			bs->scheduled = true;
			return redis_bgsave_wait_fork(c, p.saves, p.last_save_time,
			    deadline, w, bs, err);
		}
		if (save->type == REDIS_REPLY_ERROR &&
		    strstr(save->str, "already in progress") != NULL) {
			bg_free(rep);
			bs->waited_for_other = true;
			if (redis_bgsave_wait_other(c, deadline, w, err) < 0)
				return -1;
			continue;
		}
		if (save->type == REDIS_REPLY_ERROR)
			rc = redis_conn_reply_error(c, "BGSAVE", save, err);
		else
			rc = error_set(err, VS_ERR_REDIS, _("Redis at %s answered "
			    "BGSAVE with \"%.100s\", not \"Background saving started\""),
			    redis_conn_where(c), save->str != NULL ? save->str : "");
		bg_free(rep);
		return rc;
	}
}

int
redis_bgsave_wait(struct redis_conn *c, struct redis_bgsave *bs,
    const struct redis_watch *w, struct vs_error *err)
{
	struct redis_persistence p;

	for (;;) {
		bool done;

		if (redis_info_fetch_persistence(c, &p, err) < 0)
			return -1;
		if (bs->saves >= 0 && p.saves < bs->saves)
			return error_set(err, VS_ERR_REDIS, _("Redis at %s restarted "
			    "during the save (rdb_saves went from %lld to %lld)"),
			    redis_conn_where(c), bs->saves, p.saves);
		/* Ours is over when nothing runs, or a later save does. */
		done = !p.bgsave_in_progress || (bs->saves >= 0 && p.saves > bs->saves);
		if (done) {
			if (strcmp(p.last_bgsave_status, "ok") != 0)
				return error_set(err, VS_ERR_REDIS, _("BGSAVE on Redis "
				    "at %s failed (rdb_last_bgsave_status:%s): see the "
				    "Redis log; a full disk or a data directory Redis "
				    "cannot write are the usual causes"),
				    redis_conn_where(c), p.last_bgsave_status);
			bs->last_save_time = p.last_save_time;
			if (p.keys_total > 0)
				redis_watch_progress(w, (uint64_t)p.keys_total,
				    (uint64_t)p.keys_total);
			return 0;
		}
		redis_save_progress(w, &p);
		if (redis_watch_check(w, _("waiting for the Redis save to complete"),
		    err) < 0)
			return -1;
		redis_sleep_ms(REDIS_POLL_MS);
	}
}

/* CONFIG GET name: the value, allocated, or NULL with err. */
static char *
redis_config_get(struct redis_conn *c, const char *name, struct vs_error *err)
{
	redisReply *rep = redis_conn_command(c, err, "CONFIG GET %s", name);
	char *value = NULL;

	if (rep == NULL)
		return NULL;
	if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
	    rep->element[1]->type == REDIS_REPLY_STRING)
		value = xstrndup(rep->element[1]->str, rep->element[1]->len);
	else
		error_set(err, VS_ERR_REDIS, _("Redis at %s has no setting %s"),
		    redis_conn_where(c), name);
	freeReplyObject(rep);
	return value;
}

int
redis_rdb_path(struct redis_conn *c, char **path, struct vs_error *err)
{
	const struct config *cfg = redis_conn_config(c);
	char *dir, *name;

	*path = NULL;
	if (cfg->redis.data_dir[0] != '\0')
		dir = xstrdup(cfg->redis.data_dir);
	else if ((dir = redis_config_get(c, "dir", err)) == NULL)
		return error_prefix(err, _("cannot find the RDB file of Redis at %s "
		    "(set redis.data_dir and redis.dbfilename in %s)"),
		    redis_conn_where(c), redis_conf_name(cfg));
	if (cfg->redis.dbfilename[0] != '\0')
		name = xstrdup(cfg->redis.dbfilename);
	else if ((name = redis_config_get(c, "dbfilename", err)) == NULL) {
		free(dir);
		return error_prefix(err, _("cannot find the RDB file of Redis at %s "
		    "(set redis.dbfilename in %s)"), redis_conn_where(c),
		    redis_conf_name(cfg));
	}
	*path = name[0] == '/' ? xstrdup(name) : xasprintf("%s/%s", dir, name);
	free(dir);
	free(name);
	return 0;
}

int
redis_bgsave_check_current(struct redis_conn *c, const struct redis_bgsave *bs,
    bool *current, struct vs_error *err)
{
	struct redis_persistence p;

	*current = false;
	if (redis_info_fetch_persistence(c, &p, err) < 0)
		return -1;
	if (bs->saves >= 0 && p.saves >= 0)
		*current = p.saves == bs->saves;
	else
		*current = !p.bgsave_in_progress &&
		    p.last_save_time == bs->last_save_time;
	return 0;
}

int
redis_rdb_open(struct redis_conn *c, const struct redis_bgsave *bs, int *fd,
    char **path, struct vs_error *err)
{
	struct vs_error lerr;
	struct stat st;
	char magic[5];
	bool current;
	int saved;

	*fd = -1;
	error_clear(&lerr);
	if (redis_rdb_path(c, path, err) < 0)
		return -1;
	if (live_open("redis.dbfilename", *path, 0, fd, &st, &lerr) != 0) {
		saved = errno;
		if (saved == 0)    /* opened, then refused */
			*err = lerr;
		else
			error_set(err, lerr.code, _("cannot open the RDB file %s of Redis at %s: "
			    "%s%s"), *path, redis_conn_where(c), strerror(saved), saved == EACCES ?
			    _(" (vsbackup needs read access to Redis's data directory, "
			    "or can fetch the RDB over replication)") : "");
		goto fail;
	}
	/* Where CONFIG SET dir could point (dir is a protected config since
	 * 7.0), it must at least be an RDB file. */
	if (st.st_size > 0 && (fs_pread_full(*fd, magic, sizeof magic, 0) != (ssize_t)sizeof magic ||
	    (memcmp(magic, "REDIS", 5) != 0 && memcmp(magic, "VALKE", 5) != 0))) {
		error_set(err, VS_ERR_FORMAT, _("%s, the RDB file of Redis at %s, does not "
		    "start like an RDB file; check redis.data_dir and redis.dbfilename, or "
		    "Redis's dir and dbfilename"), *path, redis_conn_where(c));
		goto fail;
	}
	if (redis_bgsave_check_current(c, bs, &current, err) < 0)
		goto fail;
	if (!current) {
		error_set(err, VS_ERR_REDIS, _("another save started on Redis at %s "
		    "after ours and may have replaced %s; the snapshot must be "
		    "taken again"), redis_conn_where(c), *path);
		close(*fd);
		*fd = -1;
		free(*path);
		*path = NULL;
		return REDIS_RDB_REPLACED;
	}
	return 0;

fail:
	if (*fd != -1)
		close(*fd);
	*fd = -1;
	free(*path);
	*path = NULL;
	return -1;
}

int
redis_rdb_prove(struct redis_conn *c, const struct redis_bgsave *bs,
    const char *path, long long ctime, uint64_t db_keys, struct vs_error *err)
{
	const struct config *cfg = redis_conn_config(c);
	char fix[VS_ERROR_MSG_MAX / 2];

	snprintf(fix, sizeof fix, _("Redis writes its snapshots to another file: set "
	    "redis.data_dir and redis.dbfilename in %s to the dir and dbfilename "
	    "of Redis at %s (CONFIG GET dir, CONFIG GET dbfilename, or its "
	    "redis.conf)"), redis_conf_name(cfg), redis_conn_where(c));
	/* ctime is whole seconds from the child's clock, taken after the
	 * fork; one second of slack covers the rounding. */
	if (ctime >= 0 && bs->server_time >= 0 && ctime < bs->server_time - 1) {
		char at[ISO8601_SIZE], save[ISO8601_SIZE];

		time_format_iso((time_t)ctime, at);
		time_format_iso((time_t)bs->server_time, save);
		return error_set(err, VS_ERR_REDIS, _("the RDB file %s is not the "
		    "snapshot this backup just made: it was written at %s, before "
		    "this backup's save started (%s on the clock of Redis at %s). %s"),
		    path, at, save, redis_conn_where(c), fix);
	}
	if (bs->dbsize >= 0 && (uint64_t)bs->dbsize != db_keys)
		return error_set(err, VS_ERR_REDIS, _("the RDB file %s is not the "
		    "snapshot this backup just made: it holds %llu keys in db %d, "
		    "but Redis had %lld when the save started. %s"), path,
		    (unsigned long long)db_keys, cfg->redis.db, bs->dbsize, fix);
	return 0;
}

int
redis_shutdown_nosave(struct redis_conn *c, struct vs_error *err)
{
	redisReply *rep = redis_conn_command_raw(c, err, "SHUTDOWN NOSAVE");
	const redisContext *ctx = redis_conn_context(c);

	if (rep == NULL) {
		/* The server exits without answering: that is the success. */
		if (ctx->err == REDIS_ERR_EOF || (ctx->err == REDIS_ERR_IO &&
		    strstr(ctx->errstr, "reset") != NULL)) {
			error_clear(err);
			return 0;
		}
		return -1;
	}
	if (rep->type == REDIS_REPLY_ERROR)
		redis_conn_reply_error(c, "SHUTDOWN NOSAVE", rep, err);
	else
		error_set(err, VS_ERR_REDIS, _("Redis at %s answered SHUTDOWN NOSAVE "
		    "but did not stop"), redis_conn_where(c));
	freeReplyObject(rep);
	return -1;
}

/* On a ready-looking connection: loading done and PING answered? */
static int
redis_ready_check(struct redis_conn *c, const struct redis_watch *w,
    bool *ready, struct vs_error *err)
{
	struct redis_persistence p;
	redisReply *rep;

	*ready = false;
	if (redis_info_fetch_persistence(c, &p, err) < 0)
		return -1;
	if (p.loading) {
		redis_watch_progress(w, (uint64_t)p.loading_loaded_bytes,
		    (uint64_t)p.loading_total_bytes);
		return 0;
	}
	if ((rep = redis_conn_command_raw(c, err, "PING")) == NULL)
		return -1;
	*ready = rep->type != REDIS_REPLY_ERROR;
	if (rep->type == REDIS_REPLY_ERROR && !redis_reply_is(rep, "LOADING")) {
		redis_conn_reply_error(c, "PING", rep, err);
		freeReplyObject(rep);
		return -1;
	}
	freeReplyObject(rep);
	return 0;
}

int
redis_wait_ready(const struct config *cfg, const struct redis_watch *w,
    struct redis_conn **out, struct vs_error *err)
{
	int64_t deadline = redis_now_ms() + (int64_t)cfg->redis.start_timeout * 1000;
	struct redis_conn *c = NULL;
	struct vs_error last;
	enum redis_open_result result;

	if (out != NULL)
		*out = NULL;
	error_clear(&last);
	for (;;) {
		bool ready = false;

		if (redis_watch_check(w, _("waiting for Redis to start"), err) < 0)
			goto fail;
		if (c == NULL) {
			if (redis_conn_open_result(cfg, 1000, &c, &result, &last) < 0 &&
			    result == REDIS_OPEN_REFUSED) {
				*err = last;
				return -1;
			}
		}
		if (c != NULL) {
			if (redis_ready_check(c, w, &ready, &last) < 0) {
				if (!redis_conn_broken(c)) {
					*err = last;
					goto fail;
				}
				redis_conn_close(c);
				c = NULL;
			} else if (ready) {
				if (out != NULL)
					*out = c;
				else
					redis_conn_close(c);
				return 0;
			}
		}
		if (redis_now_ms() > deadline) {
			error_set(err, VS_ERR_REDIS, _("Redis did not become ready within "
			    "%d s (redis.start_timeout in %s): %s"),
			    cfg->redis.start_timeout, redis_conf_name(cfg),
			    last.msg[0] != '\0' ? last.msg : _("still loading"));
			goto fail;
		}
		redis_sleep_ms(c == NULL ? 100 : 50);
	}

fail:
	redis_conn_close(c);
	return -1;
}
