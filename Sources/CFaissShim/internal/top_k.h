// Bounded "best k by score" collector over a caller-owned vector, so a reused scratch makes it
// allocation-free after the first query.
#pragma once
#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace stasis_shim {

/// (score, label) pairs; the heap keeps the worst kept score on top.
using ScoredLabel = std::pair<float, int64_t>;

/// Among equal scores the higher label counts as worse, so a full heap facing a tie at its
/// k-th place keeps the lower labels whatever order they came in.
struct WorstOnTop {
    bool operator()(const ScoredLabel& a, const ScoredLabel& b) const {
        return a.first > b.first || (a.first == b.first && a.second < b.second);
    }
};

class TopK {
public:
    /// Starts empty, or (resume) continues the heap already in `storage`.
    TopK(std::vector<ScoredLabel>& storage, size_t k, bool resume = false) : heap_(storage), k_(k) {
        if (!resume) heap_.clear();
    }

    size_t size() const { return heap_.size(); }
    bool full() const { return heap_.size() >= k_; }
    /// Score a candidate must beat to enter once full.
    float threshold() const { return heap_.front().first; }

    /// Keeps (score, label) if it is among the best k seen so far.
    void offer(float score, int64_t label) {
        if (heap_.size() < k_) {
            heap_.emplace_back(score, label);
            std::push_heap(heap_.begin(), heap_.end(), WorstOnTop());
        } else if (score > heap_.front().first || (score == heap_.front().first && label < heap_.front().second)) {
            std::pop_heap(heap_.begin(), heap_.end(), WorstOnTop());
            heap_.back() = {score, label};
            std::push_heap(heap_.begin(), heap_.end(), WorstOnTop());
        }
    }

    /// Writes the best `count` results best first, equal scores by ascending label (so the order
    /// does not depend on the heap's history); missing ones get label -1 and score -inf.
    /// Consumes the heap.
    void write(size_t count, float* scores, int64_t* labels) {
        std::sort(heap_.begin(), heap_.end(), [](const ScoredLabel& a, const ScoredLabel& b) {
            return a.first > b.first || (a.first == b.first && a.second < b.second);
        });
        for (size_t j = 0; j < count; j++) {
            if (j < heap_.size()) {
                scores[j] = heap_[j].first;
                labels[j] = heap_[j].second;
            } else {
                scores[j] = -std::numeric_limits<float>::infinity();
                labels[j] = -1;
            }
        }
        heap_.clear();
    }

private:
    std::vector<ScoredLabel>& heap_;
    size_t k_;
};

}  // namespace stasis_shim
