#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "jobs/place.h"
#include "jobs/restore.h"
#include "jobs/tools.h"
#include "redis/redis-conn.h"
#include "redis/redis-info.h"
#include "redis/redis-snapshot.h"

#define STOP_TIMEOUT_S 120

struct watch_ctx {
	struct job *job;
	const char *phase;
};

static void
watch_progress(void *arg, uint64_t done, uint64_t total)
{
	struct watch_ctx *wc = arg;

	job_progress(wc->job, wc->phase, done, total, true);
}

static bool
watch_cancelled(void *arg)
{
	return job_cancelled(((struct watch_ctx *)arg)->job);
}

/* CONFIG GET name: the value, or NULL when CONFIG is not available. */
static char *
config_get(struct redis_conn *c, const char *name)
{
	redisReply *r = redis_conn_command(c, NULL, "CONFIG GET %s", name);
	char *v = NULL;

	if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[1]->type == REDIS_REPLY_STRING)
		v = xstrdup(r->element[1]->str);
	if (r != NULL)
		freeReplyObject(r);
	return v;
}

static void
set_str(char **dst, char *val)
{
	if (val == NULL)
		return;
	free(*dst);
	*dst = val;
}

int
restore_redis_learn(struct job *job, struct journal *j, struct vs_error *err)
{
	const struct config *cfg = job_config(job);
	struct redis_conn *c = NULL;
	struct vs_error cerr;
	char *aof;

	error_clear(&cerr);
	if (redis_conn_open(cfg, &c, &cerr) != 0) {
		job_log(job, VS_LOG_WARN, _("Redis is not reachable: %s"), cerr.msg);
		return 1;
	}
	set_str(&j->data_dir, config_get(c, "dir"));
	set_str(&j->dbfilename, config_get(c, "dbfilename"));
	aof = config_get(c, "appendonly");
	if (aof != NULL)
		j->aof = strcmp(aof, "yes") == 0;
	free(aof);
	set_str(&j->aof_dir, config_get(c, "appenddirname"));
	set_str(&j->aof_file, config_get(c, "appendfilename"));
	set_str(&j->logfile, config_get(c, "logfile"));
	/* Configured paths win: the server may see other paths (containers). */
	if (cfg->redis.data_dir[0] != '\0')
		set_str(&j->data_dir, xstrdup(cfg->redis.data_dir));
	if (cfg->redis.dbfilename[0] != '\0')
		set_str(&j->dbfilename, xstrdup(cfg->redis.dbfilename));
	redis_conn_close(c);
	(void)err;
	return 0;
}

int
restore_redis_guess(const struct config *cfg, const struct manifest *m, bool answers,
    struct journal *j, struct vs_error *err)
{
	char *p;

	/* Only the configuration (or, before this, the live server) says
	 * where to write: the backup's metadata is at most a hint. */
	if (cfg->redis.data_dir[0] != '\0' || j->data_dir == NULL)
		set_str(&j->data_dir, xstrdup(cfg->redis.data_dir));
	if (cfg->redis.dbfilename[0] != '\0' || j->dbfilename == NULL ||
	    j->dbfilename[0] == '\0')
		set_str(&j->dbfilename, xstrdup(cfg->redis.dbfilename[0] ? cfg->redis.dbfilename :
		    "dump.rdb"));
	if (j->data_dir[0] == '\0' && answers)
		return error_set(err, VS_ERR_REFUSED,
		    _("Redis answers but does not say where it keeps its data (CONFIG GET dir is "
		      "renamed, or not allowed to the user vsbackup logs in as): set "
		      "redis.data_dir and redis.dbfilename in %s"), cfg->path);
	if (j->data_dir[0] == '\0') {
		if (m->redis.data_dir != NULL && m->redis.data_dir[0] != '\0')
			return error_set(err, VS_ERR_REFUSED,
			    _("Redis is not reachable and redis.data_dir is not set in %s, so the "
			      "restore cannot tell where Redis keeps its data; backup %s says it was "
			      "%s/%s when the backup was taken: if that is still right, set "
			      "redis.data_dir and redis.dbfilename to it, or start Redis so that it "
			      "can be asked"), cfg->path, m->backup_id, m->redis.data_dir,
			    m->redis.dbfilename ? m->redis.dbfilename : "");
		return error_set(err, VS_ERR_REFUSED,
		    _("Redis is not reachable and its data directory is unknown: set "
		      "redis.data_dir and redis.dbfilename in %s"), cfg->path);
	}
	if (strchr(j->dbfilename, '/') != NULL)
		return error_set(err, VS_ERR_REFUSED, _("redis.dbfilename \"%s\" is not a plain file "
		    "name: set the directory in redis.data_dir"), j->dbfilename);
	if (j->aof_file == NULL || j->aof_file[0] == '\0')
		set_str(&j->aof_file, xstrdup("appendonly.aof"));
	if (j->aof_dir == NULL)
		set_str(&j->aof_dir, xstrdup(""));
	/* With the server down, its files say whether AOF is in use. */
	if (j->aof_dir[0] == '\0') {
		p = fs_join(j->data_dir, "appendonlydir");
		if (fs_exists(p)) {
			j->aof = true;
			set_str(&j->aof_dir, xstrdup("appendonlydir"));
		}
		free(p);
	}
	return 0;
}

/*
 * May the user vsbackup logs in as stop the server with SHUTDOWN? Asked
 * without stopping it: ACL DRYRUN where the user may run it, else SHUTDOWN
 * with the contradictory NOSAVE SAVE, which every server version refuses
 * as a syntax error once the command and the ACL have let it through (and
 * answers NOPERM, or "unknown command" when renamed, before that).
 */
int
restore_redis_can_stop(const struct config *cfg, char *why, size_t whylen)
{
	struct redis_conn *c = NULL;
	redisReply *r;
	int ok = -1;

	why[0] = '\0';
	if (redis_conn_open(cfg, &c, NULL) != 0)
		return -1;
	r = redis_conn_command_raw(c, NULL, "ACL WHOAMI");
	if (r != NULL && r->type == REDIS_REPLY_STRING) {
		redisReply *d = redis_conn_command_raw(c, NULL, "ACL DRYRUN %s SHUTDOWN NOSAVE",
		    r->str);

		if (d != NULL && d->type == REDIS_REPLY_STATUS && strcmp(d->str, "OK") == 0)
			ok = 1;
		else if (d != NULL && d->type == REDIS_REPLY_STRING) {
			snprintf(why, whylen, "%s", d->str);
			ok = 0;
		}
		if (d != NULL)
			freeReplyObject(d);
	}
	if (r != NULL)
		freeReplyObject(r);
	if (ok < 0) {
		r = redis_conn_command_raw(c, NULL, "SHUTDOWN NOSAVE SAVE");
		if (r != NULL && r->type == REDIS_REPLY_ERROR) {
			ok = strncmp(r->str, "ERR syntax", 10) == 0;
			if (!ok)
				snprintf(why, whylen, "%s", r->str);
		}
		if (r != NULL)
			freeReplyObject(r);
	}
	redis_conn_close(c);
	return ok;
}

static bool
redis_up(const struct config *cfg)
{
	struct redis_conn *c = NULL;

	if (redis_conn_open(cfg, &c, NULL) != 0)
		return false;
	redis_conn_close(c);
	return true;
}

bool
restore_redis_answers(const struct config *cfg)
{
	return redis_up(cfg);
}

int
restore_redis_stop(struct job *job, struct vs_error *err)
{
	const struct config *cfg = job_config(job);
	struct redis_conn *c = NULL;
	char out[512];

	if (!redis_up(cfg)) {
		job_log(job, VS_LOG_INFO, _("Redis is already stopped"));
		return 0;
	}
	if (cfg->redis.stop_command[0] != '\0') {
		int st = tools_run_shell(out, sizeof out, cfg->redis.stop_command, STOP_TIMEOUT_S);

		if (st != 0)
			return error_set(err, VS_ERR_REDIS, _("redis.stop_command failed (status %d): %s"),
			    st, out[0] ? out : _("no output"));
	} else {
		if (redis_conn_open(cfg, &c, err) != 0)
			return -1;
		if (redis_shutdown_nosave(c, err) != 0) {
			redis_conn_close(c);
			return -1;
		}
		redis_conn_close(c);
	}
	for (int i = 0; i < STOP_TIMEOUT_S * 10; i++) {
		if (!redis_up(cfg)) {
			job_log(job, VS_LOG_INFO, _("Redis stopped"));
			return 0;
		}
		if (job_cancelled(job))
			return job_cancel_error(err);
		redis_sleep_ms(100);
	}
	return error_set(err, VS_ERR_REDIS, _("Redis still answers %d s after being told to stop"),
	    STOP_TIMEOUT_S);
}

/* Owner and mode of a directory made in parent: parent's, without
 * write for others. */
static void
owner_of_dir_in(const char *parent, struct fs_owner *out)
{
	struct stat sb;

	if (stat(parent, &sb) == 0)
		*out = (struct fs_owner){ .known = true, .uid = sb.st_uid, .gid = sb.st_gid,
		    .mode = sb.st_mode & 0775 };
	else
		*out = (struct fs_owner){ .known = false, .mode = 0700 };
}

/*
 * A Redis 7 AOF directory whose base is the snapshot: the server loads it
 * as it would the RDB, and AOF stays on. Built in a new directory beside
 * the live one that only we can write to (mkdtemp, 0700), each file given
 * its owner and mode on its descriptor; only then is the directory itself
 * handed to the server's user (on its descriptor) and swapped in.
 */
static int
place_aof7(struct job *job, struct storage *st, const struct manifest *m,
    struct journal *j, const char *suffix, struct vs_error *err)
{
	char *live = fs_join(j->data_dir, j->aof_dir);
	char *tmp = xasprintf("%s/.vsbackup-aof-XXXXXX", j->data_dir);
	char *mf_live = xasprintf("%s/%s.manifest", live, j->aof_file);
	char *base = NULL, *incr = NULL, *mf = NULL, *text = NULL, *aside = NULL;
	struct fs_owner down, fown;
	struct stat sb;
	bool made = false;
	int dfd, rc = -1;

	/* The live AOF directory's owner and mode, else the data dir's. */
	if (lstat(live, &sb) == 0 && S_ISDIR(sb.st_mode))
		down = (struct fs_owner){ .known = true, .uid = sb.st_uid, .gid = sb.st_gid,
		    .mode = sb.st_mode & 0777 };
	else
		owner_of_dir_in(j->data_dir, &down);
	if (lstat(mf_live, &sb) == 0 && S_ISREG(sb.st_mode))
		fown = (struct fs_owner){ .known = true, .uid = sb.st_uid, .gid = sb.st_gid,
		    .mode = sb.st_mode & 0666 };
	else
		fown = (struct fs_owner){ .known = down.known, .uid = down.uid, .gid = down.gid,
		    .mode = down.mode & 0664 };
	if (mkdtemp(tmp) == NULL) {
		error_errno(err, VS_ERR_IO, errno, _("cannot create a temporary directory in %s"),
		    j->data_dir);
		goto out;
	}
	made = true;
	base = xasprintf("%s/%s.1.base.rdb", tmp, j->aof_file);
	incr = xasprintf("%s/%s.1.incr.aof", tmp, j->aof_file);
	mf = xasprintf("%s/%s.manifest", tmp, j->aof_file);
	if (m->redis.file.present) {
		if (place_file(job, st, m->backup_id, m->redis.file.name, m->redis.file.size, base,
		    &fown, _("writing the AOF base"), err) != 0)
			goto out;
		text = xasprintf("file %s.1.base.rdb seq 1 type b\nfile %s.1.incr.aof seq 1 type i\n",
		    j->aof_file, j->aof_file);
	} else {
		text = xasprintf("file %s.1.incr.aof seq 1 type i\n", j->aof_file);
	}
	if (fs_write_atomic_as(incr, "", 0, &fown, err) != 0 ||
	    fs_write_atomic_as(mf, text, strlen(text), &fown, err) != 0)
		goto out;
	dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 || fs_owner_apply(dfd, &down) != 0 || fsync(dfd) != 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot set the owner and mode of %s"), tmp);
		if (dfd >= 0)
			close(dfd);
		goto out;
	}
	close(dfd);
	if (place_move_aside(live, suffix, &aside, err) != 0)
		goto out;
	if (aside != NULL)
		journal_add_aside(j, aside);
	if (rename(tmp, live) != 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot rename %s to %s"), tmp, live);
		goto out;
	}
	made = false;
	rc = fs_fsync_dir(j->data_dir, err);
	if (aside != NULL)
		job_log(job, VS_LOG_INFO, _("AOF is on: the old %s was moved aside to %s and a new "
		    "one starts from the restored snapshot"), live, aside);
	else
		job_log(job, VS_LOG_INFO, _("AOF is on: a new %s starts from the restored snapshot"),
		    live);
out:
	if (made)
		fs_remove_tree(tmp, NULL);
	free(aside);
	free(text);
	free(mf);
	free(incr);
	free(base);
	free(mf_live);
	free(tmp);
	free(live);
	return rc;
}

int
restore_redis_stage(struct job *job, struct storage *st, const struct manifest *m,
    struct journal *j, struct place_staged *out, struct vs_error *err)
{
	char *dest = fs_join(j->data_dir, j->dbfilename);
	struct fs_owner own;
	int rc;

	/* Staged in backup_dir: the data directory changes only once the
	 * server is stopped (then the copy is renamed, or copied, there). */
	place_owner(dest, &m->redis.file.owner, &own);
	rc = place_stage_in(job, st, m->backup_id, m->redis.file.name, m->redis.file.size, dest,
	    job_config(job)->backup_dir, &own, _("placing redis.rdb"), out, err);
	free(dest);
	return rc;
}

int
restore_redis_place(struct job *job, struct storage *st, const struct manifest *m,
    struct journal *j, struct place_staged *staged, struct vs_error *err)
{
	char *dest = fs_join(j->data_dir, j->dbfilename);
	char suffix[64], *aside = NULL;
	struct fs_owner own;
	int rc = -1;

	snprintf(suffix, sizeof suffix, "before-%s", m->backup_id);
	/* A data directory that is gone comes back as the backup saw it. */
	if (place_mkdir(j->data_dir, &m->redis.dir_owner, err) != 0)
		goto out;
	if (m->redis.file.present) {
		struct place_staged mine = { 0 };

		/* Staged before anything live changed, or now. */
		if (staged == NULL || staged->tmp == NULL) {
			staged = &mine;
			if (restore_redis_stage(job, st, m, j, staged, err) != 0)
				goto out;
		}
		if (place_commit(staged, err) != 0)
			goto out;
	} else {
		/* The backup recorded no data: the server must start empty. */
		job_log(job, VS_LOG_WARN, _("this backup has no Redis snapshot (%s); Redis will "
		    "start empty"), m->redis.file.note ? m->redis.file.note : _("none was recorded"));
		if (place_move_aside(dest, suffix, &aside, err) != 0)
			goto out;
		if (aside != NULL) {
			job_log(job, VS_LOG_INFO, _("%s was moved aside to %s"), dest, aside);
			journal_add_aside(j, aside);
		}
		free(aside);
		aside = NULL;
	}
	if (j->aof) {
		if (j->aof_dir != NULL && j->aof_dir[0] != '\0') {
			if (place_aof7(job, st, m, j, suffix, err) != 0)
				goto out;
		} else {
			/* Before Redis 7: one AOF file, which may start with an RDB. */
			char *aof = fs_join(j->data_dir, j->aof_file);

			place_owner(aof, &m->redis.file.owner, &own);
			rc = place_move_aside(aof, suffix, &aside, err);
			if (rc == 0 && aside != NULL) {
				job_log(job, VS_LOG_INFO, _("%s was moved aside to %s"), aof, aside);
				journal_add_aside(j, aside);
			}
			if (rc == 0 && m->redis.file.present)
				rc = place_file(job, st, m->backup_id, m->redis.file.name,
				    m->redis.file.size, aof, &own, _("writing the AOF"), err);
			free(aside);
			free(aof);
			if (rc != 0)
				goto out;
		}
	}
	rc = 0;
out:
	free(dest);
	return rc;
}

/*
 * The server's log, for an error saying why it did not start. The path
 * was learnt from the server (or read from the journal), so only a
 * regular file owned by the owner of the data directory, as a log the
 * server writes is, is opened; -1 otherwise.
 */
static int
log_open(const struct journal *j, struct stat *sb)
{
	struct stat db;
	int fd;

	if (j->logfile == NULL || j->logfile[0] != '/' || j->data_dir == NULL ||
	    stat(j->data_dir, &db) != 0)
		return -1;
	fd = open(j->logfile, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, sb) != 0 || !S_ISREG(sb->st_mode) || sb->st_uid != db.st_uid) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The log's size now: where what the next start writes begins. */
static off_t
log_mark(const struct journal *j)
{
	struct stat sb;
	int fd = log_open(j, &sb);

	if (fd < 0)
		return -1;
	close(fd);
	return sb.st_size;
}

/* The last three lines the server wrote after mark, on one line without
 * control characters; NULL when it wrote none. */
static char *
log_tail(const struct journal *j, off_t mark)
{
	struct stat sb;
	char buf[2048], *out, *p;
	off_t off;
	ssize_t n;
	int fd, lines = 0;

	if (mark < 0 || (fd = log_open(j, &sb)) < 0)
		return NULL;
	if (sb.st_size < mark)
		mark = 0;       /* rotated meanwhile */
	off = sb.st_size - mark > (off_t)sizeof buf - 1 ? sb.st_size - (off_t)sizeof buf + 1 : mark;
	n = fs_pread_full(fd, buf, sizeof buf - 1, off);
	close(fd);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	for (p = buf + n; p > buf; p--)
		if (p[-1] == '\n' && ++lines == 3)
			break;
	out = xstrdup(p);
	for (char *q = out; *q; q++) {
		if (*q == '\n')
			*q = '|';
		else if ((unsigned char)*q < 0x20 || *q == 0x7f)
			*q = '?';
	}
	if (strlen(out) > 400)
		memmove(out, out + strlen(out) - 400, 401);
	return out;
}

/* err, with the end of what the server logged since mark added. */
static int
with_log_tail(const struct journal *j, off_t mark, struct vs_error *err)
{
	char *tail = log_tail(j, mark), *msg;

	if (tail == NULL)
		return -1;
	msg = xstrdup(err->msg);
	error_set(err, err->code, _("%s; the end of the Redis log %s: %s"), msg, j->logfile, tail);
	free(msg);
	free(tail);
	return -1;
}

int
restore_redis_start(struct job *job, const struct journal *j, struct vs_error *err)
{
	const struct config *cfg = job_config(job);
	struct watch_ctx wc = { job, _("Redis loading") };
	struct redis_watch w = { watch_progress, watch_cancelled, &wc };
	struct redis_conn *c = NULL;
	off_t mark = log_mark(j);
	char out[512];
	int st;

	if (redis_up(cfg)) {
		job_log(job, VS_LOG_WARN, _("Redis was already running again before start_command "
		    "(restarted by a supervisor?)"));
	} else {
		st = tools_run_shell(out, sizeof out, cfg->redis.start_command, STOP_TIMEOUT_S);
		if (st != 0) {
			error_set(err, VS_ERR_REDIS, _("redis.start_command failed (status %d): %s"),
			    st, out[0] ? out : _("no output"));
			return with_log_tail(j, mark, err);
		}
	}
	if (redis_wait_ready(cfg, &w, &c, err) != 0)
		return err->code == VS_ERR_CANCELLED ? -1 : with_log_tail(j, mark, err);
	redis_conn_close(c);
	job_log(job, VS_LOG_INFO, _("Redis is up and has loaded its data"));
	return 0;
}

/* SCAN's MATCH is a glob: escape the prefix's special characters. */
static char *
glob_escape(const char *prefix)
{
	char *out = xmalloc(strlen(prefix) * 2 + 2), *p = out;

	for (; *prefix; prefix++) {
		if (strchr("*?[]\\", *prefix) != NULL)
			*p++ = '\\';
		*p++ = *prefix;
	}
	*p++ = '*';
	*p = '\0';
	return out;
}

/* Of the keys one SCAN page returned, how many carry a TTL (PTTL >= 0; a
 * key gone meanwhile, -2, had one too). */
static int
count_volatile(struct redis_conn *c, const redisReply *keys, uint64_t *vol,
    struct vs_error *err)
{
	for (size_t k = 0; k < keys->elements; k++)
		if (redis_conn_append(c, err, "PTTL %b", keys->element[k]->str,
		    (size_t)keys->element[k]->len) != 0)
			return -1;
	for (size_t k = 0; k < keys->elements; k++) {
		redisReply *r = redis_conn_reply(c, "PTTL", err);

		if (r == NULL)
			return -1;
		if (r->type == REDIS_REPLY_ERROR) {
			redis_conn_reply_error(c, "PTTL", r, err);
			freeReplyObject(r);
			return -1;
		}
		if (r->type == REDIS_REPLY_INTEGER && r->integer != -1)
			(*vol)++;
		freeReplyObject(r);
	}
	return 0;
}

int
restore_redis_count(struct job *job, const bool *with_ttl, struct restore_counts *out,
    struct vs_error *err)
{
	const struct config *cfg = job_config(job);
	struct redis_conn *c = NULL;
	struct redis_info *info = NULL;
	redisReply *r;
	int rc = -1;

	if (redis_conn_open(cfg, &c, err) != 0)
		return -1;
	for (size_t i = 0; i < cfg->redis.nprefixes; i++) {
		char *pattern = glob_escape(cfg->redis.prefixes[i]);
		char cursor[32] = "0";

		out->keys[i] = 0;
		out->volatile_keys[i] = 0;
		do {
			r = redis_conn_command(c, err, "SCAN %s MATCH %s COUNT 1000", cursor, pattern);
			if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
				if (r != NULL) {
					error_set(err, VS_ERR_REDIS, _("unexpected answer to SCAN"));
					freeReplyObject(r);
				}
				free(pattern);
				goto out;
			}
			snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
			out->keys[i] += r->element[1]->elements;
			if (with_ttl[i] && count_volatile(c, r->element[1], &out->volatile_keys[i],
			    err) != 0) {
				freeReplyObject(r);
				free(pattern);
				goto out;
			}
			freeReplyObject(r);
			if (job_cancelled(job)) {
				free(pattern);
				job_cancel_error(err);
				goto out;
			}
		} while (strcmp(cursor, "0") != 0);
		free(pattern);
	}
	/* keys= counts keys that have expired but are not reclaimed yet, and
	 * so does expires=: their difference is the keys without a TTL. */
	if (redis_info_fetch(c, "keyspace", &info, err) != 0)
		goto out;
	{
		long long keys = 0, expires = 0;

		redis_info_db_keys(info, cfg->redis.db, &keys, &expires);
		out->dbsize = keys > 0 ? (uint64_t)keys : 0;
		out->db_expires = expires > 0 ? (uint64_t)expires : 0;
	}
	rc = 0;
out:
	redis_info_free(info);
	redis_conn_close(c);
	return rc;
}
