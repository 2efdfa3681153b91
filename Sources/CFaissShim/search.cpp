// fshim_search (the shim's own loops where Debian's generic Faiss build is slow, Faiss elsewhere)
// and fshim_search_faiss (always Faiss: the reference the tests compare against).
//
// Thread policy, per operation, within the one thread count the library is given:
//  - HNSW, IVF-Flat, IVF-SQ8 and IVF-PQ search, small Flat batches: the shim's own threads (`threads` of them);
//    no BLAS call happens, so OpenBLAS's pool sleeps.
//  - IVF batches: one BLAS product for the coarse scores first (BLAS's pool), then the scans.
//  - Filtered Flat batches (removed slots, version restriction): blocked BLAS products, then the
//    filter while keeping the top k (flat_blas_filtered.cpp), on BLAS's pool.
//  - Flat inner-product searches on AVX2 (galleries of 4,096 rows and up, k at most a sixteenth
//    of them, any batch, filtered or not): an 8-bit pass over every row, then float scores for
//    the rows near each query's k best, on the shim's threads (flat_int8.cpp); no BLAS call.
//  - Other unfiltered Flat batches: blocked BLAS products on BLAS's pool (`threads` threads, see
//    fshim_set_blas_threads), each block's top-k pass on the shim's threads (flat_blas.cpp).
//  - Other IVF codecs, and Faiss's own path: OpenMP runs one thread around BLAS work:
//    Debian's OpenBLAS and libgomp both spin while waiting, and two full pools on the same cores
//    measured 2.2x slower.
#include "faiss_shim.h"

#include "internal/guarded.h"
#include "internal/hnsw_search.h"
#include "internal/ivf_pq.h"
#include "internal/kernels.h"
#include "internal/list_scan.h"
#include "internal/shim_index.h"
#include "internal/slot_filter.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/utils/distances.h>
#include <omp.h>

#include <limits>
#include <memory>
#include <mutex>
#include <shared_mutex>

namespace {

using stasis_shim::guarded;
using stasis_shim::set_message;

/// Faiss pads missing results with -FLT_MAX; -inf says "no result" unambiguously.
void pad_missing(int64_t count, float* scores, const int64_t* labels) {
    for (int64_t i = 0; i < count; i++) {
        if (labels[i] < 0) scores[i] = -std::numeric_limits<float>::infinity();
    }
}

int effective_ef(const fshim_index* index, int ef_search) {
    return ef_search > 0 ? ef_search : index->default_ef;
}

int effective_nprobe(const faiss::IndexIVF& ivf, int nprobe) {
    return nprobe > 0 ? nprobe : int(ivf.nprobe);
}

/// Faiss's own search, with the slot filter as an IDSelector.
void faiss_search(const fshim_index* index, int64_t n, const float* x, int64_t k, int ef_search,
                  int nprobe, const fshim_filter* filter, float* scores, int64_t* labels, int threads) {
    omp_set_num_threads(index->kind == FSHIM_KIND_FLAT ? 1 : threads);
    std::unique_ptr<stasis_shim::SlotSelector> selector;
    if (filter) selector.reset(new stasis_shim::SlotSelector(*filter));

    switch (index->kind) {
        case FSHIM_KIND_HNSW: {
            // 1.7.3 reads efSearch from the member, not from the parameters (see ef_mutex).
            auto* hnsw = static_cast<faiss::IndexHNSW*>(index->index.get());
            faiss::SearchParametersHNSW params;
            params.efSearch = effective_ef(index, ef_search);
            params.sel = selector.get();
            {
                std::shared_lock<std::shared_mutex> shared(index->ef_mutex);
                if (hnsw->hnsw.efSearch == params.efSearch) {
                    hnsw->search(n, x, k, scores, labels, &params);
                    return pad_missing(n * k, scores, labels);
                }
            }
            std::unique_lock<std::shared_mutex> exclusive(index->ef_mutex);
            hnsw->hnsw.efSearch = params.efSearch;
            hnsw->search(n, x, k, scores, labels, &params);
            hnsw->hnsw.efSearch = index->default_ef;
            return pad_missing(n * k, scores, labels);
        }
        case FSHIM_KIND_IVF: {
            auto* ivf = static_cast<const faiss::IndexIVF*>(index->index.get());
            faiss::SearchParametersIVF params;
            params.nprobe = size_t(effective_nprobe(*ivf, nprobe));
            params.max_codes = ivf->max_codes;
            params.sel = selector.get();
            index->index->search(n, x, k, scores, labels, &params);
            return pad_missing(n * k, scores, labels);
        }
        default: {
            faiss::SearchParameters params;
            params.sel = selector.get();
            index->index->search(n, x, k, scores, labels, selector ? &params : nullptr);
            return pad_missing(n * k, scores, labels);
        }
    }
}

/// The shim's own loop for this index and batch, if one applies; false leaves it to Faiss.
bool own_search(const fshim_index* index, int64_t n, const float* x, int64_t k, int ef_search,
                int nprobe, const fshim_filter* filter, float* scores, int64_t* labels, int threads) {
    const faiss::Index& base = *index->index;
    const auto& kernels = stasis_shim::active_kernels();
    switch (index->kind) {
        case FSHIM_KIND_HNSW:
            if (!stasis_shim::hnsw_fast_path_applies(base)) return false;
            stasis_shim::hnsw_search(static_cast<const faiss::IndexHNSW&>(base), kernels, n, x, k,
                                     effective_ef(index, ef_search), filter, scores, labels, threads,
                                     index->scratch);
            return true;
        case FSHIM_KIND_IVF: {
            if (stasis_shim::ivf_flat_fast_path_applies(base)) {
                const auto& ivf = static_cast<const faiss::IndexIVFFlat&>(base);
                stasis_shim::ivf_flat_search(ivf, kernels, n, x, k, effective_nprobe(ivf, nprobe), filter,
                                             scores, labels, threads, index->scratch);
                return true;
            }
            if (stasis_shim::ivf_sq8_fast_path_applies(base)) {
                const auto& ivf = static_cast<const faiss::IndexIVFScalarQuantizer&>(base);
                stasis_shim::ivf_sq8_search(ivf, kernels, n, x, k, effective_nprobe(ivf, nprobe), filter,
                                            scores, labels, threads, index->scratch);
                return true;
            }
            if (stasis_shim::ivf_pq_fast_path_applies(base)) {
                const auto& ivf = static_cast<const faiss::IndexIVFPQ&>(base);
                stasis_shim::ivf_pq_search(ivf, kernels, n, x, k, effective_nprobe(ivf, nprobe), filter,
                                           scores, labels, threads, index->scratch);
                return true;
            }
            return false;
        }
        case FSHIM_KIND_FLAT: {
            // Below this batch size Faiss skips BLAS for its scalar loop; above it BLAS wins.
            auto* flat = dynamic_cast<const faiss::IndexFlat*>(&base);
            if (!flat) return false;
            // The 8-bit pass with float rescoring where it applies (twice BLAS's products per
            // cycle for batches, a quarter of the bytes for single queries).
            if (stasis_shim::flat_int8_applies(*flat, kernels, k)) {
                const auto gallery = index->int8.current(*flat, threads);
                stasis_shim::flat_int8_search(*flat, *gallery, kernels, n, x, k, filter, scores, labels, threads);
                return true;
            }
            // Switched off: the copy goes with the index's next search.
            if (!stasis_shim::flat_prefilter_enabled()) index->int8.release();
            if (n >= faiss::distance_compute_blas_threshold) {
                // Unfiltered: BLAS blocks with a parallel top-k pass (Faiss's pass is one scalar
                // thread); filtered: BLAS blocks too (Faiss would use its scalar loop).
                if (flat->metric_type != faiss::METRIC_INNER_PRODUCT) return false;
                if (!filter) {
                    stasis_shim::flat_blas_search(*flat, n, x, k, scores, labels, threads);
                    return true;
                }
                stasis_shim::flat_blas_filtered_search(*flat, n, x, k, filter, scores, labels);
                return true;
            }
            stasis_shim::flat_scan_search(*flat, kernels, n, x, k, filter, scores, labels, threads,
                                          index->scratch);
            return true;
        }
        default:
            return false;
    }
}

int check_trained(const fshim_index* index, char* err) {
    if (index->index->is_trained) return FSHIM_OK;
    set_message(err, "index is not trained");
    return FSHIM_NOT_TRAINED;
}

}  // namespace

extern "C" {

int fshim_search(const fshim_index* index, int64_t n, const float* x, int64_t k, int ef_search,
                 int nprobe, const fshim_filter* filter, float* scores, int64_t* labels,
                 int threads, char* err) {
    if (int code = check_trained(index, err)) return code;
    return guarded(err, FSHIM_INVALID, [&] {
        const fshim_filter* f = stasis_shim::effective_filter(filter);
        if (!own_search(index, n, x, k, ef_search, nprobe, f, scores, labels, threads))
            faiss_search(index, n, x, k, ef_search, nprobe, f, scores, labels, threads);
    });
}

int fshim_search_faiss(const fshim_index* index, int64_t n, const float* x, int64_t k, int ef_search,
                       int nprobe, const fshim_filter* filter, float* scores, int64_t* labels,
                       int threads, char* err) {
    if (int code = check_trained(index, err)) return code;
    return guarded(err, FSHIM_INVALID, [&] {
        faiss_search(index, n, x, k, ef_search, nprobe, stasis_shim::effective_filter(filter), scores,
                     labels, threads);
    });
}

}  // extern "C"
