/*
 * The repository's cryptography (OpenSSL libcrypto): chunk ids, sealing of
 * chunks and objects with AES-256-GCM, and the passphrase KDF (scrypt).
 *
 * Chunk ids are SHA-256 of the chunk in a plain repository, HMAC-SHA256
 * under the id key in an encrypted one (so ids reveal nothing). Each
 * sealed thing gets a key of its own, HMAC-SHA256(encryption key, label ||
 * salt), where the salt is the chunk's id or 32 random bytes stored with
 * an object; a key is therefore used for one plaintext only, and the
 * random 96-bit nonce never meets the limits of random nonces under one
 * key.
 */
#ifndef VS_REPO_CRYPTO_H
#define VS_REPO_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define REPO_ID_SIZE 32
#define REPO_NONCE_SIZE 12
#define REPO_TAG_SIZE 16
#define REPO_SALT_SIZE 32
/* What sealing adds to a plaintext: nonce and tag. */
#define REPO_SEAL_OVERHEAD (REPO_NONCE_SIZE + REPO_TAG_SIZE)

/* The master key set of a repository. */
struct repo_keys {
	bool encrypted;
	unsigned char enc[32];    /* derives the key of each sealed thing */
	unsigned char mac[32];    /* keys the chunk ids */
	unsigned char seed[32];   /* the chunker's gear table */
};

/* Fill buf with random bytes from the OS's generator; fatal when it fails. */
void repo_random(void *buf, size_t len);

/* The id of a chunk. */
void repo_chunk_id(const struct repo_keys *k, const void *data, size_t len,
    unsigned char id[REPO_ID_SIZE]);

/* Seal len bytes: out (len + REPO_SEAL_OVERHEAD bytes) = nonce, ciphertext,
 * tag, under the key for (label, salt), authenticating aad too. */
void repo_seal(const struct repo_keys *k, const char *label, const unsigned char *salt,
    const void *aad, size_t aadlen, const void *in, size_t len, unsigned char *out);

/* Open what repo_seal made (len bytes at in) into out (len -
 * REPO_SEAL_OVERHEAD bytes). -1 when it was altered or the key is wrong. */
int repo_unseal(const struct repo_keys *k, const char *label, const unsigned char *salt,
    const void *aad, size_t aadlen, const void *in, size_t len, unsigned char *out);

/* AES-256-GCM with an explicit key (the key file's wrapping). */
void repo_gcm_seal(const unsigned char key[32], const void *aad, size_t aadlen,
    const void *in, size_t len, unsigned char *out);
int repo_gcm_open(const unsigned char key[32], const void *aad, size_t aadlen,
    const void *in, size_t len, unsigned char *out);

/* scrypt(passphrase, salt) into out[32]; -1 with err when OpenSSL refuses
 * the parameters. */
int repo_scrypt(const char *pass, size_t passlen, const unsigned char *salt, size_t saltlen,
    uint64_t n, uint64_t r, uint64_t p, unsigned char out[32], struct vs_error *err);

/* Hex encoding of len bytes into out (2 * len + 1). */
void repo_hex(const unsigned char *in, size_t len, char *out);
/* Decode exactly len bytes of hex; -1 when s is not that. */
int repo_unhex(const char *s, unsigned char *out, size_t len);

/* Wipe secrets before their memory is reused. */
void repo_wipe(void *p, size_t len);

#endif
