/*
 * Covers src/common/follow-hash.c: the SHA-256 of a file hashed while
 * another thread fills it out of order (as parallel ranged downloads do)
 * equals the SHA-256 of its bytes; with no progress reported it still
 * hashes the whole file; stopping early returns; a file shorter than
 * promised is an error naming it.
 */
#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/fsutil.h"
#include "common/follow-hash.h"
#include "tests/unit/tap.h"

#define SIZE (24 * 1024 * 1024 + 12345)
#define BLOCK (256 * 1024)
#define WINDOW 4                  /* blocks in flight at once */

struct writer {
	int fd;
	const unsigned char *data;
	struct follow_hash *h;
	uint64_t reported;        /* the largest prefix reported */
};

/* Write the blocks of each window last first, reporting the whole prefix
 * after every block, as a download with WINDOW ranges at a time would. */
static void *
writer_run(void *arg)
{
	struct writer *w = arg;
	size_t nblocks = (SIZE + BLOCK - 1) / BLOCK, base, i, prefix_blocks = 0;
	bool *done = calloc(nblocks, sizeof *done);

	for (base = 0; base < nblocks; base += WINDOW) {
		for (i = base + WINDOW; i-- > base;) {
			size_t len;

			if (i >= nblocks)
				continue;
			len = i == nblocks - 1 ? SIZE - i * BLOCK : BLOCK;
			if (pwrite(w->fd, w->data + i * BLOCK, len, (off_t)(i * BLOCK)) != (ssize_t)len)
				abort();
			done[i] = true;
			while (prefix_blocks < nblocks && done[prefix_blocks])
				prefix_blocks++;
			w->reported = prefix_blocks == nblocks ? SIZE : prefix_blocks * (uint64_t)BLOCK;
			follow_hash_landed(w->h, w->reported);
		}
	}
	free(done);
	return NULL;
}

static int
make_file(char *path)
{
	int fd = mkstemp(path);

	if (fd < 0) {
		perror(path);
		exit(2);
	}
	return fd;
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	char path[4096];
	unsigned char *data = malloc(SIZE), want[32], got[32];
	struct writer w;
	struct vs_error err;
	pthread_t t;
	int fd, rc;

	snprintf(path, sizeof path, "%s/test-follow-hash.XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
	srand(7);
	for (size_t i = 0; i < SIZE; i++)
		data[i] = (unsigned char)rand();
	EVP_Digest(data, SIZE, want, NULL, EVP_sha256(), NULL);

	/* Filled out of order while being hashed. */
	fd = make_file(path);
	w = (struct writer){ .fd = fd, .data = data };
	w.h = follow_hash_start(fd, SIZE, path);
	pthread_create(&t, NULL, writer_run, &w);
	pthread_join(t, NULL);
	is_int(w.reported, SIZE, "the writer reported the whole file in the end");
	rc = follow_hash_finish(w.h, true, got, &err);
	is_int(rc, 0, "hashing a file filled out of order succeeds");
	ok(memcmp(got, want, 32) == 0, "its digest is the SHA-256 of the bytes written");

	/* Nothing reported while filling: finish hashes it all. */
	w.h = follow_hash_start(fd, SIZE, path);
	rc = follow_hash_finish(w.h, true, got, &err);
	ok(rc == 0 && memcmp(got, want, 32) == 0,
	    "with no progress reported, finish hashes the whole file");

	/* Half reported, then complete. */
	w.h = follow_hash_start(fd, SIZE, path);
	follow_hash_landed(w.h, SIZE / 2);
	follow_hash_landed(w.h, SIZE / 3);   /* a smaller prefix changes nothing */
	rc = follow_hash_finish(w.h, true, got, &err);
	ok(rc == 0 && memcmp(got, want, 32) == 0, "a prefix that goes back is ignored");

	/* Given up half-way: it returns without a digest. */
	w.h = follow_hash_start(fd, SIZE, path);
	follow_hash_landed(w.h, SIZE / 2);
	rc = follow_hash_finish(w.h, false, got, &err);
	is_int(rc, 0, "stopping early returns at once");

	/* A file shorter than promised. */
	if (ftruncate(fd, SIZE / 2) != 0)
		return 2;
	w.h = follow_hash_start(fd, SIZE, path);
	follow_hash_landed(w.h, SIZE);
	error_clear(&err);
	rc = follow_hash_finish(w.h, true, got, &err);
	is_int(rc, -1, "a file shorter than its size is an error");
	ok(strstr(err.msg, path) != NULL && strstr(err.msg, "ends after 12589084 bytes") != NULL,
	    "the message names the file and where it ends: %s", err.msg);

	/* An empty file. */
	if (ftruncate(fd, 0) != 0)
		return 2;
	w.h = follow_hash_start(fd, 0, path);
	rc = follow_hash_finish(w.h, true, got, &err);
	EVP_Digest("", 0, want, NULL, EVP_sha256(), NULL);
	ok(rc == 0 && memcmp(got, want, 32) == 0, "an empty file hashes to the SHA-256 of nothing");

	close(fd);
	unlink(path);
	free(data);
	return tap_done();
}
