/* The byte filters: SHA-256 and size, a tap for format readers, and a
 * descriptor sink. */
#include "config.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "filter/filter.h"

struct sha256_state {
	EVP_MD_CTX *ctx;
	unsigned char md[32];
	uint64_t bytes;
};

static int
sha256_write(struct filter *f, const void *buf, size_t len, struct vs_error *err)
{
	struct sha256_state *s = f->priv;

	EVP_DigestUpdate(s->ctx, buf, len);
	s->bytes += len;
	return filter_pass(f, buf, len, err);
}

static int
sha256_finish(struct filter *f, struct vs_error *err)
{
	struct sha256_state *s = f->priv;

	(void)err;
	EVP_DigestFinal_ex(s->ctx, s->md, NULL);
	return 0;
}

static void
sha256_free(struct filter *f)
{
	struct sha256_state *s = f->priv;

	EVP_MD_CTX_free(s->ctx);
	free(s);
}

static const struct filter_type filter_sha256_type = {
	.name = "sha256",
	.write = sha256_write,
	.finish = sha256_finish,
	.free = sha256_free,
};

struct filter *
filter_sha256_new(void)
{
	struct sha256_state *s = xcalloc(1, sizeof *s);

	s->ctx = EVP_MD_CTX_new();
	if (s->ctx == NULL || EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL) != 1)
		fatal("cannot initialise SHA-256");
	return filter_new(&filter_sha256_type, s);
}

void
filter_sha256_result(const struct filter *f, unsigned char md[32], uint64_t *bytes)
{
	const struct sha256_state *s = f->priv;

	if (md != NULL)
		memcpy(md, s->md, sizeof s->md);
	if (bytes != NULL)
		*bytes = s->bytes;
}

struct tap_state {
	filter_tap_fn fn;
	void *ud;
};

static int
tap_write(struct filter *f, const void *buf, size_t len, struct vs_error *err)
{
	struct tap_state *t = f->priv;

	if (t->fn(t->ud, buf, len, err) != 0)
		return -1;
	return filter_pass(f, buf, len, err);
}

static void
priv_free(struct filter *f)
{
	free(f->priv);
}

static const struct filter_type filter_tap_type = {
	.name = "tap",
	.write = tap_write,
	.free = priv_free,
};

struct filter *
filter_tap_new(filter_tap_fn fn, void *ud)
{
	struct tap_state *t = xcalloc(1, sizeof *t);

	t->fn = fn;
	t->ud = ud;
	return filter_new(&filter_tap_type, t);
}

struct fd_sink {
	int fd;
	char *name;
};

static int
fd_sink_write(struct filter *f, const void *buf, size_t len, struct vs_error *err)
{
	struct fd_sink *s = f->priv;

	if (fs_write_full(s->fd, buf, len) != 0)
		return error_errno(err, errno == ENOSPC ? VS_ERR_NOSPACE : VS_ERR_IO, errno,
		    _("cannot write %s"), s->name);
	return filter_pass(f, buf, len, err);
}

static void
fd_sink_free(struct filter *f)
{
	struct fd_sink *s = f->priv;

	free(s->name);
	free(s);
}

static const struct filter_type filter_fd_sink_type = {
	.name = "fd",
	.write = fd_sink_write,
	.free = fd_sink_free,
};

struct filter *
filter_fd_sink_new(int fd, const char *name)
{
	struct fd_sink *s = xcalloc(1, sizeof *s);

	s->fd = fd;
	s->name = xstrdup(name);
	return filter_new(&filter_fd_sink_type, s);
}
