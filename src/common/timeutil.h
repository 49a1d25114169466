/* Time as the tool sees it: UTC, ISO 8601, backup ids, and an injectable
 * "now" (VSBACKUP_NOW) so drills and tests can fix the clock. */
#ifndef VS_TIMEUTIL_H
#define VS_TIMEUTIL_H

#include <stddef.h>
#include <time.h>

#include "common/error.h"

/* Length of a backup id "YYYYMMDD_HHMMSS" plus its NUL. */
#define BACKUP_ID_SIZE 16
/* Length of "YYYY-MM-DDTHH:MM:SSZ" plus its NUL. */
#define ISO8601_SIZE 21

/* The current time: VSBACKUP_NOW when set (any form time_parse accepts),
 * else the system clock. */
time_t time_now(void);

/* Parse "YYYY-MM-DDTHH:MM:SSZ", "YYYY-MM-DD HH:MM:SS", "YYYY-MM-DD"
 * (midnight) or a backup id; all UTC. */
int time_parse(const char *s, time_t *out, struct vs_error *err);

/* Format t as ISO 8601 UTC ("2024-02-15T12:00:00Z"). */
void time_format_iso(time_t t, char out[ISO8601_SIZE]);

/* Format t as a backup id ("20240215_120000", UTC). */
void backup_id_format(time_t t, char out[BACKUP_ID_SIZE]);

/* Is s exactly a valid backup id (digits in place, a real calendar date)?
 * Anything else must never be used to build a path. */
int backup_id_valid(const char *s);

/* Parse a backup id into a time; -1 with an error naming it when invalid. */
int backup_id_parse(const char *s, time_t *out, struct vs_error *err);

/* Format a duration in seconds as "3d 4h", "5h 10m", "12m 3s", "8s". */
void time_format_age(long long seconds, char *out, size_t outsz);

#endif
