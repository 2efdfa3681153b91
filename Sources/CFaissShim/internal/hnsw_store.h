// Vector stores the shim's HNSW construction scores against (internal to the shim): the float
// rows of IndexFlat storage, and the codes of 8-bit scalar-quantised storage (HNSW..,SQ8).
//
// A store hands out prepared queries: from a float vector (the row being inserted, as Faiss's own
// construction does: it scores the caller's float vector against the stored rows) or from a
// stored node (neighbour-list pruning compares stored nodes with each other, as Faiss's
// symmetric distance does). For SQ8 the affine decoding x_i = vmin_i + (c_i + 0.5) / 255 * vdiff_i
// of the other side is folded into per-query weights and an offset, as in IVF-SQ8 and the HNSW-SQ8
// search: <q, x> = offset + sum_i w_i c_i, one u8 x float kernel call per score.
#pragma once
#include "kernels.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexScalarQuantizer.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace stasis_shim {

/// Whether `index`'s storage is 8-bit non-uniform scalar quantisation with trained ranges and
/// codes for every row (what Sq8Store and the HNSW-SQ8 search read).
inline bool is_sq8_storage(const faiss::IndexHNSW& hnsw) {
    auto* sq = dynamic_cast<const faiss::IndexScalarQuantizer*>(hnsw.storage);
    const size_t d = size_t(hnsw.d);
    return sq && sq->sq.qtype == faiss::ScalarQuantizer::QT_8bit && sq->sq.trained.size() == 2 * d &&
           sq->sq.code_size == d && sq->codes.size() == size_t(sq->ntotal) * d;
}

/// Float rows of IndexFlat storage. A query is a pointer to d floats (no copy).
class FlatStore {
public:
    using Row = const float*;
    struct Query {
        const float* x = nullptr;
    };

    FlatStore(const faiss::IndexHNSW& index, const KernelTable& kernels)
            : base_(static_cast<const faiss::IndexFlat*>(index.storage)->get_xb()),
              d_(size_t(index.d)), kernels_(kernels) {}

    void init(Query&) const {}
    Row row(int64_t v) const { return base_ + size_t(v) * d_; }
    void prefetch(Row r) const { prefetch_row(r, d_); }
    void set_vector(Query& q, const float* x) const { q.x = x; }
    void set_node(Query& q, int32_t v) const { q.x = row(v); }
    float score(const Query& q, Row r) const { return kernels_.ip(q.x, r, d_); }
    /// out[j] = score of rows[j], four per kernel call, prefetching ahead.
    void score_gathered(const Query& q, const Row* rows, size_t n, float* out) const {
        ip_gather(kernels_, q.x, rows, n, d_, out);
    }
    /// Whether any of the nodes `kept[0..n)` (with prepared queries `kept_q`) scores above
    /// `bound` against node `v`: the HNSW heuristic's test. Four rows per kernel call.
    bool any_above(const Query*, const Row* kept, size_t n, int32_t v, float bound) const {
        const float* x = row(v);
        float s[4];
        size_t j = 0;
        for (; j + 4 <= n; j += 4) {
            kernels_.ip4(x, kept + j, d_, s);
            if (s[0] > bound || s[1] > bound || s[2] > bound || s[3] > bound) return true;
        }
        for (; j < n; j++)
            if (kernels_.ip(x, kept[j], d_) > bound) return true;
        return false;
    }
    /// Whether any_above reads prepared queries of the kept nodes (else only their rows).
    static constexpr bool kept_queries = false;

private:
    const float* base_;
    size_t d_;
    const KernelTable& kernels_;
};

/// Codes of 8-bit scalar-quantised storage. A query is d weights and an offset.
class Sq8Store {
public:
    using Row = const uint8_t*;
    struct Query {
        std::vector<float> w;
        float offset = 0;
    };

    Sq8Store(const faiss::IndexHNSW& index, const KernelTable& kernels)
            : codes_(static_cast<const faiss::IndexScalarQuantizer&>(*index.storage).codes.data()),
              vmin_(static_cast<const faiss::IndexScalarQuantizer&>(*index.storage).sq.trained.data()),
              vdiff_(vmin_ + size_t(index.d)), d_(size_t(index.d)), kernels_(kernels) {}

    void init(Query& q) const { q.w.resize(d_); }
    Row row(int64_t v) const { return codes_ + size_t(v) * d_; }
    void prefetch(Row r) const {
        for (size_t offset = 0; offset < d_ && offset < 256; offset += 64) __builtin_prefetch(r + offset);
    }
    void set_vector(Query& q, const float* x) const {
        float half = 0, offset = 0;
        for (size_t j = 0; j < d_; j++) {
            float w = x[j] * vdiff_[j] * (1.0f / 255.0f);
            q.w[j] = w;
            offset += x[j] * vmin_[j];
            half += w;
        }
        q.offset = offset + 0.5f * half;
    }
    /// The query of stored node v: its decoded vector, prepared (Faiss's symmetric distance).
    void set_node(Query& q, int32_t v) const {
        const uint8_t* c = row(v);
        float half = 0, offset = 0;
        for (size_t j = 0; j < d_; j++) {
            float x = vmin_[j] + (float(c[j]) + 0.5f) * (1.0f / 255.0f) * vdiff_[j];
            float w = x * vdiff_[j] * (1.0f / 255.0f);
            q.w[j] = w;
            offset += x * vmin_[j];
            half += w;
        }
        q.offset = offset + 0.5f * half;
    }
    float score(const Query& q, Row r) const { return q.offset + kernels_.ip_u8(q.w.data(), r, d_); }
    void score_gathered(const Query& q, const Row* rows, size_t n, float* out) const {
        for (size_t j = 0; j < n; j++) {
            if (j + 4 < n) prefetch(rows[j + 4]);
            out[j] = score(q, rows[j]);
        }
    }
    bool any_above(const Query* kept_q, const Row*, size_t n, int32_t v, float bound) const {
        Row r = row(v);
        for (size_t j = 0; j < n; j++)
            if (score(kept_q[j], r) > bound) return true;
        return false;
    }
    static constexpr bool kept_queries = true;

private:
    const uint8_t* codes_;
    const float* vmin_;
    const float* vdiff_;
    size_t d_;
    const KernelTable& kernels_;
};

}  // namespace stasis_shim
