/* libFuzzer harness: evaluation report JSON through stasis_report_open; an opened report is
 * rendered back (JSON, HTML) and gated, which walks every field the reader accepted. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    char path[512];
    fuzz_write(fuzz_path(path, sizeof path, "input.json"), data, size);
    stasis_report* r = NULL;
    if (stasis_report_open(path, &r) != STASIS_OK) return 0;
    int64_t t = 0;
    stasis_report_version_count(r, &t);
    if (t > 0 && t <= 64) {
        uint32_t* v = malloc(sizeof(uint32_t) * (size_t)t);
        double* m = malloc(sizeof(double) * (size_t)(t * t));
        if (stasis_report_matrix(r, t * t, v, m) == STASIS_OK) {
            int32_t passed = 0;
            char* verdict = NULL;
            if (stasis_report_gate(r, v[t - 1], 1, v, 0.0, &passed, &verdict) == STASIS_OK) stasis_string_free(verdict);
        }
        free(v);
        free(m);
    }
    char* text = NULL;
    if (stasis_report_json(r, &text) == STASIS_OK) stasis_string_free(text);
    if (stasis_report_html(r, &text) == STASIS_OK) stasis_string_free(text);
    stasis_report_free(r);
    return 0;
}
