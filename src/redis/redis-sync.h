/*
 * Fetch an RDB snapshot over the replication protocol, much as
 * "redis-cli --rdb" does: for when Redis's RDB file cannot be read here
 * (permissions, another host) or CONFIG is disabled. The server forks as
 * for a new replica; its snapshot is of the moment of that fork.
 *
 * redis_sync_start() returns once the fork has happened, so a caller can
 * hold writes paused (redis_pause_writes()) until then and release them
 * before the long transfer done by redis_sync_read(). With diskless
 * replication Redis waits repl-diskless-sync-delay seconds (5 by default
 * in 7.0) for more replicas before it forks: see redis_sync_fork_delay().
 * Disk-based replication forks at once but announces the transfer only
 * after the whole save; the fork is then seen in INFO persistence.
 */
#ifndef VS_REDIS_SYNC_H
#define VS_REDIS_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "config/conf.h"
#include "redis/redis-conn.h"

struct redis_sync;

/* Receives the payload in order, in pieces of at most 256 KiB; returns 0,
 * or -1 with err filled to stop the transfer. */
typedef int (*redis_sync_sink)(void *arg, const void *buf, size_t len,
    struct vs_error *err);

/* Returned by redis_sync_start() when Redis had not forked by the deadline. */
#define REDIS_SYNC_LATE 1

/*
 * Open a connection of its own (as redis_conn_open()), announce the
 * capabilities of a diskless-aware, RDB-only replica (REPLCONF capa eof,
 * REPLCONF rdb-only 1 where Redis 7 knows it), send PSYNC ? -1 (a full
 * copy) and wait until Redis forks for it: its "+FULLRESYNC" answer, a
 * second connection seeing the fork in INFO persistence, or the preamble
 * ("$<length>" from a disk-based save, "$EOF:<mark>" when diskless),
 * whichever comes first; the newlines Redis sends meanwhile to keep the
 * link alive are skipped. redis.timeout_ms bounds the silence between two
 * bytes; w may cancel the wait. When deadline (a redis_now_ms() time, 0
 * for none) passes before the fork, the link is dropped (Redis then does
 * not fork for it) and REDIS_SYNC_LATE returned, *out NULL.
 */
int redis_sync_start(const struct config *cfg, int64_t deadline,
    const struct redis_watch *w, struct redis_sync **out, struct vs_error *err);

/* The payload length of a disk-based transfer; 0 while unknown: when
 * diskless (the length shows only at its end mark), or before the
 * preamble arrived (redis_sync_read() reads it first). */
uint64_t redis_sync_size(const struct redis_sync *s);

/* Is the server streaming the snapshot without a file (diskless)? Known
 * once the preamble arrived. */
bool redis_sync_diskless(const struct redis_sync *s);

/*
 * Pass the whole payload (the RDB file, without the protocol framing) to
 * sink, with a bounded buffer, after the rest of the preamble if
 * redis_sync_start() returned before it. Progress: bytes received of
 * redis_sync_size(). *nbytes (may be NULL) gets the payload length.
 */
int redis_sync_read_to(struct redis_sync *s, redis_sync_sink sink, void *arg,
    const struct redis_watch *w, uint64_t *nbytes, struct vs_error *err);

/* redis_sync_read_to() writing into fd. */
int redis_sync_read(struct redis_sync *s, int fd, const struct redis_watch *w,
    uint64_t *nbytes, struct vs_error *err);

/* Close the replication connection and free (NULL is allowed). */
void redis_sync_free(struct redis_sync *s);

/*
 * How many seconds Redis will wait before forking for a diskless sync
 * (repl-diskless-sync-delay when repl-diskless-sync is on, else 0, and 0
 * when repl-diskless-sync-max-replicas is 1); -1 when CONFIG cannot tell. Fails only when the connection does.
 */
int redis_sync_fork_delay(struct redis_conn *c, int *seconds,
    struct vs_error *err);

#endif
