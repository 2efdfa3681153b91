// Unfiltered Flat batches: BLAS blocks of scores, then each query's top k on the shim's threads.
//
// Faiss 1.7.3 (exhaustive_inner_product_blas) follows each sgemm with a heap pass over the block
// that runs on OpenMP, which the shim keeps at one thread around BLAS work (the two pools on the
// same cores measured 2.2x slower). That pass is a scalar compare per score, one thread, while
// the second core idles. Here the pass first compares sixteen scores at a time with the query's
// current k-th best (vectorised; nearly every block of a large gallery holds no candidate) and
// only then touches the heap, and the block's queries are split over `threads` std::threads:
// OpenBLAS's idle workers yield the core (sched_yield) instead of spinning as libgomp does.
#include "internal/list_scan.h"

#include "internal/parallel.h"
#include "internal/top_k.h"

#include <cblas.h>

#include <algorithm>
#include <vector>

namespace stasis_shim {
namespace {

/// Offers the scores of one query against rows [r0, r0 + count) to its top k.
void keep_best(const float* block_scores, size_t count, size_t r0, TopK& top) {
    size_t j = 0;
    for (; j < count && !top.full(); j++) top.offer(block_scores[j], int64_t(r0 + j));
    float threshold = top.threshold();
    for (; j + 16 <= count; j += 16) {
        const float* s = block_scores + j;
        int any = 0;
        for (int t = 0; t < 16; t++) any |= s[t] > threshold;  // branch-free: vectorised
        if (!any) continue;
        for (int t = 0; t < 16; t++) {
            if (s[t] > threshold) {
                top.offer(s[t], int64_t(r0 + j + size_t(t)));
                threshold = top.threshold();
            }
        }
    }
    for (; j < count; j++) {
        if (block_scores[j] > threshold) {
            top.offer(block_scores[j], int64_t(r0 + j));
            threshold = top.threshold();
        }
    }
}

}  // namespace

void flat_blas_search(const faiss::IndexFlat& index, int64_t n, const float* x, int64_t k, float* scores,
                      int64_t* labels, int threads) {
    const size_t d = size_t(index.d), ntotal = size_t(index.ntotal);
    // One block of scores is 1024 queries x 2048 rows (8 MiB; the VM's last-level cache is far
    // larger). More queries per block means fewer passes of the gallery through OpenBLAS's
    // packing: 100k x 384, 1000-2000 queries, 2 threads, SkylakeX kernels, best of 6 interleaved
    // runs: 256 x 4096 1120-1480 QPS, 512 x 2048 1350-1645, 1024 x 2048 1595-1686, 1024 x 4096
    // 1362, 2048 x 1024 1118-1700 (docs/benchmarks.md, issue 21). The same blocks as the
    // filtered search, so a gallery's scores do not change in the last bit when its first
    // removal moves it between the two. (A compaction moves rows to other positions in the
    // blocks; some OpenBLAS kernel families then round differently in the last bit.)
    const int64_t query_block = 1024;
    const size_t row_block = 2048;
    std::vector<float> block(size_t(std::min<int64_t>(query_block, n)) * std::min(row_block, ntotal));
    std::vector<std::vector<ScoredLabel>> heaps(size_t(std::min<int64_t>(query_block, n)));
    for (auto& heap : heaps) heap.reserve(size_t(k));
    const float* rows = index.get_xb();
    for (int64_t q0 = 0; q0 < n; q0 += query_block) {
        const int64_t qn = std::min(query_block, n - q0);
        for (int64_t i = 0; i < qn; i++) heaps[size_t(i)].clear();
        for (size_t r0 = 0; r0 < ntotal; r0 += row_block) {
            const size_t rn = std::min(row_block, ntotal - r0);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(qn), int(rn), int(d), 1.0f,
                        x + size_t(q0) * d, int(d), rows + r0 * d, int(d), 0.0f, block.data(), int(rn));
            parallel_chunks(qn, threads, [&](int64_t begin, int64_t end) {
                for (int64_t i = begin; i < end; i++) {
                    TopK top(heaps[size_t(i)], size_t(k), /*resume=*/true);
                    keep_best(block.data() + size_t(i) * rn, rn, r0, top);
                }
            });
        }
        for (int64_t i = 0; i < qn; i++) {
            TopK top(heaps[size_t(i)], size_t(k), /*resume=*/true);
            top.write(size_t(k), scores + (q0 + i) * k, labels + (q0 + i) * k);
        }
    }
}

}  // namespace stasis_shim
