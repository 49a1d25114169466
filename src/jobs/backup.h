/*
 * Making one backup: the consistent capture of Redis and both indexes
 * (DESIGN.md, Consistency), then one streaming pass per file into the
 * local backup_dir (copy + SHA-256; the RDB is parsed alongside for its
 * exact key counts), metadata.json last, rename into place. Used by the
 * backup job and, for the pre-restore safety backup, by restore.
 */
#ifndef VS_BACKUP_H
#define VS_BACKUP_H

#include <stdbool.h>

#include "common/btype.h"
#include "engine/engine.h"
#include "manifest/manifest.h"

struct backup_opts {
	enum backup_type type;
	/* Safety backup before a restore: what is missing or broken in the
	 * live state (an index file, a Redis that is down) is recorded as
	 * such instead of failing. */
	bool tolerant;
};

/* Make a backup in the local backup_dir; the caller holds the backup_dir
 * lock. On success *m describes it (manifest_clear() it). On failure or
 * cancel nothing is left behind. */
int backup_make(struct job *job, const struct backup_opts *opts, struct manifest *m,
    struct vs_error *err);

/* Remove unfinished backups left by killed processes (lock held). */
void backup_remove_stale_partials(struct job *job);

#endif
