// The shim's own HNSW construction, writing the same graph structure Faiss 1.7.3 builds
// (faiss::HNSW's public levels / offsets / neighbors / entry_point / max_level) with the same
// level assignment, entry point, greedy descent, beam search with efConstruction and HNSW
// neighbour-selection heuristic. Insertion follows the batch scheme of newer Faiss (its
// deterministic build): prefix-doubling batches of at most 2% of the index, forward links of a
// batch computed in parallel against a frozen snapshot without locks, reverse links merged once
// per node and level per batch (pruning an overflowing list once). The graph does not depend on
// the thread count. What differs from Faiss is speed: SIMD kernels, four neighbours per kernel
// call with prefetch, epoch-tagged visited sets, and std::threads (this target cannot use OpenMP
// pragmas).
#pragma once
#include <faiss/IndexHNSW.h>

#include <cstdint>

namespace stasis_shim {

/// Whether `index` can be built by hnsw_add: inner product over IndexFlat or 8-bit SQ storage.
bool hnsw_build_applies(const faiss::IndexHNSW& index);

/// Appends n rows to the storage and links them into the graph on up to `threads` threads.
/// Like Faiss's add, the rows receive labels ntotal ... ntotal+n-1. With `scales` (n floats,
/// from unit_scale) row i is added as x[i] * scales[i], normalised piece by piece rather than
/// through a normalised copy of the batch; the graph is the same as for the normalised rows.
/// Exclusive: no search or other add may run on `index` meanwhile (StasisCore's write lock
/// guarantees it).
void hnsw_add(faiss::IndexHNSW& index, int64_t n, const float* x, const float* scales, int threads);

}  // namespace stasis_shim
