// Pieces shared by the exact scans (IVF lists, Flat storage): block scoring into a top-k with the
// slot filter, and a view of one inverted list.
#pragma once
#include "faiss_shim.h"
#include "kernels.h"
#include "scratch.h"
#include "slot_filter.h"
#include "top_k.h"

#include <faiss/invlists/InvertedLists.h>

#include <algorithm>
#include <cstdint>

namespace stasis_shim {

/// Rows scored per kernel pass: large enough to amortise the call, small enough to stay in L1/L2.
constexpr size_t block_rows = 256;

/// Offers rows [0, count) of a contiguous block to `top`, labels from `label_of(j)`.
template <typename LabelOf>
void scan_rows(const KernelTable& kernels, const float* q, const float* rows, size_t count, size_t d,
               const fshim_filter* filter, SearchScratch& s, TopK& top, LabelOf label_of) {
    if (s.scores.size() < block_rows) s.scores.resize(block_rows);
    for (size_t start = 0; start < count; start += block_rows) {
        size_t m = std::min(block_rows, count - start);
        ip_contiguous(kernels, q, rows + start * d, m, d, s.scores.data());
        for (size_t j = 0; j < m; j++) {
            float score = s.scores[j];
            if (top.full() && score <= top.threshold()) continue;
            int64_t label = label_of(start + j);
            if (eligible(filter, label)) top.offer(score, label);
        }
    }
}

/// Codes and ids of one inverted list, released as the InvertedLists contract asks (a no-op
/// for the in-memory lists, required for on-disk ones).
class ListView {
public:
    ListView(const faiss::InvertedLists& lists, size_t list)
            : lists_(lists), list_(list), size_(lists.list_size(list)),
              codes_(size_ ? lists.get_codes(list) : nullptr), ids_(size_ ? lists.get_ids(list) : nullptr) {}
    ListView(const ListView&) = delete;
    ListView& operator=(const ListView&) = delete;
    ~ListView() {
        if (codes_) lists_.release_codes(list_, codes_);
        if (ids_) lists_.release_ids(list_, ids_);
    }
    size_t size() const { return size_; }
    /// IVF-Flat codes are the float rows themselves.
    const float* rows() const { return reinterpret_cast<const float*>(codes_); }
    const uint8_t* codes() const { return codes_; }
    const faiss::Index::idx_t* ids() const { return ids_; }

private:
    const faiss::InvertedLists& lists_;
    size_t list_;
    size_t size_;
    const uint8_t* codes_;
    const faiss::Index::idx_t* ids_;
};

}  // namespace stasis_shim
