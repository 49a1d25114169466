/*
 * Stream filters: the stages every byte of a file passes through between
 * its source and storage, or back (pgBackRest's filter groups are the
 * model). A filter takes bytes with filter_write(), does its work and hands
 * what it produces to the next filter of its chain; filter_finish() flushes
 * the chain from front to back. Filters know nothing of storage drivers:
 * the same chain hashes a file on its way to a local disk or to S3.
 *
 * Two kinds of stage share this interface. Byte filters (hash, tap, sink)
 * see an arbitrary division of the stream into writes. Record filters
 * (after a chunker: compression, encryption, packing) see one whole record
 * per write, and keep that division for the next stage.
 *
 * DESIGN: a chain belongs to one thread at a time; nothing is shared.
 */
#ifndef VS_FILTER_H
#define VS_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

struct filter;

struct filter_type {
	const char *name;
	/* Take len bytes (one record for record filters). */
	int (*write)(struct filter *f, const void *buf, size_t len, struct vs_error *err);
	/* Optional: flush what is held back (the chain's next filter is
	 * finished by filter_finish itself). */
	int (*finish)(struct filter *f, struct vs_error *err);
	/* Optional: free priv. */
	void (*free)(struct filter *f);
};

struct filter {
	const struct filter_type *type;
	struct filter *next;      /* where output goes; NULL: dropped */
	void *priv;
	bool finished;
};

/* A new filter of type with its private state. */
struct filter *filter_new(const struct filter_type *type, void *priv);

/* Append next behind the last filter of the chain starting at f; returns
 * f (or next when f is NULL), so chains are built front to back. */
struct filter *filter_chain(struct filter *f, struct filter *next);

/* Give len bytes to f; f NULL drops them. */
int filter_write(struct filter *f, const void *buf, size_t len, struct vs_error *err);

/* Flush f, then the rest of its chain; once per chain. */
int filter_finish(struct filter *f, struct vs_error *err);

/* Free f and every filter behind it. */
void filter_chain_free(struct filter *f);

/* Pass the write to the next filter (for filters that only look). */
int filter_pass(struct filter *f, const void *buf, size_t len, struct vs_error *err);

/* --- the byte filters every kind of backup uses (filter-basic.c) --- */

/* SHA-256 and byte count of what passes; the bytes pass unchanged. */
struct filter *filter_sha256_new(void);
/* The digest and count, after filter_finish() of its chain. */
void filter_sha256_result(const struct filter *f, unsigned char md[32], uint64_t *bytes);

/* Show what passes to fn (e.g. a format reader counting keys); bytes pass
 * unchanged. fn returns 0, or -1 with err set to stop the stream. */
typedef int (*filter_tap_fn)(void *ud, const void *buf, size_t len, struct vs_error *err);
struct filter *filter_tap_new(filter_tap_fn fn, void *ud);

/* Write what arrives to fd (sequentially); name is for messages. */
struct filter *filter_fd_sink_new(int fd, const char *name);

#endif
