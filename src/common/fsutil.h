/* Small file-system helpers that return errors naming the path involved. */
#ifndef VS_FSUTIL_H
#define VS_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

/* Create a directory and its parents with the given mode. */
int fs_mkdir_p(const char *path, mode_t mode, struct vs_error *err);

/* fsync the directory at path (after a rename or create inside it). */
int fs_fsync_dir(const char *path, struct vs_error *err);

/* Remove a file or a directory tree; a missing path is not an error.
 * Never follows a symbolic link, also one swapped in while it runs: safe
 * in directories other users can write (fs-remove.c). */
int fs_remove_tree(const char *path, struct vs_error *err);

/* The owner, group and mode a new file or directory is given. */
struct fs_owner {
	bool known;     /* false: keep whoever creates it as the owner */
	uid_t uid;
	gid_t gid;
	mode_t mode;    /* permission bits, set whatever the umask */
};

/* Set own on the open file fd: owner and group (only when running as
 * root, and only when known), then the mode. -1 with errno on failure. */
int fs_owner_apply(int fd, const struct fs_owner *own);

/* Create and open a new, empty temp file ".NAME.vsbackup-XXXXXX" in the
 * directory of path, exclusively (a planted name or link is never opened).
 * Returns the descriptor and its name in *tmp (free it), or -1. */
int fs_temp_beside(const char *path, char **tmp, struct vs_error *err);

/* Write data to path atomically: a new temp file in the same directory
 * (created exclusively, never through a link), its mode set on the
 * descriptor whatever the umask, fsync, rename, fsync of the directory. */
int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
    struct vs_error *err);

/* fs_write_atomic with an owner and group too (set on the descriptor). */
int fs_write_atomic_as(const char *path, const void *data, size_t len,
    const struct fs_owner *own, struct vs_error *err);

/* Read a whole file of at most max bytes into a new NUL-terminated buffer. */
int fs_read_all(const char *path, size_t max, char **out, size_t *outlen,
    struct vs_error *err);

/* Write all of buf to fd, retrying on EINTR and short writes. */
int fs_write_full(int fd, const void *buf, size_t len);

/* Read up to len bytes from fd at off, retrying short reads; returns the
 * number read (less than len only at end of file) or -1. */
ssize_t fs_pread_full(int fd, void *buf, size_t len, off_t off);

/* Allocate disk space for the first size bytes of fd without changing its
 * size, so a file filled out of order neither fragments nor runs out of
 * space half-way. 0 also when the file system cannot (nothing is set
 * aside then); -1 with errno (ENOSPC) when the space is not there. */
int fs_reserve(int fd, uint64_t size);

/* Start writing [off, off+len) of fd out to disk without waiting for it,
 * so a later fsync has less left to do (Linux; elsewhere nothing). */
void fs_writeback_start(int fd, off_t off, off_t len);

/* Does path exist (any type)? */
int fs_exists(const char *path);

/* Free bytes for unprivileged users on the file system holding path. */
int fs_free_bytes(const char *path, uint64_t *out, struct vs_error *err);

/* The directory part of path as a new string (dirname(3): "." when path
 * has no slash). */
char *fs_dirname(const char *path);

/* path itself when it exists, else its nearest existing parent ("/" or
 * "." at the last), as a new string: where something would be created. */
char *fs_existing_dir(const char *path);

/* Join two path parts with one '/' into a new string. */
char *fs_join(const char *dir, const char *name);

#endif
