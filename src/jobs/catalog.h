/*
 * The catalog: every backup found in each location (backup_dir, every S3
 * bucket configured), merged by id, with its parsed metadata, last
 * verification and pin per copy. Locations are numbered as in the
 * configuration (cfg->locations): 0 is local; callers loop over them and
 * never ask which driver a location has.
 */
#ifndef VS_CATALOG_H
#define VS_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/timeutil.h"
#include "config/conf.h"
#include "manifest/drill-record.h"
#include "manifest/manifest.h"
#include "manifest/verify-record.h"
#include "retention/retention.h"
#include "storage/storage.h"

struct job;

struct catalog_copy {
	bool present;
	bool complete;           /* metadata.json exists */
	bool partial;            /* unfinished: never usable */
	uint64_t bytes;          /* of its objects; in a repository, of its files */
	time_t mtime;
	bool has_manifest;       /* metadata.json read and valid */
	struct manifest m;
	char *manifest_error;    /* why metadata.json could not be used */
	char meta_digest[65];    /* SHA-256 of metadata.json, to compare copies */
	bool has_verify;
	struct verify_record verify;
	bool has_drill;
	struct drill_record drill;  /* the last restore drill of this copy */
	bool pinned;
	bool repo_unreadable;    /* in a repository that cannot be read (its error) */
};

struct catalog_entry {
	char id[BACKUP_ID_SIZE];
	struct catalog_copy *copies; /* one per location of the catalog */
	size_t nloc;
	bool disagree;           /* two complete copies' metadata differs */
};

/* The deduplicating repository of one location (format 2). */
struct catalog_repo {
	bool present;
	char *error;                     /* why it cannot be read; NULL when it can */
	uint64_t bytes;                  /* its packs and manifests (read: no error) */
	size_t backups;                  /* backups it holds, readable or not */
	uint64_t logical;                /* their files, added up (of those read) */
};

/* One location of the catalog, as in the configuration. */
struct catalog_location {
	char name[CONFIG_NAME_SIZE];     /* "local", "s3", "eu-west" */
	char label[CONFIG_NAME_SIZE];    /* for people: "local" (translated), "S3", "eu-west" */
	char *where;                     /* backup_dir, "s3://bucket/prefix" */
	bool wanted;                     /* asked for: its listing was tried */
	bool listed;                     /* and worked */
	char *error;                     /* else why not */
	size_t complete;                 /* usable copies found there */
	struct catalog_repo repo;
};

struct catalog {
	struct catalog_entry *entries;   /* sorted by id, oldest first */
	size_t n;
	struct catalog_location *locs;   /* one per configured location */
	size_t nloc;
};

/* An empty catalog with a slot for each location of cfg. */
struct catalog *catalog_new(const struct config *cfg);
void catalog_free(struct catalog *cat);

/* Read one location into cat (merging by id) at its index
 * (storage_index). st's warnings go where its hook says. On failure the
 * location's error is set too. */
int catalog_add_location(struct catalog *cat, struct storage *st, struct vs_error *err);

/* Record that location l was wanted but could not be opened or listed. */
void catalog_location_failed(struct catalog *cat, size_t l, const char *why);

/* Sort and mark disagreements; call after the last catalog_add_location. */
void catalog_finish(struct catalog *cat);

/* The catalog of every location in set (bits as in cfg->locations),
 * each opened for job (its warnings in the job's log, its requests
 * cancelled with it; job may be NULL). A location that cannot be read
 * has its error set; the others are there. */
struct catalog *catalog_read(const struct config *cfg, struct job *job, unsigned set);

/* Did any wanted location fail? Did all of them? */
bool catalog_any_failed(const struct catalog *cat);
bool catalog_all_failed(const struct catalog *cat);

/* Find by id; NULL when absent. */
struct catalog_entry *catalog_find(struct catalog *cat, const char *id);

/* The copy that describes the backup best: the first complete one
 * (nearest first: local, then the order of the configuration). */
const struct catalog_copy *catalog_best(const struct catalog_entry *e);

/* Format 2: the bytes the backup of copy c added to its repository when
 * it was made; 0 for plain backups (format 1). */
uint64_t catalog_copy_added(const struct catalog_copy *c);

/* Is copy c a backup in the repository (format 2)? */
bool catalog_copy_in_repo(const struct catalog_copy *c);

/* How many times the logical size of copy c exceeds what it added
 * ("47.3x"), "" for plain backups. */
void catalog_dedup_text(const struct catalog_copy *c, char *buf, size_t bufsz);

/* The repository of location i (0 .. cat->nloc - 1). */
const struct catalog_repo *catalog_repo_at(const struct catalog *cat, size_t i);

/* Does a location hold a repository? */
bool catalog_has_repo(const struct catalog *cat);

/* Where the backup is: a location's name when it is in one ("local",
 * "eu-west"), "both" when it is in both of two, "all" in every one of
 * more, else the names joined by ","; "" when nowhere. A complete copy
 * counts; unfinished ones count only when there is no complete one. */
const char *catalog_where(const struct catalog *cat, const struct catalog_entry *e,
    char *buf, size_t bufsz);

/*
 * The facts every screen and command asks about a backup, decided here
 * once. The locations are numbered 0 (local) .. cat->nloc - 1, so
 * callers loop over them instead of naming each.
 */

/* The name of location i (as in --location): "local", "s3", "eu-west". */
const char *catalog_location_name(const struct catalog *cat, size_t i);

/* Location i for people: "local" (translated), "S3" (the single S3
 * location of old), else its name. */
const char *catalog_location_label(const struct catalog *cat, size_t i);

/* Copy i of an entry. */
const struct catalog_copy *catalog_copy_at(const struct catalog_entry *e, size_t i);

/* Usable for a restore: present, finished, metadata.json read and valid. */
bool catalog_copy_usable(const struct catalog_copy *c);

/* The parts a usable copy lacks (the live file was missing or unreadable
 * when it was taken, as in a safety backup of a broken state). */
enum catalog_part {
	CATALOG_PART_RDB = 1 << 0,
	CATALOG_PART_CONTENT = 1 << 1,
	CATALOG_PART_USER = 1 << 2,
};
#define CATALOG_NPARTS 3
unsigned catalog_copy_missing(const struct catalog_copy *c);

/* The name of part bit i (0..CATALOG_NPARTS-1): "redis.rdb",
 * "content_index.faiss", "user_index.faiss"; and "the Redis snapshot",
 * "the content index", "the user index" for people (translated). */
const char *catalog_part_file(unsigned part);
const char *catalog_part_text(unsigned part);

/* The missing parts as a list for people: "the content index and the user
 * index" (translated), "" when none. */
void catalog_missing_text(unsigned missing, char *buf, size_t bufsz);

/* A pre-restore safety backup: labelled as such, never the "newest"
 * backup for the RPO, listed after the ordinary ones. */
bool catalog_copy_is_safety(const struct catalog_copy *c);

/* The newest restore drill of the backup (of any copy), or NULL. */
const struct drill_record *catalog_last_drill(const struct catalog_entry *e);

/* The last verification of this copy passed. */
bool catalog_copy_verified(const struct catalog_copy *c);

/* Counts toward "newest" (RPO, health, the header): usable, has every
 * part, not a safety backup. */
bool catalog_copy_counts(const struct catalog_copy *c);

/* The entry's usable copy that describes it best: nearest first; NULL
 * when no copy is usable. */
const struct catalog_copy *catalog_usable(const struct catalog_entry *e);

/* The retention item of one copy (in_use is left false: the caller knows
 * which jobs run). id points into e. */
void catalog_retention_item(const struct catalog_entry *e, const struct catalog_copy *c,
    struct retention_item *it);

/* Retention for every copy of the catalog at now, each location under its
 * own policy (cfg->locations[l].retention), as cleanup decides: out[i *
 * cat->nloc + l] for entry i, location l (only for copies present).
 * in_use (may be NULL) says which backups a running job holds. */
void catalog_retention(const struct catalog *cat, const struct config *cfg, time_t now,
    bool (*in_use)(const char *id, void *ud), void *ud, struct retention_item *items,
    struct retention_decision *out);

/* The newest entry whose copy in one of the locations wanted (bit i for
 * location i) counts (catalog_copy_counts); with verified, whose copy
 * there also passed its last verification. skip is left out (NULL: none).
 * NULL when there is none. */
const struct catalog_entry *catalog_newest(const struct catalog *cat, unsigned locations,
    bool verified, const struct catalog_entry *skip);
#define CATALOG_ALL_LOCATIONS (~0u)

/* What deleting copies of a backup (bit i: location i) loses. */
struct catalog_loss {
	bool pinned;             /* a copy to delete is pinned: refused */
	bool absent;             /* none of the copies to delete exists */
	bool last_copy;          /* no usable copy of the backup is left anywhere */
	bool newest_verified;    /* it is the newest verified backup */
	bool only_verified;      /* no other verified backup is left */
	const struct catalog_entry *next_verified; /* the newest verified after it */
};
void catalog_delete_loss(const struct catalog *cat, const struct catalog_entry *e,
    unsigned locations, struct catalog_loss *out);

/* The loss as one sentence for people ("" when nothing special is lost). */
void catalog_loss_text(const struct catalog_loss *l, const char *id, char *buf,
    size_t bufsz);

#endif
