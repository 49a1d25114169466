/*
 * Where backups live. Two layers:
 *
 * Objects: a storage holds opaque objects under keys ("a/b/c"); a driver
 * (posix: backup_dir on local disk; s3: a bucket and prefix) only puts,
 * gets (whole or a byte range), lists and deletes them. Drivers know
 * nothing of what the objects hold: hashing, compression and encryption
 * are filters (src/filter) the callers run on the bytes.
 *
 * Backups of format 1, built once on top of the objects (storage-backup.c):
 * a set of named files under its id (DESIGN.md): redis.rdb,
 * content_index.faiss, user_index.faiss and metadata.json, plus small
 * sidecar files (verification records, pin markers) beside them. A backup
 * is complete when metadata.json exists; writers put it last, deleters
 * remove it first. The deduplicating repository (format 2) keeps its
 * objects under "repository/" (src/repo) and is not listed here.
 */
#ifndef VS_STORAGE_H
#define VS_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "common/error.h"
#include "filter/filter.h"
#include "common/timeutil.h"
#include "config/conf.h"

#define STORAGE_METADATA "metadata.json"
/* The folder of the deduplicating repository (format 2). */
#define STORAGE_REPO_DIR "repository"

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

/* Report delta bytes of a transfer (progress may be NULL); nonzero:
 * cancelled. */
int storage_progress_report(const struct storage_progress *progress, uint64_t delta);

/* A warning a driver wants the user to see (e.g. an invalid key skipped
 * in a listing); may be called from any thread. */
typedef void (*storage_warn_fn)(void *ud, const char *msg);

/* Open location i of cfg->locations through its driver (the table of
 * drivers is config_drivers, src/storage/drivers.c). */
int storage_open_at(const struct config *cfg, size_t i, struct storage **out,
    struct vs_error *err);

/* Open a location by name ("local", "eu-west"); VS_ERR_USAGE or
 * VS_ERR_CONFIG when there is none of that name. */
int storage_open(const struct config *cfg, const char *location, struct storage **out,
    struct vs_error *err);

/* Open the local backup_dir (created 0700 if missing): location 0. */
int storage_open_local(const struct config *cfg, struct storage **out, struct vs_error *err);

/* The drivers' open functions, for the table (loc is one of cfg's). */
int storage_open_posix(const struct config *cfg, const struct config_location *loc,
    struct storage **out, struct vs_error *err);
int storage_open_s3(const struct config *cfg, const struct config_location *loc,
    struct storage **out, struct vs_error *err);

void storage_close(struct storage *st);

/* The name of the storage's location ("local", "s3", "eu-west"). */
const char *storage_name(const struct storage *st);

/* Its index in cfg->locations (-1 for a storage opened outside them). */
int storage_index(const struct storage *st);

/* Human form: "/var/backups/vector_store" or "s3://bucket/prefix". */
const char *storage_location(const struct storage *st);

/* Report a warning through the storage's hook. */
void storage_warn(struct storage *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Where warnings go (default: the process log). */
void storage_set_warn(struct storage *st, storage_warn_fn fn, void *ud);

/* Asked during every request of a driver that talks to a server (at least
 * once a second, and between retries), from any thread: nonzero stops the
 * operation with VS_ERR_CANCELLED. A job passes its cancel flag here, so
 * listings and other requests without a progress callback stop too. */
typedef int (*storage_cancel_fn)(void *ud);
void storage_set_cancel(struct storage *st, storage_cancel_fn fn, void *ud);

/* st stops when other does: for a storage opened on other's behalf. */
void storage_cancel_with(struct storage *st, const struct storage *other);

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

/* As storage_put, showing every byte put to the filter chain tap (once,
 * in order; the chain is not finished): the caller hashes, counts keys. */
int storage_put_filtered(struct storage_txn *txn, const char *file, int fd, uint64_t size,
    const struct storage_progress *progress, struct filter *tap, struct vs_error *err);

/* Store file of backup id in src into the transaction as a copy made by
 * the server (two locations on one S3 endpoint), checked by its size.
 * VS_ERR_USAGE when the drivers cannot: copy the bytes then. */
int storage_put_copy(struct storage_txn *txn, const char *file, struct storage *src,
    const char *id, uint64_t size, struct vs_error *err);

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

/* --- objects ------------------------------------------------------------- */

/* A key is 1..512 characters of [A-Za-z0-9._-] in components joined by
 * '/': none empty or starting with '.', no leading '/'. A trailing '/'
 * names a folder. */
#define STORAGE_KEY_MAX 512
bool storage_key_valid(const char *key);

struct storage_object {
	const char *key;          /* relative to the storage's root */
	uint64_t size;
	time_t mtime;
	bool dir;                 /* a folder (key ends in '/'), size 0 */
};

/* Called once per object; return nonzero to stop the listing. */
typedef int (*storage_object_cb)(void *ud, const struct storage_object *o);

/* What a put sends: len bytes of memory at data, or of fd read with pread
 * from off. */
struct storage_body {
	const void *data;
	int fd;
	uint64_t off;
	uint64_t len;
	/* Optional: the SHA-256 of the body when the caller knows it (an S3
	 * request is signed with it instead of reading the body twice). */
	const unsigned char *sha256;
	/* Optional: a filter chain shown every byte of the body once, in
	 * order (the caller's hash of what was sent); it is not finished. */
	struct filter *tap;
	/* Optional: fd is the whole of this temp file (from
	 * storage_spool_open), which a driver on the same file system may
	 * move into place instead of copying. The caller removes it after
	 * the put if it is still there. */
	const char *spool_path;
};

/* Where a get puts the bytes: memory at buf, or fd written with pwrite at
 * fd_off (buf NULL). */
struct storage_sink {
	void *buf;
	int fd;
	uint64_t fd_off;
};

struct storage_stat {
	uint64_t size;
	time_t mtime;
	char etag[96];            /* the version seen ("" when unknown) */
};

/* A body of len bytes of memory / of fd from off. */
struct storage_body storage_body_mem(const void *data, size_t len);
struct storage_body storage_body_fd(int fd, uint64_t off, uint64_t len);

/* Store an object whole or not at all (never half-written under key). */
int storage_obj_put(struct storage *st, const char *key, const struct storage_body *body,
    const struct storage_progress *progress, struct vs_error *err);

/* Read len bytes at off of key into sink; fewer bytes is an error. etag,
 * when not NULL or "", must still be the object's version. */
int storage_obj_get(struct storage *st, const char *key, uint64_t off, uint64_t len,
    const struct storage_sink *sink, const char *etag,
    const struct storage_progress *progress, struct vs_error *err);

/* Read a whole small object (at most max bytes) into memory, NUL-terminated. */
int storage_obj_read(struct storage *st, const char *key, size_t max, char **data,
    size_t *len, struct vs_error *err);

/* Size, time and version of an object; VS_ERR_NOTFOUND when missing. */
int storage_obj_head(struct storage *st, const char *key, struct storage_stat *out,
    struct vs_error *err);

/* Every object whose key starts with prefix (sorted by key when the
 * driver can; not necessarily). depth > 0: only keys with at most depth
 * components. Folders are reported (dir) where the driver has them. */
int storage_obj_list(struct storage *st, const char *prefix, int depth,
    storage_object_cb cb, void *ud, struct vs_error *err);

/* Store key in dst as a copy of srckey (size bytes) in src, done by the
 * server when both are on one (an S3 endpoint): the bytes never pass
 * through this host. VS_ERR_USAGE when the drivers cannot: copy the bytes
 * with storage_obj_get and storage_obj_put then. */
int storage_obj_copy(struct storage *dst, const char *key, struct storage *src,
    const char *srckey, uint64_t size, const struct storage_progress *progress,
    struct vs_error *err);

/* Delete an object; one that is gone already counts as deleted. */
int storage_obj_remove(struct storage *st, const char *key, struct vs_error *err);

/* Delete every object under prefix (which ends in '/'). */
int storage_obj_remove_prefix(struct storage *st, const char *prefix, struct vs_error *err);

/* A temp file to build an object in before storage_obj_put (with
 * body.spool_path): in backup_dir, so a local driver moves it into place.
 * *path is allocated; the file is opened read-write. */
int storage_spool_open(const struct config *cfg, int *fd, char **path, struct vs_error *err);

/* The local path of an object when the driver keeps files on this host. */
char *storage_obj_local_path(struct storage *st, const char *key);

#endif
