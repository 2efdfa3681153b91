/* Adapters through the C header only: fit, apply, save/open/inspect, chains, bad input.
 * Built and run by scripts/test.sh together with test_abi.c (same CHECK helpers). */
#include "stasis.h"
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static uint64_t adapt_state = 99;
static float adapt_uniform(void) {
    adapt_state = adapt_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((adapt_state >> 40) & 0xFFFFFF) / (float)0x1000000 - 0.5f;
}

static float* adapt_random(int64_t n, int64_t dim) {
    float* x = malloc(sizeof(float) * (size_t)(n * dim));
    for (int64_t i = 0; i < n * dim; i++) x[i] = adapt_uniform();
    return x;
}

/* y = x M for row vectors, M dim_in x dim_out. */
static float* adapt_multiply(const float* x, int64_t n, const float* m, int64_t din, int64_t dout) {
    float* y = calloc((size_t)(n * dout), sizeof(float));
    for (int64_t r = 0; r < n; r++)
        for (int64_t j = 0; j < dout; j++)
            for (int64_t k = 0; k < din; k++) y[r * dout + j] += x[r * din + k] * m[k * dout + j];
    return y;
}

static int adapt_exists(const char* path) {
    struct stat info;
    return stat(path, &info) == 0;
}

/* The iterative kinds and the unpaired fit: names, settings in the file, identical output after
 * a save/open, the unpaired flag, and their bad input. */
static void test_adapter_kinds(const float* x, const float* y, int64_t n, int64_t ds, int64_t dt) {
    const char* kinds[] = {"orthogonal", "mlp", "local"};
    for (int i = 0; i < 3; i++) {
        stasis_adapter_options options = STASIS_ADAPTER_OPTIONS_INIT;
        if (i == 1) options.hidden = 16, options.epochs = 3;
        if (i == 2) options.clusters = 4, options.routing = 2;
        stasis_adapter* adapter = NULL;
        CHECK(stasis_adapter_fit(kinds[i], 2, 1, n, ds, x, dt, y, &options, &adapter) == STASIS_OK);
        const char* kind = NULL;
        CHECK(stasis_adapter_kind(adapter, &kind) == STASIS_OK && kind && strcmp(kind, kinds[i]) == 0);
        double cosine = 0;
        CHECK(stasis_adapter_validation(adapter, NULL, NULL, &cosine, NULL) == STASIS_OK && cosine > 0.5);
        int unpaired = -1;
        CHECK(stasis_adapter_is_unpaired(adapter, &unpaired) == STASIS_OK && unpaired == 0);
        char path[1024];
        snprintf(path, sizeof path, "%s/adapter_%s.safetensors", scratch, kinds[i]);
        CHECK(stasis_adapter_save(adapter, path) == STASIS_OK);
        char* json = NULL;
        CHECK(stasis_adapter_inspect(path, &json) == STASIS_OK);
        const char* expected[] = {"\"adapter.orthogonality\"", "\"adapter.hidden\":\"16\"", "\"adapter.clusters\":\"4\""};
        CHECK(json && strstr(json, expected[i]) && strstr(json, "\"adapter.fit\":\"paired\""));
        stasis_string_free(json);
        stasis_adapter* reopened = NULL;
        CHECK(stasis_adapter_open(path, &reopened) == STASIS_OK);
        float* first = malloc(sizeof(float) * (size_t)(n * dt));
        float* second = malloc(sizeof(float) * (size_t)(n * dt));
        CHECK(stasis_adapter_apply(adapter, n, ds, x, dt, first) == STASIS_OK);
        CHECK(stasis_adapter_apply(reopened, n, ds, x, dt, second) == STASIS_OK);
        CHECK(memcmp(first, second, sizeof(float) * (size_t)(n * dt)) == 0);
        free(first), free(second);
        stasis_adapter_free(reopened);
        stasis_adapter_free(adapter);
    }
    /* A caller compiled before the new fields (struct_size 56) gets their defaults. */
    stasis_adapter_options older = STASIS_ADAPTER_OPTIONS_INIT;
    older.struct_size = 56;
    stasis_adapter* local = NULL;
    CHECK(stasis_adapter_fit("local", 2, 1, n, ds, x, dt, y, &older, &local) == STASIS_OK);
    stasis_adapter_free(local);

    /* Unpaired: two halves of the rows are different items; the flag and empty validation. */
    stasis_adapter* unpaired = NULL;
    int64_t half = n / 2;
    stasis_adapter_options anchors = STASIS_ADAPTER_OPTIONS_INIT;
    anchors.clusters = 4;
    anchors.epochs = 3;
    CHECK(stasis_adapter_fit_unpaired(2, 1, half, ds, x, n - half, dt, y + half * dt, &anchors, &unpaired) == STASIS_OK);
    int flag = 0;
    CHECK(stasis_adapter_is_unpaired(unpaired, &flag) == STASIS_OK && flag == 1);
    int64_t train = -1, held = -1;
    double cosine = 0;
    CHECK(stasis_adapter_validation(unpaired, &train, &held, &cosine, NULL) == STASIS_OK);
    CHECK(train == 0 && held == 0 && isnan(cosine));
    char path[1024];
    snprintf(path, sizeof path, "%s/adapter_unpaired.safetensors", scratch);
    CHECK(stasis_adapter_save(unpaired, path) == STASIS_OK);
    stasis_adapter* reopened = NULL;
    CHECK(stasis_adapter_open(path, &reopened) == STASIS_OK);
    CHECK(stasis_adapter_is_unpaired(reopened, &flag) == STASIS_OK && flag == 1);
    stasis_adapter_free(reopened);
    stasis_adapter_free(unpaired);

    /* Bad input: clear errors, nothing produced. */
    stasis_adapter* none = (stasis_adapter*)0x1;
    stasis_adapter_options many = STASIS_ADAPTER_OPTIONS_INIT;
    many.clusters = 200;
    CHECK_ERR(stasis_adapter_fit("local", 2, 1, n, ds, x, dt, y, &many, &none), STASIS_ERROR_INVALID_ARGUMENT, "too few pairs");
    CHECK(none == NULL);
    CHECK_ERR(stasis_adapter_fit("ridge", 2, 1, n, ds, x, dt, y, &anchors, &none), STASIS_ERROR_INVALID_ARGUMENT, "local adapters only");
    stasis_adapter_options negative = STASIS_ADAPTER_OPTIONS_INIT;
    negative.orthogonality = -1;
    CHECK_ERR(stasis_adapter_fit("orthogonal", 2, 1, n, ds, x, dt, y, &negative, &none), STASIS_ERROR_INVALID_ARGUMENT, "orthogonality");
    CHECK_ERR(stasis_adapter_fit_unpaired(2, 1, 10, ds, x, n, dt, y, NULL, &none), STASIS_ERROR_INVALID_ARGUMENT, "too few rows");
    CHECK_ERR(stasis_adapter_fit_unpaired(2, 1, half, ds, x, half, dt, NULL, NULL, &none), STASIS_ERROR_INVALID_ARGUMENT, "target");
    float* poisoned = malloc(sizeof(float) * (size_t)(half * ds));
    memcpy(poisoned, x, sizeof(float) * (size_t)(half * ds));
    poisoned[7 * ds] = NAN;
    CHECK_ERR(stasis_adapter_fit_unpaired(2, 1, half, ds, poisoned, half, dt, y, NULL, &none), STASIS_ERROR_INVALID_ARGUMENT, "source row 7");
    free(poisoned);
    CHECK(none == NULL);
}

void test_adapters(void) {
    const int64_t n = 300, ds = 12, dt = 8;
    float* x = adapt_random(n, ds);
    float* m = adapt_random(ds, dt);
    float* y = adapt_multiply(x, n, m, ds, dt);

    /* Fit each kind backward (v2 -> v1) and check the held-out numbers. */
    const char* kinds[] = {"procrustes", "ridge", "lowrank"};
    for (int i = 0; i < 3; i++) {
        stasis_adapter* adapter = NULL;
        CHECK(stasis_adapter_fit(kinds[i], 2, 1, n, ds, x, dt, y, NULL, &adapter) == STASIS_OK);
        const char* kind = NULL;
        CHECK(stasis_adapter_kind(adapter, &kind) == STASIS_OK && kind && strcmp(kind, kinds[i]) == 0);
        int64_t train = 0, held = 0;
        double cosine = 0, recall = 0;
        CHECK(stasis_adapter_validation(adapter, &train, &held, &cosine, &recall) == STASIS_OK);
        CHECK(train == 270 && held == 30);
        CHECK(cosine > 0.5 && cosine <= 1.0 + 1e-6 && recall >= 0 && recall <= 1);
        if (i == 1) CHECK(cosine > 0.99 && recall > 0.9); /* y is an exact linear map of x */
        stasis_adapter_free(adapter);
    }

    /* Options: rank, no validation split, space fingerprints; apply writes unit rows. */
    stasis_adapter_options options = STASIS_ADAPTER_OPTIONS_INIT;
    options.rank = 4;
    options.validation_fraction = -1;
    options.source_space = "space-new";
    stasis_adapter* low = NULL;
    CHECK(stasis_adapter_fit("lowrank", 2, 1, n, ds, x, dt, y, &options, &low) == STASIS_OK);
    int64_t train = 0, held = -1;
    double cosine = 0;
    CHECK(stasis_adapter_validation(low, &train, &held, &cosine, NULL) == STASIS_OK);
    CHECK(train == n && held == 0 && isnan(cosine));
    uint32_t sv = 0, tv = 0;
    int64_t sd = 0, td = 0;
    CHECK(stasis_adapter_versions(low, &sv, &tv) == STASIS_OK && sv == 2 && tv == 1);
    CHECK(stasis_adapter_dimensions(low, &sd, &td) == STASIS_OK && sd == ds && td == dt);
    float* mapped = malloc(sizeof(float) * (size_t)(n * dt));
    CHECK(stasis_adapter_apply(low, n, ds, x, dt, mapped) == STASIS_OK);
    double norm = 0;
    for (int64_t j = 0; j < dt; j++) norm += (double)mapped[j] * mapped[j];
    CHECK(fabs(norm - 1) < 1e-5);

    /* Save, inspect without loading, reopen: same output. */
    char path[1024];
    snprintf(path, sizeof path, "%s/adapter_low.safetensors", scratch);
    CHECK(stasis_adapter_save(low, path) == STASIS_OK);
    char* json = NULL;
    CHECK(stasis_adapter_inspect(path, &json) == STASIS_OK);
    CHECK(json && strstr(json, "\"adapter.kind\":\"lowrank\"") && strstr(json, "\"adapter.rank\":\"4\"")
          && strstr(json, "\"adapter.source_space\":\"space-new\"") && strstr(json, "\"stasis.kind\":\"adapter\""));
    stasis_string_free(json);
    stasis_adapter* reopened = NULL;
    CHECK(stasis_adapter_open(path, &reopened) == STASIS_OK);
    float* again = malloc(sizeof(float) * (size_t)(n * dt));
    CHECK(stasis_adapter_apply(reopened, n, ds, x, dt, again) == STASIS_OK);
    CHECK(memcmp(mapped, again, sizeof(float) * (size_t)(n * dt)) == 0);

    /* A chain v3 -> v2 -> v1 equals applying both in turn. */
    const int64_t d3 = 10;
    float* z = adapt_random(n, d3);
    stasis_adapter* a32 = NULL;
    CHECK(stasis_adapter_fit("procrustes", 3, 2, n, d3, z, ds, x, NULL, &a32) == STASIS_OK);
    const stasis_adapter* chain[] = {a32, low};
    float* via_chain = malloc(sizeof(float) * (size_t)(n * dt));
    float* step = malloc(sizeof(float) * (size_t)(n * ds));
    CHECK(stasis_adapter_chain_apply(chain, 2, n, d3, z, dt, via_chain) == STASIS_OK);
    CHECK(stasis_adapter_apply(a32, n, d3, z, ds, step) == STASIS_OK);
    CHECK(stasis_adapter_apply(low, n, ds, step, dt, again) == STASIS_OK);
    double worst = 0;
    for (int64_t i = 0; i < n * dt; i++) worst = fmax(worst, fabs(via_chain[i] - again[i]));
    CHECK(worst < 1e-5);

    /* Bad input: clear errors, nothing produced or written. */
    const stasis_adapter* gap[] = {low, a32};
    CHECK_ERR(stasis_adapter_chain_apply(gap, 2, 0, ds, NULL, ds, NULL), STASIS_ERROR_INCOMPATIBLE, "gap");
    const stasis_adapter* with_null[] = {a32, NULL};
    CHECK_ERR(stasis_adapter_chain_apply(with_null, 2, 0, d3, NULL, dt, NULL), STASIS_ERROR_INVALID_ARGUMENT, "NULL");
    CHECK_ERR(stasis_adapter_chain_apply(chain, 0, 0, d3, NULL, dt, NULL), STASIS_ERROR_INVALID_ARGUMENT, "count");
    CHECK_ERR(stasis_adapter_apply(low, n, ds + 1, x, dt, mapped), STASIS_ERROR_DIMENSION_MISMATCH, "reads 12");
    CHECK_ERR(stasis_adapter_apply(low, n, ds, x, dt + 1, mapped), STASIS_ERROR_DIMENSION_MISMATCH, "produces 8");
    CHECK_ERR(stasis_adapter_apply(low, 1, ds, NULL, dt, mapped), STASIS_ERROR_INVALID_ARGUMENT, "NULL");
    stasis_adapter* none = (stasis_adapter*)0x1;
    float saved = x[5 * ds + 3];
    x[5 * ds + 3] = NAN;
    CHECK_ERR(stasis_adapter_fit("ridge", 2, 1, n, ds, x, dt, y, NULL, &none), STASIS_ERROR_INVALID_ARGUMENT, "source row 5");
    CHECK(none == NULL);
    x[5 * ds + 3] = saved;
    CHECK_ERR(stasis_adapter_fit("ridge", 2, 1, 10, ds, x, dt, y, NULL, &none), STASIS_ERROR_INVALID_ARGUMENT, "too few pairs");
    stasis_adapter_options bad_hidden = STASIS_ADAPTER_OPTIONS_INIT;
    bad_hidden.hidden = -3;
    CHECK_ERR(stasis_adapter_fit("mlp", 2, 1, n, ds, x, dt, y, &bad_hidden, &none), STASIS_ERROR_INVALID_ARGUMENT, "hidden");
    CHECK_ERR(stasis_adapter_fit("spin", 2, 1, n, ds, x, dt, y, NULL, &none), STASIS_ERROR_INVALID_ARGUMENT, "spin");
    CHECK_ERR(stasis_adapter_fit(NULL, 2, 1, n, ds, x, dt, y, NULL, &none), STASIS_ERROR_INVALID_ARGUMENT, "kind");
    CHECK_ERR(stasis_adapter_fit("ridge", 1, 1, n, ds, x, dt, y, NULL, &none), STASIS_ERROR_INVALID_ARGUMENT, "versions");
    CHECK_ERR(stasis_adapter_fit("ridge", 2, 1, n, 0, x, dt, y, NULL, &none), STASIS_ERROR_INVALID_ARGUMENT, "dimension");
    CHECK_ERR(stasis_adapter_fit("ridge", 2, 1, -1, ds, x, dt, y, NULL, &none), STASIS_ERROR_INVALID_ARGUMENT, "-1");
    stasis_adapter_options bad = STASIS_ADAPTER_OPTIONS_INIT;
    bad.rank = 3;
    CHECK_ERR(stasis_adapter_fit("ridge", 2, 1, n, ds, x, dt, y, &bad, &none), STASIS_ERROR_INVALID_ARGUMENT, "rank");
    bad = (stasis_adapter_options)STASIS_ADAPTER_OPTIONS_INIT;
    bad.ridge = -1;
    CHECK_ERR(stasis_adapter_fit("ridge", 2, 1, n, ds, x, dt, y, &bad, &none), STASIS_ERROR_INVALID_ARGUMENT, "ridge");
    bad = (stasis_adapter_options)STASIS_ADAPTER_OPTIONS_INIT;
    bad.struct_size = 0;
    CHECK_ERR(stasis_adapter_fit("ridge", 2, 1, n, ds, x, dt, y, &bad, &none), STASIS_ERROR_INVALID_ARGUMENT, "struct_size");
    CHECK(none == NULL);
    char other[1024];
    snprintf(other, sizeof other, "%s/not_written.safetensors", scratch);
    CHECK_ERR(stasis_adapter_open(other, &none), STASIS_ERROR_IO, "not_written");
    CHECK(!adapt_exists(other));
    stasis_space* space = NULL;
    CHECK(stasis_space_create("simplex", 4, 0, 0, &space) == STASIS_OK);
    snprintf(other, sizeof other, "%s/space_for_adapter.safetensors", scratch);
    CHECK(stasis_space_save(space, other) == STASIS_OK);
    CHECK_ERR(stasis_adapter_open(other, &none), STASIS_ERROR_INVALID_ARGUMENT, "not an adapter");
    CHECK_ERR(stasis_adapter_kind((const stasis_adapter*)space, &(const char*){NULL}), STASIS_ERROR_INVALID_ARGUMENT, "adapter");
    stasis_space_free(space);
    stasis_adapter_free(NULL);

    test_adapter_kinds(x, y, n, ds, dt);
    stasis_adapter_free(a32);
    stasis_adapter_free(reopened);
    stasis_adapter_free(low);
    free(x), free(m), free(y), free(z), free(mapped), free(again), free(via_chain), free(step);
}
