/*
 * Which documents a drill reads whole: a sample of a prefix's keys that
 * depends only on the set of keys and the seed, never on the order in
 * which SCAN returned them. Each key gets a keyed 64-bit hash; the sample
 * is the keys with the smallest hashes (bottom-k sampling), so the same
 * backup drilled twice with the same seed checks the same documents.
 */
#ifndef VS_DRILL_SAMPLE_H
#define VS_DRILL_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

/* A Redis key: binary-safe, NUL-terminated for messages. */
struct drill_key {
	char *p;
	size_t len;
};

/* The keyed hash of one key. */
uint64_t drill_sample_hash(uint64_t seed, const char *key, size_t len);

/*
 * Choose min(k, n) of the n distinct keys: writes their positions in keys
 * to picked (room for k entries), in the order of their hashes, and
 * returns how many were chosen.
 */
size_t drill_sample_pick(const struct drill_key *keys, size_t n, size_t k, uint64_t seed,
    size_t *picked);

#endif
