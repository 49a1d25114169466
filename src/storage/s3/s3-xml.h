/*
 * The XML bodies S3 answers with, parsed with expat: ListObjectsV2 pages,
 * error documents, InitiateMultipartUploadResult, the results of copies. Element paths are matched
 * exactly; nothing is found by searching the text. A document with a
 * DOCTYPE, nested more than 16 deep or with an element's text over 64 KiB
 * is refused; the text of an error document is made safe to print
 * (termsafe.h).
 */
#ifndef VS_S3_XML_H
#define VS_S3_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/error.h"

/* The longest key S3 stores (bytes of UTF-8); a listing with a longer one
 * is not from S3 and is refused. */
#define S3_KEY_MAX 1024

struct s3_object {
	char *key;
	uint64_t size;
	time_t mtime;         /* LastModified; 0 when absent or unreadable */
};

struct s3_list_page {
	struct s3_object *objects;
	size_t nobjects;
	bool truncated;
	char *next_token;     /* NextContinuationToken, NULL when none */
};

struct s3_xml_error {
	char *code;           /* "SignatureDoesNotMatch" */
	char *message;
	char *request_id;
};

/* Parse one ListObjectsV2 result page. VS_ERR_S3 when the body is not one,
 * or has a key longer than S3_KEY_MAX or a Size that is not a plain
 * decimal number. */
int s3_xml_parse_list(const char *body, size_t len, struct s3_list_page *out,
    struct vs_error *err);
void s3_list_page_free(struct s3_list_page *page);

/* Parse an <Error> document; 0 when the body is one, -1 otherwise (out is
 * then empty). */
int s3_xml_parse_error(const char *body, size_t len, struct s3_xml_error *out);
void s3_xml_error_free(struct s3_xml_error *e);

/* The UploadId of an InitiateMultipartUploadResult (a new string). */
int s3_xml_parse_initiate(const char *body, size_t len, char **upload_id,
    struct vs_error *err);

/* The ETag of a CopyObjectResult or CopyPartResult (root names which; a
 * new string). */
int s3_xml_parse_copy(const char *body, size_t len, const char *root, char **etag,
    struct vs_error *err);

#endif
