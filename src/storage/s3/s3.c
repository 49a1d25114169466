/*
 * The S3 storage driver: a backup is the set of objects
 * "{s3.prefix}/{backup id}/{file}"; metadata.json is put last and removed
 * first, so a listing counts a backup complete only when it exists.
 *
 * Uploads read the file twice and never buffer it: a sequential pass
 * hashes it (the whole file's SHA-256, which storage_put returns for single
 * PUTs and multipart uploads alike, and each part's, which its signature
 * needs), then each request streams its bytes from the file with pread.
 * Files above s3.multipart_threshold go up in s3.part_size parts (at least
 * 5 MiB, at most 10000 parts), s3.concurrency at a time; a failed multipart
 * upload is aborted. Large downloads are parallel ranged GETs written in
 * place with pwrite; storage_open_read streams 4 MiB ranged GETs. Ranged
 * reads carry If-Match with the ETag seen first, so an object replaced
 * meanwhile is never mixed in.
 *
 * Multipart uploads orphaned by a killed process are not looked for (not
 * every S3 implementation lists uploads); a bucket lifecycle rule with
 * AbortIncompleteMultipartUpload removes them.
 *
 * DESIGN: the driver state (struct s3_storage) is read-only after open and
 * shared by every thread using the storage; the client inside it does its
 * own locking (s3-client.c). Transfers of large files run on short-lived
 * threads (s3_parallel) that each own one part at a time; they share only
 * the job's counter and first error, under the job's lock.
 *
 * This file holds the driver table and storage_open_s3; the operations are
 * in s3-list.c (listing), s3-object.c (single objects: HEAD, the small
 * files), s3-download.c (reads and downloads), s3-upload.c (the upload
 * transaction, single and multipart PUTs), s3-delete.c (removing backups)
 * and s3-parallel.c (the threads of large transfers), sharing
 * s3.intern.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "storage/storage.intern.h"
#include "storage/s3/s3-addr.h"
#include "storage/s3/s3-client.h"
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
	.list = s3_list,
	.stat = s3_stat,
	.read_small = s3_read_small,
	.write_small = s3_write_small,
	.remove_small = s3_remove_small,
	.open_read = s3_open_read,
	.read = s3_read,
	.reader_close = s3_reader_close,
	.get = s3_get,
	.begin = s3_begin,
	.put = s3_put,
	.commit = s3_commit,
	.abort = s3_abort,
	.remove = s3_remove,
	.remove_partial = s3_remove_partial,
	.close = s3_close,
};

int
storage_open_s3(const struct config *cfg, struct storage **out, struct vs_error *err)
{
	struct s3_storage *s3;
	struct storage *st;
	const char *sse;
	char *location;

	if (cfg->s3.bucket == NULL || *cfg->s3.bucket == '\0')
		return error_set(err, VS_ERR_CONFIG,
		    _("S3 is not configured: s3.bucket is empty in %s"),
		    cfg->path != NULL ? cfg->path : _("the configuration"));
	sse = cfg->s3.sse != NULL && *cfg->s3.sse != '\0' ? cfg->s3.sse : "AES256";
	if (strcmp(sse, "AES256") != 0 && strcmp(sse, "aws:kms") != 0 &&
	    strcmp(sse, "none") != 0)
		return error_set(err, VS_ERR_CONFIG,
		    _("s3.sse is \"%s\": use AES256, aws:kms or none"), sse);
	s3 = xcalloc(1, sizeof *s3);
	if (s3_client_init(&s3->client, cfg, err) != 0) {
		free(s3);
		return -1;
	}
	s3->prefix = s3_prefix_normalize(cfg->s3.prefix != NULL ? cfg->s3.prefix : "");
	s3->sse = xstrdup(sse);
	s3->kms_key_id = xstrdup(cfg->s3.sse_kms_key_id != NULL ? cfg->s3.sse_kms_key_id : "");
	s3->part_size = cfg->s3.part_size > 0 ? (uint64_t)cfg->s3.part_size : 16 * 1024 * 1024;
	s3->threshold = cfg->s3.multipart_threshold > 0 ?
	    (uint64_t)cfg->s3.multipart_threshold : 64 * 1024 * 1024;
	s3->concurrency = cfg->s3.concurrency > 0 ? cfg->s3.concurrency : 4;
	if (*s3->prefix != '\0')
		location = xasprintf("s3://%s/%s", cfg->s3.bucket, s3->prefix);
	else
		location = xasprintf("s3://%s", cfg->s3.bucket);
	st = storage_new(&s3_driver, cfg, location, s3);
	s3->client.warn = s3_warn_hook;
	s3->client.warn_ud = st;
	*out = st;
	return 0;
}
