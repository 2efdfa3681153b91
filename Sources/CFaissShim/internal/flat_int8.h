// Exact inner-product batches over a Flat gallery through an 8-bit copy: every row is scored
// with integer products (twice the multiply rate of float FMAs on AVX2), a proven error bound
// keeps every row that could still be among the k best, and only those are scored again in
// float. The answer is the float answer; the 8-bit copy only decides which rows are worth it.
#pragma once
#include "faiss_shim.h"
#include "kernels.h"

#include <faiss/IndexFlat.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace stasis_shim {

/// An 8-bit copy of a Flat gallery's rows, in the kernel's tile layout, grown as the gallery
/// grows (a Flat index only ever appends; compaction builds a new index).
class Int8Gallery {
public:
    /// Rows per tile: the kernel scores four queries against one tile.
    static constexpr size_t tile_rows = 16;

    /// Quantises rows [rows(), ntotal) of `data` (ntotal x d floats) on up to `threads` threads
    /// and appends them. Not thread-safe; Int8Cache serialises it.
    void extend(const float* data, size_t ntotal, size_t d, int threads);

    size_t rows() const { return count_; }
    size_t dim() const { return dim_; }
    /// Bytes per row in the tiles: d rounded up to a multiple of 4, zero-padded.
    size_t padded_dim() const { return padded_; }
    /// Tile t: padded_dim() / 4 groups of 16 rows x 4 bytes.
    const int8_t* tile(size_t t) const { return codes_.data() + t * padded_ * tile_rows; }
    /// Row r is scale(r) * its codes plus an error vector.
    const float* scales() const { return scales_.data(); }
    /// Sum of row r's codes, for the query's +64 offset (see score_tile).
    const int32_t* code_sums() const { return sums_.data(); }
    /// Per row, rounded up: the L2 norm of its quantisation error e and of its dequantised copy.
    const float* error_norms() const { return error_norms_.data(); }
    const float* dequantised_norms() const { return dequantised_norms_.data(); }
    /// Largest L2 norm of a row's quantisation error, of a row's dequantised copy and of a row.
    double max_error_norm() const { return max_error_norm_; }
    double max_dequantised_norm() const { return max_dequantised_norm_; }
    double max_row_norm() const { return max_row_norm_; }

private:
    size_t count_ = 0, dim_ = 0, padded_ = 0;
    std::vector<int8_t> codes_;
    std::vector<float> scales_;
    std::vector<int32_t> sums_;
    std::vector<float> error_norms_, dequantised_norms_;
    double max_error_norm_ = 0, max_dequantised_norm_ = 0, max_row_norm_ = 0;
};

/// The copy an index keeps for its searches, built by the first search that wants it and
/// extended after adds. Thread-safe: concurrent searches share one copy.
class Int8Cache {
public:
    /// The copy covering all of `index`'s rows. A search keeps its copy alive through the
    /// pointer even if release() runs meanwhile. Extending happens in place: the library's index
    /// lock keeps adds (the only thing that grows a Flat gallery) away from searches, so no
    /// search is reading when the next one extends.
    std::shared_ptr<const Int8Gallery> current(const faiss::IndexFlat& index, int threads);
    /// Drops the copy (its memory goes when the last search using it ends).
    void release();

private:
    std::mutex mutex_;
    std::shared_ptr<Int8Gallery> gallery_;
};

/// Whether searches may use (and build) 8-bit copies: process-wide, on unless the environment
/// had STASIS_FLAT_PREFILTER=0 or set_flat_prefilter(false) was called. Thread-safe.
bool flat_prefilter_enabled();
void set_flat_prefilter(bool enabled);

/// Smallest gallery the 8-bit path serves (below it BLAS or the float scan is about as fast).
constexpr size_t min_rows = 4096;

/// The bounds assume rows and queries of moderate magnitude (the library passes unit vectors):
/// sums of squares are taken in float, so rows below ~1e-19 or above ~1e19 in norm would make
/// them underflow or overflow.
/// Whether the 8-bit path serves searches of `index` with this k: inner product, kernels with
/// AVX2, a gallery of min_rows or more, and k at most a sixteenth of it. Any batch size: a
/// single query reads a quarter of the float rows' bytes.
bool flat_int8_applies(const faiss::IndexFlat& index, const KernelTable& kernels, int64_t k);

/// Top k of n queries by inner product among the rows `filter` admits (null: all), exactly as a
/// float scan would rank them (scores from kernels.ip4; equal scores keep the lower row first).
/// Runs on up to `threads` threads; `gallery` must cover all of `index`'s rows.
void flat_int8_search(const faiss::IndexFlat& index, const Int8Gallery& gallery, const KernelTable& kernels,
                      int64_t n, const float* x, int64_t k, const fshim_filter* filter, float* scores,
                      int64_t* labels, int threads);

}  // namespace stasis_shim
