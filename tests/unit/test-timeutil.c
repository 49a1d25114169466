/*
 * Covers src/common/timeutil.c: backup ids (the only names the tool accepts
 * as a backup directory or S3 prefix), the date forms of the command line,
 * ISO 8601 output and the VSBACKUP_NOW clock.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "common/timeutil.h"
#include "tests/unit/tap.h"

static const char *const good_ids[] = {
	"20240215_120000",	/* the seed's example */
	"19700101_000000",	/* the epoch */
	"20240229_235959",	/* leap day */
	"20000229_000000",	/* leap day of a year divisible by 400 */
	"20241231_235959",
	"99991231_235959",
};

/* Each must be refused: none may become part of a path. */
static const char *const bad_ids[] = {
	"",
	"2024021_120000",	/* too short */
	"202402150_120000",	/* too long */
	"20240215_1200000",
	"20240215_12000",
	"20240215-120000",	/* wrong separator */
	"20240215 120000",
	"20240215120000_",
	"2024O215_120000",	/* a letter O */
	"20240215_12000a",
	"abcdefgh_ijklmn",
	"20240230_000000",	/* 30 February */
	"20230229_000000",	/* 29 February of a common year */
	"19000229_000000",	/* 1900 was not a leap year */
	"20241301_000000",	/* month 13 */
	"20240001_000000",	/* month 0 */
	"20240100_000000",	/* day 0 */
	"20240132_000000",	/* day 32 */
	"20240431_000000",	/* 31 April */
	"20240215_250000",	/* hour 25 */
	"20240215_240000",	/* hour 24 */
	"20240215_126000",	/* minute 60 */
	"20240215_120060",	/* second 60 */
	"19691231_235959",	/* before the epoch */
	"../../x",
	"../20240215_1200",
	"20240215_120000/",
	"/20240215_12000",
	"20240215_12000/",
	"20240215_1200\n0",
	" 20240215_120000",
	"20240215_120000 ",
	"+2024021_120000",
	"-2024021_120000",
	"20240215_120000.partial",
	"20240215_120000\t",
};

static void
test_backup_ids(void)
{
	struct vs_error err;
	time_t t;
	size_t i;
	char buf[BACKUP_ID_SIZE];

	for (i = 0; i < sizeof good_ids / sizeof good_ids[0]; i++) {
		ok(backup_id_valid(good_ids[i]), "valid id %s", good_ids[i]);
		error_clear(&err);
		t = (time_t)-1;
		is_int(backup_id_parse(good_ids[i], &t, &err), 0, "parse %s", good_ids[i]);
		backup_id_format(t, buf);
		is_str(buf, good_ids[i], "... and formats back to itself");
	}
	for (i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
		ok(!backup_id_valid(bad_ids[i]), "invalid id \"%s\"", bad_ids[i]);
		error_clear(&err);
		is_int(backup_id_parse(bad_ids[i], &t, &err), -1, "parse refuses \"%s\"", bad_ids[i]);
		is_int(err.code, VS_ERR_USAGE, "... with a usage error");
		ok(strstr(err.msg, "YYYYMMDD_HHMMSS") != NULL,
		    "... whose message shows the expected form: %s", err.msg);
	}
	ok(!backup_id_valid(NULL), "NULL is not a backup id");
	error_clear(&err);
	is_int(backup_id_parse(NULL, &t, &err), -1, "parse refuses NULL");

	is_int(backup_id_parse("20240215_120000", &t, NULL), 0, "parse without an error struct");
	is_int(t, utc(2024, 2, 15, 12, 0, 0), "20240215_120000 is 2024-02-15 12:00:00 UTC");
	is_int(backup_id_parse("20240215_120000", &t, &err) == 0 &&
	    t == 1707998400, 1, "... which is 1707998400");
	is_int(backup_id_parse("nonsense", &t, NULL), -1, "a bad id without an error struct");

	error_clear(&err);
	backup_id_parse("20240230_000000", &t, &err);
	ok(strstr(err.msg, "20240230_000000") != NULL, "the message names the id: %s", err.msg);

	backup_id_format(0, buf);
	is_str(buf, "19700101_000000", "format the epoch");
	backup_id_format(utc(2024, 3, 1, 0, 0, 1), buf);
	is_str(buf, "20240301_000001", "format 2024-03-01 00:00:01");
	is_int(strlen(buf), BACKUP_ID_SIZE - 1, "an id is BACKUP_ID_SIZE - 1 characters");
}

static void
test_time_parse(void)
{
	static const struct {
		const char *s;
		int y, mo, d, h, mi, sec;
	} good[] = {
		{ "2024-02-15T12:00:00Z", 2024, 2, 15, 12, 0, 0 },
		{ "2024-02-15T12:00:00", 2024, 2, 15, 12, 0, 0 },
		{ "2024-02-15 12:34:56", 2024, 2, 15, 12, 34, 56 },
		{ "2024-02-15", 2024, 2, 15, 0, 0, 0 },
		{ "2024-02-29", 2024, 2, 29, 0, 0, 0 },
		{ "20240215_120000", 2024, 2, 15, 12, 0, 0 },
		{ "1970-01-01T00:00:00Z", 1970, 1, 1, 0, 0, 0 },
		{ "2024-12-31T23:59:59Z", 2024, 12, 31, 23, 59, 59 },
	};
	static const char *const bad[] = {
		"",
		"now",
		"2024",
		"2024-02",
		"2024-2-15",
		"2024-02-15T",
		"2024-02-15T12:00",
		"2024-02-15T12:00:00+01:00",
		"2024-02-15T12:00:00ZZ",
		"2024-02-15X12:00:00Z",
		"2024-02-15T12-00-00Z",
		"2024-02-30",
		"2023-02-29",
		"2024-13-01",
		"2024-00-10",
		"2024-02-15T25:00:00Z",
		"2024-02-15T24:00:00Z",
		"2024-02-15T12:60:00Z",
		"2024-02-15T12:00:60Z",
		"1969-12-31T23:59:59Z",
		"20240230_000000",
		"2024/02/15",
		"15-02-2024",
		" 2024-02-15",
		"2024-02-15 ",
	};
	struct vs_error err;
	time_t t;
	size_t i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		error_clear(&err);
		t = (time_t)-1;
		if (!ok(time_parse(good[i].s, &t, &err) == 0, "time_parse \"%s\"", good[i].s))
			printf("#   error: %s\n", err.msg);
		is_int(t, utc(good[i].y, good[i].mo, good[i].d, good[i].h, good[i].mi,
		    good[i].sec), "... is the right UTC time");
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		error_clear(&err);
		is_int(time_parse(bad[i], &t, &err), -1, "time_parse refuses \"%s\"", bad[i]);
		is_int(err.code, VS_ERR_USAGE, "... with a usage error");
		ok(*err.msg != '\0' && strstr(err.msg, bad[i]) != NULL,
		    "... naming the text: %s", err.msg);
	}
	is_int(time_parse("garbage", &t, NULL), -1, "refuses without an error struct");
}

static void
test_format_iso(void)
{
	char buf[ISO8601_SIZE];
	time_t t;

	time_format_iso(0, buf);
	is_str(buf, "1970-01-01T00:00:00Z", "the epoch in ISO 8601");
	time_format_iso(utc(2024, 2, 15, 12, 0, 0), buf);
	is_str(buf, "2024-02-15T12:00:00Z", "2024-02-15 12:00 UTC in ISO 8601");
	time_format_iso(utc(2024, 2, 29, 23, 59, 59), buf);
	is_str(buf, "2024-02-29T23:59:59Z", "the last second of a leap day");
	is_int(strlen(buf), ISO8601_SIZE - 1, "ISO 8601 is ISO8601_SIZE - 1 characters");

	/* Output is UTC whatever the local zone is. */
	setenv("TZ", "America/New_York", 1);
	tzset();
	{
		time_t j = utc(2024, 7, 1, 3, 0, 0);
		struct tm tm;

		localtime_r(&j, &tm);
		ok(tm.tm_mday == 30 && tm.tm_hour == 23,
		    "the zone America/New_York is in effect (tzdata is installed)");
	}
	time_format_iso(utc(2024, 7, 1, 3, 0, 0), buf);
	is_str(buf, "2024-07-01T03:00:00Z", "UTC output with TZ=America/New_York");
	is_int(time_parse("2024-07-01T03:00:00Z", &t, NULL), 0, "parse with TZ set");
	is_int(t, utc(2024, 7, 1, 3, 0, 0), "... and the time is still UTC");
	setenv("TZ", "UTC", 1);
	tzset();

	/* What time_format_iso writes, time_parse reads back. */
	for (t = 0; t < (time_t)4102444800LL; t += (time_t)86400 * 397 + 3661) {
		time_t back = (time_t)-1;

		time_format_iso(t, buf);
		if (time_parse(buf, &back, NULL) != 0 || back != t) {
			ok(0, "round trip through %s", buf);
			return;
		}
	}
	ok(1, "ISO 8601 round trip for dates from 1970 to 2100");

	/* Times read from files can be anything: the buffer stays a string
	 * of its size (ASan watches it) and says the time is unknown. */
	{
		const long long odd[] = { 253402300800LL, -62167219201LL, 67768036191676800LL,
			(long long)(~0ULL >> 1) };
		char id[BACKUP_ID_SIZE];

		for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
			memset(buf, 'x', sizeof buf);
			time_format_iso((time_t)odd[i], buf);
			is_str(buf, "\?\?\?\?-\?\?-\?\?T\?\?:\?\?:\?\?Z", "time %lld (outside years 0-9999) is shown as unknown",
			    odd[i]);
			memset(id, 'x', sizeof id);
			backup_id_format((time_t)odd[i], id);
			is_str(id, "\?\?\?\?\?\?\?\?_\?\?\?\?\?\?", "  also as a backup id");
		}
		time_format_iso((time_t)253402300799LL, buf);
		is_str(buf, "9999-12-31T23:59:59Z", "the last second of year 9999 is shown");
	}
}

static void
test_format_age(void)
{
	char buf[64];

	time_format_age(8, buf, sizeof buf);
	is_str(buf, "8s", "8 seconds");
	time_format_age(12 * 60 + 3, buf, sizeof buf);
	is_str(buf, "12m 3s", "12 minutes 3 seconds");
	time_format_age(5 * 3600 + 10 * 60 + 7, buf, sizeof buf);
	is_str(buf, "5h 10m", "5 hours 10 minutes");
	time_format_age(3 * 86400 + 4 * 3600 + 59, buf, sizeof buf);
	is_str(buf, "3d 4h", "3 days 4 hours");
	time_format_age(0, buf, sizeof buf);
	is_str(buf, "0s", "zero");
	time_format_age(-90, buf, sizeof buf);
	is_str(buf, "-1m 30s", "a negative age (clock skew) keeps its sign");
	time_format_age(5, buf, 2);
	is_str(buf, "5", "truncated to the buffer");
}

static void
test_now(void)
{
	time_t before, t;

	setenv("VSBACKUP_NOW", "2024-02-15T12:00:00Z", 1);
	is_int(time_now(), utc(2024, 2, 15, 12, 0, 0), "VSBACKUP_NOW in ISO 8601");
	setenv("VSBACKUP_NOW", "20240301_000000", 1);
	is_int(time_now(), utc(2024, 3, 1, 0, 0, 0), "VSBACKUP_NOW as a backup id");
	setenv("VSBACKUP_NOW", "2024-03-04", 1);
	is_int(time_now(), utc(2024, 3, 4, 0, 0, 0), "VSBACKUP_NOW as a date");

	/* A bad value must not move the clock to 1970 or anywhere else. */
	before = time(NULL);
	setenv("VSBACKUP_NOW", "yesterday", 1);
	t = time_now();
	ok(t >= before && t <= time(NULL) + 1, "a bad VSBACKUP_NOW falls back to the clock");
	setenv("VSBACKUP_NOW", "", 1);
	t = time_now();
	ok(t >= before && t <= time(NULL) + 1, "an empty VSBACKUP_NOW is the clock");
	unsetenv("VSBACKUP_NOW");
	t = time_now();
	ok(t >= before && t <= time(NULL) + 1, "without VSBACKUP_NOW, the clock");
}

int
main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	test_backup_ids();
	test_time_parse();
	test_format_iso();
	test_format_age();
	test_now();
	return tap_done();
}
