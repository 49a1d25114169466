#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "common/format.h"

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
