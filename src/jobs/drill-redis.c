/*
 * The drill's checks on the sandbox's Redis: the key counts per prefix and
 * DBSIZE against what the backup recorded (keys with a TTL may have
 * expired since, the others must all be there, as a restore checks), and
 * the documents: a reproducible sample read whole, every document's id
 * read for the comparison with the index.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "drill/doc.h"
#include "drill/sample.h"
#include "jobs/drill.h"
#include "redis/rdb-reader.h"

#define BATCH 512
/* Enough of a document for its id in the usual layouts, where the id
 * comes before the vector; longer ones are read whole. */
#define ID_PEEK 512

struct prefix_keys {
	struct drill_key *keys;
	size_t n, cap;
	uint64_t with_ttl;
};

static void
keys_clear(struct prefix_keys *pk)
{
	for (size_t i = 0; i < pk->n; i++)
		free(pk->keys[i].p);
	free(pk->keys);
	memset(pk, 0, sizeof *pk);
}

static int
key_cmp(const void *a, const void *b)
{
	const struct drill_key *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->p, y->p, n);

	return c != 0 ? c : x->len < y->len ? -1 : x->len > y->len;
}

static int
redis_fail(struct drill_ctx *dc, const char *what, struct vs_error *err)
{
	return error_set(err, VS_ERR_FAILED, _("the sandbox's Redis (%s) failed at %s: %s; the "
	    "drill could not finish"), dc->sb->sock, what,
	    dc->redis->errstr[0] ? dc->redis->errstr : _("unexpected reply"));
}

/* "prefix*" with the glob's special characters of prefix escaped. */
static char *
match_pattern(const char *prefix)
{
	size_t n = strlen(prefix);
	char *pat = xmalloc(2 * n + 2), *p = pat;

	for (size_t i = 0; i < n; i++) {
		if (strchr("*?[]\\", prefix[i]) != NULL)
			*p++ = '\\';
		*p++ = prefix[i];
	}
	*p++ = '*';
	*p = '\0';
	return pat;
}

/* Every key under prefix, each once (SCAN may return a key twice). */
static int
scan_prefix(struct drill_ctx *dc, const char *prefix, struct prefix_keys *pk,
    struct vs_error *err)
{
	char *pat = match_pattern(prefix), cursor[32] = "0", phase[160];
	size_t w = 0;

	snprintf(phase, sizeof phase, _("listing the keys under %s"), prefix);
	do {
		redisReply *r = redisCommand(dc->redis, "SCAN %s MATCH %s COUNT 1000", cursor, pat);

		if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[1]->type != REDIS_REPLY_ARRAY) {
			if (r != NULL)
				freeReplyObject(r);
			free(pat);
			return redis_fail(dc, "SCAN", err);
		}
		snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
		for (size_t i = 0; i < r->element[1]->elements; i++) {
			const redisReply *k = r->element[1]->element[i];

			if (pk->n == pk->cap) {
				pk->cap = pk->cap ? pk->cap * 2 : 1024;
				pk->keys = xreallocarray(pk->keys, pk->cap, sizeof *pk->keys);
			}
			pk->keys[pk->n].p = xmalloc(k->len + 1);
			memcpy(pk->keys[pk->n].p, k->str, k->len);
			pk->keys[pk->n].p[k->len] = '\0';
			pk->keys[pk->n].len = k->len;
			pk->n++;
		}
		freeReplyObject(r);
		job_progress(dc->job, phase, pk->n, 0, false);
		if (job_cancelled(dc->job)) {
			free(pat);
			return job_cancel_error(err);
		}
	} while (strcmp(cursor, "0") != 0);
	free(pat);
	if (pk->n > 1)
		qsort(pk->keys, pk->n, sizeof *pk->keys, key_cmp);
	for (size_t i = 0; i < pk->n; i++) {
		if (w > 0 && key_cmp(&pk->keys[w - 1], &pk->keys[i]) == 0) {
			free(pk->keys[i].p);
			continue;
		}
		pk->keys[w++] = pk->keys[i];
	}
	pk->n = w;
	return 0;
}

/* Count the keys with a TTL (PTTL); keys that expired meanwhile are gone. */
static int
count_ttl(struct drill_ctx *dc, struct prefix_keys *pk, struct vs_error *err)
{
	size_t w = 0;

	pk->with_ttl = 0;
	for (size_t i = 0; i < pk->n; i += BATCH) {
		size_t m = pk->n - i < BATCH ? pk->n - i : BATCH;

		for (size_t j = 0; j < m; j++)
			redisAppendCommand(dc->redis, "PTTL %b", pk->keys[i + j].p, pk->keys[i + j].len);
		for (size_t j = 0; j < m; j++) {
			redisReply *r;

			if (redisGetReply(dc->redis, (void **)&r) != REDIS_OK || r == NULL)
				return redis_fail(dc, "PTTL", err);
			if (r->type == REDIS_REPLY_INTEGER && r->integer == -2) {
				free(pk->keys[i + j].p);
				pk->keys[i + j].p = NULL;
			} else if (r->type == REDIS_REPLY_INTEGER && r->integer >= 0) {
				pk->with_ttl++;
			}
			freeReplyObject(r);
		}
	}
	for (size_t i = 0; i < pk->n; i++)
		if (pk->keys[i].p != NULL)
			pk->keys[w++] = pk->keys[i];
	pk->n = w;
	return 0;
}

/* What the backup's snapshot holds per configured prefix, with and
 * without TTL: from the metadata, or for a backup made before it recorded
 * TTLs, from the RDB in the sandbox read again. */
struct expected {
	uint64_t *keys, *expires;
	bool *known;
	uint64_t dbsize, db_expires;
};

static int
expected_counts(struct drill_ctx *dc, struct expected *x, struct vs_error *err)
{
	const struct config *cfg = dc->cfg;
	const struct manifest *m = &dc->m;
	struct rdb_reader *rdb;
	struct rdb_summary sum;
	char *path, *buf;
	ssize_t n;
	int fd, r = -1;

	for (size_t i = 0; i < cfg->redis.nprefixes; i++) {
		const struct manifest_count *mc = manifest_count_entry(m, cfg->redis.prefixes[i]);

		x->known[i] = mc != NULL;
		x->keys[i] = mc != NULL ? mc->count : 0;
		x->expires[i] = mc != NULL ? mc->expires : 0;
	}
	x->dbsize = m->redis.dbsize;
	x->db_expires = m->redis.db_expires;
	if (m->redis.expires_known)
		return 0;
	job_progress(dc->job, _("counting the keys with a TTL in the backup's snapshot"), 0,
	    m->redis.file.size, true);
	path = fs_join(dc->sb->dir, m->redis.file.name);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot open %s"), path);
		free(path);
		return -1;
	}
	memset(&sum, 0, sizeof sum);
	rdb = rdb_reader_new((const char *const *)cfg->redis.prefixes, cfg->redis.nprefixes,
	    m->redis.db);
	buf = xmalloc(1 << 20);
	while ((n = read(fd, buf, 1 << 20)) > 0) {
		if (rdb_reader_feed(rdb, buf, (size_t)n, err) != 0)
			goto out;
		if (job_cancelled(dc->job)) {
			job_cancel_error(err);
			goto out;
		}
	}
	if (n < 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot read %s"), path);
		goto out;
	}
	if (rdb_reader_finish(rdb, &sum, err) != 0)
		goto out;
	for (size_t i = 0; i < cfg->redis.nprefixes; i++) {
		x->expires[i] = sum.prefix_expires[i];
		if (x->known[i])
			x->keys[i] = sum.prefix_keys[i];
	}
	x->dbsize = sum.db_keys;
	x->db_expires = sum.db_expires;
	r = 0;
out:
	free(buf);
	free(path);
	close(fd);
	rdb_summary_clear(&sum);
	rdb_reader_free(rdb);
	return r;
}

static cJSON *
count_json(uint64_t keys, uint64_t ttl, uint64_t rkeys, uint64_t rttl)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "keys", (double)keys);
	cJSON_AddNumberToObject(o, "with_ttl", (double)ttl);
	cJSON_AddNumberToObject(o, "recorded", (double)rkeys);
	cJSON_AddNumberToObject(o, "recorded_with_ttl", (double)rttl);
	return o;
}

/* Keys without a TTL must all be there, and no others; keys with one may
 * have expired since the backup. */
static bool
counts_agree(uint64_t keys, uint64_t ttl, uint64_t rkeys, uint64_t rttl)
{
	return rttl <= rkeys && ttl <= keys && keys - ttl == rkeys - rttl && ttl <= rttl;
}

static void
check_count(struct drill_ctx *dc, const char *prefix, const struct prefix_keys *pk,
    uint64_t rkeys, uint64_t rttl)
{
	uint64_t n = pk->n, ttl = pk->with_ttl;
	cJSON *c = count_json(n, ttl, rkeys, rttl);

	if (!counts_agree(n, ttl, rkeys, rttl))
		drill_check(dc, "key_count", prefix, false, c, _("%" PRIu64 " keys (%" PRIu64
		    " with a TTL) in the sandbox, the backup recorded %" PRIu64 " (%" PRIu64
		    " with a TTL): keys with a TTL may have expired since, the others must all "
		    "be there"), n, ttl, rkeys, rttl);
	else if (rttl > ttl)
		drill_check(dc, "key_count", prefix, true, c, _("%" PRIu64 " keys, as recorded but "
		    "for %" PRIu64 " with a TTL that expired since the backup"), n, rttl - ttl);
	else
		drill_check(dc, "key_count", prefix, true, c, _("%" PRIu64 " keys, as recorded"), n);
}

static int
check_dbsize(struct drill_ctx *dc, const struct expected *x, struct vs_error *err)
{
	redisReply *r = redisCommand(dc->redis, "INFO keyspace");
	char field[32], subject[32];
	unsigned long long keys = 0, expires = 0;
	const char *p;

	if (r == NULL || r->type != REDIS_REPLY_STRING) {
		if (r != NULL)
			freeReplyObject(r);
		return redis_fail(dc, "INFO keyspace", err);
	}
	snprintf(field, sizeof field, "db%d:keys=", dc->m.redis.db);
	if ((p = strstr(r->str, field)) != NULL)
		sscanf(p + strlen(field), "%llu,expires=%llu", &keys, &expires);
	freeReplyObject(r);
	snprintf(subject, sizeof subject, "db %d", dc->m.redis.db);
	if (!counts_agree(keys, expires, x->dbsize, x->db_expires))
		drill_check(dc, "dbsize", subject, false, count_json(keys, expires, x->dbsize,
		    x->db_expires), _("%llu keys (%llu with a TTL) in the sandbox, the backup "
		    "recorded %" PRIu64 " (%" PRIu64 " with a TTL)"), keys, expires, x->dbsize,
		    x->db_expires);
	else
		drill_check(dc, "dbsize", subject, true, count_json(keys, expires, x->dbsize,
		    x->db_expires), _("%llu keys, as recorded"), keys);
	return 0;
}

static int
id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The id of every document (GETRANGE of its start; the whole document
 * when the id is further in). */
static int
read_ids(struct drill_ctx *dc, struct drill_side *s, const struct prefix_keys *pk,
    struct vs_error *err)
{
	const char *field = dc->cfg->drill.id_field;
	char phase[160];
	size_t n = 0, w = 0;

	s->docids = xcalloc(pk->n + 1, sizeof *s->docids);
	snprintf(phase, sizeof phase, _("reading the id of every document under %s"), s->prefix);
	for (size_t i = 0; i < pk->n; i += BATCH) {
		size_t m = pk->n - i < BATCH ? pk->n - i : BATCH;

		for (size_t j = 0; j < m; j++)
			redisAppendCommand(dc->redis, "GETRANGE %b 0 %d", pk->keys[i + j].p,
			    pk->keys[i + j].len, ID_PEEK - 1);
		for (size_t j = 0; j < m; j++) {
			enum drill_id_scan sc = DRILL_ID_INVALID;
			redisReply *r;
			int64_t id = -1;

			if (redisGetReply(dc->redis, (void **)&r) != REDIS_OK || r == NULL)
				return redis_fail(dc, "GETRANGE", err);
			if (r->type == REDIS_REPLY_STRING)
				sc = drill_doc_scan_id(r->str, r->len, r->len < ID_PEEK, field, &id);
			freeReplyObject(r);
			if (sc == DRILL_ID_TRUNCATED)
				/* Read whole once the pipeline is drained: marked
				 * with the key's position. */
				s->docids[n++] = -1 - (int64_t)(i + j);
			else if (sc == DRILL_ID_FOUND && id >= 0)
				s->docids[n++] = id;
			else
				s->docs_without_id++;
		}
		job_progress(dc->job, phase, i + m, pk->n, false);
		if (job_cancelled(dc->job))
			return job_cancel_error(err);
	}
	/* Documents whose id lies beyond the first bytes: read them whole. */
	for (size_t i = 0; i < n; i++) {
		const struct drill_key *k;
		redisReply *r;
		int64_t id;

		if (s->docids[i] >= 0)
			continue;
		k = &pk->keys[(size_t)(-1 - s->docids[i])];
		r = redisCommand(dc->redis, "GET %b", k->p, k->len);
		if (r == NULL)
			return redis_fail(dc, "GET", err);
		if (r->type == REDIS_REPLY_STRING &&
		    drill_doc_scan_id(r->str, r->len, true, field, &id) == DRILL_ID_FOUND && id >= 0) {
			s->docids[i] = id;
		} else {
			s->docids[i] = -1;
			s->docs_without_id++;
		}
		freeReplyObject(r);
	}
	for (size_t i = 0; i < n; i++)
		if (s->docids[i] >= 0)
			s->docids[w++] = s->docids[i];
	n = w;
	if (n > 1)
		qsort(s->docids, n, sizeof *s->docids, id_cmp);
	w = 0;
	for (size_t i = 0; i < n; i++) {
		if (w > 0 && s->docids[w - 1] == s->docids[i]) {
			if (i < 2 || s->docids[i - 2] != s->docids[i]) {
				if (s->shared_ids.nfirst < DRILL_PROBE_FIRST)
					s->shared_ids.first[s->shared_ids.nfirst++] = s->docids[i];
				s->shared_ids.count++;
			}
			continue;
		}
		s->docids[w++] = s->docids[i];
	}
	s->ndocs = w;
	s->docs_known = true;
	return 0;
}

struct id_pos {
	int64_t id;
	size_t pos;
};

static int
id_pos_cmp(const void *a, const void *b)
{
	const struct id_pos *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* The sample in the order of its ids, so findings name the lowest first. */
static void
sort_sample(struct drill_side *s, int dim)
{
	struct id_pos *ip = xcalloc(s->nsample + 1, sizeof *ip);
	size_t d = (size_t)(dim > 0 ? dim : 0);
	float *vecs = xcalloc(s->nsample * d + 1, sizeof *vecs);

	for (size_t i = 0; i < s->nsample; i++) {
		ip[i].id = s->sample_ids[i];
		ip[i].pos = i;
	}
	qsort(ip, s->nsample, sizeof *ip, id_pos_cmp);
	for (size_t i = 0; i < s->nsample; i++) {
		s->sample_ids[i] = ip[i].id;
		memcpy(vecs + i * d, s->sample_vecs + ip[i].pos * d, d * sizeof *vecs);
	}
	free(s->sample_vecs);
	s->sample_vecs = vecs;
	free(ip);
}

/* Read the sample whole and check each document's layout. */
static int
read_sample(struct drill_ctx *dc, struct drill_side *s, const struct prefix_keys *pk,
    struct vs_error *err)
{
	const struct config *cfg = dc->cfg;
	int dim = s->ix != NULL && s->ix->file.present && !s->ix->unreadable ? s->ix->dim : 0;
	size_t k = (size_t)cfg->drill.sample_size, *picked = xcalloc(k + 1, sizeof *picked);
	size_t m = drill_sample_pick(pk->keys, pk->n, k, (uint64_t)cfg->drill.seed, picked);
	uint64_t by[DRILL_DOC__COUNT] = { 0 };
	const char *first[DRILL_DOC__COUNT] = { NULL };
	float *vec = xcalloc((size_t)(dim > 0 ? dim : 1), sizeof *vec);
	cJSON *counts = cJSON_CreateObject();
	char phase[160], bad[1024] = "";
	uint64_t nbad = 0;

	s->sample_ids = xcalloc(m + 1, sizeof *s->sample_ids);
	s->sample_vecs = xcalloc(m * (size_t)(dim > 0 ? dim : 1) + 1, sizeof *s->sample_vecs);
	snprintf(phase, sizeof phase, _("reading %zu sampled documents under %s"), m, s->prefix);
	for (size_t i = 0; i < m; i += BATCH) {
		size_t b = m - i < BATCH ? m - i : BATCH;

		for (size_t j = 0; j < b; j++)
			redisAppendCommand(dc->redis, "GET %b", pk->keys[picked[i + j]].p,
			    pk->keys[picked[i + j]].len);
		for (size_t j = 0; j < b; j++) {
			const struct drill_key *key = &pk->keys[picked[i + j]];
			enum drill_doc_status st = DRILL_DOC_NOT_STRING;
			redisReply *r;
			int64_t id = 0;
			int got;

			if (redisGetReply(dc->redis, (void **)&r) != REDIS_OK || r == NULL) {
				free(picked);
				free(vec);
				cJSON_Delete(counts);
				return redis_fail(dc, "GET", err);
			}
			if (r->type == REDIS_REPLY_STRING) {
				st = drill_doc_parse(r->str, r->len, cfg->drill.id_field,
				    cfg->drill.vector_field, dim, &id, vec, &got);
				/* Without an index to compare with, any length will do. */
				if (st == DRILL_DOC_WRONG_DIM && dim == 0)
					st = DRILL_DOC_OK;
			}
			freeReplyObject(r);
			by[st]++;
			if (first[st] == NULL)
				first[st] = key->p;
			if (st != DRILL_DOC_OK)
				continue;
			s->sample_ids[s->nsample] = id;
			if (dim > 0)
				memcpy(s->sample_vecs + s->nsample * (size_t)dim, vec,
				    (size_t)dim * sizeof *vec);
			s->nsample++;
		}
		job_progress(dc->job, phase, i + b, m, false);
		if (job_cancelled(dc->job)) {
			free(picked);
			free(vec);
			cJSON_Delete(counts);
			return job_cancel_error(err);
		}
	}
	cJSON_AddNumberToObject(counts, "sampled", (double)m);
	for (int st = 0; st < DRILL_DOC__COUNT; st++) {
		size_t len = strlen(bad);

		cJSON_AddNumberToObject(counts, drill_doc_status_name(st), (double)by[st]);
		if (st == DRILL_DOC_OK || by[st] == 0)
			continue;
		nbad += by[st];
		snprintf(bad + len, sizeof bad - len, "%s%" PRIu64 " %s (first %s)",
		    len > 0 ? ", " : "", by[st], drill_doc_status_text(st), first[st]);
	}
	if (m == 0)
		drill_skip(dc, "documents", s->prefix, _("no keys under the prefix"));
	else if (nbad > 0)
		drill_check(dc, "documents", s->prefix, false, counts, _("%" PRIu64 " of %zu sampled "
		    "documents (seed %d) are not as expected: %s"), nbad, m, cfg->drill.seed, bad);
	else if (dim > 0)
		drill_check(dc, "documents", s->prefix, true, counts, _("%zu sampled (seed %d): JSON "
		    "with a \"%s\" and a \"%s\" of %d numbers"), m, cfg->drill.seed,
		    cfg->drill.id_field, cfg->drill.vector_field, dim);
	else
		drill_check(dc, "documents", s->prefix, true, counts, _("%zu sampled (seed %d): JSON "
		    "with a \"%s\" and a \"%s\""), m, cfg->drill.seed, cfg->drill.id_field,
		    cfg->drill.vector_field);
	sort_sample(s, dim);
	free(picked);
	free(vec);
	return 0;
}

/* The side (index) whose documents live under prefix, or NULL. */
static struct drill_side *
side_of(struct drill_ctx *dc, const char *prefix)
{
	for (size_t i = 0; i < 2; i++)
		if (dc->side[i].prefix != NULL && strcmp(dc->side[i].prefix, prefix) == 0)
			return &dc->side[i];
	return NULL;
}

int
drill_redis_checks(struct drill_ctx *dc, struct vs_error *err)
{
	const struct config *cfg = dc->cfg;
	size_t np = cfg->redis.nprefixes;
	struct expected x = {
		.keys = xcalloc(np + 1, sizeof (uint64_t)),
		.expires = xcalloc(np + 1, sizeof (uint64_t)),
		.known = xcalloc(np + 1, sizeof (bool)),
	};
	int rc = -1;

	if (expected_counts(dc, &x, err) != 0)
		goto out;
	for (size_t i = 0; i < np; i++) {
		const char *prefix = cfg->redis.prefixes[i];
		struct drill_side *s = side_of(dc, prefix);
		struct prefix_keys pk = { 0 };

		if (scan_prefix(dc, prefix, &pk, err) != 0 ||
		    (x.known[i] && x.expires[i] > 0 && count_ttl(dc, &pk, err) != 0)) {
			keys_clear(&pk);
			goto out;
		}
		if (s != NULL && x.known[i] && x.expires[i] > pk.with_ttl)
			s->expired_since = x.expires[i] - pk.with_ttl;
		if (x.known[i])
			check_count(dc, prefix, &pk, x.keys[i], x.expires[i]);
		else
			drill_skip(dc, "key_count", prefix, _("%zu keys; the backup recorded no count "
			    "for this prefix"), pk.n);
		if (s != NULL && (read_sample(dc, s, &pk, err) != 0 || read_ids(dc, s, &pk, err) != 0)) {
			keys_clear(&pk);
			goto out;
		}
		keys_clear(&pk);
	}
	rc = check_dbsize(dc, &x, err);
out:
	free(x.keys);
	free(x.expires);
	free(x.known);
	return rc;
}
