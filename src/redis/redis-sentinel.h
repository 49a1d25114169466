/*
 * Redis under Sentinel (redis.mode = "sentinel"): which server to back up
 * from and restore into. The sentinels of redis.sentinels are asked in turn
 * for the master of redis.master_name; the server they name must confirm
 * with ROLE that it is the master. With redis.from_replica the snapshot
 * comes from a healthy replica instead, so the master never forks.
 *
 * The result is a pair of configurations aimed at those servers (host and
 * port, mode "standalone"), so that everything that connects from a
 * configuration (snapshots, replication fetches, restarts) reaches them
 * unchanged. After a capture, redis_sentinel_confirm() tells whether a
 * failover happened in the meantime.
 */
#ifndef VS_REDIS_SENTINEL_H
#define VS_REDIS_SENTINEL_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "config/conf.h"
#include "redis/redis-conn.h"

struct redis_target {
	struct config *master;   /* aimed at the master */
	struct config *source;   /* where the snapshot comes from: the
				  * master, or with from_replica a replica
				  * (its own copy) */
	char master_addr[300];   /* "host:port" */
	char source_addr[300];
	char master_replid[48];  /* the master's replication id when found */
};

/* Is cfg set up for Sentinel? */
bool redis_sentinel_mode(const struct config *cfg);

/*
 * Ask the sentinels for the master of redis.master_name and confirm it
 * with ROLE (and, when want_replica, pick the healthy replica furthest
 * along and confirm it replicates from that master). Fails with a
 * message naming each sentinel and what it answered, when none leads to a
 * confirmed master. t is filled only on success (redis_target_clear()).
 */
int redis_sentinel_discover(const struct config *cfg, bool want_replica,
    struct redis_target *t, struct vs_error *err);

/*
 * Is t's master still the master: does it still say so, with the same
 * replication id, and do the sentinels still name it? Fails (VS_ERR_REDIS)
 * saying that a failover happened, and to which server, when not.
 */
int redis_sentinel_confirm(const struct config *cfg, const struct redis_target *t,
    struct vs_error *err);

/*
 * After a restart (a restore): do the sentinels still name t's master, and
 * does it say it is the master? Its replication id is new after a restart.
 */
int redis_sentinel_still_master(const struct config *cfg, const struct redis_target *t,
    struct vs_error *err);

/* Is host (a name or an address) one of this machine's addresses? */
bool redis_host_is_local(const char *host);

/* Free what t holds and zero it (a zeroed t is allowed). */
void redis_target_clear(struct redis_target *t);

/*
 * With writes paused on the master: wait until the replica has applied
 * everything the master has (its slave_repl_offset reaches the master's
 * master_repl_offset), at most until deadline (a redis_now_ms() time).
 */
int redis_replica_catch_up(struct redis_conn *master, struct redis_conn *replica,
    int64_t deadline, const struct redis_watch *w, struct vs_error *err);

#endif
