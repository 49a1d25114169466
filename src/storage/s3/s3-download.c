/*
 * Reading: storage_open_read as a stream of ranged GETs, and downloads to
 * a file (one GET, or parallel ranged GETs written in place).
 */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
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
    void (*landed)(void *, uint64_t), void *landed_ud, struct vs_error *err)
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
		req.landed = landed;
		req.landed_ud = landed_ud;
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
		if (s3_get_range(r->st, r->key, r->etag, r->pos, n, -1, r->buf, NULL, NULL,
		    NULL, err) != 0)
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

/*
 * The ranges of a parallel download land out of order; the caller is told
 * only of the prefix that is whole. Each range keeps the most bytes any of
 * its attempts wrote: a retry rewrites the same bytes (If-Match holds the
 * object still), so what was written stays valid.
 */
struct s3_get_job {
	struct storage *st;
	const char *key;
	const char *etag;
	int fd;
	uint64_t size;
	uint64_t part;
	const struct storage_progress *progress;
	pthread_mutex_t lock;     /* guards written, whole and prefix */
	uint64_t *written;        /* per range */
	size_t whole;             /* ranges 0..whole-1 are complete */
	uint64_t prefix;          /* last prefix reported */
};

struct s3_get_range_ctx {
	struct s3_get_job *j;
	size_t item;
};

static uint64_t
s3_get_len(const struct s3_get_job *j, size_t item)
{
	uint64_t off = (uint64_t)item * j->part;

	return j->size - off < j->part ? j->size - off : j->part;
}

static void
s3_get_landed(void *ud, uint64_t written)
{
	struct s3_get_range_ctx *rc = ud;
	struct s3_get_job *j = rc->j;
	size_t nitems = (size_t)((j->size + j->part - 1) / j->part);
	uint64_t prefix;

	pthread_mutex_lock(&j->lock);
	if (written > j->written[rc->item])
		j->written[rc->item] = written;
	while (j->whole < nitems && j->written[j->whole] == s3_get_len(j, j->whole))
		j->whole++;
	prefix = (uint64_t)j->whole * j->part;
	if (j->whole < nitems)
		prefix += j->written[j->whole];
	if (prefix > j->size)
		prefix = j->size;
	if (prefix > j->prefix) {
		j->prefix = prefix;
		/* Under the lock, so prefixes reach the caller in order. */
		j->progress->landed(j->progress->ud, prefix);
	}
	pthread_mutex_unlock(&j->lock);
}

static int
s3_get_part(void *ctx, size_t item, struct vs_error *err)
{
	struct s3_get_job *j = ctx;
	struct s3_get_range_ctx rc = { .j = j, .item = item };
	bool tell = j->progress != NULL && j->progress->landed != NULL;

	return s3_get_range(j->st, j->key, j->etag, (uint64_t)item * j->part,
	    s3_get_len(j, item), j->fd, NULL, j->progress, tell ? s3_get_landed : NULL,
	    &rc, err);
}

static void
s3_get_landed_whole(void *ud, uint64_t written)
{
	const struct storage_progress *progress = ud;

	progress->landed(progress->ud, written);
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
	size_t nitems;
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
		if (progress != NULL && progress->landed != NULL) {
			req.landed = s3_get_landed_whole;
			req.landed_ud = (void *)progress;
		}
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
	nitems = (size_t)((size + job.part - 1) / job.part);
	job.written = xcalloc(nitems, sizeof *job.written);
	pthread_mutex_init(&job.lock, NULL);
	rc = s3_parallel(s3->concurrency, nitems, s3_get_part, &job, err);
	pthread_mutex_destroy(&job.lock);
	free(job.written);
out:
	free(etag);
	free(key);
	return rc;
}
