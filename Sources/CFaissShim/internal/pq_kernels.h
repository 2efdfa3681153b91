// Product-quantizer kernels (8-bit codes, inner product): the query's look-up table and the
// table scan over codes. A table of their own next to KernelTable, chosen by the same switch
// (the portable variant whenever active_kernels() is portable), so PQ adds no entry to the
// shared table.
#pragma once
#include "kernels.h"

#include <cstddef>
#include <cstdint>

namespace stasis_shim {

/// Codebook entries per sub-quantizer (8-bit codes).
constexpr size_t pq_ksub = 256;

struct PqKernelTable {
    /// "avx512", "avx2" or "portable"; static storage.
    const char* name;
    /// lut[m * 256 + j] = <q[m*dsub .. (m+1)*dsub), centroids row (m * 256 + j)> for m < M: the
    /// query's inner-product table (centroids as Faiss's ProductQuantizer stores them, M x 256 x
    /// dsub floats).
    void (*lut)(const float* q, const float* centroids, size_t M, size_t dsub, float* lut);
    /// out[j] = sum_m lut[m * 256 + codes[j * M + m]] for n codes of M bytes each.
    void (*scan)(const float* lut, const uint8_t* codes, size_t n, size_t M, float* out);
    /// out[j] = sum_m lut[m * 256 + codes[j][m]] for n codes at scattered addresses (a graph
    /// walk's neighbours over PQ storage).
    void (*scan_gathered)(const float* lut, const uint8_t* const* codes, size_t n, size_t M, float* out);
};

/// The PQ kernels matching `kernels` (same variant name).
const PqKernelTable& pq_kernels_for(const KernelTable& kernels);

/// The PQ kernels of `variant`, or nullptr when this CPU cannot run them (as kernel_variant()).
const PqKernelTable* pq_kernel_variant(KernelVariant variant);

}  // namespace stasis_shim
