/*
 * INFO: fetch a section, parse its "key:value" lines, read fields by name.
 */
#ifndef VS_REDIS_INFO_H
#define VS_REDIS_INFO_H

#include <stdbool.h>

#include "common/error.h"
#include "redis/redis-conn.h"

struct redis_info;

/* The fields of INFO persistence that saving, loading and restoring need. */
struct redis_persistence {
	bool loading;                /* loading (or async_loading) */
	double loading_perc;         /* loading_loaded_perc */
	long long loading_loaded_bytes, loading_total_bytes;
	bool bgsave_in_progress;     /* rdb_bgsave_in_progress */
	char last_bgsave_status[16]; /* rdb_last_bgsave_status: "ok" or "err" */
	long long saves;             /* rdb_saves: RDB saves started since the
				      * server started; -1 before Redis 7.0 */
	long long last_save_time;    /* rdb_last_save_time */
	long long changes_since_last_save;
	long long keys_processed;    /* current_save_keys_processed, -1 if absent */
	long long keys_total;        /* current_save_keys_total, -1 if absent */
	bool aof_enabled;
	bool aof_rewrite_in_progress;
	bool aof_rewrite_scheduled;
};

/* Run INFO section ("" or NULL for the default sections) and parse it. */
int redis_info_fetch(struct redis_conn *c, const char *section,
    struct redis_info **out, struct vs_error *err);

/* Parse INFO text; source names it in messages ("Redis at ..."). */
struct redis_info *redis_info_parse(const char *text, size_t len,
    const char *source);

void redis_info_free(struct redis_info *info);

/* The value of key, or NULL when INFO has no such field. */
const char *redis_info_get(const struct redis_info *info, const char *key);

/* An integer field; fails (VS_ERR_REDIS) naming the field when it is
 * missing or not an integer. */
int redis_info_get_ll(const struct redis_info *info, const char *key,
    long long *out, struct vs_error *err);

/* An integer field, or dflt when missing or not an integer. */
long long redis_info_ll(const struct redis_info *info, const char *key,
    long long dflt);

/* A number field (such as loading_loaded_perc), or dflt. */
double redis_info_double(const struct redis_info *info, const char *key,
    double dflt);

/* redis_version ("7.0.15"), "" when absent (section server). */
const char *redis_info_version(const struct redis_info *info);

/* The version as major * 10000 + minor * 100 + patch (70015), 0 unknown. */
int redis_info_version_num(const struct redis_info *info);

/* Is the server loading its data set (section persistence)? */
bool redis_info_loading(const struct redis_info *info);

/* Is the append-only file on (aof_enabled, section persistence)? */
bool redis_info_appendonly(const struct redis_info *info);

/* keys= and expires= of database db (section keyspace); 0 and 0 when the
 * database is empty, as INFO then omits its line. */
void redis_info_db_keys(const struct redis_info *info, int db,
    long long *keys, long long *expires);

/* Fill *p from a persistence section; fails naming a missing field. */
int redis_info_persistence(const struct redis_info *info,
    struct redis_persistence *p, struct vs_error *err);

/* INFO persistence straight into *p. */
int redis_info_fetch_persistence(struct redis_conn *c,
    struct redis_persistence *p, struct vs_error *err);

#endif
