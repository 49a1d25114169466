#include "config.h"

#include <stdio.h>

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
