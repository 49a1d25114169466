/*
 * Measures src/redis/rdb-reader.c (with src/redis/rdb-crc64.c) on the RDB
 * of a real redis-server holding JSON documents of about 4 KB (384 floats
 * each), like the vector store's: checks the counts and prints the
 * reader's throughput. VSBACKUP_RDB_BENCH_KEYS sets the number of
 * documents (default 10000; PLATFORM.md's reference set is 100000). The
 * floor it asserts is far below the expected speed so a busy machine does
 * not fail it; sanitizer builds get a lower floor still.
 */
#include "config.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "redis/rdb-reader.h"
#include "tap.h"
#include "test-rdb-server.h"

#if defined(__SANITIZE_ADDRESS__)
#define SPEED_FLOOR_MBS 40.0
#else
#define SPEED_FLOOR_MBS 500.0
#endif

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A document of 384 floats with some text, about 4 KB. */
static size_t
make_doc(char *buf, size_t size, long id, unsigned *seed)
{
	size_t n = (size_t)snprintf(buf, size, "{\"id\":\"doc-%ld\",\"user\":\"u-%ld\","
	    "\"embedding\":[", id, id % 977);

	for (int i = 0; i < 384; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%.6f", i ? "," : "",
		    (double)rand_r(seed) / RAND_MAX * 2.0 - 1.0);
	n += (size_t)snprintf(buf + n, size - n, "],\"text\":\"chunk %ld of a "
	    "document about vector stores and their backups\"}", id);
	return n;
}

static int
fill(struct tserver *s, long nkeys, long *users)
{
	static char doc[8192];
	unsigned seed = 11;
	long pending = 0;

	*users = 0;
	for (long i = 0; i < nkeys; i++) {
		size_t len = make_doc(doc, sizeof doc, i, &seed);
		char key[64];

		if (i % 10 == 0) {
			snprintf(key, sizeof key, "chimera-users:%ld", i);
			(*users)++;
		} else {
			snprintf(key, sizeof key, "chimera-vectors:%ld", i);
		}
		redisAppendCommand(s->c, "SET %s %b", key, doc, len);
		if (++pending == 1000 || i == nkeys - 1) {
			for (; pending > 0; pending--) {
				redisReply *rep;

				if (redisGetReply(s->c, (void **)&rep) != REDIS_OK)
					return -1;
				freeReplyObject(rep);
			}
		}
	}
	return 0;
}

int
main(void)
{
	static const char *const prefixes[] = { "chimera-vectors:", "chimera-users:" };
	static unsigned char buf[1 << 20];
	const char *env = getenv("VSBACKUP_RDB_BENCH_KEYS");
	long nkeys = env != NULL ? atol(env) : 10000, users;
	struct rdb_reader *r;
	struct rdb_summary sum;
	struct vs_error err;
	struct tserver s;
	double spent = 0, t0, mbs;
	uint64_t total = 0;
	ssize_t n;
	int fd, rc = 0;

	if (!tserver_available()) {
		printf("# redis-server not found: skipping\n");
		return tap_done();
	}
	if (!ok(tserver_start(&s, "") == 0, "redis-server started")) {
		tserver_stop(&s);
		return tap_done();
	}
	t0 = now_s();
	rc = fill(&s, nkeys, &users);
	ok(rc == 0, "stored %ld JSON documents (%.1f s)", nkeys, now_s() - t0);
	t0 = now_s();
	rc = tserver_cmd(&s, "SAVE");
	ok(rc == 0, "SAVE (%.1f s)", now_s() - t0);

	if ((fd = open(s.rdb, O_RDONLY)) < 0) {
		ok(0, "open %s", s.rdb);
		tserver_stop(&s);
		return tap_done();
	}
	/* Warm the page cache so the disk is not measured. */
	while (read(fd, buf, sizeof buf) > 0)
		;
	lseek(fd, 0, SEEK_SET);

	r = rdb_reader_new(prefixes, 2, 0);
	rc = 0;
	while (rc == 0 && (n = read(fd, buf, sizeof buf)) > 0) {
		t0 = now_s();
		rc = rdb_reader_feed(r, buf, (size_t)n, &err);
		spent += now_s() - t0;
		total += (uint64_t)n;
	}
	close(fd);
	if (rc == 0)
		rc = rdb_reader_finish(r, &sum, &err);
	rdb_reader_free(r);
	if (!ok(rc == 0, "read the RDB (%" PRIu64 " bytes)", total)) {
		printf("# %s\n", err.msg);
		tserver_stop(&s);
		return tap_done();
	}
	is_int(sum.db_keys, nkeys, "every document counted");
	is_int(sum.prefix_keys[0], nkeys - users, "chimera-vectors: documents");
	is_int(sum.prefix_keys[1], users, "chimera-users: documents");
	ok(sum.checksum_ok, "checksum verified");
	mbs = (double)total / 1e6 / (spent > 0 ? spent : 1e-9);
	printf("# reader: %" PRIu64 " bytes in %.3f s: %.0f MB/s\n", total, spent, mbs);
	ok(mbs >= SPEED_FLOOR_MBS, "reader at %.0f MB/s (floor %.0f)", mbs,
	    SPEED_FLOOR_MBS);
	rdb_summary_clear(&sum);
	tserver_stop(&s);
	return tap_done();
}
