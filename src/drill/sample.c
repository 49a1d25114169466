#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "drill/sample.h"

/* splitmix64's finaliser: every input bit reaches every output bit. */
static uint64_t
sample_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

uint64_t
drill_sample_hash(uint64_t seed, const char *key, size_t len)
{
	/* FNV-1a over the key, started from the mixed seed, mixed again. */
	uint64_t h = sample_mix(seed ^ UINT64_C(0x9e3779b97f4a7c15)) ^ UINT64_C(0xcbf29ce484222325);

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= UINT64_C(0x100000001b3);
	}
	return sample_mix(h ^ len);
}

struct sample_item {
	uint64_t hash;
	const struct drill_key *key;
	size_t pos;
};

static int
sample_cmp(const void *a, const void *b)
{
	const struct sample_item *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	if (x->key->len != y->key->len) {
		size_t n = x->key->len < y->key->len ? x->key->len : y->key->len;
		int c = memcmp(x->key->p, y->key->p, n);

		return c != 0 ? c : x->key->len < y->key->len ? -1 : 1;
	}
	return memcmp(x->key->p, y->key->p, x->key->len);
}

size_t
drill_sample_pick(const struct drill_key *keys, size_t n, size_t k, uint64_t seed,
    size_t *picked)
{
	struct sample_item *items;
	size_t m = n < k ? n : k;

	if (m == 0)
		return 0;
	items = xcalloc(n, sizeof *items);
	for (size_t i = 0; i < n; i++) {
		items[i].hash = drill_sample_hash(seed, keys[i].p, keys[i].len);
		items[i].key = &keys[i];
		items[i].pos = i;
	}
	qsort(items, n, sizeof *items, sample_cmp);
	for (size_t i = 0; i < m; i++)
		picked[i] = items[i].pos;
	free(items);
	return m;
}
