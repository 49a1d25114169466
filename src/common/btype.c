#include "config.h"

#include <string.h>

#include "common/btype.h"

static const char *const backup_type_names[BACKUP_TYPE__COUNT] = {
	[BACKUP_DAILY] = "daily",
	[BACKUP_WEEKLY] = "weekly",
	[BACKUP_MONTHLY] = "monthly",
	[BACKUP_MANUAL] = "manual",
	[BACKUP_PRE_RESTORE] = "pre-restore",
};

const char *
backup_type_name(enum backup_type type)
{
	if ((unsigned)type >= BACKUP_TYPE__COUNT)
		return "unknown";
	return backup_type_names[type];
}

int
backup_type_parse(const char *name, enum backup_type *out)
{
	for (int i = 0; i < BACKUP_TYPE__COUNT; i++) {
		if (strcmp(name, backup_type_names[i]) == 0) {
			*out = (enum backup_type)i;
			return 0;
		}
	}
	return -1;
}

enum backup_type
backup_type_for_time(time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	if (tm.tm_mday == 1)
		return BACKUP_MONTHLY;
	if (tm.tm_wday == 1)
		return BACKUP_WEEKLY;
	return BACKUP_DAILY;
}
