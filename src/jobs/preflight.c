#include "config.h"

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
	need += need / 20 + (16u << 20);
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

int
restore_preflight(struct job *job, const struct preflight_input *in, struct journal *j,
    struct preflight *p, struct vs_error *err)
{
	const struct config *cfg = job_config(job);
	const struct manifest *m = in->m;
	struct preflight_check *c;
	struct vs_error e;
	char *rdb_live, *d, *ud;
	int r;

	memset(p, 0, sizeof *p);
	c = check_add(p, _("start command configured"));
	c->ok = cfg->redis.start_command[0] != '\0';
	if (c->ok)
		snprintf(c->detail, sizeof c->detail, "%s", cfg->redis.start_command);
	else
		snprintf(c->detail, sizeof c->detail,
		    _("redis.start_command is not set in %s: vsbackup could not start Redis again "
		      "after placing the snapshot; set it (e.g. \"systemctl start redis-server\"), "
		      "or restore the files only with --target-dir DIR"), cfg->path);

	job_progress(job, _("asking Redis"), 1, 5, false);
	c = check_add(p, _("Redis or its data directory"));
	error_clear(&e);
	r = in->redis_stopped ? 1 : restore_redis_learn(job, j, &e);
	if (r == 0 || r == 1) {
		if (restore_redis_guess(cfg, m, j, &e) != 0) {
			c->ok = false;
			snprintf(c->detail, sizeof c->detail, "%s", e.msg);
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
	if (job_cancelled(job))
		return job_cancel_error(err);

	job_progress(job, _("checking free space"), 2, 5, false);
	if (c->ok) {
		c = check_add(p, _("space for the Redis snapshot"));
		check_space(c, j->data_dir, m->redis.file.size * (j->aof ? 2 : 1));
	}
	d = fs_dirname(cfg->faiss.content_index);
	ud = fs_dirname(cfg->faiss.user_index);
	if (strcmp(d, ud) == 0) {
		c = check_add(p, _("space beside the index files"));
		check_space(c, d, m->content.file.size + m->user.file.size);
	} else {
		c = check_add(p, _("space beside the content index"));
		check_space(c, d, m->content.file.size);
		if (c->ok) {
			c = check_add(p, _("space beside the user index"));
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
		c = check_add(p, in->safety ? _("space in backup_dir for the safety backup") :
		    _("space in backup_dir for the download"));
		check_space(c, cfg->backup_dir, (in->safety ? p->live_bytes : 0) +
		    (in->download ? manifest_total_size(m) : 0));
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
