/*
 * Tests src/redis/rdb-reader.c on RDB files assembled here byte by byte,
 * for what the installed Redis 7.0 never writes: the old encodings
 * (linked list, string-double zset, zipmap, ziplists, quicklist v1), the
 * 7.2/7.4 types (set listpack, stream v3, hashes with field TTLs), module
 * values and module aux data, slot info, all length and string encodings;
 * and the files the reader must refuse, each with a clear message.
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

static const char *const prefixes[] = { "chimera-vectors:", "chimera-users:", "1" };
#define NPREFIXES 3

struct buf {
	unsigned char *p;
	size_t len, size;
};

static void
b_raw(struct buf *b, const void *data, size_t n)
{
	if (b->len + n > b->size) {
		b->size = (b->len + n) * 2 + 64;
		b->p = xrealloc(b->p, b->size);
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void
b_byte(struct buf *b, unsigned v)
{
	unsigned char c = (unsigned char)v;

	b_raw(b, &c, 1);
}

static void
b_le(struct buf *b, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		b_byte(b, (unsigned)(v >> (8 * i)) & 0xff);
}

static void
b_be(struct buf *b, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--)
		b_byte(b, (unsigned)(v >> (8 * i)) & 0xff);
}

/* A length in its shortest form, or forced to the 32/64-bit form. */
static void
b_len_form(struct buf *b, uint64_t v, int form)
{
	if (form == 0 && v < 64) {
		b_byte(b, (unsigned)v);
	} else if (form == 0 && v < 16384) {
		b_byte(b, 0x40 | (unsigned)(v >> 8));
		b_byte(b, (unsigned)v & 0xff);
	} else if (form != 64 && v <= 0xffffffffULL) {
		b_byte(b, 0x80);
		b_be(b, v, 4);
	} else {
		b_byte(b, 0x81);
		b_be(b, v, 8);
	}
}

static void
b_len(struct buf *b, uint64_t v)
{
	b_len_form(b, v, 0);
}

static void
b_strn(struct buf *b, const void *s, size_t n)
{
	b_len(b, n);
	b_raw(b, s, n);
}

static void
b_str(struct buf *b, const char *s)
{
	b_strn(b, s, strlen(s));
}

/* Integer-encoded string: width 1, 2 or 4 bytes. */
static void
b_int(struct buf *b, int64_t v, int width)
{
	b_byte(b, 0xc0 | (width == 1 ? 0 : width == 2 ? 1 : 2));
	b_le(b, (uint64_t)v, width);
}

/* LZF string from ready compressed bytes. */
static void
b_lzf(struct buf *b, const void *comp, size_t clen, size_t len)
{
	b_byte(b, 0xc3);
	b_len(b, clen);
	b_len(b, len);
	b_raw(b, comp, clen);
}

static void
b_header(struct buf *b, int version)
{
	char h[16];

	snprintf(h, sizeof h, "REDIS%04d", version);
	b_raw(b, h, 9);
}

static void
b_end(struct buf *b, bool checksum)
{
	b_byte(b, 0xff);
	b_le(b, checksum ? rdb_crc64(0, b->p, b->len) : 0, 8);
}

static uint64_t
module_id(const char *name, unsigned version)
{
	static const char cset[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint64_t id = 0;

	for (int i = 0; i < 9; i++)
		id = id << 6 | (uint64_t)(strchr(cset, name[i]) - cset);
	return id << 10 | version;
}

/* Module v2 elements of every kind, then the EOF mark. */
static void
b_module_elements(struct buf *b)
{
	b_len(b, 1);            /* SINT */
	b_len(b, 5);
	b_len(b, 2);            /* UINT */
	b_len_form(b, 1ULL << 40, 64);
	b_len(b, 3);            /* FLOAT */
	b_le(b, 0x3f800000, 4);
	b_len(b, 4);            /* DOUBLE */
	b_le(b, 0x3ff0000000000000ULL, 8);
	b_len(b, 5);            /* STRING */
	b_str(b, "module string");
	b_len(b, 5);
	b_int(b, 42, 1);
	b_len(b, 0);            /* EOF */
}

static void
b_stream(struct buf *b, int version, int groups)
{
	unsigned char id16[16] = { 0, 0, 1, 0x8c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };

	b_len(b, 2);                    /* listpacks */
	for (int i = 0; i < 2; i++) {
		b_strn(b, id16, 16);    /* node key */
		b_str(b, "listpack-bytes-listpack-bytes");
	}
	b_len(b, 10);                   /* length */
	b_len(b, 1700000000000ULL >> 20); /* last id */
	b_len(b, 3);
	if (version >= 2) {
		b_len(b, 1);            /* first id */
		b_len(b, 0);
		b_len(b, 0);            /* max deleted id */
		b_len(b, 0);
		b_len(b, 12);           /* entries added */
	}
	b_len(b, (uint64_t)groups);
	for (int g = 0; g < groups; g++) {
		b_str(b, g == 0 ? "group-a" : "group-b");
		b_len(b, 5);            /* last id */
		b_len(b, 0);
		if (version >= 2)
			b_len(b, 7);    /* entries read */
		b_len(b, (uint64_t)(g == 0 ? 2 : 0)); /* global PEL */
		for (int i = 0; i < (g == 0 ? 2 : 0); i++) {
			b_raw(b, id16, 16);
			b_le(b, 1700000000000ULL, 8);
			b_len(b, 3);
		}
		b_len(b, 2);            /* consumers */
		for (int c = 0; c < 2; c++) {
			b_str(b, c == 0 ? "consumer-1" : "consumer-2");
			b_le(b, 1700000000000ULL, 8);
			if (version >= 3)
				b_le(b, 1700000000001ULL, 8);
			b_len(b, (uint64_t)(g == 0 && c == 0 ? 2 : 0));
			for (int i = 0; i < (g == 0 && c == 0 ? 2 : 0); i++)
				b_raw(b, id16, 16);
		}
	}
}

/* The key of the next value; type byte first. */
static void
b_key(struct buf *b, unsigned type, const char *key)
{
	b_byte(b, type);
	b_str(b, key);
}

/* Build a file with every item kind; count what it holds in *want. */
static void
build_full(struct buf *b, struct rdb_summary *want)
{
	/* "abc" then a back reference copying 9 bytes from 3 back:
	 * "chimera-users:" literal, then "abcabcabcabc". */
	static const unsigned char lzf_key[] = {
		13, 'c', 'h', 'i', 'm', 'e', 'r', 'a', '-', 'u', 's', 'e', 'r', 's', ':',
		2, 'a', 'b', 'c',
		0xe0, 0, 2,
	};
	unsigned char big_lzf[300];
	size_t big_len = 0, big_out;
	unsigned char blob[40];

	memset(blob, 0xab, sizeof blob);
	b_header(b, 12);
	b_byte(b, 250);
	b_str(b, "redis-ver");
	b_str(b, "7.4.0");
	b_byte(b, 250);
	b_str(b, "ctime");
	b_int(b, 1700000000, 4);
	b_byte(b, 250);
	b_str(b, "aof-base");
	b_int(b, 0, 1);
	b_byte(b, 250);                 /* an aux field with an LZF value */
	b_str(b, "unknown-aux");
	b_lzf(b, lzf_key, sizeof lzf_key, 26);
	b_byte(b, 247);                 /* module aux */
	b_len_form(b, module_id("auxmodule", 1), 64);
	b_len(b, 2);
	b_len(b, 2);
	b_module_elements(b);
	b_byte(b, 245);                 /* function library */
	b_str(b, "#!lua name=lib\nredis.register_function('f', function() return 1 end)");

	b_byte(b, 254);
	b_len(b, 0);
	b_byte(b, 251);
	b_len(b, 40);
	b_len(b, 3);
	b_byte(b, 244);                 /* slot info */
	b_len(b, 1234);
	b_len(b, 10);
	b_len(b, 2);

	/* Old linked list with an int, an LZF and a 32-bit-length element. */
	b_key(b, 1, "chimera-vectors:list-v1");
	b_len(b, 3);
	b_int(b, -300, 2);
	b_lzf(b, lzf_key, sizeof lzf_key, 26);
	b_byte(b, 0x80);
	b_be(b, 5, 4);
	b_raw(b, "hello", 5);
	want->prefix_keys[0]++;

	/* Set (hash table) and old zset with string doubles and specials. */
	b_key(b, 2, "chimera-vectors:set");
	b_len(b, 2);
	b_str(b, "a");
	b_str(b, "b");
	want->prefix_keys[0]++;
	b_key(b, 3, "chimera-vectors:zset-v1");
	b_len(b, 4);
	b_str(b, "m1");
	b_byte(b, 3);
	b_raw(b, "1.5", 3);
	b_str(b, "m2");
	b_byte(b, 253);
	b_str(b, "m3");
	b_byte(b, 254);
	b_str(b, "m4");
	b_byte(b, 255);
	want->prefix_keys[0]++;

	/* Hash, empty hash (count 0), zset2. */
	b_key(b, 4, "chimera-users:hash");
	b_len(b, 1);
	b_str(b, "f");
	b_str(b, "v");
	b_key(b, 4, "chimera-users:hash-empty");
	b_len(b, 0);
	b_key(b, 5, "chimera-users:zset2");
	b_len(b, 2);
	b_str(b, "x");
	b_le(b, 0x4000000000000000ULL, 8);
	b_str(b, "y");
	b_le(b, 0, 8);
	want->prefix_keys[1] += 3;

	/* Blobs: zipmap, ziplists, intset, listpacks. */
	for (unsigned t = 9; t <= 13; t++) {
		char key[32];

		snprintf(key, sizeof key, "other:blob-%u", t);
		b_key(b, t, key);
		b_strn(b, blob, sizeof blob);
	}
	b_key(b, 16, "other:hash-lp");
	b_strn(b, blob, sizeof blob);
	b_key(b, 17, "other:zset-lp");
	b_strn(b, blob, sizeof blob);
	b_key(b, 20, "other:set-lp");
	b_strn(b, blob, sizeof blob);

	/* Quicklist v1 and v2 (packed and plain nodes). */
	b_key(b, 14, "chimera-vectors:ql1");
	b_len(b, 2);
	b_strn(b, blob, sizeof blob);
	b_strn(b, blob, 10);
	b_key(b, 18, "chimera-vectors:ql2");
	b_len(b, 2);
	b_len(b, 2);
	b_strn(b, blob, sizeof blob);
	b_len(b, 1);
	b_strn(b, blob, 20);
	want->prefix_keys[0] += 2;

	/* Streams of the three versions, with and without groups. */
	b_key(b, 15, "chimera-vectors:stream-v1");
	b_stream(b, 1, 2);
	b_key(b, 19, "chimera-vectors:stream-v2");
	b_stream(b, 2, 1);
	b_key(b, 21, "chimera-vectors:stream-v3");
	b_stream(b, 3, 2);
	b_key(b, 21, "chimera-vectors:stream-v3-nogroups");
	b_stream(b, 3, 0);
	want->prefix_keys[0] += 4;

	/* Hashes with field TTLs (7.4), before and after GA. */
	b_key(b, 22, "chimera-users:hfe-pre");
	b_len(b, 2);
	b_len(b, 0);
	b_str(b, "f1");
	b_str(b, "v1");
	b_len_form(b, 1700000000000ULL, 64);
	b_str(b, "f2");
	b_str(b, "v2");
	b_key(b, 23, "chimera-users:hfe-lp-pre");
	b_strn(b, blob, sizeof blob);
	b_key(b, 24, "chimera-users:hfe");
	b_le(b, 1700000000000ULL, 8);
	b_len(b, 2);
	b_len(b, 0);
	b_str(b, "f1");
	b_str(b, "v1");
	b_len(b, 5);
	b_str(b, "f2");
	b_str(b, "v2");
	b_key(b, 25, "chimera-users:hfe-lp");
	b_le(b, 1700000000000ULL, 8);
	b_strn(b, blob, sizeof blob);
	want->prefix_keys[1] += 4;

	/* A module value written with the v2 (self-describing) format. */
	b_key(b, 7, "chimera-users:module");
	b_len_form(b, module_id("MyType-_9", 3), 64);
	b_module_elements(b);
	want->prefix_keys[1]++;

	/* Per-key opcodes: idle, freq, expire in seconds and milliseconds. */
	b_byte(b, 248);
	b_len(b, 1000);
	b_byte(b, 249);
	b_byte(b, 5);
	b_byte(b, 253);
	b_le(b, 1900000000, 4);
	b_key(b, 0, "chimera-users:expiring-s");
	b_str(b, "v");
	b_byte(b, 252);
	b_le(b, 1900000000000ULL, 8);
	b_key(b, 0, "chimera-users:expiring-ms");
	b_str(b, "v");
	want->prefix_keys[1] += 2;
	want->db_expires = 2;

	/* Key encodings: integers of each width, an LZF key with a back
	 * reference, a 64-bit length, a long LZF key past what is kept. */
	b_byte(b, 0);
	b_int(b, -5, 1);
	b_str(b, "v");
	b_byte(b, 0);
	b_int(b, 1234, 2);
	b_str(b, "v");
	b_byte(b, 0);
	b_int(b, 123456789, 4);
	b_str(b, "v");
	want->prefix_keys[2] += 2;
	b_byte(b, 0);
	b_lzf(b, lzf_key, sizeof lzf_key, 26);
	b_str(b, "lzf-key");
	want->prefix_keys[1]++;
	b_byte(b, 0);
	b_len_form(b, 16, 64);
	b_raw(b, "chimera-vectors:", 16);
	b_len_form(b, 3, 32);
	b_raw(b, "v64", 3);
	want->prefix_keys[0]++;
	/* "chimera-vectors:" then 'q' repeated by maximal back references. */
	big_lzf[big_len++] = 16;
	memcpy(big_lzf + big_len, "chimera-vectors:q", 17);
	big_len += 17;
	big_out = 17;
	for (int i = 0; i < 40; i++) {
		big_lzf[big_len++] = 0xe0;
		big_lzf[big_len++] = 255;
		big_lzf[big_len++] = 0;
		big_out += 264;
	}
	b_byte(b, 0);
	b_lzf(b, big_lzf, big_len, big_out);
	b_str(b, "long-key");
	want->prefix_keys[0]++;

	want->db_keys = 33;

	/* db 3: counted in all_keys only. */
	b_byte(b, 254);
	b_len(b, 3);
	b_key(b, 0, "chimera-vectors:in-db3");
	b_str(b, "v");
	b_key(b, 0, "chimera-users:in-db3");
	b_str(b, "v");
	want->all_keys = want->db_keys + 2;
	b_end(b, true);
}

static int
read_buf(const struct buf *b, size_t maxchunk, struct rdb_summary *sum,
    struct vs_error *err)
{
	struct rdb_reader *r = rdb_reader_new(prefixes, NPREFIXES, 0);
	size_t off = 0;
	unsigned seed = 3;
	int rc = 0;

	memset(sum, 0, sizeof *sum);
	error_clear(err);
	while (off < b->len && rc == 0) {
		size_t n = b->len - off;

		if (maxchunk > 0 && n > 1 + (size_t)rand_r(&seed) % maxchunk)
			n = 1 + (size_t)rand_r(&seed) % maxchunk;
		/* An exact-size copy, so ASan sees any read past the chunk. */
		unsigned char *chunk = xmalloc(n);

		memcpy(chunk, b->p + off, n);
		rc = rdb_reader_feed(r, chunk, n, err);
		free(chunk);
		off += n;
	}
	if (rc == 0)
		rc = rdb_reader_finish(r, sum, err);
	rdb_reader_free(r);
	return rc;
}

/* A file that must be refused with a message containing want. */
static void
refused(struct buf *b, const char *want, const char *what)
{
	struct rdb_summary sum;
	struct vs_error err;
	int rc = read_buf(b, 0, &sum, &err);

	if (!ok(rc == -1 && err.code == VS_ERR_FORMAT && strstr(err.msg, want) != NULL,
	    "%s is refused", what))
		printf("#   rc %d: %s\n", rc, err.msg);
	else
		printf("#   %s\n", err.msg);
	rc = read_buf(b, 1, &sum, &err);
	ok(rc == -1 && strstr(err.msg, want) != NULL, "%s is refused byte by byte", what);
	rdb_summary_clear(&sum);
	free(b->p);
	memset(b, 0, sizeof *b);
}

int
main(void)
{
	struct buf b = { 0 };
	struct rdb_summary want, sum;
	uint64_t want_prefix[NPREFIXES] = { 0 };
	struct vs_error err;
	static const size_t chunks[] = { 0, 1, 2, 5, 17, 100 };

	memset(&want, 0, sizeof want);
	want.prefix_keys = want_prefix;
	build_full(&b, &want);
	for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
		int rc = read_buf(&b, chunks[i], &sum, &err);

		if (!ok(rc == 0, "synthetic v12 file, chunks up to %zu: read", chunks[i])) {
			printf("#   %s\n", err.msg);
			continue;
		}
		ok(sum.db_keys == want.db_keys && sum.all_keys == want.all_keys &&
		    sum.db_expires == want.db_expires,
		    "chunks up to %zu: db_keys %" PRIu64 " all %" PRIu64 " expires %"
		    PRIu64, chunks[i], sum.db_keys, sum.all_keys, sum.db_expires);
		ok(sum.prefix_keys[0] == want_prefix[0] &&
		    sum.prefix_keys[1] == want_prefix[1] &&
		    sum.prefix_keys[2] == want_prefix[2],
		    "chunks up to %zu: prefixes %" PRIu64 "/%" PRIu64 " %" PRIu64 "/%"
		    PRIu64 " %" PRIu64 "/%" PRIu64, chunks[i], sum.prefix_keys[0],
		    want_prefix[0], sum.prefix_keys[1], want_prefix[1],
		    sum.prefix_keys[2], want_prefix[2]);
		rdb_summary_clear(&sum);
	}
	read_buf(&b, 0, &sum, &err);
	is_int(sum.version, 12, "version 12");
	is_str(sum.redis_ver, "7.4.0", "redis-ver");
	is_str(sum.server, "redis", "the server family from redis-ver");
	is_str(sum.server_ver, "7.4.0", "the server version from redis-ver");
	is_int(sum.ctime, 1700000000, "ctime from an integer-encoded aux value");
	ok(sum.checksum_present && sum.checksum_ok, "checksum matches");
	{
		int all = 1;

		for (int t = 0; t <= RDB_TYPE_MAX; t++)
			if (t != 6 && t != 8 && sum.type_keys[t] == 0) {
				printf("#   no key of type %d\n", t);
				all = 0;
			}
		ok(all, "every known value type except pre-release modules seen");
	}
	rdb_summary_clear(&sum);
	free(b.p);
	memset(&b, 0, sizeof b);

	/* Valkey 8 writes valkey-ver instead of redis-ver. */
	b_header(&b, 11);
	b_byte(&b, 250);
	b_str(&b, "valkey-ver");
	b_str(&b, "8.0.1");
	b_byte(&b, 250);
	b_str(&b, "slot-info");
	b_str(&b, "0,1,0");
	b_key(&b, 20, "chimera-users:set");
	b_str(&b, "listpack-bytes");
	b_end(&b, true);
	ok(read_buf(&b, 0, &sum, &err) == 0, "a Valkey 8 file with slot-info is read");
	is_str(sum.server, "valkey", "Valkey 8: the server family");
	is_str(sum.server_ver, "8.0.1", "Valkey 8: its version from valkey-ver");
	is_str(sum.redis_ver, "", "Valkey 8: no redis-ver");
	rdb_summary_clear(&sum);
	free(b.p);
	memset(&b, 0, sizeof b);

	/* Checksums disabled, and a version 4 file (no checksum at all). */
	b_header(&b, 9);
	b_key(&b, 0, "chimera-vectors:a");
	b_str(&b, "v");
	b_end(&b, false);
	ok(read_buf(&b, 0, &sum, &err) == 0 && !sum.checksum_present &&
	    sum.prefix_keys[0] == 1, "checksum 0 means checksums disabled");
	rdb_summary_clear(&sum);
	free(b.p);
	memset(&b, 0, sizeof b);
	b_header(&b, 4);
	b_key(&b, 0, "chimera-users:a");
	b_str(&b, "v");
	b_byte(&b, 0xff);
	ok(read_buf(&b, 1, &sum, &err) == 0 && !sum.checksum_present &&
	    sum.prefix_keys[1] == 1 && sum.bytes == b.len,
	    "version 4 file ends at the EOF opcode");
	rdb_summary_clear(&sum);
	free(b.p);
	memset(&b, 0, sizeof b);

	/* What must be refused. */
	b_header(&b, 12);
	b_key(&b, 6, "chimera-users:old-module");
	b_len_form(&b, module_id("MyType-_9", 3), 64);
	b_len(&b, 99);
	b_end(&b, true);
	refused(&b, "module type MyType-_9", "a pre-release module value");

	b_header(&b, 12);
	b_key(&b, 30, "chimera-users:future");
	b_end(&b, true);
	refused(&b, "unknown value type 30", "an unknown value type");

	b_header(&b, 12);
	b_key(&b, 8, "chimera-users:eight");
	b_end(&b, true);
	refused(&b, "unknown value type 8", "value type 8");

	b_header(&b, 10);
	b_byte(&b, 246);
	b_str(&b, "lib");
	b_end(&b, true);
	refused(&b, "pre-release format", "a pre-release function library");

	b_header(&b, 13);
	b_end(&b, true);
	refused(&b, "version 13 is not supported", "RDB version 13");
	b_header(&b, 13);
	b_end(&b, true);
	refused(&b, "written by Redis 8.6 or newer", "RDB version 13, naming Redis 8.6");

	/* Valkey 9 signs its own format. */
	b_raw(&b, "VALKEY080", 9);
	b_end(&b, true);
	refused(&b, "written by Valkey 9 or newer (signature VALKEY080",
	    "a VALKEY080 file, naming Valkey 9");

	/* An unknown type names the server that wrote the file. */
	b_header(&b, 11);
	b_byte(&b, 250);
	b_str(&b, "valkey-ver");
	b_str(&b, "8.0.1");
	b_key(&b, 26, "chimera-users:future");
	b_end(&b, true);
	refused(&b, "(RDB version 11, written by Valkey 8.0.1)",
	    "an unknown type in a Valkey file, naming Valkey");

	b_raw(&b, "REDIS00x9", 9);
	refused(&b, "bad version digits", "bad version digits");

	b_raw(&b, "NOTREDIS0012", 12);
	refused(&b, "no REDIS signature", "a file without signature");

	b_header(&b, 10);
	b_key(&b, 18, "chimera-users:ql");
	b_len(&b, 1);
	b_len(&b, 3);
	b_str(&b, "x");
	b_end(&b, true);
	refused(&b, "bad quicklist node container 3", "a bad quicklist container");

	b_header(&b, 10);
	b_key(&b, 7, "chimera-users:mod");
	b_len(&b, 1);
	b_len(&b, 9);
	b_end(&b, true);
	refused(&b, "unknown module data opcode 9", "an unknown module opcode");

	b_header(&b, 10);
	b_byte(&b, 247);
	b_len(&b, 1);
	b_len(&b, 1);
	b_end(&b, true);
	refused(&b, "bad module aux data", "module aux with a bad when-opcode");

	{
		static const unsigned char bad_ref[] = { 0, 'a', 0x20, 5 };

		b_header(&b, 10);
		b_byte(&b, 0);
		b_lzf(&b, bad_ref, sizeof bad_ref, 4);
		b_str(&b, "v");
		b_end(&b, true);
		refused(&b, "damaged LZF", "an LZF key referring before its start");
	}

	b_header(&b, 10);
	b_byte(&b, 0);
	b_byte(&b, 0xc5);
	b_end(&b, true);
	refused(&b, "unknown string encoding 5", "an unknown string encoding");

	b_header(&b, 10);
	b_byte(&b, 254);
	b_byte(&b, 0x82);
	b_end(&b, true);
	refused(&b, "bad length byte 0x82", "a bad length byte");

	return tap_done();
}
