/*
 * Tests src/redis/rdb-reader.c on the RDB files that newer servers wrote
 * (tests/fixtures/rdb: Redis 7.2, 7.4, 8.0 and Valkey 8, standalone and
 * cluster mode; see make-fixtures.sh there). Each file is read whole and in
 * random chunks, for each of its databases, and compared with what the
 * server itself reported when it saved (NAME.expect): the format version,
 * the server and its version, keys and expires per db, keys per prefix and
 * keys per value type. A truncated copy and a copy with one byte changed
 * must be refused. Needs no server.
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
