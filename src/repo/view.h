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

/* Forget what was listed (after a backup was written or deleted). */
void repo_view_forget(struct storage *st);

/* A listing of the whole storage (storage_list) tells the view what it
 * needs, sparing a request: begin, then each object under "repository/",
 * then end. */
void repo_view_note_begin(struct storage *st);
void repo_view_note(struct storage *st, const char *key, uint64_t size);
void repo_view_note_end(struct storage *st);

/* The bytes under "repository/" seen by the last full listing; false when
 * there is no repository (or no full listing was made). */
bool repo_view_bytes(struct storage *st, uint64_t *bytes);

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
