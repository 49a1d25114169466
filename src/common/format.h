/* Numbers and times as people read them, for the CLI and the TUI alike. */
#ifndef VS_FORMAT_H
#define VS_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* "512 B", "1.5 GiB" */
void format_bytes(uint64_t n, char *out, size_t outsz);

/* "2024-02-15 13:00:00" in the local time zone; "-" for 0. */
void format_local_time(time_t t, char *out, size_t outsz);

/* s padded with spaces to width display columns (a negative width pads on
 * the left): printf's %-10s counts bytes, so "GRÖSSE" would come out a
 * column short. Longer text is kept whole. */
void format_pad(char *out, size_t outsz, const char *s, int width);

/* The display width of a UTF-8 string (its byte length when it is not
 * valid in the current locale). */
int format_width(const char *s);

/* The terminal can show UTF-8: the locale's codeset is UTF-8 and
 * VSBACKUP_ASCII is not set. */
bool format_utf8(void);

/* "→" on a UTF-8 terminal, else "->". */
const char *format_arrow(void);

/* A duration rounded to the second: "45s", "3m 20s", "2h 5m". */
void format_seconds(double seconds, char *out, size_t outsz);

#endif
