/*
 * Tests the RDB reader's key hook and value mode (src/redis/rdb-reader.c)
 * and the DUMP payloads made of them, against a live redis-server: a
 * server filled with every type and encoding it writes (long and
 * LZF-compressed keys, integer keys, binary keys, TTLs in seconds and
 * milliseconds, two databases) saves its RDB; each key the reader hands
 * over must be a key of the server, with its TTL (PEXPIRETIME), and its
 * payload must be accepted by RESTORE (with and without ABSTTL) and give
 * back the same value (DEBUG DIGEST-VALUE); for the encodings the server
 * keeps as they are in the file, the payload is byte for byte what DUMP
 * answers. Fed whole, one byte at a time and in random chunks, the reader
 * hands over the same keys and values. Also key slots (src/redis/
 * redis-slot.c) against the values Redis documents.
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
#include "redis/redis-slot.h"
#include "tap.h"
#include "test-rdb-server.h"

#define RESTORE_DB 7

struct key {
	char *key;
	size_t keylen;
	int type;
	uint64_t db;
	int64_t expire_ms;
	uint8_t *value;
	size_t valuelen;
};

struct keys {
	struct key *v;
	size_t n;
	uint64_t slot_infos;
};

static int
collect(void *ud, const struct rdb_key *k, struct vs_error *err)
{
	struct keys *ks = ud;
	struct key *e;

	(void)err;
	ks->v = xreallocarray(ks->v, ks->n + 1, sizeof *ks->v);
	e = &ks->v[ks->n++];
	e->key = xmalloc(k->keylen + 1);
	memcpy(e->key, k->key, k->keylen);
	e->key[k->keylen] = '\0';
	e->keylen = k->keylen;
	e->type = k->type;
	e->db = k->db;
	e->expire_ms = k->expire_ms;
	e->valuelen = k->valuelen;
	e->value = NULL;
	if (k->value != NULL) {
		e->value = xmalloc(k->valuelen + 1);
		memcpy(e->value, k->value, k->valuelen);
	}
	return 0;
}

static void
keys_free(struct keys *ks)
{
	for (size_t i = 0; i < ks->n; i++) {
		free(ks->v[i].key);
		free(ks->v[i].value);
	}
	free(ks->v);
	memset(ks, 0, sizeof *ks);
}

/* Read buf in chunks of step bytes (0: random sizes), collecting keys. */
static int
read_keys(const unsigned char *buf, size_t len, size_t step, unsigned flags, struct keys *ks,
    int *version)
{
	struct rdb_reader *r = rdb_reader_new(NULL, 0, 0);
	struct rdb_summary sum;
	struct vs_error err;
	unsigned seed = 11;
	size_t off = 0;
	int rc;

	memset(ks, 0, sizeof *ks);
	rdb_reader_on_key(r, collect, ks, flags);
	while (off < len) {
		size_t n = step > 0 ? step : 1 + (size_t)rand_r(&seed) % 7000;

		if (n > len - off)
			n = len - off;
		if (rdb_reader_feed(r, buf + off, n, &err) != 0) {
			printf("# %s\n", err.msg);
			rdb_reader_free(r);
			return -1;
		}
		off += n;
	}
	*version = rdb_reader_version(r);
	rc = rdb_reader_finish(r, &sum, &err);
	if (rc != 0)
		printf("# %s\n", err.msg);
	rdb_summary_clear(&sum);
	rdb_reader_free(r);
	return rc;
}

static bool
same_keys(const struct keys *a, const struct keys *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct key *x = &a->v[i], *y = &b->v[i];

		if (x->keylen != y->keylen || memcmp(x->key, y->key, x->keylen) != 0 ||
		    x->type != y->type || x->db != y->db || x->expire_ms != y->expire_ms ||
		    x->valuelen != y->valuelen ||
		    (x->value != NULL) != (y->value != NULL) ||
		    (x->value != NULL && memcmp(x->value, y->value, x->valuelen) != 0))
			return false;
	}
	return true;
}

static void
test_slots(void)
{
	is_int(redis_crc16("123456789", 9), 0x31c3, "CRC-16/XMODEM of \"123456789\"");
	is_int(redis_key_slot("somekey", 7), 11058, "slot of somekey (Redis documentation)");
	is_int(redis_key_slot("foo{hash_tag}", 13), 2515, "slot of foo{hash_tag}");
	is_int(redis_key_slot("bar{hash_tag}", 13), 2515, "bar{hash_tag}: the same slot");
	is_int(redis_key_slot("{user1000}.following", 20),
	    redis_key_slot("user1000", 8), "the hash tag alone decides the slot");
	is_int(redis_key_slot("foo{}{bar}", 10), redis_crc16("foo{}{bar}", 10) & 16383,
	    "an empty tag: the whole key is hashed");
	is_int(redis_key_slot("foo{{bar}}zap", 13), redis_key_slot("{bar", 4),
	    "foo{{bar}}zap hashes \"{bar\"");
	is_int(redis_key_slot("foo{bar}{zap}", 13), redis_key_slot("bar", 3),
	    "the first tag wins");
	is_int(redis_key_slot("foo{bar", 7), redis_crc16("foo{bar", 7) & 16383,
	    "an unclosed brace is no tag");
	is_int(redis_key_slot("", 0), 0, "the empty key is in slot 0");
}

/* A payload by hand: value, version, CRC-64. */
static void
test_payload(void)
{
	static const uint8_t val[] = { 0x00, 0x03, 'a', 'b', 'c' };
	struct rdb_key k = { .value = val, .valuelen = sizeof val };
	uint8_t *p;
	size_t len;
	uint64_t crc = 0;

	p = rdb_dump_payload(&k, 10, &len);
	is_int(len, sizeof val + 10, "a payload is the value, 2 bytes of version, 8 of CRC");
	ok(memcmp(p, val, sizeof val) == 0, "it starts with the value");
	ok(p[5] == 10 && p[6] == 0, "the version is little-endian");
	for (int i = 0; i < 8; i++)
		crc |= (uint64_t)p[7 + i] << (8 * i);
	ok(crc == rdb_crc64(0, p, 7), "the CRC-64 covers value and version");
	free(p);
}

static int pending;

static void
pcmd(struct tserver *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	redisvAppendCommand(s->c, fmt, ap);
	va_end(ap);
	pending++;
}

static int
pflush(struct tserver *s)
{
	int errors = 0;

	for (; pending > 0; pending--) {
		redisReply *rep;

		if (redisGetReply(s->c, (void **)&rep) != REDIS_OK)
			return -1;
		if (rep->type == REDIS_REPLY_ERROR && errors++ < 3)
			printf("# redis: %s\n", rep->str);
		freeReplyObject(rep);
	}
	return errors ? -1 : 0;
}

static int
fill(struct tserver *s)
{
	static char comp[3001], elem[2101];
	char key[400];

	memset(comp, 'a', sizeof comp - 1);
	memset(elem, 'e', sizeof elem - 1);
	if (tserver_cmd(s, "DEBUG QUICKLIST-PACKED-THRESHOLD 2000") < 0 ||
	    tserver_cmd(s, "CONFIG SET stream-node-max-entries 50") < 0)
		return -1;
	for (int db = 0; db <= 2; db += 2) {
		pcmd(s, "SELECT %d", db);
		for (int i = 0; i < 60; i++) {
			snprintf(key, sizeof key, "chimera-vectors:{doc%d}:%d", i % 7, i);
			if (i % 3 == 0)
				pcmd(s, "SET %s %d", key, i * 1000);
			else if (i % 5 == 1)
				pcmd(s, "SET %s %s", key, comp);
			else
				pcmd(s, "SET %s {\"id\":%d,\"v\":[0.1,0.2,0.3]}", key, i);
			if (i % 10 == 0)
				pcmd(s, "EXPIRE %s 3600", key);
			if (i % 10 == 5)
				pcmd(s, "PEXPIREAT %s 4102444800123", key);
		}
		for (int i = 0; i < 10; i++)
			pcmd(s, "SET chimera-users:kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk:%d u", i);
		pcmd(s, "SET 12345 int-key");
		pcmd(s, "SET -5 int-key");
		pcmd(s, "SET %b empty-key", "", (size_t)0);
		pcmd(s, "SET %b binary-key", "chimera-users:\0bin", (size_t)18);
		pcmd(s, "RPUSH list:small a b c 1");
		for (int i = 0; i < 1500; i++)
			pcmd(s, "RPUSH list:big element-%d-padding-padding-padding", i);
		pcmd(s, "RPUSH list:plain small1 %s small2", elem);
		pcmd(s, "SADD set:int 1 2 3 100 -7");
		for (int i = 0; i < 700; i++)
			pcmd(s, "SADD set:bigint %d", i * 7);
		pcmd(s, "SADD set:str alpha beta gamma");
		for (int i = 0; i < 300; i++)
			pcmd(s, "SADD set:bigstr member-%d", i);
		pcmd(s, "ZADD zset:small 1 one 2.5 two -inf low +inf high");
		for (int i = 0; i < 300; i++)
			pcmd(s, "ZADD zset:big %d.25 member-%d", i, i);
		pcmd(s, "ZADD zset:inf -inf a +inf b");
		pcmd(s, "HSET hash:small f1 v1 f2 22 f3 v3");
		for (int i = 0; i < 300; i++)
			pcmd(s, "HSET hash:big field-%d value-%d", i, i);
		pcmd(s, "HSET hash:bigvalue f %s", comp);
		pcmd(s, "PEXPIRE hash:big 7200000");
		for (int i = 0; i < 200; i++)
			pcmd(s, "XADD stream * n %d payload p-%d", i, i);
		pcmd(s, "XGROUP CREATE stream g1 0");
		pcmd(s, "XGROUP CREATE stream g2 $");
		pcmd(s, "XREADGROUP GROUP g1 c1 COUNT 10 STREAMS stream >");
		pcmd(s, "XGROUP CREATECONSUMER stream g2 idle");
		pcmd(s, "XADD stream:empty * a 1");
		pcmd(s, "XDEL stream:empty 0-0");
		if (pflush(s) < 0)
			return -1;
	}
	return tserver_cmd(s, "SELECT 0");
}

static redisReply *
cmd(struct tserver *s, const char *fmt, ...)
{
	va_list ap;
	redisReply *rep;

	va_start(ap, fmt);
	rep = redisvCommand(s->c, fmt, ap);
	va_end(ap);
	return rep;
}

/* The server's view of each key against what the reader handed over. */
static void
check_keys(struct tserver *s, const struct keys *ks, int version)
{
	size_t bad_ttl = 0, bad_restore = 0, bad_abs = 0, same_dump = 0, bad_dump = 0,
	    dumps = 0;
	long long total = 0;
	redisReply *rep;

	for (int db = 0; db <= 2; db += 2) {
		if ((rep = cmd(s, "SELECT %d", db)) != NULL)
			freeReplyObject(rep);
		if ((rep = cmd(s, "DBSIZE")) != NULL && rep->type == REDIS_REPLY_INTEGER)
			total += rep->integer;
		freeReplyObject(rep);
	}
	is_int(ks->n, total, "the reader handed over every key of both databases");

	for (size_t i = 0; i < ks->n; i++) {
		const struct key *k = &ks->v[i];
		struct rdb_key rk = { .value = k->value, .valuelen = k->valuelen };
		redisReply *d1, *d2, *dump, *pt;
		uint8_t *p;
		size_t plen;
		bool verbatim;

		p = rdb_dump_payload(&rk, version, &plen);
		freeReplyObject(cmd(s, "SELECT %d", (int)k->db));
		pt = cmd(s, "PEXPIRETIME %b", k->key, k->keylen);
		if (pt == NULL || pt->type != REDIS_REPLY_INTEGER || pt->integer != k->expire_ms) {
			if (bad_ttl++ < 3)
				printf("# key %s: PEXPIRETIME %lld, reader %lld\n", k->key,
				    pt != NULL ? pt->integer : -9, (long long)k->expire_ms);
		}
		freeReplyObject(pt);
		dump = cmd(s, "DUMP %b", k->key, k->keylen);
		d1 = cmd(s, "DEBUG DIGEST-VALUE %b", k->key, k->keylen);
		/* Kept as the file has them: strings, listpacks, intsets. */
		verbatim = k->type == 0 || k->type == 11 || k->type == 16 || k->type == 17 ||
		    k->type == 20;
		if (dump != NULL && dump->type == REDIS_REPLY_STRING &&
		    dump->len == plen && memcmp(dump->str, p, plen) == 0)
			same_dump++;
		else if (verbatim && bad_dump++ < 3)
			printf("# key %s (type %d): DUMP differs from the payload\n", k->key, k->type);
		dumps += verbatim;
		freeReplyObject(dump);

		freeReplyObject(cmd(s, "SELECT %d", RESTORE_DB));
		/* The digest of a value counts whether it has a TTL. */
		if (k->expire_ms >= 0)
			rep = cmd(s, "RESTORE %b %lld %b REPLACE ABSTTL", k->key, k->keylen,
			    (long long)k->expire_ms, p, plen);
		else
			rep = cmd(s, "RESTORE %b 0 %b REPLACE", k->key, k->keylen, p, plen);
		d2 = cmd(s, "DEBUG DIGEST-VALUE %b", k->key, k->keylen);
		if (rep == NULL || rep->type == REDIS_REPLY_ERROR || d1 == NULL || d2 == NULL ||
		    d1->type != REDIS_REPLY_ARRAY || d2->type != REDIS_REPLY_ARRAY ||
		    d1->elements != 1 || d2->elements != 1 ||
		    strcmp(d1->element[0]->str, d2->element[0]->str) != 0) {
			if (bad_restore++ < 3)
				printf("# key %s (type %d): RESTORE %s\n", k->key, k->type,
				    rep != NULL && rep->type == REDIS_REPLY_ERROR ? rep->str :
				    "gave another value");
		}
		freeReplyObject(rep);
		freeReplyObject(d1);
		freeReplyObject(d2);
		if (k->expire_ms >= 0) {
			pt = cmd(s, "PEXPIRETIME %b", k->key, k->keylen);
			if (pt == NULL || pt->type != REDIS_REPLY_INTEGER ||
			    pt->integer != k->expire_ms)
				bad_abs++;
			freeReplyObject(pt);
		}
		free(p);
	}
	is_int(bad_ttl, 0, "every key's TTL is the server's (PEXPIRETIME)");
	is_int(bad_restore, 0, "RESTORE takes every payload and gives back the same value "
	    "(DEBUG DIGEST-VALUE)");
	is_int(bad_abs, 0, "RESTORE ... ABSTTL keeps the absolute TTL");
	is_int(bad_dump, 0, "for strings, listpacks and intsets the payload is what DUMP "
	    "answers (%zu keys)", dumps);
	printf("# %zu of %zu payloads byte for byte equal to DUMP\n", same_dump, ks->n);
	freeReplyObject(cmd(s, "SELECT 0"));
}

static int
refuse(void *ud, const struct rdb_key *k, struct vs_error *err)
{
	int *seen = ud;

	if (++*seen < 3)
		return 0;
	return error_set(err, VS_ERR_VERIFY, "key %.*s refused", (int)k->keylen,
	    (const char *)k->key);
}

static void
test_server(void)
{
	struct tserver s;
	struct keys whole, bytes, random, novals;
	unsigned char *buf;
	size_t len;
	int version = 0, v2, seen = 0;
	struct rdb_reader *r;
	struct vs_error err;

	if (!ok(tserver_start(&s, "") == 0, "redis-server started")) {
		tserver_stop(&s);
		return;
	}
	ok(fill(&s) == 0, "filled with every type");
	ok(tserver_cmd(&s, "SAVE") == 0, "SAVE");
	buf = tserver_slurp(s.rdb, &len);
	if (!ok(buf != NULL, "read the RDB file")) {
		tserver_stop(&s);
		return;
	}
	ok(read_keys(buf, len, len, RDB_KEYS_VALUES, &whole, &version) == 0,
	    "value mode reads the file fed whole");
	ok(read_keys(buf, len, 1, RDB_KEYS_VALUES, &bytes, &v2) == 0 &&
	    same_keys(&whole, &bytes), "one byte at a time: the same keys and values");
	ok(read_keys(buf, len, 0, RDB_KEYS_VALUES, &random, &v2) == 0 &&
	    same_keys(&whole, &random), "in random chunks: the same keys and values");
	ok(read_keys(buf, len, 0, 0, &novals, &v2) == 0 && novals.n == whole.n &&
	    novals.v[0].value == NULL, "without value mode: the keys, no values");
	check_keys(&s, &whole, version);

	r = rdb_reader_new(NULL, 0, 0);
	rdb_reader_on_key(r, refuse, &seen, 0);
	error_clear(&err);
	ok(rdb_reader_feed(r, buf, len, &err) != 0 && err.code == VS_ERR_VERIFY &&
	    strstr(err.msg, "refused") != NULL, "a hook's error stops the reader with it");
	rdb_reader_free(r);

	keys_free(&whole);
	keys_free(&bytes);
	keys_free(&random);
	keys_free(&novals);
	free(buf);
	tserver_stop(&s);
}

int
main(void)
{
	test_slots();
	test_payload();
	if (!tserver_available()) {
		printf("# redis-server not found: skipping the server tests\n");
		return tap_done();
	}
	test_server();
	return tap_done();
}
