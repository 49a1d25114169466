/*
 * Where a new backup goes, by repository.format: format 1 writes its
 * files into a storage transaction; format 2 stores them in the
 * repository of the same storage (src/repo). backup.c writes through this
 * and does not know which.
 */
#ifndef VS_BACKUP_TARGET_H
#define VS_BACKUP_TARGET_H

#include <stdint.h>

#include "engine/engine.h"
#include "manifest/manifest.h"
#include "redis/rdb-reader.h"
#include "storage/storage.h"

struct backup_target;
struct repo_source;

/* Start backup id in st; *taken says a failure was that id existing
 * (VS_ERR_REFUSED; so is a passphrase that does not open the repository). */
int backup_target_begin(struct job *job, struct storage *st, const char *id,
    struct backup_target **out, bool *taken, struct vs_error *err);

/* Store one file from fd; rdb, when not NULL, reads the same stream (key
 * counts; record boundaries for the chunker). mf gets size and SHA-256
 * (and, for format 2, the recipe). */
int backup_target_put(struct backup_target *t, const char *name, int fd, uint64_t size,
    struct rdb_reader *rdb, const struct storage_progress *progress,
    struct manifest_file *mf, struct vs_error *err);

/* Can a file be stored as it is being written (backup_target_put_stream)?
 * Format 2 only. */
bool backup_target_streams(const struct backup_target *t);

/* backup_target_put() of an RDB whose size is known only at its end: read
 * from src (repo.h) until it says the file is complete. */
int backup_target_put_stream(struct backup_target *t, const char *name,
    const struct repo_source *src, void *src_ud, struct rdb_reader *rdb,
    const struct storage_progress *progress, struct manifest_file *mf,
    struct vs_error *err);

/* Write the metadata (the manifest) last; frees t whatever the result. */
int backup_target_commit(struct backup_target *t, struct manifest *m, struct vs_error *err);

/* Give up and free t (NULL is allowed). */
void backup_target_abort(struct backup_target *t);

#endif
