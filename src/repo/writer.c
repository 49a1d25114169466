/*
 * Writing a backup into the repository. Each file flows through one filter
 * chain: SHA-256 of the logical bytes, the caller's readers (the RDB reader
 * counting keys and telling the chunker where records start), the chunker,
 * then the store stage: a chunk whose id the repository (or this backup)
 * already holds is only named in the recipe; a new one is compressed,
 * sealed when the repository is encrypted, and appended to the open pack
 * of its kind, which the SHA-256 of what is stored names when it is full.
 * At the end: the last packs, one index file for the new chunks, and the
 * manifest, last.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "repo/gc.h"
#include "repo/repo.intern.h"

#define READ_BLOCK (1024 * 1024)

struct repo_writer {
	struct repo *r;
	struct job *job;
	char id[BACKUP_ID_SIZE];
	char *lock;               /* this writer's lock object */
	struct repo_index *ix;
	struct pack_writer *pw[REPO_NKINDS];
	uint32_t ord[REPO_NKINDS];     /* the number of the open pack of each kind */
	struct index_pack *packs;      /* filled as each pack is closed */
	size_t npacks;
	struct index_entry *entries;   /* chunks new in this backup */
	size_t nentries, ecap;
	uint32_t *slots;          /* open addressing over entries: index + 1 */
	size_t nslots;
	unsigned char (*ids)[REPO_ID_SIZE]; /* the recipe of the file being stored */
	size_t nids, idcap;
	enum repo_kind kind;
	unsigned zfail, zskip;    /* zstd probe of the file being stored */
	uint64_t chunks, new_chunks, added;
};

/* zstd is tried on each new chunk of a file until this many in a row
 * were not worth it; then the next ZPROBE_SKIP are stored without trying
 * (float vectors: compressing them would cost more time than a copy). */
#define ZPROBE_FAILS 8
#define ZPROBE_SKIP 64

static uint32_t
hash32(const unsigned char id[REPO_ID_SIZE])
{
	return (uint32_t)id[4] | (uint32_t)id[5] << 8 | (uint32_t)id[6] << 16 |
	    (uint32_t)id[7] << 24;
}

static bool
seen_find(const struct repo_writer *w, const unsigned char id[REPO_ID_SIZE])
{
	size_t h;

	if (w->nslots == 0)
		return false;
	for (h = hash32(id) & (w->nslots - 1); w->slots[h] != 0; h = (h + 1) & (w->nslots - 1))
		if (memcmp(w->entries[w->slots[h] - 1].id, id, REPO_ID_SIZE) == 0)
			return true;
	return false;
}

static void
seen_add(struct repo_writer *w, size_t e)
{
	size_t h;

	if (2 * (w->nentries + 1) > w->nslots) {
		size_t n = w->nslots ? 2 * w->nslots : 4096;

		free(w->slots);
		w->slots = xcalloc(n, sizeof *w->slots);
		w->nslots = n;
		for (size_t i = 0; i < e; i++) {
			for (h = hash32(w->entries[i].id) & (n - 1); w->slots[h] != 0; h = (h + 1) & (n - 1))
				;
			w->slots[h] = (uint32_t)i + 1;
		}
	}
	for (h = hash32(w->entries[e].id) & (w->nslots - 1); w->slots[h] != 0;
	    h = (h + 1) & (w->nslots - 1))
		;
	w->slots[h] = (uint32_t)e + 1;
}

/* Close the open pack of kind: stored, named, its entries numbered. */
static int
pack_close(struct repo_writer *w, enum repo_kind kind, struct vs_error *err)
{
	struct index_pack *p;
	uint64_t size;

	if (w->pw[kind] == NULL)
		return 0;
	p = &w->packs[w->ord[kind]];
	if (pack_writer_finish(w->pw[kind], p->id, &size, err) != 0)
		return -1;
	p->kind = (uint8_t)kind;
	p->size = size;
	w->added += size;
	pack_writer_free(w->pw[kind]);
	w->pw[kind] = NULL;
	return 0;
}

/* Store one chunk (unless known); its id to id. */
static int
store_chunk(struct repo_writer *w, enum repo_kind kind, const void *data, size_t len,
    unsigned char id[REPO_ID_SIZE], struct vs_error *err)
{
	struct repo_loc loc;
	struct index_entry *e;
	unsigned char *blob;
	size_t blen;
	uint32_t off;
	int f;

	repo_chunk_id(&w->r->keys, data, len, id);
	w->chunks++;
	if (seen_find(w, id))
		return 0;
	/* Loaded at the first chunk, not at the start: a backup starts its
	 * capture first and loads the index while Redis saves. */
	if (w->ix == NULL && repo_index_get(w->r, &w->ix, err) != 0)
		return -1;
	if ((f = repo_index_find(w->ix, id, &loc, err)) < 0)
		return -1;
	if (f == 1)
		return 0;
	if (w->pw[kind] == NULL) {
		if (pack_writer_new(w->r, kind, &w->pw[kind], err) != 0)
			return -1;
		/* Its number now, so its entries name it from the start. */
		w->packs = xreallocarray(w->packs, w->npacks + 1, sizeof *w->packs);
		memset(&w->packs[w->npacks], 0, sizeof w->packs[0]);
		w->ord[kind] = (uint32_t)w->npacks++;
	}
	{
		/* Recipe chunks are lists of hashes: no use trying. */
		bool try = kind != REPO_KIND_META && w->zskip == 0, z;

		blob = blob_encode(&w->r->codec, id, data, len, try, &blen, &z);
		if (kind != REPO_KIND_META) {
			if (!try)
				w->zskip--;
			else if (z)
				w->zfail = 0;
			else if (++w->zfail == ZPROBE_FAILS) {
				w->zfail = 0;
				w->zskip = ZPROBE_SKIP;
			}
		}
	}
	f = pack_writer_add(w->pw[kind], id, blob, blen, (uint32_t)len, &off, err);
	free(blob);
	if (f != 0)
		return -1;
	if (w->nentries == w->ecap) {
		w->ecap = w->ecap ? w->ecap + w->ecap / 2 : 4096;
		w->entries = xreallocarray(w->entries, w->ecap, sizeof *w->entries);
	}
	e = &w->entries[w->nentries];
	memcpy(e->id, id, REPO_ID_SIZE);
	e->pack = w->ord[kind];
	e->offset = off;
	e->stored = (uint32_t)blen;
	e->raw = (uint32_t)len;
	seen_add(w, w->nentries);
	w->nentries++;
	w->new_chunks++;
	if (pack_writer_size(w->pw[kind]) >= PACK_TARGET)
		return pack_close(w, kind, err);
	return 0;
}

/* The last stage of a file's chain: each write is one chunk. */
static int
store_write(struct filter *f, const void *buf, size_t len, struct vs_error *err)
{
	struct repo_writer *w = f->priv;

	if (w->nids == w->idcap) {
		w->idcap = w->idcap ? 2 * w->idcap : 4096;
		w->ids = xreallocarray(w->ids, w->idcap, sizeof *w->ids);
	}
	if (store_chunk(w, w->kind, buf, len, w->ids[w->nids], err) != 0)
		return -1;
	w->nids++;
	return 0;
}

static const struct filter_type store_type = {
	.name = "store",
	.write = store_write,
};

static int
store_meta(void *ud, const void *data, size_t len, unsigned char id[REPO_ID_SIZE],
    struct vs_error *err)
{
	return store_chunk(ud, REPO_KIND_META, data, len, id, err);
}

int
repo_has_backup(struct storage *st, const char *id, struct vs_error *err)
{
	struct storage_stat sb;
	struct vs_error herr;
	char *key = repo_manifest_key(id);
	int rc;

	error_clear(&herr);
	rc = storage_obj_head(st, key, &sb, &herr);
	free(key);
	if (rc == 0)
		return 1;
	if (herr.code == VS_ERR_NOTFOUND)
		return 0;
	*err = herr;
	return -1;
}

int
repo_writer_begin(struct repo *r, struct job *job, const char *id, struct repo_writer **out,
    struct vs_error *err)
{
	struct repo_writer *w;
	struct storage_stat sb;
	struct vs_error herr;
	char *key = repo_manifest_key(id);

	error_clear(&herr);
	if (storage_obj_head(r->st, key, &sb, &herr) == 0) {
		free(key);
		return error_set(err, VS_ERR_REFUSED, _("backup %s already exists in %s"), id,
		    storage_location(r->st));
	}
	free(key);
	if (herr.code != VS_ERR_NOTFOUND) {
		*err = herr;
		return -1;
	}
	w = xcalloc(1, sizeof *w);
	w->r = r;
	w->job = job;
	snprintf(w->id, sizeof w->id, "%s", id);
	/* Announced before any pack is stored, so a collector running now
	 * leaves this backup's new packs alone (gc.c). */
	if (repo_lock_take(r, "backup", &w->lock, err) != 0)
		goto fail;
	*out = w;
	return 0;
fail:
	repo_lock_release(r, w->lock);
	free(w->lock);
	free(w);
	return -1;
}

/* A file of known size, read from its descriptor. */
struct fd_source {
	int fd;
	uint64_t size;
	const char *name;
};

static int
fd_read(void *ud, void *buf, size_t len, uint64_t off, size_t *got, struct vs_error *err)
{
	struct fd_source *fs = ud;
	size_t want = fs->size - off < len ? (size_t)(fs->size - off) : len;
	ssize_t n = want > 0 ? fs_pread_full(fs->fd, buf, want, (off_t)off) : 0;

	*got = 0;
	if (n < 0)
		return error_errno(err, VS_ERR_IO, errno, _("cannot read %s"), fs->name);
	if ((size_t)n < want)
		return error_set(err, VS_ERR_IO, _("%s ended after %llu bytes, %llu were expected "
		    "(was it truncated while being copied?)"), fs->name,
		    (unsigned long long)(off + (uint64_t)n), (unsigned long long)fs->size);
	*got = (size_t)n;
	return 0;
}

static const struct repo_source fd_source_type = { .read = fd_read };

int
repo_writer_file(struct repo_writer *w, enum repo_kind kind, const char *name, int fd,
    uint64_t size, struct filter *front, repo_attach_fn attach, void *attach_ud,
    const struct storage_progress *progress, struct manifest_file *mf,
    struct vs_error *err)
{
	struct fd_source fs = { fd, size, name };

	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return repo_writer_stream(w, kind, name, &fd_source_type, &fs, front, attach, attach_ud,
	    progress, mf, err);
}

int
repo_writer_stream(struct repo_writer *w, enum repo_kind kind, const char *name,
    const struct repo_source *src, void *src_ud, struct filter *front,
    repo_attach_fn attach, void *attach_ud, const struct storage_progress *progress,
    struct manifest_file *mf, struct vs_error *err)
{
	struct filter *sha = filter_sha256_new(), *chunk, *chain;
	struct chunker *ch;
	unsigned char md[32], *buf = xmalloc(READ_BLOCK);
	uint64_t off = 0, got;
	int rc = -1;

	chunk = chunker_new(&w->r->cp[kind], w->r->keys.seed, &ch);
	chain = filter_chain(sha, front);
	filter_chain(chain, chunk);
	filter_chain(chain, filter_new(&store_type, w));
	w->kind = kind;
	w->nids = 0;
	w->zfail = w->zskip = 0;
	if (attach != NULL)
		attach(attach_ud, ch);
	for (;;) {
		size_t n;

		if (src->read(src_ud, buf, READ_BLOCK, off, &n, err) != 0)
			goto out;
		if (n == 0)
			break;
		if (filter_write(chain, buf, n, err) != 0)
			goto out;
		off += n;
		if (storage_progress_report(progress, n) != 0) {
			error_set(err, VS_ERR_CANCELLED, _("cancelled"));
			goto out;
		}
	}
	if (filter_finish(chain, err) != 0)
		goto out;
	filter_sha256_result(sha, md, &got);
	memset(mf, 0, sizeof *mf);
	snprintf(mf->name, sizeof mf->name, "%s", name);
	mf->present = true;
	mf->size = got;
	manifest_hex(md, mf->sha256);
	rc = recipe_build(w->ids, w->nids, store_meta, w, mf, err);
out:
	filter_chain_free(chain);
	free(buf);
	return rc;
}

static void
writer_free(struct repo_writer *w)
{
	for (int k = 0; k < REPO_NKINDS; k++) {
		pack_writer_free(w->pw[k]);
	}
	repo_lock_release(w->r, w->lock);
	free(w->lock);
	free(w->packs);
	free(w->entries);
	free(w->slots);
	free(w->ids);
	free(w);
}

int
repo_writer_commit(struct repo_writer *w, struct manifest *m, struct vs_error *err)
{
	struct repo *r = w->r;
	char *json = NULL, *key = NULL;
	unsigned char *obj = NULL;
	size_t olen;
	int rc = -1;

	for (int k = 0; k < REPO_NKINDS; k++)
		if (pack_close(w, (enum repo_kind)k, err) != 0)
			goto out;
	if (w->nentries > 0) {
		if (index_file_write(r, w->packs, w->npacks, w->entries, w->nentries, NULL, NULL,
		    err) != 0)
			goto out;
		w->added += (uint64_t)w->nentries * INDEX_ENTRY + (uint64_t)w->npacks * INDEX_PACK;
		repo_index_drop(r);
	}
	m->format_version = 2;
	snprintf(m->repo.id, sizeof m->repo.id, "%s", r->id);
	m->repo.encrypted = r->keys.encrypted;
	m->repo.chunks = w->chunks;
	m->repo.new_chunks = w->new_chunks;
	m->repo.added = w->added;
	json = manifest_to_json(m);
	obj = env_encode(&r->codec, "VSMF", json, strlen(json), &olen);
	key = repo_manifest_key(w->id);
	/* Last: the backup exists from here on. */
	rc = repo_put_named(r, key, obj, olen, err);
out:
	free(json);
	free(obj);
	free(key);
	writer_free(w);
	return rc;
}

void
repo_writer_abort(struct repo_writer *w)
{
	if (w != NULL)
		writer_free(w);
}
