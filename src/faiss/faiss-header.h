/*
 * The header of a FAISS index file, read without loading the index: a few
 * small pread() calls on a descriptor, so memory stays flat however large
 * the index is, and the bytes read are those of the file the descriptor was
 * opened on (a backup opens the index at the capture moment; the service
 * may replace the path by rename afterwards).
 *
 * The layout is FAISS's own serialisation (impl/index_write.cpp): a four
 * character type code, then for almost every index type the common header
 *	int32 d, int64 ntotal, int64 unused, int64 unused, uint8 is_trained,
 *	int32 metric_type, float metric_arg (only when metric_type > 1)
 * in the host's byte order (little-endian on every platform FAISS supports).
 */
#ifndef VS_FAISS_HEADER_H
#define VS_FAISS_HEADER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

/* FAISS metric_type values (faiss/MetricType.h). */
enum faiss_metric {
	FAISS_METRIC_INNER_PRODUCT = 0,
	FAISS_METRIC_L2 = 1,
	FAISS_METRIC_L1 = 2,
	FAISS_METRIC_LINF = 3,
	FAISS_METRIC_LP = 4,
	FAISS_METRIC_CANBERRA = 20,
	FAISS_METRIC_BRAYCURTIS = 21,
	FAISS_METRIC_JENSENSHANNON = 22,
};

struct faiss_header {
	char fourcc[5];        /* top-level type, e.g. "IxMp" */
	char inner_fourcc[5];  /* the index an IDMap wraps, "" otherwise */
	int dim;
	int64_t ntotal;
	int metric;            /* enum faiss_metric */
	float metric_arg;      /* only meaningful when metric > 1 */
	bool is_trained;
	bool size_checked;     /* the file size was checked against ntotal and
	                          dim (flat storage, bare or in an IDMap) */
	int64_t file_size;
};

/*
 * Read the header of the FAISS index open on fd; path is used only in
 * messages. Understood: IDMap and IDMap2 ("IxMp", "IxM2") wrapping any
 * index, the flat indexes ("IxFI", "IxF2", "IxFl") and every other
 * top-level float index that starts with the common header (IVF, HNSW, PQ,
 * SQ, LSH, PreTransform, Refine, ...). For flat storage, bare or inside an
 * IDMap, the file size must be exactly what ntotal and dim imply, so a
 * truncated or extended file is detected. Errors: VS_ERR_IO when reading
 * fails, VS_ERR_FORMAT for a file that is not a FAISS index, is truncated or
 * is inconsistent; each message names path.
 */
int faiss_header_read(int fd, const char *path, struct faiss_header *out,
    struct vs_error *err);

/* Open path read-only (not through a symbolic link, without waiting on
 * a FIFO) and call faiss_header_read(). */
int faiss_header_read_path(const char *path, struct faiss_header *out,
    struct vs_error *err);

/* "inner_product", "l2", ... for a metric_type value; "unknown" otherwise. */
const char *faiss_metric_name(int metric);

#endif
