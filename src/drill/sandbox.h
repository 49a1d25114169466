/*
 * The sandbox of a restore drill: a scratch directory of its own (made
 * exclusively, mode 0700) under the drill root (drill.dir, by default
 * {backup_dir}/.drill), holding the backup's files, a private redis-server
 * on a unix socket (no TCP port) that loaded the backup's RDB, and the
 * drill's own files. Nothing in it is live: the configured Redis and index
 * files are never opened.
 *
 * A sandbox is removed at the end of its drill. One whose drill was killed
 * is found by the next drill: DRILL_OWNER_FILE names the process that made
 * it (pid and start time, so a reused pid is not mistaken for it); when
 * that process is gone, the server recorded in DRILL_SERVER_FILE is
 * stopped (only if it still runs in that directory) and the directory
 * removed. A sandbox kept on purpose (--keep) is left alone until
 * 'vsbackup drill --cleanup'.
 *
 * DESIGN: a sandbox belongs to the one job that made it; the functions
 * here share nothing between threads.
 */
#ifndef VS_DRILL_SANDBOX_H
#define VS_DRILL_SANDBOX_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"
#include "config/conf.h"

#define DRILL_OWNER_FILE "drill.owner"
#define DRILL_SERVER_FILE "server.pid"
#define DRILL_KEEP_FILE "kept"
#define DRILL_SOCKET "redis.sock"
#define DRILL_SOCKET_MAX 107      /* sun_path holds 108 bytes with the NUL */

struct drill_sandbox {
	char *root;          /* the drill root */
	char *dir;           /* this sandbox */
	char *sock;          /* dir/redis.sock */
	pid_t server;        /* the running redis-server, 0 none */
	bool server_tied;    /* it dies with the thread that started it */
};

/* The drill root for cfg: drill.dir, else {backup_dir}/.drill. */
char *drill_sandbox_root(const struct config *cfg);

/*
 * Remove the sandboxes under root that nobody drills in any more (their
 * owner is gone): each one's server is stopped and its directory removed.
 * with_kept: those kept by --keep too. note (may be NULL) is told of each
 * one removed, with its path. *removed counts them. A sandbox whose owner
 * still runs is left alone.
 */
int drill_sandbox_reap(const char *root, bool with_kept,
    void (*note)(void *ud, const char *dir), void *ud, unsigned *removed,
    struct vs_error *err);

/* Make root (0700, owned by us: a root directory someone else can write
 * to is refused) and in it a new sandbox (drill-XXXXXX). */
int drill_sandbox_create(const char *root, struct drill_sandbox **out, struct vs_error *err);

/* Record the server's pid (for a later drill to stop it if this one dies). */
int drill_sandbox_set_server(struct drill_sandbox *sb, pid_t pid, bool tied,
    struct vs_error *err);

/* Stop the server (when one runs) and wait for it. */
void drill_sandbox_stop_server(struct drill_sandbox *sb);

/* Mark the sandbox as kept: later drills leave it alone. */
int drill_sandbox_keep(struct drill_sandbox *sb, struct vs_error *err);

/* Stop the server, remove the directory and free sb (NULL is fine). */
int drill_sandbox_destroy(struct drill_sandbox *sb, struct vs_error *err);

/* Free sb, leaving the directory and the server as they are (--keep). */
void drill_sandbox_forget(struct drill_sandbox *sb);

#endif
