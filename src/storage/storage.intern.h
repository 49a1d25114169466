/* For storage drivers only: the driver interface behind storage.h. */
#ifndef VS_STORAGE_INTERN_H
#define VS_STORAGE_INTERN_H

#include "storage/storage.h"

/*
 * A driver stores opaque objects under keys already checked by
 * storage_key_valid(). It never looks inside them.
 */
struct storage_driver {
	const char *name;
	/* list reports keys in ascending byte order (as S3 does), so a
	 * caller that has seen enough may stop it and save the next pages. */
	bool sorted;
	/* Store the body under key, whole or not at all. Feed body->tap with
	 * every byte sent, once and in order. */
	int (*put)(struct storage *st, const char *key, const struct storage_body *body,
	    const struct storage_progress *progress, struct vs_error *err);
	/* Exactly len bytes at off into sink (progress->landed, when set,
	 * told of the prefix of an fd sink that is whole). */
	int (*get)(struct storage *st, const char *key, uint64_t off, uint64_t len,
	    const struct storage_sink *sink, const char *etag,
	    const struct storage_progress *progress, struct vs_error *err);
	int (*head)(struct storage *st, const char *key, struct storage_stat *out,
	    struct vs_error *err);
	/* Keys starting with prefix, relative to the root; depth as in
	 * storage_obj_list (a driver may report deeper keys: they are
	 * filtered above it). */
	int (*list)(struct storage *st, const char *prefix, int depth, storage_object_cb cb,
	    void *ud, struct vs_error *err);
	/* Gone already counts as removed. */
	int (*remove)(struct storage *st, const char *key, struct vs_error *err);
	void (*close)(struct storage *st);

	/* Optional: a whole object of at most max bytes into memory in one
	 * request (NUL-terminated); VS_ERR_NOTFOUND when missing. */
	int (*read)(struct storage *st, const char *key, size_t max, char **data, size_t *len,
	    struct vs_error *err);
	/* Optional: remove a whole folder (prefix ends in '/') at once. */
	int (*remove_prefix)(struct storage *st, const char *prefix, struct vs_error *err);
	/* Optional: move the folder from to the folder to, atomically (a
	 * backup written under {id}.partial/ appears whole). Drivers without
	 * it write a backup in place and put metadata.json last. */
	int (*rename_prefix)(struct storage *st, const char *from, const char *to,
	    struct vs_error *err);
	/* Optional: create key for another storage to fill directly, with
	 * room for size bytes set aside; then put_close checks it holds size
	 * bytes and makes it durable. */
	int (*put_open)(struct storage *st, const char *key, uint64_t size, int *fd,
	    struct vs_error *err);
	int (*put_close)(struct storage *st, const char *key, int fd, uint64_t size,
	    struct vs_error *err);
	/* Optional: the path of key when the driver keeps files on the local
	 * file system (for tools that need a path), else NULL. */
	char *(*local_path)(struct storage *st, const char *key);
	/* Optional: store key whole as a copy of srckey (size bytes) of src,
	 * a storage of the same driver, done by the server without the bytes
	 * passing through this host. VS_ERR_USAGE when it cannot be done so
	 * (another server, refused, not supported): the caller copies the
	 * bytes itself then. */
	int (*copy)(struct storage *st, const char *key, struct storage *src, const char *srckey,
	    uint64_t size, const struct storage_progress *progress, struct vs_error *err);
};

struct storage {
	const struct storage_driver *drv;
	const struct config *cfg;
	char *name;          /* of the location in the configuration */
	int index;           /* in cfg->locations */
	char *location;
	storage_warn_fn warn;
	void *warn_ud;
	storage_cancel_fn cancel; /* may be NULL */
	void *cancel_ud;
	void *priv;          /* the driver's own state */
	/* The backups in the repository of this storage (src/repo/view.c),
	 * and how to free that state. */
	void *v2;
	void (*v2_free)(void *v2);
};

/* Has the storage's user asked to stop (storage_set_cancel)? */
bool storage_cancelled(struct storage *st);

/* Fill the common part of a new storage object for location loc of cfg
 * (NULL: one outside the configuration's locations). */
struct storage *storage_new(const struct storage_driver *drv, const struct config *cfg,
    const struct config_location *loc, char *location, void *priv);

/* Is name one of the files a backup may hold (data files, metadata, sidecars)? */
bool storage_file_name_valid(const char *name);

#endif
