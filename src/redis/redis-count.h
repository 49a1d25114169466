/*
 * Keys per prefix on a live server: the one place that counts them (the
 * front end's header, the restore plan and the restore's own check). A key
 * is counted under every configured prefix it starts with, as the RDB
 * reader counts a snapshot's keys, so "chimera-" and "chimera-users:"
 * both count "chimera-users:1".
 */
#ifndef VS_REDIS_COUNT_H
#define VS_REDIS_COUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "redis/redis-conn.h"

/* Asked between SCAN pages: true stops the count (it then fails with
 * VS_ERR_CANCELLED). */
typedef bool redis_count_stop_fn(void *ud);

/* One SCAN pass over the selected database: counts[i] for prefixes[i],
 * and DBSIZE in *dbsize (either may be NULL to skip). With max_keys > 0 a
 * database holding more keys is not scanned: returns 1 with only *dbsize
 * set. 0 when counted, -1 on error. */
int redis_count_prefixes(struct redis_conn *c, const char *const *prefixes, size_t n,
    uint64_t *counts, uint64_t *dbsize, uint64_t max_keys, redis_count_stop_fn *stop,
    void *ud, struct vs_error *err);

#endif
