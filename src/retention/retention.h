/*
 * The retention policy: a pure function from (backups, policy, now) to a
 * keep-or-delete decision with a reason for each backup. It reads no clock,
 * no file and no global state, so it can be tested on synthetic calendars
 * and the same code decides for the local backup_dir and for S3.
 *
 * The rules, first match wins:
 *
 *  1. in_use        keep   "in use by a running job" (a backup being written,
 *                          verified, uploaded or restored right now).
 *  2. pinned        keep   "pinned".
 *  3. partial       delete "incomplete: left by an interrupted backup".
 *  4. created > now keep   "created in the future (clock skew?)": the clock
 *                          jumped backwards, or the backup came from a host
 *                          whose clock ran ahead. Never deleted while it is
 *                          in the future; afterwards it follows its schedule.
 *  5. schedule      keep while now < expiry, where expiry is counted from
 *                   created:
 *                     daily        + daily * 86400 s
 *                     weekly       + weekly * 7 * 86400 s
 *                     monthly      + monthly calendar months, same time of
 *                                    day, the day clamped to the last day of
 *                                    the target month (Jan 31 + 1 month =
 *                                    Feb 28, or Feb 29 in a leap year)
 *                     pre-restore  + pre_restore_days * 86400 s
 *                     manual       + manual_days * 86400 s, or never when
 *                                    manual_days is 0
 *                   A backup is expired from the second now == expiry on.
 *                   A value of 0 for daily, weekly, monthly or
 *                   pre_restore_days means "keep none of that type": such a
 *                   backup is expired as soon as it exists (expiry ==
 *                   created), and only the guards below can keep it.
 *                   Negative values (the loader refuses them) count as 0.
 *  6. guards, for a backup the schedule would delete:
 *       the newest verified backup is kept ("newest verified backup");
 *       when no backup has passed verification, the newest complete backup
 *       is kept instead ("newest complete backup").
 *     So cleanup can never delete every backup. The guards choose among
 *     complete, non-partial backups not created in the future (future ones
 *     are kept anyway, and a bogus future date must not take the guard away
 *     from the real newest backup); ties on created go to the greater id.
 *     Second-rate backups (pre-restore safety backups, and backups that
 *     lack a part) are guard candidates only when no other backup is.
 *     Only one guard applies: once a backup has passed verification, a
 *     newer unverified one is not protected, since a backup that failed
 *     verification must not linger under a guard; it is kept only while its
 *     own schedule keeps it.
 *  7. otherwise     delete "expired: <type> older than <period>".
 *
 * A backup neither complete nor partial (its metadata missing or
 * unreadable) follows its schedule like any other (the caller takes its
 * type from the id with backup_type_for_time when the metadata cannot say)
 * but never counts for the guards.
 *
 * Everything is O(n): one pass to find the guarded backups, one to decide.
 */
#ifndef VS_RETENTION_H
#define VS_RETENTION_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "common/btype.h"
#include "config/conf.h"

/* Why a backup is kept or deleted; retention_reason_name gives a stable
 * name for JSON output and metrics. */
enum retention_reason {
	RETENTION_KEEP_SCHEDULE,        /* within its type's retention */
	RETENTION_KEEP_MANUAL,          /* manual, manual_days 0: until deleted */
	RETENTION_KEEP_NEWEST_VERIFIED, /* expired, but the newest verified */
	RETENTION_KEEP_NEWEST_COMPLETE, /* expired, none verified, the newest */
	RETENTION_KEEP_PINNED,
	RETENTION_KEEP_IN_USE,
	RETENTION_KEEP_FUTURE,          /* created after now */
	RETENTION_DELETE_EXPIRED,
	RETENTION_DELETE_INCOMPLETE,    /* a stale partial backup */
	RETENTION_REASON__COUNT
};

/* One backup as retention sees it. */
struct retention_item {
	const char *id;         /* backup id; breaks ties on created; may be NULL */
	enum backup_type type;  /* fixed when the backup was made */
	time_t created;         /* created_at (UTC seconds) */
	bool complete;          /* finished, metadata readable */
	bool partial;           /* unfinished: local "{id}.partial", or an S3
	                           prefix without metadata.json */
	bool pinned;            /* the operator asked to keep it */
	bool in_use;            /* a running job holds it */
	bool verified_ok;       /* its last verification passed */
	bool second_rate;       /* a safety backup or one lacking a part: no
	                           answer to "the newest backup" (rule 6) */
};

struct retention_decision {
	bool keep;
	enum retention_reason reason;
	/* When the schedule lets the backup go: created + period, in the past
	 * for an expired one; for one in the future, its schedule expiry. 0
	 * when no time applies: manual with manual_days 0, pinned, in use,
	 * partial, and the guarded newest backups (they go when a newer one
	 * takes the guard, not at a time). */
	time_t expires;
};

/* A buffer large enough for any retention_describe text in any language. */
#define RETENTION_DESCRIBE_SIZE 256

/* Decide for items[0..n-1] (any order) under policy at now; out[i] is the
 * decision for items[i]. n may be 0. Reads nothing else and cannot fail. */
void retention_evaluate(const struct retention_item *items, size_t n,
    const struct config_retention *policy, time_t now,
    struct retention_decision *out);

/* When a backup of type made at created expires under policy by its
 * schedule alone (rule 5 above); 0 for never. */
time_t retention_expiry(enum backup_type type, time_t created,
    const struct config_retention *policy);

/* created plus months calendar months (UTC), same time of day, the day
 * clamped to the last day of the target month. */
time_t retention_add_months(time_t created, int months);

/* The decision d for item, as translated text for people: "daily, kept 7
 * days, 2 days left", "manual, kept until deleted", "expired: weekly older
 * than 4 weeks", "newest verified backup", "pinned", "in use by a running
 * job", "incomplete: left by an interrupted backup", "created in the future
 * (clock skew?)". Always NUL-terminates buf (truncating when bufsz is too
 * small; RETENTION_DESCRIBE_SIZE is enough). */
void retention_describe(const struct retention_item *item,
    const struct retention_decision *d,
    const struct config_retention *policy, time_t now, char *buf,
    size_t bufsz);

/* The time left until expires, rounded to the nearest unit a person reads
 * (days from one day on, then hours, then minutes): "2 days left", as
 * retention_describe says it; every screen says it so. */
void retention_left(time_t expires, time_t now, char *buf, size_t bufsz);

/* "within-retention", "manual", "newest-verified", "newest-complete",
 * "pinned", "in-use", "future", "expired", "incomplete" (never translated). */
const char *retention_reason_name(enum retention_reason reason);

/* The policy in one line, e.g. "daily 7 days, weekly 4 weeks, monthly 6
 * months, pre-restore 7 days, manual until deleted" (translated). */
void retention_policy_describe(const struct config_retention *policy, char *buf, size_t bufsz);

#endif
