/* Covers src/repo/chunker.c (cuts depend on content: an insertion changes
 * only the chunks around it; record hints keep records whole), blob.c
 * (chunks and envelopes, plain and sealed; damage is detected) and
 * crypto.c (keyed ids, key wrapping primitives). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "repo/blob.h"
#include "repo/chunker.h"
#include "repo/crypto.h"
#include "tap.h"

struct cuts {
	size_t len[100000];
	unsigned char id[100000][32];
	size_t n;
};

static int
cut_write(struct filter *f, const void *buf, size_t len, struct vs_error *err)
{
	struct cuts *c = f->priv;
	struct repo_keys k = { 0 };

	(void)err;
	c->len[c->n] = len;
	repo_chunk_id(&k, buf, len, c->id[c->n]);
	c->n++;
	return 0;
}

static const struct filter_type cut_type = { .name = "cuts", .write = cut_write };

static void
chunk(const unsigned char *data, size_t len, const struct chunker_params *p,
    const size_t *records, size_t nrec, struct cuts *out)
{
	struct chunker *c;
	unsigned char seed[32] = { 1, 2, 3 };
	struct filter *f = chunker_new(p, seed, &c);
	struct vs_error err;
	size_t off = 0, r = 0;

	out->n = 0;
	filter_chain(f, filter_new(&cut_type, out));
	if (records != NULL)
		chunker_use_records(c);
	/* Odd write sizes, and hints only for what has been written. */
	while (off < len) {
		size_t n = len - off < 7777 ? len - off : 7777;

		while (records != NULL && r < nrec && records[r] < off + n)
			chunker_hint(c, records[r++], false);
		filter_write(f, data + off, n, &err);
		off += n;
	}
	filter_finish(f, &err);
	filter_chain_free(f);
}

static size_t
common_ids(const struct cuts *a, const struct cuts *b)
{
	size_t same = 0;

	for (size_t i = 0; i < a->n; i++)
		for (size_t j = 0; j < b->n; j++)
			if (memcmp(a->id[i], b->id[j], 32) == 0) {
				same++;
				break;
			}
	return same;
}

static void
test_chunker(void)
{
	static struct cuts a, b;
	struct chunker_params p = { 1024, 4096, 32768 };
	size_t len = 1 << 20, total = 0, maxlen = 0, minlen = len;
	unsigned char *data = xmalloc(len + 100), *ins = xmalloc(len + 100);

	srand(7);
	for (size_t i = 0; i < len; i++)
		data[i] = (unsigned char)(rand() >> 7);
	chunk(data, len, &p, NULL, 0, &a);
	for (size_t i = 0; i < a.n; i++) {
		total += a.len[i];
		if (a.len[i] > maxlen)
			maxlen = a.len[i];
		if (i + 1 < a.n && a.len[i] < minlen)
			minlen = a.len[i];
	}
	is_int((int)total, (int)len, "chunks add up to the input");
	ok(minlen >= p.min && maxlen <= p.max, "sizes within min %zu and max %zu", minlen, maxlen);
	ok(a.n > len / p.avg / 2 && a.n < len / p.avg * 2, "about one chunk per average size (%zu)",
	    a.n);
	/* 100 bytes inserted in the middle: the rest is cut the same. */
	memcpy(ins, data, len / 2);
	memset(ins + len / 2, 'x', 100);
	memcpy(ins + len / 2 + 100, data + len / 2, len / 2);
	chunk(ins, len + 100, &p, NULL, 0, &b);
	ok(common_ids(&a, &b) + 3 >= a.n, "an insertion changes at most 3 chunks (%zu of %zu same)",
	    common_ids(&a, &b), a.n);

	/* Records of 2600 bytes: each is a chunk of its own, and changing one
	 * changes exactly one chunk. */
	{
		static size_t rec[1000];
		struct chunker_params rp = { 1024, 2048, 65536 };
		size_t nrec = len / 2600;

		for (size_t i = 0; i < nrec; i++)
			rec[i] = i * 2600;
		chunk(data, nrec * 2600, &rp, rec, nrec, &a);
		is_int((int)a.n, (int)nrec, "with record hints: one chunk per record");
		data[2600 * 10 + 5] ^= 1;
		chunk(data, nrec * 2600, &rp, rec, nrec, &b);
		is_int((int)common_ids(&a, &b), (int)nrec - 1, "  a changed record changes one chunk");
	}
	/* A forced hint always starts a chunk. */
	{
		size_t force = 123457;
		struct chunker *c;
		unsigned char seed[32] = { 0 };
		struct filter *f = chunker_new(&p, seed, &c);
		struct vs_error err;
		bool found = false;

		filter_chain(f, filter_new(&cut_type, &a));
		a.n = 0;
		chunker_hint(c, force, true);
		filter_write(f, data, len, &err);
		filter_finish(f, &err);
		filter_chain_free(f);
		total = 0;
		for (size_t i = 0; i < a.n && total <= force; i++) {
			if (total == force)
				found = true;
			total += a.len[i];
		}
		ok(found, "a forced cut at %zu", force);
	}
	free(data);
	free(ins);
}

static void
test_blobs(bool encrypted)
{
	struct repo_keys k = { .encrypted = encrypted };
	struct repo_codec c = { &k, 3, NULL };
	const char *text = "a chunk of text text text text text text text text text text text";
	unsigned char id[32], *blob, out[128], *body;
	size_t blen, olen;
	struct vs_error err;
	const char *what = encrypted ? "sealed" : "plain";

	repo_random(k.enc, 32);
	repo_random(k.mac, 32);
	repo_chunk_id(&k, text, strlen(text), id);
	blob = blob_encode(&c, id, text, strlen(text), &blen);
	ok(encrypted || blob[0] == BLOB_ZSTD, "%s: repetitive text is stored compressed", what);
	ok(memmem(blob, blen, "text text", 9) == NULL || !encrypted,
	    "%s: the plaintext is not in the blob", what);
	is_int(blob_decode(&c, id, blob, blen, out, strlen(text), &err), 0, "%s: decodes", what);
	ok(memcmp(out, text, strlen(text)) == 0, "%s: to the same bytes", what);
	blob[blen / 2] ^= 0x10;
	is_int(blob_decode(&c, id, blob, blen, out, strlen(text), &err), -1,
	    "%s: a flipped bit is detected", what);
	is_int(err.code, VS_ERR_VERIFY, "%s:   as a verification failure", what);
	free(blob);
	blob = env_encode(&c, "VSMF", text, strlen(text), &blen);
	is_int(env_decode(&c, "VSMF", blob, blen, "m", &body, &olen, &err), 0, "%s: envelope", what);
	ok(olen == strlen(text) && memcmp(body, text, olen) == 0, "%s:   round trip", what);
	free(body);
	is_int(env_decode(&c, "VSIX", blob, blen, "m", &body, &olen, &err), -1,
	    "%s: an envelope of another kind is refused", what);
	free(blob);
}

static void
test_ids(void)
{
	struct repo_keys plain = { 0 }, k1 = { .encrypted = true }, k2 = { .encrypted = true };
	unsigned char a[32], b[32], c[32];

	repo_random(k1.mac, 32);
	repo_random(k2.mac, 32);
	repo_chunk_id(&plain, "x", 1, a);
	repo_chunk_id(&k1, "x", 1, b);
	repo_chunk_id(&k2, "x", 1, c);
	ok(memcmp(a, b, 32) != 0 && memcmp(b, c, 32) != 0,
	    "encrypted repositories key their chunk ids (no plain SHA-256 to compare)");
}

int
main(void)
{
	test_chunker();
	test_blobs(false);
	test_blobs(true);
	test_ids();
	return tap_done();
}
