/*
 * Listing the bucket: the objects under s3.prefix whose key starts with
 * the storage prefix asked for, page by page.
 *
 * A listing is followed page by page only while it makes progress: a
 * continuation token the server named before (a loop), more than
 * S3_LIST_MAX_EMPTY empty pages in a row or more than S3_LIST_MAX_PAGES
 * pages in all end it with an error rather than requests without end.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "common/termsafe.h"
#include "common/xmalloc.h"
#include "storage/storage.intern.h"
#include "storage/s3/s3-addr.h"
#include "storage/s3/s3-client.h"
#include "storage/s3/s3-xml.h"
#include "storage/s3/s3.intern.h"

/* 100 million objects at S3's 1000 a page. */
#define S3_LIST_MAX_PAGES 100000
#define S3_LIST_MAX_EMPTY 1000

/* The continuation tokens seen in one listing, by a 64-bit hash (a
 * collision at worst ends a listing early with an error). Open
 * addressing; 0 marks a free slot. */
struct s3_token_set {
	uint64_t *slot;
	size_t cap, n;
};

static uint64_t
s3_token_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h != 0 ? h : 1;
}

/* Add token; false when it was there already. */
static bool
s3_token_add(struct s3_token_set *ts, const char *token)
{
	uint64_t h = s3_token_hash(token);
	size_t i;

	if (ts->n * 2 >= ts->cap) {
		struct s3_token_set bigger = { .cap = ts->cap == 0 ? 64 : ts->cap * 2 };

		bigger.slot = xcalloc(bigger.cap, sizeof *bigger.slot);
		for (i = 0; i < ts->cap; i++)
			if (ts->slot[i] != 0) {
				size_t j = (size_t)(ts->slot[i] % bigger.cap);

				while (bigger.slot[j] != 0)
					j = (j + 1) % bigger.cap;
				bigger.slot[j] = ts->slot[i];
				bigger.n++;
			}
		free(ts->slot);
		*ts = bigger;
	}
	for (i = (size_t)(h % ts->cap); ts->slot[i] != 0; i = (i + 1) % ts->cap)
		if (ts->slot[i] == h)
			return false;
	ts->slot[i] = h;
	ts->n++;
	return true;
}

/* Is the next page worth asking for? -1 with an error when the listing
 * goes round in circles or does not end. */
static int
s3_list_progress(struct s3_storage *s3, const char *list_prefix, struct s3_token_set *seen,
    const struct s3_list_page *page, size_t pages, size_t *empty, struct vs_error *err)
{
	char *safe;

	*empty = page->nobjects == 0 ? *empty + 1 : 0;
	if (!page->truncated)
		return 0;
	if (!s3_token_add(seen, page->next_token)) {
		safe = termsafe_ndup(page->next_token, strlen(page->next_token), 64);
		error_set(err, VS_ERR_S3,
		    _("listing s3://%s/%s: the server named continuation token \"%s\" again "
		      "after %zu pages, so the listing would never end; is the endpoint a "
		      "working S3 service?"), s3->client.ep.bucket, list_prefix, safe, pages);
		free(safe);
		return -1;
	}
	if (*empty > S3_LIST_MAX_EMPTY)
		return error_set(err, VS_ERR_S3,
		    _("listing s3://%s/%s: %zu empty pages in a row, each asking for another; "
		      "is the endpoint a working S3 service?"), s3->client.ep.bucket,
		    list_prefix, *empty);
	if (pages >= S3_LIST_MAX_PAGES)
		return error_set(err, VS_ERR_S3,
		    _("listing s3://%s/%s: still not finished after %d pages"),
		    s3->client.ep.bucket, list_prefix, S3_LIST_MAX_PAGES);
	return 0;
}

/* Every object under list_prefix, page by page; fn sees each one. */
static int
s3_list_objects(struct storage *st, const char *list_prefix,
    int (*fn)(void *ud, const struct s3_object *o), void *ud, struct vs_error *err)
{
	struct s3_storage *s3 = s3_of(st);
	struct s3_token_set seen = { 0 };
	struct s3_list_page page;
	struct s3_resp resp;
	struct s3_req req;
	char *token = NULL;
	size_t i, pages = 0, empty = 0;
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
		pages++;
		for (i = 0; i < page.nobjects && rc == 0; i++)
			rc = fn(ud, &page.objects[i]);
		if (rc == 0)
			rc = s3_list_progress(s3, list_prefix, &seen, &page, pages, &empty, err);
		free(token);
		token = page.truncated ? xstrdup(page.next_token) : NULL;
		s3_list_page_free(&page);
	} while (token != NULL && rc == 0);
	free(token);
	free(seen.slot);
	return rc;
}

struct s3_list_ctx {
	struct storage *st;
	storage_object_cb cb;
	void *ud;
};

static int
s3_list_one(void *ud, const struct s3_object *o)
{
	struct s3_list_ctx *lc = ud;
	struct storage_object so;
	const char *key = s3_key_strip(s3_of(lc->st)->prefix, o->key);
	size_t len;

	if (key == NULL || *key == '\0')
		return 0;
	len = strlen(key);
	memset(&so, 0, sizeof so);
	so.key = key;
	so.size = o->size;
	so.mtime = o->mtime;
	so.dir = key[len - 1] == '/';
	return lc->cb(lc->ud, &so);
}

int
s3_list(struct storage *st, const char *prefix, int depth, storage_object_cb cb,
    void *ud, struct vs_error *err)
{
	struct s3_list_ctx lc = { .st = st, .cb = cb, .ud = ud };
	char *base = s3_key_list_prefix(s3_of(st)->prefix);
	char *full = xasprintf("%s%s", base, prefix);
	int rc;

	(void)depth;
	rc = s3_list_objects(st, full, s3_list_one, &lc, err);
	free(full);
	free(base);
	/* A callback's stop is not a failure. */
	return rc < 0 ? -1 : 0;
}
