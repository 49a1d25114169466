/* The repository's cryptography on OpenSSL (see crypto.h). */
#include "config.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <string.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "repo/crypto.h"

void
repo_random(void *buf, size_t len)
{
	if (RAND_bytes(buf, (int)len) != 1)
		fatal("the random number generator failed");
}

/* SHA-256 looked up once: EVP_sha256() makes OpenSSL find the algorithm
 * at every digest, as long as hashing a recipe chunk of a few ids. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void
sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void
repo_chunk_id(const struct repo_keys *k, const void *data, size_t len,
    unsigned char id[REPO_ID_SIZE])
{
	unsigned int n = REPO_ID_SIZE;

	if (!k->encrypted) {
		pthread_once(&sha256_once, sha256_fetch);
		if (EVP_Digest(data, len, id, NULL, sha256_md != NULL ? sha256_md : EVP_sha256(),
		    NULL) != 1)
			fatal("SHA-256 failed");
		return;
	}
	if (HMAC(EVP_sha256(), k->mac, sizeof k->mac, data, len, id, &n) == NULL)
		fatal("HMAC-SHA256 failed");
}

/* HMAC-SHA256(enc, label || salt): the key of one sealed thing. */
static void
derive(const struct repo_keys *k, const char *label, const unsigned char *salt,
    unsigned char key[32])
{
	unsigned char msg[64 + REPO_SALT_SIZE];
	size_t ll = strlen(label);
	unsigned int n = 32;

	if (ll > 64)
		ll = 64;
	memcpy(msg, label, ll);
	memcpy(msg + ll, salt, REPO_SALT_SIZE);
	if (HMAC(EVP_sha256(), k->enc, sizeof k->enc, msg, ll + REPO_SALT_SIZE, key, &n) == NULL)
		fatal("HMAC-SHA256 failed");
}

void
repo_gcm_seal(const unsigned char key[32], const void *aad, size_t aadlen,
    const void *in, size_t len, unsigned char *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n;

	repo_random(out, REPO_NONCE_SIZE);
	if (c == NULL || EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, out) != 1 ||
	    (aadlen > 0 && EVP_EncryptUpdate(c, NULL, &n, aad, (int)aadlen) != 1) ||
	    EVP_EncryptUpdate(c, out + REPO_NONCE_SIZE, &n, in, (int)len) != 1 ||
	    EVP_EncryptFinal_ex(c, out + REPO_NONCE_SIZE + n, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, REPO_TAG_SIZE,
	    out + REPO_NONCE_SIZE + len) != 1)
		fatal("AES-256-GCM encryption failed");
	EVP_CIPHER_CTX_free(c);
}

int
repo_gcm_open(const unsigned char key[32], const void *aad, size_t aadlen,
    const void *in, size_t len, unsigned char *out)
{
	const unsigned char *p = in;
	size_t clen;
	EVP_CIPHER_CTX *c;
	int n, rc = -1;

	if (len < REPO_SEAL_OVERHEAD)
		return -1;
	clen = len - REPO_SEAL_OVERHEAD;
	c = EVP_CIPHER_CTX_new();
	if (c == NULL)
		fatal("out of memory");
	if (EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, p) == 1 &&
	    (aadlen == 0 || EVP_DecryptUpdate(c, NULL, &n, aad, (int)aadlen) == 1) &&
	    EVP_DecryptUpdate(c, out, &n, p + REPO_NONCE_SIZE, (int)clen) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, REPO_TAG_SIZE,
	    (void *)(p + REPO_NONCE_SIZE + clen)) == 1 &&
	    EVP_DecryptFinal_ex(c, out + n, &n) == 1)
		rc = 0;
	EVP_CIPHER_CTX_free(c);
	return rc;
}

void
repo_seal(const struct repo_keys *k, const char *label, const unsigned char *salt,
    const void *aad, size_t aadlen, const void *in, size_t len, unsigned char *out)
{
	unsigned char key[32];

	derive(k, label, salt, key);
	repo_gcm_seal(key, aad, aadlen, in, len, out);
	repo_wipe(key, sizeof key);
}

int
repo_unseal(const struct repo_keys *k, const char *label, const unsigned char *salt,
    const void *aad, size_t aadlen, const void *in, size_t len, unsigned char *out)
{
	unsigned char key[32];
	int rc;

	derive(k, label, salt, key);
	rc = repo_gcm_open(key, aad, aadlen, in, len, out);
	repo_wipe(key, sizeof key);
	return rc;
}

int
repo_scrypt(const char *pass, size_t passlen, const unsigned char *salt, size_t saltlen,
    uint64_t n, uint64_t r, uint64_t p, unsigned char out[32], struct vs_error *err)
{
	/* 128 * r * n bytes of work memory, plus room. */
	uint64_t maxmem = 128 * r * n + 1024 * 1024;

	if (EVP_PBE_scrypt(pass, passlen, salt, saltlen, n, r, p, maxmem, out, 32) != 1)
		return error_set(err, VS_ERR_FORMAT,
		    _("the key derivation (scrypt N=%llu r=%llu p=%llu) failed: the parameters "
		      "in the key file are not usable"), (unsigned long long)n,
		    (unsigned long long)r, (unsigned long long)p);
	return 0;
}

void
repo_hex(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
repo_unhex(const char *s, unsigned char *out, size_t len)
{
	if (strlen(s) != 2 * len)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

void
repo_wipe(void *p, size_t len)
{
	OPENSSL_cleanse(p, len);
}
