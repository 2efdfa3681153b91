/* libFuzzer harness: the index container (header, checksums, the structural checks in front of
 * Faiss's reader) through stasis_index_open and stasis_index_inspect. An index that opens is
 * also counted, listed and searched, so a payload that passes the checks but lies is exercised. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    char path[512];
    fuzz_write(fuzz_path(path, sizeof path, "input.idx"), data, size);
    char* json = NULL;
    if (stasis_index_inspect(path, &json) == STASIS_OK) stasis_string_free(json);
    stasis_index* index = NULL;
    if (stasis_index_open(path, &index) != STASIS_OK) return 0;
    int64_t dim = 0, count = 0, total = 0;
    stasis_index_dimension(index, &dim);
    stasis_index_count(index, &count);
    stasis_index_versions(index, 0, NULL, NULL, &total);
    int trained = 0;
    stasis_index_is_trained(index, &trained);
    if (dim > 0 && dim <= 4096 && trained) {
        float* q = malloc(sizeof(float) * (size_t)dim);
        for (int64_t i = 0; i < dim; i++) q[i] = (float)(i + 1);
        float scores[5];
        int64_t ids[5];
        uint32_t versions[5];
        stasis_index_search(index, 1, dim, q, 5, NULL, scores, ids, versions);
        free(q);
    }
    stasis_index_free(index);
    return 0;
}
