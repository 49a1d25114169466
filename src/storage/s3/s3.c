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
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "storage/storage.intern.h"
#include "storage/s3/s3-addr.h"
#include "storage/s3/s3-client.h"
#include "storage/s3/s3-xml.h"

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

static struct s3_storage *
s3_of(struct storage *st)
{
	return st->priv;
}

static void
s3_warn_hook(void *ud, const char *msg)
{
	storage_warn(ud, "%s", msg);
}

static void
s3_add_sse(struct s3_storage *s3, struct s3_req *req)
{
	if (strcmp(s3->sse, "none") == 0)
		return;
	s3_req_header(req, "x-amz-server-side-encryption", s3->sse);
	if (strcmp(s3->sse, "aws:kms") == 0 && *s3->kms_key_id != '\0')
		s3_req_header(req, "x-amz-server-side-encryption-aws-kms-key-id",
		    s3->kms_key_id);
}

/* -- listing ------------------------------------------------------------- */

/* Every object under list_prefix, page by page; fn sees each one. */
static int
s3_list_objects(struct storage *st, const char *list_prefix,
    int (*fn)(void *ud, const struct s3_object *o), void *ud, struct vs_error *err)
{
	struct s3_storage *s3 = s3_of(st);
	struct s3_list_page page;
	struct s3_resp resp;
	struct s3_req req;
	char *token = NULL;
	size_t i;
	int rc = 0;

	do {
		s3_req_init(&req, "GET", NULL, _("listing"));
		s3_req_query(&req, "list-type", "2");
		s3_req_query(&req, "prefix", list_prefix);
		if (token != NULL)
			s3_req_query(&req, "continuation-token", token);
		if (s3_request(&s3->client, &req, &resp, err) != 0) {
			s3_resp_free(&resp);
			rc = -1;
			break;
		}
		rc = s3_xml_parse_list(resp.body.data, resp.body.len, &page, err);
		s3_resp_free(&resp);
		if (rc != 0) {
			error_prefix(err, _("listing s3://%s/%s"), s3->client.ep.bucket,
			    list_prefix);
			break;
		}
		for (i = 0; i < page.nobjects && rc == 0; i++)
			rc = fn(ud, &page.objects[i]);
		free(token);
		token = page.truncated ? xstrdup(page.next_token) : NULL;
		s3_list_page_free(&page);
	} while (token != NULL && rc == 0);
	free(token);
	return rc;
}

struct s3_list_ctx {
	struct storage *st;
	struct storage_entry *entries;
	size_t n, cap;
};

static int
s3_list_one(void *ud, const struct s3_object *o)
{
	struct s3_list_ctx *lc = ud;
	struct s3_storage *s3 = s3_of(lc->st);
	struct storage_entry *e = NULL;
	char id[BACKUP_ID_SIZE];
	const char *file;
	size_t i;

	if (s3_key_parse(s3->prefix, o->key, id, &file) != 0) {
		storage_warn(lc->st, _("skipping s3://%s/%s: not a file of a backup "
		    "({prefix}/{YYYYMMDD_HHMMSS}/{known file name})"), s3->client.ep.bucket,
		    o->key);
		return 0;
	}
	/* Keys come sorted, so a backup's files are usually together. */
	for (i = lc->n; i > 0; i--)
		if (strcmp(lc->entries[i - 1].id, id) == 0) {
			e = &lc->entries[i - 1];
			break;
		}
	if (e == NULL) {
		if (lc->n == lc->cap) {
			lc->cap = lc->cap == 0 ? 64 : lc->cap * 2;
			lc->entries = xreallocarray(lc->entries, lc->cap, sizeof *lc->entries);
		}
		e = &lc->entries[lc->n++];
		memset(e, 0, sizeof *e);
		memcpy(e->id, id, sizeof e->id);
	}
	e->bytes += o->size;
	if (o->mtime > e->mtime)
		e->mtime = o->mtime;
	if (strcmp(file, STORAGE_METADATA) == 0)
		e->complete = true;
	return 0;
}

static int
s3_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct storage_entry *)a)->id,
	    ((const struct storage_entry *)b)->id);
}

static int
s3_list(struct storage *st, storage_list_cb cb, void *ud, struct vs_error *err)
{
	struct s3_list_ctx lc = { .st = st };
	char *prefix = s3_key_list_prefix(s3_of(st)->prefix);
	size_t i;
	int rc;

	rc = s3_list_objects(st, prefix, s3_list_one, &lc, err);
	free(prefix);
	if (rc == 0) {
		/* An empty listing has no array at all: qsort wants one. */
		if (lc.n > 0)
			qsort(lc.entries, lc.n, sizeof *lc.entries, s3_entry_cmp);
		for (i = 0; i < lc.n; i++) {
			/* Without metadata.json the upload never finished. */
			lc.entries[i].partial = !lc.entries[i].complete;
			if (cb(ud, &lc.entries[i]) != 0)
				break;
		}
	}
	free(lc.entries);
	return rc;
}

/* The files present under one backup id (names, as listed). */
struct s3_names {
	char **names;
	size_t n;
	bool complete;
};

static int
s3_names_one(void *ud, const struct s3_object *o)
{
	struct s3_names *nm = ud;
	const char *slash = strrchr(o->key, '/');
	const char *name = slash != NULL ? slash + 1 : o->key;

	nm->names = xreallocarray(nm->names, nm->n + 1, sizeof *nm->names);
	/* The full key: whatever is under the id goes when the backup goes. */
	nm->names[nm->n++] = xstrdup(o->key);
	if (strcmp(name, STORAGE_METADATA) == 0)
		nm->complete = true;
	return 0;
}

static void
s3_names_free(struct s3_names *nm)
{
	size_t i;

	for (i = 0; i < nm->n; i++)
		free(nm->names[i]);
	free(nm->names);
	memset(nm, 0, sizeof *nm);
}

static int
s3_list_backup(struct storage *st, const char *id, struct s3_names *nm,
    struct vs_error *err)
{
	char *dir = s3_key_build(s3_of(st)->prefix, id, NULL);
	int rc;

	memset(nm, 0, sizeof *nm);
	rc = s3_list_objects(st, dir, s3_names_one, nm, err);
	free(dir);
	if (rc != 0)
		s3_names_free(nm);
	return rc;
}

/* -- single objects ---------------------------------------------------- */

static int
s3_delete_key(struct storage *st, const char *key, struct vs_error *err)
{
	struct s3_resp resp;
	struct s3_req req;
	int rc;

	s3_req_init(&req, "DELETE", key, _("deleting"));
	rc = s3_request(&s3_of(st)->client, &req, &resp, err);
	s3_resp_free(&resp);
	/* Gone already is what was asked for. */
	if (rc != 0 && err->code == VS_ERR_NOTFOUND)
		rc = 0;
	return rc;
}

/* HEAD: size and ETag of an object. */
static int
s3_head(struct storage *st, const char *key, uint64_t *size, char **etag,
    struct vs_error *err)
{
	struct s3_resp resp;
	struct s3_req req;
	int rc;

	s3_req_init(&req, "HEAD", key, _("looking up"));
	rc = s3_request(&s3_of(st)->client, &req, &resp, err);
	if (rc == 0 && !resp.has_length)
		rc = error_set(err, VS_ERR_S3, _("looking up s3://%s/%s: no Content-Length"),
		    s3_of(st)->client.ep.bucket, key);
	if (rc == 0) {
		*size = resp.content_length;
		if (etag != NULL)
			*etag = resp.etag != NULL ? xstrdup(resp.etag) : NULL;
	}
	s3_resp_free(&resp);
	return rc;
}

static int
s3_stat(struct storage *st, const char *id, const char *file, uint64_t *size,
    struct vs_error *err)
{
	char *key = s3_key_build(s3_of(st)->prefix, id, file);
	int rc = s3_head(st, key, size, NULL, err);

	free(key);
	return rc;
}

static int
s3_read_small(struct storage *st, const char *id, const char *file, size_t max,
    char **data, size_t *len, struct vs_error *err)
{
	char *key = s3_key_build(s3_of(st)->prefix, id, file);
	struct s3_resp resp;
	struct s3_req req;
	int rc;

	s3_req_init(&req, "GET", key, _("reading"));
	req.body_max = max;
	rc = s3_request(&s3_of(st)->client, &req, &resp, err);
	if (rc == 0) {
		*len = resp.body.len;
		*data = s3_buf_steal(&resp.body);
	}
	s3_resp_free(&resp);
	free(key);
	return rc;
}

static int
s3_put_memory(struct storage *st, const char *key, const void *data, size_t len,
    const char *ctype, struct vs_error *err)
{
	struct s3_storage *s3 = s3_of(st);
	struct s3_resp resp;
	struct s3_req req;
	int rc;

	s3_req_init(&req, "PUT", key, _("uploading"));
	req.body = data != NULL ? data : "";
	req.body_len = len;
	s3_req_header(&req, "content-type", ctype);
	s3_add_sse(s3, &req);
	rc = s3_request(&s3->client, &req, &resp, err);
	s3_resp_free(&resp);
	return rc;
}

static int
s3_write_small(struct storage *st, const char *id, const char *file, const void *data,
    size_t len, struct vs_error *err)
{
	char *key = s3_key_build(s3_of(st)->prefix, id, file);
	int rc;

	/* An S3 PUT replaces the object whole or not at all. */
	rc = s3_put_memory(st, key, data, len, "application/octet-stream", err);
	free(key);
	return rc;
}

static int
s3_remove_small(struct storage *st, const char *id, const char *file,
    struct vs_error *err)
{
	char *key = s3_key_build(s3_of(st)->prefix, id, file);
	int rc = s3_delete_key(st, key, err);

	free(key);
	return rc;
}

/* -- parallel transfers ---------------------------------------------- */

struct s3_par {
	int (*fn)(void *ctx, size_t item, struct vs_error *err);
	void *ctx;
	size_t nitems;
	pthread_mutex_t lock;     /* guards next, failed and err */
	size_t next;
	bool failed;
	struct vs_error err;
};

static void *
s3_par_worker(void *arg)
{
	struct s3_par *p = arg;
	struct vs_error err;
	size_t item;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		if (p->failed || p->next >= p->nitems) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		item = p->next++;
		pthread_mutex_unlock(&p->lock);
		error_clear(&err);
		if (p->fn(p->ctx, item, &err) != 0) {
			pthread_mutex_lock(&p->lock);
			if (!p->failed) {
				p->failed = true;
				p->err = err;
			}
			pthread_mutex_unlock(&p->lock);
		}
	}
}

/* Run fn on items 0..nitems-1 with up to nthreads threads; stops handing
 * out items at the first failure and returns that error. */
static int
s3_parallel(int nthreads, size_t nitems, int (*fn)(void *, size_t, struct vs_error *),
    void *ctx, struct vs_error *err)
{
	struct s3_par p = { .fn = fn, .ctx = ctx, .nitems = nitems };
	pthread_t *tids;
	int i, started = 0;

	if ((size_t)nthreads > nitems)
		nthreads = (int)nitems;
	if (nthreads < 1)
		nthreads = 1;
	pthread_mutex_init(&p.lock, NULL);
	error_clear(&p.err);
	tids = xcalloc((size_t)nthreads, sizeof *tids);
	for (i = 1; i < nthreads; i++) {
		if (pthread_create(&tids[i], NULL, s3_par_worker, &p) != 0)
			break;
		started++;
	}
	s3_par_worker(&p);       /* the calling thread works too */
	for (i = 1; i <= started; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	pthread_mutex_destroy(&p.lock);
	if (p.failed) {
		*err = p.err;
		return -1;
	}
	return 0;
}

/* -- reading ------------------------------------------------------------- */

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

static int
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

static ssize_t
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

static void
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

static int
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

/* -- writing ------------------------------------------------------------- */

static int
s3_delete_names(struct storage *st, struct s3_names *nm, bool metadata_first,
    struct vs_error *err)
{
	size_t i;
	const char *slash;
	int pass;

	/* Pass 0 removes metadata.json, so the backup stops counting as
	 * complete before any of its data goes. */
	for (pass = metadata_first ? 0 : 1; pass < 2; pass++) {
		for (i = 0; i < nm->n; i++) {
			slash = strrchr(nm->names[i], '/');
			if ((strcmp(slash != NULL ? slash + 1 : nm->names[i],
			    STORAGE_METADATA) == 0) != (pass == 0))
				continue;
			if (s3_delete_key(st, nm->names[i], err) != 0)
				return -1;
		}
	}
	return 0;
}

static int
s3_begin(struct storage *st, const char *id, struct storage_txn **out,
    struct vs_error *err)
{
	struct storage_txn *txn;
	struct s3_names nm;

	if (s3_list_backup(st, id, &nm, err) != 0)
		return -1;
	if (nm.complete) {
		s3_names_free(&nm);
		return error_set(err, VS_ERR_REFUSED, _("backup %s already exists in %s"), id,
		    st->location);
	}
	if (nm.n > 0) {
		storage_warn(st, _("removing the unfinished upload of backup %s in %s "
		    "(%zu objects)"), id, st->location, nm.n);
		if (s3_delete_names(st, &nm, false, err) != 0) {
			s3_names_free(&nm);
			return error_prefix(err, _("removing the unfinished backup %s"), id);
		}
	}
	s3_names_free(&nm);
	txn = xcalloc(1, sizeof *txn);
	txn->st = st;
	memcpy(txn->id, id, sizeof txn->id);
	*out = txn;
	return 0;
}

/* Read [off, off+len) of fd through SHA-256 contexts (one or two). */
static int
s3_hash_range(int fd, uint64_t off, uint64_t len, char *buf, EVP_MD_CTX *a,
    EVP_MD_CTX *b, const char *what, struct vs_error *err)
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
		if (b != NULL)
			EVP_DigestUpdate(b, buf, want);
		done += want;
	}
	return 0;
}

static int
s3_put_single(struct storage *st, const char *key, const char *file, int fd,
    uint64_t size, const struct storage_progress *progress, unsigned char sha256[32],
    struct vs_error *err)
{
	struct s3_storage *s3 = s3_of(st);
	unsigned char md[32];
	char hex[SIGV4_HEX_SIZE], *buf;
	EVP_MD_CTX *ctx;
	struct s3_resp resp;
	struct s3_req req;
	int rc;

	/* First pass: the payload hash the signature needs. */
	ctx = EVP_MD_CTX_new();
	buf = xmalloc(S3_HASH_BLOCK);
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	rc = s3_hash_range(fd, 0, size, buf, ctx, NULL, file, err);
	EVP_DigestFinal_ex(ctx, md, NULL);
	EVP_MD_CTX_free(ctx);
	free(buf);
	if (rc != 0)
		return -1;
	sigv4_hex(md, sizeof md, hex);

	/* Second pass: streamed from the file by the read callback. */
	s3_req_init(&req, "PUT", key, _("uploading"));
	req.body_fd = fd;
	req.body_len = size;
	req.payload_hash = hex;
	req.progress = progress;
	s3_req_header(&req, "content-type", "application/octet-stream");
	s3_add_sse(s3, &req);
	rc = s3_request(&s3->client, &req, &resp, err);
	s3_resp_free(&resp);
	if (rc == 0 && sha256 != NULL)
		memcpy(sha256, md, sizeof md);
	return rc;
}

struct s3_mpu {
	struct storage *st;
	const char *key;
	const char *upload_id;
	int fd;
	uint64_t size;
	uint64_t part;
	char (*hashes)[SIGV4_HEX_SIZE];
	char **etags;
	const struct storage_progress *progress;
};

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

	snprintf(num, sizeof num, "%zu", item + 1);
	what = xasprintf(_("uploading part %s of"), num);
	s3_req_init(&req, "PUT", m->key, what);
	s3_req_query(&req, "partNumber", num);
	s3_req_query(&req, "uploadId", m->upload_id);
	req.body_fd = m->fd;
	req.body_off = off;
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
	}
	s3_resp_free(&resp);
	free(what);
	return rc;
}

static void
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

static int
s3_put_multipart(struct storage *st, const char *key, const char *file, int fd,
    uint64_t size, const struct storage_progress *progress, unsigned char sha256[32],
    struct vs_error *err)
{
	struct s3_storage *s3 = s3_of(st);
	struct s3_mpu m = { .st = st, .key = key, .fd = fd, .size = size };
	EVP_MD_CTX *whole, *part;
	unsigned char md[32];
	struct s3_resp resp;
	struct s3_req req;
	struct s3_buf xml = { 0 };
	char *upload_id = NULL, *buf;
	uint64_t remote;
	size_t nparts, i;
	int rc;

	m.part = s3->part_size < S3_MIN_PART ? S3_MIN_PART : s3->part_size;
	/* S3 takes at most 10000 parts: bigger files get bigger parts. */
	if ((size + m.part - 1) / m.part > S3_MAX_PARTS) {
		m.part = (size + S3_MAX_PARTS - 1) / S3_MAX_PARTS;
		m.part = (m.part + S3_MIN_PART - 1) / S3_MIN_PART * S3_MIN_PART;
	}
	nparts = (size_t)((size + m.part - 1) / m.part);
	m.hashes = xcalloc(nparts, sizeof *m.hashes);
	m.etags = xcalloc(nparts, sizeof *m.etags);
	m.progress = progress;

	/* One sequential pass gives the whole file's SHA-256 and each
	 * part's; the parts are then streamed from the file. */
	whole = EVP_MD_CTX_new();
	part = EVP_MD_CTX_new();
	buf = xmalloc(S3_HASH_BLOCK);
	EVP_DigestInit_ex(whole, EVP_sha256(), NULL);
	rc = 0;
	for (i = 0; i < nparts && rc == 0; i++) {
		uint64_t off = (uint64_t)i * m.part;

		EVP_DigestInit_ex(part, EVP_sha256(), NULL);
		rc = s3_hash_range(fd, off, size - off < m.part ? size - off : m.part, buf,
		    part, whole, file, err);
		EVP_DigestFinal_ex(part, md, NULL);
		sigv4_hex(md, sizeof md, m.hashes[i]);
	}
	EVP_DigestFinal_ex(whole, md, NULL);
	EVP_MD_CTX_free(whole);
	EVP_MD_CTX_free(part);
	free(buf);
	if (rc != 0)
		goto out;

	s3_req_init(&req, "POST", key, _("starting the multipart upload of"));
	s3_req_query(&req, "uploads", "");
	s3_req_header(&req, "content-type", "application/octet-stream");
	s3_add_sse(s3, &req);
	rc = s3_request(&s3->client, &req, &resp, err);
	if (rc == 0 && s3_xml_parse_initiate(resp.body.data, resp.body.len, &upload_id,
	    err) != 0)
		rc = error_prefix(err, "s3://%s/%s", s3->client.ep.bucket, key);
	s3_resp_free(&resp);
	if (rc != 0)
		goto out;
	m.upload_id = upload_id;

	rc = s3_parallel(s3->concurrency, nparts, s3_mpu_part, &m, err);
	if (rc != 0) {
		error_prefix(err, _("multipart upload"));
		goto abort;
	}

	s3_buf_adds(&xml, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
	for (i = 0; i < nparts; i++) {
		s3_buf_addf(&xml, "<Part><PartNumber>%zu</PartNumber><ETag>", i + 1);
		s3_buf_add_xml(&xml, m.etags[i]);
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
	if (rc != 0)
		goto abort;
	if (sha256 != NULL)
		memcpy(sha256, md, sizeof md);
	goto out;
abort:
	s3_mpu_abort(st, key, upload_id);
out:
	for (i = 0; i < nparts; i++)
		free(m.etags[i]);
	free(m.etags);
	free(m.hashes);
	free(upload_id);
	return rc;
}

static int
s3_put(struct storage_txn *txn, const char *file, int fd, uint64_t size,
    const struct storage_progress *progress, unsigned char sha256[32],
    struct vs_error *err)
{
	struct storage *st = txn->st;
	char *key = s3_key_build(s3_of(st)->prefix, txn->id, file);
	int rc;

	if (size > s3_of(st)->threshold)
		rc = s3_put_multipart(st, key, file, fd, size, progress, sha256, err);
	else
		rc = s3_put_single(st, key, file, fd, size, progress, sha256, err);
	free(key);
	return rc;
}

/* Everything under the backup id goes; failures are warned about. */
static void
s3_remove_quietly(struct storage *st, const char *id)
{
	struct vs_error err;
	struct s3_names nm;
	int rc;

	error_clear(&err);
	rc = s3_list_backup(st, id, &nm, &err);
	if (rc == 0) {
		rc = s3_delete_names(st, &nm, true, &err);
		s3_names_free(&nm);
	}
	if (rc != 0)
		storage_warn(st, _("could not remove the unfinished backup %s from %s: %s"),
		    id, st->location, err.msg);
}

static int
s3_commit(struct storage_txn *txn, const void *metadata, size_t len,
    struct vs_error *err)
{
	struct storage *st = txn->st;
	char *key = s3_key_build(s3_of(st)->prefix, txn->id, STORAGE_METADATA);
	int rc;

	rc = s3_put_memory(st, key, metadata, len, "application/json", err);
	if (rc != 0)
		s3_remove_quietly(st, txn->id);
	free(key);
	free(txn);
	return rc;
}

static void
s3_abort(struct storage_txn *txn)
{
	s3_remove_quietly(txn->st, txn->id);
	free(txn);
}

static int
s3_remove(struct storage *st, const char *id, struct vs_error *err)
{
	struct s3_names nm;
	int rc;

	if (s3_list_backup(st, id, &nm, err) != 0)
		return -1;
	if (nm.n == 0) {
		s3_names_free(&nm);
		return error_set(err, VS_ERR_NOTFOUND, _("backup %s is not in %s"), id,
		    st->location);
	}
	rc = s3_delete_names(st, &nm, true, err);
	s3_names_free(&nm);
	if (rc != 0)
		error_prefix(err, _("removing backup %s"), id);
	return rc;
}

static int
s3_remove_partial(struct storage *st, const char *id, struct vs_error *err)
{
	struct s3_names nm;
	int rc;

	if (s3_list_backup(st, id, &nm, err) != 0)
		return -1;
	if (nm.complete) {
		s3_names_free(&nm);
		return error_set(err, VS_ERR_REFUSED,
		    _("backup %s in %s is complete, not an unfinished upload"), id, st->location);
	}
	rc = s3_delete_names(st, &nm, false, err);
	s3_names_free(&nm);
	if (rc != 0)
		error_prefix(err, _("removing the unfinished backup %s"), id);
	return rc;
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
