#include "internal/list_scan.h"

#include "internal/ivf_common.h"
#include "internal/parallel.h"
#include "internal/scan_util.h"

#include <algorithm>
#include <vector>

namespace stasis_shim {
namespace {

/// From this batch size on, queries are grouped by list; below it each query scans on its own.
constexpr int64_t grouped_batch = 64;
/// Upper bound on the queries grouped together (memory for their heaps and scores).
constexpr int64_t max_block = 1024;
/// Rows of one list scored per tile in the grouped path (fit L2 next to the block's queries).
constexpr size_t tile_rows = 64;

struct IvfContext {
    const faiss::IndexIVFFlat& index;
    const KernelTable& kernels;
    const float* centroids;
    size_t d, nlist, probes;
    int64_t k;
    const fshim_filter* filter;
};

/// Writes the `probes` best lists of each coarse-score row into `out` (probes entries per query).
void choose_lists(const IvfContext& c, const float* coarse_scores, SearchScratch& s, int64_t* out) {
    choose_lists(coarse_scores, c.nlist, c.probes, s);
    for (size_t p = 0; p < c.probes; p++) out[p] = p < s.probes.size() ? s.probes[p].second : -1;
}

/// Per-query path: coarse scores with the kernels for groups of queries, then each query scans
/// its lists. No allocation once the scratch is warm (the single-query case).
void search_each(const IvfContext& c, int64_t begin, int64_t end, const float* x, float* scores,
                 int64_t* labels, SearchScratch& s) {
    s.coarse.resize(size_t(coarse_group) * c.nlist);
    s.chosen.resize(c.probes);
    for (int64_t group = begin; group < end; group += coarse_group) {
        size_t m = size_t(std::min<int64_t>(coarse_group, end - group));
        const float* queries[coarse_group];
        for (size_t i = 0; i < m; i++) queries[i] = x + size_t(group + int64_t(i)) * c.d;
        // Each centroid row is read once for the group instead of once per query.
        ip_many(c.kernels, queries, m, c.centroids, c.nlist, c.d, s.coarse.data());
        for (size_t i = 0; i < m; i++) {
            choose_lists(c, s.coarse.data() + i * c.nlist, s, s.chosen.data());
            TopK top(s.results, size_t(c.k));
            for (int64_t list : s.chosen) {
                if (list < 0) continue;
                ListView view(*c.index.invlists, size_t(list));
                if (view.size() == 0) continue;
                const faiss::Index::idx_t* ids = view.ids();
                scan_rows(c.kernels, queries[i], view.rows(), view.size(), c.d, c.filter, s, top,
                          [ids](size_t j) { return int64_t(ids[j]); });
            }
            int64_t row = group + int64_t(i);
            top.write(size_t(c.k), scores + row * c.k, labels + row * c.k);
        }
    }
}

/// Grouped path for queries [begin, end) whose lists are already chosen (`lists`, probes per
/// query): every list probed by the block is read once and scored against all its queries.
void search_block(const IvfContext& c, int64_t begin, int64_t end, const float* x, const int64_t* lists,
                  float* scores, int64_t* labels, SearchScratch& s) {
    const size_t m = size_t(end - begin);
    // Counting sort of (list, query) pairs by list.
    s.list_offsets.assign(c.nlist + 1, 0);
    const int64_t* block_lists = lists + size_t(begin) * c.probes;
    for (size_t i = 0; i < m * c.probes; i++)
        if (block_lists[i] >= 0) s.list_offsets[size_t(block_lists[i]) + 1]++;
    for (size_t l = 0; l < c.nlist; l++) s.list_offsets[l + 1] += s.list_offsets[l];
    s.list_members.resize(s.list_offsets[c.nlist]);
    s.tile.resize(std::max<size_t>(s.tile.size(), m * tile_rows));
    s.member_rows.resize(std::max<size_t>(s.member_rows.size(), m));
    s.list_cursor.assign(s.list_offsets.begin(), s.list_offsets.end() - 1);
    for (size_t i = 0; i < m; i++)
        for (size_t p = 0; p < c.probes; p++) {
            int64_t list = lists[(size_t(begin) + i) * c.probes + p];
            if (list >= 0) s.list_members[s.list_cursor[size_t(list)]++] = uint32_t(i);
        }
    if (s.heaps.size() < m) s.heaps.resize(m);
    for (size_t i = 0; i < m; i++) s.heaps[i].clear();

    for (size_t list = 0; list < c.nlist; list++) {
        uint32_t first = s.list_offsets[list], count = s.list_offsets[list + 1] - first;
        if (count == 0) continue;
        ListView view(*c.index.invlists, list);
        if (view.size() == 0) continue;
        const uint32_t* members = s.list_members.data() + first;
        for (uint32_t j = 0; j < count; j++) s.member_rows[j] = x + (size_t(begin) + members[j]) * c.d;
        const faiss::Index::idx_t* ids = view.ids();
        for (size_t start = 0; start < view.size(); start += tile_rows) {
            size_t rows = std::min(tile_rows, view.size() - start);
            ip_many(c.kernels, s.member_rows.data(), count, view.rows() + start * c.d, rows, c.d, s.tile.data());
            for (uint32_t j = 0; j < count; j++) {
                TopK top(s.heaps[members[j]], size_t(c.k), /*resume=*/true);
                const float* row_scores = s.tile.data() + size_t(j) * rows;
                for (size_t r = 0; r < rows; r++) {
                    float score = row_scores[r];
                    if (top.full() && score <= top.threshold()) continue;
                    int64_t label = ids[start + r];
                    if (eligible(c.filter, label)) top.offer(score, label);
                }
            }
        }
    }
    for (size_t i = 0; i < m; i++) {
        int64_t row = begin + int64_t(i);
        TopK(s.heaps[i], size_t(c.k), /*resume=*/true).write(size_t(c.k), scores + row * c.k, labels + row * c.k);
    }
}

}  // namespace

bool ivf_flat_fast_path_applies(const faiss::Index& index) {
    auto* ivf = dynamic_cast<const faiss::IndexIVFFlat*>(&index);
    if (!ivf || dynamic_cast<const faiss::IndexIVFFlatDedup*>(&index)) return false;
    auto* coarse = dynamic_cast<const faiss::IndexFlat*>(ivf->quantizer);
    return ivf->metric_type == faiss::METRIC_INNER_PRODUCT && ivf->invlists && coarse &&
           coarse->metric_type == faiss::METRIC_INNER_PRODUCT && size_t(coarse->ntotal) == ivf->nlist &&
           ivf->invlists->code_size == size_t(ivf->d) * sizeof(float);
}

void ivf_flat_search(const faiss::IndexIVFFlat& index, const KernelTable& kernels, int64_t n,
                     const float* x, int64_t k, int nprobe, const fshim_filter* filter, float* scores,
                     int64_t* labels, int threads, ScratchPool& pool) {
    const size_t nlist = index.nlist;
    IvfContext c{index, kernels, static_cast<const faiss::IndexFlat&>(*index.quantizer).get_xb(),
                 size_t(index.d), nlist, std::min(nlist, size_t(std::max(nprobe, 1))), k, filter};
    if (n < grouped_batch) {
        parallel_chunks(n, threads, [&](int64_t begin, int64_t end) {
            auto lease = pool.lease();
            search_each(c, begin, end, x, scores, labels, *lease);
        });
        return;
    }

    // Every query's lists first (coarse scores: see batch_coarse_scores for who computes them).
    const std::vector<float> batch = batch_coarse_scores(n, x, c.centroids, nlist, c.d, threads);
    std::vector<int64_t> lists(size_t(n) * c.probes);
    parallel_chunks(n, threads, [&](int64_t begin, int64_t end) {
        auto lease = pool.lease();
        for (int64_t group = begin; group < end; group += coarse_group) {
            size_t m = size_t(std::min<int64_t>(coarse_group, end - group));
            const float* queries[coarse_group];
            for (size_t i = 0; i < m; i++) queries[i] = x + size_t(group + int64_t(i)) * c.d;
            const float* coarse =
                group_coarse_scores(batch, group, m, queries, c.kernels, c.centroids, nlist, c.d, *lease);
            for (size_t i = 0; i < m; i++)
                choose_lists(c, coarse + i * nlist, *lease, lists.data() + size_t(group + int64_t(i)) * c.probes);
        }
    });

    // One block per thread when it fits: the more queries share a block, the more of them share
    // each list read.
    int64_t block = std::min(max_block, (n + std::max(threads, 1) - 1) / std::max(threads, 1));
    int64_t blocks = (n + block - 1) / block;
    parallel_chunks(blocks, threads, [&](int64_t first, int64_t last) {
        auto lease = pool.lease();
        for (int64_t b = first; b < last; b++)
            search_block(c, b * block, std::min(n, (b + 1) * block), x, lists.data(), scores, labels, *lease);
    });
}

}  // namespace stasis_shim
