#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "common/timeutil.h"

static int
digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static int
num(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

static int
days_in_month(int year, int month)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : dm[month - 1];
}

/* Build a UTC time from calendar fields after checking their ranges. */
static int
make_utc(int y, int mo, int d, int h, int mi, int s, time_t *out)
{
	struct tm tm;

	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
	    d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 59)
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	*out = timegm(&tm);
	return 0;
}

int
backup_id_valid(const char *s)
{
	time_t t;

	if (s == NULL || strlen(s) != BACKUP_ID_SIZE - 1 || !digits(s, 8) ||
	    s[8] != '_' || !digits(s + 9, 6))
		return 0;
	return make_utc(num(s, 4), num(s + 4, 2), num(s + 6, 2), num(s + 9, 2),
	    num(s + 11, 2), num(s + 13, 2), &t) == 0;
}

int
backup_id_parse(const char *s, time_t *out, struct vs_error *err)
{
	if (!backup_id_valid(s))
		return error_set(err, VS_ERR_USAGE,
		    _("'%s' is not a backup id: expected YYYYMMDD_HHMMSS (UTC), e.g. 20240215_120000"),
		    s == NULL ? "" : s);
	return make_utc(num(s, 4), num(s + 4, 2), num(s + 6, 2), num(s + 9, 2),
	    num(s + 11, 2), num(s + 13, 2), out);
}

int
time_parse(const char *s, time_t *out, struct vs_error *err)
{
	size_t n = strlen(s);

	if (backup_id_valid(s))
		return backup_id_parse(s, out, err);
	if (n >= 10 && digits(s, 4) && s[4] == '-' && digits(s + 5, 2) &&
	    s[7] == '-' && digits(s + 8, 2)) {
		int y = num(s, 4), mo = num(s + 5, 2), d = num(s + 8, 2);
		int h = 0, mi = 0, sec = 0;

		if (n == 10)
			goto build;
		if ((n == 19 || (n == 20 && s[19] == 'Z')) &&
		    (s[10] == 'T' || s[10] == ' ') && digits(s + 11, 2) &&
		    s[13] == ':' && digits(s + 14, 2) && s[16] == ':' &&
		    digits(s + 17, 2)) {
			h = num(s + 11, 2);
			mi = num(s + 14, 2);
			sec = num(s + 17, 2);
			goto build;
		}
		goto bad;
build:
		if (make_utc(y, mo, d, h, mi, sec, out) == 0)
			return 0;
	}
bad:
	return error_set(err, VS_ERR_USAGE,
	    _("'%s' is not a date and time: expected YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DD (UTC)"), s);
}

time_t
time_now(void)
{
	const char *env = getenv("VSBACKUP_NOW");
	time_t t;

	if (env != NULL && *env != '\0' && time_parse(env, &t, NULL) == 0)
		return t;
	return time(NULL);
}

/* A time read from a file may lie outside years 0 to 9999, which do not
 * fit the format: then the output says so rather than being cut. */
void
time_format_iso(time_t t, char out[ISO8601_SIZE])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900 ||
	    strftime(out, ISO8601_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, ISO8601_SIZE, "%s", "\?\?\?\?-\?\?-\?\?T\?\?:\?\?:\?\?Z");
}

void
backup_id_format(time_t t, char out[BACKUP_ID_SIZE])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900 ||
	    strftime(out, BACKUP_ID_SIZE, "%Y%m%d_%H%M%S", &tm) == 0)
		snprintf(out, BACKUP_ID_SIZE, "%s", "\?\?\?\?\?\?\?\?_\?\?\?\?\?\?");
}

void
time_format_age(long long s, char *out, size_t outsz)
{
	const char *sign = s < 0 ? "-" : "";

	if (s < 0)
		s = -s;
	if (s >= 86400)
		snprintf(out, outsz, "%s%lldd %lldh", sign, s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(out, outsz, "%s%lldh %lldm", sign, s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(out, outsz, "%s%lldm %llds", sign, s / 60, s % 60);
	else
		snprintf(out, outsz, "%s%llds", sign, s);
}
