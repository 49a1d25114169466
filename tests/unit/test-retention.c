/*
 * Covers src/retention/retention.c and the schedule in src/common/btype.c:
 * the retention rules on synthetic calendars with an injected "now".
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/btype.h"
#include "common/timeutil.h"
#include "config/conf.h"
#include "retention/retention.h"
#include "tests/unit/tap.h"

#define DAY 86400
#define HOUR 3600

static const struct config_retention seed = {
	.daily = 7, .weekly = 4, .monthly = 6, .pre_restore_days = 7,
	.manual_days = 0,
};

static const char *
iso(time_t t)
{
	static char buf[4][32];
	static int n;
	struct tm tm;

	n = (n + 1) % 4;
	gmtime_r(&t, &tm);
	strftime(buf[n], sizeof buf[n], "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf[n];
}

/* A complete, verified backup of type made at t. */
static struct retention_item
item(const char *id, enum backup_type type, time_t t)
{
	struct retention_item it = {
		.id = id, .type = type, .created = t, .complete = true,
		.verified_ok = true,
	};

	return it;
}

/* Decide for one backup next to a fresh verified daily made at now, which
 * takes the guards so the backup under test meets its schedule alone. */
static struct retention_decision
eval_one(struct retention_item it, const struct config_retention *p,
    time_t now)
{
	struct retention_item items[2];
	struct retention_decision out[2];

	items[0] = item("~anchor", BACKUP_DAILY, now); /* wins ties */
	items[1] = it;
	retention_evaluate(items, 2, p, now, out);
	if (!out[0].keep)
		printf("# the anchor backup was not kept\n");
	return out[1];
}

static const char *
describe(const struct retention_item *it, const struct retention_decision *d,
    const struct config_retention *p, time_t now)
{
	static char buf[RETENTION_DESCRIBE_SIZE];

	retention_describe(it, d, p, now, buf, sizeof buf);
	return buf;
}

/* One second before expiry: kept by schedule with that expiry; at expiry
 * and one second after: deleted as expired. */
static void
check_boundary(const char *what, enum backup_type type, time_t created,
    time_t expiry, const struct config_retention *p)
{
	struct retention_item it = item("x", type, created);
	struct retention_decision d;

	is_int(retention_expiry(type, created, p), expiry,
	    "%s made %s expires %s", what, iso(created), iso(expiry));
	d = eval_one(it, p, expiry - 1);
	ok(d.keep && d.reason == RETENTION_KEEP_SCHEDULE && d.expires == expiry,
	    "%s kept one second before expiry", what);
	d = eval_one(it, p, expiry);
	ok(!d.keep && d.reason == RETENTION_DELETE_EXPIRED &&
	    d.expires == expiry, "%s deleted at the second of expiry", what);
	d = eval_one(it, p, expiry + 1);
	ok(!d.keep && d.reason == RETENTION_DELETE_EXPIRED,
	    "%s deleted one second after expiry", what);
}

static void
test_reason_names(void)
{
	const char *want[] = { "within-retention", "manual", "newest-verified",
	    "newest-complete", "pinned", "in-use", "future", "expired",
	    "incomplete" };

	is_int(sizeof want / sizeof want[0], RETENTION_REASON__COUNT,
	    "every reason has a name");
	for (int i = 0; i < RETENTION_REASON__COUNT; i++)
		is_str(retention_reason_name((enum retention_reason)i), want[i],
		    "reason %d is named %s", i, want[i]);
	is_str(retention_reason_name(RETENTION_REASON__COUNT), "unknown",
	    "an out-of-range reason is \"unknown\"");
}

static void
test_defaults(void)
{
	struct config *cfg = config_defaults();
	time_t c = utc(2024, 3, 5, 2, 0, 0);

	is_int(cfg->retention.daily, 7, "default: daily backups kept 7 days");
	is_int(cfg->retention.weekly, 4, "default: weekly backups kept 4 weeks");
	is_int(cfg->retention.monthly, 6, "default: monthly backups kept 6 months");
	is_int(cfg->retention.pre_restore_days, 7,
	    "default: pre-restore backups kept 7 days");
	is_int(cfg->retention.manual_days, 0,
	    "default: manual backups kept until deleted");
	{
		struct vs_error err;
		const struct config_location *s3;

		config_set(cfg, "s3.bucket", "b", &err);
		s3 = config_location_find(cfg, "s3");
		is_int(s3 != NULL ? s3->retention.daily : -1, 7, "default: S3 follows local (daily)");
		is_int(s3 != NULL ? s3->retention.monthly : -1, 6,
		    "default: S3 follows local (monthly)");
	}

	is_int(retention_expiry(BACKUP_DAILY, c, &cfg->retention), c + 7 * DAY,
	    "defaults: a daily expires after 7 days");
	is_int(retention_expiry(BACKUP_WEEKLY, c, &cfg->retention), c + 28 * DAY,
	    "defaults: a weekly expires after 28 days");
	is_int(retention_expiry(BACKUP_MONTHLY, c, &cfg->retention),
	    utc(2024, 9, 5, 2, 0, 0), "defaults: a monthly expires after 6 months");
	is_int(retention_expiry(BACKUP_PRE_RESTORE, c, &cfg->retention),
	    c + 7 * DAY, "defaults: a pre-restore expires after 7 days");
	is_int(retention_expiry(BACKUP_MANUAL, c, &cfg->retention), 0,
	    "defaults: a manual never expires");
	config_free(cfg);
}

static void
test_boundaries(void)
{
	struct config_retention p = seed;
	time_t c = utc(2023, 5, 17, 2, 13, 7);

	check_boundary("daily (7 days)", BACKUP_DAILY, c, c + 7 * DAY, &p);
	check_boundary("weekly (4 weeks)", BACKUP_WEEKLY, c, c + 28 * DAY, &p);
	check_boundary("monthly (6 months)", BACKUP_MONTHLY, c,
	    utc(2023, 11, 17, 2, 13, 7), &p);
	check_boundary("pre-restore (7 days)", BACKUP_PRE_RESTORE, c,
	    c + 7 * DAY, &p);
	p.manual_days = 30;
	check_boundary("manual (manual_days 30)", BACKUP_MANUAL, c,
	    c + 30 * DAY, &p);

	/* Other numbers, so a hard-coded default would show. */
	p = seed;
	p.daily = 3;
	p.weekly = 9;
	p.monthly = 13;
	p.pre_restore_days = 2;
	check_boundary("daily (3 days)", BACKUP_DAILY, c, c + 3 * DAY, &p);
	check_boundary("weekly (9 weeks)", BACKUP_WEEKLY, c, c + 63 * DAY, &p);
	check_boundary("monthly (13 months)", BACKUP_MONTHLY, c,
	    utc(2024, 6, 17, 2, 13, 7), &p);
	check_boundary("pre-restore (2 days)", BACKUP_PRE_RESTORE, c,
	    c + 2 * DAY, &p);

	/* Days are exact multiples of 86400 s, whatever the calendar does. */
	c = utc(2024, 2, 26, 23, 59, 59);
	check_boundary("daily across Feb 29", BACKUP_DAILY, c,
	    utc(2024, 3, 4, 23, 59, 59), &seed);
	c = utc(2023, 12, 27, 12, 0, 0);
	check_boundary("weekly across the new year", BACKUP_WEEKLY, c,
	    utc(2024, 1, 24, 12, 0, 0), &seed);
}

static void
test_month_ends(void)
{
	struct config_retention p = seed;

	is_int(retention_add_months(utc(2023, 1, 31, 10, 0, 0), 1),
	    utc(2023, 2, 28, 10, 0, 0), "Jan 31 2023 + 1 month = Feb 28");
	is_int(retention_add_months(utc(2024, 1, 31, 10, 0, 0), 1),
	    utc(2024, 2, 29, 10, 0, 0), "Jan 31 2024 + 1 month = Feb 29 (leap)");
	is_int(retention_add_months(utc(2023, 8, 31, 4, 5, 6), 6),
	    utc(2024, 2, 29, 4, 5, 6), "Aug 31 2023 + 6 months = Feb 29 2024");
	is_int(retention_add_months(utc(2022, 8, 31, 4, 5, 6), 6),
	    utc(2023, 2, 28, 4, 5, 6), "Aug 31 2022 + 6 months = Feb 28 2023");
	is_int(retention_add_months(utc(2024, 2, 29, 0, 0, 0), 12),
	    utc(2025, 2, 28, 0, 0, 0), "Feb 29 2024 + 12 months = Feb 28 2025");
	is_int(retention_add_months(utc(2024, 2, 29, 0, 0, 0), 48),
	    utc(2028, 2, 29, 0, 0, 0), "Feb 29 2024 + 48 months = Feb 29 2028");
	is_int(retention_add_months(utc(2100, 1, 31, 0, 0, 0), 1),
	    utc(2100, 2, 28, 0, 0, 0), "2100 is not a leap year");
	is_int(retention_add_months(utc(2000, 1, 31, 0, 0, 0), 1),
	    utc(2000, 2, 29, 0, 0, 0), "2000 is a leap year");
	is_int(retention_add_months(utc(2023, 3, 31, 8, 0, 0), 1),
	    utc(2023, 4, 30, 8, 0, 0), "Mar 31 + 1 month = Apr 30");
	is_int(retention_add_months(utc(2023, 10, 31, 8, 0, 0), 1),
	    utc(2023, 11, 30, 8, 0, 0), "Oct 31 + 1 month = Nov 30");
	is_int(retention_add_months(utc(2023, 12, 15, 8, 0, 0), 1),
	    utc(2024, 1, 15, 8, 0, 0), "Dec 15 + 1 month = Jan 15 next year");
	is_int(retention_add_months(utc(2023, 7, 31, 8, 0, 0), 18),
	    utc(2025, 1, 31, 8, 0, 0), "Jul 31 + 18 months = Jan 31, no clamp");
	is_int(retention_add_months(utc(2023, 5, 1, 0, 0, 0), 0),
	    utc(2023, 5, 1, 0, 0, 0), "+ 0 months is the same time");
	is_int(retention_add_months(utc(2023, 5, 1, 0, 0, 0), -3),
	    utc(2023, 5, 1, 0, 0, 0), "negative months count as 0");

	/* The same through the policy: Jan 31 + monthly 1 ends Feb 28. */
	p.monthly = 1;
	check_boundary("monthly made Jan 31 2023, monthly 1", BACKUP_MONTHLY,
	    utc(2023, 1, 31, 2, 0, 0), utc(2023, 2, 28, 2, 0, 0), &p);
	check_boundary("monthly made Jan 31 2024, monthly 1", BACKUP_MONTHLY,
	    utc(2024, 1, 31, 2, 0, 0), utc(2024, 2, 29, 2, 0, 0), &p);
	check_boundary("monthly made Aug 31 2023, monthly 6", BACKUP_MONTHLY,
	    utc(2023, 8, 31, 2, 0, 0), utc(2024, 2, 29, 2, 0, 0), &seed);
	p.monthly = 12;
	check_boundary("monthly made Feb 29 2024, monthly 12", BACKUP_MONTHLY,
	    utc(2024, 2, 29, 2, 0, 0), utc(2025, 2, 28, 2, 0, 0), &p);
}

static void
test_monday_first(void)
{
	time_t jan1 = utc(2024, 1, 1, 2, 0, 0); /* a Monday and the 1st */
	struct retention_item it;
	struct retention_decision d;

	is_int(backup_type_for_time(jan1), BACKUP_MONTHLY,
	    "Monday Jan 1 2024 is a monthly day");
	is_int(backup_type_for_time(utc(2024, 1, 1, 23, 59, 59)), BACKUP_MONTHLY,
	    "the last second of Jan 1 (UTC) is still monthly");
	is_int(backup_type_for_time(utc(2024, 1, 1, 0, 0, 0)), BACKUP_MONTHLY,
	    "the first second of Jan 1 (UTC) is monthly");
	is_int(backup_type_for_time(utc(2023, 12, 31, 23, 59, 59)), BACKUP_DAILY,
	    "Sunday Dec 31 is a daily day");
	is_int(backup_type_for_time(utc(2024, 1, 2, 0, 0, 0)), BACKUP_DAILY,
	    "Tuesday Jan 2 is a daily day");
	is_int(backup_type_for_time(utc(2024, 1, 8, 2, 0, 0)), BACKUP_WEEKLY,
	    "Monday Jan 8 is a weekly day");
	is_int(backup_type_for_time(utc(2024, 2, 1, 2, 0, 0)), BACKUP_MONTHLY,
	    "Thursday Feb 1 is a monthly day");

	it = item("20240101_020000", backup_type_for_time(jan1), jan1);
	d = eval_one(it, &seed, utc(2024, 1, 29, 2, 0, 0));
	ok(d.keep && d.reason == RETENTION_KEEP_SCHEDULE,
	    "Monday the 1st is still kept after 4 weeks (it is monthly)");
	d = eval_one(it, &seed, utc(2024, 4, 1, 2, 0, 0));
	ok(d.keep && d.reason == RETENTION_KEEP_SCHEDULE,
	    "Monday the 1st is kept after 3 months");
	check_boundary("monthly made on Monday Jan 1", it.type, jan1,
	    utc(2024, 7, 1, 2, 0, 0), &seed);
}

/* Backups every day at 02:00 from first to last (inclusive), types by the
 * schedule; returns how many were written to items. */
static size_t
make_daily_run(struct retention_item *items, char (*ids)[BACKUP_ID_SIZE],
    time_t first, time_t last)
{
	size_t n = 0;

	for (time_t t = first; t <= last; t += DAY, n++) {
		backup_id_format(t, ids[n]);
		items[n] = item(ids[n], backup_type_for_time(t), t);
	}
	return n;
}

static int
find(const struct retention_item *items, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(items[i].id, id) == 0)
			return (int)i;
	ok(0, "backup %s is in the list", id);
	return 0;
}

static void
test_gap(void)
{
	static struct retention_item items[64];
	static char ids[64][BACKUP_ID_SIZE];
	struct retention_decision out[64];
	time_t now = utc(2024, 3, 25, 12, 0, 0);
	size_t n, kept = 0;
	int feb10, feb9;

	/* Jan 1 to Feb 10 2024, then six weeks of nothing. */
	n = make_daily_run(items, ids, utc(2024, 1, 1, 2, 0, 0),
	    utc(2024, 2, 10, 2, 0, 0));
	is_int(n, 41, "the gap calendar has 41 backups");
	feb10 = find(items, n, "20240210_020000");
	feb9 = find(items, n, "20240209_020000");

	retention_evaluate(items, n, &seed, now, out);
	for (size_t i = 0; i < n; i++)
		kept += out[i].keep;
	is_int(kept, 3, "after a 6-week gap: 3 kept (2 monthlies, the newest)");
	ok(out[find(items, n, "20240101_020000")].keep &&
	    out[find(items, n, "20240201_020000")].keep,
	    "after the gap: the monthlies of Jan 1 and Feb 1 are kept");
	is_int(out[feb10].reason, RETENTION_KEEP_NEWEST_VERIFIED,
	    "after the gap: the newest backup is kept as newest verified");
	is_int(out[feb10].expires, 0,
	    "after the gap: the guarded backup has no expiry time");
	is_int(out[find(items, n, "20240205_020000")].reason,
	    RETENTION_DELETE_EXPIRED,
	    "after the gap: the last weekly (Feb 5) is expired");

	/* The newest is not verified: the newest verified one is kept, the
	 * newer unverified one expires like any other. */
	items[feb10].verified_ok = false;
	retention_evaluate(items, n, &seed, now, out);
	ok(out[feb9].keep && out[feb9].reason == RETENTION_KEEP_NEWEST_VERIFIED,
	    "a newer unverified backup does not take the guard from Feb 9");
	ok(!out[feb10].keep && out[feb10].reason == RETENTION_DELETE_EXPIRED,
	    "the newer unverified backup, expired, is deleted");

	/* Nothing verified at all: the newest complete is kept. */
	for (size_t i = 0; i < n; i++)
		items[i].verified_ok = false;
	retention_evaluate(items, n, &seed, now, out);
	kept = 0;
	for (size_t i = 0; i < n; i++)
		kept += out[i].keep;
	ok(out[feb10].keep && out[feb10].reason == RETENTION_KEEP_NEWEST_COMPLETE,
	    "none verified: the newest complete backup is kept");
	ok(!out[feb9].keep, "none verified: the one before it is deleted");
	is_int(kept, 3, "none verified: still 3 kept");

	/* Backups resume: a fresh daily within its schedule does not take the
	 * guard while it is unverified, so Feb 10 stays too. */
	items[feb10].verified_ok = true;
	items[n] = item("20240325_020000", BACKUP_DAILY, utc(2024, 3, 25, 2, 0, 0));
	items[n].verified_ok = false;
	retention_evaluate(items, n + 1, &seed, now, out);
	ok(out[n].keep && out[n].reason == RETENTION_KEEP_SCHEDULE,
	    "after the gap: a new unverified daily is kept by its schedule");
	ok(out[feb10].keep && out[feb10].reason == RETENTION_KEEP_NEWEST_VERIFIED,
	    "after the gap: the old verified one stays until a newer one verifies");
	items[n].verified_ok = true;
	retention_evaluate(items, n + 1, &seed, now, out);
	ok(!out[feb10].keep && out[feb10].reason == RETENTION_DELETE_EXPIRED,
	    "once the new daily verifies, the old guarded one is deleted");
}

static void
test_clock_backwards(void)
{
	struct retention_item items[5];
	struct retention_decision out[5];
	time_t now = utc(2024, 3, 1, 12, 0, 0);
	struct config_retention p = seed;

	/* The clock was set back two weeks after these were made. */
	items[0] = item("old", BACKUP_DAILY, now - 30 * DAY);
	items[1] = item("at-now", BACKUP_DAILY, now);
	items[2] = item("plus-1s", BACKUP_DAILY, now + 1);
	items[3] = item("plus-2w", BACKUP_WEEKLY, now + 14 * DAY);
	items[4] = item("manual", BACKUP_MANUAL, now + 3 * DAY);
	retention_evaluate(items, 5, &p, now, out);
	ok(out[1].keep && out[1].reason == RETENTION_KEEP_SCHEDULE,
	    "made at the very second of now: not in the future");
	ok(out[2].keep && out[2].reason == RETENTION_KEEP_FUTURE,
	    "made one second after now: kept, created in the future");
	is_int(out[2].expires, now + 1 + 7 * DAY,
	    "a future daily shows its schedule expiry");
	ok(out[3].keep && out[3].reason == RETENTION_KEEP_FUTURE,
	    "a weekly two weeks in the future is kept");
	ok(out[4].keep && out[4].reason == RETENTION_KEEP_FUTURE &&
	    out[4].expires == 0, "a future manual is kept, no expiry");
	ok(!out[0].keep, "an expired backup is still deleted");

	/* Even with every policy at 0, a future backup is never deleted. */
	p.daily = p.weekly = p.monthly = p.pre_restore_days = 0;
	p.manual_days = 1;
	retention_evaluate(items, 5, &p, now, out);
	ok(out[2].keep && out[3].keep && out[4].keep,
	    "policy all 0: future backups are still kept");
	ok(out[1].keep && out[1].reason == RETENTION_KEEP_NEWEST_VERIFIED,
	    "policy all 0: the newest not-future verified one is the guard");
	ok(!out[0].keep, "policy all 0: the rest is deleted");

	/* A bogus future date must not take the guard from a real backup. */
	items[0] = item("real", BACKUP_DAILY, now - 40 * DAY);
	items[1] = item("bogus", BACKUP_DAILY, utc(2030, 1, 1, 0, 0, 0));
	retention_evaluate(items, 2, &seed, now, out);
	ok(out[0].keep && out[0].reason == RETENTION_KEEP_NEWEST_VERIFIED,
	    "the real newest backup keeps the guard next to a future one");
	ok(out[1].keep && out[1].reason == RETENTION_KEEP_FUTURE,
	    "the future one is kept for its own reason");
	/* Once the clock is right again, the future one follows its schedule. */
	retention_evaluate(items, 2, &seed, utc(2030, 1, 8, 0, 0, 0), out);
	ok(out[1].keep && out[1].reason == RETENTION_KEEP_NEWEST_VERIFIED &&
	    !out[0].keep, "when the clock catches up, it becomes the newest");
	is_str(describe(&items[1], &(struct retention_decision){ true,
	    RETENTION_KEEP_FUTURE, 0 }, &seed, now),
	    "created in the future (clock skew?)", "text: created in the future");
}

static void
test_guards(void)
{
	struct retention_item items[4];
	struct retention_decision out[4];
	time_t now = utc(2024, 6, 15, 12, 0, 0);

	/* Only expired backups; the newest verified one is kept. */
	items[0] = item("a", BACKUP_DAILY, now - 20 * DAY);
	items[1] = item("b", BACKUP_DAILY, now - 19 * DAY);
	items[2] = item("c", BACKUP_DAILY, now - 18 * DAY);
	items[2].verified_ok = false;
	retention_evaluate(items, 3, &seed, now, out);
	ok(!out[0].keep && out[1].keep && !out[2].keep,
	    "all expired: only the newest verified (b) is kept");
	is_int(out[1].reason, RETENTION_KEEP_NEWEST_VERIFIED,
	    "reason: newest verified backup");

	/* A verified but partial or damaged backup never takes the guard. */
	items[2].verified_ok = true;
	items[2].partial = true;
	items[2].complete = false;
	retention_evaluate(items, 3, &seed, now, out);
	ok(out[1].keep && !out[2].keep &&
	    out[2].reason == RETENTION_DELETE_INCOMPLETE,
	    "a newer partial does not take the guard and is deleted");
	/* Contradictory flags (complete and partial): partial wins. */
	items[2].complete = true;
	retention_evaluate(items, 3, &seed, now, out);
	ok(out[1].keep && !out[2].keep &&
	    out[2].reason == RETENTION_DELETE_INCOMPLETE,
	    "complete but partial: deleted as incomplete, no guard");
	items[2].created = now - DAY;
	retention_evaluate(items, 3, &seed, now, out);
	ok(!out[2].keep && out[2].reason == RETENTION_DELETE_INCOMPLETE,
	    "complete but partial, within schedule: still deleted as incomplete");
	items[2].created = now - 18 * DAY;
	items[2].complete = false;
	items[2].partial = false;
	retention_evaluate(items, 3, &seed, now, out);
	ok(out[1].keep && !out[2].keep &&
	    out[2].reason == RETENTION_DELETE_EXPIRED,
	    "a newer damaged (not complete) one does not take the guard");

	/* A damaged backup still follows its schedule. */
	items[2].created = now - DAY;
	retention_evaluate(items, 3, &seed, now, out);
	ok(out[2].keep && out[2].reason == RETENTION_KEEP_SCHEDULE,
	    "a damaged backup within its schedule is kept");

	/* Nothing complete at all: no guard, everything expired goes. */
	items[0].complete = items[1].complete = false;
	items[2].created = now - 18 * DAY;
	retention_evaluate(items, 3, &seed, now, out);
	ok(!out[0].keep && !out[1].keep && !out[2].keep,
	    "no complete backup: no guard applies");

	/* Ties on created go to the greater id, in either order. */
	items[0] = item("20240101_000000", BACKUP_DAILY, now - 20 * DAY);
	items[1] = item("20240101_000001", BACKUP_DAILY, now - 20 * DAY);
	retention_evaluate(items, 2, &seed, now, out);
	ok(!out[0].keep && out[1].keep, "a tie goes to the greater id");
	items[2] = items[0];
	retention_evaluate(items + 1, 2, &seed, now, out);
	ok(out[0].keep && !out[1].keep, "a tie goes to the greater id, reversed");

	/* The guard is independent of pinning: a pinned newest verified one
	 * says "pinned" and the guard does not move to the next one. */
	items[0] = item("a", BACKUP_DAILY, now - 20 * DAY);
	items[1] = item("b", BACKUP_DAILY, now - 19 * DAY);
	items[1].pinned = true;
	retention_evaluate(items, 2, &seed, now, out);
	ok(out[1].keep && out[1].reason == RETENTION_KEEP_PINNED && !out[0].keep,
	    "a pinned newest is kept as pinned; the older one still goes");

	/* The newest verified, within its schedule, says so by schedule. */
	items[1] = item("b", BACKUP_DAILY, now - DAY);
	retention_evaluate(items, 2, &seed, now, out);
	is_int(out[1].reason, RETENTION_KEEP_SCHEDULE,
	    "the newest verified within its schedule reports the schedule");
	is_int(out[1].expires, now + 6 * DAY, "and its expiry");

	/* A verified safety backup (or one lacking a part) never takes the
	 * guard from an ordinary backup, only when there is nothing else. */
	items[0] = item("a", BACKUP_DAILY, now - 20 * DAY);
	items[1] = item("b", BACKUP_PRE_RESTORE, now - 19 * DAY);
	items[1].second_rate = true;
	retention_evaluate(items, 2, &seed, now, out);
	ok(out[0].keep && out[0].reason == RETENTION_KEEP_NEWEST_VERIFIED && !out[1].keep,
	    "a newer verified safety backup leaves the guard to the ordinary one");
	items[0].verified_ok = false;
	retention_evaluate(items, 2, &seed, now, out);
	ok(out[0].keep && out[0].reason == RETENTION_KEEP_NEWEST_COMPLETE && !out[1].keep,
	    "even when the ordinary one is not verified");
	retention_evaluate(items + 1, 1, &seed, now, out);
	ok(out[0].keep && out[0].reason == RETENTION_KEEP_NEWEST_VERIFIED,
	    "with nothing else, the safety backup is kept as the newest verified");

	retention_evaluate(NULL, 0, &seed, now, NULL);
	ok(1, "an empty list is fine");
}

static void
test_pinned_in_use_partial(void)
{
	struct retention_item items[6];
	struct retention_decision out[6];
	time_t now = utc(2024, 6, 15, 12, 0, 0);

	items[0] = item("guard", BACKUP_DAILY, now - HOUR);
	items[1] = item("pinned", BACKUP_DAILY, now - 400 * DAY);
	items[1].pinned = true;
	items[2] = item("in-use", BACKUP_WEEKLY, now - 400 * DAY);
	items[2].in_use = true;
	items[3] = item("writing", BACKUP_DAILY, now - 10);
	items[3].partial = true;
	items[3].complete = items[3].verified_ok = false;
	items[3].in_use = true;
	items[4] = item("stale", BACKUP_DAILY, now - 10);
	items[4].partial = true;
	items[4].complete = items[4].verified_ok = false;
	items[5] = item("pinned-partial", BACKUP_DAILY, now - DAY);
	items[5].partial = true;
	items[5].complete = false;
	items[5].pinned = true;
	retention_evaluate(items, 6, &seed, now, out);
	ok(out[1].keep && out[1].reason == RETENTION_KEEP_PINNED &&
	    out[1].expires == 0, "an expired pinned backup is kept, no expiry");
	ok(out[2].keep && out[2].reason == RETENTION_KEEP_IN_USE &&
	    out[2].expires == 0, "an expired backup in use is kept, no expiry");
	ok(out[3].keep && out[3].reason == RETENTION_KEEP_IN_USE,
	    "a partial backup being written is kept");
	ok(!out[4].keep && out[4].reason == RETENTION_DELETE_INCOMPLETE &&
	    out[4].expires == 0, "a stale partial backup is deleted");
	ok(out[5].keep && out[5].reason == RETENTION_KEEP_PINNED,
	    "a pinned partial backup is kept");

	/* in use wins over pinned: the running job is the more urgent fact. */
	items[1].in_use = true;
	retention_evaluate(items, 6, &seed, now, out);
	is_int(out[1].reason, RETENTION_KEEP_IN_USE,
	    "pinned and in use: reported as in use");

	/* The only backup is a stale partial: it still goes. */
	retention_evaluate(items + 4, 1, &seed, now, out);
	ok(!out[0].keep, "a lone stale partial is deleted (it is no backup)");

	/* A stale partial in the future is still only debris. */
	items[4].created = now + DAY;
	retention_evaluate(items + 4, 1, &seed, now, out);
	ok(!out[0].keep && out[0].reason == RETENTION_DELETE_INCOMPLETE,
	    "a stale partial dated in the future is deleted");
}

static void
test_manual_pre_restore(void)
{
	struct config_retention p = seed;
	time_t c = utc(2020, 2, 29, 9, 0, 0);
	struct retention_item it = item("m", BACKUP_MANUAL, c);
	struct retention_decision d;

	d = eval_one(it, &p, c + 3650 * DAY);
	ok(d.keep && d.reason == RETENTION_KEEP_MANUAL && d.expires == 0,
	    "manual, manual_days 0: kept after ten years, no expiry");
	p.manual_days = 10;
	d = eval_one(it, &p, c + 10 * DAY - 1);
	ok(d.keep && d.reason == RETENTION_KEEP_SCHEDULE,
	    "manual, manual_days 10: kept for 10 days");
	d = eval_one(it, &p, c + 10 * DAY);
	ok(!d.keep && d.reason == RETENTION_DELETE_EXPIRED,
	    "manual, manual_days 10: deleted after 10 days");

	it.type = BACKUP_PRE_RESTORE;
	d = eval_one(it, &seed, c + 7 * DAY - 1);
	ok(d.keep, "pre-restore kept for pre_restore_days");
	d = eval_one(it, &seed, c + 7 * DAY);
	ok(!d.keep, "pre-restore deleted after pre_restore_days");
	/* pre_restore_days is its own number, not daily's. */
	p = seed;
	p.daily = 1;
	p.pre_restore_days = 30;
	d = eval_one(it, &p, c + 20 * DAY);
	ok(d.keep, "pre-restore follows pre_restore_days, not daily");

	/* An unknown type is never expired by accident: it counts as manual. */
	it.type = (enum backup_type)BACKUP_TYPE__COUNT;
	d = eval_one(it, &seed, c + 3650 * DAY);
	ok(d.keep && d.reason == RETENTION_KEEP_MANUAL,
	    "an out-of-range type is kept like a manual backup");
}

static void
test_zero(void)
{
	struct config_retention p = seed;
	time_t now = utc(2024, 6, 15, 12, 0, 0);
	struct retention_item it;
	struct retention_decision d;

	p.daily = 0;
	it = item("d", BACKUP_DAILY, now);
	is_int(retention_expiry(BACKUP_DAILY, now, &p), now,
	    "daily 0: a daily expires when it is made");
	d = eval_one(it, &p, now);
	ok(!d.keep && d.reason == RETENTION_DELETE_EXPIRED,
	    "daily 0: a daily is deleted at once when something newer is verified");
	is_str(describe(&it, &d, &p, now),
	    "expired: daily backups are not kept (daily = 0)", "text: daily = 0");
	retention_evaluate(&it, 1, &p, now, &d);
	ok(d.keep && d.reason == RETENTION_KEEP_NEWEST_VERIFIED,
	    "daily 0: the only backup is kept as newest verified");

	p = seed;
	p.weekly = 0;
	it = item("w", BACKUP_WEEKLY, now - 1);
	d = eval_one(it, &p, now);
	is_str(describe(&it, &d, &p, now),
	    "expired: weekly backups are not kept (weekly = 0)", "text: weekly = 0");
	p = seed;
	p.monthly = 0;
	it = item("m", BACKUP_MONTHLY, now - 1);
	d = eval_one(it, &p, now);
	is_str(describe(&it, &d, &p, now),
	    "expired: monthly backups are not kept (monthly = 0)",
	    "text: monthly = 0");
	p = seed;
	p.pre_restore_days = 0;
	it = item("p", BACKUP_PRE_RESTORE, now - 1);
	d = eval_one(it, &p, now);
	is_str(describe(&it, &d, &p, now),
	    "expired: pre-restore backups are not kept (pre_restore_days = 0)",
	    "text: pre_restore_days = 0");
	p.daily = -5;
	is_int(retention_expiry(BACKUP_DAILY, now, &p), now,
	    "a negative number counts as 0");
}

static void
test_ten_thousand(void)
{
	static struct retention_item items[10000], shuffled[10000];
	static char ids[10000][BACKUP_ID_SIZE];
	static struct retention_decision out[10000], out2[10000];
	time_t last = utc(2024, 3, 15, 2, 0, 0); /* a Friday */
	time_t now = last + HOUR;
	size_t n, kept = 0, per[BACKUP_TYPE__COUNT] = { 0 };
	int same = 1;

	n = make_daily_run(items, ids, last - 9999 * (time_t)DAY, last);
	is_int(n, 10000, "10,000 daily backups");
	is_str(items[0].id, "19961029_020000", "the first is from Oct 1996");
	retention_evaluate(items, n, &seed, now, out);
	for (size_t i = 0; i < n; i++) {
		if (out[i].keep) {
			kept++;
			per[items[i].type]++;
		}
	}
	/*
	 * By hand, now = Fri 2024-03-15 03:00:
	 * daily (7 days): Mar 9, 10, 12, 13, 14, 15 (Mar 11 is a Monday) = 6
	 * weekly (28 days): Mondays Feb 19, 26, Mar 4, 11 = 4
	 * monthly (6 months): Oct 1, Nov 1, Dec 1, Jan 1 (a Monday), Feb 1,
	 *   Mar 1 = 6 (Sep 1 expired on Mar 1)
	 */
	is_int(kept, 16, "of 10,000 backups over 27 years, 16 are kept");
	is_int(per[BACKUP_DAILY], 6, "6 dailies kept");
	is_int(per[BACKUP_WEEKLY], 4, "4 weeklies kept");
	is_int(per[BACKUP_MONTHLY], 6, "6 monthlies kept");
	ok(!out[find(items, n, "20230901_020000")].keep &&
	    out[find(items, n, "20231001_020000")].keep,
	    "the monthly of Sep 1 2023 is gone, Oct 1 kept");
	ok(!out[find(items, n, "20240212_020000")].keep &&
	    out[find(items, n, "20240219_020000")].keep,
	    "the weekly of Feb 12 is gone, Feb 19 kept");
	ok(!out[find(items, n, "20240308_020000")].keep &&
	    out[find(items, n, "20240309_020000")].keep,
	    "the daily of Mar 8 is gone, Mar 9 kept");

	/* Any order gives the same decision for each backup. */
	memcpy(shuffled, items, sizeof items);
	srand(20240315);
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = (size_t)rand() % (i + 1);
		struct retention_item t = shuffled[i];

		shuffled[i] = shuffled[j];
		shuffled[j] = t;
	}
	shuffled[0].verified_ok = true;
	retention_evaluate(shuffled, n, &seed, now, out2);
	for (size_t i = 0; i < n; i++) {
		int k = find(items, n, shuffled[i].id);

		if (out2[i].keep != out[k].keep ||
		    out2[i].reason != out[k].reason ||
		    out2[i].expires != out[k].expires)
			same = 0;
	}
	ok(same, "a shuffled list gets the same decisions");
}

/* Quadratic work would take minutes here; the evaluation is linear. */
static void
test_speed(void)
{
	size_t n = 200000;
	struct retention_item *items = calloc(n, sizeof *items);
	struct retention_decision *out = calloc(n, sizeof *out);
	struct timespec a, b;
	time_t start = utc(1990, 1, 1, 0, 0, 0);
	double secs;

	if (items == NULL || out == NULL)
		abort();
	for (size_t i = 0; i < n; i++)
		items[i] = item(NULL, backup_type_for_time(start + (time_t)i * HOUR),
		    start + (time_t)i * HOUR);
	clock_gettime(CLOCK_MONOTONIC, &a);
	retention_evaluate(items, n, &seed, start + (time_t)n * HOUR, out);
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	ok(secs < 5.0, "200,000 backups evaluated in %.3f s (limit 5 s)", secs);
	ok(out[n - 1].keep, "the newest of them is kept");
	free(items);
	free(out);
}

static void
test_texts(void)
{
	struct config_retention p = seed;
	time_t c = utc(2024, 5, 10, 2, 0, 0);
	struct retention_item it = item("t", BACKUP_DAILY, c);
	struct retention_decision d;
	char small[8];

	d = eval_one(it, &p, c + 5 * DAY);
	is_str(describe(&it, &d, &p, c + 5 * DAY), "daily, kept 7 days, 2 days left",
	    "text: daily within its schedule");
	d = eval_one(it, &p, c + 5 * DAY + 13 * HOUR);
	is_str(describe(&it, &d, &p, c + 5 * DAY + 13 * HOUR),
	    "daily, kept 7 days, 1 day left", "text: 1 day 11 hours rounds to 1 day");
	d = eval_one(it, &p, c + 5 * DAY + 11 * HOUR);
	is_str(describe(&it, &d, &p, c + 5 * DAY + 11 * HOUR),
	    "daily, kept 7 days, 2 days left", "text: 1 day 13 hours rounds to 2 days");
	d = eval_one(it, &p, c + 6 * DAY + 1800);
	is_str(describe(&it, &d, &p, c + 6 * DAY + 1800),
	    "daily, kept 7 days, 1 day left", "text: 23.5 hours reads as 1 day");
	d = eval_one(it, &p, c + 6 * DAY + 19 * HOUR);
	is_str(describe(&it, &d, &p, c + 6 * DAY + 19 * HOUR),
	    "daily, kept 7 days, 5 hours left", "text: hours left");
	d = eval_one(it, &p, c + 6 * DAY + 23 * HOUR);
	is_str(describe(&it, &d, &p, c + 6 * DAY + 23 * HOUR),
	    "daily, kept 7 days, 1 hour left", "text: 1 hour left");
	d = eval_one(it, &p, c + 7 * DAY - 20);
	is_str(describe(&it, &d, &p, c + 7 * DAY - 20),
	    "daily, kept 7 days, less than a minute left",
	    "text: less than a minute left");
	d = eval_one(it, &p, c + 7 * DAY - 90);
	is_str(describe(&it, &d, &p, c + 7 * DAY - 90),
	    "daily, kept 7 days, 2 minutes left", "text: minutes left");
	d = eval_one(it, &p, c + 7 * DAY - 60);
	is_str(describe(&it, &d, &p, c + 7 * DAY - 60),
	    "daily, kept 7 days, 1 minute left", "text: 1 minute left");
	d = eval_one(it, &p, c);
	is_str(describe(&it, &d, &p, c), "daily, kept 7 days, 7 days left",
	    "text: a daily made right now");

	p.daily = 1;
	d = eval_one(it, &p, c + HOUR);
	is_str(describe(&it, &d, &p, c + HOUR), "daily, kept 1 day, 23 hours left",
	    "text: singular day");
	d = eval_one(it, &p, c + 2 * DAY);
	is_str(describe(&it, &d, &p, c + 2 * DAY),
	    "expired: daily older than 1 day", "text: expired, singular day");
	d = eval_one(it, &seed, c + 8 * DAY);
	is_str(describe(&it, &d, &seed, c + 8 * DAY),
	    "expired: daily older than 7 days", "text: expired daily");

	it.type = BACKUP_WEEKLY;
	d = eval_one(it, &seed, c + 7 * DAY);
	is_str(describe(&it, &d, &seed, c + 7 * DAY),
	    "weekly, kept 4 weeks, 21 days left", "text: weekly within its schedule");
	d = eval_one(it, &seed, c + 29 * DAY);
	is_str(describe(&it, &d, &seed, c + 29 * DAY),
	    "expired: weekly older than 4 weeks", "text: expired weekly");
	p = seed;
	p.weekly = 1;
	d = eval_one(it, &p, c + 8 * DAY);
	is_str(describe(&it, &d, &p, c + 8 * DAY),
	    "expired: weekly older than 1 week", "text: expired, singular week");
	p.weekly = 1;
	d = eval_one(it, &p, c);
	is_str(describe(&it, &d, &p, c), "weekly, kept 1 week, 7 days left",
	    "text: singular week");

	it.type = BACKUP_MONTHLY;
	d = eval_one(it, &seed, c + 30 * DAY);
	is_str(describe(&it, &d, &seed, c + 30 * DAY),
	    "monthly, kept 6 months, 154 days left", "text: monthly within its schedule");
	d = eval_one(it, &seed, c + 200 * DAY);
	is_str(describe(&it, &d, &seed, c + 200 * DAY),
	    "expired: monthly older than 6 months", "text: expired monthly");
	p.monthly = 1;
	d = eval_one(it, &p, c + 40 * DAY);
	is_str(describe(&it, &d, &p, c + 40 * DAY),
	    "expired: monthly older than 1 month", "text: expired, singular month");
	d = eval_one(it, &p, c);
	is_str(describe(&it, &d, &p, c), "monthly, kept 1 month, 31 days left",
	    "text: singular month");

	it.type = BACKUP_PRE_RESTORE;
	d = eval_one(it, &seed, c + DAY);
	is_str(describe(&it, &d, &seed, c + DAY),
	    "pre-restore, kept 7 days, 6 days left", "text: pre-restore");
	d = eval_one(it, &seed, c + 9 * DAY);
	is_str(describe(&it, &d, &seed, c + 9 * DAY),
	    "expired: pre-restore older than 7 days", "text: expired pre-restore");

	it.type = BACKUP_MANUAL;
	d = eval_one(it, &seed, c + DAY);
	is_str(describe(&it, &d, &seed, c + DAY), "manual, kept until deleted",
	    "text: manual without manual_days");
	p = seed;
	p.manual_days = 30;
	d = eval_one(it, &p, c + DAY);
	is_str(describe(&it, &d, &p, c + DAY), "manual, kept 30 days, 29 days left",
	    "text: manual with manual_days");
	d = eval_one(it, &p, c + 31 * DAY);
	is_str(describe(&it, &d, &p, c + 31 * DAY),
	    "expired: manual older than 30 days", "text: expired manual");

	/* The fixed texts, each from a real decision. */
	{
		struct retention_item s[3];
		struct retention_decision o[3];
		time_t now = c + 100 * DAY;

		s[0] = item("a", BACKUP_DAILY, c);
		s[1] = item("b", BACKUP_DAILY, c + DAY);
		s[2] = item("c", BACKUP_DAILY, c + 2 * DAY);
		s[0].pinned = true;
		s[1].in_use = true;
		retention_evaluate(s, 3, &seed, now, o);
		is_str(describe(&s[0], &o[0], &seed, now), "pinned", "text: pinned");
		is_str(describe(&s[1], &o[1], &seed, now), "in use by a running job",
		    "text: in use");
		is_str(describe(&s[2], &o[2], &seed, now), "newest verified backup",
		    "text: newest verified");
		s[2].verified_ok = false;
		s[1].verified_ok = false;
		s[0].verified_ok = false;
		retention_evaluate(s, 3, &seed, now, o);
		is_str(describe(&s[2], &o[2], &seed, now), "newest complete backup",
		    "text: newest complete");
		s[2].partial = true;
		s[2].complete = false;
		retention_evaluate(s, 3, &seed, now, o);
		is_str(describe(&s[2], &o[2], &seed, now),
		    "incomplete: left by an interrupted backup", "text: incomplete");
	}

	/* The buffer is never overrun and always terminated. */
	d.reason = RETENTION_KEEP_NEWEST_VERIFIED;
	memset(small, 'x', sizeof small);
	retention_describe(&it, &d, &seed, c, small, sizeof small);
	is_str(small, "newest ", "a short buffer gets a truncated, terminated text");
	small[0] = 'x';
	retention_describe(&it, &d, &seed, c, small, 0);
	is_int(small[0], 'x', "a zero-sized buffer is not written");
}

int
main(void)
{
	test_reason_names();
	test_defaults();
	test_boundaries();
	test_month_ends();
	test_monday_first();
	test_gap();
	test_clock_backwards();
	test_guards();
	test_pinned_in_use_partial();
	test_manual_pre_restore();
	test_zero();
	test_ten_thousand();
	test_speed();
	test_texts();
	return tap_done();
}
