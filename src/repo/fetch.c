/*
 * Reading many chunks with few requests: the chunks wanted are sorted by
 * pack and offset, neighbours (packs hold chunks in file order) are read
 * with one ranged get, and the ranges are shared by a few threads. Every
 * chunk is checked against its id as it is decoded (unless the caller
 * checks the whole result's hash and asks for skip_id_check). For a restore the
 * ranges are taken in the order of the file (their smallest tag), so the
 * file fills from its start and can be hashed while it fills.
 *
 * DESIGN: the items and ranges arrays are sorted before the threads start
 * and only read by them; each thread owns the range it took (under lock)
 * and its buffers, and is numbered (the worker argument of the
 * callbacks), so a caller can keep state per thread without a lock. The
 * callbacks are called from any thread, for distinct items.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "repo/repo.intern.h"

/* One read covers at most this much, and bridges gaps up to RANGE_GAP. */
#define RANGE_MAX (4u * 1024 * 1024)
#define RANGE_GAP (64u * 1024)

struct range {
	size_t first, n;          /* items */
	uint64_t off, len;        /* in the pack */
	uint64_t order;           /* the smallest tag of its items */
};

struct fetch {
	struct repo *r;
	const struct fetch_opts *o;
	struct fetch_item *items;
	struct range *ranges;
	size_t nranges;
	size_t maxraw, maxlen;    /* the largest chunk, the longest range */
	pthread_mutex_t lock;     /* guards next, nworkers, failed, err */
	size_t next;
	unsigned nworkers;
	bool failed;
	struct vs_error err;
};

static int
range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->order < y->order ? -1 : x->order > y->order;
}

int
repo_locate(struct repo *r, struct fetch_item *items, size_t n, size_t *missing,
    struct vs_error *err)
{
	struct repo_index *ix;
	bool *found;
	int rc = -1;

	if (missing != NULL)
		*missing = 0;
	if (repo_index_get(r, &ix, err) != 0)
		return -1;
	found = xcalloc(n + 1, sizeof *found);
	if (repo_index_locate(ix, items, n, found, err) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		char hex[2 * REPO_ID_SIZE + 1];

		if (found[i])
			continue;
		if (missing != NULL) {
			memset(&items[i].loc, 0, sizeof items[i].loc);
			items[i].loc.kind = REPO_NKINDS;
			(*missing)++;
			continue;
		}
		repo_hex(items[i].id, REPO_ID_SIZE, hex);
		error_set(err, VS_ERR_VERIFY, _("chunk %s is in no index of the repository in %s "
		    "(lost)"), hex, storage_location(r->st));
		goto out;
	}
	rc = 0;
out:
	free(found);
	return rc;
}

static void
fail(struct fetch *f, const struct vs_error *err)
{
	pthread_mutex_lock(&f->lock);
	if (!f->failed) {
		f->failed = true;
		f->err = *err;
	}
	pthread_mutex_unlock(&f->lock);
}

/* Items of a range that cannot be read at all. */
static int
range_lost(struct fetch *f, unsigned worker, const struct range *rg,
    const struct vs_error *why, struct vs_error *err)
{
	for (size_t i = 0; i < rg->n; i++)
		if (f->o->fn(f->o->ud, worker, &f->items[rg->first + i], NULL, 0, why, err) != 0)
			return -1;
	return 0;
}

static int
do_range(struct fetch *f, unsigned worker, const struct range *rg, unsigned char *buf,
    unsigned char *out, struct vs_error *err)
{
	const struct fetch_item *first = &f->items[rg->first];
	struct storage_sink sink = { .buf = buf, .fd = -1 };
	char *key = repo_pack_key(first->loc.pack), *where;
	struct vs_error rerr;
	uint64_t raw = 0;
	int rc = -1;

	where = xasprintf("%s/%s", storage_location(f->r->st), key);
	error_clear(&rerr);
	if (storage_obj_get(f->r->st, key, rg->off, rg->len, &sink, NULL, NULL, &rerr) != 0) {
		if (rerr.code == VS_ERR_CANCELLED || (rerr.code != VS_ERR_NOTFOUND &&
		    rerr.code != VS_ERR_IO && rerr.code != VS_ERR_FORMAT && rerr.code != VS_ERR_S3)) {
			*err = rerr;
			goto out;
		}
		if (rerr.code == VS_ERR_NOTFOUND)
			error_set(&rerr, VS_ERR_VERIFY, _("pack %s is missing"), where);
		else
			error_prefix(&rerr, _("pack %s"), where);
		rerr.code = VS_ERR_VERIFY;
		if (!f->o->keep_going) {
			*err = rerr;
			goto out;
		}
		rc = range_lost(f, worker, rg, &rerr, err);
		goto out;
	}
	for (size_t i = 0; i < rg->n; i++) {
		const struct fetch_item *it = &f->items[rg->first + i];
		struct vs_error berr;
		void *dst = NULL;

		raw += it->loc.raw;
		if (f->o->place != NULL && f->o->place(f->o->ud, worker, it, &dst, err) != 0)
			goto out;
		if (dst == NULL)
			dst = out;
		error_clear(&berr);
		if (blob_decode_opt(&f->r->codec, it->id, buf + (it->loc.offset - rg->off),
		    it->loc.stored, dst, it->loc.raw, !f->o->skip_id_check, &berr) != 0) {
			char hex[2 * REPO_ID_SIZE + 1];

			repo_hex(it->id, REPO_ID_SIZE, hex);
			error_prefix(&berr, _("chunk %.16s at offset %u of pack %s"), hex,
			    (unsigned)it->loc.offset, where);
			if (!f->o->keep_going) {
				*err = berr;
				goto out;
			}
			if (f->o->fn(f->o->ud, worker, it, NULL, 0, &berr, err) != 0)
				goto out;
			continue;
		}
		if (f->o->fn(f->o->ud, worker, it, dst, it->loc.raw, NULL, err) != 0)
			goto out;
	}
	if (f->o->end != NULL && f->o->end(f->o->ud, worker, err) != 0)
		goto out;
	if (storage_progress_report(f->o->progress, raw) != 0) {
		error_set(err, VS_ERR_CANCELLED, _("cancelled"));
		goto out;
	}
	rc = 0;
out:
	free(where);
	free(key);
	return rc;
}

static void *
fetch_thread(void *arg)
{
	struct fetch *f = arg;
	unsigned char *buf = xmalloc(f->maxlen + 1), *out = xmalloc(f->maxraw + 1);
	struct vs_error err;
	unsigned worker;

	pthread_mutex_lock(&f->lock);
	worker = f->nworkers++;
	pthread_mutex_unlock(&f->lock);
	for (;;) {
		size_t k;

		pthread_mutex_lock(&f->lock);
		if (f->failed || f->next == f->nranges) {
			pthread_mutex_unlock(&f->lock);
			break;
		}
		k = f->next++;
		pthread_mutex_unlock(&f->lock);
		error_clear(&err);
		if (do_range(f, worker, &f->ranges[k], buf, out, &err) != 0) {
			fail(f, &err);
			break;
		}
	}
	free(buf);
	free(out);
	return NULL;
}

int
repo_fetch(struct repo *r, struct fetch_item *items, size_t n, const struct fetch_opts *o,
    struct vs_error *err)
{
	struct fetch f = { .r = r, .o = o, .items = items };
	pthread_t *th;
	int nth = 0, nthreads = o->nthreads < 1 ? 1 : o->nthreads;
	size_t cap = 0;
	uint64_t rmax = o->range_max > 0 ? o->range_max : RANGE_MAX;

	if (n == 0)
		return 0;
	repo_sort_by_pack(items, n);
	for (size_t i = 0; i < n; i++) {
		struct range *rg = f.nranges > 0 ? &f.ranges[f.nranges - 1] : NULL;
		const struct repo_loc *l = &items[i].loc;
		uint64_t end = (uint64_t)l->offset + l->stored;

		if (l->raw > f.maxraw)
			f.maxraw = l->raw;

		if (l->kind == REPO_NKINDS) {
			/* Not in the index (repo_locate with missing). */
			struct vs_error why;
			char hex[2 * REPO_ID_SIZE + 1];

			repo_hex(items[i].id, REPO_ID_SIZE, hex);
			error_set(&why, VS_ERR_VERIFY, _("chunk %.16s is in no index (lost)"), hex);
			if (!o->keep_going) {
				*err = why;
				free(f.ranges);
				return -1;
			}
			if (o->fn(o->ud, 0, &items[i], NULL, 0, &why, err) != 0) {
				free(f.ranges);
				return -1;
			}
			continue;
		}
		if (rg != NULL && memcmp(items[rg->first].loc.pack, l->pack, REPO_ID_SIZE) == 0 &&
		    l->offset >= rg->off && l->offset <= rg->off + rg->len + RANGE_GAP &&
		    end - rg->off <= rmax) {
			if (end > rg->off + rg->len)
				rg->len = end - rg->off;
			rg->n++;
			if (items[i].tag < rg->order)
				rg->order = items[i].tag;
			continue;
		}
		if (f.nranges == cap) {
			cap = cap ? 2 * cap : 256;
			f.ranges = xreallocarray(f.ranges, cap, sizeof *f.ranges);
		}
		rg = &f.ranges[f.nranges++];
		rg->first = i;
		rg->n = 1;
		rg->off = l->offset;
		rg->len = l->stored;
		rg->order = items[i].tag;
	}
	/* Each thread's buffer holds the longest range, no more. */
	for (size_t i = 0; i < f.nranges; i++)
		if (f.ranges[i].len > f.maxlen)
			f.maxlen = (size_t)f.ranges[i].len;
	if (o->file_order && f.nranges > 1)
		qsort(f.ranges, f.nranges, sizeof *f.ranges, range_cmp);
	pthread_mutex_init(&f.lock, NULL);
	error_clear(&f.err);
	th = xcalloc((size_t)nthreads, sizeof *th);
	for (int i = 0; i < nthreads && (size_t)i < f.nranges; i++)
		if (pthread_create(&th[nth], NULL, fetch_thread, &f) == 0)
			nth++;
	if (nth == 0 && f.nranges > 0)
		fetch_thread(&f);
	for (int i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	free(th);
	pthread_mutex_destroy(&f.lock);
	free(f.ranges);
	if (f.failed) {
		*err = f.err;
		return -1;
	}
	return 0;
}
