/*
 * Covers src/faiss/faiss-header.c, faiss-index.c and the bundled C API
 * (faiss-capi.cpp): header reading on indexes written by FAISS itself
 * (through /usr/bin/python3 when it has faiss, and through our writer),
 * detection of truncated, extended and foreign files, and deep loading.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <faiss/c_api/error_c.h>
#include <faiss/c_api/index_io_c.h>

#include "common/error.h"
#include "common/fsutil.h"
#include "common/xmalloc.h"
#include "faiss/faiss-header.h"
#include "faiss/faiss-index.h"
#include "tap.h"

#define PYTHON "/usr/bin/python3"

/* A call expected to succeed; its error message is shown when it fails. */
#define ok_call(call, err, ...) do {                                           \
	error_clear(&(err));                                                   \
	if (!ok((call) == 0, __VA_ARGS__))                                     \
		printf("#   %s\n", (err).msg);                                 \
} while (0)

static char *tmpdir;

static char *
tpath(const char *name)
{
	return fs_join(tmpdir, name);
}

static void
write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || fs_write_full(fd, data, len) != 0 || close(fd) != 0)
		fatal("cannot write %s: %s", path, strerror(errno));
}

/* Copy the first len bytes of src to dst, then append extra bytes. */
static void
copy_prefix(const char *src, const char *dst, size_t len, size_t extra)
{
	char *data;
	size_t n;
	struct vs_error err;

	if (fs_read_all(src, 1 << 30, &data, &n, &err) != 0)
		fatal("%s", err.msg);
	if (len > n)
		len = n;
	data = xrealloc(data, len + extra + 1);
	memset(data + len, 0xab, extra);
	write_file(dst, data, len + extra);
	free(data);
}

static void
make_vectors(float *x, int64_t *ids, size_t n, int dim, int64_t first_id)
{
	for (size_t i = 0; i < n; i++) {
		for (int j = 0; j < dim; j++)
			x[i * (size_t)dim + (size_t)j] = (float)((i * 31 + (size_t)j * 7) % 97) / 97.0f;
		ids[i] = first_id + (int64_t)i;
	}
}

/* Build an index of n vectors of dimension dim with our writer, in batches. */
static int
write_index(const char *path, size_t n, int dim, struct vs_error *err)
{
	struct faiss_index_writer *w;
	size_t batch = 100;
	float *x = xcalloc(batch * (size_t)dim, sizeof *x);
	int64_t *ids = xcalloc(batch, sizeof *ids);
	int rc = -1;

	if (faiss_index_writer_new(dim, &w, err) != 0)
		goto out;
	for (size_t done = 0; done < n; done += batch) {
		size_t k = n - done < batch ? n - done : batch;

		make_vectors(x, ids, k, dim, 1000 + (int64_t)done);
		if (faiss_index_writer_add(w, k, x, ids, err) != 0)
			goto out_w;
	}
	rc = faiss_index_writer_save(w, path, 0640, err);
out_w:
	faiss_index_writer_free(w);
out:
	free(x);
	free(ids);
	return rc;
}

static void *
thread_fail(void *arg)
{
	FaissIndex *idx = NULL;
	int *rc = arg;

	*rc = faiss_read_index_fname("/nonexistent/x.faiss", 0, &idx);
	return faiss_get_last_error() != NULL ? arg : NULL;
}

static void
test_capi_errors(void)
{
	pthread_t t;
	void *ret;
	int rc = 0;

	ok(faiss_get_last_error() == NULL, "no FAISS error before any call");
	pthread_create(&t, NULL, thread_fail, &rc);
	pthread_join(t, &ret);
	ok(rc != 0 && ret != NULL, "a failed read returns non-zero and sets the error (rc %d)", rc);
	ok(faiss_get_last_error() == NULL, "the error of another thread is not visible here");
}

static void
test_writer(void)
{
	char *p = tpath("ours.faiss"), *q = tpath("ours-replaced.faiss");
	struct faiss_header h;
	struct vs_error err;
	int64_t ntotal = -1;
	int dim = -1, fd, rc;

	error_clear(&err);
	ok_call(write_index(p, 250, 16, &err), err, "writer builds and saves 250 x 16");
	ok_call(faiss_header_read_path(p, &h, &err), err, "header of our index reads");
	is_str(h.fourcc, "IxMp", "our index is an IDMap");
	is_str(h.inner_fourcc, "IxFI", "wrapping an inner-product flat index");
	is_int(h.dim, 16, "dimension from the header");
	is_int(h.ntotal, 250, "ntotal from the header");
	is_int(h.metric, FAISS_METRIC_INNER_PRODUCT, "metric from the header");
	ok(h.size_checked, "the file size was checked");
	is_int(h.file_size, 37 + 37 + 8 + 250 * 16 * 4 + 8 + 250 * 8, "file size is what FAISS writes");
	ok_call(faiss_index_load_info(p, &ntotal, &dim, &err), err, "FAISS loads our index");
	is_int(ntotal, 250, "loaded ntotal");
	is_int(dim, 16, "loaded dimension");

	struct stat st;
	ok(stat(p, &st) == 0 && (st.st_mode & 0777) == 0640, "saved with the requested mode");

	/* An open descriptor keeps reading the file it was opened on when the
	 * path is replaced by rename, as during a backup's capture. */
	fd = open(p, O_RDONLY);
	ok(fd >= 0, "open our index");
	ok_call(write_index(p, 10, 16, &err), err, "replace it by a 10-vector index");
	rc = faiss_header_read(fd, p, &h, &err);
	ok(rc == 0 && h.ntotal == 250,
	    "the descriptor opened before still reads 250 vectors (%lld)", (long long)h.ntotal);
	close(fd);
	rc = faiss_header_read_path(p, &h, &err);
	ok(rc == 0 && h.ntotal == 10, "the path now reads 10 vectors (%lld)", (long long)h.ntotal);

	ok_call(write_index(q, 0, 8, &err), err, "an empty index can be written");
	rc = faiss_header_read_path(q, &h, &err);
	ok(rc == 0 && h.ntotal == 0 && h.dim == 8 && h.size_checked,
	    "its header reads ntotal 0, dim 8 (%lld, %d)", (long long)h.ntotal, h.dim);

	char *bad = tpath("no/such/dir/x.faiss");
	ok(write_index(bad, 5, 4, &err) != 0 && strstr(err.msg, bad) != NULL,
	    "saving into a missing directory fails naming the path: %s", err.msg);
	free(bad);

	free(p);
	free(q);
}

static void
check_rejected(const char *name, const char *path, enum vs_code code,
    const char *needle)
{
	struct faiss_header h;
	struct vs_error err;

	error_clear(&err);
	ok(faiss_header_read_path(path, &h, &err) != 0, "%s: rejected", name);
	ok(err.code == code, "%s: error code %s (got %s)", name, error_code_name(code),
	    error_code_name(err.code));
	ok(strstr(err.msg, path) != NULL, "%s: the message names the file: %s", name, err.msg);
	if (needle != NULL)
		ok(strstr(err.msg, needle) != NULL, "%s: the message says '%s'", name, needle);
}

static void
test_damaged(void)
{
	char *good = tpath("good.faiss"), *p;
	struct vs_error err;
	struct stat st;
	int64_t ntotal;
	int dim;

	error_clear(&err);
	if (write_index(good, 300, 12, &err) != 0)
		fatal("%s", err.msg);
	stat(good, &st);

	p = tpath("truncated.faiss");
	copy_prefix(good, p, (size_t)st.st_size - 1, 0);
	check_rejected("one byte short", p, VS_ERR_FORMAT, "truncated");
	ok(faiss_index_load_info(p, &ntotal, &dim, &err) != 0 && err.code == VS_ERR_FORMAT &&
	    strstr(err.msg, p) != NULL, "loading the truncated index fails: %s", err.msg);
	free(p);

	p = tpath("half.faiss");
	copy_prefix(good, p, (size_t)st.st_size / 2, 0);
	check_rejected("half of the file", p, VS_ERR_FORMAT, "truncated");
	free(p);

	p = tpath("in-header.faiss");
	copy_prefix(good, p, 20, 0);
	check_rejected("cut inside the header", p, VS_ERR_FORMAT, "truncated");
	free(p);

	p = tpath("in-inner-header.faiss");
	copy_prefix(good, p, 50, 0);
	check_rejected("cut inside the wrapped index's header", p, VS_ERR_FORMAT, "truncated");
	free(p);

	p = tpath("extended.faiss");
	copy_prefix(good, p, (size_t)st.st_size, 3);
	check_rejected("three extra bytes", p, VS_ERR_FORMAT, "3 unexpected bytes");
	free(p);

	p = tpath("text.faiss");
	write_file(p, "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnop", 52);
	check_rejected("a text file", p, VS_ERR_FORMAT, "not a FAISS index (unknown type 'abcd')");
	ok(faiss_index_load_info(p, &ntotal, &dim, &err) != 0 && err.code == VS_ERR_FORMAT &&
	    strstr(err.msg, p) != NULL, "loading the text file fails, naming it: %s", err.msg);
	free(p);

	p = tpath("binary.faiss");
	write_file(p, "\x01\x02\xff\x00garbagegarbagegarbagegarbagegarbagegarbage", 46);
	check_rejected("binary garbage", p, VS_ERR_FORMAT, "'\\x01\\x02\\xff\\x00'");
	free(p);

	p = tpath("empty.faiss");
	write_file(p, "", 0);
	check_rejected("an empty file", p, VS_ERR_FORMAT, "not a FAISS index");
	free(p);

	/* A known type code followed by nonsense is still not an index. */
	p = tpath("fake-header.faiss");
	write_file(p, "IxF2\xff\xff\xff\xff" "0123456789012345678901234567890123456789", 48);
	check_rejected("a type code with an impossible header", p, VS_ERR_FORMAT, "impossible");
	free(p);

	p = tpath("missing.faiss");
	check_rejected("a missing file", p, VS_ERR_NOTFOUND, NULL);
	ok(faiss_index_load_info(p, &ntotal, &dim, &err) != 0 && err.code == VS_ERR_NOTFOUND &&
	    strstr(err.msg, p) != NULL, "loading a missing file names it: %s", err.msg);
	free(p);

	check_rejected("a directory", tmpdir, VS_ERR_FORMAT, "not a regular file");
	free(good);
}

/*
 * Indexes written by FAISS's Python binding: name, then what Python says of
 * each one. Our writer's output is checked the other way round.
 */
static const char python_script[] =
    "import sys, faiss, numpy as np\n"
    "d = sys.argv[1]\n"
    "rng = np.random.default_rng(7)\n"
    "def data(n, dim): return rng.random((n, dim), dtype='float32')\n"
    "def save(name, idx):\n"
    "    faiss.write_index(idx, d + '/' + name + '.faiss')\n"
    "    print(name, idx.ntotal, idx.d, int(idx.metric_type))\n"
    "i = faiss.index_factory(24, 'IDMap,Flat', faiss.METRIC_L2)\n"
    "i.add_with_ids(data(123, 24), np.arange(123, dtype='int64') * 3 + 11)\n"
    "save('idmap_flat_l2', i)\n"
    "i = faiss.index_factory(20, 'IDMap2,Flat', faiss.METRIC_INNER_PRODUCT)\n"
    "i.add_with_ids(data(40, 20), np.arange(40, dtype='int64'))\n"
    "save('idmap2_flat_ip', i)\n"
    "i = faiss.IndexFlatIP(8); i.add(data(77, 8)); save('flat_ip', i)\n"
    "i = faiss.IndexFlatL2(5); i.add(data(9, 5)); save('flat_l2', i)\n"
    "i = faiss.IndexFlat(6, faiss.METRIC_L1); i.add(data(13, 6)); save('flat_l1', i)\n"
    "i = faiss.IndexFlatL2(3); save('flat_empty', i)\n"
    "i = faiss.index_factory(16, 'IVF4,Flat'); x = data(300, 16); i.train(x); i.add(x)\n"
    "save('ivf_flat', i)\n"
    "i = faiss.index_factory(16, 'IDMap,IVF4,Flat'); i.train(x)\n"
    "i.add_with_ids(x, np.arange(300, dtype='int64') + 5); save('idmap_ivf', i)\n"
    "i = faiss.IndexPQ(16, 4, 4); i.is_trained = True; i.add(x); save('pq', i)\n"
    "i = faiss.IndexLSH(16, 32); i.add(x); save('lsh', i)\n"
    "i = faiss.index_factory(16, 'SQ8'); i.train(x); i.add(x[:50]); save('sq8', i)\n"
    "if hasattr(faiss, 'IndexHNSWFlat'):\n"
    "    i = faiss.IndexHNSWFlat(12, 8); i.add(data(200, 12)); save('hnsw', i)\n"
    "ours = faiss.read_index(d + '/ours.faiss')\n"
    "print('READ-OURS', ours.ntotal, ours.d, int(ours.metric_type))\n";

static void
test_python(void)
{
	char *cmd, line[512];
	FILE *fp;
	int n = 0, rc;

	if (system(PYTHON " -c 'import faiss' >/dev/null 2>&1") != 0) {
		ok(1, "# SKIP " PYTHON " cannot import faiss");
		return;
	}
	/* Written by test_writer: 10 vectors of dimension 16. */
	cmd = xasprintf(PYTHON " -c \"$VS_SCRIPT\" '%s'", tmpdir);
	setenv("VS_SCRIPT", python_script, 1);
	fp = popen(cmd, "r");
	free(cmd);
	if (fp == NULL)
		fatal("popen: %s", strerror(errno));
	while (fgets(line, sizeof line, fp) != NULL) {
		char name[128], *path;
		long long ntotal;
		int d, metric;
		struct faiss_header h;
		struct vs_error err;

		if (sscanf(line, "%127s %lld %d %d", name, &ntotal, &d, &metric) != 4) {
			ok(0, "python output: %s", line);
			continue;
		}
		if (strcmp(name, "READ-OURS") == 0) {
			ok(ntotal == 10 && d == 16 && metric == 0,
			    "FAISS in Python reads our index: ntotal %lld, d %d, metric %d",
			    ntotal, d, metric);
			continue;
		}
		n++;
		path = xasprintf("%s/%s.faiss", tmpdir, name);
		error_clear(&err);
		rc = faiss_header_read_path(path, &h, &err);
		if (!ok(rc == 0, "%s: header reads", name)) {
			printf("#   %s\n", err.msg);
			free(path);
			continue;
		}
		is_int(h.ntotal, ntotal, "%s (%s%s%s): ntotal as Python says", name, h.fourcc,
		    h.inner_fourcc[0] ? "/" : "", h.inner_fourcc);
		is_int(h.dim, d, "%s: dim as Python says", name);
		is_int(h.metric, metric, "%s: metric as Python says", name);
		if (strncmp(name, "flat", 4) == 0 || strncmp(name, "idmap_flat", 10) == 0 ||
		    strncmp(name, "idmap2_flat", 11) == 0)
			ok(h.size_checked, "%s: file size checked against ntotal and dim", name);

		int64_t lt = -1;
		int ld = -1;
		rc = faiss_index_load_info(path, &lt, &ld, &err);
		ok(rc == 0 && lt == ntotal && ld == d,
		    "%s: loads through the C API with ntotal %lld dim %d%s%s", name,
		    (long long)lt, ld, rc ? ": " : "", rc ? err.msg : "");
		free(path);
	}
	rc = pclose(fp);
	ok(rc == 0, "python wrote its indexes (status %d)", rc);
	ok(n >= 10, "python wrote at least 10 indexes (%d)", n);

	/* A damage only FAISS sees: the header check passes for an IVF index
	 * cut short, the load fails with FAISS's message and the path. */
	char *src = tpath("ivf_flat.faiss"), *cut = tpath("ivf_cut.faiss");
	struct stat st;
	struct faiss_header h;
	struct vs_error err;
	int64_t nt;
	int d;

	if (stat(src, &st) == 0) {
		copy_prefix(src, cut, (size_t)st.st_size - 100, 0);
		ok(faiss_header_read_path(cut, &h, &err) == 0, "cut IVF index: the header still reads");
		rc = faiss_index_load_info(cut, &nt, &d, &err);
		ok(rc != 0 && err.code == VS_ERR_FAISS && strstr(err.msg, cut) != NULL &&
		    strstr(err.msg, "FAISS") != NULL,
		    "cut IVF index: FAISS refuses it, the message names the file: %s", err.msg);
	}
	free(src);
	free(cut);
}

/*
 * FAISS 1.7.3 leaks the partly read index when read_index() throws; the
 * test above makes it throw on purpose.
 */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:faiss::read_index\n" "leak:faiss::read_InvertedLists\n";
}

int
main(int argc, char **argv)
{
	char tmpl[] = "/tmp/vstest-faiss.XXXXXX";
	const char *base = getenv("TMPDIR");
	struct vs_error err;

	/* faiss_index_load_info() starts this program again as its loader. */
	faiss_loader_dispatch(argc, argv);

	if (base != NULL && *base != '\0')
		tmpdir = xasprintf("%s/vstest-faiss.XXXXXX", base);
	else
		tmpdir = xstrdup(tmpl);
	if (mkdtemp(tmpdir) == NULL)
		fatal("mkdtemp %s: %s", tmpdir, strerror(errno));

	test_capi_errors();
	test_writer();
	test_damaged();
	test_python();

	error_clear(&err);
	fs_remove_tree(tmpdir, &err);
	free(tmpdir);
	return tap_done();
}
