/* The posix driver: backup_dir on this host's file system. */
#ifndef VS_STORAGE_POSIX_H
#define VS_STORAGE_POSIX_H

#include "config/conf.h"

/* The kind of location of backup_dir, for the table of drivers. */
extern const struct config_driver storage_posix_kind;

#endif
