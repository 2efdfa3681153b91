// AVX2 + FMA inner products. Compiled through target attributes (no -mavx2), so they must only
// run where kernel_variant() found both features.
#include "../internal/kernels.h"

#include <immintrin.h>

#define STASIS_AVX2 __attribute__((target("avx2,fma")))

namespace stasis_shim::detail {
namespace {

STASIS_AVX2 inline float horizontal_sum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

}  // namespace

STASIS_AVX2 float ip_avx2(const float* x, const float* y, size_t d) {
    // Two accumulators hide the FMA latency on one row.
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= d; i += 16) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8), a1);
    }
    if (i + 8 <= d) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), a0);
        i += 8;
    }
    float total = horizontal_sum(_mm256_add_ps(a0, a1));
    for (; i < d; i++) total += x[i] * y[i];
    return total;
}

STASIS_AVX2 void ip4_avx2(const float* x, const float* const* y, size_t d, float* out) {
    // One query load feeds four rows: four independent chains, a quarter of the query traffic.
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    const float *y0 = y[0], *y1 = y[1], *y2 = y[2], *y3 = y[3];
    size_t i = 0;
    for (; i + 8 <= d; i += 8) {
        __m256 q = _mm256_loadu_ps(x + i);
        a0 = _mm256_fmadd_ps(q, _mm256_loadu_ps(y0 + i), a0);
        a1 = _mm256_fmadd_ps(q, _mm256_loadu_ps(y1 + i), a1);
        a2 = _mm256_fmadd_ps(q, _mm256_loadu_ps(y2 + i), a2);
        a3 = _mm256_fmadd_ps(q, _mm256_loadu_ps(y3 + i), a3);
    }
    out[0] = horizontal_sum(a0);
    out[1] = horizontal_sum(a1);
    out[2] = horizontal_sum(a2);
    out[3] = horizontal_sum(a3);
    for (; i < d; i++) {
        out[0] += x[i] * y0[i];
        out[1] += x[i] * y1[i];
        out[2] += x[i] * y2[i];
        out[3] += x[i] * y3[i];
    }
}

STASIS_AVX2 void ip4x4_avx2(const float* const* x, const float* const* y, size_t d, float* out) {
    // Two queries at a time: 8 accumulators + 4 rows + 2 queries fit the 16 YMM registers.
    const float *y0 = y[0], *y1 = y[1], *y2 = y[2], *y3 = y[3];
    for (int pair = 0; pair < 4; pair += 2) {
        const float *p = x[pair], *q = x[pair + 1];
        __m256 p0 = _mm256_setzero_ps(), p1 = p0, p2 = p0, p3 = p0;
        __m256 q0 = p0, q1 = p0, q2 = p0, q3 = p0;
        size_t i = 0;
        for (; i + 8 <= d; i += 8) {
            __m256 r0 = _mm256_loadu_ps(y0 + i), r1 = _mm256_loadu_ps(y1 + i);
            __m256 r2 = _mm256_loadu_ps(y2 + i), r3 = _mm256_loadu_ps(y3 + i);
            __m256 pv = _mm256_loadu_ps(p + i), qv = _mm256_loadu_ps(q + i);
            p0 = _mm256_fmadd_ps(pv, r0, p0);
            p1 = _mm256_fmadd_ps(pv, r1, p1);
            p2 = _mm256_fmadd_ps(pv, r2, p2);
            p3 = _mm256_fmadd_ps(pv, r3, p3);
            q0 = _mm256_fmadd_ps(qv, r0, q0);
            q1 = _mm256_fmadd_ps(qv, r1, q1);
            q2 = _mm256_fmadd_ps(qv, r2, q2);
            q3 = _mm256_fmadd_ps(qv, r3, q3);
        }
        float* po = out + 4 * pair;
        float* qo = out + 4 * (pair + 1);
        po[0] = horizontal_sum(p0), po[1] = horizontal_sum(p1), po[2] = horizontal_sum(p2), po[3] = horizontal_sum(p3);
        qo[0] = horizontal_sum(q0), qo[1] = horizontal_sum(q1), qo[2] = horizontal_sum(q2), qo[3] = horizontal_sum(q3);
        for (; i < d; i++) {
            po[0] += p[i] * y0[i], po[1] += p[i] * y1[i], po[2] += p[i] * y2[i], po[3] += p[i] * y3[i];
            qo[0] += q[i] * y0[i], qo[1] += q[i] * y1[i], qo[2] += q[i] * y2[i], qo[3] += q[i] * y3[i];
        }
    }
}

STASIS_AVX2 float ip_u8_avx2(const float* w, const uint8_t* code, size_t d) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= d; i += 16) {
        __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(code + i));
        __m256 lo = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes));
        __m256 hi = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(bytes, 8)));
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), lo, a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8), hi, a1);
    }
    float total = horizontal_sum(_mm256_add_ps(a0, a1));
    for (; i < d; i++) total += w[i] * float(code[i]);
    return total;
}

}  // namespace stasis_shim::detail
