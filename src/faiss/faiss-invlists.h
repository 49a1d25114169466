/*
 * Where an IVF index keeps its inverted lists. Most indexes hold them in
 * the file itself ("ilar"); an on-disk IVF index (OnDiskInvertedLists,
 * "ilod") holds only their layout and the absolute path of a second file,
 * usually NAME.ivfdata, that FAISS opens by that path when it loads the
 * index. Such an index is not in one file: a copy of it would read the
 * live lists wherever it is loaded.
 */
#ifndef VS_FAISS_INVLISTS_H
#define VS_FAISS_INVLISTS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

/* Does an index of this type code possibly hold inverted lists (IVF and
 * the wrappers that may contain one)? */
bool faiss_invlists_possible(const char *fourcc);

/*
 * Look for the inverted lists of the index open on fd (size bytes), from
 * byte off on: the first list block whose header is plausible decides.
 * Fails with VS_ERR_FORMAT naming the side file when the lists are on
 * disk elsewhere; 0 when they are in the file or none is found.
 */
int faiss_invlists_check(int fd, const char *path, int64_t off, int64_t size,
    struct vs_error *err);

#endif
