/*
 * Content-defined chunking (FastCDC: a gear hash, no cut below the
 * minimum, normalised chunking with a stricter mask before the average
 * size and a looser one after it, a cut at the maximum).
 *
 * A format reader in front of the chunker may tell it where records start
 * (chunker_hint: RDB items) and where a cut must be (section starts of a
 * FAISS file). With record hints, cuts fall only on record starts: a
 * record is never split unless it is larger than the maximum, so a changed
 * record changes its own chunk and no neighbour's. At a record start the
 * cut is taken once the chunk has the average size, or earlier where the
 * gear hash says so (content-defined, so groups of small records
 * resynchronise after an insertion).
 *
 * The chunker is a filter: each chunk leaves it as one write to the next
 * filter of the chain. The gear table comes from the repository's seed.
 */
#ifndef VS_REPO_CHUNKER_H
#define VS_REPO_CHUNKER_H

#include <stdbool.h>
#include <stdint.h>

#include "filter/filter.h"

struct chunker_params {
	uint32_t min;             /* >= 64 */
	uint32_t avg;             /* a power of two */
	uint32_t max;
};

struct chunker;

/* A chunker filter; *out lets the caller give it hints. */
struct filter *chunker_new(const struct chunker_params *p, const unsigned char seed[32],
    struct chunker **out);

/* Cut only at record starts from now on (and where no record starts
 * within the maximum, inside the record). */
void chunker_use_records(struct chunker *c);

/* A record starts at stream offset off (offsets only grow); force: a chunk
 * must start there. */
void chunker_hint(struct chunker *c, uint64_t off, bool force);

/* Records of size bytes follow one another from start to end (the
 * vectors of a flat index): a record starts at each of those offsets, and
 * one in about avg / size of them (by the gear hash of the bytes before
 * it, the content alone) ends a chunk: taking a record out or adding one
 * changes no other chunk. */
void chunker_records_every(struct chunker *c, uint64_t start, uint64_t end, uint32_t size);

/* Are the parameters usable? */
bool chunker_params_valid(const struct chunker_params *p);

#endif
