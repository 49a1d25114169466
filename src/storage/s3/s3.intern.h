/*
 * The S3 driver's shared state and operations, for src/storage/s3/s3*.c
 * only (see s3.c for the driver's design).
 */
#ifndef VS_S3_INTERN_H
#define VS_S3_INTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "storage/storage.intern.h"
#include "storage/s3/s3-client.h"

/* Reads of files are done in blocks of this size (one buffer each). */
#define S3_HASH_BLOCK (1024 * 1024)
#define S3_READ_CHUNK (4 * 1024 * 1024)
#define S3_MAX_PARTS 10000
#define S3_MIN_PART (5ULL * 1024 * 1024)

struct s3_storage {
	struct s3_client client;
	char *prefix;             /* normalised: no leading or trailing '/' */
	char *sse;                /* "AES256", "aws:kms" or "none" */
	char *kms_key_id;
	uint64_t threshold;
	uint64_t part_size;
	int concurrency;
};

/* Readers and transactions start with their storage (storage.c relies on it). */
struct storage_reader {
	struct storage *st;
	char *key;
	char *etag;
	uint64_t size;
	uint64_t pos;             /* of the next byte to fetch */
	char *buf;
	size_t buf_len;
	size_t buf_pos;
};

struct storage_txn {
	struct storage *st;
	char id[BACKUP_ID_SIZE];
};

/* --- s3.c --- */

/* The driver state of an S3 storage. */
struct s3_storage *s3_of(struct storage *st);
/* Ask for the configured server-side encryption on a PUT or POST. */
void s3_add_sse(struct s3_storage *s3, struct s3_req *req);

/* --- s3-list.c --- */

int s3_list(struct storage *st, storage_list_cb cb, void *ud, struct vs_error *err);

/* The files present under one backup id (names, as listed). */
struct s3_names {
	char **names;
	size_t n;
	bool complete;
};

/* The objects under backup id: nm gets their full keys (free with
 * s3_names_free) and whether metadata.json is among them. */
int s3_list_backup(struct storage *st, const char *id, struct s3_names *nm,
    struct vs_error *err);
void s3_names_free(struct s3_names *nm);

/* --- s3-object.c --- */

/* DELETE one object; one that is gone already counts as deleted. */
int s3_delete_key(struct storage *st, const char *key, struct vs_error *err);
/* HEAD: size and ETag of an object (etag may be NULL; *etag is allocated
 * and NULL when the answer had none). */
int s3_head(struct storage *st, const char *key, uint64_t *size, char **etag,
    struct vs_error *err);
/* PUT len bytes from memory as the object key, with content type ctype. */
int s3_put_memory(struct storage *st, const char *key, const void *data, size_t len,
    const char *ctype, struct vs_error *err);
int s3_stat(struct storage *st, const char *id, const char *file, uint64_t *size,
    struct vs_error *err);
int s3_read_small(struct storage *st, const char *id, const char *file, size_t max,
    char **data, size_t *len, struct vs_error *err);
int s3_write_small(struct storage *st, const char *id, const char *file, const void *data,
    size_t len, struct vs_error *err);
int s3_remove_small(struct storage *st, const char *id, const char *file,
    struct vs_error *err);

/* --- s3-parallel.c --- */

/* Run fn on items 0..nitems-1 with up to nthreads threads; stops handing
 * out items at the first failure and returns that error. */
int s3_parallel(int nthreads, size_t nitems, int (*fn)(void *, size_t, struct vs_error *),
    void *ctx, struct vs_error *err);

/* --- s3-download.c --- */

int s3_open_read(struct storage *st, const char *id, const char *file,
    struct storage_reader **out, struct vs_error *err);
ssize_t s3_read(struct storage_reader *r, void *buf, size_t len, struct vs_error *err);
void s3_reader_close(struct storage_reader *r);
int s3_get(struct storage *st, const char *id, const char *file, int fd, uint64_t size,
    const struct storage_progress *progress, struct vs_error *err);

/* --- s3-upload.c --- */

int s3_begin(struct storage *st, const char *id, struct storage_txn **out,
    struct vs_error *err);
int s3_put(struct storage_txn *txn, const char *file, int fd, uint64_t size,
    const struct storage_progress *progress, unsigned char sha256[32],
    struct vs_error *err);
int s3_commit(struct storage_txn *txn, const void *metadata, size_t len,
    struct vs_error *err);
void s3_abort(struct storage_txn *txn);

/* --- s3-delete.c --- */

/* Delete the objects of nm: with metadata_first, metadata.json before the
 * rest (so the backup stops counting as complete before any of its data
 * goes); without it, only the rest. */
int s3_delete_names(struct storage *st, struct s3_names *nm, bool metadata_first,
    struct vs_error *err);
/* Everything under the backup id goes; failures are warned about. */
void s3_remove_quietly(struct storage *st, const char *id);
int s3_remove(struct storage *st, const char *id, struct vs_error *err);
int s3_remove_partial(struct storage *st, const char *id, struct vs_error *err);

#endif
