/* libFuzzer harness: the mixed gallery manifest (gallery.json) through stasis_gallery_open. The
 * fuzzed manifest replaces the one of a real saved gallery, so the part and bridge files it names
 * exist and a mutated manifest is checked against real files. An opened gallery is searched. */
#include "fuzz_common.h"

static char dir[512], manifest[600];

int LLVMFuzzerInitialize(int* argc, char*** argv) {
    (void)argc;
    (void)argv;
    stasis_gallery* g = fuzz_make_gallery(fuzz_path(dir, sizeof dir, "gallery"));
    snprintf(manifest, sizeof manifest, "%s/gallery.json", dir);
    stasis_gallery_free(g);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz_write(manifest, data, size);
    stasis_gallery* g = NULL;
    if (stasis_gallery_open(dir, &g) != STASIS_OK) return 0;
    int64_t count = 0, c1 = 0;
    stasis_gallery_count(g, &count);
    stasis_gallery_count_version(g, 1, &c1);
    float q[6] = {1, 2, 3, 4, 5, 6}, scores[3];
    int64_t ids[3];
    uint32_t versions[3];
    stasis_gallery_search(g, 1, 4, q, 1, 3, NULL, 0, scores, ids, versions);
    stasis_gallery_search(g, 1, 6, q, 2, 3, NULL, 0, scores, ids, versions);
    stasis_gallery_free(g);
    return 0;
}
