/*
 * AWS Signature Version 4, as S3 checks it: pure functions with no I/O, so
 * the worked examples of AWS's documentation can be reproduced exactly.
 *
 * The caller passes the path already encoded (sigv4_uri_encode with '/'
 * kept: S3 does not encode the path a second time) and the query as raw
 * name/value pairs; the canonical query this module builds is also what the
 * caller must send, so what is signed and what arrives are the same bytes.
 */
#ifndef VS_SIGV4_H
#define VS_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
/* SHA-256 of nothing, the payload hash of every request without a body. */
#define SIGV4_EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/* 64 hex digits and a NUL. */
#define SIGV4_HEX_SIZE 65
/* "20130524T000000Z" and a NUL. */
#define SIGV4_DATE_SIZE 17

struct sigv4_pair {
	const char *name;
	const char *value;          /* NULL counts as "" */
};

struct sigv4_request {
	const char *method;
	const char *path;           /* canonical URI, already encoded */
	const struct sigv4_pair *query;   /* raw (unencoded) names and values */
	size_t nquery;
	const struct sigv4_pair *headers; /* every header to sign, any case */
	size_t nheaders;
	const char *payload_hash;   /* hex SHA-256 of the body, or UNSIGNED-PAYLOAD */
};

struct sigv4_key {
	const char *access_key_id;
	const char *secret;
	const char *region;
	const char *service;        /* "s3" */
	const char *amz_date;       /* "YYYYMMDDTHHMMSSZ" */
};

/* What signing produced, each a new string; sigv4_result_free releases them. */
struct sigv4_result {
	char *canonical_request;
	char *string_to_sign;
	char *signed_headers;       /* "host;x-amz-date" */
	char signature[SIGV4_HEX_SIZE];
	char *authorization;        /* the Authorization header's value */
};

/* RFC 3986 percent-encoding of everything but A-Z a-z 0-9 - . _ ~ (and '/'
 * when keep_slash), upper-case hex, as SigV4 requires. */
char *sigv4_uri_encode(const char *s, bool keep_slash);

/* "a=1&b=2": names and values encoded, sorted by name then value. */
char *sigv4_canonical_query(const struct sigv4_pair *query, size_t n);

/* Hex of len bytes into out (2 * len + 1 bytes). */
void sigv4_hex(const unsigned char *data, size_t len, char *out);

/* Hex SHA-256 of data. */
void sigv4_sha256_hex(const void *data, size_t len, char out[SIGV4_HEX_SIZE]);

/* t as "YYYYMMDDTHHMMSSZ" (UTC). */
void sigv4_amz_date(time_t t, char out[SIGV4_DATE_SIZE]);

/* The signing key: HMAC chain over "AWS4" + secret, date, region, service,
 * "aws4_request". */
void sigv4_signing_key(const char *secret, const char *date8, const char *region,
    const char *service, unsigned char out[32]);

/* Sign req with key: canonical request, string to sign, signature and the
 * Authorization value ("AWS4-HMAC-SHA256 Credential=...,SignedHeaders=...,
 * Signature=..."). */
void sigv4_sign(const struct sigv4_request *req, const struct sigv4_key *key,
    struct sigv4_result *out);

void sigv4_result_free(struct sigv4_result *res);

#endif
