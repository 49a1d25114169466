/*
 * Backups of format 1 on top of the object operations: a backup is the
 * objects "{id}/{file}". Where the driver can move a folder atomically
 * (the local disk), a backup is written under "{id}.partial/" and moved into
 * place when complete; elsewhere (S3) its files are written in place and
 * metadata.json last, so a listing counts it complete only when that exists.
 * Either way metadata.json is removed first when a backup is deleted.
 *
 * Backups of format 2 live in the repository of the same storage; every
 * call about one of them goes to src/repo/view.c, so callers treat both
 * formats alike.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <unistd.h>

#include "common/i18n.h"
#include "common/termsafe.h"
#include "common/xmalloc.h"
#include "manifest/manifest.h"
#include "repo/view.h"
#include "storage/storage.intern.h"

#define PARTIAL_SUFFIX ".partial"
/* storage_read() refills its buffer with ranged reads of this size. */
#define READ_CHUNK (4 * 1024 * 1024)

/* The files a backup may hold, with its RDB files (redis.rdb, or one
 * redis-<node id>.rdb per master of a cluster); nothing else is ever read
 * or written. */
static const char *const storage_file_names[] = {
	"content_index.faiss", "user_index.faiss", STORAGE_METADATA,
	"verify.json", "drill.json", "pinned", NULL,
};

bool
storage_file_name_valid(const char *name)
{
	for (size_t i = 0; storage_file_names[i] != NULL; i++)
		if (strcmp(name, storage_file_names[i]) == 0)
			return true;
	return manifest_rdb_name_valid(name);
}

static bool
can_rename(const struct storage *st)
{
	return st->drv->rename_prefix != NULL;
}

/* After err (a format 1 object was not found): is id a backup in the
 * repository? Plain backups are looked up first, so they cost no more
 * requests than before the repository existed. */
static bool
in_repo(struct storage *st, const char *id, const struct vs_error *err)
{
	return (err == NULL || err->code == VS_ERR_NOTFOUND) && repo_view_has(st, id);
}

/* A listing already said id is in the repository: no request for a plain
 * backup's object that is not there (the catalog reads four of each). */
static bool
known_in_repo(struct storage *st, const char *id)
{
	return repo_view_known(st, id);
}

/* Reject ids and names that could escape the backup's directory or key. */
static int
check_names(const char *id, const char *file, struct vs_error *err)
{
	if (!backup_id_valid(id))
		return error_set(err, VS_ERR_USAGE,
		    _("'%s' is not a backup id: expected YYYYMMDD_HHMMSS"), id);
	if (file != NULL && !storage_file_name_valid(file))
		return error_set(err, VS_ERR_USAGE, _("'%s' is not a file of a backup"), file);
	return 0;
}

static char *
file_key(const char *id, const char *file)
{
	return xasprintf("%s/%s", id, file);
}

/* --- listing ------------------------------------------------------------- */

struct list_ctx {
	struct storage *st;
	struct storage_entry *entries;
	size_t n, cap;
	bool repo_seen;           /* something under repository/ */
};

static struct storage_entry *
list_entry(struct list_ctx *lc, const char *id, bool partial)
{
	struct storage_entry *e;

	/* Keys come sorted from most drivers: a backup's files are together. */
	for (size_t i = lc->n; i > 0; i--) {
		e = &lc->entries[i - 1];
		if (strcmp(e->id, id) == 0 && e->partial == partial)
			return e;
	}
	if (lc->n == lc->cap) {
		lc->cap = lc->cap == 0 ? 64 : lc->cap * 2;
		lc->entries = xreallocarray(lc->entries, lc->cap, sizeof *lc->entries);
	}
	e = &lc->entries[lc->n++];
	memset(e, 0, sizeof *e);
	memcpy(e->id, id, BACKUP_ID_SIZE);
	e->partial = partial;
	return e;
}

/* "{id}/" or "{id}.partial/" at the start of key: the id, and where the
 * rest starts; -1 when key is not under a backup's folder. */
static int
split_key(const struct storage *st, const char *key, char id[BACKUP_ID_SIZE], bool *partial,
    const char **rest)
{
	const char *slash = strchr(key, '/');
	size_t n;

	if (slash == NULL)
		return -1;
	n = (size_t)(slash - key);
	*partial = false;
	/* Only where backups are moved into place is a partial folder ours. */
	if (can_rename(st) && n == BACKUP_ID_SIZE - 1 + strlen(PARTIAL_SUFFIX) &&
	    strncmp(key + BACKUP_ID_SIZE - 1, PARTIAL_SUFFIX, strlen(PARTIAL_SUFFIX)) == 0) {
		*partial = true;
		n = BACKUP_ID_SIZE - 1;
	}
	if (n != BACKUP_ID_SIZE - 1)
		return -1;
	memcpy(id, key, n);
	id[n] = '\0';
	if (!backup_id_valid(id))
		return -1;
	*rest = slash + 1;
	return 0;
}

/* Keys sort before the repository's folder or after it; ids begin with
 * a digit, so none after it is a backup. */
#define REPO_PREFIX STORAGE_REPO_DIR "/"

static int
list_one(void *ud, const struct storage_object *o)
{
	struct list_ctx *lc = ud;
	struct storage_entry *e;
	char id[BACKUP_ID_SIZE];
	const char *rest;
	bool partial;

	/* The repository has a listing of its own (its manifests): a driver
	 * listing in key order is asked for nothing past its start, so a
	 * listing of the backups never pages through its packs. */
	if (strncmp(o->key, REPO_PREFIX, strlen(REPO_PREFIX)) == 0) {
		if (o->key[strlen(REPO_PREFIX)] != '\0')
			lc->repo_seen = true;
		return lc->st->drv->sorted ? 1 : 0;
	}
	if (lc->st->drv->sorted && strcmp(o->key, REPO_PREFIX) > 0)
		return 1;
	/* Top-level files are the driver's or the operator's, not backups. */
	if (
	    strchr(o->key, '/') == NULL || (o->dir && strchr(o->key, '/')[1] == '\0' &&
	    split_key(lc->st, o->key, id, &partial, &rest) != 0))
		return 0;
	if (split_key(lc->st, o->key, id, &partial, &rest) != 0 ||
	    (*rest != '\0' && !storage_file_name_valid(rest)) || (*rest == '\0' && !o->dir)) {
		char *safe = termsafe_dup(o->key);

		storage_warn(lc->st, _("skipping %s/%s: not a file of a backup "
		    "({prefix}/{YYYYMMDD_HHMMSS}/{known file name})"), lc->st->location, safe);
		free(safe);
		return 0;
	}
	e = list_entry(lc, id, partial);
	if (*rest == '\0')
		return 0;
	e->bytes += o->size;
	if (o->mtime > e->mtime)
		e->mtime = o->mtime;
	if (strcmp(rest, STORAGE_METADATA) == 0)
		e->complete = true;
	return 0;
}

/* A backup of the repository: complete, and never a moved-in folder. */
static int
list_v2(void *ud, const struct storage_entry *e)
{
	struct list_ctx *lc = ud;
	struct storage_entry *n = list_entry(lc, e->id, false);

	n->complete = true;
	n->bytes += e->bytes;
	if (e->mtime > n->mtime)
		n->mtime = e->mtime;
	return 0;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct storage_entry *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	return c != 0 ? c : (int)x->partial - (int)y->partial;
}

int
storage_list(struct storage *st, storage_list_cb cb, void *ud, struct vs_error *err)
{
	struct list_ctx lc = { .st = st };
	int rc;

	/* Two listings at most: the plain backups ({id}/{file}), then, when
	 * there is a repository, its manifests. A driver listing in key order
	 * is stopped where the repository starts (list_one), and shows a
	 * nested key whole (for the warning); another is walked two levels
	 * deep, never into the repository's folders. */
	repo_view_forget(st);
	rc = storage_obj_list(st, "", st->drv->sorted ? 0 : 2, list_one, &lc, err);
	if (rc == 0) {
		repo_view_found(st, lc.repo_seen);
		rc = repo_view_list(st, list_v2, &lc, err);
	}
	if (rc == 0) {
		if (lc.n > 0)
			qsort(lc.entries, lc.n, sizeof *lc.entries, entry_cmp);
		for (size_t i = 0; i < lc.n; i++) {
			struct storage_entry *e = &lc.entries[i];

			/* Only an unfinished write is partial. Where backups are
			 * moved into place, a folder without metadata.json is
			 * damaged, not unfinished: its data may still matter, so
			 * nothing removes it as a leftover (retention and delete
			 * still can). */
			if (e->partial)
				e->complete = false;
			else if (!can_rename(st))
				e->partial = !e->complete;
			if (cb(ud, e) != 0)
				break;
		}
	}
	free(lc.entries);
	return rc;
}

/* The objects under prefix (full keys) and whether metadata.json is one. */
struct names {
	struct storage *st;
	char **keys;
	size_t n;
	bool any;           /* anything at all, folders included */
	bool complete;
};

static int
names_one(void *ud, const struct storage_object *o)
{
	struct names *nm = ud;
	const char *slash = strrchr(o->key, '/');

	nm->any = true;
	if (o->dir)
		return 0;
	/* A listing is a server's word: a name with "..", an empty level or
	 * odd characters is not one of ours and is never acted on. */
	if (!storage_key_valid(o->key)) {
		char *safe = termsafe_dup(o->key);

		storage_warn(nm->st, _("leaving %s/%s alone: not a valid object name"),
		    nm->st->location, safe);
		free(safe);
		return 0;
	}
	nm->keys = xreallocarray(nm->keys, nm->n + 1, sizeof *nm->keys);
	nm->keys[nm->n++] = xstrdup(o->key);
	if (strcmp(slash != NULL ? slash + 1 : o->key, STORAGE_METADATA) == 0)
		nm->complete = true;
	return 0;
}

static void
names_free(struct names *nm)
{
	for (size_t i = 0; i < nm->n; i++)
		free(nm->keys[i]);
	free(nm->keys);
	memset(nm, 0, sizeof *nm);
}

static int
names_list(struct storage *st, const char *prefix, struct names *nm, struct vs_error *err)
{
	memset(nm, 0, sizeof *nm);
	nm->st = st;
	if (storage_obj_list(st, prefix, 0, names_one, nm, err) != 0) {
		names_free(nm);
		return -1;
	}
	return 0;
}

/* Delete what nm holds: with metadata_first metadata.json before the rest
 * (so the backup stops counting as complete before any of its data goes);
 * then the folder itself where the driver has folders. */
static int
names_delete(struct storage *st, const char *prefix, struct names *nm, bool metadata_first,
    struct vs_error *err)
{
	for (int pass = metadata_first ? 0 : 1; pass < 2; pass++) {
		for (size_t i = 0; i < nm->n; i++) {
			const char *slash = strrchr(nm->keys[i], '/');
			bool meta = strcmp(slash != NULL ? slash + 1 : nm->keys[i],
			    STORAGE_METADATA) == 0;

			if (meta != (pass == 0))
				continue;
			if (pass == 1 && st->drv->remove_prefix != NULL)
				return st->drv->remove_prefix(st, prefix, err);
			if (storage_obj_remove(st, nm->keys[i], err) != 0)
				return -1;
		}
	}
	/* An empty folder is not listed, but is still there to remove. */
	if (st->drv->remove_prefix != NULL)
		return st->drv->remove_prefix(st, prefix, err);
	return 0;
}

/* Everything under prefix goes; failures are warned about. */
static void
remove_quietly(struct storage *st, const char *prefix, const char *id)
{
	struct vs_error err;
	struct names nm;
	int rc;

	error_clear(&err);
	rc = names_list(st, prefix, &nm, &err);
	if (rc == 0) {
		rc = names_delete(st, prefix, &nm, true, &err);
		names_free(&nm);
	}
	if (rc != 0)
		storage_warn(st, _("could not remove the unfinished backup %s from %s: %s"),
		    id, st->location, err.msg);
}

/* --- single files -------------------------------------------------------- */

int
storage_stat(struct storage *st, const char *id, const char *file, uint64_t *size,
    struct vs_error *err)
{
	struct storage_stat sb;
	char *key;
	int rc;

	if (check_names(id, file, err) != 0)
		return -1;
	if (known_in_repo(st, id))
		return repo_view_stat(st, id, file, size, err);
	key = file_key(id, file);
	rc = storage_obj_head(st, key, &sb, err);
	free(key);
	if (rc == 0)
		*size = sb.size;
	else if (in_repo(st, id, err))
		return repo_view_stat(st, id, file, size, err);
	return rc;
}

int
storage_read_small(struct storage *st, const char *id, const char *file, size_t max,
    char **data, size_t *len, struct vs_error *err)
{
	char *key;
	int rc;

	if (check_names(id, file, err) != 0)
		return -1;
	if (known_in_repo(st, id))
		return repo_view_read_small(st, id, file, max, data, len, err);
	key = file_key(id, file);
	rc = storage_obj_read(st, key, max, data, len, err);
	free(key);
	if (rc != 0 && in_repo(st, id, err))
		return repo_view_read_small(st, id, file, max, data, len, err);
	return rc;
}

int
storage_write_small(struct storage *st, const char *id, const char *file,
    const void *data, size_t len, struct vs_error *err)
{
	struct storage_body body = storage_body_mem(data, len);
	struct storage_stat sb;
	struct vs_error herr;
	char *key;
	int rc;

	if (check_names(id, file, err) != 0)
		return -1;
	if (known_in_repo(st, id))
		return repo_view_write_small(st, id, file, data, len, err);
	/* A sidecar belongs to a backup: never create one for nothing. */
	key = file_key(id, STORAGE_METADATA);
	error_clear(&herr);
	rc = storage_obj_head(st, key, &sb, &herr);
	free(key);
	if (rc != 0 && in_repo(st, id, &herr))
		return repo_view_write_small(st, id, file, data, len, err);
	if (rc != 0) {
		if (herr.code == VS_ERR_NOTFOUND)
			return error_set(err, VS_ERR_NOTFOUND, _("backup %s does not exist in %s"),
			    id, st->location);
		*err = herr;
		return -1;
	}
	key = file_key(id, file);
	rc = storage_obj_put(st, key, &body, NULL, err);
	free(key);
	return rc;
}

int
storage_remove_small(struct storage *st, const char *id, const char *file,
    struct vs_error *err)
{
	char *key;
	int rc;

	if (check_names(id, file, err) != 0)
		return -1;
	if (known_in_repo(st, id))
		return repo_view_remove_small(st, id, file, err);
	{
		struct storage_stat sb;
		struct vs_error herr;
		char *meta = file_key(id, STORAGE_METADATA);

		error_clear(&herr);
		rc = storage_obj_head(st, meta, &sb, &herr);
		free(meta);
		if (rc != 0 && in_repo(st, id, &herr))
			return repo_view_remove_small(st, id, file, err);
	}
	key = file_key(id, file);
	rc = storage_obj_remove(st, key, err);
	free(key);
	return rc;
}

/* --- reading ------------------------------------------------------------- */

struct storage_reader {
	struct storage *st;
	int fd;                   /* a reassembled file (format 2), else -1 */
	char *spool;
	char *key;
	struct storage_stat sb;
	uint64_t pos;             /* of the next byte to fetch */
	char *buf;
	size_t buf_len;
	size_t buf_pos;
};

int
storage_open_read(struct storage *st, const char *id, const char *file,
    struct storage_reader **out, struct vs_error *err)
{
	struct storage_reader *r;

	if (check_names(id, file, err) != 0)
		return -1;
	r = xcalloc(1, sizeof *r);
	r->st = st;
	r->fd = -1;
	r->key = file_key(id, file);
	if (known_in_repo(st, id) || storage_obj_head(st, r->key, &r->sb, err) != 0) {
		if (known_in_repo(st, id) || in_repo(st, id, err)) {
			/* Reassembled (and checked) into a temp file, read
			 * from there. */
			error_clear(err);
			if (repo_view_stat(st, id, file, &r->sb.size, err) != 0 ||
			    storage_spool_open(st->cfg, &r->fd, &r->spool, err) != 0 ||
			    repo_view_get(st, id, file, r->fd, r->sb.size, NULL, err) != 0) {
				storage_reader_close(r);
				return -1;
			}
			*out = r;
			return 0;
		}
		free(r->key);
		free(r);
		return -1;
	}
	*out = r;
	return 0;
}

ssize_t
storage_read(struct storage_reader *r, void *buf, size_t len, struct vs_error *err)
{
	if (r->fd >= 0) {
		ssize_t n = pread(r->fd, buf, len, (off_t)r->pos);

		if (n < 0)
			return error_errno(err, VS_ERR_IO, errno, _("cannot read %s"), r->spool);
		r->pos += (uint64_t)n;
		return n;
	}
	if (r->buf_pos == r->buf_len) {
		struct storage_sink sink = { .fd = -1 };
		uint64_t n;

		if (r->pos >= r->sb.size)
			return 0;
		/* A sequence of ranged reads: memory stays at one chunk, each
		 * retried on its own, and the version seen first is kept. */
		n = r->sb.size - r->pos;
		if (n > READ_CHUNK)
			n = READ_CHUNK;
		if (r->buf == NULL)
			r->buf = xmalloc(READ_CHUNK);
		sink.buf = r->buf;
		if (storage_obj_get(r->st, r->key, r->pos, n, &sink, r->sb.etag, NULL, err) != 0)
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

void
storage_reader_close(struct storage_reader *r)
{
	if (r == NULL)
		return;
	if (r->fd >= 0)
		close(r->fd);
	if (r->spool != NULL) {
		unlink(r->spool);
		free(r->spool);
	}
	free(r->key);
	free(r->buf);
	free(r);
}

int
storage_get(struct storage *st, const char *id, const char *file, int fd, uint64_t size,
    const struct storage_progress *progress, struct vs_error *err)
{
	struct storage_sink sink = { .buf = NULL, .fd = fd, .fd_off = 0 };
	struct storage_stat sb;
	char *key;
	int rc = -1;

	if (check_names(id, file, err) != 0)
		return -1;
	key = file_key(id, file);
	if (known_in_repo(st, id) || storage_obj_head(st, key, &sb, err) != 0) {
		if (known_in_repo(st, id) || in_repo(st, id, err)) {
			free(key);
			error_clear(err);
			return repo_view_get(st, id, file, fd, size, progress, err);
		}
		goto out;
	}
	if (sb.size != size) {
		error_set(err, VS_ERR_FORMAT, _("%s/%s is %llu bytes, expected %llu"),
		    st->location, key, (unsigned long long)sb.size, (unsigned long long)size);
		goto out;
	}
	rc = storage_obj_get(st, key, 0, size, &sink, sb.etag, progress, err);
out:
	free(key);
	return rc;
}

char *
storage_local_path(struct storage *st, const char *id, const char *file)
{
	char *key, *path;

	if (check_names(id, file, NULL) != 0 || st->drv->local_path == NULL ||
	    repo_view_has(st, id))
		return NULL;
	key = file_key(id, file);
	path = storage_obj_local_path(st, key);
	free(key);
	return path;
}

/* --- writing ------------------------------------------------------------- */

struct storage_txn {
	struct storage *st;
	char id[BACKUP_ID_SIZE];
	char *prefix;             /* where the files go: "{id}.partial/" or "{id}/" */
};

int
storage_begin(struct storage *st, const char *id, struct storage_txn **out,
    struct vs_error *err)
{
	struct storage_txn *txn;
	struct names nm;
	char *final;

	if (check_names(id, NULL, err) != 0)
		return -1;
	/* Where listing the repository costs nothing (the local disk), an id
	 * of a backup there is taken too. */
	if (can_rename(st) && repo_view_has(st, id))
		return error_set(err, VS_ERR_REFUSED, _("backup %s already exists in %s"), id,
		    st->location);
	final = xasprintf("%s/", id);
	if (names_list(st, final, &nm, err) != 0) {
		free(final);
		return -1;
	}
	/* Where backups are moved into place, any folder of that id is a
	 * backup (perhaps a damaged one): never written over. */
	if (nm.complete || (can_rename(st) && nm.any)) {
		names_free(&nm);
		free(final);
		return error_set(err, VS_ERR_REFUSED, _("backup %s already exists in %s"), id,
		    st->location);
	}
	txn = xcalloc(1, sizeof *txn);
	txn->st = st;
	memcpy(txn->id, id, sizeof txn->id);
	if (can_rename(st)) {
		txn->prefix = xasprintf("%s%s/", id, PARTIAL_SUFFIX);
		free(final);
		names_free(&nm);
		if (storage_obj_remove_prefix(st, txn->prefix, err) != 0)
			goto fail;
	} else {
		txn->prefix = final;
		if (nm.n > 0) {
			storage_warn(st, _("removing the unfinished upload of backup %s in %s "
			    "(%zu objects)"), id, st->location, nm.n);
			if (names_delete(st, final, &nm, false, err) != 0) {
				names_free(&nm);
				error_prefix(err, _("removing the unfinished backup %s"), id);
				goto fail;
			}
		}
		names_free(&nm);
	}
	*out = txn;
	return 0;
fail:
	free(txn->prefix);
	free(txn);
	return -1;
}

static int
check_data_name(const char *file, struct vs_error *err)
{
	if (!storage_file_name_valid(file) || strcmp(file, STORAGE_METADATA) == 0)
		return error_set(err, VS_ERR_USAGE, _("'%s' is not a data file of a backup"), file);
	return 0;
}

int
storage_put_filtered(struct storage_txn *txn, const char *file, int fd, uint64_t size,
    const struct storage_progress *progress, struct filter *tap, struct vs_error *err)
{
	struct storage_body body = storage_body_fd(fd, 0, size);
	char *key;
	int rc;

	if (check_data_name(file, err) != 0)
		return -1;
	body.tap = tap;
	key = xasprintf("%s%s", txn->prefix, file);
	rc = storage_obj_put(txn->st, key, &body, progress, err);
	free(key);
	return rc;
}

int
storage_put(struct storage_txn *txn, const char *file, int fd, uint64_t size,
    const struct storage_progress *progress, unsigned char sha256[32],
    struct vs_error *err)
{
	struct filter *hash = filter_sha256_new();
	int rc;

	rc = storage_put_filtered(txn, file, fd, size, progress, hash, err);
	if (rc == 0)
		rc = filter_finish(hash, err);
	if (rc == 0 && sha256 != NULL)
		filter_sha256_result(hash, sha256, NULL);
	filter_chain_free(hash);
	return rc;
}

int
storage_put_copy(struct storage_txn *txn, const char *file, struct storage *src,
    const char *id, uint64_t size, struct vs_error *err)
{
	struct storage_stat sb;
	char *key, *skey;
	int rc;

	if (check_data_name(file, err) != 0 || check_names(id, file, err) != 0)
		return -1;
	key = xasprintf("%s%s", txn->prefix, file);
	skey = file_key(id, file);
	rc = storage_obj_copy(txn->st, key, src, skey, size, NULL, err);
	/* What arrived never came by: its size is checked. */
	if (rc == 0 && storage_obj_head(txn->st, key, &sb, err) != 0)
		rc = -1;
	else if (rc == 0 && sb.size != size)
		rc = error_set(err, VS_ERR_VERIFY, _("%s/%s holds %llu bytes after the copy, not "
		    "%llu"), storage_location(txn->st), key, (unsigned long long)sb.size,
		    (unsigned long long)size);
	free(skey);
	free(key);
	return rc;
}

int
storage_put_open(struct storage_txn *txn, const char *file, uint64_t size, int *fd,
    struct vs_error *err)
{
	struct storage *st = txn->st;
	char *key;
	int rc;

	if (check_data_name(file, err) != 0)
		return -1;
	if (st->drv->put_open == NULL)
		return error_set(err, VS_ERR_USAGE, _("%s cannot be filled in place"),
		    storage_location(st));
	key = xasprintf("%s%s", txn->prefix, file);
	rc = st->drv->put_open(st, key, size, fd, err);
	free(key);
	return rc;
}

int
storage_put_close(struct storage_txn *txn, const char *file, int fd, uint64_t size,
    struct vs_error *err)
{
	char *key = xasprintf("%s%s", txn->prefix, file);
	int rc = txn->st->drv->put_close(txn->st, key, fd, size, err);

	free(key);
	return rc;
}

static void
txn_free(struct storage_txn *txn)
{
	free(txn->prefix);
	free(txn);
}

int
storage_commit(struct storage_txn *txn, const void *metadata, size_t len,
    struct vs_error *err)
{
	struct storage *st = txn->st;
	struct storage_body body = storage_body_mem(metadata, len);
	char *key = xasprintf("%s%s", txn->prefix, STORAGE_METADATA), *final = NULL;
	int rc;

	rc = storage_obj_put(st, key, &body, NULL, err);
	if (rc == 0 && can_rename(st)) {
		final = xasprintf("%s/", txn->id);
		rc = st->drv->rename_prefix(st, txn->prefix, final, err);
	}
	if (rc != 0)
		remove_quietly(st, txn->prefix, txn->id);
	free(final);
	free(key);
	txn_free(txn);
	return rc;
}

void
storage_abort(struct storage_txn *txn)
{
	if (txn == NULL)
		return;
	remove_quietly(txn->st, txn->prefix, txn->id);
	txn_free(txn);
}

/* --- deleting ------------------------------------------------------------ */

int
storage_remove(struct storage *st, const char *id, struct vs_error *err)
{
	char *prefix;
	struct names nm;
	int rc;

	if (check_names(id, NULL, err) != 0)
		return -1;
	prefix = xasprintf("%s/", id);
	if (names_list(st, prefix, &nm, err) != 0) {
		free(prefix);
		return -1;
	}
	if (!nm.any && repo_view_has(st, id)) {
		names_free(&nm);
		free(prefix);
		return repo_view_remove(st, id, err);
	}
	if (!nm.any) {
		names_free(&nm);
		free(prefix);
		return error_set(err, VS_ERR_NOTFOUND, _("backup %s does not exist in %s"), id,
		    st->location);
	}
	rc = names_delete(st, prefix, &nm, true, err);
	names_free(&nm);
	free(prefix);
	if (rc != 0)
		error_prefix(err, _("removing backup %s"), id);
	return rc;
}

int
storage_remove_partial(struct storage *st, const char *id, struct vs_error *err)
{
	char *prefix;
	struct names nm;
	int rc;

	if (check_names(id, NULL, err) != 0)
		return -1;
	if (can_rename(st)) {
		prefix = xasprintf("%s%s/", id, PARTIAL_SUFFIX);
		rc = storage_obj_remove_prefix(st, prefix, err);
		free(prefix);
		return rc;
	}
	prefix = xasprintf("%s/", id);
	if (names_list(st, prefix, &nm, err) != 0) {
		free(prefix);
		return -1;
	}
	if (nm.complete) {
		names_free(&nm);
		free(prefix);
		return error_set(err, VS_ERR_REFUSED,
		    _("backup %s in %s is complete, not an unfinished upload"), id, st->location);
	}
	rc = names_delete(st, prefix, &nm, false, err);
	names_free(&nm);
	free(prefix);
	if (rc != 0)
		error_prefix(err, _("removing the unfinished backup %s"), id);
	return rc;
}
