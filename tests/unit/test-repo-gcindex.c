/* Covers src/repo/gcindex.c, the garbage collector's view of the index:
 * entries of several index files merged in id order (a chunk in two packs
 * kept twice), marking by 8-byte prefix that keeps every chunk sharing
 * the prefix of a used one, and the "walked" shortcut for recipe chunks,
 * taken only for the very id walked before; what is marked stays
 * readable once the prefixes are freed. */
#include "config.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "repo/gcindex.h"
#include "tap.h"

/* An id: prefix byte p repeated 8 times, then tail byte t. */
static void
make_id(unsigned char id[REPO_ID_SIZE], unsigned char p, unsigned char t)
{
	memset(id, p, 8);
	memset(id + 8, t, REPO_ID_SIZE - 8);
}

static struct index_entry
entry(unsigned char p, unsigned char t, uint32_t pack, uint32_t offset)
{
	struct index_entry e;

	memset(&e, 0, sizeof e);
	make_id(e.id, p, t);
	e.pack = pack;
	e.offset = offset;
	e.stored = 100 + offset;
	e.raw = 200 + offset;
	return e;
}

/* Entry number of (p, t) in pack, or -1. */
static long
find(struct gc_index *x, unsigned char p, unsigned char t, uint32_t pack)
{
	struct index_entry e;
	unsigned char id[REPO_ID_SIZE];
	size_t i;
	struct vs_error err;

	make_id(id, p, t);
	gcidx_rewind(x);
	while (gcidx_next(x, &e, &i, &err) == 1)
		if (memcmp(e.id, id, REPO_ID_SIZE) == 0 && e.pack == pack)
			return (long)i;
	return -1;
}

static bool
live(struct gc_index *x, unsigned char p, unsigned char t, uint32_t pack)
{
	long i = find(x, p, t, pack);

	return i >= 0 && gcidx_live(x, (size_t)i);
}

static void
test_merge(void)
{
	/* Two index files; file-local pack numbers map to 5 and 6, 7. */
	struct index_entry f1[] = { entry(0x10, 1, 0, 0), entry(0x30, 1, 0, 1),
	    entry(0x50, 1, 0, 2) };
	struct index_entry f2[] = { entry(0x20, 1, 0, 3), entry(0x30, 1, 1, 4),
	    entry(0x60, 1, 1, 5) };
	uint32_t m1[] = { 5 }, m2[] = { 6, 7 };
	struct gc_index *x = gcidx_new(NULL);
	struct vs_error err;
	struct index_entry e, prev;
	size_t i, n = 0;
	bool sorted = true;

	ok(gcidx_add_file(x, f1, 3, m1, &err) == 0, "first index file added");
	ok(gcidx_add_file(x, f2, 3, m2, &err) == 0, "second index file added");
	ok(gcidx_finish(x, &err) == 0, "merged");
	is_int(gcidx_count(x), 6, "every entry kept, a chunk in two packs twice");
	gcidx_rewind(x);
	while (gcidx_next(x, &e, &i, &err) == 1) {
		if (n > 0 && memcmp(prev.id, e.id, REPO_ID_SIZE) > 0)
			sorted = false;
		if (i != n || gcidx_pack(x, i) != e.pack)
			sorted = false;
		prev = e;
		n++;
	}
	ok(sorted && n == 6, "read back in id order, numbered, packs as in memory");
	ok(find(x, 0x30, 1, 5) >= 0 && find(x, 0x30, 1, 7) >= 0, "both copies, packs mapped");
	i = (size_t)find(x, 0x60, 1, 7);
	gcidx_rewind(x);
	for (size_t k = 0; k <= i; k++)
		gcidx_next(x, &e, &n, &err);
	ok(e.offset == 5 && e.stored == 105 && e.raw == 205, "offset and sizes read back");
	gcidx_free(x);
}

static void
test_shared_prefix(void)
{
	/* A and B share their first 8 bytes; C is in two packs (the same
	 * chunk twice); a fourth chunk is used by nobody. */
	struct index_entry f1[] = { entry(0x11, 0xa0, 0, 0), entry(0x11, 0xb0, 0, 1),
	    entry(0x33, 0xc0, 0, 2), entry(0x44, 0xd0, 0, 3) };
	struct index_entry f2[] = { entry(0x33, 0xc0, 0, 4) };
	uint32_t m1[] = { 0 }, m2[] = { 1 };
	struct gc_index *x = gcidx_new(NULL);
	struct vs_error err;
	unsigned char a[REPO_ID_SIZE], b[REPO_ID_SIZE], c[REPO_ID_SIZE], stranger[REPO_ID_SIZE];

	make_id(a, 0x11, 0xa0);
	make_id(b, 0x11, 0xb0);
	make_id(c, 0x33, 0xc0);
	make_id(stranger, 0x33, 0xee);
	gcidx_add_file(x, f1, 4, m1, &err);
	gcidx_add_file(x, f2, 1, m2, &err);
	ok(gcidx_finish(x, &err) == 0, "merged");

	ok(!live(x, 0x11, 0xa0, 0) && !live(x, 0x11, 0xb0, 0), "nothing live before marking");
	is_int(gcidx_mark(x, a, false, &err), 0, "a chunk marked");
	ok(live(x, 0x11, 0xa0, 0), "the chunk used is live");
	ok(live(x, 0x11, 0xb0, 0), "a chunk sharing its prefix is kept too (conservative)");
	ok(!live(x, 0x33, 0xc0, 0) && !live(x, 0x44, 0xd0, 0), "other chunks are not");

	/* Recipe chunks: the shortcut only for the very id walked. */
	is_int(gcidx_mark(x, a, true, &err), 0, "a shared prefix: walked the first time");
	is_int(gcidx_mark(x, b, true, &err), 0, "the other id of that prefix is walked too");
	is_int(gcidx_mark(x, a, true, &err), 0, "and walked again, never skipped on a prefix");

	is_int(gcidx_mark(x, stranger, true, &err), 0,
	    "an id no index names, sharing a prefix, is walked");
	ok(live(x, 0x33, 0xc0, 0) && live(x, 0x33, 0xc0, 1),
	    "and keeps the chunks of that prefix (both copies)");
	is_int(gcidx_mark(x, c, true, &err), 0, "a recipe chunk is walked the first time");
	is_int(gcidx_mark(x, c, true, &err), 1, "then skipped (its subtree is marked)");
	is_int(gcidx_mark(x, stranger, true, &err), 0,
	    "a stranger sharing its prefix is still walked after it");
	gcidx_marked(x);
	ok(live(x, 0x11, 0xb0, 0) && live(x, 0x33, 0xc0, 1) && !live(x, 0x44, 0xd0, 0),
	    "after marking, the live bits and the entries are still there");
	gcidx_free(x);

	/* The stranger first: the chunk it resembles is walked afterwards. */
	x = gcidx_new(NULL);
	gcidx_add_file(x, f1, 4, m1, &err);
	gcidx_finish(x, &err);
	is_int(gcidx_mark(x, stranger, true, &err), 0, "a stranger is walked");
	is_int(gcidx_mark(x, c, true, &err), 0,
	    "the indexed chunk of the same prefix is walked after it, not skipped");
	is_int(gcidx_mark(x, c, true, &err), 1, "and skipped only then");
	gcidx_free(x);
}

static void
test_empty(void)
{
	struct gc_index *x = gcidx_new(NULL);
	struct vs_error err;
	struct index_entry e;
	unsigned char a[REPO_ID_SIZE];
	size_t i;

	make_id(a, 1, 2);
	ok(gcidx_finish(x, &err) == 0, "an empty index merges");
	is_int(gcidx_count(x), 0, "no entry");
	is_int(gcidx_mark(x, a, true, &err), 0, "marking an unknown id is harmless");
	gcidx_rewind(x);
	is_int(gcidx_next(x, &e, &i, &err), 0, "nothing to read");
	gcidx_free(x);
}

/* More entries than one buffer, in many files: the merge stays sorted. */
static void
test_many(void)
{
	enum { FILES = 7, PER = 1500 };
	struct index_entry *f = calloc(PER, sizeof *f);
	uint32_t map[1] = { 3 };
	struct gc_index *x = gcidx_new(NULL);
	struct vs_error err;
	struct index_entry e;
	unsigned char prev[REPO_ID_SIZE] = { 0 };
	size_t i, n = 0;
	bool sorted = true;

	for (int k = 0; k < FILES; k++) {
		for (int j = 0; j < PER; j++) {
			uint32_t v = (uint32_t)j * FILES + (uint32_t)k;

			memset(&f[j], 0, sizeof f[j]);
			f[j].id[0] = (unsigned char)(v >> 16);
			f[j].id[1] = (unsigned char)(v >> 8);
			f[j].id[2] = (unsigned char)v;
			f[j].offset = v;
		}
		gcidx_add_file(x, f, PER, map, &err);
	}
	ok(gcidx_finish(x, &err) == 0, "many files merged");
	gcidx_rewind(x);
	while (gcidx_next(x, &e, &i, &err) == 1) {
		if (e.offset != n || (n > 0 && memcmp(prev, e.id, REPO_ID_SIZE) >= 0) ||
		    e.pack != 3)
			sorted = false;
		memcpy(prev, e.id, REPO_ID_SIZE);
		n++;
	}
	ok(sorted && n == FILES * PER, "%d entries in order", FILES * PER);
	gcidx_free(x);
	free(f);
}

/* Files in dir (not . and ..), or -1 when it cannot be read. */
static int
files_in(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

/* Temporary files in a directory of the caller's, made when missing, and
 * nothing left in it. */
static void
test_dir(void)
{
	char top[] = "/tmp/test-gcindex.XXXXXX", dir[64];
	struct index_entry f[] = { entry(0x10, 1, 0, 0), entry(0x20, 1, 0, 1) };
	uint32_t map[] = { 0 };
	unsigned char id[REPO_ID_SIZE];
	struct gc_index *x;
	struct vs_error err;

	if (mkdtemp(top) == NULL) {
		ok(0, "a temp directory");
		return;
	}
	snprintf(dir, sizeof dir, "%s/cache", top);
	x = gcidx_new(dir);
	ok(gcidx_add_file(x, f, 2, map, &err) == 0 && gcidx_finish(x, &err) == 0,
	    "merged with its files in a directory that did not exist");
	make_id(id, 0x20, 1);
	gcidx_mark(x, id, false, &err);
	ok(live(x, 0x20, 1, 0) && !live(x, 0x10, 1, 0), "and marked");
	is_int(files_in(dir), 0, "the temporary files are unlinked while open");
	gcidx_free(x);
	is_int(files_in(dir), 0, "nothing is left afterwards");
	rmdir(dir);
	rmdir(top);
}

int
main(void)
{
	test_merge();
	test_shared_prefix();
	test_empty();
	test_many();
	test_dir();
	return tap_done();
}
