/* Numbers and times as people read them, for the CLI and the TUI alike. */
#ifndef VS_FORMAT_H
#define VS_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* "512 B", "1.5 GiB" */
void format_bytes(uint64_t n, char *out, size_t outsz);

/* "2024-02-15 13:00:00" in the local time zone; "-" for 0. */
void format_local_time(time_t t, char *out, size_t outsz);

#endif
