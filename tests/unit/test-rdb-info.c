/*
 * Tests src/redis/redis-info.c on INFO text as Redis 7.0 and 6.2 write it
 * (the live server is covered by tests/integration/redis-conn.sh): CRLF
 * lines, section headers, values holding colons, missing and malformed
 * fields, the keyspace lines, the persistence fields.
 */
#include "config.h"

#include <string.h>

#include "redis/redis-info.h"
#include "tap.h"

static const char info70[] =
	"# Server\r\n"
	"redis_version:7.0.15\r\n"
	"executable:/usr/bin/redis-server\r\n"
	"config_file:/etc/redis/a:b.conf\r\n"
	"\r\n"
	"# Persistence\r\n"
	"loading:0\r\n"
	"async_loading:0\r\n"
	"current_save_keys_processed:120\r\n"
	"current_save_keys_total:4000\r\n"
	"rdb_changes_since_last_save:7\r\n"
	"rdb_bgsave_in_progress:1\r\n"
	"rdb_last_save_time:1700000000\r\n"
	"rdb_last_bgsave_status:ok\r\n"
	"rdb_saves:12\r\n"
	"aof_enabled:1\r\n"
	"aof_rewrite_in_progress:0\r\n"
	"aof_rewrite_scheduled:1\r\n"
	"loading_loaded_perc:12.50\r\n"
	"\r\n"
	"# Keyspace\r\n"
	"db0:keys=5,expires=2,avg_ttl=0\r\n"
	"db10:keys=10,expires=0,avg_ttl=0\r\n";

/* Redis 6.2: no rdb_saves, no save progress; loading a file. */
static const char info62[] =
	"# Persistence\n"
	"loading:1\n"
	"loading_loaded_bytes:1048576\n"
	"loading_total_bytes:4194304\n"
	"loading_loaded_perc:25.00\n"
	"rdb_bgsave_in_progress:0\n"
	"rdb_last_save_time:1600000000\n"
	"rdb_last_bgsave_status:err\n"
	"aof_enabled:0\n"
	"redis_version:6.2.14\n";

int
main(void)
{
	struct redis_info *info = redis_info_parse(info70, strlen(info70), "INFO test");
	struct redis_persistence p;
	struct vs_error err;
	long long v, keys, expires;

	is_str(redis_info_get(info, "redis_version"), "7.0.15", "string field");
	is_str(redis_info_get(info, "config_file"), "/etc/redis/a:b.conf",
	    "a value keeps its colons");
	ok(redis_info_get(info, "# Server") == NULL && redis_info_get(info, "Server") == NULL,
	    "section headers are not fields");
	ok(redis_info_get(info, "nosuch") == NULL, "missing field: NULL");
	is_str(redis_info_version(info), "7.0.15", "version");
	is_int(redis_info_version_num(info), 70015, "version number");

	ok(redis_info_get_ll(info, "rdb_saves", &v, &err) == 0 && v == 12, "integer field");
	ok(redis_info_get_ll(info, "nosuch_field", &v, &err) == -1 &&
	    err.code == VS_ERR_REDIS && strstr(err.msg, "INFO test has no field nosuch_field"),
	    "missing integer field: named in the error (%s)", err.msg);
	ok(redis_info_get_ll(info, "rdb_last_bgsave_status", &v, &err) == -1 &&
	    strstr(err.msg, "field rdb_last_bgsave_status is \"ok\", not an integer"),
	    "non-integer field: quoted in the error (%s)", err.msg);
	is_int(redis_info_ll(info, "nosuch", -7), -7, "integer with a default");
	ok(redis_info_double(info, "loading_loaded_perc", 0) == 12.5, "number field");

	redis_info_db_keys(info, 0, &keys, &expires);
	ok(keys == 5 && expires == 2, "db0 keys= and expires=");
	redis_info_db_keys(info, 10, &keys, &expires);
	ok(keys == 10 && expires == 0, "db10");
	redis_info_db_keys(info, 1, &keys, &expires);
	ok(keys == 0 && expires == 0, "db1, absent (not db10): empty");
	ok(!redis_info_loading(info), "not loading");
	ok(redis_info_appendonly(info), "appendonly on");

	ok(redis_info_persistence(info, &p, &err) == 0, "persistence fields");
	ok(p.bgsave_in_progress && p.saves == 12 && p.last_save_time == 1700000000 &&
	    strcmp(p.last_bgsave_status, "ok") == 0 && p.keys_processed == 120 &&
	    p.keys_total == 4000 && p.changes_since_last_save == 7 && p.aof_enabled &&
	    !p.aof_rewrite_in_progress && p.aof_rewrite_scheduled && !p.loading,
	    "persistence values");
	redis_info_free(info);

	info = redis_info_parse(info62, strlen(info62), "INFO old");
	ok(redis_info_persistence(info, &p, &err) == 0, "Redis 6.2 persistence fields");
	ok(p.loading && p.saves == -1 && p.keys_total == -1 &&
	    p.loading_loaded_bytes == 1048576 && p.loading_total_bytes == 4194304 &&
	    p.loading_perc == 25.0 && strcmp(p.last_bgsave_status, "err") == 0,
	    "6.2: loading progress, no rdb_saves (-1), LF line ends");
	is_int(redis_info_version_num(info), 60214, "6.2 version number");
	redis_info_free(info);

	info = redis_info_parse("loading:0\r\n", 11, "INFO cut");
	ok(redis_info_persistence(info, &p, &err) == -1 &&
	    strstr(err.msg, "no field rdb_bgsave_in_progress"),
	    "a persistence section without its fields is an error (%s)", err.msg);
	redis_info_free(info);

	info = redis_info_parse("", 0, "INFO empty");
	ok(redis_info_get(info, "loading") == NULL && !redis_info_loading(info) &&
	    redis_info_version_num(info) == 0, "empty INFO");
	redis_info_free(info);
	return tap_done();
}
