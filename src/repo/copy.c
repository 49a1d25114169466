/*
 * Copying a backup between two places of the same repository (upload to
 * S3, download from it, copy and sync between locations): only the packs
 * holding chunks the destination lacks travel, whole (they are named by
 * their SHA-256, which S3 checks as the upload's payload hash and a
 * download checks before keeping the pack; between two buckets of one S3
 * endpoint the server copies them and their size is checked); then one
 * index file for them; the manifest last. A destination
 * without a repository gets a copy of the source's config and keys, so
 * both name chunks and packs alike.
 *
 * DESIGN: packs travel on COPY_THREADS threads, each owning one pack (a spool
 * file) at a time; they share the list of packs, a counter, the first
 * error and the index file being gathered under the copy's lock. Each
 * thread reads the table of a pack once it has arrived and adds it to
 * that index file; the thread that fills it writes it (whole packs, at
 * most INDEX_FILE_MAX entries unless one pack alone has more), so the
 * index grows with the packs and no more than one file's entries are held.
 * The packs travel while the rest are being found: file by file, the
 * chunks the backup uses are listed, sorted and looked up in batches of
 * COPY_BATCH, and the packs of each batch not seen before go to the
 * threads at once (only one file's list of chunks is held).
 */
#include "config.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "repo/gc.h"
#include "repo/repo.intern.h"
#include "repo/view.h"

#define COPY_THREADS 8
#define COPY_BATCH 65536          /* chunk ids looked up at once */

/* An index file being gathered: packs and their entries (entry.pack
 * numbers the packs of this file). */
struct copy_index {
	struct index_pack *packs;
	size_t np, capp;
	struct index_entry *entries;
	size_t ne, cape;
};

struct copy {
	struct repo *src, *dst;
	struct index_pack *packs; /* to copy, in the order they were found */
	size_t n;
	struct index_pack *known; /* the same, sorted by id (the finding thread's own) */
	size_t nknown;
	struct index_pack *srcpacks; /* the source's packs by id, with their sizes */
	size_t nsrcpacks;
	const struct storage_progress *progress;
	bool dst_local;           /* the destination keeps files on this host */
	bool server_copy;         /* try copies by the server (both on one S3 endpoint) */
	pthread_mutex_t lock;     /* guards packs, n, listed, next, failed, err,
	                           * server_copy, the counts, ix */
	pthread_cond_t more;      /* packs were added, all are listed, or one failed */
	bool listed;              /* every pack to copy is in packs */
	uint64_t sent;            /* bytes of packs that travelled through here */
	size_t server_copies;     /* packs the server copied */
	size_t next;
	bool failed;
	struct vs_error err;
	struct copy_index ix;     /* packs arrived and not yet in an index file */
};

struct ids {
	unsigned char (*v)[REPO_ID_SIZE];
	size_t n, cap;
};

static int
ids_add(void *ud, const unsigned char id[REPO_ID_SIZE], bool meta)
{
	struct ids *s = ud;

	(void)meta;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 4096;
		s->v = xreallocarray(s->v, s->cap, sizeof *s->v);
	}
	memcpy(s->v[s->n++], id, REPO_ID_SIZE);
	return 0;
}

/* Read in steps of this much: a buffer each thread's heap keeps, below
 * the size the allocator maps on its own for every call. */
#define HASH_STEP (256 * 1024)

/* SHA-256 of the whole file fd. */
static int
hash_fd(int fd, uint64_t size, unsigned char md[32], struct vs_error *err)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char *buf = xmalloc(HASH_STEP);
	uint64_t off = 0;
	int rc = 0;

	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	while (off < size) {
		size_t want = size - off < HASH_STEP ? (size_t)(size - off) : HASH_STEP;
		ssize_t n = fs_pread_full(fd, buf, want, (off_t)off);

		if (n != (ssize_t)want) {
			rc = error_errno(err, VS_ERR_IO, n < 0 ? errno : EIO,
			    _("cannot read a downloaded pack"));
			break;
		}
		EVP_DigestUpdate(c, buf, want);
		off += want;
	}
	EVP_DigestFinal_ex(c, md, NULL);
	EVP_MD_CTX_free(c);
	free(buf);
	return rc;
}

/* Does key in st hold size bytes? (What a copy made by the server is
 * checked with: its bytes never came by.) */
static int
copy_check_size(struct storage *st, const char *key, uint64_t size, struct vs_error *err)
{
	struct storage_stat sb;

	if (storage_obj_head(st, key, &sb, err) != 0)
		return error_prefix(err, _("checking the copy"));
	if (sb.size != size)
		return error_set(err, VS_ERR_VERIFY, _("%s/%s holds %llu bytes after the copy, not "
		    "%llu"), storage_location(st), key, (unsigned long long)sb.size,
		    (unsigned long long)size);
	return 0;
}

/* Count a pack that arrived: bytes that travelled, or one the server copied. */
static void
copy_count(struct copy *cp, uint64_t bytes, bool by_server)
{
	pthread_mutex_lock(&cp->lock);
	cp->sent += bytes;
	cp->server_copies += by_server;
	pthread_mutex_unlock(&cp->lock);
}

static int
copy_pack(struct copy *cp, struct index_pack *p, struct vs_error *err)
{
	char *key = repo_pack_key(p->id), *spool = NULL;
	struct storage_sink sink = { .fd = -1 };
	struct storage_stat sb;
	struct storage_body body;
	unsigned char md[32];
	int fd = -1, rc = -1;

	/* Its size from the source's index saves a request; what arrives is
	 * checked against its name either way. */
	memset(&sb, 0, sizeof sb);
	sb.size = p->size;
	if (sb.size == 0 && storage_obj_head(cp->src->st, key, &sb, err) != 0) {
		if (err->code == VS_ERR_NOTFOUND)
			error_set(err, VS_ERR_VERIFY, _("pack %s/%s is missing: the backup cannot be "
			    "copied whole"), storage_location(cp->src->st), key);
		goto out;
	}
	p->size = sb.size;
	/* On one server (two buckets of an S3 endpoint) the server copies it;
	 * what arrived is checked by its size. */
	if (cp->server_copy) {
		struct vs_error cerr;

		error_clear(&cerr);
		if (storage_obj_copy(cp->dst->st, key, cp->src->st, key, sb.size, NULL,
		    &cerr) == 0) {
			rc = copy_check_size(cp->dst->st, key, sb.size, err);
			if (rc == 0)
				copy_count(cp, 0, true);
			goto out;
		}
		if (cerr.code != VS_ERR_USAGE) {
			*err = cerr;
			goto out;
		}
		/* Not on one server after all: the bytes travel, from now on. */
		pthread_mutex_lock(&cp->lock);
		cp->server_copy = false;
		pthread_mutex_unlock(&cp->lock);
	}
	if (storage_spool_open(cp->src->cfg, &fd, &spool, err) != 0)
		goto out;
	sink.fd = fd;
	if (storage_obj_get(cp->src->st, key, 0, sb.size, &sink, sb.etag[0] != '\0' ? sb.etag :
	    NULL, cp->progress, err) != 0) {
		if (err->code == VS_ERR_NOTFOUND)
			error_set(err, VS_ERR_VERIFY, _("pack %s/%s is missing: the backup cannot be "
			    "copied whole"), storage_location(cp->src->st), key);
		goto out;
	}
	/* A pack is named by its bytes: what arrived is checked before it is
	 * kept (an upload is checked by S3 against the same hash). */
	if (cp->dst_local) {
		if (hash_fd(fd, sb.size, md, err) != 0)
			goto out;
		if (memcmp(md, p->id, sizeof md) != 0) {
			error_set(err, VS_ERR_VERIFY, _("pack %s/%s does not match its name (damaged); "
			    "nothing of it was kept"), storage_location(cp->src->st), key);
			goto out;
		}
	}
	body = storage_body_fd(fd, 0, sb.size);
	body.sha256 = p->id;
	body.spool_path = spool;
	rc = storage_obj_put(cp->dst->st, key, &body, NULL, err);
	if (rc == 0)
		copy_count(cp, sb.size, false);
out:
	if (fd >= 0)
		close(fd);
	if (spool != NULL) {
		unlink(spool);
		free(spool);
	}
	free(key);
	return rc;
}

static void
copy_index_free(struct copy_index *x)
{
	free(x->packs);
	free(x->entries);
	memset(x, 0, sizeof *x);
}

/* Write an index file for the packs gathered in x (nothing when empty). */
static int
copy_index_write(struct copy *cp, struct copy_index *x, struct vs_error *err)
{
	if (x->np == 0)
		return 0;
	return index_file_write(cp->dst, x->packs, x->np, x->entries, x->ne, NULL, NULL, err);
}

/* The table of copied pack p (from whichever side keeps files here) into
 * the index file being gathered; a file that would grow past
 * INDEX_FILE_MAX entries is taken out and written first. */
static int
copy_index_pack(struct copy *cp, const struct index_pack *p, struct vs_error *err)
{
	struct repo *from = cp->dst_local ? cp->dst : cp->src;
	struct copy_index full = { 0 }, *x = &cp->ix;
	struct index_entry *e;
	size_t n;
	int rc;

	if (pack_read_table(from, p->id, &e, &n, err) != 0)
		return -1;
	pthread_mutex_lock(&cp->lock);
	if (x->ne > 0 && x->ne + n > INDEX_FILE_MAX) {
		full = *x;
		memset(x, 0, sizeof *x);
	}
	if (x->np == x->capp) {
		x->capp = x->capp ? 2 * x->capp : 16;
		x->packs = xreallocarray(x->packs, x->capp, sizeof *x->packs);
	}
	if (x->ne + n > x->cape) {
		x->cape = x->ne + n > INDEX_FILE_MAX ? x->ne + n : INDEX_FILE_MAX;
		x->entries = xreallocarray(x->entries, x->cape, sizeof *x->entries);
	}
	x->packs[x->np] = *p;
	for (size_t k = 0; k < n; k++) {
		x->entries[x->ne] = e[k];
		x->entries[x->ne++].pack = (uint32_t)x->np;
	}
	x->np++;
	pthread_mutex_unlock(&cp->lock);
	free(e);
	rc = copy_index_write(cp, &full, err);
	copy_index_free(&full);
	return rc;
}

static int
pack_cmp(const void *a, const void *b)
{
	return memcmp(((const struct index_pack *)a)->id, ((const struct index_pack *)b)->id,
	    REPO_ID_SIZE);
}

/* The first failure stops every thread. */
static void
copy_fail(struct copy *cp, const struct vs_error *err)
{
	pthread_mutex_lock(&cp->lock);
	if (!cp->failed) {
		cp->failed = true;
		cp->err = *err;
	}
	pthread_cond_broadcast(&cp->more);
	pthread_mutex_unlock(&cp->lock);
}

/* Hand the packs of bp[0..n) (sorted, each once) that were not handed out
 * before to the copying threads. */
static void
copy_add_packs(struct copy *cp, struct index_pack *bp, size_t n)
{
	size_t add = 0;

	for (size_t j = 0; j < n; j++) {
		const struct index_pack *sp;

		if (cp->nknown > 0 &&
		    bsearch(&bp[j], cp->known, cp->nknown, sizeof *cp->known, pack_cmp) != NULL)
			continue;
		sp = cp->nsrcpacks == 0 ? NULL :
		    bsearch(&bp[j], cp->srcpacks, cp->nsrcpacks, sizeof *cp->srcpacks, pack_cmp);
		bp[j].size = sp != NULL ? sp->size : 0;
		bp[add++] = bp[j];
	}
	if (add == 0)
		return;
	cp->known = xreallocarray(cp->known, cp->nknown + add, sizeof *cp->known);
	memcpy(cp->known + cp->nknown, bp, add * sizeof *bp);
	cp->nknown += add;
	qsort(cp->known, cp->nknown, sizeof *cp->known, pack_cmp);
	pthread_mutex_lock(&cp->lock);
	cp->packs = xreallocarray(cp->packs, cp->n + add, sizeof *cp->packs);
	memcpy(cp->packs + cp->n, bp, add * sizeof *bp);
	cp->n += add;
	pthread_cond_broadcast(&cp->more);
	pthread_mutex_unlock(&cp->lock);
}

/* The packs of the source holding the chunks of ids (sorted) that the
 * destination lacks, handed to the copying threads batch by batch;
 * *missing counts those chunks. */
static int
copy_find_packs(struct copy *cp, struct repo_index *dix, unsigned char (*ids)[REPO_ID_SIZE],
    size_t nids, size_t *missing, struct vs_error *err)
{
	struct fetch_item *items = xcalloc(COPY_BATCH + 1, sizeof *items);
	struct index_pack *bp = NULL;
	bool *found = xcalloc(COPY_BATCH + 1, sizeof *found);
	size_t cap = 0, i = 0;
	int rc = -1;

	while (i < nids) {
		size_t m = 0, k = 0, nb = 0;

		/* The next batch, each id once. */
		for (; i < nids && m < COPY_BATCH; i++) {
			if (i > 0 && memcmp(ids[i - 1], ids[i], REPO_ID_SIZE) == 0)
				continue;
			memcpy(items[m++].id, ids[i], REPO_ID_SIZE);
		}
		if (repo_index_locate(dix, items, m, found, err) != 0)
			goto out;
		for (size_t j = 0; j < m; j++)
			if (!found[j])
				memmove(items[k++].id, items[j].id, REPO_ID_SIZE);
		if (repo_locate(cp->src, items, k, NULL, err) != 0)
			goto out;
		*missing += k;
		for (size_t j = 0; j < k; j++) {
			/* Neighbours mostly share their pack. */
			if (nb > 0 && memcmp(bp[nb - 1].id, items[j].loc.pack, REPO_ID_SIZE) == 0)
				continue;
			if (nb == cap) {
				cap = cap ? 2 * cap : 64;
				bp = xreallocarray(bp, cap, sizeof *bp);
			}
			memset(&bp[nb], 0, sizeof *bp);
			memcpy(bp[nb].id, items[j].loc.pack, REPO_ID_SIZE);
			bp[nb++].kind = items[j].loc.kind;
		}
		/* Each pack once. */
		if (nb > 0) {
			size_t u = 1;

			qsort(bp, nb, sizeof *bp, pack_cmp);
			for (size_t j = 1; j < nb; j++)
				if (memcmp(bp[u - 1].id, bp[j].id, REPO_ID_SIZE) != 0)
					bp[u++] = bp[j];
			copy_add_packs(cp, bp, u);
		}
	}
	rc = 0;
out:
	free(items);
	free(found);
	free(bp);
	return rc;
}

/* Every chunk file f of the backup uses, its recipe's included: the packs
 * of those the destination lacks go to the copying threads. */
static int
copy_find_file(struct copy *cp, struct repo_index *dix, const struct manifest_file *f,
    size_t *missing, struct vs_error *err)
{
	struct ids ids = { 0 };
	int rc;

	rc = recipe_walk(cp->src, f, ids_add, &ids, err);
	if (rc == 0) {
		repo_sort_ids(ids.v, ids.n);
		rc = copy_find_packs(cp, dix, ids.v, ids.n, missing, err);
	}
	free(ids.v);
	return rc;
}

static void *
copy_thread(void *arg)
{
	struct copy *cp = arg;
	struct vs_error err;

	for (;;) {
		struct index_pack p;

		pthread_mutex_lock(&cp->lock);
		while (!cp->failed && cp->next == cp->n && !cp->listed)
			pthread_cond_wait(&cp->more, &cp->lock);
		if (cp->failed || cp->next == cp->n) {
			pthread_mutex_unlock(&cp->lock);
			break;
		}
		p = cp->packs[cp->next++];
		pthread_mutex_unlock(&cp->lock);
		error_clear(&err);
		if (copy_pack(cp, &p, &err) != 0 || copy_index_pack(cp, &p, &err) != 0) {
			copy_fail(cp, &err);
			break;
		}
	}
	return NULL;
}

int
repo_copy_backup(const struct config *cfg, struct job *job, struct storage *from,
    struct storage *to, const char *id, const struct storage_progress *progress,
    uint64_t *copied, struct vs_error *err)
{
	struct copy cp = { .progress = progress };
	struct repo_index *six, *dix;
	struct manifest m;
	char *key = repo_manifest_key(id);
	unsigned char *mobj = NULL;
	size_t mlen, n = 0, npacks;
	char *lock = NULL;
	bool found_all;
	pthread_t th[COPY_THREADS];
	int nth = 0, have, wrc, rc = -1;

	memset(&m, 0, sizeof m);
	*copied = 0;
	if ((cp.src = repo_view_repo(from, err)) == NULL)
		goto out;
	if ((have = repo_exists(to, err)) < 0)
		goto out;
	if (have == 0 && repo_open(cfg, to, true, cp.src, &cp.dst, err) != 0)
		goto out;
	if (have == 1 && repo_open(cfg, to, false, NULL, &cp.dst, err) != 0)
		goto out;
	{
		char *p = storage_obj_local_path(to, REPO_CONFIG);

		cp.dst_local = p != NULL;
		free(p);
		p = storage_obj_local_path(from, REPO_CONFIG);
		/* Neither side on this host: perhaps both on one server. */
		cp.server_copy = !cp.dst_local && p == NULL;
		free(p);
	}
	if (strcmp(cp.src->id, cp.dst->id) != 0) {
		error_set(err, VS_ERR_REFUSED, _("%s holds another repository (id %s) than %s (id %s): "
		    "backups of format 2 can only be copied between places of the same repository"),
		    storage_location(to), cp.dst->id, storage_location(from), cp.src->id);
		goto out;
	}
	if (repo_load_manifest(cp.src, id, &m, err) != 0)
		goto out;
	/* Like a backup, the copy announces itself before it reads what the
	 * destination holds: a collector then keeps the packs it marked,
	 * which this copy may count on instead of copying them (gc.c). */
	if (repo_lock_take(cp.dst, "backup", &lock, err) != 0)
		goto out;
	/* Both indexes are opened here: the threads read neither. */
	if (repo_index_get(cp.src, &six, err) != 0 || repo_index_get(cp.dst, &dix, err) != 0)
		goto out;
	cp.nsrcpacks = repo_index_npacks(six);
	cp.srcpacks = xcalloc(cp.nsrcpacks + 1, sizeof *cp.srcpacks);
	for (size_t i = 0; i < cp.nsrcpacks; i++)
		cp.srcpacks[i] = *repo_index_pack(six, i);
	qsort(cp.srcpacks, cp.nsrcpacks, sizeof *cp.srcpacks, pack_cmp);
	job_progress(job, _("finding the chunks the backup uses"), 0, 0, false);
	/* The packs found first travel while the rest are being found. */
	pthread_mutex_init(&cp.lock, NULL);
	pthread_cond_init(&cp.more, NULL);
	for (int i = 0; i < COPY_THREADS; i++)
		if (pthread_create(&th[nth], NULL, copy_thread, &cp) == 0)
			nth++;
	{
		const struct manifest_file *f;
		struct vs_error ferr;

		error_clear(&ferr);
		for (size_t k = 0; (f = manifest_file_at(&m, k)) != NULL; k++) {
			if (f->present && copy_find_file(&cp, dix, f, &n, &ferr) != 0) {
				copy_fail(&cp, &ferr);
				break;
			}
		}
	}
	pthread_mutex_lock(&cp.lock);
	cp.listed = true;
	npacks = cp.n;
	found_all = !cp.failed;
	pthread_cond_broadcast(&cp.more);
	pthread_mutex_unlock(&cp.lock);
	manifest_clear(&m);
	if (found_all)
		job_log(job, VS_LOG_INFO, _("%s: %zu of the chunks it uses are not in %s: %zu packs "
		    "to copy"), id, n, storage_location(to), npacks);
	if (nth == 0)
		copy_thread(&cp);
	for (int i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	pthread_cond_destroy(&cp.more);
	pthread_mutex_destroy(&cp.lock);
	*copied = cp.sent;
	if (cp.server_copies > 0)
		job_log(job, VS_LOG_INFO, _("%s: %zu packs copied by the server (CopyObject), none "
		    "of their bytes through this host"), id, cp.server_copies);
	if (cp.failed) {
		/* The index files written name whole packs that arrived: the
		 * next copy finds them there. */
		repo_index_drop(cp.dst);
		*err = cp.err;
		goto out;
	}
	/* The packs that arrived last (no index file when none did). */
	wrc = copy_index_write(&cp, &cp.ix, err);
	repo_index_drop(cp.dst);
	if (wrc != 0)
		goto out;
	/* The manifest last, byte for byte. */
	if (repo_get_object(cp.src, key, MANIFEST_V2_MAX_SIZE, &mobj, &mlen, err) != 0 ||
	    repo_put_named(cp.dst, key, mobj, mlen, err) != 0)
		goto out;
	repo_view_forget(to);
	rc = 0;
out:
	manifest_clear(&m);
	free(mobj);
	free(key);
	free(cp.packs);
	free(cp.known);
	free(cp.srcpacks);
	copy_index_free(&cp.ix);
	if (lock != NULL)
		repo_lock_release(cp.dst, lock);
	free(lock);
	repo_close(cp.dst);
	return rc;
}
