/* A minimal TAP producer for the unit tests: each check prints
 * "ok N - what" or "not ok N - what"; tests/run counts them. */
#ifndef VS_TAP_H
#define VS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int tap_n, tap_failed;

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...) do {                                            \
	long long g_ = (long long)(got), w_ = (long long)(want);               \
	if (!ok(g_ == w_, __VA_ARGS__))                                        \
		printf("#   got %lld, want %lld\n", g_, w_);                   \
} while (0)
#define is_str(got, want, ...) do {                                            \
	const char *g_ = (got), *w_ = (want);                                  \
	if (!ok(g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0, __VA_ARGS__)) \
		printf("#   got \"%s\"\n#  want \"%s\"\n", g_ ? g_ : "(null)",   \
		    w_ ? w_ : "(null)");                                       \
} while (0)

static int __attribute__((format(printf, 4, 5)))
tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%s %d - ", pass ? "ok" : "not ok", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!pass) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return pass;
}

/* A UTC time from calendar fields (for the tests of dates and schedules). */
static inline time_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return timegm(&tm);
}

/* Print the plan and return the exit status for main(). */
static int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
