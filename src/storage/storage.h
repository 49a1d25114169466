/*
 * Where backups live. One interface, two drivers (posix: backup_dir on
 * local disk; s3: a bucket and prefix). Jobs talk only to this interface.
 *
 * A backup is a set of named files under its id (DESIGN.md): redis.rdb,
 * content_index.faiss, user_index.faiss and metadata.json, plus small
 * sidecar files (verification records, pin markers) beside them. A backup
 * is complete when metadata.json exists; writers put it last, deleters
 * remove it first.
 */
#ifndef VS_STORAGE_H
#define VS_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "common/error.h"
#include "common/timeutil.h"
#include "config/conf.h"

#define STORAGE_METADATA "metadata.json"

struct storage;
struct storage_txn;
struct storage_reader;

struct storage_entry {
	char id[BACKUP_ID_SIZE];
	bool complete;        /* metadata.json present */
	bool partial;         /* an unfinished write (local .partial dir) */
	uint64_t bytes;       /* total size of its files, when known */
	time_t mtime;         /* last modification of any file */
};

/* Called once per backup found; return nonzero to stop the listing. */
typedef int (*storage_list_cb)(void *ud, const struct storage_entry *entry);

/* Progress of a transfer: called with the bytes moved since the last call
 * (0 while a transfer waits, so a cancel is noticed), possibly from several
 * threads at once. Return nonzero to cancel. */
struct storage_progress {
	int (*fn)(void *ud, uint64_t delta);
	void *ud;
	/* Optional, for storage_get(): the first prefix bytes of the file are
	 * in fd, so a caller may read them while the rest arrives. Called from
	 * the threads that write, with a prefix that only grows. */
	void (*landed)(void *ud, uint64_t prefix);
};

/* A warning a driver wants the user to see (e.g. an invalid key skipped
 * in a listing); may be called from any thread. */
typedef void (*storage_warn_fn)(void *ud, const char *msg);

/* Open the local backup_dir (created 0700 if missing). */
int storage_open_local(const struct config *cfg, struct storage **out, struct vs_error *err);

/* Open the configured S3 bucket and prefix; VS_ERR_CONFIG when s3.bucket is empty. */
int storage_open_s3(const struct config *cfg, struct storage **out, struct vs_error *err);

/* Open by location name "local" or "s3". */
int storage_open(const struct config *cfg, const char *location, struct storage **out,
    struct vs_error *err);

void storage_close(struct storage *st);

/* "local" or "s3" */
const char *storage_name(const struct storage *st);

/* Human form: "/var/backups/vector_store" or "s3://bucket/prefix". */
const char *storage_location(const struct storage *st);

/* Where warnings go (default: the process log). */
void storage_set_warn(struct storage *st, storage_warn_fn fn, void *ud);

/* Every backup, complete or partial, whose id is valid; anything else
 * found is reported through the warning hook and skipped. */
int storage_list(struct storage *st, storage_list_cb cb, void *ud, struct vs_error *err);

/* Size of one file of a backup; VS_ERR_NOTFOUND when missing. */
int storage_stat(struct storage *st, const char *id, const char *file, uint64_t *size,
    struct vs_error *err);

/* Read a small file (metadata, sidecars) whole; NUL-terminated. */
int storage_read_small(struct storage *st, const char *id, const char *file, size_t max,
    char **data, size_t *len, struct vs_error *err);

/* Write or replace a small sidecar file of a complete backup atomically. */
int storage_write_small(struct storage *st, const char *id, const char *file,
    const void *data, size_t len, struct vs_error *err);

/* Remove a sidecar file; missing is not an error. */
int storage_remove_small(struct storage *st, const char *id, const char *file,
    struct vs_error *err);

/* Stream a file from the start. */
int storage_open_read(struct storage *st, const char *id, const char *file,
    struct storage_reader **out, struct vs_error *err);
/* Returns bytes read, 0 at the end, -1 on error. */
ssize_t storage_read(struct storage_reader *r, void *buf, size_t len, struct vs_error *err);
void storage_reader_close(struct storage_reader *r);

/* Copy a whole file into fd (from offset 0, size bytes expected). */
int storage_get(struct storage *st, const char *id, const char *file, int fd,
    uint64_t size, const struct storage_progress *progress, struct vs_error *err);

/* Start writing backup id; fails when it already exists. A stale partial
 * write of the same id is removed first. */
int storage_begin(struct storage *st, const char *id, struct storage_txn **out,
    struct vs_error *err);

/* Copy size bytes from fd (read with pread from offset 0) into file.
 * sha256 receives the digest of what was written when not NULL. */
int storage_put(struct storage_txn *txn, const char *file, int fd, uint64_t size,
    const struct storage_progress *progress, unsigned char sha256[32],
    struct vs_error *err);

/* For drivers that keep files on this host: create file in the transaction,
 * with room for size bytes set aside, and return a descriptor for another
 * storage to fill directly (a download with storage_get), sparing a temp
 * file and a second write. Fails with VS_ERR_USAGE when the driver cannot;
 * use storage_put then. */
int storage_put_open(struct storage_txn *txn, const char *file, uint64_t size, int *fd,
    struct vs_error *err);

/* Finish a file filled through storage_put_open(): check it holds size
 * bytes, sync and close fd. Hashing what was put there is the caller's. */
int storage_put_close(struct storage_txn *txn, const char *file, int fd, uint64_t size,
    struct vs_error *err);

/* Finish: write metadata.json (last) and make the backup visible.
 * Frees txn whatever the result; on failure the partial backup is removed. */
int storage_commit(struct storage_txn *txn, const void *metadata, size_t len,
    struct vs_error *err);

/* Give up: remove everything this txn wrote, free txn. */
void storage_abort(struct storage_txn *txn);

/* Delete a backup: metadata.json first, then the rest. */
int storage_remove(struct storage *st, const char *id, struct vs_error *err);

/* The local path of a file when the storage keeps its files on this host
 * (the posix driver), so external tools can read it; NULL otherwise. */
char *storage_local_path(struct storage *st, const char *id, const char *file);

/* Remove a partial (unfinished) backup left by a killed process. */
int storage_remove_partial(struct storage *st, const char *id, struct vs_error *err);

#endif
