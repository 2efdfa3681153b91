#include "internal/list_scan.h"

#include "internal/parallel.h"
#include "internal/scan_util.h"

namespace stasis_shim {

void flat_scan_search(const faiss::IndexFlat& index, const KernelTable& kernels, int64_t n,
                      const float* x, int64_t k, const fshim_filter* filter, float* scores,
                      int64_t* labels, int threads, ScratchPool& pool) {
    const size_t d = size_t(index.d), ntotal = size_t(index.ntotal);
    parallel_chunks(n, threads, [&](int64_t begin, int64_t end) {
        auto lease = pool.lease();
        for (int64_t i = begin; i < end; i++) {
            TopK top(lease->results, size_t(k));
            scan_rows(kernels, x + size_t(i) * d, index.get_xb(), ntotal, d, filter, *lease, top,
                      [](size_t j) { return int64_t(j); });
            top.write(size_t(k), scores + i * k, labels + i * k);
        }
    });
}

}  // namespace stasis_shim
