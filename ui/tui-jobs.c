/*
 * The TUI's own job types (status, preflight, history).
 * Each runs on an engine worker with only its args and the configuration;
 * nothing here touches curses or the UI's model.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "engine/lock.h"
#include "jobs/jobs.h"
#include "manifest/verify-record.h"
#include "redis/redis-conn.h"
#include "redis/redis-info.h"
#include "storage/storage.h"
#include "ui/tui-jobs.h"

/* --- status --------------------------------------------------------- */

void
tui_status_free(struct tui_status *s)
{
	if (s == NULL)
		return;
	free(s->counts);
	free(s);
}

static void
status_free_result(void *r)
{
	tui_status_free(r);
}

/* Count keys per prefix in one SCAN pass over the database. */
static int
status_count(struct job *job, struct redis_conn *c, struct tui_status *s, struct vs_error *err)
{
	const struct config *cfg = job_config(job);
	char cursor[32] = "0";
	redisReply *r;

	do {
		r = redis_conn_command(c, err, "SCAN %s COUNT 1000", cursor);
		if (r == NULL)
			return -1;
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[1]->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(r);
			return error_set(err, VS_ERR_REDIS, _("unexpected answer to SCAN from Redis at %s"),
			    redis_conn_where(c));
		}
		snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
		for (size_t k = 0; k < r->element[1]->elements; k++) {
			const redisReply *key = r->element[1]->element[k];

			if (key->type != REDIS_REPLY_STRING)
				continue;
			for (size_t i = 0; i < cfg->redis.nprefixes; i++) {
				size_t plen = strlen(cfg->redis.prefixes[i]);

				if ((size_t)key->len >= plen &&
				    memcmp(key->str, cfg->redis.prefixes[i], plen) == 0) {
					s->counts[i]++;
					break;
				}
			}
		}
		freeReplyObject(r);
		if (job_cancelled(job))
			return job_cancel_error(err);
	} while (strcmp(cursor, "0") != 0);
	s->counts_ok = true;
	return 0;
}

static void
status_redis(struct job *job, struct tui_status *s, bool count_keys)
{
	const struct config *cfg = job_config(job);
	struct redis_conn *c = NULL;
	struct redis_info *info = NULL;
	struct redis_persistence p;
	struct vs_error err;
	long long keys, expires;

	error_clear(&err);
	if (redis_conn_open(cfg, &c, &err) != 0)
		goto fail;
	if (redis_info_fetch(c, "server", &info, &err) != 0)
		goto fail;
	snprintf(s->redis_version, sizeof s->redis_version, "%s", redis_info_version(info));
	redis_info_free(info);
	info = NULL;
	s->redis_ok = true;
	if (redis_info_fetch(c, "persistence", &info, &err) != 0 ||
	    redis_info_persistence(info, &p, &err) != 0)
		goto fail;
	s->loading = p.loading;
	s->bgsave_in_progress = p.bgsave_in_progress;
	snprintf(s->last_bgsave, sizeof s->last_bgsave, "%s", p.last_bgsave_status);
	s->last_save = (time_t)p.last_save_time;
	redis_info_free(info);
	info = NULL;
	if (s->loading || !count_keys)
		goto out;
	if (redis_info_fetch(c, "keyspace", &info, &err) != 0)
		goto fail;
	redis_info_db_keys(info, cfg->redis.db, &keys, &expires);
	s->dbsize = keys > 0 ? (uint64_t)keys : 0;
	job_progress(job, _("counting keys"), 0, s->dbsize, false);
	if (status_count(job, c, s, &err) != 0)
		goto fail;
	goto out;
fail:
	snprintf(s->redis_error, sizeof s->redis_error, "%s", err.msg);
out:
	redis_info_free(info);
	redis_conn_close(c);
}

/* Free space where backup_dir is, or where it would be created. */
static void
status_disk(const struct config *cfg, struct tui_status *s)
{
	struct vs_error err;
	char *dir = xstrdup(cfg->backup_dir);

	error_clear(&err);
	for (int i = 0; i < 64; i++) {
		if (fs_exists(dir) || strcmp(dir, "/") == 0 || strcmp(dir, ".") == 0)
			break;
		/* dirname may return a pointer into dir or a static string. */
		{
			char *parent = xstrdup(dirname(dir));

			free(dir);
			dir = parent;
		}
	}
	if (fs_free_bytes(dir, &s->disk_free, &err) == 0)
		s->disk_ok = true;
	else
		snprintf(s->disk_error, sizeof s->disk_error, "%s", err.msg);
	free(dir);
}

static int
status_run(struct job *job, void *args, void **result, struct vs_error *err)
{
	const struct config *cfg = job_config(job);
	const struct tui_status_args *a = args;
	struct tui_status *s = xcalloc(1, sizeof *s);

	s->at = time_now();
	s->ncounts = cfg->redis.nprefixes;
	s->counts = xcalloc(s->ncounts > 0 ? s->ncounts : 1, sizeof *s->counts);
	job_progress(job, _("asking Redis"), 0, 0, false);
	status_redis(job, s, a != NULL && a->count_keys);
	if (job_cancelled(job)) {
		tui_status_free(s);
		return job_cancel_error(err);
	}
	status_disk(cfg, s);
	*result = s;
	return 0;
}

const struct job_type tui_status_type = {
	.name = "status",
	.run = status_run,
	.free_args = free,
	.free_result = status_free_result,
};

/* --- preflight ---------------------------------------------------------- */

static struct tui_check *
check_add(struct tui_preflight *p, const char *what)
{
	struct tui_check *c = &p->checks[p->n++];

	snprintf(c->what, sizeof c->what, "%s", what);
	return c;
}

static uint64_t
file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

static void
human_bytes(uint64_t n, char *out, size_t outsz)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)n;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, outsz, "%llu B", (unsigned long long)n);
	else
		snprintf(out, outsz, "%.1f %s", v, units[u]);
}

/* Is there need bytes free in dir (or the nearest existing parent)? */
static void
check_space(struct tui_check *c, const char *dir, uint64_t need)
{
	struct vs_error err;
	char *d = xstrdup(dir);
	char hneed[32], hfree[32];
	uint64_t avail;

	error_clear(&err);
	while (!fs_exists(d) && strcmp(d, "/") != 0 && strcmp(d, ".") != 0) {
		char *parent = xstrdup(dirname(d));

		free(d);
		d = parent;
	}
	if (fs_free_bytes(d, &avail, &err) != 0) {
		c->ok = false;
		snprintf(c->detail, sizeof c->detail, "%s", err.msg);
		free(d);
		return;
	}
	human_bytes(need, hneed, sizeof hneed);
	human_bytes(avail, hfree, sizeof hfree);
	/* 10% on top: the estimate of the live data may be short. */
	c->ok = avail >= need + need / 10;
	if (c->ok)
		snprintf(c->detail, sizeof c->detail, _("%s free in %s, about %s needed"), hfree, d,
		    hneed);
	else
		snprintf(c->detail, sizeof c->detail,
		    _("only %s free in %s, about %s needed: free some space (cleanup, or delete "
		      "old backups) and run the checks again"), hfree, d, hneed);
	free(d);
}

static int
preflight_run(struct job *job, void *argp, void **result, struct vs_error *err)
{
	const struct config *cfg = job_config(job);
	struct tui_preflight_args *a = argp;
	struct tui_preflight *p = xcalloc(1, sizeof *p);
	struct tui_check *c;
	struct redis_conn *conn = NULL;
	struct bdlock_holder holder;
	struct vs_error e;
	uint64_t need;
	char *idx_dir;
	int held;

	job_set_backup(job, a->id);
	job_progress(job, _("checking free space"), 0, 5, false);
	/* The safety backup copies the live state; its RDB is about the size
	 * of the backup's. */
	p->live_bytes = file_size(cfg->faiss.content_index) + file_size(cfg->faiss.user_index) +
	    (a->backup_bytes > a->index_bytes ? a->backup_bytes - a->index_bytes : 0);
	need = p->live_bytes + (strcmp(a->from, "s3") == 0 ? a->backup_bytes : 0);
	c = check_add(p, _("space in backup_dir for the safety backup"));
	check_space(c, cfg->backup_dir, need);

	idx_dir = xstrdup(cfg->faiss.content_index);
	c = check_add(p, _("space beside the index files"));
	check_space(c, dirname(idx_dir), a->index_bytes);
	free(idx_dir);

	job_progress(job, _("asking Redis"), 2, 5, false);
	c = check_add(p, _("Redis answers"));
	error_clear(&e);
	if (redis_conn_open(cfg, &conn, &e) == 0) {
		redisReply *r = redis_conn_command(conn, &e, "PING");

		c->ok = r != NULL;
		if (r != NULL) {
			snprintf(c->detail, sizeof c->detail, _("Redis at %s answers PING"),
			    redis_conn_where(conn));
			freeReplyObject(r);
		} else {
			snprintf(c->detail, sizeof c->detail, "%s", e.msg);
		}
		redis_conn_close(conn);
	} else {
		snprintf(c->detail, sizeof c->detail, "%s", e.msg);
	}

	job_progress(job, _("checking the configuration"), 3, 5, false);
	c = check_add(p, _("start command configured"));
	c->ok = cfg->redis.start_command != NULL && cfg->redis.start_command[0] != '\0';
	if (c->ok)
		snprintf(c->detail, sizeof c->detail, "%s", cfg->redis.start_command);
	else
		snprintf(c->detail, sizeof c->detail,
		    _("redis.start_command is not set in %s: the restore could stop Redis but "
		      "not start it again; set it and restart vsbackup"), cfg->path ? cfg->path : "");

	job_progress(job, _("checking the backup_dir lock"), 4, 5, false);
	c = check_add(p, _("backup_dir lock free"));
	error_clear(&e);
	memset(&holder, 0, sizeof holder);
	held = bdlock_probe(cfg->backup_dir, &holder, &e);
	c->ok = held == 0;
	if (held == 0)
		snprintf(c->detail, sizeof c->detail, _("no other operation holds %s/%s"),
		    cfg->backup_dir, LOCK_FILE_NAME);
	else if (held > 0)
		snprintf(c->detail, sizeof c->detail,
		    _("held by process %d on %s (%s): wait until it ends, or stop it"),
		    (int)holder.pid, holder.host, holder.operation);
	else
		snprintf(c->detail, sizeof c->detail, "%s", e.msg);
	job_progress(job, _("checks done"), 5, 5, false);
	if (job_cancelled(job)) {
		free(p);
		return job_cancel_error(err);
	}
	*result = p;
	return 0;
}

const struct job_type tui_preflight_type = {
	.name = "preflight",
	.run = preflight_run,
	.free_args = free,
	.free_result = free,
};

/* --- history ------------------------------------------------------------ */

static int
history_run(struct job *job, void *argp, void **result, struct vs_error *err)
{
	struct tui_history_args *a = argp;
	struct tui_history *h = xcalloc(1, sizeof *h);
	struct storage *st = NULL;
	char *json = NULL;
	size_t len;
	cJSON *root = NULL;
	const cJSON *recs, *r;

	snprintf(h->id, sizeof h->id, "%s", a->id);
	snprintf(h->location, sizeof h->location, "%s", a->location);
	if (storage_open(job_config(job), a->location, &st, err) != 0)
		goto fail;
	if (storage_read_small(st, a->id, VERIFY_RECORD_FILE, 1024 * 1024, &json, &len, err) != 0) {
		if (err->code != VS_ERR_NOTFOUND)
			goto fail;
		error_clear(err);
		goto done;
	}
	root = cJSON_Parse(json);
	recs = cJSON_GetObjectItemCaseSensitive(root, "records");
	cJSON_ArrayForEach(r, recs) {
		const cJSON *at = cJSON_GetObjectItemCaseSensitive(r, "at");
		const cJSON *ok = cJSON_GetObjectItemCaseSensitive(r, "ok");
		const cJSON *level = cJSON_GetObjectItemCaseSensitive(r, "level");
		const cJSON *summary = cJSON_GetObjectItemCaseSensitive(r, "summary");
		struct vs_error e;
		time_t t = 0;

		if (cJSON_IsString(at))
			time_parse(at->valuestring, &t, &e);
		h->n++;
		if (h->first == 0 || (t != 0 && t < h->first))
			h->first = t;
		if (cJSON_IsString(level) && strcmp(level->valuestring, "deep") == 0)
			h->ndeep++;
		if (cJSON_IsTrue(ok)) {
			h->nok++;
			if (t > h->last_ok)
				h->last_ok = t;
		} else {
			h->nfailed++;
			if (t > h->last_failed) {
				h->last_failed = t;
				snprintf(h->last_failure, sizeof h->last_failure, "%s",
				    cJSON_IsString(summary) ? summary->valuestring : "");
			}
		}
	}
done:
	cJSON_Delete(root);
	free(json);
	storage_close(st);
	*result = h;
	return 0;
fail:
	free(json);
	storage_close(st);
	free(h);
	return -1;
}

const struct job_type tui_history_type = {
	.name = "history",
	.run = history_run,
	.free_args = free,
	.free_result = free,
};
