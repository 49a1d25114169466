/*
 * Listing the bucket: the objects under s3.prefix whose key starts with
 * the storage prefix asked for, page by page.
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
