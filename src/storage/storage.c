/* The storage interface: dispatch to the driver, shared checks. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "storage/storage.intern.h"

/* The files a backup may hold; nothing else is ever read or written. */
static const char *const storage_file_names[] = {
	"redis.rdb", "content_index.faiss", "user_index.faiss", STORAGE_METADATA,
	"verify.json", "pinned", NULL,
};

bool
storage_file_name_valid(const char *name)
{
	for (size_t i = 0; storage_file_names[i] != NULL; i++)
		if (strcmp(name, storage_file_names[i]) == 0)
			return true;
	return false;
}

static void
storage_warn_log(void *ud, const char *msg)
{
	(void)ud;
	log_msg(VS_LOG_WARN, "%s", msg);
}

struct storage *
storage_new(const struct storage_driver *drv, const struct config *cfg, char *location,
    void *priv)
{
	struct storage *st = xcalloc(1, sizeof *st);

	st->drv = drv;
	st->cfg = cfg;
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

int
storage_open(const struct config *cfg, const char *location, struct storage **out,
    struct vs_error *err)
{
	if (strcmp(location, "local") == 0)
		return storage_open_local(cfg, out, err);
	if (strcmp(location, "s3") == 0)
		return storage_open_s3(cfg, out, err);
	return error_set(err, VS_ERR_USAGE, _("unknown location '%s': use local or s3"), location);
}

void
storage_close(struct storage *st)
{
	if (st == NULL)
		return;
	st->drv->close(st);
	free(st->location);
	free(st);
}

const char *
storage_name(const struct storage *st)
{
	return st->drv->name;
}

const char *
storage_location(const struct storage *st)
{
	return st->location;
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

int
storage_list(struct storage *st, storage_list_cb cb, void *ud, struct vs_error *err)
{
	return st->drv->list(st, cb, ud, err);
}

int
storage_stat(struct storage *st, const char *id, const char *file, uint64_t *size,
    struct vs_error *err)
{
	if (check_names(id, file, err) != 0)
		return -1;
	return st->drv->stat(st, id, file, size, err);
}

int
storage_read_small(struct storage *st, const char *id, const char *file, size_t max,
    char **data, size_t *len, struct vs_error *err)
{
	if (check_names(id, file, err) != 0)
		return -1;
	return st->drv->read_small(st, id, file, max, data, len, err);
}

int
storage_write_small(struct storage *st, const char *id, const char *file,
    const void *data, size_t len, struct vs_error *err)
{
	if (check_names(id, file, err) != 0)
		return -1;
	return st->drv->write_small(st, id, file, data, len, err);
}

int
storage_remove_small(struct storage *st, const char *id, const char *file,
    struct vs_error *err)
{
	if (check_names(id, file, err) != 0)
		return -1;
	return st->drv->remove_small(st, id, file, err);
}

int
storage_open_read(struct storage *st, const char *id, const char *file,
    struct storage_reader **out, struct vs_error *err)
{
	if (check_names(id, file, err) != 0)
		return -1;
	return st->drv->open_read(st, id, file, out, err);
}

/* Readers and transactions start with a pointer to their storage. */
struct storage_handle {
	struct storage *st;
};

ssize_t
storage_read(struct storage_reader *r, void *buf, size_t len, struct vs_error *err)
{
	return ((struct storage_handle *)r)->st->drv->read(r, buf, len, err);
}

void
storage_reader_close(struct storage_reader *r)
{
	if (r != NULL)
		((struct storage_handle *)r)->st->drv->reader_close(r);
}

int
storage_get(struct storage *st, const char *id, const char *file, int fd, uint64_t size,
    const struct storage_progress *progress, struct vs_error *err)
{
	if (check_names(id, file, err) != 0)
		return -1;
	return st->drv->get(st, id, file, fd, size, progress, err);
}

int
storage_begin(struct storage *st, const char *id, struct storage_txn **out,
    struct vs_error *err)
{
	if (check_names(id, NULL, err) != 0)
		return -1;
	return st->drv->begin(st, id, out, err);
}

int
storage_put(struct storage_txn *txn, const char *file, int fd, uint64_t size,
    const struct storage_progress *progress, unsigned char sha256[32],
    struct vs_error *err)
{
	struct storage *st = ((struct storage_handle *)txn)->st;

	if (!storage_file_name_valid(file) || strcmp(file, STORAGE_METADATA) == 0)
		return error_set(err, VS_ERR_USAGE, _("'%s' is not a data file of a backup"), file);
	return st->drv->put(txn, file, fd, size, progress, sha256, err);
}

int
storage_put_open(struct storage_txn *txn, const char *file, uint64_t size, int *fd,
    struct vs_error *err)
{
	struct storage *st = ((struct storage_handle *)txn)->st;

	if (!storage_file_name_valid(file) || strcmp(file, STORAGE_METADATA) == 0)
		return error_set(err, VS_ERR_USAGE, _("'%s' is not a data file of a backup"), file);
	if (st->drv->put_open == NULL)
		return error_set(err, VS_ERR_USAGE, _("%s cannot be filled in place"),
		    storage_location(st));
	return st->drv->put_open(txn, file, size, fd, err);
}

int
storage_put_close(struct storage_txn *txn, const char *file, int fd, uint64_t size,
    struct vs_error *err)
{
	return ((struct storage_handle *)txn)->st->drv->put_close(txn, file, fd, size, err);
}

int
storage_commit(struct storage_txn *txn, const void *metadata, size_t len,
    struct vs_error *err)
{
	return ((struct storage_handle *)txn)->st->drv->commit(txn, metadata, len, err);
}

void
storage_abort(struct storage_txn *txn)
{
	if (txn != NULL)
		((struct storage_handle *)txn)->st->drv->abort(txn);
}

int
storage_remove(struct storage *st, const char *id, struct vs_error *err)
{
	if (check_names(id, NULL, err) != 0)
		return -1;
	return st->drv->remove(st, id, err);
}

char *
storage_local_path(struct storage *st, const char *id, const char *file)
{
	if (check_names(id, file, NULL) != 0 || st->drv->local_path == NULL)
		return NULL;
	return st->drv->local_path(st, id, file);
}

int
storage_remove_partial(struct storage *st, const char *id, struct vs_error *err)
{
	if (check_names(id, NULL, err) != 0)
		return -1;
	return st->drv->remove_partial(st, id, err);
}

