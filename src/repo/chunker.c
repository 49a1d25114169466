/* FastCDC with record hints (see chunker.h). */
#include "config.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "repo/chunker.h"

struct hint {
	uint64_t off;
	bool force;
};

struct chunker {
	struct chunker_params p;
	uint64_t gear[256];
	uint64_t mask_s, mask_l, mask_r;
	bool records;
	unsigned char *mem;       /* the buffer; the bytes waiting start at buf */
	unsigned char *buf;       /* bytes [base, base + len) of the stream */
	size_t len, cap;
	uint64_t base;
	struct hint *hints;       /* ascending, all > base */
	size_t nh, hcap;
	uint64_t every_start, every_end;  /* records of every_size bytes */
	uint32_t every_size;
	uint64_t mask_e;          /* cut at one of them when its gear hash is 0 */
};

static uint64_t
mask_bits(int bits)
{
	if (bits <= 0)
		return 0;
	/* The high bits: they depend on the last 64 bytes only. */
	return ((UINT64_C(1) << bits) - 1) << (64 - bits);
}

static int
log2u(uint32_t v)
{
	int n = 0;

	while (v > 1) {
		v >>= 1;
		n++;
	}
	return n;
}

bool
chunker_params_valid(const struct chunker_params *p)
{
	return p->min >= 64 && p->avg > p->min && p->max > p->avg && p->max <= 16 * 1024 * 1024 &&
	    (p->avg & (p->avg - 1)) == 0;
}

/* The gear hash of the 64 bytes before position pos of the buffer (fewer
 * at the start of the stream). */
static uint64_t
gear_at(const struct chunker *c, size_t pos)
{
	uint64_t h = 0;
	size_t i = pos > 64 ? pos - 64 : 0;

	for (; i < pos; i++)
		h = (h << 1) + c->gear[c->buf[i]];
	return h;
}

/* FastCDC on buf[0..n): the length of the chunk (n when no cut and n is
 * below the maximum: the caller decides whether that is the end). */
static size_t
cut_bytes(const struct chunker *c, size_t n)
{
	size_t i, lim = n < c->p.max ? n : c->p.max, normal = c->p.avg;
	uint64_t h = 0;

	if (lim <= c->p.min)
		return lim;
	/* Warm up on the 64 bytes before the minimum: the test at each
	 * position depends on content only, not on where the chunk began. */
	for (i = c->p.min - 64; i < c->p.min; i++)
		h = (h << 1) + c->gear[c->buf[i]];
	if (normal > lim)
		normal = lim;
	for (; i < normal; i++) {
		h = (h << 1) + c->gear[c->buf[i]];
		if ((h & c->mask_s) == 0)
			return i + 1;
	}
	for (; i < lim; i++) {
		h = (h << 1) + c->gear[c->buf[i]];
		if ((h & c->mask_l) == 0)
			return i + 1;
	}
	return lim;
}

static void
drop_hints(struct chunker *c)
{
	size_t k = 0;

	while (k < c->nh && c->hints[k].off <= c->base)
		k++;
	if (k > 0) {
		memmove(c->hints, c->hints + k, (c->nh - k) * sizeof *c->hints);
		c->nh -= k;
	}
}

/* The first record start of the regular run (chunker_records_every)
 * after stream offset off, or UINT64_MAX. */
static uint64_t
every_after(const struct chunker *c, uint64_t off)
{
	uint64_t at;

	if (c->every_size == 0)
		return UINT64_MAX;
	if (off < c->every_start)
		at = c->every_start;
	else
		at = c->every_start + ((off - c->every_start) / c->every_size + 1) * c->every_size;
	return at < c->every_end ? at : UINT64_MAX;
}

/* Where the next chunk ends (a length), or 0 when more data is needed. */
static size_t
next_cut(struct chunker *c, bool final)
{
	size_t lim = c->len < c->p.max ? c->len : c->p.max, k = 0;
	uint64_t every = every_after(c, c->base);

	if (c->len == 0)
		return 0;
	/* The record starts, hinted and regular, in order. */
	for (;;) {
		uint64_t hint = k < c->nh ? c->hints[k].off : UINT64_MAX, next;
		bool force = false, regular = false;
		size_t at;

		if (every < hint) {
			next = every;
			every = every_after(c, every);
			regular = true;
		} else if (hint != UINT64_MAX) {
			next = hint;
			force = c->hints[k++].force;
			if (every == hint)
				every = every_after(c, every);
		} else {
			break;
		}
		at = (size_t)(next - c->base);
		/* A hint at the end of what is here may still be followed by
		 * the rest of its record's hints; judge it once data follows. */
		if (at > lim || (at == c->len && !final))
			break;
		if (force)
			return at;
		if (!c->records || at < c->p.min)
			continue;
		/* Regular records: the content alone decides (a record taken
		 * out leaves every other cut where it was); a hinted record
		 * ends a chunk of the average size. */
		if (regular && (at + c->every_size > c->p.max || (gear_at(c, at) & c->mask_e) == 0))
			return at;
		if (!regular && (at >= c->p.avg || (gear_at(c, at) & c->mask_r) == 0))
			return at;
	}
	if (c->len >= c->p.max) {
		size_t first_force = c->len;

		/* No record start fits: cut inside the record, never across a
		 * forced boundary. */
		for (size_t i = 0; i < c->nh; i++)
			if (c->hints[i].force) {
				first_force = (size_t)(c->hints[i].off - c->base);
				break;
			}
		lim = cut_bytes(c, c->len);
		return lim < first_force ? lim : first_force;
	}
	if (!final)
		return 0;
	if (!c->records) {
		lim = cut_bytes(c, c->len);
		return lim;
	}
	return c->len;
}

static int
emit(struct filter *f, struct chunker *c, bool final, struct vs_error *err)
{
	for (;;) {
		size_t cut;

		if (!c->records && !final && c->len < c->p.max) {
			/* Plain FastCDC can decide as soon as a cut is found. */
			size_t n = cut_bytes(c, c->len);
			size_t first_force = c->len;

			for (size_t k = 0; k < c->nh; k++)
				if (c->hints[k].force) {
					first_force = (size_t)(c->hints[k].off - c->base);
					break;
				}
			if (first_force < c->len && first_force > 0 && first_force <= n)
				cut = first_force;
			else if (n < c->len && n < first_force)
				cut = n;
			else
				cut = 0;
		} else {
			cut = next_cut(c, final);
		}
		if (cut == 0)
			return 0;
		if (filter_write(f->next, c->buf, cut, err) != 0)
			return -1;
		/* Move the rest to the front only when little is left, not
		 * after every chunk. */
		c->buf += cut;
		c->len -= cut;
		c->base += cut;
		drop_hints(c);
	}
}

static int
chunker_write(struct filter *f, const void *buf, size_t len, struct vs_error *err)
{
	struct chunker *c = f->priv;
	const unsigned char *p = buf;

	while (len > 0) {
		size_t room, n;

		if (c->buf != c->mem) {
			memmove(c->mem, c->buf, c->len);
			c->buf = c->mem;
		}
		room = c->cap - c->len;
		n = len < room ? len : room;
		memcpy(c->buf + c->len, p, n);
		c->len += n;
		p += n;
		len -= n;
		if (emit(f, c, false, err) != 0)
			return -1;
	}
	return 0;
}

static int
chunker_finish(struct filter *f, struct vs_error *err)
{
	struct chunker *c = f->priv;

	while (c->len > 0) {
		size_t before = c->len;

		if (emit(f, c, true, err) != 0)
			return -1;
		if (c->len == before)
			break;
	}
	return 0;
}

static void
chunker_free(struct filter *f)
{
	struct chunker *c = f->priv;

	free(c->mem);
	free(c->hints);
	free(c);
}

static const struct filter_type chunker_type = {
	.name = "chunker",
	.write = chunker_write,
	.finish = chunker_finish,
	.free = chunker_free,
};

struct filter *
chunker_new(const struct chunker_params *p, const unsigned char seed[32], struct chunker **out)
{
	struct chunker *c = xcalloc(1, sizeof *c);
	int bits = log2u(p->avg);

	c->p = *p;
	/* The gear table: SHA-256 of (seed, i), 8 bytes each. */
	for (int i = 0; i < 256; i++) {
		unsigned char in[33], md[32];

		memcpy(in, seed, 32);
		in[32] = (unsigned char)i;
		EVP_Digest(in, sizeof in, md, NULL, EVP_sha256(), NULL);
		memcpy(&c->gear[i], md, sizeof c->gear[i]);
	}
	c->mask_s = mask_bits(bits + 2);
	c->mask_l = mask_bits(bits - 2);
	/* Between the minimum and the average, about one record start in
	 * four ends a chunk. */
	c->mask_r = mask_bits(2);
	c->cap = 2 * (size_t)p->max;
	c->mem = xmalloc(c->cap);
	c->buf = c->mem;
	if (out != NULL)
		*out = c;
	return filter_new(&chunker_type, c);
}

void
chunker_use_records(struct chunker *c)
{
	c->records = true;
}

void
chunker_records_every(struct chunker *c, uint64_t start, uint64_t end, uint32_t size)
{
	int bits = 0;

	c->every_start = start;
	c->every_end = end;
	c->every_size = size;
	/* About the average size per chunk: 2^bits records, rounded. */
	while (size > 0 && bits < 16 &&
	    ((uint64_t)size << (bits + 1)) < (uint64_t)c->p.avg + c->p.avg / 2)
		bits++;
	c->mask_e = mask_bits(bits);
}

void
chunker_hint(struct chunker *c, uint64_t off, bool force)
{
	if (off <= c->base)
		return;
	if (c->nh > 0 && c->hints[c->nh - 1].off >= off) {
		if (c->hints[c->nh - 1].off == off)
			c->hints[c->nh - 1].force |= force;
		return;
	}
	if (c->nh == c->hcap) {
		c->hcap = c->hcap ? 2 * c->hcap : 256;
		c->hints = xreallocarray(c->hints, c->hcap, sizeof *c->hints);
	}
	c->hints[c->nh].off = off;
	c->hints[c->nh].force = force;
	c->nh++;
}
