/* libFuzzer harness: space files (safetensors header, metadata, vertex matrix, label registry)
 * through stasis_space_open and stasis_space_inspect; an opened space is read back. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    char path[512];
    fuzz_write(fuzz_path(path, sizeof path, "input.safetensors"), data, size);
    char* json = NULL;
    if (stasis_space_inspect(path, &json) == STASIS_OK) stasis_string_free(json);
    stasis_space* space = NULL;
    if (stasis_space_open(path, &space) != STASIS_OK) return 0;
    int64_t k = 0, d = 0, labels = 0;
    stasis_space_class_count(space, &k);
    stasis_space_dimension(space, &d);
    stasis_space_label_count(space, &labels);
    if (k > 0 && d > 0 && k * d <= (1 << 20)) {
        float* v = malloc(sizeof(float) * (size_t)(k * d));
        stasis_space_vertices(space, k * d, v);
        free(v);
    }
    int64_t ids[2] = {10, 11}, out[2];
    const char* names[1] = {"cat"};
    stasis_space_lookup_ids(space, 2, ids, out);
    stasis_space_lookup_names(space, 1, names, out);
    stasis_space_free(space);
    return 0;
}
