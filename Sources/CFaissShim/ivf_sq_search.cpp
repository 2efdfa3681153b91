// IVF-SQ8 search. Debian's generic build decodes 8-bit codes one component at a time (~8x slower
// than the wheel); here the affine decoding x_i = vmin_i + (c_i + 0.5) / 255 * vdiff_i is folded
// into per-query weights, so scoring a code is one u8 x float dot product in SIMD:
//   <q, x> = sum_i q_i vmin_i + 0.5 sum_i w_i + sum_i w_i c_i,   w_i = q_i vdiff_i / 255
// plus the list's coarse score when codes hold residuals (Faiss's default, by_residual).
#include "internal/list_scan.h"

#include "internal/ivf_common.h"
#include "internal/parallel.h"
#include "internal/scan_util.h"

#include <faiss/IndexScalarQuantizer.h>

#include <algorithm>

namespace stasis_shim {

bool ivf_sq8_fast_path_applies(const faiss::Index& index) {
    auto* ivf = dynamic_cast<const faiss::IndexIVFScalarQuantizer*>(&index);
    if (!ivf) return false;
    auto* coarse = dynamic_cast<const faiss::IndexFlat*>(ivf->quantizer);
    const size_t d = size_t(ivf->d);
    return ivf->metric_type == faiss::METRIC_INNER_PRODUCT && ivf->invlists && coarse &&
           coarse->metric_type == faiss::METRIC_INNER_PRODUCT && size_t(coarse->ntotal) == ivf->nlist &&
           ivf->sq.qtype == faiss::ScalarQuantizer::QT_8bit && ivf->sq.trained.size() == 2 * d &&
           ivf->sq.code_size == d && ivf->invlists->code_size == d;
}

void ivf_sq8_search(const faiss::IndexIVFScalarQuantizer& index, const KernelTable& kernels, int64_t n,
                    const float* x, int64_t k, int nprobe, const fshim_filter* filter, float* scores,
                    int64_t* labels, int threads, ScratchPool& pool) {
    const size_t d = size_t(index.d), nlist = index.nlist;
    const size_t probes = std::min(nlist, size_t(std::max(nprobe, 1)));
    const float* centroids = static_cast<const faiss::IndexFlat&>(*index.quantizer).get_xb();
    const float* vmin = index.sq.trained.data();
    const float* vdiff = vmin + d;
    const std::vector<float> batch = batch_coarse_scores(n, x, centroids, nlist, d, threads);

    parallel_chunks(n, threads, [&](int64_t begin, int64_t end) {
        auto lease = pool.lease();
        SearchScratch& s = *lease;
        s.weights.resize(d);
        for (int64_t group = begin; group < end; group += coarse_group) {
            size_t m = size_t(std::min<int64_t>(coarse_group, end - group));
            const float* queries[coarse_group];
            for (size_t i = 0; i < m; i++) queries[i] = x + size_t(group + int64_t(i)) * d;
            const float* coarse = group_coarse_scores(batch, group, m, queries, kernels, centroids, nlist, d, s);
            for (size_t i = 0; i < m; i++) {
                const float* q = queries[i];
                float offset = 0, half = 0;
                for (size_t j = 0; j < d; j++) {
                    s.weights[j] = q[j] * vdiff[j] / 255.0f;
                    offset += q[j] * vmin[j];
                    half += s.weights[j];
                }
                offset += 0.5f * half;
                choose_lists(coarse + i * nlist, nlist, probes, s);
                TopK top(s.results, size_t(k));
                for (const ScoredLabel& probe : s.probes) {
                    ListView view(*index.invlists, size_t(probe.second));
                    if (view.size() == 0) continue;
                    const uint8_t* codes = view.codes();
                    const faiss::Index::idx_t* ids = view.ids();
                    const float base = offset + (index.by_residual ? probe.first : 0.0f);
                    for (size_t r = 0; r < view.size(); r++) {
                        float score = base + kernels.ip_u8(s.weights.data(), codes + r * d, d);
                        if (top.full() && score <= top.threshold()) continue;
                        if (eligible(filter, ids[r])) top.offer(score, ids[r]);
                    }
                }
                int64_t row = group + int64_t(i);
                top.write(size_t(k), scores + row * k, labels + row * k);
            }
        }
    });
}

}  // namespace stasis_shim
