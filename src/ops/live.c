#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/i18n.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "engine/engine.h"
#include "faiss/faiss-header.h"
#include "ops/live.h"
#include "redis/redis-cluster.h"
#include "redis/redis-conn.h"
#include "redis/redis-count.h"
#include "redis/redis-info.h"

const char *
live_index_name(enum live_index_id i)
{
	return i == LIVE_CONTENT ? _("content") : _("user");
}

const char *
live_index_path(const struct config *cfg, enum live_index_id i)
{
	return i == LIVE_CONTENT ? cfg->faiss.content_index : cfg->faiss.user_index;
}

void
live_index_probe(const char *path, struct live_index *out)
{
	struct faiss_header h;
	struct vs_error err;
	struct stat sb;
	int fd;

	memset(out, 0, sizeof *out);
	out->path = path;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		out->present = errno != ENOENT;
		if (errno == ENOENT)
			snprintf(out->error, sizeof out->error, _("%s does not exist"), path);
		else if (errno == ELOOP)
			snprintf(out->error, sizeof out->error, _("%s is a symbolic link: it is not "
			    "followed"), path);
		else
			snprintf(out->error, sizeof out->error, _("cannot open %s: %s"), path,
			    strerror(errno));
		return;
	}
	out->present = true;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		snprintf(out->error, sizeof out->error, _("%s is not a regular file"), path);
		close(fd);
		return;
	}
	out->size = (uint64_t)sb.st_size;
	out->mtime = sb.st_mtime;
	error_clear(&err);
	if (faiss_header_read(fd, path, &h, &err) == 0) {
		out->readable = true;
		out->ntotal = h.ntotal;
		out->dim = h.dim;
	} else {
		snprintf(out->error, sizeof out->error, "%s", err.msg);
	}
	close(fd);
}

static bool
live_stop(void *ud)
{
	return ud != NULL && job_cancelled(ud);
}

static void
live_redis_read(const struct config *cfg, struct job *job, bool count_keys, uint64_t max_keys,
    struct live_redis *r)
{
	struct redis_conn *c = NULL;
	struct redis_info *info = NULL;
	struct redis_persistence p;
	struct vs_error err;

	r->ncounts = cfg->redis.nprefixes;
	r->prefixes = (const char *const *)cfg->redis.prefixes;
	r->counts = xcalloc(r->ncounts + 1, sizeof *r->counts);
	error_clear(&err);
	if (redis_conn_open(cfg, &c, &err) != 0)
		goto fail;
	if (redis_info_fetch(c, "server", &info, &err) != 0)
		goto fail;
	snprintf(r->version, sizeof r->version, "%s", redis_info_version(info));
	r->ok = true;
	if (redis_info_fetch_persistence(c, &p, &err) != 0)
		goto fail;
	r->loading = p.loading;
	r->bgsave_in_progress = p.bgsave_in_progress;
	snprintf(r->last_bgsave, sizeof r->last_bgsave, "%s", p.last_bgsave_status);
	r->last_save = (time_t)p.last_save_time;
	if (r->loading)
		goto out;
	switch (redis_count_prefixes(c, (const char *const *)cfg->redis.prefixes,
	    count_keys ? cfg->redis.nprefixes : 0, count_keys ? r->counts : NULL, &r->dbsize,
	    max_keys, live_stop, job, &err)) {
	case 0:
		r->dbsize_ok = true;
		r->counts_ok = count_keys;
		break;
	case 1:
		r->dbsize_ok = true;
		break;
	default:
		goto fail;
	}
	goto out;
fail:
	snprintf(r->error, sizeof r->error, "%s", err.msg);
out:
	redis_info_free(info);
	redis_conn_close(c);
}

/* A Redis Cluster: every master read, keys summed; the first master that
 * cannot be read names the error. */
static void
live_cluster_read(const struct config *cfg, struct job *job, bool count_keys, uint64_t max_keys,
    struct live_redis *r)
{
	struct redis_cluster cl;
	struct vs_error err;

	r->ncounts = cfg->redis.nprefixes;
	r->prefixes = (const char *const *)cfg->redis.prefixes;
	r->counts = xcalloc(r->ncounts + 1, sizeof *r->counts);
	error_clear(&err);
	if (redis_cluster_discover(cfg, &cl, &err) != 0) {
		snprintf(r->error, sizeof r->error, "%s", err.msg);
		return;
	}
	r->masters = cl.n;
	r->ok = r->dbsize_ok = true;
	r->counts_ok = count_keys;
	snprintf(r->last_bgsave, sizeof r->last_bgsave, "ok");
	for (size_t i = 0; i < cl.n; i++) {
		struct live_redis one;

		memset(&one, 0, sizeof one);
		live_redis_read(cl.masters[i].cfg, job, count_keys, max_keys, &one);
		if (!one.ok || one.error[0] != '\0') {
			r->ok = r->ok && one.ok;
			if (r->error[0] == '\0')
				snprintf(r->error, sizeof r->error, "%s: %s", cl.masters[i].addr,
				    one.error);
		}
		if (i == 0)
			snprintf(r->version, sizeof r->version, "%s", one.version);
		r->loading = r->loading || one.loading;
		r->bgsave_in_progress = r->bgsave_in_progress || one.bgsave_in_progress;
		if (strcmp(one.last_bgsave, "ok") != 0)
			snprintf(r->last_bgsave, sizeof r->last_bgsave, "%s", one.last_bgsave);
		if (i == 0 || one.last_save < r->last_save)
			r->last_save = one.last_save;
		r->dbsize_ok = r->dbsize_ok && one.dbsize_ok;
		r->counts_ok = r->counts_ok && one.counts_ok;
		r->dbsize += one.dbsize;
		for (size_t k = 0; k < r->ncounts; k++)
			r->counts[k] += one.counts[k];
		free(one.counts);
	}
	redis_cluster_clear(&cl);
}

void
live_read(const struct config *cfg, struct job *job, bool count_keys, uint64_t max_keys,
    struct live_state *out)
{
	memset(out, 0, sizeof *out);
	out->at = time_now();
	if (redis_cluster_mode(cfg))
		live_cluster_read(cfg, job, count_keys, max_keys, &out->redis);
	else
		live_redis_read(cfg, job, count_keys, max_keys, &out->redis);
	for (int i = 0; i < LIVE_NINDEX; i++)
		live_index_probe(live_index_path(cfg, (enum live_index_id)i), &out->index[i]);
}

void
live_clear(struct live_state *s)
{
	if (s == NULL)
		return;
	free(s->redis.counts);
	memset(s, 0, sizeof *s);
}
