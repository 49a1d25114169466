/*
 * What is live now, read cheaply: the Redis server (answers, version,
 * loading, last save, DBSIZE and, when asked, keys per prefix) and each
 * index file (there, readable, ntotal, dim, size, age). One reading serves
 * the front end's header, the restore plan and the health checks, so they
 * cannot disagree. Runs on a worker; touches nothing.
 */
#ifndef VS_OPS_LIVE_H
#define VS_OPS_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/error.h"
#include "config/conf.h"

struct job;

/* The live index files, in this order everywhere. */
enum live_index_id { LIVE_CONTENT, LIVE_USER, LIVE_NINDEX };

struct live_index {
	const char *path;            /* from the configuration */
	bool present;                /* the path exists */
	bool readable;               /* a FAISS index whose header could be read */
	int64_t ntotal;
	int dim;
	uint64_t size;
	time_t mtime;
	char error[256];             /* why not present or not readable */
};

struct live_redis {
	bool ok;                     /* connected and logged in */
	char error[VS_ERROR_MSG_MAX];
	char version[32];
	bool loading;
	bool bgsave_in_progress;
	char last_bgsave[16];        /* "ok", "err" or "" */
	time_t last_save;
	bool dbsize_ok;
	uint64_t dbsize;
	bool counts_ok;
	uint64_t *counts;            /* one per prefix below */
	const char *const *prefixes; /* cfg->redis.prefixes (the configuration's) */
	size_t ncounts;
	size_t masters;              /* a Redis Cluster: its masters, each read
				      * and the numbers summed; else 0 */
};

struct live_state {
	time_t at;
	struct live_redis redis;
	struct live_index index[LIVE_NINDEX];
};

/* "content" or "user" (translated). */
const char *live_index_name(enum live_index_id i);

/* The configured path of index i. */
const char *live_index_path(const struct config *cfg, enum live_index_id i);

/* Read one index file's header (without following a link). */
void live_index_probe(const char *path, struct live_index *out);

/* Read the live state. count_keys: also count the keys per prefix (one
 * SCAN pass; skipped for a database of more than max_keys keys when
 * max_keys > 0). job (may be NULL) is asked between SCAN pages whether to
 * stop. Never fails: what could not be read is in the error fields. */
void live_read(const struct config *cfg, struct job *job, bool count_keys, uint64_t max_keys,
    struct live_state *out);

void live_clear(struct live_state *s);

#endif
