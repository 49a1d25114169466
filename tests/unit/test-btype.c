/*
 * Covers src/common/btype.c: the names of the backup types and the seed's
 * schedule (monthly on the 1st, weekly on a Monday, daily otherwise), all
 * in UTC whatever the local time zone.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/btype.h"
#include "tests/unit/tap.h"

static void
test_names(void)
{
	static const struct {
		enum backup_type type;
		const char *name;
	} names[] = {
		{ BACKUP_DAILY, "daily" },
		{ BACKUP_WEEKLY, "weekly" },
		{ BACKUP_MONTHLY, "monthly" },
		{ BACKUP_MANUAL, "manual" },
		{ BACKUP_PRE_RESTORE, "pre-restore" },
	};
	enum backup_type t;

	is_int(sizeof names / sizeof names[0], BACKUP_TYPE__COUNT, "every type is tested");
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		is_str(backup_type_name(names[i].type), names[i].name, "name of type %zu", i);
		t = BACKUP_TYPE__COUNT;
		is_int(backup_type_parse(names[i].name, &t), 0, "parse \"%s\"", names[i].name);
		is_int(t, names[i].type, "... gives its type");
	}
	is_str(backup_type_name(BACKUP_TYPE__COUNT), "unknown", "an out-of-range type");
	is_str(backup_type_name((enum backup_type)-1), "unknown", "a negative type");
	is_int(backup_type_parse("Daily", &t), -1, "names are case-sensitive");
	is_int(backup_type_parse("", &t), -1, "the empty name is no type");
	is_int(backup_type_parse("pre_restore", &t), -1, "\"pre_restore\" is not \"pre-restore\"");
	is_int(backup_type_parse("daily ", &t), -1, "no trailing blanks");
	is_int(backup_type_parse("unknown", &t), -1, "\"unknown\" does not parse");
}

static void
check(int y, int mo, int d, int h, int mi, int s, enum backup_type want,
    const char *why)
{
	enum backup_type got = backup_type_for_time(utc(y, mo, d, h, mi, s));

	if (!ok(got == want, "%04d-%02d-%02d %02d:%02d:%02d UTC is %s: %s", y, mo, d, h,
	    mi, s, backup_type_name(want), why))
		printf("#   got %s\n", backup_type_name(got));
}

static void
test_schedule(void)
{
	/* 2024-04-01 and 2024-07-01 are Mondays and the 1st. */
	check(2024, 4, 1, 12, 0, 0, BACKUP_MONTHLY, "a Monday that is the 1st");
	check(2024, 7, 1, 0, 0, 0, BACKUP_MONTHLY, "a Monday 1st at midnight");
	check(2024, 7, 1, 23, 59, 59, BACKUP_MONTHLY, "a Monday 1st, last second");
	check(2024, 2, 1, 2, 0, 0, BACKUP_MONTHLY, "a Thursday 1st");
	check(2023, 1, 1, 0, 0, 0, BACKUP_MONTHLY, "a Sunday 1st (New Year)");
	check(2024, 3, 1, 2, 0, 0, BACKUP_MONTHLY, "1 March after a leap day");

	check(2024, 2, 12, 2, 0, 0, BACKUP_WEEKLY, "a Monday");
	check(2024, 2, 19, 0, 0, 0, BACKUP_WEEKLY, "a Monday at midnight");
	check(2024, 2, 19, 23, 59, 59, BACKUP_WEEKLY, "a Monday, last second");
	check(2024, 4, 8, 2, 0, 0, BACKUP_WEEKLY, "the Monday after a Monday 1st");
	check(2024, 12, 30, 2, 0, 0, BACKUP_WEEKLY, "a Monday at the end of a year");
	check(2024, 2, 29, 2, 0, 0, BACKUP_DAILY, "a leap day (Thursday)");

	/* Around UTC midnight: a Sunday ends daily, the Monday starts weekly,
	 * and the Tuesday starts daily again. */
	check(2024, 2, 18, 23, 59, 59, BACKUP_DAILY, "the last second of a Sunday");
	check(2024, 2, 19, 0, 0, 0, BACKUP_WEEKLY, "the first second of the Monday");
	check(2024, 2, 20, 0, 0, 0, BACKUP_DAILY, "the first second of the Tuesday");
	check(2024, 3, 31, 23, 59, 59, BACKUP_DAILY, "the last second of a month (Sunday)");
	check(2024, 4, 1, 0, 0, 0, BACKUP_MONTHLY, "the first second of a Monday 1st");
	check(2024, 4, 2, 0, 0, 0, BACKUP_DAILY, "the first second of the 2nd");
	check(2024, 1, 31, 23, 59, 59, BACKUP_DAILY, "the last second of January");

	for (int d = 13; d <= 18; d++)
		check(2024, 2, d, 12, 0, 0, BACKUP_DAILY, "Tuesday to Sunday");
}

/* The schedule follows UTC, not the local zone: in New York, Monday
 * 2024-02-19 02:00 UTC is still Sunday evening, and 2024-03-01 03:00 UTC is
 * still 29 February. */
static void
test_local_zone(void)
{
	time_t t = utc(2024, 2, 19, 2, 0, 0);
	struct tm tm;

	setenv("TZ", "America/New_York", 1);
	tzset();
	localtime_r(&t, &tm);
	if (!ok(tm.tm_mday == 18 && tm.tm_hour == 21,
	    "the zone America/New_York is in effect (tzdata is installed)"))
		printf("#   local time is %02d %02d:00\n", tm.tm_mday, tm.tm_hour);
	check(2024, 2, 19, 2, 0, 0, BACKUP_WEEKLY, "weekly with TZ=America/New_York");
	check(2024, 3, 1, 3, 0, 0, BACKUP_MONTHLY, "monthly with TZ=America/New_York");
	setenv("TZ", "Asia/Tokyo", 1);
	tzset();
	check(2024, 2, 18, 20, 0, 0, BACKUP_DAILY, "Sunday UTC is daily with TZ=Asia/Tokyo");
	check(2024, 2, 29, 20, 0, 0, BACKUP_DAILY, "29 Feb UTC is daily with TZ=Asia/Tokyo");
	setenv("TZ", "UTC", 1);
	tzset();
}

/* Over four years, exactly one monthly per month and one weekly per week
 * whose Monday is not the 1st. */
static void
test_calendar(void)
{
	int monthly = 0, weekly = 0, daily = 0, mondays_on_first = 0;
	time_t t, start = utc(2024, 1, 1, 2, 0, 0), end = utc(2028, 1, 1, 2, 0, 0);

	for (t = start; t < end; t += 86400) {
		struct tm tm;

		gmtime_r(&t, &tm);
		if (tm.tm_mday == 1 && tm.tm_wday == 1)
			mondays_on_first++;
		switch (backup_type_for_time(t)) {
		case BACKUP_MONTHLY: monthly++; break;
		case BACKUP_WEEKLY: weekly++; break;
		case BACKUP_DAILY: daily++; break;
		default: break;
		}
	}
	is_int(monthly, 48, "48 monthly backups in four years");
	is_int(weekly + mondays_on_first, 209, "every Monday is weekly unless it is the 1st");
	is_int(monthly + weekly + daily, 1461, "every day has a type");
}

int
main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	test_names();
	test_schedule();
	test_local_zone();
	test_calendar();
	return tap_done();
}
