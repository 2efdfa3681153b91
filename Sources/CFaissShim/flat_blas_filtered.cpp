// Flat batches with a slot filter (removed or replaced slots, or a version restriction).
//
// Faiss 1.7.3 answers a filtered IndexFlat search with its scalar per-pair loop (the IDSelector
// disables the BLAS path), which made searches 15-26x slower as soon as one vector was removed or
// moved to another version (a gallery in the middle of a backfill). Here the scores come from
// BLAS blocks as in the unfiltered case and the filter is applied while keeping each query's top k.
#include "internal/list_scan.h"

#include "internal/slot_filter.h"
#include "internal/top_k.h"

#include <cblas.h>

#include <algorithm>
#include <vector>

namespace stasis_shim {

void flat_blas_filtered_search(const faiss::IndexFlat& index, int64_t n, const float* x, int64_t k,
                               const fshim_filter* filter, float* scores, int64_t* labels) {
    const size_t d = size_t(index.d), ntotal = size_t(index.ntotal);
    // The unfiltered search's blocks (flat_blas.cpp: 1024 x 2048, measured there), so scores
    // agree bit for bit between the two paths; buffers sized for this batch, not the largest.
    const int64_t query_block = 1024;
    const size_t row_block = 2048;
    std::vector<float> block(size_t(std::min<int64_t>(query_block, n)) * std::min(row_block, ntotal));
    std::vector<std::vector<ScoredLabel>> heaps(size_t(std::min<int64_t>(query_block, n)));
    const float* rows = index.get_xb();
    for (int64_t q0 = 0; q0 < n; q0 += query_block) {
        const int64_t qn = std::min(query_block, n - q0);
        std::vector<TopK> tops;
        tops.reserve(size_t(qn));
        for (int64_t i = 0; i < qn; i++) tops.emplace_back(heaps[size_t(i)], size_t(k));
        for (size_t r0 = 0; r0 < ntotal; r0 += row_block) {
            const size_t rn = std::min(row_block, ntotal - r0);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(qn), int(rn), int(d), 1.0f, x + size_t(q0) * d,
                        int(d), rows + r0 * d, int(d), 0.0f, block.data(), int(rn));
            for (int64_t i = 0; i < qn; i++) {
                TopK& top = tops[size_t(i)];
                const float* row_scores = block.data() + size_t(i) * rn;
                for (size_t j = 0; j < rn; j++) {
                    const float score = row_scores[j];
                    if (top.full() && score <= top.threshold()) continue;
                    const int64_t label = int64_t(r0 + j);
                    if (eligible(filter, label)) top.offer(score, label);
                }
            }
        }
        for (int64_t i = 0; i < qn; i++) tops[size_t(i)].write(size_t(k), scores + (q0 + i) * k, labels + (q0 + i) * k);
    }
}

}  // namespace stasis_shim
