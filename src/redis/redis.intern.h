/*
 * Shared by the files of src/redis only: what the connection offers the
 * snapshot, wait and fetch code beyond the public header.
 */
#ifndef VS_REDIS_INTERN_H
#define VS_REDIS_INTERN_H

#include "redis/redis-conn.h"

/* How an open attempt ended, so a waiting caller knows whether to retry. */
enum redis_open_result {
	REDIS_OPEN_OK,
	REDIS_OPEN_UNREACHABLE, /* no connection, or it dropped: retry later */
	REDIS_OPEN_LOADING,     /* the server answered LOADING: retry later */
	REDIS_OPEN_REFUSED,     /* password or db refused: retrying won't help */
};

/* redis_conn_open() with a connect timeout of its own (ms; 0 means
 * redis.timeout_ms) that says how it ended. */
int redis_conn_open_result(const struct config *cfg, int connect_ms,
    struct redis_conn **out, enum redis_open_result *result,
    struct vs_error *err);

/* Connect and log in, but leave SELECT to the caller (the permission
 * check asks about SELECT itself). */
int redis_conn_open_noselect(const struct config *cfg, int connect_ms,
    struct redis_conn **out, struct vs_error *err);

/* The hiredis context, for raw socket work (the replication fetch). */
redisContext *redis_conn_context(struct redis_conn *c);

/* "the file NAME" of cfg or "the configuration", for hints. */
const char *redis_conf_name(const struct config *cfg);

/* For a NOPERM error text: " (the Redis user U may not run it: allow it
 * with ACL SETUSER U +cmd; ...)", naming the command Redis named. */
void redis_noperm_hint(const struct config *cfg, const char *text, char *buf,
    size_t size);

/* Notes gathered on the servers asked in turn (seeds, sentinels), for
 * the message when none of them would do: "a: why; b: why". What does
 * not fit is left out. */
#define REDIS_NOTES_MAX (VS_ERROR_MSG_MAX - 200)

struct redis_notes {
	char text[REDIS_NOTES_MAX];
	size_t len;
};

void redis_note(struct redis_notes *n, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Does an error reply start with this error code ("LOADING", "NOAUTH")? */
bool redis_reply_is(const redisReply *rep, const char *code);

#endif
