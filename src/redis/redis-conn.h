/*
 * A connection to the configured Redis (hiredis 0.14, blocking, RESP2).
 * Every failure fills a struct vs_error (code VS_ERR_REDIS, or
 * VS_ERR_CANCELLED) whose message names the server, the command and, where
 * it helps, the configuration key to check. The password never appears in
 * a message. A connection belongs to one thread at a time.
 */
#ifndef VS_REDIS_CONN_H
#define VS_REDIS_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "common/error.h"
#include "config/conf.h"

struct redis_conn;

/*
 * Hooks for the long waits (BGSAVE, loading, a fetch). Any member may be
 * NULL, and so may a struct redis_watch pointer. progress gets done/total
 * in the unit the function documents; total 0 means unknown. cancelled is
 * polled between steps; when it returns true the wait ends with
 * VS_ERR_CANCELLED.
 */
struct redis_watch {
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	bool (*cancelled)(void *arg);
	void *arg;
};

/*
 * Connect as cfg says: redis.socket when set, else redis.host and
 * redis.port (under Sentinel, redis.mode "sentinel": the master the
 * sentinels name now), within redis.timeout_ms (also the limit for each command);
 * AUTH with redis.username and redis.password (or the password alone)
 * when set; SELECT redis.db. cfg must outlive the
 * connection. Examples of failures:
 *   cannot connect to Redis at /run/redis.sock: No such file or directory
 *     (is redis-server running? redis.socket in /etc/vsbackup/vsbackup.conf)
 *   Redis at /run/redis.sock rejected the password: WRONGPASS ...
 *     (check redis.password in ...)
 *   Redis at /run/redis.sock requires a password: NOAUTH ... (set redis.password in ...)
 */
int redis_conn_open(const struct config *cfg, struct redis_conn **out,
    struct vs_error *err);

/* Close and free (NULL is allowed). */
void redis_conn_close(struct redis_conn *c);

/* "/path/redis.sock" or "host:port", for messages. */
const char *redis_conn_where(const struct redis_conn *c);

/* The configuration the connection was opened with. */
const struct config *redis_conn_config(const struct redis_conn *c);

/*
 * Run a command (hiredis format: %s, %b, %d, ...; the text before the first
 * % names the command in messages, so keep arguments out of it). Returns
 * the reply, to free with freeReplyObject(), or NULL with err filled on an
 * I/O error, a timeout, or an error reply.
 */
redisReply *redis_conn_command(struct redis_conn *c, struct vs_error *err,
    const char *fmt, ...);

/* As redis_conn_command, but an error reply is returned as a reply of type
 * REDIS_REPLY_ERROR for the caller to inspect. */
redisReply *redis_conn_command_raw(struct redis_conn *c, struct vs_error *err,
    const char *fmt, ...);

/*
 * Pipelining: queue commands with redis_conn_append(), then take each
 * reply in order with redis_conn_reply() (error replies returned as
 * replies). Redis runs a pipeline's commands back to back, with no other
 * client in between.
 */
int redis_conn_append(struct redis_conn *c, struct vs_error *err,
    const char *fmt, ...);
redisReply *redis_conn_reply(struct redis_conn *c, const char *what,
    struct vs_error *err);

/* Send the queued commands now, without waiting for their replies: a
 * client pipelining to several servers lets them all work at once. */
int redis_conn_flush(struct redis_conn *c, struct vs_error *err);

/* Fill err for an error reply rep to the command what; returns -1. */
int redis_conn_reply_error(struct redis_conn *c, const char *what,
    const redisReply *rep, struct vs_error *err);

/* The ACL user vsbackup logs in as: redis.username, else "default". */
const char *redis_conn_user(const struct config *cfg);

/* Has an I/O error or a timeout made the connection unusable? */
bool redis_conn_broken(const struct redis_conn *c);

/* The milliseconds of a monotonic clock. */
int64_t redis_now_ms(void);

/* Ask w whether to stop; fills err (VS_ERR_CANCELLED) and returns -1 if so,
 * naming what was being waited for. */
int redis_watch_check(const struct redis_watch *w, const char *what,
    struct vs_error *err);

/* Report progress through w, if it has a progress hook. */
void redis_watch_progress(const struct redis_watch *w, uint64_t done,
    uint64_t total);

/* Sleep ms milliseconds. */
void redis_sleep_ms(int ms);

#endif
