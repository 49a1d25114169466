/*
 * The garbage collector's view of the index: every entry of every index
 * file (a chunk may sit in several packs), merged by chunk id into a
 * temporary file, with only what marking needs kept in memory: the first
 * 8 bytes of each id, its pack and three bits, 12 bytes and 3 bits per
 * entry. Offsets, sizes and whole ids are read back from the file, in
 * order, by whoever needs them (gcidx_next).
 *
 * Marking is conservative: an id marks live every entry whose id starts
 * with the same 8 bytes, so two chunks sharing a prefix are both kept
 * when either is used (garbage kept, a used chunk never deleted).
 */
#ifndef VS_REPO_GCINDEX_H
#define VS_REPO_GCINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "repo/repo.intern.h"

struct gc_index;

/* An empty one; its temporary files go to dir (created when missing),
 * or with dir NULL where tmpfile(3) puts them. */
struct gc_index *gcidx_new(const char *dir);
void gcidx_free(struct gc_index *x);

/* Add the n entries of one index file (sorted by id, as index files
 * are), each entry's pack turned into packmap[pack]. */
int gcidx_add_file(struct gc_index *x, const struct index_entry *e, size_t n,
    const uint32_t *packmap, struct vs_error *err);

/* Merge what was added; then the entries are numbered 0 to count - 1 in
 * the order of their ids. */
int gcidx_finish(struct gc_index *x, struct vs_error *err);
size_t gcidx_count(const struct gc_index *x);
uint32_t gcidx_pack(const struct gc_index *x, size_t i);
bool gcidx_live(const struct gc_index *x, size_t i);

/* A backup uses chunk id: every entry sharing its 8-byte prefix is
 * marked live. For a recipe chunk (meta): 1 when this very id was marked
 * as one before (its subtree is marked already), 0 when it must be
 * walked (first time, or a prefix shared by different ids), -1 on a read
 * error of the temporary file. */
int gcidx_mark(struct gc_index *x, const unsigned char id[REPO_ID_SIZE], bool meta,
    struct vs_error *err);

/* Marking is over: the prefixes go (gcidx_mark and gcidx_pack may not
 * be called any more); the live bits and the file stay. */
void gcidx_marked(struct gc_index *x);

/* Read the entries in order, whole: gcidx_rewind, then gcidx_next until
 * it returns 0 (1: *e is entry number *i; -1: read error). */
void gcidx_rewind(struct gc_index *x);
int gcidx_next(struct gc_index *x, struct index_entry *e, size_t *i, struct vs_error *err);

#endif
