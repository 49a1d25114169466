/* Covers src/storage/s3/s3-xml.c: ListObjectsV2 pages with and without a
 * continuation, error documents, InitiateMultipartUploadResult. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/s3/s3-xml.h"
#include "tap.h"

#define NS "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\""

static void
test_list(void)
{
	const char *page1 =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<ListBucketResult " NS ">"
	    "<Name>bucket</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount>"
	    "<MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>"
	    "<Contents><Key>p/20240101_000000/redis.rdb</Key>"
	    "<LastModified>2024-01-01T00:00:05.000Z</LastModified>"
	    "<ETag>&quot;abc&quot;</ETag><Size>1234</Size>"
	    "<StorageClass>STANDARD</StorageClass></Contents>"
	    "<Contents><Key>p/a&amp;b &lt;x&gt;</Key><Size>0</Size></Contents>"
	    "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
	    "</ListBucketResult>";
	const char *page2 =
	    "<ListBucketResult " NS "><Name>bucket</Name><IsTruncated>false</IsTruncated>"
	    "<Contents><Key>p/20240101_000000/metadata.json</Key><Size>10</Size></Contents>"
	    "</ListBucketResult>";
	const char *empty =
	    "<ListBucketResult " NS "><Name>bucket</Name><KeyCount>0</KeyCount>"
	    "<IsTruncated>false</IsTruncated></ListBucketResult>";
	struct s3_list_page pg;
	struct vs_error err;

	is_int(s3_xml_parse_list(page1, strlen(page1), &pg, &err), 0, "page 1 parses");
	is_int(pg.nobjects, 2, "two objects");
	is_str(pg.objects[0].key, "p/20240101_000000/redis.rdb", "first key");
	is_int(pg.objects[0].size, 1234, "first size");
	is_int(pg.objects[0].mtime, 1704067205, "LastModified with milliseconds");
	is_str(pg.objects[1].key, "p/a&b <x>", "entities decoded in keys");
	ok(pg.truncated, "truncated");
	is_str(pg.next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=", "continuation token");
	s3_list_page_free(&pg);

	is_int(s3_xml_parse_list(page2, strlen(page2), &pg, &err), 0, "last page parses");
	ok(!pg.truncated && pg.next_token == NULL, "last page: not truncated, no token");
	is_int(pg.nobjects, 1, "last page: one object");
	s3_list_page_free(&pg);

	is_int(s3_xml_parse_list(empty, strlen(empty), &pg, &err), 0, "empty listing parses");
	is_int(pg.nobjects, 0, "empty listing: no objects");
	s3_list_page_free(&pg);
}

static void
test_list_bad(void)
{
	const char *docs[] = {
		"<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
		"<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
		"<ListBucketResult><Contents><Key>k</Key><Size>x1</Size></Contents></ListBucketResult>",
		"<Error><Code>AccessDenied</Code></Error>",
		"<ListBucketResult><Contents><Key>k</Key>",
		"not xml at all",
		/* Search by text would find a key here; a parser must not. */
		"<Other><ListBucketResult><Contents><Key>k</Key></Contents></ListBucketResult></Other>",
	};
	struct s3_list_page pg;
	struct vs_error err;
	size_t i;

	for (i = 0; i < sizeof docs / sizeof docs[0]; i++) {
		error_clear(&err);
		is_int(s3_xml_parse_list(docs[i], strlen(docs[i]), &pg, &err), -1,
		    "rejected: %.40s", docs[i]);
		ok(err.code == VS_ERR_S3 && pg.nobjects == 0, "  with an S3 error and nothing kept");
	}
}

static void
test_error(void)
{
	const char *doc =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<Error><Code>SignatureDoesNotMatch</Code>"
	    "<Message>The request signature we calculated does not match the signature you "
	    "provided. Check your key and signing method.</Message>"
	    "<AWSAccessKeyId>AKIA</AWSAccessKeyId><StringToSign>x</StringToSign>"
	    "<RequestId>4442587FB7D0A2F9</RequestId></Error>";
	const char *nested = "<Wrapper><Error><Code>X</Code></Error></Wrapper>";
	struct s3_xml_error e;

	is_int(s3_xml_parse_error(doc, strlen(doc), &e), 0, "error document parses");
	is_str(e.code, "SignatureDoesNotMatch", "error code");
	ok(e.message != NULL && strncmp(e.message, "The request signature we calculated", 35) == 0,
	    "error message");
	is_str(e.request_id, "4442587FB7D0A2F9", "request id");
	s3_xml_error_free(&e);
	is_int(s3_xml_parse_error(nested, strlen(nested), &e), -1, "Error not at the root: not one");
	is_int(s3_xml_parse_error("", 0, &e), -1, "empty body: not an error document");
	is_int(s3_xml_parse_error("<html>503</html>", 16, &e), -1, "HTML page: not one");
	is_int(s3_xml_parse_error("<Error><Message>m</Message></Error>", 35, &e), -1,
	    "Error without Code: not one");
}

/* Answers no S3 sends: refused for what they are, cheaply. */
static void
test_hostile(void)
{
	const char *doctype =
	    "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\">"
	    "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
	    "<ListBucketResult><IsTruncated>false</IsTruncated>"
	    "<Contents><Key>&b;</Key><Size>1</Size></Contents></ListBucketResult>";
	const char *bare_doctype =
	    "<!DOCTYPE ListBucketResult><ListBucketResult><IsTruncated>false</IsTruncated>"
	    "</ListBucketResult>";
	const char *sizes[] = { "-1", "+1", " 1", "1 ", "0x10", "18446744073709551616",
		"99999999999999999999", "" };
	struct s3_list_page pg;
	struct s3_xml_error e;
	struct vs_error err;
	char doc[512], *deep, *p;
	size_t i, depth = 5000;

	is_int(s3_xml_parse_list(doctype, strlen(doctype), &pg, &err), -1,
	    "a listing declaring entities is refused");
	ok(strstr(err.msg, "DOCTYPE") != NULL, "  saying why: %s", err.msg);
	is_int(s3_xml_parse_list(bare_doctype, strlen(bare_doctype), &pg, &err), -1,
	    "a DOCTYPE without entities too");
	is_int(s3_xml_parse_error(doctype, strlen(doctype), &e), -1,
	    "an error document with a DOCTYPE is not one");

	deep = malloc(depth * 7 + 200);
	p = deep + sprintf(deep, "<ListBucketResult><IsTruncated>false</IsTruncated>");
	for (i = 0; i < depth; i++)
		p += sprintf(p, "<x>");
	for (i = 0; i < depth; i++)
		p += sprintf(p, "</x>");
	sprintf(p, "</ListBucketResult>");
	is_int(s3_xml_parse_list(deep, strlen(deep), &pg, &err), -1,
	    "a listing nested 5000 deep is refused");
	ok(strstr(err.msg, "nested") != NULL, "  saying why: %s", err.msg);
	free(deep);

	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		snprintf(doc, sizeof doc, "<ListBucketResult><IsTruncated>false</IsTruncated>"
		    "<Contents><Key>k</Key><Size>%s</Size></Contents></ListBucketResult>", sizes[i]);
		is_int(s3_xml_parse_list(doc, strlen(doc), &pg, &err), -1,
		    "Size \"%s\" is refused", sizes[i]);
	}
	snprintf(doc, sizeof doc, "<ListBucketResult><IsTruncated>false</IsTruncated>"
	    "<Contents><Key>k</Key><Size>18446744073709551615</Size></Contents></ListBucketResult>");
	is_int(s3_xml_parse_list(doc, strlen(doc), &pg, &err), 0, "the largest Size is taken");
	ok(pg.nobjects == 1 && pg.objects[0].size == UINT64_MAX, "  as it is");
	s3_list_page_free(&pg);

	deep = malloc(4096);
	p = deep + sprintf(deep, "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>");
	memset(p, 'k', 1025);
	sprintf(p + 1025, "</Key><Size>1</Size></Contents></ListBucketResult>");
	is_int(s3_xml_parse_list(deep, strlen(deep), &pg, &err), -1,
	    "a key of 1025 bytes is refused");
	ok(strstr(err.msg, "1024") != NULL, "  naming the limit: %s", err.msg);
	sprintf(p + 1024, "</Key><Size>1</Size></Contents></ListBucketResult>");
	is_int(s3_xml_parse_list(deep, strlen(deep), &pg, &err), 0, "one of 1024 bytes is taken");
	s3_list_page_free(&pg);
	free(deep);

	snprintf(doc, sizeof doc, "<Error><Code>Slow\xc2\x9b" "2JDown</Code>"
	    "<Message>a&#13;b\\c</Message></Error>");
	is_int(s3_xml_parse_error(doc, strlen(doc), &e), 0, "an error with controls parses");
	is_str(e.code, "Slow\\xc2\\x9b2JDown", "  its code shown with the control escaped");
	is_str(e.message, "a\\x0db\\\\c", "  its message too");
	s3_xml_error_free(&e);
}

static void
test_initiate(void)
{
	const char *doc =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<InitiateMultipartUploadResult " NS "><Bucket>example-bucket</Bucket>"
	    "<Key>example-object</Key>"
	    "<UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>"
	    "</InitiateMultipartUploadResult>";
	const char *none =
	    "<InitiateMultipartUploadResult><Bucket>b</Bucket></InitiateMultipartUploadResult>";
	struct vs_error err;
	char *id;

	is_int(s3_xml_parse_initiate(doc, strlen(doc), &id, &err), 0, "initiate result parses");
	is_str(id, "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA", "upload id");
	free(id);
	is_int(s3_xml_parse_initiate(none, strlen(none), &id, &err), -1, "no UploadId: error");
	ok(id == NULL, "no UploadId: nothing returned");
}

int
main(void)
{
	test_list();
	test_list_bad();
	test_error();
	test_hostile();
	test_initiate();
	return tap_done();
}
