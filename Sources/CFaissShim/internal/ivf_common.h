// Coarse assignment shared by the IVF scanners: score the centroids, keep the nprobe best.
#pragma once
#include "kernels.h"
#include "scratch.h"
#include "top_k.h"

#include <faiss/utils/distances.h>

#include <cblas.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace stasis_shim {

/// Queries whose coarse scores the per-query path computes together (two 4x4 kernel tiles).
constexpr int64_t coarse_group = 8;

/// Coarse scores of a whole batch as one BLAS product (n x nlist), on one thread only; empty
/// below Faiss's BLAS threshold or on several threads, where the scan threads compute each group's
/// scores with the kernels (group_coarse_scores). One thread: OpenBLAS runs the product on the
/// caller, 7-17 % more QPS than the kernels at nprobe 4-16. Several: after a threaded product
/// returns, OpenBLAS's pthread workers keep spinning (sched_yield) on the cores the scan threads
/// need next. 100k x 384, 1000 queries, 2 threads, median of 7 (best): IVF1024,PQ48 nprobe 16
/// BLAS 20.8-23.0k QPS (31.9-37.7k), kernels 33.9-35.4k (34.7-35.6k); IVF1024,SQ8 nprobe 8 24.1k
/// (41.0k) against 39.7k (39.8k); IVF1024,Flat nprobe 4 57.8k against 53.7k.
inline std::vector<float> batch_coarse_scores(int64_t n, const float* x, const float* centroids,
                                              size_t nlist, size_t d, int threads) {
    std::vector<float> coarse;
    if (n < faiss::distance_compute_blas_threshold || threads > 1) return coarse;
    coarse.resize(size_t(n) * nlist);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(n), int(nlist), int(d), 1.0f, x, int(d),
                centroids, int(d), 0.0f, coarse.data(), int(nlist));
    return coarse;
}

/// The `probes` best lists of one query's coarse scores into s.probes (heap order; entries are
/// (score, list)).
inline void choose_lists(const float* coarse_scores, size_t nlist, size_t probes, SearchScratch& s) {
    TopK chosen(s.probes, probes);
    size_t list = 0;
    for (; list < nlist && !chosen.full(); list++) chosen.offer(coarse_scores[list], int64_t(list));
    if (list == nlist || probes == 0) return;
    // Once full, a list enters only above the worst kept score (what offer() checks): test that
    // inline, so the usual rejection is one compare instead of a call (8% of IVF-PQ at nprobe 8).
    float worst = chosen.threshold();
    for (; list < nlist; list++) {
        const float score = coarse_scores[list];
        if (!(score > worst)) continue;
        chosen.offer(score, int64_t(list));
        worst = chosen.threshold();
    }
}

/// Coarse scores for queries [group, group + m) of a chunk: rows of the batch product when there
/// is one, else computed now into s.coarse.
inline const float* group_coarse_scores(const std::vector<float>& batch, int64_t group, size_t m,
                                        const float* const* queries, const KernelTable& kernels,
                                        const float* centroids, size_t nlist, size_t d, SearchScratch& s) {
    if (!batch.empty()) return batch.data() + size_t(group) * nlist;
    s.coarse.resize(size_t(coarse_group) * nlist);
    ip_many(kernels, queries, m, centroids, nlist, d, s.coarse.data());
    return s.coarse.data();
}

}  // namespace stasis_shim
