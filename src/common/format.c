#include "config.h"

#include <langinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "common/format.h"
#include "common/timeutil.h"

void
format_bytes(uint64_t n, char *out, size_t outsz)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)n;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, outsz, "%llu B", (unsigned long long)n);
	else
		snprintf(out, outsz, "%.1f %s", v, units[u]);
}

void
format_local_time(time_t t, char *out, size_t outsz)
{
	struct tm tm;

	if (t == 0) {
		snprintf(out, outsz, "-");
		return;
	}
	localtime_r(&t, &tm);
	strftime(out, outsz, "%Y-%m-%d %H:%M:%S", &tm);
}

int
format_width(const char *s)
{
	mbstate_t st;
	const char *p = s;
	int w = 0;

	memset(&st, 0, sizeof st);
	while (*p != '\0') {
		wchar_t wc;
		size_t n = mbrtowc(&wc, p, strlen(p), &st);
		int cw;

		if (n == (size_t)-1 || n == (size_t)-2)
			return (int)strlen(s);
		cw = wcwidth(wc);
		w += cw > 0 ? cw : 0;
		p += n;
	}
	return w;
}

void
format_pad(char *out, size_t outsz, const char *s, int width)
{
	int left = width < 0, target = left ? -width : width;
	int pad = target - format_width(s);

	if (pad < 0)
		pad = 0;
	if (left)
		snprintf(out, outsz, "%*s%s", pad, "", s);
	else
		snprintf(out, outsz, "%s%*s", s, pad, "");
}

bool
format_utf8(void)
{
	const char *ascii = getenv("VSBACKUP_ASCII"), *cs = nl_langinfo(CODESET);

	return cs != NULL && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0) &&
	    (ascii == NULL || *ascii == '\0' || strcmp(ascii, "0") == 0);
}

const char *
format_arrow(void)
{
	return format_utf8() ? "\u2192" : "->";
}

void
format_seconds(double seconds, char *out, size_t outsz)
{
	if (seconds < 0)
		seconds = 0;
	time_format_age((long long)(seconds + 0.5), out, outsz);
}
