/*
 * Which server a restore goes into. Standalone: the configured one. Under
 * Sentinel: the current master, found when the restore starts; the job is
 * aimed at it (job_aim()) for its whole run, so every step (safety backup,
 * stop, place, start, counts) reaches the same server. Its replicas resync
 * from it once it runs again. The RDB file is placed on this machine and
 * Redis restarted with redis.start_command, so the master must be here.
 */
#include "config.h"

#include "common/i18n.h"
#include "jobs/restore.h"
#include "redis/redis-sentinel.h"

int
restore_run_at_target(struct job *job, void *argp, void **result, bool files_only,
    int (*run)(struct job *, void *, void **, struct vs_error *), struct vs_error *err)
{
	const struct config *cfg = job_config(job);
	struct redis_target t;
	struct vs_error serr;
	int r;

	if (!redis_sentinel_mode(cfg) || files_only)
		return run(job, argp, result, err);
	job_progress(job, _("asking the sentinels for the master"), 0, 0, false);
	if (redis_sentinel_discover(cfg, false, &t, err) != 0)
		return -1;
	if (!redis_host_is_local(t.master->redis.host)) {
		error_set(err, VS_ERR_REFUSED, _("the current master of \"%s\" is %s, which is "
		    "not this machine: a restore places the RDB file here and restarts Redis "
		    "with redis.start_command. Run the restore on %s, or move the master here "
		    "first (SENTINEL FAILOVER, replica-priority); nothing was changed"),
		    cfg->redis.master_name, t.master_addr, t.master_addr);
		redis_target_clear(&t);
		return -1;
	}
	job_log(job, VS_LOG_INFO, _("restoring into %s, the current master of \"%s\"; its "
	    "replicas will resync from it (a full sync) once it runs again"),
	    t.master_addr, cfg->redis.master_name);
	job_aim(job, t.master);
	r = run(job, argp, result, err);
	job_aim(job, NULL);
	error_clear(&serr);
	if (r == 0 && redis_sentinel_still_master(cfg, &t, &serr) != 0) {
		error_set(err, VS_ERR_REDIS, _("the restore into %s finished, but a failover of "
		    "\"%s\" happened meanwhile (%s): the new master holds the old data and "
		    "will turn %s into its replica, discarding the restored data; stop the "
		    "failover from recurring (raise down-after-milliseconds), fail back to "
		    "%s and restore again"), t.master_addr, cfg->redis.master_name,
		    serr.msg, t.master_addr, t.master_addr);
		r = -1;
	}
	redis_target_clear(&t);
	return r;
}
