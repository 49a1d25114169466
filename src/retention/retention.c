#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/i18n.h"
#include "retention/retention.h"

#define DAY 86400LL
/* Later than any backup could live; also where a 32-bit time_t ends. */
#define RETENTION_TIME_MAX \
	((time_t)(sizeof(time_t) < 8 ? INT32_MAX : INT64_MAX))

static const char *const retention_reason_names[RETENTION_REASON__COUNT] = {
	[RETENTION_KEEP_SCHEDULE] = "within-retention",
	[RETENTION_KEEP_MANUAL] = "manual",
	[RETENTION_KEEP_NEWEST_VERIFIED] = "newest-verified",
	[RETENTION_KEEP_NEWEST_COMPLETE] = "newest-complete",
	[RETENTION_KEEP_PINNED] = "pinned",
	[RETENTION_KEEP_IN_USE] = "in-use",
	[RETENTION_KEEP_FUTURE] = "future",
	[RETENTION_DELETE_EXPIRED] = "expired",
	[RETENTION_DELETE_INCOMPLETE] = "incomplete",
};

const char *
retention_reason_name(enum retention_reason reason)
{
	if ((unsigned)reason >= RETENTION_REASON__COUNT)
		return "unknown";
	return retention_reason_names[reason];
}

/* An out-of-range type cannot be trusted to expire: treat it as manual. */
static enum backup_type
retention_type(enum backup_type type)
{
	if ((unsigned)type >= BACKUP_TYPE__COUNT)
		return BACKUP_MANUAL;
	return type;
}

/* The policy number that applies to a type; the loader refuses negative
 * values, but a hand-built policy must not make time run backwards. */
static int
retention_count(enum backup_type type, const struct config_retention *policy)
{
	int v;

	switch (retention_type(type)) {
	case BACKUP_DAILY:
		v = policy->daily;
		break;
	case BACKUP_WEEKLY:
		v = policy->weekly;
		break;
	case BACKUP_MONTHLY:
		v = policy->monthly;
		break;
	case BACKUP_PRE_RESTORE:
		v = policy->pre_restore_days;
		break;
	default:
		v = policy->manual_days;
		break;
	}
	return v < 0 ? 0 : v;
}

/* t + secs without overflowing time_t: a far-away expiry saturates. */
static time_t
retention_add_seconds(time_t t, long long secs)
{
	long long r;

	if (__builtin_add_overflow((long long)t, secs, &r) ||
	    r > (long long)RETENTION_TIME_MAX)
		return RETENTION_TIME_MAX;
	return (time_t)r;
}

static int
retention_days_in_month(long long year, int month)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : dm[month - 1];
}

time_t
retention_add_months(time_t created, int months)
{
	struct tm tm;
	long long mon, year;
	int mday;

	if (months <= 0)
		return created;
	if (gmtime_r(&created, &tm) == NULL)
		return created;
	/* Count in months since 1900 so the year carries without a loop. */
	mon = (long long)tm.tm_year * 12 + tm.tm_mon + months;
	year = mon / 12;
	if (tm.tm_year < 0 || year + 1900 > 9999)
		/* Outside any backup id's years: an upper bound is enough. */
		return retention_add_seconds(created, (long long)months * 31 * DAY);
	tm.tm_year = (int)year;
	tm.tm_mon = (int)(mon % 12);
	mday = retention_days_in_month(year + 1900, tm.tm_mon + 1);
	if (tm.tm_mday > mday)
		tm.tm_mday = mday;
	tm.tm_isdst = 0;
	return timegm(&tm);
}

/* Rule 5 of the header; *never is set for a manual backup kept until
 * deleted (kept apart from the time so created == 0 stays unambiguous). */
static time_t
retention_schedule(enum backup_type type, time_t created,
    const struct config_retention *policy, bool *never)
{
	int n = retention_count(type, policy);

	*never = false;
	switch (retention_type(type)) {
	case BACKUP_DAILY:
	case BACKUP_PRE_RESTORE:
		return retention_add_seconds(created, n * DAY);
	case BACKUP_WEEKLY:
		return retention_add_seconds(created, n * 7 * DAY);
	case BACKUP_MONTHLY:
		return retention_add_months(created, n);
	default:
		if (n == 0) {
			*never = true;
			return 0;
		}
		return retention_add_seconds(created, n * DAY);
	}
}

time_t
retention_expiry(enum backup_type type, time_t created,
    const struct config_retention *policy)
{
	bool never;
	time_t t = retention_schedule(type, created, policy, &never);

	return never ? 0 : t;
}

/* Is a newer than b? Ties on created (two backups in one second cannot
 * share an id, but a hand-made list might) go to the greater id, so the
 * answer does not depend on the order of the list. */
static bool
retention_newer(const struct retention_item *a, const struct retention_item *b)
{
	if (a->created != b->created)
		return a->created > b->created;
	if (a->id == NULL || b->id == NULL)
		return a->id != NULL;
	return strcmp(a->id, b->id) > 0;
}

void
retention_evaluate(const struct retention_item *items, size_t n,
    const struct config_retention *policy, time_t now,
    struct retention_decision *out)
{
	const struct retention_item *verified = NULL, *complete = NULL, *guard;
	enum retention_reason guard_reason;

	/* The guard candidates: see rule 6 of the header. Second-rate
	 * backups (safety backups, ones lacking a part) only when there is
	 * nothing else. */
	for (int second = 0; second < 2 && complete == NULL; second++) {
		for (size_t i = 0; i < n; i++) {
			const struct retention_item *it = &items[i];

			if (!it->complete || it->partial || it->created > now ||
			    it->second_rate != (second == 1))
				continue;
			if (complete == NULL || retention_newer(it, complete))
				complete = it;
			if (it->verified_ok &&
			    (verified == NULL || retention_newer(it, verified)))
				verified = it;
		}
	}
	if (verified != NULL) {
		guard = verified;
		guard_reason = RETENTION_KEEP_NEWEST_VERIFIED;
	} else {
		guard = complete;
		guard_reason = RETENTION_KEEP_NEWEST_COMPLETE;
	}

	for (size_t i = 0; i < n; i++) {
		const struct retention_item *it = &items[i];
		struct retention_decision *d = &out[i];
		bool never;
		time_t expiry;

		d->keep = true;
		d->expires = 0;
		if (it->in_use) {
			d->reason = RETENTION_KEEP_IN_USE;
			continue;
		}
		if (it->pinned) {
			d->reason = RETENTION_KEEP_PINNED;
			continue;
		}
		if (it->partial) {
			d->keep = false;
			d->reason = RETENTION_DELETE_INCOMPLETE;
			continue;
		}

		expiry = retention_schedule(it->type, it->created, policy,
		    &never);
		if (it->created > now) {
			d->reason = RETENTION_KEEP_FUTURE;
			d->expires = never ? 0 : expiry;
			continue;
		}
		if (never) {
			d->reason = RETENTION_KEEP_MANUAL;
			continue;
		}
		if (now < expiry) {
			d->reason = RETENTION_KEEP_SCHEDULE;
			d->expires = expiry;
			continue;
		}
		if (it == guard) {
			d->reason = guard_reason;
			continue;
		}
		d->keep = false;
		d->reason = RETENTION_DELETE_EXPIRED;
		d->expires = expiry;
	}
}

void
retention_left(time_t expires, time_t now, char *buf, size_t bufsz)
{
	long long r = (long long)expires - (long long)now;
	unsigned long v;

	if (r >= DAY) {
		v = (unsigned long)((r + DAY / 2) / DAY);
		snprintf(buf, bufsz, ngettext("%lu day left", "%lu days left",
		    v), v);
		return;
	}
	if (r >= 3600) {
		v = (unsigned long)((r + 1800) / 3600);
		if (v >= 24)
			snprintf(buf, bufsz, ngettext("%lu day left",
			    "%lu days left", 1), 1UL);
		else
			snprintf(buf, bufsz, ngettext("%lu hour left",
			    "%lu hours left", v), v);
		return;
	}
	if (r >= 60) {
		v = (unsigned long)((r + 30) / 60);
		if (v >= 60)
			snprintf(buf, bufsz, ngettext("%lu hour left",
			    "%lu hours left", 1), 1UL);
		else
			snprintf(buf, bufsz, ngettext("%lu minute left",
			    "%lu minutes left", v), v);
		return;
	}
	snprintf(buf, bufsz, "%s", _("less than a minute left"));
}

/* "daily, kept 7 days": the rule that keeps a backup by its schedule. Each
 * case calls snprintf on ngettext itself so the compiler checks the format. */
static void
retention_rule(enum backup_type type, unsigned long v, char *buf,
    size_t bufsz)
{
	switch (retention_type(type)) {
	case BACKUP_DAILY:
		snprintf(buf, bufsz, ngettext("daily, kept %lu day",
		    "daily, kept %lu days", v), v);
		break;
	case BACKUP_WEEKLY:
		snprintf(buf, bufsz, ngettext("weekly, kept %lu week",
		    "weekly, kept %lu weeks", v), v);
		break;
	case BACKUP_MONTHLY:
		snprintf(buf, bufsz, ngettext("monthly, kept %lu month",
		    "monthly, kept %lu months", v), v);
		break;
	case BACKUP_PRE_RESTORE:
		snprintf(buf, bufsz, ngettext("pre-restore, kept %lu day",
		    "pre-restore, kept %lu days", v), v);
		break;
	default:
		snprintf(buf, bufsz, ngettext("manual, kept %lu day",
		    "manual, kept %lu days", v), v);
		break;
	}
}

/* "expired: weekly older than 4 weeks", or, when the policy keeps none of
 * a type, says so and names the key, since that is a setting to check. */
static void
retention_expired(enum backup_type type, unsigned long v, char *buf,
    size_t bufsz)
{
	const char *text;

	if (v == 0) {
		switch (retention_type(type)) {
		case BACKUP_DAILY:
			text = _("expired: daily backups are not kept (daily = 0)");
			break;
		case BACKUP_WEEKLY:
			text = _("expired: weekly backups are not kept (weekly = 0)");
			break;
		case BACKUP_MONTHLY:
			text = _("expired: monthly backups are not kept (monthly = 0)");
			break;
		default:
			text = _("expired: pre-restore backups are not kept (pre_restore_days = 0)");
			break;
		}
		snprintf(buf, bufsz, "%s", text);
		return;
	}
	switch (retention_type(type)) {
	case BACKUP_DAILY:
		snprintf(buf, bufsz, ngettext("expired: daily older than %lu day",
		    "expired: daily older than %lu days", v), v);
		break;
	case BACKUP_WEEKLY:
		snprintf(buf, bufsz, ngettext("expired: weekly older than %lu week",
		    "expired: weekly older than %lu weeks", v), v);
		break;
	case BACKUP_MONTHLY:
		snprintf(buf, bufsz, ngettext("expired: monthly older than %lu month",
		    "expired: monthly older than %lu months", v), v);
		break;
	case BACKUP_PRE_RESTORE:
		snprintf(buf, bufsz, ngettext("expired: pre-restore older than %lu day",
		    "expired: pre-restore older than %lu days", v), v);
		break;
	default:
		snprintf(buf, bufsz, ngettext("expired: manual older than %lu day",
		    "expired: manual older than %lu days", v), v);
		break;
	}
}

void
retention_describe(const struct retention_item *item,
    const struct retention_decision *d,
    const struct config_retention *policy, time_t now, char *buf,
    size_t bufsz)
{
	char rule[RETENTION_DESCRIBE_SIZE], left[RETENTION_DESCRIBE_SIZE];
	unsigned long v = (unsigned long)retention_count(item->type, policy);
	const char *text;

	if (buf == NULL || bufsz == 0)
		return;
	switch (d->reason) {
	case RETENTION_KEEP_SCHEDULE:
		retention_rule(item->type, v, rule, sizeof rule);
		retention_left(d->expires, now, left, sizeof left);
		/* TRANSLATORS: a retention rule and the time left, e.g.
		 * "daily, kept 7 days" and "2 days left". */
		snprintf(buf, bufsz, _("%s, %s"), rule, left);
		return;
	case RETENTION_DELETE_EXPIRED:
		retention_expired(item->type, v, buf, bufsz);
		return;
	case RETENTION_KEEP_MANUAL:
		text = _("manual, kept until deleted");
		break;
	case RETENTION_KEEP_NEWEST_VERIFIED:
		text = _("newest verified backup");
		break;
	case RETENTION_KEEP_NEWEST_COMPLETE:
		text = _("newest complete backup");
		break;
	case RETENTION_KEEP_PINNED:
		text = _("pinned");
		break;
	case RETENTION_KEEP_IN_USE:
		text = _("in use by a running job");
		break;
	case RETENTION_KEEP_FUTURE:
		text = _("created in the future (clock skew?)");
		break;
	case RETENTION_DELETE_INCOMPLETE:
		text = _("incomplete: left by an interrupted backup");
		break;
	default:
		text = "?";
		break;
	}
	snprintf(buf, bufsz, "%s", text);
}

void
retention_policy_describe(const struct config_retention *p, char *buf, size_t bufsz)
{
	char d[48], w[48], m[48], pr[48], man[48];

	snprintf(d, sizeof d, ngettext("%d day", "%d days", (unsigned long)p->daily), p->daily);
	snprintf(w, sizeof w, ngettext("%d week", "%d weeks", (unsigned long)p->weekly), p->weekly);
	snprintf(m, sizeof m, ngettext("%d month", "%d months", (unsigned long)p->monthly),
	    p->monthly);
	snprintf(pr, sizeof pr, ngettext("%d day", "%d days", (unsigned long)p->pre_restore_days),
	    p->pre_restore_days);
	if (p->manual_days > 0)
		snprintf(man, sizeof man, ngettext("%d day", "%d days",
		    (unsigned long)p->manual_days), p->manual_days);
	else
		snprintf(man, sizeof man, "%s", _("until deleted"));
	/* TRANSLATORS: the retention policy; each %s is a period such as "7 days". */
	snprintf(buf, bufsz, _("daily %s, weekly %s, monthly %s, pre-restore %s, manual %s"), d, w,
	    m, pr, man);
}
