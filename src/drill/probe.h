/*
 * The index probe: a FAISS index from a backup is untrusted, so a drill
 * never loads it in its own process. It writes what it wants to know into
 * a request file in the sandbox and runs itself again as "vsbackup
 * drill-probe" (a hidden command), which loads the index under a memory
 * limit, answers with one JSON object on stdout and exits. The probe dies
 * with the drill (PR_SET_PDEATHSIG); a crash or the memory limit while
 * loading is a finding about the index, reported as a failed load.
 *
 * Request file (host byte order): "VSDPRB01", int32 dim, int32 k, uint64
 * n (sampled documents), uint64 m (document ids, sorted, distinct;
 * UINT64_MAX when the documents could not be read), then n int64 ids, n *
 * dim float vectors, m int64 ids.
 */
#ifndef VS_DRILL_PROBE_H
#define VS_DRILL_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"

#define DRILL_PROBE_COMMAND "drill-probe"
#define DRILL_PROBE_FIRST 5        /* example ids kept of each finding */

/* Relative tolerances: a stored vector equals the document's when no
 * component differs by more than this (documents hold decimal text); two
 * search distances are a tie within this. */
#define DRILL_VECTOR_TOLERANCE 1e-4
#define DRILL_DISTANCE_TOLERANCE 1e-5

struct drill_probe_request {
	const char *index;          /* the index file in the sandbox */
	int dim;                    /* of the documents' vectors (the backup's metadata) */
	int k;                      /* neighbours asked for (drill.search_k) */
	size_t n;                   /* sampled documents: ids and vectors */
	const int64_t *ids;
	const float *vecs;
	bool docs_known;            /* the ids of every document are known */
	size_t ndocs;
	const int64_t *docids;      /* sorted, distinct */
	uint64_t memory_limit;      /* bytes of address space, 0 none */
};

/* A count and the first few ids it counts. */
struct drill_probe_ids {
	uint64_t count;
	int64_t first[DRILL_PROBE_FIRST];
	size_t nfirst;
};

struct drill_probe_result {
	bool loaded;
	char *error;                /* why not: FAISS's message, or how the probe died */
	double load_seconds;
	double check_seconds;
	int64_t ntotal;
	int dim;
	int metric;                 /* enum faiss_metric */
	char kind[16];
	bool exact_search;
	bool exact_storage;
	uint64_t index_ids;         /* ids the index holds */
	struct drill_probe_ids index_dup;  /* ids the index holds more than once */
	/* The sample (skipped when the dimensions differ). */
	bool sample_checked;
	struct drill_probe_ids missing;    /* sampled ids not in the index */
	bool compared;              /* stored vectors compared with the documents' */
	char *compare_note;         /* why not */
	uint64_t ncompared;
	struct drill_probe_ids differ;
	double max_diff;
	bool searched;
	bool unit_norm;             /* every sampled vector has length 1 */
	int k;
	uint64_t nsearched, rank1, topk;
	struct drill_probe_ids not_found;  /* own id not within the top k */
	/* Every document against every index id (when docs_known). */
	bool divergence;
	struct drill_probe_ids docs_missing;   /* document ids the index lacks */
	struct drill_probe_ids unreferenced;   /* index ids no document names */
};

/* Run the probe for rq: the program at exe (this one), request and error
 * files named after name in the sandbox dir. 0 when it answered (loaded
 * or not: res says), -1 when it could not be run or was cancelled. */
int drill_probe_run(const char *exe, const char *dir, const char *name,
    const struct drill_probe_request *rq, bool (*cancelled)(void *ud), void *ud,
    struct drill_probe_result *res, struct vs_error *err);

void drill_probe_result_clear(struct drill_probe_result *res);

/* The hidden command's work, in the probe process: read the request, load
 * the index and print the answer to out. Returns the exit status. */
int drill_probe_main(const char *request, const char *index, uint64_t memory_limit, FILE *out);

#endif
