/*
 * The deduplicating repository (format 2): every backup a complete
 * snapshot, stored as the chunks no earlier backup already stored. The
 * same layout on local disk and in S3, under "repository/" of the storage
 * (doc/FORMAT describes every object):
 *
 *   repository/config                  format, chunker, encryption (JSON)
 *   repository/keys/{name}             the master keys wrapped by a passphrase
 *   repository/packs/{xx}/{sha256}     chunks, stored (compressed, sealed)
 *   repository/index/{sha256}          where each chunk is
 *   repository/manifests/{backup id}   one per backup, written last
 *   repository/pins/{backup id}        a pinned backup
 *   repository/verify/{backup id}      the last verification's record
 *   repository/drills/{backup id}      its restore drills' records
 *   repository/locks/{name}            writers and collectors at work
 *
 * Everything but pins, verification and drill records and locks is
 * immutable once written. A backup exists when its manifest does; packs and index files
 * go first, the manifest last. Garbage collection (gc.c) removes what no
 * manifest references, in two phases (doc/FORMAT, "Deleting").
 */
#ifndef VS_REPO_H
#define VS_REPO_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "config/conf.h"
#include "engine/engine.h"
#include "filter/filter.h"
#include "manifest/manifest.h"
#include "storage/storage.h"

struct repo;
struct repo_writer;
struct chunker;

/* Kinds of chunks: each kind goes into packs of its own (they live for
 * different lengths of time). */
enum repo_kind { REPO_KIND_RDB, REPO_KIND_FAISS, REPO_KIND_META, REPO_NKINDS };

/* Is there a repository in st? 1 yes, 0 no, -1 error. */
int repo_exists(struct storage *st, struct vs_error *err);

/* Open the repository in st. create: make one when there is none (the
 * configuration says how; with a passphrase it is encrypted). For an
 * encrypted one the passphrase comes from repository.passphrase_file or
 * VSBACKUP_PASSPHRASE. template: when creating, copy the config and keys
 * of this other repository (the same repository in two places). */
int repo_open(const struct config *cfg, struct storage *st, bool create,
    struct repo *template, struct repo **out, struct vs_error *err);
void repo_close(struct repo *r);

/* Open the repository of the local storage st for a backup, creating it
 * when missing: as a copy of the S3 repository's config and keys when S3
 * is configured and holds one (the same repository in both places, so
 * uploads send only what S3 lacks), else a new one. */
int repo_open_local(const struct config *cfg, struct storage *st, struct repo **out,
    struct vs_error *err);

/* The repository's id (32 hex digits) and whether it is encrypted. */
const char *repo_id(const struct repo *r);
bool repo_encrypted(const struct repo *r);
struct storage *repo_storage(const struct repo *r);

/* --- writing a backup (writer.c) --- */

/* Start writing backup id. */
int repo_writer_begin(struct repo *r, struct job *job, const char *id,
    struct repo_writer **out, struct vs_error *err);

/* A format reader in front of the chunker: called with the chunker once
 * the chain is built, so it can give record hints. */
typedef void (*repo_attach_fn)(void *ud, struct chunker *c);

/* Store one file from fd (size bytes): its SHA-256 and recipe go into mf.
 * front (owned by the writer from here on) sees the bytes before the
 * chunker; attach connects a format reader to the chunker. */
int repo_writer_file(struct repo_writer *w, enum repo_kind kind, const char *name, int fd,
    uint64_t size, struct filter *front, repo_attach_fn attach, void *attach_ud,
    const struct storage_progress *progress, struct manifest_file *mf,
    struct vs_error *err);

/* Where the bytes of a file come from when its size is known only at its
 * end: a file that is still being written. read() puts up to len bytes of
 * offset off into buf and sets *got; it waits while more is to come, and
 * sets *got to 0 only at the end of the complete file. */
struct repo_source {
	int (*read)(void *ud, void *buf, size_t len, uint64_t off, size_t *got,
	    struct vs_error *err);
};

/* repo_writer_file() reading from src (src_ud its argument). */
int repo_writer_stream(struct repo_writer *w, enum repo_kind kind, const char *name,
    const struct repo_source *src, void *src_ud, struct filter *front,
    repo_attach_fn attach, void *attach_ud, const struct storage_progress *progress,
    struct manifest_file *mf, struct vs_error *err);

/* Finish: packs, index, then the manifest of m (format 2 filled in).
 * Frees w whatever the result. */
int repo_writer_commit(struct repo_writer *w, struct manifest *m, struct vs_error *err);

/* Give up; what was stored is left for garbage collection. Frees w. */
void repo_writer_abort(struct repo_writer *w);

/* Is backup id in the repository of st? 1 yes, 0 no, -1 error. One
 * request for its manifest; nothing of the repository is loaded. */
int repo_has_backup(struct storage *st, const char *id, struct vs_error *err);

/* --- backups in the repository (view.c) --- */

/* The backup ids in the repository of st, sorted (free each and the
 * array); *n may be 0. */
int repo_list_backups(struct storage *st, char ***ids, size_t *n, struct vs_error *err);

/* The manifest of a backup as JSON (metadata.json of format 2). */
int repo_read_manifest(struct repo *r, const char *id, char **json, size_t *len,
    struct vs_error *err);
int repo_load_manifest(struct repo *r, const char *id, struct manifest *m,
    struct vs_error *err);

/* Write file of backup m into fd at 0 (size bytes), checking each chunk
 * and the file's SHA-256. */
int repo_restore_file(struct repo *r, const struct manifest *m, const char *file, int fd,
    const struct storage_progress *progress, struct vs_error *err);

/* What reading every chunk a file uses found. */
struct repo_file_check {
	uint64_t chunks;          /* distinct chunks (the recipe's own included) */
	uint64_t bad;             /* damaged or missing */
	uint64_t bytes;           /* stored bytes read */
	char first[512];          /* the first problem, "" when none */
};

/* Read and check exactly the chunks file of backup m uses (its recipe's
 * too): each decodes and matches its id. -1 only when the check cannot
 * run (storage failure, cancel); damage is counted in out. */
int repo_check_file(struct repo *r, const struct manifest *m, const char *file,
    const struct storage_progress *progress, struct repo_file_check *out,
    struct vs_error *err);

/* Check that every chunk file of backup m uses is indexed in a pack that
 * exists, reading no chunk but the recipe's own: the check before a
 * restore, whose reads then check every chunk and the whole file. Like
 * repo_check_file, damage (missing chunks and packs) is counted in out
 * (chunks: of the file, in its order, one used twice counted twice;
 * bytes: of the packs' stored chunks it found). When all are there, where
 * they are is kept for the restore of the file that follows. */
int repo_check_present(struct repo *r, const struct manifest *m, const char *file,
    struct repo_file_check *out, struct vs_error *err);

/* A file of a backup that reading the whole repository found damaged. */
struct repo_damage {
	char id[BACKUP_ID_SIZE];
	char file[32];            /* "" when the manifest itself is unreadable */
	uint64_t bad;             /* chunks it uses that are damaged or missing */
	char first[512];          /* the first problem */
};

struct repo_check_report {
	uint64_t chunks, bad_chunks, packs, bytes;
	size_t backups;
	struct repo_damage *damage;
	size_t ndamage;
};

/* Read every chunk of the repository once, then name every backup and
 * file that uses a damaged or missing one. -1 only when the check cannot
 * run. */
int repo_check_all(struct repo *r, struct job *job, struct repo_check_report *out,
    struct vs_error *err);
void repo_check_report_clear(struct repo_check_report *rep);

/* Copy backup id from the repository of from to that of to (upload,
 * download): the packs with chunks to lacks, an index file for them, the
 * manifest last. to gets a copy of the repository when it has none.
 * *copied: bytes of packs sent. */
int repo_copy_backup(const struct config *cfg, struct job *job, struct storage *from,
    struct storage *to, const char *id, const struct storage_progress *progress,
    uint64_t *copied, struct vs_error *err);

/* Delete backup id's manifest (its data goes at the next collection). */
int repo_remove_backup(struct repo *r, const char *id, struct vs_error *err);

#endif
