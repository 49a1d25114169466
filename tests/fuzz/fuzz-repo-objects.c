/*
 * The objects of the format 2 repository (src/repo/), which whoever can
 * write the repository (the S3 endpoint, for one in S3) controls: an index
 * file, the envelope of an index, a manifest or a pack table (plain and
 * encrypted codecs), a manifest's text, a chunk blob. The first input byte
 * picks the parser; the rest is the object.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/manifest.h"
#include "repo/blob.h"
#include "repo/repo.intern.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct repo_keys plain, sealed = { .encrypted = true };
	struct repo_codec cp = { .keys = &plain, .level = 3 }, cs = { .keys = &sealed, .level = 3 };
	struct vs_error err;
	unsigned char *body, out[4096], id[REPO_ID_SIZE] = { 0 };
	size_t blen;
	static const char *const kinds[] = { "VSIX", "VSMF", "VSPT" };

	if (size < 1)
		return 0;
	/* The first byte picks the parser; the rest is the object. */
	switch (data[0] % 4) {
	case 0: {
		struct index_pack *packs;
		struct index_entry *entries;
		size_t np, ne;

		if (index_file_parse(data + 1, size - 1, "fuzz", &packs, &np, &entries, &ne,
		    &err) == 0) {
			free(packs);
			free(entries);
		}
		break;
	}
	case 1:
		for (size_t k = 0; k < 3; k++) {
			if (env_decode(&cp, kinds[k], data + 1, size - 1, "fuzz", &body, &blen,
			    &err) == 0)
				free(body);
			if (env_decode(&cs, kinds[k], data + 1, size - 1, "fuzz", &body, &blen,
			    &err) == 0)
				free(body);
		}
		break;
	case 2: {
		char *json = malloc(size);
		struct manifest m;

		memcpy(json, data + 1, size - 1);
		json[size - 1] = '\0';
		if (manifest_parse(json, "fuzz", &m, &err) == 0)
			manifest_clear(&m);
		free(json);
		break;
	}
	case 3:
		if (size > 2) {
			size_t raw = data[1] * 16u;

			if (raw <= sizeof out) {
				blob_decode(&cp, id, data + 2, size - 2, out, raw, &err);
				blob_decode(&cs, id, data + 2, size - 2, out, raw, &err);
			}
		}
		break;
	}
	return 0;
}
