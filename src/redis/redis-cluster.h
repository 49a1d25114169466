/*
 * Redis Cluster (redis.mode = "cluster"): which masters serve which slots.
 * The seeds of redis.nodes are asked in turn (CLUSTER SHARDS, or CLUSTER
 * SLOTS before Redis 7); every master they name must confirm with ROLE and
 * CLUSTER MYID that it is that master, and hold no slot being migrated.
 * A cluster that does not serve every slot, or whose state is not ok, is
 * refused: a backup of it would not be whole.
 *
 * Each master comes with a configuration aimed at it (host and port, mode
 * "standalone"), so that everything that connects from a configuration
 * (snapshots, replication fetches, restarts) reaches it unchanged. After
 * a capture, redis_cluster_confirm() tells whether a failover or a slot
 * migration happened in the meantime.
 */
#ifndef VS_REDIS_CLUSTER_H
#define VS_REDIS_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "config/conf.h"
#include "redis/redis-slot.h"

/* A node id: 40 lowercase hex digits. */
#define REDIS_NODE_ID_LEN 40

struct redis_master {
	char id[REDIS_NODE_ID_LEN + 1];
	char host[256];
	int port;
	char addr[300];             /* "host:port" */
	struct redis_slot_range *slots;
	size_t nslots;              /* ranges, in slot order */
	char replid[48];            /* its replication id when confirmed */
	struct config *cfg;         /* aimed at it */
};

struct redis_cluster {
	struct redis_master *masters; /* ordered by their first slot */
	size_t n;
};

/* Is cfg set up for Redis Cluster? */
bool redis_cluster_mode(const struct config *cfg);

/*
 * Ask the seeds for the masters and confirm each. Fails with a message
 * naming each seed and what it answered when none leads to a whole
 * cluster, or naming the master, the slots or the state that make the
 * cluster unfit for a backup. cl is filled only on success
 * (redis_cluster_clear()).
 */
int redis_cluster_discover(const struct config *cfg, struct redis_cluster *cl,
    struct vs_error *err);

/*
 * Is the cluster still as cl describes it: the same masters (ids,
 * addresses, replication ids) serving the same slots? Fails (VS_ERR_REDIS)
 * saying what changed: a failover, or slots that moved.
 */
int redis_cluster_confirm(const struct config *cfg, const struct redis_cluster *cl,
    struct vs_error *err);

/* Does every master say the cluster state is ok? (After a restart the
 * seed may say so before the others do.) */
int redis_cluster_all_ok(const struct redis_cluster *cl, struct vs_error *err);

/* The master serving slot, or NULL. */
const struct redis_master *redis_cluster_master_of(const struct redis_cluster *cl,
    unsigned slot);

/* Free what cl holds and zero it (a zeroed cl is allowed). */
void redis_cluster_clear(struct redis_cluster *cl);

/*
 * A configuration aimed at host:port (port 0: the unix socket host) as a
 * standalone server, with the same user, password and timeouts; the data
 * directory and file name are left to the server to tell.
 */
struct config *redis_config_aim(const struct config *cfg, const char *host, int port);

/*
 * A command line of cfg (redis.start_command, stop_command, data_dir)
 * with {host} and {port} replaced by those of the server cfg is aimed at.
 * Allocated.
 */
char *redis_config_expand(const struct config *cfg, const char *text);

#endif
