/*
 * A streaming reader for Redis RDB files (format versions 1 to 12: Redis up
 * to 8.4, Valkey up to 8.1). Newer files are refused with a message that
 * names their format and the servers that write it: Redis 8.6 and later
 * write version 13 and up, Valkey 9 and later sign "VALKEY080". It is fed
 * the file in chunks of any size, in one pass, and keeps a bounded amount
 * of memory whatever the file holds: values are skipped without being
 * copied, keys are decoded only as far as the prefixes need. At the end it
 * reports the key counts of the snapshot itself and whether the CRC-64
 * trailer matched.
 *
 * On request (rdb_reader_on_key()) it also hands over each key whole, with
 * its expire time and, in value mode, its value exactly as the file encodes
 * it: what a DUMP payload is made of (rdb_dump_payload()). Memory then
 * grows with the largest key (and value) only.
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

/* One key, handed over when the reader reaches the end of its value. */
struct rdb_key {
	const uint8_t *key;      /* the whole key, decoded (keylen bytes) */
	size_t keylen;
	int type;                /* its RDB value type */
	uint64_t db;             /* the database it is in */
	int64_t expire_ms;       /* absolute Unix time in ms, -1: no TTL */
	uint64_t off;            /* offset of its type byte */
	/* Value mode: the type byte and the value as the file encodes it
	 * (valuelen bytes), else NULL. */
	const uint8_t *value;
	size_t valuelen;
};

/* The longest key the reader hands over whole. */
#define RDB_KEY_MAX (64u << 20)
/* The longest value it hands over in value mode. */
#define RDB_VALUE_MAX (UINT64_C(4) << 30)

/* rdb_reader_on_key() flags. */
#define RDB_KEYS_VALUES 0x1      /* also hand over each value */

/*
 * Call fn for every key of every database, in file order. A non-zero
 * return stops the reader: the feed fails with the error fn filled. The
 * pointers in k are valid during the call only. Set before the first feed.
 */
void rdb_reader_on_key(struct rdb_reader *r,
    int (*fn)(void *ud, const struct rdb_key *k, struct vs_error *err), void *ud,
    unsigned flags);

/*
 * Call fn for each per-slot record a cluster node wrote (Redis 7.4 and
 * later: the SLOT_INFO opcode; Valkey 8: the "slot-info" aux field): the
 * slot, and the keys and keys with a TTL the node held in it. Set before
 * the first feed.
 */
void rdb_reader_on_slot_info(struct rdb_reader *r,
    void (*fn)(void *ud, uint64_t slot, uint64_t keys, uint64_t expires), void *ud);

/*
 * The DUMP payload of a key read in value mode, as RESTORE takes it: the
 * value, the RDB format version (2 bytes, little-endian) and the CRC-64 of
 * both (8 bytes, little-endian). *len gets its length; free() it.
 */
uint8_t *rdb_dump_payload(const struct rdb_key *k, int rdb_version, size_t *len);

/* The RDB format version of the file read so far (0 before its header). */
int rdb_reader_version(const struct rdb_reader *r);

/* Free a reader (NULL is allowed). */
void rdb_reader_free(struct rdb_reader *r);

/* Free what a summary owns and zero it. */
void rdb_summary_clear(struct rdb_summary *s);

#endif
