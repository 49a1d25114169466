#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faiss/c_api/IndexFlat_c.h>
#include <faiss/c_api/IndexIVF_c.h>
#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/MetaIndexes_c.h>
#include <faiss/c_api/error_c.h>
#include <faiss/c_api/index_io_c.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "faiss/faiss-header.h"
#include "faiss/faiss-index.h"
#include "faiss/faiss-inspect.h"

/*
 * What a type code (of the index itself, or of the index an IDMap wraps)
 * says about search and storage. Codes not listed: approximate search,
 * quantized storage.
 */
static const struct {
	char fourcc[5];
	bool exact_search;
	bool exact_storage;
} fi_types[] = {
	{ "IxFI", true, true },   /* IndexFlatIP */
	{ "IxF2", true, true },   /* IndexFlatL2 */
	{ "IxFl", true, true },   /* IndexFlat */
	{ "IwFl", false, true },  /* IndexIVFFlat */
	{ "IvFl", false, true },  /* IndexIVFFlat, older files */
	{ "IHNf", false, true },  /* IndexHNSWFlat */
	{ "INSf", false, true },  /* IndexNSGFlat */
};

struct fi_pos {
	int64_t id;
	int64_t pos;
};

struct faiss_inspect {
	FaissIndex *index;
	FaissIndex *sub;          /* what an IDMap wraps, else NULL */
	struct fi_pos *pos;       /* an IDMap's ids and positions, by id */
	size_t npos;
	bool direct_map_tried;
	bool direct_map_ok;
	bool exact_search;
	bool exact_storage;
	char kind[12];
	char *path;
};

static const char *
fi_last_error(void)
{
	const char *msg = faiss_get_last_error();

	return msg != NULL && *msg != '\0' ? msg : _("unknown FAISS error");
}

static int
fi_pos_cmp(const void *a, const void *b)
{
	const struct fi_pos *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int
fi_id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

int
faiss_inspect_load(const char *path, struct faiss_inspect **out, struct vs_error *err)
{
	struct faiss_inspect *fi;
	struct faiss_header h;
	FaissIndex *index = NULL;
	FaissIndexIDMap *map;
	const char *code;

	int64_t ntotal;
	int dim;

	if (faiss_header_read_path(path, &h, err) != 0)
		return -1;
	/* A file from a backup may be made to crash FAISS's reader or make
	 * it allocate without bound: only one that loads in the limited child
	 * (faiss-loader.c) is loaded here. */
	if (faiss_index_load_info(path, &ntotal, &dim, err) != 0)
		return -1;
	if (faiss_read_index_fname(path, 0, &index) != 0)
		return error_set(err, VS_ERR_FAISS, _("FAISS cannot load index %s: %s"), path,
		    fi_last_error());
	if (index == NULL)
		return error_set(err, VS_ERR_FAISS, _("FAISS cannot load index %s: the file holds "
		    "an empty placeholder, not an index"), path);
	fi = xcalloc(1, sizeof *fi);
	fi->index = index;
	fi->path = xstrdup(path);
	code = h.inner_fourcc[0] != '\0' ? h.inner_fourcc : h.fourcc;
	if (h.inner_fourcc[0] != '\0')
		snprintf(fi->kind, sizeof fi->kind, "%s/%s", h.fourcc, h.inner_fourcc);
	else
		snprintf(fi->kind, sizeof fi->kind, "%s", h.fourcc);
	for (size_t i = 0; i < sizeof fi_types / sizeof fi_types[0]; i++) {
		if (strcmp(fi_types[i].fourcc, code) == 0) {
			fi->exact_search = fi_types[i].exact_search;
			fi->exact_storage = fi_types[i].exact_storage;
		}
	}
	map = faiss_IndexIDMap_cast(index);
	if (map != NULL) {
		idx_t *ids;
		size_t n;

		faiss_IndexIDMap_id_map(map, &ids, &n);
		fi->sub = faiss_IndexIDMap_sub_index(map);
		fi->pos = xcalloc(n + 1, sizeof *fi->pos);
		fi->npos = n;
		for (size_t i = 0; i < n; i++) {
			fi->pos[i].id = ids[i];
			fi->pos[i].pos = (int64_t)i;
		}
		if (n > 0)
			qsort(fi->pos, n, sizeof *fi->pos, fi_pos_cmp);
	}
	*out = fi;
	return 0;
}

void
faiss_inspect_free(struct faiss_inspect *fi)
{
	if (fi == NULL)
		return;
	faiss_Index_free(fi->index);
	free(fi->pos);
	free(fi->path);
	free(fi);
}

int
faiss_inspect_dim(const struct faiss_inspect *fi)
{
	return faiss_Index_d(fi->index);
}

int64_t
faiss_inspect_ntotal(const struct faiss_inspect *fi)
{
	return faiss_Index_ntotal(fi->index);
}

int
faiss_inspect_metric(const struct faiss_inspect *fi)
{
	return (int)faiss_Index_metric_type(fi->index);
}

const char *
faiss_inspect_kind(const struct faiss_inspect *fi)
{
	return fi->kind;
}

bool
faiss_inspect_exact_search(const struct faiss_inspect *fi)
{
	return fi->exact_search;
}

bool
faiss_inspect_exact_storage(const struct faiss_inspect *fi)
{
	return fi->exact_storage;
}

int
faiss_inspect_ids(struct faiss_inspect *fi, int64_t **ids, size_t *n, struct vs_error *err)
{
	FaissIndexIVF *ivf = fi->pos == NULL ? faiss_IndexIVF_cast(fi->index) : NULL;
	int64_t ntotal = faiss_Index_ntotal(fi->index);
	int64_t *out;
	size_t k = 0;

	if (ntotal < 0)
		return error_set(err, VS_ERR_FAISS, _("index %s claims %lld vectors"), fi->path,
		    (long long)ntotal);
	if (fi->pos != NULL) {
		out = xcalloc(fi->npos + 1, sizeof *out);
		for (size_t i = 0; i < fi->npos; i++)
			out[k++] = fi->pos[i].id;   /* already sorted */
	} else if (ivf != NULL) {
		size_t nlist = faiss_IndexIVF_nlist(ivf), total = 0;

		for (size_t l = 0; l < nlist; l++)
			total += faiss_IndexIVF_get_list_size(ivf, l);
		out = xcalloc(total + 1, sizeof *out);
		for (size_t l = 0; l < nlist; l++) {
			size_t ln = faiss_IndexIVF_get_list_size(ivf, l);

			if (ln == 0)
				continue;
			faiss_IndexIVF_invlists_get_ids(ivf, l, (idx_t *)out + k);
			k += ln;
		}
		qsort(out, k, sizeof *out, fi_id_cmp);
	} else {
		out = xcalloc((size_t)ntotal + 1, sizeof *out);
		for (int64_t i = 0; i < ntotal; i++)
			out[k++] = i;
	}
	*ids = out;
	*n = k;
	return 0;
}

int
faiss_inspect_reconstruct(struct faiss_inspect *fi, int64_t id, float *out,
    struct vs_error *err)
{
	FaissIndexIVF *ivf;

	if (fi->pos != NULL) {
		struct fi_pos key = { id, -1 }, *p;
		size_t lo = 0, hi = fi->npos;

		/* The first entry with this id (lowest position). */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (fi_pos_cmp(&fi->pos[mid], &key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo >= fi->npos || fi->pos[lo].id != id)
			return 1;
		p = &fi->pos[lo];
		if (faiss_Index_reconstruct(fi->sub, (idx_t)p->pos, out) != 0)
			return error_set(err, VS_ERR_FAISS, _("index %s cannot give back its "
			    "vectors: %s"), fi->path, fi_last_error());
		return 0;
	}
	ivf = faiss_IndexIVF_cast(fi->index);
	if (ivf != NULL && !fi->direct_map_tried) {
		fi->direct_map_tried = true;
		fi->direct_map_ok = faiss_IndexIVF_make_direct_map(ivf, 1) == 0;
	}
	if (ivf != NULL && !fi->direct_map_ok)
		return error_set(err, VS_ERR_FAISS, _("index %s cannot give back its vectors: %s"),
		    fi->path, fi_last_error());
	if (ivf == NULL && (id < 0 || id >= faiss_Index_ntotal(fi->index)))
		return 1;
	if (faiss_Index_reconstruct(fi->index, (idx_t)id, out) != 0) {
		/* An IVF's direct map throws for an id it does not hold. */
		if (ivf != NULL)
			return 1;
		return error_set(err, VS_ERR_FAISS, _("index %s cannot give back its vectors: %s"),
		    fi->path, fi_last_error());
	}
	return 0;
}

int
faiss_inspect_search(struct faiss_inspect *fi, size_t n, const float *x, int k,
    float *distances, int64_t *labels, struct vs_error *err)
{
	if (n == 0)
		return 0;
	if (faiss_Index_search(fi->index, (idx_t)n, x, (idx_t)k, distances, (idx_t *)labels) != 0)
		return error_set(err, VS_ERR_FAISS, _("searching index %s failed: %s"), fi->path,
		    fi_last_error());
	return 0;
}
