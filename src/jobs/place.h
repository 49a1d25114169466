/* Putting a file from a backup in place on the live system atomically:
 * a temp file beside the target (created exclusively), fsync, rename over
 * it, fsync of the directory. The live file is either the old one or the
 * new one, never a mix. Owner, group and mode are set on the descriptor,
 * never on a path: those of the file being replaced, else those the backup
 * recorded, else the directory's (so a server running as another user can
 * read what a restore run as root writes). */
#ifndef VS_PLACE_H
#define VS_PLACE_H

#include <stdint.h>

#include "common/error.h"
#include "common/fsutil.h"
#include "engine/engine.h"
#include "manifest/manifest.h"
#include "storage/storage.h"

/* The owner, group and mode a file placed at dest gets: those of the
 * regular file it replaces; else recorded (what the backup saw, may be
 * NULL) without execute bits; else its directory's owner and group, and
 * the directory's mode without execute bits or write for others. */
void place_owner(const char *dest, const struct manifest_owner *recorded,
    struct fs_owner *out);

/* Create dir when it is missing, and its missing parents: dir gets
 * recorded (may be NULL) when known, else its parent's owner, group and
 * mode; each parent made on the way takes its own parent's. */
int place_mkdir(const char *dir, const struct manifest_owner *recorded, struct vs_error *err);

/* Copy file of backup id in st to dest with own (NULL: place_owner(dest,
 * NULL)); the directory is made with place_mkdir when missing. Progress
 * under phase. place_stage() then place_commit(). */
int place_file(struct job *job, struct storage *st, const char *id, const char *file,
    uint64_t size, const char *dest, const struct fs_owner *own, const char *phase,
    struct vs_error *err);

/* A file of a backup written and synced beside its destination, not yet
 * in place: a restore writes every file first, so that nothing live
 * changes before all of them are whole and checked (storage_get checks
 * what it reads; for a repository, every chunk and the whole file). */
struct place_staged {
	char *dest;
	char *tmp;                /* NULL: nothing staged */
};

/* The first half of place_file(): the copy, beside dest. */
int place_stage(struct job *job, struct storage *st, const char *id, const char *file,
    uint64_t size, const char *dest, const struct fs_owner *own, const char *phase,
    struct place_staged *out, struct vs_error *err);

/* place_stage(), but the copy is made in dir (as
 * dir/.NAME.vsbackup-XXXXXX, NAME the last part of dest), not beside dest:
 * where nothing may change yet (a stopped server's data directory).
 * Copies staged there before and left by a killed run are removed. */
int place_stage_in(struct job *job, struct storage *st, const char *id, const char *file,
    uint64_t size, const char *dest, const char *dir, const struct fs_owner *own,
    const char *phase, struct place_staged *out, struct vs_error *err);

/* The second half: rename the staged copy over dest (copied beside dest
 * first when it was staged on another file system) and sync the
 * directory. Clears s either way. */
int place_commit(struct place_staged *s, struct vs_error *err);

/* Remove a staged copy that is not to be placed (nothing when s is
 * empty); clears s. */
void place_unstage(struct place_staged *s);

/* The name dest is moved aside to: dest.vsbackup-<suffix>, or with .2,
 * .3, ... appended when that exists (an earlier copy is never replaced). */
char *place_aside_name(const char *dest, const char *suffix);

/* Move dest aside (when it exists) to place_aside_name(dest, suffix); the
 * name chosen in *aside_out (NULL when nothing was moved; may be NULL). */
int place_move_aside(const char *dest, const char *suffix, char **aside_out,
    struct vs_error *err);

#endif
