/*
 * The documents of a backup's Redis snapshot as a restore drill reads them
 * (src/drill/doc.c): a hand-written scanner finds each document's id
 * without parsing the whole text, and a full parse reads id and vector.
 * The documents are whatever the backed-up store held. The first input
 * byte is the vector's expected dimension; the rest is the document. The
 * scanner must agree with itself: on any prefix of a document whose id it
 * finds, it finds the same id or asks for more.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "drill/doc.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data + 1;
	float *vec;
	int64_t id, part = 0;
	int dim, got;
	size_t len;
	enum drill_id_scan whole;

	if (size < 1)
		return 0;
	dim = data[0] % 17;
	len = size - 1;
	/* Exactly dim floats: a write past them is caught. */
	vec = malloc(dim > 0 ? (size_t)dim * sizeof *vec : 1);
	(void)drill_doc_parse(text, len, "faiss_id", "embedding", dim, &id, vec, &got);
	free(vec);
	whole = drill_doc_scan_id(text, len, true, "faiss_id", &id);
	if (whole != DRILL_ID_FOUND)
		return 0;
	for (size_t cut = 0; cut < len; cut += 1 + len / 16) {
		enum drill_id_scan s = drill_doc_scan_id(text, cut, false, "faiss_id", &part);

		if (s == DRILL_ID_TRUNCATED)
			continue;
		if (s != DRILL_ID_FOUND || part != id) {
			fprintf(stderr, "the first %zu bytes scan as %d (id %lld), the whole "
			    "document as id %lld\n", cut, (int)s, (long long)part, (long long)id);
			abort();
		}
	}
	return 0;
}
