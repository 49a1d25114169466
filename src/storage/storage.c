/* The storage interface: dispatch to the driver, key checks, the object
 * operations every driver shares. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/log.h"
#include "common/termsafe.h"
#include "common/xmalloc.h"
#include "storage/storage.intern.h"

static void
storage_warn_log(void *ud, const char *msg)
{
	(void)ud;
	log_msg(VS_LOG_WARN, "%s", msg);
}

struct storage *
storage_new(const struct storage_driver *drv, const struct config *cfg,
    const struct config_location *loc, char *location, void *priv)
{
	struct storage *st = xcalloc(1, sizeof *st);

	st->drv = drv;
	st->cfg = cfg;
	st->name = xstrdup(loc != NULL ? loc->name : drv->name);
	st->index = loc != NULL && cfg != NULL ? (int)(loc - cfg->locations) : -1;
	st->location = location;
	st->priv = priv;
	st->warn = storage_warn_log;
	return st;
}

void
storage_warn(struct storage *st, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	st->warn(st->warn_ud, msg);
	free(msg);
}

void
storage_set_warn(struct storage *st, storage_warn_fn fn, void *ud)
{
	st->warn = fn != NULL ? fn : storage_warn_log;
	st->warn_ud = ud;
}

void
storage_set_cancel(struct storage *st, storage_cancel_fn fn, void *ud)
{
	st->cancel = fn;
	st->cancel_ud = ud;
}

void
storage_cancel_with(struct storage *st, const struct storage *other)
{
	st->cancel = other->cancel;
	st->cancel_ud = other->cancel_ud;
}

bool
storage_cancelled(struct storage *st)
{
	return st->cancel != NULL && st->cancel(st->cancel_ud) != 0;
}

int
storage_open_at(const struct config *cfg, size_t i, struct storage **out, struct vs_error *err)
{
	const struct config_location *loc = &cfg->locations[i];

	return loc->driver->open(cfg, loc, out, err);
}

int
storage_open(const struct config *cfg, const char *location, struct storage **out,
    struct vs_error *err)
{
	unsigned set;
	int i = config_location_index(cfg, location);

	if (i >= 0)
		return storage_open_at(cfg, (size_t)i, out, err);
	/* "s3" without a location of that name: say S3 is not configured. */
	if (config_location_select(cfg, location, &set, err) != 0)
		return -1;
	return error_set(err, VS_ERR_USAGE, _("'%s' names more than one location: name one "
	    "of them"), location);
}

int
storage_open_local(const struct config *cfg, struct storage **out, struct vs_error *err)
{
	return storage_open_at(cfg, 0, out, err);
}

void
storage_close(struct storage *st)
{
	if (st == NULL)
		return;
	if (st->v2_free != NULL)
		st->v2_free(st->v2);
	st->drv->close(st);
	free(st->name);
	free(st->location);
	free(st);
}

const char *
storage_name(const struct storage *st)
{
	return st->name;
}

int
storage_index(const struct storage *st)
{
	return st->index;
}

const char *
storage_location(const struct storage *st)
{
	return st->location;
}

int
storage_progress_report(const struct storage_progress *progress, uint64_t delta)
{
	if (progress == NULL || progress->fn == NULL)
		return 0;
	return progress->fn(progress->ud, delta);
}

bool
storage_key_valid(const char *key)
{
	size_t len = strlen(key), comp = 0;

	if (len == 0 || len > STORAGE_KEY_MAX || key[0] == '/')
		return false;
	for (size_t i = 0; i <= len; i++) {
		char c = key[i];

		if (c == '/' || c == '\0') {
			/* A trailing '/' names a folder: allowed at the end only. */
			if (comp == 0 && !(c == '\0' && i > 0 && key[i - 1] == '/'))
				return false;
			comp = 0;
			continue;
		}
		/* No ".", "..", nor hidden names (drivers keep their temp
		 * files as those). */
		if (comp == 0 && c == '.')
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-'))
			return false;
		comp++;
	}
	return true;
}

static int
check_key(const struct storage *st, const char *key, struct vs_error *err)
{
	char *safe;

	if (storage_key_valid(key))
		return 0;
	safe = termsafe_dup(key);
	error_set(err, VS_ERR_USAGE, _("'%s' is not a valid object name in %s"), safe,
	    st->location);
	free(safe);
	return -1;
}

struct storage_body
storage_body_mem(const void *data, size_t len)
{
	struct storage_body b = { .data = data, .fd = -1, .len = len };

	return b;
}

struct storage_body
storage_body_fd(int fd, uint64_t off, uint64_t len)
{
	struct storage_body b = { .fd = fd, .off = off, .len = len };

	return b;
}

int
storage_obj_put(struct storage *st, const char *key, const struct storage_body *body,
    const struct storage_progress *progress, struct vs_error *err)
{
	if (check_key(st, key, err) != 0)
		return -1;
	return st->drv->put(st, key, body, progress, err);
}

int
storage_obj_get(struct storage *st, const char *key, uint64_t off, uint64_t len,
    const struct storage_sink *sink, const char *etag,
    const struct storage_progress *progress, struct vs_error *err)
{
	if (check_key(st, key, err) != 0)
		return -1;
	if (len == 0)
		return 0;
	return st->drv->get(st, key, off, len, sink, etag != NULL && *etag ? etag : NULL,
	    progress, err);
}

int
storage_obj_read(struct storage *st, const char *key, size_t max, char **data, size_t *len,
    struct vs_error *err)
{
	struct storage_stat sb;
	struct storage_sink sink = { .fd = -1 };
	char *buf;

	if (check_key(st, key, err) != 0)
		return -1;
	if (st->drv->read != NULL)
		return st->drv->read(st, key, max, data, len, err);
	if (storage_obj_head(st, key, &sb, err) != 0)
		return -1;
	if (sb.size > max)
		return error_set(err, VS_ERR_FORMAT, _("%s/%s is %llu bytes, more than the %zu "
		    "expected of it"), st->location, key, (unsigned long long)sb.size, max);
	buf = xmalloc((size_t)sb.size + 1);
	sink.buf = buf;
	if (storage_obj_get(st, key, 0, sb.size, &sink, sb.etag, NULL, err) != 0) {
		free(buf);
		return -1;
	}
	buf[sb.size] = '\0';
	*data = buf;
	*len = (size_t)sb.size;
	return 0;
}

int
storage_obj_head(struct storage *st, const char *key, struct storage_stat *out,
    struct vs_error *err)
{
	if (check_key(st, key, err) != 0)
		return -1;
	memset(out, 0, sizeof *out);
	return st->drv->head(st, key, out, err);
}

struct list_filter {
	const char *prefix;
	size_t plen;
	int depth;
	storage_object_cb cb;
	void *ud;
};

static int
list_filter_cb(void *ud, const struct storage_object *o)
{
	struct list_filter *lf = ud;
	int comps = 1;
	size_t len = strlen(o->key);

	if (strncmp(o->key, lf->prefix, lf->plen) != 0)
		return 0;
	if (lf->depth > 0) {
		for (size_t i = 0; i + 1 < len; i++)
			comps += o->key[i] == '/';
		if (comps > lf->depth)
			return 0;
	}
	return lf->cb(lf->ud, o);
}

int
storage_obj_list(struct storage *st, const char *prefix, int depth,
    storage_object_cb cb, void *ud, struct vs_error *err)
{
	struct list_filter lf = { prefix, strlen(prefix), depth, cb, ud };

	if (*prefix != '\0' && check_key(st, prefix, err) != 0)
		return -1;
	return st->drv->list(st, prefix, depth, list_filter_cb, &lf, err);
}

int
storage_obj_copy(struct storage *dst, const char *key, struct storage *src,
    const char *srckey, uint64_t size, const struct storage_progress *progress,
    struct vs_error *err)
{
	if (check_key(dst, key, err) != 0 || check_key(src, srckey, err) != 0)
		return -1;
	if (dst->drv->copy == NULL || dst->drv != src->drv)
		return error_set(err, VS_ERR_USAGE, _("%s cannot copy from %s by itself"),
		    dst->location, src->location);
	return dst->drv->copy(dst, key, src, srckey, size, progress, err);
}

int
storage_obj_remove(struct storage *st, const char *key, struct vs_error *err)
{
	if (check_key(st, key, err) != 0)
		return -1;
	return st->drv->remove(st, key, err);
}

struct remove_ctx {
	struct storage *st;
	char **keys;
	size_t n;
};

static int
remove_collect(void *ud, const struct storage_object *o)
{
	struct remove_ctx *rc = ud;

	if (o->dir)
		return 0;
	/* Only names of ours are ever removed, whatever a listing says. */
	if (!storage_key_valid(o->key)) {
		char *safe = termsafe_dup(o->key);

		storage_warn(rc->st, _("leaving %s/%s alone: not a valid object name"),
		    rc->st->location, safe);
		free(safe);
		return 0;
	}
	rc->keys = xreallocarray(rc->keys, rc->n + 1, sizeof *rc->keys);
	rc->keys[rc->n++] = xstrdup(o->key);
	return 0;
}

int
storage_obj_remove_prefix(struct storage *st, const char *prefix, struct vs_error *err)
{
	struct remove_ctx rc = { .st = st };
	size_t len = strlen(prefix);
	int r;

	if (len == 0 || prefix[len - 1] != '/')
		return error_set(err, VS_ERR_USAGE, _("'%s' is not a folder"), prefix);
	if (check_key(st, prefix, err) != 0)
		return -1;
	if (st->drv->remove_prefix != NULL)
		return st->drv->remove_prefix(st, prefix, err);
	r = storage_obj_list(st, prefix, 0, remove_collect, &rc, err);
	for (size_t i = 0; i < rc.n; i++) {
		if (r == 0)
			r = st->drv->remove(st, rc.keys[i], err);
		free(rc.keys[i]);
	}
	free(rc.keys);
	return r;
}

char *
storage_obj_local_path(struct storage *st, const char *key)
{
	if (!storage_key_valid(key) || st->drv->local_path == NULL)
		return NULL;
	return st->drv->local_path(st, key);
}

int
storage_spool_open(const struct config *cfg, int *fd, char **path, struct vs_error *err)
{
	if (fs_mkdir_p(cfg->backup_dir, 0700, err) != 0)
		return error_prefix(err, _("backup_dir"));
	*path = xasprintf("%s/.spool-XXXXXX", cfg->backup_dir);
	*fd = mkostemp(*path, O_CLOEXEC);
	if (*fd < 0) {
		error_errno(err, errno == ENOSPC ? VS_ERR_NOSPACE : VS_ERR_IO, errno,
		    _("cannot create a temporary file in %s"), cfg->backup_dir);
		free(*path);
		*path = NULL;
		return -1;
	}
	return 0;
}
