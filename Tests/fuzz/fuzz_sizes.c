/* libFuzzer harness: the C entry points that take caller-supplied sizes, counts and capacities.
 * An input is a program: byte 0 picks the entry point, the next 32 bytes are four little-endian
 * int64 arguments (counts, dimensions, k, capacities: any value, negative and huge included) and
 * the rest fills the buffers (floats with NaN/Inf, ids, strings). The harness keeps the contract
 * the header asks of a caller, and only that: a buffer is either exactly as large as the sizes
 * say or NULL (sizes too large to allocate here are passed with NULL buffers), so any crash or
 * out-of-bounds access is the library's. */
#include "fuzz_common.h"

#include <math.h>

enum { CAP = 4096 };
static stasis_space* space;
static stasis_encoder* encoder;
static stasis_adapter* adapter;
static stasis_gallery* gallery;
static stasis_report* report;
static stasis_backfill_plan* plan;
static char gallery_dir[512];
static unsigned gallery_edits;

static const uint8_t* rest;
static size_t rest_size;

/* n * m elements when both are >= 0, the product fits and is at most CAP; else -1. */
static int64_t elems(int64_t n, int64_t m) {
    if (n < 0 || m < 0) return -1;
    if (m != 0 && n > CAP / m) return -1;
    return n * m > CAP ? -1 : n * m;
}

/* A buffer of `count` elements of `width` bytes filled cyclically from the payload, or NULL when
 * count < 0 (the sizes describe more than this harness allocates). Caller frees. */
static void* buffer(int64_t count, size_t width) {
    if (count < 0) return NULL;
    uint8_t* b = malloc((size_t)count * width + 1);
    for (size_t i = 0; i < (size_t)count * width; i++) b[i] = rest_size ? rest[i % rest_size] : (uint8_t)i;
    return b;
}

/* A NUL-terminated string from the payload (at most 63 bytes). */
static const char* text(char* out) {
    size_t n = rest_size < 63 ? rest_size : 63;
    memcpy(out, rest, n);
    out[n] = 0;
    return out;
}

static stasis_index* small_index(void) {
    stasis_index* index = NULL;
    float x[4 * 4] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    int64_t ids[4] = {1, 2, 3, 4};
    stasis_index_create(4, "Flat", &index);
    stasis_index_add(index, 4, 4, x, ids, 1);
    return index;
}

int LLVMFuzzerInitialize(int* argc, char*** argv) {
    (void)argc;
    (void)argv;
    stasis_set_num_threads(1);
    gallery = fuzz_make_gallery(fuzz_path(gallery_dir, sizeof gallery_dir, "gallery"));
    enum { N = 40 };
    float f[N * 5], t[N * 3];
    int64_t lab[N];
    fuzz_rng = 31;
    fuzz_fill(f, N * 5);
    fuzz_fill(t, N * 3);
    for (int i = 0; i < N; i++) lab[i] = i % 4;
    stasis_train_options o = STASIS_TRAIN_OPTIONS_INIT;
    o.epochs = 1;
    o.validation = -1;
    stasis_labelled_vectors q[2] = {{N, 5, f, lab}, {N, 5, f, lab}};
    int ok = gallery && stasis_space_create("simplex", 4, 0, 0, &space) == STASIS_OK &&
             stasis_train_ids(space, N, 5, f, lab, NULL, 0, NULL, 1, &o, &encoder) == STASIS_OK &&
             stasis_adapter_fit("ridge", 2, 1, N, 5, f, 3, t, NULL, &adapter) == STASIS_OK &&
             stasis_evaluate(2, NULL, q, NULL, NULL, &report) == STASIS_OK &&
             stasis_backfill_plan_random(gallery, 1, 2, 9, &plan) == STASIS_OK;
    if (!ok) fprintf(stderr, "fuzz_sizes fixtures: %s\n", stasis_last_error());
    return ok ? 0 : 1;
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 33) return 0;
    int64_t a[4];
    memcpy(a, data + 1, sizeof a);
    rest = data + 33;
    rest_size = size - 33;
    char str[64];
    stasis_index* index = NULL;
    float *x = NULL, *y = NULL, *s = NULL;
    int64_t *ids = NULL, *out = NULL;
    uint32_t* v = NULL;
    double *d = NULL, *e = NULL;
    switch (data[0] % 24) {
    case 0: /* add n x dim with n ids */
        index = small_index();
        x = buffer(elems(a[0], a[1]), 4);
        ids = buffer(elems(a[0], 1), 8);
        stasis_index_add(index, a[0], a[1], x, ids, (uint32_t)a[3]);
        break;
    case 1: /* search n x dim, k */
        index = small_index();
        x = buffer(elems(a[0], a[1]), 4);
        s = buffer(elems(a[0], a[2]), 4);
        ids = buffer(elems(a[0], a[2]), 8);
        v = buffer(elems(a[0], a[2]), 4);
        stasis_index_search(index, a[0], a[1], x, a[2], NULL, s, ids, v);
        break;
    case 2:
        stasis_index_create(4, "IVF2,Flat", &index);
        x = buffer(elems(a[0], a[1]), 4);
        stasis_index_train(index, a[0], a[1], x);
        break;
    case 3:
        index = small_index();
        ids = buffer(elems(a[0], 1), 8);
        stasis_index_remove(index, a[0], ids);
        break;
    case 4:
        index = small_index();
        ids = buffer(elems(a[0], 1), 8);
        out = buffer(elems(a[0], 1), 1);
        v = buffer(elems(a[0], 1), 4);
        stasis_index_lookup(index, a[0], ids, (uint8_t*)out, v);
        break;
    case 5: {
        index = small_index();
        v = buffer(elems(a[0], 1), 4);
        out = buffer(elems(a[0], 1), 8);
        int64_t total;
        stasis_index_versions(index, a[0], v, out, &total);
        break;
    }
    case 6:
        stasis_index_create(a[1], text(str), &index);
        break;
    case 7:
        x = buffer(elems(a[0], 1), 4);
        stasis_space_vertices(space, a[0], x);
        break;
    case 8:
        ids = buffer(elems(a[0], 1), 8);
        out = buffer(elems(a[0], 1), 8);
        stasis_space_lookup_ids(space, a[0], ids, out);
        break;
    case 9:
        x = buffer(elems(a[0], a[1]), 4);
        y = buffer(elems(a[0], a[2]), 4);
        stasis_encoder_encode(encoder, a[0], a[1], x, a[2], y);
        break;
    case 10:
        x = buffer(elems(a[0], a[1]), 4);
        y = buffer(elems(a[0], a[2]), 4);
        stasis_adapter_apply(adapter, a[0], a[1], x, a[2], y);
        break;
    case 11: {
        const stasis_adapter* chain[3] = {adapter, adapter, adapter};
        x = buffer(elems(a[0], a[1]), 4);
        y = buffer(elems(a[0], a[2]), 4);
        int64_t count = a[3] >= -1 && a[3] <= 3 ? a[3] : (a[3] & 1 ? 1 : -5);
        stasis_adapter_chain_apply(count < 0 ? NULL : chain, count, a[0], a[1], x, a[2], y);
        break;
    }
    case 12: {
        x = buffer(elems(a[0], a[1]), 4);
        ids = buffer(elems(a[0], 1), 8);
        out = buffer(elems(a[2], 1), 8);
        d = buffer(elems(a[2], 1), 8);
        stasis_labelled_vectors q = {a[0], a[1], x, ids};
        double top1, map;
        stasis_retrieval_metrics(&q, NULL, (int32_t)a[3], a[2], out, &top1, d, &map);
        break;
    }
    case 13: {
        d = buffer(elems(a[0], a[0]), 8);
        double ac, am, bc, fc;
        stasis_compatibility_metrics(a[0], d, &ac, &am, &bc, &fc);
        break;
    }
    case 14:
        v = buffer(elems(a[1], 1), 4);
        d = buffer(elems(a[0], 1), 8);
        stasis_report_matrix(report, a[0], v, d);
        break;
    case 15: {
        v = buffer(elems(a[0], 1), 4);
        int32_t passed;
        char* json = NULL;
        double margin;
        memcpy(&margin, &a[2], sizeof margin);
        if (stasis_report_gate(report, (uint32_t)a[1], a[0], v, margin, &passed, &json) == STASIS_OK) stasis_string_free(json);
        break;
    }
    case 16:
        d = buffer(elems(a[0], 1), 8);
        e = buffer(elems(a[0], 1), 8);
        stasis_report_set_backfill(report, a[0], d, e, text(str));
        break;
    case 17:
        x = buffer(elems(a[0], a[1]), 4);
        ids = buffer(elems(a[0], 1), 8);
        stasis_gallery_upsert(gallery, a[0], a[1], x, ids, (uint32_t)a[3]);
        if (++gallery_edits % 1000 == 0) {
            stasis_gallery_free(gallery);
            gallery = NULL;
            if (stasis_gallery_open(gallery_dir, &gallery) != STASIS_OK) abort();
        }
        break;
    case 18:
        x = buffer(elems(a[0], a[1]), 4);
        s = buffer(elems(a[0], a[2]), 4);
        ids = buffer(elems(a[0], a[2]), 8);
        v = buffer(elems(a[0], a[2]), 4);
        stasis_gallery_search(gallery, a[0], a[1], x, (uint32_t)a[3], a[2], NULL, (int32_t)(a[3] >> 32), s, ids, v);
        break;
    case 19:
        ids = buffer(elems(a[0], 1), 8);
        out = buffer(elems(a[0], 1), 8);
        stasis_gallery_versions_of(gallery, a[0], ids, out);
        break;
    case 20: {
        ids = buffer(elems(a[0], 1), 8);
        int64_t count;
        stasis_backfill_plan_next_batch(plan, gallery, a[0], ids, &count);
        break;
    }
    case 21:
        ids = buffer(elems(a[0], 1), 8);
        stasis_backfill_plan_order(plan, a[0], ids);
        break;
    case 22: {
        stasis_space* sp = NULL;
        /* Large valid codes take seconds by design; keep the fuzzer on the argument checks. */
        if (a[0] > 256 || a[1] > 256) break;
        stasis_space_create(text(str), a[0], a[1], (uint64_t)a[2], &sp);
        stasis_space_free(sp);
        break;
    }
    case 23: {
        /* Options struct of any declared size, its bytes from the payload. */
        index = small_index();
        size_t declared = (size_t)(a[3] & 0xff);
        uint8_t* raw = buffer(elems((int64_t)declared + 8, 1), 1);
        memcpy(raw, &declared, sizeof declared);
        float q[4] = {1, 2, 3, 4}, sc[2];
        int64_t hit[2];
        stasis_index_search(index, 1, 4, q, 2, (const stasis_search_options*)raw, sc, hit, NULL);
        stasis_index_set_search_defaults(index, (const stasis_search_options*)raw);
        free(raw);
        break;
    }
    }
    stasis_index_free(index);
    free(x);
    free(y);
    free(s);
    free(ids);
    free(out);
    free(v);
    free(d);
    free(e);
    return 0;
}
