/* Training through the C header: options, labels, progress and cancellation, the summary,
 * alignment with a previous version, softmax features, and bad input that changes nothing.
 * Built and run by scripts/test.sh together with test_abi.c (same CHECK helpers). */
#include "stasis.h"
#include "check.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The layout the library reads by offset (Sources/StasisCABI/TrainOptionsABI.swift). */
_Static_assert(sizeof(stasis_train_options) == 208, "stasis_train_options layout");
_Static_assert(offsetof(stasis_train_options, residual) == 200, "stasis_train_options.residual");
_Static_assert(offsetof(stasis_train_options, hidden) == 112, "stasis_train_options.hidden");
_Static_assert(offsetof(stasis_train_options, progress) == 160, "stasis_train_options.progress");
_Static_assert(offsetof(stasis_train_options, progress_interval) == 192, "stasis_train_options.progress_interval");
_Static_assert(offsetof(stasis_train_progress, end_of_epoch) == 72, "stasis_train_progress layout");

#define CLASSES 4
#define PER_CLASS 30
#define N (CLASSES * PER_CLASS)
#define DIM 8

/* Separable clusters: class k centred on 3 e_k plus small deterministic noise. */
static void make_data(float* x, int64_t* labels, unsigned seed) {
    for (int i = 0; i < N; i++) {
        labels[i] = 100 + i % CLASSES;
        for (int j = 0; j < DIM; j++) {
            seed = seed * 1103515245u + 12345u;
            float noise = (float)((seed >> 8) & 0xFFFF) / 65536.0f - 0.5f;
            x[i * DIM + j] = (j == (i % CLASSES) ? 3.0f : 0.0f) + noise;
        }
    }
}

typedef struct {
    int calls;
    int epochs_seen;
    int cancel_at;
    double last_validation;
} progress_log;

static int on_progress(const stasis_train_progress* p, void* user) {
    progress_log* log = user;
    log->calls++;
    if (p->end_of_epoch) {
        log->epochs_seen = p->epoch;
        log->last_validation = p->validation_accuracy;
    }
    return log->cancel_at > 0 && p->epoch >= log->cancel_at;
}

static void test_train_and_summary(void) {
    float x[N * DIM];
    int64_t labels[N];
    make_data(x, labels, 1);
    stasis_space* space = NULL;
    CHECK(stasis_space_create("simplex", 8, 0, 0, &space) == STASIS_OK);

    progress_log log = {0, 0, 0, 0};
    stasis_train_options options = STASIS_TRAIN_OPTIONS_INIT;
    options.epochs = 12;
    options.batch_size = 16;
    options.learning_rate = 1e-2;
    options.validation = 0.25;
    options.progress = on_progress;
    options.progress_user_data = &log;
    options.backbone = "test-backbone";
    stasis_encoder* v1 = NULL;
    CHECK(stasis_train_ids(space, N, DIM, x, labels, NULL, 0, NULL, 1, &options, &v1) == STASIS_OK);
    CHECK(v1 != NULL);
    CHECK(log.epochs_seen == 12 && log.calls == 12);
    CHECK(log.last_validation > 0.95);
    int64_t count = 0, out_dim = 0;
    CHECK(stasis_space_label_count(space, &count) == STASIS_OK && count == CLASSES);
    CHECK(stasis_encoder_output_dimension(v1, &out_dim) == STASIS_OK && out_dim == 7);
    const char* summary = NULL;
    CHECK(stasis_encoder_metadata(v1, "stasis.training", &summary) == STASIS_OK);
    CHECK(summary != NULL && strstr(summary, "\"epochs\":12") != NULL && strstr(summary, "\"items\":120") != NULL);
    const char* backbone = NULL;
    CHECK(stasis_encoder_metadata(v1, "stasis.backbone", &backbone) == STASIS_OK && strcmp(backbone, "test-backbone") == 0);
    const char* feature = NULL;
    double temperature = -1;
    CHECK(stasis_encoder_feature(v1, &feature, &temperature) == STASIS_OK && strcmp(feature, "raw") == 0 && temperature == 0);

    /* v2 aligned with HOC, softmax features, one hidden layer with LayerNorm. */
    float x2[N * DIM];
    int64_t unused[N];
    make_data(x2, unused, 2);
    int64_t hidden[1] = {16};
    stasis_train_options aligned = STASIS_TRAIN_OPTIONS_INIT;
    aligned.learning_rate = 1e-2;
    aligned.alignment = STASIS_ALIGNMENT_HOC;
    aligned.feature = STASIS_FEATURE_SOFTMAX;
    aligned.hidden = hidden;
    aligned.hidden_count = 1;
    aligned.normalization = STASIS_NORMALIZATION_LAYERNORM;
    aligned.paired_count = 20;
    aligned.paired_features = x2;
    aligned.paired_previous_features = x;
    stasis_encoder* v2 = NULL;
    CHECK(stasis_train_ids(space, N, DIM, x2, labels, v1, DIM, x, 2, &aligned, &v2) == STASIS_OK);
    CHECK(stasis_encoder_feature(v2, &feature, &temperature) == STASIS_OK && strcmp(feature, "softmax") == 0);
    CHECK(temperature > 0);
    const char* summary2 = NULL;
    CHECK(stasis_encoder_metadata(v2, "stasis.training", &summary2) == STASIS_OK);
    CHECK(strstr(summary2, "\"previousVersion\":1") != NULL && strstr(summary2, "\"alignment\":\"hoc\"") != NULL);
    char path[512];
    snprintf(path, sizeof path, "%s/trained_v2.safetensors", scratch);
    CHECK(stasis_encoder_save(v2, path) == STASIS_OK);
    stasis_encoder* reloaded = NULL;
    CHECK(stasis_encoder_open(path, &reloaded) == STASIS_OK);
    float a[DIM], b[DIM];
    CHECK(stasis_encoder_encode(v2, 1, DIM, x2, 7, a) == STASIS_OK);
    CHECK(stasis_encoder_encode(reloaded, 1, DIM, x2, 7, b) == STASIS_OK);
    CHECK(memcmp(a, b, sizeof(float) * 7) == 0);

    /* A residual head: the skip is a "skip" layer in the spec, and the file reopens identically. */
    stasis_train_options residual = STASIS_TRAIN_OPTIONS_INIT;
    residual.hidden = hidden;
    residual.hidden_count = 1;
    residual.residual = 1;
    residual.epochs = 2;
    stasis_encoder* skip = NULL;
    CHECK(stasis_train_ids(space, N, DIM, x, labels, NULL, 0, NULL, 4, &residual, &skip) == STASIS_OK);
    const char* fresh_layers = NULL;
    CHECK(stasis_encoder_metadata(skip, "stasis.layers", &fresh_layers) == STASIS_OK && strstr(fresh_layers, "\"skip\"") != NULL);
    snprintf(path, sizeof path, "%s/trained_residual.safetensors", scratch);
    CHECK(stasis_encoder_save(skip, path) == STASIS_OK);
    stasis_encoder* skip_reloaded = NULL;
    CHECK(stasis_encoder_open(path, &skip_reloaded) == STASIS_OK);
    const char* layers = NULL;
    CHECK(stasis_encoder_metadata(skip_reloaded, "stasis.layers", &layers) == STASIS_OK && strstr(layers, "\"skip\"") != NULL);
    CHECK(stasis_encoder_encode(skip, 1, DIM, x, 7, a) == STASIS_OK);
    CHECK(stasis_encoder_encode(skip_reloaded, 1, DIM, x, 7, b) == STASIS_OK);
    CHECK(memcmp(a, b, sizeof(float) * 7) == 0);
    stasis_encoder_free(skip_reloaded);
    stasis_encoder_free(skip);
    residual.hidden_count = 0;
    stasis_encoder* refused = NULL;
    CHECK_ERR(stasis_train_ids(space, N, DIM, x, labels, NULL, 0, NULL, 4, &residual, &refused), STASIS_ERROR_INVALID_ARGUMENT,
              "residual head needs hidden layers");

    /* A zeroed struct with struct_size set means every default; negative asks for none. */
    stasis_train_options zeroed;
    memset(&zeroed, 0, sizeof zeroed);
    zeroed.struct_size = sizeof zeroed;
    zeroed.epochs = 2;
    zeroed.validation = -1;
    zeroed.no_bias = 1;
    stasis_encoder* plain = NULL;
    CHECK(stasis_train_ids(space, N, DIM, x, labels, NULL, 0, NULL, 3, &zeroed, &plain) == STASIS_OK);
    const char* summary3 = NULL;
    CHECK(stasis_encoder_metadata(plain, "stasis.training", &summary3) == STASIS_OK);
    CHECK(strstr(summary3, "\"validationItems\":0") != NULL && strstr(summary3, "\"batchSize\":128") != NULL);
    CHECK(strstr(summary3, "\"learningRate\":0.001") != NULL && strstr(summary3, "\"bias\":false") != NULL);
    stasis_encoder_free(plain);

    /* Same seed, same result (string labels this time, on a fresh space). */
    const char* names[N];
    const char* pool[CLASSES] = {"cat", "dog", "eel", "fox"};
    for (int i = 0; i < N; i++) names[i] = pool[i % CLASSES];
    stasis_encoder* r1 = NULL;
    stasis_encoder* r2 = NULL;
    stasis_space* s1 = NULL;
    stasis_space* s2 = NULL;
    CHECK(stasis_space_create("simplex", 8, 0, 0, &s1) == STASIS_OK && stasis_space_create("simplex", 8, 0, 0, &s2) == STASIS_OK);
    CHECK(stasis_train_names(s1, N, DIM, x, names, NULL, 0, NULL, 1, NULL, &r1) == STASIS_OK);
    CHECK(stasis_train_names(s2, N, DIM, x, names, NULL, 0, NULL, 1, NULL, &r2) == STASIS_OK);
    CHECK(stasis_encoder_encode(r1, 1, DIM, x, 7, a) == STASIS_OK && stasis_encoder_encode(r2, 1, DIM, x, 7, b) == STASIS_OK);
    CHECK(memcmp(a, b, sizeof(float) * 7) == 0);
    int64_t vertex = -1;
    CHECK(stasis_space_lookup_names(s1, 1, &pool[2], &vertex) == STASIS_OK && vertex == 2);

    stasis_encoder_free(reloaded);
    stasis_encoder_free(r1);
    stasis_encoder_free(r2);
    stasis_space_free(s1);
    stasis_space_free(s2);
    stasis_encoder_free(v2);
    stasis_encoder_free(v1);
    stasis_space_free(space);
}

static void test_train_errors(void) {
    float x[N * DIM];
    int64_t labels[N];
    make_data(x, labels, 3);
    stasis_space* space = NULL;
    stasis_space* small = NULL;
    stasis_space* other = NULL;
    CHECK(stasis_space_create("simplex", 8, 0, 0, &space) == STASIS_OK);
    CHECK(stasis_space_create("simplex", 3, 0, 0, &small) == STASIS_OK);
    CHECK(stasis_space_create("simplex", 9, 0, 0, &other) == STASIS_OK);
    stasis_encoder* out = (stasis_encoder*)&out;

    /* Labels and features of different lengths: the caller passes fewer rows of features than
     * labels in a NULL features pointer. */
    CHECK_ERR(stasis_train_ids(space, N, DIM, NULL, labels, NULL, 0, NULL, 1, NULL, &out), STASIS_ERROR_INVALID_ARGUMENT, "features");
    CHECK(out == NULL);
    float bad[N * DIM];
    memcpy(bad, x, sizeof bad);
    bad[5 * DIM + 2] = NAN;
    CHECK_ERR(stasis_train_ids(space, N, DIM, bad, labels, NULL, 0, NULL, 1, NULL, &out), STASIS_ERROR_INVALID_ARGUMENT,
              "row 5 has a non-finite value");
    CHECK_ERR(stasis_train_ids(small, N, DIM, x, labels, NULL, 0, NULL, 1, NULL, &out), STASIS_ERROR_UNSUPPORTED, "space is full");
    stasis_encoder* foreign = NULL;
    CHECK(stasis_train_ids(other, N, DIM, x, labels, NULL, 0, NULL, 1, NULL, &foreign) == STASIS_OK);
    stasis_train_options hoc = STASIS_TRAIN_OPTIONS_INIT;
    hoc.alignment = STASIS_ALIGNMENT_HOC;
    CHECK_ERR(stasis_train_ids(space, N, DIM, x, labels, foreign, DIM, x, 2, &hoc, &out), STASIS_ERROR_INCOMPATIBLE,
              "belongs to space");
    CHECK_ERR(stasis_train_ids(space, N, DIM, x, labels, NULL, 0, NULL, 2, &hoc, &out), STASIS_ERROR_INVALID_ARGUMENT,
              "needs the previous encoder");
    stasis_train_options options = STASIS_TRAIN_OPTIONS_INIT;
    options.struct_size = 4;
    CHECK_ERR(stasis_train_ids(space, N, DIM, x, labels, NULL, 0, NULL, 1, &options, &out), STASIS_ERROR_INVALID_ARGUMENT,
              "struct_size");
    options = (stasis_train_options)STASIS_TRAIN_OPTIONS_INIT;
    options.epochs = -1;
    CHECK_ERR(stasis_train_ids(space, N, DIM, x, labels, NULL, 0, NULL, 1, &options, &out), STASIS_ERROR_INVALID_ARGUMENT, "epochs");
    options = (stasis_train_options)STASIS_TRAIN_OPTIONS_INIT;
    options.optimizer = 7;
    CHECK_ERR(stasis_train_ids(space, N, DIM, x, labels, NULL, 0, NULL, 1, &options, &out), STASIS_ERROR_INVALID_ARGUMENT,
              "optimizer");

    /* Cancel from the callback at epoch 2: nothing produced, no label assigned. */
    progress_log log = {0, 0, 2, 0};
    options = (stasis_train_options)STASIS_TRAIN_OPTIONS_INIT;
    options.progress = on_progress;
    options.progress_user_data = &log;
    CHECK_ERR(stasis_train_ids(space, N, DIM, x, labels, NULL, 0, NULL, 1, &options, &out), STASIS_ERROR_CANCELLED, "cancelled");
    CHECK(out == NULL && log.epochs_seen == 2);
    CHECK(strcmp(stasis_status_string(STASIS_ERROR_CANCELLED), "cancelled") == 0);
    int64_t count = -1;
    CHECK(stasis_space_label_count(space, &count) == STASIS_OK && count == 0);

    stasis_encoder_free(foreign);
    stasis_space_free(other);
    stasis_space_free(small);
    stasis_space_free(space);
}

void test_training(void) {
    test_train_and_summary();
    test_train_errors();
}
