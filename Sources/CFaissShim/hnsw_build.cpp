#include "internal/hnsw_build.h"

#include "internal/hnsw_store.h"
#include "internal/kernels.h"
#include "internal/parallel.h"

#include <faiss/utils/random.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
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

/// One byte per node: std::mutex is 40 bytes, so the lock array of a large build spans megabytes
/// and every lock was a cache miss of its own. Waits are rare (a few threads over many nodes) and
/// short; a waiter yields so an oversubscribed machine still makes progress.
struct NodeLock {
    std::atomic<uint8_t> held{0};
    void lock() {
        for (int spins = 0; held.exchange(1, std::memory_order_acquire) != 0; spins++) {
            while (held.load(std::memory_order_relaxed) != 0) {
                if (++spins > 64) std::this_thread::yield();
            }
        }
    }
    void unlock() { held.store(0, std::memory_order_release); }
};

/// State shared by the threads of one add.
template <class Store>
struct Build {
    Build(faiss::HNSW& g, const Store& s, const float* x, int64_t first, size_t ntotal)
            : graph(g), store(s), vectors(x), n0(first), locks(new NodeLock[ntotal]) {}

    faiss::HNSW& graph;
    const Store& store;
    const float* vectors;  // the caller's rows of this add: node n0 + i is row i
    int64_t n0;
    std::unique_ptr<NodeLock[]> locks;    // one per node: guards its neighbour lists
    std::mutex entry_mutex;               // guards entry_point / max_level

    void range(int32_t node, int level, size_t& begin, size_t& end) const {
        begin = graph.offsets[size_t(node)] + size_t(graph.cum_nneighbor_per_level[level]);
        end = graph.offsets[size_t(node)] + size_t(graph.cum_nneighbor_per_level[level + 1]);
    }
};

/// Per-thread working memory, reused across the points a thread inserts.
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
    }

    /// Inserts node `id` (its row is already in the storage) with top level `level`.
    void insert(int32_t id, int level) {
        s_.set_vector(query_, b_.vectors + size_t(id - b_.n0) * d_);
        int32_t nearest;
        {
            std::lock_guard<std::mutex> guard(b_.entry_mutex);
            nearest = b_.graph.entry_point;
            if (nearest == -1) {
                b_.graph.max_level = level;
                b_.graph.entry_point = id;
            }
        }
        if (nearest < 0) return;

        std::unique_lock<NodeLock> own(b_.locks[size_t(id)]);
        int current = b_.graph.max_level;
        float nearest_sim = s_.score(query_, s_.row(nearest));
        for (; current > level; current--) greedy(current, nearest, nearest_sim);
        // Every level starts its beam from the node the descent reached, as in Faiss.
        for (; current >= 0; current--) link(id, nearest, nearest_sim, current, own);
        own.unlock();

        if (level > b_.graph.max_level) {
            std::lock_guard<std::mutex> guard(b_.entry_mutex);
            if (level > b_.graph.max_level) {
                b_.graph.max_level = level;
                b_.graph.entry_point = id;
            }
        }
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

    /// HNSW heuristic: from `pool` (any order), keeps at most `max_size` nodes, best first,
    /// skipping a node closer to an already kept one than to the query. Faiss applies it only
    /// when the pool holds at least max_size nodes; so does this. Result in kept_.
    void select(std::vector<Scored>& pool, size_t max_size) {
        kept_.clear();
        std::sort(pool.begin(), pool.end(), [](const Scored& a, const Scored& c) { return a.first > c.first; });
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

    /// Adds `dest` to `src`'s list on `level`; a full list re-selects among old and new. The
    /// caller holds src's lock.
    void add_link(int32_t src, int32_t dest, int level) {
        size_t begin, end;
        b_.range(src, level, begin, end);
        int32_t* nb = b_.graph.neighbors.data();
        if (nb[end - 1] == -1) {
            size_t i = end;
            while (i > begin && nb[i - 1] == -1) i--;
            nb[i] = dest;
            return;
        }
        s_.set_node(link_query_, src);
        size_t count = 0;
        ids_[count] = dest;
        rows_[count++] = s_.row(dest);
        for (size_t j = begin; j < end; j++) {
            ids_[count] = nb[j];
            rows_[count++] = s_.row(nb[j]);
        }
        s_.score_gathered(link_query_, rows_.data(), count, sims_.data());
        link_pool_.clear();
        for (size_t j = 0; j < count; j++) link_pool_.emplace_back(sims_[j], ids_[j]);
        select(link_pool_, end - begin);
        size_t i = begin;
        for (const Scored& s : kept_) nb[i++] = s.second;
        while (i < end) nb[i++] = -1;
    }

    /// Links `id` on `level`: search, select, link both ways. Enters and leaves with `own`
    /// (id's lock) held; releases it while locking neighbours, as Faiss does, so two inserting
    /// threads never wait on each other's nodes in opposite order.
    void link(int32_t id, int32_t nearest, float nearest_sim, int level, std::unique_lock<NodeLock>& own) {
        search_level(nearest, nearest_sim, level);
        size_t max_size = size_t(b_.graph.nb_neighbors(level));
        pool_.assign(found_.begin(), found_.end());
        select(pool_, max_size);
        chosen_.clear();
        for (const Scored& s : kept_) chosen_.push_back(s.second);
        for (int32_t other : chosen_) add_link(id, other, level);
        own.unlock();
        for (int32_t other : chosen_) {
            std::lock_guard<NodeLock> guard(b_.locks[size_t(other)]);
            add_link(other, id, level);
        }
        own.lock();
    }

    Build<Store>& b_;
    const Store& s_;
    std::vector<uint8_t> visited_;
    uint8_t epoch_ = 0;
    size_t d_;
    Query query_, link_query_;
    std::vector<Query> kept_queries_;
    std::vector<int32_t> ids_;
    std::vector<Row> rows_, kept_rows_;
    std::vector<float> sims_;
    std::vector<Scored> candidates_, found_, pool_, link_pool_, kept_;
    std::vector<int32_t> chosen_;
};

/// Asks the kernel to back the 2 MiB-aligned interior of [p, p + bytes) with huge pages, now
/// (MADV_COLLAPSE, Linux 6.1+; older kernels ignore the request and leave it to khugepaged).
/// Construction reads rows and neighbour lists at random: with 4 KiB pages nearly every row is a
/// TLB miss, and a page walk under virtualisation costs more than the row's dot product. Advice
/// only: failures change nothing but speed.
void advise_huge_pages(const void* p, size_t bytes) {
    const uintptr_t huge = uintptr_t(2) << 20;
    uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + huge - 1) & ~(huge - 1);
    uintptr_t end = (reinterpret_cast<uintptr_t>(p) + bytes) & ~(huge - 1);
    if (end <= begin) return;
    void* start = reinterpret_cast<void*>(begin);
    if (madvise(start, end - begin, MADV_HUGEPAGE) != 0) return;
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
    (void)madvise(start, end - begin, MADV_COLLAPSE);
}

template <class Store>
void build_with(faiss::IndexHNSW& index, const Store& store, int64_t n0, int64_t n, const float* x,
                std::vector<std::vector<int32_t>>& by_level, int threads) {
    const size_t ntotal = size_t(index.ntotal);
    const size_t d = size_t(index.d);
    Build<Store> build(index.hnsw, store, x, n0, ntotal);
    (void)n;
    // Inserters (visited tags of ntotal entries each) are reused across chunks and levels.
    std::mutex idle_mutex;
    std::vector<std::unique_ptr<Inserter<Store>>> idle;
    faiss::RandomGenerator shuffle(789);
    for (int level = int(by_level.size()) - 1; level >= 0; level--) {
        std::vector<int32_t>& nodes = by_level[size_t(level)];
        for (size_t j = 0; j + 1 < nodes.size(); j++)
            std::swap(nodes[j], nodes[j + size_t(shuffle.rand_int(int(nodes.size() - j)))]);
        // Few nodes (upper levels): one thread, as Faiss does below 100.
        int level_threads = nodes.size() > 100 ? threads : 1;
        parallel_chunks(int64_t(nodes.size()), level_threads, [&](int64_t begin, int64_t end) {
            std::unique_ptr<Inserter<Store>> inserter;
            {
                std::lock_guard<std::mutex> guard(idle_mutex);
                if (!idle.empty()) {
                    inserter = std::move(idle.back());
                    idle.pop_back();
                }
            }
            if (!inserter) inserter.reset(new Inserter<Store>(build, ntotal, d));
            for (int64_t i = begin; i < end; i++) inserter->insert(nodes[size_t(i)], level);
            std::lock_guard<std::mutex> guard(idle_mutex);
            idle.push_back(std::move(inserter));
        });
    }
}

}  // namespace

bool hnsw_build_applies(const faiss::IndexHNSW& index) {
    return index.metric_type == faiss::METRIC_INNER_PRODUCT && index.storage &&
           index.storage->metric_type == faiss::METRIC_INNER_PRODUCT &&
           (dynamic_cast<const faiss::IndexFlat*>(index.storage) != nullptr || is_sq8_storage(index)) &&
           index.storage->ntotal == index.ntotal && index.hnsw.levels.size() == size_t(index.ntotal);
}

void hnsw_add(faiss::IndexHNSW& index, int64_t n, const float* x, int threads) {
    if (n <= 0) return;
    faiss::HNSW& graph = index.hnsw;
    const int64_t n0 = index.ntotal;
    index.storage->add(n, x);
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
        build_with(index, store, n0, n, x, by_level, threads);
    } else {
        auto& sq = static_cast<const faiss::IndexScalarQuantizer&>(*index.storage);
        if (huge) advise_huge_pages(sq.codes.data(), sq.codes.size());
        Sq8Store store(index, kernels);
        build_with(index, store, n0, n, x, by_level, threads);
    }
}

}  // namespace stasis_shim
