/*
 * The table of storage drivers (pgBackRest's storageHelperList): each
 * kind of location names its configuration group, its keys and how to
 * open it (struct config_driver). Nothing above the drivers knows their
 * kinds: the configuration reads each driver's group (a single group or a
 * list of named ones) into locations, and storage_open_at opens location
 * i through its driver. A new driver is its folder and one line here.
 */
#include "config.h"

#include <stddef.h>

#include "config/conf.h"
#include "storage/posix/posix.h"
#include "storage/s3/s3-options.h"

const struct config_driver *const config_drivers[] = {
	&storage_posix_kind,      /* first: backup_dir, always location 0 */
	&storage_s3_kind,
	NULL,
};
