/*
 * Backups of format 2 seen through the backup interface of storage.h:
 * storage-backup.c hands every call about a backup that is in the
 * repository to these functions, so list, show, verify, restore, pin and
 * delete treat both formats alike. A file of such a backup is read by
 * reassembling it from its chunks; its metadata.json is its manifest.
 */
#ifndef VS_REPO_VIEW_H
#define VS_REPO_VIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "storage/storage.h"

/* Is id a backup of the repository of st? (Listed once per storage.) */
bool repo_view_has(struct storage *st, const char *id);

/* As repo_view_has, telling a listing that failed apart: 1 when the
 * repository holds id, 0 when it does not, -1 (err says why) when its
 * manifests could not be listed. */
int repo_view_lookup(struct storage *st, const char *id, struct vs_error *err);

/* Forget what was listed (after a backup was written or deleted). */
void repo_view_forget(struct storage *st);

/* Is id a backup of the repository, as the last listing saw it? No
 * request: false when nothing was listed yet. */
bool repo_view_known(struct storage *st, const char *id);

/* A listing of the backups (storage_list) found a repository in st or
 * not; without one there is nothing more to list. */
void repo_view_found(struct storage *st, bool found);

/* After a listing: is there a repository in st? */
bool repo_view_present(struct storage *st);

/* What the repository stores, without a listing of its packs: the packs
 * its index names and its manifests (the index comes from the local
 * cache when still current, else its index files are read). */
int repo_view_size(struct storage *st, uint64_t *bytes, struct vs_error *err);

int repo_view_list(struct storage *st, storage_list_cb cb, void *ud, struct vs_error *err);
int repo_view_stat(struct storage *st, const char *id, const char *file, uint64_t *size,
    struct vs_error *err);
int repo_view_read_small(struct storage *st, const char *id, const char *file, size_t max,
    char **data, size_t *len, struct vs_error *err);
int repo_view_write_small(struct storage *st, const char *id, const char *file,
    const void *data, size_t len, struct vs_error *err);
int repo_view_remove_small(struct storage *st, const char *id, const char *file,
    struct vs_error *err);
/* The file reassembled into fd (size bytes expected). */
int repo_view_get(struct storage *st, const char *id, const char *file, int fd,
    uint64_t size, const struct storage_progress *progress, struct vs_error *err);
int repo_view_remove(struct storage *st, const char *id, struct vs_error *err);

/* The repository of st, opened once per storage (NULL with err when it
 * cannot be). */
struct repo *repo_view_repo(struct storage *st, struct vs_error *err);

#endif
