// See include/sign_codes.h.
#include "sign_codes.h"

namespace {

// One body for both builds below; always_inline so each caller compiles it with its own target.
__attribute__((always_inline)) inline int scan(const uint64_t* codes, int64_t count, int32_t words,
                                               int32_t dim, const uint64_t* candidate, int32_t bound,
                                               int32_t* worst) {
    int32_t best = -dim;
    for (int64_t i = 0; i < count; i++) {
        const uint64_t* code = codes + i * words;
        int differing = 0;
        for (int32_t w = 0; w < words; w++) differing += __builtin_popcountll(code[w] ^ candidate[w]);
        int32_t dot = dim - 2 * differing;
        if (dot > bound) return 0;
        if (dot > best) best = dot;
    }
    *worst = best;
    return 1;
}

// Portable build of the scan (popcount without the POPCNT instruction).
int scan_portable(const uint64_t* codes, int64_t count, int32_t words, int32_t dim,
                  const uint64_t* candidate, int32_t bound, int32_t* worst) {
    return scan(codes, count, words, dim, candidate, bound, worst);
}

// The same loop compiled with POPCNT enabled; only called when the CPU has it.
__attribute__((target("popcnt"))) int scan_popcnt(const uint64_t* codes, int64_t count, int32_t words,
                                                  int32_t dim, const uint64_t* candidate, int32_t bound,
                                                  int32_t* worst) {
    return scan(codes, count, words, dim, candidate, bound, worst);
}

bool has_popcnt() {
#if defined(__x86_64__) || defined(__i386__)
    static const bool supported = __builtin_cpu_supports("popcnt");
    return supported;
#else
    return false;
#endif
}

}  // namespace

extern "C" int fshim_sign_code_fits(const uint64_t* codes, int64_t count, int32_t words, int32_t dim,
                                    const uint64_t* candidate, int32_t bound, int32_t* worst) {
    if (has_popcnt()) return scan_popcnt(codes, count, words, dim, candidate, bound, worst);
    return scan_portable(codes, count, words, dim, candidate, bound, worst);
}
