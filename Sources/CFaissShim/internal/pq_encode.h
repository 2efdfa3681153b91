// Product-quantizer encoding for IVF-PQ adds (pq_encode.cpp).
#pragma once
#include <faiss/impl/ProductQuantizer.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace stasis_shim {

/// Whether PqEncoder reproduces `pq`'s own compute_codes: 8-bit codes (256 codewords per
/// sub-quantizer), sub-vectors of fewer than 16 floats (Faiss's per-row path; from 16 on Faiss
/// switches to BLAS distance tables, whose rounding this does not reproduce) and no transposed
/// centroid table (whose distances Faiss computes as norms minus twice the product).
bool pq_encoder_applies(const faiss::ProductQuantizer& pq);

/// Encodes rows with the codes ProductQuantizer::compute_codes gives, bit for bit.
///
/// Faiss 1.7.3 (Debian's generic build) encodes one sub-vector at a time with scalar squared
/// distances to each of the 256 codewords: about 70 % of an IVF1024,PQ48 add over 100k x 384
/// rows. This computes the same distances, in the same order of operations per codeword (the
/// difference, its square, then the running sum over the sub-vector's floats, never fused), for
/// 8 codewords per AVX2 instruction, and picks the nearest as Faiss does (the lowest codeword on
/// an exact tie). Equal distances mean equal codes, so the index is Faiss's own.
///
/// Built once per add (the codebooks transposed, 8 KiB per sub-quantizer at dsub 8); encode()
/// is const and reentrant, so several threads share one encoder.
class PqEncoder {
public:
    /// Requires pq_encoder_applies(pq); keeps no pointer to pq.
    explicit PqEncoder(const faiss::ProductQuantizer& pq);
    /// code (M bytes) for one row of M * dsub floats.
    void encode(const float* row, uint8_t* code) const;

private:
    size_t m_;
    size_t dsub_;
    bool simd_;
    /// books_[(m * dsub + t) * 256 + j]: float t of codeword j of sub-quantizer m.
    std::vector<float> books_;
};

}  // namespace stasis_shim
