/*
 * A cluster backup back into the same cluster: when every master the
 * backup recorded is a master now, with the same node id and slots, each
 * gets its own RDB file back as a standalone server would, one after the
 * other: stopped (redis.stop_command or SHUTDOWN NOSAVE), its shard's file
 * placed where it loads it (AOF handled as for one server), started again
 * with redis.start_command ({host} and {port} its own) and waited for
 * until it has loaded. Its node id and slots live in its cluster config
 * file, which is left alone, so it rejoins the cluster as it was.
 *
 * Running it again redoes every node: a restore resumed after an
 * interruption reaches the same state.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "jobs/restore.h"
#include "redis/redis-cluster.h"
#include "redis/redis-conn.h"

/* The shard of m recorded for master rm, when it is the same: same id
 * and slots. */
static const struct manifest_shard *
same_shard(const struct manifest *m, const struct redis_master *rm)
{
	for (size_t i = 0; i < m->redis.nshards; i++) {
		const struct manifest_shard *sh = &m->redis.shards[i];

		if (strcmp(sh->node_id, rm->id) == 0)
			return redis_slots_equal(sh->slots, sh->nslots, rm->slots, rm->nslots) ?
			    sh : NULL;
	}
	return NULL;
}

int
restore_nodes_same(const struct config *cfg, const struct manifest *m, struct vs_error *err)
{
	struct redis_cluster cl;
	int same = 1;

	if (!redis_cluster_mode(cfg) || !manifest_is_cluster(m) ||
	    cfg->redis.start_command[0] == '\0')
		return 0;
	if (redis_cluster_discover(cfg, &cl, err) != 0)
		return -1;
	if (cl.n != m->redis.nshards)
		same = 0;
	for (size_t i = 0; i < cl.n && same; i++)
		if (same_shard(m, &cl.masters[i]) == NULL)
			same = 0;
	redis_cluster_clear(&cl);
	return same;
}

/*
 * After a master's restart the others may call the cluster failed for a
 * moment: wait (redis.start_timeout) until it is whole again, so that the
 * next master is stopped only then and the counts can be taken.
 */
static int
wait_whole(struct job *job, const struct config *cfg, const char *addr, struct vs_error *err)
{
	int64_t until = redis_now_ms() + (int64_t)cfg->redis.start_timeout * 1000;
	struct redis_cluster cl;
	struct vs_error e;

	job_progress(job, _("waiting for the cluster to be whole again"), 0, 0, false);
	for (;;) {
		error_clear(&e);
		if (redis_cluster_discover(cfg, &cl, &e) == 0) {
			int r = redis_cluster_all_ok(&cl, &e);

			redis_cluster_clear(&cl);
			if (r == 0)
				return 0;
		}
		if (job_cancelled(job))
			return job_cancel_error(err);
		if (redis_now_ms() > until)
			return error_set(err, VS_ERR_REDIS, _("the master %s runs again, but the cluster "
			    "is not whole %d s later (redis.start_timeout): %s"), addr,
			    cfg->redis.start_timeout, e.msg);
		redis_sleep_ms(200);
	}
}

/* One master: stop, place its shard's file, start, wait. */
static int
place_node(struct job *job, struct storage *st, const struct manifest *m,
    const struct manifest_shard *sh, const struct redis_master *rm, struct journal *j,
    struct vs_error *err)
{
	struct manifest nm = *m;
	struct journal jn;
	int r = -1;

	/* The shard's file seen as the one RDB of a standalone backup. */
	nm.redis.file = sh->file;
	nm.redis.dir_owner = sh->dir_owner;
	nm.redis.shards = NULL;
	nm.redis.nshards = 0;
	memset(&jn, 0, sizeof jn);
	job_aim(job, rm->cfg);
	job_log(job, VS_LOG_INFO, _("restoring the master %s (node %.8s, %s)"), rm->addr, rm->id,
	    sh->file.name);
	if (restore_redis_learn(job, &jn, err) != 0) {
		error_set(err, VS_ERR_REDIS, _("the master %s does not answer, so where it keeps its "
		    "RDB file is unknown; start it and run the restore again"), rm->addr);
		goto out;
	}
	if (jn.data_dir == NULL || jn.dbfilename == NULL || jn.data_dir[0] == '\0' ||
	    jn.dbfilename[0] == '\0') {
		error_set(err, VS_ERR_REDIS, _("the master %s did not say where it keeps its RDB "
		    "file (CONFIG GET dir, dbfilename): set redis.data_dir with {port}"), rm->addr);
		goto out;
	}
	if (restore_redis_stop(job, err) != 0 || restore_redis_place(job, st, &nm, &jn, NULL,
	    err) != 0 || restore_redis_start(job, &jn, err) != 0) {
		error_prefix(err, _("the master %s"), rm->addr);
		goto out;
	}
	for (size_t i = 0; i < jn.nasides; i++)
		journal_add_aside(j, jn.asides[i]);
	job_aim(job, NULL);
	r = wait_whole(job, job_config(job), rm->addr, err);
out:
	job_aim(job, NULL);
	journal_clear(&jn);
	return r;
}

int
restore_nodes_place(struct job *job, struct storage *st, const struct manifest *m,
    struct journal *j, struct vs_error *err)
{
	const struct config *cfg = job_config(job);
	struct redis_cluster cl;
	int r = 0;

	if (redis_cluster_discover(cfg, &cl, err) != 0)
		return -1;
	job_log(job, VS_LOG_INFO, _("the cluster has the backup's layout: each of its %zu masters "
	    "gets its own RDB file back, one after the other"), cl.n);
	for (size_t i = 0; i < cl.n && r == 0; i++) {
		const struct manifest_shard *sh = same_shard(m, &cl.masters[i]);

		job_progress(job, _("restoring the cluster's masters"), i, cl.n, false);
		if (sh == NULL)
			r = error_set(err, VS_ERR_REDIS, _("the master %s no longer has the backup's "
			    "slots: run the restore again"), cl.masters[i].addr);
		else
			r = place_node(job, st, m, sh, &cl.masters[i], j, err);
	}
	redis_cluster_clear(&cl);
	return r;
}

int
restore_nodes_revive(struct job *job, const struct manifest *m, struct vs_error *err)
{
	const struct config *cfg = job_config(job);
	bool started = false;
	int r = 0;

	if (!redis_cluster_mode(cfg) || !manifest_is_cluster(m) ||
	    cfg->redis.start_command[0] == '\0')
		return 0;
	for (size_t i = 0; i < m->redis.nshards && r == 0; i++) {
		const struct manifest_shard *sh = &m->redis.shards[i];
		struct journal jn;
		struct config *ncfg;
		char host[256];
		int port;

		if (config_addr_parse(sh->addr, host, sizeof host, &port) != 0)
			continue;
		ncfg = redis_config_aim(cfg, host, port);
		if (!restore_redis_answers(ncfg)) {
			job_log(job, VS_LOG_WARN, _("the master %s, which the interrupted restore had "
			    "stopped, is started again"), sh->addr);
			memset(&jn, 0, sizeof jn);
			job_aim(job, ncfg);
			r = restore_redis_start(job, &jn, err);
			job_aim(job, NULL);
			started = true;
			journal_clear(&jn);
		}
		config_free(ncfg);
	}
	return r == 0 && started ? wait_whole(job, cfg, _("that was started"), err) : r;
}
