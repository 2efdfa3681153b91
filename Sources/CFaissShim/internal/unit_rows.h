// L2 normalisation of the caller's rows inside the shim, with StasisCore's UnitRows arithmetic
// (a BLAS dot for the squared norm, then a multiply by 1 / sqrt of it, which is what cblas_sscal
// computes), so rows normalised here are bit-identical to rows normalised in Swift and the fused
// adds can be tested against the copy path for exact equality.
#pragma once
#include <cblas.h>

#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace stasis_shim {

/// 1 / |row|, or 0 when the squared norm is not finite and positive (a NaN or Inf component, a
/// zero row, overflow): such a row cannot be stored.
inline float unit_scale(const float* row, size_t d) {
    const float squares = cblas_sdot(int(d), row, 1, row, 1);
    if (!(std::isfinite(squares) && squares > 0)) return 0;
    return 1.0f / std::sqrt(squares);
}

/// dst = src * scale, d floats (dst may be src).
inline void scale_row(const float* src, float scale, float* dst, size_t d) {
    for (size_t j = 0; j < d; j++) dst[j] = src[j] * scale;
}

/// Lowers `target` to `value` if it is smaller: the first refused row across threads.
inline void lower_to(std::atomic<int64_t>& target, int64_t value) {
    int64_t current = target.load(std::memory_order_relaxed);
    while (value < current && !target.compare_exchange_weak(current, value, std::memory_order_relaxed)) {
    }
}

/// OpenBLAS's dot runs threaded above 10,000 elements: rows that long are checked on one thread
/// so its pool and ours do not oversubscribe the cores.
inline int unit_row_threads(size_t d, int threads) { return d > 8192 ? 1 : threads; }

}  // namespace stasis_shim

namespace stasis_shim {

/// Rows per piece when an add normalises the caller's rows into a scratch buffer before handing
/// them to Faiss: about 8 MiB of floats, so a large add holds one piece, not a copy of the batch.
inline int64_t unit_piece_rows(size_t d) {
    const int64_t rows = int64_t((size_t(8) << 20) / (d * sizeof(float)));
    return rows > 0 ? rows : 1;
}

}  // namespace stasis_shim
