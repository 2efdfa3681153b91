/* libFuzzer harness: saved backfill plans (JSON with the order and the cursor) through
 * stasis_backfill_plan_open; an opened plan is read and advanced against a small gallery. */
#include "fuzz_common.h"

static stasis_gallery* gallery;

int LLVMFuzzerInitialize(int* argc, char*** argv) {
    (void)argc;
    (void)argv;
    char dir[512];
    gallery = fuzz_make_gallery(fuzz_path(dir, sizeof dir, "gallery"));
    return gallery ? 0 : 1;
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    char path[512];
    fuzz_write(fuzz_path(path, sizeof path, "plan.json"), data, size);
    stasis_backfill_plan* p = NULL;
    if (stasis_backfill_plan_open(path, &p) != STASIS_OK) return 0;
    int64_t n = 0, done = 0, left = 0, count = 0, batch[8];
    stasis_backfill_plan_length(p, &n);
    if (n > 0 && n <= (1 << 20)) {
        int64_t* order = malloc(sizeof(int64_t) * (size_t)n);
        stasis_backfill_plan_order(p, n, order);
        free(order);
    }
    stasis_backfill_plan_progress(p, gallery, &done, &left);
    stasis_backfill_plan_next_batch(p, gallery, 8, batch, &count);
    stasis_backfill_plan_free(p);
    return 0;
}
