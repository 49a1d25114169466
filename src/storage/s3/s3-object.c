/*
 * Single objects: HEAD, DELETE, and PUTs of small bodies from memory.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "storage/storage.intern.h"
#include "storage/s3/s3-addr.h"
#include "storage/s3/s3-client.h"
#include "storage/s3/s3.intern.h"

char *
s3_full_key(struct storage *st, const char *key)
{
	return s3_key_build(s3_of(st)->prefix, key);
}

int
s3_delete_key(struct storage *st, const char *key, struct vs_error *err)
{
	struct s3_resp resp;
	struct s3_req req;
	int rc;

	s3_req_init(&req, "DELETE", key, _("deleting"));
	rc = s3_request(&s3_of(st)->client, &req, &resp, err);
	s3_resp_free(&resp);
	/* Gone already is what was asked for. */
	if (rc != 0 && err->code == VS_ERR_NOTFOUND)
		rc = 0;
	return rc;
}

int
s3_remove(struct storage *st, const char *key, struct vs_error *err)
{
	char *full = s3_full_key(st, key);
	int rc = s3_delete_key(st, full, err);

	free(full);
	return rc;
}

/* HEAD: size and ETag of an object. */
int
s3_head(struct storage *st, const char *key, uint64_t *size, char **etag,
    struct vs_error *err)
{
	struct s3_resp resp;
	struct s3_req req;
	int rc;

	s3_req_init(&req, "HEAD", key, _("looking up"));
	rc = s3_request(&s3_of(st)->client, &req, &resp, err);
	if (rc == 0 && !resp.has_length)
		rc = error_set(err, VS_ERR_S3, _("looking up s3://%s/%s: no Content-Length"),
		    s3_of(st)->client.ep.bucket, key);
	if (rc == 0) {
		*size = resp.content_length;
		if (etag != NULL)
			*etag = resp.etag != NULL ? xstrdup(resp.etag) : NULL;
	}
	s3_resp_free(&resp);
	return rc;
}

int
s3_obj_head(struct storage *st, const char *key, struct storage_stat *out,
    struct vs_error *err)
{
	char *full = s3_full_key(st, key), *etag = NULL;
	int rc = s3_head(st, full, &out->size, &etag, err);

	if (rc == 0 && etag != NULL)
		snprintf(out->etag, sizeof out->etag, "%s", etag);
	free(etag);
	free(full);
	return rc;
}

int
s3_put_memory(struct storage *st, const char *key, const void *data, size_t len,
    const char *ctype, struct vs_error *err)
{
	struct s3_storage *s3 = s3_of(st);
	struct s3_resp resp;
	struct s3_req req;
	int rc;

	s3_req_init(&req, "PUT", key, _("uploading"));
	req.body = data != NULL ? data : "";
	req.body_len = len;
	s3_req_header(&req, "content-type", ctype);
	s3_add_sse(s3, &req);
	rc = s3_request(&s3->client, &req, &resp, err);
	s3_resp_free(&resp);
	return rc;
}

int
s3_read(struct storage *st, const char *key, size_t max, char **data, size_t *len,
    struct vs_error *err)
{
	char *full = s3_full_key(st, key);
	struct s3_resp resp;
	struct s3_req req;
	int rc;

	s3_req_init(&req, "GET", full, _("reading"));
	req.body_max = max;
	rc = s3_request(&s3_of(st)->client, &req, &resp, err);
	if (rc == 0) {
		*len = resp.body.len;
		*data = s3_buf_steal(&resp.body);
	}
	s3_resp_free(&resp);
	free(full);
	return rc;
}
