// C entry points for the kernel and Flat prefilter switches and the kernel test hooks (see include/faiss_shim.h).
#include "faiss_shim.h"

#include "internal/flat_int8.h"
#include "internal/kernels.h"

extern "C" {

void fshim_set_portable_kernels(int portable) { stasis_shim::set_portable_kernels(portable != 0); }

const char* fshim_kernel_name(void) { return stasis_shim::active_kernels().name; }

void fshim_set_flat_prefilter(int enabled) { stasis_shim::set_flat_prefilter(enabled != 0); }

int fshim_flat_prefilter_enabled(void) { return stasis_shim::flat_prefilter_enabled() ? 1 : 0; }

int fshim_kernel_available(int variant) {
    if (variant < 0 || variant > 2) return 0;
    return stasis_shim::kernel_variant(stasis_shim::KernelVariant(variant)) != nullptr ? 1 : 0;
}

int fshim_kernel_ip(int variant, const float* x, const float* y, size_t d, float* out) {
    if (variant < 0 || variant > 2) return FSHIM_INVALID;
    const auto* table = stasis_shim::kernel_variant(stasis_shim::KernelVariant(variant));
    if (!table) return FSHIM_INVALID;
    *out = table->ip(x, y, d);
    return FSHIM_OK;
}

int fshim_kernel_ip4(int variant, const float* x, const float* const* y, size_t d, float* out) {
    if (variant < 0 || variant > 2) return FSHIM_INVALID;
    const auto* table = stasis_shim::kernel_variant(stasis_shim::KernelVariant(variant));
    if (!table) return FSHIM_INVALID;
    table->ip4(x, y, d, out);
    return FSHIM_OK;
}

int fshim_kernel_ip4x4(int variant, const float* const* x, const float* const* y, size_t d, float* out) {
    if (variant < 0 || variant > 2) return FSHIM_INVALID;
    const auto* table = stasis_shim::kernel_variant(stasis_shim::KernelVariant(variant));
    if (!table) return FSHIM_INVALID;
    table->ip4x4(x, y, d, out);
    return FSHIM_OK;
}

}  // extern "C"
