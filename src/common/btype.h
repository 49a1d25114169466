/* Backup types and the schedule that assigns them. */
#ifndef VS_BTYPE_H
#define VS_BTYPE_H

#include <time.h>

enum backup_type {
	BACKUP_DAILY,
	BACKUP_WEEKLY,
	BACKUP_MONTHLY,
	BACKUP_MANUAL,
	BACKUP_PRE_RESTORE,
	BACKUP_TYPE__COUNT
};

/* "daily", "weekly", "monthly", "manual", "pre-restore" (never translated:
 * they are stored in metadata.json). */
const char *backup_type_name(enum backup_type type);

/* Parse a name; -1 when it is not one. */
int backup_type_parse(const char *name, enum backup_type *out);

/* The seed's schedule for a backup made at t (UTC): monthly on the 1st of a
 * month, weekly on a Monday, daily otherwise; monthly wins on a Monday 1st. */
enum backup_type backup_type_for_time(time_t t);

#endif
