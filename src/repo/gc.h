/*
 * Deleting data: locks that announce writers and collectors, and garbage
 * collection (doc/FORMAT, "Deleting" has the protocol).
 */
#ifndef VS_REPO_GC_H
#define VS_REPO_GC_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "engine/engine.h"
#include "repo/repo.h"

/* Announce an operation (kind "backup", "gc") with a lock object; *name
 * gets its key. Never removes another's lock. */
int repo_lock_take(struct repo *r, const char *kind, char **name, struct vs_error *err);
void repo_lock_release(struct repo *r, const char *name);

struct repo_gc_report {
	bool dry_run;
	uint64_t packs, packs_deleted, packs_repacked, packs_marked;
	uint64_t bytes_total;     /* of every pack before */
	uint64_t bytes_freed;     /* deleted (or, dry run: would be) */
	uint64_t bytes_pending;   /* marked now, deleted by a later run */
	uint64_t chunks_live, chunks_dead;
	bool writers;             /* a backup was writing: its packs were left */
};

/* Collect garbage. Unreferenced packs are marked, and deleted by a later
 * run once the grace period has passed and no backup started before the
 * mark is still writing; packs mostly unused are repacked. */
int repo_gc(struct repo *r, struct job *job, bool dry_run, struct repo_gc_report *rep,
    struct vs_error *err);

#endif
