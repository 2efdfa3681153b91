#include "internal/fast_flat.h"

#include "internal/kernels.h"

#include <memory>

namespace stasis_shim {
namespace {

/// Faiss creates one per thread and query stream; the kernels are picked when it is created.
struct KernelDistanceComputer final : faiss::FlatCodesDistanceComputer {
    explicit KernelDistanceComputer(const faiss::IndexFlat& storage)
            : faiss::FlatCodesDistanceComputer(storage.codes.data(), storage.code_size),
              rows(storage.get_xb()),
              d(size_t(storage.d)),
              kernels(active_kernels()) {}

    void set_query(const float* x) override { query = x; }

    float distance_to_code(const uint8_t* code) override {
        return kernels.ip(query, reinterpret_cast<const float*>(code), d);
    }

    float symmetric_dis(idx_t i, idx_t j) override { return kernels.ip(rows + i * d, rows + j * d, d); }

    const float* rows;
    size_t d;
    const KernelTable& kernels;
    const float* query = nullptr;
};

}  // namespace

faiss::FlatCodesDistanceComputer* FastFlatIP::get_FlatCodesDistanceComputer() const {
    return new KernelDistanceComputer(*this);
}

void adopt_fast_storage(faiss::IndexHNSW& hnsw) {
    auto* flat = dynamic_cast<faiss::IndexFlat*>(hnsw.storage);
    if (!flat || dynamic_cast<FastFlatIP*>(flat) || flat->metric_type != faiss::METRIC_INNER_PRODUCT)
        return;
    std::unique_ptr<FastFlatIP> fast(new FastFlatIP(flat->d));
    fast->codes.swap(flat->codes);
    fast->ntotal = flat->ntotal;
    fast->is_trained = flat->is_trained;
    flat->ntotal = 0;
    if (hnsw.own_fields) delete flat;
    hnsw.storage = fast.release();
    hnsw.own_fields = true;
}

}  // namespace stasis_shim
