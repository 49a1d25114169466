/* Unit tests of src/ops (thresholds, state file, metrics text) and of the
 * log file and secret masking of src/common/log.c. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "config/conf.h"
#include "ops/health.h"
#include "ops/metrics.h"
#include "ops/state.h"
#include "ops/survey.h"
#include "tap.h"

static void
test_thresholds(void)
{
	is_int(health_age_state(0, 24), HEALTH_OK, "age 0 of 24 h: OK");
	is_int(health_age_state(24 * 3600, 24), HEALTH_OK, "age exactly the limit: OK");
	is_int(health_age_state(24 * 3600 + 1, 24), HEALTH_WARNING, "a second past it: WARNING");
	is_int(health_age_state(48 * 3600, 24), HEALTH_WARNING, "twice the limit: WARNING");
	is_int(health_age_state(48 * 3600 + 1, 24), HEALTH_CRITICAL, "past twice: CRITICAL");

	is_int(health_space_state(200, 100), HEALTH_OK, "room for two backups: OK");
	is_int(health_space_state(199, 100), HEALTH_WARNING, "room for one: WARNING");
	is_int(health_space_state(100, 100), HEALTH_WARNING, "exactly one: WARNING");
	is_int(health_space_state(99, 100), HEALTH_CRITICAL, "less than one: CRITICAL");
	is_int(health_space_state(0, 0), HEALTH_OK, "no backup to compare with: OK");
	is_int(health_space_state(UINT64_MAX, UINT64_MAX / 2), HEALTH_OK, "no overflow near the top");

	is_int(health_worst(HEALTH_OK, HEALTH_WARNING), HEALTH_WARNING, "worst of OK, WARNING");
	is_int(health_worst(HEALTH_UNKNOWN, HEALTH_WARNING), HEALTH_UNKNOWN, "UNKNOWN over WARNING");
	is_int(health_worst(HEALTH_UNKNOWN, HEALTH_CRITICAL), HEALTH_CRITICAL, "CRITICAL over UNKNOWN");
	is_str(health_state_name(HEALTH_CRITICAL), "CRITICAL", "state names are the plugin words");
}

static void
test_perfdata(void)
{
	struct health_report r;
	struct health_check c[2];
	char *p;

	memset(&r, 0, sizeof r);
	c[0] = (struct health_check){ .has_value = true,
	    .label = "local_age", .value = 90, .unit = "s", .warn = 3600, .crit = 7200 };
	c[1] = (struct health_check){ .has_value = true, .label = "free",
	    .value = 5000, .unit = "B", .warn = 2000, .crit = 1000, .low = true };
	r.checks = c;
	r.n = 2;
	p = health_perfdata(&r);
	is_str(p, "local_age=90s;3600;7200;0 free=5000B;2000:;1000:;0",
	    "performance data: upper thresholds plain, lower ones as N:");
	free(p);
}

static void
test_state(const char *dir)
{
	struct ops_state st, back;
	struct vs_error err;
	bool damaged = true;
	char *json, *path;

	is_int(ops_operation_find("backup"), OPS_OP_BACKUP, "operation backup is tracked");
	is_int(ops_operation_find("download"), OPS_OP_DOWNLOAD, "operation download is tracked");
	is_int(ops_operation_find("list"), -1, "list is not");

	error_clear(&err);
	ok(ops_state_load(dir, &st, &damaged, &err) == 0 && !damaged && !st.op[0].seen,
	    "no state file: an empty state");
	ok(ops_state_record(dir, OPS_OP_BACKUP, 0, 12.5, 1000, NULL, &err) == 0, "record a backup");
	ok(ops_state_record(dir, OPS_OP_BACKUP, 1, 3.0, 2000, &st, &err) == 0,
	    "record a failed backup");
	is_int(st.op[OPS_OP_BACKUP].last_run, 2000, "  last run: the failure");
	is_int(st.op[OPS_OP_BACKUP].last_success, 1000, "  last success: the earlier run");
	is_int(st.op[OPS_OP_BACKUP].last_status, 1, "  last status 1");
	is_int(st.op[OPS_OP_BACKUP].runs_success * 10 + st.op[OPS_OP_BACKUP].runs_failure, 11,
	    "  one success, one failure");
	ok(!st.op[OPS_OP_VERIFY].seen, "  verify never ran");
	ok(ops_state_load(dir, &back, &damaged, &err) == 0 && !damaged &&
	    memcmp(&back, &st, sizeof st) == 0, "the file reads back the same");

	json = ops_state_to_json(&st);
	ok(ops_state_parse(json, &back) == 0 && memcmp(&back, &st, sizeof st) == 0,
	    "JSON round trip");
	free(json);
	ok(ops_state_parse("{\"format_version\": 2, \"operations\": {}}", &back) == -1,
	    "another format version is refused");
	ok(ops_state_parse("{\"format_version\": 1, \"operations\": {\"backup\": "
	    "{\"last_run\": -5}}}", &back) == -1 && !back.op[0].seen,
	    "a negative time is refused, leaving an empty state");
	path = fs_join(dir, OPS_STATE_FILE);
	fs_write_atomic(path, "garbage", 7, 0600, &err);
	ok(ops_state_load(dir, &back, &damaged, &err) == 0 && damaged && !back.op[0].seen,
	    "a damaged file: an empty state, said to be damaged");
	free(path);
}

static void
test_render(void)
{
	struct config *cfg = config_defaults();
	struct ops_survey s;
	struct ops_state st;
	struct ops_location locs[2];
	struct vs_error err;
	size_t n = 0;
	char *text;

	config_set(cfg, "s3.bucket", "b", &err);
	memset(&s, 0, sizeof s);
	memset(&st, 0, sizeof st);
	memset(locs, 0, sizeof locs);
	s.now = 1700000000;
	s.locs = locs;
	s.nloc = 2;
	locs[0].name = "local";
	locs[0].configured = locs[0].listed = true;
	locs[0].by_type[BACKUP_WEEKLY] = 3;
	locs[1].name = "s3";
	locs[1].configured = true;
	s.have_free = true;
	s.free_bytes = 12345;
	st.op[OPS_OP_VERIFY].seen = true;
	st.op[OPS_OP_VERIFY].last_status = 3;
	st.op[OPS_OP_VERIFY].last_duration = 1.25;
	st.op[OPS_OP_VERIFY].runs_failure = 2;
	text = ops_metrics_render(cfg, &s, &st, &n);
	ok(strstr(text, "vsbackup_backups{location=\"local\",type=\"weekly\"} 3\n") != NULL,
	    "backups by location and type");
	ok(strstr(text, "vsbackup_storage_up{location=\"s3\"} 0\n") != NULL,
	    "an unlisted location is down");
	ok(strstr(text, "location=\"s3\",type") == NULL, "  with no counts");
	ok(strstr(text, "vsbackup_last_run_exit_status{operation=\"verify\"} 3\n") != NULL,
	    "last exit status of verify");
	ok(strstr(text, "vsbackup_last_run_exit_status{operation=\"backup\"}") == NULL,
	    "  none for an operation that never ran");
	ok(strstr(text, "vsbackup_last_run_duration_seconds{operation=\"verify\"} 1.250\n") != NULL,
	    "its duration in seconds");
	ok(strstr(text, "vsbackup_runs_total{operation=\"verify\",result=\"failure\"} 2\n") != NULL,
	    "the run counter");
	ok(strstr(text, "# TYPE vsbackup_runs_total counter\n") != NULL, "  typed counter");
	ok(strstr(text, "vsbackup_backup_dir_free_bytes 12345\n") != NULL, "free bytes");
	ok(strstr(text, "vsbackup_last_backup_size_bytes") == NULL,
	    "no newest backup: no family at all, not even its HELP");
	ok(n > 20, "samples counted (%zu)", n);
	free(text);
	config_free(cfg);
}

static void
test_log(const char *dir)
{
	struct config *cfg = config_defaults();
	char *logpath = fs_join(dir, "test.log"), *errpath = fs_join(dir, "stderr.txt");
	char *text = NULL;
	size_t len;
	struct stat sb;
	int saved = dup(STDERR_FILENO);
	FILE *f;

	free(cfg->log.file);
	cfg->log.file = xstrdup(logpath);
	free(cfg->redis.password);
	cfg->redis.password = xstrdup("pw-Unit-7781");
	{
		struct vs_error err;

		config_set(cfg, "s3.bucket", "b", &err);
		config_set(cfg, "s3.secret_access_key", "sk/Unit+99", &err);
	}
	f = freopen(errpath, "w", stderr);
	log_configure(cfg);
	log_set_operation("backup");
	log_msg(VS_LOG_WARN, "a message with pw-Unit-7781 and sk/Unit+99 in it");
	log_event(VS_LOG_INFO, "verify", NULL, "checked 20240101_000000 twice\nand more");
	log_set_level(VS_LOG_WARN);
	log_event(VS_LOG_INFO, "verify", "20240202_000000", "quiet on stderr");
	log_set_level(VS_LOG_INFO);
	log_record(VS_LOG_ERROR, "restore", NULL, "only in the file");
	log_close();
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	(void)f;

	ok(fs_read_all(logpath, 1 << 20, &text, &len, NULL) == 0, "the log file was written");
	ok(text != NULL && strstr(text, "warning backup -: a message with *** and *** in it\n") != NULL,
	    "secrets masked in the file; operation from the context, no id");
	ok(text != NULL && strstr(text, "info verify 20240101_000000: checked 20240101_000000 "
	    "twice and more\n") != NULL, "the backup id the text names; one line");
	ok(text != NULL && strstr(text, "info verify 20240202_000000: quiet on stderr\n") != NULL,
	    "info recorded in the file even when stderr shows warnings only");
	ok(text != NULL && strstr(text, "error restore -: only in the file\n") != NULL,
	    "log_record writes the file");
	ok(text != NULL && strstr(text, "pw-Unit") == NULL && strstr(text, "sk/Unit") == NULL,
	    "no secret in the file");
	ok(stat(logpath, &sb) == 0 && (sb.st_mode & 0777) == 0600, "created 0600");
	free(text);
	text = NULL;
	ok(fs_read_all(errpath, 1 << 20, &text, &len, NULL) == 0 && strstr(text,
	    "vsbackup: warning: a message with *** and *** in it\n") != NULL,
	    "masked on stderr too");
	ok(text != NULL && strstr(text, "quiet on stderr") == NULL &&
	    strstr(text, "only in the file") == NULL, "stderr keeps its level; log_record skips it");
	free(text);
	free(logpath);
	free(errpath);
	config_free(cfg);
}

int
main(void)
{
	char tmpl[] = "/tmp/test-ops.XXXXXX";
	char *dir = mkdtemp(tmpl);
	struct vs_error err;

	if (dir == NULL)
		return 1;
	test_thresholds();
	test_perfdata();
	test_state(dir);
	test_render();
	test_log(dir);
	fs_remove_tree(dir, &err);
	return tap_done();
}
