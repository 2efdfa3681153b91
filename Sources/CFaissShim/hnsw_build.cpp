#include "internal/hnsw_build.h"

#include "internal/hnsw_store.h"
#include "internal/huge_pages.h"
#include "internal/kernels.h"
#include "internal/parallel.h"
#include "internal/unit_rows.h"

#include <faiss/IndexFlatCodes.h>
#include <faiss/utils/random.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace stasis_shim {
namespace {

/// (similarity, node). Similarities are inner products: larger is closer, the opposite of the
/// distances Faiss's HNSW code orders by (it negates inner products).
using Scored = std::pair<float, int32_t>;
struct WorstOnTop {
    bool operator()(const Scored& a, const Scored& b) const { return a.first > b.first; }
};
struct BestOnTop {
    bool operator()(const Scored& a, const Scored& b) const { return a.first < b.first; }
};

/// A reverse link found while computing a batch's forward links: `src` (a node of the batch)
/// chose `dest` (a node of the snapshot) on `level`, so `dest` should link back to `src`.
struct Edge {
    int32_t level;
    int32_t dest;
    int32_t src;
};

/// State shared by the threads of one add.
template <class Store>
struct Build {
    Build(faiss::HNSW& g, const Store& s, const float* x, const float* row_scales, int64_t first)
            : graph(g), store(s), vectors(x), scales(row_scales), n0(first) {}

    faiss::HNSW& graph;
    const Store& store;
    const float* vectors;  // the caller's rows of this add: node n0 + i is row i
    const float* scales;   // when set, row i is inserted as vectors[i] * scales[i] (a unit row)
    int64_t n0;

    void range(int32_t node, int level, size_t& begin, size_t& end) const {
        begin = graph.offsets[size_t(node)] + size_t(graph.cum_nneighbor_per_level[level]);
        end = graph.offsets[size_t(node)] + size_t(graph.cum_nneighbor_per_level[level + 1]);
    }
};

/// Per-thread working memory, reused across the points a thread links and the lists it merges.
///
/// Insertion runs in batches (see build_with). While a batch's forward links are computed the
/// graph is a frozen snapshot: each thread reads the lists of earlier nodes and writes only the
/// lists of the node it inserts, which no other thread can reach yet, so no locks are needed.
/// The reverse links are then merged once per (node, level) by exactly one thread.
template <class Store>
class Inserter {
    using Row = typename Store::Row;
    using Query = typename Store::Query;

public:
    Inserter(Build<Store>& b, size_t ntotal, size_t d) : b_(b), s_(b.store), visited_(ntotal, 0), d_(d) {
        size_t widest = 0;
        const auto& cum = b.graph.cum_nneighbor_per_level;
        for (size_t level = 0; level + 1 < cum.size(); level++)
            widest = std::max(widest, size_t(cum[level + 1] - cum[level]));
        ids_.resize(widest + 1);
        rows_.resize(widest + 1);
        sims_.resize(widest + 1);
        kept_rows_.resize(widest + 1);
        s_.init(query_);
        s_.init(link_query_);
        if (Store::kept_queries) {
            kept_queries_.resize(widest + 1);
            for (Query& q : kept_queries_) s_.init(q);
        }
        if (b.scales) unit_row_.resize(d);
    }

    /// Computes the forward links of node `id` (its row is already in the storage) with top
    /// level `level` against the snapshot: greedy descent from the entry point, then on each of
    /// its levels a beam search and the heuristic, written into id's own lists. Appends one
    /// Edge per chosen neighbour to `out` (at most id's total list size).
    size_t forward(int32_t id, int level, Edge* out) {
        const float* x = b_.vectors + size_t(id - b_.n0) * d_;
        if (b_.scales) {
            scale_row(x, b_.scales[id - b_.n0], unit_row_.data(), d_);
            x = unit_row_.data();
        }
        s_.set_vector(query_, x);
        int32_t nearest = b_.graph.entry_point;
        int current = b_.graph.max_level;
        float nearest_sim = s_.score(query_, s_.row(nearest));
        for (; current > level; current--) greedy(current, nearest, nearest_sim);
        size_t count = 0;
        int32_t* nb = b_.graph.neighbors.data();
        // Every level starts its beam from the node the descent reached, as in Faiss.
        for (; current >= 0; current--) {
            search_level(nearest, nearest_sim, current);
            pool_.assign(found_.begin(), found_.end());
            select(pool_, size_t(b_.graph.nb_neighbors(current)));
            size_t begin, end;
            b_.range(id, current, begin, end);
            size_t i = begin;
            for (const Scored& s : kept_) {
                if (s.second == id) continue;
                nb[i++] = s.second;
                out[count++] = Edge{current, s.second, id};
            }
            while (i < end) nb[i++] = -1;
        }
        return count;
    }

    /// Adds the sources of `incoming` (all for one node and level, sorted by source) to that
    /// node's list; an overflowing list re-selects once among old and new with the heuristic,
    /// as one add_link per source did, but pruning once.
    void merge(const Edge* incoming, size_t n) {
        const int32_t node = incoming[0].dest;
        const int level = incoming[0].level;
        size_t begin, end;
        b_.range(node, level, begin, end);
        int32_t* nb = b_.graph.neighbors.data();
        merge_ids_.clear();
        for (size_t j = begin; j < end && nb[j] >= 0; j++) merge_ids_.push_back(nb[j]);
        const size_t existing = merge_ids_.size();
        for (size_t k = 0; k < n; k++) {
            int32_t v = incoming[k].src;
            if (v == node || (k > 0 && v == incoming[k - 1].src)) continue;
            if (std::find(merge_ids_.begin(), merge_ids_.begin() + std::ptrdiff_t(existing), v) !=
                merge_ids_.begin() + std::ptrdiff_t(existing))
                continue;
            merge_ids_.push_back(v);
        }
        if (merge_ids_.size() <= end - begin) {
            for (size_t j = existing; j < merge_ids_.size(); j++) nb[begin + j] = merge_ids_[j];
            return;
        }
        s_.set_node(link_query_, node);
        const size_t count = merge_ids_.size();
        merge_rows_.resize(count);
        merge_sims_.resize(count);
        for (size_t j = 0; j < count; j++) merge_rows_[j] = s_.row(merge_ids_[j]);
        s_.score_gathered(link_query_, merge_rows_.data(), count, merge_sims_.data());
        link_pool_.clear();
        for (size_t j = 0; j < count; j++) link_pool_.emplace_back(merge_sims_[j], merge_ids_[j]);
        select(link_pool_, end - begin);
        size_t i = begin;
        for (const Scored& s : kept_) nb[i++] = s.second;
        while (i < end) nb[i++] = -1;
    }

private:
    /// Scores the query against the neighbours of `node` on `level` (skipping visited ones when
    /// `mark`). Returns the count; ids_/sims_ hold them in list order.
    size_t score_neighbours(int32_t node, int level, bool mark) {
        size_t begin, end, count = 0;
        b_.range(node, level, begin, end);
        const int32_t* nb = b_.graph.neighbors.data();
        for (size_t j = begin; j < end; j++) {
            int32_t v = nb[j];
            if (v < 0) break;
            if (mark) {
                if (visited_[size_t(v)] == epoch_) continue;
                visited_[size_t(v)] = epoch_;
            }
            ids_[count] = v;
            rows_[count] = s_.row(v);
            if (count < 4) s_.prefetch(rows_[count]);
            count++;
        }
        s_.score_gathered(query_, rows_.data(), count, sims_.data());
        return count;
    }

    /// Prefetches the start of `node`'s neighbour list on `level`.
    void prefetch_list(int32_t node, int level) const {
        const int32_t* list = b_.graph.neighbors.data() + b_.graph.offsets[size_t(node)] +
                              size_t(b_.graph.cum_nneighbor_per_level[level]);
        __builtin_prefetch(list);
        __builtin_prefetch(reinterpret_cast<const char*>(list) + 64);
    }

    /// Moves `nearest` to a better neighbour on `level` until none is better.
    void greedy(int level, int32_t& nearest, float& nearest_sim) {
        for (;;) {
            int32_t before = nearest;
            size_t count = score_neighbours(nearest, level, false);
            for (size_t j = 0; j < count; j++) {
                if (sims_[j] > nearest_sim) {
                    nearest = ids_[j];
                    nearest_sim = sims_[j];
                }
            }
            if (nearest == before) return;
        }
    }

    /// Beam search for the efConstruction nearest nodes on `level`, starting at `entry`.
    /// Leaves them in found_ (a worst-on-top heap).
    void search_level(int32_t entry, float entry_sim, int level) {
        // One byte per node (a quarter of the cache footprint of 32-bit tags), cleared every
        // 255 searches.
        if (++epoch_ == 0) {
            std::fill(visited_.begin(), visited_.end(), uint8_t(0));
            epoch_ = 1;
        }
        const size_t ef = size_t(b_.graph.efConstruction);
        found_.clear();
        candidates_.clear();
        candidates_.emplace_back(entry_sim, entry);
        found_.emplace_back(entry_sim, entry);
        visited_[size_t(entry)] = epoch_;
        while (!candidates_.empty()) {
            Scored best = candidates_.front();
            if (best.first < found_.front().first) break;  // found_ non-empty: holds the entry
            std::pop_heap(candidates_.begin(), candidates_.end(), BestOnTop());
            candidates_.pop_back();
            // The next candidate is likely expanded next: fetch its list while this one scores.
            if (!candidates_.empty()) prefetch_list(candidates_.front().second, level);
            size_t count = score_neighbours(best.second, level, true);
            for (size_t j = 0; j < count; j++) {
                float sim = sims_[j];
                if (found_.size() < ef || found_.front().first < sim) {
                    __builtin_prefetch(&b_.graph.offsets[size_t(ids_[j])]);
                    found_.emplace_back(sim, ids_[j]);
                    std::push_heap(found_.begin(), found_.end(), WorstOnTop());
                    candidates_.emplace_back(sim, ids_[j]);
                    std::push_heap(candidates_.begin(), candidates_.end(), BestOnTop());
                    if (found_.size() > ef) {
                        std::pop_heap(found_.begin(), found_.end(), WorstOnTop());
                        found_.pop_back();
                    }
                }
            }
        }
    }

    /// HNSW heuristic: from `pool` (any order), keeps at most `max_size` nodes, best first
    /// (equal scores by id, so the result does not depend on the pool's order), skipping a node
    /// closer to an already kept one than to the query. Faiss applies it only when the pool
    /// holds at least max_size nodes; so does this. Result in kept_.
    void select(std::vector<Scored>& pool, size_t max_size) {
        kept_.clear();
        std::sort(pool.begin(), pool.end(), [](const Scored& a, const Scored& c) {
            return a.first > c.first || (a.first == c.first && a.second < c.second);
        });
        if (pool.size() < max_size) {
            kept_.assign(pool.begin(), pool.end());
            return;
        }
        for (const Scored& candidate : pool) {
            size_t n = kept_.size();
            if (!s_.any_above(kept_queries_.data(), kept_rows_.data(), n, candidate.second, candidate.first)) {
                kept_.push_back(candidate);
                if (kept_.size() >= max_size) return;
                kept_rows_[n] = s_.row(candidate.second);
                if (Store::kept_queries) s_.set_node(kept_queries_[n], candidate.second);
            }
        }
    }

    Build<Store>& b_;
    const Store& s_;
    std::vector<uint8_t> visited_;
    uint8_t epoch_ = 0;
    size_t d_;
    Query query_, link_query_;
    std::vector<Query> kept_queries_;
    std::vector<int32_t> ids_, merge_ids_;
    std::vector<Row> rows_, kept_rows_, merge_rows_;
    std::vector<float> sims_, merge_sims_, unit_row_;
    std::vector<Scored> candidates_, found_, pool_, link_pool_, kept_;
};

/// Links the new nodes (`by_level`: buckets of node ids, bucket L holding the nodes whose top
/// level is L) into the graph, Faiss's deterministic batch scheme in our loop:
///
/// - Buckets from the top level down, each shuffled with Faiss's seed.
/// - Each bucket is inserted in prefix-doubling batches (1, 1, 2, 4, ... nodes, capped at 2% of
///   the index). Phase A, parallel over the batch: every node computes its forward links against
///   the graph as it was at the end of the previous batch (nobody can reach a node of the batch
///   yet, so the snapshot does not change under the readers) and records one reverse Edge per
///   chosen neighbour. Phase B, parallel over destinations: edges are grouped by (level, node)
///   and each group merged into that node's list once, pruning with the heuristic only if it
///   overflows. No locks; the graph does not depend on the number of threads or their timing.
/// - The entry point is the first node of the top bucket (an empty graph), or a node of a higher
///   level than the graph has, once its first batch (itself alone) is linked.
template <class Store>
void build_with(faiss::IndexHNSW& index, const Store& store, int64_t n0, int64_t n, const float* x,
                const float* scales, std::vector<std::vector<int32_t>>& by_level, int threads) {
    const size_t ntotal = size_t(index.ntotal);
    const size_t d = size_t(index.d);
    faiss::HNSW& graph = index.hnsw;
    Build<Store> build(graph, store, x, scales, n0);
    (void)n;
    // Inserters (visited tags of ntotal entries each) are reused across batches and phases.
    std::mutex idle_mutex;
    std::vector<std::unique_ptr<Inserter<Store>>> idle;
    auto with_inserter = [&](auto&& body) {
        std::unique_ptr<Inserter<Store>> inserter;
        {
            std::lock_guard<std::mutex> guard(idle_mutex);
            if (!idle.empty()) {
                inserter = std::move(idle.back());
                idle.pop_back();
            }
        }
        if (!inserter) inserter.reset(new Inserter<Store>(build, ntotal, d));
        body(*inserter);
        std::lock_guard<std::mutex> guard(idle_mutex);
        idle.push_back(std::move(inserter));
    };

    // Phase B groups edges into this many ranges of destination ids, merged in parallel.
    constexpr size_t kGroups = 256;
    const size_t group_width = ntotal / kGroups + 1;
    const size_t cap = std::max<size_t>(1, size_t(0.02 * double(ntotal)));
    std::vector<size_t> slot;             // phase A: node j of the batch writes edges from slot[j]
    std::vector<uint32_t> made;           // ... and made[j] of them
    std::vector<Edge> edges, grouped;
    std::vector<size_t> group_start(kGroups + 1);

    faiss::RandomGenerator shuffle(789);
    for (int level = int(by_level.size()) - 1; level >= 0; level--) {
        std::vector<int32_t>& nodes = by_level[size_t(level)];
        for (size_t j = 0; j + 1 < nodes.size(); j++)
            std::swap(nodes[j], nodes[j + size_t(shuffle.rand_int(int(nodes.size() - j)))]);
        if (nodes.empty()) continue;

        size_t s = 0;
        bool raise_after_first = false;
        if (graph.entry_point == -1) {
            graph.entry_point = nodes[0];
            graph.max_level = level;
            s = 1;  // the first node has nobody to link to
        } else if (level > graph.max_level) {
            raise_after_first = true;
        }
        while (s < nodes.size()) {
            const size_t e = std::min(nodes.size(), s + std::min(std::max<size_t>(s, 1), cap));
            const size_t count = e - s;

            // Phase A: forward links against the snapshot.
            slot.resize(count + 1);
            made.assign(count, 0);
            slot[0] = 0;
            for (size_t j = 0; j < count; j++) {
                const int32_t id = nodes[s + j];
                slot[j + 1] = slot[j] + (graph.offsets[size_t(id) + 1] - graph.offsets[size_t(id)]);
            }
            edges.resize(slot[count]);
            parallel_chunks(int64_t(count), count > 100 ? threads : 1, [&](int64_t begin, int64_t end) {
                with_inserter([&](Inserter<Store>& inserter) {
                    for (int64_t j = begin; j < end; j++)
                        made[size_t(j)] = uint32_t(inserter.forward(nodes[s + size_t(j)], level, &edges[slot[size_t(j)]]));
                });
            });

            // Phase B: group the reverse edges by destination range, then merge each (level,
            // node) once. Groups are contiguous id ranges: a thread merges nearby lists.
            std::fill(group_start.begin(), group_start.end(), size_t(0));
            size_t total = 0;
            for (size_t j = 0; j < count; j++) {
                for (size_t k = slot[j]; k < slot[j] + made[j]; k++) group_start[size_t(edges[k].dest) / group_width + 1]++;
                total += made[j];
            }
            for (size_t g = 0; g < kGroups; g++) group_start[g + 1] += group_start[g];
            grouped.resize(total);
            {
                std::vector<size_t> head(group_start.begin(), group_start.end() - 1);
                for (size_t j = 0; j < count; j++)
                    for (size_t k = slot[j]; k < slot[j] + made[j]; k++)
                        grouped[head[size_t(edges[k].dest) / group_width]++] = edges[k];
            }
            parallel_chunks(int64_t(kGroups), total > 256 ? threads : 1, [&](int64_t begin, int64_t end) {
                with_inserter([&](Inserter<Store>& inserter) {
                    for (int64_t g = begin; g < end; g++) {
                        Edge* p = grouped.data() + group_start[size_t(g)];
                        Edge* q = grouped.data() + group_start[size_t(g) + 1];
                        std::sort(p, q, [](const Edge& a, const Edge& b) {
                            if (a.dest != b.dest) return a.dest < b.dest;
                            if (a.level != b.level) return a.level < b.level;
                            return a.src < b.src;
                        });
                        while (p < q) {
                            Edge* r = p + 1;
                            while (r < q && r->dest == p->dest && r->level == p->level) r++;
                            inserter.merge(p, size_t(r - p));
                            p = r;
                        }
                    }
                });
            });

            if (raise_after_first) {
                graph.max_level = level;
                graph.entry_point = nodes[0];
                raise_after_first = false;
            }
            s = e;
        }
    }
}

}  // namespace

bool hnsw_build_applies(const faiss::IndexHNSW& index) {
    return index.metric_type == faiss::METRIC_INNER_PRODUCT && index.storage &&
           index.storage->metric_type == faiss::METRIC_INNER_PRODUCT &&
           (dynamic_cast<const faiss::IndexFlat*>(index.storage) != nullptr || is_sq8_storage(index)) &&
           index.storage->ntotal == index.ntotal && index.hnsw.levels.size() == size_t(index.ntotal);
}

/// Appends rows to the storage: as they are, or normalised piece by piece through a scratch
/// buffer of unit_piece_rows rows (the storage keeps only its own copy, or codes, of the batch).
void append_to_storage(faiss::Index& storage, int64_t n, const float* x, const float* scales, int threads) {
    if (!scales) return storage.add(n, x);
    const size_t d = size_t(storage.d);
    // Room for the whole batch first: growing piece by piece would double the capacity on the
    // way, and each reallocation holds the old and the new block at once.
    if (auto* flat = dynamic_cast<faiss::IndexFlatCodes*>(&storage)) {
        const size_t needed = flat->codes.size() + size_t(n) * flat->code_size;
        if (needed > flat->codes.capacity()) flat->codes.reserve(std::max(needed, 2 * flat->codes.capacity()));
    }
    const int64_t piece = std::min(n, unit_piece_rows(d));
    std::vector<float> unit(size_t(piece) * d);
    for (int64_t start = 0; start < n; start += piece) {
        const int64_t rows = std::min(piece, n - start);
        parallel_chunks(rows, unit_row_threads(d, threads), [&](int64_t begin, int64_t end) {
            for (int64_t i = begin; i < end; i++)
                scale_row(x + size_t(start + i) * d, scales[start + i], unit.data() + size_t(i) * d, d);
        });
        storage.add(rows, unit.data());
    }
}

void hnsw_add(faiss::IndexHNSW& index, int64_t n, const float* x, const float* scales, int threads) {
    if (n <= 0) return;
    faiss::HNSW& graph = index.hnsw;
    const int64_t n0 = index.ntotal;
    append_to_storage(*index.storage, n, x, scales, threads);
    index.ntotal = index.storage->ntotal;
    graph.prepare_level_tab(size_t(n), false);

    // Buckets of nodes by level, highest level first, each shuffled with Faiss's seed.
    std::vector<std::vector<int32_t>> by_level;
    for (int64_t i = 0; i < n; i++) {
        int level = graph.levels[size_t(n0 + i)] - 1;
        if (size_t(level) >= by_level.size()) by_level.resize(size_t(level) + 1);
        by_level[size_t(level)].push_back(int32_t(n0 + i));
    }

    const KernelTable& kernels = active_kernels();
    // Huge pages pay off for a large batch; a small add into a large index should not collapse
    // the whole storage again.
    const bool huge = n >= 4096;
    if (huge) advise_huge_pages(graph.neighbors.data(), graph.neighbors.size() * sizeof(graph.neighbors[0]));
    if (auto* flat = dynamic_cast<const faiss::IndexFlat*>(index.storage)) {
        if (huge) advise_huge_pages(flat->codes.data(), flat->codes.size());
        FlatStore store(index, kernels);
        build_with(index, store, n0, n, x, scales, by_level, threads);
    } else {
        auto& sq = static_cast<const faiss::IndexScalarQuantizer&>(*index.storage);
        if (huge) advise_huge_pages(sq.codes.data(), sq.codes.size());
        Sq8Store store(index, kernels);
        build_with(index, store, n0, n, x, scales, by_level, threads);
    }
}

}  // namespace stasis_shim
