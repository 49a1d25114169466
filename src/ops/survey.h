/*
 * What health checks and metrics know about the backups: the catalog of
 * every location, and from it, per location, the counts by type and the
 * newest complete backup; the newest backup with a passed verification;
 * the free space in backup_dir. Taken once, read by both.
 */
#ifndef VS_OPS_SURVEY_H
#define VS_OPS_SURVEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/btype.h"
#include "config/conf.h"
#include "jobs/catalog.h"

struct job;

struct ops_location {
	const char *name;         /* the location's (the catalog's) */
	const char *label;
	const char *where;        /* backup_dir, "s3://bucket/prefix" */
	bool configured;          /* always: every location of the catalog is */
	bool listed;              /* the listing worked */
	char *error;              /* else why not */
	size_t complete;          /* complete backups with readable metadata */
	size_t by_type[BACKUP_TYPE__COUNT];
	size_t incomplete;        /* partial, or metadata missing or unreadable */
	size_t pinned;
	uint64_t bytes;           /* total size of the complete backups */
	/* The newest complete backup here (by creation time), or NULL. */
	const struct catalog_entry *newest;
	const struct catalog_copy *newest_copy;
};

struct ops_survey {
	time_t now;               /* time_now() when taken */
	struct catalog *cat;
	bool borrowed;            /* cat belongs to the caller (ops_survey_of) */
	struct ops_location *locs; /* one per location of the configuration */
	size_t nloc;
	/* The newest backup whose last verification passed (either copy). */
	const struct catalog_entry *verified;
	const struct catalog_copy *verified_copy;
	/* The most recent verification of any backup, and its copy. */
	const struct catalog_entry *last_verify;
	const struct catalog_copy *last_verify_copy;
	/* The most recent restore drill of any backup, and the most recent
	 * one that passed (NULL: none). */
	const struct catalog_entry *last_drill;
	const struct drill_record *last_drill_rec;
	const struct catalog_entry *drilled;
	const struct drill_record *drilled_rec;
	bool have_free;
	uint64_t free_bytes;      /* free for unprivileged users in backup_dir */
	char *free_error;
};

/* List every location and work out the facts
 * above. Never fails as a whole: what could not be read is recorded in
 * the location's error. job may be NULL (outside the engine); with a job,
 * listing warnings go to its log and cancellation is honoured. */
void ops_survey_take(const struct config *cfg, struct job *job, struct ops_survey *out);

void ops_survey_clear(struct ops_survey *s);

/* The same facts from a catalog the caller has already read (a front end
 * keeps one): cat is borrowed and must outlive s; the free space is the
 * caller's to fill (have_free, free_bytes). */
void ops_survey_of(const struct config *cfg, struct catalog *cat, time_t now,
    struct ops_survey *out);

/* Seconds from t to the survey's now (0 when t is in the future). */
long long ops_survey_age(const struct ops_survey *s, time_t t);

#endif
