/*
 * The probe process: loads one untrusted index and answers the drill's
 * questions about it as one JSON object.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "drill/probe.h"
#include "faiss/faiss-header.h"
#include "faiss/faiss-inspect.h"

#define PROBE_MAGIC "VSDPRB01"

struct probe_req {
	int32_t dim, k;
	uint64_t n, m;
	int64_t *ids;
	float *vecs;
	int64_t *docids;
	bool docs_known;
};

static double
probe_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
probe_read(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len > (1u << 30) ? (1u << 30) : len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read and check the request: every count must fit the file's size. */
static int
probe_load_request(const char *path, struct probe_req *rq, struct vs_error *err)
{
	char magic[8];
	struct stat st;
	uint64_t need;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	memset(rq, 0, sizeof *rq);
	if (fd < 0)
		return error_errno(err, VS_ERR_IO, errno, _("cannot open %s"), path);
	if (fstat(fd, &st) != 0 || probe_read(fd, magic, 8) != 0 ||
	    memcmp(magic, PROBE_MAGIC, 8) != 0 || probe_read(fd, &rq->dim, 4) != 0 ||
	    probe_read(fd, &rq->k, 4) != 0 || probe_read(fd, &rq->n, 8) != 0 ||
	    probe_read(fd, &rq->m, 8) != 0 || rq->dim <= 0 || rq->dim > (1 << 20) ||
	    rq->k <= 0 || rq->k > 100000) {
		close(fd);
		return error_set(err, VS_ERR_FORMAT, _("%s is not a drill probe request"), path);
	}
	rq->docs_known = rq->m != UINT64_MAX;
	if (!rq->docs_known)
		rq->m = 0;
	need = 32;
	if (rq->n > (uint64_t)st.st_size || rq->m > (uint64_t)st.st_size)
		need = UINT64_MAX;
	else
		need += rq->n * 8 + rq->n * (uint64_t)rq->dim * 4 + rq->m * 8;
	if (need != (uint64_t)st.st_size) {
		close(fd);
		return error_set(err, VS_ERR_FORMAT, _("%s is not a drill probe request"), path);
	}
	rq->ids = xcalloc(rq->n + 1, sizeof *rq->ids);
	rq->vecs = xcalloc(rq->n * (size_t)rq->dim + 1, sizeof *rq->vecs);
	rq->docids = xcalloc(rq->m + 1, sizeof *rq->docids);
	if (probe_read(fd, rq->ids, rq->n * 8) != 0 ||
	    probe_read(fd, rq->vecs, rq->n * (size_t)rq->dim * 4) != 0 ||
	    probe_read(fd, rq->docids, rq->m * 8) != 0) {
		close(fd);
		return error_errno(err, VS_ERR_IO, errno, _("cannot read %s"), path);
	}
	close(fd);
	return 0;
}

static void
ids_add(struct drill_probe_ids *x, int64_t id)
{
	if (x->nfirst < DRILL_PROBE_FIRST)
		x->first[x->nfirst++] = id;
	x->count++;
}

static cJSON *
ids_json(const struct drill_probe_ids *x)
{
	cJSON *o = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(o, "first");

	cJSON_AddNumberToObject(o, "count", (double)x->count);
	for (size_t i = 0; i < x->nfirst; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber((double)x->first[i]));
	return o;
}

static bool
has_id(const int64_t *ids, size_t n, int64_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && ids[lo] == id;
}

/* Stored vectors against the documents' (exact storage only). */
static void
probe_compare(struct faiss_inspect *fi, const struct probe_req *rq, const int64_t *ids,
    size_t nids, cJSON *o)
{
	struct drill_probe_ids differ = { 0 };
	float *rec = xcalloc((size_t)rq->dim, sizeof *rec);
	uint64_t compared = 0;
	double max_diff = 0;
	struct vs_error err;

	error_clear(&err);
	if (!faiss_inspect_exact_storage(fi)) {
		cJSON_AddStringToObject(o, "compare_note", _("the index stores quantized vectors, "
		    "which only approximate the documents' own"));
		free(rec);
		return;
	}
	for (uint64_t i = 0; i < rq->n; i++) {
		const float *v = rq->vecs + i * (size_t)rq->dim;
		double worst = 0;
		int r;

		if (!has_id(ids, nids, rq->ids[i]))
			continue;
		r = faiss_inspect_reconstruct(fi, rq->ids[i], rec, &err);
		if (r < 0) {
			cJSON_AddStringToObject(o, "compare_note", err.msg);
			free(rec);
			return;
		}
		if (r > 0)
			continue;
		for (int j = 0; j < rq->dim; j++) {
			double scale = fabs((double)rec[j]) > 1 ? fabs((double)rec[j]) : 1;
			double d = fabs((double)v[j] - (double)rec[j]) / scale;

			if (!(d <= worst))
				worst = isnan(d) ? INFINITY : d;
		}
		compared++;
		if (worst > max_diff)
			max_diff = worst;
		if (worst > DRILL_VECTOR_TOLERANCE)
			ids_add(&differ, rq->ids[i]);
	}
	cJSON_AddBoolToObject(o, "compared", true);
	cJSON_AddNumberToObject(o, "ncompared", (double)compared);
	cJSON_AddItemToObject(o, "differ", ids_json(&differ));
	cJSON_AddNumberToObject(o, "max_diff", isfinite(max_diff) ? max_diff : 1e300);
	free(rec);
}

/* Each sampled vector (whose id the index holds) searched for. */
static int
probe_search(struct faiss_inspect *fi, const struct probe_req *rq, const int64_t *ids,
    size_t nids, cJSON *o, struct vs_error *err)
{
	int64_t ntotal = faiss_inspect_ntotal(fi);
	int k = rq->k < ntotal ? rq->k : (int)(ntotal > 0 ? ntotal : 1);
	size_t dim = (size_t)rq->dim, n = 0;
	float *x = xcalloc(rq->n * dim + 1, sizeof *x), *dist;
	int64_t *own = xcalloc(rq->n + 1, sizeof *own), *lab;
	struct drill_probe_ids not_found = { 0 };
	uint64_t rank1 = 0, topk = 0;
	bool unit = true, exact = faiss_inspect_exact_search(fi);

	for (uint64_t i = 0; i < rq->n; i++) {
		const float *v = rq->vecs + i * dim;
		double norm = 0;

		if (!has_id(ids, nids, rq->ids[i]))
			continue;
		for (size_t j = 0; j < dim; j++)
			norm += (double)v[j] * (double)v[j];
		if (fabs(norm - 1) > 1e-3)
			unit = false;
		memcpy(x + n * dim, v, dim * sizeof *x);
		own[n++] = rq->ids[i];
	}
	dist = xcalloc(n * (size_t)k + 1, sizeof *dist);
	lab = xcalloc(n * (size_t)k + 1, sizeof *lab);
	if (faiss_inspect_search(fi, n, x, k, dist, lab, err) != 0) {
		free(x);
		free(own);
		free(dist);
		free(lab);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const float *d = dist + i * (size_t)k;
		const int64_t *l = lab + i * (size_t)k;
		bool found = false, first = false;

		for (int j = 0; j < k && !found; j++) {
			double scale = fabs((double)d[0]) > 1 ? fabs((double)d[0]) : 1;

			if (l[j] != own[i])
				continue;
			found = true;
			/* A duplicate vector ties with its own: the same distance
			 * as the first result counts as rank 1. */
			first = j == 0 || fabs((double)d[j] - (double)d[0]) / scale <=
			    DRILL_DISTANCE_TOLERANCE;
		}
		if (found)
			topk++;
		if (first)
			rank1++;
		if (exact ? !first : !found)
			ids_add(&not_found, own[i]);
	}
	cJSON_AddBoolToObject(o, "searched", true);
	cJSON_AddBoolToObject(o, "unit_norm", unit);
	cJSON_AddNumberToObject(o, "k", k);
	cJSON_AddNumberToObject(o, "nsearched", (double)n);
	cJSON_AddNumberToObject(o, "rank1", (double)rank1);
	cJSON_AddNumberToObject(o, "topk", (double)topk);
	cJSON_AddItemToObject(o, "not_found", ids_json(&not_found));
	free(x);
	free(own);
	free(dist);
	free(lab);
	return 0;
}

/* Every document id against every index id; both lists sorted. */
static void
probe_divergence(const struct probe_req *rq, const int64_t *ids, size_t nids, cJSON *o)
{
	struct drill_probe_ids missing = { 0 }, unref = { 0 };
	size_t i = 0, j = 0;

	while (i < rq->m || j < nids) {
		if (j >= nids || (i < rq->m && rq->docids[i] < ids[j])) {
			ids_add(&missing, rq->docids[i++]);
		} else if (i >= rq->m || ids[j] < rq->docids[i]) {
			ids_add(&unref, ids[j++]);
		} else {
			int64_t id = ids[j];

			i++;
			while (j < nids && ids[j] == id)
				j++;
		}
	}
	cJSON_AddBoolToObject(o, "divergence", true);
	cJSON_AddItemToObject(o, "docs_missing", ids_json(&missing));
	cJSON_AddItemToObject(o, "unreferenced", ids_json(&unref));
}

static void
probe_limit(uint64_t bytes)
{
	struct rlimit rl = { 0, 0 };

	/* No core file of a process that read hostile input. */
	setrlimit(RLIMIT_CORE, &rl);
#if defined(__SANITIZE_ADDRESS__)
	/* AddressSanitizer reserves terabytes of address space. */
	(void)bytes;
#else
	if (bytes > 0) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)bytes;
		setrlimit(RLIMIT_AS, &rl);
	}
#endif
}

static int
probe_print(cJSON *o, FILE *out)
{
	char *s = cJSON_PrintUnformatted(o);

	cJSON_Delete(o);
	if (s == NULL)
		return 1;
	fprintf(out, "%s\n", s);
	cJSON_free(s);
	return fflush(out) == 0 ? 0 : 1;
}

int
drill_probe_main(const char *request, const char *index, uint64_t memory_limit, FILE *out)
{
	struct probe_req rq;
	struct faiss_inspect *fi = NULL;
	struct vs_error err;
	cJSON *o = cJSON_CreateObject();
	int64_t *ids = NULL;
	size_t nids = 0;
	struct drill_probe_ids dup = { 0 };
	double t0, t1;
	int rc = 0;

	error_clear(&err);
	probe_limit(memory_limit);
	if (probe_load_request(request, &rq, &err) != 0) {
		fprintf(stderr, "vsbackup: %s\n", err.msg);
		cJSON_Delete(o);
		return 1;
	}
	t0 = probe_now();
	if (faiss_inspect_load(index, &fi, &err) != 0) {
		cJSON_AddBoolToObject(o, "loaded", false);
		cJSON_AddStringToObject(o, "error", err.msg);
		goto out;
	}
	t1 = probe_now();
	cJSON_AddBoolToObject(o, "loaded", true);
	cJSON_AddNumberToObject(o, "load_seconds", t1 - t0);
	cJSON_AddNumberToObject(o, "ntotal", (double)faiss_inspect_ntotal(fi));
	cJSON_AddNumberToObject(o, "dim", faiss_inspect_dim(fi));
	cJSON_AddNumberToObject(o, "metric", faiss_inspect_metric(fi));
	cJSON_AddStringToObject(o, "kind", faiss_inspect_kind(fi));
	cJSON_AddBoolToObject(o, "exact_search", faiss_inspect_exact_search(fi));
	cJSON_AddBoolToObject(o, "exact_storage", faiss_inspect_exact_storage(fi));
	if (faiss_inspect_ids(fi, &ids, &nids, &err) != 0) {
		cJSON_AddStringToObject(o, "check_error", err.msg);
		goto timed;
	}
	for (size_t i = 1; i < nids; i++)
		if (ids[i] == ids[i - 1] && (i < 2 || ids[i - 1] != ids[i - 2]))
			ids_add(&dup, ids[i]);
	cJSON_AddNumberToObject(o, "index_ids", (double)nids);
	cJSON_AddItemToObject(o, "index_dup", ids_json(&dup));
	if (faiss_inspect_dim(fi) == rq.dim) {
		struct drill_probe_ids missing = { 0 };

		for (uint64_t i = 0; i < rq.n; i++)
			if (!has_id(ids, nids, rq.ids[i]))
				ids_add(&missing, rq.ids[i]);
		cJSON_AddBoolToObject(o, "sample_checked", true);
		cJSON_AddItemToObject(o, "missing", ids_json(&missing));
		probe_compare(fi, &rq, ids, nids, o);
		if (probe_search(fi, &rq, ids, nids, o, &err) != 0)
			cJSON_AddStringToObject(o, "check_error", err.msg);
	}
	if (rq.docs_known)
		probe_divergence(&rq, ids, nids, o);
timed:
	cJSON_AddNumberToObject(o, "check_seconds", probe_now() - t1);
out:
	rc = probe_print(o, out);
	faiss_inspect_free(fi);
	free(ids);
	free(rq.ids);
	free(rq.vecs);
	free(rq.docids);
	return rc;
}
