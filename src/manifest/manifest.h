/*
 * metadata.json: what a backup holds and how to check it. Written last by
 * the backup, never changed afterwards. Parsing is strict: every field is
 * type-checked, ids and file names validated, so a damaged or hostile file
 * is reported, never trusted.
 */
#ifndef VS_MANIFEST_H
#define VS_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/btype.h"
#include "common/error.h"
#include "common/timeutil.h"
#include "redis/redis-slot.h"

#define MANIFEST_FORMAT_VERSION 1
/* The newest format this vsbackup reads: 2, a backup in the repository. */
#define MANIFEST_FORMAT_MAX 2
#define MANIFEST_MAX_SIZE (1024 * 1024)
/* Format 2 manifests carry the recipes of the files: allowed larger. */
#define MANIFEST_V2_MAX_SIZE (64 * 1024 * 1024)
#define MANIFEST_RECIPE_MAX 4096

#define MANIFEST_RDB_FILE "redis.rdb"
/* A cluster backup holds one RDB per master: redis-<node id>.rdb. */
#define MANIFEST_NAME_MAX 64
#define MANIFEST_CONTENT_FILE "content_index.faiss"
#define MANIFEST_USER_FILE "user_index.faiss"

/* Owner, group and mode a live file or directory had when the backup was
 * taken, so that a restore recreates a missing one as it was. */
struct manifest_owner {
	bool known;
	uint32_t uid;
	uint32_t gid;
	unsigned mode;         /* permission bits (at most 0777) */
};

struct manifest_file {
	bool present;          /* false: the live file was missing at backup time */
	char name[MANIFEST_NAME_MAX]; /* file name inside the backup */
	uint64_t size;
	char sha256[65];       /* lowercase hex */
	char *note;            /* why it is missing, or NULL */
	struct manifest_owner owner; /* of the live file (optional) */
	/* Format 2: the file is the chunks the recipe tree names, read
	 * depth-first: each id at the top, then recipe_levels - 1 levels of
	 * chunks holding ids, down to the chunks of the file itself. */
	uint64_t chunks;       /* chunks of the file */
	int recipe_levels;     /* 1: the ids below are the file's own chunks */
	size_t nrecipe;
	unsigned char (*recipe)[32];
};

struct manifest_index {
	struct manifest_file file;
	bool unreadable;       /* copied as it was, but not a readable index
	                          (safety backups of a broken live state):
	                          ntotal and dim unknown, note says why */
	int64_t ntotal;
	int dim;
	char kind[8];          /* FAISS type code, e.g. "IxMp" */
};

struct manifest_count {
	char *prefix;
	uint64_t count;
	uint64_t expires;      /* of count, keys with a TTL (when expires_known) */
};

/* One master of a cluster backup and its snapshot. */
struct manifest_shard {
	struct manifest_file file;   /* redis-<node id>.rdb, always present */
	char node_id[41];
	char *addr;                  /* "host:port" the master had */
	struct redis_slot_range *slots;
	size_t nslots;
	char *redis_version;
	int rdb_version;
	uint64_t dbsize, db_expires; /* keys (with a TTL) in db 0 */
	uint64_t *counts;            /* per prefix, in the order of
				      * redis.counts */
	uint64_t *expires;           /* of those, with a TTL */
	char *source;                /* "file" or "replication" */
	char *data_dir;              /* where the master kept its RDB */
	char *dbfilename;
	struct manifest_owner dir_owner;
};

struct manifest {
	int format_version;
	char backup_id[BACKUP_ID_SIZE];
	enum backup_type type;
	time_t created_at;
	time_t completed_at;
	char *tool_version;
	char *consistency;     /* "coordinated" or "paused" */
	struct {
		struct manifest_file file;
		char *redis_version;
		int rdb_version;
		int db;
		uint64_t dbsize;
		struct manifest_count *counts;
		size_t ncounts;
		/* Keys with a TTL may be gone by the time a restore loads the
		 * snapshot: counted apart (absent in older backups). */
		bool expires_known;
		uint64_t db_expires;   /* of dbsize */
		char *source;  /* "file", "replication" or "offline" */
		char *data_dir;   /* where the server kept its RDB, "" unknown */
		char *dbfilename;
		struct manifest_owner dir_owner; /* of data_dir (optional) */
		/* A cluster backup: one shard per master, in slot order;
		 * file above is then not present, and dbsize, counts and
		 * expires are the shards' sums. */
		struct manifest_shard *shards;
		size_t nshards;
	} redis;
	struct manifest_index content;
	struct manifest_index user;
	/* Format 2: what the backup cost the repository. */
	struct {
		char id[33];       /* the repository's id */
		bool encrypted;
		uint64_t chunks;   /* chunks referenced (every file) */
		uint64_t new_chunks; /* of them, stored by this backup */
		uint64_t added;    /* bytes this backup added to the repository */
	} repo;
};

/* Serialise (pretty-printed, newline at the end). */
char *manifest_to_json(const struct manifest *m);

/* Parse and validate. where names the source in errors (a path or s3 key). */
int manifest_parse(const char *json, const char *where, struct manifest *out,
    struct vs_error *err);

/* Free the allocated fields (not m itself). */
void manifest_clear(struct manifest *m);

/* Is m a backup of a Redis Cluster (one RDB per master)? */
bool manifest_is_cluster(const struct manifest *m);

/* The data files of m in their order: the RDB (a cluster backup: each
 * shard's), the content index, the user index. manifest_file_at() returns
 * NULL past the end; a file may be absent (present false). */
size_t manifest_nfiles(const struct manifest *m);
const struct manifest_file *manifest_file_at(const struct manifest *m, size_t i);

/* Does m hold Redis data: its RDB, or (a cluster) every shard's? */
bool manifest_has_rdb(const struct manifest *m);

/* The size of its RDB files. */
uint64_t manifest_rdb_size(const struct manifest *m);

/* Is name an RDB file of a backup: redis.rdb or redis-<node id>.rdb? */
bool manifest_rdb_name_valid(const char *name);

/* The file name of a shard: redis-<node id>.rdb. */
void manifest_shard_file_name(const char *node_id, char out[MANIFEST_NAME_MAX]);

/* The manifest_file for a backup file name, or NULL. */
const struct manifest_file *manifest_file_by_name(const struct manifest *m, const char *name);

/* Hex-encode a 32-byte digest. */
void manifest_hex(const unsigned char digest[32], char out[65]);

/* The counts recorded for prefix, or NULL when none were. */
const struct manifest_count *manifest_count_entry(const struct manifest *m,
    const char *prefix);

/* The count recorded for prefix, or -1 when none was. */
long long manifest_count_for(const struct manifest *m, const char *prefix);

/* Fill o from a stat(2) result (mode without set-id and sticky bits). */
struct stat;
void manifest_owner_from_stat(const struct stat *sb, struct manifest_owner *o);

/* Total size of the data files. */
uint64_t manifest_total_size(const struct manifest *m);

#endif
