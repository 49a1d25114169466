/*
 * The RDB reader (src/redis/rdb-reader.c) on an untrusted file, as verify,
 * a drill and a restore read a backup's redis.rdb: counting keys per
 * prefix, and in value mode handing over each key with its value and
 * making the DUMP payload RESTORE would get. The first input byte picks
 * the mode and the size of the chunks the file is fed in (the reader must
 * not care where a chunk ends); the rest is the file.
 */
#include "config.h"

#include <stdlib.h>

#include "redis/rdb-reader.h"
#include "redis/redis-slot.h"
#include "fuzz.h"

struct fz_rdb {
	int version;
	size_t keys;
};

static int
fz_on_key(void *ud, const struct rdb_key *k, struct vs_error *err)
{
	struct fz_rdb *st = ud;
	size_t len;
	uint8_t *payload;

	(void)err;
	st->keys++;
	(void)redis_key_slot(k->key, k->keylen);
	if (k->value != NULL) {
		payload = rdb_dump_payload(k, st->version, &len);
		free(payload);
	}
	return 0;
}

static void
fz_on_item(void *ud, uint64_t off)
{
	(void)ud;
	(void)off;
}

static void
fz_on_slot(void *ud, uint64_t slot, uint64_t keys, uint64_t expires)
{
	(void)ud;
	(void)slot;
	(void)keys;
	(void)expires;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const prefixes[] = { "chimera-vectors:", "chimera-users:" };
	static const size_t chunks[] = { 1, 2, 3, 7, 16, 64, 4096, (size_t)-1 };
	struct fz_rdb st = { 0, 0 };
	struct rdb_reader *r;
	struct rdb_summary sum;
	struct vs_error err;
	size_t chunk, off = 1;
	uint8_t mode;
	int rc = 0;

	if (size < 1)
		return 0;
	mode = data[0];
	chunk = chunks[mode & 7];
	r = rdb_reader_new(prefixes, 2, (mode >> 5) & 1);
	if (mode & 0x08)
		rdb_reader_on_key(r, fz_on_key, &st, (mode & 0x10) ? RDB_KEYS_VALUES : 0);
	if (mode & 0x40)
		rdb_reader_on_item(r, fz_on_item, NULL);
	if (mode & 0x80)
		rdb_reader_on_slot_info(r, fz_on_slot, NULL);
	while (off < size && rc == 0) {
		size_t n = size - off < chunk ? size - off : chunk;

		rc = rdb_reader_feed(r, data + off, n, &err);
		st.version = rdb_reader_version(r);
		off += n;
	}
	if (rc == 0) {
		/* The summary is filled even when the checksum does not match. */
		(void)rdb_reader_finish(r, &sum, &err);
		rdb_summary_clear(&sum);
	}
	rdb_reader_free(r);
	return 0;
}
