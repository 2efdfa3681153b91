// Faster k-means assignment for PQ codebook training (see internal/pq_train.h).
//
// With polysemous training skipped, IVF-PQ training is 48 (M) k-means runs of 256 centroids over
// 8-float sub-vectors, and perf put about 70% of it in Debian's generic assignment (knn_L2sqr and
// its scalar single-best handler) against 10% in the BLAS product itself.
#include "internal/pq_train.h"

#include <cblas.h>
#include <immintrin.h>

#include <algorithm>
#include <cpuid.h>
#include <limits>
#include <vector>

namespace stasis_shim {
namespace {

/// Lowest-index minimum of norms[j] - 2 ip[j] over j < n; writes the value to *best.
int64_t argmin_portable(const float* norms, const float* ip, size_t n, float* best) {
    float value = std::numeric_limits<float>::infinity();
    int64_t arg = -1;
    for (size_t j = 0; j < n; j++) {
        float v = norms[j] - 2.0f * ip[j];
        if (v < value) value = v, arg = int64_t(j);
    }
    *best = value;
    return arg;
}

__attribute__((target("avx2,fma,avx512f"))) int64_t argmin_avx512(const float* norms, const float* ip, size_t n,
                                                                  float* best) {
    __m512 value = _mm512_set1_ps(std::numeric_limits<float>::infinity());
    __m512i arg = _mm512_set1_epi32(-1);
    __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i step = _mm512_set1_epi32(16);
    const __m512 two = _mm512_set1_ps(2.0f);
    size_t j = 0;
    for (; j + 16 <= n; j += 16) {
        __m512 v = _mm512_fnmadd_ps(two, _mm512_loadu_ps(ip + j), _mm512_loadu_ps(norms + j));
        // Strictly smaller only: within a lane, the earlier (lower) index wins a tie.
        __mmask16 better = _mm512_cmp_ps_mask(v, value, _CMP_LT_OQ);
        value = _mm512_mask_mov_ps(value, better, v);
        arg = _mm512_mask_mov_epi32(arg, better, lane);
        lane = _mm512_add_epi32(lane, step);
    }
    alignas(64) float values[16];
    alignas(64) int32_t args[16];
    _mm512_store_ps(values, value);
    _mm512_store_si512(args, arg);
    float found = std::numeric_limits<float>::infinity();
    int64_t at = -1;
    for (int t = 0; t < 16; t++)
        if (args[t] >= 0 && (values[t] < found || (values[t] == found && args[t] < at))) found = values[t], at = args[t];
    for (; j < n; j++) {
        float v = norms[j] - 2.0f * ip[j];
        if (v < found) found = v, at = int64_t(j);
    }
    *best = found;
    return at;
}

bool has_avx512f() {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return false;  // OSXSAVE
    uint32_t lo = 0, hi = 0;
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0xe6) != 0xe6) return false;  // ZMM state saved by the OS
    return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 16));
}

}  // namespace

void PqAssigner::search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                        const faiss::SearchParameters* params) const {
    const size_t nc = size_t(ntotal), dim = size_t(d);
    if (k != 1 || params || nc == 0 || n <= 0) return faiss::IndexFlatL2::search(n, x, k, distances, labels, params);
    static const bool wide = has_avx512f();
    const float* c = get_xb();
    std::vector<float> norms(nc);
    for (size_t j = 0; j < nc; j++) {
        float s = 0;
        for (size_t t = 0; t < dim; t++) s += c[j * dim + t] * c[j * dim + t];
        norms[j] = s;
    }
    const size_t block = 4096;
    std::vector<float> ip(std::min(size_t(n), block) * nc);
    for (size_t start = 0; start < size_t(n); start += block) {
        size_t rows = std::min(block, size_t(n) - start);
        const float* xb = x + start * dim;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(rows), int(nc), int(dim), 1.0f, xb, int(dim), c,
                    int(dim), 0.0f, ip.data(), int(nc));
        for (size_t i = 0; i < rows; i++) {
            float best = 0;
            int64_t arg = wide ? argmin_avx512(norms.data(), ip.data() + i * nc, nc, &best)
                               : argmin_portable(norms.data(), ip.data() + i * nc, nc, &best);
            float xn = 0;
            for (size_t t = 0; t < dim; t++) xn += xb[i * dim + t] * xb[i * dim + t];
            distances[start + i] = xn + best;
            labels[start + i] = arg;
        }
    }
}

}  // namespace stasis_shim
