/*
 * The sandbox's redis-server: the same binary the deployment runs
 * (drill.redis_server, else the one redis.start_command names, else
 * redis-server from PATH), on a unix socket in the sandbox and no TCP
 * port, writing nothing but its log, its socket and its pid; it loads the
 * backup's RDB from the sandbox and is never asked to save.
 */
#ifndef VS_DRILL_SERVER_H
#define VS_DRILL_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "common/error.h"
#include "config/conf.h"
#include "drill/sandbox.h"

#define DRILL_SERVER_CONF "redis.conf"
#define DRILL_SERVER_LOG "redis.log"

/* Which binary (an absolute path, found in PATH when need be) runs the
 * sandbox; family "valkey" prefers valkey-server from PATH. */
int drill_server_pick(const struct config *cfg, const char *family, char *prog, size_t size,
    struct vs_error *err);

/* "7.0.15" from prog --version, or "" when it does not say. */
void drill_server_version(const char *prog, char *ver, size_t size);

struct drill_server_opts {
	const char *prog;
	const char *rdb;       /* file name in the sandbox to load */
	int db;                /* the database the backup's keys are in */
	bool tie;              /* the server dies with the calling thread */
	int timeout_s;         /* to load the RDB */
	/* Loading progress in bytes, and the cancel check (both may be NULL). */
	void (*progress)(void *ud, uint64_t done, uint64_t total);
	bool (*cancelled)(void *ud);
	void *ud;
};

/*
 * Start the server in sb and wait until it has loaded the RDB. Returns 0
 * when it serves (*conn: a connection to it, in db o->db), 1 when it
 * refused the RDB (why: what its log says; the server is gone), -1 when
 * the drill cannot go on (the binary cannot run, is older than the RDB,
 * a timeout, a cancel) with err.
 */
int drill_server_start(struct drill_sandbox *sb, const struct drill_server_opts *o,
    redisContext **conn, char *why, size_t whysz, struct vs_error *err);

#endif
