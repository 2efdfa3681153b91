// IVF-PQ search on the shim's PQ kernels (ivf_pq_search.cpp).
#pragma once
#include "faiss_shim.h"
#include "kernels.h"
#include "scratch.h"

#include <faiss/IndexIVFPQ.h>

#include <cstdint>

namespace stasis_shim {

/// Whether `index` is exactly an inner-product IndexIVFPQ (not a refining subclass) with 8-bit
/// codes, a flat inner-product coarse quantizer and no polysemous filtering (polysemous_ht 0).
bool ivf_pq_fast_path_applies(const faiss::Index& index);

/// IVF-PQ search; same contract as ivf_flat_search. Per query: one inner-product table (M x 256
/// floats; for the inner product it does not depend on the list, the residual's centroid adds
/// the coarse score), then each probed list's codes are scored by table look-ups. Batches get
/// their coarse scores from one BLAS product. Scores are Faiss's up to summation order.
void ivf_pq_search(const faiss::IndexIVFPQ& index, const KernelTable& kernels, int64_t n, const float* x,
                   int64_t k, int nprobe, const fshim_filter* filter, float* scores, int64_t* labels,
                   int threads, ScratchPool& pool);

}  // namespace stasis_shim
