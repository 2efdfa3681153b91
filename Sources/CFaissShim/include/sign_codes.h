// Hamming-distance scan used to build spherical codes (StasisCore/Space/SphericalCode.swift).
// Lives in C so the scan can use the POPCNT instruction, chosen at run time: Swift code is
// compiled for baseline x86-64, where popcount is a dozen instructions.
#pragma once
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Compares `candidate` (`words` 64-bit words of sign bits, dimension `dim`) with `count` stored
/// codes laid out back to back. Returns 1 when every dot product (dim − 2·Hamming distance) is
/// at most `bound`, setting *worst to the largest one seen; returns 0 at the first that exceeds it.
int fshim_sign_code_fits(const uint64_t* codes, int64_t count, int32_t words, int32_t dim,
                         const uint64_t* candidate, int32_t bound, int32_t* worst);

#ifdef __cplusplus
}
#endif
