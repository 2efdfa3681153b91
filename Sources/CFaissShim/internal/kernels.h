// Inner-product kernels chosen once at run time from the CPU's features (internal to the shim).
//
// Debian's libfaiss.a is a generic build whose inner product is a scalar loop; these kernels are
// what makes the shim's own search loops and graph construction fast. Each variant is compiled
// with `__attribute__((target(...)))` so the package needs no compiler flags, and the dispatcher
// only hands out a variant the CPU and the operating system (XSAVE state) support.
#pragma once
#include <cstddef>
#include <cstdint>

namespace stasis_shim {

/// One set of kernels. All functions accept any dimension (tails handled) and unaligned rows.
struct KernelTable {
    /// "avx512", "avx2" or "portable"; static storage.
    const char* name;
    /// <x, y> over d floats.
    float (*ip)(const float* x, const float* y, size_t d);
    /// out[j] = <x, y[j]> for the four rows y[0..3].
    void (*ip4)(const float* x, const float* const* y, size_t d, float* out);
    /// out[4 * i + j] = <x[i], y[j]> for four queries and four rows: each loaded row feeds four
    /// queries, so many queries against one set of rows (IVF coarse assignment) move a quarter
    /// of the memory traffic.
    void (*ip4x4)(const float* const* x, const float* const* y, size_t d, float* out);
    /// sum_i w[i] * code[i] over d bytes: scoring 8-bit scalar-quantised rows (the affine part
    /// of the decoding is folded into per-query weights and an offset by the caller).
    float (*ip_u8)(const float* w, const uint8_t* code, size_t d);
};

/// Variants, for tests that exercise each one and for the dispatcher.
enum class KernelVariant { portable = 0, avx2 = 1, avx512 = 2 };

/// The kernels of `variant`, or nullptr when this CPU (or its OS) cannot run them.
const KernelTable* kernel_variant(KernelVariant variant);

/// The kernels searches and builds use now: the best variant the CPU runs, or the portable one
/// when STASIS_PORTABLE_KERNELS is set (non-empty, not "0") or portable mode was requested.
/// Thread-safe; a caller loads it once per operation so one operation never mixes variants.
const KernelTable& active_kernels();

/// Forces (true) or releases (false) the portable kernels for operations that start afterwards.
/// Thread-safe.
void set_portable_kernels(bool portable);

/// Scores of x against rows[0..n) (gathered rows), four at a time, prefetching the next block.
void ip_gather(const KernelTable& k, const float* x, const float* const* rows, size_t n, size_t d,
               float* out);

/// Scores of x against n contiguous rows starting at `base`, in address order.
void ip_contiguous(const KernelTable& k, const float* x, const float* base, size_t n, size_t d,
                   float* out);

/// Scores of m queries against n contiguous rows: out[i * n + r] = <x[i], row r>. Tiles of four
/// queries by four rows; query pointers may repeat (a short last tile).
void ip_many(const KernelTable& k, const float* const* x, size_t m, const float* base, size_t n,
             size_t d, float* out);

/// Prefetches the first cache lines of a row of d floats; the hardware prefetcher takes the rest.
inline void prefetch_row(const float* row, size_t d) {
    const char* p = reinterpret_cast<const char*>(row);
    size_t bytes = d * sizeof(float) < 256 ? d * sizeof(float) : 256;
    for (size_t offset = 0; offset < bytes; offset += 64) __builtin_prefetch(p + offset);
}

namespace detail {
// The variants themselves (kernels/*.cpp); reached through kernel_variant().
float ip_portable(const float* x, const float* y, size_t d);
void ip4_portable(const float* x, const float* const* y, size_t d, float* out);
void ip4x4_portable(const float* const* x, const float* const* y, size_t d, float* out);
float ip_u8_portable(const float* w, const uint8_t* code, size_t d);
float ip_avx2(const float* x, const float* y, size_t d);
void ip4_avx2(const float* x, const float* const* y, size_t d, float* out);
void ip4x4_avx2(const float* const* x, const float* const* y, size_t d, float* out);
float ip_u8_avx2(const float* w, const uint8_t* code, size_t d);
float ip_avx512(const float* x, const float* y, size_t d);
void ip4_avx512(const float* x, const float* const* y, size_t d, float* out);
void ip4x4_avx512(const float* const* x, const float* const* y, size_t d, float* out);
float ip_u8_avx512(const float* w, const uint8_t* code, size_t d);
}  // namespace detail

}  // namespace stasis_shim
