// Nearest-centroid assignment (see internal/kmeans_assign.h).
//
// Every k-means iteration Faiss runs is one k = 1 search of all training rows against the
// centroids. Debian's Faiss 1.7.3 does it as a BLAS product followed by its generic scalar
// single-best handler: for PQ codebooks (8-float sub-vectors, a cheap product) perf put about 70%
// of the training in that handler. Here the product is the same and the arg-best runs 8 or 16
// lanes at a time on a block of scores small enough to still be in cache. For IVF1024 over 384
// floats the product dominates either way (87% of the train in sgemm, 1% in the arg-best).
#include "internal/kmeans_assign.h"

#include "internal/kernels.h"
#include "faiss_shim.h"

#include <cblas.h>
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

namespace stasis_shim {
namespace {

/// The score a centroid is ranked by: the inner product (higher is better), or |c|^2 - 2<x, c>
/// (lower is better; |x|^2 is the same for every centroid and is added once at the end).
template <bool IP>
inline float score(const float* norms, const float* ip, size_t j) {
    return IP ? ip[j] : norms[j] - 2.0f * ip[j];
}

template <bool IP>
inline bool better(float a, float b) {
    return IP ? a > b : a < b;
}

constexpr float worst(bool ip) {
    return ip ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
}

/// Folds lane results (value, id; id < 0 = empty) and the scalar tail [j, n) into the best, lowest
/// id on ties. Strict comparisons within a lane keep its lowest id, so this is Faiss's choice.
template <bool IP>
int64_t finish(const float* values, const int32_t* ids, int lanes, const float* norms, const float* ip, size_t j,
               size_t n, float* best) {
    float found = worst(IP);
    int64_t at = -1;
    for (int t = 0; t < lanes; t++)
        if (ids[t] >= 0 && (better<IP>(values[t], found) || (values[t] == found && ids[t] < at)))
            found = values[t], at = ids[t];
    for (; j < n; j++) {
        float v = score<IP>(norms, ip, j);
        if (better<IP>(v, found)) found = v, at = int64_t(j);
    }
    *best = found;
    return at;
}

template <bool IP>
int64_t best_portable(const float* norms, const float* ip, size_t n, float* best) {
    return finish<IP>(nullptr, nullptr, 0, norms, ip, 0, n, best);
}

template <bool IP>
__attribute__((target("avx2,fma"))) int64_t best_avx2(const float* norms, const float* ip, size_t n, float* best) {
    // Two independent accumulators (ids j mod 16 < 8 and >= 8) halve the compare-blend chain.
    __m256 value[2] = {_mm256_set1_ps(worst(IP)), _mm256_set1_ps(worst(IP))};
    __m256i arg[2] = {_mm256_set1_epi32(-1), _mm256_set1_epi32(-1)};
    __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i eight = _mm256_set1_epi32(8);
    const __m256 two = _mm256_set1_ps(2.0f);
    size_t j = 0;
    for (; j + 16 <= n; j += 16) {
        for (int h = 0; h < 2; h++) {
            __m256 s = _mm256_loadu_ps(ip + j + 8 * h);
            // 2 * ip is exact, so the fused form rounds as the scalar norms - 2 * ip does.
            if (!IP) s = _mm256_fnmadd_ps(two, s, _mm256_loadu_ps(norms + j + 8 * h));
            __m256 win = _mm256_cmp_ps(s, value[h], IP ? _CMP_GT_OQ : _CMP_LT_OQ);
            value[h] = _mm256_blendv_ps(value[h], s, win);
            arg[h] = _mm256_castps_si256(
                    _mm256_blendv_ps(_mm256_castsi256_ps(arg[h]), _mm256_castsi256_ps(lane), win));
            lane = _mm256_add_epi32(lane, eight);
        }
    }
    alignas(32) float values[16];
    alignas(32) int32_t ids[16];
    for (int h = 0; h < 2; h++) {
        _mm256_store_ps(values + 8 * h, value[h]);
        _mm256_store_si256(reinterpret_cast<__m256i*>(ids + 8 * h), arg[h]);
    }
    return finish<IP>(values, ids, 16, norms, ip, j, n, best);
}

template <bool IP>
__attribute__((target("avx2,fma,avx512f"))) int64_t best_avx512(const float* norms, const float* ip, size_t n,
                                                                float* best) {
    __m512 value = _mm512_set1_ps(worst(IP));
    __m512i arg = _mm512_set1_epi32(-1);
    __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i step = _mm512_set1_epi32(16);
    const __m512 two = _mm512_set1_ps(2.0f);
    size_t j = 0;
    for (; j + 16 <= n; j += 16) {
        __m512 s = _mm512_loadu_ps(ip + j);
        if (!IP) s = _mm512_fnmadd_ps(two, s, _mm512_loadu_ps(norms + j));
        __mmask16 win = _mm512_cmp_ps_mask(s, value, IP ? _CMP_GT_OQ : _CMP_LT_OQ);
        value = _mm512_mask_mov_ps(value, win, s);
        arg = _mm512_mask_mov_epi32(arg, win, lane);
        lane = _mm512_add_epi32(lane, step);
    }
    alignas(64) float values[16];
    alignas(64) int32_t ids[16];
    _mm512_store_ps(values, value);
    _mm512_store_si512(ids, arg);
    return finish<IP>(values, ids, 16, norms, ip, j, n, best);
}

using BestFn = int64_t (*)(const float*, const float*, size_t, float*);

/// The arg-best for the kernel variant in use (STASIS_PORTABLE_KERNELS selects the scalar one).
template <bool IP>
BestFn best_for(const KernelTable& kernels) {
    if (std::strcmp(kernels.name, "avx512") == 0) return best_avx512<IP>;
    if (std::strcmp(kernels.name, "avx2") == 0) return best_avx2<IP>;
    return best_portable<IP>;
}

/// Rows per BLAS product: the block's scores (rows x nc floats) stay within about 4 MiB, so the
/// arg-best reads them back from cache, between 256 and 4096 rows (1024 rows for 1024
/// centroids: sgemm over 100k x 384 rows took 0.89 s in 1024-row blocks, 0.91 s in 256-row ones
/// and 0.95 s in 128-row ones, one OpenBLAS thread).
size_t block_rows(size_t n, size_t nc) {
    size_t rows = std::clamp<size_t>((size_t{1} << 20) / std::max<size_t>(nc, 1), 256, 4096);
    return std::min(rows, n);
}

template <bool IP>
void assign(size_t n, const float* x, const float* c, size_t nc, size_t d, float* distances, int64_t* labels) {
    const BestFn best_of = best_for<IP>(active_kernels());
    std::vector<float> norms;
    if (!IP) {
        norms.resize(nc);
        for (size_t j = 0; j < nc; j++) {
            float s = 0;
            for (size_t t = 0; t < d; t++) s += c[j * d + t] * c[j * d + t];
            norms[j] = s;
        }
    }
    const size_t block = block_rows(n, nc);
    std::vector<float> ip(block * nc);
    for (size_t start = 0; start < n; start += block) {
        size_t rows = std::min(block, n - start);
        const float* xb = x + start * d;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(rows), int(nc), int(d), 1.0f, xb, int(d), c, int(d),
                    0.0f, ip.data(), int(nc));
        for (size_t i = 0; i < rows; i++) {
            float found = 0;
            labels[start + i] = best_of(norms.data(), ip.data() + i * nc, nc, &found);
            if (!distances) continue;
            if (!IP) {
                float xn = 0;
                for (size_t t = 0; t < d; t++) xn += xb[i * d + t] * xb[i * d + t];
                found += xn;
            }
            distances[start + i] = found;
        }
    }
}

}  // namespace

void nearest_centroids(faiss::MetricType metric, size_t n, const float* x, const float* centroids, size_t nc,
                       size_t d, float* distances, int64_t* labels) {
    if (n == 0) return;
    if (metric == faiss::METRIC_INNER_PRODUCT)
        assign<true>(n, x, centroids, nc, d, distances, labels);
    else
        assign<false>(n, x, centroids, nc, d, distances, labels);
}

namespace {
// Per thread, so a test counts its own trains (k-means searches run on the train's caller).
thread_local uint64_t repeated_searches = 0;
}  // namespace

uint64_t kmeans_repeated_searches() { return repeated_searches; }

uint32_t RepeatCache::fingerprint(idx_t n, const float* x, size_t d) {
    // Every 64th row and the last: 1.6% of the rows, so the check costs nothing next to the pass.
    uint32_t crc = 0;
    for (idx_t i = 0; i < n; i += 64) crc = fshim_crc32c(crc, x + size_t(i) * d, d * sizeof(float));
    return fshim_crc32c(crc, x + size_t(n - 1) * d, d * sizeof(float));
}

bool RepeatCache::answer(idx_t n, const float* x, const float* centroids, size_t nc, size_t d, float* distances,
                         idx_t* labels) {
    if (x != rows_ || n != n_ || centroids_.size() != nc * d) return false;
    if (std::memcmp(centroids, centroids_.data(), nc * d * sizeof(float)) != 0) return false;
    if (fingerprint(n, x, d) != rows_crc_) return false;
    std::copy(labels_.begin(), labels_.end(), labels);
    if (distances) std::copy(distances_.begin(), distances_.end(), distances);
    repeated_searches++;
    return true;
}

void RepeatCache::remember(idx_t n, const float* x, const float* centroids, size_t nc, size_t d,
                           const float* distances, const idx_t* labels) {
    rows_ = nullptr;  // stays empty if a copy below throws
    if (!distances) return;
    centroids_.assign(centroids, centroids + nc * d);
    distances_.assign(distances, distances + n);
    labels_.assign(labels, labels + n);
    rows_crc_ = fingerprint(n, x, d);
    rows_ = x;
    n_ = n;
}

}  // namespace stasis_shim

extern "C" uint64_t fshim_kmeans_repeats_for_tests(void) { return stasis_shim::kmeans_repeated_searches(); }
