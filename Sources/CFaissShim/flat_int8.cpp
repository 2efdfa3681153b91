// Exact Flat batches through an 8-bit copy of the gallery (internal/flat_int8.h).
//
// Why: a float batch is one sgemm, which OpenBLAS runs at ~85 % of this CPU's FMA peak, and so
// does the wheel's: neither side can be much faster in float. AVX2's 8-bit multiply-adds
// (vpmaddubsw + vpmaddwd) retire twice as many products per cycle, so the copy scores every row
// at about twice the rate, and the float work shrinks to the few rows near each query's k-th
// best.
//
// Why the answer is exact. Row x = s_x c + e (codes c in [-127, 127], s_x = max|x_i| / 127,
// |e_i| <= s_x / 2); query q = s_q (u - 64) + f (u in [1, 127], s_q = max|q_i| / 63, so one
// pair of products never saturates vpmaddubsw's 16-bit sums: 2 * 127 * 127 < 32768). The
// integer product is exact, and
//     |q.x - s_q s_x (u - 64).c| = |q.e + f.(s_x c)| <= |q| |e| + |f| |s_x c|  =: beta (per row).
// With slack bounding the float rounding of the approximate score a and of its bounds, plus rho,
// the rounding of the float rescoring (any summation order: gamma_d = d u / (1 - d u) times
// sum |q_i x_i| <= |q| |x|), every row's rescored score lies in [a - beta - slack, a + beta +
// slack]. Let tau be the k-th largest lower end: k rows rescore to at least tau, so a row whose
// upper end is below tau cannot be among the float top k, and dropping it changes nothing.
#include "internal/flat_int8.h"

#include "internal/parallel.h"
#include "internal/slot_filter.h"
#include "internal/top_k.h"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>

#define STASIS_AVX2 __attribute__((target("avx2,fma")))

namespace stasis_shim {
namespace {

constexpr size_t tile_rows = Int8Gallery::tile_rows;
/// Most queries one thread carries through the whole gallery at a time: 64 x 384 code bytes stay
/// in L1/L2 while each 6 KiB tile of rows is read once for all of them.
constexpr int64_t max_query_block = 64;
/// The query's codes are offset by 64 so vpmaddubsw's unsigned operand holds them.
constexpr int query_offset = 64;
constexpr double unit_roundoff = 1.0 / 16777216.0;  // 2^-24, float

/// What bounds one query's rescored scores: s_q, |q| and |f| (rounded up) and the slack.
struct QueryBounds {
    float scale = 0;
    float norm = 0;
    float error_norm = 0;
    float slack = 0;
};

/// A float at least `value`.
float round_up(double value) {
    const float f = float(value);
    return double(f) >= value ? f : std::nextafter(f, std::numeric_limits<float>::infinity());
}

/// out[q * 16 + r] = sum_j codes_q[j] * tile row r [j] for four queries (padded_dim bytes each,
/// `stride` apart) against one tile.
STASIS_AVX2 void score_tile(const uint8_t* codes, size_t stride, const int8_t* tile, size_t padded_dim,
                            int32_t* out) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i acc[4][2];
    for (auto& row : acc) row[0] = row[1] = _mm256_setzero_si256();
    const uint8_t* q0 = codes;
    const uint8_t* q1 = codes + stride;
    const uint8_t* q2 = codes + 2 * stride;
    const uint8_t* q3 = codes + 3 * stride;
    for (size_t j = 0; j < padded_dim; j += 4) {
        const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tile));
        const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tile + 32));
        tile += 64;
        const uint8_t* q[4] = {q0 + j, q1 + j, q2 + j, q3 + j};
        for (int i = 0; i < 4; i++) {
            int32_t group;
            __builtin_memcpy(&group, q[i], 4);
            const __m256i a = _mm256_set1_epi32(group);
            acc[i][0] = _mm256_add_epi32(acc[i][0], _mm256_madd_epi16(_mm256_maddubs_epi16(a, b0), ones));
            acc[i][1] = _mm256_add_epi32(acc[i][1], _mm256_madd_epi16(_mm256_maddubs_epi16(a, b1), ones));
        }
    }
    for (int i = 0; i < 4; i++) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i * 16), acc[i][0]);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i * 16 + 8), acc[i][1]);
    }
}

/// score_tile for one query (a single-query search reads a quarter of the float rows' bytes).
STASIS_AVX2 void score_tile1(const uint8_t* codes, const int8_t* tile, size_t padded_dim, int32_t* out) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, b0 = a0, b1 = a0;
    size_t j = 0;
    // Two groups per step: two independent chains per half of the tile.
    for (; j + 8 <= padded_dim; j += 8, tile += 128) {
        int32_t g0, g1;
        __builtin_memcpy(&g0, codes + j, 4);
        __builtin_memcpy(&g1, codes + j + 4, 4);
        const __m256i q0 = _mm256_set1_epi32(g0), q1 = _mm256_set1_epi32(g1);
        const __m256i* t = reinterpret_cast<const __m256i*>(tile);
        a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_maddubs_epi16(q0, _mm256_loadu_si256(t)), ones));
        a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(_mm256_maddubs_epi16(q0, _mm256_loadu_si256(t + 1)), ones));
        b0 = _mm256_add_epi32(b0, _mm256_madd_epi16(_mm256_maddubs_epi16(q1, _mm256_loadu_si256(t + 2)), ones));
        b1 = _mm256_add_epi32(b1, _mm256_madd_epi16(_mm256_maddubs_epi16(q1, _mm256_loadu_si256(t + 3)), ones));
    }
    if (j < padded_dim) {
        int32_t g0;
        __builtin_memcpy(&g0, codes + j, 4);
        const __m256i q0 = _mm256_set1_epi32(g0);
        const __m256i* t = reinterpret_cast<const __m256i*>(tile);
        a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_maddubs_epi16(q0, _mm256_loadu_si256(t)), ones));
        a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(_mm256_maddubs_epi16(q0, _mm256_loadu_si256(t + 1)), ones));
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm256_add_epi32(a0, b0));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 8), _mm256_add_epi32(a1, b1));
}

/// Bounds on one query's rescored scores against one tile: a = (dot - 64 * code sum) * s_q * s_x,
/// beta = |q| |e| + |f| |s_x c| per row; writes a - beta - slack and a + beta + slack, and
/// returns a bit per row whose upper end reaches `cutoff`.
STASIS_AVX2 unsigned bound_tile(const int32_t* dots, const Int8Gallery& gallery, size_t r0, const QueryBounds& q,
                                float cutoff, float* lower, float* upper) {
    const __m256 qs = _mm256_set1_ps(q.scale), cut = _mm256_set1_ps(cutoff);
    const __m256 qn = _mm256_set1_ps(q.norm), fn = _mm256_set1_ps(q.error_norm), slack = _mm256_set1_ps(q.slack);
    unsigned mask = 0;
    for (int h = 0; h < 2; h++) {
        const size_t r = r0 + 8 * size_t(h);
        const __m256i dot = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(dots + 8 * h));
        const __m256i sum = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(gallery.code_sums() + r));
        const __m256i exact = _mm256_sub_epi32(dot, _mm256_slli_epi32(sum, 6));  // 64 * sum
        const __m256 weight = _mm256_mul_ps(qs, _mm256_loadu_ps(gallery.scales() + r));
        const __m256 a = _mm256_mul_ps(_mm256_cvtepi32_ps(exact), weight);
        const __m256 beta = _mm256_add_ps(
            _mm256_add_ps(_mm256_mul_ps(qn, _mm256_loadu_ps(gallery.error_norms() + r)),
                          _mm256_mul_ps(fn, _mm256_loadu_ps(gallery.dequantised_norms() + r))),
            slack);
        const __m256 hi = _mm256_add_ps(a, beta);
        _mm256_storeu_ps(lower + 8 * h, _mm256_sub_ps(a, beta));
        _mm256_storeu_ps(upper + 8 * h, hi);
        mask |= unsigned(_mm256_movemask_ps(_mm256_cmp_ps(hi, cut, _CMP_GE_OQ))) << (8 * h);
    }
    return mask;
}

/// One query's state through the scan: the k largest lower ends (a min-heap; the smallest is
/// the cutoff once there are k) and every row whose upper end reached the cutoff of its time.
struct QueryState {
    QueryBounds bounds;
    std::vector<float> best;  // min-heap of lower ends, size <= k
    std::vector<uint32_t> rows;
    std::vector<float> upper;
    float cutoff = -std::numeric_limits<float>::infinity();
    /// Candidates are pruned when they reach this many (doubling, so pruning stays linear).
    size_t prune_at = 0;
    /// More than this many candidates left after a prune means the 8-bit scores are not telling
    /// rows apart (near-identical rows): the query stops collecting (so a query never holds more
    /// than 2 x this many) and rescores every row at the end.
    static constexpr size_t give_up_at = 32768;
    bool exhaustive = false;

    void reset(size_t k) {
        best.clear();
        best.reserve(k);
        rows.clear();
        upper.clear();
        cutoff = -std::numeric_limits<float>::infinity();
        prune_at = std::max<size_t>(8192, 8 * k);
        exhaustive = false;
    }

    void admit(uint32_t row, float lower, float high, size_t k) {
        rows.push_back(row);
        upper.push_back(high);
        if (best.size() < k) {
            best.push_back(lower);
            std::push_heap(best.begin(), best.end(), std::greater<float>());
            if (best.size() == k) cutoff = best.front();
        } else if (lower > best.front()) {
            std::pop_heap(best.begin(), best.end(), std::greater<float>());
            best.back() = lower;
            std::push_heap(best.begin(), best.end(), std::greater<float>());
            cutoff = best.front();
        }
        // Rows admitted early, under a lower cutoff, are dropped once they pile up.
        if (rows.size() < prune_at) return;
        prune();
        prune_at = std::max(prune_at, 2 * rows.size());
        if (rows.size() > give_up_at || prune_at > 2 * give_up_at) {
            exhaustive = true;
            std::vector<uint32_t>().swap(rows);
            std::vector<float>().swap(upper);
        }
    }

    void prune() {
        size_t kept = 0;
        for (size_t i = 0; i < rows.size(); i++) {
            if (upper[i] >= cutoff) {
                rows[kept] = rows[i];
                upper[kept] = upper[i];
                kept++;
            }
        }
        rows.resize(kept);
        upper.resize(kept);
    }
};

/// Codes of one query (u in [1, 127], padding 64) and the bounds of its scores.
QueryBounds quantise_query(const float* q, size_t d, size_t padded, const Int8Gallery& gallery, uint8_t* codes) {
    float largest = 0;
    for (size_t j = 0; j < d; j++) largest = std::max(largest, std::fabs(q[j]));
    const float scale = largest > 0 ? largest / 63.0f : 1.0f;
    double norm2 = 0, error2 = 0;
    for (size_t j = 0; j < d; j++) {
        const float level = std::min(63.0f, std::max(-63.0f, std::nearbyint(q[j] / scale)));
        codes[j] = uint8_t(int(level) + query_offset);
        const double error = double(q[j]) - double(scale) * double(level);  // exact in double
        norm2 += double(q[j]) * double(q[j]);
        error2 += error * error;
    }
    for (size_t j = d; j < padded; j++) codes[j] = uint8_t(query_offset);
    // Double sums carry relative errors near 1e-16; 1 + 1e-9 covers them with room to spare.
    const double norm = std::sqrt(norm2) * (1 + 1e-9), error = std::sqrt(error2) * (1 + 1e-9);
    const double du = double(d) * unit_roundoff;
    const double rho = du / (1 - du) * norm * gallery.max_row_norm();
    // The float arithmetic of a and of a -+ beta: a handful of roundings, each at most u times
    // the largest magnitude involved (|a| <= (|q| + |f|) max |s_x c|, beta alike).
    const double magnitude = (norm + error) * gallery.max_dequantised_norm() + norm * gallery.max_error_norm();
    const double slack = rho + 16 * unit_roundoff * magnitude;
    QueryBounds bounds;
    bounds.scale = scale;
    bounds.norm = round_up(norm);
    bounds.error_norm = round_up(error);
    bounds.slack = round_up(slack * (1 + 1e-3) + 1e-30);
    return bounds;
}

/// Offers the float scores of `query` against rows `ids` (ascending, so equal scores keep the
/// lower row) to `top`. Always through ip4 (a short last group repeats its last row): one
/// summation order for every row, so a row's score does not depend on where it falls among the
/// candidates, and the filtered and unfiltered searches agree.
void offer_rescored(const KernelTable& kernels, const float* query, const float* rows, size_t d,
                    const std::vector<uint32_t>& ids, std::vector<const float*>& gathered,
                    std::vector<float>& rescored, TopK& top) {
    const size_t count = ids.size();
    gathered.clear();
    for (uint32_t r : ids) gathered.push_back(rows + size_t(r) * d);
    rescored.resize(count);
    size_t i = 0;
    for (; i + 4 <= count; i += 4) {
        if (i + 8 <= count)
            for (size_t j = 4; j < 8; j++) prefetch_row(gathered[i + j], d);
        kernels.ip4(query, gathered.data() + i, d, rescored.data() + i);
    }
    if (i < count) {
        const float* last[4];
        float tail[4];
        for (size_t j = 0; j < 4; j++) last[j] = gathered[std::min(i + j, count - 1)];
        kernels.ip4(query, last, d, tail);
        std::copy_n(tail, count - i, rescored.data() + i);
    }
    for (size_t c = 0; c < count; c++) top.offer(rescored[c], int64_t(ids[c]));
}

/// One row's codes and the sums its bounds come from.
struct RowCodes {
    float scale = 1;
    int32_t code_sum = 0;
    int64_t code_squares = 0;  // sum c_j^2, exact
    float error_squares = 0;   // sum e_j^2, float (see extend for its rounding allowance)
    float row_squares = 0;     // sum x_j^2, float
};

/// Codes of row x (d floats) into its lane of a tile (`lane`: the row's first 4 bytes; groups
/// of 4 codes are a tile's 16 rows x 4 bytes apart). Eight values per step; e = x - s c is one fused rounding.
STASIS_AVX2 RowCodes quantise_row(const float* x, size_t d, int8_t* lane) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 largest8 = _mm256_setzero_ps();
    size_t j = 0;
    for (; j + 8 <= d; j += 8) largest8 = _mm256_max_ps(largest8, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + j)));
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, largest8);
    float largest = 0;
    for (float v : lanes) largest = std::max(largest, v);
    for (size_t t = j; t < d; t++) largest = std::max(largest, std::fabs(x[t]));

    RowCodes row;
    row.scale = largest > 0 ? largest / 127.0f : 1.0f;
    const __m256 scale = _mm256_set1_ps(row.scale);
    const __m256i top = _mm256_set1_epi32(127), bottom = _mm256_set1_epi32(-127);
    __m256i sums = _mm256_setzero_si256(), squares = _mm256_setzero_si256();
    __m256 errors = _mm256_setzero_ps(), norms = _mm256_setzero_ps();
    for (j = 0; j + 8 <= d; j += 8) {
        const __m256 v = _mm256_loadu_ps(x + j);
        // Division, not a reciprocal: the same codes as the scalar tail below.
        __m256i code = _mm256_cvtps_epi32(_mm256_div_ps(v, scale));  // nearest, ties to even
        code = _mm256_max_epi32(bottom, _mm256_min_epi32(top, code));
        const __m256 level = _mm256_cvtepi32_ps(code);
        const __m256 error = _mm256_fnmadd_ps(scale, level, v);
        errors = _mm256_fmadd_ps(error, error, errors);
        norms = _mm256_fmadd_ps(v, v, norms);
        sums = _mm256_add_epi32(sums, code);
        squares = _mm256_add_epi32(squares, _mm256_mullo_epi32(code, code));
        // 8 int32 -> 8 int8 in order: packs work per 128-bit half, so gather the halves first.
        const __m128i lo = _mm256_castsi256_si128(code), hi = _mm256_extracti128_si256(code, 1);
        const __m128i bytes = _mm_packs_epi16(_mm_packs_epi32(lo, hi), _mm_setzero_si128());
        const int32_t first = _mm_cvtsi128_si32(bytes), second = _mm_extract_epi32(bytes, 1);
        __builtin_memcpy(lane + (j / 4) * tile_rows * 4, &first, 4);
        __builtin_memcpy(lane + (j / 4 + 1) * tile_rows * 4, &second, 4);
    }
    alignas(32) int32_t ints[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(ints), sums);
    for (int32_t v : ints) row.code_sum += v;
    _mm256_store_si256(reinterpret_cast<__m256i*>(ints), squares);
    for (int32_t v : ints) row.code_squares += v;
    _mm256_store_ps(lanes, errors);
    for (float v : lanes) row.error_squares += v;
    _mm256_store_ps(lanes, norms);
    for (float v : lanes) row.row_squares += v;
    for (; j < d; j++) {
        const int code = std::min(127, std::max(-127, int(std::nearbyint(x[j] / row.scale))));
        lane[(j / 4) * tile_rows * 4 + (j % 4)] = int8_t(code);
        const float error = std::fma(-row.scale, float(code), x[j]);
        row.error_squares = std::fma(error, error, row.error_squares);
        row.row_squares = std::fma(x[j], x[j], row.row_squares);
        row.code_sum += code;
        row.code_squares += code * code;
    }
    return row;
}

}  // namespace

void Int8Gallery::extend(const float* data, size_t ntotal, size_t d, int threads) {
    if (count_ == 0) {
        dim_ = d;
        padded_ = (d + 3) / 4 * 4;
    }
    if (ntotal <= count_) return;
    const size_t tiles = (ntotal + tile_rows - 1) / tile_rows;
    codes_.resize(tiles * tile_rows * padded_, 0);
    scales_.resize(tiles * tile_rows, 0.0f);
    sums_.resize(tiles * tile_rows, 0);
    error_norms_.resize(tiles * tile_rows, 0.0f);
    dequantised_norms_.resize(tiles * tile_rows, 0.0f);
    // Float sums of squares over d terms (8 lanes, then the lanes, then a scalar tail): relative
    // error below (d + 16) u; the norms get twice that (and sqrt's rounding) on top, so the
    // bounds built from them stay bounds.
    const double allowance = 1 + double(d + 64) * 2 * unit_roundoff;
    std::mutex maxima;
    // Rows are independent (each owns its bytes of a tile); only the three maxima are shared.
    parallel_chunks(int64_t(ntotal - count_), threads, [&](int64_t begin, int64_t end) {
        double row_max = 0, error_max = 0, dequantised_max = 0;
        for (size_t r = count_ + size_t(begin); r < count_ + size_t(end); r++) {
            int8_t* lane = codes_.data() + (r / tile_rows) * tile_rows * padded_ + (r % tile_rows) * 4;
            const RowCodes row = quantise_row(data + r * d, d, lane);
            const double error = std::sqrt(double(row.error_squares)) * allowance;
            const double dequantised = double(row.scale) * std::sqrt(double(row.code_squares)) * (1 + 1e-12);
            scales_[r] = row.scale;
            sums_[r] = row.code_sum;
            error_norms_[r] = round_up(error);
            dequantised_norms_[r] = round_up(dequantised);
            row_max = std::max(row_max, std::sqrt(double(row.row_squares)) * allowance);
            error_max = std::max(error_max, error);
            dequantised_max = std::max(dequantised_max, dequantised);
        }
        std::lock_guard<std::mutex> lock(maxima);
        max_row_norm_ = std::max(max_row_norm_, row_max);
        max_error_norm_ = std::max(max_error_norm_, error_max);
        max_dequantised_norm_ = std::max(max_dequantised_norm_, dequantised_max);
    });
    count_ = ntotal;
}

std::shared_ptr<const Int8Gallery> Int8Cache::current(const faiss::IndexFlat& index, int threads) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!gallery_) gallery_ = std::make_shared<Int8Gallery>();
    const size_t ntotal = size_t(index.ntotal);
    if (gallery_->rows() < ntotal) gallery_->extend(index.get_xb(), ntotal, size_t(index.d), threads);
    return gallery_;
}

void Int8Cache::release() {
    std::lock_guard<std::mutex> lock(mutex_);
    gallery_.reset();
}

namespace {

bool prefilter_by_environment() {
    const char* value = std::getenv("STASIS_FLAT_PREFILTER");
    return !(value && value[0] == '0' && value[1] == '\0');
}

std::atomic<bool>& prefilter_switch() {
    static std::atomic<bool> enabled{prefilter_by_environment()};
    return enabled;
}

}  // namespace

bool flat_prefilter_enabled() { return prefilter_switch().load(std::memory_order_acquire); }

void set_flat_prefilter(bool enabled) { prefilter_switch().store(enabled, std::memory_order_release); }

bool flat_int8_applies(const faiss::IndexFlat& index, const KernelTable& kernels, int64_t k) {
    if (index.metric_type != faiss::METRIC_INNER_PRODUCT) return false;
    if (kernels.name[0] == 'p' || !flat_prefilter_enabled()) return false;  // portable: no AVX2
    // Small galleries: the copy and the second pass gain little; a k near the gallery's size
    // leaves little for the 8-bit pass to rule out.
    // Rows are numbered in 32 bits inside the pass.
    return index.ntotal >= int64_t(min_rows) && k * 16 <= index.ntotal && index.ntotal < (int64_t(1) << 32);
}

void flat_int8_search(const faiss::IndexFlat& index, const Int8Gallery& gallery, const KernelTable& kernels,
                      int64_t n, const float* x, int64_t k, const fshim_filter* filter, float* scores,
                      int64_t* labels, int threads) {
    const size_t d = gallery.dim(), padded = gallery.padded_dim(), ntotal = gallery.rows();
    const size_t kk = size_t(k);
    const size_t tiles = (ntotal + tile_rows - 1) / tile_rows;
    const float* rows = index.get_xb();
    // Blocks of up to 64 queries, but small batches still give every thread a block (in
    // multiples of the kernel's four queries).
    const int64_t per_thread = (n + std::max(threads, 1) - 1) / std::max(threads, 1);
    const int64_t query_block = std::min(max_query_block, std::max<int64_t>(4, (per_thread + 3) / 4 * 4));
    const int64_t blocks = (n + query_block - 1) / query_block;
    parallel_chunks(blocks, threads, [&](int64_t first, int64_t last) {
        std::vector<uint8_t> codes(size_t(query_block) * padded);
        std::vector<QueryState> states(static_cast<size_t>(query_block));
        std::vector<ScoredLabel> heap;
        std::vector<const float*> gathered;
        gathered.reserve(256);
        std::vector<float> rescored;
        std::vector<uint32_t> candidates;
        alignas(32) int32_t dots[4 * tile_rows];
        alignas(32) float lower[tile_rows], upper[tile_rows];
        for (int64_t b = first; b < last; b++) {
            const int64_t q0 = b * query_block;
            const size_t qn = size_t(std::min(query_block, n - q0));
            for (size_t i = 0; i < qn; i++) {
                states[i].reset(kk);
                states[i].bounds = quantise_query(x + (size_t(q0) + i) * d, d, padded, gallery, codes.data() + i * padded);
            }
            // A short last group repeats its last query; the copies' results are ignored.
            for (size_t i = qn; i < (qn + 3) / 4 * 4; i++)
                std::copy_n(codes.data() + (qn - 1) * padded, padded, codes.data() + i * padded);
            for (size_t t = 0; t < tiles; t++) {
                const int8_t* tile = gallery.tile(t);
                const size_t r0 = t * tile_rows;
                const size_t live = std::min(tile_rows, ntotal - r0);
                const unsigned live_mask = live == tile_rows ? 0xFFFFu : (1u << live) - 1;
                for (size_t g = 0; g < qn; g += 4) {
                    if (g + 1 == qn) score_tile1(codes.data() + g * padded, tile, padded, dots);
                    else score_tile(codes.data() + g * padded, padded, tile, padded, dots);
                    for (size_t i = g; i < std::min(g + 4, qn); i++) {
                        QueryState& state = states[i];
                        if (state.exhaustive) continue;
                        unsigned mask = bound_tile(dots + (i - g) * tile_rows, gallery, r0, state.bounds, state.cutoff,
                                                   lower, upper) & live_mask;
                        while (mask) {
                            const unsigned lane = unsigned(__builtin_ctz(mask));
                            mask &= mask - 1;
                            // The cutoff rises inside the tile; re-check against it.
                            if (upper[lane] < state.cutoff || !eligible(filter, int64_t(r0 + lane))) continue;
                            state.admit(uint32_t(r0 + lane), lower[lane], upper[lane], kk);
                        }
                    }
                }
            }
            for (size_t i = 0; i < qn; i++) {
                QueryState& state = states[i];
                const float* query = x + (size_t(q0) + i) * d;
                TopK top(heap, kk);
                if (state.exhaustive) {
                    // Every eligible row, in row order, 1,024 at a time.
                    for (size_t r0 = 0; r0 < ntotal; r0 += 1024) {
                        candidates.clear();
                        for (size_t r = r0; r < std::min(ntotal, r0 + 1024); r++)
                            if (eligible(filter, int64_t(r))) candidates.push_back(uint32_t(r));
                        offer_rescored(kernels, query, rows, d, candidates, gathered, rescored, top);
                    }
                } else {
                    state.prune();
                    offer_rescored(kernels, query, rows, d, state.rows, gathered, rescored, top);
                }
                top.write(kk, scores + (size_t(q0) + i) * kk, labels + (size_t(q0) + i) * kk);
            }
        }
    });
}

}  // namespace stasis_shim
