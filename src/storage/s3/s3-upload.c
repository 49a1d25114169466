/*
 * Putting an object: a single PUT, or a multipart upload for large bodies.
 * The caller's tap is shown every byte in order, from the pass that hashes
 * the payload for the signatures.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "storage/storage.intern.h"
#include "storage/s3/s3-addr.h"
#include "storage/s3/s3-client.h"
#include "storage/s3/s3-xml.h"
#include "storage/s3/s3.intern.h"

/* Read [off, off+len) of fd through a SHA-256 context and the tap. */
static int
s3_hash_range(int fd, uint64_t off, uint64_t len, char *buf, EVP_MD_CTX *a,
    struct filter *tap, const char *what, struct vs_error *err)
{
	uint64_t done = 0;
	size_t want;
	ssize_t n;

	while (done < len) {
		want = len - done < S3_HASH_BLOCK ? (size_t)(len - done) : S3_HASH_BLOCK;
		n = fs_pread_full(fd, buf, want, (off_t)(off + done));
		if (n < 0)
			return error_errno(err, VS_ERR_IO, errno, _("reading %s for upload"), what);
		if ((size_t)n != want)
			return error_set(err, VS_ERR_IO,
			    _("reading %s for upload: the file is shorter than %llu bytes"), what,
			    (unsigned long long)(off + len));
		EVP_DigestUpdate(a, buf, want);
		if (tap != NULL && filter_write(tap, buf, want, err) != 0)
			return -1;
		done += want;
	}
	return 0;
}

static int
s3_put_single(struct storage *st, const char *key, const struct storage_body *body,
    const struct storage_progress *progress, struct vs_error *err)
{
	struct s3_storage *s3 = s3_of(st);
	unsigned char md[32];
	char hex[SIGV4_HEX_SIZE], *buf;
	EVP_MD_CTX *ctx;
	struct s3_resp resp;
	struct s3_req req;
	int rc;

	if (body->sha256 != NULL && body->tap == NULL) {
		memcpy(md, body->sha256, sizeof md);
	} else {
		/* First pass: the payload hash the signature needs. */
		ctx = EVP_MD_CTX_new();
		buf = xmalloc(S3_HASH_BLOCK);
		EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
		rc = s3_hash_range(body->fd, body->off, body->len, buf, ctx, body->tap, key, err);
		EVP_DigestFinal_ex(ctx, md, NULL);
		EVP_MD_CTX_free(ctx);
		free(buf);
		if (rc != 0)
			return -1;
	}
	sigv4_hex(md, sizeof md, hex);

	/* Second pass: streamed from the file by the read callback. */
	s3_req_init(&req, "PUT", key, _("uploading"));
	req.body_fd = body->fd;
	req.body_off = body->off;
	req.body_len = body->len;
	req.payload_hash = hex;
	req.progress = progress;
	s3_req_header(&req, "content-type", "application/octet-stream");
	s3_add_sse(s3, &req);
	rc = s3_request(&s3->client, &req, &resp, err);
	s3_resp_free(&resp);
	return rc;
}

/*
 * A multipart upload hashes its parts on a thread of its own, in order,
 * ahead of the uploads: each part's SHA-256 must be in its
 * signature, and the whole file's comes out of the same pass. The first
 * part leaves as soon as it is hashed instead of after a pass over the
 * whole file, and each part is still in the page cache when it is sent.
 */
struct s3_mpu {
	struct storage *st;
	const char *key;
	const char *upload_id;
	int fd;
	uint64_t base;            /* of the body in fd */
	uint64_t size;
	struct filter *tap;
	uint64_t part;
	size_t nparts;
	char (*hashes)[SIGV4_HEX_SIZE];
	char **etags;
	const struct storage_progress *progress;

	pthread_mutex_t lock;     /* guards hashed, stop, failed and err */
	pthread_cond_t cond;
	size_t hashed;            /* parts 0..hashed-1 have their hash */
	bool stop;                /* no more parts: the hasher stops */
	bool failed;              /* the first failure (reading or a part): err */
	struct vs_error err;
};

static void *
s3_mpu_hasher(void *arg)
{
	struct s3_mpu *m = arg;
	EVP_MD_CTX *part = EVP_MD_CTX_new();
	char *buf = xmalloc(S3_HASH_BLOCK), hex[SIGV4_HEX_SIZE];
	unsigned char md[32];
	struct vs_error err;
	bool stop = false;
	size_t i;

	for (i = 0; i < m->nparts && !stop; i++) {
		uint64_t off = (uint64_t)i * m->part;
		int rc;

		EVP_DigestInit_ex(part, EVP_sha256(), NULL);
		error_clear(&err);
		rc = s3_hash_range(m->fd, m->base + off,
		    m->size - off < m->part ? m->size - off : m->part, buf, part, m->tap, m->key,
		    &err);
		EVP_DigestFinal_ex(part, md, NULL);
		sigv4_hex(md, sizeof md, hex);
		pthread_mutex_lock(&m->lock);
		if (rc != 0) {
			m->failed = true;
			m->err = err;
		} else
			memcpy(m->hashes[i], hex, sizeof hex);
		m->hashed = i + 1;
		stop = m->stop || m->failed;
		pthread_cond_broadcast(&m->cond);
		pthread_mutex_unlock(&m->lock);
	}
	EVP_MD_CTX_free(part);
	free(buf);
	return NULL;
}

static int
s3_mpu_part(void *ctx, size_t item, struct vs_error *err)
{
	struct s3_mpu *m = ctx;
	struct s3_client *c = &s3_of(m->st)->client;
	uint64_t off = (uint64_t)item * m->part;
	char num[16], *what;
	struct s3_resp resp;
	struct s3_req req;
	int rc;

	pthread_mutex_lock(&m->lock);
	while (m->hashed <= item && !m->failed && !m->stop)
		pthread_cond_wait(&m->cond, &m->lock);
	if (m->failed || m->stop) {
		/* Whichever thread s3_parallel hears from first, the error
		 * reported is the failure that stopped the upload. */
		if (m->failed)
			*err = m->err;
		else
			error_set(err, VS_ERR_CANCELLED, _("cancelled"));
		pthread_mutex_unlock(&m->lock);
		return -1;
	}
	pthread_mutex_unlock(&m->lock);

	snprintf(num, sizeof num, "%zu", item + 1);
	what = xasprintf(_("uploading part %s of"), num);
	s3_req_init(&req, "PUT", m->key, what);
	s3_req_query(&req, "partNumber", num);
	s3_req_query(&req, "uploadId", m->upload_id);
	req.body_fd = m->fd;
	req.body_off = m->base + off;
	req.body_len = m->size - off < m->part ? m->size - off : m->part;
	req.payload_hash = m->hashes[item];
	req.progress = m->progress;
	rc = s3_request(c, &req, &resp, err);
	if (rc == 0 && resp.etag == NULL)
		rc = error_set(err, VS_ERR_S3, _("uploading part %s of s3://%s/%s: no ETag "
		    "in the answer"), num, c->ep.bucket, m->key);
	if (rc == 0) {
		m->etags[item] = resp.etag;
		resp.etag = NULL;
	} else {
		/* No more parts: the hasher and the parts waiting on it stop,
		 * and report this failure as theirs. */
		pthread_mutex_lock(&m->lock);
		if (!m->failed) {
			m->failed = true;
			m->err = *err;
		}
		m->stop = true;
		pthread_cond_broadcast(&m->cond);
		pthread_mutex_unlock(&m->lock);
	}
	s3_resp_free(&resp);
	free(what);
	return rc;
}

/* Upload the parts while the hasher runs; 0, or -1 with the first error. */
static int
s3_mpu_parts(struct s3_mpu *m, struct vs_error *err)
{
	struct s3_storage *s3 = s3_of(m->st);
	pthread_t hasher;
	int rc;

	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->cond, NULL);
	error_clear(&m->err);
	if (pthread_create(&hasher, NULL, s3_mpu_hasher, m) != 0) {
		pthread_cond_destroy(&m->cond);
		pthread_mutex_destroy(&m->lock);
		return error_set(err, VS_ERR_IO, _("uploading %s: cannot start a thread"),
		    m->key);
	}
	rc = s3_parallel(s3->concurrency, m->nparts, s3_mpu_part, m, err);
	pthread_join(hasher, NULL);
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->lock);
	return rc;
}

void
s3_mpu_abort(struct storage *st, const char *key, const char *upload_id)
{
	struct s3_client *c = &s3_of(st)->client;
	struct vs_error err;
	struct s3_resp resp;
	struct s3_req req;

	s3_req_init(&req, "DELETE", key, _("aborting the multipart upload of"));
	s3_req_query(&req, "uploadId", upload_id);
	if (s3_request(c, &req, &resp, &err) != 0 && err.code != VS_ERR_NOTFOUND)
		storage_warn(st, _("%s; its parts stay stored (and billed) until removed: a "
		    "lifecycle rule with AbortIncompleteMultipartUpload does that"), err.msg);
	s3_resp_free(&resp);
}

int
s3_mpu_start(struct storage *st, const char *key, char **upload_id, struct vs_error *err)
{
	struct s3_storage *s3 = s3_of(st);
	struct s3_resp resp;
	struct s3_req req;
	int rc;

	*upload_id = NULL;
	s3_req_init(&req, "POST", key, _("starting the multipart upload of"));
	s3_req_query(&req, "uploads", "");
	s3_req_header(&req, "content-type", "application/octet-stream");
	s3_add_sse(s3, &req);
	rc = s3_request(&s3->client, &req, &resp, err);
	if (rc == 0 && s3_xml_parse_initiate(resp.body.data, resp.body.len, upload_id,
	    err) != 0)
		rc = error_prefix(err, "s3://%s/%s", s3->client.ep.bucket, key);
	s3_resp_free(&resp);
	return rc;
}

int
s3_mpu_complete(struct storage *st, const char *key, const char *upload_id,
    char *const *etags, size_t nparts, uint64_t size, struct vs_error *err)
{
	struct s3_storage *s3 = s3_of(st);
	struct s3_buf xml = { 0 };
	struct s3_resp resp;
	struct s3_req req;
	uint64_t remote;
	int rc;

	s3_buf_adds(&xml, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
	for (size_t i = 0; i < nparts; i++) {
		s3_buf_addf(&xml, "<Part><PartNumber>%zu</PartNumber><ETag>", i + 1);
		s3_buf_add_xml(&xml, etags[i]);
		s3_buf_adds(&xml, "</ETag></Part>");
	}
	s3_buf_adds(&xml, "</CompleteMultipartUpload>");
	s3_req_init(&req, "POST", key, _("completing the multipart upload of"));
	s3_req_query(&req, "uploadId", upload_id);
	s3_req_header(&req, "content-type", "application/xml");
	req.body = xml.data;
	req.body_len = xml.len;
	req.error_in_200 = true;
	rc = s3_request(&s3->client, &req, &resp, err);
	s3_resp_free(&resp);
	s3_buf_free(&xml);
	/* A retried completion whose first try did land finds no upload any
	 * more; the object is then there with the right size. */
	if (rc != 0 && err->code == VS_ERR_NOTFOUND) {
		struct vs_error herr;

		if (s3_head(st, key, &remote, NULL, &herr) == 0 && remote == size)
			rc = 0;
	}
	return rc;
}

static int
s3_put_multipart(struct storage *st, const char *key, const struct storage_body *body,
    const struct storage_progress *progress, struct vs_error *err)
{
	struct s3_storage *s3 = s3_of(st);
	uint64_t size = body->len;
	struct s3_mpu m = { .st = st, .key = key, .fd = body->fd, .base = body->off,
	    .size = size, .tap = body->tap };
	char *upload_id = NULL;
	size_t i;
	int rc;

	m.part = s3->part_size < S3_MIN_PART ? S3_MIN_PART : s3->part_size;
	/* S3 takes at most 10000 parts: bigger files get bigger parts. */
	if ((size + m.part - 1) / m.part > S3_MAX_PARTS) {
		m.part = (size + S3_MAX_PARTS - 1) / S3_MAX_PARTS;
		m.part = (m.part + S3_MIN_PART - 1) / S3_MIN_PART * S3_MIN_PART;
	}
	m.nparts = (size_t)((size + m.part - 1) / m.part);
	m.hashes = xcalloc(m.nparts, sizeof *m.hashes);
	m.etags = xcalloc(m.nparts, sizeof *m.etags);
	m.progress = progress;

	if ((rc = s3_mpu_start(st, key, &upload_id, err)) != 0)
		goto out;
	m.upload_id = upload_id;

	if (s3_mpu_parts(&m, err) != 0) {
		error_prefix(err, _("multipart upload"));
		goto abort;
	}

	rc = s3_mpu_complete(st, key, upload_id, m.etags, m.nparts, size, err);
	if (rc != 0)
		goto abort;
	goto out;
abort:
	rc = -1;
	s3_mpu_abort(st, key, upload_id);
out:
	for (i = 0; i < m.nparts; i++)
		free(m.etags[i]);
	free(m.etags);
	free(m.hashes);
	free(upload_id);
	return rc;
}

int
s3_put(struct storage *st, const char *key, const struct storage_body *body,
    const struct storage_progress *progress, struct vs_error *err)
{
	char *full = s3_full_key(st, key);
	int rc;

	if (body->data != NULL) {
		/* From memory: small objects (metadata, indexes, markers). */
		rc = filter_write(body->tap, body->data, (size_t)body->len, err);
		if (rc == 0)
			rc = s3_put_memory(st, full, body->data, (size_t)body->len,
			    "application/octet-stream", err);
		if (rc == 0 && storage_progress_report(progress, body->len) != 0)
			rc = error_set(err, VS_ERR_CANCELLED, _("cancelled"));
	} else if (body->len > s3_of(st)->threshold) {
		rc = s3_put_multipart(st, full, body, progress, err);
	} else {
		rc = s3_put_single(st, full, body, progress, err);
	}
	free(full);
	return rc;
}
