// Nearest-centroid assignment for Faiss's k-means and for IVF adds (kmeans_assign.cpp).
#pragma once
#include <faiss/IndexFlat.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace stasis_shim {

/// The best of `nc` centroids (rows of `centroids`, d floats each) for each of n rows of x:
/// the largest <x, c> for METRIC_INNER_PRODUCT, the smallest |x - c|^2 for METRIC_L2; ties go to
/// the lowest centroid id, as in Faiss's single-best result handler. labels[i] gets the id;
/// distances[i] (when not null) the score as Faiss reports it (the inner product, or the squared
/// distance). One BLAS product per block of rows, then a vectorised arg-best over the block,
/// instead of Debian's generic scalar result handler.
void nearest_centroids(faiss::MetricType metric, size_t n, const float* x, const float* centroids, size_t nc,
                       size_t d, float* distances, int64_t* labels);

/// Searches answered from RepeatCache on the calling thread (test hook, through
/// fshim_kmeans_repeats_for_tests).
uint64_t kmeans_repeated_searches();

/// The last k = 1 search of a k-means, kept so that an identical next one is answered without
/// the product. Faiss 1.7.3's k-means runs every iteration even after the assignment stops
/// changing (newer Faiss stops there: the faiss-cpu 1.15 wheel's IVF1024 train over 100k rows
/// converges at iteration 8 of 10); the centroids an unchanged assignment gives are the same
/// centroids, so each later iteration repeats the previous search exactly, at one full BLAS pass
/// over the rows each (0.47 s for 100k x 384 against 1024 centroids at 2 threads).
///
/// A repeat is the same row buffer and count, bit-identical centroids and an unchanged
/// fingerprint of the rows (CRC-32C of every 64th row and the last): the cache is only for an
/// assigner whose searches all read one fixed buffer for its lifetime (the coarse k-means of one
/// IVF train, see ivf_build.cpp); the fingerprint guards that use, it does not make others safe.
class RepeatCache {
public:
    using idx_t = faiss::Index::idx_t;
    /// Whether (n, x, centroids) repeats the last search; if so, copies its results out.
    bool answer(idx_t n, const float* x, const float* centroids, size_t nc, size_t d, float* distances,
                idx_t* labels);
    /// Keeps this search's key and results for the next call.
    void remember(idx_t n, const float* x, const float* centroids, size_t nc, size_t d, const float* distances,
                  const idx_t* labels);

private:
    static uint32_t fingerprint(idx_t n, const float* x, size_t d);
    const float* rows_ = nullptr;
    idx_t n_ = 0;
    uint32_t rows_crc_ = 0;
    std::vector<float> centroids_;
    std::vector<float> distances_;
    std::vector<idx_t> labels_;
};

/// A flat index whose k = 1 search (the only search k-means makes) is nearest_centroids. Install
/// it as the assignment index of a Faiss k-means (ProductQuantizer::assign_index,
/// IndexIVF::clustering_index) for the duration of a train: Faiss resets and refills it with each
/// iteration's centroids. Other searches (k > 1, parameters) go to Faiss's own code. With
/// `reuse_repeats`, a search that repeats the previous one is answered from RepeatCache (only
/// where every search reads one fixed row buffer: see RepeatCache).
template <class Flat>
class FastAssigner final : public Flat {
public:
    using idx_t = faiss::Index::idx_t;
    explicit FastAssigner(idx_t d, bool reuse_repeats = false) : Flat(d), reuse_repeats_(reuse_repeats) {}
    void search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                const faiss::SearchParameters* params = nullptr) const override {
        if (k != 1 || params || this->ntotal == 0 || n <= 0) return Flat::search(n, x, k, distances, labels, params);
        const size_t nc = size_t(this->ntotal), d = size_t(this->d);
        if (reuse_repeats_ && repeats_.answer(n, x, this->get_xb(), nc, d, distances, labels)) return;
        nearest_centroids(this->metric_type, size_t(n), x, this->get_xb(), nc, d, distances, labels);
        if (reuse_repeats_) repeats_.remember(n, x, this->get_xb(), nc, d, distances, labels);
    }

private:
    const bool reuse_repeats_;
    mutable RepeatCache repeats_;  // search is const in Faiss's interface
};

/// PQ codebook k-means (L2 over sub-vectors), and the coarse k-means of L2 IVF indexes.
using L2Assigner = FastAssigner<faiss::IndexFlatL2>;
/// Coarse k-means of inner-product IVF indexes (the metric Stasis builds).
using IpAssigner = FastAssigner<faiss::IndexFlatIP>;

}  // namespace stasis_shim
