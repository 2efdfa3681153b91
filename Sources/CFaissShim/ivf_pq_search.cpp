// IVF-PQ search with the shim's PQ kernels (table scans) instead of Debian's generic Faiss scan.
//
// For the inner product, <q, c + r> = <q, c> + <q, r>: the coarse score of the list plus the
// table sum over the residual's code. The table depends on the query only, so it is built once
// per query (Faiss does the same for the inner product; batches build four queries' tables per
// pass over the centroids) and each probed list costs one scan.
#include "internal/ivf_pq.h"

#include "internal/ivf_common.h"
#include "internal/list_scan.h"
#include "internal/parallel.h"
#include "internal/pq_kernels.h"
#include "internal/scan_util.h"

#include <algorithm>
#include <typeinfo>

namespace stasis_shim {

bool ivf_pq_fast_path_applies(const faiss::Index& index) {
    if (typeid(index) != typeid(faiss::IndexIVFPQ)) return false;  // IVFPQR refines: Faiss's path
    const auto& ivf = static_cast<const faiss::IndexIVFPQ&>(index);
    auto* coarse = dynamic_cast<const faiss::IndexFlat*>(ivf.quantizer);
    const faiss::ProductQuantizer& pq = ivf.pq;
    return ivf.metric_type == faiss::METRIC_INNER_PRODUCT && ivf.invlists && coarse &&
           coarse->metric_type == faiss::METRIC_INNER_PRODUCT && size_t(coarse->ntotal) == ivf.nlist &&
           ivf.polysemous_ht == 0 && pq.nbits == 8 && pq.ksub == pq_ksub && pq.M > 0 &&
           pq.dsub * pq.M == size_t(ivf.d) && pq.code_size == pq.M && ivf.code_size == pq.M &&
           ivf.invlists->code_size == pq.M && pq.centroids.size() == pq.M * pq_ksub * pq.dsub;
}

namespace {

/// From this many queries a search transposes the centroids once and builds tables
/// pq_lut_block queries at a time (PqKernelTable::lut_block); below, one table per query
/// (`lut`), so a single query pays no transposition (as much work as its table).
constexpr int64_t lut_block_min_queries = 16;

}  // namespace

void ivf_pq_search(const faiss::IndexIVFPQ& index, const KernelTable& kernels, int64_t n, const float* x,
                   int64_t k, int nprobe, const fshim_filter* filter, float* scores, int64_t* labels,
                   int threads, ScratchPool& pool) {
    const size_t d = size_t(index.d), nlist = index.nlist;
    const size_t probes = std::min(nlist, size_t(std::max(nprobe, 1)));
    const size_t M = index.pq.M, dsub = index.pq.dsub, table = M * pq_ksub;
    const float* centroids = static_cast<const faiss::IndexFlat&>(*index.quantizer).get_xb();
    const PqKernelTable& pq = pq_kernels_for(kernels);
    const std::vector<float> batch = batch_coarse_scores(n, x, centroids, nlist, d, threads);
    std::vector<float> transposed;
    if (n >= lut_block_min_queries) {
        transposed.resize(index.pq.centroids.size());
        pq_transpose_centroids(index.pq.centroids.data(), M, dsub, transposed.data());
    }

    parallel_chunks(n, threads, [&](int64_t begin, int64_t end) {
        auto lease = pool.lease();
        SearchScratch& s = *lease;
        s.weights.resize(pq_lut_block * table);  // the tables of up to pq_lut_block queries
        if (s.scores.size() < block_rows) s.scores.resize(block_rows);
        for (int64_t group = begin; group < end; group += coarse_group) {
            size_t m = size_t(std::min<int64_t>(coarse_group, end - group));
            const float* queries[coarse_group];
            for (size_t i = 0; i < m; i++) queries[i] = x + size_t(group + int64_t(i)) * d;
            const float* coarse = group_coarse_scores(batch, group, m, queries, kernels, centroids, nlist, d, s);
            for (size_t i = 0; i < m; i++) {
                const size_t slot = i % pq_lut_block;
                if (transposed.empty()) {
                    pq.lut(queries[i], index.pq.centroids.data(), M, dsub, s.weights.data());
                } else if (slot == 0) {
                    const size_t count = std::min(pq_lut_block, m - i);
                    float* tables[pq_lut_block];
                    for (size_t b = 0; b < count; b++) tables[b] = s.weights.data() + b * table;
                    pq.lut_block(queries + i, count, transposed.data(), M, dsub, tables);
                }
                const float* lut = s.weights.data() + (transposed.empty() ? 0 : slot * table);
                choose_lists(coarse + i * nlist, nlist, probes, s);
                TopK top(s.results, size_t(k));
                for (const ScoredLabel& probe : s.probes) {
                    ListView view(*index.invlists, size_t(probe.second));
                    if (view.size() == 0) continue;
                    const uint8_t* codes = view.codes();
                    const faiss::Index::idx_t* ids = view.ids();
                    const float base = index.by_residual ? probe.first : 0.0f;
                    for (size_t start = 0; start < view.size(); start += block_rows) {
                        size_t rows = std::min(block_rows, view.size() - start);
                        pq.scan(lut, codes + start * M, rows, M, s.scores.data());
                        for (size_t r = 0; r < rows; r++) {
                            float score = base + s.scores[r];
                            if (top.full() && score <= top.threshold()) continue;
                            int64_t label = ids[start + r];
                            if (eligible(filter, label)) top.offer(score, label);
                        }
                    }
                }
                int64_t row = group + int64_t(i);
                top.write(size_t(k), scores + row * k, labels + row * k);
            }
        }
    });
}

}  // namespace stasis_shim
