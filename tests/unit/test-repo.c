/* Covers src/repo/chunker.c (cuts depend on content: an insertion changes
 * only the chunks around it; record hints keep records whole), blob.c
 * (chunks and envelopes, plain and sealed; damage is detected),
 * crypto.c (keyed ids, key wrapping primitives), and, on a repository
 * in a temp directory, writer.c, fetch.c and view.c (a restore reads each
 * chunk once, in few ranged reads; a damaged chunk in the middle of a
 * range fails it), check.c (the presence check before a restore) and
 * order.c (radix sorts agree with memcmp). */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/xmalloc.h"
#include "config/conf.h"
#include "repo/blob.h"
#include "repo/chunker.h"
#include "repo/crypto.h"
#include "repo/repo.h"
#include "repo/repo.intern.h"
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

/* A header of hdr bytes, then vectors of vsize bytes to the end: cut as
 * the backup cuts the codes of a flat index. */
static void
chunk_vectors(const unsigned char *data, size_t len, size_t hdr, uint32_t vsize,
    const struct chunker_params *p, struct cuts *out)
{
	struct chunker *c;
	unsigned char seed[32] = { 4, 5, 6 };
	struct filter *f = chunker_new(p, seed, &c);
	struct vs_error err;

	out->n = 0;
	filter_chain(f, filter_new(&cut_type, out));
	chunker_use_records(c);
	chunker_hint(c, hdr, true);
	chunker_records_every(c, hdr, len, vsize);
	for (size_t off = 0; off < len; off += 5000)
		filter_write(f, data + off, len - off < 5000 ? len - off : 5000, &err);
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
	/* Vectors of 384 bytes: chunks end between vectors, about one in
	 * four; a vector removed (the later ones move up) or one appended
	 * changes only the chunk that holds it. */
	{
		struct chunker_params vp = { 512, 2048, 16384 };
		size_t hdr = 100, nv = 2000, vlen = hdr + nv * 384, bad = 0, cut = 0;

		chunk_vectors(data, vlen, hdr, 384, &vp, &a);
		for (size_t i = 0; i < a.n; i++) {
			if (i > 0 && (cut - hdr) % 384 != 0)
				bad++;
			cut += a.len[i];
		}
		is_int((int)bad, 0, "vectors: every cut falls between two vectors");
		ok(a.n > nv * 384 / 4096 && a.n < nv * 384 / 768,
		    "  about 4 vectors a chunk (%zu chunks for %zu)", a.n, nv);
		memcpy(ins, data, hdr + 700 * 384);
		memcpy(ins + hdr + 700 * 384, data + hdr + 701 * 384, (nv - 701) * 384);
		chunk_vectors(ins, vlen - 384, hdr, 384, &vp, &b);
		ok(b.n - common_ids(&b, &a) <= 2, "  a vector removed: %zu new chunks",
		    b.n - common_ids(&b, &a));
		memcpy(ins, data, vlen);
		memcpy(ins + vlen, data + 5, 384);
		chunk_vectors(ins, vlen + 384, hdr, 384, &vp, &b);
		ok(b.n - common_ids(&b, &a) <= 1, "  a vector appended: %zu new chunk",
		    b.n - common_ids(&b, &a));
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
	struct repo_codec c = { .keys = &k, .level = 3, .min_gain = 0 };
	const char *text = "a chunk of text text text text text text text text text text text";
	unsigned char id[32], *blob, out[128], *body;
	size_t blen, olen;
	struct vs_error err;
	const char *what = encrypted ? "sealed" : "plain";

	repo_random(k.enc, 32);
	repo_random(k.mac, 32);
	repo_chunk_id(&k, text, strlen(text), id);
	blob = blob_encode(&c, id, text, strlen(text), true, &blen, NULL);
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

	/* A chunk zstd shrinks by about 30%: kept compressed when at least
	 * 20% must be saved, stored raw when 50% must; both read back. */
	{
		unsigned char data[4096], back[4096];
		bool z;

		repo_random(data, sizeof data);
		memset(data + 2048, 'x', 1200);
		repo_chunk_id(&k, data, sizeof data, id);
		c.min_gain = 20;
		blob = blob_encode(&c, id, data, sizeof data, true, &blen, &z);
		ok(z, "%s: a chunk zstd shrinks by 30%% is kept compressed at a minimum gain "
		    "of 20%%", what);
		is_int(blob_decode(&c, id, blob, blen, back, sizeof data, &err), 0,
		    "%s:   and decodes", what);
		free(blob);
		c.min_gain = 50;
		blob = blob_encode(&c, id, data, sizeof data, true, &blen, &z);
		ok(!z && (encrypted || blob[0] == BLOB_RAW),
		    "%s: stored raw at a minimum gain of 50%%", what);
		is_int(blob_decode(&c, id, blob, blen, back, sizeof data, &err), 0,
		    "%s:   and decodes", what);
		ok(memcmp(back, data, sizeof data) == 0, "%s:   to the same bytes", what);
		free(blob);
		c.min_gain = 0;
	}
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

struct reads {
	pthread_mutex_t lock;
	uint64_t calls, bytes;
};

static int
reads_cb(void *ud, uint64_t delta)
{
	struct reads *rd = ud;

	pthread_mutex_lock(&rd->lock);
	rd->calls++;
	rd->bytes += delta;
	pthread_mutex_unlock(&rd->lock);
	return 0;
}

/* The largest pack file under dir/repository/packs (its path into out;
 * with smallest, the smallest): the one of the file's own chunks, the
 * other holds its recipe. */
static bool
pack_by_size(const char *dir, bool smallest, char *out, size_t size)
{
	char *packs = fs_join(dir, "repository/packs");
	DIR *d = opendir(packs), *sub;
	struct dirent *e, *f;
	off_t best = smallest ? -1 : 0;
	int n = 0;

	while (d != NULL && (e = readdir(d)) != NULL) {
		char *p;

		if (e->d_name[0] == '.')
			continue;
		p = fs_join(packs, e->d_name);
		if ((sub = opendir(p)) != NULL) {
			while ((f = readdir(sub)) != NULL) {
				char *q = fs_join(p, f->d_name);
				struct stat sb;

				if (f->d_name[0] != '.' && stat(q, &sb) == 0 &&
				    (smallest ? best < 0 || sb.st_size < best : sb.st_size > best)) {
					best = sb.st_size;
					snprintf(out, size, "%s", q);
				}
				n += f->d_name[0] != '.';
				free(q);
			}
			closedir(sub);
		}
		free(p);
	}
	if (d != NULL)
		closedir(d);
	free(packs);
	return n == 2;
}

static bool
the_pack(const char *dir, char *out, size_t size)
{
	return pack_by_size(dir, false, out, size);
}

static void
test_restore(void)
{
	char tmpl[] = "/tmp/vs-test-repo-XXXXXX", pack[512], recipe[512], aside[520];
	char first[sizeof ((struct vs_error *)0)->msg];
	char *dir = mkdtemp(tmpl), *in = fs_join(dir, "in"), *outp = fs_join(dir, "out");
	struct config *cfg = config_defaults();
	struct storage *st = NULL;
	struct repo *r = NULL;
	struct repo_writer *w;
	struct manifest m;
	struct repo_file_check fc;
	struct reads rd = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct storage_progress progress = { .fn = reads_cb, .ud = &rd };
	struct vs_error err;
	size_t size = 6u * 1024 * 1024;
	unsigned char *data = xmalloc(size), *back = xmalloc(size);
	struct stat sb;
	int fd, ofd;

	/* Half text that compresses, half random bytes that do not. */
	srand(11);
	for (size_t i = 0; i < size; i++)
		data[i] = i < size / 2 ? (unsigned char)("0123456789,. "[rand() % 13]) :
		    (unsigned char)(rand() >> 7);
	free(cfg->backup_dir);
	cfg->backup_dir = xstrdup(dir);
	memset(&m, 0, sizeof m);
	snprintf(m.backup_id, sizeof m.backup_id, "20240101_000000");
	fd = open(in, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || fs_write_full(fd, data, size) != 0 || storage_open_local(cfg, &st, &err) != 0 ||
	    repo_open(cfg, st, true, NULL, &r, &err) != 0 ||
	    repo_writer_begin(r, NULL, m.backup_id, &w, &err) != 0 ||
	    repo_writer_file(w, REPO_KIND_FAISS, "content_index.faiss", fd, size, NULL, NULL, NULL,
	    NULL, &m.content.file, &err) != 0 || repo_writer_commit(w, &m, &err) != 0) {
		ok(0, "a repository with one file: %s", err.msg);
		goto out;
	}
	close(fd);
	ok(the_pack(dir, pack, sizeof pack), "the file is stored in one pack (and its recipe in another)");

	ofd = open(outp, O_RDWR | O_CREAT | O_TRUNC, 0600);
	is_int(repo_restore_file(r, &m, "content_index.faiss", ofd, &progress, &err), 0,
	    "the file is restored");
	ok(pread(ofd, back, size, 0) == (ssize_t)size && memcmp(back, data, size) == 0,
	    "  byte for byte");
	close(ofd);
	ok(rd.bytes == size, "  reading each chunk once (%llu bytes read for %zu)",
	    (unsigned long long)rd.bytes, size);
	ok(rd.calls >= 2 && rd.calls <= 4, "  in a few ranged reads of adjacent chunks (%llu)",
	    (unsigned long long)rd.calls);
	is_int(repo_check_present(r, &m, "content_index.faiss", &fc, &err), 0,
	    "the check before a restore runs");
	ok(fc.bad == 0 && fc.chunks > 100, "  and finds every chunk (%llu) indexed in a pack that "
	    "is there", (unsigned long long)fc.chunks);
	/* What the check found is kept for the restore that follows: it
	 * neither reads the recipe again nor looks a chunk up again. */
	ok(pack_by_size(dir, true, recipe, sizeof recipe) && strcmp(recipe, pack) != 0,
	    "  the recipe's own pack is found");
	snprintf(aside, sizeof aside, "%s.aside", recipe);
	rename(recipe, aside);
	ofd = open(outp, O_RDWR | O_CREAT | O_TRUNC, 0600);
	is_int(repo_restore_file(r, &m, "content_index.faiss", ofd, NULL, &err), 0,
	    "the restore after the check needs no recipe chunk: %s", err.msg);
	ok(pread(ofd, back, size, 0) == (ssize_t)size && memcmp(back, data, size) == 0,
	    "  byte for byte");
	close(ofd);
	ofd = open(outp, O_RDWR | O_CREAT | O_TRUNC, 0600);
	error_clear(&err);
	is_int(repo_restore_file(r, &m, "content_index.faiss", ofd, NULL, &err), -1,
	    "a second restore, with no check before it, reads the recipe (now missing)");
	ok(strstr(err.msg, "missing") != NULL, "  and says so: %s", err.msg);
	close(ofd);
	rename(aside, recipe);

	/* A flipped byte in the middle of the pack, so inside a range. */
	stat(pack, &sb);
	fd = open(pack, O_RDWR);
	pread(fd, back, 1, sb.st_size / 2);
	back[0] ^= 0x40;
	pwrite(fd, back, 1, sb.st_size / 2);
	close(fd);
	/* Once located by the check before the restore (the chunks without
	 * their ids), once by the restore itself. */
	for (int pass = 0; pass < 2; pass++) {
		const char *how = pass == 0 ? "after the check" : "alone";

		if (pass == 0)
			is_int(repo_check_present(r, &m, "content_index.faiss", &fc, &err), 0,
			    "the check before a restore does not read the damaged chunk");
		ofd = open(outp, O_RDWR | O_CREAT | O_TRUNC, 0600);
		error_clear(&err);
		is_int(repo_restore_file(r, &m, "content_index.faiss", ofd, NULL, &err), -1,
		    "a damaged chunk in the middle of a range fails the restore (%s)", how);
		is_int(err.code, VS_ERR_VERIFY, "  as damage");
		ok(strstr(err.msg, "chunk") != NULL && strstr(err.msg, "pack") != NULL,
		    "  naming the chunk and its pack: %s", err.msg);
		/* The byte is in a chunk stored raw: only its content is wrong,
		 * which the file's hash sees first; the chunks are then read
		 * again, each against its id. */
		ok(strstr(err.msg, "does not match its id") != NULL,
		    "  found by its id once the file's hash did not match");
		if (pass == 0)
			snprintf(first, sizeof first, "%s", err.msg);
		else
			is_str(err.msg, first, "  the same chunk either way");
		close(ofd);
	}
	is_int(repo_check_present(r, &m, "content_index.faiss", &fc, &err), 0,
	    "the presence check reads no chunk");
	is_int((int)fc.bad, 0, "  so it does not see the damage (the restore's reads do)");
	is_int(repo_check_file(r, &m, "content_index.faiss", NULL, &fc, &err), 0,
	    "the quick check reads every chunk");
	is_int((int)fc.bad, 1, "  and finds the damaged one");
	unlink(pack);
	is_int(repo_check_present(r, &m, "content_index.faiss", &fc, &err), 0,
	    "with the pack deleted");
	ok(fc.bad == m.content.file.chunks && strstr(fc.first, "missing") != NULL,
	    "  the presence check finds every chunk of the file missing: %s", fc.first);
out:
	free(m.content.file.recipe);
	repo_close(r);
	storage_close(st);
	fs_remove_tree(dir, NULL);
	config_free(cfg);
	free(in);
	free(outp);
	free(data);
	free(back);
}

/* A file still being written, as the backup reads it: whatever has been
 * written so far, in pieces of any size. */
struct growing {
	const unsigned char *data;
	size_t size;
	unsigned seed;
};

static int
growing_read(void *ud, void *buf, size_t len, uint64_t off, size_t *got, struct vs_error *err)
{
	struct growing *g = ud;
	size_t n = (size_t)(rand_r(&g->seed) % 70000) + 1;

	(void)err;
	if (n > len)
		n = len;
	if (n > g->size - off)
		n = g->size - (size_t)off;
	memcpy(buf, g->data + off, n);
	*got = n;
	return 0;
}

static const struct repo_source growing_source = { .read = growing_read };

/* A file stored as it is written (pieces of odd sizes) is cut into the
 * same chunks as the finished file read whole: the second backup of the
 * same bytes adds nothing, and its recipe is the same. */
static void
test_stream(void)
{
	char tmpl[] = "/tmp/vs-test-repo-XXXXXX";
	char *dir = mkdtemp(tmpl), *in = fs_join(dir, "in");
	struct config *cfg = config_defaults();
	struct storage *st = NULL;
	struct repo *r = NULL;
	struct repo_writer *w;
	struct manifest m1, m2;
	struct vs_error err;
	size_t size = 5u * 1024 * 1024 + 12345;
	unsigned char *data = xmalloc(size);
	struct growing g = { data, size, 5 };
	int fd;

	srand(13);
	for (size_t i = 0; i < size; i++)
		data[i] = (unsigned char)(rand() >> 7);
	free(cfg->backup_dir);
	cfg->backup_dir = xstrdup(dir);
	memset(&m1, 0, sizeof m1);
	memset(&m2, 0, sizeof m2);
	snprintf(m1.backup_id, sizeof m1.backup_id, "20240101_000000");
	snprintf(m2.backup_id, sizeof m2.backup_id, "20240102_000000");
	fd = open(in, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || fs_write_full(fd, data, size) != 0 || storage_open_local(cfg, &st, &err) != 0 ||
	    repo_open(cfg, st, true, NULL, &r, &err) != 0 ||
	    repo_writer_begin(r, NULL, m1.backup_id, &w, &err) != 0 ||
	    repo_writer_file(w, REPO_KIND_RDB, "redis.rdb", fd, size, NULL, NULL, NULL, NULL,
	    &m1.redis.file, &err) != 0 || repo_writer_commit(w, &m1, &err) != 0) {
		ok(0, "a repository with one file: %s", err.msg);
		goto out;
	}
	if (repo_writer_begin(r, NULL, m2.backup_id, &w, &err) != 0 ||
	    repo_writer_stream(w, REPO_KIND_RDB, "redis.rdb", &growing_source, &g, NULL, NULL,
	    NULL, NULL, &m2.redis.file, &err) != 0 || repo_writer_commit(w, &m2, &err) != 0) {
		ok(0, "the same file stored as it is written: %s", err.msg);
		goto out;
	}
	ok(m2.redis.file.size == size && strcmp(m1.redis.file.sha256, m2.redis.file.sha256) == 0,
	    "a file stored in pieces of odd sizes has the size and SHA-256 of the file");
	ok(m1.repo.new_chunks > 100 && m2.repo.new_chunks == 0,
	    "  and the same chunks: %llu new the first time, %llu the second",
	    (unsigned long long)m1.repo.new_chunks, (unsigned long long)m2.repo.new_chunks);
	ok(m1.redis.file.nrecipe == m2.redis.file.nrecipe && m1.redis.file.nrecipe > 0 &&
	    memcmp(m1.redis.file.recipe, m2.redis.file.recipe, m1.redis.file.nrecipe * 32) == 0,
	    "  and the same recipe");
out:
	if (fd >= 0)
		close(fd);
	free(m1.redis.file.recipe);
	free(m2.redis.file.recipe);
	repo_close(r);
	storage_close(st);
	fs_remove_tree(dir, NULL);
	config_free(cfg);
	free(in);
	free(data);
}

/* An index of more than INDEX_FILE_MAX entries goes into several files of
 * whole packs; the cache built from them finds every entry. */
static void
test_index_files(void)
{
	char tmpl[] = "/tmp/vs-test-index-XXXXXX";
	char *dir = mkdtemp(tmpl), *idir;
	struct config *cfg = config_defaults();
	struct storage *st = NULL;
	struct repo *r = NULL;
	struct repo_index *ix = NULL;
	struct index_pack packs[7];
	size_t ne = 5 * INDEX_FILE_MAX / 2, files = 0, wrong = 0, nkeys = 0;
	struct index_entry *e = xcalloc(ne, sizeof *e);
	char **keys = NULL;
	struct vs_error err;
	struct dirent *de;
	DIR *d;

	free(cfg->backup_dir);
	cfg->backup_dir = xstrdup(dir);
	if (storage_open_local(cfg, &st, &err) != 0 || repo_open(cfg, st, true, NULL, &r, &err) != 0) {
		ok(0, "a repository: %s", err.msg);
		goto out;
	}
	/* Packs 0 and 6 hold nothing; 1-5 share the entries unevenly. */
	memset(packs, 0, sizeof packs);
	for (size_t p = 0; p < 7; p++) {
		packs[p].id[0] = (unsigned char)(p + 1);
		packs[p].kind = REPO_KIND_RDB;
		packs[p].size = 1000 + p;
	}
	for (size_t i = 0; i < ne; i++) {
		repo_random(e[i].id, REPO_ID_SIZE);
		e[i].pack = (uint32_t)(1 + (i * i / 7) % 5);
		e[i].offset = (uint32_t)i;
		e[i].stored = e[i].raw = 100;
	}
	is_int(index_file_write(r, packs, 7, e, ne, &keys, &nkeys, &err), 0,
	    "an index of %zu entries is written", ne);
	idir = fs_join(dir, "repository/index");
	if ((d = opendir(idir)) != NULL) {
		while ((de = readdir(d)) != NULL)
			files += de->d_name[0] != '.';
		closedir(d);
	}
	free(idir);
	ok(files >= 3 && files == nkeys, "  in %zu files (%zu named)", files, nkeys);
	for (size_t i = 0; i < nkeys; i++)
		free(keys[i]);
	free(keys);
	if (repo_index_get(r, &ix, &err) != 0) {
		ok(0, "the index cache: %s", err.msg);
		goto out;
	}
	is_int((int)repo_index_count(ix), (int)ne, "  the cache holds every entry");
	is_int((int)repo_index_npacks(ix), 7, "  and every pack, those without entries too");
	for (size_t i = 0; i < ne; i++) {
		struct repo_loc loc;

		/* Sorted and renumbered in place: the offset says which. */
		size_t orig = e[i].offset;
		uint32_t want = (uint32_t)(1 + (orig * orig / 7) % 5);

		if (repo_index_find(ix, e[i].id, &loc, &err) != 1 || loc.offset != orig ||
		    loc.pack[0] != want + 1)
			wrong++;
	}
	is_int((int)wrong, 0, "  each entry found in its own pack");
	/* Objects read ahead, taken in order; one missing fails at its turn
	 * and what was read past it is freed. */
	{
		char *pk[8];
		size_t good = 0;
		struct repo_prefetch *pf;

		for (size_t i = 0; i < 8; i++) {
			char text[32];

			pk[i] = xasprintf("repository/prefetch-test-%zu", i);
			snprintf(text, sizeof text, "object %zu", i);
			if (i != 5)
				repo_put_named(r, pk[i], text, strlen(text), &err);
		}
		pf = repo_prefetch_start(r, pk, 8, 1024);
		for (size_t i = 0; i < 5; i++) {
			unsigned char *data = NULL;
			size_t len = 0;
			char text[32];

			snprintf(text, sizeof text, "object %zu", i);
			if (repo_prefetch_take(pf, i, &data, &len, &err) == 0 && len == strlen(text) &&
			    memcmp(data, text, len) == 0)
				good++;
			free(data);
		}
		is_int((int)good, 5, "objects read ahead arrive whole and in order");
		{
			unsigned char *data = NULL;
			size_t len = 0;

			error_clear(&err);
			is_int(repo_prefetch_take(pf, 5, &data, &len, &err), -1,
			    "  a missing one fails when it is taken");
			is_int(err.code, VS_ERR_NOTFOUND, "  as not found");
		}
		repo_prefetch_end(pf);
		for (size_t i = 0; i < 8; i++)
			free(pk[i]);
	}
	/* An entry claiming a chunk larger than any chunker makes is damage,
	 * not an allocation of that size. */
	{
		unsigned char body[4 + 4 + INDEX_PACK + 4 + INDEX_ENTRY] = { 1 };
		struct index_pack *pp = NULL;
		struct index_entry *ee = NULL;
		size_t npp = 0, nee = 0;

		body[4] = 1;
		body[4 + 4 + INDEX_PACK] = 1;
		memset(body + 4 + 4 + INDEX_PACK + 4 + 36, 0xff, 12);
		is_int(index_file_parse(body, sizeof body, "test", &pp, &npp, &ee, &nee, &err), -1,
		    "an index entry of 4 GiB is refused");
		is_int(err.code, VS_ERR_VERIFY, "  as damage");
		free(pp);
		free(ee);
	}
out:
	free(e);
	repo_close(r);
	storage_close(st);
	fs_remove_tree(dir, NULL);
	config_free(cfg);
}

static int
ref_pack_cmp(const void *a, const void *b)
{
	const struct fetch_item *x = a, *y = b;
	int c = memcmp(x->loc.pack, y->loc.pack, REPO_ID_SIZE);

	if (c != 0)
		return c;
	if (x->loc.offset != y->loc.offset)
		return x->loc.offset < y->loc.offset ? -1 : 1;
	return x->tag < y->tag ? -1 : x->tag > y->tag;
}

static int
ref_id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, REPO_ID_SIZE);
}

/* The radix orders of order.c against qsort with memcmp: pack ids that
 * share their first bytes, equal offsets (kept in their first order),
 * ids that share their first 8 bytes, duplicates, the zero pack id of a
 * chunk not in the index. */
static void
test_orders(void)
{
	size_t n = 20000, bad = 0;
	struct fetch_item *a = xcalloc(n, sizeof *a), *b = xcalloc(n, sizeof *b);
	unsigned char (*ids)[REPO_ID_SIZE] = xcalloc(n, REPO_ID_SIZE);
	unsigned char (*ref)[REPO_ID_SIZE] = xcalloc(n, REPO_ID_SIZE);
	unsigned seed = 7;

	for (size_t i = 0; i < n; i++) {
		unsigned p = (seed = seed * 1103515245u + 12345u) >> 16;

		/* 300 packs; half of them differ only in their last byte. */
		p %= 300;
		memset(a[i].loc.pack, p < 150 ? 0xab : (int)(p & 0xff), REPO_ID_SIZE);
		a[i].loc.pack[31] = (unsigned char)p;
		if (p == 7)
			memset(a[i].loc.pack, 0, REPO_ID_SIZE);
		a[i].loc.offset = ((seed = seed * 1103515245u + 12345u) >> 16) % 500;
		a[i].tag = i;
		for (size_t k = 0; k < REPO_ID_SIZE; k++)
			ids[i][k] = (unsigned char)((seed = seed * 1103515245u + 12345u) >> 16);
		if (i % 5 == 1)
			memcpy(ids[i], ids[i - 1], 8 + i % 3);
		if (i % 11 == 2)
			memcpy(ids[i], ids[i - 1], REPO_ID_SIZE);
	}
	memcpy(b, a, n * sizeof *a);
	qsort(b, n, sizeof *b, ref_pack_cmp);
	repo_sort_by_pack(a, n);
	for (size_t i = 0; i < n; i++)
		bad += memcmp(a[i].loc.pack, b[i].loc.pack, REPO_ID_SIZE) != 0 ||
		    a[i].loc.offset != b[i].loc.offset || a[i].tag != b[i].tag;
	ok(bad == 0, "items sorted by pack and offset as memcmp does, ties in their order "
	    "(%zu differ)", bad);
	memcpy(ref, ids, n * REPO_ID_SIZE);
	qsort(ref, n, REPO_ID_SIZE, ref_id_cmp);
	repo_sort_ids(ids, n);
	ok(memcmp(ids, ref, n * REPO_ID_SIZE) == 0,
	    "ids sorted as memcmp does, also where their first 8 bytes are equal");
	/* Index entries: an id, then what follows it; unsorted again from
	 * the ids' first order. */
	{
		struct index_entry *e = xcalloc(n, sizeof *e), *r = xcalloc(n, sizeof *r);

		for (size_t i = 0; i < n; i++) {
			memcpy(e[i].id, ref[(i * 7919) % n], REPO_ID_SIZE);
			e[i].offset = (uint32_t)((i * 7919) % n);
			e[i].pack = e[i].stored = e[i].raw = (uint32_t)i;
		}
		memcpy(r, e, n * sizeof *e);
		qsort(r, n, sizeof *r, ref_id_cmp);
		repo_sort_by_id(e, n, sizeof *e);
		bad = 0;
		for (size_t i = 0; i < n; i++)
			bad += memcmp(e[i].id, r[i].id, REPO_ID_SIZE) != 0 ||
			    e[i].stored != e[i].pack || e[i].raw != e[i].pack ||
			    memcmp(e[i].id, ref[e[i].offset], REPO_ID_SIZE) != 0;
		ok(bad == 0, "index entries sorted by id as memcmp does, each whole (%zu differ)",
		    bad);
		free(e);
		free(r);
	}
	repo_sort_by_pack(a, 1);
	repo_sort_ids(ids, 0);
	ok(1, "lists of one and of none");
	free(a);
	free(b);
	free(ids);
	free(ref);
}

int
main(void)
{
	test_chunker();
	test_blobs(false);
	test_blobs(true);
	test_ids();
	test_restore();
	test_stream();
	test_index_files();
	test_orders();
	return tap_done();
}
