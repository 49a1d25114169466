/*
 * How the repository stores bytes (doc/FORMAT has the layout):
 *
 * A chunk is stored as a blob: a type byte (0 raw, 1 zstd frame) and the
 * payload; in an encrypted repository that whole plain blob is sealed
 * (AES-256-GCM under the chunk's own key, its id authenticated). zstd is
 * kept only where it saves at least the codec's min_gain percent of the
 * chunk (repository.compression_min_gain, default 15): what saves less
 * (float vectors save 5 to 8%) costs more to decompress at every restore
 * than it is worth. Readers take either form of every chunk.
 *
 * Other objects (pack tables, index files, manifests) are enveloped: four
 * bytes naming the kind, a flags byte (1: zstd, 2: sealed), then the body,
 * compressed and/or sealed (a random 32-byte salt before the sealed bytes;
 * the five header bytes authenticated).
 */
#ifndef VS_REPO_BLOB_H
#define VS_REPO_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "repo/crypto.h"

#define BLOB_RAW 0
#define BLOB_ZSTD 1

#define ENV_ZSTD 1
#define ENV_SEALED 2
#define ENV_HEADER 5

/* Largest decoded object the reader accepts (index files, manifests). */
#define ENV_MAX (256u * 1024 * 1024)

struct zpool;

struct repo_codec {
	const struct repo_keys *keys;
	int level;                /* zstd level; 0: no compression */
	struct zpool *pool;       /* zstd contexts kept for reuse (NULL: none) */
	int min_gain;             /* percent zstd must save on a chunk (0: any) */
};

/* Keep zstd contexts for reuse by the codec's users (any thread); a
 * context costs more to make than a small chunk to compress. */
void codec_pool_init(struct repo_codec *c);
void codec_pool_free(struct repo_codec *c);

/* Encode one chunk (its id already computed) into a new buffer; zstd is
 * tried only when try_zstd (and the codec compresses); *zstd (may be
 * NULL) tells whether it was kept. */
unsigned char *blob_encode(const struct repo_codec *c, const unsigned char id[REPO_ID_SIZE],
    const void *data, size_t len, bool try_zstd, size_t *outlen, bool *zstd);

/* Decode a stored blob into out (raw_len bytes) and check it is the chunk
 * id: -1 with VS_ERR_VERIFY when it is damaged or not that chunk. */
int blob_decode(const struct repo_codec *c, const unsigned char id[REPO_ID_SIZE],
    const void *blob, size_t len, void *out, size_t raw_len, struct vs_error *err);

/* The same, checking the content against the id only when check_id: a
 * reader that checks the whole file's SHA-256 anyway (a restore) skips
 * the hash of each chunk, and looks for the damaged one only when the
 * file's hash does not match. Decryption (authenticated, the id bound),
 * the type byte and the length are checked either way. */
int blob_decode_opt(const struct repo_codec *c, const unsigned char id[REPO_ID_SIZE],
    const void *blob, size_t len, void *out, size_t raw_len, bool check_id,
    struct vs_error *err);

/* Envelope body of len bytes as an object of kind (4 characters). */
unsigned char *env_encode(const struct repo_codec *c, const char kind[4], const void *body,
    size_t len, size_t *outlen);

/* Open an envelope of kind: the body in a new buffer (NUL-terminated).
 * where names the object in messages. */
int env_decode(const struct repo_codec *c, const char kind[4], const void *obj, size_t len,
    const char *where, unsigned char **body, size_t *bodylen, struct vs_error *err);

#endif
