// The shim's own HNSW construction, writing the same graph structure Faiss 1.7.3 builds
// (faiss::HNSW's public levels / offsets / neighbors / entry_point / max_level) with the same
// algorithm: level buckets from the top, a seeded shuffle per level, greedy descent, beam search
// with efConstruction, the HNSW neighbour-selection heuristic and bidirectional links under
// per-node locks. What differs is speed: SIMD kernels, four neighbours per kernel call with
// prefetch (1.7.3 computes one distance at a time, each a cache miss), epoch-tagged visited sets,
// and std::threads (this target cannot use OpenMP pragmas).
#pragma once
#include <faiss/IndexHNSW.h>

#include <cstdint>

namespace stasis_shim {

/// Whether `index` can be built by hnsw_add: inner product over IndexFlat storage.
bool hnsw_build_applies(const faiss::IndexHNSW& index);

/// Appends n rows to the storage and links them into the graph on up to `threads` threads.
/// Like Faiss's add, the rows receive labels ntotal ... ntotal+n-1. Exclusive: no search or
/// other add may run on `index` meanwhile (StasisCore's write lock guarantees it).
void hnsw_add(faiss::IndexHNSW& index, int64_t n, const float* x, int threads);

}  // namespace stasis_shim
