#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "storage/storage.intern.h"
#include "storage/s3/s3-addr.h"
#include "storage/s3/sigv4.h"

/*
 * Is the endpoint's host an address rather than a name? A
 * bucket cannot be a name under it ("b.127.0.0.1" resolves nowhere), so
 * such endpoints are addressed path-style whatever s3.path_style says.
 */
static bool
host_is_address(const char *host)
{
	char h[64];
	size_t n = strcspn(host, ":");
	struct in_addr a;

	if (host[0] == '[')
		return true;
	if (n >= sizeof h)
		return false;
	memcpy(h, host, n);
	h[n] = '\0';
	return inet_pton(AF_INET, h, &a) == 1;
}

int
s3_endpoint_init(struct s3_endpoint *ep, const char *endpoint, const char *region,
    const char *bucket, bool path_style, struct vs_error *err)
{
	const char *p, *slash;
	size_t n;

	memset(ep, 0, sizeof *ep);
	if (endpoint == NULL || *endpoint == '\0') {
		ep->scheme = xstrdup("https");
		ep->host = xasprintf("s3.%s.amazonaws.com", region);
		ep->base = xstrdup("");
	} else {
		p = endpoint;
		if (strncmp(p, "https://", 8) == 0) {
			ep->scheme = xstrdup("https");
			p += 8;
		} else if (strncmp(p, "http://", 7) == 0) {
			ep->scheme = xstrdup("http");
			p += 7;
		} else if (strstr(p, "://") != NULL) {
			return error_set(err, VS_ERR_CONFIG,
			    _("s3.endpoint '%s': only http:// and https:// are supported"),
			    endpoint);
		} else
			ep->scheme = xstrdup("https");
		slash = strchr(p, '/');
		n = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || strcspn(p, "?#@ ") < n) {
			s3_endpoint_free(ep);
			return error_set(err, VS_ERR_CONFIG,
			    _("s3.endpoint '%s' is not a URL such as https://s3.example.com"),
			    endpoint);
		}
		ep->host = xstrndup(p, n);
		ep->base = xstrdup(slash != NULL ? slash : "");
		n = strlen(ep->base);
		while (n > 0 && ep->base[n - 1] == '/')
			ep->base[--n] = '\0';
	}
	ep->bucket = xstrdup(bucket);
	ep->path_style = path_style || strchr(bucket, '.') != NULL || host_is_address(ep->host);
	return 0;
}

void
s3_endpoint_free(struct s3_endpoint *ep)
{
	free(ep->scheme);
	free(ep->host);
	free(ep->base);
	free(ep->bucket);
	memset(ep, 0, sizeof *ep);
}

void
s3_endpoint_url(const struct s3_endpoint *ep, const char *key, const char *query,
    char **host, char **path, char **url)
{
	char *ekey = key != NULL ? sigv4_uri_encode(key, true) : NULL;
	char *bucket = sigv4_uri_encode(ep->bucket, false);

	if (ep->path_style) {
		*host = xstrdup(ep->host);
		if (ekey != NULL)
			*path = xasprintf("%s/%s/%s", ep->base, bucket, ekey);
		else
			*path = xasprintf("%s/%s", ep->base, bucket);
	} else {
		*host = xasprintf("%s.%s", ep->bucket, ep->host);
		*path = xasprintf("%s/%s", ep->base, ekey != NULL ? ekey : "");
	}
	*url = xasprintf("%s://%s%s%s%s", ep->scheme, *host, *path,
	    query != NULL && *query != '\0' ? "?" : "", query != NULL ? query : "");
	free(ekey);
	free(bucket);
}

char *
s3_prefix_normalize(const char *prefix)
{
	size_t n;

	while (*prefix == '/')
		prefix++;
	n = strlen(prefix);
	while (n > 0 && prefix[n - 1] == '/')
		n--;
	return xstrndup(prefix, n);
}

char *
s3_key_build(const char *prefix, const char *key)
{
	if (*prefix == '\0')
		return xstrdup(key);
	return xasprintf("%s/%s", prefix, key);
}

char *
s3_key_list_prefix(const char *prefix)
{
	return *prefix != '\0' ? xasprintf("%s/", prefix) : xstrdup("");
}

const char *
s3_key_strip(const char *prefix, const char *key)
{
	size_t n = strlen(prefix);

	if (n == 0)
		return key;
	if (strncmp(key, prefix, n) != 0 || key[n] != '/')
		return NULL;
	return key + n + 1;
}
