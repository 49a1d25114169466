/*
 * Parallel transfers: the parts of a large upload or download handed out
 * to short-lived threads.
 */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "common/error.h"
#include "common/xmalloc.h"
#include "storage/s3/s3.intern.h"

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
int
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
