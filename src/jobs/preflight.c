#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/format.h"
#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "engine/lock.h"
#include "jobs/preflight.h"
#include "jobs/restore.h"
#include "redis/redis-acl.h"
#include "redis/redis-cluster.h"

static struct preflight_check *
check_add(struct preflight *p, const char *what)
{
	struct preflight_check *c = &p->checks[p->n++];

	snprintf(c->what, sizeof c->what, "%s", what);
	c->ok = true;
	c->detail[0] = '\0';
	return c;
}

static uint64_t
file_size(const char *path)
{
	struct stat sb;

	return path != NULL && stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

/* Is there room for need bytes in dir (or its nearest existing parent),
 * with a margin for estimates that run short? */
static void
check_space(struct preflight_check *c, const char *dir, uint64_t need)
{
	struct vs_error err;
	char *d = fs_existing_dir(dir);
	char hneed[32], hfree[32];
	uint64_t avail;

	error_clear(&err);
	if (fs_free_bytes(d, &avail, &err) != 0) {
		c->ok = false;
		snprintf(c->detail, sizeof c->detail, "%s", err.msg);
		free(d);
		return;
	}
	/* A margin in proportion (estimates may run short) and 1 MiB for the
	 * metadata, the journal and the file system's own blocks. */
	need += need / 20 + (1u << 20);
	format_bytes(need, hneed, sizeof hneed);
	format_bytes(avail, hfree, sizeof hfree);
	c->ok = avail >= need;
	c->nospace = !c->ok;
	if (c->ok)
		snprintf(c->detail, sizeof c->detail, _("%s free in %s, about %s needed"), hfree, d,
		    hneed);
	else
		snprintf(c->detail, sizeof c->detail,
		    _("only %s free in %s, about %s needed: free some space (cleanup, or delete "
		      "old backups) and try again"), hfree, d, hneed);
	free(d);
}

/* Shell words that are not programs: a command starting with one cannot
 * be checked without running it. */
static const char *const shell_words[] = {
	"exec", "command", "eval", "cd", "echo", "printf", "test", "[", ":", "true", "false",
	"kill", "if", "for", "while", "case", "set", "export", ".", "sleep", NULL,
};

/* The program a command line starts, when it can be told without a shell:
 * the first word, unless it holds shell syntax or is a shell word. */
static bool
command_program(const char *cmd, char *prog, size_t n)
{
	size_t len;

	cmd += strspn(cmd, " \t");
	len = strcspn(cmd, " \t\n");
	if (len == 0 || len >= n)
		return false;
	memcpy(prog, cmd, len);
	prog[len] = '\0';
	if (strpbrk(prog, "$`'\"\\;|&<>(){}*?[]=~!#") != NULL)
		return false;
	for (size_t i = 0; shell_words[i] != NULL; i++)
		if (strcmp(prog, shell_words[i]) == 0)
			return false;
	return true;
}

/* Is prog an executable file, or one in PATH? */
static bool
program_found(const char *prog)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL;
	bool found = false;

	if (strchr(prog, '/') != NULL)
		return access(prog, X_OK) == 0;
	copy = xstrdup(path != NULL && path[0] != '\0' ? path : "/usr/bin:/bin");
	for (dir = strtok_r(copy, ":", &save); dir != NULL && !found;
	    dir = strtok_r(NULL, ":", &save)) {
		char *f = fs_join(dir[0] ? dir : ".", prog);

		found = access(f, X_OK) == 0;
		free(f);
	}
	free(copy);
	return found;
}

/* A configured command whose program cannot be found fails c. */
static void
check_command(struct preflight_check *c, const char *key, const char *cmd)
{
	char prog[256];

	snprintf(c->detail, sizeof c->detail, "%s", cmd);
	if (command_program(cmd, prog, sizeof prog) && !program_found(prog)) {
		c->ok = false;
		snprintf(c->detail, sizeof c->detail, _("%s runs %s, which is not an executable "
		    "file and not in PATH; fix %s before restoring"), key, prog, key);
	}
}

/*
 * Can this user make, rename and remove a file in dir (and a directory,
 * when dirs), or, when dir is missing, make it in its nearest existing
 * parent? And give each file in replaced[] that exists a replacement with
 * the same owner? Proven by doing it with names of its own, so that the
 * restore (and a rollback) cannot fail half-way for want of a right.
 */
static void
check_writable(struct preflight_check *c, const char *dir, const char *const *replaced,
    size_t nreplaced, bool dirs)
{
	char *d = fs_existing_dir(dir), *tmp = NULL, *tmp2 = NULL;
	int fd, errnum = 0;

	snprintf(c->detail, sizeof c->detail, _("files can be created and renamed in %s"), d);
	tmp = xasprintf("%s/.vsbackup-probe-XXXXXX", d);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		errnum = errno;
		goto fail;
	}
	close(fd);
	tmp2 = xasprintf("%s.r", tmp);
	if (rename(tmp, tmp2) != 0) {
		errnum = errno;
		unlink(tmp);
		goto fail;
	}
	if (unlink(tmp2) != 0) {
		errnum = errno;
		goto fail;
	}
	if (dirs) {
		free(tmp);
		tmp = xasprintf("%s/.vsbackup-probe-XXXXXX", d);
		if (mkdtemp(tmp) == NULL) {
			errnum = errno;
			goto fail;
		}
		free(tmp2);
		tmp2 = xasprintf("%s.r", tmp);
		if (rename(tmp, tmp2) != 0 || rmdir(tmp2) != 0) {
			errnum = errno;
			rmdir(tmp);
			goto fail;
		}
	}
	for (size_t i = 0; i < nreplaced; i++) {
		struct stat sb;

		if (replaced[i] == NULL || lstat(replaced[i], &sb) != 0 || geteuid() == 0 ||
		    sb.st_uid == geteuid())
			continue;
		c->ok = false;
		snprintf(c->detail, sizeof c->detail, _("%s belongs to user id %ld, and vsbackup runs "
		    "as user id %ld: what the restore puts in its place could not get the same "
		    "owner; nothing was changed: run the restore as root"), replaced[i],
		    (long)sb.st_uid, (long)geteuid());
		break;
	}
	goto out;
fail:
	c->ok = false;
	snprintf(c->detail, sizeof c->detail, _("cannot create and rename files in %s (%s); "
	    "nothing was changed: run the restore as a user who may write there (root, or the "
	    "directory's owner)"), d, strerror(errnum));
out:
	free(tmp);
	free(tmp2);
	free(d);
}

/* Commands only the safety backup runs: not needed without one. SHUTDOWN
 * has a check of its own. */
static const char *const acl_safety_only[] = { "BGSAVE", "CLIENT PAUSE", "CLIENT UNPAUSE" };

static bool
acl_skipped(const char *command, bool safety)
{
	if (strcmp(command, "SHUTDOWN") == 0)
		return true;
	for (size_t i = 0; !safety && i < sizeof acl_safety_only / sizeof *acl_safety_only; i++)
		if (strcmp(command, acl_safety_only[i]) == 0)
			return true;
	return false;
}

/*
 * May the Redis user run everything the restore runs once the server is
 * back (PING, SCAN, PTTL on the keys of each prefix, DBSIZE, ...)? Found
 * out only after the snapshot is in place, a missing right would leave a
 * restore that cannot check itself: proven here, while nothing changed.
 */
static void
check_acl(struct preflight_check *c, const struct config *cfg, bool safety)
{
	struct redis_acl_report r;
	struct vs_error e;
	char rules[512] = "";
	size_t len = 0;

	error_clear(&e);
	if (redis_acl_check(cfg, &r, &e) != 0) {
		c->ok = false;
		snprintf(c->detail, sizeof c->detail, "%s", e.msg);
		return;
	}
	for (size_t i = 0; i < r.n; i++) {
		const struct redis_acl_rule_result *x = &r.rules[i];

		if (!redis_acl_needed(&r, i, REDIS_ACL_RESTORE) || acl_skipped(x->command, safety) ||
		    (x->state != REDIS_ACL_DENIED && x->state != REDIS_ACL_MISSING))
			continue;
		if (len < sizeof rules)
			len += (size_t)snprintf(rules + len, sizeof rules - len, "%s%s",
			    len ? " " : "", x->rule);
	}
	c->ok = rules[0] == '\0';
	if (c->ok)
		snprintf(c->detail, sizeof c->detail, _("the Redis user %s may run every command "
		    "the restore runs"), r.user);
	else
		snprintf(c->detail, sizeof c->detail, _("the Redis user %s at %s lacks %s, which "
		    "the restore needs to check the restored data; nothing was changed: allow it "
		    "with ACL SETUSER %s %s (in the server's ACL file or redis.conf too, so that the "
		    "restarted server keeps it), or log in as a user who may (redis.username)"),
		    r.user, r.where, rules, r.user, rules);
	redis_acl_report_clear(&r);
}

int
restore_preflight(struct job *job, const struct preflight_input *in, struct journal *j,
    struct preflight *p, struct vs_error *err)
{
	const struct config *cfg = job_config(job);
	const struct manifest *m = in->m;
	struct preflight_check *c;
	struct vs_error e;
	char *rdb_live, *d, *ud;
	bool redis_ok = false;
	int r;

	memset(p, 0, sizeof *p);
	if (redis_cluster_mode(cfg)) {
		/* Its masters keep running and take the keys by RESTORE. */
		job_progress(job, _("asking the cluster for its masters"), 1, 5, false);
		c = check_add(p, _("Redis Cluster"));
		c->ok = restore_route_check(cfg, c->detail, sizeof c->detail) == 0;
		if (c->ok) {
			c = check_add(p, _("Redis commands"));
			check_acl(c, cfg, in->safety);
		}
		goto files;
	}
	c = check_add(p, _("start command configured"));
	c->ok = cfg->redis.start_command[0] != '\0';
	if (c->ok)
		check_command(c, "redis.start_command", cfg->redis.start_command);
	else
		snprintf(c->detail, sizeof c->detail,
		    _("redis.start_command is not set in %s: vsbackup could not start Redis again "
		      "after placing the snapshot; set it (e.g. \"systemctl start redis-server\"), "
		      "or restore the files only with --target-dir DIR"), cfg->path);

	job_progress(job, _("asking Redis"), 1, 5, false);
	c = check_add(p, _("Redis or its data directory"));
	error_clear(&e);
	/* Asked even when a resumed restore had stopped it: a supervisor may
	 * have started it again. */
	r = restore_redis_learn(job, j, &e);
	if (r == 0 || r == 1) {
		if (restore_redis_guess(cfg, m, r == 0, j, &e) != 0) {
			c->ok = false;
			snprintf(c->detail, sizeof c->detail, "%s", e.msg);
		} else if (r == 0 && in->redis_stopped) {
			snprintf(c->detail, sizeof c->detail, _("Redis answers again (it was started "
			    "since the restore stopped it) and will be stopped again; its data is in "
			    "%s/%s%s"), j->data_dir, j->dbfilename, j->aof ? _(" (AOF on)") : "");
		} else if (r == 0) {
			snprintf(c->detail, sizeof c->detail, _("Redis answers; its data is in %s/%s%s"),
			    j->data_dir, j->dbfilename, j->aof ? _(" (AOF on)") : "");
		} else {
			snprintf(c->detail, sizeof c->detail, _("Redis is down; it will be started "
			    "after the snapshot is placed in %s/%s"), j->data_dir, j->dbfilename);
		}
	} else {
		c->ok = false;
		snprintf(c->detail, sizeof c->detail, "%s", e.msg);
	}
	redis_ok = c->ok;
	if (job_cancelled(job))
		return job_cancel_error(err);

	if (cfg->redis.stop_command[0] != '\0') {
		c = check_add(p, _("stop command"));
		check_command(c, "redis.stop_command", cfg->redis.stop_command);
	} else if (r == 0) {
		char why[256];

		c = check_add(p, _("permission to stop Redis"));
		snprintf(c->detail, sizeof c->detail, _("SHUTDOWN is allowed"));
		if (restore_redis_can_stop(cfg, why, sizeof why) == 0) {
			c->ok = false;
			snprintf(c->detail, sizeof c->detail, _("the Redis user vsbackup logs in as may "
			    "not stop the server with SHUTDOWN (%s), and redis.stop_command is not set; "
			    "nothing was changed: set redis.stop_command (e.g. \"systemctl stop "
			    "redis-server\") or allow SHUTDOWN to that user (ACL SETUSER ... "
			    "+shutdown)"), why);
		}
	}

	if (r == 0) {
		c = check_add(p, _("Redis commands"));
		check_acl(c, cfg, in->safety);
	}

files:
	/* Room, and the right to create and rename files, in every directory
	 * the restore writes to: proven before anything changes. */
	job_progress(job, _("checking free space and write access"), 2, 5, false);
	if (redis_ok) {
		char *rdb = fs_join(j->data_dir, j->dbfilename);
		char *aof = j->aof ? fs_join(j->data_dir, j->aof_dir && j->aof_dir[0] ?
		    j->aof_dir : (j->aof_file ? j->aof_file : "appendonly.aof")) : NULL;
		const char *replaced[] = { rdb, aof };

		c = check_add(p, _("space for the Redis snapshot"));
		check_writable(c, j->data_dir, replaced, 2, j->aof);
		if (c->ok)
			check_space(c, j->data_dir, m->redis.file.size * (j->aof ? 2 : 1));
		free(aof);
		free(rdb);
	}
	d = fs_dirname(cfg->faiss.content_index);
	ud = fs_dirname(cfg->faiss.user_index);
	if (strcmp(d, ud) == 0) {
		const char *both[] = { cfg->faiss.content_index, cfg->faiss.user_index };

		c = check_add(p, _("space beside the index files"));
		check_writable(c, d, both, 2, false);
		if (c->ok)
			check_space(c, d, m->content.file.size + m->user.file.size);
	} else {
		const char *ci[] = { cfg->faiss.content_index }, *ui[] = { cfg->faiss.user_index };

		c = check_add(p, _("space beside the content index"));
		check_writable(c, d, ci, 1, false);
		if (c->ok)
			check_space(c, d, m->content.file.size);
		if (c->ok) {
			c = check_add(p, _("space beside the user index"));
			check_writable(c, ud, ui, 1, false);
			if (c->ok)
				check_space(c, ud, m->user.file.size);
		}
	}
	free(d);
	free(ud);
	rdb_live = j->data_dir != NULL && j->dbfilename != NULL ?
	    fs_join(j->data_dir, j->dbfilename) : NULL;
	p->live_bytes = file_size(rdb_live) + file_size(cfg->faiss.content_index) +
	    file_size(cfg->faiss.user_index);
	free(rdb_live);
	if (in->safety || in->download) {
		c = check_add(p, in->safety && in->download ?
		    _("space in backup_dir for the safety backup and the download") :
		    in->safety ? _("space in backup_dir for the safety backup") :
		    _("space in backup_dir for the download"));
		check_writable(c, cfg->backup_dir, NULL, 0, false);
		if (c->ok)
			check_space(c, cfg->backup_dir, (in->safety ? p->live_bytes : 0) +
			    (in->download ? manifest_total_size(m) : 0));
	} else {
		/* The journal goes there. */
		c = check_add(p, _("write access to backup_dir"));
		check_writable(c, cfg->backup_dir, NULL, 0, false);
	}

	if (in->check_lock) {
		struct bdlock_holder holder;
		int held;

		job_progress(job, _("checking the backup_dir lock"), 4, 5, false);
		c = check_add(p, _("backup_dir lock free"));
		error_clear(&e);
		held = bdlock_probe(cfg->backup_dir, &holder, &e);
		c->ok = held == 0;
		if (held == 0)
			snprintf(c->detail, sizeof c->detail, _("no other operation holds %s/%s"),
			    cfg->backup_dir, LOCK_FILE_NAME);
		else if (held > 0)
			snprintf(c->detail, sizeof c->detail,
			    _("held by %s (pid %ld on %s): wait until it ends, or stop it"),
			    holder.operation, (long)holder.pid, holder.host);
		else
			snprintf(c->detail, sizeof c->detail, "%s", e.msg);
	}
	p->ok = true;
	for (int i = 0; i < p->n; i++)
		p->ok = p->ok && p->checks[i].ok;
	job_progress(job, _("checks done"), 5, 5, false);
	return 0;
}

int
preflight_error(const struct preflight *p, struct vs_error *err)
{
	for (int i = 0; i < p->n; i++) {
		const struct preflight_check *c = &p->checks[i];

		if (!c->ok)
			return error_set(err, c->nospace ? VS_ERR_NOSPACE : VS_ERR_REFUSED,
			    "%s: %s", c->what, c->detail);
	}
	return 0;
}
