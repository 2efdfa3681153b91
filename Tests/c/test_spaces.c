/* Spaces, encoders and space-bound indexes through the C header only.
 * Built and run by scripts/test.sh together with test_abi.c (same CHECK helpers). */
#include "stasis.h"
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>



static void scratch_path(char* out, size_t cap, const char* name) { snprintf(out, cap, "%s/%s", scratch, name); }

static void test_space_kinds(void) {
    const char* kinds[] = {"simplex", "orthoplex", "cube"};
    const int64_t dims[] = {9, 5, 4};
    for (int i = 0; i < 3; i++) {
        stasis_space* space = NULL;
        CHECK(stasis_space_create(kinds[i], 10, 0, 0, &space) == STASIS_OK);
        int64_t k = 0, d = 0;
        const char* kind = NULL;
        CHECK(stasis_space_class_count(space, &k) == STASIS_OK && k == 10);
        CHECK(stasis_space_dimension(space, &d) == STASIS_OK && d == dims[i]);
        CHECK(stasis_space_kind(space, &kind) == STASIS_OK && strcmp(kind, kinds[i]) == 0);
        float* v = malloc(sizeof(float) * k * d);
        CHECK(stasis_space_vertices(space, k * d, v) == STASIS_OK);
        double max_cos = 0, seen = -2;
        CHECK(stasis_space_max_cosine(space, &max_cos) == STASIS_OK);
        for (int a = 0; a < k; a++) {
            double norm = 0;
            for (int j = 0; j < d; j++) norm += (double)v[a * d + j] * v[a * d + j];
            CHECK(fabs(norm - 1) < 1e-6);
            for (int b = a + 1; b < k; b++) {
                double dot = 0;
                for (int j = 0; j < d; j++) dot += (double)v[a * d + j] * v[b * d + j];
                if (dot > seen) seen = dot;
            }
        }
        CHECK(fabs(seen - max_cos) < 1e-6);
        CHECK_ERR(stasis_space_vertices(space, k * d - 1, v), STASIS_ERROR_INVALID_ARGUMENT, "exactly");
        free(v);
        stasis_space_free(space);
    }
    stasis_space* space = (stasis_space*)0x1;
    CHECK_ERR(stasis_space_create("pyramid", 10, 0, 0, &space), STASIS_ERROR_INVALID_ARGUMENT, "pyramid");
    CHECK(space == NULL);
    CHECK_ERR(stasis_space_create("simplex", 10, 3, 0, &space), STASIS_ERROR_INVALID_ARGUMENT, "dimension 9");
    CHECK_ERR(stasis_space_create("simplex", 1, 0, 0, &space), STASIS_ERROR_INVALID_ARGUMENT, "at least 2");
    CHECK_ERR(stasis_space_create("spherical-code", 100, 0, 0, &space), STASIS_ERROR_INVALID_ARGUMENT, "explicit");
    CHECK_ERR(stasis_space_create("simplex", -4, 0, 0, &space), STASIS_ERROR_INVALID_ARGUMENT, "-4");
    CHECK_ERR(stasis_space_create(NULL, 4, 0, 0, &space), STASIS_ERROR_INVALID_ARGUMENT, "kind");
    stasis_space_free(NULL);

    stasis_space *a = NULL, *b = NULL;
    CHECK(stasis_space_create("spherical-code", 300, 24, 9, &a) == STASIS_OK);
    CHECK(stasis_space_create("spherical-code", 300, 24, 9, &b) == STASIS_OK);
    const char *fa = NULL, *fb = NULL;
    CHECK(stasis_space_fingerprint(a, &fa) == STASIS_OK && stasis_space_fingerprint(b, &fb) == STASIS_OK);
    CHECK(fa && fb && strcmp(fa, fb) == 0 && strlen(fa) == 16);
    stasis_space_free(a);
    stasis_space_free(b);
}

static void test_registry(void) {
    char path[512];
    scratch_path(path, sizeof path, "c-space.safetensors");
    stasis_space* space = NULL;
    CHECK(stasis_space_create("simplex", 4, 0, 0, &space) == STASIS_OK);
    int64_t vertices[3] = {-9, -9, -9};
    CHECK(stasis_space_assign_ids(space, 3, (int64_t[]){100, 200, 100}, vertices) == STASIS_OK);
    CHECK(vertices[0] == 0 && vertices[1] == 1 && vertices[2] == 0);
    const char* names[2] = {"cat", "dog"};
    CHECK(stasis_space_assign_names(space, 2, names, vertices) == STASIS_OK);
    CHECK(vertices[0] == 2 && vertices[1] == 3);
    const char* more[1] = {"eel"};
    CHECK_ERR(stasis_space_assign_names(space, 1, more, vertices), STASIS_ERROR_UNSUPPORTED, "do not fit");
    CHECK_ERR(stasis_space_assign_ids(space, 1, NULL, vertices), STASIS_ERROR_INVALID_ARGUMENT, "labels");
    const char* with_null[2] = {"cat", NULL};
    CHECK_ERR(stasis_space_lookup_names(space, 2, with_null, vertices), STASIS_ERROR_INVALID_ARGUMENT, "labels[1]");
    int64_t count = 0;
    CHECK(stasis_space_label_count(space, &count) == STASIS_OK && count == 4);
    CHECK(stasis_space_save(space, path) == STASIS_OK);
    stasis_space_free(space);

    CHECK(stasis_space_open(path, &space) == STASIS_OK);
    CHECK(stasis_space_lookup_ids(space, 2, (int64_t[]){200, 300}, vertices) == STASIS_OK);
    CHECK(vertices[0] == 1 && vertices[1] == -1);
    const char* query[2] = {"dog", "eel"};
    CHECK(stasis_space_lookup_names(space, 2, query, vertices) == STASIS_OK);
    CHECK(vertices[0] == 3 && vertices[1] == -1);
    char* json = NULL;
    CHECK(stasis_space_inspect(path, &json) == STASIS_OK);
    CHECK(json && strstr(json, "\"space.kind\":\"simplex\"") && strstr(json, "\"vertices\":[4,3]"));
    stasis_string_free(json);
    stasis_space_free(space);
    CHECK_ERR(stasis_space_open("/nonexistent.safetensors", &space), STASIS_ERROR_IO, "No such file");
    CHECK_ERR(stasis_encoder_open(path, (stasis_encoder**)&space), STASIS_ERROR_INVALID_ARGUMENT, "not an encoder");
}

/* Writes a one-layer encoder (identity Linear, 4 -> 4) as safetensors by hand, the way any
 * language without a safetensors library could. */
static int write_identity_encoder(const char* path, const char* fingerprint, int version) {
    char header[1024];
    snprintf(header, sizeof header,
             "{\"__metadata__\":{\"stasis.kind\":\"encoder\",\"stasis.format\":\"1\",\"stasis.space\":\"%s\","
             "\"stasis.version\":\"%d\",\"stasis.input_dim\":\"4\",\"stasis.output_dim\":\"4\","
             "\"stasis.layers\":\"[{\\\"type\\\":\\\"linear\\\"}]\",\"stasis.backbone\":\"hand-made\"},"
             "\"layers.0.weight\":{\"dtype\":\"F32\",\"shape\":[4,4],\"data_offsets\":[0,64]}}",
             fingerprint, version);
    uint64_t length = strlen(header);
    float weight[16] = {0};
    for (int i = 0; i < 4; i++) weight[i * 5] = 1;
    FILE* f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(&length, 8, 1, f);
    fwrite(header, 1, length, f);
    fwrite(weight, sizeof weight, 1, f);
    fclose(f);
    return 1;
}

static void test_encoders_and_bound_index(void) {
    char path[512], copy[512], foreign_path[512];
    scratch_path(path, sizeof path, "c-encoder.safetensors");
    scratch_path(copy, sizeof copy, "c-encoder-copy.safetensors");
    scratch_path(foreign_path, sizeof foreign_path, "c-foreign.safetensors");
    stasis_space *space = NULL, *other = NULL;
    CHECK(stasis_space_create("simplex", 5, 0, 0, &space) == STASIS_OK);
    CHECK(stasis_space_create("cube", 16, 0, 0, &other) == STASIS_OK);
    const char *fingerprint = NULL, *other_fingerprint = NULL;
    stasis_space_fingerprint(space, &fingerprint);
    stasis_space_fingerprint(other, &other_fingerprint);
    CHECK(write_identity_encoder(path, fingerprint, 7));
    CHECK(write_identity_encoder(foreign_path, other_fingerprint, 8));

    stasis_encoder *encoder = NULL, *foreign = NULL;
    CHECK(stasis_encoder_open(path, &encoder) == STASIS_OK);
    CHECK(stasis_encoder_open(foreign_path, &foreign) == STASIS_OK);
    int64_t in_dim = 0, out_dim = 0;
    uint32_t version = 0;
    const char *enc_space = NULL, *backbone = NULL;
    CHECK(stasis_encoder_input_dimension(encoder, &in_dim) == STASIS_OK && in_dim == 4);
    CHECK(stasis_encoder_output_dimension(encoder, &out_dim) == STASIS_OK && out_dim == 4);
    CHECK(stasis_encoder_version(encoder, &version) == STASIS_OK && version == 7);
    CHECK(stasis_encoder_space(encoder, &enc_space) == STASIS_OK && strcmp(enc_space, fingerprint) == 0);
    CHECK(stasis_encoder_metadata(encoder, "stasis.backbone", &backbone) == STASIS_OK && strcmp(backbone, "hand-made") == 0);
    CHECK_ERR(stasis_encoder_metadata(encoder, "nope", &backbone), STASIS_ERROR_NOT_FOUND, "nope");
    CHECK(backbone == NULL);

    float x[3 * 4] = {3, 4, 0, 0, 0, 0, 2, 0, 1, 1, 1, 1}, y[3 * 4];
    CHECK(stasis_encoder_encode(encoder, 3, 4, x, 4, y) == STASIS_OK);
    CHECK(fabsf(y[0] - 0.6f) < 1e-6f && fabsf(y[1] - 0.8f) < 1e-6f && fabsf(y[6] - 1) < 1e-6f && fabsf(y[8] - 0.5f) < 1e-6f);
    CHECK_ERR(stasis_encoder_encode(encoder, 3, 5, x, 4, y), STASIS_ERROR_DIMENSION_MISMATCH, "expects 4");
    CHECK_ERR(stasis_encoder_encode(encoder, 3, 4, x, 3, y), STASIS_ERROR_DIMENSION_MISMATCH, "produces 4");
    CHECK_ERR(stasis_encoder_encode(encoder, 3, 4, NULL, 4, y), STASIS_ERROR_INVALID_ARGUMENT, "features");
    CHECK_ERR(stasis_encoder_encode(encoder, -3, 4, x, 4, y), STASIS_ERROR_INVALID_ARGUMENT, "-3");
    x[5] = NAN;
    CHECK_ERR(stasis_encoder_encode(encoder, 3, 4, x, 4, y), STASIS_ERROR_INVALID_ARGUMENT, "row 1");
    x[5] = 0;
    memset(x + 4, 0, sizeof(float) * 4);
    CHECK_ERR(stasis_encoder_encode(encoder, 3, 4, x, 4, y), STASIS_ERROR_INVALID_ARGUMENT, "zero");
    x[6] = 2;

    CHECK(stasis_encoder_save(encoder, copy) == STASIS_OK);
    char* json = NULL;
    CHECK(stasis_encoder_inspect(copy, &json) == STASIS_OK);
    CHECK(json && strstr(json, "\"stasis.version\":\"7\"") && strstr(json, "\"layers.0.weight\":[4,4]"));
    stasis_string_free(json);

    stasis_index* index = NULL;
    const char* index_space = NULL;
    CHECK(stasis_index_create_for_space(space, "Flat", &index) == STASIS_OK);
    CHECK(stasis_index_space(index, &index_space) == STASIS_OK && strcmp(index_space, fingerprint) == 0);
    CHECK(stasis_index_add_features(index, encoder, 3, 4, x, (int64_t[]){10, 11, 12}) == STASIS_OK);
    CHECK_ERR(stasis_index_add_features(index, foreign, 3, 4, x, (int64_t[]){20, 21, 22}), STASIS_ERROR_INCOMPATIBLE, "belongs to space");
    CHECK_ERR(stasis_index_add_features(index, encoder, 3, 5, x, (int64_t[]){20, 21, 22}), STASIS_ERROR_DIMENSION_MISMATCH, "expects 4");
    CHECK_ERR(stasis_index_add_features(index, NULL, 3, 4, x, (int64_t[]){20, 21, 22}), STASIS_ERROR_INVALID_ARGUMENT, "encoder");
    int64_t count = 0, version_count = 0;
    CHECK(stasis_index_count(index, &count) == STASIS_OK && count == 3);
    CHECK(stasis_index_count_version(index, 7, &version_count) == STASIS_OK && version_count == 3);
    float scores[3];
    int64_t ids[3];
    uint32_t versions[3];
    CHECK(stasis_index_search_features(index, encoder, 3, 4, x, 1, NULL, scores, ids, versions) == STASIS_OK);
    CHECK(ids[0] == 10 && ids[1] == 11 && ids[2] == 12 && versions[0] == 7 && fabsf(scores[0] - 1) < 1e-5f);
    CHECK_ERR(stasis_index_search_features(index, foreign, 1, 4, x, 1, NULL, scores, ids, versions), STASIS_ERROR_INCOMPATIBLE, "belongs");
    CHECK_ERR(stasis_index_search_features(index, encoder, 1, 4, x, 0, NULL, scores, ids, versions), STASIS_ERROR_INVALID_ARGUMENT, "k");
    stasis_index_free(index);

    /* The binding survives a save/open round trip. */
    char index_path[512];
    scratch_path(index_path, sizeof index_path, "c-bound.stasis");
    CHECK(stasis_index_create_for_space(space, "HNSW8", &index) == STASIS_OK);
    CHECK(stasis_index_save(index, index_path) == STASIS_OK);
    stasis_index_free(index);
    CHECK(stasis_index_open(index_path, &index) == STASIS_OK);
    CHECK(stasis_index_space(index, &index_space) == STASIS_OK && index_space && strcmp(index_space, fingerprint) == 0);
    CHECK_ERR(stasis_index_add_features(index, foreign, 1, 4, x, (int64_t[]){1}), STASIS_ERROR_INCOMPATIBLE, "belongs");
    stasis_index_free(index);
    /* An unbound index has no space. */
    CHECK(stasis_index_create(4, "Flat", &index) == STASIS_OK);
    index_space = "x";
    CHECK(stasis_index_space(index, &index_space) == STASIS_OK && index_space == NULL);
    stasis_index_free(index);

    /* A handle of another kind is refused, not misread (easy to do from dynamic languages). */
    CHECK_ERR(stasis_encoder_version((const stasis_encoder*)space, &version), STASIS_ERROR_INVALID_ARGUMENT, "not a stasis_encoder handle");
    CHECK_ERR(stasis_index_count((const stasis_index*)encoder, &count), STASIS_ERROR_INVALID_ARGUMENT, "not a stasis_index handle");

    stasis_encoder_free(encoder);
    stasis_encoder_free(foreign);
    stasis_encoder_free(NULL);
    stasis_space_free(space);
    stasis_space_free(other);
    CHECK_ERR(stasis_encoder_open("/nonexistent.safetensors", &encoder), STASIS_ERROR_IO, "No such file");
    CHECK(encoder == NULL);
}

void test_spaces_and_encoders(void) {
    test_space_kinds();
    test_registry();
    test_encoders_and_bound_index();
}
