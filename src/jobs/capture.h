/*
 * The capture moment of a backup. With writes paused (and, when
 * faiss.lock_file is set, the service's shared lock excluded) it starts the
 * Redis snapshot and opens both index files; an open descriptor keeps the
 * file as it was even when the service replaces it by rename later. Then it
 * unpauses at once and waits for the snapshot to complete.
 */
#ifndef VS_CAPTURE_H
#define VS_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "repo/repo.h"
#include "redis/redis-cluster.h"
#include "redis/redis-conn.h"
#include "redis/redis-sentinel.h"
#include "redis/redis-snapshot.h"
#include "redis/redis-sync.h"

enum { CAPTURE_CONTENT, CAPTURE_USER, CAPTURE_NINDEX };

struct capture_file {
	int fd;               /* -1 when missing */
	uint64_t size;
	char *note;           /* why it is missing (tolerant captures) */
};

/* One server's snapshot: the server's, or in a cluster each master's. */
struct capture_part {
	struct capture_file rdb;
	char *rdb_tmp;        /* a fetched RDB's temp file, unlinked on release */
	char *rdb_path;       /* the server's RDB file (dir and name), or NULL */
	const char *rdb_source; /* "file", "replication" or "offline" */
	char redis_version[32];

	/* Between capture_begin() and capture_finish(). */
	enum { CAPTURE_FILE, CAPTURE_SYNC, CAPTURE_OFFLINE } mode;
	const struct config *rcfg;   /* the server the snapshot comes from */
	struct redis_conn *conn;
	struct redis_bgsave bs;
	struct redis_sync *sync;
	int sync_delay;              /* its repl-diskless-sync-delay (s), -1
				      * unknown */
	const struct redis_master *master; /* cluster: the master it is */

	/* Reading the snapshot while Redis writes it (capture_follow_start()). */
	struct capture_follow *follow;
	bool followed;               /* read so; rdb, rdb_path are the final
				      * file's, capture_finish() skips it */
};

struct capture {
	struct capture_part *parts;
	size_t nparts;
	struct capture_file index[CAPTURE_NINDEX];
	bool coordinated;     /* faiss.lock_file was held during the capture */
	int db;

	/* Sentinel: the servers found; the master when the snapshot comes
	 * from a replica, where writes pause. */
	struct redis_target target;
	struct redis_conn *pause_conn;
	/* Cluster: the masters found, one part each. */
	struct redis_cluster cluster;
};

/* Returned by capture_finish() when a later save replaced the snapshot
 * before it could be opened: release and capture again. */
#define CAPTURE_RETRY 1

/* The moment: writes paused, the snapshot started, both index files
 * opened, writes resumed. The index descriptors can be copied at once,
 * while Redis is still writing its snapshot. tolerant: record missing
 * pieces instead of failing (a Redis that is down: its RDB file on disk is
 * taken as it is). A cluster: writes paused on every master, each forks
 * inside the pause, one moment for all. */
int capture_begin(struct job *job, bool tolerant, struct capture *c, struct vs_error *err);

/* Wait for the snapshots and open them (each part's rdb); in a cluster,
 * then make sure no failover or slot migration happened meanwhile. 0, -1,
 * or CAPTURE_RETRY. */
int capture_finish(struct job *job, struct capture *c, struct vs_error *err);

/* Once the RDB is read: prove it is the snapshot this capture made (its
 * ctime aux field and the keys of the configured db; redis_rdb_prove()).
 * Nothing to prove for a replication fetch or an offline copy. */
int capture_prove(struct capture_part *p, long long ctime, uint64_t db_keys,
    struct vs_error *err);

/*
 * Reading a snapshot while Redis writes it (capture-follow.c), so the
 * backup stores it during the save rather than after. Redis writes its
 * save to temp-PID.rdb in its data directory, then renames that file to
 * its RDB file. After capture_begin(), capture_follow_start() looks for
 * that file of each server whose RDB file is read here (opened like any
 * live file: no links, no FIFOs, no foreign owner). capture_follow_source
 * reads it (its argument a struct capture_reader), waiting at its end
 * while Redis writes, until the save has completed and the file renamed
 * into place is the very file that was read (same device and inode);
 * then the part is finished as capture_finish() would finish it. When
 * that cannot be shown it fails with reader->fallback set: drop what was
 * read, capture_follow_stop() the part, and read the finished file.
 */
struct capture_reader {
	struct job *job;
	struct capture_part *part;
	bool fallback;
};

extern const struct repo_source capture_follow_source;

/* Find the files being written; parts without one are read as before. */
void capture_follow_start(struct job *job, struct capture *c);

/* Stop following p (its file is read once the save is complete). */
void capture_follow_stop(struct capture_part *p);

/* Before its file is complete: an estimate of p's snapshot size (the
 * previous RDB file's), 0 when unknown. */
uint64_t capture_follow_estimate(const struct capture_part *p);

/* p's snapshot is now the finished file fd (at path, size bytes; p owns
 * both from here). */
void capture_take_rdb(struct capture_part *p, int fd, char *path, uint64_t size);

/* Close descriptors and remove temp files. */
void capture_release(struct capture *c);

#endif
