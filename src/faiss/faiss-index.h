/*
 * FAISS indexes through the FAISS C API: loading an index to prove it is
 * readable (deep verification), and building the "IDMap,Flat" indexes of the
 * demo batch by batch.
 */
#ifndef VS_FAISS_INDEX_H
#define VS_FAISS_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

/*
 * Load the index at path with FAISS (all of it: this costs as much memory
 * as the index) and report its ntotal and dimension. The header is checked
 * first (faiss_header_read()), so a missing, foreign or truncated file
 * fails with that check's error (VS_ERR_NOTFOUND, VS_ERR_FORMAT). FAISS
 * then reads the file in a child process with limits on memory and CPU
 * (faiss-loader.c): when it cannot load the file, crashes on it or asks
 * for more than the file can hold, the error is VS_ERR_FAISS with the
 * path and what happened. Safe to call from several threads at once.
 * Every program that calls it must call faiss_loader_dispatch() first in
 * main().
 */
int faiss_index_load_info(const char *path, int64_t *ntotal, int *dim,
    struct vs_error *err);

/* The first argument that makes the program the loader child of
 * faiss_index_load_info(). */
#define FAISS_LOADER_ARG "--faiss-index-loader"

/* First thing in main(): when argv starts the loader child, be it (and
 * never return); otherwise return at once. */
void faiss_loader_dispatch(int argc, char **argv);

/*
 * A writer of an "IDMap,Flat" index with the inner-product metric: with
 * unit-length vectors that is cosine similarity, what services storing
 * sentence embeddings use. Vectors are added in batches, so the caller
 * never needs all of them in memory at once (FAISS keeps its own copy).
 */
struct faiss_index_writer;

/* A new, empty writer for vectors of dimension dim. */
int faiss_index_writer_new(int dim, struct faiss_index_writer **out,
    struct vs_error *err);

/* Add n vectors (n * dim floats, row after row) with their ids. */
int faiss_index_writer_add(struct faiss_index_writer *w, size_t n,
    const float *x, const int64_t *ids, struct vs_error *err);

/* The number of vectors added so far. */
int64_t faiss_index_writer_ntotal(const struct faiss_index_writer *w);

/*
 * Write the index to path atomically: into a temporary file in the same
 * directory, fsync, rename over path, fsync of the directory. A reader
 * sees the old file or the complete new one, never a partial one.
 */
int faiss_index_writer_save(struct faiss_index_writer *w, const char *path,
    mode_t mode, struct vs_error *err);

void faiss_index_writer_free(struct faiss_index_writer *w);

/* Stop the thread pool an OpenBLAS starts at load (see blas-threads.c);
 * call once, first thing in main. */
void faiss_blas_threads_stop(void);

#endif
