// C entry points of the PQ kernel test hooks (see include/pq_kernels.h).
#include "pq_kernels.h"

#include "faiss_shim.h"
#include "internal/pq_kernels.h"

#include <vector>

namespace {

const stasis_shim::PqKernelTable* table(int variant) {
    if (variant < 0 || variant > 2) return nullptr;
    return stasis_shim::pq_kernel_variant(stasis_shim::KernelVariant(variant));
}

}  // namespace

extern "C" {

int fshim_kernel_pq_lut(int variant, const float* q, const float* centroids, size_t M, size_t dsub, float* lut) {
    const auto* t = table(variant);
    if (!t) return FSHIM_INVALID;
    t->lut(q, centroids, M, dsub, lut);
    return FSHIM_OK;
}

int fshim_kernel_pq_lut_block(int variant, const float* q, size_t count, const float* centroids, size_t M,
                              size_t dsub, float* lut) {
    const auto* t = table(variant);
    if (!t || count == 0 || count > stasis_shim::pq_lut_block) return FSHIM_INVALID;
    std::vector<float> transposed(M * stasis_shim::pq_ksub * dsub);
    stasis_shim::pq_transpose_centroids(centroids, M, dsub, transposed.data());
    const float* queries[stasis_shim::pq_lut_block];
    float* tables[stasis_shim::pq_lut_block];
    for (size_t i = 0; i < count; i++) {
        queries[i] = q + i * M * dsub;
        tables[i] = lut + i * M * stasis_shim::pq_ksub;
    }
    t->lut_block(queries, count, transposed.data(), M, dsub, tables);
    return FSHIM_OK;
}

int fshim_kernel_pq_scan(int variant, const float* lut, const uint8_t* codes, size_t n, size_t M, float* out) {
    const auto* t = table(variant);
    if (!t) return FSHIM_INVALID;
    t->scan(lut, codes, n, M, out);
    return FSHIM_OK;
}

int fshim_kernel_pq_scan_gathered(int variant, const float* lut, const uint8_t* const* codes, size_t n, size_t M,
                                  float* out) {
    const auto* t = table(variant);
    if (!t) return FSHIM_INVALID;
    t->scan_gathered(lut, codes, n, M, out);
    return FSHIM_OK;
}

}  // extern "C"
