#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/xmalloc.h"
#include "storage/s3/s3-buf.h"
#include "storage/s3/sigv4.h"

static const char sigv4_hexdigits[] = "0123456789abcdef";

void
sigv4_hex(const unsigned char *data, size_t len, char *out)
{
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = sigv4_hexdigits[data[i] >> 4];
		out[2 * i + 1] = sigv4_hexdigits[data[i] & 0xf];
	}
	out[2 * len] = '\0';
}

void
sigv4_sha256_hex(const void *data, size_t len, char out[SIGV4_HEX_SIZE])
{
	unsigned char md[32];
	unsigned int mdlen = sizeof md;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1)
		fatal("SHA-256 failed");
	sigv4_hex(md, sizeof md, out);
}

void
sigv4_amz_date(time_t t, char out[SIGV4_DATE_SIZE])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, SIGV4_DATE_SIZE, "%Y%m%dT%H%M%SZ", &tm);
}

static int
sigv4_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

static void
sigv4_encode_into(struct s3_buf *b, const char *s, bool keep_slash)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (sigv4_unreserved(*p) || (keep_slash && *p == '/'))
			s3_buf_addc(b, (char)*p);
		else
			s3_buf_addf(b, "%%%02X", *p);
	}
}

char *
sigv4_uri_encode(const char *s, bool keep_slash)
{
	struct s3_buf b = { 0 };

	s3_buf_adds(&b, "");
	sigv4_encode_into(&b, s, keep_slash);
	return s3_buf_steal(&b);
}

struct sigv4_encoded {
	char *name;
	char *value;
};

static int
sigv4_cmp_encoded(const void *a, const void *b)
{
	const struct sigv4_encoded *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : strcmp(x->value, y->value);
}

char *
sigv4_canonical_query(const struct sigv4_pair *query, size_t n)
{
	struct sigv4_encoded *e;
	struct s3_buf b = { 0 };
	size_t i;

	s3_buf_adds(&b, "");
	if (n == 0)
		return s3_buf_steal(&b);
	e = xcalloc(n, sizeof *e);
	for (i = 0; i < n; i++) {
		e[i].name = sigv4_uri_encode(query[i].name, false);
		e[i].value = sigv4_uri_encode(query[i].value != NULL ?
		    query[i].value : "", false);
	}
	/* Byte order of the encoded forms, as the specification says. */
	qsort(e, n, sizeof *e, sigv4_cmp_encoded);
	for (i = 0; i < n; i++) {
		if (i > 0)
			s3_buf_addc(&b, '&');
		s3_buf_addf(&b, "%s=%s", e[i].name, e[i].value);
		free(e[i].name);
		free(e[i].value);
	}
	free(e);
	return s3_buf_steal(&b);
}

struct sigv4_hdr {
	char *name;                 /* lower case */
	char *value;                /* trimmed, inner runs of spaces collapsed */
	size_t order;               /* keeps duplicates in the order given */
};

static int
sigv4_cmp_hdr(const void *a, const void *b)
{
	const struct sigv4_hdr *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

static char *
sigv4_trim_value(const char *v)
{
	struct s3_buf b = { 0 };
	bool space = false;

	s3_buf_adds(&b, "");
	while (*v == ' ' || *v == '\t')
		v++;
	for (; *v != '\0'; v++) {
		if (*v == ' ' || *v == '\t') {
			space = true;
			continue;
		}
		if (space)
			s3_buf_addc(&b, ' ');
		space = false;
		s3_buf_addc(&b, *v);
	}
	return s3_buf_steal(&b);
}

/* Canonical headers block (each "name:value\n") and the signed-headers list. */
static void
sigv4_canonical_headers(const struct sigv4_pair *headers, size_t n, struct s3_buf *block,
    struct s3_buf *names)
{
	struct sigv4_hdr *h;
	size_t i;
	char *p;

	h = xcalloc(n > 0 ? n : 1, sizeof *h);
	for (i = 0; i < n; i++) {
		h[i].name = xstrdup(headers[i].name);
		for (p = h[i].name; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		h[i].value = sigv4_trim_value(headers[i].value != NULL ?
		    headers[i].value : "");
		h[i].order = i;
	}
	qsort(h, n, sizeof *h, sigv4_cmp_hdr);
	for (i = 0; i < n; i++) {
		/* A header given twice is one line with the values joined by ','. */
		if (i > 0 && strcmp(h[i].name, h[i - 1].name) == 0) {
			block->len--;   /* drop the '\n' */
			s3_buf_addf(block, ",%s\n", h[i].value);
			continue;
		}
		s3_buf_addf(block, "%s:%s\n", h[i].name, h[i].value);
		if (names->len > 0)
			s3_buf_addc(names, ';');
		s3_buf_adds(names, h[i].name);
	}
	for (i = 0; i < n; i++) {
		free(h[i].name);
		free(h[i].value);
	}
	free(h);
}

static void
sigv4_hmac(const void *key, size_t keylen, const char *msg, unsigned char out[32])
{
	unsigned int len = 32;

	if (HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg, strlen(msg),
	    out, &len) == NULL)
		fatal("HMAC-SHA256 failed");
}

void
sigv4_signing_key(const char *secret, const char *date8, const char *region,
    const char *service, unsigned char out[32])
{
	unsigned char k[32];
	char *first;

	first = xasprintf("AWS4%s", secret);
	sigv4_hmac(first, strlen(first), date8, k);
	/* The secret must not linger in freed memory. */
	OPENSSL_cleanse(first, strlen(first));
	free(first);
	sigv4_hmac(k, sizeof k, region, k);
	sigv4_hmac(k, sizeof k, service, k);
	sigv4_hmac(k, sizeof k, "aws4_request", out);
	OPENSSL_cleanse(k, sizeof k);
}

void
sigv4_sign(const struct sigv4_request *req, const struct sigv4_key *key,
    struct sigv4_result *out)
{
	struct s3_buf cr = { 0 }, block = { 0 }, names = { 0 }, sts = { 0 };
	char date8[9], crhash[SIGV4_HEX_SIZE], *query;
	unsigned char skey[32], sig[32];

	memset(out, 0, sizeof *out);
	s3_buf_adds(&block, "");
	s3_buf_adds(&names, "");
	sigv4_canonical_headers(req->headers, req->nheaders, &block, &names);
	query = sigv4_canonical_query(req->query, req->nquery);

	s3_buf_addf(&cr, "%s\n%s\n%s\n%s\n%s\n%s", req->method, req->path, query,
	    block.data, names.data, req->payload_hash);
	free(query);
	s3_buf_free(&block);

	memcpy(date8, key->amz_date, 8);
	date8[8] = '\0';
	sigv4_sha256_hex(cr.data, cr.len, crhash);
	s3_buf_addf(&sts, "%s\n%s\n%s/%s/%s/aws4_request\n%s", SIGV4_ALGORITHM,
	    key->amz_date, date8, key->region, key->service, crhash);

	sigv4_signing_key(key->secret, date8, key->region, key->service, skey);
	sigv4_hmac(skey, sizeof skey, sts.data, sig);
	OPENSSL_cleanse(skey, sizeof skey);
	sigv4_hex(sig, sizeof sig, out->signature);

	out->canonical_request = s3_buf_steal(&cr);
	out->string_to_sign = s3_buf_steal(&sts);
	out->signed_headers = s3_buf_steal(&names);
	out->authorization = xasprintf("%s Credential=%s/%s/%s/%s/aws4_request,"
	    "SignedHeaders=%s,Signature=%s", SIGV4_ALGORITHM, key->access_key_id, date8,
	    key->region, key->service, out->signed_headers, out->signature);
}

void
sigv4_result_free(struct sigv4_result *res)
{
	free(res->canonical_request);
	free(res->string_to_sign);
	free(res->signed_headers);
	free(res->authorization);
	memset(res, 0, sizeof *res);
}
