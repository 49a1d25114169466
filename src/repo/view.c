/* Backups of format 2 behind the backup interface of storage.h (view.h). */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/follow-hash.h"
#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "repo/repo.intern.h"
#include "repo/view.h"
#include "storage/storage.intern.h"

#define RESTORE_THREADS 4

struct view {
	bool listed;
	char **ids;
	size_t n;
	uint64_t manifest_bytes;  /* of the manifests listed */
	bool found;               /* a listing found a repository */
	struct repo *repo;
};

static void
view_free(void *p)
{
	struct view *v = p;

	if (v == NULL)
		return;
	for (size_t i = 0; i < v->n; i++)
		free(v->ids[i]);
	free(v->ids);
	repo_close(v->repo);
	free(v);
}

static struct view *
view_of(struct storage *st)
{
	if (st->v2 == NULL) {
		st->v2 = xcalloc(1, sizeof(struct view));
		st->v2_free = view_free;
	}
	return st->v2;
}

struct list_ctx {
	char **ids;
	size_t n;
	uint64_t bytes;
};

static int
list_cb(void *ud, const struct storage_object *o)
{
	struct list_ctx *lc = ud;
	const char *id = o->key + strlen(REPO_MANIFESTS);

	if (o->dir || strchr(id, '/') != NULL || !backup_id_valid(id))
		return 0;
	lc->ids = xreallocarray(lc->ids, lc->n + 1, sizeof *lc->ids);
	lc->ids[lc->n++] = xstrdup(id);
	lc->bytes += o->size;
	return 0;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The manifests: one listing of their folder. */
static int
list_manifests(struct storage *st, struct list_ctx *lc, struct vs_error *err)
{
	memset(lc, 0, sizeof *lc);
	if (storage_obj_list(st, REPO_MANIFESTS, 0, list_cb, lc, err) != 0) {
		for (size_t i = 0; i < lc->n; i++)
			free(lc->ids[i]);
		free(lc->ids);
		return -1;
	}
	if (lc->n > 0)
		qsort(lc->ids, lc->n, sizeof *lc->ids, str_cmp);
	return 0;
}

int
repo_list_backups(struct storage *st, char ***ids, size_t *n, struct vs_error *err)
{
	struct list_ctx lc;

	if (list_manifests(st, &lc, err) != 0)
		return -1;
	*ids = lc.ids;
	*n = lc.n;
	return 0;
}

static int
view_load(struct storage *st, struct vs_error *err)
{
	struct view *v = view_of(st);
	struct list_ctx lc;

	if (v->listed)
		return 0;
	if (list_manifests(st, &lc, err) != 0)
		return -1;
	v->ids = lc.ids;
	v->n = lc.n;
	v->manifest_bytes = lc.bytes;
	v->listed = true;
	return 0;
}

int
repo_view_lookup(struct storage *st, const char *id, struct vs_error *err)
{
	struct view *v;

	if (view_load(st, err) != 0)
		return -1;
	v = st->v2;
	return v->n > 0 && bsearch(&id, v->ids, v->n, sizeof *v->ids, str_cmp) != NULL;
}

bool
repo_view_has(struct storage *st, const char *id)
{
	struct vs_error err;

	error_clear(&err);
	return repo_view_lookup(st, id, &err) == 1;
}

bool
repo_view_known(struct storage *st, const char *id)
{
	struct view *v = st->v2;

	return v != NULL && v->listed && v->n > 0 &&
	    bsearch(&id, v->ids, v->n, sizeof *v->ids, str_cmp) != NULL;
}

void
repo_view_forget(struct storage *st)
{
	struct view *v = st->v2;

	if (v == NULL)
		return;
	for (size_t i = 0; i < v->n; i++)
		free(v->ids[i]);
	free(v->ids);
	v->ids = NULL;
	v->n = 0;
	v->manifest_bytes = 0;
	v->listed = false;
	v->found = false;
}

void
repo_view_found(struct storage *st, bool found)
{
	struct view *v = view_of(st);

	repo_view_forget(st);
	v->found = found;
	/* No repository: nothing to list, and no request to make. */
	if (!found)
		v->listed = true;
}

bool
repo_view_present(struct storage *st)
{
	struct view *v = st->v2;

	return v != NULL && v->listed && (v->found || v->n > 0);
}

int
repo_view_size(struct storage *st, uint64_t *bytes, struct vs_error *err)
{
	struct view *v = view_of(st);
	struct repo_index *ix;
	struct repo *r;

	*bytes = 0;
	if (view_load(st, err) != 0 || (r = repo_view_repo(st, err)) == NULL ||
	    repo_index_get(r, &ix, err) != 0)
		return -1;
	/* The packs the index names (each once), and the manifests. */
	for (size_t i = 0; i < repo_index_npacks(ix); i++)
		*bytes += repo_index_pack(ix, i)->size;
	*bytes += v->manifest_bytes;
	return 0;
}

struct repo *
repo_view_repo(struct storage *st, struct vs_error *err)
{
	struct view *v = view_of(st);

	if (v->repo == NULL && repo_open(st->cfg, st, false, NULL, &v->repo, err) != 0)
		return NULL;
	return v->repo;
}

int
repo_view_list(struct storage *st, storage_list_cb cb, void *ud, struct vs_error *err)
{
	struct view *v;

	if (view_load(st, err) != 0)
		return -1;
	v = st->v2;
	for (size_t i = 0; i < v->n; i++) {
		struct storage_entry e;

		memset(&e, 0, sizeof e);
		snprintf(e.id, sizeof e.id, "%s", v->ids[i]);
		e.complete = true;
		if (cb(ud, &e) != 0)
			break;
	}
	return 0;
}

/* The repository's key of a sidecar file, or NULL when it has none. */
static char *
sidecar_key(const char *id, const char *file)
{
	if (strcmp(file, "pinned") == 0)
		return xasprintf(REPO_PINS "%s", id);
	if (strcmp(file, "verify.json") == 0)
		return xasprintf(REPO_VERIFY "%s", id);
	if (strcmp(file, "drill.json") == 0)
		return xasprintf(REPO_DRILLS "%s", id);
	return NULL;
}

int
repo_read_manifest(struct repo *r, const char *id, char **json, size_t *len,
    struct vs_error *err)
{
	char *key = repo_manifest_key(id), *where;
	unsigned char *obj, *body;
	size_t olen;
	int rc;

	if (repo_get_object(r, key, MANIFEST_V2_MAX_SIZE, &obj, &olen, err) != 0) {
		free(key);
		return -1;
	}
	where = xasprintf("%s/%s", storage_location(r->st), key);
	rc = env_decode(&r->codec, "VSMF", obj, olen, where, &body, len, err);
	if (rc == 0)
		*json = (char *)body;
	free(where);
	free(obj);
	free(key);
	return rc;
}

int
repo_load_manifest(struct repo *r, const char *id, struct manifest *m, struct vs_error *err)
{
	char *json, *where;
	size_t len;
	int rc;

	if (repo_read_manifest(r, id, &json, &len, err) != 0)
		return -1;
	where = xasprintf("%s/%s%s", storage_location(r->st), REPO_MANIFESTS, id);
	rc = manifest_parse(json, where, m, err);
	if (rc == 0 && strcmp(m->backup_id, id) != 0) {
		error_set(err, VS_ERR_FORMAT, _("%s: backup_id is %s, not %s"), where, m->backup_id,
		    id);
		manifest_clear(m);
		rc = -1;
	}
	free(where);
	free(json);
	return rc;
}

int
repo_view_stat(struct storage *st, const char *id, const char *file, uint64_t *size,
    struct vs_error *err)
{
	struct storage_stat sb;
	struct repo *r;
	struct manifest m;
	const struct manifest_file *f;
	char *key = sidecar_key(id, file);
	int rc;

	if (key == NULL && strcmp(file, STORAGE_METADATA) == 0)
		key = repo_manifest_key(id);
	if (key != NULL) {
		rc = storage_obj_head(st, key, &sb, err);
		free(key);
		if (rc == 0)
			*size = sb.size;
		return rc;
	}
	if ((r = repo_view_repo(st, err)) == NULL || repo_load_manifest(r, id, &m, err) != 0)
		return -1;
	f = manifest_file_by_name(&m, file);
	rc = 0;
	if (f == NULL)
		rc = error_set(err, VS_ERR_NOTFOUND, _("backup %s has no %s"), id, file);
	else
		*size = f->size;
	manifest_clear(&m);
	return rc;
}

int
repo_view_read_small(struct storage *st, const char *id, const char *file, size_t max,
    char **data, size_t *len, struct vs_error *err)
{
	char *key = sidecar_key(id, file);
	struct repo *r;
	int rc;

	if (key != NULL) {
		rc = storage_obj_read(st, key, max, data, len, err);
		free(key);
		return rc;
	}
	if (strcmp(file, STORAGE_METADATA) != 0)
		return error_set(err, VS_ERR_USAGE, _("'%s' is not a small file of a backup"), file);
	if ((r = repo_view_repo(st, err)) == NULL)
		return -1;
	return repo_read_manifest(r, id, data, len, err);
}

int
repo_view_write_small(struct storage *st, const char *id, const char *file,
    const void *data, size_t len, struct vs_error *err)
{
	struct storage_body body = storage_body_mem(data, len);
	char *key = sidecar_key(id, file);
	int rc;

	if (key == NULL)
		return error_set(err, VS_ERR_USAGE, _("'%s' is not a sidecar file"), file);
	rc = storage_obj_put(st, key, &body, NULL, err);
	free(key);
	return rc;
}

int
repo_view_remove_small(struct storage *st, const char *id, const char *file,
    struct vs_error *err)
{
	char *key = sidecar_key(id, file);
	int rc;

	if (key == NULL)
		return error_set(err, VS_ERR_USAGE, _("'%s' is not a sidecar file"), file);
	rc = storage_obj_remove(st, key, err);
	free(key);
	return rc;
}

int
repo_remove_backup(struct repo *r, const char *id, struct vs_error *err)
{
	char *key = repo_manifest_key(id);
	int rc;

	/* The manifest first: without it the backup is gone, whatever the
	 * sidecars. Its chunks go at the next collection. */
	rc = storage_obj_remove(r->st, key, err);
	free(key);
	if (rc != 0)
		return -1;
	repo_view_remove_small(r->st, id, "pinned", NULL);
	repo_view_remove_small(r->st, id, "verify.json", NULL);
	repo_view_remove_small(r->st, id, "drill.json", NULL);
	repo_view_forget(r->st);
	return 0;
}

int
repo_view_remove(struct storage *st, const char *id, struct vs_error *err)
{
	char *key = repo_manifest_key(id);
	int rc;

	rc = storage_obj_remove(st, key, err);
	free(key);
	if (rc != 0)
		return error_prefix(err, _("removing backup %s"), id);
	repo_view_remove_small(st, id, "pinned", NULL);
	repo_view_remove_small(st, id, "verify.json", NULL);
	repo_view_remove_small(st, id, "drill.json", NULL);
	repo_view_forget(st);
	return 0;
}

/* --- restoring a file ------------------------------------------------------- */

/*
 * One pass: the chunks are read with few ranged reads (coalesced, several
 * at a time, in the order of the file) and decoded; neighbours in the file
 * leave in one write; a thread hashes the part of the file that is already
 * whole (follow-hash.c), so the file's own SHA-256 is checked as soon as
 * the last chunk lands. That hash covers every chunk, so the chunks are
 * not hashed one by one on the way (an encrypted chunk is still
 * authenticated as it is opened); only when the file's hash does not match
 * are they read again and checked against their ids, to name the damaged
 * chunk and pack. The file is written beside its destination and put in
 * place only after the hash matched (jobs/place.c), so nothing damaged
 * ever reaches the live files.
 *
 * DESIGN: each fetch worker owns its slot of w[] (its pending write); the
 * lock guards done[] and prefix.
 */
#define RESTORE_WRITE (1024 * 1024)

struct restore_slot {
	unsigned char *buf;
	size_t len;
	uint64_t off;             /* of buf in the file */
	size_t first, last;       /* the recipe positions it holds */
};

struct restore {
	int fd;
	const uint64_t *offs;     /* where each recipe position starts; offs[n] = size */
	size_t n;
	pthread_mutex_t lock;
	unsigned char *done;      /* per recipe position */
	size_t prefix;            /* done[0 .. prefix) */
	struct follow_hash *hash;
	struct restore_slot w[RESTORE_THREADS];
};

static int
restore_pwrite(int fd, const void *data, size_t len, uint64_t off, struct vs_error *err)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(fd, (const char *)data + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return error_errno(err, errno == ENOSPC ? VS_ERR_NOSPACE : VS_ERR_IO,
			    n < 0 ? errno : EIO, _("cannot write the restored file"));
		done += (size_t)n;
	}
	return 0;
}

/* Positions first..last are in the file: tell the hash how far it is whole. */
static void
restore_landed(struct restore *rs, size_t first, size_t last)
{
	uint64_t whole;

	pthread_mutex_lock(&rs->lock);
	memset(rs->done + first, 1, last - first + 1);
	while (rs->prefix < rs->n && rs->done[rs->prefix])
		rs->prefix++;
	whole = rs->offs[rs->prefix];
	pthread_mutex_unlock(&rs->lock);
	follow_hash_landed(rs->hash, whole);
}

static int
restore_flush(struct restore *rs, struct restore_slot *w, struct vs_error *err)
{
	if (w->len == 0)
		return 0;
	if (restore_pwrite(rs->fd, w->buf, w->len, w->off, err) != 0)
		return -1;
	w->len = 0;
	restore_landed(rs, w->first, w->last);
	return 0;
}

/* Room for len bytes at off in the worker's pending write: flushed first
 * unless they continue it and fit. */
static int
restore_room(struct restore *rs, struct restore_slot *w, uint64_t off, size_t len,
    struct vs_error *err)
{
	if (w->len > 0 && (off != w->off + w->len || w->len + len > RESTORE_WRITE))
		return restore_flush(rs, w, err);
	return 0;
}

/* A chunk that continues the worker's pending write is decoded straight
 * behind it: no copy between the decoder and the write. */
static int
restore_place(void *ud, unsigned worker, const struct fetch_item *it, void **dst,
    struct vs_error *err)
{
	struct restore *rs = ud;
	struct restore_slot *w = &rs->w[worker];
	uint64_t off = rs->offs[(size_t)it->tag];
	size_t len = it->loc.raw;

	if (restore_room(rs, w, off, len, err) != 0)
		return -1;
	if (len <= RESTORE_WRITE)
		*dst = w->buf + w->len;
	return 0;
}

static int
restore_item(void *ud, unsigned worker, const struct fetch_item *it, const void *data,
    size_t len, const struct vs_error *bad, struct vs_error *err)
{
	struct restore *rs = ud;
	struct restore_slot *w = &rs->w[worker];
	size_t pos = (size_t)it->tag;
	uint64_t off = rs->offs[pos];

	(void)bad;
	if (data == w->buf + w->len && len <= RESTORE_WRITE - w->len) {
		/* Decoded in place (restore_place). */
		if (w->len == 0) {
			w->off = off;
			w->first = pos;
		}
		w->len += len;
		w->last = pos;
		return 0;
	}
	if (restore_room(rs, w, off, len, err) != 0)
		return -1;
	if (len > RESTORE_WRITE) {
		if (restore_pwrite(rs->fd, data, len, off, err) != 0)
			return -1;
		restore_landed(rs, pos, pos);
		return 0;
	}
	if (w->len == 0) {
		w->off = off;
		w->first = pos;
	}
	memcpy(w->buf + w->len, data, len);
	w->len += len;
	w->last = pos;
	return 0;
}

static int
restore_end(void *ud, unsigned worker, struct vs_error *err)
{
	struct restore *rs = ud;

	return restore_flush(rs, &rs->w[worker], err);
}

static int
recheck_item(void *ud, unsigned worker, const struct fetch_item *it, const void *data,
    size_t len, const struct vs_error *bad, struct vs_error *err)
{
	(void)ud, (void)worker, (void)it, (void)data, (void)len, (void)bad, (void)err;
	return 0;
}

/* The chunks of file f in its order, located, with their ids (tag = position). */
static int
restore_items(struct repo *r, const struct manifest_file *f, struct fetch_item **itemsp,
    size_t *np, struct vs_error *err)
{
	unsigned char (*ids)[REPO_ID_SIZE];
	struct fetch_item *items;
	size_t n;

	if (recipe_expand(r, f, &ids, &n, err) != 0)
		return -1;
	items = xcalloc(n + 1, sizeof *items);
	for (size_t i = 0; i < n; i++) {
		memcpy(items[i].id, ids[i], REPO_ID_SIZE);
		items[i].tag = i;
	}
	free(ids);
	if (repo_locate(r, items, n, NULL, err) != 0) {
		free(items);
		return -1;
	}
	*itemsp = items;
	*np = n;
	return 0;
}

/*
 * The file's SHA-256 did not match, or a chunk did not decode: read its
 * chunks again, this time each checked against its id, to name the
 * damaged chunk and its pack. Items located by the check before the
 * restore carry no ids (have_ids false): they are located again with
 * them. 0 when every chunk is whole (the caller reports what it saw),
 * else -1 with err naming the first damaged one.
 */
static int
restore_find_damage(struct repo *r, const struct manifest_file *f, struct fetch_item *items,
    size_t n, bool have_ids, struct vs_error *err)
{
	struct fetch_opts o = { .nthreads = RESTORE_THREADS, .range_max = 2u << 20,
	    .fn = recheck_item };
	struct fetch_item *again = NULL;
	int rc;

	if (!have_ids) {
		if (restore_items(r, f, &again, &n, err) != 0)
			return -1;
		items = again;
	}
	rc = repo_fetch(r, items, n, &o, err);
	free(again);
	return rc;
}

int
repo_restore_file(struct repo *r, const struct manifest *m, const char *file, int fd,
    const struct storage_progress *progress, struct vs_error *err)
{
	const struct manifest_file *f = manifest_file_by_name(m, file);
	unsigned char md[32];
	struct fetch_item *items = NULL;
	struct restore rs = { .fd = fd };
	/* Reads of 2 MiB: large enough to be few, small enough that four
	 * threads stay well under 64 MiB. */
	struct fetch_opts o = { .nthreads = RESTORE_THREADS, .file_order = true, .range_max = 2u << 20,
	    .skip_id_check = true, .fn = restore_item, .end = restore_end,
	    .place = restore_place, .ud = &rs,
	    .progress = progress };
	uint64_t *offs = NULL;
	char hex[65];
	size_t n = 0;
	bool have_ids = true;
	int rc = -1, frc;

	if (f == NULL)
		return error_set(err, VS_ERR_NOTFOUND, _("backup %s has no %s"), m->backup_id, file);
	/* Located by the check before the restore, or now. */
	items = repo_plan_take(r, m->backup_id, f, &n, &have_ids);
	if (items == NULL && restore_items(r, f, &items, &n, err) != 0)
		goto out;
	offs = xcalloc(n + 1, sizeof *offs);
	for (size_t i = 0; i < n; i++)
		offs[i + 1] = offs[i] + items[i].loc.raw;
	if (offs[n] != f->size) {
		error_set(err, VS_ERR_VERIFY, _("the chunks of %s in backup %s add up to %llu bytes, "
		    "the manifest says %llu"), file, m->backup_id, (unsigned long long)offs[n],
		    (unsigned long long)f->size);
		goto out;
	}
	if (ftruncate(fd, (off_t)f->size) != 0 || fs_reserve(fd, f->size) != 0) {
		error_errno(err, errno == ENOSPC ? VS_ERR_NOSPACE : VS_ERR_IO, errno,
		    _("cannot size the restored %s"), file);
		goto out;
	}
	rs.offs = offs;
	rs.n = n;
	rs.done = xcalloc(n + 1, 1);
	for (int i = 0; i < RESTORE_THREADS; i++)
		rs.w[i].buf = xmalloc(RESTORE_WRITE);
	pthread_mutex_init(&rs.lock, NULL);
	rs.hash = follow_hash_start(fd, f->size, file);
	frc = repo_fetch(r, items, n, &o, err);
	if (follow_hash_finish(rs.hash, frc == 0, md, frc == 0 ? err : NULL) != 0)
		frc = -1;
	pthread_mutex_destroy(&rs.lock);
	if (frc != 0) {
		/* A chunk that did not decode was named without its id. */
		if (!have_ids && err->code == VS_ERR_VERIFY) {
			struct vs_error derr;

			error_clear(&derr);
			if (restore_find_damage(r, f, items, n, false, &derr) != 0)
				*err = derr;
		}
		goto out;
	}
	manifest_hex(md, hex);
	if (strcmp(hex, f->sha256) != 0) {
		if (restore_find_damage(r, f, items, n, have_ids, err) != 0)
			goto out;
		error_set(err, VS_ERR_VERIFY, _("%s of backup %s reassembles to SHA-256 %s, the "
		    "manifest says %s"), file, m->backup_id, hex, f->sha256);
		goto out;
	}
	rc = 0;
out:
	for (int i = 0; i < RESTORE_THREADS; i++)
		free(rs.w[i].buf);
	free(rs.done);
	free(offs);
	free(items);
	return rc;
}

int
repo_view_get(struct storage *st, const char *id, const char *file, int fd, uint64_t size,
    const struct storage_progress *progress, struct vs_error *err)
{
	struct repo *r = repo_view_repo(st, err);
	struct manifest m;
	const struct manifest_file *f;
	int rc;

	if (r == NULL || repo_load_manifest(r, id, &m, err) != 0)
		return -1;
	f = manifest_file_by_name(&m, file);
	if (f != NULL && f->size != size)
		rc = error_set(err, VS_ERR_FORMAT, _("%s of backup %s is %llu bytes, expected %llu"),
		    file, id, (unsigned long long)f->size, (unsigned long long)size);
	else
		rc = repo_restore_file(r, &m, file, fd, progress, err);
	manifest_clear(&m);
	return rc;
}
