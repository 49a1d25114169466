/*
 * Where an object is: object keys built from the prefix and the storage's
 * key (and stripped of it for listed keys), and the URL,
 * Host and signed path of a request for path-style or virtual-hosted
 * addressing.
 */
#ifndef VS_S3_ADDR_H
#define VS_S3_ADDR_H

#include <stdbool.h>

#include "common/error.h"

struct s3_endpoint {
	char *scheme;         /* "https" (default) or "http" */
	char *host;           /* host[:port] of the service, without the bucket */
	char *base;           /* path of the endpoint ("" normally), no trailing '/' */
	char *bucket;
	bool path_style;
};

/* Set up ep from the configuration: endpoint "" means AWS in region;
 * an endpoint without scheme is https. Buckets with dots are always
 * addressed path-style (their names break TLS wildcard certificates). */
int s3_endpoint_init(struct s3_endpoint *ep, const char *endpoint, const char *region,
    const char *bucket, bool path_style, struct vs_error *err);
void s3_endpoint_free(struct s3_endpoint *ep);

/* For an object key (NULL: the bucket itself) and an already canonical
 * query string (may be ""): the Host header, the encoded path that is both
 * sent and signed, and the full URL. New strings. */
void s3_endpoint_url(const struct s3_endpoint *ep, const char *key, const char *query,
    char **host, char **path, char **url);

/* s3.prefix without leading or trailing slashes (a new string). */
char *s3_prefix_normalize(const char *prefix);

/* "{prefix}/{key}", or key alone when the prefix is empty. */
char *s3_key_build(const char *prefix, const char *key);

/* What ListObjectsV2 is asked for: "{prefix}/" or "". */
char *s3_key_list_prefix(const char *prefix);

/* The part of a listed key after "{prefix}/" (key itself when the prefix
 * is empty); NULL when the key is not under the prefix. Listed keys are
 * untrusted: callers check what they use. */
const char *s3_key_strip(const char *prefix, const char *key);

#endif
