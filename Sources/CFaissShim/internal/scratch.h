// Per-thread working memory of the shim's search loops, pooled per index so a search allocates
// nothing once the pool is warm (the single-query case), and a batch reuses one scratch per thread.
#pragma once
#include "top_k.h"

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace stasis_shim {

struct SearchScratch {
    /// visited[v] == epoch marks v as seen by the current query; bumping the epoch clears the set
    /// in O(1) instead of a memset of ntotal entries per query.
    std::vector<uint32_t> visited;
    uint32_t epoch = 0;
    /// Graph search: candidates to expand (best on top) and the ef best eligible results.
    std::vector<ScoredLabel> candidates;
    std::vector<ScoredLabel> results;
    /// Neighbour ids, their rows and their scores for one expansion, or a block of a list scan.
    std::vector<int32_t> ids;
    std::vector<const float*> rows;
    /// HNSW over 8-bit SQ storage: the gathered neighbours' codes (rows of d bytes).
    std::vector<const uint8_t*> code_rows;
    std::vector<float> scores;
    /// IVF: coarse scores of every list, then the chosen lists.
    std::vector<float> coarse;
    std::vector<ScoredLabel> probes;
    /// IVF batches: queries of a block grouped by list (offsets per list, then members), their
    /// rows, one top-k heap per query, and a queries x rows score tile.
    std::vector<uint32_t> list_offsets;
    std::vector<uint32_t> list_members;
    std::vector<uint32_t> list_cursor;
    /// IVF-SQ8 and HNSW-SQ8: the query folded into per-dimension weights.
    std::vector<float> weights;
    /// IVF per-query path: the lists one query probes.
    std::vector<int64_t> chosen;
    std::vector<const float*> member_rows;
    std::vector<std::vector<ScoredLabel>> heaps;
    std::vector<float> tile;

    /// Starts a new visited set for a graph of `count` nodes.
    void new_visit(size_t count) {
        if (visited.size() < count) visited.resize(count, 0);
        if (++epoch == 0) {  // wrapped after 4 billion queries: really clear once
            std::fill(visited.begin(), visited.end(), 0);
            epoch = 1;
        }
    }
};

/// Thread-safe free list of scratches. Lease one for the duration of a query or a batch chunk.
class ScratchPool {
public:
    class Lease {
    public:
        Lease(ScratchPool& pool, std::unique_ptr<SearchScratch> s) : pool_(pool), scratch_(std::move(s)) {}
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ~Lease() { pool_.give_back(std::move(scratch_)); }
        SearchScratch& operator*() { return *scratch_; }
        SearchScratch* operator->() { return scratch_.get(); }

    private:
        ScratchPool& pool_;
        std::unique_ptr<SearchScratch> scratch_;
    };

    Lease lease() {
        std::unique_ptr<SearchScratch> scratch;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (!free_.empty()) {
                scratch = std::move(free_.back());
                free_.pop_back();
            }
        }
        if (!scratch) scratch.reset(new SearchScratch());
        return Lease(*this, std::move(scratch));
    }

private:
    void give_back(std::unique_ptr<SearchScratch> scratch) noexcept {
        if (!scratch) return;
        std::lock_guard<std::mutex> lock(mutex_);
        try {
            free_.push_back(std::move(scratch));
        } catch (...) {
            // Out of memory growing the free list: dropping the scratch only costs a later allocation.
        }
    }

    std::mutex mutex_;
    std::vector<std::unique_ptr<SearchScratch>> free_;
};

}  // namespace stasis_shim
