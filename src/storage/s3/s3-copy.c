/*
 * Server-side copies: an object of one S3 location stored under another
 * key, or in another bucket, of the same endpoint, without its bytes
 * passing through this host. Up to the location's multipart threshold one
 * CopyObject; above it UploadPartCopy of part_size ranges, s3.concurrency
 * at a time, completed as a multipart upload (s3-upload.c's, with the
 * configured server-side encryption), aborted when a part fails.
 *
 * The source is named by x-amz-copy-source, an x-amz header signed like
 * the others. The request is signed with the destination's credentials,
 * which must be able to read the source: a server that refuses (403) or
 * does not know the operation (501) answers VS_ERR_USAGE, and the caller
 * copies the bytes itself instead. A 200 may carry an <Error> (a copy that
 * failed after the headers were sent): that is a failure.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "storage/s3/s3-xml.h"
#include "storage/s3/s3.intern.h"

/* The largest object one CopyObject may copy. */
#define S3_COPY_SINGLE_MAX (5ULL * 1024 * 1024 * 1024)

/* May src be copied from by st's server? Same scheme, host and path. */
static bool
s3_same_endpoint(struct storage *st, struct storage *src)
{
	const struct s3_endpoint *a = &s3_of(st)->client.ep, *b = &s3_of(src)->client.ep;

	return st->drv == src->drv && strcmp(a->scheme, b->scheme) == 0 &&
	    strcmp(a->host, b->host) == 0 && strcmp(a->base, b->base) == 0;
}

/* A refusal or an unknown operation: the caller copies the bytes. */
static int
s3_copy_refused(const struct s3_resp *resp, struct vs_error *err)
{
	if (resp->status == 501 || resp->status == 403 || resp->status == 405)
		err->code = VS_ERR_USAGE;
	return -1;
}

struct s3_copy_job {
	struct storage *st;
	const char *key;          /* full destination key */
	const char *source;       /* x-amz-copy-source */
	const char *upload_id;
	uint64_t size, part;
	char **etags;
	const struct storage_progress *progress;
	long status;              /* of a failed part, for the fallback */
};

static int
s3_copy_part(void *ctx, size_t item, struct vs_error *err)
{
	struct s3_copy_job *cj = ctx;
	struct s3_storage *s3 = s3_of(cj->st);
	uint64_t off = (uint64_t)item * cj->part;
	uint64_t len = cj->size - off < cj->part ? cj->size - off : cj->part;
	char num[24], range[64];
	struct s3_resp resp;
	struct s3_req req;
	int rc;

	snprintf(num, sizeof num, "%zu", item + 1);
	snprintf(range, sizeof range, "bytes=%llu-%llu", (unsigned long long)off,
	    (unsigned long long)(off + len - 1));
	s3_req_init(&req, "PUT", cj->key, _("copying a part of"));
	s3_req_query(&req, "partNumber", num);
	s3_req_query(&req, "uploadId", cj->upload_id);
	s3_req_header(&req, "x-amz-copy-source", cj->source);
	s3_req_header(&req, "x-amz-copy-source-range", range);
	req.error_in_200 = true;
	rc = s3_request(&s3->client, &req, &resp, err);
	if (rc == 0 && s3_xml_parse_copy(resp.body.data, resp.body.len, "CopyPartResult",
	    &cj->etags[item], err) != 0)
		rc = -1;
	if (rc != 0 && (resp.status == 501 || resp.status == 403 || resp.status == 405))
		cj->status = resp.status;
	s3_resp_free(&resp);
	if (rc == 0 && storage_progress_report(cj->progress, len) != 0)
		rc = error_set(err, VS_ERR_CANCELLED, _("cancelled"));
	return rc;
}

static int
s3_copy_multipart(struct storage *st, const char *key, const char *source, uint64_t size,
    const struct storage_progress *progress, struct vs_error *err)
{
	struct s3_storage *s3 = s3_of(st);
	struct s3_copy_job cj = { .st = st, .key = key, .source = source, .size = size,
	    .progress = progress };
	char *upload_id = NULL;
	size_t nparts;
	int rc;

	cj.part = s3->part_size < S3_MIN_PART ? S3_MIN_PART : s3->part_size;
	if ((size + cj.part - 1) / cj.part > S3_MAX_PARTS)
		cj.part = ((size + S3_MAX_PARTS - 1) / S3_MAX_PARTS + S3_MIN_PART - 1) /
		    S3_MIN_PART * S3_MIN_PART;
	nparts = (size_t)((size + cj.part - 1) / cj.part);
	if (s3_mpu_start(st, key, &upload_id, err) != 0)
		return -1;
	cj.upload_id = upload_id;
	cj.etags = xcalloc(nparts, sizeof *cj.etags);
	rc = s3_parallel(s3->concurrency, nparts, s3_copy_part, &cj, err);
	if (rc == 0)
		rc = s3_mpu_complete(st, key, upload_id, cj.etags, nparts, size, err);
	if (rc != 0) {
		s3_mpu_abort(st, key, upload_id);
		if (cj.status != 0)
			err->code = VS_ERR_USAGE;
	}
	for (size_t i = 0; i < nparts; i++)
		free(cj.etags[i]);
	free(cj.etags);
	free(upload_id);
	return rc;
}

int
s3_copy(struct storage *st, const char *key, struct storage *src, const char *srckey,
    uint64_t size, const struct storage_progress *progress, struct vs_error *err)
{
	struct s3_storage *s3 = s3_of(st);
	char *full, *srcfull, *source;
	struct s3_resp resp;
	struct s3_req req;
	int rc;

	if (!s3_same_endpoint(st, src))
		return error_set(err, VS_ERR_USAGE, _("%s and %s are not on the same S3 endpoint"),
		    storage_location(src), storage_location(st));
	full = s3_full_key(st, key);
	srcfull = s3_full_key(src, srckey);
	/* Keys are [A-Za-z0-9._-/] (storage_key_valid): nothing to encode. */
	source = xasprintf("/%s/%s", s3_of(src)->client.ep.bucket, srcfull);
	if (size > s3->threshold || size > S3_COPY_SINGLE_MAX) {
		rc = s3_copy_multipart(st, full, source, size, progress, err);
	} else {
		s3_req_init(&req, "PUT", full, _("copying to"));
		s3_req_header(&req, "x-amz-copy-source", source);
		s3_add_sse(s3, &req);
		req.error_in_200 = true;
		rc = s3_request(&s3->client, &req, &resp, err);
		if (rc == 0) {
			char *etag = NULL;

			rc = s3_xml_parse_copy(resp.body.data, resp.body.len, "CopyObjectResult",
			    &etag, err);
			free(etag);
		} else {
			s3_copy_refused(&resp, err);
		}
		s3_resp_free(&resp);
		if (rc == 0 && storage_progress_report(progress, size) != 0)
			rc = error_set(err, VS_ERR_CANCELLED, _("cancelled"));
	}
	free(source);
	free(srcfull);
	free(full);
	return rc;
}
