/*
 * The drill's checks on an index: it loads (in the probe, never in this
 * process) with the recorded size; the sampled documents' ids are in it
 * and it stores their vectors; a search for each finds the document's own
 * id (rank 1 for an exact index, within the top k for an approximate one:
 * a recall figure); and, over every document, the ids the documents name
 * and the ids the index holds are the same (the divergence no checksum
 * can see).
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "faiss/faiss-header.h"
#include "jobs/drill.h"

static cJSON *
ids_counts(const char *name, const struct drill_probe_ids *x, cJSON *o)
{
	cJSON *e = cJSON_AddObjectToObject(o, name), *a;

	cJSON_AddNumberToObject(e, "count", (double)x->count);
	a = cJSON_AddArrayToObject(e, "first");
	for (size_t i = 0; i < x->nfirst; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber((double)x->first[i]));
	return o;
}

static void
check_load(struct drill_ctx *dc, struct drill_side *s, const char *file)
{
	const struct drill_probe_result *p = &s->probe;
	const struct manifest_index *ix = s->ix;
	cJSON *c = cJSON_CreateObject();
	bool ok = p->ntotal == ix->ntotal && p->dim == ix->dim;

	cJSON_AddNumberToObject(c, "ntotal", (double)p->ntotal);
	cJSON_AddNumberToObject(c, "dim", p->dim);
	cJSON_AddNumberToObject(c, "recorded_ntotal", (double)ix->ntotal);
	cJSON_AddNumberToObject(c, "recorded_dim", ix->dim);
	cJSON_AddNumberToObject(c, "seconds", p->load_seconds);
	cJSON_AddStringToObject(c, "kind", p->kind);
	drill_check(dc, "index_load", file, ok, c, _("%s, %" PRId64 " vectors of dimension %d "
	    "(metadata: %" PRId64 ", %d), metric %s, %s search, loaded in %.2f s"), p->kind,
	    p->ntotal, p->dim, ix->ntotal, ix->dim, faiss_metric_name(p->metric),
	    p->exact_search ? _("exact") : _("approximate"), p->load_seconds);
}

static void
check_sample(struct drill_ctx *dc, struct drill_side *s, const char *file)
{
	const struct drill_probe_result *p = &s->probe;
	char ids[160];

	drill_ids_text(&p->missing, ids, sizeof ids);
	if (p->missing.count > 0)
		drill_check(dc, "ids", s->prefix, false, ids_counts("missing", &p->missing,
		    cJSON_CreateObject()), _("%" PRIu64 " of %zu sampled documents name a %s that "
		    "%s does not hold: %s"), p->missing.count, s->nsample, dc->cfg->drill.id_field,
		    file, ids);
	else
		drill_check(dc, "ids", s->prefix, true, NULL, _("the %s of each of the %zu sampled "
		    "documents is in %s"), dc->cfg->drill.id_field, s->nsample, file);

	if (!p->compared) {
		drill_skip(dc, "vectors", s->prefix, "%s", p->compare_note != NULL ?
		    p->compare_note : _("the index cannot give its vectors back"));
	} else {
		cJSON *c = ids_counts("differ", &p->differ, cJSON_CreateObject());

		cJSON_AddNumberToObject(c, "compared", (double)p->ncompared);
		cJSON_AddNumberToObject(c, "max_difference", p->max_diff);
		drill_ids_text(&p->differ, ids, sizeof ids);
		if (p->differ.count > 0)
			drill_check(dc, "vectors", s->prefix, false, c, _("%" PRIu64 " of %" PRIu64
			    " sampled documents hold another vector than %s stores under their id: "
			    "%s"), p->differ.count, p->ncompared, file, ids);
		else
			drill_check(dc, "vectors", s->prefix, true, c, _("%" PRIu64 " sampled "
			    "documents hold the vector %s stores under their id (largest relative "
			    "difference %.2g)"), p->ncompared, file, p->max_diff);
	}
}

static void
check_search(struct drill_ctx *dc, struct drill_side *s, const char *file)
{
	const struct drill_probe_result *p = &s->probe;
	int min = dc->cfg->drill.min_recall_percent;
	double recall = p->nsearched > 0 ? (double)p->topk / (double)p->nsearched : 1;
	cJSON *c;
	char ids[160];

	if (!p->searched || p->nsearched == 0) {
		drill_skip(dc, "search", file, _("no sampled document whose id the index holds"));
		return;
	}
	c = ids_counts("not_found", &p->not_found, cJSON_CreateObject());
	cJSON_AddNumberToObject(c, "searched", (double)p->nsearched);
	cJSON_AddNumberToObject(c, "rank1", (double)p->rank1);
	cJSON_AddNumberToObject(c, "top_k", (double)p->topk);
	cJSON_AddNumberToObject(c, "k", p->k);
	cJSON_AddNumberToObject(c, "recall", recall);
	dc->rep->recall[s == &dc->side[0] ? 0 : 1] = recall;
	drill_ids_text(&p->not_found, ids, sizeof ids);
	if (p->metric == FAISS_METRIC_INNER_PRODUCT && !p->unit_norm) {
		/* A longer vector in the same direction scores higher: the
		 * nearest by inner product need not be the vector itself. */
		cJSON_Delete(c);
		drill_skip(dc, "search", file, _("inner-product index whose vectors are not of "
		    "unit length: a vector need not be its own nearest neighbour (%" PRIu64 " of "
		    "%" PRIu64 " found themselves within the top %d)"), p->topk, p->nsearched, p->k);
	} else if (p->exact_search && p->rank1 == p->nsearched) {
		drill_check(dc, "search", file, true, c, _("%" PRIu64 " of %" PRIu64 " sampled "
		    "vectors find their own id first (exact search)"), p->rank1, p->nsearched);
	} else if (p->exact_search) {
		drill_check(dc, "search", file, false, c, _("only %" PRIu64 " of %" PRIu64 " sampled "
		    "vectors find their own id first (exact search); not: %s"), p->rank1,
		    p->nsearched, ids);
	} else if (recall * 100 >= min) {
		drill_check(dc, "search", file, true, c, _("recall@%d %.3f: %" PRIu64 " of %" PRIu64
		    " sampled vectors find their own id within the top %d (approximate search; "
		    "at least %d%% wanted)"), p->k, recall, p->topk, p->nsearched, p->k, min);
	} else {
		drill_check(dc, "search", file, false, c, _("recall@%d %.3f: only %" PRIu64 " of %"
		    PRIu64 " sampled vectors find their own id within the top %d (approximate "
		    "search; at least %d%% wanted); not: %s"), p->k, recall, p->topk, p->nsearched,
		    p->k, min, ids);
	}
}

static void
check_divergence(struct drill_ctx *dc, struct drill_side *s, const char *file)
{
	const struct drill_probe_result *p = &s->probe;
	cJSON *c = cJSON_CreateObject();
	char text[1024] = "", ids[160];
	size_t len;
	bool ok;

	ids_counts("documents_missing_from_index", &p->docs_missing, c);
	ids_counts("index_ids_unreferenced", &p->unreferenced, c);
	ids_counts("ids_shared_by_documents", &s->shared_ids, c);
	ids_counts("ids_twice_in_index", &p->index_dup, c);
	cJSON_AddNumberToObject(c, "documents_without_id", (double)s->docs_without_id);
	cJSON_AddNumberToObject(c, "documents", (double)s->ndocs);
	cJSON_AddNumberToObject(c, "index_ids", (double)p->index_ids);
	/* Documents with a TTL that expired since the backup leave their
	 * ids in the index: as many unreferenced ids are expected. */
	cJSON_AddNumberToObject(c, "expired_since_backup", (double)s->expired_since);
	ok = p->docs_missing.count == 0 && p->unreferenced.count <= s->expired_since &&
	    s->shared_ids.count == 0 && p->index_dup.count == 0 && s->docs_without_id == 0;
	if (ok && p->unreferenced.count > 0) {
		drill_check(dc, "divergence", s->prefix, true, c, _("the ids of the %zu documents "
		    "are all in %s; its %" PRIu64 " other ids may be those of documents whose TTL "
		    "expired since the backup (%" PRIu64 " did)"), s->ndocs, file,
		    p->unreferenced.count, s->expired_since);
		return;
	}
	if (ok) {
		drill_check(dc, "divergence", s->prefix, true, c, _("the %zu documents and the %"
		    PRIu64 " ids of %s match one to one"), s->ndocs, p->index_ids, file);
		return;
	}
	if (p->docs_missing.count > 0) {
		drill_ids_text(&p->docs_missing, ids, sizeof ids);
		len = strlen(text);
		snprintf(text + len, sizeof text - len, _("%s%" PRIu64 " documents name an id "
		    "missing from the index (%s)"), len ? "; " : "", p->docs_missing.count, ids);
	}
	if (p->unreferenced.count > 0) {
		drill_ids_text(&p->unreferenced, ids, sizeof ids);
		len = strlen(text);
		snprintf(text + len, sizeof text - len, _("%s%" PRIu64 " index ids no document "
		    "names (%s)"), len ? "; " : "", p->unreferenced.count, ids);
		if (s->expired_since > 0) {
			len = strlen(text);
			snprintf(text + len, sizeof text - len, _(", %" PRIu64 " of them may be of "
			    "documents whose TTL expired since the backup"), s->expired_since);
		}
	}
	if (s->shared_ids.count > 0) {
		drill_ids_text(&s->shared_ids, ids, sizeof ids);
		len = strlen(text);
		snprintf(text + len, sizeof text - len, _("%s%" PRIu64 " ids named by more than "
		    "one document (%s)"), len ? "; " : "", s->shared_ids.count, ids);
	}
	if (p->index_dup.count > 0) {
		drill_ids_text(&p->index_dup, ids, sizeof ids);
		len = strlen(text);
		snprintf(text + len, sizeof text - len, _("%s%" PRIu64 " ids held twice by the "
		    "index (%s)"), len ? "; " : "", p->index_dup.count, ids);
	}
	if (s->docs_without_id > 0) {
		len = strlen(text);
		snprintf(text + len, sizeof text - len, _("%s%" PRIu64 " documents without a "
		    "readable %s"), len ? "; " : "", s->docs_without_id, dc->cfg->drill.id_field);
	}
	drill_check(dc, "divergence", s->prefix, false, c, _("%zu documents, %" PRIu64
	    " ids in %s: %s"), s->ndocs, p->index_ids, file, text);
}

/* Address space for the probe: the index, FAISS's working memory and the
 * request, with room to spare; a file claiming more fails the load. */
static uint64_t
probe_memory(const char *path, const struct drill_side *s)
{
	struct stat st;
	uint64_t size = stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;

	return 3 * size + (uint64_t)s->nsample * 4096 + s->ndocs * 16 + (UINT64_C(2) << 30);
}

/* A message without the sandbox's directory in its paths: the sandbox is
 * gone by the time anyone reads it, the file names say enough. */
static char *
sandbox_relative(const struct drill_ctx *dc, const char *msg)
{
	size_t dl = strlen(dc->sb->dir);
	char *out = xmalloc(strlen(msg) + 1), *o = out;

	while (*msg != '\0') {
		if (strncmp(msg, dc->sb->dir, dl) == 0 && msg[dl] == '/') {
			msg += dl + 1;
			continue;
		}
		*o++ = *msg++;
	}
	*o = '\0';
	return out;
}

static bool
probe_cancelled(void *ud)
{
	return job_cancelled(ud);
}

int
drill_index_checks(struct drill_ctx *dc, struct drill_side *s, struct vs_error *err)
{
	const struct manifest_index *ix = s->ix;
	const char *file = ix->file.name;
	struct drill_probe_request rq = { 0 };
	char phase[160], *path;
	int r;

	if (!ix->file.present) {
		drill_skip(dc, "index_load", file[0] ? file : s->name, _("the backup holds no %s "
		    "index: %s"), s->name, ix->file.note ? ix->file.note : _("no reason recorded"));
		return 0;
	}
	if (ix->unreadable) {
		drill_check(dc, "index_load", file, false, NULL, _("not a readable index when it "
		    "was saved: %s"), ix->file.note ? ix->file.note : "");
		return 0;
	}
	path = fs_join(dc->sb->dir, file);
	rq.index = path;
	rq.dim = ix->dim > 0 ? ix->dim : 1;
	rq.k = dc->cfg->drill.search_k;
	rq.n = s->nsample;
	rq.ids = s->sample_ids;
	rq.vecs = s->sample_vecs;
	rq.docs_known = s->docs_known;
	rq.ndocs = s->ndocs;
	rq.docids = s->docids;
	rq.memory_limit = probe_memory(path, s);
	snprintf(phase, sizeof phase, _("loading and searching %s"), file);
	job_progress(dc->job, phase, 0, 0, false);
	r = drill_probe_run(dc->exe, dc->sb->dir, s->name, &rq, probe_cancelled, dc->job, &s->probe,
	    err);
	free(path);
	if (r != 0)
		return -1;
	s->probed = true;
	if (!s->probe.loaded) {
		char *why = sandbox_relative(dc, s->probe.error != NULL ? s->probe.error :
		    _("FAISS could not load it"));

		drill_check(dc, "index_load", file, false, NULL, "%s", why);
		free(why);
		return 0;
	}
	check_load(dc, s, file);
	if (s->probe.error != NULL) {
		drill_check(dc, "search", file, false, NULL, "%s", s->probe.error);
		return 0;
	}
	if (s->prefix == NULL) {
		drill_skip(dc, "ids", file, _("no prefix's documents point into this index "
		    "(drill.%s_prefix)"), s->name);
		return 0;
	}
	if (!s->probe.sample_checked)
		drill_skip(dc, "ids", s->prefix, _("the index's dimension differs from the "
		    "recorded one"));
	else if (s->nsample == 0)
		drill_skip(dc, "ids", s->prefix, _("no well-formed document in the sample"));
	else {
		check_sample(dc, s, file);
		check_search(dc, s, file);
	}
	if (s->probe.divergence)
		check_divergence(dc, s, file);
	return 0;
}
