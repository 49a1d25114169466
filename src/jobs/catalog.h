/*
 * The catalog: every backup found in the local backup_dir and in S3,
 * merged by id, with its parsed metadata, last verification and pin.
 */
#ifndef VS_CATALOG_H
#define VS_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/timeutil.h"
#include "config/conf.h"
#include "manifest/manifest.h"
#include "manifest/verify-record.h"
#include "storage/storage.h"

struct catalog_copy {
	bool present;
	bool complete;           /* metadata.json exists */
	bool partial;            /* unfinished: never usable */
	uint64_t bytes;
	time_t mtime;
	bool has_manifest;       /* metadata.json read and valid */
	struct manifest m;
	char *manifest_error;    /* why metadata.json could not be used */
	char meta_digest[65];    /* SHA-256 of metadata.json, to compare copies */
	bool has_verify;
	struct verify_record verify;
	bool pinned;
};

struct catalog_entry {
	char id[BACKUP_ID_SIZE];
	struct catalog_copy local;
	struct catalog_copy s3;
	bool disagree;           /* both copies complete, metadata differs */
};

struct catalog {
	struct catalog_entry *entries;   /* sorted by id, oldest first */
	size_t n;
	bool s3_configured;
	char *local_error;               /* listing failed: why */
	char *s3_error;
};

/* Read one location into cat (merging by id). st's warnings go where its
 * hook says. */
int catalog_add_location(struct catalog *cat, struct storage *st, struct vs_error *err);

/* Sort and mark disagreements; call after the last catalog_add_location. */
void catalog_finish(struct catalog *cat);

struct catalog *catalog_new(void);
void catalog_free(struct catalog *cat);

/* Find by id; NULL when absent. */
struct catalog_entry *catalog_find(struct catalog *cat, const char *id);

/* The copy that describes the backup best: local when complete, else s3. */
const struct catalog_copy *catalog_best(const struct catalog_entry *e);

/* "local", "s3", "both" or "" */
const char *catalog_where(const struct catalog_entry *e);

#endif
