/*
 * Garbage collection: what no manifest references goes, in two phases,
 * safe against a backup running at the same time and against being killed
 * at any step (doc/FORMAT, "Deleting", states the protocol):
 *
 *  1. The index files are read (every chunk and where it is) into a
 *     temporary file in id order (in the index cache's directory), with
 *     only each entry's first 8 id bytes and pack in memory (gcindex.c),
 *     then every manifest and its recipes: the chunks they use are marked live, one bit per index
 *     entry, and a recipe subtree already marked is not walked again, so
 *     memory grows by 12 bytes and 3 bits per chunk and time with what
 *     the backups do not share. Marking is by prefix: chunks whose ids
 *     share one are all kept if any is used (never a used one deleted).
 *     A manifest that cannot be read stops the collection (it cannot know
 *     what that backup needs). Offsets, sizes and whole ids are read back
 *     from the temporary file, in order, when they are needed.
 *  2. Sweep: packs marked by an earlier run (a trash record) at least the
 *     grace period ago are deleted, but only when no backup is writing, and
 *     only those still holding no live chunk that is nowhere else (a backup
 *     that deduplicated against a marked pack brings it back). The index is
 *     rewritten without them first; then, if a backup started meanwhile,
 *     nothing is deleted this time.
 *  3. Mark: packs with no live chunk, packs no index names (left by a
 *     killed backup) once older than the grace period, and packs mostly
 *     unused after their live chunks are copied into new packs, are written
 *     into a new trash record.
 *
 * Locks of backups are respected, never removed; a lock left on this host
 * by a process that no longer exists does not count.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/i18n.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "repo/gc.h"
#include "repo/gcindex.h"
#include "repo/repo.intern.h"

#define TRASH_MAGIC "vsbackup trash 1"
/* Packs with less than this share of live bytes are repacked. */
#define REPACK_LIVE_PERCENT 50

struct gc_pack {
	struct index_pack p;
	uint64_t live, total;     /* stored bytes of its chunks */
	bool indexed;             /* some index file names it */
	bool stored;              /* listed in packs/ */
	time_t mtime;
	time_t marked;            /* in a trash record since, 0 not */
	bool drop;                /* delete now */
	bool resurrect;           /* marked, but still needed */
	bool reindex;             /* named by no index: indexed again from its table */
};

struct gc_trash {
	char *key;
	time_t at;
	unsigned char (*packs)[REPO_ID_SIZE];
	size_t n;
};

struct gc {
	struct repo *r;
	struct job *job;
	struct repo_gc_report *rep;
	time_t now, grace;
	struct gc_index *ix;      /* every index entry, which ones are live */
	struct vs_error walk_err; /* why marking stopped */
	bool walk_failed;
	struct gc_pack *packs;
	size_t np, pcap;
	char **index_keys;
	size_t nindex;
	struct gc_trash *trash;
	size_t ntrash;
	char **lock_keys;
	size_t nlocks;
	size_t active_backups;
	char *gc_lock;
	char *blocking;           /* a backup lock that blocks the sweep */
	char **backups;           /* the backups whose chunks were marked live */
	size_t nbackups;
};

/* Fault injection for the tests: VSBACKUP_GC_KILL_AT=STEP kills the
 * process right after that step, as a crash or SIGKILL would there;
 * VSBACKUP_GC_PAUSE_AT=STEP stops it there (SIGSTOP) until it is sent
 * SIGCONT, so that a backup can run in between. */
static void
gc_step(const char *step)
{
	const char *kill_at = getenv("VSBACKUP_GC_KILL_AT");
	const char *pause_at = getenv("VSBACKUP_GC_PAUSE_AT");

	if (kill_at != NULL && strcmp(kill_at, step) == 0)
		raise(SIGKILL);
	if (pause_at != NULL && strcmp(pause_at, step) == 0)
		raise(SIGSTOP);
}

static size_t
pack_find(struct gc *g, const unsigned char id[REPO_ID_SIZE], bool add)
{
	for (size_t i = 0; i < g->np; i++)
		if (memcmp(g->packs[i].p.id, id, REPO_ID_SIZE) == 0)
			return i;
	if (!add)
		return SIZE_MAX;
	if (g->np == g->pcap) {
		g->pcap = g->pcap ? 2 * g->pcap : 64;
		g->packs = xreallocarray(g->packs, g->pcap, sizeof *g->packs);
	}
	memset(&g->packs[g->np], 0, sizeof g->packs[0]);
	memcpy(g->packs[g->np].p.id, id, REPO_ID_SIZE);
	return g->np++;
}

/* --- listing helpers ---------------------------------------------------------- */

struct keys {
	char **v;
	time_t *mtime;
	uint64_t *size;
	size_t n;
};

static int
keys_cb(void *ud, const struct storage_object *o)
{
	struct keys *k = ud;

	if (o->dir)
		return 0;
	k->v = xreallocarray(k->v, k->n + 1, sizeof *k->v);
	k->mtime = xreallocarray(k->mtime, k->n + 1, sizeof *k->mtime);
	k->size = xreallocarray(k->size, k->n + 1, sizeof *k->size);
	k->v[k->n] = xstrdup(o->key);
	k->mtime[k->n] = o->mtime;
	k->size[k->n] = o->size;
	k->n++;
	return 0;
}

static void
keys_free(struct keys *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->v[i]);
	free(k->v);
	free(k->mtime);
	free(k->size);
	memset(k, 0, sizeof *k);
}

/* --- locks --------------------------------------------------------------------- */

/* A lock of this host whose process is gone: it holds nothing. */
static bool
lock_stale(struct repo *r, const char *key)
{
	char *text, host[256] = "", want[300];
	size_t len;
	long pid;
	const char *p;
	bool stale = false;

	if (storage_obj_read(r->st, key, 4096, &text, &len, NULL) != 0)
		return false;
	gethostname(host, sizeof host - 1);
	snprintf(want, sizeof want, "\"host\": \"%s\"", host);
	p = strstr(text, "\"pid\": ");
	if (strstr(text, want) != NULL && p != NULL) {
		pid = strtol(p + 7, NULL, 10);
		stale = pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
	}
	free(text);
	return stale;
}

/* Count the backups writing now; gc: is another collection running? */
static int
locks_scan(struct gc *g, bool *other_gc, char **gc_key, struct vs_error *err)
{
	struct keys k = { 0 };

	*other_gc = false;
	g->active_backups = 0;
	free(g->blocking);
	g->blocking = NULL;
	if (storage_obj_list(g->r->st, REPO_LOCKS, 0, keys_cb, &k, err) != 0)
		return -1;
	for (size_t i = 0; i < k.n; i++) {
		const char *name = k.v[i] + strlen(REPO_LOCKS);

		if (g->gc_lock != NULL && strcmp(k.v[i], g->gc_lock) == 0)
			continue;
		if (lock_stale(g->r, k.v[i]))
			continue;
		if (strncmp(name, "backup-", 7) == 0) {
			g->active_backups++;
			if (g->blocking == NULL)
				g->blocking = xstrdup(k.v[i]);
		} else if (strncmp(name, "gc-", 3) == 0) {
			*other_gc = true;
			if (gc_key != NULL && *gc_key == NULL)
				*gc_key = xstrdup(k.v[i]);
		}
	}
	keys_free(&k);
	return 0;
}

/* --- the live set ---------------------------------------------------------------- */

/* Mark a chunk a backup uses; 1 (do not walk below it) for a recipe
 * chunk walked before, whose subtree was marked then. A chunk no index
 * names is not the collector's to keep or delete (check reports it). */
static int
live_add(void *ud, const unsigned char id[REPO_ID_SIZE], bool meta)
{
	struct gc *g = ud;
	int rc = gcidx_mark(g->ix, id, meta, &g->walk_err);

	if (rc < 0)
		g->walk_failed = true;
	return rc;
}

static int
live_collect(struct gc *g, struct vs_error *err)
{
	char **ids = NULL;
	size_t n = 0;
	int rc = -1;

	if (repo_list_backups(g->r->st, &ids, &n, err) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct manifest m;
		const struct manifest_file *f;

		job_progress(g->job, _("finding the chunks backups use"), i, n, false);
		if (repo_load_manifest(g->r, ids[i], &m, err) != 0) {
			error_prefix(err, _("nothing was collected: backup %s cannot be read, so what "
			    "it needs is unknown"), ids[i]);
			goto out;
		}
		for (size_t j = 0; (f = manifest_file_at(&m, j)) != NULL; j++) {
			if (f->present && f->recipe_levels > 0 &&
			    recipe_walk(g->r, f, live_add, g, err) != 0) {
				if (g->walk_failed)
					*err = g->walk_err;
				error_prefix(err, _("nothing was collected: the recipe of %s in backup %s "
				    "cannot be read"), f->name, ids[i]);
				manifest_clear(&m);
				goto out;
			}
		}
		manifest_clear(&m);
	}
	rc = 0;
out:
	g->backups = ids;
	g->nbackups = n;
	return rc;
}

/* Whether a backup exists now whose chunks live_collect did not see: one
 * that started after it and has already ended (its lock is gone). */
static int
backups_added(struct gc *g, bool *added, struct vs_error *err)
{
	char **ids = NULL;
	size_t n = 0;

	*added = false;
	if (repo_list_backups(g->r->st, &ids, &n, err) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		bool seen = false;

		for (size_t j = 0; j < g->nbackups && !seen; j++)
			seen = strcmp(ids[i], g->backups[j]) == 0;
		*added |= !seen;
		free(ids[i]);
	}
	free(ids);
	return 0;
}

/* --- index files, packs, trash ------------------------------------------------------ */

static int
packs_list(struct gc *g, struct vs_error *err)
{
	struct keys k = { 0 };

	if (storage_obj_list(g->r->st, REPO_PACKS, 0, keys_cb, &k, err) != 0)
		return -1;
	for (size_t i = 0; i < k.n; i++) {
		const char *slash = strrchr(k.v[i], '/');
		unsigned char id[REPO_ID_SIZE];
		size_t p;

		if (slash == NULL || repo_unhex(slash + 1, id, sizeof id) != 0)
			continue;
		p = pack_find(g, id, true);
		g->packs[p].stored = true;
		g->packs[p].mtime = k.mtime[i];
		if (!g->packs[p].indexed)
			g->packs[p].p.size = k.size[i];
	}
	keys_free(&k);
	return 0;
}

/* Packs no index names that the rules would mark (no backup writing,
 * older than the grace period: left by a killed backup, or named by an
 * index file that was lost or that a collection killed mid-sweep left
 * out) are indexed again from their own tables first, so that a pack
 * holding chunks some backup uses is kept like any other, and the rest
 * is marked as unused. A pack whose table cannot be read is left to the
 * rules for unindexed packs. */
static int
unindexed_reindex(struct gc *g, struct vs_error *err)
{
	struct index_pack *packs = NULL;
	struct index_entry *entries = NULL;
	uint32_t *map = NULL;             /* their place in g->packs */
	size_t np = 0, ne = 0, nk = 0;
	char **keys = NULL;
	int rc = -1;

	if (g->rep->dry_run)
		return 0;
	for (size_t i = 0; i < g->np; i++) {
		struct gc_pack *p = &g->packs[i];
		struct index_entry *e = NULL;
		struct vs_error perr;
		size_t n = 0;

		if (p->indexed || !p->stored || g->active_backups > 0 || p->mtime + g->grace > g->now)
			continue;
		error_clear(&perr);
		if (pack_read_table(g->r, p->p.id, &e, &n, &perr) != 0 ||
		    pack_read_kind(g->r, p->p.id, &p->p.kind, &perr) != 0) {
			free(e);
			continue;
		}
		packs = xreallocarray(packs, np + 1, sizeof *packs);
		map = xreallocarray(map, np + 1, sizeof *map);
		packs[np] = p->p;
		map[np] = (uint32_t)i;
		entries = xreallocarray(entries, ne + n + 1, sizeof *entries);
		for (size_t j = 0; j < n; j++) {
			entries[ne + j] = e[j];
			entries[ne + j].pack = (uint32_t)np;
		}
		ne += n;
		np++;
		free(e);
		p->reindex = true;
	}
	if (np == 0)
		return 0;
	/* The collector's index first: writing more than INDEX_FILE_MAX
	 * entries renumbers their packs file by file. */
	repo_sort_by_id(entries, ne, sizeof *entries);
	if (gcidx_add_file(g->ix, entries, ne, map, err) != 0 ||
	    index_file_write(g->r, packs, np, entries, ne, &keys, &nk, err) != 0)
		goto out;
	g->index_keys = xreallocarray(g->index_keys, g->nindex + nk, sizeof *g->index_keys);
	for (size_t i = 0; i < nk; i++)
		g->index_keys[g->nindex++] = keys[i];
	nk = 0;
	for (size_t i = 0; i < g->np; i++)
		if (g->packs[i].reindex)
			g->packs[i].indexed = true;
	/* The recipes are read through the repository's index. */
	repo_index_drop(g->r);
	rc = 0;
out:
	for (size_t i = 0; i < nk; i++)
		free(keys[i]);
	free(keys);
	free(packs);
	free(entries);
	free(map);
	return rc;
}

static int
index_load(struct gc *g, struct vs_error *err)
{
	struct keys k = { 0 };
	uint32_t *pmap = NULL;
	int rc = -1;

	/* Next to the index cache, on the disk of the backups. */
	g->ix = gcidx_new(g->r->cache_dir);
	if (storage_obj_list(g->r->st, REPO_INDEX, 0, keys_cb, &k, err) != 0)
		return -1;
	for (size_t i = 0; i < k.n; i++) {
		unsigned char *obj = NULL, *body = NULL;
		struct index_pack *packs = NULL;
		struct index_entry *entries = NULL;
		size_t olen, blen, np, ne;
		char *where = xasprintf("%s/%s", storage_location(g->r->st), k.v[i]);
		int ok = repo_get_object(g->r, k.v[i], ENV_MAX, &obj, &olen, err) == 0 &&
		    env_decode(&g->r->codec, "VSIX", obj, olen, where, &body, &blen, err) == 0 &&
		    index_file_parse(body, blen, where, &packs, &np, &entries, &ne, err) == 0;

		free(where);
		free(obj);
		free(body);
		if (!ok) {
			free(packs);
			free(entries);
			error_prefix(err, _("nothing was collected"));
			goto out;
		}
		/* The file's packs, found once (not once per entry). */
		pmap = xreallocarray(pmap, np + 1, sizeof *pmap);
		for (size_t j = 0; j < np; j++)
			pmap[j] = UINT32_MAX;
		for (size_t e = 0; e < ne; e++) {
			uint32_t *pm = &pmap[entries[e].pack];

			if (*pm == UINT32_MAX) {
				*pm = (uint32_t)pack_find(g, packs[entries[e].pack].id, true);
				g->packs[*pm].p = packs[entries[e].pack];
				g->packs[*pm].indexed = true;
			}
		}
		ok = gcidx_add_file(g->ix, entries, ne, pmap, err) == 0;
		free(packs);
		free(entries);
		if (!ok) {
			error_prefix(err, _("nothing was collected"));
			goto out;
		}
		g->index_keys = xreallocarray(g->index_keys, g->nindex + 1, sizeof *g->index_keys);
		g->index_keys[g->nindex++] = xstrdup(k.v[i]);
	}
	/* The packs no index names: indexed again from their own tables. */
	if (packs_list(g, err) != 0 || unindexed_reindex(g, err) != 0 ||
	    gcidx_finish(g->ix, err) != 0) {
		error_prefix(err, _("nothing was collected"));
		goto out;
	}
	rc = 0;
out:
	free(pmap);
	keys_free(&k);
	return rc;
}

static int
trash_load(struct gc *g, struct vs_error *err)
{
	struct keys k = { 0 };

	if (storage_obj_list(g->r->st, REPO_TRASH, 0, keys_cb, &k, err) != 0)
		return -1;
	for (size_t i = 0; i < k.n; i++) {
		char *text, *line, *save = NULL;
		size_t len;
		struct gc_trash *t;

		if (storage_obj_read(g->r->st, k.v[i], 64u * 1024 * 1024, &text, &len, err) != 0) {
			keys_free(&k);
			return -1;
		}
		g->trash = xreallocarray(g->trash, g->ntrash + 1, sizeof *g->trash);
		t = &g->trash[g->ntrash++];
		memset(t, 0, sizeof *t);
		t->key = xstrdup(k.v[i]);
		for (line = strtok_r(text, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			unsigned char id[REPO_ID_SIZE];

			if (strncmp(line, "time ", 5) == 0)
				t->at = (time_t)strtoll(line + 5, NULL, 10);
			else if (repo_unhex(line, id, sizeof id) == 0) {
				t->packs = xreallocarray(t->packs, t->n + 1, sizeof *t->packs);
				memcpy(t->packs[t->n++], id, REPO_ID_SIZE);
			}
		}
		free(text);
		for (size_t j = 0; j < t->n; j++) {
			size_t p = pack_find(g, t->packs[j], false);

			if (p != SIZE_MAX && (g->packs[p].marked == 0 || g->packs[p].marked > t->at))
				g->packs[p].marked = t->at;
		}
	}
	keys_free(&k);
	return 0;
}

/* Write a trash record of the packs with flag set in sel. */
static int
trash_write(struct gc *g, time_t at, bool (*sel)(const struct gc_pack *), struct vs_error *err)
{
	char *text = xasprintf("%s\ntime %lld\n", TRASH_MAGIC, (long long)at), *key;
	unsigned char rnd[8];
	char hex[2 * REPO_ID_SIZE + 1], rhex[17];
	size_t n = 0;
	int rc;

	for (size_t i = 0; i < g->np; i++) {
		char *t;

		if (!sel(&g->packs[i]))
			continue;
		repo_hex(g->packs[i].p.id, REPO_ID_SIZE, hex);
		t = xasprintf("%s%s\n", text, hex);
		free(text);
		text = t;
		n++;
	}
	if (n == 0) {
		free(text);
		return 0;
	}
	repo_random(rnd, sizeof rnd);
	repo_hex(rnd, sizeof rnd, rhex);
	key = xasprintf(REPO_TRASH "%lld-%s", (long long)at, rhex);
	rc = repo_put_named(g->r, key, text, strlen(text), err);
	free(key);
	free(text);
	return rc;
}

/* --- sweep ------------------------------------------------------------------------ */

static bool
sel_still_marked(const struct gc_pack *p)
{
	return p->marked != 0 && !p->drop && !p->resurrect && p->stored;
}

/* Bring back the pack (the first) of each live chunk whose every copy is
 * in a pack about to go. */
static int
resurrect(struct gc *g, struct vs_error *err)
{
	struct index_entry e;
	unsigned char cur[REPO_ID_SIZE];
	uint32_t first = 0;
	bool have = false, elsewhere = false, live = false;
	size_t i;
	int more;

	gcidx_rewind(g->ix);
	do {
		more = gcidx_next(g->ix, &e, &i, err);
		if (more < 0)
			return -1;
		if (have && (more == 0 || memcmp(cur, e.id, REPO_ID_SIZE) != 0)) {
			if (!elsewhere && live) {
				g->packs[first].drop = false;
				g->packs[first].resurrect = true;
			}
			have = false;
		}
		if (more == 0)
			break;
		if (!have) {
			memcpy(cur, e.id, REPO_ID_SIZE);
			first = e.pack;
			live = gcidx_live(g->ix, i);
			elsewhere = false;
			have = true;
		}
		if (!g->packs[e.pack].drop)
			elsewhere = true;
	} while (more == 1);
	return 0;
}

static bool
sel_kept(const struct gc_pack *p)
{
	return p->indexed && !p->drop;
}

static bool
sel_dropped(const struct gc_pack *p)
{
	return p->indexed && p->drop;
}

/* Index files naming the packs sel selects, with their entries (one per
 * id), in files of INDEX_FILE_MAX entries at most, each naming every
 * such pack, written from one buffer of that size: no second copy of the
 * whole index in memory. Even with no entry, one file is written: it
 * names the packs. The keys written go to *keys when keys is not NULL. */
static int
index_write_packs(struct gc *g, bool (*sel)(const struct gc_pack *), char ***keys, size_t *nkeys,
    struct vs_error *err)
{
	struct index_pack *packs = xcalloc(g->np + 1, sizeof *packs);
	struct index_entry *entries = xcalloc(INDEX_FILE_MAX, sizeof *entries);
	uint32_t *map = xcalloc(g->np + 1, sizeof *map);
	char **newkeys = NULL;
	size_t np = 0, ne = 0, nnew = 0;
	unsigned char last[REPO_ID_SIZE];
	bool have_last = false;
	int rc = -1;

	for (size_t i = 0; i < g->np; i++) {
		map[i] = UINT32_MAX;
		if (sel(&g->packs[i])) {
			map[i] = (uint32_t)np;
			packs[np++] = g->packs[i].p;
		}
	}
	gcidx_rewind(g->ix);
	for (;;) {
		struct index_entry ent;
		size_t i;
		int more = gcidx_next(g->ix, &ent, &i, err);
		const struct index_entry *e = more == 1 ? &ent : NULL;

		if (more < 0)
			goto out;
		if (e != NULL && (map[e->pack] == UINT32_MAX ||
		    (have_last && memcmp(last, e->id, REPO_ID_SIZE) == 0)))
			continue;
		if (ne == INDEX_FILE_MAX || (e == NULL && (ne > 0 || nnew == 0))) {
			char **k = NULL;
			size_t nk = 0;

			if (index_file_write(g->r, packs, np, entries, ne, &k, &nk, err) != 0)
				goto out;
			newkeys = xreallocarray(newkeys, nnew + nk, sizeof *newkeys);
			memcpy(newkeys + nnew, k, nk * sizeof *k);
			nnew += nk;
			free(k);
			ne = 0;
		}
		if (e == NULL)
			break;
		entries[ne] = *e;
		entries[ne].pack = map[e->pack];
		ne++;
		memcpy(last, e->id, REPO_ID_SIZE);
		have_last = true;
	}
	rc = 0;
out:
	if (rc == 0 && keys != NULL) {
		*keys = newkeys;
		*nkeys = nnew;
	} else {
		for (size_t i = 0; i < nnew; i++)
			free(newkeys[i]);
		free(newkeys);
	}
	free(packs);
	free(entries);
	free(map);
	return rc;
}

/* Whether a backup may use chunks of the packs about to go although the
 * live set did not count it: one writing (its lock) or one that started
 * after live_collect and has already ended (its manifest). */
static int
sweep_blocked(struct gc *g, bool *blocked, struct vs_error *err)
{
	bool other, added;

	if (locks_scan(g, &other, NULL, err) != 0 || backups_added(g, &added, err) != 0)
		return -1;
	*blocked = g->active_backups > 0 || added;
	return 0;
}

static int
sweep(struct gc *g, struct vs_error *err)
{
	char **newkeys = NULL;
	size_t ndrop = 0, nnew = 0;
	bool blocked;
	int rc = -1;

	for (size_t i = 0; i < g->np; i++) {
		struct gc_pack *p = &g->packs[i];

		p->drop = p->marked != 0 && p->marked + g->grace <= g->now;
	}
	/* A live chunk only in packs about to go brings its pack back (whole
	 * ids compared: a chunk in a kept pack is no copy of another chunk
	 * that only shares its prefix). */
	if (resurrect(g, err) != 0)
		return -1;
	for (size_t i = 0; i < g->np; i++)
		if (g->packs[i].drop) {
			ndrop++;
			g->rep->bytes_freed += g->packs[i].p.size;
			g->rep->packs_deleted++;
		}
	if (ndrop == 0 || g->rep->dry_run)
		return 0;
	gc_step("sweep-planned");
	if (sweep_blocked(g, &blocked, err) != 0)
		return -1;
	if (blocked)
		goto keep;

	/* 1. The index without them (then the old index files go). */
	job_progress(g->job, _("rewriting the index"), 0, 0, false);
	if (index_write_packs(g, sel_kept, &newkeys, &nnew, err) != 0)
		goto out;
	gc_step("index-written");
	for (size_t i = 0; i < g->nindex; i++) {
		bool same = false;

		/* A new file may be one of them, byte for byte: it stays. */
		for (size_t j = 0; j < nnew; j++)
			same |= strcmp(g->index_keys[i], newkeys[j]) == 0;
		if (!same && storage_obj_remove(g->r->st, g->index_keys[i], err) != 0)
			goto out;
	}
	gc_step("index-old-deleted");
	repo_index_drop(g->r);
	/* 2. A backup that started meanwhile may have read the old index and
	 * use chunks of these packs: they are indexed again and stay (marked)
	 * until the next run, which counts that backup. */
	if (sweep_blocked(g, &blocked, err) != 0)
		goto out;
	if (blocked) {
		if (index_write_packs(g, sel_dropped, NULL, NULL, err) != 0)
			goto out;
		goto keep;
	}
	/* 3. The packs. */
	for (size_t i = 0, done = 0; i < g->np; i++) {
		char *key;

		if (!g->packs[i].drop)
			continue;
		job_progress(g->job, _("deleting unused packs"), done++, ndrop, false);
		key = repo_pack_key(g->packs[i].p.id);
		rc = storage_obj_remove(g->r->st, key, err);
		free(key);
		if (rc != 0)
			goto out;
		g->packs[i].stored = false;
	}
	gc_step("packs-deleted");
	/* 4. The trash records: what is still marked in a new one, then the
	 * old ones. */
	rc = -1;
	{
		time_t oldest = g->now;

		for (size_t i = 0; i < g->np; i++)
			if (sel_still_marked(&g->packs[i]) && g->packs[i].marked < oldest)
				oldest = g->packs[i].marked;
		if (trash_write(g, oldest, sel_still_marked, err) != 0)
			goto out;
	}
	for (size_t i = 0; i < g->ntrash; i++)
		if (storage_obj_remove(g->r->st, g->trash[i].key, err) != 0)
			goto out;
	for (size_t i = 0; i < g->np; i++)
		if (g->packs[i].resurrect)
			g->packs[i].marked = 0;
	rc = 0;
	goto out;
keep:
	/* Nothing is deleted: the marks and their records stay as they are. */
	g->rep->writers = true;
	g->rep->bytes_freed = 0;
	g->rep->packs_deleted = 0;
	for (size_t i = 0; i < g->np; i++)
		g->packs[i].drop = false;
	rc = 0;
out:
	for (size_t i = 0; i < nnew; i++)
		free(newkeys[i]);
	free(newkeys);
	return rc;
}

/* --- mark (and repack) ---------------------------------------------------------------- */

static bool
sel_new_mark(const struct gc_pack *p)
{
	return p->marked == 0 && p->drop;
}

struct repack {
	struct gc *g;
	struct pack_writer *pw[REPO_NKINDS];
	struct index_pack *packs;
	size_t np;
	struct index_entry *entries;
	size_t ne, cap;
	size_t *pending[REPO_NKINDS];
	size_t npending[REPO_NKINDS], pcap[REPO_NKINDS];
};

/* Chunks read at once when repacking (fetch items of about 100 bytes):
 * memory stays flat however much is repacked. */
#define REPACK_BATCH 8192

static int
repack_close(struct repack *rp, int kind, struct vs_error *err)
{
	uint64_t size;

	if (rp->pw[kind] == NULL)
		return 0;
	rp->packs = xreallocarray(rp->packs, rp->np + 1, sizeof *rp->packs);
	if (pack_writer_finish(rp->pw[kind], rp->packs[rp->np].id, &size, err) != 0)
		return -1;
	rp->packs[rp->np].kind = (uint8_t)kind;
	rp->packs[rp->np].size = size;
	for (size_t i = 0; i < rp->npending[kind]; i++)
		rp->entries[rp->pending[kind][i]].pack = (uint32_t)rp->np;
	rp->npending[kind] = 0;
	rp->np++;
	pack_writer_free(rp->pw[kind]);
	rp->pw[kind] = NULL;
	return 0;
}

static int
repack_cb(void *ud, unsigned worker, const struct fetch_item *it, const void *data, size_t len,
    const struct vs_error *bad, struct vs_error *err)
{
	struct repack *rp = ud;
	int kind = it->loc.kind;
	unsigned char *blob;
	size_t blen;
	uint32_t off;
	int rc;

	(void)worker;
	(void)bad;
	if (rp->pw[kind] == NULL && pack_writer_new(rp->g->r, kind, &rp->pw[kind], err) != 0)
		return -1;
	blob = blob_encode(&rp->g->r->codec, it->id, data, len, kind != REPO_KIND_META, &blen,
	    NULL);
	rc = pack_writer_add(rp->pw[kind], it->id, blob, blen, (uint32_t)len, &off, err);
	free(blob);
	if (rc != 0)
		return -1;
	if (rp->ne == rp->cap) {
		rp->cap = rp->cap ? 2 * rp->cap : 1024;
		rp->entries = xreallocarray(rp->entries, rp->cap, sizeof *rp->entries);
	}
	memcpy(rp->entries[rp->ne].id, it->id, REPO_ID_SIZE);
	rp->entries[rp->ne].offset = off;
	rp->entries[rp->ne].stored = (uint32_t)blen;
	rp->entries[rp->ne].raw = (uint32_t)len;
	if (rp->npending[kind] == rp->pcap[kind]) {
		rp->pcap[kind] = rp->pcap[kind] ? 2 * rp->pcap[kind] : 1024;
		rp->pending[kind] = xreallocarray(rp->pending[kind], rp->pcap[kind], sizeof(size_t));
	}
	rp->pending[kind][rp->npending[kind]++] = rp->ne;
	rp->ne++;
	if (pack_writer_size(rp->pw[kind]) >= PACK_TARGET)
		return repack_close(rp, kind, err);
	return 0;
}

/* Copy the live chunks of the packs chosen for repacking (drop set, some
 * live bytes) into new packs. */
static int
repack(struct gc *g, struct vs_error *err)
{
	struct repack rp = { .g = g };
	/* One thread: the callback appends to the packs in order. */
	struct fetch_opts o = { .nthreads = 1, .fn = repack_cb, .ud = &rp };
	struct fetch_item *items = xcalloc(REPACK_BATCH, sizeof *items);
	struct index_entry ent;
	const struct index_entry *e = &ent;
	unsigned char last[REPO_ID_SIZE];
	bool have_last = false, any = false;
	size_t n = 0, i;
	int rc = -1, more;

	gcidx_rewind(g->ix);
	do {
		more = gcidx_next(g->ix, &ent, &i, err);
		if (more < 0)
			goto out;
		if (more == 1) {
			const struct gc_pack *p = &g->packs[e->pack];

			/* A chunk in several packs is copied once. */
			if (!p->drop || p->live == 0 || !gcidx_live(g->ix, i) ||
			    (have_last && memcmp(last, e->id, REPO_ID_SIZE) == 0))
				continue;
			memset(&items[n], 0, sizeof items[n]);
			memcpy(items[n].id, e->id, REPO_ID_SIZE);
			memcpy(items[n].loc.pack, p->p.id, REPO_ID_SIZE);
			items[n].loc.kind = p->p.kind;
			items[n].loc.offset = e->offset;
			items[n].loc.stored = e->stored;
			items[n].loc.raw = e->raw;
			n++;
			memcpy(last, e->id, REPO_ID_SIZE);
			have_last = true;
		}
		/* A batch at a time, into the same new packs. */
		if (n == REPACK_BATCH || (more == 0 && n > 0)) {
			if (!any)
				job_progress(g->job, _("repacking mostly unused packs"), 0, 0, false);
			any = true;
			if (repo_fetch(g->r, items, n, &o, err) != 0)
				goto out;
			n = 0;
		}
	} while (more == 1);
	if (!any) {
		rc = 0;
		goto out;
	}
	for (int k = 0; k < REPO_NKINDS; k++)
		if (repack_close(&rp, k, err) != 0)
			goto out;
	/* The new packs are indexed before the old ones are marked. */
	if (index_file_write(g->r, rp.packs, rp.np, rp.entries, rp.ne, NULL, NULL, err) != 0)
		goto out;
	repo_index_drop(g->r);
	rc = 0;
out:
	for (int k = 0; k < REPO_NKINDS; k++) {
		pack_writer_free(rp.pw[k]);
		free(rp.pending[k]);
	}
	free(rp.packs);
	free(rp.entries);
	free(items);
	return rc;
}

/* What the packs indexed again hold: said when backups use it. */
static void
reindex_report(struct gc *g)
{
	for (size_t i = 0; i < g->np; i++) {
		char hex[2 * REPO_ID_SIZE + 1];

		if (!g->packs[i].reindex || g->packs[i].live == 0)
			continue;
		repo_hex(g->packs[i].p.id, REPO_ID_SIZE, hex);
		job_log(g->job, VS_LOG_WARN, _("pack %s holds chunks that backups use, but no "
		    "index file named it: it is indexed again"), hex);
	}
}

static int
mark(struct gc *g, struct vs_error *err)
{
	for (size_t i = 0; i < g->np; i++)
		g->packs[i].drop = false;
	for (size_t i = 0; i < g->np; i++) {
		struct gc_pack *p = &g->packs[i];

		if (p->marked != 0 || !p->stored)
			continue;
		if (!p->indexed) {
			/* Left by a killed backup: only once no backup writes
			 * and it is older than the grace period. */
			p->drop = g->active_backups == 0 && p->mtime + g->grace <= g->now;
		} else if (p->live == 0) {
			p->drop = true;
		} else if (p->live * 100 < p->total * REPACK_LIVE_PERCENT) {
			p->drop = true;
			g->rep->packs_repacked++;
		}
		if (p->drop) {
			g->rep->packs_marked++;
			g->rep->bytes_pending += p->p.size - (p->live < p->p.size ? p->live : 0);
		}
	}
	if (g->rep->dry_run || g->rep->packs_marked == 0)
		return 0;
	if (repack(g, err) != 0)
		return -1;
	if (trash_write(g, g->now, sel_new_mark, err) != 0)
		return -1;
	gc_step("marked");
	return 0;
}

static void
gc_free(struct gc *g)
{
	for (size_t i = 0; i < g->nindex; i++)
		free(g->index_keys[i]);
	free(g->index_keys);
	for (size_t i = 0; i < g->ntrash; i++) {
		free(g->trash[i].key);
		free(g->trash[i].packs);
	}
	free(g->trash);
	gcidx_free(g->ix);
	free(g->packs);
	free(g->blocking);
	for (size_t i = 0; i < g->nbackups; i++)
		free(g->backups[i]);
	free(g->backups);
}

/* Each pack's stored bytes, and of them those of live chunks (a chunk in
 * several packs counts in the first). */
static int
usage_count(struct gc *g, struct vs_error *err)
{
	struct index_entry e;
	unsigned char last[REPO_ID_SIZE];
	bool have_last = false;
	size_t i;
	int more;

	gcidx_rewind(g->ix);
	while ((more = gcidx_next(g->ix, &e, &i, err)) == 1) {
		struct gc_pack *p = &g->packs[e.pack];
		bool live = gcidx_live(g->ix, i);

		p->total += e.stored;
		if (live && (!have_last || memcmp(last, e.id, REPO_ID_SIZE) != 0)) {
			p->live += e.stored;
			g->rep->chunks_live++;
		} else if (!live) {
			g->rep->chunks_dead++;
		}
		memcpy(last, e.id, REPO_ID_SIZE);
		have_last = true;
	}
	return more < 0 ? -1 : 0;
}

int
repo_gc(struct repo *r, struct job *job, bool dry_run, struct repo_gc_report *rep,
    struct vs_error *err)
{
	struct gc g = { .r = r, .job = job, .rep = rep };
	const char *env = getenv("VSBACKUP_GC_GRACE");
	char *other = NULL;
	bool other_gc;
	int rc = -1;

	memset(rep, 0, sizeof *rep);
	rep->dry_run = dry_run;
	g.now = time_now();
	g.grace = env != NULL && *env != '\0' ? (time_t)strtoll(env, NULL, 10) :
	    (time_t)r->cfg->repository.gc_grace_minutes * 60;
	if (locks_scan(&g, &other_gc, &other, err) != 0)
		goto out;
	if (other_gc) {
		error_set(err, VS_ERR_LOCKED, _("another garbage collection of %s is running (lock "
		    "%s); if none is, remove that lock object"), storage_location(r->st), other);
		goto out;
	}
	if (!dry_run && repo_lock_take(r, "gc", &g.gc_lock, err) != 0)
		goto out;
	job_progress(job, _("reading the index"), 0, 0, false);
	if (index_load(&g, err) != 0 || live_collect(&g, err) != 0)
		goto out;
	/* What is left reads the entries back in order: the prefixes go
	 * before the index is rewritten. */
	gcidx_marked(g.ix);
	if (trash_load(&g, err) != 0)
		goto out;
	if (usage_count(&g, err) != 0)
		goto out;
	reindex_report(&g);
	for (size_t i = 0; i < g.np; i++) {
		if (g.packs[i].stored) {
			rep->packs++;
			rep->bytes_total += g.packs[i].p.size;
		}
	}
	if (g.active_backups > 0) {
		/* Nothing is deleted while a backup writes. */
		rep->writers = true;
		for (size_t i = 0; i < g.np; i++)
			g.packs[i].drop = false;
	} else if (sweep(&g, err) != 0) {
		goto out;
	}
	if (mark(&g, err) != 0)
		goto out;
	rc = 0;
out:
	if (g.gc_lock != NULL) {
		repo_lock_release(r, g.gc_lock);
		free(g.gc_lock);
	}
	free(other);
	gc_free(&g);
	return rc;
}
