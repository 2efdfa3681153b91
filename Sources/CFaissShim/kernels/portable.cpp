// Portable inner product: plain C++ any x86-64 (or other) CPU runs. Eight independent partial
// sums break the dependency chain of a naive loop, which is what keeps Debian's scalar
// fvec_inner_product slow, and let the compiler use the baseline SIMD registers.
#include "../internal/kernels.h"

namespace stasis_shim::detail {

float ip_portable(const float* x, const float* y, size_t d) {
    float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t i = 0;
    for (; i + 8 <= d; i += 8)
        for (int t = 0; t < 8; t++) s[t] += x[i + t] * y[i + t];
    float total = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    for (; i < d; i++) total += x[i] * y[i];
    return total;
}

void ip4_portable(const float* x, const float* const* y, size_t d, float* out) {
    for (int j = 0; j < 4; j++) out[j] = ip_portable(x, y[j], d);
}

void ip4x4_portable(const float* const* x, const float* const* y, size_t d, float* out) {
    for (int i = 0; i < 4; i++) ip4_portable(x[i], y, d, out + 4 * i);
}

float ip_u8_portable(const float* w, const uint8_t* code, size_t d) {
    float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t i = 0;
    for (; i + 8 <= d; i += 8)
        for (int t = 0; t < 8; t++) s[t] += w[i + t] * float(code[i + t]);
    float total = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    for (; i < d; i++) total += w[i] * float(code[i]);
    return total;
}

}  // namespace stasis_shim::detail
