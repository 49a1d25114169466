/*
 * The demo sandbox: a directory holding a private redis-server (on a unix
 * socket, no TCP port), documents under chimera-vectors: and chimera-users:
 * as the real service stores them, the two FAISS indexes built from the
 * same vectors, and a vsbackup.conf pointing at all of it. Everything the
 * demo creates stays inside that directory:
 *
 *	DIR/.vsbackup-demo            marks DIR as a demo (and its parameters)
 *	DIR/vsbackup.conf             configuration for vsbackup -c
 *	DIR/redis.sock                the server's socket
 *	DIR/redis/redis.conf          its configuration (daemonize, port 0)
 *	DIR/redis/{dump.rdb,redis.pid,redis.log}
 *	DIR/indexes/{content,user}_index.faiss
 *	DIR/backups/                  backup_dir
 */
#ifndef VS_DEMO_H
#define VS_DEMO_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

#define DEMO_DEFAULT_VECTORS 20000
#define DEMO_DEFAULT_USERS 2000
#define DEMO_DEFAULT_DIM 384
#define DEMO_DEFAULT_SEED 1

#define DEMO_MAX_DOCUMENTS 10000000LL
#define DEMO_MAX_DIM 4096

/* Called as work advances; phase is translated, total 0 when unknown. */
typedef void (*demo_progress_cb)(void *arg, const char *phase, uint64_t done,
    uint64_t total);

struct demo_options {
	const char *dir;        /* NULL: a new directory under $TMPDIR or /tmp */
	long long vectors;      /* content documents (and content index size) */
	long long users;        /* user documents (and user index size) */
	int dim;
	uint64_t seed;          /* same seed, same documents and vectors */
	demo_progress_cb progress;
	void *progress_arg;
	/* When it becomes non-zero (a signal handler), creation stops,
	 * undoes what it did and fails with VS_ERR_CANCELLED. */
	volatile sig_atomic_t *cancel;
};

struct demo_result {
	char *dir;              /* absolute */
	char *config_path;      /* DIR/vsbackup.conf */
	char *socket;           /* DIR/redis.sock */
	char *content_index;
	char *user_index;
	char *backup_dir;
	double seconds;         /* how long creation took */
};

/*
 * Create the demo described by opt. DIR may be missing, empty, or a demo
 * whose server is stopped (it is then rebuilt; its backups are kept); any
 * other existing non-empty directory, or a demo that is running, is refused
 * with VS_ERR_REFUSED. On failure the server is stopped again and a
 * directory the call created is removed. On success res owns its strings
 * (free with demo_result_free()) and the server keeps running.
 */
int demo_create(const struct demo_options *opt, struct demo_result *res,
    struct vs_error *err);

void demo_result_free(struct demo_result *res);

/*
 * Stop the demo server in dir: SHUTDOWN NOSAVE over its socket, or SIGTERM
 * to the process in its pidfile when the socket does not answer; waits
 * until it is gone. *was_running tells whether a server was found. A
 * directory that is not a demo gives VS_ERR_REFUSED.
 */
int demo_stop(const char *dir, bool *was_running, struct vs_error *err);

/* Does dir hold a demo whose server answers or whose process exists? */
bool demo_is_running(const char *dir);

#endif
