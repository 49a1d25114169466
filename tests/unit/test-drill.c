/*
 * Covers src/drill/sample.c (a reproducible sample, independent of the
 * order keys come in), src/drill/doc.c (the id scanner on whole and cut
 * documents, the full parse), src/manifest/drill-record.c (drill.json
 * history) and src/faiss/faiss-inspect.c on indexes written by Python's
 * faiss (ids, vectors, search; IDMap, IDMap2, IVF, bare flat).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fsutil.h"
#include "common/xmalloc.h"
#include "drill/doc.h"
#include "drill/sample.h"
#include "faiss/faiss-index.h"
#include "faiss/faiss-inspect.h"
#include "manifest/drill-record.h"
#include "tap.h"

#define PYTHON "/usr/bin/python3"

static void
test_sample(void)
{
	enum { N = 500, K = 20 };
	struct drill_key keys[N], rev[N];
	size_t a[K], b[K], c[K], m;
	bool same = true, differ = false;

	for (size_t i = 0; i < N; i++) {
		keys[i].p = xasprintf("chimera-vectors:%zu", i);
		keys[i].len = strlen(keys[i].p);
		rev[N - 1 - i] = keys[i];
	}
	m = drill_sample_pick(keys, N, K, 1, a);
	is_int(m, K, "the sample has the size asked for");
	drill_sample_pick(rev, N, K, 1, b);
	for (size_t i = 0; i < K; i++)
		same = same && strcmp(keys[a[i]].p, rev[b[i]].p) == 0;
	ok(same, "the same keys in another order give the same sample");
	drill_sample_pick(keys, N, K, 2, c);
	for (size_t i = 0; i < K; i++)
		differ = differ || a[i] != c[i];
	ok(differ, "another seed gives another sample");
	is_int(drill_sample_pick(keys, 5, K, 1, a), 5, "fewer keys than asked: all of them");
	is_int(drill_sample_pick(keys, 0, K, 1, a), 0, "no keys: none");
	ok(drill_sample_hash(1, "a", 1) != drill_sample_hash(1, "b", 1) &&
	    drill_sample_hash(1, "a", 1) == drill_sample_hash(1, "a", 1),
	    "the keyed hash is a function of seed and key");
	for (size_t i = 0; i < N; i++)
		free(keys[i].p);
}

static void
scan(const char *text, bool complete, enum drill_id_scan want, int64_t want_id,
    const char *what)
{
	int64_t id = -99;
	enum drill_id_scan got = drill_doc_scan_id(text, strlen(text), complete, "faiss_id", &id);

	if (!ok(got == want && (want != DRILL_ID_FOUND || id == want_id), "scan: %s", what))
		printf("#   got %d (id %lld), want %d (id %lld)\n", got, (long long)id, want,
		    (long long)want_id);
}

static void
test_scan(void)
{
	scan("{\"id\":\"x\",\"faiss_id\":17,\"embedding\":[0.1,0.2]}", true, DRILL_ID_FOUND, 17,
	    "the demo's layout");
	scan("{\"embedding\":[0.1,[2,{\"faiss_id\":3}],\"}\"],\"meta\":{\"faiss_id\":5},"
	    " \"faiss_id\" : \"42\" }", true, DRILL_ID_FOUND, 42,
	    "after nested values that hold the name, as a string");
	scan("{\"id\":\"x\",\"embedding\":[0.1,0.2]}", true, DRILL_ID_ABSENT, 0, "no id");
	scan("{\"faiss_id\":1.5}", true, DRILL_ID_BAD, 0, "not an integer");
	scan("{\"faiss_id\":null}", true, DRILL_ID_BAD, 0, "null");
	scan("[1,2]", true, DRILL_ID_INVALID, 0, "not an object");
	scan("{\"a\":\"unterminated", true, DRILL_ID_INVALID, 0, "cut, when complete");
	scan("{\"embedding\":[0.1,0.2", false, DRILL_ID_TRUNCATED, 0, "cut in the vector: more is needed");
	scan("{\"faiss_id\":12", false, DRILL_ID_TRUNCATED, 0, "cut in the number: more is needed");
	scan("{\"na\\\"me\":1,\"faiss_id\":-3}", true, DRILL_ID_FOUND, -3, "escaped key, negative id");
}

static void
test_parse(void)
{
	const char *good = "{\"faiss_id\":7,\"embedding\":[1,2.5,-3e-1]}";
	float v[3];
	int64_t id;
	int got;

	ok(drill_doc_parse(good, strlen(good), "faiss_id", "embedding", 3, &id, v, &got) ==
	    DRILL_DOC_OK && id == 7 && v[1] == 2.5f && fabsf(v[2] + 0.3f) < 1e-7f,
	    "parse: id and vector");
	is_int(drill_doc_parse(good, strlen(good), "faiss_id", "embedding", 4, &id, v, &got),
	    DRILL_DOC_WRONG_DIM, "parse: a vector of another dimension");
	is_int(got, 3, "  its length is reported");
	is_int(drill_doc_parse(good, strlen(good), "faiss_id", "vector", 3, &id, v, &got),
	    DRILL_DOC_NO_VECTOR, "parse: another vector field name");
	good = "{\"faiss_id\":1,\"embedding\":[1,\"x\"]}";
	is_int(drill_doc_parse(good, strlen(good), "faiss_id", "embedding", 2, &id, v, &got),
	    DRILL_DOC_BAD_VECTOR, "parse: a vector with a string");
	is_int(drill_doc_parse("not json", 8, "faiss_id", "embedding", 2, &id, v, &got),
	    DRILL_DOC_NOT_JSON, "parse: not JSON");
	is_int(drill_doc_parse("{\"x\":1}", 7, "faiss_id", "embedding", 2, &id, v, &got),
	    DRILL_DOC_NO_ID, "parse: no id");
	is_str(drill_doc_status_name(DRILL_DOC_WRONG_DIM), "wrong-dim", "status names for JSON");
}

static void
test_record(void)
{
	struct drill_record r = { .at = 1700000000, .ok = false, .location = "s3",
	    .seconds = { 1.5, 2, 0.25, 3 }, .rto = 6.75, .target = 900,
	    .recall = { 0.98, -1 }, .summary = "search x: bad" }, back;
	char *text = drill_record_add(NULL, &r), *more;

	ok(drill_record_latest(text, &back) == 0 && back.at == r.at && !back.ok &&
	    strcmp(back.location, "s3") == 0 && back.rto == 6.75 && back.seconds[1] == 2 &&
	    back.target == 900 && back.recall[0] == 0.98 && back.recall[1] < 0 &&
	    strcmp(back.summary, "search x: bad") == 0, "drill.json keeps the record");
	r.ok = true;
	r.at++;
	more = drill_record_add(text, &r);
	ok(drill_record_latest(more, &back) == 0 && back.ok && back.at == r.at,
	    "the newest record comes first");
	ok(strstr(more, "search x: bad") != NULL, "  the older one is kept");
	free(more);
	more = drill_record_add("not json", &r);
	ok(drill_record_latest(more, &back) == 0 && back.ok, "a damaged history starts again");
	ok(drill_record_latest("{}", &back) != 0, "no record: -1");
	is_str(drill_phase_name(DRILL_PHASE_REDIS), "redis_load", "phase names for JSON");
	free(more);
	free(text);
}

/* Indexes by Python's faiss: c (IDMap over FlatL2, ids 10, 20, ...), m2
 * (IDMap2 over FlatIP), ivf (IVFFlat with ids), flat (bare, ids 0..n-1). */
static const char *const py_script =
    "import sys, faiss, numpy as np\n"
    "d = sys.argv[1]\n"
    "x = np.random.default_rng(3).normal(size=(200, 8)).astype('float32')\n"
    "ids = np.arange(10, 2010, 10, dtype='int64')\n"
    "i = faiss.IndexIDMap(faiss.IndexFlatL2(8)); i.add_with_ids(x, ids)\n"
    "faiss.write_index(i, d + '/c.faiss')\n"
    "i = faiss.IndexIDMap2(faiss.IndexFlatIP(8)); i.add_with_ids(x, ids)\n"
    "faiss.write_index(i, d + '/m2.faiss')\n"
    "q = faiss.IndexFlatL2(8); i = faiss.IndexIVFFlat(q, 8, 4); i.train(x)\n"
    "i.add_with_ids(x, ids); faiss.write_index(i, d + '/ivf.faiss')\n"
    "i = faiss.IndexFlatL2(8); i.add(x); faiss.write_index(i, d + '/flat.faiss')\n"
    "x.tofile(d + '/x.f32')\n";

static void
like_err(const char *msg, const char *part)
{
	if (!ok(strstr(msg, part) != NULL, "  the error says so"))
		printf("#   %s\n", msg);
}

static void
test_inspect(const char *dir)
{
	static const struct {
		const char *file;
		const char *kind;
		bool exact;
		int64_t first_id, step;
	} t[] = {
		{ "c.faiss", "IxMp/IxF2", true, 10, 10 },
		{ "m2.faiss", "IxM2/IxFI", true, 10, 10 },
		{ "ivf.faiss", "IwFl", false, 10, 10 },
		{ "flat.faiss", "IxF2", true, 0, 1 },
	};
	char *xpath = fs_join(dir, "x.f32"), *data = NULL;
	size_t len = 0;
	struct vs_error err;

	error_clear(&err);
	if (fs_read_all(xpath, 1 << 20, &data, &len, &err) != 0 || len != 200 * 8 * 4) {
		ok(0, "the vectors Python wrote: %s", err.msg);
		free(xpath);
		return;
	}
	for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
		char *path = fs_join(dir, t[k].file);
		struct faiss_inspect *fi = NULL;
		const float *x = (const float *)data;
		int64_t *ids = NULL, lab[3];
		float rec[8], dist[3];
		size_t n = 0;
		bool seq = true;

		error_clear(&err);
		if (!ok(faiss_inspect_load(path, &fi, &err) == 0, "%s loads", t[k].file)) {
			printf("#   %s\n", err.msg);
			free(path);
			continue;
		}
		is_str(faiss_inspect_kind(fi), t[k].kind, "  its kind");
		ok(faiss_inspect_exact_search(fi) == t[k].exact && faiss_inspect_exact_storage(fi),
		    "  %s search, exact storage", t[k].exact ? "exact" : "approximate");
		ok(faiss_inspect_ids(fi, &ids, &n, &err) == 0 && n == 200, "  its 200 ids");
		for (size_t i = 0; i < n; i++)
			seq = seq && ids[i] == t[k].first_id + (int64_t)i * t[k].step;
		ok(seq, "  sorted, as added");
		if (!t[k].exact) {
			/* FAISS keeps no map from arbitrary ids to an IVF's entries. */
			is_int(faiss_inspect_reconstruct(fi, t[k].first_id, rec, &err), -1,
			    "  cannot give vectors back by id");
			like_err(err.msg, "cannot give back its vectors");
		} else {
			ok(faiss_inspect_reconstruct(fi, t[k].first_id + 5 * t[k].step, rec,
			    &err) == 0 && memcmp(rec, x + 5 * 8, sizeof rec) == 0,
			    "  gives back the vector of an id");
			is_int(faiss_inspect_reconstruct(fi, 5, rec, &err), t[k].step == 1 ? 0 : 1,
			    "  an id it does not hold: 1");
		}
		ok(faiss_inspect_search(fi, 1, x + 7 * 8, 3, dist, lab, &err) == 0 &&
		    lab[0] == t[k].first_id + 7 * t[k].step, "  a search finds the vector's own id");
		free(ids);
		faiss_inspect_free(fi);
		free(path);
	}
	free(data);
	free(xpath);
}

int
main(int argc, char **argv)
{
	char tmpl[] = "/tmp/vsdrill.XXXXXX", *cmd;
	const char *dir;

	/* faiss_inspect_load() starts this program again as its loader. */
	faiss_loader_dispatch(argc, argv);

	test_sample();
	test_scan();
	test_parse();
	test_record();
	if (system(PYTHON " -c 'import faiss' >/dev/null 2>&1") != 0) {
		ok(1, "# SKIP " PYTHON " cannot import faiss");
	} else if ((dir = mkdtemp(tmpl)) != NULL) {
		setenv("VS_SCRIPT", py_script, 1);
		cmd = xasprintf(PYTHON " -c \"$VS_SCRIPT\" '%s'", dir);
		if (ok(system(cmd) == 0, "Python's faiss wrote the indexes"))
			test_inspect(dir);
		free(cmd);
		fs_remove_tree(dir, NULL);
	}
	return tap_done();
}
