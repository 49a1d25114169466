#include "config.h"

#include "common/i18n.h"
#include "engine/lock.h"
#include "jobs/jobs.h"

int
jobs_lock(struct job *job, const char *operation, struct bdlock **lock, struct vs_error *err)
{
	struct bdlock_holder prev;
	char when[ISO8601_SIZE];
	bool stale;

	if (bdlock_acquire(job_config(job)->backup_dir, operation, lock, &prev, &stale, err) != 0)
		return -1;
	if (stale) {
		time_format_iso(prev.started, when);
		job_log(job, VS_LOG_WARN,
		    _("took over the backup_dir lock left by %s (pid %ld on %s, since %s), "
		      "which is no longer running"), prev.operation, (long)prev.pid, prev.host, when);
	}
	return 0;
}
