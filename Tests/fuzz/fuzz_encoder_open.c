/* libFuzzer harness: encoder files (safetensors, layer metadata, tensor shapes) through
 * stasis_encoder_open and stasis_encoder_inspect; an opened encoder encodes two rows. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    char path[512];
    fuzz_write(fuzz_path(path, sizeof path, "input.safetensors"), data, size);
    char* json = NULL;
    if (stasis_encoder_inspect(path, &json) == STASIS_OK) stasis_string_free(json);
    stasis_encoder* e = NULL;
    if (stasis_encoder_open(path, &e) != STASIS_OK) return 0;
    int64_t in = 0, out = 0;
    stasis_encoder_input_dimension(e, &in);
    stasis_encoder_output_dimension(e, &out);
    const char* s = NULL;
    double t = 0;
    stasis_encoder_feature(e, &s, &t);
    stasis_encoder_metadata(e, "stasis.training", &s);
    if (in > 0 && out > 0 && in <= 4096 && out <= 4096) {
        float* x = malloc(sizeof(float) * (size_t)(2 * in));
        float* y = malloc(sizeof(float) * (size_t)(2 * out));
        for (int64_t i = 0; i < 2 * in; i++) x[i] = (float)(i % 7) - 3.0f;
        stasis_encoder_encode(e, 2, in, x, out, y);
        free(x);
        free(y);
    }
    stasis_encoder_free(e);
    return 0;
}
