/*
 * Opening, as root, a file that another user controls: the service's index
 * files, Redis's RDB, the coordination lock file. Whoever can write the
 * directory can put a symbolic link, a hard link or a FIFO there; vsbackup
 * must neither read a file it was pointed to elsewhere (and put it into a
 * backup, where a restore would hand it back) nor hang on it.
 *
 * The rules: the directory is opened as configured; the name in it with
 * O_NOFOLLOW. A symbolic link is followed only when it names a file in the
 * same directory (a bare name: "content_index.v2.faiss"), once. The file
 * must be a regular file owned by root, by the effective user, or by the
 * owner of its directory (the service's user); one owned by root in a
 * directory of another user must not have further hard links. Each refusal
 * names the setting, the path and what to do.
 */
#ifndef VS_LIVE_OPEN_H
#define VS_LIVE_OPEN_H

#include <sys/stat.h>

#include "common/error.h"

/*
 * Open path read-only (flags may add O_RDWR | O_CREAT for a lock file,
 * created 0644 when missing) for the setting key ("faiss.content_index").
 * On success *fd is open (close-on-exec, blocking) and *st describes it.
 * Fails with VS_ERR_NOTFOUND when the file does not exist, VS_ERR_REFUSED
 * when a rule above forbids it, VS_ERR_IO otherwise; errno is then that
 * of open() when opening failed, 0 when the file was opened and refused.
 */
int live_open(const char *key, const char *path, int flags, int *fd, struct stat *st,
    struct vs_error *err);

#endif
