/*
 * The steps of a consistent Redis snapshot, and of stopping and waiting
 * for a server during a restore. The backup job runs them in this order
 * (DESIGN.md, "Consistency"):
 *
 *   redis_bgsave_wait_idle()     no save or AOF rewrite running, so ours can
 *                                fork at once
 *   redis_pause_writes()         writes held (bounded by redis.pause_ms)
 *   redis_bgsave_start()         returns once our fork happened: the moment
 *   ... open the index files ...
 *   redis_unpause()
 *   redis_bgsave_wait()          until our save is on disk
 *   redis_rdb_open()             open the file and make sure it is ours; on
 *                                REDIS_RDB_REPLACED take the snapshot again
 *   redis_rdb_prove()            once the file is read: its ctime and key
 *                                count are those of our save
 *
 * When the RDB file cannot be read (permissions, CONFIG disabled), the
 * fork can come from redis_sync_start() instead (redis-sync.h).
 * All functions fail with VS_ERR_REDIS (or VS_ERR_CANCELLED, VS_ERR_IO)
 * and a message naming the server.
 */
#ifndef VS_REDIS_SNAPSHOT_H
#define VS_REDIS_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "config/conf.h"
#include "redis/redis-conn.h"

/* How often the waits below poll INFO. */
#define REDIS_POLL_MS 25

/* Returned by redis_rdb_open() when a later save replaced the file. */
#define REDIS_RDB_REPLACED 1

/* Our BGSAVE, from redis_bgsave_start() to redis_rdb_open(). */
struct redis_bgsave {
	long long saves;          /* the rdb_saves count that is our save; -1
				   * on servers without rdb_saves (< 7.0) */
	long long last_save_time; /* rdb_last_save_time once ours completed */
	int64_t forked_ms;        /* redis_now_ms() when the fork was seen */
	bool waited_for_other;    /* another save was running; we waited for
				   * it and started ours after */
	bool scheduled;           /* Redis deferred ours behind another child
				   * process (an AOF rewrite) */
	long long server_time;    /* the server's clock (Unix seconds) just
				   * before our BGSAVE */
	long long dbsize;         /* DBSIZE of the selected db at our BGSAVE,
				   * with writes paused */
};

/*
 * CLIENT PAUSE ms WRITE: clients that write block for at most ms
 * milliseconds, reads and BGSAVE go on. *deadline (may be NULL) is set to
 * the redis_now_ms() time by which the pause has surely ended. Needs Redis
 * 6.2 or later.
 */
int redis_pause_writes(struct redis_conn *c, int ms, int64_t *deadline,
    struct vs_error *err);

/* CLIENT UNPAUSE: release the writers now. */
int redis_unpause(struct redis_conn *c, struct vs_error *err);

/*
 * Wait until Redis runs no RDB save and no AOF rewrite. Progress: keys
 * processed of keys total of the running save, when Redis reports them.
 */
int redis_bgsave_wait_idle(struct redis_conn *c, const struct redis_watch *w,
    struct vs_error *err);

/*
 * Start our BGSAVE and return once Redis has forked for it, so the
 * snapshot is of the data as it was at (or after) this call. If another
 * save is running, wait for it to end, then start ours. If Redis defers
 * ours behind an AOF rewrite ("Background saving scheduled"), wait for
 * the fork. deadline (a redis_now_ms() time, 0 for none) bounds these
 * waits: pass the pause deadline so a snapshot is never taken after the
 * writers were released.
 */
int redis_bgsave_start(struct redis_conn *c, int64_t deadline,
    const struct redis_watch *w, struct redis_bgsave *bs, struct vs_error *err);

/*
 * Poll INFO persistence until our save is complete. Fails quoting
 * rdb_last_bgsave_status when it failed. Progress: keys processed of keys
 * total.
 */
int redis_bgsave_wait(struct redis_conn *c, struct redis_bgsave *bs,
    const struct redis_watch *w, struct vs_error *err);

/*
 * Where Redis writes its RDB file: redis.data_dir and redis.dbfilename
 * when set (they win, for servers that see other paths, in containers),
 * else CONFIG GET dir / dbfilename. *path is allocated.
 */
int redis_rdb_path(struct redis_conn *c, char **path, struct vs_error *err);

/*
 * After opening the RDB file: is it still the file of our save? *current
 * is false when another save has started since ours (it may have
 * replaced the file), or, before Redis 7.0, when one is running or
 * completed since.
 */
int redis_bgsave_check_current(struct redis_conn *c, const struct redis_bgsave *bs,
    bool *current, struct vs_error *err);

/*
 * Locate and open (read-only) the RDB file of our completed save, then
 * check it is still ours. Returns 0 with *fd and *path (allocated), -1
 * with err, or REDIS_RDB_REPLACED (file closed, err says why) when the
 * snapshot must be taken again.
 */
int redis_rdb_open(struct redis_conn *c, const struct redis_bgsave *bs,
    int *fd, char **path, struct vs_error *err);

/*
 * Prove that the RDB file at path, which the reader summarised as written
 * at ctime (its "ctime" aux field, -1 when absent) with db_keys keys in
 * the selected db, is the snapshot of our save: written no earlier than
 * the second before our BGSAVE, and holding the keys DBSIZE counted then.
 * Anything else is an older file or another server's under the name
 * vsbackup was told: fails (VS_ERR_REDIS) saying which settings to fix.
 */
int redis_rdb_prove(struct redis_conn *c, const struct redis_bgsave *bs,
    const char *path, long long ctime, uint64_t db_keys, struct vs_error *err);

/* SHUTDOWN NOSAVE; Redis closing the connection is success. The
 * connection is unusable afterwards: close it. */
int redis_shutdown_nosave(struct redis_conn *c, struct vs_error *err);

/*
 * Wait for a (re)started server: connect again and again until it answers
 * and has finished loading, within redis.start_timeout seconds. Progress:
 * bytes loaded of the file's bytes (loading_loaded_bytes and
 * loading_total_bytes). A refused password or db fails at once. On
 * success *out (when not NULL) is a ready connection.
 */
int redis_wait_ready(const struct config *cfg, const struct redis_watch *w,
    struct redis_conn **out, struct vs_error *err);

#endif
