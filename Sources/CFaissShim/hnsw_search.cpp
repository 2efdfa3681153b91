#include "internal/hnsw_search.h"

#include "internal/parallel.h"
#include "internal/slot_filter.h"

#include <faiss/IndexFlat.h>

#include <algorithm>

namespace stasis_shim {
namespace {

/// Best candidate on top.
struct BestOnTop {
    bool operator()(const ScoredLabel& a, const ScoredLabel& b) const { return a.first < b.first; }
};

/// One query's view of the graph; lives for a chunk of queries.
class GraphSearch {
public:
    GraphSearch(const faiss::IndexHNSW& index, const KernelTable& kernels, SearchScratch& scratch)
            : graph_(index.hnsw),
              rows_(static_cast<const faiss::IndexFlat*>(index.storage)->get_xb()),
              d_(size_t(index.d)),
              ntotal_(size_t(index.ntotal)),
              kernels_(kernels),
              s_(scratch) {
        size_t widest = 0;
        const auto& cum = graph_.cum_nneighbor_per_level;
        for (size_t level = 0; level + 1 < cum.size(); level++)
            widest = std::max(widest, size_t(cum[level + 1] - cum[level]));
        if (s_.ids.size() < widest) {
            s_.ids.resize(widest);
            s_.rows.resize(widest);
            s_.scores.resize(widest);
        }
    }

    void run(const float* q, int64_t k, int ef, const fshim_filter* filter, float* scores, int64_t* labels) {
        TopK results(s_.results, size_t(std::max<int64_t>(ef, k)));
        if (ntotal_ > 0 && graph_.entry_point >= 0) {
            int32_t entry = graph_.entry_point;
            float entry_score = kernels_.ip(q, row(entry), d_);
            descend(q, entry, entry_score);
            beam(q, entry, entry_score, filter, results);
        }
        results.write(size_t(k), scores, labels);
    }

private:
    const float* row(int64_t v) const { return rows_ + size_t(v) * d_; }

    /// Greedy walk from the top level down to level 1: move to any better neighbour until none.
    void descend(const float* q, int32_t& current, float& current_score) {
        for (int level = graph_.max_level; level >= 1; level--) {
            for (bool moved = true; moved;) {
                moved = false;
                size_t count = gather(current, level, nullptr);
                ip_gather(kernels_, q, s_.rows.data(), count, d_, s_.scores.data());
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
            ip_gather(kernels_, q, s_.rows.data(), count, d_, s_.scores.data());
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
            s_.rows[count] = row(v);
            if (count < 4) prefetch_row(s_.rows[count], d_);  // ip_gather prefetches the rest
            count++;
        }
        return count;
    }

    const faiss::HNSW& graph_;
    const float* rows_;
    size_t d_;
    size_t ntotal_;
    const KernelTable& kernels_;
    SearchScratch& s_;
};

}  // namespace

bool hnsw_fast_path_applies(const faiss::Index& index) {
    auto* hnsw = dynamic_cast<const faiss::IndexHNSW*>(&index);
    return hnsw && hnsw->metric_type == faiss::METRIC_INNER_PRODUCT &&
           dynamic_cast<const faiss::IndexFlat*>(hnsw->storage) != nullptr &&
           hnsw->storage->ntotal == hnsw->ntotal;
}

void hnsw_search(const faiss::IndexHNSW& index, const KernelTable& kernels, int64_t n, const float* x,
                 int64_t k, int ef, const fshim_filter* filter, float* scores, int64_t* labels,
                 int threads, ScratchPool& pool) {
    const size_t d = size_t(index.d);
    parallel_chunks(n, threads, [&](int64_t begin, int64_t end) {
        auto scratch = pool.lease();
        GraphSearch search(index, kernels, *scratch);
        for (int64_t i = begin; i < end; i++)
            search.run(x + size_t(i) * d, k, ef, filter, scores + i * k, labels + i * k);
    });
}

}  // namespace stasis_shim
