// Scans with the shim's kernels: IVF-Flat and IVF-SQ8 search (coarse assignment + inverted-list
// scan) and brute-force Flat search for small batches, where Faiss 1.7.3 uses its scalar loop instead
// of BLAS. Results are Faiss's up to exact score ties (and last-bit differences in summation order).
#pragma once
#include "faiss_shim.h"
#include "kernels.h"
#include "scratch.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/IndexScalarQuantizer.h>

#include <cstdint>

namespace stasis_shim {

/// Whether `index` is an inner-product IndexIVFFlat with a flat coarse quantizer.
bool ivf_flat_fast_path_applies(const faiss::Index& index);

/// IVF-Flat search visiting the `nprobe` lists whose centroids score highest (clamped to
/// [1, nlist]); filter as in Faiss's IDSelector (on the stored labels). Up to `threads` threads.
/// Large batches assign with one BLAS product, then scan each list once for all the queries of
/// a block that probe it (rows read once, scored against several queries while in cache).
void ivf_flat_search(const faiss::IndexIVFFlat& index, const KernelTable& kernels, int64_t n,
                     const float* x, int64_t k, int nprobe, const fshim_filter* filter, float* scores,
                     int64_t* labels, int threads, ScratchPool& pool);

/// Whether `index` is an inner-product IVF with 8-bit (non-uniform) scalar-quantised codes and a
/// flat coarse quantizer.
bool ivf_sq8_fast_path_applies(const faiss::Index& index);

/// IVF-SQ8 search; same contract as ivf_flat_search (per-query scans; batches get their coarse
/// scores from one BLAS product).
void ivf_sq8_search(const faiss::IndexIVFScalarQuantizer& index, const KernelTable& kernels, int64_t n,
                    const float* x, int64_t k, int nprobe, const fshim_filter* filter, float* scores,
                    int64_t* labels, int threads, ScratchPool& pool);

/// Exhaustive search of an inner-product IndexFlat, one query per thread at a time.
void flat_scan_search(const faiss::IndexFlat& index, const KernelTable& kernels, int64_t n,
                      const float* x, int64_t k, const fshim_filter* filter, float* scores,
                      int64_t* labels, int threads, ScratchPool& pool);

/// Exhaustive search of an inner-product IndexFlat for a batch with a slot filter: BLAS blocks of
/// scores, the filter applied while keeping each query's top k (ties: as the heap meets them).
/// OpenBLAS parallelises the products; `filter` must not be null.
void flat_blas_filtered_search(const faiss::IndexFlat& index, int64_t n, const float* x, int64_t k,
                               const fshim_filter* filter, float* scores, int64_t* labels);

/// Exhaustive search of an inner-product IndexFlat for an unfiltered batch: BLAS blocks of scores
/// (OpenBLAS's threads), then each query's top k kept on up to `threads` threads with a vectorised
/// threshold scan. Results are Faiss's up to score ties.
void flat_blas_search(const faiss::IndexFlat& index, int64_t n, const float* x, int64_t k, float* scores,
                      int64_t* labels, int threads);

}  // namespace stasis_shim
