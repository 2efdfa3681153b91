#include "internal/hnsw_search.h"

#include "internal/hnsw_store.h"
#include "internal/parallel.h"
#include "internal/slot_filter.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexScalarQuantizer.h>

#include <algorithm>

namespace stasis_shim {
namespace {

/// Best candidate on top.
struct BestOnTop {
    bool operator()(const ScoredLabel& a, const ScoredLabel& b) const { return a.first < b.first; }
};

/// Float rows of an IndexFlat storage, scored with the float kernels.
class FlatRows {
public:
    using Row = const float*;
    FlatRows(const faiss::IndexHNSW& index, const KernelTable& kernels, SearchScratch& s)
            : base_(static_cast<const faiss::IndexFlat*>(index.storage)->get_xb()),
              d_(size_t(index.d)), kernels_(kernels), rows_(s.rows) {}
    void prepare(const float*) {}
    Row row(int64_t v) const { return base_ + size_t(v) * d_; }
    void prefetch(Row r) const { prefetch_row(r, d_); }
    float score(const float* q, Row r) const { return kernels_.ip(q, r, d_); }
    void score_gathered(const float* q, size_t n, float* out) const {
        ip_gather(kernels_, q, rows_.data(), n, d_, out);
    }
    std::vector<Row>& rows() { return rows_; }

private:
    const float* base_;
    size_t d_;
    const KernelTable& kernels_;
    std::vector<Row>& rows_;
};

/// 8-bit scalar-quantised rows (IndexScalarQuantizer QT_8bit): the affine decoding
/// x_i = vmin_i + (c_i + 0.5) / 255 * vdiff_i is folded into per-query weights, as in IVF-SQ8, so a
/// score is one u8 x float kernel call: <q, x> = offset + sum_i w_i c_i.
class Sq8Rows {
public:
    using Row = const uint8_t*;
    Sq8Rows(const faiss::IndexHNSW& index, const KernelTable& kernels, SearchScratch& s)
            : storage_(static_cast<const faiss::IndexScalarQuantizer&>(*index.storage)),
              d_(size_t(index.d)), kernels_(kernels), rows_(s.code_rows), weights_(s.weights) {
        weights_.resize(d_);
    }
    void prepare(const float* q) {
        const float* vmin = storage_.sq.trained.data();
        const float* vdiff = vmin + d_;
        float half = 0;
        offset_ = 0;
        for (size_t j = 0; j < d_; j++) {
            weights_[j] = q[j] * vdiff[j] / 255.0f;
            offset_ += q[j] * vmin[j];
            half += weights_[j];
        }
        offset_ += 0.5f * half;
    }
    Row row(int64_t v) const { return storage_.codes.data() + size_t(v) * d_; }
    void prefetch(Row r) const {
        for (size_t offset = 0; offset < d_ && offset < 256; offset += 64) __builtin_prefetch(r + offset);
    }
    float score(const float*, Row r) const { return offset_ + kernels_.ip_u8(weights_.data(), r, d_); }
    void score_gathered(const float* q, size_t n, float* out) const {
        for (size_t j = 0; j < n; j++) {
            if (j + 4 < n) prefetch(rows_[j + 4]);
            out[j] = score(q, rows_[j]);
        }
    }
    std::vector<Row>& rows() { return rows_; }

private:
    const faiss::IndexScalarQuantizer& storage_;
    size_t d_;
    const KernelTable& kernels_;
    std::vector<Row>& rows_;
    std::vector<float>& weights_;
    float offset_ = 0;
};

/// One query's view of the graph; lives for a chunk of queries.
template <class Rows>
class GraphSearch {
public:
    GraphSearch(const faiss::IndexHNSW& index, const KernelTable& kernels, SearchScratch& scratch)
            : graph_(index.hnsw),
              ntotal_(size_t(index.ntotal)),
              rows_(index, kernels, scratch),
              s_(scratch) {
        size_t widest = 0;
        const auto& cum = graph_.cum_nneighbor_per_level;
        for (size_t level = 0; level + 1 < cum.size(); level++)
            widest = std::max(widest, size_t(cum[level + 1] - cum[level]));
        if (s_.ids.size() < widest) s_.ids.resize(widest);
        if (s_.scores.size() < widest) s_.scores.resize(widest);
        if (rows_.rows().size() < widest) rows_.rows().resize(widest);
    }

    void run(const float* q, int64_t k, int ef, const fshim_filter* filter, float* scores, int64_t* labels) {
        TopK results(s_.results, size_t(std::max<int64_t>(ef, k)));
        if (ntotal_ > 0 && graph_.entry_point >= 0) {
            rows_.prepare(q);
            int32_t entry = graph_.entry_point;
            float entry_score = rows_.score(q, rows_.row(entry));
            descend(q, entry, entry_score);
            beam(q, entry, entry_score, filter, results);
        }
        results.write(size_t(k), scores, labels);
    }

private:
    /// Greedy walk from the top level down to level 1: move to any better neighbour until none.
    void descend(const float* q, int32_t& current, float& current_score) {
        for (int level = graph_.max_level; level >= 1; level--) {
            for (bool moved = true; moved;) {
                moved = false;
                size_t count = gather(current, level, nullptr);
                rows_.score_gathered(q, count, s_.scores.data());
                for (size_t j = 0; j < count; j++) {
                    if (s_.scores[j] > current_score) {
                        current_score = s_.scores[j];
                        current = s_.ids[j];
                        moved = true;
                    }
                }
            }
        }
    }

    /// Best-first search on level 0 keeping the ef best eligible nodes.
    void beam(const float* q, int32_t entry, float entry_score, const fshim_filter* filter, TopK& results) {
        s_.new_visit(ntotal_);
        auto& candidates = s_.candidates;
        candidates.clear();
        candidates.emplace_back(entry_score, entry);
        s_.visited[size_t(entry)] = s_.epoch;
        if (eligible(filter, entry)) results.offer(entry_score, entry);

        while (!candidates.empty()) {
            ScoredLabel best = candidates.front();
            // Every result left to find would come through a candidate at most this good.
            if (results.full() && best.first < results.threshold()) break;
            std::pop_heap(candidates.begin(), candidates.end(), BestOnTop());
            candidates.pop_back();

            size_t count = gather(int32_t(best.second), 0, &s_.visited);
            rows_.score_gathered(q, count, s_.scores.data());
            for (size_t j = 0; j < count; j++) {
                float score = s_.scores[j];
                if (results.full() && score <= results.threshold()) continue;
                int32_t v = s_.ids[j];
                candidates.emplace_back(score, v);
                std::push_heap(candidates.begin(), candidates.end(), BestOnTop());
                if (eligible(filter, v)) results.offer(score, v);
            }
        }
    }

    /// Collects the neighbours of `node` on `level` (skipping and marking visited ones when
    /// `visited` is given) into s_.ids / s_.rows, prefetching their first rows. Returns the count.
    size_t gather(int32_t node, int level, std::vector<uint32_t>* visited) {
        size_t begin = graph_.offsets[size_t(node)] + size_t(graph_.cum_nneighbor_per_level[level]);
        size_t end = graph_.offsets[size_t(node)] + size_t(graph_.cum_nneighbor_per_level[level + 1]);
        size_t count = 0;
        for (size_t j = begin; j < end; j++) {
            int32_t v = graph_.neighbors[j];
            if (v < 0) break;  // neighbour lists are padded with -1
            if (visited) {
                uint32_t& tag = (*visited)[size_t(v)];
                if (tag == s_.epoch) continue;
                tag = s_.epoch;
            }
            s_.ids[count] = v;
            rows_.rows()[count] = rows_.row(v);
            if (count < 4) rows_.prefetch(rows_.rows()[count]);  // scoring prefetches the rest
            count++;
        }
        return count;
    }

    const faiss::HNSW& graph_;
    size_t ntotal_;
    Rows rows_;
    SearchScratch& s_;
};

template <class Rows>
void search_with(const faiss::IndexHNSW& index, const KernelTable& kernels, int64_t n, const float* x,
                 int64_t k, int ef, const fshim_filter* filter, float* scores, int64_t* labels,
                 int threads, ScratchPool& pool) {
    const size_t d = size_t(index.d);
    parallel_chunks(n, threads, [&](int64_t begin, int64_t end) {
        auto scratch = pool.lease();
        GraphSearch<Rows> search(index, kernels, *scratch);
        for (int64_t i = begin; i < end; i++)
            search.run(x + size_t(i) * d, k, ef, filter, scores + i * k, labels + i * k);
    });
}

}  // namespace

bool hnsw_fast_path_applies(const faiss::Index& index) {
    auto* hnsw = dynamic_cast<const faiss::IndexHNSW*>(&index);
    return hnsw && hnsw->metric_type == faiss::METRIC_INNER_PRODUCT && hnsw->storage &&
           hnsw->storage->metric_type == faiss::METRIC_INNER_PRODUCT &&
           (dynamic_cast<const faiss::IndexFlat*>(hnsw->storage) != nullptr || is_sq8_storage(*hnsw)) &&
           hnsw->storage->ntotal == hnsw->ntotal;
}

void hnsw_search(const faiss::IndexHNSW& index, const KernelTable& kernels, int64_t n, const float* x,
                 int64_t k, int ef, const fshim_filter* filter, float* scores, int64_t* labels,
                 int threads, ScratchPool& pool) {
    if (dynamic_cast<const faiss::IndexFlat*>(index.storage))
        search_with<FlatRows>(index, kernels, n, x, k, ef, filter, scores, labels, threads, pool);
    else
        search_with<Sq8Rows>(index, kernels, n, x, k, ef, filter, scores, labels, threads, pool);
}

}  // namespace stasis_shim
