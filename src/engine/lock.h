/*
 * The backup_dir lock: one operation that changes backups (backup, restore,
 * delete, cleanup) at a time, across processes. An flock on
 * {backup_dir}/.vsbackup.lock; the file holds the holder's pid, host,
 * operation and start time so the refused process can name it. The kernel
 * drops the flock when its holder dies; the next taker finds the dead
 * holder's details still in the file and logs the takeover.
 */
#ifndef VS_LOCK_H
#define VS_LOCK_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "common/error.h"

#define LOCK_FILE_NAME ".vsbackup.lock"

struct bdlock;

/* Read from the lock file: host and operation are escaped (termsafe.h),
 * safe to print. */
struct bdlock_holder {
	pid_t pid;
	char host[256];
	char operation[64];
	time_t started;
	bool alive;           /* the pid exists on this host */
};

/* Take the lock for operation, without waiting. When another process (or
 * another job of this one) holds it: VS_ERR_LOCKED naming the holder. When
 * the previous holder died, *took_over (if not NULL) receives its details.
 * VS_ERR_REFUSED, saying how to fix it, when backup_dir is not owned by
 * the effective user, is writable by group or others or sits in a
 * directory others can change, or when the lock file is a link, not a
 * regular file or not the effective user's. */
int bdlock_acquire(const char *backup_dir, const char *operation, struct bdlock **out,
    struct bdlock_holder *took_over, bool *was_stale, struct vs_error *err);

/* Release and clear the holder details. NULL is ignored. */
void bdlock_release(struct bdlock *lock);

/* Read who holds (or last held) the lock without taking it: 1 when held
 * now, 0 when free or absent (*holder then describes a stale entry if it
 * has a pid), -1 on error (also a lock file that is a link or another
 * user's). */
int bdlock_probe(const char *backup_dir, struct bdlock_holder *holder, struct vs_error *err);

#endif
