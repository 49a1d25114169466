/*
 * Tests src/redis/rdb-reader.c on the RDB files that newer servers wrote
 * (tests/fixtures/rdb: Redis 7.2, 7.4, 8.0 and Valkey 8, standalone and
 * cluster mode; see make-fixtures.sh there). Each file is read whole and in
 * random chunks, for each of its databases, and compared with what the
 * server itself reported when it saved (NAME.expect): the format version,
 * the server and its version, keys and expires per db, keys per prefix and
 * keys per value type. A truncated copy and a copy with one byte changed
 * must be refused. In value mode every key's DUMP payload and TTL are
 * compared with what the server answered to DUMP and PEXPIRETIME once it
 * had loaded the file (NAME.dump, see make-dumps.sh); in the cluster
 * fixtures each per-slot record (SLOT_INFO, Valkey's slot-info) must count
 * exactly the keys whose CRC-16 slot it is. Needs no server.
 */
#include "config.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "redis/rdb-reader.h"
#include "redis/redis-slot.h"
#include "tap.h"

#ifndef VS_TOP_SRCDIR
#define VS_TOP_SRCDIR "."
#endif

static const char *const prefixes[] = { "chimera-vectors:", "chimera-users:" };
#define NPREFIXES 2
#define MAXDB 8

struct expect_db {
	int db;
	uint64_t keys, expires, prefix[NPREFIXES];
};

struct expect {
	int rdb_version;
	char server[16], server_ver[32];
	struct expect_db dbs[MAXDB];
	int ndbs;
	uint64_t all_keys;
	uint64_t types[RDB_TYPE_MAX + 1];
	bool types_seen;
};

static int
load_file(const char *path, unsigned char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (f == NULL)
		return -1;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return -1;
	}
	*buf = xmalloc((size_t)n + 1);
	*len = fread(*buf, 1, (size_t)n, f);
	fclose(f);
	return *len == (size_t)n ? 0 : -1;
}

/* Parse NAME.expect; see make-fixtures.sh for what each line means. */
static int
parse_expect(const char *path, struct expect *e)
{
	FILE *f = fopen(path, "r");
	char line[1024];

	memset(e, 0, sizeof *e);
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		char *save = NULL, *w = strtok_r(line, " \n", &save);

		if (w == NULL || w[0] == '#')
			continue;
		if (strcmp(w, "rdb_version") == 0) {
			e->rdb_version = atoi(strtok_r(NULL, " \n", &save));
		} else if (strcmp(w, "server") == 0) {
			snprintf(e->server, sizeof e->server, "%s", strtok_r(NULL, " \n", &save));
			snprintf(e->server_ver, sizeof e->server_ver, "%s",
			    strtok_r(NULL, " \n", &save));
		} else if (strcmp(w, "all_keys") == 0) {
			e->all_keys = strtoull(strtok_r(NULL, " \n", &save), NULL, 10);
		} else if (strcmp(w, "db") == 0 && e->ndbs < MAXDB) {
			struct expect_db *d = &e->dbs[e->ndbs++];
			char *k, *v;

			d->db = atoi(strtok_r(NULL, " \n", &save));
			while ((k = strtok_r(NULL, " \n", &save)) != NULL &&
			    (v = strtok_r(NULL, " \n", &save)) != NULL) {
				uint64_t n = strtoull(v, NULL, 10);

				if (strcmp(k, "keys") == 0)
					d->keys = n;
				else if (strcmp(k, "expires") == 0)
					d->expires = n;
				for (int p = 0; p < NPREFIXES; p++)
					if (strcmp(k, prefixes[p]) == 0)
						d->prefix[p] = n;
			}
		} else if (strcmp(w, "types") == 0) {
			char *t;

			e->types_seen = true;
			while ((t = strtok_r(NULL, " \n", &save)) != NULL) {
				int type = atoi(t);
				char *colon = strchr(t, ':');

				if (type >= 0 && type <= RDB_TYPE_MAX && colon != NULL)
					e->types[type] = strtoull(colon + 1, NULL, 10);
			}
		}
	}
	fclose(f);
	return e->rdb_version > 0 && e->ndbs > 0 ? 0 : -1;
}

/* Feed buf whole (maxchunk 0) or in random chunks of 1..maxchunk bytes. */
static int
read_rdb(const unsigned char *buf, size_t len, int db, size_t maxchunk, unsigned seed,
    struct rdb_summary *sum, struct vs_error *err)
{
	struct rdb_reader *r = rdb_reader_new(prefixes, NPREFIXES, db);
	size_t off = 0;
	int rc = 0;

	memset(sum, 0, sizeof *sum);
	while (off < len && rc == 0) {
		size_t n = maxchunk == 0 ? len : 1 + (size_t)rand_r(&seed) % maxchunk;

		if (n > len - off)
			n = len - off;
		rc = rdb_reader_feed(r, buf + off, n, err);
		off += n;
	}
	if (rc == 0)
		rc = rdb_reader_finish(r, sum, err);
	rdb_reader_free(r);
	return rc;
}

/* One line of NAME.dump. */
struct dump_line {
	int db;
	char *key;            /* hex */
	long long ttl;
	char *dump;           /* hex */
	bool seen;
};

struct dump_ctx {
	struct dump_line *lines;
	size_t n;
	int version;
	size_t matched, same_ttl, same_bytes, verbatim, verbatim_same, unknown;
	uint64_t slot_keys[REDIS_SLOTS], slot_expires[REDIS_SLOTS];
	uint64_t info_keys[REDIS_SLOTS], info_expires[REDIS_SLOTS];
	bool info_seen[REDIS_SLOTS];
	size_t ninfo;
};

static char *
hex(const uint8_t *p, size_t n)
{
	char *out = xmalloc(2 * n + 2);

	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
	if (n == 0)
		strcpy(out, "-");
	return out;
}

static int
dump_key(void *ud, const struct rdb_key *k, struct vs_error *err)
{
	struct dump_ctx *dc = ud;
	char *kh = hex(k->key, k->keylen);
	unsigned slot = redis_key_slot(k->key, k->keylen);
	struct dump_line *l = NULL;

	(void)err;
	dc->slot_keys[slot]++;
	if (k->expire_ms >= 0)
		dc->slot_expires[slot]++;
	for (size_t i = 0; i < dc->n && l == NULL; i++)
		if (!dc->lines[i].seen && dc->lines[i].db == (int)k->db &&
		    strcmp(dc->lines[i].key, kh) == 0)
			l = &dc->lines[i];
	if (l == NULL) {
		dc->unknown++;
	} else {
		size_t plen;
		uint8_t *p = rdb_dump_payload(k, dc->version, &plen);
		char *ph = hex(p, plen);
		/* Kept by the server as the file has them: strings, intsets,
		 * listpacks, quicklists of listpacks. */
		bool verbatim = k->type == 0 || k->type == 11 || k->type == 16 ||
		    k->type == 17 || k->type == 18 || k->type == 20;

		l->seen = true;
		dc->matched++;
		dc->same_ttl += l->ttl == k->expire_ms;
		dc->same_bytes += strcmp(ph, l->dump) == 0;
		dc->verbatim += verbatim;
		dc->verbatim_same += verbatim && strcmp(ph, l->dump) == 0;
		free(ph);
		free(p);
	}
	free(kh);
	return 0;
}

static void
slot_info(void *ud, uint64_t slot, uint64_t keys, uint64_t expires)
{
	struct dump_ctx *dc = ud;

	if (slot >= REDIS_SLOTS)
		return;
	dc->ninfo++;
	dc->info_seen[slot] = true;
	dc->info_keys[slot] = keys;
	dc->info_expires[slot] = expires;
}

/* The reader's payloads against the server's DUMP answers. */
static void
check_dumps(const char *path, const char *name, const unsigned char *buf, size_t len)
{
	char dpath[1024], line[65536];
	struct dump_ctx *dc = xcalloc(1, sizeof *dc);
	struct rdb_reader *r;
	struct rdb_summary sum;
	struct vs_error err;
	FILE *f;
	bool slots_ok = true, cluster = strstr(name, "-cluster") != NULL;
	int rc;

	snprintf(dpath, sizeof dpath, "%.*s.dump", (int)(strlen(path) - 4), path);
	f = fopen(dpath, "r");
	if (!ok(f != NULL, "%s: its DUMP answers (%s) are readable", name, dpath)) {
		free(dc);
		return;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		char k[4096], d[60000];
		struct dump_line *l;

		dc->lines = xreallocarray(dc->lines, dc->n + 1, sizeof *dc->lines);
		l = &dc->lines[dc->n];
		if (sscanf(line, "%d %4095s %lld %59999s", &l->db, k, &l->ttl, d) != 4)
			continue;
		l->key = xstrdup(k);
		l->dump = xstrdup(d);
		l->seen = false;
		dc->n++;
	}
	fclose(f);

	r = rdb_reader_new(prefixes, NPREFIXES, 0);
	rdb_reader_on_key(r, dump_key, dc, RDB_KEYS_VALUES);
	rdb_reader_on_slot_info(r, slot_info, dc);
	/* The version comes with the header: feed it first. */
	rc = rdb_reader_feed(r, buf, 9, &err);
	dc->version = rdb_reader_version(r);
	if (rc == 0)
		rc = rdb_reader_feed(r, buf + 9, len - 9, &err);
	if (rc == 0)
		rc = rdb_reader_finish(r, &sum, &err);
	if (!ok(rc == 0, "%s: read in value mode", name))
		printf("#   %s\n", err.msg);
	else
		rdb_summary_clear(&sum);
	rdb_reader_free(r);
	is_int(dc->matched, dc->n, "%s: every key the server holds was handed over", name);
	is_int(dc->unknown, 0, "%s: and no other", name);
	is_int(dc->same_ttl, dc->matched, "%s: each with the server's TTL", name);
	is_int(dc->verbatim_same, dc->verbatim, "%s: payloads of strings, intsets, listpacks "
	    "and quicklists are what DUMP answered (%zu keys)", name, dc->verbatim);
	printf("# %s: %zu of %zu payloads byte for byte equal to DUMP\n", name,
	    dc->same_bytes, dc->matched);
	if (cluster) {
		for (unsigned s = 0; s < REDIS_SLOTS; s++) {
			if ((dc->slot_keys[s] > 0) != dc->info_seen[s] ||
			    dc->info_keys[s] != dc->slot_keys[s] ||
			    dc->info_expires[s] != dc->slot_expires[s]) {
				if (slots_ok)
					printf("#   slot %u: %" PRIu64 " keys (%" PRIu64 " with a TTL) "
					    "by CRC-16, the record says %" PRIu64 " (%" PRIu64 ")\n",
					    s, dc->slot_keys[s], dc->slot_expires[s], dc->info_keys[s],
					    dc->info_expires[s]);
				slots_ok = false;
			}
		}
		ok(dc->ninfo > 0 && slots_ok, "%s: each of its %zu per-slot records counts the "
		    "keys of its CRC-16 slot", name, dc->ninfo);
	}
	for (size_t i = 0; i < dc->n; i++) {
		free(dc->lines[i].key);
		free(dc->lines[i].dump);
	}
	free(dc->lines);
	free(dc);
}

static void
check_fixture(const char *dir, const char *name)
{
	char path[1024], epath[1024];
	unsigned char *buf = NULL;
	size_t len = 0;
	struct expect e;
	struct rdb_summary sum;
	struct vs_error err;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	snprintf(epath, sizeof epath, "%.*s.expect", (int)(strlen(path) - 4), path);
	if (!ok(load_file(path, &buf, &len) == 0 && parse_expect(epath, &e) == 0,
	    "%s: the file and its .expect are readable", name)) {
		free(buf);
		return;
	}

	for (int i = 0; i < e.ndbs; i++) {
		const struct expect_db *d = &e.dbs[i];

		if (!ok(read_rdb(buf, len, d->db, 0, 0, &sum, &err) == 0,
		    "%s db %d: read whole", name, d->db)) {
			printf("#   %s\n", err.msg);
			continue;
		}
		is_int(sum.db_keys, d->keys, "%s db %d: DBSIZE", name, d->db);
		is_int(sum.db_expires, d->expires, "%s db %d: keys with a TTL", name, d->db);
		for (int p = 0; p < NPREFIXES; p++)
			is_int(sum.prefix_keys[p], d->prefix[p], "%s db %d: keys under %s",
			    name, d->db, prefixes[p]);
		if (i == 0) {
			bool types_ok = true;

			is_int(sum.version, e.rdb_version, "%s: RDB version", name);
			is_str(sum.server, e.server, "%s: written by %s", name, e.server);
			is_str(sum.server_ver, e.server_ver, "%s: server version", name);
			is_int(sum.all_keys, e.all_keys, "%s: keys in every db", name);
			ok(sum.checksum_present && sum.checksum_ok, "%s: CRC-64 matches", name);
			for (int t = 0; t <= RDB_TYPE_MAX; t++) {
				if (sum.type_keys[t] != e.types[t]) {
					printf("#   type %d: %" PRIu64 " keys, the server saved %"
					    PRIu64 "\n", t, sum.type_keys[t], e.types[t]);
					types_ok = false;
				}
			}
			ok(e.types_seen && types_ok, "%s: keys per value type", name);
		}
		rdb_summary_clear(&sum);
	}

	/* Chunks down to single bytes give the same counts. */
	{
		static const size_t chunks[] = { 1, 7, 300 };
		bool same = true;

		for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
			if (read_rdb(buf, len, e.dbs[0].db, chunks[c], (unsigned)c + 1, &sum,
			    &err) != 0) {
				printf("#   chunks up to %zu: %s\n", chunks[c], err.msg);
				same = false;
				continue;
			}
			if (sum.db_keys != e.dbs[0].keys || sum.all_keys != e.all_keys ||
			    sum.prefix_keys[0] != e.dbs[0].prefix[0])
				same = false;
			rdb_summary_clear(&sum);
		}
		ok(same, "%s: read in chunks of 1, up to 7 and up to 300 bytes", name);
	}

	check_dumps(path, name, buf, len);

	/* Damage is refused. */
	ok(read_rdb(buf, len - 9, 0, 0, 0, &sum, &err) != 0 &&
	    strstr(err.msg, "truncated") != NULL, "%s: a truncated copy is refused", name);
	rdb_summary_clear(&sum);
	buf[len / 2] ^= 0x20;
	ok(read_rdb(buf, len, 0, 0, 0, &sum, &err) != 0,
	    "%s: a copy with one byte changed is refused", name);
	rdb_summary_clear(&sum);
	free(buf);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(void)
{
	const char *src = getenv("VSBACKUP_SRCDIR");
	char dir[1024];
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *d;
	bool families[2] = { false, false };
	int versions[3] = { 0, 0, 0 };

	snprintf(dir, sizeof dir, "%s/tests/fixtures/rdb",
	    src != NULL && src[0] != '\0' ? src : VS_TOP_SRCDIR);
	d = opendir(dir);
	if (!ok(d != NULL, "fixture directory %s", dir))
		return tap_done();
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l > 4 && strcmp(de->d_name + l - 4, ".rdb") == 0) {
			names = xreallocarray(names, n + 1, sizeof *names);
			names[n++] = xstrdup(de->d_name);
		}
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp_names);
	for (size_t i = 0; i < n; i++) {
		check_fixture(dir, names[i]);
		if (strncmp(names[i], "redis-", 6) == 0)
			families[0] = true;
		if (strncmp(names[i], "valkey-", 7) == 0)
			families[1] = true;
		if (strncmp(names[i], "redis-7.2", 9) == 0)
			versions[0]++;
		if (strncmp(names[i], "redis-7.4", 9) == 0)
			versions[1]++;
		if (strncmp(names[i], "redis-8.", 8) == 0)
			versions[2]++;
		free(names[i]);
	}
	free(names);
	ok(families[0] && families[1] && versions[0] && versions[1] && versions[2],
	    "fixtures of Redis 7.2, 7.4, 8 and Valkey are present (%zu files)", n);
	return tap_done();
}
