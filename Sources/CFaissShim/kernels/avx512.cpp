// AVX-512 (F, plus BW/VL for byte loads) inner products. Compiled through target attributes (no -m flags), so they must only
// run where kernel_variant() found the feature and OS support for the ZMM state. Tails use masked
// loads, so any dimension takes the vector path to the end.
#include "../internal/kernels.h"

#include <immintrin.h>

#define STASIS_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl")))

namespace stasis_shim::detail {
namespace {

/// Mask selecting the first `count` (< 16) lanes.
STASIS_AVX512 inline __mmask16 first_lanes(size_t count) { return __mmask16((1u << count) - 1u); }

}  // namespace

STASIS_AVX512 float ip_avx512(const float* x, const float* y, size_t d) {
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= d; i += 32) {
        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), a0);
        a1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(y + i + 16), a1);
    }
    if (i + 16 <= d) {
        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), a0);
        i += 16;
    }
    if (i < d) {
        __mmask16 m = first_lanes(d - i);
        a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i), a1);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
}

STASIS_AVX512 void ip4_avx512(const float* x, const float* const* y, size_t d, float* out) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    const float *y0 = y[0], *y1 = y[1], *y2 = y[2], *y3 = y[3];
    size_t i = 0;
    for (; i + 16 <= d; i += 16) {
        __m512 q = _mm512_loadu_ps(x + i);
        a0 = _mm512_fmadd_ps(q, _mm512_loadu_ps(y0 + i), a0);
        a1 = _mm512_fmadd_ps(q, _mm512_loadu_ps(y1 + i), a1);
        a2 = _mm512_fmadd_ps(q, _mm512_loadu_ps(y2 + i), a2);
        a3 = _mm512_fmadd_ps(q, _mm512_loadu_ps(y3 + i), a3);
    }
    if (i < d) {
        __mmask16 m = first_lanes(d - i);
        __m512 q = _mm512_maskz_loadu_ps(m, x + i);
        a0 = _mm512_fmadd_ps(q, _mm512_maskz_loadu_ps(m, y0 + i), a0);
        a1 = _mm512_fmadd_ps(q, _mm512_maskz_loadu_ps(m, y1 + i), a1);
        a2 = _mm512_fmadd_ps(q, _mm512_maskz_loadu_ps(m, y2 + i), a2);
        a3 = _mm512_fmadd_ps(q, _mm512_maskz_loadu_ps(m, y3 + i), a3);
    }
    out[0] = _mm512_reduce_add_ps(a0);
    out[1] = _mm512_reduce_add_ps(a1);
    out[2] = _mm512_reduce_add_ps(a2);
    out[3] = _mm512_reduce_add_ps(a3);
}

STASIS_AVX512 void ip4x4_avx512(const float* const* x, const float* const* y, size_t d, float* out) {
    // 16 accumulators + 4 rows + 1 query stay within the 32 ZMM registers.
    const float *y0 = y[0], *y1 = y[1], *y2 = y[2], *y3 = y[3];
    __m512 a[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) a[i][j] = _mm512_setzero_ps();
    size_t t = 0;
    for (; t < d; t += 16) {
        __mmask16 m = d - t >= 16 ? __mmask16(0xffff) : first_lanes(d - t);
        __m512 r0 = _mm512_maskz_loadu_ps(m, y0 + t), r1 = _mm512_maskz_loadu_ps(m, y1 + t);
        __m512 r2 = _mm512_maskz_loadu_ps(m, y2 + t), r3 = _mm512_maskz_loadu_ps(m, y3 + t);
        for (int i = 0; i < 4; i++) {
            __m512 q = _mm512_maskz_loadu_ps(m, x[i] + t);
            a[i][0] = _mm512_fmadd_ps(q, r0, a[i][0]);
            a[i][1] = _mm512_fmadd_ps(q, r1, a[i][1]);
            a[i][2] = _mm512_fmadd_ps(q, r2, a[i][2]);
            a[i][3] = _mm512_fmadd_ps(q, r3, a[i][3]);
        }
    }
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) out[4 * i + j] = _mm512_reduce_add_ps(a[i][j]);
}

STASIS_AVX512 float ip_u8_avx512(const float* w, const uint8_t* code, size_t d) {
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= d; i += 32) {
        __m128i b0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(code + i));
        __m128i b1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(code + i + 16));
        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i), _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(b0)), a0);
        a1 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i + 16), _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(b1)), a1);
    }
    for (; i < d; i += 16) {
        __mmask16 m = d - i >= 16 ? __mmask16(0xffff) : first_lanes(d - i);
        __m128i b = _mm_maskz_loadu_epi8(m, code + i);
        a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, w + i), _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(b)), a0);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
}

}  // namespace stasis_shim::detail
