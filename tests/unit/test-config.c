/*
 * Covers src/config/conf.c: defaults, every key of the configuration, and
 * the errors an operator sees for a bad file (each naming the file, the
 * line and the key's full name), plus the warning for a readable file that
 * holds a secret.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "config/conf.h"
#include "redis/redis-cluster.h"
#include "storage/s3/s3-options.h"
#include "tests/unit/tap.h"

#define MiB (1024LL * 1024LL)

/* The options of the location "s3" (the single group of old), or the
 * defaults of an S3 location when there is none. */
static struct s3_options *
s3opt(const struct config *c)
{
	static struct s3_options *defaults;
	const struct config_location *l = config_location_find(c, "s3");

	if (l != NULL)
		return l->opts;
	if (defaults == NULL)
		defaults = s3_options_new();
	return defaults;
}

/* The retention of the location "s3", or what one would follow. */
static const struct config_retention *
ret_s3(const struct config *c)
{
	const struct config_location *l = config_location_find(c, "s3");

	return l != NULL ? &l->retention : &c->retention;
}

static char dir[4096];
static int nfiles;

/* Write text to a new file in the test directory with mode; returns its
 * path (static storage, one of a few). */
static const char *
write_file(const char *text, mode_t mode)
{
	static char paths[4][4200];
	static int n;
	char *path = paths[n++ % 4];
	FILE *f;

	snprintf(path, sizeof paths[0], "%s/c%d.conf", dir, nfiles++);
	f = fopen(path, "w");
	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0) {
		printf("Bail out! cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
	chmod(path, mode);
	return path;
}

/* config_load with stderr captured into *errout (caller frees). */
static int
load_capture(const char *path, struct config **cfg, struct vs_error *err,
    char **errout)
{
	char cap[4200];
	int saved, fd, rc;
	FILE *f;
	long n;

	snprintf(cap, sizeof cap, "%s/stderr", dir);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	fd = open(cap, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, STDERR_FILENO);
	close(fd);
	error_clear(err);
	*cfg = NULL;
	rc = config_load(path, cfg, err);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);

	f = fopen(cap, "r");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	*errout = calloc(1, (size_t)n + 1);
	if (fread(*errout, 1, (size_t)n, f) != (size_t)n)
		(*errout)[0] = '\0';
	fclose(f);
	return rc;
}

/* Load text; the config or NULL. err is filled either way. */
static struct config *
load_text(const char *text, struct vs_error *err)
{
	struct config *cfg;
	char *out;

	if (load_capture(write_file(text, 0600), &cfg, err, &out) != 0)
		cfg = NULL;
	free(out);
	return cfg;
}

/*
 * A file that must be refused: the error is a configuration error and its
 * message contains each of the NULL-ended fragments (the file name is
 * checked through "%F", the line through "%F:LINE:").
 */
static void
refused(const char *what, const char *text, ...)
{
	struct vs_error err;
	struct config *cfg;
	const char *path, *frag;
	char *out;
	va_list ap;
	int all = 1;

	path = write_file(text, 0600);
	if (!ok(load_capture(path, &cfg, &err, &out) == -1, "refused: %s", what)) {
		printf("#   it loaded:\n");
		for (const char *l = text; *l != '\0'; l = strchr(l, '\n') + 1)
			printf("#   | %.*s\n", (int)strcspn(l, "\n"), l);
		config_free(cfg);
		free(out);
		return;
	}
	free(out);
	ok(cfg == NULL, "... no config returned");
	va_start(ap, text);
	while ((frag = va_arg(ap, const char *)) != NULL) {
		char want[4400];

		if (strncmp(frag, "%F", 2) == 0)
			snprintf(want, sizeof want, "%s%s", path, frag + 2);
		else
			snprintf(want, sizeof want, "%s", frag);
		if (strstr(err.msg, want) == NULL) {
			all = 0;
			printf("#   message lacks \"%s\"\n", want);
		}
	}
	va_end(ap);
	if (!ok(all && err.code == VS_ERR_CONFIG, "... a config error saying what and where"))
		printf("#   code %s, message: %s\n", error_code_name(err.code), err.msg);
}

static void
test_defaults(void)
{
	struct config *c = config_defaults();

	is_str(c->backup_dir, "/var/backups/vector_store", "default backup_dir");
	is_str(c->redis.host, "127.0.0.1", "default redis.host");
	is_int(c->redis.port, 6379, "default redis.port");
	is_str(c->redis.socket, "", "default redis.socket is empty, not NULL");
	is_str(c->redis.password, "", "default redis.password");
	is_int(c->redis.db, 0, "default redis.db");
	is_int(c->redis.nprefixes, 2, "two default prefixes");
	is_str(c->redis.prefixes[0], "chimera-vectors:", "first default prefix");
	is_str(c->redis.prefixes[1], "chimera-users:", "second default prefix");
	ok(c->redis.prefixes[2] == NULL, "the prefix list is NULL-ended");
	is_str(c->redis.data_dir, "", "default redis.data_dir: ask the server");
	is_str(c->redis.dbfilename, "", "default redis.dbfilename: ask the server");
	is_int(c->redis.pause_ms, 2000, "default redis.pause_ms");
	is_int(c->redis.timeout_ms, 10000, "default redis.timeout_ms");
	is_int(c->redis.start_timeout, 300, "default redis.start_timeout");
	is_str(c->faiss.content_index, "/var/lib/chimera/content_index.faiss", "default faiss.content_index");
	is_str(c->faiss.user_index, "/var/lib/chimera/user_index.faiss", "default faiss.user_index");
	is_str(c->faiss.lock_file, "", "default faiss.lock_file: no coordination");
	is_str(s3opt(c)->bucket, "", "default s3.bucket: S3 unused");
	is_str(s3opt(c)->prefix, "vector_store_backups", "default s3.prefix (the seed's)");
	is_str(s3opt(c)->region, "us-east-1", "default s3.region");
	is_str(s3opt(c)->sse, "AES256", "default s3.sse (the seed's AES-256)");
	ok(!s3opt(c)->path_style, "default s3.path_style");
	is_int(s3opt(c)->multipart_threshold, 64 * MiB, "default s3.multipart_threshold");
	is_int(s3opt(c)->part_size, 16 * MiB, "default s3.part_size");
	is_int(s3opt(c)->concurrency, 4, "default s3.concurrency");
	is_int(s3opt(c)->max_attempts, 5, "default s3.max_attempts");
	is_int(s3opt(c)->connect_timeout, 10, "default s3.connect_timeout");
	is_int(s3opt(c)->low_speed_time, 30, "default s3.low_speed_time");
	is_int(c->retention.daily, 7, "default retention.daily (the seed's 7 days)");
	is_int(c->retention.weekly, 4, "default retention.weekly (4 weeks)");
	is_int(c->retention.monthly, 6, "default retention.monthly (6 months)");
	is_int(c->retention.pre_restore_days, 7, "default retention.pre_restore_days");
	is_int(c->retention.manual_days, 0, "default retention.manual_days: kept");
	ok(memcmp(&c->retention, ret_s3(c), sizeof c->retention) == 0,
	    "default retention_s3 is retention");
	is_int(c->monitoring.rpo_hours, 24, "default monitoring.rpo_hours (the seed's RPO)");
	is_int(c->monitoring.verify_max_age_hours, 168, "default monitoring.verify_max_age_hours");
	is_str(c->monitoring.metrics_file, "", "default monitoring.metrics_file");
	is_str(c->log.file, "", "default log.file");
	ok(!c->log.syslog, "default log.syslog");
	is_str(c->restore_reload_command, "", "default restore_reload_command");
	config_free(c);
}

static void
test_empty_file(void)
{
	struct vs_error err;
	struct config *c = load_text("# nothing but a comment\n", &err);

	if (!ok(c != NULL, "an empty file loads"))
		printf("#   %s\n", err.msg);
	if (c == NULL)
		return;
	is_str(c->backup_dir, "/var/backups/vector_store", "... with the default backup_dir");
	is_int(c->redis.port, 6379, "... and the default redis.port");
	is_int(ret_s3(c)->monthly, 6, "... and the default retention_s3");
	ok(strstr(c->path, dir) == c->path, "... and path names the file");
	config_free(c);
}

/* Every key there is, each set to something other than its default. */
static const char full_config[] =
    "# vsbackup.conf with every key\n"
    "backup_dir = \"/srv/backups/vs\";\n"
    "restore_reload_command = \"systemctl reload chimera\";\n"
    "redis = {\n"
    "  host = \"10.1.2.3\";\n"
    "  port = 6380;\n"
    "  socket = \"/run/redis/redis.sock\";\n"
    "  password = \"hunter2\";\n"
    "  db = 3;\n"
    "  prefixes = [ \"a:\", \"b:\", \"c:\" ];\n"
    "  start_command = \"systemctl start redis\";\n"
    "  stop_command = \"systemctl stop redis\";\n"
    "  data_dir = \"/var/lib/redis\";\n"
    "  dbfilename = \"dump.rdb\";\n"
    "  pause_ms = 500;\n"
    "  timeout_ms = 2500;\n"
    "  start_timeout = 60;\n"
    "};\n"
    "faiss = {\n"
    "  content_index = \"/data/content.faiss\";\n"
    "  user_index = \"/data/user.faiss\";\n"
    "  lock_file = \"/data/faiss.lock\";\n"
    "};\n"
    "s3 = {\n"
    "  bucket = \"my-backups\";\n"
    "  prefix = \"prod/vs\";\n"
    "  region = \"eu-central-1\";\n"
    "  endpoint = \"https://s3.example.net\";\n"
    "  path_style = true;\n"
    "  sse = \"aws:kms\";\n"
    "  sse_kms_key_id = \"alias/backup\";\n"
    "  access_key_id = \"AKIDEXAMPLE\";\n"
    "  secret_access_key = \"wJalrXUtnFEMI\";\n"
    "  session_token = \"token\";\n"
    "  profile = \"backup\";\n"
    "  ca_file = \"/etc/ssl/ca.pem\";\n"
    "  multipart_threshold = 134217728;\n"
    "  part_size = 33554432;\n"
    "  concurrency = 8;\n"
    "  max_attempts = 9;\n"
    "  connect_timeout = 20;\n"
    "  low_speed_time = 45;\n"
    "};\n"
    "retention = {\n"
    "  daily = 14;\n"
    "  weekly = 8;\n"
    "  monthly = 12;\n"
    "  pre_restore_days = 3;\n"
    "  manual_days = 90;\n"
    "};\n"
    "retention_s3 = {\n"
    "  daily = 30;\n"
    "  weekly = 12;\n"
    "  monthly = 24;\n"
    "  pre_restore_days = 10;\n"
    "  manual_days = 365;\n"
    "};\n"
    "monitoring = {\n"
    "  rpo_hours = 26;\n"
    "  verify_max_age_hours = 48;\n"
    "  metrics_file = \"/var/lib/node_exporter/vsbackup.prom\";\n"
    "};\n"
    "log = {\n"
    "  file = \"/var/log/vsbackup.log\";\n"
    "  syslog = true;\n"
    "};\n";

static void
test_every_key(void)
{
	struct vs_error err;
	struct config *c = load_text(full_config, &err);

	if (!ok(c != NULL, "a file with every key loads")) {
		printf("#   %s\n", err.msg);
		return;
	}
	is_str(c->backup_dir, "/srv/backups/vs", "backup_dir");
	is_str(c->restore_reload_command, "systemctl reload chimera", "restore_reload_command");
	is_str(c->redis.host, "10.1.2.3", "redis.host");
	is_int(c->redis.port, 6380, "redis.port");
	is_str(c->redis.socket, "/run/redis/redis.sock", "redis.socket");
	is_str(c->redis.password, "hunter2", "redis.password");
	is_int(c->redis.db, 3, "redis.db");
	is_int(c->redis.nprefixes, 3, "redis.prefixes: three");
	if (c->redis.nprefixes == 3) {
		is_str(c->redis.prefixes[0], "a:", "redis.prefixes[0]");
		is_str(c->redis.prefixes[1], "b:", "redis.prefixes[1]");
		is_str(c->redis.prefixes[2], "c:", "redis.prefixes[2]");
		ok(c->redis.prefixes[3] == NULL, "redis.prefixes is NULL-ended");
	}
	is_str(c->redis.start_command, "systemctl start redis", "redis.start_command");
	is_str(c->redis.stop_command, "systemctl stop redis", "redis.stop_command");
	is_str(c->redis.data_dir, "/var/lib/redis", "redis.data_dir");
	is_str(c->redis.dbfilename, "dump.rdb", "redis.dbfilename");
	is_int(c->redis.pause_ms, 500, "redis.pause_ms");
	is_int(c->redis.timeout_ms, 2500, "redis.timeout_ms");
	is_int(c->redis.start_timeout, 60, "redis.start_timeout");
	is_str(c->faiss.content_index, "/data/content.faiss", "faiss.content_index");
	is_str(c->faiss.user_index, "/data/user.faiss", "faiss.user_index");
	is_str(c->faiss.lock_file, "/data/faiss.lock", "faiss.lock_file");
	is_str(s3opt(c)->bucket, "my-backups", "s3.bucket");
	is_str(s3opt(c)->prefix, "prod/vs", "s3.prefix");
	is_str(s3opt(c)->region, "eu-central-1", "s3.region");
	is_str(s3opt(c)->endpoint, "https://s3.example.net", "s3.endpoint");
	ok(s3opt(c)->path_style, "s3.path_style");
	is_str(s3opt(c)->sse, "aws:kms", "s3.sse");
	is_str(s3opt(c)->sse_kms_key_id, "alias/backup", "s3.sse_kms_key_id");
	is_str(s3opt(c)->access_key_id, "AKIDEXAMPLE", "s3.access_key_id");
	is_str(s3opt(c)->secret_access_key, "wJalrXUtnFEMI", "s3.secret_access_key");
	is_str(s3opt(c)->session_token, "token", "s3.session_token");
	is_str(s3opt(c)->profile, "backup", "s3.profile");
	is_str(s3opt(c)->ca_file, "/etc/ssl/ca.pem", "s3.ca_file");
	is_int(s3opt(c)->multipart_threshold, 128 * MiB, "s3.multipart_threshold");
	is_int(s3opt(c)->part_size, 32 * MiB, "s3.part_size");
	is_int(s3opt(c)->concurrency, 8, "s3.concurrency");
	is_int(s3opt(c)->max_attempts, 9, "s3.max_attempts");
	is_int(s3opt(c)->connect_timeout, 20, "s3.connect_timeout");
	is_int(s3opt(c)->low_speed_time, 45, "s3.low_speed_time");
	is_int(c->retention.daily, 14, "retention.daily");
	is_int(c->retention.weekly, 8, "retention.weekly");
	is_int(c->retention.monthly, 12, "retention.monthly");
	is_int(c->retention.pre_restore_days, 3, "retention.pre_restore_days");
	is_int(c->retention.manual_days, 90, "retention.manual_days");
	is_int(ret_s3(c)->daily, 30, "retention_s3.daily");
	is_int(ret_s3(c)->weekly, 12, "retention_s3.weekly");
	is_int(ret_s3(c)->monthly, 24, "retention_s3.monthly");
	is_int(ret_s3(c)->pre_restore_days, 10, "retention_s3.pre_restore_days");
	is_int(ret_s3(c)->manual_days, 365, "retention_s3.manual_days");
	is_int(c->monitoring.rpo_hours, 26, "monitoring.rpo_hours");
	is_int(c->monitoring.verify_max_age_hours, 48, "monitoring.verify_max_age_hours");
	is_str(c->monitoring.metrics_file, "/var/lib/node_exporter/vsbackup.prom", "monitoring.metrics_file");
	is_str(c->log.file, "/var/log/vsbackup.log", "log.file");
	ok(c->log.syslog, "log.syslog");
	config_free(c);
}

static void
test_numbers(void)
{
	struct vs_error err;
	struct config *c;

	/* Sizes above 2 GiB need 64 bits. */
	c = load_text("s3 = { bucket = \"b\"; multipart_threshold = 10737418240L; part_size = 5368709120L; };\n", &err);
	if (ok(c != NULL, "64-bit sizes with the L suffix load")) {
		is_int(s3opt(c)->multipart_threshold, 10 * 1024 * MiB, "... s3.multipart_threshold 10 GiB");
		is_int(s3opt(c)->part_size, 5 * 1024 * MiB, "... s3.part_size 5 GiB");
		config_free(c);
	} else {
		printf("#   %s\n", err.msg);
	}
	/*
	 * Without the suffix a number past 32 bits must load as written or be
	 * refused, never become another number: 4311744512 is 4 GiB + 16 MiB,
	 * whose low 32 bits are a valid 16 MiB.
	 */
	c = load_text("s3 = {\n  multipart_threshold = 4311744512;\n  bucket = \"b\";\n};\n", &err);
	if (c != NULL) {
		is_int(s3opt(c)->multipart_threshold, 4311744512LL,
		    "s3.multipart_threshold = 4311744512 (no L) loads as written");
		config_free(c);
	} else {
		ok(strstr(err.msg, "4311744512") != NULL && strstr(err.msg, ":2:") != NULL,
		    "s3.multipart_threshold = 4311744512 (no L) is refused, naming the value and line");
		printf("#   %s\n", err.msg);
	}
	c = load_text("s3 = {\n  multipart_threshold = 10737418240;\n  bucket = \"b\";\n};\n", &err);
	if (c != NULL) {
		is_int(s3opt(c)->multipart_threshold, 10 * 1024 * MiB,
		    "s3.multipart_threshold = 10737418240 (no L) loads as written");
		config_free(c);
	} else {
		if (!ok(strstr(err.msg, "10737418240") != NULL,
		    "s3.multipart_threshold = 10737418240 (no L) is refused, naming the value"))
			printf("#   %s\n", err.msg);
	}
	c = load_text("s3 = { bucket = \"b\"; part_size = 0x2000000; };\n", &err);
	if (ok(c != NULL, "a hexadecimal size loads")) {
		is_int(s3opt(c)->part_size, 32 * MiB, "... s3.part_size 32 MiB");
		config_free(c);
	} else {
		printf("#   %s\n", err.msg);
	}
	/* A part larger than the threshold raises the threshold. */
	c = load_text("s3 = { bucket = \"b\"; multipart_threshold = 8388608; part_size = 33554432; };\n", &err);
	if (ok(c != NULL, "part_size above multipart_threshold loads")) {
		is_int(s3opt(c)->multipart_threshold, 32 * MiB, "... and the threshold rises to the part size");
		config_free(c);
	}
	/* Bounds themselves are allowed. */
	c = load_text("redis = { port = 65535; pause_ms = 10; };\n"
	    "retention = { daily = 0; };\n", &err);
	if (ok(c != NULL, "values at the bounds load")) {
		is_int(c->redis.port, 65535, "... redis.port 65535");
		is_int(c->redis.pause_ms, 10, "... redis.pause_ms 10");
		is_int(c->retention.daily, 0, "... retention.daily 0");
		config_free(c);
	} else {
		printf("#   %s\n", err.msg);
	}
}

static void
test_retention_s3(void)
{
	struct vs_error err;
	struct config *c;

	c = load_text("retention = { daily = 10; weekly = 5; monthly = 3; };\n"
	    "s3 = { bucket = \"b\"; };\n", &err);
	if (ok(c != NULL, "retention without retention_s3 loads")) {
		is_int(ret_s3(c)->daily, 10, "... retention_s3.daily follows retention.daily");
		is_int(ret_s3(c)->weekly, 5, "... retention_s3.weekly follows");
		is_int(ret_s3(c)->monthly, 3, "... retention_s3.monthly follows");
		is_int(ret_s3(c)->pre_restore_days, 7, "... retention_s3.pre_restore_days keeps the default");
		config_free(c);
	}
	c = load_text("retention = { daily = 10; weekly = 5; };\n"
	    "retention_s3 = { daily = 60; };\ns3 = { bucket = \"b\"; };\n", &err);
	if (ok(c != NULL, "a partial retention_s3 loads")) {
		is_int(ret_s3(c)->daily, 60, "... its own daily");
		is_int(ret_s3(c)->weekly, 5, "... weekly from retention");
		is_int(ret_s3(c)->monthly, 6, "... monthly from retention (its default)");
		is_int(c->retention.daily, 10, "... retention.daily untouched");
		config_free(c);
	}
	/* The order of the groups in the file does not matter. */
	c = load_text("s3 = { bucket = \"b\"; };\nretention_s3 = { daily = 60; };\n"
	    "retention = { weekly = 5; };\n", &err);
	if (ok(c != NULL, "retention_s3 before retention loads")) {
		is_int(ret_s3(c)->daily, 60, "... its own daily");
		is_int(ret_s3(c)->weekly, 5, "... weekly from the later retention group");
		config_free(c);
	}
}

static void
test_sse(void)
{
	struct vs_error err;
	struct config *c;
	static const char *const allowed[] = { "AES256", "none" };

	for (size_t i = 0; i < 2; i++) {
		char text[128];

		snprintf(text, sizeof text, "s3 = { bucket = \"b\"; sse = \"%s\"; };\n", allowed[i]);
		c = load_text(text, &err);
		if (ok(c != NULL, "s3.sse = \"%s\" loads", allowed[i]))
			is_str(s3opt(c)->sse, allowed[i], "... and is kept");
		config_free(c);
	}
	c = load_text("s3 = { bucket = \"b\"; sse = \"aws:kms\"; sse_kms_key_id = \"arn:aws:kms:k\"; };\n", &err);
	if (ok(c != NULL, "s3.sse = \"aws:kms\" with a key id loads"))
		is_str(s3opt(c)->sse_kms_key_id, "arn:aws:kms:k", "... with its key id");
	config_free(c);

	refused("s3.sse = \"aws:kms\" without a key id",
	    "s3 = {\n  sse = \"aws:kms\";\n};\n", "%F", "sse_kms_key_id", NULL);
	refused("s3.sse = \"aws:kms\" with an empty key id",
	    "s3 = { sse = \"aws:kms\"; sse_kms_key_id = \"\"; };\n", "%F", "sse_kms_key_id", NULL);
	refused("s3.sse in lower case",
	    "s3 = {\n  sse = \"aes256\";\n};\n", "%F:2:", "s3.sse", "\"aes256\"",
	    "\"AES256\"", "\"aws:kms\"", "\"none\"", NULL);
	refused("s3.sse = \"\"", "s3 = { sse = \"\"; };\n", "%F:1:", "s3.sse", NULL);
	refused("s3.sse = \"KMS\"", "s3 = { sse = \"KMS\"; };\n", "%F:1:", "s3.sse", "\"KMS\"", NULL);
}

static void
test_errors(void)
{
	refused("an unknown top-level key",
	    "backup_dir = \"/b\";\nbackup_dri = \"/c\";\n",
	    "%F:2:", "backup_dri", "unknown key", NULL);
	refused("an unknown key in a group",
	    "redis = {\n  port = 6379;\n  hots = \"x\";\n};\n",
	    "%F:3:", "redis.hots", "unknown key", NULL);
	refused("an unknown group", "\n\ncache = { size = 1; };\n",
	    "%F:3:", "cache", "unknown key", NULL);
	refused("a top-level key inside a group",
	    "s3 = { backup_dir = \"/x\"; };\n", "%F:1:", "s3.backup_dir", NULL);
	refused("a group key at the top level", "port = 6379;\n", "%F:1:", "port", NULL);
	refused("a key of another group", "faiss = {\n bucket = \"b\";\n};\n",
	    "%F:2:", "faiss.bucket", NULL);
	refused("a group nested in a group",
	    "redis = {\n  s3 = { bucket = \"b\"; };\n};\n", "%F:2:", "redis.s3", NULL);

	/* Wrong types. */
	refused("a string for an integer", "redis = {\n  port = \"6379\";\n};\n",
	    "%F:2:", "redis.port", "wrong type", "integer", NULL);
	refused("an integer for a string", "redis = { host = 127; };\n",
	    "%F:1:", "redis.host", "wrong type", "string", NULL);
	refused("an integer for a boolean", "s3 = { path_style = 1; };\n",
	    "%F:1:", "s3.path_style", "wrong type", "true or false", NULL);
	refused("a string for a boolean", "log = { syslog = \"yes\"; };\n",
	    "%F:1:", "log.syslog", "wrong type", NULL);
	refused("a boolean for a string", "backup_dir = true;\n",
	    "%F:1:", "backup_dir", "wrong type", NULL);
	refused("a boolean for an integer", "retention = { daily = false; };\n",
	    "%F:1:", "retention.daily", "wrong type", NULL);
	refused("a float for an integer", "monitoring = {\n\n  rpo_hours = 1.5;\n};\n",
	    "%F:3:", "monitoring.rpo_hours", "wrong type", NULL);
	refused("a string for a 64-bit size", "s3 = { part_size = \"16M\"; };\n",
	    "%F:1:", "s3.part_size", "wrong type", NULL);
	refused("a string for the prefix list", "redis = { prefixes = \"a:\"; };\n",
	    "%F:1:", "redis.prefixes", "wrong type", NULL);
	refused("an integer in the prefix list", "redis = { prefixes = ( \"a:\", 5 ); };\n",
	    "%F:1:", "redis.prefixes", NULL);
	refused("an integer for a group", "redis = 5;\n", "%F:1:", "redis", "wrong type", NULL);
	refused("a list for a group", "s3 = ( \"x\" );\n", "%F:1:", "s3", "wrong type", NULL);
	refused("an empty prefix", "redis = { prefixes = [ \"a:\", \"\" ]; };\n",
	    "%F:1:", "redis.prefixes", "empty", NULL);
	refused("no prefixes", "redis = { prefixes = [ ]; };\n",
	    "%F:1:", "redis.prefixes", NULL);

	/* Out of range, each naming the range. */
	refused("redis.port 0", "redis = { port = 0; };\n",
	    "%F:1:", "redis.port", "out of range", "1 to 65535", NULL);
	refused("redis.port 65536", "redis = { port = 65536; };\n",
	    "%F:1:", "redis.port", "65536", "out of range", NULL);
	refused("a negative retention", "retention = {\n daily = -1;\n};\n",
	    "%F:2:", "retention.daily", "-1", "out of range", NULL);
	refused("a negative retention_s3", "retention_s3 = { monthly = -3; };\n",
	    "%F:1:", "retention_s3.monthly", "out of range", NULL);
	refused("redis.pause_ms below 10", "redis = { pause_ms = 5; };\n",
	    "%F:1:", "redis.pause_ms", "out of range", NULL);
	refused("redis.pause_ms above a minute", "redis = { pause_ms = 60001; };\n",
	    "%F:1:", "redis.pause_ms", "out of range", NULL);
	refused("s3.concurrency 0", "s3 = { concurrency = 0; };\n",
	    "%F:1:", "s3.concurrency", "out of range", NULL);
	refused("s3.concurrency 65", "s3 = { concurrency = 65; };\n",
	    "%F:1:", "s3.concurrency", "out of range", NULL);
	refused("s3.part_size below 5 MiB", "s3 = { part_size = 1048576; };\n",
	    "%F:1:", "s3.part_size", "out of range", NULL);
	refused("s3.part_size above 5 GiB", "s3 = { part_size = 5368709121L; };\n",
	    "%F:1:", "s3.part_size", "out of range", NULL);
	refused("s3.max_attempts 0", "s3 = { max_attempts = 0; };\n",
	    "%F:1:", "s3.max_attempts", "out of range", NULL);
	refused("monitoring.rpo_hours 0", "monitoring = { rpo_hours = 0; };\n",
	    "%F:1:", "monitoring.rpo_hours", "out of range", NULL);
	refused("a port beyond 32 bits", "redis = { port = 4294967297L; };\n",
	    "%F:1:", "redis.port", NULL);

	/* Values the whole configuration cannot work with. */
	refused("a relative backup_dir", "backup_dir = \"backups\";\n",
	    "%F", "backup_dir", "absolute", NULL);
	refused("an empty backup_dir", "backup_dir = \"\";\n", "%F", "backup_dir", NULL);
	refused("an empty faiss.user_index", "faiss = { user_index = \"\"; };\n",
	    "%F", "faiss.user_index", NULL);

	/* Syntax errors: libconfig's message with file and line. */
	refused("a missing equals sign", "backup_dir = \"/b\";\nredis = {\n  port 1;\n  db = 2;\n};\n",
	    "%F:3:", NULL);
	refused("a missing closing brace", "redis = {\n  port = 1;\nfaiss = { };\n", "%F:", NULL);
	refused("an unclosed group", "redis = {\n  port = 1;\n", "%F:", NULL);
	refused("an unterminated string", "backup_dir = \"/b;\n", "%F:", NULL);
	refused("a key set twice", "backup_dir = \"/a\";\nbackup_dir = \"/b\";\n",
	    "%F:2:", NULL);
	refused("text that is not a configuration", "<xml/>\n", "%F:1:", NULL);
}

static void
test_missing(void)
{
	struct vs_error err;
	struct config *c = NULL;
	char path[4200];

	snprintf(path, sizeof path, "%s/no-such.conf", dir);
	error_clear(&err);
	is_int(config_load(path, &c, &err), -1, "a missing file is refused");
	ok(c == NULL, "... and gives no config");
	is_int(err.code, VS_ERR_CONFIG, "... as a config error");
	if (!ok(strstr(err.msg, path) != NULL && strstr(err.msg, "does not exist") != NULL,
	    "... naming the file and saying it does not exist"))
		printf("#   %s\n", err.msg);
	ok(strstr(err.msg, "-c") != NULL && strstr(err.msg, "VSBACKUP_CONFIG") != NULL,
	    "... and how to name another one");

	/* A directory is no configuration file. */
	error_clear(&err);
	is_int(config_load(dir, &c, &err), -1, "a directory is refused");
	if (!ok(err.code == VS_ERR_CONFIG && strstr(err.msg, dir) != NULL,
	    "... with a config error naming it"))
		printf("#   %s\n", err.msg);

	/* An unreadable file, unless we are root (root reads anything). */
	if (geteuid() != 0) {
		const char *p = write_file("backup_dir = \"/b\";\n", 0000);

		error_clear(&err);
		is_int(config_load(p, &c, &err), -1, "an unreadable file is refused");
		ok(strstr(err.msg, p) != NULL && strstr(err.msg, "ermission") != NULL,
		    "... naming the file and the reason: %s", err.msg);
	} else {
		ok(1, "an unreadable file # SKIP running as root");
		ok(1, "... naming the file # SKIP running as root");
	}
}

/* One load with a given mode: did it warn? */
static void
warns(const char *what, const char *text, mode_t mode, int want)
{
	struct vs_error err;
	struct config *c;
	const char *path = write_file(text, mode);
	char *out;
	int rc = load_capture(path, &c, &err, &out);

	if (!ok(rc == 0, "%s (mode %03o) loads", what, (unsigned)mode))
		printf("#   %s\n", err.msg);
	config_free(c);
	if (want) {
		if (!ok(strstr(out, path) != NULL && strstr(out, "chmod 600") != NULL &&
		    strstr(out, "warning") != NULL,
		    "... and warns, naming the file and the fix"))
			printf("#   stderr: \"%s\"\n", out);
	} else {
		if (!ok(*out == '\0', "... without a warning"))
			printf("#   stderr: \"%s\"\n", out);
	}
	free(out);
}

static void
test_secret_warning(void)
{
	log_set_stderr(1);
	log_set_level(VS_LOG_INFO);
	warns("redis.password, world-readable", "redis = { password = \"pw\"; };\n", 0644, 1);
	warns("redis.password, group-readable", "redis = { password = \"pw\"; };\n", 0640, 1);
	warns("redis.password, readable by others only", "redis = { password = \"pw\"; };\n", 0604, 1);
	warns("redis.password, owner only", "redis = { password = \"pw\"; };\n", 0600, 0);
	warns("redis.password, owner read-only", "redis = { password = \"pw\"; };\n", 0400, 0);
	warns("s3.secret_access_key, world-readable",
	    "s3 = { access_key_id = \"AK\"; secret_access_key = \"sk\"; };\n", 0644, 1);
	warns("s3.session_token, group-readable", "s3 = { session_token = \"t\"; };\n", 0640, 1);
	warns("no secret, world-readable", "redis = { host = \"h\"; };\n", 0644, 0);
	warns("an empty password, world-readable", "redis = { password = \"\"; };\n", 0644, 0);
	warns("s3.access_key_id alone, world-readable",
	    "s3 = { access_key_id = \"AK\"; };\n", 0644, 0);
}

static void
test_locate(void)
{
	unsetenv("VSBACKUP_CONFIG");
	is_str(config_locate(NULL), CONFIG_DEFAULT_PATH, "no -c, no VSBACKUP_CONFIG: the default path");
	is_str(config_locate(""), CONFIG_DEFAULT_PATH, "an empty -c is no -c");
	is_str(CONFIG_DEFAULT_PATH, "/etc/vsbackup/vsbackup.conf", "the default path");
	setenv("VSBACKUP_CONFIG", "/env/vs.conf", 1);
	is_str(config_locate(NULL), "/env/vs.conf", "VSBACKUP_CONFIG when there is no -c");
	is_str(config_locate("/cli/vs.conf"), "/cli/vs.conf", "-c wins over VSBACKUP_CONFIG");
	setenv("VSBACKUP_CONFIG", "", 1);
	is_str(config_locate(NULL), CONFIG_DEFAULT_PATH, "an empty VSBACKUP_CONFIG is ignored");
	unsetenv("VSBACKUP_CONFIG");
}

/* Sentinel mode: its keys, their checks, and a copy aimed elsewhere. */
static void
test_sentinel(void)
{
	struct vs_error err;
	struct config *c, *d;

	c = load_text("redis = {\n  mode = \"sentinel\";\n  master_name = \"mymaster\";\n"
	    "  sentinels = [ \"10.0.0.1:26379\", \"[::1]:26380\", \"/run/sentinel.sock\" ];\n"
	    "  sentinel_password = \"s3cret\";\n  from_replica = true;\n};\n", &err);
	if (!ok(c != NULL, "sentinel mode with three sentinels loads"))
		printf("#   %s\n", err.msg);
	if (c == NULL)
		return;
	is_str(c->redis.mode, "sentinel", "redis.mode");
	is_int(c->redis.nsentinels, 3, "three sentinels");
	is_str(c->redis.sentinels[1], "[::1]:26380", "an IPv6 sentinel");
	is_str(c->redis.master_name, "mymaster", "redis.master_name");
	ok(c->redis.from_replica, "redis.from_replica");
	d = config_dup(c);
	ok(d->redis.sentinels != c->redis.sentinels && d->redis.host != c->redis.host &&
	    d->redis.prefixes != c->redis.prefixes && d->path != c->path,
	    "config_dup copies lists and strings");
	is_str(d->redis.sentinels[2], "/run/sentinel.sock", "... with the same values");
	is_str(d->redis.sentinel_password, "s3cret", "... secrets too");
	is_int(d->redis.nprefixes, c->redis.nprefixes, "... and the same prefixes");
	config_free(c);
	is_str(d->redis.master_name, "mymaster", "the copy outlives the original");
	config_free(d);

	c = config_defaults();
	is_str(c->redis.mode, "standalone", "standalone by default");
	is_int(c->redis.nsentinels, 0, "no sentinels by default");
	config_free(c);

	{
		char host[256];
		int port;

		ok(config_addr_parse("[fe80::1]:6379", host, sizeof host, &port) == 0 &&
		    strcmp(host, "fe80::1") == 0 && port == 6379, "an IPv6 address in brackets");
		ok(config_addr_parse("fe80::1:6379", host, sizeof host, &port) != 0,
		    "an IPv6 address without brackets is refused");
		ok(config_addr_parse("host:70000", host, sizeof host, &port) != 0 &&
		    config_addr_parse("host:", host, sizeof host, &port) != 0 &&
		    config_addr_parse(":26379", host, sizeof host, &port) != 0,
		    "a bad port or an empty host is refused");
	}

	refused("sentinel mode without sentinels",
	    "redis = { mode = \"sentinel\"; master_name = \"m\"; };\n",
	    "%F", "redis.sentinels or redis.master_name is empty", NULL);
	refused("sentinel mode without a master name",
	    "redis = { mode = \"sentinel\"; sentinels = [ \"h:26379\" ]; };\n",
	    "%F", "redis.master_name is empty", NULL);
	refused("a sentinel without a port",
	    "redis = { mode = \"sentinel\"; master_name = \"m\"; sentinels = [ \"h\" ]; };\n",
	    "%F", "redis.sentinels: \"h\" is not \"host:port\"", NULL);
	refused("an empty sentinel", "redis = { sentinels = [ \"\" ]; };\n",
	    "%F:1:", "redis.sentinels", "empty string", NULL);
	refused("from_replica without sentinel mode", "redis = { from_replica = true; };\n",
	    "%F", "redis.from_replica needs redis.mode = \"sentinel\"", NULL);
	refused("a mode there is not", "redis = { mode = \"clustered\"; };\n",
	    "%F:1:", "redis.mode", NULL);
}

/* Cluster mode: seeds, per-node paths and commands. */
static void
test_cluster(void)
{
	struct vs_error err;
	struct config *c, *n;
	char *s;

	c = load_text("redis = {\n  mode = \"cluster\";\n"
	    "  nodes = [ \"10.0.0.1:7000\", \"[::1]:7001\", \"/run/redis-7002.sock\" ];\n"
	    "  data_dir = \"/var/lib/redis/{port}\";\n"
	    "  start_command = \"systemctl start redis@{port}\";\n};\n", &err);
	if (!ok(c != NULL, "cluster mode with three seeds loads"))
		printf("#   %s\n", err.msg);
	if (c == NULL)
		return;
	is_str(c->redis.mode, "cluster", "redis.mode");
	is_int(c->redis.nnodes, 3, "three seeds");
	is_str(c->redis.nodes[1], "[::1]:7001", "an IPv6 seed");
	n = redis_config_aim(c, "10.0.0.5", 7005);
	is_str(n->redis.mode, "standalone", "a node is reached as a standalone server");
	is_str(n->redis.host, "10.0.0.5", "at its host");
	is_int(n->redis.port, 7005, "and port");
	is_str(n->redis.data_dir, "/var/lib/redis/7005", "{port} in redis.data_dir is the node's");
	is_str(n->redis.start_command, "systemctl start redis@7005",
	    "and in redis.start_command");
	s = redis_config_expand(n, "redis-cli -p {port} shutdown");
	is_str(s, "redis-cli -p 7005 shutdown", "any command of the node: its {port}");
	free(s);
	s = redis_config_expand(n, "{host}:{port} {other}");
	is_str(s, "10.0.0.5:7005 {other}", "{host} too; other braces stay");
	free(s);
	config_free(n);
	config_free(c);

	c = load_text("redis = { mode = \"cluster\"; nodes = [ \"h:7000\" ]; };\n", &err);
	ok(c != NULL, "without a data directory each node is asked");
	if (c != NULL) {
		n = redis_config_aim(c, "h", 7000);
		is_str(n->redis.data_dir, "", "a node's data directory is unknown until asked");
		config_free(n);
		config_free(c);
	}
	refused("cluster mode without nodes", "redis = { mode = \"cluster\"; };\n",
	    "%F", "redis.mode is \"cluster\" but redis.nodes is empty", NULL);
	refused("a seed without a port",
	    "redis = { mode = \"cluster\"; nodes = [ \"h\" ]; };\n",
	    "%F", "redis.nodes: \"h\" is not \"host:port\"", NULL);
	refused("a database other than 0 in a cluster",
	    "redis = { mode = \"cluster\"; nodes = [ \"h:1\" ]; db = 2; };\n",
	    "%F", "a Redis Cluster has db 0 only", NULL);
	refused("one data directory for every node",
	    "redis = { mode = \"cluster\"; nodes = [ \"h:1\" ]; data_dir = \"/var/lib/redis\"; };\n",
	    "%F", "each node keeps its own RDB file: put {port}", NULL);
}

/* s3 as a list of groups: names, order, upload, retention per location,
 * the words of --location, and the mistakes an operator can make. */
static void
test_locations(void)
{
	struct vs_error err;
	struct config *c, *d;
	unsigned set;
	char *where;

	c = load_text("retention = { daily = 7; monthly = 6; };\n"
	    "retention_s3 = { monthly = 12; };\n"
	    "s3 = (\n"
	    "  { name = \"eu-west\"; bucket = \"vs-eu\"; region = \"eu-west-1\"; },\n"
	    "  { name = \"us-east\"; bucket = \"vs-us\"; prefix = \"/dr/\"; upload = false;\n"
	    "    retention = { daily = 30; }; }\n"
	    ");\n", &err);
	if (!ok(c != NULL, "s3 as a list of two named groups loads")) {
		printf("#   %s\n", err.msg);
		return;
	}
	is_int(c->nlocations, 3, "... three locations: local and the two");
	is_str(c->locations[0].name, "local", "... local first");
	is_str(c->locations[1].name, "eu-west", "... then in the order of the file");
	is_str(c->locations[2].name, "us-east", "... ...");
	is_str(((struct s3_options *)c->locations[1].opts)->region, "eu-west-1",
	    "... each with its own keys");
	is_str(((struct s3_options *)c->locations[2].opts)->region, "us-east-1",
	    "... and the defaults for the rest");
	ok(c->locations[1].upload && !c->locations[2].upload, "... upload defaults to true");
	is_int(c->locations[1].retention.monthly, 12, "... retention_s3 for every S3 location");
	is_int(c->locations[1].retention.daily, 7, "... keys it leaves out from retention");
	is_int(c->locations[2].retention.daily, 30, "... a location's own retention first");
	is_int(c->locations[2].retention.monthly, 12, "... then retention_s3");
	ok(!c->locations[0].own_retention && c->locations[2].own_retention,
	    "... local follows retention itself");
	where = config_location_describe(c, 2);
	is_str(where, "s3://vs-us/dr", "... described by bucket and prefix");
	free(where);
	where = config_location_describe(c, 0);
	is_str(where, c->backup_dir, "... local by backup_dir");
	free(where);
	is_str(config_location_label(c, 1), "eu-west", "... a named location's label is its name");

	ok(config_location_select(c, "us-east", &set, &err) == 0 && set == 4u,
	    "--location NAME: that location");
	ok(config_location_select(c, "local", &set, &err) == 0 && set == 1u,
	    "--location local");
	ok(config_location_select(c, "s3", &set, &err) == 0 && set == 6u,
	    "--location s3: every S3 location");
	ok(config_location_select(c, "all", &set, &err) == 0 && set == 7u, "--location all");
	ok(config_location_select(c, "mars", &set, &err) == -1 && err.code == VS_ERR_USAGE &&
	    strstr(err.msg, "eu-west") != NULL, "an unknown word: a usage error naming the choices");
	is_int(config_location_first(c, 6u), 1, "the first of a set is the nearest");

	d = config_dup(c);
	ok(d->locations != c->locations && d->locations[1].opts != c->locations[1].opts &&
	    strcmp(((struct s3_options *)d->locations[1].opts)->bucket, "vs-eu") == 0,
	    "config_dup copies the locations and their options");
	config_free(c);
	is_str(d->locations[2].name, "us-east", "... the copy outlives the original");
	config_free(d);

	/* The single group of old is the location "s3". */
	c = load_text("s3 = { bucket = \"b\"; };\n", &err);
	if (ok(c != NULL, "a single s3 group loads as before")) {
		is_int(c->nlocations, 2, "... local and s3");
		is_str(c->locations[1].name, "s3", "... named s3");
		is_str(config_location_label(c, 1), "S3", "... labelled S3");
		ok(config_location_select(c, "s3", &set, &err) == 0 && set == 2u,
		    "... --location s3 names it");
		config_free(c);
	}
	c = load_text("s3 = { name = \"eu\"; bucket = \"b\"; };\n", &err);
	if (ok(c != NULL, "a single group may have a name")) {
		is_str(c->locations[1].name, "eu", "... and is called so");
		config_free(c);
	}
	c = load_text("# no s3\n", &err);
	if (ok(c != NULL, "without s3 only local")) {
		is_int(c->nlocations, 1, "... one location");
		ok(config_location_select(c, "s3", &set, &err) == -1 && err.code == VS_ERR_CONFIG &&
		    strstr(err.msg, "S3 is not configured: s3.bucket is empty") != NULL,
		    "... --location s3 says S3 is not configured");
		config_free(c);
	}

	refused("a list element without a name",
	    "s3 = ( { bucket = \"b\"; } );\n", "%F:1:", "each group of the list needs a name", NULL);
	refused("two locations of one name",
	    "s3 = ( { name = \"a\"; bucket = \"b\"; },\n { name = \"a\"; bucket = \"c\"; } );\n",
	    "%F:2:", "two locations have this name", NULL);
	refused("a name with capitals",
	    "s3 = ( { name = \"EU\"; bucket = \"b\"; } );\n", "%F:1:", "a-z, 0-9", NULL);
	refused("the name local",
	    "s3 = ( { name = \"local\"; bucket = \"b\"; } );\n", "%F:1:", "\"local\"", NULL);
	refused("the name all",
	    "s3 = ( { name = \"all\"; bucket = \"b\"; } );\n", "%F:1:", "\"all\"", NULL);
	refused("a list element without a bucket",
	    "s3 = ( { name = \"a\"; } );\n", "%F:1:", "s3.bucket is empty", NULL);
	refused("an unknown key in a list element",
	    "s3 = ( { name = \"a\"; bucket = \"b\"; buckets = \"c\"; } );\n", "%F:1:",
	    "s3.buckets", NULL);
	refused("upload that is no boolean",
	    "s3 = ( { name = \"a\"; bucket = \"b\"; upload = 1; } );\n", "%F:1:", "s3.upload", NULL);
	refused("an unknown key in a location's retention",
	    "s3 = ( { name = \"a\"; bucket = \"b\"; retention = { dayly = 1; }; } );\n", "%F:1:",
	    "a.retention.dayly", NULL);
	refused("s3 that is neither a group nor a list",
	    "s3 = \"b\";\n", "%F:1:", "a list of groups", NULL);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	char cmd[4200 + 16];
	int rc;

	snprintf(dir, sizeof dir, "%s/vsconf.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp %s: %s\n", dir, strerror(errno));
		return 1;
	}
	test_defaults();
	test_empty_file();
	test_every_key();
	test_numbers();
	test_retention_s3();
	test_locations();
	test_sse();
	test_errors();
	test_sentinel();
	test_cluster();
	test_missing();
	test_secret_warning();
	test_locate();
	rc = tap_done();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return rc;
}
