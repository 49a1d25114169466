/*
 * Filling the demo: the documents of a collection stored in Redis and
 * their vectors written as a FAISS index.
 *
 * Documents are generated, sent to Redis and added to the FAISS index one
 * batch at a time, so memory holds one batch of text (plus FAISS's own copy
 * of the vectors). The Redis pipeline keeps one batch in flight while the
 * next is generated: Redis parses on one core while we format on the other.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include <hiredis/hiredis.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "demo/demo.intern.h"
#include "faiss/faiss-index.h"

#define DEMO_BATCH 256

static int
demo_read_replies(redisContext *c, const char *sock, size_t n, struct vs_error *err)
{
	for (size_t i = 0; i < n; i++) {
		redisReply *r;

		if (redisGetReply(c, (void **)&r) != REDIS_OK || r == NULL)
			return error_set(err, VS_ERR_REDIS,
			    _("lost the connection to the demo Redis server on %s: %s"), sock,
			    c->errstr[0] ? c->errstr : _("no reply"));
		if (r->type == REDIS_REPLY_ERROR) {
			error_set(err, VS_ERR_REDIS,
			    _("the demo Redis server on %s refused a document: %s"), sock, r->str);
			freeReplyObject(r);
			return -1;
		}
		freeReplyObject(r);
	}
	return 0;
}

int
demo_fill(const struct demo_options *opt, redisContext *c, const char *sock,
    const struct demo_collection *col, struct vs_error *err)
{
	struct demo_rng rng = { opt->seed ^ col->stream };
	struct faiss_index_writer *w = NULL;
	size_t dim = (size_t)opt->dim, pending = 0;
	float *centres = xcalloc(col->nclusters * dim, sizeof *centres);
	float *x = xcalloc(DEMO_BATCH * dim, sizeof *x);
	int64_t *ids = xcalloc(DEMO_BATCH, sizeof *ids);
	double *tmp = xcalloc(dim, sizeof *tmp);
	int32_t *q = xcalloc(dim, sizeof *q);
	struct demo_buf doc = { 0 }, key = { 0 };
	int rc = -1;

	/* One unit-length centre per category or segment. */
	for (uint32_t k = 0; k < col->nclusters; k++) {
		double norm = 0;

		for (size_t j = 0; j < dim; j++) {
			tmp[j] = demo_rand_normal(&rng);
			norm += tmp[j] * tmp[j];
		}
		norm = sqrt(norm) > 0 ? sqrt(norm) : 1;
		for (size_t j = 0; j < dim; j++)
			centres[k * dim + j] = (float)(tmp[j] / norm);
	}
	if (faiss_index_writer_new(opt->dim, &w, err) != 0)
		goto out;

	for (long long i = 0; i < col->count;) {
		size_t n = col->count - i < DEMO_BATCH ? (size_t)(col->count - i) : DEMO_BATCH;

		for (size_t k = 0; k < n; k++) {
			uint32_t cluster = demo_rand_below(&rng, col->nclusters);
			float *row = x + k * dim;
			const char *argv[3];
			size_t argvlen[3];
			char uuid[37], *p;

			ids[k] = i + (long long)k + 1;
			demo_uuid(&rng, uuid);
			demo_unit_vector(&rng, centres + cluster * dim, opt->dim, tmp, q, row);

			doc.len = 0;
			demo_buf_add(&doc, "{");
			demo_buf_field(&doc, "id", uuid);
			demo_buf_field_int(&doc, "faiss_id", ids[k]);
			col->fields(&doc, &rng, cluster);
			demo_buf_add(&doc, "\"embedding\":[");
			demo_buf_reserve(&doc, dim * 10 + 2);
			p = doc.p + doc.len;
			for (size_t j = 0; j < dim; j++) {
				if (j > 0)
					*p++ = ',';
				p = demo_fmt_q6(p, q[j]);
			}
			*p++ = ']';
			*p++ = '}';
			*p = '\0';
			doc.len = (size_t)(p - doc.p);

			key.len = 0;
			demo_buf_add(&key, col->prefix);
			demo_buf_add(&key, uuid);

			argv[0] = "SET";
			argvlen[0] = 3;
			argv[1] = key.p;
			argvlen[1] = key.len;
			argv[2] = doc.p;
			argvlen[2] = doc.len;
			if (redisAppendCommandArgv(c, 3, argv, argvlen) != REDIS_OK) {
				error_set(err, VS_ERR_REDIS, _("cannot queue a command for %s: %s"),
				    sock, c->errstr);
				goto out;
			}
		}
		pending += n;
		if (faiss_index_writer_add(w, n, x, ids, err) != 0)
			goto out;
		/* Keep one batch in flight while the next one is generated. */
		if (pending > DEMO_BATCH) {
			if (demo_read_replies(c, sock, pending - DEMO_BATCH, err) != 0)
				goto out;
			pending = DEMO_BATCH;
		}
		i += (long long)n;
		demo_progress(opt, _(col->phase_store), (uint64_t)i, (uint64_t)col->count);
		if (demo_cancelled(opt, err) != 0)
			goto out;
	}
	if (demo_read_replies(c, sock, pending, err) != 0)
		goto out;
	pending = 0;

	demo_progress(opt, _(col->phase_index), 0, 0);
	if (faiss_index_writer_save(w, col->index_path, 0644, err) != 0)
		goto out;
	rc = 0;
out:
	faiss_index_writer_free(w);
	free(centres);
	free(x);
	free(ids);
	free(tmp);
	free(q);
	free(doc.p);
	free(key.p);
	return rc;
}
