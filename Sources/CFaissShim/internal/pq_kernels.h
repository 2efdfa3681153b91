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

/// Queries whose tables PqKernelTable::lut_block builds together.
constexpr size_t pq_lut_block = 4;

struct PqKernelTable {
    /// "avx512", "avx2" or "portable"; static storage.
    const char* name;
    /// lut[m * 256 + j] = <q[m*dsub .. (m+1)*dsub), centroids row (m * 256 + j)> for m < M: the
    /// query's inner-product table (centroids as Faiss's ProductQuantizer stores them, M x 256 x
    /// dsub floats).
    void (*lut)(const float* q, const float* centroids, size_t M, size_t dsub, float* lut);
    /// The tables of `count` (1..pq_lut_block) queries, lut[i] as `lut` writes for q[i], from the
    /// centroids transposed per sub-space (pq_transpose_centroids): each 8-centroid vector of
    /// one component is loaded once for all the queries and multiplied with broadcast query
    /// components (a batch spends half the table time of `lut`, which reads all centroids, 384
    /// KiB at M = 48, for every query). Sums run over t = 0..dsub-1 in order.
    void (*lut_block)(const float* const* q, size_t count, const float* transposed, size_t M, size_t dsub,
                      float* const* lut);
    /// out[j] = sum_m lut[m * 256 + codes[j * M + m]] for n codes of M bytes each.
    void (*scan)(const float* lut, const uint8_t* codes, size_t n, size_t M, float* out);
    /// out[j] = sum_m lut[m * 256 + codes[j][m]] for n codes at scattered addresses (a graph
    /// walk's neighbours over PQ storage).
    void (*scan_gathered)(const float* lut, const uint8_t* const* codes, size_t n, size_t M, float* out);
};

/// transposed[(m * dsub + t) * 256 + j] = centroids[(m * 256 + j) * dsub + t]: the layout
/// PqKernelTable::lut_block reads (M x 256 x dsub floats in, the same count out).
void pq_transpose_centroids(const float* centroids, size_t M, size_t dsub, float* transposed);

/// The PQ kernels matching `kernels` (same variant name).
const PqKernelTable& pq_kernels_for(const KernelTable& kernels);

/// The PQ kernels of `variant`, or nullptr when this CPU cannot run them (as kernel_variant()).
const PqKernelTable* pq_kernel_variant(KernelVariant variant);

}  // namespace stasis_shim
