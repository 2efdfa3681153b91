// Nearest-centroid assignment for Faiss's k-means and for IVF adds (kmeans_assign.cpp).
#pragma once
#include <faiss/IndexFlat.h>

#include <cstddef>
#include <cstdint>

namespace stasis_shim {

/// The best of `nc` centroids (rows of `centroids`, d floats each) for each of n rows of x:
/// the largest <x, c> for METRIC_INNER_PRODUCT, the smallest |x - c|^2 for METRIC_L2; ties go to
/// the lowest centroid id, as in Faiss's single-best result handler. labels[i] gets the id;
/// distances[i] (when not null) the score as Faiss reports it (the inner product, or the squared
/// distance). One BLAS product per block of rows, then a vectorised arg-best over the block,
/// instead of Debian's generic scalar result handler.
void nearest_centroids(faiss::MetricType metric, size_t n, const float* x, const float* centroids, size_t nc,
                       size_t d, float* distances, int64_t* labels);

/// A flat index whose k = 1 search (the only search k-means makes) is nearest_centroids. Install
/// it as the assignment index of a Faiss k-means (ProductQuantizer::assign_index,
/// IndexIVF::clustering_index) for the duration of a train: Faiss resets and refills it with each
/// iteration's centroids. Other searches (k > 1, parameters) go to Faiss's own code.
template <class Flat>
class FastAssigner final : public Flat {
public:
    using idx_t = faiss::Index::idx_t;
    explicit FastAssigner(idx_t d) : Flat(d) {}
    void search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                const faiss::SearchParameters* params = nullptr) const override {
        if (k != 1 || params || this->ntotal == 0 || n <= 0) return Flat::search(n, x, k, distances, labels, params);
        nearest_centroids(this->metric_type, size_t(n), x, this->get_xb(), size_t(this->ntotal), size_t(this->d),
                          distances, labels);
    }
};

/// PQ codebook k-means (L2 over sub-vectors), and the coarse k-means of L2 IVF indexes.
using L2Assigner = FastAssigner<faiss::IndexFlatL2>;
/// Coarse k-means of inner-product IVF indexes (the metric Stasis builds).
using IpAssigner = FastAssigner<faiss::IndexFlatIP>;

}  // namespace stasis_shim
