/*
 * A file's chunks located once. The check before a restore expands each
 * file's recipe and looks up every chunk in the index; the restore that
 * follows needs exactly that list, in the order of the file. Instead of
 * doing the work twice, the check keeps it here in a compact form (the
 * pack's position in the index cache's table, the offset and both sizes:
 * 16 bytes a chunk, and the id only where an encrypted chunk needs it to
 * be opened) and the restore takes it. Chunks located without their ids
 * are still checked: a restore compares the whole file's SHA-256 before
 * anything is put in place, and reads the chunks again by their ids only
 * to name the damaged one.
 *
 * The plans point into the index cache that is open (r->idx) and are
 * dropped with it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "repo/repo.intern.h"

/* What the plans of one repository may hold at most: about a million
 * chunks of 16 bytes, or 350,000 with their ids (a medium store's three
 * files are about 220,000 chunks). */
#define PLAN_BUDGET (16u * 1024 * 1024)

struct plan_at {
	uint32_t pack_no, offset, stored, raw;
};

struct repo_plan {
	struct repo_plan *next;
	char backup_id[BACKUP_ID_SIZE];
	char file[MANIFEST_NAME_MAX];
	char sha256[65];
	size_t n;
	struct plan_at *at;
	unsigned char (*ids)[REPO_ID_SIZE];   /* NULL unless encrypted */
	size_t bytes;
};

static void
plan_free(struct repo_plan *p)
{
	free(p->at);
	free(p->ids);
	free(p);
}

static bool
plan_is(const struct repo_plan *p, const char *backup_id, const struct manifest_file *f)
{
	return strcmp(p->backup_id, backup_id) == 0 && strcmp(p->file, f->name) == 0 &&
	    strcmp(p->sha256, f->sha256) == 0 && p->n == f->chunks;
}

/* Unlink the plan for f of backup_id from r (NULL when there is none). */
static struct repo_plan *
plan_unlink(struct repo *r, const char *backup_id, const struct manifest_file *f)
{
	for (struct repo_plan **pp = &r->plans; *pp != NULL; pp = &(*pp)->next) {
		struct repo_plan *p = *pp;

		if (!plan_is(p, backup_id, f))
			continue;
		*pp = p->next;
		r->plan_bytes -= p->bytes;
		return p;
	}
	return NULL;
}

void
repo_plan_keep(struct repo *r, const char *backup_id, const struct manifest_file *f,
    const struct fetch_item *items, size_t n)
{
	bool ids = r->keys.encrypted;
	size_t bytes = n * (sizeof(struct plan_at) + (ids ? REPO_ID_SIZE : 0));
	struct repo_plan *p;

	p = plan_unlink(r, backup_id, f);
	if (p != NULL)
		plan_free(p);
	if (n != f->chunks || r->idx == NULL || r->plan_bytes > PLAN_BUDGET ||
	    bytes > PLAN_BUDGET - r->plan_bytes)
		return;
	p = xcalloc(1, sizeof *p);
	snprintf(p->backup_id, sizeof p->backup_id, "%s", backup_id);
	snprintf(p->file, sizeof p->file, "%s", f->name);
	snprintf(p->sha256, sizeof p->sha256, "%s", f->sha256);
	p->n = n;
	p->bytes = bytes;
	p->at = xcalloc(n + 1, sizeof *p->at);
	if (ids)
		p->ids = xcalloc(n + 1, sizeof *p->ids);
	for (size_t i = 0; i < n; i++) {
		const struct repo_loc *l = &items[i].loc;

		p->at[i] = (struct plan_at){ l->pack_no, l->offset, l->stored, l->raw };
		if (ids)
			memcpy(p->ids[i], items[i].id, REPO_ID_SIZE);
	}
	p->next = r->plans;
	r->plans = p;
	r->plan_bytes += bytes;
}

struct fetch_item *
repo_plan_take(struct repo *r, const char *backup_id, const struct manifest_file *f,
    size_t *n, bool *ids)
{
	struct repo_plan *p = plan_unlink(r, backup_id, f);
	struct fetch_item *items;
	size_t npacks;

	if (p == NULL)
		return NULL;
	if (r->idx == NULL) {
		plan_free(p);
		return NULL;
	}
	npacks = repo_index_npacks(r->idx);
	items = xcalloc(p->n + 1, sizeof *items);
	for (size_t i = 0; i < p->n; i++) {
		const struct index_pack *pk;
		struct fetch_item *it = &items[i];

		if (p->at[i].pack_no >= npacks) {
			free(items);
			plan_free(p);
			return NULL;
		}
		pk = repo_index_pack(r->idx, p->at[i].pack_no);
		if (p->ids != NULL)
			memcpy(it->id, p->ids[i], REPO_ID_SIZE);
		memcpy(it->loc.pack, pk->id, REPO_ID_SIZE);
		it->loc.kind = pk->kind;
		it->loc.pack_no = p->at[i].pack_no;
		it->loc.offset = p->at[i].offset;
		it->loc.stored = p->at[i].stored;
		it->loc.raw = p->at[i].raw;
		it->tag = i;
	}
	*n = p->n;
	*ids = p->ids != NULL;
	plan_free(p);
	return items;
}

void
repo_plan_drop(struct repo *r)
{
	while (r->plans != NULL) {
		struct repo_plan *p = r->plans;

		r->plans = p->next;
		plan_free(p);
	}
	r->plan_bytes = 0;
}
