/*
 * Recipe trees: the list of a file's chunk ids is itself cut into groups
 * (content-defined: after an id whose first byte is a multiple of
 * REPO_FANOUT) stored as meta chunks, whose ids are grouped the same way,
 * until at most REPO_FANOUT_MAX ids remain for the manifest. A change in
 * the file changes the group holding its id and the groups above it, so a
 * backup's recipes cost the repository little more than the changes.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "repo/repo.intern.h"

typedef unsigned char id_t32[REPO_ID_SIZE];

int
recipe_build(unsigned char (*ids)[REPO_ID_SIZE], size_t n, recipe_store_fn store, void *ud,
    struct manifest_file *mf, struct vs_error *err)
{
	id_t32 *cur = ids, *next = NULL;
	size_t ncur = n;
	int level = 1;

	while (ncur > REPO_FANOUT_MAX) {
		size_t start = 0, nnext = 0;

		next = xcalloc(ncur / 2 + 1, sizeof *next);
		for (size_t i = 0; i < ncur; i++) {
			if (cur[i][0] % REPO_FANOUT != 0 && i - start + 1 < REPO_FANOUT_MAX &&
			    i + 1 < ncur)
				continue;
			if (store(ud, cur[start], (i - start + 1) * REPO_ID_SIZE, next[nnext++],
			    err) != 0) {
				free(next);
				if (cur != ids)
					free(cur);
				return -1;
			}
			start = i + 1;
		}
		if (cur != ids)
			free(cur);
		cur = next;
		ncur = nnext;
		level++;
		/* Groups hold 1 to 64 ids: a level never grows. */
		if (level > 16) {
			free(cur);
			return error_set(err, VS_ERR_FAILED, _("the recipe tree does not converge"));
		}
	}
	mf->recipe_levels = level;
	mf->nrecipe = ncur;
	mf->recipe = xcalloc(ncur + 1, sizeof *mf->recipe);
	if (ncur > 0)
		memcpy(mf->recipe, cur, ncur * REPO_ID_SIZE);
	mf->chunks = n;
	if (cur != ids)
		free(cur);
	return 0;
}

struct expand_ctx {
	id_t32 *next;
	uint64_t *pos;            /* where each item's ids go, in ids */
	size_t nnext;
};

static int
expand_cb(void *ud, unsigned worker, const struct fetch_item *it, const void *data, size_t len,
    const struct vs_error *bad, struct vs_error *err)
{
	struct expand_ctx *ec = ud;

	(void)worker;
	(void)bad;
	if (len % REPO_ID_SIZE != 0 || ec->pos[it->tag] + len / REPO_ID_SIZE > ec->nnext)
		return error_set(err, VS_ERR_VERIFY, _("a recipe chunk is not a list of chunk ids"));
	memcpy(ec->next[ec->pos[it->tag]], data, len);
	return 0;
}

/* One level down: the ids the chunks of cur hold. */
static int
expand_level(struct repo *r, id_t32 *cur, size_t ncur, id_t32 **out, size_t *nout,
    struct vs_error *err)
{
	struct fetch_item *items = xcalloc(ncur + 1, sizeof *items);
	struct expand_ctx ec = { 0 };
	/* Recipe chunks are small: reads of 1 MiB keep memory low. */
	struct fetch_opts o = { .nthreads = 2, .range_max = 1024 * 1024, .fn = expand_cb,
	    .ud = &ec };
	uint64_t total = 0;
	int rc = -1;

	for (size_t i = 0; i < ncur; i++) {
		memcpy(items[i].id, cur[i], REPO_ID_SIZE);
		items[i].tag = i;
	}
	if (repo_locate(r, items, ncur, NULL, err) != 0)
		goto out;
	ec.pos = xcalloc(ncur + 1, sizeof *ec.pos);
	for (size_t i = 0; i < ncur; i++) {
		ec.pos[i] = total;
		if (items[i].loc.raw % REPO_ID_SIZE != 0) {
			error_set(err, VS_ERR_VERIFY, _("a recipe chunk is not a list of chunk ids"));
			goto out;
		}
		total += items[i].loc.raw / REPO_ID_SIZE;
	}
	ec.nnext = (size_t)total;
	ec.next = xcalloc(ec.nnext + 1, sizeof *ec.next);
	if (repo_fetch(r, items, ncur, &o, err) != 0)
		goto out;
	*out = ec.next;
	*nout = ec.nnext;
	ec.next = NULL;
	rc = 0;
out:
	free(ec.next);
	free(ec.pos);
	free(items);
	return rc;
}

int
recipe_walk(struct repo *r, const struct manifest_file *mf,
    int (*fn)(void *ud, const unsigned char id[REPO_ID_SIZE], bool meta), void *ud,
    struct vs_error *err)
{
	id_t32 *cur = mf->recipe, *next;
	size_t ncur = mf->nrecipe, nnext;
	int rc = 0;

	for (int level = mf->recipe_levels; level >= 1 && rc == 0; level--) {
		size_t keep = 0;

		if (level > 1 && cur == mf->recipe) {
			/* Compacted below: a copy of the manifest's level. */
			cur = xcalloc(ncur + 1, sizeof *cur);
			if (ncur > 0)
				memcpy(cur, mf->recipe, ncur * REPO_ID_SIZE);
		}
		for (size_t i = 0; i < ncur; i++) {
			int f = fn(ud, cur[i], level > 1);

			if (f == 1)
				continue;
			if (f != 0) {
				rc = f;
				break;
			}
			if (level > 1 && keep++ != i)
				memcpy(cur[keep - 1], cur[i], REPO_ID_SIZE);
		}
		/* Nothing below that was not seen: done. */
		if (rc != 0 || level == 1 || keep == 0)
			break;
		rc = expand_level(r, cur, keep, &next, &nnext, err);
		if (cur != mf->recipe)
			free(cur);
		cur = rc == 0 ? next : NULL;
		ncur = rc == 0 ? nnext : 0;
	}
	if (cur != mf->recipe)
		free(cur);
	return rc;
}

int
recipe_expand(struct repo *r, const struct manifest_file *mf,
    unsigned char (**ids)[REPO_ID_SIZE], size_t *n, struct vs_error *err)
{
	id_t32 *cur = xcalloc(mf->nrecipe + 1, sizeof *cur), *next;
	size_t ncur = mf->nrecipe, nnext;

	if (ncur > 0)
		memcpy(cur, mf->recipe, ncur * REPO_ID_SIZE);
	for (int level = mf->recipe_levels; level > 1; level--) {
		if (expand_level(r, cur, ncur, &next, &nnext, err) != 0) {
			free(cur);
			return -1;
		}
		free(cur);
		cur = next;
		ncur = nnext;
	}
	if (ncur != mf->chunks) {
		free(cur);
		return error_set(err, VS_ERR_VERIFY, _("the recipe of %s names %zu chunks, the "
		    "manifest says %llu"), mf->name, ncur, (unsigned long long)mf->chunks);
	}
	*ids = cur;
	*n = ncur;
	return 0;
}
