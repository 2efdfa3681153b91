// Train and add with the shim's nearest-centroid assignment (see internal/ivf_build.h).
//
// Building IVF1024,Flat over 100k x 384 rows is ten coarse k-means iterations plus one
// assignment of every row, each a k = 1 search against the 1024 centroids, which Debian's Faiss
// finishes with a generic scalar arg-max loop; this puts the whole build on kmeans_assign.
#include "internal/ivf_build.h"

#include "internal/kmeans_assign.h"
#include "internal/parallel.h"
#include "internal/pq_encode.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/IndexScalarQuantizer.h>

#include <omp.h>

#include <algorithm>
#include <memory>
#include <typeinfo>
#include <vector>

namespace stasis_shim {
namespace {

using idx_t = faiss::Index::idx_t;

/// The quantizer as a plain flat index with a metric the assignment implements, or null. Exact
/// types only: a subclass (IndexFlat1D, ...) may search differently.
const faiss::IndexFlat* flat_quantizer(const faiss::IndexIVF& ivf) {
    const faiss::Index* q = ivf.quantizer;
    if (!q) return nullptr;
    const std::type_info& type = typeid(*q);
    if (type != typeid(faiss::IndexFlat) && type != typeid(faiss::IndexFlatIP) && type != typeid(faiss::IndexFlatL2))
        return nullptr;
    if (q->metric_type != faiss::METRIC_INNER_PRODUCT && q->metric_type != faiss::METRIC_L2) return nullptr;
    return static_cast<const faiss::IndexFlat*>(q);
}

/// IVF types whose add_with_ids is Faiss's generic "assign, then add_core" (IndexIVFFlatDedup,
/// IndexIVFPQR and the fast-scan types override it).
bool generic_add(const faiss::IndexIVF& ivf) {
    const std::type_info& type = typeid(ivf);
    return type == typeid(faiss::IndexIVFFlat) || type == typeid(faiss::IndexIVFScalarQuantizer) ||
           type == typeid(faiss::IndexIVFPQ);
}

/// Installs the assigners for one train and removes them on every exit.
struct Assigners {
    faiss::IndexIVF* ivf = nullptr;
    faiss::IndexIVFPQ* ivfpq = nullptr;
    std::unique_ptr<faiss::IndexFlat> coarse;
    std::unique_ptr<L2Assigner> codebooks;

    explicit Assigners(faiss::Index& index) {
        auto* candidate = dynamic_cast<faiss::IndexIVF*>(&index);
        const faiss::IndexFlat* quantizer = candidate ? flat_quantizer(*candidate) : nullptr;
        // Level1Quantizer::train_q1 runs the coarse k-means on clustering_index (then adds the
        // centroids to the quantizer) only in its default mode, quantizer_trains_alone == 0;
        // the assigner's metric is the quantizer's, the one Faiss's own k-means would use.
        if (quantizer && candidate->quantizer_trains_alone == 0 && !candidate->clustering_index) {
            ivf = candidate;
            // One train_q1, one k-means over one row buffer: its repeated searches can be reused.
            if (quantizer->metric_type == faiss::METRIC_INNER_PRODUCT)
                coarse.reset(new IpAssigner(quantizer->d, true));
            else
                coarse.reset(new L2Assigner(quantizer->d, true));
            ivf->clustering_index = coarse.get();
        }
        auto* pq = dynamic_cast<faiss::IndexIVFPQ*>(&index);
        if (pq && !pq->pq.assign_index) {
            ivfpq = pq;
            codebooks.reset(new L2Assigner(idx_t(pq->pq.dsub)));
            ivfpq->pq.assign_index = codebooks.get();
        }
    }
    ~Assigners() {
        if (ivf) ivf->clustering_index = nullptr;
        if (ivfpq) ivfpq->pq.assign_index = nullptr;
    }
    Assigners(const Assigners&) = delete;
    Assigners& operator=(const Assigners&) = delete;
};

/// IndexIVFPQ::add_core_o with the codes from PqEncoder: residuals against the assigned
/// centroids (when by_residual), codes on `threads` threads, then the rows appended to their
/// lists in row order with ids ntotal, ntotal + 1, ... as Faiss appends them. Faiss 1.7.3 encodes
/// with a scalar loop that perf put at 70 % of a 100k x 384 IVF1024,PQ48 add (3.9 s against the
/// wheel's 1.2 s).
void ivfpq_add(faiss::IndexIVFPQ& ivf, const faiss::IndexFlat& quantizer, idx_t n, const float* x,
               const idx_t* lists, int threads) {
    ivf.direct_map.check_can_add(nullptr);
    const size_t d = size_t(ivf.d), code_size = ivf.code_size;
    const PqEncoder encoder(ivf.pq);
    const float* centroids = quantizer.get_xb();
    // Blocks bound the codes held at once (Faiss's add_core_o works in blocks of 32k rows too).
    constexpr idx_t block = 65536;
    constexpr int64_t rows_per_chunk = 256;
    std::vector<uint8_t> codes(size_t(std::min(n, block)) * code_size);
    for (idx_t start = 0; start < n; start += block) {
        const idx_t rows = std::min(block, n - start);
        parallel_chunks((rows + rows_per_chunk - 1) / rows_per_chunk, threads, [&](int64_t begin, int64_t end) {
            std::vector<float> residual(d);
            for (idx_t i = begin * rows_per_chunk; i < std::min<idx_t>(end * rows_per_chunk, rows); i++) {
                const float* row = x + size_t(start + i) * d;
                if (ivf.by_residual) {
                    // Faiss's compute_residual: the row minus the reconstructed centroid, per float.
                    const float* c = centroids + size_t(lists[start + i]) * d;
                    for (size_t t = 0; t < d; t++) residual[t] = row[t] - c[t];
                    row = residual.data();
                }
                encoder.encode(row, codes.data() + size_t(i) * code_size);
            }
        });
        for (idx_t i = 0; i < rows; i++) {
            const idx_t id = ivf.ntotal + start + i;
            const idx_t list = lists[start + i];
            const size_t offset = ivf.invlists->add_entry(size_t(list), id, codes.data() + size_t(i) * code_size);
            ivf.direct_map.add_single_id(id, list, offset);
        }
    }
    ivf.ntotal += n;
}

}  // namespace

void train_fast(faiss::Index& index, idx_t n, const float* x) {
    Assigners installed(index);
    index.train(n, x);
}

bool ivf_add_fast(faiss::Index& index, idx_t n, const float* x, int threads) {
    auto* ivf = dynamic_cast<faiss::IndexIVF*>(&index);
    if (!ivf || !generic_add(*ivf) || !ivf->is_trained || n <= 0) return false;
    const faiss::IndexFlat* quantizer = flat_quantizer(*ivf);
    if (!quantizer || size_t(quantizer->ntotal) != ivf->nlist || quantizer->d != ivf->d) return false;
    std::vector<idx_t> lists(static_cast<size_t>(n));
    nearest_centroids(quantizer->metric_type, size_t(n), x, quantizer->get_xb(), size_t(quantizer->ntotal),
                      size_t(quantizer->d), nullptr, lists.data());
    // IVF-PQ on the shim's encoder. A row without a list (no finite score) takes Faiss's
    // add_core instead, which records it as ignored.
    if (typeid(*ivf) == typeid(faiss::IndexIVFPQ)) {
        auto& ivfpq = static_cast<faiss::IndexIVFPQ&>(*ivf);
        if (pq_encoder_applies(ivfpq.pq) &&
            std::all_of(lists.begin(), lists.end(), [](idx_t list) { return list >= 0; })) {
            ivfpq_add(ivfpq, *quantizer, n, x, lists.data(), std::max(threads, 1));
            return true;
        }
    }
    // The assignment (BLAS, on BLAS's pool) is done; add_core's encoding loops are OpenMP work.
    // IVF-PQ's per-row code search needs the threads (on one it was 5x the wheel's whole add);
    // Flat and SQ8 storage is a copy or a cheap encode per row, where a second OpenMP team only
    // contends with OpenBLAS's spinning workers between pieces. Every shim entry sets OpenMP's
    // thread count for itself, so nothing is restored here.
    const bool heavy_encode = typeid(*ivf) == typeid(faiss::IndexIVFPQ);
    omp_set_num_threads(heavy_encode ? std::max(threads, 1) : 1);
    ivf->add_core(n, x, nullptr, lists.data());
    return true;
}

}  // namespace stasis_shim
