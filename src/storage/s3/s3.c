/*
 * The S3 storage driver: an object is "{s3.prefix}/{key}". The driver only
 * puts, gets, lists and deletes objects; what they hold is its callers'
 * business (storage-backup.c, src/repo).
 *
 * A put of a file reads it twice and never buffers it: a sequential pass
 * hashes it (the payload hash each signature needs; skipped when the caller
 * knows it), then each request streams its bytes from the file with pread.
 * Bodies above s3.multipart_threshold go up in s3.part_size parts (at least
 * 5 MiB, at most 10000 parts), s3.concurrency at a time; a failed multipart
 * upload is aborted. Large gets are parallel ranged GETs written in place
 * with pwrite. Ranged reads carry If-Match with the ETag the caller saw, so
 * an object replaced meanwhile is never mixed in.
 *
 * Multipart uploads orphaned by a killed process are not looked for (not
 * every S3 implementation lists uploads); a bucket lifecycle rule with
 * AbortIncompleteMultipartUpload removes them.
 *
 * DESIGN: the driver state (struct s3_storage) is read-only after open and
 * shared by every thread using the storage; the client inside it does its
 * own locking (s3-client.c). Transfers of large objects run on short-lived
 * threads (s3_parallel) that each own one part at a time; they share only
 * the job's counter and first error, under the job's lock.
 *
 * This file holds the driver table and storage_open_s3; the operations are
 * in s3-list.c (listing), s3-object.c (HEAD, DELETE, small PUTs),
 * s3-download.c (gets), s3-upload.c (single and multipart PUTs) and
 * s3-parallel.c (the threads of large transfers), sharing s3.intern.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "storage/storage.intern.h"
#include "storage/s3/s3-addr.h"
#include "storage/s3/s3-client.h"
#include "storage/s3/s3-options.h"
#include "storage/s3/s3.intern.h"

struct s3_storage *
s3_of(struct storage *st)
{
	return st->priv;
}

static void
s3_warn_hook(void *ud, const char *msg)
{
	storage_warn(ud, "%s", msg);
}

static int
s3_cancel_hook(void *ud)
{
	return storage_cancelled(ud);
}

void
s3_add_sse(struct s3_storage *s3, struct s3_req *req)
{
	if (strcmp(s3->sse, "none") == 0)
		return;
	s3_req_header(req, "x-amz-server-side-encryption", s3->sse);
	if (strcmp(s3->sse, "aws:kms") == 0 && *s3->kms_key_id != '\0')
		s3_req_header(req, "x-amz-server-side-encryption-aws-kms-key-id",
		    s3->kms_key_id);
}

static void
s3_close(struct storage *st)
{
	struct s3_storage *s3 = s3_of(st);

	s3_client_free(&s3->client);
	free(s3->prefix);
	free(s3->sse);
	free(s3->kms_key_id);
	free(s3);
}

static const struct storage_driver s3_driver = {
	.name = "s3",
	.sorted = true,
	.put = s3_put,
	.get = s3_get,
	.head = s3_obj_head,
	.list = s3_list,
	.remove = s3_remove,
	.close = s3_close,
	.read = s3_read,
	.copy = s3_copy,
};

int
storage_open_s3(const struct config *cfg, const struct config_location *loc,
    struct storage **out, struct vs_error *err)
{
	const struct s3_options *o = s3_options_of(loc);
	struct s3_storage *s3;
	struct storage *st;
	const char *sse;

	if (o == NULL || o->bucket == NULL || *o->bucket == '\0')
		return error_set(err, VS_ERR_CONFIG,
		    _("S3 is not configured: s3.bucket is empty in %s"),
		    cfg->path != NULL ? cfg->path : _("the configuration"));
	sse = o->sse != NULL && *o->sse != '\0' ? o->sse : "AES256";
	if (strcmp(sse, "AES256") != 0 && strcmp(sse, "aws:kms") != 0 &&
	    strcmp(sse, "none") != 0)
		return error_set(err, VS_ERR_CONFIG,
		    _("s3.sse is \"%s\": use AES256, aws:kms or none"), sse);
	s3 = xcalloc(1, sizeof *s3);
	if (s3_client_init(&s3->client, o, err) != 0) {
		free(s3);
		return -1;
	}
	s3->prefix = s3_prefix_normalize(o->prefix != NULL ? o->prefix : "");
	s3->sse = xstrdup(sse);
	s3->kms_key_id = xstrdup(o->sse_kms_key_id != NULL ? o->sse_kms_key_id : "");
	s3->part_size = o->part_size > 0 ? (uint64_t)o->part_size : 16 * 1024 * 1024;
	s3->threshold = o->multipart_threshold > 0 ?
	    (uint64_t)o->multipart_threshold : 64 * 1024 * 1024;
	s3->concurrency = o->concurrency > 0 ? o->concurrency : 4;
	st = storage_new(&s3_driver, cfg, loc, storage_s3_kind.describe(cfg, loc), s3);
	s3->client.warn = s3_warn_hook;
	s3->client.warn_ud = st;
	s3->client.cancelled = s3_cancel_hook;
	s3->client.cancel_ud = st;
	*out = st;
	return 0;
}
