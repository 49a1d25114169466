/* Copying a backup between locations (upload to S3, download from S3):
 * data files first, each checked against the SHA-256 in metadata.json as
 * it arrives, then metadata.json byte for byte, so the copy is complete
 * only when all of it is there and right. */
#ifndef VS_TRANSFER_H
#define VS_TRANSFER_H

#include "common/error.h"
#include "engine/engine.h"

/* Copy backup id from location from ("local"/"s3") to location to.
 * A complete copy already at the destination is left alone. */
int transfer_copy(struct job *job, const char *from, const char *to, const char *id,
    struct vs_error *err);

#endif
