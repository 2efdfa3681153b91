// Product-quantizer kernels (see internal/pq_kernels.h): portable, AVX2 and AVX-512 variants of
// the query's look-up table and of the table scan, and their dispatch by the shared kernel choice.
//
// Debian's generic Faiss scans a list with one scalar chain of M dependent additions per code
// (M x the add latency) and builds the table with a scalar dot product per centroid. Here the
// portable and AVX2 scans keep eight independent sums fed by scalar loads (faster than AVX2's
// gathers on Zen 3, see avx2_pq), AVX-512 gathers 16 table entries per instruction, the common
// 8-float sub-vectors get their table eight centroids at a time with a transposing
// horizontal-add tree, and batches build four queries' tables per pass (lut_block).
#include "../internal/pq_kernels.h"

#include <immintrin.h>

#define STASIS_AVX2 __attribute__((target("avx2,fma")))
#define STASIS_AVX512 __attribute__((target("avx2,fma,avx512f,avx512bw,avx512vl")))

namespace stasis_shim {
namespace {

// ------------------------------------------------------------------------------------ portable

void lut_portable(const float* q, const float* centroids, size_t M, size_t dsub, float* lut) {
    for (size_t m = 0; m < M; m++) {
        const float* qm = q + m * dsub;
        const float* rows = centroids + m * pq_ksub * dsub;
        for (size_t j = 0; j < pq_ksub; j++) {
            const float* row = rows + j * dsub;
            float s[4] = {0, 0, 0, 0};
            size_t t = 0;
            for (; t + 4 <= dsub; t += 4)
                for (int u = 0; u < 4; u++) s[u] += qm[t + u] * row[t + u];
            float total = (s[0] + s[1]) + (s[2] + s[3]);
            for (; t < dsub; t++) total += qm[t] * row[t];
            lut[m * pq_ksub + j] = total;
        }
    }
}

void lut_block_portable(const float* const* q, size_t count, const float* transposed, size_t M, size_t dsub,
                        float* const* lut) {
    for (size_t i = 0; i < count; i++)
        for (size_t m = 0; m < M; m++) {
            const float* qm = q[i] + m * dsub;
            const float* ct = transposed + m * dsub * pq_ksub;
            float* out = lut[i] + m * pq_ksub;
            for (size_t j = 0; j < pq_ksub; j++) out[j] = qm[0] * ct[j];
            for (size_t t = 1; t < dsub; t++)
                for (size_t j = 0; j < pq_ksub; j++) out[j] += qm[t] * ct[t * pq_ksub + j];
        }
}

inline float code_portable(const float* lut, const uint8_t* c, size_t M) {
    // Eight independent sums of scalar loads (Faiss's generic loop is one chain of M dependent
    // additions); sum u takes the entries m = u (mod 8), in order.
    float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t m = 0;
    for (; m + 8 <= M; m += 8)
        for (size_t u = 0; u < 8; u++) s[u] += lut[(m + u) * pq_ksub + c[m + u]];
    float total = ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
    for (; m < M; m++) total += lut[m * pq_ksub + c[m]];
    return total;
}

void scan_portable(const float* lut, const uint8_t* codes, size_t n, size_t M, float* out) {
    for (size_t j = 0; j < n; j++) out[j] = code_portable(lut, codes + j * M, M);
}

void gathered_portable(const float* lut, const uint8_t* const* codes, size_t n, size_t M, float* out) {
    for (size_t j = 0; j < n; j++) out[j] = code_portable(lut, codes[j], M);
}

// ---------------------------------------------------------------------------------------- AVX2

STASIS_AVX2 void lut_avx2(const float* q, const float* centroids, size_t M, size_t dsub, float* lut) {
    if (dsub != 8) return lut_portable(q, centroids, M, dsub, lut);
    for (size_t m = 0; m < M; m++) {
        const __m256 qm = _mm256_loadu_ps(q + m * 8);
        const float* rows = centroids + m * pq_ksub * 8;
        for (size_t j = 0; j < pq_ksub; j += 8) {
            const float* r = rows + j * 8;
            __m256 p0 = _mm256_mul_ps(qm, _mm256_loadu_ps(r)), p1 = _mm256_mul_ps(qm, _mm256_loadu_ps(r + 8));
            __m256 p2 = _mm256_mul_ps(qm, _mm256_loadu_ps(r + 16)), p3 = _mm256_mul_ps(qm, _mm256_loadu_ps(r + 24));
            __m256 p4 = _mm256_mul_ps(qm, _mm256_loadu_ps(r + 32)), p5 = _mm256_mul_ps(qm, _mm256_loadu_ps(r + 40));
            __m256 p6 = _mm256_mul_ps(qm, _mm256_loadu_ps(r + 48)), p7 = _mm256_mul_ps(qm, _mm256_loadu_ps(r + 56));
            // Per 128-bit half: h0123 = [sum0..3 of rows 0-3 | sum4..7 of rows 0-3], same for 4-7.
            __m256 h0123 = _mm256_hadd_ps(_mm256_hadd_ps(p0, p1), _mm256_hadd_ps(p2, p3));
            __m256 h4567 = _mm256_hadd_ps(_mm256_hadd_ps(p4, p5), _mm256_hadd_ps(p6, p7));
            __m256 sums = _mm256_add_ps(_mm256_permute2f128_ps(h0123, h4567, 0x20),
                                        _mm256_permute2f128_ps(h0123, h4567, 0x31));
            _mm256_storeu_ps(lut + m * pq_ksub + j, sums);
        }
    }
}

STASIS_AVX2 void lut_block_avx2(const float* const* q, size_t count, const float* transposed, size_t M,
                                size_t dsub, float* const* lut) {
    // Missing queries repeat the last one (same values written twice to its table).
    const float* qs[pq_lut_block];
    float* out[pq_lut_block];
    for (size_t i = 0; i < pq_lut_block; i++) {
        qs[i] = q[i < count ? i : count - 1];
        out[i] = lut[i < count ? i : count - 1];
    }
    for (size_t m = 0; m < M; m++) {
        const float* ct = transposed + m * dsub * pq_ksub;
        const size_t at = m * dsub;
        for (size_t j = 0; j < pq_ksub; j += 16) {
            __m256 a0[pq_lut_block], a1[pq_lut_block];
            const __m256 c0 = _mm256_loadu_ps(ct + j), c1 = _mm256_loadu_ps(ct + j + 8);
            for (size_t i = 0; i < pq_lut_block; i++) {
                const __m256 b = _mm256_broadcast_ss(qs[i] + at);
                a0[i] = _mm256_mul_ps(b, c0);
                a1[i] = _mm256_mul_ps(b, c1);
            }
            for (size_t t = 1; t < dsub; t++) {
                const __m256 d0 = _mm256_loadu_ps(ct + t * pq_ksub + j), d1 = _mm256_loadu_ps(ct + t * pq_ksub + j + 8);
                for (size_t i = 0; i < pq_lut_block; i++) {
                    const __m256 b = _mm256_broadcast_ss(qs[i] + at + t);
                    a0[i] = _mm256_fmadd_ps(b, d0, a0[i]);
                    a1[i] = _mm256_fmadd_ps(b, d1, a1[i]);
                }
            }
            for (size_t i = 0; i < pq_lut_block; i++) {
                _mm256_storeu_ps(out[i] + m * pq_ksub + j, a0[i]);
                _mm256_storeu_ps(out[i] + m * pq_ksub + j + 8, a1[i]);
            }
        }
    }
}

// ------------------------------------------------------------------------------------- AVX-512

STASIS_AVX512 inline float code_avx512(const float* lut, const uint8_t* c, size_t M) {
    const __m512i lanes = _mm512_setr_epi32(0, 256, 512, 768, 1024, 1280, 1536, 1792, 2048, 2304, 2560, 2816,
                                            3072, 3328, 3584, 3840);
    const size_t full = M / 16 * 16;
    __m512 a = _mm512_setzero_ps();
    for (size_t m = 0; m < full; m += 16) {
        __m512i idx = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(c + m)));
        a = _mm512_add_ps(a, _mm512_i32gather_ps(_mm512_add_epi32(idx, lanes), lut + m * pq_ksub, 4));
    }
    if (full < M) {
        // Masked byte load: never reads past the code (the last code of a list ends its buffer).
        const __mmask16 tail = __mmask16((1u << (M - full)) - 1);
        __m512i idx = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(tail, c + full));
        a = _mm512_add_ps(a, _mm512_mask_i32gather_ps(_mm512_setzero_ps(), tail, _mm512_add_epi32(idx, lanes),
                                                      lut + full * pq_ksub, 4));
    }
    return _mm512_reduce_add_ps(a);
}

STASIS_AVX512 void scan_avx512(const float* lut, const uint8_t* codes, size_t n, size_t M, float* out) {
    for (size_t j = 0; j < n; j++) out[j] = code_avx512(lut, codes + j * M, M);
}

STASIS_AVX512 void gathered_avx512(const float* lut, const uint8_t* const* codes, size_t n, size_t M, float* out) {
    for (size_t j = 0; j < n; j++) out[j] = code_avx512(lut, codes[j], M);
}

const PqKernelTable portable_pq{"portable", lut_portable, lut_block_portable, scan_portable, gathered_portable};
// AVX2's scan is the scalar one: on AMD Zen 3 (the benchmark machine) an 8-lane gather costs more
// than its eight loads (2000 x 800 codes of M = 48 from a hot table, clang -O2: 8-lane gathers,
// four codes interleaved, 23.8 ns a code; eight scalar sums 15.2 ns). In the IVF1024,PQ48
// search (nprobe 8, 1 thread) the switch from one-code gathers took 15-16k QPS to 21-22k.
const PqKernelTable avx2_pq{"avx2", lut_avx2, lut_block_avx2, scan_portable, gathered_portable};
// The table build is memory-light arithmetic on 8-float rows: the AVX2 version serves AVX-512 too.
const PqKernelTable avx512_pq{"avx512", lut_avx2, lut_block_avx2, scan_avx512, gathered_avx512};

}  // namespace

void pq_transpose_centroids(const float* centroids, size_t M, size_t dsub, float* transposed) {
    for (size_t m = 0; m < M; m++)
        for (size_t j = 0; j < pq_ksub; j++)
            for (size_t t = 0; t < dsub; t++)
                transposed[(m * dsub + t) * pq_ksub + j] = centroids[(m * pq_ksub + j) * dsub + t];
}

const PqKernelTable* pq_kernel_variant(KernelVariant variant) {
    // Available exactly when the shared table of the same variant is.
    if (!kernel_variant(variant)) return nullptr;
    switch (variant) {
        case KernelVariant::portable: return &portable_pq;
        case KernelVariant::avx2: return &avx2_pq;
        case KernelVariant::avx512: return &avx512_pq;
    }
    return nullptr;
}

const PqKernelTable& pq_kernels_for(const KernelTable& kernels) {
    if (&kernels == kernel_variant(KernelVariant::avx512)) return avx512_pq;
    if (&kernels == kernel_variant(KernelVariant::avx2)) return avx2_pq;
    return portable_pq;
}

}  // namespace stasis_shim
