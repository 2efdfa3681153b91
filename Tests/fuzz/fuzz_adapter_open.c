/* libFuzzer harness: adapter files (safetensors, kind, versions, factors) through
 * stasis_adapter_open and stasis_adapter_inspect; an opened adapter maps two rows. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    char path[512];
    fuzz_write(fuzz_path(path, sizeof path, "input.safetensors"), data, size);
    char* json = NULL;
    if (stasis_adapter_inspect(path, &json) == STASIS_OK) stasis_string_free(json);
    stasis_adapter* a = NULL;
    if (stasis_adapter_open(path, &a) != STASIS_OK) return 0;
    int64_t in = 0, out = 0, tr = 0, va = 0;
    uint32_t s = 0, t = 0;
    double c = 0, r = 0;
    const char* kind = NULL;
    stasis_adapter_dimensions(a, &in, &out);
    stasis_adapter_versions(a, &s, &t);
    stasis_adapter_validation(a, &tr, &va, &c, &r);
    stasis_adapter_kind(a, &kind);
    if (in > 0 && out > 0 && in <= 4096 && out <= 4096) {
        float* x = malloc(sizeof(float) * (size_t)(2 * in));
        float* y = malloc(sizeof(float) * (size_t)(2 * out));
        for (int64_t i = 0; i < 2 * in; i++) x[i] = (float)(i % 5) - 1.5f;
        stasis_adapter_apply(a, 2, in, x, out, y);
        const stasis_adapter* chain[2] = {a, a};
        stasis_adapter_chain_apply(chain, 2, 2, in, x, out, y);
        free(x);
        free(y);
    }
    stasis_adapter_free(a);
    return 0;
}
