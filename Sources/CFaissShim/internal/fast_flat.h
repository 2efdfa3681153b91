// Flat storage whose distance computer uses the shim's kernels, so Faiss's HNSW construction
// (which computes every distance through the storage's DistanceComputer) runs at SIMD speed.
#pragma once
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>

namespace stasis_shim {

/// An inner-product IndexFlat; identical data layout and serialised form (faiss::write_index sees
/// an IndexFlat), only the distance computer differs.
struct FastFlatIP final : faiss::IndexFlat {
    explicit FastFlatIP(int d) : faiss::IndexFlat(d, faiss::METRIC_INNER_PRODUCT) {}
    faiss::FlatCodesDistanceComputer* get_FlatCodesDistanceComputer() const override;
};

/// Replaces an HNSW index's plain inner-product IndexFlat storage by a FastFlatIP holding the same
/// vectors (moved, not copied). Leaves other storages (SQ, PQ) alone. Call when no other thread
/// uses the index.
void adopt_fast_storage(faiss::IndexHNSW& hnsw);

}  // namespace stasis_shim
