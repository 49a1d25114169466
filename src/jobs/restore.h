/*
 * Restore: the seed's procedure with DESIGN.md's safety steps. The steps
 * are numbered for the journal and for clients that show a checklist.
 */
#ifndef VS_RESTORE_H
#define VS_RESTORE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "jobs/journal.h"
#include "jobs/place.h"
#include "manifest/manifest.h"
#include "storage/storage.h"

/* id, checklist text */
#define RESTORE_STEPS(X)                                                   \
	X(RESTORE_FETCH, N_("download the backup from S3"))                \
	X(RESTORE_VERIFY, N_("verify the backup's checksums"))             \
	X(RESTORE_PREFLIGHT, N_("pre-flight checks"))                      \
	X(RESTORE_SAFETY, N_("safety backup of the live state"))           \
	X(RESTORE_INDEXES, N_("place both index files"))                   \
	X(RESTORE_STOP, N_("stop Redis"))                                  \
	X(RESTORE_RDB, N_("place the Redis snapshot"))                     \
	X(RESTORE_START, N_("start Redis and wait until it has loaded"))   \
	X(RESTORE_CHECK, N_("check key counts and index sizes"))           \
	X(RESTORE_RELOAD, N_("reload the service"))

enum restore_step {
#define X(id, text) id,
	RESTORE_STEPS(X)
#undef X
	RESTORE_NSTEPS
};

/*
 * Run a restore (run) against the right server: under Sentinel the current
 * master, which must be on this machine; the replicas resync from it.
 * files_only: --target-dir, no server involved.
 */
int restore_run_at_target(struct job *job, void *argp, void **result, bool files_only,
    int (*run)(struct job *, void *, void **, struct vs_error *), struct vs_error *err);

/*
 * Write backup m's data files (mode 0600) and its metadata.json from st
 * into dir (made 0700 when missing), for the operator (--target-dir) or a
 * drill's sandbox; nothing live is touched. All or nothing: a failure
 * leaves none of the files. Progress through place_file().
 */
int restore_materialise(struct job *job, struct storage *st, const struct manifest *m,
    const char *dir, struct vs_error *err);

/* The checklist text of a step (translated). */
const char *restore_step_text(enum restore_step step);

/* --- Redis around a restore (restore-redis.c) --- */

/* Ask the running server where its data lives (CONFIG GET dir,
 * dbfilename, appendonly, appenddirname, appendfilename) into j. Returns
 * 0 when learnt, 1 when Redis is not reachable, -1 on other errors. */
int restore_redis_learn(struct job *job, struct journal *j, struct vs_error *err);

/* Fill what is still unknown in j (Redis down, or it would not say): the
 * config keys only (what backup m recorded is shown as a hint in the
 * refusal, never used); AOF from the files in the data dir. answers: the
 * server is up (for the refusal's words). */
int restore_redis_guess(const struct config *cfg, const struct manifest *m, bool answers,
    struct journal *j, struct vs_error *err);

/* May vsbackup's Redis user SHUTDOWN the server? 1 yes, 0 no (why says
 * what the server answered), -1 cannot tell (not reachable). Nothing is
 * stopped. */
int restore_redis_can_stop(const struct config *cfg, char *why, size_t whylen);

/* Does the server answer (a connection and AUTH succeed)? */
bool restore_redis_answers(const struct config *cfg);

/* Stop the server (stop_command, else SHUTDOWN NOSAVE) and wait until it
 * is gone. A server that is already down is fine. */
int restore_redis_stop(struct job *job, struct vs_error *err);

/* Write the backup's RDB into backup_dir (the data directory is left
 * alone while the server runs), for restore_redis_place() to put in
 * place. */
int restore_redis_stage(struct job *job, struct storage *st, const struct manifest *m,
    struct journal *j, struct place_staged *out, struct vs_error *err);

/* Put the backup's RDB where the server loads it: dbfilename (staged: by
 * restore_redis_stage(), may be NULL), and when AOF is on a fresh AOF
 * whose base is the snapshot (the old one is moved aside). Without an RDB
 * in the backup, the server starts empty. */
int restore_redis_place(struct job *job, struct storage *st, const struct manifest *m,
    struct journal *j, struct place_staged *staged, struct vs_error *err);

/* Run start_command and wait until the server has loaded its data; when
 * it does not come up, the error ends with the last lines of its log
 * (j->logfile, learnt from the server). */
int restore_redis_start(struct job *job, const struct journal *j, struct vs_error *err);

/* What a restore finds on the live server after it has loaded. */
struct restore_counts {
	uint64_t *keys;           /* per configured prefix */
	uint64_t *volatile_keys;  /* of keys, those with a TTL (when asked) */
	uint64_t dbsize;          /* keys in redis.db (INFO keyspace) */
	uint64_t db_expires;      /* of those, with a TTL */
};

/* Count keys per configured prefix (SCAN) and, for each prefix i where
 * with_ttl[i], those with a TTL (PTTL, pipelined); and the keys of the
 * database with and without TTL. out's arrays have cfg->redis.nprefixes
 * entries. */
int restore_redis_count(struct job *job, const bool *with_ttl, struct restore_counts *out,
    struct vs_error *err);

/* --- a restore by RESTORE, routed by slot (restore-route.c) --- */

/* Does restoring m under cfg load the keys with RESTORE (a cluster on
 * either side) rather than place the RDB file? */
bool restore_routed(const struct config *cfg, const struct manifest *m);

/* Empty the target (every master of the cluster, or the server's db) and
 * load every key of m's RDB files into it, each with its TTL, to the
 * master of its slot. Progress in bytes of the files read. */
int restore_route_load(struct job *job, struct storage *st, const struct manifest *m,
    struct vs_error *err);

/* restore_redis_count() of the target: summed over the cluster's masters. */
int restore_route_count(struct job *job, const bool *with_ttl, struct restore_counts *out,
    struct vs_error *err);

/* --- a cluster backup into the same cluster, per node (restore-nodes.c) --- */

/* Is the live cluster of cfg the one m recorded (the same masters, node
 * ids and slots), with redis.start_command set? 1 yes, 0 no, -1 when the
 * cluster cannot be asked. */
int restore_nodes_same(const struct config *cfg, const struct manifest *m,
    struct vs_error *err);

/* Each master in turn: stopped, its shard's RDB file placed, started and
 * waited for until loaded. Files moved aside are noted in j. */
int restore_nodes_place(struct job *job, struct storage *st, const struct manifest *m,
    struct journal *j, struct vs_error *err);

/* A resumed restore: start again each master of m that does not answer
 * (one an interrupted restore had stopped). */
int restore_nodes_revive(struct job *job, const struct manifest *m, struct vs_error *err);

/* Pre-flight of a cluster target: the cluster is whole and its masters
 * answer (0), or why not (-1); detail says which. */
int restore_route_check(const struct config *cfg, char *detail, size_t size);

#endif
