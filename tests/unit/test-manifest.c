/*
 * Covers src/manifest/manifest.c: the optional fields a restore relies on
 * (owner and mode of the live files and of Redis's data directory, the
 * keys with a TTL per prefix and in the database) survive a round trip,
 * are absent from older manifests without making them unreadable, and are
 * refused when they do not make sense (a mode beyond 0777, more keys with
 * a TTL than keys). A cluster backup's shards survive a round trip, and
 * shards that leave a slot out, share one, or do not add up to the totals
 * are refused. The records of verifies kept next to a backup hold the
 * newest first and at most VERIFY_RECORD_MAX of them, and a record without
 * a valid time or outcome is no record.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "common/xmalloc.h"
#include "manifest/manifest.h"
#include "manifest/verify-record.h"
#include "tests/unit/tap.h"

static const char *const base_json =
    "{\"format_version\": 1, \"backup_id\": \"20240702_120000\", \"type\": \"manual\","
    " \"created_at\": \"2024-07-02T12:00:00Z\", \"completed_at\": \"2024-07-02T12:00:01Z\","
    " \"tool_version\": \"vsbackup test\","
    " \"redis\": {\"file\": \"redis.rdb\", \"size\": 10, \"sha256\":"
    " \"0000000000000000000000000000000000000000000000000000000000000000\","
    " \"redis_version\": \"7.0.15\", \"dbsize\": 5, \"key_counts\": {\"a:\": 3, \"b:\": 2}%s},"
    " \"indices\": {\"content\": {\"file\": null, \"missing\": true},"
    " \"user\": {\"file\": null, \"missing\": true}}}";

#define ZERO64 "0000000000000000000000000000000000000000000000000000000000000000"
#define SHARD(id, slots, n, a) \
	"{\"file\": \"redis-" id ".rdb\", \"size\": 10, \"sha256\": \"" ZERO64 "\"," \
	" \"node_id\": \"" id "\", \"address\": \"127.0.0.1:7000\", \"slots\": " slots "," \
	" \"redis_version\": \"7.0.15\", \"rdb_version\": 10, \"dbsize\": " n "," \
	" \"key_counts\": {\"a:\": " a ", \"b:\": 1}}"
#define ID1 "1111111111111111111111111111111111111111"
#define ID2 "2222222222222222222222222222222222222222"

static const char *const cluster_json =
    "{\"format_version\": 1, \"backup_id\": \"20240702_120000\", \"type\": \"manual\","
    " \"created_at\": \"2024-07-02T12:00:00Z\", \"completed_at\": \"2024-07-02T12:00:01Z\","
    " \"tool_version\": \"vsbackup test\","
    " \"redis\": {\"mode\": \"cluster\", \"redis_version\": \"7.0.15\", \"dbsize\": 5,"
    " \"key_counts\": {\"a:\": 3, \"b:\": 2}, \"shards\": [%s]},"
    " \"indices\": {\"content\": {\"file\": null, \"missing\": true},"
    " \"user\": {\"file\": null, \"missing\": true}}}";

static int
parse_cluster(const char *shards, struct manifest *m, struct vs_error *err)
{
	char *json = xasprintf(cluster_json, shards);
	int r;

	error_clear(err);
	r = manifest_parse(json, "test", m, err);
	free(json);
	return r;
}

static void
test_cluster(void)
{
	struct manifest m, m2;
	struct vs_error err;
	char *json;
	const struct manifest_file *f;

	ok(parse_cluster(SHARD(ID1, "[[0, 8000]]", "2", "1") ", "
	    SHARD(ID2, "[[8001, 16383]]", "3", "2"), &m, &err) == 0,
	    "a cluster backup with two shards parses: %s", err.msg);
	ok(manifest_is_cluster(&m), "  it is a cluster backup");
	is_int(m.redis.nshards, 2, "  two shards");
	is_str(m.redis.shards[1].file.name, "redis-" ID2 ".rdb", "  each shard's file");
	is_int(m.redis.shards[1].slots[0].first, 8001, "  and slots");
	is_int(manifest_nfiles(&m), 4, "  four files: two RDBs and two indexes");
	f = manifest_file_by_name(&m, "redis-" ID1 ".rdb");
	ok(f == &m.redis.shards[0].file, "  a shard's file is found by its name");
	is_int(manifest_rdb_size(&m), 20, "  the RDB size is the shards' sum");
	json = manifest_to_json(&m);
	ok(manifest_parse(json, "round trip", &m2, &err) == 0, "the serialised form parses again: %s",
	    err.msg);
	is_int(m2.redis.nshards, 2, "  with both shards");
	is_int(m2.redis.shards[0].counts[0], 1, "  and their key counts");
	free(json);
	manifest_clear(&m2);
	manifest_clear(&m);

	ok(parse_cluster(SHARD(ID1, "[[0, 8000]]", "2", "1") ", "
	    SHARD(ID2, "[[8002, 16383]]", "3", "2"), &m, &err) != 0 &&
	    strstr(err.msg, "do not cover every slot") != NULL,
	    "a slot no shard served is refused (%s)", err.msg);
	ok(parse_cluster(SHARD(ID1, "[[0, 8001]]", "2", "1") ", "
	    SHARD(ID2, "[[8001, 16383]]", "3", "2"), &m, &err) != 0 &&
	    strstr(err.msg, "two shards") != NULL,
	    "a slot of two shards is refused (%s)", err.msg);
	ok(parse_cluster(SHARD(ID1, "[[0, 8000]]", "2", "1") ", "
	    SHARD(ID2, "[[8001, 16383]]", "3", "1"), &m, &err) != 0 &&
	    strstr(err.msg, "do not add up") != NULL,
	    "shard counts that do not add up to the totals are refused (%s)", err.msg);
	ok(parse_cluster(SHARD(ID1, "[[0, 8000]]", "2", "1") ", "
	    SHARD(ID1, "[[8001, 16383]]", "3", "2"), &m, &err) != 0,
	    "two shards with one node id are refused (%s)", err.msg);
	ok(parse_cluster(SHARD("xyz", "[[0, 16383]]", "5", "3"), &m, &err) != 0 &&
	    strstr(err.msg, "node_id") != NULL, "a node id that is not 40 hex digits is refused (%s)",
	    err.msg);
	ok(manifest_rdb_name_valid("redis-" ID1 ".rdb") && manifest_rdb_name_valid("redis.rdb") &&
	    !manifest_rdb_name_valid("redis-../x.rdb") && !manifest_rdb_name_valid("redis-" ID1 ".rdbx"),
	    "RDB file names: redis.rdb and redis-<node id>.rdb only");
}

static int
parse_with(const char *extra, struct manifest *m, struct vs_error *err)
{
	char *json = xasprintf(base_json, extra);
	int r;

	error_clear(err);
	r = manifest_parse(json, "test", m, err);
	free(json);
	return r;
}

/* Keeps adding records, as twenty-five verifies would; checks the cap and the order. */
static void
records_check(void)
{
	struct verify_record r, back;
	char *text = NULL, *next;
	cJSON *root;
	int n;

	memset(&r, 0, sizeof r);
	for (int i = 0; i < VERIFY_RECORD_MAX + 5; i++) {
		r.at = 1700000000 + i;
		r.ok = i % 2 == 0;
		r.deep = i == VERIFY_RECORD_MAX + 4;
		snprintf(r.location, sizeof r.location, "loc%d", i);
		snprintf(r.summary, sizeof r.summary, i % 2 == 0 ? "" : "bad %d", i);
		next = verify_record_add(text, &r);
		free(text);
		text = next;
	}
	root = cJSON_Parse(text);
	n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "records"));
	cJSON_Delete(root);
	is_int(n, VERIFY_RECORD_MAX, "verify records are capped at VERIFY_RECORD_MAX");
	ok(verify_record_latest(text, &back) == 0 && back.at == r.at && back.ok && back.deep &&
	    strcmp(back.location, r.location) == 0 && back.summary[0] == '\0',
	    "the newest record comes back whole");
	free(text);
	text = verify_record_add(NULL, &(struct verify_record){ .at = 5, .location = "x",
	    .summary = "checksum of redis.rdb" });
	ok(verify_record_latest(text, &back) == 0 && !back.ok && !back.deep &&
	    strcmp(back.summary, "checksum of redis.rdb") == 0, "a failed record keeps its summary");
	free(text);
	ok(verify_record_latest("{\"records\": [{\"at\": \"2024-07-02T12:00:00Z\"}]}", &back) != 0,
	    "a record without an outcome is none");
	ok(verify_record_latest("{\"records\": [{\"at\": \"yesterday\", \"ok\": true}]}", &back) != 0,
	    "a record with a bad time is none");
	ok(verify_record_latest("{\"records\": [{\"at\": \"2024-07-02T12:00:00Z\", \"ok\": true,"
	    " \"location\": 7}]}", &back) == 0 && back.ok && back.location[0] == '\0',
	    "a location that is not a string is left empty");
	ok(verify_record_latest("[", &back) != 0 && verify_record_latest(NULL, &back) != 0,
	    "no document: no record");
}

int
main(void)
{
	struct manifest m, m2;
	struct vs_error err;
	struct stat sb;
	char *json;

	/* An older manifest: no owner, no TTL counts. */
	ok(parse_with("", &m, &err) == 0, "a manifest without the optional fields parses: %s",
	    err.msg);
	ok(!m.redis.file.owner.known && !m.redis.dir_owner.known && !m.redis.expires_known,
	    "  owners and TTL counts are unknown");
	manifest_clear(&m);

	/* Every optional field, and a round trip through manifest_to_json. */
	ok(parse_with(", \"owner\": {\"uid\": 105, \"gid\": 106, \"mode\": \"0640\"},"
	    " \"data_dir_owner\": {\"uid\": 105, \"gid\": 106, \"mode\": \"0750\"},"
	    " \"dbsize_expires\": 2, \"key_expires\": {\"a:\": 1, \"b:\": 1}", &m, &err) == 0,
	    "a manifest with owners and TTL counts parses: %s", err.msg);
	is_int(m.redis.file.owner.uid, 105, "  the RDB's owner");
	is_int(m.redis.file.owner.gid, 106, "  its group");
	is_int(m.redis.file.owner.mode, 0640, "  its mode");
	is_int(m.redis.dir_owner.mode, 0750, "  the data directory's mode");
	ok(m.redis.expires_known, "  TTL counts known");
	is_int(m.redis.db_expires, 2, "  keys with a TTL in the database");
	is_int(manifest_count_entry(&m, "a:")->expires, 1, "  under a:");
	json = manifest_to_json(&m);
	ok(manifest_parse(json, "round trip", &m2, &err) == 0, "the serialised form parses again");
	is_int(m2.redis.file.owner.mode, 0640, "  with the mode");
	is_int(m2.redis.dir_owner.uid, 105, "  the data directory's owner");
	is_int(manifest_count_entry(&m2, "b:")->expires, 1, "  and the TTL counts");
	ok(strstr(json, "\"mode\":\t\"0640\"") != NULL, "  the mode is written in octal");
	free(json);
	manifest_clear(&m2);
	manifest_clear(&m);

	/* Nonsense is refused, naming the field. */
	ok(parse_with(", \"owner\": {\"uid\": 1, \"gid\": 1, \"mode\": \"4755\"}", &m, &err) != 0 &&
	    strstr(err.msg, "redis.owner") != NULL, "a set-id mode is refused (%s)", err.msg);
	ok(parse_with(", \"owner\": {\"uid\": -1, \"gid\": 1, \"mode\": \"0640\"}", &m, &err) != 0,
	    "a negative uid is refused (%s)", err.msg);
	ok(parse_with(", \"owner\": {\"uid\": 1, \"gid\": 1, \"mode\": \"rw-r-----\"}", &m, &err) != 0,
	    "a mode that is not octal is refused (%s)", err.msg);
	ok(parse_with(", \"dbsize_expires\": 9, \"key_expires\": {\"a:\": 1, \"b:\": 1}", &m, &err)
	    != 0, "more keys with a TTL than keys in the database is refused (%s)", err.msg);
	ok(parse_with(", \"dbsize_expires\": 2, \"key_expires\": {\"a:\": 4, \"b:\": 1}", &m, &err)
	    != 0, "more keys with a TTL than keys under a prefix is refused (%s)", err.msg);
	ok(parse_with(", \"dbsize_expires\": 2", &m, &err) != 0,
	    "dbsize_expires without key_expires is refused (%s)", err.msg);

	/* Key counts beyond what a double holds exactly, or infinite (1e400
	 * reads as infinity): refused, never cast. */
	{
		static const char *const counts[] = { "1e400", "-1e400", "1e20",
			"18446744073709551616", "9007199254740994", "2.5", "-1" };
		char *count;

		for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
			/* A second key_counts after the first, which is then
			 * renamed (cJSON finds the first of a name). */
			count = xasprintf(", \"key_counts\": {\"a:\": %s}", counts[i]);
			json = xasprintf(base_json, count);
			memcpy(strstr(json, "\"key_counts\""), "\"xxx_counts\"", 12);
			error_clear(&err);
			if (!ok(manifest_parse(json, "test", &m, &err) != 0 &&
			    strstr(err.msg, "key_counts") != NULL,
			    "a key count of %s is refused (%s)", counts[i], err.msg))
				manifest_clear(&m);
			free(json);
			free(count);
		}
	}

	/* From a stat: set-id and sticky bits are dropped. */
	memset(&sb, 0, sizeof sb);
	sb.st_uid = 7;
	sb.st_gid = 8;
	sb.st_mode = S_IFREG | 04755;
	manifest_owner_from_stat(&sb, &m.redis.file.owner);
	is_int(m.redis.file.owner.mode, 0755, "an owner taken from a stat has no set-id bits");
	test_cluster();
	records_check();
	return tap_done();
}
