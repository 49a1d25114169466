/*
 * Covers src/storage/s3/sigv4.c: the worked examples of AWS's documentation
 * ("Signature Calculations for the Authorization Header" for S3, and the
 * generic SigV4 test suite), reproduced byte for byte.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "storage/s3/sigv4.h"
#include "tap.h"

#define S3_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define S3_KEY_ID "AKIAIOSFODNN7EXAMPLE"
#define S3_HOST "examplebucket.s3.amazonaws.com"
#define S3_DATE "20130524T000000Z"
#define S3_SCOPE "20130524/us-east-1/s3/aws4_request"

static const struct sigv4_key s3_key = {
	.access_key_id = S3_KEY_ID,
	.secret = S3_SECRET,
	.region = "us-east-1",
	.service = "s3",
	.amz_date = S3_DATE,
};

static void
test_get_object(void)
{
	const struct sigv4_pair headers[] = {
		{ "Host", S3_HOST },
		{ "Range", "bytes=0-9" },
		{ "x-amz-content-sha256", SIGV4_EMPTY_SHA256 },
		{ "x-amz-date", S3_DATE },
	};
	struct sigv4_request req = {
		.method = "GET", .path = "/test.txt",
		.headers = headers, .nheaders = 4,
		.payload_hash = SIGV4_EMPTY_SHA256,
	};
	struct sigv4_result r;

	sigv4_sign(&req, &s3_key, &r);
	is_str(r.canonical_request,
	    "GET\n"
	    "/test.txt\n"
	    "\n"
	    "host:examplebucket.s3.amazonaws.com\n"
	    "range:bytes=0-9\n"
	    "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
	    "x-amz-date:20130524T000000Z\n"
	    "\n"
	    "host;range;x-amz-content-sha256;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "GET Object: canonical request");
	is_str(r.string_to_sign,
	    "AWS4-HMAC-SHA256\n" S3_DATE "\n" S3_SCOPE "\n"
	    "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
	    "GET Object: string to sign");
	is_str(r.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
	    "GET Object: signature");
	is_str(r.authorization,
	    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
	    "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
	    "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
	    "GET Object: Authorization header");
	sigv4_result_free(&r);
}

static void
test_put_object(void)
{
	const char *body = "Welcome to Amazon S3.";
	char hash[SIGV4_HEX_SIZE], *path, *key;
	struct sigv4_pair headers[] = {
		{ "Host", S3_HOST },
		{ "Date", "Fri, 24 May 2013 00:00:00 GMT" },
		{ "x-amz-date", S3_DATE },
		{ "x-amz-storage-class", "REDUCED_REDUNDANCY" },
		{ "x-amz-content-sha256", NULL },
	};
	struct sigv4_request req = {
		.method = "PUT", .headers = headers, .nheaders = 5,
	};
	struct sigv4_result r;

	sigv4_sha256_hex(body, strlen(body), hash);
	is_str(hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
	    "PUT Object: payload hash");
	headers[4].value = hash;
	req.payload_hash = hash;
	key = sigv4_uri_encode("test$file.text", true);
	path = malloc(strlen(key) + 2);
	strcpy(path, "/");
	strcat(path, key);
	req.path = path;
	is_str(path, "/test%24file.text", "PUT Object: key encoded in the path");

	sigv4_sign(&req, &s3_key, &r);
	is_str(r.canonical_request,
	    "PUT\n"
	    "/test%24file.text\n"
	    "\n"
	    "date:Fri, 24 May 2013 00:00:00 GMT\n"
	    "host:examplebucket.s3.amazonaws.com\n"
	    "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
	    "x-amz-date:20130524T000000Z\n"
	    "x-amz-storage-class:REDUCED_REDUNDANCY\n"
	    "\n"
	    "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
	    "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
	    "PUT Object: canonical request");
	is_str(r.string_to_sign,
	    "AWS4-HMAC-SHA256\n" S3_DATE "\n" S3_SCOPE "\n"
	    "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
	    "PUT Object: string to sign");
	is_str(r.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
	    "PUT Object: signature");
	is_str(r.authorization,
	    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
	    "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,"
	    "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
	    "PUT Object: Authorization header");
	sigv4_result_free(&r);
	free(path);
	free(key);
}

/* The canonical request of a GET of the bucket with an empty body and the
 * canonical query string Q. */
#define BUCKET_GET(q) \
	"GET\n" \
	"/\n" \
	q "\n" \
	"host:examplebucket.s3.amazonaws.com\n" \
	"x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n" \
	"x-amz-date:20130524T000000Z\n" \
	"\n" \
	"host;x-amz-content-sha256;x-amz-date\n" \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* Sign a GET of the bucket with QUERY and check the canonical request, the
 * hash of it in the string to sign and the signature. */
static void
check_bucket_get(const char *what, const struct sigv4_pair *query, size_t nquery,
    const char *canonical, const char *request_hash, const char *signature)
{
	const struct sigv4_pair headers[] = {
		{ "Host", S3_HOST },
		{ "x-amz-date", S3_DATE },
		{ "x-amz-content-sha256", SIGV4_EMPTY_SHA256 },
	};
	struct sigv4_request req = {
		.method = "GET", .path = "/", .query = query, .nquery = nquery,
		.headers = headers, .nheaders = 3, .payload_hash = SIGV4_EMPTY_SHA256,
	};
	struct sigv4_result r;
	char sts[256];

	sigv4_sign(&req, &s3_key, &r);
	is_str(r.canonical_request, canonical, "%s: canonical request", what);
	snprintf(sts, sizeof sts, "AWS4-HMAC-SHA256\n" S3_DATE "\n" S3_SCOPE "\n%s",
	    request_hash);
	is_str(r.string_to_sign, sts, "%s: string to sign", what);
	is_str(r.signature, signature, "%s: signature", what);
	sigv4_result_free(&r);
}

static void
test_lifecycle(void)
{
	const struct sigv4_pair query[] = { { "lifecycle", NULL } };

	check_bucket_get("GET Bucket Lifecycle", query, 1, BUCKET_GET("lifecycle="),
	    "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca",
	    "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

static void
test_list_objects(void)
{
	/* Given out of order: the canonical form sorts them. */
	const struct sigv4_pair query[] = { { "prefix", "J" }, { "max-keys", "2" } };

	check_bucket_get("List Objects", query, 2, BUCKET_GET("max-keys=2&prefix=J"),
	    "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7",
	    "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

/* The generic SigV4 test suite: service "service", 2015-08-30. */
static void
test_vanilla(void)
{
	const struct sigv4_key key = {
		.access_key_id = "AKIDEXAMPLE",
		.secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
		.region = "us-east-1", .service = "service",
		.amz_date = "20150830T123600Z",
	};
	const struct sigv4_pair headers[] = {
		{ "Host", "example.amazonaws.com" },
		{ "X-Amz-Date", "20150830T123600Z" },
	};
	const struct sigv4_pair query[] = {
		{ "Param2", "value2" }, { "Param1", "value1" },
	};
	struct sigv4_request req = {
		.method = "GET", .path = "/", .headers = headers, .nheaders = 2,
		.payload_hash = SIGV4_EMPTY_SHA256,
	};
	struct sigv4_result r;
	unsigned char k[32];
	char hex[SIGV4_HEX_SIZE];

	sigv4_sign(&req, &key, &r);
	is_str(r.canonical_request,
	    "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
	    "host;x-amz-date\n" SIGV4_EMPTY_SHA256, "get-vanilla: canonical request");
	is_str(r.string_to_sign,
	    "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
	    "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
	    "get-vanilla: string to sign");
	is_str(r.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
	    "get-vanilla: signature");
	sigv4_result_free(&r);

	req.query = query;
	req.nquery = 2;
	sigv4_sign(&req, &key, &r);
	is_str(r.signature, "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
	    "get-vanilla-query-order-key-case: signature (query sorted)");
	sigv4_result_free(&r);

	/* "Examples of how to derive a signing key" (service iam). */
	sigv4_signing_key(key.secret, "20150830", "us-east-1", "iam", k);
	sigv4_hex(k, sizeof k, hex);
	is_str(hex, "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9",
	    "signing key derivation");
}

static void
test_encoding(void)
{
	char *s;
	const struct sigv4_pair q[] = {
		{ "continuation-token", "1/a+b=c d" },
		{ "list-type", "2" },
		{ "prefix", "backups/" },
		{ "b", "2" }, { "a", "z" }, { "a", "y" },
	};

	s = sigv4_uri_encode("pre fix/2024 01/a~b_c-d.e+f*g", true);
	is_str(s, "pre%20fix/2024%2001/a~b_c-d.e%2Bf%2Ag", "path: '/' kept, the rest encoded");
	free(s);
	s = sigv4_uri_encode("a/b", false);
	is_str(s, "a%2Fb", "query value: '/' encoded");
	free(s);
	s = sigv4_uri_encode("\xc3\xa9", true);
	is_str(s, "%C3%A9", "UTF-8 bytes encoded one by one, upper-case hex");
	free(s);
	s = sigv4_canonical_query(q, 6);
	is_str(s, "a=y&a=z&b=2&continuation-token=1%2Fa%2Bb%3Dc%20d&list-type=2&prefix=backups%2F",
	    "query: sorted by name then value, RFC 3986 encoded");
	free(s);
}

static void
test_header_canonical(void)
{
	const struct sigv4_pair headers[] = {
		{ "X-Amz-Meta-A", "  two   spaces  " },
		{ "host", "h" },
		{ "x-amz-meta-a", "second" },
	};
	struct sigv4_request req = {
		.method = "GET", .path = "/", .headers = headers, .nheaders = 3,
		.payload_hash = SIGV4_UNSIGNED_PAYLOAD,
	};
	struct sigv4_result r;
	char date[SIGV4_DATE_SIZE];

	sigv4_sign(&req, &s3_key, &r);
	is_str(r.canonical_request,
	    "GET\n/\n\nhost:h\nx-amz-meta-a:two spaces,second\n\nhost;x-amz-meta-a\n"
	    "UNSIGNED-PAYLOAD", "headers: lower-cased, trimmed, duplicates joined");
	sigv4_result_free(&r);

	sigv4_amz_date(1369353600, date);
	is_str(date, "20130524T000000Z", "x-amz-date format");
}

int
main(void)
{
	test_get_object();
	test_put_object();
	test_lifecycle();
	test_list_objects();
	test_vanilla();
	test_encoding();
	test_header_canonical();
	return tap_done();
}
