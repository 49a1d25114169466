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

static int
id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, REPO_ID_SIZE);
}

struct tally {
	pthread_mutex_t lock;
	struct repo_file_check *out;
};

static int
tally_cb(void *ud, const struct fetch_item *it, const void *data, size_t len,
    const struct vs_error *bad, struct vs_error *err)
{
	struct tally *t = ud;

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

int
repo_check_file(struct repo *r, const struct manifest *m, const char *file,
    const struct storage_progress *progress, struct repo_file_check *out,
    struct vs_error *err)
{
	const struct manifest_file *f = manifest_file_by_name(m, file);
	struct collect c = { 0 };
	struct fetch_item *items = NULL;
	struct tally t = { .out = out };
	struct vs_error werr;
	size_t n = 0, missing;
	int rc = -1;

	memset(out, 0, sizeof *out);
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
		rc = 0;
		goto out;
	}
	if (c.n > 0)
		qsort(c.ids, c.n, sizeof *c.ids, id_cmp);
	items = xcalloc(c.n + 1, sizeof *items);
	for (size_t i = 0; i < c.n; i++) {
		if (n > 0 && memcmp(items[n - 1].id, c.ids[i], REPO_ID_SIZE) == 0)
			continue;
		memcpy(items[n++].id, c.ids[i], REPO_ID_SIZE);
	}
	out->chunks = n;
	if (repo_locate(r, items, n, &missing, err) != 0)
		goto out;
	pthread_mutex_init(&t.lock, NULL);
	rc = repo_fetch(r, items, n, 4, true, tally_cb, &t, progress, err);
	pthread_mutex_destroy(&t.lock);
out:
	free(items);
	free(c.ids);
	return rc;
}
