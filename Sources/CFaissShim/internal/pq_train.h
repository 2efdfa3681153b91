// Nearest-centroid assignment for Faiss's PQ codebook k-means (pq_train.cpp).
#pragma once
#include <faiss/IndexFlat.h>

namespace stasis_shim {

/// An IndexFlatL2 whose k = 1 search (the only search k-means makes) is one BLAS product per
/// block of rows followed by a vectorised arg-min of |c|^2 - 2<x, c>, instead of Debian's generic
/// scalar result handler. Install it as ProductQuantizer::assign_index for the duration of a
/// train (Faiss resets and refills it with each iteration's centroids). Ties go to the lowest
/// centroid id, as in Faiss.
class PqAssigner final : public faiss::IndexFlatL2 {
public:
    explicit PqAssigner(faiss::Index::idx_t d) : faiss::IndexFlatL2(d) {}
    void search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                const faiss::SearchParameters* params = nullptr) const override;
};

}  // namespace stasis_shim
