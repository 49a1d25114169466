/* Covers src/storage/s3/s3-addr.c: object keys under the prefix, listed
 * keys stripped of it, endpoints and URLs for both addressing styles. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "storage/s3/s3-addr.h"
#include "tap.h"

static void
test_keys(void)
{
	static const struct { const char *prefix, *key, *rel; } cases[] = {
		{ "p", "p/20240215_120000/redis.rdb", "20240215_120000/redis.rdb" },
		{ "", "20240215_120000/user_index.faiss", "20240215_120000/user_index.faiss" },
		{ "p", "p/repository/config", "repository/config" },
		{ "p", "px/20240215_120000/redis.rdb", NULL },
		{ "p", "q/20240215_120000/redis.rdb", NULL },
		{ "p", "p", NULL },
		{ "backups/prod", "backups/prod/x", "x" },
	};
	char *s;
	size_t i;

	s = s3_prefix_normalize("/backups/prod/");
	is_str(s, "backups/prod", "prefix: slashes trimmed");
	free(s);
	s = s3_key_build("backups/prod", "20240215_120000/redis.rdb");
	is_str(s, "backups/prod/20240215_120000/redis.rdb", "key with a prefix");
	free(s);
	s = s3_key_build("", "20240215_120000/metadata.json");
	is_str(s, "20240215_120000/metadata.json", "key without a prefix: no leading slash");
	free(s);
	s = s3_key_list_prefix("p");
	is_str(s, "p/", "listing prefix");
	free(s);
	s = s3_key_list_prefix("");
	is_str(s, "", "listing prefix, empty");
	free(s);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *rel = s3_key_strip(cases[i].prefix, cases[i].key);

		if (cases[i].rel == NULL)
			ok(rel == NULL, "'%s' is not under prefix '%s'", cases[i].key, cases[i].prefix);
		else
			is_str(rel, cases[i].rel, "'%s' under prefix '%s'", cases[i].key,
			    cases[i].prefix);
	}
}

static void
test_urls(void)
{
	struct s3_endpoint ep;
	struct vs_error err;
	char *host, *path, *url;

	is_int(s3_endpoint_init(&ep, "", "eu-west-1", "my-bucket", false, &err), 0, "AWS default");
	s3_endpoint_url(&ep, "p/20240215_120000/redis.rdb", "", &host, &path, &url);
	is_str(host, "my-bucket.s3.eu-west-1.amazonaws.com", "virtual-hosted: host");
	is_str(path, "/p/20240215_120000/redis.rdb", "virtual-hosted: path");
	is_str(url, "https://my-bucket.s3.eu-west-1.amazonaws.com/p/20240215_120000/redis.rdb",
	    "virtual-hosted: https URL");
	free(host); free(path); free(url);
	s3_endpoint_url(&ep, NULL, "list-type=2&prefix=p%2F", &host, &path, &url);
	is_str(url, "https://my-bucket.s3.eu-west-1.amazonaws.com/?list-type=2&prefix=p%2F",
	    "virtual-hosted: bucket URL with query");
	free(host); free(path); free(url);
	s3_endpoint_free(&ep);

	is_int(s3_endpoint_init(&ep, "http://127.0.0.1:4568/", "us-east-1", "b", true, &err), 0,
	    "custom http endpoint");
	s3_endpoint_url(&ep, "a b/c+d", "uploadId=x", &host, &path, &url);
	is_str(host, "127.0.0.1:4568", "path-style: host keeps the port");
	is_str(path, "/b/a%20b/c%2Bd", "path-style: bucket then encoded key");
	is_str(url, "http://127.0.0.1:4568/b/a%20b/c%2Bd?uploadId=x", "path-style: URL");
	free(host); free(path); free(url);
	s3_endpoint_url(&ep, NULL, "", &host, &path, &url);
	is_str(path, "/b", "path-style: bucket path");
	free(host); free(path); free(url);
	s3_endpoint_free(&ep);

	is_int(s3_endpoint_init(&ep, "minio.example.com:9000", "us-east-1", "b", false, &err), 0,
	    "endpoint without scheme");
	ok(strcmp(ep.scheme, "https") == 0, "  is https");
	s3_endpoint_free(&ep);
	is_int(s3_endpoint_init(&ep, "https://s3.example.com", "us-east-1", "my.dotted.bucket",
	    false, &err), 0, "dotted bucket");
	ok(ep.path_style, "  is addressed path-style");
	s3_endpoint_free(&ep);
	/* A bucket cannot be a name under an address: path-style there. */
	{
		static const char *const literal[] = { "http://127.0.0.1:9000", "10.1.2.3",
		    "https://[::1]:9000/" };

		for (size_t i = 0; i < sizeof literal / sizeof *literal; i++) {
			is_int(s3_endpoint_init(&ep, literal[i], "us-east-1", "b", false, &err), 0,
			    "endpoint %s", literal[i]);
			ok(ep.path_style, "  is addressed path-style");
			s3_endpoint_free(&ep);
		}
	}
	is_int(s3_endpoint_init(&ep, "https://s3.example.com:9000", "us-east-1", "b", false,
	    &err), 0, "a named endpoint");
	ok(!ep.path_style, "  is addressed virtual-hosted, as configured");
	s3_endpoint_free(&ep);
	is_int(s3_endpoint_init(&ep, "ftp://x", "us-east-1", "b", false, &err), -1,
	    "ftp:// endpoint rejected");
	ok(err.code == VS_ERR_CONFIG && strstr(err.msg, "ftp://x") != NULL, "  naming it");
}

int
main(void)
{
	test_keys();
	test_urls();
	return tap_done();
}
