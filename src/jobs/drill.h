/*
 * Shared by the files of the drill job (job-drill.c, drill-redis.c,
 * drill-index.c, drill-report.c): its context and its checks. A drill
 * restores a backup into a sandbox (src/drill) and checks that the result
 * is a working, self-consistent vector store; nothing live is touched.
 */
#ifndef VS_JOBS_DRILL_H
#define VS_JOBS_DRILL_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "drill/probe.h"
#include "drill/sandbox.h"
#include "jobs/jobs.h"
#include "manifest/drill-record.h"

/* id, checklist text */
#define DRILL_STEPS(X)                                                     \
	X(DRILL_STEP_FETCH, N_("copy the backup into the sandbox"))         \
	X(DRILL_STEP_CHECKSUMS, N_("check the copies' checksums"))          \
	X(DRILL_STEP_REDIS, N_("load the RDB into a private Redis"))        \
	X(DRILL_STEP_DOCS, N_("count the keys and read the documents"))     \
	X(DRILL_STEP_CONTENT, N_("load and check the content index"))       \
	X(DRILL_STEP_USER, N_("load and check the user index"))             \
	X(DRILL_STEP_RECORD, N_("record the result"))

enum drill_step {
#define X(id, text) id,
	DRILL_STEPS(X)
#undef X
	DRILL_NSTEPS
};

/* One index and the prefix whose documents point into it. */
struct drill_side {
	const char *name;             /* "content" or "user" */
	const struct manifest_index *ix;
	const char *prefix;           /* NULL: no prefix maps to it */
	/* The well-formed sampled documents. */
	size_t nsample;
	int64_t *sample_ids;
	float *sample_vecs;
	/* Every document's id (sorted, distinct), when they could be read. */
	bool docs_known;
	size_t ndocs;
	int64_t *docids;
	uint64_t docs_without_id;     /* documents with no readable id */
	uint64_t expired_since;       /* documents with a TTL gone since the backup */
	struct drill_probe_ids shared_ids; /* ids named by several documents */
	struct drill_probe_result probe;
	bool probed;
};

struct drill_ctx {
	struct job *job;
	const struct config *cfg;
	struct drill_report *rep;
	struct storage *st;
	struct manifest m;
	struct drill_sandbox *sb;
	redisContext *redis;          /* the sandbox's server, NULL when it is not up */
	char exe[PATH_MAX];           /* this program, for the probe */
	struct drill_side side[2];
	double phase_start;
};

/* A check's result, and one that could not be made. */
void drill_check(struct drill_ctx *dc, const char *name, const char *subject, bool ok,
    struct cJSON *counts, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void drill_skip(struct drill_ctx *dc, const char *name, const char *subject,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The words of a check for people: "key count chimera-vectors:". */
const char *drill_check_label(const char *name);

/* "17, 23, 40, ..." for a finding's first ids. */
void drill_ids_text(const struct drill_probe_ids *x, char *buf, size_t size);

/* Key counts, DBSIZE and the documents of each prefix (drill-redis.c). */
int drill_redis_checks(struct drill_ctx *dc, struct vs_error *err);

/* Load and check one index through the probe (drill-index.c). */
int drill_index_checks(struct drill_ctx *dc, struct drill_side *s, struct vs_error *err);

/* Seconds on the monotonic clock. */
double drill_now(void);

#endif
