/*
 * Hashing a file while it is being filled: a thread reads and hashes the
 * part of the file that is already whole, following the writers, so the
 * SHA-256 is ready soon after the last byte lands instead of one more pass
 * over the file later. It also starts the write-out of what it has hashed,
 * so the final fsync has little left to wait for.
 */
#ifndef VS_FOLLOW_HASH_H
#define VS_FOLLOW_HASH_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

struct follow_hash;

/* Follow fd, which will hold size bytes; path names it in messages. */
struct follow_hash *follow_hash_start(int fd, uint64_t size, const char *path);

/* The first prefix bytes of the file are written (from any thread). */
void follow_hash_landed(struct follow_hash *h, uint64_t prefix);

/* With complete, wait for the digest of all size bytes (the caller
 * guarantees they are written); without, stop early. Frees h. */
int follow_hash_finish(struct follow_hash *h, bool complete, unsigned char sha256[32],
    struct vs_error *err);

#endif
