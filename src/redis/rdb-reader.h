/*
 * A streaming reader for Redis RDB files (format versions 1 to 12: Redis up
 * to 8.4, Valkey up to 8.1). Newer files are refused with a message that
 * names their format and the servers that write it: Redis 8.6 and later
 * write version 13 and up, Valkey 9 and later sign "VALKEY080". It is fed the file in chunks of any size, in one
 * pass, and keeps a bounded amount of memory whatever the file holds: values
 * are skipped without being copied, keys are decoded only as far as the
 * prefixes need. At the end it reports the key counts of the snapshot
 * itself and whether the CRC-64 trailer matched.
 *
 * The reader is pure code (no I/O); one reader belongs to one thread.
 */
#ifndef VS_RDB_READER_H
#define VS_RDB_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* The highest RDB format version the reader knows (Redis 7.4 to 8.4). */
#define RDB_VERSION_MAX 12
/* The highest RDB value type byte it knows (hash with field TTLs, 7.4). */
#define RDB_TYPE_MAX 25

struct rdb_reader;

struct rdb_summary {
	int version;             /* RDB format version from the header */
	char redis_ver[32];      /* "redis-ver" aux field, "" when absent */
	char server[16];         /* "redis" or "valkey" when an aux field
				  * says which wrote the file, else "" */
	char server_ver[32];     /* that server's version ("valkey-ver",
				  * else "redis-ver"), "" when absent */
	long long ctime;         /* "ctime" aux field (Unix seconds), -1 when absent */

	size_t nprefixes;
	uint64_t *prefix_keys;   /* keys per prefix in the chosen db, in the
				  * order given to rdb_reader_new(); a key
				  * that matches two prefixes counts for both */
	uint64_t *prefix_expires; /* of those, the keys that carry a TTL */
	uint64_t db_keys;        /* keys in the chosen db (its DBSIZE) */
	uint64_t db_expires;     /* keys in the chosen db that carry a TTL */
	uint64_t all_keys;       /* keys in every db */
	uint64_t type_keys[RDB_TYPE_MAX + 1]; /* keys by RDB value type, every db */
	uint64_t bytes;          /* length of the input */

	bool checksum_present;   /* false when written with rdbchecksum no
				  * (stored value 0) or before version 5 */
	bool checksum_ok;        /* computed value equals the stored one */
	uint64_t checksum;       /* the stored value */
};

/*
 * Create a reader counting keys that start with each of the nprefixes
 * prefixes (copied) in database db. Never returns NULL.
 */
struct rdb_reader *rdb_reader_new(const char *const *prefixes, size_t nprefixes,
    int db);

/*
 * Feed the next len bytes of the file. Returns -1 with VS_ERR_FORMAT naming
 * the offset when the data cannot be an RDB file (an unknown value type, a
 * module value that cannot be skipped, bytes after the end); after a
 * failure every further call fails the same way.
 */
int rdb_reader_feed(struct rdb_reader *r, const void *buf, size_t len,
    struct vs_error *err);

/*
 * Declare the end of the input and fill *out (release it with
 * rdb_summary_clear()). Fails with VS_ERR_FORMAT when the input ended
 * before the end of the RDB (truncated), and when the stored checksum does
 * not match; in that last case *out is still filled, with checksum_ok false.
 */
int rdb_reader_finish(struct rdb_reader *r, struct rdb_summary *out,
    struct vs_error *err);

/*
 * Call fn with the offset of each item's first byte (a key with its value,
 * an expire, an aux field...) as the reader reaches it: a chunker keeps
 * records whole.
 */
void rdb_reader_on_item(struct rdb_reader *r, void (*fn)(void *ud, uint64_t off), void *ud);

/* Free a reader (NULL is allowed). */
void rdb_reader_free(struct rdb_reader *r);

/* Free what a summary owns and zero it. */
void rdb_summary_clear(struct rdb_summary *s);

#endif
