/*
 * Reading: a byte range of an object into memory, or into a file (one GET,
 * or parallel ranged GETs written in place).
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
    uint64_t len, int fd, uint64_t fd_off, char *buf, const struct storage_progress *progress,
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
		req.out_off = fd_off;
		req.out_max = len;
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
	uint64_t fd_off;          /* where byte off of the range goes in fd */
	uint64_t off;             /* of the range in the object */
	uint64_t size;            /* of the range */
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

	return s3_get_range(j->st, j->key, j->etag, j->off + (uint64_t)item * j->part,
	    s3_get_len(j, item), j->fd, j->fd_off + (uint64_t)item * j->part, NULL,
	    j->progress, tell ? s3_get_landed : NULL, &rc, err);
}

static void
s3_get_landed_whole(void *ud, uint64_t written)
{
	const struct storage_progress *progress = ud;

	progress->landed(progress->ud, written);
}

int
s3_get(struct storage *st, const char *key, uint64_t off, uint64_t len,
    const struct storage_sink *sink, const char *etag,
    const struct storage_progress *progress, struct vs_error *err)
{
	struct s3_storage *s3 = s3_of(st);
	char *full = s3_full_key(st, key);
	struct s3_get_job job;
	size_t nitems;
	int rc;

	if (sink->buf != NULL || len <= s3->threshold || s3->concurrency <= 1) {
		bool tell = sink->buf == NULL && progress != NULL && progress->landed != NULL;

		rc = s3_get_range(st, full, etag, off, len, sink->buf != NULL ? -1 : sink->fd,
		    sink->fd_off, sink->buf, progress, tell ? s3_get_landed_whole : NULL,
		    (void *)progress, err);
		free(full);
		return rc;
	}
	/* Large ranges: ranged GETs in parallel, each written in place. */
	job = (struct s3_get_job){
		.st = st, .key = full, .etag = etag, .fd = sink->fd, .fd_off = sink->fd_off,
		.off = off, .size = len, .part = s3->part_size, .progress = progress,
	};
	nitems = (size_t)((len + job.part - 1) / job.part);
	job.written = xcalloc(nitems, sizeof *job.written);
	pthread_mutex_init(&job.lock, NULL);
	rc = s3_parallel(s3->concurrency, nitems, s3_get_part, &job, err);
	pthread_mutex_destroy(&job.lock);
	free(job.written);
	free(full);
	return rc;
}
