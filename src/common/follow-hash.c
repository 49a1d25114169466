#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "common/follow-hash.h"

/* Read and hashed in steps of this much; the writers wake the thread only
 * when a whole step (or the end of the file) is there. */
#define FOLLOW_STEP (1024 * 1024)
/* Write-out is started for this much at a time. */
#define FOLLOW_WRITEBACK (8 * 1024 * 1024)

struct follow_hash {
	int fd;
	uint64_t size;
	char *path;
	EVP_MD_CTX *md;
	char *buf;
	pthread_t thread;
	bool threaded;

	pthread_mutex_t lock;     /* guards the fields below */
	pthread_cond_t cond;
	uint64_t landed;          /* bytes known to be written */
	uint64_t hashed;          /* bytes hashed */
	bool waiting;             /* the thread sleeps on cond */
	bool stop;
	bool failed;
	struct vs_error err;
};

/* Hash [from, to) of the file; 0, or -1 with h->err set. */
static int
follow_hash_range(struct follow_hash *h, uint64_t from, uint64_t to, uint64_t *synced)
{
	while (from < to) {
		size_t want = to - from < FOLLOW_STEP ? (size_t)(to - from) : FOLLOW_STEP;
		ssize_t n = fs_pread_full(h->fd, h->buf, want, (off_t)from);

		if (n < 0) {
			error_errno(&h->err, VS_ERR_IO, errno, _("cannot read %s"), h->path);
			return -1;
		}
		if ((size_t)n != want) {
			error_set(&h->err, VS_ERR_IO, _("cannot read %s: it ends after %llu bytes, "
			    "%llu were expected"), h->path, (unsigned long long)(from + (uint64_t)n),
			    (unsigned long long)h->size);
			return -1;
		}
		EVP_DigestUpdate(h->md, h->buf, want);
		from += want;
		if (from - *synced >= FOLLOW_WRITEBACK || from == h->size) {
			fs_writeback_start(h->fd, (off_t)*synced, (off_t)(from - *synced));
			*synced = from;
		}
	}
	return 0;
}

static void *
follow_hash_thread(void *arg)
{
	struct follow_hash *h = arg;
	uint64_t from, to, synced = 0;

	pthread_mutex_lock(&h->lock);
	while (!h->stop && h->hashed < h->size) {
		if (h->landed == h->hashed) {
			h->waiting = true;
			pthread_cond_wait(&h->cond, &h->lock);
			h->waiting = false;
			continue;
		}
		from = h->hashed;
		to = h->landed;
		pthread_mutex_unlock(&h->lock);
		if (follow_hash_range(h, from, to, &synced) != 0) {
			pthread_mutex_lock(&h->lock);
			h->failed = true;
			break;
		}
		pthread_mutex_lock(&h->lock);
		h->hashed = to;
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

struct follow_hash *
follow_hash_start(int fd, uint64_t size, const char *path)
{
	struct follow_hash *h = xcalloc(1, sizeof *h);

	h->fd = fd;
	h->size = size;
	h->path = xstrdup(path);
	h->md = EVP_MD_CTX_new();
	if (h->md == NULL || EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) != 1)
		fatal("cannot initialise SHA-256");
	h->buf = xmalloc(FOLLOW_STEP);
	error_clear(&h->err);
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	/* Without a thread, finish() hashes the whole file itself. */
	h->threaded = pthread_create(&h->thread, NULL, follow_hash_thread, h) == 0;
	return h;
}

void
follow_hash_landed(struct follow_hash *h, uint64_t prefix)
{
	pthread_mutex_lock(&h->lock);
	if (prefix > h->size)
		prefix = h->size;
	if (prefix > h->landed) {
		h->landed = prefix;
		if (h->waiting && (prefix - h->hashed >= FOLLOW_STEP || prefix == h->size))
			pthread_cond_signal(&h->cond);
	}
	pthread_mutex_unlock(&h->lock);
}

int
follow_hash_finish(struct follow_hash *h, bool complete, unsigned char sha256[32],
    struct vs_error *err)
{
	uint64_t synced;
	int rc = 0;

	pthread_mutex_lock(&h->lock);
	if (complete)
		h->landed = h->size;
	else
		h->stop = true;
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->lock);
	if (h->threaded)
		pthread_join(h->thread, NULL);
	if (complete && !h->failed && h->hashed < h->size) {
		synced = h->hashed;
		if (follow_hash_range(h, h->hashed, h->size, &synced) != 0)
			h->failed = true;
		else
			h->hashed = h->size;
	}
	if (complete) {
		if (h->failed) {
			*err = h->err;
			rc = -1;
		} else
			EVP_DigestFinal_ex(h->md, sha256, NULL);
	}
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	EVP_MD_CTX_free(h->md);
	free(h->buf);
	free(h->path);
	free(h);
	return rc;
}
