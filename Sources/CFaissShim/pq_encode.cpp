// Product-quantizer encoding (see internal/pq_encode.h).
#include "internal/pq_encode.h"

#include "internal/kernels.h"

#include <immintrin.h>

#include <cmath>
#include <cstring>

namespace stasis_shim {
namespace {

constexpr size_t kCodewords = 256;

/// The nearest of the 256 codewords in `book` (t-major: book[t * 256 + j]) to sub-vector x of
/// dsub floats. Faiss's distance is `res += (x[t] - y[t]) * (x[t] - y[t])` over t from 0 with
/// no fused multiply-add (the generic x86-64 build has none), its choice the first strictly
/// smaller distance from +inf, so codeword 0 when none is finite.
uint8_t nearest_portable(const float* x, const float* book, size_t dsub) {
    float best = HUGE_VALF;
    size_t at = 0;
    for (size_t j = 0; j < kCodewords; j++) {
        float sum = 0;
        for (size_t t = 0; t < dsub; t++) {
            const float diff = x[t] - book[t * kCodewords + j];
            const float square = diff * diff;  // separate statement: never contracted into an FMA
            sum += square;
        }
        if (sum < best) best = sum, at = j;
    }
    return uint8_t(at);
}

// Compiled for AVX2 without FMA so that nothing can fuse the multiply into the add.
__attribute__((target("avx2"))) uint8_t nearest_avx2(const float* x, const float* book, size_t dsub) {
    alignas(32) float distances[kCodewords];
    // 64 codewords per pass: eight accumulators plus the broadcast and a temporary fit the 16
    // registers.
    for (size_t base = 0; base < kCodewords; base += 64) {
        __m256 sum[8];
        for (int u = 0; u < 8; u++) sum[u] = _mm256_setzero_ps();
        for (size_t t = 0; t < dsub; t++) {
            const __m256 xt = _mm256_set1_ps(x[t]);
            const float* row = book + t * kCodewords + base;
            for (int u = 0; u < 8; u++) {
                const __m256 diff = _mm256_sub_ps(xt, _mm256_loadu_ps(row + 8 * u));
                sum[u] = _mm256_add_ps(sum[u], _mm256_mul_ps(diff, diff));
            }
        }
        for (int u = 0; u < 8; u++) _mm256_store_ps(distances + base + 8 * u, sum[u]);
    }
    // Arg-min per lane (strictly smaller keeps each lane's first), then the lowest id among
    // the lanes' equal minima: Faiss's first strictly smaller over ids in order.
    __m256 best = _mm256_set1_ps(HUGE_VALF);
    __m256i arg = _mm256_set1_epi32(-1);
    __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i eight = _mm256_set1_epi32(8);
    for (size_t j = 0; j < kCodewords; j += 8) {
        const __m256 d = _mm256_load_ps(distances + j);
        const __m256 win = _mm256_cmp_ps(d, best, _CMP_LT_OQ);
        best = _mm256_blendv_ps(best, d, win);
        arg = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(arg), _mm256_castsi256_ps(lane), win));
        lane = _mm256_add_epi32(lane, eight);
    }
    alignas(32) float values[8];
    alignas(32) int32_t ids[8];
    _mm256_store_ps(values, best);
    _mm256_store_si256(reinterpret_cast<__m256i*>(ids), arg);
    float found = HUGE_VALF;
    int32_t at = -1;
    for (int u = 0; u < 8; u++)
        if (ids[u] >= 0 && (values[u] < found || (values[u] == found && ids[u] < at))) found = values[u], at = ids[u];
    return uint8_t(at < 0 ? 0 : at);
}

}  // namespace

bool pq_encoder_applies(const faiss::ProductQuantizer& pq) {
    return pq.nbits == 8 && pq.ksub == kCodewords && pq.dsub > 0 && pq.dsub < 16 && pq.M > 0 &&
           pq.code_size == pq.M && pq.d == pq.M * pq.dsub && pq.transposed_centroids.empty() &&
           pq.centroids.size() == pq.M * pq.ksub * pq.dsub;
}

PqEncoder::PqEncoder(const faiss::ProductQuantizer& pq)
        : m_(pq.M), dsub_(pq.dsub), simd_(std::strcmp(active_kernels().name, "portable") != 0),
          books_(pq.M * pq.dsub * kCodewords) {
    for (size_t m = 0; m < m_; m++)
        for (size_t j = 0; j < kCodewords; j++)
            for (size_t t = 0; t < dsub_; t++)
                books_[(m * dsub_ + t) * kCodewords + j] = pq.centroids[(m * kCodewords + j) * dsub_ + t];
}

void PqEncoder::encode(const float* row, uint8_t* code) const {
    for (size_t m = 0; m < m_; m++) {
        const float* x = row + m * dsub_;
        const float* book = books_.data() + m * dsub_ * kCodewords;
        code[m] = simd_ ? nearest_avx2(x, book, dsub_) : nearest_portable(x, book, dsub_);
    }
}

}  // namespace stasis_shim
