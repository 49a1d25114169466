/*
 * The part of the FAISS C API that vsbackup uses, for systems whose FAISS
 * package ships the C API headers but no compiled libfaiss_c (Debian 12).
 * Built only when configure finds no faiss_c library; each function has the
 * exact prototype of /usr/include/faiss/c_api/ so the rest of the program is
 * written against the upstream C API alone.
 *
 * Error convention, as upstream: a function returns 0 on success, -2 when
 * FAISS threw a FaissException, -4 for another std::exception and -1 for
 * anything else; faiss_get_last_error() then returns the message. The message
 * is kept per thread, so concurrent jobs never see each other's errors.
 */
#include "config.h"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>

#include <faiss/Index.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/impl/FaissException.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>

#include <faiss/c_api/IndexFlat_c.h>
#include <faiss/c_api/IndexIVFFlat_c.h>
#include <faiss/c_api/IndexIVF_c.h>
#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/MetaIndexes_c.h>
#include <faiss/c_api/error_c.h>
#include <faiss/c_api/index_factory_c.h>
#include <faiss/c_api/index_io_c.h>

namespace {

/* The message of the last failed call on this thread. */
thread_local std::string capi_last_error;
thread_local bool capi_have_error = false;

int
capi_fail(int code, const char *what)
{
	capi_last_error = what != nullptr ? what : "unknown error";
	capi_have_error = true;
	return code;
}

faiss::Index *
capi_index(FaissIndex *idx)
{
	return reinterpret_cast<faiss::Index *>(idx);
}

const faiss::Index *
capi_index(const FaissIndex *idx)
{
	return reinterpret_cast<const faiss::Index *>(idx);
}

/* Run f, turning exceptions into the C API's return codes. */
template <typename F>
int
capi_call(F f)
{
	try {
		f();
	} catch (const faiss::FaissException &e) {
		return capi_fail(FAISS_EXCEPT, e.what());
	} catch (const std::exception &e) {
		return capi_fail(STD_EXCEPT, e.what());
	} catch (...) {
		return capi_fail(UNKNOWN_EXCEPT, "unknown error");
	}
	return OK;
}

} // namespace

extern "C" {

const char *
faiss_get_last_error()
{
	return capi_have_error ? capi_last_error.c_str() : nullptr;
}

void
faiss_Index_free(FaissIndex *obj)
{
	delete capi_index(obj);
}

int
faiss_Index_d(const FaissIndex *obj)
{
	return capi_index(obj)->d;
}

int
faiss_Index_is_trained(const FaissIndex *obj)
{
	return capi_index(obj)->is_trained ? 1 : 0;
}

idx_t
faiss_Index_ntotal(const FaissIndex *obj)
{
	return capi_index(obj)->ntotal;
}

FaissMetricType
faiss_Index_metric_type(const FaissIndex *obj)
{
	return static_cast<FaissMetricType>(capi_index(obj)->metric_type);
}

int
faiss_Index_add(FaissIndex *index, idx_t n, const float *x)
{
	return capi_call([&] { capi_index(index)->add(n, x); });
}

int
faiss_Index_add_with_ids(FaissIndex *index, idx_t n, const float *x,
    const idx_t *xids)
{
	return capi_call([&] {
		capi_index(index)->add_with_ids(n, x, xids);
	});
}

int
faiss_Index_search(const FaissIndex *index, idx_t n, const float *x, idx_t k,
    float *distances, idx_t *labels)
{
	return capi_call([&] {
		capi_index(index)->search(n, x, k, distances, labels);
	});
}

int
faiss_index_factory(FaissIndex **p_index, int d, const char *description,
    FaissMetricType metric)
{
	return capi_call([&] {
		*p_index = reinterpret_cast<FaissIndex *>(faiss::index_factory(d,
		    description, static_cast<faiss::MetricType>(metric)));
	});
}

int
faiss_write_index(const FaissIndex *idx, FILE *f)
{
	return capi_call([&] { faiss::write_index(capi_index(idx), f); });
}

int
faiss_write_index_fname(const FaissIndex *idx, const char *fname)
{
	return capi_call([&] { faiss::write_index(capi_index(idx), fname); });
}

int
faiss_read_index(FILE *f, int io_flags, FaissIndex **p_out)
{
	return capi_call([&] {
		*p_out = reinterpret_cast<FaissIndex *>(faiss::read_index(f, io_flags));
	});
}

int
faiss_read_index_fname(const char *fname, int io_flags, FaissIndex **p_out)
{
	return capi_call([&] {
		*p_out = reinterpret_cast<FaissIndex *>(
		    faiss::read_index(fname, io_flags));
	});
}

/* --- what a restore drill asks of an index: its ids, its vectors --- */

int
faiss_Index_reconstruct(const FaissIndex *index, idx_t key, float *recons)
{
	return capi_call([&] { capi_index(index)->reconstruct(key, recons); });
}

FaissIndexFlat *
faiss_IndexFlat_cast(FaissIndex *index)
{
	return reinterpret_cast<FaissIndexFlat *>(
	    dynamic_cast<faiss::IndexFlat *>(capi_index(index)));
}

FaissIndexIDMap *
faiss_IndexIDMap_cast(FaissIndex *index)
{
	return reinterpret_cast<FaissIndexIDMap *>(
	    dynamic_cast<faiss::IndexIDMap *>(capi_index(index)));
}

void
faiss_IndexIDMap_id_map(FaissIndexIDMap *index, idx_t **p_id_map, size_t *p_size)
{
	auto *m = reinterpret_cast<faiss::IndexIDMap *>(index);

	*p_id_map = m->id_map.data();
	*p_size = m->id_map.size();
}

FaissIndex *
faiss_IndexIDMap_sub_index(FaissIndexIDMap *index)
{
	return reinterpret_cast<FaissIndex *>(
	    reinterpret_cast<faiss::IndexIDMap *>(index)->index);
}

FaissIndexIVF *
faiss_IndexIVF_cast(FaissIndex *index)
{
	return reinterpret_cast<FaissIndexIVF *>(
	    dynamic_cast<faiss::IndexIVF *>(capi_index(index)));
}

FaissIndexIVFFlat *
faiss_IndexIVFFlat_cast(FaissIndex *index)
{
	return reinterpret_cast<FaissIndexIVFFlat *>(
	    dynamic_cast<faiss::IndexIVFFlat *>(capi_index(index)));
}

size_t
faiss_IndexIVF_nlist(const FaissIndexIVF *index)
{
	return reinterpret_cast<const faiss::IndexIVF *>(index)->nlist;
}

size_t
faiss_IndexIVF_get_list_size(const FaissIndexIVF *index, size_t list_no)
{
	return reinterpret_cast<const faiss::IndexIVF *>(index)->get_list_size(list_no);
}

void
faiss_IndexIVF_invlists_get_ids(const FaissIndexIVF *index, size_t list_no, idx_t *invlist)
{
	const faiss::InvertedLists *il =
	    reinterpret_cast<const faiss::IndexIVF *>(index)->invlists;
	size_t n = il->list_size(list_no);
	const idx_t *ids = il->get_ids(list_no);

	std::copy(ids, ids + n, invlist);
	il->release_ids(list_no, ids);
}

int
faiss_IndexIVF_make_direct_map(FaissIndexIVF *index, int new_maintain_direct_map)
{
	return capi_call([&] {
		reinterpret_cast<faiss::IndexIVF *>(index)->make_direct_map(
		    new_maintain_direct_map != 0);
	});
}

} // extern "C"
