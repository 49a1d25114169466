/* For storage drivers only: the driver interface behind storage.h. */
#ifndef VS_STORAGE_INTERN_H
#define VS_STORAGE_INTERN_H

#include "storage/storage.h"

struct storage_driver {
	const char *name;
	int (*list)(struct storage *st, storage_list_cb cb, void *ud, struct vs_error *err);
	int (*stat)(struct storage *st, const char *id, const char *file, uint64_t *size,
	    struct vs_error *err);
	int (*read_small)(struct storage *st, const char *id, const char *file, size_t max,
	    char **data, size_t *len, struct vs_error *err);
	int (*write_small)(struct storage *st, const char *id, const char *file,
	    const void *data, size_t len, struct vs_error *err);
	int (*remove_small)(struct storage *st, const char *id, const char *file,
	    struct vs_error *err);
	int (*open_read)(struct storage *st, const char *id, const char *file,
	    struct storage_reader **out, struct vs_error *err);
	ssize_t (*read)(struct storage_reader *r, void *buf, size_t len, struct vs_error *err);
	void (*reader_close)(struct storage_reader *r);
	int (*get)(struct storage *st, const char *id, const char *file, int fd, uint64_t size,
	    const struct storage_progress *progress, struct vs_error *err);
	int (*begin)(struct storage *st, const char *id, struct storage_txn **out,
	    struct vs_error *err);
	int (*put)(struct storage_txn *txn, const char *file, int fd, uint64_t size,
	    const struct storage_progress *progress, unsigned char sha256[32],
	    struct vs_error *err);
	int (*commit)(struct storage_txn *txn, const void *metadata, size_t len,
	    struct vs_error *err);
	void (*abort)(struct storage_txn *txn);
	int (*remove)(struct storage *st, const char *id, struct vs_error *err);
	int (*remove_partial)(struct storage *st, const char *id, struct vs_error *err);
	void (*close)(struct storage *st);
	/* Optional: a transaction's file to be filled in place. */
	int (*put_open)(struct storage_txn *txn, const char *file, uint64_t size, int *fd,
	    struct vs_error *err);
	int (*put_close)(struct storage_txn *txn, const char *file, int fd, uint64_t size,
	    struct vs_error *err);
	/* Optional: the path of a file when the driver keeps files on the
	 * local file system (for tools that need a path), else NULL. */
	char *(*local_path)(struct storage *st, const char *id, const char *file);
};

/*
 * Each driver defines struct storage_reader and struct storage_txn itself;
 * both MUST begin with a `struct storage *st` member: storage.c finds the
 * driver through it.
 */
struct storage {
	const struct storage_driver *drv;
	const struct config *cfg;
	char *location;
	storage_warn_fn warn;
	void *warn_ud;
	void *priv;          /* the driver's own state */
};

/* Report a warning through the storage's hook. */
void storage_warn(struct storage *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Fill the common part of a new storage object. */
struct storage *storage_new(const struct storage_driver *drv, const struct config *cfg,
    char *location, void *priv);

/* Is name one of the files a backup may hold (data files, metadata, sidecars)? */
bool storage_file_name_valid(const char *name);

#endif
