/*
 * Packs: many stored chunks in one object (tens of MiB), built in a spool
 * file and stored under the SHA-256 of their bytes. The table of the
 * chunks is at the end, so an index can be rebuilt from the packs alone:
 *
 *   "VSPK" version(1) kind(1) 0 0 | blob... | table envelope "VSPT" |
 *   table length (u32 LE) | "VSPE"
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "repo/repo.intern.h"

struct pack_writer {
	struct repo *r;
	enum repo_kind kind;
	int fd;
	char *spool;
	struct filter *chain;     /* SHA-256 and size of what is stored -> spool */
	uint64_t size;
	struct index_entry *entries;
	size_t n, cap;
};

static void
put_u32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t
get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int
pw_write(struct pack_writer *pw, const void *buf, size_t len, struct vs_error *err)
{
	if (filter_write(pw->chain, buf, len, err) != 0)
		return -1;
	pw->size += len;
	return 0;
}

int
pack_writer_new(struct repo *r, enum repo_kind kind, struct pack_writer **out,
    struct vs_error *err)
{
	struct pack_writer *pw = xcalloc(1, sizeof *pw);
	unsigned char hdr[PACK_HEADER] = { 'V', 'S', 'P', 'K', 1, (unsigned char)kind, 0, 0 };

	pw->r = r;
	pw->kind = kind;
	if (storage_spool_open(r->cfg, &pw->fd, &pw->spool, err) != 0) {
		free(pw);
		return -1;
	}
	pw->chain = filter_chain(filter_sha256_new(), filter_fd_sink_new(pw->fd, pw->spool));
	if (pw_write(pw, hdr, sizeof hdr, err) != 0) {
		pack_writer_free(pw);
		return -1;
	}
	*out = pw;
	return 0;
}

int
pack_writer_add(struct pack_writer *pw, const unsigned char id[REPO_ID_SIZE],
    const void *blob, size_t len, uint32_t raw, uint32_t *offset, struct vs_error *err)
{
	struct index_entry *e;

	if (pw->n == pw->cap) {
		pw->cap = pw->cap ? 2 * pw->cap : 1024;
		pw->entries = xreallocarray(pw->entries, pw->cap, sizeof *pw->entries);
	}
	e = &pw->entries[pw->n];
	memcpy(e->id, id, REPO_ID_SIZE);
	e->offset = (uint32_t)pw->size;
	e->stored = (uint32_t)len;
	e->raw = raw;
	if (pw_write(pw, blob, len, err) != 0)
		return -1;
	pw->n++;
	*offset = e->offset;
	return 0;
}

uint64_t
pack_writer_size(const struct pack_writer *pw)
{
	return pw->size;
}

size_t
pack_writer_count(const struct pack_writer *pw)
{
	return pw->n;
}

int
pack_writer_finish(struct pack_writer *pw, unsigned char id[REPO_ID_SIZE], uint64_t *size,
    struct vs_error *err)
{
	size_t blen = 4 + pw->n * PACK_ENTRY, tlen;
	unsigned char *body = xmalloc(blen), *table, foot[PACK_FOOTER];
	struct storage_body sb;
	char *key = NULL;
	int rc = -1;

	put_u32(body, (uint32_t)pw->n);
	for (size_t i = 0; i < pw->n; i++) {
		unsigned char *p = body + 4 + i * PACK_ENTRY;

		memcpy(p, pw->entries[i].id, REPO_ID_SIZE);
		put_u32(p + 32, pw->entries[i].offset);
		put_u32(p + 36, pw->entries[i].stored);
		put_u32(p + 40, pw->entries[i].raw);
	}
	table = env_encode(&pw->r->codec, "VSPT", body, blen, &tlen);
	free(body);
	put_u32(foot, (uint32_t)tlen);
	memcpy(foot + 4, "VSPE", 4);
	if (pw_write(pw, table, tlen, err) != 0 || pw_write(pw, foot, sizeof foot, err) != 0 ||
	    filter_finish(pw->chain, err) != 0) {
		free(table);
		return -1;
	}
	free(table);
	filter_sha256_result(pw->chain, id, NULL);
	key = repo_pack_key(id);
	sb = storage_body_fd(pw->fd, 0, pw->size);
	sb.sha256 = id;
	sb.spool_path = pw->spool;
	rc = storage_obj_put(pw->r->st, key, &sb, NULL, err);
	if (rc != 0)
		error_prefix(err, _("storing pack %s"), key);
	*size = pw->size;
	free(key);
	return rc;
}

void
pack_writer_free(struct pack_writer *pw)
{
	if (pw == NULL)
		return;
	filter_chain_free(pw->chain);
	if (pw->fd >= 0)
		close(pw->fd);
	if (pw->spool != NULL) {
		unlink(pw->spool);
		free(pw->spool);
	}
	free(pw->entries);
	free(pw);
}

int
pack_read_kind(struct repo *r, const unsigned char id[REPO_ID_SIZE], uint8_t *kind,
    struct vs_error *err)
{
	char *key = repo_pack_key(id);
	unsigned char hdr[PACK_HEADER];
	struct storage_sink sink = { .buf = hdr, .fd = -1 };
	int rc = storage_obj_get(r->st, key, 0, PACK_HEADER, &sink, NULL, NULL, err);

	if (rc == 0 && (memcmp(hdr, "VSPK", 4) != 0 || hdr[5] > REPO_KIND_META))
		rc = error_set(err, VS_ERR_VERIFY, _("%s/%s: not a pack"), storage_location(r->st),
		    key);
	else if (rc == 0)
		*kind = hdr[5];
	free(key);
	return rc;
}

int
pack_read_table(struct repo *r, const unsigned char id[REPO_ID_SIZE],
    struct index_entry **entries, size_t *n, struct vs_error *err)
{
	char *key = repo_pack_key(id), *where;
	struct storage_sink sink = { .fd = -1 };
	struct storage_stat sb;
	unsigned char foot[PACK_FOOTER], *table = NULL, *body = NULL;
	size_t blen;
	uint32_t tlen, count;
	int rc = -1;

	where = xasprintf("%s/%s", storage_location(r->st), key);
	if (storage_obj_head(r->st, key, &sb, err) != 0)
		goto out;
	sink.buf = foot;
	if (sb.size < PACK_HEADER + PACK_FOOTER) {
		error_set(err, VS_ERR_VERIFY, _("%s: too short to be a pack"), where);
		goto out;
	}
	if (storage_obj_get(r->st, key, sb.size - PACK_FOOTER, PACK_FOOTER, &sink, sb.etag, NULL,
	    err) != 0)
		goto out;
	tlen = get_u32(foot);
	if (memcmp(foot + 4, "VSPE", 4) != 0 || tlen > sb.size - PACK_HEADER - PACK_FOOTER) {
		error_set(err, VS_ERR_VERIFY, _("%s: not a pack (no table at its end)"), where);
		goto out;
	}
	table = xmalloc(tlen);
	sink.buf = table;
	if (storage_obj_get(r->st, key, sb.size - PACK_FOOTER - tlen, tlen, &sink, sb.etag, NULL,
	    err) != 0)
		goto out;
	if (env_decode(&r->codec, "VSPT", table, tlen, where, &body, &blen, err) != 0)
		goto out;
	if (blen < 4 || (count = get_u32(body), (blen - 4) / PACK_ENTRY != count) ||
	    (blen - 4) % PACK_ENTRY != 0) {
		error_set(err, VS_ERR_VERIFY, _("%s: the pack's table is damaged"), where);
		goto out;
	}
	*entries = xcalloc(count + 1, sizeof **entries);
	for (uint32_t i = 0; i < count; i++) {
		const unsigned char *p = body + 4 + (size_t)i * PACK_ENTRY;
		struct index_entry *e = &(*entries)[i];

		memcpy(e->id, p, REPO_ID_SIZE);
		e->offset = get_u32(p + 32);
		e->stored = get_u32(p + 36);
		e->raw = get_u32(p + 40);
		if ((uint64_t)e->offset + e->stored > sb.size - PACK_FOOTER - tlen ||
		    e->offset < PACK_HEADER) {
			free(*entries);
			*entries = NULL;
			error_set(err, VS_ERR_VERIFY, _("%s: the pack's table is damaged"), where);
			goto out;
		}
	}
	*n = count;
	rc = 0;
out:
	free(table);
	free(body);
	free(where);
	free(key);
	return rc;
}
