// Test hooks for the product-quantizer kernels (Sources/CFaissShim/kernels/pq.cpp), in the
// numbering of fshim_kernel_available: 0 portable, 1 AVX2+FMA, 2 AVX-512. Internal to the shim
// and its tests; not part of the C ABI.
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Writes the inner-product table of query `q` (M * dsub floats) against `centroids` (M x 256 x
/// dsub floats) into `lut` (M * 256 floats). Returns FSHIM_OK, or FSHIM_INVALID for a variant
/// this CPU cannot run.
int fshim_kernel_pq_lut(int variant, const float* q, const float* centroids, size_t M, size_t dsub, float* lut);

/// The tables of `count` (1..4) queries (rows of M * dsub floats in `q`) as fshim_kernel_pq_lut
/// writes them, one after another in `lut` (count x M * 256 floats), through the batch path:
/// centroids transposed per sub-space, four queries per pass. FSHIM_INVALID for a variant this
/// CPU cannot run or a count outside 1..4.
int fshim_kernel_pq_lut_block(int variant, const float* q, size_t count, const float* centroids, size_t M,
                              size_t dsub, float* lut);

/// out[j] = sum over m < M of lut[m * 256 + codes[j * M + m]] for n codes of M bytes. Returns
/// FSHIM_OK, or FSHIM_INVALID for a variant this CPU cannot run.
int fshim_kernel_pq_scan(int variant, const float* lut, const uint8_t* codes, size_t n, size_t M, float* out);

/// As fshim_kernel_pq_scan for n codes at the addresses codes[0..n).
int fshim_kernel_pq_scan_gathered(int variant, const float* lut, const uint8_t* const* codes, size_t n, size_t M,
                                  float* out);

#ifdef __cplusplus
}
#endif
