/*
 * The documents and vectors of the demo: a seeded random number
 * generator, the JSON text of content and user documents, and their
 * vectors.
 *
 * Vectors are unit length (inner product = cosine similarity, the metric of
 * the indexes, see faiss-index.h) and grouped around one centre per
 * category or segment, so similar documents really are near each other.
 * Every component is rounded to six decimals before it goes anywhere: the
 * JSON text and the float in the index are then the same number.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/xmalloc.h"
#include "demo/demo.intern.h"

/* Timestamps in the documents end here (2025-06-01T00:00:00Z), so the same
 * seed gives the same documents whenever the demo runs. */
#define DEMO_TIME_END 1748736000LL

/* ---- random numbers: splitmix64, small and fast, fixed by the seed ---- */

static uint64_t
demo_rand(struct demo_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint32_t
demo_rand_below(struct demo_rng *r, uint32_t n)
{
	return (uint32_t)(((demo_rand(r) >> 32) * n) >> 32);
}

/* Roughly normal with mean 0 and deviation 1: the sum of four 16-bit
 * uniforms (one draw) is close enough once vectors are normalised. */
double
demo_rand_normal(struct demo_rng *r)
{
	uint64_t v = demo_rand(r);
	double sum = (double)(v & 0xffff) + (double)((v >> 16) & 0xffff) +
	    (double)((v >> 32) & 0xffff) + (double)(v >> 48);

	/* four uniforms on [0, 65535]: mean 131070, deviation 65536/sqrt(3) */
	return (sum - 131070.0) * (1.7320508075688772 / 65536.0);
}

/* ---- the text of the documents ---- */

void
demo_buf_reserve(struct demo_buf *b, size_t more)
{
	if (b->len + more + 1 <= b->cap)
		return;
	while (b->len + more + 1 > b->cap)
		b->cap = b->cap ? b->cap * 2 : 4096;
	b->p = xrealloc(b->p, b->cap);
}

void
demo_buf_add(struct demo_buf *b, const char *s)
{
	size_t n = strlen(s);

	demo_buf_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* Add "name":"value", (value must need no JSON escaping: it comes from
 * the tables below). */
void
demo_buf_field(struct demo_buf *b, const char *name, const char *value)
{
	demo_buf_add(b, "\"");
	demo_buf_add(b, name);
	demo_buf_add(b, "\":\"");
	demo_buf_add(b, value);
	demo_buf_add(b, "\",");
}

void
demo_buf_field_int(struct demo_buf *b, const char *name, long long v)
{
	char num[32];

	snprintf(num, sizeof num, "%lld", v);
	demo_buf_add(b, "\"");
	demo_buf_add(b, name);
	demo_buf_add(b, "\":");
	demo_buf_add(b, num);
	demo_buf_add(b, ",");
}

static void
demo_buf_field_time(struct demo_buf *b, const char *name, long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char s[32];

	gmtime_r(&tt, &tm);
	strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	demo_buf_field(b, name, s);
}

/* A random version 4 UUID. */
void
demo_uuid(struct demo_rng *r, char out[37])
{
	uint64_t hi = demo_rand(r), lo = demo_rand(r);

	hi = (hi & ~0xf000ULL) | 0x4000ULL;
	lo = (lo & ~(3ULL << 62)) | (2ULL << 62);
	snprintf(out, 37, "%08x-%04x-%04x-%04x-%012llx",
	    (unsigned)(hi >> 32), (unsigned)((hi >> 16) & 0xffff), (unsigned)(hi & 0xffff),
	    (unsigned)(lo >> 48), (unsigned long long)(lo & 0xffffffffffffULL));
}

/*
 * Component q / 1e6 with exactly six decimals, |q| <= 1000000. Formatting
 * by hand is several times faster than printf for millions of numbers.
 */
char *
demo_fmt_q6(char *p, int32_t q)
{
	int32_t ip, fp;

	if (q < 0) {
		*p++ = '-';
		q = -q;
	}
	ip = q / 1000000;
	fp = q % 1000000;
	*p++ = (char)('0' + ip);
	*p++ = '.';
	for (int k = 5; k >= 0; k--) {
		p[k] = (char)('0' + fp % 10);
		fp /= 10;
	}
	return p + 6;
}

static const struct {
	const char *name;
	const char *topics[4];
} demo_categories[] = {
	{ "technology",
	    { "vector databases", "edge computing", "Rust in production", "zero-trust networks" } },
	{ "science",
	    { "CRISPR screening", "exoplanet atmospheres", "quantum error correction", "deep-sea microbes" } },
	{ "business",
	    { "usage-based pricing", "supply chain resilience", "remote-first teams", "the SaaS playbook" } },
	{ "health",
	    { "sleep and memory", "strength training after 40", "gut microbiome", "intermittent fasting" } },
	{ "sports",
	    { "marathon pacing", "tactical periodisation", "the modern pressing game", "climbing injuries" } },
	{ "travel",
	    { "night trains in Europe", "Kyoto in winter", "the Patagonia W trek", "Lisbon on a budget" } },
	{ "food",
	    { "sourdough hydration", "fermentation at home", "one-pot weeknight dinners", "regional ramen" } },
	{ "finance",
	    { "index fund investing", "interest rate cycles", "emergency funds", "retirement drawdown" } },
	{ "education",
	    { "spaced repetition", "project-based learning", "learning to code at 50", "math anxiety" } },
	{ "entertainment",
	    { "prestige TV", "indie game design", "film scores", "the vinyl revival" } },
	{ "environment",
	    { "heat pumps", "urban tree canopies", "grid-scale storage", "rewilding" } },
	{ "culture",
	    { "translated fiction", "street photography", "brutalist architecture", "museum audio guides" } },
};

/* Titles are a head, the topic and a tail. */
static const struct {
	const char *head, *tail;
} demo_title_forms[] = {
	{ "A practical guide to ", "" }, { "Understanding ", "" },
	{ "What nobody tells you about ", "" }, { "", ", explained" },
	{ "Ten lessons from ", "" }, { "The future of ", "" },
	{ "Getting started with ", "" }, { "Notes on ", "" },
	{ "Why ", " matters now" }, { "A closer look at ", "" },
};

static const char *const demo_languages[] = {
	"en", "en", "en", "en", "en", "en", "de", "de", "fr", "es", "es", "pt", "it", "ja", "nl",
};

static const char *const demo_first_names[] = {
	"Ada", "Alan", "Amara", "Björn", "Carlos", "Chen", "Dana", "Elif", "Emma", "Farid",
	"Grace", "Hana", "Ines", "Jonas", "Kwame", "Lea", "Luca", "Maya", "Mateo", "Nadia",
	"Noah", "Olga", "Priya", "Rafael", "Sara", "Sven", "Tomás", "Yuki", "Zoe", "Omar",
};

static const char *const demo_last_names[] = {
	"Fischer", "García", "Hoffmann", "Ivanova", "Johansson", "Kim", "Kowalski", "Lopez",
	"Martin", "Müller", "Nakamura", "Nguyen", "Okafor", "Patel", "Rossi", "Santos",
	"Schmidt", "Silva", "Singh", "Smith", "Tanaka", "Weber", "Wong", "Yilmaz",
};

static const char *const demo_segments[] = {
	"new_user", "casual_reader", "power_user", "subscriber", "churn_risk", "enterprise",
};

static const char *const demo_countries[] = {
	"US", "US", "US", "DE", "DE", "GB", "FR", "ES", "BR", "IN", "JP", "CA", "NL", "SE",
	"PL", "IT", "MX", "AU", "KR", "NG",
};

/* The number of clusters of each collection (categories, segments). */
const uint32_t demo_ncategories = NELEM(demo_categories);
const uint32_t demo_nsegments = NELEM(demo_segments);

static const char *
demo_pick(struct demo_rng *r, const char *const *table, size_t n)
{
	return table[demo_rand_below(r, (uint32_t)n)];
}

void
demo_content_fields(struct demo_buf *b, struct demo_rng *r, uint32_t cluster)
{
	const char *topic = demo_categories[cluster].topics[demo_rand_below(r, 4)];
	uint32_t form = demo_rand_below(r, NELEM(demo_title_forms));
	char title[160], author[96];

	snprintf(title, sizeof title, "%s%s%s", demo_title_forms[form].head, topic,
	    demo_title_forms[form].tail);
	title[0] = (char)(title[0] >= 'a' && title[0] <= 'z' ? title[0] - 32 : title[0]);
	snprintf(author, sizeof author, "%s %s",
	    demo_pick(r, demo_first_names, NELEM(demo_first_names)),
	    demo_pick(r, demo_last_names, NELEM(demo_last_names)));
	demo_buf_field(b, "title", title);
	demo_buf_field(b, "category", demo_categories[cluster].name);
	demo_buf_field(b, "language", demo_pick(r, demo_languages, NELEM(demo_languages)));
	demo_buf_field(b, "author", author);
	demo_buf_field_int(b, "word_count", 300 + demo_rand_below(r, 2700));
	demo_buf_field_time(b, "created_at", DEMO_TIME_END - demo_rand_below(r, 730 * 86400));
}

void
demo_user_fields(struct demo_buf *b, struct demo_rng *r, uint32_t cluster)
{
	char name[96];
	long long signup = DEMO_TIME_END - 86400 - demo_rand_below(r, 1500 * 86400);
	long long active = DEMO_TIME_END - demo_rand_below(r, 90 * 86400);

	if (active < signup)
		active = signup;
	snprintf(name, sizeof name, "%s %s",
	    demo_pick(r, demo_first_names, NELEM(demo_first_names)),
	    demo_pick(r, demo_last_names, NELEM(demo_last_names)));
	demo_buf_field(b, "name", name);
	demo_buf_field(b, "segment", demo_segments[cluster]);
	demo_buf_field(b, "country", demo_pick(r, demo_countries, NELEM(demo_countries)));
	demo_buf_field_time(b, "signup_at", signup);
	demo_buf_field_time(b, "last_active", active);
}

/* n unit vectors around the cluster centres, rounded to six decimals. */
void
demo_unit_vector(struct demo_rng *r, const float *centre, int dim, double *tmp,
    int32_t *q, float *out)
{
	double norm = 0, scale = 0.8 / sqrt((double)dim);

	for (int j = 0; j < dim; j++) {
		tmp[j] = centre[j] + demo_rand_normal(r) * scale;
		norm += tmp[j] * tmp[j];
	}
	norm = sqrt(norm);
	if (norm == 0) {
		tmp[0] = 1;
		norm = 1;
	}
	for (int j = 0; j < dim; j++) {
		long v = lround(tmp[j] / norm * 1e6);

		if (v > 1000000)
			v = 1000000;
		if (v < -1000000)
			v = -1000000;
		q[j] = (int32_t)v;
		out[j] = (float)((double)v / 1e6);
	}
}
