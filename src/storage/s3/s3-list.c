/*
 * Listing the bucket: the backups under s3.prefix (a backup is complete
 * once its metadata.json is listed), and the objects of one backup.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "storage/storage.intern.h"
#include "storage/s3/s3-addr.h"
#include "storage/s3/s3-client.h"
#include "storage/s3/s3-xml.h"
#include "storage/s3/s3.intern.h"

/* Every object under list_prefix, page by page; fn sees each one. */
static int
s3_list_objects(struct storage *st, const char *list_prefix,
    int (*fn)(void *ud, const struct s3_object *o), void *ud, struct vs_error *err)
{
	struct s3_storage *s3 = s3_of(st);
	struct s3_list_page page;
	struct s3_resp resp;
	struct s3_req req;
	char *token = NULL;
	size_t i;
	int rc = 0;

	do {
		s3_req_init(&req, "GET", NULL, _("listing"));
		s3_req_query(&req, "list-type", "2");
		s3_req_query(&req, "prefix", list_prefix);
		if (token != NULL)
			s3_req_query(&req, "continuation-token", token);
		if (s3_request(&s3->client, &req, &resp, err) != 0) {
			s3_resp_free(&resp);
			rc = -1;
			break;
		}
		rc = s3_xml_parse_list(resp.body.data, resp.body.len, &page, err);
		s3_resp_free(&resp);
		if (rc != 0) {
			error_prefix(err, _("listing s3://%s/%s"), s3->client.ep.bucket,
			    list_prefix);
			break;
		}
		for (i = 0; i < page.nobjects && rc == 0; i++)
			rc = fn(ud, &page.objects[i]);
		free(token);
		token = page.truncated ? xstrdup(page.next_token) : NULL;
		s3_list_page_free(&page);
	} while (token != NULL && rc == 0);
	free(token);
	return rc;
}

struct s3_list_ctx {
	struct storage *st;
	struct storage_entry *entries;
	size_t n, cap;
};

static int
s3_list_one(void *ud, const struct s3_object *o)
{
	struct s3_list_ctx *lc = ud;
	struct s3_storage *s3 = s3_of(lc->st);
	struct storage_entry *e = NULL;
	char id[BACKUP_ID_SIZE];
	const char *file;
	size_t i;

	if (s3_key_parse(s3->prefix, o->key, id, &file) != 0) {
		storage_warn(lc->st, _("skipping s3://%s/%s: not a file of a backup "
		    "({prefix}/{YYYYMMDD_HHMMSS}/{known file name})"), s3->client.ep.bucket,
		    o->key);
		return 0;
	}
	/* Keys come sorted, so a backup's files are usually together. */
	for (i = lc->n; i > 0; i--)
		if (strcmp(lc->entries[i - 1].id, id) == 0) {
			e = &lc->entries[i - 1];
			break;
		}
	if (e == NULL) {
		if (lc->n == lc->cap) {
			lc->cap = lc->cap == 0 ? 64 : lc->cap * 2;
			lc->entries = xreallocarray(lc->entries, lc->cap, sizeof *lc->entries);
		}
		e = &lc->entries[lc->n++];
		memset(e, 0, sizeof *e);
		memcpy(e->id, id, sizeof e->id);
	}
	e->bytes += o->size;
	if (o->mtime > e->mtime)
		e->mtime = o->mtime;
	if (strcmp(file, STORAGE_METADATA) == 0)
		e->complete = true;
	return 0;
}

static int
s3_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct storage_entry *)a)->id,
	    ((const struct storage_entry *)b)->id);
}

int
s3_list(struct storage *st, storage_list_cb cb, void *ud, struct vs_error *err)
{
	struct s3_list_ctx lc = { .st = st };
	char *prefix = s3_key_list_prefix(s3_of(st)->prefix);
	size_t i;
	int rc;

	rc = s3_list_objects(st, prefix, s3_list_one, &lc, err);
	free(prefix);
	if (rc == 0) {
		/* An empty listing has no array at all: qsort wants one. */
		if (lc.n > 0)
			qsort(lc.entries, lc.n, sizeof *lc.entries, s3_entry_cmp);
		for (i = 0; i < lc.n; i++) {
			/* Without metadata.json the upload never finished. */
			lc.entries[i].partial = !lc.entries[i].complete;
			if (cb(ud, &lc.entries[i]) != 0)
				break;
		}
	}
	free(lc.entries);
	return rc;
}

static int
s3_names_one(void *ud, const struct s3_object *o)
{
	struct s3_names *nm = ud;
	const char *slash = strrchr(o->key, '/');
	const char *name = slash != NULL ? slash + 1 : o->key;

	nm->names = xreallocarray(nm->names, nm->n + 1, sizeof *nm->names);
	/* The full key: whatever is under the id goes when the backup goes. */
	nm->names[nm->n++] = xstrdup(o->key);
	if (strcmp(name, STORAGE_METADATA) == 0)
		nm->complete = true;
	return 0;
}

void
s3_names_free(struct s3_names *nm)
{
	size_t i;

	for (i = 0; i < nm->n; i++)
		free(nm->names[i]);
	free(nm->names);
	memset(nm, 0, sizeof *nm);
}

int
s3_list_backup(struct storage *st, const char *id, struct s3_names *nm,
    struct vs_error *err)
{
	char *dir = s3_key_build(s3_of(st)->prefix, id, NULL);
	int rc;

	memset(nm, 0, sizeof *nm);
	rc = s3_list_objects(st, dir, s3_names_one, nm, err);
	free(dir);
	if (rc != 0)
		s3_names_free(nm);
	return rc;
}
