/*
 * Checking what a backup uses: every chunk of a file's recipe tree and of
 * the file, each read once, decoded and matched against its id. Damage is
 * counted and the first problem described; the check goes on past it.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "repo/repo.intern.h"

struct collect {
	unsigned char (*ids)[REPO_ID_SIZE];
	size_t n, cap;
};

static int
collect_cb(void *ud, const unsigned char id[REPO_ID_SIZE], bool meta)
{
	struct collect *c = ud;

	(void)meta;
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 4096;
		c->ids = xreallocarray(c->ids, c->cap, sizeof *c->ids);
	}
	memcpy(c->ids[c->n++], id, REPO_ID_SIZE);
	return 0;
}

struct tally {
	pthread_mutex_t lock;
	struct repo_file_check *out;
};

static int
tally_cb(void *ud, unsigned worker, const struct fetch_item *it, const void *data, size_t len,
    const struct vs_error *bad, struct vs_error *err)
{
	struct tally *t = ud;

	(void)worker;
	(void)data;
	(void)len;
	(void)err;
	pthread_mutex_lock(&t->lock);
	if (bad != NULL) {
		t->out->bad++;
		if (t->out->first[0] == '\0')
			snprintf(t->out->first, sizeof t->out->first, "%s", bad->msg);
	} else {
		t->out->bytes += it->loc.stored;
	}
	pthread_mutex_unlock(&t->lock);
	return 0;
}

/* The distinct chunks of file (its recipe's included), located: items
 * not in the index have kind REPO_NKINDS. 1 when the recipe itself cannot
 * be read (told in out). */
static int
file_items(struct repo *r, const struct manifest *m, const char *file,
    struct repo_file_check *out, struct fetch_item **itemsp, size_t *np, struct vs_error *err)
{
	const struct manifest_file *f = manifest_file_by_name(m, file);
	struct collect c = { 0 };
	struct fetch_item *items = NULL;
	struct vs_error werr;
	size_t n = 0, missing;
	int rc = -1;

	memset(out, 0, sizeof *out);
	*itemsp = NULL;
	*np = 0;
	if (f == NULL)
		return error_set(err, VS_ERR_NOTFOUND, _("backup %s has no %s"), m->backup_id, file);
	error_clear(&werr);
	if (recipe_walk(r, f, collect_cb, &c, &werr) != 0) {
		if (werr.code != VS_ERR_VERIFY) {
			*err = werr;
			goto out;
		}
		/* The recipe itself is damaged: the file cannot be read. */
		out->chunks = f->chunks;
		out->bad = f->chunks > 0 ? f->chunks : 1;
		snprintf(out->first, sizeof out->first, _("its recipe cannot be read: %s"), werr.msg);
		rc = 1;
		goto out;
	}
	repo_sort_ids(c.ids, c.n);
	items = xcalloc(c.n + 1, sizeof *items);
	for (size_t i = 0; i < c.n; i++) {
		if (n > 0 && memcmp(items[n - 1].id, c.ids[i], REPO_ID_SIZE) == 0)
			continue;
		memcpy(items[n++].id, c.ids[i], REPO_ID_SIZE);
	}
	out->chunks = n;
	if (repo_locate(r, items, n, &missing, err) != 0)
		goto out;
	*itemsp = items;
	*np = n;
	items = NULL;
	rc = 0;
out:
	free(items);
	free(c.ids);
	return rc;
}

int
repo_check_file(struct repo *r, const struct manifest *m, const char *file,
    const struct storage_progress *progress, struct repo_file_check *out,
    struct vs_error *err)
{
	struct fetch_item *items;
	struct tally t = { .out = out };
	struct fetch_opts o = { .nthreads = 4, .keep_going = true, .fn = tally_cb, .ud = &t,
	    .progress = progress };
	size_t n;
	int rc = file_items(r, m, file, out, &items, &n, err);

	if (rc != 0)
		return rc < 0 ? -1 : 0;
	pthread_mutex_init(&t.lock, NULL);
	rc = repo_fetch(r, items, n, &o, err);
	pthread_mutex_destroy(&t.lock);
	free(items);
	return rc;
}

/* The chunks of each pack a file uses: how many, their stored bytes, where
 * the last ends. */
struct pack_use {
	uint64_t chunks, bytes, end;
};

int
repo_check_present(struct repo *r, const struct manifest *m, const char *file,
    struct repo_file_check *out, struct vs_error *err)
{
	const struct manifest_file *f = manifest_file_by_name(m, file);
	unsigned char (*ids)[REPO_ID_SIZE] = NULL;
	struct fetch_item *items = NULL;
	struct pack_use *use = NULL;
	struct repo_index *ix;
	struct vs_error werr;
	size_t n = 0, missing, npacks;
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (f == NULL)
		return error_set(err, VS_ERR_NOTFOUND, _("backup %s has no %s"), m->backup_id, file);
	/* The file's chunks in its order, as the restore reads them: what is
	 * found here is kept for it (plan.c). */
	error_clear(&werr);
	if (recipe_expand(r, f, &ids, &n, &werr) != 0) {
		if (werr.code != VS_ERR_VERIFY) {
			*err = werr;
			return -1;
		}
		out->chunks = f->chunks;
		out->bad = f->chunks > 0 ? f->chunks : 1;
		snprintf(out->first, sizeof out->first, _("its recipe cannot be read: %s"), werr.msg);
		return 0;
	}
	items = xcalloc(n + 1, sizeof *items);
	for (size_t i = 0; i < n; i++) {
		memcpy(items[i].id, ids[i], REPO_ID_SIZE);
		items[i].tag = i;
	}
	free(ids);
	out->chunks = n;
	if (repo_locate(r, items, n, &missing, err) != 0 || repo_index_get(r, &ix, err) != 0)
		goto out;
	/* Each pack once, by its place in the index's table. */
	npacks = repo_index_npacks(ix);
	use = xcalloc(npacks + 1, sizeof *use);
	for (size_t i = 0; i < n; i++) {
		const struct repo_loc *l = &items[i].loc;
		struct pack_use *u;

		if (l->kind == REPO_NKINDS) {
			if (out->bad++ == 0) {
				char hex[2 * REPO_ID_SIZE + 1];

				repo_hex(items[i].id, REPO_ID_SIZE, hex);
				snprintf(out->first, sizeof out->first,
				    _("chunk %.16s is in no index (lost)"), hex);
			}
			continue;
		}
		u = &use[l->pack_no < npacks ? l->pack_no : npacks];
		u->chunks++;
		u->bytes += l->stored;
		if ((uint64_t)l->offset + l->stored > u->end)
			u->end = (uint64_t)l->offset + l->stored;
	}
	for (size_t p = 0; p < npacks; p++) {
		struct storage_stat sb;
		struct vs_error herr;
		char *key;
		int hrc;

		if (use[p].chunks == 0)
			continue;
		key = repo_pack_key(repo_index_pack(ix, p)->id);
		error_clear(&herr);
		hrc = storage_obj_head(r->st, key, &sb, &herr);
		if (hrc != 0 && herr.code != VS_ERR_NOTFOUND) {
			*err = herr;
			free(key);
			goto out;
		}
		if (hrc != 0 || sb.size < use[p].end) {
			if (out->bad == 0)
				snprintf(out->first, sizeof out->first, hrc != 0 ?
				    _("pack %s/%s is missing") : _("pack %s/%s is truncated"),
				    storage_location(r->st), key);
			out->bad += use[p].chunks;
		} else {
			out->bytes += use[p].bytes;
		}
		free(key);
	}
	if (out->bad == 0)
		repo_plan_keep(r, m->backup_id, f, items, n);
	rc = 0;
out:
	free(use);
	free(items);
	return rc;
}

/* --- the whole repository --------------------------------------------------- */

struct bad_set {
	pthread_mutex_t lock;
	unsigned char (*ids)[REPO_ID_SIZE];
	char (*why)[256];
	size_t n;
	uint64_t bytes;
};

static int
bad_cb(void *ud, unsigned worker, const struct fetch_item *it, const void *data, size_t len,
    const struct vs_error *bad, struct vs_error *err)
{
	struct bad_set *b = ud;

	(void)worker;
	(void)data;
	(void)len;
	(void)err;
	pthread_mutex_lock(&b->lock);
	if (bad != NULL) {
		b->ids = xreallocarray(b->ids, b->n + 1, sizeof *b->ids);
		b->why = xreallocarray(b->why, b->n + 1, sizeof *b->why);
		memcpy(b->ids[b->n], it->id, REPO_ID_SIZE);
		snprintf(b->why[b->n], sizeof b->why[0], "%s", bad->msg);
		b->n++;
	} else {
		b->bytes += it->loc.stored;
	}
	pthread_mutex_unlock(&b->lock);
	return 0;
}

struct uses {
	const struct bad_set *bad;
	struct repo_index *ix;
	uint64_t nbad;
	char first[512];
	struct vs_error err;
	bool failed;
};

static int
uses_cb(void *ud, const unsigned char id[REPO_ID_SIZE], bool meta)
{
	struct uses *u = ud;
	struct repo_loc loc;
	int f;

	(void)meta;
	for (size_t i = 0; i < u->bad->n; i++)
		if (memcmp(u->bad->ids[i], id, REPO_ID_SIZE) == 0) {
			if (u->nbad++ == 0)
				snprintf(u->first, sizeof u->first, "%s", u->bad->why[i]);
			return 0;
		}
	f = repo_index_find(u->ix, id, &loc, &u->err);
	if (f < 0) {
		u->failed = true;
		return -1;
	}
	if (f == 0 && u->nbad++ == 0) {
		char hex[2 * REPO_ID_SIZE + 1];

		repo_hex(id, REPO_ID_SIZE, hex);
		snprintf(u->first, sizeof u->first, _("chunk %.16s is in no index (lost)"), hex);
	}
	return 0;
}

static void
damage_add(struct repo_check_report *rep, const char *id, const char *file, uint64_t bad,
    const char *first)
{
	struct repo_damage *d;

	rep->damage = xreallocarray(rep->damage, rep->ndamage + 1, sizeof *rep->damage);
	d = &rep->damage[rep->ndamage++];
	memset(d, 0, sizeof *d);
	snprintf(d->id, sizeof d->id, "%s", id);
	snprintf(d->file, sizeof d->file, "%s", file);
	d->bad = bad;
	snprintf(d->first, sizeof d->first, "%s", first);
}

int
repo_check_all(struct repo *r, struct job *job, struct repo_check_report *rep,
    struct vs_error *err)
{
	struct bad_set bad = { 0 };
	struct fetch_opts fo = { .nthreads = 4, .keep_going = true, .fn = bad_cb, .ud = &bad };
	struct repo_index *ix;
	struct fetch_item *items = NULL;
	char **ids = NULL;
	size_t nids = 0;
	uint64_t n;
	int rc = -1;

	memset(rep, 0, sizeof *rep);
	pthread_mutex_init(&bad.lock, NULL);
	if (repo_index_get(r, &ix, err) != 0)
		goto out;
	n = repo_index_count(ix);
	rep->chunks = n;
	rep->packs = repo_index_npacks(ix);
	/* Every chunk once, in batches: memory stays bounded. */
	for (uint64_t first = 0; first < n; first += 65536) {
		size_t k = n - first < 65536 ? (size_t)(n - first) : 65536;
		struct index_entry *e = xcalloc(k + 1, sizeof *e);

		job_progress(job, _("reading every chunk"), first, n, false);
		if (repo_index_entries(ix, first, k, e, err) != 0) {
			free(e);
			goto out;
		}
		items = xreallocarray(items, k + 1, sizeof *items);
		for (size_t i = 0; i < k; i++) {
			const struct index_pack *p = repo_index_pack(ix, e[i].pack);

			memset(&items[i], 0, sizeof items[i]);
			memcpy(items[i].id, e[i].id, REPO_ID_SIZE);
			memcpy(items[i].loc.pack, p->id, REPO_ID_SIZE);
			items[i].loc.kind = p->kind;
			items[i].loc.offset = e[i].offset;
			items[i].loc.stored = e[i].stored;
			items[i].loc.raw = e[i].raw;
		}
		free(e);
		if (repo_fetch(r, items, k, &fo, err) != 0)
			goto out;
	}
	rep->bad_chunks = bad.n;
	rep->bytes = bad.bytes;
	/* Then who uses what is damaged. */
	if (repo_list_backups(r->st, &ids, &nids, err) != 0)
		goto out;
	rep->backups = nids;
	for (size_t i = 0; i < nids; i++) {
		struct manifest m;
		const struct manifest_file *f;
		struct vs_error merr;

		job_progress(job, _("checking what each backup uses"), i, nids, false);
		error_clear(&merr);
		if (repo_load_manifest(r, ids[i], &m, &merr) != 0) {
			damage_add(rep, ids[i], "", 1, merr.msg);
			continue;
		}
		for (size_t k = 0; (f = manifest_file_at(&m, k)) != NULL; k++) {
			struct uses u = { .bad = &bad, .ix = ix };

			if (!f->present)
				continue;
			error_clear(&u.err);
			if (recipe_walk(r, f, uses_cb, &u, &u.err) != 0 && !u.failed) {
				u.nbad = u.nbad > 0 ? u.nbad : 1;
				if (u.first[0] == '\0')
					snprintf(u.first, sizeof u.first, _("its recipe cannot be read: %s"),
					    u.err.msg);
			} else if (u.failed) {
				*err = u.err;
				manifest_clear(&m);
				goto out;
			}
			if (u.nbad > 0)
				damage_add(rep, ids[i], f->name, u.nbad, u.first);
		}
		manifest_clear(&m);
	}
	rc = 0;
out:
	for (size_t i = 0; i < nids; i++)
		free(ids[i]);
	free(ids);
	free(items);
	free(bad.ids);
	free(bad.why);
	pthread_mutex_destroy(&bad.lock);
	return rc;
}

void
repo_check_report_clear(struct repo_check_report *rep)
{
	free(rep->damage);
	memset(rep, 0, sizeof *rep);
}
