/*
 * Tests src/redis/rdb-reader.c and src/redis/rdb-crc64.c on RDB files
 * written by a real redis-server filled with every type and encoding it
 * produces, in db 0 and db 3, compared with counts taken by SCAN on the
 * live server; fed whole, in random chunks down to single bytes, truncated
 * and with flipped bytes.
 */
#include "config.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "redis/rdb-crc64.h"
#include "redis/rdb-reader.h"
#include "tap.h"
#include "test-rdb-server.h"

#define LONGX "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

/* Overlapping on purpose: "chimera-" covers both service prefixes, "1"
 * catches integer-encoded keys, LONGX needs a long LZF-decoded prefix. */
static const char *const prefixes[] = {
	"chimera-vectors:", "chimera-users:", "chimera-", "1", LONGX ":",
};
#define NPREFIXES (sizeof prefixes / sizeof prefixes[0])
#define DB 0

struct expect {
	uint64_t prefix[NPREFIXES];
	uint64_t db_keys, db_expires, all_keys;
	char version[32];
};

static int pipe_pending;

static void
pipe_cmd(struct tserver *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	redisvAppendCommand(s->c, fmt, ap);
	va_end(ap);
	pipe_pending++;
}

static int
pipe_flush(struct tserver *s)
{
	int errors = 0;

	for (; pipe_pending > 0; pipe_pending--) {
		redisReply *rep;

		if (redisGetReply(s->c, (void **)&rep) != REDIS_OK)
			return -1;
		if (rep->type == REDIS_REPLY_ERROR) {
			if (errors++ < 3)
				printf("# redis: %s\n", rep->str);
		}
		freeReplyObject(rep);
	}
	return errors ? -1 : 0;
}

static void
fill_random(char *buf, size_t len, unsigned *seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)('!' + rand_r(seed) % 90);
	buf[len] = '\0';
}

/* Every type under one base name, in the selected db. */
static void
fill_base(struct tserver *s, const char *base, unsigned *seed)
{
	static char big[6000], comp[3001], elem[2101];
	char key[400];

	memset(comp, 'a', sizeof comp - 1);
	memset(elem, 'e', sizeof elem - 1);
	for (int i = 0; i < 120; i++) {
		snprintf(key, sizeof key, "%ss:%d", base, i);
		if (i % 40 == 0) {
			fill_random(big, 5000, seed);
			pipe_cmd(s, "SET %s %s", key, big);
		} else if (i % 40 == 1) {
			pipe_cmd(s, "SET %s %s", key, comp);
		} else if (i % 3 == 0) {
			pipe_cmd(s, "SET %s %d", key, i * 1000);
		} else {
			pipe_cmd(s, "SET %s {\"id\":%d,\"v\":[0.1,0.2,0.3]}", key, i);
		}
		if (i % 10 == 0)
			pipe_cmd(s, "EXPIRE %s 3600", key);
	}
	/* Keys long and repetitive enough to be stored LZF-compressed. */
	for (int i = 0; i < 20; i++) {
		snprintf(key, sizeof key, "%skkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
		    "kkkkkkkkkkkkkkkkkkkkkkkkkk:%d", base, i);
		pipe_cmd(s, "SET %s x", key);
	}

	for (int i = 0; i < 4; i++) {
		snprintf(key, sizeof key, "%slist:small:%d", base, i);
		pipe_cmd(s, "RPUSH %s a b c %d", key, i);
	}
	pipe_cmd(s, "PEXPIRE %slist:small:0 7200000", base);
	snprintf(key, sizeof key, "%slist:big", base);
	for (int i = 0; i < 3000; i++)
		pipe_cmd(s, "RPUSH %s element-%d-%s", key, i,
		    "padding-padding-padding-padding-padding-padding");
	/* Elements above the packed threshold become plain quicklist nodes. */
	snprintf(key, sizeof key, "%slist:plain", base);
	pipe_cmd(s, "RPUSH %s small1 %s small2 %s", key, elem, elem);

	snprintf(key, sizeof key, "%sset:int", base);
	pipe_cmd(s, "SADD %s 1 2 3 100 -7", key);
	snprintf(key, sizeof key, "%sset:bigint", base);
	for (int i = 0; i < 700; i++)
		pipe_cmd(s, "SADD %s %d", key, i * 7);
	snprintf(key, sizeof key, "%sset:str", base);
	pipe_cmd(s, "SADD %s alpha beta gamma", key);
	snprintf(key, sizeof key, "%sset:bigstr", base);
	for (int i = 0; i < 300; i++)
		pipe_cmd(s, "SADD %s member-%d", key, i);

	snprintf(key, sizeof key, "%szset:small", base);
	pipe_cmd(s, "ZADD %s 1 one 2.5 two -inf low +inf high", key);
	snprintf(key, sizeof key, "%szset:big", base);
	for (int i = 0; i < 300; i++)
		pipe_cmd(s, "ZADD %s %d.25 member-%d", key, i, i);

	snprintf(key, sizeof key, "%shash:small", base);
	pipe_cmd(s, "HSET %s f1 v1 f2 22 f3 v3", key);
	snprintf(key, sizeof key, "%shash:big", base);
	for (int i = 0; i < 300; i++)
		pipe_cmd(s, "HSET %s field-%d value-%d", key, i, i);
	snprintf(key, sizeof key, "%shash:bigvalue", base);
	pipe_cmd(s, "HSET %s f %s", key, comp);

	snprintf(key, sizeof key, "%sstream", base);
	for (int i = 0; i < 450; i++)
		pipe_cmd(s, "XADD %s * n %d payload p-%d", key, i, i);
	pipe_cmd(s, "XGROUP CREATE %s g1 0", key);
	pipe_cmd(s, "XGROUP CREATE %s g2 0", key);
	pipe_cmd(s, "XGROUP CREATE %s g3 $", key);
	pipe_cmd(s, "XREADGROUP GROUP g1 c1 COUNT 10 STREAMS %s >", key);
	pipe_cmd(s, "XREADGROUP GROUP g1 c2 COUNT 15 STREAMS %s >", key);
	pipe_cmd(s, "XREADGROUP GROUP g2 c1 COUNT 5 STREAMS %s >", key);
	pipe_cmd(s, "XGROUP CREATECONSUMER %s g3 idle", key);
	pipe_cmd(s, "XTRIM %s MAXLEN 400", key);
	snprintf(key, sizeof key, "%sstream:empty", base);
	pipe_cmd(s, "XADD %s * a 1", key);
	pipe_cmd(s, "XDEL %s 0-0", key);
}

static int
fill(struct tserver *s)
{
	static const char *const bases[] = {
		"chimera-vectors:", "chimera-users:", "other:", "1", LONGX ":",
	};
	unsigned seed = 7;

	if (tserver_cmd(s, "DEBUG QUICKLIST-PACKED-THRESHOLD 2000") < 0)
		return -1;
	if (tserver_cmd(s, "CONFIG SET stream-node-max-entries 50") < 0)
		return -1;
	for (int db = 0; db <= 3; db += 3) {
		pipe_cmd(s, "SELECT %d", db);
		for (size_t b = 0; b < sizeof bases / sizeof bases[0]; b++)
			fill_base(s, bases[b], &seed);
		/* Integer-like keys, an empty key and a key with a NUL in it. */
		pipe_cmd(s, "SET 12345 int-key");
		pipe_cmd(s, "SET 100 int-key");
		pipe_cmd(s, "SET -5 int-key");
		pipe_cmd(s, "SET 1000000 int-key");
		pipe_cmd(s, "SET 4294967296 not-int32");
		pipe_cmd(s, "SET %b empty-key", "", (size_t)0);
		pipe_cmd(s, "SET %b binary-key", "chimera-users:\0bin", (size_t)18);
		if (pipe_flush(s) < 0)
			return -1;
	}
	pipe_cmd(s, "SELECT 0");
	pipe_cmd(s, "FUNCTION LOAD %s", "#!lua name=testlib\n"
	    "redis.register_function('tf', function(keys, args) return 1 end)");
	return pipe_flush(s);
}

/* Counts from the live server: SCAN of db DB, DBSIZE of every db. */
static int
expect_from_server(struct tserver *s, struct expect *e)
{
	redisReply *rep;
	char cursor[32] = "0";

	memset(e, 0, sizeof *e);
	if (tserver_cmd(s, "SELECT %d", DB) < 0)
		return -1;
	do {
		rep = redisCommand(s->c, "SCAN %s COUNT 1000", cursor);
		if (rep == NULL || rep->type != REDIS_REPLY_ARRAY || rep->elements != 2)
			return -1;
		snprintf(cursor, sizeof cursor, "%s", rep->element[0]->str);
		for (size_t i = 0; i < rep->element[1]->elements; i++) {
			redisReply *k = rep->element[1]->element[i];

			e->db_keys++;
			for (size_t p = 0; p < NPREFIXES; p++) {
				size_t pl = strlen(prefixes[p]);

				if (k->len >= pl && memcmp(k->str, prefixes[p], pl) == 0)
					e->prefix[p]++;
			}
		}
		freeReplyObject(rep);
	} while (strcmp(cursor, "0") != 0);

	for (int db = 0; db < 16; db++) {
		if (tserver_cmd(s, "SELECT %d", db) < 0)
			return -1;
		rep = redisCommand(s->c, "DBSIZE");
		if (rep == NULL || rep->type != REDIS_REPLY_INTEGER)
			return -1;
		e->all_keys += (uint64_t)rep->integer;
		freeReplyObject(rep);
	}
	tserver_cmd(s, "SELECT 0");

	rep = redisCommand(s->c, "INFO");
	if (rep == NULL || rep->type != REDIS_REPLY_STRING)
		return -1;
	{
		char pat[32], *p;

		if ((p = strstr(rep->str, "redis_version:")) != NULL)
			sscanf(p, "redis_version:%31[^\r\n]", e->version);
		snprintf(pat, sizeof pat, "db%d:keys=", DB);
		if ((p = strstr(rep->str, pat)) != NULL) {
			p = strstr(p, "expires=");
			if (p != NULL)
				e->db_expires = strtoull(p + 8, NULL, 10);
		}
	}
	freeReplyObject(rep);
	return 0;
}

/* Feed buf in chunks: mode 0 whole, N > 0 random sizes 1..N. */
static int
read_rdb(const unsigned char *buf, size_t len, size_t maxchunk, unsigned seed,
    struct rdb_summary *sum, struct vs_error *err)
{
	struct rdb_reader *r = rdb_reader_new(prefixes, NPREFIXES, DB);
	size_t off = 0;
	int rc = 0;

	error_clear(err);
	while (off < len && rc == 0) {
		size_t n = len - off;

		if (maxchunk > 0) {
			size_t want = 1 + (size_t)rand_r(&seed) % maxchunk;
			if (want < n)
				n = want;
		}
		/* An exact-size copy, so ASan sees any read past the chunk. */
		if (maxchunk > 0) {
			unsigned char *chunk = xmalloc(n);

			memcpy(chunk, buf + off, n);
			rc = rdb_reader_feed(r, chunk, n, err);
			free(chunk);
		} else {
			rc = rdb_reader_feed(r, buf + off, n, err);
		}
		off += n;
	}
	if (rc == 0)
		rc = rdb_reader_finish(r, sum, err);
	else
		memset(sum, 0, sizeof *sum);
	rdb_reader_free(r);
	return rc;
}

static int
same_counts(const struct rdb_summary *sum, const struct expect *e)
{
	if (sum->db_keys != e->db_keys || sum->all_keys != e->all_keys ||
	    sum->db_expires != e->db_expires || sum->nprefixes != NPREFIXES)
		return 0;
	for (size_t p = 0; p < NPREFIXES; p++)
		if (sum->prefix_keys[p] != e->prefix[p])
			return 0;
	return 1;
}

static void
show_counts(const struct rdb_summary *sum, const struct expect *e)
{
	printf("#   db_keys %" PRIu64 "/%" PRIu64 " all %" PRIu64 "/%" PRIu64
	    " expires %" PRIu64 "/%" PRIu64 "\n", sum->db_keys, e->db_keys,
	    sum->all_keys, e->all_keys, sum->db_expires, e->db_expires);
	for (size_t p = 0; p < NPREFIXES && sum->prefix_keys != NULL; p++)
		printf("#   prefix %.20s: %" PRIu64 "/%" PRIu64 "\n", prefixes[p],
		    sum->prefix_keys[p], e->prefix[p]);
}

static void
check_file(const char *what, const unsigned char *buf, size_t len,
    const struct expect *e, bool checksum)
{
	static const size_t chunks[] = { 0, 1, 3, 7, 19, 64, 4096, 1 << 20 };
	struct rdb_summary sum;
	struct vs_error err;
	int rc;

	rc = read_rdb(buf, len, 0, 1, &sum, &err);
	ok(rc == 0, "%s: read whole (%s)", what, err.msg);
	if (!ok(rc == 0 && same_counts(&sum, e), "%s: counts equal SCAN/DBSIZE", what))
		show_counts(&sum, e);
	is_int(sum.version, 10, "%s: RDB version 10", what);
	is_str(sum.redis_ver, e->version, "%s: redis-ver aux field", what);
	ok(sum.ctime > time(NULL) - 600 && sum.ctime <= time(NULL),
	    "%s: ctime aux field is recent (%lld)", what, sum.ctime);
	is_int(sum.bytes, len, "%s: bytes", what);
	is_int(sum.checksum_present, checksum, "%s: checksum present", what);
	is_int(sum.checksum_ok, checksum, "%s: checksum matches", what);
	{
		/* The encodings Redis 7.0 writes for this data set. */
		static const int types[] = { 0, 2, 4, 5, 11, 16, 17, 18, 19 };
		int all = 1;

		printf("# keys by type:");
		for (int t = 0; t <= RDB_TYPE_MAX; t++)
			if (sum.type_keys[t] > 0)
				printf(" %d:%" PRIu64, t, sum.type_keys[t]);
		printf("\n");
		for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
			if (sum.type_keys[types[i]] == 0)
				all = 0;
		ok(all, "%s: strings, sets, hashes, zsets (listpack and "
		    "skiplist), intsets, quicklists and streams all present", what);
	}
	rdb_summary_clear(&sum);

	for (size_t i = 1; i < sizeof chunks / sizeof chunks[0]; i++) {
		int good = 1;

		for (unsigned seed = 1; seed <= 3 && good; seed++) {
			rc = read_rdb(buf, len, chunks[i], seed, &sum, &err);
			good = rc == 0 && same_counts(&sum, e) &&
			    sum.checksum_ok == checksum;
			if (!good)
				printf("# chunks 1..%zu seed %u: %s\n", chunks[i],
				    seed, err.msg);
			rdb_summary_clear(&sum);
			if (chunks[i] == 1)
				break;
		}
		ok(good, "%s: fed in chunks of 1..%zu bytes", what, chunks[i]);
	}
}

static void
check_damage(const unsigned char *buf, size_t len)
{
	unsigned char *copy = malloc(len + 1);
	struct rdb_summary sum;
	struct vs_error err;
	const unsigned char *mark;
	unsigned seed = 42;
	int rc, good;
	size_t cuts[] = { 0, 1, 5, 9, 10, 30, len / 3, len / 2, len - 9, len - 8,
		len - 1 };

	/* Truncation anywhere is reported as such, with the offset. */
	good = 1;
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0] + 200 && good; i++) {
		size_t cut = i < sizeof cuts / sizeof cuts[0] ? cuts[i] :
		    (size_t)rand_r(&seed) % len;
		char want[64];

		rc = read_rdb(buf, cut, 4096, (unsigned)i, &sum, &err);
		snprintf(want, sizeof want, "offset %zu ", cut);
		good = rc == -1 && err.code == VS_ERR_FORMAT &&
		    strstr(err.msg, "truncated") != NULL && strstr(err.msg, want) != NULL;
		if (!good)
			printf("# cut at %zu: rc %d: %s\n", cut, rc, err.msg);
		rdb_summary_clear(&sum);
	}
	ok(good, "truncated files fail with VS_ERR_FORMAT naming the offset");
	rc = read_rdb(buf, len / 2, 0, 1, &sum, &err);
	printf("# %s\n", err.msg);

	/* A flipped byte inside a string value: parses, checksum fails. */
	mark = memmem(buf, len, "{\"id\":2,", 8);
	ok(mark != NULL, "found a JSON value in the file");
	if (mark != NULL) {
		memcpy(copy, buf, len);
		copy[mark - buf + 6] ^= 0x01;
		rc = read_rdb(copy, len, 0, 1, &sum, &err);
		ok(rc == -1 && err.code == VS_ERR_FORMAT &&
		    strstr(err.msg, "checksum mismatch") != NULL,
		    "flipped byte: checksum mismatch (%s)", err.msg);
		ok(sum.checksum_present && !sum.checksum_ok && sum.db_keys > 0,
		    "flipped byte: summary still filled, checksum_ok false");
		rdb_summary_clear(&sum);
	}
	/* A flipped byte in the stored checksum. */
	memcpy(copy, buf, len);
	copy[len - 3] ^= 0x80;
	rc = read_rdb(copy, len, 0, 1, &sum, &err);
	ok(rc == -1 && strstr(err.msg, "checksum mismatch") != NULL,
	    "flipped checksum byte is detected");
	rdb_summary_clear(&sum);

	/* Any single flipped byte is an error, never a crash or a pass. */
	good = 1;
	for (int i = 0; i < 400 && good; i++) {
		size_t at = (size_t)rand_r(&seed) % len;

		memcpy(copy, buf, len);
		copy[at] ^= (unsigned char)(1 + rand_r(&seed) % 255);
		rc = read_rdb(copy, len, 8192, (unsigned)i, &sum, &err);
		good = rc == -1 && err.code == VS_ERR_FORMAT;
		if (!good)
			printf("# flip at %zu passed\n", at);
		rdb_summary_clear(&sum);
	}
	ok(good, "400 random byte flips are all reported");

	/* Extra data after the end. */
	memcpy(copy, buf, len);
	copy[len] = 0;
	rc = read_rdb(copy, len + 1, 0, 1, &sum, &err);
	ok(rc == -1 && strstr(err.msg, "after the end") != NULL,
	    "data after the checksum is an error (%s)", err.msg);
	rdb_summary_clear(&sum);
	free(copy);
}

/* Fill a server, save, and check the reader against it. */
static void
check_server(const char *label, const char *conf, bool compressed)
{
	static const char longk[] = "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk";
	struct tserver s;
	struct expect e;
	unsigned char *buf;
	size_t len;

	if (!ok(tserver_start(&s, conf) == 0, "%s: redis-server started", label)) {
		tserver_stop(&s);
		return;
	}
	ok(fill(&s) == 0, "%s: filled every type in db 0 and db 3", label);
	ok(expect_from_server(&s, &e) == 0, "%s: counted keys on the live server",
	    label);
	printf("# db %d: %" PRIu64 " keys, %" PRIu64 " with TTL; all dbs %" PRIu64 "\n",
	    DB, e.db_keys, e.db_expires, e.all_keys);
	ok(tserver_cmd(&s, "SAVE") == 0, "%s: SAVE", label);
	buf = tserver_slurp(s.rdb, &len);
	if (ok(buf != NULL, "%s: read %s (%zu bytes)", label, s.rdb, len)) {
		/* Long repetitive keys are LZF-compressed only with compression. */
		ok((memmem(buf, len, longk, sizeof longk - 1) == NULL) == compressed,
		    "%s: long keys %s", label, compressed ? "are LZF-compressed" :
		    "are stored plain");
		check_file(label, buf, len, &e, compressed);
		if (compressed)
			check_damage(buf, len);
		free(buf);
	}
	tserver_stop(&s);
}

int
main(void)
{
	is_int(rdb_crc64(0, "123456789", 9), 0xe9c6d914c4b8d9caULL,
	    "CRC-64/Jones check value");
	{
		/* Sliced and byte-wise paths agree at every split. */
		unsigned char data[100];
		uint64_t whole;
		int good = 1;

		for (int i = 0; i < 100; i++)
			data[i] = (unsigned char)(i * 37 + 11);
		whole = rdb_crc64(0, data, sizeof data);
		for (size_t cut = 0; cut <= sizeof data; cut++)
			if (rdb_crc64(rdb_crc64(0, data, cut), data + cut,
			    sizeof data - cut) != whole)
				good = 0;
		ok(good, "CRC-64 can be continued at any split");
	}

	if (!tserver_available()) {
		printf("# redis-server not found: skipping the server tests\n");
		return tap_done();
	}
	check_server("default", "", true);
	check_server("plain", "rdbcompression no\nrdbchecksum no", false);
	return tap_done();
}
