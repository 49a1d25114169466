/*
 * A loaded FAISS index asked what a restore drill needs to know: which ids
 * it holds, the vector it stores under an id, and what a search for a
 * vector finds. Through the FAISS C API only.
 *
 * The index file comes from a backup, so it is untrusted: load it in a
 * process of its own (the drill's probe, src/drill/probe.c), never in the
 * program that holds the engine.
 */
#ifndef VS_FAISS_INSPECT_H
#define VS_FAISS_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

struct faiss_inspect;

/* Load the index at path (header checked first, as faiss_index_load_info()). */
int faiss_inspect_load(const char *path, struct faiss_inspect **out, struct vs_error *err);

void faiss_inspect_free(struct faiss_inspect *fi);

int faiss_inspect_dim(const struct faiss_inspect *fi);
int64_t faiss_inspect_ntotal(const struct faiss_inspect *fi);

/* enum faiss_metric (faiss-header.h). */
int faiss_inspect_metric(const struct faiss_inspect *fi);

/* The type codes, e.g. "IxMp/IxF2" for an IDMap around a flat index. */
const char *faiss_inspect_kind(const struct faiss_inspect *fi);

/* Does a search compare the query with every vector (flat storage)? Then
 * a stored vector is its own nearest neighbour; otherwise the search is
 * approximate. */
bool faiss_inspect_exact_search(const struct faiss_inspect *fi);

/* Does the index keep the vectors as they were added (flat, IVF-flat,
 * HNSW-flat storage), so a reconstructed vector equals the one added?
 * Quantized storage (PQ, SQ, ...) gives back an approximation only. */
bool faiss_inspect_exact_storage(const struct faiss_inspect *fi);

/* Every id the index holds, sorted ascending (duplicates kept); free
 * *ids. An IDMap's own ids, an IVF's inverted lists, else 0..ntotal-1. */
int faiss_inspect_ids(struct faiss_inspect *fi, int64_t **ids, size_t *n,
    struct vs_error *err);

/*
 * The vector stored under id into out (dim floats). Returns 0, 1 when the
 * index holds no such id, or -1 with err when the index cannot give
 * vectors back (then every later call fails the same way).
 */
int faiss_inspect_reconstruct(struct faiss_inspect *fi, int64_t id, float *out,
    struct vs_error *err);

/* k nearest neighbours of each of the n query vectors in x: labels and
 * distances get n * k entries (label -1 when fewer were found). */
int faiss_inspect_search(struct faiss_inspect *fi, size_t n, const float *x, int k,
    float *distances, int64_t *labels, struct vs_error *err);

#endif
