/*
 * The pre-flight checks of a live restore, shared by the restore job (which
 * stops at the first failing one) and the front end's restore wizard (which
 * shows them all): the start and stop commands (their programs exist), the
 * right to SHUTDOWN Redis when no stop command is set, Redis or its data
 * directory, write access (a file made, renamed and removed) in every
 * directory the restore writes to, with owners it can keep, free space for
 * the snapshot, the indexes and the safety backup, the lock. They change
 * nothing live: what they make to prove a right is removed at once.
 */
#ifndef VS_PREFLIGHT_H
#define VS_PREFLIGHT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "engine/engine.h"
#include "jobs/journal.h"
#include "manifest/manifest.h"

#define PREFLIGHT_MAX 16

struct preflight_check {
	char what[96];
	bool ok;
	bool nospace;             /* failed for want of disk space */
	char detail[VS_ERROR_MSG_MAX];
};

struct preflight {
	struct preflight_check checks[PREFLIGHT_MAX];
	int n;
	bool ok;                  /* every check passed */
	uint64_t live_bytes;      /* size of the live files (the safety backup) */
};

struct preflight_input {
	const struct manifest *m; /* the backup to restore */
	bool safety;              /* a safety backup will be taken */
	bool download;            /* the backup comes from S3 into backup_dir */
	bool check_lock;          /* also check that backup_dir's lock is free */
	bool redis_stopped;       /* a resumed restore stopped Redis already */
};

/* Run the checks into *out; j receives what was learnt about the server
 * (data dir, file name, AOF). Returns -1 only when cancelled. */
int restore_preflight(struct job *job, const struct preflight_input *in, struct journal *j,
    struct preflight *out, struct vs_error *err);

/* The first failing check as an error (VS_ERR_REFUSED or VS_ERR_NOSPACE);
 * 0 when all passed. */
int preflight_error(const struct preflight *p, struct vs_error *err);

#endif
