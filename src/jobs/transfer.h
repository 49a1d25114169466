/* Copying a backup between locations (upload to S3, download from S3):
 * data files first, each checked against the SHA-256 in metadata.json as
 * it arrives, then metadata.json byte for byte, so the copy is complete
 * only when all of it is there and right. */
#ifndef VS_TRANSFER_H
#define VS_TRANSFER_H

#include "common/error.h"
#include <stdbool.h>
#include <stddef.h>

#include "engine/engine.h"

/* Copy backup id from location from to location to (locations' names).
 * A complete copy already at the destination is left alone. */
int transfer_copy(struct job *job, const char *from, const char *to, const char *id,
    struct vs_error *err);

/* One destination of transfer_copy_each. */
struct transfer_dest {
	size_t loc;           /* in: its index in cfg->locations */
	char *where;          /* out: storage_location() of it, or NULL */
	bool already;         /* out: complete there before */
	int rc;               /* out: 0 when complete there now */
	struct vs_error err;  /* out: else why not */
};

/* Copy backup id from location from to each of d[0..n-1], all at once
 * (one thread each, each opening its own storages; the requests of each
 * retry on their own). One failing fails no other. */
void transfer_copy_each(struct job *job, const char *from, const char *id,
    struct transfer_dest *d, size_t n);
void transfer_dest_free(struct transfer_dest *d, size_t n);

#endif
