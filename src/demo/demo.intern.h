/*
 * The demo sandbox's pieces, for src/demo/ only (demo.h is the interface):
 *
 *	demo.c            creation, checks and stop: the directory and the order
 *	demo-redis.c      the private redis-server
 *	demo-generate.c   the documents and their vectors
 *	demo-fill.c       the documents stored in Redis, the vectors in FAISS
 *	demo-config.c     vsbackup.conf and quoting for the configuration files
 */
#ifndef VS_DEMO_INTERN_H
#define VS_DEMO_INTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <hiredis/hiredis.h>

#include "common/error.h"
#include "demo/demo.h"

#define NELEM(a) (sizeof (a) / sizeof (a)[0])

/* The paths of a demo directory (see demo.h), made by demo.c. */
struct demo_paths {
	char *dir;
	char *marker;
	char *config;
	char *socket;
	char *redis_dir;
	char *redis_conf;
	char *redis_pid;
	char *redis_log;
	char *index_dir;
	char *content_index;
	char *user_index;
	char *backup_dir;
};

/* --- demo.c --- */

/* Report progress through opt's callback, when it has one. */
void demo_progress(const struct demo_options *opt, const char *phase, uint64_t done,
    uint64_t total);
/* VS_ERR_CANCELLED once opt's cancel flag is set, else 0. */
int demo_cancelled(const struct demo_options *opt, struct vs_error *err);

/* --- demo-generate.c --- */

struct demo_rng {
	uint64_t s;
};

uint32_t demo_rand_below(struct demo_rng *r, uint32_t n);
/* Roughly normal with mean 0 and deviation 1. */
double demo_rand_normal(struct demo_rng *r);

/* A growing string of document text. */
struct demo_buf {
	char *p;
	size_t len, cap;
};

/* Make room for more bytes (and a NUL) in b. */
void demo_buf_reserve(struct demo_buf *b, size_t more);
void demo_buf_add(struct demo_buf *b, const char *s);
/* Add "name":"value", (value must need no JSON escaping). */
void demo_buf_field(struct demo_buf *b, const char *name, const char *value);
/* Add "name":v, */
void demo_buf_field_int(struct demo_buf *b, const char *name, long long v);

/* A random version 4 UUID. */
void demo_uuid(struct demo_rng *r, char out[37]);
/* Write q / 1e6 with exactly six decimals at p (|q| <= 1000000); returns
 * the end. */
char *demo_fmt_q6(char *p, int32_t q);
/* A unit vector near centre, rounded to six decimals: q holds the
 * components times 1e6, out the same numbers as floats; tmp is scratch of
 * dim doubles. */
void demo_unit_vector(struct demo_rng *r, const float *centre, int dim, double *tmp,
    int32_t *q, float *out);

/* The fields of a content document (cluster: its category) and of a user
 * document (cluster: its segment), after "id" and "faiss_id". */
void demo_content_fields(struct demo_buf *b, struct demo_rng *r, uint32_t cluster);
void demo_user_fields(struct demo_buf *b, struct demo_rng *r, uint32_t cluster);
/* How many categories and segments there are (the clusters of each). */
extern const uint32_t demo_ncategories;
extern const uint32_t demo_nsegments;

/* --- demo-fill.c --- */

/* One collection of documents: its key prefix, size and index. */
struct demo_collection {
	const char *prefix;
	const char *phase_store;   /* N_() */
	const char *phase_index;   /* N_() */
	long long count;
	uint32_t nclusters;
	uint64_t stream;           /* mixed into the seed */
	void (*fields)(struct demo_buf *, struct demo_rng *, uint32_t);
	const char *index_path;
};

/* Store col's documents in Redis over c (sock names it in messages) and
 * write their vectors to col->index_path, reporting progress and stopping
 * when opt's cancel flag is set. */
int demo_fill(const struct demo_options *opt, redisContext *c, const char *sock,
    const struct demo_collection *col, struct vs_error *err);

/* --- demo-redis.c --- */

/* The pid in the pidfile when that process exists and is a redis-server,
 * else 0. */
pid_t demo_redis_pid(const char *pidfile);
/* A connection to the socket when the server answers PING, else NULL. */
redisContext *demo_redis_connect(const char *sock, int timeout_ms);
/* Write p->redis_conf. */
int demo_write_redis_conf(const struct demo_paths *p, struct vs_error *err);
/* Start server with p->redis_conf and wait until it answers on p->socket. */
int demo_redis_start(const struct demo_paths *p, const char *server, struct vs_error *err);
/* Stop the server on sock (or with the pid in pidfile) and wait for it;
 * *was_running tells whether one was found. */
int demo_redis_shutdown(const char *sock, const char *pidfile, bool *was_running,
    struct vs_error *err);

/* --- demo-config.c --- */

/* A double-quoted string for redis.conf and for libconfig (allocated). */
char *demo_conf_quote(const char *s);
/* Write p->config for the server binary server (and redis-cli at cli, or
 * NULL), and check that it loads. */
int demo_write_config(const struct demo_paths *p, const char *server, const char *cli,
    struct vs_error *err);

#endif
