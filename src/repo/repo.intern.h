/* For src/repo only: the repository's state and the parts it is built of. */
#ifndef VS_REPO_INTERN_H
#define VS_REPO_INTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "repo/blob.h"
#include "repo/chunker.h"
#include "repo/crypto.h"
#include "repo/repo.h"

#define REPO_FORMAT 2
#define REPO_DIR STORAGE_REPO_DIR "/"
#define REPO_CONFIG REPO_DIR "config"
#define REPO_KEYS REPO_DIR "keys/"
#define REPO_PACKS REPO_DIR "packs/"
#define REPO_INDEX REPO_DIR "index/"
#define REPO_MANIFESTS REPO_DIR "manifests/"
#define REPO_PINS REPO_DIR "pins/"
#define REPO_VERIFY REPO_DIR "verify/"
#define REPO_DRILLS REPO_DIR "drills/"
#define REPO_LOCKS REPO_DIR "locks/"
#define REPO_TRASH REPO_DIR "trash/"

/* A pack is closed once it holds this much. */
#define PACK_TARGET (16u * 1024 * 1024)
#define PACK_HEADER 8
#define PACK_FOOTER 8
#define PACK_ENTRY 44
#define INDEX_ENTRY 48
#define INDEX_PACK 41
/* A chunk of ids (recipe trees) is cut after an id whose first byte is a
 * multiple of REPO_FANOUT (content-defined), or at REPO_FANOUT_MAX ids. */
#define REPO_FANOUT 4
#define REPO_FANOUT_MAX 64
#define REPO_CONFIG_MAX (64 * 1024)
/* The largest chunk (the chunker's maximum) and its largest stored form
 * (zstd's worst case and a seal add far less than 64 KiB). */
#define REPO_RAW_MAX (16u * 1024 * 1024)
#define REPO_STORED_MAX (REPO_RAW_MAX + 65536u)

struct repo {
	const struct config *cfg;
	struct storage *st;
	char id[33];
	struct repo_keys keys;
	struct chunker_params cp[REPO_NKINDS];
	struct repo_codec codec;
	char *cache_dir;          /* {backup_dir}/.repo-cache */
	char *cache_name;         /* of this location's index cache */
	struct repo_index *idx;   /* opened on first use */
	struct repo_plan *plans;  /* located files kept for a restore (plan.c) */
	size_t plan_bytes;        /* the memory they hold */
};

/* Where a chunk is stored. */
struct repo_loc {
	unsigned char pack[REPO_ID_SIZE];
	uint32_t offset, stored, raw;
	uint8_t kind;
	uint32_t pack_no;         /* the pack's position in the index cache's table */
	uint64_t pos;             /* the entry's position in the index cache */
};

/* --- repo.c --- */

/* "repository/packs/xx/{hex}" and friends (new strings). */
char *repo_pack_key(const unsigned char id[REPO_ID_SIZE]);
char *repo_index_key(const unsigned char id[REPO_ID_SIZE]);
char *repo_manifest_key(const char *backup_id);

/* Read a whole object (at most max bytes) of the repository. */
int repo_get_object(struct repo *r, const char *key, size_t max, unsigned char **data,
    size_t *len, struct vs_error *err);

/* Store bytes as an object whose name is their SHA-256 (under prefix, with
 * packs' fan-out folder when fanout). */
int repo_put_named(struct repo *r, const char *key, const void *data, size_t len,
    struct vs_error *err);

/* --- index.c: index files and the local cache of all of them --- */

struct index_pack {
	unsigned char id[REPO_ID_SIZE];
	uint8_t kind;
	uint64_t size;
};

struct index_entry {
	unsigned char id[REPO_ID_SIZE];
	uint32_t pack;            /* into the file's pack list */
	uint32_t offset, stored, raw;
};

/* Encode index file bodies (entries sorted and renumbered here) and put
 * them enveloped under their SHA-256 names (the names to *keys, *nkeys of
 * them, when keys is not NULL): one file, or for more than INDEX_FILE_MAX
 * entries several, each naming whole packs. */
#define INDEX_FILE_MAX 65536
int index_file_write(struct repo *r, const struct index_pack *packs, size_t np,
    struct index_entry *entries, size_t ne, char ***keys, size_t *nkeys,
    struct vs_error *err);

/* Parse a decoded index file body. */
int index_file_parse(const unsigned char *body, size_t len, const char *where,
    struct index_pack **packs, size_t *np, struct index_entry **entries, size_t *ne,
    struct vs_error *err);

struct repo_index;
struct fetch_item;

/* The index of the whole repository, from the cache when it still
 * describes the index files present, else rebuilt. */
int repo_index_get(struct repo *r, struct repo_index **out, struct vs_error *err);
/* Forget the cache (after index files changed). */
void repo_index_drop(struct repo *r);
void repo_index_close(struct repo_index *ix);

/* 1 found (loc filled), 0 not there, -1 error. */
int repo_index_find(struct repo_index *ix, const unsigned char id[REPO_ID_SIZE],
    struct repo_loc *loc, struct vs_error *err);

/* Look up every item's id at once (sorted reads of the cache instead of
 * one read per id): found[i] tells whether items[i].loc was filled. */
int repo_index_locate(struct repo_index *ix, struct fetch_item *items, size_t n, bool *found,
    struct vs_error *err);

/* Entries and packs of the index, by position. */
uint64_t repo_index_count(const struct repo_index *ix);
size_t repo_index_npacks(const struct repo_index *ix);
const struct index_pack *repo_index_pack(const struct repo_index *ix, size_t i);
/* Read entries [first, first + n) into out. */
int repo_index_entries(struct repo_index *ix, uint64_t first, size_t n,
    struct index_entry *out, struct vs_error *err);

/* --- prefetch.c: objects read ahead of their use --- */

struct repo_prefetch;

/* Start reading keys[0..n) (each at most max bytes) a few at a time and
 * a few ahead; keys must stay valid until repo_prefetch_end. */
struct repo_prefetch *repo_prefetch_start(struct repo *r, char *const *keys, size_t n,
    size_t max);
/* The object of keys[i], taken in order (0, 1, ...): waits for it; the
 * caller frees *data. */
int repo_prefetch_take(struct repo_prefetch *p, size_t i, unsigned char **data, size_t *len,
    struct vs_error *err);
/* Stop and free what was not taken (p may be NULL). */
void repo_prefetch_end(struct repo_prefetch *p);

/* --- pack.c --- */

struct pack_writer;

int pack_writer_new(struct repo *r, enum repo_kind kind, struct pack_writer **out,
    struct vs_error *err);
/* Append a stored blob; its offset in the pack goes to *offset. */
int pack_writer_add(struct pack_writer *pw, const unsigned char id[REPO_ID_SIZE],
    const void *blob, size_t len, uint32_t raw, uint32_t *offset, struct vs_error *err);
uint64_t pack_writer_size(const struct pack_writer *pw);
size_t pack_writer_count(const struct pack_writer *pw);
/* Write the table and footer and store the pack; its name to id. */
int pack_writer_finish(struct pack_writer *pw, unsigned char id[REPO_ID_SIZE],
    uint64_t *size, struct vs_error *err);
void pack_writer_free(struct pack_writer *pw);

/* The table at the end of a stored pack (to check it, or rebuild an index). */
int pack_read_table(struct repo *r, const unsigned char id[REPO_ID_SIZE],
    struct index_entry **entries, size_t *n, struct vs_error *err);
/* The kind of chunks a stored pack holds (its header). */
int pack_read_kind(struct repo *r, const unsigned char id[REPO_ID_SIZE], uint8_t *kind,
    struct vs_error *err);

/* --- fetch.c: reading many chunks with few requests --- */

struct fetch_item {
	unsigned char id[REPO_ID_SIZE];
	struct repo_loc loc;
	uint64_t tag;             /* the caller's (a file offset, a slot) */
};

/* Called once per item with its decoded bytes, from several threads;
 * worker numbers the thread (0 to nthreads - 1). With keep_going a
 * damaged or missing chunk comes with data NULL and bad saying why;
 * return -1 to stop. */
typedef int (*fetch_fn)(void *ud, unsigned worker, const struct fetch_item *it,
    const void *data, size_t len, const struct vs_error *bad, struct vs_error *err);

/* Called on a worker after the items of each range it read. */
typedef int (*fetch_end_fn)(void *ud, unsigned worker, struct vs_error *err);

/* Called before an item is decoded: *dst may name where its loc.raw bytes
 * are to go (fn then gets data == *dst), or stay NULL for the worker's own
 * buffer. Saves a copy for a caller that gathers chunks to write them. */
typedef int (*fetch_place_fn)(void *ud, unsigned worker, const struct fetch_item *it,
    void **dst, struct vs_error *err);

struct fetch_opts {
	int nthreads;
	size_t range_max;         /* bytes one read covers at most (0: 4 MiB) */
	bool keep_going;          /* damage is told to fn, not an error */
	bool file_order;          /* ranges in the order of their smallest tag */
	bool skip_id_check;       /* the caller hashes the whole result itself */
	fetch_fn fn;
	fetch_end_fn end;         /* optional */
	fetch_place_fn place;     /* optional */
	void *ud;
	const struct storage_progress *progress;
};

/* Read and check every item (sorted here by pack and offset), adjacent
 * ones in one ranged read, nthreads at a time. Without keep_going a
 * damaged or missing chunk stops it with VS_ERR_VERIFY naming the pack. */
int repo_fetch(struct repo *r, struct fetch_item *items, size_t n, const struct fetch_opts *o,
    struct vs_error *err);

/* Look up the location of each item; a chunk the index does not know is
 * VS_ERR_VERIFY (or, with missing, counted there and its kind set to
 * REPO_NKINDS). */
int repo_locate(struct repo *r, struct fetch_item *items, size_t n, size_t *missing,
    struct vs_error *err);

/* --- order.c: sorting long lists of chunks (radix sorts, no memcmp) --- */

struct repo_order {
	uint64_t key;
	size_t at;                /* the position the key belongs to */
};

/* The first 8 bytes of p as a big-endian number (ids sort by it as
 * memcmp sorts them). */
uint64_t repo_be64(const unsigned char *p);
/* Sort k by key (stable). */
void repo_order_keys(struct repo_order *k, size_t n);
/* Sort ids as memcmp orders them. */
void repo_sort_ids(unsigned char (*ids)[REPO_ID_SIZE], size_t n);
/* Sort n elements of size bytes that each start with an id, as memcmp
 * orders those ids (index entries). */
void repo_sort_by_id(void *base, size_t n, size_t size);
/* Sort items by pack id, then offset in the pack (stable). */
void repo_sort_by_pack(struct fetch_item *items, size_t n);

/* --- plan.c: a file's chunks located once, for the check before a
 * restore and the restore itself --- */

/* Keep where each chunk of file f of backup_id is (items in the order of
 * the file, all located) until the restore takes it: 16 bytes a chunk
 * (48 when chunks are encrypted, whose ids open them), within a budget;
 * nothing is kept beyond it. */
void repo_plan_keep(struct repo *r, const char *backup_id, const struct manifest_file *f,
    const struct fetch_item *items, size_t n);

/* The chunks kept for f of backup_id as items in the order of the file
 * (tag = position), the plan forgotten; NULL when none was kept. *ids
 * tells whether the items carry their ids (else they are zero: only
 * the file's whole hash can check them). */
struct fetch_item *repo_plan_take(struct repo *r, const char *backup_id,
    const struct manifest_file *f, size_t *n, bool *ids);

/* Forget every plan (the index they point into is closed). */
void repo_plan_drop(struct repo *r);

/* --- recipe.c: recipe trees --- */

/* Turn a file's chunk ids into a recipe tree: groups of ids stored as
 * meta chunks (through store), level by level, until at most
 * REPO_FANOUT_MAX ids are left for the manifest. */
typedef int (*recipe_store_fn)(void *ud, const void *data, size_t len,
    unsigned char id[REPO_ID_SIZE], struct vs_error *err);
int recipe_build(unsigned char (*ids)[REPO_ID_SIZE], size_t n, recipe_store_fn store,
    void *ud, struct manifest_file *mf, struct vs_error *err);

/* The file's chunk ids, read back through the tree. */
int recipe_expand(struct repo *r, const struct manifest_file *mf,
    unsigned char (**ids)[REPO_ID_SIZE], size_t *n, struct vs_error *err);

/* Every chunk a manifest's file uses, its recipe's own chunks included:
 * fn(ud, id, is_meta) once per reference; fn returns 0, 1 to skip what
 * lies below that recipe chunk (it was seen before), or -1 to stop. */
int recipe_walk(struct repo *r, const struct manifest_file *mf,
    int (*fn)(void *ud, const unsigned char id[REPO_ID_SIZE], bool meta), void *ud,
    struct vs_error *err);

#endif
