/*
 * Reading: storage_open_read as a stream of ranged GETs, and downloads to
 * a file (one GET, or parallel ranged GETs written in place).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "storage/storage.intern.h"
#include "storage/s3/s3-addr.h"
#include "storage/s3/s3-client.h"
#include "storage/s3/s3.intern.h"

static int
s3_get_range(struct storage *st, const char *key, const char *etag, uint64_t off,
    uint64_t len, int fd, char *buf, const struct storage_progress *progress,
    struct vs_error *err)
{
	struct s3_storage *s3 = s3_of(st);
	struct s3_resp resp;
	struct s3_req req;
	char range[64];
	uint64_t got;
	int rc;

	s3_req_init(&req, "GET", key, _("downloading"));
	snprintf(range, sizeof range, "bytes=%llu-%llu", (unsigned long long)off,
	    (unsigned long long)(off + len - 1));
	s3_req_header(&req, "range", range);
	/* A different object under the same key must not be mixed in. */
	if (etag != NULL)
		s3_req_header(&req, "if-match", etag);
	req.progress = progress;
	if (fd >= 0) {
		req.out_fd = fd;
		req.out_off = off;
	} else
		req.body_max = (size_t)len;
	rc = s3_request(&s3->client, &req, &resp, err);
	if (rc == 0) {
		got = fd >= 0 ? resp.out_bytes : resp.body.len;
		if (got != len)
			rc = error_set(err, VS_ERR_S3,
			    _("downloading s3://%s/%s: asked for %llu bytes at %llu, got %llu"),
			    s3->client.ep.bucket, key, (unsigned long long)len,
			    (unsigned long long)off, (unsigned long long)got);
		else if (buf != NULL)
			memcpy(buf, resp.body.data, (size_t)len);
	}
	s3_resp_free(&resp);
	return rc;
}

int
s3_open_read(struct storage *st, const char *id, const char *file,
    struct storage_reader **out, struct vs_error *err)
{
	struct storage_reader *r = xcalloc(1, sizeof *r);

	r->st = st;
	r->key = s3_key_build(s3_of(st)->prefix, id, file);
	if (s3_head(st, r->key, &r->size, &r->etag, err) != 0) {
		free(r->key);
		free(r);
		return -1;
	}
	*out = r;
	return 0;
}

ssize_t
s3_read(struct storage_reader *r, void *buf, size_t len, struct vs_error *err)
{
	uint64_t n;

	if (r->buf_pos == r->buf_len) {
		if (r->pos >= r->size)
			return 0;
		/* Streamed as a sequence of ranged GETs: memory stays at one
		 * chunk and each chunk is retried on its own. */
		n = r->size - r->pos;
		if (n > S3_READ_CHUNK)
			n = S3_READ_CHUNK;
		if (r->buf == NULL)
			r->buf = xmalloc(S3_READ_CHUNK);
		if (s3_get_range(r->st, r->key, r->etag, r->pos, n, -1, r->buf, NULL,
		    err) != 0)
			return -1;
		r->pos += n;
		r->buf_len = (size_t)n;
		r->buf_pos = 0;
	}
	if (len > r->buf_len - r->buf_pos)
		len = r->buf_len - r->buf_pos;
	memcpy(buf, r->buf + r->buf_pos, len);
	r->buf_pos += len;
	return (ssize_t)len;
}

void
s3_reader_close(struct storage_reader *r)
{
	free(r->key);
	free(r->etag);
	free(r->buf);
	free(r);
}

struct s3_get_job {
	struct storage *st;
	const char *key;
	const char *etag;
	int fd;
	uint64_t size;
	uint64_t part;
	const struct storage_progress *progress;
};

static int
s3_get_part(void *ctx, size_t item, struct vs_error *err)
{
	struct s3_get_job *j = ctx;
	uint64_t off = (uint64_t)item * j->part;
	uint64_t len = j->size - off < j->part ? j->size - off : j->part;

	return s3_get_range(j->st, j->key, j->etag, off, len, j->fd, NULL, j->progress, err);
}

int
s3_get(struct storage *st, const char *id, const char *file, int fd, uint64_t size,
    const struct storage_progress *progress, struct vs_error *err)
{
	struct s3_storage *s3 = s3_of(st);
	char *key = s3_key_build(s3->prefix, id, file), *etag = NULL;
	struct s3_get_job job;
	struct s3_resp resp;
	struct s3_req req;
	uint64_t actual;
	int rc = -1;

	if (s3_head(st, key, &actual, &etag, err) != 0)
		goto out;
	if (actual != size) {
		error_set(err, VS_ERR_FORMAT, _("s3://%s/%s is %llu bytes, expected %llu"),
		    s3->client.ep.bucket, key, (unsigned long long)actual,
		    (unsigned long long)size);
		goto out;
	}
	if (size == 0) {
		rc = 0;
		goto out;
	}
	if (size <= s3->threshold || s3->concurrency <= 1) {
		s3_req_init(&req, "GET", key, _("downloading"));
		if (etag != NULL)
			s3_req_header(&req, "if-match", etag);
		req.out_fd = fd;
		req.progress = progress;
		rc = s3_request(&s3->client, &req, &resp, err);
		if (rc == 0 && resp.out_bytes != size)
			rc = error_set(err, VS_ERR_S3,
			    _("downloading s3://%s/%s: got %llu bytes, expected %llu"),
			    s3->client.ep.bucket, key, (unsigned long long)resp.out_bytes,
			    (unsigned long long)size);
		s3_resp_free(&resp);
		goto out;
	}
	/* Large objects: ranged GETs in parallel, each written in place. */
	job = (struct s3_get_job){
		.st = st, .key = key, .etag = etag, .fd = fd, .size = size,
		.part = s3->part_size, .progress = progress,
	};
	rc = s3_parallel(s3->concurrency, (size_t)((size + job.part - 1) / job.part),
	    s3_get_part, &job, err);
out:
	free(etag);
	free(key);
	return rc;
}
