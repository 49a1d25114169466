/*
 * The XML an S3 endpoint answers with (src/storage/s3/s3-xml.c): listing
 * pages (also of the repository's packs, indexes and manifests), error
 * documents (also inside a 200 answer to a multipart completion) and the
 * answer that starts a multipart upload. The endpoint is not trusted. The
 * first input byte picks the document; the rest is the body as received.
 * A page accepted holds keys no longer than S3 allows; an error's text is
 * safe to print.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/s3/s3-xml.h"
#include "fuzz.h"

static void
fz_printable(const char *what, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; p != NULL && *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)) {
			fprintf(stderr, "error %s holds control character 0x%02x\n", what, *p);
			abort();
		}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data + 1;
	struct s3_list_page page;
	struct s3_xml_error xe;
	struct vs_error err;
	char *upload_id;

	if (size < 1)
		return 0;
	size--;
	switch (data[0] % 3) {
	case 0:
		if (s3_xml_parse_list(body, size, &page, &err) != 0)
			break;
		for (size_t i = 0; i < page.nobjects; i++)
			if (page.objects[i].key == NULL ||
			    strlen(page.objects[i].key) > S3_KEY_MAX)
				abort();
		s3_list_page_free(&page);
		break;
	case 1:
		if (s3_xml_parse_error(body, size, &xe) != 0)
			break;
		fz_printable("code", xe.code);
		fz_printable("message", xe.message);
		fz_printable("request id", xe.request_id);
		s3_xml_error_free(&xe);
		break;
	case 2:
		if (s3_xml_parse_initiate(body, size, &upload_id, &err) == 0)
			free(upload_id);
		break;
	}
	return 0;
}
