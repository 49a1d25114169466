/* Putting a file from a backup in place on the live system atomically:
 * a temp file beside the target, fsync, rename over it, fsync of the
 * directory. The live file is either the old one or the new one, never a
 * mix. Mode and owner follow the file being replaced (else 0600 and the
 * owner of the directory, so a server running as another user can read
 * it). */
#ifndef VS_PLACE_H
#define VS_PLACE_H

#include <stdint.h>

#include "common/error.h"
#include "engine/engine.h"
#include "storage/storage.h"

/* Copy file of backup id in st to dest. Progress under phase. */
int place_file(struct job *job, struct storage *st, const char *id, const char *file,
    uint64_t size, const char *dest, const char *phase, struct vs_error *err);

/* Move dest aside to dest.vsbackup-<suffix> (when it exists). */
int place_move_aside(const char *dest, const char *suffix, struct vs_error *err);

#endif
