/* Tests of libstasis through its C header only, as a C service would use it.
 * Build: cc -std=c11 -I include Tests/c/test_abi.c Tests/c/test_spaces.c -L build/lib -lstasis -lpthread -lm
 * Usage: test_abi SCRATCH_DIR   (exit status 0 when every check passes) */
#include "stasis.h"
#include "check.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int checks = 0, failures = 0;
const char* scratch = "/tmp";

void test_spaces_and_encoders(void); /* test_spaces.c */
void test_hardening(void);          /* test_hardening.c */
void test_adapters(void);           /* test_adapt.c */
int hardening_lifecycle_child(const char* factory, const char* path); /* test_hardening.c */
void test_evaluate(void); /* test_evaluate.c */
void test_training(void);           /* test_train.c */
void test_gallery(void);  /* test_gallery.c */
void test_wal(void);      /* test_wal.c */
void test_concurrency_soak(void); /* test_concurrency.c */
void test_sweep(void);            /* test_sweep.c */
void test_faults(void);           /* test_faults.c */
int faults_readonly_child(const char* dir); /* test_faults.c */


#define DIM 32

/* Deterministic pseudo-random unit-ish vectors clustered around a few centres. */
static uint64_t rng_state = 42;
static float next_uniform(void) {
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((rng_state >> 40) & 0xFFFFFF) / (float)0x1000000 - 0.5f;
}
static float* random_vectors(int64_t n, int dim) {
    float* x = malloc(sizeof(float) * n * dim);
    for (int64_t i = 0; i < n * dim; i++) x[i] = next_uniform();
    return x;
}
static void path_in_scratch(char* out, size_t cap, const char* name) {
    snprintf(out, cap, "%s/%s", scratch, name);
}

static void test_library(void) {
    CHECK(strcmp(stasis_version(), STASIS_VERSION) == 0);
    CHECK(stasis_version_number() == STASIS_VERSION_NUMBER);
    CHECK(stasis_abi_version() == STASIS_ABI_VERSION);
    CHECK(strcmp(stasis_status_string(STASIS_OK), "ok") == 0);
    CHECK(strcmp(stasis_status_string(STASIS_ERROR_NOT_FOUND), "not found") == 0);
    CHECK(strcmp(stasis_status_string(9999), "unknown status code") == 0);
    CHECK(strcmp(stasis_status_string(-1), "unknown status code") == 0);
    CHECK_ERR(stasis_set_num_threads(-2), STASIS_ERROR_INVALID_ARGUMENT, "-2");
    CHECK(stasis_set_num_threads(1) == STASIS_OK);
    CHECK(stasis_get_num_threads() == 1);
    CHECK(strcmp(stasis_last_error(), "") == 0); /* success clears the message */
    CHECK(stasis_set_num_threads(0) == STASIS_OK);
    CHECK(stasis_get_num_threads() >= 1);
    stasis_string_free(NULL);
}

/* The kernel switch: a known name, portable on request, back to the CPU's best. */
static void test_kernels(void) {
    const char* best = stasis_kernel_name();
    CHECK(strcmp(best, "avx512") == 0 || strcmp(best, "avx2") == 0 || strcmp(best, "portable") == 0);
    CHECK(stasis_set_portable_kernels(1) == STASIS_OK);
    CHECK(strcmp(stasis_kernel_name(), "portable") == 0);
    CHECK(stasis_set_portable_kernels(0) == STASIS_OK);
    CHECK(strcmp(stasis_kernel_name(), "portable") != 0 || strcmp(best, "portable") == 0);
}

static void test_create_errors(void) {
    stasis_index* index = (stasis_index*)0x1;
    CHECK_ERR(stasis_index_create(DIM, "NoSuchIndex", &index), STASIS_ERROR_INVALID_ARGUMENT,
              "NoSuchIndex");
    CHECK(index == NULL);
    CHECK_ERR(stasis_index_create(0, "Flat", &index), STASIS_ERROR_INVALID_ARGUMENT, "dimension");
    CHECK_ERR(stasis_index_create(-5, "Flat", &index), STASIS_ERROR_INVALID_ARGUMENT, "-5");
    CHECK_ERR(stasis_index_create(DIM, NULL, &index), STASIS_ERROR_INVALID_ARGUMENT, "factory");
    CHECK_ERR(stasis_index_create(DIM, "Flat", NULL), STASIS_ERROR_INVALID_ARGUMENT, "out");
    CHECK_ERR(stasis_index_create(DIM, "IDMap,Flat", &index), STASIS_ERROR_INVALID_ARGUMENT, "IDMap");
    CHECK_ERR(stasis_index_create(DIM, "PQ8", &index), STASIS_ERROR_INVALID_ARGUMENT, "not a supported");
    stasis_index_free(NULL);
}

/* Adds, searches, upserts, removes, filters by version: the main path on one factory. */
static void test_basic_cycle(const char* factory) {
    stasis_index* index = NULL;
    CHECK(stasis_index_create(DIM, factory, &index) == STASIS_OK);
    if (!index) return;
    int trained = -1;
    CHECK(stasis_index_is_trained(index, &trained) == STASIS_OK);
    const int64_t n = 2000;
    float* x = random_vectors(n, DIM);
    if (!trained) {
        CHECK_ERR(stasis_index_add(index, 1, DIM, x, (int64_t[]){1}, 1), STASIS_ERROR_NOT_TRAINED,
                  "train");
        CHECK(stasis_index_train(index, n, DIM, x) == STASIS_OK);
        CHECK(stasis_index_is_trained(index, &trained) == STASIS_OK && trained == 1);
    }
    int64_t* ids = malloc(sizeof(int64_t) * n);
    for (int64_t i = 0; i < n; i++) ids[i] = 1000 + i;
    CHECK(stasis_index_add(index, n / 2, DIM, x, ids, 1) == STASIS_OK);
    CHECK(stasis_index_add(index, n / 2, DIM, x + (n / 2) * DIM, ids + n / 2, 2) == STASIS_OK);

    int64_t count = 0, dim = 0;
    const char* name = NULL;
    CHECK(stasis_index_count(index, &count) == STASIS_OK && count == n);
    CHECK(stasis_index_count_version(index, 1, &count) == STASIS_OK && count == n / 2);
    CHECK(stasis_index_count_version(index, 7, &count) == STASIS_OK && count == 0);
    CHECK(stasis_index_dimension(index, &dim) == STASIS_OK && dim == DIM);
    CHECK(stasis_index_factory(index, &name) == STASIS_OK && strcmp(name, factory) == 0);

    /* Each stored vector finds itself first (exact for Flat; generous parameters otherwise). */
    stasis_search_options options = STASIS_SEARCH_OPTIONS_INIT;
    options.ef_search = 128;
    options.nprobe = 64;
    const int64_t nq = 50, k = 5;
    float scores[50 * 5];
    int64_t found[50 * 5];
    uint32_t versions[50 * 5];
    CHECK(stasis_index_search(index, nq, DIM, x, k, &options, scores, found, versions) == STASIS_OK);
    int self_hits = 0;
    for (int64_t q = 0; q < nq; q++) {
        if (found[q * k] == ids[q]) self_hits++;
        CHECK(versions[q * k] == (found[q * k] < 1000 + n / 2 ? 1u : 2u));
        CHECK(scores[q * k] >= scores[q * k + 1]);
    }
    CHECK(self_hits >= (strstr(factory, "PQ") ? 35 : 48));
    if (strcmp(factory, "Flat") == 0) CHECK(fabsf(scores[0] - 1.0f) < 1e-4f);

    /* Version filter: only version 2 hits. */
    options.filter_version = 1;
    options.version = 2;
    CHECK(stasis_index_search(index, nq, DIM, x, k, &options, scores, found, versions) == STASIS_OK);
    int only_v2 = 1;
    for (int64_t i = 0; i < nq * k; i++) only_v2 &= (found[i] == -1 || versions[i] == 2);
    CHECK(only_v2);

    /* Upsert: id 1000 replaced by a version-3 copy of vector 1; removal of 1001. */
    CHECK(stasis_index_add(index, 1, DIM, x + DIM, ids, 3) == STASIS_OK);
    CHECK(stasis_index_count(index, &count) == STASIS_OK && count == n);
    uint8_t present[3];
    uint32_t present_versions[3];
    int64_t probe[3] = {1000, 1001, 77};
    CHECK(stasis_index_lookup(index, 3, probe, present, present_versions) == STASIS_OK);
    CHECK(present[0] == 1 && present_versions[0] == 3 && present[1] == 1 && present[2] == 0);
    CHECK(stasis_index_remove(index, 1, ids + 1) == STASIS_OK);
    CHECK(stasis_index_lookup(index, 3, probe, present, NULL) == STASIS_OK);
    CHECK(present[1] == 0);
    CHECK_ERR(stasis_index_remove(index, 2, (int64_t[]){1002, 1001}), STASIS_ERROR_NOT_FOUND, "1001");
    CHECK(stasis_index_lookup(index, 1, (int64_t[]){1002}, present, NULL) == STASIS_OK && present[0]);
    options.filter_version = 0;
    CHECK(stasis_index_search(index, 2, DIM, x, k, &options, scores, found, NULL) == STASIS_OK);
    for (int64_t i = 0; i < 2 * k; i++) CHECK(found[i] != 1001); /* removed never returned */
    CHECK(found[k] == 1000); /* vector 1 is now stored under id 1000 */

    int64_t total = -1, counts[4];
    uint32_t listed[4];
    CHECK(stasis_index_versions(index, 0, NULL, NULL, &total) == STASIS_OK && total == 3);
    CHECK(stasis_index_versions(index, 4, listed, counts, &total) == STASIS_OK);
    CHECK(listed[0] == 1 && listed[1] == 2 && listed[2] == 3);
    CHECK(counts[0] == n / 2 - 2 && counts[1] == n / 2 && counts[2] == 1);

    free(ids);
    free(x);
    stasis_index_free(index);
}

static void test_bad_inputs(void) {
    stasis_index* index = NULL;
    CHECK(stasis_index_create(DIM, "Flat", &index) == STASIS_OK);
    float x[3 * DIM];
    for (int i = 0; i < 3 * DIM; i++) x[i] = (float)(i % 7) + 1.0f;
    int64_t ids[3] = {1, 2, 3};
    float scores[3 * 4];
    int64_t out_ids[3 * 4];
    int64_t count = -1;

    CHECK_ERR(stasis_index_add(NULL, 3, DIM, x, ids, 1), STASIS_ERROR_INVALID_ARGUMENT, "index");
    CHECK_ERR(stasis_index_add(index, 3, DIM, NULL, ids, 1), STASIS_ERROR_INVALID_ARGUMENT, "vectors");
    CHECK_ERR(stasis_index_add(index, 3, DIM, x, NULL, 1), STASIS_ERROR_INVALID_ARGUMENT, "ids");
    CHECK_ERR(stasis_index_add(index, -1, DIM, x, ids, 1), STASIS_ERROR_INVALID_ARGUMENT, "-1");
    CHECK_ERR(stasis_index_add(index, 3, DIM + 1, x, ids, 1), STASIS_ERROR_DIMENSION_MISMATCH, "33");
    CHECK_ERR(stasis_index_add(index, 2, DIM, x, (int64_t[]){5, 5}, 1), STASIS_ERROR_INVALID_ARGUMENT, "twice");
    CHECK_ERR(stasis_index_add(index, 1, DIM, x, (int64_t[]){-3}, 1), STASIS_ERROR_INVALID_ARGUMENT, "-3");
    x[DIM + 4] = NAN;
    CHECK_ERR(stasis_index_add(index, 3, DIM, x, ids, 1), STASIS_ERROR_INVALID_ARGUMENT, "vector 1");
    x[DIM + 4] = INFINITY;
    CHECK_ERR(stasis_index_add(index, 3, DIM, x, ids, 1), STASIS_ERROR_INVALID_ARGUMENT, "non-finite");
    x[DIM + 4] = 1.0f;
    memset(x + 2 * DIM, 0, sizeof(float) * DIM);
    CHECK_ERR(stasis_index_add(index, 3, DIM, x, ids, 1), STASIS_ERROR_INVALID_ARGUMENT, "zero vector");
    CHECK(stasis_index_count(index, &count) == STASIS_OK && count == 0); /* nothing partial */
    CHECK(stasis_index_add(index, 2, DIM, x, ids, 1) == STASIS_OK);
    CHECK(stasis_index_add(index, 0, DIM, NULL, NULL, 1) == STASIS_OK); /* empty batch is fine */

    CHECK_ERR(stasis_index_search(index, 1, DIM, x, 0, NULL, scores, out_ids, NULL), STASIS_ERROR_INVALID_ARGUMENT, "k");
    CHECK_ERR(stasis_index_search(index, 1, DIM, x, -4, NULL, scores, out_ids, NULL), STASIS_ERROR_INVALID_ARGUMENT, "-4");
    CHECK_ERR(stasis_index_search(index, -1, DIM, x, 4, NULL, scores, out_ids, NULL), STASIS_ERROR_INVALID_ARGUMENT, "-1");
    CHECK_ERR(stasis_index_search(index, 1, 8, x, 4, NULL, scores, out_ids, NULL), STASIS_ERROR_DIMENSION_MISMATCH, "8");
    CHECK_ERR(stasis_index_search(index, 1, DIM, NULL, 4, NULL, scores, out_ids, NULL), STASIS_ERROR_INVALID_ARGUMENT, "queries");
    CHECK_ERR(stasis_index_search(index, 1, DIM, x, 4, NULL, NULL, out_ids, NULL), STASIS_ERROR_INVALID_ARGUMENT, "out_scores");
    CHECK_ERR(stasis_index_search(index, 1, DIM, x, 4, NULL, scores, NULL, NULL), STASIS_ERROR_INVALID_ARGUMENT, "out_ids");
    CHECK_ERR(stasis_index_search(index, 1, DIM, x + 2 * DIM, 4, NULL, scores, out_ids, NULL), STASIS_ERROR_INVALID_ARGUMENT, "zero");
    stasis_search_options bad = STASIS_SEARCH_OPTIONS_INIT;
    bad.struct_size = 0;
    CHECK_ERR(stasis_index_search(index, 1, DIM, x, 4, &bad, scores, out_ids, NULL), STASIS_ERROR_INVALID_ARGUMENT, "struct_size");
    bad.struct_size = sizeof(bad);
    bad.ef_search = -1;
    CHECK_ERR(stasis_index_search(index, 1, DIM, x, 4, &bad, scores, out_ids, NULL), STASIS_ERROR_INVALID_ARGUMENT, "ef_search");
    CHECK_ERR(stasis_index_set_search_defaults(index, NULL), STASIS_ERROR_INVALID_ARGUMENT, "options");
    bad.ef_search = 0;
    bad.filter_version = 1;
    CHECK_ERR(stasis_index_set_search_defaults(index, &bad), STASIS_ERROR_INVALID_ARGUMENT, "version");
    /* An options struct from a "newer header": unknown trailing fields must be zero. */
    struct { stasis_search_options base; int32_t future; int32_t pad; } newer = {STASIS_SEARCH_OPTIONS_INIT, 0, 0};
    newer.base.struct_size = sizeof(newer);
    CHECK(stasis_index_search(index, 1, DIM, x, 4, &newer.base, scores, out_ids, NULL) == STASIS_OK);
    newer.future = 9;
    CHECK_ERR(stasis_index_search(index, 1, DIM, x, 4, &newer.base, scores, out_ids, NULL), STASIS_ERROR_UNSUPPORTED, "does not know");

    /* Fewer vectors than k: padded with -1 and -inf. */
    CHECK(stasis_index_search(index, 1, DIM, x, 4, NULL, scores, out_ids, NULL) == STASIS_OK);
    CHECK(out_ids[0] >= 1 && out_ids[1] >= 1 && out_ids[2] == -1 && out_ids[3] == -1);
    CHECK(isinf(scores[3]) && scores[3] < 0);
    CHECK(stasis_index_search(index, 0, DIM, NULL, 4, NULL, NULL, NULL, NULL) == STASIS_OK);

    CHECK_ERR(stasis_index_remove(index, 1, NULL), STASIS_ERROR_INVALID_ARGUMENT, "ids");
    CHECK_ERR(stasis_index_remove(index, 1, (int64_t[]){999}), STASIS_ERROR_NOT_FOUND, "999");
    CHECK_ERR(stasis_index_count(index, NULL), STASIS_ERROR_INVALID_ARGUMENT, "out");
    CHECK_ERR(stasis_index_count(NULL, &count), STASIS_ERROR_INVALID_ARGUMENT, "index");
    CHECK_ERR(stasis_index_count_version(index, 1, NULL), STASIS_ERROR_INVALID_ARGUMENT, "out");
    CHECK_ERR(stasis_index_dimension(index, NULL), STASIS_ERROR_INVALID_ARGUMENT, "out");
    CHECK_ERR(stasis_index_factory(index, NULL), STASIS_ERROR_INVALID_ARGUMENT, "out");
    CHECK_ERR(stasis_index_is_trained(index, NULL), STASIS_ERROR_INVALID_ARGUMENT, "out");
    CHECK_ERR(stasis_index_versions(index, -1, NULL, NULL, &count), STASIS_ERROR_INVALID_ARGUMENT, "capacity");
    CHECK_ERR(stasis_index_versions(index, 2, NULL, NULL, &count), STASIS_ERROR_INVALID_ARGUMENT, "out_versions");
    CHECK_ERR(stasis_index_lookup(index, 1, ids, NULL, NULL), STASIS_ERROR_INVALID_ARGUMENT, "out_found");
    CHECK_ERR(stasis_index_train(index, 0, DIM, x), STASIS_ERROR_INVALID_ARGUMENT, "at least one");
    CHECK_ERR(stasis_index_train(index, 2, DIM, x), STASIS_ERROR_UNSUPPORTED, "already holds");
    CHECK(stasis_index_count(index, &count) == STASIS_OK && count == 2);
    stasis_index_free(index);

    /* IVF needs enough training vectors for its lists. */
    CHECK(stasis_index_create(DIM, "IVF64,Flat", &index) == STASIS_OK);
    CHECK_ERR(stasis_index_train(index, 2, DIM, x), STASIS_ERROR_INVALID_ARGUMENT, "train");
    CHECK_ERR(stasis_index_search(index, 1, DIM, x, 1, NULL, scores, out_ids, NULL), STASIS_ERROR_NOT_TRAINED, "train");
    stasis_index_free(index);
}

static int write_bytes(const char* path, const void* data, size_t size) {
    FILE* f = fopen(path, "wb");
    if (!f) return 0;
    size_t ok = fwrite(data, 1, size, f);
    fclose(f);
    return ok == size;
}

static void* read_bytes(const char* path, size_t* size) {
    FILE* f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    void* data = malloc(*size);
    size_t got = fread(data, 1, *size, f);
    fclose(f);
    if (got != *size) { free(data); return NULL; }
    return data;
}

static void test_persistence(const char* factory) {
    char path[512], bad_path[512];
    path_in_scratch(path, sizeof path, "c-roundtrip.stasis");
    path_in_scratch(bad_path, sizeof bad_path, "c-bad.stasis");
    stasis_index* index = NULL;
    CHECK(stasis_index_create(DIM, factory, &index) == STASIS_OK);
    const int64_t n = 3000, nq = 40, k = 10;
    float* x = random_vectors(n, DIM);
    int64_t* ids = malloc(sizeof(int64_t) * n);
    for (int64_t i = 0; i < n; i++) ids[i] = 7 * i;
    int trained = 0;
    stasis_index_is_trained(index, &trained);
    if (!trained) CHECK(stasis_index_train(index, n, DIM, x) == STASIS_OK);
    CHECK(stasis_index_add(index, n, DIM, x, ids, 4) == STASIS_OK);
    CHECK(stasis_index_remove(index, 1, ids + 3) == STASIS_OK);
    stasis_search_options defaults = STASIS_SEARCH_OPTIONS_INIT;
    defaults.ef_search = 40;
    defaults.nprobe = 8;
    CHECK(stasis_index_set_search_defaults(index, &defaults) == STASIS_OK);

    float before_scores[40 * 10], after_scores[40 * 10];
    int64_t before_ids[40 * 10], after_ids[40 * 10];
    CHECK(stasis_index_search(index, nq, DIM, x, k, NULL, before_scores, before_ids, NULL) == STASIS_OK);
    CHECK(stasis_index_save(index, path) == STASIS_OK);
    stasis_index_free(index);

    char* json = NULL;
    CHECK(stasis_index_inspect(path, &json) == STASIS_OK);
    CHECK(json && strstr(json, "\"count\":2999") && strstr(json, "\"dimension\":32"));
    CHECK(json && strstr(json, factory) && strstr(json, "\"version\":4"));
    stasis_string_free(json);

    stasis_index* reopened = NULL;
    CHECK(stasis_index_open(path, &reopened) == STASIS_OK);
    CHECK(stasis_index_search(reopened, nq, DIM, x, k, NULL, after_scores, after_ids, NULL) == STASIS_OK);
    CHECK(memcmp(before_ids, after_ids, sizeof before_ids) == 0);
    CHECK(memcmp(before_scores, after_scores, sizeof before_scores) == 0);
    int64_t count = 0;
    CHECK(stasis_index_count_version(reopened, 4, &count) == STASIS_OK && count == n - 1);
    uint8_t present = 1;
    CHECK(stasis_index_lookup(reopened, 1, ids + 3, &present, NULL) == STASIS_OK && present == 0);
    /* Save over an existing file leaves a readable file (atomic replace). */
    CHECK(stasis_index_save(reopened, path) == STASIS_OK);
    stasis_index_free(reopened);

    size_t size = 0;
    unsigned char* bytes = read_bytes(path, &size);
    CHECK(bytes != NULL);
    stasis_index* broken = (stasis_index*)0x1;
    if (bytes) {
        CHECK(write_bytes(bad_path, bytes, size / 2));
        CHECK_ERR(stasis_index_open(bad_path, &broken), STASIS_ERROR_CORRUPT_FILE, "truncated");
        CHECK(broken == NULL);
        bytes[size - 100] ^= 0x5A;
        CHECK(write_bytes(bad_path, bytes, size));
        CHECK_ERR(stasis_index_open(bad_path, &broken), STASIS_ERROR_CORRUPT_FILE, "checksum");
        bytes[size - 100] ^= 0x5A;
        bytes[8] = 99; /* format number from the future */
        CHECK(write_bytes(bad_path, bytes, size));
        CHECK_ERR(stasis_index_open(bad_path, &broken), STASIS_ERROR_UNSUPPORTED_FORMAT, "format 99");
        CHECK_ERR(stasis_index_inspect(bad_path, &json), STASIS_ERROR_UNSUPPORTED_FORMAT, "format 99");
        free(bytes);
    }
    CHECK(write_bytes(bad_path, "hello, this is not an index at all", 34));
    CHECK_ERR(stasis_index_open(bad_path, &broken), STASIS_ERROR_CORRUPT_FILE, "not a Stasis index");
    CHECK(write_bytes(bad_path, "", 0));
    CHECK_ERR(stasis_index_open(bad_path, &broken), STASIS_ERROR_CORRUPT_FILE, "truncated");
    CHECK_ERR(stasis_index_open("/nonexistent/dir/x.stasis", &broken), STASIS_ERROR_IO, "No such file");
    CHECK_ERR(stasis_index_inspect("/nonexistent/x.stasis", &json), STASIS_ERROR_IO, "No such file");
    CHECK_ERR(stasis_index_open(NULL, &broken), STASIS_ERROR_INVALID_ARGUMENT, "path");
    CHECK_ERR(stasis_index_open(path, NULL), STASIS_ERROR_INVALID_ARGUMENT, "out");
    CHECK_ERR(stasis_index_inspect(path, NULL), STASIS_ERROR_INVALID_ARGUMENT, "out_json");
    CHECK_ERR(stasis_index_open(scratch, &broken), STASIS_ERROR_IO, "not a regular file");

    CHECK(stasis_index_create(DIM, "Flat", &index) == STASIS_OK);
    CHECK_ERR(stasis_index_save(index, "/nonexistent/dir/x.stasis"), STASIS_ERROR_IO, "/nonexistent/dir");
    CHECK_ERR(stasis_index_save(index, NULL), STASIS_ERROR_INVALID_ARGUMENT, "path");
    stasis_index_free(index);
    /* The good file is still intact after all of this. */
    CHECK(stasis_index_open(path, &reopened) == STASIS_OK);
    stasis_index_free(reopened);
    free(ids);
    free(x);
}

/* Several threads search while one adds and removes; every call must succeed and hits must be
 * ids that were live at some point. */
typedef struct {
    stasis_index* index;
    const float* queries;
    int failures;
    int64_t max_id;
} search_job;

static void* search_worker(void* arg) {
    search_job* job = arg;
    float scores[16 * 10];
    int64_t ids[16 * 10];
    for (int round = 0; round < 60; round++) {
        if (stasis_index_search(job->index, 16, DIM, job->queries, 10, NULL, scores, ids, NULL) != STASIS_OK) {
            job->failures++;
            continue;
        }
        for (int i = 0; i < 160; i++)
            if (ids[i] < -1 || ids[i] > job->max_id) job->failures++;
    }
    return NULL;
}

static void test_concurrency(const char* factory) {
    stasis_index* index = NULL;
    CHECK(stasis_index_create(DIM, factory, &index) == STASIS_OK);
    const int64_t n = 4000;
    float* x = random_vectors(n, DIM);
    int64_t* ids = malloc(sizeof(int64_t) * n);
    for (int64_t i = 0; i < n; i++) ids[i] = i;
    int trained = 0;
    CHECK(stasis_index_is_trained(index, &trained) == STASIS_OK);
    if (!trained) CHECK(stasis_index_train(index, n, DIM, x) == STASIS_OK);
    CHECK(stasis_index_add(index, n / 2, DIM, x, ids, 1) == STASIS_OK);

    enum { READERS = 4 };
    pthread_t threads[READERS];
    search_job jobs[READERS];
    for (int t = 0; t < READERS; t++) {
        jobs[t] = (search_job){index, x + t * 16 * DIM, 0, n - 1};
        pthread_create(&threads[t], NULL, search_worker, &jobs[t]);
    }
    int writer_failures = 0;
    for (int64_t start = n / 2; start < n; start += 100) {
        if (stasis_index_add(index, 100, DIM, x + start * DIM, ids + start, 2) != STASIS_OK) writer_failures++;
        if (stasis_index_remove(index, 10, ids + (start - n / 2)) != STASIS_OK) writer_failures++;
        if (stasis_index_add(index, 5, DIM, x, ids + (start - n / 2), 3) != STASIS_OK) writer_failures++;
    }
    for (int t = 0; t < READERS; t++) {
        pthread_join(threads[t], NULL);
        CHECK(jobs[t].failures == 0);
    }
    CHECK(writer_failures == 0);
    int64_t count = 0;
    CHECK(stasis_index_count(index, &count) == STASIS_OK && count == n - 20 * 5);
    free(ids);
    free(x);
    stasis_index_free(index);
}

/* Errors are per thread: a failure on one thread does not leak into another's message. */
static void* error_worker(void* arg) {
    (void)arg;
    stasis_index* index = NULL;
    stasis_index_create(4, "Flat", &index);
    stasis_index_free(index);
    return (void*)(strcmp(stasis_last_error(), "") == 0 ? (intptr_t)1 : (intptr_t)0);
}

static void test_thread_local_errors(void) {
    stasis_index* index = NULL;
    CHECK(stasis_index_create(0, "Flat", &index) != STASIS_OK);
    pthread_t thread;
    void* clean = NULL;
    pthread_create(&thread, NULL, error_worker, NULL);
    pthread_join(thread, &clean);
    CHECK(clean == (void*)1);
    CHECK(strstr(stasis_last_error(), "dimension") != NULL);
}

/* Flat searches (40 queries, then single ones; 6,000 rows) give the exact top k: against a float64 scan here, with
 * the SIMD kernels (the 8-bit pass plus float rescoring on AVX2) and with the portable ones (BLAS). */
static void check_flat_batch_exact(const stasis_index* index, const float* rows, const int64_t* ids, int64_t n,
                                   const float* queries, int64_t nq) {
    enum { K = 10 };
    float scores[40 * K];
    int64_t found[40 * K];
    CHECK(stasis_index_search(index, nq, DIM, queries, K, NULL, scores, found, NULL) == STASIS_OK);
    int bad = 0;
    for (int64_t q = 0; q < nq; q++) {
        double best[K];
        int64_t best_id[K];
        for (int j = 0; j < K; j++) best[j] = -2, best_id[j] = -1;
        double qn = 0;
        for (int j = 0; j < DIM; j++) qn += (double)queries[q * DIM + j] * queries[q * DIM + j];
        for (int64_t r = 0; r < n; r++) {
            double dot = 0, rn = 0;
            for (int j = 0; j < DIM; j++) {
                dot += (double)queries[q * DIM + j] * rows[r * DIM + j];
                rn += (double)rows[r * DIM + j] * rows[r * DIM + j];
            }
            double cosine = dot / sqrt(qn * rn);
            if (cosine <= best[K - 1]) continue;
            int at = K - 1;
            while (at > 0 && best[at - 1] < cosine) best[at] = best[at - 1], best_id[at] = best_id[at - 1], at--;
            best[at] = cosine, best_id[at] = ids[r];
        }
        for (int j = 0; j < K; j++) {
            /* Each rank's score is the exact one, and the id returned there scores it too: a
             * different id than the scan's is only an exact tie within rounding. */
            if (fabs(scores[q * K + j] - best[j]) > 2e-5) bad++;
            const int64_t row = (found[q * K + j] - 3) / 5;
            if (row < 0 || row >= n) { bad++; continue; }
            double dot = 0, rn = 0;
            for (int c = 0; c < DIM; c++) {
                dot += (double)queries[q * DIM + c] * rows[row * DIM + c];
                rn += (double)rows[row * DIM + c] * rows[row * DIM + c];
            }
            if (fabs(dot / sqrt(qn * rn) - best[j]) > 2e-5) bad++;
        }
    }
    CHECK(bad == 0);
}

static void test_flat_batch_exact(void) {
    const int64_t n = 6000, nq = 40;
    float* rows = random_vectors(n + nq, DIM);
    int64_t* ids = malloc(sizeof(int64_t) * n);
    for (int64_t i = 0; i < n; i++) ids[i] = 5 * i + 3;
    stasis_index* index = NULL;
    CHECK(stasis_index_create(DIM, "Flat", &index) == STASIS_OK);
    CHECK(stasis_index_add(index, n, DIM, rows, ids, 1) == STASIS_OK);
    check_flat_batch_exact(index, rows, ids, n, rows + n * DIM, nq);
    for (int64_t q = 0; q < 3; q++) check_flat_batch_exact(index, rows, ids, n, rows + (n + q) * DIM, 1);
    stasis_set_portable_kernels(1);
    check_flat_batch_exact(index, rows, ids, n, rows + n * DIM, nq);
    stasis_set_portable_kernels(0);
    /* The prefilter switched off (float path, copy freed), then on again. */
    CHECK(stasis_flat_prefilter_enabled() == 1);
    CHECK(stasis_set_flat_prefilter(0) == STASIS_OK && stasis_flat_prefilter_enabled() == 0);
    check_flat_batch_exact(index, rows, ids, n, rows + n * DIM, nq);
    check_flat_batch_exact(index, rows, ids, n, rows + n * DIM, 1);
    CHECK(stasis_set_flat_prefilter(1) == STASIS_OK && stasis_flat_prefilter_enabled() == 1);
    check_flat_batch_exact(index, rows, ids, n, rows + n * DIM, nq);
    stasis_index_free(index);
    free(ids);
    free(rows);
}

int main(int argc, char** argv) {
    if (argc == 4 && strcmp(argv[1], "--lifecycle") == 0) return hardening_lifecycle_child(argv[2], argv[3]);
    if (argc == 3 && strcmp(argv[1], "--faults-readonly") == 0) return faults_readonly_child(argv[2]);
    /* scripts/soak.sh: only the concurrency soak, at the length STASIS_SOAK_* ask for. */
    if (argc == 3 && strcmp(argv[1], "--soak") == 0) {
        scratch = argv[2];
        test_concurrency_soak();
        return failures == 0 ? 0 : 1;
    }
    if (argc > 1) scratch = argv[1];
    test_library();
    test_create_errors();
    const char* factories[] = {"Flat", "HNSW16", "IVF16,Flat", "IVF16,SQ8", "IVF16,PQ8x4"};
    for (size_t i = 0; i < sizeof factories / sizeof *factories; i++) {
        test_basic_cycle(factories[i]);
        test_persistence(factories[i]);
    }
    test_bad_inputs();
    test_kernels();
    test_flat_batch_exact();
    test_concurrency("Flat");
    test_concurrency("HNSW16");
    test_concurrency("IVF16,Flat");
    /* The same graph search with the portable kernels. */
    stasis_set_portable_kernels(1);
    test_concurrency("HNSW16");
    stasis_set_portable_kernels(0);
    test_thread_local_errors();
    test_spaces_and_encoders();
    test_hardening();
    test_evaluate();
    test_adapters();
    test_training();
    test_gallery();
    test_wal();
    test_concurrency_soak();
    test_sweep();
    test_faults();
    printf("C ABI tests: %d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
