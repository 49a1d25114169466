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

/* --- s3.c --- */

/* The driver state of an S3 storage. */
struct s3_storage *s3_of(struct storage *st);
/* Ask for the configured server-side encryption on a PUT or POST. */
void s3_add_sse(struct s3_storage *s3, struct s3_req *req);

/* --- s3-list.c --- */

int s3_list(struct storage *st, const char *prefix, int depth, storage_object_cb cb,
    void *ud, struct vs_error *err);

/* --- s3-object.c --- */

/* The full key of a storage key (a new string). */
char *s3_full_key(struct storage *st, const char *key);
/* DELETE one object; one that is gone already counts as deleted. */
int s3_delete_key(struct storage *st, const char *key, struct vs_error *err);
/* HEAD by full key: size and ETag of an object (etag may be NULL; *etag is
 * allocated and NULL when the answer had none). */
int s3_head(struct storage *st, const char *key, uint64_t *size, char **etag,
    struct vs_error *err);
/* PUT len bytes from memory as the object key (full), with content type ctype. */
int s3_put_memory(struct storage *st, const char *key, const void *data, size_t len,
    const char *ctype, struct vs_error *err);
/* The driver's head and remove, by storage key. */
int s3_obj_head(struct storage *st, const char *key, struct storage_stat *out,
    struct vs_error *err);
int s3_remove(struct storage *st, const char *key, struct vs_error *err);
int s3_read(struct storage *st, const char *key, size_t max, char **data, size_t *len,
    struct vs_error *err);

/* --- s3-parallel.c --- */

/* Run fn on items 0..nitems-1 with up to nthreads threads; stops handing
 * out items at the first failure and returns that error. */
int s3_parallel(int nthreads, size_t nitems, int (*fn)(void *, size_t, struct vs_error *),
    void *ctx, struct vs_error *err);

/* --- s3-download.c --- */

int s3_get(struct storage *st, const char *key, uint64_t off, uint64_t len,
    const struct storage_sink *sink, const char *etag,
    const struct storage_progress *progress, struct vs_error *err);

/* --- s3-upload.c --- */

int s3_put(struct storage *st, const char *key, const struct storage_body *body,
    const struct storage_progress *progress, struct vs_error *err);

/* A multipart upload of key (full): start it (with the configured SSE),
 * complete it with the parts' ETags (checking, when a retried completion
 * finds no upload any more, that the object holds size bytes), or abort it
 * (a failure is only warned of). Uploads and server-side copies share them. */
int s3_mpu_start(struct storage *st, const char *key, char **upload_id, struct vs_error *err);
int s3_mpu_complete(struct storage *st, const char *key, const char *upload_id,
    char *const *etags, size_t nparts, uint64_t size, struct vs_error *err);
void s3_mpu_abort(struct storage *st, const char *key, const char *upload_id);

/* --- s3-copy.c --- */

/* The driver's copy: CopyObject, or UploadPartCopy above the multipart
 * threshold, when src is an S3 storage on the same endpoint. */
int s3_copy(struct storage *st, const char *key, struct storage *src, const char *srckey,
    uint64_t size, const struct storage_progress *progress, struct vs_error *err);

#endif
