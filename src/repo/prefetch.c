/*
 * Reading a list of objects ahead of their use: while the caller works on
 * one object, the next few are already being fetched (from S3 each GET
 * waits a round trip; one after the other, the index files of a large
 * repository took a second before the first could be used).
 *
 * DESIGN: PREFETCH_THREADS short-lived threads take the keys in order and
 * fetch each into its slot, never more than PREFETCH_AHEAD past the last
 * one the caller took, so at most that many objects wait in memory. The
 * slots, the next key to fetch, the count taken and the stop flag are
 * guarded by the lock; the caller takes the objects in order.
 */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "repo/repo.intern.h"

#define PREFETCH_THREADS 3
#define PREFETCH_AHEAD 4

struct prefetch_slot {
	unsigned char *data;
	size_t len;
	int rc;
	bool done;
	struct vs_error err;
};

struct repo_prefetch {
	struct repo *r;
	char *const *keys;
	size_t n, max;
	struct prefetch_slot *slot;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	size_t next;              /* the next key to fetch */
	size_t taken;             /* keys 0..taken-1 were taken */
	bool stop;
	pthread_t th[PREFETCH_THREADS];
	int nth;
};

static void *
prefetch_thread(void *arg)
{
	struct repo_prefetch *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct prefetch_slot s = { .rc = 0 };
		size_t i;

		while (!p->stop && p->next < p->n && p->next >= p->taken + PREFETCH_AHEAD)
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->stop || p->next >= p->n)
			break;
		i = p->next++;
		pthread_mutex_unlock(&p->lock);
		error_clear(&s.err);
		s.rc = repo_get_object(p->r, p->keys[i], p->max, &s.data, &s.len, &s.err);
		s.done = true;
		pthread_mutex_lock(&p->lock);
		p->slot[i] = s;
		pthread_cond_broadcast(&p->cond);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct repo_prefetch *
repo_prefetch_start(struct repo *r, char *const *keys, size_t n, size_t max)
{
	struct repo_prefetch *p = xcalloc(1, sizeof *p);

	p->r = r;
	p->keys = keys;
	p->n = n;
	p->max = max;
	p->slot = xcalloc(n + 1, sizeof *p->slot);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	/* One object needs no thread. */
	for (int i = 0; n > 1 && i < PREFETCH_THREADS && (size_t)i < n; i++)
		if (pthread_create(&p->th[p->nth], NULL, prefetch_thread, p) == 0)
			p->nth++;
	return p;
}

int
repo_prefetch_take(struct repo_prefetch *p, size_t i, unsigned char **data, size_t *len,
    struct vs_error *err)
{
	struct prefetch_slot s;

	/* Without threads, each is fetched when it is taken. */
	if (p->nth == 0)
		return repo_get_object(p->r, p->keys[i], p->max, data, len, err);
	pthread_mutex_lock(&p->lock);
	while (!p->slot[i].done)
		pthread_cond_wait(&p->cond, &p->lock);
	s = p->slot[i];
	memset(&p->slot[i], 0, sizeof p->slot[i]);
	p->slot[i].done = true;
	if (p->taken < i + 1)
		p->taken = i + 1;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	if (s.rc != 0) {
		*err = s.err;
		return -1;
	}
	*data = s.data;
	*len = s.len;
	return 0;
}

void
repo_prefetch_end(struct repo_prefetch *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < p->nth; i++)
		pthread_join(p->th[i], NULL);
	for (size_t i = 0; i < p->n; i++)
		free(p->slot[i].data);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p->slot);
	free(p);
}
