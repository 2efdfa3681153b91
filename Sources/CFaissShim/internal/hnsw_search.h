// The shim's own HNSW search over the graph Faiss built (faiss::HNSW public members) and the
// vectors of its IndexFlat storage (or the codes of its 8-bit SQ storage). Faster than Debian's 1.7.3 loop: SIMD kernels, four
// neighbours per kernel call with prefetch, epoch-tagged visited sets, hnswlib-style termination
// (stop once the best unexpanded candidate is worse than the ef-th result), efSearch per call.
#pragma once
#include "faiss_shim.h"
#include "kernels.h"
#include "scratch.h"

#include <faiss/IndexHNSW.h>

#include <cstdint>

namespace stasis_shim {

/// Whether `index` is an HNSW index the loop can read: inner product over IndexFlat storage or
/// 8-bit scalar-quantised storage (HNSW..,SQ8: codes scored with the u8 x float kernel, the
/// decoding folded into per-query weights as in IVF-SQ8).
bool hnsw_fast_path_applies(const faiss::Index& index);

/// Searches n queries, k results each, with beam width `ef` (raised to k when smaller).
/// Filtered-out nodes are still traversed (they connect the graph) but never returned.
/// Queries run on up to `threads` threads, scratch leased from `pool`.
void hnsw_search(const faiss::IndexHNSW& index, const KernelTable& kernels, int64_t n, const float* x,
                 int64_t k, int ef, const fshim_filter* filter, float* scores, int64_t* labels,
                 int threads, ScratchPool& pool);

}  // namespace stasis_shim
