/* Chunk blobs and object envelopes (see blob.h). */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "repo/blob.h"

#define POOL_MAX 16

/* DESIGN: the pool's lock guards its two stacks; a context taken out
 * belongs to its taker until it is given back. */
struct zpool {
	pthread_mutex_t lock;
	ZSTD_CCtx *c[POOL_MAX];
	ZSTD_DCtx *d[POOL_MAX];
	int nc, nd;
};

void
codec_pool_init(struct repo_codec *c)
{
	c->pool = xcalloc(1, sizeof *c->pool);
	pthread_mutex_init(&c->pool->lock, NULL);
}

void
codec_pool_free(struct repo_codec *c)
{
	if (c->pool == NULL)
		return;
	for (int i = 0; i < c->pool->nc; i++)
		ZSTD_freeCCtx(c->pool->c[i]);
	for (int i = 0; i < c->pool->nd; i++)
		ZSTD_freeDCtx(c->pool->d[i]);
	pthread_mutex_destroy(&c->pool->lock);
	free(c->pool);
	c->pool = NULL;
}

static ZSTD_CCtx *
cctx_take(const struct repo_codec *c)
{
	ZSTD_CCtx *z = NULL;

	if (c->pool != NULL) {
		pthread_mutex_lock(&c->pool->lock);
		if (c->pool->nc > 0)
			z = c->pool->c[--c->pool->nc];
		pthread_mutex_unlock(&c->pool->lock);
	}
	if (z == NULL && (z = ZSTD_createCCtx()) == NULL)
		fatal("out of memory");
	return z;
}

static void
cctx_give(const struct repo_codec *c, ZSTD_CCtx *z)
{
	if (c->pool != NULL) {
		pthread_mutex_lock(&c->pool->lock);
		if (c->pool->nc < POOL_MAX) {
			c->pool->c[c->pool->nc++] = z;
			z = NULL;
		}
		pthread_mutex_unlock(&c->pool->lock);
	}
	ZSTD_freeCCtx(z);
}

static ZSTD_DCtx *
dctx_take(const struct repo_codec *c)
{
	ZSTD_DCtx *z = NULL;

	if (c->pool != NULL) {
		pthread_mutex_lock(&c->pool->lock);
		if (c->pool->nd > 0)
			z = c->pool->d[--c->pool->nd];
		pthread_mutex_unlock(&c->pool->lock);
	}
	if (z == NULL && (z = ZSTD_createDCtx()) == NULL)
		fatal("out of memory");
	return z;
}

static void
dctx_give(const struct repo_codec *c, ZSTD_DCtx *z)
{
	if (c->pool != NULL) {
		pthread_mutex_lock(&c->pool->lock);
		if (c->pool->nd < POOL_MAX) {
			c->pool->d[c->pool->nd++] = z;
			z = NULL;
		}
		pthread_mutex_unlock(&c->pool->lock);
	}
	ZSTD_freeDCtx(z);
}

static size_t
decompress(const struct repo_codec *c, void *out, size_t cap, const void *in, size_t len)
{
	ZSTD_DCtx *z = dctx_take(c);
	size_t n = ZSTD_decompressDCtx(z, out, cap, in, len);

	dctx_give(c, z);
	return n;
}

/* Compress into a new buffer behind pre bytes of room; NULL when zstd
 * saves less than gain percent of len (gain 0: when it saves nothing). */
static unsigned char *
compress(const struct repo_codec *c, const void *data, size_t len, size_t pre, int gain,
    size_t *outlen)
{
	size_t bound = ZSTD_compressBound(len), n;
	unsigned char *out = xmalloc(pre + bound);
	ZSTD_CCtx *z = cctx_take(c);

	n = ZSTD_compressCCtx(z, out + pre, bound, data, len, c->level);
	cctx_give(c, z);
	if (ZSTD_isError(n) || n >= len ||
	    (gain > 0 && (uint64_t)(len - n) * 100 < (uint64_t)len * (unsigned)gain)) {
		free(out);
		return NULL;
	}
	*outlen = pre + n;
	return out;
}

unsigned char *
blob_encode(const struct repo_codec *c, const unsigned char id[REPO_ID_SIZE],
    const void *data, size_t len, bool try_zstd, size_t *outlen, bool *zstd)
{
	unsigned char *plain = NULL, *sealed;
	size_t plen;

	if (c->level > 0 && try_zstd)
		plain = compress(c, data, len, 1, c->min_gain, &plen);
	if (zstd != NULL)
		*zstd = plain != NULL;
	if (plain != NULL) {
		plain[0] = BLOB_ZSTD;
	} else {
		plen = len + 1;
		plain = xmalloc(plen);
		plain[0] = BLOB_RAW;
		memcpy(plain + 1, data, len);
	}
	if (!c->keys->encrypted) {
		*outlen = plen;
		return plain;
	}
	sealed = xmalloc(plen + REPO_SEAL_OVERHEAD);
	repo_seal(c->keys, "chunk", id, id, REPO_ID_SIZE, plain, plen, sealed);
	free(plain);
	*outlen = plen + REPO_SEAL_OVERHEAD;
	return sealed;
}

int
blob_decode(const struct repo_codec *c, const unsigned char id[REPO_ID_SIZE],
    const void *blob, size_t len, void *out, size_t raw_len, struct vs_error *err)
{
	return blob_decode_opt(c, id, blob, len, out, raw_len, true, err);
}

int
blob_decode_opt(const struct repo_codec *c, const unsigned char id[REPO_ID_SIZE],
    const void *blob, size_t len, void *out, size_t raw_len, bool check_id,
    struct vs_error *err)
{
	const unsigned char *plain = blob;
	unsigned char *opened = NULL, check[REPO_ID_SIZE];
	size_t plen = len;
	int rc = -1;

	if (c->keys->encrypted) {
		if (len < REPO_SEAL_OVERHEAD + 1) {
			error_set(err, VS_ERR_VERIFY, _("too short to be a chunk"));
			return -1;
		}
		plen = len - REPO_SEAL_OVERHEAD;
		opened = xmalloc(plen);
		if (repo_unseal(c->keys, "chunk", id, id, REPO_ID_SIZE, blob, len, opened) != 0) {
			error_set(err, VS_ERR_VERIFY, _("the chunk does not decrypt (damaged)"));
			goto out;
		}
		plain = opened;
	}
	if (plen < 1) {
		error_set(err, VS_ERR_VERIFY, _("too short to be a chunk"));
		goto out;
	}
	if (plain[0] == BLOB_RAW) {
		if (plen - 1 != raw_len) {
			error_set(err, VS_ERR_VERIFY, _("the chunk holds %zu bytes, the index says %zu"),
			    plen - 1, raw_len);
			goto out;
		}
		memcpy(out, plain + 1, raw_len);
	} else if (plain[0] == BLOB_ZSTD) {
		size_t n = decompress(c, out, raw_len, plain + 1, plen - 1);

		if (ZSTD_isError(n) || n != raw_len) {
			error_set(err, VS_ERR_VERIFY, _("the chunk does not decompress to its %zu bytes"),
			    raw_len);
			goto out;
		}
	} else {
		error_set(err, VS_ERR_VERIFY, _("unknown chunk type %u"), plain[0]);
		goto out;
	}
	if (check_id)
		repo_chunk_id(c->keys, out, raw_len, check);
	if (check_id && memcmp(check, id, REPO_ID_SIZE) != 0) {
		error_set(err, VS_ERR_VERIFY, _("the chunk's content does not match its id"));
		goto out;
	}
	rc = 0;
out:
	free(opened);
	return rc;
}

unsigned char *
env_encode(const struct repo_codec *c, const char kind[4], const void *body, size_t len,
    size_t *outlen)
{
	unsigned char *z = NULL, *out, hdr[ENV_HEADER];
	const unsigned char *payload = body;
	size_t plen = len;

	memcpy(hdr, kind, 4);
	hdr[4] = 0;
	if (c->level > 0 && (z = compress(c, body, len, 0, 0, &plen)) != NULL) {
		hdr[4] |= ENV_ZSTD;
		payload = z;
	} else {
		plen = len;
	}
	if (c->keys->encrypted) {
		unsigned char salt[REPO_SALT_SIZE];

		hdr[4] |= ENV_SEALED;
		repo_random(salt, sizeof salt);
		*outlen = ENV_HEADER + REPO_SALT_SIZE + plen + REPO_SEAL_OVERHEAD;
		out = xmalloc(*outlen);
		memcpy(out, hdr, ENV_HEADER);
		memcpy(out + ENV_HEADER, salt, REPO_SALT_SIZE);
		repo_seal(c->keys, "object", salt, hdr, ENV_HEADER, payload, plen,
		    out + ENV_HEADER + REPO_SALT_SIZE);
	} else {
		*outlen = ENV_HEADER + plen;
		out = xmalloc(*outlen);
		memcpy(out, hdr, ENV_HEADER);
		memcpy(out + ENV_HEADER, payload, plen);
	}
	free(z);
	return out;
}

int
env_decode(const struct repo_codec *c, const char kind[4], const void *obj, size_t len,
    const char *where, unsigned char **body, size_t *bodylen, struct vs_error *err)
{
	const unsigned char *p = obj, *payload;
	unsigned char *opened = NULL, *out;
	size_t plen;
	unsigned flags;

	if (len < ENV_HEADER || memcmp(p, kind, 4) != 0)
		return error_set(err, VS_ERR_FORMAT, _("%s is not a repository object of kind %.4s"),
		    where, kind);
	flags = p[4];
	if (flags & ~(unsigned)(ENV_ZSTD | ENV_SEALED))
		return error_set(err, VS_ERR_FORMAT, _("%s: unknown flags 0x%02x"), where, flags);
	if (((flags & ENV_SEALED) != 0) != c->keys->encrypted)
		return error_set(err, VS_ERR_FORMAT, flags & ENV_SEALED ?
		    _("%s is encrypted, but the repository is not") :
		    _("%s is not encrypted, but the repository is"), where);
	payload = p + ENV_HEADER;
	plen = len - ENV_HEADER;
	if (flags & ENV_SEALED) {
		if (plen < REPO_SALT_SIZE + REPO_SEAL_OVERHEAD)
			return error_set(err, VS_ERR_FORMAT, _("%s is truncated"), where);
		opened = xmalloc(plen - REPO_SALT_SIZE - REPO_SEAL_OVERHEAD + 1);
		if (repo_unseal(c->keys, "object", payload, p, ENV_HEADER, payload + REPO_SALT_SIZE,
		    plen - REPO_SALT_SIZE, opened) != 0) {
			free(opened);
			return error_set(err, VS_ERR_VERIFY, _("%s does not decrypt: it is damaged"),
			    where);
		}
		payload = opened;
		plen -= REPO_SALT_SIZE + REPO_SEAL_OVERHEAD;
	}
	if (flags & ENV_ZSTD) {
		unsigned long long n = ZSTD_getFrameContentSize(payload, plen);
		size_t got;

		if (n == ZSTD_CONTENTSIZE_ERROR || n == ZSTD_CONTENTSIZE_UNKNOWN || n > ENV_MAX) {
			free(opened);
			return error_set(err, VS_ERR_FORMAT, _("%s: not a zstd frame of a known size"),
			    where);
		}
		out = xmalloc((size_t)n + 1);
		got = decompress(c, out, (size_t)n, payload, plen);
		if (ZSTD_isError(got) || got != n) {
			free(out);
			free(opened);
			return error_set(err, VS_ERR_FORMAT, _("%s does not decompress: it is damaged"),
			    where);
		}
		*bodylen = (size_t)n;
	} else {
		out = xmalloc(plen + 1);
		memcpy(out, payload, plen);
		*bodylen = plen;
	}
	out[*bodylen] = '\0';
	free(opened);
	*body = out;
	return 0;
}
